/* realloc-heavy: many small strings grown a few bytes at a time and sometimes cut back
 * (string builders, line buffers), then large buffers grown to 64-128 MiB, by
 * doubling (a vector) and by fixed 4 MiB steps (reading a stream into one buffer), and
 * shrunk again.  Contents are checked after every move, so a realloc that loses bytes
 * fails the run.
 *
 * Usage: peers_realloc [scale%]   (default 100 %)
 * Prints a checksum of the strings' bytes and of the large buffers' sampled words. */
#include "peers.h"

#include <stdint.h>
#include <string.h>

#define STRINGS 20000
#define MAX_STRING 4096
#define MIB (1024u * 1024u)

struct str {
    unsigned char *p;
    uint32_t len, cap_limit;
};

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull; }

static uint64_t small_strings(uint64_t ops) {
    struct str *s = calloc(STRINGS, sizeof *s);
    if (!s)
        pr_fail("calloc");
    uint64_t rng = 99, h = 0xcbf29ce484222325ull;
    for (uint64_t i = 0; i < ops; i++) {
        struct str *t = &s[pr_next(&rng) % STRINGS];
        if (t->cap_limit == 0)
            t->cap_limit = (uint32_t)pr_range(&rng, 16, MAX_STRING);
        uint32_t add = (uint32_t)pr_range(&rng, 1, 32);
        if (t->len + add > t->cap_limit) {
            /* Cut back to a random prefix (shrinking realloc), or drop the string. */
            uint32_t keep = (uint32_t)(pr_next(&rng) % (t->len + 1));
            for (uint32_t k = 0; k < t->len; k += 61)
                h = mix(h, t->p[k]);
            if (keep == 0) {
                free(t->p);
                t->p = NULL;
                t->len = 0;
                t->cap_limit = 0;
                continue;
            }
            unsigned char *q = realloc(t->p, keep);
            if (!q)
                pr_fail("realloc shrink");
            t->p = q;
            t->len = keep;
            continue;
        }
        unsigned char *q = realloc(t->p, t->len + add);
        if (!q)
            pr_fail("realloc grow");
        for (uint32_t k = 0; k < add; k++)
            q[t->len + k] = (unsigned char)(t->len + k + (uint32_t)(t - s));
        t->p = q;
        t->len += add;
    }
    for (int i = 0; i < STRINGS; i++) {
        for (uint32_t k = 0; k < s[i].len; k++)
            if (s[i].p[k] != (unsigned char)(k + (uint32_t)i))
                pr_fail("realloc: string bytes changed");
        h = mix(h, s[i].len);
        free(s[i].p);
    }
    free(s);
    return h;
}

/* One word per 4 KiB page, written as the buffer grows and checked on every move, so
 * that the buffer's pages are really touched (as a program filling it would). */
static void fill_pages(uint64_t *b, size_t from, size_t to) {
    for (size_t w = from / 8; w < to / 8; w += 512)
        b[w] = w * 0x9e3779b97f4a7c15ull;
}

static uint64_t check_pages(const uint64_t *b, size_t len, uint64_t h) {
    for (size_t w = 0; w < len / 8; w += 512) {
        if (b[w] != w * 0x9e3779b97f4a7c15ull)
            pr_fail("realloc: large buffer word changed");
    }
    return mix(h, len);
}

static uint64_t large_buffers(unsigned reps) {
    uint64_t h = 0;
    for (unsigned r = 0; r < reps; r++) {
        /* A vector: doubling from 1 MiB to 128 MiB, then halving back to 1 MiB. */
        size_t len = MIB;
        uint64_t *b = pr_xmalloc(len);
        fill_pages(b, 0, len);
        while (len < 128u * MIB) {
            uint64_t *q = realloc(b, len * 2);
            if (!q)
                pr_fail("realloc large grow");
            b = q;
            h = check_pages(b, len, h);
            fill_pages(b, len, len * 2);
            len *= 2;
        }
        while (len > MIB) {
            len /= 2;
            uint64_t *q = realloc(b, len);
            if (!q)
                pr_fail("realloc large shrink");
            b = q;
            h = check_pages(b, len, h);
        }
        free(b);
        /* A stream read into one buffer: +4 MiB per step up to 64 MiB. */
        len = 0;
        b = NULL;
        while (len < 64u * MIB) {
            uint64_t *q = realloc(b, len + 4 * MIB);
            if (!q)
                pr_fail("realloc step grow");
            b = q;
            fill_pages(b, len, len + 4 * MIB);
            len += 4 * MIB;
        }
        h = check_pages(b, len, h);
        free(b);
    }
    return h;
}

int main(int argc, char **argv) {
    uint64_t ops = pr_scaled(argc, argv, 4000000);
    unsigned reps = (unsigned)pr_scaled(argc, argv, 1);
    uint64_t h1 = small_strings(ops), h2 = large_buffers(reps);
    printf("realloc small-ops=%llu large-reps=%u checksum=%016llx%016llx\n", (unsigned long long)ops, reps,
           (unsigned long long)h1, (unsigned long long)h2);
    return 0;
}
