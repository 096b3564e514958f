/* Address ranges: Go's addrRanges (mranges.go), a sorted set of disjoint address
 * ranges kept coalesced, with the total of their sizes.  goalloc keeps them on OFFSET
 * addresses (ga_off, alloc/internal.h), so that they sort in address order across the
 * whole 48-bit space, as Go's offAddr comparisons do.
 *
 * The array is metadata from the OS layer (ga_sys_alloc), grown by doubling; unlike
 * Go's persistentalloc, a refused growth is reported (ENOMEM, nothing changed) and the
 * old array is given back.  Not thread-safe: the owner's lock is held.
 *
 * Invariants (docs/invariants.md, "Address ranges"):
 *   R1  ranges[0 .. n) sorted, each non-empty (base < limit), disjoint and
 *       non-adjacent: ranges[k].limit < ranges[k + 1].base (touching ranges coalesce);
 *   R2  n <= cap; ranges == NULL iff cap == 0; the array is cap * sizeof(ga_addr_range)
 *       bytes from ga_sys_alloc, a whole number of physical pages;
 *   R3  total_bytes = the sum of limit - base over the n ranges. */
#ifndef GA_RANGES_H
#define GA_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"

typedef struct ga_addr_range {
    uintptr_t base, limit; /* offset addresses, [base, limit) */
} ga_addr_range;

typedef struct ga_addr_ranges {
    ga_addr_range *ranges; /* R1, R2 */
    size_t n, cap;
    size_t total_bytes; /* R3 */
    ga_os *os;          /* where the array comes from */
} ga_addr_ranges;

/* A replaced array kept until the change that needed the room is known to stand
 * (ga_addr_ranges_reserve); replaced == false: the array was not replaced. */
typedef struct ga_addr_ranges_undo {
    ga_addr_range *ranges; /* the old array (NULL if a had none) */
    size_t cap;
    bool replaced;
} ga_addr_ranges_undo;

/* Empty set drawing its array from os.  Allocates nothing (the first add does), so it
 * returns 0; int for callers that treat it as Go's init, which allocates. */
GA_HIDDEN int ga_addr_ranges_init(ga_addr_ranges *a, ga_os *os);
/* Give the array back; a is empty (same os) afterwards and may be reused. */
GA_HIDDEN void ga_addr_ranges_destroy(ga_addr_ranges *a);
/* Add r (base < limit), coalescing with a neighbour it touches (Go's add).  0; EINVAL
 * if r is empty or overlaps a range of a (nothing changed); ENOMEM if the array had to
 * grow and the OS refused (nothing changed). */
GA_HIDDEN int ga_addr_ranges_add(ga_addr_ranges *a, ga_addr_range r);
/* Index of the first range whose base is above off, n if none (Go's findSucc): the
 * range containing off, if any, is the one before it. */
GA_HIDDEN size_t ga_addr_ranges_find_succ(const ga_addr_ranges *a, uintptr_t off);
/* The lowest address >= off inside a range (off itself if a contains it): true and
 * *found; false (and *found = 0) if there is none, an empty set included (where Go's
 * findAddrGreaterEqual would index past its slice). */
GA_HIDDEN bool ga_addr_ranges_find_addr_greater_equal(const ga_addr_ranges *a, uintptr_t off, uintptr_t *found);
GA_HIDDEN bool ga_addr_ranges_contains(const ga_addr_ranges *a, uintptr_t off);
/* Remove nbytes from the top of the last range (the whole range if it is not larger)
 * and return what was removed; {0, 0} if a is empty (Go's removeLast). */
GA_HIDDEN ga_addr_range ga_addr_ranges_remove_last(ga_addr_ranges *a, size_t nbytes);
/* Remove every address >= off (Go's removeGreaterEqual). */
GA_HIDDEN void ga_addr_ranges_remove_greater_equal(ga_addr_ranges *a, uintptr_t off);
/* b := a (b's own array, grown to a's capacity if too small: then ENOMEM leaves b
 * unchanged).  0 or ENOMEM. */
GA_HIDDEN int ga_addr_ranges_clone_into(const ga_addr_ranges *a, ga_addr_ranges *b);

/* Room for `extra` more ranges, made ahead of a change that must not fail once begun
 * (pageAlloc's grow reserves before mapping metadata).  0 or ENOMEM (nothing
 * changed).  When the array was replaced, *u keeps the old one: end the reservation
 * with ga_addr_ranges_reserve_end(a, u, keep): keep = true gives the old array back
 * to the OS; false puts it back in place (a must hold the same ranges as at reserve)
 * and gives the new one back, so that a failed change leaves a and the OS as they
 * were.  Never fails. */
GA_HIDDEN int ga_addr_ranges_reserve(ga_addr_ranges *a, size_t extra, ga_addr_ranges_undo *u);
GA_HIDDEN void ga_addr_ranges_reserve_end(ga_addr_ranges *a, ga_addr_ranges_undo *u, bool keep);

#endif
