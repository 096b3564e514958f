/* Internal constants and helpers shared by every file of alloc/ (linux/amd64 values,
 * see docs/go-facts.md §1). */
#ifndef GA_INTERNAL_H
#define GA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && !defined(__FRAMAC__)
#define GA_HIDDEN __attribute__((visibility("hidden")))
#define GA_LIKELY(x) __builtin_expect(!!(x), 1)
#define GA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define GA_PRINTF(fmt, first) __attribute__((format(printf, fmt, first)))
#define GA_NORETURN_COLD __attribute__((noreturn, cold))
#else
#define GA_HIDDEN
#define GA_LIKELY(x) (x)
#define GA_UNLIKELY(x) (x)
#define GA_PRINTF(fmt, first)
#define GA_NORETURN_COLD
#endif

/* Go's throw: a broken protocol or impossible state the allocator cannot go on from.
 * Prints "goalloc: fatal error: <message>" to stderr and aborts.  For slow paths only
 * (refill, sweep, heap growth, span free, the checkers): never on ga_alloc's inline fast
 * path, next_free_fast, ga_free's common path or ga_mark.  (check.c) */
GA_HIDDEN void ga_throw(const char *fmt, ...) GA_PRINTF(1, 2) GA_NORETURN_COLD;
/* ga_throw(...) unless cond holds. */
#define GA_CHECK(cond, ...)                                                                                            \
    do {                                                                                                               \
        if (GA_UNLIKELY(!(cond)))                                                                                      \
            ga_throw(__VA_ARGS__);                                                                                     \
    } while (0)

/* The invariant checkers' report (ga_heap_check, ga_pagealloc_check): the description
 * formatted into why[0..len) (when why != NULL and len > 0); returns -1, so that a
 * check can `return ga_check_fail(why, len, ...)`.  (check.c) */
GA_HIDDEN int ga_check_fail(char *why, size_t len, const char *fmt, ...) GA_PRINTF(3, 4);

#define GA_PAGE_SHIFT 13
#define GA_PAGE_SIZE ((uintptr_t)1 << GA_PAGE_SHIFT) /* runtime page: 8 KiB */
#define GA_HEAP_ADDR_BITS 48
#define GA_ARENA_SHIFT 26
#define GA_ARENA_BYTES ((uintptr_t)1 << GA_ARENA_SHIFT) /* 64 MiB */
#define GA_PAGES_PER_ARENA (GA_ARENA_BYTES / GA_PAGE_SIZE)
/* Offset addresses: off(p) = p + 2^47 (mod 2^64), so that the whole 48-bit address
 * space, both halves, maps onto [0, 2^48) in address order. */
#define GA_ARENA_BASE_OFFSET ((uintptr_t)0xffff800000000000ull)

#define GA_LOG_CHUNK_PAGES 9
#define GA_CHUNK_PAGES 512u                                     /* pages per pallocBits chunk */
#define GA_LOG_CHUNK_BYTES (GA_LOG_CHUNK_PAGES + GA_PAGE_SHIFT) /* 22 */
#define GA_CHUNK_BYTES ((uintptr_t)1 << GA_LOG_CHUNK_BYTES)     /* 4 MiB */

/* The constants that must agree.  Not for Frama-C, which parses the proved files as C99
 * (ci/prove), where _Static_assert is no keyword. */
#ifndef __FRAMAC__
_Static_assert(GA_PAGE_SHIFT + GA_LOG_CHUNK_PAGES == GA_LOG_CHUNK_BYTES, "a chunk is 2^9 pages of 2^13 bytes");
_Static_assert(GA_CHUNK_PAGES == 1u << GA_LOG_CHUNK_PAGES, "GA_CHUNK_PAGES and GA_LOG_CHUNK_PAGES agree");
_Static_assert(GA_CHUNK_BYTES == GA_CHUNK_PAGES * GA_PAGE_SIZE, "a chunk is GA_CHUNK_PAGES pages");
_Static_assert(GA_ARENA_SHIFT >= GA_LOG_CHUNK_BYTES && GA_ARENA_BYTES % GA_CHUNK_BYTES == 0,
               "an arena is a whole number of chunks (arenas are given to pageAlloc chunk by chunk)");
_Static_assert(GA_PAGES_PER_ARENA == (uintptr_t)1 << (GA_ARENA_SHIFT - GA_PAGE_SHIFT), "pages per 64 MiB arena");
_Static_assert(GA_HEAP_ADDR_BITS > GA_ARENA_SHIFT && GA_HEAP_ADDR_BITS <= 8 * sizeof(uintptr_t), "address bits");
_Static_assert(GA_ARENA_BASE_OFFSET == (uintptr_t)0 - ((uintptr_t)1 << (GA_HEAP_ADDR_BITS - 1)),
               "off(p) = p + 2^47: the 48-bit space, both halves, maps onto [0, 2^48)");
#endif

static inline uintptr_t ga_off(uintptr_t p) { return p - GA_ARENA_BASE_OFFSET; }
static inline uintptr_t ga_unoff(uintptr_t o) { return o + GA_ARENA_BASE_OFFSET; }
static inline uintptr_t ga_align_up(uintptr_t x, uintptr_t a) { return (x + a - 1) & ~(a - 1); }
static inline uintptr_t ga_align_down(uintptr_t x, uintptr_t a) { return x & ~(a - 1); }

#endif
