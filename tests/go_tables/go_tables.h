/* go_tables: Go 1.19's own page-allocator test cases, extracted by tools/gotables,
 * replayed against goalloc (README.md in this directory).
 *
 * The cases file is a list of records per Go test function (tools/gotables/stub/emit):
 * a `case NAME` record per subtest (t.Run), a `row CALLEE` record per call of an
 * intercepted helper; each record's fields are `PATH VALUE...` lines.  Every replay_*
 * function below gets one Go test function's records and replays them, in the way that
 * Go test function uses its cases, reporting every mismatch through gt_check. */
#ifndef GA_GO_TABLES_H
#define GA_GO_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "pagealloc.h"
#include "pallocbits.h"
#include "support/testos.h"

#define GT_NONE (~(uint64_t)0) /* Go's ^uint(0) / ^uintptr(0) */

typedef struct gt_field {
    const char *path, *val; /* val: the rest of the line, maybe "" */
} gt_field;

typedef struct gt_rec {
    bool is_case; /* case (subtest) or row (helper call) */
    const char *name;
    const gt_field *f;
    size_t nf;
} gt_rec;

typedef struct gt_ctx {
    const char *func, *sub; /* Go test function; current subtest/row label (for messages) */
    size_t checks, failed;
    const char *missing; /* set when the API this function needs is not built: not replayed */
} gt_ctx;

/* Platform values the extractor printed (its `const` lines). */
extern uint64_t gt_phys_page_size, gt_huge_page_bytes, gt_base_chunk;

/* Counts a check; on failure prints "FAIL func/sub: message" and returns false. */
bool gt_check(gt_ctx *c, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The value of field PATH (printf-formatted) of r, or NULL when absent. */
const char *gt_get(const gt_rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, required and one number; a missing or malformed field is a broken cases
 * file: the program stops (exit 2). */
uint64_t gt_u64(const gt_rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Element count of a map or non-scalar slice field (PATH#); 0 when absent. */
size_t gt_len(const gt_rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses the whitespace-separated tokens of val, each 1..3 colon-joined numbers, into
 * out[i][0..2]; returns the token count (at most max; more is a broken file). */
size_t gt_tokens(const char *val, uint64_t (*out)[3], size_t max);
/* One token of exactly k numbers (e.g. a BitRange "I:N"). */
void gt_tuple(const char *val, uint64_t *out, size_t k);

/* Bitmap of a []BitRange: bits [I, I+N) of every range set (Go's makePallocBits). */
void gt_bits_from_ranges(uint64_t b[GA_PALLOC_WORDS], const char *val);

/* A map[ChunkIdx][]BitRange field, as the bitmap of each key in ascending key order. */
typedef struct gt_chunk {
    uint64_t ci;
    uint64_t bits[GA_PALLOC_WORDS];
} gt_chunk;
#define GT_MAX_CHUNKS 72
typedef struct gt_chunkmap {
    size_t n;
    gt_chunk c[GT_MAX_CHUNKS];
} gt_chunkmap;
void gt_chunkmap_read(const gt_rec *r, const char *path, gt_chunkmap *m);
const uint64_t *gt_chunkmap_find(const gt_chunkmap *m, uint64_t ci); /* NULL if absent */

/* A pageAlloc in the state of Go's NewPageAlloc(chunks, scav): every chunk of `chunks`
 * grown, its pages allocated as given, scavenged as given in `scav` (NULL = none) except
 * where allocated.  The managed ranges are never mapped (the test OS records `unused`). */
typedef struct gt_pa {
    ga_testos tos;
    ga_os os;
    ga_pagealloc pa;
} gt_pa;
bool gt_pa_new(gt_ctx *c, gt_pa *e, const gt_chunkmap *chunks, const gt_chunkmap *scav);
void gt_pa_free(gt_pa *e);
/* Go's checkPageAlloc(want, got) with want = NewPageAlloc(alloc, scav): the same chunk
 * bounds, and for every chunk between them the same allocation and scavenged bitmaps;
 * and goalloc's own invariant walk (ga_pagealloc_check). */
bool gt_pa_compare(gt_ctx *c, gt_pa *e, const gt_chunkmap *alloc, const gt_chunkmap *scav);
/* goalloc's invariant walk alone. */
bool gt_pa_sound(gt_ctx *c, gt_pa *e, const char *when);

/* Real address of page `page` of chunk ci (Go's PageBase). */
static inline uintptr_t gt_page_base(uint64_t ci, uint64_t page) {
    return ga_unoff((uintptr_t)ci << GA_LOG_CHUNK_BYTES) + (uintptr_t)page * GA_PAGE_SIZE;
}

typedef void gt_replay_fn(gt_ctx *c, const gt_rec *r, size_t n);

/* go_tables_pallocbits.c */
gt_replay_fn replay_pallocbits_alloc_range, replay_popcnt_range, replay_summarize, replay_pallocbits_alloc,
    replay_pallocbits_free, replay_find_bit_range64;
/* go_tables_pagealloc.c */
gt_replay_fn replay_pagealloc_grow, replay_pagealloc_alloc, replay_pagealloc_exhaust, replay_pagealloc_free,
    replay_pagealloc_alloc_and_free, replay_pagealloc_scavenge;
/* go_tables_pagecache.c (alloc/pagecache.h) */
gt_replay_fn replay_pagecache_alloc, replay_pagecache_flush, replay_alloc_to_cache;
/* go_tables_ranges.c (alloc/ranges.h) */
gt_replay_fn replay_addr_ranges_add, replay_addr_ranges_find_succ;
/* go_tables_scav.c (ga_fill_aligned, ga_pallocdata_find_scavenge_candidate, alloc/scavindex.h) */
gt_replay_fn replay_fill_aligned, replay_find_scavenge_candidate, replay_scavenge_index;

#endif
