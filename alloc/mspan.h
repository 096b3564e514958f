/* mspan: a run of pages holding objects of one span class (docs/go-facts.md §5).
 *
 * This header is read by Frama-C (the bitmap functions of mspan.c are proved), so it
 * uses plain integer fields: fields shared between threads are accessed only with
 * __atomic builtins (in the proved functions through mspan.c's store_freeindex and
 * store_alloc_word, whose bodies Frama-C does not see; see "Concurrency").
 *
 * Bitmaps: bit i of a bitmap = (w[i / 64] >> (i % 64)) & 1, 16 words = 1024 slots,
 * enough for every class (class 1 has 1024 slots; large spans have 1).
 *
 * Invariants of an in-use small span at rest (N = nelems, F = freeindex,
 * A = alloc_bits, M = gcmark_bits), docs/go-facts.md §5.2:
 *   S1  geometry fixed at init: nelems = npages*8192 / elemsize, limit = base + N*elemsize
 *   S2  0 <= F <= N
 *   S5  bits N .. 1023 of A, M and freed_bits are 0
 *   S6  slot i < N is allocated iff i < F or A[i]
 *   S7  alloc_count = #{ i < N : i < F or A[i] }
 *   S8  F < N  =>  alloc_cache = ~A.word(F/64) >> (F % 64)   (bit j = slot F+j free)
 *   S10 needzero == 0  =>  every free slot is all zero bytes
 *   F1  freed_bits[i] => slot i is allocated (an explicit free not yet reclaimed)
 *   F2  local_freed[i] => slot i is allocated; local_frees = #local_freed; a span no
 *       cache holds has none (the owner merges them into freed_bits before letting go)
 *   S12 sweepgen - h in {-2, -1, 0, +1, +3} (mod 2^32), see sweep.c
 * Large span (class 0): N = 1, elemsize = npages*8192, div_mul = 0; after allocation
 * F = 1, alloc_count = 1.
 *
 * Concurrency: base/npages/elemsize/nelems/div_mul/spanclass/limit are immutable while
 * the span is in use.  freeindex, alloc_cache, alloc_count, alloc_bits are owned by
 * whoever owns the span (the mcache that cached it, the sweeper that acquired it, or
 * the mcentral lock holder); other threads (ga_free, ga_mark, ga_object_base) read
 * freeindex (acquire) and alloc_bits (relaxed) with atomic loads only to validate a
 * pointer, so every store of them is atomic: freeindex with release (a reader that sees
 * a freeindex stored at or after a sweep sees that sweep's alloc_bits), alloc_bits
 * relaxed (published by the sweep's release store of freeindex that follows).  gcmark_bits and freed_bits are set with
 * atomic fetch-or by any thread; sweep takes them with atomic exchange.  sweepgen,
 * state and pending_frees are atomic.  local_freed and local_frees are the owning
 * cache's frees into its own cached span: written only by that thread, with relaxed
 * loads and stores (no lock prefix: this is why they exist), read by others only to
 * refuse a second free; merged into freed_bits / pending_frees at refill and uncache. */
#ifndef GA_MSPAN_H
#define GA_MSPAN_H

#include <stdint.h>

#include "internal.h"

#define GA_SPAN_MAX_ELEMS 1024u
#define GA_SPAN_BITS_WORDS 16u

enum { GA_SPAN_DEAD = 0, GA_SPAN_IN_USE = 1 };

typedef struct ga_mspan {
    struct ga_mspan *next, *prev; /* mcentral list links, or fixalloc free list */
    uintptr_t base;               /* page aligned */
    uintptr_t npages;
    uintptr_t elemsize; /* class size, or npages*8192 for class 0 */
    uintptr_t limit;    /* end of usable data */
    uint32_t nelems;
    uint32_t div_mul; /* ga_class_divmagic[class]; 0 for large */
    uint32_t freeindex;
    uint32_t alloc_count;
    uint32_t alloc_count_before_cache; /* stats: alloc_count when cached */
    uint32_t sweepgen;                 /* atomic; survives span free/reuse (docs/go-facts.md §15.4) */
    uint32_t pending_frees;            /* atomic; explicit frees not yet reclaimed */
    uint8_t spanclass;
    uint8_t state; /* atomic; GA_SPAN_*; set last at init (publication) */
    uint8_t needzero;
    int8_t list; /* which mcentral list holds it (-1: none), under its lock */
    uint64_t alloc_cache;
    uint64_t alloc_bits[GA_SPAN_BITS_WORDS];
    uint64_t gcmark_bits[GA_SPAN_BITS_WORDS];
    uint64_t freed_bits[GA_SPAN_BITS_WORDS];
    uint32_t local_frees;                     /* owner only: popcount of local_freed */
    uint64_t local_freed[GA_SPAN_BITS_WORDS]; /* owner only: frees by the caching thread */
} ga_mspan;

/* allocCache = ~A.word(word) (docs/go-facts.md §5.3). */
GA_HIDDEN void ga_mspan_refill_alloc_cache(ga_mspan *s, uint32_t word);
/* Lowest free slot >= freeindex, or nelems; advances freeindex past it and keeps S8
 * (docs/go-facts.md §5.4).  The caller increments alloc_count when a slot is returned. */
GA_HIDDEN uint32_t ga_mspan_next_free_index(ga_mspan *s);
/* nextFreeFast (docs/go-facts.md §5.5): a slot from alloc_cache without refilling, with
 * alloc_count incremented; returns its address, or 0 when the slow path is needed. */
GA_HIDDEN uintptr_t ga_mspan_next_free_fast(ga_mspan *s);
/* nextFree on a span: ga_mspan_next_free_fast, else ga_mspan_next_free_index with
 * alloc_count incremented; the slot's address, or 0 when the span is full (refill). */
GA_HIDDEN uintptr_t ga_mspan_next_free(ga_mspan *s);
/* The bitmap rewrite of a sweep (s owned): alloc_bits = (alloc_bits ∪ [0, freeindex))
 * ∧ marks ∧ ¬freed within nelems (marks all ones: a free sweep), freeindex = 0,
 * alloc_count = the live slots (returned), alloc_cache from word 0.  marks and freed:
 * 16 words each, taken from the span by the caller. */
GA_HIDDEN uint32_t ga_mspan_sweep_bits(ga_mspan *s, const uint64_t *marks, const uint64_t *freed);
/* Number of set bits among bits [0, nelems) of a span bitmap (popcount, needs S5). */
GA_HIDDEN uint32_t ga_mspan_count_alloc(const uint64_t *bits, uint32_t nelems);

#endif
