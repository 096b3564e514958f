/* The malloc drop-in seen from a program that knows nothing of goalloc: run with
 * LD_PRELOAD=libgoalloc-malloc.so (ctest sets it).  Checks the C and POSIX contracts
 * (sizes, alignment, errors), threads with cross-thread frees, fork, and bad frees in
 * each GOALLOC_BAD_FREE mode (in child processes: the default ends the process).
 *   test_dropin                  all checks
 *   test_dropin bad <kind>       (child) one bad free: interior | double | foreign */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/check.h"

extern char **environ;

/* Calls the compiler must not see through: the bad calls below are the point. */
static void (*volatile free_v)(void *) = free;
static void *(*volatile malloc_v)(size_t) = malloc;
static void *(*volatile calloc_v)(size_t, size_t) = calloc;
static void *(*volatile reallocarray_v)(void *, size_t, size_t) = reallocarray;
static void *(*volatile aligned_alloc_v)(size_t, size_t) = aligned_alloc;
static void *(*volatile memalign_v)(size_t, size_t) = memalign;

static int aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static void fill(unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}
static int same(const unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7))
            return 0;
    return 1;
}

static void test_sizes(void) {
    void *z1 = malloc(0), *z2 = malloc(0);
    CHECK(z1 && z2 && z1 != z2);
    free(z1), free(z2);
    for (size_t n = 1; n <= 40000; n += n < 64 ? 1 : n / 7) {
        unsigned char *p = malloc(n);
        CHECK(p != NULL);
        CHECK(aligned(p, n <= 8 ? 8 : 16));
        CHECK(malloc_usable_size(p) >= n);
        fill(p, n, (unsigned)n);
        CHECK(same(p, n, (unsigned)n));
        free(p);
    }
    unsigned char *c = calloc(1000, 33);
    CHECK(c != NULL);
    for (size_t i = 0; c && i < 33000; i++)
        CHECK(c[i] == 0);
    free(c);
    errno = 0;
    CHECK(calloc_v(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(malloc_v(SIZE_MAX) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(malloc_v(SIZE_MAX - 8) == NULL && errno == ENOMEM);
    CHECK(malloc_usable_size(NULL) == 0);
}

static void test_realloc(void) {
    unsigned char *p = realloc(NULL, 10);
    CHECK(p != NULL);
    fill(p, 10, 1);
    for (size_t n = 10; n < 3000000; n = n * 3 / 2 + 1) {
        size_t keep = n < 10 ? n : 10;
        unsigned char *q = realloc(p, n);
        CHECK(q != NULL);
        if (!q)
            return;
        CHECK(same(q, keep, 1));
        p = q;
    }
    unsigned char *q = realloc(p, 5); /* far smaller: moved, contents kept */
    CHECK(q && same(q, 5, 1));
    p = q;
    q = realloc(p, 6); /* fits the slot: in place */
    CHECK(q == p);
    errno = 0;
    CHECK(reallocarray_v(q, SIZE_MAX / 4, 8) == NULL && errno == ENOMEM); /* q untouched */
    q = reallocarray(q, 4, 4);
    CHECK(q && same(q, 5, 1));
    CHECK(realloc(q, 0) == NULL); /* frees, as glibc does */
}

static void test_aligned(void) {
    void *p = (void *)1;
    CHECK(posix_memalign(&p, 3, 10) == EINVAL && p == (void *)1);
    CHECK(posix_memalign(&p, sizeof(void *) / 2, 10) == EINVAL);
    CHECK(posix_memalign(&p, 16, SIZE_MAX - 4) == ENOMEM);
    CHECK(posix_memalign(&p, 4096, SIZE_MAX - 4) == ENOMEM);
    CHECK(posix_memalign(&p, (size_t)1 << 20, SIZE_MAX - 4) == ENOMEM);
    static const size_t sizes[] = {0, 1, 24, 100, 5000, 40000, 300000};
    for (size_t a = sizeof(void *); a <= ((size_t)1 << 21); a <<= 1)
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            size_t n = sizes[k];
            CHECK(posix_memalign(&p, a, n) == 0);
            CHECK(p && aligned(p, a));
            CHECK(malloc_usable_size(p) >= n);
            memset(p, 0xab, n);
            unsigned char *q = aligned_alloc(a, n);
            CHECK(q && aligned(q, a));
            memset(q, 0xcd, n);
            CHECK(n == 0 || ((unsigned char *)p)[n - 1] == 0xab);
            free(p);
            q = realloc(q, n + 100); /* an aligned block can be reallocated */
            CHECK(q && (n == 0 || q[n - 1] == 0xcd));
            free(q);
        }
    errno = 0;
    CHECK(aligned_alloc_v(24, 100) == NULL && errno == EINVAL);
    p = memalign_v(24, 100); /* rounded up to 32 */
    CHECK(p && aligned(p, 32));
    free(p);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    p = valloc(100);
    CHECK(p && aligned(p, pg));
    free(p);
    p = pvalloc(pg + 1);
    CHECK(p && aligned(p, pg) && malloc_usable_size(p) >= 2 * pg);
    free(p);
}

/* Threads: each allocates, hands half its objects to the next thread to free. */
#define NT 4
#define PER 20000
static void *handoff[NT][PER];
static pthread_barrier_t bar;

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER; i++) {
        size_t n = 1 + (size_t)(i * 37 + t) % (i % 97 == 0 ? 70000 : 600);
        unsigned char *p = malloc(n);
        if (!p)
            return (void *)1;
        fill(p, n < 16 ? n : 16, (unsigned)i);
        handoff[t][i] = p;
        if (i % 2) {
            free(p);
            handoff[t][i] = NULL;
        }
    }
    pthread_barrier_wait(&bar);
    for (int i = 0; i < PER; i++) {
        unsigned char *p = handoff[(t + 1) % NT][i];
        if (p) {
            if (!same(p, 1, (unsigned)i))
                return (void *)2;
            free(p);
        }
    }
    return NULL;
}

static void test_threads(void) {
    for (int round = 0; round < 3; round++) { /* threads come and go: caches made and released */
        pthread_t th[NT];
        pthread_barrier_init(&bar, NULL, NT);
        for (int t = 0; t < NT; t++)
            CHECK(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
        for (int t = 0; t < NT; t++) {
            void *r;
            pthread_join(th[t], &r);
            CHECK(r == NULL);
        }
        pthread_barrier_destroy(&bar);
    }
}

static void test_fork(void) {
    void *keep = malloc(1000);
    pid_t pid = fork();
    if (pid == 0) {
        int ok = 1;
        for (int i = 0; i < 10000; i++) {
            void *p = malloc((size_t)i % 5000 + 1);
            ok &= p != NULL;
            free(p);
        }
        free(keep);
        _exit(ok ? 0 : 1);
    }
    int st;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    free(keep);
}

/* fork while other threads allocate and free: the child must find no lock held (an
 * alarm ends a child that deadlocks) and a heap it can use. */
static atomic_int churn_stop;
static void *churn(void *arg) {
    unsigned k = (unsigned)(intptr_t)arg;
    void *keep[64] = {0};
    while (!atomic_load(&churn_stop)) {
        unsigned i = (k = k * 1103515245u + 12345u) >> 16;
        free(keep[i % 64]);
        keep[i % 64] = malloc(i % 3 ? i % 2000 + 1 : i % 100000 + 1);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return NULL;
}

static void test_fork_busy(void) {
    pthread_t th[3];
    for (int t = 0; t < 3; t++)
        CHECK(pthread_create(&th[t], NULL, churn, (void *)(intptr_t)(t + 1)) == 0);
    int bad = 0;
    for (int f = 0; f < 100 && !bad; f++) { /* the first child that fails ends it */
        pid_t pid = fork();
        if (pid == 0) {
            alarm(10);
            int ok = 1;
            for (int i = 0; i < 2000; i++) {
                void *p = malloc((size_t)(i * 131) % 50000 + 1);
                ok &= p != NULL;
                free(p);
            }
            _exit(ok ? 0 : 1);
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
    }
    CHECK(bad == 0);
    atomic_store(&churn_stop, 1);
    for (int t = 0; t < 3; t++)
        pthread_join(th[t], NULL);
}

/* Resident bytes of this process (/proc/self/statm), read without malloc. */
static size_t rss(void) {
    char buf[128];
    FILE *f = fopen("/proc/self/statm", "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    unsigned long size = 0, res = 0;
    sscanf(buf, "%lu %lu", &size, &res);
    return res * (size_t)sysconf(_SC_PAGESIZE);
}

/* Freed memory goes back to the OS (GOALLOC_SCAVENGE=idle, the default): a 64 MiB
 * block freed, then 1 MiB blocks allocated and freed until their pages add up to twice
 * the heap (two epochs of the scavenger's clock); the 64 MiB stayed idle through the
 * second and is released.  (A buffer
 * grown by realloc gives its old blocks back as it moves: test_realloc_growth.) */
static void test_release(void) {
    const size_t big = (size_t)64 << 20;
    char *p = malloc_v(big); /* through a volatile pointer: no malloc/memset/free elision */
    CHECK(p != NULL);
    memset(p, 1, big);
    size_t touched = rss();
    free_v(p);
    for (int i = 0; i < 200; i++) { /* 200 MiB allocated: twice the heap, two epochs */
        char *q = malloc_v((size_t)1 << 20);
        CHECK(q != NULL);
        q[0] = 1;
        free_v(q);
    }
    size_t after = rss();
    CHECK(after + big * 3 / 4 <= touched, "rss %zu MiB with the block, %zu MiB after it stayed idle", touched >> 20,
          after >> 20);
}

/* Objects one thread allocated and another freed, after the first one exited: their
 * spans sit in mcentral with pending frees that no refill of their class comes to
 * reclaim.  The drop-in's tick (every 65,536 calls of a thread) reclaims them with a
 * budgeted free sweep, frees the empty spans, and the scavenger releases their pages
 * once they stayed idle through an epoch. */
#define HANDED 200000
static char *handed[HANDED];
static void *hand_over(void *arg) {
    (void)arg;
    for (int i = 0; i < HANDED; i++) {
        handed[i] = malloc_v(256);
        if (!handed[i])
            return (void *)1;
        memset(handed[i], 3, 256);
    }
    return NULL;
}

static void test_release_handed(void) {
    pthread_t t;
    void *r;
    CHECK(pthread_create(&t, NULL, hand_over, NULL) == 0 && pthread_join(t, &r) == 0 && r == NULL);
    size_t full = rss();
    for (int i = 0; i < HANDED; i++)
        free_v(handed[i]);
    for (int i = 0; i < 16000000; i++) /* 488 ticks: sweeps, then epochs of 64 ticks */
        free_v(malloc_v(16));
    size_t after = rss();
    CHECK(after + ((size_t)40 << 20) <= full, "51 MB freed by another thread: rss %zu MiB, then %zu MiB", full >> 20,
          after >> 20);
}

/* Run first, while little freed memory is resident that the buffer could reuse. */
static void test_realloc_growth(void) {
    const size_t big = (size_t)64 << 20;
    size_t n = 4096, base = rss();
    char *g = malloc(n);
    CHECK(g != NULL);
    memset(g, 2, n);
    while (n < big) { /* doubling: old + new at most, not every old block kept resident */
        char *h = realloc(g, 2 * n);
        CHECK(h != NULL);
        memset(h + n, 2, n);
        g = h, n *= 2;
    }
    size_t grown = rss();
    CHECK(grown <= base + big + big / 4, "growing to 64 MiB: rss %zu MiB over %zu MiB", grown >> 20, base >> 20);
    CHECK(g[0] == 2 && g[big / 2] == 2 && g[big - 1] == 2);
    free(g);
}

/* Run this program as `bad kind` with GOALLOC_BAD_FREE=mode; its status and stderr. */
static int run_bad(const char *kind, const char *mode, char *err, size_t cap) {
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 2);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    char modevar[64];
    snprintf(modevar, sizeof modevar, "GOALLOC_BAD_FREE=%s", mode);
    char *env[256];
    size_t ne = 0;
    for (char **e = environ; *e && ne < 254; e++)
        if (strncmp(*e, "GOALLOC_BAD_FREE=", 17) != 0)
            env[ne++] = *e;
    if (*mode)
        env[ne++] = modevar;
    if (strcmp(kind, "checked") == 0)
        env[ne++] = "GOALLOC_CHECK=101";
    env[ne] = NULL;
    char *argv[] = {"test_dropin", "bad", (char *)kind, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env);
    close(fd[1]);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        close(fd[0]);
        return -1;
    }
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = read(fd[0], err + got, cap - 1 - got)) > 0)
        got += (size_t)r;
    err[got] = 0;
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    return st;
}

static int bad_child(const char *kind) {
    char *p = malloc(100);
    if (strcmp(kind, "interior") == 0)
        free_v(p + 16);
    else if (strcmp(kind, "double") == 0)
        free_v(p), free_v(p);
    else {
        static char not_heap[64];
        free_v(not_heap);
    }
    /* Reached under warn and ignore: the heap still works. */
    void *q = malloc(200);
    free(q);
    printf("survived\n");
    return 0;
}

static void test_bad_free(void) {
    static const struct {
        const char *kind, *says;
    } cases[] = {{"interior", "invalid pointer"}, {"double", "double free"}, {"foreign", "invalid pointer"}};
    char err[1024];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int st = run_bad(cases[i].kind, "", err, sizeof err);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
        CHECK(strstr(err, cases[i].says) != NULL);
        st = run_bad(cases[i].kind, "warn", err, sizeof err);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(err, cases[i].says) != NULL);
        st = run_bad(cases[i].kind, "ignore", err, sizeof err);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && err[0] == 0);
    }
}

/* GOALLOC_CHECK=N with threads: the checker runs while other threads allocate and free
 * (the drop-in holds them off while it checks) and across fork. */
static void test_checked(void) {
    char err[1024];
    int st = run_bad("checked", "", err, sizeof err);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child with GOALLOC_CHECK=101: status %#x, stderr: %s", st, err);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "bad") == 0 && strcmp(argv[2], "checked") == 0) {
        test_threads();
        test_fork_busy();
        return check_report();
    }
    if (argc == 3 && strcmp(argv[1], "bad") == 0)
        return bad_child(argv[2]);
    if (!dlsym(RTLD_DEFAULT, "ga_heap_new")) {
        fprintf(stderr, "test_dropin: libgoalloc-malloc.so is not loaded (LD_PRELOAD it)\n");
        return 1;
    }
    test_realloc_growth();
    test_sizes();
    test_realloc();
    test_aligned();
    test_threads();
    test_fork();
    test_fork_busy();
    test_bad_free();
    test_release();
    test_release_handed();
    test_checked();
    return check_report();
}
