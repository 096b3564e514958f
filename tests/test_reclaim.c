/* The page reclaimer (alloc/reclaim.c, issue 11): after a GC cycle whose dead spans no
 * sweep has reached, a page-level allocation sweeps them before it grows the heap; the
 * pages it frees are counted (return value, reclaim credit); spans with a marked object,
 * cached spans and swept spans are left alone; the arena bitmaps follow spans through
 * allocation, free, in-place resizing and marking (A2, A5, checked by ga_heap_check
 * after every operation where debug_checks is on); and it runs beside concurrent
 * sweepers and allocators (TSan preset). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/heaptest.h"

#define PAGE 8192u
#define LPAGES 24u /* pages of each large object of the first tests */
#define NLARGE 20u /* 480 pages: the first 512-page growth of the heap, nearly full */

static ga_heap *new_heap(int debug) {
    ga_config cfg = {0};
    cfg.debug_checks = debug;
    ga_heap *h = ga_heap_new(&cfg);
    REQUIRE(h != NULL, "ga_heap_new failed");
    return h;
}

static int sweep_behind(ga_heap *h) { return atomic_load(&h->sweep_active) != GA_SWEEP_DRAINED; }

static int page_bit(ga_heap *h, const uint64_t *(*which)(const ga_heap_arena *), uintptr_t base) {
    const ga_heap_arena *a = ga_arena_of(h, base);
    return a && (which(a)[ga_page_word(base)] & ga_page_mask(base)) != 0;
}
static const uint64_t *in_use_map(const ga_heap_arena *a) { return a->page_in_use; }
static const uint64_t *marks_map(const ga_heap_arena *a) { return a->page_marks; }

/* NLARGE large objects of LPAGES pages, patterned. */
static void alloc_larges(ga_cache *c, char **p) {
    for (uint32_t i = 0; i < NLARGE; i++) {
        p[i] = ga_alloc(c, LPAGES * PAGE, GA_NOSCAN);
        REQUIRE(p[i] != NULL, "large alloc %u", i);
        ht_fill(p[i], 256, i);
    }
}

/* A large allocation after a cycle that left 19 dead large spans unswept: it takes
 * their pages instead of growing the heap; the marked one stays unswept in its list.
 * Prints the figure (heap growth of the allocation). */
static void test_large_before_grow(void) {
    ga_heap *h = new_heap(1);
    ga_cache *c = ga_cache_new(h);
    char *p[NLARGE];
    alloc_larges(c, p);
    ga_stats st = ht_stats(h);
    CHECK(st.heap_sys == 512 * PAGE && st.heap_inuse == NLARGE * LPAGES * PAGE,
          "20 x 24 pages in the first 512-page growth (sys %llu)", (unsigned long long)st.heap_sys);
    ga_mspan *keep = ht_span(h, p[7]);
    CHECK(page_bit(h, in_use_map, keep->base) && !page_bit(h, marks_map, keep->base), "A2 bit set, no mark yet");

    ga_gc_begin(h);
    CHECK(ga_mark(h, p[7] + 100) == 1, "mark object 7");
    CHECK(page_bit(h, marks_map, keep->base), "A5: the mark set its span's page bit");
    ga_gc_end(h);
    uint32_t sg = ht_sweepgen(h);
    CHECK(sweep_behind(h), "sweeping behind after ga_gc_end");

    uint64_t sys0 = ht_stats(h).heap_sys;
    char *big = ga_alloc(c, 100 * PAGE, GA_NOSCAN);
    REQUIRE(big != NULL, "100-page allocation");
    st = ht_stats(h);
    printf("reclaim: 100-page allocation after a cycle with 19 dead 24-page spans: heap grew by %llu bytes, "
           "in use %llu pages\n",
           (unsigned long long)(st.heap_sys - sys0), (unsigned long long)(st.heap_inuse / PAGE));
    CHECK(st.heap_sys == sys0, "no growth: the dead spans' pages were reclaimed (grew %llu)",
          (unsigned long long)(st.heap_sys - sys0));
    CHECK(st.heap_inuse == (LPAGES + 100) * PAGE, "every dead span reclaimed (in use %llu pages)",
          (unsigned long long)(st.heap_inuse / PAGE));
    CHECK(__atomic_load_n(&keep->sweepgen, __ATOMIC_RELAXED) == sg - 2 &&
              ht_in_list(h, keep, GA_LIST_FULL(1 - ga_swept_gen(sg))),
          "the marked span is not swept by the reclaimer: still h-2, in the full unswept list");
    CHECK(ht_verify(p[7], 256, 7), "the marked object is intact");
    CHECK(page_bit(h, in_use_map, (uintptr_t)big), "the new span's A2 bit");
    ht_heap_ok(h, "large reclaim");

    ga_sweep(h, 0);
    CHECK(!sweep_behind(h) && ht_verify(p[7], 256, 7), "full sweep keeps the marked object");
    st = ht_stats(h);
    CHECK(st.by_size[0].nmalloc - st.by_size[0].nfree == 2, "two large objects live");
    CHECK(ga_free(c, p[7]) == 0 && ga_free(c, big) == 0, "free both");
    CHECK(!page_bit(h, in_use_map, keep->base) && !page_bit(h, marks_map, keep->base),
          "free clears both bits of the span's first page");
    ht_heap_ok(h, "after frees");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ga_mheap_reclaim's accounting: a chunk is scanned whole, the surplus becomes credit,
 * credit is taken before scanning, the index ends at GA_RECLAIM_DONE, and the next
 * cycle starts over. */
static void test_credit_and_index(void) {
    ga_heap *h = new_heap(0);
    ga_cache *c = ga_cache_new(h);
    char *p[NLARGE];
    CHECK(ga_mheap_reclaim(h, 1000) == 0 && atomic_load(&h->reclaim_index) >= GA_RECLAIM_DONE,
          "before any cycle: nothing to reclaim");
    alloc_larges(c, p);
    ga_gc_begin(h);
    ga_gc_end(h);
    CHECK(atomic_load(&h->reclaim_index) == 0 && atomic_load(&h->reclaim_credit) == 0, "reset by ga_gc_end");
    uintptr_t got = ga_mheap_reclaim(h, 1);
    CHECK(got == NLARGE * LPAGES, "asked 1 page: the whole first chunk swept, %lu pages", (unsigned long)got);
    CHECK(atomic_load(&h->reclaim_credit) == NLARGE * LPAGES - 1, "the surplus is credit (%lu)",
          (unsigned long)atomic_load(&h->reclaim_credit));
    CHECK(atomic_load(&h->reclaim_index) == GA_RECLAIM_CHUNK, "one chunk claimed");
    CHECK(ga_mheap_reclaim(h, 100) == 0 && atomic_load(&h->reclaim_credit) == NLARGE * LPAGES - 101,
          "100 pages taken from the credit, nothing scanned");
    CHECK(atomic_load(&h->reclaim_index) == GA_RECLAIM_CHUNK, "credit first: no chunk claimed");
    CHECK(ga_mheap_reclaim(h, 100000) == 0 && atomic_load(&h->reclaim_credit) == 0 &&
              atomic_load(&h->reclaim_index) >= GA_RECLAIM_DONE,
          "the rest of the credit, then every chunk of the cycle's one arena: done");
    CHECK(ht_stats(h).heap_inuse == 0, "nothing in use");
    ht_heap_ok(h, "reclaim accounting");

    /* Second cycle: the index starts over; ga_sweep's frees are credit too. */
    alloc_larges(c, p);
    ga_gc_begin(h);
    ga_gc_end(h);
    CHECK(ga_sweep(h, 3) == 3, "ga_sweep frees three dead spans");
    CHECK(atomic_load(&h->reclaim_credit) == 3 * LPAGES, "ga_sweep's frees are reclaim credit");
    CHECK(ga_mheap_reclaim(h, 3 * LPAGES) == 0 && atomic_load(&h->reclaim_index) == 0, "served by that credit");
    CHECK(ga_mheap_reclaim(h, 1) == (NLARGE - 3) * LPAGES, "then the chunk: the other 17 spans");
    ht_heap_ok(h, "second cycle");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* Small spans: the reclaimer sweeps exactly the unswept spans without a marked object;
 * marked ones (a single mark, or black allocation) stay unswept with their objects
 * intact; cached and already swept spans are not touched.  debug_checks: A2/A5 are
 * checked after every call, marking included. */
static void test_small_spans(void) {
    ga_heap *h = new_heap(1);
    ga_cache *c = ga_cache_new(h);
    const size_t size = 1024; /* one-page spans of 8 slots */
    const uint32_t cls = ga_size_to_class(size), per = ga_class_nelems[cls];
    CHECK(ga_class_npages[cls] == 1, "1 KiB objects: one-page spans");
    enum { NSPANS = 64 };
    static char *o[NSPANS * 8];
    uint32_t n = NSPANS * per;
    for (uint32_t i = 0; i < n; i++) {
        o[i] = ga_alloc(c, size, 0);
        REQUIRE(o[i] != NULL, "alloc %u", i);
        ht_fill(o[i], 64, i);
    }
    ga_gc_begin(h);
    /* Spans 0 mod 3 keep one marked object, the rest die; one more object is allocated
     * black (the cache's span is full: a refill grows a span of its own, which its
     * black mark keeps, swept at ga_gc_end's flush). */
    for (uint32_t sp = 0; sp < NSPANS; sp += 3)
        CHECK(ga_mark(h, o[sp * per + sp % per]) == 1, "mark one object of span %u", sp);
    char *black = ga_alloc(c, size, 0);
    REQUIRE(black != NULL, "black allocation");
    ht_fill(black, 64, 999);
    ga_mspan *bs = ht_span(h, black);
    CHECK(page_bit(h, marks_map, bs->base), "A5: black allocation sets its span's page bit");
    ga_gc_end(h);
    uint32_t sg = ht_sweepgen(h);

    /* Expected: the in-use spans at h-2 whose page bit is clear. */
    uintptr_t want = 0;
    size_t live_unswept = 0;
    for (uint32_t sp = 0; sp < NSPANS; sp++) {
        ga_mspan *s = ht_span(h, o[sp * per]);
        if (!s || __atomic_load_n(&s->sweepgen, __ATOMIC_RELAXED) != sg - 2)
            continue; /* the span cached at ga_gc_end was swept there */
        if (sp % 3 == 0)
            live_unswept++;
        else
            want += s->npages;
    }
    CHECK(want >= 40 && live_unswept >= 20, "%lu dead and %zu live unswept spans", (unsigned long)want, live_unswept);
    uint64_t inuse0 = ht_stats(h).heap_inuse;
    uintptr_t got = ga_mheap_reclaim(h, 100000);
    CHECK(got == want, "reclaimed exactly the dead unswept spans: %lu pages, expected %lu", (unsigned long)got,
          (unsigned long)want);
    CHECK(ht_stats(h).heap_inuse == inuse0 - got * PAGE, "heap_inuse fell by the pages reclaimed");
    for (uint32_t sp = 0; sp < NSPANS; sp += 3) {
        ga_mspan *s = ht_span(h, o[sp * per]);
        CHECK(s && ht_verify(o[sp * per + sp % per], 64, sp * per + sp % per), "span %u's marked object intact", sp);
        uint32_t d = s ? __atomic_load_n(&s->sweepgen, __ATOMIC_RELAXED) - sg : 0;
        CHECK(d == (uint32_t)-2 || d == 0, "span %u: unswept, or swept at ga_gc_end (h%+d)", sp, (int)d);
    }
    CHECK(ht_verify(black, 64, 999), "the black object intact");
    ht_heap_ok(h, "small reclaim");
    ga_sweep(h, 0);
    ga_stats st = ht_stats(h);
    CHECK(st.by_size[cls].nmalloc - st.by_size[cls].nfree == (NSPANS + 2) / 3 + 1, "live objects: marked + black");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* A large span resized in place keeps its first page and its A2 bit; a span freed
 * during marking takes its A5 bit with it, so a span later starting there is unmarked. */
static void test_bitmaps_follow_spans(void) {
    ga_heap *h = new_heap(1);
    ga_cache *c = ga_cache_new(h);
    char *a = ga_alloc(c, 10 * PAGE, GA_NOSCAN);
    REQUIRE(a != NULL, "large");
    uintptr_t base = (uintptr_t)a;
    CHECK(ga_resize_in_place(c, a, 30 * PAGE) == 30 * PAGE && page_bit(h, in_use_map, base),
          "grown in place: bit kept");
    CHECK(ga_resize_in_place(c, a, 2 * PAGE) == 2 * PAGE && page_bit(h, in_use_map, base), "shrunk in place: bit kept");
    ga_gc_begin(h);
    CHECK(ga_mark(h, a) == 1 && page_bit(h, marks_map, base), "marked");
    CHECK(ga_free(c, a) == 0, "freed during marking");
    CHECK(!page_bit(h, in_use_map, base) && !page_bit(h, marks_map, base), "both bits cleared at the free");
    char *b = ga_alloc(c, 2 * PAGE, GA_NOSCAN); /* black: its own mark */
    CHECK((uintptr_t)b == base && page_bit(h, marks_map, base), "reused start page, marked by black allocation");
    ga_gc_end(h);
    ga_gc_begin(h);
    CHECK(!page_bit(h, marks_map, base) && page_bit(h, in_use_map, base), "ga_gc_begin clears the page marks");
    ga_gc_end(h);
    ht_heap_ok(h, "bitmaps");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- concurrency ---------------------------------------------------------------------- */

enum { NT = 4, ROUNDS = 6, KEEP = 64, CHURN = 400 };

typedef struct worker {
    int id;
    pthread_t th;
    ga_cache *c;
    uint64_t rng;
    char *keep[KEEP];
    uint32_t ksize[KEEP];
    uint32_t seed[KEEP];
    int bad;
} worker;

static ga_heap *TH;
static worker TW[NT];
static pthread_barrier_t TB;

static uint32_t pick_size(worker *w) {
    uint64_t r = ht_rand(&w->rng);
    return r % 4 == 0 ? (uint32_t)(PAGE * (2 + r % 40)) : (uint32_t)(16 + r % 3000);
}

static void *run(void *arg) {
    worker *w = arg;
    for (int round = 0; round < ROUNDS; round++) {
        /* Garbage and a few kept objects. */
        for (int i = 0; i < CHURN; i++) {
            uint32_t sz = pick_size(w);
            char *p = ga_alloc(w->c, sz, 0);
            if (!p) {
                w->bad++;
                continue;
            }
            int k = (int)(ht_rand(&w->rng) % (KEEP * 4));
            if (k < KEEP) {
                if (w->keep[k] && ga_free(w->c, w->keep[k]) != 0)
                    w->bad++;
                w->keep[k] = p;
                w->ksize[k] = sz;
                w->seed[k] = (uint32_t)(round * 100000 + w->id * 10000 + i);
                ht_fill(p, sz < 64 ? sz : 64, w->seed[k]);
            }
        }
        pthread_barrier_wait(&TB);
        if (w->id == 0)
            ga_gc_begin(TH);
        pthread_barrier_wait(&TB);
        for (int k = 0; k < KEEP; k++)
            if (w->keep[k] && ga_mark(TH, w->keep[k]) < 0)
                w->bad++;
        pthread_barrier_wait(&TB);
        if (w->id == 0)
            ga_gc_end(TH);
        pthread_barrier_wait(&TB);
        /* Sweeping is behind: large and small allocations (reclaimers, lazy sweepers)
         * race with ga_sweep (worker 3) and with frees. */
        for (int i = 0; i < CHURN; i++) {
            if (w->id == 3 && i % 8 == 0)
                ga_sweep(TH, 2);
            uint32_t sz = pick_size(w);
            char *p = ga_alloc(w->c, sz, 0);
            if (!p || ga_free(w->c, p) != 0)
                w->bad++;
        }
        for (int k = 0; k < KEEP; k++)
            if (w->keep[k] && !ht_verify(w->keep[k], w->ksize[k] < 64 ? w->ksize[k] : 64, w->seed[k]))
                w->bad++;
        pthread_barrier_wait(&TB);
        if (w->id == 0 && !ht_heap_ok(TH, "round"))
            w->bad++;
        pthread_barrier_wait(&TB);
    }
    return NULL;
}

static void test_concurrent(void) {
    TH = new_heap(0);
    pthread_barrier_init(&TB, NULL, NT);
    for (int t = 0; t < NT; t++) {
        memset(&TW[t], 0, sizeof TW[t]);
        TW[t].id = t;
        TW[t].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1);
        TW[t].c = ga_cache_new(TH);
        REQUIRE(TW[t].c != NULL, "cache");
    }
    for (int t = 0; t < NT; t++)
        REQUIRE(pthread_create(&TW[t].th, NULL, run, &TW[t]) == 0, "thread");
    int bad = 0;
    for (int t = 0; t < NT; t++) {
        pthread_join(TW[t].th, NULL);
        bad += TW[t].bad;
    }
    CHECK(bad == 0, "%d failures in the workers (allocation, free, mark, pattern)", bad);
    size_t live = 0;
    for (int t = 0; t < NT; t++) {
        for (int k = 0; k < KEEP; k++)
            live += TW[t].keep[k] != NULL;
        ga_cache_destroy(TW[t].c);
    }
    ga_sweep(TH, 0); /* after the caches' last frees went back with their spans */
    ga_stats st = ht_stats(TH);
    CHECK(st.nmalloc - st.nfree == live, "exact counts after the rounds: %llu objects, %zu kept",
          (unsigned long long)(st.nmalloc - st.nfree), live);
    ht_heap_ok(TH, "concurrent end");
    pthread_barrier_destroy(&TB);
    ga_heap_destroy(TH);
}

int main(void) {
    test_large_before_grow();
    test_credit_and_index();
    test_small_spans();
    test_bitmaps_follow_spans();
    test_concurrent();
    return check_report();
}
