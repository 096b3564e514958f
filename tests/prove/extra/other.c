/* Copied into the fixture's alloc/ by tests/prove/run.sh: a function with a contract in
 * a file that no target of proofs/targets proves (nor includes). */
/*@ assigns \nothing;
    ensures \result == 1; */
int other_one(void) { return 1; }
