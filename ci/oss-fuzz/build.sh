#!/bin/bash -eu
# ci/oss-fuzz/build.sh — OSS-Fuzz / ClusterFuzzLite build script for goalloc.
#
# Run by the infrastructure's `compile` step inside gcr.io/oss-fuzz-base/base-builder
# (as $SRC/build.sh, cwd $SRC/goalloc), with the variables it sets:
#   CC, CFLAGS            compiler and flags (sanitizer + coverage flags already added)
#   CXX, CXXFLAGS         used only to link, when set (OSS-Fuzz always sets them)
#   LIB_FUZZING_ENGINE    -fsanitize=fuzzer (libFuzzer) or an archive (AFL++, honggfuzz)
#   OUT, WORK, SRC        output directory, scratch directory, source root
#   AR                    optional archiver (default: llvm-ar for *lto* compilers)
# It drives the project's CMake build (CMake >= 3.25) in $WORK/goalloc-cmake with
# GA_FUZZ_ENGINE=external: every alloc/*.c into libgoalloc.a, fuzz/support/*.c and
# fuzz/shadow.c into libgoalloc_fuzz_support.a, then each fuzz/<driver>.c (*_fuzz.c)
# linked against both and $LIB_FUZZING_ENGINE (target <driver>_external), copied to
# $OUT/<driver>.  Archives, so that a driver only links (and carries coverage counters
# for) the objects it uses.
# Beside each target: <driver>_seed_corpus.zip (corpus/<driver>/), and <driver>.dict /
# <driver>.options copied from fuzz/ when present.
#
# Also works outside Docker (ci/oss-fuzz/test-local.sh runs it that way).  The source
# tree is found as $GOALLOC_SRC, else the repository around this script, else the cwd,
# else $SRC/goalloc.  GOALLOC_DRIVERS="a_fuzz b_fuzz" builds only those drivers;
# GOALLOC_JOBS sets the build parallelism (default: nproc).
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
done

# CMakeLists.txt needs CMake >= 3.25 (base-builder ships a newer one).
command -v cmake >/dev/null || {
    echo "build.sh: cmake not found (CMake >= 3.25 is needed)" >&2
    exit 1
}
# The project's CMake build, in its OSS-Fuzz mode: $CC/$CFLAGS for every object (the
# language mode, -D_GNU_SOURCE and -UNDEBUG for the drivers come from CMakeLists.txt),
# GA_FUZZ_ENGINE=external links each driver with $LIB_FUZZING_ENGINE, through $CXX
# $CXXFLAGS when the infrastructure provides them (the engines are C++), else $CC.
# Only the drivers are built: no tests, replayers' ctests, benchmarks, proofs or
# install rules, and no -Werror (the infrastructure's clang is newer than ours and may
# warn about new things; a warning must not cost a campaign).  The library and the fuzz
# support are archives, so a driver links (and carries coverage counters for) only the
# objects it uses: sizeclass_fuzz has no mheap, no shadow heap.
bdir="$WORK/goalloc-cmake"
rm -rf "$bdir"
config=(-S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS"
    -DGA_FUZZ_ENGINE=external -DGA_FUZZ_ENGINE_LINK="$LIB_FUZZING_ENGINE"
    -DGA_BUILD_FUZZ=ON -DGA_BUILD_TESTS=OFF -DGA_BUILD_BENCH=OFF -DGA_PROOFS_TEST=OFF
    -DGA_INSTALL=OFF -DGA_WERROR=OFF)
if [[ -n "${CXX:-}" ]]; then
    config+=(-DGA_FUZZ_LINK_CXX=ON -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="${CXXFLAGS:-$CFLAGS}")
else
    config+=(-DGA_FUZZ_LINK_CXX=OFF)
fi
# LTO compilers (afl-clang-lto) emit bitcode, which only llvm-ar indexes.
if [[ -n "${AR:-}" ]]; then
    config+=(-DCMAKE_AR="$(command -v "$AR" || echo "$AR")")
elif [[ "$CC" == *lto* ]] && command -v llvm-ar >/dev/null; then
    config+=(-DCMAKE_AR="$(command -v llvm-ar)")
    if command -v llvm-ranlib >/dev/null; then config+=(-DCMAKE_RANLIB="$(command -v llvm-ranlib)"); fi
fi
printf 'build.sh: cmake'
printf ' %q' "${config[@]}"
echo
cmake "${config[@]}"
cmake --build "$bdir" -j "${GOALLOC_JOBS:-$(nproc 2>/dev/null || echo 2)}" --target "${drivers[@]/%/_external}"
mkdir -p "$OUT"

for d in "${drivers[@]}"; do
    echo "  TARGET $OUT/$d"
    cp "$bdir/${d}_external" "$OUT/$d"

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
