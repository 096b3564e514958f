/* One chunk's page bitmaps (Go's mpallocbits.go) and packed summaries (mpagealloc.go).
 *
 * Everything works a 64-bit word at a time: all-ones / all-zero words are skipped,
 * runs crossing word boundaries are counted with ctz/clz, runs inside one word are
 * found with findBitRange64's shift-and doubling trick.  Each function is kept to one
 * loop so that its Frama-C WP proof stays small (see proofs/README.md).
 *
 * ctz/clz/popcount come from bitops.h; the proofs here use their contracts (the header
 * is proved as a target of its own, and the compiler builtins of its library bodies are
 * trusted to meet those contracts: proofs/TRUSTED.md).  That is the only place where
 * the proved and the compiled code differ. */
#include "pallocbits.h"
#include "pallocsum.h"

#include "bitops.h"
#include "../spec/chunk.h"
#include "../spec/psum.h"
#include "../spec/psummerge.h"

/* ------------------------------------------------------------------------------------
 * Word primitives. */

/* Bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
/*@ requires 0 <= lo < hi <= 64;
    assigns \nothing;
    ensures \forall integer k; 0 <= k < 64 ==> (bit(\result, k) <==> lo <= k < hi); */
static inline uint64_t ga_word_mask(uint32_t lo, uint32_t hi) {
    return (~(uint64_t)0 >> (64u - hi)) & ~((~(uint64_t)0 >> (63u - lo)) >> 1);
}

/* ------------------------------------------------------------------------------------
 * findBitRange64: shrink every run of ones by n-1 from the top (shift-and with doubling
 * shift widths: after each step every surviving run of zeros is at least k long), then
 * the lowest surviving one is the start of the lowest run of n ones. */
/* (Its contract is on its declaration in pallocbits.h, where alloc/pagecache_alloc.c's
 * proof sees it too.) */
uint32_t ga_find_bit_range64(uint64_t c, uint32_t n) {
    uint32_t p = n - 1; /* ones still to remove from the top of each run */
    uint32_t k = 1;     /* a shift by up to k is safe (it never crosses a run) */
    /*@ loop invariant 0 <= p < n;
        loop invariant 1 <= k <= 128;
        loop invariant p > 0 ==> k <= n - p;
        loop invariant \forall integer j; 0 <= j < 64 ==>
            (bit(c, j) <==> (j + (n - p) <= 64 && ones(\at(c, Pre), j, n - p)));
        loop invariant \forall integer j; 64 <= j ==> !bit(c, j);
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
static uint32_t ga_find1(const uint64_t *b, uint32_t w0) {
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
static uint32_t ga_findn(const uint64_t *b, uint32_t n, uint32_t w0) {
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
uint32_t ga_pallocbits_find(const uint64_t *b, uint32_t n, uint32_t search, uint32_t *new_search) {
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
 * Ranges.  Each loop visits the words the range touches; [lo, hi) are the bits of
 * word w inside the range. */

/*@ requires \valid(b + (0 .. 7));
    requires i + n <= 512;
    assigns b[0 .. 7];
    ensures \forall integer p; 0 <= p < 512 ==> (pg(b, p) <==> (i <= p < i + n || pg{Pre}(b, p))); */
void ga_pallocbits_alloc_range(uint64_t *b, uint32_t i, uint32_t n) {
    if (n == 0)
        return;
    uint32_t end = i + n;
    /*@ loop invariant i / 64 <= w && 64 * w <= end + 63;
        loop invariant \forall integer p; 0 <= p < 512 ==>
            (pg(b, p) <==> ((i <= p < end && p < 64 * w) || pg{Pre}(b, p)));
        loop assigns w, b[0 .. 7];
        loop variant 8 - w; */
    for (uint32_t w = i / 64u; 64u * w < end; w++) {
        uint32_t lo = 64u * w < i ? i - 64u * w : 0;
        uint32_t hi = end - 64u * w < 64u ? end - 64u * w : 64u;
        uint64_t m = ga_word_mask(lo, hi);
        /*@ assert inword: \forall integer p; 64 * w <= p < 64 * w + 64 ==> (pg(b, p) <==> pg{Pre}(b, p)); */
        b[w] |= m;
        /*@ assert set: \forall integer p; 64 * w <= p < 64 * w + 64 ==>
                (pg(b, p) <==> (i <= p < end || pg{Pre}(b, p))); */
    }
}

/*@ requires \valid(b + (0 .. 7));
    requires i + n <= 512;
    assigns b[0 .. 7];
    ensures \forall integer p; 0 <= p < 512 ==> (pg(b, p) <==> (!(i <= p < i + n) && pg{Pre}(b, p))); */
void ga_pallocbits_free_range(uint64_t *b, uint32_t i, uint32_t n) {
    if (n == 0)
        return;
    uint32_t end = i + n;
    /*@ loop invariant i / 64 <= w && 64 * w <= end + 63;
        loop invariant \forall integer p; 0 <= p < 512 ==>
            (pg(b, p) <==> (!(i <= p < end && p < 64 * w) && pg{Pre}(b, p)));
        loop assigns w, b[0 .. 7];
        loop variant 8 - w; */
    for (uint32_t w = i / 64u; 64u * w < end; w++) {
        uint32_t lo = 64u * w < i ? i - 64u * w : 0;
        uint32_t hi = end - 64u * w < 64u ? end - 64u * w : 64u;
        uint64_t m = ga_word_mask(lo, hi);
        /*@ assert inword: \forall integer p; 64 * w <= p < 64 * w + 64 ==> (pg(b, p) <==> pg{Pre}(b, p)); */
        b[w] &= ~m;
        /*@ assert cleared: \forall integer p; 64 * w <= p < 64 * w + 64 ==>
                (pg(b, p) <==> (!(i <= p < end) && pg{Pre}(b, p))); */
    }
}

/*@ ghost
  /@ requires 0 <= lo <= mid <= hi <= 512;
     assigns \nothing;
     ensures count(b, lo, hi) == count(b, lo, mid) + count(b, mid, hi); @/
  static void ga_lemma_count_split(const uint64_t *b, int64_t lo, int64_t mid, int64_t hi)
  {
    int64_t k = mid;
    /@ loop invariant mid <= k <= hi && count(b, lo, k) == count(b, lo, mid) + count(b, mid, k);
       loop assigns k;
       loop variant hi - k; @/
    while (k < hi)
      k++;
  }

  /@ requires \valid_read(b + (0 .. 7)) && 0 <= w < 8 && 0 <= lo < hi <= 64;
     requires \forall integer k; 0 <= k < 64 ==> (bit(m, k) <==> lo <= k < hi);
     assigns \nothing;
     ensures nbits(b[w] & m, 64) == count(b, 64 * w + lo, 64 * w + hi); @/
  static void ga_lemma_count_word(const uint64_t *b, int64_t w, int64_t lo, int64_t hi, uint64_t m)
  {
    int64_t k = 0;
    /@ loop invariant 0 <= k <= lo && nbits(b[w] & m, k) == 0;
       loop assigns k;
       loop variant lo - k; @/
    while (k < lo) {
      /@ assert !bit(b[w] & m, k) && (((b[w] & m) >> k) & 1) == 0; @/
      k++;
    }
    /@ loop invariant lo <= k <= hi && nbits(b[w] & m, k) == count(b, 64 * w + lo, 64 * w + k);
       loop assigns k;
       loop variant hi - k; @/
    while (k < hi) {
      /@ assert pgv(b, 64 * w + k) == ((b[w] >> k) & 1); @/
      /@ assert (((b[w] & m) >> k) & 1) == ((b[w] >> k) & 1); @/
      k++;
    }
    /@ loop invariant hi <= k <= 64 && nbits(b[w] & m, k) == count(b, 64 * w + lo, 64 * w + hi);
       loop assigns k;
       loop variant 64 - k; @/
    while (k < 64) {
      /@ assert !bit(b[w] & m, k) && (((b[w] & m) >> k) & 1) == 0; @/
      k++;
    }
  }
*/

/*@ requires \valid_read(b + (0 .. 7));
    requires i + n <= 512;
    assigns \nothing;
    ensures \result == count(b, i, i + n); */
uint32_t ga_pallocbits_popcnt_range(const uint64_t *b, uint32_t i, uint32_t n) {
    if (n == 0)
        return 0;
    uint32_t end = i + n, c = 0;
    /*@ loop invariant i / 64 <= w && 64 * w <= end + 63;
        loop invariant c <= 64 * (w - i / 64);
        loop invariant c == count(b, i, \max(i, \min(64 * w, end)));
        loop assigns w, c;
        loop variant 8 - w; */
    for (uint32_t w = i / 64u; 64u * w < end; w++) {
        uint32_t lo = 64u * w < i ? i - 64u * w : 0;
        uint32_t hi = end - 64u * w < 64u ? end - 64u * w : 64u;
        uint64_t m = ga_word_mask(lo, hi);
        uint32_t k = ga_popcount64(b[w] & m);
        /*@ assert from: \max(i, \min(64 * w, end)) == 64 * w + lo; */
        /*@ assert to: \max(i, \min(64 * w + 64, end)) == 64 * w + hi; */
        /*@ ghost ga_lemma_count_word(b, w, lo, hi, m); */
        /*@ ghost ga_lemma_count_split(b, i, 64 * w + lo, 64 * w + hi); */
        /*@ assert c + k == count(b, i, 64 * w + hi); */
        c += k;
    }
    return c;
}

/*@ requires \valid(b + (0 .. 7));
    assigns b[0 .. 7];
    ensures \forall integer p; 0 <= p < 512 ==> pg(b, p); */
void ga_pallocbits_alloc_all(uint64_t *b) {
    /*@ loop invariant 0 <= w <= 8;
        loop invariant \forall integer v; 0 <= v < w ==> b[v] == 0xffffffffffffffff;
        loop assigns w, b[0 .. 7];
        loop variant 8 - w; */
    for (uint32_t w = 0; w < GA_PALLOC_WORDS; w++)
        b[w] = ~(uint64_t)0;
    /*@ assert \forall integer p; 0 <= p < 512 ==> b[p / 64] == 0xffffffffffffffff; */
}

/*@ requires \valid(b + (0 .. 7));
    assigns b[0 .. 7];
    ensures \forall integer p; 0 <= p < 512 ==> !pg(b, p); */
void ga_pallocbits_free_all(uint64_t *b) {
    /*@ loop invariant 0 <= w <= 8;
        loop invariant \forall integer v; 0 <= v < w ==> b[v] == 0;
        loop assigns w, b[0 .. 7];
        loop variant 8 - w; */
    for (uint32_t w = 0; w < GA_PALLOC_WORDS; w++)
        b[w] = 0;
    /*@ assert \forall integer p; 0 <= p < 512 ==> b[p / 64] == 0; */
}

/*@ requires \valid(b + (0 .. 7));
    requires i < 512;
    assigns b[i / 64];
    ensures \forall integer p; 0 <= p < 512 ==> (pg(b, p) <==> (p != i && pg{Pre}(b, p))); */
void ga_pallocbits_free1(uint64_t *b, uint32_t i) {
    uint64_t m = ga_word_mask(i % 64u, i % 64u + 1u);
    b[i / 64u] &= ~m;
}

/*@ requires \valid(d);
    requires i + n <= 512;
    assigns d->alloc[0 .. 7], d->scav[0 .. 7];
    ensures keeps_p5: p5{Pre}(&d->alloc[0], &d->scav[0]) ==> p5(&d->alloc[0], &d->scav[0]);
    ensures \result == count{Pre}(&d->scav[0], i, i + n);
    ensures \forall integer p; 0 <= p < 512 ==>
        (pg(&d->alloc[0], p) <==> (i <= p < i + n || pg{Pre}(&d->alloc[0], p)));
    ensures \forall integer p; 0 <= p < 512 ==>
        (pg(&d->scav[0], p) <==> (!(i <= p < i + n) && pg{Pre}(&d->scav[0], p))); */
uint32_t ga_pallocdata_alloc_range(ga_pallocdata *d, uint32_t i, uint32_t n) {
    uint32_t scav = ga_pallocbits_popcnt_range(d->scav, i, n);
    ga_pallocbits_alloc_range(d->alloc, i, n);
    ga_pallocbits_free_range(d->scav, i, n);
    return scav;
}

/*@ requires \valid(d);
    assigns d->alloc[0 .. 7], d->scav[0 .. 7];
    ensures \result == count{Pre}(&d->scav[0], 0, 512);
    ensures \forall integer p; 0 <= p < 512 ==> pg(&d->alloc[0], p) && !pg(&d->scav[0], p);
    ensures p5(&d->alloc[0], &d->scav[0]); */
uint32_t ga_pallocdata_alloc_all(ga_pallocdata *d) {
    uint32_t scav = ga_pallocbits_popcnt_range(d->scav, 0, 512);
    ga_pallocbits_alloc_all(d->alloc);
    ga_pallocbits_free_all(d->scav);
    return scav;
}

/* ------------------------------------------------------------------------------------
 * Summaries.  Written with * / % rather than shifts and masks (the compiler emits the
 * same instructions) so that their contracts are plain arithmetic. */

#define GA_PSUM_BIG ((uint64_t)1 << 63)

/*@ requires psum_fields(start, max, end);
    assigns \nothing;
    ensures \result == psum_pack(start, max, end);
    ensures psum_start(\result) == start && psum_max(\result) == max && psum_end(\result) == end; */
ga_psum ga_psum_pack(uint32_t start, uint32_t max, uint32_t end) {
    if (max == GA_PSUM_MAX)
        return GA_PSUM_BIG;
    return (uint64_t)start + (uint64_t)max * GA_PSUM_MAX + (uint64_t)end * ((uint64_t)GA_PSUM_MAX * GA_PSUM_MAX);
}

uint32_t ga_psum_start(ga_psum s) {
    if (s >= GA_PSUM_BIG)
        return GA_PSUM_MAX;
    return (uint32_t)(s % GA_PSUM_MAX);
}

uint32_t ga_psum_max(ga_psum s) {
    if (s >= GA_PSUM_BIG)
        return GA_PSUM_MAX;
    return (uint32_t)(s / GA_PSUM_MAX % GA_PSUM_MAX);
}

uint32_t ga_psum_end(ga_psum s) {
    if (s >= GA_PSUM_BIG)
        return GA_PSUM_MAX;
    return (uint32_t)(s / ((uint64_t)GA_PSUM_MAX * GA_PSUM_MAX) % GA_PSUM_MAX);
}

/* max(m, longest run of ones in y), 0 <= m <= 64. */
/*@ requires m <= 64;
    requires y <= 0xffffffffffffffff;
    assigns \nothing;
    ensures \old(m) <= \result <= 64;
    ensures \result == \old(m) || \exists integer k; 0 <= k && k + \result <= 64 && ones(y, k, \result);
    ensures \forall integer k, l; 0 <= k && k + l <= 64 && ones(y, k, l) ==> l <= \result; */
static uint32_t ga_word_max_run(uint64_t y, uint32_t m) {
    /*@ loop invariant \at(m, Pre) <= m <= 64;
        loop invariant m == \at(m, Pre) || \exists integer k; 0 <= k && k + m <= 64 && ones(y, k, m);
        loop assigns m;
        loop variant 64 - m; */
    while (m < 64) {
        uint32_t j = ga_find_bit_range64(y, m + 1);
        if (j >= 64) {
            /*@ assert \forall integer k, l; 0 <= k && k + l <= 64 && ones(y, k, l) && l > m ==>
                    ones(y, k, m + 1); */
            break;
        }
        m++;
    }
    return m;
}

/* max(m, longest free run inside any one word of b). */
/*@ requires \valid_read(b + (0 .. 7)) && m <= 64;
    assigns \nothing;
    ensures \old(m) <= \result <= 64;
    ensures \result == \old(m) || \exists integer j; 0 <= j && j + \result <= 512 && free_run(b, j, \result);
    ensures \forall integer j, l; 0 <= j && j + l <= 512 && inword(j, l) && free_run(b, j, l) ==> l <= \result; */
static uint32_t ga_words_max_run(const uint64_t *b, uint32_t m) {
    /*@ loop invariant 0 <= w <= 8 && \at(m, Pre) <= m <= 64;
        loop invariant m == \at(m, Pre) || \exists integer j; 0 <= j && j + m <= 512 && free_run(b, j, m);
        loop invariant \forall integer j, l; 0 <= j && j + l <= 64 * w && inword(j, l) && free_run(b, j, l) ==> l <= m;
        loop assigns w, m;
        loop variant 8 - w; */
    for (uint32_t w = 0; w < GA_PALLOC_WORDS; w++) {
        uint64_t x = b[w];
        /*@ assert word: \forall integer i, l; 64 * w <= i && i + l <= 64 * w + 64 ==>
                (free_run(b, i, l) <==> zeros(x, i - 64 * w, l)); */
        uint32_t m2 = ga_word_max_run(~x, m);
        /*@ assert m2 == m || \exists integer j; 0 <= j && j + m2 <= 512 && free_run(b, j, m2); */
        /*@ assert \forall integer j, l; 64 * w <= j && j + l <= 64 * w + 64 && free_run(b, j, l) ==> l <= m2; */
        /*@ assert \forall integer j, l; 0 <= j && 64 * w < j + l <= 64 * w + 64 && inword(j, l) ==> 64 * w <= j; */
        m = m2;
    }
    return m;
}

/*@ ghost
  /@ requires 0 <= w <= 8;
     assigns \nothing;
     ensures \forall integer j, k; 64 * w <= j && 0 <= k && j + k <= 64 * w + 64 && !interior(j, k) ==>
         j == 64 * w || j + k == 64 * w + 64; @/
  static void ga_lemma_edges(int64_t w) { }
*/

/*@ requires \valid_read(b + (0 .. 7));
    assigns \nothing;
    ensures summary(b, psum_start(\result), psum_max(\result), psum_end(\result));
    ensures \result == psum_pack(psum_start(\result), psum_max(\result), psum_end(\result)); */
ga_psum ga_pallocbits_summarize(const uint64_t *b) {
    uint32_t start = 0, max = 0, cur = 0; /* cur: free run ending at page 64*w */
    int seen = 0;                         /* an allocated page below 64*w */
    uint32_t w;
    /*@ ghost int64_t mpos = 0; */
    /*@ loop invariant 0 <= w <= 8;
        loop invariant 0 <= cur <= 64 * w && free_run(b, 64 * w - cur, cur);
        loop invariant cur == 64 * w || pg(b, 64 * w - cur - 1);
        loop invariant seen == 0 ==> cur == 64 * w && max == 0 && mpos == 0;
        loop invariant seen != 0 ==> 0 <= start < 64 * w && free_run(b, 0, start) && pg(b, start);
        loop invariant 0 <= max && 0 <= mpos && mpos + max <= 64 * w && free_run(b, mpos, max);
        loop invariant \forall integer j, l; 0 <= j && j + l <= 64 * w && free_run(b, j, l) && !interior(j, l) ==>
            l <= max || l <= cur;
        loop assigns w, start, max, cur, seen, mpos;
        loop variant 8 - w; */
    for (w = 0; w < GA_PALLOC_WORDS; w++) {
        uint64_t x = b[w];
        uint32_t t = ga_ctz64(x);
        /*@ assert low: free_run(b, 64 * w, t); */
        if (t == 64) { /* no allocated page in this word */
            /*@ assert run64: free_run(b, 64 * w - cur, cur + 64); */
            /*@ assert bound64: \forall integer j, l; 0 <= j && 64 * w < j + l <= 64 * w + 64 && free_run(b, j, l) ==>
                    l <= cur + 64; */
            cur += 64;
            continue;
        }
        /*@ assert lowend: pg(b, 64 * w + t); */
        /*@ assert runt: free_run(b, 64 * w - cur, cur + t); */
        /*@ assert boundt: \forall integer j, l; 0 <= j < 64 * w < j + l <= 64 * w + 64 && free_run(b, j, l) ==>
                l <= cur + t; */
        cur += t; /* the run ends at the lowest allocated page of x */
        if (!seen) {
            start = cur;
            seen = 1;
        }
        if (cur > max) {
            max = cur;
            /*@ ghost mpos = 64 * w + t - cur; */
        }
        uint32_t l = ga_clz64(x);
        /*@ assert high: free_run(b, 64 * w + 64 - l, l); */
        /*@ assert highend: l < 64 && pg(b, 64 * w + 63 - l); */
        /*@ ghost ga_lemma_edges(w); */
        /*@ assert lowrun: \forall integer k; 0 <= k <= 64 && free_run(b, 64 * w, k) ==> k <= t; */
        /*@ assert highrun: \forall integer j; 64 * w <= j <= 64 * w + 64 && free_run(b, j, 64 * w + 64 - j) ==>
                64 * w + 64 - j <= l; */
        /*@ assert boundw: \forall integer j, k;
                64 * w <= j && j + k <= 64 * w + 64 && free_run(b, j, k) && !interior(j, k) ==> k <= max || k <= l; */
        cur = l;
    }
    /*@ assert w == 8; */
    /*@ assert endrun: free_run(b, 512 - cur, cur) && (cur == 512 || pg(b, 511 - cur)); */
    if (!seen) {
        /*@ assert allfree: free_run(b, 0, 512); */
        /*@ assert sumfree: summary(b, 512, 512, 512); */
        return GA_PSUM_FREE_CHUNK;
    }
    if (cur > max) {
        max = cur;
        /*@ ghost mpos = 512 - cur; */
    }
    /*@ assert touching: \forall integer j, l;
            0 <= j && j + l <= 512 && free_run(b, j, l) && !interior(j, l) ==> l <= max; */
    /* Every run touching a word boundary is counted; one strictly inside a word has
     * an allocated page on each side in that word, so it is at most 62 long. */
    if (max < 62) {
        max = ga_words_max_run(b, max);
    } else {
        /*@ assert inner62: \forall integer j, l; 0 <= j && interior(j, l) ==> l <= 62; */
    }
    /*@ assert sstart: sum_start(b, start); */
    /*@ assert send: sum_end(b, cur); */
    /*@ assert smax: max <= 512 && \exists integer j; 0 <= j && j + max <= 512 && free_run(b, j, max); */
    /*@ assert sle: runs_le(b, max); */
    return ga_psum_pack(start, max, cur);
}

/*@ ghost
  /@ requires 0 <= k;
     requires summary(chunk_alloc(cs, k), psum_start(x), psum_max(x), psum_end(x));
     assigns \nothing;
     ensures r_sum(cs, 512 * k, 512, psum_start(x), psum_max(x), psum_end(x)); @/
  static void ga_lemma_chunk_sum(ga_pallocdata *const *cs, int64_t k, uint64_t x)
  {
    /@ assert page: \forall integer q; 0 <= q < 512 ==> (rfree(cs, 512 * k + q) <==> !pg(chunk_alloc(cs, k), q)); @/
    /@ assert runs: \forall integer j, l; 0 <= j && j + l <= 512 ==>
           (r_run(cs, 512 * k + j, l) <==> free_run(chunk_alloc(cs, k), j, l)); @/
    /@ assert runs_abs: \forall integer j, l; 512 * k <= j && j + l <= 512 * k + 512 ==>
           (r_run(cs, j, l) <==> free_run(chunk_alloc(cs, k), j - 512 * k, l)); @/
    /@ assert r_start(cs, 512 * k, 512, psum_start(x)); @/
    /@ assert r_end(cs, 512 * k, 512, psum_end(x)); @/
    /@ assert r_has_run(cs, 512 * k, 512, psum_max(x)); @/
    /@ assert r_runs_le(cs, 512 * k, 512, psum_max(x)); @/
  }
*/

/* pageAlloc's leaf (contract in pallocsum.h). */
ga_psum ga_pallocdata_summarize(ga_pallocdata *const *m, size_t ci) {
    ga_psum x = ga_pallocbits_summarize(m[ci / GA_PALLOC_L2_CHUNKS][ci % GA_PALLOC_L2_CHUNKS].alloc);
    /*@ ghost ga_lemma_chunk_sum(m, (int64_t)ci, x); */
    return x;
}

/* The merge lemma (spec/psum.h): a ghost function whose contract is the lemma, called
 * where it is needed (SMT provers cannot find its instances alone); its body is the proof.
 * Stated as implications so that ga_psum_merge can use it whether or not its children
 * describe the region (its region postcondition is an implication too). */
/*@ ghost
  /@ requires c == a + N1 && d == N1 + N2 && 0 <= N1 && 0 <= N2;
     requires M == m1 || M == m2 || M == e1 + s2;
     assigns \nothing;
     ensures r_max(cs, a, N1, m1) && r_end(cs, a, N1, e1) && r_max(cs, c, N2, m2) && r_start(cs, c, N2, s2) ==>
         r_has_run(cs, a, d, M); @/
  static void ga_lemma_merge_has_run(ga_pallocdata *const *cs, int64_t a, int64_t c, int64_t d, int64_t N1,
                                     int64_t N2, int64_t m1, int64_t e1, int64_t s2, int64_t m2, int64_t M)
  {
    if (M == m1) {
      /@ assert r_max(cs, a, N1, m1) ==> r_has_run(cs, a, N1, m1); @/
    } else if (M == m2) {
      /@ assert r_max(cs, c, N2, m2) ==> r_has_run(cs, c, N2, m2); @/
    } else {
      /@ assert r_end(cs, a, N1, e1) && r_start(cs, c, N2, s2) ==> r_run(cs, c - e1, e1 + s2); @/
      /@ assert r_end(cs, a, N1, e1) && r_start(cs, c, N2, s2) ==> a <= c - e1 && c - e1 + M <= a + d; @/
    }
  }

  /@ requires c == a + N1 && d == N1 + N2 && 0 <= N1 && 0 <= N2;
     requires S == (s1 == N1 ? N1 + s2 : s1) && E == (e2 == N2 ? e1 + N2 : e2);
     requires M == m1 || M == m2 || M == e1 + s2;
     requires m1 <= M && m2 <= M && e1 + s2 <= M;
     assigns \nothing;
     ensures r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> r_sum(cs, a, d, S, M, E); @/
  static void ga_lemma_merge(ga_pallocdata *const *cs, int64_t a, int64_t c, int64_t d, int64_t N1, int64_t N2,
                             int64_t s1, int64_t m1, int64_t e1, int64_t s2, int64_t m2, int64_t e2,
                             int64_t S, int64_t M, int64_t E)
  {
    ga_lemma_merge_has_run(cs, a, c, d, N1, N2, m1, e1, s2, m2, M);
    /@ assert st1: s1 == N1 ==> (r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> r_run(cs, a, N1 + s2)); @/
    /@ assert st2: s1 == N1 ==> (r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> (N1 + s2 < d ==> !rfree(cs, a + (N1 + s2)))); @/
    /@ assert st3: s1 != N1 ==> (r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> r_start(cs, a, d, s1)); @/
    /@ assert st4: s1 == N1 ==> (r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> r_start(cs, a, d, N1 + s2)); @/
    /@ assert en1: e2 == N2 ==> (r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> r_run(cs, c - e1, e1 + N2)); @/
    /@ assert en2: e2 == N2 ==> (r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> (e1 + N2 < d ==> !rfree(cs, c - 1 - e1))); @/
    /@ assert en4: e2 == N2 ==> (r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> r_end(cs, a, d, e1 + N2)); @/
    /@ assert en3: e2 != N2 ==> (r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> r_end(cs, a, d, e2)); @/
    /@ assert r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> r_start(cs, a, d, S); @/
    /@ assert r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> r_end(cs, a, d, E); @/
    /@ assert r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> r_runs_le(cs, a, d, M); @/
    /@ assert r_sum(cs, a, N1, s1, m1, e1) && r_sum(cs, c, N2, s2, m2, e2) ==> 0 <= M <= d; @/
  }
*/

/* mergeSummaries' step: the first K pages' summary x merged with the next n pages' y.
 * One call per child in ga_psum_merge (straight-line, no loop: a loop's invariant had to
 * say "the fields are mg_sk/mg_mk/mg_ek for this k", an 8-way disjunction the provers
 * did not preserve). */
/*@ requires 512 <= n <= 262144 && n <= K <= 7 * n;
    requires psum_wf(x, K) && psum_wf(y, n);
    requires 0 <= a <= 0x8000000000;
    assigns \nothing;
    ensures fields: psum_start(\result) == mstep_s(psum_start(x), K, psum_start(y)) &&
        psum_max(\result) == mstep_m(psum_max(x), psum_end(x), psum_start(y), psum_max(y)) &&
        psum_end(\result) == mstep_e(psum_end(x), n, psum_end(y));
    ensures packed: \result == psum_pack(psum_start(\result), psum_max(\result), psum_end(\result));
    ensures wf: psum_wf(\result, K + n);
    ensures region: r_sum(cs, a, K, psum_start(x), psum_max(x), psum_end(x)) &&
        r_sum(cs, a + K, n, psum_start(y), psum_max(y), psum_end(y)) ==>
        r_sum(cs, a, K + n, psum_start(\result), psum_max(\result), psum_end(\result)); */
static ga_psum ga_psum_merge2(ga_psum x, ga_psum y, uint32_t K, uint32_t n)
/*@ ghost (ga_pallocdata *const *cs, int64_t a) */ {
    uint32_t s1 = ga_psum_start(x), m1 = ga_psum_max(x), e1 = ga_psum_end(x);
    uint32_t s2 = ga_psum_start(y), m2 = ga_psum_max(y), e2 = ga_psum_end(y);
    uint32_t s = s1 == K ? s1 + s2 : s1;
    uint32_t m = e1 + s2 > m1 ? e1 + s2 : m1;
    if (m2 > m)
        m = m2;
    uint32_t e = e2 == n ? e1 + n : e2;
    /*@ ghost ga_lemma_merge(cs, a, a + K, K + n, K, n, s1, m1, e1, s2, m2, e2, s, m, e); */
    /*@ assert wf: fields_wf(s, m, e, K + n); */
    /*@ assert psum_fields(s, m, e); */
    return ga_psum_pack(s, m, e);
}

/* (Its contract is on its declaration in pallocsum.h, where alloc/psumtree.c's proof
 * sees it too.)  Seven steps written out: child k joins the first k children's merge. */
ga_psum ga_psum_merge(const ga_psum *c, uint32_t log_n)
/*@ ghost (ga_pallocdata *const *cs, int64_t a) */ {
    uint32_t n = (uint32_t)1 << log_n;
    /*@ assert 512 <= n <= 262144; */
    /*@ assert hyp: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a, n, psum_start(c[0]), psum_max(c[0]), psum_end(c[0])); */
    ga_psum x = c[0];
    /*@ assert c1: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a + n, n, psum_start(c[1]), psum_max(c[1]), psum_end(c[1])); */
    x = ga_psum_merge2(x, c[1], n, n) /*@ ghost (cs, a) */;
    /*@ assert f2: psum_start(x) == mg_s2(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) && psum_max(x) == mg_m2(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) &&
            psum_end(x) == mg_e2(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n); */
    /*@ assert r2: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a, 2 * n, psum_start(x), psum_max(x), psum_end(x)); */
    /*@ assert c2: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a + 2 * n, n, psum_start(c[2]), psum_max(c[2]), psum_end(c[2])); */
    x = ga_psum_merge2(x, c[2], 2 * n, n) /*@ ghost (cs, a) */;
    /*@ assert f3: psum_start(x) == mg_s3(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) && psum_max(x) == mg_m3(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) &&
            psum_end(x) == mg_e3(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n); */
    /*@ assert r3: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a, 3 * n, psum_start(x), psum_max(x), psum_end(x)); */
    /*@ assert c3: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a + 3 * n, n, psum_start(c[3]), psum_max(c[3]), psum_end(c[3])); */
    x = ga_psum_merge2(x, c[3], 3 * n, n) /*@ ghost (cs, a) */;
    /*@ assert f4: psum_start(x) == mg_s4(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) && psum_max(x) == mg_m4(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) &&
            psum_end(x) == mg_e4(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n); */
    /*@ assert r4: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a, 4 * n, psum_start(x), psum_max(x), psum_end(x)); */
    /*@ assert c4: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a + 4 * n, n, psum_start(c[4]), psum_max(c[4]), psum_end(c[4])); */
    x = ga_psum_merge2(x, c[4], 4 * n, n) /*@ ghost (cs, a) */;
    /*@ assert f5: psum_start(x) == mg_s5(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) && psum_max(x) == mg_m5(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) &&
            psum_end(x) == mg_e5(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n); */
    /*@ assert r5: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a, 5 * n, psum_start(x), psum_max(x), psum_end(x)); */
    /*@ assert c5: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a + 5 * n, n, psum_start(c[5]), psum_max(c[5]), psum_end(c[5])); */
    x = ga_psum_merge2(x, c[5], 5 * n, n) /*@ ghost (cs, a) */;
    /*@ assert f6: psum_start(x) == mg_s6(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) && psum_max(x) == mg_m6(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) &&
            psum_end(x) == mg_e6(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n); */
    /*@ assert r6: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a, 6 * n, psum_start(x), psum_max(x), psum_end(x)); */
    /*@ assert c6: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a + 6 * n, n, psum_start(c[6]), psum_max(c[6]), psum_end(c[6])); */
    x = ga_psum_merge2(x, c[6], 6 * n, n) /*@ ghost (cs, a) */;
    /*@ assert f7: psum_start(x) == mg_s7(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) && psum_max(x) == mg_m7(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) &&
            psum_end(x) == mg_e7(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n); */
    /*@ assert r7: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a, 7 * n, psum_start(x), psum_max(x), psum_end(x)); */
    /*@ assert c7: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a + 7 * n, n, psum_start(c[7]), psum_max(c[7]), psum_end(c[7])); */
    x = ga_psum_merge2(x, c[7], 7 * n, n) /*@ ghost (cs, a) */;
    /*@ assert f8: psum_start(x) == mg_s8(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) && psum_max(x) == mg_m8(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n) &&
            psum_end(x) == mg_e8(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], n); */
    /*@ assert r8: (\forall integer j; 0 <= j < 8 ==>
                r_sum(cs, a + j * n, n, psum_start(c[j]), psum_max(c[j]), psum_end(c[j]))) ==>
            r_sum(cs, a, 8 * n, psum_start(x), psum_max(x), psum_end(x)); */
    return x;
}
