/* A call site outside the proved files, built against the E-ACSL library
 * (eacsl/eacsl.cmake): `eacsl_precondition ok` calls ga_pallocbits_find within its
 * contract and exits 0; `eacsl_precondition broken` calls it with npages 0, which its
 * `requires 1 <= n <= 512` forbids; `eacsl_precondition freed` passes a bitmap already
 * freed, against `requires \valid_read(b + (0 .. 7))` (eacsl/rt.c's wider notion of
 * validity must still refuse it).  WP proves the function under that precondition but
 * cannot see this caller; the E-ACSL build must stop the broken call before the body
 * runs (ctest eacsl_precondition_broken: eacsl/expect_violation.sh).
 *
 * `ok` also sweeps a span of 19 slots, 3 of them live (the state on which the
 * heap_fuzz replay first stopped): ga_mspan_sweep_bits' postcondition `ok` evaluates
 * s7, whose nalloc E-ACSL 25 computes with GMP and returned as a stack address until
 * eacsl/instrument.py converted it (mpz_returns); it must hold. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mspan.h"
#include "pallocbits.h"

int main(int argc, char **argv) {
    const char *mode = argc == 2 ? argv[1] : "";
    if (strcmp(mode, "ok") != 0 && strcmp(mode, "broken") != 0 && strcmp(mode, "freed") != 0) {
        fprintf(stderr, "usage: %s ok|broken|freed\n", argv[0]);
        return 2;
    }
    uint64_t b[8] = {0x00000000000000ffu}; /* pages 0..7 allocated, the rest free */
    const uint64_t *bits = b;
    if (strcmp(mode, "freed") == 0) {
        uint64_t *h = calloc(8, sizeof *h);
        if (!h)
            return 2;
        free(h);
        bits = h; /* what a use after free would pass */
    }
    uint32_t ns = 0;
    uint32_t npages = strcmp(mode, "broken") == 0 ? 0 : 3;
    uint32_t got = ga_pallocbits_find(bits, npages, 0, &ns);
    printf("ga_pallocbits_find(npages %u) = %u, new search %u\n", npages, got, ns);
    if (npages != 3 || got != 8 || ns != 8)
        return 1;
    ga_mspan s;
    memset(&s, 0, sizeof s);
    s.nelems = 19;
    s.alloc_bits[0] = 0xc1; /* slots 0, 6, 7 */
    s.alloc_count = 3;
    s.alloc_cache = ~(uint64_t)0xc1;
    uint64_t marks[16], freed[16] = {0};
    memset(marks, 0xff, sizeof marks); /* a free sweep */
    uint32_t live = ga_mspan_sweep_bits(&s, marks, freed);
    printf("ga_mspan_sweep_bits(19 slots, 3 allocated) = %u\n", live);
    return live == 3 && s.alloc_count == 3 ? 0 : 1;
}
