/* Sweeping (Go's mgcsweep.go, docs/go-facts.md §11) plus goalloc's free sweep.
 *
 * Sweep generations, h = heap sweepgen (even, += 2 by ga_gc_end):
 *   s->sweepgen == h-2  needs sweeping: marks of the last cycle not applied yet
 *                  h-1  being swept by exactly one thread (W1)
 *                  h    swept, in a swept list (or owned by whoever took it from one)
 *                  h+1  cached since before the last ga_gc_end (exists only inside it)
 *                  h+3  swept and cached
 * A span at h-2 is in an unswept list; whoever removes it there CASes h-2 → h-1
 * (ga_sweep_try_acquire) and sweeps it: live = marked ∧ allocated ∧ ¬freed becomes
 * alloc_bits, freeindex = 0, and sweepgen = h is stored last, after every field is final
 * (docs/go-facts.md §15.4).  Each span is thus swept exactly once per cycle however many threads
 * sweep (ga_sweep callers, lazy sweeping in ga_mcentral_cache_span).
 *
 * "allocated" in the live formula is goalloc's guard against zombies: a mark that
 * ga_mark set on a slot that was free (a stale pointer, or an object freed and
 * reclaimed by a free sweep during the mark phase) does not resurrect the slot.
 *
 * Free sweep (heap.h): explicit frees set freed bits; the owner of a span folds them in
 * without a GC: alloc_bits = (alloc_bits ∪ [0, freeindex)) ∖ freed, freeindex = 0.
 *
 * Both kinds of sweep rewrite the bitmaps inside the span's gate held as writer, which
 * excludes ga_free's validate-then-set (see ga_span_gate in heap.h). */
#include <errno.h>
#include <sched.h>

#include "bitops.h"
#include "heap.h"

/* ---- gates ---------------------------------------------------------------------- */

static inline _Atomic uint32_t *gate_of(ga_heap *h, const ga_mspan *s) {
    uintptr_t x = (uintptr_t)s / sizeof(ga_mspan);
    x *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return &h->gates[(x >> 40) % GA_SPAN_GATES].v;
}

static inline void cpu_relax(unsigned *spins) {
    GA_YIELD(GA_YP_SPIN);
    if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();
    }
}

void ga_gate_enter(ga_heap *h, const ga_mspan *s) {
    _Atomic uint32_t *g = gate_of(h, s);
    unsigned spins = 0;
    for (;;) {
        uint32_t v = atomic_fetch_add_explicit(g, 1, memory_order_acquire);
        if (!(v & GA_GATE_WRITER))
            return;
        atomic_fetch_sub_explicit(g, 1, memory_order_relaxed);
        while (atomic_load_explicit(g, memory_order_relaxed) & GA_GATE_WRITER)
            cpu_relax(&spins);
    }
}

void ga_gate_exit(ga_heap *h, const ga_mspan *s) { atomic_fetch_sub_explicit(gate_of(h, s), 1, memory_order_release); }

/* Writer: claim the writer bit (one writer per gate), then wait for the readers inside
 * to leave; readers arriving meanwhile back off.  Writers never hold other locks here,
 * so a reader waiting for an mcentral lock always gets it and leaves. */
static void gate_lock(_Atomic uint32_t *g) {
    unsigned spins = 0;
    uint32_t v = atomic_load_explicit(g, memory_order_relaxed);
    for (;;) {
        if (!(v & GA_GATE_WRITER)) {
            if (atomic_compare_exchange_weak_explicit(g, &v, v | GA_GATE_WRITER, memory_order_acquire,
                                                      memory_order_relaxed))
                break;
            continue;
        }
        cpu_relax(&spins);
        v = atomic_load_explicit(g, memory_order_relaxed);
    }
    spins = 0;
    while (atomic_load_explicit(g, memory_order_acquire) != GA_GATE_WRITER)
        cpu_relax(&spins);
}

void ga_gate_lock(ga_heap *h, const ga_mspan *s) { gate_lock(gate_of(h, s)); }

void ga_gate_unlock(ga_heap *h, const ga_mspan *s) {
    atomic_fetch_and_explicit(gate_of(h, s), ~GA_GATE_WRITER, memory_order_release);
}

/* Every gate as writer, in index order (fork): each wait ends, as a writer's does,
 * because the caller holds no other lock of the heap yet. */
void ga_gates_lock_all(ga_heap *h) {
    for (unsigned i = 0; i < GA_SPAN_GATES; i++)
        gate_lock(&h->gates[i].v);
}

void ga_gates_unlock_all(ga_heap *h) {
    for (unsigned i = 0; i < GA_SPAN_GATES; i++)
        atomic_fetch_and_explicit(&h->gates[i].v, ~GA_GATE_WRITER, memory_order_release);
}

/* ---- active sweepers (docs/go-facts.md §11.2) ------------------------------------ */

bool ga_sweep_begin(ga_heap *h) {
    uint32_t v = atomic_load_explicit(&h->sweep_active, memory_order_relaxed);
    do {
        if (v & GA_SWEEP_DRAINED)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&h->sweep_active, &v, v + 1, memory_order_acq_rel,
                                                    memory_order_relaxed));
    return true;
}

void ga_sweep_end(ga_heap *h) {
    uint32_t old = atomic_fetch_sub_explicit(&h->sweep_active, 1, memory_order_acq_rel);
    if ((old & ~GA_SWEEP_DRAINED) == 0)
        ga_throw("active sweeper count underflow");
}

static void mark_drained(ga_heap *h) {
    atomic_fetch_or_explicit(&h->sweep_active, GA_SWEEP_DRAINED, memory_order_acq_rel);
}

bool ga_sweep_try_acquire(ga_heap *h, ga_mspan *s, ga_sweeplocked *out) {
    uint32_t sg = ga_heap_sweepgen(h);
    uint32_t want = sg - 2;
    if (__atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE) != want)
        return false;
    if (!__atomic_compare_exchange_n(&s->sweepgen, &want, sg - 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return false;
    out->span = s;
    return true;
}

/* ---- the bitmap rewrite ---------------------------------------------------------- */

/* Take the freed (and, for a GC sweep, mark) bits of s; then ga_mspan_sweep_bits (the
 * proved word computation, mspan.c) rewrites alloc_bits as allocated ∧ marked ∧ ¬freed
 * (allocated = alloc_bits ∪ [0, F); a free sweep counts every slot as marked) and resets
 * freeindex, alloc_count, alloc_cache; needzero if a slot was released.  Caller owns s
 * and holds its gate as writer.  Returns the number of slots released; *nfreed_bits =
 * freed bits consumed. */
static uint32_t rewrite_bits(ga_mspan *s, bool gc, uint32_t *nfreed_bits) {
    uint32_t words = (s->nelems + 63u) / 64u, freed = 0;
    uint64_t fr[GA_SPAN_BITS_WORDS] = {0}, marks[GA_SPAN_BITS_WORDS] = {0};
    for (uint32_t w = 0; w < words; w++) {
        /* freed bits: only ga_free sets them, and the gate keeps it out: no RMW needed.
         * Mark bits: ga_mark is not gated; exchange a non-zero word so no mark set
         * meanwhile is lost (outside the mark phase it would count for this sweep). */
        fr[w] = __atomic_load_n(&s->freed_bits[w], __ATOMIC_ACQUIRE);
        if (fr[w])
            __atomic_store_n(&s->freed_bits[w], 0, __ATOMIC_RELAXED);
        if (gc) {
            uint64_t m = __atomic_load_n(&s->gcmark_bits[w], __ATOMIC_RELAXED);
            if (m)
                m = __atomic_exchange_n(&s->gcmark_bits[w], 0, __ATOMIC_ACQ_REL);
            marks[w] = m;
        } else {
            marks[w] = ~(uint64_t)0; /* a free sweep keeps every allocated slot not freed */
            if (fr[w])
                /* A free sweep during the mark phase: a freed slot may have been marked
                 * before it was freed; it is free now, so its mark goes too (S11: marks
                 * only on allocated slots). */
                __atomic_fetch_and(&s->gcmark_bits[w], ~fr[w], __ATOMIC_ACQ_REL);
        }
        if (fr[w]) /* usually 0; without -mpopcnt the count is a libgcc call */
            freed += ga_popcount64(fr[w]);
    }
    uint32_t before = s->alloc_count;
    uint32_t after = ga_mspan_sweep_bits(s, marks, fr);
    if (after < before)
        s->needzero = 1;
    *nfreed_bits = freed;
    return before - after;
}

static void count_frees(ga_heap *h, const ga_mspan *s, uint32_t nfreed) {
    if (nfreed == 0)
        return;
    uint32_t cls = ga_spanclass_sizeclass(s->spanclass);
    atomic_fetch_add_explicit(&h->stats.nfree[cls], nfreed, memory_order_relaxed);
    GA_YIELD(GA_YP_STATS_FREE);
    atomic_fetch_add_explicit(&h->stats.bytes_free, (uint64_t)nfreed * s->elemsize, memory_order_relaxed);
}

void ga_mspan_merge_local_frees(ga_mspan *s) {
    if (s->local_frees == 0)
        return;
    uint32_t added = 0;
    for (uint32_t w = 0; w < GA_SPAN_BITS_WORDS; w++) {
        uint64_t l = s->local_freed[w];
        if (!l)
            continue;
        /* A bit already in freed_bits is the same object freed by another thread at the
         * same time (a racing double free, undefined behaviour): counted once. */
        uint64_t old = __atomic_fetch_or(&s->freed_bits[w], l, __ATOMIC_ACQ_REL);
        added += ga_popcount64(l & ~old);
        __atomic_store_n(&s->local_freed[w], 0, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&s->local_frees, 0, __ATOMIC_RELAXED);
    if (added)
        __atomic_fetch_add(&s->pending_frees, added, __ATOMIC_ACQ_REL);
}

uint32_t ga_sweep_reclaim_frees(ga_heap *h, ga_mspan *s) {
    uint32_t nbits;
    ga_gate_lock(h, s);
    uint32_t released = rewrite_bits(s, false, &nbits);
    if (nbits)
        __atomic_fetch_sub(&s->pending_frees, nbits, __ATOMIC_ACQ_REL);
    ga_gate_unlock(h, s);
    count_frees(h, s, released);
    return released;
}

void ga_sweep_free_large(ga_heap *h, ga_mspan *s) {
    count_frees(h, s, 1);
    ga_mheap_free_span(h, s);
}

bool ga_sweeplocked_sweep(ga_heap *h, ga_sweeplocked *sl, bool preserve) {
    ga_mspan *s = sl->span;
    uint32_t sg = ga_heap_sweepgen(h);
    if (__atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE) != sg - 1 ||
        __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GA_SPAN_IN_USE)
        ga_throw("sweep of a span not owned for sweeping (sweepgen %u, h %u)", (unsigned)s->sweepgen, (unsigned)sg);
    bool large = ga_spanclass_sizeclass(s->spanclass) == 0;
    uint32_t nbits;

    ga_gate_lock(h, s);
    uint32_t nfreed = rewrite_bits(s, true, &nbits);
    if (nbits)
        __atomic_fetch_sub(&s->pending_frees, nbits, __ATOMIC_ACQ_REL);
    ga_gate_unlock(h, s);

    /* Serialisation point: the span is swept and may be published. */
    __atomic_store_n(&s->sweepgen, sg, __ATOMIC_RELEASE);
    sl->span = NULL;

    if (large) {
        if (preserve)
            return false;
        if (nfreed) {
            ga_sweep_free_large(h, s);
            return true;
        }
        ga_mcentral_push_swept(h, &h->central[s->spanclass], s);
        return false;
    }
    count_frees(h, s, nfreed);
    if (preserve)
        return false;
    if (s->alloc_count == 0) {
        ga_mheap_free_span(h, s);
        return true;
    }
    ga_mcentral_push_swept(h, &h->central[s->spanclass], s);
    return false;
}

/* ---- eager sweeping ---------------------------------------------------------------- */

/* GC sweep: next unswept span of the classes from h->sweep_class on, full lists first
 * (as Go's nextSpanForSweep), acquired for sweeping into *sl; false when every unswept
 * list is empty.  A span taken off an unswept list is at h-2 and owned by nobody else
 * (exact lists), so the acquisition cannot fail unless the protocol is broken. */
static bool next_span_for_sweep(ga_heap *h, ga_sweeplocked *sl) {
    uint32_t sg = ga_heap_sweepgen(h);
    uint32_t cls = atomic_load_explicit(&h->sweep_class, memory_order_acquire);
    while (cls < GA_NUM_SPAN_CLASSES) {
        ga_mspan *s = ga_mcentral_take_unswept(&h->central[cls], sg);
        if (s) {
            if (!ga_sweep_try_acquire(h, s, sl))
                ga_throw("sweep: unswept span %#lx not acquirable for sweeping", (unsigned long)s->base);
            return true;
        }
        /* Empty for the rest of the cycle (unswept lists only shrink): advance. */
        atomic_compare_exchange_strong_explicit(&h->sweep_class, &cls, cls + 1, memory_order_acq_rel,
                                                memory_order_acquire);
        cls = atomic_load_explicit(&h->sweep_class, memory_order_acquire);
    }
    return false;
}

/* Free sweep of the uncached swept spans with pending explicit frees (they sit in the
 * partial swept lists, ga_free moves them there): reclaim, free the empty ones.  At most
 * `budget` spans (0 = all). */
static size_t reclaim_pending(ga_heap *h, size_t budget) {
    size_t done = 0;
    for (uint32_t spc = 2; spc < GA_NUM_SPAN_CLASSES; spc++) {
        ga_mcentral *c = &h->central[spc];
        ga_mspan *take;
        done += ga_mcentral_take_pending(c, ga_heap_sweepgen(h), budget ? budget - done : 0, &take);
        while (take) {
            ga_mspan *s = take;
            take = s->next;
            s->next = NULL;
            ga_sweep_reclaim_frees(h, s);
            if (s->alloc_count == 0)
                ga_mheap_free_span(h, s);
            else
                ga_mcentral_push_swept(h, c, s);
        }
        if (budget && done >= budget)
            break;
    }
    return done;
}

size_t ga_sweep(ga_heap *h, size_t budget) {
    size_t n = 0;
    if (ga_sweep_begin(h)) {
        ga_sweeplocked sl;
        while (budget == 0 || n < budget) {
            if (!next_span_for_sweep(h, &sl))
                break;
            /* Pages of a span this sweep frees are the page reclaimer's credit, as in
             * Go's sweepone (npages read while owned). */
            uintptr_t np = sl.span->npages;
            if (ga_sweeplocked_sweep(h, &sl, false))
                atomic_fetch_add_explicit(&h->reclaim_credit, np, memory_order_acq_rel);
            n++;
        }
        if (atomic_load_explicit(&h->sweep_class, memory_order_acquire) >= GA_NUM_SPAN_CLASSES)
            mark_drained(h);
        ga_sweep_end(h);
    }
    if (budget == 0 || n < budget)
        n += reclaim_pending(h, budget ? budget - n : 0);
    if (h->cfg.debug_checks)
        ga_debug_check(h, "ga_sweep");
    return n;
}

/* finishsweep_m: GC-sweep everything left, then wait until no sweeper is active
 * (a lazy sweeper in cache_span may still hold a span it popped). */
void ga_sweep_finish(ga_heap *h) {
    if (atomic_load_explicit(&h->sweep_active, memory_order_acquire) != GA_SWEEP_DRAINED) {
        if (ga_sweep_begin(h)) {
            ga_sweeplocked sl;
            while (next_span_for_sweep(h, &sl))
                ga_sweeplocked_sweep(h, &sl, false);
            mark_drained(h);
            ga_sweep_end(h);
        }
        unsigned spins = 0;
        while (atomic_load_explicit(&h->sweep_active, memory_order_acquire) != GA_SWEEP_DRAINED)
            cpu_relax(&spins);
    }
}
