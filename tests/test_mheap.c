/* mheap (alloc/mheap.c) and the heap checker (alloc/check.c).
 *
 * Heaps are built here from their parts (zeroed mapping, cfg, mcentrals, ga_mheap_init)
 * so that these tests exercise mheap without mallocgc/mcache; spans are pushed onto the
 * mcentral lists as large objects are (every in-use span must be listed or cached).
 * Every heap is destroyed through t_destroy, which asserts that the OS layer's
 * counters (reserved, mapped, ready) are back to zero. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "heap.h"
#include "support/check.h"
#include "support/testos.h"

/* ASan's and TSan's shadow memory occupy the first hints: the heap then starts at a
 * later hint, so the exact address is only asserted without them. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_SHADOW 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZER_SHADOW 1
#endif
#endif

#define PAGE GA_PAGE_SIZE
#define MIB ((uintptr_t)1 << 20)

/* ---- heap scaffolding ------------------------------------------------------------------ */

static ga_heap *t_new(const ga_config *cfg) {
    void *m = mmap(NULL, sizeof(ga_heap), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(m != MAP_FAILED, "mmap");
    ga_heap *h = m;
    if (cfg)
        h->cfg = *cfg;
    for (uint32_t i = 0; i < GA_NUM_SPAN_CLASSES; i++)
        ga_mcentral_init(&h->central[i], (ga_spanclass)i);
    errno = 0;
    if (ga_mheap_init(h) != 0) {
        REQUIRE(errno == ENOMEM, "init failure errno %d", errno);
        REQUIRE(atomic_load(&h->os.reserved) == 0 && atomic_load(&h->os.mapped) == 0 && atomic_load(&h->os.ready) == 0,
                "failed init left reserved %zu mapped %zu ready %zu", atomic_load(&h->os.reserved),
                atomic_load(&h->os.mapped), atomic_load(&h->os.ready));
        for (uint32_t i = 0; i < GA_NUM_SPAN_CLASSES; i++)
            ga_mcentral_destroy(&h->central[i]);
        munmap(m, sizeof(ga_heap));
        errno = ENOMEM;
        return NULL;
    }
    return h;
}

static void t_check(ga_heap *h, const char *where) {
    char why[512];
    int r = ga_heap_check(h, why, sizeof why);
    REQUIRE(r == 0, "heap check after %s: %s", where, why);
}

static void t_destroy(ga_heap *h) {
    t_check(h, "before destroy");
    ga_mheap_destroy(h);
    REQUIRE(atomic_load(&h->os.reserved) == 0 && atomic_load(&h->os.mapped) == 0 && atomic_load(&h->os.ready) == 0,
            "destroy left reserved %zu mapped %zu ready %zu", atomic_load(&h->os.reserved), atomic_load(&h->os.mapped),
            atomic_load(&h->os.ready));
    for (uint32_t i = 0; i < GA_NUM_SPAN_CLASSES; i++)
        ga_mcentral_destroy(&h->central[i]);
    munmap(h, sizeof(ga_heap));
}

/* Allocate a span and list it (swept list, like a large object or a span back from a
 * cache); NULL with errno on failure. */
static ga_mspan *t_alloc_c(ga_heap *h, uintptr_t npages, ga_spanclass spc, ga_cache *c) {
    errno = 0;
    ga_mspan *s = ga_mheap_alloc(h, npages, spc, c);
    if (!s) {
        REQUIRE(errno == ENOMEM, "alloc failure errno %d", errno);
        return NULL;
    }
    ga_mcentral_push_swept(h, &h->central[spc], s);
    return s;
}
static ga_mspan *t_alloc(ga_heap *h, uintptr_t npages, ga_spanclass spc) { return t_alloc_c(h, npages, spc, NULL); }

static void t_free(ga_heap *h, ga_mspan *s) {
    ga_mcentral *c = &h->central[s->spanclass];
    pthread_mutex_lock(&c->lock);
    REQUIRE(s->list != GA_LIST_NONE, "freeing an unlisted span");
    ga_span_list_remove(ga_mcentral_list(c, s->list), s);
    pthread_mutex_unlock(&c->lock);
    ga_mheap_free_span(h, s);
}

static int is_hint(uintptr_t p) {
    return p >= GA_ARENA_HINT_BASE && (p - GA_ARENA_HINT_BASE) % GA_ARENA_HINT_STEP == 0 &&
           (p - GA_ARENA_HINT_BASE) / GA_ARENA_HINT_STEP < GA_ARENA_HINTS;
}

/* Geometry of a fresh span, docs/go-facts.md §10.3. */
static void expect_fresh(ga_heap *h, const ga_mspan *s, uintptr_t npages, ga_spanclass spc) {
    uint32_t c = ga_spanclass_sizeclass(spc);
    REQUIRE(s->state == GA_SPAN_IN_USE && s->npages == npages && s->spanclass == spc, "state/npages/class");
    REQUIRE(s->base % PAGE == 0 && s->base != 0, "base %#lx", (unsigned long)s->base);
    if (c == 0) {
        REQUIRE(s->nelems == 1 && s->elemsize == npages * PAGE && s->div_mul == 0 &&
                    s->limit == s->base + npages * PAGE,
                "large geometry");
    } else {
        REQUIRE(s->nelems == ga_class_nelems[c] && s->elemsize == ga_class_size[c] &&
                    s->div_mul == ga_class_divmagic[c] && s->limit == s->base + s->nelems * s->elemsize,
                "class %u geometry", c);
    }
    REQUIRE(s->freeindex == 0 && s->alloc_count == 0 && s->alloc_cache == ~(uint64_t)0 && s->pending_frees == 0,
            "counters");
    for (uint32_t w = 0; w < GA_SPAN_BITS_WORDS; w++)
        REQUIRE(s->alloc_bits[w] == 0 && s->gcmark_bits[w] == 0 && s->freed_bits[w] == 0, "bitmaps");
    REQUIRE(s->sweepgen == h->sweepgen, "sweepgen %u vs h %u", s->sweepgen, h->sweepgen);
}

/* span_of on every page of s, at several offsets, and just outside it. */
static void expect_span_of(ga_heap *h, ga_mspan *s) {
    uintptr_t end = s->base + s->npages * PAGE;
    for (uintptr_t p = s->base; p < end; p += PAGE) {
        REQUIRE(ga_mheap_span_of(h, p) == s, "page %#lx", (unsigned long)p);
        REQUIRE(ga_mheap_span_of(h, p + 1) == s && ga_mheap_span_of(h, p + 4000) == s &&
                    ga_mheap_span_of(h, p + PAGE - 1) == s,
                "interior of page %#lx", (unsigned long)p);
    }
    REQUIRE(ga_mheap_span_of(h, s->base - 1) != s && ga_mheap_span_of(h, end) != s, "outside");
}

static uintptr_t inuse_pages(ga_heap *h) { return (uintptr_t)atomic_load(&h->stats.pages_in_use); }

/* ---- tests --------------------------------------------------------------------------------- */

/* Spans of 1, 8, 512, 513, 8192 pages and of every size class. */
static void test_alloc_sizes(void) {
    ga_heap *h = t_new(NULL);
    REQUIRE(h, "init");
    static const uintptr_t sizes[] = {1, 8, 512, 513, 8192, 1, 3};
    ga_mspan *spans[sizeof sizes / sizeof sizes[0] + GA_NUM_SPAN_CLASSES];
    size_t n = 0;
    uintptr_t pages = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ga_mspan *s = t_alloc(h, sizes[i], ga_make_spanclass(0, (int)(i & 1)));
        REQUIRE(s, "alloc %lu pages", (unsigned long)sizes[i]);
        expect_fresh(h, s, sizes[i], ga_make_spanclass(0, (int)(i & 1)));
        REQUIRE(s->needzero == 0, "fresh memory needs no zeroing");
        spans[n++] = s;
        pages += sizes[i];
    }
    for (uint32_t c = 1; c < GA_NUM_CLASSES; c++) {
        ga_spanclass spc = ga_make_spanclass(c, (int)(c & 1));
        ga_mspan *s = t_alloc(h, ga_class_npages[c], spc);
        REQUIRE(s, "class %u", c);
        expect_fresh(h, s, ga_class_npages[c], spc);
        spans[n++] = s;
        pages += ga_class_npages[c];
    }
    REQUIRE(inuse_pages(h) == pages, "pages_in_use %lu vs %lu", (unsigned long)inuse_pages(h), (unsigned long)pages);
    /* pairwise disjoint, inside the heap's arenas, every page indexed */
    for (size_t i = 0; i < n; i++) {
        expect_span_of(h, spans[i]);
        for (size_t j = i + 1; j < n; j++)
            REQUIRE(spans[i]->base + spans[i]->npages * PAGE <= spans[j]->base ||
                        spans[j]->base + spans[j]->npages * PAGE <= spans[i]->base,
                    "spans %zu and %zu overlap", i, j);
    }
    /* the first arena sits at a Go hint address (hint 0 unless a sanitizer's shadow holds it) */
    REQUIRE(h->n_arenas >= 1 && is_hint(h->all_arenas[0]), "first arena at %#lx", (unsigned long)h->all_arenas[0]);
#ifndef SANITIZER_SHADOW
    REQUIRE(h->all_arenas[0] == GA_ARENA_HINT_BASE, "first arena at %#lx", (unsigned long)h->all_arenas[0]);
#endif
    /* address-ordered first fit: the first span starts the heap */
    REQUIRE(spans[0]->base == h->all_arenas[0], "first span at %#lx", (unsigned long)spans[0]->base);
    t_check(h, "alloc sizes");
    /* foreign pointers */
    int local;
    REQUIRE(ga_mheap_span_of(h, (uintptr_t)&local) == NULL && ga_mheap_span_of(h, 0) == NULL &&
                ga_mheap_span_of(h, ~(uintptr_t)0) == NULL && ga_mheap_span_of(h, (uintptr_t)h) == NULL,
            "foreign pointers");
    /* free everything: index cleared, pages back, structs dead but sweepgen kept */
    for (size_t i = 0; i < n; i++) {
        ga_mspan *s = spans[i];
        uintptr_t base = s->base, np = s->npages;
        s->sweepgen = h->sweepgen; /* as required by freeSpan */
        t_free(h, s);
        REQUIRE(s->state == GA_SPAN_DEAD && s->sweepgen == h->sweepgen, "dead span keeps its sweepgen");
        for (uintptr_t p = base; p < base + np * PAGE; p += PAGE)
            REQUIRE(ga_mheap_span_of(h, p) == NULL && ga_mheap_index_get(h, p) == NULL, "index cleared");
    }
    REQUIRE(inuse_pages(h) == 0 && h->pages.free_pages == h->pages.total_pages, "all pages free");
    t_check(h, "free all");
    t_destroy(h);
}

/* Freeing two neighbours coalesces them in pageAlloc: a run spanning both is placed at
 * the first one's base, in either free order. */
static void test_coalesce(void) {
    ga_heap *h = t_new(NULL);
    REQUIRE(h, "init");
    for (int order = 0; order < 2; order++) {
        for (uintptr_t n = 1; n <= 600; n = n * 5 + 3) {
            ga_mspan *a = t_alloc(h, n, 1), *b = t_alloc(h, n, 1), *c = t_alloc(h, 1, 1);
            REQUIRE(a && b && c, "alloc");
            REQUIRE(b->base == a->base + n * PAGE && c->base == b->base + n * PAGE, "first fit is contiguous");
            uintptr_t base = a->base;
            if (order) {
                t_free(h, b);
                t_free(h, a);
            } else {
                t_free(h, a);
                t_free(h, b);
            }
            ga_mspan *d = t_alloc(h, 2 * n, 1);
            REQUIRE(d && d->base == base, "merged run at %#lx, got %#lx", (unsigned long)base, (unsigned long)d->base);
            REQUIRE(d->needzero == 1, "reused pages need zeroing");
            /* a 1-page span after it goes right after c? no: c is still there */
            t_free(h, d);
            t_free(h, c);
            t_check(h, "coalesce");
        }
    }
    t_destroy(h);
}

/* Zeroing: fresh pages have needzero 0, pages used before have 1 (zeroed_base). */
static void test_needzero(void) {
    ga_heap *h = t_new(NULL);
    REQUIRE(h, "init");
    ga_mspan *d = t_alloc(h, 1, ga_make_spanclass(5, 0));
    ga_mspan *a = t_alloc(h, 4, 1), *b = t_alloc(h, 4, 1);
    REQUIRE(a && b && !a->needzero && !b->needzero, "fresh");
    memset((void *)a->base, 0xab, 4 * PAGE);
    a->freeindex = a->alloc_count = 1; /* as mallocgc leaves a large span */
    uintptr_t abase = a->base;
    t_free(h, a);
    ga_mspan *a2 = t_alloc(h, 2, 1), *c = t_alloc(h, 8, 1);
    REQUIRE(a2 && a2->base == abase && a2->needzero == 1, "reused");
    REQUIRE(c && c->base == b->base + 4 * PAGE && c->needzero == 0, "above the high-water mark");
    ga_heap_arena *ar = h->arenas[ga_off(abase) >> GA_ARENA_SHIFT];
    REQUIRE(ar->zeroed_base == c->base + 8 * PAGE - ar->base, "zeroed_base %#lx", (unsigned long)ar->zeroed_base);
    /* the checker samples free slots of needzero-0 spans: dirty one and it must object */
    REQUIRE(d && d->needzero == 0, "fresh small span");
    ga_mspan *e = t_alloc(h, 1, 0);
    REQUIRE(e && e->base == abase + 2 * PAGE && e->needzero == 1, "the hole left by a needs zeroing");
    t_free(h, e);
    char why[256];
    ((volatile char *)d->base)[48 * 3 + 5] = 1; /* slot 3 is free */
    REQUIRE(ga_heap_check(h, why, sizeof why) == 0, "slot 3 is not sampled: %s", why);
    ((volatile char *)d->base)[5] = 1; /* slot 0: first free slot */
    REQUIRE(ga_heap_check(h, why, sizeof why) == -1 && strstr(why, "S10"), "S10 expected: %s", why);
    d->needzero = 1;
    t_check(h, "needzero set");
    t_free(h, a2);
    t_free(h, b);
    t_free(h, c);
    t_free(h, d);
    t_destroy(h);
}

/* Growth across arenas: 8 MiB spans fill the first arena and continue in the next one
 * (contiguous at the hint); a 100 MiB span needs a 128 MiB reservation. */
static void test_arenas(void) {
    ga_heap *h = t_new(NULL);
    REQUIRE(h, "init");
    ga_mspan *s[12];
    for (int i = 0; i < 12; i++) {
        s[i] = t_alloc(h, 1024, 1);
        REQUIRE(s[i], "8 MiB span %d", i);
        if (i)
            REQUIRE(s[i]->base == s[i - 1]->base + 8 * MIB, "contiguous %d", i);
    }
    REQUIRE(h->n_arenas == 2 && h->all_arenas[1] == h->all_arenas[0] + GA_ARENA_BYTES, "second arena contiguous");
    ga_mspan *big = t_alloc(h, 12800, 1);
    REQUIRE(big, "100 MiB span");
    REQUIRE(big->base == s[11]->base + 8 * MIB, "big span follows, %#lx", (unsigned long)big->base);
    REQUIRE(h->n_arenas == 4, "%zu arenas", h->n_arenas);
    expect_span_of(h, big); /* crosses two arena boundaries */
    for (int i = 0; i < 12; i++)
        expect_span_of(h, s[i]);
    t_check(h, "arenas");
    /* the second arena's records: mapped prefix, spans[] entries */
    ga_heap_arena *a1 = h->arenas[ga_off(h->all_arenas[1]) >> GA_ARENA_SHIFT];
    REQUIRE(a1->mapped == GA_ARENA_BYTES && a1->spans[0] == s[8] && a1->spans[GA_PAGES_PER_ARENA - 1] == big,
            "arena 1 records");
    /* a new arena whose record cannot be allocated (call 1 reserves, call 2 is the
     * record's chunk): ENOMEM, reservation given back, the retry lands contiguously */
    uintptr_t hint_addr = h->arena_hint_addr;
    size_t reserved = atomic_load(&h->os.reserved), narenas = h->n_arenas;
    h->os.fail_nth = atomic_load(&h->os.calls) + 2;
    REQUIRE(h->cur_arena_end - h->cur_arena_base < 64 * MIB, "the current arena cannot hold 64 MiB");
    REQUIRE(t_alloc(h, 8192, 1) == NULL, "arena record refused");
    REQUIRE(h->arena_hint_addr == hint_addr && h->n_arenas == narenas && atomic_load(&h->os.reserved) == reserved,
            "refused arena left no trace");
    t_check(h, "arena record refused");
    ga_mspan *more = t_alloc(h, 8192, 1);
    REQUIRE(more && h->n_arenas == narenas + 1 && h->all_arenas[narenas] == hint_addr, "retry contiguous");
    t_free(h, more);
    t_free(h, big);
    for (int i = 0; i < 12; i++)
        t_free(h, s[i]);
    /* everything free: one run of all pages can be had again at the same base */
    ga_mspan *all = t_alloc(h, h->pages.total_pages, 1);
    REQUIRE(all && all->base == h->all_arenas[0], "whole heap as one span");
    t_free(h, all);
    t_destroy(h);
}

/* Several heaps side by side: separate arenas (the second takes the next hint),
 * separate indexes; destroying one leaves the others working. */
static void test_side_by_side(void) {
    ga_heap *h[3];
    ga_mspan *s[3][20];
    for (int k = 0; k < 3; k++) {
        h[k] = t_new(NULL);
        REQUIRE(h[k], "init %d", k);
    }
    for (int i = 0; i < 20; i++)
        for (int k = 0; k < 3; k++) {
            s[k][i] = t_alloc(h[k], 1 + (uintptr_t)(i * 37 + k) % 300, (ga_spanclass)(k & 1));
            REQUIRE(s[k][i], "alloc");
        }
    for (int k = 0; k < 3; k++) {
        REQUIRE(is_hint(h[k]->all_arenas[0]), "heap %d at %#lx", k, (unsigned long)h[k]->all_arenas[0]);
        if (k)
            REQUIRE(h[k]->all_arenas[0] > h[k - 1]->all_arenas[0], "later heaps take later hints");
        for (int i = 0; i < 20; i++)
            for (int j = 0; j < 3; j++)
                REQUIRE((ga_mheap_span_of(h[j], s[k][i]->base) == s[k][i]) == (j == k), "index of heap %d", j);
        t_check(h[k], "side by side");
    }
    for (int i = 0; i < 20; i += 2)
        t_free(h[0], s[0][i]);
    t_destroy(h[1]);
    for (int i = 0; i < 20; i++)
        t_free(h[2], s[2][i]);
    ga_mspan *x = t_alloc(h[0], 2, 0);
    REQUIRE(x, "heap 0 still works");
    t_check(h[0], "after destroying heap 1");
    t_check(h[2], "after destroying heap 1");
    t_destroy(h[0]); /* with spans still in use: destroy unmaps them too */
    t_destroy(h[2]);
}

/* All hints taken (the OS never honours the hint): reservations fall back to aligned
 * anywhere, and the heap works. */
static void test_hint_fallback(void) {
    ga_testos t;
    ga_testos_init(&t);
    t.displace_reserve = 1;
    ga_config cfg = {0};
    cfg.os = &t.hooks;
    ga_heap *h = t_new(&cfg);
    REQUIRE(h, "init");
    ga_mspan *a = t_alloc(h, 3, 0), *b = t_alloc(h, 9000, 0);
    REQUIRE(a && b, "alloc");
    REQUIRE(h->arena_hint >= GA_ARENA_HINTS, "hints dropped (%u)", h->arena_hint);
    for (size_t i = 0; i < h->n_arenas; i++)
        REQUIRE(h->all_arenas[i] % GA_ARENA_BYTES == 0, "aligned");
    expect_span_of(h, a);
    expect_span_of(h, b);
    t_check(h, "fallback");
    t_destroy(h);
}

/* ---- refusals ----------------------------------------------------------------------------- */

/* A fixed workload of span allocations, frees and scavenging, touching every refusable
 * OS call the heap makes: arena reservation, map, used (fresh and scavenged pages),
 * fixalloc chunks (more than one chunk of span structs), pageAlloc metadata. */
#define WL_SLOTS 300
typedef struct wl {
    ga_heap *h;
    ga_mspan *slot[WL_SLOTS];
    int failed; /* operations that failed */
    int check_every;
} wl;

static int wl_alloc(wl *w, int k, uintptr_t npages, ga_spanclass spc) {
    w->slot[k] = t_alloc(w->h, npages, spc);
    if (w->slot[k]) {
        expect_fresh(w->h, w->slot[k], npages, spc);
        return 0;
    }
    w->failed++;
    t_check(w->h, "refused alloc");
    return -1;
}

static void wl_free(wl *w, int k) {
    if (w->slot[k])
        t_free(w->h, w->slot[k]);
    w->slot[k] = NULL;
}

/* step(): op number i of the workload; returns 0 ok, -1 refused, 1 past the end. */
static int wl_step(wl *w, int i) {
    static const uintptr_t big[] = {1, 512, 513, 8, 8192, 9000};
    if (i < 6)
        return wl_alloc(w, i, big[i], 1);
    i -= 6;
    if (i < 200) { /* small spans of every class: > one fixalloc chunk of structs */
        uint32_t c = 1 + (uint32_t)i % (GA_NUM_CLASSES - 1);
        return wl_alloc(w, 6 + i, ga_class_npages[c], ga_make_spanclass(c, i & 1));
    }
    i -= 200;
    if (i < 100) { /* free every other one, and the big ones */
        wl_free(w, 6 + 2 * i);
        if (i < 6)
            wl_free(w, i);
        return 0;
    }
    i -= 100;
    if (i == 0) { /* release free pages: later allocations make scavenged pages Ready */
        pthread_mutex_lock(&w->h->lock);
        ga_pagealloc_scavenge(&w->h->pages, 20 * MIB);
        pthread_mutex_unlock(&w->h->lock);
        return 0;
    }
    i -= 1;
    if (i < 60)
        return wl_alloc(w, 6 + 2 * i, 1 + (uintptr_t)(i * 7) % 40, 0);
    i -= 60;
    if (i < 4)
        return wl_alloc(w, 240 + i, 4096 + 3000 * (uintptr_t)i, 0); /* more arenas */
    return 1;
}

static void wl_free_all(wl *w) {
    for (int k = 0; k < WL_SLOTS; k++)
        wl_free(w, k);
}

/* Reference run: how many refusable OS calls the whole thing makes. */
static uint64_t wl_reference(void) {
    ga_heap *h = t_new(NULL);
    REQUIRE(h, "init");
    wl w = {.h = h};
    for (int i = 0; wl_step(&w, i) != 1; i++)
        REQUIRE(w.failed == 0, "reference run refused at %d", i);
    t_check(h, "reference");
    wl_free_all(&w);
    uint64_t calls = atomic_load(&h->os.calls);
    t_destroy(h);
    return calls;
}

/* os_fail_nth = every call in turn: the refused operation fails with ENOMEM, the heap
 * checks clean, and the same operation succeeds when retried. */
static void test_fail_nth(uint64_t total) {
    int refused_ops = 0, absorbed = 0, init_failures = 0;
    for (uint64_t nth = 1; nth <= total + 1; nth++) {
        ga_config cfg = {0};
        cfg.os_fail_nth = nth;
        ga_heap *h = t_new(&cfg);
        if (!h) {
            init_failures++;
            continue;
        }
        wl w = {.h = h};
        int r;
        for (int i = 0; (r = wl_step(&w, i)) != 1; i++) {
            if (r < 0) {
                refused_ops++;
                REQUIRE(atomic_load(&h->os.refusals) >= 1, "failure without refusal");
                REQUIRE(wl_step(&w, i) == 0, "retry of op %d after refusal %lu", i, (unsigned long)nth);
                t_check(h, "retry");
            }
        }
        if (w.failed == 0 && nth <= atomic_load(&h->os.calls))
            absorbed++; /* e.g. a refused hint */
        t_check(h, "fail_nth run");
        wl_free_all(&w);
        t_destroy(h);
    }
    printf("  fail_nth: %lu runs, %d init failures, %d refused operations, %d refusals absorbed\n",
           (unsigned long)(total + 1), init_failures, refused_ops, absorbed);
    REQUIRE(init_failures >= 2 && refused_ops > 10, "the sweep reached init and the workload");
}

/* os_fail_after = k: from call k+1 the OS refuses everything.  Operations keep failing
 * cleanly (or succeed from free pages); once the OS accepts again everything works. */
static void test_fail_after(uint64_t total) {
    for (uint64_t k = 2; k <= total; k += 3) {
        ga_config cfg = {0};
        cfg.os_fail_after = k;
        ga_heap *h = t_new(&cfg);
        if (!h)
            continue;
        wl w = {.h = h};
        int i = 0, r, refused = 0;
        for (; (r = wl_step(&w, i)) != 1; i++) {
            if (r < 0) {
                refused++;
                if (refused == 1)
                    t_check(h, "first refusal");
                if (refused > 25)
                    break;
            }
        }
        size_t reserved = atomic_load(&h->os.reserved), mapped = atomic_load(&h->os.mapped);
        t_check(h, "refusing OS");
        h->os.fail_after = 0; /* the OS accepts again */
        if (r != 1) {
            REQUIRE(wl_step(&w, i) == 0, "op %d once the OS accepts again (k=%lu)", i, (unsigned long)k);
            for (i++; wl_step(&w, i) != 1; i++)
                REQUIRE(w.failed == refused, "op %d", i);
        }
        REQUIRE(atomic_load(&h->os.reserved) >= reserved && atomic_load(&h->os.mapped) >= mapped, "nothing lost");
        t_check(h, "recovered");
        wl_free_all(&w);
        t_destroy(h);
    }
}

/* A refused grow keeps its reservation: the retry grows into the same place, without
 * reserving more, and a refused used parks the run until the OS accepts. */
static void test_refusal_details(void) {
    ga_heap *h = t_new(NULL);
    REQUIRE(h, "init");
    ga_mspan *a = t_alloc(h, 1, 0);
    REQUIRE(a, "first");
    uintptr_t cur = h->cur_arena_base;
    size_t reserved = atomic_load(&h->os.reserved), mapped = atomic_load(&h->os.mapped);
    /* next call = the map of the grow */
    h->os.fail_nth = atomic_load(&h->os.calls) + 1;
    REQUIRE(t_alloc(h, 600, 0) == NULL, "refused map");
    REQUIRE(h->cur_arena_base == cur && atomic_load(&h->os.reserved) == reserved &&
                atomic_load(&h->os.mapped) == mapped,
            "refused grow changed nothing");
    t_check(h, "refused map");
    ga_mspan *b = t_alloc(h, 600, 0);
    REQUIRE(b && b->base == a->base + PAGE && h->cur_arena_base == cur + 8 * MIB && h->n_arenas == 1,
            "retry grows in place");
    /* the grow's pageAlloc metadata: refuse each of the next calls in turn */
    for (uint64_t off = 2; off <= 4; off++) {
        mapped = atomic_load(&h->os.mapped);
        cur = h->cur_arena_base;
        h->os.fail_nth = atomic_load(&h->os.calls) + off;
        ga_mspan *c = t_alloc(h, 2048, 0);
        t_check(h, "metadata refusal");
        if (!c) {
            /* refused in grow (map or pageAlloc metadata): nothing moved; refused in
             * used: grown, and the run parked */
            REQUIRE(h->parked ? h->cur_arena_base == cur + 16 * MIB
                              : h->cur_arena_base == cur && atomic_load(&h->os.mapped) == mapped,
                    "refusal at call +%lu", (unsigned long)off);
            c = t_alloc(h, 2048, 0);
            REQUIRE(c, "retry");
        }
        t_free(h, c);
    }
    h->os.fail_nth = 0; /* a refusal the loop did not reach must not fire later */
    /* absurd requests: ENOMEM, nothing lost, the hints kept */
    uint32_t hint = h->arena_hint;
    uintptr_t hint_addr = h->arena_hint_addr;
    reserved = atomic_load(&h->os.reserved);
    REQUIRE(t_alloc(h, (uintptr_t)1 << 34, 0) == NULL, "128 TiB span");
    REQUIRE(t_alloc(h, ((uintptr_t)1 << 35) + 1, 0) == NULL, "more pages than the address space");
    REQUIRE(t_alloc(h, 0, 0) == NULL, "0 pages");
    errno = 0;
    REQUIRE(ga_mheap_alloc(h, 1, GA_NUM_SPAN_CLASSES, NULL) == NULL && errno == ENOMEM, "bad span class");
    REQUIRE(h->arena_hint == hint && h->arena_hint_addr == hint_addr && atomic_load(&h->os.reserved) == reserved,
            "hints kept (%u/%u, %#lx/%#lx, %zu/%zu)", h->arena_hint, hint, (unsigned long)h->arena_hint_addr,
            (unsigned long)hint_addr, atomic_load(&h->os.reserved), reserved);
    t_check(h, "absurd requests");
    /* used refused: the run is parked, then handed out once the OS accepts */
    ga_mspan *d = t_alloc(h, 5, 0); /* fresh (scavenged) pages */
    uintptr_t dbase = d->base;
    t_free(h, d);
    pthread_mutex_lock(&h->lock);
    ga_pagealloc_scavenge(&h->pages, SIZE_MAX);
    pthread_mutex_unlock(&h->lock);
    h->os.fail_after = atomic_load(&h->os.calls); /* refuse everything from now */
    REQUIRE(t_alloc(h, 5, 0) == NULL, "used refused");
    REQUIRE(h->parked && h->parked_pages == 5 && h->parked->base == dbase, "parked");
    t_check(h, "parked");
    REQUIRE(t_alloc(h, 5, 0) == NULL && h->parked_pages == 10, "parked twice");
    t_check(h, "parked twice");
    h->os.fail_after = 0;
    ga_mspan *e = t_alloc(h, 5, 0);
    REQUIRE(e && e->base == dbase && h->parked == NULL && h->parked_pages == 0,
            "unparked, %#lx (d at %#lx), parked %p %zu", (unsigned long)e->base, (unsigned long)dbase,
            (void *)h->parked, h->parked_pages);
    t_check(h, "unparked");
    /* destroy with a parked run: counters still reach zero */
    pthread_mutex_lock(&h->lock);
    ga_pagealloc_scavenge(&h->pages, SIZE_MAX);
    pthread_mutex_unlock(&h->lock);
    h->os.fail_after = atomic_load(&h->os.calls);
    REQUIRE(t_alloc(h, 3, 0) == NULL && h->parked, "parked again");
    t_free(h, a);
    t_free(h, b);
    t_free(h, e);
    t_destroy(h);
}

/* mapped_limit: allocation fails with ENOMEM at the limit, the heap stays sound, and
 * freed memory (no new mapping needed) is allocatable again. */
static void test_mapped_limit(void) {
    ga_heap *probe = t_new(NULL);
    REQUIRE(probe, "probe");
    ga_mspan *p1 = t_alloc(probe, 1, 0);
    size_t base_mapped = atomic_load(&probe->os.mapped); /* index, metadata, one 4 MiB chunk */
    t_free(probe, p1);
    t_destroy(probe);

    ga_config cfg = {0};
    cfg.mapped_limit = base_mapped + 3 * GA_CHUNK_BYTES + 64 * 1024;
    ga_heap *h = t_new(&cfg);
    REQUIRE(h, "init");
    ga_mspan *s[64];
    int n = 0;
    while (n < 64 && (s[n] = t_alloc(h, 256, 0)) != NULL)
        n++;
    REQUIRE(n >= 6 && n < 64, "%d spans of 2 MiB under the limit", n);
    REQUIRE(atomic_load(&h->os.mapped) <= cfg.mapped_limit, "mapped %zu over limit %zu", atomic_load(&h->os.mapped),
            cfg.mapped_limit);
    t_check(h, "at the limit");
    REQUIRE(t_alloc(h, 256, 0) == NULL && errno == ENOMEM, "still refused");
    t_free(h, s[n - 1]);
    t_free(h, s[0]);
    ga_mspan *x = t_alloc(h, 256, 0), *y = t_alloc(h, 256, 0);
    REQUIRE(x && y, "freed pages reusable under the limit");
    REQUIRE(x->base == h->all_arenas[0], "lowest first");
    REQUIRE(t_alloc(h, 512, 0) == NULL, "a larger run still needs mapping");
    h->os.mapped_limit = 0;
    ga_mspan *z = t_alloc(h, 512, 0);
    REQUIRE(z, "limit lifted");
    t_check(h, "limit lifted");
    t_destroy(h);
}

/* ---- the checker catches what it should ----------------------------------------------------- */

static void expect_broken(ga_heap *h, const char *tag) {
    char why[512];
    int r = ga_heap_check(h, why, sizeof why);
    REQUIRE(r == -1 && strstr(why, tag), "expected %s, got %d: %s", tag, r, why);
}

static void test_checker(void) {
    ga_heap *h = t_new(NULL);
    REQUIRE(h, "init");
    ga_mspan *s = t_alloc(h, 1, ga_make_spanclass(3, 0)); /* 341 slots of 24 B */
    ga_mspan *l = t_alloc(h, 10, 0);
    REQUIRE(s && l, "alloc");
    /* a few slots handed out, one freed explicitly */
    for (int i = 0; i < 70; i++) {
        uint32_t r = ga_mspan_next_free_index(s);
        REQUIRE(r == (uint32_t)i, "slot %u", r);
        s->alloc_count++;
    }
    s->freed_bits[0] |= 1u << 5;
    s->pending_frees = 1;
    t_check(h, "70 slots");

#define BREAK(field, value, tag)                                                                                       \
    do {                                                                                                               \
        __typeof__(field) saved_ = (field);                                                                            \
        (field) = (value);                                                                                             \
        expect_broken(h, tag);                                                                                         \
        (field) = saved_;                                                                                              \
        t_check(h, "restored " tag);                                                                                   \
    } while (0)

    BREAK(s->alloc_count, 69, "S7");
    BREAK(s->freeindex, 342, "S2");
    BREAK(s->alloc_cache, s->alloc_cache ^ 4, "S8");
    BREAK(s->alloc_bits[5], (uint64_t)1 << 30, "S5"); /* slot 350 > nelems */
    BREAK(s->gcmark_bits[2], 1, "S11");               /* slot 128: free */
    BREAK(s->freed_bits[2], 1, "F1");
    BREAK(s->pending_frees, 2, "F1");
    BREAK(s->elemsize, 32, "S1");
    BREAK(s->sweepgen, h->sweepgen + 1, "M1"); /* listed yet "cached" */
    BREAK(s->sweepgen, h->sweepgen - 2, "M1"); /* swept list, unswept span */
    BREAK(s->list, GA_LIST_FULL(ga_swept_gen(h->sweepgen)), "M1");
    BREAK(h->central[s->spanclass].partial[ga_swept_gen(h->sweepgen)].n, 2, "M1");
    BREAK(l->limit, l->base, "S1");
    BREAK(l->state, 7, "state");
    ga_heap_arena *a = h->arenas[ga_off(l->base) >> GA_ARENA_SHIFT];
    uintptr_t pg = ((l->base & (GA_ARENA_BYTES - 1)) >> GA_PAGE_SHIFT);
    BREAK(a->spans[pg + 3], s, "A1");
    BREAK(a->spans[pg + 10], l, "A1"); /* stray entry past l */
    BREAK(a->zeroed_base, a->mapped + PAGE, "A3");
    BREAK(h->stats.pages_in_use, 12, "H2");
    BREAK(h->sweepgen, 1, "H1");
    BREAK(h->cur_arena_base, h->cur_arena_base + PAGE, "H3");
    /* a page allocated in pageAlloc behind the heap's back */
    pthread_mutex_lock(&h->lock);
    size_t scav = 0;
    uintptr_t stray = ga_pagealloc_alloc(&h->pages, 1, &scav);
    if (scav)
        REQUIRE(ga_sys_used(&h->os, (void *)stray, PAGE, scav) == 0, "used");
    pthread_mutex_unlock(&h->lock);
    expect_broken(h, "P8");
    pthread_mutex_lock(&h->lock);
    ga_pagealloc_free(&h->pages, stray, 1);
    pthread_mutex_unlock(&h->lock);
    t_check(h, "stray page freed");
    /* a page of a span freed in pageAlloc behind the heap's back */
    pthread_mutex_lock(&h->lock);
    ga_pagealloc_free(&h->pages, l->base + 2 * PAGE, 1);
    pthread_mutex_unlock(&h->lock);
    expect_broken(h, "S13");
    pthread_mutex_lock(&h->lock);
    REQUIRE(ga_pagealloc_alloc(&h->pages, 1, NULL) == l->base + 2 * PAGE, "lowest free page");
    pthread_mutex_unlock(&h->lock);
    t_check(h, "page re-allocated");
    /* an unlisted, uncached span */
    ga_mcentral *c = &h->central[l->spanclass];
    int8_t id = l->list;
    ga_span_list_remove(ga_mcentral_list(c, id), l);
    expect_broken(h, "M2");
    ga_span_list_push(ga_mcentral_list(c, id), l, id);
    t_check(h, "relisted");
    /* caches: a cached span at h+3 is fine, one cached twice is not */
    ga_cache *cache = ga_cache_new(h);
    REQUIRE(cache, "cache");
    ga_mspan *sx = t_alloc(h, 1, ga_make_spanclass(7, 1));
    ga_span_list_remove(ga_mcentral_list(&h->central[sx->spanclass], sx->list), sx);
    sx->sweepgen = h->sweepgen + 3;
    cache->alloc[sx->spanclass] = sx;
    t_check(h, "cached span");
    BREAK(cache->alloc[sx->spanclass + 2], sx, "C1"); /* wrong class slot */
    BREAK(sx->sweepgen, h->sweepgen - 1, "S12");      /* being swept, at rest */
    BREAK(sx->sweepgen, h->sweepgen + 7, "S12");
    BREAK(sx->sweepgen, h->sweepgen, "M2");    /* swept, yet in no list */
    BREAK(sx->list, GA_LIST_PARTIAL(0), "C1"); /* cached, says it is listed */
    ga_cache *cache2 = ga_cache_new(h);
    REQUIRE(cache2, "cache 2");
    cache2->alloc[sx->spanclass] = sx;
    expect_broken(h, "C1"); /* cached twice */
    cache2->alloc[sx->spanclass] = &ga_empty_mspan;
    ga_cache_destroy(cache2);
    ga_cache_destroy(cache); /* release_all gives sx back (swept list) */
    t_check(h, "caches destroyed");
#undef BREAK
    t_destroy(h);
}

/* ---- threads ---------------------------------------------------------------------------------- */

typedef struct {
    ga_heap *h;
    unsigned seed;
    ga_cache *c; /* NULL: spans straight from pageAlloc */
} thr_arg;

static void *thr_main(void *p) {
    thr_arg *a = p;
    ga_mspan *mine[32] = {0};
    unsigned x = a->seed;
    for (int i = 0; i < 3000; i++) {
        x = x * 1103515245u + 12345u;
        int k = (int)(x >> 16) % 32;
        if (mine[k]) {
            REQUIRE(ga_mheap_span_of(a->h, mine[k]->base + 17) == mine[k], "span_of under contention");
            t_free(a->h, mine[k]);
            mine[k] = NULL;
        } else {
            mine[k] = t_alloc_c(a->h, 1 + (x >> 8) % 20, 1, a->c);
            REQUIRE(mine[k], "alloc under contention");
        }
    }
    for (int k = 0; k < 32; k++)
        if (mine[k])
            t_free(a->h, mine[k]);
    return NULL;
}

/* With caches, runs of 1-15 pages come from each thread's page cache without the heap
 * lock while other threads take the lock (TSan checks the lock-free path). */
static void test_threads(void) {
    for (int with_caches = 0; with_caches < 2; with_caches++) {
        ga_heap *h = t_new(NULL);
        REQUIRE(h, "init");
        pthread_t t[4];
        thr_arg args[4];
        for (int i = 0; i < 4; i++) {
            args[i] = (thr_arg){h, 17u * (unsigned)i + 1, with_caches ? ga_cache_new(h) : NULL};
            REQUIRE(!with_caches || args[i].c, "cache");
            pthread_create(&t[i], NULL, thr_main, &args[i]);
        }
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
        REQUIRE(inuse_pages(h) == 0, "all freed");
        t_check(h, "threads");
        for (int i = 0; i < 4; i++)
            ga_cache_destroy(args[i].c);
        REQUIRE(h->pages.free_pages == h->pages.total_pages, "page caches given back: %zu of %zu pages free",
                h->pages.free_pages, h->pages.total_pages);
        t_check(h, "caches destroyed");
        t_destroy(h);
    }
}

/* ---- page caches (Go's pageCache, mheap.allocSpan's cache path) --------------------------------- */

static size_t allocated_pages(const ga_heap *h) { return h->pages.total_pages - h->pages.free_pages; }

static void test_page_cache(void) {
    /* Runs under 16 pages come from the cache's 64-page block, address-ordered, with the
     * rest of the block allocated in pageAlloc; 16 pages and more bypass it. */
    ga_heap *h = t_new(NULL);
    REQUIRE(h, "init");
    ga_cache *c = ga_cache_new(h);
    REQUIRE(c, "cache");
    /* As Go's allocToCache, filling a cache never grows the heap: the first span of a
     * fresh heap comes from pageAlloc, which grows. */
    ga_mspan *g = t_alloc_c(h, 1, 0, c);
    REQUIRE(g && ga_pagecache_empty(&c->pcache) && allocated_pages(h) == 1, "first span from pageAlloc");
    uintptr_t base0 = g->base;
    ga_mspan *a = t_alloc_c(h, 1, 0, c);
    REQUIRE(a && a->base == base0 + PAGE && c->pcache.base == base0 && c->pcache.cache == ~(uint64_t)3,
            "the block of the first free page: base +%#lx cache %#llx", (unsigned long)(c->pcache.base - base0),
            (unsigned long long)c->pcache.cache);
    REQUIRE(allocated_pages(h) == 64, "a whole block allocated in pageAlloc: %zu", allocated_pages(h));
    REQUIRE(c->nspan_stash == GA_SPAN_STASH / 2 - 1, "stash %u", c->nspan_stash);
    t_check(h, "one span from the page cache");
    ga_mspan *b = t_alloc_c(h, 14, 0, c);
    REQUIRE(b && b->base == base0 + 2 * PAGE && c->pcache.cache == ~(uint64_t)0 << 16, "next run from the block");
    ga_mspan *big = t_alloc_c(h, 16, 0, c);
    REQUIRE(big && big->base == base0 + 64 * PAGE, "16 pages from pageAlloc, above the cached block");
    ga_mspan *d[4];
    for (int i = 0; i < 4; i++) {
        d[i] = t_alloc_c(h, 12, 0, c);
        REQUIRE(d[i], "alloc");
    }
    /* 48 pages were left: four runs of 12 use the block up exactly. */
    REQUIRE(d[3]->base == base0 + 52 * PAGE && ga_pagecache_empty(&c->pcache), "block used up");
    t_check(h, "block used up");
    ga_mspan *e = t_alloc_c(h, 2, 0, c);
    REQUIRE(e && e->base == base0 + 80 * PAGE && c->pcache.base == base0 + 64 * PAGE,
            "the next block holds the first free page above the search address");
    /* A run that the block cannot hold goes to pageAlloc (the block stays). */
    ga_mspan *f[6]; /* 46 pages left: five runs of 9, then one page */
    for (int i = 0; i < 6; i++)
        REQUIRE((f[i] = t_alloc_c(h, 9, 0, c)) != NULL, "alloc");
    REQUIRE(f[4]->base == base0 + 118 * PAGE && f[5]->base == base0 + 128 * PAGE &&
                c->pcache.cache == (uint64_t)1 << 63,
            "a run the block cannot hold bypasses it: +%#lx, cache %#llx", (unsigned long)(f[5]->base - base0),
            (unsigned long long)c->pcache.cache);
    t_check(h, "fragmented block");
    ga_cache_destroy(c); /* flushes */
    t_free(h, g);
    t_free(h, a);
    t_free(h, b);
    t_free(h, big);
    t_free(h, e);
    for (int i = 0; i < 4; i++)
        t_free(h, d[i]);
    for (int i = 0; i < 6; i++)
        t_free(h, f[i]);
    REQUIRE(h->pages.free_pages == h->pages.total_pages, "everything free after the flush");
    t_destroy(h);

    /* Scavenged pages: the cache keeps their state; only a span's own pages are made
     * Ready (the checker's OS accounting counts the rest as released). */
    h = t_new(NULL);
    REQUIRE(h, "init");
    ga_mspan *x = t_alloc(h, 1, 0);
    t_free(h, x);
    pthread_mutex_lock(&h->lock);
    ga_pagealloc_scavenge(&h->pages, SIZE_MAX);
    pthread_mutex_unlock(&h->lock);
    c = ga_cache_new(h);
    size_t ready = atomic_load(&h->os.ready); /* after the cache struct's own memory */
    x = t_alloc_c(h, 3, 0, c);
    REQUIRE(x && atomic_load(&h->os.ready) == ready + 3 * PAGE, "3 pages made Ready, %zu",
            atomic_load(&h->os.ready) - ready);
    REQUIRE(c->pcache.scav == c->pcache.cache, "the cached pages are scavenged");
    t_check(h, "scavenged block");
    ga_cache_destroy(c);
    t_free(h, x);
    REQUIRE(h->pages.scav_pages == h->pages.free_pages - 3, "the flushed pages are scavenged again: %zu of %zu",
            h->pages.scav_pages, h->pages.free_pages);
    t_destroy(h);

    /* no_page_cache: every span from pageAlloc. */
    ga_config cfg = {.no_page_cache = 1};
    h = t_new(&cfg);
    REQUIRE(h, "init");
    c = ga_cache_new(h);
    x = t_alloc_c(h, 1, 0, c);
    REQUIRE(x && ga_pagecache_empty(&c->pcache) && c->nspan_stash == 0 && allocated_pages(h) == 1, "no page cache");
    ga_cache_destroy(c);
    t_free(h, x);
    t_destroy(h);
}

/* ---- timing (informative) ---------------------------------------------------------------------- */

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void timing(void) {
    ga_heap *h = t_new(NULL);
    REQUIRE(h, "init");
    enum { N = 64, ROUNDS = 2000 };
    ga_mspan *s[N];
    static const uintptr_t np[] = {1, 8, 128};
    for (int k = 0; k < 3; k++) {
        double t0 = now_ns();
        for (int r = 0; r < ROUNDS; r++) {
            for (int i = 0; i < N; i++)
                s[i] = ga_mheap_alloc(h, np[k], 1, NULL);
            for (int i = 0; i < N; i++)
                ga_mheap_free_span(h, s[(i * 7) % N]);
        }
        double dt = now_ns() - t0;
        printf("  alloc_span + free_span, %3lu pages: %.0f ns per pair\n", (unsigned long)np[k], dt / (N * ROUNDS));
    }
    double t0 = now_ns();
    uintptr_t sum = 0;
    ga_mspan *x = ga_mheap_alloc(h, 64, 1, NULL);
    for (int r = 0; r < 1000000; r++)
        sum += (uintptr_t)ga_mheap_span_of(h, x->base + (uintptr_t)(r % 64) * PAGE + 5);
    printf("  span_of: %.1f ns (%lu)\n", (now_ns() - t0) / 1e6, (unsigned long)(sum & 1));
    ga_mheap_free_span(h, x);
    char why[256];
    t0 = now_ns();
    REQUIRE(ga_heap_check(h, why, sizeof why) == 0, "%s", why);
    printf("  heap check (1 arena, empty): %.2f ms\n", (now_ns() - t0) / 1e6);
    t_destroy(h);
}

int main(void) {
    test_alloc_sizes();
    test_coalesce();
    test_needzero();
    test_arenas();
    test_side_by_side();
    test_hint_fallback();
    test_refusal_details();
    test_mapped_limit();
    test_checker();
    test_threads();
    test_page_cache();
    uint64_t total = wl_reference();
    printf("  workload: %lu refusable OS calls\n", (unsigned long)total);
    test_fail_nth(total);
    test_fail_after(total);
    timing();
    return check_report();
}
