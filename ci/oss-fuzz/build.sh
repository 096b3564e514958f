#!/bin/bash -eu
# ci/oss-fuzz/build.sh — OSS-Fuzz / ClusterFuzzLite build script for goalloc.
#
# Run by the infrastructure's `compile` step inside gcr.io/oss-fuzz-base/base-builder
# (as $SRC/build.sh, cwd $SRC/goalloc), with the variables it sets:
#   CC, CFLAGS            compiler and flags (sanitizer + coverage flags already added)
#   CXX, CXXFLAGS         used only to link, when set (OSS-Fuzz always sets them)
#   LIB_FUZZING_ENGINE    -fsanitize=fuzzer (libFuzzer) or an archive (AFL++, honggfuzz)
#   OUT, WORK, SRC        output directory, scratch directory, source root
# Plain compiler calls, no CMake: every alloc/*.c into libgoalloc.a, fuzz/support/*.c and
# fuzz/shadow.c into libgoalloc_fuzz_support.a, then each fuzz/<driver>.c (*_fuzz.c)
# linked against both and $LIB_FUZZING_ENGINE into $OUT/<driver>.  Archives, so that a
# driver only links (and carries coverage counters for) the objects it uses.
# Beside each target: <driver>_seed_corpus.zip (corpus/<driver>/), and <driver>.dict /
# <driver>.options copied from fuzz/ when present.
#
# Also works outside Docker (ci/oss-fuzz/test-local.sh runs it that way).  The source
# tree is found as $GOALLOC_SRC, else the repository around this script, else the cwd,
# else $SRC/goalloc.  GOALLOC_DRIVERS="a_fuzz b_fuzz" builds only those drivers.
set -euo pipefail

: "${CC:?CC is not set}" "${OUT:?OUT is not set}"
CFLAGS="${CFLAGS:-}"
LIB_FUZZING_ENGINE="${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}"
WORK="${WORK:-${TMPDIR:-/tmp}/goalloc-ossfuzz-work}"

is_tree() { [[ -f "$1/alloc/malloc.c" && -f "$1/include/goalloc.h" && -d "$1/fuzz" ]]; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -n "${GOALLOC_SRC:-}" ]]; then
    root="$GOALLOC_SRC"
elif is_tree "$here/../.."; then
    root="$here/../.."
elif is_tree "$PWD"; then
    root="$PWD"
else
    root="${SRC:?SRC is not set}/goalloc"
fi
root="$(cd "$root" && pwd)"
is_tree "$root" || {
    echo "build.sh: no goalloc source tree at $root (set GOALLOC_SRC)" >&2
    exit 1
}
cd "$root"

# Same language mode and definitions as CMakeLists.txt (-std=c11, no extensions,
# -D_GNU_SOURCE); drivers and their oracles keep their assert()s (-UNDEBUG).  No
# -Werror: the infrastructure's clang is newer than ours and may warn about new things.
read -r -a cflags <<<"$CFLAGS"
cflags+=(-std=c11 -D_GNU_SOURCE -UNDEBUG -pthread -Wall -Wextra -Iinclude -Ialloc -Ifuzz)
# Link with the C++ driver when the infrastructure provides one (libFuzzer and other
# engines are C++ and need its runtime); otherwise with $CC.
if [[ -n "${CXX:-}" ]]; then
    read -r -a link <<<"$CXX ${CXXFLAGS:-$CFLAGS}"
else
    read -r -a link <<<"$CC $CFLAGS"
fi
read -r -a engine <<<"$LIB_FUZZING_ENGINE"
# LTO compilers (afl-clang-lto) emit bitcode, which only llvm-ar indexes.
if [[ -n "${AR:-}" ]]; then
    ar_cmd="$AR"
elif [[ "$CC" == *lto* ]] && command -v llvm-ar >/dev/null; then
    ar_cmd=llvm-ar
else
    ar_cmd="ar"
fi

obj="$WORK/goalloc-obj"
rm -rf "$obj"
mkdir -p "$obj/alloc" "$obj/support" "$obj/drivers" "$OUT"

# compile SRC OBJ — one translation unit.
compile() {
    echo "  CC $1"
    "$CC" "${cflags[@]}" -c "$1" -o "$2"
}

lib_objs=()
for f in alloc/*.c; do
    o="$obj/alloc/$(basename "${f%.c}").o"
    compile "$f" "$o"
    lib_objs+=("$o")
done
rm -f "$obj/libgoalloc.a"
"$ar_cmd" rcs "$obj/libgoalloc.a" "${lib_objs[@]}"

sup_objs=()
for f in fuzz/support/*.c fuzz/shadow.c; do
    [[ -f "$f" ]] || continue
    o="$obj/support/$(basename "${f%.c}").o"
    compile "$f" "$o"
    sup_objs+=("$o")
done
rm -f "$obj/libgoalloc_fuzz_support.a"
if ((${#sup_objs[@]})); then
    "$ar_cmd" rcs "$obj/libgoalloc_fuzz_support.a" "${sup_objs[@]}"
    support_lib=("$obj/libgoalloc_fuzz_support.a")
else
    support_lib=()
fi

if [[ -n "${GOALLOC_DRIVERS:-}" ]]; then
    read -r -a drivers <<<"$GOALLOC_DRIVERS"
else
    drivers=()
    for f in fuzz/*_fuzz.c; do
        [[ -f "$f" ]] || continue
        f="${f##*/}"
        drivers+=("${f%.c}")
    done
fi
((${#drivers[@]})) || {
    echo "build.sh: no fuzz/*_fuzz.c driver" >&2
    exit 1
}

for d in "${drivers[@]}"; do
    [[ -f "fuzz/$d.c" ]] || {
        echo "build.sh: no fuzz/$d.c" >&2
        exit 1
    }
    compile "fuzz/$d.c" "$obj/drivers/$d.o"
    echo "  LD $OUT/$d"
    # Support before the library: the shadow heap and models may call into it.
    "${link[@]}" "$obj/drivers/$d.o" "${support_lib[@]}" "$obj/libgoalloc.a" \
        "${engine[@]}" -pthread -o "$OUT/$d"

    rm -f "$OUT/${d}_seed_corpus.zip"
    if [[ -d "corpus/$d" ]] && [[ -n "$(find "corpus/$d" -maxdepth 1 -type f -print -quit)" ]]; then
        # -j: flat names, as the infrastructure unpacks them into one directory.
        (cd "corpus/$d" && find . -maxdepth 1 -type f -print0 | sort -z |
            xargs -0 zip -q -j "$OUT/${d}_seed_corpus.zip")
    fi
    rm -f "$OUT/$d.dict" "$OUT/$d.options"
    for f in "fuzz/$d.dict" "fuzz/${d%_fuzz}.dict"; do
        if [[ -f "$f" ]]; then
            cp "$f" "$OUT/$d.dict"
            break
        fi
    done
    if [[ -f "fuzz/$d.options" ]]; then
        cp "fuzz/$d.options" "$OUT/$d.options"
        # A "dict = NAME" in the options is resolved in $OUT: ship NAME too.
        dict=$(sed -n 's/^[[:space:]]*dict[[:space:]]*=[[:space:]]*//p' "fuzz/$d.options" | tr -d '[:space:]')
        if [[ -n "$dict" && ! -f "$OUT/$dict" ]]; then
            if [[ -f "fuzz/$dict" ]]; then
                cp "fuzz/$dict" "$OUT/$dict"
            else
                echo "build.sh: warning: fuzz/$d.options names dict '$dict', not in fuzz/" >&2
            fi
        fi
    fi
done
echo "build.sh: ${#drivers[@]} target(s) in $OUT: ${drivers[*]}"
