#!/usr/bin/env bash
# tests/real/z3.sh NAME PART DROPIN SCRATCH — z3 solves the SMT-LIB2 problems that
# gen_smt.py writes (bit-vectors, factoring, arrays, linear integers, pigeonhole: sat
# and unsat), one process each; the answers and the values asked for must be identical
# under glibc and goalloc.  The values asked for are fixed by the constraints, but the
# comparison is of z3's whole output, which also holds for the same binary on the
# same input when only the allocator differs.
set -euo pipefail
# shellcheck source=tests/real/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ~1.6e6 calls over 61 processes with small heaps: every 200 calls (~8,000 checks) cost
# nothing measurable; every 100.
REAL_CHECK_EVERY=${REAL_CHECK_EVERY:-100}
REAL_VERSIONS="$(z3 --version)"
real_init "$@"

problems="$REAL_SCRATCH/problems"
"$REAL_PY" "$REAL_DIR/gen_smt.py" "$problems"
mapfile -t files < <(cd "$problems" && ls ./*.smt2)
((${#files[@]} >= 50)) || real_die "gen_smt.py wrote only ${#files[@]} problems"

# run MODE OUT — every problem's output in OUT/answers, each after a line naming it.
# -T:120: a hang shows as "timeout" in the output instead of stalling the test.
run() {
    pushd "$problems" >/dev/null # not a subshell: real_exec records failures in this shell
    # shellcheck disable=SC2016 # expanded by the inner bash
    real_exec "$1" z3 bash -c 'for f; do echo "; $f"; z3 -T:120 -smt2 "$f" || exit; done' _ "${files[@]}" \
        >"$2/answers"
    popd >/dev/null
}

compare() {
    local sat unsat
    sat=$(grep -c '^sat$' "$1/answers" || true)
    unsat=$(grep -c '^unsat$' "$1/answers" || true)
    echo "$REAL_NAME: glibc's answers: $sat sat, $unsat unsat"
    ((sat + unsat == ${#files[@]} && sat >= 10 && unsat >= 10)) ||
        real_fail "glibc's z3 answered $sat sat + $unsat unsat for ${#files[@]} problems (unknown, timeout or error?)"
    real_same "z3's answers" "$1/answers" "$2/answers"
}

real_main run compare
