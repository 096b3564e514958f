/* cache-scratch: passive false sharing.  The main thread allocates one small object per
 * thread (adjacent, so likely on one cache line) and hands each to a thread, which frees
 * it and then repeatedly allocates a small object, writes it many times and frees it.
 * An allocator that gives the thread back the slot it freed, still next to the other
 * threads' objects, makes every write a cache-line ping-pong between cores.
 *
 * Usage: peers_cache_scratch [scale%] [threads]   (default 100 %, 2 threads)
 * Prints a checksum of the values each thread read back from its objects. */
#include "peers.h"

#include <pthread.h>
#include <stdint.h>

#define OBJ_SIZE 8
#define ITERATIONS 1000 /* allocate-write-free cycles per thread */

static uint64_t repetitions; /* writes per object */
static uint64_t sums[64];

struct arg {
    int t;
    unsigned char *first;
};

static void *worker(void *v) {
    struct arg *a = v;
    free(a->first); /* a free of the main thread's object: it may come back to us */
    uint64_t sum = 0;
    for (int i = 0; i < ITERATIONS; i++) {
        volatile unsigned char *o = pr_xmalloc(OBJ_SIZE);
        /* malloc's bytes are undefined: zeroed, the writes give the same values under
         * every allocator. */
        for (int k = 0; k < OBJ_SIZE; k++)
            o[k] = 0;
        for (uint64_t r = 0; r < repetitions; r++)
            for (int k = 0; k < OBJ_SIZE; k++)
                o[k] = (unsigned char)(o[k] + (unsigned)(k + a->t + 1));
        for (int k = 0; k < OBJ_SIZE; k++)
            sum = sum * 31 + o[k];
        free((void *)o);
    }
    sums[a->t] = sum;
    return NULL;
}

int main(int argc, char **argv) {
    repetitions = pr_scaled(argc, argv, 200000);
    int n = argc > 2 ? atoi(argv[2]) : 2;
    if (n < 1 || n > 64)
        pr_fail("threads must be 1-64");
    struct arg args[64];
    pthread_t tid[64];
    for (int t = 0; t < n; t++) {
        args[t].t = t;
        args[t].first = pr_xmalloc(OBJ_SIZE);
    }
    for (int t = 0; t < n; t++)
        if (pthread_create(&tid[t], NULL, worker, &args[t]))
            pr_fail("pthread_create");
    uint64_t sum = 0;
    for (int t = 0; t < n; t++) {
        pthread_join(tid[t], NULL);
        sum += sums[t];
    }
    printf("cache-scratch threads=%d iterations=%d repetitions=%llu checksum=%016llx\n", n, ITERATIONS,
           (unsigned long long)repetitions, (unsigned long long)sum);
    return 0;
}
