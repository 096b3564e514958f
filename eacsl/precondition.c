/* A call site outside the proved files, built against the E-ACSL library
 * (eacsl/eacsl.cmake): `eacsl_precondition ok` calls ga_pallocbits_find within its
 * contract and exits 0; `eacsl_precondition broken` calls it with npages 0, which its
 * `requires 1 <= n <= 512` forbids.  WP proves the function under that precondition but
 * cannot see this caller; the E-ACSL build must stop the broken call before the body
 * runs (ctest eacsl_precondition_broken: eacsl/expect_violation.sh). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pallocbits.h"

int main(int argc, char **argv) {
    if (argc != 2 || (strcmp(argv[1], "ok") != 0 && strcmp(argv[1], "broken") != 0)) {
        fprintf(stderr, "usage: %s ok|broken\n", argv[0]);
        return 2;
    }
    uint64_t b[8] = {0x00000000000000ffu}; /* pages 0..7 allocated, the rest free */
    uint32_t ns = 0;
    uint32_t npages = strcmp(argv[1], "ok") == 0 ? 3 : 0;
    uint32_t got = ga_pallocbits_find(b, npages, 0, &ns);
    printf("ga_pallocbits_find(npages %u) = %u, new search %u\n", npages, got, ns);
    return npages == 3 && got == 8 && ns == 8 ? 0 : 1;
}
