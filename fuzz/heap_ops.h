/* heap_fuzz's operations (fuzz/heap_fuzz.c; table format: fuzz/fuzz_ops.h; meaning:
 * fuzz/README.md "heap_fuzz").  Op byte b: cache b >> 6, code (b & 63) % 24. */
#ifndef HEAP_OPS_H
#define HEAP_OPS_H

#define HEAP_FUZZ_HEADER_BYTES 9 /* flags:u8 retain:u8 limit:u16 nth:u16 after:u16 hookmap:u8 */

/* clang-format off */
#define HEAP_OPS(X)                                                                                                    \
    X( 0, ALLOC_CLASS,   alloc_class,   2, "c:u8 v:u8")      /* class 1+c%67, size variant (v>>2)%5, flags v&3 */      \
    X( 1, ALLOC_TINY,    alloc_tiny,    1, "v:u8")           /* size 1+(v>>2)%15, GA_NOSCAN | (v&2 GA_NOZERO) */       \
    X( 2, ALLOC_SIZE,    alloc_size,    3, "s:u16 f:u8")     /* size s, flags f&3 */                                   \
    X( 3, ALLOC_LARGE,   alloc_large,   3, "n:u16 v:u8")     /* 5+(n%4092 >> shift[v>>4]) pages, delta (v>>2)%4 */     \
    X( 4, ALLOC_BURST,   alloc_burst,   3, "c:u8 v:u8 n:u8") /* 1+n%64 ALLOC_CLASS of one size (<= 256 KiB) */         \
    X( 5, ALLOC_ODD,     alloc_odd,     1, "k:u8")           /* size 0 or unrepresentable, flags k>>6 */               \
    X( 6, FREE,          free,          2, "i:u16")          /* free live program object i % n */                      \
    X( 7, FREE_RANGE,    free_range,    3, "i:u16 n:u8")     /* 1+n%32 frees from index i */                           \
    X( 8, FREE_INTERIOR, free_interior, 4, "i:u16 o:u16")    /* free an interior pointer of a live object */           \
    X( 9, FREE_ANY,      free_any,      2, "i:u16")          /* free the start of any object ever (any state) */       \
    X(10, FREE_FOREIGN,  free_foreign,  1, "k:u8")           /* NULL, zerobase, stack, odd addresses */                \
    X(11, QUERY,         query,         4, "i:u16 o:u16")    /* ga_usable_size / ga_object_base of a live object */    \
    X(12, GC_BEGIN,      gc_begin,      0, "")               /* (skipped in the mark phase) */                         \
    X(13, MARK,          mark,          4, "i:u16 o:u16")    /* mark a live object through an interior pointer */      \
    X(14, MARK_RANGE,    mark_range,    3, "i:u16 n:u8")     /* mark 1+n live objects from index i */                  \
    X(15, MARK_JUNK,     mark_junk,     3, "i:u16 k:u8")     /* mark a dead object's start or a foreign pointer */     \
    X(16, GC_END,        gc_end,        1, "v:u8")           /* v&1: then ga_sweep(h, 0) and exact statistics */       \
    X(17, SWEEP,         sweep,         1, "b:u8")           /* ga_sweep(h, b) (0 = all) */                            \
    X(18, SCAVENGE,      scavenge,      1, "v:u8")           /* ga_scavenge(h, v*64 KiB; 255 all); 254: 128 ticks */   \
    X(19, CACHE_NEW,     cache_new,     0, "")               /* create cache b >> 6 (present: NULL-argument cases) */  \
    X(20, CACHE_DESTROY, cache_destroy, 0, "")               /* destroy it (absent: ga_cache_destroy(NULL)) */         \
    X(21, CHECK,         check,         0, "")               /* ga_heap_check, contents, statistics */                 \
    X(22, FREE_ALLOC,    free_alloc,    2, "i:u16")          /* free a live object, allocate its size again */        \
    X(23, RESIZE,        resize,        4, "i:u16 n:u16")    /* ga_resize_in_place(object i, usable +- 1+n%2048*4K) */
/* clang-format on */

#endif
