/* ACSL logic: packed summaries (Go's pallocSum) and the summary of an abstract region,
 * with the merge lemma (docs/go-facts.md §13.2, §13.3, §21 "Merge").  Comments only. */
#ifndef GA_SPEC_PSUM_H
#define GA_SPEC_PSUM_H

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

  // ---- an abstract region ---------------------------------------------------------
  // rfree(p): page p of some address space is free.  Declared without any axiom, so
  // every fact proved about it holds for every set of free pages.
  axiomatic Region {
    predicate rfree(integer p);
  }

  // pages [j, j+n) are free
  predicate r_run(integer j, integer n) = \forall integer p; j <= p < j + n ==> rfree(p);

  // (s, m, e) is the summary of the N pages [a, a+N): s = free run at a, e = free run
  // ending at a+N-1, m = longest free run (one exists, none is longer)
  predicate r_start(integer a, integer N, integer s) =
      0 <= s <= N && r_run(a, s) && (s < N ==> !rfree(a + s));
  predicate r_end(integer a, integer N, integer e) =
      0 <= e <= N && r_run(a + N - e, e) && (e < N ==> !rfree(a + N - 1 - e));
  predicate r_has_run(integer a, integer N, integer m) =
      \exists integer j; a <= j && j + m <= a + N && r_run(j, m);
  predicate r_runs_le(integer a, integer N, integer m) =
      \forall integer j, l; a <= j && j + l <= a + N && r_run(j, l) ==> l <= m;
  predicate r_max(integer a, integer N, integer m) =
      0 <= m <= N && r_has_run(a, N, m) && r_runs_le(a, N, m);
  predicate r_sum(integer a, integer N, integer s, integer m, integer e) =
      r_start(a, N, s) && r_max(a, N, m) && r_end(a, N, e);

  // ---- the merge lemma: summaries of [a, c) and [c, c+N2), c = a + N1, give the
  // summary of [a, c+N2) exactly as mergeSummaries computes it.  (The midpoint c is a
  // variable of its own so that the provers can match these lemmas.) ---------------
  lemma r_sum_wf: \forall integer a, N, s, m, e; r_sum(a, N, s, m, e) ==>
      s <= m && e <= m && (m == N ==> s == N && e == N) && (m < N ==> s + e < N);

  lemma merge_start: \forall integer a, c, N1, N2, s1, s2;
      c == a + N1 && 0 <= N2 && r_start(a, N1, s1) && r_start(c, N2, s2) ==>
      r_start(a, N1 + N2, s1 == N1 ? N1 + s2 : s1);
  lemma merge_end: \forall integer a, c, N1, N2, e1, e2;
      c == a + N1 && 0 <= N1 && r_end(a, N1, e1) && r_end(c, N2, e2) ==>
      r_end(a, N1 + N2, e2 == N2 ? e1 + N2 : e2);
  lemma merge_cross: \forall integer a, c, N1, N2, e1, s2, j, l;
      c == a + N1 && r_end(a, N1, e1) && r_start(c, N2, s2) &&
      a <= j < c < j + l <= c + N2 && r_run(j, l) ==> l <= e1 + s2;
  lemma merge_max_bound: \forall integer a, c, N1, N2, m1, e1, s2, m2, j, l;
      c == a + N1 && r_max(a, N1, m1) && r_end(a, N1, e1) && r_max(c, N2, m2) && r_start(c, N2, s2) &&
      a <= j && j + l <= c + N2 && r_run(j, l) ==>
      l <= m1 || l <= m2 || l <= e1 + s2;
  lemma merge_cross_run: \forall integer a, c, N1, N2, e1, s2;
      c == a + N1 && r_end(a, N1, e1) && r_start(c, N2, s2) ==> r_run(c - e1, e1 + s2);
  lemma merge_ex3: \forall integer a, c, N1, N2, e1, s2;
      c == a + N1 && r_end(a, N1, e1) && r_start(c, N2, s2) ==>
      \exists integer j; j == c - e1 && a <= j && j + (e1 + s2) <= c + N2 && r_run(j, e1 + s2);
  lemma merge_runs_le: \forall integer a, c, d, N1, N2, m1, e1, s2, m2, M;
      c == a + N1 && d == N1 + N2 &&
      r_max(a, N1, m1) && r_end(a, N1, e1) && r_max(c, N2, m2) && r_start(c, N2, s2) &&
      m1 <= M && m2 <= M && e1 + s2 <= M ==> r_runs_le(a, d, M);
*/

/* The merge lemma itself is the contract of the ghost function ga_lemma_merge below: it
 * is instantiated by calling it (ghost code), and WP proves its body like any function's.
 * (Used in place of an ACSL lemma because SMT provers cannot find its instances alone.) */

/*@ ghost
  /@ requires c == a + N1 && d == N1 + N2 && 0 <= N1 && 0 <= N2;
     requires r_max(a, N1, m1) && r_end(a, N1, e1) && r_max(c, N2, m2) && r_start(c, N2, s2);
     requires M == m1 || M == m2 || M == e1 + s2;
     assigns \nothing;
     ensures r_has_run(a, d, M); @/
  static void ga_lemma_merge_has_run(int64_t a, int64_t c, int64_t d, int64_t N1, int64_t N2,
                                     int64_t m1, int64_t e1, int64_t s2, int64_t m2, int64_t M)
  {
    if (M == m1) {
      /@ assert r_has_run(a, N1, m1); @/
    } else if (M == m2) {
      /@ assert r_has_run(c, N2, m2); @/
    } else {
      /@ assert r_run(c - e1, e1 + s2); @/
      /@ assert a <= c - e1 && c - e1 + M <= a + d; @/
    }
  }

  /@ requires c == a + N1 && d == N1 + N2 && 0 <= N1 && 0 <= N2;
     requires r_sum(a, N1, s1, m1, e1) && r_sum(c, N2, s2, m2, e2);
     requires S == (s1 == N1 ? N1 + s2 : s1) && E == (e2 == N2 ? e1 + N2 : e2);
     requires M == m1 || M == m2 || M == e1 + s2;
     requires m1 <= M && m2 <= M && e1 + s2 <= M;
     assigns \nothing;
     ensures r_sum(a, d, S, M, E); @/
  static void ga_lemma_merge(int64_t a, int64_t c, int64_t d, int64_t N1, int64_t N2,
                             int64_t s1, int64_t m1, int64_t e1, int64_t s2, int64_t m2, int64_t e2,
                             int64_t S, int64_t M, int64_t E)
  {
    ga_lemma_merge_has_run(a, c, d, N1, N2, m1, e1, s2, m2, M);
    /@ assert r_start(a, d, S); @/
    /@ assert r_end(a, d, E); @/
    /@ assert r_runs_le(a, d, M); @/
    /@ assert 0 <= M <= d; @/
  }
*/

#endif
