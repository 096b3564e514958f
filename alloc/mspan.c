/* mspan bitmaps: the free-slot search of a span (Go's mbitmap.go refillAllocCache,
 * nextFreeIndex, countAlloc and malloc.go nextFreeFast), docs/go-facts.md §5.3-5.6.
 *
 * A span's allocation state is freeindex F plus alloc_bits A: slot i is allocated iff
 * i < F or A[i] (S6).  alloc_cache is a shifted, complemented copy of the 64-bit word of
 * A holding slot F, so that ctz(alloc_cache) is the distance from F to the next free
 * slot of that word (S8: alloc_cache = ~A.word(F/64) >> (F%64)).  Searching therefore
 * costs one ctz per allocation and one word load per 64 slots.
 *
 * Also the word computation of a span sweep (ga_mspan_sweep_bits: sweep.c takes the mark
 * and freed bits with atomics and hands them over) and nextFree on a span
 * (ga_mspan_next_free: the fast path, else nextFreeIndex), which mcache.c calls.
 *
 * These functions are proved with Frama-C WP (-wp-rte; ci/prove, proofs/README.md):
 * each is small, has at most one loop and calls only each other, ga_ctz64 /
 * ga_popcount64 of bitops.h, whose contracts the proofs here use (the header is proved
 * as a target of its own; the compiler builtins of its library bodies are trusted to
 * meet those contracts: proofs/TRUSTED.md), and the two atomic stores below, whose
 * contracts are trusted.  The contracts are stated over the logic of
 * spec/mspan.h (bit i of a bitmap, the S5/S7/S8 invariants, the slot count); the named
 * assertions spell out each step for the provers, and the calls to the ghost lemma
 * functions below supply the facts that need induction.  Ghost code and annotations
 * compile to nothing.
 *
 * Shifts: Go's `allocCache >>= bit + 1` relies on a shift by 64 yielding 0; in C that is
 * undefined, so it is written (x >> tz) >> 1 (tz <= 63). */
#include "mspan.h"

#include "bitops.h"
#include "../spec/mspan.h"

/* ------------------------------------------------------------------------------------
 * Ghost lemma functions (proof only: inside ACSL comments, they compile to nothing).
 * Each states a fact the contracts below need as its contract, and WP proves it like
 * any function: the inductive facts about the counts of spec/mspan.h with one ghost
 * loop whose invariant is the induction hypothesis, the others by a single instance of
 * a spec/ lemma.  The proved functions call them in ghost code where the fact is
 * needed. */

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

  // a refill from word w of the alloc bits gives the window of slot 64 * w (S8)
  /@ requires w < 16;
     assigns \nothing;
     ensures window((uint64_t)~s->alloc_bits[w], s->alloc_bits, 64 * w); @/
  void ga_lemma_window_word(const ga_mspan *s, uint32_t w)
  {
  }

  // the slot after f + t starts a new word exactly when f + t is the last of f's word
  /@ requires f <= 1024 && t < 64 - f % 64;
     assigns \nothing;
     ensures ((f + t + 1) % 64 == 0 <==> f % 64 + t == 63); @/
  void ga_lemma_next_slot(uint32_t f, uint32_t t)
  {
  }

  // the slot offsets grow with the slot index (multiplication is monotonic)
  /@ requires a <= b;
     assigns \nothing;
     ensures 0 <= a * c <= b * c; @/
  void ga_lemma_mul_le(uint64_t a, uint64_t b, uint64_t c)
  {
  }

  /@ requires w < 16 && k < 64;
     assigns \nothing;
     ensures sbitv(GA_BM(p), 64 * w + k) == ((GA_BM(p)[w] >> k) & 1); @/
  void ga_lemma_sbitv_word(const uint64_t *p, uint32_t w, uint32_t k)
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
    for (uint32_t k = 0; k < 64; k++)
      ga_lemma_sbitv_word(p, w, k);
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

  // with freeindex 0 the allocated slots are the set bits (S7 after a sweep)
  /@ requires n <= 1024;
     assigns \nothing;
     ensures nalloc(s->alloc_bits, 0, n) == nset(s->alloc_bits, n) <= n; @/
  void ga_lemma_nalloc_nset(const ga_mspan *s, uint32_t n)
  {
    /@ loop invariant 0 <= k <= n;
       loop invariant nalloc(s->alloc_bits, 0, k) == nset(s->alloc_bits, k) <= k;
       loop assigns k;
       loop variant n - k; @/
    for (uint32_t k = 0; k < n; k++)
      ;
  }
*/

/* ------------------------------------------------------------------------------------
 * Stores that other threads may read.  freeindex and alloc_bits are written only by the
 * span's owner, but ga_span_slot_allocated (malloc.c: the pointer validation of ga_free,
 * ga_mark, ga_object_base...) reads them from any thread, so the owner stores them with
 * C11 atomics (GCC's __atomic builtins on the plain fields) and that reader loads them
 * atomically: no data race.  The owner's own reads stay plain: nobody else writes these
 * fields while it owns the span (ownership passes through locks and sweepgen CASes).
 *
 * freeindex is stored with release, and read with acquire, because the value a reader
 * gets may come after a sweep rewrote alloc_bits (the sweep's reset to 0, or a later
 * advance by the next owner, which acquired the span after that sweep): a reader that
 * sees such a freeindex must also see the sweep's alloc_bits, else a live slot at or
 * above it whose bit the sweep set (it was below the old freeindex, bit clear) looks
 * free.  Relaxed suffices for the alloc_bits words: the sweep stores them before its
 * release store of freeindex, which publishes them.  On x86 both are plain moves.
 *
 * Frama-C does not know the __atomic builtins: it sees these declarations, whose
 * contracts (a store of the value, nothing else assigned) are trusted
 * (proofs/mspan.trusted, proofs/TRUSTED.md): in the thread that stores, an atomic store
 * is a store. */
#ifdef __FRAMAC__
/*@ requires \valid(s);
    assigns s->freeindex;
    ensures s->freeindex == f; */
static void store_freeindex(ga_mspan *s, uint32_t f);
/*@ requires \valid(s) && w < 16;
    assigns s->alloc_bits[w];
    ensures s->alloc_bits[w] == v; */
static void store_alloc_word(ga_mspan *s, uint32_t w, uint64_t v);
#ifdef GA_EACSL
/* The E-ACSL build (eacsl/instrument.py; its replays are single-threaded) needs bodies
 * Frama-C can parse: plain stores, checked there against the contracts above. */
static void store_freeindex(ga_mspan *s, uint32_t f) { s->freeindex = f; }
static void store_alloc_word(ga_mspan *s, uint32_t w, uint64_t v) { s->alloc_bits[w] = v; }
#endif
#else
static inline void store_freeindex(ga_mspan *s, uint32_t f) { __atomic_store_n(&s->freeindex, f, __ATOMIC_RELEASE); }
static inline void store_alloc_word(ga_mspan *s, uint32_t w, uint64_t v) {
    __atomic_store_n(&s->alloc_bits[w], v, __ATOMIC_RELAXED);
}
#endif

/* ------------------------------------------------------------------------------------
 * The bitmap functions. */

/* refillAllocCache: word is a word index (Go passes the byte index 8*word). */
/*@ requires \valid(s) && word < 16;
    assigns s->alloc_cache;
    ensures value: s->alloc_cache == (uint64_t)~s->alloc_bits[word];
    ensures window: window(s->alloc_cache, s->alloc_bits, 64 * word);
    ensures s8: s->freeindex == 64 * word ==> s8(s->nelems, s->freeindex, s->alloc_cache, s->alloc_bits); */
void ga_mspan_refill_alloc_cache(ga_mspan *s, uint32_t word) {
    //@ ghost ga_lemma_window_word(s, word);
    s->alloc_cache = ~s->alloc_bits[word];
}

/* nextFreeIndex.  Precondition: F <= N and S8 when F < N.  The refill of the cache is
 * written inline (no call) to keep the function self-contained for the proof. */
/*@ requires \valid(s);
    requires GA_SPAN_OK(s);
    assigns s->freeindex, s->alloc_cache;
    ensures range: \old(s->freeindex) <= \result <= s->nelems;
    ensures skipped: all_set(s->alloc_bits, \old(s->freeindex), \result);
    ensures ok: GA_SPAN_OK(s);
    behavior found:
      assumes !all_set(s->alloc_bits, s->freeindex, s->nelems);
      ensures lowest: lowest_free(s->alloc_bits, \old(s->freeindex), s->nelems, \result);
      ensures advance: s->freeindex == \result + 1;
      ensures count: nalloc(s->alloc_bits, s->freeindex, s->nelems) ==
                     \old(nalloc(s->alloc_bits, s->freeindex, s->nelems)) + 1;
    behavior full:
      assumes all_set(s->alloc_bits, s->freeindex, s->nelems);
      ensures none: \result == s->nelems && s->freeindex == s->nelems;
      ensures count: nalloc(s->alloc_bits, s->freeindex, s->nelems) ==
                     \old(nalloc(s->alloc_bits, s->freeindex, s->nelems));
    complete behaviors;
    disjoint behaviors; */
uint32_t ga_mspan_next_free_index(ga_mspan *s) {
    uint32_t f = s->freeindex;
    uint32_t n = s->nelems;
    //@ ghost uint32_t f0 = f;
    if (f >= n) {
        //@ assert skipped0: all_set(s->alloc_bits, \at(s->freeindex, Pre), n);
        return n;
    }

    uint64_t cache = s->alloc_cache;
    uint32_t tz = ga_ctz64(cache);
    /*@ loop invariant f0 <= f < n;
        loop invariant window(cache, s->alloc_bits, f);
        loop invariant all_set(s->alloc_bits, f0, f);
        loop invariant 0 <= tz <= 64 && zeros(cache, 0, tz) && (tz < 64 ==> bit(cache, tz));
        loop assigns f, cache, tz;
        loop variant n - f; */
    while (tz == 64) {
        /* No free slot left in this window: move to the next 64-aligned word. */
        //@ assert rest: all_set(s->alloc_bits, f, f - f % 64 + 64);
        f = f - f % 64u + 64u;
        //@ assert f % 64 == 0 && f == 64 * (f / 64) && all_set(s->alloc_bits, f0, f);
        if (f >= n)
            goto full;
        uint32_t w = f / 64u;
        //@ assert w == f / 64 && 64 * w == f && w < 16;
        //@ ghost ga_lemma_window_word(s, w);
        cache = ~s->alloc_bits[w];
        //@ assert fresh: window(cache, s->alloc_bits, f);
        tz = ga_ctz64(cache);
    }

    uint32_t result = f + tz;
    //@ assert hit: result == f + tz && tz < 64 - f % 64 && !sbit(s->alloc_bits, result);
    //@ assert skip: all_set(s->alloc_bits, f, result);
    //@ assert low: all_set(s->alloc_bits, f0, result);
    if (result >= n)
        goto full; /* only padding bits (slots >= N, zero in A by S5) looked free */
    //@ assert found: lowest_free(s->alloc_bits, f0, n, result);
    //@ ghost ga_lemma_nalloc_next(s, f0, result, n);
    //@ ghost ga_lemma_next_slot(f, tz);
    //@ assert shifted: (result + 1) % 64 != 0 ==> window((cache >> tz) >> 1, s->alloc_bits, result + 1);
    cache = (cache >> tz) >> 1;
    f = result + 1;
    //@ assert f == result + 1;
    //@ assert shifted2: f % 64 != 0 ==> window(cache, s->alloc_bits, f);
    if (f % 64u == 0 && f != n) {
        uint32_t w = f / 64u;
        //@ assert w == f / 64 && 64 * w == f && w < 16;
        //@ ghost ga_lemma_window_word(s, w);
        cache = ~s->alloc_bits[w]; /* crossed into the next word: refill (S8) */
        //@ assert refilled: window(cache, s->alloc_bits, f);
    }
    //@ assert next: f < n ==> window(cache, s->alloc_bits, f);
    s->alloc_cache = cache;
    store_freeindex(s, f);
    //@ assert skipped1: all_set(s->alloc_bits, \at(s->freeindex, Pre), result);
    return result;

full:
    //@ assert all: all_set(s->alloc_bits, f0, n);
    //@ ghost ga_lemma_nalloc_next(s, f0, n, n);
    s->alloc_cache = cache;
    store_freeindex(s, n);
    //@ assert skipped2: all_set(s->alloc_bits, \at(s->freeindex, Pre), n);
    return n;
}

/* nextFreeFast: lock-free fast path of mallocgc.  Declines (returns 0) whenever the
 * slow path would have to refill the cache: no free bit in the window, a free bit past
 * nelems, or a slot that is the last of its 64-slot window but not of the span. */
/*@ requires \valid(s);
    requires GA_SPAN_OK(s) && s->alloc_count <= s->nelems;
    requires bytes: s->base + s->nelems * s->elemsize <= UINTPTR_MAX;
    assigns s->alloc_cache, s->freeindex, s->alloc_count;
    behavior take:
      assumes fast_take(s->alloc_bits, s->freeindex, s->nelems);
      ensures lowest: lowest_free(s->alloc_bits, \old(s->freeindex), s->nelems, s->freeindex - 1);
      ensures addr: \result == slot_addr(s->base, s->elemsize, s->freeindex - 1);
      ensures counted: s->alloc_count == \old(s->alloc_count) + 1;
      ensures ok: GA_SPAN_OK(s);
      ensures s7: \old(GA_S7(s)) ==> GA_S7(s) && s->alloc_count <= s->nelems;
    behavior decline:
      assumes !fast_take(s->alloc_bits, s->freeindex, s->nelems);
      ensures zero: \result == 0;
      ensures unchanged: s->freeindex == \old(s->freeindex) && s->alloc_cache == \old(s->alloc_cache) &&
                         s->alloc_count == \old(s->alloc_count);
    complete behaviors;
    disjoint behaviors; */
uintptr_t ga_mspan_next_free_fast(ga_mspan *s) {
    uint32_t tz = ga_ctz64(s->alloc_cache);
    uint32_t result = s->freeindex + tz;
    uint32_t next = result + 1;
    /* the last slot of a window needs a refill, unless it is the last of the span */
    int refill = next % 64u == 0 && next != s->nelems;
    if (tz < 64 && result < s->nelems && !refill) {
        //@ assert result == s->freeindex + tz && next == result + 1;
        //@ assert win: window(s->alloc_cache, s->alloc_bits, s->freeindex);
        //@ assert hit: tz < 64 - s->freeindex % 64 && !sbit(s->alloc_bits, result);
        //@ assert skip: all_set(s->alloc_bits, s->freeindex, result);
        //@ assert inword: s->freeindex % 64 + tz + 1 < 64 || next == s->nelems;
        //@ assert take: fast_slot(s->alloc_bits, s->freeindex, s->nelems, result);
        //@ assert can: fast_take(s->alloc_bits, s->freeindex, s->nelems);
        //@ assert shifted: next < s->nelems ==> window((s->alloc_cache >> tz) >> 1, s->alloc_bits, next);
        //@ ghost ga_lemma_mul_le(result, s->nelems, s->elemsize);
        //@ ghost ga_lemma_nalloc_next(s, s->freeindex, result, s->nelems);
        s->alloc_cache = (s->alloc_cache >> tz) >> 1;
        store_freeindex(s, next);
        s->alloc_count++;
        uintptr_t p = s->base + (uintptr_t)result * s->elemsize;
        //@ assert post_addr: p == slot_addr(s->base, s->elemsize, s->freeindex - 1);
        //@ assert post_c: s->alloc_count == \at(s->alloc_count, Pre) + 1;
        /*@ assert post_n: nalloc(s->alloc_bits, s->freeindex, s->nelems) ==
                \at(nalloc(s->alloc_bits, s->freeindex, s->nelems), Pre) + 1; */
        //@ assert post_s7: \at(GA_S7(s), Pre) ==> GA_S7(s) && s->alloc_count <= s->nelems;
        return p;
    }
    //@ assert none: !fast_take(s->alloc_bits, s->freeindex, s->nelems);
    return 0;
}

/* countAlloc: ones in the words covering [0, nelems); the words' bits >= nelems are 0
 * (S5), so counting whole words is exact. */
/*@ requires nelems <= 1024;
    requires \valid_read(bits + (0 .. (nelems + 63) / 64 - 1));
    requires padding_zero(GA_BM(bits), nelems);
    assigns \nothing;
    ensures \result == nset(GA_BM(bits), nelems); */
uint32_t ga_mspan_count_alloc(const uint64_t *bits, uint32_t nelems) {
    uint32_t words = (nelems + 63u) / 64u;
    uint32_t count = 0;
    /*@ loop invariant 0 <= i <= words;
        loop invariant count == nset(GA_BM(bits), 64 * i) && count <= 64 * i;
        loop assigns i, count;
        loop variant words - i; */
    for (uint32_t i = 0; i < words; i++) {
        //@ ghost ga_lemma_nset_word(bits, i);
        count += ga_popcount64(bits[i]);
    }
    //@ ghost ga_lemma_nset_zero(bits, nelems, 64 * words);
    return count;
}

/* ------------------------------------------------------------------------------------
 * Sweeping (Go's mspan.sweep, mgcsweep.go): the bitmap rewrite, without the atomics
 * that take the mark and freed bits (sweep.c). */

/* The slots [0, f) of word w, as bits: with f = freeindex the slots allocated through
 * freeindex (S6), with f = nelems the slots that exist. */
/*@ requires w < 16 && f <= 1024;
    assigns \nothing;
    ensures \forall integer k; 0 <= k < 64 ==> (bit(\result, k) <==> 64 * w + k < f); */
static uint64_t low_slots(uint32_t w, uint32_t f) {
    uint32_t lo = w * 64u;
    if (f <= lo)
        return 0;
    if (f >= lo + 64u)
        return ~(uint64_t)0;
    return ~(uint64_t)0 >> (64u - (f - lo));
}

/* The sweep of a span its caller owns: alloc_bits = allocated ∧ marked ∧ ¬freed within
 * nelems (allocated: S6, alloc bit or below freeindex; marks: all ones for a free
 * sweep), freeindex = 0, alloc_count = the number of live slots, alloc_cache refilled
 * from word 0 (S8).  So S5, S7, S8 hold after it whatever held before but S2.  The
 * words are stored before freeindex (release), which publishes them to the readers of
 * ga_span_slot_allocated.  Returns the new alloc_count. */
/*@ requires \valid(s) && s->nelems <= 1024 && s->freeindex <= s->nelems;
    requires \valid_read(marks + (0 .. 15)) && \valid_read(freed + (0 .. 15));
    requires \separated(s, marks + (0 .. 15)) && \separated(s, freed + (0 .. 15));
    assigns s->alloc_bits[0 .. (s->nelems + 63) / 64 - 1], s->freeindex, s->alloc_count, s->alloc_cache;
    ensures live: \forall integer i; 0 <= i < s->nelems ==>
        (sbit(s->alloc_bits, i) <==>
         live_after(\old(s->alloc_bits), \old(s->freeindex), GA_BM(marks), GA_BM(freed), i));
    ensures reset: s->freeindex == 0;
    ensures count: \result == s->alloc_count && s->alloc_count == nset(s->alloc_bits, s->nelems);
    ensures cache: s->alloc_cache == (uint64_t)~s->alloc_bits[0];
    ensures ok: GA_SPAN_OK(s) && GA_S7(s) && s->alloc_count <= s->nelems; */
uint32_t ga_mspan_sweep_bits(ga_mspan *s, const uint64_t *marks, const uint64_t *freed) {
    uint32_t n = s->nelems, f = s->freeindex;
    uint32_t words = (n + 63u) / 64u;
    /*@ loop invariant 0 <= w <= words && words <= 16;
        loop invariant done: \forall integer v, k; 0 <= v < w && 0 <= k < 64 ==>
            (bit(s->alloc_bits[v], k) <==>
             (64 * v + k < n && live_after(\at(s->alloc_bits, Pre), f, GA_BM(marks), GA_BM(freed), 64 * v + k)));
        loop invariant rest: \forall integer v; w <= v < 16 ==> s->alloc_bits[v] == \at(s->alloc_bits[v], Pre);
        loop assigns w, s->alloc_bits[0 .. words - 1];
        loop variant words - w; */
    for (uint32_t w = 0; w < words; w++) {
        uint64_t a = s->alloc_bits[w] | low_slots(w, f);
        uint64_t live = a & low_slots(w, n) & marks[w] & ~freed[w];
        /*@ assert word: \forall integer k; 0 <= k < 64 ==>
                (bit(live, k) <==>
                 (64 * w + k < n && live_after(\at(s->alloc_bits, Pre), f, GA_BM(marks), GA_BM(freed), 64 * w + k))); */
        store_alloc_word(s, w, live);
    }
    /*@ assert bits: \forall integer i; 0 <= i < 64 * words ==>
            (sbit(s->alloc_bits, i) <==>
             (i < n && live_after(\at(s->alloc_bits, Pre), f, GA_BM(marks), GA_BM(freed), i))); */
    //@ assert pad: padding_zero(s->alloc_bits, n);
    uint32_t count = ga_mspan_count_alloc(s->alloc_bits, n);
    s->alloc_count = count;
    store_freeindex(s, 0);
    ga_mspan_refill_alloc_cache(s, 0);
    //@ ghost ga_lemma_nalloc_nset(s, n);
    return count;
}

/* nextFree on a span (Go's mcache.nextFree before its refill): the fast path, else the
 * slow scan; the slot's address with alloc_count incremented, or 0 when the span has no
 * free slot at or after freeindex (the cache must refill; freeindex is then nelems).
 * The fast path declines without side effects, so its retry here after ga_alloc's own
 * attempt is harmless. */
/*@ requires \valid(s);
    requires GA_SPAN_OK(s) && s->alloc_count <= s->nelems;
    requires bytes: s->base + s->nelems * s->elemsize <= UINTPTR_MAX;
    requires based: s->nelems == 0 || s->base != 0;
    assigns s->alloc_cache, s->freeindex, s->alloc_count;
    ensures ok: GA_SPAN_OK(s);
    behavior found:
      assumes !all_set(s->alloc_bits, s->freeindex, s->nelems);
      ensures lowest: lowest_free(s->alloc_bits, \old(s->freeindex), s->nelems, s->freeindex - 1);
      ensures addr: \result == slot_addr(s->base, s->elemsize, s->freeindex - 1);
      ensures nonzero: \result != 0;
      ensures counted: s->alloc_count == \old(s->alloc_count) + 1;
      ensures s7: \old(GA_S7(s)) ==> GA_S7(s) && s->alloc_count <= s->nelems;
    behavior full:
      assumes all_set(s->alloc_bits, s->freeindex, s->nelems);
      ensures none: \result == 0 && s->freeindex == s->nelems;
      ensures uncounted: s->alloc_count == \old(s->alloc_count);
      ensures s7: \old(GA_S7(s)) ==> GA_S7(s);
    complete behaviors;
    disjoint behaviors; */
uintptr_t ga_mspan_next_free(ga_mspan *s) {
    //@ ghost uint32_t f0 = s->freeindex;
    uintptr_t v = ga_mspan_next_free_fast(s);
    if (v) {
        //@ assert taken: s->freeindex > f0 && s->nelems > 0 && s->base != 0;
        return v;
    }
    //@ assert declined: s->freeindex == f0 && GA_SPAN_OK(s) && s->alloc_count == \at(s->alloc_count, Pre);
    uint32_t i = ga_mspan_next_free_index(s);
    if (i == s->nelems)
        return 0;
    //@ ghost ga_lemma_nalloc_next(s, f0, i, s->nelems);
    //@ ghost ga_lemma_mul_le(i, s->nelems, s->elemsize);
    s->alloc_count++;
    uintptr_t p = s->base + (uintptr_t)i * s->elemsize;
    //@ assert slot: p == slot_addr(s->base, s->elemsize, s->freeindex - 1) && p >= s->base > 0;
    return p;
}
