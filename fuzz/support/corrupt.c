/* Corrupt, check, restore (see corrupt.h): white-box corruptions of heap and pageAlloc
 * metadata, each with the invariant tag the checker must report.
 *
 * Every write goes through poke(), which logs the previous bytes; restore() writes
 * them back in reverse order, so the heap is byte-for-byte what it was before the op.
 * The expected tag is a substring of the checker's description (the constant part of
 * its format string, e.g. "S7: alloc_count").  The checkers report the FIRST broken
 * invariant in a fixed walk order (pageAlloc, arenas, spans, caches, totals; lists
 * before all of them), so each corruption picks a target on which nothing earlier in
 * the walk can notice it: span fields on cached spans (the list walk never sees them),
 * large-span geometry (the list walk does not read it), pageAlloc changes that keep
 * the summary tree consistent when a later invariant is aimed at, and so on. */
#include "corrupt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "pagealloc_impl.h"

#define LOG_MAX 96
#define LOG_BYTES 16
#define WHY_LEN 512

typedef struct cctx {
    ga_heap *h; /* NULL for a bare pageAlloc */
    ga_pagealloc *p;
    uint32_t t;       /* target selector */
    uint32_t pos;     /* position selector: (v >> 2) << 8 | t >> 8 (which byte, bit, slot) */
    const char *want; /* expected substring of the description */
    size_t nlog;
    struct {
        unsigned char *addr;
        size_t n;
        unsigned char old[LOG_BYTES];
    } log[LOG_MAX];
} cctx;

FUZZ_NOCOV static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
FUZZ_NOCOV static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("corrupt: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void poke(cctx *c, void *addr, const void *val, size_t n) {
    if (c->nlog == LOG_MAX || n > LOG_BYTES)
        die("undo log full (%zu entries, %zu bytes)", c->nlog, n);
    c->log[c->nlog].addr = addr;
    c->log[c->nlog].n = n;
    memcpy(c->log[c->nlog].old, addr, n);
    c->nlog++;
    memcpy(addr, val, n);
}
/* lvalue := value, logged (atomic fields too: nothing else runs meanwhile). */
#define POKE(c, lv, val)                                                                                               \
    do {                                                                                                               \
        __typeof__(lv) v_ = (val);                                                                                     \
        poke((c), (void *)&(lv), (const void *)&v_, sizeof v_);                                                        \
    } while (0)

static void restore(cctx *c) {
    while (c->nlog) {
        c->nlog--;
        memcpy(c->log[c->nlog].addr, c->log[c->nlog].old, c->log[c->nlog].n);
    }
}

static inline bool bitget(const uint64_t *b, size_t i) { return b[i / 64] >> (i % 64) & 1; }
static void bitput(cctx *c, uint64_t *b, size_t i, bool v) {
    uint64_t w = v ? b[i / 64] | (uint64_t)1 << (i % 64) : b[i / 64] & ~((uint64_t)1 << (i % 64));
    POKE(c, b[i / 64], w);
}

/* ==== pageAlloc helpers ================================================================ */

/* pageAlloc's private struct (ga_pa_priv), chunk lookups and summary level geometry
 * come from pagealloc_impl.h, shared with pagealloc.c. */
#define LEAF (GA_SUMMARY_LEVELS - 1)
static bool in_use_meets(const ga_pagealloc *p, uintptr_t b, uintptr_t l) {
    for (size_t k = 0; k < p->in_use.n; k++)
        if (p->in_use.ranges[k].base < l && p->in_use.ranges[k].limit > b)
            return true;
    return false;
}
static size_t in_use_chunks(const ga_pagealloc *p) {
    size_t n = 0;
    for (size_t k = 0; k < p->in_use.n; k++)
        n += (p->in_use.ranges[k].limit - p->in_use.ranges[k].base) >> GA_LOG_CHUNK_BYTES;
    return n;
}
/* Chunk index of the i-th in-use chunk (i < in_use_chunks). */
static uintptr_t nth_chunk(const ga_pagealloc *p, size_t i) {
    for (size_t k = 0;; k++) {
        size_t n = (p->in_use.ranges[k].limit - p->in_use.ranges[k].base) >> GA_LOG_CHUNK_BYTES;
        if (i < n)
            return (p->in_use.ranges[k].base >> GA_LOG_CHUNK_BYTES) + i;
        i -= n;
    }
}

/* Pages of in-use chunks whose (alloc, scav) bits match: kind 0 allocated, 1 free,
 * 2 free and unscavenged.  Returns the (t % count)-th as an offset address, or
 * GA_PA_MAX_OFF if there is none.  A word of pages at a time, outside coverage
 * tracing: page by page, this lookup was most of pagealloc_fuzz's corrupt op. */
static uint64_t kind_word(const ga_pallocdata *d, unsigned w, int kind) {
    return kind == 0 ? d->alloc[w] : kind == 1 ? ~d->alloc[w] : ~(d->alloc[w] | d->scav[w]);
}
FUZZ_NOCOV static uintptr_t pick_page(const ga_pagealloc *p, uint32_t t, int kind) {
    size_t n = 0;
    for (size_t k = 0; k < p->in_use.n; k++)
        for (uintptr_t ci = p->in_use.ranges[k].base >> GA_LOG_CHUNK_BYTES;
             ci < p->in_use.ranges[k].limit >> GA_LOG_CHUNK_BYTES; ci++) {
            const ga_pallocdata *d = ga_pagealloc_chunk(p, ci);
            for (unsigned w = 0; w < GA_PALLOC_WORDS; w++)
                n += (size_t)__builtin_popcountll(kind_word(d, w, kind));
        }
    if (!n)
        return GA_PA_MAX_OFF;
    size_t want = t % n;
    for (size_t k = 0; k < p->in_use.n; k++)
        for (uintptr_t ci = p->in_use.ranges[k].base >> GA_LOG_CHUNK_BYTES;
             ci < p->in_use.ranges[k].limit >> GA_LOG_CHUNK_BYTES; ci++) {
            const ga_pallocdata *d = ga_pagealloc_chunk(p, ci);
            for (unsigned w = 0; w < GA_PALLOC_WORDS; w++) {
                uint64_t x = kind_word(d, w, kind);
                size_t c = (size_t)__builtin_popcountll(x);
                if (want >= c) {
                    want -= c;
                    continue;
                }
                for (; want; want--)
                    x &= x - 1; /* drop the lowest `want` pages of the kind */
                return (ci << GA_LOG_CHUNK_BYTES) +
                       ((uintptr_t)(w * 64 + (unsigned)__builtin_ctzll(x)) << GA_PAGE_SHIFT);
            }
        }
    return GA_PA_MAX_OFF;
}

/* Set leaf ci to `leaf` and recompute its ancestors (merge of the stored children), as
 * update() would: the tree stays consistent with whatever the leaf says.  Returns true
 * if some ancestor comes out malformed. */
static bool set_leaf(cctx *c, uintptr_t ci, ga_psum leaf) {
    ga_pagealloc *p = c->p;
    bool bad = false;
    POKE(c, p->summary[LEAF][ci], leaf);
    for (int l = LEAF - 1; l >= 0; l--) {
        uintptr_t i = ci >> (3 * (LEAF - l));
        ga_psum m = ga_psum_merge(&p->summary[l + 1][i << 3], GA_PA_LEVEL_LOG_PAGES(l + 1));
        bad |= !ga_psum_ok(m, GA_PA_LEVEL_LOG_PAGES(l));
        POKE(c, p->summary[l][i], m);
    }
    return bad;
}

/* Page at offset o: alloc/scav bits and counters changed as a consistent pageAlloc would
 * have them, summaries included (a "pageAlloc-level" change other layers must catch). */
static void page_set(cctx *c, uintptr_t o, bool alloc, bool scav) {
    ga_pagealloc *p = c->p;
    uintptr_t ci = o >> GA_LOG_CHUNK_BYTES;
    ga_pallocdata *d = ga_pagealloc_chunk(p, ci);
    unsigned j = (unsigned)(o >> GA_PAGE_SHIFT) & (GA_CHUNK_PAGES - 1);
    bool a0 = bitget(d->alloc, j), s0 = bitget(d->scav, j);
    bitput(c, d->alloc, j, alloc);
    bitput(c, d->scav, j, scav);
    POKE(c, p->free_pages, p->free_pages + (size_t)a0 - (size_t)alloc);
    POKE(c, p->scav_pages, p->scav_pages - (size_t)s0 + (size_t)scav);
    set_leaf(c, ci, ga_pallocbits_summarize(d->alloc));
    if (!alloc && o < p->search_addr)
        POKE(c, p->search_addr, o); /* P6 */
}

/* ==== pageAlloc corruptions ============================================================ */

#define PA(name) static bool name(cctx *c)
#define NEED(cond)                                                                                                     \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            return false;                                                                                              \
    } while (0)

PA(pa_priv_null) {
    POKE(c, c->p->priv, NULL);
    c->want = "pageAlloc not initialised";
    return true;
}
/* in_use[k] malformed, four ways (each a separate condition of P7's first test). */
static bool in_use_bad(cctx *c, int how) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n);
    ga_addr_range *r = &p->in_use.ranges[c->t % p->in_use.n];
    switch (how) {
    case 0:
        POKE(c, r->base, r->limit);
        break;
    case 1:
        POKE(c, r->base, r->base + GA_PAGE_SIZE);
        break;
    case 2:
        POKE(c, r->limit, r->limit + GA_PAGE_SIZE);
        break;
    default:
        POKE(c, r->limit, ((uintptr_t)1 << GA_HEAP_ADDR_BITS) + GA_CHUNK_BYTES);
        break;
    }
    c->want = "P7: in_use[";
    return true;
}
PA(pa_in_use_empty) { return in_use_bad(c, 0); }
PA(pa_in_use_base_misaligned) { return in_use_bad(c, 1); }
PA(pa_in_use_limit_misaligned) { return in_use_bad(c, 2); }
PA(pa_in_use_limit_high) { return in_use_bad(c, 3); }
PA(pa_in_use_touch) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n >= 2);
    size_t k = 1 + c->t % (p->in_use.n - 1);
    POKE(c, p->in_use.ranges[k].base, p->in_use.ranges[k - 1].limit);
    c->want = "overlaps, touches or precedes";
    return true;
}
PA(pa_in_use_cap) {
    NEED(c->p->in_use.n);
    POKE(c, c->p->in_use.cap, c->p->in_use.n - 1);
    c->want = "n_in_use > cap_in_use";
    return true;
}
PA(pa_total_pages) {
    POKE(c, c->p->total_pages, c->p->total_pages + 1);
    c->want = "P7: in_use covers";
    return true;
}
/* An empty pageAlloc (never grown) with one non-zero field. */
static bool empty_bad(cctx *c, int how) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n == 0);
    switch (how) {
    case 0:
        POKE(c, p->start, p->start + 1);
        break;
    case 1:
        POKE(c, p->end, p->end + 1);
        break;
    case 2:
        POKE(c, p->free_pages, p->free_pages + 1);
        break;
    case 3:
        POKE(c, p->scav_pages, p->scav_pages + 1);
        break;
    default:
        POKE(c, p->search_addr, 0);
        break;
    }
    c->want = "empty pageAlloc with non-zero state";
    return true;
}
PA(pa_empty_start) { return empty_bad(c, 0); }
PA(pa_empty_end) { return empty_bad(c, 1); }
PA(pa_empty_free) { return empty_bad(c, 2); }
PA(pa_empty_scav) { return empty_bad(c, 3); }
PA(pa_empty_search) { return empty_bad(c, 4); }
PA(pa_start) {
    NEED(c->p->in_use.n);
    POKE(c, c->p->start, c->p->start + 1);
    c->want = "P7: start/end";
    return true;
}
PA(pa_end) {
    NEED(c->p->in_use.n);
    POKE(c, c->p->end, c->p->end + 1);
    c->want = "P7: start/end";
    return true;
}
PA(pa_summary_mapped) {
    POKE(c, c->p->summary_mapped, c->p->summary_mapped + ga_phys_page_size());
    c->want = "summary_mapped =";
    return true;
}
PA(pa_pending) {
    ga_pa_priv *q = ga_pagealloc_priv(c->p);
    int l = (int)(c->t % GA_SUMMARY_LEVELS);
    bitput(c, q->pending[l], (c->t >> 3) % q->level_pages[l], true);
    c->want = "left pending";
    return true;
}
PA(pa_level_mapped) {
    ga_pa_priv *q = ga_pagealloc_priv(c->p);
    int l = (int)(c->t % GA_SUMMARY_LEVELS);
    POKE(c, q->level_mapped[l], q->level_mapped[l] + ga_phys_page_size());
    c->want = "pages mapped, level_mapped";
    return true;
}
PA(pa_l2_new) {
    ga_pa_priv *q = ga_pagealloc_priv(c->p);
    bitput(c, q->l2_new, c->t % (1u << GA_CHUNKS_L1_BITS), true);
    c->want = "l2_new left set";
    return true;
}
/* A summary page in_use needs, recorded as unmapped (bitmap and both byte counts, so
 * the bookkeeping totals still agree). */
PA(pa_needed_unmapped) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n);
    ga_pa_priv *q = ga_pagealloc_priv(p);
    size_t phys = ga_phys_page_size();
    int l = (int)(c->t % GA_SUMMARY_LEVELS);
    const ga_addr_range *r = &p->in_use.ranges[(c->t >> 3) % p->in_use.n];
    size_t pg = ((r->base >> GA_PA_LEVEL_SHIFT(l)) & ~(uintptr_t)7) * sizeof(ga_psum) / phys;
    NEED(bitget(q->mapped[l], pg));
    bitput(c, q->mapped[l], pg, false);
    POKE(c, q->level_mapped[l], q->level_mapped[l] - phys);
    POKE(c, p->summary_mapped, p->summary_mapped - phys);
    c->want = "needed by in_use";
    return true;
}
PA(pa_chunks_null) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n);
    uintptr_t ci = p->in_use.ranges[c->t % p->in_use.n].base >> GA_LOG_CHUNK_BYTES;
    POKE(c, p->chunks[ci >> GA_CHUNKS_L2_BITS], NULL);
    c->want = "has no L2 block";
    return true;
}
/* P4: a mapped level-0 entry outside every grown range. */
PA(pa_summary_outside) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n);
    const ga_pa_priv *q = ga_pagealloc_priv(p);
    uintptr_t n0 = (uintptr_t)1 << (GA_HEAP_ADDR_BITS - GA_PA_LEVEL_SHIFT(0));
    for (uintptr_t k = 0; k < n0; k++) {
        uintptr_t i = (c->t + k) % n0;
        if (bitget(q->mapped[0], i * sizeof(ga_psum) / ga_phys_page_size()) &&
            !in_use_meets(p, i << GA_PA_LEVEL_SHIFT(0), (i + 1) << GA_PA_LEVEL_SHIFT(0))) {
            POKE(c, p->summary[0][i], ga_psum_pack(1, 1, 1));
            c->want = "P4: summary[0]";
            return true;
        }
    }
    return false;
}
/* P2: a leaf that disagrees with its bitmap, the tree above consistent with it. */
PA(pa_leaf_wrong) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n);
    uintptr_t ci = nth_chunk(p, c->t % in_use_chunks(p));
    ga_psum s = p->summary[LEAF][ci];
    uint32_t st = ga_psum_start(s), m = ga_psum_max(s), e = ga_psum_end(s);
    /* one page fewer (or more, for a full chunk) at the start: still well formed */
    ga_psum w = m == GA_CHUNK_PAGES ? ga_psum_pack(GA_CHUNK_PAGES - 1, GA_CHUNK_PAGES - 1, 0)
                : st > 0            ? ga_psum_pack(st - 1, m, e)
                                    : ga_psum_pack(0, m ? m - 1 : 1, m ? (e < m ? e : m - 1) : 0);
    c->want = set_leaf(c, ci, w) ? "P1: summary[" : "P2: summary[4]";
    return true;
}
/* P1: a malformed leaf whose ancestors, merged from it, come out malformed too (the
 * leaf itself is reported as P2 first: it is compared with its bitmap before its form
 * is checked).  Tries a few shapes; none may fit the neighbourhood. */
PA(pa_leaf_malformed) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n);
    static const uint32_t shapes[][3] = {{0, 0, 600}, {600, 0, 0}, {0, 600, 0}, {300, 300, 300}, {5, 3, 0}, {0, 3, 5}};
    uintptr_t ci = nth_chunk(p, c->t % in_use_chunks(p));
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        if (set_leaf(c, ci, ga_psum_pack(shapes[k][0], shapes[k][1], shapes[k][2]))) {
            c->want = "P1: summary[";
            return true;
        }
        restore(c);
    }
    return false;
}
/* P3: an inner entry that is not the merge of its children. */
PA(pa_parent_wrong) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n);
    uintptr_t ci = nth_chunk(p, c->t % in_use_chunks(p));
    int l = (int)((c->t >> 8) % LEAF);
    uintptr_t i = ci >> (3 * (LEAF - l));
    POKE(c, p->summary[l][i], p->summary[l][i] ^ 1);
    c->want = "P3: summary[";
    return true;
}
PA(pa_search_outside) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n);
    uintptr_t lim = p->in_use.ranges[c->t % p->in_use.n].limit;
    NEED(lim < GA_PA_MAX_OFF);
    POKE(c, p->search_addr, lim);
    c->want = "P6: search_addr";
    return true;
}
PA(pa_scav_allocated) {
    uintptr_t o = pick_page(c->p, c->t, 0);
    NEED(o != GA_PA_MAX_OFF);
    ga_pallocdata *d = ga_pagealloc_chunk(c->p, o >> GA_LOG_CHUNK_BYTES);
    bitput(c, d->scav, (o >> GA_PAGE_SHIFT) & (GA_CHUNK_PAGES - 1), true);
    c->want = "P5: chunk";
    return true;
}
/* ---- the scavenge index (SI1 of alloc/scavindex.h) ---- */
/* A chunk with a free unscavenged page whose mark is clear: the scavenger would never
 * find those pages. */
PA(pa_scav_mark) {
    ga_pagealloc *p = c->p;
    uintptr_t o = pick_page(p, c->t, 2);
    NEED(o != GA_PA_MAX_OFF);
    bitput(c, p->scav.bits, o >> GA_LOG_CHUNK_BYTES, false);
    c->want = "free unscavenged pages but no scavenge mark";
    return true;
}
/* The highest marked chunk, or 0 (nothing marked). */
FUZZ_NOCOV static uintptr_t top_marked(const ga_pagealloc *p) {
    for (uintptr_t ci = p->scav.max; ci-- > p->scav.min;)
        if (ga_scav_index_marked(&p->scav, ci))
            return ci;
    return 0;
}
/* The highest free unscavenged page (offset), or GA_PA_MAX_OFF. */
FUZZ_NOCOV static uintptr_t top_dirty(const ga_pagealloc *p) {
    for (size_t k = p->in_use.n; k-- > 0;)
        for (uintptr_t ci = p->in_use.ranges[k].limit >> GA_LOG_CHUNK_BYTES;
             ci-- > p->in_use.ranges[k].base >> GA_LOG_CHUNK_BYTES;) {
            const ga_pallocdata *d = ga_pagealloc_chunk(p, ci);
            for (unsigned w = GA_PALLOC_WORDS; w-- > 0;) {
                uint64_t x = kind_word(d, w, 2);
                if (x)
                    return (ci << GA_LOG_CHUNK_BYTES) +
                           ((uintptr_t)(w * 64 + 63 - (unsigned)__builtin_clzll(x)) << GA_PAGE_SHIFT);
            }
        }
    return GA_PA_MAX_OFF;
}
/* Search cleared while a chunk is marked. */
PA(pa_scav_search_cleared) {
    ga_pagealloc *p = c->p;
    NEED(p->in_use.n && top_marked(p));
    POKE(c, p->scav.search, 0);
    c->want = "marked above the search address";
    return true;
}
/* Search one page below the highest free unscavenged page (in that page's chunk). */
PA(pa_scav_search_low) {
    ga_pagealloc *p = c->p;
    uintptr_t hi = top_dirty(p);
    NEED(hi != GA_PA_MAX_OFF);
    NEED(hi % GA_CHUNK_BYTES != 0); /* the new search stays in hi's chunk */
    POKE(c, p->scav.search, hi - GA_PAGE_SIZE);
    c->want =
        top_marked(p) > (hi >> GA_LOG_CHUNK_BYTES) ? "marked above the search address" : "above the scavenge search";
    return true;
}
/* A marked chunk in an index page whose live bit is clear: find would skip it. */
PA(pa_scav_live) {
    ga_pagealloc *p = c->p;
    uintptr_t ci = top_marked(p);
    NEED(p->in_use.n && ci);
    bitput(c, p->scav.live, ci / 8 / p->scav.phys, false);
    c->want = "marked in an index page not live";
    return true;
}
PA(pa_scav_mapped_bytes) {
    NEED(c->p->in_use.n);
    POKE(c, c->p->scav.mapped_bytes, c->p->scav.mapped_bytes + c->p->scav.phys);
    c->want = "index pages mapped, mapped_bytes";
    return true;
}
/* ---- end of the scavenge index ---- */
PA(pa_search_above_free) {
    uintptr_t o = pick_page(c->p, c->t, 1);
    NEED(o != GA_PA_MAX_OFF);
    /* the page after o is in in_use unless o ends its range: then the hint is outside */
    POKE(c, c->p->search_addr, o + GA_PAGE_SIZE);
    c->want = in_use_meets(c->p, o + GA_PAGE_SIZE, o + 2 * GA_PAGE_SIZE) ? "P6: a free page below search_addr"
                                                                         : "P6: search_addr";
    return true;
}
PA(pa_free_pages) {
    NEED(c->p->in_use.n);
    POKE(c, c->p->free_pages, c->p->free_pages + 1);
    c->want = "free_pages =";
    return true;
}
PA(pa_scav_pages) {
    NEED(c->p->in_use.n);
    POKE(c, c->p->scav_pages, c->p->scav_pages + 1);
    c->want = "scav_pages =";
    return true;
}
/* ---- issue 11: in_use as a ga_addr_ranges (alloc/ranges.h) ---- */
/* R3 of in_use: its running total no longer the sum of its ranges (total_pages kept). */
PA(pa_in_use_total_bytes) {
    NEED(c->p->in_use.n);
    POKE(c, c->p->in_use.total_bytes, c->p->in_use.total_bytes + GA_CHUNK_BYTES);
    c->want = "P7: in_use.total_bytes";
    return true;
}

typedef struct corruption {
    const char *name;
    bool (*apply)(cctx *);
} corruption;

#define C(f)                                                                                                           \
    { #f, f }
static const corruption pa_table[] = {
    C(pa_priv_null),
    C(pa_in_use_empty),
    C(pa_in_use_base_misaligned),
    C(pa_in_use_limit_misaligned),
    C(pa_in_use_limit_high),
    C(pa_in_use_touch),
    C(pa_in_use_cap),
    C(pa_total_pages),
    C(pa_empty_start),
    C(pa_empty_end),
    C(pa_empty_free),
    C(pa_empty_scav),
    C(pa_empty_search),
    C(pa_start),
    C(pa_end),
    C(pa_summary_mapped),
    C(pa_pending),
    C(pa_level_mapped),
    C(pa_l2_new),
    C(pa_needed_unmapped),
    C(pa_chunks_null),
    C(pa_summary_outside),
    C(pa_leaf_wrong),
    C(pa_leaf_malformed),
    C(pa_parent_wrong),
    C(pa_search_outside),
    C(pa_scav_allocated),
    C(pa_scav_mark),
    C(pa_search_above_free),
    C(pa_free_pages),
    C(pa_scav_pages),
    C(pa_in_use_total_bytes),  /* issue 11 */
    C(pa_scav_search_cleared), /* issue 11: the scavenge index */
    C(pa_scav_search_low),
    C(pa_scav_live),
    C(pa_scav_mapped_bytes),
};
#define N_PA (sizeof pa_table / sizeof pa_table[0])

/* ==== heap helpers ===================================================================== */

static uint32_t hsg(const cctx *c) { return ga_heap_sweepgen(c->h); }
static bool in_use(const ga_mspan *s) { return s->state == GA_SPAN_IN_USE; }
static bool small(const ga_mspan *s) { return ga_spanclass_sizeclass(s->spanclass) != 0; }
static bool cached(const cctx *c, const ga_mspan *s) {
    uint32_t d = s->sweepgen - hsg(c);
    return in_use(s) && s->list == GA_LIST_NONE && (d == 1 || d == 3);
}
static bool listed(const ga_mspan *s) { return in_use(s) && s->list >= 0 && s->list <= 3; }
static bool swept_list(const cctx *c, const ga_mspan *s) {
    return listed(s) && (uint32_t)s->list % 2 == ga_swept_gen(hsg(c));
}
/* Free slots at or above freeindex (alloc bit clear), up to `max` counted. */
static uint32_t holes(const ga_mspan *s, uint32_t max, uint32_t *first, uint32_t *last) {
    uint32_t n = 0;
    for (uint32_t i = s->freeindex; i < s->nelems && n < max; i++)
        if (!bitget(s->alloc_bits, i)) {
            if (!n && first)
                *first = i;
            if (last)
                *last = i;
            n++;
        }
    return n;
}

/* The (k % count)-th free slot at or above freeindex (there is one). */
static uint32_t nth_hole(const ga_mspan *s, uint32_t k) {
    k %= holes(s, UINT32_MAX, NULL, NULL);
    for (uint32_t i = s->freeindex;; i++)
        if (!bitget(s->alloc_bits, i) && k-- == 0)
            return i;
}

typedef bool (*span_pred)(const cctx *, const ga_mspan *);
static bool sp_cached(const cctx *c, const ga_mspan *s) { return cached(c, s); }
static bool sp_cached_tail(const cctx *c, const ga_mspan *s) {
    return cached(c, s) && s->nelems < 64 * GA_SPAN_BITS_WORDS;
}
static bool sp_cached_free(const cctx *c, const ga_mspan *s) { return cached(c, s) && s->freeindex < s->nelems; }
static bool sp_cached_hole(const cctx *c, const ga_mspan *s) { return cached(c, s) && holes(s, 1, NULL, NULL); }
static bool sp_cached_clean(const cctx *c, const ga_mspan *s) {
    return cached(c, s) && !s->needzero && holes(s, 1, NULL, NULL);
}
static bool sp_cached_clean3(const cctx *c, const ga_mspan *s) {
    return cached(c, s) && !s->needzero && holes(s, 3, NULL, NULL) == 3;
}
static bool sp_in_use(const cctx *c, const ga_mspan *s) { return (void)c, in_use(s); }
static bool sp_listed(const cctx *c, const ga_mspan *s) { return (void)c, listed(s); }
static bool sp_large(const cctx *c, const ga_mspan *s) { return (void)c, in_use(s) && !small(s); }
static bool sp_swept_small(const cctx *c, const ga_mspan *s) { return swept_list(c, s) && small(s); }
static bool sp_swept_large_full(const cctx *c, const ga_mspan *s) {
    return swept_list(c, s) && !small(s) && s->list >= 2;
}
static bool sp_swept(const cctx *c, const ga_mspan *s) { return swept_list(c, s); }
static bool sp_listed_small(const cctx *c, const ga_mspan *s) { return (void)c, listed(s) && small(s); }

/* The (t % n)-th span struct (allspans order) matching pred, or NULL. */
static ga_mspan *pick_span(const cctx *c, span_pred pred) {
    size_t n = 0;
    ga_fixalloc_iter it;
    ga_allspans_init(c->h, &it);
    for (ga_mspan *s; (s = ga_allspans_next(c->h, &it)) != NULL;)
        n += pred(c, s);
    if (!n)
        return NULL;
    size_t k = c->t % n;
    ga_allspans_init(c->h, &it);
    for (ga_mspan *s; (s = ga_allspans_next(c->h, &it)) != NULL;)
        if (pred(c, s) && k-- == 0)
            return s;
    return NULL;
}
static ga_span_list *list_of(ga_heap *h, const ga_mspan *s, int8_t id) {
    return ga_mcentral_list(&h->central[s->spanclass], id);
}
static void unlink_span(cctx *c, ga_span_list *l, ga_mspan *s) {
    if (s->prev)
        POKE(c, s->prev->next, s->next);
    else
        POKE(c, l->head, s->next);
    if (s->next)
        POKE(c, s->next->prev, s->prev);
    POKE(c, s->next, NULL);
    POKE(c, s->prev, NULL);
    POKE(c, l->n, l->n - 1);
}
/* Move s to the head of list `id` of its class (links, counts and s->list all agree). */
static void move_span(cctx *c, ga_mspan *s, int8_t id) {
    unlink_span(c, list_of(c->h, s, s->list), s);
    ga_span_list *l = list_of(c->h, s, id);
    POKE(c, s->next, l->head);
    if (l->head)
        POKE(c, l->head->prev, s);
    POKE(c, l->head, s);
    POKE(c, l->n, l->n + 1);
    POKE(c, s->list, id);
}
static ga_mspan **index_slot(ga_heap *h, uintptr_t p) {
    ga_heap_arena *a = h->arenas[ga_off(p) >> GA_ARENA_SHIFT];
    return a ? &a->spans[(ga_off(p) & (GA_ARENA_BYTES - 1)) >> GA_PAGE_SHIFT] : NULL;
}
static ga_heap_arena *arena_at(ga_heap *h, uintptr_t p) {
    uintptr_t ai = ga_off(p) >> GA_ARENA_SHIFT;
    return ai < GA_ARENA_L2_ENTRIES ? h->arenas[ai] : NULL;
}
static ga_cache *pick_cache(const cctx *c, bool (*pred)(const ga_cache *)) {
    size_t n = 0;
    for (ga_cache *x = c->h->caches; x; x = x->next)
        n += !pred || pred(x);
    if (!n)
        return NULL;
    size_t k = c->t % n;
    for (ga_cache *x = c->h->caches; x; x = x->next)
        if ((!pred || pred(x)) && k-- == 0)
            return x;
    return NULL;
}
/* Number of occupied slots of x; *first and *second: the (k % n)-th and the next one
 * (cyclically), so that the slot a corruption hits is any of them (C1 covers all 136). */
static uint32_t cache_slots(const ga_cache *x, uint32_t k, uint32_t *first, uint32_t *second) {
    uint32_t n = 0;
    for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++)
        n += x->alloc[spc] != &ga_empty_mspan;
    if (!n)
        return 0;
    for (uint32_t spc = 0, i = 0; spc < GA_NUM_SPAN_CLASSES; spc++)
        if (x->alloc[spc] != &ga_empty_mspan) {
            if (i == k % n && first)
                *first = spc;
            if (i == (k + 1) % n && second)
                *second = spc;
            i++;
        }
    return n;
}
static bool cp_slot(const ga_cache *x) { return cache_slots(x, 0, NULL, NULL) >= 1; }
static bool cp_two(const ga_cache *x) { return cache_slots(x, 0, NULL, NULL) >= 2; }
static bool cp_tiny(const ga_cache *x) { return x->tiny != 0; }

/* ==== heap corruptions ================================================================= */

#define SPAN(pred)                                                                                                     \
    ga_mspan *s = pick_span(c, pred);                                                                                  \
    NEED(s)

/* -- arenas (A3, A4, H3) -- */
PA(h_arenas_null) {
    POKE(c, c->h->arenas, NULL);
    c->want = "arena index not allocated";
    return true;
}
PA(h_n_arenas) {
    POKE(c, c->h->n_arenas, c->h->cap_arenas + 1);
    c->want = "all_arenas:";
    return true;
}
PA(h_all_arenas_null) {
    NEED(c->h->n_arenas);
    POKE(c, c->h->all_arenas, NULL);
    c->want = "all_arenas:";
    return true;
}
PA(h_arena_records) {
    POKE(c, c->h->arena_alloc.inuse, c->h->arena_alloc.inuse + 1);
    c->want = "arena records in use";
    return true;
}
static uintptr_t *pick_arena(cctx *c) { return c->h->n_arenas ? &c->h->all_arenas[c->t % c->h->n_arenas] : NULL; }
PA(h_arena_base_zero) {
    uintptr_t *b = pick_arena(c);
    NEED(b);
    POKE(c, *b, 0);
    c->want = "not 64 MiB aligned";
    return true;
}
PA(h_arena_base_misaligned) {
    uintptr_t *b = pick_arena(c);
    NEED(b);
    POKE(c, *b, *b + GA_PAGE_SIZE);
    c->want = "not 64 MiB aligned";
    return true;
}
PA(h_arena_unindexed) {
    uintptr_t *b = pick_arena(c);
    NEED(b);
    for (uintptr_t k = 1; k < 64; k++) {
        uintptr_t x = *b + k * GA_ARENA_BYTES;
        if ((ga_off(x) >> GA_ARENA_SHIFT) < GA_ARENA_L2_ENTRIES && !arena_at(c->h, x)) {
            POKE(c, *b, x);
            c->want = "listed but not in the index";
            return true;
        }
    }
    return false;
}
PA(h_arena_struct_base) {
    uintptr_t *b = pick_arena(c);
    NEED(b);
    ga_heap_arena *a = arena_at(c->h, *b);
    POKE(c, a->base, a->base + GA_ARENA_BYTES);
    c->want = "A4: index entry of arena";
    return true;
}
PA(h_arena_mapped_misaligned) {
    uintptr_t *b = pick_arena(c);
    NEED(b);
    ga_heap_arena *a = arena_at(c->h, *b);
    POKE(c, a->mapped, a->mapped + GA_PAGE_SIZE);
    c->want = "not a chunk multiple";
    return true;
}
PA(h_arena_zeroed) {
    uintptr_t *b = pick_arena(c);
    NEED(b);
    ga_heap_arena *a = arena_at(c->h, *b);
    POKE(c, a->zeroed_base, a->mapped + GA_PAGE_SIZE);
    c->want = "A3: arena";
    return true;
}
/* An arena's mapped size that disagrees with what pageAlloc was grown by. */
PA(h_arena_mapped_total) {
    uintptr_t *b = pick_arena(c);
    NEED(b);
    ga_heap_arena *a = arena_at(c->h, *b);
    uintptr_t m =
        a->mapped + GA_CHUNK_BYTES <= GA_ARENA_BYTES ? a->mapped + GA_CHUNK_BYTES : a->mapped - GA_CHUNK_BYTES;
    POKE(c, a->mapped, m);
    c->want = a->zeroed_base > m ? "A3: arena" : "arenas map";
    return true;
}
PA(h_cur_misaligned) {
    POKE(c, c->h->cur_arena_base, c->h->cur_arena_base + GA_PAGE_SIZE);
    c->want = "H3: cur arena [";
    return true;
}
PA(h_cur_inverted) {
    POKE(c, c->h->cur_arena_base, c->h->cur_arena_end + GA_CHUNK_BYTES);
    c->want = "H3: cur arena [";
    return true;
}
PA(h_cur_end_misaligned) {
    POKE(c, c->h->cur_arena_end, c->h->cur_arena_end + GA_CHUNK_BYTES);
    c->want = "H3: cur arena [";
    return true;
}
/* The current range extended over an arena slot nobody registered. */
PA(h_cur_no_arena) {
    ga_heap *h = c->h;
    NEED(h->cur_arena_base < h->cur_arena_end && !arena_at(h, h->cur_arena_end));
    POKE(c, h->cur_arena_end, h->cur_arena_end + GA_ARENA_BYTES);
    c->want = "is in no arena";
    return true;
}
/* ... or placed past the top of the 48-bit offset space (beyond the arena index). */
PA(h_cur_top) {
    uintptr_t top = ga_unoff((uintptr_t)1 << GA_HEAP_ADDR_BITS);
    POKE(c, c->h->cur_arena_base, top);
    POKE(c, c->h->cur_arena_end, top + GA_ARENA_BYTES);
    c->want = "is in no arena";
    return true;
}
/* ... or starting below the mapped end of its arena. */
PA(h_cur_gap) {
    ga_heap *h = c->h;
    uintptr_t cb = h->cur_arena_base - GA_CHUNK_BYTES;
    NEED(h->cur_arena_base >= GA_CHUNK_BYTES && ga_off(cb) < ((uintptr_t)1 << GA_HEAP_ADDR_BITS));
    POKE(c, h->cur_arena_base, cb);
    c->want = arena_at(h, cb) ? "H3: cur arena at" : "is in no arena";
    return true;
}

/* -- one span (S1-S13, F1), on cached spans unless said otherwise -- */
PA(h_span_class_range) {
    SPAN(sp_cached);
    POKE(c, s->spanclass, (uint8_t)(GA_NUM_SPAN_CLASSES + 3));
    c->want = "S1: span class";
    return true;
}
PA(h_span_base_zero) {
    SPAN(sp_cached);
    POKE(c, s->base, 0);
    c->want = "S1: base/npages";
    return true;
}
PA(h_span_base_misaligned) {
    SPAN(sp_cached);
    POKE(c, s->base, s->base + 8);
    c->want = "S1: base/npages";
    return true;
}
PA(h_span_npages_zero) {
    SPAN(sp_cached);
    POKE(c, s->npages, 0);
    c->want = "S1: base/npages";
    return true;
}
/* Small-span geometry against the class tables, one field each. */
static bool geometry(cctx *c, int how) {
    SPAN(sp_cached);
    switch (how) {
    case 0:
        POKE(c, s->npages, s->npages + 1);
        break;
    case 1:
        POKE(c, s->elemsize, s->elemsize + 8);
        break;
    case 2:
        POKE(c, s->nelems, s->nelems - 1);
        break;
    case 3:
        POKE(c, s->div_mul, s->div_mul ^ 1);
        break;
    default:
        POKE(c, s->limit, s->limit + 8);
        break;
    }
    c->want = "S1: geometry";
    return true;
}
PA(h_span_npages) { return geometry(c, 0); }
PA(h_span_elemsize) { return geometry(c, 1); }
PA(h_span_nelems) { return geometry(c, 2); }
PA(h_span_div_mul) { return geometry(c, 3); }
PA(h_span_limit) { return geometry(c, 4); }
/* Large spans (listed: the list walk does not read their geometry). */
static bool large_geometry(cctx *c, int how) {
    SPAN(sp_large);
    uintptr_t bytes = s->npages << GA_PAGE_SHIFT;
    switch (how) {
    case 0:
        POKE(c, s->nelems, 2);
        break;
    case 1:
        POKE(c, s->elemsize, bytes - GA_PAGE_SIZE);
        break;
    case 2:
        POKE(c, s->div_mul, 1);
        break;
    case 3:
        POKE(c, s->limit, s->base);
        break;
    default:
        POKE(c, s->limit, s->base + bytes + 8);
        break;
    }
    c->want = "S1: large geometry";
    return true;
}
PA(h_large_nelems) { return large_geometry(c, 0); }
PA(h_large_elemsize) { return large_geometry(c, 1); }
PA(h_large_div_mul) { return large_geometry(c, 2); }
PA(h_large_limit_low) { return large_geometry(c, 3); }
PA(h_large_limit_high) { return large_geometry(c, 4); }
PA(h_span_freeindex) {
    SPAN(sp_cached);
    POKE(c, s->freeindex, s->nelems + 1);
    c->want = "S2: freeindex";
    return true;
}
PA(h_span_alloc_count_over) {
    SPAN(sp_cached);
    POKE(c, s->alloc_count, s->nelems + 1);
    c->want = "S3: alloc_count";
    return true;
}
static bool tail_bit(cctx *c, int which) {
    SPAN(sp_cached_tail);
    uint64_t *b = which == 0 ? s->alloc_bits : which == 1 ? s->gcmark_bits : s->freed_bits;
    bitput(c, b, s->nelems + c->pos % (64 * GA_SPAN_BITS_WORDS - s->nelems), true); /* any padding bit */
    c->want = "S5: bits set beyond nelems";
    return true;
}
PA(h_span_tail_alloc) { return tail_bit(c, 0); }
PA(h_span_tail_mark) { return tail_bit(c, 1); }
PA(h_span_tail_freed) { return tail_bit(c, 2); }
/* F1, S11: any free slot (the check covers every word of the bitmaps). */
PA(h_span_freed_free_slot) {
    SPAN(sp_cached_hole);
    uint32_t i = nth_hole(s, c->pos);
    bitput(c, s->freed_bits, i, true);
    c->want = "F1: freed slot not allocated";
    return true;
}
PA(h_span_marked_free_slot) {
    SPAN(sp_cached_hole);
    uint32_t i = nth_hole(s, c->pos);
    bitput(c, s->gcmark_bits, i, true);
    c->want = "S11: marked slot not allocated";
    return true;
}
PA(h_span_alloc_count) {
    SPAN(sp_cached);
    POKE(c, s->alloc_count, s->alloc_count ? s->alloc_count - 1 : 1);
    c->want = "S7: alloc_count";
    return true;
}
PA(h_span_alloc_cache) {
    SPAN(sp_cached_free);
    POKE(c, s->alloc_cache, s->alloc_cache ^ (uint64_t)1 << c->pos % 64); /* any of the 64 bits */
    c->want = "S8: alloc_cache";
    return true;
}
PA(h_span_pending) {
    SPAN(sp_cached);
    POKE(c, s->pending_frees, s->pending_frees + 1);
    c->want = "F1: pending_frees";
    return true;
}
/* F2: the owner's local frees (alloc/mspan.h).  A local freed bit on a free slot; a
 * count that disagrees with the bits; a local free left in a span no cache holds (on an
 * allocated slot, counted: only the "no cache holds it" half is wrong). */
PA(h_span_local_free_slot) {
    SPAN(sp_cached_hole);
    uint32_t i = nth_hole(s, c->pos);
    bitput(c, s->local_freed, i, true);
    POKE(c, s->local_frees, s->local_frees + 1);
    c->want = "F2: locally freed slot not allocated";
    return true;
}
PA(h_span_local_count) {
    SPAN(sp_cached);
    POKE(c, s->local_frees, s->local_frees + 1);
    c->want = "F2: local_frees";
    return true;
}
PA(h_span_local_uncached) {
    SPAN(sp_swept_small);
    uint32_t i = 0;
    while (i < s->nelems && i >= s->freeindex && !((s->alloc_bits[i / 64] >> (i % 64)) & 1))
        i++;
    NEED(i < s->nelems);
    bitput(c, s->local_freed, i, true);
    POKE(c, s->local_frees, s->local_frees + 1);
    c->want = "local frees in a span no cache holds";
    return true;
}
/* S10: one byte of a free slot of a span that promises zeroed free slots is not zero.
 * The check samples the first two free slots at or above freeindex and the last one,
 * the first and the last 256 bytes of each (alloc/check.c: slot_zero): any byte of
 * those, chosen by pos.  Head: the first or (pos bit 0) the second free slot; tail:
 * the last free slot, of at least three.  Byte: b = pos % 512 (head: pos / 2 % 512),
 * bytes 0..255 from the slot's start, 256..511 the last 256 bytes (a slot of at most
 * 512 bytes: byte b % elemsize). */
static bool dirty_slot(cctx *c, bool tail) {
    SPAN(tail ? sp_cached_clean3 : sp_cached_clean);
    uint32_t first = 0, last = 0;
    holes(s, UINT32_MAX, &first, &last);
    uint32_t slot = tail ? last : c->pos & 1 ? nth_hole(s, 1) : first;
    uintptr_t b = (tail ? c->pos : c->pos >> 1) % 512;
    uintptr_t off = s->elemsize <= 512 ? b % s->elemsize : b < 256 ? b : s->elemsize - 512 + b;
    POKE(c, *(uint8_t *)(s->base + (uintptr_t)slot * s->elemsize + off), (uint8_t)0x5a);
    c->want = "S10: needzero 0 but free slot";
    return true;
}
PA(h_span_dirty_head) { return dirty_slot(c, false); }
PA(h_span_dirty_tail) { return dirty_slot(c, true); }
static bool span_sweepgen(cctx *c, uint32_t d, const char *want) {
    SPAN(sp_cached);
    POKE(c, s->sweepgen, hsg(c) + d);
    c->want = want;
    return true;
}
PA(h_span_sg_swept) { return span_sweepgen(c, 0, "M2: sweepgen"); }
PA(h_span_sg_unswept) { return span_sweepgen(c, (uint32_t)-2, "M2: sweepgen"); }
PA(h_span_sg_stale) { return span_sweepgen(c, 1, "C3: stale cached span"); }
PA(h_span_sg_sweeping) { return span_sweepgen(c, (uint32_t)-1, "S12: sweepgen h-1"); }
PA(h_span_sg_wild) { return span_sweepgen(c, 5, "S12: sweepgen h+5"); }
PA(h_span_cached_in_list) {
    SPAN(sp_cached);
    POKE(c, s->list, (int8_t)(c->t % 4));
    c->want = "C1: cached (sweepgen";
    return true;
}
/* A span that says it is swept and in list 9 (there are four). */
PA(h_span_list_id) {
    SPAN(sp_cached);
    POKE(c, s->sweepgen, hsg(c));
    POKE(c, s->list, (int8_t)9);
    c->want = "M1: list id";
    return true;
}
PA(h_span_state) {
    SPAN(sp_cached);
    POKE(c, s->state, (uint8_t)7);
    c->want = ": state 7";
    return true;
}
PA(h_span_dead_cached) {
    SPAN(sp_cached);
    POKE(c, s->state, (uint8_t)GA_SPAN_DEAD);
    c->want = "holds a span not in use";
    return true;
}
PA(h_span_index) {
    SPAN(sp_in_use);
    ga_mspan **e = index_slot(c->h, s->base + (uintptr_t)(c->t >> 8) % s->npages * GA_PAGE_SIZE);
    NEED(e);
    POKE(c, *e, NULL);
    c->want = "A1: page";
    return true;
}
/* S13: pageAlloc (consistently: bitmaps, summaries, counters) holds a span page free. */
PA(h_span_page_free) {
    SPAN(sp_in_use);
    page_set(c, ga_off(s->base + (uintptr_t)(c->t >> 8) % s->npages * GA_PAGE_SIZE), false, true);
    c->want = "S13: page";
    return true;
}

/* -- mcentral lists (M1) -- */
PA(h_central_class) {
    ga_mcentral *m = &c->h->central[c->t % GA_NUM_SPAN_CLASSES];
    POKE(c, m->spanclass, (ga_spanclass)(m->spanclass ^ 1));
    c->want = "M1: mcentral";
    return true;
}
PA(h_list_prev) {
    SPAN(sp_listed);
    POKE(c, s->prev, s);
    c->want = "broken prev link";
    return true;
}
PA(h_list_state) {
    SPAN(sp_listed);
    POKE(c, s->state, (uint8_t)GA_SPAN_DEAD);
    c->want = " in state 0 in list";
    return true;
}
PA(h_list_class) {
    SPAN(sp_listed);
    POKE(c, s->spanclass, (ga_spanclass)(s->spanclass ^ 1));
    c->want = "in a list of class";
    return true;
}
PA(h_list_id) {
    SPAN(sp_listed);
    POKE(c, s->list, (int8_t)((s->list + 1) % 4));
    c->want = "says list";
    return true;
}
PA(h_list_sweepgen) {
    SPAN(sp_listed);
    POKE(c, s->sweepgen, s->sweepgen + 2);
    c->want = "has sweepgen";
    return true;
}
PA(h_list_count) {
    SPAN(sp_listed);
    ga_span_list *l = list_of(c->h, s, s->list);
    POKE(c, l->n, l->n + 1);
    c->want = "spans, n =";
    return true;
}
/* span_alloc.inuse bounds the list walks: 0 turns any list of two into a "cycle". */
PA(h_span_structs_low) {
    ga_heap *h = c->h;
    if (h->span_alloc.inuse == 0)
        return false; /* no span yet: 0 is the right count */
    bool two = false;
    for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES && !two; spc++)
        for (int id = 0; id < 4 && !two; id++) {
            const ga_span_list *l = ga_mcentral_list(&h->central[spc], (int8_t)id);
            two = l->head && l->head->next;
        }
    POKE(c, h->span_alloc.inuse, 0);
    c->want = two ? "has a cycle" : "span structs:";
    return true;
}
PA(h_span_structs_high) {
    POKE(c, c->h->span_alloc.inuse, c->h->span_alloc.inuse + 1);
    c->want = "span structs:";
    return true;
}
PA(h_list_move_full_partial) {
    SPAN(sp_swept_small);
    move_span(c, s, (int8_t)(s->list ^ 2));
    c->want = ") in swept";
    return true;
}
PA(h_list_move_large_partial) {
    SPAN(sp_swept_large_full);
    move_span(c, s, (int8_t)(s->list - 2));
    c->want = ") in swept partial";
    return true;
}
PA(h_list_move_unswept) {
    SPAN(sp_swept);
    move_span(c, s, (int8_t)(s->list ^ 1));
    c->want = "in unswept";
    return true;
}
/* A span unlinked from its list that still says it is listed. */
PA(h_list_lost) {
    SPAN(sp_listed);
    unlink_span(c, list_of(c->h, s, s->list), s);
    c->want = "list entries,";
    return true;
}

/* -- caches (C1-C4) -- */
PA(h_caches_low) {
    NEED(c->h->caches);
    POKE(c, c->h->cache_alloc.inuse, c->h->cache_alloc.inuse - 1);
    c->want = "cache list longer than";
    return true;
}
PA(h_caches_high) {
    POKE(c, c->h->cache_alloc.inuse, c->h->cache_alloc.inuse + 1);
    c->want = "caches listed,";
    return true;
}
PA(h_cache_prev) {
    ga_cache *x = pick_cache(c, NULL);
    NEED(x);
    POKE(c, x->prev, x);
    c->want = "cache list broken prev link";
    return true;
}
PA(h_cache_heap) {
    ga_cache *x = pick_cache(c, NULL);
    NEED(x);
    POKE(c, x->heap, (ga_heap *)x);
    c->want = "belongs to another heap";
    return true;
}
PA(h_cache_slot_null) {
    ga_cache *x = pick_cache(c, cp_slot);
    NEED(x);
    uint32_t spc = 0;
    cache_slots(x, c->pos, &spc, NULL);
    POKE(c, x->alloc[spc], NULL);
    c->want = "holds a span not in use";
    return true;
}
PA(h_cache_slot_swap) {
    ga_cache *x = pick_cache(c, cp_two);
    NEED(x);
    uint32_t a = 0, b = 0;
    cache_slots(x, c->pos, &a, &b);
    ga_mspan *sa = x->alloc[a];
    POKE(c, x->alloc[a], x->alloc[b]);
    POKE(c, x->alloc[b], sa);
    c->want = "C1: cache slot";
    return true;
}
/* A cache slot naming a span that sits in an mcentral list (swept or unswept). */
PA(h_cache_slot_listed) {
    SPAN(sp_listed_small);
    ga_cache *x = pick_cache(c, NULL);
    NEED(x);
    POKE(c, x->alloc[s->spanclass], s);
    c->want = "C1: cache slot";
    return true;
}
PA(h_cache_slot_orphan) {
    ga_cache *x = pick_cache(c, cp_slot);
    NEED(x);
    uint32_t spc = 0;
    cache_slots(x, c->pos, &spc, NULL);
    POKE(c, x->alloc[spc], &ga_empty_mspan);
    c->want = "cache slots hold spans";
    return true;
}
static bool tiny_bad(cctx *c, int how) {
    ga_cache *x = pick_cache(c, cp_tiny);
    NEED(x);
    switch (how) {
    case 0:
        POKE(c, x->tiny, x->tiny + 1);
        break;
    case 1:
        POKE(c, x->tiny, (uintptr_t)x);
        break; /* no heap span there */
    case 2: {
        SPAN(sp_large);
        POKE(c, x->tiny, s->base);
        break;
    }
    case 3:
        POKE(c, x->tiny_offset, 0);
        break;
    default:
        POKE(c, x->tiny_offset, GA_TINY_SIZE + 1);
        break;
    }
    c->want = "C2: tiny block";
    return true;
}
PA(h_tiny_misaligned) { return tiny_bad(c, 0); }
PA(h_tiny_foreign) { return tiny_bad(c, 1); }
PA(h_tiny_wrong_class) { return tiny_bad(c, 2); }
PA(h_tiny_offset_zero) { return tiny_bad(c, 3); }
PA(h_tiny_offset_big) { return tiny_bad(c, 4); }
static bool flush_gen(cctx *c, uint32_t d) {
    ga_cache *x = pick_cache(c, NULL);
    NEED(x);
    POKE(c, x->flush_gen, hsg(c) + d);
    c->want = "C4: cache flush_gen";
    return true;
}
PA(h_flush_gen_wild) { return flush_gen(c, 4); }
PA(h_flush_gen_stale) { return flush_gen(c, (uint32_t)-2); }

/* -- page caches and span stashes (C5, C6) -- */
static bool cp_pcache(const ga_cache *x) { return x->pcache.cache != 0; }
static bool cp_pcache_hole(const ga_cache *x) { return x->pcache.cache != 0 && x->pcache.cache != ~(uint64_t)0; }
static bool cp_pcache_scav(const ga_cache *x) { return x->pcache.scav != 0; }
static bool cp_stash(const ga_cache *x) { return x->nspan_stash != 0; }
/* A scavenged bit on a page the cache does not hold. */
PA(h_pcache_scav_stray) {
    ga_cache *x = pick_cache(c, cp_pcache_hole);
    NEED(x);
    POKE(c, x->pcache.scav, x->pcache.scav | (~x->pcache.cache & -~x->pcache.cache));
    c->want = "P9: cache scav";
    return true;
}
PA(h_pcache_misaligned) {
    ga_cache *x = pick_cache(c, cp_pcache);
    NEED(x);
    POKE(c, x->pcache.base, x->pcache.base + GA_PAGE_SIZE);
    c->want = "P9: cache base";
    return true;
}
/* The cache claims a page of its block that a span owns. */
PA(h_pcache_page_owned) {
    ga_cache *x = pick_cache(c, cp_pcache_hole);
    NEED(x);
    unsigned i = 0;
    while (i < GA_PAGECACHE_PAGES &&
           (x->pcache.cache >> i & 1 || !ga_mheap_index_get(c->h, x->pcache.base + ((uintptr_t)i << GA_PAGE_SHIFT))))
        i++;
    NEED(i < GA_PAGECACHE_PAGES);
    POKE(c, x->pcache.cache, x->pcache.cache | (uint64_t)1 << i);
    c->want = "C5: page";
    return true;
}
/* A cached page forgotten: allocated in pageAlloc, held by nobody. */
PA(h_pcache_page_lost) {
    ga_cache *x = pick_cache(c, cp_pcache);
    NEED(x);
    uint64_t m = x->pcache.cache & -x->pcache.cache;
    POKE(c, x->pcache.cache, x->pcache.cache & ~m);
    POKE(c, x->pcache.scav, x->pcache.scav & ~m);
    c->want = "P8: pageAlloc has"; /* and page caches */
    return true;
}
/* A cached page's scavenged state forgotten (statistics included): it is released but
 * counted Ready. */
PA(h_pcache_scav_lost) {
    ga_cache *x = pick_cache(c, cp_pcache_scav);
    NEED(x);
    POKE(c, x->pcache.scav, x->pcache.scav & (x->pcache.scav - 1));
    POKE(c, c->h->stats.pcache_scav, atomic_load(&c->h->stats.pcache_scav) - 1);
    c->want = "OS accounting: ready";
    return true;
}
static bool pcache_stat(cctx *c, bool scav) {
    ga_heap_counters *k = &c->h->stats;
    if (scav)
        POKE(c, k->pcache_scav, atomic_load(&k->pcache_scav) + 1);
    else
        POKE(c, k->pcache_pages, atomic_load(&k->pcache_pages) + 1 + (c->t & 7));
    c->want = "H4: pcache_pages";
    return true;
}
PA(h_pcache_stat_pages) { return pcache_stat(c, false); }
PA(h_pcache_stat_scav) { return pcache_stat(c, true); }
PA(h_stash_in_use) {
    ga_cache *x = pick_cache(c, cp_stash);
    NEED(x);
    SPAN(sp_cached);
    POKE(c, x->span_stash[0], s);
    c->want = "C6: stashed span struct";
    return true;
}
PA(h_stash_count) {
    ga_cache *x = pick_cache(c, NULL);
    NEED(x);
    POKE(c, x->nspan_stash, GA_SPAN_STASH + 1);
    c->want = "C6: cache";
    return true;
}
PA(h_stash_lost) {
    ga_cache *x = pick_cache(c, cp_stash);
    NEED(x);
    POKE(c, x->nspan_stash, x->nspan_stash - 1);
    c->want = "span structs: ";
    return true;
}

/* -- parked runs, ownership, statistics -- */
PA(h_parked_pages) {
    POKE(c, c->h->parked_pages, c->h->parked_pages + 1);
    c->want = "parked_pages";
    return true;
}
/* An in-use span on the parked list (its next is NULL or a span: listed spans are
 * linked, cached ones are not; the walk stops at the first malformed run). */
PA(h_parked_in_use) {
    SPAN(sp_cached);
    POKE(c, c->h->parked, s);
    c->want = "malformed";
    return true;
}
PA(h_parked_cycle) {
    ga_mspan *s = c->h->parked;
    NEED(s);
    POKE(c, s->next, s);
    c->want = "parked list has a cycle";
    return true;
}
PA(h_parked_elemsize) {
    ga_mspan *s = c->h->parked;
    NEED(s);
    POKE(c, s->elemsize, (s->npages << GA_PAGE_SHIFT) + 1);
    c->want = "malformed";
    return true;
}
PA(h_parked_indexed) {
    ga_mspan *s = c->h->parked;
    NEED(s);
    ga_mspan **e = index_slot(c->h, s->base);
    NEED(e);
    POKE(c, *e, s);
    c->want = "free, scavenged or indexed";
    return true;
}
/* A free page (of no span, no parked run) whose index entry names a span. */
PA(h_index_stray) {
    ga_heap *h = c->h;
    uintptr_t o = pick_page(&h->pages, c->t, 1);
    NEED(o != GA_PA_MAX_OFF);
    ga_mspan **e = index_slot(h, ga_unoff(o));
    NEED(e && !*e);
    SPAN(sp_in_use);
    POKE(c, *e, s);
    c->want = "index entries,";
    return true;
}
/* P8: pageAlloc (consistently) holds a page allocated that no span or parked run owns. */
PA(h_page_orphan) {
    uintptr_t o = pick_page(&c->h->pages, c->t, 1);
    NEED(o != GA_PA_MAX_OFF);
    page_set(c, o, true, false);
    c->want = "P8: pageAlloc has";
    return true;
}
PA(h_pages_in_use) {
    POKE(c, c->h->stats.pages_in_use, atomic_load(&c->h->stats.pages_in_use) + 1);
    c->want = "H2: pages_in_use";
    return true;
}
PA(h_os_ready) {
    POKE(c, c->h->os.ready, atomic_load(&c->h->os.ready) + GA_PAGE_SIZE);
    c->want = "OS accounting";
    return true;
}
PA(h_sweepgen_odd) {
    POKE(c, c->h->sweepgen, c->h->sweepgen + 1);
    c->want = "H1: sweepgen";
    return true;
}

/* -- the page reclaimer's arena bitmaps (A2, A5; heap.h: ga_heap_arena) -- */
static uint64_t *page_word(ga_heap *h, uint64_t *(*map)(ga_heap_arena *), uintptr_t p) {
    ga_heap_arena *a = arena_at(h, p);
    return a ? &map(a)[ga_page_word(p)] : NULL;
}
static uint64_t *in_use_of(ga_heap_arena *a) { return a->page_in_use; }
static uint64_t *marks_of(ga_heap_arena *a) { return a->page_marks; }
static bool sp_marked(const cctx *c, const ga_mspan *s) {
    (void)c;
    uint64_t m = 0;
    for (uint32_t w = 0; w < GA_SPAN_BITS_WORDS; w++)
        m |= s->gcmark_bits[w];
    return in_use(s) && m != 0;
}
/* An in-use span's first-page bit cleared (with its mark bit: page_marks must stay a
 * subset, which the arena walk would report first). */
PA(h_page_in_use_clear) {
    SPAN(sp_in_use);
    uint64_t *u = page_word(c->h, in_use_of, s->base), *m = page_word(c->h, marks_of, s->base);
    NEED(u && m);
    POKE(c, *u, *u & ~ga_page_mask(s->base));
    POKE(c, *m, *m & ~ga_page_mask(s->base));
    c->want = "A2: page_in_use bit of its first page clear";
    return true;
}
/* A bit at a free page: no span starts there. */
PA(h_page_in_use_stray) {
    uintptr_t o = pick_page(&c->h->pages, c->t, 1);
    NEED(o != GA_PA_MAX_OFF);
    uint64_t *u = page_word(c->h, in_use_of, ga_unoff(o));
    NEED(u);
    POKE(c, *u, *u | ga_page_mask(ga_unoff(o)));
    c->want = "A2: ";
    return true;
}
PA(h_page_marks_stray) {
    uintptr_t o = pick_page(&c->h->pages, c->t, 1);
    NEED(o != GA_PA_MAX_OFF);
    uint64_t *m = page_word(c->h, marks_of, ga_unoff(o));
    NEED(m);
    POKE(c, *m, *m | ga_page_mask(ga_unoff(o)));
    c->want = "A5: arena";
    return true;
}
/* A span with a marked slot (mark phase, or unswept after it) whose page bit is lost:
 * the reclaimer would free it with a live object. */
PA(h_page_marks_missing) {
    SPAN(sp_marked);
    uint64_t *m = page_word(c->h, marks_of, s->base);
    NEED(m);
    POKE(c, *m, *m & ~ga_page_mask(s->base));
    c->want = "A5: marked slot but page_marks bit clear";
    return true;
}

static const corruption heap_table[] = {
    C(h_arenas_null),
    C(h_n_arenas),
    C(h_all_arenas_null),
    C(h_arena_records),
    C(h_arena_base_zero),
    C(h_arena_base_misaligned),
    C(h_arena_unindexed),
    C(h_arena_struct_base),
    C(h_arena_mapped_misaligned),
    C(h_arena_zeroed),
    C(h_arena_mapped_total),
    C(h_cur_misaligned),
    C(h_cur_inverted),
    C(h_cur_end_misaligned),
    C(h_cur_no_arena),
    C(h_cur_top),
    C(h_cur_gap),
    C(h_span_class_range),
    C(h_span_base_zero),
    C(h_span_base_misaligned),
    C(h_span_npages_zero),
    C(h_span_npages),
    C(h_span_elemsize),
    C(h_span_nelems),
    C(h_span_div_mul),
    C(h_span_limit),
    C(h_large_nelems),
    C(h_large_elemsize),
    C(h_large_div_mul),
    C(h_large_limit_low),
    C(h_large_limit_high),
    C(h_span_freeindex),
    C(h_span_alloc_count_over),
    C(h_span_tail_alloc),
    C(h_span_tail_mark),
    C(h_span_tail_freed),
    C(h_span_freed_free_slot),
    C(h_span_marked_free_slot),
    C(h_span_alloc_count),
    C(h_span_alloc_cache),
    C(h_span_pending),
    C(h_span_dirty_head),
    C(h_span_dirty_tail),
    C(h_span_sg_swept),
    C(h_span_sg_unswept),
    C(h_span_sg_stale),
    C(h_span_sg_sweeping),
    C(h_span_sg_wild),
    C(h_span_cached_in_list),
    C(h_span_list_id),
    C(h_span_state),
    C(h_span_dead_cached),
    C(h_span_index),
    C(h_span_page_free),
    C(h_central_class),
    C(h_list_prev),
    C(h_list_state),
    C(h_list_class),
    C(h_list_id),
    C(h_list_sweepgen),
    C(h_list_count),
    C(h_span_structs_low),
    C(h_span_structs_high),
    C(h_list_move_full_partial),
    C(h_list_move_large_partial),
    C(h_list_move_unswept),
    C(h_list_lost),
    C(h_caches_low),
    C(h_caches_high),
    C(h_cache_prev),
    C(h_cache_heap),
    C(h_cache_slot_null),
    C(h_cache_slot_swap),
    C(h_cache_slot_listed),
    C(h_cache_slot_orphan),
    C(h_tiny_misaligned),
    C(h_tiny_foreign),
    C(h_tiny_wrong_class),
    C(h_tiny_offset_zero),
    C(h_tiny_offset_big),
    C(h_flush_gen_wild),
    C(h_flush_gen_stale),
    C(h_parked_pages),
    C(h_parked_in_use),
    C(h_parked_cycle),
    C(h_parked_elemsize),
    C(h_parked_indexed),
    C(h_index_stray),
    C(h_page_orphan),
    C(h_pages_in_use),
    C(h_os_ready),
    C(h_sweepgen_odd),
    C(h_span_local_free_slot),
    C(h_span_local_count),
    C(h_span_local_uncached),
    C(h_page_in_use_clear),
    C(h_page_in_use_stray),
    C(h_page_marks_stray),
    C(h_page_marks_missing),
    /* page caches and span stashes (C5, C6, H4; issue 11) */
    C(h_pcache_scav_stray),
    C(h_pcache_misaligned),
    C(h_pcache_page_owned),
    C(h_pcache_page_lost),
    C(h_pcache_scav_lost),
    C(h_pcache_stat_pages),
    C(h_pcache_stat_scav),
    C(h_stash_in_use),
    C(h_stash_count),
    C(h_stash_lost),
};
#define N_HEAP (sizeof heap_table / sizeof heap_table[0])

/* ==== the op =========================================================================== */

typedef int (*checker)(cctx *, char *, size_t, bool locked);
static int check_heap(cctx *c, char *why, size_t len, bool locked) {
    if (!locked)
        return ga_heap_check(c->h, why, len);
    pthread_mutex_lock(&c->h->lock);
    int r = ga_heap_check_locked(c->h, why, len);
    pthread_mutex_unlock(&c->h->lock);
    return r;
}
static int check_pa(cctx *c, char *why, size_t len, bool locked) {
    (void)locked;
    return ga_pagealloc_check(c->p, why, len);
}

/* Apply, check (must fail with c->want), restore, check (must pass; unless !recheck:
 * then the caller runs that check, see corrupt_pagealloc_op). */
static const char *run(cctx *c, const corruption *k, checker check, uint8_t v, bool recheck) {
    char why[WHY_LEN];
    c->want = NULL;
    c->nlog = 0;
    if (!k->apply(c))
        return NULL;
    bool locked = v & 1;
    int r = check(c, why, sizeof why, locked);
    if (r == 0)
        die("%s (target %u): the checker missed it (expected \"%s\")", k->name, (unsigned)c->t, c->want);
    if (!strstr(why, c->want))
        die("%s (target %u): the checker reported \"%s\", expected \"%s\"", k->name, (unsigned)c->t, why, c->want);
    if ((v & 2) && check(c, NULL, 0, locked) == 0)
        die("%s: the checker passes when given no description buffer", k->name);
    restore(c);
    if (recheck && check(c, why, sizeof why, locked) != 0)
        die("%s: after the exact bytes were restored: %s", k->name, why);
    return k->name;
}

/* The E-ACSL replayers (eacsl/) skip the corruptions, bytes consumed as when disabled:
 * set_leaf merges planted malformed summaries with ga_psum_merge, outside its
 * precondition, which that build checks at run time. */
#ifdef GA_EACSL
#define EACSL_SKIP true
#else
#define EACSL_SKIP false
#endif

const char *corrupt_heap_op(ga_heap *h, fuzz_input *in, bool enabled) {
    uint8_t k = fi_u8(in);
    uint16_t t = fi_u16(in);
    uint8_t v = fi_u8(in);
    if (!enabled || EACSL_SKIP)
        return NULL;
    cctx c = {0}; /* on the stack, as in corrupt_pagealloc_op */
    c.h = h;
    c.p = &h->pages;
    c.t = t;
    c.pos = (uint32_t)(v >> 2) << 8 | t >> 8;
    unsigned n = k % (N_HEAP + N_PA);
    return run(&c, n < N_HEAP ? &heap_table[n] : &pa_table[n - N_HEAP], check_heap, v, true);
}

const char *corrupt_pagealloc_op(ga_pagealloc *p, fuzz_input *in, bool enabled, bool recheck) {
    uint8_t k = fi_u8(in);
    uint16_t t = fi_u16(in);
    uint8_t v = fi_u8(in);
    if (!enabled || EACSL_SKIP)
        return NULL;
    /* on the stack: a fresh heap block (ASan's quarantine hands out new memory every
     * time) was a page fault per op */
    cctx c = {0};
    c.p = p;
    c.t = t;
    c.pos = (uint32_t)(v >> 2) << 8 | t >> 8;
    return run(&c, &pa_table[k % N_PA], check_pa, v, recheck);
}

unsigned corrupt_heap_kinds(void) { return (unsigned)(N_HEAP + N_PA); }
unsigned corrupt_pagealloc_kinds(void) { return (unsigned)N_PA; }
const char *corrupt_heap_name(unsigned k) {
    return k < N_HEAP ? heap_table[k].name : k < N_HEAP + N_PA ? pa_table[k - N_HEAP].name : NULL;
}
const char *corrupt_pagealloc_name(unsigned k) { return k < N_PA ? pa_table[k].name : NULL; }
