/* The scavenge index (Go 1.19's scavengeIndex, mgcscavenge.go): which chunks of a
 * pageAlloc may hold free, unscavenged pages, and where the next search starts.
 *
 * One bit per 4 MiB chunk of the 48-bit offset space (2^26 bits, an 8 MiB PROT_NONE
 * reservation); only the physical pages of bits covering grown ranges are mapped, so a
 * heap scattered over the address space costs a page of index per range.  pageAlloc
 * marks on free (of pages that were not scavenged) and the scavenger finds from the top
 * down and clears the chunks it finds empty.
 *
 * Not thread-safe, and no atomics: every call is made under the heap lock (Go needs
 * atomics because its find runs without the lock; here find and mark are serialised).
 *
 * Invariant (SI1, restored at the end of every call of pageAlloc):
 *   - every in-use chunk with a free, unscavenged page has its bit set (bits may be
 *     stale: a set bit promises nothing);
 *   - search is 0 ("cleared") only when no bit is set, else an offset address whose
 *     chunk is at or above every set bit's chunk, and whose page is at or above that
 *     chunk's top page when the chunk is below search's (find starts at search's page
 *     in search's chunk, at the top page in every other);
 *   - bits are set only in [min, max), the chunk bounds of the grown ranges, whose pages
 *     of bits are mapped (mapped[] has a bit per page of `bits`, set iff mapped). */
#ifndef GA_SCAVINDEX_H
#define GA_SCAVINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "os.h"

#define GA_SCAV_CHUNKS ((uintptr_t)1 << (GA_HEAP_ADDR_BITS - GA_LOG_CHUNK_BYTES)) /* 2^26 */
#define GA_SCAV_BYTES (GA_SCAV_CHUNKS / 8)                                        /* 8 MiB */
#define GA_SCAV_MIN_PAGE 4096                                      /* the smallest physical page supported */
#define GA_SCAV_PAGE_WORDS (GA_SCAV_BYTES / GA_SCAV_MIN_PAGE / 64) /* words of a page bitmap */

typedef struct ga_scav_index {
    ga_os *os;
    uint64_t *bits;                      /* GA_SCAV_BYTES reserved; bit ci of word ci / 64 = chunk ci */
    size_t mapped_bytes;                 /* bytes of `bits` mapped (all Ready) */
    size_t phys;                         /* the physical page: the mapping unit */
    uintptr_t search;                    /* offset address; 0 = cleared (chunk 0 never holds a heap) */
    uintptr_t min, max;                  /* chunk index bounds of the grown ranges: [min, max); 0, 0 before */
    uint64_t mapped[GA_SCAV_PAGE_WORDS]; /* a bit per page of `bits`: mapped */
    /* a bit per page of `bits`: may hold a set bit (mark sets it; find clears it after
     * reading the whole page empty), so find skips empty index pages a bit at a time */
    uint64_t live[GA_SCAV_PAGE_WORDS];
} ga_scav_index;

/* 0, or ENOMEM if the reservation was refused (then nothing is held). */
GA_HIDDEN int ga_scav_index_init(ga_scav_index *s, ga_os *os);
/* Give back every byte; s reads as a failed init afterwards. */
GA_HIDDEN void ga_scav_index_destroy(ga_scav_index *s);
/* Real addresses, chunk aligned: the chunks of [base, limit) become usable (their index
 * pages mapped; nothing is marked, as Go: fresh memory is scavenged).  0, EINVAL, or
 * ENOMEM (then nothing changed). */
GA_HIDDEN int ga_scav_index_grow(ga_scav_index *s, uintptr_t base, uintptr_t limit);
/* Go's mark: real addresses, [base, limit) page aligned, in grown chunks: marks the
 * chunks of [base, limit) and raises search to limit - page if it is lower. */
GA_HIDDEN void ga_scav_index_mark(ga_scav_index *s, uintptr_t base, uintptr_t limit);
/* Go's find: the highest marked chunk at or below search's chunk (offset-space chunk
 * index) with *page_idx = search's page in search's own chunk, the chunk's top page in a
 * lower one (then search is lowered to that top page); 0 with search cleared when there
 * is none. */
GA_HIDDEN uintptr_t ga_scav_index_find(ga_scav_index *s, uint32_t *page_idx);
/* Go's clear: chunk ci (offset-space index, grown) holds nothing to scavenge. */
GA_HIDDEN void ga_scav_index_clear(ga_scav_index *s, uintptr_t ci);
/* Whether chunk ci is marked (0 for chunks outside [min, max)). */
GA_HIDDEN int ga_scav_index_marked(const ga_scav_index *s, uintptr_t ci);
/* SI1's structural half: mapped_bytes, min/max, no bit outside [min, max), live bits,
 * search vs the set bits.  (Coverage of dirty chunks is pageAlloc's check.)  0 or -1
 * with why. */
GA_HIDDEN int ga_scav_index_check(const ga_scav_index *s, char *why, size_t len);

#endif
