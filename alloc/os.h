/* OS layer: Go's sysReserve/sysMap/sysUsed/sysUnused/sysFree/sysFault (mem.go), over
 * mmap/mprotect/madvise, behind a replaceable hook table.
 *
 * Memory states (docs/go-facts.md §3.1): None -> Reserved (PROT_NONE) -> Prepared (mapped RW, not
 * necessarily backed) <-> Ready (usable).  One ga_os per heap (or per pageAlloc under
 * test) counts bytes in each state and injects refusals:
 *   - os_fail_nth: the Nth refusable call (1-based) fails;
 *   - os_fail_after: every refusable call after the first N fails;
 *   - mapped_limit: map and alloc fail (ENOMEM) when mapped bytes would exceed it
 *     (reaching it exactly is allowed).
 * Refusable calls are reserve, map, used and alloc (each counts as one call, refused
 * or not).  A refused call returns failure with errno = ENOMEM and changes nothing
 * (byte counters included; the refusal counters count it).  unused/free/fault/unmap
 * never fail from the caller's point of view (OS errors are counted in os_errors, as Go
 * ignores them).
 *
 * Counters follow the caller's declared transitions (the OS cannot be asked which
 * state a byte is in), so callers must pass truthful ranges and byte counts.
 *
 * Thread safety: counters are atomic; the injection counter is atomic, so a ga_os may
 * be shared by threads (the heap calls it under its lock anyway). */
#ifndef GA_OS_H
#define GA_OS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "goalloc.h"
#include "internal.h"

typedef struct ga_os {
    ga_os_hooks hooks;         /* every entry non-NULL after init (real OS filled in) */
    uint64_t fail_nth;         /* 0 = never */
    uint64_t fail_after;       /* 0 = never */
    size_t mapped_limit;       /* 0 = none */
    _Atomic uint64_t calls;    /* refusable calls made so far */
    _Atomic uint64_t refusals; /* refusals (injected, limit, or real) */
    /* Byte counters per state; reserved counts every owned byte (all states but None),
     * mapped = Prepared + Ready, ready = Ready, released = bytes sent back through
     * unused (cumulative). */
    _Atomic size_t reserved, mapped, ready;
    _Atomic uint64_t released_total;
    _Atomic uint64_t os_errors; /* errors from unused/free/fault, ignored as in Go */
    /* White box for the fuzz drivers' limit oracle (nothing in the allocator reads it):
     * limit_refusals counts the map/alloc calls mapped_limit refused; the last one asked
     * for limit_asked bytes with limit_mapped bytes mapped, so a sound refusal has
     * limit_mapped + limit_asked > mapped_limit.  The pair is consistent when one
     * thread at a time uses this ga_os (the drivers are single-threaded). */
    _Atomic uint64_t limit_refusals;
    _Atomic size_t limit_asked, limit_mapped;
} ga_os;

/* Fill os from cfg (NULL = defaults, real OS). */
GA_HIDDEN void ga_os_init(ga_os *os, const ga_config *cfg);

/* None -> Reserved at (or near) hint; returns the address or NULL (errno ENOMEM). */
GA_HIDDEN void *ga_sys_reserve(ga_os *os, void *hint, size_t n);
/* None -> Reserved, aligned: reserves n + align and gives back the unaligned head and
 * the tail (Go's sysReserveAligned, always trimmed to exactly n).  One refusable call. */
GA_HIDDEN void *ga_sys_reserve_aligned(ga_os *os, void *hint, size_t n, size_t align);
/* Reserved -> Prepared (mprotect RW; fresh zero pages).  0 or ENOMEM. */
GA_HIDDEN int ga_sys_map(ga_os *os, void *v, size_t n);
/* Prepared -> Ready; `prepared` = bytes of [v, v+n) that were Prepared (the rest is
 * already Ready).  0 or ENOMEM. */
GA_HIDDEN int ga_sys_used(ga_os *os, void *v, size_t n, size_t prepared);
/* Ready -> Prepared (madvise DONTNEED; contents become zero when touched again). */
GA_HIDDEN void ga_sys_unused(ga_os *os, void *v, size_t n);
/* any -> None.  `mapped_bytes` / `ready_bytes` = how much of [v, v+n) was mapped/Ready. */
GA_HIDDEN void ga_sys_free(ga_os *os, void *v, size_t n, size_t mapped_bytes, size_t ready_bytes);
/* Ready -> Reserved (debug: catch use after free). */
GA_HIDDEN void ga_sys_fault(ga_os *os, void *v, size_t n);
/* Prepared/Ready -> Reserved (hook: fault); `ready_bytes` of [v, v+n) were Ready.
 * Undoes a map (e.g. rolling back metadata after a later refusal). */
GA_HIDDEN void ga_sys_unmap(ga_os *os, void *v, size_t n, size_t ready_bytes);
/* None -> Ready, OS chooses the address, zero-filled (metadata). NULL on refusal.
 * One refusable call; with custom hooks it runs reserve + map + used through them. */
GA_HIDDEN void *ga_sys_alloc(ga_os *os, size_t n);
/* The real OS, for hooks that observe and then pass calls through. */
GA_HIDDEN extern const ga_os_hooks ga_os_real_hooks;
/* Physical page size (4096 on amd64). */
GA_HIDDEN size_t ga_phys_page_size(void);
/* The transparent huge page size (Go's physHugePageSize, read as Go does from
 * /sys/kernel/mm/transparent_hugepage/hpage_pmd_size); 0 if unreadable or not a power
 * of two. */
GA_HIDDEN size_t ga_huge_page_size(void);

#endif
