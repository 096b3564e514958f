#!/usr/bin/env bash
# tests/real/gcc.sh NAME PART DROPIN SCRATCH SOURCE_DIR — gcc (the driver, cc1, as,
# collect2, ld: all under the mode's malloc) compiles this project's alloc/*.c four
# ways: the build's own flags (-O3 -g, objects, then linked into a shared library),
# -O2 -S (assembly), -O0 -g (objects) and -O2 -fanalyzer (objects and the analyzer's
# diagnostics: its exploded graphs make it the most allocation-heavy pass).  Every
# output must be byte-identical under glibc and goalloc.  The compiler runs in
# SOURCE_DIR, the same directory both ways (DWARF records it), and writes only to
# SCRATCH.
set -euo pipefail
# shellcheck source=tests/real/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ~5.5e7 calls over 128 processes, most in the analyzer (whose heap is the largest):
# every 1,000 calls (55,000 checks) took the analyzer from 19 to 66 s; every 5,000 calls.
REAL_CHECK_EVERY=${REAL_CHECK_EVERY:-5000}
REAL_VERSIONS="$(gcc --version | head -n 1); $(as --version | head -n 1); $(ld --version | head -n 1)"
src="$(realpath "$5")"
real_init "$1" "$2" "$3" "$4"
cd "$src"
mapfile -t sources < <(ls alloc/*.c)
((${#sources[@]} >= 10)) || real_die "only ${#sources[@]} files in $src/alloc"

# The flags of CMake's Release build of goalloc_objects (compile_commands.json).
base=(-D_GNU_SOURCE -Iinclude -Ialloc -fPIC -fvisibility=hidden -Wall -Wextra -Werror -std=c11)

# compile MODE OUT DIR EXT FLAG... — every source into OUT/DIR/<name>.EXT, the
# compiler's diagnostics into OUT/DIR.diag.  They went to the mode's stderr with
# goalloc's own lines (which real_mode_done counts there): copied out without those.
compile() {
    local mode="$1" out="$2" dir="$3" ext="$4"
    shift 4
    mkdir -p "$out/$dir"
    # shellcheck disable=SC2016 # expanded by the inner bash
    real_exec "$mode" "gcc $dir" bash -c 'out=$1 ext=$2 n=$3; shift 3; flags=("${@:1:n}"); shift "$n"
        for f; do b=${f##*/}; gcc "${flags[@]}" "$f" -o "$out/${b%.c}.$ext" || exit; done' \
        _ "$out/$dir" "$ext" $# "$@" "${sources[@]}"
    awk -v tag="--- gcc $dir:" '/^--- / { on = (index($0, tag) == 1); next } on && !/^goalloc/' \
        "$REAL_SCRATCH/$mode.stderr" >"$out/$dir.diag"
}

# run MODE OUT
run() {
    local mode="$1" out="$2"
    compile "$mode" "$out" O3 o "${base[@]}" -g -O3 -DNDEBUG -c
    real_exec "$mode" "gcc -shared" gcc -shared -o "$out/liballoc.so" "$out"/O3/*.o
    compile "$mode" "$out" S s "${base[@]}" -O2 -S
    compile "$mode" "$out" O0 o "${base[@]}" -g -O0 -c
    compile "$mode" "$out" analyzer o "${base[@]}" -Wno-error -O2 -fanalyzer -c
}

compare() {
    local ref="$1" out="$2" f n=0
    for f in "$ref"/*/*.o "$ref"/*/*.s "$ref"/*.diag "$ref/liballoc.so"; do
        real_same "${f#"$ref"/}" "$f" "$out/${f#"$ref"/}"
        n=$((n + 1))
    done
    local warnings
    warnings=$(grep -c 'warning:' "$ref/analyzer.diag" || true)
    echo "$REAL_NAME: $n files compared; the analyzer's diagnostics: $warnings warnings"
    ((n == 4 * ${#sources[@]} + 5)) || real_fail "$n outputs compared, expected $((4 * ${#sources[@]} + 5))"
    ((warnings > 0)) || real_fail "the analyzer gave no warning under glibc: its pass did not run"
}

real_main run compare
