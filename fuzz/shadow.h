/* The shadow heap: an independent record of what the allocator has promised.
 *
 * It knows nothing of goalloc's code or data structures.  Every object handed out is
 * recorded with its address, requested and usable size, the span class the shadow
 * computes itself (a linear scan over its own copy of Go's class table), the flags,
 * the cache that allocated it, a content pattern derived from its id, and a state:
 *
 *   LIVE       owed to the program: its bytes must stay intact, its slot must not be
 *              handed out again, it must not be released to the OS;
 *   FREED      explicitly freed (ga_free returned 0), slot not yet known reclaimed;
 *   UNMARKED   dropped by the program at a GC (not marked, not allocated black), its
 *              slot awaits a sweep;
 *   RECLAIMED  known to be swept away (a full sweep ran after the cycle).
 *
 * Two levels of object.  *Program objects* are what ga_alloc returned: small, large
 * and tiny sub-objects.  *Extents* are what the allocator owns as objects: small and
 * large objects, and the 16-byte tiny blocks (span class 5 slots) that tiny
 * sub-objects live in.  Owed extents are pairwise disjoint and kept in a balanced tree
 * keyed by address, so "does [p, p+n) overlap anything owed?" takes O(log n).  A tiny
 * block is owed while the allocator must keep it (it was marked, greyed or allocated
 * black in the last cycle, or no cycle ended since it was made); its LIVE sub-objects
 * are the program objects inside it.  Sub-objects of one block never overlap while
 * LIVE (Go's tiny offset only grows), and the shadow checks that too.
 *
 * The tiny allocator is modelled exactly (docs/go-facts.md §8.3): per cache, the current block
 * and offset, so the shadow predicts the address of every tiny allocation that fits
 * the current block and which block becomes current.  At ga_gc_begin the current
 * block of every cache is greyed (gcMarkTinyAllocs); ga_gc_end forgets every current
 * block (releaseAll).
 *
 * Errors are returned as -1 with a description in sh->why; the shadow never aborts.
 * Memory comes from libc malloc; nothing is global, so several shadows can coexist. */
#ifndef GA_FUZZ_SHADOW_H
#define GA_FUZZ_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the shadow's own class table (Go 1.19 linux/amd64) ----------------------- */
#define SH_NUM_CLASSES 68 /* class 0 = large */
#define SH_MAX_SMALL 32768u
#define SH_PAGE 8192u
#define SH_TINY_BLOCK 16u
#define SH_TINY_SPANCLASS 5u
extern const uint32_t sh_class_bytes[SH_NUM_CLASSES]; /* [0] = 0 */
extern const uint32_t sh_class_pages[SH_NUM_CLASSES];

/* Smallest class whose size is >= size, by linear scan; 0 when size > 32768 or 0. */
uint32_t sh_size_class(size_t size);
/* Largest power of two dividing the class size, capped at 8192; 8192 for class 0. */
size_t sh_class_align(uint32_t cls);
/* Usable size the allocator must report for a request: class size, 16 for a tiny
 * request (its block), pages*8192 for large.  0 if size is 0 or too large to round. */
size_t sh_usable_for(size_t size, bool tiny);
static inline bool sh_is_tiny(size_t size, unsigned flags) { return (flags & 1u) && size > 0 && size < SH_TINY_BLOCK; }

/* ---- a balanced search tree (AVL) keyed by address -------------------------------- */
typedef struct sh_node {
    uintptr_t key;
    uint32_t val;
    uint32_t left, right; /* node indices; 0 = none (node 0 is unused) */
    int32_t height;
} sh_node;

typedef struct sh_tree {
    sh_node *nodes;
    uint32_t cap, used, free_list, root, count;
} sh_tree;

void sh_tree_init(sh_tree *t);
void sh_tree_destroy(sh_tree *t);
/* Insert or replace; -1 if out of memory. */
int sh_tree_put(sh_tree *t, uintptr_t key, uint32_t val);
/* Remove key; false if absent. */
bool sh_tree_del(sh_tree *t, uintptr_t key);
bool sh_tree_get(const sh_tree *t, uintptr_t key, uint32_t *val);
/* Entry with the largest key <= key / the smallest key >= key; false if none. */
bool sh_tree_floor(const sh_tree *t, uintptr_t key, uintptr_t *k, uint32_t *val);
bool sh_tree_ceil(const sh_tree *t, uintptr_t key, uintptr_t *k, uint32_t *val);
/* Height and structural check (AVL balance, ordering, count); -1 if broken. */
int sh_tree_check(const sh_tree *t);

/* ---- objects -------------------------------------------------------------------- */
enum sh_kind { SH_SMALL, SH_LARGE, SH_TINY, SH_TINY_BLOCK_KIND };
enum sh_state { SH_LIVE, SH_FREED, SH_UNMARKED, SH_RECLAIMED };

#define SH_NONE UINT32_MAX
#define SH_MAX_CACHES 4

typedef struct sh_obj {
    uintptr_t addr;
    size_t req;    /* requested size (16 for a tiny block) */
    size_t usable; /* slot size: class size, pages*8192, 16 for a tiny block */
    uint64_t seed; /* content pattern seed, from the id */
    uint32_t id;
    uint32_t block;    /* tiny sub-object: its block's id; otherwise SH_NONE */
    uint32_t nlive;    /* tiny block: LIVE sub-objects */
    uint32_t sub;      /* tiny block: its newest sub-object; tiny sub-object: the previous one */
    uint32_t prog_idx; /* index in sh->prog while LIVE (program objects), else SH_NONE */
    uint32_t ext_idx;  /* index in sh->ext while owed (extents), else SH_NONE */
    uint8_t kind, state, spanclass, flags, cache;
    uint8_t marked; /* extents: marked in the current cycle; tiny subs: marked by the program */
    uint8_t black;  /* allocated during the current mark phase */
    uint8_t greyed; /* tiny block: a cache's current block at ga_gc_begin */
} sh_obj;

typedef struct sh_tiny_state {
    uintptr_t tiny; /* 0 = none */
    uintptr_t offset;
    uint32_t block; /* id of the block record */
} sh_tiny_state;

typedef struct shadow {
    sh_obj *objs;
    uint32_t nobjs, cap;
    sh_tree owed;   /* extents owed: addr -> id, pairwise disjoint */
    sh_tree dead;   /* start address -> latest not-owed program object starting there */
    uint32_t *prog; /* LIVE program objects (SMALL, LARGE, TINY), any order */
    uint32_t nprog, cap_prog;
    uint32_t *ext; /* owed extents, any order */
    uint32_t next_ext, cap_ext;
    size_t owed_bytes; /* sum of usable over owed extents */
    size_t live_bytes; /* sum of usable over LIVE program objects (tiny: req) */
    sh_tiny_state tiny[SH_MAX_CACHES];
    bool marking;
    uint32_t exempt; /* extent being freed right now (OS release allowed), or SH_NONE */
    char why[512];
} shadow;

int sh_init(shadow *s);
void sh_destroy(shadow *s);
/* sh_destroy + sh_init that keeps the buffers: a driver reusing one shadow across
 * inputs is spared their regrowth (each growth faults fresh pages in under ASan). */
void sh_reset(shadow *s);
static inline sh_obj *sh_get(shadow *s, uint32_t id) { return &s->objs[id]; }

/* A tiny request of `size` bytes on cache c: the address the allocator must return if
 * the request fits the current block, or 0 if it needs a new block. */
uintptr_t sh_tiny_expect(const shadow *s, int cache, size_t size);

/* Validate and record an allocation ga_alloc(c, size, flags) == p (p not NULL, not
 * zerobase).  Checks: alignment for the class, no overlap with any owed extent, tiny
 * placement and tiny block geometry.  On success returns 0 and the new program
 * object's id in *id.  On failure returns -1 with s->why set; nothing is recorded. */
int sh_on_alloc(shadow *s, int cache, size_t size, unsigned flags, uintptr_t p, uint32_t *id);

/* The owed extent containing p, or SH_NONE. */
uint32_t sh_extent_at(const shadow *s, uintptr_t p);
/* Any owed extent overlapping [p, p+n) (n >= 1), or SH_NONE. */
uint32_t sh_overlap(const shadow *s, uintptr_t p, size_t n);
/* The LIVE program object containing p (a tiny sub-object only if p lies in it),
 * or SH_NONE. */
uint32_t sh_prog_at(const shadow *s, uintptr_t p);

/* What ga_free(p) may return, as a bit set of SH_R_*, with *id = the program object
 * that becomes FREED on success (SH_NONE if success is not allowed).  Interior
 * pointers of owed objects and pointers into owed tiny blocks: -EINVAL only.  Other
 * addresses: -EINVAL or -EALREADY (a free slot's start looks like a freed one); the
 * driver itself insists on -EINVAL for addresses it knows are not the heap's. */
enum { SH_R_OK = 1, SH_R_EINVAL = 2, SH_R_EALREADY = 4 };
unsigned sh_free_expect(const shadow *s, uintptr_t p, uint32_t *id);
/* Record a successful free of program object id (LIVE or UNMARKED). */
void sh_on_free(shadow *s, uint32_t id);
/* Live large object `id` now has `usable` bytes (ga_resize_in_place): a multiple of
 * 8 KiB, at least one page; grown, its new bytes overlap no owed extent.  0, or -1
 * with s->why. */
int sh_on_resize(shadow *s, uint32_t id, size_t usable);

/* GC.  sh_gc_begin: clear marks, grey every cache's current tiny block, marking on.
 * sh_mark_expect: the results ga_mark(p) may give for a point p in LIVE program
 * object id, as a bit set: SH_M_NEW (1, newly marked), SH_M_ALREADY (0).  A greyed
 * tiny block may answer either (Go greys it in the work queue, not necessarily in the
 * mark bits).  sh_on_mark records the mark.  sh_gc_end: unmarked
 * extents and the sub-objects of unmarked blocks become UNMARKED; LIVE tiny
 * sub-objects neither marked nor black become UNMARKED too (their block may stay);
 * every cache's tiny block is forgotten. */
void sh_gc_begin(shadow *s);
enum { SH_M_NEW = 1, SH_M_ALREADY = 2 };
unsigned sh_mark_expect(const shadow *s, uint32_t id);
void sh_on_mark(shadow *s, uint32_t id);
void sh_gc_end(shadow *s);
/* A full sweep has run right after sh_gc_end: FREED and UNMARKED become RECLAIMED. */
void sh_all_reclaimed(shadow *s);
/* A cache is destroyed (release_all): forget its tiny block. */
void sh_cache_gone(shadow *s, int cache);

/* ---- contents ------------------------------------------------------------------- */
/* The bytes the shadow writes and checks for a program object: all `usable` bytes of
 * a small object, the `req` bytes of a tiny sub-object, and for a large object either
 * everything (<= 64 KiB) or the first and last 64 bytes of some of its 4 KiB pages:
 * the first and last SH_SAMPLE_EDGE pages and every SH_SAMPLE_STRIDE-th page. */
#define SH_LARGE_FULL_LIMIT 65536u
#define SH_SAMPLE_PAGE 4096u
#define SH_SAMPLE_BYTES 64u
#define SH_SAMPLE_EDGE 4u
#define SH_SAMPLE_STRIDE 16u
/* The pattern byte at offset off of object id's content. */
uint8_t sh_pattern_byte(uint64_t seed, size_t off);
uint64_t sh_seed_of(uint32_t id);
/* Fill / check the pattern; check returns -1 with s->why on the first difference.
 * zero_check: -1 if a checked byte is non-zero.  Returns bytes touched via *touched
 * (may be NULL) so drivers can budget. */
void sh_fill(shadow *s, uint32_t id, size_t *touched);
int sh_check(shadow *s, uint32_t id, size_t *touched);
int sh_check_zero(shadow *s, uint32_t id, size_t *touched);
/* Check every LIVE program object. */
int sh_check_all(shadow *s, size_t *touched);
/* Check n LIVE program objects (all if fewer), round-robin from *next, which is
 * advanced: successive calls walk every live object in turn. */
int sh_check_some(shadow *s, uint32_t *next, uint32_t n, size_t *touched);
/* Check every LIVE program object neither marked nor allocated black: those that
 * sh_gc_end is about to drop (checked while still owed). */
int sh_check_unmarked(shadow *s, size_t *touched);

/* Internal consistency of the shadow itself (tree vs lists vs states); -1 if broken. */
int sh_self_check(shadow *s);

#endif
