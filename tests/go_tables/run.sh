#!/bin/bash
# go_tables driver (tests/go_tables/README.md):
#   run.sh GO TOOL_DIR WORK_DIR REPLAYER
# 1. builds tools/gotables and extracts the cases from Go's runtime tests (GOROOT of GO)
#    into WORK_DIR/cases.txt;
# 2. replays them with REPLAYER (tests/go_tables/go_tables.c);
# 3. runs the same 20 functions with `go test -v` and compares, per function, the
#    subtests it ran (=== RUN lines) with the cases extracted and replayed: the same
#    names, so the same counts.
# Exit 0 only when every case passed and every count matches.
# GA_GO_TABLES_GO_TEST=0 skips step 3 (then the counts are not checked: says so, fails
# nothing, but the summary line reads "go test: skipped").
set -uo pipefail
go=$1 tool=$2 work=$3 replay=$4
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GOWORK=off
# without HOME Go has no default build cache: keep one next to the scratch directory
[ -n "${HOME:-}" ] || [ -n "${GOCACHE:-}" ] || export GOCACHE="$work.gocache"
rm -rf "$work" && mkdir -p "$work" || exit 1
fail=0
t0=$SECONDS

goroot=$("$go" env GOROOT) || exit 1
(cd "$tool" && "$go" build -o "$work/gotables" .) || { echo "go_tables: building tools/gotables failed"; exit 1; }
"$work/gotables" -goroot "$goroot" -out "$work/gen" -self "$tool" || exit 1
(cd "$work/gen" && "$go" build -o "$work/cases_prog" .) || { echo "go_tables: the generated program does not build"; exit 1; }
"$work/cases_prog" > "$work/cases.txt" || { echo "go_tables: the generated program failed"; exit 1; }
echo "go_tables: extracted from $goroot/src/runtime ($("$go" version | cut -d' ' -f3)) in $((SECONDS - t0)) s"

"$replay" "$work/cases.txt" > "$work/replay.txt"
rc=$?
cat "$work/replay.txt"
[ $rc -eq 0 ] || fail=1

# The subtest names per function: extracted (case lines of cases.txt) ...
awk '/^func /{f=$2; print f"/"} /^case /{print f"/"substr($0, 6)}' "$work/cases.txt" | sort > "$work/extracted.txt"
funcs=$(awk '/^func /{print $2}' "$work/cases.txt" | paste -sd'|')
if [ "${GA_GO_TABLES_GO_TEST:-1}" = 0 ]; then
    echo "go_tables: go test: skipped (GA_GO_TABLES_GO_TEST=0): counts not compared with Go's"
    exit $fail
fi
t1=$SECONDS
# ... and run by go test (=== RUN TestX and TestX/name; -count=1: not from Go's cache)
"$go" test -v -count=1 -run "^($funcs)\$" runtime > "$work/gotest.txt" 2>&1
grc=$?
echo "go_tables: go test -v -run (20 functions): exit $grc in $((SECONDS - t1)) s"
if [ $grc -ne 0 ]; then
    echo "go_tables: FAIL: Go's own run of these tests failed on this machine:"
    grep -E -- '--- FAIL|FAIL|panic' "$work/gotest.txt" | head -20
    fail=1
fi
sed -n 's/^=== RUN   \(Test[^/]*\)$/\1\//p; s/^=== RUN   \(Test[^/]*\/.*\)$/\1/p' "$work/gotest.txt" | sort > "$work/gorun.txt"
printf '%-38s %8s %8s %8s\n' FUNCTION GO_TEST EXTRACT REPLAYED
for f in $(awk '/^func /{print $2}' "$work/cases.txt" | sort); do
    g=$(grep -c "^$f/." "$work/gorun.txt")
    e=$(grep -c "^$f/." "$work/extracted.txt")
    r=$(sed -n "s/^GT $f subtests=\([0-9]*\) rows=\([0-9]*\).*/\1/p" "$work/replay.txt")
    rows=$(sed -n "s/^GT $f subtests=\([0-9]*\) rows=\([0-9]*\).*/\2/p" "$work/replay.txt")
    missing=$(sed -n "s/^GT $f .* missing=\(.*\)/\1/p" "$work/replay.txt")
    calls=$(awk -v f="$f" '/^func /{on = $2 == f} on && /^row /{n[$2]++} END{for (k in n) printf "%s%s=%d", (s++ ? " " : ""), k, n[k]}' "$work/cases.txt")
    note=""
    [ "$g" = 0 ] && note="no subtests in Go; rows: $calls"
    [ -n "$missing" ] && { note="NOT REPLAYED (not in this tree: $missing) $note"; r="-"; }
    grep -qx "$f/" "$work/gorun.txt" || { note="NOT RUN by go test"; fail=1; }
    if [ "$g" != "$e" ] || { [ "$e" != "$r" ] && [ -z "$missing" ]; }; then
        note="MISMATCH $note"
        fail=1
    fi
    printf '%-38s %8s %8s %8s  %s\n' "$f" "$g" "$e" "${r:-?}" "$note"
done
if ! diff <(grep -v '/$' "$work/gorun.txt") <(grep -v '/$' "$work/extracted.txt") > "$work/names.diff"; then
    echo "go_tables: FAIL: subtest names differ (< go test, > extracted):"
    head -20 "$work/names.diff"
    fail=1
fi
echo "go_tables: $([ $fail = 0 ] && echo PASS || echo FAIL) in $((SECONDS - t0)) s"
exit $fail
