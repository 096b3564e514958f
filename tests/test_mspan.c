/* mspan bitmap functions (alloc/mspan.c), docs/go-facts.md §5.3-5.6.
 *
 * Table-driven: every row gives a span state (nelems, freeindex, alloc bits) and the
 * hand-computed result, freeindex and alloc_cache afterwards.  Then a cross-check of
 * next_free_index / next_free_fast against a naive linear scan on random bitmaps of
 * every class geometry, asserting S2/S7/S8 after every call; the sweep's bitmap rewrite
 * and next_free likewise. */
#include <stdio.h>
#include <string.h>

#include "mspan.h"
#include "sizeclasses.h"
#include "support/check.h"

#define ONES (~(uint64_t)0)
#define BASE ((uintptr_t)0x00c000000000ull)

/* A[w] for w listed; all other words 0. */
typedef struct {
    uint32_t w;
    uint64_t v;
} word_init;

static int bit(const uint64_t *b, uint32_t i) { return (int)((b[i / 64] >> (i % 64)) & 1); }

/* S8: alloc_cache = ~A.word(F/64) >> (F%64) */
static uint64_t s8_cache(const ga_mspan *s) { return ~s->alloc_bits[s->freeindex / 64] >> (s->freeindex % 64); }

static void make_span(ga_mspan *s, uint32_t nelems, uintptr_t elemsize, uint32_t freeindex, const word_init *words,
                      size_t nwords) {
    memset(s, 0, sizeof *s);
    s->base = BASE;
    s->nelems = nelems;
    s->elemsize = elemsize;
    s->npages = (nelems * elemsize + GA_PAGE_SIZE - 1) / GA_PAGE_SIZE;
    s->limit = BASE + nelems * elemsize;
    s->freeindex = freeindex;
    for (size_t i = 0; i < nwords; i++)
        s->alloc_bits[words[i].w] = words[i].v;
    if (freeindex < nelems)
        s->alloc_cache = s8_cache(s);
    /* alloc_count per S7 */
    for (uint32_t i = 0; i < nelems; i++)
        s->alloc_count += (i < freeindex || bit(s->alloc_bits, i));
}

/* ---- next_free_index ------------------------------------------------------------ */
static const struct nfi_case {
    const char *name;
    uint32_t nelems, freeindex;
    word_init words[17];
    size_t nwords;
    uint32_t want_result, want_freeindex;
    int check_cache; /* compare alloc_cache afterwards (meaningless when F == N) */
    uint64_t want_cache;
} nfi_cases[] = {
    {"fresh span, slot 0", 1024, 0, {{0, 0}}, 1, 0, 1, 1, ONES >> 1},
    {"free slot 63 of word 0, refill word 1", 1024, 0, {{0, ONES >> 1}}, 1, 63, 64, 1, ONES},
    {"freeindex 63, word 0 full, next word", 1024, 63, {{0, ONES}}, 1, 64, 65, 1, ONES >> 1},
    {"freeindex 64, slot 64 taken", 1024, 64, {{1, 1}}, 1, 65, 66, 1, ONES >> 2},
    {"freeindex 65", 1024, 65, {{1, 3}}, 1, 66, 67, 1, ONES >> 3},
    {"freeindex 63 free, refill gets ~A[1]", 1024, 63, {{0, ONES >> 1}, {1, 5}}, 2, 63, 64, 1, 0xfffffffffffffffaull},
    {"skip two full words", 1024, 0, {{0, ONES}, {1, ONES}, {2, 0xf}}, 3, 132, 133, 1, ONES >> 5},
    {"last slot of class 3 span", 341, 340, {{5, 0xfffff}}, 1, 340, 341, 0, 0},
    {"class 3 span full: only padding looks free", 341, 340, {{5, 0x1fffff}}, 1, 341, 341, 0, 0},
    {"freeindex == nelems", 341, 341, {{0, 0}}, 1, 341, 341, 0, 0},
    {"all 1024 allocated: walk every word",
     1024,
     0,
     {{0, ONES},
      {1, ONES},
      {2, ONES},
      {3, ONES},
      {4, ONES},
      {5, ONES},
      {6, ONES},
      {7, ONES},
      {8, ONES},
      {9, ONES},
      {10, ONES},
      {11, ONES},
      {12, ONES},
      {13, ONES},
      {14, ONES},
      {15, ONES}},
     16,
     1024,
     1024,
     0,
     0},
    {"64-slot span, last slot (no refill at F == N)", 64, 0, {{0, ONES >> 1}}, 1, 63, 64, 0, 0},
    {"64-slot span, freeindex 63", 64, 63, {{0, 0}}, 1, 63, 64, 0, 0},
    {"65-slot span, slot 64 is the last", 65, 63, {{0, ONES}}, 1, 64, 65, 0, 0},
    {"65-slot span full", 65, 63, {{0, ONES}, {1, 1}}, 2, 65, 65, 0, 0},
    {"large span (1 slot)", 1, 0, {{0, 0}}, 1, 0, 1, 0, 0},
    {"large span already allocated", 1, 1, {{0, 0}}, 1, 1, 1, 0, 0},
    {"empty span (nelems 0)", 0, 0, {{0, 0}}, 1, 0, 0, 0, 0},
    {"middle of a word", 1024, 200, {{3, 0x00ff00ffull}}, 1, 200, 201, 1, ~0x00ff00ffull >> 9},
    {"skip allocated run inside a word", 1024, 16, {{0, 0x00000000ffff0000ull}}, 1, 32, 33, 1, ONES >> 33},
};

static void test_next_free_index_table(void) {
    for (size_t k = 0; k < sizeof nfi_cases / sizeof nfi_cases[0]; k++) {
        const struct nfi_case *c = &nfi_cases[k];
        ga_mspan s;
        make_span(&s, c->nelems, 8, c->freeindex, c->words, c->nwords);
        uint64_t bits_before[GA_SPAN_BITS_WORDS];
        memcpy(bits_before, s.alloc_bits, sizeof bits_before);
        uint32_t r = ga_mspan_next_free_index(&s);
        CHECK(r == c->want_result && s.freeindex == c->want_freeindex &&
                  (!c->check_cache || s.alloc_cache == c->want_cache),
              "next_free_index '%s': got r=%u F=%u cache=%#llx", c->name, r, s.freeindex,
              (unsigned long long)s.alloc_cache);
        CHECK_EQ(memcmp(bits_before, s.alloc_bits, sizeof bits_before), 0); /* reads only */
        if (s.freeindex < s.nelems)
            CHECK_EQ(s.alloc_cache, s8_cache(&s)); /* S8 restored */
    }
}

static void test_refill(void) {
    ga_mspan s;
    memset(&s, 0, sizeof s);
    s.alloc_bits[3] = 0x0123456789abcdefull;
    ga_mspan_refill_alloc_cache(&s, 3);
    CHECK_EQ(s.alloc_cache, ~0x0123456789abcdefull);
    ga_mspan_refill_alloc_cache(&s, 0);
    CHECK_EQ(s.alloc_cache, ONES);
    s.alloc_bits[15] = ONES;
    ga_mspan_refill_alloc_cache(&s, 15);
    CHECK_EQ(s.alloc_cache, 0);
}

/* ---- next_free_fast --------------------------------------------------------------- */
static void test_next_free_fast(void) {
    ga_mspan s;
    /* fresh span of class 1: slot 0, alloc_count incremented */
    make_span(&s, 1024, 8, 0, (word_init[]){{0, 0}}, 1);
    CHECK_EQ(ga_mspan_next_free_fast(&s), BASE);
    CHECK_EQ(s.freeindex, 1);
    CHECK_EQ(s.alloc_count, 1);
    CHECK(s.alloc_cache == ONES >> 1);
    CHECK_EQ(ga_mspan_next_free_fast(&s), BASE + 8);
    CHECK_EQ(s.freeindex, 2);
    CHECK_EQ(s.alloc_count, 2);

    /* slot 62 then decline slot 63: the last slot of a window needs a refill */
    make_span(&s, 1024, 16, 62, (word_init[]){{0, 0}}, 1);
    CHECK_EQ(ga_mspan_next_free_fast(&s), BASE + 62 * 16);
    CHECK_EQ(s.freeindex, 63);
    CHECK_EQ(s.alloc_count, 63);
    ga_mspan before = s;
    CHECK_EQ(ga_mspan_next_free_fast(&s), 0);
    CHECK_EQ(memcmp(&before, &s, sizeof s), 0); /* declined: nothing changed */
    /* the slow path then takes it and refills */
    CHECK_EQ(ga_mspan_next_free_index(&s), 63);
    CHECK_EQ(s.freeindex, 64);
    CHECK_EQ(s.alloc_cache, ONES);

    /* ...unless it is the final slot of the span */
    make_span(&s, 64, 128, 63, (word_init[]){{0, 0}}, 1);
    CHECK_EQ(ga_mspan_next_free_fast(&s), BASE + 63 * 128);
    CHECK_EQ(s.freeindex, 64);
    CHECK_EQ(s.alloc_count, 64);
    CHECK_EQ(ga_mspan_next_free_fast(&s), 0); /* cache now 0 */

    /* skips allocated slots inside the window */
    make_span(&s, 85, 96, 0, (word_init[]){{0, 0x7}}, 1);
    CHECK_EQ(s.alloc_count, 3);
    CHECK_EQ(ga_mspan_next_free_fast(&s), BASE + 3 * 96);
    CHECK_EQ(s.freeindex, 4);
    CHECK_EQ(s.alloc_count, 4);
    CHECK(s.alloc_cache == ~(uint64_t)0x7 >> 4);

    /* only padding bits look free: decline */
    make_span(&s, 341, 24, 340, (word_init[]){{5, 0x1fffff}}, 1);
    before = s;
    CHECK_EQ(ga_mspan_next_free_fast(&s), 0);
    CHECK_EQ(memcmp(&before, &s, sizeof s), 0);

    /* empty cache window: decline (slow path refills) */
    make_span(&s, 1024, 8, 0, (word_init[]){{0, ONES}}, 1);
    CHECK_EQ(ga_mspan_next_free_fast(&s), 0);
    CHECK_EQ(s.freeindex, 0);

    /* the dummy empty span (nelems 0, cache 0) */
    memset(&s, 0, sizeof s);
    CHECK_EQ(ga_mspan_next_free_fast(&s), 0);

    /* large span: one slot at base */
    make_span(&s, 1, 5 * GA_PAGE_SIZE, 0, (word_init[]){{0, 0}}, 1);
    CHECK_EQ(ga_mspan_next_free_fast(&s), BASE);
    CHECK_EQ(s.freeindex, 1);
    CHECK_EQ(s.alloc_count, 1);
    CHECK_EQ(ga_mspan_next_free_fast(&s), 0);
}

/* ---- count_alloc -------------------------------------------------------------------- */
static void test_count_alloc(void) {
    uint64_t b[GA_SPAN_BITS_WORDS];
    memset(b, 0xff, sizeof b);
    CHECK_EQ(ga_mspan_count_alloc(b, 1024), 1024);
    CHECK_EQ(ga_mspan_count_alloc(b, 64), 64);  /* reads word 0 only */
    CHECK_EQ(ga_mspan_count_alloc(b, 65), 128); /* two whole words: relies on S5 */
    CHECK_EQ(ga_mspan_count_alloc(b, 0), 0);
    memset(b, 0, sizeof b);
    CHECK_EQ(ga_mspan_count_alloc(b, 1024), 0);
    b[0] = 1;
    b[1] = 1;
    CHECK_EQ(ga_mspan_count_alloc(b, 1), 1);
    CHECK_EQ(ga_mspan_count_alloc(b, 64), 1);
    CHECK_EQ(ga_mspan_count_alloc(b, 65), 2);
    b[5] = 0x1fffff; /* class 3: slots 320..340, padding clear */
    CHECK_EQ(ga_mspan_count_alloc(b, 341), 23);
    b[15] = 1ull << 63;
    CHECK_EQ(ga_mspan_count_alloc(b, 1024), 24);
    CHECK_EQ(ga_mspan_count_alloc(b, 960), 23);
    /* whole words are counted: a set padding bit (an S5 violation) is counted too */
    CHECK_EQ(ga_mspan_count_alloc(b, 1023), 24);
}

/* ---- cross-check against a linear scan ------------------------------------------- */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void check_at_rest(const ga_mspan *s) {
    CHECK(s->freeindex <= s->nelems); /* S2 */
    uint32_t count = 0;
    for (uint32_t i = 0; i < s->nelems; i++)
        count += (i < s->freeindex || bit(s->alloc_bits, i));
    CHECK(count == s->alloc_count); /* S7 */
    if (s->freeindex < s->nelems)
        CHECK(s->alloc_cache == s8_cache(s)); /* S8 */
}

static void test_against_model(void) {
    for (int round = 0; round < 4000; round++) {
        uint32_t cls = 1 + (uint32_t)(rnd() % (GA_NUM_CLASSES - 1));
        uint32_t n = ga_class_nelems[cls];
        ga_mspan s;
        memset(&s, 0, sizeof s);
        /* density varies from empty to nearly full */
        uint64_t density = rnd() % 9;
        for (uint32_t i = 0; i < n; i++)
            if (rnd() % 8 < density)
                s.alloc_bits[i / 64] |= 1ull << (i % 64);
        uint32_t f = (uint32_t)(rnd() % (n + 1));
        make_span(&s, n, ga_class_size[cls], f, NULL, 0);
        uint64_t bits[GA_SPAN_BITS_WORDS];
        memcpy(bits, s.alloc_bits, sizeof bits);
        check_at_rest(&s);
        uint32_t model = f; /* next slot the model will hand out */
        int fast = (int)(rnd() & 1);
        for (;;) {
            while (model < n && bit(bits, model))
                model++;
            if (fast) {
                /* the fast path must decline exactly when the slow path would refill:
                 * nothing free in the window, or the window's last slot (not the span's) */
                int window_end = s.freeindex - s.freeindex % 64 + 64;
                int declines = model >= n || model >= (uint32_t)window_end || ((model + 1) % 64 == 0 && model + 1 != n);
                uintptr_t p = ga_mspan_next_free_fast(&s);
                CHECK_EQ((p == 0), declines);
                if (p != 0) {
                    CHECK_EQ(p, s.base + (uintptr_t)model * s.elemsize);
                    model++;
                    check_at_rest(&s);
                    continue;
                }
            }
            uint32_t r = ga_mspan_next_free_index(&s);
            if (r == n) {
                CHECK(model >= n);
                CHECK_EQ(s.freeindex, n);
                break;
            }
            CHECK_EQ(r, model);
            s.alloc_count++; /* the caller's duty */
            model++;
            check_at_rest(&s);
        }
        CHECK_EQ(s.alloc_count, n);
        CHECK_EQ(ga_mspan_count_alloc(s.alloc_bits, n), ga_mspan_count_alloc(bits, n));
    }
}

/* ga_mspan_sweep_bits against the definition (slot i < n live iff (i < F or A[i]) and
 * marked and not freed; bits past n clear), then ga_mspan_next_free from the swept
 * state must hand out exactly the free slots in order, then report full. */
static void test_sweep_bits(void) {
    for (int round = 0; round < 2000; round++) {
        uint32_t cls = 1 + (uint32_t)(rnd() % (GA_NUM_CLASSES - 1));
        uint32_t n = ga_class_nelems[cls];
        ga_mspan s;
        memset(&s, 0, sizeof s);
        uint64_t marks[GA_SPAN_BITS_WORDS], freed[GA_SPAN_BITS_WORDS];
        for (uint32_t w = 0; w < GA_SPAN_BITS_WORDS; w++) {
            marks[w] = (rnd() & 1) ? ONES : rnd() & rnd(); /* all ones: a free sweep */
            freed[w] = rnd() & rnd() & rnd();
        }
        for (uint32_t i = 0; i < n; i++)
            if (rnd() % 4 == 0)
                s.alloc_bits[i / 64] |= 1ull << (i % 64);
        make_span(&s, n, ga_class_size[cls], (uint32_t)(rnd() % (n + 1)), NULL, 0);
        ga_mspan before = s;
        uint32_t live = 0;
        uint32_t count = ga_mspan_sweep_bits(&s, marks, freed);
        for (uint32_t i = 0; i < 64 * ((n + 63) / 64); i++) {
            int want = i < n && (i < before.freeindex || bit(before.alloc_bits, i)) && bit(marks, i) && !bit(freed, i);
            CHECK_EQ(bit(s.alloc_bits, i), want);
            live += (uint32_t)want;
        }
        CHECK_EQ(count, live);
        CHECK_EQ(s.alloc_count, live);
        CHECK_EQ(s.freeindex, 0);
        check_at_rest(&s);
        uint32_t slot = 0;
        for (;;) {
            while (slot < n && bit(s.alloc_bits, slot))
                slot++;
            uintptr_t p = ga_mspan_next_free(&s);
            if (slot == n) {
                CHECK_EQ(p, 0);
                CHECK_EQ(s.freeindex, n);
                break;
            }
            CHECK_EQ(p, s.base + (uintptr_t)slot * s.elemsize);
            slot++;
            check_at_rest(&s);
        }
        CHECK_EQ(s.alloc_count, n);
    }
}

int main(void) {
    test_refill();
    test_next_free_index_table();
    test_next_free_fast();
    test_count_alloc();
    test_against_model();
    test_sweep_bits();
    return check_report();
}
