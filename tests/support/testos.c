#include "testos.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static void note(ga_testos *t, int hook, void *v, size_t n) {
    t->calls[hook]++;
    t->bytes[hook] += n;
    t->log[t->nlog % TESTOS_LOG] = (ga_testos_call){hook, (uintptr_t)v, n};
    t->nlog++;
}

static void *t_reserve(void *ctx, void *hint, size_t n) {
    ga_testos *t = ctx;
    note(t, TESTOS_RESERVE, hint, n);
    if (t->fail_mask >> TESTOS_RESERVE & 1)
        return NULL;
    void *p = mmap(t->displace_reserve ? NULL : hint, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int t_map(void *ctx, void *v, size_t n) {
    ga_testos *t = ctx;
    note(t, TESTOS_MAP, v, n);
    if (t->fail_mask >> TESTOS_MAP & 1)
        return ENOMEM;
    return mprotect(v, n, PROT_READ | PROT_WRITE) ? errno : 0;
}

static int t_used(void *ctx, void *v, size_t n) {
    ga_testos *t = ctx;
    note(t, TESTOS_USED, v, n);
    return t->fail_mask >> TESTOS_USED & 1 ? ENOMEM : 0;
}

static int t_unused(void *ctx, void *v, size_t n) {
    ga_testos *t = ctx;
    note(t, TESTOS_UNUSED, v, n);
    if (t->fail_mask >> TESTOS_UNUSED & 1)
        return EINVAL;
    if (t->fake_unused)
        return 0;
    return madvise(v, n, MADV_DONTNEED) ? errno : 0;
}

static int t_release(void *ctx, void *v, size_t n) {
    ga_testos *t = ctx;
    note(t, TESTOS_RELEASE, v, n);
    if (t->fail_mask >> TESTOS_RELEASE & 1)
        return EINVAL;
    return munmap(v, n) ? errno : 0;
}

static int t_fault(void *ctx, void *v, size_t n) {
    ga_testos *t = ctx;
    note(t, TESTOS_FAULT, v, n);
    if (t->fail_mask >> TESTOS_FAULT & 1)
        return ENOMEM;
    return mmap(v, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? errno : 0;
}

void ga_testos_init(ga_testos *t) {
    memset(t, 0, sizeof *t);
    t->hooks = (ga_os_hooks){t_reserve, t_map, t_used, t_unused, t_release, t_fault, t};
}

const ga_testos_call *ga_testos_recent(const ga_testos *t, uint64_t k) {
    if (k >= t->nlog || k >= TESTOS_LOG)
        return NULL;
    return &t->log[(t->nlog - 1 - k) % TESTOS_LOG];
}

const char *ga_testos_prot(const void *a, char *buf) {
    buf[0] = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return buf;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        uintptr_t lo, hi;
        char prot[8];
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s", &lo, &hi, prot) == 3 && lo <= (uintptr_t)a &&
            (uintptr_t)a < hi) {
            memcpy(buf, prot, 5);
            buf[4] = 0;
            break;
        }
    }
    fclose(f);
    return buf;
}
