/* Naive models for the page-level drivers.  Written without reusing allocator code:
 * a bool per page, summaries by a plain bit loop, merging by walking the children as
 * a sequence of regions, first fit by a linear search from page 0.  Slow on purpose;
 * the drivers bound how much they ask of it. */
#ifndef MODEL_PAGES_H
#define MODEL_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define M_CHUNK_PAGES 512u
#define M_SUM_MAX ((uint64_t)1 << 21)
#define M_NONE UINT64_MAX

/* A summary as three plain counts. */
typedef struct msum {
    uint64_t start, max, end;
} msum;

static inline bool msum_eq(msum a, msum b) { return a.start == b.start && a.max == b.max && a.end == b.end; }

/* Independent decoder/encoder of the packed format (docs/go-facts.md §13.2). */
msum m_psum_decode(uint64_t v);
uint64_t m_psum_encode(msum s); /* s well formed, each field <= 2^21 */

/* Summary of n pages, alloc[i] = page i allocated. */
msum m_summarize(const bool *alloc, size_t n);
/* Summary of the concatenation of k regions of `each` pages, given their summaries. */
msum m_merge(const msum *c, size_t k, uint64_t each);
/* Lowest j >= from with [j, j+n) free and j + n <= len, or M_NONE.  n >= 1. */
uint64_t m_find(const bool *alloc, size_t len, size_t from, size_t n);

/* The whole 48-bit page space of one pageAlloc, sparsely: the chunks grown so far,
 * sorted by chunk index.  Pages are numbered globally: g = ci * 512 + j (the page's
 * offset address >> 13).  Pages outside grown chunks count as allocated.
 *
 * So that a driver can compare only what an operation changed, the space also keeps
 * (all recomputed by plain loops, nothing taken from the allocator): the list of
 * chunks touched since the driver last cleared it, running totals of free/scavenged
 * pages and of coalesced ranges (ms_free_pages/ms_scav_pages recount them naively),
 * and a cache of the summary tree above the chunks (M_LEVELS levels, as pageAlloc's:
 * entry i of level l covers chunks [i << 3(4-l), (i+1) << 3(4-l))), brought up to date
 * on the touched chunks' paths by ms_sum_update, each node the naive merge of its 8
 * children. */
typedef struct mchunk {
    uint64_t ci;
    bool alloc[M_CHUNK_PAGES];
    bool scav[M_CHUNK_PAGES];
    bool dirty;   /* sum/nfree/nscav/aw/sw need recomputing */
    bool touched; /* changed since the driver last compared its bitmaps */
    msum sum;
    uint32_t nfree, nscav;
    uint64_t aw[M_CHUNK_PAGES / 64],
        sw[M_CHUNK_PAGES / 64]; /* alloc, scav as bits: page j is bit j % 64 of word j / 64 */
} mchunk;

#define M_LEVELS 5 /* summary levels; the last is the chunks' own (leaf) summaries */

typedef struct msnode {
    uint64_t key; /* 0: empty; else (blk << 3 | l) + 1: entries blk * 8 .. + 7 of level l */
    uint64_t gen; /* an entry of another generation than the space's is empty too */
    msum s[8];
} msnode;

typedef struct mspace {
    mchunk **c; /* sorted by ci */
    size_t n, cap;
    uint64_t nfree, nscav; /* running totals over the grown chunks */
    size_t nranges;        /* grown chunks coalesced into ranges */
    mchunk **tl;           /* touched since ms_clear_touched, each once */
    size_t ntl, captl;
    msnode *h; /* summary cache of levels 0 .. M_LEVELS - 2 (open addressing) */
    size_t nh, caph;
    uint64_t gen;  /* ms_reset empties the cache by starting a new generation */
    uint64_t *idx; /* ms_sum_update's scratch array */
    size_t capidx;
} mspace;

void ms_init(mspace *m);
void ms_destroy(mspace *m);
/* Back to the empty space of ms_init, keeping the memory for the next use. */
void ms_reset(mspace *m);
mchunk *ms_chunk(const mspace *m, uint64_t ci);                   /* NULL if not grown */
bool ms_is_grown(const mspace *m, uint64_t ci, uint64_t nchunks); /* any of them */
/* Add nchunks fresh chunks from ci (all free, all scavenged); 0 or -1 (no memory). */
int ms_grow(mspace *m, uint64_t ci, uint64_t nchunks);
/* Lowest-address run of n free pages, or M_NONE. */
uint64_t ms_first_fit(mspace *m, uint64_t n);
bool ms_page_alloc(const mspace *m, uint64_t g); /* true outside grown chunks */
bool ms_page_scav(const mspace *m, uint64_t g);
/* Mark [g, g+n) allocated (clearing scavenged); returns scavenged pages it held. */
uint64_t ms_alloc(mspace *m, uint64_t g, uint64_t n);
void ms_free(mspace *m, uint64_t g, uint64_t n);
void ms_set_scav(mspace *m, uint64_t g, uint64_t n);
/* Go's scavenge(bytes) (mgcscavenge.go) planned page by page, without changing m:
 * chunks from the highest down; in each, runs of free unscavenged pages from the
 * highest down; a run is cut to its top `want` pages (want = pages still asked,
 * ceil(bytes / 8 KiB) at first), then, with huge pages of hp pages (hp > 1), taken down
 * to the huge page boundary below its start when the run holds that boundary and the
 * cut part reaches the boundary above its start; until want is met or nothing is left.
 * Returns the pages to release; *low = the lowest page index (M_NONE if none).  Every
 * free unscavenged page at or above *low is released, none below. */
uint64_t ms_scavenge_plan(mspace *m, uint64_t bytes, uint64_t hp, uint64_t *low);
void ms_refresh(mchunk *c);        /* recompute sum/nfree/nscav/aw/sw if dirty */
uint64_t ms_free_pages(mspace *m); /* naive recounts over every chunk */
uint64_t ms_scav_pages(mspace *m);
/* Lowest page >= 0 that is free, or M_NONE (first fit of one page). */
static inline uint64_t ms_first_free(mspace *m) { return ms_first_fit(m, 1); }
/* Free unscavenged pages, all chunks / in chunks from the top down to page `above`
 * (exclusive): is there one? */
uint64_t ms_dirty_free_pages(mspace *m);
bool ms_any_dirty_free_above(mspace *m, uint64_t above);
void ms_clear_touched(mspace *m); /* empties the touched list (touched flags cleared) */
/* Recompute the cached summaries on the paths of the touched chunks, bottom up. */
void ms_sum_update(mspace *m);
/* The same, calling visit(ctx, l, blk, sums) with the (final) 8 entries of every block
 * on those paths, each once, every level from the leaves (M_LEVELS - 1) to the root (0). */
typedef void (*ms_visit)(void *ctx, int l, uint64_t blk, const msum sums[8]);
void ms_sum_update_visit(mspace *m, ms_visit visit, void *ctx);
/* A page cache (alloc/pagecache.h) as the model sees it: the 64 pages from page g0
 * (a multiple of 64), each free in the cache or not, scavenged or not.  Its free pages
 * are allocated (and unscavenged) in the space, as pageAlloc counts them.  Empty:
 * no page free (g0 then means nothing). */
#define M_CACHE_PAGES 64
typedef struct mpcache {
    uint64_t g0;
    bool free[M_CACHE_PAGES];
    bool scav[M_CACHE_PAGES];
} mpcache;
bool mpc_empty(const mpcache *c);
/* allocToCache, naively: the lowest free page of the whole space decides the block;
 * the block's free pages move into c with their scavenged flags and become allocated
 * and unscavenged in m.  false (c emptied, m unchanged) when no page is free. */
bool ms_to_cache(mspace *m, mpcache *c);
/* The lowest run of n (>= 1) pages free in c, handed out: its first page, or M_NONE
 * (n > 64 included); *scav = how many of them were scavenged. */
uint64_t mpc_alloc(mpcache *c, uint64_t n, uint64_t *scav);
/* The cache's free pages back to m, free, with their scavenged flags; c emptied. */
void ms_flush_cache(mspace *m, mpcache *c);

/* The model's summary of entry i of level l (0 .. M_LEVELS - 1): the chunk's own at the
 * leaf level, else the cached node; (0, 0, 0) over no grown chunk.  Valid for the
 * nodes on the paths ms_sum_update has brought up to date. */
msum ms_node(mspace *m, int l, uint64_t i);
/* The 8 entries blk * 8 .. blk * 8 + 7 of level l, as ms_node gives each. */
void ms_block(mspace *m, int l, uint64_t blk, msum out[8]);

#endif
