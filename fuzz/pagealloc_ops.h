/* pagealloc_fuzz's operations (fuzz/pagealloc_fuzz.c; table format: fuzz/fuzz_ops.h;
 * meaning: fuzz/README.md "pagealloc_fuzz").  Op byte b: code b % 10. */
#ifndef PAGEALLOC_OPS_H
#define PAGEALLOC_OPS_H

/* clang-format off */
#define PAGEALLOC_OPS(X)                                                                                               \
    X(0, GROW,       grow,       6, "where:u8 off:u32 n:u8")       /* grow chunks (where % 5: placement), refusals */  \
    X(1, ALLOC,      alloc,      3, "sel:u8 x:u16")                /* alloc(npages from sel, x) */                     \
    X(2, FREE,       free,       7, "idx:u16 mode:u8 a:u16 b:u16") /* free a remembered run, whole or part */          \
    X(3, SCAVENGE,   scavenge,   3, "sel:u8 x:u16")                /* scavenge(bytes from sel, x) */                   \
    X(4, ALLOC_MANY, alloc_many, 4, "count:u8 sel:u8 x:u16")       /* 1 + count % 32 ALLOCs of one size */             \
    X(5, FREE_MANY,  free_many,  1, "stride:u8")                   /* free every (2 + stride % 4)-th run */            \
    X(6, CHECK_ALL,  check_all,  0, "")                            /* compare every chunk's bitmaps */                 \
    X(7, PCACHE_FILL,  pcache_fill,  1, "slot:u8")                 /* cache slot % 4 := allocToCache (flushed first) */\
    X(8, PCACHE_ALLOC, pcache_alloc, 2, "slot:u8 n:u8")            /* pages from cache slot % 4 */                     \
    X(9, PCACHE_FLUSH, pcache_flush, 1, "slot:u8")                 /* flush cache slot % 4 */
/* clang-format on */

#endif
