/* Replays of mgcscavenge_test.go's bitmap and index tests: fillAligned, the scavenge
 * candidate search of one chunk (alloc/pallocbits.h) and the scavenge index
 * (alloc/scavindex.h).  TestPageAllocScavenge is in go_tables_pagealloc.c. */
#include <stdio.h>
#include <string.h>

#include "go_tables.h"

#if GA_GT_HAVE_SCAV_BITS

/* Go's fillAlignedSlow, the reference: every m-aligned group of m bits with a bit set
 * becomes all ones. */
static uint64_t fill_aligned_slow(uint64_t x, unsigned m) {
    if (m == 1)
        return x;
    uint64_t out = 0, group = m == 64 ? ~(uint64_t)0 : ((uint64_t)1 << m) - 1;
    for (unsigned i = 0; i < 64; i += m)
        for (unsigned j = 0; j < m; j++)
            if (x >> (i + j) & 1) {
                out |= group << i;
                break;
            }
    return out;
}

/* Rows check(x, m): fillAligned(x, m) equals the slow reference (most x are random:
 * math/rand with its default seed, as Go draws them). */
void replay_fill_aligned(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        uint64_t x = gt_u64(&r[k], "x");
        unsigned m = (unsigned)gt_u64(&r[k], "m");
        uint64_t got = ga_fill_aligned(x, m), want = fill_aligned_slow(x, m);
        gt_check(c, got == want, "fillAligned(%016llx, %u) = %016llx, want %016llx", (unsigned long long)x, m,
                 (unsigned long long)got, (unsigned long long)want);
    }
}

/* Cases: a chunk with alloc ranges allocated and scavenged ranges marked scavenged
 * (Go's makePallocData: in that order, without clearing either); the candidate found
 * from the top page with (min, max) is want (any start when both sizes are 0). */
void replay_find_scavenge_candidate(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        ga_pallocdata d;
        gt_bits_from_ranges(d.alloc, gt_get(&r[k], "v.alloc") ? gt_get(&r[k], "v.alloc") : "");
        gt_bits_from_ranges(d.scav, gt_get(&r[k], "v.scavenged") ? gt_get(&r[k], "v.scavenged") : "");
        uint64_t want[2];
        gt_tuple(gt_get(&r[k], "v.want"), want, 2);
        size_t min = gt_u64(&r[k], "v.min"), max = gt_u64(&r[k], "v.max");
        uint32_t start = 0;
        uint32_t size =
            ga_pallocdata_find_scavenge_candidate(&d, GA_CHUNK_PAGES - 1, min, max, gt_huge_page_bytes, &start);
        gt_check(c, (size == 0 && want[1] == 0) || (start == want[0] && size == want[1]),
                 "candidate {%u %u}, want {%llu %llu} (min %zu, max %zu)", start, size, (unsigned long long)want[0],
                 (unsigned long long)want[1], min, max);
    }
}

#else /* ga_fill_aligned and ga_pallocdata_find_scavenge_candidate are not in this tree */

static void missing_bits(gt_ctx *c, const gt_rec *r, size_t n) {
    (void)r, (void)n;
    c->missing = "ga_fill_aligned/ga_pallocdata_find_scavenge_candidate";
}
void replay_fill_aligned(gt_ctx *c, const gt_rec *r, size_t n) { missing_bits(c, r, n); }
void replay_find_scavenge_candidate(gt_ctx *c, const gt_rec *r, size_t n) { missing_bits(c, r, n); }

#endif

#if GA_GT_HAVE_SCAVINDEX
#include "scavindex.h"

/* Cases, each with rows: NewScavengeIndex(min, max) (chunk indexes), mark(base,
 * limit) (real addresses), find(want, wantOffset): find returns chunk want (0 = none)
 * and that chunk is then cleared.  Go's find helper compares the chunk twice and never
 * the page offset (a slip in the test); the offset is checked here as well. */
void replay_scavenge_index(gt_ctx *c, const gt_rec *r, size_t n) {
    ga_os os;
    ga_os_init(&os, NULL);
    ga_scav_index s;
    bool live = false;
    for (size_t k = 0; k < n; k++) {
        if (r[k].is_case) {
            c->sub = r[k].name;
            continue;
        }
        if (strcmp(r[k].name, "NewScavengeIndex") == 0) {
            if (live)
                ga_scav_index_destroy(&s);
            live = gt_check(c, ga_scav_index_init(&s, &os) == 0, "ga_scav_index_init failed");
            uint64_t lo = gt_u64(&r[k], "min"), hi = gt_u64(&r[k], "max");
            live = live && gt_check(c, ga_scav_index_grow(&s, gt_page_base(lo, 0), gt_page_base(hi, 0)) == 0,
                                    "ga_scav_index_grow failed");
        } else if (!gt_check(c, live, "%s without an index", r[k].name)) {
            continue;
        } else if (strcmp(r[k].name, "mark") == 0) {
            ga_scav_index_mark(&s, gt_u64(&r[k], "base"), gt_u64(&r[k], "limit"));
        } else if (strcmp(r[k].name, "find") == 0) {
            uint64_t want = gt_u64(&r[k], "want"), woff = gt_u64(&r[k], "wantOffset");
            uint32_t off = 0;
            uintptr_t got = ga_scav_index_find(&s, &off);
            gt_check(c, got == want, "find: chunk %#lx, want %#llx", (unsigned long)got, (unsigned long long)want);
            gt_check(c, want == 0 || off == woff, "find: page offset %u, want %llu (not checked by Go's test)", off,
                     (unsigned long long)woff);
            /* Go's helper clears chunk 0 after a failed find too: a no-op in Go (chunk 0's
             * bit is never set), outside ga_scav_index_clear's contract (grown chunks) */
            if (got != 0)
                ga_scav_index_clear(&s, got);
        } else {
            gt_check(c, false, "unknown row %s", r[k].name);
        }
    }
    if (live)
        ga_scav_index_destroy(&s);
}

#else /* alloc/scavindex.h is not in this tree */

void replay_scavenge_index(gt_ctx *c, const gt_rec *r, size_t n) {
    (void)r, (void)n;
    c->missing = "alloc/scavindex.h";
}

#endif
