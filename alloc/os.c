/* OS layer (Go's mem.go / mem_linux.go): state transitions over mmap/mprotect/madvise,
 * behind a hook table, with byte counters per state and fault injection.
 *
 * Choices, and why:
 *  - reserve: mmap(hint, PROT_NONE) without MAP_FIXED, as Go.  The kernel may place it
 *    elsewhere (hint occupied, or out of range); the address returned is the truth and
 *    callers that need a particular place must check it.
 *  - map (Reserved -> Prepared): mprotect(RW), not Go's mmap(MAP_FIXED, RW).  Both get
 *    the commit charge at this point (reservations are PROT_NONE without NORESERVE, so
 *    strict overcommit refuses here, cleanly).  The difference is failure: MAP_FIXED
 *    first tears down the old mapping and may fail after that, leaving a hole that any
 *    other mmap can take; mprotect fails before changing anything, so a refused map
 *    leaves the range Reserved, as our contract requires.  Reserved ranges never hold
 *    stale data (fault and unmap replace them with fresh PROT_NONE mappings), so
 *    mprotect yields zero-filled pages just as a fresh mmap would.
 *  - used (Prepared -> Ready): nothing to do on Linux (Go only toggles THP advice).
 *  - unused (Ready -> Prepared): madvise(MADV_DONTNEED), Go 1.19's Linux default; the
 *    pages read as zero afterwards.
 *  - fault/unmap (-> Reserved): mmap(MAP_FIXED, PROT_NONE), as Go's sysFault: drops the
 *    contents and the commit charge.
 *  - free: munmap.
 *  - alloc (None -> Ready): one RW mmap when the hooks are the real OS; with custom
 *    hooks it is composed of reserve + map + used so that hooks see every byte.
 * Counters follow the caller's view: unused/free/fault never fail for the caller (as
 * in Go, OS errors there are ignored), they are counted in os_errors. */
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

/* The E-ACSL build (eacsl/) is told of every reservation, so that contracts' \valid
 * holds over goalloc's own memory, which E-ACSL's runtime does not observe. */
#ifdef GA_EACSL
#include "../eacsl/regions.h"
#define EACSL_ADD(p, n) ga_eacsl_region_add(p, n)
#define EACSL_REMOVE(p, n) ga_eacsl_region_remove(p, n)
#else
#define EACSL_ADD(p, n) ((void)0)
#define EACSL_REMOVE(p, n) ((void)0)
#endif

/* ---- the real OS ----------------------------------------------------------- */

static void *real_reserve(void *ctx, void *hint, size_t n) {
    (void)ctx;
    void *p = mmap(hint, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int real_map(void *ctx, void *v, size_t n) {
    (void)ctx;
    return mprotect(v, n, PROT_READ | PROT_WRITE) == 0 ? 0 : errno;
}

static int real_used(void *ctx, void *v, size_t n) {
    (void)ctx, (void)v, (void)n;
    return 0;
}

static int real_unused(void *ctx, void *v, size_t n) {
    (void)ctx;
    return madvise(v, n, MADV_DONTNEED) == 0 ? 0 : errno;
}

static int real_release(void *ctx, void *v, size_t n) {
    (void)ctx;
    return munmap(v, n) == 0 ? 0 : errno;
}

static int real_fault(void *ctx, void *v, size_t n) {
    (void)ctx;
    void *p = mmap(v, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    return p == MAP_FAILED ? errno : 0;
}

GA_HIDDEN const ga_os_hooks ga_os_real_hooks = {
    real_reserve, real_map, real_used, real_unused, real_release, real_fault, NULL,
};

void ga_os_init(ga_os *os, const ga_config *cfg) {
    const ga_os_hooks *h = cfg ? cfg->os : NULL;
    os->hooks = ga_os_real_hooks;
    if (h) {
        if (h->reserve)
            os->hooks.reserve = h->reserve;
        if (h->map)
            os->hooks.map = h->map;
        if (h->used)
            os->hooks.used = h->used;
        if (h->unused)
            os->hooks.unused = h->unused;
        if (h->release)
            os->hooks.release = h->release;
        if (h->fault)
            os->hooks.fault = h->fault;
        os->hooks.ctx = h->ctx;
    }
    os->fail_nth = cfg ? cfg->os_fail_nth : 0;
    os->fail_after = cfg ? cfg->os_fail_after : 0;
    os->mapped_limit = cfg ? cfg->mapped_limit : 0;
    atomic_init(&os->calls, 0);
    atomic_init(&os->refusals, 0);
    atomic_init(&os->reserved, 0);
    atomic_init(&os->mapped, 0);
    atomic_init(&os->ready, 0);
    atomic_init(&os->released_total, 0);
    atomic_init(&os->os_errors, 0);
    atomic_init(&os->limit_refusals, 0);
    atomic_init(&os->limit_asked, 0);
    atomic_init(&os->limit_mapped, 0);
}

/* ---- injection and accounting ---------------------------------------------- */

static int refused(ga_os *os) {
    atomic_fetch_add(&os->refusals, 1);
    errno = ENOMEM;
    return ENOMEM;
}

/* Counts one refusable call; nonzero if injection refuses it. */
static int injected(ga_os *os) {
    uint64_t n = atomic_fetch_add(&os->calls, 1) + 1;
    return (os->fail_nth && n == os->fail_nth) || (os->fail_after && n > os->fail_after);
}

/* Adds n to mapped unless that passes the limit (checked and added atomically).  A
 * refusal is recorded for the drivers, which check it against the limit themselves. */
static int charge_mapped(ga_os *os, size_t n) {
    size_t cur = atomic_load(&os->mapped);
    do {
        if (os->mapped_limit && (n > os->mapped_limit || cur > os->mapped_limit - n)) {
            atomic_store_explicit(&os->limit_asked, n, memory_order_relaxed);
            atomic_store_explicit(&os->limit_mapped, cur, memory_order_relaxed);
            atomic_fetch_add(&os->limit_refusals, 1);
            return -1;
        }
    } while (!atomic_compare_exchange_weak(&os->mapped, &cur, cur + n));
    return 0;
}

static void os_error(ga_os *os, int err) {
    if (err)
        atomic_fetch_add(&os->os_errors, 1);
}

/* ---- transitions ------------------------------------------------------------ */

void *ga_sys_reserve(ga_os *os, void *hint, size_t n) {
    if (injected(os) || n == 0) {
        refused(os);
        return NULL;
    }
    void *p = os->hooks.reserve(os->hooks.ctx, hint, n);
    if (!p) {
        refused(os);
        return NULL;
    }
    atomic_fetch_add(&os->reserved, n);
    EACSL_ADD(p, n);
    return p;
}

void *ga_sys_reserve_aligned(ga_os *os, void *hint, size_t n, size_t align) {
    if (align <= ga_phys_page_size())
        return ga_sys_reserve(os, hint, n);
    if (n > SIZE_MAX - align) {
        (void)injected(os); /* still a call, for the injection count */
        refused(os);
        return NULL;
    }
    char *r = ga_sys_reserve(os, hint, n + align);
    if (!r)
        return NULL;
    char *p = (char *)ga_align_up((uintptr_t)r, align);
    if (p > r)
        ga_sys_free(os, r, (size_t)(p - r), 0, 0);
    ga_sys_free(os, p + n, (size_t)(r + n + align - (p + n)), 0, 0);
    return p;
}

int ga_sys_map(ga_os *os, void *v, size_t n) {
    if (injected(os) || charge_mapped(os, n))
        return refused(os);
    int err = os->hooks.map(os->hooks.ctx, v, n);
    if (err) {
        atomic_fetch_sub(&os->mapped, n);
        return refused(os);
    }
    return 0;
}

int ga_sys_used(ga_os *os, void *v, size_t n, size_t prepared) {
    if (injected(os))
        return refused(os);
    if (os->hooks.used(os->hooks.ctx, v, n))
        return refused(os);
    atomic_fetch_add(&os->ready, prepared);
    return 0;
}

void ga_sys_unused(ga_os *os, void *v, size_t n) {
    os_error(os, os->hooks.unused(os->hooks.ctx, v, n));
    atomic_fetch_sub(&os->ready, n);
    atomic_fetch_add(&os->released_total, n);
}

void ga_sys_free(ga_os *os, void *v, size_t n, size_t mapped_bytes, size_t ready_bytes) {
    EACSL_REMOVE(v, n);
    os_error(os, os->hooks.release(os->hooks.ctx, v, n));
    atomic_fetch_sub(&os->reserved, n);
    atomic_fetch_sub(&os->mapped, mapped_bytes);
    atomic_fetch_sub(&os->ready, ready_bytes);
}

void ga_sys_unmap(ga_os *os, void *v, size_t n, size_t ready_bytes) {
    os_error(os, os->hooks.fault(os->hooks.ctx, v, n));
    atomic_fetch_sub(&os->mapped, n);
    atomic_fetch_sub(&os->ready, ready_bytes);
}

void ga_sys_fault(ga_os *os, void *v, size_t n) { ga_sys_unmap(os, v, n, n); }

static int real_os(const ga_os *os) {
    return os->hooks.reserve == real_reserve && os->hooks.map == real_map && os->hooks.used == real_used;
}

void *ga_sys_alloc(ga_os *os, size_t n) {
    if (injected(os) || n == 0 || charge_mapped(os, n)) {
        refused(os);
        return NULL;
    }
    void *p;
    if (real_os(os)) {
        p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            p = NULL;
    } else {
        p = os->hooks.reserve(os->hooks.ctx, NULL, n);
        if (p && (os->hooks.map(os->hooks.ctx, p, n) || os->hooks.used(os->hooks.ctx, p, n))) {
            os_error(os, os->hooks.release(os->hooks.ctx, p, n));
            p = NULL;
        }
    }
    if (!p) {
        atomic_fetch_sub(&os->mapped, n);
        refused(os);
        return NULL;
    }
    atomic_fetch_add(&os->reserved, n);
    atomic_fetch_add(&os->ready, n);
    EACSL_ADD(p, n);
    return p;
}

size_t ga_phys_page_size(void) {
    static _Atomic size_t cached;
    size_t s = atomic_load_explicit(&cached, memory_order_relaxed);
    if (GA_UNLIKELY(s == 0)) {
        long r = sysconf(_SC_PAGESIZE);
        s = r > 0 ? (size_t)r : 4096;
        atomic_store_explicit(&cached, s, memory_order_relaxed);
    }
    return s;
}

size_t ga_huge_page_size(void) {
    /* open/read, not stdio: no allocation (this runs while a heap is being created,
     * possibly as the process's malloc) */
    int fd = open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    size_t v = 0;
    for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
        if (v > (SIZE_MAX - 9) / 10)
            return 0;
        v = v * 10 + (size_t)(buf[i] - '0');
    }
    return v & (v - 1) ? 0 : v; /* Go ignores a size that is not a power of two */
}
