/* GOALLOC_TRACE=path: every call of the malloc drop-in, recorded compactly, in the
 * global order of calls across threads; fuzz/trace2fuzz.py cuts a trace into inputs of
 * fuzz/trace_fuzz.c.
 *
 * Order: a traced call runs whole under one lock (trace_lock), so the file's order is
 * the order in which the allocator saw the calls: a free is always before the malloc
 * that gets its address back, on any thread.  That serialises a traced program's
 * allocations, which is the price of an exact order (tracing is for recording, not for
 * measuring).  The lock is the outermost: a hook takes it before any lock of the
 * drop-in or the heap, and the fork handlers take it first.
 *
 * Never malloc: the buffer is mmap'd, the file written with write(2), the thread
 * number kept in TLS (initial-exec, allocated with the thread).
 *
 * File format (little-endian; version 1):
 *   header, 16 bytes: magic "GATRACE\0", u16 version = 1, u16 header bytes = 16,
 *                     u32 pid
 *   records, one per call, in order:
 *     u8 tag: bits 0-3 op, bit 4: a thread number follows (the calling thread is not
 *             the previous record's), bit 5: failed (NULL result, posix_memalign's
 *             error, or a bad free): an errno value follows the record's fields
 *     [varint thread]   threads are numbered 1, 2, ... in order of their first call
 *     fields by op (v = unsigned LEB128 varint, P = pointer):
 *        1 malloc         v n, P result
 *        2 free           P p, v -r (0 freed, 22 EINVAL: not an object, 114 EALREADY)
 *        3 calloc         v k, v n, P result
 *        4 realloc        P p, v n, P result
 *        5 reallocarray   P p, v k, v n, P result
 *        6 posix_memalign v align, v n, v rc, P result (NULL when rc != 0)
 *        7 aligned_alloc  v align, v n, P result
 *        8 memalign       v align, v n, P result
 *        9 valloc         v n, P result
 *       10 pvalloc        v n, P result
 *       11 malloc_usable_size  P p, v result
 *       12 thread end     (the thread's cache was released: it exited)
 *     [v errno]         when bit 5 is set (free: 0; the -r field says what)
 *   P: varint 0 = NULL, else zigzag(p - q) + 1, where q is the previous non-NULL P of
 *   the file (0 at first): addresses near the last one cost 2-4 bytes.
 * Calls made before the drop-in's constructor ran are not recorded (frees of such
 * objects show as frees of pointers never returned).
 *
 * Processes: the path is opened (truncated) at load.  A "%p" in it is replaced by the
 * process id and the variable kept, so that exec'd children trace to their own files;
 * without "%p" the variable is removed from the environment, so that children do not
 * truncate the parent's file.  A forked child stops tracing (its records would
 * interleave with the parent's).  The buffer is written when full, at exit (after
 * which each record is written at once: other destructors may still free), and before
 * a bad free aborts. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace.h"

/* The exported functions (dropin/malloc.c), called again with tracing held off. */
extern void *malloc(size_t);
extern void free(void *);
extern void *calloc(size_t, size_t);
extern void *realloc(void *, size_t);
extern void *reallocarray(void *, size_t, size_t);
extern int posix_memalign(void **, size_t, size_t);
extern void *aligned_alloc(size_t, size_t);
extern void *memalign(size_t, size_t);
extern void *valloc(size_t);
extern void *pvalloc(size_t);
extern size_t malloc_usable_size(void *);

enum {
    OP_MALLOC = 1,
    OP_FREE,
    OP_CALLOC,
    OP_REALLOC,
    OP_REALLOCARRAY,
    OP_POSIX_MEMALIGN,
    OP_ALIGNED_ALLOC,
    OP_MEMALIGN,
    OP_VALLOC,
    OP_PVALLOC,
    OP_USABLE,
    OP_THREAD_END,
};
#define TAG_THREAD 0x10
#define TAG_FAILED 0x20
#define BUF_BYTES ((size_t)1 << 20)
#define REC_MAX 96 /* a record's most bytes: tag + 5 varints of 10 + slack */

bool ga_trace_on;
_Thread_local __attribute__((tls_model("initial-exec"))) unsigned ga_trace_depth;

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static int fd = -1;
static unsigned char *buf;
static size_t used;
static uintptr_t last_ptr;
static unsigned last_thread;
static bool write_through; /* after the exit flush */
static atomic_uint threads;
static _Thread_local __attribute__((tls_model("initial-exec"))) unsigned my_thread;

/* The call in progress on this thread (for ga_trace_bad_free). */
typedef struct call {
    unsigned op;
    uintptr_t p;
    size_t a, b;
    int r; /* free: its result */
    bool recorded;
} call;
static _Thread_local __attribute__((tls_model("initial-exec"))) call cur;

static void flush_locked(void) {
    size_t off = 0;
    while (off < used) {
        ssize_t w = write(fd, buf + off, used - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) /* disk full or closed: give up tracing rather than block the program */
            break;
        off += (size_t)w;
    }
    used = 0;
}

static unsigned char *put_v(unsigned char *o, uint64_t v) {
    while (v >= 0x80) {
        *o++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *o++ = (unsigned char)v;
    return o;
}

static unsigned char *put_p(unsigned char *o, const void *ptr) {
    uintptr_t p = (uintptr_t)ptr;
    if (!p)
        return put_v(o, 0);
    int64_t d = (int64_t)(p - last_ptr);
    last_ptr = p;
    return put_v(o, (((uint64_t)d << 1) ^ (uint64_t)(d >> 63)) + 1);
}

/* Append one record (trace_lock held).  res: the pointer result; val: a value result
 * (free's -r, usable size, posix_memalign's rc); err: errno if failed. */
static void append(unsigned op, bool failed, const call *c, const void *res, size_t val, int err) {
    if (!my_thread)
        my_thread = atomic_fetch_add(&threads, 1) + 1;
    if (used + REC_MAX > BUF_BYTES)
        flush_locked();
    unsigned char *o = buf + used, *tag = o++;
    *tag = (unsigned char)(op | (failed ? TAG_FAILED : 0));
    if (my_thread != last_thread) {
        *tag |= TAG_THREAD;
        o = put_v(o, my_thread);
        last_thread = my_thread;
    }
    switch (op) {
    case OP_MALLOC:
    case OP_VALLOC:
    case OP_PVALLOC:
        o = put_v(o, c->a);
        o = put_p(o, res);
        break;
    case OP_FREE:
        o = put_p(o, (void *)c->p);
        o = put_v(o, val);
        break;
    case OP_CALLOC:
    case OP_ALIGNED_ALLOC:
    case OP_MEMALIGN:
        o = put_v(o, c->a);
        o = put_v(o, c->b);
        o = put_p(o, res);
        break;
    case OP_REALLOC:
        o = put_p(o, (void *)c->p);
        o = put_v(o, c->a);
        o = put_p(o, res);
        break;
    case OP_REALLOCARRAY:
        o = put_p(o, (void *)c->p);
        o = put_v(o, c->a);
        o = put_v(o, c->b);
        o = put_p(o, res);
        break;
    case OP_POSIX_MEMALIGN:
        o = put_v(o, c->a);
        o = put_v(o, c->b);
        o = put_v(o, val);
        o = put_p(o, res);
        break;
    case OP_USABLE:
        o = put_p(o, (void *)c->p);
        o = put_v(o, val);
        break;
    default: /* OP_THREAD_END */
        break;
    }
    if (failed)
        o = put_v(o, (uint64_t)(err < 0 ? 0 : err));
    used = (size_t)(o - buf);
    if (write_through)
        flush_locked();
}

/* ---- around each call ------------------------------------------------------------- */
static void enter(unsigned op, uintptr_t p, size_t a, size_t b) {
    pthread_mutex_lock(&trace_lock);
    ga_trace_depth++;
    cur = (call){op, p, a, b, 0, false};
}

static void leave_ptr(void *res, int err) {
    ga_trace_depth--;
    if (!cur.recorded)
        append(cur.op, res == NULL, &cur, res, 0, err);
    pthread_mutex_unlock(&trace_lock);
    errno = err;
}

void *ga_trace_malloc(size_t n) {
    enter(OP_MALLOC, 0, n, 0);
    void *r = malloc(n);
    leave_ptr(r, errno);
    return r;
}

void *ga_trace_calloc(size_t k, size_t n) {
    enter(OP_CALLOC, 0, k, n);
    void *r = calloc(k, n);
    leave_ptr(r, errno);
    return r;
}

void *ga_trace_realloc(void *p, size_t n) {
    enter(OP_REALLOC, (uintptr_t)p, n, 0);
    void *r = realloc(p, n);
    leave_ptr(r, errno);
    return r;
}

void *ga_trace_reallocarray(void *p, size_t k, size_t n) {
    enter(OP_REALLOCARRAY, (uintptr_t)p, k, n);
    void *r = reallocarray(p, k, n);
    leave_ptr(r, errno);
    return r;
}

void *ga_trace_aligned_alloc(size_t align, size_t n) {
    enter(OP_ALIGNED_ALLOC, 0, align, n);
    void *r = aligned_alloc(align, n);
    leave_ptr(r, errno);
    return r;
}

void *ga_trace_memalign(size_t align, size_t n) {
    enter(OP_MEMALIGN, 0, align, n);
    void *r = memalign(align, n);
    leave_ptr(r, errno);
    return r;
}

void *ga_trace_valloc(size_t n) {
    enter(OP_VALLOC, 0, n, 0);
    void *r = valloc(n);
    leave_ptr(r, errno);
    return r;
}

void *ga_trace_pvalloc(size_t n) {
    enter(OP_PVALLOC, 0, n, 0);
    void *r = pvalloc(n);
    leave_ptr(r, errno);
    return r;
}

int ga_trace_posix_memalign(void **out, size_t align, size_t n) {
    enter(OP_POSIX_MEMALIGN, 0, align, n);
    void *p = NULL;
    int rc = posix_memalign(&p, align, n);
    int err = errno;
    ga_trace_depth--;
    append(OP_POSIX_MEMALIGN, rc != 0, &cur, rc ? NULL : p, (size_t)rc, rc);
    pthread_mutex_unlock(&trace_lock);
    errno = err;
    if (rc == 0)
        *out = p;
    return rc;
}

void ga_trace_free(void *p) {
    int err = errno;
    enter(OP_FREE, (uintptr_t)p, 0, 0);
    free(p);
    ga_trace_depth--;
    if (!cur.recorded)
        append(OP_FREE, cur.r != 0, &cur, NULL, (size_t)-cur.r, 0);
    pthread_mutex_unlock(&trace_lock);
    errno = err;
}

size_t ga_trace_malloc_usable_size(void *p) {
    int err = errno;
    enter(OP_USABLE, (uintptr_t)p, 0, 0);
    size_t u = malloc_usable_size(p);
    ga_trace_depth--;
    append(OP_USABLE, false, &cur, NULL, u, 0);
    pthread_mutex_unlock(&trace_lock);
    errno = err;
    return u;
}

void ga_trace_bad_free(int r, bool fatal) {
    if (!ga_trace_on || ga_trace_depth == 0)
        return; /* not inside a traced call */
    cur.r = r;
    if (!fatal)
        return;
    /* abort() follows: record the call now (a free: its result; a realloc: NULL +
     * EINVAL, what it would have returned) and write everything out. */
    if (cur.op == OP_FREE)
        append(OP_FREE, true, &cur, NULL, (size_t)-r, 0);
    else
        append(cur.op, true, &cur, NULL, 0, EINVAL);
    cur.recorded = true;
    flush_locked();
}

void ga_trace_thread_end(void) {
    if (!ga_trace_on || !my_thread)
        return;
    pthread_mutex_lock(&trace_lock);
    call c = {0};
    append(OP_THREAD_END, false, &c, NULL, 0, 0);
    pthread_mutex_unlock(&trace_lock);
}

/* ---- setup, fork, exit ------------------------------------------------------------ */
static void fork_prepare(void) { pthread_mutex_lock(&trace_lock); }
static void fork_parent(void) { pthread_mutex_unlock(&trace_lock); }
static void fork_child(void) {
    ga_trace_on = false; /* the parent writes its records; the child's would interleave */
    close(fd);
    fd = -1;
    pthread_mutex_unlock(&trace_lock);
}

static void put_u32(unsigned char *o, uint32_t v) {
    for (int i = 0; i < 4; i++)
        o[i] = (unsigned char)(v >> (8 * i));
}

void ga_trace_init(void) {
    const char *path = getenv("GOALLOC_TRACE");
    if (!path || !*path)
        return;
    char name[4096];
    size_t o = 0;
    bool per_pid = false;
    for (const char *s = path; *s && o < sizeof name - 24; s++) {
        if (s[0] == '%' && s[1] == 'p') {
            char digits[24];
            int nd = 0;
            for (unsigned long pid = (unsigned long)getpid(); pid || !nd; pid /= 10)
                digits[nd++] = (char)('0' + pid % 10);
            while (nd)
                name[o++] = digits[--nd];
            s++;
            per_pid = true;
        } else {
            name[o++] = *s;
        }
    }
    name[o] = 0;
    if (!per_pid)
        unsetenv("GOALLOC_TRACE"); /* glibc's unsetenv allocates nothing */
    fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    void *b = mmap(NULL, BUF_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED) {
        close(fd);
        fd = -1;
        return;
    }
    buf = b;
    memcpy(buf, "GATRACE\0", 8);
    buf[8] = 1, buf[9] = 0;    /* version */
    buf[10] = 16, buf[11] = 0; /* header bytes */
    put_u32(buf + 12, (uint32_t)getpid());
    used = 16;
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    ga_trace_on = true;
}

__attribute__((destructor)) static void trace_at_exit(void) {
    if (!ga_trace_on)
        return;
    pthread_mutex_lock(&trace_lock);
    flush_locked();
    write_through = true;
    pthread_mutex_unlock(&trace_lock);
}
