/* Go 1.19's linux/amd64 size classes and span classes (docs/go-facts.md §1.2, §2; Go's
 * runtime/sizeclasses.go, msize.go, mheap.go spanClass).  Class 0 = large object (one
 * object per span), classes 1..67 small.
 *
 * The tables are generated into sizeclasses.c by gen_sizeclasses.py from Go's own
 * sizeclasses.go; the constants below are written by hand, and the generator checks
 * each of them against Go's (run it with --check).  The tables are declared without a
 * bound: sizeclasses.c asserts each initializer's length against these constants. */
#ifndef GA_SIZECLASSES_H
#define GA_SIZECLASSES_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define GA_NUM_CLASSES 68
#define GA_NUM_SPAN_CLASSES 136
#define GA_MAX_SMALL_SIZE 32768u
#define GA_SMALL_SIZE_DIV 8u
#define GA_SMALL_SIZE_MAX 1024u
#define GA_LARGE_SIZE_DIV 128u
#define GA_SIZE_TO_CLASS8_LEN (GA_SMALL_SIZE_MAX / GA_SMALL_SIZE_DIV + 1)                         /* 129 */
#define GA_SIZE_TO_CLASS128_LEN ((GA_MAX_SMALL_SIZE - GA_SMALL_SIZE_MAX) / GA_LARGE_SIZE_DIV + 1) /* 249 */
#define GA_TINY_SIZE 16u
#define GA_TINY_SPAN_CLASS 5u /* class 2 (16 B), noscan */
#define GA_MAX_ALLOC ((size_t)1 << 48)

_Static_assert(GA_NUM_SPAN_CLASSES == 2 * GA_NUM_CLASSES, "a scan and a noscan span class per size class");
_Static_assert(GA_TINY_SPAN_CLASS == (2u << 1 | 1u), "tiny blocks: class 2 (16 B), noscan");
_Static_assert(GA_SMALL_SIZE_MAX % GA_LARGE_SIZE_DIV == 0 && GA_MAX_SMALL_SIZE % GA_LARGE_SIZE_DIV == 0,
               "size_to_class128 starts at GA_SMALL_SIZE_MAX and ends at GA_MAX_SMALL_SIZE");

/* Lengths: GA_NUM_CLASSES for the per-class tables, GA_SIZE_TO_CLASS8_LEN and
 * GA_SIZE_TO_CLASS128_LEN for the lookups (asserted in sizeclasses.c). */
extern GA_HIDDEN const uint16_t ga_class_size[];      /* bytes per object */
extern GA_HIDDEN const uint8_t ga_class_npages[];     /* pages per span   */
extern GA_HIDDEN const uint16_t ga_class_nelems[];    /* objects per span */
extern GA_HIDDEN const uint32_t ga_class_divmagic[];  /* floor((2^32-1)/size)+1 */
extern GA_HIDDEN const uint8_t ga_size_to_class8[];   /* index ceil(size / 8), size <= 1024 */
extern GA_HIDDEN const uint8_t ga_size_to_class128[]; /* index ceil((size - 1024) / 128) */

/* 1 <= size <= 32768 -> size class, O(1). */
static inline uint32_t ga_size_to_class(size_t size) {
    if (size <= GA_SMALL_SIZE_MAX - 8)
        return ga_size_to_class8[(size + GA_SMALL_SIZE_DIV - 1) / GA_SMALL_SIZE_DIV];
    return ga_size_to_class128[(size - GA_SMALL_SIZE_MAX + GA_LARGE_SIZE_DIV - 1) / GA_LARGE_SIZE_DIV];
}

typedef uint8_t ga_spanclass; /* (sizeclass << 1) | noscan */
static inline ga_spanclass ga_make_spanclass(uint32_t sizeclass, int noscan) {
    return (ga_spanclass)((sizeclass << 1) | (noscan ? 1u : 0u));
}
static inline uint32_t ga_spanclass_sizeclass(ga_spanclass sc) { return sc >> 1; }
static inline int ga_spanclass_noscan(ga_spanclass sc) { return sc & 1; }

/* Object index of byte offset `off` in a span of class with divmagic `div_mul`:
 * off / size without a division (exact for off <= npages*8192, docs/go-facts.md §2.3). */
static inline uint32_t ga_div_by_elemsize(uintptr_t off, uint32_t div_mul) {
    return (uint32_t)(((uint64_t)off * div_mul) >> 32);
}

#endif
