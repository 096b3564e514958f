/* pageAlloc internals shared by the files that look inside a ga_pagealloc: pagealloc.c
 * (the owner), mheap.c and check.c (read the chunk bitmaps), and the white-box tools
 * (fuzz/support/corrupt.c, fuzz/pagealloc_fuzz.c, tests/test_pagealloc.c).  Not part of
 * pageAlloc's interface (pagealloc.h): only pagealloc.c writes what is here, the others
 * read it, or corrupt it on purpose and put it back.
 *
 * Chunk map (pagealloc.h): chunk index ci = off(p) >> GA_LOG_CHUNK_BYTES; chunks[ci >>
 * GA_CHUNKS_L2_BITS] is an L2 block of GA_PA_L2_ENTRIES ga_pallocdata (GA_PA_L2_DATA_BYTES).
 * An L2 block exists for every chunk of a grown range.  (The scavenger's chunk marks are
 * the scavenge index, p->scav: scavindex.h.) */
#ifndef GA_PAGEALLOC_IMPL_H
#define GA_PAGEALLOC_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagealloc.h"

#define GA_PA_L1_ENTRIES (1u << GA_CHUNKS_L1_BITS)
#define GA_PA_L2_ENTRIES (1u << GA_CHUNKS_L2_BITS)
#define GA_PA_L2_DATA_BYTES ((size_t)GA_PA_L2_ENTRIES * sizeof(ga_pallocdata)) /* 1 MiB */
#define GA_PA_L1_MARK_WORDS (GA_PA_L1_ENTRIES / 64)                            /* a bit per L2 block */
_Static_assert(GA_PA_L1_ENTRIES % 64 == 0, "l2_new is whole words");
_Static_assert(GA_PA_L2_ENTRIES == GA_PALLOC_L2_CHUNKS, "the chunk map of the proofs' region (spec/psum.h)");

/* Summary level l (0 = root .. GA_SUMMARY_LEVELS - 1 = leaf): entry i covers offsets
 * [i << shift, (i + 1) << shift), i.e. 2^(shift - GA_PAGE_SHIFT) pages, and a parent has
 * 2^GA_PA_LEVEL_BITS children. */
#define GA_PA_LEVEL_SHIFT(l) (GA_LOG_CHUNK_BYTES + GA_PA_LEVEL_BITS * (GA_SUMMARY_LEVELS - 1 - (l)))
#define GA_PA_LEVEL_LOG_PAGES(l) (GA_PA_LEVEL_SHIFT(l) - GA_PAGE_SHIFT)
#define GA_PA_LEVEL_ENTRY_BITS(l) ((l) == 0 ? GA_PA_ROOT_BITS : GA_PA_LEVEL_BITS) /* log2 entries per block */
_Static_assert(GA_PA_LEVEL_SHIFT(0) + GA_PA_ROOT_BITS == GA_HEAP_ADDR_BITS, "the root level spans the address space");
_Static_assert(GA_PA_LEVEL_LOG_PAGES(0) == GA_PSUM_LOG_MAX, "a root entry's page count fits a summary field exactly");
_Static_assert(GA_PA_LEVEL_LOG_PAGES(GA_SUMMARY_LEVELS - 1) == GA_LOG_CHUNK_PAGES, "a leaf summarises one chunk");

/* pagealloc.c's private bookkeeping, one ga_sys_alloc block (p->priv).
 * Invariants: mapped[l] has a bit per physical page of summary[l], set iff that page
 * is mapped and Ready; level_mapped[l] = (set bits) * phys; pending[l] and l2_new are
 * all zero between calls (they log what an unfinished sys_grow mapped, for rollback). */
typedef struct ga_pa_priv {
    uint64_t l2_new[GA_PA_L1_MARK_WORDS];
    size_t level_bytes[GA_SUMMARY_LEVELS];  /* reserved */
    size_t level_mapped[GA_SUMMARY_LEVELS]; /* mapped (and Ready) */
    uint64_t *mapped[GA_SUMMARY_LEVELS];
    uint64_t *pending[GA_SUMMARY_LEVELS];
    size_t level_pages[GA_SUMMARY_LEVELS];
    size_t priv_bytes, l2_bytes;
    size_t l2_blocks; /* L2 blocks allocated */
} ga_pa_priv;

/* P1: s is a well-formed summary of a region of 2^lp pages (start, max, end within the
 * region, start + end < size unless the region is all free; the root's "all free" flag
 * only at the top level).  Shared by ga_pagealloc_check and the fuzzers' corrupt op. */
static inline bool ga_psum_ok(ga_psum s, unsigned lp) {
    /* the fields decoded here (ga_psum_start/max/end's values for s < 2^63, the only
     * ones used): calls to those were traced in the fuzzers, for every entry checked */
    const uint64_t mask = ((uint64_t)1 << GA_PSUM_LOG_MAX) - 1;
    uint32_t n = (uint32_t)1 << lp, st = (uint32_t)(s & mask), m = (uint32_t)(s >> GA_PSUM_LOG_MAX & mask),
             e = (uint32_t)(s >> (2 * GA_PSUM_LOG_MAX) & mask);
    if (s >> 63)
        return lp == GA_PSUM_LOG_MAX && s == (ga_psum)1 << 63;
    if (m == n)
        return st == n && e == n;
    return st <= m && e <= m && m < n && st + e < n;
}

/* pagealloc.c's own steps, for pagecache.c (which moves 64-page blocks between
 * pageAlloc and a page cache). */
/* Restore P2/P3 after the alloc bitmaps of pages [ob, ob + npages) (offsets) changed;
 * contig: all of them changed the same way (alloc: to allocated), so the chunks inside
 * the range are wholly allocated or wholly free. */
GA_HIDDEN void ga_pagealloc_update(ga_pagealloc *p, uintptr_t ob, uintptr_t npages, bool contig, bool alloc);
/* The lowest run of npages free pages by the tree (not the fast path): true with
 * *addr (offset) and *cand (a valid new search_addr); false when none. */
GA_HIDDEN bool ga_pagealloc_find(const ga_pagealloc *p, uintptr_t npages, uintptr_t *addr, uintptr_t *cand);
/* ga_throw for summaries that promise a free run their level below does not have. */
GA_HIDDEN void ga_pagealloc_bad_summary(const char *what, uintptr_t idx) GA_NORETURN_COLD;

static inline ga_pa_priv *ga_pagealloc_priv(const ga_pagealloc *p) { return (ga_pa_priv *)p->priv; }

/* The bitmaps of chunk ci, whose L2 block must exist (ci is in a grown range). */
static inline ga_pallocdata *ga_pagealloc_chunk(const ga_pagealloc *p, uintptr_t ci) {
    return &p->chunks[ci >> GA_CHUNKS_L2_BITS][ci & (GA_PA_L2_ENTRIES - 1)];
}

/* The same, or NULL when chunk ci has no L2 block (for checkers, which must not crash
 * on broken metadata). */
static inline ga_pallocdata *ga_pagealloc_chunk_or_null(const ga_pagealloc *p, uintptr_t ci) {
    ga_pallocdata *l2 = p->chunks[ci >> GA_CHUNKS_L2_BITS];
    return l2 ? &l2[ci & (GA_PA_L2_ENTRIES - 1)] : NULL;
}

#endif
