/* Page caches: Go's pageCache (mpagecache.go).  A cache owns up to 64 free pages of
 * one 64-page aligned block, taken from pageAlloc in one step (allocToCache) so that
 * small allocations need not search the summary tree: a cache bit per page, set while
 * the page is free in the cache, and a scavenged bit per page.
 *
 * Accounting: a page held by a cache is ALLOCATED in pageAlloc's bitmaps and its
 * scavenged bit there is clear; pageAlloc's free_pages and scav_pages do not count it.
 * The cache remembers in `scav` which of its pages are scavenged: alloc reports them
 * (the caller makes them Ready, as after ga_pagealloc_alloc), flush gives them back
 * to pageAlloc as scavenged.
 *
 * Not thread-safe: alloc touches only the cache (its owner's); alloc_to_cache and
 * flush change pageAlloc and need the heap lock, as every pageAlloc call. */
#ifndef GA_PAGECACHE_H
#define GA_PAGECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagealloc.h"

#define GA_PAGECACHE_PAGES 64

/* P9 (docs/invariants.md): scav & ~cache == 0 (only free cache pages are scavenged);
 * when cache != 0, base is the REAL address of a GA_PAGECACHE_PAGES-page aligned block
 * inside its pageAlloc's in_use, and every page whose cache bit is set is allocated and
 * unscavenged in pageAlloc's bitmaps.  The empty cache is {0, 0, 0}; a cache whose
 * pages are all handed out (cache == 0) is empty too, whatever its base. */
typedef struct ga_pagecache {
    uintptr_t base; /* real address of page 0 of the block */
    uint64_t cache; /* bit i = page i is free in the cache */
    uint64_t scav;  /* bit i = page i is scavenged */
} ga_pagecache;

GA_HIDDEN bool ga_pagecache_empty(const ga_pagecache *c);
/* Hand out npages contiguous cache pages: the lowest run (for 1 page, the lowest
 * page).  Returns the address, or 0 when no run fits (npages 0 or above 64
 * included); *scav_bytes (if non-NULL) = bytes of the run that were scavenged, 0 on
 * failure.  Touches only *c. */
GA_HIDDEN uintptr_t ga_pagecache_alloc(ga_pagecache *c, size_t npages, size_t *scav_bytes);
/* The same for any npages (Go's allocN; ga_pagecache_alloc's path for npages != 1). */
GA_HIDDEN uintptr_t ga_pagecache_alloc_n(ga_pagecache *c, size_t npages, size_t *scav_bytes);
/* Give the cache's free pages back to p with their scavenged bits, lower p's search
 * hint to the block, and empty *c.  Nothing to do for an empty cache.  A cache that
 * breaks P9 against p (block not aligned or not in p, a cache page not allocated) is
 * a caller bug: ga_throw (Go's throw), nothing changed. */
GA_HIDDEN void ga_pagecache_flush(ga_pagecache *c, ga_pagealloc *p);
/* Go's allocToCache: take the 64-page block holding the first free page at or after
 * p's search hint; its free pages become allocated in p (their scavenged bits move
 * into the cache), the hint moves to the block's last page.  Does not grow p: an
 * empty cache when p has no free page (or p is not initialised). */
GA_HIDDEN ga_pagecache ga_pagealloc_alloc_to_cache(ga_pagealloc *p);
/* P9 for c against p: 0, or -1 and why ("P9: ..."). */
GA_HIDDEN int ga_pagecache_check(const ga_pagecache *c, const ga_pagealloc *p, char *why, size_t len);

#endif
