/* Scavenge candidates (Go's mgcscavenge.go: fillAligned, pallocData.findScavengeCandidate):
 * which free, unscavenged pages of one chunk the scavenger releases next, in whole
 * physical pages and without breaking a huge page.
 *
 * Word-level code proved like pallocbits.c (same ci/prove options, its own target so
 * that the lemmas of spec/fill.h stay out of pallocbits.c's goals).  fillAligned is
 * written with shifts only (see ga_fill_aligned); its steps are small functions whose
 * contracts carry the proof. */
#include "pallocbits.h"

#include "bitops.h"
#include "os.h" /* ga_phys_page_size: huge pages count only above a physical page */
#include "../spec/bits.h"
#include "../spec/fill.h"

/* One fold-down step of ga_fill_aligned: when bit j of y says whether x has a set bit
 * in [j, j + s), bit j of the result says it for [j, j + 2s).  Stated for every j, not
 * only j < 64, so that no bound on x is needed. */
/*@ requires 1 <= s <= 32;
    assigns \nothing;
    ensures \forall integer x; (\forall integer j; 0 <= j ==> (bit(y, j) <==> any_from(x, j, s))) ==>
        (\forall integer j; 0 <= j ==> (bit(\result, j) <==> any_from(x, j, 2 * s))); */
static inline uint64_t ga_fold_down(uint64_t y, unsigned s) {
    uint64_t folded = y | y >> s; /* bit j: bits j and j + s of y */
    return folded;
}

/* One spread-up step: when bit k of y says whether y0 has a set bit in (k - s, k], bit
 * k of the result says it for (k - 2s, k].  Constant shifts, each masked first so that
 * it never wraps (RTE's guard, closed by the shl_mask lemmas of spec/fill.h); the bits
 * the mask drops would land above bit 63 anyway. */
/*@ requires s == 1 || s == 2 || s == 4 || s == 8 || s == 16 || s == 32;
    assigns \nothing;
    ensures \forall integer y0; (\forall integer k; 0 <= k < 64 ==> (bit(y, k) <==> any_upto(y0, k, s))) ==>
        (\forall integer k; 0 <= k < 64 ==> (bit(\result, k) <==> any_upto(y0, k, 2 * s))); */
static inline uint64_t ga_spread_up(uint64_t y, unsigned s) {
    switch (s) {
    case 1:
        return y | (y & 0x7fffffffffffffffull) << 1;
    case 2:
        return y | (y & 0x3fffffffffffffffull) << 2;
    case 4:
        return y | (y & 0x0fffffffffffffffull) << 4;
    case 8:
        return y | (y & 0x00ffffffffffffffull) << 8;
    case 16:
        return y | (y & 0x0000ffffffffffffull) << 16;
    default: /* 32 */
        return y | (y & 0x00000000ffffffffull) << 32;
    }
}

/* Each group's bottom bit: bit j set iff j % m == 0 (a function of its own so that the
 * proof of ga_fill_aligned does not follow each case of the switch). */
/*@ requires fill_m(m);
    assigns \nothing;
    ensures \forall integer j; 0 <= j < 64 ==> (bit(\result, j) <==> j % m == 0); */
static uint64_t ga_group_bottoms(unsigned m) {
    switch (m) {
    case 2:
        return 0x5555555555555555ull;
    case 4:
        return 0x1111111111111111ull;
    case 8:
        return 0x0101010101010101ull;
    case 16:
        return 0x0001000100010001ull;
    case 32:
        return 0x0000000100000001ull;
    default: /* 64 (ga_fill_aligned has thrown for any other m) */
        return 1;
    }
}

/* Go's fillAligned, with shifts only: Go's carry trick ((x & c) + c) needs carries
 * through + and -, which WP's bit theory does not model, so this form is the one proved.
 * Three steps: fold down log2(m) times (bit j becomes the OR of bits j .. j+m-1), keep
 * each group's bottom bit (now the OR of its group), spread it up log2(m) times through
 * the group.  m >= 2 only runs with physical pages above 8 KiB (never on amd64), so
 * the loops cost nothing where it matters. */
/*@ assigns \nothing;
    behavior valid_m:
      assumes m == 1 || fill_m(m);
      ensures \forall integer k; 0 <= k < 64 ==> (bit(\result, k) <==> group_any(x, k, m));
    behavior bad_m: // Go's throw("bad m value"): ga_throw does not return
      assumes !(m == 1 || fill_m(m));
    complete behaviors;
    disjoint behaviors; */
uint64_t ga_fill_aligned(uint64_t x, unsigned m) {
    if (m == 1) {
        /*@ assert \forall integer k; 0 <= k < 64 ==> (group_any(x, k, 1) <==> bit(x, k)); */
        return x;
    }
    switch (m) { /* a switch: one path on for WP (a chain of ifs would give it six copies) */
    case 2:
    case 4:
    case 8:
    case 16:
    case 32:
    case 64:
        break;
    default:
        ga_throw("fillAligned: bad m value %u", m);
        return 0; /* not reached (ga_throw does not return); for the proof, which has no contract for it */
    }
    /*@ assert fill_m(m); */
    uint64_t base = ga_group_bottoms(m);
    uint64_t y = x;
    unsigned s = 1;
    /*@ loop invariant pow: s == 1 || s == 2 || s == 4 || s == 8 || s == 16 || s == 32 || s == 64;
        loop invariant s <= m;
        loop invariant \forall integer j; 0 <= j ==> (bit(y, j) <==> any_from(x, j, s));
        loop assigns y, s;
        loop variant m - s; */
    while (s < m) {
        y = ga_fold_down(y, s);
        s *= 2;
    }
    /*@ assert fm: \forall integer j; 0 <= j ==> (bit(y, j) <==> any_from(x, j, m)); */
    y &= base;
    /*@ assert b0: \forall integer j; 0 <= j < 64 ==> (bit(y, j) <==> (j % m == 0 && any_from(x, j, m))); */
    /*@ ghost uint64_t y0 = y; */
    /*@ assert \forall integer k; 0 <= k < 64 ==> (bit(y, k) <==> any_upto(y0, k, 1)); */
    s = 1;
    /*@ loop invariant pow: s == 1 || s == 2 || s == 4 || s == 8 || s == 16 || s == 32 || s == 64;
        loop invariant s <= m;
        loop invariant \forall integer k; 0 <= k < 64 ==> (bit(y, k) <==> any_upto(y0, k, s));
        loop assigns y, s;
        loop variant m - s; */
    while (s < m) {
        y = ga_spread_up(y, s);
        s *= 2;
    }
    /*@ assert sm: \forall integer k; 0 <= k < 64 ==> (bit(y, k) <==> any_upto(y0, k, m)); */
    /*@ assert fin: \forall integer k; 0 <= k < 64 ==> (any_upto(y0, k, m) <==> group_any(x, k, m)); */
    return y;
}

/* The scavenge candidate of Go's findScavengeCandidate once min and max are valid:
 * words from search_idx's down, each filled in groups of min (a group with any page
 * allocated or scavenged is busy), the highest run of free, unscavenged groups,
 * truncated to its top max pages, then widened down to a huge page boundary when it
 * would split a huge page that the whole run covers. */
/*@ requires \valid_read(d) && \valid(start);
    requires search_idx < 512 && (min == 1 || fill_m(min)) && 1 <= max && hp <= 512;
    assigns *start;
    ensures \result <= 512 && *start + \result <= 512; */
static uint32_t ga_scav_candidate(const ga_pallocdata *d, uint32_t search_idx, uint32_t min, uint32_t max, uint32_t hp,
                                  uint32_t *start) {
    int32_t i = (int32_t)(search_idx / 64);
    uint64_t x = 0;
    /*@ loop invariant -1 <= i <= 7;
        loop assigns i, x;
        loop variant i + 1; */
    for (; i >= 0; i--) {
        x = ga_fill_aligned(d->scav[i] | d->alloc[i], min);
        if (x != ~(uint64_t)0)
            break;
    }
    *start = 0;
    if (i < 0)
        return 0;
    uint32_t z1 = ga_clz64(~x);                  /* busy pages above the run in word i */
    uint32_t end = (uint32_t)i * 64 + (64 - z1); /* the run is [end - run, end) */
    /* word i without the busy pages above the run (Go shifts them out, x << z1; a mask
     * keeps the proof's no-wrap guard) */
    uint64_t below = z1 >= 64 ? 0 : x & (~(uint64_t)0 >> z1);
    uint32_t run;
    if (below != 0) {
        uint32_t c = ga_clz64(below); /* z1 + the run, which ends inside word i */
        /*@ assert c >= z1; */        /* below's top z1 bits are clear */
        run = c - z1;
    } else {
        run = 64 - z1; /* reaches the bottom of word i: on into the words below */
        /*@ loop invariant -1 <= j < i && run <= 64 * (i - j);
            loop assigns j, run;
            loop variant j + 1; */
        for (int32_t j = i - 1; j >= 0; j--) {
            uint64_t y = ga_fill_aligned(d->scav[j] | d->alloc[j], min);
            run += ga_clz64(y);
            if (y != 0)
                break;
        }
    }
    if (run > end)
        run = end;
    uint32_t size = run < max ? run : max, st = end - size;
    if (hp > 1) {
        /* Do not break a free, unscavenged huge page: when the run holds the huge page
         * boundary at or below st and the candidate reaches the boundary above st, take
         * the candidate down to the boundary below. */
        uint32_t lower = st - st % hp, above = lower == st ? st : lower + hp; /* alignDown, alignUp */
        if (above <= end && lower >= end - run) {
            size += st - lower;
            st = lower;
        }
    }
    *start = st;
    return size;
}

/*@ requires \valid_read(d) && \valid(start);
    assigns *start;
    ensures \result <= 512 && *start + \result <= 512; */
uint32_t ga_pallocdata_find_scavenge_candidate(const ga_pallocdata *d, uint32_t search_idx, size_t min, size_t max,
                                               size_t huge_page_bytes, uint32_t *start) {
    *start = 0;
    if (min != 1 && min != 2 && min != 4 && min != 8 && min != 16 && min != 32 && min != 64) {
        ga_throw("findScavengeCandidate: min = %zu must be a power of two <= 64", min);
        return 0; /* not reached (ga_throw does not return); for the proof, which has no contract for it */
    }
    if (search_idx >= GA_CHUNK_PAGES)
        search_idx = GA_CHUNK_PAGES - 1;
    /* max 0 means min; else aligned up to min (never below it).  A chunk has 512 pages,
     * so anything above 512 truncates nothing. */
    size_t mx = max == 0 ? min : max > GA_CHUNK_PAGES ? GA_CHUNK_PAGES : max;
    if (mx % min != 0)
        mx += min - mx % min; /* (a remainder, not (mx + min - 1) / min * min: linear for the provers) */
    /* huge pages only when bigger than both a runtime page and a physical page; Go
     * assumes one fits in a chunk, so a bigger one is taken as none */
    uint32_t hp = 1;
    if (huge_page_bytes > GA_PAGE_SIZE && huge_page_bytes > ga_phys_page_size() &&
        huge_page_bytes / GA_PAGE_SIZE <= GA_CHUNK_PAGES)
        hp = (uint32_t)(huge_page_bytes / GA_PAGE_SIZE);
    return ga_scav_candidate(d, search_idx, (uint32_t)min, (uint32_t)mx, hp, start);
}
