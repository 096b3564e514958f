/* Bit operations on 64-bit words: count trailing zeros, count leading zeros, count of
 * one bits (Go's sys.Ctz64, sys.LeadingZeros64, sys.OnesCount64).  This header is the
 * one place in alloc/ where the compiler's __builtin_ctzll / __builtin_clzll /
 * __builtin_popcountll appear; every other file calls these functions.  Unlike the
 * builtins, ctz and clz are defined for 0 (64).
 *
 * Each function has an ACSL contract over the logic of spec/bits.h (bit, zeros, nbits).
 * The library build uses the compiler builtin, inlined at each call site (x86-64: tzcnt
 * or bsf, bsr; popcount is one popcnt instruction with -mpopcnt, otherwise a call to
 * libgcc's __popcountdi2 with gcc and an inline bit trick with clang).  Under Frama-C
 * (__FRAMAC__) the body is a portable bit loop that WP proves against the same contract:
 * ci/prove proves this header as a target of its own (proofs/targets,
 * proofs/bitops.expected), so each function is proved once, and the proofs of
 * alloc/pallocbits.c and alloc/mspan.c use the contracts at their call sites.  The
 * builtins are trusted to meet the contracts the portable bodies are proved against
 * (proofs/TRUSTED.md): they are the only code here the proof does not read. */
#ifndef GA_BITOPS_H
#define GA_BITOPS_H

#include <stdint.h>

#include "../spec/bits.h"

/* Number of trailing zero bits; 64 for 0 (Go's sys.Ctz64). */
/*@ assigns \nothing;
    ensures 0 <= \result <= 64;
    ensures zeros(x, 0, \result);
    ensures \result < 64 ==> bit(x, \result); */
static inline uint32_t ga_ctz64(uint64_t x) {
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

/* Number of leading zero bits; 64 for 0 (Go's sys.LeadingZeros64). */
/*@ assigns \nothing;
    ensures 0 <= \result <= 64;
    ensures zeros(x, 64 - \result, \result);
    ensures \result < 64 ==> bit(x, 63 - \result); */
static inline uint32_t ga_clz64(uint64_t x) {
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

/* Number of one bits (Go's sys.OnesCount64). */
/*@ assigns \nothing;
    ensures \result == nbits(x, 64);
    ensures 0 <= \result <= 64; */
static inline uint32_t ga_popcount64(uint64_t x) {
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

#endif
