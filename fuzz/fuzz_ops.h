/* Operation tables of the fuzz drivers.  Each driver with operations lists them once,
 * in fuzz/<driver>_ops.h, as rows of an X-macro:
 *
 *     X(code, NAME, name, arg_bytes, "argument layout")
 *
 *   code       the op code: what the op byte decodes to (the driver reduces the byte
 *              modulo the number of ops); rows in code order, 0, 1, 2, ... no gap
 *   NAME       the C enum constant OP_<NAME>; the constant <NAME> in the Python seed
 *              generators
 *   name       the handler op_<name>() in the driver; the name in traces, failure
 *              messages and dictionary entries (op_<name>...)
 *   arg_bytes  argument bytes read after the op byte; -1 if it varies
 *   layout     the arguments, for people (fuzz/README.md says what they mean)
 *
 * From its table a driver derives its enum, its names and its dispatch table (the
 * helpers below); fuzz/fuzz_ops.py reads the same rows for the seed generators
 * (gen_heap_seeds.py, gen_seeds.py, gen_corrupt_seeds.py), which refuse to write an op
 * with another number of argument bytes; tests/test_fuzz_tables.c checks the tables
 * and every entry of fuzz/<driver>.dict against them; and the drivers abort() if a
 * handler reads other than arg_bytes (FUZZ_OP_READ_CHECK), so every corpus replay
 * checks the column.
 *
 * The codes and argument layouts are what the corpus means: never renumber, reorder,
 * insert or change a layout.  A new op goes at the end, and even that changes what
 * every op byte past the old count decodes to (the count is the modulus): the corpus
 * then has to be regenerated and re-fuzzed. */
#ifndef FUZZ_OPS_H
#define FUZZ_OPS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "support/fuzz_input.h"

/* The argument bytes of the corrupt op after its escape byte CORRUPT_OP_BYTE
 * (support/corrupt.h: k:u8 t:u16 v:u8). */
#define FUZZ_CORRUPT_ARG_BYTES 4

/* Row -> enum constant OP_<NAME> = code, and the count: enum { T(FUZZ_OP_ENUM) OP_NUM
 * = 0 T(FUZZ_OP_PLUS_ONE) }. */
#define FUZZ_OP_ENUM(code, NAME, name, args, layout) OP_##NAME = (code),
#define FUZZ_OP_PLUS_ONE(code, NAME, name, args, layout) +1
/* Rows in code order, 0, 1, 2, ...: enum { T(FUZZ_OP_SEQ) }; T(FUZZ_OP_IN_ORDER) */
#define FUZZ_OP_SEQ(code, NAME, name, args, layout) FUZZ_SEQ_##NAME,
#define FUZZ_OP_IN_ORDER(code, NAME, name, args, layout)                                                               \
    _Static_assert((code) == FUZZ_SEQ_##NAME, "op " #name ": codes are 0, 1, 2, ... in row order");

/* GA_FUZZ_TRACE=1 (any value but empty or 0): every driver prints one line per op to
 * stderr -- the op, the input bytes it read and a digest of the state after it. */
static inline bool fuzz_trace_on(void) {
    const char *t = getenv("GA_FUZZ_TRACE");
    return t && *t && *t != '0';
}

/* After an op whose op byte was at `start`: it read exactly 1 + arg_bytes bytes, or
 * the input ended (reads past the end give 0 and read nothing). */
static void fuzz_op_read_fail(const char *driver, const char *name, int arg_bytes, size_t read)
    __attribute__((noreturn, cold, noinline, unused));
static void fuzz_op_read_fail(const char *driver, const char *name, int arg_bytes, size_t read) {
    fprintf(stderr, "%s: driver bug: op %s read %zu argument bytes, its table row says %d\n", driver, name, read - 1,
            arg_bytes);
    abort();
}
#define FUZZ_OP_READ_CHECK(driver, name, arg_bytes, start, in)                                                         \
    do {                                                                                                               \
        if ((arg_bytes) >= 0 && (in)->pos != (start) + 1 + (size_t)(arg_bytes) && (in)->pos != (in)->n)                \
            fuzz_op_read_fail(driver, name, arg_bytes, (in)->pos - (start));                                           \
    } while (0)

#endif
