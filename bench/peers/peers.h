/* Shared by the synthetic workloads of bench/peers/ (ci/bench peers): a fixed-seed PRNG,
 * an order-independent checksum, argument parsing and a clean failure.  Only the C
 * library's malloc family is used, so whichever allocator is LD_PRELOADed serves it. */
#ifndef GA_PEERS_H
#define GA_PEERS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* splitmix64: tiny, full-period, and good enough to pick sizes and slots. */
static inline uint64_t pr_next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi] (the modulo bias is irrelevant here). */
static inline uint64_t pr_range(uint64_t *s, uint64_t lo, uint64_t hi) { return lo + pr_next(s) % (hi - lo + 1); }

/* A tag written into a block and checked when it is freed: depends only on the block's
 * logical identity, never on its address, so every allocator gives the same sums. */
static inline uint64_t pr_tag(uint64_t id, uint64_t size) {
    uint64_t s = id * 0x2545f4914f6cdd1dull + size;
    return pr_next(&s);
}

/* Scale argument: the workload runs `scale` times its default amount of work (integer
 * percent, so that `50` halves it); keeps quick validation runs possible. */
static inline uint64_t pr_scaled(int argc, char **argv, uint64_t base) {
    if (argc < 2)
        return base;
    long pct = strtol(argv[1], NULL, 10);
    if (pct <= 0)
        pct = 100;
    uint64_t v = base * (uint64_t)pct / 100;
    return v ? v : 1;
}

static inline void *pr_xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "malloc(%zu) failed\n", n);
        exit(2);
    }
    return p;
}

/* A wrong tag is a corrupted block: report it and fail, so ci/bench marks the cell. */
static inline void pr_fail(const char *what) {
    fprintf(stderr, "workload check failed: %s\n", what);
    exit(3);
}

#endif
