/* Page caches (alloc/pagecache.c, Go's pageCache): hand-computed cases of alloc,
 * alloc_n, allocToCache (fast path, tree path, full heap) and flush, with pageAlloc's
 * counters, search hint and ga_pagealloc_check after every step, the P9 check, and a
 * seeded differential run of caches interleaved with pageAlloc's own alloc and free
 * against a naive model (a state per page).  The managed ranges are never mapped. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os.h"
#include "pagealloc.h"
#include "pagealloc_impl.h"
#include "pagecache.h"
#include "support/check.h"
#include "support/testos.h"

#define PS ((uintptr_t)8192)
#define CHUNK ((uintptr_t)4 << 20)
#define B ((uintptr_t)0xc000000000ull)
#define PG(k) (B + (uintptr_t)(k)*PS)
#define ALL (~(uint64_t)0)

static ga_testos TOS;
static ga_os OS;
static ga_pagealloc P;

static void fresh(void) {
    ga_testos_init(&TOS);
    TOS.fake_unused = 1;
    ga_config cfg = {0};
    cfg.os = &TOS.hooks;
    ga_os_init(&OS, &cfg);
    REQUIRE(ga_pagealloc_init(&P, &OS) == 0, "init");
}

static void sound(const char *what) {
    char why[256];
    int rc = ga_pagealloc_check(&P, why, sizeof why);
    CHECK(rc == 0, "%s: ga_pagealloc_check: %s", what, rc ? why : "");
}

static void cache_sound(const ga_pagecache *c, const char *what) {
    char why[256];
    int rc = ga_pagecache_check(c, &P, why, sizeof why);
    CHECK(rc == 0, "%s: ga_pagecache_check: %s", what, rc ? why : "");
}

static void counters(size_t free, size_t scav, const char *what) {
    CHECK(P.free_pages == free && P.scav_pages == scav, "%s: free/scav pages %zu/%zu, expected %zu/%zu", what,
          P.free_pages, P.scav_pages, free, scav);
}

static void test_cache_alloc(void) {
    /* alloc / alloc_n touch only the cache */
    ga_pagecache c = {PG(64), 0xf0f0ull | (ALL << 40), 0x3030ull | (1ull << 63)};
    size_t s = 99;
    CHECK(!ga_pagecache_empty(&c), "not empty");
    CHECK(ga_pagecache_alloc(&c, 1, &s) == PG(64 + 4) && s == PS, "1 page: the lowest, scavenged");
    CHECK(ga_pagecache_alloc(&c, 1, &s) == PG(64 + 5) && s == PS, "1 page: the next, scavenged");
    CHECK(ga_pagecache_alloc(&c, 2, &s) == PG(64 + 6) && s == 0, "2 pages: the rest of the first nibble");
    CHECK(ga_pagecache_alloc(&c, 5, &s) == PG(64 + 40) && s == 0, "5 pages: skip the 4-page run");
    CHECK(ga_pagecache_alloc(&c, 4, &s) == PG(64 + 12) && s == 2 * PS, "4 pages: bits 12-15 (two scavenged)");
    CHECK(ga_pagecache_alloc(&c, 20, &s) == 0 && s == 0, "19 free at the top: 20 do not fit");
    CHECK(ga_pagecache_alloc(&c, 19, &s) == PG(64 + 45) && s == PS, "19 pages: the top run, one scavenged");
    CHECK(c.cache == 0 && c.scav == 0 && ga_pagecache_empty(&c), "all handed out: %#llx / %#llx",
          (unsigned long long)c.cache, (unsigned long long)c.scav);
    s = 99;
    CHECK(ga_pagecache_alloc(&c, 0, &s) == 0 && s == 0, "0 pages: none");
    CHECK(ga_pagecache_alloc(&c, 65, &s) == 0 && s == 0, "65 pages: none");
    CHECK(ga_pagecache_alloc_n(&c, 0, NULL) == 0, "alloc_n 0 pages, no scav output");
    ga_pagecache full = {PG(0), ALL, ALL};
    CHECK(ga_pagecache_alloc_n(&full, 64, &s) == PG(0) && s == 64 * PS && ga_pagecache_empty(&full) && full.scav == 0,
          "64 pages: the whole block");
    CHECK(ga_pagecache_alloc(&full, 1, &s) == 0 && s == 0, "empty cache: nothing");
    ga_pagecache top = {PG(0), 1ull << 63, 0};
    CHECK(ga_pagecache_alloc(&top, 1, NULL) == PG(63) && top.cache == 0, "the top page");
}

static void test_to_cache_and_flush(void) {
    fresh();
    ga_pagecache c = ga_pagealloc_alloc_to_cache(&P);
    CHECK(ga_pagecache_empty(&c) && c.base == 0 && c.scav == 0, "never grown: an empty cache");
    REQUIRE(ga_pagealloc_grow(&P, B, 2 * CHUNK) == 0, "grow");
    c = ga_pagealloc_alloc_to_cache(&P);
    CHECK(c.base == PG(0) && c.cache == ALL && c.scav == ALL, "fresh heap: block 0, all free and scavenged");
    counters(1024 - 64, 1024 - 64, "after allocToCache");
    CHECK(P.search_addr == ga_off(PG(63)), "search hint on the block's last page");
    sound("allocToCache");
    cache_sound(&c, "allocToCache");
    ga_pagecache c2 = ga_pagealloc_alloc_to_cache(&P);
    CHECK(c2.base == PG(64) && c2.cache == ALL, "a second cache: the next block");
    size_t s;
    CHECK(ga_pagealloc_alloc(&P, 1, &s) == PG(128), "pageAlloc allocates past the cached blocks");
    CHECK(ga_pagecache_alloc(&c, 4, &s) == PG(0) && s == 4 * PS, "cache hands out 4 scavenged pages");
    ga_pagecache_flush(&c, &P);
    CHECK(ga_pagecache_empty(&c) && c.base == 0 && c.scav == 0, "flush empties the cache");
    counters(1024 - 64 - 1 - 4, 1024 - 64 - 1 - 4, "after flush");
    CHECK(P.search_addr == ga_off(PG(0)), "flush lowers the hint to the block");
    sound("flush");
    CHECK(ga_pagealloc_alloc(&P, 1, &s) == PG(4) && s == PS, "the flushed pages are found again, scavenged");
    ga_pagecache_flush(&c, &P); /* empty: nothing */
    sound("flush of an empty cache");

    /* a block with allocated pages and dirty free ones */
    ga_pagealloc_free(&P, PG(2), 2); /* pages 2, 3: free, not scavenged */
    size_t free0 = P.free_pages, scav0 = P.scav_pages;
    c = ga_pagealloc_alloc_to_cache(&P);
    CHECK(c.base == PG(0) && c.cache == (0xcull | (ALL << 5)) && c.scav == (ALL << 5),
          "mixed block: cache %#llx scav %#llx", (unsigned long long)c.cache, (unsigned long long)c.scav);
    counters(free0 - 61, scav0 - 59, "mixed allocToCache");
    const ga_pallocdata *d = ga_pagealloc_chunk(&P, ga_off(B) >> 22);
    CHECK(d->alloc[0] == ALL && d->scav[0] == 0, "the block is allocated and unscavenged in pageAlloc");
    sound("mixed allocToCache");
    cache_sound(&c, "mixed");
    CHECK(ga_pagecache_alloc(&c, 1, &s) == PG(2) && s == 0, "a dirty page, not scavenged");
    CHECK(ga_pagecache_alloc(&c, 2, &s) == PG(5) && s == 2 * PS, "then a scavenged pair (page 4 is not cached)");
    /* P9 broken on purpose: a cache page freed in pageAlloc behind the cache's back */
    char why[160];
    ga_pallocdata *dw = ga_pagealloc_chunk(&P, ga_off(B) >> 22);
    dw->alloc[0] &= ~(1ull << 9);
    CHECK(ga_pagecache_check(&c, &P, why, sizeof why) != 0 && strstr(why, "P9: cache"), "P9 free page: %s", why);
    dw->alloc[0] |= 1ull << 9;
    dw->scav[0] |= 1ull << 9;
    CHECK(ga_pagecache_check(&c, &P, why, sizeof why) != 0 && strstr(why, "scavenged in pageAlloc"), "P9 scav: %s",
          why);
    dw->scav[0] &= ~(1ull << 9);
    ga_pagecache bad = c;
    bad.scav |= 1; /* page 0 is not in the cache */
    CHECK(ga_pagecache_check(&bad, &P, why, sizeof why) != 0 && strstr(why, "outside cache"), "P9 scav bits: %s", why);
    bad = c;
    bad.base += PS;
    CHECK(ga_pagecache_check(&bad, &P, why, sizeof why) != 0 && strstr(why, "64-page block"), "P9 base: %s", why);
    cache_sound(&c, "restored");
    /* flushing a cache that breaks P9 is Go's throw (abort with a message), in a child */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        ga_pagecache_flush(&bad, &P); /* base not a block of the heap */
        _exit(0);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
          "flush of a cache breaking P9 must throw (status %#x)", status);
    /* no dirty free page left in pageAlloc: the scavenger clears the chunk's mark, so
     * flush must set it again for the dirty page 3 it gives back */
    CHECK(ga_pagealloc_scavenge(&P, SIZE_MAX) == 0, "nothing to scavenge while page 3 is cached");
    ga_pagecache_flush(&c, &P);
    ga_pagecache_flush(&c2, &P);
    sound("flushes");
    /* the chunk's dirty pages are marked for the scavenger: it finds them all */
    size_t dirty = P.free_pages - P.scav_pages;
    CHECK(dirty == 1 && ga_pagealloc_scavenge(&P, SIZE_MAX) == dirty * PS, "scavenger after flush: %zu dirty pages",
          dirty);
    sound("scavenge");

    /* the tree path: the hint's chunk is full (white box: a hint below it, P6 holds) */
    ga_pagealloc_destroy(&P);
    fresh();
    REQUIRE(ga_pagealloc_grow(&P, B, 2 * CHUNK) == 0, "grow");
    CHECK(ga_pagealloc_alloc(&P, 512, &s) == PG(0), "fill chunk 0");
    CHECK(ga_pagealloc_alloc(&P, 70, &s) == PG(512), "and the first 70 pages of chunk 1");
    P.search_addr = ga_off(B);
    sound("hint lowered by hand");
    c = ga_pagealloc_alloc_to_cache(&P);
    CHECK(c.base == PG(512 + 64) && c.cache == (ALL << 6) && c.scav == (ALL << 6),
          "tree path: block 9 from page 70, cache %#llx", (unsigned long long)c.cache);
    CHECK(P.search_addr == ga_off(PG(512 + 127)), "tree path: hint on the block's last page");
    sound("tree path");
    /* full heap: allocToCache does not grow; an empty cache and the hint exhausted */
    CHECK(ga_pagealloc_alloc(&P, 1024 - 640, &s) == PG(640), "fill the rest");
    P.search_addr = ga_off(B);
    c2 = ga_pagealloc_alloc_to_cache(&P);
    CHECK(ga_pagecache_empty(&c2) && P.search_addr == GA_PA_MAX_OFF && P.total_pages == 1024,
          "full heap: empty cache, hint exhausted, no growth");
    c2 = ga_pagealloc_alloc_to_cache(&P);
    CHECK(ga_pagecache_empty(&c2), "full heap, exhausted hint: empty cache");
    sound("full heap");
    ga_pagecache_flush(&c, &P);
    sound("flush into a full heap");
    counters(58, 58, "flush into a full heap");
    ga_pagealloc_destroy(&P);
    c = ga_pagealloc_alloc_to_cache(&P);
    CHECK(ga_pagecache_empty(&c), "destroyed pageAlloc: an empty cache");
    CHECK(atomic_load(&OS.mapped) == 0 && atomic_load(&OS.reserved) == 0, "destroy gave everything back");
}

/* ---- differential run: 4 cache slots and pageAlloc's alloc/free vs a page model ---- */

#define NP 1024 /* two chunks */
enum { FREE_D, FREE_S, USER, CACHED };
static unsigned char st[NP]; /* FREE_D: free dirty, FREE_S: free scavenged, USER, CACHED (+ scav flag) */
static bool mscav[NP];       /* CACHED pages: scavenged */
static unsigned long long rng = 88172645463325252ull;
static unsigned rnd(unsigned n) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void test_differential(void) {
    fresh();
    REQUIRE(ga_pagealloc_grow(&P, B, 2 * CHUNK) == 0, "grow");
    for (unsigned i = 0; i < NP; i++)
        st[i] = FREE_S;
    ga_pagecache slot[4] = {{0, 0, 0}};
    unsigned user_base[256], user_n[256], nuser = 0;
    for (int step = 0; step < 4000; step++) {
        unsigned op = rnd(6), k = rnd(4);
        if (op == 0 && ga_pagecache_empty(&slot[k])) { /* fill */
            unsigned f = 0;
            while (f < NP && st[f] != FREE_D && st[f] != FREE_S)
                f++;
            ga_pagecache c = ga_pagealloc_alloc_to_cache(&P);
            if (f == NP) {
                CHECK(ga_pagecache_empty(&c), "step %d: fill with no free page", step);
            } else {
                unsigned b = f & ~63u;
                uint64_t wc = 0, ws = 0;
                for (unsigned i = 0; i < 64; i++)
                    if (st[b + i] == FREE_D || st[b + i] == FREE_S) {
                        wc |= 1ull << i;
                        ws |= (uint64_t)(st[b + i] == FREE_S) << i;
                        mscav[b + i] = st[b + i] == FREE_S;
                        st[b + i] = CACHED;
                    }
                CHECK(c.base == PG(b) && c.cache == wc && c.scav == ws,
                      "step %d: fill = %#lx %#llx %#llx, model %#lx %#llx %#llx", step, (unsigned long)c.base,
                      (unsigned long long)c.cache, (unsigned long long)c.scav, (unsigned long)PG(b),
                      (unsigned long long)wc, (unsigned long long)ws);
                slot[k] = c;
            }
        } else if (op == 1) { /* cache alloc */
            unsigned n = 1 + rnd(rnd(2) ? 2 : 16);
            ga_pagecache *c = &slot[k];
            unsigned want = 64;
            for (unsigned i = 0; i + n <= 64 && want == 64; i++) {
                unsigned j = 0;
                while (j < n && (c->cache >> (i + j) & 1))
                    j++;
                if (j == n)
                    want = i;
            }
            size_t s, ms = 0;
            uintptr_t a = ga_pagecache_alloc(c, n, &s);
            if (want == 64) {
                CHECK(a == 0 && s == 0, "step %d: cache alloc(%u) = %#lx, model none", step, n, (unsigned long)a);
            } else {
                unsigned g = (unsigned)((c->base - B) / PS) + want;
                for (unsigned i = 0; i < n; i++) {
                    ms += mscav[g + i];
                    st[g + i] = USER;
                }
                CHECK(a == PG(g) && s == ms * PS, "step %d: cache alloc(%u) = %#lx scav %zu, model %#lx %zu", step, n,
                      (unsigned long)a, s, (unsigned long)PG(g), ms * PS);
                if (nuser < 256)
                    user_base[nuser] = g, user_n[nuser++] = n;
            }
        } else if (op == 2) { /* flush */
            ga_pagecache *c = &slot[k];
            for (unsigned i = 0; i < 64; i++)
                if (c->cache >> i & 1) {
                    unsigned g = (unsigned)((c->base - B) / PS) + i;
                    st[g] = mscav[g] ? FREE_S : FREE_D;
                }
            ga_pagecache_flush(c, &P);
        } else if (op == 3) { /* pageAlloc alloc: first fit over free pages (cached ones are allocated) */
            unsigned n = 1 + rnd(rnd(2) ? 4 : 100), want = NP;
            for (unsigned i = 0; i + n <= NP && want == NP; i++) {
                unsigned j = 0;
                while (j < n && (st[i + j] == FREE_D || st[i + j] == FREE_S))
                    j++;
                if (j == n)
                    want = i;
                else
                    i += j;
            }
            size_t s, ms = 0;
            uintptr_t a = ga_pagealloc_alloc(&P, n, &s);
            if (want == NP) {
                CHECK(a == 0, "step %d: alloc(%u) = %#lx, model none", step, n, (unsigned long)a);
            } else {
                for (unsigned i = 0; i < n; i++) {
                    ms += st[want + i] == FREE_S;
                    st[want + i] = USER;
                }
                CHECK(a == PG(want) && s == ms * PS, "step %d: alloc(%u) = %#lx, model %#lx", step, n, (unsigned long)a,
                      (unsigned long)PG(want));
                if (nuser < 256)
                    user_base[nuser] = want, user_n[nuser++] = n;
            }
        } else if (op == 4 && nuser) { /* free a user run (from a cache or not) */
            unsigned j = rnd(nuser);
            ga_pagealloc_free(&P, PG(user_base[j]), user_n[j]);
            for (unsigned i = 0; i < user_n[j]; i++)
                st[user_base[j] + i] = FREE_D;
            user_base[j] = user_base[--nuser], user_n[j] = user_n[nuser];
        } else if (op == 5) { /* scavenge a little */
            size_t got = ga_pagealloc_scavenge(&P, (1 + rnd(8)) * PS);
            for (unsigned i = NP; got && i-- > 0;) /* highest dirty free pages first */
                if (st[i] == FREE_D) {
                    st[i] = FREE_S;
                    got -= PS;
                }
        }
        size_t nf = 0, ns = 0;
        for (unsigned i = 0; i < NP; i++) {
            nf += st[i] == FREE_D || st[i] == FREE_S;
            ns += st[i] == FREE_S;
        }
        if (P.free_pages != nf || P.scav_pages != ns) {
            CHECK(0, "step %d (op %u): free/scav %zu/%zu, model %zu/%zu", step, op, P.free_pages, P.scav_pages, nf, ns);
            break;
        }
        for (unsigned i = 0; i < 4; i++)
            cache_sound(&slot[i], "differential");
        if (step % 16 == 0)
            sound("differential");
    }
    for (unsigned i = 0; i < 4; i++)
        ga_pagecache_flush(&slot[i], &P);
    sound("differential end");
    ga_pagealloc_destroy(&P);
}

int main(void) {
    test_cache_alloc();
    test_to_cache_and_flush();
    test_differential();
    return check_report();
}
