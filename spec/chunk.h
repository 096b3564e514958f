/* ACSL logic: one pallocBits chunk (512 pages as 8 little-endian 64-bit words) and the
 * meaning of its summary.  Comments only; included by alloc/pallocbits.c. */
#ifndef GA_SPEC_CHUNK_H
#define GA_SPEC_CHUNK_H

#include <stdint.h>

#include "bits.h"

/*@
  // page p of bitmap b is allocated (bit set): bit p % 64 of word p / 64
  predicate pg{L}(uint64_t *b, integer p) = bit(b[p / 64], p % 64);

  // the word and bit of a page
  lemma div64: \forall integer p; 0 <= p ==> 64 * (p / 64) <= p < 64 * (p / 64) + 64;
  lemma mod64: \forall integer p; 0 <= p ==> p % 64 == p - 64 * (p / 64);

  lemma pg_word{L}: \forall uint64_t *b, integer w, k; 0 <= w && 0 <= k < 64 ==>
      (pg(b, 64 * w + k) <==> bit(b[w], k));

  // pages [j, j+n) are all free
  predicate free_run{L}(uint64_t *b, integer j, integer n) =
      \forall integer p; j <= p < j + n ==> !pg(b, p);

  // the first and the last page of a run (these also give provers the page terms to
  // instantiate other facts with)
  lemma free_run_first{L}: \forall uint64_t *b, integer i, n; 0 < n && free_run(b, i, n) ==> !pg(b, i);
  lemma free_run_last{L}: \forall uint64_t *b, integer i, n; 0 < n && free_run(b, i, n) ==> !pg(b, i + n - 1);

  // a run inside word w is a run of zeros of that word
  // (two directions, two lemmas: the provers time out on the equivalence as one goal)
  lemma run_in_word{L}: \forall uint64_t *b, integer w, i, n; 0 <= w && 64 * w <= i && i + n <= 64 * w + 64 &&
      free_run(b, i, n) ==> zeros(b[w], i - 64 * w, n);
  lemma word_zeros_run{L}: \forall uint64_t *b, integer w, k, l; 0 <= w && 0 <= k && k + l <= 64 &&
      zeros(b[w], k, l) ==> free_run(b, 64 * w + k, l);

  // two adjacent runs make one
  lemma free_run_cat{L}: \forall uint64_t *b, integer j, n, m; 0 <= n && 0 <= m ==>
      (free_run(b, j, n) && free_run(b, j + n, m) <==> free_run(b, j, n + m));

  // f is the first free page at or after lo
  predicate first_free{L}(uint64_t *b, integer lo, integer f) =
      lo <= f < 512 && !pg(b, f) && \forall integer p; lo <= p < f ==> pg(b, p);

  // j is the lowest index >= lo where a free run of n pages inside the chunk starts
  predicate lowest_fit{L}(uint64_t *b, integer lo, integer n, integer j) =
      lo <= j && j + n <= 512 && free_run(b, j, n) &&
      \forall integer i; lo <= i < j ==> !free_run(b, i, n);

  predicate fits{L}(uint64_t *b, integer lo, integer n) =
      \exists integer j; lo <= j && j + n <= 512 && free_run(b, j, n);

  // ---- summary of the chunk (docs/go-facts.md §13.3 P2, §21) ----------------------
  // s = length of the free run at page 0
  predicate sum_start{L}(uint64_t *b, integer s) =
      0 <= s <= 512 && free_run(b, 0, s) && (s < 512 ==> pg(b, s));
  // e = length of the free run ending at page 511
  predicate sum_end{L}(uint64_t *b, integer e) =
      0 <= e <= 512 && free_run(b, 512 - e, e) && (e < 512 ==> pg(b, 511 - e));
  // no free run longer than m
  predicate runs_le{L}(uint64_t *b, integer m) =
      \forall integer j, n; 0 <= j && j + n <= 512 && free_run(b, j, n) ==> n <= m;
  // m = length of the longest free run: one of that length exists, none is longer
  predicate sum_max{L}(uint64_t *b, integer m) =
      0 <= m <= 512 && (\exists integer j; 0 <= j && j + m <= 512 && free_run(b, j, m)) &&
      runs_le(b, m);
  predicate summary{L}(uint64_t *b, integer s, integer m, integer e) =
      sum_start(b, s) && sum_max(b, m) && sum_end(b, e);

  // page p as a number: 1 if allocated, 0 if free
  logic integer pgv{L}(uint64_t *b, integer p) = (b[p / 64] >> (p % 64)) & 1;
  lemma pgv_pg{L}: \forall uint64_t *b, integer p; 0 <= p ==>
      (pgv(b, p) == 1 <==> pg(b, p)) && (pgv(b, p) == 0 <==> !pg(b, p));

  // [j, j+l) lies strictly inside one word: neither end touches the word's edges
  predicate interior(integer j, integer l) = 64 * (j / 64) < j && j + l < 64 * (j / 64) + 64;
  // [j, j+l) lies inside one word
  predicate inword(integer j, integer l) = j / 64 == (j + l - 1) / 64;

  lemma interior_inword: \forall integer j, l; 0 <= j && 0 < l && interior(j, l) ==> inword(j, l) && l <= 62;

  // P5 of a chunk: no page is both allocated (bit of a) and scavenged (bit of s), i.e.
  // s[w] & a[w] == 0 for each word w (p5_words: the word form gives this page form)
  predicate p5{L}(uint64_t *a, uint64_t *s) = \forall integer p; 0 <= p < 512 ==> !(pg(a, p) && pg(s, p));
  lemma p5_words{L}: \forall uint64_t *a, *s; (\forall integer w; 0 <= w < 8 ==> (s[w] & a[w]) == 0) ==> p5(a, s);

  // number of allocated pages in [lo, hi)
  logic integer count{L}(uint64_t *b, integer lo, integer hi) =
      hi <= lo ? 0 : count(b, lo, hi - 1) + pgv(b, hi - 1);
*/

#endif
