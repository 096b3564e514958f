/* ACSL logic: packed summaries (Go's pallocSum) and the summary of a region of pages of
 * the chunk bitmaps in memory, with the merge lemma (docs/go-facts.md §13.2, §13.3, §21
 * "Merge").  Comments only. */
#ifndef GA_SPEC_PSUM_H
#define GA_SPEC_PSUM_H

#include "../alloc/pallocbits.h" /* ga_pallocdata, the chunk the region is made of */
#include "chunk.h"

/*@
  // ---- packing: three 21-bit fields at bits 0, 21, 42; 2^63 when max == 2^21 -----
  logic integer PSUM_N = 2097152;                 // 2^21
  logic integer PSUM_BIG = 9223372036854775808;   // 2^63

  logic integer psum_start(integer s) = s >= PSUM_BIG ? PSUM_N : s % PSUM_N;
  logic integer psum_max(integer s) = s >= PSUM_BIG ? PSUM_N : s / PSUM_N % PSUM_N;
  logic integer psum_end(integer s) = s >= PSUM_BIG ? PSUM_N : s / (PSUM_N * PSUM_N) % PSUM_N;
  logic integer psum_pack(integer st, integer m, integer e) =
      m == PSUM_N ? PSUM_BIG : st + m * PSUM_N + e * (PSUM_N * PSUM_N);

  // the region sizes of the radix levels below the root: 2^9 .. 2^18 pages (WP's Range
  // tactic splits on k, -wp-auto wp:range; Qed evaluates each case)
  lemma shl1_range: \forall integer k; 9 <= k <= 18 ==> 512 <= (1 << k) <= 262144;

  // the fields a summary can have: all 2^21 (a whole free 2^21-page region), or each < 2^21
  predicate psum_fields(integer st, integer m, integer e) =
      (st == PSUM_N && m == PSUM_N && e == PSUM_N) ||
      (0 <= st < PSUM_N && 0 <= m < PSUM_N && 0 <= e < PSUM_N);

  lemma psum_roundtrip: \forall integer st, m, e; psum_fields(st, m, e) ==>
      psum_start(psum_pack(st, m, e)) == st && psum_max(psum_pack(st, m, e)) == m &&
      psum_end(psum_pack(st, m, e)) == e && 0 <= psum_pack(st, m, e) < 18446744073709551616;

  // ---- mergeSummaries as a function of the 8 children's values c0 .. c7 ------------
  // (values, not memory: a statement about entries of the summary tree then survives
  // writes to other entries).  One step merges the first k children (K = k n pages,
  // fields s, m, e) with child k (fields cs, cm, ce); mg_sk, mg_mk, mg_ek are the fields
  // of the first k children's merge, spelled out for k = 1 .. 8 rather than defined
  // recursively: the SMT provers unfold a recursive definition without end.
  logic integer mstep_s(integer s, integer K, integer cs) = s == K ? K + cs : s;
  logic integer mstep_m(integer m, integer e, integer cs, integer cm) = \max(\max(m, e + cs), cm);
  logic integer mstep_e(integer e, integer n, integer ce) = ce == n ? e + n : ce;
  logic integer mg_s1(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      psum_start(c0);
  logic integer mg_m1(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      psum_max(c0);
  logic integer mg_e1(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      psum_end(c0);
  logic integer mg_s2(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_s(mg_s1(c0, c1, c2, c3, c4, c5, c6, c7, n), 1 * n, psum_start(c1));
  logic integer mg_m2(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_m(mg_m1(c0, c1, c2, c3, c4, c5, c6, c7, n),
              mg_e1(c0, c1, c2, c3, c4, c5, c6, c7, n), psum_start(c1), psum_max(c1));
  logic integer mg_e2(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_e(mg_e1(c0, c1, c2, c3, c4, c5, c6, c7, n), n, psum_end(c1));
  logic integer mg_s3(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_s(mg_s2(c0, c1, c2, c3, c4, c5, c6, c7, n), 2 * n, psum_start(c2));
  logic integer mg_m3(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_m(mg_m2(c0, c1, c2, c3, c4, c5, c6, c7, n),
              mg_e2(c0, c1, c2, c3, c4, c5, c6, c7, n), psum_start(c2), psum_max(c2));
  logic integer mg_e3(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_e(mg_e2(c0, c1, c2, c3, c4, c5, c6, c7, n), n, psum_end(c2));
  logic integer mg_s4(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_s(mg_s3(c0, c1, c2, c3, c4, c5, c6, c7, n), 3 * n, psum_start(c3));
  logic integer mg_m4(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_m(mg_m3(c0, c1, c2, c3, c4, c5, c6, c7, n),
              mg_e3(c0, c1, c2, c3, c4, c5, c6, c7, n), psum_start(c3), psum_max(c3));
  logic integer mg_e4(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_e(mg_e3(c0, c1, c2, c3, c4, c5, c6, c7, n), n, psum_end(c3));
  logic integer mg_s5(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_s(mg_s4(c0, c1, c2, c3, c4, c5, c6, c7, n), 4 * n, psum_start(c4));
  logic integer mg_m5(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_m(mg_m4(c0, c1, c2, c3, c4, c5, c6, c7, n),
              mg_e4(c0, c1, c2, c3, c4, c5, c6, c7, n), psum_start(c4), psum_max(c4));
  logic integer mg_e5(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_e(mg_e4(c0, c1, c2, c3, c4, c5, c6, c7, n), n, psum_end(c4));
  logic integer mg_s6(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_s(mg_s5(c0, c1, c2, c3, c4, c5, c6, c7, n), 5 * n, psum_start(c5));
  logic integer mg_m6(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_m(mg_m5(c0, c1, c2, c3, c4, c5, c6, c7, n),
              mg_e5(c0, c1, c2, c3, c4, c5, c6, c7, n), psum_start(c5), psum_max(c5));
  logic integer mg_e6(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_e(mg_e5(c0, c1, c2, c3, c4, c5, c6, c7, n), n, psum_end(c5));
  logic integer mg_s7(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_s(mg_s6(c0, c1, c2, c3, c4, c5, c6, c7, n), 6 * n, psum_start(c6));
  logic integer mg_m7(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_m(mg_m6(c0, c1, c2, c3, c4, c5, c6, c7, n),
              mg_e6(c0, c1, c2, c3, c4, c5, c6, c7, n), psum_start(c6), psum_max(c6));
  logic integer mg_e7(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_e(mg_e6(c0, c1, c2, c3, c4, c5, c6, c7, n), n, psum_end(c6));
  logic integer mg_s8(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_s(mg_s7(c0, c1, c2, c3, c4, c5, c6, c7, n), 7 * n, psum_start(c7));
  logic integer mg_m8(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_m(mg_m7(c0, c1, c2, c3, c4, c5, c6, c7, n),
              mg_e7(c0, c1, c2, c3, c4, c5, c6, c7, n), psum_start(c7), psum_max(c7));
  logic integer mg_e8(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                      integer c7, integer n) =
      mstep_e(mg_e7(c0, c1, c2, c3, c4, c5, c6, c7, n), n, psum_end(c7));
  // the packed merge of 8 children of 2^log_n pages each
  logic integer merge8(integer c0, integer c1, integer c2, integer c3, integer c4, integer c5, integer c6,
                       integer c7, integer log_n) =
      psum_pack(mg_s8(c0, c1, c2, c3, c4, c5, c6, c7, 1 << log_n),
                mg_m8(c0, c1, c2, c3, c4, c5, c6, c7, 1 << log_n),
                mg_e8(c0, c1, c2, c3, c4, c5, c6, c7, 1 << log_n));

  // P1: the fields of a summary of N pages are consistent (what r_sum_wf proves of every
  // region's summary; ga_psum_ok in pagealloc_impl.h)
  predicate fields_wf(integer s, integer m, integer e, integer N) =
      0 <= s <= m <= N && 0 <= e <= m && (m == N ==> s == N && e == N) && (m < N ==> s + e < N);
  predicate psum_wf(integer x, integer N) = fields_wf(psum_start(x), psum_max(x), psum_end(x), N);

  // ---- a region of pages: the chunk bitmaps in memory ------------------------------
  // m is a chunk map as pageAlloc's (p->chunks): L2 block m[i] holds chunks 8192 i ..
  // 8192 i + 8191 (GA_PALLOC_L2_CHUNKS).  Page p (of the offset address space: p =
  // off >> 13) is page p % 512 of chunk p / 512, free when its alloc bit is clear.
  logic uint64_t *chunk_alloc{L}(ga_pallocdata **m, integer ci) = &m[ci / 8192][ci % 8192].alloc[0];
  predicate rfree{L}(ga_pallocdata **m, integer p) = !pg(chunk_alloc(m, p / 512), p % 512);

  // pages [j, j+n) are free
  predicate r_run{L}(ga_pallocdata **cs, integer j, integer n) = \forall integer p; j <= p < j + n ==> rfree(cs, p);

  // (s, m, e) is the summary of the N pages [a, a+N): s = free run at a, e = free run
  // ending at a+N-1, m = longest free run (one exists, none is longer)
  predicate r_start{L}(ga_pallocdata **cs, integer a, integer N, integer s) =
      0 <= s <= N && r_run(cs, a, s) && (s < N ==> !rfree(cs, a + s));
  predicate r_end{L}(ga_pallocdata **cs, integer a, integer N, integer e) =
      0 <= e <= N && r_run(cs, a + N - e, e) && (e < N ==> !rfree(cs, a + N - 1 - e));
  predicate r_has_run{L}(ga_pallocdata **cs, integer a, integer N, integer m) =
      \exists integer j; a <= j && j + m <= a + N && r_run(cs, j, m);
  predicate r_runs_le{L}(ga_pallocdata **cs, integer a, integer N, integer m) =
      \forall integer j, l; a <= j && j + l <= a + N && r_run(cs, j, l) ==> l <= m;
  predicate r_max{L}(ga_pallocdata **cs, integer a, integer N, integer m) =
      0 <= m <= N && r_has_run(cs, a, N, m) && r_runs_le(cs, a, N, m);
  predicate r_sum{L}(ga_pallocdata **cs, integer a, integer N, integer s, integer m, integer e) =
      r_start(cs, a, N, s) && r_max(cs, a, N, m) && r_end(cs, a, N, e);

  // chunk ci's pages in the region are its bitmap's pages
  lemma rfree_chunk{L}: \forall ga_pallocdata **cs, integer ci, p; 0 <= ci && 512 * ci <= p < 512 * ci + 512 ==>
      (rfree(cs, p) <==> !pg(chunk_alloc(cs, ci), p - 512 * ci));

  lemma r_sum_wf{L}: \forall ga_pallocdata **cs, integer a, N, s, m, e; r_sum(cs, a, N, s, m, e) ==>
      s <= m && e <= m && (m == N ==> s == N && e == N) && (m < N ==> s + e < N);

*/

#endif
