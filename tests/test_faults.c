/* OS refusal at every point: a fixed workload (small, tiny and large allocations, frees,
 * a GC cycle, scavenging and re-use of released pages, a second arena) is run with the
 * Nth refusable OS call refused, for every N up to the number of calls the workload
 * makes; then with every call refused after the first N; then under a mapped-bytes
 * limit; then with hooks that refuse until told otherwise.  Each time: ga_alloc returns
 * either memory or NULL with errno ENOMEM, the heap check stays clean, every live
 * object keeps its bytes, and allocation works again once the OS accepts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/heaptest.h"
#include "support/testos.h"

#define PAGE 8192u

enum { MAXOBJ = 600 };

typedef struct run {
    ga_heap *h;
    ga_cache *c;
    char *p[MAXOBJ];
    size_t n[MAXOBJ];
    int nobj;
    int refusals;   /* NULL results seen */
    int bad;        /* results other than memory or NULL+ENOMEM */
    int retry_fail; /* retries (after a refusal) that failed although the OS accepts */
    int fail_once;  /* os_fail_nth mode: a retry must succeed */
} run;

/* Sizes: tiny, small across the classes, large up to 9 MiB (past a 4 MiB chunk), one
 * of 70 MiB (a second arena). */
static size_t size_of(int i) {
    if (i == 150)
        return (size_t)70 << 20;
    if (i % 40 == 7)
        return (size_t)(i % 9 + 1) << 20;
    if (i % 11 == 3)
        return 33000 + (size_t)i * 517;
    if (i % 5 == 1)
        return 1 + (size_t)i % 15;
    return 16 + (size_t)(i * 211) % 6000;
}

static unsigned flags_of(int i, size_t n) { return n < 16 ? GA_NOSCAN : (i % 3 == 0 ? GA_NOZERO : 0); }

static int verify_all(run *r) {
    int ok = 1;
    for (int i = 0; i < r->nobj; i++)
        if (r->p[i]) {
            if (r->n[i] <= 512)
                ok &= ht_verify(r->p[i], r->n[i], (uint32_t)i);
            else
                ok &= ht_verify(r->p[i], 256, (uint32_t)i) && ht_verify(r->p[i] + r->n[i] - 256, 256, ~(uint32_t)i);
        }
    return ok;
}

static void *try_alloc(run *r, size_t n, unsigned fl) {
    errno = 0;
    void *p = ga_alloc(r->c, n, fl);
    if (p)
        return p;
    if (errno != ENOMEM)
        r->bad++;
    r->refusals++;
    if (!ht_heap_ok(r->h, "refused allocation") || !verify_all(r))
        r->bad++;
    if (r->fail_once) { /* only one call was refused: the OS accepts again */
        p = ga_alloc(r->c, n, fl);
        if (!p)
            r->retry_fail++;
    }
    return p;
}

static void alloc_obj(run *r, int i) {
    size_t n = size_of(i);
    char *p = try_alloc(r, n, flags_of(i, n));
    r->p[i] = p;
    r->n[i] = n;
    if (p) {
        if (n <= 512) {
            ht_fill(p, n, (uint32_t)i);
        } else { /* head and tail */
            ht_fill(p, 256, (uint32_t)i);
            ht_fill(p + n - 256, 256, ~(uint32_t)i);
        }
    }
    if (i >= r->nobj)
        r->nobj = i + 1;
}

/* The workload.  Returns 0 if the heap or a cache could not be made (refused). */
static int workload(run *r, const ga_config *cfg) {
    memset(r->p, 0, sizeof r->p);
    r->nobj = 0;
    errno = 0;
    r->h = ga_heap_new(cfg);
    if (!r->h) {
        if (errno != ENOMEM)
            r->bad++;
        return 0;
    }
    r->c = ga_cache_new(r->h);
    if (!r->c) {
        if (errno != ENOMEM)
            r->bad++;
        r->refusals++;
        r->c = ga_cache_new(r->h);
        if (!r->c) {
            if (r->fail_once)
                r->retry_fail++;
            ga_heap_destroy(r->h);
            return 0;
        }
    }
    for (int i = 0; i < 300; i++)
        alloc_obj(r, i);
    /* free every third small object and every large one but the 70 MiB one */
    for (int i = 0; i < 300; i++)
        if (r->p[i] && size_of(i) >= 16 && (i % 3 == 0 || (size_of(i) > 32768 && i != 150))) {
            if (ga_free(r->c, r->p[i]) != 0)
                r->bad++;
            r->p[i] = NULL;
        }
    /* a GC cycle keeping everything still referenced (tiny blocks included) */
    ga_gc_begin(r->h);
    for (int i = 0; i < 300; i++)
        if (r->p[i])
            ga_mark(r->h, r->p[i]);
    ga_gc_end(r->h);
    ga_sweep(r->h, 0);
    /* release free pages, then allocate again: scavenged pages need sys_used */
    ga_scavenge(r->h, SIZE_MAX);
    for (int i = 300; i < 450; i++)
        alloc_obj(r, i);
    if (!verify_all(r))
        r->bad++;
    if (!ht_heap_ok(r->h, "workload end"))
        r->bad++;
    return 1;
}

static void finish(run *r) {
    ga_cache_destroy(r->c);
    ga_heap_destroy(r->h);
}

/* ---- the Nth call refused, for every N ------------------------------------------------- */

static void test_fail_nth(void) {
    run r = {0};
    ga_config cfg = {0};
    CHECK(workload(&r, &cfg), "clean run");
    uint64_t calls = atomic_load(&r.h->os.calls);
    CHECK(r.refusals == 0 && r.bad == 0, "clean run: no refusal");
    finish(&r);
    CHECK(calls > 20, "the workload makes %llu refusable OS calls", (unsigned long long)calls);
    int heaps_refused = 0, allocs_refused = 0, runs = 0;
    for (uint64_t n = 1; n <= calls + 2; n++) {
        run x = {.fail_once = 1};
        cfg.os_fail_nth = n;
        if (!workload(&x, &cfg)) {
            heaps_refused++;
            CHECK(x.bad == 0 && x.retry_fail == 0, "fail_nth %llu: heap/cache refusal is clean ENOMEM",
                  (unsigned long long)n);
            continue;
        }
        runs++;
        allocs_refused += x.refusals;
        CHECK(x.bad == 0, "fail_nth %llu: only memory or NULL+ENOMEM, heap sound, contents intact",
              (unsigned long long)n);
        CHECK(x.retry_fail == 0, "fail_nth %llu: allocation works again after the refusal", (unsigned long long)n);
        CHECK(x.refusals <= 1, "fail_nth %llu: one refusal at most (%d)", (unsigned long long)n, x.refusals);
        CHECK(atomic_load(&x.h->os.refusals) <= 1, "one OS refusal");
        finish(&x);
    }
    printf("fail_nth: %llu positions, %d heap_new refusals, %d runs, %d allocation refusals seen\n",
           (unsigned long long)calls + 2, heaps_refused, runs, allocs_refused);
    CHECK(heaps_refused > 0 && allocs_refused > 0, "both heap creation and allocations were hit");
}

/* ---- every call after the first N refused ------------------------------------------------ */

static void test_fail_after(void) {
    run r = {0};
    ga_config cfg = {0};
    workload(&r, &cfg);
    uint64_t calls = atomic_load(&r.h->os.calls);
    finish(&r);
    for (uint64_t n = 1; n <= calls; n += (n < 24 ? 1 : 11)) {
        run x = {0};
        cfg.os_fail_after = n;
        if (!workload(&x, &cfg)) {
            CHECK(x.bad == 0, "fail_after %llu: clean refusal", (unsigned long long)n);
            continue;
        }
        CHECK(x.bad == 0, "fail_after %llu: only memory or NULL+ENOMEM, sound, intact", (unsigned long long)n);
        /* Memory the heap already has still serves: free a small object and allocate
         * its size again (the slot comes back through a free sweep, no OS call). */
        int done = 0;
        for (int i = 0; i < x.nobj && !done; i++)
            if (x.p[i] && x.n[i] >= 16 && x.n[i] <= 32768) {
                size_t sz = x.n[i];
                CHECK(ga_free(x.c, x.p[i]) == 0, "free");
                x.p[i] = NULL;
                ga_sweep(x.h, 0);
                void *q = ga_alloc(x.c, sz, 0);
                CHECK(q != NULL, "fail_after %llu: re-allocation from the heap's own memory works",
                      (unsigned long long)n);
                done = 1;
            }
        CHECK(verify_all(&x), "contents intact");
        ht_heap_ok(x.h, "fail_after end");
        finish(&x);
    }
}

/* ---- mapped limit ----------------------------------------------------------------------------- */

static void test_mapped_limit(void) {
    ga_heap *h0 = ga_heap_new(NULL);
    ga_stats st0 = ht_stats(h0);
    ga_heap_destroy(h0);
    size_t base = st0.sys_mapped; /* metadata of an empty heap */
    ga_config cfg = {.mapped_limit = base + (24u << 20)};
    ga_heap *h = ga_heap_new(&cfg);
    CHECK(h != NULL, "heap under a limit");
    ga_cache *c = ga_cache_new(h);
    static char *p[200];
    int n = 0;
    for (; n < 200; n++) {
        errno = 0;
        p[n] = ga_alloc(c, 1 << 20, 0);
        if (!p[n]) {
            CHECK(errno == ENOMEM, "limit: ENOMEM");
            break;
        }
        ht_fill(p[n], 4096, (uint32_t)n);
    }
    ga_stats st = ht_stats(h);
    CHECK(n >= 12 && n < 24, "1 MiB objects under a 24 MiB limit: %d", n);
    CHECK(st.sys_mapped <= cfg.mapped_limit, "sys_mapped %llu within the limit", (unsigned long long)st.sys_mapped);
    /* small objects fill the rest, then fail too */
    int m = 0;
    while (ga_alloc(c, 2000, 0) && m < 100000)
        m++;
    CHECK(errno == ENOMEM && m < 100000, "small allocations stop at the limit too (%d)", m);
    ht_heap_ok(h, "limit reached");
    int ok = 1;
    for (int i = 0; i < n; i++)
        ok &= ht_verify(p[i], 4096, (uint32_t)i);
    CHECK(ok, "contents intact at the limit");
    /* free half: allocation works again within the limit */
    for (int i = 0; i < n; i += 2)
        CHECK(ga_free(c, p[i]) == 0, "free");
    int again = 0;
    for (int i = 0; i < (n + 1) / 2; i++)
        again += ga_alloc(c, 1 << 20, 0) != NULL;
    CHECK(again == (n + 1) / 2, "after freeing %d MiB, %d allocations of 1 MiB succeed", (n + 1) / 2, again);
    ok = 1;
    for (int i = 1; i < n; i += 2)
        ok &= ht_verify(p[i], 4096, (uint32_t)i);
    CHECK(ok, "kept objects intact");
    ht_heap_ok(h, "limit end");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- hooks that refuse until told otherwise ------------------------------------------------ */

static void test_refusing_hooks(void) {
    ga_testos t;
    ga_testos_init(&t);
    ga_config cfg = {.os = &t.hooks};
    ga_heap *h = ga_heap_new(&cfg);
    ga_cache *c = ga_cache_new(h);
    char *a = ga_alloc(c, 100, 0);
    ht_fill(a, 100, 1);
    char *big = ga_alloc(c, 3 << 20, 0);
    ht_fill(big, 4096, 2);
    CHECK(ga_free(c, big) == 0, "free 3 MiB");
    CHECK(ga_scavenge(h, SIZE_MAX) > 0, "release the free pages");

    /* used refused: released pages cannot come back (the run is parked, not lost) */
    t.fail_mask = 1u << TESTOS_USED;
    errno = 0;
    CHECK(ga_alloc(c, 2 << 20, 0) == NULL && errno == ENOMEM, "sys_used refused: NULL, ENOMEM");
    ht_heap_ok(h, "used refused");
    /* map and reserve refused: no new memory either */
    t.fail_mask = 1u << TESTOS_USED | 1u << TESTOS_MAP | 1u << TESTOS_RESERVE;
    errno = 0;
    CHECK(ga_alloc(c, 100u << 20, 0) == NULL && errno == ENOMEM, "map/reserve refused: NULL, ENOMEM");
    errno = 0;
    int small_ok = 0, small_fail = 0;
    for (int i = 0; i < 2000; i++) { /* small objects fill what is Ready, then fail */
        void *p = ga_alloc(c, 4000, 0);
        if (p)
            small_ok++;
        else
            small_fail += errno == ENOMEM;
    }
    CHECK(small_fail > 0, "small allocations refused once Ready memory is used (%d ok)", small_ok);
    ht_heap_ok(h, "all refused");
    CHECK(ht_verify(a, 100, 1), "live object intact");
    /* the OS accepts again */
    t.fail_mask = 0;
    char *b = ga_alloc(c, 2 << 20, 0);
    CHECK(b != NULL, "allocation works again once the OS accepts");
    CHECK(ga_alloc(c, 100u << 20, 0) != NULL, "large growth works again");
    CHECK(ga_alloc(c, 4000, 0) != NULL, "small works again");
    ht_heap_ok(h, "recovered");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

int main(void) {
    test_fail_nth();
    test_fail_after();
    test_mapped_limit();
    test_refusing_hooks();
    return check_report();
}
