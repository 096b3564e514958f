/* mallocgc, mcache, mcentral and explicit free, single-threaded: size 0, tiny, every
 * class boundary, large; zeroing and GA_NOZERO; usable_size / object_base; frees of
 * live, double, interior, foreign and NULL pointers; every seed box exercised on
 * purpose (cache_span growing, refill sweeping lazily, alloc_large, prepare_for_sweep,
 * release_all); statistics; several heaps side by side, destroy returning every byte.
 * Expectations are hand-computed from Go's size-class table (docs/go-facts.md §2.1, runtime/sizeclasses.go). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/heaptest.h"
#include "support/testos.h"

/* Go's linux/amd64 classes: object size, pages per span, objects per span. */
static const struct {
    uint32_t size, npages, nelems;
} K[68] = {
    {0, 0, 0},     {8, 1, 1024},  {16, 1, 512},   {24, 1, 341},  {32, 1, 256},  {48, 1, 170},  {64, 1, 128},
    {80, 1, 102},  {96, 1, 85},   {112, 1, 73},   {128, 1, 64},  {144, 1, 56},  {160, 1, 51},  {176, 1, 46},
    {192, 1, 42},  {208, 1, 39},  {224, 1, 36},   {240, 1, 34},  {256, 1, 32},  {288, 1, 28},  {320, 1, 25},
    {352, 1, 23},  {384, 1, 21},  {416, 1, 19},   {448, 1, 18},  {480, 1, 17},  {512, 1, 16},  {576, 1, 14},
    {640, 1, 12},  {704, 1, 11},  {768, 1, 10},   {896, 1, 9},   {1024, 1, 8},  {1152, 1, 7},  {1280, 1, 6},
    {1408, 2, 11}, {1536, 1, 5},  {1792, 2, 9},   {2048, 1, 4},  {2304, 2, 7},  {2688, 1, 3},  {3072, 3, 8},
    {3200, 2, 5},  {3456, 3, 7},  {4096, 1, 2},   {4864, 3, 5},  {5376, 2, 3},  {6144, 3, 4},  {6528, 4, 5},
    {6784, 5, 6},  {6912, 6, 7},  {8192, 1, 1},   {9472, 7, 6},  {9728, 6, 5},  {10240, 5, 4}, {10880, 4, 3},
    {12288, 3, 2}, {13568, 5, 3}, {14336, 7, 4},  {16384, 2, 1}, {18432, 9, 4}, {19072, 7, 3}, {20480, 5, 2},
    {21760, 8, 3}, {24576, 3, 1}, {27264, 10, 3}, {28672, 7, 2}, {32768, 4, 1},
};

#define PAGE 8192u

static ga_heap *new_heap(void) {
    ga_heap *h = ga_heap_new(NULL);
    REQUIRE(h != NULL, "ga_heap_new failed");
    return h;
}

/* For tests that expect address-ordered first fit from pageAlloc for every span: with
 * page caches (the default, as Go), a run of fewer than 16 pages comes from the cache's
 * 64-page block, and a freed run goes back to pageAlloc, not to the block. */
static ga_heap *new_heap_no_page_cache(void) {
    ga_config cfg = {.no_page_cache = 1};
    ga_heap *h = ga_heap_new(&cfg);
    REQUIRE(h != NULL, "ga_heap_new failed");
    return h;
}

/* ---- size 0, size limits ------------------------------------------------------------ */

static void test_zero_and_limits(void) {
    ga_heap *h = new_heap();
    ga_cache *c = ga_cache_new(h);
    void *z = ga_alloc(c, 0, 0);
    CHECK(z == ga_zerobase(), "size 0 returns zerobase");
    CHECK(ga_alloc(c, 0, GA_NOSCAN) == z, "size 0 noscan returns the same zerobase");
    CHECK(ga_free(c, z) == -EINVAL, "free(zerobase) is EINVAL");
    CHECK(ga_usable_size(h, z) == 0 && ga_object_base(h, z) == NULL, "zerobase is no heap object");
    CHECK(ga_mark(h, z) == -EINVAL, "mark(zerobase) is EINVAL");

    ga_stats before = ht_stats(h);
    errno = 0;
    CHECK(ga_alloc(c, ((size_t)1 << 48) + 1, 0) == NULL && errno == ENOMEM, "2^48+1 bytes: NULL, ENOMEM");
    errno = 0;
    CHECK(ga_alloc(c, SIZE_MAX, 0) == NULL && errno == ENOMEM, "SIZE_MAX: NULL, ENOMEM");
    errno = 0;
    CHECK(ga_alloc(c, SIZE_MAX - PAGE + 2, GA_NOSCAN) == NULL && errno == ENOMEM, "size + page overflow: ENOMEM");
    errno = 0;
    CHECK(ga_alloc(c, (size_t)1 << 48, 0) == NULL && errno == ENOMEM, "2^48 bytes: the OS refuses, ENOMEM");
    ga_stats after = ht_stats(h);
    CHECK(after.nmalloc == before.nmalloc && after.heap_inuse == before.heap_inuse, "refused sizes change nothing");
    void *p = ga_alloc(c, 24, 0);
    CHECK(p != NULL && ga_usable_size(h, p) == 24, "allocation works after the refusals");
    ht_heap_ok(h, "size limits");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- every class boundary ------------------------------------------------------------ */

typedef struct obj {
    void *p;
    size_t n;
} obj;

static void test_class_boundaries(void) {
    ga_heap *h = new_heap();
    ga_cache *c = ga_cache_new(h);
    static obj objs[68 * 4];
    size_t nobj = 0;
    for (uint32_t cls = 1; cls <= 67; cls++) {
        for (int ns = 0; ns < 2; ns++) {
            unsigned fl = ns ? GA_NOSCAN : 0;
            uint32_t size = K[cls].size;
            void *p = ga_alloc(c, size, fl);
            CHECK(p != NULL, "alloc %u", size);
            ga_mspan *s = ht_span(h, p);
            if (ns && size < 16) {
                /* 8-byte noscan goes to the tiny allocator: a sub-object of a class-5 block */
                CHECK(s && s->spanclass == GA_TINY_SPAN_CLASS, "size %u noscan is tiny", size);
                CHECK(ga_usable_size(h, p) == 0, "tiny sub-object has no usable size");
            } else {
                uint32_t want_spc = (cls << 1) | (uint32_t)(ns && cls != 2);
                CHECK(s && s->spanclass == want_spc, "size %u ns %d: span class %u, got %u", size, ns, want_spc,
                      s ? s->spanclass : 999);
                CHECK(ga_usable_size(h, p) == size, "usable_size(%u) = %zu", size, ga_usable_size(h, p));
                CHECK(s && s->nelems == K[cls].nelems && s->npages == K[cls].npages,
                      "class %u span geometry: %u objects, %u pages", cls, K[cls].nelems, K[cls].npages);
                CHECK(s && ((uintptr_t)p - s->base) % size == 0, "slot aligned");
                CHECK(ht_all_zero(p, size), "fresh memory is zero (class %u)", cls);
                objs[nobj++] = (obj){p, size};
            }
            /* size + 1: the next class, or a 5-page large object past 32 KiB */
            void *q = ga_alloc(c, size + 1, fl);
            CHECK(q != NULL, "alloc %u", size + 1);
            size_t want = cls < 67 ? K[cls + 1].size : 5 * PAGE;
            if (ns && size + 1 < 16) {
                CHECK(ga_usable_size(h, q) == 0, "size %u noscan is tiny", size + 1);
            } else {
                CHECK(ga_usable_size(h, q) == want, "usable_size(%u) = %zu, want %zu", size + 1, ga_usable_size(h, q),
                      want);
                CHECK(ht_all_zero(q, want), "fresh memory is zero (%u)", size + 1);
                objs[nobj++] = (obj){q, want};
            }
        }
    }
    /* Fill every whole usable slot, then check nothing overlapped. */
    for (size_t i = 0; i < nobj; i++)
        ht_fill(objs[i].p, objs[i].n, (uint32_t)i);
    int ok = 1;
    for (size_t i = 0; i < nobj; i++)
        ok &= ht_verify(objs[i].p, objs[i].n, (uint32_t)i);
    CHECK(ok, "no two objects overlap (%zu objects)", nobj);
    ht_heap_ok(h, "class boundaries");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- tiny allocator ------------------------------------------------------------------ */

static void test_tiny(void) {
    ga_heap *h = new_heap();
    ga_cache *c = ga_cache_new(h);
    char *a = ga_alloc(c, 1, GA_NOSCAN);              /* block A, offset 0, tiny_offset 1 */
    char *b = ga_alloc(c, 2, GA_NOSCAN);              /* 2-aligned: A+2 */
    char *d = ga_alloc(c, 4, GA_NOSCAN);              /* 4-aligned: A+4 */
    char *e = ga_alloc(c, 8, GA_NOSCAN);              /* 8-aligned: A+8, block full (16) */
    char *f = ga_alloc(c, 1, GA_NOSCAN);              /* new block B = next slot, tiny = B, offset 1 */
    char *g = ga_alloc(c, 15, GA_NOSCAN);             /* B+1 .. B+16 */
    char *i = ga_alloc(c, 3, GA_NOSCAN);              /* new block C, offset 3 */
    char *j = ga_alloc(c, 12, GA_NOSCAN | GA_NOZERO); /* 4-aligned: C+4 */
    CHECK(b == a + 2 && d == a + 4 && e == a + 8, "tiny packing in block A: %p %p %p %p", (void *)a, (void *)b,
          (void *)d, (void *)e);
    CHECK(f == a + 16 && g == f + 1, "block B is the next 16-byte slot; 15 bytes at B+1");
    CHECK(i == a + 32 && j == i + 4, "block C; 12 bytes 4-aligned at C+4");
    ga_mspan *s = ht_span(h, a);
    CHECK(s && s->spanclass == GA_TINY_SPAN_CLASS && s->base == (uintptr_t)a, "tiny blocks in span class 5");
    CHECK(ht_all_zero(a, 48), "tiny blocks are zeroed (even for GA_NOZERO)");
    memset(a, 0x5a, 48);
    CHECK(ga_free(c, a) == -EINVAL && ga_free(c, b) == -EINVAL && ga_free(c, j) == -EINVAL,
          "tiny sub-objects cannot be freed: EINVAL");
    CHECK(s->pending_frees == 0 && s->freed_bits[0] == 0, "refused tiny frees change nothing");
    CHECK(ga_usable_size(h, a) == 0 && ga_usable_size(h, b) == 0, "tiny sub-objects have no usable size");
    CHECK(ga_object_base(h, e + 3) == a && ga_object_base(h, g + 5) == f, "object_base of tiny = its block");
    /* A 16-byte noscan object is not tiny and does not go to class 5 (it is freeable). */
    void *x = ga_alloc(c, 16, GA_NOSCAN);
    ga_mspan *xs = ht_span(h, x);
    CHECK(xs && xs->spanclass == 4, "16-byte noscan object in span class 4, got %u", xs ? xs->spanclass : 999);
    CHECK(ga_free(c, x) == 0, "16-byte noscan object can be freed");

    ga_cache_destroy(c); /* folds tiny_allocs and the per-span counts */
    ga_stats st = ht_stats(h);
    CHECK(st.tiny_allocs == 5, "5 allocations inside existing blocks, got %llu", (unsigned long long)st.tiny_allocs);
    CHECK(st.by_size[2].nmalloc == 4, "3 tiny blocks + one 16-byte object in class 2, got %llu",
          (unsigned long long)st.by_size[2].nmalloc);
    CHECK(st.nmalloc == 9, "nmalloc counts tiny allocations too (Go MemStats): 9, got %llu",
          (unsigned long long)st.nmalloc);
    ht_heap_ok(h, "tiny");
    ga_heap_destroy(h);
}

/* ---- zeroing and GA_NOZERO ----------------------------------------------------------- */

static void test_zeroing(void) {
    ga_heap *h = new_heap_no_page_cache(); /* a freed large object's pages are reused */
    ga_cache *c = ga_cache_new(h);
    enum { N = 64 }; /* class 10: 128 B, 64 per 1-page span */
    char *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = ga_alloc(c, 128, 0);
        CHECK(p[i] == p[0] + 128 * i, "fresh span filled in order, slot %d", i);
    }
    ga_mspan *s = ht_span(h, p[0]);
    CHECK(s->base == (uintptr_t)p[0] && s->needzero == 0, "fresh span: needzero 0 (OS memory is zero)");
    CHECK(s->alloc_count == N && s->freeindex == N, "span full: alloc_count = freeindex = 64");
    for (int i = 0; i < N; i++)
        ht_fill(p[i], 128, (uint32_t)i);
    for (int i = 0; i < N; i++)
        CHECK(ga_free(c, p[i]) == 0, "free slot %d", i);
    CHECK(s->local_frees == N && s->pending_frees == 0 && s->alloc_count == N,
          "64 local frees (the cache owns the span: no atomics), slots not reclaimed yet");
    CHECK(ga_free(c, p[3]) == -EALREADY, "double free before reclaim: EALREADY");

    /* The span is full: the next allocation refills, which reclaims the frees in place
     * (the cache owns the span) and restarts at slot 0. */
    char *q = ga_alloc(c, 128, GA_NOZERO);
    CHECK(q == p[0], "reclaimed slot 0 reused in place");
    CHECK(ht_span(h, q) == s && s->pending_frees == 0 && s->local_frees == 0 && s->alloc_count == 1 && s->needzero == 1,
          "after in-place reclaim: pending 0, local 0, alloc_count 1, needzero 1");
    CHECK(ht_verify(q, 128, 0), "GA_NOZERO leaves the old bytes (slot was dirty)");
    char *r = ga_alloc(c, 128, 0);
    CHECK(r == p[1] && ht_all_zero(r, 128), "without GA_NOZERO a dirty slot is zeroed");
    CHECK(ga_free(c, p[5]) == -EALREADY, "free of a reclaimed (free) slot: EALREADY");
    CHECK(ga_free(c, p[N - 1]) == -EALREADY, "free of a free slot never handed out again: EALREADY");

    /* A refill for a zeroing allocation zeroes every free slot of the dirty span at once
     * (needzero back to 0, S10), leaving the allocated ones alone. */
    for (int i = 2; i < N; i++)
        CHECK(ga_alloc(c, 128, GA_NOZERO) == p[i], "refill the span in order, slot %d", i);
    for (int i = 0; i < N; i++)
        ht_fill(p[i], 128, (uint32_t)i + 100);
    for (int i = 0; i < N; i += 2)
        ga_free(c, p[i]);
    char *z = ga_alloc(c, 128, 0); /* full: refill reclaims in place, then bulk zeroing */
    CHECK(z == p[0] && s->needzero == 0, "in-place reclaim + bulk zero: slot 0, needzero 0");
    int zeroed = 1, kept = 1;
    for (int i = 0; i < N; i++) {
        if (i % 2 == 0)
            zeroed &= ht_all_zero(p[i], 128);
        else
            kept &= ht_verify(p[i], 128, (uint32_t)i + 100);
    }
    CHECK(zeroed, "every freed slot zeroed");
    CHECK(kept, "live neighbours untouched");
    CHECK(ga_alloc(c, 128, GA_NOZERO) == p[2] && ht_all_zero(p[2], 128), "known zero even for GA_NOZERO");

    /* Large objects: needzero from the arena's zeroed high-water mark. */
    char *L = ga_alloc(c, 100000, 0);
    CHECK(L && ht_all_zero(L, 13 * PAGE), "fresh large object zero");
    memset(L, 0xee, 13 * PAGE);
    CHECK(ga_free(c, L) == 0, "free large");
    char *L2 = ga_alloc(c, 100000, GA_NOSCAN);
    CHECK(L2 == L, "large object reuses the same pages (lowest address first fit)");
    CHECK(ht_all_zero(L2, 13 * PAGE), "reused large pages are zeroed");
    memset(L2, 0xee, 13 * PAGE);
    CHECK(ga_free(c, L2) == 0, "free large again");
    char *L3 = ga_alloc(c, 100000, GA_NOZERO);
    CHECK(L3 == L && (unsigned char)L3[100] == 0xee, "GA_NOZERO large: old bytes kept");
    ht_heap_ok(h, "zeroing");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- usable_size, object_base ---------------------------------------------------------- */

static void test_object_queries(void) {
    ga_heap *h = new_heap();
    ga_cache *c = ga_cache_new(h);
    char *p = ga_alloc(c, 100, 0); /* class 9: 112 B, 73 per page, 16-byte tail */
    char *p2 = ga_alloc(c, 100, 0);
    ga_mspan *s = ht_span(h, p);
    CHECK(p2 == p + 112, "next slot");
    CHECK(ga_usable_size(h, p) == 112, "usable 112");
    CHECK(ga_usable_size(h, p + 1) == 0, "usable_size of an interior pointer: 0");
    CHECK(ga_object_base(h, p) == p && ga_object_base(h, p + 50) == p && ga_object_base(h, p + 111) == p,
          "interior pointers map to the object start");
    CHECK(ga_object_base(h, p + 112) == p2, "first byte of the next object");
    CHECK(ga_object_base(h, p + 224) == NULL, "slot 2 not allocated: NULL");
    CHECK(ga_object_base(h, (char *)s->base + 73 * 112 + 3) == NULL, "tail past the last slot: NULL");
    CHECK(ga_free(c, (char *)s->base + 73 * 112) == -EINVAL, "free of the span tail: EINVAL");
    int local;
    CHECK(ga_object_base(h, &local) == NULL && ga_usable_size(h, &local) == 0, "stack address: no object");
    CHECK(ga_object_base(h, NULL) == NULL && ga_usable_size(h, NULL) == 0, "NULL: no object");
    char *L = ga_alloc(c, 100000, 0); /* 13 pages */
    CHECK(ga_usable_size(h, L) == 13 * PAGE, "large usable = 13 pages");
    CHECK(ga_object_base(h, L + 13 * PAGE - 1) == L && ga_object_base(h, L + 5 * PAGE) == L, "large interior pointers");
    CHECK(ga_object_base(h, L + 13 * PAGE) != L, "past the large span");
    CHECK(ga_free(c, p) == 0, "free p");
    CHECK(ga_object_base(h, p + 5) == NULL && ga_usable_size(h, p) == 0, "a freed object is no object");
    ht_heap_ok(h, "object queries");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- frees: live, double, interior, foreign, NULL, cross-cache ----------------------------- */

static void test_free_errors(void) {
    ga_heap *h = new_heap();
    ga_cache *c = ga_cache_new(h);
    ga_cache *c2 = ga_cache_new(h);
    char *p = ga_alloc(c, 48, 0);
    char *q = ga_alloc(c, 48, 0);
    ga_mspan *s = ht_span(h, p);
    uint64_t fb = s->freed_bits[0];
    CHECK(ga_free(c, p + 8) == -EINVAL, "interior pointer: EINVAL");
    CHECK(ga_free(c, NULL) == -EINVAL, "NULL: EINVAL");
    int local;
    CHECK(ga_free(c, &local) == -EINVAL, "stack address: EINVAL");
    void *m = malloc(64);
    CHECK(ga_free(c, m) == -EINVAL, "libc pointer: EINVAL");
    free(m);
    CHECK(ga_free(NULL, p) == -EINVAL, "NULL cache: EINVAL");
    CHECK(s->freed_bits[0] == fb && s->pending_frees == 0, "heap unchanged by the refused frees");
    CHECK(ga_free(c, p) == 0, "live object: 0");
    CHECK(ga_free(c, p) == -EALREADY, "double free: EALREADY");
    CHECK(ga_free(c2, p) == -EALREADY, "double free from another cache of a locally freed object: EALREADY");
    CHECK(s->local_frees == 1 && (s->local_freed[0] & 1) && s->pending_frees == 0 && s->freed_bits[0] == fb,
          "c caches the span: one local free, no freed bit, nothing pending");
    /* Another cache frees q (the gate path): allowed, any thread may free. */
    CHECK(ga_free(c2, q) == 0, "free from another cache");
    CHECK(ga_free(c2, q) == -EALREADY, "double free from another cache: EALREADY");
    CHECK(ga_free(c, q) == -EALREADY, "double free by the owner of an object another cache freed: EALREADY");
    CHECK(s->pending_frees == 1 && (s->freed_bits[0] & 2), "one pending free (q's)");
    CHECK(ga_usable_size(h, p) == 0 && ga_object_base(h, p) == NULL && ga_usable_size(h, q) == 0,
          "freed objects, locally or not, are gone to the queries");
    ga_mspan_merge_local_frees(s); /* what refill and uncache do first */
    CHECK(s->pending_frees == 2 && (s->freed_bits[0] & 3) == 3 && s->local_frees == 0 && s->local_freed[0] == 0,
          "merged: two pending frees, no local ones");

    /* A full, uncached swept span moves to the partial list when it gets a free. */
    enum { N = 170 }; /* class 5, 48 B */
    char *o[N];
    o[0] = ga_alloc(c2, 48, 0); /* c2's own class-5 span */
    for (int i = 1; i < N; i++)
        o[i] = ga_alloc(c2, 48, 0);
    ga_mspan *s2 = ht_span(h, o[0]);
    CHECK(ht_span(h, o[N - 1]) == s2 && s2->alloc_count == N, "c2's span full");
    ga_cache_destroy(c2); /* release_all: s2 to the full swept list */
    uint32_t gen = ga_swept_gen(ht_sweepgen(h));
    CHECK(ht_in_list(h, s2, GA_LIST_FULL(gen)), "released full span in full swept list");
    CHECK(ga_free(c, o[7]) == 0, "free into an uncached full span");
    CHECK(ht_in_list(h, s2, GA_LIST_PARTIAL(gen)), "0 -> 1 pending: moved to partial swept");
    CHECK(ga_free(c, o[8]) == 0 && ht_in_list(h, s2, GA_LIST_PARTIAL(gen)), "second free: stays partial");

    /* push_swept's half of the 0 -> 1 handshake (the other half is the move above): a
     * full span pushed while a free is pending goes to the partial list.  White-box:
     * take c's full cached span out of the cache by hand, as a sweeper would own it
     * after its rewrite, and let another cache free into it meanwhile. */
    ga_cache *c3 = ga_cache_new(h);
    char *first = ga_alloc(c3, 4096, 0); /* class 44: 2 per span */
    char *second = ga_alloc(c3, 4096, 0);
    ga_mspan *s3 = ht_span(h, first);
    CHECK(ht_span(h, second) == s3 && s3->alloc_count == 2 && c3->alloc[88] == s3, "c3 holds a full span");
    c3->alloc[88] = &ga_empty_mspan;
    __atomic_store_n(&s3->sweepgen, ht_sweepgen(h), __ATOMIC_RELEASE);
    CHECK(ga_free(c, first) == 0 && s3->list == GA_LIST_NONE, "free into an owned span: no list to move");
    ga_mcentral_push_swept(h, &h->central[88], s3);
    CHECK(ht_in_list(h, s3, GA_LIST_PARTIAL(gen)), "full span with a pending free pushed to partial");
    ga_cache_destroy(c3);

    /* Large: freed at once, pages back; a second free finds no object (EINVAL). */
    ga_stats st0 = ht_stats(h);
    char *L = ga_alloc(c, 40000, 0); /* 5 pages */
    ga_stats st1 = ht_stats(h);
    CHECK(st1.heap_inuse == st0.heap_inuse + 5 * PAGE, "large: +5 pages in use");
    CHECK(ga_free(c, L + PAGE) == -EINVAL, "interior pointer of a large object: EINVAL");
    CHECK(ga_free(c, L) == 0, "free large");
    ga_stats st2 = ht_stats(h);
    CHECK(st2.heap_inuse == st0.heap_inuse, "large pages returned at once");
    CHECK(st2.by_size[0].nfree == st0.by_size[0].nfree + 1, "large free counted");
    CHECK(ga_free(c, L) == -EINVAL, "second free of a large object: its pages are free, EINVAL");
    ht_heap_ok(h, "free errors");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- seed boxes ------------------------------------------------------------------------ */

static void test_seed_boxes(void) {
    ga_heap *h = new_heap();
    ga_cache *c = ga_cache_new(h);
    uint32_t h0 = ht_sweepgen(h);

    /* cache_span that grows: the first allocation takes a fresh span from the heap. */
    ga_stats st = ht_stats(h);
    CHECK(st.heap_inuse == 0, "new heap: nothing in use");
    enum { N = 170 };
    char *a[N + 1];
    for (int i = 0; i <= N; i++)
        a[i] = ga_alloc(c, 48, 0);
    ga_mspan *A = ht_span(h, a[0]), *B = ht_span(h, a[N]);
    st = ht_stats(h);
    CHECK(A != B && st.heap_inuse == 2 * PAGE, "171 objects of 48 B: two 1-page spans grown");
    CHECK(c->alloc[10] == B && A->list == GA_LIST_FULL(ga_swept_gen(h0)), "A full swept, B cached");
    CHECK(__atomic_load_n(&B->sweepgen, __ATOMIC_RELAXED) == h0 + 3, "cached span at h+3");

    /* alloc_large: its span sits on the class-0/1 full swept list. */
    char *L = ga_alloc(c, 40000, GA_NOSCAN);
    ga_mspan *Ls = ht_span(h, L);
    CHECK(Ls->spanclass == 1 && Ls->nelems == 1 && Ls->npages == 5 && Ls->freeindex == 1 && Ls->alloc_count == 1,
          "large span: class 1 (noscan), 1 object, 5 pages, allocated");
    CHECK(ht_in_list(h, Ls, GA_LIST_FULL(ga_swept_gen(h0))), "large span in full swept list of class 1");

    /* A GC cycle that marks slot 7 of A only and the large object. */
    ht_fill(a[7], 48, 7);
    ga_gc_begin(h);
    CHECK(ga_mark(h, a[7] + 20) == 1, "mark via interior pointer: newly marked");
    CHECK(ga_mark(h, a[7]) == 0, "already marked");
    CHECK(ga_mark(h, L + 3 * PAGE) == 1, "mark large by interior pointer");
    ga_gc_end(h);
    uint32_t h1 = ht_sweepgen(h);
    CHECK(h1 == h0 + 2, "sweepgen += 2");

    /* prepare_for_sweep after the cycle: the cache was flushed, B (stale) swept and,
     * empty, freed; A waits in the full unswept list. */
    CHECK(c->flush_gen == h1 && c->tiny == 0, "cache flushed for the new generation");
    int empty = 1;
    for (int i = 0; i < GA_NUM_SPAN_CLASSES; i++)
        empty &= c->alloc[i] == &ga_empty_mspan;
    CHECK(empty, "every cache slot empty after the flush");
    CHECK(ga_object_base(h, a[N]) == NULL, "B's unmarked object gone (B freed at gc_end)");
    CHECK(__atomic_load_n(&A->sweepgen, __ATOMIC_RELAXED) == h1 - 2 &&
              ht_in_list(h, A, GA_LIST_FULL(1 - ga_swept_gen(h1))),
          "A unswept (h-2) in the full unswept list");

    /* refill that sweeps: no swept partial span, so cache_span sweeps A lazily. */
    char *x = ga_alloc(c, 48, 0);
    CHECK(x == a[0], "lazy sweep of A: first free slot 0 handed out");
    CHECK(c->alloc[10] == A && __atomic_load_n(&A->sweepgen, __ATOMIC_RELAXED) == h1 + 3, "A cached, swept (h+3)");
    CHECK(A->alloc_count == 2, "A: slot 7 (marked) + the new one");
    CHECK(ht_verify(a[7], 48, 7), "marked object kept its bytes");
    char *y[7];
    for (int i = 0; i < 7; i++)
        y[i] = ga_alloc(c, 48, 0);
    CHECK(y[5] == a[6] && y[6] == a[8], "allocation skips the live slot 7");
    CHECK(ht_all_zero(y[6], 48), "reused slot zeroed");
    st = ht_stats(h);
    CHECK(st.by_size[5].nfree == 170, "169 dead in A + 1 in B: nfree[5] = 170, got %llu",
          (unsigned long long)st.by_size[5].nfree);
    CHECK(ga_object_base(h, L) == L && st.by_size[0].nfree == 0, "marked large object survives");

    /* release_all on cache destroy: A back to the partial swept list, counts folded. */
    ga_cache_destroy(c);
    CHECK(__atomic_load_n(&A->sweepgen, __ATOMIC_RELAXED) == h1 && ht_in_list(h, A, GA_LIST_PARTIAL(ga_swept_gen(h1))),
          "A uncached: sweepgen h, partial swept list");
    st = ht_stats(h);
    CHECK(st.by_size[5].nmalloc == 171 + 8, "nmalloc[5] = 171 + 8, got %llu",
          (unsigned long long)st.by_size[5].nmalloc);
    CHECK(st.by_size[0].nmalloc == 1, "one large allocation");
    CHECK(st.heap_alloc == (uint64_t)(171 + 8 - 170) * 48 + 5 * PAGE, "heap_alloc = 9 * 48 + 40960, got %llu",
          (unsigned long long)st.heap_alloc);
    CHECK(st.num_gc == 1, "one cycle");
    ht_heap_ok(h, "seed boxes");
    ga_heap_destroy(h);
}

/* ---- statistics by hand ------------------------------------------------------------------- */

static void test_stats(void) {
    ga_heap *h = new_heap();
    ga_cache *c = ga_cache_new(h);
    void *s48[10], *big[3];
    for (int i = 0; i < 10; i++)
        s48[i] = ga_alloc(c, 48, 0);
    for (int i = 0; i < 3; i++)
        big[i] = ga_alloc(c, 100000, 0); /* 13 pages each */
    for (int i = 0; i < 5; i++)
        ga_alloc(c, 1, GA_NOSCAN); /* 1 block + 4 inside it */
    ga_cache_destroy(c);
    ga_stats st = ht_stats(h);
    CHECK(st.by_size[5].nmalloc == 10 && st.by_size[0].nmalloc == 3 && st.by_size[2].nmalloc == 1,
          "per-class counts 10 / 3 / 1");
    CHECK(st.by_size[5].size == 48 && st.by_size[67].size == 32768 && st.by_size[0].size == 0, "class sizes");
    CHECK(st.tiny_allocs == 4 && st.nmalloc == 18, "tiny 4, nmalloc 10 + 3 + 1 + 4 = 18, got %llu",
          (unsigned long long)st.nmalloc);
    CHECK(st.heap_alloc == 10 * 48 + 3 * 13 * PAGE + 16, "heap_alloc = 480 + 319488 + 16, got %llu",
          (unsigned long long)st.heap_alloc);
    CHECK(st.heap_inuse == (1 + 1 + 39) * PAGE, "heap_inuse = 41 pages, got %llu", (unsigned long long)st.heap_inuse);
    CHECK(st.heap_sys >= st.heap_inuse && st.heap_idle == st.heap_sys - st.heap_inuse,
          "heap_idle = heap_sys - heap_inuse");
    CHECK(st.sys_mapped >= st.heap_sys, "sys_mapped covers the heap");
    c = ga_cache_new(h);
    CHECK(ga_free(c, big[0]) == 0 && ga_free(c, big[1]) == 0, "free two large");
    for (int i = 0; i < 4; i++)
        CHECK(ga_free(c, s48[i]) == 0, "free small");
    ga_stats st2 = ht_stats(h);
    CHECK(st2.by_size[0].nfree == 2 && st2.heap_inuse == (41 - 26) * PAGE, "large frees: at once");
    CHECK(st2.by_size[5].nfree == 0, "small frees wait for a sweep");
    CHECK(ga_sweep(h, 0) == 1, "ga_sweep reclaims the one span with pending frees");
    ga_stats st3 = ht_stats(h);
    CHECK(st3.by_size[5].nfree == 4 && st3.nfree == 2 + 4 + 4, "nfree = 2 large + 4 small + 4 tiny (Go)");
    CHECK(st3.heap_alloc == 6 * 48 + 13 * PAGE + 16, "heap_alloc after frees, got %llu",
          (unsigned long long)st3.heap_alloc);
    for (int i = 4; i < 10; i++)
        ga_free(c, s48[i]);
    CHECK(ga_sweep(h, 0) == 1, "the span becomes empty");
    ga_stats st4 = ht_stats(h);
    CHECK(st4.heap_inuse == (41 - 26 - 1) * PAGE, "empty span freed to the heap by ga_sweep");
    CHECK(ga_sweep(h, 0) == 0, "nothing left to sweep");
    CHECK(ga_scavenge(h, SIZE_MAX) > 0, "scavenge releases free pages");
    ga_stats st5 = ht_stats(h);
    CHECK(st5.heap_released > 0 && st5.heap_released <= st5.heap_idle, "released <= idle");
    ht_heap_ok(h, "stats");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- heaps side by side; destroy gives back every byte ---------------------------------- */

/* ---- ga_resize_in_place: a large object grows over the free pages after it, shrinks ----- */

static void test_resize_in_place(void) {
    ga_heap *h = new_heap_no_page_cache(); /* b is placed right after a */
    ga_cache *c = ga_cache_new(h);
    char *a = ga_alloc(c, 100000, 0); /* 13 pages */
    ht_fill(a, 100000, 7);
    ga_stats st0 = ht_stats(h);
    size_t u = ga_resize_in_place(c, a, 1000000); /* 123 pages: the heap's free pages follow */
    CHECK(u == 123 * (size_t)PAGE && ga_usable_size(h, a) == u, "grown in place to 123 pages (%zu)", u);
    CHECK(ht_verify(a, 100000, 7), "contents kept");
    ga_stats st1 = ht_stats(h);
    CHECK(st1.heap_inuse == st0.heap_inuse + 110 * PAGE && st1.heap_alloc == st0.heap_alloc + 110 * PAGE,
          "stats follow: heap_inuse and heap_alloc up by 110 pages");
    memset(a + 100000, 1, u - 100000); /* the new pages are usable */
    CHECK(ga_object_base(h, a + u - 1) == a, "the last byte belongs to the object");
    CHECK(ga_resize_in_place(c, a, u - PAGE + 1) == u, "a size in its last page: the usable size, nothing done");
    ga_stats st4 = ht_stats(h);
    size_t v = ga_resize_in_place(c, a, 500000); /* 62 pages: the tail of 61 goes back */
    ga_stats st5 = ht_stats(h);
    CHECK(v == 62 * (size_t)PAGE && ga_usable_size(h, a) == v && ht_verify(a, 100000, 7),
          "shrunk in place to 62 pages");
    CHECK(st4.heap_inuse - st5.heap_inuse == 61 * PAGE && st4.heap_alloc - st5.heap_alloc == 61 * PAGE,
          "stats follow: heap_inuse and heap_alloc down by 61 pages");
    CHECK(ga_object_base(h, a + v - 1) == a && ga_object_base(h, a + v) == NULL, "the tail is no one's");
    ht_heap_ok(h, "shrink in place");
    CHECK(ga_resize_in_place(c, a, u) == u, "and grown back over its own old tail");
    char *b = ga_alloc(c, 100000, 0); /* right after a */
    CHECK(b == a + u, "the next large object follows it (%p, %p)", (void *)a, (void *)b);
    CHECK(ga_resize_in_place(c, a, u + 1) == 0 && ga_usable_size(h, a) == u, "pages taken: 0, unchanged");
    CHECK(ga_resize_in_place(c, b + 8, 200000) == 0, "not an object start: 0");
    char *s = ga_alloc(c, 100, 0);
    CHECK(ga_resize_in_place(c, s, 200000) == 0, "a small object: 0");
    CHECK(ga_resize_in_place(c, b, (size_t)1 << 50) == 0, "too big: 0");
    CHECK(ga_free(c, b) == 0, "free b");
    CHECK(ga_resize_in_place(c, b, 200000) == 0, "a freed object: 0");
    ga_stats st2 = ht_stats(h);
    CHECK(ga_resize_in_place(c, a, u + 13 * PAGE) == u + 13 * PAGE, "b's pages are free again: grown over them");
    ga_stats st3 = ht_stats(h);
    CHECK(st3.heap_alloc == st2.heap_alloc + 13 * PAGE, "heap_alloc up by 13 pages");
    ht_heap_ok(h, "grow in place");
    CHECK(ga_free(c, a) == 0 && ga_free(c, s) == 0, "free a and s");
    ht_heap_ok(h, "grow in place, freed");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

static void test_several_heaps(void) {
    ga_testos t1, t2;
    ga_testos_init(&t1);
    ga_testos_init(&t2);
    ga_config cfg1 = {.os = &t1.hooks}, cfg2 = {.os = &t2.hooks, .debug_checks = 1};
    ga_heap *h1 = ga_heap_new(&cfg1), *h2 = ga_heap_new(&cfg2);
    CHECK(h1 && h2, "two heaps");
    ga_cache *c1 = ga_cache_new(h1), *c2 = ga_cache_new(h2);
    enum { N = 300 };
    void *p1[N], *p2[N];
    for (int i = 0; i < N; i++) {
        size_t n = (size_t)(i * 37 % 3000) + 1 + (i % 50 == 0 ? 70000 : 0);
        p1[i] = ga_alloc(c1, n, 0);
        p2[i] = ga_alloc(c2, n, 0);
        ht_fill(p1[i], n, (uint32_t)i);
        ht_fill(p2[i], n, (uint32_t)i + 1000);
    }
    CHECK(ga_object_base(h2, p1[5]) == NULL && ga_usable_size(h2, p1[5]) == 0, "heap 2 does not know heap 1's objects");
    CHECK(ga_free(c2, p1[5]) == -EINVAL && ga_mark(h2, p1[5]) == -EINVAL, "foreign heap's object: EINVAL");
    CHECK(ga_free(c1, p1[5]) == 0, "heap 1 frees its own");
    ga_cache_destroy(c1);
    ga_heap_destroy(h1);
    CHECK(t1.bytes[TESTOS_RESERVE] == t1.bytes[TESTOS_RELEASE], "heap 1 destroyed: reserved %llu, released %llu",
          (unsigned long long)t1.bytes[TESTOS_RESERVE], (unsigned long long)t1.bytes[TESTOS_RELEASE]);
    int ok = 1;
    for (int i = 0; i < N; i++) {
        size_t n = (size_t)(i * 37 % 3000) + 1 + (i % 50 == 0 ? 70000 : 0);
        ok &= ht_verify(p2[i], n, (uint32_t)i + 1000);
    }
    CHECK(ok, "heap 2 intact after heap 1 is gone");
    void *z = ga_alloc(c2, 5000, 0);
    CHECK(z != NULL, "heap 2 still allocates");
    ga_heap *h3 = ga_heap_new(NULL); /* real OS, next to a hooked one */
    ga_cache *c3 = ga_cache_new(h3);
    CHECK(ga_alloc(c3, 64, 0) != NULL, "third heap on the real OS");
    ga_cache_destroy(c3);
    ga_heap_destroy(h3);
    ga_cache_destroy(c2);
    ga_heap_destroy(h2);
    CHECK(t2.bytes[TESTOS_RESERVE] == t2.bytes[TESTOS_RELEASE], "heap 2 destroyed: every reserved byte released");
    CHECK(t2.calls[TESTOS_MAP] > 0, "hooks saw the maps");
}

int main(void) {
    test_zero_and_limits();
    test_class_boundaries();
    test_tiny();
    test_zeroing();
    test_object_queries();
    test_resize_in_place();
    test_free_errors();
    test_seed_boxes();
    test_stats();
    test_several_heaps();
    return check_report();
}
