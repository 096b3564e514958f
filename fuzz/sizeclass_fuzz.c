/* Fuzz driver for the size-class arithmetic (alloc/sizeclasses.[ch]): size -> class
 * (ga_size_to_class), class -> size/pages/objects/divmagic, object index by
 * multiplication (ga_div_by_elemsize), span classes -- each checked against a slow
 * reference over the class table embedded below (copied from
 * the table comment of Go's runtime/sizeclasses.go; never read at run time).
 *
 * Input: a sequence of 5-byte records  kind:u8 v:u32  (fuzz/README.md; the kinds:
 * fuzz/sizeclass_ops.h, one handler op_<name> each):
 *   kind%5 == 0  size s = 1 + v % 32768: class, usable size
 *   kind%5 == 1  class c = 1 + v % 67: sizes prev+1, size-1, size, size+1 (<= 32768)
 *   kind%5 == 2  class c = 1 + (v & 0xff) % 67, off = (v >> 8) % (span bytes + 1):
 *                index of off, of the slot boundaries around it and of the span end
 *   kind%5 == 3  class c = 1 + v % 67: table row, span classes (c, 0/1) round trip
 *   kind%5 == 4  class c = v % 68 (0 = large): every offset of slot v>>8 % nelems */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_ops.h"
#include "sizeclass_ops.h"
#include "sizeclasses.h"
#include "support/fuzz_input.h"

#define NCLS 68
/* class, bytes_per_obj, bytes_per_span, objects (tsv columns 1-4) */
static const uint32_t ref_tab[NCLS][3] = {
    {0, 0, 0},         {8, 8192, 1024},   {16, 8192, 512},   {24, 8192, 341},   {32, 8192, 256},   {48, 8192, 170},
    {64, 8192, 128},   {80, 8192, 102},   {96, 8192, 85},    {112, 8192, 73},   {128, 8192, 64},   {144, 8192, 56},
    {160, 8192, 51},   {176, 8192, 46},   {192, 8192, 42},   {208, 8192, 39},   {224, 8192, 36},   {240, 8192, 34},
    {256, 8192, 32},   {288, 8192, 28},   {320, 8192, 25},   {352, 8192, 23},   {384, 8192, 21},   {416, 8192, 19},
    {448, 8192, 18},   {480, 8192, 17},   {512, 8192, 16},   {576, 8192, 14},   {640, 8192, 12},   {704, 8192, 11},
    {768, 8192, 10},   {896, 8192, 9},    {1024, 8192, 8},   {1152, 8192, 7},   {1280, 8192, 6},   {1408, 16384, 11},
    {1536, 8192, 5},   {1792, 16384, 9},  {2048, 8192, 4},   {2304, 16384, 7},  {2688, 8192, 3},   {3072, 24576, 8},
    {3200, 16384, 5},  {3456, 24576, 7},  {4096, 8192, 2},   {4864, 24576, 5},  {5376, 16384, 3},  {6144, 24576, 4},
    {6528, 32768, 5},  {6784, 40960, 6},  {6912, 49152, 7},  {8192, 8192, 1},   {9472, 57344, 6},  {9728, 49152, 5},
    {10240, 40960, 4}, {10880, 32768, 3}, {12288, 24576, 2}, {13568, 40960, 3}, {14336, 57344, 4}, {16384, 16384, 1},
    {18432, 73728, 4}, {19072, 57344, 3}, {20480, 40960, 2}, {21760, 65536, 3}, {24576, 24576, 1}, {27264, 81920, 3},
    {28672, 57344, 2}, {32768, 32768, 1},
};

typedef struct st {
    size_t rec;
} st;

static void fail(const st *s, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void fail(const st *s, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "sizeclass_fuzz: record #%zu: ", s->rec);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

/* Smallest class whose size is >= size (1 <= size <= 32768), by linear scan. */
FUZZ_NOCOV static uint32_t ref_class(uint32_t size) {
    for (uint32_t c = 1; c < NCLS; c++)
        if (ref_tab[c][0] >= size)
            return c;
    return 0;
}

FUZZ_NOCOV static void check_size(const st *s, uint32_t size) {
    if (size == 0 || size > 32768)
        return;
    uint32_t want = ref_class(size);
    uint32_t got = ga_size_to_class(size);
    if (got != want)
        fail(s, "ga_size_to_class(%u) = %u, reference %u (%u B)", size, got, want, ref_tab[want][0]);
    if (ga_class_size[got] != ref_tab[want][0] || ga_class_size[got] < size)
        fail(s, "size %u: class %u has %u B, reference %u B", size, got, ga_class_size[got], ref_tab[want][0]);
    /* Smallest such class: the one below is too small. */
    if (got > 1 && ga_class_size[got - 1] >= size)
        fail(s, "size %u: class %u chosen but class %u (%u B) fits", size, got, got - 1, ga_class_size[got - 1]);
}

FUZZ_NOCOV static void check_row(const st *s, uint32_t c) {
    uint32_t size = ref_tab[c][0], npages = ref_tab[c][1] / 8192, n = ref_tab[c][2];
    uint32_t magic = (uint32_t)(0xffffffffull / size + 1);
    if (ga_class_size[c] != size || ga_class_npages[c] != npages || ga_class_nelems[c] != n ||
        ga_class_divmagic[c] != magic)
        fail(s, "class %u: size/pages/nelems/divmagic = %u/%u/%u/%u, reference %u/%u/%u/%u", c, ga_class_size[c],
             ga_class_npages[c], ga_class_nelems[c], ga_class_divmagic[c], size, npages, n, magic);
    if (n != npages * 8192 / size)
        fail(s, "class %u: nelems %u != floor(%u / %u)", c, n, npages * 8192, size);
    for (int noscan = 0; noscan <= 1; noscan++) {
        ga_spanclass sc = ga_make_spanclass(c, noscan);
        if (sc != (c << 1 | (uint32_t)noscan) || ga_spanclass_sizeclass(sc) != c || ga_spanclass_noscan(sc) != noscan)
            fail(s, "span class (%u, %d) = %u -> (%u, %d)", c, noscan, sc, ga_spanclass_sizeclass(sc),
                 ga_spanclass_noscan(sc));
    }
}

FUZZ_NOCOV static void check_div(const st *s, uint32_t c, uint64_t off) {
    uint64_t size = c ? ref_tab[c][0] : 0;
    uint64_t span = c ? ref_tab[c][1] : 0;
    uint32_t magic = c ? ga_class_divmagic[c] : 0;
    if (off > span)
        return;
    uint32_t want = c ? (uint32_t)(off / size) : 0; /* class 0: magic 0 -> index 0 */
    uint32_t got = ga_div_by_elemsize((uintptr_t)off, magic);
    if (got != want)
        fail(s, "class %u: ga_div_by_elemsize(%llu, %u) = %u, expected %llu / %llu = %u", c, (unsigned long long)off,
             magic, got, (unsigned long long)off, (unsigned long long)size, want);
}

/* ---- the record kinds: one handler each, in the order of fuzz/sizeclass_ops.h ----- */

static void op_size(st *s, fuzz_input *in) {
    uint32_t v = fi_u32(in);
    check_size(s, 1 + v % 32768);
}

static void op_boundaries(st *s, fuzz_input *in) {
    uint32_t c = 1 + fi_u32(in) % 67;
    check_size(s, ref_tab[c - 1][0] + 1);
    check_size(s, ref_tab[c][0] - 1);
    check_size(s, ref_tab[c][0]);
    check_size(s, ref_tab[c][0] + 1);
}

static void op_div(st *s, fuzz_input *in) {
    uint32_t v = fi_u32(in);
    uint32_t c = 1 + (v & 0xff) % 67;
    uint64_t span = ref_tab[c][1], sz = ref_tab[c][0];
    uint64_t off = (v >> 8) % (span + 1);
    uint64_t k = off / sz;
    check_div(s, c, off);
    check_div(s, c, k * sz);
    if (k * sz > 0)
        check_div(s, c, k * sz - 1);
    check_div(s, c, k * sz + sz - 1);
    check_div(s, c, k * sz + sz);
    check_div(s, c, span);
    check_div(s, c, span - 1);
}

static void op_row(st *s, fuzz_input *in) { check_row(s, 1 + fi_u32(in) % 67); }

static void op_slot(st *s, fuzz_input *in) {
    uint32_t v = fi_u32(in);
    uint32_t c = v % 68;
    if (c == 0) {
        check_div(s, 0, 0); /* large: the only index is 0 */
        return;
    }
    uint32_t n = ref_tab[c][2], sz = ref_tab[c][0];
    uint32_t slot = (v >> 8) % n;
    for (uint32_t o = 0; o < sz; o++)
        check_div(s, c, (uint64_t)slot * sz + o);
}

/* ---- the table (fuzz/sizeclass_ops.h) and the loop --------------------------------- */

enum { SIZECLASS_OPS(FUZZ_OP_ENUM) OP_NUM = 0 SIZECLASS_OPS(FUZZ_OP_PLUS_ONE) };
enum { SIZECLASS_OPS(FUZZ_OP_SEQ) };
SIZECLASS_OPS(FUZZ_OP_IN_ORDER)

typedef struct sc_op {
    const char *name;
    void (*run)(st *, fuzz_input *);
    int arg_bytes;
} sc_op;

static const sc_op ops[OP_NUM] = {
#define SC_OP_ROW(code, NAME, name, args, layout) [code] = {#name, op_##name, args},
    SIZECLASS_OPS(SC_OP_ROW)
#undef SC_OP_ROW
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in;
    fi_init(&in, data, size);
    st s = {0};
    bool op_trace = fuzz_trace_on();
    if (op_trace)
        fprintf(stderr, "sizeclass input of %zu bytes\n", size);
    while (fi_left(&in) > 0 && s.rec < 4096) {
        size_t start = in.pos;
        const sc_op *op = &ops[fi_u8(&in) % OP_NUM];
        op->run(&s, &in);
        FUZZ_OP_READ_CHECK("sizeclass_fuzz", op->name, op->arg_bytes, start, &in);
        if (op_trace)
            fprintf(stderr, "sizeclass #%zu @%zu+%zu %s\n", s.rec, start, in.pos - start, op->name);
        s.rec++;
    }
    return 0;
}
