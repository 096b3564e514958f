/* ACSL logic for ga_fill_aligned (Go's fillAligned) (no C code; comments only). */
#ifndef GA_SPEC_FILL_H
#define GA_SPEC_FILL_H

#include "bits.h"

/*@
  predicate fill_m(integer m) = m == 2 || m == 4 || m == 8 || m == 16 || m == 32 || m == 64;
  // some bit of the aligned group of m bits holding bit k is set in x: the group is
  // [g, g + m) with g a multiple of m (stated without division, which the provers
  // handle badly when m is not a constant)
  predicate group_any(integer x, integer k, integer m) =
      \exists integer g, j; 0 <= g && g % m == 0 && g <= k < g + m && g <= j < g + m && bit(x, j);

  // ---- ga_fill_aligned's steps ------------------------------------------------------
  // some bit of x in [j, j + n) is set (the fold down: bit j of x | x >> 1 | ...)
  predicate any_from(integer x, integer j, integer n) = \exists integer i; j <= i < j + n && bit(x, i);
  // some bit of y in (k - n, k] is set (the spread up: bit k of y | y << 1 | ...)
  predicate any_upto(integer y, integer k, integer n) = \exists integer i; k - n < i <= k && 0 <= i && bit(y, i);

  lemma any_from_split: \forall integer x, j, a, b; 0 <= a && 0 <= b ==>
      (any_from(x, j, a + b) <==> (any_from(x, j, a) || any_from(x, j + a, b)));
  lemma any_from_hi: \forall integer x, j, n; (uint64_t)x == x && 64 <= j ==> !any_from(x, j, n);
  lemma any_from_one: \forall integer x, j; any_from(x, j, 1) <==> bit(x, j);
  lemma any_upto_split: \forall integer y, k, a, b; 0 <= a && 0 <= b ==>
      (any_upto(y, k, a + b) <==> (any_upto(y, k, a) || any_upto(y, k - a, b)));
  lemma any_upto_one: \forall integer y, k; 0 <= k ==> (any_upto(y, k, 1) <==> bit(y, k));

  // each group's bottom bit, for the constants of ga_fill_aligned's switch: the *_cases
  // forms are proved by the Range tactic (Qed evaluates each j), the bit() forms from them
  lemma base2_cases: \forall integer j; 0 <= j < 64 ==> ((0x5555555555555555 & (1 << j)) != 0 <==> j % 2 == 0);
  lemma base4_cases: \forall integer j; 0 <= j < 64 ==> ((0x1111111111111111 & (1 << j)) != 0 <==> j % 4 == 0);
  lemma base8_cases: \forall integer j; 0 <= j < 64 ==> ((0x0101010101010101 & (1 << j)) != 0 <==> j % 8 == 0);
  lemma base16_cases: \forall integer j; 0 <= j < 64 ==> ((0x0001000100010001 & (1 << j)) != 0 <==> j % 16 == 0);
  lemma base32_cases: \forall integer j; 0 <= j < 64 ==> ((0x0000000100000001 & (1 << j)) != 0 <==> j % 32 == 0);
  lemma base64_cases: \forall integer j; 0 <= j < 64 ==> ((1 & (1 << j)) != 0 <==> j % 64 == 0);
  lemma base_bits: \forall integer j; 0 <= j < 64 ==>
      (bit(0x5555555555555555, j) <==> j % 2 == 0) && (bit(0x1111111111111111, j) <==> j % 4 == 0) &&
      (bit(0x0101010101010101, j) <==> j % 8 == 0) && (bit(0x0001000100010001, j) <==> j % 16 == 0) &&
      (bit(0x0000000100000001, j) <==> j % 32 == 0) && (bit(1, j) <==> j % 64 == 0);

  // ga_spread_up's masks: bits [0, 64 - n) (Range tactic, then the bit() form)
  lemma mask1_cases: \forall integer j; 0 <= j < 64 ==> ((0x7fffffffffffffff & (1 << j)) != 0 <==> j < 63);
  lemma mask2_cases: \forall integer j; 0 <= j < 64 ==> ((0x3fffffffffffffff & (1 << j)) != 0 <==> j < 62);
  lemma mask4_cases: \forall integer j; 0 <= j < 64 ==> ((0xfffffffffffffff & (1 << j)) != 0 <==> j < 60);
  lemma mask8_cases: \forall integer j; 0 <= j < 64 ==> ((0xffffffffffffff & (1 << j)) != 0 <==> j < 56);
  lemma mask16_cases: \forall integer j; 0 <= j < 64 ==> ((0xffffffffffff & (1 << j)) != 0 <==> j < 48);
  lemma mask32_cases: \forall integer j; 0 <= j < 64 ==> ((0xffffffff & (1 << j)) != 0 <==> j < 32);
  lemma mask_bits: \forall integer j; 0 <= j < 64 ==>
      (bit(0x7fffffffffffffff, j) <==> j < 63) &&
      (bit(0x3fffffffffffffff, j) <==> j < 62) &&
      (bit(0xfffffffffffffff, j) <==> j < 60) &&
      (bit(0xffffffffffffff, j) <==> j < 56) &&
      (bit(0xffffffffffff, j) <==> j < 48) &&
      (bit(0xffffffff, j) <==> j < 32);

  // ga_spread_up's shifts never wrap: proved by WP's Bit-Shift and Bit-Range tactics
  // (proofs/pallocbits.bitrange); the RTE guards of the code then follow by instance
  lemma shl_mask1: \forall integer y; 0 <= y ==> 0 <= ((y & 0x7fffffffffffffff) << 1) <= 0xffffffffffffffff;
  lemma shl_mask2: \forall integer y; 0 <= y ==> 0 <= ((y & 0x3fffffffffffffff) << 2) <= 0xffffffffffffffff;
  lemma shl_mask4: \forall integer y; 0 <= y ==> 0 <= ((y & 0xfffffffffffffff) << 4) <= 0xffffffffffffffff;
  lemma shl_mask8: \forall integer y; 0 <= y ==> 0 <= ((y & 0xffffffffffffff) << 8) <= 0xffffffffffffffff;
  lemma shl_mask16: \forall integer y; 0 <= y ==> 0 <= ((y & 0xffffffffffff) << 16) <= 0xffffffffffffffff;
  lemma shl_mask32: \forall integer y; 0 <= y ==> 0 <= ((y & 0xffffffff) << 32) <= 0xffffffffffffffff;

  // spreading each group's flagged bottom bit up through m bits fills exactly the groups
  lemma upto_group: \forall integer x, y0, m, k; 1 <= m && 0 <= k < 64 &&
      (\forall integer j; 0 <= j < 64 ==> (bit(y0, j) <==> (j % m == 0 && any_from(x, j, m)))) ==>
      (any_upto(y0, k, m) <==> group_any(x, k, m));
*/

#endif
