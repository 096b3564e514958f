/* Fuzz driver for one pageAlloc chunk (alloc/pallocbits.c): every operation on the
 * bitmaps and summaries is checked against the naive model of fuzz/support/
 * model_pages.c after every step.  Operations: fuzz/pallocbits_ops.h (one handler
 * op_<name> each); input format: fuzz/README.md. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_ops.h"
#include "pallocbits.h"
#include "pallocbits_ops.h"
#include "support/fuzz_input.h"
#include "support/model_pages.h"

#define MAX_OPS 1024
#define MAX_FINDALL 4
#define SEARCH_RANGE 576 /* hints past the chunk end are valid too */

typedef struct state {
    ga_pallocdata d;            /* under test */
    bool alloc[512], scav[512]; /* model */
    size_t op;
    unsigned findall; /* FINDALLs run so far */
} state;

static void fail(const state *s, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void fail(const state *s, const char *what, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "pallocbits_fuzz: op #%zu %s: ", s->op, what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

static inline bool bit(const uint64_t *w, uint32_t i) { return (w[i / 64] >> (i % 64)) & 1; }

FUZZ_NOCOV static void check_state(const state *s, const char *what) {
    for (uint32_t i = 0; i < 512; i++) {
        if (bit(s->d.alloc, i) != s->alloc[i])
            fail(s, what, "alloc bit %u is %d, model %d", i, bit(s->d.alloc, i), s->alloc[i]);
        if (bit(s->d.scav, i) != s->scav[i])
            fail(s, what, "scav bit %u is %d, model %d", i, bit(s->d.scav, i), s->scav[i]);
    }
    msum want = m_summarize(s->alloc, 512);
    ga_psum got = ga_pallocbits_summarize(s->d.alloc);
    if (got != m_psum_encode(want)) {
        msum g = m_psum_decode(got);
        fail(s, what, "summarize = %#llx (%llu,%llu,%llu), model (%llu,%llu,%llu)", (unsigned long long)got,
             (unsigned long long)g.start, (unsigned long long)g.max, (unsigned long long)g.end,
             (unsigned long long)want.start, (unsigned long long)want.max, (unsigned long long)want.end);
    }
}

/* 0 <= i <= 512, 0 <= n <= 512 - i (empty ranges are valid) */
static void range_args(fuzz_input *in, uint32_t *i, uint32_t *n) {
    *i = fi_u16(in) % 513u;
    *n = fi_u16(in) % (513u - *i);
}

/* want = model's answer for n (M_NONE if none); want_ns = first free page from the
 * search word. */
FUZZ_NOCOV static void model_set(bool *a, uint32_t i, uint32_t n, bool v) {
    for (uint32_t j = i; j < i + n; j++)
        a[j] = v;
}

FUZZ_NOCOV static uint32_t model_count(const bool *a, uint32_t i, uint32_t n) {
    uint32_t c = 0;
    for (uint32_t j = i; j < i + n; j++)
        c += a[j];
    return c;
}

/* Word w of the model's alloc bitmap := v, keeping scav & alloc == 0. */
FUZZ_NOCOV static void model_setw(state *s, unsigned w, uint64_t v, bool *a) {
    for (unsigned j = 0; j < 64; j++) {
        a[w * 64 + j] = (v >> j) & 1;
        if (a == s->alloc && a[w * 64 + j])
            s->scav[w * 64 + j] = false;
    }
}

FUZZ_NOCOV static uint32_t model_fbr64(uint64_t c, uint32_t n) {
    for (uint32_t j = 0, run = 0; j < 64; j++) {
        run = (c >> j) & 1 ? run + 1 : 0;
        if (run == n)
            return j + 1 - n;
    }
    return 64;
}

FUZZ_NOCOV static void check_find(const state *s, uint32_t n, uint32_t search, uint64_t want, uint64_t want_ns) {
    uint32_t ns = 0xdeadbeef;
    uint32_t got = ga_pallocbits_find(s->d.alloc, n, search, &ns);
    uint32_t got2 = ga_pallocbits_find(s->d.alloc, n, search, NULL);
    if (want == M_NONE ? got != GA_FIND_NONE : got != want)
        fail(s, "find", "find(n=%u, search=%u) = %u, model %lld", n, search, got, (long long)want);
    if (got2 != got)
        fail(s, "find", "find(n=%u, search=%u) = %u with new_search, %u without", n, search, got, got2);
    if (want != M_NONE && ns != want_ns)
        fail(s, "find", "find(n=%u, search=%u): new_search = %u, model %llu", n, search, ns,
             (unsigned long long)want_ns);
}

FUZZ_NOCOV static void do_find(const state *s, uint32_t n, uint32_t search) {
    uint32_t from = search / 64 * 64;
    check_find(s, n, search, m_find(s->alloc, 512, from, n), m_find(s->alloc, 512, from, 1));
}

/* Every n at once: one pass records where a run of each length first completes. */
FUZZ_NOCOV static void do_findall(const state *s, uint32_t search) {
    uint64_t first[513];
    uint32_t from = search / 64 * 64, run = 0, best = 0;
    for (uint32_t j = from; j < 512; j++) {
        run = s->alloc[j] ? 0 : run + 1;
        while (best < run) {
            best++;
            first[best] = j + 1 - best;
        }
    }
    for (uint32_t n = best + 1; n <= 512; n++)
        first[n] = M_NONE;
    for (uint32_t n = 1; n <= 512; n++)
        check_find(s, n, search, first[n], first[1]);
}

static inline uint64_t rotl(uint64_t x, unsigned r) { return r % 64 ? x << (r % 64) | x >> (64 - r % 64) : x; }

/* A region of 2^log_n pages, described as runs (free/allocated) so that large regions
 * stay cheap; for log_n == 9 also as a bitmap. */
typedef struct region {
    uint32_t nruns;
    uint64_t len[520];
    bool free_run[520];
} region;

static inline void region_add(region *r, bool free_run, uint64_t len) {
    if (len == 0)
        return;
    if (r->nruns && r->free_run[r->nruns - 1] == free_run) {
        r->len[r->nruns - 1] += len;
        return;
    }
    r->free_run[r->nruns] = free_run;
    r->len[r->nruns++] = len;
}

FUZZ_NOCOV static void region_make(region *r, uint64_t N, uint8_t kind, uint32_t a, uint32_t b, uint32_t c) {
    r->nruns = 0;
    switch (kind % 4) {
    case 0:
        region_add(r, true, N);
        return;
    case 1:
        region_add(r, false, N);
        return;
    case 3:
        if (N == 512) { /* arbitrary-ish bitmap, from a rotating pattern */
            uint64_t x = (uint64_t)a << 32 | b;
            for (unsigned k = 0; k < 8; k++) {
                uint64_t w = rotl(x, c + 7 * k) & rotl(x, (c >> 8) + 3 * k);
                if (c & (1u << (16 + k)))
                    w = ~w;
                for (unsigned j = 0; j < 64; j++)
                    region_add(r, !((w >> j) & 1), 1);
            }
            return;
        }
        /* fall through */
    default: { /* [s free][alloc][x free][alloc...][alloc][e free] */
        uint64_t s = a % N, e = b % (N - s);
        region_add(r, true, s);
        if (s + e == N - 1) {
            region_add(r, false, 1);
        } else {
            uint64_t L = N - s - e - 2, x = c % (L + 1);
            region_add(r, false, 1);
            region_add(r, true, x);
            region_add(r, false, L - x);
            region_add(r, false, 1);
        }
        region_add(r, true, e);
        return;
    }
    }
}

/* Summary of a run list by walking it (independent of m_summarize / m_merge). */
FUZZ_NOCOV static msum runs_summary(const region *rs, size_t k) {
    msum m = {0, 0, 0};
    uint64_t run = 0;
    bool seen_alloc = false;
    for (size_t q = 0; q < k; q++)
        for (uint32_t i = 0; i < rs[q].nruns; i++) {
            if (!rs[q].free_run[i]) {
                seen_alloc = true;
                run = 0;
                continue;
            }
            run += rs[q].len[i];
            if (!seen_alloc)
                m.start = run;
            if (run > m.max)
                m.max = run;
        }
    m.end = run;
    return m;
}

FUZZ_NOCOV static void do_merge(state *s, fuzz_input *in) {
    static const char *what = "merge";
    uint32_t log_n = 9 + fi_u8(in) % 10;
    uint64_t N = (uint64_t)1 << log_n;
    region *rs = malloc(8 * sizeof *rs);
    if (!rs)
        abort();
    ga_psum c[8];
    msum cm[8];
    for (int k = 0; k < 8; k++) {
        uint8_t kind = fi_u8(in);
        uint32_t a = fi_u32(in), b = fi_u32(in), cc = fi_u32(in);
        region_make(&rs[k], N, kind, a, b, cc);
        cm[k] = runs_summary(&rs[k], 1);
        c[k] = m_psum_encode(cm[k]);
        if (N == 512) { /* the chunk itself: summarize must agree */
            uint64_t w[8] = {0};
            bool bits[512];
            uint32_t p = 0;
            for (uint32_t i = 0; i < rs[k].nruns; i++)
                for (uint64_t j = 0; j < rs[k].len[i]; j++, p++) {
                    bits[p] = !rs[k].free_run[i];
                    if (bits[p])
                        w[p / 64] |= (uint64_t)1 << (p % 64);
                }
            if (p != 512 || !msum_eq(m_summarize(bits, 512), cm[k]))
                fail(s, what, "driver bug: region %d builds badly", k);
            if (ga_pallocbits_summarize(w) != c[k])
                fail(s, what, "summarize(region %d) = %#llx, model %#llx", k,
                     (unsigned long long)ga_pallocbits_summarize(w), (unsigned long long)c[k]);
        }
    }
    msum want = runs_summary(rs, 8);
    msum want2 = m_merge(cm, 8, N);
    if (!msum_eq(want, want2))
        fail(s, what, "model disagrees with itself: walk (%llu,%llu,%llu) merge (%llu,%llu,%llu)",
             (unsigned long long)want.start, (unsigned long long)want.max, (unsigned long long)want.end,
             (unsigned long long)want2.start, (unsigned long long)want2.max, (unsigned long long)want2.end);
    ga_psum got = ga_psum_merge(c, log_n);
    if (got != m_psum_encode(want)) {
        msum g = m_psum_decode(got);
        fprintf(stderr, "children (log_n %u):", log_n);
        for (int k = 0; k < 8; k++)
            fprintf(stderr, " (%llu,%llu,%llu)", (unsigned long long)cm[k].start, (unsigned long long)cm[k].max,
                    (unsigned long long)cm[k].end);
        fprintf(stderr, "\n");
        fail(s, what, "merge = %#llx (%llu,%llu,%llu), model (%llu,%llu,%llu)", (unsigned long long)got,
             (unsigned long long)g.start, (unsigned long long)g.max, (unsigned long long)g.end,
             (unsigned long long)want.start, (unsigned long long)want.max, (unsigned long long)want.end);
    }
    free(rs);
}

/* ---- the operations: one handler each, in the order of fuzz/pallocbits_ops.h ------- */
/* Each returns true if it may have changed the chunk (then the full compare runs). */

static bool op_setw(state *s, fuzz_input *in) {
    unsigned w = fi_u8(in) % 8;
    uint64_t v = fi_u64(in);
    s->d.alloc[w] = v;
    s->d.scav[w] &= ~v;
    model_setw(s, w, v, s->alloc);
    return true;
}

static bool op_setscav(state *s, fuzz_input *in) {
    unsigned w = fi_u8(in) % 8;
    uint64_t v = fi_u64(in) & ~s->d.alloc[w];
    s->d.scav[w] = v;
    model_setw(s, w, v, s->scav);
    return true;
}

static bool op_find(state *s, fuzz_input *in) {
    uint32_t n = 1 + fi_u16(in) % 512;
    do_find(s, n, fi_u16(in) % SEARCH_RANGE);
    return false;
}

static bool op_findall(state *s, fuzz_input *in) {
    uint32_t i = fi_u16(in) % SEARCH_RANGE;
    if (s->findall++ < MAX_FINDALL)
        do_findall(s, i);
    return false;
}

static bool op_alloc_range(state *s, fuzz_input *in) {
    uint32_t i, n;
    range_args(in, &i, &n);
    ga_pallocbits_alloc_range(s->d.alloc, i, n);
    model_set(s->alloc, i, n, true);
    return true;
}

static bool op_free_range(state *s, fuzz_input *in) {
    uint32_t i, n;
    range_args(in, &i, &n);
    ga_pallocbits_free_range(s->d.alloc, i, n);
    model_set(s->alloc, i, n, false);
    return true;
}

static bool op_alloc_all(state *s, fuzz_input *in) {
    (void)in;
    ga_pallocbits_alloc_all(s->d.alloc);
    memset(s->alloc, 1, sizeof s->alloc);
    return true;
}

static bool op_free_all(state *s, fuzz_input *in) {
    (void)in;
    ga_pallocbits_free_all(s->d.alloc);
    memset(s->alloc, 0, sizeof s->alloc);
    return true;
}

static bool op_free1(state *s, fuzz_input *in) {
    uint32_t i = fi_u16(in) % 512;
    ga_pallocbits_free1(s->d.alloc, i);
    s->alloc[i] = false;
    return true;
}

static bool op_popcnt(state *s, fuzz_input *in) {
    uint32_t i, n;
    range_args(in, &i, &n);
    uint32_t want = model_count(s->alloc, i, n);
    uint32_t got = ga_pallocbits_popcnt_range(s->d.alloc, i, n);
    if (got != want)
        fail(s, "popcnt_range", "popcnt_range(%u, %u) = %u, model %u", i, n, got, want);
    return false;
}

static bool op_fbr64(state *s, fuzz_input *in) {
    uint64_t c = fi_u64(in);
    uint32_t n = 1 + fi_u8(in) % 64;
    uint32_t want = model_fbr64(c, n);
    uint32_t got = ga_find_bit_range64(c, n);
    if (got != want)
        fail(s, "find_bit_range64", "find_bit_range64(%#llx, %u) = %u, model %u", (unsigned long long)c, n, got, want);
    return false;
}

static bool op_psum_decode(state *s, fuzz_input *in) {
    uint64_t v = fi_u64(in);
    msum want = m_psum_decode(v);
    if (ga_psum_start(v) != want.start || ga_psum_max(v) != want.max || ga_psum_end(v) != want.end)
        fail(s, "psum decode", "%#llx decodes to (%u,%u,%u), model (%llu,%llu,%llu)", (unsigned long long)v,
             ga_psum_start(v), ga_psum_max(v), ga_psum_end(v), (unsigned long long)want.start,
             (unsigned long long)want.max, (unsigned long long)want.end);
    return false;
}

static bool op_psum_pack(state *s, fuzz_input *in) {
    uint8_t f = fi_u8(in);
    uint32_t a = fi_u32(in), b = fi_u32(in), c = fi_u32(in);
    msum m;
    if (f & 1) {
        m.start = m.max = m.end = M_SUM_MAX;
    } else {
        m.max = b % M_SUM_MAX;
        m.start = a % (m.max + 1);
        m.end = c % (m.max + 1);
    }
    ga_psum v = ga_psum_pack((uint32_t)m.start, (uint32_t)m.max, (uint32_t)m.end);
    if (v != m_psum_encode(m))
        fail(s, "psum pack", "pack(%llu,%llu,%llu) = %#llx, model %#llx", (unsigned long long)m.start,
             (unsigned long long)m.max, (unsigned long long)m.end, (unsigned long long)v,
             (unsigned long long)m_psum_encode(m));
    if (ga_psum_start(v) != m.start || ga_psum_max(v) != m.max || ga_psum_end(v) != m.end)
        fail(s, "psum pack", "unpack(pack(%llu,%llu,%llu)) = (%u,%u,%u)", (unsigned long long)m.start,
             (unsigned long long)m.max, (unsigned long long)m.end, ga_psum_start(v), ga_psum_max(v), ga_psum_end(v));
    return false;
}

static bool op_merge(state *s, fuzz_input *in) {
    do_merge(s, in);
    return false;
}

static bool op_pd_alloc_range(state *s, fuzz_input *in) {
    uint32_t i, n;
    range_args(in, &i, &n);
    uint32_t want = model_count(s->scav, i, n);
    model_set(s->alloc, i, n, true);
    model_set(s->scav, i, n, false);
    uint32_t got = ga_pallocdata_alloc_range(&s->d, i, n);
    if (got != want)
        fail(s, "pallocdata_alloc_range", "alloc_range(%u, %u) reports %u scavenged, model %u", i, n, got, want);
    return true;
}

static bool op_pd_alloc_all(state *s, fuzz_input *in) {
    (void)in;
    uint32_t want = model_count(s->scav, 0, 512);
    model_set(s->alloc, 0, 512, true);
    model_set(s->scav, 0, 512, false);
    uint32_t got = ga_pallocdata_alloc_all(&s->d);
    if (got != want)
        fail(s, "pallocdata_alloc_all", "reports %u scavenged, model %u", got, want);
    return true;
}

static bool op_summarize(state *s, fuzz_input *in) {
    (void)s;
    (void)in;
    return true; /* check_state summarizes */
}

/* ---- the table (fuzz/pallocbits_ops.h) and the loop -------------------------------- */

enum { PALLOCBITS_OPS(FUZZ_OP_ENUM) OP_NUM = 0 PALLOCBITS_OPS(FUZZ_OP_PLUS_ONE) };
enum { PALLOCBITS_OPS(FUZZ_OP_SEQ) };
PALLOCBITS_OPS(FUZZ_OP_IN_ORDER)

typedef struct pb_op {
    const char *name;
    bool (*run)(state *, fuzz_input *);
    int arg_bytes;
} pb_op;

static const pb_op ops[OP_NUM] = {
#define PB_OP_ROW(code, NAME, name, args, layout) [code] = {#name, op_##name, args},
    PALLOCBITS_OPS(PB_OP_ROW)
#undef PB_OP_ROW
};

/* GA_FUZZ_TRACE: the op, the bytes it read, the chunk's summary and scavenged pages
 * after it. */
static void trace_op(const state *s, const fuzz_input *in, size_t start, const char *what) {
    unsigned scav = 0;
    for (unsigned w = 0; w < 8; w++)
        scav += (unsigned)__builtin_popcountll(s->d.scav[w]);
    fprintf(stderr, "pallocbits #%zu @%zu+%zu %s | sum %#llx scav %u\n", s->op, start, in->pos - start, what,
            (unsigned long long)ga_pallocbits_summarize(s->d.alloc), scav);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in;
    fi_init(&in, data, size);
    state *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    bool op_trace = fuzz_trace_on();
    if (op_trace)
        fprintf(stderr, "pallocbits input of %zu bytes\n", size);
    for (s->op = 0; s->op < MAX_OPS && fi_left(&in) > 0; s->op++) {
        size_t start = in.pos;
        const pb_op *op = &ops[fi_u8(&in) % OP_NUM];
        bool changed = op->run(s, &in); /* queries leave the chunk alone: skip the full compare */
        FUZZ_OP_READ_CHECK("pallocbits_fuzz", op->name, op->arg_bytes, start, &in);
        if (op_trace)
            trace_op(s, &in, start, op->name);
        if (changed)
            check_state(s, "after op");
    }
    free(s);
    return 0;
}
