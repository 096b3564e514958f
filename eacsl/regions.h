/* The E-ACSL build's record of the memory goalloc maps itself (eacsl/rt.c): E-ACSL's
 * runtime observes only malloc and the objects of instrumented code, so alloc/os.c
 * reports each reservation here (GA_EACSL builds only), and \valid over it holds. */
#ifndef GA_EACSL_REGIONS_H
#define GA_EACSL_REGIONS_H

#include <stddef.h>

void ga_eacsl_region_add(void *p, size_t n);
void ga_eacsl_region_remove(void *p, size_t n);

#endif
