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
 * offset address >> 13).  Pages outside grown chunks count as allocated. */
typedef struct mchunk {
    uint64_t ci;
    bool alloc[M_CHUNK_PAGES];
    bool scav[M_CHUNK_PAGES];
    bool dirty;   /* sum/nfree/nscav need recomputing */
    bool touched; /* changed since the driver last compared its bitmaps */
    msum sum;
    uint32_t nfree, nscav;
} mchunk;

typedef struct mspace {
    mchunk **c; /* sorted by ci */
    size_t n, cap;
} mspace;

void ms_init(mspace *m);
void ms_destroy(mspace *m);
mchunk *ms_chunk(const mspace *m, uint64_t ci);                   /* NULL if not grown */
bool ms_is_grown(const mspace *m, uint64_t ci, uint64_t nchunks); /* any of them */
/* Add nchunks fresh chunks from ci (all free, all scavenged); 0 or -1 (no memory). */
int ms_grow(mspace *m, uint64_t ci, uint64_t nchunks);
/* Lowest-address run of n free pages, or M_NONE. */
uint64_t ms_first_fit(const mspace *m, uint64_t n);
bool ms_page_alloc(const mspace *m, uint64_t g); /* true outside grown chunks */
bool ms_page_scav(const mspace *m, uint64_t g);
/* Mark [g, g+n) allocated (clearing scavenged); returns scavenged pages it held. */
uint64_t ms_alloc(mspace *m, uint64_t g, uint64_t n);
void ms_free(mspace *m, uint64_t g, uint64_t n);
void ms_set_scav(mspace *m, uint64_t g, uint64_t n);
void ms_refresh(mchunk *c); /* recompute sum/nfree/nscav if dirty */
uint64_t ms_free_pages(mspace *m);
uint64_t ms_scav_pages(mspace *m);

#endif
