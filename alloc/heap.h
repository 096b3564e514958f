/* The object allocator above pageAlloc: mheap, mcentral, mcache, sweep, mallocgc.
 * One header for the structures the boxes share; each box lives in its own .c file
 * (DESIGN.md "Seed boxes → C functions").
 *
 * Locks (ranked; take only in this order):
 *   mcentral.lock  (one per span class: its four span lists)
 *     → heap.lock  (pageAlloc, arenas, arena index writes, fixallocs, cache list)
 * Never call into the heap (ga_mheap_alloc/free_span) while holding an mcentral lock
 * unless noted; sweeping a span happens with no lock held (ownership via sweepgen).
 *
 * Sweep generations (facts §11.1), h = heap->sweepgen (even, += 2 per GC):
 *   h-2 needs sweeping · h-1 being swept · h swept · h+1 cached since before this
 *   cycle (stale) · h+3 swept and cached.  Exactly one thread owns a span at h-1.
 *
 * Explicit free (goalloc's addition to Go): ga_free sets the object's freed bit
 * (atomic fetch-or; already set → -EALREADY) and bumps span->pending_frees.  Freed
 * slots are reclaimed when the span is next swept, by GC sweep (live = marked ∧ ¬freed)
 * or by a "free sweep" that runs without a GC cycle: alloc_bits = (alloc_bits ∪
 * [0, freeindex)) ∖ freed, freeindex = 0.  A free sweep runs on a span only while nobody
 * else owns it: in ga_mcentral_cache_span before handing a span with pending frees to a
 * cache, in ga_mcentral_uncache_span, and in ga_sweep.  When pending_frees goes 0 → 1
 * on a span sitting in a full swept list, ga_free moves it to the partial swept list
 * (under the mcentral lock) so that refills find it.  Large objects are freed at once
 * (span back to pageAlloc) unless a sweeper owns the span, in which case the freed bit
 * makes the sweep free it.
 */
#ifndef GA_HEAP_H
#define GA_HEAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goalloc.h"
#include "internal.h"
#include "mspan.h"
#include "os.h"
#include "pagealloc.h"
#include "sizeclasses.h"

#define GA_CACHE_LINE 64
#define GA_ARENA_L2_ENTRIES ((size_t)1 << (GA_HEAP_ADDR_BITS - GA_ARENA_SHIFT)) /* 2^22 */
#define GA_CENTRAL_SWEEP_BUDGET 100 /* spans cache_span may sweep before growing */

enum { GA_GC_OFF = 0, GA_GC_MARK = 1, GA_GC_MARKTERM = 2 };

/* ---- fixalloc: fixed-size metadata objects (span structs, caches) ---------------
 * Free list + bump allocation from chunks obtained with ga_sys_alloc; never libc
 * malloc.  Objects are not zeroed on reuse (span sweepgen must survive, §15.4).
 * Caller holds the heap lock.  Chunks are remembered so ga_heap_destroy unmaps them. */
typedef struct ga_fixalloc {
    size_t size;
    void *free_list;   /* singly linked through the first word */
    uintptr_t chunk, chunk_end;
    void *chunks;      /* list of chunks (header at chunk start) for destroy */
    size_t inuse;      /* objects handed out and not freed */
} ga_fixalloc;

/* ---- arenas (facts §4.1) ---------------------------------------------------------
 * One per 64 MiB arena; spans[i] = the span owning page i of the arena, or NULL.
 * Entries are written under the heap lock and read lock-free (atomic loads) by
 * ga_free / ga_mark / ga_object_base; an entry may be stale (pointing at a dead span)
 * only for pages that are free in pageAlloc. */
typedef struct ga_heap_arena {
    ga_mspan *spans[GA_PAGES_PER_ARENA];
    uintptr_t zeroed_base; /* bytes from the arena start known never used: zero (§4.2) */
} ga_heap_arena;

/* ---- mcentral (facts §9.1) -------------------------------------------------------
 * Four intrusive doubly linked span lists per span class, guarded by `lock`:
 * partial[gen] / full[gen] with swept = index (h/2)%2, unswept = the other.
 * Invariants (M1/M2): a span is in at most one list (span->list says which; -1 none).
 * Swept lists hold in-use spans of this class with sweepgen == h, not cached; partial
 * = at least one free slot (or pending frees), full = no free slot, and all large
 * spans of this class.  Every in-use span with sweepgen == h-2 is in an unswept list.
 * Cached spans are in no list. */
typedef struct ga_span_list {
    ga_mspan *head;
    size_t n;
} ga_span_list;

typedef struct ga_mcentral {
    pthread_mutex_t lock;
    ga_spanclass spanclass;
    ga_span_list partial[2];
    ga_span_list full[2];
} __attribute__((aligned(GA_CACHE_LINE))) ga_mcentral;

/* List ids stored in span->list: (full ? 2 : 0) + gen index. */
#define GA_LIST_NONE (-1)

/* ---- mcache (facts §7) -----------------------------------------------------------
 * Used by one thread at a time, no lock.  Invariants (C1-C4): alloc[spc] is
 * &ga_empty_mspan or an in-use span of class spc with sweepgen h+1 or h+3, in no
 * list, held by no other cache; tiny != 0 ⇒ it is a 16-byte slot of class 5 and
 * 0 < tiny_offset <= 16; flush_gen ∈ {h, h-2} and allocation needs flush_gen == h. */
struct ga_cache {
    ga_heap *heap;
    ga_mspan *alloc[GA_NUM_SPAN_CLASSES];
    uintptr_t tiny;
    uintptr_t tiny_offset;
    uint64_t tiny_allocs;
    uint32_t flush_gen;          /* atomic */
    struct ga_cache *next, *prev; /* heap->caches, under the heap lock */
    /* local statistics, folded into the heap's at refill / release_all */
    uint64_t nmalloc_large, bytes_large;
};

/* The dummy span every empty cache slot points at: nelems 0, freeindex 0. */
extern GA_HIDDEN ga_mspan ga_empty_mspan;

/* ---- statistics (atomic, per heap) ----------------------------------------------- */
typedef struct ga_heap_counters {
    _Atomic uint64_t nmalloc[GA_NUM_CLASSES]; /* objects allocated per class (0 = large) */
    _Atomic uint64_t nfree[GA_NUM_CLASSES];   /* objects reclaimed per class */
    _Atomic uint64_t bytes_malloc, bytes_free;/* bytes of objects (slot sizes) */
    _Atomic uint64_t tiny_allocs;
    _Atomic uint64_t num_gc;
    _Atomic uint64_t pages_in_use;            /* Σ npages of in-use spans (H2) */
} ga_heap_counters;

/* ---- the heap (facts §10.1) ------------------------------------------------------ */
struct ga_heap {
    pthread_mutex_t lock;        /* the heap lock */
    ga_config cfg;
    ga_os os;
    ga_pagealloc pages;          /* under lock */
    uint32_t sweepgen;           /* h; written with the world stopped (ga_gc_end), atomic reads */
    uint32_t gc_phase;           /* GA_GC_*; atomic */
    ga_heap_arena **arenas;      /* GA_ARENA_L2_ENTRIES pointers (ga_sys_alloc, demand paged) */
    uintptr_t *all_arenas;       /* arena base addresses, in order of creation */
    size_t n_arenas, cap_arenas;
    uintptr_t cur_arena_base, cur_arena_end; /* reserved, not yet given to pageAlloc */
    uint32_t arena_hint;         /* next of the 128 hints 0x00c0_0000_0000 + i*2^40 */
    ga_fixalloc span_alloc, cache_alloc, arena_alloc;
    ga_cache *caches;            /* every live cache, under lock */
    ga_mcentral central[GA_NUM_SPAN_CLASSES];
    /* sweeping (facts §11.2): active sweepers + drained bit; next class for ga_sweep */
    _Atomic uint32_t sweep_active;
    _Atomic uint32_t sweep_class;
    ga_heap_counters stats;
};

/* ---- mheap.c --------------------------------------------------------------------- */
GA_HIDDEN int ga_mheap_init(ga_heap *h);
GA_HIDDEN void ga_mheap_destroy(ga_heap *h);
/* mheap.alloc: a new in-use span of npages for spanclass (initialised, index set,
 * sweepgen h), or NULL with errno ENOMEM.  Takes the heap lock. */
GA_HIDDEN ga_mspan *ga_mheap_alloc(ga_heap *h, uintptr_t npages, ga_spanclass spc);
/* allocSpan: the body of alloc (heap lock taken inside). */
GA_HIDDEN ga_mspan *ga_mheap_alloc_span(ga_heap *h, uintptr_t npages, ga_spanclass spc);
/* grow: give pageAlloc at least npages more pages (heap lock held). 0 or ENOMEM. */
GA_HIDDEN int ga_mheap_grow(ga_heap *h, uintptr_t npages);
/* sysAlloc: reserve + register a new arena range of >= n bytes (heap lock held);
 * returns its base or 0 (ENOMEM), *size = bytes reserved. */
GA_HIDDEN uintptr_t ga_mheap_sys_alloc(ga_heap *h, size_t n, size_t *size);
/* freeSpan / freeSpanLocked: pages back to pageAlloc, index cleared, span struct back
 * to span_alloc.  Span must be in no list and owned by the caller. */
GA_HIDDEN void ga_mheap_free_span(ga_heap *h, ga_mspan *s);
GA_HIDDEN void ga_mheap_free_span_locked(ga_heap *h, ga_mspan *s);
/* Span owning address p (any byte of its pages), or NULL; lock-free. */
GA_HIDDEN ga_mspan *ga_mheap_span_of(ga_heap *h, uintptr_t p);

GA_HIDDEN void *ga_fixalloc_alloc(ga_fixalloc *f, ga_os *os);
GA_HIDDEN void ga_fixalloc_free(ga_fixalloc *f, void *p);

/* ---- mcentral.c ------------------------------------------------------------------ */
GA_HIDDEN void ga_mcentral_init(ga_mcentral *c, ga_spanclass spc);
GA_HIDDEN ga_mspan *ga_mcentral_cache_span(ga_heap *h, ga_mcentral *c);
GA_HIDDEN void ga_mcentral_uncache_span(ga_heap *h, ga_mcentral *c, ga_mspan *s);
GA_HIDDEN ga_mspan *ga_mcentral_grow(ga_heap *h, ga_mcentral *c);
/* Push an owned span with sweepgen h onto the right swept list (under c->lock). */
GA_HIDDEN void ga_mcentral_push_swept(ga_heap *h, ga_mcentral *c, ga_mspan *s);

/* ---- mcache.c -------------------------------------------------------------------- */
GA_HIDDEN void ga_mcache_init(ga_cache *c, ga_heap *h);
/* nextFree: a free slot of class spc (refilling when the span is full), or 0 + ENOMEM. */
GA_HIDDEN uintptr_t ga_mcache_next_free(ga_cache *c, ga_spanclass spc, ga_mspan **span_out);
GA_HIDDEN int ga_mcache_refill(ga_cache *c, ga_spanclass spc); /* 0 or ENOMEM */
GA_HIDDEN ga_mspan *ga_mcache_alloc_large(ga_cache *c, size_t size, int noscan);
GA_HIDDEN void ga_mcache_prepare_for_sweep(ga_cache *c);
GA_HIDDEN void ga_mcache_release_all(ga_cache *c);

/* ---- sweep.c --------------------------------------------------------------------- */
/* Proof of exclusive sweep ownership of one span (sweepgen == h-1). */
typedef struct ga_sweeplocked {
    ga_mspan *span;
} ga_sweeplocked;
/* CAS sweepgen h-2 → h-1; true when the caller now owns the sweep. */
GA_HIDDEN bool ga_sweep_try_acquire(ga_heap *h, ga_mspan *s, ga_sweeplocked *out);
/* Sweep an owned span: live = marked ∧ ¬freed becomes alloc_bits; counts, needzero,
 * stats; sweepgen = h.  preserve: leave it on no list and never free it (the caller
 * takes it).  Otherwise: empty → ga_mheap_free_span, else pushed to a swept list.
 * Returns true if the span was freed to the heap. */
GA_HIDDEN bool ga_sweeplocked_sweep(ga_heap *h, ga_sweeplocked *sl, bool preserve);
/* Free sweep (no GC): apply pending explicit frees to a span the caller owns. Returns
 * the number of slots reclaimed. */
GA_HIDDEN uint32_t ga_sweep_reclaim_frees(ga_heap *h, ga_mspan *s);

/* ---- malloc.c -------------------------------------------------------------------- */
GA_HIDDEN void *ga_mallocgc(ga_cache *c, size_t size, unsigned flags);
GA_HIDDEN void *ga_newobject(ga_cache *c, size_t size);
GA_HIDDEN void ga_gc_mark_termination(ga_heap *h);

/* ---- check.c --------------------------------------------------------------------- */
GA_HIDDEN int ga_heap_check_locked(ga_heap *h, char *why, size_t len);

static inline uint32_t ga_heap_sweepgen(ga_heap *h) {
    return __atomic_load_n(&h->sweepgen, __ATOMIC_ACQUIRE);
}

#endif
