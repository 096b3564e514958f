/* mspan bitmaps: the free-slot search of a span (Go's mbitmap.go refillAllocCache,
 * nextFreeIndex, countAlloc and malloc.go nextFreeFast), facts §5.3-5.6.
 *
 * A span's allocation state is freeindex F plus alloc_bits A: slot i is allocated iff
 * i < F or A[i] (S6).  alloc_cache is a shifted, complemented copy of the 64-bit word of
 * A holding slot F, so that ctz(alloc_cache) is the distance from F to the next free
 * slot of that word (S8: alloc_cache = ~A.word(F/64) >> (F%64)).  Searching therefore
 * costs one ctz per allocation and one word load per 64 slots.
 *
 * These four functions are written for Frama-C WP (-wp-rte): each is small, has at most
 * one loop, no atomics and no calls but ga_ctz64 / ga_popcount64.  Those two use the
 * compiler builtins in the library build; under Frama-C (__FRAMAC__) they have a
 * portable bit loop that is proved against the same contract.
 *
 * Shifts: Go's `allocCache >>= bit + 1` relies on a shift by 64 yielding 0; in C that is
 * undefined, so it is written (x >> bit) >> 1 (bit <= 63). */
#include "mspan.h"

/* Number of trailing zero bits; 64 for 0 (Go's sys.Ctz64). */
static inline uint32_t ga_ctz64(uint64_t x)
{
#ifdef __FRAMAC__
    uint32_t k = 0;
    while (k < 64 && ((x >> k) & 1u) == 0)
        k++;
    return k;
#else
    return x ? (uint32_t)__builtin_ctzll(x) : 64u;
#endif
}

/* Number of one bits. */
static inline uint32_t ga_popcount64(uint64_t x)
{
#ifdef __FRAMAC__
    uint32_t c = 0;
    for (uint32_t k = 0; k < 64; k++)
        c += (uint32_t)((x >> k) & 1u);
    return c;
#else
    return (uint32_t)__builtin_popcountll(x);
#endif
}

/* refillAllocCache: word is a word index (Go passes the byte index 8*word). */
void ga_mspan_refill_alloc_cache(ga_mspan *s, uint32_t word)
{
    s->alloc_cache = ~s->alloc_bits[word];
}

/* nextFreeIndex.  Precondition: F <= N and S8 when F < N.  The refill of the cache is
 * written inline (no call) to keep the function self-contained for the proof. */
uint32_t ga_mspan_next_free_index(ga_mspan *s)
{
    uint32_t f = s->freeindex;
    uint32_t n = s->nelems;
    if (f >= n)
        return n;

    uint64_t cache = s->alloc_cache;
    uint32_t bit = ga_ctz64(cache);
    while (bit == 64) {
        /* No free slot left in this window: move to the next 64-aligned word. */
        f = (f + 64u) & ~63u;
        if (f >= n) {
            s->alloc_cache = cache;
            s->freeindex = n;
            return n;
        }
        cache = ~s->alloc_bits[f / 64u];
        bit = ga_ctz64(cache);
    }

    uint32_t result = f + bit;
    if (result >= n) {
        /* Only padding bits (slots >= N, zero in A by S5) looked free. */
        s->alloc_cache = cache;
        s->freeindex = n;
        return n;
    }
    cache = (cache >> bit) >> 1;
    f = result + 1;
    if (f % 64u == 0 && f != n)
        cache = ~s->alloc_bits[f / 64u]; /* crossed into the next word: refill (S8) */
    s->alloc_cache = cache;
    s->freeindex = f;
    return result;
}

/* nextFreeFast: lock-free fast path of mallocgc.  Declines (returns 0) whenever the
 * slow path would have to refill the cache: no free bit in the window, a free bit past
 * nelems, or a slot that is the last of its 64-slot window but not of the span. */
uintptr_t ga_mspan_next_free_fast(ga_mspan *s)
{
    uint32_t bit = ga_ctz64(s->alloc_cache);
    if (bit < 64) {
        uint32_t result = s->freeindex + bit;
        if (result < s->nelems) {
            uint32_t next = result + 1;
            if (next % 64u == 0 && next != s->nelems)
                return 0;
            s->alloc_cache = (s->alloc_cache >> bit) >> 1;
            s->freeindex = next;
            s->alloc_count++;
            return s->base + (uintptr_t)result * s->elemsize;
        }
    }
    return 0;
}

/* countAlloc: ones in the words covering [0, nelems); the words' bits >= nelems are 0
 * (S5), so counting whole words is exact. */
uint32_t ga_mspan_count_alloc(const uint64_t *bits, uint32_t nelems)
{
    uint32_t words = (nelems + 63u) / 64u;
    uint32_t count = 0;
    for (uint32_t i = 0; i < words; i++)
        count += ga_popcount64(bits[i]);
    return count;
}
