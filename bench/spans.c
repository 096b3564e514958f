/* Span allocation with and without page caches (Go's per-P pageCache, issue 11).
 *
 * Each thread owns a cache and repeats: allocate BATCH spans of 1-8 pages through
 * ga_mheap_alloc (the path mcentral takes when it grows), then free them
 * (ga_mheap_free_span, which always takes the heap lock, as Go's freeSpan does).  With
 * page caches, allocations of fewer than 16 pages are carved from the thread's 64-page
 * block without the heap lock; without (ga_config.no_page_cache), every allocation
 * takes the lock and searches pageAlloc.  Reported: wall nanoseconds per alloc + free
 * pair, per thread count and mode, median of interleaved rounds (each round runs every
 * configuration, in rotated order, on a fresh heap).
 *
 * Usage: bench_spans [rounds]   (default 7) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "heap.h"

#define BATCH 32
#define ITERS 4000 /* batches per thread */
#define MAX_THREADS 2

typedef struct {
    ga_heap *h;
    ga_cache *c;
    unsigned seed;
} worker;

static void *work(void *p) {
    worker *w = p;
    ga_mspan *s[BATCH];
    unsigned x = w->seed;
    for (int it = 0; it < ITERS; it++) {
        for (int i = 0; i < BATCH; i++) {
            x = x * 1103515245u + 12345u;
            s[i] = ga_mheap_alloc(w->h, 1 + (x >> 16) % 8, 1, w->c);
            if (!s[i]) {
                perror("ga_mheap_alloc");
                exit(1);
            }
        }
        for (int i = 0; i < BATCH; i++)
            ga_mheap_free_span(w->h, s[(i * 7) % BATCH]);
    }
    return NULL;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per pair for one configuration on a fresh heap. */
static double run(int threads, int pcache) {
    ga_config cfg = {.no_page_cache = !pcache};
    ga_heap *h = ga_heap_new(&cfg);
    if (!h) {
        perror("ga_heap_new");
        exit(1);
    }
    worker w[MAX_THREADS];
    pthread_t t[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){h, ga_cache_new(h), 7u * (unsigned)i + 1};
        if (!w[i].c) {
            perror("ga_cache_new");
            exit(1);
        }
    }
    double t0 = now_ns();
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, work, &w[i]);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double dt = now_ns() - t0;
    for (int i = 0; i < threads; i++)
        ga_cache_destroy(w[i].c);
    ga_heap_destroy(h);
    /* Pairs per thread: wall time per pair as one thread sees it. */
    return dt / ((double)ITERS * BATCH);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 7;
    if (rounds < 1 || rounds > 99)
        rounds = 7;
    enum { CONFIGS = 4 };
    double r[CONFIGS][99];
    for (int k = 0; k < rounds; k++)
        for (int j = 0; j < CONFIGS; j++) {
            int cfg = (j + k) % CONFIGS; /* rotated order */
            r[cfg][k] = run(1 + cfg / 2, cfg % 2);
        }
    printf("span alloc + free (1-8 pages, batches of %d), wall ns per pair per thread, median of %d rounds:\n", BATCH,
           rounds);
    for (int cfg = 0; cfg < CONFIGS; cfg++) {
        qsort(r[cfg], (size_t)rounds, sizeof(double), cmp);
        printf("  %d thread%s, page cache %-3s  %7.1f ns   (min %.1f, max %.1f)\n", 1 + cfg / 2, cfg / 2 ? "s" : " ",
               cfg % 2 ? "on" : "off", r[cfg][rounds / 2], r[cfg][0], r[cfg][rounds - 1]);
    }
    return 0;
}
