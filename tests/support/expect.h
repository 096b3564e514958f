/* EXPECT for the single-threaded white-box tests (test_mheap, test_spanlist): print the
 * failed condition with a message and abort at once, since what follows a broken
 * structure (a list walk, a span lookup) could crash instead of reporting. */
#ifndef GA_EXPECT_H
#define GA_EXPECT_H

#include <stdio.h>
#include <stdlib.h>

static int failures;

#define EXPECT(c, ...)                                                                                                 \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #c);                                               \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fputc('\n', stderr);                                                                                       \
            failures++;                                                                                                \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

#endif
