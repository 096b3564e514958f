/* OS layer: every transition with its counters and the state the kernel reports,
 * refusals (injected, limit, hook errors) leaving everything unchanged, reservations
 * placed away from their hint. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os.h"
#include "support/check.h"
#include "support/testos.h"

static size_t P; /* physical page */

typedef struct counts {
    size_t reserved, mapped, ready;
    uint64_t released, calls, refusals, errors;
} counts;

static counts snap(ga_os *os) {
    return (counts){atomic_load(&os->reserved),       atomic_load(&os->mapped), atomic_load(&os->ready),
                    atomic_load(&os->released_total), atomic_load(&os->calls),  atomic_load(&os->refusals),
                    atomic_load(&os->os_errors)};
}

static int same_state(counts a, counts b) {
    return a.reserved == b.reserved && a.mapped == b.mapped && a.ready == b.ready && a.released == b.released;
}

static const char *prot(const void *a) {
    static char buf[8];
    return ga_testos_prot(a, buf);
}

static int all_zero(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* ---- transitions, table-driven, over one reservation of 16 physical pages ----- */

enum { RESERVE, MAP, USED, UNUSED, FAULT, UNMAP, FREE, WRITE };

typedef struct step {
    const char *what;
    int op;
    size_t at, len, arg;                      /* in physical pages; arg = prepared / ready / mapped pages */
    size_t arg2;                              /* FREE: ready pages */
    size_t reserved, mapped, ready, released; /* expected after, in pages */
    const char *prot_at;                      /* expected protection at page `at` after the step */
    int zero;                                 /* 1: pages [at, at+len) read zero after the step */
} step;

static const step transitions[] = {
    {"reserve 16", RESERVE, 0, 16, 0, 0, 16, 0, 0, 0, "---p", -1},
    {"map [0,8)", MAP, 0, 8, 0, 0, 16, 8, 0, 0, "rw-p", 1},
    {"map leaves [8,16) reserved", WRITE, 8, 0, 0, 0, 16, 8, 0, 0, "---p", -1},
    {"used [0,8), 8 prepared", USED, 0, 8, 8, 0, 16, 8, 8, 0, "rw-p", 1},
    {"write [0,8)", WRITE, 0, 8, 0, 0, 16, 8, 8, 0, "rw-p", 0},
    {"unused [2,4)", UNUSED, 2, 2, 0, 0, 16, 8, 6, 2, "rw-p", 1},
    {"unused keeps the rest", WRITE, 0, 0, 0, 0, 16, 8, 6, 2, "rw-p", -1},
    {"used [0,8), 2 prepared", USED, 0, 8, 2, 0, 16, 8, 8, 2, "rw-p", -1},
    {"write [0,8) again", WRITE, 0, 8, 0, 0, 16, 8, 8, 2, "rw-p", 0},
    {"fault [4,8)", FAULT, 4, 4, 0, 0, 16, 4, 4, 2, "---p", -1},
    {"map [4,12) is fresh", MAP, 4, 8, 0, 0, 16, 12, 4, 2, "rw-p", 1},
    {"unmap [8,12), none ready", UNMAP, 8, 4, 0, 0, 16, 8, 4, 2, "---p", -1},
    {"free [0,16)", FREE, 0, 16, 8, 4, 0, 0, 0, 2, "", -1},
};

static void test_transitions(void) {
    ga_os os;
    ga_os_init(&os, NULL);
    char *base = NULL;
    for (size_t i = 0; i < sizeof transitions / sizeof *transitions; i++) {
        const step *s = &transitions[i];
        char *v = base ? base + s->at * P : NULL;
        size_t n = s->len * P;
        int rc = 0;
        switch (s->op) {
        case RESERVE:
            base = ga_sys_reserve(&os, NULL, n), rc = base ? 0 : -1, v = base;
            break;
        case MAP:
            rc = ga_sys_map(&os, v, n);
            break;
        case USED:
            rc = ga_sys_used(&os, v, n, s->arg * P);
            break;
        case UNUSED:
            ga_sys_unused(&os, v, n);
            break;
        case FAULT:
            ga_sys_fault(&os, v, n);
            break;
        case UNMAP:
            ga_sys_unmap(&os, v, n, s->arg * P);
            break;
        case FREE:
            ga_sys_free(&os, v, n, s->arg * P, s->arg2 * P);
            break;
        case WRITE:
            memset(v, 0x5a, n);
            break;
        }
        counts c = snap(&os);
        CHECK(rc == 0, "%s: failed", s->what);
        CHECK(c.reserved == s->reserved * P && c.mapped == s->mapped * P && c.ready == s->ready * P &&
                  c.released == s->released * P,
              "%s: counters (reserved %zu, mapped %zu, ready %zu, released %zu) pages, expected (%zu, %zu, %zu, %zu)",
              s->what, c.reserved / P, c.mapped / P, c.ready / P, (size_t)(c.released / P), s->reserved, s->mapped,
              s->ready, s->released);
        CHECK(strcmp(prot(v), s->prot_at) == 0, "%s: protection at page %zu is '%s', expected '%s'", s->what, s->at,
              prot(v), s->prot_at);
        if (s->zero == 1)
            CHECK(all_zero(v, n), "%s: pages not zero", s->what);
        if (s->zero == 0)
            CHECK(v[0] == 0x5a && v[n - 1] == 0x5a, "%s: write lost", s->what);
        if (i == 5)
            CHECK(base[0] == 0x5a && base[4 * P] == 0x5a, "unused touched pages outside its range");
    }
    counts c = snap(&os);
    CHECK(c.calls == 5 && c.refusals == 0 && c.errors == 0,
          "transitions: %lu calls (expected 5 refusable), %lu refusals, %lu errors", (unsigned long)c.calls,
          (unsigned long)c.refusals, (unsigned long)c.errors);

    /* alloc: None -> Ready, zero-filled; free returns it all. */
    char *a = ga_sys_alloc(&os, 3 * P);
    c = snap(&os);
    CHECK(a && c.reserved == 3 * P && c.mapped == 3 * P && c.ready == 3 * P, "alloc: counters %zu/%zu/%zu", c.reserved,
          c.mapped, c.ready);
    CHECK(a && all_zero(a, 3 * P) && strcmp(prot(a), "rw-p") == 0, "alloc: not zeroed RW memory");
    if (a)
        ga_sys_free(&os, a, 3 * P, 3 * P, 3 * P);
    c = snap(&os);
    CHECK(c.reserved == 0 && c.mapped == 0 && c.ready == 0, "alloc+free: counters not back to zero");
    CHECK(ga_phys_page_size() == (size_t)sysconf(_SC_PAGESIZE), "phys page size %zu", ga_phys_page_size());
}

/* ---- refusals -------------------------------------------------------------------- */

typedef struct refusal {
    const char *what;
    uint64_t fail_nth, fail_after;
    size_t limit_pages;
    unsigned hook_fail;
    /* a fixed script: reserve 8, map [0,4), used [0,4), alloc 2, map [4,8); which of the
     * five calls must be refused (bit i = call i) */
    unsigned refused;
} refusal;

static const refusal refusals[] = {
    {"nothing injected", 0, 0, 0, 0, 0},
    {"fail 1st call (reserve)", 1, 0, 0, 0, 1u << 0},
    {"fail 2nd call (map)", 2, 0, 0, 0, 1u << 1},
    {"fail 3rd call (used)", 3, 0, 0, 0, 1u << 2},
    {"fail 4th call (alloc)", 4, 0, 0, 0, 1u << 3},
    {"fail 5th call (second map)", 5, 0, 0, 0, 1u << 4},
    {"fail after 2 calls", 0, 2, 0, 0, 1u << 2 | 1u << 3 | 1u << 4},
    {"fail after 0 = never", 0, 0, 0, 0, 0},
    {"nth and after together", 2, 4, 0, 0, 1u << 1 | 1u << 4},
    {"mapped limit 4 pages", 0, 0, 4, 0, 1u << 3 | 1u << 4},
    {"mapped limit 6 pages", 0, 0, 6, 0, 1u << 4},
    {"mapped limit 3 pages", 0, 0, 3, 0, 1u << 1 | 1u << 4},
    {"reserve hook error", 0, 0, 0, 1u << TESTOS_RESERVE, 1u << 0 | 1u << 3},
    {"map hook error", 0, 0, 0, 1u << TESTOS_MAP, 1u << 1 | 1u << 3 | 1u << 4},
    {"used hook error", 0, 0, 0, 1u << TESTOS_USED, 1u << 2 | 1u << 3},
};

static void test_refusals(void) {
    for (size_t t = 0; t < sizeof refusals / sizeof *refusals; t++) {
        const refusal *r = &refusals[t];
        ga_testos tos;
        ga_testos_init(&tos);
        tos.fail_mask = r->hook_fail;
        ga_config cfg = {0};
        cfg.os = &tos.hooks;
        cfg.os_fail_nth = r->fail_nth;
        cfg.os_fail_after = r->fail_after;
        cfg.mapped_limit = r->limit_pages * P;
        ga_os os;
        ga_os_init(&os, &cfg);
        char *base = NULL, *a = NULL;
        size_t mapped = 0, ready = 0, reserved = 0, arena = 0;
        for (int call = 0; call < 5; call++) {
            int expect_refused = r->refused >> call & 1;
            if (call > 0 && call != 3 && !base)
                continue; /* nothing reserved to work on */
            counts before = snap(&os);
            int ok;
            errno = 0;
            switch (call) {
            case 0:
                ok = (base = ga_sys_reserve(&os, NULL, 8 * P)) != NULL;
                break;
            case 1:
                ok = ga_sys_map(&os, base, 4 * P) == 0;
                break;
            case 2:
                ok = ga_sys_used(&os, base, 4 * P, mapped >= 4 * P ? 4 * P : 0) == 0;
                break;
            case 3:
                ok = (a = ga_sys_alloc(&os, 2 * P)) != NULL;
                break;
            default:
                ok = ga_sys_map(&os, base + 4 * P, 4 * P) == 0;
                break;
            }
            counts after = snap(&os);
            CHECK(ok == !expect_refused, "%s: call %d %s, expected %s", r->what, call + 1, ok ? "succeeded" : "refused",
                  expect_refused ? "refusal" : "success");
            CHECK(after.calls == before.calls + 1, "%s: call %d not counted", r->what, call + 1);
            if (!ok) {
                CHECK(errno == ENOMEM, "%s: call %d: errno %d, expected ENOMEM", r->what, call + 1, errno);
                CHECK(same_state(before, after) && after.refusals == before.refusals + 1,
                      "%s: refused call %d changed counters", r->what, call + 1);
                if (call == 1 || call == 4) {
                    char *v = base + (call == 1 ? 0 : 4 * P);
                    CHECK(strcmp(prot(v), "---p") == 0, "%s: refused map left '%s'", r->what, prot(v));
                }
                continue;
            }
            switch (call) {
            case 0:
                reserved += 8 * P;
                break;
            case 1:
                mapped += 4 * P;
                break;
            case 2:
                ready += mapped >= 4 * P ? 4 * P : 0;
                break;
            case 3:
                arena = 2 * P;
                break;
            default:
                mapped += 4 * P;
                break;
            }
            CHECK(after.reserved == reserved + arena && after.mapped == mapped + arena && after.ready == ready + arena,
                  "%s: call %d: counters %zu/%zu/%zu", r->what, call + 1, after.reserved, after.mapped, after.ready);
        }
        if (a)
            ga_sys_free(&os, a, 2 * P, 2 * P, 2 * P);
        if (base)
            ga_sys_free(&os, base, 8 * P, mapped, ready);
        counts end = snap(&os);
        CHECK(end.reserved == 0 && end.mapped == 0 && end.ready == 0, "%s: counters not zero at the end", r->what);
        if (r->hook_fail & (1u << TESTOS_MAP))
            CHECK(tos.calls[TESTOS_RELEASE] >= 1, "%s: alloc composed through hooks did not release its reservation",
                  r->what);
    }

    /* unused / free / fault never fail for the caller: OS errors are counted. */
    ga_os os;
    ga_os_init(&os, NULL);
    char *v = ga_sys_reserve(&os, NULL, 4 * P);
    ga_sys_map(&os, v, 4 * P);
    ga_sys_used(&os, v, 4 * P, 4 * P);
    ga_sys_unused(&os, v + 1, P); /* unaligned: madvise says EINVAL */
    counts c = snap(&os);
    CHECK(c.errors == 1 && c.ready == 3 * P && c.released == P, "unaligned unused: errors %lu, ready %zu",
          (unsigned long)c.errors, c.ready);
    ga_sys_free(&os, v, 4 * P, 4 * P, 3 * P);
    c = snap(&os);
    CHECK(c.reserved == 0 && c.mapped == 0 && c.ready == 0, "free after error: counters not zero");
    CHECK(ga_sys_reserve(&os, NULL, 0) == NULL && errno == ENOMEM, "reserve of 0 bytes must be refused");

    /* Limit: mapping back up to it after an unmap is allowed again. */
    ga_config cfg = {0};
    cfg.mapped_limit = 4 * P;
    ga_os_init(&os, &cfg);
    v = ga_sys_reserve(&os, NULL, 8 * P);
    CHECK(ga_sys_map(&os, v, 4 * P) == 0, "limit: map up to the limit refused");
    CHECK(ga_sys_map(&os, v + 4 * P, P) == ENOMEM, "limit: map past the limit allowed");
    ga_sys_unmap(&os, v, 2 * P, 0);
    CHECK(ga_sys_map(&os, v + 4 * P, 2 * P) == 0, "limit: map after unmap refused");
    CHECK(ga_sys_alloc(&os, P) == NULL && errno == ENOMEM, "limit: alloc past the limit allowed");
    ga_sys_free(&os, v, 8 * P, 4 * P, 0);
    c = snap(&os);
    CHECK(c.mapped == 0 && c.reserved == 0, "limit: counters not zero");
}

/* ---- hooks observe everything; reservations away from their hint ----------------- */

static void test_hooks_and_hints(void) {
    ga_testos tos;
    ga_testos_init(&tos);
    ga_config cfg = {0};
    cfg.os = &tos.hooks;
    ga_os os;
    ga_os_init(&os, &cfg);
    char *a = ga_sys_alloc(&os, 2 * P);
    CHECK(a && tos.calls[TESTOS_RESERVE] == 1 && tos.calls[TESTOS_MAP] == 1 && tos.calls[TESTOS_USED] == 1,
          "alloc through hooks: reserve/map/used calls %lu/%lu/%lu", (unsigned long)tos.calls[TESTOS_RESERVE],
          (unsigned long)tos.calls[TESTOS_MAP], (unsigned long)tos.calls[TESTOS_USED]);
    CHECK(atomic_load(&os.calls) == 1, "alloc counts as one refusable call, not %lu",
          (unsigned long)atomic_load(&os.calls));
    CHECK(a && all_zero(a, 2 * P), "alloc through hooks: not zero");
    ga_sys_free(&os, a, 2 * P, 2 * P, 2 * P);
    CHECK(tos.calls[TESTOS_RELEASE] == 1 && tos.bytes[TESTOS_RELEASE] == 2 * P, "free through hooks not seen");

    /* Hint occupied: the OS places the reservation elsewhere; both are sound. */
    char *r = ga_sys_reserve(&os, NULL, 4 * P);
    char *q = ga_sys_reserve(&os, r, 4 * P);
    CHECK(r && q && q != r, "reserve at an occupied hint returned %p (hint %p)", (void *)q, (void *)r);
    CHECK(q && strcmp(prot(q), "---p") == 0 && strcmp(prot(q + 4 * P - 1), "---p") == 0,
          "moved reservation not PROT_NONE");
    CHECK(atomic_load(&os.reserved) == 8 * P, "moved reservation: reserved %zu", atomic_load(&os.reserved));
    CHECK(q && ga_sys_map(&os, q, 4 * P) == 0 && all_zero(q, 4 * P), "moved reservation not usable");
    ga_sys_free(&os, q, 4 * P, 4 * P, 0);
    ga_sys_free(&os, r, 4 * P, 0, 0);

    /* A free hint is honoured by Linux; a hook may still move it. */
    char *h = ga_sys_reserve(&os, NULL, 4 * P);
    ga_sys_free(&os, h, 4 * P, 0, 0);
    char *g = ga_sys_reserve(&os, h, 4 * P);
    CHECK(g == h, "free hint %p not honoured (got %p)", (void *)h, (void *)g);
    ga_sys_free(&os, g, 4 * P, 0, 0);
    tos.displace_reserve = 1;
    char *far = ga_sys_reserve(&os, (void *)(uintptr_t)0x100000000000ull, 4 * P);
    CHECK(far && far != (char *)(uintptr_t)0x100000000000ull && strcmp(prot(far), "---p") == 0, "displaced reserve: %p",
          (void *)far);
    if (far)
        ga_sys_free(&os, far, 4 * P, 0, 0);
    tos.displace_reserve = 0;

    /* Aligned reservation: exactly n bytes at an aligned address. */
    size_t align = (size_t)64 << 20;
    uint64_t calls0 = atomic_load(&os.calls);
    char *al = ga_sys_reserve_aligned(&os, NULL, 8 * P, align);
    CHECK(al && (uintptr_t)al % align == 0, "reserve_aligned: %p not aligned", (void *)al);
    CHECK(atomic_load(&os.reserved) == 8 * P, "reserve_aligned: reserved %zu, expected %zu", atomic_load(&os.reserved),
          8 * P);
    CHECK(atomic_load(&os.calls) == calls0 + 1, "reserve_aligned: %lu calls, expected one",
          (unsigned long)(atomic_load(&os.calls) - calls0));
    if (al) {
        CHECK(ga_sys_map(&os, al, 8 * P) == 0 && all_zero(al, 8 * P), "aligned reservation not usable");
        ga_sys_free(&os, al, 8 * P, 8 * P, 0);
    }
    counts c = snap(&os);
    CHECK(c.reserved == 0 && c.mapped == 0 && c.ready == 0, "hooks: counters not zero at the end");
}

int main(void) {
    P = ga_phys_page_size();
    test_transitions();
    test_refusals();
    test_hooks_and_hints();
    return check_report();
}
