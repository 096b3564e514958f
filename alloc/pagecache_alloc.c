/* Page caches, the word-level part (Go's pageCache.alloc / allocN, mpagecache.go; see
 * pagecache.h): taking pages out of a cache touches only the cache's three words, with
 * ctz, popcount and ga_find_bit_range64, and no loop.  These functions are in a file of
 * their own so that ci/prove proves exactly them (proofs/targets): full functional
 * contracts over spec/pagecache.h, with the contracts of ga_ctz64 / ga_popcount64
 * (bitops.h) and ga_find_bit_range64 (pallocbits.h) at their calls.  alloc_to_cache,
 * flush and check, which move blocks between pageAlloc and a cache, are in
 * pagecache.c. */
#include "pagecache.h"

#include "bitops.h"
#include "../spec/pagecache.h"

/* Ghost lemma functions (proofs only; see proofs/README.md): facts that need an
 * induction, proved by a loop whose invariant is the induction hypothesis. */
/*@ ghost
  // a shift by j + 1 is a shift by j and one more (WP's lsl_add / lsr_add, then lsl_1 /
  // lsr_1).  Lemma functions rather than ACSL lemmas: as lemmas, the provers would
  // instantiate them on every shift of every goal, each instance making a new shift.
  /@ requires 0 <= j;
     assigns \nothing;
     ensures (x << (j + 1)) == 2 * (x << j); @/
  static void ga_lemma_shl_succ(uint64_t x, int64_t j)
  {
    /@ assert (x << (j + 1)) == ((x << j) << 1); @/
  }

  /@ requires 0 <= j && 0 <= (x >> j);
     assigns \nothing;
     ensures (x >> (j + 1)) == (x >> j) / 2; @/
  static void ga_lemma_shr_succ(uint64_t x, int64_t j)
  {
    /@ assert (x >> (j + 1)) == ((x >> j) >> 1); @/
  }

  // a non-zero 64-bit word has a one bit (the provers know bits and magnitudes only
  // through shifts): going up from bit 0, x >> k stays below 2^(64-k), and stays
  // non-zero while every bit below k is zero; at k = 64 it is 0
  /@ requires x != 0;
     assigns \nothing;
     ensures \exists integer k; 0 <= k < 64 && bit(x, k); @/
  static void ga_lemma_nonzero_bit(uint64_t x)
  {
    uint64_t y = x;
    int64_t k = 0;
    /@ loop invariant 0 <= k <= 64 && y == (x >> k);
       loop invariant y < (1 << (64 - k));
       loop invariant zeros(x, 0, k) ==> y != 0;
       loop assigns y, k;
       loop variant 64 - k; @/
    while (k != 64) {
      ga_lemma_shr_succ(x, k);
      ga_lemma_shl_succ(1, 63 - k);
      /@ assert low: bit(y, 0) <==> bit(x, k); @/
      /@ assert one: y == 1 ==> bit(y, 0); @/
      y >>= 1;
      k++;
    }
  }

  // the code's run mask r << i, r = ~0 >> (64 - n), is 2^(n+i) - 2^i: no bit is
  // shifted out
  /@ requires 1 <= n && 0 <= i && n + i <= 64;
     assigns \nothing;
     ensures ((0xffffffffffffffff >> (64 - n)) << i) == (1 << (n + i)) - (1 << i);
     ensures ((0xffffffffffffffff >> (64 - n)) << i) <= 0xffffffffffffffff; @/
  static void ga_lemma_run_mask(int64_t n, int64_t i)
  {
    // r = ~0 >> (64 - n) is 2^n - 1: shift ~0 = 2^64 - 1 right one bit at a time
    int64_t t = 0;
    /@ loop invariant 0 <= t <= 64 - n;
       loop invariant (0xffffffffffffffff >> t) + 1 == (1 << (64 - t));
       loop assigns t;
       loop variant 64 - n - t; @/
    while (t != 64 - n) {
      ga_lemma_shr_succ(~(uint64_t)0, t);
      ga_lemma_shl_succ(1, 63 - t);
      t++;
    }
    uint64_t r = ~(uint64_t)0 >> (64 - n);
    int64_t j = 0;
    /@ loop invariant 0 <= j <= i;
       loop invariant (r << j) == (1 << (n + j)) - (1 << j);
       loop assigns j;
       loop variant i - j; @/
    while (j != i) {
      ga_lemma_shl_succ(r, j);
      ga_lemma_shl_succ(1, n + j);
      ga_lemma_shl_succ(1, j);
      j++;
    }
  }

  // the one bits of x under a mask of bits [lo, lo+n) are those of x >> lo below n
  /@ requires 0 <= lo && 0 <= n && lo + n <= 64;
     requires \forall integer k; 0 <= k < 64 ==> (bit(m, k) <==> lo <= k < lo + n);
     assigns \nothing;
     ensures nbits(x & m, 64) == nbits(x >> lo, n); @/
  static void ga_lemma_nbits_run(uint64_t x, uint64_t m, int64_t lo, int64_t n)
  {
    int64_t k = 0;
    /@ loop invariant 0 <= k <= lo && nbits(x & m, k) == 0;
       loop assigns k;
       loop variant lo - k; @/
    while (k != lo) {
      /@ assert !bit(x & m, k) && (((x & m) >> k) & 1) == 0; @/
      k++;
    }
    int64_t j = 0;
    /@ loop invariant 0 <= j <= n && nbits(x & m, lo + j) == nbits(x >> lo, j);
       loop assigns j;
       loop variant n - j; @/
    while (j != n) {
      /@ assert (((x & m) >> (lo + j)) & 1) == ((x >> (lo + j)) & 1); @/
      /@ assert (((x >> lo) >> j) & 1) == ((x >> (lo + j)) & 1); @/
      j++;
    }
    k = lo + n;
    /@ loop invariant lo + n <= k <= 64 && nbits(x & m, k) == nbits(x >> lo, n);
       loop assigns k;
       loop variant 64 - k; @/
    while (k != 64) {
      /@ assert !bit(x & m, k) && (((x & m) >> k) & 1) == 0; @/
      k++;
    }
  }
*/

/*@ requires \valid_read(c);
    assigns \nothing;
    ensures \result != 0 <==> c->cache == 0; */
bool ga_pagecache_empty(const ga_pagecache *c) { return c->cache == 0; }

/* The contract of both entry points: ga_pagecache_alloc is ga_pagecache_alloc_n with a
 * fast path for one page, and promises the same.  Written once, as a macro that
 * Frama-C's annotation preprocessing (-pp-annot, on with GNU cpp) expands in each
 * contract; only Frama-C sees it. */
// clang-format off
#ifdef __FRAMAC__
#define GA_PAGECACHE_ALLOC_SPEC \
    requires \valid(c);                                                                              \
    requires scav_bytes == \null || (\valid(scav_bytes) && \separated(c, scav_bytes));               \
    requires pc_base_ok(c->base, c->cache);                                                          \
    assigns c->cache, c->scav, *scav_bytes;                                                          \
    ensures pc_base_ok(c->base, c->cache);                                                           \
    ensures pc_scav_in_cache(\old(c->cache), \old(c->scav)) ==> pc_scav_in_cache(c->cache, c->scav); \
    behavior bad_npages:                                                                             \
      assumes npages == 0 || npages > 64;                                                            \
      ensures \result == 0 && c->cache == \old(c->cache) && c->scav == \old(c->scav);                \
      ensures scav_bytes != \null ==> *scav_bytes == 0;                                              \
    behavior no_run:                                                                                 \
      assumes 1 <= npages <= 64 && !has_run(c->cache, npages);                                       \
      ensures \result == 0 && c->cache == \old(c->cache) && c->scav == \old(c->scav);                \
      ensures scav_bytes != \null ==> *scav_bytes == 0;                                              \
    behavior run:                                                                                    \
      assumes 1 <= npages <= 64 && has_run(c->cache, npages);                                        \
      ensures \result != 0;                                                                          \
      ensures \result == c->base + PC_PAGE * pc_index(c->base, \result);                             \
      ensures lowest_run(\old(c->cache), npages, pc_index(c->base, \result));                        \
      ensures cleared(c->cache, \old(c->cache), pc_index(c->base, \result), npages);                 \
      ensures cleared(c->scav, \old(c->scav), pc_index(c->base, \result), npages);                   \
      ensures scav_bytes != \null ==>                                                                \
          *scav_bytes == PC_PAGE * nbits(\old(c->scav) >> pc_index(c->base, \result), npages);       \
    complete behaviors;                                                                              \
    disjoint behaviors;
#endif
// clang-format on

/*@ GA_PAGECACHE_ALLOC_SPEC */
uintptr_t ga_pagecache_alloc(ga_pagecache *c, size_t npages, size_t *scav_bytes) {
    if (npages != 1)
        return ga_pagecache_alloc_n(c, npages, scav_bytes);
    if (scav_bytes)
        *scav_bytes = 0;
    if (c->cache == 0)
        return 0;
    /*@ ghost ga_lemma_nonzero_bit(c->cache); */
    uint32_t i = ga_ctz64(c->cache); /* the lowest free page */
    /*@ assert same: c->cache == \at(c->cache, Pre) && c->scav == \at(c->scav, Pre) && c->base == \at(c->base, Pre); */
    /*@ assert run: i < 64 && lowest_run(\at(c->cache, Pre), 1, i) && has_run(\at(c->cache, Pre), 1); */
    /*@ assert base: 0 < c->base && c->base + PC_BLOCK <= 0xffffffffffffffff; */
    uint64_t bit = (uint64_t)1 << i;
    /*@ assert mask: \forall integer k; 0 <= k < 64 ==> (ones(bit, k, 1) <==> k == i); */
    if (scav_bytes)
        *scav_bytes = (size_t)((c->scav >> i) & 1) << GA_PAGE_SHIFT;
    /*@ assert bytes: scav_bytes != \null ==> *scav_bytes == PC_PAGE * nbits(\at(c->scav, Pre) >> i, 1); */
    c->cache &= ~bit;
    c->scav &= ~bit; /* handed out: the caller makes it Ready */
    /*@ assert cache: cleared(c->cache, \at(c->cache, Pre), i, 1); */
    /*@ assert scav: cleared(c->scav, \at(c->scav, Pre), i, 1); */
    /*@ assert ret: c->base == \at(c->base, Pre) && ((uintptr_t)i << GA_PAGE_SHIFT) == PC_PAGE * i; */
    return c->base + ((uintptr_t)i << GA_PAGE_SHIFT);
}

/*@ GA_PAGECACHE_ALLOC_SPEC */
uintptr_t ga_pagecache_alloc_n(ga_pagecache *c, size_t npages, size_t *scav_bytes) {
    if (scav_bytes)
        *scav_bytes = 0;
    if (npages == 0 || npages > GA_PAGECACHE_PAGES)
        return 0; /* no run of that length in 64 bits (Go leaves these undefined) */
    uint32_t i = ga_find_bit_range64(c->cache, (uint32_t)npages);
    /*@ assert same: c->cache == \at(c->cache, Pre) && c->scav == \at(c->scav, Pre) && c->base == \at(c->base, Pre); */
    /*@ assert found: i < 64 <==> has_run(\at(c->cache, Pre), npages); */
    if (i >= 64)
        return 0;
    /*@ assert run: lowest_run(\at(c->cache, Pre), npages, i); */
    /*@ assert base: 0 < c->base && c->base + PC_BLOCK <= 0xffffffffffffffff; */
    /*@ ghost ga_lemma_run_mask(npages, i); */
    uint64_t mask = (~(uint64_t)0 >> (64 - npages)) << i; /* npages = 64 only with i = 0 */
    /*@ assert mask: \forall integer k; 0 <= k < 64 ==> (bit(mask, k) <==> i <= k < i + npages); */
    /*@ ghost ga_lemma_nbits_run(c->scav, mask, i, npages); */
    if (scav_bytes)
        *scav_bytes = (size_t)ga_popcount64(c->scav & mask) << GA_PAGE_SHIFT;
    /*@ assert bytes: scav_bytes != \null ==> *scav_bytes == PC_PAGE * nbits(\at(c->scav, Pre) >> i, npages); */
    c->cache &= ~mask;
    c->scav &= ~mask;
    /*@ assert cache: cleared(c->cache, \at(c->cache, Pre), i, npages); */
    /*@ assert scav: cleared(c->scav, \at(c->scav, Pre), i, npages); */
    /*@ assert ret: c->base == \at(c->base, Pre) && ((uintptr_t)i << GA_PAGE_SHIFT) == PC_PAGE * i; */
    return c->base + ((uintptr_t)i << GA_PAGE_SHIFT);
}
