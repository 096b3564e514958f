/* Page caches (Go's pageCache, mpagecache.go); see pagecache.h.
 *
 * empty, alloc and alloc_n touch only the cache and are word-level, loop-free
 * functions (ctz, popcount, ga_find_bit_range64): they are in pagecache_alloc.c, whose
 * ACSL contracts ci/prove proves.  alloc_to_cache and flush, here, move one 64-page
 * block (one bitmap word of one chunk) between pageAlloc and a cache and keep
 * pageAlloc's counters, summaries, search hint and scavenge marks as
 * ga_pagealloc_alloc / ga_pagealloc_free do. */
#include "pagecache.h"

#include "bitops.h"
#include "pagealloc_impl.h"

#define BLOCK_BYTES ((uintptr_t)GA_PAGECACHE_PAGES << GA_PAGE_SHIFT) /* 512 KiB */
_Static_assert(GA_PAGECACHE_PAGES == 64, "a cache is one bitmap word of a chunk");
_Static_assert(GA_CHUNK_PAGES % GA_PAGECACHE_PAGES == 0, "a cache block never straddles two chunks");
_Static_assert(((uintptr_t)GA_ARENA_BASE_OFFSET & (BLOCK_BYTES - 1)) == 0,
               "offset and real addresses agree on block alignment");

/* The chunk bitmaps and word of the block at offset ob (in a grown range). */
static inline ga_pallocdata *block_data(const ga_pagealloc *p, uintptr_t ob, unsigned *w) {
    *w = (unsigned)((ob >> GA_PAGE_SHIFT) & (GA_CHUNK_PAGES - 1)) / 64;
    return ga_pagealloc_chunk(p, ob >> GA_LOG_CHUNK_BYTES);
}

ga_pagecache ga_pagealloc_alloc_to_cache(ga_pagealloc *p) {
    ga_pagecache c = {0, 0, 0};
    uintptr_t sa = p->search_addr, ci = sa >> GA_LOG_CHUNK_BYTES, off;
    if (!p->priv || ci >= p->end)
        return c; /* never grown (end 0), destroyed, or no free page (GA_PA_MAX_OFF) */
    if (p->summary[GA_SUMMARY_LEVELS - 1][ci] != 0) {
        /* the hint's chunk has a free page, and none lies below the hint (P6) */
        uint32_t pi = (uint32_t)(sa >> GA_PAGE_SHIFT) & (GA_CHUNK_PAGES - 1);
        uint32_t j = ga_pallocbits_find(ga_pagealloc_chunk(p, ci)->alloc, 1, pi, NULL);
        if (j == GA_FIND_NONE)
            ga_pagealloc_bad_summary("allocToCache", ci);
        off = (ci << GA_LOG_CHUNK_BYTES) + ((uintptr_t)j << GA_PAGE_SHIFT);
    } else {
        uintptr_t cand;
        if (!ga_pagealloc_find(p, 1, &off, &cand)) {
            p->search_addr = GA_PA_MAX_OFF; /* no free page at all */
            return c;
        }
    }
    uintptr_t base = off & ~(BLOCK_BYTES - 1);
    unsigned w;
    ga_pallocdata *d = block_data(p, base, &w);
    uint64_t free = ~d->alloc[w], scav = d->scav[w] & free; /* P5: scav is within free */
    d->alloc[w] = ~(uint64_t)0;
    d->scav[w] &= ~free; /* P5 for the now allocated pages; the cache keeps the bits */
    p->free_pages -= ga_popcount64(free);
    p->scav_pages -= ga_popcount64(scav);
    ga_pagealloc_update(p, base, GA_PAGECACHE_PAGES, false, true);
    /* Go puts the hint on the block's last page: allocated, and inside in_use (P6),
     * which the page after the block need not be. */
    p->search_addr = base + BLOCK_BYTES - GA_PAGE_SIZE;
    c.base = ga_unoff(base);
    c.cache = free;
    c.scav = scav;
    return c;
}

void ga_pagecache_flush(ga_pagecache *c, ga_pagealloc *p) {
    if (c->cache == 0) {
        *c = (ga_pagecache){0, 0, 0};
        return;
    }
    char why[160];
    if (ga_pagecache_check(c, p, why, sizeof why))
        ga_throw("ga_pagecache_flush: %s", why); /* Go would corrupt its bitmaps */
    uintptr_t base = ga_off(c->base);
    unsigned w;
    ga_pallocdata *d = block_data(p, base, &w);
    d->alloc[w] &= ~c->cache;
    d->scav[w] |= c->scav;
    p->free_pages += ga_popcount64(c->cache);
    p->scav_pages += ga_popcount64(c->scav);
    /* Free unscavenged pages: the scavenger must find the chunk (SI1).  Go 1.19's flush
     * does not mark its index, so pages a cache returns dirty wait for the next free in
     * their chunk; marking here keeps SI1 exact. */
    if (c->cache & ~c->scav)
        ga_scav_index_mark(&p->scav, c->base, c->base + GA_PAGECACHE_PAGES * GA_PAGE_SIZE);
    if (base < p->search_addr)
        p->search_addr = base;
    ga_pagealloc_update(p, base, GA_PAGECACHE_PAGES, false, false);
    *c = (ga_pagecache){0, 0, 0};
}

int ga_pagecache_check(const ga_pagecache *c, const ga_pagealloc *p, char *why, size_t len) {
    if (c->scav & ~c->cache)
        return ga_check_fail(why, len, "P9: cache scav %#llx has pages outside cache %#llx",
                             (unsigned long long)c->scav, (unsigned long long)c->cache);
    if (c->cache == 0)
        return 0;
    uintptr_t base = ga_off(c->base);
    if (c->base % BLOCK_BYTES || !p->priv || !ga_addr_ranges_contains(&p->in_use, base))
        return ga_check_fail(why, len, "P9: cache base %#lx is not a 64-page block of the heap",
                             (unsigned long)c->base);
    unsigned w;
    const ga_pallocdata *d = block_data(p, base, &w);
    if ((d->alloc[w] & c->cache) != c->cache)
        return ga_check_fail(why, len, "P9: cache %#lx holds pages free in pageAlloc (%#llx)", (unsigned long)c->base,
                             (unsigned long long)(c->cache & ~d->alloc[w]));
    if (d->scav[w] & c->cache)
        return ga_check_fail(why, len, "P9: cache %#lx holds pages scavenged in pageAlloc (%#llx)",
                             (unsigned long)c->base, (unsigned long long)(d->scav[w] & c->cache));
    return 0;
}
