/* ACSL logic: the words of a page cache (alloc/pagecache.h, Go's pageCache) and what
 * taking a run of pages from them does (no C code; comments only).  Included by
 * alloc/pagecache_alloc.c after bitops.h (spec/bits.h: bit, ones, nbits). */
#ifndef GA_SPEC_PAGECACHE_H
#define GA_SPEC_PAGECACHE_H

#include "bits.h"

/*@
  // 64 pages of 8 KiB: the bytes of a cache block, and the address of its page i
  logic integer PC_PAGE = 8192;
  logic integer PC_BLOCK = 524288; // 64 * PC_PAGE

  // The part of P9 (docs/invariants.md) that alloc needs: a non-empty cache's base is a
  // real (non-zero) address whose block does not wrap, so base + PC_PAGE * i (i < 64)
  // neither wraps nor is 0.  (The other part, scav & ~cache == 0, alloc keeps.)
  predicate pc_base_ok(integer base, integer cache) =
      cache != 0 ==> 0 < base && base + PC_BLOCK <= 0xffffffffffffffff;
  // The other part of P9, scav & ~cache == 0, stated bit by bit (the same thing for
  // 64-bit words): every scavenged page of the cache is a cache page.
  predicate pc_scav_in_cache(integer cache, integer scav) =
      \forall integer k; 0 <= k < 64 ==> bit(scav, k) ==> bit(cache, k);

  // the page index of address a in the cache block at base
  logic integer pc_index(integer base, integer a) = (a - base) / PC_PAGE;

  // i is the lowest start of a run of n one bits in the 64-bit word x
  predicate lowest_run(integer x, integer n, integer i) =
      0 <= i && i + n <= 64 && ones(x, i, n) &&
      \forall integer j; 0 <= j < i ==> !ones(x, j, n);
  // x has a run of n one bits
  predicate has_run(integer x, integer n) = \exists integer i; 0 <= i && i + n <= 64 && ones(x, i, n);

  // the lowest run is unique: the separate "exists i" of a contract name the same i
  lemma lowest_run_unique: \forall integer x, n, i, j;
      lowest_run(x, n, i) && lowest_run(x, n, j) ==> i == j;
  // a word with a run has a one bit, so it is not 0
  lemma ones_first: \forall integer x, i, n; 1 <= n && ones(x, i, n) ==> bit(x, i);
  lemma bit_nonzero: \forall integer x, i; 0 <= i && bit(x, i) ==> x != 0;
  // runs of one page: one bits (ctz finds the lowest)
  lemma ones_one: \forall integer x, i; ones(x, i, 1) <==> bit(x, i);
  lemma has_run_one: \forall integer x; has_run(x, 1) <==> \exists integer k; 0 <= k < 64 && bit(x, k);
  lemma lowest_run_one: \forall integer x, i; 0 <= i < 64 && bit(x, i) && zeros(x, 0, i) ==> lowest_run(x, 1, i);

  // y is the 64-bit word x with bits [i, i+n) cleared (for 64-bit words x and y: the
  // value x & ~mask, mask = the n ones at bit i)
  predicate cleared(integer y, integer x, integer i, integer n) =
      \forall integer k; 0 <= k < 64 ==> (bit(y, k) <==> (bit(x, k) && !(i <= k < i + n)));

  // the code's (x >> i) & 1 is 0 or 1 (Qed knows it, the provers only from bit 0)
  lemma and1_range: \forall integer x; 0 <= (x & 1) <= 1;

  // nbits(x >> i, n) is the number of one bits of x among bits [i, i+n)
  lemma nbits_one: \forall integer x, i; 0 <= i ==> nbits(x >> i, 1) == ((x >> i) & 1);

  // ---- constants, by WP's Range tactic (proofs/pagecache_alloc.range): a case split on
  // n or k, Qed evaluates each case -----------------------------------------------------
  // 2^k for k in 0..64 (2^k <= 2^63 below 64: the code's 1 << i does not wrap)
  lemma pow2_cases: \forall integer k; 0 <= k <= 64 ==>
      1 <= (1 << k) <= 18446744073709551616 && (k < 64 ==> (1 << k) <= 9223372036854775808);
  // the code's x << GA_PAGE_SHIFT for a page index or a page count (0 .. 64)
  lemma page_shl_cases: \forall integer x; 0 <= x <= 64 ==> (x << 13) == PC_PAGE * x;
*/

#endif
