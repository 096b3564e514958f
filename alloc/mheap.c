/* mheap: arenas, the arena index, span allocation (Go's mheap.go, malloc.go sysAlloc,
 * mfixalloc.go, mpagecache.go's use), docs/go-facts.md §4, §10.
 *
 * Address space comes in 64 MiB arenas, reserved (PROT_NONE) at Go's hint addresses
 * 0x00c0_0000_0000 + i*2^40 so that a heap normally grows upward contiguously from
 * 0xc000000000.  Each arena has a heap_arena record whose spans[] maps every page to the
 * span owning it; records are found through heap->arenas, a flat index of 2^22 pointers
 * (one per possible arena of the 48-bit address space, demand-paged zero memory), so
 * span_of(p) is two dependent loads for any pointer, ours or not.
 *
 * Reserved arena memory is handed to pageAlloc 4 MiB at a time (grow: map, then
 * pageAlloc grow); pageAlloc then owns free pages and finds runs.  alloc_span takes a run
 * from pageAlloc, makes scavenged pages Ready, initialises a span struct and publishes
 * it (state last), then points the index at it.  free_span undoes that.
 *
 * Locking: one heap lock guards pageAlloc, the arena records and index writes, the cur
 * arena, the fixallocs and the parked runs.  Index reads, span state and sweepgen are
 * atomic.  As in Go, a span of fewer than 16 pages that a cache's page cache can hold
 * is made without the lock: pages from the cache's 64-page block, the struct from its
 * stash (both refilled under the lock), zeroed_base raised by CAS, the index and the
 * span published with atomic stores.  ga_heap_check runs with no concurrent mutator, so
 * it never sees a half-made span.
 *
 * OS refusal (reserve, map, used, metadata allocation, mapped_limit) makes every entry
 * point fail with ENOMEM leaving the heap as it was, or changed only invisibly (more
 * address space reserved for the next attempt; a run parked, see heap.h).  Nothing
 * aborts.
 *
 * Accounting towards the OS layer (its counters must read 0 after destroy): arena
 * bytes are Reserved; [base, base+mapped) of each arena is mapped; of that, Ready =
 * everything but pageAlloc's scavenged pages and the scavenged part of parked runs. */
#include <errno.h>
#include <string.h>

#include "bitops.h"
#include "heap.h"
#include "pagealloc_impl.h"

#define INDEX_BYTES (GA_ARENA_L2_ENTRIES * sizeof(ga_heap_arena *))
#define MAX_NPAGES (((uintptr_t)1 << GA_HEAP_ADDR_BITS) >> GA_PAGE_SHIFT)
#define USER_LIMIT ((uintptr_t)1 << 47) /* arenas live in the lower half on amd64 */

static inline uintptr_t arena_index(uintptr_t p) { return ga_off(p) >> GA_ARENA_SHIFT; }
static inline uintptr_t arena_page(uintptr_t p) { return (p & (GA_ARENA_BYTES - 1)) >> GA_PAGE_SHIFT; }

static inline ga_heap_arena *arena_get(const ga_heap *h, uintptr_t p) {
    uintptr_t ai = arena_index(p);
    if (ai >= GA_ARENA_L2_ENTRIES)
        return NULL;
    return __atomic_load_n(&h->arenas[ai], __ATOMIC_ACQUIRE);
}

/* ---- fixalloc ---------------------------------------------------------------------- */

/* A chunk starts with this header; objects follow at FIX_HDR. */
typedef struct fix_chunk {
    struct fix_chunk *next;
    size_t bytes;  /* mapping size */
    uintptr_t end; /* end of the last whole object that fits */
} fix_chunk;

#define FIX_HDR ((uintptr_t)64) /* keeps objects 64-byte aligned */
#define FIX_CHUNK_BYTES ((size_t)64 << 10)
_Static_assert(FIX_HDR >= sizeof(struct fix_chunk) && FIX_HDR % GA_CACHE_LINE == 0,
               "the chunk header fits, and objects stay cache-line aligned (ga_cache, 64-byte align)");

void ga_fixalloc_init(ga_fixalloc *f, size_t size, size_t align) {
    memset(f, 0, sizeof *f);
    if (size < sizeof(void *))
        size = sizeof(void *);
    f->size = (size + align - 1) & ~(align - 1);
}

void *ga_fixalloc_alloc(ga_fixalloc *f, ga_os *os) {
    void *p = f->free_list;
    if (p) {
        f->free_list = *(void **)p;
        f->inuse++;
        return p;
    }
    if (f->chunk_end - f->chunk < f->size) {
        size_t bytes = FIX_CHUNK_BYTES;
        if (bytes < FIX_HDR + f->size)
            bytes = ga_align_up(FIX_HDR + f->size, ga_phys_page_size());
        fix_chunk *c = ga_sys_alloc(os, bytes);
        if (!c) {
            errno = ENOMEM;
            return NULL;
        }
        c->next = NULL;
        c->bytes = bytes;
        c->end = (uintptr_t)c + FIX_HDR + (bytes - FIX_HDR) / f->size * f->size;
        if (f->chunks_tail)
            ((fix_chunk *)f->chunks_tail)->next = c;
        else
            f->chunks = c;
        f->chunks_tail = c;
        f->nchunks++;
        /* The old chunk's uncarved rest (less than one object) is abandoned, as in Go. */
        f->chunk = (uintptr_t)c + FIX_HDR;
        f->chunk_end = c->end;
    }
    p = (void *)f->chunk;
    f->chunk += f->size;
    f->inuse++;
    return p;
}

void ga_fixalloc_free(ga_fixalloc *f, void *p) {
    *(void **)p = f->free_list;
    f->free_list = p;
    f->inuse--;
}

void ga_fixalloc_destroy(ga_fixalloc *f, ga_os *os) {
    fix_chunk *c = f->chunks;
    while (c) {
        fix_chunk *next = c->next;
        ga_sys_free(os, c, c->bytes, c->bytes, c->bytes);
        c = next;
    }
    memset(f, 0, sizeof *f);
}

void ga_fixalloc_iter_init(const ga_fixalloc *f, ga_fixalloc_iter *it) {
    const fix_chunk *c = f->chunks;
    it->chunk = c;
    it->next = c ? (uintptr_t)c + FIX_HDR : 0;
    it->end = !c ? 0 : c == f->chunks_tail ? f->chunk : c->end;
}

void *ga_fixalloc_iter_next(ga_fixalloc_iter *it, const ga_fixalloc *f) {
    while (it->chunk && it->next + f->size > it->end) {
        const fix_chunk *c = ((const fix_chunk *)it->chunk)->next;
        it->chunk = c;
        it->next = c ? (uintptr_t)c + FIX_HDR : 0;
        it->end = !c ? 0 : c == f->chunks_tail ? f->chunk : c->end;
    }
    if (!it->chunk)
        return NULL;
    void *p = (void *)it->next;
    it->next += f->size;
    return p;
}

/* ---- arenas ------------------------------------------------------------------------ */

/* Can [p, p+n) hold arenas (no wrap, lower half of the address space)? */
static int arena_range_ok(uintptr_t p, size_t n) {
    return p != 0 && p % GA_ARENA_BYTES == 0 && n <= USER_LIMIT && p <= USER_LIMIT - n;
}

/* Room for `more` entries in all_arenas.  The old array is unmapped: it is read only
 * under the heap lock (lock-free readers go through heap->arenas). */
static int all_arenas_reserve(ga_heap *h, size_t more) {
    if (h->n_arenas + more <= h->cap_arenas)
        return 0;
    size_t cap = h->cap_arenas ? 2 * h->cap_arenas : 512;
    while (cap < h->n_arenas + more)
        cap *= 2;
    size_t bytes = ga_align_up(cap * sizeof(uintptr_t), ga_phys_page_size());
    uintptr_t *a = ga_sys_alloc(&h->os, bytes);
    if (!a)
        return ENOMEM;
    if (h->all_arenas) {
        memcpy(a, h->all_arenas, h->n_arenas * sizeof(uintptr_t));
        size_t old = h->cap_arenas * sizeof(uintptr_t);
        ga_sys_free(&h->os, h->all_arenas, old, old, old);
    }
    h->all_arenas = a;
    h->cap_arenas = bytes / sizeof(uintptr_t);
    return 0;
}

/* Reserve n bytes (a multiple of 64 MiB) of arena address space: just past the last
 * reservation, else at the following hints, else anywhere (64 MiB aligned, Go's
 * sysReserveAligned).  0 when refused.  A hint whose address space is taken (the kernel
 * placed the mapping elsewhere) is dropped for good, as in Go; one that is refused, or
 * has no room for n bytes below 2^47, is only skipped this time (Go drops those too,
 * so one absurd request would cost it every hint), and so are the hints after it. */
static uintptr_t arena_reserve(ga_heap *h, size_t n) {
    uint32_t j = h->arena_hint;
    uintptr_t p = h->arena_hint_addr; /* continuation of hint j, or 0 = its start */
    int refused = 0;
    for (;; p = 0, j++) {
        if (!p) {
            if (j >= GA_ARENA_HINTS)
                break;
            p = GA_ARENA_HINT_BASE + j * GA_ARENA_HINT_STEP;
        }
        void *r = arena_range_ok(p, n) ? ga_sys_reserve(&h->os, (void *)p, n) : NULL;
        if (r == (void *)p) {
            h->arena_hint = j;
            h->arena_hint_addr = p + n;
            return p;
        }
        if (!r) { /* refused, or too large to fit above this hint: keep the hint */
            refused = 1;
            continue;
        }
        ga_sys_free(&h->os, r, n, 0, 0);
        if (!refused) { /* hint j is used up: start from the next one from now on */
            h->arena_hint = j + 1;
            h->arena_hint_addr = 0;
        }
    }
    void *r = ga_sys_reserve_aligned(&h->os, NULL, n, GA_ARENA_BYTES);
    if (!r)
        return 0;
    if (!arena_range_ok((uintptr_t)r, n)) {
        ga_sys_free(&h->os, r, n, 0, 0);
        return 0;
    }
    /* No hint worked: grow from here on (Go pushes a hint just past this range). */
    h->arena_hint = GA_ARENA_HINTS;
    h->arena_hint_addr = (uintptr_t)r + n;
    return (uintptr_t)r;
}

uintptr_t ga_mheap_sys_alloc(ga_heap *h, size_t n, size_t *size) {
    *size = 0;
    if (n == 0 || n > ((size_t)1 << GA_HEAP_ADDR_BITS)) {
        errno = ENOMEM;
        return 0;
    }
    n = ga_align_up(n, GA_ARENA_BYTES);
    size_t count = n / GA_ARENA_BYTES;
    /* Everything that can fail comes before the arenas are published.  Address space
     * first: a request too large to reserve must not leave a grown all_arenas behind. */
    uint32_t hint = h->arena_hint;
    uintptr_t hint_addr = h->arena_hint_addr;
    uintptr_t v = arena_reserve(h, n);
    if (!v) {
        errno = ENOMEM;
        return 0;
    }
    if (all_arenas_reserve(h, count)) {
        ga_sys_free(&h->os, (void *)v, n, 0, 0);
        h->arena_hint = hint; /* the next attempt goes to the same place */
        h->arena_hint_addr = hint_addr;
        errno = ENOMEM;
        return 0;
    }
    ga_heap_arena *first = NULL, *last = NULL;
    for (size_t i = 0; i < count; i++) {
        uintptr_t base = v + i * GA_ARENA_BYTES;
        /* The range was just reserved, and registered arenas stay reserved until the
         * heap is destroyed, so none of its arenas can be registered already. */
        GA_CHECK(h->arenas[arena_index(base)] == NULL, "mheap: newly reserved arena %#lx already registered",
                 (unsigned long)base);
        ga_heap_arena *a = ga_fixalloc_alloc(&h->arena_alloc, &h->os);
        if (!a) { /* refused */
            while (first) {
                ga_heap_arena *next = first->link;
                ga_fixalloc_free(&h->arena_alloc, first);
                first = next;
            }
            ga_sys_free(&h->os, (void *)v, n, 0, 0);
            h->arena_hint = hint;
            h->arena_hint_addr = hint_addr;
            errno = ENOMEM;
            return 0;
        }
        /* spans[] is all NULL: fresh zero memory, or a record returned unpublished.
         * So are the page bitmaps; cleared anyway, as the fields below (A2, A5: no span
         * starts in a new arena). */
        memset(a->page_in_use, 0, sizeof a->page_in_use);
        memset(a->page_marks, 0, sizeof a->page_marks);
        a->zeroed_base = 0;
        a->base = base;
        a->mapped = 0;
        a->link = NULL;
        if (last)
            last->link = a;
        else
            first = a;
        last = a;
    }
    for (ga_heap_arena *a = first; a; a = a->link) {
        __atomic_store_n(&h->arenas[arena_index(a->base)], a, __ATOMIC_RELEASE);
        h->all_arenas[h->n_arenas++] = a->base;
    }
    *size = n;
    return v;
}

/* Map [v, v+size) (inside registered arenas, chunk aligned) and give it to pageAlloc.
 * On refusal nothing changed (the range is Reserved again). */
static int add_to_pages(ga_heap *h, uintptr_t v, size_t size) {
    if (ga_sys_map(&h->os, (void *)v, size))
        return ENOMEM;
    if (ga_pagealloc_grow(&h->pages, v, size)) {
        ga_sys_unmap(&h->os, (void *)v, size, 0);
        return ENOMEM;
    }
    for (uintptr_t p = v; p < v + size;) {
        ga_heap_arena *a = arena_get(h, p);
        uintptr_t end = ga_align_down(p, GA_ARENA_BYTES) + GA_ARENA_BYTES;
        if (end > v + size)
            end = v + size;
        a->mapped = end - a->base; /* a prefix: carving only moves upward */
        p = end;
    }
    return 0;
}

int ga_mheap_grow(ga_heap *h, uintptr_t npages) {
    if (npages == 0 || npages > MAX_NPAGES)
        return errno = ENOMEM;
    uintptr_t ask = ga_align_up(npages, GA_CHUNK_PAGES) << GA_PAGE_SHIFT;
    if (h->cur_arena_base == 0 || ask > h->cur_arena_end - h->cur_arena_base) {
        size_t asize;
        uintptr_t av = ga_mheap_sys_alloc(h, ask, &asize);
        if (!av)
            return errno = ENOMEM;
        if (h->cur_arena_end != 0 && av == h->cur_arena_end) {
            h->cur_arena_end = av + asize;
        } else {
            /* Discontiguous: give the old remainder to pageAlloc if the OS lets us;
             * otherwise it just stays reserved (unmapped at destroy). */
            if (h->cur_arena_base < h->cur_arena_end)
                (void)add_to_pages(h, h->cur_arena_base, h->cur_arena_end - h->cur_arena_base);
            h->cur_arena_base = av;
            h->cur_arena_end = av + asize;
        }
    }
    uintptr_t v = h->cur_arena_base;
    if (add_to_pages(h, v, ask))
        return errno = ENOMEM; /* stays reserved for the next try */
    h->cur_arena_base = v + ask;
    return 0;
}

/* allocNeedsZero (docs/go-facts.md §4.2): does [base, base+npages) need zeroing?  Raises each
 * touched arena's zeroed_base high-water mark.  Comparing only the start of the range
 * against it is enough: everything at or above zeroed_base was never handed out. */
static int alloc_needs_zero(ga_heap *h, uintptr_t base, uintptr_t npages) {
    int need = 0;
    uintptr_t p = base, rem = npages << GA_PAGE_SHIFT;
    while (rem) {
        ga_heap_arena *a = arena_get(h, p);
        uintptr_t o = p - a->base;
        uintptr_t n = GA_ARENA_BYTES - o < rem ? GA_ARENA_BYTES - o : rem;
        /* A CAS loop, as Go's allocNeedsZero: spans carved from a page cache are made
         * without the heap lock, so two threads may raise the same arena's mark. */
        uintptr_t zb = __atomic_load_n(&a->zeroed_base, __ATOMIC_RELAXED);
        for (;;) {
            if (o < zb)
                need = 1;
            if (o + n <= zb ||
                __atomic_compare_exchange_n(&a->zeroed_base, &zb, o + n, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                break;
        }
        p += n;
        rem -= n;
    }
    return need;
}

static void index_set(ga_heap *h, uintptr_t base, uintptr_t npages, ga_mspan *s) {
    uintptr_t p = base, end = base + (npages << GA_PAGE_SHIFT);
    while (p < end) {
        ga_heap_arena *a = arena_get(h, p);
        uintptr_t i = arena_page(p);
        uintptr_t stop = (end - a->base) >> GA_PAGE_SHIFT;
        if (stop > GA_PAGES_PER_ARENA)
            stop = GA_PAGES_PER_ARENA;
        for (; i < stop; i++)
            __atomic_store_n(&a->spans[i], s, __ATOMIC_RELEASE);
        p = a->base + (stop << GA_PAGE_SHIFT);
    }
}

ga_mspan *ga_mheap_index_get(const ga_heap *h, uintptr_t p) {
    ga_heap_arena *a = arena_get(h, p);
    return a ? __atomic_load_n(&a->spans[arena_page(p)], __ATOMIC_ACQUIRE) : NULL;
}

ga_mspan *ga_mheap_span_of(ga_heap *h, uintptr_t p) { return ga_mheap_span_of_inline(h, p); }

/* ---- parked runs -------------------------------------------------------------------- */

static void park(ga_heap *h, ga_mspan *s, uintptr_t base, uintptr_t npages, size_t scav) {
    s->base = base;
    s->npages = npages;
    s->elemsize = scav;
    s->next = h->parked;
    h->parked = s;
    h->parked_pages += npages;
}

/* Retry sys_used on parked runs; those the OS now accepts go back to pageAlloc as
 * ordinary free (Ready) pages.  Stops at the first refusal. */
static void unpark(ga_heap *h) {
    while (h->parked) {
        ga_mspan *s = h->parked;
        if (ga_sys_used(&h->os, (void *)s->base, s->npages << GA_PAGE_SHIFT, s->elemsize))
            return;
        h->parked = s->next;
        h->parked_pages -= s->npages;
        ga_pagealloc_free(&h->pages, s->base, s->npages);
        ga_fixalloc_free(&h->span_alloc, s);
    }
}

/* ---- spans --------------------------------------------------------------------------- */

/* span.init + the heap part of allocSpan step 4 (docs/go-facts.md §10.3).  sweepgen is stored
 * before state (the publication point), and only then is the index pointed at s. */
static void span_init(ga_heap *h, ga_mspan *s, uintptr_t base, uintptr_t npages, ga_spanclass spc, int needzero) {
    uint32_t c = ga_spanclass_sizeclass(spc);
    s->next = s->prev = NULL;
    __atomic_store_n(&s->base, base, __ATOMIC_RELAXED);
    __atomic_store_n(&s->npages, npages, __ATOMIC_RELAXED);
    s->spanclass = spc;
    if (c == 0) {
        s->elemsize = npages << GA_PAGE_SHIFT;
        s->nelems = 1;
        s->div_mul = 0;
        s->limit = base + s->elemsize; /* mallocgc lowers it to base + size */
    } else {
        s->elemsize = ga_class_size[c];
        s->nelems = (uint32_t)((npages << GA_PAGE_SHIFT) / s->elemsize);
        s->div_mul = ga_class_divmagic[c];
        s->limit = base + (uintptr_t)s->nelems * s->elemsize;
    }
    __atomic_store_n(&s->freeindex, 0, __ATOMIC_RELAXED);
    s->alloc_count = 0;
    s->alloc_count_before_cache = 0;
    __atomic_store_n(&s->pending_frees, 0, __ATOMIC_RELAXED);
    s->needzero = (uint8_t)needzero;
    s->list = GA_LIST_NONE;
    s->alloc_cache = ~(uint64_t)0;
    memset(s->alloc_bits, 0, sizeof s->alloc_bits);
    memset(s->gcmark_bits, 0, sizeof s->gcmark_bits);
    memset(s->freed_bits, 0, sizeof s->freed_bits);
    s->local_frees = 0;
    memset(s->local_freed, 0, sizeof s->local_freed);
    __atomic_store_n(&s->sweepgen, ga_heap_sweepgen(h), __ATOMIC_RELEASE);
    __atomic_store_n(&s->state, (uint8_t)GA_SPAN_IN_USE, __ATOMIC_RELEASE);
}

/* GA_SCAVENGE_IDLE, after every span allocation and free and at every tick (heap lock
 * held; `allocated`: pages just allocated): a page counted in the epoch's minimum was
 * free and unreleased from the epoch's start to its end, so a program that frees and
 * reallocates the same memory within an epoch never sees it released (no fault
 * storm), while memory nobody took back goes to the OS one epoch after it was freed.
 * An epoch lasts until the heap's size in pages was allocated (GA_SCAV_EPOCH_* in
 * heap.h).  retain_percent % of the heap in use stays unreleased. */
static void scav_note(ga_heap *h, uintptr_t allocated, bool tick) {
    if (h->cfg.scavenge_policy != GA_SCAVENGE_IDLE)
        return;
    size_t idle = h->pages.free_pages - h->pages.scav_pages;
    if (idle < h->scav_idle_min)
        h->scav_idle_min = idle;
    h->scav_alloc += allocated;
    h->scav_ticks += tick;
    size_t inuse = atomic_load_explicit(&h->stats.pages_in_use, memory_order_relaxed);
    if (h->scav_ticks < GA_SCAV_EPOCH_TICKS && (h->scav_alloc < GA_SCAV_EPOCH_PAGES || h->scav_alloc < inuse + idle))
        return;
    size_t retain = (size_t)((unsigned __int128)inuse * h->cfg.retain_percent / 100);
    if (h->scav_idle_min >= retain + GA_SCAV_MIN_BATCH)
        ga_pagealloc_scavenge(&h->pages, (h->scav_idle_min - retain) << GA_PAGE_SHIFT);
    h->scav_ticks = 0;
    h->scav_alloc = 0;
    h->scav_idle_min = h->pages.free_pages - h->pages.scav_pages;
}

void ga_heap_tick(ga_heap *h) {
    if (h->cfg.scavenge_policy != GA_SCAVENGE_IDLE)
        return;
    pthread_mutex_lock(&h->lock);
    scav_note(h, 0, true);
    pthread_mutex_unlock(&h->lock);
    if (h->cfg.debug_checks)
        ga_debug_check(h, "ga_heap_tick");
}

/* Heap lock held: refill c's page cache if it is empty (pages count as allocated for
 * the IDLE scavenger's epoch, as they are in pageAlloc) and top its span stash up to
 * half (Go's mspancache refill), so that the next small spans need no lock. */
static void cache_refill_locked(ga_heap *h, ga_cache *c) {
    if (ga_pagecache_empty(&c->pcache)) {
        c->pcache = ga_pagealloc_alloc_to_cache(&h->pages);
        if (!ga_pagecache_empty(&c->pcache)) {
            atomic_fetch_add_explicit(&h->stats.pcache_pages, ga_popcount64(c->pcache.cache), memory_order_relaxed);
            atomic_fetch_add_explicit(&h->stats.pcache_scav, ga_popcount64(c->pcache.scav), memory_order_relaxed);
            scav_note(h, (uintptr_t)ga_popcount64(c->pcache.cache), false);
        }
    }
    while (c->nspan_stash < GA_SPAN_STASH / 2) {
        ga_mspan *s = ga_fixalloc_alloc(&h->span_alloc, &h->os);
        if (!s)
            break; /* refused: fewer stashed structs (the locked path may still find one) */
        c->span_stash[c->nspan_stash++] = s;
    }
}

/* The last step of allocSpan (Go's HaveSpan), for pages [base, base + npages), Ready
 * and allocated in pageAlloc, and span struct s, both owned by the caller: initialise
 * and publish the span, index it.  Needs no lock (the page-cache path has none). */
static ga_mspan *have_span(ga_heap *h, ga_mspan *s, uintptr_t base, uintptr_t npages, ga_spanclass spc) {
    span_init(h, s, base, npages, spc, alloc_needs_zero(h, base, npages));
    index_set(h, base, npages, s);
    /* A2, after the index (the reclaimer reads spans[] at a set bit); Go's publication
     * to the page reclaimer.  Atomic: spans from page caches are made without the lock. */
    __atomic_fetch_or(&arena_get(h, base)->page_in_use[ga_page_word(base)], ga_page_mask(base), __ATOMIC_RELEASE);
    atomic_fetch_add_explicit(&h->stats.pages_in_use, npages, memory_order_relaxed);
    return s;
}

/* Go's page-cache path: a run of fewer than 16 pages from c's 64-page block, without
 * the heap lock, or NULL (then the caller takes the locked path).  A run that fits no
 * longer (fragmented block) is left to the locked path; the block is used up by later,
 * smaller runs or given back at release.  If the OS refuses to make released pages
 * Ready, they stay in the cache as they were and the locked path may find Ready pages
 * freed since (pageAlloc's lowest fit). */
static ga_mspan *alloc_from_cache(ga_heap *h, ga_cache *c, uintptr_t npages, ga_spanclass spc) {
    if (ga_pagecache_empty(&c->pcache) || c->nspan_stash == 0) {
        pthread_mutex_lock(&h->lock);
        cache_refill_locked(h, c);
        pthread_mutex_unlock(&h->lock);
    }
    if (c->nspan_stash == 0)
        return NULL; /* no struct at hand: the locked path */
    ga_pagecache before = c->pcache;
    size_t scav = 0; /* bytes */
    uintptr_t base = ga_pagecache_alloc(&c->pcache, npages, &scav);
    if (!base)
        return NULL;
    if (scav && ga_sys_used(&h->os, (void *)base, npages << GA_PAGE_SHIFT, scav)) {
        c->pcache = before;
        return NULL;
    }
    atomic_fetch_sub_explicit(&h->stats.pcache_pages, npages, memory_order_relaxed);
    atomic_fetch_sub_explicit(&h->stats.pcache_scav, scav >> GA_PAGE_SHIFT, memory_order_relaxed);
    return have_span(h, c->span_stash[--c->nspan_stash], base, npages, spc);
}

ga_mspan *ga_mheap_alloc_span(ga_heap *h, uintptr_t npages, ga_spanclass spc, ga_cache *c) {
    if (npages == 0 || npages > MAX_NPAGES || spc >= GA_NUM_SPAN_CLASSES) {
        errno = ENOMEM;
        return NULL;
    }
    ga_mspan *s;
    if (c && npages < GA_PAGECACHE_PAGES / 4 && !h->cfg.no_page_cache && (s = alloc_from_cache(h, c, npages, spc)))
        return s;
    pthread_mutex_lock(&h->lock);
    if (GA_UNLIKELY(h->parked != NULL))
        unpark(h);
    /* The struct first: its failure needs no undo.  A stashed one serves when span_alloc
     * would need the OS (which may be refusing). */
    s = c && c->nspan_stash ? c->span_stash[--c->nspan_stash] : ga_fixalloc_alloc(&h->span_alloc, &h->os);
    if (!s)
        goto fail;
    size_t scav = 0; /* bytes */
    uintptr_t base = ga_pagealloc_alloc(&h->pages, npages, &scav);
    if (!base && (ga_mheap_grow(h, npages) || !(base = ga_pagealloc_alloc(&h->pages, npages, &scav)))) {
        ga_fixalloc_free(&h->span_alloc, s); /* keeps its sweepgen (docs/go-facts.md §15.4) */
        goto fail;
    }
    if (scav && ga_sys_used(&h->os, (void *)base, npages << GA_PAGE_SHIFT, scav)) {
        park(h, s, base, npages, scav);
        goto fail;
    }
    have_span(h, s, base, npages, spc);
    scav_note(h, npages, false);
    pthread_mutex_unlock(&h->lock);
    return s;
fail:
    pthread_mutex_unlock(&h->lock);
    errno = ENOMEM;
    return NULL;
}

void ga_mheap_release_cache(ga_heap *h, ga_cache *c) {
    if (ga_pagecache_empty(&c->pcache) && c->nspan_stash == 0)
        return;
    pthread_mutex_lock(&h->lock);
    atomic_fetch_sub_explicit(&h->stats.pcache_pages, ga_popcount64(c->pcache.cache), memory_order_relaxed);
    atomic_fetch_sub_explicit(&h->stats.pcache_scav, ga_popcount64(c->pcache.scav), memory_order_relaxed);
    ga_pagecache_flush(&c->pcache, &h->pages);
    while (c->nspan_stash)
        ga_fixalloc_free(&h->span_alloc, c->span_stash[--c->nspan_stash]);
    scav_note(h, 0, false);
    pthread_mutex_unlock(&h->lock);
}

/* Go's alloc: when sweeping is behind (a cycle ended and ga_sweep has not drained it),
 * the page reclaimer first sweeps dead spans until npages pages went back to the heap,
 * so that the heap does not grow over garbage no lazy sweep reached (reclaim.c).
 * Before the heap lock, which the reclaimer takes itself, and never under an mcentral
 * lock (its callers hold none).  A heap that never ran a cycle (the malloc drop-in)
 * starts drained: one load. */
ga_mspan *ga_mheap_alloc(ga_heap *h, uintptr_t npages, ga_spanclass spc, ga_cache *c) {
    if (atomic_load_explicit(&h->sweep_active, memory_order_acquire) != GA_SWEEP_DRAINED)
        ga_mheap_reclaim(h, npages);
    return ga_mheap_alloc_span(h, npages, spc, c);
}

/* Grow large span s to npages pages in place: the pages right after it must be free in
 * pageAlloc (or, if s ends where the current arena's unused part begins, be added to
 * it now).  The caller owns the object (no one else may free it meanwhile); readers of
 * npages/elemsize elsewhere only validate pointers, and a pointer into the new pages is
 * no object start.  0, or -1 with nothing changed. */
int ga_mheap_grow_large(ga_heap *h, ga_mspan *s, uintptr_t npages) {
    pthread_mutex_lock(&h->lock);
    uintptr_t old = s->npages, at = s->base + (old << GA_PAGE_SHIFT), extra = npages - old;
    size_t scav = 0;
    int ok = npages > old && npages <= MAX_NPAGES;
    if (ok && !ga_pagealloc_range_free(&h->pages, at, extra, &scav)) {
        /* Near the top of the heap: if every page from `at` up to cur_arena_base (where
         * ga_mheap_grow carves the next pages, upward) is free, grow the heap by the
         * rest and look again (a discontiguous growth fails the second look). */
        uintptr_t top = h->cur_arena_base, end = at + (extra << GA_PAGE_SHIFT);
        ok = top >= at && top < end &&
             (top == at || ga_pagealloc_range_free(&h->pages, at, (top - at) >> GA_PAGE_SHIFT, NULL)) &&
             ga_mheap_grow(h, (end - top) >> GA_PAGE_SHIFT) == 0 &&
             ga_pagealloc_range_free(&h->pages, at, extra, &scav);
    }
    /* Ready first: a refusal leaves pageAlloc untouched (the pages stay free and
     * scavenged, as they were). */
    if (ok && scav && ga_sys_used(&h->os, (void *)at, extra << GA_PAGE_SHIFT, scav << GA_PAGE_SHIFT))
        ok = 0;
    if (!ok) {
        pthread_mutex_unlock(&h->lock);
        return -1;
    }
    ga_pagealloc_alloc_at(&h->pages, at, extra);
    (void)alloc_needs_zero(h, at, extra); /* raises zeroed_base: the pages were handed out */
    index_set(h, at, extra, s);
    __atomic_store_n(&s->npages, npages, __ATOMIC_RELAXED);
    s->elemsize = npages << GA_PAGE_SHIFT;
    atomic_fetch_add_explicit(&h->stats.pages_in_use, extra, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->stats.bytes_malloc, (uint64_t)extra << GA_PAGE_SHIFT, memory_order_relaxed);
    scav_note(h, extra, false);
    pthread_mutex_unlock(&h->lock);
    return 0;
}

int ga_mheap_shrink_large(ga_heap *h, ga_mspan *s, uintptr_t npages) {
    pthread_mutex_lock(&h->lock);
    uintptr_t extra = s->npages - npages, tail = s->base + (npages << GA_PAGE_SHIFT);
    /* Size first: a free validating against the span then already refuses the tail. */
    __atomic_store_n(&s->npages, npages, __ATOMIC_RELAXED);
    s->elemsize = npages << GA_PAGE_SHIFT;
    if (s->limit > s->base + s->elemsize)
        s->limit = s->base + s->elemsize;
    index_set(h, tail, extra, NULL);
    atomic_fetch_sub_explicit(&h->stats.pages_in_use, extra, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->stats.bytes_free, (uint64_t)extra << GA_PAGE_SHIFT, memory_order_relaxed);
    ga_pagealloc_free(&h->pages, tail, extra);
    scav_note(h, 0, false);
    pthread_mutex_unlock(&h->lock);
    return 0;
}

void ga_mheap_free_span_locked(ga_heap *h, ga_mspan *s) {
    /* A span not in use here is a caller bug (a span freed twice): freeing its pages
     * again would hand them out twice. */
    GA_CHECK(__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == GA_SPAN_IN_USE, "mheap: free of span %p not in use",
             (void *)s);
    uintptr_t base = s->base, npages = s->npages;
    __atomic_store_n(&s->state, (uint8_t)GA_SPAN_DEAD, __ATOMIC_RELEASE);
    /* A2; A5: the mark bit goes too, so that page_marks stays within page_in_use and a
     * span later starting here begins unmarked. */
    ga_heap_arena *a = arena_get(h, base);
    __atomic_fetch_and(&a->page_in_use[ga_page_word(base)], ~ga_page_mask(base), __ATOMIC_RELEASE);
    __atomic_fetch_and(&a->page_marks[ga_page_word(base)], ~ga_page_mask(base), __ATOMIC_RELAXED);
    index_set(h, base, npages, NULL);
    atomic_fetch_sub_explicit(&h->stats.pages_in_use, npages, memory_order_relaxed);
    ga_pagealloc_free(&h->pages, base, npages);
    s->list = GA_LIST_NONE;
    ga_fixalloc_free(&h->span_alloc, s);
    scav_note(h, 0, false);
}

void ga_mheap_free_span(ga_heap *h, ga_mspan *s) {
    pthread_mutex_lock(&h->lock);
    ga_mheap_free_span_locked(h, s);
    pthread_mutex_unlock(&h->lock);
}

/* ---- init / destroy ------------------------------------------------------------------ */

int ga_mheap_init(ga_heap *h) {
    ga_os_init(&h->os, &h->cfg);
    if (pthread_mutex_init(&h->lock, NULL))
        return errno = ENOMEM;
    if (ga_pagealloc_init(&h->pages, &h->os))
        goto fail_lock;
    h->pages.huge_page_bytes = h->cfg.huge_pages_set ? h->cfg.huge_page_bytes : ga_huge_page_size();
    h->arenas = ga_sys_alloc(&h->os, INDEX_BYTES);
    if (!h->arenas)
        goto fail_pages;
    ga_fixalloc_init(&h->span_alloc, sizeof(ga_mspan), 16);
    ga_fixalloc_init(&h->cache_alloc, sizeof(ga_cache), GA_CACHE_LINE);
    ga_fixalloc_init(&h->arena_alloc, sizeof(ga_heap_arena), 16);
    h->all_arenas = NULL;
    h->n_arenas = h->cap_arenas = 0;
    h->cur_arena_base = h->cur_arena_end = 0;
    h->arena_hint = 0;
    h->arena_hint_addr = 0;
    h->parked = NULL;
    h->parked_pages = 0;
    h->caches = NULL;
    return 0;
fail_pages:
    ga_pagealloc_destroy(&h->pages);
fail_lock:
    pthread_mutex_destroy(&h->lock);
    return errno = ENOMEM;
}

/* Scavenged (Prepared) pages of pageAlloc in [base, base + bytes). */
static size_t scavenged_bytes(const ga_pagealloc *pa, uintptr_t base, uintptr_t bytes) {
    size_t pages = 0;
    for (uintptr_t p = base; p < base + bytes; p += GA_CHUNK_BYTES) {
        const ga_pallocdata *d = ga_pagealloc_chunk(pa, ga_off(p) >> GA_LOG_CHUNK_BYTES);
        for (uint32_t w = 0; w < GA_PALLOC_WORDS; w++)
            pages += (size_t)ga_popcount64(d->scav[w]);
    }
    return pages << GA_PAGE_SHIFT;
}

void ga_mheap_destroy(ga_heap *h) {
    size_t parked_scav = 0;
    for (ga_mspan *s = h->parked; s; s = s->next)
        parked_scav += s->elemsize;
    for (size_t i = 0; i < h->n_arenas; i++) {
        ga_heap_arena *a = h->arenas[arena_index(h->all_arenas[i])];
        size_t ready = a->mapped - scavenged_bytes(&h->pages, a->base, a->mapped);
        /* Parked runs are allocated in pageAlloc but partly Prepared: their scavenged
         * bytes are not Ready.  Charged to whichever arenas (only the total matters). */
        size_t take = parked_scav < ready ? parked_scav : ready;
        ga_sys_free(&h->os, (void *)a->base, GA_ARENA_BYTES, a->mapped, ready - take);
        parked_scav -= take;
    }
    if (h->all_arenas) {
        size_t bytes = h->cap_arenas * sizeof(uintptr_t);
        ga_sys_free(&h->os, h->all_arenas, bytes, bytes, bytes);
    }
    if (h->arenas)
        ga_sys_free(&h->os, h->arenas, INDEX_BYTES, INDEX_BYTES, INDEX_BYTES);
    ga_fixalloc_destroy(&h->span_alloc, &h->os);
    ga_fixalloc_destroy(&h->cache_alloc, &h->os);
    ga_fixalloc_destroy(&h->arena_alloc, &h->os);
    ga_pagealloc_destroy(&h->pages);
    pthread_mutex_destroy(&h->lock);
    h->arenas = NULL;
    h->all_arenas = NULL;
    h->n_arenas = h->cap_arenas = 0;
    h->parked = NULL;
    h->parked_pages = 0;
}
