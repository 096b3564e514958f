#include "model_pages.h"

#include "fuzz_input.h"

#include <stdlib.h>
#include <string.h>

FUZZ_NOCOV msum m_psum_decode(uint64_t v) {
    msum s;
    if (v >> 63) {
        s.start = s.max = s.end = M_SUM_MAX;
        return s;
    }
    uint64_t mask = M_SUM_MAX - 1;
    s.start = v & mask;
    s.max = (v >> 21) & mask;
    s.end = (v >> 42) & mask;
    return s;
}

FUZZ_NOCOV uint64_t m_psum_encode(msum s) {
    if (s.max == M_SUM_MAX)
        return (uint64_t)1 << 63;
    return s.start | s.max << 21 | s.end << 42;
}

/* Bools are bytes 0 or 1: 8 pages read as one word are 0 when all are free, ONES8 when
 * all are allocated, and their sum is the byte sum (ms_count).  Reading 8 at a time
 * where a whole group is alike keeps the loops plain while costing one load, not 8
 * (each one checked under ASan), per group. */
#define ONES8 0x0101010101010101ull
static inline uint64_t load8(const bool *b) {
    uint64_t w;
    memcpy(&w, b, 8);
    return w;
}

/* 64 bools as the bits of a word, bool k -> bit k: 8 at a time, the multiply gathers
 * byte i's low bit into bit 56 + i. */
static inline uint64_t pack64(const bool *b) {
    uint64_t w = 0;
    for (unsigned k = 0; k < 8; k++)
        w |= ((load8(b + 8 * k) * 0x0102040810204080ull) >> 56) << (8 * k);
    return w;
}

/* Pages i in [0, n) with b[i] true. */
FUZZ_NOCOV static size_t ms_count(const bool *b, size_t n) {
    size_t t = 0, i = 0;
    for (; i + 8 <= n; i += 8)
        t += (size_t)((load8(b + i) * ONES8) >> 56); /* the sum of the 8 bytes, at most 8 */
    for (; i < n; i++)
        t += b[i];
    return t;
}

FUZZ_NOCOV msum m_summarize(const bool *alloc, size_t n) {
    msum s = {0, 0, 0};
    size_t run = 0;
    bool seen_alloc = false;
    for (size_t i = 0; i < n; i++) {
        if (i % 8 == 0 && n - i >= 8) { /* a group of 8 alike: as 8 steps of the loop below */
            uint64_t w = load8(alloc + i);
            if (w == ONES8) {
                seen_alloc = true;
                run = 0;
                i += 7;
                continue;
            }
            if (w == 0) {
                run += 8;
                if (!seen_alloc)
                    s.start = run;
                if (run > s.max)
                    s.max = run;
                i += 7;
                continue;
            }
        }
        if (alloc[i]) {
            seen_alloc = true;
            run = 0;
            continue;
        }
        run++;
        if (!seen_alloc)
            s.start = run;
        if (run > s.max)
            s.max = run;
    }
    s.end = run;
    return s;
}

/* Regions fully free are those with start == each.  The longest run is either inside
 * one child, or runs from child i's end across fully free children into child j's
 * start: try every pair. */
FUZZ_NOCOV msum m_merge(const msum *c, size_t k, uint64_t each) {
    msum r = {0, 0, 0};
    size_t i = 0;
    while (i < k && c[i].start == each)
        r.start += each, i++;
    if (i < k)
        r.start += c[i].start;
    i = k;
    while (i > 0 && c[i - 1].start == each)
        r.end += each, i--;
    if (i > 0)
        r.end += c[i - 1].end;
    for (i = 0; i < k; i++)
        if (c[i].max > r.max)
            r.max = c[i].max;
    for (i = 0; i < k; i++) {
        uint64_t run = c[i].end;
        for (size_t j = i + 1; j < k; j++) {
            if (c[j].start == each) {
                run += each;
            } else {
                run += c[j].start;
                if (run > r.max)
                    r.max = run;
                break;
            }
            if (run > r.max)
                r.max = run;
        }
    }
    if (r.start > r.max)
        r.max = r.start;
    if (r.end > r.max)
        r.max = r.end;
    return r;
}

FUZZ_NOCOV uint64_t m_find(const bool *alloc, size_t len, size_t from, size_t n) {
    size_t run = 0;
    for (size_t j = from; j < len; j++) {
        run = alloc[j] ? 0 : run + 1;
        if (run == n)
            return j + 1 - n;
    }
    return M_NONE;
}

FUZZ_NOCOV void ms_init(mspace *m) { memset(m, 0, sizeof *m); }

/* Chunks given back by ms_reset, for the next ms_grow (fresh allocations for every
 * input were most of the drivers' page faults under ASan, whose quarantine hands out
 * new memory each time).  Single-threaded use, as the drivers. */
static mchunk **pool;
static size_t npool, cappool;

FUZZ_NOCOV void ms_destroy(mspace *m) {
    for (size_t i = 0; i < m->n; i++)
        free(m->c[i]);
    free(m->c);
    free(m->tl);
    free(m->h);
    free(m->idx);
    memset(m, 0, sizeof *m);
}

FUZZ_NOCOV void ms_reset(mspace *m) {
    if (m->n && npool + m->n > cappool) {
        size_t cap = 2 * (npool + m->n);
        mchunk **np = realloc(pool, cap * sizeof *np);
        if (!np) {
            ms_destroy(m);
            return;
        }
        pool = np;
        cappool = cap;
    }
    if (m->n) {
        memcpy(pool + npool, m->c, m->n * sizeof *m->c);
        npool += m->n;
    }
    m->n = 0;
    m->nfree = m->nscav = 0;
    m->nranges = 0;
    m->ntl = 0;
    m->gen++; /* every cached node is now empty, without clearing the table (it only grows) */
    m->nh = 0;
}

FUZZ_NOCOV static size_t ms_lower(const mspace *m, uint64_t ci) {
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->c[mid]->ci < ci)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

FUZZ_NOCOV mchunk *ms_chunk(const mspace *m, uint64_t ci) {
    size_t i = ms_lower(m, ci);
    return i < m->n && m->c[i]->ci == ci ? m->c[i] : NULL;
}

FUZZ_NOCOV bool ms_is_grown(const mspace *m, uint64_t ci, uint64_t nchunks) {
    size_t i = ms_lower(m, ci);
    return i < m->n && m->c[i]->ci < ci + nchunks;
}

/* Adds c to the touched list unless it is on it. */
FUZZ_NOCOV static int touch(mspace *m, mchunk *c) {
    c->dirty = true;
    if (c->touched)
        return 0;
    if (m->ntl == m->captl) {
        size_t cap = m->captl ? 2 * m->captl : 64;
        mchunk **nt = realloc(m->tl, cap * sizeof *nt);
        if (!nt)
            return -1;
        m->tl = nt;
        m->captl = cap;
    }
    m->tl[m->ntl++] = c;
    c->touched = true;
    return 0;
}

FUZZ_NOCOV void ms_clear_touched(mspace *m) {
    for (size_t k = 0; k < m->ntl; k++)
        m->tl[k]->touched = false;
    m->ntl = 0;
}

FUZZ_NOCOV int ms_grow(mspace *m, uint64_t ci, uint64_t nchunks) {
    if (m->n + nchunks > m->cap) {
        size_t cap = (m->n + nchunks) * 2;
        mchunk **nc = realloc(m->c, cap * sizeof *nc);
        if (!nc)
            return -1;
        m->c = nc;
        m->cap = cap;
    }
    for (uint64_t k = 0; k < nchunks; k++) {
        mchunk *c = npool ? pool[--npool] : malloc(sizeof *c);
        if (!c)
            return -1;
        memset(c, 0, sizeof *c);
        c->ci = ci + k;
        memset(c->scav, true, sizeof c->scav);
        if (touch(m, c) != 0) {
            free(c);
            return -1;
        }
        /* What ms_refresh would compute for a chunk all free and all scavenged, set
         * outright: refreshing each of a 4200-chunk spread cost more than the rest of it. */
        c->sum = (msum){M_CHUNK_PAGES, M_CHUNK_PAGES, M_CHUNK_PAGES};
        c->nfree = c->nscav = M_CHUNK_PAGES;
        for (size_t w = 0; w < M_CHUNK_PAGES / 64; w++) {
            c->aw[w] = 0;
            c->sw[w] = ~(uint64_t)0;
        }
        c->dirty = false;
        size_t at = ms_lower(m, c->ci);
        /* one range more, minus the neighbours it joins */
        m->nranges += 1;
        m->nranges -= at > 0 && m->c[at - 1]->ci + 1 == c->ci;
        m->nranges -= at < m->n && m->c[at]->ci == c->ci + 1;
        memmove(m->c + at + 1, m->c + at, (m->n - at) * sizeof *m->c);
        m->c[at] = c;
        m->n++;
        m->nfree += M_CHUNK_PAGES;
        m->nscav += M_CHUNK_PAGES;
    }
    return 0;
}

/* Page by page, as a plain scan would, but a chunk is read whole only when its own
 * (plain-loop) summary says the run can end in it: a page-by-page scan over every
 * grown chunk per allocation dominated the driver once thousands were grown. */
FUZZ_NOCOV uint64_t ms_first_fit(mspace *m, uint64_t n) {
    uint64_t run = 0, prev = M_NONE;
    for (size_t i = 0; i < m->n; i++) {
        mchunk *c = m->c[i];
        if (prev == M_NONE || c->ci != prev + 1)
            run = 0;
        prev = c->ci;
        ms_refresh(c);
        if (run + c->sum.start >= n) /* the run carried in ends in this chunk's head */
            return c->ci * M_CHUNK_PAGES - run;
        if (c->sum.start == M_CHUNK_PAGES) { /* all free, and still too short */
            run += M_CHUNK_PAGES;
            continue;
        }
        if (c->sum.max < n) { /* no run of n inside: what carries on is the tail */
            run = c->sum.end;
            continue;
        }
        /* Free run by free run (bools are bytes: memchr finds the next page of the
         * other kind), as the page-by-page scan would see them: this scan, once per
         * allocation and per search-hint check, was half of a typical input's time. */
        for (size_t j = 0; j < M_CHUNK_PAGES;) {
            const bool *a = memchr(c->alloc + j, true, M_CHUNK_PAGES - j);
            size_t k = a ? (size_t)(a - c->alloc) : M_CHUNK_PAGES; /* pages [j, k) free */
            run += k - j;
            if (run >= n) /* the first n pages of the run ending at k */
                return c->ci * M_CHUNK_PAGES + k - run;
            if (!a)
                break; /* the run carries on into the next chunk */
            const bool *f = memchr(c->alloc + k, false, M_CHUNK_PAGES - k);
            run = 0;
            if (!f)
                break;
            j = (size_t)(f - c->alloc);
        }
    }
    return M_NONE;
}

FUZZ_NOCOV bool ms_page_alloc(const mspace *m, uint64_t g) {
    const mchunk *c = ms_chunk(m, g / M_CHUNK_PAGES);
    return c ? c->alloc[g % M_CHUNK_PAGES] : true;
}

FUZZ_NOCOV bool ms_page_scav(const mspace *m, uint64_t g) {
    const mchunk *c = ms_chunk(m, g / M_CHUNK_PAGES);
    return c ? c->scav[g % M_CHUNK_PAGES] : false;
}

/* Runs are walked a chunk at a time: the piece of [k, end) in k's chunk has *len pages
 * from page k % 512 of the chunk returned (touched; NULL outside grown chunks).  The
 * chunk is looked up once per piece (a binary search: per page it dominated the
 * drivers' time on multi-chunk runs).  Pages must lie in grown chunks (the drivers only
 * pass such ranges).  *was_dirty: the chunk's cached fields were stale before. */
FUZZ_NOCOV static mchunk *piece(mspace *m, uint64_t k, uint64_t end, uint64_t *len, bool *was_dirty) {
    uint64_t j = k % M_CHUNK_PAGES;
    *len = end - k < M_CHUNK_PAGES - j ? end - k : M_CHUNK_PAGES - j;
    mchunk *c = ms_chunk(m, k / M_CHUNK_PAGES);
    *was_dirty = c && c->dirty;
    if (c && touch(m, c) != 0)
        abort();
    return c;
}

/* A chunk whose pages were all just allocated (alloc: all allocated, none scavenged) or
 * all freed (!alloc, its scavenged pages unchanged, its cached fields up to date
 * before): its summary, counts and words are what ms_refresh would compute; set
 * outright (refreshing every chunk of a multi-chunk run, page by page, was most of a
 * large input's model time). */
FUZZ_NOCOV static void set_whole(mchunk *c, bool alloc) {
    uint64_t n = alloc ? 0 : M_CHUNK_PAGES;
    c->sum = (msum){n, n, n};
    c->nfree = (uint32_t)n;
    if (alloc)
        c->nscav = 0;
    for (size_t w = 0; w < M_CHUNK_PAGES / 64; w++) {
        c->aw[w] = alloc ? ~(uint64_t)0 : 0;
        if (alloc)
            c->sw[w] = 0;
    }
    c->dirty = false;
}

FUZZ_NOCOV uint64_t ms_alloc(mspace *m, uint64_t g, uint64_t n) {
    uint64_t scav = 0, len;
    bool was;
    for (uint64_t k = g; k < g + n; k += len) {
        mchunk *c = piece(m, k, g + n, &len, &was);
        if (!c)
            continue;
        bool *a = c->alloc + k % M_CHUNK_PAGES, *s = c->scav + k % M_CHUNK_PAGES;
        size_t sc = ms_count(s, len);
        scav += sc;
        m->nfree -= len - ms_count(a, len);
        m->nscav -= sc;
        memset(a, true, len);
        memset(s, false, len);
        if (len == M_CHUNK_PAGES) /* the whole chunk: what ms_refresh would compute, set outright */
            set_whole(c, true);
    }
    return scav;
}

FUZZ_NOCOV void ms_free(mspace *m, uint64_t g, uint64_t n) {
    uint64_t len;
    bool was;
    for (uint64_t k = g; k < g + n; k += len) {
        mchunk *c = piece(m, k, g + n, &len, &was);
        if (!c)
            continue;
        m->nfree += ms_count(c->alloc + k % M_CHUNK_PAGES, len);
        memset(c->alloc + k % M_CHUNK_PAGES, false, len);
        if (len == M_CHUNK_PAGES && !was) /* scav's cached fields still hold */
            set_whole(c, false);
    }
}

FUZZ_NOCOV void ms_set_scav(mspace *m, uint64_t g, uint64_t n) {
    uint64_t len;
    bool was;
    for (uint64_t k = g; k < g + n; k += len) {
        mchunk *c = piece(m, k, g + n, &len, &was);
        if (!c)
            continue;
        m->nscav += len - ms_count(c->scav + k % M_CHUNK_PAGES, len);
        memset(c->scav + k % M_CHUNK_PAGES, true, len);
        if (len == M_CHUNK_PAGES && !was) { /* all scavenged; alloc's cached fields still hold */
            c->nscav = M_CHUNK_PAGES;
            for (size_t w = 0; w < M_CHUNK_PAGES / 64; w++)
                c->sw[w] = ~(uint64_t)0;
            c->dirty = false;
        }
    }
}

FUZZ_NOCOV void ms_refresh(mchunk *c) {
    if (!c->dirty)
        return;
    c->sum = m_summarize(c->alloc, M_CHUNK_PAGES);
    c->nfree = (uint32_t)(M_CHUNK_PAGES - ms_count(c->alloc, M_CHUNK_PAGES));
    c->nscav = (uint32_t)ms_count(c->scav, M_CHUNK_PAGES);
    for (size_t w = 0; w < M_CHUNK_PAGES / 64; w++) {
        c->aw[w] = pack64(c->alloc + 64 * w);
        c->sw[w] = pack64(c->scav + 64 * w);
    }
    c->dirty = false;
}

FUZZ_NOCOV uint64_t ms_free_pages(mspace *m) {
    uint64_t t = 0;
    for (size_t i = 0; i < m->n; i++) {
        ms_refresh(m->c[i]);
        t += m->c[i]->nfree;
    }
    return t;
}

FUZZ_NOCOV uint64_t ms_scav_pages(mspace *m) {
    uint64_t t = 0;
    for (size_t i = 0; i < m->n; i++) {
        ms_refresh(m->c[i]);
        t += m->c[i]->nscav;
    }
    return t;
}

FUZZ_NOCOV uint64_t ms_dirty_free_pages(mspace *m) {
    uint64_t t = 0;
    for (size_t i = 0; i < m->n; i++) {
        mchunk *c = m->c[i];
        ms_refresh(c);
        if (c->nfree == c->nscav) /* scavenged pages are free: all free ones are */
            continue;
        for (size_t j = 0; j < M_CHUNK_PAGES; j++)
            t += !c->alloc[j] && !c->scav[j];
    }
    return t;
}

FUZZ_NOCOV uint64_t ms_scavenge_plan(mspace *m, uint64_t bytes, uint64_t hp, uint64_t *low) {
    uint64_t want = bytes / 8192 + (bytes % 8192 != 0), got = 0;
    *low = M_NONE;
    for (size_t i = m->n; i-- > 0 && got < want;) {
        mchunk *c = m->c[i];
        uint64_t top = M_CHUNK_PAGES; /* pages [top, 512) of this chunk are done */
        while (got < want) {
            uint64_t end = top;
            while (end > 0 && (c->alloc[end - 1] || c->scav[end - 1]))
                end--;
            if (end == 0)
                break;
            uint64_t first = end; /* the run is [first, end) */
            while (first > 0 && !c->alloc[first - 1] && !c->scav[first - 1])
                first--;
            uint64_t size = end - first < want - got ? end - first : want - got, st = end - size;
            if (hp > 1) {
                uint64_t above = (st + hp - 1) / hp * hp, below = st / hp * hp;
                if (above <= end && below >= first)
                    st = below;
            }
            got += end - st;
            *low = c->ci * M_CHUNK_PAGES + st;
            top = st;
        }
    }
    return got;
}

FUZZ_NOCOV bool ms_any_dirty_free_above(mspace *m, uint64_t above) {
    for (size_t i = m->n; i-- > 0;) {
        mchunk *c = m->c[i];
        if ((c->ci + 1) * M_CHUNK_PAGES <= above)
            return false;
        ms_refresh(c);
        if (c->nfree == c->nscav)
            continue;
        for (size_t j = M_CHUNK_PAGES; j-- > 0;) {
            if (c->ci * M_CHUNK_PAGES + j < above)
                return false;
            if (!c->alloc[j] && !c->scav[j])
                return true;
        }
    }
    return false;
}

/* ---- the summary cache ---- */

static inline unsigned level_chunk_bits(int l) { return 3u * (unsigned)(M_LEVELS - 1 - l); }

/* The cache holds blocks of 8 sibling entries (a node per block, keyed by level and
 * block index): ms_block, which every compare and every merge calls, is one lookup. */
FUZZ_NOCOV static msnode *node_slot(const mspace *m, int l, uint64_t blk) {
    if (m->caph == 0)
        return NULL;
    uint64_t key = (blk << 3 | (uint64_t)l) + 1;
    size_t mask = m->caph - 1, k = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & mask;
    while (m->h[k].key != 0 && m->h[k].gen == m->gen && m->h[k].key != key)
        k = (k + 1) & mask;
    return &m->h[k];
}

FUZZ_NOCOV static void node_put(mspace *m, int l, uint64_t i, msum s) {
    if (2 * (m->nh + 1) > m->caph) {
        size_t cap = m->caph ? 2 * m->caph : 1024;
        msnode *old = m->h;
        size_t ocap = m->caph;
        m->h = calloc(cap, sizeof *m->h);
        if (!m->h)
            abort();
        m->caph = cap;
        for (size_t k = 0; k < ocap; k++)
            if (old[k].key != 0 && old[k].gen == m->gen)
                *node_slot(m, (int)((old[k].key - 1) & 7), (old[k].key - 1) >> 3) = old[k];
        free(old);
    }
    msnode *n = node_slot(m, l, i >> 3);
    if (n->key == 0 || n->gen != m->gen) {
        n->key = ((i >> 3) << 3 | (uint64_t)l) + 1;
        n->gen = m->gen;
        memset(n->s, 0, sizeof n->s); /* the block's other entries: (0, 0, 0) until put */
        m->nh++;
    }
    n->s[i & 7] = s;
}

/* The cached block blk of level l (its 8 sums), or NULL: all (0, 0, 0). */
FUZZ_NOCOV static const msum *node_block(const mspace *m, int l, uint64_t blk) {
    const msnode *n = node_slot(m, l, blk);
    return n && n->key && n->gen == m->gen ? n->s : NULL;
}

/* *s, or (0, 0, 0) for NULL: field by field (a struct copy is a memcpy call under ASan,
 * and these run for every entry the drivers compare). */
static inline msum sum_or_zero(const msum *s) {
    msum r;
    r.start = s ? s->start : 0;
    r.max = s ? s->max : 0;
    r.end = s ? s->end : 0;
    return r;
}

FUZZ_NOCOV msum ms_node(mspace *m, int l, uint64_t i) {
    if (l == M_LEVELS - 1) {
        mchunk *c = ms_chunk(m, i);
        if (!c)
            return sum_or_zero(NULL);
        ms_refresh(c);
        return sum_or_zero(&c->sum);
    }
    const msum *b = node_block(m, l, i >> 3);
    return sum_or_zero(b ? &b[i & 7] : NULL);
}

FUZZ_NOCOV void ms_block(mspace *m, int l, uint64_t blk, msum out[8]) {
    if (l < M_LEVELS - 1) {
        const msum *b = node_block(m, l, blk);
        for (unsigned j = 0; j < 8; j++)
            out[j] = sum_or_zero(b ? &b[j] : NULL);
        return;
    }
    /* leaves: the grown chunks among blk * 8 .. + 7 follow each other in m->c (one
     * binary search, not eight) */
    size_t k = ms_lower(m, blk * 8);
    for (unsigned j = 0; j < 8; j++) {
        const msum *s = NULL;
        if (k < m->n && m->c[k]->ci == blk * 8 + j) {
            ms_refresh(m->c[k]);
            s = &m->c[k++]->sum;
        }
        out[j] = sum_or_zero(s);
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

FUZZ_NOCOV void ms_sum_update_visit(mspace *m, ms_visit visit, void *ctx) {
    if (m->ntl == 0)
        return;
    if (m->ntl > m->capidx) { /* kept from call to call: a fresh block each time cost ASan page faults */
        free(m->idx);
        m->capidx = 2 * m->ntl;
        m->idx = malloc(m->capidx * sizeof *m->idx);
        if (!m->idx)
            abort();
    }
    uint64_t *idx = m->idx;
    size_t n = m->ntl;
    bool sorted = true;
    for (size_t k = 0; k < n; k++) {
        idx[k] = m->tl[k]->ci;
        sorted &= k == 0 || idx[k - 1] <= idx[k];
    }
    if (!sorted) /* sorted once, it stays sorted through the shifts and deduplication below */
        qsort(idx, n, sizeof *idx, cmp_u64);
    for (int l = M_LEVELS - 2; l >= 0; l--) {
        /* the parents at level l of the level-(l+1) entries in idx, each once */
        for (size_t k = 0; k < n; k++)
            idx[k] >>= 3;
        size_t u = 0;
        for (size_t k = 0; k < n; k++)
            if (u == 0 || idx[u - 1] != idx[k])
                idx[u++] = idx[k];
        n = u;
        for (size_t k = 0; k < n; k++) {
            msum c[8];
            ms_block(m, l + 1, idx[k], c);
            if (visit)
                visit(ctx, l + 1, idx[k], c);
            node_put(m, l, idx[k], m_merge(c, 8, (uint64_t)M_CHUNK_PAGES << level_chunk_bits(l + 1)));
        }
    }
    if (!visit)
        return;
    /* the root level's blocks, which no merge reads */
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && idx[k - 1] >> 3 == idx[k] >> 3)
            continue;
        msum c[8];
        ms_block(m, 0, idx[k] >> 3, c);
        visit(ctx, 0, idx[k] >> 3, c);
    }
}

FUZZ_NOCOV void ms_sum_update(mspace *m) { ms_sum_update_visit(m, NULL, NULL); }

/* ---- page caches: page by page, nothing taken from alloc/pagecache.c ---------------- */

FUZZ_NOCOV bool mpc_empty(const mpcache *c) { return memchr(c->free, true, M_CACHE_PAGES) == NULL; }

FUZZ_NOCOV bool ms_to_cache(mspace *m, mpcache *c) {
    memset(c, 0, sizeof *c);
    uint64_t f = ms_first_free(m);
    if (f == M_NONE)
        return false;
    c->g0 = f - f % M_CACHE_PAGES;
    for (unsigned i = 0; i < M_CACHE_PAGES; i++) {
        uint64_t g = c->g0 + i;
        c->free[i] = !ms_page_alloc(m, g);
        c->scav[i] = c->free[i] && ms_page_scav(m, g);
    }
    ms_alloc(m, c->g0, M_CACHE_PAGES); /* allocated pages stay so; free ones become allocated, unscavenged */
    return true;
}

FUZZ_NOCOV uint64_t mpc_alloc(mpcache *c, uint64_t n, uint64_t *scav) {
    *scav = 0;
    for (uint64_t i = 0; n >= 1 && i + n <= M_CACHE_PAGES; i++) {
        uint64_t j = 0;
        while (j < n && c->free[i + j])
            j++;
        if (j < n)
            continue;
        for (j = 0; j < n; j++) {
            *scav += c->scav[i + j];
            c->free[i + j] = c->scav[i + j] = false;
        }
        return c->g0 + i;
    }
    return M_NONE;
}

FUZZ_NOCOV void ms_flush_cache(mspace *m, mpcache *c) {
    for (unsigned i = 0; i < M_CACHE_PAGES; i++) {
        if (!c->free[i])
            continue;
        ms_free(m, c->g0 + i, 1);
        if (c->scav[i])
            ms_set_scav(m, c->g0 + i, 1);
    }
    memset(c, 0, sizeof *c);
}
