/* ACSL logic: span bitmaps and the mspan invariants S2, S3, S5-S8 (docs/go-facts.md §5.2, §21).
 * Comments only; included by alloc/mspan.c after mspan.h.
 *
 * A span bitmap is the array VALUE of its 16 words (uint64_t b[16]), not a pointer into
 * memory: a logic function of an array value is unchanged by a store to another field
 * of the span, so "the count after" and "the count before" can be compared without
 * frame lemmas (WP proves the two array values equal when the words are not assigned).
 * GA_BM(p) is the array value of the 16 words at p, for functions that take a pointer.
 *
 * Inductive facts about the counting functions are proved by the ghost lemma functions
 * of alloc/mspan.c (a loop whose invariant is the induction hypothesis); the ACSL
 * lemmas here need no induction and are proved by Z3/CVC4 directly. */
#ifndef GA_SPEC_MSPAN_H
#define GA_SPEC_MSPAN_H

#include <stdint.h>

#include "bits.h"
#include "../alloc/mspan.h"

#define GA_BM(p) (*(uint64_t(*)[16])(p))
#define GA_SPAN_OK(s) span_ok((s)->nelems, (s)->freeindex, (s)->alloc_cache, (s)->alloc_bits)
#define GA_S7(s) s7((s)->alloc_count, (s)->nelems, (s)->freeindex, (s)->alloc_bits)

/*@
  // ---- bit i of a span bitmap ---------------------------------------------------
  // bit i % 64 of word i / 64 (slot i's bit)
  predicate sbit(uint64_t b[16], integer i) = bit(b[i / 64], i % 64);
  // the same bit as a number, 0 or 1
  logic integer sbitv(uint64_t b[16], integer i) = (b[i / 64] >> (i % 64)) & 1;

  lemma word_of: \forall integer w, k; 0 <= w && 0 <= k < 64 ==> (64 * w + k) / 64 == w && (64 * w + k) % 64 == k;
  lemma sbit_word: \forall uint64_t b[16], integer w, k; 0 <= w && 0 <= k < 64 ==>
      (sbit(b, 64 * w + k) <==> bit(b[w], k));
  lemma sbitv_word: \forall uint64_t b[16], integer w, k; 0 <= w && 0 <= k < 64 ==>
      sbitv(b, 64 * w + k) == ((b[w] >> k) & 1);
  lemma sbitv_sbit: \forall uint64_t b[16], integer i; 0 <= i ==>
      (sbitv(b, i) == 1 <==> sbit(b, i)) && (sbitv(b, i) == 0 <==> !sbit(b, i));

  // ---- counts --------------------------------------------------------------------
  // number of set bits among bits [0, n) of b
  logic integer nset(uint64_t b[16], integer n) = n <= 0 ? 0 : nset(b, n - 1) + sbitv(b, n - 1);

  // S6/S7: number of allocated slots among [0, n) of a span with freeindex f and alloc
  // bits b, where slot i is allocated iff i < f or bit i of b is set
  logic integer nalloc(uint64_t b[16], integer f, integer n) =
      n <= 0 ? 0 : nalloc(b, f, n - 1) + (n - 1 < f ? 1 : sbitv(b, n - 1));

  // ---- the span invariants --------------------------------------------------------
  // They take field values (n = nelems, f = freeindex, cache = alloc_cache, b =
  // alloc_bits, count = alloc_count), not a pointer to the span: WP then reads each field
  // in the state where the predicate is used, and its simplifier resolves those reads
  // across the stores of the code.  GA_SPAN_OK(s) / GA_S7(s) apply them to *s.

  // S6: slot i is allocated
  predicate allocated(uint64_t b[16], integer f, integer i) = i < f || sbit(b, i);

  // S5: the bits from n up to the next multiple of 64 are zero
  predicate padding_zero(uint64_t b[16], integer n) =
      \forall integer i; n <= i < 64 * ((n + 63) / 64) ==> !sbit(b, i);

  // S8 for freeindex f: bit j of cache is set iff slot f + j is free in b, for the
  // 64 - f % 64 slots left in f's word; the top f % 64 bits are zero
  predicate window(integer cache, uint64_t b[16], integer f) =
      \forall integer j; 0 <= j < 64 ==> (bit(cache, j) <==> (j < 64 - f % 64 && !sbit(b, f + j)));
  predicate s8(integer n, integer f, integer cache, uint64_t b[16]) = f < n ==> window(cache, b, f);

  // what the bitmap functions need of a span: at most 1024 slots, S2, S5 (alloc bits), S8
  predicate span_ok(integer n, integer f, integer cache, uint64_t b[16]) =
      n <= 1024 && f <= n && padding_zero(b, n) && s8(n, f, cache, b);

  // S7: the count is the number of allocated slots
  predicate s7(integer count, integer n, integer f, uint64_t b[16]) = count == nalloc(b, f, n);

  // the address of slot r of a span
  logic integer slot_addr(integer base, integer elemsize, integer r) = base + r * elemsize;
  // no slot lies below the span's base (so a slot of a span based above 0 is not 0)
  lemma slot_addr_ge: \forall integer base, elemsize, r; 0 <= elemsize && 0 <= r ==>
      slot_addr(base, elemsize, r) >= base;

  // r is the lowest slot in [f, n) whose bit is clear in b
  predicate lowest_free(uint64_t b[16], integer f, integer n, integer r) =
      f <= r < n && !sbit(b, r) && \forall integer i; f <= i < r ==> sbit(b, i);
  // nextFreeFast can take slot r: the lowest free slot from f, in f's word, and not the
  // last slot of that word unless it is the last of the span (no refill needed)
  predicate fast_slot(uint64_t b[16], integer f, integer n, integer r) =
      lowest_free(b, f, n, r) && r / 64 == f / 64 && (r % 64 != 63 || r + 1 == n);
  // nextFreeFast takes a slot (some slot can be taken as above)
  predicate fast_take(uint64_t b[16], integer f, integer n) = \exists integer r; fast_slot(b, f, n, r);
  lemma lowest_free_unique: \forall uint64_t b[16], integer f, n, r1, r2;
      lowest_free(b, f, n, r1) && lowest_free(b, f, n, r2) ==> r1 == r2;
  // every slot in [f, n) has its bit set
  predicate all_set(uint64_t b[16], integer f, integer n) =
      \forall integer i; f <= i < n ==> sbit(b, i);

  // what ctz of a window tells (S8 and ctz's contract)
  lemma window_hit: \forall uint64_t c, uint64_t b[16], integer f, t;
      0 <= f && window(c, b, f) && 0 <= t < 64 && bit(c, t) ==> t < 64 - f % 64 && !sbit(b, f + t);
  lemma window_at: \forall uint64_t c, uint64_t b[16], integer f, i;
      0 <= f <= i < f - f % 64 + 64 && window(c, b, f) ==> (bit(c, i - f) <==> !sbit(b, i));
  lemma window_skip: \forall uint64_t c, uint64_t b[16], integer f, t;
      0 <= f && window(c, b, f) && 0 <= t <= 64 - f % 64 && zeros(c, 0, t) ==> all_set(b, f, f + t);
  lemma window_empty: \forall uint64_t c, uint64_t b[16], integer f;
      0 <= f && window(c, b, f) && zeros(c, 0, 64) ==> all_set(b, f, f - f % 64 + 64);

  // taking slot f + t out of the window: shift it out (the C code's (c >> t) >> 1)
  lemma window_next: \forall uint64_t c, uint64_t b[16], integer f, t;
      0 <= f && 0 <= t && f % 64 + t + 1 < 64 && window(c, b, f) ==>
      window((c >> t) >> 1, b, f + t + 1);
  // a new word: the complement of the word's alloc bits
  lemma window_word: \forall uint64_t c, uint64_t b[16], integer w;
      0 <= w && c == (uint64_t)~b[w] ==> window(c, b, 64 * w);

  // ---- sweeping ----------------------------------------------------------------------
  // slot i survives the sweep of a span with alloc bits a and freeindex f: it was
  // allocated (S6), it is marked in m (a free sweep passes all ones) and not freed in fr
  predicate live_after(uint64_t a[16], integer f, uint64_t m[16], uint64_t fr[16], integer i) =
      allocated(a, f, i) && sbit(m, i) && !sbit(fr, i);

  // the word arithmetic of the scans
  lemma next_word: \forall integer f; 0 <= f ==>
      f - f % 64 + 64 > f && (f - f % 64 + 64) % 64 == 0 && f - f % 64 + 64 == 64 * (f / 64) + 64;
*/

#endif
