/* Internal constants and helpers shared by every file of alloc/ (linux/amd64 values,
 * see ../shared/reference/go-allocator-facts.md §1). */
#ifndef GA_INTERNAL_H
#define GA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && !defined(__FRAMAC__)
#define GA_HIDDEN __attribute__((visibility("hidden")))
#define GA_LIKELY(x) __builtin_expect(!!(x), 1)
#define GA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define GA_HIDDEN
#define GA_LIKELY(x) (x)
#define GA_UNLIKELY(x) (x)
#endif

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

static inline uintptr_t ga_off(uintptr_t p) { return p - GA_ARENA_BASE_OFFSET; }
static inline uintptr_t ga_unoff(uintptr_t o) { return o + GA_ARENA_BASE_OFFSET; }
static inline uintptr_t ga_align_up(uintptr_t x, uintptr_t a) { return (x + a - 1) & ~(a - 1); }
static inline uintptr_t ga_align_down(uintptr_t x, uintptr_t a) { return x & ~(a - 1); }

#endif
