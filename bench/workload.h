/* The benchmark workload shared by bench/alloc.c and bench/go/main.go (which mirrors
 * it line for line): a deterministic size mix and PRNG, so goalloc and Go 1.19
 * allocate exactly the same sequence of sizes. */
#ifndef GA_BENCH_WORKLOAD_H
#define GA_BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

/* xorshift64* — same constants in main.go. */
static inline uint64_t wl_next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ull;
}

/* Size mix: a small-object-heavy distribution in the spirit of Go programs (most
 * objects <= 64 B, a tail up to 32 KiB).  Weights in 1/1000; a size is drawn uniformly
 * in (lo, hi]. */
static const struct {
    uint32_t weight, lo, hi;
} wl_mix[] = {
    {120, 0, 8},      {180, 8, 16},    {140, 16, 32},    {140, 32, 48},     {110, 48, 64},
    {80, 64, 128},    {70, 128, 256},  {60, 256, 512},   {45, 512, 1024},   {30, 1024, 2048},
    {15, 2048, 4096}, {6, 4096, 8192}, {3, 8192, 16384}, {1, 16384, 32768},
};
#define WL_MIX_N (sizeof wl_mix / sizeof wl_mix[0])

static inline size_t wl_size(uint64_t *s) {
    uint64_t r = wl_next(s);
    uint32_t pick = (uint32_t)(r % 1000);
    uint32_t acc = 0;
    for (size_t i = 0; i < WL_MIX_N; i++) {
        acc += wl_mix[i].weight;
        if (pick < acc) {
            uint32_t span = wl_mix[i].hi - wl_mix[i].lo;
            return wl_mix[i].lo + 1 + (size_t)((r >> 32) % span);
        }
    }
    return 8;
}

#define WL_SEED 0x9e3779b97f4a7c15ull
#define WL_LIVE 100000u        /* live window: objects kept reachable */
#define WL_OPS 10000000u       /* allocations per workload */
#define WL_MIN_HEAP (4u << 20) /* Go's minimum heap goal (4 MiB) */

#endif
