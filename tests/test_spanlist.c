/* mcentral span lists (alloc/mcentral.c): FIFO order and the tail pointer.
 *
 * The lists are queues like Go's spanSets (push at the tail, pop at the head), so that
 * lazy sweeping meets spans in the order they filled up.  check.c walks head → next
 * and counts; these tests also hold the tail and prev links to what a naive model (an
 * array kept in order) says, through random pushes and removals anywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "support/check.h"

#define NSPANS 64

static ga_mspan spans[NSPANS];

/* The list must hold exactly model[0..n) in that order, links both ways, tail last. */
static void check_list(const ga_span_list *l, ga_mspan *const *model, size_t n, int8_t id) {
    REQUIRE(l->n == n, "n = %zu, model %zu", l->n, n);
    const ga_mspan *prev = NULL, *s = l->head;
    for (size_t i = 0; i < n; i++, prev = s, s = s->next) {
        REQUIRE(s == model[i], "position %zu holds span %td, model %td", i, s ? s - spans : -1, model[i] - spans);
        REQUIRE(s->prev == prev, "prev link of position %zu", i);
        REQUIRE(s->list == id, "list id %d at position %zu", s->list, i);
    }
    REQUIRE(s == NULL, "list longer than the model (%zu)", n);
    REQUIRE(l->tail == (n ? model[n - 1] : NULL), "tail is span %td", l->tail ? l->tail - spans : -1);
}

static void test_fifo(void) {
    ga_mcentral c;
    memset(&c, 0, sizeof c);
    ga_mcentral_init(&c, 8);
    ga_span_list *l = &c.partial[0];
    ga_mspan *model[NSPANS];
    for (size_t i = 0; i < 3; i++) {
        ga_span_list_push(l, &spans[i], GA_LIST_PARTIAL(0));
        model[i] = &spans[i];
        check_list(l, model, i + 1, GA_LIST_PARTIAL(0));
    }
    /* pops take the oldest push first */
    for (size_t i = 0; i < 3; i++) {
        ga_mspan *s = l->head;
        REQUIRE(s == &spans[i], "pop %zu gave span %td", i, s - spans);
        ga_span_list_remove(l, s);
        REQUIRE(s->list == GA_LIST_NONE && !s->next && !s->prev, "removed span keeps links");
        check_list(l, model + i + 1, 2 - i, GA_LIST_PARTIAL(0));
    }
    ga_mcentral_destroy(&c);
}

/* Random pushes and removals at any position against the array model. */
static void test_random(void) {
    ga_mcentral c;
    memset(&c, 0, sizeof c);
    ga_mcentral_init(&c, 8);
    ga_span_list *l = &c.full[1];
    ga_mspan *model[NSPANS];
    size_t n = 0;
    unsigned in[NSPANS] = {0};
    uint64_t x = 0x9e3779b97f4a7c15ull; /* fixed seed: deterministic */
    for (int step = 0; step < 20000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned k = (unsigned)(x % NSPANS);
        if (!in[k]) {
            ga_span_list_push(l, &spans[k], GA_LIST_FULL(1));
            model[n++] = &spans[k];
            in[k] = 1;
        } else {
            ga_span_list_remove(l, &spans[k]);
            size_t i = 0;
            while (model[i] != &spans[k])
                i++;
            memmove(&model[i], &model[i + 1], (n - i - 1) * sizeof model[0]);
            n--;
            in[k] = 0;
        }
        check_list(l, model, n, GA_LIST_FULL(1));
    }
    ga_mcentral_destroy(&c);
}

int main(void) {
    test_fifo();
    test_random();
    return check_report();
}
