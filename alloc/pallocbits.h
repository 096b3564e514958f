/* One pageAlloc chunk: 512 pages, a 512-bit allocation bitmap (1 = page allocated) and
 * a 512-bit scavenged bitmap (1 = page released to the OS), each 8 little-endian
 * 64-bit words: page i is bit (i % 64) of word i / 64.
 *
 * Invariant of a chunk (P5): scav[w] & alloc[w] == 0 for every word w.
 *
 * Every function here has an ACSL contract in pallocbits.c (ga_find_bit_range64's is
 * below; logic in spec/) proved by Frama-C WP with -wp-rte (ci/prove).  Page indexes
 * i, counts n: i + n <= 512.
 *
 * Packed summaries (ga_psum, Go's pallocSum): three counts of pages — start (free run
 * at the low end), max (longest free run), end (free run at the high end) — 21 bits
 * each at bits 0, 21, 42; the value with max == 2^21 is stored as exactly 1 << 63 and
 * decodes as start = max = end = 2^21.  0 = no free page. */
#ifndef GA_PALLOCBITS_H
#define GA_PALLOCBITS_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
/* ACSL logic (bit, ones) of the contract below: comments only, like every spec/ header. */
#include "../spec/bits.h"

#define GA_PALLOC_WORDS 8u
#define GA_PSUM_LOG_MAX 21
#define GA_PSUM_MAX (1u << GA_PSUM_LOG_MAX) /* largest count a summary field holds */
#define GA_PSUM_FREE_CHUNK ((uint64_t)512 | (uint64_t)512 << 21 | (uint64_t)512 << 42)
#define GA_FIND_NONE 0xffffffffu
#define GA_PALLOC_L2_CHUNKS 8192u /* chunks per L2 block of a chunk map (pageAlloc's; spec/psum.h) */

typedef uint64_t ga_psum;

typedef struct ga_pallocdata {
    uint64_t alloc[GA_PALLOC_WORDS];
    uint64_t scav[GA_PALLOC_WORDS];
} ga_pallocdata;

/* Lowest j with j >= 64*(search/64), j + n <= 512 and pages [j, j+n) all free, or
 * GA_FIND_NONE.  1 <= n <= 512.  On success *new_search (if non-NULL) = the first free
 * page at or after 64*(search/64). */
GA_HIDDEN uint32_t ga_pallocbits_find(const uint64_t *b, uint32_t n, uint32_t search, uint32_t *new_search);
/* Lowest j in [0, 64 - n] with bits [j, j+n) of c all one, or 64.  1 <= n <= 64.
 * The contract is here rather than on the definition so that the proofs of its callers
 * in other files (alloc/pagecache_alloc.c) see it; proved with pallocbits.c. */
/*@ requires 1 <= n <= 64;
    requires c <= 0xffffffffffffffff;
    assigns \nothing;
    ensures \result <= 64;
    ensures \result < 64 ==> \result + n <= 64 && ones(c, \result, n);
    ensures \forall integer j; 0 <= j < \result && j + n <= 64 ==> !ones(c, j, n); */
GA_HIDDEN uint32_t ga_find_bit_range64(uint64_t c, uint32_t n);

GA_HIDDEN void ga_pallocbits_alloc_range(uint64_t *b, uint32_t i, uint32_t n); /* set [i, i+n) */
GA_HIDDEN void ga_pallocbits_alloc_all(uint64_t *b);
GA_HIDDEN void ga_pallocbits_free_range(uint64_t *b, uint32_t i, uint32_t n); /* clear [i, i+n) */
GA_HIDDEN void ga_pallocbits_free1(uint64_t *b, uint32_t i);
GA_HIDDEN void ga_pallocbits_free_all(uint64_t *b);
GA_HIDDEN uint32_t ga_pallocbits_popcnt_range(const uint64_t *b, uint32_t i, uint32_t n); /* ones in [i, i+n) */
GA_HIDDEN ga_psum ga_pallocbits_summarize(const uint64_t *b);
/* = ga_pallocbits_summarize of chunk ci's alloc bitmap in the chunk map m (pageAlloc's
 * p->chunks: chunk ci is m[ci / GA_PALLOC_L2_CHUNKS][ci % GA_PALLOC_L2_CHUNKS]). */
GA_HIDDEN ga_psum ga_pallocdata_summarize(ga_pallocdata *const *m, size_t ci);

/* pallocData.allocRange: set alloc bits and clear scavenged bits on [i, i+n); returns
 * the number of pages of the range that were scavenged. */
GA_HIDDEN uint32_t ga_pallocdata_alloc_range(ga_pallocdata *d, uint32_t i, uint32_t n);
GA_HIDDEN uint32_t ga_pallocdata_alloc_all(ga_pallocdata *d);

/* Summaries.  (Their contracts, which the proofs of their callers use, are on their
 * declarations in pallocsum.h.) */
GA_HIDDEN ga_psum ga_psum_pack(uint32_t start, uint32_t max, uint32_t end);
GA_HIDDEN uint32_t ga_psum_start(ga_psum s);
GA_HIDDEN uint32_t ga_psum_max(ga_psum s);
GA_HIDDEN uint32_t ga_psum_end(ga_psum s);
/* Summary of the concatenation of 8 regions of 2^log_n pages each (log_n in 9..18),
 * given their summaries c[0..7] in address order.  (Its ghost parameters name, for the
 * proof only, the pages of chunk map cs the children describe: from page a on.) */
GA_HIDDEN ga_psum ga_psum_merge(const ga_psum *c, uint32_t log_n) /*@ ghost (ga_pallocdata *const *cs, int64_t a) */;

/* Scavenging (Go's mgcscavenge.go). */
/* Go's fillAligned: each aligned group of m bits (m a power of two <= 64, else
 * ga_throw, as Go throws) becomes all ones if any bit of it is set in x, else all
 * zeros. */
GA_HIDDEN uint64_t ga_fill_aligned(uint64_t x, unsigned m);
/* Go's pallocData.findScavengeCandidate: the highest run of free, unscavenged pages at
 * or below search_idx's word (searched backwards), in aligned groups of min pages (min a
 * power of two <= 64, else ga_throw); its size in pages (0 = none) with *start = its
 * first page.  max 0 means min, else max is aligned up to min; a longer run is cut to
 * its top max pages.  With huge pages (huge_page_bytes > GA_PAGE_SIZE and > the physical
 * page size; huge_page_bytes / GA_PAGE_SIZE pages each) the result is widened down to a
 * huge page boundary rather than split a free, unscavenged huge page: it may exceed max. */
GA_HIDDEN uint32_t ga_pallocdata_find_scavenge_candidate(const ga_pallocdata *d, uint32_t search_idx, size_t min,
                                                         size_t max, size_t huge_page_bytes, uint32_t *start);

#endif
