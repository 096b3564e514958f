/* The summary tree's array steps (Go's pageAlloc.update and find, mpagealloc.go): the
 * parts of pagealloc.c's update and find that read and write summary entries, each with
 * an ACSL contract in psumtree.c proved by Frama-C WP (ci/prove).  pagealloc.c calls
 * them: the proved code is the production code.
 *
 * Levels 0 (root) .. GA_PSUMTREE_LEAF (one entry per chunk); an entry of level l < LEAF
 * has 8 children, entries 8 i .. 8 i + 7 of level l + 1.  Entry i of level l covers
 * pages [i 2^lp, (i + 1) 2^lp), lp = 9 + 3 (LEAF - l) (pages of the offset address space:
 * off >> 13). */
#ifndef GA_PSUMTREE_H
#define GA_PSUMTREE_H

#include <stdint.h>

#include "internal.h"
#include "pallocbits.h"
#include "pallocsum.h"

#define GA_PSUMTREE_LEAF 4 /* the leaf level (levels 0 .. 4) */

/* update (Go's pageAlloc.update): after the bitmaps of chunks [sc, ec] changed, their
 * leaves (summary[GA_PSUMTREE_LEAF]) become the summaries of their chunks, and every entry
 * above them the merge of its children, stopping at the first level where none changed.
 * When sc < ec the change was one contiguous alloc (alloc != 0) or free, so the chunks
 * strictly between are wholly allocated or wholly free: their leaves are set, not
 * recomputed (Go's setConsecutive). */
GA_HIDDEN void ga_psumtree_update(ga_psum *const *summary, ga_pallocdata *const *chunks, uintptr_t sc, uintptr_t ec,
                                  int alloc);

/* find's level step: what it found among the entries it searched. */
#define GA_PSUMTREE_NONE 0    /* no run of npages free pages starts there */
#define GA_PSUMTREE_FOUND 1   /* the lowest such run crosses into or ends in an entry: *at = its first page */
#define GA_PSUMTREE_DESCEND 2 /* the lowest such run lies inside entry *at: search its children */

/* update's level step: sum[i] = ga_psum_merge(&child[8 i], log_n) for i in [lo, hi]
 * (child: the level below, whose entries have 2^log_n pages; sum and child are two
 * levels, two reservations); whether any entry changed (update stops at the first level
 * where none did: the levels above still hold, their children being what they were). */
GA_HIDDEN int ga_psumtree_merge_level(ga_psum *sum, const ga_psum *child, uintptr_t lo, uintptr_t hi, uint32_t log_n);

/* find's level step: search entries e[j0 .. jend) (in address order, 2^lp pages each)
 * for the lowest run of npages free pages starting at or after entry j0; a run of free
 * pages may cross entries.  Returns GA_PSUMTREE_NONE, _FOUND (*at = the run's first page,
 * counted from entry 0's first page) or _DESCEND (*at = the entry whose children to
 * search).  *first = the first non-zero entry at or after j0 it saw (jend if none).  (The
 * ghost parameters name, for the proof only, the pages the entries describe: those of
 * chunk map m, entry 0 from page a on.) */
GA_HIDDEN int ga_psumtree_find_level(const ga_psum *e, uintptr_t j0, uintptr_t jend, unsigned lp, uintptr_t npages,
                                     uintptr_t *at, uintptr_t *first)
    /*@ ghost (ga_pallocdata *const *m, int64_t a) */;

#endif
