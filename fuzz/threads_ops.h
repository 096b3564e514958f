/* threads_fuzz's operations (fuzz/threads_fuzz.c; table format: fuzz/fuzz_ops.h;
 * meaning: fuzz/README.md "threads_fuzz").  Op byte b: code b % 26.
 * Codes 0-1 shape the schedule, 2-16 run on the current thread (its own cache),
 * 17-24 run with the world stopped (every worker parked), 25 shapes the schedule. */
#ifndef THREADS_OPS_H
#define THREADS_OPS_H

#define THREADS_FUZZ_HEADER_BYTES 2 /* flags:u8 retain:u8 */

/* clang-format off */
#define THREADS_OPS(X)                                                                                                 \
    X( 0, TURN,        turn,        1, "t:u8")           /* the next thread ops run on thread t % nthreads */      \
    X( 1, PAR,         par,         0, "")               /* open a window: its threads run at once (concurrent) */ \
    X( 2, ALLOC_CLASS, alloc_class, 2, "c:u8 v:u8")      /* class 1+c%67, size variant (v>>2)%5, flags v&3 */      \
    X( 3, ALLOC_TINY,  alloc_tiny,  1, "v:u8")           /* size 1+(v>>2)%15, GA_NOSCAN | (v&2 GA_NOZERO) */       \
    X( 4, ALLOC_LARGE, alloc_large, 2, "n:u8 v:u8")      /* 5+n%60 pages, delta (v>>2)%3, flags v&3 */             \
    X( 5, ALLOC_BURST, alloc_burst, 3, "c:u8 v:u8 n:u8") /* 1+n%64 ALLOC_CLASS of one size (<= 128 KiB) */         \
    X( 6, FREE_OWN,    free_own,    2, "i:u16")          /* free a live object this thread allocated */            \
    X( 7, FREE_OTHER,  free_other,  2, "i:u16")          /* free another thread's live object (bit 15: newest) */  \
    X( 8, FREE_RANGE,  free_range,  3, "i:u16 n:u8")     /* 1+n%32 frees of any live objects from index i */       \
    X( 9, FREE_BAD,    free_bad,    3, "i:u16 k:u8")     /* interior, foreign, tiny or (det.) double free */       \
    X(10, MARK,        mark,        4, "i:u16 o:u16")    /* mark a live object through an interior pointer */      \
    X(11, MARK_RANGE,  mark_range,  3, "i:u16 n:u8")     /* mark 1+n live objects from index i */                  \
    X(12, SWEEP,       sweep,       1, "b:u8")           /* ga_sweep(h, b) (0 = all), beside lazy sweeping */      \
    X(13, QUERY,       query,       4, "i:u16 o:u16")    /* ga_object_base / ga_usable_size of a live object */    \
    X(14, PROBE,       probe,       2, "k:u8 n:u8")      /* lock-free queries of pages near this thread's objects */ \
    X(15, CHECK_OWN,   check_own,   0, "")               /* patterns of this thread's live objects */              \
    X(16, FREE_ALLOC,  free_alloc,  2, "i:u16")          /* free a live object, allocate its size again */         \
    X(17, GC_BEGIN,    gc_begin,    0, "")               /* world stopped (skipped in the mark phase) */           \
    X(18, GC_END,      gc_end,      1, "v:u8")           /* v&1: then ga_sweep(h, 0) and exact statistics */       \
    X(19, STW_CHECK,   stw_check,   0, "")               /* ga_heap_check, every pattern, statistics */            \
    X(20, RACE_FREE,   race_free,   2, "t:u8 n:u8")      /* two threads free the same 1+n%32 objects at once */    \
    X(21, RACE_SPAN,   race_span,   2, "t:u8 n:u8")      /* two threads free 2+2n%32 objects of one span at once */ \
    X(22, RACE_SWEEP,  race_sweep,  2, "t:u8 n:u8")      /* frees and re-frees racing ga_sweep(h, 0) */            \
    X(23, CACHE_CYCLE, cache_cycle, 1, "t:u8")           /* destroy thread t's cache and make a new one */         \
    X(24, SCAVENGE,    scavenge,    1, "v:u8")           /* ga_scavenge(h, v == 255 ? SIZE_MAX : v*64 KiB) */ \
    X(25, PAUSE,       pause,       1, "p:u8")           /* thread's next op parks at point 1+p%4, hit 1+p>>2 */
/* clang-format on */

#endif
