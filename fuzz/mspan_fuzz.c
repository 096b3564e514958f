/* Fuzz driver for the mspan bitmap functions (alloc/mspan.c, docs/go-facts.md §5.3-5.6):
 * ga_mspan_next_free_index, ga_mspan_next_free_fast, ga_mspan_refill_alloc_cache and
 * ga_mspan_count_alloc on a ga_mspan set up directly, against a linear scan over a
 * plain bool array.  After every step: the slot returned, freeindex, alloc_count (S7,
 * counted by the model) and alloc_cache (S8, computed bit by bit) are checked.
 *
 * Input (fuzz/README.md):
 *   sel:u8            nelems: sel % 68 == 0 -> 1 (a large span), else the nelems of
 *                     class sel % 68
 *   bitmap            see read_bits(): mode:u8, then mode-specific bytes
 *   F:u16             freeindex = F % (nelems + 1)
 *   then operations   op:u8 (+ arguments), until the input ends or 4096 ops:
 *                     fuzz/mspan_ops.h (one handler op_<name> each) */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_ops.h"
#include "mspan.h"
#include "mspan_ops.h"
#include "sizeclasses.h"
#include "support/fuzz_input.h"

#define MAXN 1024u
#define SPAN_BASE ((uintptr_t)0x7f0000000000ull) /* fake, page aligned, never dereferenced */

typedef struct st {
    ga_mspan s;
    bool a[MAXN];                       /* model alloc bits */
    uint32_t f, n;                      /* model freeindex, nelems */
    uint32_t count;                     /* model S7 count, kept by the model's own rules; recounted
                        from the bool array every 64 operations */
    uint64_t words[GA_SPAN_BITS_WORDS]; /* a[] as words, for the unchanged check */
    size_t op;
    const char *opname;
} st;

static void fail(const st *s, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void fail(const st *s, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "mspan_fuzz: op #%zu (%s), nelems %u, elemsize %lu: ", s->op, s->opname, s->n,
            (unsigned long)s->s.elemsize);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

/* Bits of the model as words (padding bits zero: S5). */
FUZZ_NOCOV static void model_to_words(const bool *a, uint32_t n, uint64_t *w) {
    memset(w, 0, GA_SPAN_BITS_WORDS * sizeof *w);
    for (uint32_t i = 0; i < n; i++)
        if (a[i])
            w[i / 64] |= (uint64_t)1 << (i % 64);
}

/* S8: bit j of the cache is 1 iff slot F+j is free per A (slots >= N read as free),
 * for j < 64 - F%64; higher bits 0. */
FUZZ_NOCOV static uint64_t model_cache(const st *s) {
    uint64_t c = 0;
    uint32_t win_end = (s->f / 64 + 1) * 64;
    for (uint32_t i = s->f; i < win_end; i++)
        if (i >= s->n || !s->a[i])
            c |= (uint64_t)1 << (i - s->f);
    return c;
}

FUZZ_NOCOV static uint32_t model_s7(const st *s) {
    uint32_t c = 0;
    for (uint32_t i = 0; i < s->n; i++)
        c += i < s->f || s->a[i];
    return c;
}

/* Lowest free slot >= F, or N. */
FUZZ_NOCOV static uint32_t model_next(const st *s) {
    for (uint32_t i = s->f; i < s->n; i++)
        if (!s->a[i])
            return i;
    return s->n;
}

/* nextFreeFast's answer: the lowest free slot in F's 64-slot window, unless there is
 * none, it is past N, or it is the window's last slot without being the span's. */
FUZZ_NOCOV static uint32_t model_fast(const st *s) {
    if (s->f >= s->n)
        return s->n;
    uint32_t win_end = (s->f / 64 + 1) * 64;
    for (uint32_t i = s->f; i < win_end; i++) {
        if (i >= s->n)
            return s->n; /* padding looked free */
        if (!s->a[i])
            return ((i + 1) % 64 == 0 && i + 1 != s->n) ? s->n : i;
    }
    return s->n;
}

/* Put the span in the model's state: alloc bits, F, count, cache (all computed by
 * the model, not by the functions under test). */
FUZZ_NOCOV static void sync_span(st *s) {
    model_to_words(s->a, s->n, s->words);
    memcpy(s->s.alloc_bits, s->words, sizeof s->words);
    s->s.freeindex = s->f;
    s->count = model_s7(s);
    s->s.alloc_count = s->count;
    s->s.alloc_cache = s->f < s->n ? model_cache(s) : 0xdeadbeefcafef00dull;
}

FUZZ_NOCOV static void check_span(const st *s) {
    if (memcmp(s->words, s->s.alloc_bits, sizeof s->words) != 0)
        fail(s, "alloc_bits changed");
    if (s->s.freeindex != s->f)
        fail(s, "freeindex = %u, model %u", s->s.freeindex, s->f);
    if (s->s.freeindex > s->s.nelems)
        fail(s, "S2: freeindex %u > nelems %u", s->s.freeindex, s->s.nelems);
    uint32_t c = s->count;
    if (s->op % 64 == 0 && c != model_s7(s))
        fail(s, "model S7 count %u drifted from the recount %u", c, model_s7(s));
    if (s->s.alloc_count != c)
        fail(s, "S7: alloc_count = %u, model %u", s->s.alloc_count, c);
    if (s->f < s->n) {
        uint64_t want = model_cache(s);
        if (s->s.alloc_cache != want)
            fail(s, "S8: alloc_cache = %#llx, model %#llx (F = %u)", (unsigned long long)s->s.alloc_cache,
                 (unsigned long long)want, s->f);
    }
    if (s->s.nelems != s->n || s->s.base != SPAN_BASE)
        fail(s, "geometry changed");
}

FUZZ_NOCOV static void do_next(st *s) {
    uint32_t want = model_next(s);
    uint32_t got = ga_mspan_next_free_index(&s->s);
    if (got != want)
        fail(s, "next_free_index = %u, model %u (F was %u)", got, want, s->f);
    if (want < s->n) {
        s->f = want + 1;
        s->count++;
        s->s.alloc_count++; /* the caller's duty (mcache nextFree) */
    } else {
        s->f = s->n;
    }
    check_span(s);
}

/* Returns true if the fast path gave a slot. */
FUZZ_NOCOV static bool do_fast(st *s) {
    uint32_t want = model_fast(s);
    uintptr_t got = ga_mspan_next_free_fast(&s->s);
    uintptr_t want_addr = want < s->n ? SPAN_BASE + (uintptr_t)want * s->s.elemsize : 0;
    if (got != want_addr)
        fail(s, "next_free_fast = %#lx, model %#lx (slot %u, F %u)", (unsigned long)got, (unsigned long)want_addr, want,
             s->f);
    if (got) {
        s->f = want + 1;
        s->count++;
    }
    check_span(s);
    return got != 0;
}

/* Bitmap from the input: mode:u8, then
 *   mode%4 == 0: ceil(n/8) raw bytes (bit i = byte i/8, bit i%8)
 *   mode%4 == 1: all free          mode%4 == 2: all allocated
 *   mode%4 == 3: k:u8 runs (k%16), each start:u16 len:u8, set allocated */
FUZZ_NOCOV static void read_bits(fuzz_input *in, bool *a, uint32_t n) {
    uint8_t mode = fi_u8(in);
    switch (mode % 4) {
    case 0:
        for (uint32_t i = 0; i < n; i += 8) {
            uint8_t b = fi_u8(in);
            for (uint32_t j = 0; j < 8 && i + j < n; j++)
                a[i + j] = (b >> j) & 1;
        }
        break;
    case 1:
    case 2:
        for (uint32_t i = 0; i < n; i++)
            a[i] = mode % 4 == 2;
        break;
    case 3: {
        for (uint32_t i = 0; i < n; i++)
            a[i] = false;
        uint32_t k = fi_u8(in) % 16;
        for (uint32_t r = 0; r < k; r++) {
            uint32_t start = fi_u16(in) % n, len = fi_u8(in);
            for (uint32_t i = start; i < n && i < start + len; i++)
                a[i] = true;
        }
        break;
    }
    }
}

/* ---- the operations: one handler each, in the order of fuzz/mspan_ops.h ------------ */

static void op_next(st *s, fuzz_input *in) {
    (void)in;
    do_next(s);
}

static void op_fast(st *s, fuzz_input *in) {
    (void)in;
    do_fast(s);
}

static void op_fast_next(st *s, fuzz_input *in) {
    (void)in;
    if (!do_fast(s))
        do_next(s);
}

static void op_drain(st *s, fuzz_input *in) {
    uint32_t k = 1 + fi_u8(in) * 8u;
    for (uint32_t i = 0; i < k && s->f < s->n; i++)
        if (!do_fast(s))
            do_next(s);
}

static void op_refill(st *s, fuzz_input *in) {
    uint32_t words = (s->n + 63) / 64;
    uint32_t w = fi_u8(in) % words;
    uint64_t want = 0;
    for (uint32_t j = 0; j < 64; j++)
        if (w * 64 + j >= s->n || !s->a[w * 64 + j])
            want |= (uint64_t)1 << j;
    ga_mspan_refill_alloc_cache(&s->s, w);
    if (s->s.alloc_cache != want)
        fail(s, "refill_alloc_cache(%u) = %#llx, model %#llx", w, (unsigned long long)s->s.alloc_cache,
             (unsigned long long)want);
    /* restore S8 for F */
    if (s->f < s->n) {
        ga_mspan_refill_alloc_cache(&s->s, s->f / 64);
        s->s.alloc_cache >>= s->f % 64;
    }
    check_span(s);
}

static void op_count(st *s, fuzz_input *in) {
    uint32_t want = 0;
    for (uint32_t i = 0; i < s->n; i++)
        want += s->a[i];
    uint32_t got = ga_mspan_count_alloc(s->s.alloc_bits, s->n);
    if (got != want)
        fail(s, "count_alloc(alloc_bits) = %u, model %u", got, want);
    bool m[MAXN];
    read_bits(in, m, s->n);
    model_to_words(m, s->n, s->s.gcmark_bits);
    want = 0;
    for (uint32_t i = 0; i < s->n; i++)
        want += m[i];
    got = ga_mspan_count_alloc(s->s.gcmark_bits, s->n);
    if (got != want)
        fail(s, "count_alloc(gcmark_bits) = %u, model %u", got, want);
    check_span(s);
}

static void op_sweep(st *s, fuzz_input *in) {
    /* GC/free sweep: live = allocated (S6) and not freed; freeindex back to 0. */
    bool fr[MAXN];
    read_bits(in, fr, s->n);
    for (uint32_t i = 0; i < s->n; i++)
        s->a[i] = (i < s->f || s->a[i]) && !fr[i];
    s->f = 0;
    sync_span(s);
    /* The library's own refill must agree with the model's S8 at F = 0. */
    uint64_t want = s->s.alloc_cache;
    ga_mspan_refill_alloc_cache(&s->s, 0);
    if (s->n > 0 && s->s.alloc_cache != want)
        fail(s, "after sweep: refill_alloc_cache(0) = %#llx, model %#llx", (unsigned long long)s->s.alloc_cache,
             (unsigned long long)want);
    check_span(s);
}

static void op_reset(st *s, fuzz_input *in) {
    read_bits(in, s->a, s->n);
    s->f = fi_u16(in) % (s->n + 1);
    sync_span(s);
    check_span(s);
}

/* ---- the table (fuzz/mspan_ops.h) -------------------------------------------------- */

enum { MSPAN_OPS(FUZZ_OP_ENUM) OP_NUM = 0 MSPAN_OPS(FUZZ_OP_PLUS_ONE) };
enum { MSPAN_OPS(FUZZ_OP_SEQ) };
MSPAN_OPS(FUZZ_OP_IN_ORDER)

typedef struct ms_op {
    const char *name;
    void (*run)(st *, fuzz_input *);
    int arg_bytes;
} ms_op;

static const ms_op ops[OP_NUM] = {
#define MS_OP_ROW(code, NAME, name, args, layout) [code] = {#name, op_##name, args},
    MSPAN_OPS(MS_OP_ROW)
#undef MS_OP_ROW
};

/* GA_FUZZ_TRACE: the op, the bytes it read, and the model's freeindex and count after it. */
static void trace_op(const st *s, const fuzz_input *in, size_t start, const char *what) {
    fprintf(stderr, "mspan #%zu @%zu+%zu %s | F %u count %u\n", s->op, start, in->pos - start, what, s->f, s->count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in;
    fi_init(&in, data, size);
    st *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    uint32_t cls = fi_u8(&in) % 68;
    s->n = cls ? ga_class_nelems[cls] : 1;
    s->s.nelems = s->n;
    s->s.elemsize = cls ? ga_class_size[cls] : 3 * 8192;
    s->s.npages = cls ? ga_class_npages[cls] : 3;
    s->s.div_mul = cls ? ga_class_divmagic[cls] : 0;
    s->s.spanclass = (uint8_t)(cls << 1);
    s->s.base = SPAN_BASE;
    s->s.limit = SPAN_BASE + (uintptr_t)s->n * s->s.elemsize;
    s->s.state = GA_SPAN_IN_USE;
    s->opname = "setup";
    read_bits(&in, s->a, s->n);
    s->f = fi_u16(&in) % (s->n + 1);
    sync_span(s);
    check_span(s);

    bool op_trace = fuzz_trace_on();
    if (op_trace)
        trace_op(s, &in, 0, "setup");
    while (fi_left(&in) > 0 && s->op < 4096) {
        s->op++;
        size_t start = in.pos;
        const ms_op *op = &ops[fi_u8(&in) % OP_NUM];
        s->opname = op->name;
        op->run(s, &in);
        FUZZ_OP_READ_CHECK("mspan_fuzz", op->name, op->arg_bytes, start, &in);
        if (op_trace)
            trace_op(s, &in, start, op->name);
    }
    s->opname = "end";
    if (s->count != model_s7(s))
        fail(s, "model S7 count %u drifted from the recount %u", s->count, model_s7(s));
    free(s);
    return 0;
}
