/* go_tables: replays the cases that tools/gotables extracted from Go 1.19's runtime
 * tests against goalloc.  Usage: go_tables CASES_FILE
 *
 * Prints one summary line per Go test function:
 *   GT TestX subtests=N rows=M checks=K failed=F [missing=API]
 * (subtests: its t.Run cases; rows: its intercepted helper calls), FAIL lines for every
 * mismatch, and exits 1 when a check failed, a function was not replayed (its API is
 * not built) or an expected function is absent from the file; 2 on a broken file. */
#include "go_tables.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagealloc_impl.h"

uint64_t gt_phys_page_size, gt_huge_page_bytes, gt_base_chunk;


static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "go_tables: broken cases file: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

bool gt_check(gt_ctx *c, bool ok, const char *fmt, ...) {
    c->checks++;
    if (ok)
        return true;
    c->failed++;
    if (c->failed <= 20) { /* per function: the first ones tell the story */
        va_list ap;
        va_start(ap, fmt);
        printf("FAIL %s%s%s: ", c->func, c->sub ? "/" : "", c->sub ? c->sub : "");
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
    }
    return false;
}

/* ---- fields ------------------------------------------------------------------------ */

static const char *vget(const gt_rec *r, const char *fmt, va_list ap) {
    char path[256];
    vsnprintf(path, sizeof path, fmt, ap);
    for (size_t i = 0; i < r->nf; i++)
        if (strcmp(r->f[i].path, path) == 0)
            return r->f[i].val;
    return NULL;
}

const char *gt_get(const gt_rec *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const char *v = vget(r, fmt, ap);
    va_end(ap);
    return v;
}

static uint64_t num(const char *s, const char **end) {
    char *e;
    errno = 0;
    if (*s == '-')
        die("negative number '%s'", s);
    uint64_t v = strtoull(s, &e, 0);
    if (e == s || errno)
        die("bad number '%s'", s);
    *end = e;
    return v;
}

uint64_t gt_u64(const gt_rec *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const char *v = vget(r, fmt, ap);
    va_end(ap);
    if (!v)
        die("%s %s: missing field %s", r->is_case ? "case" : "row", r->name, fmt);
    const char *e;
    uint64_t x = num(v, &e);
    if (*e)
        die("%s %s: field %s is not one number: '%s'", r->is_case ? "case" : "row", r->name, fmt, v);
    return x;
}

size_t gt_len(const gt_rec *r, const char *fmt, ...) {
    char path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path - 1, fmt, ap);
    va_end(ap);
    strcat(path, "#");
    const char *v = gt_get(r, "%s", path);
    if (!v)
        return 0;
    const char *e;
    uint64_t x = num(v, &e);
    if (*e)
        die("count %s: '%s'", path, v);
    return (size_t)x;
}

size_t gt_tokens(const char *val, uint64_t (*out)[3], size_t max) {
    size_t n = 0;
    const char *s = val;
    for (;;) {
        while (*s == ' ')
            s++;
        if (!*s)
            return n;
        if (n == max)
            die("more than %zu tokens in '%s'", max, val);
        out[n][0] = out[n][1] = out[n][2] = 0;
        for (int k = 0;; k++) {
            if (k == 3)
                die("token with more than 3 parts in '%s'", val);
            out[n][k] = num(s, &s);
            if (*s != ':')
                break;
            s++;
        }
        if (*s && *s != ' ')
            die("bad token in '%s'", val);
        n++;
    }
}

void gt_tuple(const char *val, uint64_t *out, size_t k) {
    const char *s = val;
    for (size_t i = 0; i < k; i++) {
        out[i] = num(s, &s);
        if (i + 1 < k && *s++ != ':')
            die("expected %zu colon-joined numbers: '%s'", k, val);
    }
    if (*s)
        die("expected %zu colon-joined numbers: '%s'", k, val);
}

void gt_bits_from_ranges(uint64_t b[GA_PALLOC_WORDS], const char *val) {
    uint64_t t[GA_CHUNK_PAGES][3];
    size_t n = gt_tokens(val, t, GA_CHUNK_PAGES);
    memset(b, 0, GA_PALLOC_WORDS * sizeof b[0]);
    for (size_t i = 0; i < n; i++) {
        if (t[i][0] + t[i][1] > GA_CHUNK_PAGES)
            die("bit range %llu:%llu beyond a chunk", (unsigned long long)t[i][0], (unsigned long long)t[i][1]);
        for (uint64_t j = t[i][0]; j < t[i][0] + t[i][1]; j++)
            b[j / 64] |= (uint64_t)1 << (j % 64);
    }
}

void gt_chunkmap_read(const gt_rec *r, const char *path, gt_chunkmap *m) {
    size_t pl = strlen(path);
    m->n = 0;
    for (size_t i = 0; i < r->nf; i++) {
        const char *p = r->f[i].path;
        if (strncmp(p, path, pl) != 0 || p[pl] != '{')
            continue;
        const char *e;
        uint64_t ci = num(p + pl + 1, &e);
        if (strcmp(e, "}") != 0)
            die("bad map key in %s", p);
        if (m->n == GT_MAX_CHUNKS)
            die("more than %d chunks in %s", GT_MAX_CHUNKS, path);
        if (m->n && m->c[m->n - 1].ci >= ci)
            die("map keys of %s out of order", path);
        m->c[m->n].ci = ci;
        gt_bits_from_ranges(m->c[m->n].bits, r->f[i].val);
        m->n++;
    }
    if (m->n != gt_len(r, "%s", path))
        die("%s: %zu entries read, %zu announced", path, m->n, gt_len(r, "%s", path));
}

const uint64_t *gt_chunkmap_find(const gt_chunkmap *m, uint64_t ci) {
    for (size_t i = 0; i < m->n; i++)
        if (m->c[i].ci == ci)
            return m->c[i].bits;
    return NULL;
}

/* ---- a pageAlloc in a given state -------------------------------------------------- */

/* Calls f(e, chunk, i, n) for every maximal run [i, i+n) of set bits of b. */
static void runs(gt_pa *e, uint64_t ci, const uint64_t *b, void (*f)(gt_pa *, uint64_t, uint32_t, uint32_t)) {
    uint32_t i = 0;
    while (i < GA_CHUNK_PAGES) {
        if (!(b[i / 64] >> (i % 64) & 1)) {
            i++;
            continue;
        }
        uint32_t j = i;
        while (j < GA_CHUNK_PAGES && (b[j / 64] >> (j % 64) & 1))
            j++;
        f(e, ci, i, j - i);
        i = j;
    }
}

static void unscavenge(gt_pa *e, uint64_t ci, uint32_t i, uint32_t n) {
    /* a page allocated then freed is free and not scavenged (pagealloc.h) */
    ga_pagealloc_alloc_at(&e->pa, gt_page_base(ci, i), n);
    ga_pagealloc_free(&e->pa, gt_page_base(ci, i), n);
}

static void allocate(gt_pa *e, uint64_t ci, uint32_t i, uint32_t n) {
    ga_pagealloc_alloc_at(&e->pa, gt_page_base(ci, i), n);
}

bool gt_pa_new(gt_ctx *c, gt_pa *e, const gt_chunkmap *chunks, const gt_chunkmap *scav) {
    ga_testos_init(&e->tos);
    e->tos.fake_unused = 1;
    ga_config cfg = {0};
    cfg.os = &e->tos.hooks;
    ga_os_init(&e->os, &cfg);
    if (!gt_check(c, ga_pagealloc_init(&e->pa, &e->os) == 0, "ga_pagealloc_init failed"))
        return false;
    /* Chunk by chunk as NewPageAlloc does (Go's order is a map's, random: the state
     * reached does not depend on it).  grow leaves the chunk free and scavenged. */
    for (size_t k = 0; k < chunks->n; k++) {
        uint64_t ci = chunks->c[k].ci;
        int rc = ga_pagealloc_grow(&e->pa, gt_page_base(ci, 0), GA_CHUNK_BYTES);
        if (!gt_check(c, rc == 0, "grow chunk %#llx: %d", (unsigned long long)ci, rc))
            return false;
        uint64_t unscav[GA_PALLOC_WORDS];
        const uint64_t *s = scav ? gt_chunkmap_find(scav, ci) : NULL;
        for (unsigned w = 0; w < GA_PALLOC_WORDS; w++)
            unscav[w] = s ? ~s[w] : ~(uint64_t)0;
        runs(e, ci, unscav, unscavenge);
        runs(e, ci, chunks->c[k].bits, allocate);
    }
    return gt_pa_sound(c, e, "after NewPageAlloc");
}

void gt_pa_free(gt_pa *e) { ga_pagealloc_destroy(&e->pa); }

bool gt_pa_sound(gt_ctx *c, gt_pa *e, const char *when) {
    char why[256];
    int rc = ga_pagealloc_check(&e->pa, why, sizeof why);
    return gt_check(c, rc == 0, "ga_pagealloc_check %s: %s", when, rc ? why : "");
}

bool gt_pa_compare(gt_ctx *c, gt_pa *e, const gt_chunkmap *alloc, const gt_chunkmap *scav) {
    const ga_pagealloc *p = &e->pa;
    uint64_t ws = alloc->n ? alloc->c[0].ci : 0, we = alloc->n ? alloc->c[alloc->n - 1].ci + 1 : 0;
    if (!gt_check(c, p->start == ws && p->end == we, "bounds [%#llx, %#llx), want [%#llx, %#llx)",
                  (unsigned long long)p->start, (unsigned long long)p->end, (unsigned long long)ws,
                  (unsigned long long)we))
        return false;
    bool ok = true;
    for (uint64_t ci = p->start; ci < p->end; ci++) {
        if (!p->chunks[ci >> GA_CHUNKS_L2_BITS]) { /* a whole L2 block never grown */
            uint64_t next = ((ci >> GA_CHUNKS_L2_BITS) + 1) << GA_CHUNKS_L2_BITS;
            for (size_t k = 0; k < alloc->n; k++)
                if (alloc->c[k].ci >= ci && alloc->c[k].ci < next)
                    ok = gt_check(c, false, "chunk %#llx has no bitmap", (unsigned long long)alloc->c[k].ci) && ok;
            ci = next - 1;
            continue;
        }
        const ga_pallocdata *d = ga_pagealloc_chunk(p, ci);
        const uint64_t *a = gt_chunkmap_find(alloc, ci), *s = a && scav ? gt_chunkmap_find(scav, ci) : NULL;
        for (unsigned w = 0; w < GA_PALLOC_WORDS; w++) {
            uint64_t wa = a ? a[w] : 0, wsc = s ? s[w] & ~wa : 0;
            ok = gt_check(c, d->alloc[w] == wa, "chunk %#llx alloc word %u: %016llx, want %016llx",
                          (unsigned long long)ci, w, (unsigned long long)d->alloc[w], (unsigned long long)wa) &&
                 ok;
            ok = gt_check(c, d->scav[w] == wsc, "chunk %#llx scavenged word %u: %016llx, want %016llx",
                          (unsigned long long)ci, w, (unsigned long long)d->scav[w], (unsigned long long)wsc) &&
                 ok;
        }
    }
    return gt_pa_sound(c, e, "at the end") && ok;
}

/* ---- the cases file ------------------------------------------------------------------ */

static const struct {
    const char *name;
    gt_replay_fn *fn;
} funcs[] = {
    {"TestPallocBitsAllocRange", replay_pallocbits_alloc_range},
    {"TestMallocBitsPopcntRange", replay_popcnt_range},
    {"TestPallocBitsSummarize", replay_summarize},
    {"TestPallocBitsAlloc", replay_pallocbits_alloc},
    {"TestPallocBitsFree", replay_pallocbits_free},
    {"TestFindBitRange64", replay_find_bit_range64},
    {"TestPageAllocGrow", replay_pagealloc_grow},
    {"TestPageAllocAlloc", replay_pagealloc_alloc},
    {"TestPageAllocExhaust", replay_pagealloc_exhaust},
    {"TestPageAllocFree", replay_pagealloc_free},
    {"TestPageAllocAllocAndFree", replay_pagealloc_alloc_and_free},
    {"TestPageCacheAlloc", replay_pagecache_alloc},
    {"TestPageCacheFlush", replay_pagecache_flush},
    {"TestPageAllocAllocToCache", replay_alloc_to_cache},
    {"TestFillAligned", replay_fill_aligned},
    {"TestPallocDataFindScavengeCandidate", replay_find_scavenge_candidate},
    {"TestPageAllocScavenge", replay_pagealloc_scavenge},
    {"TestScavengeIndex", replay_scavenge_index},
    {"TestAddrRangesAdd", replay_addr_ranges_add},
    {"TestAddrRangesFindSucc", replay_addr_ranges_find_succ},
};
#define NFUNCS (sizeof funcs / sizeof funcs[0])

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "go_tables: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf)
        die("out of memory");
    buf[len] = 0;
    return buf;
}

static void check_const(const char *name, uint64_t v) {
    static const struct {
        const char *name;
        uint64_t want;
    } ours[] = {
        {"PageSize", GA_PAGE_SIZE}, {"PallocChunkPages", GA_CHUNK_PAGES}, {"ArenaBaseOffset", GA_ARENA_BASE_OFFSET}};
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        if (strcmp(name, ours[i].name) == 0 && v != ours[i].want) {
            printf("FAIL constant %s: Go %#llx, goalloc %#llx\n", name, (unsigned long long)v,
                   (unsigned long long)ours[i].want);
            exit(1);
        }
    if (strcmp(name, "PhysPageSize") == 0)
        gt_phys_page_size = v;
    else if (strcmp(name, "PhysHugePageSize") == 0)
        gt_huge_page_bytes = v;
    else if (strcmp(name, "BaseChunkIdx") == 0)
        gt_base_chunk = v;
}

static int status;
static size_t total_sub;

/* Replays the records [r, r + n) of function fi and prints its summary line. */
static void replay(int fi, const gt_rec *r, size_t n) {
    gt_ctx c = {.func = funcs[fi].name};
    size_t subs = 0, rows = 0;
    for (size_t i = 0; i < n; i++)
        r[i].is_case ? subs++ : rows++;
    funcs[fi].fn(&c, r, n);
    total_sub += subs;
    printf("GT %s subtests=%zu rows=%zu checks=%zu failed=%zu%s%s\n", c.func, subs, rows, c.checks, c.failed,
           c.missing ? " missing=" : "", c.missing ? c.missing : "");
    if (c.failed || c.missing || c.checks == 0)
        status = 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: go_tables CASES_FILE\n");
        return 2;
    }
    char *text = slurp(argv[1]);
    size_t nlines = 1;
    for (char *s = text; *s; s++)
        nlines += *s == '\n';
    gt_field *fields = calloc(nlines, sizeof *fields);
    gt_rec *recs = calloc(nlines, sizeof *recs);
    if (!fields || !recs)
        die("out of memory");
    size_t nf = 0, nr = 0;
    bool seen[NFUNCS] = {false};
    int fi = -1;   /* function being read */
    size_t r0 = 0; /* its first record */
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            die("last line not terminated: '%s'", line);
        *nl = 0;
        if (strncmp(line, "func ", 5) == 0) {
            if (fi >= 0)
                replay(fi, recs + r0, nr - r0);
            fi = -1;
            for (size_t k = 0; k < NFUNCS; k++)
                if (strcmp(line + 5, funcs[k].name) == 0)
                    fi = (int)k;
            if (fi < 0)
                die("unknown function %s", line + 5);
            if (seen[fi])
                die("function %s twice", line + 5);
            seen[fi] = true;
            r0 = nr;
        } else if (strncmp(line, "const ", 6) == 0) {
            char *sp = strchr(line + 6, ' ');
            const char *e;
            if (!sp)
                die("bad line '%s'", line);
            *sp = 0;
            uint64_t v = num(sp + 1, &e);
            if (*e)
                die("bad constant '%s'", sp + 1);
            check_const(line + 6, v);
        } else if (strncmp(line, "case ", 5) == 0 || strncmp(line, "row ", 4) == 0) {
            if (fi < 0)
                die("record outside a function: '%s'", line);
            recs[nr] = (gt_rec){line[0] == 'c', line + (line[0] == 'c' ? 5 : 4), fields + nf, 0};
            nr++;
        } else if (*line) {
            if (fi < 0 || nr == r0)
                die("field outside a record: '%s'", line);
            char *sp = strchr(line, ' ');
            fields[nf].path = line;
            fields[nf].val = "";
            if (sp) {
                *sp = 0;
                fields[nf].val = sp + 1;
            }
            nf++;
            recs[nr - 1].nf++;
        }
    }
    if (fi >= 0)
        replay(fi, recs + r0, nr - r0);
    for (size_t k = 0; k < NFUNCS; k++)
        if (!seen[k]) {
            printf("FAIL %s: no cases in the file\n", funcs[k].name);
            status = 1;
        }
    printf("GT total subtests=%zu result=%s\n", total_sub, status ? "FAIL" : "PASS");
    free(fields);
    free(recs);
    free(text);
    return status;
}
