/* Go's linux/amd64 size classes (../shared/reference/sizeclasses.tsv) and span
 * classes.  Class 0 = large object (one object per span), classes 1..67 small. */
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
#define GA_TINY_SIZE 16u
#define GA_TINY_SPAN_CLASS 5u /* class 2 (16 B), noscan */
#define GA_MAX_ALLOC ((size_t)1 << 48)

extern GA_HIDDEN const uint16_t ga_class_size[GA_NUM_CLASSES];     /* bytes per object */
extern GA_HIDDEN const uint8_t ga_class_npages[GA_NUM_CLASSES];    /* pages per span   */
extern GA_HIDDEN const uint16_t ga_class_nelems[GA_NUM_CLASSES];   /* objects per span */
extern GA_HIDDEN const uint32_t ga_class_divmagic[GA_NUM_CLASSES]; /* floor((2^32-1)/size)+1 */
extern GA_HIDDEN const uint8_t ga_size_to_class8[GA_SMALL_SIZE_MAX / GA_SMALL_SIZE_DIV + 1];
extern GA_HIDDEN const uint8_t ga_size_to_class128[(GA_MAX_SMALL_SIZE - GA_SMALL_SIZE_MAX) / GA_LARGE_SIZE_DIV + 1];

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
 * off / size without a division (exact for off <= npages*8192, facts §2.3). */
static inline uint32_t ga_div_by_elemsize(uintptr_t off, uint32_t div_mul) {
    return (uint32_t)(((uint64_t)off * div_mul) >> 32);
}

#endif
