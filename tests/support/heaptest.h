/* Shared helpers for the object-allocator tests (test_malloc, test_gc, test_threads,
 * test_faults): heap checks, byte patterns, white-box access to spans and mcentral
 * lists.  Checks: support/check.h. */
#ifndef GA_HEAPTEST_H
#define GA_HEAPTEST_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "goalloc.h"
#include "heap.h"
#include "support/check.h"

static inline int ht_heap_ok(ga_heap *h, const char *where) {
    char why[512] = "";
    int r = ga_heap_check(h, why, sizeof why);
    CHECK(r == 0, "heap check after %s: %s", where, why);
    return r == 0;
}

/* Deterministic byte pattern of object `seed`, n bytes. */
static inline void ht_fill(void *p, size_t n, uint32_t seed) {
    unsigned char *b = p;
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (unsigned char)(x >> 16);
    }
}

static inline int ht_verify(const void *p, size_t n, uint32_t seed) {
    const unsigned char *b = p;
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        if (b[i] != (unsigned char)(x >> 16))
            return 0;
    }
    return 1;
}

static inline int ht_all_zero(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static inline ga_mspan *ht_span(ga_heap *h, const void *p) { return ga_mheap_span_of(h, (uintptr_t)p); }

static inline uint32_t ht_sweepgen(ga_heap *h) { return ga_heap_sweepgen(h); }

/* Is s in list `id` of its class's mcentral (walk under the lock)? */
static inline int ht_in_list(ga_heap *h, ga_mspan *s, int8_t id) {
    ga_mcentral *c = &h->central[s->spanclass];
    int found = 0;
    pthread_mutex_lock(&c->lock);
    for (ga_mspan *x = ga_mcentral_list(c, id)->head; x; x = x->next)
        if (x == s)
            found = 1;
    pthread_mutex_unlock(&c->lock);
    return found && s->list == id;
}

static inline ga_stats ht_stats(ga_heap *h) {
    ga_stats st;
    ga_heap_stats(h, &st);
    return st;
}

/* xorshift PRNG, fixed seeds: tests are deterministic. */
static inline uint64_t ht_rand(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

#endif
