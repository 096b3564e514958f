/* Ghost lemma functions for the span counts of spec/mspan.h (no C code: ghost only).
 *
 * Each states an inductive fact as its contract and proves it with one ghost loop
 * whose invariant is the induction hypothesis ("auto-active" proof: WP proves the
 * contract like any other function, nothing is assumed).  The proved functions of
 * alloc/mspan.c call them in ghost code where the fact is needed.  Included by
 * alloc/mspan.c after spec/mspan.h. */
#ifndef GA_SPEC_MSPAN_LEMMAS_H
#define GA_SPEC_MSPAN_LEMMAS_H

#include "mspan.h"

/*@ ghost
  /@ requires f0 <= r <= n <= 1024;
     requires all_set(s->alloc_bits, f0, r);
     requires r < n ==> !sbit(s->alloc_bits, r);
     assigns \nothing;
     ensures found: r < n ==> nalloc(s->alloc_bits, r + 1, n) == nalloc(s->alloc_bits, f0, n) + 1;
     ensures full: r == n ==> nalloc(s->alloc_bits, n, n) == nalloc(s->alloc_bits, f0, n);
     ensures bound: r < n ==> nalloc(s->alloc_bits, r + 1, n) <= n; @/
  void ga_lemma_nalloc_next(const ga_mspan *s, uint32_t f0, uint32_t r, uint32_t n)
  {
    /@ loop invariant 0 <= k <= n;
       loop invariant r < n ==> nalloc(s->alloc_bits, r + 1, k) == nalloc(s->alloc_bits, f0, k) + (r < k ? 1 : 0);
       loop invariant r == n ==> nalloc(s->alloc_bits, n, k) == nalloc(s->alloc_bits, f0, k);
       loop invariant r < n ==> nalloc(s->alloc_bits, r + 1, k) <= k;
       loop assigns k;
       loop variant n - k; @/
    for (uint32_t k = 0; k < n; k++)
      ;
  }

  // the slot offsets grow with the slot index (multiplication is monotonic)
  /@ requires a <= b;
     assigns \nothing;
     ensures 0 <= a * c <= b * c; @/
  void ga_lemma_mul_le(uint64_t a, uint64_t b, uint64_t c)
  {
  }

  /@ requires w < 16;
     assigns \nothing;
     ensures nset(GA_BM(p), 64 * w + 64) == nset(GA_BM(p), 64 * w) + nbits(GA_BM(p)[w], 64); @/
  void ga_lemma_nset_word(const uint64_t *p, uint32_t w)
  {
    /@ loop invariant 0 <= k <= 64;
       loop invariant nset(GA_BM(p), 64 * w + k) == nset(GA_BM(p), 64 * w) + nbits(GA_BM(p)[w], k);
       loop assigns k;
       loop variant 64 - k; @/
    for (int k = 0; k < 64; k++) {
      /@ assert sbitv(GA_BM(p), 64 * w + k) == ((GA_BM(p)[w] >> k) & 1); @/
    }
  }

  /@ requires n <= m <= 1024;
     requires \forall integer i; n <= i < m ==> !sbit(GA_BM(p), i);
     assigns \nothing;
     ensures nset(GA_BM(p), m) == nset(GA_BM(p), n); @/
  void ga_lemma_nset_zero(const uint64_t *p, uint32_t n, uint32_t m)
  {
    /@ loop invariant n <= k <= m;
       loop invariant nset(GA_BM(p), k) == nset(GA_BM(p), n);
       loop assigns k;
       loop variant m - k; @/
    for (uint32_t k = n; k < m; k++)
      ;
  }
*/

#endif
