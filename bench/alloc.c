/* bench/alloc: goalloc's object allocator on the workload of bench/workload.h, the
 * same workload bench/go/main.go runs on Go 1.19 (ci/bench runs both in one go).
 *
 * Workloads (ops allocations each, sizes from the mix, slot i % live of a window
 * replaced by every allocation):
 *   window-nogc  like Go with GOGC=off: nothing is ever reclaimed;
 *   window-gc    like Go with GOGC=100: a GC cycle whenever the bytes allocated since
 *                the last cycle reach the live bytes marked in it (min 4 MiB); goalloc
 *                marks the live window itself (ga_gc_begin, ga_mark x live, ga_gc_end),
 *                and sweeping is lazy (refill) as in Go;
 *   window-free  the replaced object is ga_free'd explicitly (alloc+free pairs, no GC);
 *   glibc-free   the same alloc+free pattern on glibc malloc/free, for reference;
 *   floor-loop, floor-zero  the loop alone, and the loop + zeroing (see run_floor).
 * Output: one line per workload, ns/object (GC and marking included). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "goalloc.h"
#include "sizeclasses.h"
#include "workload.h"

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU time of the whole process (every thread; the Go side reports the same through
 * getrusage): less disturbed than wall time on a shared machine, where the process
 * waits for a core. */
static double cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void report(const char *name, double ns, double cpu, unsigned ops, ga_heap *h, unsigned long cycles,
                   double gc_ns, double mark_ns) {
    printf("goalloc %-12s %8.1f ns/object (cpu %.1f)", name, ns / ops, cpu / ops);
    if (h) {
        ga_stats st;
        ga_heap_stats(h, &st);
        printf("  %6lu GC cycles  %7.0f MiB heap_sys", cycles, (double)st.heap_sys / (1 << 20));
        if (cycles)
            printf("  (cpu in GC calls %.1f ns/object, marking %.1f)", gc_ns / ops, mark_ns / ops);
    }
    printf("\n");
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

enum { NOGC, GC, FREE };
static const char *const mode_name[] = {"window-nogc", "window-gc", "window-free"};

static void run(int mode, unsigned ops) {
    ga_heap *h = ga_heap_new(NULL);
    if (!h)
        die("ga_heap_new");
    ga_cache *c = ga_cache_new(h);
    if (!c)
        die("ga_cache_new");
    void **win = calloc(WL_LIVE, sizeof *win);
    size_t *wsz = calloc(WL_LIVE, sizeof *wsz);
    if (!win || !wsz)
        die("calloc");
    uint64_t s = WL_SEED;
    size_t since = 0, goal = WL_MIN_HEAP, live_bytes = 0;
    unsigned long cycles = 0;
    double gc_ns = 0, mark_ns = 0; /* CPU inside ga_gc_begin .. ga_gc_end; of which marking */
    double c0 = cpu_ns(), t0 = now_ns();
    for (unsigned i = 0; i < ops; i++) {
        size_t n = wl_size(&s);
        unsigned k = i % WL_LIVE;
        if (mode == FREE && win[k]) {
            int rc = ga_free(c, win[k]);
            if (rc != 0) {
                fprintf(stderr, "ga_free: %d\n", rc);
                exit(1);
            }
        }
        /* Explicitly freed objects must not come from the tiny allocator (its 16-byte
         * blocks are reclaimed only by GC), so window-free allocates them as scan
         * objects, like the malloc drop-in. */
        void *p = ga_alloc(c, n, mode == FREE ? 0u : GA_NOSCAN);
        if (!p)
            die("ga_alloc");
        live_bytes += n - wsz[k];
        win[k] = p;
        wsz[k] = n;
        since += n;
        if (mode == GC && since >= goal) {
            /* GOGC=100: next cycle when the heap has grown by the live bytes. */
            double g0 = cpu_ns();
            ga_gc_begin(h);
            double m0 = cpu_ns();
            for (unsigned j = 0; j < WL_LIVE; j++)
                if (win[j])
                    ga_mark(h, win[j]);
            mark_ns += cpu_ns() - m0;
            ga_gc_end(h);
            gc_ns += cpu_ns() - g0;
            cycles++;
            since = 0;
            goal = live_bytes > WL_MIN_HEAP ? live_bytes : WL_MIN_HEAP;
        }
    }
    double t1 = now_ns(), c1 = cpu_ns();
    report(mode_name[mode], t1 - t0, c1 - c0, ops, h, cycles, gc_ns, mark_ns);
    ga_cache_destroy(c);
    ga_heap_destroy(h);
    free(win);
    free(wsz);
}

/* Floors: what any allocator pays on this workload.  floor-loop runs the loop alone
 * (sizes, window stores, the byte count window-gc keeps), no allocation; floor-zero
 * also zeroes each object's size-class bytes (its own size for a tiny object, about
 * what its share of a 16-byte block costs), laid out one after another in a ring as
 * large as window-gc's heap (the most favourable pattern for the stores: sequential).
 * Go with GOGC=100 zeroes the same bytes (slots of spans reused after a sweep), so
 * floor-zero bounds how far below Go's time per object an allocator can go. */
static void run_floor(bool zero, unsigned ops) {
    const size_t ring_bytes = (size_t)68 << 20;
    void **win = calloc(WL_LIVE, sizeof *win);
    size_t *wsz = calloc(WL_LIVE, sizeof *wsz);
    char *ring = zero ? malloc(ring_bytes) : NULL;
    if (!win || !wsz || (zero && !ring))
        die("calloc");
    if (zero)
        memset(ring, 1, ring_bytes); /* mapped before timing, like a warm heap */
    uint64_t s = WL_SEED;
    size_t live_bytes = 0, pos = 0;
    double c0 = cpu_ns(), t0 = now_ns();
    for (unsigned i = 0; i < ops; i++) {
        size_t n = wl_size(&s);
        unsigned k = i % WL_LIVE;
        void *p = &win[k]; /* any non-NULL pointer */
        if (zero) {
            size_t slot = n < GA_TINY_SIZE ? n : ga_class_size[ga_size_to_class(n)];
            if (pos + slot > ring_bytes)
                pos = 0;
            p = ring + pos;
            memset(p, 0, slot);
            pos += slot;
        }
        /* keep the stores: the compiler must assume the memory is read */
        __asm__ volatile("" : : "r"(p) : "memory");
        live_bytes += n - wsz[k];
        win[k] = p;
        wsz[k] = n;
    }
    double t1 = now_ns(), c1 = cpu_ns();
    printf("floor   %-12s %8.1f ns/object (cpu %.1f)  live %zu B\n", zero ? "loop+zero" : "loop", (t1 - t0) / ops,
           (c1 - c0) / ops, live_bytes);
    free(ring);
    free(win);
    free(wsz);
}

static void run_glibc(unsigned ops) {
    void **win = calloc(WL_LIVE, sizeof *win);
    if (!win)
        die("calloc");
    uint64_t s = WL_SEED;
    double c0 = cpu_ns(), t0 = now_ns();
    for (unsigned i = 0; i < ops; i++) {
        size_t n = wl_size(&s);
        unsigned k = i % WL_LIVE;
        free(win[k]);
        /* calloc: Go's make([]byte) and ga_alloc without GA_NOZERO both zero. */
        win[k] = calloc(1, n);
        if (!win[k])
            die("calloc");
    }
    double t1 = now_ns(), c1 = cpu_ns();
    printf("glibc   %-12s %8.1f ns/object (cpu %.1f)\n", "calloc-free", (t1 - t0) / ops, (c1 - c0) / ops);
    for (unsigned k = 0; k < WL_LIVE; k++)
        free(win[k]);
    free(win);
}

int main(int argc, char **argv) {
    unsigned ops = WL_OPS;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--ops=", 6))
            ops = (unsigned)strtoul(argv[i] + 6, NULL, 10);
        else
            only = argv[i];
    }
    if (!only || !strcmp(only, "window-nogc"))
        run(NOGC, ops);
    if (!only || !strcmp(only, "window-gc"))
        run(GC, ops);
    if (!only || !strcmp(only, "window-free"))
        run(FREE, ops);
    if (!only || !strcmp(only, "glibc-free"))
        run_glibc(ops);
    if (!only || !strcmp(only, "floor-loop"))
        run_floor(false, ops);
    if (!only || !strcmp(only, "floor-zero"))
        run_floor(true, ops);
    return 0;
}
