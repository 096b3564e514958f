/* A call site outside the proved files, built against the E-ACSL library
 * (eacsl/eacsl.cmake): `eacsl_precondition ok` calls ga_pallocbits_find within its
 * contract and exits 0; `eacsl_precondition broken` calls it with npages 0, which its
 * `requires 1 <= n <= 512` forbids; `eacsl_precondition freed` passes a bitmap already
 * freed, against `requires \valid_read(b + (0 .. 7))` (eacsl/rt.c's wider notion of
 * validity must still refuse it).  WP proves the function under that precondition but
 * cannot see this caller; the E-ACSL build must stop the broken call before the body
 * runs (ctest eacsl_precondition_broken: eacsl/expect_violation.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    return npages == 3 && got == 8 && ns == 8 ? 0 : 1;
}
