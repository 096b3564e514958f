/* Test OS: a ga_os_hooks table that counts every call per hook and passes it to the
 * real OS, with switches to make hooks fail (as a real OS error would, not through
 * ga_os injection), to move reservations away from their hint, and to make `unused`
 * record-only, for page allocators managing address ranges that are not mapped.
 * Usage: ga_testos t; ga_testos_init(&t); cfg.os = &t.hooks; ... */
#ifndef GA_TESTOS_H
#define GA_TESTOS_H

#include <stddef.h>
#include <stdint.h>

#include "goalloc.h"

enum { TESTOS_RESERVE, TESTOS_MAP, TESTOS_USED, TESTOS_UNUSED, TESTOS_RELEASE, TESTOS_FAULT, TESTOS_NHOOKS };

#define TESTOS_LOG 256

typedef struct ga_testos_call {
    int hook;
    uintptr_t v;
    size_t n;
} ga_testos_call;

typedef struct ga_testos {
    ga_os_hooks hooks;    /* pass &hooks as ga_config.os; ctx = this */
    unsigned fail_mask;   /* bit h: hook h fails (ENOMEM / NULL) */
    int fake_unused;      /* unused is recorded, never sent to the OS */
    int displace_reserve; /* reserve ignores the hint: asks the OS for hint-less memory */
    uint64_t calls[TESTOS_NHOOKS];
    uint64_t bytes[TESTOS_NHOOKS];
    ga_testos_call log[TESTOS_LOG]; /* the last TESTOS_LOG calls, oldest first once full */
    uint64_t nlog;
} ga_testos;

void ga_testos_init(ga_testos *t);
/* k-th logged call counting from the most recent (0 = last); NULL if not logged. */
const ga_testos_call *ga_testos_recent(const ga_testos *t, uint64_t k);
/* Protection of the mapping holding address a from /proc/self/maps ("rw-p", "---p"),
 * or "" if unmapped; buf holds at least 8 bytes. */
const char *ga_testos_prot(const void *a, char *buf);

#endif
