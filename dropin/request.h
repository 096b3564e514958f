/* The malloc drop-in's request mapping: what size (and how) a C allocation call asks
 * of ga_alloc.  Shared by dropin/malloc.c and the replay driver fuzz/trace_fuzz.c, so
 * that the driver replays real traces through exactly the requests the drop-in makes.
 *
 *   malloc(n)        ga_req_size(n): 16-byte alignment above 8 bytes, never 0
 *                    (ga_alloc's size 0 is ga_zerobase, which cannot be freed)
 *   memalign & co.   ga_req_aligned(align, n): up to 16, as malloc; up to the 8 KiB
 *                    page, a size class whose object size is a multiple of align
 *                    (slots sit at span base + k * size, spans are page-aligned) or a
 *                    large object (page-aligned); above, n + align over-allocated and
 *                    the aligned address inside returned
 *   realloc(p, n)    ga_req_realloc_keeps(u, n): p stays where it is;
 *                    ga_req_realloc_resizes(u, n): a large p resized in place, if it can;
 *                    moved: a block of GA_REQ_REALLOC_RELEASE or more released at once
 *
 * Needs alloc/sizeclasses.h (the class table). */
#ifndef GA_DROPIN_REQUEST_H
#define GA_DROPIN_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sizeclasses.h"

#define GA_REQ_PAGE ((size_t)8192) /* goalloc's page: spans are aligned to it */

/* malloc(n) -> size for ga_alloc; 0 = overflow (ENOMEM). */
static inline size_t ga_req_size(size_t n) {
    if (n <= 8)
        return n ? n : 1;
    return n <= SIZE_MAX - 15 ? (n + 15) & ~(size_t)15 : 0;
}

/* An allocation of n bytes aligned to align (a power of two) -> size for ga_alloc;
 * 0 = overflow (ENOMEM).  *over: the object is over-allocated and the caller returns
 * the first align-aligned address inside it. */
static inline size_t ga_req_aligned(size_t align, size_t n, bool *over) {
    *over = false;
    if (align <= 16) { /* ga_req_size gives 16 from 9 bytes up, 8 below */
        size_t s = ga_req_size(n);
        return align == 16 && s && s < 16 ? 16 : s;
    }
    if (align <= GA_REQ_PAGE) {
        size_t s = n ? (n + align - 1) & ~(align - 1) : align;
        if (s < n)
            return 0;
        if (s <= GA_MAX_SMALL_SIZE) {
            uint32_t cls = ga_size_to_class(s);
            while (cls < GA_NUM_CLASSES && ga_class_size[cls] % align)
                cls++;
            s = cls < GA_NUM_CLASSES ? ga_class_size[cls] : GA_MAX_SMALL_SIZE + 1;
        }
        return s; /* large objects start on a page */
    }
    if (n > SIZE_MAX - align)
        return 0;
    *over = true;
    return n + align;
}

/* realloc(p, n) of a block with u usable bytes keeps p: it fits, and is not so much
 * smaller that a copy would pay. */
static inline bool ga_req_realloc_keeps(size_t u, size_t n) { return n <= u && n >= u / 2; }

/* Otherwise a large block whose new size stays large is resized in place
 * (ga_resize_in_place of ga_req_size(n)), if it can be. */
static inline bool ga_req_realloc_resizes(size_t u, size_t n) { return u > GA_MAX_SMALL_SIZE && n > GA_MAX_SMALL_SIZE; }

/* A block that realloc moved, this large or larger, gives its size back to the OS at
 * once (ga_scavenge), under GA_SCAVENGE_IDLE: a buffer growing by copies would
 * otherwise peak at old + new + the one before. */
#define GA_REQ_REALLOC_RELEASE ((size_t)1 << 20)

#endif
