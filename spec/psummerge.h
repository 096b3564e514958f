/* ACSL logic: the merge lemmas of the region summaries of spec/psum.h (docs/go-facts.md
 * §21 "Merge"): what ga_lemma_merge (alloc/pallocbits.c) is proved from.  Comments only;
 * included by alloc/pallocbits.c alone: in the proofs of other files (alloc/psumtree.c)
 * the SMT provers instantiate these lemmas without end (each gives new r_start / r_end
 * terms of longer regions) and run out of memory on goals that do not need them. */
#ifndef GA_SPEC_PSUMMERGE_H
#define GA_SPEC_PSUMMERGE_H

#include "psum.h"

/*@
  // ---- the merge lemma: summaries of [a, c) and [c, c+N2), c = a + N1, give the
  // summary of [a, c+N2) exactly as mergeSummaries computes it.  (The midpoint c is a
  // variable of its own so that the provers can match these lemmas.  The whole lemma is
  // the contract of the ghost function ga_lemma_merge, alloc/pallocbits.c.) ---------
  lemma merge_start{L}: \forall ga_pallocdata **cs, integer a, c, N1, N2, s1, s2;
      c == a + N1 && 0 <= N2 && r_start(cs, a, N1, s1) && r_start(cs, c, N2, s2) ==>
      r_start(cs, a, N1 + N2, s1 == N1 ? N1 + s2 : s1);
  lemma merge_end{L}: \forall ga_pallocdata **cs, integer a, c, N1, N2, e1, e2;
      c == a + N1 && 0 <= N1 && r_end(cs, a, N1, e1) && r_end(cs, c, N2, e2) ==>
      r_end(cs, a, N1 + N2, e2 == N2 ? e1 + N2 : e2);
  lemma merge_cross{L}: \forall ga_pallocdata **cs, integer a, c, N1, N2, e1, s2, j, l;
      c == a + N1 && r_end(cs, a, N1, e1) && r_start(cs, c, N2, s2) &&
      a <= j < c < j + l <= c + N2 && r_run(cs, j, l) ==> l <= e1 + s2;
  lemma merge_max_bound{L}: \forall ga_pallocdata **cs, integer a, c, N1, N2, m1, e1, s2, m2, j, l;
      c == a + N1 && r_max(cs, a, N1, m1) && r_end(cs, a, N1, e1) && r_max(cs, c, N2, m2) &&
      r_start(cs, c, N2, s2) && a <= j && j + l <= c + N2 && r_run(cs, j, l) ==>
      l <= m1 || l <= m2 || l <= e1 + s2;
  lemma merge_cross_run{L}: \forall ga_pallocdata **cs, integer a, c, N1, N2, e1, s2;
      c == a + N1 && r_end(cs, a, N1, e1) && r_start(cs, c, N2, s2) ==> r_run(cs, c - e1, e1 + s2);
  lemma merge_ex3{L}: \forall ga_pallocdata **cs, integer a, c, N1, N2, e1, s2;
      c == a + N1 && r_end(cs, a, N1, e1) && r_start(cs, c, N2, s2) ==>
      \exists integer j; j == c - e1 && a <= j && j + (e1 + s2) <= c + N2 && r_run(cs, j, e1 + s2);
  lemma merge_runs_le{L}: \forall ga_pallocdata **cs, integer a, c, d, N1, N2, m1, e1, s2, m2, M;
      c == a + N1 && d == N1 + N2 &&
      r_max(cs, a, N1, m1) && r_end(cs, a, N1, e1) && r_max(cs, c, N2, m2) && r_start(cs, c, N2, s2) &&
      m1 <= M && m2 <= M && e1 + s2 <= M ==> r_runs_le(cs, a, d, M);
*/

#endif
