/* Fuzz driver for pageAlloc (alloc/pagealloc.c): grow / alloc / free / scavenge with
 * OS refusals injected, against the sparse bool-per-page model of
 * fuzz/support/model_pages.c.  After every operation: the result, every summary entry
 * of every 8-entry block over the grown chunks (white box, decoded independently), the
 * bitmaps of the chunks the op touched, the page counters, in_use, start/end, the
 * search hint (every page below it allocated) and ga_pagealloc_check.  At the end:
 * every chunk's bitmaps, then destroy must give back every byte it took from the OS.
 *
 * The managed address space is never mapped (pageAlloc never touches it); scavenging
 * reaches the OS through an `unused` hook that checks and records each release instead
 * of calling madvise.  Operations: fuzz/pagealloc_ops.h (one handler op_<name> each);
 * input format: fuzz/README.md. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz_ops.h"
#include "pagealloc.h"
#include "pagealloc_impl.h"
#include "pagealloc_ops.h"
#include "pagecache.h"
#include "support/corrupt.h"
#include "support/fuzz_input.h"
#include "support/model_pages.h"

#define MAX_OPS 256
#define MAX_CHUNKS 64 /* grown per input: bounds the model's linear scans */
#define MAX_GROW 8    /* chunks per grow */
#define MAX_RUNS 512
#define MAX_BATCH 32
#define NCACHES 4                                                         /* page cache slots */
#define NCHUNKS ((uint64_t)1 << (GA_HEAP_ADDR_BITS - GA_LOG_CHUNK_BYTES)) /* 2^26 */
#define ZERO_CHUNK (NCHUNKS / 2)                                          /* the chunk at real address 0 */
/* What runs when (check_state): after every op, the model comparison of what the op
 * touched; after every FULL_EVERY-th op and at the end, the full comparison (every
 * chunk, the whole tree, from scratch).  ga_pagealloc_check walks all mapped metadata
 * (a summarize or merge per grown chunk and parent entry, level 0's 16384 entries at
 * least): after every DEEP_EVERY-th op, after the first refused grow of an
 * input (every refused grow must also leave pageAlloc's bookkeeping byte for byte as
 * it was: check_unchanged), at init and at the end.  Inside a batch op (alloc_many,
 * free_many) every step's result and the cheap checks (page counters, in_use count,
 * start/end, search hint), but the touched chunks' bitmaps and summary paths after
 * every SUB_EVERY-th step only (they accumulate until compared: the op's own check
 * after its last step compares them all).  -DPAGEALLOC_FUZZ_CHECK_EVERY=1 runs all of
 * it after every op and step. */
#ifndef PAGEALLOC_FUZZ_CHECK_EVERY
#define FULL_EVERY 32
#define DEEP_EVERY 64
#define SUB_EVERY 4
#else
#define FULL_EVERY PAGEALLOC_FUZZ_CHECK_EVERY
#define DEEP_EVERY PAGEALLOC_FUZZ_CHECK_EVERY
#define SUB_EVERY PAGEALLOC_FUZZ_CHECK_EVERY
#endif

/* -DFUZZ_TRACE prints every operation and its result (for reading a reproducer). */
#ifdef FUZZ_TRACE
#define TRACE(...) fprintf(stderr, __VA_ARGS__)
#else
#define TRACE(...) ((void)0)
#endif

typedef struct run {
    uint64_t g, n; /* first page (offset >> 13), pages */
} run;

typedef struct drv {
    ga_os os;
    ga_pagealloc pa;
    mspace m;
    run runs[MAX_RUNS];
    size_t nruns;
    uint64_t heap_unused; /* bytes released through the unused hook */
    uint64_t scav_bytes;  /* ... during the current scavenge call */
    uint64_t scav_low;    /* lowest page released in it */
    size_t op;
    bool deep;        /* run ga_pagealloc_check after this op */
    bool all;         /* full comparison after this op (check_state) */
    bool grew;        /* the op grew: compare in_use whole */
    bool refused;     /* a grow of this input was refused (ENOMEM) */
    unsigned substep; /* steps of the current batch op checked (check_state's sub) */
    void *snap;       /* pageAlloc's bookkeeping before an injected grow (check_unchanged) */
    size_t snap_cap;
    const char *opname;
    const char *restored;     /* a corruption undone since ga_pagealloc_check last passed */
    ga_pagecache pc[NCACHES]; /* page caches, taken from pa (their pages are allocated there) */
    mpcache mpc[NCACHES];     /* the model's view of each */
    char why[512];
} drv;

static void fail(const drv *d, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void fail(const drv *d, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "pagealloc_fuzz: op #%zu (%s): ", d->op, d->opname ? d->opname : "-");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

static inline uint64_t page_addr(uint64_t g) { return ga_unoff((uintptr_t)(g << GA_PAGE_SHIFT)); }
static inline uint64_t addr_page(uintptr_t a) { return ga_off(a) >> GA_PAGE_SHIFT; }

/* ---- the OS model: metadata memory recycled across inputs -------------------------
 *
 * Mapping pageAlloc's metadata afresh for every input (a 585 MiB reservation, level 0's
 * 128 KiB, a 1 MiB block per chunk-map entry) and unmapping it at destroy cost more
 * than the rest of an input (page faults, munmap, TLB shootdowns).  These hooks keep
 * every reservation for the next input instead: a block released whole is scrubbed
 * (each page the allocator may have written set back to zero) and handed out again by
 * the next reservation of the same size, so what pageAlloc maps is zero, as fresh OS
 * memory is.  Reserved-but-unmapped memory stays inaccessible: poisoned under ASan
 * (an access is reported as use-after-poison), PROT_NONE otherwise.  The hooks also
 * check that every release is of a whole block reserved before and not yet released.
 * Deterministic: nothing pageAlloc does depends on where its metadata lies. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OSM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(OSM_ASAN)
#define OSM_ASAN 1
#endif
#ifdef OSM_ASAN
#include <sanitizer/asan_interface.h>
#endif

typedef struct osm_block {
    char *base;
    size_t n;
    bool used;
} osm_block;
typedef struct osm_range {
    char *v;
    size_t n;
} osm_range;
static struct {
    osm_block *b;
    size_t nb, capb;
    osm_range *r; /* mapped ranges (each scrubbed when released or faulted) */
    size_t nr, capr;
} osm;

FUZZ_NOCOV static void osm_hide(char *v, size_t n) {
#ifdef OSM_ASAN
    ASAN_POISON_MEMORY_REGION(v, n);
#else
    if (mprotect(v, n, PROT_NONE) != 0)
        abort();
#endif
}

/* The n <= 4096 bytes at p (mapped) are all 0: 16 bytes a load, 4 loads a step (a plain
 * byte loop at the fuzzers' -O1 was several times slower).  Not through memcmp: ASan's
 * interceptor checks both 4 KiB ranges' shadow first, which cost as much as the compare
 * (the scrub reads every resident page of every released range, up to a megabyte per
 * chunk-map block); nor instrumented: p is mapped (unpoisoned) memory. */
typedef uint64_t u64x2 __attribute__((vector_size(16)));
__attribute__((no_sanitize_address)) FUZZ_NOCOV static bool page_zero(const char *p, size_t n) {
    u64x2 acc = {0, 0};
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        u64x2 x[4];
        memcpy(x, p + i, sizeof x);
        acc |= x[0] | x[1] | x[2] | x[3];
    }
    uint64_t r = acc[0] | acc[1];
    for (; i < n; i++)
        r |= (unsigned char)p[i];
    return r == 0;
}

/* Zero [v, v + n) (mapped, so accessible) where it is not, then make it inaccessible.
 * Pages that are not zero are cleared by hand and stay resident, so that the next input
 * does not fault them in again (a fault, and the TLB shootdown of giving pages back,
 * cost more than clearing a page).  Up to OSM_KEEP bytes (summary pages, level 0 whole)
 * every page is compared with zeros: pageAlloc writes the summary pages it maps, and
 * these small ranges' pages stay resident from input to input, so asking the kernel
 * which are (mincore) cost more than it saved.  In larger ranges (the 1 MiB chunk-map
 * blocks, of which pageAlloc writes a page or two per input) only resident pages
 * (mincore) can hold non-zero bytes; they pile up over the inputs and each scrub reads
 * them all, so once more than OSM_KEEP_PAGES are resident the range is given back to
 * the kernel instead (MADV_DONTNEED: zero when next touched).  The limit trades the
 * compare against faults: at 16 pages a fuzzing run took ~7 faults per execution (and
 * the TLB shootdowns of madvise), at 256 (never: a block's every page) ~230 resident
 * pages were compared per block released, 1.5 blocks per execution; 32 and 64 were
 * fastest (20,000 runs from the corpus: 19 s of CPU, 25 s at 128 or 256). */
#define OSM_KEEP ((size_t)128 << 10)
#define OSM_KEEP_PAGES 64
FUZZ_NOCOV static void osm_scrub(char *v, size_t n) {
    const size_t pg = 4096, np = (n + pg - 1) / pg;
    static unsigned char *vec;
    static size_t capvec;
    if (np > capvec) {
        free(vec);
        capvec = np > 512 ? np : 512;
        vec = malloc(capvec);
        if (!vec)
            abort();
    }
    if (n <= OSM_KEEP)
        memset(vec, 1, np); /* every page checked */
    else if (mincore(v, n, vec) != 0)
        abort();
    size_t resident = 0;
    for (size_t k = 0; k < np; k++)
        resident += vec[k] & 1;
    if (n > OSM_KEEP && resident > OSM_KEEP_PAGES) {
        if (madvise(v, n, MADV_DONTNEED) != 0)
            abort();
        osm_hide(v, n);
        return;
    }
    for (size_t k = 0; k < np; k++) {
        char *p = v + k * pg;
        size_t m = n - k * pg < pg ? n - k * pg : pg;
        if ((vec[k] & 1) && !page_zero(p, m))
            memset(p, 0, m);
    }
    osm_hide(v, n);
}

/* Scrub the mapped parts of [v, v + n) and forget them (splitting ranges it cuts). */
FUZZ_NOCOV static void osm_unmap(char *v, size_t n) {
    for (size_t k = 0; k < osm.nr;) {
        osm_range r = osm.r[k];
        char *lo = r.v > v ? r.v : v, *hi = r.v + r.n < v + n ? r.v + r.n : v + n;
        if (lo >= hi) {
            k++;
            continue;
        }
        osm_scrub(lo, (size_t)(hi - lo));
        osm.r[k] = osm.r[--osm.nr];
        if (r.v < lo)
            osm.r[osm.nr++] = (osm_range){r.v, (size_t)(lo - r.v)};
        if (hi < r.v + r.n)
            osm.r[osm.nr++] = (osm_range){hi, (size_t)(r.v + r.n - hi)}; /* room: the slot freed above */
    }
}

FUZZ_NOCOV static void *hook_reserve(void *ctx, void *hint, size_t n) {
    (void)ctx, (void)hint;
    for (size_t k = 0; k < osm.nb; k++)
        if (!osm.b[k].used && osm.b[k].n == n) {
            osm.b[k].used = true;
            return osm.b[k].base;
        }
    if (osm.nb == osm.capb) {
        size_t cap = osm.capb ? 2 * osm.capb : 64;
        osm_block *nb = realloc(osm.b, cap * sizeof *nb);
        if (!nb)
            return NULL;
        osm.b = nb;
        osm.capb = cap;
    }
#ifdef OSM_ASAN
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
#else
    void *p = mmap(NULL, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
#endif
    if (p == MAP_FAILED)
        return NULL;
#ifdef OSM_ASAN
    ASAN_POISON_MEMORY_REGION(p, n);
#endif
    osm.b[osm.nb++] = (osm_block){p, n, true};
    return p;
}

FUZZ_NOCOV static int hook_map(void *ctx, void *v, size_t n) {
    (void)ctx;
    if (osm.nr + 2 > osm.capr) { /* + 1 spare for a split in osm_unmap */
        size_t cap = osm.capr ? 2 * osm.capr : 256;
        osm_range *nr = realloc(osm.r, cap * sizeof *nr);
        if (!nr)
            return ENOMEM;
        osm.r = nr;
        osm.capr = cap;
    }
#ifdef OSM_ASAN
    ASAN_UNPOISON_MEMORY_REGION(v, n);
#else
    if (mprotect(v, n, PROT_READ | PROT_WRITE) != 0)
        return errno;
#endif
    osm.r[osm.nr++] = (osm_range){v, n};
    return 0;
}

FUZZ_NOCOV static int hook_used(void *ctx, void *v, size_t n) {
    (void)ctx, (void)v, (void)n;
    return 0;
}

FUZZ_NOCOV static int hook_fault(void *ctx, void *v, size_t n) {
    (void)ctx;
    osm_unmap(v, n);
    return 0;
}

FUZZ_NOCOV static int hook_release(void *ctx, void *v, size_t n) {
    for (size_t k = 0; k < osm.nb; k++)
        if (osm.b[k].used && osm.b[k].base == (char *)v) {
            if (osm.b[k].n != n)
                fail(ctx, "release(%p, %zu): the block reserved there has %zu bytes", v, n, osm.b[k].n);
            osm_unmap(v, n);
            osm.b[k].used = false;
            return 0;
        }
    fail(ctx, "release(%p, %zu): no block reserved there", v, n);
}

/* After destroy: every block released, nothing left mapped. */
FUZZ_NOCOV static void osm_check_empty(const drv *d) {
    for (size_t k = 0; k < osm.nb; k++)
        if (osm.b[k].used)
            fail(d, "destroy left the block %p (%zu bytes) reserved", (void *)osm.b[k].base, osm.b[k].n);
    if (osm.nr)
        fail(d, "destroy left %zu bytes mapped at %p", osm.r[0].n, (void *)osm.r[0].v);
}

/* ---- the heap pages' OS hook ------------------------------------------------------- */

/* pageAlloc releases only heap pages: each must be free and unscavenged in the model. */
FUZZ_NOCOV static int hook_unused(void *ctx, void *v, size_t n) {
    drv *d = ctx;
    uintptr_t a = (uintptr_t)v;
    if (a % GA_PAGE_SIZE || n % GA_PAGE_SIZE || n == 0)
        fail(d, "unused(%p, %zu): not whole pages", v, n);
    uint64_t g = addr_page(a), np = n / GA_PAGE_SIZE;
    const mchunk *c = NULL; /* looked up once per chunk */
    for (uint64_t k = g; k < g + np; k++) {
        if (!c || c->ci != k / M_CHUNK_PAGES)
            c = ms_chunk(&d->m, k / M_CHUNK_PAGES);
        if (!c)
            fail(d, "unused(%p, %zu): page %#llx is not heap", v, n, (unsigned long long)page_addr(k));
        if (c->alloc[k % M_CHUNK_PAGES] || c->scav[k % M_CHUNK_PAGES])
            fail(d, "unused(%p, %zu): page %#llx is %s", v, n, (unsigned long long)page_addr(k),
                 c->alloc[k % M_CHUNK_PAGES] ? "allocated" : "already scavenged");
    }
    ms_set_scav(&d->m, g, np);
    d->heap_unused += n;
    d->scav_bytes += n;
    if (g < d->scav_low)
        d->scav_low = g;
    return 0;
}

/* ---- state comparison ------------------------------------------------------------ */

static const unsigned level_log_pages[GA_SUMMARY_LEVELS] = {21, 18, 15, 12, 9};

FUZZ_NOCOV static void cmp_sum(const drv *d, int l, uint64_t i, msum want) {
    ga_psum got = d->pa.summary[l][i];
    if (got != m_psum_encode(want)) {
        msum g = m_psum_decode(got);
        fail(d, "summary[%d][%#llx] = %#llx (%llu,%llu,%llu), model (%llu,%llu,%llu)", l, (unsigned long long)i,
             (unsigned long long)got, (unsigned long long)g.start, (unsigned long long)g.max, (unsigned long long)g.end,
             (unsigned long long)want.start, (unsigned long long)want.max, (unsigned long long)want.end);
    }
}

typedef struct ent {
    uint64_t i;
    msum s;
} ent;

/* A scratch array kept from call to call, grown as needed: a fresh heap block per check
 * cost an ASan allocation and page faults (the quarantine hands out new memory). */
FUZZ_NOCOV static void *scratch(void **buf, size_t *cap, size_t bytes) {
    if (bytes > *cap) {
        free(*buf);
        *cap = 2 * bytes;
        *buf = malloc(*cap);
        if (!*buf)
            abort();
    }
    return *buf;
}

/* Every entry of every 8-entry block holding an entry over a grown chunk, level by
 * level from the leaves: the model's value of a parent is the naive merge of its 8
 * children (absent = no free page). */
FUZZ_NOCOV static void check_tree(drv *d) {
    size_t n = d->m.n;
    if (n == 0)
        return;
    static void *buf[2];
    static size_t cap[2];
    ent *cur = scratch(&buf[0], &cap[0], n * sizeof *cur), *up = scratch(&buf[1], &cap[1], n * sizeof *up);
    for (size_t k = 0; k < n; k++) {
        ms_refresh(d->m.c[k]);
        cur[k].i = d->m.c[k]->ci;
        cur[k].s = d->m.c[k]->sum;
    }
    size_t ncur = n;
    for (int l = GA_SUMMARY_LEVELS - 1; l >= 0; l--) {
        /* blocks of 8 at level l: compare, and (l > 0) merge into level l - 1 */
        size_t nup = 0;
        for (size_t k = 0; k < ncur;) {
            uint64_t blk = cur[k].i >> 3;
            msum c[8];
            memset(c, 0, sizeof c);
            for (; k < ncur && cur[k].i >> 3 == blk; k++)
                c[cur[k].i & 7] = cur[k].s;
            for (unsigned j = 0; j < 8; j++)
                cmp_sum(d, l, blk * 8 + j, c[j]);
            if (l > 0) {
                up[nup].i = blk;
                up[nup].s = m_merge(c, 8, (uint64_t)1 << level_log_pages[l]);
                nup++;
            }
        }
        ent *t = cur;
        cur = up;
        up = t;
        ncur = nup;
    }
}

/* Level 0 is mapped whole once anything is grown: entries over no grown chunk read 0.
 * The stretches between the grown chunks' entries are compared with zeros whole (one
 * memcmp: a loop over the 16384 entries cost more under ASan), entry by entry only to
 * name the first that is not. */
static const ga_psum zero_sums[1024];
FUZZ_NOCOV static void check_level0_zero(const drv *d, uint64_t i, uint64_t stop) {
    for (uint64_t j = i; j < stop; j += 1024) {
        uint64_t n = stop - j < 1024 ? stop - j : 1024;
        if (memcmp(&d->pa.summary[0][j], zero_sums, n * sizeof(ga_psum)) == 0)
            continue;
        for (; j < stop; j++)
            if (d->pa.summary[0][j] != 0)
                fail(d, "summary[0][%#llx] = %#llx over no heap", (unsigned long long)j,
                     (unsigned long long)d->pa.summary[0][j]);
    }
}

FUZZ_NOCOV static void check_level0(const drv *d) {
    if (d->m.n == 0)
        return;
    const unsigned per = 1u << 12; /* chunks per level-0 entry */
    uint64_t i = 0;                /* entries below i are checked (or over heap) */
    for (size_t k = 0; k < d->m.n; k++) {
        uint64_t e = d->m.c[k]->ci / per; /* an entry over heap */
        if (e >= i) {
            check_level0_zero(d, i, e);
            i = e + 1;
        }
    }
    check_level0_zero(d, i, NCHUNKS >> 12);
}

FUZZ_NOCOV static void check_chunk(const drv *d, mchunk *c) {
    const ga_pallocdata *pd = ga_pagealloc_chunk(&d->pa, c->ci);
    /* A word at a time (the model's bools packed into words, kept by ms_refresh while
     * the chunk is unchanged; bit by bit only to name the first differing page): this
     * compare dominated the driver's time. */
    ms_refresh(c);
    for (unsigned w = 0; w < M_CHUNK_PAGES / 64; w++) {
        uint64_t ma = c->aw[w], ms = c->sw[w];
        if (ma == pd->alloc[w] && ms == pd->scav[w])
            continue;
        for (unsigned j = w * 64; j < w * 64 + 64; j++) {
            bool a = (pd->alloc[j / 64] >> (j % 64)) & 1, s = (pd->scav[j / 64] >> (j % 64)) & 1;
            if (a != c->alloc[j] || s != c->scav[j])
                fail(d, "page %#llx: alloc %d scav %d, model alloc %d scav %d",
                     (unsigned long long)page_addr(c->ci * M_CHUNK_PAGES + j), a, s, c->alloc[j], c->scav[j]);
        }
        fail(d, "chunk %#llx word %u differs", (unsigned long long)c->ci, w); /* not reached */
    }
}

/* The 8-entry blocks of every level on the paths of the chunks the op touched (the
 * only summaries an op may change), against the model's cached tree, each block as
 * ms_sum_update_visit brings it up to date (from the touched chunks' plain-loop
 * summaries) and reads it for the merge above. */
FUZZ_NOCOV static void cmp_block(void *ctx, int l, uint64_t blk, const msum want[8]) {
    for (unsigned j = 0; j < 8; j++)
        cmp_sum(ctx, l, blk * 8 + j, want[j]);
}

FUZZ_NOCOV static void check_paths(drv *d) { ms_sum_update_visit(&d->m, cmp_block, d); }

/* After every op (and every step of a batch op): the op's own results (checked where
 * it runs), then what it may have changed: the bitmaps of the chunks it touched, the
 * summary blocks on their paths, the page counters against the model's running totals,
 * the number of in_use ranges, start/end, and the search hint against the model's
 * first free page.
 *
 * full (after every FULL_EVERY-th op, CHECK_ALL, and at the end): all of it from
 * scratch: every chunk's bitmaps, every summary block over the grown chunks (check_tree,
 * recomputed from the leaves), the counters recounted page by page, in_use range by
 * range (also after every grow, the only op that changes it), the search hint page by
 * page.  deep: also ga_pagealloc_check (after every DEEP_EVERY-th op, after a refused
 * grow, at init and at the end).  sub: a step inside a batch op (the touched
 * comparison only every SUB_EVERY-th step). */
FUZZ_NOCOV static void check_in_use(const drv *d) {
    const ga_pagealloc *p = &d->pa;
    size_t r = 0;
    for (size_t k = 0; k < d->m.n;) {
        uint64_t lo = d->m.c[k]->ci, hi = lo + 1;
        for (k++; k < d->m.n && d->m.c[k]->ci == hi; k++)
            hi++;
        if (r >= p->in_use.n || p->in_use.ranges[r].base != lo << GA_LOG_CHUNK_BYTES ||
            p->in_use.ranges[r].limit != hi << GA_LOG_CHUNK_BYTES)
            fail(d, "in_use[%zu] = [%#lx, %#lx) (of %zu), model chunks [%#llx, %#llx)", r,
                 r < p->in_use.n ? (unsigned long)p->in_use.ranges[r].base : 0ul,
                 r < p->in_use.n ? (unsigned long)p->in_use.ranges[r].limit : 0ul, p->in_use.n, (unsigned long long)lo,
                 (unsigned long long)hi);
        r++;
    }
    if (r != p->in_use.n || r != d->m.nranges)
        fail(d, "%zu in_use ranges, model %zu (running count %zu)", p->in_use.n, r, d->m.nranges);
}

FUZZ_NOCOV static void check_search_full(const drv *d) {
    uintptr_t sa = d->pa.search_addr;
    if (sa == GA_PA_MAX_OFF)
        return;
    uint64_t below = (sa + GA_PAGE_SIZE - 1) >> GA_PAGE_SHIFT; /* pages g < below */
    for (size_t k = 0; k < d->m.n && d->m.c[k]->ci * M_CHUNK_PAGES < below; k++) {
        mchunk *c = d->m.c[k];
        uint64_t n = below - c->ci * M_CHUNK_PAGES < M_CHUNK_PAGES ? below - c->ci * M_CHUNK_PAGES : M_CHUNK_PAGES;
        const bool *f = memchr(c->alloc, false, n); /* the first free page of the n (bools are bytes) */
        if (f)
            fail(d, "page %#llx is free, below search_addr %#lx",
                 (unsigned long long)page_addr(c->ci * M_CHUNK_PAGES + (uint64_t)(f - c->alloc)),
                 (unsigned long)ga_unoff(sa));
    }
}

FUZZ_NOCOV static void check_state(drv *d, bool full, bool deep, bool sub) {
    const ga_pagealloc *p = &d->pa;
    mspace *m = &d->m;
    if (!sub && deep && ga_pagealloc_check(p, d->why, sizeof d->why) != 0)
        fail(d, "ga_pagealloc_check: %s", d->why);
    /* light: a step of a batch op between two SUB_EVERY-th ones (touched kept) */
    bool light = sub && ++d->substep % SUB_EVERY != 0;
    if (light) {
    } else if (full) {
        for (size_t k = 0; k < m->n; k++)
            check_chunk(d, m->c[k]);
        uint64_t nfree = ms_free_pages(m), nscav = ms_scav_pages(m);
        if (nfree != m->nfree || nscav != m->nscav)
            fail(d, "model: running free/scavenged pages %llu/%llu, recounted %llu/%llu", (unsigned long long)m->nfree,
                 (unsigned long long)m->nscav, (unsigned long long)nfree, (unsigned long long)nscav);
    } else {
        for (size_t k = 0; k < m->ntl; k++)
            check_chunk(d, m->tl[k]);
    }
    if (p->free_pages != m->nfree || p->scav_pages != m->nscav || p->total_pages != m->n * M_CHUNK_PAGES)
        fail(d, "pages free/scavenged/total = %zu/%zu/%zu, model %llu/%llu/%llu", p->free_pages, p->scav_pages,
             p->total_pages, (unsigned long long)m->nfree, (unsigned long long)m->nscav,
             (unsigned long long)(m->n * M_CHUNK_PAGES));
    if (full || d->grew)
        check_in_use(d);
    else if (p->in_use.n != m->nranges)
        fail(d, "%zu in_use ranges, model %zu", p->in_use.n, m->nranges);
    if (m->n && (p->start != m->c[0]->ci || p->end != m->c[m->n - 1]->ci + 1))
        fail(d, "start/end = %#lx/%#lx, model %#llx/%#llx", (unsigned long)p->start, (unsigned long)p->end,
             (unsigned long long)m->c[0]->ci, (unsigned long long)m->c[m->n - 1]->ci + 1);
    /* search hint: in the heap, and every heap page below it allocated */
    uintptr_t sa = p->search_addr;
    if (sa != GA_PA_MAX_OFF) {
        if (!ms_chunk(m, sa >> GA_LOG_CHUNK_BYTES))
            fail(d, "search_addr %#lx is not heap", (unsigned long)ga_unoff(sa));
        uint64_t below = (sa + GA_PAGE_SIZE - 1) >> GA_PAGE_SHIFT, first = ms_first_free(m);
        if (first < below)
            fail(d, "page %#llx is free, below search_addr %#lx", (unsigned long long)page_addr(first),
                 (unsigned long)ga_unoff(sa));
        if (full)
            check_search_full(d);
    }
    if (light)
        return;
    if (full) {
        check_tree(d);
        ms_sum_update(m); /* the cache stays valid for later ops (check_tree read every chunk) */
    } else {
        check_paths(d);
    }
    ms_clear_touched(m);
}

/* ---- operations -------------------------------------------------------------------- */

/* Requested run length: mostly small, some up to a chunk, a few up to 8 chunks, and
 * rarely more than can ever fit. */
static uint64_t npages_arg(uint8_t sel, uint16_t x) {
    if (sel < 160)
        return 1 + sel % 16;
    if (sel < 224)
        return 17 + x % 496;
    if (sel < 250)
        return 1 + x % (MAX_GROW * M_CHUNK_PAGES);
    return x ? 1 + (uint64_t)x * 1024 : 0; /* 0: an empty request */
}

FUZZ_NOCOV static void add_run(drv *d, uint64_t g, uint64_t n) {
    if (d->nruns < MAX_RUNS)
        d->runs[d->nruns++] = (run){g, n};
}

static void do_alloc(drv *d, uint64_t n) {
    uint64_t want = n ? ms_first_fit(&d->m, n) : M_NONE; /* 0 pages: refused, nothing changes */
    size_t scav = 12345;
    uintptr_t got = ga_pagealloc_alloc(&d->pa, n, &scav);
    TRACE("#%zu alloc(%llu) = %#lx scav %zu\n", d->op, (unsigned long long)n, (unsigned long)got, scav);
    if (want == M_NONE) {
        if (got != 0)
            fail(d, "alloc(%llu) = %#lx, model: no run", (unsigned long long)n, (unsigned long)got);
        if (scav != 0)
            fail(d, "failed alloc(%llu) reports %zu scavenged bytes", (unsigned long long)n, scav);
        return;
    }
    if (got != page_addr(want))
        fail(d, "alloc(%llu) = %#lx, model %#llx", (unsigned long long)n, (unsigned long)got,
             (unsigned long long)page_addr(want));
    uint64_t ms = ms_alloc(&d->m, want, n);
    if (scav != ms * GA_PAGE_SIZE)
        fail(d, "alloc(%llu) at %#lx reports %zu scavenged bytes, model %llu", (unsigned long long)n,
             (unsigned long)got, scav, (unsigned long long)(ms * GA_PAGE_SIZE));
    add_run(d, want, n);
}

static void do_free(drv *d, uint64_t g, uint64_t n) {
    TRACE("#%zu free(%#llx, %llu)\n", d->op, (unsigned long long)page_addr(g), (unsigned long long)n);
    ga_pagealloc_free(&d->pa, (uintptr_t)page_addr(g), n);
    ms_free(&d->m, g, n);
}

/* Go's scavenge (ms_scavenge_plan, the model's own page-by-page reading of it): without
 * huge pages exactly the highest min(ceil(bytes / 8 KiB), available) free unscavenged
 * pages; with them, a cut run may be widened down to a huge page boundary.  Every page
 * released was free and unscavenged (hook_unused), as many as planned, the lowest one
 * where planned, none left above it: so exactly the planned pages. */
static void do_scavenge(drv *d, size_t bytes) {
    uint64_t hp = d->pa.huge_page_bytes > GA_PAGE_SIZE ? d->pa.huge_page_bytes / GA_PAGE_SIZE : 1, low;
    uint64_t want = ms_scavenge_plan(&d->m, bytes, hp, &low), avail = ms_dirty_free_pages(&d->m);
    d->scav_bytes = 0;
    d->scav_low = UINT64_MAX;
    size_t got = ga_pagealloc_scavenge(&d->pa, bytes);
    TRACE("#%zu scavenge(%zu) = %zu\n", d->op, bytes, got);
    if (got != d->scav_bytes)
        fail(d, "scavenge(%zu) = %zu, but released %llu bytes", bytes, got, (unsigned long long)d->scav_bytes);
    if (got != want * GA_PAGE_SIZE)
        fail(d,
             "scavenge(%zu) released %zu bytes; %llu pages were free and unscavenged, want %llu bytes (%llu-page huge "
             "pages)",
             bytes, got, (unsigned long long)avail, (unsigned long long)(want * GA_PAGE_SIZE), (unsigned long long)hp);
    if (got && d->scav_low != low)
        fail(d, "scavenge(%zu) released down to page %#llx, planned %#llx", bytes,
             (unsigned long long)page_addr(d->scav_low), (unsigned long long)page_addr(low));
    if (got && ms_any_dirty_free_above(&d->m, d->scav_low + 1))
        fail(d, "scavenge(%zu) released %#llx but left a free unscavenged page above it", bytes,
             (unsigned long long)page_addr(d->scav_low));
}

/* After a grow: every refusal the OS layer counted is explained by an injection
 * (os_fail_nth / os_fail_after on a call made during the grow) or by the mapped limit
 * (white box: ga_os's limit_* fields), and the last limit refusal was sound: the
 * bytes mapped then (never below those mapped before the grow: it only rolls back
 * after its one refusal) plus the bytes asked exceed the limit. */
FUZZ_NOCOV static void check_refusals(const drv *d, uint64_t calls0, uint64_t ref0, uint64_t lim0, size_t limit,
                                      size_t map0) {
    uint64_t calls = atomic_load(&d->os.calls), refused = atomic_load(&d->os.refusals) - ref0;
    uint64_t limits = atomic_load(&d->os.limit_refusals) - lim0, injected = 0;
    uint64_t nth = d->os.fail_nth, after = d->os.fail_after;
    if (after && calls > after)
        injected = calls - (calls0 > after ? calls0 : after);
    if (nth > calls0 && nth <= calls && !(after && nth > after))
        injected++;
    if (refused != injected + limits)
        fail(d, "%llu OS refusals, explained: %llu injected (calls %llu..%llu), %llu by the mapped limit",
             (unsigned long long)refused, (unsigned long long)injected, (unsigned long long)calls0 + 1,
             (unsigned long long)calls, (unsigned long long)limits);
    if (limits == 0)
        return;
    size_t asked = atomic_load(&d->os.limit_asked), at = atomic_load(&d->os.limit_mapped);
    if (limit == 0)
        fail(d, "%llu refusals by a mapped limit that is not set", (unsigned long long)limits);
    if (at < map0)
        fail(d, "mapped limit refusal with %zu bytes mapped, fewer than the %zu mapped before the grow", at, map0);
    if (asked <= limit && at <= limit - asked)
        fail(d, "mapped_limit %zu refused %zu bytes with %zu mapped: the limit was not in the way", limit, asked, at);
}

/* GROW mode 0 with bits 26-31 of off all set (mode 0 reads only bits 0-25): a spread
 * grow, 1 + nb single chunks from chunk off % 2^24 on, one every 1 + (off >> 24) % 4
 * chunks (1: they coalesce; more: separate ranges), each its own ga_pagealloc_grow
 * without refusals.  Up to MAX_SPREAD chunks in all (MAX_CHUNKS then stops the other
 * grows): in_use gets more than 256 ranges (its array outgrows a page), or a whole
 * level-0 entry (4096 chunks) is grown and free.  A chunk grown before must be
 * refused (EINVAL). */
#define MAX_SPREAD 4200
static void do_grow_spread(drv *d, uint32_t off, uint8_t nb) {
    uint64_t ci0 = off & 0xffffff, step = 1 + ((off >> 24) & 3); /* all below the zero chunk (2^25) */
    /* First, ranges no grow may take (EINVAL, nothing changes): empty, base or size not
     * chunk-aligned, offsets wrapping past 2^64, above the 48-bit offset space. */
    const size_t cb = (size_t)1 << GA_LOG_CHUNK_BYTES;
    const uintptr_t b0 = (uintptr_t)page_addr(ci0 * M_CHUNK_PAGES);
    const struct {
        uintptr_t base;
        size_t size;
    } inval[] = {{b0, 0},
                 {b0 + GA_PAGE_SIZE, cb},
                 {b0, cb + GA_PAGE_SIZE},
                 {ga_unoff(0) - cb, 2 * cb},
                 {ga_unoff((uintptr_t)1 << GA_HEAP_ADDR_BITS), cb}};
    for (size_t k = 0; k < sizeof inval / sizeof inval[0]; k++) {
        int rc = ga_pagealloc_grow(&d->pa, inval[k].base, inval[k].size);
        if (rc != EINVAL)
            fail(d, "grow(%#lx, %#zx), an invalid range, = %d", (unsigned long)inval[k].base, inval[k].size, rc);
    }
    for (unsigned i = 0; i <= nb && d->m.n < MAX_SPREAD; i++) {
        uint64_t ci = ci0 + step * i;
        bool bad = ms_is_grown(&d->m, ci, 1) || ci == 0; /* offset chunk 0: refused (pagealloc.h) */
        int rc = ga_pagealloc_grow(&d->pa, (uintptr_t)page_addr(ci * M_CHUNK_PAGES), (size_t)1 << GA_LOG_CHUNK_BYTES);
        TRACE("#%zu spread grow(chunk %#llx) = %d\n", d->op, (unsigned long long)ci, rc);
        if (rc != (bad ? EINVAL : 0))
            fail(d, "spread grow of chunk %#llx (%s) = %d", (unsigned long long)ci, bad ? "grown before" : "new", rc);
        if (!bad && ms_grow(&d->m, ci, 1) != 0)
            abort();
        d->grew |= !bad;
    }
}

/* pageAlloc's own state outside the summaries and chunk bitmaps: the struct (chunk map
 * included), its private block (mapped/pending bitmaps, marks, byte counts) and the
 * in_use array.  A refused grow must leave all of it exactly as it was (rollback). */
FUZZ_NOCOV static size_t snap_size(const drv *d) {
    return sizeof d->pa + ga_pagealloc_priv(&d->pa)->priv_bytes + d->pa.in_use.n * sizeof *d->pa.in_use.ranges;
}

FUZZ_NOCOV static void snapshot(drv *d) {
    size_t n = snap_size(d);
    if (n > d->snap_cap) {
        free(d->snap);
        d->snap = malloc(n);
        if (!d->snap)
            abort();
        d->snap_cap = n;
    }
    char *s = d->snap;
    memcpy(s, &d->pa, sizeof d->pa);
    memcpy(s + sizeof d->pa, d->pa.priv, ga_pagealloc_priv(&d->pa)->priv_bytes);
    if (d->pa.in_use.n)
        memcpy(s + sizeof d->pa + ga_pagealloc_priv(&d->pa)->priv_bytes, d->pa.in_use.ranges,
               d->pa.in_use.n * sizeof *d->pa.in_use.ranges);
}

FUZZ_NOCOV static void check_unchanged(const drv *d) {
    const char *s = d->snap, *what = NULL;
    const ga_pagealloc *old = (const ga_pagealloc *)(const void *)s;
    if (memcmp(s, &d->pa, sizeof d->pa) != 0)
        what = "the ga_pagealloc struct";
    else if (memcmp(s + sizeof d->pa, d->pa.priv, ga_pagealloc_priv(&d->pa)->priv_bytes) != 0)
        what = "its private bookkeeping (mapped/pending bitmaps, marks, byte counts)";
    else if (d->pa.in_use.n && memcmp(s + sizeof d->pa + ga_pagealloc_priv(old)->priv_bytes, d->pa.in_use.ranges,
                                      d->pa.in_use.n * sizeof *d->pa.in_use.ranges) != 0)
        what = "the in_use array";
    if (what)
        fail(d, "refused grow changed %s", what);
}

static void do_grow(drv *d, fuzz_input *in) {
    uint8_t where = fi_u8(in);
    uint32_t off = fi_u32(in);
    uint8_t nb = fi_u8(in);
    if (where % 5 == 0 && off >> 26 == 0x3f) {
        do_grow_spread(d, off, nb);
        return;
    }
    uint64_t n = 1 + (nb & 0x0f) % MAX_GROW;
    if (d->m.n + n > MAX_CHUNKS)
        return;
    uint64_t ci;
    const mspace *m = &d->m;
    switch (where % 5) {
    case 0: /* anywhere in the 48-bit space */
        ci = off % NCHUNKS;
        break;
    case 1: /* just above the highest grown chunk: touching (coalesces) or a small gap */
        ci = m->n ? m->c[m->n - 1]->ci + 1 + off % 3 : off % NCHUNKS;
        break;
    case 2: /* just below the lowest */
        ci = m->n ? m->c[0]->ci - n - off % 3 : off % NCHUNKS;
        break;
    case 3: /* next to some grown chunk, maybe filling a gap between two */
        if (m->n) {
            const mchunk *c = m->c[off % m->n];
            ci = (off >> 16) & 1 ? c->ci + 1 + (off >> 17) % 4 : c->ci - n - (off >> 17) % 4;
        } else {
            ci = off % NCHUNKS;
        }
        break;
    default: { /* straddling a level-l entry boundary (l = 3, 2, 1, 0) */
        unsigned sh = 3 * (1 + off % 4);
        ci = (((uint64_t)(off >> 2) << sh) % NCHUNKS) - n / 2;
        break;
    }
    }
    ci %= NCHUNKS; /* wrapped below 0: some far place */
    if (ci + n > NCHUNKS)
        ci = NCHUNKS - n;
    uintptr_t base = (uintptr_t)page_addr(ci * M_CHUNK_PAGES);
    size_t size = (size_t)n << GA_LOG_CHUNK_BYTES;
    /* Ranges that start at, contain or end at real address 0 cannot be written as
     * [base, base + size) and are refused, as is memory grown before. */
    bool bad = ms_is_grown(m, ci, n) || (ci <= ZERO_CHUNK && ci + n >= ZERO_CHUNK) || ci == 0; /* offset chunk 0 too */
    bool inject = (where & 0x80) != 0;
    size_t limit = 0;
    if (inject) {
        uint64_t calls = atomic_load(&d->os.calls);
        unsigned k = nb >> 4, kind = (where >> 5) % 3; /* k up to 15: reaches the last calls of a grow */
        if (kind == 0)
            d->os.fail_nth = calls + 1 + k;
        else if (kind == 1)
            d->os.fail_after = calls + k;
        else
            d->os.mapped_limit = limit = atomic_load(&d->os.mapped) + (size_t)k * 4096;
    }
    size_t res0 = atomic_load(&d->os.reserved), map0 = atomic_load(&d->os.mapped), rdy0 = atomic_load(&d->os.ready);
    uint64_t ref0 = atomic_load(&d->os.refusals), calls0 = atomic_load(&d->os.calls);
    uint64_t lim0 = atomic_load(&d->os.limit_refusals);
    if (inject)
        snapshot(d);
    int rc = ga_pagealloc_grow(&d->pa, base, size);
    TRACE("#%zu grow(chunk %#llx, %llu chunks%s) = %d\n", d->op, (unsigned long long)ci, (unsigned long long)n,
          inject ? ", refusal injected" : "", rc);
    check_refusals(d, calls0, ref0, lim0, limit, map0);
    d->os.fail_nth = d->os.fail_after = 0;
    d->os.mapped_limit = 0;
    if (bad) {
        if (rc != EINVAL) /* refused: grown before, or real address 0, or offset chunk 0 */
            fail(d, "grow(%#lx, %#zx) over grown memory or address 0 returned %d, want EINVAL", (unsigned long)base,
                 size, rc);
    } else if (rc == ENOMEM && inject) {
        if (atomic_load(&d->os.refusals) == ref0)
            fail(d, "grow(%#lx, %#zx) = ENOMEM without an OS refusal", (unsigned long)base, size);
    } else if (rc != 0) {
        fail(d, "grow(%#lx, %#zx) = %d", (unsigned long)base, size, rc);
    }
    if (rc == ENOMEM) {
        check_unchanged(d);
        d->deep = !d->refused; /* the first refusal of the input: ga_pagealloc_check too */
        d->refused = true;
    }
    if (rc != 0) {
        if (atomic_load(&d->os.reserved) != res0 || atomic_load(&d->os.mapped) != map0 ||
            atomic_load(&d->os.ready) != rdy0)
            fail(d, "failed grow changed OS state: reserved %zu -> %zu, mapped %zu -> %zu, ready %zu -> %zu", res0,
                 (size_t)atomic_load(&d->os.reserved), map0, (size_t)atomic_load(&d->os.mapped), rdy0,
                 (size_t)atomic_load(&d->os.ready));
        return;
    }
    if (ms_grow(&d->m, ci, n) != 0)
        abort();
    d->grew = true;
}

static void do_free_op(drv *d, fuzz_input *in) {
    uint16_t idx = fi_u16(in);
    uint8_t mode = fi_u8(in);
    uint16_t a = fi_u16(in), b = fi_u16(in);
    if (d->nruns == 0) {
        do_free(d, 0, 0); /* nothing to free: an empty free, which must change nothing */
        return;
    }
    size_t k = idx % d->nruns;
    run r = d->runs[k];
    d->runs[k] = d->runs[--d->nruns];
    if (mode % 4 < 3) {
        do_free(d, r.g, r.n);
        return;
    }
    /* partial free: what is left stays allocated, as up to two runs */
    uint64_t o = a % r.n, len = 1 + b % (r.n - o);
    do_free(d, r.g + o, len);
    if (o)
        add_run(d, r.g, o);
    if (o + len < r.n)
        add_run(d, r.g + o + len, r.n - o - len);
}

/* ---- the operations: one handler each, in the order of fuzz/pagealloc_ops.h -------- */

static void op_grow(drv *d, fuzz_input *in) { do_grow(d, in); /* new chunks are touched: compared whole */ }

static void op_alloc(drv *d, fuzz_input *in) {
    uint8_t sel = fi_u8(in);
    do_alloc(d, npages_arg(sel, fi_u16(in)));
}

static void op_free(drv *d, fuzz_input *in) { do_free_op(d, in); }

static void op_scavenge(drv *d, fuzz_input *in) {
    uint8_t sel = fi_u8(in);
    uint16_t x = fi_u16(in);
    size_t bytes = sel % 4 == 0   ? SIZE_MAX
                   : sel % 4 == 1 ? (size_t)(1 + x % 1024) * GA_PAGE_SIZE
                   : sel % 4 == 2 ? (size_t)x * 37 + 1
                                  : 0;
    do_scavenge(d, bytes);
}

static void op_alloc_many(drv *d, fuzz_input *in) {
    unsigned count = 1 + fi_u8(in) % MAX_BATCH;
    uint8_t sel = fi_u8(in);
    uint64_t n = npages_arg(sel, fi_u16(in));
    for (unsigned k = 0; k < count; k++) {
        do_alloc(d, n);
        if (k + 1 < count)
            check_state(d, false, false, true);
    }
}

static void op_free_many(drv *d, fuzz_input *in) {
    unsigned stride = 2 + fi_u8(in) % 4;
    for (size_t k = d->nruns; k-- > 0;)
        if (k % stride == 0) {
            run r = d->runs[k];
            d->runs[k] = d->runs[--d->nruns];
            do_free(d, r.g, r.n);
            check_state(d, false, false, true);
        }
}

/* ---- page caches (alloc/pagecache.h) against the model's (model_pages.h) ----------- */

/* Slot k holds what the model's cache holds, bit for bit, and P9 holds against pa. */
FUZZ_NOCOV static void check_cache(drv *d, unsigned k) {
    const ga_pagecache *c = &d->pc[k];
    const mpcache *mc = &d->mpc[k];
    uint64_t free = 0, scav = 0;
    for (unsigned i = 0; i < M_CACHE_PAGES; i++) {
        free |= (uint64_t)mc->free[i] << i;
        scav |= (uint64_t)mc->scav[i] << i;
    }
    if (c->cache != free || c->scav != scav || (free && c->base != page_addr(mc->g0)))
        fail(d, "cache %u = {%#lx, %#llx, %#llx}, model {%#llx, %#llx, %#llx}", k, (unsigned long)c->base,
             (unsigned long long)c->cache, (unsigned long long)c->scav, (unsigned long long)page_addr(mc->g0),
             (unsigned long long)free, (unsigned long long)scav);
    if (ga_pagecache_empty(c) != mpc_empty(mc))
        fail(d, "cache %u: empty %d, model %d", k, ga_pagecache_empty(c), mpc_empty(mc));
    if (ga_pagecache_check(c, &d->pa, d->why, sizeof d->why) != 0)
        fail(d, "cache %u: %s", k, d->why);
}

FUZZ_NOCOV static void check_caches(drv *d) {
    for (unsigned k = 0; k < NCACHES; k++)
        check_cache(d, k);
}

static void do_flush_cache(drv *d, unsigned k) {
    TRACE("#%zu pcache_flush(%u: %#lx %#llx)\n", d->op, k, (unsigned long)d->pc[k].base,
          (unsigned long long)d->pc[k].cache);
    ga_pagecache_flush(&d->pc[k], &d->pa);
    ms_flush_cache(&d->m, &d->mpc[k]);
    if (!ga_pagecache_empty(&d->pc[k]) || d->pc[k].base || d->pc[k].scav)
        fail(d, "flush left cache %u = {%#lx, %#llx, %#llx}", k, (unsigned long)d->pc[k].base,
             (unsigned long long)d->pc[k].cache, (unsigned long long)d->pc[k].scav);
}

/* allocToCache into slot % NCACHES (what the slot held is flushed first).  The search
 * hint must land on the block's last page (checked with the model's first free page
 * by check_state after the op). */
static void op_pcache_fill(drv *d, fuzz_input *in) {
    unsigned k = fi_u8(in) % NCACHES;
    if (!ga_pagecache_empty(&d->pc[k]))
        do_flush_cache(d, k);
    size_t total = d->pa.total_pages;
    d->pc[k] = ga_pagealloc_alloc_to_cache(&d->pa);
    bool any = ms_to_cache(&d->m, &d->mpc[k]);
    TRACE("#%zu pcache_fill(%u) = %#lx %#llx scav %#llx\n", d->op, k, (unsigned long)d->pc[k].base,
          (unsigned long long)d->pc[k].cache, (unsigned long long)d->pc[k].scav);
    if (d->pa.total_pages != total)
        fail(d, "allocToCache grew pageAlloc");
    if (any && d->pa.search_addr != (d->mpc[k].g0 + M_CACHE_PAGES - 1) << GA_PAGE_SHIFT)
        fail(d, "allocToCache left search_addr %#lx, not the block's last page", (unsigned long)d->pa.search_addr);
    if (!any && (d->pc[k].base || d->pc[k].scav || d->pa.search_addr != GA_PA_MAX_OFF))
        fail(d, "allocToCache on a heap with no free page: {%#lx, %#llx, %#llx}, search_addr %#lx",
             (unsigned long)d->pc[k].base, (unsigned long long)d->pc[k].cache, (unsigned long long)d->pc[k].scav,
             (unsigned long)d->pa.search_addr);
    check_caches(d);
}

/* n < 224: 1 + n % 16 pages; else 49 + n - 224 (up to 80: runs the size of the whole
 * cache and beyond, which never fit). */
static void op_pcache_alloc(drv *d, fuzz_input *in) {
    unsigned k = fi_u8(in) % NCACHES;
    uint8_t n8 = fi_u8(in);
    uint64_t n = n8 < 224 ? 1u + n8 % 16 : 49u + (n8 - 224u), ms;
    size_t scav = 12345;
    uintptr_t got = ga_pagecache_alloc(&d->pc[k], n, &scav);
    uint64_t want = mpc_alloc(&d->mpc[k], n, &ms);
    TRACE("#%zu pcache_alloc(%u, %llu) = %#lx scav %zu\n", d->op, k, (unsigned long long)n, (unsigned long)got, scav);
    if (want == M_NONE ? (got != 0 || scav != 0) : (got != page_addr(want) || scav != ms * GA_PAGE_SIZE))
        fail(d, "cache %u alloc(%llu) = %#lx scav %zu, model %#llx scav %llu", k, (unsigned long long)n,
             (unsigned long)got, scav, want == M_NONE ? 0ull : (unsigned long long)page_addr(want),
             (unsigned long long)(ms * GA_PAGE_SIZE));
    if (want != M_NONE)
        add_run(d, want, n); /* handed out: freed later through ga_pagealloc_free, as mcache would */
    check_cache(d, k);
}

static void op_pcache_flush(drv *d, fuzz_input *in) {
    unsigned k = fi_u8(in) % NCACHES;
    do_flush_cache(d, k);
    check_caches(d);
}

static void op_check_all(drv *d, fuzz_input *in) {
    (void)in;
    d->all = true;
}

/* ---- the table (fuzz/pagealloc_ops.h) ---------------------------------------------- */

enum { PAGEALLOC_OPS(FUZZ_OP_ENUM) OP_NUM = 0 PAGEALLOC_OPS(FUZZ_OP_PLUS_ONE) };
enum { PAGEALLOC_OPS(FUZZ_OP_SEQ) };
PAGEALLOC_OPS(FUZZ_OP_IN_ORDER)

typedef struct pa_op {
    const char *name;
    void (*run)(drv *, fuzz_input *);
    int arg_bytes;
} pa_op;

static const pa_op ops[OP_NUM] = {
#define PA_OP_ROW(code, NAME, name, args, layout) [code] = {#name, op_##name, args},
    PAGEALLOC_OPS(PA_OP_ROW)
#undef PA_OP_ROW
};

/* GA_FUZZ_TRACE: the op, the bytes it read, and pageAlloc's counts after it. */
static void trace_op(const drv *d, const fuzz_input *in, size_t start, const char *what) {
    fprintf(stderr, "pagealloc #%zu @%zu+%zu %s | free %zu scav %zu total %zu runs %zu\n", d->op, start,
            in->pos - start, what, d->pa.free_pages, d->pa.scav_pages, d->pa.total_pages, d->nruns);
}

/* The last step of the corrupt ops (support/corrupt.h), once after a series of them:
 * the checker passes on the restored state.  Run before the next other op (or the end
 * of the input), so on the very state each corruption was undone to -- consecutive
 * corrupt ops leave it as it was -- and not 2-3 full checks per corruption but 1-2. */
FUZZ_NOCOV static void recheck_restored(drv *d) {
    if (!d->restored)
        return;
    if (ga_pagealloc_check(&d->pa, d->why, sizeof d->why) != 0)
        fail(d, "corrupt: %s: after the exact bytes were restored: %s", d->restored, d->why);
    d->restored = NULL;
}

/* A destroyed pageAlloc (or one whose init failed) holds nothing and refuses every
 * request without an OS call: grow EINVAL, alloc 0 (no scavenged bytes), scavenge 0. */
static void check_dead(drv *d) {
    uint64_t calls = atomic_load(&d->os.calls);
    size_t scav = 1;
    int rc = ga_pagealloc_grow(&d->pa, (uintptr_t)page_addr(1000 * M_CHUNK_PAGES), (size_t)1 << GA_LOG_CHUNK_BYTES);
    uintptr_t a = ga_pagealloc_alloc(&d->pa, 1, &scav);
    size_t released = ga_pagealloc_scavenge(&d->pa, SIZE_MAX);
    a |= ga_pagealloc_alloc(&d->pa, 2, NULL); /* no scavenged-bytes output wanted */
    if (rc != EINVAL || a != 0 || scav != 0 || released != 0 || atomic_load(&d->os.calls) != calls)
        fail(d, "destroyed pageAlloc: grow = %d, alloc = %#lx (scav %zu), scavenge = %zu, %llu OS calls", rc,
             (unsigned long)a, scav, released, (unsigned long long)(atomic_load(&d->os.calls) - calls));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in;
    fi_init(&in, data, size);
    /* One driver state for the process, cleared for every input (its model's memory
     * and the snapshot buffer kept): fresh allocations faulted pages in every time.
     * pa is not cleared here: ga_pagealloc_init sets all of it (64 KiB, mostly the
     * chunk map) whatever it held. */
    static drv state;
    drv *d = &state;
    {
        mspace m = d->m;
        void *snap = d->snap;
        size_t snap_cap = d->snap_cap;
        memset(d, 0, offsetof(drv, pa));
        memset((char *)d + offsetof(drv, pa) + sizeof d->pa, 0, sizeof *d - offsetof(drv, pa) - sizeof d->pa);
        d->m = m;
        d->snap = snap;
        d->snap_cap = snap_cap;
        if (!m.c)
            ms_init(&d->m);
    }
    ga_os_hooks hooks = {0};
    hooks.reserve = hook_reserve;
    hooks.map = hook_map;
    hooks.used = hook_used;
    hooks.unused = hook_unused;
    hooks.release = hook_release;
    hooks.fault = hook_fault;
    hooks.ctx = d;
    ga_config cfg = {0};
    cfg.os = &hooks;
    uint8_t c0 = fi_u8(&in);
    if (c0 & 0x80) /* refuse one of init's OS calls */
        cfg.os_fail_nth = 1 + (c0 & 7);
    ga_os_init(&d->os, &cfg);
    d->opname = "init";
    if (fuzz_trace_on())
        fprintf(stderr, "pagealloc input of %zu bytes\n", size);
    int rc = ga_pagealloc_init(&d->pa, &d->os);
    if (rc != 0) {
        if (rc != ENOMEM || !cfg.os_fail_nth)
            fail(d, "ga_pagealloc_init = %d", rc);
        ga_pagealloc_destroy(&d->pa);
        check_dead(d);
        if (atomic_load(&d->os.reserved) || atomic_load(&d->os.mapped) || atomic_load(&d->os.ready))
            fail(d, "failed init left reserved %zu mapped %zu ready %zu", (size_t)atomic_load(&d->os.reserved),
                 (size_t)atomic_load(&d->os.mapped), (size_t)atomic_load(&d->os.ready));
        osm_check_empty(d);
        return 0;
    }
    d->os.fail_nth = 0;
    /* header bits 3-4: the scavenger's huge pages (as the heap sets them): none, 2 MiB,
     * 64 KiB (8 pages), 512 KiB (64 pages) */
    static const size_t huge[4] = {0, (size_t)2 << 20, (size_t)64 << 10, (size_t)512 << 10};
    d->pa.huge_page_bytes = huge[(c0 >> 3) & 3];
    check_state(d, true, true, false);

    bool op_trace = fuzz_trace_on();
    for (d->op = 1; d->op <= MAX_OPS && fi_left(&in) > 0; d->op++) {
        size_t start = in.pos;
        uint8_t b = fi_u8(&in);
        if (b == CORRUPT_OP_BYTE) { /* corrupt, check, restore (support/corrupt.h); among the first 64 ops */
            d->opname = "corrupt";
            const char *k = corrupt_pagealloc_op(&d->pa, &in, d->op <= 64, false);
            TRACE("corrupt %s\n", k ? k : "(none)");
            if (k)
                d->restored = k;
            FUZZ_OP_READ_CHECK("pagealloc_fuzz", "corrupt", FUZZ_CORRUPT_ARG_BYTES, start, &in);
            if (op_trace)
                trace_op(d, &in, start, k ? k : "corrupt (none)");
            continue;
        }
        recheck_restored(d);
        const pa_op *op = &ops[b % OP_NUM];
        d->opname = op->name;
        d->all = d->op % FULL_EVERY == 0;
        d->deep = d->op % DEEP_EVERY == 0;
        d->grew = false;
        d->substep = 0;
        op->run(d, &in);
        FUZZ_OP_READ_CHECK("pagealloc_fuzz", op->name, op->arg_bytes, start, &in);
        if (op_trace)
            trace_op(d, &in, start, op->name);
        check_state(d, d->all, d->deep, false);
    }
    d->opname = "end";
    recheck_restored(d);
    check_state(d, true, true, false);
    check_level0(d);
    ga_pagealloc_destroy(&d->pa);
    check_dead(d);
    /* The heap pages released through unused were never Ready in this OS's books
     * (nothing maps them), so `ready` ends exactly that much below zero. */
    if (atomic_load(&d->os.reserved) || atomic_load(&d->os.mapped) || atomic_load(&d->os.ready) + d->heap_unused != 0)
        fail(d, "destroy left reserved %zu mapped %zu ready %zu (+%llu released heap)",
             (size_t)atomic_load(&d->os.reserved), (size_t)atomic_load(&d->os.mapped),
             (size_t)atomic_load(&d->os.ready), (unsigned long long)d->heap_unused);
    osm_check_empty(d);
    ms_reset(&d->m);
    return 0;
}
