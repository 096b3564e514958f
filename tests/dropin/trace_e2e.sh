#!/usr/bin/env bash
# GOALLOC_TRACE end to end (ctest test_dropin_trace): tests/dropin/trace_prog under the
# drop-in with GOALLOC_TRACE, the trace read back by fuzz/trace2fuzz.py (the calls the
# program made, its two threads, its failures and bad frees, nothing of its forked
# child), cut into trace_fuzz inputs, and those replayed by trace_fuzz_replay.
#   trace_e2e.sh PROG DROPIN_SO REPLAYER
set -euo pipefail
prog="$1" so="$2" replay="$3"
tool="$(dirname "${BASH_SOURCE[0]}")/../../fuzz/trace2fuzz.py"
py=/usr/bin/python3.11
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "trace_e2e: FAILED: $*" >&2
    exit 1
}

GOALLOC_TRACE="$tmp/t.bin" GOALLOC_BAD_FREE=warn LD_PRELOAD="$so" "$prog" >"$tmp/out" 2>"$tmp/err" ||
    fail "the program failed: $(cat "$tmp/err")"
read -r _ aligned _ usable _ bad <"$tmp/out"
stats="$("$py" "$tool" --stats "$tmp/t.bin")"
echo "$stats"
count() { grep -oE "(^|, |: )$1 [0-9]+" <<<"$stats" | grep -oE '[0-9]+$' || echo 0; }
threads="$(grep -oE '[0-9]+ threads' <<<"$stats" | grep -oE '^[0-9]+')"
((threads >= 2)) || fail "$threads threads traced, the program has 2"
n=$(($(count posix_memalign) + $(count aligned_alloc) + $(count memalign) + $(count valloc) + $(count pvalloc)))
((n == aligned)) || fail "$n aligned calls traced, the program made $aligned"
(($(count malloc_usable_size) >= usable)) || fail "malloc_usable_size: $(count malloc_usable_size) traced, $usable made"
(($(count thread_end) >= 1)) || fail "no thread exit traced"
dump="$("$py" "$tool" --dump "$tmp/t.bin")"
grep -qE ' free 0x[0-9a-f]+ 22 FAILED' <<<"$dump" || fail "the interior-pointer free is not in the trace"
grep -qE ' free 0x[0-9a-f]+ 114 FAILED' <<<"$dump" || fail "the double free is not in the trace"
grep -qE ' malloc 18446744073709551615 0x0 FAILED errno 12' <<<"$dump" || fail "malloc(SIZE_MAX) is not in the trace"
# The forked child's 1000 malloc(64) must not have reached the parent's trace.
k64="$(grep -cE ' malloc 64 ' <<<"$dump" || true)"
((k64 < 100)) || fail "$k64 malloc(64) in the trace: the forked child's calls got in"

"$py" "$tool" "$tmp/t.bin" "$tmp/in" --prefix e2e --windows 3 --threaded 2 --rare 4
ls "$tmp/in" | grep -q . || fail "no input written"
"$replay" "$tmp/in"
echo "trace_e2e: ok ($threads threads, $n aligned calls, $bad bad frees)"
