/* Replays of mpagecache_test.go: the per-P page cache (alloc/pagecache.h). */
#include <stdio.h>
#include <string.h>

#include "go_tables.h"

#if GA_GT_HAVE_PAGECACHE
#include "pagecache.h"

/* Cases: a cache (base, cache bits, scav bits); hits = successive Alloc(npages) =
 * (address, scavenged bytes), 0 = nothing fits. */
void replay_pagecache_alloc(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        uint64_t t[3];
        gt_tuple(gt_get(&r[k], "test.cache"), t, 3);
        ga_pagecache pc = {.base = (uintptr_t)t[0], .cache = t[1], .scav = t[2]};
        size_t nh = gt_len(&r[k], "test.hits");
        bool ok = gt_check(c, nh > 0, "no hits");
        for (size_t h = 0; ok && h < nh; h++) {
            size_t np = gt_u64(&r[k], "test.hits[%zu].npages", h), s = 0;
            uint64_t wb = gt_u64(&r[k], "test.hits[%zu].base", h), ws = gt_u64(&r[k], "test.hits[%zu].scav", h);
            uintptr_t a = ga_pagecache_alloc(&pc, np, &s);
            ok = gt_check(c, a == wb, "alloc #%zu (%zu pages): base %#lx, want %#llx", h, np, (unsigned long)a,
                          (unsigned long long)wb) &&
                 gt_check(c, s == ws, "alloc #%zu (%zu pages): scav %zu, want %llu", h, np, s, (unsigned long long)ws);
        }
    }
}

/* Rows runTest(base, cache, scav): a chunk whose pages [base, base+64) are allocated
 * (none scavenged) takes back a cache of them; after the flush the cache is empty and
 * the chunk holds, page by page, what the test's bits64ToBitRanges describes: page
 * base+i allocated iff bit i of cache is clear, scavenged iff bit i of scav is set.
 * Most rows are random (math/rand, default seed, as Go draws them): this page-by-page loop is
 * the reference they are checked against. */
void replay_pagecache_flush(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        uint32_t base = (uint32_t)gt_u64(&r[k], "base");
        uint64_t cache = gt_u64(&r[k], "cache"), scav = gt_u64(&r[k], "scav");
        char label[80];
        snprintf(label, sizeof label, "runTest #%zu (base %u)", k + 1, base);
        c->sub = label;
        static gt_chunkmap before, bscav, after, ascav;
        before.n = bscav.n = after.n = ascav.n = 1;
        before.c[0] = bscav.c[0] = after.c[0] = ascav.c[0] = (gt_chunk){.ci = gt_base_chunk};
        ga_pallocbits_alloc_range(before.c[0].bits, base, 64);
        for (uint32_t i = 0; i < 64; i++) {
            if (!(cache >> i & 1))
                after.c[0].bits[(base + i) / 64] |= (uint64_t)1 << ((base + i) % 64);
            if (scav >> i & 1)
                ascav.c[0].bits[(base + i) / 64] |= (uint64_t)1 << ((base + i) % 64);
        }
        gt_pa e;
        if (gt_pa_new(c, &e, &before, &bscav)) {
            ga_pagecache pc = {.base = gt_page_base(gt_base_chunk, base), .cache = cache, .scav = scav};
            ga_pagecache_flush(&pc, &e.pa);
            gt_check(c, ga_pagecache_empty(&pc), "the flushed cache is not empty");
            gt_pa_compare(c, &e, &after, &ascav);
        }
        gt_pa_free(&e);
    }
    c->sub = NULL;
}

/* Cases: NewPageAlloc(beforeAlloc, beforeScav); hits = successive AllocToCache()
 * results (base, cache, scav; all 0 = nothing left); then the heap equals
 * NewPageAlloc(afterAlloc, afterScav). */
void replay_alloc_to_cache(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        static gt_chunkmap ba, bs, aa, as;
        gt_chunkmap_read(&r[k], "v.beforeAlloc", &ba);
        gt_chunkmap_read(&r[k], "v.beforeScav", &bs);
        gt_chunkmap_read(&r[k], "v.afterAlloc", &aa);
        gt_chunkmap_read(&r[k], "v.afterScav", &as);
        uint64_t hits[16][3];
        size_t nh = gt_tokens(gt_get(&r[k], "v.hits"), hits, 16);
        gt_pa e;
        bool ok = gt_pa_new(c, &e, &ba, &bs) && gt_check(c, nh > 0, "no hits");
        for (size_t h = 0; ok && h < nh; h++) {
            ga_pagecache pc = ga_pagealloc_alloc_to_cache(&e.pa);
            ok = gt_check(c, pc.base == hits[h][0] && pc.cache == hits[h][1] && pc.scav == hits[h][2],
                          "cache #%zu: base %#lx cache %016llx scav %016llx, want %#llx %016llx %016llx", h + 1,
                          (unsigned long)pc.base, (unsigned long long)pc.cache, (unsigned long long)pc.scav,
                          (unsigned long long)hits[h][0], (unsigned long long)hits[h][1],
                          (unsigned long long)hits[h][2]);
        }
        if (ok)
            gt_pa_compare(c, &e, &aa, &as);
        gt_pa_free(&e);
    }
}

#else /* alloc/pagecache.h is not in this tree: these cases cannot be replayed */

static void missing(gt_ctx *c, const gt_rec *r, size_t n) {
    (void)r, (void)n;
    c->missing = "alloc/pagecache.h";
}
void replay_pagecache_alloc(gt_ctx *c, const gt_rec *r, size_t n) { missing(c, r, n); }
void replay_pagecache_flush(gt_ctx *c, const gt_rec *r, size_t n) { missing(c, r, n); }
void replay_alloc_to_cache(gt_ctx *c, const gt_rec *r, size_t n) { missing(c, r, n); }

#endif
