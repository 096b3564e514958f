/* Whole-heap invariant checker (ga_heap_check): walks every structure of the heap and
 * reports the first broken invariant.  Names follow docs/go-facts.md §4-§13 and the comments at
 * the structs (A arenas, S span, M mcentral, C cache, H heap, P pageAlloc, F explicit
 * frees).
 *
 * Nothing here allocates or changes the heap: membership questions ("is this span in
 * exactly one list or cache?", "does the index point anywhere else?") are answered by
 * counting both sides and comparing, so no visited-marks or side tables are needed,
 * and the checker works even when the OS refuses memory.
 *
 * Requirements: nothing else runs on the heap meanwhile (a concurrent ga_alloc or
 * ga_free changes spans without any lock).  ga_heap_check_locked: the caller holds the
 * heap lock.  ga_heap_check takes each mcentral lock in turn for that class's lists
 * (ga_mcentral_check walks them: the lists are mcentral.c's), then the heap lock for the
 * rest (never two locks at once).
 *
 * Also here: the two ways the allocator reports a failure, ga_check_fail (the checkers'
 * description) and ga_throw (Go's throw: a fatal error), declared in internal.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bitops.h"
#include "heap.h"
#include "pagealloc_impl.h"

int ga_check_fail(char *why, size_t len, const char *fmt, ...) {
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void ga_throw(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("goalloc: fatal error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

#define FAIL(...) return ga_check_fail(why, len, __VA_ARGS__)

static inline int bit(const uint64_t *b, uint32_t i) { return (int)((b[i / 64] >> (i % 64)) & 1); }

/* Chunk data of page-aligned address p, or NULL if pageAlloc never grew its chunk. */
static const ga_pallocdata *chunk_data(const ga_pagealloc *pa, uintptr_t p) {
    uintptr_t ci = ga_off(p) >> GA_LOG_CHUNK_BYTES;
    if (ci < pa->start || ci >= pa->end)
        return NULL;
    return ga_pagealloc_chunk_or_null(pa, ci);
}

/* Page p allocated (and, if `unscav`, not scavenged) in pageAlloc? */
static int page_allocated(const ga_pagealloc *pa, uintptr_t p, int unscav) {
    const ga_pallocdata *d = chunk_data(pa, p);
    if (!d)
        return 0;
    uint32_t i = (uint32_t)(p >> GA_PAGE_SHIFT) & (GA_CHUNK_PAGES - 1);
    return bit(d->alloc, i) && !(unscav && bit(d->scav, i));
}

/* Are the first and last 256 bytes of slot i of s zero?  (A sample: a zeroing bug
 * shows at a slot's head or tail, and reading whole slots of every span, each first
 * touch a page fault, made the checker dominate debug runs.) */
static int slot_zero(const ga_mspan *s, uint32_t i) {
    const uint64_t *q = (const uint64_t *)(s->base + (uintptr_t)i * s->elemsize);
    uintptr_t words = s->elemsize / 8, edge = 32;
    for (uintptr_t k = 0; k < words; k++) {
        if (words > 2 * edge && k == edge)
            k = words - edge;
        if (q[k])
            return 0;
    }
    return 1;
}

/* Running totals compared at the end. */
typedef struct tally {
    uint32_t sg;          /* h */
    size_t spans_created; /* bound for list walks */
    size_t inuse_spans, inuse_pages;
    size_t listed;                    /* in-use spans whose span->list is set */
    size_t cached_sg;                 /* in-use spans at h+3 (cached) */
    size_t index_entries;             /* non-NULL arena index entries */
    size_t in_use_bits;               /* page_in_use bits set (A2) */
    size_t list_entries;              /* spans found in mcentral lists */
    size_t cached_pages, cached_scav; /* free pages held by page caches, scavenged ones */
    size_t stashed;                   /* span structs in caches' stashes */
} tally;

/* ---- arenas (A1 partly, A2 partly, A3, A4, A5 partly, H3) ------------------------------ */
static int check_arenas(ga_heap *h, tally *t, char *why, size_t len) {
    if (!h->arenas)
        FAIL("arena index not allocated");
    if (h->n_arenas > h->cap_arenas || (h->n_arenas && !h->all_arenas))
        FAIL("all_arenas: %zu arenas, capacity %zu", h->n_arenas, h->cap_arenas);
    /* Each registered arena consumed one record; a base listed twice would share one. */
    if (h->arena_alloc.inuse != h->n_arenas)
        FAIL("A4: %zu arena records in use, %zu arenas listed", h->arena_alloc.inuse, h->n_arenas);
    uintptr_t mapped = 0;
    for (size_t i = 0; i < h->n_arenas; i++) {
        uintptr_t base = h->all_arenas[i];
        if (base == 0 || base % GA_ARENA_BYTES)
            FAIL("A4: arena %zu base %#lx not 64 MiB aligned", i, (unsigned long)base);
        ga_heap_arena *a = h->arenas[ga_off(base) >> GA_ARENA_SHIFT];
        if (!a)
            FAIL("A4: arena %#lx listed but not in the index", (unsigned long)base);
        if (a->base != base)
            FAIL("A4: index entry of arena %#lx has base %#lx", (unsigned long)base, (unsigned long)a->base);
        if (a->mapped > GA_ARENA_BYTES || a->mapped % GA_CHUNK_BYTES)
            FAIL("arena %#lx: mapped %#lx not a chunk multiple <= 64 MiB", (unsigned long)base,
                 (unsigned long)a->mapped);
        if (a->zeroed_base > a->mapped)
            FAIL("A3: arena %#lx zeroed_base %#lx beyond mapped %#lx", (unsigned long)base,
                 (unsigned long)a->zeroed_base, (unsigned long)a->mapped);
        mapped += a->mapped;
        for (uintptr_t k = 0; k < GA_PAGES_PER_ARENA; k++)
            t->index_entries += a->spans[k] != NULL;
        /* A5's first half; A2's bits are counted here and matched with the spans at
         * the end (each span's own bit is checked in check_span). */
        for (size_t w = 0; w < GA_ARENA_BITMAP_WORDS; w++) {
            uint64_t used = __atomic_load_n(&a->page_in_use[w], __ATOMIC_RELAXED);
            uint64_t marks = __atomic_load_n(&a->page_marks[w], __ATOMIC_RELAXED);
            if (marks & ~used)
                FAIL("A5: arena %#lx: page_marks bit of page %u without its page_in_use bit", (unsigned long)base,
                     (unsigned)(w * 64 + (unsigned)ga_ctz64(marks & ~used)));
            t->in_use_bits += (size_t)ga_popcount64(used);
        }
    }
    if (mapped != (uintptr_t)h->pages.total_pages << GA_PAGE_SHIFT)
        FAIL("arenas map %#lx bytes, pageAlloc was grown by %#lx", (unsigned long)mapped,
             (unsigned long)((uintptr_t)h->pages.total_pages << GA_PAGE_SHIFT));
    /* H3: [cur_base, cur_end) is reserved arena space not yet given to pageAlloc. */
    uintptr_t cb = h->cur_arena_base, ce = h->cur_arena_end;
    if (cb > ce || cb % GA_CHUNK_BYTES || ce % GA_ARENA_BYTES)
        FAIL("H3: cur arena [%#lx, %#lx) malformed", (unsigned long)cb, (unsigned long)ce);
    for (uintptr_t p = cb; p < ce; p = ga_align_down(p, GA_ARENA_BYTES) + GA_ARENA_BYTES) {
        ga_heap_arena *a =
            ga_off(p) >> GA_ARENA_SHIFT < GA_ARENA_L2_ENTRIES ? h->arenas[ga_off(p) >> GA_ARENA_SHIFT] : NULL;
        if (!a)
            FAIL("H3: cur arena address %#lx is in no arena", (unsigned long)p);
        if (a->base + a->mapped != p)
            FAIL("H3: cur arena at %#lx but arena %#lx is mapped up to %#lx", (unsigned long)p, (unsigned long)a->base,
                 (unsigned long)(a->base + a->mapped));
    }
    return 0;
}

/* ---- one in-use span (S1-S13, F1) ------------------------------------------------------ */
static int check_span(ga_heap *h, const ga_mspan *s, tally *t, char *why, size_t len) {
    const uintptr_t base = s->base, np = s->npages;
    const uint32_t n = s->nelems, f = s->freeindex;
    const uint32_t c = ga_spanclass_sizeclass(s->spanclass);
#define SFAIL(fmt, ...)                                                                                                \
    FAIL("span %#lx (class %u, %lu pages): " fmt, (unsigned long)base, c, (unsigned long)np, __VA_ARGS__)
    if (s->spanclass >= GA_NUM_SPAN_CLASSES)
        SFAIL("S1: span class %u", s->spanclass);
    if (base == 0 || base % GA_PAGE_SIZE || np == 0)
        SFAIL("S1: base/npages %s", "malformed");
    if (c != 0) {
        if (np != ga_class_npages[c] || s->elemsize != ga_class_size[c] || n != ga_class_nelems[c] ||
            s->div_mul != ga_class_divmagic[c] || s->limit != base + (uintptr_t)n * s->elemsize)
            SFAIL("S1: geometry elemsize %lu nelems %u div_mul %u limit +%#lx", (unsigned long)s->elemsize, n,
                  s->div_mul, (unsigned long)(s->limit - base));
    } else if (n != 1 || s->elemsize != np << GA_PAGE_SHIFT || s->div_mul != 0 || s->limit <= base ||
               s->limit > base + (np << GA_PAGE_SHIFT)) {
        SFAIL("S1: large geometry elemsize %lu nelems %u div_mul %u limit +%#lx", (unsigned long)s->elemsize, n,
              s->div_mul, (unsigned long)(s->limit - base));
    }
    if (f > n)
        SFAIL("S2: freeindex %u > nelems %u", f, n);
    if (s->alloc_count > n)
        SFAIL("S3: alloc_count %u > nelems %u", s->alloc_count, n);

    uint32_t count = 0, freed = 0, local = 0;
    uint64_t marked = 0;
    for (uint32_t w = 0; w < GA_SPAN_BITS_WORDS; w++) {
        marked |= s->gcmark_bits[w];
        uint32_t lo = 64 * w;
        /* slots of this word below nelems, and below freeindex */
        uint64_t valid = n >= lo + 64 ? ~(uint64_t)0 : n > lo ? ((uint64_t)1 << (n - lo)) - 1 : 0;
        uint64_t below = f >= lo + 64 ? ~(uint64_t)0 : f > lo ? ((uint64_t)1 << (f - lo)) - 1 : 0;
        if ((s->alloc_bits[w] | s->gcmark_bits[w] | s->freed_bits[w]) & ~valid)
            SFAIL("S5: bits set beyond nelems %u in word %u", n, w);
        uint64_t allocated = (below | s->alloc_bits[w]) & valid; /* S6 */
        count += ga_popcount64(allocated);
        freed += ga_popcount64(s->freed_bits[w]);
        if (s->freed_bits[w] & ~allocated)
            SFAIL("F1: freed slot not allocated in word %u", w);
        local += ga_popcount64(s->local_freed[w]);
        if (s->local_freed[w] & ~allocated)
            SFAIL("F2: locally freed slot not allocated in word %u", w);
        if (s->gcmark_bits[w] & ~allocated)
            SFAIL("S11: marked slot not allocated in word %u", w);
    }
    if (count != s->alloc_count)
        SFAIL("S7: alloc_count %u, allocated slots %u", s->alloc_count, count);
    if (f < n && s->alloc_cache != ~s->alloc_bits[f / 64] >> (f % 64))
        SFAIL("S8: alloc_cache %#llx at freeindex %u, expected %#llx", (unsigned long long)s->alloc_cache, f,
              (unsigned long long)(~s->alloc_bits[f / 64] >> (f % 64)));
    uint32_t pending = __atomic_load_n(&s->pending_frees, __ATOMIC_ACQUIRE);
    if (pending != freed)
        SFAIL("F1: pending_frees %u, freed bits %u", pending, freed);
    if (s->local_frees != local)
        SFAIL("F2: local_frees %u, locally freed bits %u", s->local_frees, local);

    /* S10, sampled: the first two and the last free slot (head and tail) are zero. */
    if (!s->needzero) {
        uint32_t seen = 0, last = n;
        for (uint32_t i = f; i < n; i++) {
            if (bit(s->alloc_bits, i))
                continue;
            if (seen < 2 && !slot_zero(s, i))
                SFAIL("S10: needzero 0 but free slot %u is not zero", i);
            seen++;
            last = i;
        }
        if (last < n && !slot_zero(s, last))
            SFAIL("S10: needzero 0 but free slot %u is not zero", last);
    }

    /* S12 and where the span must be, by sweepgen. */
    uint32_t d = __atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE) - t->sg;
    switch (d) {
    case 0:
    case (uint32_t)-2:
        if (s->list == GA_LIST_NONE)
            SFAIL("M2: sweepgen h%+d but in no mcentral list and not cached", (int)d);
        break;
    case 1:
        /* Stale (cached before the current cycle): only inside ga_gc_end, which flushes
         * every cache before it returns; the heap at rest never has one (heap.h). */
        SFAIL("C3: stale cached span (sweepgen h+1) with %s", "the heap at rest");
    case 3:
        if (s->list != GA_LIST_NONE)
            SFAIL("C1: cached (sweepgen h+%u) but in list %d", d, s->list);
        t->cached_sg++;
        break;
    case (uint32_t)-1:
        SFAIL("S12: sweepgen h-1 (being swept) with %s", "the heap at rest");
    default:
        SFAIL("S12: sweepgen h%+d", (int)d);
    }
    if (s->list != GA_LIST_NONE) {
        if (s->list < 0 || s->list > 3)
            SFAIL("M1: list id %d", s->list);
        t->listed++;
    }

    /* A2 and A5 (this span's side): its first page's page_in_use bit is set, and so is
     * its page_marks bit if it has a marked slot (marking set them together). */
    const ga_heap_arena *a = ga_arena_of(h, base);
    if (a) {
        size_t w = ga_page_word(base);
        uint64_t m = ga_page_mask(base);
        if (!(__atomic_load_n(&a->page_in_use[w], __ATOMIC_RELAXED) & m))
            SFAIL("A2: page_in_use bit of its first page clear (%s)", "span in use");
        if (marked && !(__atomic_load_n(&a->page_marks[w], __ATOMIC_RELAXED) & m))
            SFAIL("A5: marked slot but page_marks bit clear (sweepgen h%+d)", (int)d);
    }

    /* A1 (this span's side) and S13: every page maps to s, is allocated, not scavenged. */
    for (uintptr_t k = 0; k < np; k++) {
        uintptr_t p = base + (k << GA_PAGE_SHIFT);
        if (ga_mheap_index_get(h, p) != s)
            SFAIL("A1: page %lu maps to %p", (unsigned long)k, (void *)ga_mheap_index_get(h, p));
        if (!page_allocated(&h->pages, p, 1))
            SFAIL("S13: page %lu free or scavenged in pageAlloc", (unsigned long)k);
    }
    /* F2's last part, once the span's place is known to be sound: a span no cache holds
     * (swept or unswept, in a list) has had its owner's local frees merged. */
    if ((d == 0 || d == (uint32_t)-2) && local)
        SFAIL("F2: %u local frees in a span no cache holds", local);
    t->inuse_spans++;
    t->inuse_pages += np;
    return 0;
#undef SFAIL
}

static int check_spans(ga_heap *h, tally *t, char *why, size_t len) {
    ga_fixalloc_iter it;
    ga_allspans_init(h, &it);
    for (ga_mspan *s; (s = ga_allspans_next(h, &it)) != NULL;) {
        t->spans_created++;
        uint8_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
        if (st == GA_SPAN_DEAD)
            continue;
        if (st != GA_SPAN_IN_USE)
            FAIL("span struct %p: state %u", (void *)s, st);
        if (check_span(h, s, t, why, len))
            return -1;
    }
    return 0;
}

/* ---- caches (C1-C4) ----------------------------------------------------------------------- */
static int check_caches(ga_heap *h, tally *t, char *why, size_t len) {
    size_t ncaches = 0, slots = 0;
    const ga_cache *prev = NULL;
    for (const ga_cache *c = h->caches; c; prev = c, c = c->next) {
        if (++ncaches > h->cache_alloc.inuse)
            FAIL("C: cache list longer than the %zu caches allocated", h->cache_alloc.inuse);
        if (c->prev != prev)
            FAIL("C: cache list broken prev link");
        if (c->heap != h)
            FAIL("C: cache %p belongs to another heap", (const void *)c);
        for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++) {
            const ga_mspan *s = c->alloc[spc];
            if (s == &ga_empty_mspan)
                continue;
            if (!s || __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GA_SPAN_IN_USE)
                FAIL("C1: cache %p slot %u holds a span not in use", (const void *)c, spc);
            uint32_t d = __atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE) - t->sg;
            if (s->spanclass != spc || d != 3 || s->list != GA_LIST_NONE)
                FAIL("C1: cache slot %u holds span %#lx of class %u, sweepgen h%+d, list %d", spc,
                     (unsigned long)s->base, s->spanclass, (int)d, s->list);
            slots++;
        }
        if (c->tiny) {
            ga_mspan *s = ga_mheap_span_of(h, c->tiny);
            if (!s || s->spanclass != GA_TINY_SPAN_CLASS || (c->tiny - s->base) % GA_TINY_SIZE || c->tiny_offset == 0 ||
                c->tiny_offset > GA_TINY_SIZE)
                FAIL("C2: tiny block %#lx (offset %lu) is not a 16-byte slot of class 5", (unsigned long)c->tiny,
                     (unsigned long)c->tiny_offset);
        }
        /* C5: a page cache's free pages are allocated, unscavenged and unowned in the
         * heap (the cache has their scavenged state). */
        const ga_pagecache *pc = &c->pcache;
        if (ga_pagecache_check(pc, &h->pages, why, len))
            return -1; /* P9: the cache against pageAlloc's bitmaps */
        for (uint64_t m = pc->cache; m; m &= m - 1) {
            uintptr_t p = pc->base + ((uintptr_t)ga_ctz64(m) << GA_PAGE_SHIFT);
            if (!page_allocated(&h->pages, p, 1) || ga_mheap_index_get(h, p))
                FAIL("C5: page %#lx of a page cache is free, scavenged or owned by a span in the heap",
                     (unsigned long)p);
        }
        t->cached_pages += ga_popcount64(pc->cache);
        t->cached_scav += ga_popcount64(pc->scav);
        /* C6: stashed span structs are Dead (their count is checked with the totals). */
        if (c->nspan_stash > GA_SPAN_STASH)
            FAIL("C6: cache %p stashes %u span structs", (const void *)c, c->nspan_stash);
        for (uint32_t k = 0; k < c->nspan_stash; k++)
            if (!c->span_stash[k] || __atomic_load_n(&c->span_stash[k]->state, __ATOMIC_ACQUIRE) != GA_SPAN_DEAD)
                FAIL("C6: stashed span struct %p is not a Dead struct", (void *)c->span_stash[k]);
        t->stashed += c->nspan_stash;
        uint32_t fg = __atomic_load_n(&c->flush_gen, __ATOMIC_ACQUIRE);
        /* h-2 (not yet flushed this cycle) exists only inside ga_gc_end, like h+1 spans. */
        if (fg != t->sg)
            FAIL("C4: cache flush_gen h%+d", (int)(fg - t->sg));
    }
    if (ncaches != h->cache_alloc.inuse)
        FAIL("C: %zu caches listed, %zu allocated", ncaches, h->cache_alloc.inuse);
    /* Every slot names a distinct span at h+1/h+3 and every such span is in a slot. */
    if (slots != t->cached_sg)
        FAIL("C1: %zu cache slots hold spans, %zu in-use spans have a cached sweepgen (a span cached twice, or "
             "orphaned)",
             slots, t->cached_sg);
    return 0;
}

/* ---- parked runs, ownership, statistics ----------------------------------------------- */
static int check_totals(ga_heap *h, tally *t, char *why, size_t len) {
    size_t parked = 0, k = 0;
    for (const ga_mspan *s = h->parked; s; s = s->next) {
        if (++k > t->spans_created)
            FAIL("parked list has a cycle");
        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GA_SPAN_DEAD || s->npages == 0 || s->elemsize == 0 ||
            s->elemsize > s->npages << GA_PAGE_SHIFT)
            FAIL("parked run %#lx malformed", (unsigned long)s->base);
        for (uintptr_t i = 0; i < s->npages; i++) {
            uintptr_t p = s->base + (i << GA_PAGE_SHIFT);
            if (!page_allocated(&h->pages, p, 1) || ga_mheap_index_get(h, p))
                FAIL("parked run %#lx: page %lu free, scavenged or indexed", (unsigned long)s->base, (unsigned long)i);
        }
        parked += s->npages;
    }
    if (parked != h->parked_pages)
        FAIL("parked_pages %zu, parked runs hold %zu", h->parked_pages, parked);
    /* Each listed span was found in the list its id names; equal totals leave no room
     * for a span in two lists or twice in one. */
    if (t->list_entries != t->listed)
        FAIL("M1: %zu list entries, %zu in-use spans say they are listed", t->list_entries, t->listed);
    /* A1 (other side): the index holds exactly the in-use spans' pages. */
    if (t->index_entries != t->inuse_pages)
        FAIL("A1: %zu index entries, in-use spans have %zu pages (stale or stray entries)", t->index_entries,
             t->inuse_pages);
    /* A2 (other side): a bit per in-use span (each span's own bit was found set), so no
     * bit at a page where no in-use span starts. */
    if (t->in_use_bits != t->inuse_spans)
        FAIL("A2: %zu page_in_use bits, %zu in-use spans (a bit where no span starts)", t->in_use_bits, t->inuse_spans);
    /* P8: allocated pages are exactly span pages (checked one by one), parked runs and
     * page caches' free pages. */
    size_t allocated = h->pages.total_pages - h->pages.free_pages;
    if (allocated != t->inuse_pages + parked + t->cached_pages)
        FAIL("P8: pageAlloc has %zu allocated pages, spans hold %zu, parked runs %zu and page caches %zu", allocated,
             t->inuse_pages, parked, t->cached_pages);
    if (atomic_load(&h->stats.pcache_pages) != t->cached_pages || atomic_load(&h->stats.pcache_scav) != t->cached_scav)
        FAIL("H4: pcache_pages %llu / pcache_scav %llu, page caches hold %zu / %zu",
             (unsigned long long)atomic_load(&h->stats.pcache_pages),
             (unsigned long long)atomic_load(&h->stats.pcache_scav), t->cached_pages, t->cached_scav);
    uint64_t piu = atomic_load(&h->stats.pages_in_use);
    if (piu != t->inuse_pages)
        FAIL("H2: pages_in_use %llu, in-use spans hold %zu", (unsigned long long)piu, t->inuse_pages);
    /* OS accounting (the heap's ga_os serves only this heap): every mapped byte is
     * Ready except pageAlloc's scavenged pages, the scavenged part of parked runs and
     * page caches' scavenged pages. */
    size_t parked_scav = 0;
    for (const ga_mspan *s = h->parked; s; s = s->next)
        parked_scav += s->elemsize;
    size_t mapped = atomic_load(&h->os.mapped), ready = atomic_load(&h->os.ready);
    size_t released = ((h->pages.scav_pages + t->cached_scav) << GA_PAGE_SHIFT) + parked_scav;
    if (ready + released != mapped)
        FAIL("OS accounting: ready %zu + scavenged %zu != mapped %zu", ready, released, mapped);
    if (h->span_alloc.inuse != t->inuse_spans + k + t->stashed)
        FAIL("span structs: %zu handed out, %zu in use + %zu parked + %zu stashed", h->span_alloc.inuse, t->inuse_spans,
             k, t->stashed);
    return 0;
}

/* Everything but the mcentral lists, heap lock held. */
static int check_heap(ga_heap *h, tally *t, char *why, size_t len) {
    if (ga_pagealloc_check(&h->pages, why, len))
        return -1;
    if (check_arenas(h, t, why, len) || check_spans(h, t, why, len) || check_caches(h, t, why, len) ||
        check_totals(h, t, why, len))
        return -1;
    return 0;
}

int ga_heap_check_locked(ga_heap *h, char *why, size_t len) {
    if (why && len)
        why[0] = 0;
    tally t = {.sg = ga_heap_sweepgen(h)};
    if (t.sg % 2)
        FAIL("H1: sweepgen %u is odd", t.sg);
    size_t bound = h->span_alloc.inuse;
    for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++)
        if (ga_mcentral_check(&h->central[spc], spc, t.sg, bound, false, &t.list_entries, why, len))
            return -1;
    return check_heap(h, &t, why, len);
}

/* Each class's lists under that class's lock, then the rest under the heap lock: the
 * locks are never nested (heap.h), and at most one is held at a time. */
int ga_heap_check(ga_heap *h, char *why, size_t len) {
    if (why && len)
        why[0] = 0;
    tally t = {.sg = ga_heap_sweepgen(h)};
    if (t.sg % 2)
        FAIL("H1: sweepgen %u is odd", t.sg);
    pthread_mutex_lock(&h->lock);
    size_t bound = h->span_alloc.inuse;
    pthread_mutex_unlock(&h->lock);
    for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++)
        if (ga_mcentral_check(&h->central[spc], spc, t.sg, bound, true, &t.list_entries, why, len))
            return -1;
    pthread_mutex_lock(&h->lock);
    int r = check_heap(h, &t, why, len);
    pthread_mutex_unlock(&h->lock);
    return r;
}
