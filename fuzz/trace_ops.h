/* trace_fuzz's operations (fuzz/trace_fuzz.c; table format: fuzz/fuzz_ops.h; meaning:
 * fuzz/README.md "trace_fuzz").  Op byte b: thread b >> 5, code (b & 31) % 10.
 * Slots s are taken % TRACE_SLOTS; sizes and counts (n, k) are decoded by
 * trace_size(): below 0xffff0000 as is, above SIZE_MAX - (0xffffffff - n). */
#ifndef TRACE_OPS_H
#define TRACE_OPS_H

#define TRACE_SLOTS 4096
#define TRACE_THREADS 8

/* clang-format off */
#define TRACE_OPS(X)                                                                                                   \
    X(0, MALLOC,       malloc,       6, "s:u16 n:u32")           /* slot s := malloc(n) (an occupant is freed first) */\
    X(1, CALLOC,       calloc,      10, "s:u16 k:u32 n:u32")     /* slot s := calloc(k, n) */                          \
    X(2, REALLOC,      realloc,      6, "s:u16 n:u32")           /* slot s := realloc(slot s, n) */                    \
    X(3, REALLOCARRAY, reallocarray,10, "s:u16 k:u32 n:u32")     /* slot s := reallocarray(slot s, k, n) */            \
    X(4, ALIGNED,      aligned,      8, "s:u16 f:u8 a:u8 n:u32") /* f%5: posix_memalign aligned_alloc memalign valloc pvalloc */ \
    X(5, FREE,         free,         2, "s:u16")                 /* free(slot s) (empty: free(NULL)) */                \
    X(6, FREE_BAD,     free_bad,     5, "k:u8 s:u16 o:u16")      /* k%3: interior, double free, foreign; k&4 by realloc */ \
    X(7, USABLE,       usable,       2, "s:u16")                 /* malloc_usable_size(slot s) */                      \
    X(8, THREAD_END,   thread_end,   0, "")                      /* the thread exits: its cache is released */         \
    X(9, CHECK,        check,        0, "")                      /* ga_heap_check, every pattern, statistics */
/* clang-format on */

#endif
