/*
 * goalloc — a C11 implementation of the Go 1.19 runtime memory allocator.
 *
 *   ga_alloc → mallocgc → mcache → mcentral → mheap → pageAlloc → OS
 *
 * This is the only header users include.  A heap is an instance: several can live
 * side by side in one process, each destroyed cleanly.  A cache is Go's per-P mcache:
 * it may be used by one thread at a time (any thread, but never two at once).
 *
 * Error conventions: functions that can fail for lack of memory return NULL (or a
 * negative errno value) and set errno = ENOMEM; they never abort and never leave the
 * heap unsound.  Misuse detected at run time (bad or double free) returns a negative
 * errno value and changes nothing.
 */
#ifndef GOALLOC_H
#define GOALLOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GA_API __attribute__((visibility("default")))
#else
#define GA_API
#endif

typedef struct ga_heap ga_heap;
typedef struct ga_cache ga_cache;

/* ---- OS hooks ---------------------------------------------------------------
 * The OS layer (Go's sysReserve/sysMap/sysUsed/sysUnused/sysFree/sysFault).  A NULL
 * hook table, or a NULL entry, means "the real OS" (mmap/mprotect/madvise/munmap).
 * Hooks let tests and fuzzers refuse memory or observe every transition.
 * reserve returns the address reserved (possibly != hint) or NULL; the others return
 * 0 on success or an errno value.  ctx is passed back unchanged. */
typedef struct ga_os_hooks {
    void *(*reserve)(void *ctx, void *hint, size_t n); /* None -> Reserved        */
    int (*map)(void *ctx, void *v, size_t n);          /* Reserved -> Prepared   */
    int (*used)(void *ctx, void *v, size_t n);         /* Prepared -> Ready      */
    int (*unused)(void *ctx, void *v, size_t n);       /* Ready -> Prepared      */
    int (*release)(void *ctx, void *v, size_t n);      /* any -> None (munmap)   */
    int (*fault)(void *ctx, void *v, size_t n);        /* Ready -> Reserved      */
    void *ctx;
} ga_os_hooks;

/* ---- configuration -------------------------------------------------------- */
typedef struct ga_config {
    /* Upper bound on bytes mapped (Prepared or Ready, heap and metadata).  0 = none.
     * Past it, allocation fails with ENOMEM exactly as if the OS had refused. */
    size_t mapped_limit;
    /* NULL = the real OS. */
    const ga_os_hooks *os;
    /* Fault injection (tests, fuzzers): refuse the Nth refusable OS call (1-based;
     * 0 = never) and every refusable call after the first `os_fail_after` calls
     * (0 = never).  Refusable calls: reserve, map, used. */
    uint64_t os_fail_nth;
    uint64_t os_fail_after;
    /* Run ga_heap_check after every public operation; a broken invariant aborts
     * with its description (debug builds of embedders, fuzzing). */
    int debug_checks;
    /* Scavenger policy: GA_SCAVENGE_NONE (only ga_scavenge releases memory),
     * GA_SCAVENGE_ON_GC (ga_gc_end releases free pages beyond retain_percent % of
     * the heap in use, like Go's background scavenger goal) or GA_SCAVENGE_IDLE, for
     * heaps without GC (the malloc drop-in): free pages that stayed free through a
     * whole epoch of span allocations and frees are released beyond retain_percent %
     * of the heap in use (GA_SCAV_EPOCH_* in alloc/heap.h).  retain_percent 0 = 10. */
    int scavenge_policy;
    unsigned retain_percent;
    /* Non-zero: caches take no page cache (Go's per-P pageCache): every span comes
     * from pageAlloc under the heap lock.  For comparisons (bench/) and tests. */
    int no_page_cache;
    /* Huge pages for the scavenger (Go's physHugePageSize): with huge_pages_set = 0
     * (the default) the kernel's transparent huge page size
     * (/sys/kernel/mm/transparent_hugepage/hpage_pmd_size; none if unreadable); with
     * huge_pages_set != 0, huge_page_bytes (0 = none).  A release that would split a
     * free, unscavenged huge page is widened to all of it, so scavenging may release
     * more than asked.  Sizes not above 8 KiB and the physical page count as none. */
    int huge_pages_set;
    size_t huge_page_bytes;
} ga_config;

enum { GA_SCAVENGE_NONE = 0, GA_SCAVENGE_ON_GC = 1, GA_SCAVENGE_IDLE = 2 };

/* ---- heaps and caches ----------------------------------------------------- */
GA_API ga_heap *ga_heap_new(const ga_config *cfg); /* NULL cfg = defaults; NULL+ENOMEM on failure */
GA_API void ga_heap_destroy(ga_heap *h);           /* unmaps everything the heap mapped */
GA_API ga_cache *ga_cache_new(ga_heap *h);
GA_API void ga_cache_destroy(ga_cache *c); /* release_all: cached spans go back */

/* ---- allocation ----------------------------------------------------------- */
enum {
    GA_NOSCAN = 1u << 0, /* object holds no pointers: noscan span class, tiny allocator < 16 B */
    GA_NOZERO = 1u << 1, /* caller does not need zeroed memory (Go's needzero = false) */
};

/* mallocgc.  size 0 returns ga_zerobase().  NULL + ENOMEM when the OS or the
 * mapped limit refuses, or when size cannot be represented (> 2^48). */
GA_API void *ga_alloc(ga_cache *c, size_t size, unsigned flags);
GA_API void *ga_zerobase(void);

/* Explicit free.  Returns 0, or:
 *   -EINVAL   p is not the start of an object of this heap: interior, foreign, NULL,
 *             ga_zerobase(), a tiny-allocator sub-object (any pointer into span class
 *             5: tiny blocks are reclaimed only by GC; 16-byte GA_NOSCAN objects are
 *             served from class 4 so that they stay freeable), or a large object
 *             already freed (its pages went back at once);
 *   -EALREADY p is the start of a small slot that is free: freed and not yet
 *             reclaimed, or reclaimed and not handed out again (the two cannot be
 *             told apart).
 * The heap is unchanged on error.  Small slots are reclaimed at their span's next
 * sweep (a GC sweep, or the "free sweep" a refill or ga_sweep runs); large objects
 * return their pages at once.  Any thread may free any object. */
GA_API int ga_free(ga_cache *c, void *p);

/* Resize the large object p (an object start, over 32 KiB) to the whole pages that
 * hold `size` bytes (at least one) without moving it: growing takes the free pages
 * right after it (or, at the top of the heap, grows the heap there); shrinking gives
 * its tail pages back to the heap.  Returns its usable size afterwards (>= size), or
 * 0 with p unchanged: not a live large object, too big, or the pages after it taken.
 * Added bytes are not zeroed.  As for a free, the caller owns p: no other thread may
 * free it meanwhile.  Used by the malloc drop-in's realloc. */
GA_API size_t ga_resize_in_place(ga_cache *c, void *p, size_t size);

/* Queries of a live object.  Like a free, a query must happen before any free of the
 * object by another thread (the embedder's hand-over orders them): the answer is read
 * from the span, whose struct is reused once the object's span is freed.
 * Size of the slot holding p (p must be an object start), 0 if p is not one. */
GA_API size_t ga_usable_size(ga_heap *h, const void *p);
/* Interior pointer -> start of the object slot containing it, or NULL. */
GA_API void *ga_object_base(ga_heap *h, const void *p);

/* ---- GC cycle, driven by the embedder ------------------------------------
 * ga_gc_begin: world stopped by the caller (no other call on this heap in flight):
 *          finish sweeping the previous cycle, enter the mark phase (objects
 *          allocated from now on are black) and grey every cache's current tiny block.
 * ga_mark: mark the object containing p (interior pointers accepted); atomic,
 *          callable from several threads, concurrently with allocation and with
 *          frees of other objects; returns 1 if newly marked, 0 if already marked,
 *          -EINVAL if p is in no object.  Marking uses p: it must happen before any
 *          free of p's object, as any other use (a mark racing the free of its own
 *          object could land on the slot's next tenant).  Only in the mark phase,
 *          between ga_gc_begin and ga_gc_end: the page reclaimer reads a span's
 *          marks as those of the last cycle (a mark at another time would survive
 *          into the next cycle unseen by it, and ga_heap_check reports it, A5).
 * ga_gc_end: mark termination, world stopped by the caller (no other call on this
 *          heap in flight): flush every cache, sweepgen += 2.  Unmarked objects are
 *          then reclaimed lazily (when a refill meets their span), or eagerly by
 *          ga_sweep.  Only marked objects survive: the embedder marks everything
 *          reachable, as Go's collector would.
 * ga_sweep: sweep up to `budget` spans (0 = all); returns the number swept. */
GA_API void ga_gc_begin(ga_heap *h);
GA_API int ga_mark(ga_heap *h, const void *p);
GA_API void ga_gc_end(ga_heap *h);
GA_API size_t ga_sweep(ga_heap *h, size_t budget);

/* Release at least `bytes` of free heap memory to the OS (SIZE_MAX = all);
 * returns bytes released. */
GA_API size_t ga_scavenge(ga_heap *h, size_t bytes);
/* A clock tick for GA_SCAVENGE_IDLE, counted as one span operation of its epoch: a
 * program whose caches serve everything (no span allocated or freed) still ends
 * epochs, and its idle pages are released.  Takes the heap lock; call it now and then
 * (the malloc drop-in: every 65,536 calls of a thread).  Nothing under other policies. */
GA_API void ga_heap_tick(ga_heap *h);

/* ---- fork ------------------------------------------------------------------
 * For pthread_atfork: ga_heap_fork_prepare(h) before fork() takes every lock of the
 * heap (span gates, then mcentral locks, then the heap lock: the heap's lock order),
 * waiting for the calls that hold one to leave it; ga_heap_fork_parent and
 * ga_heap_fork_child release them in the parent and in the child, so that the child
 * finds none held by a thread it does not have.  The forking thread must not be
 * inside a call on h.  In the child, other threads' caches are gone with their
 * threads, and so are the spans they cached, and objects only those threads could
 * have freed: a leak, not a corruption (a child that execs or exits loses nothing). */
GA_API void ga_heap_fork_prepare(ga_heap *h);
GA_API void ga_heap_fork_parent(ga_heap *h);
GA_API void ga_heap_fork_child(ga_heap *h);

/* ---- statistics and checking --------------------------------------------- */
#define GA_NUM_SIZE_CLASSES 68

typedef struct ga_stats {
    uint64_t heap_alloc;    /* bytes of allocated objects (not yet swept away)       */
    uint64_t heap_inuse;    /* bytes in in-use spans                                  */
    uint64_t heap_idle;     /* bytes in free pages (released or not)                 */
    uint64_t heap_released; /* bytes of free pages returned to the OS                */
    uint64_t heap_sys;      /* heap bytes obtained from the OS (mapped)              */
    uint64_t sys_mapped;    /* all bytes currently mapped, heap and metadata         */
    uint64_t nmalloc;       /* objects allocated, cumulative                          */
    uint64_t nfree;         /* objects freed (reclaimed), cumulative                 */
    uint64_t num_gc;        /* completed GC cycles                                   */
    uint64_t tiny_allocs;   /* allocations served inside tiny blocks                 */
    struct {
        uint32_t size;
        uint64_t nmalloc, nfree;
    } by_size[GA_NUM_SIZE_CLASSES]; /* index = size class; 0 = large */
} ga_stats;

GA_API void ga_heap_stats(ga_heap *h, ga_stats *out);

/* Full invariant walk.  0 = sound; otherwise -1 and a description of the first
 * broken invariant in why[0..len). */
GA_API int ga_heap_check(ga_heap *h, char *why, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* GOALLOC_H */
