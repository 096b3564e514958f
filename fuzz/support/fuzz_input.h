/* Byte reader for fuzz inputs.  Reads past the end yield zeros, so every input, even
 * a truncated one, decodes to a well-defined operation sequence.  Multi-byte values
 * are little-endian. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* Oracle code (models, comparisons) is not what we want coverage feedback from, and
 * its loops dominate run time under -fsanitize-coverage's comparison tracing (noinline:
 * inlined into an instrumented caller it would be instrumented again). */
#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_NOCOV __attribute__((no_sanitize("coverage"), noinline))
#else
#define FUZZ_NOCOV
#endif

typedef struct fuzz_input {
    const uint8_t *p;
    size_t n, pos;
} fuzz_input;

static inline void fi_init(fuzz_input *in, const uint8_t *p, size_t n) {
    in->p = p;
    in->n = n;
    in->pos = 0;
}
static inline size_t fi_left(const fuzz_input *in) { return in->n - in->pos; }
static inline uint8_t fi_u8(fuzz_input *in) { return in->pos < in->n ? in->p[in->pos++] : 0; }
static inline uint16_t fi_u16(fuzz_input *in) {
    uint16_t v = fi_u8(in);
    return (uint16_t)(v | (uint16_t)fi_u8(in) << 8);
}
static inline uint32_t fi_u32(fuzz_input *in) {
    uint32_t v = fi_u16(in);
    return v | (uint32_t)fi_u16(in) << 16;
}
static inline uint64_t fi_u64(fuzz_input *in) {
    uint64_t v = fi_u32(in);
    return v | (uint64_t)fi_u32(in) << 32;
}

#endif
