/* The object allocator above pageAlloc: mheap, mcentral, mcache, sweep, mallocgc.
 * One header for the structures the boxes share; each box lives in its own .c file
 * (docs/design.md, "The hierarchy, box by box").
 *
 * Locks (ranked; take only in this order):
 *   span gate (reader, ga_free only; see ga_span_gate)
 *     → mcentral.lock  (one per span class: its four span lists)
 *     → heap.lock  (pageAlloc, arenas, arena index writes, fixallocs, cache list)
 * A gate held as writer (sweeps rewriting bitmaps) is a leaf: nothing else is taken or
 * held with it.
 * Never call into the heap (ga_mheap_alloc/free_span) while holding an mcentral lock
 * unless noted; sweeping a span happens with no lock held (ownership via sweepgen).
 * The heap lock itself is taken under an mcentral lock (the ranked order) only by
 * ga_mcentral_take_unswept_span, the page reclaimer's acquisition.
 *
 * Sweep generations (docs/go-facts.md §11.1), h = heap->sweepgen (even, += 2 per GC):
 *   h-2 needs sweeping · h-1 being swept · h swept · h+1 cached since before this
 *   cycle (stale) · h+3 swept and cached.  Exactly one thread owns a span at h-1.
 *
 * Explicit free (goalloc's addition to Go): ga_free sets the object's freed bit
 * (atomic fetch-or; already set → -EALREADY) and bumps span->pending_frees.  Freed
 * slots are reclaimed when the span is next swept, by GC sweep (live = marked ∧ ¬freed)
 * or by a "free sweep" that runs without a GC cycle: alloc_bits = (alloc_bits ∪
 * [0, freeindex)) ∖ freed, freeindex = 0.  A free sweep runs on a span only while nobody
 * else owns it: in ga_mcentral_cache_span before handing a span with pending frees to a
 * cache, in ga_mcentral_uncache_span, in ga_sweep, and in ga_mcache_refill on the
 * cache's own full span (reclaimed in place, kept cached).  When pending_frees goes 0 → 1
 * on a span sitting in a full swept list, ga_free moves it to the partial swept list
 * (ga_mcentral_note_pending_free, under the mcentral lock) so that refills find it.
 * Large objects are freed at once (span back to pageAlloc; ga_mcentral_free_large_take
 * takes it off its list) unless a sweeper owns the span, in which case the freed bit
 * makes the sweep free it.
 * Design fix (goalloc, see ga_span_gate below): ga_free's validate-then-set and the
 * bitmap rewrite of any sweep of the same span exclude each other through a span gate,
 * else a free validated against pre-sweep bitmaps could set its freed bit on a slot the
 * sweep just released (F1 broken, the slot's next occupant freed by the next sweep).
 * Also: a span pushed to a swept list with pending frees goes to the partial list
 * (ga_mcentral_push_swept reads pending_frees under the lock; ga_free increments it
 * before taking the lock), a large span pushed with its object freed is freed instead,
 * and a free sweep clears the mark bits of the slots it releases (S11).
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
#include "pagecache.h"
#include "sizeclasses.h"

#define GA_CACHE_LINE 64
#define GA_ARENA_L2_ENTRIES ((size_t)1 << (GA_HEAP_ADDR_BITS - GA_ARENA_SHIFT)) /* 2^22 */
#define GA_CENTRAL_SWEEP_BUDGET 100 /* spans cache_span may sweep before growing */
_Static_assert(GA_ARENA_L2_ENTRIES *GA_ARENA_BYTES == (uintptr_t)1 << GA_HEAP_ADDR_BITS,
               "the flat arena index has one entry per 64 MiB arena of the 48-bit space");
_Static_assert(GA_SPAN_BITS_WORDS * 64 >= GA_SPAN_MAX_ELEMS, "a span's bitmaps hold a bit per slot");
_Static_assert(GA_SPAN_MAX_ELEMS == GA_PAGE_SIZE / GA_SMALL_SIZE_DIV,
               "the most slots of any span: class 1, one page of 8-byte objects");
_Static_assert(GA_NUM_SPAN_CLASSES <= 256 && GA_TINY_SPAN_CLASS < GA_NUM_SPAN_CLASSES,
               "span classes fit ga_spanclass (uint8_t)");

enum { GA_GC_OFF = 0, GA_GC_MARK = 1, GA_GC_MARKTERM = 2 };

/* ---- fixalloc: fixed-size metadata objects (span structs, caches) ---------------
 * Free list + bump allocation from chunks obtained with ga_sys_alloc; never libc
 * malloc.  Objects are not zeroed on reuse (span sweepgen must survive, docs/go-facts.md §15.4).
 * Caller holds the heap lock.  Chunks are remembered so ga_heap_destroy unmaps them.
 * Invariants: objects are carved in order from the chunks (oldest chunk first); only
 * the last chunk is partly carved ([chunk, chunk_end) is its uncarved rest); every
 * carved object is either handed out or on free_list, so iterating the carved objects
 * visits every object ever created (Go's allspans for span_alloc). */
typedef struct ga_fixalloc {
    size_t size;     /* object size, rounded up to the alignment given at init */
    void *free_list; /* singly linked through the first word */
    uintptr_t chunk, chunk_end;
    void *chunks;      /* list of chunks (header at chunk start) for destroy */
    void *chunks_tail; /* last chunk: the one being carved */
    size_t inuse;      /* objects handed out and not freed */
    size_t nchunks;
} ga_fixalloc;

/* Iteration over every object a fixalloc ever carved (handed out or free). */
typedef struct ga_fixalloc_iter {
    const void *chunk;
    uintptr_t next, end;
} ga_fixalloc_iter;

/* ---- arenas (docs/go-facts.md §4.1) ----------------------------------------------
 * One per 64 MiB arena; spans[i] = the span owning page i of the arena, or NULL.
 * Entries are written under the heap lock and read lock-free (atomic loads) by
 * ga_free / ga_mark / ga_object_base; an entry may be stale (pointing at a dead span)
 * only for pages that are free in pageAlloc.
 * goalloc: free_span clears the entries (Go leaves them stale), so at rest A1 holds
 * both ways: spans[q] == s iff s is in use and q is one of its pages.  A lock-free
 * reader can still race with a free, hence ga_mheap_span_of validates (state, range).
 * heap->arenas[ai] is published (atomic release) once the arena is initialised and
 * never retracted; arena structs are never freed before the heap is destroyed.
 * Invariants: base is 64 MiB aligned; [base, base + mapped) has been mapped and given
 * to pageAlloc, the rest of the arena is Reserved (mapped is a prefix: the heap is
 * carved upward from cur_arena_base); zeroed_base <= 64 MiB, monotonic, and no byte at
 * offset >= zeroed_base was ever handed out (A3).  All under the heap lock except
 * spans[] reads. */
#define GA_ARENA_BITMAP_WORDS (GA_PAGES_PER_ARENA / 64)
/* Page reclaimer bitmaps (Go's pageInUse / pageMarks, docs/go-facts.md §4.1, §11.7): bit
 * i = page i of the arena, only the bit of a span's first page is used, every access
 * atomic (64-bit words: C has the 64-bit atomic bit ops Go lacked).
 *   A2  page_in_use bit i is set iff an in-use span starts at page i.  Set by
 *       ga_mheap_alloc_span once the span is published, cleared by
 *       ga_mheap_free_span_locked, both under the heap lock (so under it the bit and
 *       spans[i] agree); a large span grown or shrunk in place keeps its first page and
 *       its bit.
 *   A5  page_marks ⊆ page_in_use, and every in-use span with a mark bit set has its
 *       page_marks bit set.  Set (fetch-or, any thread) by the marking hook
 *       (malloc.c: ga_mark, black allocation, greyed tiny blocks) with each mark bit;
 *       cleared for every arena by ga_gc_begin before marking starts (Go's
 *       gcResetMarkState) and for one span at its free (goalloc frees spans at any
 *       time: explicit frees).  Not "iff": a free sweep during marking clears the marks
 *       of the slots it releases, and a GC sweep consumes them, but the bit stays until
 *       the next ga_gc_begin.  Marking happens only in the mark phase, so between
 *       ga_gc_end and the span's sweep page_in_use &^ page_marks = the unswept spans
 *       with no object marked: dead whole (reclaim.c). */
typedef struct ga_heap_arena {
    ga_mspan *spans[GA_PAGES_PER_ARENA];
    uint64_t page_in_use[GA_ARENA_BITMAP_WORDS]; /* A2 */
    uint64_t page_marks[GA_ARENA_BITMAP_WORDS];  /* A5 */
    uintptr_t zeroed_base;      /* bytes from the arena start known never used: zero (docs/go-facts.md §4.2) */
    uintptr_t base;             /* first byte of the arena */
    uintptr_t mapped;           /* bytes from base mapped and grown into pageAlloc */
    struct ga_heap_arena *link; /* chain of arenas being registered by sys_alloc */
} ga_heap_arena;

#define GA_ARENA_HINTS 128u
#define GA_ARENA_HINT_BASE ((uintptr_t)0x00c000000000ull)
#define GA_ARENA_HINT_STEP ((uintptr_t)1 << 40)

/* ---- mcentral (docs/go-facts.md §9.1) --------------------------------------------
 * Four intrusive doubly linked span lists per span class, guarded by `lock`:
 * partial[gen] / full[gen] with swept = index (h/2)%2, unswept = the other.
 * Invariants (M1/M2): a span is in at most one list (span->list says which; -1 none).
 * Swept lists hold in-use spans of this class with sweepgen == h, not cached; partial
 * = at least one free slot (or pending frees), full = no free slot, and all large
 * spans of this class.  Every in-use span with sweepgen == h-2 is in an unswept list.
 * Cached spans are in no list.
 * Unlike Go's spanSets the lists are exact (no stale entries): a span leaves its list
 * (under the lock) before anyone acquires it, so a span in a list is owned by nobody,
 * and unswept lists only shrink during a cycle (pushes always go to swept lists).
 * Lock order: never take an mcentral lock while holding the heap lock, never call into
 * the heap (alloc/free_span) with an mcentral lock held. */
typedef struct ga_span_list {
    ga_mspan *head;
    ga_mspan *tail; /* pushes append here: FIFO, as Go's spanSets (see ga_span_list_push) */
    size_t n;
} ga_span_list;

typedef struct ga_mcentral {
    pthread_mutex_t lock;
    ga_spanclass spanclass;
    ga_span_list partial[2];
    ga_span_list full[2];
} __attribute__((aligned(GA_CACHE_LINE))) ga_mcentral;
_Static_assert(_Alignof(ga_mcentral) == GA_CACHE_LINE && sizeof(ga_mcentral) % GA_CACHE_LINE == 0,
               "each class's lock on cache lines of its own (no false sharing between classes)");

/* List ids stored in span->list: (full ? 2 : 0) + gen index. */
#define GA_LIST_NONE (-1)
#define GA_LIST_PARTIAL(gen) ((int8_t)(gen))
#define GA_LIST_FULL(gen) ((int8_t)(2 + (gen)))
/* Index of the swept lists for heap sweepgen sg; the unswept ones are 1 - that. */
static inline uint32_t ga_swept_gen(uint32_t sg) { return (sg / 2) % 2; }

/* ---- mcache (docs/go-facts.md §7) ------------------------------------------------
 * Used by one thread at a time, no lock.  Invariants (C1-C4): alloc[spc] is
 * &ga_empty_mspan or an in-use span of class spc with sweepgen h+1 or h+3, in no
 * list, held by no other cache; tiny != 0 ⇒ it is a 16-byte slot of class 5 and
 * 0 < tiny_offset <= 16; flush_gen ∈ {h, h-2} and allocation needs flush_gen == h.
 * h+1 (stale) exists only inside ga_gc_end, which flushes every cache before it
 * returns (world stopped), so outside it cached spans are at h+3 and flush_gen == h.
 * goalloc: span class 5 holds tiny blocks only (a 16-byte GA_NOSCAN object is served
 * from class 4), so any pointer into a class-5 span is a tiny sub-object.
 * Statistics: small allocations are counted as alloc_count - alloc_count_before_cache
 * of each cached span (Go's trick, nothing on the fast path) and tiny ones in
 * tiny_allocs; both are folded into the heap's counters at refill / release_all.
 * Large allocations are counted at once (they are slow anyway).
 * Page cache (Go's p.pcache, mpagecache.go) and span-struct stash (Go's p.mspancache):
 * C5: every free page of pcache is allocated in pageAlloc, not scavenged there, and
 * owned by no span (no index entry); pcache.scav ⊆ pcache.cache (a scavenged cached
 * page is free); pcache.base is 64-page aligned inside a grown range when the cache is
 * not empty.  C6: span_stash[0 .. nspan_stash) are distinct Dead span structs handed
 * out by span_alloc and referenced nowhere else.  Both let ga_mheap_alloc_span carve a
 * span of fewer than GA_PAGECACHE_PAGES / 4 pages without the heap lock; both are
 * refilled under the heap lock and given back by ga_mcache_release_all. */
#define GA_SPAN_STASH 16u
struct ga_cache {
    ga_heap *heap;
    /* Copies of heap state the fast path needs, so that it reads only this struct:
     * marking = (gc_phase != GA_GC_OFF), written with the world stopped (ga_gc_begin,
     * ga_gc_end) or at creation; debug_checks = heap->cfg.debug_checks. */
    uint8_t marking;
    uint8_t debug_checks;
    ga_mspan *alloc[GA_NUM_SPAN_CLASSES];
    uintptr_t tiny;
    uintptr_t tiny_offset;
    uint64_t tiny_allocs;
    uint32_t flush_gen;           /* atomic */
    struct ga_cache *next, *prev; /* heap->caches, under the heap lock */
    ga_pagecache pcache;          /* C5 */
    uint32_t nspan_stash;         /* C6 */
    ga_mspan *span_stash[GA_SPAN_STASH];
};

/* The dummy span every empty cache slot points at: nelems 0, freeindex 0. */
extern GA_HIDDEN ga_mspan ga_empty_mspan;

/* ---- statistics (atomic, per heap) ----------------------------------------------- */
typedef struct ga_heap_counters {
    _Atomic uint64_t nmalloc[GA_NUM_CLASSES];  /* objects allocated per class (0 = large) */
    _Atomic uint64_t nfree[GA_NUM_CLASSES];    /* objects reclaimed per class */
    _Atomic uint64_t bytes_malloc, bytes_free; /* bytes of objects (slot sizes) */
    _Atomic uint64_t tiny_allocs;
    _Atomic uint64_t num_gc;
    _Atomic uint64_t pages_in_use; /* Σ npages of in-use spans (H2) */
    /* H4: Σ over caches of the free pages in their page caches and of the scavenged
     * ones: they are free and released for statistics (as in Go, where allocToCache
     * leaves heapFree and heapReleased alone), allocated for pageAlloc. */
    _Atomic uint64_t pcache_pages, pcache_scav;
} ga_heap_counters;

/* ---- span gates (sweep.c) --------------------------------------------------------
 * ga_free validates "slot i is allocated" (i < freeindex or alloc bit) and then sets
 * the freed bit; a sweep of the same span (GC or free sweep) rewrites alloc_bits,
 * freeindex and takes the freed bits.  Interleaved, a free could validate against the
 * old state and set its freed bit after the sweep reclaimed the slot: F1 broken and a
 * later occupant of the slot freed by the next sweep.  So the check-and-set of ga_free
 * and the bit rewrite of a sweep exclude each other through a reader/writer gate
 * chosen by hashing the span struct's address (stable across span reuse): frees enter
 * as readers (several at once), a sweeper holds it as writer only while it rewrites
 * the bitmaps.  A free into a span cached by the caller's own cache needs no gate
 * (only the owner sweeps a cached span).  Order: gate → mcentral lock; a writer never
 * holds or takes an mcentral lock (so a reader may wait for one while inside). */
#define GA_SPAN_GATES 256u
#define GA_GATE_WRITER (1u << 31)
typedef struct ga_span_gate {
    _Atomic uint32_t v; /* GA_GATE_WRITER | number of readers */
} __attribute__((aligned(GA_CACHE_LINE))) ga_span_gate;
_Static_assert(sizeof(ga_span_gate) == GA_CACHE_LINE, "one gate per cache line");

/* GA_SCAVENGE_IDLE: an epoch ends once the spans allocated in it add up to as many
 * pages as the heap holds (in use + free unreleased; at least GA_SCAV_EPOCH_PAGES), so
 * that it spans a whole cycle of a program that frees its heap and builds it again
 * (z3 between problems: with epochs of 64 span operations it released and faulted
 * back 20 MB per cycle, 217,000 faults, 3x the run time); or after GA_SCAV_EPOCH_TICKS
 * ga_heap_tick calls, for a program whose caches serve everything.  Nothing is released
 * unless the excess is at least GA_SCAV_MIN_BATCH pages: a few madvise calls per epoch
 * at most, never one per free. */
#define GA_SCAV_EPOCH_TICKS 64u
#define GA_SCAV_EPOCH_PAGES 128u
#define GA_SCAV_MIN_BATCH 64u

/* ---- the heap (docs/go-facts.md §10.1) ------------------------------------------- */
struct ga_heap {
    pthread_mutex_t lock; /* the heap lock */
    ga_config cfg;
    ga_os os;
    ga_pagealloc pages;     /* under lock */
    uint32_t sweepgen;      /* h; written with the world stopped (ga_gc_end), atomic reads */
    uint32_t gc_phase;      /* GA_GC_*; atomic */
    ga_heap_arena **arenas; /* GA_ARENA_L2_ENTRIES pointers (ga_sys_alloc, demand paged) */
    uintptr_t *all_arenas;  /* arena base addresses, in order of creation */
    size_t n_arenas, cap_arenas;
    uintptr_t cur_arena_base, cur_arena_end; /* reserved, not yet given to pageAlloc */
    uint32_t arena_hint;                     /* next of the 128 hints 0x00c0_0000_0000 + i*2^40 */
    uintptr_t arena_hint_addr;               /* where the next reservation is tried first (just past
                                  * the last one, to grow contiguously); 0 = hint start */
    ga_fixalloc span_alloc, cache_alloc, arena_alloc;
    /* Runs allocated in pageAlloc whose ga_sys_used was refused, held (as dead span
     * structs: base, npages, elemsize = scavenged bytes, linked by next) until the OS
     * accepts, retried at the next alloc_span.  Freeing them at once would leave
     * Prepared pages marked unscavenged in pageAlloc (later used without sys_used). */
    ga_mspan *parked;
    size_t parked_pages;
    /* GA_SCAVENGE_IDLE's epoch (under lock; scav_note in mheap.c): ticks and pages
     * allocated since the epoch began, and the fewest free unreleased pages seen at its
     * start or after any of its operations -- pages that many stayed idle throughout,
     * so releasing them cannot undo the epoch's own frees. */
    uint32_t scav_ticks;
    size_t scav_alloc;
    size_t scav_idle_min;
    ga_cache *caches; /* every live cache, under lock */
    /* Page reclaimer (reclaim.c; Go's reclaimIndex, reclaimCredit, sweepArenas):
     * reclaim_index = next page to scan, counted over all_arenas[0 .. reclaim_arenas)
     * (page i % 8192 of arena i / 8192), GA_RECLAIM_DONE or more once every arena was
     * scanned this cycle; reclaim_credit = pages freed by sweeps beyond what the
     * reclaimers asked for (theirs and ga_sweep's), taken before scanning further;
     * reclaim_arenas = arenas that existed at the last ga_gc_end (under lock: later
     * arenas hold no span of that cycle).  All reset by ga_gc_mark_termination. */
    _Atomic uint64_t reclaim_index;
    _Atomic uintptr_t reclaim_credit;
    size_t reclaim_arenas;
    ga_mcentral central[GA_NUM_SPAN_CLASSES];
    /* sweeping (docs/go-facts.md §11.2): active sweepers + drained bit; next class for ga_sweep */
    _Atomic uint32_t sweep_active;
    _Atomic uint32_t sweep_class;
    /* span gates (sweep.c): free sweeps / GC sweeps vs ga_free's validation */
    ga_span_gate gates[GA_SPAN_GATES];
    ga_heap_counters stats;
};

/* ---- mheap.c --------------------------------------------------------------------- */
/* h must be zero-filled except h->cfg.  Initialises what mheap owns: the heap lock,
 * h->os (from h->cfg), pageAlloc, the arena index, the fixallocs (the mcentrals are
 * initialised and destroyed by ga_heap_new / ga_heap_destroy around these calls).
 * 0, or ENOMEM (OS refusal) with everything it mapped unmapped again. */
GA_HIDDEN int ga_mheap_init(ga_heap *h);
/* Unmaps every byte the heap mapped (arenas, index, fixalloc chunks, pageAlloc
 * metadata).  Caches must have been destroyed first. */
GA_HIDDEN void ga_mheap_destroy(ga_heap *h);
/* mheap.alloc: a new in-use span of npages for spanclass (initialised, index set,
 * sweepgen h), or NULL with errno ENOMEM.  c: the calling thread's cache, whose page
 * cache and span stash serve small spans without the heap lock, or NULL (then the
 * heap lock is always taken). */
GA_HIDDEN ga_mspan *ga_mheap_alloc(ga_heap *h, uintptr_t npages, ga_spanclass spc, ga_cache *c);
/* allocSpan: the body of alloc (heap lock taken inside unless c's page cache serves). */
GA_HIDDEN ga_mspan *ga_mheap_alloc_span(ga_heap *h, uintptr_t npages, ga_spanclass spc, ga_cache *c);
/* Give c's page cache and span stash back to the heap (takes the heap lock). */
GA_HIDDEN void ga_mheap_release_cache(ga_heap *h, ga_cache *c);
/* grow: give pageAlloc at least npages more pages (heap lock held). 0 or ENOMEM. */
GA_HIDDEN int ga_mheap_grow(ga_heap *h, uintptr_t npages);
/* sysAlloc: reserve + register a new arena range of >= n bytes (heap lock held);
 * returns its base or 0 (ENOMEM), *size = bytes reserved. */
GA_HIDDEN uintptr_t ga_mheap_sys_alloc(ga_heap *h, size_t n, size_t *size);
/* freeSpan / freeSpanLocked: pages back to pageAlloc, index cleared, span struct back
 * to span_alloc.  Span must be in no list and owned by the caller. */
GA_HIDDEN void ga_mheap_free_span(ga_heap *h, ga_mspan *s);
GA_HIDDEN void ga_mheap_free_span_locked(ga_heap *h, ga_mspan *s);
/* Grow the in-use large span s to npages in place (the pages after it free, or the top
 * of the heap); stats follow (pages in use, bytes allocated).  0, or -1 with nothing
 * changed.  Takes the heap lock. */
GA_HIDDEN int ga_mheap_grow_large(ga_heap *h, ga_mspan *s, uintptr_t npages);
/* Shrink it to npages (>= 1, fewer than now): its tail pages go back to pageAlloc, the
 * index forgets them; stats follow.  Always 0.  Takes the heap lock. */
GA_HIDDEN int ga_mheap_shrink_large(ga_heap *h, ga_mspan *s, uintptr_t npages);
/* mheap.reclaim (reclaim.c, docs/go-facts.md §11.7): sweep unswept spans with no marked
 * object (page_in_use &^ page_marks) until npages pages went back to the heap (reclaim
 * credit counts) or every arena of the cycle was scanned.  No lock may be held (it
 * takes mcentral locks, the heap lock, and sweeps).  Returns the pages its own sweeps
 * freed (credit taken is not counted), for tests. */
#define GA_RECLAIM_CHUNK 512u /* pages scanned per claim of reclaim_index (Go's pagesPerReclaimerChunk) */
#define GA_RECLAIM_DONE ((uint64_t)1 << 63)
_Static_assert(GA_PAGES_PER_ARENA % GA_RECLAIM_CHUNK == 0 && GA_RECLAIM_CHUNK % 64 == 0,
               "a reclaim chunk is whole bitmap words inside one arena");
GA_HIDDEN uintptr_t ga_mheap_reclaim(ga_heap *h, uintptr_t npages);
/* Span owning address p (any byte of its pages), or NULL; lock-free. */
GA_HIDDEN ga_mspan *ga_mheap_span_of(ga_heap *h, uintptr_t p);
/* The same, inline: ga_mark and ga_free look a span up once per call, and the call
 * and re-loads of an out-of-line lookup were a third of ga_mark's instructions. */
static inline ga_mspan *ga_mheap_span_of_inline(ga_heap *h, uintptr_t p) {
    uintptr_t ai = ga_off(p) >> GA_ARENA_SHIFT;
    if (ai >= GA_ARENA_L2_ENTRIES)
        return NULL;
    ga_heap_arena *a = __atomic_load_n(&h->arenas[ai], __ATOMIC_ACQUIRE);
    if (!a)
        return NULL;
    ga_mspan *s = __atomic_load_n(&a->spans[(p & (GA_ARENA_BYTES - 1)) >> GA_PAGE_SHIFT], __ATOMIC_ACQUIRE);
    if (!s || __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GA_SPAN_IN_USE)
        return NULL;
    /* The entry may be racing with a free/reuse of the struct: check it covers p. */
    uintptr_t base = __atomic_load_n(&s->base, __ATOMIC_RELAXED);
    uintptr_t npages = __atomic_load_n(&s->npages, __ATOMIC_RELAXED);
    if (p < base || p - base >= (npages << GA_PAGE_SHIFT))
        return NULL;
    return s;
}

/* Arena record of address p (published arenas only), or NULL; lock-free. */
static inline ga_heap_arena *ga_arena_of(ga_heap *h, uintptr_t p) {
    uintptr_t ai = ga_off(p) >> GA_ARENA_SHIFT;
    return ai < GA_ARENA_L2_ENTRIES ? __atomic_load_n(&h->arenas[ai], __ATOMIC_ACQUIRE) : NULL;
}
/* Word index and bit of page-aligned address base in its arena's page bitmaps. */
static inline size_t ga_page_word(uintptr_t base) { return ((base & (GA_ARENA_BYTES - 1)) >> GA_PAGE_SHIFT) / 64; }
static inline uint64_t ga_page_mask(uintptr_t base) {
    return (uint64_t)1 << (((base & (GA_ARENA_BYTES - 1)) >> GA_PAGE_SHIFT) % 64);
}
/* The marking hook (A5): the page_marks bit of the span starting at base, set after a
 * mark bit of the span.  A load first, as Go: the bit is usually set already, and a
 * locked instruction per mark on one shared word would make markers contend. */
static inline void ga_page_marks_set(ga_heap *h, uintptr_t base) {
    ga_heap_arena *a = ga_arena_of(h, base);
    size_t w = ga_page_word(base);
    uint64_t m = ga_page_mask(base);
    if (!(__atomic_load_n(&a->page_marks[w], __ATOMIC_RELAXED) & m))
        __atomic_fetch_or(&a->page_marks[w], m, __ATOMIC_RELAXED);
}

/* Span of page-aligned address p from the index, without validation (heap lock held;
 * NULL if p is outside every arena). */
GA_HIDDEN ga_mspan *ga_mheap_index_get(const ga_heap *h, uintptr_t p);

/* align: power of two <= 64; objects are size rounded up to it. */
GA_HIDDEN void ga_fixalloc_init(ga_fixalloc *f, size_t size, size_t align);
GA_HIDDEN void *ga_fixalloc_alloc(ga_fixalloc *f, ga_os *os); /* NULL + ENOMEM on refusal */
GA_HIDDEN void ga_fixalloc_free(ga_fixalloc *f, void *p);
GA_HIDDEN void ga_fixalloc_destroy(ga_fixalloc *f, ga_os *os); /* unmaps every chunk */
GA_HIDDEN void ga_fixalloc_iter_init(const ga_fixalloc *f, ga_fixalloc_iter *it);
/* Next carved object (handed out or free), or NULL at the end. */
GA_HIDDEN void *ga_fixalloc_iter_next(ga_fixalloc_iter *it, const ga_fixalloc *f);
/* allspans: every span struct ever created, in creation order; dead ones (state
 * GA_SPAN_DEAD: free, or parked) included.  Heap lock held. */
static inline void ga_allspans_init(const ga_heap *h, ga_fixalloc_iter *it) {
    ga_fixalloc_iter_init(&h->span_alloc, it);
}
static inline ga_mspan *ga_allspans_next(const ga_heap *h, ga_fixalloc_iter *it) {
    return (ga_mspan *)ga_fixalloc_iter_next(it, &h->span_alloc);
}

/* ---- mcentral.c ------------------------------------------------------------------ *
 * The only file that takes an mcentral lock or edits the span lists; every other box
 * uses the operations below (each takes and drops c->lock itself; none is called with
 * a lock held). */
GA_HIDDEN void ga_mcentral_init(ga_mcentral *c, ga_spanclass spc);
GA_HIDDEN void ga_mcentral_destroy(ga_mcentral *c);
/* List primitives; caller holds c->lock.  mcentral.c's own: declared here only for the
 * white-box unit tests (test_spanlist, test_mheap), nothing else in alloc/ calls them. */
GA_HIDDEN void ga_span_list_push(ga_span_list *l, ga_mspan *s, int8_t id);
GA_HIDDEN void ga_span_list_remove(ga_span_list *l, ga_mspan *s);
GA_HIDDEN ga_span_list *ga_mcentral_list(ga_mcentral *c, int8_t id);
GA_HIDDEN ga_mspan *ga_mcentral_cache_span(ga_heap *h, ga_mcentral *c, ga_cache *cache);
GA_HIDDEN void ga_mcentral_uncache_span(ga_heap *h, ga_mcentral *c, ga_mspan *s);
GA_HIDDEN ga_mspan *ga_mcentral_grow(ga_heap *h, ga_mcentral *c, ga_cache *cache);
/* Push an owned span with sweepgen h onto the right swept list (under c->lock). */
GA_HIDDEN void ga_mcentral_push_swept(ga_heap *h, ga_mcentral *c, ga_mspan *s);
/* allocLarge: list new large span s (owned) as full swept, its object allocated. */
GA_HIDDEN void ga_mcentral_push_full_large(ga_heap *h, ga_mcentral *c, ga_mspan *s);
/* ga_free, large object: take s off its list if it is in one (true: caller frees it). */
GA_HIDDEN bool ga_mcentral_free_large_take(ga_mcentral *c, ga_mspan *s);
/* ga_free, small span's pending frees 0 → 1 (counted before the call): full swept →
 * partial swept. */
GA_HIDDEN void ga_mcentral_note_pending_free(ga_heap *h, ga_mcentral *c, ga_mspan *s);
/* The page reclaimer's acquisition of span s, found through the arena index: under
 * c->lock and then the heap lock (so s can be neither freed nor reused meanwhile), if
 * s is still an in-use span of this class in an unswept list, take it off (true: the
 * caller owns it, at h-2, and acquires it for sweeping). */
GA_HIDDEN bool ga_mcentral_take_unswept_span(ga_heap *h, ga_mcentral *c, ga_mspan *s);
/* ga_sweep: next span of an unswept list (full first) for heap sweepgen sg, or NULL. */
GA_HIDDEN ga_mspan *ga_mcentral_take_unswept(ga_mcentral *c, uint32_t sg);
/* ga_sweep's free sweep: take up to max (0 = all) partial swept spans with pending
 * frees, chained through ->next; returns how many. */
GA_HIDDEN size_t ga_mcentral_take_pending(ga_mcentral *c, uint32_t sg, size_t max, ga_mspan **chain);
/* The checker's walk of class spc's lists (M1); lock: take c->lock for it.  0, or -1
 * with why; *entries += spans found. */
GA_HIDDEN int ga_mcentral_check(ga_mcentral *c, uint32_t spc, uint32_t sg, size_t bound, bool lock, size_t *entries,
                                char *why, size_t len);

/* ---- mcache.c -------------------------------------------------------------------- */
GA_HIDDEN void ga_mcache_init(ga_cache *c, ga_heap *h);
/* nextFree: a free slot of class spc (refilling when the span is full), or 0 + ENOMEM.
 * zero: the caller wants zeroed memory, so a span taken by a refill with needzero set
 * gets all its free slots zeroed at once (runs of free slots, streaming stores) and
 * needzero cleared, instead of one memset per allocation. */
GA_HIDDEN uintptr_t ga_mcache_next_free(ga_cache *c, ga_spanclass spc, bool zero, ga_mspan **span_out);
/* Zero every free slot of span s (owned by the caller) and clear needzero (S10). */
GA_HIDDEN void ga_mcache_zero_free_slots(ga_mspan *s);
GA_HIDDEN int ga_mcache_refill(ga_cache *c, ga_spanclass spc); /* 0 or ENOMEM */
GA_HIDDEN ga_mspan *ga_mcache_alloc_large(ga_cache *c, size_t size, int noscan);
GA_HIDDEN void ga_mcache_prepare_for_sweep(ga_cache *c);
GA_HIDDEN void ga_mcache_release_all(ga_cache *c);

/* ---- sweep.c --------------------------------------------------------------------- *
 * sweep_active = GA_SWEEP_DRAINED | number of active GC sweepers (docs/go-facts.md §11.2): begin
 * fails once drained (every unswept list empty; they only shrink during a cycle);
 * sweeping for the cycle is done when the value is exactly GA_SWEEP_DRAINED.
 * sweep_class: the first span class whose unswept lists may be non-empty (monotonic in a
 * cycle; ga_gc_end resets both). */
#define GA_SWEEP_DRAINED (1u << 31)
/* Proof of exclusive sweep ownership of one span (sweepgen == h-1). */
typedef struct ga_sweeplocked {
    ga_mspan *span;
} ga_sweeplocked;
/* CAS sweepgen h-2 → h-1; true when the caller now owns the sweep. */
GA_HIDDEN bool ga_sweep_try_acquire(ga_heap *h, ga_mspan *s, ga_sweeplocked *out);
/* Sweep an owned span: live = allocated ∧ marked ∧ ¬freed becomes alloc_bits
 * (ga_mspan_sweep_bits, proved); counts, needzero,
 * stats; sweepgen = h.  preserve: leave it on no list and never free it (the caller
 * takes it).  Otherwise: empty → ga_mheap_free_span, else pushed to a swept list.
 * Returns true if the span was freed to the heap.  No lock may be held. */
GA_HIDDEN bool ga_sweeplocked_sweep(ga_heap *h, ga_sweeplocked *sl, bool preserve);
/* Free sweep (no GC): apply pending explicit frees to a span the caller owns. Returns
 * the number of slots reclaimed.  No lock may be held. */
GA_HIDDEN uint32_t ga_sweep_reclaim_frees(ga_heap *h, ga_mspan *s);
/* The owning cache's local frees of cached span s (F2) become ordinary explicit frees:
 * freed_bits set, pending_frees counted.  Called by the owner before it looks at
 * pending_frees (refill) and before the span leaves its cache (uncache). */
GA_HIDDEN void ga_mspan_merge_local_frees(ga_mspan *s);
/* Register / unregister an active GC sweeper; begin fails (false) when drained. */
GA_HIDDEN bool ga_sweep_begin(ga_heap *h);
GA_HIDDEN void ga_sweep_end(ga_heap *h);
/* finishsweep_m: sweep every unswept span and wait for concurrent sweepers. */
GA_HIDDEN void ga_sweep_finish(ga_heap *h);
/* Free a large span whose object is dead (owned by the caller, in no list): stats and
 * ga_mheap_free_span. */
GA_HIDDEN void ga_sweep_free_large(ga_heap *h, ga_mspan *s);
/* Span gate of s (see ga_span_gate). */
GA_HIDDEN void ga_gate_enter(ga_heap *h, const ga_mspan *s);
GA_HIDDEN void ga_gate_exit(ga_heap *h, const ga_mspan *s);
GA_HIDDEN void ga_gate_lock(ga_heap *h, const ga_mspan *s);
GA_HIDDEN void ga_gate_unlock(ga_heap *h, const ga_mspan *s);
GA_HIDDEN void ga_gates_lock_all(ga_heap *h); /* fork: see ga_heap_fork_prepare */
GA_HIDDEN void ga_gates_unlock_all(ga_heap *h);

/* ---- malloc.c -------------------------------------------------------------------- */
/* Is slot idx of in-use span s allocated (S6: idx < freeindex or alloc bit)?  Read by
 * threads that do not own s (validation of ga_free / ga_mark / ga_object_base): atomic
 * loads (freeindex acquire) of the owner's atomic stores (mspan.c), see malloc.c. */
GA_HIDDEN bool ga_span_slot_allocated(const ga_mspan *s, uint32_t idx);
/* mallocgc: every allocation that ga_alloc's inline fast path leaves (refill, large,
 * size 0, mark phase, debug checks); never inlined. */
GA_HIDDEN void *ga_mallocgc(ga_cache *c, size_t size, unsigned flags);
/* debug_checks: ga_heap_check, ga_throw with the description and `op` on failure. */
GA_HIDDEN void ga_debug_check(ga_heap *h, const char *op);
GA_HIDDEN void ga_gc_mark_termination(ga_heap *h);

/* ---- check.c --------------------------------------------------------------------- */
/* Whole-heap invariant walk (arenas and index, every span, mcentral lists, caches,
 * pageAlloc and page ownership, statistics).  Caller holds the heap lock and nothing
 * mutates spans, lists or caches meanwhile (the public ga_heap_check takes each
 * mcentral lock in turn for its lists, then the heap lock, never two at once; a
 * concurrent ga_alloc/ga_free is still the caller's to exclude).  Returns 0, or -1
 * with the first broken invariant described in why[0..len). */
GA_HIDDEN int ga_heap_check_locked(ga_heap *h, char *why, size_t len);

static inline uint32_t ga_heap_sweepgen(ga_heap *h) { return __atomic_load_n(&h->sweepgen, __ATOMIC_ACQUIRE); }

/* ---- yield points (fuzz/threads_fuzz.c only) ---------------------------------------
 * Places where a test may park the calling thread and let another run, so that a chosen
 * interleaving happens every time, deterministically (a lost update needs the other
 * thread inside a window of a few instructions).  Compiled in only with GA_YIELD_POINTS,
 * which only threads_fuzz's own copy of the library defines (CMakeLists.txt); in every
 * other build GA_YIELD is nothing.  Never placed where a mutex is held (a parked
 * thread would block the one it lets run); GA_YP_SPIN marks a thread waiting for
 * another (cpu_relax), where a test lets the parked thread go on. */
enum {
    GA_YP_SPIN,         /* cpu_relax: waiting for another thread */
    GA_YP_FREE_SET,     /* ga_free: slot validated, freed bit not yet set (span gate held) */
    GA_YP_FREE_COUNT,   /* ga_free: freed bit set, pending_frees not yet counted */
    GA_YP_STATS_MALLOC, /* flush_span_stats: nmalloc added, bytes_malloc not yet */
    GA_YP_STATS_FREE,   /* count_frees: nfree added, bytes_free not yet */
    GA_YP_NUM
};
#ifdef GA_YIELD_POINTS
extern void (*ga_yield_hook)(int point);
#define GA_YIELD(point)                                                                                                \
    do {                                                                                                               \
        if (ga_yield_hook)                                                                                             \
            ga_yield_hook(point);                                                                                      \
    } while (0)
#else
#define GA_YIELD(point) ((void)0)
#endif

#endif
