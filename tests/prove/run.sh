#!/usr/bin/env bash
# tests/prove/run.sh REPO WORKDIR — ci/prove's own test: its gate, on a fixture.
#
# tests/prove/fixture/ is a tree laid out like the repository (alloc/, spec/, proofs/)
# with one small target that proves in seconds.  Each case copies it, breaks it one way
# (or not at all: the control), runs ci/prove.py on the copy (GA_PROVE_ROOT, cold cache)
# and checks the exit status and the line that names the failure.  A gate that let one
# of these through (a wrong contract, a dead branch, a false lemma, an axiom, a callee
# whose contract nothing proves, a function with ACSL that no target proves, a goal
# count that changed, a cached failure not flagged) would make this test fail.  ~2 min
# on 2 cores (GA_JOBS cases at a time).
set -euo pipefail
repo=$(cd "$1" && pwd)
work=$2
py=/usr/bin/python3.11
fixture=$repo/tests/prove/fixture
rm -rf "$work"
mkdir -p "$work"
fails=0

# run_case NAME WANT_RC WANT EDIT [CACHE]: copy the fixture, run EDIT (a shell command,
# in the copy; it must change the copy, except for the control), prove
# (GA_WP_CACHE=CACHE, default none), and check.  WANT: extended regular expressions
# joined by " && ", each of which some line of ci/prove's output must match.  Where the
# gate has two ways to catch a fault (a proved smoke test is also an invalid property
# in Frama-C's consolidated status), WANT names the line that each one adds, so that
# losing either one fails this test.
run_case() {
    local name=$1 want_rc=$2 want=$3 edit=$4 cache=${5:-none} dir=$work/$1 rc=0
    cp -r "$fixture" "$dir"
    if ! (cd "$dir" && eval "$edit"); then
        echo "FAIL $name: the edit failed: $edit"
        return 1
    fi
    if [[ $name != control ]] && diff -rq -x build -x .wp-cache "$fixture" "$dir" >/dev/null; then
        echo "FAIL $name: the edit changed nothing (has the fixture changed?): $edit"
        return 1
    fi
    # a 5 s prover timeout: the fixture's goals prove in milliseconds (with room for a
    # loaded machine), and each goal a case breaks costs Z3 the full timeout
    GA_PROVE_ROOT=$dir GA_WP_CACHE=$cache GA_WP_TIMEOUT=5 GA_JOBS=1 "$py" "$repo/ci/prove.py" >"$dir.out" 2>&1 ||
        rc=$?
    local pats missing=""
    IFS=$'\x1f' read -ra pats <<<"${want// && /$'\x1f'}"
    for p in "${pats[@]}"; do
        grep -Eq -- "$p" "$dir.out" || missing+=" /$p/"
    done
    if [[ $rc != "$want_rc" ]]; then
        echo "FAIL $name: ci/prove exited $rc, expected $want_rc"
    elif [[ -n $missing ]]; then
        echo "FAIL $name: no line matches$missing"
    else
        echo "ok   $name: exit $rc, /${want// && //, /}/"
        return 0
    fi
    sed 's/^/    /' "$dir.out"
    return 1
}

# demo_twice_inc's ensures made false (two cases use it)
wrong_ensures="sed -i 's/ensures .result == 2 \\* x + 2;/ensures \\\\result == 2 * x + 3;/' alloc/demo.c"
# every case: name | expected exit status | expected lines | the edit [| cache mode]
cases=(
    "control|0|^  total +19 +19 +7 |true"
    "ensures|1|UNPROVED: typed_demo_twice_inc_ensures && ^  alloc/demo.c: demo_twice_inc: 1 unproved && ^  alloc/demo.c: [0-9]+ properties not valid|$wrong_ensures"
    "call-precondition|1|UNPROVED: typed_demo_twice_inc_call_inc_requires|sed -i 's/requires x <= 50;/requires x <= 200;/' alloc/demo.c"
    "rte-overflow|1|UNPROVED: typed_inc_assert_rte_unsigned_overflow|sed -i 's/requires x <= 100;/requires x <= 4294967295;/; s/ensures .result == x + 1; \\*\\//ensures \\\\result == (uint32_t)(x + 1); *\\//' alloc/demo.c"
    "dead-branch|1|^  alloc/demo.c: smoke test proved: typed_demo_twice_inc_wp_smoke_dead_code && NOT VALID: demo_twice_inc: wp_smoke_dead_code|sed -i 's/uint32_t y = inc(x);/if (x > 60)\\n        return 0;\\n    uint32_t y = inc(x);/' alloc/demo.c"
    "false-lemma|1|UNPROVED: typed_lemma_twice_even && NOT VALID: lemma twice_even|sed -i 's/(2 \\* x) % 2 == 0/(2 * x) % 2 == 1/' spec/demo.h"
    "axiom|1|NOT VALID: ACSL axiom axiom bogus .*no axiom may be assumed && ^  alloc/demo.c: [0-9]+ properties not valid|printf '/*@ axiomatic Bogus { axiom bogus: 1 == 2; } */\\n' >>alloc/demo.c"
    "header-lemma-function|1|UNPROVED: typed_demo_lemma_edge_ensures|cat \"$repo/tests/prove/extra/header-lemma.h\" >>spec/demo.h"
    "untrusted-callee|1|calls demo_ext .*whose contract nothing proves|sed -i '/^demo_ext\$/d' proofs/demo.trusted"
    "stale-trusted|1|demo.trusted: demo_gone is not a function of|echo demo_gone >>proofs/demo.trusted"
    "cached-failure|1|UNPROVED: typed_demo_twice_inc_ensures \\(cached verdict of .*CVC4 && GA_WP_CACHE=rebuild ci/prove alloc/demo.c|$wrong_ensures && { GA_PROVE_ROOT=\$PWD GA_WP_CACHE=update GA_WP_TIMEOUT=5 GA_JOBS=1 \$py \$repo/ci/prove.py >/dev/null 2>&1; true; }|update"
    "goal-count|1|inc: 3 goals, expected 4|sed -i 's/^inc 3\$/inc 4/' proofs/demo.expected"
    "no-target|1|alloc/other.c: other_one has a body and ACSL .*no target|cp \"$repo/tests/prove/extra/other.c\" alloc/other.c"
)
# the cases run side by side, GA_JOBS at a time (one prover process each); their
# reports are printed in order
par=${GA_JOBS:-$(nproc)}
for c in "${cases[@]}"; do
    IFS='|' read -r name rc want edit cache <<<"$c"
    while (($(jobs -rp | wc -l) >= par)); do wait -n || true; done
    (if run_case "$name" "$rc" "$want" "$edit" "$cache" >"$work/$name.report"; then :; else touch "$work/$name.failed"; fi) &
done
wait
for c in "${cases[@]}"; do
    name=${c%%|*}
    cat "$work/$name.report"
    [[ ! -e $work/$name.failed ]] || fails=$((fails + 1))
done
echo "ci/prove gate: ${#cases[@]} cases, $fails failed"
((fails == 0))
