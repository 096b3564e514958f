#!/usr/bin/env bash
# tests/real/python.sh NAME PART DROPIN SCRATCH — CPython's own regression tests
# (Debian's libpython3.11-testsuite, interpreter /usr/bin/python3.11) with
# PYTHONMALLOC=malloc, so that every object goes through malloc: 26 modules, threaded
# ones among them, in two worker processes (-j2).  The outcome of every test case
# (passed, skipped and why, failure, error) must be the same under glibc and goalloc,
# and under glibc every module must pass.  The modules pass here as root, without
# network, and do not depend on timing.
set -euo pipefail
# shellcheck source=tests/real/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ~8e7 calls in all (one worker process per module), heaps up to ~200 MB (test_pickle,
# test_unicode), where a check takes milliseconds: every 10,000 calls.
REAL_CHECK_EVERY=${REAL_CHECK_EVERY:-10000}
REAL_VERSIONS="$("$REAL_PY" -VV); $(dpkg-query -W -f='${Version}' libpython3.11-testsuite 2>/dev/null || true)"
real_init "$@"
[[ -f /usr/lib/python3.11/test/test_threading.py ]] ||
    real_die "no /usr/lib/python3.11/test/test_threading.py: install libpython3.11-testsuite (ci/setup)"

modules=(
    # threads
    test_threading test_thread test_threading_local test_queue test_weakref
    # containers and algorithms
    test_dict test_list test_set test_deque test_collections test_itertools test_sort test_heapq test_array
    test_bisect test_operator test_functools
    # strings, bytes, serialisation
    test_bytes test_unicode test_string test_re test_json test_struct test_pickle
    # zlib (its C library allocates through Python's malloc hooks); test_lzma and
    # test_bz2 are left out: 45 s of the 155, and tests/real/compress.sh covers them
    test_zlib
    # the cycle collector
    test_gc
)

# run MODE OUT — regrtest's JUnit XML reduced to one line per test case (OUT/outcomes),
# and its console output (OUT/console).  TMPDIR: the suite's temporary files go to the
# scratch directory.
run() {
    local mode="$1" out="$2"
    mkdir -p "$out/tmp"
    pushd "$out/tmp" >/dev/null # not a subshell: real_exec records failures in this shell
    TMPDIR="$out/tmp" PYTHONMALLOC=malloc real_exec "$mode" regrtest \
        "$REAL_PY" "$REAL_DIR/pyregr.py" run "$mode" "$REAL_DROPIN" -j2 --timeout 900 \
        --junit-xml "$out/junit.xml" "${modules[@]}" >"$out/console"
    popd >/dev/null
    if [[ -f "$out/junit.xml" ]]; then
        "$REAL_PY" "$REAL_DIR/pyregr.py" outcomes "$out/junit.xml" >"$out/outcomes"
    else
        real_fail "$mode: regrtest wrote no JUnit XML; the end of its output:
$(tail -n 20 "$out/console")"
        : >"$out/outcomes"
    fi
    rm -rf "$out/tmp"
    # The workers' stderr goes to the console: their heap-check failures too.
    grep '^goalloc: heap check failed' "$out/console" >>"$REAL_SCRATCH/$mode.stderr" || true
    grep -E '^(All [0-9]+ tests OK|[0-9]+ tests? (OK|failed|crashed)|Tests result)' "$out/console" |
        sed "s/^/$REAL_NAME: $mode: /" >&2 || true
}

compare() {
    local ref="$1" out="$2" n
    n=$(wc -l <"$ref/outcomes")
    grep -q "^All ${#modules[@]} tests OK" "$ref/console" ||
        real_fail "under glibc not all ${#modules[@]} modules passed: $(grep -E '^Tests result' "$ref/console")"
    ((n > 3000)) || real_fail "only $n test cases under glibc"
    echo "$REAL_NAME: $n test cases, $(grep -c ' passed$' "$ref/outcomes") passed under glibc"
    real_same "test cases' outcomes" "$ref/outcomes" "$out/outcomes"
    grep -q "^All ${#modules[@]} tests OK" "$out/console" ||
        real_fail "under goalloc not all modules passed:
$(sed -n '/^== Tests result/,$p' "$out/console" | head -n 20)"
}

real_main run compare
