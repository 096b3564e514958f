/* Fuzz driver for what only threads can break: 2-4 real threads, each with its own
 * cache, on one heap -- allocation of every kind, frees of other threads' objects (the
 * gated cross-thread path), ga_sweep beside lazy sweeping, GC cycles whose marking runs
 * while the others allocate (black) and free -- every result checked against the
 * shadow heap (fuzz/shadow.c), plus exact statistics whenever the world is stopped.
 *
 * Two modes, one input format:
 *  - deterministic (default): a turn-based scheduler hands a baton (mutex + condvar per
 *    worker) to exactly one thread at a time, in the order the input says, so every run
 *    of an input is the same and every crash replays;
 *  - concurrent (THREADS_FUZZ_MODE=concurrent; the default in a ThreadSanitizer build):
 *    the windows the input opens (PAR) run their threads truly at once, and the race
 *    ops release their two threads together from a spin barrier.  The oracles then only
 *    rely on what holds in every interleaving: shadow updates happen under the driver's
 *    own lock, a free is claimed in the shadow before ga_free is called (so the shadow
 *    owes a superset of what the allocator owes), results of lock-free calls are
 *    judged only where no other thread can change the answer, and exact statistics are
 *    compared only with every worker parked.  The driver's lock is hidden from TSan
 *    (its accesses and its synchronisation), so TSan sees the allocator's own ordering
 *    only: a missing acquire or an unlocked list edit is not covered up by the
 *    bookkeeping of the driver.
 *
 * Oracles (the allocator's answers are never trusted):
 *  - everything heap_fuzz checks for ga_alloc (no overlap with anything owed, class
 *    alignment, Go's tiny placement, zeroing, ga_usable_size, ga_object_base), ga_free
 *    (0 exactly for claimed live objects, -EINVAL/-EALREADY otherwise; statistics
 *    unchanged by a failed free), ga_mark (1/0 as the shadow expects), contents (a
 *    pattern per object, checked before every free and periodically), and the OS hooks
 *    (no unused/release/fault on an owed object);
 *  - at every stop (all workers parked: after every segment or window, after every
 *    world-stopped op): per size class, nmalloc plus the counts still held in the
 *    caches (white box: alloc_count - alloc_count_before_cache of each cached span, and
 *    each cache's tiny count) equals the allocations the driver made -- exactly, right
 *    after the threads join, so a lost update of a shared counter shows at once; live
 *    objects and bytes bounded by what the shadow owes;
 *  - after GC_END's full sweep and at the end (everything marked, one more cycle):
 *    nmalloc - nfree and heap_alloc equal what the shadow owes, per class;
 *  - RACE_FREE: two threads free the same object at once: exactly one gets 0, the other
 *    -EALREADY (-EINVAL for a large object whose pages already went back); the large
 *    frees are counted once in nfree, and each span's pending_frees rose by exactly
 *    the number of its objects freed (white box);
 *  - RACE_SPAN: two threads free different objects of one span at once: all succeed
 *    and pending_frees rose by exactly the number freed (a lost update is not a data
 *    race: TSan cannot see it, this count can);
 *  - RACE_SWEEP: frees and re-frees racing ga_sweep(h, 0): first frees 0, re-frees
 *    never 0; afterwards no freed bit on a free slot (F1) and pending_frees equal to the
 *    freed bits in every span involved;
 *  - ga_heap_check at STW_CHECK (the first few), periodically and at the end.
 *
 * Threads are created once per process and reused by every input (no per-input thread
 * start-up); each input gets a fresh heap and fresh caches.
 * Operations: fuzz/threads_ops.h; input format: fuzz/README.md "threads_fuzz". */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "goalloc.h"
#include "heap.h" /* white box: cached spans' counts, pending_frees, freed bits, the span lists */
#include "fuzz_ops.h"
#include "shadow.h"
#include "support/fuzz_input.h"
#include "threads_ops.h"

#define MAXT 4
_Static_assert(MAXT <= SH_MAX_CACHES, "one shadow cache slot per thread");
#ifndef MAX_OPS
#define MAX_OPS 1500 /* thread ops per input */
#endif
#ifndef MAX_STW
#define MAX_STW 64 /* world-stopped ops per input */
#endif
#ifndef MAX_RACES
#define MAX_RACES 64 /* RACE_* ops per input */
#endif
#ifndef MAX_PROG
#define MAX_PROG 4000
#endif
#ifndef MAX_OWED
#define MAX_OWED ((size_t)48 << 20)
#endif
#ifndef MAX_LARGE_TOTAL
#define MAX_LARGE_TOTAL ((size_t)48 << 20)
#endif
#ifndef MAX_TOUCH
#define MAX_TOUCH ((size_t)256 << 20)
#endif
#define MAX_BURST_BYTES ((size_t)128 << 10)
#ifndef CHECK_EVERY
#define CHECK_EVERY 32 /* steps between full pattern checks */
#endif
#ifndef HEAP_CHECK_EVERY
#define HEAP_CHECK_EVERY 128 /* steps between ga_heap_check */
#endif
#define MAX_STW_CHECKS 3 /* STW_CHECKs that run ga_heap_check */
#define DEBUG_MAX_INPUT 64
#define RACE_MAX 64
#define REFREE_MAX_PASSES 4096

/* ---- ThreadSanitizer: hide the driver's bookkeeping ---------------------------------- */
#if defined(__SANITIZE_THREAD__)
#define TF_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TF_TSAN 1
#endif
#endif
#ifndef TF_TSAN
#define TF_TSAN 0
#endif
#if TF_TSAN
/* TSan runtime annotations (tsan_interface_ann): accesses and synchronisation of the
 * calling thread that TSan should neither check nor use for happens-before. */
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
void AnnotateIgnoreSyncBegin(const char *file, int line);
void AnnotateIgnoreSyncEnd(const char *file, int line);
void AnnotateHappensBefore(const char *file, int line, const volatile void *addr);
void AnnotateHappensAfter(const char *file, int line, const volatile void *addr);
#define HIDE_ACCESS_BEGIN()                                                                                            \
    (AnnotateIgnoreReadsBegin(__FILE__, __LINE__), AnnotateIgnoreWritesBegin(__FILE__, __LINE__))
#define HIDE_ACCESS_END() (AnnotateIgnoreWritesEnd(__FILE__, __LINE__), AnnotateIgnoreReadsEnd(__FILE__, __LINE__))
#define HIDE_SYNC_BEGIN() AnnotateIgnoreSyncBegin(__FILE__, __LINE__)
#define HIDE_SYNC_END() AnnotateIgnoreSyncEnd(__FILE__, __LINE__)
/* The embedder's hand-over of an object: what the allocating thread did before it
 * passed p on happens before what the receiving thread does with p (the goalloc.h
 * contract for frees and marks of objects received from another thread). */
#define HANDED_OVER(p) AnnotateHappensBefore(__FILE__, __LINE__, (const void *)(p))
#define RECEIVED(p) AnnotateHappensAfter(__FILE__, __LINE__, (const void *)(p))
#define DEFAULT_CONCURRENT true
#define DEFAULT_REPEAT 1 /* TSan reports an unordered pair whenever both accesses happen */
#else
#define HIDE_ACCESS_BEGIN() ((void)0)
#define HIDE_ACCESS_END() ((void)0)
#define HIDE_SYNC_BEGIN() ((void)0)
#define HIDE_SYNC_END() ((void)0)
#define HANDED_OVER(p) ((void)(p))
#define RECEIVED(p) ((void)(p))
#define DEFAULT_CONCURRENT false
#define DEFAULT_REPEAT 1
#endif
/* The concurrent replayer (CMake: threads_fuzz_concurrent_replay, ctest
 * corpus_threads_fuzz_concurrent) is this file built with THREADS_FUZZ_CONCURRENT=R:
 * concurrent mode, every input run R times.  A lost update needs two threads inside a
 * window of a few instructions at once: each run of a race op gives it a few percent,
 * so R runs of the race seeds make the catch reliable. */
#ifdef THREADS_FUZZ_CONCURRENT
#undef DEFAULT_CONCURRENT
#undef DEFAULT_REPEAT
#define DEFAULT_CONCURRENT true
#define DEFAULT_REPEAT THREADS_FUZZ_CONCURRENT
#endif
/* An allocator call made while holding the driver's lock: TSan checks it as usual. */
#define VIS(stmt)                                                                                                      \
    do {                                                                                                               \
        HIDE_ACCESS_END();                                                                                             \
        stmt;                                                                                                          \
        HIDE_ACCESS_BEGIN();                                                                                           \
    } while (0)

/* ---- state -------------------------------------------------------------------------- */
typedef struct op_rec {
    uint8_t code, thread, a[4];
    uint8_t pause; /* PAUSE before it: 0, or (1 + yield point - 1) | hits to skip << 3 */
} op_rec;

typedef struct step {
    uint32_t lo, hi; /* ops[lo, hi) */
    bool par, stw;   /* a window (PAR) / one world-stopped op */
} step;

typedef struct job {
    uint32_t lo, hi;
    bool window; /* run only this thread's ops of [lo, hi), concurrently with the others */
    bool paired; /* one of run_pair's two segments: not the world to itself (see run_pair) */
} job;


typedef struct tf {
    ga_heap *h;
    ga_cache *c[MAXT];
    int nt;
    bool concurrent; /* mode of this process */
    bool gc;         /* mark phase (written with the world stopped) */
    shadow sh;
    pthread_mutex_t lock; /* the oracle: shadow and counters below */
    ga_config cfg;
    ga_os_hooks hooks;
    bool keep_on_unused;
    /* the driver's own count of what it allocated, per size class (tiny blocks in 2),
     * and tiny sub-objects placed in an existing block */
    uint64_t nalloc[GA_NUM_SIZE_CLASSES], ntiny;
    size_t reserved, large_total, touched;
    op_rec *ops;
    step *steps;
    uint32_t nops, nsteps, races, stw_checks, race_seq;
    uint32_t parks[4], swaps; /* this input's pz_parks, pz_swaps */
    job jobs[MAXT];
    /* Each thread's latest non-tiny object, stored relaxed: PROBE's pointers reach the
     * other threads with no happens-before at all (as a collector's scan would find
     * them), so only the allocator's own publication (release/acquire of the span) can
     * order its reads.  In a concurrent window such objects are pinned (never picked for
     * a free) until the window ends, so their spans stay in use while anyone may still
     * look; with one thread at a time, freeing one clears its slot instead. */
    _Atomic uintptr_t pub[MAXT];
    uint8_t *pinned; /* by object id; lock held */
    uint32_t pinned_cap;
} tf;

static _Thread_local int tl_thread = -1; /* -1: the controller */
static _Thread_local const char *tl_op = "setup";
static _Thread_local uint32_t tl_opno;
static _Thread_local bool tl_window; /* running inside a concurrent window */
static _Thread_local bool tl_locked; /* holding the driver's lock */

static void tfail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void tfail(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "threads_fuzz: %s%d op #%u (%s)%s: ", tl_thread < 0 ? "controller" : "thread ",
            tl_thread < 0 ? 0 : tl_thread, tl_opno, tl_op, tl_window ? " [concurrent window]" : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

/* The oracle lock, hidden from TSan (see the file comment).  Everything the driver
 * reads and writes while holding it is hidden too; allocator calls inside use VIS. */
static void lk(tf *f) {
    HIDE_SYNC_BEGIN();
    pthread_mutex_lock(&f->lock);
    HIDE_SYNC_END();
    HIDE_ACCESS_BEGIN();
    tl_locked = true;
}
static void ulk(tf *f) {
    tl_locked = false;
    HIDE_ACCESS_END();
    HIDE_SYNC_BEGIN();
    pthread_mutex_unlock(&f->lock);
    HIDE_SYNC_END();
}

/* ---- the worker pool: created once, reused by every input ---------------------------- */
typedef void (*job_fn)(tf *f, int me, void *arg);
typedef struct worker {
    pthread_t th;
    pthread_mutex_t m;
    pthread_cond_t cv;
    job_fn fn;
    tf *f;
    void *arg;
    int state; /* 0 idle, 1 go, 2 done */
} worker;
static worker pool[MAXT];
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void *worker_main(void *p) {
    worker *w = p;
    tl_thread = (int)(w - pool);
    pthread_mutex_lock(&w->m);
    for (;;) {
        while (w->state != 1)
            pthread_cond_wait(&w->cv, &w->m);
        job_fn fn = w->fn;
        tf *f = w->f;
        void *arg = w->arg;
        pthread_mutex_unlock(&w->m);
        fn(f, tl_thread, arg);
        pthread_mutex_lock(&w->m);
        w->state = 2;
        pthread_cond_broadcast(&w->cv);
    }
    return NULL;
}

#ifdef GA_YIELD_POINTS
static void yield_hook(int point);
#endif

static void pool_start(void) {
    for (int i = 0; i < MAXT; i++) {
        pthread_mutex_init(&pool[i].m, NULL);
        pthread_cond_init(&pool[i].cv, NULL);
        if (pthread_create(&pool[i].th, NULL, worker_main, &pool[i]) != 0) {
            fprintf(stderr, "threads_fuzz: pthread_create failed\n");
            abort();
        }
        pthread_detach(pool[i].th);
    }
#ifdef GA_YIELD_POINTS
    ga_yield_hook = yield_hook; /* before any heap: the workers see it through post() */
#endif
}

static void post(int t, job_fn fn, tf *f, void *arg) {
    worker *w = &pool[t];
    pthread_mutex_lock(&w->m);
    w->fn = fn;
    w->f = f;
    w->arg = arg;
    w->state = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->m);
}

static void await(int t) {
    worker *w = &pool[t];
    pthread_mutex_lock(&w->m);
    while (w->state != 2)
        pthread_cond_wait(&w->cv, &w->m);
    w->state = 0;
    pthread_mutex_unlock(&w->m);
}

/* ---- yield points: deterministic interleavings (alloc/heap.h GA_YIELD) ---------------
 * Deterministic mode only.  run_pair(a, b) runs thread a's job until a reaches the yield
 * point it was armed for (the n-th hit), parks a there, runs thread b's job meanwhile,
 * then lets a finish: b's whole job happens inside a's window (say, between ga_free's
 * check of the freed bit and its setting, or between the two counter updates of a
 * stats flush), every run the same.  Exactly one thread runs at any time: when the one
 * running waits for the parked one (a spin, GA_YP_SPIN: a sweep waiting for a free to
 * leave the span's gate), they swap; when a job ends, the parked thread goes on.  A
 * thread parks only where it holds no mutex (the yield points' placement) and not the
 * driver's lock (tl_locked), so the other can always run.  Without GA_YIELD_POINTS
 * (the reach build) a's job simply runs to its end before b's. */
static pthread_mutex_t pz_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pz_cv = PTHREAD_COND_INITIALIZER;
static int pz_parked = -1;   /* the worker parked (at its yield point or in a spin) */
static bool pz_done[MAXT];   /* the worker's paired job has ended */
static uint32_t pz_parks[4]; /* parks at FREE_SET, FREE_COUNT, STATS_MALLOC, STATS_FREE */
static uint32_t pz_swaps;
/* hand-overs from a waiting thread to the parked one */ /* parks at an armed yield point (for the caller's count) */
static _Thread_local bool tl_paired;                     /* inside one of run_pair's jobs */
static _Thread_local bool tl_may_park;                   /* its first side, not parked yet: only it parks */
static _Thread_local int tl_pause_point = -1;            /* park at this yield point ... */
static _Thread_local uint32_t tl_pause_skip;             /* ... after skipping this many hits */

/* Park the calling worker until another one sets pz_parked to something else (pz_m held). */
static void pz_park_locked(void) {
    pz_parked = tl_thread;
    pthread_cond_broadcast(&pz_cv);
    while (pz_parked == tl_thread)
        pthread_cond_wait(&pz_cv, &pz_m);
}

#ifdef GA_YIELD_POINTS
static void yield_hook(int point) {
    if (!tl_paired || tl_locked)
        return;
    if (point == GA_YP_SPIN) { /* waiting: if the other one is parked, it is what we wait for */
        pthread_mutex_lock(&pz_m);
        if (pz_parked >= 0 && pz_parked != tl_thread) {
            pz_swaps++;
            pz_park_locked(); /* the parked one runs until it ends or waits for us */
        }
        pthread_mutex_unlock(&pz_m);
        return;
    }
    if (point != tl_pause_point || !tl_may_park)
        return;
    if (tl_pause_skip) {
        tl_pause_skip--;
        return;
    }
    tl_pause_point = -1; /* once per arming */
    tl_may_park = false; /* once per pair: afterwards nobody would come to let it go on */
    pthread_mutex_lock(&pz_m);
    switch (point) { /* one line per point: fuzz/reach.txt claims which seed parks where */
    case GA_YP_FREE_SET:
        pz_parks[0]++;
        break;
    case GA_YP_FREE_COUNT:
        pz_parks[1]++;
        break;
    case GA_YP_STATS_MALLOC:
        pz_parks[2]++;
        break;
    default:
        pz_parks[3]++; /* GA_YP_STATS_FREE */
    }
    pz_park_locked();
    pthread_mutex_unlock(&pz_m);
}
#endif

/* Arm the calling worker: park at the (skip+1)-th hit of yield point `point` from now. */
static void pause_arm(int point, uint32_t skip) {
    tl_pause_point = point;
    tl_pause_skip = skip;
}

typedef struct paired {
    job_fn fn;
    void *arg;
    bool first; /* run_pair's a: the side that may park */
    int point;  /* a's yield point, -1: none (or armed by its ops: PAUSE) */
    uint32_t skip;
} paired;
static paired pz_jobs[MAXT];

static void job_paired(tf *f, int me, void *arg) {
    paired *pj = arg;
    tl_paired = true;
    tl_may_park = pj->first;
    if (pj->point >= 0)
        pause_arm(pj->point, pj->skip);
    pj->fn(f, me, pj->arg);
    tl_pause_point = -1;
    tl_paired = tl_may_park = false;
    pthread_mutex_lock(&pz_m);
    pz_done[me] = true;
    if (pz_parked >= 0) /* the other one waited for us (or was parked first): it goes on */
        pz_parked = -1;
    pthread_cond_broadcast(&pz_cv);
    pthread_mutex_unlock(&pz_m);
}

static void run_pair(tf *f, int a, job_fn fa, void *xa, int point, uint32_t skip, int b, job_fn fb, void *xb) {
    pthread_mutex_lock(&pz_m);
    pz_parked = -1;
    pz_done[a] = pz_done[b] = false;
    memset(pz_parks, 0, sizeof pz_parks);
    pz_swaps = 0;
    pthread_mutex_unlock(&pz_m);
    /* With debug_checks every call checks the whole heap, valid only with no other call
     * under way: no parking then (the jobs run one after the other). */
    pz_jobs[a] = (paired){fa, xa, !f->cfg.debug_checks, point, skip};
    pz_jobs[b] = (paired){fb, xb, false, -1, 0};
    post(a, job_paired, f, &pz_jobs[a]);
    pthread_mutex_lock(&pz_m);
    while (pz_parked != a && !pz_done[a])
        pthread_cond_wait(&pz_cv, &pz_m);
    pthread_mutex_unlock(&pz_m);
    post(b, job_paired, f, &pz_jobs[b]); /* a parked (or done): b runs in its window */
    await(b);
    await(a);
    for (int k = 0; k < 4; k++)
        f->parks[k] += pz_parks[k];
    f->swaps += pz_swaps;
}

/* ---- OS hooks: nothing owed may be released --------------------------------------------- */

/* The allocator calls these only while scavenging (ga_scavenge, ga_gc_end) and in
 * ga_heap_destroy, all with the world stopped: the shadow is read without the lock
 * (which would rank it after the heap lock). */
FUZZ_NOCOV static void no_owed(tf *f, const char *what, void *v, size_t n) {
    uint32_t id = n ? sh_overlap(&f->sh, (uintptr_t)v, n) : SH_NONE;
    if (id != SH_NONE) {
        const sh_obj *o = &f->sh.objs[id];
        tfail("OS %s(%p, %zu) hits owed object #%u at %#lx+%zu (cache %u)", what, v, n, id, (unsigned long)o->addr,
              o->usable, o->cache);
    }
}

static int h_unused(void *ctx, void *v, size_t n) {
    tf *f = ctx;
    no_owed(f, "unused", v, n);
    if (f->keep_on_unused)
        return 0;
    return madvise(v, n, MADV_DONTNEED) == 0 ? 0 : errno;
}

static int h_release(void *ctx, void *v, size_t n) {
    no_owed(ctx, "release", v, n);
    return munmap(v, n) == 0 ? 0 : errno;
}

static int h_fault(void *ctx, void *v, size_t n) {
    no_owed(ctx, "fault", v, n);
    return mmap(v, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? errno : 0;
}

/* ---- checks (oracle lock held or world stopped) --------------------------------------- */

static const char *rname(int r) {
    return r == 0 ? "0" : r == -EINVAL ? "-EINVAL" : r == -EALREADY ? "-EALREADY" : "other";
}

FUZZ_NOCOV static void check_heap(tf *f) {
    char why[512] = "";
    if (ga_heap_check(f->h, why, sizeof why) != 0)
        tfail("ga_heap_check: %s", why);
    if (sh_self_check(&f->sh) != 0)
        tfail("%s", f->sh.why);
}

FUZZ_NOCOV static void check_all_contents(tf *f) {
    if (sh_check_all(&f->sh, &f->touched) != 0)
        tfail("%s", f->sh.why);
}

/* World stopped.  exact: right after ga_gc_end + ga_sweep(h, 0), nothing since. */
FUZZ_NOCOV static void check_stats(tf *f, bool exact) {
    ga_stats st;
    ga_heap_stats(f->h, &st);
    /* What the caches still hold unfolded (white box: Go's per-span trick). */
    uint64_t unf[GA_NUM_SIZE_CLASSES] = {0}, unf_tiny = 0, unf_bytes = 0;
    for (int t = 0; t < f->nt; t++) {
        const ga_cache *c = f->c[t];
        if (!c)
            continue;
        for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++) {
            const ga_mspan *s = c->alloc[spc];
            if (s == &ga_empty_mspan)
                continue;
            uint32_t n = s->alloc_count - s->alloc_count_before_cache;
            unf[spc >> 1] += n;
            unf_bytes += (uint64_t)n * s->elemsize;
        }
        unf_tiny += c->tiny_allocs;
    }
    uint64_t owed[GA_NUM_SIZE_CLASSES] = {0};
    for (uint32_t i = 0; i < f->sh.next_ext; i++)
        owed[f->sh.objs[f->sh.ext[i]].spanclass >> 1]++;
    for (int c = 0; c < GA_NUM_SIZE_CLASSES; c++) {
        uint64_t m = st.by_size[c].nmalloc, fr = st.by_size[c].nfree;
        if (m + unf[c] != f->nalloc[c])
            tfail("stats at a stop: class %d: nmalloc %llu + %llu still in caches != %llu allocated", c,
                  (unsigned long long)m, (unsigned long long)unf[c], (unsigned long long)f->nalloc[c]);
        if (fr > m + unf[c] || m + unf[c] - fr < owed[c] || (exact && (unf[c] || m - fr != owed[c])))
            tfail("stats%s: class %d: nmalloc %llu (+%llu in caches) - nfree %llu, shadow owes %llu",
                  exact ? " after a full sweep" : "", c, (unsigned long long)m, (unsigned long long)unf[c],
                  (unsigned long long)fr, (unsigned long long)owed[c]);
    }
    if (st.tiny_allocs + unf_tiny != f->ntiny)
        tfail("stats at a stop: tiny_allocs %llu + %llu in caches != %llu tiny objects placed in existing blocks",
              (unsigned long long)st.tiny_allocs, (unsigned long long)unf_tiny, (unsigned long long)f->ntiny);
    if (exact ? st.heap_alloc != f->sh.owed_bytes : st.heap_alloc + unf_bytes < f->sh.owed_bytes)
        tfail("stats: heap_alloc %llu (+%llu in caches), shadow owes %zu bytes%s", (unsigned long long)st.heap_alloc,
              (unsigned long long)unf_bytes, f->sh.owed_bytes, exact ? " (after a full sweep)" : "");
    if (st.heap_inuse < f->sh.owed_bytes || st.heap_inuse + st.heap_idle > st.heap_sys ||
        st.heap_released > st.heap_idle)
        tfail("stats: heap_inuse %llu idle %llu released %llu sys %llu, shadow owes %zu",
              (unsigned long long)st.heap_inuse, (unsigned long long)st.heap_idle, (unsigned long long)st.heap_released,
              (unsigned long long)st.heap_sys, f->sh.owed_bytes);
}

/* Right after ga_sweep(h, 0) with the world stopped: no unswept span, no listed span
 * with pending frees (white box, as heap_fuzz). */
FUZZ_NOCOV static void check_full_sweep(tf *f) {
    uint32_t swept = ga_swept_gen(ga_heap_sweepgen(f->h));
    for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++) {
        const ga_mcentral *c = &f->h->central[spc];
        if (c->partial[1 - swept].head || c->full[1 - swept].head)
            tfail("after ga_sweep(h, 0): class %u still has unswept spans", spc);
        const ga_span_list *l[2] = {&c->partial[swept], &c->full[swept]};
        for (int k = 0; k < 2; k++)
            for (const ga_mspan *s = l[k]->head; s; s = s->next)
                if (__atomic_load_n(&s->pending_frees, __ATOMIC_ACQUIRE))
                    tfail("after ga_sweep(h, 0): span %#lx (class %u) still has pending frees", (unsigned long)s->base,
                          spc);
    }
}

/* F1 on one in-use span, world stopped: every freed bit on an allocated slot, and
 * pending_frees = the number of freed bits. */
FUZZ_NOCOV static void check_span_f1(const ga_mspan *s, const char *when) {
    if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GA_SPAN_IN_USE)
        return;
    uint32_t n = s->nelems, fi = s->freeindex, nbits = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!((s->freed_bits[i / 64] >> (i % 64)) & 1))
            continue;
        nbits++;
        if (i >= fi && !((s->alloc_bits[i / 64] >> (i % 64)) & 1))
            tfail("%s: span %#lx slot %u is free but has its freed bit set (a free raced a sweep)", when,
                  (unsigned long)s->base, i);
    }
    if (s->pending_frees != nbits)
        tfail("%s: span %#lx: pending_frees %u, freed bits %u", when, (unsigned long)s->base, s->pending_frees, nbits);
    uint32_t nlocal = 0; /* F2: the owner's local frees, on allocated slots, counted */
    for (uint32_t i = 0; i < n; i++) {
        if (!((s->local_freed[i / 64] >> (i % 64)) & 1))
            continue;
        nlocal++;
        if (i >= fi && !((s->alloc_bits[i / 64] >> (i % 64)) & 1))
            tfail("%s: span %#lx slot %u is free but has its local freed bit set", when, (unsigned long)s->base, i);
    }
    if (s->local_frees != nlocal)
        tfail("%s: span %#lx: local_frees %u, local freed bits %u", when, (unsigned long)s->base, s->local_frees,
              nlocal);
}

/* Frees a span has taken and not reclaimed: pending (freed_bits) + its owner's local
 * ones (F2). */
static uint32_t span_frees(const ga_mspan *s) { return s->pending_frees + s->local_frees; }

/* ---- helpers ------------------------------------------------------------------------- */

static size_t class_size(uint32_t c, uint32_t v) {
    size_t sz = sh_class_bytes[c], prev = sh_class_bytes[c - 1];
    switch (v % 5) {
    case 0:
        return sz;
    case 1:
        return sz + 1;
    case 2:
        return prev + 1;
    case 3:
        return sz - 1;
    default:
        return prev + 1 + (v / 5) % (sz - prev);
    }
}

static uintptr_t interior(const sh_obj *o, uint32_t off) {
    size_t lim = o->kind == SH_TINY ? o->req : o->usable;
    return o->addr + off % lim;
}

enum { PICK_ANY, PICK_OWN, PICK_OTHER, PICK_FREEABLE };
/* A live program object from index i on (lock held), or SH_NONE. */
static uint32_t pick(tf *f, uint32_t i, int me, int how) {
    uint32_t n = f->sh.nprog;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t id = f->sh.prog[(i + k) % n];
        const sh_obj *o = &f->sh.objs[id];
        if ((how == PICK_OWN && o->cache != me) || (how == PICK_OTHER && o->cache == me) ||
            (how == PICK_FREEABLE && o->kind == SH_TINY) || (id < f->pinned_cap && f->pinned[id]))
            continue;
        return id;
    }
    return SH_NONE;
}

/* The newest live object of another thread (lock held). */
static uint32_t pick_newest_other(tf *f, int me) {
    for (uint32_t k = f->sh.nprog; k-- > 0;) {
        uint32_t id = f->sh.prog[k];
        if (f->sh.objs[id].cache != me && !(id < f->pinned_cap && f->pinned[id]))
            return id;
    }
    return SH_NONE;
}

/* ---- allocation ------------------------------------------------------------------------ */

static void do_alloc(tf *f, int me, size_t size, unsigned flags) {
    flags &= GA_NOSCAN | GA_NOZERO;
    bool tiny = sh_is_tiny(size, flags);
    size_t usable = sh_usable_for(size, tiny);
    if (size == 0 || usable == 0)
        return;
    lk(f);
    bool ok = f->sh.nprog < MAX_PROG && f->sh.owed_bytes + f->reserved + usable <= MAX_OWED && f->touched < MAX_TOUCH &&
              (size <= 32768 || f->large_total + usable <= MAX_LARGE_TOTAL);
    if (ok) {
        f->reserved += usable;
        if (size > 32768)
            f->large_total += usable;
    }
    ulk(f);
    if (!ok)
        return;
    errno = 0;
    void *p = ga_alloc(f->c[me], size, flags);
    lk(f);
    f->reserved -= usable;
    if (!p)
        tfail("ga_alloc(%zu, %u) = NULL (errno %d) with no limit and no refusal configured", size, flags, errno);
    uint32_t n0 = f->sh.nobjs, id;
    if (sh_on_alloc(&f->sh, me, size, flags, (uintptr_t)p, &id) != 0)
        tfail("%s", f->sh.why);
    const sh_obj *o = sh_get(&f->sh, id);
    if (!tiny)
        f->nalloc[o->spanclass >> 1]++;
    else if (f->sh.nobjs - n0 == 2)
        f->nalloc[SH_TINY_SPANCLASS >> 1]++; /* a new block: an object of span class 5 */
    else
        f->ntiny++;
    if (tiny || !(flags & GA_NOZERO))
        if (sh_check_zero(&f->sh, id, &f->touched) != 0)
            tfail("%s", f->sh.why);
    void *b0, *b1;
    size_t u;
    if (tiny) {
        VIS(b0 = ga_object_base(f->h, p));
        if ((uintptr_t)b0 != (o->addr & ~(uintptr_t)15))
            tfail("tiny %p (%zu B): ga_object_base = %p, expected its block", p, size, b0);
    } else {
        VIS(u = ga_usable_size(f->h, p));
        VIS(b0 = ga_object_base(f->h, p));
        VIS(b1 = ga_object_base(f->h, (char *)p + o->usable - 1));
        if (u != o->usable || b0 != p || b1 != p)
            tfail("%p (%zu B): ga_usable_size %zu (want %zu), ga_object_base of first/last byte %p / %p", p, size, u,
                  o->usable, b0, b1);
    }
    sh_fill(&f->sh, id, &f->touched);
    if (!tiny && tl_window) {
        if (id >= f->pinned_cap) {
            uint32_t cap = f->pinned_cap ? f->pinned_cap : 1024;
            while (cap <= id)
                cap *= 2;
            if (!(f->pinned = realloc(f->pinned, cap)))
                abort();
            memset(f->pinned + f->pinned_cap, 0, cap - f->pinned_cap);
            f->pinned_cap = cap;
        }
        f->pinned[id] = 1; /* before it is published */
    }
    /* Handed over only now: our own queries above come before any other thread's free
     * of it (and the reuse of its span); handing it over right after ga_alloc made TSan
     * report those queries racing the span's reuse. */
    HANDED_OVER(p);
    ulk(f);
    if (!tiny)
        atomic_store_explicit(&f->pub[me], (uintptr_t)p, memory_order_relaxed);
}

/* ---- frees ------------------------------------------------------------------------------ */

/* Object at p is being freed (lock held): no PROBE may find it any more. */
static void unpublish(tf *f, uintptr_t p) {
    for (int t = 0; t < MAXT; t++)
        if (atomic_load_explicit(&f->pub[t], memory_order_relaxed) == p)
            atomic_store_explicit(&f->pub[t], 0, memory_order_relaxed);
}

/* Free live program object id (lock held; returns with it held).  A tiny sub-object
 * cannot be freed (-EINVAL, it stays live).  Otherwise it is claimed in the shadow
 * first (not owed from here on), then freed without the lock: it must succeed. */
static void free_live(tf *f, int me, uint32_t id) {
    sh_obj *o = &f->sh.objs[id];
    void *p = (void *)o->addr;
    int r;
    RECEIVED(p);
    if (o->kind == SH_TINY) {
        VIS(r = ga_free(f->c[me], p));
        if (r != -EINVAL)
            tfail("ga_free(%p) of a tiny object = %s, expected -EINVAL", p, rname(r));
        return;
    }
    if (sh_check(&f->sh, id, &f->touched) != 0)
        tfail("before free: %s", f->sh.why);
    sh_on_free(&f->sh, id);
    unpublish(f, o->addr);
    unsigned owner = o->cache; /* o may move: other threads add objects while we are unlocked */
    size_t usable = o->usable;
    ulk(f);
    r = ga_free(f->c[me], p);
    lk(f);
    if (r != 0)
        tfail("ga_free(%p) of live object #%u (cache %u, %zu B) = %s, expected 0", p, id, owner, usable, rname(r));
    if (!tl_window) { /* nobody else runs: the slot cannot have been reused meanwhile */
        size_t us;
        void *ob;
        VIS(us = ga_usable_size(f->h, p));
        VIS(ob = ga_object_base(f->h, p));
        if (us != 0 || ob != NULL)
            tfail("after ga_free(%p) = 0: ga_usable_size %zu, ga_object_base %p (want 0, NULL)", p, us, ob);
    }
}

/* ga_free(p) that must fail (lock held): allowed results from the shadow; with the
 * world to itself, the statistics must not move. */
static void free_bad(tf *f, int me, void *p, unsigned allowed, bool foreign) {
    ga_stats before = {0}, after = {0};
    int r;
    /* ga_heap_stats takes the heap lock: not under ours (lock order); with the world to
     * ourselves the lock protects nothing meanwhile. */
    if (!tl_window) {
        ulk(f);
        ga_heap_stats(f->h, &before);
        lk(f);
    }
    if (!foreign) /* TSan keeps sync state per address: a wild one (2^64 - 8) crashes it */
        RECEIVED(p);
    VIS(r = ga_free(f->c[me], p));
    unsigned got = r == 0 ? SH_R_OK : r == -EINVAL ? SH_R_EINVAL : r == -EALREADY ? SH_R_EALREADY : 0;
    if (!(got & allowed))
        tfail("ga_free(%p) = %s, allowed:%s%s%s", p, rname(r), allowed & SH_R_OK ? " 0" : "",
              allowed & SH_R_EINVAL ? " -EINVAL" : "", allowed & SH_R_EALREADY ? " -EALREADY" : "");
    if (!tl_window && r != 0) {
        ulk(f);
        ga_heap_stats(f->h, &after);
        lk(f);
        if (memcmp(&before, &after, sizeof before) != 0)
            tfail("ga_free(%p) = %s changed the heap statistics", p, rname(r));
    }
}

/* ---- thread ops (fuzz/threads_ops.h 2-16) ------------------------------------------------- */

static inline uint16_t a16(const op_rec *r, int k) { return (uint16_t)(r->a[k] | r->a[k + 1] << 8); }

static void op_turn(tf *f, int me, const op_rec *r) { (void)f, (void)me, (void)r; }  /* parsed away */
static void op_par(tf *f, int me, const op_rec *r) { (void)f, (void)me, (void)r; }   /* parsed away */
static void op_pause(tf *f, int me, const op_rec *r) { (void)f, (void)me, (void)r; } /* parsed away */

static void op_alloc_class(tf *f, int me, const op_rec *r) {
    do_alloc(f, me, class_size(1 + r->a[0] % 67, r->a[1] >> 2), r->a[1] & 3);
}

static void op_alloc_tiny(tf *f, int me, const op_rec *r) {
    do_alloc(f, me, 1 + (r->a[0] >> 2) % 15, GA_NOSCAN | (r->a[0] & 2));
}

static void op_alloc_large(tf *f, int me, const op_rec *r) {
    static const long delta[3] = {0, 1, -1};
    size_t np = 5 + r->a[0] % 60;
    do_alloc(f, me, (size_t)((long)(np * 8192) + delta[(r->a[1] >> 2) % 3]), r->a[1] & 3);
}

static void op_alloc_burst(tf *f, int me, const op_rec *r) {
    uint32_t v = r->a[1], n = 1 + r->a[2] % 64;
    size_t s = class_size(1 + r->a[0] % 67, v >> 2);
    if (n > 2 && n * s > MAX_BURST_BYTES)
        n = s >= MAX_BURST_BYTES / 2 ? 2 : (uint32_t)(MAX_BURST_BYTES / s);
    for (uint32_t i = 0; i < n; i++)
        do_alloc(f, me, s, v & 3);
}

static void op_free_own(tf *f, int me, const op_rec *r) {
    lk(f);
    uint32_t id = pick(f, a16(r, 0), me, PICK_OWN);
    if (id != SH_NONE)
        free_live(f, me, id);
    ulk(f);
}

/* The gated cross-thread path; bit 15: the newest object of another thread (its span
 * perhaps just made by that thread: a free right behind the publication). */
static void op_free_other(tf *f, int me, const op_rec *r) {
    uint16_t i = a16(r, 0);
    lk(f);
    uint32_t id = i & 0x8000 ? pick_newest_other(f, me) : pick(f, i, me, PICK_OTHER);
    if (id != SH_NONE)
        free_live(f, me, id);
    ulk(f);
}

static void op_free_range(tf *f, int me, const op_rec *r) {
    uint32_t i = a16(r, 0), n = 1 + r->a[2] % 32;
    lk(f);
    for (uint32_t k = 0; k < n && f->sh.nprog; k++) {
        uint32_t id = f->sh.prog[(i + k) % f->sh.nprog];
        if (!(id < f->pinned_cap && f->pinned[id])) /* a PROBE may be looking at it (pick's rule) */
            free_live(f, me, id);
    }
    ulk(f);
}

static void op_free_bad(tf *f, int me, const op_rec *r) {
    static const uintptr_t odd[] = {1, 8, 4096, 0x7fffffff0000ull, UINTPTR_MAX - 7, 0x0000800000000000ull};
    uint32_t i = a16(r, 0);
    uint8_t k = r->a[2];
    int stack_var = 0;
    lk(f);
    uint32_t kind = k % 4;
    /* A double free can hit a slot another thread's refill is handing out again right
     * now: only with the world to ourselves. */
    if (kind == 3 && tl_window)
        kind = 0;
    if (kind == 0 && f->sh.nprog) { /* interior pointer of a live object */
        const sh_obj *o = &f->sh.objs[f->sh.prog[i % f->sh.nprog]];
        uintptr_t p = interior(o, (uint32_t)k << 4 | i >> 12);
        if (p == o->addr && o->kind != SH_TINY && o->usable > 1)
            p++;
        uint32_t id;
        free_bad(f, me, (void *)p, sh_free_expect(&f->sh, p, &id), false);
    } else if (kind == 1 || kind == 0) { /* never the heap's */
        void *p = (k >> 2) % 4 == 0   ? NULL
                  : (k >> 2) % 4 == 1 ? ga_zerobase()
                  : (k >> 2) % 4 == 2 ? (void *)&stack_var
                                      : (void *)odd[(k >> 4) % (sizeof odd / sizeof odd[0])];
        free_bad(f, me, p, SH_R_EINVAL, true);
    } else if (kind == 2) { /* a tiny sub-object: -EINVAL, it stays live */
        for (uint32_t n = 0; n < f->sh.nprog; n++) {
            const sh_obj *o = &f->sh.objs[f->sh.prog[(i + n) % f->sh.nprog]];
            if (o->kind == SH_TINY) {
                free_bad(f, me, (void *)o->addr, SH_R_EINVAL, false);
                break;
            }
        }
    } else if (f->sh.nobjs) { /* any object ever, whatever its state */
        const sh_obj *o = &f->sh.objs[i % f->sh.nobjs];
        uint32_t id;
        unsigned allowed = sh_free_expect(&f->sh, o->addr, &id);
        if (allowed == SH_R_OK && f->sh.objs[id].state == SH_LIVE)
            free_live(f, me, id);
        else if (!(allowed & SH_R_OK))
            free_bad(f, me, (void *)o->addr, allowed, false);
    }
    ulk(f);
}

/* received: p came through the embedder's hand-over (not through PROBE). */
static void do_mark(tf *f, uint32_t id, uintptr_t p, bool received) {
    unsigned allowed = sh_mark_expect(&f->sh, id);
    uintptr_t start = f->sh.objs[id].addr; /* hand-overs name the object by its start */
    int r;
    if (received)
        RECEIVED(start);
    VIS(r = ga_mark(f->h, (void *)p));
    /* A mark uses p: it happens before any free of the object (goalloc.h), which the
     * driver orders by its own lock, hidden from TSan; the free's RECEIVED pairs with
     * this. */
    HANDED_OVER(start);
    unsigned got = r == 1 ? SH_M_NEW : r == 0 ? SH_M_ALREADY : 0;
    if (!(got & allowed))
        tfail("ga_mark(%#lx) in object #%u (%#lx+%zu) = %d, expected %s", (unsigned long)p, id,
              (unsigned long)f->sh.objs[id].addr, f->sh.objs[id].usable, r,
              allowed == SH_M_NEW       ? "1"
              : allowed == SH_M_ALREADY ? "0"
                                        : "0 or 1");
    sh_on_mark(&f->sh, id);
}

static void op_mark(tf *f, int me, const op_rec *r) {
    (void)me;
    lk(f);
    if (f->gc && f->sh.nprog) {
        uint32_t id = f->sh.prog[a16(r, 0) % f->sh.nprog];
        do_mark(f, id, interior(&f->sh.objs[id], a16(r, 2)), true);
    }
    ulk(f);
}

static void op_mark_range(tf *f, int me, const op_rec *r) {
    (void)me;
    uint32_t i = a16(r, 0), n = 1 + r->a[2];
    lk(f);
    for (uint32_t k = 0; f->gc && k < n && k < f->sh.nprog; k++) {
        uint32_t id = f->sh.prog[(i + k) % f->sh.nprog];
        do_mark(f, id, f->sh.objs[id].addr, true);
    }
    ulk(f);
}

static void op_sweep(tf *f, int me, const op_rec *r) {
    (void)me;
    ga_sweep(f->h, r->a[0]);
    if (r->a[0] == 0 && !tl_window) {
        lk(f);
        check_full_sweep(f);
        ulk(f);
    }
}

static void op_query(tf *f, int me, const op_rec *r) {
    (void)me;
    lk(f);
    if (f->sh.nprog) {
        const sh_obj *x = &f->sh.objs[f->sh.prog[a16(r, 0) % f->sh.nprog]];
        uintptr_t p = interior(x, a16(r, 2));
        uintptr_t base = x->kind == SH_TINY ? x->addr & ~(uintptr_t)15 : x->addr;
        void *got;
        size_t u;
        RECEIVED(x->addr);
        VIS(got = ga_object_base(f->h, (void *)p));
        VIS(u = ga_usable_size(f->h, (void *)p));
        size_t want = (x->kind == SH_TINY || p != x->addr) ? 0 : x->usable;
        if ((uintptr_t)got != base || u != want)
            tfail("object #%u at %#lx: ga_object_base(%#lx) = %p (want %#lx), ga_usable_size = %zu (want %zu)", x->id,
                  (unsigned long)x->addr, (unsigned long)p, got, (unsigned long)base, u, want);
        if (sh_check(&f->sh, x->id, &f->touched) != 0)
            tfail("%s", f->sh.why);
        /* Our queries happen before whatever another thread does next with the object
         * (its free, then the reuse of its span struct): the goalloc.h contract.  Without
         * this, the driver's lock alone ordered them, which TSan does not see
         * (976d67aa: find_object's read of elemsize racing span_init). */
        HANDED_OVER(x->addr);
    }
    ulk(f);
}

/* Queries (and, in the mark phase, a mark) through a pointer another thread published
 * with a relaxed store: no happens-before from its allocation but the allocator's own
 * publication of the span (a missing acquire shows here, under TSan).  The object is
 * pinned, so live: the answers are exact in both modes. */
static void op_probe(tf *f, int me, const op_rec *r) {
    int from = (me + 1 + r->a[0] % f->nt) % f->nt;
    uintptr_t p = atomic_load_explicit(&f->pub[from], memory_order_relaxed);
    if (!p)
        p = atomic_load_explicit(&f->pub[me], memory_order_relaxed);
    if (!p)
        return;
    p += r->a[1] % 8; /* an interior pointer of any class */
    void *b = ga_object_base(f->h, (void *)p);
    size_t u = ga_usable_size(f->h, (void *)p);
    lk(f);
    uint32_t e = sh_extent_at(&f->sh, p);
    if (e == SH_NONE)
        tfail("probe %#lx: a published (pinned) object is not owed any more", (unsigned long)p);
    const sh_obj *o = &f->sh.objs[e];
    size_t want = p == o->addr ? o->usable : 0;
    if ((uintptr_t)b != o->addr || u != want)
        tfail("probe %#lx in object %#lx+%zu (thread %u): ga_object_base %p, ga_usable_size %zu (want %zu)",
              (unsigned long)p, (unsigned long)o->addr, o->usable, o->cache, b, u, want);
    if (f->gc)
        do_mark(f, e, p, false);
    ulk(f);
}

static void op_check_own(tf *f, int me, const op_rec *r) {
    (void)r;
    lk(f);
    for (uint32_t k = 0; k < f->sh.nprog; k++) {
        uint32_t id = f->sh.prog[k];
        if (f->sh.objs[id].cache == me && sh_check(&f->sh, id, &f->touched) != 0)
            tfail("%s", f->sh.why);
    }
    ulk(f);
}

static void op_free_alloc(tf *f, int me, const op_rec *r) {
    lk(f);
    uint32_t id = pick(f, a16(r, 0), me, PICK_FREEABLE);
    size_t size = 0;
    unsigned fl = 0;
    if (id != SH_NONE) {
        size = f->sh.objs[id].req;
        fl = f->sh.objs[id].flags;
        free_live(f, me, id);
    }
    ulk(f);
    if (size)
        do_alloc(f, me, size, fl);
}

/* ---- world-stopped ops (17-24): the controller, every worker parked -------------------------- */

static void op_gc_begin(tf *f, int me, const op_rec *r) {
    (void)me, (void)r;
    if (f->gc)
        return;
    ga_gc_begin(f->h);
    sh_gc_begin(&f->sh);
    f->gc = true;
}

static void op_gc_end(tf *f, int me, const op_rec *r) {
    (void)me;
    sh_gc_end(&f->sh); /* reachability is decided before mark termination */
    ga_gc_end(f->h);
    f->gc = false;
    if (r->a[0] & 1) {
        ga_sweep(f->h, 0);
        check_full_sweep(f);
        sh_all_reclaimed(&f->sh);
        check_stats(f, true);
    }
}

static void op_stw_check(tf *f, int me, const op_rec *r) {
    (void)me, (void)r;
    if (++f->stw_checks <= MAX_STW_CHECKS)
        check_heap(f);
    check_all_contents(f);
}

/* The two threads of a race op: a = t % nt, b another one. */
static void race_threads(tf *f, uint8_t t, int *a, int *b) {
    *a = t % f->nt;
    *b = (*a + 1 + (t >> 2) % (f->nt - 1)) % f->nt;
}

typedef struct race {
    int th[2];
    bool det;
    uint32_t n;
    uintptr_t p[2][RACE_MAX]; /* what each side frees */
    uint32_t np[2];
    int r[2][RACE_MAX];
    int refree_bad; /* RACE_SWEEP: a re-free that returned 0, its address */
    uintptr_t refree_bad_p;
    _Atomic unsigned bar;
    _Atomic int freed, swept;
} race;

/* A race op's shared state, its two threads chosen by t (race_threads). */
static race *race_new(tf *f, uint8_t t) {
    race *x = calloc(1, sizeof *x);
    if (!x)
        abort();
    race_threads(f, t, &x->th[0], &x->th[1]);
    x->det = !f->concurrent;
    return x;
}

/* Spin until both sides arrived at barrier k (concurrent mode only). */
static void race_barrier(race *x, unsigned k) {
    if (x->det)
        return;
    atomic_fetch_add_explicit(&x->bar, 1, memory_order_acq_rel);
    unsigned spins = 0;
    while (atomic_load_explicit(&x->bar, memory_order_acquire) < 2 * (k + 1))
        if (++spins > 1000)
            sched_yield();
}

/* The yield point a race op's first side parks at: n bits 5-6 (n's low bits: how many). */
static int race_point(uint8_t n) {
    static const int pt[4] = {GA_YP_FREE_SET, GA_YP_FREE_COUNT, GA_YP_STATS_FREE, GA_YP_STATS_MALLOC};
    return pt[(n >> 5) & 3];
}

static int side_of(const race *x, int me) { return x->th[0] == me ? 0 : 1; }

static void job_race_free(tf *f, int me, void *arg) {
    race *x = arg;
    int s = side_of(x, me);
    uint32_t n = x->np[0] > x->np[1] ? x->np[0] : x->np[1]; /* both sides pass every barrier */
    tl_op = "race";
    for (uint32_t k = 0; k < n; k++) {
        race_barrier(x, k);
        if (k < x->np[s])
            x->r[s][k] = ga_free(f->c[me], (void *)x->p[s][k]);
    }
}

/* Deterministic: the first side parks at yield point `point` (its skip+1-th hit) and
 * the other side's whole job runs there (run_pair); concurrent: both at once. */
static void run_race(tf *f, race *x, job_fn fn, bool a_first, int point, uint32_t skip) {
    if (x->det) {
        int o0 = a_first ? 0 : 1;
        run_pair(f, x->th[o0], fn, x, point, skip, x->th[1 - o0], fn, x);
    } else {
        post(x->th[0], fn, f, x);
        post(x->th[1], fn, f, x);
        await(x->th[0]);
        await(x->th[1]);
    }
}

/* Claim up to n freeable live objects from index i; returns how many (ids in out). */
static uint32_t claim(tf *f, uint32_t i, uint32_t n, uint32_t *out) {
    uint32_t got = 0;
    for (uint32_t k = 0; k < f->sh.nprog && got < n;) {
        uint32_t id = f->sh.prog[(i + k) % f->sh.nprog];
        if (f->sh.objs[id].kind == SH_TINY) {
            k++;
            continue;
        }
        if (sh_check(&f->sh, id, &f->touched) != 0)
            tfail("before free: %s", f->sh.why);
        sh_on_free(&f->sh, id); /* the list shrinks: index i + k now holds the next one */
        out[got++] = id;
    }
    return got;
}

/* Two threads free the same objects at once: exactly one succeeds. */
static void op_race_free(tf *f, int me, const op_rec *r) {
    (void)me;
    if (++f->races > MAX_RACES)
        return;
    race *x = race_new(f, r->a[0]);
    uint32_t ids[RACE_MAX];
    uint32_t n = claim(f, f->race_seq++ * 97 + r->a[1], 1 + r->a[1] % 32, ids);
    const ga_mspan *span[RACE_MAX];
    uint32_t pend[RACE_MAX], nlarge = 0;
    size_t large_bytes = 0;
    for (uint32_t k = 0; k < n; k++) {
        const sh_obj *o = &f->sh.objs[ids[k]];
        x->p[0][k] = x->p[1][k] = o->addr;
        span[k] = ga_mheap_span_of(f->h, o->addr);
        pend[k] = span[k] ? span_frees(span[k]) : 0;
        if (o->kind == SH_LARGE)
            nlarge++, large_bytes += o->usable;
    }
    x->np[0] = x->np[1] = n;
    ga_stats st0, st1;
    ga_heap_stats(f->h, &st0);
    /* Whether a racer's own cache holds the object's span: its free takes the local
     * path (no atomic), and a double free racing it is not seen -- both may get 0
     * (malloc.c, free_in_span); the slot is still freed once. */
    bool owned[RACE_MAX];
    for (uint32_t k = 0; k < n; k++) {
        owned[k] = false;
        if (span[k] && f->sh.objs[ids[k]].kind != SH_LARGE)
            for (int sd = 0; sd < 2; sd++)
                owned[k] |= f->c[x->th[sd]] && f->c[x->th[sd]]->alloc[span[k]->spanclass] == span[k];
    }
    run_race(f, x, job_race_free, !(r->a[0] & 0x80), race_point(r->a[1]), 0);
    uint32_t both[RACE_MAX];
    for (uint32_t k = 0; k < n; k++) {
        const sh_obj *o = &f->sh.objs[ids[k]];
        int r0 = x->r[0][k], r1 = x->r[1][k];
        bool one = (r0 == 0) != (r1 == 0);
        int other = r0 == 0 ? r1 : r0;
        both[k] = owned[k] && r0 == 0 && r1 == 0;
        if (both[k])
            continue;
        if (!one || !(other == -EALREADY || (o->kind == SH_LARGE && other == -EINVAL)))
            tfail("double-free race on %#lx (%s, %zu B): threads %d and %d got %s and %s; expected one 0 and one "
                  "-EALREADY%s",
                  (unsigned long)o->addr, o->kind == SH_LARGE ? "large" : "small", o->usable, x->th[0], x->th[1],
                  rname(r0), rname(r1), o->kind == SH_LARGE ? " or -EINVAL" : "");
    }
    /* Counted once: large frees in nfree at once, small ones as pending frees. */
    ga_heap_stats(f->h, &st1);
    if (st1.by_size[0].nfree - st0.by_size[0].nfree != nlarge || st0.heap_alloc - st1.heap_alloc != large_bytes)
        tfail("double-free race: %u large objects (%zu B) freed, nfree[0] rose by %llu and heap_alloc fell by %llu",
              nlarge, large_bytes, (unsigned long long)(st1.by_size[0].nfree - st0.by_size[0].nfree),
              (unsigned long long)(st0.heap_alloc - st1.heap_alloc));
    for (uint32_t k = 0; k < n; k++) {
        if (f->sh.objs[ids[k]].kind == SH_LARGE)
            continue;
        uint32_t same = 0, first = k;
        for (uint32_t j = 0; j < n; j++)
            if (span[j] == span[k] && f->sh.objs[ids[j]].kind != SH_LARGE) {
                same += 1 + both[j]; /* a racing pair both 0: a local and a shared bit, merged once */
                if (j < first)
                    first = j;
            }
        if (first == k && span_frees(span[k]) != pend[k] + same)
            tfail("double-free race: span %#lx: pending + local frees %u, was %u before %u objects were freed",
                  (unsigned long)span[k]->base, span_frees(span[k]), pend[k], same);
        check_span_f1(span[k], "after a double-free race");
    }
    free(x);
}

/* Two threads free different objects of one span at once (pending_frees' 0 -> 1
 * handshake and increments from both sides). */
static void op_race_span(tf *f, int me, const op_rec *r) {
    (void)me;
    if (++f->races > MAX_RACES || !f->sh.nprog)
        return;
    uint32_t first = pick(f, f->race_seq++ * 131 + r->a[1], -1, PICK_FREEABLE);
    if (first == SH_NONE || f->sh.objs[first].kind != SH_SMALL)
        return;
    const ga_mspan *s = ga_mheap_span_of(f->h, f->sh.objs[first].addr);
    if (!s)
        tfail("live object %#lx in no span", (unsigned long)f->sh.objs[first].addr);
    uintptr_t lo = s->base, hi = lo + s->npages * GA_PAGE_SIZE;
    race *x = race_new(f, r->a[0]);
    uint32_t want = 2 + 2 * (r->a[1] % 32), n = 0;
    check_span_f1(s, "before a same-span race");
    uint32_t pend0 = span_frees(s);
    for (uint32_t k = 0; k < f->sh.nprog && n < want;) {
        uint32_t id = f->sh.prog[k];
        const sh_obj *o = &f->sh.objs[id];
        if (o->kind == SH_SMALL && o->addr >= lo && o->addr < hi) {
            if (sh_check(&f->sh, id, &f->touched) != 0)
                tfail("before free: %s", f->sh.why);
            x->p[n % 2][x->np[n % 2]++] = o->addr;
            sh_on_free(&f->sh, id);
            n++;
        } else {
            k++;
        }
    }
    run_race(f, x, job_race_free, !(r->a[0] & 0x80), race_point(r->a[1]), 0);
    for (int sd = 0; sd < 2; sd++)
        for (uint32_t k = 0; k < x->np[sd]; k++)
            if (x->r[sd][k] != 0)
                tfail("same-span race: thread %d's free of live %#lx = %s", x->th[sd], (unsigned long)x->p[sd][k],
                      rname(x->r[sd][k]));
    check_span_f1(s, "after a same-span race");
    if (span_frees(s) != pend0 + n)
        tfail("same-span race: span %#lx: pending + local frees %u after %u frees from %u (a lost update)",
              (unsigned long)s->base, span_frees(s), n, pend0);
    free(x);
}

/* Side a frees its objects, then re-frees them until side b's sweeps are over; side b
 * waits for the first frees and runs ga_sweep(h, 0) twice, reclaiming them meanwhile. */
static void job_race_sweep(tf *f, int me, void *arg) {
    race *x = arg;
    tl_op = "race_sweep";
    if (side_of(x, me) == 1) {
        if (!x->det)
            while (!atomic_load_explicit(&x->freed, memory_order_acquire))
                sched_yield();
        ga_sweep(f->h, 0);
        ga_sweep(f->h, 0);
        atomic_store_explicit(&x->swept, 1, memory_order_release);
        return;
    }
    for (uint32_t k = 0; k < x->np[0]; k++)
        x->r[0][k] = ga_free(f->c[me], (void *)x->p[0][k]);
    atomic_store_explicit(&x->freed, 1, memory_order_release);
    for (int pass = 0; pass < REFREE_MAX_PASSES; pass++) {
        for (uint32_t k = 0; k < x->np[0]; k++) {
            int rr = ga_free(f->c[me], (void *)x->p[0][k]);
            if (rr == 0 && !x->refree_bad) {
                x->refree_bad = 1;
                x->refree_bad_p = x->p[0][k];
            } else if (rr != -EALREADY && rr != -EINVAL && !x->refree_bad) {
                x->refree_bad = rr;
                x->refree_bad_p = x->p[0][k];
            }
        }
        if (x->det || atomic_load_explicit(&x->swept, memory_order_acquire))
            break;
    }
}

static void op_race_sweep(tf *f, int me, const op_rec *r) {
    (void)me;
    if (++f->races > MAX_RACES)
        return;
    race *x = race_new(f, r->a[0]);
    uint32_t ids[RACE_MAX];
    uint32_t n = claim(f, f->race_seq++ * 61 + r->a[1], 1 + r->a[1] % 32, ids);
    for (uint32_t k = 0; k < n; k++)
        x->p[0][k] = f->sh.objs[ids[k]].addr;
    x->np[0] = n;
    /* Freeing side first: it parks in its first re-free (FREE_SET: validated, inside
     * the gate: the sweep must wait for it) or in its first frees. */
    int pt = race_point(r->a[1]);
    run_race(f, x, job_race_sweep, !(r->a[0] & 0x80), pt, pt == GA_YP_FREE_SET ? n : 0);
    for (uint32_t k = 0; k < n; k++)
        if (x->r[0][k] != 0)
            tfail("free of live %#lx racing ga_sweep = %s", (unsigned long)x->p[0][k], rname(x->r[0][k]));
    if (x->refree_bad)
        tfail("re-free of %#lx racing ga_sweep = %s, expected -EALREADY or -EINVAL (a double free succeeded)",
              (unsigned long)x->refree_bad_p, rname(x->refree_bad == 1 ? 0 : x->refree_bad));
    for (uint32_t k = 0; k < n; k++) {
        const ga_mspan *s = ga_mheap_span_of(f->h, x->p[0][k]);
        if (s)
            check_span_f1(s, "after frees raced ga_sweep");
    }
    free(x);
}

static void op_cache_cycle(tf *f, int me, const op_rec *r) {
    (void)me;
    int t = r->a[0] % f->nt;
    ga_cache_destroy(f->c[t]);
    sh_cache_gone(&f->sh, t);
    if (!(f->c[t] = ga_cache_new(f->h)))
        tfail("ga_cache_new failed (errno %d) with no limit configured", errno);
}

/* Bytes of free, unreleased pages in the threads' page caches: idle in the statistics,
 * as in Go, but no scavenger can release them (their caches own them). */
FUZZ_NOCOV static uint64_t pcache_unreleased(const tf *f) {
    uint64_t pages = 0;
    for (int t = 0; t < f->nt; t++)
        if (f->c[t])
            pages += (uint64_t)__builtin_popcountll(f->c[t]->pcache.cache & ~f->c[t]->pcache.scav);
    return pages * GA_PAGE_SIZE;
}

static void op_scavenge(tf *f, int me, const op_rec *r) {
    (void)me;
    uint8_t v = r->a[0];
    ga_scavenge(f->h, v == 255 ? SIZE_MAX : (size_t)v << 16);
    if (v == 255) {
        ga_stats st;
        ga_heap_stats(f->h, &st);
        if (st.heap_released != st.heap_idle - pcache_unreleased(f))
            tfail("after ga_scavenge(SIZE_MAX): heap_released %llu != heap_idle %llu less the page caches'",
                  (unsigned long long)st.heap_released, (unsigned long long)st.heap_idle);
    }
}

/* ---- the table and the schedule ------------------------------------------------------------ */

enum { THREADS_OPS(FUZZ_OP_ENUM) OP_NUM = 0 THREADS_OPS(FUZZ_OP_PLUS_ONE) };
enum { THREADS_OPS(FUZZ_OP_SEQ) };
THREADS_OPS(FUZZ_OP_IN_ORDER)
_Static_assert(OP_GC_BEGIN == 17 && OP_SCAVENGE == 24 && OP_PAUSE == 25 && OP_NUM == 26,
               "ops from GC_BEGIN to SCAVENGE stop the world; PAUSE only shapes the schedule");

typedef struct tf_op {
    const char *name;
    void (*run)(tf *, int, const op_rec *);
    int arg_bytes;
} tf_op;

static const tf_op ops[OP_NUM] = {
#define TF_OP_ROW(code, NAME, name, args, layout) [code] = {#name, op_##name, args},
    THREADS_OPS(TF_OP_ROW)
#undef TF_OP_ROW
};
_Static_assert(sizeof(((op_rec *)0)->a) >= 4, "room for the longest argument list");

static void run_op(tf *f, int me, const op_rec *r, uint32_t idx) {
    tl_op = ops[r->code].name;
    tl_opno = idx;
    ops[r->code].run(f, me, r);
}

/* A segment (one thread's consecutive ops) or, in a window, this thread's ops of it. */
static void job_ops(tf *f, int me, void *arg) {
    const job *j = arg;
    /* Paired: the other thread of the pair runs inside this one's ops (or this one
     * inside the other's), so no "the world to myself" answer is exact any more: the
     * window rules apply. */
    tl_window = j->window || j->paired;
    for (uint32_t i = j->lo; i < j->hi; i++)
        if (f->ops[i].thread == me) {
            if (f->ops[i].pause && j->paired && tl_may_park) /* the second side's PAUSE: ignored */
                pause_arm(f->ops[i].pause & 7, f->ops[i].pause >> 3);
            run_op(f, me, &f->ops[i], i);
        }
    tl_window = false;
    tl_op = "parked";
}

/* Input -> ops and steps.  TURN and PAR only shape the schedule. */
static void parse(tf *f, fuzz_input *in) {
    uint8_t cur = 0;
    int open = -1; /* the run step ops are appended to */
    uint32_t nthread = 0, nstw = 0;
    uint8_t pause_next[MAXT] = {0};
    while (fi_left(in) > 0 && nthread < MAX_OPS && nstw < MAX_STW) {
        size_t start = in->pos;
        op_rec rec = {0};
        rec.code = (uint8_t)(fi_u8(in) % OP_NUM);
        for (int k = 0; k < ops[rec.code].arg_bytes && k < (int)sizeof rec.a; k++) /* bound for gcc */
            rec.a[k] = fi_u8(in);
        FUZZ_OP_READ_CHECK("threads_fuzz", ops[rec.code].name, ops[rec.code].arg_bytes, start, in);
        if (rec.code == OP_TURN) {
            cur = (uint8_t)(rec.a[0] % f->nt);
            continue;
        }
        if (rec.code == OP_PAUSE) { /* for the current thread's next op */
            pause_next[cur] = (uint8_t)((1 + rec.a[0] % 4) | (rec.a[0] >> 2 < 31 ? rec.a[0] >> 2 : 31) << 3);
            continue;
        }
        if (rec.code == OP_PAR) {
            if (open >= 0 && f->steps[open].lo == f->steps[open].hi) {
                f->steps[open].par = true; /* no empty windows: steps stay bounded by ops */
            } else {
                open = (int)f->nsteps;
                f->steps[f->nsteps++] = (step){f->nops, f->nops, true, false};
            }
            continue;
        }
        rec.thread = cur;
        if (rec.code < OP_GC_BEGIN) {
            rec.pause = pause_next[cur];
            pause_next[cur] = 0;
        }
        f->ops[f->nops] = rec;
        if (rec.code >= OP_GC_BEGIN) {
            f->steps[f->nsteps++] = (step){f->nops, f->nops + 1, false, true};
            open = -1;
            nstw++;
        } else {
            if (open < 0) {
                open = (int)f->nsteps;
                f->steps[f->nsteps++] = (step){f->nops, f->nops, false, false};
            }
            f->steps[open].hi = f->nops + 1;
            nthread++;
        }
        f->nops++;
    }
}

static void run_steps(tf *f) {
    for (uint32_t si = 0; si < f->nsteps; si++) {
        const step *st = &f->steps[si];
        if (st->stw) {
            run_op(f, -1, &f->ops[st->lo], st->lo);
        } else if (st->par && f->concurrent) {
            bool used[MAXT] = {false};
            for (uint32_t i = st->lo; i < st->hi; i++)
                used[f->ops[i].thread] = true;
            for (int t = 0; t < f->nt; t++)
                if (used[t]) {
                    f->jobs[t] = (job){st->lo, st->hi, true, false};
                    post(t, job_ops, f, &f->jobs[t]);
                }
            for (int t = 0; t < f->nt; t++)
                if (used[t])
                    await(t);
        } else {
            for (uint32_t i = st->lo, j; i < st->hi; i = j) {
                int t = f->ops[i].thread;
                bool armed = false;
                for (j = i; j < st->hi && f->ops[j].thread == t;)
                    armed |= f->ops[j++].pause != 0;
                if (armed && j < st->hi) { /* the next segment (another thread's) runs inside it */
                    int t2 = f->ops[j].thread;
                    uint32_t k = j;
                    while (k < st->hi && f->ops[k].thread == t2)
                        k++;
                    f->jobs[t] = (job){i, j, false, true};
                    f->jobs[t2] = (job){j, k, false, true};
                    run_pair(f, t, job_ops, &f->jobs[t], -1, 0, t2, job_ops, &f->jobs[t2]);
                    j = k;
                } else {
                    f->jobs[t] = (job){i, j, false, false};
                    post(t, job_ops, f, &f->jobs[t]);
                    await(t);
                }
                tl_op = "after a segment";
                check_stats(f, false); /* every segment boundary is a stop */
            }
        }
        tl_op = st->stw ? "after a world-stopped op" : "after a window";
        tl_opno = st->hi;
        for (int t = 0; t < MAXT; t++) /* the step is over: nobody holds a published pointer */
            atomic_store_explicit(&f->pub[t], 0, memory_order_relaxed);
        if (f->pinned_cap)
            memset(f->pinned, 0, f->pinned_cap);
        check_stats(f, false);
        if (si % CHECK_EVERY == CHECK_EVERY - 1)
            check_all_contents(f);
        if (si % HEAP_CHECK_EVERY == HEAP_CHECK_EVERY - 1)
            check_heap(f);
    }
}

/* End: one more cycle with every live object marked, a full sweep, exact statistics. */
static void finish(tf *f) {
    tl_op = "end";
    if (!f->gc) {
        ga_gc_begin(f->h);
        sh_gc_begin(&f->sh);
    }
    lk(f); /* do_mark's calls are made visible to TSan inside the lock */
    for (uint32_t k = 0; k < f->sh.nprog; k++) {
        uint32_t id = f->sh.prog[k];
        do_mark(f, id, f->sh.objs[id].addr, true);
    }
    ulk(f);
    sh_gc_end(&f->sh);
    ga_gc_end(f->h);
    f->gc = false;
    ga_sweep(f->h, 0);
    check_full_sweep(f);
    sh_all_reclaimed(&f->sh);
    check_stats(f, true);
    check_heap(f);
    check_all_contents(f);
}

static void run_input(const uint8_t *data, size_t size, bool concurrent);

/* THREADS_FUZZ_MODE=deterministic|concurrent and THREADS_FUZZ_REPEAT=N override the
 * build's defaults (deterministic, once; TSan or THREADS_FUZZ_CONCURRENT: concurrent). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pthread_once(&pool_once, pool_start);
    const char *mode = getenv("THREADS_FUZZ_MODE"), *rep = getenv("THREADS_FUZZ_REPEAT");
    bool concurrent = mode && *mode ? strcmp(mode, "concurrent") == 0 : DEFAULT_CONCURRENT;
    long n = rep && *rep ? strtol(rep, NULL, 10) : DEFAULT_REPEAT;
    for (long i = 0; i < (n > 0 ? n : 1); i++)
        run_input(data, size, concurrent);
    return 0;
}

static void run_input(const uint8_t *data, size_t size, bool concurrent) {
    fuzz_input in;
    fi_init(&in, data, size);
    tf *f = calloc(1, sizeof *f);
    if (!f)
        abort();
    f->ops = calloc(MAX_OPS + MAX_STW + 1, sizeof *f->ops);
    f->steps = calloc(2 * (MAX_OPS + MAX_STW + 1), sizeof *f->steps); /* ops + one PAR before each */
    if (!f->ops || !f->steps)
        abort();
    f->concurrent = concurrent;
    pthread_mutex_init(&f->lock, NULL);
    sh_init(&f->sh);
    tl_op = "header";
    uint8_t fl = fi_u8(&in), retain = fi_u8(&in);
    f->nt = 2 + (fl & 3) % 3;
    /* flags bit 2: a scavenger policy; retain bit 6 picks GA_SCAVENGE_IDLE over ON_GC
     * (its releases then run inside concurrent span allocations and frees). */
    f->cfg.scavenge_policy = !(fl & 4) ? GA_SCAVENGE_NONE : retain & 0x40 ? GA_SCAVENGE_IDLE : GA_SCAVENGE_ON_GC;
    /* The heap checks itself after every call: meaningful only with one thread at a
     * time (ga_heap_check excludes no concurrent mutator), affordable for short inputs. */
    f->cfg.debug_checks = (fl & 8) && size <= DEBUG_MAX_INPUT && !f->concurrent;
    f->keep_on_unused = fl & 16;
    f->cfg.retain_percent = retain & 0x3f;
    f->hooks = (ga_os_hooks){NULL, NULL, NULL, h_unused, h_release, h_fault, f};
    f->cfg.os = &f->hooks;
    parse(f, &in);

    f->h = ga_heap_new(&f->cfg);
    if (!f->h)
        tfail("ga_heap_new failed (errno %d) with no limit configured", errno);
    for (int t = 0; t < f->nt; t++)
        if (!(f->c[t] = ga_cache_new(f->h)))
            tfail("ga_cache_new failed (errno %d)", errno);
    run_steps(f);
    finish(f);
    /* Destroy the even caches explicitly, leave the others to ga_heap_destroy. */
    for (int t = 0; t < f->nt; t += 2) {
        ga_cache_destroy(f->c[t]);
        f->c[t] = NULL;
        sh_cache_gone(&f->sh, t);
    }
    check_heap(f);
    if (getenv("THREADS_FUZZ_VERBOSE")) /* did the interleavings the input asks for happen? */
        fprintf(stderr,
                "threads_fuzz: %u ops, %u steps; parked at FREE_SET %u, FREE_COUNT %u, STATS_MALLOC %u, STATS_FREE %u; "
                "%u hand-overs from a waiting thread\n",
                f->nops, f->nsteps, f->parks[0], f->parks[1], f->parks[2], f->parks[3], f->swaps);
    sh_destroy(&f->sh); /* past this point the heap's memory is gone: nothing is owed */
    sh_init(&f->sh);
    tl_op = "ga_heap_destroy";
    ga_heap_destroy(f->h);
    sh_destroy(&f->sh);
    pthread_mutex_destroy(&f->lock);
    free(f->ops);
    free(f->steps);
    free(f->pinned);
    free(f);
    tl_op = "idle";
}
