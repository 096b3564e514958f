/* The summary tree's update and find's level step (Go's pageAlloc.update and find): see
 * psumtree.h.
 *
 * Every function has an ACSL contract proved by Frama-C WP (ci/prove; logic in
 * spec/psum.h and spec/psumtree.h) and at most one loop.  update's levels are stated on
 * the summaries' values (an entry is merge8 of its children: P3), its leaves and find's
 * level step on the pages the summaries describe (the region of spec/psum.h: the pages
 * of the chunk bitmaps in memory). */
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
    ensures merged_now: \forall integer i; lo <= i <= hi ==> mfrom{Post, Post}(sum, child, i, log_n);
    ensures wf: \forall integer i; lo <= i <= hi ==> psum_wf(sum[i], 8 * (1 << log_n));
    ensures same: \result == 0 ==> \forall integer i; lo <= i <= hi ==> sum[i] == \old(sum[i]);
    ensures diff: \result != 0 ==> \exists integer i; lo <= i <= hi && sum[i] != \old(sum[i]); */
int ga_psumtree_merge_level(ga_psum *sum, const ga_psum *child, uintptr_t lo, uintptr_t hi, uint32_t log_n) {
    int changed = 0;
    /*@ loop invariant lo <= i <= hi + 1;
        loop invariant kept: \forall integer j; 8 * lo <= j <= 8 * hi + 7 ==> child[j] == \at(child[j], Pre);
        loop invariant done: \forall integer k; lo <= k < i ==> mfrom{Here, Pre}(sum, child, k, log_n);
        loop invariant done_now: \forall integer k; lo <= k < i ==> mfrom{Here, Here}(sum, child, k, log_n);
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
        /*@ assert \let k = i; mfrom{Here, Here}(sum, child, k, log_n); */
    }
    return changed;
}

/*@ ghost
  /@ requires x <= y && 0 <= f;
     assigns \nothing;
     ensures x * f <= y * f; @/
  static void ga_lemma_mul_le(int64_t x, int64_t y, int64_t f)
  {
    /@ assert (y - x) * f >= 0; @/
  }
*/

/*@ requires 9 <= lp <= 21 && 1 <= npages <= 0x800000000;
    requires j0 <= jend <= 16384;
    requires 0 <= a && a + jend * (1 << lp) <= 0x800000000;
    requires \valid_read(e + (j0 .. jend - 1));
    requires \valid(at) && \valid(first) && \separated(at, first, e + (j0 .. jend - 1));
    requires tree: \forall integer j; j0 <= j < jend ==>
        r_sum(m, a + j * (1 << lp), 1 << lp, psum_start(e[j]), psum_max(e[j]), psum_end(e[j]));
    assigns *at, *first;
    ensures first: j0 <= *first <= jend && (\forall integer j; j0 <= j < *first ==> e[j] == 0) &&
        (*first < jend ==> e[*first] != 0);
    ensures \result == GA_PSUMTREE_NONE || \result == GA_PSUMTREE_FOUND || \result == GA_PSUMTREE_DESCEND;
    ensures none: \result == GA_PSUMTREE_NONE ==> \forall integer p;
        a + j0 * (1 << lp) <= p && p + npages <= a + jend * (1 << lp) ==> !r_run{Pre}(m, p, npages);
    ensures found: \result == GA_PSUMTREE_FOUND ==>
        j0 * (1 << lp) <= *at && *at + npages <= jend * (1 << lp) && r_run{Pre}(m, a + *at, npages) &&
        \forall integer p; a + j0 * (1 << lp) <= p < a + *at ==> !r_run{Pre}(m, p, npages);
    ensures descend: \result == GA_PSUMTREE_DESCEND ==>
        j0 <= *at < jend && *first <= *at && psum_max(e[*at]) >= npages &&
        \forall integer p; a + j0 * (1 << lp) <= p < a + *at * (1 << lp) ==> !r_run{Pre}(m, p, npages); */
int ga_psumtree_find_level(const ga_psum *e, uintptr_t j0, uintptr_t jend, unsigned lp, uintptr_t npages, uintptr_t *at,
                           uintptr_t *first)
/*@ ghost (ga_pallocdata *const *m, int64_t a) */ {
    uintptr_t full = (uintptr_t)1 << lp;
    uintptr_t run = 0;  /* the free run ending at entry j's first page (from entry j0 on) */
    uintptr_t f = jend; /* the first non-zero entry */
    uintptr_t j;
    /*@ assert pages: 512 <= full <= 2097152; */
    /* Ghost: P = j full, entry j's first page, kept by additions (the provers do not find
     * the products j 2^lp themselves); P0 = j0 full. */
    /*@ ghost ga_lemma_mul_le((int64_t)j0, (int64_t)jend, (int64_t)full); */
    /*@ ghost ga_lemma_mul_le(0, (int64_t)j0, (int64_t)full); */
    /*@ ghost int64_t P0 = (int64_t)j0 * (int64_t)full; */
    /*@ ghost int64_t P = P0; */
    /*@ loop invariant j0 <= j <= jend;
        loop invariant pos: P == j * full;
        loop invariant pos0: P0 == j0 * full;
        loop invariant pos_le: 0 <= P0 <= P <= jend * full;
        loop invariant f == jend || (j0 <= f < j && e[f] != 0);
        loop invariant \forall integer k; j0 <= k < \min(f, j) ==> e[k] == 0;
        loop invariant run_le: 0 <= run <= P - P0 && run < npages;
        loop invariant run_free: r_run(m, a + P - run, run);
        loop invariant run_cut: run == P - P0 || !rfree(m, a + P - run - 1);
        loop invariant nofit: \forall integer p; a + P0 <= p && p + npages <= a + P ==>
            !r_run(m, p, npages);
        loop assigns j, run, f, P;
        loop variant jend - j; */
    for (j = j0; j < jend; j++) {
        /*@ ghost ga_lemma_mul_le((int64_t)j + 1, (int64_t)jend, (int64_t)full); */
        /*@ assert step: P + full <= jend * full <= 0x800000000; */
        ga_psum s = e[j];
        /*@ assert entry: r_sum(m, a + P, full, psum_start(s), psum_max(s), psum_end(s)); */
        if (s == 0) { /* nothing free in entry j */
            /*@ assert none0: r_sum(m, a + P, full, 0, 0, 0); */
            /*@ assert zero: \forall integer q; a + P <= q < a + P + full ==> !rfree(m, q); */
            run = 0; /* a run cannot cross entry j */
            /*@ assert nofit_zero: \forall integer p; a + P0 <= p && p + npages <= a + P + full ==>
                    !r_run(m, p, npages); */
            /*@ assert pos_zero: P + full == (j + 1) * full && P0 <= P + full <= jend * full; */
            /*@ ghost P += (int64_t)full; */
            continue;
        }
        if (f == jend)
            f = j;
        uintptr_t st = ga_psum_start(s);
        /*@ assert wfj: fields_wf(st, psum_max(s), psum_end(s), full); */
        if (run + st >= npages) { /* a run ending in entry j: from run pages before it */
            /*@ assert fit: r_run(m, a + P - run, npages); */
            /*@ assert lowest: \forall integer p; a + P0 <= p < a + P - run ==> !r_run(m, p, npages); */
            /*@ assert inside: P0 <= P - run && P - run + npages <= jend * full; */
            /*@ assert at_ok: j * full == P && 0 <= P0 && run <= P <= 0x800000000; */
            *at = j * full - run;
            *first = f;
            return GA_PSUMTREE_FOUND;
        }
        /*@ assert cross: \forall integer p; a + P0 <= p < a + P && p + npages <= a + P + full ==>
                !r_run(m, p, npages); */
        /*@ assert cut: st < full ==> \forall integer p; a + P0 <= p < a + P ==> !r_run(m, p, npages); */
        if (ga_psum_max(s) >= npages) { /* a run inside entry j */
            /*@ assert cut_here: st < full; */
            /*@ assert before: \forall integer p; a + P0 <= p < a + P ==> !r_run(m, p, npages); */
            /*@ assert desc: j0 <= j < jend && f <= j && psum_max(e[j]) >= npages; */
            *at = j;
            *first = f;
            /*@ assert wrote: \let jj = j; *at == jj && *first == f && e[jj] == \at(e[jj], Pre); */
            /*@ assert desc_post: \forall integer p; a + j0 * full <= p < a + *at * full ==> !r_run{Pre}(m, p, npages); */
            return GA_PSUMTREE_DESCEND;
        }
        /*@ assert within: \forall integer p; a + P <= p && p + npages <= a + P + full ==>
                !r_run(m, p, npages); */
        if (run == 0 || st < full) /* the run is cut in entry j: the next starts at its end */
            run = ga_psum_end(s);
        else /* entry j is all free */
            run += full;
        /* (the invariants at P + full, each from this iteration's asserts) */
        /*@ assert nofit_next: \forall integer p; a + P0 <= p && p + npages <= a + P + full ==>
                !r_run(m, p, npages); */
        /*@ assert run_next: 0 <= run <= P + full - P0 && run < npages && r_run(m, a + P + full - run, run) &&
                (run == P + full - P0 || !rfree(m, a + P + full - run - 1)); */
        /*@ assert pos_next: P + full == (j + 1) * full && P0 <= P + full <= jend * full; */
        /*@ ghost P += (int64_t)full; */
    }
    /*@ assert exit: j == jend; */
    /*@ assert nofit_end: \forall integer p; a + P0 <= p && p + npages <= a + P ==> !r_run(m, p, npages); */
    *first = f;
    return GA_PSUMTREE_NONE;
}

/* update's climb: the levels above the leaves of chunks [sc, ec], from the leaves' parents
 * up, stopping at the first level where no entry changed (the levels above it are still
 * the merges of their children, which are what they were).  Four levels, written out. */
/* (L3, L2, L1: labels of the proof's asserts only) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
/*@ requires sc <= ec < 0x4000000;
    requires \valid_read(S + (0 .. 4)) && levels_apart(S);
    requires \valid(S[3] + ((sc / 8) .. (ec / 8))) && \valid(S[2] + ((sc / 64) .. (ec / 64))) &&
        \valid(S[1] + ((sc / 512) .. (ec / 512))) && \valid(S[0] + ((sc / 4096) .. (ec / 4096)));
    requires \valid_read(S[4] + (8 * (sc / 8) .. 8 * (ec / 8) + 7)) &&
        \valid_read(S[3] + (8 * (sc / 64) .. 8 * (ec / 64) + 7)) &&
        \valid_read(S[2] + (8 * (sc / 512) .. 8 * (ec / 512) + 7)) &&
        \valid_read(S[1] + (8 * (sc / 4096) .. 8 * (ec / 4096) + 7));
    requires wf: kids_wf(S[4], sc / 8, ec / 8, 512) && kids_wf(S[3], sc / 64, ec / 64, 4096) &&
        kids_wf(S[2], sc / 512, ec / 512, 32768) && kids_wf(S[1], sc / 4096, ec / 4096, 262144);
    requires above: path_ok(S[2], S[3], sc / 64, ec / 64, 12) && path_ok(S[1], S[2], sc / 512, ec / 512, 15) &&
        path_ok(S[0], S[1], sc / 4096, ec / 4096, 18);
    assigns S[3][(sc / 8) .. (ec / 8)], S[2][(sc / 64) .. (ec / 64)], S[1][(sc / 512) .. (ec / 512)],
        S[0][(sc / 4096) .. (ec / 4096)];
    ensures path3: path_ok(S[3], S[4], sc / 8, ec / 8, 9);
    ensures path2: path_ok(S[2], S[3], sc / 64, ec / 64, 12);
    ensures path1: path_ok(S[1], S[2], sc / 512, ec / 512, 15);
    ensures path0: path_ok(S[0], S[1], sc / 4096, ec / 4096, 18);
    ensures leaves: unchanged{Pre, Post}(S[4]); */
static void climb(ga_psum *const *S, uintptr_t sc, uintptr_t ec) {
    /* (the asserts: which levels a step left as they were; spec/psumtree.h's frame lemmas
     * then carry the levels' facts over) */
    int c = ga_psumtree_merge_level(S[3], S[4], sc / 8, ec / 8, 9);
    /*@ assert u: unchanged{Pre, Here}(S[4]) && unchanged{Pre, Here}(S[2]) && unchanged{Pre, Here}(S[1]) &&
            unchanged{Pre, Here}(S[0]); */
    /*@ assert p3: path_ok(S[3], S[4], sc / 8, ec / 8, 9); */
    /*@ assert p1: path_ok(S[1], S[2], sc / 512, ec / 512, 15) && path_ok(S[0], S[1], sc / 4096, ec / 4096, 18); */
    if (!c) {
        /*@ assert u3: unchanged{Pre, Here}(S[3]); */
        /*@ assert p2: path_ok(S[2], S[3], sc / 64, ec / 64, 12); */
        return;
    }
L3:
    c = ga_psumtree_merge_level(S[2], S[3], sc / 64, ec / 64, 12);
    /*@ assert v: unchanged{L3, Here}(S[4]) && unchanged{L3, Here}(S[3]) && unchanged{L3, Here}(S[1]) &&
            unchanged{L3, Here}(S[0]); */
    /*@ assert p3: path_ok(S[3], S[4], sc / 8, ec / 8, 9); */
    /*@ assert p2: path_ok(S[2], S[3], sc / 64, ec / 64, 12); */
    /*@ assert p0: path_ok(S[0], S[1], sc / 4096, ec / 4096, 18); */
    if (!c) {
        /*@ assert v2: unchanged{L3, Here}(S[2]); */
        /*@ assert p1: path_ok(S[1], S[2], sc / 512, ec / 512, 15); */
        return;
    }
L2:
    c = ga_psumtree_merge_level(S[1], S[2], sc / 512, ec / 512, 15);
    /*@ assert w: unchanged{L2, Here}(S[4]) && unchanged{L2, Here}(S[3]) && unchanged{L2, Here}(S[2]) &&
            unchanged{L2, Here}(S[0]); */
    /*@ assert p3: path_ok(S[3], S[4], sc / 8, ec / 8, 9); */
    /*@ assert p2: path_ok(S[2], S[3], sc / 64, ec / 64, 12); */
    /*@ assert p1: path_ok(S[1], S[2], sc / 512, ec / 512, 15); */
    if (!c) {
        /*@ assert w1: unchanged{L2, Here}(S[1]); */
        /*@ assert p0: path_ok(S[0], S[1], sc / 4096, ec / 4096, 18); */
        return;
    }
L1:
    ga_psumtree_merge_level(S[0], S[1], sc / 4096, ec / 4096, 18);
    /*@ assert x: unchanged{L1, Here}(S[4]) && unchanged{L1, Here}(S[3]) && unchanged{L1, Here}(S[2]) &&
            unchanged{L1, Here}(S[1]); */
    /*@ assert p3: path_ok(S[3], S[4], sc / 8, ec / 8, 9); */
    /*@ assert p2: path_ok(S[2], S[3], sc / 64, ec / 64, 12); */
    /*@ assert p1: path_ok(S[1], S[2], sc / 512, ec / 512, 15); */
}
#pragma GCC diagnostic pop

/* update's leaves: chunks [sc, ec] (see psumtree.h); 0 when nothing changed (one chunk
 * whose summary is what its leaf held).  Both ends are summarized before any leaf is
 * written, so in the bitmaps as they are on entry (which update does not change). */
/*@ requires sc <= ec < 0x4000000;
    requires \valid(leaf + (sc .. ec));
    requires \valid_read(m + (sc / 8192)) && \valid_read(m[sc / 8192] + (sc % 8192));
    requires \valid_read(m + (ec / 8192)) && \valid_read(m[ec / 8192] + (ec % 8192));
    requires fill: sc < ec ==> (alloc != 0 ? all_alloc(m, 512 * sc + 512, 512 * ec) : all_free(m, 512 * sc + 512, 512 * ec));
    assigns leaf[sc .. ec];
    ensures leaves: leaf_sums{Pre, Post}(leaf, m, sc, ec);
    ensures wf: \forall integer ci; sc <= ci <= ec ==> psum_wf(leaf[ci], 512);
    ensures same: \result == 0 ==> \forall integer ci; sc <= ci <= ec ==> leaf[ci] == \old(leaf[ci]); */
static int set_leaves(ga_psum *leaf, ga_pallocdata *const *m, uintptr_t sc, uintptr_t ec, int alloc) {
    ga_psum xs = ga_pallocdata_summarize(m, sc);
    /*@ assert ls: leaf_sum(m, sc, xs); */
    if (sc == ec) {
        if (xs == leaf[sc])
            return 0; /* the leaf is what it was: so is every level above */
        leaf[sc] = xs;
        return 1;
    }
    ga_psum xe = ga_pallocdata_summarize(m, ec);
    /*@ assert le: leaf_sum(m, ec, xe); */
    /* the chunks between are all allocated or all free (the range is contiguous) */
    ga_psum fill = alloc ? 0 : GA_PSUM_FREE_CHUNK;
    /*@ assert fa: alloc != 0 ==> psum_start(fill) == 0 && psum_max(fill) == 0 && psum_end(fill) == 0; */
    /*@ assert ff: alloc == 0 ==> psum_start(fill) == 512 && psum_max(fill) == 512 && psum_end(fill) == 512; */
    /*@ assert ra: alloc != 0 ==> \forall integer ci; sc < ci < ec ==> r_sum(m, 512 * ci, 512, 0, 0, 0); */
    /*@ assert rr: alloc == 0 ==> \forall integer ci; sc < ci < ec ==> r_sum(m, 512 * ci, 512, 512, 512, 512); */
    /*@ assert pf: fill == psum_pack(psum_start(fill), psum_max(fill), psum_end(fill)) && psum_wf(fill, 512); */
    /*@ assert lf: \forall integer ci; sc < ci < ec ==> leaf_sum(m, ci, fill); */
    leaf[sc] = xs;
    /*@ loop invariant sc + 1 <= ci <= ec;
        loop invariant filled: \forall integer k; sc < k < ci ==> leaf[k] == fill;
        loop invariant leaf[sc] == xs;
        loop assigns ci, leaf[sc + 1 .. ec - 1];
        loop variant ec - ci; */
    for (uintptr_t ci = sc + 1; ci < ec; ci++)
        leaf[ci] = fill;
    leaf[ec] = xe;
    /*@ assert set: \forall integer ci; sc <= ci <= ec ==> leaf[ci] == (ci == sc ? xs : ci == ec ? xe : fill); */
    return 1;
}

/* update (see psumtree.h). */
/*@ requires sc <= ec < 0x4000000;
    requires \valid_read(S + (0 .. 4)) && levels_apart(S);
    requires \valid_read(m + (sc / 8192)) && \valid_read(m[sc / 8192] + (sc % 8192));
    requires \valid_read(m + (ec / 8192)) && \valid_read(m[ec / 8192] + (ec % 8192));
    requires \valid(S[4] + (8 * (sc / 8) .. 8 * (ec / 8) + 7));
    requires \valid(S[3] + (8 * (sc / 64) .. 8 * (ec / 64) + 7)) && \valid(S[2] + (8 * (sc / 512) .. 8 * (ec / 512) + 7)) &&
        \valid(S[1] + (8 * (sc / 4096) .. 8 * (ec / 4096) + 7)) && \valid(S[0] + ((sc / 4096) .. (ec / 4096)));
    // (the entries written, among those: as climb states them)
    requires \valid(S[3] + ((sc / 8) .. (ec / 8))) && \valid(S[2] + ((sc / 64) .. (ec / 64))) &&
        \valid(S[1] + ((sc / 512) .. (ec / 512)));
    requires wf: kids_wf(S[4], sc / 8, ec / 8, 512) && kids_wf(S[3], sc / 64, ec / 64, 4096) &&
        kids_wf(S[2], sc / 512, ec / 512, 32768) && kids_wf(S[1], sc / 4096, ec / 4096, 262144);
    requires before: path_ok(S[3], S[4], sc / 8, ec / 8, 9) && path_ok(S[2], S[3], sc / 64, ec / 64, 12) &&
        path_ok(S[1], S[2], sc / 512, ec / 512, 15) && path_ok(S[0], S[1], sc / 4096, ec / 4096, 18);
    requires fill: sc < ec ==> (alloc != 0 ? all_alloc(m, 512 * sc + 512, 512 * ec) : all_free(m, 512 * sc + 512, 512 * ec));
    assigns S[4][sc .. ec], S[3][(sc / 8) .. (ec / 8)], S[2][(sc / 64) .. (ec / 64)],
        S[1][(sc / 512) .. (ec / 512)], S[0][(sc / 4096) .. (ec / 4096)];
    ensures leaves: leaf_sums{Pre, Post}(S[4], m, sc, ec);
    ensures path: path_ok(S[3], S[4], sc / 8, ec / 8, 9) && path_ok(S[2], S[3], sc / 64, ec / 64, 12) &&
        path_ok(S[1], S[2], sc / 512, ec / 512, 15) && path_ok(S[0], S[1], sc / 4096, ec / 4096, 18); */
void ga_psumtree_update(ga_psum *const *S, ga_pallocdata *const *m, uintptr_t sc, uintptr_t ec, int alloc) {
    int c = set_leaves(S[GA_PSUMTREE_LEAF], m, sc, ec, alloc);
    /*@ assert above: unchanged{Pre, Here}(S[3]) && unchanged{Pre, Here}(S[2]) && unchanged{Pre, Here}(S[1]) &&
            unchanged{Pre, Here}(S[0]); */
    if (!c) {
        /*@ assert unchanged{Pre, Here}(S[4]); */
        return;
    }
    /*@ assert kids4: kids_wf(S[4], sc / 8, ec / 8, 512); */
    climb(S, sc, ec);
}
