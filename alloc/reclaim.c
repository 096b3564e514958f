/* The page reclaimer (Go's mheap.reclaim and reclaimChunk, docs/go-facts.md §11.7).
 *
 * After a GC cycle, a span none of whose objects was marked is garbage whole: sweeping
 * it gives all its pages back.  Before a page-level allocation (ga_mheap_alloc) while
 * sweeping is behind, the allocating thread sweeps such spans until as many pages as
 * it wants went back to the heap, so that the heap does not grow over dead spans that
 * no lazy sweep has reached yet (lazy sweeping in ga_mcentral_cache_span only looks at
 * the class being refilled, and a large allocation swept nothing before).
 *
 * The candidates come from the arena bitmaps (heap.h, A2 and A5): page_in_use &^
 * page_marks has the first-page bit of every in-use span with no marked object.  Of
 * those only the unswept ones (sweepgen h-2) are taken, through the same protocol as
 * every other sweeper (heap.h, sweep.c): off their unswept list under the mcentral
 * lock (ga_mcentral_take_unswept_span), then the CAS h-2 -> h-1, then
 * ga_sweeplocked_sweep, which frees the span (it has no live object) or, if something
 * in it is still allocated (an object allocated black keeps its page mark, so that
 * cannot happen in-protocol), lists it as swept.  A span in a cache, being swept, or
 * owned by any other thread is in no list and is skipped.
 *
 * Work is handed out as in Go: reclaim_index is claimed GA_RECLAIM_CHUNK pages at a
 * time (atomic add), so concurrent reclaimers scan different chunks; a chunk is
 * scanned whole even when it frees more than asked, and the surplus goes to
 * reclaim_credit, which later reclaimers take before claiming a chunk (ga_sweep adds
 * the spans it frees too).  reclaim_index passes the last arena of the cycle once per
 * cycle, after which every call returns at once.
 *
 * Locks: the scan of a chunk reads all_arenas, the bitmaps and the arena index under
 * the heap lock (spans[] and page_in_use agree under it); each candidate is then taken
 * with no lock held but the mcentral and heap locks of ga_mcentral_take_unswept_span
 * (mcentral -> heap, the lock order), and swept with none.  Go keeps the heap lock
 * across the scan and drops it around each sweep; goalloc cannot take an mcentral lock
 * under the heap lock, hence the two steps. */
#include "heap.h"

/* Unswept spans starting in one chunk (at most one per page). */
typedef struct candidates {
    size_t n;
    ga_mspan *span[GA_RECLAIM_CHUNK];
    ga_spanclass spc[GA_RECLAIM_CHUNK]; /* read under the heap lock: picks the list lock to take */
} candidates;

/* Scan the chunk of pages [idx, idx + GA_RECLAIM_CHUNK) of the cycle's arenas under
 * the heap lock: the in-use spans starting there with no page mark and sweepgen h-2.
 * false when idx is past the cycle's last arena. */
static bool scan_chunk(ga_heap *h, uint64_t idx, candidates *out) {
    uint32_t want = ga_heap_sweepgen(h) - 2;
    out->n = 0;
    pthread_mutex_lock(&h->lock);
    if (idx / GA_PAGES_PER_ARENA >= h->reclaim_arenas) {
        pthread_mutex_unlock(&h->lock);
        return false;
    }
    uintptr_t base = h->all_arenas[idx / GA_PAGES_PER_ARENA];
    ga_heap_arena *a = ga_arena_of(h, base);
    size_t first = (size_t)(idx % GA_PAGES_PER_ARENA) / 64;
    for (size_t w = first; w < first + GA_RECLAIM_CHUNK / 64; w++) {
        /* Acquire, and an atomic load of spans[]: a page cache publishes a span without
         * the heap lock (index, then page_in_use, both release), so the lock alone does
         * not order that index entry before this read (TSan saw the race). */
        uint64_t dead = __atomic_load_n(&a->page_in_use[w], __ATOMIC_ACQUIRE) &
                        ~__atomic_load_n(&a->page_marks[w], __ATOMIC_RELAXED);
        for (; dead; dead &= dead - 1) {
            ga_mspan *s = __atomic_load_n(&a->spans[w * 64 + (size_t)__builtin_ctzll(dead)], __ATOMIC_ACQUIRE);
            /* Swept or cached spans are not ours; the list check redoes this under the
             * lists' lock, this only saves taking it for them. */
            if (__atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE) == want) {
                out->spc[out->n] = s->spanclass;
                out->span[out->n++] = s;
            }
        }
    }
    pthread_mutex_unlock(&h->lock);
    return true;
}

/* Sweep the candidates that are still unswept and in a list; pages freed.  Inside a
 * ga_sweep_begin/end pair, as every GC sweeper: ga_sweep_finish waits for it. */
static uintptr_t sweep_candidates(ga_heap *h, const candidates *cs) {
    uintptr_t freed = 0;
    for (size_t i = 0; i < cs->n; i++) {
        ga_mspan *s = cs->span[i];
        /* s may have changed since the scan; the list check refuses it then. */
        if (!ga_mcentral_take_unswept_span(h, &h->central[cs->spc[i]], s))
            continue;
        ga_sweeplocked sl;
        if (!ga_sweep_try_acquire(h, s, &sl)) /* exact lists: a listed unswept span is at h-2 */
            ga_throw("reclaim: unswept span %#lx not acquirable for sweeping", (unsigned long)s->base);
        /* Owned now: npages cannot change (a large object is resized only by its live
         * owner, and this one has no mark: it is dead). */
        uintptr_t np = s->npages;
        if (ga_sweeplocked_sweep(h, &sl, false))
            freed += np;
    }
    return freed;
}

uintptr_t ga_mheap_reclaim(ga_heap *h, uintptr_t npages) {
    uintptr_t total = 0;
    if (atomic_load_explicit(&h->reclaim_index, memory_order_acquire) >= GA_RECLAIM_DONE)
        return 0;
    candidates cs;
    while (npages > 0) {
        uintptr_t credit = atomic_load_explicit(&h->reclaim_credit, memory_order_acquire);
        if (credit > 0) {
            uintptr_t take = credit < npages ? credit : npages;
            if (atomic_compare_exchange_weak_explicit(&h->reclaim_credit, &credit, credit - take, memory_order_acq_rel,
                                                      memory_order_acquire))
                npages -= take;
            continue;
        }
        uint64_t idx = atomic_fetch_add_explicit(&h->reclaim_index, GA_RECLAIM_CHUNK, memory_order_acq_rel);
        if (idx >= GA_RECLAIM_DONE || !scan_chunk(h, idx, &cs)) {
            atomic_store_explicit(&h->reclaim_index, GA_RECLAIM_DONE, memory_order_release);
            break;
        }
        if (cs.n == 0)
            continue;
        /* Drained: every unswept list is empty, nothing left to take this cycle. */
        if (!ga_sweep_begin(h)) {
            atomic_store_explicit(&h->reclaim_index, GA_RECLAIM_DONE, memory_order_release);
            break;
        }
        uintptr_t found = sweep_candidates(h, &cs);
        ga_sweep_end(h);
        total += found;
        if (found <= npages) {
            npages -= found;
        } else {
            atomic_fetch_add_explicit(&h->reclaim_credit, found - npages, memory_order_acq_rel);
            npages = 0;
        }
    }
    return total;
}
