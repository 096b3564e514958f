/* The heap checker covers every byte range it claims to (issue 9, 4(d)), exhaustively:
 * the corrupt op (fuzz/support/corrupt.c) breaks each position a check claims -- every
 * byte of the sampled head and tail of the first two and the last free slot (S10), every
 * bit of alloc_cache (S8), every free slot of a 1024-slot span, all 16 bitmap words
 * (F1, S11), every occupied cache slot (C1) -- and the op itself aborts if the checker
 * misses one or names another invariant, then requires the restored heap to pass.  The
 * fuzz corpus (corpus/heap_fuzz/corrupt-heap-ranges-*) samples these positions; this
 * test walks all of them, on heaps built through the public API. */
#include <stdint.h>
#include <string.h>

#include "goalloc.h"
#include "heap.h"
#include "support/check.h"
#include "support/corrupt.h"

static unsigned kind(const char *name) {
    for (unsigned k = 0; k < corrupt_heap_kinds(); k++)
        if (!strcmp(corrupt_heap_name(k), name))
            return k;
    REQUIRE(0, "no corruption %s", name);
    return 0;
}

/* Corruption `name` at position pos on the first candidate target (t % n = 0 for every
 * n dividing 256: each heap below has one candidate).  Returns 1 if it applied. */
static int corrupt(ga_heap *h, const char *name, uint32_t pos) {
    uint16_t t = (uint16_t)((pos & 255) << 8);
    uint8_t in[4] = {(uint8_t)kind(name), (uint8_t)t, (uint8_t)(t >> 8), (uint8_t)((pos >> 8) << 2 | (pos & 3))};
    fuzz_input fi;
    fi_init(&fi, in, sizeof in);
    const char *r = corrupt_heap_op(h, &fi, true);
    return r && !strcmp(r, name);
}

static ga_heap *heap_with(size_t size, int n, ga_cache **cp) {
    ga_heap *h = ga_heap_new(NULL);
    REQUIRE(h, "heap");
    ga_cache *c = ga_cache_new(h);
    REQUIRE(c, "cache");
    for (int i = 0; i < n; i++)
        REQUIRE(ga_alloc(c, size, 0), "alloc %zu", size);
    *cp = c;
    return h;
}

int main(void) {
    ga_cache *c;
    /* 1024-byte slots (class 32: 8 a span), 2 allocated: 6 free, fresh memory (needzero 0) */
    ga_heap *h = heap_with(1024, 2, &c);
    int n = 0;
    for (uint32_t pos = 0; pos < 1024; pos++) /* slot: first / second; byte: pos / 2 of 512 */
        n += corrupt(h, "h_span_dirty_head", pos);
    for (uint32_t pos = 0; pos < 512; pos++)
        n += corrupt(h, "h_span_dirty_tail", pos);
    CHECK_EQ(n, 1536, "S10: every sampled byte of the first two and the last free slot");
    n = 0;
    for (uint32_t bit = 0; bit < 64; bit++)
        n += corrupt(h, "h_span_alloc_cache", bit);
    CHECK_EQ(n, 64, "S8: every bit of alloc_cache");
    n = 0;
    for (uint32_t k = 0; k < 6; k++)
        n += corrupt(h, "h_span_freed_free_slot", k) + corrupt(h, "h_span_marked_free_slot", k);
    CHECK_EQ(n, 12, "F1, S11: every free slot");
    ga_cache_destroy(c);
    ga_heap_destroy(h);

    /* 8-byte slots (class 1: 1024 a span, 16 bitmap words), 3 allocated */
    h = heap_with(8, 3, &c);
    n = 0;
    for (uint32_t k = 0; k < 1021; k++)
        n += corrupt(h, "h_span_freed_free_slot", k) + corrupt(h, "h_span_marked_free_slot", k);
    CHECK_EQ(n, 2042, "F1, S11: every free slot of all 16 words");
    n = 0;
    for (uint32_t pos = 0; pos < 16; pos++)
        n += corrupt(h, "h_span_dirty_head", pos) + corrupt(h, "h_span_dirty_tail", pos);
    for (uint32_t k = 0; k < 1024; k++) /* S5: every padding bit of the three bitmaps */
        n += corrupt(h, "h_span_tail_alloc", k);
    CHECK_EQ(n, 32, "S10 on each byte of an 8-byte slot; S5: no padding bit in a full-size span");
    ga_cache_destroy(c);
    ga_heap_destroy(h);

    /* S5: a 24-byte class (341 slots): every padding bit of A, M and freed_bits */
    h = heap_with(24, 1, &c);
    n = 0;
    for (uint32_t k = 0; k < 1024 - 341; k++)
        n +=
            corrupt(h, "h_span_tail_alloc", k) + corrupt(h, "h_span_tail_mark", k) + corrupt(h, "h_span_tail_freed", k);
    CHECK_EQ(n, 3 * (1024 - 341), "S5: every bit from nelems to 1023, three bitmaps");
    ga_cache_destroy(c);
    ga_heap_destroy(h);

    /* C1: one cache holding a span of every class, scan and noscan slots */
    h = ga_heap_new(NULL);
    REQUIRE(h, "heap");
    c = ga_cache_new(h);
    REQUIRE(c, "cache");
    for (uint32_t cls = 1; cls < GA_NUM_CLASSES; cls++)
        for (unsigned f = 0; f < 2; f++)
            REQUIRE(ga_alloc(c, ga_class_size[cls], f ? GA_NOSCAN : 0), "class %u", cls);
    uint32_t slots = 0;
    for (uint32_t spc = 0; spc < GA_NUM_SPAN_CLASSES; spc++)
        slots += c->alloc[spc] != &ga_empty_mspan;
    CHECK_GE(slots, 2 * (GA_NUM_CLASSES - 1) - 2, "nearly every slot occupied (tiny allocs share one)");
    n = 0;
    for (uint32_t k = 0; k < slots; k++)
        n += corrupt(h, "h_cache_slot_null", k) + corrupt(h, "h_cache_slot_orphan", k) +
             corrupt(h, "h_cache_slot_swap", k);
    CHECK_EQ(n, (int)(3 * slots), "C1: every occupied slot");
    ga_cache_destroy(c);
    ga_heap_destroy(h);
    return check_report();
}
