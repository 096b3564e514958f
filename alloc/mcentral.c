/* mcentral: the spans of one span class that no cache holds (Go's mcentral.go, docs/go-facts.md §9).
 *
 * Go 1.19 keeps four lock-free spanSets per class and tolerates stale entries; goalloc
 * keeps four intrusive doubly linked lists under one mutex per class, with exact
 * membership (span->list), so that a span in a list is owned by nobody and can be
 * acquired by removing it under the lock.  Roles swap every GC exactly as in Go:
 * with h = heap sweepgen, partial[(h/2)%2] / full[(h/2)%2] are the swept lists and the
 * other two the unswept ones, so `h += 2` turns every swept span into an unswept one
 * without touching the lists.
 *
 * The lock is held only for list surgery: sweeping, reclaiming explicit frees and
 * calls into the heap happen after it is dropped (heap.h lock order).
 *
 * One owner: this file is the only one that takes an mcentral lock or touches the span
 * lists.  The other boxes go through named operations: cache_span / uncache_span /
 * push_swept / grow (mcache, sweep), push_full_large (mcache's allocLarge),
 * free_large_take and note_pending_free (ga_free), take_unswept and take_pending
 * (ga_sweep), take_unswept_span (the page reclaimer), check (the heap checker).  The
 * list primitives ga_span_list_push/remove and ga_mcentral_list are declared in heap.h
 * only for the white-box unit tests. */
#include <errno.h>

#include "heap.h"

void ga_mcentral_init(ga_mcentral *c, ga_spanclass spc) {
    pthread_mutex_init(&c->lock, NULL);
    c->spanclass = spc;
    for (int i = 0; i < 2; i++) {
        c->partial[i].head = c->full[i].head = NULL;
        c->partial[i].tail = c->full[i].tail = NULL;
        c->partial[i].n = c->full[i].n = 0;
    }
}

void ga_mcentral_destroy(ga_mcentral *c) { pthread_mutex_destroy(&c->lock); }

ga_span_list *ga_mcentral_list(ga_mcentral *c, int8_t id) { return id >= 2 ? &c->full[id - 2] : &c->partial[id]; }

/* Append at the tail; pops take the head.  FIFO, like Go's spanSet queues, matters for
 * the unswept lists: after a GC the full list holds spans in the order they filled up,
 * and the oldest objects are the likeliest to be dead, so a refill sweeping from the
 * head finds free slots sooner.  (LIFO swept the newest, fully live, spans first: on
 * bench_alloc's window-gc half of the lazy sweeps reclaimed nothing.) */
void ga_span_list_push(ga_span_list *l, ga_mspan *s, int8_t id) {
    s->next = NULL;
    s->prev = l->tail;
    if (l->tail)
        l->tail->next = s;
    else
        l->head = s;
    l->tail = s;
    l->n++;
    s->list = id;
}

void ga_span_list_remove(ga_span_list *l, ga_mspan *s) {
    if (s->prev)
        s->prev->next = s->next;
    else
        l->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        l->tail = s->prev;
    s->next = s->prev = NULL;
    l->n--;
    s->list = GA_LIST_NONE;
}

/* Pop the head of list `id`, or NULL.  Caller holds c->lock. */
static ga_mspan *list_pop(ga_mcentral *c, int8_t id) {
    ga_span_list *l = ga_mcentral_list(c, id);
    ga_mspan *s = l->head;
    if (s)
        ga_span_list_remove(l, s);
    return s;
}

static ga_mspan *pop_locked(ga_mcentral *c, int8_t id) {
    pthread_mutex_lock(&c->lock);
    ga_mspan *s = list_pop(c, id);
    pthread_mutex_unlock(&c->lock);
    return s;
}

static inline uint32_t pending(const ga_mspan *s) { return __atomic_load_n(&s->pending_frees, __ATOMIC_ACQUIRE); }

/* Swept span s (sweepgen h, owned by the caller) goes back to its class's swept lists.
 * Partial if it has a free slot or pending frees (so that refills find the frees);
 * pending_frees is read under the lock, which pairs with ga_free's 0 → 1 check (it
 * increments before taking the lock): either ga_free sees the span in the full list
 * and moves it, or this push sees the count.  A large span whose object was freed
 * while the caller owned it is freed here instead (ga_free left that to the owner). */
void ga_mcentral_push_swept(ga_heap *h, ga_mcentral *c, ga_mspan *s) {
    uint32_t gen = ga_swept_gen(ga_heap_sweepgen(h));
    bool large = ga_spanclass_sizeclass(s->spanclass) == 0;
    pthread_mutex_lock(&c->lock);
    if (large) {
        if (pending(s) != 0) {
            pthread_mutex_unlock(&c->lock);
            ga_sweep_free_large(h, s);
            return;
        }
        ga_span_list_push(&c->full[gen], s, GA_LIST_FULL(gen));
    } else if (s->alloc_count < s->nelems || pending(s) != 0) {
        ga_span_list_push(&c->partial[gen], s, GA_LIST_PARTIAL(gen));
    } else {
        ga_span_list_push(&c->full[gen], s, GA_LIST_FULL(gen));
    }
    pthread_mutex_unlock(&c->lock);
}

/* allocLarge's push (Go: mcentral.fullSwept(sg).push(s)): a new large span s, fresh
 * from mheap and owned by the caller, goes on its class's full swept list so that GC
 * sweeps see it, and its one object becomes allocated (alloc_count = 1, freeindex = 1)
 * inside the same lock hold, so a concurrent (bogus) ga_free of its base sees either no
 * object or a listed span it may take (ga_mcentral_free_large_take).  In mcentral.c
 * because the list and its lock are mcentral's; ga_mcache_alloc_large calls it. */
void ga_mcentral_push_full_large(ga_heap *h, ga_mcentral *c, ga_mspan *s) {
    uint32_t gen = ga_swept_gen(ga_heap_sweepgen(h));
    pthread_mutex_lock(&c->lock);
    ga_span_list_push(&c->full[gen], s, GA_LIST_FULL(gen));
    s->alloc_count = 1;
    __atomic_store_n(&s->freeindex, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&c->lock);
}

/* ga_free of the object of large span s (its freed bit set and pending_frees counted,
 * inside the span's gate).  If s sits in a list nobody owns it: take it off and return
 * true, the caller now owns it and frees it (ga_sweep_free_large, after leaving the
 * gate).  If not, a sweeper (or alloc_large) owns it and will see the freed bit (sweep,
 * or ga_mcentral_push_swept, both after this gate section): false.  In mcentral.c
 * because only mcentral takes its lock and edits its lists (ga_free calls it). */
bool ga_mcentral_free_large_take(ga_mcentral *c, ga_mspan *s) {
    bool taken = false;
    pthread_mutex_lock(&c->lock);
    if (s->list != GA_LIST_NONE) {
        ga_span_list_remove(ga_mcentral_list(c, s->list), s);
        taken = true;
    }
    pthread_mutex_unlock(&c->lock);
    return taken;
}

/* ga_free's half of the 0 → 1 pending-free handshake: small span s, not cached by the
 * freeing thread, just got its first pending free (ga_free incremented pending_frees
 * before calling this, i.e. before taking the lock).  A full swept span becomes worth a
 * refill's visit, so it moves to the partial swept list.  Pairs with
 * ga_mcentral_push_swept, which reads pending_frees under the lock: either this call
 * sees s in the full list and moves it, or that push sees the count.  In mcentral.c
 * because only mcentral takes its lock and edits its lists. */
void ga_mcentral_note_pending_free(ga_heap *h, ga_mcentral *c, ga_mspan *s) {
    uint32_t gen = ga_swept_gen(ga_heap_sweepgen(h));
    pthread_mutex_lock(&c->lock);
    if (s->list == GA_LIST_FULL(gen)) {
        ga_span_list_remove(&c->full[gen], s);
        ga_span_list_push(&c->partial[gen], s, GA_LIST_PARTIAL(gen));
    }
    pthread_mutex_unlock(&c->lock);
}

/* nextSpanForSweep's pop for one class, heap sweepgen sg: the head of the full unswept
 * list, else of the partial unswept one (full lists first, as Go), taken off its list
 * (so owned by nobody else); NULL when both are empty, which they stay for the rest of
 * the cycle (unswept lists only shrink).  The caller (ga_sweep, ga_sweep_finish)
 * acquires it for sweeping.  In mcentral.c because the lists are mcentral's. */
ga_mspan *ga_mcentral_take_unswept(ga_mcentral *c, uint32_t sg) {
    uint32_t unswept = 1 - ga_swept_gen(sg);
    pthread_mutex_lock(&c->lock);
    ga_mspan *s = list_pop(c, GA_LIST_FULL(unswept));
    if (!s)
        s = list_pop(c, GA_LIST_PARTIAL(unswept));
    pthread_mutex_unlock(&c->lock);
    return s;
}

/* The page reclaimer (reclaim.c) finds s through the arena index, not through a list,
 * and owns nothing yet: s may meanwhile have been swept, cached, freed, or reused for
 * another class (whose lock, not c's, then guards s->list).  The heap lock, taken
 * after c->lock as the lock order allows, keeps s from being freed or reused while its
 * class and list are read; a span of this class in an unswept list is at h-2 and owned
 * by nobody (exact lists), so taking it off makes the caller its only owner, as
 * ga_mcentral_take_unswept does for ga_sweep.  In mcentral.c because the lists are
 * mcentral's. */
bool ga_mcentral_take_unswept_span(ga_heap *h, ga_mcentral *c, ga_mspan *s) {
    int8_t full = GA_LIST_FULL(1 - ga_swept_gen(ga_heap_sweepgen(h)));
    int8_t partial = GA_LIST_PARTIAL(1 - ga_swept_gen(ga_heap_sweepgen(h)));
    bool taken = false;
    pthread_mutex_lock(&c->lock);
    pthread_mutex_lock(&h->lock);
    if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == GA_SPAN_IN_USE && s->spanclass == c->spanclass &&
        (s->list == full || s->list == partial)) {
        ga_span_list_remove(ga_mcentral_list(c, s->list), s);
        taken = true;
    }
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_unlock(&c->lock);
    return taken;
}

/* ga_sweep's free sweep of uncached spans, heap sweepgen sg: take the spans of the
 * partial swept list that have pending explicit frees (ga_free's note_pending_free
 * moves full ones there), at most max of them (0 = all), chained through s->next into
 * *chain, a private chain: the caller owns them now and gives each back
 * (ga_mcentral_push_swept) or frees it.  Returns how many it took.  In mcentral.c
 * because the lists are mcentral's. */
size_t ga_mcentral_take_pending(ga_mcentral *c, uint32_t sg, size_t max, ga_mspan **chain) {
    uint32_t gen = ga_swept_gen(sg);
    size_t done = 0;
    ga_mspan *take = NULL;
    pthread_mutex_lock(&c->lock);
    ga_span_list *l = &c->partial[gen];
    for (ga_mspan *s = l->head, *next; s && (max == 0 || done < max); s = next) {
        next = s->next;
        if (pending(s) == 0)
            continue;
        ga_span_list_remove(l, s);
        s->next = take; /* private chain: the span is owned by the caller now */
        take = s;
        done++;
    }
    pthread_mutex_unlock(&c->lock);
    *chain = take;
    return done;
}

/* Take a fresh span from the heap (docs/go-facts.md §9.1 grow): mheap hands it out initialised
 * (nelems, limit, empty bitmaps, alloc_cache all free, sweepgen h). */
ga_mspan *ga_mcentral_grow(ga_heap *h, ga_mcentral *c, ga_cache *cache) {
    uint32_t sc = ga_spanclass_sizeclass(c->spanclass);
    return ga_mheap_alloc(h, ga_class_npages[sc], c->spanclass, cache);
}

/* cacheSpan (docs/go-facts.md §9.1): a span of this class with at least one free slot, owned by
 * the caller (the cache sets sweepgen h+3), or NULL + ENOMEM.
 *  1. a swept partial span: its pending explicit frees are reclaimed first;
 *  2. else sweep unswept spans lazily, at most GA_CENTRAL_SWEEP_BUDGET of them:
 *     partial ones first (a sweep only frees slots, so each yields a usable span),
 *     then full ones (kept if the sweep freed something, else pushed to full swept);
 *  3. else grow from the heap (through cache's page cache when cache is not NULL). */
ga_mspan *ga_mcentral_cache_span(ga_heap *h, ga_mcentral *c, ga_cache *cache) {
    uint32_t sg = ga_heap_sweepgen(h);
    uint32_t swept = ga_swept_gen(sg), unswept = 1 - swept;
    ga_mspan *s;

    if ((s = pop_locked(c, GA_LIST_PARTIAL(swept))) != NULL) {
        if (pending(s) != 0)
            ga_sweep_reclaim_frees(h, s);
        /* A swept partial span has a free slot or a pending free (M1, exact lists), and
         * pending_frees counts freed bits exactly (each ga_free sets its bit before the
         * increment, both inside the span's gate, which the reclaim holds as writer), so
         * the reclaim freed at least one slot.  A full span here is a broken protocol. */
        GA_CHECK(s->alloc_count < s->nelems, "mcentral: swept partial span %#lx of class %u has no free slot",
                 (unsigned long)s->base, c->spanclass);
        return s;
    }

    if (ga_sweep_begin(h)) {
        int budget = GA_CENTRAL_SWEEP_BUDGET;
        ga_sweeplocked sl;
        for (; budget > 0; budget--) {
            s = pop_locked(c, GA_LIST_PARTIAL(unswept));
            if (!s)
                break;
            if (!ga_sweep_try_acquire(h, s, &sl)) /* exact lists: every span here is at h-2 */
                ga_throw("mcentral: unswept span %#lx not acquirable for sweeping", (unsigned long)s->base);
            ga_sweeplocked_sweep(h, &sl, true);
            if (s->alloc_count < s->nelems) {
                ga_sweep_end(h);
                return s;
            }
            ga_mcentral_push_swept(h, c, s);
        }
        for (; budget > 0; budget--) {
            s = pop_locked(c, GA_LIST_FULL(unswept));
            if (!s)
                break;
            if (!ga_sweep_try_acquire(h, s, &sl))
                ga_throw("mcentral: unswept span %#lx not acquirable for sweeping", (unsigned long)s->base);
            ga_sweeplocked_sweep(h, &sl, true);
            if (s->alloc_count < s->nelems) {
                ga_sweep_end(h);
                return s;
            }
            ga_mcentral_push_swept(h, c, s);
        }
        ga_sweep_end(h);
    }

    s = ga_mcentral_grow(h, c, cache);
    if (!s)
        errno = ENOMEM;
    return s;
}

/* uncacheSpan (docs/go-facts.md §9.1): a cache gives s back.
 *  - stale (h+1: cached since before the last ga_gc_end): it still needs its GC sweep;
 *    the cache's ownership becomes sweep ownership (h-1) without a CAS, as in Go,
 *    because a cached span is in no list;
 *  - otherwise (h+3): explicit frees are reclaimed, an empty span goes back to the
 *    heap, else sweepgen = h and it goes to a swept list. */
void ga_mcentral_uncache_span(ga_heap *h, ga_mcentral *c, ga_mspan *s) {
    ga_mspan_merge_local_frees(s); /* F2: no local frees outside a cache */
    uint32_t sg = ga_heap_sweepgen(h);
    uint32_t cur = __atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE);
    if (cur == sg + 1) {
        __atomic_store_n(&s->sweepgen, sg - 1, __ATOMIC_RELEASE);
        ga_sweeplocked sl = {s};
        ga_sweeplocked_sweep(h, &sl, false);
        return;
    }
    /* A cached span is at h+1 or h+3 (C1): anything else is not a cached span. */
    GA_CHECK(cur == sg + 3, "mcentral: uncache of span %#lx with sweepgen h%+d", (unsigned long)s->base,
             (int)(cur - sg));
    if (pending(s) != 0)
        ga_sweep_reclaim_frees(h, s);
    __atomic_store_n(&s->sweepgen, sg, __ATOMIC_RELEASE);
    if (s->alloc_count == 0) {
        ga_mheap_free_span(h, s);
        return;
    }
    ga_mcentral_push_swept(h, c, s);
}

/* ---- checker (M1, M2) -------------------------------------------------------------- */

#define FAIL(...) return ga_check_fail(why, len, __VA_ARGS__)

/* The four lists of class spc; `bound` caps walks (a cycle would never end). */
static int check_lists(ga_mcentral *c, uint32_t spc, uint32_t sg, size_t bound, size_t *entries, char *why,
                       size_t len) {
    uint32_t swept = ga_swept_gen(sg);
    if (c->spanclass != spc)
        FAIL("M1: mcentral %u has span class %u", spc, c->spanclass);
    for (int8_t id = 0; id < 4; id++) {
        const ga_span_list *l = ga_mcentral_list(c, id);
        uint32_t gen = (uint32_t)id % 2;
        int full = id >= 2;
        uint32_t want_sg = gen == swept ? sg : sg - 2;
        size_t k = 0;
        const ga_mspan *prev = NULL;
        for (const ga_mspan *s = l->head; s; prev = s, s = s->next, k++) {
            if (k > bound)
                FAIL("M1: list %d of class %u has a cycle", id, spc);
            if (s->prev != prev)
                FAIL("M1: list %d of class %u: broken prev link at %zu", id, spc, k);
            uint8_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
            if (st != GA_SPAN_IN_USE)
                FAIL("M1: span %p in state %u in list %d of class %u", (const void *)s, st, id, spc);
            if (s->spanclass != spc)
                FAIL("M1: span of class %u in a list of class %u", s->spanclass, spc);
            if (s->list != id)
                FAIL("M1: span %#lx in list %d of class %u says list %d", (unsigned long)s->base, id, spc, s->list);
            uint32_t ssg = __atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE);
            if (ssg != want_sg)
                FAIL("M1: span %#lx in %s %s list of class %u has sweepgen h%+d", (unsigned long)s->base,
                     gen == swept ? "swept" : "unswept", full ? "full" : "partial", spc, (int)(ssg - sg));
            if (gen == swept) {
                uint32_t np = pending(s);
                int has_free = s->alloc_count < s->nelems || np != 0;
                if (ga_spanclass_sizeclass(s->spanclass) == 0 ? !full : full == has_free)
                    FAIL("M1: span %#lx (alloc_count %u/%u, pending %u) in swept %s list of class %u",
                         (unsigned long)s->base, s->alloc_count, s->nelems, np, full ? "full" : "partial", spc);
            }
        }
        if (k != l->n)
            FAIL("M1: list %d of class %u holds %zu spans, n = %zu", id, spc, k, l->n);
        *entries += k;
    }
    return 0;
}

/* The heap checker's walk of class spc's lists (M1; M2's other half, every in-use span
 * at h or h-2 being listed, is check.c's span walk): links, counts, each span's state,
 * class, list id and sweepgen, and partial/full by free slots and pending frees.
 * *entries += the number of spans found.  lock: take c->lock for the walk (ga_heap_check,
 * which holds no other lock); without it the caller excludes every mutator
 * (ga_heap_check_locked, heap lock held: taking an mcentral lock there would break the
 * lock order).  0, or -1 with why (ga_check_fail).  In mcentral.c because the lists and
 * lock are mcentral's. */
int ga_mcentral_check(ga_mcentral *c, uint32_t spc, uint32_t sg, size_t bound, bool lock, size_t *entries, char *why,
                      size_t len) {
    if (lock)
        pthread_mutex_lock(&c->lock);
    int r = check_lists(c, spc, sg, bound, entries, why, len);
    if (lock)
        pthread_mutex_unlock(&c->lock);
    return r;
}
