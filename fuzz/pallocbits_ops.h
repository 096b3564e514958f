/* pallocbits_fuzz's operations (fuzz/pallocbits_fuzz.c; table format: fuzz/fuzz_ops.h;
 * meaning: fuzz/README.md "pallocbits_fuzz").  Op byte b: code b % 17. */
#ifndef PALLOCBITS_OPS_H
#define PALLOCBITS_OPS_H

/* clang-format off */
#define PALLOCBITS_OPS(X)                                                                                              \
    X( 0, SETW,           setw,             9, "w:u8 v:u64")             /* alloc word w = v (scav &= ~v) */           \
    X( 1, SETSCAV,        setscav,          9, "w:u8 v:u64")             /* scav word w = v & ~alloc[w] */             \
    X( 2, FIND,           find,             4, "n:u16 search:u16")       /* find(1 + n%512, search%576) */             \
    X( 3, FINDALL,        findall,          2, "search:u16")             /* find(n, search%576) for n = 1..512 */      \
    X( 4, ALLOC_RANGE,    alloc_range,      4, "i:u16 n:u16")            /* alloc_range(i%513, n%(513-i)) */           \
    X( 5, FREE_RANGE,     free_range,       4, "i:u16 n:u16")                                                          \
    X( 6, ALLOC_ALL,      alloc_all,        0, "")                                                                     \
    X( 7, FREE_ALL,       free_all,         0, "")                                                                     \
    X( 8, FREE1,          free1,            2, "i:u16")                                                                \
    X( 9, POPCNT,         popcnt,           4, "i:u16 n:u16")                                                          \
    X(10, FBR64,          fbr64,            9, "c:u64 n:u8")             /* find_bit_range64(c, 1 + n%64) */           \
    X(11, PSUM_DECODE,    psum_decode,      8, "v:u64")                  /* start/max/end of any value */              \
    X(12, PSUM_PACK,      psum_pack,       13, "f:u8 s:u32 m:u32 e:u32")                                               \
    X(13, MERGE,          merge,          105, "sel:u8, 8 x (kind:u8 a:u32 b:u32 c:u32)")                              \
    X(14, PD_ALLOC_RANGE, pd_alloc_range,   4, "i:u16 n:u16")            /* pallocdata_alloc_range */                  \
    X(15, PD_ALLOC_ALL,   pd_alloc_all,     0, "")                                                                     \
    X(16, SUMMARIZE,      summarize,        0, "")
/* clang-format on */

#endif
