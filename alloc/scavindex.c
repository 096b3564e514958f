/* The scavenge index (Go 1.19's scavengeIndex); see scavindex.h for the invariant. */
#include "scavindex.h"

#include "bitops.h"

#include <errno.h>
#include <string.h>

static inline uintptr_t chunk_of(uintptr_t off) { return off >> GA_LOG_CHUNK_BYTES; }
static inline int bit_get(const uint64_t *b, size_t i) { return (int)(b[i / 64] >> (i % 64) & 1); }
static inline void bit_set(uint64_t *b, size_t i) { b[i / 64] |= (uint64_t)1 << (i % 64); }
static inline void bit_clr(uint64_t *b, size_t i) { b[i / 64] &= ~((uint64_t)1 << (i % 64)); }

/* Index page of chunk ci's bit, and the words of `bits` one index page holds. */
static inline size_t page_of(const ga_scav_index *s, uintptr_t ci) { return ci / 8 / s->phys; }
static inline size_t words_per_page(const ga_scav_index *s) { return s->phys / sizeof(uint64_t); }

int ga_scav_index_init(ga_scav_index *s, ga_os *os) {
    memset(s, 0, sizeof *s);
    s->os = os;
    s->phys = ga_phys_page_size();
    if (s->phys < GA_SCAV_MIN_PAGE || GA_SCAV_BYTES % s->phys)
        return errno = EINVAL; /* mapped[] is sized for pages of at least 4 KiB */
    s->bits = ga_sys_reserve(os, NULL, GA_SCAV_BYTES);
    if (!s->bits)
        return errno = ENOMEM; /* the index's reservation refused: pageAlloc's init gives up */
    return 0;
}

void ga_scav_index_destroy(ga_scav_index *s) {
    if (s->bits)
        ga_sys_free(s->os, s->bits, GA_SCAV_BYTES, s->mapped_bytes, s->mapped_bytes);
    ga_os *os = s->os;
    memset(s, 0, sizeof *s);
    s->os = os;
}

int ga_scav_index_grow(ga_scav_index *s, uintptr_t base, uintptr_t limit) {
    uintptr_t ob = ga_off(base), ol = ob + (limit - base);
    if (!s->bits || limit <= base || base % GA_CHUNK_BYTES || limit % GA_CHUNK_BYTES || ob >= ol || ob == 0 ||
        ol > ((uintptr_t)1 << GA_HEAP_ADDR_BITS))
        return errno = EINVAL;
    uintptr_t sc = chunk_of(ob), ec = chunk_of(ol); /* chunks [sc, ec) */
    size_t lo = page_of(s, sc), hi = page_of(s, ec - 1) + 1;
    uint64_t fresh[GA_SCAV_PAGE_WORDS] = {0}; /* pages this call mapped, for the rollback */
    for (size_t pg = lo; pg < hi; pg++) {
        if (bit_get(s->mapped, pg))
            continue;
        char *v = (char *)s->bits + pg * s->phys;
        if (ga_sys_map(s->os, v, s->phys))
            goto fail;
        if (ga_sys_used(s->os, v, s->phys, s->phys)) {
            ga_sys_unmap(s->os, v, s->phys, 0);
            goto fail;
        }
        bit_set(s->mapped, pg);
        bit_set(fresh, pg);
        s->mapped_bytes += s->phys;
    }
    if (s->min == s->max || sc < s->min)
        s->min = sc;
    if (ec > s->max)
        s->max = ec;
    return 0;
fail:
    for (size_t pg = lo; pg < hi; pg++) {
        if (!bit_get(fresh, pg))
            continue;
        ga_sys_unmap(s->os, (char *)s->bits + pg * s->phys, s->phys, s->phys);
        bit_clr(s->mapped, pg);
        s->mapped_bytes -= s->phys;
    }
    return errno = ENOMEM;
}

void ga_scav_index_mark(ga_scav_index *s, uintptr_t base, uintptr_t limit) {
    uintptr_t ob = ga_off(base), top = ga_off(limit) - GA_PAGE_SIZE; /* the last page's offset */
    uintptr_t sc = chunk_of(ob), ec = chunk_of(top);
    for (uintptr_t ci = sc; ci <= ec;) {
        /* bits [ci, e] of one word at once */
        uintptr_t e = ec - ci < 63 - ci % 64 ? ec : ci | 63;
        uint64_t m = ~(uint64_t)0 >> (63 - (e - ci)) << (ci % 64);
        s->bits[ci / 64] |= m;
        bit_set(s->live, page_of(s, ci));
        ci = e + 1;
    }
    if (top > s->search) /* a cleared search (0) is below everything */
        s->search = top;
}

uintptr_t ga_scav_index_find(ga_scav_index *s, uint32_t *page_idx) {
    *page_idx = 0;
    if (s->search == 0)
        return 0;
    uintptr_t sc = chunk_of(s->search);
    size_t wpp = words_per_page(s);
    /* words from sc's down to min's; in sc's word only the bits at or below sc */
    uint64_t keep = ~(uint64_t)0 >> (63 - sc % 64);
    for (uintptr_t w = sc / 64 + 1; w-- > s->min / 64;) {
        size_t pg = w / wpp;
        if (!bit_get(s->mapped, pg) || !bit_get(s->live, pg)) {
            w -= w % wpp; /* an index page with nothing marked: on below it */
            keep = ~(uint64_t)0;
            continue;
        }
        uint64_t x = s->bits[w] & keep;
        keep = ~(uint64_t)0;
        if (x == 0) {
            /* a page read from its top word down to its first empty: nothing marked */
            if (w % wpp == 0 && w / wpp != sc / 64 / wpp)
                bit_clr(s->live, pg);
            continue;
        }
        uintptr_t ci = w * 64 + 63 - ga_clz64(x);
        if (ci == sc) {
            *page_idx = (uint32_t)(s->search >> GA_PAGE_SHIFT) & (GA_CHUNK_PAGES - 1);
            return ci;
        }
        s->search = (ci << GA_LOG_CHUNK_BYTES) + GA_CHUNK_BYTES - GA_PAGE_SIZE;
        *page_idx = GA_CHUNK_PAGES - 1;
        return ci;
    }
    s->search = 0; /* the heap is exhausted */
    return 0;
}

void ga_scav_index_clear(ga_scav_index *s, uintptr_t ci) { bit_clr(s->bits, ci); }

int ga_scav_index_marked(const ga_scav_index *s, uintptr_t ci) {
    return s->bits && ci >= s->min && ci < s->max && bit_get(s->mapped, page_of(s, ci)) && bit_get(s->bits, ci);
}

int ga_scav_index_check(const ga_scav_index *s, char *why, size_t len) {
    if (!s->bits)
        return ga_check_fail(why, len, "SI1: scavenge index not initialised");
    size_t n = 0, pages = GA_SCAV_BYTES / s->phys, wpp = words_per_page(s);
    for (size_t pg = 0; pg < pages; pg++) {
        if (!bit_get(s->mapped, pg)) {
            if (bit_get(s->live, pg))
                return ga_check_fail(why, len, "SI1: index page %zu live but not mapped", pg);
            continue;
        }
        n++;
        const uint64_t *w = s->bits + pg * wpp;
        for (size_t k = 0; k < wpp; k++) {
            if (!w[k])
                continue;
            uintptr_t lo = (pg * wpp + k) * 64, hi = lo + 63 - ga_clz64(w[k]); /* highest set bit */
            uintptr_t first = lo + ga_ctz64(w[k]);
            if (first < s->min || hi >= s->max)
                return ga_check_fail(why, len, "SI1: chunk %#lx marked outside [min, max)",
                                     (unsigned long)(first < s->min ? first : hi));
            if (!bit_get(s->live, pg))
                return ga_check_fail(why, len, "SI1: chunk %#lx marked in an index page not live", (unsigned long)lo);
            if (s->search == 0 || hi > chunk_of(s->search))
                return ga_check_fail(why, len, "SI1: chunk %#lx marked above the search address %#lx",
                                     (unsigned long)hi, (unsigned long)s->search);
        }
    }
    if (n * s->phys != s->mapped_bytes)
        return ga_check_fail(why, len, "SI1: %zu index pages mapped, mapped_bytes = %zu", n, s->mapped_bytes);
    if (s->min > s->max)
        return ga_check_fail(why, len, "SI1: min %#lx > max %#lx", (unsigned long)s->min, (unsigned long)s->max);
    return 0;
}
