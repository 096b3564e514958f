/* A program for GOALLOC_TRACE's end-to-end test (tests/dropin/trace_e2e.sh): every
 * function of the drop-in, from two threads, objects freed by the other thread,
 * failures, bad frees (run with GOALLOC_BAD_FREE=warn) and a fork whose child
 * allocates (its calls must not reach the parent's trace).  Knows nothing of goalloc:
 * plain C library calls.  Prints the number of calls of each kind it made itself, which
 * the test compares with the trace. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 3000
#define HANDOFF 64

static void *handoff[HANDOFF]; /* main's objects, freed by the worker */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int handed;

/* The compiler may drop an allocation nobody reads (a malloc/free pair): not these. */
static void use(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static size_t size_of(unsigned i) {
    static const size_t sizes[] = {1, 8, 9, 24, 100, 500, 1024, 3000, 8192, 20000, 32768, 40000, 300000};
    return sizes[i % (sizeof sizes / sizeof *sizes)];
}

static void *worker(void *arg) {
    (void)arg;
    for (unsigned i = 0; i < ROUNDS; i++) {
        void *p = malloc(size_of(i * 7));
        memset(p, 1, size_of(i * 7));
        void *q = realloc(p, size_of(i * 7 + 3));
        use(q);
        free(q);
    }
    pthread_mutex_lock(&lock);
    while (!handed)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < HANDOFF; i++)
        free(handoff[i]); /* cross-thread frees */
    return NULL;
}

int main(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    unsigned long aligned = 0, usable = 0;
    for (unsigned i = 0; i < ROUNDS; i++) {
        void *a = malloc(size_of(i));
        void *b = calloc(3, size_of(i + 1));
        void *c = NULL;
        size_t al = (size_t)8 << (i % 16); /* 8 B .. 256 KiB: classes, pages, over-allocation */
        if (posix_memalign(&c, al, size_of(i + 2)) != 0)
            return 2;
        aligned++;
        /* Requests whose rounded size falls in a class that is not a multiple of the
         * alignment (2688 for 2560 at 256, 4864 for 4608 at 512, ...): the drop-in must
         * move up to the next class that is (dropin/request.h). */
        static const size_t odd_class[][2] = {{256, 2500}, {512, 4500}, {1024, 5000}, {2048, 26000}, {64, 3100}};
        void *o = NULL;
        if (posix_memalign(&o, odd_class[i % 5][0], odd_class[i % 5][1]) != 0 || (uintptr_t)o % odd_class[i % 5][0] ||
            (uintptr_t)c % al)
            return 2;
        aligned++;
        use(o);
        usable += malloc_usable_size(a) > 0;
        use(b);
        use(c);
        a = reallocarray(a, 2, size_of(i + 5));
        free(a);
        free(b);
        free(c);
        free(o);
    }
    volatile size_t odd = 24; /* not a power of two: memalign rounds it up (volatile: no compiler warning) */
    void *d = aligned_alloc(64, 100), *e = memalign(odd, 50), *f = valloc(10), *g = pvalloc(5000);
    aligned += 4;
    use(d), use(e), use(f), use(g);
    errno = 0;
    volatile size_t huge = SIZE_MAX; /* volatile: the compiler must not see it coming */
    void *fail = malloc(huge);       /* NULL + ENOMEM */
    use(fail);                       /* else clang drops the call and takes the result for non-NULL */
    if (fail || errno != ENOMEM)
        return 3;
    for (int i = 0; i < HANDOFF; i++)
        use(handoff[i] = malloc(size_of((unsigned)i)));
    pthread_mutex_lock(&lock);
    handed = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);

    pid_t pid = fork(); /* the child's calls go to no trace */
    if (pid == 0) {
        for (int i = 0; i < 1000; i++) {
            void *x = malloc(64);
            use(x);
            free(x);
        }
        exit(0); /* destructors run: an untouched tracer would write its buffer here */
    }
    waitpid(pid, NULL, 0);

    char *volatile h = malloc(100); /* volatile: the compiler must not see the bad frees coming */
    char *volatile inner = h + 16;
    free(inner); /* bad: interior pointer */
    free(h);
    free(h); /* bad: double free */
    free(d);
    free(e);
    free(f);
    free(g);
    printf("aligned %lu usable %lu bad 2\n", aligned, usable);
    return 0;
}
