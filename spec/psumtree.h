/* ACSL logic: pageAlloc's summary tree (alloc/psumtree.h): "an entry is the merge of
 * its children".  Comments only; included by alloc/psumtree.c. */
#ifndef GA_SPEC_PSUMTREE_H
#define GA_SPEC_PSUMTREE_H

#include "psum.h"

/*@
  // the page counts of the levels' entries, 2^9 .. 2^21 (WP's Range tactic splits on k,
  // -wp-auto wp:range; Qed evaluates each case: proofs/psumtree.range)
  lemma shl1_levels: \forall integer k; 9 <= k <= 21 ==> 512 <= (1 << k) <= 2097152;

  // a region whose summary is (0, 0, 0) has no free page (find's zero entries)
  lemma r_run_one{L}: \forall ga_pallocdata **m, integer q; rfree(m, q) ==> r_run(m, q, 1);
  lemma r_sum_none{L}: \forall ga_pallocdata **m, integer a, N, q;
      r_sum(m, a, N, 0, 0, 0) && a <= q < a + N ==> !rfree(m, q);

  // sum[k] (at label Ls) is the merge of child[8 k .. 8 k + 7] (at label Lc), children of
  // 2^log_n pages.  (A predicate of its own: the provers then match it as a whole.)
  predicate mfrom{Ls, Lc}(ga_psum *sum, ga_psum *child, integer k, integer log_n) =
      \at(sum[k], Ls) == merge8(\at(child[8 * k], Lc), \at(child[8 * k + 1], Lc), \at(child[8 * k + 2], Lc),
                                \at(child[8 * k + 3], Lc), \at(child[8 * k + 4], Lc), \at(child[8 * k + 5], Lc),
                                \at(child[8 * k + 6], Lc), \at(child[8 * k + 7], Lc), log_n);

*/

#endif
