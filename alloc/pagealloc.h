/* pageAlloc: the page-level allocator of one heap (Go's mpagealloc.go, linux/amd64).
 *
 * Free memory is a bitmap (one ga_pallocdata per 4 MiB chunk) plus a 5-level radix
 * tree of packed summaries over the 48-bit offset address space (levels of 16384, 8,
 * 8, 8, 8 entries; see docs/go-facts.md §1.4, §13).  Allocation is address-ordered first fit.
 *
 * pageAlloc never dereferences the memory it manages (only its own metadata, which it
 * maps through the OS layer), so it can manage address ranges that are not mapped,
 * far apart, grown in any order.  Scavenging calls ga_sys_unused on managed memory.
 *
 * Not thread-safe: the caller holds the heap lock for every call.
 *
 * Invariants (restored at the end of every call): P1-P7 of docs/go-facts.md §13.3/§13.5 —
 * leaf summary = summarize(chunk); parent = merge(children); entries outside the
 * grown ranges read 0; scav & alloc == 0; every page below search_addr is allocated;
 * in_use sorted, disjoint, non-adjacent, chunk aligned. */
#ifndef GA_PAGEALLOC_H
#define GA_PAGEALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "pallocbits.h"
#include "ranges.h"
#include "scavindex.h"

#define GA_SUMMARY_LEVELS 5
#define GA_PA_ROOT_BITS 14 /* log2 entries of summary level 0 (16 GiB each) */
#define GA_PA_LEVEL_BITS 3 /* log2 children of an entry of the levels above the leaves */
#define GA_CHUNKS_L1_BITS 13
#define GA_CHUNKS_L2_BITS 13
_Static_assert(GA_PA_ROOT_BITS + (GA_SUMMARY_LEVELS - 1) * GA_PA_LEVEL_BITS + GA_LOG_CHUNK_BYTES == GA_HEAP_ADDR_BITS,
               "summary levels: root entries x 8^4 children x 4 MiB chunks = the 48-bit address space");
_Static_assert(GA_CHUNKS_L1_BITS + GA_CHUNKS_L2_BITS == GA_HEAP_ADDR_BITS - GA_LOG_CHUNK_BYTES,
               "the two-level chunk map covers every chunk of the address space");
_Static_assert(GA_PALLOC_WORDS * 64 == GA_CHUNK_PAGES, "a pallocBits bitmap has one bit per page of a chunk");
_Static_assert(GA_PSUM_FREE_CHUNK == ((uint64_t)GA_CHUNK_PAGES | (uint64_t)GA_CHUNK_PAGES << GA_PSUM_LOG_MAX |
                                      (uint64_t)GA_CHUNK_PAGES << (2 * GA_PSUM_LOG_MAX)),
               "the summary of a free chunk is (512, 512, 512)");

typedef struct ga_pagealloc {
    ga_os *os;
    /* summary[l] is a PROT_NONE reservation of (2^(48 - shift_l)) entries; only the
     * parts covering grown ranges are mapped (level 0 whole, lower levels by the
     * 8-entry block, rounded out to physical pages).  Entry i of level l summarises
     * offsets [i << shift_l, (i+1) << shift_l), shift = 34, 31, 28, 25, 22.
     * P2: summary[4][ci] = summarize(chunk ci) for every in-use chunk; P3: a parent
     * intersecting in_use = merge of its 8 children; P4: other mapped entries are 0. */
    ga_psum *summary[GA_SUMMARY_LEVELS];
    /* chunk map: chunks[l1] -> 8192 ga_pallocdata (1 MiB, ga_sys_alloc'ed on demand).
     * Exists for every in-use chunk; P5: alloc & scav == 0. */
    ga_pallocdata *chunks[1u << GA_CHUNKS_L1_BITS];
    /* P6: GA_PA_MAX_OFF (no free page), or an offset in in_use with every in-use page
     * below it allocated. */
    uintptr_t search_addr;
    uintptr_t start, end; /* chunk index range ever grown: [start, end); 0, 0 before */
    /* P7: the grown memory, a ga_addr_ranges (R1-R3: sorted, disjoint, non-adjacent,
     * n <= cap, total_bytes) whose ranges are chunk aligned and below 2^48; total_bytes
     * = total_pages pages. */
    ga_addr_ranges in_use;
    /* Counters.  Pages held by a page cache (ga_pagealloc_alloc_to_cache, pagecache.h)
     * are allocated in the bitmaps and counted neither free nor scavenged here: the
     * cache remembers which of them were scavenged. */
    size_t scav_pages;  /* pages currently scavenged (free and released) */
    size_t free_pages;  /* pages currently free (scavenged or not) */
    size_t total_pages; /* pages ever grown */
    /* Go's p.scav.index: the chunks that may hold free, unscavenged pages (SI1 of
     * scavindex.h: each such in-use chunk is marked; every such page is at or below
     * scav.search), grown with the chunk map, marked by free, used by scavenge. */
    ga_scav_index scav;
    /* Go's physHugePageSize: 0 = no huge pages; else (when > 8 KiB and > the physical
     * page) scavenge widens a release rather than split a free, unscavenged huge page.
     * Set by the heap at creation (ga_config, else the kernel's THP size). */
    size_t huge_page_bytes;
    /* metadata accounting, to unmap everything at destroy */
    size_t summary_mapped; /* bytes of summary memory mapped (all Ready) */
    void *priv;            /* implementation-private bookkeeping (pagealloc.c) */
} ga_pagealloc;

#define GA_PA_MAX_OFF (((uintptr_t)1 << GA_HEAP_ADDR_BITS) - 1)

/* 0, or ENOMEM if the summary reservation was refused (then nothing is held).
 * Reserves about 585 MiB of PROT_NONE address space; maps ~40 KiB. */
GA_HIDDEN int ga_pagealloc_init(ga_pagealloc *p, ga_os *os);
/* Unmap all metadata (every byte pageAlloc got from os); p reads as freshly failed
 * init afterwards.  Never touches the managed memory. */
GA_HIDDEN void ga_pagealloc_destroy(ga_pagealloc *p);
/* Make [base, base+size) known and free (all scavenged, as fresh OS memory is).
 * base and size are 4 MiB aligned, the range does not hold address 0 nor offset chunk
 * 0 (real [0xffff800000000000, +4 MiB): as in Go, chunk index 0 means "none" to the
 * scavenge index), fits the 48-bit space and was never grown before; otherwise EINVAL.  0 or ENOMEM (metadata mapping
 * refused; then nothing changed, OS counters included). */
GA_HIDDEN int ga_pagealloc_grow(ga_pagealloc *p, uintptr_t base, size_t size);
/* Map summary/chunk metadata for [base, limit) (chunk aligned); 0, EINVAL or ENOMEM
 * (then everything this call mapped is given back). */
GA_HIDDEN int ga_pagealloc_sys_grow(ga_pagealloc *p, uintptr_t base, uintptr_t limit);
/* Lowest-address run of npages free pages (npages >= 1), marked allocated; returns its
 * address or 0 when none.  *scav_bytes (if non-NULL) = bytes of the run that were
 * scavenged (the caller must ga_sys_used them before use). */
GA_HIDDEN uintptr_t ga_pagealloc_alloc(ga_pagealloc *p, size_t npages, size_t *scav_bytes);
/* Whether [base, base + npages pages) lies in the heap and is wholly free; *scav_pages
 * (if non-NULL) = how many of its pages are scavenged.  Nothing changes. */
GA_HIDDEN int ga_pagealloc_range_free(const ga_pagealloc *p, uintptr_t base, size_t npages, size_t *scav_pages);
/* Mark [base, base + npages pages) allocated; the range must be free
 * (ga_pagealloc_range_free).  Returns how many of its pages were scavenged. */
GA_HIDDEN size_t ga_pagealloc_alloc_at(ga_pagealloc *p, uintptr_t base, size_t npages);
/* Free [base, base + npages pages), all of which must be allocated (checked, with
 * abort, in builds without NDEBUG).  The pages keep their scavenged bits (clear), so
 * they are marked in the scavenge index.  = ga_pagealloc_free_scav(p, base, npages, 0). */
GA_HIDDEN void ga_pagealloc_free(ga_pagealloc *p, uintptr_t base, size_t npages);
/* Go's free(base, npages, scavenged): with scavenged != 0 the caller states that the
 * pages are released (their scavenged bits are set or about to be, as scavenge does),
 * so the scavenge index is not marked. */
GA_HIDDEN void ga_pagealloc_free_scav(ga_pagealloc *p, uintptr_t base, size_t npages, bool scavenged);
/* Go's scavenge(nbytes): release free, unscavenged pages to the OS (ga_sys_unused)
 * until at least `bytes` have been released or none are left.  Loop: the scavenge
 * index finds the highest marked chunk, findScavengeCandidate takes the highest run of
 * free, unscavenged pages in it (in groups of a physical page, at most the bytes still
 * wanted in pages), or the chunk is cleared from the index.  So highest addresses
 * first, and without huge pages exactly the highest min(ceil(bytes / 8 KiB), available)
 * such pages (rounded up to whole physical pages); with huge pages (huge_page_bytes) a
 * release that would split a free, unscavenged huge page is widened down to the huge
 * page's start, so more than asked may go (e.g. 2 MiB + 16 KiB for 24 KiB when pages
 * 0..257 of a chunk are the free ones).  Returns bytes released. */
GA_HIDDEN size_t ga_pagealloc_scavenge(ga_pagealloc *p, size_t bytes);
/* Full walk of P1-P7 (every mapped summary vs its chunk bitmaps / children, scav &
 * alloc, search_addr, in_use, page counters).  0 = sound, else -1 and why. */
GA_HIDDEN int ga_pagealloc_check(const ga_pagealloc *p, char *why, size_t len);

#endif
