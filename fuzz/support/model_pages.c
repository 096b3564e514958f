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

FUZZ_NOCOV msum m_summarize(const bool *alloc, size_t n) {
    msum s = {0, 0, 0};
    size_t run = 0;
    bool seen_alloc = false;
    for (size_t i = 0; i < n; i++) {
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

FUZZ_NOCOV void ms_destroy(mspace *m) {
    for (size_t i = 0; i < m->n; i++)
        free(m->c[i]);
    free(m->c);
    memset(m, 0, sizeof *m);
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
        mchunk *c = calloc(1, sizeof *c);
        if (!c)
            return -1;
        c->ci = ci + k;
        for (size_t j = 0; j < M_CHUNK_PAGES; j++)
            c->scav[j] = true;
        c->dirty = c->touched = true;
        size_t at = ms_lower(m, c->ci);
        memmove(m->c + at + 1, m->c + at, (m->n - at) * sizeof *m->c);
        m->c[at] = c;
        m->n++;
    }
    return 0;
}

FUZZ_NOCOV uint64_t ms_first_fit(const mspace *m, uint64_t n) {
    uint64_t run = 0, prev = M_NONE;
    for (size_t i = 0; i < m->n; i++) {
        const mchunk *c = m->c[i];
        if (prev == M_NONE || c->ci != prev + 1)
            run = 0;
        prev = c->ci;
        for (size_t j = 0; j < M_CHUNK_PAGES; j++) {
            run = c->alloc[j] ? 0 : run + 1;
            if (run == n)
                return c->ci * M_CHUNK_PAGES + j + 1 - n;
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

/* Pages must lie in grown chunks (the drivers only pass such ranges). */
FUZZ_NOCOV static mchunk *ms_touch(mspace *m, uint64_t g) {
    mchunk *c = ms_chunk(m, g / M_CHUNK_PAGES);
    if (c)
        c->dirty = c->touched = true;
    return c;
}

/* The chunk of page k, looked up once per chunk as k walks a run (the lookup is a binary
 * search: per page it dominated the drivers' time on multi-chunk runs). */
typedef struct walk {
    uint64_t ci;
    mchunk *c;
} walk;
#define WALK_INIT                                                                                                      \
    { UINT64_MAX, NULL }
FUZZ_NOCOV static mchunk *walk_touch(mspace *m, walk *w, uint64_t k) {
    if (k / M_CHUNK_PAGES != w->ci) {
        w->ci = k / M_CHUNK_PAGES;
        w->c = ms_touch(m, k);
    }
    return w->c;
}

FUZZ_NOCOV uint64_t ms_alloc(mspace *m, uint64_t g, uint64_t n) {
    uint64_t scav = 0;
    walk w = WALK_INIT;
    for (uint64_t k = g; k < g + n; k++) {
        mchunk *c = walk_touch(m, &w, k);
        if (!c)
            continue;
        scav += c->scav[k % M_CHUNK_PAGES];
        c->alloc[k % M_CHUNK_PAGES] = true;
        c->scav[k % M_CHUNK_PAGES] = false;
    }
    return scav;
}

FUZZ_NOCOV void ms_free(mspace *m, uint64_t g, uint64_t n) {
    walk w = WALK_INIT;
    for (uint64_t k = g; k < g + n; k++) {
        mchunk *c = walk_touch(m, &w, k);
        if (c)
            c->alloc[k % M_CHUNK_PAGES] = false;
    }
}

FUZZ_NOCOV void ms_set_scav(mspace *m, uint64_t g, uint64_t n) {
    walk w = WALK_INIT;
    for (uint64_t k = g; k < g + n; k++) {
        mchunk *c = walk_touch(m, &w, k);
        if (c)
            c->scav[k % M_CHUNK_PAGES] = true;
    }
}

FUZZ_NOCOV void ms_refresh(mchunk *c) {
    if (!c->dirty)
        return;
    c->sum = m_summarize(c->alloc, M_CHUNK_PAGES);
    c->nfree = c->nscav = 0;
    for (size_t j = 0; j < M_CHUNK_PAGES; j++) {
        c->nfree += !c->alloc[j];
        c->nscav += c->scav[j];
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
