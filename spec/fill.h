/* ACSL logic for ga_fill_aligned (Go's fillAligned) (no C code; comments only). */
#ifndef GA_SPEC_FILL_H
#define GA_SPEC_FILL_H

#include "bits.h"

/*@
  predicate fill_m(integer m) = m == 2 || m == 4 || m == 8 || m == 16 || m == 32 || m == 64;
  // some bit of the aligned group of m bits holding bit k is set in x
  predicate group_any(integer x, integer k, integer m) =
      \exists integer j; (k / m) * m <= j < (k / m) * m + m && bit(x, j);

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
*/

#endif
