/* The shadow heap (see shadow.h).  Written from docs/go-facts.md only: no allocator
 * header is included, no allocator function is called. */
#include "shadow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Oracle code: no coverage feedback from it (the fuzzer should chase the allocator's
 * branches, not the shadow's loops). */
#if defined(__clang__) && __clang_major__ >= 13
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)
#define SH_NOCOV_END _Pragma("clang attribute pop")
#else
#define SH_NOCOV_END
#endif

/* ---- class table: Go's runtime/sizeclasses.go, bytes/obj and
 *      bytes_per_span / 8192, classes 1..67 -------------------------------------- */
const uint32_t sh_class_bytes[SH_NUM_CLASSES] = {
    0,    8,    16,   24,    32,    48,    64,    80,    96,    112,   128,   144,   160,   176,   192,   208,   224,
    240,  256,  288,  320,   352,   384,   416,   448,   480,   512,   576,   640,   704,   768,   896,   1024,  1152,
    1280, 1408, 1536, 1792,  2048,  2304,  2688,  3072,  3200,  3456,  4096,  4864,  5376,  6144,  6528,  6784,  6912,
    8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768,
};
const uint32_t sh_class_pages[SH_NUM_CLASSES] = {
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  1, 1,
    1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8, 3, 10, 7, 4,
};

uint32_t sh_size_class(size_t size) {
    if (size == 0 || size > SH_MAX_SMALL)
        return 0;
    for (uint32_t c = 1; c < SH_NUM_CLASSES; c++)
        if (sh_class_bytes[c] >= size)
            return c;
    return 0;
}

size_t sh_class_align(uint32_t cls) {
    if (cls == 0)
        return SH_PAGE;
    size_t a = 1;
    while (a < SH_PAGE && sh_class_bytes[cls] % (a * 2) == 0)
        a *= 2;
    return a;
}

size_t sh_usable_for(size_t size, bool tiny) {
    if (size == 0)
        return 0;
    if (tiny)
        return SH_TINY_BLOCK;
    if (size <= SH_MAX_SMALL)
        return sh_class_bytes[sh_size_class(size)];
    if (size > SIZE_MAX - (SH_PAGE - 1))
        return 0;
    return (size + SH_PAGE - 1) / SH_PAGE * SH_PAGE;
}

/* ---- AVL tree ------------------------------------------------------------------- */

void sh_tree_init(sh_tree *t) { memset(t, 0, sizeof *t); }

void sh_tree_destroy(sh_tree *t) {
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

#define N(t, i) ((t)->nodes[i])
static int32_t ht(const sh_tree *t, uint32_t i) { return i ? N(t, i).height : 0; }
static void fix(sh_tree *t, uint32_t i) {
    int32_t l = ht(t, N(t, i).left), r = ht(t, N(t, i).right);
    N(t, i).height = 1 + (l > r ? l : r);
}
static uint32_t rot_right(sh_tree *t, uint32_t i) {
    uint32_t l = N(t, i).left;
    N(t, i).left = N(t, l).right;
    N(t, l).right = i;
    fix(t, i);
    fix(t, l);
    return l;
}
static uint32_t rot_left(sh_tree *t, uint32_t i) {
    uint32_t r = N(t, i).right;
    N(t, i).right = N(t, r).left;
    N(t, r).left = i;
    fix(t, i);
    fix(t, r);
    return r;
}
static uint32_t balance(sh_tree *t, uint32_t i) {
    fix(t, i);
    int32_t b = ht(t, N(t, i).left) - ht(t, N(t, i).right);
    if (b > 1) {
        if (ht(t, N(t, N(t, i).left).left) < ht(t, N(t, N(t, i).left).right))
            N(t, i).left = rot_left(t, N(t, i).left);
        return rot_right(t, i);
    }
    if (b < -1) {
        if (ht(t, N(t, N(t, i).right).right) < ht(t, N(t, N(t, i).right).left))
            N(t, i).right = rot_right(t, N(t, i).right);
        return rot_left(t, i);
    }
    return i;
}

static uint32_t node_new(sh_tree *t, uintptr_t key, uint32_t val) {
    uint32_t i;
    if (t->free_list) {
        i = t->free_list;
        t->free_list = N(t, i).left;
    } else {
        if (t->used + 1 >= t->cap) {
            uint32_t cap = t->cap ? t->cap * 2 : 256;
            sh_node *n = realloc(t->nodes, (size_t)cap * sizeof *n);
            if (!n)
                return 0;
            t->nodes = n;
            t->cap = cap;
        }
        if (t->used == 0)
            t->used = 1; /* node 0 = none */
        i = t->used++;
    }
    N(t, i) = (sh_node){key, val, 0, 0, 1};
    return i;
}

/* Recursion depth is the tree height (< 64). */
static uint32_t put_rec(sh_tree *t, uint32_t i, uintptr_t key, uint32_t val, int *err) {
    if (!i) {
        uint32_t n = node_new(t, key, val);
        if (!n)
            *err = -1;
        else
            t->count++;
        return n;
    }
    if (key == N(t, i).key) {
        N(t, i).val = val;
        return i;
    }
    if (key < N(t, i).key) {
        uint32_t l = put_rec(t, N(t, i).left, key, val, err);
        N(t, i).left = l;
    } else {
        uint32_t r = put_rec(t, N(t, i).right, key, val, err);
        N(t, i).right = r;
    }
    return balance(t, i);
}

int sh_tree_put(sh_tree *t, uintptr_t key, uint32_t val) {
    int err = 0;
    uint32_t r = put_rec(t, t->root, key, val, &err);
    if (r)
        t->root = r;
    return err;
}

/* Detach the minimum of subtree i into *min; returns the new subtree root. */
static uint32_t del_min(sh_tree *t, uint32_t i, uint32_t *min) {
    if (!N(t, i).left) {
        *min = i;
        return N(t, i).right;
    }
    uint32_t l = del_min(t, N(t, i).left, min);
    N(t, i).left = l;
    return balance(t, i);
}

static uint32_t del_rec(sh_tree *t, uint32_t i, uintptr_t key, bool *found) {
    if (!i)
        return 0;
    if (key < N(t, i).key) {
        uint32_t l = del_rec(t, N(t, i).left, key, found);
        N(t, i).left = l;
    } else if (key > N(t, i).key) {
        uint32_t r = del_rec(t, N(t, i).right, key, found);
        N(t, i).right = r;
    } else {
        *found = true;
        uint32_t l = N(t, i).left, r = N(t, i).right;
        N(t, i).left = t->free_list;
        t->free_list = i;
        if (!r)
            return l;
        uint32_t m;
        r = del_min(t, r, &m);
        N(t, m).left = l;
        N(t, m).right = r;
        return balance(t, m);
    }
    return balance(t, i);
}

bool sh_tree_del(sh_tree *t, uintptr_t key) {
    bool found = false;
    t->root = del_rec(t, t->root, key, &found);
    if (found)
        t->count--;
    return found;
}

bool sh_tree_get(const sh_tree *t, uintptr_t key, uint32_t *val) {
    for (uint32_t i = t->root; i;) {
        if (key == N(t, i).key) {
            if (val)
                *val = N(t, i).val;
            return true;
        }
        i = key < N(t, i).key ? N(t, i).left : N(t, i).right;
    }
    return false;
}

bool sh_tree_floor(const sh_tree *t, uintptr_t key, uintptr_t *k, uint32_t *val) {
    uint32_t best = 0;
    for (uint32_t i = t->root; i;) {
        if (N(t, i).key <= key) {
            best = i;
            i = N(t, i).right;
        } else {
            i = N(t, i).left;
        }
    }
    if (!best)
        return false;
    if (k)
        *k = N(t, best).key;
    if (val)
        *val = N(t, best).val;
    return true;
}

bool sh_tree_ceil(const sh_tree *t, uintptr_t key, uintptr_t *k, uint32_t *val) {
    uint32_t best = 0;
    for (uint32_t i = t->root; i;) {
        if (N(t, i).key >= key) {
            best = i;
            i = N(t, i).left;
        } else {
            i = N(t, i).right;
        }
    }
    if (!best)
        return false;
    if (k)
        *k = N(t, best).key;
    if (val)
        *val = N(t, best).val;
    return true;
}

/* Returns the height, or -1; counts nodes in *n; keys must lie in (lo, hi). */
static int check_rec(const sh_tree *t, uint32_t i, uintptr_t lo, bool has_lo, uintptr_t hi, bool has_hi, uint32_t *n,
                     int depth) {
    if (!i)
        return 0;
    if (i >= t->used || depth > 64)
        return -1;
    uintptr_t k = N(t, i).key;
    if ((has_lo && k <= lo) || (has_hi && k >= hi))
        return -1;
    int l = check_rec(t, N(t, i).left, lo, has_lo, k, true, n, depth + 1);
    int r = check_rec(t, N(t, i).right, k, true, hi, has_hi, n, depth + 1);
    if (l < 0 || r < 0 || l - r > 1 || r - l > 1)
        return -1;
    int h = 1 + (l > r ? l : r);
    if (N(t, i).height != h)
        return -1;
    (*n)++;
    return h;
}

int sh_tree_check(const sh_tree *t) {
    uint32_t n = 0;
    if (check_rec(t, t->root, 0, false, 0, false, &n, 0) < 0)
        return -1;
    return n == t->count ? 0 : -1;
}
#undef N

/* ---- shadow bookkeeping ---------------------------------------------------------- */

static int why(shadow *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why(shadow *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *kind_name(unsigned k) {
    static const char *const names[] = {"small", "large", "tiny", "tiny-block"};
    return k < 4 ? names[k] : "?";
}
static const char *state_name(unsigned st) {
    static const char *const names[] = {"live", "freed", "unmarked", "reclaimed"};
    return st < 4 ? names[st] : "?";
}

int sh_init(shadow *s) {
    memset(s, 0, sizeof *s);
    sh_tree_init(&s->owed);
    sh_tree_init(&s->dead);
    s->exempt = SH_NONE;
    return 0;
}

void sh_destroy(shadow *s) {
    sh_tree_destroy(&s->owed);
    sh_tree_destroy(&s->dead);
    free(s->objs);
    free(s->prog);
    free(s->ext);
    memset(s, 0, sizeof *s);
}

void sh_reset(shadow *s) {
    shadow keep = *s;
    sh_init(s);
    s->objs = keep.objs, s->cap = keep.cap;
    s->prog = keep.prog, s->cap_prog = keep.cap_prog;
    s->ext = keep.ext, s->cap_ext = keep.cap_ext;
    s->owed.nodes = keep.owed.nodes, s->owed.cap = keep.owed.cap;
    s->dead.nodes = keep.dead.nodes, s->dead.cap = keep.dead.cap;
}

uint64_t sh_seed_of(uint32_t id) {
    /* splitmix64 finaliser */
    uint64_t z = (uint64_t)id * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t new_obj(shadow *s) {
    if (s->nobjs == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 256;
        sh_obj *o = realloc(s->objs, (size_t)cap * sizeof *o);
        if (!o)
            return SH_NONE;
        s->objs = o;
        s->cap = cap;
    }
    uint32_t id = s->nobjs++;
    sh_obj *o = &s->objs[id];
    memset(o, 0, sizeof *o);
    o->id = id;
    o->seed = sh_seed_of(id);
    o->block = SH_NONE;
    o->prog_idx = SH_NONE;
    o->ext_idx = SH_NONE;
    o->sub = SH_NONE;
    return id;
}

static int list_add(uint32_t **a, uint32_t *n, uint32_t *cap, uint32_t v, uint32_t *idx) {
    if (*n == *cap) {
        uint32_t c = *cap ? *cap * 2 : 256;
        uint32_t *na = realloc(*a, (size_t)c * sizeof *na);
        if (!na)
            return -1;
        *a = na;
        *cap = c;
    }
    *idx = *n;
    (*a)[(*n)++] = v;
    return 0;
}

static void prog_add(shadow *s, uint32_t id) {
    if (list_add(&s->prog, &s->nprog, &s->cap_prog, id, &s->objs[id].prog_idx)) {
        fprintf(stderr, "shadow: out of memory\n");
        abort();
    }
    sh_obj *o = &s->objs[id];
    s->live_bytes += o->kind == SH_TINY ? o->req : o->usable;
}
static void prog_del(shadow *s, uint32_t id) {
    sh_obj *o = &s->objs[id];
    uint32_t i = o->prog_idx, last = s->prog[--s->nprog];
    s->prog[i] = last;
    s->objs[last].prog_idx = i;
    o->prog_idx = SH_NONE;
    s->live_bytes -= o->kind == SH_TINY ? o->req : o->usable;
}
static void ext_add(shadow *s, uint32_t id) {
    sh_obj *o = &s->objs[id];
    if (list_add(&s->ext, &s->next_ext, &s->cap_ext, id, &o->ext_idx) || sh_tree_put(&s->owed, o->addr, id)) {
        fprintf(stderr, "shadow: out of memory\n");
        abort();
    }
    s->owed_bytes += o->usable;
}
static void ext_del(shadow *s, uint32_t id) {
    sh_obj *o = &s->objs[id];
    uint32_t i = o->ext_idx, last = s->ext[--s->next_ext];
    s->ext[i] = last;
    s->objs[last].ext_idx = i;
    o->ext_idx = SH_NONE;
    sh_tree_del(&s->owed, o->addr);
    s->owed_bytes -= o->usable;
}
static void dead_put(shadow *s, uint32_t id) {
    if (sh_tree_put(&s->dead, s->objs[id].addr, id)) {
        fprintf(stderr, "shadow: out of memory\n");
        abort();
    }
}
/* Forget dead records starting inside [p, p+n): that memory was handed out again. */
static void dead_forget(shadow *s, uintptr_t p, size_t n) {
    uintptr_t k;
    while (sh_tree_ceil(&s->dead, p, &k, NULL) && k - p < n)
        sh_tree_del(&s->dead, k);
}

uint32_t sh_extent_at(const shadow *s, uintptr_t p) {
    uintptr_t k;
    uint32_t id;
    if (!sh_tree_floor(&s->owed, p, &k, &id))
        return SH_NONE;
    return p - k < s->objs[id].usable ? id : SH_NONE;
}

uint32_t sh_overlap(const shadow *s, uintptr_t p, size_t n) {
    /* Extents are disjoint: the one with the largest start below p+n ends last among
     * those starting below p+n. */
    uintptr_t k, end = p + n - 1; /* inclusive, so p+n may be 2^64 */
    uint32_t id;
    if (!sh_tree_floor(&s->owed, end, &k, &id))
        return SH_NONE;
    return k + (s->objs[id].usable - 1) >= p ? id : SH_NONE;
}

uint32_t sh_prog_at(const shadow *s, uintptr_t p) {
    uint32_t e = sh_extent_at(s, p);
    if (e == SH_NONE)
        return SH_NONE;
    const sh_obj *o = &s->objs[e];
    if (o->kind != SH_TINY_BLOCK_KIND)
        return o->state == SH_LIVE ? e : SH_NONE;
    /* A LIVE sub-object of this block containing p. */
    for (uint32_t j = o->sub; j != SH_NONE; j = s->objs[j].sub) {
        const sh_obj *t = &s->objs[j];
        if (t->state == SH_LIVE && p - t->addr < t->req)
            return j;
    }
    return SH_NONE;
}

/* ---- tiny model (docs/go-facts.md §8.3) ------------------------------------------ */

static uintptr_t tiny_align(uintptr_t off, size_t size) {
    if (size % 8 == 0)
        return (off + 7) & ~(uintptr_t)7;
    if (size % 4 == 0)
        return (off + 3) & ~(uintptr_t)3;
    if (size % 2 == 0)
        return (off + 1) & ~(uintptr_t)1;
    return off;
}

uintptr_t sh_tiny_expect(const shadow *s, int cache, size_t size) {
    const sh_tiny_state *t = &s->tiny[cache];
    uintptr_t off = tiny_align(t->offset, size);
    if (off + size <= SH_TINY_BLOCK && t->tiny != 0)
        return t->tiny + off;
    return 0;
}

static int on_alloc_tiny(shadow *s, int cache, size_t size, unsigned flags, uintptr_t p, uint32_t *idp) {
    sh_tiny_state *t = &s->tiny[cache];
    uintptr_t want = sh_tiny_expect(s, cache, size);
    uint32_t block;
    if (want) {
        if (p != want)
            return why(s, "tiny alloc of %zu on cache %d returned %#lx, expected %#lx (current block %#lx, offset %lu)",
                       size, cache, (unsigned long)p, (unsigned long)want, (unsigned long)t->tiny,
                       (unsigned long)t->offset);
        block = t->block;
        sh_obj *b = &s->objs[block];
        if (b->state != SH_LIVE || b->ext_idx == SH_NONE)
            return why(s, "shadow: current tiny block %#lx of cache %d is %s", (unsigned long)b->addr, cache,
                       state_name(b->state));
        /* Sub-objects of one block never overlap while live (the offset only grows,
         * so checking the newest live one is enough; a cheap double check of the
         * model against itself). */
        for (uint32_t j = b->sub; j != SH_NONE; j = s->objs[j].sub) {
            const sh_obj *o = &s->objs[j];
            if (o->state == SH_LIVE && o->addr < p + size && p < o->addr + o->req)
                return why(s, "tiny alloc %#lx+%zu overlaps live tiny object #%u %#lx+%zu in the same block",
                           (unsigned long)p, size, o->id, (unsigned long)o->addr, o->req);
        }
    } else {
        /* A new block: a fresh 16-byte slot of span class 5. */
        if (p % SH_TINY_BLOCK != 0)
            return why(s, "tiny alloc of %zu on cache %d needed a new block, but returned %#lx (not 16-aligned)", size,
                       cache, (unsigned long)p);
        uint32_t o = sh_overlap(s, p, SH_TINY_BLOCK);
        if (o != SH_NONE)
            return why(s, "new tiny block %#lx+16 (cache %d) overlaps owed %s #%u at %#lx+%zu (cache %u)",
                       (unsigned long)p, cache, kind_name(s->objs[o].kind), o, (unsigned long)s->objs[o].addr,
                       s->objs[o].usable, s->objs[o].cache);
        block = new_obj(s);
        if (block == SH_NONE)
            return why(s, "shadow: out of memory");
        sh_obj *b = &s->objs[block];
        b->addr = p;
        b->req = b->usable = SH_TINY_BLOCK;
        b->kind = SH_TINY_BLOCK_KIND;
        b->state = SH_LIVE;
        b->spanclass = SH_TINY_SPANCLASS;
        b->flags = (uint8_t)flags;
        b->cache = (uint8_t)cache;
        b->black = s->marking;
        b->sub = SH_NONE;
        dead_forget(s, p, SH_TINY_BLOCK);
        ext_add(s, block);
        if (size < t->offset || t->tiny == 0) {
            t->tiny = p;
            t->offset = size;
            t->block = block;
        }
    }
    if (want)
        t->offset = want - t->tiny + size;
    uint32_t id = new_obj(s);
    if (id == SH_NONE)
        return why(s, "shadow: out of memory");
    sh_obj *o = &s->objs[id];
    o->addr = p;
    o->req = size;
    o->usable = SH_TINY_BLOCK;
    o->kind = SH_TINY;
    o->state = SH_LIVE;
    o->spanclass = SH_TINY_SPANCLASS;
    o->flags = (uint8_t)flags;
    o->cache = (uint8_t)cache;
    o->block = block;
    o->black = s->marking;
    o->sub = s->objs[block].sub;
    s->objs[block].sub = id;
    s->objs[block].nlive++;
    prog_add(s, id);
    *idp = id;
    return 0;
}

int sh_on_alloc(shadow *s, int cache, size_t size, unsigned flags, uintptr_t p, uint32_t *idp) {
    if (cache < 0 || cache >= SH_MAX_CACHES)
        return why(s, "shadow: bad cache %d", cache);
    if (sh_is_tiny(size, flags))
        return on_alloc_tiny(s, cache, size, flags, p, idp);
    size_t usable = sh_usable_for(size, false);
    uint32_t cls = sh_size_class(size);
    if (usable == 0)
        return why(s, "alloc of %zu bytes succeeded (%#lx) but cannot be rounded to pages", size, (unsigned long)p);
    size_t align = sh_class_align(cls);
    if (p % align != 0)
        return why(s, "alloc of %zu (class %u, %zu B) returned %#lx, not %zu-aligned", size, cls, usable,
                   (unsigned long)p, align);
    if (p > UINTPTR_MAX - (usable - 1))
        return why(s, "alloc of %zu returned %#lx: object wraps the address space", size, (unsigned long)p);
    uint32_t o = sh_overlap(s, p, usable);
    if (o != SH_NONE) {
        const sh_obj *x = &s->objs[o];
        return why(s,
                   "alloc of %zu (class %u) on cache %d returned %#lx+%zu, overlapping owed %s #%u at %#lx+%zu "
                   "(req %zu, cache %u%s)",
                   size, cls, cache, (unsigned long)p, usable, kind_name(x->kind), o, (unsigned long)x->addr, x->usable,
                   x->req, x->cache, x->black ? ", black" : "");
    }
    uint32_t id = new_obj(s);
    if (id == SH_NONE)
        return why(s, "shadow: out of memory");
    sh_obj *x = &s->objs[id];
    x->addr = p;
    x->req = size;
    x->usable = usable;
    x->kind = cls ? SH_SMALL : SH_LARGE;
    x->state = SH_LIVE;
    x->spanclass = (uint8_t)(cls << 1 | (flags & 1u));
    x->flags = (uint8_t)flags;
    x->cache = (uint8_t)cache;
    x->black = s->marking;
    dead_forget(s, p, usable);
    ext_add(s, id);
    prog_add(s, id);
    *idp = id;
    return 0;
}

int sh_on_resize(shadow *s, uint32_t id, size_t usable) {
    sh_obj *x = &s->objs[id];
    if (x->kind != SH_LARGE || x->state != SH_LIVE)
        return why(s, "resize of %s #%u (not a live large object) to %zu succeeded", kind_name(x->kind), id, usable);
    if (usable == 0 || usable % 8192 != 0 || x->addr > UINTPTR_MAX - (usable - 1))
        return why(s, "resize of large #%u at %#lx from %zu to %zu bytes", id, (unsigned long)x->addr, x->usable,
                   usable);
    if (usable <= x->usable) { /* the tail is nobody's now */
        s->owed_bytes -= x->usable - usable;
        s->live_bytes -= x->usable - usable;
        x->usable = usable;
        return 0;
    }
    uintptr_t lo = x->addr + x->usable;
    size_t more = usable - x->usable;
    uint32_t o = sh_overlap(s, lo, more);
    if (o != SH_NONE) {
        const sh_obj *y = &s->objs[o];
        return why(s, "resize of large #%u at %#lx from %zu to %zu bytes overlaps owed %s #%u at %#lx+%zu", id,
                   (unsigned long)x->addr, x->usable, usable, kind_name(y->kind), o, (unsigned long)y->addr, y->usable);
    }
    dead_forget(s, lo, more);
    s->owed_bytes += more;
    s->live_bytes += more;
    x->usable = usable;
    return 0;
}

/* ---- free ----------------------------------------------------------------------- */

unsigned sh_free_expect(const shadow *s, uintptr_t p, uint32_t *idp) {
    *idp = SH_NONE;
    uint32_t e = sh_extent_at(s, p);
    if (e != SH_NONE) {
        const sh_obj *o = &s->objs[e];
        if (o->kind != SH_TINY_BLOCK_KIND && o->addr == p) {
            *idp = e;
            return SH_R_OK;
        }
        return SH_R_EINVAL; /* interior, or inside a tiny block */
    }
    uint32_t d;
    if (sh_tree_get(&s->dead, p, &d)) {
        if (s->objs[d].state == SH_UNMARKED) {
            /* Unreachable but maybe not swept yet: the slot may still be allocated. */
            *idp = d;
            return SH_R_OK | SH_R_EINVAL | SH_R_EALREADY;
        }
        return SH_R_EINVAL | SH_R_EALREADY;
    }
    /* Owed to nobody: foreign, a free page, or a free slot's start, which the allocator
     * cannot tell from a freed one (-EALREADY). */
    return SH_R_EINVAL | SH_R_EALREADY;
}

void sh_on_free(shadow *s, uint32_t id) {
    sh_obj *o = &s->objs[id];
    if (o->state == SH_LIVE) {
        ext_del(s, id);
        prog_del(s, id);
    }
    o->state = SH_FREED;
    dead_put(s, id);
}

/* ---- GC ------------------------------------------------------------------------- */

void sh_gc_begin(shadow *s) {
    for (uint32_t i = 0; i < s->next_ext; i++) {
        sh_obj *o = &s->objs[s->ext[i]];
        o->marked = o->black = o->greyed = 0;
    }
    for (uint32_t i = 0; i < s->nprog; i++) {
        sh_obj *o = &s->objs[s->prog[i]];
        o->marked = o->black = 0;
    }
    for (int c = 0; c < SH_MAX_CACHES; c++)
        if (s->tiny[c].tiny)
            s->objs[s->tiny[c].block].greyed = 1;
    s->marking = true;
}

unsigned sh_mark_expect(const shadow *s, uint32_t id) {
    const sh_obj *o = &s->objs[id];
    const sh_obj *e = o->kind == SH_TINY ? &s->objs[o->block] : o;
    if (e->marked || e->black)
        return SH_M_ALREADY;
    if (e->greyed)
        return SH_M_ALREADY | SH_M_NEW;
    return SH_M_NEW;
}

void sh_on_mark(shadow *s, uint32_t id) {
    sh_obj *o = &s->objs[id];
    o->marked = 1;
    if (o->kind == SH_TINY)
        s->objs[o->block].marked = 1;
}

static void drop(shadow *s, uint32_t id) {
    sh_obj *o = &s->objs[id];
    if (o->prog_idx != SH_NONE)
        prog_del(s, id);
    if (o->ext_idx != SH_NONE)
        ext_del(s, id);
    o->state = SH_UNMARKED;
    if (o->kind != SH_TINY)
        dead_put(s, id);
}

void sh_gc_end(shadow *s) {
    /* Extents first: walk backwards, since drop() swaps the last element in. */
    for (uint32_t i = s->next_ext; i-- > 0;) {
        sh_obj *o = &s->objs[s->ext[i]];
        if (!(o->marked || o->black || o->greyed)) {
            if (o->kind == SH_TINY_BLOCK_KIND) {
                o->nlive = 0;
                if (o->ext_idx != SH_NONE)
                    ext_del(s, o->id);
                o->state = SH_UNMARKED;
                dead_put(s, o->id);
            } else {
                drop(s, o->id);
            }
        }
    }
    for (uint32_t i = s->nprog; i-- > 0;) {
        sh_obj *o = &s->objs[s->prog[i]];
        if (o->kind != SH_TINY)
            continue;
        sh_obj *b = &s->objs[o->block];
        if (b->state != SH_LIVE || !(o->marked || o->black)) {
            if (b->state == SH_LIVE)
                b->nlive--;
            drop(s, o->id);
        }
    }
    for (uint32_t i = 0; i < s->next_ext; i++) {
        sh_obj *o = &s->objs[s->ext[i]];
        o->marked = o->black = o->greyed = 0;
    }
    for (uint32_t i = 0; i < s->nprog; i++) {
        sh_obj *o = &s->objs[s->prog[i]];
        o->marked = o->black = 0;
    }
    memset(s->tiny, 0, sizeof s->tiny);
    s->marking = false;
}

void sh_all_reclaimed(shadow *s) {
    for (uint32_t id = 0; id < s->nobjs; id++) {
        sh_obj *o = &s->objs[id];
        if (o->state == SH_FREED || o->state == SH_UNMARKED)
            o->state = SH_RECLAIMED;
    }
}

void sh_cache_gone(shadow *s, int cache) { memset(&s->tiny[cache], 0, sizeof s->tiny[cache]); }

/* ---- contents ------------------------------------------------------------------- */

static inline uint64_t pattern_word(uint64_t seed, size_t w) { return seed + (uint64_t)w * 0xD6E8FEB86659FD93ull; }

uint8_t sh_pattern_byte(uint64_t seed, size_t off) { return (uint8_t)(pattern_word(seed, off / 8) >> (8 * (off % 8))); }

/* Calls fn on each checked byte range [off, off+n) of object o.  Ranges are disjoint,
 * ascending; for large objects they start on 8-byte boundaries. */
typedef int (*range_fn)(shadow *s, sh_obj *o, size_t off, size_t n);

/* Large objects over SH_LARGE_FULL_LIMIT: the first and last 64 bytes of a 4 KiB page,
 * for the first and last SH_SAMPLE_EDGE pages and every SH_SAMPLE_STRIDE-th page in
 * between (each sampled page costs a page fault the first time). */
static bool sampled_page(size_t pg, size_t npg) {
    return pg < SH_SAMPLE_EDGE || pg + SH_SAMPLE_EDGE >= npg || pg % SH_SAMPLE_STRIDE == 0;
}

static int each_range(shadow *s, sh_obj *o, range_fn fn, size_t *touched) {
    size_t total = 0;
    int rc = 0;
    if (o->kind == SH_TINY) {
        total = o->req;
        rc = fn(s, o, 0, o->req);
    } else if (o->kind == SH_SMALL || o->usable <= SH_LARGE_FULL_LIMIT) {
        total = o->usable;
        rc = fn(s, o, 0, o->usable);
    } else {
        size_t npg = o->usable / SH_SAMPLE_PAGE;
        for (size_t pg = 0; pg < npg && rc == 0; pg++) {
            if (!sampled_page(pg, npg))
                continue;
            size_t off = pg * SH_SAMPLE_PAGE;
            rc = fn(s, o, off, SH_SAMPLE_BYTES);
            if (rc == 0)
                rc = fn(s, o, off + SH_SAMPLE_PAGE - SH_SAMPLE_BYTES, SH_SAMPLE_BYTES);
            total += 2 * SH_SAMPLE_BYTES;
        }
    }
    if (touched)
        *touched += total;
    return rc;
}

/* The object memory belongs to the allocator (mmap), which ASan does not track: no
 * point instrumenting the pattern loops, which dominate the driver's own time. */
#if defined(__clang__) || defined(__GNUC__)
#define SH_NOASAN __attribute__((no_sanitize("address")))
#else
#define SH_NOASAN
#endif

SH_NOASAN static int fill_range(shadow *s, sh_obj *o, size_t off, size_t n) {
    (void)s;
    unsigned char *p = (unsigned char *)o->addr;
    size_t i = off;
    for (; i < off + n && i % 8; i++)
        p[i] = sh_pattern_byte(o->seed, i);
    for (; i + 8 <= off + n; i += 8) {
        uint64_t w = pattern_word(o->seed, i / 8);
        memcpy(p + i, &w, 8); /* little-endian: byte j of the word = offset i+j */
    }
    for (; i < off + n; i++)
        p[i] = sh_pattern_byte(o->seed, i);
    return 0;
}

static int bad_byte(shadow *s, sh_obj *o, size_t i, unsigned got, unsigned want, const char *what) {
    return why(s,
               "%s %s object #%u at %#lx (req %zu, usable %zu, class %u, flags %u, cache %u%s): byte %zu = %#x, "
               "expected %#x",
               what, kind_name(o->kind), o->id, (unsigned long)o->addr, o->req, o->usable, o->spanclass >> 1, o->flags,
               o->cache, o->black ? ", black" : "", i, got, want);
}

SH_NOASAN static int check_range(shadow *s, sh_obj *o, size_t off, size_t n) {
    const unsigned char *p = (const unsigned char *)o->addr;
    size_t i = off;
    for (; i < off + n && i % 8; i++)
        if (p[i] != sh_pattern_byte(o->seed, i))
            return bad_byte(s, o, i, p[i], sh_pattern_byte(o->seed, i), "corrupted");
    for (; i + 8 <= off + n; i += 8) {
        uint64_t w, want = pattern_word(o->seed, i / 8);
        memcpy(&w, p + i, 8);
        if (w != want)
            for (size_t j = i; j < i + 8; j++)
                if (p[j] != sh_pattern_byte(o->seed, j))
                    return bad_byte(s, o, j, p[j], sh_pattern_byte(o->seed, j), "corrupted");
    }
    for (; i < off + n; i++)
        if (p[i] != sh_pattern_byte(o->seed, i))
            return bad_byte(s, o, i, p[i], sh_pattern_byte(o->seed, i), "corrupted");
    return 0;
}

SH_NOASAN static int zero_range(shadow *s, sh_obj *o, size_t off, size_t n) {
    const unsigned char *p = (const unsigned char *)o->addr;
    size_t i = off;
    for (; i < off + n && (o->addr + i) % 8; i++)
        if (p[i] != 0)
            return bad_byte(s, o, i, p[i], 0, "not zeroed: new");
    for (; i + 8 <= off + n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w != 0)
            break; /* the byte loop below names the byte */
    }
    for (; i < off + n; i++)
        if (p[i] != 0)
            return bad_byte(s, o, i, p[i], 0, "not zeroed: new");
    return 0;
}

void sh_fill(shadow *s, uint32_t id, size_t *touched) { each_range(s, &s->objs[id], fill_range, touched); }
int sh_check(shadow *s, uint32_t id, size_t *touched) { return each_range(s, &s->objs[id], check_range, touched); }
int sh_check_zero(shadow *s, uint32_t id, size_t *touched) { return each_range(s, &s->objs[id], zero_range, touched); }

int sh_check_all(shadow *s, size_t *touched) {
    for (uint32_t i = 0; i < s->nprog; i++)
        if (sh_check(s, s->prog[i], touched))
            return -1;
    return 0;
}

int sh_check_some(shadow *s, uint32_t *next, uint32_t n, size_t *touched) {
    if (n > s->nprog)
        n = s->nprog;
    for (uint32_t k = 0; k < n; k++) {
        if (*next >= s->nprog)
            *next = 0;
        if (sh_check(s, s->prog[(*next)++], touched))
            return -1;
    }
    return 0;
}

int sh_check_unmarked(shadow *s, size_t *touched) {
    for (uint32_t i = 0; i < s->nprog; i++) {
        const sh_obj *o = &s->objs[s->prog[i]], *b = o->kind == SH_TINY ? &s->objs[o->block] : NULL;
        bool drops = !(o->marked || o->black) || (b && !(b->marked || b->black || b->greyed));
        if (drops && sh_check(s, o->id, touched))
            return -1;
    }
    return 0;
}

/* ---- self check ------------------------------------------------------------------ */

int sh_self_check(shadow *s) {
    if (sh_tree_check(&s->owed) || sh_tree_check(&s->dead))
        return why(s, "shadow: tree structure broken");
    if (s->owed.count != s->next_ext)
        return why(s, "shadow: %u owed in tree, %u in list", s->owed.count, s->next_ext);
    size_t bytes = 0;
    uintptr_t prev_end = 0;
    bool first = true;
    /* Walk the owed tree in address order through ceil() and check disjointness. */
    uintptr_t k = 0;
    uint32_t id, n = 0;
    while (sh_tree_ceil(&s->owed, k, &k, &id)) {
        const sh_obj *o = &s->objs[id];
        if (o->addr != k || o->state != SH_LIVE || o->ext_idx == SH_NONE || s->ext[o->ext_idx] != id ||
            o->kind == SH_TINY)
            return why(s, "shadow: owed entry %#lx -> #%u inconsistent", (unsigned long)k, id);
        if (!first && k < prev_end)
            return why(s, "shadow: owed extents overlap at %#lx", (unsigned long)k);
        first = false;
        prev_end = k + o->usable;
        bytes += o->usable;
        n++;
        if (k == UINTPTR_MAX)
            break;
        k++;
    }
    if (n != s->next_ext || bytes != s->owed_bytes)
        return why(s, "shadow: owed count/bytes %u/%zu, recorded %u/%zu", n, bytes, s->next_ext, s->owed_bytes);
    size_t live = 0;
    for (uint32_t i = 0; i < s->nprog; i++) {
        const sh_obj *o = &s->objs[s->prog[i]];
        if (o->prog_idx != i || o->state != SH_LIVE || o->kind == SH_TINY_BLOCK_KIND)
            return why(s, "shadow: program list entry %u (#%u) inconsistent", i, o->id);
        if (o->kind == SH_TINY) {
            const sh_obj *b = &s->objs[o->block];
            if (b->state != SH_LIVE || o->addr < b->addr || o->addr + o->req > b->addr + SH_TINY_BLOCK)
                return why(s, "shadow: tiny #%u outside its live block", o->id);
        } else if (o->ext_idx == SH_NONE) {
            return why(s, "shadow: live #%u not owed", o->id);
        }
        live += o->kind == SH_TINY ? o->req : o->usable;
    }
    if (live != s->live_bytes)
        return why(s, "shadow: live bytes %zu, recorded %zu", live, s->live_bytes);
    return 0;
}

SH_NOCOV_END
