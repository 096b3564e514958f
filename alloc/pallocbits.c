/* One chunk's page bitmaps (Go's mpallocbits.go) and packed summaries (mpagealloc.go).
 *
 * Everything works a 64-bit word at a time: all-ones / all-zero words are skipped,
 * runs crossing word boundaries are counted with ctz/clz, runs inside one word are
 * found with findBitRange64's shift-and doubling trick.  Each function is kept to one
 * loop so that its Frama-C WP proof stays small (see proofs/README.md).
 *
 * The ctz/clz/popcount helpers use the compiler builtins in the library build; under
 * Frama-C (__FRAMAC__) they have a portable bit loop proved against the same contract
 * (the builtins are trusted to meet it: proofs/TRUSTED.md).  That is the only place
 * where the proved and the compiled code differ. */
#include "pallocbits.h"

#include "../spec/chunk.h"

/* ------------------------------------------------------------------------------------
 * Word primitives. */

/*@ assigns \nothing;
    ensures 0 <= \result <= 64;
    ensures zeros(x, 0, \result);
    ensures \result < 64 ==> bit(x, \result); */
static inline uint32_t ga_ctz64(uint64_t x)
{
#ifdef __FRAMAC__
    uint32_t k = 0;
    /*@ loop invariant 0 <= k <= 64 && zeros(x, 0, k);
        loop assigns k;
        loop variant 64 - k; */
    while (k < 64 && ((x >> k) & 1u) == 0)
        k++;
    return k;
#else
    return x ? (uint32_t)__builtin_ctzll(x) : 64u;
#endif
}

/*@ assigns \nothing;
    ensures 0 <= \result <= 64;
    ensures zeros(x, 64 - \result, \result);
    ensures \result < 64 ==> bit(x, 63 - \result); */
static inline uint32_t ga_clz64(uint64_t x)
{
#ifdef __FRAMAC__
    uint32_t k = 0;
    /*@ loop invariant 0 <= k <= 64 && zeros(x, 64 - k, k);
        loop assigns k;
        loop variant 64 - k; */
    while (k < 64 && ((x >> (63u - k)) & 1u) == 0)
        k++;
    return k;
#else
    return x ? (uint32_t)__builtin_clzll(x) : 64u;
#endif
}

/*@ assigns \nothing;
    ensures \result == nbits(x, 64);
    ensures 0 <= \result <= 64; */
static inline uint32_t ga_popcnt64(uint64_t x)
{
#ifdef __FRAMAC__
    uint32_t c = 0;
    /*@ loop invariant 0 <= k <= 64 && c == nbits(x, k) && 0 <= c <= k;
        loop assigns k, c;
        loop variant 64 - k; */
    for (uint32_t k = 0; k < 64; k++)
        c += (uint32_t)((x >> k) & 1u);
    return c;
#else
    return (uint32_t)__builtin_popcountll(x);
#endif
}

/* Bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
/*@ requires 0 <= lo < hi <= 64;
    assigns \nothing;
    ensures \forall integer k; 0 <= k < 64 ==> (bit(\result, k) <==> lo <= k < hi); */
static inline uint64_t ga_word_mask(uint32_t lo, uint32_t hi)
{
    return (~(uint64_t)0 >> (64u - (hi - lo))) << lo;
}

/* ------------------------------------------------------------------------------------
 * findBitRange64: shrink every run of ones by n-1 from the top (shift-and with doubling
 * shift widths: after each step every surviving run of zeros is at least k long), then
 * the lowest surviving one is the start of the lowest run of n ones. */
/*@ requires 1 <= n <= 64;
    assigns \nothing;
    ensures \result <= 64;
    ensures \result < 64 ==> \result + n <= 64 && ones(c, \result, n);
    ensures \forall integer j; 0 <= j < \result && j + n <= 64 ==> !ones(c, j, n); */
uint32_t ga_find_bit_range64(uint64_t c, uint32_t n)
{
    uint32_t p = n - 1; /* ones still to remove from the top of each run */
    uint32_t k = 1;     /* a shift by up to k is safe (it never crosses a run) */
    /*@ loop invariant 0 <= p < n;
        loop invariant 1 <= k <= 128;
        loop invariant p > 0 ==> k <= n - p;
        loop invariant \forall integer j; 0 <= j < 64 ==>
            (bit(c, j) <==> (j + (n - p) <= 64 && ones(\at(c, Pre), j, n - p)));
        loop assigns c, p, k;
        loop variant p; */
    while (p > 0) {
        uint32_t s = p <= k ? p : k;
        c &= c >> s;
        /*@ assert shrunk: \forall integer j; 0 <= j < 64 ==>
                (bit(c, j) <==> (j + (n - p + s) <= 64 && ones(\at(c, Pre), j, n - p + s))); */
        if (c == 0) {
            /*@ assert \forall integer j; ones(\at(c, Pre), j, n) ==> ones(\at(c, Pre), j, n - p + s); */
            /*@ assert \forall integer j; 0 <= j && j + n <= 64 ==> !ones(\at(c, Pre), j, n - p + s); */
            return 64;
        }
        p -= s;
        k += k;
    }
    /*@ assert \forall integer j; 0 <= j < 64 ==> (bit(c, j) <==> (j + n <= 64 && ones(\at(c, Pre), j, n))); */
    return ga_ctz64(c);
}

/* ------------------------------------------------------------------------------------
 * find. */

/* First free page at or after 64*w0 (w0 <= 8), or GA_FIND_NONE. */
/*@ requires \valid_read(b + (0 .. 7)) && w0 <= 8;
    assigns \nothing;
    ensures \result == GA_FIND_NONE || first_free(b, 64 * w0, \result);
    ensures \result == GA_FIND_NONE ==> \forall integer p; 64 * w0 <= p < 512 ==> pg(b, p); */
static uint32_t ga_find1(const uint64_t *b, uint32_t w0)
{
    /*@ loop invariant w0 <= w <= 8;
        loop invariant \forall integer p; 64 * w0 <= p < 64 * w ==> pg(b, p);
        loop assigns w;
        loop variant 8 - w; */
    for (uint32_t w = w0; w < GA_PALLOC_WORDS; w++) {
        uint32_t t = ga_ctz64(~b[w]);
        if (t < 64)
            return 64u * w + t;
        /*@ assert \forall integer k; 0 <= k < 64 ==> bit(b[w], k); */
        /*@ assert \forall integer p; 64 * w <= p < 64 * w + 64 ==> pg(b, p); */
    }
    return GA_FIND_NONE;
}

/* Lowest j >= 64*w0 with [j, j+n) free, 2 <= n <= 512, or GA_FIND_NONE.
 * size = length of the free run ending at page 64*w, not counting pages below 64*w0. */
/*@ requires \valid_read(b + (0 .. 7)) && w0 <= 8 && 2 <= n <= 512;
    assigns \nothing;
    ensures \result == GA_FIND_NONE || lowest_fit(b, 64 * w0, n, \result);
    ensures \result == GA_FIND_NONE ==> !fits(b, 64 * w0, n); */
static uint32_t ga_findn(const uint64_t *b, uint32_t n, uint32_t w0)
{
    uint32_t size = 0;
    /*@ loop invariant w0 <= w <= 8;
        loop invariant 0 <= size <= 64 * (w - w0) && size < n;
        loop invariant free_run(b, 64 * w - size, size);
        loop invariant 64 * w - size == 64 * w0 || pg(b, 64 * w - size - 1);
        loop invariant \forall integer i; 64 * w0 <= i && i + n <= 64 * w ==> !free_run(b, i, n);
        loop assigns w, size;
        loop variant 8 - w; */
    for (uint32_t w = w0; w < GA_PALLOC_WORDS; w++) {
        uint64_t x = b[w];
        /*@ assert word: \forall integer i, m; 64 * w <= i && i + m <= 64 * w + 64 ==>
                (free_run(b, i, m) <==> zeros(x, i - 64 * w, m)); */
        if (x == ~(uint64_t)0) { /* fast path: nothing free in this word */
            /*@ assert full: \forall integer k; 0 <= k < 64 ==> bit(x, k); */
            /*@ assert fullpg: \forall integer p; 64 * w <= p < 64 * w + 64 ==> pg(b, p); */
            /*@ assert top: pg(b, 64 * w + 63); */
            /*@ assert lastpg: \forall integer i; 64 * w0 <= i && 64 * w < i + n <= 64 * w + 64 ==>
                    !free_run(b, i, n); */
            size = 0;
            continue;
        }
        /* a run crossing into this word from below (or starting at its bit 0) */
        uint32_t t = ga_ctz64(x);
        /*@ assert low: free_run(b, 64 * w, t); */
        /*@ assert lowend: t < 64 ==> pg(b, 64 * w + t); */
        if (size + t >= n) {
            /*@ assert cat1: free_run(b, 64 * w - size, size + t); */
            /*@ assert before: \forall integer i; 64 * w0 <= i < 64 * w - size ==> !free_run(b, i, n); */
            return 64u * w - size;
        }
        /*@ assert cross: \forall integer i; 64 * w0 <= i < 64 * w < i + n && i + n <= 64 * w + 64 ==>
                !free_run(b, i, n); */
        /* a run inside this word */
        if (n <= 64) {
            uint32_t j = ga_find_bit_range64(~x, n);
            /*@ assert notin: \forall integer k; 0 <= k < j && k + n <= 64 ==> !zeros(x, k, n); */
            if (j < 64) {
                /*@ assert isin: zeros(x, j, n); */
                return 64u * w + j;
            }
            /*@ assert nottop: !zeros(x, 64 - n, n); */
        }
        /*@ assert inside: \forall integer i; 64 * w <= i && i + n <= 64 * w + 64 ==> !free_run(b, i, n); */
        uint32_t l = ga_clz64(x);
        /*@ assert high: free_run(b, 64 * w + 64 - l, l); */
        /*@ assert highend: l < 64 ==> pg(b, 64 * w + 63 - l); */
        /*@ assert lsmall: l < 64 ==> l < n; */
        /*@ assert lfull: l == 64 ==> t == 64 && size + 64 < n; */
        /*@ assert lfullrun: l == 64 ==> free_run(b, 64 * w - size, size + 64); */
        /*@ assert nofit: \forall integer i; 64 * w0 <= i && i + n <= 64 * w + 64 ==> !free_run(b, i, n); */
        size = l == 64 ? size + 64u : l;
        /*@ assert edge: 64 * w + 64 - size == 64 * w0 || pg(b, 64 * w + 63 - size); */
    }
    return GA_FIND_NONE;
}

/*@ requires \valid_read(b + (0 .. 7));
    requires 1 <= n <= 512;
    requires new_search == \null || (\valid(new_search) && \separated(new_search, b + (0 .. 7)));
    assigns *new_search;
    behavior found:
      assumes fits(b, 64 * (search / 64), n);
      ensures lowest_fit(b, 64 * (search / 64), n, \result);
      ensures new_search != \null ==> first_free(b, 64 * (search / 64), *new_search);
    behavior none:
      assumes !fits(b, 64 * (search / 64), n);
      assigns \nothing;
      ensures \result == GA_FIND_NONE;
    complete behaviors;
    disjoint behaviors; */
uint32_t ga_pallocbits_find(const uint64_t *b, uint32_t n, uint32_t search, uint32_t *new_search)
{
    if (search >= GA_CHUNK_PAGES)
        return GA_FIND_NONE;
    uint32_t w0 = search / 64u;
    /*@ assert 64 * w0 == 64 * (search / 64); */
    uint32_t f = ga_find1(b, w0); /* first free page at or after 64*w0 */
    if (f == GA_FIND_NONE) {
        /*@ assert \forall integer i; 64 * w0 <= i < 512 ==> !free_run(b, i, n); */
        return GA_FIND_NONE;
    }
    /*@ assert 64 * w0 <= 64 * (f / 64) <= f; */
    /*@ assert below: \forall integer i; 64 * w0 <= i < f ==> !free_run(b, i, n); */
    uint32_t j = n == 1 ? f : ga_findn(b, n, f / 64u);
    if (j == GA_FIND_NONE) {
        /*@ assert !fits(b, 64 * w0, n); */
        return GA_FIND_NONE;
    }
    /*@ assert lowest_fit(b, 64 * w0, n, j); */
    if (new_search)
        *new_search = f;
    return j;
}

/* ------------------------------------------------------------------------------------
 * Ranges. */

void ga_pallocbits_alloc_range(uint64_t *b, uint32_t i, uint32_t n)
{
    if (n == 0)
        return;
    uint32_t end = i + n;
    for (uint32_t w = i / 64u; 64u * w < end; w++) {
        uint32_t lo = 64u * w < i ? i - 64u * w : 0;
        uint32_t hi = end - 64u * w < 64u ? end - 64u * w : 64u;
        b[w] |= ga_word_mask(lo, hi);
    }
}

void ga_pallocbits_free_range(uint64_t *b, uint32_t i, uint32_t n)
{
    if (n == 0)
        return;
    uint32_t end = i + n;
    for (uint32_t w = i / 64u; 64u * w < end; w++) {
        uint32_t lo = 64u * w < i ? i - 64u * w : 0;
        uint32_t hi = end - 64u * w < 64u ? end - 64u * w : 64u;
        b[w] &= ~ga_word_mask(lo, hi);
    }
}

uint32_t ga_pallocbits_popcnt_range(const uint64_t *b, uint32_t i, uint32_t n)
{
    if (n == 0)
        return 0;
    uint32_t end = i + n, c = 0;
    for (uint32_t w = i / 64u; 64u * w < end; w++) {
        uint32_t lo = 64u * w < i ? i - 64u * w : 0;
        uint32_t hi = end - 64u * w < 64u ? end - 64u * w : 64u;
        c += ga_popcnt64(b[w] & ga_word_mask(lo, hi));
    }
    return c;
}

void ga_pallocbits_alloc_all(uint64_t *b)
{
    for (uint32_t w = 0; w < GA_PALLOC_WORDS; w++)
        b[w] = ~(uint64_t)0;
}

void ga_pallocbits_free_all(uint64_t *b)
{
    for (uint32_t w = 0; w < GA_PALLOC_WORDS; w++)
        b[w] = 0;
}

void ga_pallocbits_free1(uint64_t *b, uint32_t i)
{
    b[i / 64u] &= ~((uint64_t)1 << (i % 64u));
}

uint32_t ga_pallocdata_alloc_range(ga_pallocdata *d, uint32_t i, uint32_t n)
{
    uint32_t scav = ga_pallocbits_popcnt_range(d->scav, i, n);
    ga_pallocbits_alloc_range(d->alloc, i, n);
    ga_pallocbits_free_range(d->scav, i, n);
    return scav;
}

uint32_t ga_pallocdata_alloc_all(ga_pallocdata *d)
{
    uint32_t scav = ga_pallocbits_popcnt_range(d->scav, 0, 512);
    ga_pallocbits_alloc_all(d->alloc);
    ga_pallocbits_free_all(d->scav);
    return scav;
}

/* ------------------------------------------------------------------------------------
 * Summaries. */

ga_psum ga_psum_pack(uint32_t start, uint32_t max, uint32_t end)
{
    if (max == GA_PSUM_MAX)
        return (uint64_t)1 << 63;
    return (uint64_t)start | (uint64_t)max << GA_PSUM_LOG_MAX | (uint64_t)end << (2 * GA_PSUM_LOG_MAX);
}

uint32_t ga_psum_start(ga_psum s)
{
    if (s >> 63)
        return GA_PSUM_MAX;
    return (uint32_t)(s & (GA_PSUM_MAX - 1));
}

uint32_t ga_psum_max(ga_psum s)
{
    if (s >> 63)
        return GA_PSUM_MAX;
    return (uint32_t)(s >> GA_PSUM_LOG_MAX & (GA_PSUM_MAX - 1));
}

uint32_t ga_psum_end(ga_psum s)
{
    if (s >> 63)
        return GA_PSUM_MAX;
    return (uint32_t)(s >> (2 * GA_PSUM_LOG_MAX) & (GA_PSUM_MAX - 1));
}

/* max(m, longest run of ones in y), 0 <= m <= 64. */
static uint32_t ga_word_max_run(uint64_t y, uint32_t m)
{
    while (m < 64 && ga_find_bit_range64(y, m + 1) < 64)
        m++;
    return m;
}

/* max(m, longest free run inside any one word of b). */
static uint32_t ga_words_max_run(const uint64_t *b, uint32_t m)
{
    for (uint32_t w = 0; w < GA_PALLOC_WORDS; w++)
        m = ga_word_max_run(~b[w], m);
    return m;
}

ga_psum ga_pallocbits_summarize(const uint64_t *b)
{
    uint32_t start = 0, max = 0, cur = 0; /* cur: free run ending at page 64*w */
    int seen = 0;                         /* an allocated page below 64*w */
    for (uint32_t w = 0; w < GA_PALLOC_WORDS; w++) {
        uint64_t x = b[w];
        if (x == 0) {
            cur += 64;
            continue;
        }
        cur += ga_ctz64(x); /* the run ends at the lowest allocated page of x */
        if (!seen) {
            start = cur;
            seen = 1;
        }
        if (cur > max)
            max = cur;
        cur = ga_clz64(x);
    }
    if (!seen)
        return GA_PSUM_FREE_CHUNK;
    if (cur > max)
        max = cur;
    /* Every run touching a word boundary is counted; one strictly inside a word has
     * an allocated page on each side in that word, so it is at most 62 long. */
    if (max < 62)
        max = ga_words_max_run(b, max);
    return ga_psum_pack(start, max, cur);
}

ga_psum ga_psum_merge(const ga_psum *c, uint32_t log_n)
{
    uint32_t n = (uint32_t)1 << log_n;
    uint32_t start = ga_psum_start(c[0]), max = ga_psum_max(c[0]), end = ga_psum_end(c[0]);
    for (uint32_t k = 1; k < 8; k++) {
        uint32_t sk = ga_psum_start(c[k]), mk = ga_psum_max(c[k]), ek = ga_psum_end(c[k]);
        if (start == k * n)
            start += sk;
        if (end + sk > max)
            max = end + sk;
        if (mk > max)
            max = mk;
        end = ek == n ? end + n : ek;
    }
    return ga_psum_pack(start, max, end);
}
