/* Fuzz driver replaying real programs' allocation traces (GOALLOC_TRACE, cut into
 * inputs by fuzz/trace2fuzz.py) through the malloc drop-in's request mapping
 * (dropin/request.h, the header dropin/malloc.c uses) on the goalloc core API.
 *
 * Why not heap_fuzz's format: heap_fuzz addresses live objects by index into a list
 * that every alloc and free reorders, and asks for size classes, not byte counts; a
 * trace is a sequence of C calls on named objects by named threads.  Here an object
 * lives in a slot the input names (so a window of a trace is written once, without
 * simulating the driver, and a mutation leaves the other ops' objects alone), and each
 * op is one C call with its own arguments.
 *
 * The drop-in's calls, mirrored: malloc, calloc, realloc, reallocarray,
 * posix_memalign, aligned_alloc, memalign, valloc, pvalloc, free, malloc_usable_size,
 * and a thread's exit (its cache released), each on the cache of the op's thread (one
 * ga_cache per traced thread, up to 8: a free by another thread takes the
 * cross-thread path).  Objects over-allocated for alignments above 8 KiB are freed as
 * the drop-in frees them: ga_free of the aligned address first (-EINVAL), then of the
 * object's start.
 *
 * Oracles (nothing the allocator says is trusted):
 *  - the shadow heap (fuzz/shadow.c): no overlap with any live object, class
 *    alignment, usable size = the shadow's class size, the pattern of every object
 *    intact at its free, at realloc, in periodic slices and at the end;
 *  - the C rules: alignment 16 for requests over 8 bytes (8 below), the requested
 *    alignment for the aligned calls; malloc_usable_size >= the request and = the
 *    shadow's slot size less the alignment offset; calloc's memory zero; NULL only
 *    with ENOMEM for sizes that overflow or that no reservation can hold, EINVAL for
 *    bad alignments; realloc keeps the contents (checked in the new block against the
 *    old block's pattern, after the old one is freed) and leaves p untouched when it
 *    fails;
 *  - bad frees (interior pointers, double frees, foreign addresses, also through
 *    realloc): the result the shadow allows, never 0, and ga_heap_stats unchanged;
 *  - ga_heap_check every HEAP_CHECK_EVERY ops, at CHECK and at the end; at the end,
 *    with every cache released and a full sweep, exact statistics (nmalloc - nfree =
 *    objects owed, heap_alloc = bytes owed).
 *
 * Deterministic: a fresh heap (real OS, default configuration) per input, one thread,
 * no time or randomness.  Operations: fuzz/trace_ops.h; format: fuzz/README.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goalloc.h"
#include "../dropin/request.h"
#include "fuzz_ops.h"
#include "trace_ops.h"
#include "shadow.h"
#include "support/fuzz_input.h"

#ifndef MAX_OPS
#define MAX_OPS 6000
#endif
/* The budget (per input; requests beyond it are skipped, the slot left empty).  A
 * large byte costs a page fault per sampled 4 KiB page and its unmapping at the end:
 * random sizes over 4 GiB made an input take 250 ms. */
#ifndef MAX_REQ
#define MAX_REQ ((size_t)96 << 20) /* larger placeable requests (xz -T2 asks 64 MiB + 8) */
#endif
#ifndef MAX_LARGE_TOTAL
#define MAX_LARGE_TOTAL ((size_t)64 << 20) /* bytes of large objects allocated in all */
#endif
#ifndef MAX_TOUCH
#define MAX_TOUCH ((size_t)1 << 30) /* bytes written+read by the driver */
#endif
#ifndef CHECK_EVERY
#define CHECK_EVERY 64 /* a slice of the live patterns */
#endif
#define CHECK_SLICES 8
#ifndef HEAP_CHECK_EVERY
#define HEAP_CHECK_EVERY 512
#endif
#define MAX_OP_CHECKS 4               /* CHECK ops that run ga_heap_check */
#define UNPLACEABLE ((size_t)1 << 47) /* from here on no reservation can hold a request */
#define COPY_CHECK_BYTES 65536u       /* realloc: bytes of the copy checked (then the last 64) */
#define OS_PAGE ((size_t)4096)        /* sysconf(_SC_PAGESIZE) on x86-64: valloc's alignment */

typedef struct slot {
    uintptr_t at;    /* what the program holds (0: empty) */
    uintptr_t base;  /* the object's start (!= at: over-aligned, over-allocated) */
    uint32_t id;     /* shadow id of the object at base */
    size_t req;      /* bytes the program asked for */
    uintptr_t freed; /* the last address freed from this slot (double frees) */
} slot;

typedef struct tf {
    ga_heap *h;
    ga_cache *c[TRACE_THREADS];
    shadow sh;
    slot s[TRACE_SLOTS];
    size_t op, touched, large_total;
    const char *opname;
    int t; /* the current op's thread */
    unsigned op_checks;
    uint32_t check_next;
    bool trace; /* TRACE_FUZZ_TRACE=1: every call and result on stderr */
} tf;

static void tfail(tf *f, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void tfail(tf *f, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "trace_fuzz: op #%zu (%s, thread %d): ", f->op, f->opname ? f->opname : "?", f->t);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

static void tr(tf *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tr(tf *f, const char *fmt, ...) {
    if (!f->trace)
        return;
    va_list ap;
    fprintf(stderr, "  #%zu t%d ", f->op, f->t);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
}

static size_t trace_size(uint32_t v) { return v < 0xffff0000u ? v : SIZE_MAX - (0xffffffffu - v); }
static bool pow2(size_t x) { return x && !(x & (x - 1)); }

static ga_cache *cache(tf *f) {
    if (!f->c[f->t] && !(f->c[f->t] = ga_cache_new(f->h)))
        tfail(f, "ga_cache_new failed (errno %d)", errno);
    return f->c[f->t];
}

/* ---- checks --------------------------------------------------------------------------- */
FUZZ_NOCOV static void check_heap(tf *f) {
    char why[512] = "";
    if (ga_heap_check(f->h, why, sizeof why) != 0)
        tfail(f, "ga_heap_check: %s", why);
    if (sh_self_check(&f->sh) != 0)
        tfail(f, "%s", f->sh.why);
}

FUZZ_NOCOV static void check_some(tf *f) {
    if (sh_check_some(&f->sh, &f->check_next, (f->sh.nprog + CHECK_SLICES - 1) / CHECK_SLICES, &f->touched) != 0)
        tfail(f, "%s", f->sh.why);
}

FUZZ_NOCOV static void check_all(tf *f) {
    if (sh_check_all(&f->sh, &f->touched) != 0)
        tfail(f, "%s", f->sh.why);
}

/* Does the shadow write byte off of object o (large objects over 64 KiB: samples)? */
FUZZ_NOCOV static bool patterned(const sh_obj *o, size_t off) {
    if (o->kind == SH_SMALL || o->usable <= SH_LARGE_FULL_LIMIT)
        return true;
    size_t pg = off / SH_SAMPLE_PAGE, npg = o->usable / SH_SAMPLE_PAGE, in = off % SH_SAMPLE_PAGE;
    bool page = pg < SH_SAMPLE_EDGE || pg + SH_SAMPLE_EDGE >= npg || pg % SH_SAMPLE_STRIDE == 0;
    return page && (in < SH_SAMPLE_BYTES || in >= SH_SAMPLE_PAGE - SH_SAMPLE_BYTES);
}

/* realloc's copy, as the drop-in's memcpy but of the bytes that carry a pattern only
 * (all of them but in large objects over 64 KiB, whose other bytes no check reads):
 * copying a 96 MiB block whole faulted in every page and made a fuzzed input take
 * 200 ms. */
FUZZ_NOCOV static void copy_patterned(const sh_obj *old, size_t off, unsigned char *q, const unsigned char *p,
                                      size_t n) {
    if (old->kind == SH_SMALL || old->usable <= SH_LARGE_FULL_LIMIT) {
        memcpy(q, p, n);
        return;
    }
    for (size_t i = 0; i < n;) {
        size_t o = off + i, in = o % SH_SAMPLE_PAGE, run;
        if (patterned(old, o)) { /* to the end of this sampled edge of the page */
            run = in < SH_SAMPLE_BYTES ? SH_SAMPLE_BYTES - in : SH_SAMPLE_PAGE - in;
            run = run < n - i ? run : n - i;
            memcpy(q + i, p + i, run);
        } else { /* to the next edge: the page's last 64 bytes or the next page */
            run = in < SH_SAMPLE_PAGE - SH_SAMPLE_BYTES ? SH_SAMPLE_PAGE - SH_SAMPLE_BYTES - in : SH_SAMPLE_PAGE - in;
        }
        i += run;
    }
}

/* realloc's copy: the old object's pattern at offsets [off, off + n) must be at q (the
 * first COPY_CHECK_BYTES and the last 64). */
FUZZ_NOCOV static void check_copy(tf *f, const sh_obj *old, size_t off, const unsigned char *q, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (i == COPY_CHECK_BYTES && n > COPY_CHECK_BYTES + 64)
            i = n - 64;
        if (patterned(old, off + i) && q[i] != sh_pattern_byte(old->seed, off + i))
            tfail(f, "realloc: byte %zu of the copy at %p is %#x, the old block's was %#x", i, (const void *)q, q[i],
                  sh_pattern_byte(old->seed, off + i));
    }
    f->touched += n < COPY_CHECK_BYTES ? n : COPY_CHECK_BYTES + 64;
}

/* ---- allocation: ga_alloc(size) as the drop-in's alloc() calls it ------------------ */
enum { A_OK, A_NULL, A_SKIP };

/* One ga_alloc of `size` bytes for a request of `req` bytes that the program wants
 * aligned to `align`; `over`: the drop-in over-allocated for align.  Returns A_OK
 * with the slot's fields in *out, A_NULL (errno set) or A_SKIP (over the budget). */
static int do_alloc(tf *f, size_t size, unsigned flags, size_t req, size_t align, bool over, slot *out) {
    if (size < UNPLACEABLE) {
        size_t usable = sh_usable_for(size, false);
        bool large = size > SH_MAX_SMALL;
        if (size > MAX_REQ || usable == 0 || (large && f->large_total + usable > MAX_LARGE_TOTAL))
            return A_SKIP;
        if (large)
            f->large_total += usable;
    }
    ga_cache *c = cache(f);
    errno = 0;
    void *p = ga_alloc(c, size, flags);
    tr(f, "ga_alloc(%zu, %u) = %p", size, flags, p);
    if (size >= UNPLACEABLE) {
        if (p || errno != ENOMEM)
            tfail(f, "ga_alloc(%#zx) = %p, errno %d: no reservation can hold it (NULL + ENOMEM)", size, p, errno);
        return A_NULL;
    }
    if (!p)
        tfail(f, "ga_alloc(%zu) = NULL (errno %d) with %zu bytes owed", size, errno, f->sh.owed_bytes);
    uint32_t id;
    if (sh_on_alloc(&f->sh, f->t % SH_MAX_CACHES, size, flags, (uintptr_t)p, &id) != 0)
        tfail(f, "%s", f->sh.why);
    const sh_obj *o = sh_get(&f->sh, id);
    uintptr_t base = (uintptr_t)p, at = over ? (base + align - 1) & ~(uintptr_t)(align - 1) : base;
    if (at % align)
        tfail(f, "a %zu-byte request aligned to %zu got %#lx", req, align, (unsigned long)at);
    if (o->usable - (at - base) < req)
        tfail(f, "a %zu-byte request got %#lx with %zu usable bytes", req, (unsigned long)at, o->usable - (at - base));
    size_t u = ga_usable_size(f->h, p);
    if (u != o->usable)
        tfail(f, "ga_usable_size(%p) = %zu, the shadow's slot is %zu", p, u, o->usable);
    if (!(flags & GA_NOZERO) && sh_check_zero(&f->sh, id, &f->touched) != 0)
        tfail(f, "calloc: %s", f->sh.why);
    sh_fill(&f->sh, id, &f->touched);
    *out = (slot){at, base, id, req, 0};
    return A_OK;
}

/* The drop-in's malloc(n) (flags: GA_NOZERO; calloc: 0).  Alignment: 16 above 8 B. */
static int c_malloc(tf *f, size_t n, unsigned flags, slot *out) {
    size_t s = ga_req_size(n);
    if (!s) {
        errno = ENOMEM;
        return A_NULL;
    }
    return do_alloc(f, s, flags, n, n > 8 ? 16 : 8, false, out);
}

/* The drop-in's alloc_aligned(align, n): align a power of two. */
static int c_aligned(tf *f, size_t align, size_t n, slot *out) {
    bool over;
    size_t s = ga_req_aligned(align, n, &over);
    if (!s) {
        errno = ENOMEM;
        return A_NULL;
    }
    size_t need = align > 16 || n > 8 ? (align > 16 ? align : 16) : align > 8 ? align : 8;
    return do_alloc(f, s, GA_NOZERO, n, need, over, out);
}

/* ---- free --------------------------------------------------------------------------- */

/* ga_free(p) that must fail: the result the shadow allows (foreign: -EINVAL only),
 * and the heap's statistics unchanged.  Returns the result. */
static int free_must_fail(tf *f, uintptr_t p, bool foreign) {
    uint32_t id = SH_NONE;
    unsigned allowed = foreign ? SH_R_EINVAL : sh_free_expect(&f->sh, p, &id);
    if (allowed & SH_R_OK)
        tfail(f, "driver bug: bad free of %#lx, which the shadow owes (#%u)", (unsigned long)p, id);
    ga_cache *c = cache(f); /* first: making a cache changes the statistics */
    ga_stats before, after;
    ga_heap_stats(f->h, &before);
    int r = ga_free(c, (void *)p);
    tr(f, "ga_free(%#lx) = %d (must fail)", (unsigned long)p, r);
    unsigned got = r == -EINVAL ? SH_R_EINVAL : r == -EALREADY ? SH_R_EALREADY : 0;
    if (!(got & allowed))
        tfail(f, "ga_free(%#lx) = %d, allowed:%s%s", (unsigned long)p, r, allowed & SH_R_EINVAL ? " -EINVAL" : "",
              allowed & SH_R_EALREADY ? " -EALREADY" : "");
    ga_heap_stats(f->h, &after);
    if (memcmp(&before, &after, sizeof before) != 0)
        tfail(f, "ga_free(%#lx) = %d changed the heap statistics", (unsigned long)p, r);
    return r;
}

/* The drop-in's free of slot x's object: the aligned address first (an over-aligned
 * object's is interior: -EINVAL), then the object's start; the pattern is checked
 * before.  The slot is emptied. */
static void free_slot(tf *f, slot *x) {
    if (sh_check(&f->sh, x->id, &f->touched) != 0)
        tfail(f, "before free: %s", f->sh.why);
    if (x->at != x->base && free_must_fail(f, x->at, false) != -EINVAL)
        tfail(f, "free of an over-aligned object's aligned address must be -EINVAL first");
    uint32_t id;
    if (sh_free_expect(&f->sh, x->base, &id) != SH_R_OK || id != x->id)
        tfail(f, "driver bug: the shadow does not owe slot object #%u", x->id);
    sh_on_free(&f->sh, x->id);
    int r = ga_free(cache(f), (void *)x->base);
    tr(f, "ga_free(%#lx) = %d", (unsigned long)x->base, r);
    if (r != 0)
        tfail(f, "ga_free(%#lx) of a live object = %d", (unsigned long)x->base, r);
    if (ga_usable_size(f->h, (void *)x->base) != 0)
        tfail(f, "after ga_free(%#lx): ga_usable_size not 0", (unsigned long)x->base);
    x->freed = x->at;
    x->at = x->base = 0;
}

/* The drop-in's malloc_usable_size(at) of slot x: the slot's size less the alignment
 * offset, at least the request. */
static size_t usable_of(tf *f, const slot *x) {
    size_t u = ga_usable_size(f->h, (void *)x->base);
    size_t want = sh_get(&f->sh, x->id)->usable - (x->at - x->base);
    if (u < x->at - x->base || u - (x->at - x->base) != want || want < x->req)
        tfail(f, "malloc_usable_size(%#lx) = %zu (slot %zu), the shadow's is %zu for a %zu-byte request",
              (unsigned long)x->at, u - (x->at - x->base), u, want, x->req);
    return want;
}

/* ---- operations ---------------------------------------------------------------------- */
static slot *slot_arg(tf *f, fuzz_input *in) { return &f->s[fi_u16(in) % TRACE_SLOTS]; }

/* Put a new object into slot x (its occupant is freed first: every input is valid). */
static void fill_slot(tf *f, slot *x, int r, const slot *got, int want_err) {
    if (r == A_OK) {
        uintptr_t freed = x->freed;
        *x = *got;
        x->freed = freed;
    } else if (r == A_NULL && errno != want_err) {
        tfail(f, "NULL with errno %d, expected %d", errno, want_err);
    }
}

static void op_malloc(tf *f, fuzz_input *in) {
    slot *x = slot_arg(f, in);
    size_t n = trace_size(fi_u32(in));
    if (x->at)
        free_slot(f, x);
    slot got;
    fill_slot(f, x, c_malloc(f, n, GA_NOZERO, &got), &got, ENOMEM);
}

static void do_calloc(tf *f, slot *x, size_t k, size_t n) {
    size_t t;
    if (x->at)
        free_slot(f, x);
    slot got;
    if (__builtin_mul_overflow(k, n, &t))
        return; /* NULL + ENOMEM before any call on the heap */
    fill_slot(f, x, c_malloc(f, t, 0, &got), &got, ENOMEM);
}

static void op_calloc(tf *f, fuzz_input *in) {
    slot *x = slot_arg(f, in);
    size_t k = trace_size(fi_u32(in)), n = trace_size(fi_u32(in));
    do_calloc(f, x, k, n);
}

/* The drop-in's resize(p, n) inside realloc: ga_resize_in_place of ga_req_size(n).
 * 1: resized (checked), 0: not (realloc goes on and moves it), -1: over the per-input
 * budget (the call is skipped, as do_alloc skips an allocation). */
static int resize_slot(tf *f, slot *x, size_t n) {
    size_t s = ga_req_size(n), old = sh_get(&f->sh, x->id)->usable;
    if (!s) { /* no such size: resize gives up, and the malloc that follows fails */
        tr(f, "realloc(%#lx, %zu): no size for ga_resize_in_place", (unsigned long)x->at, n);
        return 0;
    }
    size_t pages = (s + 8191) / 8192 * 8192;
    if (pages > old && f->large_total + (pages - old) > MAX_LARGE_TOTAL)
        return -1;
    size_t r = ga_resize_in_place(cache(f), (void *)x->at, s);
    tr(f, "realloc(%#lx, %zu): ga_resize_in_place = %zu", (unsigned long)x->at, n, r);
    if (r && (x->at != x->base || r != pages))
        tfail(f, "ga_resize_in_place(%#lx (slot %#lx), %zu) = %zu, expected %s", (unsigned long)x->at,
              (unsigned long)x->base, s, r, x->at != x->base ? "0 (not an object start)" : "its whole pages");
    if (!r)
        return 0;
    if (r > old && sh_check(&f->sh, x->id, &f->touched) != 0) /* the old layout: contents kept */
        tfail(f, "after ga_resize_in_place: %s", f->sh.why);
    if (sh_on_resize(&f->sh, x->id, r) != 0)
        tfail(f, "%s", f->sh.why);
    if (r > old)
        f->large_total += r - old;
    sh_fill(&f->sh, x->id, &f->touched);
    x->req = n;
    return 1;
}

/* The drop-in's realloc(slot x, n). */
static void do_realloc(tf *f, slot *x, size_t n) {
    if (!x->at) { /* realloc(NULL, n) = malloc(n) */
        slot got;
        fill_slot(f, x, c_malloc(f, n, GA_NOZERO, &got), &got, ENOMEM);
        return;
    }
    if (n == 0) { /* frees, returns NULL */
        free_slot(f, x);
        return;
    }
    if (sh_check(&f->sh, x->id, &f->touched) != 0)
        tfail(f, "before realloc: %s", f->sh.why);
    size_t u = usable_of(f, x);
    if (ga_req_realloc_keeps(u, n)) {
        x->req = n;
        tr(f, "realloc(%#lx, %zu) in place", (unsigned long)x->at, n);
        return;
    }
    if (ga_req_realloc_resizes(u, n)) {
        int k = resize_slot(f, x, n);
        if (k > 0)
            return;
        if (k < 0) {
            tr(f, "realloc(%#lx, %zu): the per-input budget, skipped", (unsigned long)x->at, n);
            return;
        }
    }
    slot got;
    int r = c_malloc(f, n, GA_NOZERO, &got);
    if (r != A_OK) { /* p untouched */
        if (r == A_NULL && errno != ENOMEM)
            tfail(f, "realloc: NULL with errno %d", errno);
        if (sh_check(&f->sh, x->id, &f->touched) != 0)
            tfail(f, "after a failed realloc: %s", f->sh.why);
        return;
    }
    /* The new block must not have disturbed the old one; copy as the drop-in does. */
    if (sh_check(&f->sh, x->id, &f->touched) != 0)
        tfail(f, "realloc: the old block after the new one's allocation: %s", f->sh.why);
    size_t m = n < u ? n : u, off = x->at - x->base;
    sh_obj old = *sh_get(&f->sh, x->id);
    copy_patterned(&old, off, (unsigned char *)got.at, (const unsigned char *)x->at, m);
    free_slot(f, x);
    check_copy(f, &old, off, (const unsigned char *)got.at, m);
    if (u >= GA_REQ_REALLOC_RELEASE) /* the drop-in gives a moved large block's size back */
        ga_scavenge(f->h, u);
    sh_fill(&f->sh, got.id, &f->touched); /* the shadow's pattern again, for the checks to come */
    uintptr_t freed = x->freed;
    *x = got;
    x->freed = freed;
}

static void op_realloc(tf *f, fuzz_input *in) {
    slot *x = slot_arg(f, in);
    do_realloc(f, x, trace_size(fi_u32(in)));
}

static void op_reallocarray(tf *f, fuzz_input *in) {
    slot *x = slot_arg(f, in);
    size_t k = trace_size(fi_u32(in)), n = trace_size(fi_u32(in)), t;
    if (__builtin_mul_overflow(k, n, &t))
        return; /* NULL + ENOMEM, p untouched */
    do_realloc(f, x, t);
}

static void op_aligned(tf *f, fuzz_input *in) {
    slot *x = slot_arg(f, in);
    uint8_t fn = fi_u8(in) % 5, a = fi_u8(in);
    size_t n = trace_size(fi_u32(in));
    /* a: bit 7 clear 2^(a & 63), set 3 * 2^(a & 15) (not a power of two) */
    size_t align = a & 0x80 ? (size_t)3 << (a & 15) : (size_t)1 << (a & 63);
    if (x->at)
        free_slot(f, x);
    slot got;
    int r;
    switch (fn) {
    case 0: /* posix_memalign */
        if (!pow2(align) || align % sizeof(void *))
            return; /* EINVAL, nothing allocated */
        fill_slot(f, x, c_aligned(f, align, n, &got), &got, ENOMEM);
        return;
    case 1: /* aligned_alloc */
        if (!pow2(align))
            return; /* NULL + EINVAL */
        fill_slot(f, x, c_aligned(f, align, n, &got), &got, ENOMEM);
        return;
    case 2: { /* memalign: rounds a non-power of two up */
        if (align > ((size_t)1 << 62))
            return; /* NULL + EINVAL */
        size_t p2 = 1;
        while (p2 < align)
            p2 <<= 1;
        fill_slot(f, x, c_aligned(f, p2, n, &got), &got, ENOMEM);
        return;
    }
    case 3: /* valloc */
        fill_slot(f, x, c_aligned(f, OS_PAGE, n, &got), &got, ENOMEM);
        return;
    default: /* pvalloc */
        if (n > SIZE_MAX - OS_PAGE)
            return;
        r = c_aligned(f, OS_PAGE, n ? (n + OS_PAGE - 1) & ~(OS_PAGE - 1) : OS_PAGE, &got);
        fill_slot(f, x, r, &got, ENOMEM);
        return;
    }
}

static void op_free(tf *f, fuzz_input *in) {
    slot *x = slot_arg(f, in);
    if (x->at)
        free_slot(f, x);
}

/* Foreign addresses: never an object of the heap. */
static uintptr_t foreign_ptr(uint16_t o, const void *stack) {
    static const uintptr_t odd[] = {1, 8, 4096, 0x7fffffff0000ul, UINTPTR_MAX - 7, (uintptr_t)1 << 47};
    unsigned k = o % 7;
    return k == 6 ? (uintptr_t)stack : odd[k];
}

/* Is a an address the program holds (then freeing it is no bad free)? */
static bool held(const tf *f, uintptr_t a) {
    for (size_t i = 0; i < TRACE_SLOTS; i++)
        if (f->s[i].at == a)
            return true;
    return false;
}

static void op_free_bad(tf *f, fuzz_input *in) {
    uint8_t k = fi_u8(in);
    slot *x = slot_arg(f, in);
    uint16_t o = fi_u16(in);
    int stack_var = 0;
    uintptr_t p;
    bool foreign = false;
    switch (k % 3) {
    case 0: { /* interior pointer of a live object */
        if (!x->at)
            return;
        size_t u = usable_of(f, x);
        if (u < 2)
            return;
        p = x->at + 1 + o % (u - 1);
        break;
    }
    case 1: /* double free of the slot's last freed address */
        p = x->freed;
        if (!p || held(f, p) || sh_extent_at(&f->sh, p) != SH_NONE)
            return; /* reused since: a live object's start or inside one is no double free */
        break;
    default:
        p = foreign_ptr(o, &stack_var);
        foreign = true;
        break;
    }
    if (k & 4) { /* realloc(p, n): the drop-in asks usable(p), which must be 0 */
        size_t u = ga_usable_size(f->h, (void *)p);
        tr(f, "realloc(%#lx): ga_usable_size = %zu", (unsigned long)p, u);
        if (u != 0)
            tfail(f, "realloc of a bad pointer %#lx: ga_usable_size = %zu, not 0", (unsigned long)p, u);
        return;
    }
    (void)free_must_fail(f, p, foreign);
}

static void op_usable(tf *f, fuzz_input *in) {
    slot *x = slot_arg(f, in);
    if (x->at)
        (void)usable_of(f, x);
}

static void op_thread_end(tf *f, fuzz_input *in) {
    (void)in;
    if (f->c[f->t]) {
        ga_cache_destroy(f->c[f->t]);
        f->c[f->t] = NULL;
        sh_cache_gone(&f->sh, f->t % SH_MAX_CACHES);
    }
}

static void op_check(tf *f, fuzz_input *in) {
    (void)in;
    if (f->op_checks++ < MAX_OP_CHECKS)
        check_heap(f);
    check_all(f);
}

/* ---- the table (fuzz/trace_ops.h) and the loop -------------------------------------- */
enum { TRACE_OPS(FUZZ_OP_ENUM) OP_NUM = 0 TRACE_OPS(FUZZ_OP_PLUS_ONE) };
enum { TRACE_OPS(FUZZ_OP_SEQ) };
TRACE_OPS(FUZZ_OP_IN_ORDER)

typedef struct tf_op {
    const char *name;
    void (*run)(tf *, fuzz_input *);
    int arg_bytes;
} tf_op;

static const tf_op ops[OP_NUM] = {
#define TF_OP_ROW(code, NAME, name, args, layout) [code] = {#name, op_##name, args},
    TRACE_OPS(TF_OP_ROW)
#undef TF_OP_ROW
};

/* After the input: every cache released (as at the threads' exits), a full sweep, and
 * the statistics exactly what the shadow owes. */
FUZZ_NOCOV static void check_end(tf *f) {
    check_all(f);
    for (int t = 0; t < TRACE_THREADS; t++)
        if (f->c[t]) {
            ga_cache_destroy(f->c[t]);
            f->c[t] = NULL;
        }
    ga_sweep(f->h, 0);
    check_heap(f);
    ga_stats st;
    ga_heap_stats(f->h, &st);
    if (st.nmalloc - st.nfree != f->sh.next_ext || st.heap_alloc != f->sh.owed_bytes)
        tfail(f,
              "after a full sweep: nmalloc %llu - nfree %llu, heap_alloc %llu; the shadow owes %u objects, %zu bytes",
              (unsigned long long)st.nmalloc, (unsigned long long)st.nfree, (unsigned long long)st.heap_alloc,
              f->sh.next_ext, f->sh.owed_bytes);
    if (st.heap_inuse < f->sh.owed_bytes || st.heap_inuse + st.heap_idle > st.heap_sys)
        tfail(f, "stats: heap_inuse %llu, heap_idle %llu, heap_sys %llu, %zu bytes owed",
              (unsigned long long)st.heap_inuse, (unsigned long long)st.heap_idle, (unsigned long long)st.heap_sys,
              f->sh.owed_bytes);
    check_all(f);
}

static tf *spare; /* the driver's state, reused (its shadow's buffers kept) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tf *f = spare;
    spare = NULL;
    if (!f) {
        if (!(f = calloc(1, sizeof *f)))
            abort();
        sh_init(&f->sh);
    }
    shadow keep = f->sh;
    memset(f, 0, sizeof *f);
    f->sh = keep;
    sh_reset(&f->sh);
    const char *t = getenv("TRACE_FUZZ_TRACE");
    f->trace = t && *t && *t != '0';
    bool op_trace = fuzz_trace_on();
    f->opname = "ga_heap_new";
    /* The drop-in's heap: GA_SCAVENGE_IDLE (its ticks come every 65,536 calls of a
     * thread, beyond any input; span traffic still ends epochs). */
    ga_config cfg = {.scavenge_policy = GA_SCAVENGE_IDLE};
    if (!(f->h = ga_heap_new(&cfg)))
        tfail(f, "ga_heap_new failed (errno %d)", errno);
    fuzz_input in;
    fi_init(&in, data, size);
    while (fi_left(&in) > 0 && f->op < MAX_OPS && f->touched < MAX_TOUCH) {
        f->op++;
        size_t start = in.pos;
        uint8_t b = fi_u8(&in);
        f->t = b >> 5;
        const tf_op *op = &ops[(b & 31u) % OP_NUM];
        f->opname = op->name;
        op->run(f, &in);
        FUZZ_OP_READ_CHECK("trace_fuzz", op->name, op->arg_bytes, start, &in);
        if (op_trace)
            fprintf(stderr, "trace #%zu @%zu+%zu t%d %s | live %u owed %zu B touched %zu B\n", f->op, start,
                    in.pos - start, f->t, op->name, f->sh.nprog, f->sh.owed_bytes, f->touched);
        if (f->op % CHECK_EVERY == 0)
            check_some(f);
        if (f->op % HEAP_CHECK_EVERY == 0)
            check_heap(f);
    }
    f->opname = "end";
    check_end(f);
    sh_reset(&f->sh);
    ga_heap_destroy(f->h);
    f->h = NULL;
    spare = f;
    return 0;
}
