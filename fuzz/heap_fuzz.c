/* Fuzz driver for the whole hierarchy through the public API (include/goalloc.h):
 * up to 4 caches on one heap, allocations of every kind, explicit frees (good and
 * bad), GC cycles with marking and black allocation, budgeted sweeps, scavenging,
 * cache churn, OS refusals and a mapped limit -- every result checked against the
 * shadow heap (fuzz/shadow.c) and an OS model kept by the driver's own OS hooks.
 *
 * Oracles (the allocator's answers are never trusted):
 *  - ga_alloc: NULL only with errno == ENOMEM and an OS refusal counted during the
 *    call (or an unrepresentable size); alignment per class; no overlap with anything
 *    owed; tiny placement exactly as Go's tiny allocator; zeroed unless GA_NOZERO;
 *    ga_usable_size == class size; ga_object_base of first and last byte;
 *  - content: every object is filled with a pattern from its id; checked on every
 *    free, when a GC drops it and at the end, and in between a slice of the live
 *    objects every CHECK_EVERY operations;
 *  - ga_free: the result the shadow allows (0 only for owed object starts and for
 *    unswept unmarked objects); erroneous frees leave ga_heap_stats unchanged;
 *  - GC: marks return 1/0 as the shadow expects, foreign pointers -EINVAL; after
 *    ga_gc_end objects marked or allocated black stay intact; after a full sweep the
 *    statistics match the shadow exactly (nmalloc - nfree and heap_alloc, per class);
 *  - OS: the hooks keep reserved/mapped address ranges; every object lies in Ready
 *    memory, and under ASan Prepared arena memory is poisoned (an access by the
 *    allocator is reported); every call must target memory of the right state, no unused/fault/release may touch an owed object, sys_mapped
 *    must equal the hooks' count, mapped_limit holds, and after ga_heap_destroy
 *    nothing is left reserved; every refusal is explained (injected, our hook, or
 *    the limit) and every limit refusal is sound (mapped + asked > mapped_limit);
 *  - ga_sweep(h, 0): nothing left unswept, no uncached span with pending frees, and
 *    with every cache flushed exact statistics;
 *  - ga_heap_check clean every HEAP_CHECK_EVERY operations and at the end.
 *
 * Deterministic: fresh heap per input, no time, no randomness; the only state kept
 * across inputs is the OS pool of address space (below), which no heap can tell from
 * fresh mappings.
 * Operations: fuzz/heap_ops.h (one handler op_<name> each, below); input format:
 * fuzz/README.md; dictionary: fuzz/heap_fuzz.dict (gen_heap_seeds.py --dict). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "goalloc.h"
#include "heap.h" /* white box: h->os's refusal counters; the mcentral lists after ga_sweep(h, 0) */
#include "fuzz_ops.h"
#include "heap_ops.h"
#include "shadow.h"
#include "support/corrupt.h"
#include "support/fuzz_input.h"

#define NCACHE SH_MAX_CACHES
/* Per-input bounds and check frequencies; each can be overridden with -D. */
#ifndef MAX_OPS
#define MAX_OPS 2000
#endif
#ifndef MAX_PROG
#define MAX_PROG 6000 /* live program objects */
#endif
#ifndef MAX_OWED
#define MAX_OWED ((size_t)72 << 20) /* owed bytes (room for one object spanning two arenas) */
#endif
#ifndef MAX_TOUCH
#define MAX_TOUCH ((size_t)768 << 20) /* bytes written+read by the driver */
#endif
#ifndef MAX_LARGE_TOTAL
/* Large bytes allocated (objects under an arena).  Each large byte is zeroed by the
 * allocator when its span is reused and cleared again when the input's memory goes
 * back to the pool: the run time of an input is about its bytes (72 MiB took 16 ms). */
#define MAX_LARGE_TOTAL ((size_t)24 << 20)
#endif
#ifndef MAX_ARENA_OBJS
#define MAX_ARENA_OBJS 1 /* objects of an arena or more (op_alloc_odd's two-arena object) */
#endif
#ifndef MAX_BURST_BYTES
#define MAX_BURST_BYTES ((size_t)256 << 10) /* per ALLOC_BURST (at least 2 objects) */
#endif
#ifndef CHECK_EVERY
#define CHECK_EVERY 64 /* a slice of the live patterns */
#endif
#ifndef CHECK_SLICES
/* Every CHECK_EVERY ops, 1/CHECK_SLICES of the live objects (round-robin): checking
 * them all took a quarter of a fuzzing run's time, and each live object's pattern is
 * checked anyway when it is freed, when a GC drops it and at the end of the input;
 * the slices only find a corruption sooner. */
#define CHECK_SLICES 8
#endif
#ifndef HEAP_CHECK_EVERY
#define HEAP_CHECK_EVERY 512 /* ga_heap_check (the costliest check under instrumentation) */
#endif
#ifndef MAX_OP_CHECKS
#define MAX_OP_CHECKS 2 /* OP_CHECKs that run ga_heap_check */
#endif
#ifndef DEBUG_MAX_INPUT
#define DEBUG_MAX_INPUT 64 /* debug_checks only for inputs up to this size */
#endif
#define DEBUG_MAX_BURST 4 /* ... and bursts and ranges this short */
#define MB ((size_t)1 << 20)
#define OS_PAGE ((size_t)4096) /* the kernel's page (mincore's unit) */
#define ARENA_BYTES ((size_t)64 << 20)
#define UNPLACEABLE ((size_t)1 << 47) /* sizes from here to GA_MAX_ALLOC cannot be reserved */

/* ---- intervals (the OS model) ----------------------------------------------------- */
typedef struct iv {
    uintptr_t lo, hi; /* [lo, hi) */
} iv;
typedef struct ivset {
    iv *v;
    size_t n, cap;
} ivset;

FUZZ_NOCOV static size_t iv_find(const ivset *s, uintptr_t x) { /* first interval with hi > x */
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (s->v[m].hi <= x)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}
FUZZ_NOCOV static bool iv_covers(const ivset *s, uintptr_t lo, uintptr_t hi) {
    size_t i = iv_find(s, lo);
    return i < s->n && s->v[i].lo <= lo && s->v[i].hi >= hi;
}
FUZZ_NOCOV static bool iv_intersects(const ivset *s, uintptr_t lo, uintptr_t hi) {
    size_t i = iv_find(s, lo);
    return i < s->n && s->v[i].lo < hi;
}
/* The piece of [a, hi) that starts at a and lies wholly inside the set or wholly
 * outside it (*in says which): its end.  Walks of a range split by a set use it. */
FUZZ_NOCOV static uintptr_t iv_piece(const ivset *s, uintptr_t a, uintptr_t hi, bool *in) {
    size_t i = iv_find(s, a);
    *in = i < s->n && s->v[i].lo <= a;
    if (*in)
        return s->v[i].hi < hi ? s->v[i].hi : hi;
    return i < s->n && s->v[i].lo < hi ? s->v[i].lo : hi;
}
/* Bytes of [lo, hi) inside the set. */
FUZZ_NOCOV static size_t iv_overlap_bytes(const ivset *s, uintptr_t lo, uintptr_t hi) {
    size_t b = 0;
    for (size_t i = iv_find(s, lo); i < s->n && s->v[i].lo < hi; i++) {
        uintptr_t a = s->v[i].lo > lo ? s->v[i].lo : lo, z = s->v[i].hi < hi ? s->v[i].hi : hi;
        b += z - a;
    }
    return b;
}
FUZZ_NOCOV static void iv_remove(ivset *s, uintptr_t lo, uintptr_t hi) {
    size_t i = iv_find(s, lo);
    while (i < s->n && s->v[i].lo < hi) {
        iv *x = &s->v[i];
        if (x->lo < lo && x->hi > hi) { /* split */
            if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 16;
                s->v = realloc(s->v, s->cap * sizeof *s->v);
                if (!s->v)
                    abort();
                x = &s->v[i];
            }
            memmove(&s->v[i + 2], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
            s->v[i + 1] = (iv){hi, x->hi};
            x->hi = lo;
            s->n++;
            return;
        }
        if (x->lo < lo) {
            x->hi = lo;
            i++;
        } else if (x->hi > hi) {
            x->lo = hi;
            return;
        } else {
            memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
            s->n--;
        }
    }
}
FUZZ_NOCOV static void iv_add(ivset *s, uintptr_t lo, uintptr_t hi) {
    iv_remove(s, lo, hi);
    size_t i = iv_find(s, lo);
    /* merge with neighbours touching [lo, hi) */
    if (i > 0 && s->v[i - 1].hi == lo) {
        i--;
        lo = s->v[i].lo;
        memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
        s->n--;
    }
    if (i < s->n && s->v[i].lo == hi) {
        hi = s->v[i].hi;
        memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
        s->n--;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v)
            abort();
    }
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof *s->v);
    s->v[i] = (iv){lo, hi};
    s->n++;
}
FUZZ_NOCOV static size_t iv_total(const ivset *s) {
    size_t b = 0;
    for (size_t i = 0; i < s->n; i++)
        b += s->v[i].hi - s->v[i].lo;
    return b;
}

/* ---- driver state ----------------------------------------------------------------- */
typedef struct hf {
    ga_heap *h;
    ga_cache *c[NCACHE];
    shadow sh;
    ga_config cfg;
    ga_os_hooks hooks;
    /* OS model */
    ivset reserved, mapped;
    ivset closed;       /* under POOL_OPEN: reservations made PROT_NONE (too large to poison) */
    ivset arena_mapped; /* under POOL_OPEN: arena memory mapped (Prepared: poisoned until used) */
    ivset dirty;        /* under POOL_OPEN: arena memory made Ready at some point (may be written) */
    ivset ready;        /* made Ready (used) and not released (unused), unmapped or freed since */
    size_t mapped_bytes;
    bool keep_on_unused; /* unused leaves contents (MADV_FREE-like) instead of DONTNEED */
    bool ignore_hints;   /* reserve places memory where the kernel likes, never at the hint */
    uint64_t map_calls, hook_fail_map, used_calls, hook_fail_used, reserve_calls, hook_fail_reserve, unused_calls,
        hook_err_unused;
    /* refusal accounting of the current operation: counters at its start, our map
     * hook's refusals, the most bytes our model had mapped during it */
    uint64_t op_calls, op_refusals, op_limits, hook_refused;
    size_t peak_mapped;
    /* progress */
    size_t op;
    const char *opname;
    int ci; /* the current op's cache: its op byte >> 6 */
    size_t touched;
    size_t large_total;
    unsigned arena_objs;
    unsigned op_checks;
    uint32_t check_next; /* check_some_contents's round-robin position in sh.prog */
    bool gc;
    bool trace;  /* HEAP_FUZZ_TRACE=1: print every operation (debugging a reproducer) */
    bool folded; /* every cache flushed since the last allocation (stats exact up to sweeping) */
} hf;

static void hfail(hf *f, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void hfail(hf *f, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "heap_fuzz: op #%zu (%s): ", f->op, f->opname ? f->opname : "?");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

/* ---- OS hooks: delegate to the OS, keep the model, check every transition --------- */

FUZZ_NOCOV static void no_owed(hf *f, const char *what, void *v, size_t n) {
    uint32_t id = n ? sh_overlap(&f->sh, (uintptr_t)v, n) : SH_NONE;
    if (id != SH_NONE) {
        const sh_obj *o = &f->sh.objs[id];
        hfail(f, "OS %s(%p, %zu) hits owed object #%u at %#lx+%zu (req %zu, cache %u)", what, v, n, id,
              (unsigned long)o->addr, o->usable, o->req, o->cache);
    }
}

/* ---- the OS pool: address space recycled across inputs ------------------------------
 * Every input builds a heap from nothing, and building it from fresh mappings cost
 * most of an input's time on these VMs: each first touch of a page is a fault (10 us
 * per 4 KiB page, 75 us per 2 MiB huge page), each munmap or mprotect that revokes
 * access to touched pages a TLB flush (30-50 us), and Go's 128 arena hints were each
 * a mmap, madvise and munmap when the kernel put the range elsewhere.  So reserved
 * ranges the heap releases are kept here (the only state the driver keeps between
 * inputs, outside the OS model, which sees each range released and a fresh one
 * reserved) and handed out again.  A pooled range is indistinguishable from a fresh
 * reservation to the heap: every byte zero, no access.
 *
 * Under ASan (POOL_OPEN) pooled and reserved-unmapped memory stays readable and
 * writable but poisoned (the allocator's code, instrumented, reports any access as
 * use-after-poison, as pagealloc_fuzz does for its metadata), so a map is an unpoison
 * and nothing touched is ever unmapped or faulted again.  Zero is established, not
 * assumed: when memory that was mapped goes back (fault, release), its resident pages
 * (mincore) are cleared -- pages never resident read zero.  The driver's own pattern
 * code is not instrumented: it checks instead that every object lies in Ready memory
 * (do_alloc).  Ranges over POOL_MAX_RANGE (poisoning costs 1/8 of the range) and
 * builds without ASan take the kernel's way: PROT_NONE until mapped, fresh pages on
 * fault, and only ranges in which nothing was ever mapped are pooled on release.
 *
 * Arena ranges (64 MiB multiples: huge-page advice) and metadata ranges are pooled
 * apart, so that neither gets the other's page size. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_OPEN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(POOL_OPEN)
#define POOL_OPEN 1
#endif
#ifdef POOL_OPEN
#include <sanitizer/asan_interface.h>
/* ASan clears the shadow of a large unpoisoned range by remapping it (over 64 KiB of
 * shadow by default): the next poison of the range then faults every shadow page in
 * again.  The pool maps and unmaps the same ranges input after input (the arena index
 * alone is 4 MiB of shadow), so shadow is cleared in place.  (An ASAN_OPTIONS of the
 * user's own still wins.) */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "clear_shadow_mmap_threshold=1099511627776"; }
#endif
#define POOL_MAX_RANGE ((size_t)1 << 30)
#define POOL_MAX_TOTAL ((size_t)16 << 30)
/* Free ranges we hold: those the kernel gave at a hint (handed out again only at that
 * hint, so that whether a hint is free never depends on what earlier inputs did),
 * arena-sized ones (huge-page advice) and the rest (metadata). */
static ivset pool_hint, pool_arena, pool_meta;
static ivset hinted; /* every range ever reserved at a hint */
static ivset thp;    /* every range ever advised MADV_HUGEPAGE */
/* Hint ranges the kernel found taken by a mapping not ours (EEXIST: under ASan, its
 * shadow holds Go's first 16 hints): taken again next time without asking.  Both
 * answers are the kernel's to give (a hint is only a hint), and a 4 us call per hint
 * per input adds up. */
#define TAKEN_MAX 64
static iv taken[TAKEN_MAX];
static size_t ntaken;

FUZZ_NOCOV static bool hint_taken(uintptr_t lo, size_t n) {
    for (size_t i = 0; i < ntaken; i++)
        if (taken[i].lo == lo && taken[i].hi == lo + n)
            return true;
    return false;
}

FUZZ_NOCOV static bool pool_has(uintptr_t lo, uintptr_t hi) {
    return iv_intersects(&pool_hint, lo, hi) || iv_intersects(&pool_arena, lo, hi) || iv_intersects(&pool_meta, lo, hi);
}

FUZZ_NOCOV static bool arena_sized(size_t n) { return n >= ARENA_BYTES && n % ARENA_BYTES == 0; }

/* [lo, lo + n) out of the pool if the kernel gave it at a hint and it is all free. */
FUZZ_NOCOV static bool pool_take_at(uintptr_t lo, size_t n) {
    if (!iv_covers(&pool_hint, lo, lo + n))
        return false;
    iv_remove(&pool_hint, lo, lo + n);
    return true;
}

/* n pooled bytes of the right kind (the smallest range that fits, the highest of
 * equals: metadata finds the ranges it had in the last input), or 0. */
FUZZ_NOCOV static uintptr_t pool_take(size_t n) {
    ivset *s = arena_sized(n) ? &pool_arena : &pool_meta;
    size_t best = s->n;
    for (size_t i = 0; i < s->n; i++) {
        size_t len = s->v[i].hi - s->v[i].lo;
        if (len >= n && (best == s->n || len <= s->v[best].hi - s->v[best].lo))
            best = i;
    }
    if (best == s->n)
        return 0;
    uintptr_t lo = s->v[best].lo;
    iv_remove(s, lo, lo + n);
    return lo;
}

/* Add to `to` the parts of [lo, hi) in `by`, to `rest` the others. */
FUZZ_NOCOV static void split_add(const ivset *by, uintptr_t lo, uintptr_t hi, ivset *to, ivset *rest) {
    for (uintptr_t a = lo; a < hi;) {
        bool in;
        uintptr_t z = iv_piece(by, a, hi, &in);
        if (in)
            iv_add(to, a, z);
        else if (rest == &pool_arena) /* not hinted: by huge-page advice */
            split_add(&thp, a, z, &pool_arena, &pool_meta);
        else
            iv_add(rest, a, z);
        a = z;
    }
}

static void forget_access(uintptr_t lo, uintptr_t hi);

FUZZ_NOCOV static void pool_put(uintptr_t lo, uintptr_t hi) {
    if (iv_total(&pool_hint) + iv_total(&pool_arena) + iv_total(&pool_meta) + (hi - lo) > POOL_MAX_TOTAL) {
        forget_access(lo, hi);
        (void)munmap((void *)lo, hi - lo);
        return;
    }
    split_add(&hinted, lo, hi, &pool_hint, &pool_arena);
}

/* Clear [lo, hi) (accessible memory) by runs of pages: resident pages (mincore) are
 * zeroed in place; pages not resident read zero already, and with `drop` are also
 * dropped for real (MADV_DONTNEED; all of [lo, hi) if mincore fails). */
FUZZ_NOCOV static int clear_pages(uintptr_t lo, uintptr_t hi, bool drop) {
    static unsigned char vec[16384]; /* 64 MiB a call */
    for (uintptr_t a = lo; a < hi;) {
        size_t np = (hi - a + OS_PAGE - 1) / OS_PAGE;
        if (np > sizeof vec)
            np = sizeof vec;
        if (mincore((void *)a, np * OS_PAGE, vec) != 0)
            return !drop ? errno : madvise((void *)lo, hi - lo, MADV_DONTNEED) == 0 ? 0 : errno;
        for (size_t k = 0; k < np;) {
            size_t e = k + 1;
            while (e < np && (vec[e] & 1) == (vec[k] & 1))
                e++;
            uintptr_t p = a + k * OS_PAGE, z = a + e * OS_PAGE < hi ? a + e * OS_PAGE : hi;
            if (vec[k] & 1)
                memset((void *)p, 0, z - p);
            else if (drop && madvise((void *)p, z - p, MADV_DONTNEED) != 0)
                return errno;
            k = e;
        }
        a += np * OS_PAGE;
    }
    return 0;
}

/* Whether [lo, hi) is pool memory (open under ASan), not a PROT_NONE reservation. */
FUZZ_NOCOV static bool open_range(hf *f, uintptr_t lo, uintptr_t hi) {
#ifdef POOL_OPEN
    return !iv_intersects(&f->closed, lo, hi);
#else
    (void)f, (void)lo, (void)hi;
    return false;
#endif
}

/* Whether [lo, hi) starts in one of the heap's arenas (white box: h->all_arenas; the
 * arenas are registered before the heap maps any of their memory). */
FUZZ_NOCOV static bool in_arena(hf *f, uintptr_t lo) {
    if (!f->h)
        return false;
    for (size_t i = 0; i < f->h->n_arenas; i++)
        if (lo - f->h->all_arenas[i] < ARENA_BYTES)
            return true;
    return false;
}

/* Access to open pool memory (under POOL_OPEN; no-ops otherwise).  Every byte of it
 * is accessible (RW, shadow clean: `acc`) or not, in one of two ways, whichever costs
 * less for the range at hand: sealed (PROT_NONE, shadow clean: `sealed`) or poisoned
 * (RW, shadow poisoned).  Revoking a metadata range of SEAL_MIN or more seals it: one
 * mprotect, whose TLB flush costs 30-50 us whatever the size, where poisoning writes a
 * shadow byte per 8 (the 32 MiB arena index, mapped and released by every input, was
 * 4 MiB of shadow each way: a third of an empty input's time).  Smaller ranges and
 * arena memory are poisoned: arena memory is made Ready and unused piecemeal, span by
 * span, and sealing it split its huge pages and mappings (the corpus replayed 3x
 * slower).  Granting undoes whichever a part has (raising protection flushes nothing).
 * Fresh metadata reservations start sealed (mmap PROT_NONE costs nothing), fresh
 * arenas poisoned.  An access to either kind of revoked memory is reported: ASan's
 * use-after-poison or a SEGV. */
#define SEAL_MIN ((size_t)2 << 20)
static ivset acc, sealed;

#ifdef POOL_OPEN
FUZZ_NOCOV static void protect(uintptr_t lo, uintptr_t hi, int prot) {
    if (mprotect((void *)lo, hi - lo, prot) != 0) { /* ENOMEM: too many mappings */
        fprintf(stderr, "heap_fuzz: OS pool: mprotect(%#lx, %zu, %d): errno %d\n", (unsigned long)lo, (size_t)(hi - lo),
                prot, errno);
        abort();
    }
}

FUZZ_NOCOV static void grant(uintptr_t lo, uintptr_t hi) {
    for (uintptr_t a = lo; a < hi;) {
        bool in;
        uintptr_t z = iv_piece(&sealed, a, hi, &in);
        if (in)
            protect(a, z, PROT_READ | PROT_WRITE);
        else
            ASAN_UNPOISON_MEMORY_REGION((void *)a, z - a);
        a = z;
    }
    iv_remove(&sealed, lo, hi);
}

FUZZ_NOCOV static void revoke(uintptr_t lo, uintptr_t hi) {
    if (hi - lo >= SEAL_MIN && !iv_intersects(&thp, lo, hi)) {
        protect(lo, hi, PROT_NONE);
        iv_add(&sealed, lo, hi);
    } else {
        ASAN_POISON_MEMORY_REGION((void *)lo, hi - lo);
    }
}
#endif

/* Make [lo, hi) (open pool memory) accessible or not: only the parts whose state
 * differs are touched. */
FUZZ_NOCOV static void set_access(uintptr_t lo, uintptr_t hi, bool on) {
#ifdef POOL_OPEN
    for (uintptr_t a = lo; a < hi;) {
        bool in;
        uintptr_t z = iv_piece(&acc, a, hi, &in);
        if (in != on) {
            if (on)
                grant(a, z);
            else
                revoke(a, z);
        }
        a = z;
    }
    if (on)
        iv_add(&acc, lo, hi);
    else
        iv_remove(&acc, lo, hi);
#else
    (void)lo, (void)hi, (void)on;
#endif
}

/* [lo, hi) leaves the pool for good (munmap). */
FUZZ_NOCOV static void forget_access(uintptr_t lo, uintptr_t hi) {
    iv_remove(&acc, lo, hi);
    iv_remove(&sealed, lo, hi);
}

/* Mapped memory in [lo, hi) goes back to reserved: zero and no access again.  Open
 * memory: its resident pages that may have been written are cleared, then access is
 * revoked.  In arena memory only what was Ready may have been written (`dirty`):
 * Prepared arena memory stays inaccessible (an allocator that touches it is reported),
 * and the driver writes objects only, all in Ready memory (do_alloc).  A page that
 * was never resident reads zero.  Otherwise (PROT_NONE reservations): fresh pages. */
FUZZ_NOCOV static int unmap_mapped(hf *f, uintptr_t lo, uintptr_t hi) {
    if (!open_range(f, lo, hi)) {
        void *p = mmap((void *)lo, hi - lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        return p == MAP_FAILED ? errno : 0;
    }
    for (size_t i = iv_find(&f->mapped, lo); i < f->mapped.n && f->mapped.v[i].lo < hi; i++) {
        uintptr_t a = f->mapped.v[i].lo > lo ? f->mapped.v[i].lo : lo;
        uintptr_t z = f->mapped.v[i].hi < hi ? f->mapped.v[i].hi : hi;
        if (!iv_intersects(&f->arena_mapped, a, z)) {
            int err = clear_pages(a, z, false);
            if (err)
                return err;
            set_access(a, z, false);
            continue;
        }
        for (size_t j = iv_find(&f->dirty, a); j < f->dirty.n && f->dirty.v[j].lo < z; j++) {
            uintptr_t da = f->dirty.v[j].lo > a ? f->dirty.v[j].lo : a;
            uintptr_t dz = f->dirty.v[j].hi < z ? f->dirty.v[j].hi : z;
            set_access(da, dz, true); /* what was unused since is inaccessible again */
            int err = clear_pages(da, dz, false);
            if (err)
                return err;
        }
        set_access(a, z, false);
    }
    iv_remove(&f->arena_mapped, lo, hi);
    iv_remove(&f->dirty, lo, hi);
    return 0;
}

FUZZ_NOCOV static void *h_reserve(void *ctx, void *hint, size_t n) {
    hf *f = ctx;
    if (++f->reserve_calls == f->hook_fail_reserve) {
        f->hook_refused++;
        return NULL; /* the OS refuses the reservation */
    }
#ifdef POOL_OPEN
    bool open = n <= POOL_MAX_RANGE;
#else
    bool open = false;
#endif
    /* Fresh open memory starts inaccessible: arenas poisoned (RW), metadata sealed. */
    int prot = open && arena_sized(n) ? PROT_READ | PROT_WRITE : PROT_NONE;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    /* A hint is only a hint: where it is taken (or with ignore_hints, always) the
     * kernel puts the range elsewhere.  MAP_FIXED_NOREPLACE learns whether the hint is
     * free in one call (EEXIST: taken). */
    void *p = MAP_FAILED;
    bool fresh = false;
    if (!f->ignore_hints && hint) {
        uintptr_t lo = (uintptr_t)hint, hi = lo + n;
        if (pool_take_at(lo, n))
            p = hint;
        else if (hint_taken(lo, n))
            p = MAP_FAILED;
        else if ((p = mmap(hint, n, prot, flags | MAP_FIXED_NOREPLACE, -1, 0)) != MAP_FAILED) {
            fresh = true;
            if (p != hint) { /* a kernel older than 4.17: an ordinary hint */
                (void)munmap(p, n);
                p = MAP_FAILED;
            }
        } else if (errno == EEXIST && ntaken < TAKEN_MAX && !pool_has(lo, hi) && !iv_intersects(&f->reserved, lo, hi))
            taken[ntaken++] = (iv){lo, hi};
        if (p == hint)
            iv_add(&hinted, lo, hi);
    }
    if (p == MAP_FAILED) {
        uintptr_t q = pool_take(n);
        if (q)
            p = (void *)q;
        else {
            p = mmap(NULL, n, prot, flags, -1, 0);
            fresh = true;
        }
    }
    if (p == MAP_FAILED) {
        f->hook_refused++; /* the kernel refuses (address space: sizes of 2^47 and more) */
        return NULL;
    }
    /* Arena reservations (whole 64 MiB arenas, at a hint or aligned by trimming) get
     * transparent huge pages: the allocator zeroes reused spans whole and the driver
     * fills objects, and on these VMs each 4 KiB page fault costs 10-25 us (a third of
     * the run time went to them); with THP one fault maps 2 MiB.  Advice only: the
     * contents (zero when fresh) and the protections are those of plain pages.  Not
     * for metadata: sparse, a 2 MiB page per touched entry would cost more. */
    if (fresh && arena_sized(n)) {
        (void)madvise(p, n, MADV_HUGEPAGE);
        iv_add(&thp, (uintptr_t)p, (uintptr_t)p + n);
    }
#ifdef POOL_OPEN
    if (fresh && open) {
        if (arena_sized(n))
            ASAN_POISON_MEMORY_REGION(p, n);
        else
            iv_add(&sealed, (uintptr_t)p, (uintptr_t)p + n);
    }
    if (!open)
        iv_add(&f->closed, (uintptr_t)p, (uintptr_t)p + n);
#endif
    if (iv_intersects(&f->reserved, (uintptr_t)p, (uintptr_t)p + n))
        hfail(f, "OS model: kernel returned %p+%zu, already reserved", p, n);
    iv_add(&f->reserved, (uintptr_t)p, (uintptr_t)p + n);
    return p;
}

FUZZ_NOCOV static int h_map(void *ctx, void *v, size_t n) {
    hf *f = ctx;
    uintptr_t lo = (uintptr_t)v, hi = lo + n;
    if (!iv_covers(&f->reserved, lo, hi))
        hfail(f, "OS map(%p, %zu) outside any reservation", v, n);
    if (iv_intersects(&f->mapped, lo, hi))
        hfail(f, "OS map(%p, %zu) of already mapped memory (%zu bytes)", v, n, iv_overlap_bytes(&f->mapped, lo, hi));
    if (++f->map_calls == f->hook_fail_map) {
        f->hook_refused++;
        return ENOMEM; /* the OS itself refuses (after ga_os charged the limit) */
    }
    if (open_range(f, lo, hi)) { /* zero already; arena memory is Prepared: no access until used */
        if (in_arena(f, lo))
            iv_add(&f->arena_mapped, lo, hi);
        else
            set_access(lo, hi, true);
    } else if (mprotect(v, n, PROT_READ | PROT_WRITE) != 0)
        return errno;
    iv_add(&f->mapped, lo, hi);
    f->mapped_bytes += n;
    if (f->mapped_bytes > f->peak_mapped)
        f->peak_mapped = f->mapped_bytes;
    if (f->cfg.mapped_limit && f->mapped_bytes > f->cfg.mapped_limit)
        hfail(f, "mapped_limit %zu exceeded: %zu bytes mapped", f->cfg.mapped_limit, f->mapped_bytes);
    return 0;
}

FUZZ_NOCOV static int h_used(void *ctx, void *v, size_t n) {
    hf *f = ctx;
    if (!iv_covers(&f->mapped, (uintptr_t)v, (uintptr_t)v + n))
        hfail(f, "OS used(%p, %zu) of memory not mapped", v, n);
    if (++f->used_calls == f->hook_fail_used) {
        f->hook_refused++;
        return ENOMEM; /* the OS refuses to make Prepared memory Ready */
    }
    iv_add(&f->ready, (uintptr_t)v, (uintptr_t)v + n);
    if (iv_intersects(&f->arena_mapped, (uintptr_t)v, (uintptr_t)v + n)) {
        set_access((uintptr_t)v, (uintptr_t)v + n, true);
        iv_add(&f->dirty, (uintptr_t)v, (uintptr_t)v + n);
    }
    return 0;
}

/* MADV_DONTNEED's effect on [lo, hi) (the pages read zero afterwards) without its cost
 * here: dropping pages splits the huge pages around them and every page touched again
 * faults (scavenged pages are reused soon: the allocator takes them first-fit and
 * zeroes them).  So resident pages (mincore) are zeroed in place and only runs of
 * pages that are not resident are dropped for real. */
FUZZ_NOCOV static int dontneed(uintptr_t lo, uintptr_t hi) { return clear_pages(lo, hi, true); }

FUZZ_NOCOV static int h_unused(void *ctx, void *v, size_t n) {
    hf *f = ctx;
    if (!iv_covers(&f->mapped, (uintptr_t)v, (uintptr_t)v + n))
        hfail(f, "OS unused(%p, %zu) of memory not mapped", v, n);
    no_owed(f, "unused", v, n);
    iv_remove(&f->ready, (uintptr_t)v, (uintptr_t)v + n); /* Prepared whatever the OS answers (Go ignores it) */
    /* Prepared arena memory: no access until used again (after dontneed's clearing). */
    bool prep = iv_intersects(&f->arena_mapped, (uintptr_t)v, (uintptr_t)v + n);
    int err = 0;
    if (++f->unused_calls == f->hook_err_unused)
        err = EIO;                 /* an error the allocator only counts: the contents stay, as with keep_on_unused */
    else if (!f->keep_on_unused) { /* (keep_on_unused: legal, the contents of unused memory are unspecified) */
        if (prep)
            set_access((uintptr_t)v, (uintptr_t)v + n, true);
        err = dontneed((uintptr_t)v, (uintptr_t)v + n);
    }
    if (prep)
        set_access((uintptr_t)v, (uintptr_t)v + n, false);
    return err;
}

FUZZ_NOCOV static int h_release(void *ctx, void *v, size_t n) {
    hf *f = ctx;
    uintptr_t lo = (uintptr_t)v, hi = lo + n;
    if (!iv_covers(&f->reserved, lo, hi))
        hfail(f, "OS release(%p, %zu) of memory never reserved", v, n); /* before munmap! */
    no_owed(f, "release", v, n);
    /* Pooled: open memory once cleared; PROT_NONE memory if nothing in it was ever
     * mapped (a fault gave fresh pages). */
    bool open = open_range(f, lo, hi), pooled = false;
    if (open)
        pooled = unmap_mapped(f, lo, hi) == 0;
    else if (!iv_intersects(&f->mapped, lo, hi))
        pooled = n <= POOL_MAX_RANGE;
    f->mapped_bytes -= iv_overlap_bytes(&f->mapped, lo, hi);
    iv_remove(&f->mapped, lo, hi);
    iv_remove(&f->ready, lo, hi);
    iv_remove(&f->reserved, lo, hi);
#ifdef POOL_OPEN
    iv_remove(&f->closed, lo, hi);
#endif
    if (pooled) {
        pool_put(lo, hi);
        return 0;
    }
    forget_access(lo, hi);
    return munmap(v, n) == 0 ? 0 : errno;
}

FUZZ_NOCOV static int h_fault(void *ctx, void *v, size_t n) {
    hf *f = ctx;
    uintptr_t lo = (uintptr_t)v, hi = lo + n;
    if (!iv_covers(&f->reserved, lo, hi))
        hfail(f, "OS fault(%p, %zu) of memory never reserved", v, n);
    no_owed(f, "fault", v, n);
    int err = iv_intersects(&f->mapped, lo, hi) ? unmap_mapped(f, lo, hi) : 0;
    f->mapped_bytes -= iv_overlap_bytes(&f->mapped, lo, hi);
    iv_remove(&f->mapped, lo, hi);
    iv_remove(&f->ready, lo, hi);
    return err;
}

/* ---- helpers ---------------------------------------------------------------------- */

static void tr(hf *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tr(hf *f, const char *fmt, ...) {
    if (!f->trace)
        return;
    va_list ap;
    fprintf(stderr, "#%zu %s: ", f->op, f->opname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
}

static uint64_t refusals(hf *f) { return atomic_load(&f->h->os.refusals); }

FUZZ_NOCOV static void check_heap(hf *f) {
    char why[512] = "";
    if (ga_heap_check(f->h, why, sizeof why) != 0)
        hfail(f, "ga_heap_check: %s", why);
    if (sh_self_check(&f->sh) != 0)
        hfail(f, "%s", f->sh.why);
}

FUZZ_NOCOV static void check_all_contents(hf *f) {
    if (sh_check_all(&f->sh, &f->touched) != 0)
        hfail(f, "%s", f->sh.why);
}

FUZZ_NOCOV static void check_some_contents(hf *f) {
    if (sh_check_some(&f->sh, &f->check_next, (f->sh.nprog + CHECK_SLICES - 1) / CHECK_SLICES, &f->touched) != 0)
        hfail(f, "%s", f->sh.why);
}

/* Per size class (0 = large): owed extents of the shadow. */
FUZZ_NOCOV static void owed_by_class(hf *f, uint64_t *n) {
    memset(n, 0, GA_NUM_SIZE_CLASSES * sizeof *n);
    for (uint32_t i = 0; i < f->sh.next_ext; i++)
        n[f->sh.objs[f->sh.ext[i]].spanclass >> 1]++;
}


/* ---- exact memory accounting (the OS model against ga_heap_stats) -------------------
 * What each figure must be, from the OS hooks' record (white box only where marked):
 *  - sys_mapped    = bytes mapped (Prepared or Ready) through the hooks, heap and
 *                    metadata alike (ga_os's `mapped`);
 *  - heap_sys      = bytes mapped inside the heap's arenas.  Which 64 MiB ranges are
 *                    arenas is white box (h->all_arenas); the bytes are the hooks'.  The
 *                    heap maps arena memory only to grow pageAlloc, so this is its size;
 *  - heap_released = arena bytes mapped and not Ready (never used since the map, or
 *                    released by unused and not used since), less the Prepared part of
 *                    parked runs (white box: h->parked, runs pageAlloc handed out whose
 *                    used was refused; each keeps its scavenged bytes in elemsize);
 *  - heap_inuse + heap_idle + parked pages = heap_sys: a grown page is in an in-use
 *                    span, free, or parked;
 *  - heap_inuse    >= the pages of the spans holding owed extents (white box: the span
 *                    of each extent, ga_mheap_span_of); right after a full sweep with
 *                    every cache flushed, exactly that: a span that holds no object, is
 *                    cached by nobody and has no pending frees must be back in the heap.
 * Checked after every operation (the first four) and with the statistics (the last). */
typedef struct acct {
    size_t heap_sys, prepared, parked_pages, parked_scav;
} acct;

FUZZ_NOCOV static void model_acct(hf *f, acct *a) {
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < f->h->n_arenas; i++) {
        uintptr_t b = f->h->all_arenas[i], e = b + ARENA_BYTES;
        size_t m = iv_overlap_bytes(&f->mapped, b, e);
        a->heap_sys += m;
        a->prepared += m - iv_overlap_bytes(&f->ready, b, e); /* ready is inside mapped (h_used) */
    }
    for (const ga_mspan *p = f->h->parked; p; p = p->next) {
        a->parked_pages += p->npages;
        a->parked_scav += p->elemsize;
    }
}

FUZZ_NOCOV static void check_accounting(hf *f, const ga_stats *st) {
    acct a;
    model_acct(f, &a);
    if (st->sys_mapped != f->mapped_bytes)
        hfail(f, "stats: sys_mapped = %llu, the OS hooks saw %zu bytes mapped", (unsigned long long)st->sys_mapped,
              f->mapped_bytes);
    if (st->heap_sys != a.heap_sys)
        hfail(f, "stats: heap_sys = %llu, the OS hooks mapped %zu bytes in the heap's %zu arenas",
              (unsigned long long)st->heap_sys, a.heap_sys, f->h->n_arenas);
    if (a.prepared < a.parked_scav || st->heap_released != a.prepared - a.parked_scav)
        hfail(f,
              "stats: heap_released = %llu, the OS hooks leave %zu arena bytes not Ready, %zu of them in parked runs",
              (unsigned long long)st->heap_released, a.prepared, a.parked_scav);
    if (st->heap_inuse + st->heap_idle + (uint64_t)a.parked_pages * 8192 != st->heap_sys)
        hfail(f, "stats: heap_inuse %llu + heap_idle %llu + %zu parked pages != heap_sys %llu",
              (unsigned long long)st->heap_inuse, (unsigned long long)st->heap_idle, a.parked_pages,
              (unsigned long long)st->heap_sys);
}

FUZZ_NOCOV static void check_accounting_now(hf *f) {
    ga_stats st;
    ga_heap_stats(f->h, &st);
    check_accounting(f, &st);
}

static int cmp_uptr(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

/* Bytes of the distinct spans that hold owed extents (white box: ga_mheap_span_of;
 * each span's size is checked against the shadow's own class table). */
FUZZ_NOCOV static size_t owed_span_bytes(hf *f) {
    uint32_t n = f->sh.next_ext;
    uintptr_t *base = malloc((n ? n : 1) * sizeof *base);
    if (!base)
        abort();
    for (uint32_t i = 0; i < n; i++) {
        const sh_obj *o = &f->sh.objs[f->sh.ext[i]];
        const ga_mspan *sp = ga_mheap_span_of(f->h, o->addr);
        uint32_t cls = o->spanclass >> 1;
        size_t want = cls ? (size_t)sh_class_pages[cls] * 8192 : o->usable;
        if (!sp || (sp->npages << 13) != want)
            hfail(f, "owed extent #%u at %#lx (class %u): span %p of %lu pages, expected %zu bytes", o->id,
                  (unsigned long)o->addr, cls, (const void *)sp, sp ? (unsigned long)sp->npages : 0ul, want);
        base[i] = sp->base;
    }
    qsort(base, n, sizeof *base, cmp_uptr);
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        if (i == 0 || base[i] != base[i - 1])
            total += ga_mheap_span_of(f->h, base[i])->npages << 13;
    free(base);
    return total;
}

/* exact: right after ga_gc_end + a full sweep, nothing since. */
FUZZ_NOCOV static void check_stats(hf *f, bool exact) {
    ga_stats st;
    ga_heap_stats(f->h, &st);
    check_accounting(f, &st);
    size_t span_bytes = owed_span_bytes(f);
    if (st.heap_inuse < span_bytes)
        hfail(f, "stats: heap_inuse %llu < %zu bytes of spans holding owed objects", (unsigned long long)st.heap_inuse,
              span_bytes);
    if (st.heap_inuse + st.heap_idle > st.heap_sys)
        hfail(f, "stats: heap_inuse %llu + heap_idle %llu > heap_sys %llu", (unsigned long long)st.heap_inuse,
              (unsigned long long)st.heap_idle, (unsigned long long)st.heap_sys);
    if (st.heap_released > st.heap_idle)
        hfail(f, "stats: heap_released %llu > heap_idle %llu", (unsigned long long)st.heap_released,
              (unsigned long long)st.heap_idle);
    if (st.heap_inuse < f->sh.owed_bytes)
        hfail(f, "stats: heap_inuse %llu < %zu bytes owed", (unsigned long long)st.heap_inuse, f->sh.owed_bytes);
    if (st.heap_sys > iv_total(&f->mapped))
        hfail(f, "stats: heap_sys %llu > %zu bytes mapped", (unsigned long long)st.heap_sys, iv_total(&f->mapped));
    if (st.nfree > st.nmalloc)
        hfail(f, "stats: nfree %llu > nmalloc %llu", (unsigned long long)st.nfree, (unsigned long long)st.nmalloc);
    if (!f->folded)
        return;
    /* Caches flushed: cumulative counts are folded, only sweeping may lag. */
    uint64_t owed[GA_NUM_SIZE_CLASSES];
    owed_by_class(f, owed);
    uint64_t live = st.nmalloc - st.nfree;
    if (exact ? live != f->sh.next_ext : live < f->sh.next_ext)
        hfail(f, "stats: nmalloc %llu - nfree %llu = %llu objects, shadow owes %u%s", (unsigned long long)st.nmalloc,
              (unsigned long long)st.nfree, (unsigned long long)live, f->sh.next_ext,
              exact ? " (after a full sweep)" : "");
    if (exact && st.heap_inuse != span_bytes)
        hfail(f,
              "stats: heap_inuse %llu after a full sweep with every cache flushed, but the spans holding owed "
              "objects have %zu bytes (an empty span stayed in use)",
              (unsigned long long)st.heap_inuse, span_bytes);
    if (exact ? st.heap_alloc != f->sh.owed_bytes : st.heap_alloc < f->sh.owed_bytes)
        hfail(f, "stats: heap_alloc %llu, shadow owes %zu bytes%s", (unsigned long long)st.heap_alloc, f->sh.owed_bytes,
              exact ? " (after a full sweep)" : "");
    for (int c = 0; c < GA_NUM_SIZE_CLASSES; c++) {
        uint64_t l = st.by_size[c].nmalloc - st.by_size[c].nfree;
        if (st.by_size[c].nfree > st.by_size[c].nmalloc || (exact ? l != owed[c] : l < owed[c]))
            hfail(f, "stats: class %d: nmalloc %llu - nfree %llu, shadow owes %llu", c,
                  (unsigned long long)st.by_size[c].nmalloc, (unsigned long long)st.by_size[c].nfree,
                  (unsigned long long)owed[c]);
    }
}

/* ---- refusal accounting (white box: h->os's counters) ------------------------------ */

/* Refusable calls numbered in (c0, c1] that os_fail_nth / os_fail_after refuse. */
static uint64_t injected_between(const ga_config *cfg, uint64_t c0, uint64_t c1) {
    uint64_t n = 0, after = cfg->os_fail_after, nth = cfg->os_fail_nth;
    if (after && c1 > after)
        n = c1 - (c0 > after ? c0 : after);
    if (nth > c0 && nth <= c1 && !(after && nth > after))
        n++;
    return n;
}

static void op_begin(hf *f) {
    f->op_calls = atomic_load(&f->h->os.calls);
    f->op_refusals = atomic_load(&f->h->os.refusals);
    f->op_limits = atomic_load(&f->h->os.limit_refusals);
    f->hook_refused = 0;
    f->peak_mapped = f->mapped_bytes;
}

/* Every refusal counted during the operation is explained by an injection, our map
 * hook or the mapped limit (this driver's OS never fails on its own at these sizes),
 * and the last limit refusal was sound: the bytes mapped then -- at most the most our
 * own model held during the operation -- plus the bytes asked exceed the limit. */
FUZZ_NOCOV static void op_end(hf *f) {
    const ga_os *os = &f->h->os;
    uint64_t calls = atomic_load(&os->calls), refused = atomic_load(&os->refusals) - f->op_refusals;
    uint64_t limits = atomic_load(&os->limit_refusals) - f->op_limits;
    uint64_t injected = injected_between(&f->cfg, f->op_calls, calls);
    if (refused != injected + f->hook_refused + limits)
        hfail(f,
              "%llu OS refusals, explained: %llu injected (calls %llu..%llu), %llu by the map hook, %llu by the limit",
              (unsigned long long)refused, (unsigned long long)injected, (unsigned long long)f->op_calls + 1,
              (unsigned long long)calls, (unsigned long long)f->hook_refused, (unsigned long long)limits);
    if (limits == 0)
        return;
    size_t lim = f->cfg.mapped_limit, asked = atomic_load(&os->limit_asked), at = atomic_load(&os->limit_mapped);
    if (lim == 0)
        hfail(f, "%llu refusals by a mapped limit that is not set", (unsigned long long)limits);
    if (at > f->peak_mapped)
        hfail(f, "mapped limit refusal with %zu bytes mapped, but at most %zu were mapped during the operation", at,
              f->peak_mapped);
    if (asked <= lim && at <= lim - asked)
        hfail(f, "mapped_limit %zu refused %zu bytes with %zu mapped: the limit was not in the way", lim, asked, at);
}

/* Right after ga_sweep(h, 0) (goalloc.h: every unswept span is GC-swept and every
 * uncached span with explicit frees is free-swept).  White box: the unswept lists are
 * empty and no span in a swept list -- cached spans are in none -- has pending frees.
 * Black box, when no cache can hold a span (folded): every FREED or UNMARKED slot is
 * reclaimed, so the statistics are exact, as after GC_END's full sweep. */
FUZZ_NOCOV static void check_full_sweep(hf *f) {
    uint32_t swept = ga_swept_gen(ga_heap_sweepgen(f->h));
    for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++) {
        const ga_mcentral *c = &f->h->central[spc];
        if (c->partial[1 - swept].head || c->full[1 - swept].head)
            hfail(f, "after ga_sweep(h, 0): class %u still has unswept spans (%zu partial, %zu full)", spc,
                  c->partial[1 - swept].n, c->full[1 - swept].n);
        const ga_span_list *l[2] = {&c->partial[swept], &c->full[swept]};
        for (int k = 0; k < 2; k++)
            for (const ga_mspan *s = l[k]->head; s; s = s->next) {
                uint32_t pending = __atomic_load_n(&s->pending_frees, __ATOMIC_ACQUIRE);
                if (pending)
                    hfail(f, "after ga_sweep(h, 0): span %#lx (class %u, %s list) still has %u pending frees",
                          (unsigned long)s->base, spc, k ? "full" : "partial", pending);
            }
    }
    if (f->folded) {
        sh_all_reclaimed(&f->sh);
        check_stats(f, true);
    }
}

static ga_cache *cache(hf *f, int i) {
    if (!f->c[i]) {
        uint64_t r0 = refusals(f);
        errno = 0;
        f->c[i] = ga_cache_new(f->h);
        if (!f->c[i]) {
            if (errno != ENOMEM || refusals(f) == r0)
                hfail(f, "ga_cache_new failed (errno %d) without an OS refusal", errno);
        }
    }
    return f->c[i];
}

/* Bytes of free, unreleased pages held by the caches' page caches: like Go's, they are
 * idle in the statistics but no scavenger can release them (the caches own them). */
FUZZ_NOCOV static uint64_t pcache_unreleased(ga_cache *const *c, int n) {
    uint64_t pages = 0;
    for (int i = 0; i < n; i++)
        if (c[i])
            pages += (uint64_t)__builtin_popcountll(c[i]->pcache.cache & ~c[i]->pcache.scav);
    return pages * GA_PAGE_SIZE;
}

/* ga_heap_new(NULL): the real OS hooks (outside our OS model), default policy.  One
 * large object written, freed and scavenged (pages released through madvise), the heap
 * checked and destroyed; ga_heap_destroy(NULL) is a no-op.  Nothing in it depends on
 * the input, so it runs once per process (the first input that asks for it), not once
 * per input: a real heap's mmaps, faults and munmaps were 8 % of a corpus replay. */
static bool default_heap_checked;
static void check_default_heap(hf *f) {
    if (default_heap_checked)
        return;
    default_heap_checked = true;
    errno = 0;
    ga_heap *h = ga_heap_new(NULL);
    if (!h) {
        if (errno != ENOMEM)
            hfail(f, "ga_heap_new(NULL) = NULL with errno %d", errno);
        return; /* the real OS may refuse */
    }
    ga_cache *c = ga_cache_new(h);
    unsigned char *p = c ? ga_alloc(c, 40000, 0) : NULL;
    if (p) {
        for (size_t i = 0; i < 40000; i += 4096)
            if (p[i] != 0)
                hfail(f, "default heap: fresh large object not zeroed at +%zu", i);
        memset(p, 0x5a, 40000);
        if (ga_free(c, p) != 0)
            hfail(f, "default heap: ga_free of its only object failed");
    }
    ga_scavenge(h, SIZE_MAX);
    ga_stats st;
    ga_heap_stats(h, &st);
    if (st.heap_released != st.heap_idle - pcache_unreleased(&c, 1))
        hfail(f, "default heap: after ga_scavenge(SIZE_MAX) heap_released %llu != heap_idle %llu",
              (unsigned long long)st.heap_released, (unsigned long long)st.heap_idle);
    char why[256] = "";
    if (ga_heap_check(h, why, sizeof why) != 0)
        hfail(f, "default heap: ga_heap_check: %s", why);
    if (c)
        ga_cache_destroy(c);
    ga_heap_destroy(h);
    ga_heap_destroy(NULL);
}

static const char *rname(int r) {
    return r == 0 ? "0" : r == -EINVAL ? "-EINVAL" : r == -EALREADY ? "-EALREADY" : "other";
}

/* ---- operations --------------------------------------------------------------------- */

static void do_alloc(hf *f, int ci, size_t size, unsigned flags) {
    flags &= GA_NOSCAN | GA_NOZERO;
    bool tiny = sh_is_tiny(size, flags);
    size_t usable = sh_usable_for(size, tiny);
    /* Representable, but arenas live below 2^47: no reservation can hold it, so NULL +
     * ENOMEM (the kernel refuses the reserve) whatever the budget. */
    bool unplaceable = size >= UNPLACEABLE && size <= GA_MAX_ALLOC;
    if (size > 0 && size <= GA_MAX_ALLOC && !unplaceable &&
        (f->sh.nprog >= MAX_PROG || f->sh.owed_bytes + usable > MAX_OWED || usable == 0 ||
         (size > 32768 && size < ARENA_BYTES && f->large_total + usable > MAX_LARGE_TOTAL) ||
         (size >= ARENA_BYTES && f->arena_objs >= MAX_ARENA_OBJS)))
        return; /* stay within the per-input budget */
    if (size > 32768 && size < ARENA_BYTES)
        f->large_total += usable;
    else if (size >= ARENA_BYTES && size <= GA_MAX_ALLOC && !unplaceable)
        f->arena_objs++;
    ga_cache *c = cache(f, ci);
    if (!c)
        return;
    uint64_t r0 = refusals(f);
    errno = 0;
    void *p = ga_alloc(c, size, flags);
    tr(f, "cache %d alloc(%zu, %u) = %p (id %u)", ci, size, flags, p, f->sh.nobjs);
    f->folded = false;
    if (size == 0) {
        if (p != ga_zerobase())
            hfail(f, "ga_alloc(0) = %p, not ga_zerobase() %p", p, ga_zerobase());
        return;
    }
    if (size > GA_MAX_ALLOC) {
        if (p || errno != ENOMEM)
            hfail(f, "ga_alloc(%#zx) = %p, errno %d: expected NULL + ENOMEM", size, p, errno);
        return;
    }
    if (unplaceable && p)
        hfail(f, "ga_alloc(%#zx) = %p: cannot fit below 2^47", size, p);
    if (!p) {
        if (errno != ENOMEM)
            hfail(f, "ga_alloc(%zu, %u) = NULL with errno %d", size, flags, errno);
        if (refusals(f) == r0)
            hfail(f, "ga_alloc(%zu, %u) = NULL + ENOMEM but the OS refused nothing", size, flags);
        return;
    }
    uint32_t id;
    if (sh_on_alloc(&f->sh, ci, size, flags, (uintptr_t)p, &id) != 0)
        hfail(f, "%s", f->sh.why);
    const sh_obj *o = sh_get(&f->sh, id);
    /* Objects live in memory the heap made Ready (the MMU no longer says so under
     * POOL_OPEN, and the pattern code is not instrumented). */
    size_t span = tiny ? o->req : o->usable;
    if (!iv_covers(&f->ready, o->addr, o->addr + span))
        hfail(f, "ga_alloc(%zu) = %p: [%#lx, +%zu) is not all Ready memory (%zu bytes of it are)", size, p,
              (unsigned long)o->addr, span, iv_overlap_bytes(&f->ready, o->addr, o->addr + span));
    if (tiny || !(flags & GA_NOZERO))
        if (sh_check_zero(&f->sh, id, &f->touched) != 0)
            hfail(f, "%s", f->sh.why);
    if (tiny) {
        void *b = ga_object_base(f->h, p);
        if ((uintptr_t)b != (o->addr & ~(uintptr_t)15))
            hfail(f, "tiny %p (%zu B): ga_object_base = %p, expected its block %#lx", p, size, b,
                  (unsigned long)(o->addr & ~(uintptr_t)15));
    } else {
        size_t u = ga_usable_size(f->h, p);
        if (u != o->usable)
            hfail(f, "ga_usable_size(%p) = %zu for a %zu-byte request, expected %zu", p, u, size, o->usable);
        void *b0 = ga_object_base(f->h, p), *b1 = ga_object_base(f->h, (char *)p + o->usable - 1);
        if (b0 != p || b1 != p)
            hfail(f, "ga_object_base of %p / last byte = %p / %p", p, b0, b1);
    }
    sh_fill(&f->sh, id, &f->touched);
}

/* ga_free(p) on cache ci, judged by the shadow; `foreign`: p is known to be no slot
 * start of the heap at all (not the heap's, or a span's tail), so only -EINVAL. */
static void do_free_ptr(hf *f, int ci, void *p, bool foreign) {
    ga_cache *c = cache(f, ci);
    if (!c)
        return;
    uint32_t id = SH_NONE;
    unsigned allowed = foreign ? SH_R_EINVAL : sh_free_expect(&f->sh, (uintptr_t)p, &id);
    if (id != SH_NONE && f->sh.objs[id].state == SH_LIVE) {
        if (sh_check(&f->sh, id, &f->touched) != 0)
            hfail(f, "before free: %s", f->sh.why);
        sh_on_free(&f->sh, id); /* not owed from here on: the free may release its pages */
    }
    ga_stats before = {0}, after;
    bool may_fail = allowed & (SH_R_EINVAL | SH_R_EALREADY);
    if (may_fail)
        ga_heap_stats(f->h, &before);
    int r = ga_free(c, p);
    tr(f, "cache %d free(%p) = %s (shadow #%d)", ci, p, rname(r), id == SH_NONE ? -1 : (int)id);
    unsigned got = r == 0 ? SH_R_OK : r == -EINVAL ? SH_R_EINVAL : r == -EALREADY ? SH_R_EALREADY : 0;
    if (!(got & allowed))
        hfail(f, "ga_free(%p) = %d (%s), allowed:%s%s%s%s", p, r, rname(r), allowed & SH_R_OK ? " 0" : "",
              allowed & SH_R_EINVAL ? " -EINVAL" : "", allowed & SH_R_EALREADY ? " -EALREADY" : "",
              id != SH_NONE ? " (shadow object follows)" : "");
    if (r == 0) {
        if (id != SH_NONE && f->sh.objs[id].state != SH_FREED)
            sh_on_free(&f->sh, id); /* an unmarked, unswept object */
        /* Freed, even before its sweep: no object any more for the queries. */
        size_t us = ga_usable_size(f->h, p);
        void *ob = ga_object_base(f->h, p);
        if (us != 0 || ob != NULL)
            hfail(f, "after ga_free(%p) = 0: ga_usable_size %zu, ga_object_base %p (want 0, NULL)", p, us, ob);
    } else {
        ga_heap_stats(f->h, &after);
        if (memcmp(&before, &after, sizeof before) != 0)
            hfail(f, "ga_free(%p) = %s changed the heap statistics", p, rname(r));
    }
}

/* A point inside LIVE program object o (offset off modulo its extent). */
static uintptr_t interior(const sh_obj *o, uint32_t off) {
    size_t lim = o->kind == SH_TINY ? o->req : o->usable;
    return o->addr + off % lim;
}

static void do_mark(hf *f, uint32_t id, uintptr_t p) {
    unsigned allowed = sh_mark_expect(&f->sh, id);
    int r = ga_mark(f->h, (void *)p);
    tr(f, "mark(%#lx) #%u = %d", (unsigned long)p, id, r);
    unsigned got = r == 1 ? SH_M_NEW : r == 0 ? SH_M_ALREADY : 0;
    if (!(got & allowed)) {
        const sh_obj *o = &f->sh.objs[id];
        hfail(f, "ga_mark(%#lx) in %s object #%u (%#lx+%zu%s) = %d, expected %s", (unsigned long)p,
              o->kind == SH_TINY    ? "tiny"
              : o->kind == SH_LARGE ? "large"
                                    : "small",
              id, (unsigned long)o->addr, o->usable, o->black ? ", black" : "", r,
              allowed == SH_M_NEW       ? "1"
              : allowed == SH_M_ALREADY ? "0"
                                        : "0 or 1");
    }
    sh_on_mark(&f->sh, id);
}

/* Does p lie in an object the program freed explicitly (maybe not reclaimed yet)?
 * Freed extents may overlap older dead ones, so a linear scan (MARK_JUNK only). */
FUZZ_NOCOV static bool in_freed(const hf *f, uintptr_t p) {
    for (uint32_t id = 0; id < f->sh.nobjs; id++) {
        const sh_obj *o = &f->sh.objs[id];
        if (o->state == SH_FREED && p - o->addr < o->usable)
            return true;
    }
    return false;
}

/* A pointer the heap never handed out: not in any reservation of ours. */
static void *foreign_ptr(hf *f, uint8_t k, void *stack) {
    static const uintptr_t odd[] = {1,
                                    8,
                                    4096,
                                    0x7fffffff0000ull,
                                    0xffff800000000000ull,
                                    UINTPTR_MAX - 7,
                                    0x0000800000000000ull /* non-canonical: beyond the arena index */};
    (void)f;
    switch (k % 4) {
    case 0:
        return NULL;
    case 1:
        return ga_zerobase();
    case 2:
        return stack;
    default:
        return (void *)odd[(k / 4) % (sizeof odd / sizeof odd[0])];
    }
}

/* Size for class c (1..67), variant v. */
static size_t class_size(uint32_t c, uint32_t v) {
    size_t sz = sh_class_bytes[c], prev = sh_class_bytes[c - 1];
    switch (v % 5) {
    case 0:
        return sz;
    case 1:
        return sz + 1; /* the next class, or large for 32768 */
    case 2:
        return prev + 1; /* smallest of the class */
    case 3:
        return sz - 1;
    default:
        return prev + 1 + (v / 5) % (sz - prev);
    }
}

/* ---- the operations: one handler each, in the order of fuzz/heap_ops.h ------------- */
/* Each reads its arguments (all of them, first) from `in` and acts on cache f->ci. */

static void op_alloc_class(hf *f, fuzz_input *in) {
    uint32_t c = 1 + fi_u8(in) % 67, v = fi_u8(in);
    do_alloc(f, f->ci, class_size(c, v >> 2), v & 3);
}

static void op_alloc_tiny(hf *f, fuzz_input *in) {
    uint32_t v = fi_u8(in);
    do_alloc(f, f->ci, 1 + (v >> 2) % 15, GA_NOSCAN | (v & 2));
}

static void op_alloc_size(hf *f, fuzz_input *in) {
    size_t s = fi_u16(in);
    do_alloc(f, f->ci, s, fi_u8(in) & 3);
}

static void op_alloc_large(hf *f, fuzz_input *in) {
    size_t n = fi_u16(in);
    uint32_t v = fi_u8(in);
    /* Mostly modest (up to 1 MiB), one in sixteen up to 2 MiB and one up to
     * 32 MiB: page faults on the memory the allocator zeroes (reused spans
     * are zeroed whole) and the driver samples dominate the run time. */
    static const unsigned shift[16] = {0, 4, 5, 5, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 9, 9};
    size_t np = 5 + ((n % 4092) >> shift[(v >> 4) % 16]);
    static const long delta[4] = {0, 1, -1, -4097};
    do_alloc(f, f->ci, (size_t)((long)(np * 8192) + delta[(v >> 2) % 4]), v & 3);
}

static void op_alloc_burst(hf *f, fuzz_input *in) {
    uint32_t c = 1 + fi_u8(in) % 67, v = fi_u8(in), n = 1 + fi_u8(in) % (f->cfg.debug_checks ? DEBUG_MAX_BURST : 64);
    size_t s = class_size(c, v >> 2);
    if (n > 2 && n * s > MAX_BURST_BYTES)
        n = s >= MAX_BURST_BYTES / 2 ? 2 : (uint32_t)(MAX_BURST_BYTES / s); /* page faults are the cost */
    for (uint32_t i = 0; i < n; i++)
        do_alloc(f, f->ci, s, v & 3);
}

static void op_alloc_odd(hf *f, fuzz_input *in) {
    static const size_t odd[] = {0,
                                 GA_MAX_ALLOC + 1,
                                 SIZE_MAX,
                                 SIZE_MAX - 8191,
                                 SIZE_MAX - 32767,
                                 (size_t)1 << 63,
                                 ((size_t)1 << 48) + 8192,
                                 UNPLACEABLE,
                                 GA_MAX_ALLOC,
                                 ((size_t)64 << 20) + 1 /* spans two arenas */};
    uint8_t k = fi_u8(in);
    do_alloc(f, f->ci, odd[k % (sizeof odd / sizeof odd[0])], k >> 6);
}

static void op_free(hf *f, fuzz_input *in) {
    uint32_t i = fi_u16(in);
    if (f->sh.nprog)
        do_free_ptr(f, f->ci, (void *)f->sh.objs[f->sh.prog[i % f->sh.nprog]].addr, false);
}

static void op_free_range(hf *f, fuzz_input *in) {
    uint32_t i = fi_u16(in), n = 1 + fi_u8(in) % (f->cfg.debug_checks ? DEBUG_MAX_BURST : 32);
    for (uint32_t k = 0; k < n && f->sh.nprog; k++)
        do_free_ptr(f, f->ci, (void *)f->sh.objs[f->sh.prog[(i + k) % f->sh.nprog]].addr, false);
}

static void op_free_interior(hf *f, fuzz_input *in) {
    uint32_t i = fi_u16(in), o = fi_u16(in);
    if (f->sh.nprog) {
        const sh_obj *x = &f->sh.objs[f->sh.prog[i % f->sh.nprog]];
        uintptr_t p = interior(x, o);
        if (p == x->addr && x->usable > 1)
            p++;
        do_free_ptr(f, f->ci, (void *)p, false);
    }
}

static void op_free_any(hf *f, fuzz_input *in) {
    uint32_t i = fi_u16(in);
    if (f->sh.nobjs)
        do_free_ptr(f, f->ci, (void *)f->sh.objs[i % f->sh.nobjs].addr, false);
}

static void op_free_foreign(hf *f, fuzz_input *in) {
    int stack_var = 0;
    void *p = foreign_ptr(f, fi_u8(in), &stack_var);
    /* an "odd" address that happens to be in our reservations is judged normally */
    do_free_ptr(f, f->ci, p, !iv_covers(&f->reserved, (uintptr_t)p, (uintptr_t)p + 1));
    if (ga_free(NULL, p) != -EINVAL) /* no cache: refused before p is looked at */
        hfail(f, "ga_free(NULL cache, %p) != -EINVAL", p);
}

static void op_query(hf *f, fuzz_input *in) {
    uint32_t i = fi_u16(in), o = fi_u16(in);
    if (!f->sh.nprog)
        return;
    const sh_obj *x = &f->sh.objs[f->sh.prog[i % f->sh.nprog]];
    uintptr_t p = interior(x, o);
    uintptr_t base = x->kind == SH_TINY ? x->addr & ~(uintptr_t)15 : x->addr;
    void *got = ga_object_base(f->h, (void *)p);
    if ((uintptr_t)got != base)
        hfail(f, "ga_object_base(%#lx) = %p, object #%u starts at %#lx (slot %#lx)", (unsigned long)p, got, x->id,
              (unsigned long)x->addr, (unsigned long)base);
    size_t u = ga_usable_size(f->h, (void *)p);
    size_t want = (x->kind == SH_TINY || p != x->addr) ? 0 : x->usable;
    if (u != want)
        hfail(f, "ga_usable_size(%#lx) = %zu, expected %zu (object #%u at %#lx)", (unsigned long)p, u, want, x->id,
              (unsigned long)x->addr);
    if (sh_check(&f->sh, x->id, &f->touched) != 0)
        hfail(f, "%s", f->sh.why);
    /* One-page classes: the span starts at the page, and bytes past its last
     * slot (tail waste) belong to no object. */
    uint32_t cls = x->spanclass >> 1;
    if (x->kind == SH_SMALL && sh_class_pages[cls] == 1 && 8192 % sh_class_bytes[cls] != 0) {
        uintptr_t page = x->addr & ~(uintptr_t)8191;
        uintptr_t tail = page + 8192 / sh_class_bytes[cls] * sh_class_bytes[cls] + o % (8192 % sh_class_bytes[cls]);
        void *b = ga_object_base(f->h, (void *)tail);
        size_t tu = ga_usable_size(f->h, (void *)tail);
        if (b || tu)
            hfail(f,
                  "span tail %#lx (class %u, after the last slot of page %#lx): ga_object_base %p, "
                  "ga_usable_size %zu",
                  (unsigned long)tail, cls, (unsigned long)page, b, tu);
        if (f->gc) {
            int r = ga_mark(f->h, (void *)tail);
            if (r != -EINVAL)
                hfail(f, "ga_mark(span tail %#lx) = %d", (unsigned long)tail, r);
        }
        do_free_ptr(f, f->ci, (void *)tail, true);
    }
}

static void op_gc_begin(hf *f, fuzz_input *in) {
    (void)in;
    if (f->gc)
        return;
    ga_gc_begin(f->h);
    sh_gc_begin(&f->sh);
    f->gc = true;
}

static void op_mark(hf *f, fuzz_input *in) {
    uint32_t i = fi_u16(in), o = fi_u16(in);
    if (!f->gc || !f->sh.nprog)
        return;
    uint32_t id = f->sh.prog[i % f->sh.nprog];
    do_mark(f, id, interior(&f->sh.objs[id], o));
}

static void op_mark_range(hf *f, fuzz_input *in) {
    uint32_t i = fi_u16(in), n = 1 + fi_u8(in);
    if (!f->gc)
        return;
    for (uint32_t k = 0; k < n && k < f->sh.nprog; k++) {
        uint32_t id = f->sh.prog[(i + k) % f->sh.nprog];
        do_mark(f, id, f->sh.objs[id].addr);
    }
}

static void op_mark_junk(hf *f, fuzz_input *in) {
    uint32_t i = fi_u16(in);
    uint8_t k = fi_u8(in);
    if (!f->gc)
        return;
    int stack_var = 0;
    void *p;
    if (k & 1 || !f->sh.nobjs) {
        p = foreign_ptr(f, k >> 1, &stack_var);
    } else {
        const sh_obj *x = &f->sh.objs[i % f->sh.nobjs];
        p = (void *)(x->addr + (k >> 1) % x->usable);
    }
    bool freed = in_freed(f, (uintptr_t)p); /* p lies in an object the program freed */
    uint32_t e = sh_extent_at(&f->sh, (uintptr_t)p);
    int r = ga_mark(f->h, p);
    tr(f, "mark(%p) = %d (extent #%d%s)", p, r, e == SH_NONE ? -1 : (int)e, freed ? ", freed object" : "");
    if (e == SH_NONE) {
        /* Owed to nobody.  Sweeping finished at ga_gc_begin, so the slot is free
         * (-EINVAL), or freed and not yet reclaimed: a mark there changes
         * nothing (sweep: live = marked and not freed), so 0/1 is allowed. */
        if (r != -EINVAL && !(freed && (r == 0 || r == 1)))
            hfail(f, "ga_mark(%p) of memory owed to nobody = %d, expected -EINVAL%s", p, r,
                  freed ? " (or 0/1: a freed object)" : "");
    } else {
        unsigned allowed = sh_mark_expect(&f->sh, e);
        unsigned got = r == 1 ? SH_M_NEW : r == 0 ? SH_M_ALREADY : 0;
        if (!(got & allowed))
            hfail(f, "ga_mark(%p) in owed extent #%u = %d", p, e, r);
        sh_on_mark(&f->sh, e);
    }
}

/* The scavenger's goal (GA_SCAVENGE_ON_GC; malloc.c, ga_gc_mark_termination): at the
 * end of mark termination, with every cache flushed, free pages not released beyond
 * retain = floor(heap_inuse * retain_percent / 100) are released, highest first, whole
 * 8 KiB pages, and at least the excess: so what stays unreleased is exactly U when
 * U <= retain, else retain rounded down to a page, U being the free unreleased bytes
 * then.  Nothing in ga_gc_end allocates pages or releases them otherwise (sweeping
 * and flushing only free pages, which were Ready), so heap_released grows by what the
 * scavenger released (S) and U = (heap_idle - heap_released after) + S.  retain_percent
 * 0 means Go's retainExtraPercent, 10 (ga_heap_new).  Without the policy S = 0. */
FUZZ_NOCOV static void check_scavenge_goal(hf *f, const ga_stats *b, const ga_stats *a) {
    if (a->heap_released < b->heap_released)
        hfail(f, "ga_gc_end: heap_released fell from %llu to %llu", (unsigned long long)b->heap_released,
              (unsigned long long)a->heap_released);
    uint64_t s = a->heap_released - b->heap_released, after = a->heap_idle - a->heap_released;
    if (f->cfg.scavenge_policy == GA_SCAVENGE_IDLE)
        return; /* spans freed by sweeping may end an epoch: checked by op_scavenge's ticks */
    if (f->cfg.scavenge_policy != GA_SCAVENGE_ON_GC) {
        if (s)
            hfail(f, "ga_gc_end without GA_SCAVENGE_ON_GC released %llu bytes", (unsigned long long)s);
        return;
    }
    unsigned pct = f->cfg.retain_percent ? f->cfg.retain_percent : 10;
    uint64_t u = after + s, retain = (uint64_t)((unsigned __int128)a->heap_inuse * pct / 100);
    uint64_t want = u <= retain ? u : retain / 8192 * 8192;
    /* With huge pages (Go's physHugePageSize) one release may be widened down to a huge
     * page boundary rather than split a free, unscavenged huge page: only the call's last
     * candidate is cut to what is still wanted, so at most one widening, short of a huge
     * page by at least a page (pagealloc.h, ga_pagealloc_scavenge). */
    uint64_t slack = f->cfg.huge_page_bytes > 8192 ? f->cfg.huge_page_bytes - 8192 : 0;
    if (after > want || after + slack < want)
        hfail(f,
              "ga_gc_end (retain %u%% of heap_inuse %llu = %llu): %llu free bytes unreleased, %llu released by it; "
              "the goal leaves %llu unreleased (less up to %llu: huge pages)",
              pct, (unsigned long long)a->heap_inuse, (unsigned long long)retain, (unsigned long long)after,
              (unsigned long long)s, (unsigned long long)want, (unsigned long long)slack);
}

static void op_gc_end(hf *f, fuzz_input *in) {
    uint8_t v = fi_u8(in);
    ga_stats before, after;
    ga_heap_stats(f->h, &before);
    /* Reachability is decided before mark termination: ga_gc_end may already
     * sweep (flushed stale spans) and scavenge what the unmarked objects held. */
    if (sh_check_unmarked(&f->sh, &f->touched) != 0) /* the last check of what is dropped */
        hfail(f, "%s", f->sh.why);
    sh_gc_end(&f->sh);
    ga_gc_end(f->h);
    ga_heap_stats(f->h, &after);
    check_scavenge_goal(f, &before, &after);
    f->gc = false;
    f->folded = true;
    if (v & 1) {
        ga_sweep(f->h, 0);
        sh_all_reclaimed(&f->sh);
        check_stats(f, true);
    } else {
        check_stats(f, false);
    }
}

static void op_sweep(hf *f, fuzz_input *in) {
    uint8_t budget = fi_u8(in);
    ga_sweep(f->h, budget);
    if (budget == 0)
        check_full_sweep(f);
}

/* v == 254: two epochs of GA_SCAVENGE_IDLE's clock (ga_heap_tick).  With no span
 * operation in them, the second epoch's minimum is what the first left unreleased, so
 * afterwards fewer than retain + GA_SCAV_MIN_BATCH pages stay unreleased, retain =
 * floor(pages in use * retain_percent / 100) (0 -> 10); under another policy a tick
 * releases nothing. */
FUZZ_NOCOV static void check_ticks(hf *f) {
    ga_stats b, a;
    ga_heap_stats(f->h, &b);
    for (unsigned t = 0; t < 2 * GA_SCAV_EPOCH_TICKS; t++)
        ga_heap_tick(f->h);
    ga_heap_stats(f->h, &a);
    if (a.heap_released < b.heap_released || a.heap_idle != b.heap_idle)
        hfail(f, "ga_heap_tick: heap_released %llu -> %llu, heap_idle %llu -> %llu",
              (unsigned long long)b.heap_released, (unsigned long long)a.heap_released, (unsigned long long)b.heap_idle,
              (unsigned long long)a.heap_idle);
    if (f->cfg.scavenge_policy != GA_SCAVENGE_IDLE) {
        if (a.heap_released != b.heap_released)
            hfail(f, "ga_heap_tick without GA_SCAVENGE_IDLE released %llu bytes",
                  (unsigned long long)(a.heap_released - b.heap_released));
        return;
    }
    unsigned pct = f->cfg.retain_percent ? f->cfg.retain_percent : 10;
    uint64_t retain = (uint64_t)((unsigned __int128)(a.heap_inuse / 8192) * pct / 100);
    uint64_t left = (a.heap_idle - a.heap_released - pcache_unreleased(f->c, NCACHE)) / 8192;
    if (left >= retain + GA_SCAV_MIN_BATCH)
        hfail(
            f,
            "after two epochs of ticks: %llu free pages unreleased, retain %llu (%u%% of %llu pages in use) + batch %u",
            (unsigned long long)left, (unsigned long long)retain, pct, (unsigned long long)(a.heap_inuse / 8192),
            GA_SCAV_MIN_BATCH);
}

static void op_scavenge(hf *f, fuzz_input *in) {
    uint8_t v = fi_u8(in);
    if (v == 254) {
        check_ticks(f);
        return;
    }
    ga_scavenge(f->h, v == 255 ? SIZE_MAX : (size_t)v << 16);
    if (v == 255) {
        ga_stats st;
        ga_heap_stats(f->h, &st);
        if (st.heap_released != st.heap_idle - pcache_unreleased(f->c, NCACHE))
            hfail(f, "after ga_scavenge(SIZE_MAX): heap_released %llu != heap_idle %llu less the page caches'",
                  (unsigned long long)st.heap_released, (unsigned long long)st.heap_idle);
    }
}

static void op_cache_new(hf *f, fuzz_input *in) {
    (void)in;
    if (f->c[f->ci]) { /* present: the NULL-heap case instead */
        errno = 0;
        if (ga_cache_new(NULL) != NULL || errno != EINVAL)
            hfail(f, "ga_cache_new(NULL) did not fail with EINVAL (errno %d)", errno);
        check_default_heap(f);
    }
    cache(f, f->ci);
}

static void op_cache_destroy(hf *f, fuzz_input *in) {
    (void)in;
    int ci = f->ci;
    if (!f->c[ci])
        ga_cache_destroy(NULL); /* must be a no-op, like free(NULL) */
    if (f->c[ci]) {
        ga_cache_destroy(f->c[ci]);
        f->c[ci] = NULL;
        sh_cache_gone(&f->sh, ci);
        bool all = true;
        for (int k = 0; k < NCACHE; k++)
            all &= f->c[k] == NULL;
        if (all)
            f->folded = true;
    }
}

static void op_check(hf *f, fuzz_input *in) {
    (void)in;
    if (++f->op_checks <= MAX_OP_CHECKS) {
        check_heap(f);
        check_all_contents(f);
    } else
        check_some_contents(f);
    check_stats(f, false);
}

static void op_free_alloc(hf *f, fuzz_input *in) {
    uint32_t i = fi_u16(in);
    if (!f->sh.nprog)
        return;
    const sh_obj *x = &f->sh.objs[f->sh.prog[i % f->sh.nprog]];
    size_t sz = x->req;
    unsigned fl = x->flags;
    do_free_ptr(f, f->ci, (void *)x->addr, false);
    do_alloc(f, f->ci, sz, fl);
}

/* ga_resize_in_place of live program object i: n bit 15 clear, to its usable size + 1 +
 * (n % 2048) * 4 KiB; set, to its usable size - 1 - (n % 2048) * 4 KiB (at least 1
 * byte).  0 for anything but a large object; for a large one either 0 with nothing
 * changed (growing only: the pages after it taken), or its new usable size: the whole
 * pages holding the request; grown, the new bytes owed by nobody else and Ready and
 * the old contents unchanged; heap_alloc and heap_inuse moved by exactly the difference
 * (large objects are counted at once, no cache holds their counts). */
static void op_resize(hf *f, fuzz_input *in) {
    uint32_t i = fi_u16(in), n = fi_u16(in);
    if (!f->sh.nprog)
        return;
    uint32_t id = f->sh.prog[i % f->sh.nprog];
    const sh_obj *x = sh_get(&f->sh, id);
    size_t old = x->usable, delta = 1 + (size_t)(n % 2048) * 4096;
    bool shrink = n & 0x8000;
    size_t want = shrink ? (old > delta ? old - delta : 1) : old + delta;
    bool large = x->kind == SH_LARGE;
    if (large && !shrink && f->large_total + (want - old) + 8192 > MAX_LARGE_TOTAL)
        return; /* the per-input budget */
    ga_cache *c = cache(f, f->ci);
    if (!c)
        return;
    if (large && sh_check(&f->sh, id, &f->touched) != 0)
        hfail(f, "before resize: %s", f->sh.why);
    ga_stats b, a;
    ga_heap_stats(f->h, &b);
    size_t r = ga_resize_in_place(c, (void *)x->addr, want);
    ga_heap_stats(f->h, &a);
    tr(f, "cache %d resize(#%u %#lx, %zu -> %zu) = %zu", f->ci, id, (unsigned long)x->addr, old, want, r);
    if (!large) {
        if (r != 0)
            hfail(f, "ga_resize_in_place of a %s object #%u = %zu, expected 0", x->kind == SH_SMALL ? "small" : "tiny",
                  id, r);
        return;
    }
    if (r == 0) {
        if (shrink)
            hfail(f, "ga_resize_in_place(#%u, %zu -> %zu): a shrink failed", id, old, want);
        if (ga_usable_size(f->h, (void *)x->addr) != old || a.heap_alloc != b.heap_alloc ||
            a.heap_inuse != b.heap_inuse)
            hfail(f, "ga_resize_in_place(#%u, %zu) = 0 but the object or the stats changed", id, want);
        return;
    }
    size_t pages = (want + 8191) / 8192 * 8192;
    if (r != pages)
        hfail(f, "ga_resize_in_place(#%u %#lx, %zu -> %zu) = %zu, expected the %zu bytes of whole pages", id,
              (unsigned long)x->addr, old, want, r, pages);
    if (!shrink && sh_check(&f->sh, id, &f->touched) != 0) /* the old layout: contents kept */
        hfail(f, "after resize: %s", f->sh.why);
    if (sh_on_resize(&f->sh, id, r) != 0)
        hfail(f, "%s", f->sh.why);
    if (!shrink)
        f->large_total += r - old;
    f->folded = false;
    int64_t d = (int64_t)r - (int64_t)old;
    if ((int64_t)(a.heap_alloc - b.heap_alloc) != d || (int64_t)(a.heap_inuse - b.heap_inuse) != d)
        hfail(f, "ga_resize_in_place(#%u) moved it by %lld bytes but heap_alloc by %lld and heap_inuse by %lld", id,
              (long long)d, (long long)(a.heap_alloc - b.heap_alloc), (long long)(a.heap_inuse - b.heap_inuse));
    if (!iv_covers(&f->ready, x->addr, x->addr + r))
        hfail(f, "resized object %#lx+%zu is not all Ready memory", (unsigned long)x->addr, r);
    void *last = ga_object_base(f->h, (void *)(x->addr + r - 1)), *next = ga_object_base(f->h, (void *)(x->addr + r));
    if (ga_usable_size(f->h, (void *)x->addr) != r || last != (void *)x->addr || next == (void *)x->addr)
        hfail(f, "resized object %#lx: ga_usable_size %zu (expected %zu), last byte's base %p, next byte's %p",
              (unsigned long)x->addr, ga_usable_size(f->h, (void *)x->addr), r, last, next);
    /* A shrunk object's kept part is not checked again here: the new layout samples
     * bytes (its last pages) the old one never filled.  The pattern is written anew. */
    sh_fill(&f->sh, id, &f->touched);
}

/* ---- the table (fuzz/heap_ops.h) and the loop -------------------------------------- */

enum { HEAP_OPS(FUZZ_OP_ENUM) OP_NUM = 0 HEAP_OPS(FUZZ_OP_PLUS_ONE) };
enum { HEAP_OPS(FUZZ_OP_SEQ) };
HEAP_OPS(FUZZ_OP_IN_ORDER)

typedef struct hf_op {
    const char *name;
    void (*run)(hf *, fuzz_input *);
    int arg_bytes;
} hf_op;

static const hf_op ops[OP_NUM] = {
#define HF_OP_ROW(code, NAME, name, args, layout) [code] = {#name, op_##name, args},
    HEAP_OPS(HF_OP_ROW)
#undef HF_OP_ROW
};

/* GA_FUZZ_TRACE: the op, the bytes it read, and the shadow's counts after it. */
static void trace_op(const hf *f, const fuzz_input *in, size_t start, const char *what) {
    fprintf(stderr, "heap #%zu @%zu+%zu c%d %s | live %u owed %u %zu B objs %u\n", f->op, start, in->pos - start, f->ci,
            what, f->sh.nprog, f->sh.next_ext, f->sh.owed_bytes, f->sh.nobjs);
}

static void run(hf *f, fuzz_input *in) {
    bool op_trace = fuzz_trace_on();
    while (fi_left(in) > 0 && f->op < MAX_OPS && f->touched < MAX_TOUCH) {
        f->op++;
        op_begin(f);
        size_t start = in->pos;
        uint8_t b = fi_u8(in);
        f->ci = b >> 6;
        if (b == CORRUPT_OP_BYTE) { /* corrupt, check, restore (support/corrupt.h); among the first 128 ops */
            f->opname = "corrupt";
            const char *k = corrupt_heap_op(f->h, in, f->op <= 128);
            tr(f, "corrupt %s", k ? k : "(none)");
            FUZZ_OP_READ_CHECK("heap_fuzz", "corrupt", FUZZ_CORRUPT_ARG_BYTES, start, in);
            if (op_trace)
                trace_op(f, in, start, k ? k : "corrupt (none)");
            continue;
        }
        const hf_op *op = &ops[(b & 63u) % OP_NUM];
        f->opname = op->name;
        if (f->trace) {
            ga_stats st;
            ga_heap_stats(f->h, &st);
            tr(f, "cache %d; live %u, owed %u (%zu B), heap_inuse %llu idle %llu released %llu", f->ci, f->sh.nprog,
               f->sh.next_ext, f->sh.owed_bytes, (unsigned long long)st.heap_inuse, (unsigned long long)st.heap_idle,
               (unsigned long long)st.heap_released);
        }
        op->run(f, in);
        FUZZ_OP_READ_CHECK("heap_fuzz", op->name, op->arg_bytes, start, in);
        if (op_trace)
            trace_op(f, in, start, op->name);
        op_end(f);
        check_accounting_now(f);
        if (f->op % CHECK_EVERY == 0)
            check_some_contents(f);
        if (f->op % HEAP_CHECK_EVERY == 0) {
            check_heap(f);
            check_stats(f, false);
        }
    }
}

/* The driver's own state is reused from input to input: emptied, its buffers kept
 * (growing them again cost every input fresh pages under ASan, whose quarantine never
 * hands freed memory straight back). */
static hf *spare;

FUZZ_NOCOV static void hf_empty(hf *f) {
    hf keep = *f;
    memset(f, 0, sizeof *f);
    f->sh = keep.sh;
    sh_reset(&f->sh);
    ivset *sets[] = {&f->reserved, &f->mapped, &f->closed, &f->arena_mapped, &f->dirty, &f->ready};
    const ivset *kept[] = {&keep.reserved, &keep.mapped, &keep.closed, &keep.arena_mapped, &keep.dirty, &keep.ready};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        *sets[i] = (ivset){kept[i]->v, 0, kept[i]->cap};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in;
    fi_init(&in, data, size);
    hf *f = spare;
    spare = NULL;
    if (!f) {
        if (!(f = calloc(1, sizeof *f)))
            abort();
        sh_init(&f->sh);
    }
    const char *t = getenv("HEAP_FUZZ_TRACE");
    f->trace = t && *t && *t != '0';
    if (fuzz_trace_on())
        fprintf(stderr, "heap input of %zu bytes\n", size);
    f->opname = "header";
    /* Header: flags:u8 retain:u8 limit:u16 nth:u16 after:u16 hookmap:u8 */
    uint8_t fl = fi_u8(&in), retain = fi_u8(&in);
    uint16_t limit = fi_u16(&in), nth = fi_u16(&in), after = fi_u16(&in);
    uint8_t hookmap = fi_u8(&in);
    /* ga_heap_check after every call: affordable for short inputs only. */
    f->cfg.debug_checks = (fl & 1) && size <= DEBUG_MAX_INPUT;
    /* flags bit 1: a scavenger policy; retain bit 6 picks GA_SCAVENGE_IDLE over ON_GC. */
    f->cfg.scavenge_policy = !(fl & 2) ? GA_SCAVENGE_NONE : retain & 0x40 ? GA_SCAVENGE_IDLE : GA_SCAVENGE_ON_GC;
    f->cfg.retain_percent = retain & 0x3f;
    f->ignore_hints = retain & 0x80;
    f->keep_on_unused = fl & 4;
    /* hookmap bit 0 when flags bit 6 (hooks) is clear: no page caches (every span from
     * pageAlloc under the heap lock). */
    f->cfg.no_page_cache = !(fl & 64) && (hookmap & 1);
    /* 2 MiB huge pages for the scavenger when retain_percent is odd, else none (no header
     * bit is spare; never the machine's own THP size: a replay must not depend on it) */
    f->cfg.huge_pages_set = 1;
    f->cfg.huge_page_bytes = retain & 1 ? (size_t)2 << 20 : 0;
    if (fl & 8)
        f->cfg.mapped_limit = ((size_t)32 << 20) + (size_t)limit * 65536; /* the arena index alone maps 32 MiB */
    if (fl & 16)
        f->cfg.os_fail_nth = nth;
    if (fl & 32)
        f->cfg.os_fail_after = after;
    if ((fl & 64) && !(hookmap & 0x80)) {
        f->hook_fail_map = hookmap;
    } else if (fl & 64) { /* bit 7: another hook, by bits 5-6, at its (hookmap & 31)-th call */
        unsigned which = (hookmap >> 5) & 3;
        if (which == 1)
            f->hook_fail_reserve = hookmap & 31;
        else if (which == 2)
            f->hook_err_unused = hookmap & 31;
        else
            f->hook_fail_used = hookmap & 31;
    }
    f->hooks = (ga_os_hooks){h_reserve, h_map, h_used, h_unused, h_release, h_fault, f};
    f->cfg.os = &f->hooks;

    errno = 0;
    f->h = ga_heap_new(&f->cfg);
    if (!f->h) {
        if (errno != ENOMEM)
            hfail(f, "ga_heap_new failed with errno %d", errno);
        if (!(f->cfg.mapped_limit || f->cfg.os_fail_nth || f->cfg.os_fail_after || f->hook_fail_map ||
              f->hook_fail_used || f->hook_fail_reserve))
            hfail(f, "ga_heap_new failed without any refusal configured");
    } else {
        f->folded = true;
        int ncache = fl & 128 ? NCACHE : 1;
        op_begin(f);
        for (int i = 0; i < ncache; i++)
            cache(f, i);
        op_end(f);
        run(f, &in);
        f->opname = "end";
        check_all_contents(f);
        check_stats(f, false);
        /* Destroy caches 0 and 2 explicitly, leave 1 and 3 to ga_heap_destroy. */
        for (int i = 0; i < NCACHE; i += 2)
            if (f->c[i]) {
                ga_cache_destroy(f->c[i]);
                f->c[i] = NULL;
                sh_cache_gone(&f->sh, i);
            }
        check_heap(f);
        check_all_contents(f);
        /* Past this point the heap's memory is gone: the shadow owes nothing. */
        sh_reset(&f->sh);
        f->opname = "ga_heap_destroy";
        ga_heap_destroy(f->h);
    }
    if (f->reserved.n || f->mapped_bytes)
        hfail(f, "after the heap is gone: %zu bytes still reserved in %zu ranges (first %#lx+%lu), %zu mapped",
              iv_total(&f->reserved), f->reserved.n, f->reserved.n ? (unsigned long)f->reserved.v[0].lo : 0ul,
              f->reserved.n ? (unsigned long)(f->reserved.v[0].hi - f->reserved.v[0].lo) : 0ul, f->mapped_bytes);
    hf_empty(f);
    spare = f;
    return 0;
}
