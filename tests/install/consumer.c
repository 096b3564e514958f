/* A program outside the project, built against an installed goalloc (tests/install/run.sh):
 * it sees only <goalloc.h> and the installed libraries.  It allocates small and large
 * objects, frees one, runs a GC cycle (one object marked, the rest reclaimed), checks the
 * heap's invariants with ga_heap_check and its statistics, and exits 0 only if every
 * step did what goalloc.h says. */
#include <goalloc.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "consumer: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

int main(int argc, char **argv) {
    const char *how = argc > 1 ? argv[1] : "?";
    char why[256] = "";

    ga_heap *h = ga_heap_new(NULL);
    CHECK(h != NULL);
    if (h == NULL)
        return 1;
    ga_cache *c = ga_cache_new(h);
    CHECK(c != NULL);
    if (c == NULL)
        return 1;

    /* Allocate: a small object with pointers, a small noscan one, a large one. */
    char *kept = ga_alloc(c, 100, 0);
    char *freed = ga_alloc(c, 48, GA_NOSCAN);
    char *large = ga_alloc(c, 100000, 0);
    CHECK(kept != NULL && freed != NULL && large != NULL);
    if (kept == NULL || freed == NULL || large == NULL)
        return 1;
    CHECK(ga_usable_size(h, kept) >= 100);
    CHECK(ga_object_base(h, kept + 50) == kept);
    for (size_t i = 0; i < 100; i++)
        CHECK(kept[i] == 0); /* zeroed unless GA_NOZERO */
    memset(kept, 0xab, 100);
    memset(freed, 0xcd, 48);
    memset(large, 0xef, 100000);

    /* Explicit free, then the same pointer again: misuse is reported, not fatal. */
    CHECK(ga_free(c, freed) == 0);
    CHECK(ga_free(c, freed) == -EALREADY);

    /* One GC cycle: only `kept` is marked; `large` is reclaimed by the sweep. */
    ga_gc_begin(h);
    CHECK(ga_mark(h, kept + 10) == 1);
    CHECK(ga_mark(h, kept) == 0);
    ga_gc_end(h);
    (void)ga_sweep(h, 0);
    CHECK(ga_usable_size(h, kept) >= 100);
    CHECK(kept[0] == (char)0xab && kept[99] == (char)0xab);

    ga_stats st;
    ga_heap_stats(h, &st);
    CHECK(st.num_gc == 1);
    CHECK(st.nmalloc >= 3);
    CHECK(st.heap_alloc >= 100 && st.heap_alloc < 100000);

    CHECK(ga_heap_check(h, why, sizeof why) == 0);
    if (why[0] != '\0')
        fprintf(stderr, "consumer: ga_heap_check: %s\n", why);

    CHECK(ga_free(c, kept) == 0);
    CHECK(ga_heap_check(h, why, sizeof why) == 0);
    ga_cache_destroy(c);
    ga_heap_destroy(h);

    if (failures != 0) {
        fprintf(stderr, "consumer (%s): %d check(s) failed\n", how, failures);
        return 1;
    }
    printf("consumer (%s): allocate, free, GC cycle, ga_heap_check: ok\n", how);
    return 0;
}
