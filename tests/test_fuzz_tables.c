/* The fuzz drivers' operation tables (fuzz/<driver>_ops.h, format in fuzz/fuzz_ops.h)
 * against everything else that names op codes:
 *  - each table: codes 0, 1, 2, ... in row order, names unique, name = lower-case NAME,
 *    arg_bytes = the sizes in its layout column (`x:u16` = 2 bytes, `8 x (...)`);
 *  - each dictionary fuzz/<driver>.dict (read from the source tree): an entry named
 *    op_<name>[__label] is one or more whole operations, the first being <name>, each
 *    op byte exactly its code (heap_fuzz: plus cache bits; trace_fuzz: plus thread bits) and followed by exactly its
 *    arg_bytes; part_<name>[__label] is <name>'s op byte and at most arg_bytes;
 *    corrupt[__label] is CORRUPT_OP_BYTE and its 4 bytes; hdr_* (heap_fuzz, threads_fuzz) is a whole
 *    input header; heap_fuzz.dict and pagealloc_fuzz.dict hold nothing else and have
 *    an op_ entry for every op (gen_heap_seeds.py --dict writes one per op);
 *  - fuzz/README.md: every `| code | NAME |` row of a driver's section is that table's
 *    row, and every op has one.
 * The seed generators read the same headers (fuzz/fuzz_ops.py) and the drivers check
 * at run time that each handler reads arg_bytes (FUZZ_OP_READ_CHECK), so a code, name
 * or size can only change in one place. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_ops.h"
#include "heap_ops.h"
#include "mspan_ops.h"
#include "pagealloc_ops.h"
#include "pallocbits_ops.h"
#include "sizeclass_ops.h"
#include "threads_ops.h"
#include "trace_ops.h"
#include "support/check.h"
#include "support/corrupt.h"

typedef struct row {
    int code;
    const char *NAME, *name;
    int arg_bytes;
    const char *layout;
} row;

#define ROW(code, NAME, name, args, layout) {code, #NAME, #name, args, layout},
static const row heap_rows[] = {HEAP_OPS(ROW)};
static const row pagealloc_rows[] = {PAGEALLOC_OPS(ROW)};
static const row pallocbits_rows[] = {PALLOCBITS_OPS(ROW)};
static const row mspan_rows[] = {MSPAN_OPS(ROW)};
static const row sizeclass_rows[] = {SIZECLASS_OPS(ROW)};
static const row threads_rows[] = {THREADS_OPS(ROW)};
static const row trace_rows[] = {TRACE_OPS(ROW)};
#undef ROW

typedef struct table {
    const char *driver; /* fuzz/<driver>.c */
    const row *rows;
    size_t n;
    unsigned op_mask;        /* the op byte's code bits (0: all; heap_fuzz 63: 2 cache bits; trace_fuzz 31) */
    int corrupt;             /* CORRUPT_OP_BYTE escapes the op byte */
    const char *dict;        /* fuzz/<dict>, or NULL */
    int dict_only_ops;       /* every entry is an op_/part_/corrupt/hdr_ entry */
    int dict_every_op;       /* every op has an op_ entry */
    const char *readme_head; /* its section of fuzz/README.md */
    int hdr_bytes;           /* hdr_* dictionary entries: a whole input header of this size */
} table;

#define T(rows) rows, sizeof rows / sizeof rows[0]
static const table tables[] = {
    {"heap_fuzz", T(heap_rows), 63, 1, "heap_fuzz.dict", 1, 1, "## heap_fuzz", HEAP_FUZZ_HEADER_BYTES},
    {"pagealloc_fuzz", T(pagealloc_rows), 0, 1, "pagealloc_fuzz.dict", 1, 1, "## pagealloc_fuzz", 0},
    {"pallocbits_fuzz", T(pallocbits_rows), 0, 0, "pallocbits_fuzz.dict", 0, 0, "## pallocbits_fuzz", 0},
    {"mspan_fuzz", T(mspan_rows), 0, 0, NULL, 0, 0, "## mspan_fuzz", 0},
    {"sizeclass_fuzz", T(sizeclass_rows), 0, 0, NULL, 0, 0, "## sizeclass_fuzz", 0},
    {"threads_fuzz", T(threads_rows), 0, 0, "threads_fuzz.dict", 1, 1, "## threads_fuzz", THREADS_FUZZ_HEADER_BYTES},
    {"trace_fuzz", T(trace_rows), 31, 0, "trace_fuzz.dict", 1, 1, "## trace_fuzz", 0},
};
#undef T

/* ---- files of the source tree, found from this file's path ------------------------- */

/* Path of `rel` (e.g. "fuzz/heap_fuzz.dict"): __FILE__ is absolute in CMake builds; a
 * relative one (a hand build from the top directory) works from there. */
static void src_path(char *buf, size_t n, const char *rel) {
    const char *f = __FILE__, *slash = strrchr(f, '/');
    if (slash)
        snprintf(buf, n, "%.*s/../%s", (int)(slash - f), f, rel);
    else
        snprintf(buf, n, "../%s", rel);
}

/* The whole file, NUL-terminated; NULL (a failed check) if it cannot be read. */
static char *slurp(const char *rel) {
    char path[4096];
    src_path(path, sizeof path, rel);
    FILE *f = fopen(path, "rb");
    if (!CHECK(f != NULL, "cannot open %s", path))
        return NULL;
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap);
    REQUIRE(buf != NULL);
    while ((got = fread(buf + len, 1, cap - 1 - len, f)) > 0) {
        len += got;
        if (len == cap - 1) {
            cap *= 2;
            buf = realloc(buf, cap);
            REQUIRE(buf != NULL);
        }
    }
    fclose(f);
    buf[len] = 0;
    return buf;
}

static const row *by_name(const table *t, const char *name, size_t len) {
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->rows[i].name) == len && strncmp(t->rows[i].name, name, len) == 0)
            return &t->rows[i];
    return NULL;
}

/* ---- the tables themselves ------------------------------------------------------- */

/* Bytes the layout column describes: each `:uN` is N/8 bytes; "K x (...)" repeats. */
static int layout_bytes(const char *s) {
    int total = 0, mult = 1;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p) && (p == s || p[-1] == ' ')) {
            char *end;
            long k = strtol(p, &end, 10);
            if (strncmp(end, " x (", 4) == 0) {
                mult = (int)k;
                p = end + 3;
                continue;
            }
        }
        if (*p == ')')
            mult = 1;
        if (p[0] == ':' && p[1] == 'u') {
            int bits = atoi(p + 2);
            total += mult * bits / 8;
        }
    }
    return total;
}

static void check_table(const table *t) {
    CHECK(t->n > 0 && t->n <= 64, "%s: %zu ops", t->driver, t->n);
    for (size_t i = 0; i < t->n; i++) {
        const row *r = &t->rows[i];
        CHECK_EQ(r->code, (int)i, "%s: op %s: codes are 0, 1, 2, ... in row order", t->driver, r->name);
        char lower[64];
        size_t k = 0;
        for (; r->NAME[k] && k < sizeof lower - 1; k++)
            lower[k] = (char)tolower((unsigned char)r->NAME[k]);
        lower[k] = 0;
        CHECK(strcmp(lower, r->name) == 0, "%s: op %s is named %s", t->driver, r->NAME, r->name);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(t->rows[j].name, r->name) != 0, "%s: two ops named %s", t->driver, r->name);
        CHECK_GE(r->arg_bytes, -1, "%s: op %s", t->driver, r->name);
        if (r->arg_bytes >= 0)
            CHECK_EQ(layout_bytes(r->layout), r->arg_bytes, "%s: op %s: layout \"%s\"", t->driver, r->name, r->layout);
    }
    /* heap_fuzz reduces (b & 63) % n, trace_fuzz (b & 31) % n: every code must fit the mask */
    if (t->op_mask)
        CHECK_LE(t->n, t->op_mask + 1u, "%s", t->driver);
}

/* ---- dictionaries ------------------------------------------------------------------- */

/* Decodes a dictionary value ("..." with \xNN, \\, \" escapes) into out; its length,
 * or -1. */
static int unescape(const char *s, const char *end, unsigned char *out, size_t cap) {
    size_t n = 0;
    while (s < end) {
        unsigned c = (unsigned char)*s++;
        if (c == '\\') {
            if (s < end && *s == 'x' && end - s >= 3 && isxdigit((unsigned char)s[1]) &&
                isxdigit((unsigned char)s[2])) {
                char hex[3] = {s[1], s[2], 0};
                c = (unsigned)strtoul(hex, NULL, 16);
                s += 3;
            } else if (s < end && (*s == '\\' || *s == '"')) {
                c = (unsigned char)*s++;
            } else {
                return -1;
            }
        }
        if (n == cap)
            return -1;
        out[n++] = (unsigned char)c;
    }
    return (int)n;
}

/* One op_ entry: whole ops, the first one `first`. */
static void check_ops_entry(const table *t, const char *ename, const row *first, const unsigned char *v, int len) {
    int pos = 0, nops = 0;
    while (pos < len) {
        unsigned b = v[pos];
        if (t->corrupt && b == CORRUPT_OP_BYTE) {
            CHECK(nops > 0, "%s: %s starts with the corrupt op", t->dict, ename);
            pos += 1 + FUZZ_CORRUPT_ARG_BYTES;
            nops++;
            continue;
        }
        unsigned code = t->op_mask ? (b & t->op_mask) : b;
        if (!CHECK(code < t->n, "%s: %s: byte %d (%#x) is no op code of fuzz/%.*s_ops.h", t->dict, ename, pos, b,
                   (int)(strlen(t->driver) - 5), t->driver))
            return;
        const row *r = &t->rows[code];
        if (nops == 0)
            CHECK(r == first, "%s: %s is op %s (code %u), its name says %s (code %d)", t->dict, ename, r->name, code,
                  first->name, first->code);
        if (!CHECK(r->arg_bytes >= 0, "%s: %s: op %s has no fixed size", t->dict, ename, r->name))
            return;
        pos += 1 + r->arg_bytes;
        nops++;
    }
    CHECK_EQ(pos, len, "%s: %s: %d bytes are not whole operations (the last one is cut)", t->dict, ename, len);
}

static void check_dict(const table *t) {
    char rel[256];
    snprintf(rel, sizeof rel, "fuzz/%s", t->dict);
    char *text = slurp(rel);
    if (!text)
        return;
    int seen[64] = {0}, entries = 0;
    for (char *line = text, *next; *line; line = next) {
        next = strchr(line, '\n');
        next = next ? next + 1 : line + strlen(line);
        char l[1024];
        snprintf(l, sizeof l, "%.*s", (int)(next - line), line);
        l[strcspn(l, "\n")] = 0;
        if (l[0] == '#' || l[0] == 0)
            continue;
        char *eq = strchr(l, '='), *q1 = eq ? eq + 1 : NULL, *q2 = q1 ? strrchr(q1, '"') : NULL;
        if (!CHECK(eq && *q1 == '"' && q2 > q1 && q2[1] == 0, "%s: malformed line: %s", t->dict, l))
            continue;
        char ename[128];
        snprintf(ename, sizeof ename, "%.*s", (int)(eq - l), l);
        unsigned char v[512];
        int len = unescape(q1 + 1, q2, v, sizeof v);
        if (!CHECK(len > 0, "%s: %s: bad value", t->dict, ename))
            continue;
        entries++;
        int is_op = strncmp(ename, "op_", 3) == 0, is_part = strncmp(ename, "part_", 5) == 0;
        if (is_op || is_part) {
            const char *name = ename + (is_op ? 3 : 5), *label = strstr(name, "__");
            size_t nlen = label ? (size_t)(label - name) : strlen(name);
            const row *r = by_name(t, name, nlen);
            if (!CHECK(r != NULL, "%s: %s names no op of fuzz/%.*s_ops.h", t->dict, ename, (int)(strlen(t->driver) - 5),
                       t->driver))
                continue;
            if (is_op) {
                check_ops_entry(t, ename, r, v, len);
                seen[r->code]++;
            } else {
                CHECK_EQ(t->op_mask ? (v[0] & t->op_mask) : v[0], (unsigned)r->code, "%s: %s", t->dict, ename);
                if (r->arg_bytes >= 0)
                    CHECK_LE(len - 1, r->arg_bytes, "%s: %s is more than op %s", t->dict, ename, r->name);
            }
        } else if (t->corrupt && (strcmp(ename, "corrupt") == 0 || strncmp(ename, "corrupt__", 9) == 0)) {
            CHECK_EQ(v[0], CORRUPT_OP_BYTE, "%s: %s", t->dict, ename);
            CHECK_EQ(len, 1 + FUZZ_CORRUPT_ARG_BYTES, "%s: %s", t->dict, ename);
        } else if (t->hdr_bytes && strncmp(ename, "hdr_", 4) == 0) {
            CHECK_EQ(len, t->hdr_bytes, "%s: %s is not a whole input header", t->dict, ename);
        } else {
            CHECK(!t->dict_only_ops, "%s: %s is neither op_, part_, corrupt nor a header", t->dict, ename);
        }
    }
    CHECK_GT(entries, 0, "%s: no entries", t->dict);
    if (t->dict_every_op)
        for (size_t i = 0; i < t->n; i++)
            CHECK(seen[i] > 0, "%s: no op_%s entry", t->dict, t->rows[i].name);
    free(text);
}

/* ---- fuzz/README.md ---------------------------------------------------------------- */

static void check_readme(const char *text, const table *t) {
    const char *sec = strstr(text, t->readme_head);
    if (!CHECK(sec != NULL, "fuzz/README.md: no section \"%s\"", t->readme_head))
        return;
    const char *end = strstr(sec + 3, "\n## ");
    if (!end)
        end = sec + strlen(sec);
    int seen[64] = {0};
    for (const char *line = sec, *nl; line < end; line = nl ? nl + 1 : end) {
        nl = strchr(line, '\n');
        int code, nch = 0;
        char NAME[64];
        if (sscanf(line, "| %d | %63[A-Z0-9_] |%n", &code, NAME, &nch) != 2 || nch == 0)
            continue;
        if (!CHECK(code >= 0 && (size_t)code < t->n, "fuzz/README.md %s: code %d", t->driver, code))
            continue;
        CHECK(strcmp(NAME, t->rows[code].NAME) == 0, "fuzz/README.md %s: code %d is %s, the table says %s", t->driver,
              code, NAME, t->rows[code].NAME);
        seen[code]++;
    }
    for (size_t i = 0; i < t->n; i++)
        CHECK_EQ(seen[i], 1, "fuzz/README.md %s: rows for op %s", t->driver, t->rows[i].NAME);
}

int main(void) {
    char *readme = slurp("fuzz/README.md");
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        check_table(&tables[i]);
        if (tables[i].dict)
            check_dict(&tables[i]);
        if (readme)
            check_readme(readme, &tables[i]);
    }
    free(readme);
    return check_report();
}
