/* find's level step (Go's pageAlloc.find, one level of the summary tree): see psumtree.h.
 *
 * Not proved yet, so not in a file of proofs/targets (whose every function WP checks for
 * run-time errors): its contract and proof, unfinished, are kept in
 * proofs/wip/find-level.patch, which moves it back to psumtree.c.  pagealloc_fuzz's
 * model checks every search it makes. */
#include "psumtree.h"

/* e[j] == 0: the last index before the next possibly non-zero entry below jend,
 * skipping zero entries 8 at a time (the root level of a scattered heap has long
 * stretches of them). */
static uintptr_t skip_zero(const ga_psum *e, uintptr_t j, uintptr_t jend) {
    while (jend - j > 8 && (e[j + 1] | e[j + 2] | e[j + 3] | e[j + 4] | e[j + 5] | e[j + 6] | e[j + 7] | e[j + 8]) == 0)
        j += 8;
    return j;
}

/* One level of find: the entries j0 .. jend-1 of a level, 2^lp pages each (psumtree.h). */
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
            uintptr_t j2 = skip_zero(e, j, jend);
            j = j2;
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
