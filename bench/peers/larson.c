/* larson-like server: each thread owns a set of slots and replaces random ones with
 * blocks of random size (10-1000 B); after every round the slot sets move on to the next
 * thread, so most blocks are freed by a thread other than the one that allocated them
 * (the cross-thread free pattern of a server handing requests between workers).
 *
 * Usage: peers_larson [scale%] [threads]   (default 100 %, 2 threads)
 * Prints a checksum of every block's tag read back before it is freed. */
#include "peers.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define SLOTS 1000 /* live blocks per set (per thread) */
#define OPS_PER_ROUND 20000
#define MIN_SIZE 10
#define MAX_SIZE 1000

struct slot {
    unsigned char *p;
    uint32_t size;
    uint64_t id;
};

static int nthreads = 2;
static uint64_t rounds;
static struct slot (*sets)[SLOTS];
static pthread_barrier_t barrier;
static uint64_t sums[64];

static void fill(struct slot *s, uint64_t id, uint32_t size) {
    s->p = pr_xmalloc(size);
    s->size = size;
    s->id = id;
    uint64_t tag = pr_tag(id, size);
    memcpy(s->p, &tag, sizeof tag);
    s->p[size - 1] = (unsigned char)id;
}

/* Reads the block's tag back (a wrong one means the allocator corrupted it). */
static uint64_t drain(struct slot *s) {
    uint64_t tag;
    memcpy(&tag, s->p, sizeof tag);
    if (tag != pr_tag(s->id, s->size) || s->p[s->size - 1] != (unsigned char)s->id)
        pr_fail("larson: block tag changed");
    free(s->p);
    return tag;
}

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    uint64_t sum = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        /* Set (t + r) mod T: its blocks were allocated by another thread last round. */
        int a = (int)((t + r) % (uint64_t)nthreads);
        struct slot *set = sets[a];
        uint64_t rng = ((uint64_t)a << 40) ^ (r * 0x9e3779b97f4a7c15ull) ^ 0x1234567ull;
        for (uint64_t k = 0; k < OPS_PER_ROUND; k++) {
            uint64_t x = pr_next(&rng);
            struct slot *s = &set[x % SLOTS];
            sum += drain(s);
            uint64_t id = ((r * (uint64_t)nthreads + (uint64_t)a) * OPS_PER_ROUND + k) + SLOTS * 64;
            fill(s, id, (uint32_t)(MIN_SIZE + (x >> 32) % (MAX_SIZE - MIN_SIZE + 1)));
        }
        pthread_barrier_wait(&barrier);
    }
    sums[t] = sum;
    return NULL;
}

int main(int argc, char **argv) {
    rounds = pr_scaled(argc, argv, 1200);
    if (argc > 2)
        nthreads = atoi(argv[2]);
    if (nthreads < 1 || nthreads > 64)
        pr_fail("threads must be 1-64");
    sets = pr_xmalloc(sizeof *sets * (size_t)nthreads);
    uint64_t rng = 42;
    for (int a = 0; a < nthreads; a++)
        for (int j = 0; j < SLOTS; j++)
            fill(&sets[a][j], (uint64_t)a * SLOTS + (uint64_t)j, (uint32_t)pr_range(&rng, MIN_SIZE, MAX_SIZE));
    pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
    pthread_t tid[64];
    for (int t = 0; t < nthreads; t++)
        if (pthread_create(&tid[t], NULL, worker, (void *)(intptr_t)t))
            pr_fail("pthread_create");
    uint64_t sum = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(tid[t], NULL);
        sum += sums[t];
    }
    for (int a = 0; a < nthreads; a++)
        for (int j = 0; j < SLOTS; j++)
            sum += drain(&sets[a][j]);
    free(sets);
    printf("larson threads=%d rounds=%llu ops=%llu checksum=%016llx\n", nthreads, (unsigned long long)rounds,
           (unsigned long long)(rounds * (uint64_t)nthreads * OPS_PER_ROUND), (unsigned long long)sum);
    return 0;
}
