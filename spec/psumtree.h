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

  // ---- update: the touched path (chunks [sc, ec]; level l's entries [sc >> d, ec >> d],
  // d = 3 (4 - l)), stated per level: S[l] is level l (5 levels, S[4] the leaves) ----
  // entries lo .. hi of a level s are the merges of their children in the level below, c
  // (children of 2^log_n pages)
  predicate path_ok{L}(ga_psum *s, ga_psum *c, integer lo, integer hi, integer log_n) =
      \forall integer i; lo <= i <= hi ==> mfrom{L, L}(s, c, i, log_n);
  // the children (in level c) of the entries lo .. hi of the level above are well formed
  // summaries of N pages
  predicate kids_wf{L}(ga_psum *c, integer lo, integer hi, integer N) =
      \forall integer j; 8 * lo <= j <= 8 * hi + 7 ==> psum_wf(c[j], N);
  // the levels are five reservations (a write to one leaves the others)
  predicate levels_apart{L}(ga_psum **S) =
      \base_addr(S[0]) != \base_addr(S[1]) && \base_addr(S[0]) != \base_addr(S[2]) &&
      \base_addr(S[0]) != \base_addr(S[3]) && \base_addr(S[0]) != \base_addr(S[4]) &&
      \base_addr(S[1]) != \base_addr(S[2]) && \base_addr(S[1]) != \base_addr(S[3]) &&
      \base_addr(S[1]) != \base_addr(S[4]) && \base_addr(S[2]) != \base_addr(S[3]) &&
      \base_addr(S[2]) != \base_addr(S[4]) && \base_addr(S[3]) != \base_addr(S[4]);

  // frames: a level whose every entry is what it was (a write elsewhere), and what stays
  // true of the levels then
  predicate unchanged{L1, L2}(ga_psum *a) = \forall integer j; \at(a[j], L1) == \at(a[j], L2);
  lemma mfrom_frame{L1, L2}: \forall ga_psum *s, *c, integer k, n;
      \at(s[k], L1) == \at(s[k], L2) && \at(c[8 * k], L1) == \at(c[8 * k], L2) &&
      \at(c[8 * k + 1], L1) == \at(c[8 * k + 1], L2) && \at(c[8 * k + 2], L1) == \at(c[8 * k + 2], L2) &&
      \at(c[8 * k + 3], L1) == \at(c[8 * k + 3], L2) && \at(c[8 * k + 4], L1) == \at(c[8 * k + 4], L2) &&
      \at(c[8 * k + 5], L1) == \at(c[8 * k + 5], L2) && \at(c[8 * k + 6], L1) == \at(c[8 * k + 6], L2) &&
      \at(c[8 * k + 7], L1) == \at(c[8 * k + 7], L2) && mfrom{L1, L1}(s, c, k, n) ==> mfrom{L2, L2}(s, c, k, n);
  lemma mfrom_frame_levels{L1, L2}: \forall ga_psum *s, *c, integer k, n;
      unchanged{L1, L2}(s) && unchanged{L1, L2}(c) && mfrom{L1, L1}(s, c, k, n) ==> mfrom{L2, L2}(s, c, k, n);
  lemma path_frame{L1, L2}: \forall ga_psum *s, *c, integer lo, hi, n;
      unchanged{L1, L2}(s) && unchanged{L1, L2}(c) && path_ok{L1}(s, c, lo, hi, n) ==> path_ok{L2}(s, c, lo, hi, n);
  lemma kids_frame{L1, L2}: \forall ga_psum *c, integer lo, hi, N;
      unchanged{L1, L2}(c) && kids_wf{L1}(c, lo, hi, N) ==> kids_wf{L2}(c, lo, hi, N);

  // a level's touched entries lie among the children of the level above's
  lemma div_blocks: \forall integer x; 0 <= x ==> 8 * (x / 8) <= x <= 8 * (x / 8) + 7 &&
      8 * (x / 64) <= x / 8 <= 8 * (x / 64) + 7 && 8 * (x / 512) <= x / 64 <= 8 * (x / 512) + 7 &&
      8 * (x / 4096) <= x / 512 <= 8 * (x / 4096) + 7;

  // pages [lo, hi) all allocated / all free: update's chunks inside a contiguous range
  predicate all_alloc{L}(ga_pallocdata **m, integer lo, integer hi) = \forall integer q; lo <= q < hi ==> !rfree(m, q);
  predicate all_free{L}(ga_pallocdata **m, integer lo, integer hi) = \forall integer q; lo <= q < hi ==> rfree(m, q);
  // ... and the summary of a region among them
  // (the steps: a run's first page is free; an empty run; a run at a is one of the region)
  lemma r_run_first{L}: \forall ga_pallocdata **m, integer j, l; 0 < l && r_run(m, j, l) ==> rfree(m, j);
  lemma r_run_empty{L}: \forall ga_pallocdata **m, integer j; r_run(m, j, 0);
  lemma r_has_run_at{L}: \forall ga_pallocdata **m, integer a, N, l; 0 <= l <= N && r_run(m, a, l) ==>
      r_has_run(m, a, N, l);
  lemma fill_alloc_start{L}: \forall ga_pallocdata **m, integer lo, hi, a, N;
      all_alloc(m, lo, hi) && lo <= a && a + N <= hi && 0 < N ==> r_start(m, a, N, 0) && r_end(m, a, N, 0);
  lemma fill_alloc_le{L}: \forall ga_pallocdata **m, integer lo, hi, a, N;
      all_alloc(m, lo, hi) && lo <= a && a + N <= hi ==> r_runs_le(m, a, N, 0);
  lemma fill_alloc_max{L}: \forall ga_pallocdata **m, integer lo, hi, a, N;
      all_alloc(m, lo, hi) && lo <= a && a + N <= hi && 0 < N ==> r_max(m, a, N, 0);
  lemma fill_alloc{L}: \forall ga_pallocdata **m, integer lo, hi, a, N;
      all_alloc(m, lo, hi) && lo <= a && a + N <= hi && 0 < N ==> r_sum(m, a, N, 0, 0, 0);
  lemma fill_free_run{L}: \forall ga_pallocdata **m, integer lo, hi, a, N;
      all_free(m, lo, hi) && lo <= a && a + N <= hi ==> r_run(m, a, N);
  lemma fill_free_start{L}: \forall ga_pallocdata **m, integer lo, hi, a, N;
      all_free(m, lo, hi) && lo <= a && a + N <= hi && 0 < N ==> r_start(m, a, N, N) && r_end(m, a, N, N);
  lemma fill_free_max{L}: \forall ga_pallocdata **m, integer lo, hi, a, N;
      all_free(m, lo, hi) && lo <= a && a + N <= hi && 0 < N ==> r_max(m, a, N, N);
  lemma fill_free{L}: \forall ga_pallocdata **m, integer lo, hi, a, N;
      all_free(m, lo, hi) && lo <= a && a + N <= hi && 0 < N ==> r_sum(m, a, N, N, N, N);

  // x is the summary of chunk ci, packed as ga_psum_pack packs
  predicate leaf_sum{L}(ga_pallocdata **m, integer ci, integer x) =
      x == psum_pack(psum_start(x), psum_max(x), psum_end(x)) &&
      r_sum(m, 512 * ci, 512, psum_start(x), psum_max(x), psum_end(x));
  // leaves sc .. ec (at L2) are the summaries of their chunks (at L1)
  predicate leaf_sums{L1, L2}(ga_psum *leaf, ga_pallocdata **m, integer sc, integer ec) =
      \forall integer ci; sc <= ci <= ec ==> leaf_sum{L1}(m, ci, \at(leaf[ci], L2));
  lemma leaf_frame{L1, L2, L3}: \forall ga_psum *leaf, ga_pallocdata **m, integer sc, ec;
      leaf_sums{L1, L2}(leaf, m, sc, ec) && unchanged{L2, L3}(leaf) ==> leaf_sums{L1, L3}(leaf, m, sc, ec);
*/

#endif
