/* The project's window workload (bench/workload.h, the one bench_alloc and bench/go run)
 * as a plain malloc program: allocations of the workload's size mix, each replacing
 * slot i % 100 000 of a live window and freeing the object it replaces; calloc, since
 * the Go side zeroes every object (make([]byte)).
 *
 * Usage: peers_window [scale%]   (default 100 %: 5 M allocations, half of bench_alloc's)
 * Prints a checksum of the sizes and of a byte written into each object. */
#include "../workload.h"
#include "peers.h"

#include <stdint.h>

int main(int argc, char **argv) {
    uint64_t ops = pr_scaled(argc, argv, WL_OPS / 2);
    unsigned char **win = calloc(WL_LIVE, sizeof *win);
    size_t *sizes = calloc(WL_LIVE, sizeof *sizes);
    if (!win || !sizes)
        pr_fail("calloc");
    uint64_t s = WL_SEED, sum = 0;
    for (uint64_t i = 0; i < ops; i++) {
        size_t slot = (size_t)(i % WL_LIVE), n = wl_size(&s);
        if (win[slot]) {
            /* The object's last byte was written when it was made; calloc zeroed the rest. */
            if (win[slot][sizes[slot] - 1] != (unsigned char)sizes[slot] || (sizes[slot] > 1 && win[slot][0]))
                pr_fail("window: object bytes changed");
            sum += win[slot][sizes[slot] - 1];
            free(win[slot]);
        }
        unsigned char *p = calloc(1, n);
        if (!p)
            pr_fail("calloc");
        p[n - 1] = (unsigned char)n;
        win[slot] = p;
        sizes[slot] = n;
        sum += n;
    }
    for (size_t i = 0; i < WL_LIVE; i++)
        free(win[i]);
    free(win);
    free(sizes);
    printf("window ops=%llu checksum=%016llx\n", (unsigned long long)ops, (unsigned long long)sum);
    return 0;
}
