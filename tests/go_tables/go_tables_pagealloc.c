/* Replays of mpagealloc_test.go and of TestPageAllocScavenge (mgcscavenge_test.go):
 * pageAlloc (alloc/pagealloc.h), built in the state of Go's NewPageAlloc (go_tables.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go_tables.h"
#include "pagealloc_impl.h"

/* pageAlloc's grown ranges: a ga_addr_ranges since alloc/ranges.h exists (helper hB's
 * change), a bare array before. */
#if GA_GT_HAVE_RANGES
#define IN_USE_N(p) ((p)->in_use.n)
#define IN_USE(p) ((p)->in_use.ranges)
#else
#define IN_USE_N(p) ((p)->n_in_use)
#define IN_USE(p) ((p)->in_use)
#endif

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Cases: chunks grown one by one (NewPageAlloc with empty bitmaps); the heap's ranges
 * in use are then exactly inUse (sorted, coalesced). */
void replay_pagealloc_grow(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        uint64_t t[GT_MAX_CHUNKS][3], want[GT_MAX_CHUNKS][3], keys[GT_MAX_CHUNKS];
        size_t nc = gt_tokens(gt_get(&r[k], "v.chunks"), t, GT_MAX_CHUNKS);
        for (size_t i = 0; i < nc; i++)
            keys[i] = t[i][0];
        qsort(keys, nc, sizeof keys[0], cmp_u64);
        gt_chunkmap m = {.n = nc};
        for (size_t i = 0; i < nc; i++)
            m.c[i] = (gt_chunk){.ci = keys[i]};
        gt_pa e;
        if (gt_pa_new(c, &e, &m, NULL)) {
            size_t nw = gt_tokens(gt_get(&r[k], "v.inUse"), want, GT_MAX_CHUNKS);
            if (gt_check(c, IN_USE_N(&e.pa) == nw, "%zu ranges in use, want %zu", IN_USE_N(&e.pa), nw))
                for (size_t i = 0; i < nw; i++)
                    gt_check(
                        c, IN_USE(&e.pa)[i].base == ga_off(want[i][0]) && IN_USE(&e.pa)[i].limit == ga_off(want[i][1]),
                        "range %zu: [%#lx, %#lx) (offsets), want [%#llx, %#llx)", i,
                        (unsigned long)IN_USE(&e.pa)[i].base, (unsigned long)IN_USE(&e.pa)[i].limit,
                        (unsigned long long)ga_off(want[i][0]), (unsigned long long)ga_off(want[i][1]));
        }
        gt_pa_free(&e);
    }
}

/* Cases: NewPageAlloc(before, scav); hits = successive Alloc(npages) = (base, scav
 * bytes), 0 = none; then the heap equals NewPageAlloc(after, scav). */
void replay_pagealloc_alloc(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        static gt_chunkmap before, scav, after;
        gt_chunkmap_read(&r[k], "v.before", &before);
        gt_chunkmap_read(&r[k], "v.scav", &scav);
        gt_chunkmap_read(&r[k], "v.after", &after);
        gt_pa e;
        bool ok = gt_pa_new(c, &e, &before, &scav);
        size_t nh = gt_len(&r[k], "v.hits");
        ok = ok && gt_check(c, nh > 0, "no hits");
        for (size_t h = 0; ok && h < nh; h++) {
            size_t np = gt_u64(&r[k], "v.hits[%zu].npages", h), s = 0;
            uint64_t wb = gt_u64(&r[k], "v.hits[%zu].base", h), ws = gt_u64(&r[k], "v.hits[%zu].scav", h);
            uintptr_t a = ga_pagealloc_alloc(&e.pa, np, &s);
            ok = gt_check(c, a == wb, "alloc #%zu (%zu pages): base %#lx, want %#llx", h + 1, np, (unsigned long)a,
                          (unsigned long long)wb) &&
                 gt_check(c, s == ws, "alloc #%zu (%zu pages): scav %zu, want %llu", h + 1, np, s,
                          (unsigned long long)ws);
        }
        if (ok)
            gt_pa_compare(c, &e, &after, &scav);
        gt_pa_free(&e);
    }
}

/* Cases npages: 4 free chunks; Alloc(npages) exhausts them in address order, the next
 * fails, and the heap holds exactly the pages allocated (Go's wantDesc). */
void replay_pagealloc_exhaust(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        size_t np = gt_u64(&r[k], "npages");
        static gt_chunkmap m, want;
        m.n = want.n = 4;
        for (unsigned i = 0; i < 4; i++)
            m.c[i] = want.c[i] = (gt_chunk){.ci = gt_base_chunk + i};
        gt_pa e;
        bool ok = gt_pa_new(c, &e, &m, NULL);
        size_t nalloc = GA_CHUNK_PAGES * 4 / np;
        for (size_t i = 0; ok && i < nalloc; i++) {
            uintptr_t a = ga_pagealloc_alloc(&e.pa, np, NULL), w = gt_page_base(gt_base_chunk, i * np);
            ok = gt_check(c, a == w, "alloc #%zu: %#lx, want %#lx", i + 1, (unsigned long)a, (unsigned long)w);
        }
        if (ok) {
            uintptr_t a = ga_pagealloc_alloc(&e.pa, np, NULL);
            ok = gt_check(c, a == 0, "alloc #%zu: %#lx, want 0", nalloc + 1, (unsigned long)a);
        }
        if (ok) {
            size_t left = nalloc * np;
            for (unsigned i = 0; i < 4; i++) {
                size_t take = left < GA_CHUNK_PAGES ? left : GA_CHUNK_PAGES;
                if (take)
                    ga_pallocbits_alloc_range(want.c[i].bits, 0, (uint32_t)take);
                left -= take;
            }
            gt_pa_compare(c, &e, &want, NULL);
        }
        gt_pa_free(&e);
    }
}

/* Cases: NewPageAlloc(before, nil); Free(addr, npages) for each of frees; the heap
 * equals NewPageAlloc(after, nil). */
void replay_pagealloc_free(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        static gt_chunkmap before, after;
        uint64_t frees[64][3];
        gt_chunkmap_read(&r[k], "v.before", &before);
        gt_chunkmap_read(&r[k], "v.after", &after);
        size_t np = gt_u64(&r[k], "v.npages");
        size_t nfr = gt_tokens(gt_get(&r[k], "v.frees"), frees, 64);
        gt_pa e;
        if (gt_pa_new(c, &e, &before, NULL) && gt_check(c, nfr > 0, "no frees")) {
            for (size_t f = 0; f < nfr; f++)
                ga_pagealloc_free(&e.pa, frees[f][0], np);
            gt_pa_compare(c, &e, &after, NULL);
        }
        gt_pa_free(&e);
    }
}

/* Cases: NewPageAlloc(init, nil); hits: Alloc(npages) must return base, or
 * Free(base, npages). */
void replay_pagealloc_alloc_and_free(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        static gt_chunkmap init;
        gt_chunkmap_read(&r[k], "v.init", &init);
        gt_pa e;
        bool ok = gt_pa_new(c, &e, &init, NULL);
        size_t nh = gt_len(&r[k], "v.hits");
        ok = ok && gt_check(c, nh > 0, "no hits");
        for (size_t h = 0; ok && h < nh; h++) {
            size_t np = gt_u64(&r[k], "v.hits[%zu].npages", h);
            uint64_t base = gt_u64(&r[k], "v.hits[%zu].base", h);
            if (gt_u64(&r[k], "v.hits[%zu].alloc", h)) {
                uintptr_t a = ga_pagealloc_alloc(&e.pa, np, NULL);
                ok = gt_check(c, a == base, "alloc #%zu: %#lx, want %#llx", h + 1, (unsigned long)a,
                              (unsigned long long)base);
            } else {
                ga_pagealloc_free(&e.pa, base, np);
            }
        }
        if (ok)
            gt_pa_sound(c, &e, "at the end");
        gt_pa_free(&e);
    }
}

/* Cases: NewPageAlloc(beforeAlloc, beforeScav); expect: Scavenge(request) released
 * exactly expect bytes, each in turn; then the heap equals NewPageAlloc(beforeAlloc,
 * afterScav).  Go runs this with the machine's huge page size (the extractor's
 * PhysHugePageSize): pageAlloc is given the same, when it has the field for it. */
void replay_pagealloc_scavenge(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        static gt_chunkmap alloc, scav, after;
        gt_chunkmap_read(&r[k], "v.beforeAlloc", &alloc);
        gt_chunkmap_read(&r[k], "v.beforeScav", &scav);
        gt_chunkmap_read(&r[k], "v.afterScav", &after);
        gt_pa e;
        bool ok = gt_pa_new(c, &e, &alloc, &scav);
#if GA_GT_HAVE_HUGE
        e.pa.huge_page_bytes = gt_huge_page_bytes;
#endif
        size_t ne = gt_len(&r[k], "v.expect");
        ok = ok && gt_check(c, ne > 0, "no scavenge requests");
        for (size_t i = 0; ok && i < ne; i++) {
            size_t req = gt_u64(&r[k], "v.expect[%zu].request", i), want = gt_u64(&r[k], "v.expect[%zu].expect", i);
            size_t got = ga_pagealloc_scavenge(&e.pa, req);
            ok = gt_check(c, got == want, "scavenge #%zu (%#zx bytes): released %zu, want %zu", i + 1, req, got, want);
        }
        if (ok)
            gt_pa_compare(c, &e, &alloc, &after);
        gt_pa_free(&e);
    }
}
