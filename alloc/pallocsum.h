/* The contracts of pallocbits.c's summary functions (declared in pallocbits.h), on
 * declarations of their own so that the proofs of their callers (alloc/psumtree.c) use
 * them; proved with pallocbits.c, which includes this header too.  Not in pallocbits.h:
 * the other proved files that include it would then carry spec/psum.h's lemmas.  The
 * library's callers need only pallocbits.h. */
#ifndef GA_PALLOCSUM_H
#define GA_PALLOCSUM_H

#include "pallocbits.h"
#include "../spec/psum.h"

/* pageAlloc's leaf: the summary of chunk ci of the chunk map m, i.e. of the pages
 * [512 ci, 512 ci + 512) of the region m (spec/psum.h). */
/*@ requires ci <= 0x4000000;
    requires \valid_read(m + ci / 8192) && \valid_read(m[ci / 8192] + ci % 8192);
    assigns \nothing;
    ensures r_sum(m, 512 * ci, 512, psum_start(\result), psum_max(\result), psum_end(\result));
    ensures \result == psum_pack(psum_start(\result), psum_max(\result), psum_end(\result)); */
GA_HIDDEN ga_psum ga_pallocdata_summarize(ga_pallocdata *const *m, size_t ci);

/*@ assigns \nothing;
    ensures \result == psum_start(s); */
GA_HIDDEN uint32_t ga_psum_start(ga_psum s);
/*@ assigns \nothing;
    ensures \result == psum_max(s); */
GA_HIDDEN uint32_t ga_psum_max(ga_psum s);
/*@ assigns \nothing;
    ensures \result == psum_end(s); */
GA_HIDDEN uint32_t ga_psum_end(ga_psum s);
/* mergeSummaries: exactly merge8 of the children's values (spec/psum.h), well formed
 * (P1) when they are.  And when the children c[k] summarise the pages [a + k n,
 * a + (k+1) n) of the region cs (n = 2^log_n), the result summarises [a, a + 8 n): cs
 * and a are ghost, they only name the region the proof speaks of. */
/*@ requires \valid_read(c + (0 .. 7));
    requires 9 <= log_n <= 18;
    requires 0 <= a <= 0x8000000000;
    requires \forall integer k; 0 <= k < 8 ==> psum_wf(c[k], 1 << log_n);
    assigns \nothing;
    ensures \result == merge8(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], log_n);
    ensures psum_wf(\result, 8 * (1 << log_n));
    ensures \result == psum_pack(psum_start(\result), psum_max(\result), psum_end(\result));
    ensures region: (\forall integer k; 0 <= k < 8 ==>
            r_sum(cs, a + k * (1 << log_n), 1 << log_n, psum_start(c[k]), psum_max(c[k]), psum_end(c[k]))) ==>
        r_sum(cs, a, 8 * (1 << log_n), psum_start(\result), psum_max(\result), psum_end(\result)); */
GA_HIDDEN ga_psum ga_psum_merge(const ga_psum *c, uint32_t log_n) /*@ ghost (ga_pallocdata *const *cs, int64_t a) */;

#endif
