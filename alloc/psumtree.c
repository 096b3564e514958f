/* The summary tree's array steps (Go's pageAlloc.update and find): see psumtree.h.
 *
 * Each function is one loop with an ACSL contract proved by Frama-C WP (ci/prove; logic
 * in spec/psum.h and spec/psumtree.h).  update's level step is stated on the summaries'
 * values (an entry is merge8 of its children: P3); find's level step on the pages the
 * summaries describe (the region of spec/psum.h: pages of the chunk bitmaps in memory)
 * is in psumfind.c until its proof is finished (proofs/wip/find-level.patch). */
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
