/* mallocgc and the public API of goalloc.h (Go's malloc.go, mgc.go; docs/go-facts.md §8, §12).
 *
 * Allocation: size 0 → ga_zerobase; GA_NOSCAN and < 16 B → the tiny allocator; up to
 * 32 KiB → a slot of the size class from the cache's span (next_free_fast: a ctz and a
 * few stores, no lock, no atomic), refilling through mcentral when it is full; larger →
 * a span of its own.  Memory is zeroed exactly when the caller wants it zeroed and the
 * span says its free slots may be dirty (needzero); tiny blocks are always zero.  A
 * refill for a zeroing allocation zeroes all free slots of a dirty span at once.
 * During the mark phase new objects are allocated black (their mark bit set).
 *
 * Explicit free (goalloc's addition; protocol in heap.h): validate that p is the start
 * of an allocated slot, set its freed bit; the slot comes back at the span's next
 * (GC or free) sweep.  Large objects give their pages back at once.
 *
 * Defined results for bad pointers (the heap is unchanged in every case):
 *   NULL, ga_zerobase(), foreign pointers, pointers into free pages or past the last
 *   slot, interior pointers                       → -EINVAL
 *   any pointer into a tiny block (span class 5)  → -EINVAL: tiny blocks hold several
 *       objects and are reclaimed only by GC, when no part of the block is marked.  To
 *       make that decidable goalloc never puts a non-tiny object in class 5: a 16-byte
 *       GA_NOSCAN object is served from class 4 (16 B, scan) — noscan only selects
 *       span classes here, the embedder does the scanning.
 *   the start of a slot that is freed (bit set) or free (already reclaimed, or never
 *       handed out; the two cannot be told apart)  → -EALREADY
 * A double free after the slot has been handed out again frees the new object: like
 * every allocator without per-object generations, that cannot be detected.
 *
 * GC cycle (driven by the embedder):
 *   ga_gc_begin  world stopped (as Go's sweep termination): finish sweeping the last
 *                cycle, phase = mark, grey every cache's tiny block;
 *   ga_mark      any thread, concurrent with mutators;
 *   ga_gc_end    world stopped: gcMarkTermination = sweepgen += 2, every cache flushed
 *                (stale cached spans swept), optional scavenging;
 *   then sweeping is lazy (refills) or eager (ga_sweep).
 * "World stopped" means no other call on this heap is in flight. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "heap.h"

/* Every zero-size allocation returns this address (Go's zerobase); not in any heap. */
static uint64_t zerobase_obj;

void *ga_zerobase(void) { return &zerobase_obj; }

void ga_debug_check(ga_heap *h, const char *op) {
    char why[512];
    why[0] = 0;
    if (ga_heap_check(h, why, sizeof why) != 0)
        ga_throw("heap check failed after %s: %s", op, why);
}

/* ---- slot validation -------------------------------------------------------------- */

/* S6 seen from a thread that does not own s: freeindex and alloc_bits are atomic loads
 * of the owner's atomic stores (mspan.c).  freeindex is acquired: its stores are
 * releases, so if the value read is one a sweep stored (0), or one stored by an owner
 * after a sweep, the alloc_bits the sweep wrote are the ones read next (a live slot
 * that was below the old freeindex has its bit set there).  A stale value only matters
 * for pointers the caller never legitimately received (a pointer handed over by
 * another thread comes with the synchronisation that published the allocation). */
bool ga_span_slot_allocated(const ga_mspan *s, uint32_t idx) {
    if (idx < __atomic_load_n(&s->freeindex, __ATOMIC_ACQUIRE))
        return true;
    uint64_t w = __atomic_load_n(&s->alloc_bits[idx / 64], __ATOMIC_RELAXED);
    return (w >> (idx % 64)) & 1;
}

static inline bool slot_freed_locally(const ga_mspan *s, uint32_t idx) {
    return (__atomic_load_n(&s->local_freed[idx / 64], __ATOMIC_RELAXED) >> (idx % 64)) & 1;
}

static inline bool slot_freed(const ga_mspan *s, uint32_t idx) {
    return ((__atomic_load_n(&s->freed_bits[idx / 64], __ATOMIC_ACQUIRE) >> (idx % 64)) & 1) ||
           slot_freed_locally(s, idx);
}

/* The live object slot containing p: its span and index, or NULL.  interior: accept
 * any byte of the slot, else only its first byte. */
static ga_mspan *find_object(ga_heap *h, uintptr_t p, bool interior, bool not_freed, uint32_t *idx_out) {
    /* span_of checked state (acquire) and that the span covers p. */
    ga_mspan *s = ga_mheap_span_of_inline(h, p);
    if (!s)
        return NULL;
    uintptr_t off = p - __atomic_load_n(&s->base, __ATOMIC_RELAXED);
    uint32_t idx = s->div_mul ? ga_div_by_elemsize(off, s->div_mul) : (uint32_t)(off / s->elemsize);
    if (idx >= s->nelems)
        return NULL; /* tail of the span past the last slot */
    if (!interior && (uintptr_t)idx * s->elemsize != off)
        return NULL;
    if (!ga_span_slot_allocated(s, idx) || (not_freed && slot_freed(s, idx)))
        return NULL;
    *idx_out = idx;
    return s;
}

/* ---- allocation -------------------------------------------------------------------- */

static inline void mark_black(ga_heap *h, ga_mspan *s, uintptr_t v) {
    uint32_t idx = s->div_mul ? ga_div_by_elemsize(v - s->base, s->div_mul) : 0;
    __atomic_fetch_or(&s->gcmark_bits[idx / 64], (uint64_t)1 << (idx % 64), __ATOMIC_RELAXED);
    ga_page_marks_set(h, s->base); /* A5: Go's gcmarknewobject */
}

/* Set the marking flag of every cache (world stopped: no cache is in use). */
static void set_marking(ga_heap *h, bool on) {
    pthread_mutex_lock(&h->lock);
    for (ga_cache *c = h->caches; c; c = c->next)
        c->marking = on;
    pthread_mutex_unlock(&h->lock);
}

/* Tiny allocator (docs/go-facts.md §8.3): 1..15-byte noscan objects packed into 16-byte blocks of
 * span class 5, aligned to their size's largest power of two up to 8.  In two inline
 * halves so that ga_alloc's fast path shares them. */

/* The object at the current block's next aligned offset, or NULL if it does not fit. */
static inline void *tiny_in_block(ga_cache *c, size_t size) {
    /* size & -size: the largest power of two dividing size, which for 1..15 is
     * already capped at 8 */
    uintptr_t align = size & (0 - size);
    uintptr_t off = ga_align_up(c->tiny_offset, align);
    if (off + size <= GA_TINY_SIZE && c->tiny != 0) {
        c->tiny_offset = off + size;
        c->tiny_allocs++;
        return (void *)(c->tiny + off);
    }
    return NULL;
}

/* The object at the start of new block v of span s. */
static inline void *tiny_new_block(ga_cache *c, ga_mspan *s, uintptr_t v, size_t size) {
    if (s->needzero) /* the rest of the block is handed out later: always zero it */
        memset((void *)v, 0, GA_TINY_SIZE);
    if (GA_UNLIKELY(c->marking))
        mark_black(c->heap, s, v);
    /* Keep whichever block has more room left. */
    if (size < c->tiny_offset || c->tiny == 0) {
        c->tiny = v;
        c->tiny_offset = size;
    }
    return (void *)v;
}

static void *tiny_alloc(ga_cache *c, size_t size) {
    void *p = tiny_in_block(c, size);
    if (p)
        return p;
    ga_mspan *s = c->alloc[GA_TINY_SPAN_CLASS];
    uintptr_t v = ga_mspan_next_free_fast(s); /* one call on the common path */
    if (!v && !(v = ga_mcache_next_free(c, GA_TINY_SPAN_CLASS, true, &s)))
        return NULL;
    return tiny_new_block(c, s, v, size);
}

static void *large_alloc(ga_cache *c, size_t size, unsigned flags) {
    if (size > GA_MAX_ALLOC) {
        errno = ENOMEM;
        return NULL;
    }
    ga_mspan *s = ga_mcache_alloc_large(c, size, (flags & GA_NOSCAN) != 0);
    if (!s)
        return NULL;
    if (!(flags & GA_NOZERO) && s->needzero)
        memset((void *)s->base, 0, s->elemsize);
    if (c->marking)
        mark_black(c->heap, s, s->base);
    return (void *)s->base;
}

/* The span class of a small object of size class cls (mallocgc and ga_alloc's fast
 * path).  Class 5 (16 B noscan) is reserved for tiny blocks (see the file comment), so
 * a 16-byte noscan object takes class 4. */
static inline ga_spanclass small_spanclass(uint32_t cls, unsigned noscan) {
    return (ga_spanclass)((cls << 1) | (noscan & (cls != 2)));
}

/* A small object of span class spc: a slot from the cached span's allocCache, else
 * nextFree (ga_mcache_next_free: the proved composition, whose fast path declines again
 * at no cost, then the slow scan, then a refill of the cache from mcentral).  The fast
 * path is called here first so that the common case costs one call, not two. */
static inline void *small_alloc(ga_cache *c, ga_spanclass spc, unsigned flags) {
    ga_mspan *s = c->alloc[spc];
    uintptr_t v = ga_mspan_next_free_fast(s);
    if (GA_UNLIKELY(!v)) {
        ga_mspan *slow; /* keeps s out of memory on the fast path */
        v = ga_mcache_next_free(c, spc, !(flags & GA_NOZERO), &slow);
        if (!v)
            return NULL;
        s = slow;
    }
    if (!(flags & GA_NOZERO) && s->needzero)
        memset((void *)v, 0, s->elemsize);
    if (GA_UNLIKELY(c->marking)) /* black allocation */
        mark_black(c->heap, s, v);
    return (void *)v;
}

/* mallocgc (docs/go-facts.md §8): every allocation ga_alloc's inline fast path does not finish
 * goes through here: a refill (next_free_fast declined), a large object, size 0, the
 * mark phase (black allocation), a cache with debug checks on.  Never inlined, so a
 * breakpoint on ga_mallocgc sees all of those, and so that ga_alloc's fast path saves
 * no registers it does not use (ga_alloc tail-calls it). */
__attribute__((noinline)) void *ga_mallocgc(ga_cache *c, size_t size, unsigned flags) {
    void *p;
    if (GA_LIKELY(size - 1 < GA_MAX_SMALL_SIZE)) { /* 1 .. 32768 */
        unsigned noscan = flags & GA_NOSCAN;
        if (noscan && size < GA_TINY_SIZE)
            p = tiny_alloc(c, size);
        else
            p = small_alloc(c, small_spanclass(ga_size_to_class(size), noscan), flags);
    } else if (size == 0) {
        p = ga_zerobase();
    } else {
        p = large_alloc(c, size, flags);
    }
    if (GA_UNLIKELY(c->debug_checks))
        ga_debug_check(c->heap, "ga_alloc");
    return p;
}

/* The fast path of mallocgc for the common cases, with mallocgc's results: a tiny
 * object (in the current block or a new one), or a small object from the cached span's
 * allocCache (the proved ga_mspan_next_free_fast; it declines without side effects, so
 * ga_mallocgc may retry it).  Everything else is ga_mallocgc's. */
void *ga_alloc(ga_cache *c, size_t size, unsigned flags) {
    if (GA_LIKELY(size - 1 < GA_MAX_SMALL_SIZE) && !(c->marking | c->debug_checks)) {
        unsigned noscan = flags & GA_NOSCAN;
        if (noscan && size < GA_TINY_SIZE) {
            void *p = tiny_in_block(c, size);
            if (p)
                return p;
            ga_mspan *s = c->alloc[GA_TINY_SPAN_CLASS];
            uintptr_t v = ga_mspan_next_free_fast(s);
            if (GA_LIKELY(v))
                return tiny_new_block(c, s, v, size);
        } else {
            ga_spanclass spc = small_spanclass(ga_size_to_class(size), noscan);
            ga_mspan *s = c->alloc[spc];
            uintptr_t v = ga_mspan_next_free_fast(s);
            if (GA_LIKELY(v)) {
                if (!(flags & GA_NOZERO) && s->needzero)
                    memset((void *)v, 0, s->elemsize);
                return (void *)v;
            }
        }
    }
    return ga_mallocgc(c, size, flags);
}

/* ---- explicit free ------------------------------------------------------------------ */

#ifdef GA_YIELD_POINTS
void (*ga_yield_hook)(int point); /* heap.h: set by threads_fuzz before any heap exists */
#endif

/* The part of ga_free that runs inside the span's gate (or, for a span cached by the
 * caller's own cache, with no gate: only its owner sweeps it). */
static int free_in_span(ga_heap *h, ga_mspan *s, uintptr_t p, bool own, bool *free_large) {
    if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GA_SPAN_IN_USE)
        return -EINVAL;
    ga_spanclass spc = s->spanclass;
    uintptr_t base = __atomic_load_n(&s->base, __ATOMIC_RELAXED);
    if (p < base || p - base >= __atomic_load_n(&s->npages, __ATOMIC_RELAXED) * GA_PAGE_SIZE)
        return -EINVAL; /* the struct was reused for another span meanwhile */
    if (spc == GA_TINY_SPAN_CLASS)
        return -EINVAL;
    uintptr_t off = p - base;
    uint32_t idx = 0;
    if (s->div_mul) {
        idx = ga_div_by_elemsize(off, s->div_mul);
        if (idx >= s->nelems || (uintptr_t)idx * s->elemsize != off)
            return -EINVAL;
    } else if (off != 0) {
        return -EINVAL;
    }
    /* Freed by the span's owner (a local bit, F2): the fetch-or below cannot see it. */
    if (!ga_span_slot_allocated(s, idx) || slot_freed_locally(s, idx))
        return -EALREADY;
    uint64_t bit = (uint64_t)1 << (idx % 64);
    GA_YIELD(GA_YP_FREE_SET);
    if (__atomic_fetch_or(&s->freed_bits[idx / 64], bit, __ATOMIC_ACQ_REL) & bit)
        return -EALREADY;
    GA_YIELD(GA_YP_FREE_COUNT);
    uint32_t before = __atomic_fetch_add(&s->pending_frees, 1, __ATOMIC_ACQ_REL);

    /* Both mcentral calls come after the increment above: the handshake with
     * ga_mcentral_push_swept needs pending_frees counted before the lock is taken. */
    ga_mcentral *c = &h->central[spc];
    if (ga_spanclass_sizeclass(spc) == 0) {
        /* Large: if it sits in a list nobody owns it: take it and free it now (after
         * the gate section); else its owner sees the freed bit. */
        *free_large = ga_mcentral_free_large_take(c, s);
    } else if (before == 0 && !own) {
        /* 0 → 1 pending: a full swept span becomes worth a refill's visit. */
        ga_mcentral_note_pending_free(h, c, s);
    }
    return 0;
}

/* ga_free into a span the caller's own cache holds (small: large spans are never
 * cached).  Nothing about s can change meanwhile -- only its owner sweeps a cached span,
 * and the struct cannot be reused while cached -- so the re-validation free_in_span
 * needs against a reused struct is skipped.  Only the caller writes local_freed, and it
 * merges them into freed_bits before the span leaves its cache
 * (ga_mspan_merge_local_frees): plain stores do, relaxed atomics for the threads that
 * read them to refuse a second free.  The price: a double free racing between the
 * owner and another thread at the same instant is not seen (both get 0); the slot is
 * still freed once (the merge counts it once). */
static int free_own(ga_mspan *s, uintptr_t p) {
    if (s->spanclass == GA_TINY_SPAN_CLASS)
        return -EINVAL;
    uintptr_t off = p - s->base;
    uint32_t idx = ga_div_by_elemsize(off, s->div_mul);
    if (idx >= s->nelems || (uintptr_t)idx * s->elemsize != off)
        return -EINVAL;
    if (slot_freed(s, idx) || !ga_span_slot_allocated(s, idx))
        return -EALREADY;
    uint64_t bit = (uint64_t)1 << (idx % 64);
    GA_YIELD(GA_YP_FREE_SET);
    uint64_t *w = &s->local_freed[idx / 64];
    __atomic_store_n(w, __atomic_load_n(w, __ATOMIC_RELAXED) | bit, __ATOMIC_RELAXED);
    __atomic_store_n(&s->local_frees, s->local_frees + 1, __ATOMIC_RELAXED);
    return 0;
}

static int free_impl(ga_cache *c, uintptr_t p) {
    ga_heap *h = c->heap;
    if (p == (uintptr_t)&zerobase_obj)
        return -EINVAL;
    ga_mspan *s = ga_mheap_span_of_inline(h, p);
    if (!s)
        return -EINVAL;
    /* c->alloc[x] == s only if c caches s, and then s->spanclass == x is stable. */
    bool own = c->alloc[s->spanclass] == s;
    bool free_large = false;
    int r;
    if (own && GA_LIKELY(s->div_mul != 0)) {
        return free_own(s, p);
    } else if (own) {
        r = free_in_span(h, s, p, true, &free_large);
    } else {
        ga_gate_enter(h, s);
        r = free_in_span(h, s, p, false, &free_large);
        ga_gate_exit(h, s);
    }
    if (free_large)
        ga_sweep_free_large(h, s);
    return r;
}

int ga_free(ga_cache *c, void *p) {
    if (!c || !p)
        return -EINVAL;
    int r = free_impl(c, (uintptr_t)p);
    if (GA_UNLIKELY(c->debug_checks))
        ga_debug_check(c->heap, "ga_free");
    return r;
}

size_t ga_resize_in_place(ga_cache *c, void *p, size_t size) {
    if (!c || !p || size > GA_MAX_ALLOC)
        return 0;
    ga_heap *h = c->heap;
    ga_mspan *s = ga_mheap_span_of_inline(h, (uintptr_t)p);
    if (!s || ga_spanclass_sizeclass(s->spanclass) != 0)
        return 0;
    size_t r = 0;
    /* The gate as writer: no free validates against npages, and no sweep rewrites the
     * span's bits, while it grows (gate -> heap lock is the heap's lock order). */
    ga_gate_lock(h, s);
    if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == GA_SPAN_IN_USE && s->base == (uintptr_t)p &&
        ga_span_slot_allocated(s, 0) && !slot_freed(s, 0)) {
        uintptr_t np = size ? ga_align_up(size, GA_PAGE_SIZE) >> GA_PAGE_SHIFT : 1;
        if (np == s->npages || (np < s->npages ? ga_mheap_shrink_large(h, s, np) : ga_mheap_grow_large(h, s, np)) == 0)
            r = s->elemsize;
    }
    ga_gate_unlock(h, s);
    if (GA_UNLIKELY(c->debug_checks))
        ga_debug_check(h, "ga_resize_in_place");
    return r;
}

size_t ga_usable_size(ga_heap *h, const void *p) {
    uint32_t idx;
    ga_mspan *s = find_object(h, (uintptr_t)p, false, true, &idx);
    if (!s || s->spanclass == GA_TINY_SPAN_CLASS)
        return 0; /* a tiny sub-object has no slot of its own */
    return s->elemsize;
}

void *ga_object_base(ga_heap *h, const void *p) {
    uint32_t idx;
    ga_mspan *s = find_object(h, (uintptr_t)p, true, true, &idx);
    return s ? (void *)(s->base + (uintptr_t)idx * s->elemsize) : NULL;
}

/* ---- GC ---------------------------------------------------------------------------- */

/* An explicitly freed object that is not reclaimed yet still counts as an object here
 * (one cache line less per mark); its mark changes nothing: live = marked ∧ ¬freed. */
static int mark_object(ga_heap *h, const void *p) {
    uint32_t idx;
    ga_mspan *s = find_object(h, (uintptr_t)p, true, false, &idx);
    if (!s)
        return -EINVAL;
    uint64_t bit = (uint64_t)1 << (idx % 64);
    if (__atomic_fetch_or(&s->gcmark_bits[idx / 64], bit, __ATOMIC_RELAXED) & bit)
        return 0; /* the call that marked it sets the page bit, before ga_gc_end */
    /* A5: the span now has a marked object (Go's greyobject). */
    ga_page_marks_set(h, s->base);
    return 1;
}

int ga_mark(ga_heap *h, const void *p) {
    int r = mark_object(h, p);
    if (GA_UNLIKELY(h->cfg.debug_checks))
        ga_debug_check(h, "ga_mark");
    return r;
}

/* gcResetMarkState's page marks (A5): every arena's page_marks cleared before marking
 * starts (world stopped; every span swept, so no mark bit is set anywhere). */
static void clear_page_marks(ga_heap *h) {
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->n_arenas; i++) {
        ga_heap_arena *a = ga_arena_of(h, h->all_arenas[i]);
        for (size_t w = 0; w < GA_ARENA_BITMAP_WORDS; w++)
            __atomic_store_n(&a->page_marks[w], 0, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&h->lock);
}

void ga_gc_begin(ga_heap *h) {
    ga_sweep_finish(h);
    clear_page_marks(h);
    __atomic_store_n(&h->gc_phase, GA_GC_MARK, __ATOMIC_RELEASE);
    set_marking(h, true);
    /* gcMarkTinyAllocs: later sub-allocations in a cache's current tiny block are not
     * marked individually, so the block is greyed now. */
    pthread_mutex_lock(&h->lock);
    for (ga_cache *c = h->caches; c; c = c->next)
        if (c->tiny)
            mark_object(h, (void *)c->tiny); /* heap lock held: no debug check here */
    pthread_mutex_unlock(&h->lock);
    if (h->cfg.debug_checks)
        ga_debug_check(h, "ga_gc_begin");
}

/* gcMarkTermination + gcSweep (docs/go-facts.md §12): new sweep generation, flush every cache
 * (Go defers this to each P's next acquisition; with the world stopped here it is done
 * at once, so no stale cached span survives this call), count the cycle, scavenge. */
void ga_gc_mark_termination(ga_heap *h) {
    __atomic_store_n(&h->gc_phase, GA_GC_MARKTERM, __ATOMIC_RELEASE);
    pthread_mutex_lock(&h->lock);
    __atomic_store_n(&h->sweepgen, h->sweepgen + 2, __ATOMIC_RELEASE);
    /* The page reclaimer starts over on the arenas of this cycle (Go's gcSweep). */
    h->reclaim_arenas = h->n_arenas;
    atomic_store_explicit(&h->reclaim_index, 0, memory_order_relaxed);
    atomic_store_explicit(&h->reclaim_credit, 0, memory_order_relaxed);
    pthread_mutex_unlock(&h->lock);
    atomic_store_explicit(&h->sweep_class, 0, memory_order_release);
    atomic_store_explicit(&h->sweep_active, 0, memory_order_release);
    __atomic_store_n(&h->gc_phase, GA_GC_OFF, __ATOMIC_RELEASE);
    set_marking(h, false);

    /* The cache list is stable: the world is stopped.  No lock held: flushing takes
     * mcentral locks and may free spans (heap lock). */
    for (ga_cache *c = h->caches; c; c = c->next)
        ga_mcache_prepare_for_sweep(c);
    atomic_fetch_add_explicit(&h->stats.num_gc, 1, memory_order_relaxed);

    if (h->cfg.scavenge_policy == GA_SCAVENGE_ON_GC) {
        pthread_mutex_lock(&h->lock);
        uint64_t inuse = atomic_load(&h->stats.pages_in_use) * GA_PAGE_SIZE;
        uint64_t unscav = (uint64_t)(h->pages.free_pages - h->pages.scav_pages) * GA_PAGE_SIZE;
        uint64_t retain = inuse / 100 * h->cfg.retain_percent + inuse % 100 * h->cfg.retain_percent / 100;
        if (unscav > retain)
            ga_pagealloc_scavenge(&h->pages, (size_t)(unscav - retain));
        pthread_mutex_unlock(&h->lock);
    }
}

void ga_gc_end(ga_heap *h) {
    ga_sweep_finish(h); /* in case ga_gc_begin was skipped: never leave h-2 spans behind */
    ga_gc_mark_termination(h);
    if (h->cfg.debug_checks)
        ga_debug_check(h, "ga_gc_end");
}

size_t ga_scavenge(ga_heap *h, size_t bytes) {
    pthread_mutex_lock(&h->lock);
    size_t r = ga_pagealloc_scavenge(&h->pages, bytes);
    pthread_mutex_unlock(&h->lock);
    if (h->cfg.debug_checks)
        ga_debug_check(h, "ga_scavenge");
    return r;
}

/* ---- statistics ------------------------------------------------------------------ */

/* Cumulative counters are exact once the caches' local counts are folded (refill,
 * release_all: every ga_gc_end, ga_cache_destroy).  As Go's MemStats, nmalloc and
 * nfree both include tiny allocations. */
void ga_heap_stats(ga_heap *h, ga_stats *out) {
    memset(out, 0, sizeof *out);
    const ga_heap_counters *k = &h->stats;
    uint64_t tiny = atomic_load(&k->tiny_allocs);
    for (int i = 0; i < GA_NUM_SIZE_CLASSES; i++) {
        out->by_size[i].size = ga_class_size[i];
        out->by_size[i].nmalloc = atomic_load(&k->nmalloc[i]);
        out->by_size[i].nfree = atomic_load(&k->nfree[i]);
        out->nmalloc += out->by_size[i].nmalloc;
        out->nfree += out->by_size[i].nfree;
    }
    out->nmalloc += tiny;
    out->nfree += tiny;
    out->tiny_allocs = tiny;
    out->num_gc = atomic_load(&k->num_gc);
    uint64_t bm = atomic_load(&k->bytes_malloc), bf = atomic_load(&k->bytes_free);
    out->heap_alloc = bm >= bf ? bm - bf : 0;
    pthread_mutex_lock(&h->lock);
    out->heap_inuse = atomic_load(&k->pages_in_use) * GA_PAGE_SIZE;
    out->heap_sys = (uint64_t)h->pages.total_pages * GA_PAGE_SIZE;
    /* Pages in caches' page caches count as free (and released if scavenged), as Go's. */
    out->heap_idle = ((uint64_t)h->pages.free_pages + atomic_load(&k->pcache_pages)) * GA_PAGE_SIZE;
    out->heap_released = ((uint64_t)h->pages.scav_pages + atomic_load(&k->pcache_scav)) * GA_PAGE_SIZE;
    pthread_mutex_unlock(&h->lock);
    out->sys_mapped = atomic_load(&h->os.mapped);
}

/* ---- fork ------------------------------------------------------------------------- */

void ga_heap_fork_prepare(ga_heap *h) {
    ga_gates_lock_all(h);
    for (unsigned i = 0; i < GA_NUM_SPAN_CLASSES; i++)
        pthread_mutex_lock(&h->central[i].lock);
    pthread_mutex_lock(&h->lock);
}

void ga_heap_fork_parent(ga_heap *h) {
    pthread_mutex_unlock(&h->lock);
    for (unsigned i = GA_NUM_SPAN_CLASSES; i-- > 0;)
        pthread_mutex_unlock(&h->central[i].lock);
    ga_gates_unlock_all(h);
}

/* The child's only thread is the one that took the locks: it can release them. */
void ga_heap_fork_child(ga_heap *h) { ga_heap_fork_parent(h); }

/* ---- heaps ------------------------------------------------------------------------ */

/* The heap struct itself comes straight from mmap (not through the heap's OS hooks,
 * which live inside it), and is not counted in sys_mapped.  Populated: initialization
 * writes nearly all of it, and one call is far cheaper than a fault per page.
 * One destroyed heap's struct is kept, zeroed, for the next ga_heap_new: programs
 * and fuzzers that make and drop heaps repeatedly then pay neither the mmap and its
 * first touches nor the munmap and its TLB shootdown (on VMs with shadow paging each
 * costs more than the rest of a small heap's life).  At most sizeof(ga_heap) stays
 * mapped after the last heap is gone. */
static _Atomic(void *) spare_heap;

static void *heap_struct_get(void) {
    void *m = atomic_exchange(&spare_heap, NULL);
    if (m)
        return m; /* zeroed by heap_struct_put: as mmap would give it */
    m = mmap(NULL, sizeof(ga_heap), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

static void heap_struct_put(void *m) {
    memset(m, 0, sizeof(ga_heap));
    void *none = NULL;
    if (!atomic_compare_exchange_strong(&spare_heap, &none, m))
        munmap(m, sizeof(ga_heap));
}

ga_heap *ga_heap_new(const ga_config *cfg) {
    void *m = heap_struct_get();
    if (!m) {
        errno = ENOMEM;
        return NULL;
    }
    ga_heap *h = m;
    if (cfg)
        h->cfg = *cfg;
    if (h->cfg.scavenge_policy != GA_SCAVENGE_NONE && h->cfg.retain_percent == 0)
        h->cfg.retain_percent = 10; /* Go's retainExtraPercent */
    for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++)
        ga_mcentral_init(&h->central[spc], (ga_spanclass)spc);
    /* No sweeping in the first cycle (Go: activeSweep starts drained). */
    atomic_init(&h->sweep_active, GA_SWEEP_DRAINED);
    atomic_init(&h->sweep_class, GA_NUM_SPAN_CLASSES);
    atomic_init(&h->reclaim_index, GA_RECLAIM_DONE); /* nothing to reclaim before a cycle */
    h->gc_phase = GA_GC_OFF;
    if (ga_mheap_init(h) != 0) {
        for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++)
            ga_mcentral_destroy(&h->central[spc]);
        heap_struct_put(m);
        errno = ENOMEM;
        return NULL;
    }
    if (h->cfg.debug_checks)
        ga_debug_check(h, "ga_heap_new");
    return h;
}

/* Everything the heap mapped goes back (mheap: arenas, metadata, fixalloc chunks, so
 * caches not destroyed by the embedder vanish with it). */
void ga_heap_destroy(ga_heap *h) {
    if (!h)
        return;
    ga_mheap_destroy(h);
    for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++)
        ga_mcentral_destroy(&h->central[spc]);
    heap_struct_put(h);
}
