/* pageAlloc (Go's mpagealloc.go, mpagealloc_64bit.go, parts of mgcscavenge.go).
 *
 * The heap's pages are described twice: exactly, by one bitmap pair per 4 MiB chunk
 * (alloc, scav: ga_pallocdata), and approximately but searchably, by a radix tree of
 * summaries (start, max, end free runs).  Level 0 has 16384 entries of 16 GiB; each
 * lower level splits an entry into 8; level 4 has one entry per chunk.  Every index is
 * taken on the offset address off(p) = p + 2^47, so the tree covers the whole 48-bit
 * address space in address order.
 *
 * Each level is one PROT_NONE reservation for all its entries (128 KiB .. 512 MiB);
 * growth maps only the pages holding the entries of the new range, rounded out to the
 * 8-entry block a search reads at once.  A page bitmap per level records what is
 * mapped, so growth can be undone exactly when the OS refuses part of it.
 *
 * alloc: address-ordered first fit.  The fast path looks only at the chunk of
 * search_addr (every page below it is allocated); the slow path descends the tree,
 * joining runs that cross entry boundaries at each level.  Every bitmap change is
 * followed by update(), which recomputes the touched leaves and merges parents upward,
 * stopping at the first level where nothing changed.
 *
 * Scavenging: pages start scavenged (fresh OS memory), allocation clears the bits it
 * reuses and reports them, free leaves them clear (the pages are now dirty).  The
 * scavenge index (scavindex.h, Go's scavengeIndex) marks chunks that may hold free
 * unscavenged pages; free of dirty pages marks them, the scavenger finds from the top
 * down and clears the ones it finds empty (Go's scavenge / scavengeOne). */
#include "pagealloc.h"

#include "bitops.h"

#include <errno.h>
#include <string.h>

#include "pagealloc_impl.h" /* the private struct (ga_pa_priv) and the chunk map lookups */
#include "psumtree.h"

#define LEVELS GA_SUMMARY_LEVELS
#define LEAF (LEVELS - 1)
#define L1_ENTRIES GA_PA_L1_ENTRIES
#define L2_ENTRIES GA_PA_L2_ENTRIES
#define L2_DATA_BYTES GA_PA_L2_DATA_BYTES
#define L1_MARK_WORDS GA_PA_L1_MARK_WORDS
_Static_assert(L1_ENTRIES % 256 == 0, "destroy skips empty chunk-map slots 256 at a time");
_Static_assert(LEAF == GA_PSUMTREE_LEAF && GA_PA_LEVEL_BITS == 3 && GA_PA_LEVEL_LOG_PAGES(LEAF) == 9 &&
                   GA_PA_ROOT_BITS == 14,
               "psumtree.c's levels: 8 children per entry, 512-page leaves, at most 16384 entries per level");

#define LEVEL_ARRAY(f)                                                                                                 \
    { f(0), f(1), f(2), f(3), f(4) }
_Static_assert(LEVELS == 5, "LEVEL_ARRAY lists every level");
static const unsigned level_bits[LEVELS] = LEVEL_ARRAY(GA_PA_LEVEL_ENTRY_BITS);     /* 14, 3, 3, 3, 3 */
static const unsigned level_shift[LEVELS] = LEVEL_ARRAY(GA_PA_LEVEL_SHIFT);         /* 34, 31, 28, 25, 22 */
static const unsigned level_log_pages[LEVELS] = LEVEL_ARRAY(GA_PA_LEVEL_LOG_PAGES); /* 21, 18, 15, 12, 9 */

static inline int bit_get(const uint64_t *b, size_t i) { return (int)(b[i / 64] >> (i % 64) & 1); }
static inline void bit_set(uint64_t *b, size_t i) { b[i / 64] |= (uint64_t)1 << (i % 64); }
static inline void bit_clr(uint64_t *b, size_t i) { b[i / 64] &= ~((uint64_t)1 << (i % 64)); }
static inline unsigned clz64(uint64_t x) { return ga_clz64(x); }

/* n >= 1 bytes from b all 0: the first is, and each equals the next (memcmp of the
 * bytes against themselves shifted by one).  For long stretches of empty summary
 * entries and chunk-map slots: one library call is far cheaper than a loop testing
 * each, above all under sanitizers and coverage tracing (the fuzzers' builds). */
#if defined(__GNUC__)
__attribute__((always_inline)) /* no call (nor coverage tracing of its own) where it is used */
#endif
static inline int
all_zero(const void *b, size_t n) {
    const unsigned char *c = b;
    return c[0] == 0 && memcmp(c, c + 1, n - 1) == 0;
}

/* The first index in [i, hi) whose bit in b is `set` (1) or clear (0), or hi.  Runs of
 * metadata pages are found a word at a time: page by page (level 0's 32 pages at every
 * grow, commit and rollback) these loops were most of a grow's cost. */
static size_t next_bit(const uint64_t *b, size_t i, size_t hi, int set) {
    while (i < hi) {
        uint64_t w = (set ? b[i / 64] : ~b[i / 64]) >> (i % 64);
        if (w) {
            i += ga_ctz64(w);
            break;
        }
        i += 64 - i % 64;
    }
    return i < hi ? i : hi;
}

/* Bits [lo, hi) of b := v, a word at a time. */
static void put_bits(uint64_t *b, size_t lo, size_t hi, int v) {
    while (lo < hi) {
        size_t w = lo / 64, e = hi - w * 64 < 64 ? hi - w * 64 : 64; /* bits [lo % 64, e) of word w */
        uint64_t m = (e == 64 ? ~(uint64_t)0 : ((uint64_t)1 << e) - 1) & ~(((uint64_t)1 << (lo % 64)) - 1);
        b[w] = v ? b[w] | m : b[w] & ~m;
        lo = w * 64 + e;
    }
}

static inline uintptr_t chunk_index(uintptr_t off) { return off >> GA_LOG_CHUNK_BYTES; }
static inline uint32_t chunk_page(uintptr_t off) { return (uint32_t)(off >> GA_PAGE_SHIFT) & (GA_CHUNK_PAGES - 1); }
static inline uintptr_t chunk_base(uintptr_t ci) { return ci << GA_LOG_CHUNK_BYTES; }

static void bad_summary(const char *what, uintptr_t idx) {
    ga_throw("pageAlloc: bad summary data (%s, index %#lx)", what, (unsigned long)idx);
}
void ga_pagealloc_bad_summary(const char *what, uintptr_t idx) {
    ga_throw("pageAlloc: bad summary data (%s, index %#lx)", what, (unsigned long)idx);
}

/* ---- in_use: sorted, coalesced offset ranges (ranges.h) ------------------------- */

static int in_use_contains(const ga_pagealloc *p, uintptr_t off) { return ga_addr_ranges_contains(&p->in_use, off); }

/* Lowest in-use offset >= off, or GA_PA_MAX_OFF (Go's findMappedAddr). */
static uintptr_t in_use_at_or_above(const ga_pagealloc *p, uintptr_t off) {
    uintptr_t found;
    return ga_addr_ranges_find_addr_greater_equal(&p->in_use, off, &found) ? found : GA_PA_MAX_OFF;
}

/* Some in-use offset lies in [base, limit). */
static int in_use_meets(const ga_pagealloc *p, uintptr_t base, uintptr_t limit) {
    uintptr_t found;
    return ga_addr_ranges_find_addr_greater_equal(&p->in_use, base, &found) && found < limit;
}

/* ---- summary update -------------------------------------------------------------- */

/* Restore P2/P3 after the bitmaps of pages [ob, ob + npages) changed.  contig: the
 * whole range changed the same way (alloc or free), so interior chunks are all-full
 * or all-free (psumtree.c's update, proved, sets their leaves).  A range that is not
 * contiguous (pagecache's, which never crosses a chunk) is updated chunk by chunk. */
static void update(ga_pagealloc *p, uintptr_t ob, uintptr_t npages, int contig, int alloc) {
    uintptr_t sc = chunk_index(ob), ec = chunk_index(ob + (npages - 1) * GA_PAGE_SIZE);
    if (contig || sc == ec) {
        ga_psumtree_update(p->summary, p->chunks, sc, ec, alloc);
        return;
    }
    for (uintptr_t ci = sc; ci <= ec; ci++)
        ga_psumtree_update(p->summary, p->chunks, ci, ci, alloc);
}

/* ---- metadata growth ------------------------------------------------------------- */

/* Physical pages [*plo, *phi) of summary[l] that hold the entries needed for offsets
 * [ob, ol), rounded out to the block of entries a search reads at once. */
#if defined(__GNUC__)
__attribute__((always_inline)) /* per level per range, by grow and by the checker (inlined there: not traced) */
#endif
static inline void
need_pages(uintptr_t ob, uintptr_t ol, int l, size_t *plo, size_t *phi) {
    size_t phys = ga_phys_page_size();
    uintptr_t width = (uintptr_t)1 << level_bits[l];
    uintptr_t lo = ga_align_down(ob >> level_shift[l], width);
    uintptr_t hi = ga_align_up(((ol - 1) >> level_shift[l]) + 1, width);
    *plo = ga_align_down(lo * sizeof(ga_psum), phys) / phys;
    *phi = ga_align_up(hi * sizeof(ga_psum), phys) / phys;
}

/* Undo what the current sys_grow mapped (pending pages, new L2 blocks). */
static void sys_grow_rollback(ga_pagealloc *p, uintptr_t ob, uintptr_t ol) {
    ga_pa_priv *q = ga_pagealloc_priv(p);
    size_t phys = ga_phys_page_size();
    for (int l = 0; l < LEVELS; l++) {
        size_t lo, hi;
        need_pages(ob, ol, l, &lo, &hi);
        for (size_t pg = next_bit(q->pending[l], lo, hi, 1); pg < hi;) {
            size_t run = next_bit(q->pending[l], pg, hi, 0);
            put_bits(q->pending[l], pg, run, 0);
            put_bits(q->mapped[l], pg, run, 0);
            size_t n = (run - pg) * phys;
            ga_sys_fault(p->os, (char *)p->summary[l] + pg * phys, n); /* Ready -> Reserved */
            q->level_mapped[l] -= n;
            p->summary_mapped -= n;
            pg = next_bit(q->pending[l], run, hi, 1);
        }
    }
    for (size_t l1 = chunk_index(ob) >> GA_CHUNKS_L2_BITS; l1 <= chunk_index(ol - 1) >> GA_CHUNKS_L2_BITS; l1++) {
        if (!bit_get(q->l2_new, l1))
            continue;
        bit_clr(q->l2_new, l1);
        ga_sys_free(p->os, p->chunks[l1], q->l2_bytes, q->l2_bytes, q->l2_bytes);
        p->chunks[l1] = NULL;
        q->l2_blocks--;
    }
}

static void sys_grow_commit(ga_pagealloc *p, uintptr_t ob, uintptr_t ol) {
    ga_pa_priv *q = ga_pagealloc_priv(p);
    for (int l = 0; l < LEVELS; l++) {
        size_t lo, hi;
        need_pages(ob, ol, l, &lo, &hi);
        put_bits(q->pending[l], lo, hi, 0);
    }
    for (size_t l1 = chunk_index(ob) >> GA_CHUNKS_L2_BITS; l1 <= chunk_index(ol - 1) >> GA_CHUNKS_L2_BITS; l1++)
        bit_clr(q->l2_new, l1);
}

/* Offset chunk 0 (real [0xffff800000000000, +4 MiB), never user memory) is refused as
 * in Go, where it cannot be a heap: the scavenge index's find uses chunk 0 for "none". */
static int range_ok(uintptr_t base, uintptr_t limit) {
    uintptr_t ob = ga_off(base), ol = ob + (limit - base);
    return base != 0 && limit > base && base % GA_CHUNK_BYTES == 0 && limit % GA_CHUNK_BYTES == 0 && ob < ol &&
           ob >= GA_CHUNK_BYTES && ol <= ((uintptr_t)1 << GA_HEAP_ADDR_BITS);
}

int ga_pagealloc_sys_grow(ga_pagealloc *p, uintptr_t base, uintptr_t limit) {
    if (!p->priv || !range_ok(base, limit))
        return errno = EINVAL;
    ga_pa_priv *q = ga_pagealloc_priv(p);
    size_t phys = ga_phys_page_size();
    uintptr_t ob = ga_off(base), ol = ob + (limit - base);
    for (int l = 0; l < LEVELS; l++) {
        size_t lo, hi;
        need_pages(ob, ol, l, &lo, &hi);
        for (size_t pg = next_bit(q->mapped[l], lo, hi, 0); pg < hi;) {
            size_t run = next_bit(q->mapped[l], pg, hi, 1);
            size_t n = (run - pg) * phys;
            char *v = (char *)p->summary[l] + pg * phys;
            if (ga_sys_map(p->os, v, n))
                goto fail;
            if (ga_sys_used(p->os, v, n, n)) {
                ga_sys_unmap(p->os, v, n, 0);
                goto fail;
            }
            put_bits(q->mapped[l], pg, run, 1);
            put_bits(q->pending[l], pg, run, 1);
            q->level_mapped[l] += n;
            p->summary_mapped += n;
            pg = next_bit(q->mapped[l], run, hi, 0);
        }
    }
    for (size_t l1 = chunk_index(ob) >> GA_CHUNKS_L2_BITS; l1 <= chunk_index(ol - 1) >> GA_CHUNKS_L2_BITS; l1++) {
        if (p->chunks[l1])
            continue;
        p->chunks[l1] = ga_sys_alloc(p->os, q->l2_bytes);
        if (!p->chunks[l1])
            goto fail;
        bit_set(q->l2_new, l1);
        q->l2_blocks++;
    }
    if (ga_scav_index_grow(&p->scav, base, limit)) /* last: it undoes itself on refusal */
        goto fail;
    sys_grow_commit(p, ob, ol);
    return 0;
fail:
    sys_grow_rollback(p, ob, ol);
    return errno = ENOMEM;
}

/* ---- init / destroy -------------------------------------------------------------- */

int ga_pagealloc_init(ga_pagealloc *p, ga_os *os) {
    memset(p, 0, sizeof *p);
    p->os = os;
    p->search_addr = GA_PA_MAX_OFF;
    ga_addr_ranges_init(&p->in_use, os); /* allocates nothing: cannot fail */
    size_t phys = ga_phys_page_size();
    size_t words[LEVELS], total_words = 0, bytes[LEVELS];
    for (int l = 0; l < LEVELS; l++) {
        bytes[l] = ga_align_up(((size_t)1 << (GA_HEAP_ADDR_BITS - level_shift[l])) * sizeof(ga_psum), phys);
        words[l] = (bytes[l] / phys + 63) / 64;
        total_words += words[l];
    }
    size_t priv_bytes = ga_align_up(sizeof(ga_pa_priv) + 2 * total_words * sizeof(uint64_t), phys);
    ga_pa_priv *q = ga_sys_alloc(os, priv_bytes);
    if (!q)
        return errno = ENOMEM;
    p->priv = q;
    q->priv_bytes = priv_bytes;
    q->l2_bytes = ga_align_up(L2_DATA_BYTES, phys);
    uint64_t *w = (uint64_t *)(q + 1);
    for (int l = 0; l < LEVELS; l++) {
        q->level_bytes[l] = bytes[l];
        q->level_pages[l] = bytes[l] / phys;
        q->mapped[l] = w;
        q->pending[l] = w + words[l];
        w += 2 * words[l];
    }
    for (int l = 0; l < LEVELS; l++) {
        p->summary[l] = ga_sys_reserve(os, NULL, bytes[l]);
        if (!p->summary[l]) {
            ga_pagealloc_destroy(p); /* a summary level refused */
            return errno = ENOMEM;
        }
    }
    if (ga_scav_index_init(&p->scav, os)) {
        int e = errno;
        ga_pagealloc_destroy(p);
        return errno = e;
    }
    return 0;
}

void ga_pagealloc_destroy(ga_pagealloc *p) {
    ga_pa_priv *q = ga_pagealloc_priv(p);
    if (!q)
        return;
    for (int l = 0; l < LEVELS; l++)
        if (p->summary[l])
            ga_sys_free(p->os, p->summary[l], q->level_bytes[l], q->level_mapped[l], q->level_mapped[l]);
    for (size_t l1 = 0; l1 < L1_ENTRIES; l1++) {
        if (l1 % 256 == 0 && all_zero(&p->chunks[l1], 256 * sizeof p->chunks[0])) {
            l1 += 255; /* 256 empty slots (L1_ENTRIES is a multiple of 256) */
            continue;
        }
        if (p->chunks[l1])
            ga_sys_free(p->os, p->chunks[l1], q->l2_bytes, q->l2_bytes, q->l2_bytes);
    }
    ga_addr_ranges_destroy(&p->in_use);
    ga_scav_index_destroy(&p->scav);
    ga_os *os = p->os;
    ga_sys_free(os, q, q->priv_bytes, q->priv_bytes, q->priv_bytes);
    memset(p, 0, sizeof *p);
    p->os = os;
    p->search_addr = GA_PA_MAX_OFF;
    ga_addr_ranges_init(&p->in_use, os);
}

/* ---- grow ------------------------------------------------------------------------- */

int ga_pagealloc_grow(ga_pagealloc *p, uintptr_t base, size_t size) {
    uintptr_t limit = base + size;
    if (!p->priv || size == 0 || limit < base || !range_ok(base, limit))
        return errno = EINVAL;
    uintptr_t ob = ga_off(base), ol = ob + size;
    if (in_use_meets(p, ob, ol))
        return errno = EINVAL; /* never grow the same memory twice */

    /* Room for one more range first, so that nothing can fail after sys_grow; a
     * refused sys_grow puts the old array back (nothing changed, OS included). */
    ga_addr_ranges_undo u;
    if (ga_addr_ranges_reserve(&p->in_use, 1, &u))
        return errno = ENOMEM;
    if (ga_pagealloc_sys_grow(p, base, limit)) {
        ga_addr_ranges_reserve_end(&p->in_use, &u, false);
        return errno = ENOMEM;
    }
    ga_addr_ranges_reserve_end(&p->in_use, &u, true);
    if (ga_addr_ranges_add(&p->in_use, (ga_addr_range){ob, ol})) /* inUse.add: coalesces */
        ga_throw("pageAlloc: in_use refused [%#lx, %#lx) after the checks", (unsigned long)ob, (unsigned long)ol);

    uintptr_t sc = chunk_index(ob), ec = chunk_index(ol);
    if (p->start == p->end || sc < p->start)
        p->start = sc;
    if (ec > p->end)
        p->end = ec;
    if (ob < p->search_addr)
        p->search_addr = ob;
    for (uintptr_t ci = sc; ci < ec; ci++) {
        ga_pallocdata *d = ga_pagealloc_chunk(p, ci);
        ga_pallocbits_free_all(d->alloc);
        ga_pallocbits_alloc_all(d->scav);
    }
    uintptr_t npages = size >> GA_PAGE_SHIFT;
    p->total_pages += npages;
    p->free_pages += npages;
    p->scav_pages += npages;
    update(p, ob, npages, 1, 0);
    return 0;
}

/* ---- find / alloc / free -------------------------------------------------------- */

/* The window [base, bound] known to hold the first free page (Go's firstFree). */
typedef struct window {
    uintptr_t base, bound;
} window;

static void found_free(window *w, uintptr_t addr, uintptr_t size) {
    if (w->base <= addr && addr + (size - 1) <= w->bound) {
        w->base = addr;
        w->bound = addr + (size - 1);
    }
}

/* Slow path: lowest run of npages free pages by descending the tree.  1 on success
 * with *addr (offset) and *cand, a valid new search_addr. */
static int find(const ga_pagealloc *p, uintptr_t npages, uintptr_t *addr, uintptr_t *cand) {
    uintptr_t i = 0;
    window ff = {0, GA_PA_MAX_OFF};
    for (int l = 0; l < LEVELS; l++) {
        unsigned lp = level_log_pages[l];
        uintptr_t width = (uintptr_t)1 << level_bits[l];
        i <<= level_bits[l];
        const ga_psum *e = p->summary[l] + i;
        uintptr_t j0 = 0, jend = width;
        uintptr_t si = p->search_addr >> level_shift[l];
        if ((si & ~(width - 1)) == i)
            j0 = si & (width - 1);
        if (l == 0) { /* nothing outside [start, end) */
            unsigned d = level_shift[0] - GA_LOG_CHUNK_BYTES;
            if (j0 < (p->start >> d))
                j0 = p->start >> d;
            jend = ((p->end - 1) >> d) + 1;
        }
        uintptr_t at, first;
        int k = ga_psumtree_find_level(e, j0, jend, lp, npages, &at, &first) /*@ ghost (p->chunks, i << lp) */;
        if (first < jend) /* the first entry with a free page (Go calls this on every one it meets) */
            found_free(&ff, (i + first) << level_shift[l], (uintptr_t)1 << level_shift[l]);
        if (k == GA_PSUMTREE_FOUND) {
            *addr = (i << level_shift[l]) + (at << GA_PAGE_SHIFT);
            *cand = in_use_at_or_above(p, ff.base);
            return 1;
        }
        if (k == GA_PSUMTREE_DESCEND) {
            i += at;
            continue;
        }
        if (l == 0)
            return 0;
        bad_summary("parent promised a run", i >> level_bits[l]);
    }
    uint32_t ns = 0;
    uint32_t j = ga_pallocbits_find(ga_pagealloc_chunk(p, i)->alloc, (uint32_t)npages, 0, &ns);
    if (j == GA_FIND_NONE)
        bad_summary("leaf promised a run", i);
    *addr = chunk_base(i) + ((uintptr_t)j << GA_PAGE_SHIFT);
    uintptr_t first = chunk_base(i) + ((uintptr_t)ns << GA_PAGE_SHIFT);
    found_free(&ff, first, chunk_base(i + 1) - first);
    *cand = in_use_at_or_above(p, ff.base);
    return 1;
}

bool ga_pagealloc_find(const ga_pagealloc *p, uintptr_t npages, uintptr_t *addr, uintptr_t *cand) {
    return find(p, npages, addr, cand) != 0;
}

void ga_pagealloc_update(ga_pagealloc *p, uintptr_t ob, uintptr_t npages, bool contig, bool alloc) {
    update(p, ob, npages, contig, alloc);
}

/* Marks [ob, ob + npages) allocated; returns how many of those pages were scavenged. */
static uintptr_t alloc_range(ga_pagealloc *p, uintptr_t ob, uintptr_t npages) {
    uintptr_t sc = chunk_index(ob), ec = chunk_index(ob + (npages - 1) * GA_PAGE_SIZE);
    uint32_t si = chunk_page(ob);
    uintptr_t scav;
    if (sc == ec) {
        scav = ga_pallocdata_alloc_range(ga_pagealloc_chunk(p, sc), si, (uint32_t)npages);
    } else {
        scav = ga_pallocdata_alloc_range(ga_pagealloc_chunk(p, sc), si, GA_CHUNK_PAGES - si);
        for (uintptr_t ci = sc + 1; ci < ec; ci++)
            scav += ga_pallocdata_alloc_all(ga_pagealloc_chunk(p, ci));
        scav +=
            ga_pallocdata_alloc_range(ga_pagealloc_chunk(p, ec), 0, chunk_page(ob + (npages - 1) * GA_PAGE_SIZE) + 1);
    }
    update(p, ob, npages, 1, 1);
    return scav;
}

int ga_pagealloc_range_free(const ga_pagealloc *p, uintptr_t base, size_t npages, size_t *scav_pages) {
    size_t scav = 0;
    if (scav_pages)
        *scav_pages = 0;
    uintptr_t ob = ga_off(base);
    if (npages == 0 || npages > p->free_pages || base % GA_PAGE_SIZE || ob >= GA_PA_MAX_OFF ||
        npages > (GA_PA_MAX_OFF - ob) >> GA_PAGE_SHIFT)
        return 0;
    uintptr_t end = ob + (npages << GA_PAGE_SHIFT);
    for (uintptr_t at = ob; at < end;) { /* chunk by chunk: in use, and no page allocated */
        if (!in_use_contains(p, at))
            return 0;
        const ga_pallocdata *d = ga_pagealloc_chunk(p, chunk_index(at));
        uint32_t i = chunk_page(at);
        uintptr_t left = (end - at) >> GA_PAGE_SHIFT;
        uint32_t n = left < GA_CHUNK_PAGES - i ? (uint32_t)left : GA_CHUNK_PAGES - i;
        if (ga_pallocbits_popcnt_range(d->alloc, i, n) != 0)
            return 0;
        scav += ga_pallocbits_popcnt_range(d->scav, i, n);
        at += (uintptr_t)n << GA_PAGE_SHIFT;
    }
    if (scav_pages)
        *scav_pages = scav;
    return 1;
}

size_t ga_pagealloc_alloc_at(ga_pagealloc *p, uintptr_t base, size_t npages) {
    uintptr_t scav = alloc_range(p, ga_off(base), npages);
    p->free_pages -= npages;
    p->scav_pages = p->scav_pages - scav;
    return scav; /* search_addr stays: no page below it became free */
}

uintptr_t ga_pagealloc_alloc(ga_pagealloc *p, size_t npages, size_t *scav_bytes) {
    if (scav_bytes)
        *scav_bytes = 0;
    if (npages == 0 || npages > p->free_pages) {
        if (p->free_pages == 0)
            p->search_addr = GA_PA_MAX_OFF;
        return 0;
    }
    uintptr_t sa = p->search_addr, ci = chunk_index(sa), addr, cand;
    if (ci >= p->end)
        return 0;
    uint32_t pi = chunk_page(sa);
    if (GA_CHUNK_PAGES - pi >= npages && ga_psum_max(p->summary[LEAF][ci]) >= npages) {
        uint32_t ns = 0;
        uint32_t j = ga_pallocbits_find(ga_pagealloc_chunk(p, ci)->alloc, (uint32_t)npages, pi, &ns);
        if (j == GA_FIND_NONE)
            bad_summary("fast path", ci);
        addr = chunk_base(ci) + ((uintptr_t)j << GA_PAGE_SHIFT);
        cand = chunk_base(ci) + ((uintptr_t)ns << GA_PAGE_SHIFT);
    } else if (!find(p, npages, &addr, &cand)) {
        if (npages == 1)
            p->search_addr = GA_PA_MAX_OFF;
        return 0;
    }
    uintptr_t scav = alloc_range(p, addr, npages);
    if (p->search_addr < cand)
        p->search_addr = cand;
    p->free_pages -= npages;
    p->scav_pages -= scav;
    if (scav_bytes)
        *scav_bytes = scav << GA_PAGE_SHIFT;
    return ga_unoff(addr);
}

#ifndef NDEBUG
/* Debug builds: the range lies in one grown range and every page is allocated. */
static void free_check(const ga_pagealloc *p, uintptr_t ob, size_t npages) {
    size_t k = ga_addr_ranges_find_succ(&p->in_use, ob); /* the range holding ob is k - 1 */
    const ga_addr_range *r = k > 0 ? &p->in_use.ranges[k - 1] : NULL;
    int ok = r && r->limit > ob && npages <= (r->limit - ob) >> GA_PAGE_SHIFT;
    for (uintptr_t o = ob, left = npages; ok && left;) {
        uint32_t i = chunk_page(o), n = left < GA_CHUNK_PAGES - i ? (uint32_t)left : GA_CHUNK_PAGES - i;
        ok = ga_pallocbits_popcnt_range(ga_pagealloc_chunk(p, chunk_index(o))->alloc, i, n) == n;
        o += (uintptr_t)n << GA_PAGE_SHIFT;
        left -= n;
    }
    if (!ok)
        ga_throw("ga_pagealloc_free(%#lx, %zu pages): not an allocated range", (unsigned long)ga_unoff(ob), npages);
}
#endif

void ga_pagealloc_free(ga_pagealloc *p, uintptr_t base, size_t npages) {
    ga_pagealloc_free_scav(p, base, npages, false);
}

void ga_pagealloc_free_scav(ga_pagealloc *p, uintptr_t base, size_t npages, bool scavenged) {
    if (npages == 0)
        return;
    uintptr_t ob = ga_off(base), last = ob + (npages - 1) * GA_PAGE_SIZE;
    uintptr_t sc = chunk_index(ob), ec = chunk_index(last);
#ifndef NDEBUG
    free_check(p, ob, npages);
#endif
    if (ob < p->search_addr)
        p->search_addr = ob;
    if (!scavenged) /* dirty pages: the scavenger must find their chunks (SI1) */
        ga_scav_index_mark(&p->scav, base, base + npages * GA_PAGE_SIZE);
    if (npages == 1) {
        ga_pallocbits_free1(ga_pagealloc_chunk(p, sc)->alloc, chunk_page(ob));
    } else if (sc == ec) {
        ga_pallocbits_free_range(ga_pagealloc_chunk(p, sc)->alloc, chunk_page(ob), (uint32_t)npages);
    } else {
        ga_pallocbits_free_range(ga_pagealloc_chunk(p, sc)->alloc, chunk_page(ob), GA_CHUNK_PAGES - chunk_page(ob));
        for (uintptr_t ci = sc + 1; ci < ec; ci++)
            ga_pallocbits_free_all(ga_pagealloc_chunk(p, ci)->alloc);
        ga_pallocbits_free_range(ga_pagealloc_chunk(p, ec)->alloc, 0, chunk_page(last) + 1);
    }
    p->free_pages += npages;
    update(p, ob, npages, 1, 0);
}

/* ---- scavenger -------------------------------------------------------------------- */

/* Go's scavengeOne: release the highest candidate of chunk ci (findScavengeCandidate
 * from page search_idx, in groups of min_pages, at most max_pages unless a huge page
 * widens it); returns pages released, 0 after clearing ci from the index when it has
 * none.  Go marks the run allocated, drops the lock for sysUnused, then frees it with
 * scavenged = true and sets the bits; under one lock here that is: sysUnused, then the
 * scavenged bits (the alloc bits and summaries never change). */
static uintptr_t scavenge_one(ga_pagealloc *p, uintptr_t ci, uint32_t search_idx, uintptr_t max_pages,
                              unsigned min_pages) {
    if (ga_psum_max(p->summary[LEAF][ci]) >= min_pages) { /* a run of min_pages free pages at all */
        ga_pallocdata *d = ga_pagealloc_chunk(p, ci);
        uint32_t start = 0;
        uint32_t n =
            ga_pallocdata_find_scavenge_candidate(d, search_idx, min_pages, max_pages, p->huge_page_bytes, &start);
        if (n != 0) {
            if (ga_pallocbits_popcnt_range(d->alloc, start, n) || ga_pallocbits_popcnt_range(d->scav, start, n))
                ga_throw("pageAlloc: double scavenge (chunk %#lx pages %u+%u)", (unsigned long)ci, start, n);
            ga_sys_unused(p->os, (void *)ga_unoff(chunk_base(ci) + ((uintptr_t)start << GA_PAGE_SHIFT)),
                          (size_t)n << GA_PAGE_SHIFT);
            ga_pallocbits_alloc_range(d->scav, start, n);
            p->scav_pages += n;
            return n;
        }
    }
    ga_scav_index_clear(&p->scav, ci);
    return 0;
}

size_t ga_pagealloc_scavenge(ga_pagealloc *p, size_t bytes) {
    if (!p->priv || p->start == p->end)
        return 0;
    size_t phys = ga_phys_page_size();
    unsigned min_pages = phys > GA_PAGE_SIZE ? (unsigned)(phys / GA_PAGE_SIZE) : 1;
    size_t released = 0;
    while (released < bytes) {
        uint32_t page_idx = 0;
        uintptr_t ci = ga_scav_index_find(&p->scav, &page_idx);
        if (ci == 0)
            break;
        size_t want = bytes - released; /* in pages, rounded up (no overflow: bytes may be SIZE_MAX) */
        uintptr_t max_pages = want / GA_PAGE_SIZE + (want % GA_PAGE_SIZE != 0);
        released += scavenge_one(p, ci, page_idx, max_pages, min_pages) << GA_PAGE_SHIFT;
    }
    return released;
}

/* ---- checker -------------------------------------------------------------------- */

/* The first of the words [i, n) of w that is not 0, or n: zero words 256 at a time (the
 * mapped/pending bitmaps of the summary levels have 2341 words, nearly all 0).  Inlined
 * into the checker, whose loops the fuzzers' builds leave out of coverage tracing
 * (fuzz/nocov.txt); traced, this loop cost more than it saved. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline size_t
next_set_word(const uint64_t *w, size_t i, size_t n) {
    for (; i < n; i++) {
        if (i % 256 == 0 && n - i >= 256 && all_zero(&w[i], 256 * sizeof *w)) {
            i += 255;
            continue;
        }
        if (w[i])
            return i;
    }
    return n;
}

/* ---- the checker's own summaries --------------------------------------------------
 *
 * P2 and P3 recompute every summary over the heap from its bitmap or its children.
 * Through ga_pallocbits_summarize and ga_psum_merge that was, in the fuzzers, mostly
 * those functions' sanitizer-coverage tracing (the checker is on fuzz/nocov.txt, the
 * functions under test it called are not).  These untraced versions give the same
 * (start, max, end) for every bitmap and every well-formed children; the checker no
 * longer takes its expected values from the functions whose results it checks. */
#define CHK_PSUM_BIG ((ga_psum)1 << 63) /* the root's "all 2^21 pages free" */
static inline uint32_t chk_field(ga_psum s, unsigned k) {
    return s >= CHK_PSUM_BIG ? GA_PSUM_MAX : (uint32_t)(s >> (k * GA_PSUM_LOG_MAX) & (GA_PSUM_MAX - 1));
}
static inline ga_psum chk_pack(uint32_t start, uint32_t max, uint32_t end) {
    if (max == GA_PSUM_MAX)
        return CHK_PSUM_BIG;
    return (ga_psum)start | (ga_psum)max << GA_PSUM_LOG_MAX | (ga_psum)end << (2 * GA_PSUM_LOG_MAX);
}

/* Free runs of a chunk's alloc bitmap (bit set: page allocated), word by word. */
static ga_psum chk_summarize(const uint64_t *b) {
    uint32_t start = GA_CHUNK_PAGES, max = 0, cur = 0; /* cur: the free run up to here */
    int seen = 0;                                      /* an allocated page so far */
    for (unsigned w = 0; w < GA_PALLOC_WORDS; w++) {
        uint64_t x = b[w];
        if (x == 0) {
            cur += 64;
            continue;
        }
        cur += (uint32_t)ga_ctz64(x);
        if (!seen)
            start = cur;
        seen = 1;
        if (cur > max)
            max = cur;
        uint32_t in = 0; /* the longest run of free pages within x */
        for (uint64_t y = ~x; y; y &= y << 1)
            in++;
        if (in > max)
            max = in;
        cur = (uint32_t)ga_clz64(x);
    }
    if (cur > max)
        max = cur;
    return chk_pack(start, max, cur);
}

/* 8 children of 2^log_n pages each, in address order. */
static ga_psum chk_merge(const ga_psum *c, unsigned log_n) {
    uint32_t n = (uint32_t)1 << log_n;
    uint32_t start = chk_field(c[0], 0), max = chk_field(c[0], 1), end = chk_field(c[0], 2);
    for (uint32_t k = 1; k < 8; k++) {
        uint32_t sk = chk_field(c[k], 0), mk = chk_field(c[k], 1), ek = chk_field(c[k], 2);
        if (start == k * n) /* all free so far */
            start += sk;
        if (end + sk > max) /* the run across the boundary */
            max = end + sk;
        if (mk > max)
            max = mk;
        end = ek == n ? end + n : ek;
    }
    return chk_pack(start, max, end);
}

int ga_pagealloc_check(const ga_pagealloc *p, char *why, size_t len) {
    const ga_pa_priv *q = ga_pagealloc_priv(p);
    size_t phys = ga_phys_page_size();
    if (!q)
        return ga_check_fail(why, len, "pageAlloc not initialised");

    /* P7: in_use sorted, disjoint, non-adjacent, chunk aligned; start/end. */
    const ga_addr_ranges *iu = &p->in_use;
    if (iu->n > iu->cap)
        return ga_check_fail(why, len, "P7: n_in_use > cap_in_use");
    uintptr_t total = 0;
    for (size_t k = 0; k < iu->n; k++) {
        ga_addr_range r = iu->ranges[k];
        if (r.base >= r.limit || r.base % GA_CHUNK_BYTES || r.limit % GA_CHUNK_BYTES ||
            r.limit > ((uintptr_t)1 << GA_HEAP_ADDR_BITS))
            return ga_check_fail(why, len, "P7: in_use[%zu] = [%#lx, %#lx) malformed", k, (unsigned long)r.base,
                                 (unsigned long)r.limit);
        if (k > 0 && iu->ranges[k - 1].limit >= r.base)
            return ga_check_fail(why, len, "P7: in_use[%zu] overlaps, touches or precedes in_use[%zu]", k, k - 1);
        total += r.limit - r.base;
    }
    if (total != iu->total_bytes)
        return ga_check_fail(why, len, "P7: in_use.total_bytes = %zu, its ranges cover %lu", iu->total_bytes,
                             (unsigned long)total);
    if (total != p->total_pages * GA_PAGE_SIZE)
        return ga_check_fail(why, len, "P7: in_use covers %lu bytes, total_pages says %zu", (unsigned long)total,
                             p->total_pages);
    if (iu->n == 0) {
        if (p->start || p->end || p->free_pages || p->scav_pages || p->search_addr != GA_PA_MAX_OFF)
            return ga_check_fail(why, len, "empty pageAlloc with non-zero state");
    } else if (p->start != chunk_index(iu->ranges[0].base) || p->end != chunk_index(iu->ranges[iu->n - 1].limit)) {
        return ga_check_fail(why, len, "P7: start/end = %lu/%lu do not match in_use", (unsigned long)p->start,
                             (unsigned long)p->end);
    }

    /* Metadata bookkeeping. */
    size_t sum_mapped = 0;
    for (int l = 0; l < LEVELS; l++) {
        size_t n = 0, nw = (q->level_pages[l] + 63) / 64;
        for (size_t w = next_set_word(q->mapped[l], 0, nw); w < nw; w = next_set_word(q->mapped[l], w + 1, nw))
            n += (size_t)ga_popcount64(q->mapped[l][w]);
        if (!all_zero(q->pending[l], nw * sizeof(uint64_t))) /* one call: nothing is pending, normally */
            return ga_check_fail(why, len, "level %d page %zu left pending", l,
                                 next_set_word(q->pending[l], 0, nw) * 64);
        if (n * phys != q->level_mapped[l])
            return ga_check_fail(why, len, "level %d: %zu pages mapped, level_mapped = %zu", l, n, q->level_mapped[l]);
        sum_mapped += n * phys;
    }
    if (sum_mapped != p->summary_mapped)
        return ga_check_fail(why, len, "summary_mapped = %zu, bitmaps say %zu", p->summary_mapped, sum_mapped);
    if (next_set_word(q->l2_new, 0, L1_MARK_WORDS) < L1_MARK_WORDS)
        return ga_check_fail(why, len, "l2_new left set");

    /* Every needed summary page is mapped, and every chunk has its L2 block. */
    for (size_t k = 0; k < iu->n; k++) {
        ga_addr_range r = iu->ranges[k];
        for (int l = 0; l < LEVELS; l++) {
            size_t lo, hi;
            need_pages(r.base, r.limit, l, &lo, &hi);
            for (size_t pg = lo; pg < hi; pg++)
                if (!bit_get(q->mapped[l], pg))
                    return ga_check_fail(why, len, "level %d page %zu needed by in_use[%zu] not mapped", l, pg, k);
        }
        for (uintptr_t ci = chunk_index(r.base); ci < chunk_index(r.limit); ci += L2_ENTRIES - (ci & (L2_ENTRIES - 1)))
            if (!p->chunks[ci >> GA_CHUNKS_L2_BITS])
                return ga_check_fail(why, len, "chunk %#lx has no L2 block", (unsigned long)ci);
    }

    /* P1-P4: every mapped entry of every level. */
    for (int l = 0; l < LEVELS; l++) {
        size_t per_page = phys / sizeof(ga_psum), k = 0; /* k: first range ending above the entry */
        size_t nw = (q->level_pages[l] + 63) / 64;
        for (size_t pg = 0; pg < q->level_pages[l]; pg++) {
            if (pg % 64 == 0) { /* skip the words of unmapped pages */
                size_t w = next_set_word(q->mapped[l], pg / 64, nw);
                if (w == nw)
                    break;
                pg = w * 64;
            }
            if (!bit_get(q->mapped[l], pg))
                continue;
            uintptr_t e1 = (pg + 1) * per_page;
            for (uintptr_t i = pg * per_page; i < e1; i++) {
                uintptr_t rb = i << level_shift[l], rl = (i + 1) << level_shift[l];
                while (k < iu->n && iu->ranges[k].limit <= rb)
                    k++;
                int meets = k < iu->n && iu->ranges[k].base < rl;
                if (!meets) { /* P4 up to the next entry meeting in_use */
                    uintptr_t stop = k < iu->n ? iu->ranges[k].base >> level_shift[l] : e1;
                    if (stop > e1)
                        stop = e1;
                    if (all_zero(&p->summary[l][i], (stop - i) * sizeof(ga_psum)))
                        i = stop; /* else the loop names the first non-zero entry */
                    for (; i < stop; i++)
                        if (p->summary[l][i])
                            return ga_check_fail(why, len, "P4: summary[%d][%#lx] outside the heap is not 0", l,
                                                 (unsigned long)i);
                    i--;
                    continue;
                }
                ga_psum s = p->summary[l][i], want;
                if (l == LEAF) {
                    want = chk_summarize(ga_pagealloc_chunk(p, i)->alloc);
                } else {
                    uintptr_t c = i << level_bits[l + 1];
                    if (!bit_get(q->mapped[l + 1], c * sizeof(ga_psum) / phys))
                        return ga_check_fail(why, len, "P3: children of summary[%d][%#lx] not mapped", l,
                                             (unsigned long)i);
                    want = chk_merge(&p->summary[l + 1][c], level_log_pages[l + 1]);
                }
                if (s != want)
                    return ga_check_fail(why, len, "P%d: summary[%d][%#lx] = (%u,%u,%u), expected (%u,%u,%u)",
                                         l == LEAF ? 2 : 3, l, (unsigned long)i, ga_psum_start(s), ga_psum_max(s),
                                         ga_psum_end(s), ga_psum_start(want), ga_psum_max(want), ga_psum_end(want));
                if (!ga_psum_ok(s, level_log_pages[l]))
                    return ga_check_fail(why, len, "P1: summary[%d][%#lx] malformed", l, (unsigned long)i);
            }
        }
    }

    if (ga_scav_index_check(&p->scav, why, len))
        return -1;
    if (p->in_use.n && (p->scav.min > p->start || p->scav.max < p->end))
        return ga_check_fail(why, len, "SI1: index bounds [%#lx, %#lx) miss the heap's chunks [%#lx, %#lx)",
                             (unsigned long)p->scav.min, (unsigned long)p->scav.max, (unsigned long)p->start,
                             (unsigned long)p->end);

    /* P5, P6, counters and scavenge marks, chunk by chunk. */
    uintptr_t sa = p->search_addr;
    if (sa != GA_PA_MAX_OFF && !in_use_contains(p, sa))
        return ga_check_fail(why, len, "P6: search_addr %#lx outside in_use", (unsigned long)ga_unoff(sa));
    size_t nfree = 0, nscav = 0;
    for (size_t k = 0; k < iu->n; k++) {
        for (uintptr_t ci = chunk_index(iu->ranges[k].base); ci < chunk_index(iu->ranges[k].limit); ci++) {
            const ga_pallocdata *d = ga_pagealloc_chunk(p, ci);
            int dirty = 0;
            for (unsigned w = 0; w < GA_PALLOC_WORDS; w++) {
                if (d->alloc[w] & d->scav[w])
                    return ga_check_fail(why, len, "P5: chunk %#lx word %u: scavenged and allocated", (unsigned long)ci,
                                         w);
                nfree += 64 - (size_t)ga_popcount64(d->alloc[w]);
                nscav += (size_t)ga_popcount64(d->scav[w]);
                dirty |= ~(d->alloc[w] | d->scav[w]) != 0;
            }
            if (dirty && !ga_scav_index_marked(&p->scav, ci))
                return ga_check_fail(why, len, "SI1: chunk %#lx has free unscavenged pages but no scavenge mark",
                                     (unsigned long)ci);
            if (dirty) { /* SI1: the highest dirty page is at or below the index's search address */
                int w = GA_PALLOC_WORDS - 1;
                while (!~(d->alloc[w] | d->scav[w]))
                    w--;
                uintptr_t top =
                    chunk_base(ci) + (((uintptr_t)w * 64 + 63 - clz64(~(d->alloc[w] | d->scav[w]))) << GA_PAGE_SHIFT);
                if (top > p->scav.search)
                    return ga_check_fail(why, len, "SI1: free unscavenged page %#lx above the scavenge search %#lx",
                                         (unsigned long)ga_unoff(top), (unsigned long)ga_unoff(p->scav.search));
            }
            if (chunk_base(ci) < sa) {
                uintptr_t below = sa - chunk_base(ci);
                uint32_t n =
                    below >= GA_CHUNK_BYTES ? GA_CHUNK_PAGES : (uint32_t)((below + GA_PAGE_SIZE - 1) >> GA_PAGE_SHIFT);
                if (ga_pallocbits_popcnt_range(d->alloc, 0, n) != n)
                    return ga_check_fail(why, len, "P6: a free page below search_addr %#lx in chunk %#lx",
                                         (unsigned long)ga_unoff(sa), (unsigned long)ci);
            }
        }
    }
    if (nfree != p->free_pages)
        return ga_check_fail(why, len, "free_pages = %zu, bitmaps say %zu", p->free_pages, nfree);
    if (nscav != p->scav_pages)
        return ga_check_fail(why, len, "scav_pages = %zu, bitmaps say %zu", p->scav_pages, nscav);
    return 0;
}
