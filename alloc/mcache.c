/* mcache: per-thread span cache (Go's mcache.go, docs/go-facts.md §7).
 *
 * One cached span per span class; allocation takes slots from it with no lock and no
 * read-modify-write (ga_mspan_next_free_fast / ga_mspan_next_free), and only when it is full
 * does the cache talk to its mcentral (refill).  A cache is used by one thread at a
 * time; other threads touch it only with the world stopped (ga_gc_end).
 *
 * goalloc addition: a cached span also collects explicit frees (freed bits, possibly
 * from other threads).  When it fills up, refill first reclaims them in place (the
 * cache owns the span, so it may run the free sweep itself): a thread that allocates
 * and frees in a steady state keeps reusing one span per class without touching its
 * mcentral. */
#include <errno.h>
#include <string.h>

#include "bitops.h"
#include "heap.h"

/* All zero: nelems 0 and freeindex 0, so next_free_fast declines (alloc_cache 0) and
 * next_free_index reports "full"; never written. */
ga_mspan ga_empty_mspan = {.list = GA_LIST_NONE};

void ga_mcache_init(ga_cache *c, ga_heap *h) {
    c->heap = h;
    c->marking = __atomic_load_n(&h->gc_phase, __ATOMIC_ACQUIRE) != GA_GC_OFF;
    c->debug_checks = h->cfg.debug_checks != 0;
    for (size_t i = 0; i < GA_NUM_SPAN_CLASSES; i++)
        c->alloc[i] = &ga_empty_mspan;
    c->tiny = 0;
    c->tiny_offset = 0;
    c->tiny_allocs = 0;
    c->next = c->prev = NULL;
    c->pcache = (ga_pagecache){0, 0, 0};
    c->nspan_stash = 0;
    __atomic_store_n(&c->flush_gen, ga_heap_sweepgen(h), __ATOMIC_RELEASE);
}

/* Fold the allocations made from cached span s since it was cached (or last folded). */
static void flush_span_stats(ga_heap *h, ga_mspan *s) {
    uint32_t n = s->alloc_count - s->alloc_count_before_cache;
    if (n) {
        uint32_t cls = ga_spanclass_sizeclass(s->spanclass);
        atomic_fetch_add_explicit(&h->stats.nmalloc[cls], n, memory_order_relaxed);
        GA_YIELD(GA_YP_STATS_MALLOC);
        atomic_fetch_add_explicit(&h->stats.bytes_malloc, (uint64_t)n * s->elemsize, memory_order_relaxed);
    }
    s->alloc_count_before_cache = s->alloc_count;
}

static void flush_tiny_stats(ga_cache *c) {
    if (c->tiny_allocs) {
        atomic_fetch_add_explicit(&c->heap->stats.tiny_allocs, c->tiny_allocs, memory_order_relaxed);
        c->tiny_allocs = 0;
    }
}

/* refill (docs/go-facts.md §7.4): the cached span of spc has no free slot; replace it.  0, or
 * ENOMEM (errno set) with the slot left pointing at ga_empty_mspan, so a later call
 * retries from scratch. */
int ga_mcache_refill(ga_cache *c, ga_spanclass spc) {
    ga_heap *h = c->heap;
    ga_mspan *s = c->alloc[spc];
    if (s != &ga_empty_mspan) {
        flush_span_stats(h, s);
        if (spc == GA_TINY_SPAN_CLASS)
            flush_tiny_stats(c);
        /* The owner's own frees count too: reclaiming them here keeps the span, where
         * uncaching would merge them anyway but send it through mcentral's lists. */
        ga_mspan_merge_local_frees(s);
        if (__atomic_load_n(&s->pending_frees, __ATOMIC_ACQUIRE) != 0) {
            ga_sweep_reclaim_frees(h, s);
            s->alloc_count_before_cache = s->alloc_count;
            if (s->alloc_count < s->nelems)
                return 0;
        }
        c->alloc[spc] = &ga_empty_mspan;
        ga_mcentral_uncache_span(h, &h->central[spc], s);
    }
    s = ga_mcentral_cache_span(h, &h->central[spc], c);
    if (!s) {
        errno = ENOMEM;
        return ENOMEM;
    }
    __atomic_store_n(&s->sweepgen, ga_heap_sweepgen(h) + 3, __ATOMIC_RELEASE);
    s->alloc_count_before_cache = s->alloc_count;
    c->alloc[spc] = s;
    return 0;
}

/* Free slots are i >= freeindex with a clear alloc bit (S6); zero them run by run.
 * A dirty span is typically mostly free after a sweep, so the runs are long and the
 * stores stream (glibc's memset uses rep stosb, no read-for-ownership), where one
 * memset per allocation would miss once per object. */
void ga_mcache_zero_free_slots(ga_mspan *s) {
    uint32_t n = s->nelems, i = s->freeindex;
    uintptr_t size = s->elemsize;
    while (i < n) {
        /* next free slot at or after i */
        uint32_t w = i / 64;
        uint64_t free = ~s->alloc_bits[w] & (~(uint64_t)0 << (i % 64));
        while (!free && ++w * 64 < n)
            free = ~s->alloc_bits[w];
        if (!free)
            break;
        uint32_t start = w * 64 + ga_ctz64(free);
        if (start >= n)
            break;
        /* end of the run: next allocated slot after start */
        uint64_t used = s->alloc_bits[w] & (~(uint64_t)0 << (start % 64));
        while (!used && ++w * 64 < n)
            used = s->alloc_bits[w];
        uint32_t end = used ? w * 64 + ga_ctz64(used) : n;
        if (end > n)
            end = n;
        memset((void *)(s->base + start * size), 0, (end - start) * size);
        i = end;
    }
    s->needzero = 0;
}

/* nextFree (docs/go-facts.md §7.3): a free slot of class spc, refilling once if the cached span is
 * full; 0 + ENOMEM if no span can be had.  zero (goalloc): the caller wants zeroed
 * memory, so a span taken by the refill with needzero set gets all its free slots
 * zeroed at once (ga_mcache_zero_free_slots) instead of one memset per allocation. */
uintptr_t ga_mcache_next_free(ga_cache *c, ga_spanclass spc, bool zero, ga_mspan **span_out) {
    ga_mspan *s = c->alloc[spc];
    uintptr_t v = ga_mspan_next_free(s); /* proved: fast path, else next_free_index */
    if (!v) {
        if (ga_mcache_refill(c, spc) != 0)
            return 0;
        s = c->alloc[spc];
        if (zero && s->needzero)
            ga_mcache_zero_free_slots(s);
        v = ga_mspan_next_free(s);
        /* refill hands out spans with a free slot at or after freeindex */
        GA_CHECK(v != 0, "mcache: refill of class %u gave span %#lx with no free slot", spc, (unsigned long)s->base);
    }
    *span_out = s;
    return v;
}

/* allocLarge (docs/go-facts.md §7.5): a span of ceil(size / 8 KiB) pages holding one object, put
 * on its class-0/1 mcentral's full swept list so that GC sweeps see it.  The object
 * slot becomes allocated (freeindex = 1) under the mcentral lock
 * (ga_mcentral_push_full_large), so a concurrent (bogus) ga_free sees either no object
 * or a listed span it may free.  Caller checked size <= GA_MAX_ALLOC.  NULL + ENOMEM on
 * refusal. */
ga_mspan *ga_mcache_alloc_large(ga_cache *c, size_t size, int noscan) {
    ga_heap *h = c->heap;
    uintptr_t npages = (size + GA_PAGE_SIZE - 1) >> GA_PAGE_SHIFT;
    ga_spanclass spc = ga_make_spanclass(0, noscan);
    ga_mspan *s = ga_mheap_alloc(h, npages, spc, c);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    /* limit stays base + elemsize (mheap's init), unlike Go's base + size: the whole
     * span is usable (ga_usable_size reports elemsize) and interior pointers into it
     * are accepted.  The object becomes allocated as the span is listed. */
    ga_mcentral_push_full_large(h, &h->central[spc], s);
    atomic_fetch_add_explicit(&h->stats.nmalloc[0], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->stats.bytes_malloc, s->elemsize, memory_order_relaxed);
    return s;
}

/* releaseAll (docs/go-facts.md §7.6): every cached span back to its mcentral (stale ones get their
 * GC sweep there), tiny block dropped, statistics folded; the page cache and span stash go
 * back to the heap (Go keeps a P's page cache across GC cycles; goalloc gives it back at
 * every release, so that a cache idle since the last cycle holds no pages). */
void ga_mcache_release_all(ga_cache *c) {
    ga_heap *h = c->heap;
    for (size_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++) {
        ga_mspan *s = c->alloc[spc];
        if (s == &ga_empty_mspan)
            continue;
        flush_span_stats(h, s);
        c->alloc[spc] = &ga_empty_mspan;
        ga_mcentral_uncache_span(h, &h->central[spc], s);
    }
    c->tiny = 0;
    c->tiny_offset = 0;
    flush_tiny_stats(c);
    ga_mheap_release_cache(h, c);
}

/* prepareForSweep (docs/go-facts.md §7.7): flush once per sweep generation. */
void ga_mcache_prepare_for_sweep(ga_cache *c) {
    uint32_t sg = ga_heap_sweepgen(c->heap);
    uint32_t fg = __atomic_load_n(&c->flush_gen, __ATOMIC_ACQUIRE);
    if (fg == sg)
        return;
    ga_mcache_release_all(c);
    __atomic_store_n(&c->flush_gen, sg, __ATOMIC_RELEASE);
}

ga_cache *ga_cache_new(ga_heap *h) {
    if (!h) {
        errno = EINVAL;
        return NULL;
    }
    pthread_mutex_lock(&h->lock);
    ga_cache *c = ga_fixalloc_alloc(&h->cache_alloc, &h->os);
    if (c) {
        ga_mcache_init(c, h);
        c->next = h->caches;
        if (h->caches)
            h->caches->prev = c;
        h->caches = c;
    }
    pthread_mutex_unlock(&h->lock);
    if (!c)
        errno = ENOMEM;
    else if (h->cfg.debug_checks)
        ga_debug_check(h, "ga_cache_new");
    return c;
}

void ga_cache_destroy(ga_cache *c) {
    if (!c)
        return;
    ga_heap *h = c->heap;
    ga_mcache_release_all(c);
    pthread_mutex_lock(&h->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->caches = c->next;
    if (c->next)
        c->next->prev = c->prev;
    ga_fixalloc_free(&h->cache_alloc, c);
    pthread_mutex_unlock(&h->lock);
    if (h->cfg.debug_checks)
        ga_debug_check(h, "ga_cache_destroy");
}
