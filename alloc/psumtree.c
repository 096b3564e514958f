/* The summary tree's array steps (Go's pageAlloc.update and find): see psumtree.h.
 *
 * Each function is one loop with an ACSL contract proved by Frama-C WP (ci/prove; logic
 * in spec/psum.h and spec/psumtree.h).  update's level step is stated on the summaries'
 * values (an entry is merge8 of its children: P3); find's level step on the pages the
 * summaries describe (the region of spec/psum.h: pages of the chunk bitmaps in memory);
 * that one is not proved yet (proofs/wip/find-level.patch). */
#include "psumtree.h"

#include "../spec/psumtree.h"

/*@ requires 9 <= log_n <= 18;
    requires lo <= hi < 0x800000;
    requires \valid(sum + (lo .. hi));
    requires \valid_read(child + (8 * lo .. 8 * hi + 7));
    requires \base_addr(sum) != \base_addr(child); // two levels: two reservations
    requires \forall integer j; 8 * lo <= j <= 8 * hi + 7 ==> psum_wf(child[j], 1 << log_n);
    assigns sum[lo .. hi];
    ensures merged: \forall integer i; lo <= i <= hi ==> mfrom{Post, Pre}(sum, child, i, log_n);
    ensures wf: \forall integer i; lo <= i <= hi ==> psum_wf(sum[i], 8 * (1 << log_n));
    ensures same: \result == 0 ==> \forall integer i; lo <= i <= hi ==> sum[i] == \old(sum[i]);
    ensures diff: \result != 0 ==> \exists integer i; lo <= i <= hi && sum[i] != \old(sum[i]); */
int ga_psumtree_merge_level(ga_psum *sum, const ga_psum *child, uintptr_t lo, uintptr_t hi, uint32_t log_n) {
    int changed = 0;
    /*@ loop invariant lo <= i <= hi + 1;
        loop invariant kept: \forall integer j; 8 * lo <= j <= 8 * hi + 7 ==> child[j] == \at(child[j], Pre);
        loop invariant done: \forall integer k; lo <= k < i ==> mfrom{Here, Pre}(sum, child, k, log_n);
        loop invariant wf: \forall integer k; lo <= k < i ==> psum_wf(sum[k], 8 * (1 << log_n));
        loop invariant rest: \forall integer k; i <= k <= hi ==> sum[k] == \at(sum[k], Pre);
        loop invariant same: changed == 0 ==> \forall integer k; lo <= k < i ==> sum[k] == \at(sum[k], Pre);
        loop invariant diff: changed != 0 ==> \exists integer k; lo <= k < i && sum[k] != \at(sum[k], Pre);
        loop assigns i, changed, sum[lo .. hi];
        loop variant hi + 1 - i; */
    for (uintptr_t i = lo; i <= hi; i++) {
        /* (the merge's ghost region is not needed here: this step is stated on values) */
        ga_psum x = ga_psum_merge(&child[8 * i], log_n) /*@ ghost (NULL, 0) */;
        /*@ assert \let k = i; x == merge8(\at(child[8 * k], Pre), \at(child[8 * k + 1], Pre),
                \at(child[8 * k + 2], Pre), \at(child[8 * k + 3], Pre), \at(child[8 * k + 4], Pre),
                \at(child[8 * k + 5], Pre), \at(child[8 * k + 6], Pre), \at(child[8 * k + 7], Pre), log_n); */
        if (x != sum[i]) {
            sum[i] = x;
            changed = 1;
        }
        /*@ assert \let k = i; mfrom{Here, Pre}(sum, child, k, log_n); */
    }
    return changed;
}

/* e[j] == 0: the last index before the next possibly non-zero entry below jend,
 * skipping zero entries 8 at a time (the root level of a scattered heap has long
 * stretches of them). */
/*@ requires j < jend && jend <= 16384 && \valid_read(e + (j .. jend - 1));
    assigns \nothing;
    ensures j <= \result < jend;
    ensures \forall integer k; j < k <= \result ==> e[k] == 0; */
static uintptr_t skip_zero(const ga_psum *e, uintptr_t j, uintptr_t jend) {
    /*@ loop invariant \at(j, Pre) <= j < jend;
        loop invariant \forall integer k; \at(j, Pre) < k <= j ==> e[k] == 0;
        loop assigns j;
        loop variant jend - j; */
    while (jend - j > 8 && (e[j + 1] | e[j + 2] | e[j + 3] | e[j + 4] | e[j + 5] | e[j + 6] | e[j + 7] | e[j + 8]) == 0)
        j += 8;
    return j;
}

/* One level of find (no contract yet: its level-step proof is unfinished, kept in
 * proofs/wip/find-level.patch; the fuzzers' models check it).  Scans entries j0..jend-1
 * of one level, each describing 2^lp pages: FOUND with *at the first page of the
 * lowest run of npages free pages that crosses entries (or ends in one), DESCEND with
 * *at the lowest entry whose max fits npages, NONE; *first is the first non-zero entry. */
int ga_psumtree_find_level(const ga_psum *e, uintptr_t j0, uintptr_t jend, unsigned lp, uintptr_t npages, uintptr_t *at,
                           uintptr_t *first) {
    uintptr_t full = (uintptr_t)1 << lp;
    uintptr_t run = 0;  /* the free run ending at entry j's first page (from entry j0 on) */
    uintptr_t f = jend; /* the first non-zero entry */
    uintptr_t j;
    for (j = j0; j < jend; j++) {
        ga_psum s = e[j];
        if (s == 0) { /* nothing free in entry j (nor in the zero entries after it) */
            run = 0;
            j = skip_zero(e, j, jend);
            continue;
        }
        if (f == jend)
            f = j;
        uintptr_t st = ga_psum_start(s);
        if (run + st >= npages) { /* a run ending in entry j: from run pages before it */
            *at = j * full - run;
            *first = f;
            return GA_PSUMTREE_FOUND;
        }
        if (ga_psum_max(s) >= npages) { /* a run inside entry j */
            *at = j;
            *first = f;
            return GA_PSUMTREE_DESCEND;
        }
        if (run == 0 || st < full) /* the run is cut in entry j: the next starts at its end */
            run = ga_psum_end(s);
        else /* entry j is all free */
            run += full;
    }
    *first = f;
    return GA_PSUMTREE_NONE;
}
