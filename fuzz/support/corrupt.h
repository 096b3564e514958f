/* Corrupt, check, restore: an oracle for the invariant checkers themselves.
 *
 * A sound heap never breaks an invariant, so the detection paths of ga_heap_check and
 * ga_pagealloc_check run only when something is wrong.  These ops break one piece of
 * allocator metadata on purpose (white box: a span field, a bitmap bit, a list link, a
 * summary entry, a counter, ...), require the checker to fail and to name the expected
 * invariant, then put back the exact previous bytes and require the checker to pass
 * again.  A corruption the checker misses, or reports as another invariant, abort()s
 * with the corruption's name: that is a checker bug.
 *
 * Byte format (after the driver's escape byte CORRUPT_OP_BYTE): k:u8 t:u16 v:u8.
 *   k  which corruption (k % table size; heap table first, then the pageAlloc table);
 *   t  which target among the candidates (span, cache, list, chunk, range, page: t % n);
 *   v  bit 0: ga_heap_check_locked (heap lock held) instead of ga_heap_check (heap ops);
 *      bit 1: also call the checker with a NULL description buffer (must still fail);
 *      bits 2-7, with t's high byte, the position pos = (v >> 2) << 8 | t >> 8 where a
 *      corruption can hit any of several places a check covers: which byte of a free
 *      slot's sampled head and tail (S10), which free slot (F1, S11), which bit of
 *      alloc_cache (S8), which occupied cache slot (C1).
 * A corruption with no candidate target in the current state changes nothing.
 * `enabled` false: the bytes are consumed and nothing else happens (drivers bound the
 * number of checker runs per input this way).
 * Deterministic, no global state; single-threaded use only (nothing else may run on
 * the heap meanwhile). */
#ifndef FUZZ_CORRUPT_H
#define FUZZ_CORRUPT_H

#include <stdbool.h>

#include "fuzz_input.h"

#define CORRUPT_OP_BYTE 0xA5 /* escape byte of the op in heap_fuzz and pagealloc_fuzz */

struct ga_heap;
struct ga_pagealloc;

/* Returns the name of the corruption applied (and undone), or NULL if none.
 * corrupt_pagealloc_op with recheck false leaves the last step, ga_pagealloc_check
 * passing on the restored state, to the caller (who runs it once after a series of
 * corrupt ops: the state is the same before each). */
const char *corrupt_heap_op(struct ga_heap *h, fuzz_input *in, bool enabled);
const char *corrupt_pagealloc_op(struct ga_pagealloc *p, fuzz_input *in, bool enabled, bool recheck);

/* Table sizes (for seed generators and tests). */
unsigned corrupt_heap_kinds(void);
unsigned corrupt_pagealloc_kinds(void);
/* Name of corruption k of the heap table (k < corrupt_heap_kinds(), pageAlloc entries
 * included) or of the pageAlloc table. */
const char *corrupt_heap_name(unsigned k);
const char *corrupt_pagealloc_name(unsigned k);

#endif
