/* ACSL logic: bits of integers and of 64-bit words (no C code; comments only).
 *
 * bit(x, i) is Frama-C WP's native bit test: (x & (1 << i)) != 0 over mathematical
 * integers (two's complement for negatives).  The lemmas relate the bits of &, |, ~,
 * >>, << and of the C casts to 64-bit words to the bits of their operands; each is
 * proved by Z3 or CVC4 from WP's Cbits theory (ci/prove).  Proofs of word-level code
 * use these lemmas instead of WP's bare bitwise encoding. */
#ifndef GA_SPEC_BITS_H
#define GA_SPEC_BITS_H

#include <stdint.h>

/*@
  predicate bit(integer x, integer i) = (x & (1 << i)) != 0;

  // ---- the lemma library --------------------------------------------------------
  lemma bit_and: \forall integer a, b, i; 0 <= i ==> (bit(a & b, i) <==> (bit(a, i) && bit(b, i)));
  lemma bit_or:  \forall integer a, b, i; 0 <= i ==> (bit(a | b, i) <==> (bit(a, i) || bit(b, i)));
  lemma bit_shr: \forall integer a, s, i; 0 <= s && 0 <= i ==> (bit(a >> s, i) <==> bit(a, i + s));
  lemma bit_shl: \forall integer a, s, i; 0 <= s && 0 <= i ==> (bit(a << s, i) <==> (s <= i && bit(a, i - s)));
  lemma bit_not: \forall integer a, i; 0 <= i ==> (bit(~a, i) <==> !bit(a, i));
  lemma bit_cast64: \forall integer a, i; 0 <= i < 64 ==> (bit((uint64_t)a, i) <==> bit(a, i));
  // bits 64 and up of a 64-bit word are zero.  (With -wp-model +nat a uint64_t variable
  // is only known to be >= 0; "(uint64_t)a == a" states that it fits in 64 bits.)
  lemma bit_hi64: \forall integer a, i; (uint64_t)a == a && 64 <= i ==> !bit(a, i);
  lemma bit_hi64_cast: \forall integer a, i; 64 <= i ==> !bit((uint64_t)a, i);
  lemma bit_zero: \forall integer i; 0 <= i ==> !bit(0, i);
  lemma bit_one: \forall integer i; 0 <= i ==> (bit(1, i) <==> i == 0);
  // all 64 bits of 2^64 - 1: WP's Range tactic splits on i (-wp-auto wp:range), Qed
  // evaluates each case; the second form follows
  lemma ones64_cases: \forall integer i; 0 <= i < 64 ==> (0xffffffffffffffff & (1 << i)) != 0;
  lemma bit_ones64: \forall integer i; 0 <= i < 64 ==> bit(0xffffffffffffffff, i);
  // the code's "(x >> i) & 1"
  lemma bit_low1: \forall integer x, i; 0 <= i ==> (bit(x, i) <==> ((x >> i) & 1) == 1);
  lemma bit_low0: \forall integer x, i; 0 <= i ==> (!bit(x, i) <==> ((x >> i) & 1) == 0);

  // the same for the typed operations of the code on 64-bit words
  lemma bit_not64: \forall uint64_t a, integer i; 0 <= i < 64 ==> (bit((uint64_t)~a, i) <==> !bit(a, i));
  lemma bit_shl64: \forall uint64_t a, integer s, i; 0 <= s < 64 && 0 <= i < 64 ==>
      (bit((uint64_t)(a << s), i) <==> (s <= i && bit(a, i - s)));
  lemma bit_shr64: \forall integer a, s, i; (uint64_t)a == a && 0 <= s < 64 && 0 <= i ==>
      (bit(a >> s, i) <==> (i + s < 64 && bit(a, i + s)));
  lemma bit_ones64_shr: \forall integer s, i; 0 <= s < 64 && 0 <= i ==>
      (bit(0xffffffffffffffff >> s, i) <==> i + s < 64);

  // ---- runs inside one word -----------------------------------------------------
  // bits [j, j+n) of x are all one / all zero
  predicate ones(integer x, integer j, integer n) = \forall integer k; j <= k < j + n ==> bit(x, k);
  predicate zeros(integer x, integer j, integer n) = \forall integer k; j <= k < j + n ==> !bit(x, k);

  lemma ones_sub: \forall integer x, j, n, i, m; j <= i && i + m <= j + n && ones(x, j, n) ==> ones(x, i, m);
  lemma zeros_sub: \forall integer x, j, n, i, m; j <= i && i + m <= j + n && zeros(x, j, n) ==> zeros(x, i, m);

  // a run of zeros is a run of ones of the complement
  lemma zeros_not64: \forall uint64_t x, integer j, n; 0 <= j && j + n <= 64 ==>
      (zeros(x, j, n) <==> ones((uint64_t)~x, j, n));

  // two overlapping runs of ones make one: [j, j+m) and [j+s, j+s+m), s <= m
  lemma ones_join: \forall integer x, j, m, s; 0 <= s <= m ==>
      (ones(x, j, m) && ones(x, j + s, m) <==> ones(x, j, m + s));

  // number of one bits among bits [0, n) of x
  logic integer nbits(integer x, integer n) = n <= 0 ? 0 : nbits(x, n - 1) + ((x >> (n - 1)) & 1);
*/

#endif
