/* The one assertion header of tests/: every tests/test_*.c checks with these macros.
 *
 *   CHECK(cond)                 count a check; if cond is false, print
 *   CHECK(cond, fmt, ...)         FAIL tests/test_x.c:LINE: cond: message
 *                               (printf-style message, optional) and go on
 *   REQUIRE(cond[, fmt, ...])   the same, then stop the test: print the summary and
 *                               abort() -- for what the rest of the test stands on (a
 *                               mapping, a heap, a structure a later walk would crash on)
 *   CHECK_EQ(a, b[, fmt, ...])  a == b on integers or pointers, printing both values:
 *                                 FAIL tests/test_x.c:LINE: a == b: left 5, right 6: message
 *   CHECK_NE, CHECK_LT, CHECK_LE, CHECK_GT, CHECK_GE: likewise !=, <, <=, >, >=
 *   REQUIRE_EQ ... REQUIRE_GE:  the fatal variants
 *   return check_report();      at the end of main: prints "test_x: N checks, N failed"
 *                               and returns the exit status (1 on any failure)
 *
 * Each macro is an expression: 1 if the check held, 0 if not (`if (!CHECK(p)) return;`).
 * Every operand is evaluated exactly once.  Comparisons take integers of any type,
 * and pointers; a negative signed value compares below every unsigned one (no usual
 * arithmetic conversions: -1 == UINT_MAX fails, as it reads).  The message must be a
 * string literal (format checked by the compiler).  Counters are atomic: checks may run
 * on any thread; they are per translation unit (static), and a test is one file.  The
 * first CHECK_MAX_PRINTED failures are printed, all are counted.
 *
 * Why not a framework: Debian 12 packages no single-header C test framework; its C
 * test libraries do not fit: cmocka's assert_* end the test function at the first
 * failure (no check-and-continue), check (libcheck) runs each test in a forked child
 * (the OS-layer tests read the process's own /proc/self/maps and counters), CUnit
 * needs a test registry and its assertion counters are not thread-safe (test_threads
 * checks from 8 threads).  None would add anything but a dependency to these ~150
 * lines. */
#ifndef GA_TEST_CHECK_H
#define GA_TEST_CHECK_H

#include <errno.h> /* program_invocation_short_name */
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CHECK_MAX_PRINTED
#define CHECK_MAX_PRINTED 100
#endif

/* The summary's name: the executable's (glibc with _GNU_SOURCE, as CMake builds). */
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
#define CK_PROGNAME_ program_invocation_short_name
#else
#define CK_PROGNAME_ "test"
#endif

static atomic_ulong ck_checks_ __attribute__((unused)), ck_failed_ __attribute__((unused));

/* ---- plain checks ----------------------------------------------------------------- */

#define CHECK(c, ...) ((c) ? ck_pass_() : ck_fail_(__FILE__, __LINE__, #c, NULL, " " __VA_ARGS__))
#define REQUIRE(c, ...) ((c) ? ck_pass_() : (ck_fail_(__FILE__, __LINE__, #c, NULL, " " __VA_ARGS__), ck_stop_()))

/* ---- comparisons ------------------------------------------------------------------ */

enum { CK_SIGNED, CK_UNSIGNED, CK_POINTER };
enum { CK_EQ, CK_NE, CK_LT, CK_LE, CK_GT, CK_GE };

typedef struct ck_val {
    int kind;
    uintmax_t bits; /* the value; two's complement for CK_SIGNED */
} ck_val;

#define CK_KIND_(x)                                                                                                    \
    _Generic((x), _Bool                                                                                                \
             : CK_UNSIGNED, char                                                                                       \
             : ((char)-1 < 0 ? CK_SIGNED : CK_UNSIGNED), signed char                                                   \
             : CK_SIGNED, short                                                                                        \
             : CK_SIGNED, int                                                                                          \
             : CK_SIGNED, long                                                                                         \
             : CK_SIGNED, long long                                                                                    \
             : CK_SIGNED, unsigned char                                                                                \
             : CK_UNSIGNED, unsigned short                                                                             \
             : CK_UNSIGNED, unsigned int                                                                               \
             : CK_UNSIGNED, unsigned long                                                                              \
             : CK_UNSIGNED, unsigned long long                                                                         \
             : CK_UNSIGNED, default                                                                                    \
             : CK_POINTER)
/* _Generic does not evaluate x: the cast is its only evaluation. */
#define CK_VAL_(x) ((ck_val){CK_KIND_(x), (uintmax_t)(x)})

#define CK_CMP_(stop, a, op, ops, b, ...)                                                                              \
    ck_cmp_(CK_VAL_(a), CK_VAL_(b), op, stop, __FILE__, __LINE__, #a, ops, #b, " " __VA_ARGS__)

#define CHECK_EQ(a, b, ...) CK_CMP_(0, a, CK_EQ, "==", b, __VA_ARGS__)
#define CHECK_NE(a, b, ...) CK_CMP_(0, a, CK_NE, "!=", b, __VA_ARGS__)
#define CHECK_LT(a, b, ...) CK_CMP_(0, a, CK_LT, "<", b, __VA_ARGS__)
#define CHECK_LE(a, b, ...) CK_CMP_(0, a, CK_LE, "<=", b, __VA_ARGS__)
#define CHECK_GT(a, b, ...) CK_CMP_(0, a, CK_GT, ">", b, __VA_ARGS__)
#define CHECK_GE(a, b, ...) CK_CMP_(0, a, CK_GE, ">=", b, __VA_ARGS__)
#define REQUIRE_EQ(a, b, ...) CK_CMP_(1, a, CK_EQ, "==", b, __VA_ARGS__)
#define REQUIRE_NE(a, b, ...) CK_CMP_(1, a, CK_NE, "!=", b, __VA_ARGS__)
#define REQUIRE_LT(a, b, ...) CK_CMP_(1, a, CK_LT, "<", b, __VA_ARGS__)
#define REQUIRE_LE(a, b, ...) CK_CMP_(1, a, CK_LE, "<=", b, __VA_ARGS__)
#define REQUIRE_GT(a, b, ...) CK_CMP_(1, a, CK_GT, ">", b, __VA_ARGS__)
#define REQUIRE_GE(a, b, ...) CK_CMP_(1, a, CK_GE, ">=", b, __VA_ARGS__)

/* ---- the summary ---------------------------------------------------------------------- */

static inline int check_report(void) {
    unsigned long n = atomic_load(&ck_checks_), f = atomic_load(&ck_failed_);
    printf("%s: %lu checks, %lu failed\n", CK_PROGNAME_, n, f);
    fflush(stdout);
    return f ? 1 : 0;
}

/* ---- implementation ------------------------------------------------------------------- */

static inline int ck_pass_(void) {
    atomic_fetch_add_explicit(&ck_checks_, 1, memory_order_relaxed);
    return 1;
}

/* The path from its last "tests/" or "fuzz/" on: short, and still names the file. */
static inline const char *ck_path_(const char *file) {
    const char *best = file;
    for (const char *p = file; *p; p++)
        if (p == file || p[-1] == '/')
            if (strncmp(p, "tests/", 6) == 0 || strncmp(p, "fuzz/", 5) == 0)
                best = p;
    return best;
}

/* fmt is " " followed by the caller's message, if any.  One fputs per failure, so
 * failures on several threads do not interleave. */
static int ck_fail_(const char *file, int line, const char *cond, const char *values, const char *fmt, ...)
    __attribute__((format(printf, 5, 6), noinline, cold, unused));
static int ck_fail_(const char *file, int line, const char *cond, const char *values, const char *fmt, ...) {
    atomic_fetch_add(&ck_checks_, 1);
    unsigned long nf = atomic_fetch_add(&ck_failed_, 1) + 1;
    if (nf > CHECK_MAX_PRINTED) {
        if (nf == CHECK_MAX_PRINTED + 1)
            fputs("FAIL ... (further failures are counted, not printed)\n", stderr);
        return 0;
    }
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "FAIL %s:%d: %s%s%s", ck_path_(file), line, cond, values ? " " : "",
                     values ? values : "");
    if (n >= 0 && (size_t)n < sizeof buf && fmt[1]) {
        va_list ap;
        va_start(ap, fmt);
        buf[n++] = ':';
        vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
        va_end(ap);
    }
    fputs(buf, stderr);
    fputs("\n", stderr);
    return 0;
}

static int ck_stop_(void) __attribute__((noreturn, unused));
static int ck_stop_(void) {
    fputs("stopped by a failed REQUIRE\n", stderr);
    check_report();
    fflush(stderr);
    abort();
}

static inline void ck_fmt_val_(char *buf, size_t n, ck_val v) {
    if (v.kind == CK_SIGNED)
        snprintf(buf, n, "%jd", (intmax_t)v.bits);
    else if (v.kind == CK_POINTER)
        snprintf(buf, n, "%#jx", v.bits);
    else if (v.bits > 9)
        snprintf(buf, n, "%ju (%#jx)", v.bits, v.bits);
    else
        snprintf(buf, n, "%ju", v.bits);
}

static inline int ck_cmp_(ck_val a, ck_val b, int op, int stop, const char *file, int line, const char *as,
                          const char *ops, const char *bs, const char *fmt, ...)
    __attribute__((format(printf, 10, 11)));
static inline int ck_cmp_(ck_val a, ck_val b, int op, int stop, const char *file, int line, const char *as,
                          const char *ops, const char *bs, const char *fmt, ...) {
    int c; /* -1, 0, 1: a against b, as numbers */
    bool an = a.kind == CK_SIGNED && (intmax_t)a.bits < 0, bn = b.kind == CK_SIGNED && (intmax_t)b.bits < 0;
    if (an != bn)
        c = an ? -1 : 1;
    else if (an) /* both negative */
        c = (intmax_t)a.bits < (intmax_t)b.bits ? -1 : (intmax_t)a.bits > (intmax_t)b.bits;
    else
        c = a.bits < b.bits ? -1 : a.bits > b.bits;
    int ok = op == CK_EQ   ? c == 0
             : op == CK_NE ? c != 0
             : op == CK_LT ? c < 0
             : op == CK_LE ? c <= 0
             : op == CK_GT ? c > 0
                           : c >= 0;
    if (ok)
        return ck_pass_();
    char cond[512], va[64], vb[64], vals[160], msg[512] = "";
    snprintf(cond, sizeof cond, "%s %s %s:", as, ops, bs);
    ck_fmt_val_(va, sizeof va, a);
    ck_fmt_val_(vb, sizeof vb, b);
    snprintf(vals, sizeof vals, "left %s, right %s", va, vb);
    if (fmt[1]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    if (msg[0])
        ck_fail_(file, line, cond, vals, " %s", msg + 1); /* msg: " " + the caller's message */
    else
        ck_fail_(file, line, cond, vals, " ");
    if (stop)
        ck_stop_();
    return 0;
}

#endif
