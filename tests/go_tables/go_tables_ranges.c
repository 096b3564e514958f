/* Replays of mranges_test.go: sets of address ranges (alloc/ranges.h).  Go's test
 * addresses are real; goalloc's ranges hold offset addresses (ga_off), whose order is
 * the order Go's offAddr comparisons give. */
#include <stdio.h>
#include <string.h>

#include "go_tables.h"

#if GA_GT_HAVE_RANGES
#include "ranges.h"

#define MAX_RANGES 256

/* Go's validateAddrRanges: the set holds exactly want, sorted, coalesced, disjoint,
 * and its byte total is theirs. */
static void validate(gt_ctx *c, const ga_addr_ranges *a, const char *wantv) {
    static uint64_t want[MAX_RANGES][3];
    size_t nw = gt_tokens(wantv, want, MAX_RANGES);
    if (!gt_check(c, a->n == nw, "%zu ranges, want %zu", a->n, nw))
        return;
    size_t total = 0;
    for (size_t i = 0; i < nw; i++) {
        const ga_addr_range *g = &a->ranges[i];
        total += want[i][1] - want[i][0];
        gt_check(c, g->base < g->limit, "range %zu is empty", i);
        gt_check(c, g->base == ga_off(want[i][0]) && g->limit == ga_off(want[i][1]),
                 "range %zu: [%#lx, %#lx) (offsets), want [%#llx, %#llx)", i, (unsigned long)g->base,
                 (unsigned long)g->limit, (unsigned long long)ga_off(want[i][0]),
                 (unsigned long long)ga_off(want[i][1]));
        if (i) {
            gt_check(c, g[-1].base < g->base, "ranges %zu and %zu out of order", i - 1, i);
            gt_check(c, g[-1].limit != g->base, "ranges %zu and %zu should have coalesced", i - 1, i);
            gt_check(c, g[-1].limit <= g->base, "ranges %zu and %zu overlap", i - 1, i);
        }
    }
    gt_check(c, a->total_bytes == total, "total bytes %zu, want %zu", a->total_bytes, total);
}

/* Rows: NewAddrRanges, then Add(r) and validateAddrRanges(want...) in the test's order. */
void replay_addr_ranges_add(gt_ctx *c, const gt_rec *r, size_t n) {
    ga_os os;
    ga_os_init(&os, NULL);
    ga_addr_ranges a;
    bool live = false;
    size_t nval = 0;
    char label[64];
    for (size_t k = 0; k < n; k++) {
        if (strcmp(r[k].name, "NewAddrRanges") == 0) {
            if (live)
                ga_addr_ranges_destroy(&a);
            live = gt_check(c, ga_addr_ranges_init(&a, &os) == 0, "ga_addr_ranges_init failed");
        } else if (!gt_check(c, live, "%s before NewAddrRanges", r[k].name)) {
            break;
        } else if (strcmp(r[k].name, "Add") == 0) {
            uint64_t t[2];
            gt_tuple(gt_get(&r[k], "r"), t, 2);
            int rc = ga_addr_ranges_add(&a, (ga_addr_range){ga_off(t[0]), ga_off(t[1])});
            gt_check(c, rc == 0, "add [%#llx, %#llx): %d", (unsigned long long)t[0], (unsigned long long)t[1], rc);
        } else if (strcmp(r[k].name, "validateAddrRanges") == 0) {
            snprintf(label, sizeof label, "validateAddrRanges #%zu", ++nval);
            c->sub = label;
            validate(c, &a, gt_get(&r[k], "want"));
            c->sub = NULL;
        } else {
            gt_check(c, false, "unknown row %s", r[k].name);
        }
    }
    if (live)
        ga_addr_ranges_destroy(&a);
}

/* Cases: a set made directly from ranges (Go's MakeAddrRanges builds the slice, no
 * Add); FindSucc(base) == expect. */
void replay_addr_ranges_find_succ(gt_ctx *c, const gt_rec *r, size_t n) {
    for (size_t k = 0; k < n; k++) {
        c->sub = r[k].name;
        static uint64_t t[MAX_RANGES][3];
        static ga_addr_range rs[MAX_RANGES];
        size_t nr = gt_tokens(gt_get(&r[k], "test.ranges"), t, MAX_RANGES), total = 0;
        for (size_t i = 0; i < nr; i++) {
            rs[i] = (ga_addr_range){ga_off(t[i][0]), ga_off(t[i][1])};
            total += t[i][1] - t[i][0];
        }
        ga_addr_ranges a = {.ranges = rs, .n = nr, .cap = nr, .total_bytes = total, .os = NULL};
        uint64_t base = gt_u64(&r[k], "test.base"), want = gt_u64(&r[k], "test.expect");
        size_t got = ga_addr_ranges_find_succ(&a, ga_off(base));
        gt_check(c, got == want, "FindSucc(%#llx) = %zu, want %llu", (unsigned long long)base, got,
                 (unsigned long long)want);
    }
}

#else /* alloc/ranges.h is not in this tree: these cases cannot be replayed */

void replay_addr_ranges_add(gt_ctx *c, const gt_rec *r, size_t n) {
    (void)r, (void)n;
    c->missing = "alloc/ranges.h";
}
void replay_addr_ranges_find_succ(gt_ctx *c, const gt_rec *r, size_t n) {
    (void)r, (void)n;
    c->missing = "alloc/ranges.h";
}

#endif
