/* Address ranges (Go's addrRanges, mranges.go) on offset addresses; see ranges.h. */
#include "ranges.h"

#include <errno.h>
#include <string.h>

#include "internal.h"

static inline size_t array_bytes(size_t cap) { return cap * sizeof(ga_addr_range); }

static void array_free(ga_os *os, ga_addr_range *r, size_t cap) {
    if (r)
        ga_sys_free(os, r, array_bytes(cap), array_bytes(cap), array_bytes(cap));
}

int ga_addr_ranges_init(ga_addr_ranges *a, ga_os *os) {
    *a = (ga_addr_ranges){NULL, 0, 0, 0, os};
    return 0;
}

void ga_addr_ranges_destroy(ga_addr_ranges *a) {
    array_free(a->os, a->ranges, a->cap);
    *a = (ga_addr_ranges){NULL, 0, 0, 0, a->os};
}

int ga_addr_ranges_reserve(ga_addr_ranges *a, size_t extra, ga_addr_ranges_undo *u) {
    *u = (ga_addr_ranges_undo){NULL, 0, false};
    const size_t sz = sizeof(ga_addr_range), max = SIZE_MAX / 2 / sz;
    if (extra > max - a->n)
        return errno = ENOMEM; /* no array that large */
    size_t need = a->n + extra;
    if (need <= a->cap)
        return 0;
    /* R2: whole physical pages, doubling (Go doubles too, from 16 ranges) */
    size_t cap = a->cap ? 2 * a->cap : ga_phys_page_size() / sz;
    while (cap < need)
        cap *= 2;
    ga_addr_range *nr = ga_sys_alloc(a->os, array_bytes(cap));
    if (!nr)
        return errno = ENOMEM;
    if (a->n)
        memcpy(nr, a->ranges, a->n * sz);
    *u = (ga_addr_ranges_undo){a->ranges, a->cap, true};
    a->ranges = nr;
    a->cap = cap;
    return 0;
}

void ga_addr_ranges_reserve_end(ga_addr_ranges *a, ga_addr_ranges_undo *u, bool keep) {
    if (!u->replaced)
        return;
    if (keep) {
        array_free(a->os, u->ranges, u->cap);
    } else {
        array_free(a->os, a->ranges, a->cap);
        a->ranges = u->ranges;
        a->cap = u->cap;
    }
    *u = (ga_addr_ranges_undo){NULL, 0, false};
}

size_t ga_addr_ranges_find_succ(const ga_addr_ranges *a, uintptr_t off) {
    /* R1 sorts the bases: the first one above off by bisection */
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->ranges[mid].base > off)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

bool ga_addr_ranges_find_addr_greater_equal(const ga_addr_ranges *a, uintptr_t off, uintptr_t *found) {
    size_t i = ga_addr_ranges_find_succ(a, off);
    *found = 0;
    if (i > 0 && a->ranges[i - 1].limit > off)
        *found = off;
    else if (i < a->n)
        *found = a->ranges[i].base;
    else
        return false; /* nothing at or above off */
    return true;
}

bool ga_addr_ranges_contains(const ga_addr_ranges *a, uintptr_t off) {
    size_t i = ga_addr_ranges_find_succ(a, off);
    return i > 0 && a->ranges[i - 1].limit > off;
}

int ga_addr_ranges_add(ga_addr_ranges *a, ga_addr_range r) {
    if (r.base >= r.limit)
        return errno = EINVAL; /* Go throws on an empty range */
    size_t i = ga_addr_ranges_find_succ(a, r.base);
    if ((i > 0 && a->ranges[i - 1].limit > r.base) || (i < a->n && a->ranges[i].base < r.limit))
        return errno = EINVAL; /* R1 would break: Go leaves this to its callers */
    bool down = i > 0 && a->ranges[i - 1].limit == r.base;
    bool up = i < a->n && a->ranges[i].base == r.limit;
    if (down && up) {
        a->ranges[i - 1].limit = a->ranges[i].limit;
        memmove(&a->ranges[i], &a->ranges[i + 1], (a->n - i - 1) * sizeof r);
        a->n--;
    } else if (down) {
        a->ranges[i - 1].limit = r.limit;
    } else if (up) {
        a->ranges[i].base = r.base;
    } else {
        ga_addr_ranges_undo u;
        if (ga_addr_ranges_reserve(a, 1, &u))
            return errno = ENOMEM;
        ga_addr_ranges_reserve_end(a, &u, true);
        memmove(&a->ranges[i + 1], &a->ranges[i], (a->n - i) * sizeof r);
        a->ranges[i] = r;
        a->n++;
    }
    a->total_bytes += r.limit - r.base;
    return 0;
}

ga_addr_range ga_addr_ranges_remove_last(ga_addr_ranges *a, size_t nbytes) {
    if (a->n == 0)
        return (ga_addr_range){0, 0};
    ga_addr_range *last = &a->ranges[a->n - 1], r = *last;
    if (r.limit - r.base > nbytes) {
        last->limit = r.limit - nbytes;
        a->total_bytes -= nbytes;
        return (ga_addr_range){last->limit, r.limit};
    }
    a->n--;
    a->total_bytes -= r.limit - r.base;
    return r;
}

void ga_addr_ranges_remove_greater_equal(ga_addr_ranges *a, uintptr_t off) {
    size_t pivot = ga_addr_ranges_find_succ(a, off);
    size_t removed = 0;
    for (size_t k = pivot; k < a->n; k++)
        removed += a->ranges[k].limit - a->ranges[k].base;
    if (pivot > 0 && a->ranges[pivot - 1].limit > off) { /* the range holding off is cut at off */
        removed += a->ranges[pivot - 1].limit - off;
        if (a->ranges[pivot - 1].base == off)
            pivot--; /* nothing of it is left */
        else
            a->ranges[pivot - 1].limit = off;
    }
    a->n = pivot;
    a->total_bytes -= removed;
}

int ga_addr_ranges_clone_into(const ga_addr_ranges *a, ga_addr_ranges *b) {
    if (a == b)
        return 0;
    if (a->n > b->cap) {
        /* Go gives b a's capacity; the old array goes back to the OS here */
        ga_addr_range *nr = ga_sys_alloc(b->os, array_bytes(a->cap));
        if (!nr)
            return errno = ENOMEM;
        array_free(b->os, b->ranges, b->cap);
        b->ranges = nr;
        b->cap = a->cap;
    }
    if (a->n)
        memcpy(b->ranges, a->ranges, a->n * sizeof *a->ranges);
    b->n = a->n;
    b->total_bytes = a->total_bytes;
    return 0;
}
