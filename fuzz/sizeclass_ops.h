/* sizeclass_fuzz's record kinds (fuzz/sizeclass_fuzz.c; table format: fuzz/fuzz_ops.h;
 * meaning: fuzz/README.md "sizeclass_fuzz").  A record is kind:u8 v:u32: code
 * kind % 5, and its 4 argument bytes are v. */
#ifndef SIZECLASS_OPS_H
#define SIZECLASS_OPS_H

/* clang-format off */
#define SIZECLASS_OPS(X)                                                                                               \
    X(0, SIZE,       size,       4, "v:u32") /* size 1 + v % 32768 */                                                  \
    X(1, BOUNDARIES, boundaries, 4, "v:u32") /* class 1 + v % 67: sizes prev+1, size-1, size, size+1 */                \
    X(2, DIV,        div,        4, "v:u32") /* class 1 + (v & 0xff) % 67, offset (v >> 8) % (span + 1) */             \
    X(3, ROW,        row,        4, "v:u32") /* class 1 + v % 67: table row, span classes */                           \
    X(4, SLOT,       slot,       4, "v:u32") /* class v % 68 (0 = large): every offset of slot (v >> 8) % nelems */
/* clang-format on */

#endif
