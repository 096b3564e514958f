/* pallocBits unit tests: table-driven, every expectation computed by hand (not by a
 * model), so a mistake shared by the code and the fuzz model still shows up here. */
#include <stdio.h>
#include <string.h>

#include "pallocbits.h"
#include "support/check.h"

#define NONE GA_FIND_NONE

/* A chunk given as up to 6 half-open page ranges [lo, hi); `free_listed` says whether
 * the listed ranges are the free ones (rest allocated) or the allocated ones. */
typedef struct layout {
    int free_listed;
    struct {
        unsigned lo, hi;
    } r[6];
} layout;

static void build(uint64_t b[8], const layout *l) {
    memset(b, l->free_listed ? 0xff : 0, 8 * sizeof *b);
    for (int k = 0; k < 6 && l->r[k].hi; k++)
        for (unsigned i = l->r[k].lo; i < l->r[k].hi; i++) {
            if (l->free_listed)
                b[i / 64] &= ~((uint64_t)1 << (i % 64));
            else
                b[i / 64] |= (uint64_t)1 << (i % 64);
        }
}

/* Layouts used below. */
static const layout EMPTY = {0, {{0, 0}}};
static const layout FULL = {1, {{0, 0}}};
static const layout HEAD63 = {0, {{0, 63}}};   /* free from 63 */
static const layout ONLY64 = {1, {{64, 65}}};  /* one free page, 64 */
static const layout CROSS10 = {1, {{60, 70}}}; /* free 60..69, across w0/w1 */
/* free runs of 63 (10..72, w0->w1), 64 (130..193, w2->w3), 65 (250..314, w3->w4),
 * 63 at the top (449..511) */
static const layout RUNS = {1, {{10, 73}, {130, 194}, {250, 315}, {449, 512}}};
static const layout FIRST_ALLOC = {0, {{0, 1}}};
static const layout LAST_ALLOC = {0, {{511, 512}}};
static const layout BOTH_ENDS = {0, {{0, 1}, {511, 512}}};

static void test_find(void) {
    static const struct {
        const layout *l;
        unsigned n, search, want, want_ns; /* want_ns checked only when want != NONE */
    } t[] = {
        {&EMPTY, 1, 0, 0, 0},
        {&EMPTY, 512, 0, 0, 0},
        {&EMPTY, 512, 1, 0, 0},
        {&EMPTY, 512, 63, 0, 0},
        {&EMPTY, 512, 64, NONE, 0},
        {&EMPTY, 1, 511, 448, 448},
        {&EMPTY, 64, 448, 448, 448},
        {&EMPTY, 65, 448, NONE, 0},
        {&EMPTY, 2, 130, 128, 128},
        {&FULL, 1, 0, NONE, 0},
        {&FULL, 512, 0, NONE, 0},
        {&FULL, 64, 0, NONE, 0},
        {&HEAD63, 1, 0, 63, 63},
        {&HEAD63, 2, 0, 63, 63},
        {&HEAD63, 63, 0, 63, 63},
        {&HEAD63, 64, 0, 63, 63},
        {&HEAD63, 65, 0, 63, 63},
        {&HEAD63, 449, 0, 63, 63},
        {&HEAD63, 450, 0, NONE, 0},
        {&HEAD63, 1, 64, 64, 64},
        {&HEAD63, 449, 64, NONE, 0},
        {&HEAD63, 448, 127, 64, 64},
        {&ONLY64, 1, 0, 64, 64},
        {&ONLY64, 2, 0, NONE, 0},
        {&ONLY64, 1, 65, 64, 64},
        {&ONLY64, 1, 128, NONE, 0},
        {&CROSS10, 1, 0, 60, 60},
        {&CROSS10, 10, 0, 60, 60},
        {&CROSS10, 11, 0, NONE, 0},
        {&CROSS10, 2, 64, 64, 64},
        {&CROSS10, 6, 100, 64, 64},
        {&CROSS10, 7, 100, NONE, 0},
        {&RUNS, 1, 0, 10, 10},
        {&RUNS, 63, 0, 10, 10},
        {&RUNS, 64, 0, 130, 10},
        {&RUNS, 65, 0, 250, 10},
        {&RUNS, 66, 0, NONE, 0},
        {&RUNS, 63, 64, 130, 64},
        {&RUNS, 9, 64, 64, 64},
        {&RUNS, 10, 64, 130, 64},
        {&RUNS, 1, 200, 192, 192},
        {&RUNS, 2, 200, 192, 192},
        {&RUNS, 3, 200, 250, 192},
        {&RUNS, 59, 256, 256, 256},
        {&RUNS, 60, 256, 449, 256},
        {&RUNS, 63, 256, 449, 256},
        {&RUNS, 64, 256, NONE, 0},
        {&RUNS, 511, 0, NONE, 0},
        {&RUNS, 1, 320, 449, 449},
        {&RUNS, 1, 511, 449, 449},
        {&FIRST_ALLOC, 511, 0, 1, 1},
        {&FIRST_ALLOC, 512, 0, NONE, 0},
        {&FIRST_ALLOC, 1, 0, 1, 1},
        {&LAST_ALLOC, 511, 0, 0, 0},
        {&LAST_ALLOC, 512, 0, NONE, 0},
        {&LAST_ALLOC, 63, 448, 448, 448},
        {&LAST_ALLOC, 64, 448, NONE, 0},
        {&BOTH_ENDS, 510, 0, 1, 1},
        {&BOTH_ENDS, 511, 0, NONE, 0},
        {&BOTH_ENDS, 64, 0, 1, 1},
        {&BOTH_ENDS, 1, 511, 448, 448},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        uint64_t b[8];
        char what[64];
        build(b, t[k].l);
        uint32_t ns = 12345;
        uint32_t j = ga_pallocbits_find(b, t[k].n, t[k].search, &ns);
        snprintf(what, sizeof what, "find #%zu (n=%u, search=%u)", k, t[k].n, t[k].search);
        CHECK_EQ(j, t[k].want, "%s", what);
        if (t[k].want != NONE) {
            snprintf(what, sizeof what, "find #%zu new_search", k);
            CHECK_EQ(ns, t[k].want_ns, "%s", what);
        }
        CHECK_EQ(ga_pallocbits_find(b, t[k].n, t[k].search, NULL), t[k].want, "find without new_search");
    }
}

static void test_find_bit_range64(void) {
    static const struct {
        uint64_t c;
        unsigned n, want;
    } t[] = {
        {0, 1, 64},
        {~(uint64_t)0, 1, 0},
        {~(uint64_t)0, 64, 0},
        {~(uint64_t)0 << 1, 63, 1},
        {~(uint64_t)0 << 1, 64, 64},
        {(uint64_t)1 << 63, 1, 63},
        {(uint64_t)1 << 63, 2, 64},
        {0xf0, 4, 4},
        {0xf0, 5, 64},
        {0x0f0f, 4, 0},
        {0x0f0e, 4, 8},
        {0x0f0e, 3, 1},
        {0xaaaaaaaaaaaaaaaa, 1, 1},
        {0xaaaaaaaaaaaaaaaa, 2, 64},
        {0xffffffff00000000, 32, 32},
        {0xffffffff00000000, 33, 64},
        {0x7ffffffffffffffe, 62, 1},
        {0x00ffff000000ffff, 17, 64},
        {0x00ffff000000ffff, 16, 0},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
        CHECK_EQ(ga_find_bit_range64(t[k].c, t[k].n), t[k].want, "find_bit_range64");
}

/* hand packing, each field < 2^21 */
#define P(s, m, e) ((uint64_t)(s) | (uint64_t)(m) << 21 | (uint64_t)(e) << 42)

static void test_summarize(void) {
    static const layout ALT_EVEN = {0, {{0, 0}}}; /* built by hand below */
    static const layout ENDS5 = {0, {{5, 500}}};
    static const layout P63_200 = {0, {{63, 64}, {200, 201}}};
    static const layout INNER7 = {1, {{3, 10}}};
    static const layout INNER62 = {1, {{1, 63}}};
    static const layout W_EDGE = {1, {{64, 128}, {129, 130}}};
    static const struct {
        const layout *l;
        ga_psum want;
    } t[] = {
        {&EMPTY, GA_PSUM_FREE_CHUNK},   {&FULL, 0},
        {&FIRST_ALLOC, P(0, 511, 511)}, {&LAST_ALLOC, P(511, 511, 0)},
        {&BOTH_ENDS, P(0, 510, 0)},     {&RUNS, P(0, 65, 63)},
        {&HEAD63, P(0, 449, 449)},      {&ONLY64, P(0, 1, 0)},
        {&CROSS10, P(0, 10, 0)},        {&ENDS5, P(5, 12, 12)},
        {&P63_200, P(63, 311, 311)},    {&INNER7, P(0, 7, 0)},
        {&INNER62, P(0, 62, 0)},        {&W_EDGE, P(0, 64, 0)},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        uint64_t b[8];
        build(b, t[k].l);
        CHECK_EQ(ga_pallocbits_summarize(b), t[k].want, "summarize");
    }
    uint64_t b[8];
    build(b, &ALT_EVEN);
    for (int w = 0; w < 8; w++)
        b[w] = 0x5555555555555555; /* even pages allocated */
    CHECK_EQ(ga_pallocbits_summarize(b), P(0, 1, 1), "summarize even pages");
    for (int w = 0; w < 8; w++)
        b[w] = 0xaaaaaaaaaaaaaaaa; /* odd pages allocated */
    CHECK_EQ(ga_pallocbits_summarize(b), P(1, 1, 0), "summarize odd pages");
    CHECK_EQ(GA_PSUM_FREE_CHUNK, 0x0008000040000200ull, "free chunk constant");
}

static void test_ranges(void) {
    uint64_t b[8] = {0};
    ga_pallocbits_alloc_range(b, 60, 10);
    CHECK_EQ(b[0], 0xf000000000000000ull, "alloc_range(60,10) w0");
    CHECK_EQ(b[1], 0x3full, "alloc_range(60,10) w1");
    CHECK_EQ(ga_pallocbits_popcnt_range(b, 0, 512), 10, "popcnt(0,512)");
    CHECK_EQ(ga_pallocbits_popcnt_range(b, 60, 10), 10, "popcnt(60,10)");
    CHECK_EQ(ga_pallocbits_popcnt_range(b, 59, 2), 1, "popcnt(59,2)");
    CHECK_EQ(ga_pallocbits_popcnt_range(b, 63, 2), 2, "popcnt(63,2)");
    CHECK_EQ(ga_pallocbits_popcnt_range(b, 70, 442), 0, "popcnt(70,442)");
    CHECK_EQ(ga_pallocbits_popcnt_range(b, 61, 0), 0, "popcnt(61,0)");
    CHECK_EQ(ga_pallocbits_popcnt_range(b, 512, 0), 0, "popcnt(512,0)");
    ga_pallocbits_free_range(b, 62, 3);
    CHECK_EQ(b[0], 0x3000000000000000ull, "free_range(62,3) w0");
    CHECK_EQ(b[1], 0x3eull, "free_range(62,3) w1");
    ga_pallocbits_alloc_range(b, 100, 0);
    ga_pallocbits_free_range(b, 61, 0);
    CHECK_EQ(b[0], 0x3000000000000000ull, "empty ranges w0");
    CHECK_EQ(b[1], 0x3eull, "empty ranges w1");
    ga_pallocbits_alloc_range(b, 0, 512);
    for (int w = 0; w < 8; w++)
        CHECK_EQ(b[w], ~0ull, "alloc_range(0,512)");
    ga_pallocbits_free_range(b, 64, 128);
    CHECK_EQ(b[0], ~0ull, "free_range(64,128) w0");
    CHECK_EQ(b[1], 0, "free_range(64,128) w1");
    CHECK_EQ(b[2], 0, "free_range(64,128) w2");
    CHECK_EQ(b[3], ~0ull, "free_range(64,128) w3");
    CHECK_EQ(ga_pallocbits_popcnt_range(b, 0, 512), 384, "popcnt(0,512) after");
    CHECK_EQ(ga_pallocbits_popcnt_range(b, 1, 510), 382, "popcnt(1,510)");
    ga_pallocbits_free1(b, 511);
    CHECK_EQ(b[7], 0x7fffffffffffffffull, "free1(511)");
    ga_pallocbits_free1(b, 0);
    CHECK_EQ(b[0], ~1ull, "free1(0)");
    ga_pallocbits_alloc_range(b, 1, 510); /* pages 0 and 511 stay free */
    CHECK_EQ(b[0], ~1ull, "alloc_range(1,510) w0");
    CHECK_EQ(b[7], 0x7fffffffffffffffull, "alloc_range(1,510) w7");
    CHECK_EQ(ga_pallocbits_summarize(b), P(1, 1, 1), "summary 0/511 free");
    ga_pallocbits_free_all(b);
    for (int w = 0; w < 8; w++)
        CHECK_EQ(b[w], 0, "free_all");
    ga_pallocbits_alloc_all(b);
    for (int w = 0; w < 8; w++)
        CHECK_EQ(b[w], ~0ull, "alloc_all");
    ga_pallocbits_alloc_range(b, 130, 1); /* already set: no change */
    CHECK_EQ(b[2], ~0ull, "alloc_range on set bits");
}

static void test_pallocdata(void) {
    ga_pallocdata d;
    memset(&d, 0, sizeof d);
    d.scav[0] = 0xff00;                                                          /* pages 8..15 scavenged */
    d.scav[1] = 1;                                                               /* page 64 */
    d.scav[7] = 1ull << 63;                                                      /* page 511 */
    CHECK_EQ(ga_pallocdata_alloc_range(&d, 10, 60), 7, "pd alloc_range(10,60)"); /* 10..15 and 64 */
    CHECK_EQ(d.scav[0], 0x300ull, "pd scav w0");
    CHECK_EQ(d.scav[1], 0, "pd scav w1");
    CHECK_EQ(d.alloc[0], ~0ull << 10, "pd alloc w0");
    CHECK_EQ(d.alloc[1], 0x3full, "pd alloc w1");
    CHECK_EQ(ga_pallocdata_alloc_range(&d, 0, 0), 0, "pd alloc_range(0,0)");
    CHECK_EQ(ga_pallocdata_alloc_range(&d, 70, 441), 0, "pd alloc_range(70,441)");
    CHECK_EQ(ga_pallocdata_alloc_all(&d), 3, "pd alloc_all"); /* 8, 9, 511 */
    for (int w = 0; w < 8; w++) {
        CHECK_EQ(d.alloc[w], ~0ull, "pd alloc_all alloc");
        CHECK_EQ(d.scav[w], 0, "pd alloc_all scav");
    }
}

static void test_pack(void) {
    CHECK_EQ(ga_psum_pack(0, 0, 0), 0, "pack(0,0,0)");
    CHECK_EQ(ga_psum_pack(512, 512, 512), 0x0008000040000200ull, "pack(512,512,512)");
    CHECK_EQ(ga_psum_pack(1, 2, 3), 0xc0000400001ull, "pack(1,2,3)");
    CHECK_EQ(ga_psum_pack(GA_PSUM_MAX - 1, GA_PSUM_MAX - 1, GA_PSUM_MAX - 1), 0x7fffffffffffffffull, "pack(max-1 x3)");
    CHECK_EQ(ga_psum_pack(GA_PSUM_MAX, GA_PSUM_MAX, GA_PSUM_MAX), 1ull << 63, "pack(2^21 x3)");
    static const uint64_t v[] = {1ull << 63, (1ull << 63) | 5, ~0ull};
    for (size_t k = 0; k < 3; k++) {
        CHECK_EQ(ga_psum_start(v[k]), GA_PSUM_MAX, "start(2^21 form)");
        CHECK_EQ(ga_psum_max(v[k]), GA_PSUM_MAX, "max(2^21 form)");
        CHECK_EQ(ga_psum_end(v[k]), GA_PSUM_MAX, "end(2^21 form)");
    }
    CHECK_EQ(ga_psum_start(0xc0000400001ull), 1, "start(0xc0000400001)");
    CHECK_EQ(ga_psum_max(0xc0000400001ull), 2, "max(0xc0000400001)");
    CHECK_EQ(ga_psum_end(0xc0000400001ull), 3, "end(0xc0000400001)");
    CHECK_EQ(ga_psum_start(0x7fffffffffffffffull), GA_PSUM_MAX - 1, "start(max-1)");
    CHECK_EQ(ga_psum_max(0x7fffffffffffffffull), GA_PSUM_MAX - 1, "max(max-1)");
    CHECK_EQ(ga_psum_end(0x7fffffffffffffffull), GA_PSUM_MAX - 1, "end(max-1)");
    CHECK_EQ(ga_psum_start(GA_PSUM_FREE_CHUNK), 512, "start(free chunk)");
    CHECK_EQ(ga_psum_end(0), 0, "end(0)");
}

static void test_merge(void) {
    const ga_psum F9 = GA_PSUM_FREE_CHUNK, F18 = P(1u << 18, 1u << 18, 1u << 18);
    static const struct {
        uint32_t log_n;
        ga_psum c[8];
        ga_psum want;
    } t[] = {
        {9, {0}, 0},
        {9,
         {P(512, 512, 512), P(512, 512, 512), P(512, 512, 512), P(512, 512, 512), P(512, 512, 512), P(512, 512, 512),
          P(512, 512, 512), P(512, 512, 512)},
         P(4096, 4096, 4096)},
        /* 2 free + 10 = 1034 at the start; 3 free between 0-end c3 and c7's start 5 */
        {9,
         {P(512, 512, 512), P(512, 512, 512), P(10, 20, 30), 0, P(512, 512, 512), P(512, 512, 512), P(512, 512, 512),
          P(5, 5, 0)},
         P(1034, 1541, 0)},
        /* run across a boundary (300 + 200) beats every child's own max */
        {9, {P(0, 300, 300), P(200, 200, 100), P(50, 60, 7), 0, 0, 0, 0, 0}, P(0, 500, 0)},
        /* only the last child free */
        {9, {0, 0, 0, 0, 0, 0, 0, P(512, 512, 512)}, P(0, 512, 512)},
        /* end run crossing several free children to the top */
        {10,
         {P(3, 3, 0), P(0, 40, 1000), P(1024, 1024, 1024), P(1024, 1024, 1024), P(1024, 1024, 1024),
          P(1024, 1024, 1024), P(1024, 1024, 1024), P(1024, 1024, 1024)},
         P(3, 7144, 7144)},
        {18, {0}, 0},
        {18,
         {P(1u << 18, 1u << 18, 1u << 18), P(1u << 18, 1u << 18, 1u << 18), P(1u << 18, 1u << 18, 1u << 18),
          P(1u << 18, 1u << 18, 1u << 18), P(1u << 18, 1u << 18, 1u << 18), P(1u << 18, 1u << 18, 1u << 18),
          P(1u << 18, 1u << 18, 1u << 18), 0},
         P(7u << 18, 7u << 18, 0)},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        char what[32];
        snprintf(what, sizeof what, "merge #%zu", k);
        CHECK_EQ(ga_psum_merge(t[k].c, t[k].log_n), t[k].want, "%s", what);
    }
    /* 2^21: a whole level-0 entry free is stored as 1 << 63 */
    ga_psum all18[8] = {F18, F18, F18, F18, F18, F18, F18, F18};
    CHECK_EQ(ga_psum_merge(all18, 18), 1ull << 63, "merge 8 free 2^18 regions");
    ga_psum all9[8] = {F9, F9, F9, F9, F9, F9, F9, F9};
    CHECK_EQ(ga_psum_merge(all9, 9), P(4096, 4096, 4096), "merge 8 free chunks");
}

/* ---- scavenging --------------------------------------------------------------------- */

/* Go's fillAligned against its definition, group by group: hand cases, then every value
 * of a group at every group position for m <= 16 (the trick's carry never leaves a
 * group, so a group's result depends on its own bits only; the other groups hold a
 * fixed pattern) and single bits and a xorshift sequence for m = 32, 64. */
static int fill_ok(uint64_t x, unsigned m, uint64_t r) {
    for (unsigned g = 0; g < 64; g += m) {
        uint64_t mask = m == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m) - 1) << g;
        if ((r & mask) != ((x & mask) ? mask : 0))
            return 0;
    }
    return 1;
}

static void test_fill_aligned(void) {
    CHECK(ga_fill_aligned(0x0100, 8) == 0xff00, "fill(0x100, 8)");
    CHECK(ga_fill_aligned(0x10, 4) == 0xf0, "fill(0x10, 4)");
    CHECK(ga_fill_aligned(0x8000000000000001ull, 32) == ~(uint64_t)0, "fill(top|bottom, 32)");
    CHECK(ga_fill_aligned(0x8000000000000000ull, 64) == ~(uint64_t)0, "fill(top, 64)");
    CHECK(ga_fill_aligned(0x6, 2) == 0xf, "fill(0b0110, 2)");
    CHECK(ga_fill_aligned(0x1234, 1) == 0x1234, "fill(x, 1) = x");
    for (unsigned m = 1; m <= 64; m *= 2)
        CHECK(ga_fill_aligned(0, m) == 0, "fill(0, %u)", m);
    size_t bad = 0;
    for (unsigned m = 2; m <= 16; m *= 2)
        for (unsigned g = 0; g < 64; g += m)
            for (uint64_t v = 0; v < ((uint64_t)1 << m); v++) {
                uint64_t other = 0x0f00f0f0a5a50001ull & ~((((uint64_t)1 << m) - 1) << g);
                uint64_t x = other | v << g;
                bad += !fill_ok(x, m, ga_fill_aligned(x, m));
            }
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (unsigned k = 0; k < 200000; k++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        uint64_t x = k < 64 ? (uint64_t)1 << k : k % 3 ? r & (r >> 11) & (r >> 29) : r;
        for (unsigned m = 1; m <= 64; m *= 2)
            bad += !fill_ok(x, m, ga_fill_aligned(x, m));
    }
    CHECK(bad == 0, "fill_aligned: %zu results differ from the group definition", bad);
}

/* findScavengeCandidate, expectations by hand.  d: pages [flo, fhi) free and
 * unscavenged, the rest allocated, then pages [slo, shi) scavenged. */
static void scav_chunk(ga_pallocdata *d, unsigned flo, unsigned fhi, unsigned slo, unsigned shi) {
    memset(d->alloc, 0xff, sizeof d->alloc);
    memset(d->scav, 0, sizeof d->scav);
    for (unsigned i = flo; i < fhi; i++)
        d->alloc[i / 64] &= ~((uint64_t)1 << (i % 64));
    for (unsigned i = slo; i < shi; i++)
        d->scav[i / 64] |= (uint64_t)1 << (i % 64);
}

static void test_find_scavenge_candidate(void) {
    static const struct {
        const char *name;
        unsigned flo, fhi, slo, shi, search;
        size_t min, max, huge;
        uint32_t size, start;
    } cases[] = {
        {"all free, max 0 = min", 0, 512, 0, 0, 511, 1, 0, 0, 1, 511},
        {"all free, max 512", 0, 512, 0, 0, 511, 1, 512, 0, 512, 0},
        {"all free, max above a chunk", 0, 512, 0, 0, 511, 1, 100000, 0, 512, 0},
        {"search in word 1", 0, 512, 0, 0, 100, 1, 0, 0, 1, 127},
        {"nothing free", 0, 0, 0, 0, 511, 1, 0, 0, 0, 0},
        {"all free but scavenged", 0, 512, 0, 512, 511, 1, 512, 0, 0, 0},
        {"free 0..257, max 3", 0, 258, 0, 0, 511, 1, 3, 0, 3, 255},
        /* 255 rounds up to 256 <= 258 (the run's end), 255 rounds down to 0 >= 0 (its
         * start): the huge page [0, 256) would be split, so it all goes */
        {"free 0..257, max 3, 2 MiB huge pages", 0, 258, 0, 0, 511, 1, 3, 2 << 20, 258, 0},
        {"page 0 scavenged: the huge page is not whole", 0, 258, 0, 1, 511, 1, 3, 2 << 20, 3, 255},
        {"huge page above a chunk: none", 0, 258, 0, 0, 511, 1, 3, (size_t)1 << 30, 3, 255},
        {"huge page of 4 KiB: none", 0, 258, 0, 0, 511, 1, 3, 4096, 3, 255},
        /* min 4: group 256..259 holds allocated 258, so the run is [0, 256); max 3
         * aligns up to 4 */
        {"min 4, max 3", 0, 258, 0, 0, 511, 4, 3, 0, 4, 252},
        {"min 4, max 3, huge pages", 0, 258, 0, 0, 511, 4, 3, 2 << 20, 256, 0},
        {"run crossing words, max 100", 10, 200, 0, 0, 511, 1, 100, 0, 100, 100},
        {"run crossing words, whole", 10, 200, 0, 0, 511, 1, 512, 0, 190, 10},
        {"run below the search word only", 10, 200, 0, 0, 63, 1, 512, 0, 54, 10},
        {"min 64: only whole free words", 10, 200, 0, 0, 511, 64, 1, 0, 64, 128},
        /* huge pages of 64 pages (512 KiB), run [10, 200): max 8 gives [192, 200), already
         * on a boundary; max 12 gives [188, 200), which reaches 192, and 128 is in the
         * run: widened to [128, 200); max 150 gives [50, 200), but 0 is not in the run */
        {"512 KiB huge pages, aligned", 10, 200, 0, 0, 511, 1, 8, 512 << 10, 8, 192},
        {"512 KiB huge pages, widened", 10, 200, 0, 0, 511, 1, 12, 512 << 10, 72, 128},
        {"512 KiB huge pages, boundary below the run", 10, 200, 0, 0, 511, 1, 150, 512 << 10, 150, 50},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ga_pallocdata d;
        scav_chunk(&d, cases[k].flo, cases[k].fhi, cases[k].slo, cases[k].shi);
        uint32_t st = 12345;
        uint32_t n =
            ga_pallocdata_find_scavenge_candidate(&d, cases[k].search, cases[k].min, cases[k].max, cases[k].huge, &st);
        CHECK(n == cases[k].size && (n == 0 || st == cases[k].start), "%s: (%u, %u), expected (%u, %u)", cases[k].name,
              st, n, cases[k].start, cases[k].size);
    }
}

int main(void) {
    test_find();
    test_find_bit_range64();
    test_summarize();
    test_ranges();
    test_pallocdata();
    test_pack();
    test_merge();
    test_fill_aligned();
    test_find_scavenge_candidate();
    return check_report();
}
