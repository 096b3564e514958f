/* GC interface: a graph of objects marked from roots through interior pointers, a cycle
 * ended, swept; exactly the unmarked slots are reused and the marked keep their bytes;
 * allocation during marking is black; tiny blocks die only when no part is marked;
 * explicit frees and marks together; large objects; ga_gc_begin finishing the sweep;
 * budgeted ga_sweep; ga_sweep's free sweep in every class; many cycles with exact counts;
 * scavenging on GC. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/heaptest.h"

#define PAGE 8192u

static ga_heap *new_heap(const ga_config *cfg) {
    ga_heap *h = ga_heap_new(cfg);
    REQUIRE(h != NULL, "ga_heap_new failed");
    return h;
}

static int unswept_lists_empty(ga_heap *h) {
    uint32_t un = 1 - ga_swept_gen(ht_sweepgen(h));
    for (int spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++)
        if (h->central[spc].partial[un].n || h->central[spc].full[un].n)
            return 0;
    return 1;
}

/* ---- a graph ------------------------------------------------------------------------- */

/* 48-byte node (class 5, 170 per span): two edges (interior pointers into their
 * targets), its id, and a pattern in the rest. */
typedef struct node {
    char *edge[2];
    uint32_t id;
    unsigned char pad[28];
} node;

enum { GN = 6 * 170 }; /* exactly six full spans */

static void test_graph(void) {
    ga_heap *h = new_heap(NULL);
    ga_cache *c = ga_cache_new(h);
    static node *n[GN];
    static char reach[GN];
    for (int i = 0; i < GN; i++) {
        n[i] = ga_alloc(c, sizeof(node), 0);
        CHECK(n[i] != NULL, "alloc node %d", i);
    }
    ga_mspan *first = ht_span(h, n[0]);
    CHECK(first->nelems == 170 && sizeof(node) == 48, "48-byte nodes, 170 per span");
    /* Chains of 5 (i -> i+1 unless i % 5 == 4); every 7th node also points 37 ahead.
     * Edges point 17 bytes into their target: the marker sees interior pointers. */
    for (int i = 0; i < GN; i++) {
        n[i]->id = (uint32_t)i;
        n[i]->edge[0] = (i % 5 != 4 && i + 1 < GN) ? (char *)n[i + 1] + 17 : NULL;
        n[i]->edge[1] = (i % 7 == 0 && i + 37 < GN) ? (char *)n[i + 37] + 17 : NULL;
        for (int k = 0; k < 28; k++)
            n[i]->pad[k] = (unsigned char)(i * 31 + k);
    }
    /* Span 3 (nodes 510..679) gets no root and no incoming edge from outside: cut the
     * edges that enter it, so it dies whole and goes back to the heap. */
    for (int i = 0; i < GN; i++)
        for (int e = 0; e < 2; e++)
            if (n[i]->edge[e] && !(i >= 510 && i < 680)) {
                int t = (int)(((node *)(n[i]->edge[e] - 17))->id);
                if (t >= 510 && t < 680)
                    n[i]->edge[e] = NULL;
            }
    /* Roots: the chain heads i % 50 == 0, outside span 3.  Oracle: index BFS. */
    int stack[GN], sp = 0, nreach = 0;
    memset(reach, 0, sizeof reach);
    for (int i = 0; i < GN; i += 50)
        if (!(i >= 510 && i < 680)) {
            reach[i] = 1;
            stack[sp++] = i;
        }
    while (sp) {
        int i = stack[--sp];
        nreach++;
        for (int e = 0; e < 2; e++)
            if (n[i]->edge[e]) {
                int t = (int)(((node *)(n[i]->edge[e] - 17))->id);
                if (!reach[t]) {
                    reach[t] = 1;
                    stack[sp++] = t;
                }
            }
    }
    CHECK(nreach > 50 && nreach < GN - 170, "oracle: %d of %d reachable", nreach, GN);

    ga_gc_begin(h);
    /* The marker: walks the heap objects themselves, resolving interior pointers. */
    sp = 0;
    int nmarked = 0;
    static char *mstack[3 * GN];
    for (int i = 0; i < GN; i += 50)
        if (!(i >= 510 && i < 680))
            mstack[sp++] = (char *)n[i] + 40; /* roots by interior pointer too */
    while (sp) {
        char *p = mstack[--sp];
        int r = ga_mark(h, p);
        CHECK(r == 0 || r == 1, "mark %p: %d", (void *)p, r);
        if (r != 1)
            continue;
        nmarked++;
        node *o = ga_object_base(h, p);
        for (int e = 0; e < 2; e++)
            if (o->edge[e])
                mstack[sp++] = o->edge[e];
    }
    CHECK(nmarked == nreach, "marker found %d objects, oracle %d", nmarked, nreach);
    ga_gc_end(h);
    ga_sweep(h, 0);
    CHECK(unswept_lists_empty(h), "everything swept");

    ga_stats st = ht_stats(h);
    CHECK(st.by_size[5].nfree == (uint64_t)(GN - nreach), "nfree = %d unmarked, got %llu", GN - nreach,
          (unsigned long long)st.by_size[5].nfree);
    CHECK(st.heap_inuse == 5 * PAGE, "span 3 died whole: 5 spans in use, got %llu pages",
          (unsigned long long)(st.heap_inuse / PAGE));
    int ok_live = 1, ok_dead = 1, ok_bytes = 1;
    for (int i = 0; i < GN; i++) {
        void *b = ga_object_base(h, (char *)n[i] + 5);
        if (reach[i]) {
            ok_live &= b == n[i];
            ok_bytes &= n[i]->id == (uint32_t)i;
            for (int k = 0; k < 28; k++)
                ok_bytes &= n[i]->pad[k] == (unsigned char)(i * 31 + k);
        } else {
            ok_dead &= b == NULL;
        }
    }
    CHECK(ok_live, "marked objects still allocated");
    CHECK(ok_dead, "unmarked objects gone");
    CHECK(ok_bytes, "marked objects kept their bytes");

    /* Reuse: exactly the unmarked slots come back (span 3's pages via a fresh span at
     * the lowest free address), each once, zeroed; the next one is new memory. */
    int dead = GN - nreach, ok_in = 1, ok_zero = 1;
    static char taken[GN];
    memset(taken, 0, sizeof taken);
    for (int k = 0; k < dead; k++) {
        char *p = ga_alloc(c, 48, 0);
        int idx = -1;
        for (int i = 0; i < GN; i++)
            if ((char *)n[i] == p)
                idx = i;
        if (idx < 0 || reach[idx] || taken[idx]) {
            ok_in = 0;
        } else {
            taken[idx] = 1;
        }
        ok_zero &= ht_all_zero(p, 48);
    }
    CHECK(ok_in, "the %d allocations are exactly the unmarked slots", dead);
    CHECK(ok_zero, "reused slots zeroed");
    char *fresh = ga_alloc(c, 48, 0);
    int old = 0;
    for (int i = 0; i < GN; i++)
        old |= (char *)n[i] == fresh;
    CHECK(!old, "after the dead slots, new memory");
    ht_heap_ok(h, "graph");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- black allocation, marks API ------------------------------------------------------- */

static void test_black_and_mark_api(void) {
    ga_heap *h = new_heap(NULL);
    ga_cache *c = ga_cache_new(h);
    char *before = ga_alloc(c, 64, 0);
    ht_fill(before, 64, 1);
    ga_gc_begin(h);
    CHECK(h->gc_phase == GA_GC_MARK, "mark phase");
    char *x = ga_alloc(c, 64, 0);
    char *big = ga_alloc(c, 50000, 0);
    char *t = ga_alloc(c, 5, GA_NOSCAN); /* new tiny block during marking */
    ht_fill(x, 64, 2);
    ht_fill(big, 50000, 3);
    memcpy(t, "abcd", 5);
    CHECK(ga_mark(h, x) == 0, "allocated black: already marked");
    CHECK(ga_mark(h, big + 100) == 0, "large allocated black");
    CHECK(ga_mark(h, t + 2) == 0, "tiny block allocated black");
    /* mark on non-objects */
    int local;
    CHECK(ga_mark(h, &local) == -EINVAL && ga_mark(h, NULL) == -EINVAL, "foreign / NULL: EINVAL");
    CHECK(ga_mark(h, x + 64 * 5) == -EINVAL, "free slot of the span: EINVAL");
    char *y = ga_alloc(c, 100, 0); /* class 9: 73 slots of 112 B, 16-byte tail */
    ga_mspan *ys = ht_span(h, y);
    CHECK(ga_mark(h, (char *)ys->base + 73 * 112 + 3) == -EINVAL, "span tail: EINVAL");
    ga_gc_end(h);
    CHECK(h->gc_phase == GA_GC_OFF, "phase off after gc_end");
    ga_sweep(h, 0);
    CHECK(ga_object_base(h, x) == x && ht_verify(x, 64, 2), "black object survived with its bytes");
    CHECK(ga_object_base(h, big) == big && ht_verify(big, 50000, 3), "black large object survived");
    CHECK(ga_object_base(h, t) == t && memcmp(t, "abcd", 5) == 0, "black tiny block survived");
    CHECK(ga_object_base(h, before) == NULL, "unmarked object from before the cycle died");
    /* Black only for its own cycle. */
    ga_gc_begin(h);
    ga_gc_end(h);
    ga_sweep(h, 0);
    CHECK(ga_object_base(h, x) == NULL && ga_object_base(h, big) == NULL && ga_object_base(h, t) == NULL,
          "unmarked in the next cycle: dead");
    ga_stats st = ht_stats(h);
    CHECK(st.num_gc == 2, "two cycles");
    CHECK(st.heap_alloc == 0 && st.heap_inuse == 0, "everything reclaimed: heap_alloc %llu, inuse %llu",
          (unsigned long long)st.heap_alloc, (unsigned long long)st.heap_inuse);
    ht_heap_ok(h, "black");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- tiny blocks ----------------------------------------------------------------------- */

static void test_tiny_blocks(void) {
    ga_heap *h = new_heap(NULL);
    ga_cache *c = ga_cache_new(h);
    uint32_t *o[12];
    for (int i = 0; i < 12; i++) {
        o[i] = ga_alloc(c, 4, GA_NOSCAN);
        *o[i] = 0x1000u + (uint32_t)i;
    }
    char *A = (char *)o[0], *B = (char *)o[4], *C = (char *)o[8];
    CHECK(B == A + 16 && C == A + 32 && o[3] == (uint32_t *)(A + 12), "three 16-byte blocks of four");
    CHECK(c->tiny == (uintptr_t)C && c->tiny_offset == 16, "the cache's current block is C");
    ga_gc_begin(h); /* greys C, the cache's tiny block */
    CHECK(ga_mark(h, C + 4) == 0, "C greyed by gc_begin");
    CHECK(ga_mark(h, (char *)o[2] + 1) == 1, "mark one sub-object of A (interior)");
    ga_gc_end(h);
    ga_sweep(h, 0);
    CHECK(ga_object_base(h, A) == A && ga_object_base(h, (char *)o[3]) == A, "A lives: one part marked");
    CHECK(ga_object_base(h, B) == NULL && ga_object_base(h, (char *)o[6]) == NULL, "B died: no part marked");
    CHECK(ga_object_base(h, C) == C, "C lives: greyed");
    int ok = 1;
    for (int i = 0; i < 4; i++)
        ok &= *o[i] == 0x1000u + (uint32_t)i && *o[8 + i] == 0x1008u + (uint32_t)i;
    CHECK(ok, "every sub-object of the live blocks kept its value (marked or not)");
    CHECK(c->tiny == 0, "gc_end dropped the cache's tiny block");
    /* B's slot is the first free one: the next tiny block reuses it, zeroed. */
    char *n1 = ga_alloc(c, 7, GA_NOSCAN);
    CHECK(n1 == B && ht_all_zero(n1, 16), "dead block reused, zeroed");
    /* Next cycle: nothing marked, nothing greyed but the cache's current block (n1). */
    ga_gc_begin(h);
    ga_gc_end(h);
    ga_sweep(h, 0);
    CHECK(ga_object_base(h, A) == NULL && ga_object_base(h, C) == NULL, "A and C die unmarked");
    CHECK(ga_object_base(h, n1) == n1, "current tiny block greyed at gc_begin");
    ht_heap_ok(h, "tiny");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- explicit frees meet the GC ----------------------------------------------------------- */

static void test_free_and_gc(void) {
    ga_heap *h = new_heap(NULL);
    ga_cache *c = ga_cache_new(h);
    char *p[10];
    for (int i = 0; i < 10; i++)
        p[i] = ga_alloc(c, 256, 0); /* class 18, 32 per span */
    char *L1 = ga_alloc(c, 70000, 0), *L2 = ga_alloc(c, 70000, 0), *L3 = ga_alloc(c, 70000, 0);
    ga_mspan *s = ht_span(h, p[0]);
    ga_gc_begin(h);
    for (int i = 0; i < 10; i++)
        ga_mark(h, p[i]);
    ga_mark(h, L1);
    ga_mark(h, L2);
    ga_mark(h, L3);
    CHECK(ga_free(c, p[1]) == 0 && ga_free(c, p[2]) == 0, "free marked objects during the mark phase");
    /* A free sweep during the mark phase (ga_sweep reclaims pending frees of uncached
     * spans) must drop the marks of the slots it releases: marks only on allocated
     * slots (S11), checked while still marking. */
    ga_cache *c2 = ga_cache_new(h);
    char *q = ga_alloc(c2, 512, 0), *q2 = ga_alloc(c2, 512, 0);
    ga_cache_destroy(c2); /* its span goes to a swept partial list */
    ga_mspan *qs = ht_span(h, q);
    CHECK(ga_mark(h, q) == 0 && ga_mark(h, q2) == 0, "allocated black during the mark phase");
    CHECK(ga_free(c, q) == 0, "free a marked object");
    CHECK(ga_sweep(h, 0) >= 1, "free sweep during marking");
    CHECK(qs->gcmark_bits[0] == 2 && qs->alloc_bits[0] == 2, "released slot lost its mark, the other kept it");
    ht_heap_ok(h, "free sweep while marking");
    ga_gc_end(h);
    CHECK(ga_object_base(h, q2) == q2 && ga_object_base(h, q) == NULL, "q2 survived, q is gone");
    /* After gc_end the spans wait unswept; free more in that window. */
    CHECK(ga_free(c, p[3]) == 0, "free after the cycle (the span was swept at gc_end: it was cached)");
    ga_stats st0 = ht_stats(h);
    CHECK(ga_free(c, L2) == 0, "free a large object while its span is unswept");
    ga_stats st1 = ht_stats(h);
    CHECK(st1.heap_inuse == st0.heap_inuse - 9 * PAGE, "unswept large span freed at once (9 pages)");
    ga_sweep(h, 0);
    CHECK(ga_object_base(h, p[1]) == NULL && ga_object_base(h, p[2]) == NULL && ga_object_base(h, p[3]) == NULL,
          "freed objects died although marked: live = marked and not freed");
    CHECK(ga_object_base(h, p[0]) == p[0] && ga_object_base(h, p[9]) == p[9], "the other marked objects live");
    CHECK(s->pending_frees == 0 && s->freed_bits[0] == 0, "sweep consumed the freed bits");
    CHECK(ga_object_base(h, L1) == L1 && ga_object_base(h, L3) == L3, "marked large objects live");
    CHECK(ga_free(c, p[1]) == -EALREADY, "free after the slot was swept: EALREADY");
    ga_stats st = ht_stats(h);
    CHECK(st.by_size[18].nfree == 3 && st.by_size[0].nfree == 1, "3 small + 1 large reclaimed");
    ht_heap_ok(h, "free and gc");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- sweep completion and budgets ------------------------------------------------------ */

static void test_sweep_budget(void) {
    ga_heap *h = new_heap(NULL);
    ga_cache *c = ga_cache_new(h);
    char *keep[20];
    for (int k = 0; k < 20; k++) { /* 20 spans of class 32 (1024 B, 8 per span) */
        for (int i = 0; i < 8; i++) {
            char *p = ga_alloc(c, 1024, 0);
            if (i == 0)
                keep[k] = p;
        }
    }
    ga_alloc(c, 1024, 0); /* cache moves to a 21st span: the 20 full ones are uncached */
    ga_gc_begin(h);
    for (int k = 0; k < 20; k++)
        ga_mark(h, keep[k]);
    ga_gc_end(h);
    CHECK(h->central[64].full[1 - ga_swept_gen(ht_sweepgen(h))].n == 20, "20 spans unswept");
    CHECK(ga_sweep(h, 3) == 3, "budget 3: three spans swept");
    CHECK(ga_sweep(h, 5) == 5, "budget 5");
    CHECK(h->central[64].full[1 - ga_swept_gen(ht_sweepgen(h))].n == 12, "12 left");
    /* gc_begin finishes the sweep before marking (finishsweep_m). */
    ga_gc_begin(h);
    CHECK(unswept_lists_empty(h), "gc_begin swept the rest");
    CHECK(atomic_load(&h->sweep_active) == GA_SWEEP_DRAINED, "sweep drained, no active sweeper");
    ga_stats st = ht_stats(h);
    CHECK(st.by_size[32].nfree == 20 * 7 + 1, "7 dead per span + the 21st span's object, got %llu",
          (unsigned long long)st.by_size[32].nfree);
    for (int k = 0; k < 20; k++)
        ga_mark(h, keep[k]);
    ga_gc_end(h);
    CHECK(ga_sweep(h, 0) == 20, "20 spans to sweep in the next cycle");
    CHECK(ga_sweep(h, 0) == 0, "then nothing");
    ht_heap_ok(h, "budget");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ga_sweep(h, 0) free-sweeps every uncached span with explicit frees, whatever its class
 * (goalloc.h: a freed slot is reclaimed at its span's next sweep).  One object freed in
 * an uncached span of each small size class, scan and noscan (noscan from 16 bytes: below
 * that it is tiny), the 8-byte class 1 included: each comes back, counted in its class's
 * nfree; its neighbour stays; no span keeps a pending free. */
static void test_sweep_reclaims_every_class(void) {
    ga_heap *h = new_heap(NULL);
    ga_cache *c = ga_cache_new(h);
    static char *gone[GA_NUM_CLASSES][2], *kept[GA_NUM_CLASSES][2];
    uint64_t want[GA_NUM_CLASSES] = {0};
    ga_cache *c2 = ga_cache_new(h); /* destroyed before the frees: its spans go back uncached */
    for (uint32_t cls = 1; cls < GA_NUM_CLASSES; cls++)
        for (int ns = 0; ns < 2; ns++) {
            size_t size = ga_class_size[cls];
            if (ns && size < GA_TINY_SIZE)
                continue;
            kept[cls][ns] = ga_alloc(c2, size, ns ? GA_NOSCAN : 0);
            gone[cls][ns] = ga_alloc(c2, size, ns ? GA_NOSCAN : 0);
            CHECK(kept[cls][ns] && gone[cls][ns], "class %u%s: two objects", cls, ns ? " noscan" : "");
        }
    ga_cache_destroy(c2);
    for (uint32_t cls = 1; cls < GA_NUM_CLASSES; cls++)
        for (int ns = 0; ns < 2; ns++)
            if (gone[cls][ns]) {
                CHECK(ga_free(c, gone[cls][ns]) == 0, "class %u%s: free in an uncached span", cls, ns ? " noscan" : "");
                want[cls]++;
            }
    ga_stats st0 = ht_stats(h);
    CHECK(ga_sweep(h, 0) >= 1, "the free sweep took spans");
    ga_stats st1 = ht_stats(h);
    for (uint32_t cls = 1; cls < GA_NUM_CLASSES; cls++) {
        uint64_t got = st1.by_size[cls].nfree - st0.by_size[cls].nfree;
        CHECK(got == want[cls], "class %u (%u B): ga_sweep(h, 0) reclaimed %llu explicit frees, expected %llu", cls,
              (unsigned)ga_class_size[cls], (unsigned long long)got, (unsigned long long)want[cls]);
        for (int ns = 0; ns < 2; ns++) {
            if (!kept[cls][ns])
                continue;
            CHECK(ga_object_base(h, kept[cls][ns]) == kept[cls][ns], "class %u%s: the neighbour lives", cls,
                  ns ? " noscan" : "");
            ga_mspan *s = ht_span(h, kept[cls][ns]);
            CHECK(s && s->pending_frees == 0, "class %u%s: no pending free left", cls, ns ? " noscan" : "");
        }
    }
    ht_heap_ok(h, "free sweep of every class");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- many cycles: exact counts -------------------------------------------------------- */

static void test_many_cycles(void) {
    ga_heap *h = new_heap(NULL);
    ga_cache *c = ga_cache_new(h);
    enum { MAXLIVE = 4000 };
    static char *live[MAXLIVE];
    static size_t lsz[MAXLIVE];
    int nlive = 0;
    uint64_t rng = 88172645463325252ull;
    for (int cycle = 0; cycle < 20; cycle++) {
        int nalloc = 500 + (int)(ht_rand(&rng) % 1500);
        for (int k = 0; k < nalloc && nlive < MAXLIVE; k++) {
            size_t sz = 16 + ht_rand(&rng) % (k % 97 == 0 ? 60000 : 2000);
            char *p = ga_alloc(c, sz, 0);
            ht_fill(p, sz, (uint32_t)(uintptr_t)p);
            live[nlive] = p;
            lsz[nlive++] = sz;
        }
        /* Drop a random half (they become garbage), keep the rest marked. */
        int kept = 0;
        for (int i = 0; i < nlive; i++)
            if (ht_rand(&rng) % 2 == 0) {
                live[kept] = live[i];
                lsz[kept++] = lsz[i];
            }
        nlive = kept;
        ga_gc_begin(h);
        for (int i = 0; i < nlive; i++)
            ga_mark(h, live[i] + lsz[i] / 2);
        ga_gc_end(h);
        if (cycle % 2)
            ga_sweep(h, 0); /* odd cycles: eager; even: left to gc_begin and lazy refills */
        int ok = 1;
        for (int i = 0; i < nlive; i++)
            ok &= ht_verify(live[i], lsz[i], (uint32_t)(uintptr_t)live[i]);
        CHECK(ok, "cycle %d: %d live objects intact", cycle, nlive);
        if (cycle % 2) {
            ga_stats st = ht_stats(h);
            CHECK(st.nmalloc - st.nfree == (uint64_t)nlive, "cycle %d: nmalloc - nfree = %d live, got %llu", cycle,
                  nlive, (unsigned long long)(st.nmalloc - st.nfree));
            uint64_t bytes = 0;
            for (int i = 0; i < nlive; i++)
                bytes += ga_usable_size(h, live[i]);
            CHECK(st.heap_alloc == bytes, "cycle %d: heap_alloc = sum of live slots", cycle);
        }
        ht_heap_ok(h, "cycle");
    }
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- scavenging on GC ------------------------------------------------------------------ */

static void test_scavenge_on_gc(void) {
    ga_config cfg = {.scavenge_policy = GA_SCAVENGE_ON_GC, .retain_percent = 10};
    ga_heap *h = new_heap(&cfg);
    ga_cache *c = ga_cache_new(h);
    for (int i = 0; i < 200; i++)
        ga_alloc(c, 40000, 0); /* 200 * 5 pages */
    ga_stats st0 = ht_stats(h);
    CHECK(st0.heap_inuse == 1000 * PAGE, "1000 pages in use");
    ga_gc_begin(h);
    ga_gc_end(h); /* nothing marked; large spans are swept lazily or by ga_sweep */
    ga_sweep(h, 0);
    ga_gc_begin(h);
    ga_gc_end(h); /* now the free pages are beyond the 10 % retained: released */
    ga_stats st = ht_stats(h);
    CHECK(st.heap_inuse == 0, "all large objects died");
    CHECK(st.heap_released >= st.heap_idle - st.heap_idle / 10 - PAGE || st.heap_released == st.heap_idle,
          "free pages released on GC: released %llu of idle %llu", (unsigned long long)st.heap_released,
          (unsigned long long)st.heap_idle);
    ht_heap_ok(h, "scavenge on gc");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- scavenging without GC (GA_SCAVENGE_IDLE: the malloc drop-in's policy) ------------- */

static uint64_t unreleased(const ga_stats *st) { return st->heap_idle - st->heap_released; }

static void test_scavenge_idle(void) {
    ga_config cfg = {.scavenge_policy = GA_SCAVENGE_IDLE};
    ga_heap *h = new_heap(&cfg);
    ga_cache *c = ga_cache_new(h);
    const size_t big = (size_t)16 << 20; /* 2048 pages: one free ends an epoch */

    /* A buffer freed and allocated again, over and over, is never released: each epoch
     * (ended by the 2048-page free) saw it in use, so no page stayed idle through it. */
    ga_stats st, after_first;
    for (int i = 0; i < 100; i++) {
        void *p = ga_alloc(c, big, GA_NOZERO);
        CHECK(p != NULL, "alloc %d", i);
        CHECK(ga_free(c, p) == 0, "free %d", i);
        st = ht_stats(h);
        if (i == 0)
            after_first = st;
        else if (st.heap_released != after_first.heap_released)
            break;
    }
    CHECK(st.heap_released == after_first.heap_released && unreleased(&st) >= big,
          "alloc/free of 16 MiB in a loop: nothing released after the first round (released %llu, then %llu; "
          "unreleased %llu)",
          (unsigned long long)after_first.heap_released, (unsigned long long)st.heap_released,
          (unsigned long long)unreleased(&st));

    /* A heap freed and built again, cycle after cycle (z3 between problems): 16 objects
     * of 1 MiB freed and allocated again, beside one kept, so that the epochs (17 MiB
     * of allocation each) end at every phase of the cycles.  Every epoch holds a cycle's
     * peak, where nothing was idle: nothing is ever released, no page faulted back. */
    void *kept = ga_alloc(c, (size_t)1 << 20, GA_NOZERO), *cyc[16];
    for (int k = 0; k < 16; k++)
        cyc[k] = ga_alloc(c, (size_t)1 << 20, GA_NOZERO);
    ga_stats cyc0 = ht_stats(h);
    for (int round = 0; round < 12; round++) {
        for (int k = 0; k < 16; k++)
            CHECK(ga_free(c, cyc[k]) == 0, "cycle free");
        for (int k = 0; k < 16; k++) {
            cyc[k] = ga_alloc(c, (size_t)1 << 20, GA_NOZERO);
            st = ht_stats(h);
            CHECK(cyc[k] != NULL && st.heap_released == cyc0.heap_released,
                  "cycle %d, object %d: nothing released (%llu, then %llu)", round, k,
                  (unsigned long long)cyc0.heap_released, (unsigned long long)st.heap_released);
        }
    }
    for (int k = 0; k < 16; k++)
        CHECK(ga_free(c, cyc[k]) == 0, "last cycle free");
    CHECK(ga_free(c, kept) == 0, "free the kept object");

    /* Memory nobody takes back is released within two epochs (the one it was freed in,
     * then a whole one): 1 MiB objects allocated and freed until the pages allocated add
     * up to twice the heap's 16 MiB release the 15 MiB that stayed idle; the 1 MiB just
     * freed and the 10 % retained (of nothing in use) may stay.  Fifteen are not enough. */
    for (int i = 0; i < 40; i++) {
        void *q = ga_alloc(c, (size_t)1 << 20, GA_NOZERO);
        CHECK(q != NULL && ga_free(c, q) == 0, "1 MiB alloc and free %d", i);
        st = ht_stats(h);
        if (i == 14)
            CHECK(unreleased(&st) >= big, "15 MiB allocated: the epoch goes on (%llu unreleased)",
                  (unsigned long long)unreleased(&st));
    }
    st = ht_stats(h);
    CHECK(st.heap_inuse == 0, "nothing in use (%llu)", (unsigned long long)st.heap_inuse);
    CHECK(unreleased(&st) <= ((size_t)1 << 20) + GA_SCAV_MIN_BATCH * PAGE,
          "idle memory released within two epochs (less than a batch may stay): %llu bytes unreleased",
          (unsigned long long)unreleased(&st));

    /* retain_percent of what is in use stays: 64 MiB in use (small objects), then the
     * 16 MiB buffer freed: 10 % = 6.4 MiB may stay unreleased, the rest goes after an
     * epoch of small-object span traffic. */
    enum { N = 8192 };
    static void *keep[N];
    for (int i = 0; i < N; i++)
        keep[i] = ga_alloc(c, 8192, GA_NOZERO);
    void *b = ga_alloc(c, big, GA_NOZERO);
    CHECK(b && ga_free(c, b) == 0, "16 MiB alloc and free beside 64 MiB in use");
    for (int round = 0; round < 4; round++) /* churn served by the caches: no span traffic */
        for (int i = round; i < N; i += 4) {
            CHECK(ga_free(c, keep[i]) == 0, "free keep[%d]", i);
            keep[i] = ga_alloc(c, 8192, GA_NOZERO);
        }
    st = ht_stats(h);
    CHECK(unreleased(&st) >= big, "no epoch ended yet: the 16 MiB stays (%llu unreleased)",
          (unsigned long long)unreleased(&st));
    for (unsigned t = 0; t < 2 * GA_SCAV_EPOCH_TICKS; t++) /* two epochs by the clock */
        ga_heap_tick(h);
    st = ht_stats(h);
    uint64_t retain = st.heap_inuse / 10;
    CHECK(unreleased(&st) <= retain + (GA_SCAV_MIN_BATCH + GA_SCAV_EPOCH_PAGES) * PAGE,
          "at most 10 %% of heap_inuse %llu (+ one epoch's frees, + a batch) unreleased: %llu",
          (unsigned long long)st.heap_inuse, (unsigned long long)unreleased(&st));
    for (int i = 0; i < N; i++)
        CHECK(ga_free(c, keep[i]) == 0, "final free %d", i);
    ht_heap_ok(h, "scavenge idle");

    /* Without the policy nothing is released by frees. */
    ga_cache_destroy(c);
    ga_heap_destroy(h);
    h = new_heap(NULL);
    c = ga_cache_new(h);
    for (int i = 0; i < 3; i++) {
        void *p = ga_alloc(c, big, GA_NOZERO), *r = ga_alloc(c, (size_t)1 << 20, GA_NOZERO);
        CHECK(p && r && ga_free(c, p) == 0 && ga_free(c, r) == 0, "default policy: alloc/free %d", i);
    }
    st = ht_stats(h);
    CHECK(unreleased(&st) >= big, "default policy: freed memory stays (%llu unreleased)",
          (unsigned long long)unreleased(&st));
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- sweepgen wraps around (uint32, mod 2^32) ------------------------------------------ */

static void test_sweepgen_wrap(void) {
    ga_heap *h = new_heap(NULL);
    /* White-box: no span exists yet, so starting the generation near 2^32 is legal. */
    h->sweepgen = 0xfffffff8u;
    ga_cache *c = ga_cache_new(h);
    char *keep = NULL;
    for (int cycle = 0; cycle < 8; cycle++) { /* 0xfffffff8 -> 0x00000008 */
        for (int i = 0; i < 400; i++) {
            char *p = ga_alloc(c, 200, 0);
            if (i == 123 && !keep) {
                keep = p;
                ht_fill(keep, 200, 77);
            }
        }
        char *big = ga_alloc(c, 50000, 0);
        ga_gc_begin(h);
        ga_mark(h, keep + 10);
        ga_gc_end(h);
        if (cycle % 2)
            ga_sweep(h, 2); /* leave some to gc_begin and lazy sweeping */
        CHECK(ga_object_base(h, keep) == keep && ht_verify(keep, 200, 77), "cycle %d (sweepgen %#x): kept object",
              cycle, ht_sweepgen(h));
        (void)big;
        ht_heap_ok(h, "sweepgen wrap");
    }
    CHECK(ht_sweepgen(h) == 0x00000008u, "sweepgen wrapped to 8, got %#x", ht_sweepgen(h));
    ga_sweep(h, 0);
    ga_stats st = ht_stats(h);
    CHECK(st.nmalloc - st.nfree == 1, "only the kept object is left (%llu)",
          (unsigned long long)(st.nmalloc - st.nfree));
    ga_cache_destroy(c);
    ga_heap_destroy(h);
}

/* ---- every public operation with debug_checks on (the checker runs after each) ---------- */

static void test_debug_checks(void) {
    ga_config cfg = {.debug_checks = 1, .scavenge_policy = GA_SCAVENGE_ON_GC};
    ga_heap *h = new_heap(&cfg);
    ga_cache *c = ga_cache_new(h), *c2 = ga_cache_new(h);
    char *t = ga_alloc(c, 3, GA_NOSCAN); /* the cache keeps a tiny block: gc_begin greys it */
    char *p[50];
    for (int i = 0; i < 50; i++)
        p[i] = ga_alloc(i % 2 ? c : c2, 24 + (size_t)i * 100, 0);
    char *L = ga_alloc(c, 100000, 0);
    CHECK(ga_free(c2, p[1]) == 0 && ga_free(c, p[2]) == 0 && ga_free(c, L) == 0, "frees");
    ga_gc_begin(h);
    CHECK(ga_mark(h, t) == 0, "tiny block greyed by gc_begin");
    for (int i = 3; i < 50; i += 3)
        ga_mark(h, p[i] + 1);
    ga_alloc(c2, 5000, 0); /* black */
    ga_gc_end(h);
    ga_sweep(h, 3);
    ga_sweep(h, 0);
    ga_scavenge(h, 1 << 20);
    CHECK(ga_object_base(h, p[3]) == p[3] && ga_object_base(h, p[4]) == NULL, "marked live, unmarked gone");
    ga_cache_destroy(c2);
    ga_cache_destroy(c);
    ht_heap_ok(h, "debug checks");
    ga_heap_destroy(h);
}

int main(void) {
    test_debug_checks();
    test_sweepgen_wrap();
    test_graph();
    test_black_and_mark_api();
    test_tiny_blocks();
    test_free_and_gc();
    test_sweep_budget();
    test_sweep_reclaims_every_class();
    test_many_cycles();
    test_scavenge_on_gc();
    test_scavenge_idle();
    return check_report();
}
