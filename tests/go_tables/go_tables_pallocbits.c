/* Replays of mpallocbits_test.go: one chunk's bitmap (alloc/pallocbits.h). */
#include <stdio.h>
#include <string.h>

#include "go_tables.h"

static bool same_bits(gt_ctx *c, const uint64_t *got, const uint64_t *want) {
    bool ok = true;
    for (unsigned w = 0; w < GA_PALLOC_WORDS; w++)
        ok = gt_check(c, got[w] == want[w], "word %u: %016llx, want %016llx", w, (unsigned long long)got[w],
                      (unsigned long long)want[w]) &&
             ok;
    return ok;
}

static void invert(uint64_t *b) {
    for (unsigned w = 0; w < GA_PALLOC_WORDS; w++)
        b[w] = ~b[w];
}

/* Sets [i, i+n) as Go's makePallocBits does (AllocRange on every range). */
static void make_bits(uint64_t *b, const char *ranges) {
    uint64_t t[GA_CHUNK_PAGES][3];
    size_t n = gt_tokens(ranges ? ranges : "", t, GA_CHUNK_PAGES);
    memset(b, 0, GA_PALLOC_WORDS * sizeof *b);
    for (size_t k = 0; k < n; k++)
        if (t[k][1]) /* allocRange of 0 pages is outside its contract (and a no-op) */
            ga_pallocbits_alloc_range(b, (uint32_t)t[k][0], (uint32_t)t[k][1]);
}

/* Cases: rows test(i, n, want): AllocRange(i, n) on an empty bitmap gives want. */
void replay_pallocbits_alloc_range(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        if (r[k].is_case) {
            c->sub = r[k].name;
            continue;
        }
        uint64_t want[GA_PALLOC_WORDS][3], b[GA_PALLOC_WORDS] = {0}, w[GA_PALLOC_WORDS];
        if (gt_tokens(gt_get(&r[k], "want"), want, GA_PALLOC_WORDS) != GA_PALLOC_WORDS)
            gt_check(c, false, "want is not 8 words");
        for (unsigned i = 0; i < GA_PALLOC_WORDS; i++)
            w[i] = want[i][0];
        ga_pallocbits_alloc_range(b, (uint32_t)gt_u64(&r[k], "i"), (uint32_t)gt_u64(&r[k], "n"));
        same_bits(c, b, w);
    }
}

/* Cases: init ranges set, then tests[i] = {i, n, want}: PopcntRange(i, n) == want. */
void replay_popcnt_range(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        uint64_t b[GA_PALLOC_WORDS];
        make_bits(b, gt_get(&r[k], "v.init"));
        size_t nt = gt_len(&r[k], "v.tests");
        gt_check(c, nt > 0, "no popcnt tests");
        for (size_t t = 0; t < nt; t++) {
            uint32_t i = (uint32_t)gt_u64(&r[k], "v.tests[%zu].i", t), m = (uint32_t)gt_u64(&r[k], "v.tests[%zu].n", t);
            uint32_t got = ga_pallocbits_popcnt_range(b, i, m), want = (uint32_t)gt_u64(&r[k], "v.tests[%zu].want", t);
            gt_check(c, got == want, "popcnt(i=%u, n=%u) = %u, want %u", i, m, got, want);
        }
    }
}

/* The slow reference summary: runs of free (zero) bits counted page by page. */
static void summarize_slow(const uint64_t *b, uint32_t *start, uint32_t *max, uint32_t *end) {
    uint32_t run = 0, best = 0, st = 0;
    bool at_start = true;
    for (uint32_t i = 0; i < GA_CHUNK_PAGES; i++) {
        if (b[i / 64] >> (i % 64) & 1) {
            at_start = false;
            run = 0;
            continue;
        }
        run++;
        if (at_start)
            st = run;
        if (run > best)
            best = run;
    }
    *start = st;
    *max = best;
    *end = run;
}

static void check_sum(gt_ctx *c, const uint64_t *b, uint32_t s, uint32_t m, uint32_t e) {
    ga_psum got = ga_pallocbits_summarize(b);
    gt_check(c, ga_psum_start(got) == s && ga_psum_max(got) == m && ga_psum_end(got) == e,
             "summary (%u, %u, %u), want (%u, %u, %u)", ga_psum_start(got), ga_psum_max(got), ga_psum_end(got), s, m,
             e);
}

/* Cases: free ranges (the bitmap is their complement), hits = expected summaries.
 * Then, as Go's TestPallocBitsSummarizeRandom does (it is not one of the 20 functions:
 * these checks are extra and counted with this one's), 1000 random bitmaps against the
 * slow reference above; the seed is fixed, so is every run. */
void replay_summarize(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        uint64_t b[GA_PALLOC_WORDS], hits[4][3];
        make_bits(b, gt_get(&r[k], "v.free"));
        invert(b);
        size_t nh = gt_tokens(gt_get(&r[k], "v.hits"), hits, 4);
        gt_check(c, nh > 0, "no expected summary");
        for (size_t h = 0; h < nh; h++)
            check_sum(c, b, (uint32_t)hits[h][0], (uint32_t)hits[h][1], (uint32_t)hits[h][2]);
    }
    c->sub = "random bitmaps (slow reference)";
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 1000; i++) {
        uint64_t b[GA_PALLOC_WORDS];
        for (unsigned w = 0; w < GA_PALLOC_WORDS; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* every fourth bitmap sparse, so that long free runs and whole free words occur */
            b[w] = i % 4 == 0 ? x & (x >> 17) & (x >> 34) : x;
        }
        uint32_t s, m, e;
        summarize_slow(b, &s, &m, &e);
        check_sum(c, b, s, m, e);
    }
    c->sub = NULL;
}

/* Cases: before ranges allocated; hits = successive Find(npages, 0) results (^0 =
 * none), each found run allocated; the bitmap ends as after. */
void replay_pallocbits_alloc(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        uint64_t b[GA_PALLOC_WORDS], want[GA_PALLOC_WORDS], hits[64][3];
        make_bits(b, gt_get(&r[k], "v.before"));
        uint32_t np = (uint32_t)gt_u64(&r[k], "v.npages");
        size_t nh = gt_tokens(gt_get(&r[k], "v.hits"), hits, 64);
        bool ok = gt_check(c, nh > 0, "no hits");
        for (size_t h = 0; ok && h < nh; h++) {
            uint32_t a = ga_pallocbits_find(b, np, 0, NULL);
            uint64_t got = a == GA_FIND_NONE ? GT_NONE : a;
            ok = gt_check(c, got == hits[h][0], "find #%zu picked %#llx, want %#llx", h + 1, (unsigned long long)got,
                          (unsigned long long)hits[h][0]);
            if (ok && a != GA_FIND_NONE)
                ga_pallocbits_alloc_range(b, a, np);
        }
        if (!ok)
            continue; /* Go's t.Fatalf */
        make_bits(want, gt_get(&r[k], "v.after"));
        same_bits(c, b, want);
    }
}

/* Cases: complement of beforeInv; Free(i, npages) for each of frees (Go's free: free1
 * for one page); ends as the complement of afterInv. */
void replay_pallocbits_free(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        uint64_t b[GA_PALLOC_WORDS], want[GA_PALLOC_WORDS], frees[64][3];
        make_bits(b, gt_get(&r[k], "v.beforeInv"));
        invert(b);
        uint32_t np = (uint32_t)gt_u64(&r[k], "v.npages");
        size_t nfr = gt_tokens(gt_get(&r[k], "v.frees"), frees, 64);
        gt_check(c, nfr > 0, "no frees");
        for (size_t f = 0; f < nfr; f++) {
            if (np == 1)
                ga_pallocbits_free1(b, (uint32_t)frees[f][0]);
            else
                ga_pallocbits_free_range(b, (uint32_t)frees[f][0], np);
        }
        make_bits(want, gt_get(&r[k], "v.afterInv"));
        invert(want);
        same_bits(c, b, want);
    }
}

/* Rows check(x, n, result): FindBitRange64(x, n) == result, or >= 64 when result is
 * ^0 (failure). */
void replay_find_bit_range64(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        uint64_t x = gt_u64(&r[k], "x"), want = gt_u64(&r[k], "result");
        uint32_t m = (uint32_t)gt_u64(&r[k], "n"), got = ga_find_bit_range64(x, m);
        if (want == GT_NONE)
            gt_check(c, got >= 64, "(%016llx, %u): got %u, want failure", (unsigned long long)x, m, got);
        else
            gt_check(c, got == want, "(%016llx, %u): got %u, want %llu", (unsigned long long)x, m, got,
                     (unsigned long long)want);
    }
}
