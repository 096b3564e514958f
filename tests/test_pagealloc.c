/* pageAlloc: table-driven cases with hand-computed results, metadata accounting,
 * refusals during init and grow, and a seeded differential run against a naive model
 * (one bool per page, lowest-fit scan).  The managed ranges are never mapped:
 * pageAlloc must not touch them (the test OS makes `unused` record-only).
 * ga_pagealloc_check runs after every step; destroy must give back every byte. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os.h"
#include "pagealloc.h"
#include "pagealloc_impl.h"
#include "support/check.h"
#include "support/testos.h"

#define PS ((uintptr_t)8192)
#define MiB ((uintptr_t)1 << 20)
#define GiB ((uintptr_t)1 << 30)
#define CHUNK (4 * MiB)
#define B ((uintptr_t)0xc000000000ull) /* Go's first arena hint */
#define PG(k) (B + (uintptr_t)(k)*PS)
#define X ((uintptr_t)0x7f0000000000ull)
#define Y ((uintptr_t)0x1000000000ull)
#define Z ((uintptr_t)0x400000000000ull)
#define EXHAUSTED ((uintptr_t)1) /* SEARCH expectation: search_addr == GA_PA_MAX_OFF */

/* ---- environment: a pageAlloc over a counting OS -------------------------------- */

typedef struct env {
    ga_testos tos;
    ga_os os;
    ga_pagealloc pa;
    const char *name;
    int step;
} env;

static env E;

static int env_init(env *e, const char *name, const ga_config *base_cfg) {
    ga_testos_init(&e->tos);
    e->tos.fake_unused = 1;
    ga_config cfg = base_cfg ? *base_cfg : (ga_config){0};
    cfg.os = &e->tos.hooks;
    ga_os_init(&e->os, &cfg);
    e->name = name;
    e->step = 0;
    return ga_pagealloc_init(&e->pa, &e->os);
}

static void check_sound(env *e, const char *what) {
    char why[256];
    int rc = ga_pagealloc_check(&e->pa, why, sizeof why);
    CHECK(rc == 0, "%s step %d (%s): check: %s", e->name, e->step, what, rc ? why : "");
}

/* Destroy and verify that every byte of metadata went back; the ready heap bytes left
 * are exactly the pages the test made ready and that were never scavenged. */
static void env_fini(env *e) {
    size_t heap_ready = (e->pa.total_pages - e->pa.scav_pages) * PS;
    ga_pagealloc_destroy(&e->pa);
    size_t r = atomic_load(&e->os.reserved), m = atomic_load(&e->os.mapped), rd = atomic_load(&e->os.ready);
    CHECK(r == 0 && m == 0, "%s: after destroy reserved %zu, mapped %zu (expected 0)", e->name, r, m);
    CHECK(rd == heap_ready, "%s: after destroy ready %zu, expected %zu (heap pages made ready, not scavenged)", e->name,
          rd, heap_ready);
    CHECK(atomic_load(&e->os.os_errors) == 0, "%s: %lu OS errors", e->name,
          (unsigned long)atomic_load(&e->os.os_errors));
}

/* Like mheap: allocate, then make the scavenged part ready. */
static uintptr_t do_alloc(env *e, size_t npages, size_t *scav) {
    size_t s = 0;
    uintptr_t a = ga_pagealloc_alloc(&e->pa, npages, &s);
    if (a && s)
        CHECK(ga_sys_used(&e->os, (void *)a, npages * PS, s) == 0, "%s: used refused", e->name);
    *scav = s;
    return a;
}

static uintptr_t search_real(const ga_pagealloc *p) {
    return p->search_addr == GA_PA_MAX_OFF ? EXHAUSTED : ga_unoff(p->search_addr);
}

/* ---- table-driven cases ----------------------------------------------------------- */

enum { END, GROW, ALLOC, FREE, SCAV, SEARCH, RANGES };

typedef struct op {
    int kind;
    uintptr_t a;      /* GROW: base; FREE: address */
    uint64_t n;       /* GROW: chunks; ALLOC/FREE: pages; SCAV: bytes */
    uintptr_t expect; /* ALLOC: address (0 = none); SCAV: bytes released; SEARCH: address; RANGES: count */
    uint64_t expect2; /* ALLOC: scavenged pages reused; SCAV: address of the first release (0 = none) */
} op;

typedef struct tcase {
    const char *name;
    op ops[48];
} tcase;

#define G_(base, chunks)                                                                                               \
    { GROW, (base), (chunks), 0, 0 }
#define A_(n, addr, scav)                                                                                              \
    { ALLOC, 0, (n), (addr), (scav) }
#define F_(addr, n)                                                                                                    \
    { FREE, (addr), (n), 0, 0 }
#define S_(bytes, released, first)                                                                                     \
    { SCAV, 0, (bytes), (released), (first) }
#define SA_(addr)                                                                                                      \
    { SEARCH, 0, 0, (addr), 0 }
#define R_(n)                                                                                                          \
    { RANGES, 0, 0, (n), 0 }

static const tcase cases[] = {
    {"one page at a time",
     {G_(B, 1), A_(1, PG(0), 1), A_(1, PG(1), 1), SA_(PG(1)), F_(PG(0), 1), SA_(PG(0)), A_(1, PG(0), 0),
      A_(1, PG(2), 1), SA_(PG(2))}},
    {"63 64 65 1 319 in one chunk",
     {G_(B, 1), A_(63, PG(0), 63), A_(64, PG(63), 64), A_(65, PG(127), 65), A_(1, PG(192), 1), A_(511, 0, 0),
      A_(320, 0, 0), A_(319, PG(193), 319), A_(1, 0, 0), SA_(EXHAUSTED)}},
    {"runs across 64-page words",
     {G_(B, 1), A_(60, PG(0), 60), A_(8, PG(60), 8), F_(PG(0), 60), A_(61, PG(68), 61), A_(60, PG(0), 0), F_(PG(60), 8),
      A_(9, PG(129), 9), A_(8, PG(60), 0)}},
    {"511 512 513 and chunk-sized holes",
     {G_(B, 4), A_(512, PG(0), 512), A_(513, PG(512), 513), A_(511, PG(1025), 511), A_(1, PG(1536), 1), A_(512, 0, 0),
      A_(511, PG(1537), 511), A_(1, 0, 0), F_(PG(512), 513), A_(514, 0, 0), A_(513, PG(512), 0)}},
    {"3 chunks + 7 pages",
     {G_(B, 8), A_(5, PG(0), 5), A_(1543, PG(5), 1543), F_(PG(0), 5), A_(1543, PG(1548), 1543), A_(5, PG(0), 0),
      F_(PG(5), 1543), A_(1544, 0, 0), A_(1543, PG(5), 0)}},
    {"lowest fit across a chunk boundary",
     {G_(B, 2), A_(500, PG(0), 500), A_(12, PG(500), 12), A_(24, PG(512), 24), A_(10, PG(536), 10), F_(PG(500), 12),
      F_(PG(512), 24), A_(37, PG(546), 37), A_(30, PG(500), 0), A_(6, PG(530), 0), A_(1, PG(583), 1)}},
    {"full and empty chunks",
     {G_(B, 3), A_(512, PG(0), 512), A_(512, PG(512), 512), A_(512, PG(1024), 512), F_(PG(512), 512), A_(513, 0, 0),
      A_(512, PG(512), 0), F_(PG(0), 1536), A_(1536, PG(0), 0), A_(1, 0, 0)}},
    {"out of space",
     {G_(B, 1), A_(513, 0, 0), A_(512, PG(0), 512), A_(1, 0, 0), SA_(EXHAUSTED), F_(PG(100), 1), SA_(PG(100)),
      A_(2, 0, 0), A_(1, PG(100), 0)}},
    {"far apart, grown out of order",
     {G_(X, 1), A_(1, X, 1), G_(Y, 1), SA_(Y), G_(Z, 2), R_(3), A_(1, Y, 1), A_(512, Z, 512), A_(511, Y + PS, 511),
      A_(600, 0, 0), A_(512, Z + CHUNK, 512), A_(511, X + PS, 511), A_(1, 0, 0), SA_(EXHAUSTED), F_(X + 100 * PS, 1),
      F_(Z + 7 * PS, 2), A_(2, Z + 7 * PS, 0), A_(1, X + 100 * PS, 0)}},
    {"adjacent growth coalesces",
     {G_(B, 1), G_(B + CHUNK, 1), R_(1), A_(1024, B, 1024), G_(B - CHUNK, 1), R_(1), SA_(B - CHUNK),
      G_(B + 4 * CHUNK, 1), R_(2), G_(B + 2 * CHUNK, 2), R_(1), A_(1537, 0, 0), A_(1536, B + 2 * CHUNK, 1536),
      A_(513, 0, 0), A_(512, B - CHUNK, 512), A_(1, 0, 0)}},
    {"search address after frees below it",
     {G_(B, 1),        A_(1, PG(0), 1), A_(1, PG(1), 1), A_(1, PG(2), 1), A_(1, PG(3), 1),  A_(1, PG(4), 1),
      A_(1, PG(5), 1), A_(1, PG(6), 1), A_(1, PG(7), 1), A_(1, PG(8), 1), A_(1, PG(9), 1),  SA_(PG(9)),
      F_(PG(3), 1),    SA_(PG(3)),      F_(PG(5), 1),    SA_(PG(3)),      A_(2, PG(10), 2), SA_(PG(3)),
      A_(1, PG(3), 0), SA_(PG(3)),      A_(1, PG(5), 0), SA_(PG(5)),      A_(1, PG(12), 1), SA_(PG(12)),
      F_(PG(0), 1),    SA_(PG(0)),      A_(1, PG(0), 0)}},
    {"scavenged pages: grow, reuse, release",
     {G_(B, 1), A_(10, PG(0), 10), F_(PG(0), 10), A_(10, PG(0), 0), A_(10, PG(10), 10), F_(PG(0), 10), F_(PG(10), 10),
      S_(5 * PS, 5 * PS, PG(15)), A_(20, PG(0), 5), F_(PG(0), 20), S_(1, PS, PG(19)), S_(3 * PS, 3 * PS, PG(16)),
      S_(SIZE_MAX, 16 * PS, PG(0)), S_(SIZE_MAX, 0, 0), A_(20, PG(0), 20)}},
    {"scavenge highest address first, across chunks",
     {G_(B, 2), A_(1024, PG(0), 1024), F_(PG(100), 10), F_(PG(600), 10), F_(PG(300), 5), S_(12 * PS, 12 * PS, PG(600)),
      S_(SIZE_MAX, 13 * PS, PG(300)), A_(3, PG(100), 3), F_(PG(500), 30), S_(SIZE_MAX, 30 * PS, PG(512)), A_(31, 0, 0),
      A_(30, PG(500), 30), S_(SIZE_MAX, 0, 0)}},
    {"scavenge far-apart ranges",
     {G_(X, 1), G_(Y, 1), A_(512, Y, 512), A_(512, X, 512), F_(X, 512), F_(Y, 512), S_(PS, PS, X + 511 * PS),
      S_(SIZE_MAX, 1023 * PS, X), A_(1024, 0, 0), A_(512, Y, 512), A_(512, X, 512)}},
    {"summary entry of a whole free 16 GiB region",
     {G_((uintptr_t)0xc3c0000000, 18 * 256), A_(1, 0xc3c0000000, 1),
      A_(((uint64_t)1 << 21) + 5, 0xc3c0000000 + PS, ((uint64_t)1 << 21) + 5),
      A_(262138, 0xc3c0000000 + (((uint64_t)1 << 21) + 6) * PS, 262138), A_(1, 0, 0),
      F_(0xc3c0000000 + PS, ((uint64_t)1 << 21) + 5), A_(((uint64_t)1 << 21) + 6, 0, 0),
      A_((uint64_t)1 << 21, 0xc3c0000000 + PS, 0), F_(0xc3c0000000, 1), F_(0xc3c0000000 + PS, (uint64_t)1 << 21),
      F_(0xc3c0000000 + (((uint64_t)1 << 21) + 6) * PS, 262138), A_(2359297, 0, 0), A_(2359296, 0xc3c0000000, 0)}},
};

/* Runs that cross a boundary of summary level 3 (32 MiB), 2 (256 MiB), 1 (2 GiB) and
 * 0 (16 GiB): the same script around each boundary q, over [q - 8 MiB, q + 8 MiB). */
static const struct {
    const char *name;
    uintptr_t q;
} boundaries[] = {
    {"level-3 boundary (32 MiB)", 0xc002000000ull},
    {"level-2 boundary (256 MiB)", 0xc010000000ull},
    {"level-1 boundary (2 GiB)", 0xc080000000ull},
    {"level-0 boundary (16 GiB)", 0xc400000000ull},
};

static void boundary_case(tcase *t, uintptr_t q) {
    uintptr_t g = q - 2 * CHUNK;
    const op ops[] = {G_(g, 4),
                      A_(1000, g, 1000),
                      A_(100, g + 1000 * PS, 100),
                      A_(948, g + 1100 * PS, 948),
                      A_(1, 0, 0),
                      F_(g + 1000 * PS, 100),
                      A_(101, 0, 0),
                      A_(100, g + 1000 * PS, 0),
                      F_(g + 900 * PS, 1148),
                      A_(1149, 0, 0),
                      A_(1148, g + 900 * PS, 0),
                      F_(g, 2048),
                      A_(2048, g, 0)};
    memset(t->ops, 0, sizeof t->ops);
    memcpy(t->ops, ops, sizeof ops);
}

static void run_case(const tcase *t) {
    env *e = &E;
    CHECK(env_init(e, t->name, NULL) == 0, "%s: init failed", t->name);
    check_sound(e, "init");
    for (const op *o = t->ops; o->kind != END; o++) {
        e->step++;
        char what[64];
        switch (o->kind) {
        case GROW: {
            int rc = ga_pagealloc_grow(&e->pa, o->a, o->n * CHUNK);
            CHECK(rc == 0, "%s step %d: grow(%#lx, %lu chunks) = %d", t->name, e->step, (unsigned long)o->a,
                  (unsigned long)o->n, rc);
            snprintf(what, sizeof what, "grow %#lx", (unsigned long)o->a);
            break;
        }
        case ALLOC: {
            size_t scav;
            uintptr_t a = do_alloc(e, o->n, &scav);
            CHECK(a == o->expect, "%s step %d: alloc(%lu) = %#lx, expected %#lx", t->name, e->step, (unsigned long)o->n,
                  (unsigned long)a, (unsigned long)o->expect);
            CHECK(scav == o->expect2 * PS, "%s step %d: alloc(%lu) reused %zu scavenged pages, expected %lu", t->name,
                  e->step, (unsigned long)o->n, scav / PS, (unsigned long)o->expect2);
            snprintf(what, sizeof what, "alloc %lu", (unsigned long)o->n);
            break;
        }
        case FREE:
            ga_pagealloc_free(&e->pa, o->a, o->n);
            snprintf(what, sizeof what, "free %#lx %lu", (unsigned long)o->a, (unsigned long)o->n);
            break;
        case SCAV: {
            uint64_t before = e->tos.nlog;
            uint64_t before_calls = e->tos.calls[TESTOS_UNUSED];
            size_t r = ga_pagealloc_scavenge(&e->pa, o->n);
            CHECK(r == o->expect, "%s step %d: scavenge(%lu) released %zu, expected %lu", t->name, e->step,
                  (unsigned long)o->n, r, (unsigned long)o->expect);
            uint64_t ncalls = e->tos.calls[TESTOS_UNUSED] - before_calls;
            if (o->expect2) {
                const ga_testos_call *c = ga_testos_recent(&e->tos, e->tos.nlog - before - 1);
                CHECK(ncalls > 0 && c && c->hook == TESTOS_UNUSED && c->v == o->expect2,
                      "%s step %d: first release at %#lx, expected %#lx", t->name, e->step,
                      c ? (unsigned long)c->v : 0ul, (unsigned long)o->expect2);
            } else {
                CHECK(ncalls == 0, "%s step %d: %lu unexpected releases", t->name, e->step, (unsigned long)ncalls);
            }
            snprintf(what, sizeof what, "scavenge %lu", (unsigned long)o->n);
            break;
        }
        case SEARCH:
            CHECK(search_real(&e->pa) == o->expect, "%s step %d: search_addr %#lx, expected %#lx", t->name, e->step,
                  (unsigned long)search_real(&e->pa), (unsigned long)o->expect);
            snprintf(what, sizeof what, "search");
            break;
        case RANGES:
            CHECK(e->pa.in_use.n == o->expect, "%s step %d: %zu in-use ranges, expected %lu", t->name, e->step,
                  e->pa.in_use.n, (unsigned long)o->expect);
            snprintf(what, sizeof what, "ranges");
            break;
        }
        check_sound(e, what);
    }
    env_fini(e);
}

static void test_cases(void) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        run_case(&cases[i]);
    static tcase t;
    for (size_t i = 0; i < sizeof boundaries / sizeof *boundaries; i++) {
        t.name = boundaries[i].name;
        boundary_case(&t, boundaries[i].q);
        run_case(&t);
    }
}

/* ---- metadata accounting ---------------------------------------------------------- */

static void test_metadata(void) {
    env *e = &E;
    size_t P = ga_phys_page_size();
    CHECK(env_init(e, "metadata", NULL) == 0, "metadata: init failed");
    size_t m0 = atomic_load(&e->os.mapped);
    size_t l2 = ga_align_up(MiB + 1024, P); /* 8192 chunks x 128 B + chunk marks */
    CHECK(ga_pagealloc_grow(&e->pa, B, CHUNK) == 0, "metadata: first grow");
    /* level 0 whole (16384 x 8 B), one page of levels 1-4, an L2 block, the in_use array */
    size_t want = (128 << 10) + 4 * P + l2 + P;
    CHECK(atomic_load(&e->os.mapped) - m0 == want, "metadata: first grow mapped %zu, expected %zu",
          atomic_load(&e->os.mapped) - m0, want);
    CHECK(e->pa.summary_mapped == (128 << 10) + 4 * P, "metadata: summary_mapped %zu", e->pa.summary_mapped);
    size_t m1 = atomic_load(&e->os.mapped);
    CHECK(ga_pagealloc_grow(&e->pa, B + CHUNK, 3 * CHUNK) == 0, "metadata: adjacent grow");
    CHECK(atomic_load(&e->os.mapped) == m1, "metadata: adjacent grow mapped %zu more bytes",
          atomic_load(&e->os.mapped) - m1);
    CHECK(ga_pagealloc_grow(&e->pa, X, CHUNK) == 0, "metadata: far grow");
    CHECK(atomic_load(&e->os.mapped) - m1 == 4 * P + l2, "metadata: far grow mapped %zu, expected %zu",
          atomic_load(&e->os.mapped) - m1, 4 * P + l2);
    CHECK(ga_pagealloc_grow(&e->pa, B + CHUNK, CHUNK) == EINVAL, "metadata: growing known memory must fail");
    CHECK(ga_pagealloc_grow(&e->pa, B + 4 * CHUNK + PS, CHUNK) == EINVAL, "metadata: unaligned grow must fail");
    CHECK(ga_pagealloc_grow(&e->pa, 0, CHUNK) == EINVAL, "metadata: a range holding address 0 must fail");
    /* sys_grow alone maps metadata that reads "no free page"; a later grow of the
     * same range maps nothing more. */
    size_t m2 = atomic_load(&e->os.mapped);
    CHECK(ga_pagealloc_sys_grow(&e->pa, Z, Z + CHUNK) == 0, "metadata: sys_grow alone");
    CHECK(atomic_load(&e->os.mapped) - m2 == 4 * P + l2, "metadata: sys_grow mapped %zu",
          atomic_load(&e->os.mapped) - m2);
    check_sound(e, "sys_grow alone");
    uint64_t calls = atomic_load(&e->os.calls);
    CHECK(ga_pagealloc_grow(&e->pa, Z, CHUNK) == 0 && atomic_load(&e->os.calls) == calls,
          "metadata: grow after sys_grow made %lu OS calls", (unsigned long)(atomic_load(&e->os.calls) - calls));
    CHECK(ga_pagealloc_sys_grow(&e->pa, Z + PS, Z + CHUNK) == EINVAL, "metadata: unaligned sys_grow must fail");
    check_sound(e, "metadata");
    env_fini(e);
}

/* The checker itself: each planted fault must be reported. */
static void test_checker(void) {
    env *e = &E;
    CHECK(env_init(e, "checker", NULL) == 0, "checker: init");
    ga_pagealloc_grow(&e->pa, B, 2 * CHUNK);
    size_t scav;
    do_alloc(e, 700, &scav);
    ga_pagealloc_free(&e->pa, PG(10), 5);
    check_sound(e, "checker setup");
    ga_pagealloc *p = &e->pa;
    uintptr_t ci = ga_off(B) >> 22;
    ga_pallocdata *d = ga_pagealloc_chunk(p, ci);
    char why[256];
#define PLANT(what, mutate, undo)                                                                                      \
    do {                                                                                                               \
        mutate;                                                                                                        \
        CHECK(ga_pagealloc_check(p, why, sizeof why) != 0, "checker missed: %s", what);                                \
        undo;                                                                                                          \
        CHECK(ga_pagealloc_check(p, why, sizeof why) == 0, "checker after undoing %s: %s", what, why);                 \
    } while (0)
    PLANT("leaf summary off by one", p->summary[4][ci] += 1, p->summary[4][ci] -= 1);
    PLANT("parent summary stale", p->summary[3][ci >> 3] ^= 1, p->summary[3][ci >> 3] ^= 1);
    PLANT("root summary stale", p->summary[0][ci >> 12] ^= (uint64_t)1 << 21,
          p->summary[0][ci >> 12] ^= (uint64_t)1 << 21);
    PLANT("entry outside the heap not zero", p->summary[4][ci + 2] = GA_PSUM_FREE_CHUNK, p->summary[4][ci + 2] = 0);
    PLANT("bitmap changed under the summary", d->alloc[0] ^= 1, d->alloc[0] ^= 1);
    PLANT("page both scavenged and allocated", d->scav[0] |= 1, d->scav[0] &= ~(uint64_t)1);
    PLANT("free page below search_addr", p->search_addr = ga_off(PG(11)), p->search_addr = ga_off(PG(10)));
    PLANT("search_addr outside the heap", p->search_addr = ga_off(X), p->search_addr = ga_off(PG(10)));
    PLANT("free_pages counter", p->free_pages++, p->free_pages--);
    PLANT("scav_pages counter", p->scav_pages--, p->scav_pages++);
    PLANT("total_pages counter", p->total_pages++, p->total_pages--);
    PLANT("in_use range unaligned", p->in_use.ranges[0].limit -= PS, p->in_use.ranges[0].limit += PS);
    PLANT("end index", p->end++, p->end--);
    PLANT("summary_mapped", p->summary_mapped += 4096, p->summary_mapped -= 4096);
    uint64_t *marks = &p->scav.bits[ci / 64];
    uint64_t saved = *marks;
    uintptr_t ssave = p->scav.search;
    PLANT("dirty chunk without scavenge mark", *marks = 0, *marks = saved);
    PLANT("scavenge search cleared with a chunk marked", p->scav.search = 0, p->scav.search = ssave);
    PLANT("scavenge search below a dirty page", p->scav.search = ga_off(PG(9)), p->scav.search = ssave);
    PLANT("scavenge index mapped_bytes", p->scav.mapped_bytes += 4096, p->scav.mapped_bytes -= 4096);
#undef PLANT
    env_fini(e);
}

/* ---- refusals ----------------------------------------------------------------------- */

typedef struct pa_state {
    size_t reserved, mapped, ready, n_in_use, total, free, scav, summary_mapped;
    uintptr_t search, start, end;
} pa_state;

static pa_state state_of(env *e) {
    return (pa_state){atomic_load(&e->os.reserved),
                      atomic_load(&e->os.mapped),
                      atomic_load(&e->os.ready),
                      e->pa.in_use.n,
                      e->pa.total_pages,
                      e->pa.free_pages,
                      e->pa.scav_pages,
                      e->pa.summary_mapped,
                      e->pa.search_addr,
                      e->pa.start,
                      e->pa.end};
}

static int same(pa_state a, pa_state b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Refuse the 1st, 2nd, ... OS call of grow(base, chunks) until it succeeds; each refusal
 * must leave everything as it was, and the allocator usable.  Returns the number of
 * refusals seen (= the refusable calls that grow makes). */
static int refuse_grow_each_call(env *e, uintptr_t base, size_t chunks, uintptr_t probe) {
    for (int n = 1; n < 100; n++) {
        pa_state before = state_of(e);
        e->os.fail_nth = atomic_load(&e->os.calls) + (uint64_t)n;
        errno = 0;
        int rc = ga_pagealloc_grow(&e->pa, base, chunks * CHUNK);
        e->os.fail_nth = 0;
        e->step++;
        if (rc == 0) {
            check_sound(e, "grow after refusals");
            return n - 1;
        }
        CHECK(rc == ENOMEM && errno == ENOMEM, "%s: refusal %d: grow = %d, errno %d", e->name, n, rc, errno);
        CHECK(same(before, state_of(e)), "%s: refusal of call %d of grow changed the state", e->name, n);
        check_sound(e, "refused grow");
        /* still usable: the lowest free page is handed out and taken back */
        size_t scav;
        uintptr_t a = do_alloc(e, 1, &scav);
        CHECK(a == probe, "%s: after refusal %d alloc(1) = %#lx, expected %#lx", e->name, n, (unsigned long)a,
              (unsigned long)probe);
        if (a)
            ga_pagealloc_free(&e->pa, a, 1);
        check_sound(e, "alloc after refused grow");
    }
    return -1;
}

static void test_refusals(void) {
    env *e = &E;

    /* init: 1 metadata block + 5 reservations + the scavenge index's; each refusal
     * leaves nothing behind. */
    for (uint64_t n = 1; n <= 8; n++) {
        ga_config cfg = {0};
        cfg.os_fail_nth = n;
        int rc = env_init(e, "init refusal", &cfg);
        if (n <= 7) {
            CHECK(rc == ENOMEM, "init with call %lu refused = %d", (unsigned long)n, rc);
            CHECK(atomic_load(&e->os.reserved) == 0 && atomic_load(&e->os.mapped) == 0 &&
                      atomic_load(&e->os.ready) == 0,
                  "init refusal %lu left bytes behind", (unsigned long)n);
        } else {
            CHECK(rc == 0, "init with call 8 refused must succeed (7 calls)");
            env_fini(e);
        }
    }

    /* grow: first growth makes 14 refusable calls (in_use array, level 0, levels 1-4
     * map+used, L2 block, a page of scavenge index map+used); a far one 11 (levels 1-4,
     * L2, index page); an adjacent one none. */
    CHECK(env_init(e, "grow refusals", NULL) == 0, "grow refusals: init");
    int n = refuse_grow_each_call(e, B, 2, 0);
    CHECK(n == 14, "first grow: %d refusable calls, expected 14", n);
    size_t scav;
    CHECK(do_alloc(e, 3, &scav) == B, "first allocation");
    n = refuse_grow_each_call(e, X, 1, PG(3));
    CHECK(n == 11, "far grow: %d refusable calls, expected 11", n);
    n = refuse_grow_each_call(e, B + 2 * CHUNK, 1, PG(3));
    CHECK(n == 0, "adjacent grow: %d refusable calls, expected 0", n);
    /* Y's level-1 entry shares B's page (both in the first 2^31 entries' page 128);
     * Y's index bits are in an index page of their own */
    n = refuse_grow_each_call(e, Y, 2, PG(3));
    CHECK(n == 9, "grow below: %d refusable calls, expected 9", n);

    /* fail_after: every call refused. */
    pa_state before = state_of(e);
    e->os.fail_after = atomic_load(&e->os.calls);
    CHECK(ga_pagealloc_grow(&e->pa, Z, CHUNK) == ENOMEM, "fail_after: grow must be refused");
    CHECK(same(before, state_of(e)), "fail_after: state changed");
    e->os.fail_after = 0;
    check_sound(e, "fail_after");

    /* mapped limit: room for summary pages but not for the L2 block. */
    e->os.mapped_limit = atomic_load(&e->os.mapped) + MiB;
    CHECK(ga_pagealloc_grow(&e->pa, Z, CHUNK) == ENOMEM, "limit: grow must be refused");
    CHECK(same(before, state_of(e)), "limit: state changed");
    CHECK(e->tos.calls[TESTOS_FAULT] > 0, "limit: summary pages mapped before the refusal were not given back");
    e->os.mapped_limit = 0;
    check_sound(e, "limit");

    /* The OS itself refusing (hook error), not injection. */
    e->tos.fail_mask = 1u << TESTOS_MAP;
    CHECK(ga_pagealloc_grow(&e->pa, Z, CHUNK) == ENOMEM, "hook: grow must be refused");
    CHECK(same(before, state_of(e)), "hook: state changed");
    e->tos.fail_mask = 0;
    CHECK(ga_pagealloc_grow(&e->pa, Z, CHUNK) == 0, "grow after refusals");
    check_sound(e, "after refusals");
    CHECK(do_alloc(e, 512, &scav) == Y && scav == 512 * PS, "allocation after refusals");
    env_fini(e);

    /* The in_use array is full (256 ranges in one page): growing it is refused first. */
    CHECK(env_init(e, "in_use growth", NULL) == 0, "in_use growth: init");
    size_t cap = ga_phys_page_size() / sizeof(ga_addr_range);
    for (size_t i = 0; i < cap; i++)
        ga_pagealloc_grow(&e->pa, B + i * 2 * CHUNK, CHUNK);
    CHECK(e->pa.in_use.n == cap && e->pa.in_use.cap == cap, "in_use: %zu ranges, capacity %zu", e->pa.in_use.n,
          e->pa.in_use.cap);
    before = state_of(e);
    e->os.fail_nth = atomic_load(&e->os.calls) + 1;
    CHECK(ga_pagealloc_grow(&e->pa, B + cap * 2 * CHUNK, CHUNK) == ENOMEM,
          "in_use: refused array growth must fail grow");
    CHECK(same(before, state_of(e)), "in_use: state changed");
    e->os.fail_nth = 0;
    CHECK(ga_pagealloc_grow(&e->pa, B + cap * 2 * CHUNK, CHUNK) == 0 && e->pa.in_use.n == cap + 1,
          "in_use: grow after");
    CHECK(ga_pagealloc_grow(&e->pa, B + CHUNK, CHUNK) == 0 && e->pa.in_use.n == cap,
          "in_use: filling a gap joins three");
    check_sound(e, "in_use");
    env_fini(e);
}

/* ---- differential run against a naive model ------------------------------------- */

typedef struct mrange {
    uintptr_t base;
    size_t pages;
    int grown;
    unsigned char *alloc, *scav;
} mrange;

static mrange mr[] = {
    {0xc000000000ull, 3 * 512, 0, 0, 0},   {0xc000c00000ull, 2 * 512, 0, 0, 0}, /* adjacent */
    {0xc3ff800000ull, 4 * 512, 0, 0, 0},                                        /* across a 16 GiB boundary */
    {0x7f0000000000ull, 1 * 512, 0, 0, 0}, {0x1000000000ull, 2 * 512, 0, 0, 0},
    {0xbfffc00000ull, 1 * 512, 0, 0, 0}, /* just below the first */
};
#define NMR (sizeof mr / sizeof *mr)

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* Pages of grown ranges in address order, with "joins the previous page" flags. */
static size_t model_pages(uintptr_t *addr, unsigned char **a, unsigned char **s) {
    size_t n = 0;
    int order[NMR];
    for (size_t i = 0; i < NMR; i++)
        order[i] = (int)i;
    for (size_t i = 0; i < NMR; i++)
        for (size_t j = i + 1; j < NMR; j++)
            if (mr[order[j]].base < mr[order[i]].base) {
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    for (size_t k = 0; k < NMR; k++) {
        mrange *r = &mr[order[k]];
        if (!r->grown)
            continue;
        for (size_t i = 0; i < r->pages; i++, n++) {
            addr[n] = r->base + i * PS;
            a[n] = &r->alloc[i];
            s[n] = &r->scav[i];
        }
    }
    return n;
}

static uintptr_t maddr[16384];
static unsigned char *ma[16384], *ms[16384];

static uintptr_t model_alloc(size_t npages, size_t *scav) {
    size_t n = model_pages(maddr, ma, ms), run = 0;
    for (size_t i = 0; i < n; i++) {
        if (*ma[i] || (run && maddr[i] != maddr[i - 1] + PS))
            run = 0;
        if (!*ma[i])
            run++;
        if (run == npages) {
            size_t first = i + 1 - npages;
            *scav = 0;
            for (size_t k = first; k <= i; k++) {
                *scav += *ms[k];
                *ma[k] = 1;
                *ms[k] = 0;
            }
            return maddr[first];
        }
    }
    return 0;
}

static size_t model_scavenge(size_t bytes) {
    size_t n = model_pages(maddr, ma, ms), want = bytes / PS + (bytes % PS != 0), got = 0;
    for (size_t i = n; i-- > 0 && got < want;)
        if (!*ma[i] && !*ms[i])
            *ms[i] = 1, got++;
    return got * PS;
}

static void model_free(uintptr_t base, size_t npages) {
    size_t n = model_pages(maddr, ma, ms);
    for (size_t i = 0; i < n; i++)
        if (maddr[i] >= base && maddr[i] < base + npages * PS)
            *ma[i] = 0;
}

typedef struct live {
    uintptr_t a;
    size_t n;
} live;

static void test_differential(void) {
    env *e = &E;
    CHECK(env_init(e, "differential", NULL) == 0, "differential: init");
    static live lv[4096];
    size_t nlive = 0, ngrown = 0, mismatches = 0;
    for (size_t i = 0; i < NMR; i++) {
        mr[i].alloc = calloc(mr[i].pages, 1);
        mr[i].scav = calloc(mr[i].pages, 1);
    }
    for (int step = 0; step < 6000 && mismatches < 5; step++) {
        e->step = step;
        uint64_t r = next() % 100;
        if (ngrown < NMR && (ngrown == 0 || r < 2)) {
            mrange *m = &mr[ngrown++];
            int rc = ga_pagealloc_grow(&e->pa, m->base, m->pages * PS);
            m->grown = 1;
            memset(m->scav, 1, m->pages);
            CHECK(rc == 0, "differential: grow %#lx", (unsigned long)m->base);
        } else if (r < 55 || nlive == 0) {
            uint64_t k = next() % 100;
            size_t np = k < 50   ? 1 + next() % 8
                        : k < 75 ? 60 + next() % 10
                        : k < 92 ? 500 + next() % 30
                                 : 600 + next() % 1600;
            size_t scav, mscav = 0;
            uintptr_t a = do_alloc(e, np, &scav), ma_ = model_alloc(np, &mscav);
            if (a != ma_ || scav != mscav * PS)
                mismatches++;
            CHECK(a == ma_ && scav == mscav * PS, "differential step %d: alloc(%zu) = %#lx/%zu, model %#lx/%zu", step,
                  np, (unsigned long)a, scav / PS, (unsigned long)ma_, mscav);
            if (a && nlive < 4096)
                lv[nlive++] = (live){a, np};
            else if (a)
                ga_pagealloc_free(&e->pa, a, np), model_free(a, np);
        } else if (r < 95) {
            size_t k = next() % nlive;
            ga_pagealloc_free(&e->pa, lv[k].a, lv[k].n);
            model_free(lv[k].a, lv[k].n);
            lv[k] = lv[--nlive];
        } else {
            size_t bytes = next() % 4 == 0 ? SIZE_MAX : (next() % 300) * 4096;
            size_t got = ga_pagealloc_scavenge(&e->pa, bytes), want = model_scavenge(bytes);
            if (got != want)
                mismatches++;
            CHECK(got == want, "differential step %d: scavenge(%zu) = %zu, model %zu", step, bytes, got, want);
        }
        check_sound(e, "differential");
        if (step % 500 == 0) { /* bitmaps equal the model, page by page */
            size_t n = model_pages(maddr, ma, ms), bad = 0;
            for (size_t i = 0; i < n; i++) {
                uintptr_t ci = ga_off(maddr[i]) >> 22;
                const ga_pallocdata *d = ga_pagealloc_chunk(&e->pa, ci);
                uint32_t pi = (uint32_t)(ga_off(maddr[i]) >> 13) & 511;
                bad += (int)(d->alloc[pi / 64] >> (pi % 64) & 1) != *ma[i] ||
                       (int)(d->scav[pi / 64] >> (pi % 64) & 1) != *ms[i];
            }
            CHECK(bad == 0, "differential step %d: %zu pages differ from the model", step, bad);
        }
    }
    for (size_t i = 0; i < NMR; i++)
        free(mr[i].alloc), free(mr[i].scav);
    env_fini(e);
}

/* Go's scavenge with huge pages (mgcscavenge.go): pages 0..257 of a chunk free and
 * unscavenged, the rest allocated; scavenge(24 KiB) wants 3 pages, [255, 258), which
 * would split the free huge page [0, 256): with 2 MiB huge pages all 258 pages go
 * (2,113,536 bytes), without them exactly 3. */
static void test_scavenge_huge(void) {
    for (int huge = 0; huge <= 1; huge++) {
        env *e = &E;
        CHECK(env_init(e, "scavenge huge", NULL) == 0, "scavenge huge: init");
        e->pa.huge_page_bytes = huge ? 2 * MiB : 0;
        CHECK(ga_pagealloc_grow(&e->pa, B, CHUNK) == 0, "scavenge huge: grow");
        size_t scav;
        CHECK(do_alloc(e, 512, &scav) == B, "scavenge huge: alloc the chunk");
        ga_pagealloc_free(&e->pa, B, 258);
        check_sound(e, "free 0..257");
        size_t got = ga_pagealloc_scavenge(&e->pa, 24576);
        CHECK(got == (huge ? 2113536u : 24576u), "scavenge(24576) with%s huge pages released %zu", huge ? "" : "out",
              got);
        CHECK(e->pa.scav_pages == (huge ? 258u : 3u), "scav_pages %zu", e->pa.scav_pages);
        check_sound(e, "scavenge");
        /* freeing scavenged pages (Go's free(..., scavenged = true)) marks nothing: with
         * the chunk's marks cleared by a full scavenge, it stays clear */
        CHECK(ga_pagealloc_scavenge(&e->pa, SIZE_MAX) == (huge ? 0u : 255u * PS), "scavenge the rest");
        CHECK(ga_pagealloc_scavenge(&e->pa, SIZE_MAX) == 0, "nothing left (the index is cleared)");
        CHECK(e->pa.scav.search == 0 && !ga_scav_index_marked(&e->pa.scav, ga_off(B) >> 22), "index cleared");
        size_t a = ga_pagealloc_alloc_at(&e->pa, PG(0), 4);
        CHECK(a == 4, "alloc_at 4 scavenged pages: %zu", a);
        ga_pallocbits_alloc_range(ga_pagealloc_chunk(&e->pa, ga_off(B) >> 22)->scav, 0, 4); /* as scavengeOne */
        e->pa.scav_pages += 4;
        ga_pagealloc_free_scav(&e->pa, PG(0), 4, true);
        CHECK(!ga_scav_index_marked(&e->pa.scav, ga_off(B) >> 22), "free(scavenged = true) marked the chunk");
        check_sound(e, "free scavenged");
        CHECK(ga_pagealloc_alloc_at(&e->pa, PG(0), 4) == 4, "alloc_at the 4 pages again");
        CHECK(ga_sys_used(&e->os, (void *)PG(0), 4 * PS, 4 * PS) == 0, "used"); /* as mheap, before use */
        ga_pagealloc_free(&e->pa, PG(0), 4);
        CHECK(ga_scav_index_marked(&e->pa.scav, ga_off(B) >> 22), "free(scavenged = false) did not mark");
        check_sound(e, "free dirty");
        env_fini(e);
    }
}

int main(void) {
    test_scavenge_huge();
    test_cases();
    test_metadata();
    test_checker();
    test_refusals();
    test_differential();
    return check_report();
}
