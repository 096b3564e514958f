/* mspan_fuzz's operations (fuzz/mspan_fuzz.c; table format: fuzz/fuzz_ops.h; meaning:
 * fuzz/README.md "mspan_fuzz").  Op byte b: code b % 8.  A bitmap argument is mode:u8
 * and then 0 to 1 + 16 x 3 bytes (read_bits in the driver), hence -1. */
#ifndef MSPAN_OPS_H
#define MSPAN_OPS_H

/* clang-format off */
#define MSPAN_OPS(X)                                                                                                   \
    X(0, NEXT,      next,       0, "")             /* next_free_index */                                               \
    X(1, FAST,      fast,       0, "")             /* next_free_fast */                                                \
    X(2, FAST_NEXT, fast_next,  0, "")             /* mallocgc's sequence: fast, else next_free_index */               \
    X(3, DRAIN,     drain,      1, "n:u8")         /* up to 1 + n*8 allocations with FAST_NEXT */                      \
    X(4, REFILL,    refill,     1, "w:u8")         /* refill_alloc_cache(w % words), then S8 restored */               \
    X(5, COUNT,     count,     -1, "bitmap")       /* count_alloc(alloc_bits); mark bits from input, count them */     \
    X(6, SWEEP,     sweep,     -1, "bitmap")       /* bitmap of frees: A = allocated minus freed, F = 0 */             \
    X(7, RESET,     reset,     -1, "bitmap F:u16") /* new bitmap and F (a span in another state) */
/* clang-format on */

#endif
