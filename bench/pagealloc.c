/* pageAlloc benchmark: steady-state alloc + free of random page runs in a fragmented
 * heap of 1 GiB, 16 GiB and 256 GiB of address space, for the summary tree
 * (ga_pagealloc) and for a naive first-fit scan over a plain bitmap that starts at a
 * search hint maintained like the tree's (every page below it allocated).
 *
 * The heap is address space only: pageAlloc never touches the memory it manages, so
 * nothing is mapped but its metadata.  Each run: fill the heap with random runs until
 * an allocation fails, free a random half, then time rounds of 64 allocations followed
 * by 64 frees of random live runs.  Sizes: see rand_size.
 * Fixed seeds: both allocators see the same requests, and both are address-ordered
 * first fit, so they must return the same pages (checked on the rounds both run).
 * The scan's cost depends on history (first fit eats the holes near the hint, so later
 * searches go further), so it is bounded to the same SCAN_ROUNDS at every size, and
 * the tree is also reported over those rounds, like for like.
 *
 * Usage: bench_pagealloc [rounds]   (default 1024 rounds of 64 allocs + 64 frees) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pagealloc.h"

#define ROUND 64
#define SCAN_ROUNDS 256                          /* bounds the baseline: ~1 s at 256 GiB */
#define HEAP_BASE ((uintptr_t)0x200000000000ull) /* 32 TiB: unmapped, chunk aligned */

static uint64_t rng_state;
static uint64_t rng(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* 90% 1-16 pages, 9% 17-128, 0.8% 129-1024, 0.2% 1025-8192 (8-64 MiB objects: in a
 * fragmented heap these mostly find no run, as when Go's heap must grow). */
static uint64_t rand_size(void) {
    uint64_t r = rng() % 1000;
    if (r < 900)
        return 1 + rng() % 16;
    if (r < 990)
        return 17 + rng() % 112;
    if (r < 998)
        return 129 + rng() % 896;
    return 1025 + rng() % 7168;
}

/* Thread CPU time: the figures stay meaningful on a machine shared with other jobs
 * (time spent descheduled is not counted; cache pollution still is). */
static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* ---- the two allocators behind one interface; pages are indexes from the heap base */

#define NONE UINT64_MAX

typedef struct scan {
    uint64_t *w;
    uint64_t npages, hint;
} scan;

static void scan_set(scan *s, uint64_t i, uint64_t n, int on) {
    for (uint64_t end = i + n; i < end;) {
        uint64_t b = i % 64, k = end - i < 64 - b ? end - i : 64 - b;
        uint64_t m = (k == 64 ? ~0ull : ((1ull << k) - 1)) << b;
        if (on)
            s->w[i / 64] |= m;
        else
            s->w[i / 64] &= ~m;
        i += k;
    }
}

/* First fit from the hint: whole words skipped when full or empty, else bit by bit. */
static uint64_t scan_alloc(scan *s, uint64_t n) {
    uint64_t nw = s->npages / 64, run = 0, start = 0, first_free = NONE;
    for (uint64_t wi = s->hint / 64; wi < nw; wi++) {
        uint64_t x = s->w[wi];
        if (x == ~0ull) {
            run = 0;
            continue;
        }
        if (x == 0) {
            if (run == 0)
                start = wi * 64;
            if (first_free == NONE)
                first_free = wi * 64;
            run += 64;
            if (run >= n)
                goto found;
            continue;
        }
        for (unsigned b = 0; b < 64; b++) {
            if (x >> b & 1) {
                run = 0;
                continue;
            }
            if (run == 0)
                start = wi * 64 + b;
            if (first_free == NONE)
                first_free = wi * 64 + b;
            if (++run == n)
                goto found;
        }
    }
    s->hint = first_free == NONE ? s->npages : first_free;
    return NONE;
found:
    scan_set(s, start, n, 1);
    s->hint = start == first_free ? start + n : first_free;
    return start;
}

static void scan_free(scan *s, uint64_t i, uint64_t n) {
    scan_set(s, i, n, 0);
    if (i < s->hint)
        s->hint = i;
}

typedef struct heap {
    int tree; /* 1: ga_pagealloc, 0: scan */
    ga_os os;
    ga_pagealloc pa;
    scan sc;
} heap;

static int heap_init(heap *h, int tree, uint64_t bytes) {
    memset(h, 0, sizeof *h);
    h->tree = tree;
    if (tree) {
        ga_os_init(&h->os, NULL);
        if (ga_pagealloc_init(&h->pa, &h->os) || ga_pagealloc_grow(&h->pa, HEAP_BASE, bytes))
            return -1;
    } else {
        h->sc.npages = bytes / GA_PAGE_SIZE;
        h->sc.w = calloc(h->sc.npages / 64, sizeof(uint64_t));
        if (!h->sc.w)
            return -1;
    }
    return 0;
}

static void heap_destroy(heap *h) {
    if (h->tree)
        ga_pagealloc_destroy(&h->pa);
    else
        free(h->sc.w);
}

static inline uint64_t heap_alloc(heap *h, uint64_t n) {
    if (!h->tree)
        return scan_alloc(&h->sc, n);
    uintptr_t a = ga_pagealloc_alloc(&h->pa, n, NULL);
    return a ? (a - HEAP_BASE) / GA_PAGE_SIZE : NONE;
}

static inline void heap_free(heap *h, uint64_t i, uint64_t n) {
    if (h->tree)
        ga_pagealloc_free(&h->pa, HEAP_BASE + i * GA_PAGE_SIZE, n);
    else
        scan_free(&h->sc, i, n);
}

/* ---- the workload ------------------------------------------------------------------ */

typedef struct run {
    uint64_t i, n;
} run;

typedef struct result {
    double alloc_ns, free_ns;
    uint64_t allocs, frees, failed, rounds, live_pages;
    uint64_t digest; /* of every page index returned in the timed rounds */
} result;

static int workload(int tree, uint64_t bytes, uint64_t rounds, result *r) {
    heap h;
    memset(r, 0, sizeof *r);
    if (heap_init(&h, tree, bytes))
        return -1;
    size_t cap = 1 << 20, nlive = 0;
    run *live = malloc(cap * sizeof *live);
    if (!live)
        return -1;
    rng_state = 0x9e3779b97f4a7c15ull ^ bytes;
    /* fill until an allocation fails, then free a random half */
    for (;;) {
        uint64_t n = rand_size(), i = heap_alloc(&h, n);
        if (i == NONE)
            break;
        if (nlive == cap) {
            cap *= 2;
            run *nl = realloc(live, cap * sizeof *live);
            if (!nl)
                return -1;
            live = nl;
        }
        live[nlive++] = (run){i, n};
    }
    size_t kept = 0;
    for (size_t k = 0; k < nlive; k++) {
        if (rng() & 1)
            heap_free(&h, live[k].i, live[k].n);
        else
            live[kept++] = live[k];
    }
    nlive = kept;
    /* steady state */
    uint64_t digest = 0xcbf29ce484222325ull;
    for (uint64_t round = 0; round < rounds; round++) {
        double t0 = now_ns();
        for (int k = 0; k < ROUND; k++) {
            uint64_t n = rand_size(), i = heap_alloc(&h, n);
            digest = (digest ^ i) * 0x100000001b3ull;
            if (i == NONE) {
                r->failed++;
                continue;
            }
            if (nlive == cap) { /* cannot happen: each round frees as many as it adds */
                fprintf(stderr, "live array full\n");
                return -1;
            }
            live[nlive++] = (run){i, n};
        }
        double t1 = now_ns();
        for (int k = 0; k < ROUND && nlive; k++) {
            size_t j = rng() % nlive;
            heap_free(&h, live[j].i, live[j].n);
            live[j] = live[--nlive];
            r->frees++;
        }
        double t2 = now_ns();
        r->alloc_ns += t1 - t0;
        r->free_ns += t2 - t1;
        r->allocs += ROUND;
    }
    for (size_t k = 0; k < nlive; k++)
        r->live_pages += live[k].n;
    r->rounds = rounds;
    r->digest = digest;
    free(live);
    heap_destroy(&h);
    return 0;
}

int main(int argc, char **argv) {
    uint64_t rounds = 1024;
    if (argc > 1) { /* a count that is not a positive number would print NaN figures */
        char *end;
        rounds = strtoull(argv[1], &end, 10);
        if (argc > 2 || end == argv[1] || *end || rounds == 0) {
            fprintf(stderr, "usage: %s [rounds]   (a positive number; default 1024)\n", argv[0]);
            return 2;
        }
    }
    static const struct {
        const char *name;
        uint64_t bytes;
    } sizes[] = {
        {"1 GiB", 1ull << 30},
        {"16 GiB", 16ull << 30},
        {"256 GiB", 256ull << 30},
    };
    printf("%-8s %-5s %7s %10s %9s %8s %10s\n", "heap", "impl", "rounds", "ns/alloc", "ns/free", "failed%", "live GiB");
    int bad = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        result t, n;
        uint64_t scan_rounds = rounds < SCAN_ROUNDS ? rounds : SCAN_ROUNDS;
        /* the scan's digest is compared with a tree run of the same length */
        if (workload(1, sizes[s].bytes, rounds, &t) || workload(0, sizes[s].bytes, scan_rounds, &n)) {
            fprintf(stderr, "setup failed at %s\n", sizes[s].name);
            return 1;
        }
        result t2;
        if (scan_rounds != rounds && workload(1, sizes[s].bytes, scan_rounds, &t2))
            return 1;
        uint64_t want = scan_rounds != rounds ? t2.digest : t.digest;
        if (want != n.digest) {
            fprintf(stderr, "%s: tree and scan disagree on the pages returned\n", sizes[s].name);
            bad = 1;
        }
        /* rows: tree, tree at the scan's rounds (when bounded), scan */
        const result *rs[3] = {&t, scan_rounds != rounds ? &t2 : NULL, &n};
        for (int k = 0; k < 3; k++)
            if (rs[k])
                printf("%-8s %-5s %7llu %10.1f %9.1f %8.2f %10.2f\n", sizes[s].name, k == 2 ? "scan" : "tree",
                       (unsigned long long)rs[k]->rounds, rs[k]->alloc_ns / (double)rs[k]->allocs,
                       rs[k]->free_ns / (double)rs[k]->frees, 100.0 * (double)rs[k]->failed / (double)rs[k]->allocs,
                       (double)(rs[k]->live_pages * GA_PAGE_SIZE) / (double)(1ull << 30));
    }
    return bad;
}
