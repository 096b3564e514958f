/* GOALLOC_TRACE: the malloc drop-in's call recorder (dropin/trace.c; the file format is
 * described there and in fuzz/README.md "trace_fuzz").
 *
 * Hooks in dropin/malloc.c: each exported function starts with
 *     if (GA_TRACING()) return ga_trace_<fn>(args...);
 * which records the call around a second, untraced run of the same function (so the
 * function's body is never touched by tracing); bad_free() calls ga_trace_bad_free;
 * at_load calls ga_trace_init; a thread's cache destructor calls ga_trace_thread_end.
 * Off (no GOALLOC_TRACE), a hook costs one load and one predictable branch. */
#ifndef GA_DROPIN_TRACE_H
#define GA_DROPIN_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#define GA_TRACE_HIDDEN __attribute__((visibility("hidden")))

extern GA_TRACE_HIDDEN bool ga_trace_on; /* set once, at load, before any other thread */
extern GA_TRACE_HIDDEN _Thread_local __attribute__((tls_model("initial-exec"))) unsigned ga_trace_depth;

/* Tracing, and not already inside a traced call (realloc's own malloc and free). */
#define GA_TRACING() (__builtin_expect(ga_trace_on, 0) && ga_trace_depth == 0)

GA_TRACE_HIDDEN void ga_trace_init(void);
GA_TRACE_HIDDEN void ga_trace_thread_end(void);
/* A bad free (or realloc of a bad pointer) with result r, inside the current call;
 * fatal: the process aborts next, so the call is recorded and the trace written now. */
GA_TRACE_HIDDEN void ga_trace_bad_free(int r, bool fatal);

GA_TRACE_HIDDEN void *ga_trace_malloc(size_t n);
GA_TRACE_HIDDEN void ga_trace_free(void *p);
GA_TRACE_HIDDEN void *ga_trace_calloc(size_t k, size_t n);
GA_TRACE_HIDDEN void *ga_trace_realloc(void *p, size_t n);
GA_TRACE_HIDDEN void *ga_trace_reallocarray(void *p, size_t k, size_t n);
GA_TRACE_HIDDEN int ga_trace_posix_memalign(void **out, size_t align, size_t n);
GA_TRACE_HIDDEN void *ga_trace_aligned_alloc(size_t align, size_t n);
GA_TRACE_HIDDEN void *ga_trace_memalign(size_t align, size_t n);
GA_TRACE_HIDDEN void *ga_trace_valloc(size_t n);
GA_TRACE_HIDDEN void *ga_trace_pvalloc(size_t n);
GA_TRACE_HIDDEN size_t ga_trace_malloc_usable_size(void *p);

#endif
