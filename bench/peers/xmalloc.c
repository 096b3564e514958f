/* xmalloc-test-like producer/consumer: producer threads malloc blocks and hand them, in
 * batches through a locked queue, to consumer threads that free them, so every free is
 * a cross-thread free of a block some other thread's cache produced.
 *
 * Usage: peers_xmalloc [scale%] [pairs]   (default 100 %, 1 producer + 1 consumer pair)
 * Prints the sum of the tags the consumers read back before freeing. */
#include "peers.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define BATCH 256    /* blocks per hand-over */
#define QUEUE_CAP 64 /* batches in flight: bounds the live heap */
#define MIN_SIZE 16  /* room for the 8-byte tag and a distinct last byte */
#define MAX_SIZE 512

struct batch {
    void *p[BATCH];
    uint32_t size[BATCH];
    uint64_t id[BATCH];
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    struct batch *q[QUEUE_CAP];
    unsigned head, len, producers_left;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0};

static uint64_t batches_per_producer;
static uint64_t consumer_sums[64];

static void push(struct batch *b) {
    pthread_mutex_lock(&queue.mu);
    while (queue.len == QUEUE_CAP)
        pthread_cond_wait(&queue.nonfull, &queue.mu);
    queue.q[(queue.head + queue.len++) % QUEUE_CAP] = b;
    pthread_cond_signal(&queue.nonempty);
    pthread_mutex_unlock(&queue.mu);
}

/* NULL once every producer is done and the queue is empty. */
static struct batch *pop(void) {
    pthread_mutex_lock(&queue.mu);
    while (queue.len == 0 && queue.producers_left > 0)
        pthread_cond_wait(&queue.nonempty, &queue.mu);
    struct batch *b = NULL;
    if (queue.len > 0) {
        b = queue.q[queue.head];
        queue.head = (queue.head + 1) % QUEUE_CAP;
        queue.len--;
        pthread_cond_signal(&queue.nonfull);
    }
    pthread_mutex_unlock(&queue.mu);
    return b;
}

static void *producer(void *arg) {
    uint64_t p = (uint64_t)(intptr_t)arg;
    uint64_t rng = 0xabcdef + p;
    for (uint64_t i = 0; i < batches_per_producer; i++) {
        /* The batch itself is malloc'd here and freed by the consumer too. */
        struct batch *b = pr_xmalloc(sizeof *b);
        for (int k = 0; k < BATCH; k++) {
            uint32_t size = (uint32_t)pr_range(&rng, MIN_SIZE, MAX_SIZE);
            uint64_t id = (p << 48) | (i * BATCH + (uint64_t)k);
            unsigned char *m = pr_xmalloc(size);
            uint64_t tag = pr_tag(id, size);
            memcpy(m, &tag, sizeof tag);
            m[size - 1] = (unsigned char)id;
            b->p[k] = m;
            b->size[k] = size;
            b->id[k] = id;
        }
        push(b);
    }
    pthread_mutex_lock(&queue.mu);
    queue.producers_left--;
    pthread_cond_broadcast(&queue.nonempty);
    pthread_mutex_unlock(&queue.mu);
    return NULL;
}

static void *consumer(void *arg) {
    int c = (int)(intptr_t)arg;
    uint64_t sum = 0;
    struct batch *b;
    while ((b = pop()) != NULL) {
        for (int k = 0; k < BATCH; k++) {
            unsigned char *m = b->p[k];
            uint64_t tag;
            memcpy(&tag, m, sizeof tag);
            if (tag != pr_tag(b->id[k], b->size[k]) || m[b->size[k] - 1] != (unsigned char)b->id[k])
                pr_fail("xmalloc: block tag changed");
            sum += tag;
            free(m);
        }
        free(b);
    }
    consumer_sums[c] = sum;
    return NULL;
}

int main(int argc, char **argv) {
    int pairs = argc > 2 ? atoi(argv[2]) : 1;
    if (pairs < 1 || pairs > 32)
        pr_fail("pairs must be 1-32");
    batches_per_producer = pr_scaled(argc, argv, 36000) / (uint64_t)pairs;
    queue.producers_left = (unsigned)pairs;
    pthread_t prod[32], cons[32];
    for (int i = 0; i < pairs; i++) {
        if (pthread_create(&cons[i], NULL, consumer, (void *)(intptr_t)i) ||
            pthread_create(&prod[i], NULL, producer, (void *)(intptr_t)i))
            pr_fail("pthread_create");
    }
    uint64_t sum = 0;
    for (int i = 0; i < pairs; i++) {
        pthread_join(prod[i], NULL);
        pthread_join(cons[i], NULL);
        sum += consumer_sums[i];
    }
    printf("xmalloc pairs=%d blocks=%llu checksum=%016llx\n", pairs,
           (unsigned long long)(batches_per_producer * (uint64_t)pairs * BATCH), (unsigned long long)sum);
    return 0;
}
