/* ga_addr_ranges (alloc/ranges.c, Go's addrRanges): hand-computed cases, a seeded
 * differential run against a naive model (one bool per address of a small space:
 * the ranges are its maximal runs), and refusals of the array's growth (ENOMEM leaves
 * the set and the OS counters as they were).  R1-R3 are checked after every step. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "os.h"
#include "ranges.h"
#include "support/check.h"

#define U 300 /* model space: offsets [0, U) */

static ga_os OS;

/* R1-R3 of alloc/ranges.h. */
static void check_valid(const ga_addr_ranges *a, const char *what) {
    size_t total = 0;
    for (size_t k = 0; k < a->n; k++) {
        CHECK(a->ranges[k].base < a->ranges[k].limit, "%s: R1 range %zu empty", what, k);
        CHECK(k == 0 || a->ranges[k - 1].limit < a->ranges[k].base, "%s: R1 range %zu touches or precedes", what, k);
        total += a->ranges[k].limit - a->ranges[k].base;
    }
    CHECK(a->n <= a->cap && (a->cap == 0) == (a->ranges == NULL), "%s: R2 n %zu cap %zu", what, a->n, a->cap);
    CHECK(a->cap * sizeof(ga_addr_range) % ga_phys_page_size() == 0, "%s: R2 cap %zu", what, a->cap);
    CHECK_EQ(a->total_bytes, total, "%s: R3 total_bytes", what);
}

static ga_addr_range R(uintptr_t b, uintptr_t l) { return (ga_addr_range){b, l}; }

static void expect_ranges(const ga_addr_ranges *a, const uintptr_t *bl, size_t n, const char *what) {
    check_valid(a, what);
    CHECK_EQ(a->n, n, "%s: range count", what);
    for (size_t k = 0; k < n && k < a->n; k++)
        CHECK(a->ranges[k].base == bl[2 * k] && a->ranges[k].limit == bl[2 * k + 1],
              "%s: range %zu = [%#lx, %#lx), expected [%#lx, %#lx)", what, k, (unsigned long)a->ranges[k].base,
              (unsigned long)a->ranges[k].limit, (unsigned long)bl[2 * k], (unsigned long)bl[2 * k + 1]);
}
#define EXPECT(a, what, ...)                                                                                           \
    do {                                                                                                               \
        const uintptr_t bl_[] = {__VA_ARGS__};                                                                         \
        expect_ranges((a), bl_, sizeof bl_ / sizeof bl_[0] / 2, (what));                                               \
    } while (0)

static void test_cases(void) {
    ga_addr_ranges a;
    CHECK_EQ(ga_addr_ranges_init(&a, &OS), 0, "init");
    uintptr_t f = 7;
    CHECK(!ga_addr_ranges_find_addr_greater_equal(&a, 0, &f) && f == 0, "empty: nothing >= 0");
    CHECK(!ga_addr_ranges_contains(&a, 0), "empty: contains nothing");
    CHECK_EQ(ga_addr_ranges_find_succ(&a, 5), 0, "empty: find_succ");
    ga_addr_range r = ga_addr_ranges_remove_last(&a, 10);
    CHECK(r.base == 0 && r.limit == 0, "empty: remove_last gives {0, 0}");
    ga_addr_ranges_remove_greater_equal(&a, 0);

    CHECK_EQ(ga_addr_ranges_add(&a, R(10, 10)), EINVAL, "empty range");
    CHECK_EQ(ga_addr_ranges_add(&a, R(11, 10)), EINVAL, "inverted range");
    CHECK_EQ(ga_addr_ranges_add(&a, R(10, 20)), 0, "add [10,20)");
    CHECK_EQ(ga_addr_ranges_add(&a, R(30, 40)), 0, "add [30,40)");
    CHECK_EQ(ga_addr_ranges_add(&a, R(50, 60)), 0, "add [50,60)");
    EXPECT(&a, "three", 10, 20, 30, 40, 50, 60);
    CHECK_EQ(ga_addr_ranges_add(&a, R(15, 25)), EINVAL, "overlaps the end of one");
    CHECK_EQ(ga_addr_ranges_add(&a, R(25, 35)), EINVAL, "overlaps the start of one");
    CHECK_EQ(ga_addr_ranges_add(&a, R(0, 100)), EINVAL, "covers all");
    CHECK_EQ(ga_addr_ranges_add(&a, R(32, 33)), EINVAL, "inside one");
    EXPECT(&a, "unchanged by refusals", 10, 20, 30, 40, 50, 60);
    CHECK_EQ(a.total_bytes, 30, "total");

    /* Go's findSucc: the first range whose base is above off */
    CHECK_EQ(ga_addr_ranges_find_succ(&a, 9), 0, "find_succ below all");
    CHECK_EQ(ga_addr_ranges_find_succ(&a, 10), 1, "find_succ at a base");
    CHECK_EQ(ga_addr_ranges_find_succ(&a, 19), 1, "find_succ at a last byte");
    CHECK_EQ(ga_addr_ranges_find_succ(&a, 20), 1, "find_succ at a limit");
    CHECK_EQ(ga_addr_ranges_find_succ(&a, 30), 2, "find_succ at the second base");
    CHECK_EQ(ga_addr_ranges_find_succ(&a, 1000), 3, "find_succ above all");
    CHECK(ga_addr_ranges_contains(&a, 10) && ga_addr_ranges_contains(&a, 19) && !ga_addr_ranges_contains(&a, 20) &&
              !ga_addr_ranges_contains(&a, 9),
          "contains");
    CHECK(ga_addr_ranges_find_addr_greater_equal(&a, 0, &f) && f == 10, "ge below all: first base");
    CHECK(ga_addr_ranges_find_addr_greater_equal(&a, 15, &f) && f == 15, "ge inside: itself");
    CHECK(ga_addr_ranges_find_addr_greater_equal(&a, 20, &f) && f == 30, "ge in a gap: next base");
    CHECK(!ga_addr_ranges_find_addr_greater_equal(&a, 60, &f) && f == 0, "ge at the last limit: none");

    /* coalescing: down, up, both */
    CHECK_EQ(ga_addr_ranges_add(&a, R(20, 22)), 0, "touching below");
    CHECK_EQ(ga_addr_ranges_add(&a, R(28, 30)), 0, "touching above");
    EXPECT(&a, "coalesced up and down", 10, 22, 28, 40, 50, 60);
    CHECK_EQ(ga_addr_ranges_add(&a, R(22, 28)), 0, "filling a gap");
    EXPECT(&a, "gap filled", 10, 40, 50, 60);
    CHECK_EQ(a.total_bytes, 40, "total after coalescing");
    CHECK_EQ(ga_addr_ranges_add(&a, R(0, 5)), 0, "below all");
    EXPECT(&a, "inserted first", 0, 5, 10, 40, 50, 60);

    /* remove_last: part of the last range, then the whole of it */
    r = ga_addr_ranges_remove_last(&a, 4);
    CHECK(r.base == 56 && r.limit == 60, "remove_last part: [%lu, %lu)", (unsigned long)r.base, (unsigned long)r.limit);
    r = ga_addr_ranges_remove_last(&a, 100);
    CHECK(r.base == 50 && r.limit == 56, "remove_last whole: [%lu, %lu)", (unsigned long)r.base,
          (unsigned long)r.limit);
    r = ga_addr_ranges_remove_last(&a, 0);
    CHECK(r.base == 40 && r.limit == 40, "remove_last 0 bytes: an empty range at the limit");
    EXPECT(&a, "after remove_last", 0, 5, 10, 40);
    CHECK_EQ(a.total_bytes, 35, "total after remove_last");

    /* remove_greater_equal: inside, at a base, in a gap, below all */
    ga_addr_ranges_remove_greater_equal(&a, 25);
    EXPECT(&a, "cut at 25", 0, 5, 10, 25);
    ga_addr_ranges_remove_greater_equal(&a, 10);
    EXPECT(&a, "cut at a base", 0, 5);
    ga_addr_ranges_remove_greater_equal(&a, 7);
    EXPECT(&a, "cut in a gap", 0, 5);
    ga_addr_ranges_remove_greater_equal(&a, 0);
    check_valid(&a, "cut at 0");
    CHECK(a.n == 0 && a.total_bytes == 0, "cut at 0 empties");

    /* clone_into: b gets its own array */
    ga_addr_ranges b;
    ga_addr_ranges_init(&b, &OS);
    ga_addr_ranges_add(&a, R(100, 200));
    ga_addr_ranges_add(&a, R(300, 400));
    CHECK_EQ(ga_addr_ranges_clone_into(&a, &b), 0, "clone");
    EXPECT(&b, "clone", 100, 200, 300, 400);
    CHECK(b.ranges != a.ranges && b.total_bytes == 200, "clone has its own array");
    ga_addr_ranges_add(&b, R(0, 1));
    EXPECT(&a, "the original after changing the clone", 100, 200, 300, 400);
    ga_addr_ranges_destroy(&b);
    ga_addr_ranges_destroy(&a);
    CHECK(a.n == 0 && a.cap == 0 && a.ranges == NULL && a.os == &OS, "destroy leaves an empty set");
}

/* ---- differential run against the naive model --------------------------------------- */

static unsigned long long rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void compare(const ga_addr_ranges *a, const bool *m, const char *what, int step) {
    char w[96];
    snprintf(w, sizeof w, "%s step %d", what, step);
    check_valid(a, w);
    size_t k = 0, total = 0;
    for (unsigned x = 0; x < U;) {
        if (!m[x]) {
            x++;
            continue;
        }
        unsigned e = x;
        while (e < U && m[e])
            e++;
        CHECK(k < a->n && a->ranges[k].base == x && a->ranges[k].limit == e, "%s: run [%u, %u) is not range %zu", w, x,
              e, k);
        total += e - x;
        k++;
        x = e;
    }
    CHECK(k == a->n && total == a->total_bytes, "%s: %zu ranges (model %zu), total %zu (model %zu)", w, a->n, k,
          a->total_bytes, total);
    /* every query at every offset, against the model */
    for (unsigned x = 0; x <= U; x++) {
        size_t succ = 0;
        for (size_t j = 0; j < a->n; j++)
            succ += a->ranges[j].base <= x; /* bases at or below x */
        CHECK_EQ(ga_addr_ranges_find_succ(a, x), succ, "%s: find_succ(%u)", w, x);
        bool in = x < U && m[x];
        CHECK_EQ(ga_addr_ranges_contains(a, x), in, "%s: contains(%u)", w, x);
        unsigned g = x;
        while (g < U && !m[g])
            g++;
        uintptr_t f = 12345;
        bool ok = ga_addr_ranges_find_addr_greater_equal(a, x, &f);
        CHECK(ok == (g < U) && f == (g < U ? g : 0), "%s: find_addr_greater_equal(%u) = %d %lu, model %u", w, x, ok,
              (unsigned long)f, g);
    }
}

static void test_differential(void) {
    ga_addr_ranges a, b;
    ga_addr_ranges_init(&a, &OS);
    ga_addr_ranges_init(&b, &OS);
    bool m[U] = {0};
    for (int step = 0; step < 3000; step++) {
        unsigned op = rnd(10);
        if (op < 6) { /* add */
            unsigned base = rnd(U), len = rnd(8), lim = base + len > U ? U : base + len;
            bool over = false;
            for (unsigned x = base; x < lim; x++)
                over |= m[x];
            int want = base >= lim || over ? EINVAL : 0;
            CHECK_EQ(ga_addr_ranges_add(&a, R(base, lim)), want, "step %d: add [%u, %u)", step, base, lim);
            if (!want)
                memset(&m[base], 1, lim - base);
        } else if (op < 7) { /* remove_last */
            unsigned nb = rnd(12);
            unsigned top = U;
            while (top > 0 && !m[top - 1])
                top--;
            unsigned lo = top;
            while (lo > 0 && m[lo - 1] && top - lo < nb)
                lo--; /* the last run, or its top nb addresses */
            ga_addr_range r = ga_addr_ranges_remove_last(&a, nb);
            CHECK(top == 0 ? (r.base == 0 && r.limit == 0) : (r.base == lo && r.limit == top),
                  "step %d: remove_last(%u) = [%lu, %lu), model [%u, %u)", step, nb, (unsigned long)r.base,
                  (unsigned long)r.limit, lo, top);
            memset(&m[lo], 0, top - lo);
        } else if (op < 8) { /* remove_greater_equal, rarely low */
            unsigned x = rnd(4) ? U - rnd(U / 3) : rnd(U);
            ga_addr_ranges_remove_greater_equal(&a, x);
            if (x < U)
                memset(&m[x], 0, U - x);
        } else { /* clone into b, then compare b too */
            CHECK_EQ(ga_addr_ranges_clone_into(&a, &b), 0, "step %d: clone", step);
            compare(&b, m, "clone", step);
        }
        compare(&a, m, "diff", step);
    }
    ga_addr_ranges_destroy(&a);
    ga_addr_ranges_destroy(&b);
}

/* ---- refusals of the array's growth ---------------------------------------------- */

static void test_refusals(void) {
    size_t per_page = ga_phys_page_size() / sizeof(ga_addr_range);
    ga_addr_ranges a, b;
    ga_addr_ranges_init(&a, &OS);
    ga_addr_ranges_init(&b, &OS);
    /* The first add allocates: refused, nothing changes. */
    OS.fail_nth = atomic_load(&OS.calls) + 1;
    CHECK_EQ(ga_addr_ranges_add(&a, R(0, 1)), ENOMEM, "first add refused");
    CHECK(a.n == 0 && a.cap == 0 && a.ranges == NULL && a.total_bytes == 0, "refused first add changed the set");
    OS.fail_nth = 0;
    for (size_t k = 0; k < per_page; k++)
        CHECK_EQ(ga_addr_ranges_add(&a, R(2 * k, 2 * k + 1)), 0, "fill %zu", k);
    CHECK_EQ(a.cap, per_page, "one page of ranges");
    size_t mapped = atomic_load(&OS.mapped);
    ga_addr_range *arr = a.ranges;
    /* Full: a disjoint add must grow the array; refused, nothing changes. */
    OS.fail_nth = atomic_load(&OS.calls) + 1;
    CHECK_EQ(ga_addr_ranges_add(&a, R(10000, 10001)), ENOMEM, "growth refused");
    CHECK(a.n == per_page && a.cap == per_page && a.ranges == arr && a.total_bytes == per_page,
          "refused growth changed the set");
    CHECK_EQ(atomic_load(&OS.mapped), mapped, "refused growth changed the OS counters");
    /* ... while adds that coalesce need no room (no OS call at all). */
    uint64_t calls = atomic_load(&OS.calls);
    CHECK_EQ(ga_addr_ranges_add(&a, R(1, 2)), 0, "coalescing add with a full array");
    CHECK_EQ(atomic_load(&OS.calls), calls, "coalescing add called the OS");
    OS.fail_nth = 0;
    check_valid(&a, "after refusals");
    /* clone into a smaller b: refused, b unchanged */
    CHECK(ga_addr_ranges_add(&a, R(20000, 20001)) == 0 && ga_addr_ranges_add(&a, R(20002, 20003)) == 0 &&
              a.n == per_page + 1 && a.cap == 2 * per_page,
          "growth after the refusals (n %zu, cap %zu)", a.n, a.cap);
    ga_addr_ranges_add(&b, R(5, 6));
    OS.fail_nth = atomic_load(&OS.calls) + 1;
    CHECK_EQ(ga_addr_ranges_clone_into(&a, &b), ENOMEM, "clone growth refused");
    CHECK(b.n == 1 && b.ranges[0].base == 5 && b.total_bytes == 1, "refused clone changed b");
    OS.fail_nth = 0;
    CHECK_EQ(ga_addr_ranges_clone_into(&a, &b), 0, "clone after");
    CHECK(b.n == a.n && b.cap == a.cap && b.total_bytes == a.total_bytes, "clone after: same set");

    /* reserve / reserve_end(false): the old array back in place, the new one given back */
    mapped = atomic_load(&OS.mapped);
    arr = a.ranges;
    size_t n = a.n, cap = a.cap;
    ga_addr_ranges_undo u;
    CHECK_EQ(ga_addr_ranges_reserve(&a, cap, &u), 0, "reserve");
    CHECK(u.replaced && a.cap >= n + cap && a.ranges != arr, "reserve grew the array");
    ga_addr_ranges_reserve_end(&a, &u, false);
    CHECK(a.ranges == arr && a.cap == cap && a.n == n, "reserve_end(false) restores");
    CHECK_EQ(atomic_load(&OS.mapped), mapped, "reserve_end(false) gives the new array back");
    CHECK_EQ(ga_addr_ranges_reserve(&a, cap - n + 1, &u), 0, "reserve one more than the capacity");
    ga_addr_ranges_reserve_end(&a, &u, true);
    CHECK(a.cap == 2 * cap && atomic_load(&OS.mapped) == mapped + cap * sizeof(ga_addr_range),
          "reserve_end(true) keeps the new array (cap %zu, mapped +%zu)", a.cap,
          (size_t)(atomic_load(&OS.mapped) - mapped));
    CHECK_EQ(ga_addr_ranges_reserve(&a, SIZE_MAX, &u), ENOMEM, "a reservation no array can hold");
    CHECK(!u.replaced, "refused reservation replaced the array");
    ga_addr_ranges_reserve_end(&a, &u, true); /* nothing to end: harmless */
    check_valid(&a, "after reserve");
    ga_addr_ranges_destroy(&a);
    ga_addr_ranges_destroy(&b);
    CHECK(atomic_load(&OS.mapped) == 0 && atomic_load(&OS.reserved) == 0, "destroy gave back %zu mapped, %zu reserved",
          (size_t)atomic_load(&OS.mapped), (size_t)atomic_load(&OS.reserved));
}

int main(void) {
    ga_os_init(&OS, NULL);
    test_cases();
    test_differential();
    test_refusals();
    return check_report();
}
