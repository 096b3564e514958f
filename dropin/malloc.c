/* libgoalloc-malloc: the C allocation functions (malloc, free, calloc, realloc,
 * reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc,
 * malloc_usable_size) served by one goalloc heap, for LD_PRELOAD or linking.
 * C++'s default operator new/delete call malloc/free, so they follow.
 *
 * Mode: explicit free only -- no GC, no tiny allocator (its sub-objects cannot be
 * freed one by one).  A cache per thread, made on the thread's first call and released
 * by a thread-specific-data destructor; a call after that (another destructor freeing
 * late) uses one shared cache under a lock.
 *
 * Alignment: malloc returns 16-byte alignment for every request over 8 bytes (what
 * max_align_t needs on x86-64; a request of 8 or fewer cannot hold an object needing
 * more than 8).  Go's classes are all multiples of 16 but 8 and 24, so requests of 9
 * to 24 bytes are rounded up to 16 or 32.  Over-aligned requests up to the 8 KiB page
 * take a size class whose object size is a multiple of the alignment (objects sit at
 * span base + k * size, and spans are page-aligned); above it, a large object is
 * over-allocated and the aligned address inside it recorded (aligned_*), so that free
 * and malloc_usable_size accept it.
 *
 * Bad frees (a pointer no object starts at, a double free) are reported on stderr as
 * glibc does, then by GOALLOC_BAD_FREE: abort (default), warn or ignore.  The heap is
 * unchanged by a bad free (ga_free's contract).
 *
 * Environment: GOALLOC_BAD_FREE, GOALLOC_STATS=1 (Go-style MemStats on stderr at
 * exit), GOALLOC_CHECK=N (ga_heap_check every N calls; a broken invariant aborts),
 * GOALLOC_VERBOSE=1 (what was configured, at start), GOALLOC_SCAVENGE=none (keep freed
 * memory; default: release idle pages, GA_SCAVENGE_IDLE), GOALLOC_RETAIN_PERCENT=N (% of
 * the heap in use kept unreleased; default 10), GOALLOC_TRACE=path (every call
 * recorded: dropin/trace.c). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "goalloc.h"
#include "request.h" /* the request mapping, shared with fuzz/trace_fuzz.c */
#include "sizeclasses.h"
#include "trace.h"

#define EXPORT __attribute__((visibility("default")))
#define TLS _Thread_local __attribute__((tls_model("initial-exec"))) /* no allocation of its own */
#define MAX_SMALL ((size_t)GA_MAX_SMALL_SIZE)
/* Every 65,536 calls a thread ticks the scavenger's clock (ga_heap_tick): a program
 * whose caches serve everything still ends epochs, so its idle pages go back to the OS
 * within 64 ticks, a few million calls; the tick itself takes the heap lock. */
#define TICK_MASK 0xffffu
#define TICK_SWEEP 64 /* spans with pending frees reclaimed per tick, at most */
#define GA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define GA_LIKELY(x) __builtin_expect(!!(x), 1)

enum bad_mode { BAD_ABORT, BAD_WARN, BAD_IGNORE };

static ga_heap *heap;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static enum bad_mode bad_mode = BAD_ABORT;
static unsigned long check_every;
static atomic_ulong calls;
static bool print_stats;
static bool scavenge_idle; /* GA_SCAVENGE_IDLE (GOALLOC_SCAVENGE is not "none") */
/* The shared cache: threads whose own cache is gone (or could not be made). */
static ga_cache *shared_cache;
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t aligned_lock = PTHREAD_MUTEX_INITIALIZER; /* over-aligned records (aligned_*) */
/* GOALLOC_CHECK only: ga_heap_check needs the heap to itself (a concurrent ga_alloc or
 * ga_free changes spans without a lock), so every call on the heap holds `world` as a
 * reader and the check takes it as writer (preferred, or a busy program would starve
 * it).  Without GOALLOC_CHECK it is never touched.  Order: world, shared_lock, heap. */
static pthread_rwlock_t world;

static TLS ga_cache *my_cache;
static TLS bool my_cache_gone;
static TLS uint32_t my_calls; /* this thread's allocs and frees, for the scavenger's clock */

/* ---- messages without allocating ----------------------------------------------- */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0) {
        size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
        ssize_t w = write(2, buf, len);
        (void)w;
    }
}

/* ---- setup ---------------------------------------------------------------------- */
static inline void world_enter(void) {
    if (check_every)
        pthread_rwlock_rdlock(&world);
}

static inline void world_exit(void) {
    if (check_every)
        pthread_rwlock_unlock(&world);
}

static void thread_done(void *c) {
    ga_trace_thread_end();
    world_enter();
    ga_cache_destroy(c);
    world_exit();
    my_cache = NULL;
    my_cache_gone = true;
}

static void setup(void) {
    const char *v = getenv("GOALLOC_BAD_FREE");
    if (v && strcmp(v, "warn") == 0)
        bad_mode = BAD_WARN;
    else if (v && strcmp(v, "ignore") == 0)
        bad_mode = BAD_IGNORE;
    if ((v = getenv("GOALLOC_CHECK")) != NULL)
        check_every = strtoul(v, NULL, 10);
    pthread_rwlockattr_t wa;
    pthread_rwlockattr_init(&wa);
    pthread_rwlockattr_setkind_np(&wa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&world, &wa);
    pthread_rwlockattr_destroy(&wa);
    v = getenv("GOALLOC_STATS");
    print_stats = v && *v && *v != '0';
    /* Without GC the heap releases memory by GA_SCAVENGE_IDLE: pages idle through a
     * whole epoch of span traffic (or of ticks) beyond retain % of the heap in use. */
    ga_config cfg = {.scavenge_policy = GA_SCAVENGE_IDLE};
    if ((v = getenv("GOALLOC_SCAVENGE")) != NULL && strcmp(v, "none") == 0)
        cfg.scavenge_policy = GA_SCAVENGE_NONE;
    if ((v = getenv("GOALLOC_RETAIN_PERCENT")) != NULL)
        cfg.retain_percent = (unsigned)strtoul(v, NULL, 10);
    scavenge_idle = cfg.scavenge_policy == GA_SCAVENGE_IDLE;
    heap = ga_heap_new(&cfg);
    if (!heap)
        return;
    if (pthread_key_create(&key, thread_done) != 0 || !(shared_cache = ga_cache_new(heap))) {
        ga_heap_destroy(heap);
        heap = NULL;
        return;
    }
    v = getenv("GOALLOC_VERBOSE");
    if (v && *v && *v != '0')
        say("goalloc: malloc drop-in ready (bad free: %s, check every %lu calls, stats at exit: %s, scavenge: %s, "
            "retain %u%%)\n",
            bad_mode == BAD_ABORT  ? "abort"
            : bad_mode == BAD_WARN ? "warn"
                                   : "ignore",
            check_every, print_stats ? "yes" : "no", cfg.scavenge_policy == GA_SCAVENGE_IDLE ? "idle" : "none",
            cfg.retain_percent ? cfg.retain_percent : 10);
}

/* fork: the drop-in's own locks, then every lock of the heap (ga_heap_fork_prepare);
 * the child's forking thread keeps its cache, the others' are gone with them. */
static void fork_prepare(void) {
    if (check_every)
        pthread_rwlock_wrlock(&world);
    pthread_mutex_lock(&shared_lock);
    pthread_mutex_lock(&aligned_lock);
    ga_heap_fork_prepare(heap);
}

static void fork_parent(void) {
    ga_heap_fork_parent(heap);
    pthread_mutex_unlock(&aligned_lock);
    pthread_mutex_unlock(&shared_lock);
    world_exit();
}

static void fork_child(void) {
    ga_heap_fork_child(heap);
    pthread_mutex_unlock(&aligned_lock);
    pthread_mutex_unlock(&shared_lock);
    if (check_every) { /* the parent's readers are gone: a fresh lock, not an unlock */
        pthread_rwlockattr_t wa;
        pthread_rwlockattr_init(&wa);
        pthread_rwlockattr_setkind_np(&wa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&world, &wa);
        pthread_rwlockattr_destroy(&wa);
    }
}

/* At load: the heap (if no malloc came first) and the fork handlers.  Not from setup:
 * pthread_atfork may allocate, which inside setup's pthread_once would wait for itself. */
__attribute__((constructor)) static void at_load(void) {
    pthread_once(&once, setup);
    if (heap)
        pthread_atfork(fork_prepare, fork_parent, fork_child);
    ga_trace_init(); /* after: its fork handlers run first, its lock is the outermost */
}

/* The calling thread's cache, or NULL: use the shared one (under shared_lock). */
static inline ga_cache *cache_or_null(void) {
    ga_cache *c = my_cache;
    if (__builtin_expect(c != NULL, 1))
        return c;
    pthread_once(&once, setup);
    if (!heap || my_cache_gone)
        return NULL;
    if (!(c = ga_cache_new(heap)))
        return NULL;
    if (pthread_setspecific(key, c) != 0) {
        ga_cache_destroy(c);
        return NULL;
    }
    my_cache = c;
    return c;
}

static void periodic_check(void) {
    if (!check_every || atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed) % check_every != check_every - 1)
        return;
    char why[256];
    pthread_rwlock_wrlock(&world);
    int r = ga_heap_check(heap, why, sizeof why);
    pthread_rwlock_unlock(&world);
    if (r != 0) {
        say("goalloc: heap check failed: %s\n", why);
        abort();
    }
}

/* Every TICK_MASK + 1 calls of a thread: spans that other threads' frees emptied, or
 * left with free slots no refill of their class comes to take, are reclaimed (and the
 * empty ones freed to the heap) by a budgeted free sweep; then the scavenger's clock
 * ticks, so that pages idle through an epoch go back to the OS. */
__attribute__((noinline)) static void tick(void) {
    ga_sweep(heap, TICK_SWEEP);
    ga_heap_tick(heap);
}

/* ---- the core: allocate and free on this thread's cache ------------------------- */
__attribute__((noinline)) static void *alloc_slow(size_t size, unsigned flags) {
    ga_cache *c = cache_or_null();
    void *p;
    if (!heap) {
        errno = ENOMEM;
        return NULL;
    }
    world_enter();
    if (c) {
        p = ga_alloc(c, size, flags);
    } else {
        pthread_mutex_lock(&shared_lock);
        p = ga_alloc(shared_cache, size, flags);
        pthread_mutex_unlock(&shared_lock);
    }
    if (GA_UNLIKELY((++my_calls & TICK_MASK) == 0))
        tick();
    world_exit();
    if (check_every)
        periodic_check();
    return p; /* NULL: ga_alloc set ENOMEM */
}

/* The common case inline: this thread's cache exists (so the heap does) and no
 * GOALLOC_CHECK; everything else in alloc_slow / release_slow. */
static inline void *alloc(size_t size, unsigned flags) {
    ga_cache *c = my_cache;
    if (GA_LIKELY(c != NULL && !check_every)) {
        void *p = ga_alloc(c, size, flags);
        if (GA_UNLIKELY((++my_calls & TICK_MASK) == 0))
            tick();
        return p;
    }
    return alloc_slow(size, flags);
}

__attribute__((noinline)) static int release_slow(void *p) {
    ga_cache *c = cache_or_null();
    int r;
    if (!heap) /* no heap could be made: p is none of ours */
        return -EINVAL;
    world_enter();
    if (c) {
        r = ga_free(c, p);
    } else {
        pthread_mutex_lock(&shared_lock);
        r = ga_free(shared_cache, p);
        pthread_mutex_unlock(&shared_lock);
    }
    if (GA_UNLIKELY((++my_calls & TICK_MASK) == 0))
        tick();
    world_exit();
    if (check_every)
        periodic_check();
    return r;
}

static inline int release(void *p) {
    ga_cache *c = my_cache;
    if (GA_LIKELY(c != NULL && !check_every)) {
        int r = ga_free(c, p);
        if (GA_UNLIKELY((++my_calls & TICK_MASK) == 0))
            tick();
        return r;
    }
    return release_slow(p);
}

/* Request size -> size given to ga_alloc: 16-byte alignment above 8 bytes, and never 0
 * (ga_alloc's size 0 is ga_zerobase, which cannot be freed).  0 = overflow. */
static inline size_t adjust(size_t n) { return ga_req_size(n); }

/* ga_resize_in_place on the calling thread's cache (or the shared one): p's new usable
 * size, or 0. */
static size_t resize(void *p, size_t n) {
    size_t s = adjust(n);
    if (!s)
        return 0;
    ga_cache *c = cache_or_null();
    world_enter();
    size_t r;
    if (c) {
        r = ga_resize_in_place(c, p, s);
    } else {
        pthread_mutex_lock(&shared_lock);
        r = ga_resize_in_place(shared_cache, p, s);
        pthread_mutex_unlock(&shared_lock);
    }
    world_exit();
    return r;
}

static void bad_free(const char *fn, const void *p, int r) {
    ga_trace_bad_free(r, bad_mode == BAD_ABORT); /* recorded (and written, if abort follows) */
    if (bad_mode == BAD_IGNORE)
        return;
    say("goalloc: %s(): %s %p\n", fn, r == -EALREADY ? "double free of" : "invalid pointer", p);
    if (bad_mode == BAD_ABORT)
        abort();
}

/* ---- over-aligned large objects: aligned address -> object start ---------------- */
typedef struct aligned_rec {
    uintptr_t at, base;
} aligned_rec;
static aligned_rec *aligned_tab; /* open addressing, linear probing; at == 0: empty */
static size_t aligned_cap, aligned_n;
static atomic_size_t aligned_live; /* aligned_n, readable without the lock */

static size_t aligned_slot(uintptr_t at) { return (size_t)((at >> 13) * 0x9E3779B97F4A7C15ull) & (aligned_cap - 1); }

/* Called with aligned_lock held.  false: no memory for the table. */
static bool aligned_put(uintptr_t at, uintptr_t base) {
    if (2 * (aligned_n + 1) > aligned_cap) {
        size_t ncap = aligned_cap ? 2 * aligned_cap : 256;
        aligned_rec *nt = mmap(NULL, ncap * sizeof *nt, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (nt == MAP_FAILED)
            return false;
        aligned_rec *old = aligned_tab;
        size_t ocap = aligned_cap;
        aligned_tab = nt, aligned_cap = ncap;
        for (size_t i = 0; i < ocap; i++)
            if (old[i].at) {
                size_t j = aligned_slot(old[i].at);
                while (aligned_tab[j].at)
                    j = (j + 1) & (aligned_cap - 1);
                aligned_tab[j] = old[i];
            }
        if (old)
            munmap(old, ocap * sizeof *old);
    }
    size_t j = aligned_slot(at);
    while (aligned_tab[j].at)
        j = (j + 1) & (aligned_cap - 1);
    aligned_tab[j] = (aligned_rec){at, base};
    aligned_n++;
    atomic_store_explicit(&aligned_live, aligned_n, memory_order_relaxed);
    return true;
}

/* The object start recorded for `at` (0: none); `remove` takes the record out. */
static uintptr_t aligned_get(uintptr_t at, bool remove) {
    if (!atomic_load_explicit(&aligned_live, memory_order_relaxed))
        return 0;
    pthread_mutex_lock(&aligned_lock);
    uintptr_t base = 0;
    if (aligned_cap) {
        size_t j = aligned_slot(at);
        while (aligned_tab[j].at && aligned_tab[j].at != at)
            j = (j + 1) & (aligned_cap - 1);
        base = aligned_tab[j].base;
        if (base && remove) { /* backward-shift deletion keeps every probe chain whole */
            size_t hole = j;
            for (size_t k = (j + 1) & (aligned_cap - 1); aligned_tab[k].at; k = (k + 1) & (aligned_cap - 1)) {
                size_t home = aligned_slot(aligned_tab[k].at);
                if (((k - home) & (aligned_cap - 1)) >= ((k - hole) & (aligned_cap - 1))) {
                    aligned_tab[hole] = aligned_tab[k];
                    hole = k;
                }
            }
            aligned_tab[hole] = (aligned_rec){0, 0};
            aligned_n--;
            atomic_store_explicit(&aligned_live, aligned_n, memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&aligned_lock);
    return base;
}

/* align: a power of two. */
static void *alloc_aligned(size_t align, size_t n, unsigned flags) {
    bool over;
    size_t s = ga_req_aligned(align, n, &over);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    if (!over)
        return alloc(s, flags);
    void *p = alloc(s, flags);
    if (!p)
        return NULL;
    uintptr_t base = (uintptr_t)p, at = (base + align - 1) & ~(uintptr_t)(align - 1);
    if (at == base)
        return p;
    pthread_mutex_lock(&aligned_lock);
    bool ok = aligned_put(at, base);
    pthread_mutex_unlock(&aligned_lock);
    if (!ok) {
        release(p);
        errno = ENOMEM;
        return NULL;
    }
    return (void *)at;
}

static size_t usable(const void *p) {
    uintptr_t base = aligned_get((uintptr_t)p, false);
    if (base)
        return ga_usable_size(heap, (void *)base) - ((uintptr_t)p - base);
    return ga_usable_size(heap, p);
}

static inline bool pow2(size_t x) { return x && !(x & (x - 1)); }

/* ---- the C and POSIX interface -------------------------------------------------- */
EXPORT void *malloc(size_t n) {
    if (GA_TRACING())
        return ga_trace_malloc(n);
    size_t s = adjust(n);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc(s, GA_NOZERO);
}

EXPORT void free(void *p) {
    if (GA_TRACING()) {
        ga_trace_free(p);
        return;
    }
    if (!p)
        return;
    int r = release(p);
    if (r == -EINVAL) { /* perhaps an over-aligned object's aligned address */
        uintptr_t base = aligned_get((uintptr_t)p, true);
        if (base)
            r = release((void *)base);
    }
    if (r)
        bad_free("free", p, r);
}

EXPORT void *calloc(size_t k, size_t n) {
    if (GA_TRACING())
        return ga_trace_calloc(k, n);
    size_t t;
    if (__builtin_mul_overflow(k, n, &t) || !(t = adjust(t))) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc(t, 0);
}

EXPORT void *realloc(void *p, size_t n) {
    if (GA_TRACING())
        return ga_trace_realloc(p, n);
    if (!p)
        return malloc(n);
    if (n == 0) { /* glibc's answer: the block is freed, NULL returned */
        free(p);
        return NULL;
    }
    size_t u = heap ? usable(p) : 0;
    if (!u) {
        bad_free("realloc", p, -EINVAL);
        errno = EINVAL;
        return NULL;
    }
    if (ga_req_realloc_keeps(u, n)) /* fits, and not so much smaller that a copy would pay */
        return p;
    /* A large block resized in place: shrunk to a size that stays large (its tail pages
     * go back), or grown over the free pages after it. */
    if (ga_req_realloc_resizes(u, n) && resize(p, n))
        return p;
    void *q = malloc(n);
    if (!q)
        return NULL; /* p untouched */
    memcpy(q, p, n < u ? n : u);
    free(p);
    /* A large block that moved is usually a buffer growing: give back as much free
     * memory now, before the new block's tail is touched, or a doubling buffer peaks at
     * old + new + the previous old (GA_SCAVENGE_IDLE would wait an epoch). */
    if (u >= GA_REQ_REALLOC_RELEASE && scavenge_idle) {
        world_enter();
        ga_scavenge(heap, u);
        world_exit();
    }
    return q;
}

EXPORT void *reallocarray(void *p, size_t k, size_t n) {
    if (GA_TRACING())
        return ga_trace_reallocarray(p, k, n);
    size_t t;
    if (__builtin_mul_overflow(k, n, &t)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, t);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n) {
    if (GA_TRACING())
        return ga_trace_posix_memalign(out, align, n);
    if (!pow2(align) || align % sizeof(void *))
        return EINVAL;
    int saved = errno;
    void *p = alloc_aligned(align, n, GA_NOZERO);
    if (!p)
        return ENOMEM;
    errno = saved;
    *out = p;
    return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t n) {
    if (GA_TRACING())
        return ga_trace_aligned_alloc(align, n);
    if (!pow2(align)) { /* glibc: EINVAL for an alignment that is not a power of two */
        errno = EINVAL;
        return NULL;
    }
    return alloc_aligned(align, n, GA_NOZERO);
}

EXPORT void *memalign(size_t align, size_t n) {
    if (GA_TRACING())
        return ga_trace_memalign(align, n);
    if (align > ((size_t)1 << 62)) {
        errno = EINVAL;
        return NULL;
    }
    size_t a = 1;
    while (a < align) /* glibc rounds an alignment that is not a power of two up */
        a <<= 1;
    return alloc_aligned(a, n, GA_NOZERO);
}

EXPORT void *valloc(size_t n) {
    if (GA_TRACING())
        return ga_trace_valloc(n);
    return alloc_aligned((size_t)sysconf(_SC_PAGESIZE), n, GA_NOZERO);
}

EXPORT void *pvalloc(size_t n) {
    if (GA_TRACING())
        return ga_trace_pvalloc(n);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    if (n > SIZE_MAX - pg) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_aligned(pg, n ? (n + pg - 1) & ~(pg - 1) : pg, GA_NOZERO);
}

EXPORT size_t malloc_usable_size(void *p) {
    if (GA_TRACING())
        return ga_trace_malloc_usable_size(p);
    return p && heap ? usable(p) : 0;
}

/* ---- at exit -------------------------------------------------------------------- */
__attribute__((destructor)) static void at_exit(void) {
    if (!heap || !print_stats)
        return;
    ga_stats st;
    ga_heap_stats(heap, &st);
    say("goalloc MemStats: HeapAlloc %llu HeapInuse %llu HeapIdle %llu HeapReleased %llu HeapSys %llu Sys %llu "
        "Mallocs %llu Frees %llu\n",
        (unsigned long long)st.heap_alloc, (unsigned long long)st.heap_inuse, (unsigned long long)st.heap_idle,
        (unsigned long long)st.heap_released, (unsigned long long)st.heap_sys, (unsigned long long)st.sys_mapped,
        (unsigned long long)st.nmalloc, (unsigned long long)st.nfree);
}
