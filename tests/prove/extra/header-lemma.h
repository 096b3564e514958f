/* Appended to the fixture's spec/demo.h by tests/prove/run.sh: a ghost lemma function
 * with a body on one line and a false ensures (w = 8), used by no one -- the kind of
 * function a regular expression over the C text once missed. */
/*@ ghost
  /@ requires 0 <= w <= 8;
     assigns \nothing;
     ensures 64 * w < 512; @/
  static void demo_lemma_edge(int w) { }
*/
