/* mcentral: the spans of one span class that no cache holds (Go's mcentral.go, facts §9).
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
 * calls into the heap happen after it is dropped (heap.h lock order). */
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

/* Take a fresh span from the heap (facts §9.1 grow): mheap hands it out initialised
 * (nelems, limit, empty bitmaps, alloc_cache all free, sweepgen h). */
ga_mspan *ga_mcentral_grow(ga_heap *h, ga_mcentral *c) {
    uint32_t sc = ga_spanclass_sizeclass(c->spanclass);
    return ga_mheap_alloc(h, ga_class_npages[sc], c->spanclass);
}

/* cacheSpan (facts §9.1): a span of this class with at least one free slot, owned by
 * the caller (the cache sets sweepgen h+3), or NULL + ENOMEM.
 *  1. a swept partial span: its pending explicit frees are reclaimed first;
 *  2. else sweep unswept spans lazily, at most GA_CENTRAL_SWEEP_BUDGET of them:
 *     partial ones first (a sweep only frees slots, so each yields a usable span),
 *     then full ones (kept if the sweep freed something, else pushed to full swept);
 *  3. else grow from the heap. */
ga_mspan *ga_mcentral_cache_span(ga_heap *h, ga_mcentral *c) {
    uint32_t sg = ga_heap_sweepgen(h);
    uint32_t swept = ga_swept_gen(sg), unswept = 1 - swept;
    ga_mspan *s;

    while ((s = pop_locked(c, GA_LIST_PARTIAL(swept))) != NULL) {
        if (pending(s) != 0)
            ga_sweep_reclaim_frees(h, s);
        if (s->alloc_count < s->nelems)
            return s;
        /* Cannot happen while pending_frees counts freed bits exactly (partial means a
         * free slot or a pending free); kept as a guard against looping on it. */
        ga_mcentral_push_swept(h, c, s);
        break;
    }

    if (ga_sweep_begin(h)) {
        int budget = GA_CENTRAL_SWEEP_BUDGET;
        ga_sweeplocked sl;
        for (; budget > 0; budget--) {
            s = pop_locked(c, GA_LIST_PARTIAL(unswept));
            if (!s)
                break;
            if (!ga_sweep_try_acquire(h, s, &sl))
                continue; /* exact lists: only if someone broke the protocol */
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
                continue;
            ga_sweeplocked_sweep(h, &sl, true);
            if (s->alloc_count < s->nelems) {
                ga_sweep_end(h);
                return s;
            }
            ga_mcentral_push_swept(h, c, s);
        }
        ga_sweep_end(h);
    }

    s = ga_mcentral_grow(h, c);
    if (!s)
        errno = ENOMEM;
    return s;
}

/* uncacheSpan (facts §9.1): a cache gives s back.
 *  - stale (h+1: cached since before the last ga_gc_end): it still needs its GC sweep;
 *    the cache's ownership becomes sweep ownership (h-1) without a CAS, as in Go,
 *    because a cached span is in no list;
 *  - otherwise (h+3): explicit frees are reclaimed, an empty span goes back to the
 *    heap, else sweepgen = h and it goes to a swept list. */
void ga_mcentral_uncache_span(ga_heap *h, ga_mcentral *c, ga_mspan *s) {
    uint32_t sg = ga_heap_sweepgen(h);
    uint32_t cur = __atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE);
    if (cur == sg + 1) {
        __atomic_store_n(&s->sweepgen, sg - 1, __ATOMIC_RELEASE);
        ga_sweeplocked sl = {s};
        ga_sweeplocked_sweep(h, &sl, false);
        return;
    }
    if (pending(s) != 0)
        ga_sweep_reclaim_frees(h, s);
    __atomic_store_n(&s->sweepgen, sg, __ATOMIC_RELEASE);
    if (s->alloc_count == 0) {
        ga_mheap_free_span(h, s);
        return;
    }
    ga_mcentral_push_swept(h, c, s);
}
