/* Threads: 2, 4 and 8 threads, each with its own cache, on one heap.  They allocate
 * (tiny, small, large), free their own objects, pass objects to a neighbour that checks
 * and frees them (cross-thread frees, the gated path), drop objects for the GC, and
 * call ga_sweep concurrently with lazy sweeping.  Every round ends in a GC cycle: the
 * world is stopped with a barrier for ga_gc_begin and ga_gc_end; in between, the
 * threads mark their own objects concurrently and keep mutating (black allocation,
 * frees, transfers).  Contents are checked at every free, transfer and round end; the
 * heap is checked at every stop; at the end everything is dropped, one cycle reclaims
 * it all, and the counters must balance exactly.  Bounded: a few seconds under TSan. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/heaptest.h"

enum { MAXT = 8, ROUNDS = 6, OPS = 1000, MARK_OPS = 250, MAXLIVE = 3000, BOX = 1024 };

typedef struct obj {
    char *p;
    uint32_t size, seed;
    int tiny;
} obj;

typedef struct mailbox {
    pthread_mutex_t lock;
    obj q[BOX];
    int head, n;
} mailbox;

typedef struct worker {
    int id;
    pthread_t th;
    ga_cache *c;
    uint64_t rng;
    obj live[MAXLIVE];
    int nlive;
    uint32_t next_seed;
} worker;

static ga_heap *H;
static int NT;
static worker W[MAXT];
static mailbox BOXES[MAXT];
static pthread_barrier_t BAR;

/* Patterns: whole object up to 1 KiB, else the first and last 256 bytes. */
static void fill(const obj *o) {
    if (o->size <= 1024) {
        ht_fill(o->p, o->size, o->seed);
    } else {
        ht_fill(o->p, 256, o->seed);
        ht_fill(o->p + o->size - 256, 256, o->seed ^ 0xabcdef);
    }
}

static int verify(const obj *o) {
    if (o->size <= 1024)
        return ht_verify(o->p, o->size, o->seed);
    return ht_verify(o->p, 256, o->seed) && ht_verify(o->p + o->size - 256, 256, o->seed ^ 0xabcdef);
}

static void box_put(int to, obj o, worker *w) {
    mailbox *b = &BOXES[to];
    pthread_mutex_lock(&b->lock);
    if (b->n < BOX) {
        b->q[(b->head + b->n++) % BOX] = o;
        o.p = NULL;
    }
    pthread_mutex_unlock(&b->lock);
    if (o.p) { /* box full: free it ourselves */
        CHECK(verify(&o), "object intact before free");
        CHECK(o.tiny || ga_free(w->c, o.p) == 0, "free own object");
    }
}

static int box_take(int me, obj *out) {
    mailbox *b = &BOXES[me];
    int got = 0;
    pthread_mutex_lock(&b->lock);
    if (b->n) {
        *out = b->q[b->head];
        b->head = (b->head + 1) % BOX;
        b->n--;
        got = 1;
    }
    pthread_mutex_unlock(&b->lock);
    return got;
}

static void take_out(worker *w, int i, obj *o) {
    *o = w->live[i];
    w->live[i] = w->live[--w->nlive];
}

static void one_op(worker *w) {
    uint64_t r = ht_rand(&w->rng) % 1000;
    if (r < 450 || w->nlive == 0) {
        if (w->nlive >= MAXLIVE)
            return;
        uint64_t k = ht_rand(&w->rng);
        obj o = {0};
        unsigned flags = (k >> 20) & 1 ? GA_NOZERO : 0;
        uint64_t kind = k % 1000;
        if (kind < 80) {
            o.size = 1 + (uint32_t)(k >> 32) % 15;
            o.tiny = 1;
            flags |= GA_NOSCAN;
        } else if (kind < 900) {
            o.size = 16 + (uint32_t)(k >> 32) % 1009;
            flags |= (k >> 21) & 1 ? GA_NOSCAN : 0;
        } else if (kind < 995) {
            o.size = 1025 + (uint32_t)(k >> 32) % (32768 - 1024);
        } else {
            o.size = 32769 + (uint32_t)(k >> 32) % 70000;
        }
        o.p = ga_alloc(w->c, o.size, flags);
        CHECK(o.p != NULL, "alloc %u", o.size);
        if (!o.p)
            return;
        if (!(flags & GA_NOZERO) && !(o.size > 1024))
            CHECK(ht_all_zero(o.p, o.size), "zeroed allocation of %u", o.size);
        if (!o.tiny)
            CHECK(ga_usable_size(H, o.p) >= o.size, "usable size");
        o.seed = (uint32_t)w->id << 24 | w->next_seed++;
        fill(&o);
        w->live[w->nlive++] = o;
    } else if (r < 700) { /* free one of ours */
        int i = (int)(ht_rand(&w->rng) % (uint64_t)w->nlive);
        if (w->live[i].tiny)
            return;
        obj o;
        take_out(w, i, &o);
        CHECK(verify(&o), "own object intact before free");
        if (o.size > 1)
            CHECK(ga_free(w->c, o.p + 1) == -EINVAL, "interior free refused");
        CHECK(ga_free(w->c, o.p) == 0, "free own object");
    } else if (r < 800) { /* send to the neighbour */
        int i = (int)(ht_rand(&w->rng) % (uint64_t)w->nlive);
        obj o;
        take_out(w, i, &o);
        box_put((w->id + 1) % NT, o, w);
    } else if (r < 900) { /* receive: check, then free (cross-thread) or adopt */
        obj o;
        for (int k = 0; k < 8 && box_take(w->id, &o); k++) {
            CHECK(verify(&o), "received object intact");
            CHECK(ga_object_base(H, o.p + o.size / 2) == (o.tiny ? ga_object_base(H, o.p) : o.p),
                  "object_base of a received object");
            if (!o.tiny && (ht_rand(&w->rng) & 1)) {
                CHECK(ga_free(w->c, o.p) == 0, "cross-thread free");
            } else if (w->nlive < MAXLIVE) {
                w->live[w->nlive++] = o;
            }
        }
    } else if (r < 960) { /* drop: garbage for the GC */
        int i = (int)(ht_rand(&w->rng) % (uint64_t)w->nlive);
        obj o;
        take_out(w, i, &o);
    } else {
        ga_sweep(H, 1 + ht_rand(&w->rng) % 4);
    }
}

static void *run(void *arg) {
    worker *w = arg;
    w->c = ga_cache_new(H);
    CHECK(w->c != NULL, "cache");
    for (int round = 0; round < ROUNDS; round++) {
        for (int k = 0; k < OPS; k++)
            one_op(w);
        /* stop the world for gc_begin */
        pthread_barrier_wait(&BAR);
        if (w->id == 0) {
            ga_gc_begin(H);
            for (int t = 0; t < NT; t++) /* objects in transit are roots too */
                for (int k = 0; k < BOXES[t].n; k++)
                    CHECK(ga_mark(H, BOXES[t].q[(BOXES[t].head + k) % BOX].p) >= 0, "mark in transit");
        }
        pthread_barrier_wait(&BAR);
        /* concurrent mark of our own objects, then keep mutating during the mark phase */
        for (int i = 0; i < w->nlive; i++)
            CHECK(ga_mark(H, w->live[i].p + w->live[i].size / 2) >= 0, "mark own object");
        for (int k = 0; k < MARK_OPS; k++)
            one_op(w);
        pthread_barrier_wait(&BAR);
        if (w->id == 0) {
            ga_gc_end(H);
            ht_heap_ok(H, "gc_end (world stopped)");
        }
        pthread_barrier_wait(&BAR);
        int ok = 1;
        for (int i = 0; i < w->nlive; i++)
            ok &= verify(&w->live[i]);
        CHECK(ok, "thread %d round %d: %d live objects intact", w->id, round, w->nlive);
    }
    /* drain our mailbox once everyone has stopped sending */
    pthread_barrier_wait(&BAR);
    obj o;
    while (box_take(w->id, &o)) {
        CHECK(verify(&o), "received object intact");
        if (!o.tiny)
            CHECK(ga_free(w->c, o.p) == 0, "final cross-thread free");
    }
    /* free half of what is left explicitly, drop the rest */
    for (int i = 0; i < w->nlive; i += 2)
        if (!w->live[i].tiny)
            CHECK(ga_free(w->c, w->live[i].p) == 0, "final free");
    w->nlive = 0;
    return NULL;
}

static void run_threads(int nt) {
    H = ga_heap_new(NULL);
    REQUIRE(H != NULL, "ga_heap_new failed");
    NT = nt;
    pthread_barrier_init(&BAR, NULL, (unsigned)nt);
    for (int t = 0; t < nt; t++) {
        pthread_mutex_init(&BOXES[t].lock, NULL);
        BOXES[t].head = BOXES[t].n = 0;
        W[t].id = t;
        W[t].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1) + (uint64_t)nt;
        W[t].nlive = 0;
        W[t].next_seed = 1;
    }
    for (int t = 0; t < nt; t++)
        pthread_create(&W[t].th, NULL, run, &W[t]);
    for (int t = 0; t < nt; t++)
        pthread_join(W[t].th, NULL);

    /* Everything is garbage now: one cycle, full sweep, and the books must balance. */
    ga_gc_begin(H);
    ga_gc_end(H);
    ga_sweep(H, 0);
    ga_stats st = ht_stats(H);
    CHECK(st.nmalloc == st.nfree, "%d threads: nmalloc %llu == nfree %llu", nt, (unsigned long long)st.nmalloc,
          (unsigned long long)st.nfree);
    CHECK(st.heap_alloc == 0 && st.heap_inuse == 0, "%d threads: all reclaimed (alloc %llu, inuse %llu)", nt,
          (unsigned long long)st.heap_alloc, (unsigned long long)st.heap_inuse);
    CHECK(st.num_gc == ROUNDS + 1, "cycles counted");
    for (int t = 0; t < nt; t++)
        ga_cache_destroy(W[t].c);
    ht_heap_ok(H, "end");
    ga_heap_destroy(H);
    pthread_barrier_destroy(&BAR);
    for (int t = 0; t < nt; t++)
        pthread_mutex_destroy(&BOXES[t].lock);
}

/* Many threads freeing into the same spans at once (gate readers) while their owner
 * reclaims in place (gate writer) and another thread sweeps. */
enum { HOT = 4096 };
static char *hot[HOT];
static _Atomic int hot_next;

static void *hot_freer(void *arg) {
    ga_cache *c = ga_cache_new(H);
    (void)arg;
    for (;;) {
        int i = atomic_fetch_add(&hot_next, 1);
        if (i >= HOT)
            break;
        CHECK(ga_free(c, hot[i]) == 0, "concurrent free %d", i);
    }
    ga_cache_destroy(c);
    return NULL;
}

static void test_hot_frees(void) {
    H = ga_heap_new(NULL);
    ga_cache *c = ga_cache_new(H);
    for (int i = 0; i < HOT; i++)
        hot[i] = ga_alloc(c, 32, 0); /* 16 spans of 256 */
    atomic_store(&hot_next, 0);
    pthread_t th[3];
    for (int t = 0; t < 3; t++)
        pthread_create(&th[t], NULL, hot_freer, NULL);
    /* the owner keeps allocating from its span (in-place reclaim when it fills) */
    for (int k = 0; k < 3000; k++) {
        char *p = ga_alloc(c, 32, 0);
        CHECK(p && ga_free(c, p) == 0, "owner alloc/free");
        if (k % 500 == 0)
            ga_sweep(H, 0);
    }
    for (int t = 0; t < 3; t++)
        pthread_join(th[t], NULL);
    ga_cache_destroy(c);
    ga_sweep(H, 0);
    ga_stats st = ht_stats(H);
    CHECK(st.nmalloc == st.nfree && st.heap_inuse == 0, "hot frees: all reclaimed without a GC (inuse %llu)",
          (unsigned long long)st.heap_inuse);
    ht_heap_ok(H, "hot frees");
    ga_heap_destroy(H);
}

int main(void) {
    run_threads(2);
    run_threads(4);
    run_threads(8);
    test_hot_frees();
    return check_report();
}
