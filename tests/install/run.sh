#!/usr/bin/env bash
# tests/install/run.sh BUILD_DIR CMAKE CC CFLAGS LDFLAGS WERROR — the ctest install_consumers.
#
# Installs BUILD_DIR into a scratch prefix (cmake --install BUILD_DIR --prefix P), checks
# that the install holds the public API and nothing else, then builds
# tests/install/consumer.c against it as another project would, with the build's own
# compiler CC and flags (CFLAGS, LDFLAGS: the preset's CMAKE_C_FLAGS and
# CMAKE_EXE_LINKER_FLAGS, so sanitizer builds stay consistent):
#   pkg-config         cc $(pkg-config --cflags --libs goalloc)            -> libgoalloc.so
#   pkg-config static  cc -static $(pkg-config --static --cflags --libs goalloc)
#                      (skipped when CFLAGS has -fsanitize or coverage flags: those
#                      runtimes cannot be linked into a fully static program)
#   find_package       tests/install/CMakeLists.txt: goalloc::goalloc (shared) and
#                      goalloc::goalloc_static
# and runs each program (consumer.c exits 0 only if allocation, free, a GC cycle and
# ga_heap_check all worked).  Exit status 0 only if everything did.
# Scratch files: BUILD_DIR/install-test/ (removed at the start of each run).
set -euo pipefail
(($# == 6)) || {
    echo "usage: $0 BUILD_DIR CMAKE CC CFLAGS LDFLAGS WERROR" >&2
    exit 2
}
build="$(cd "$1" && pwd)" cmake="$2" cc="$3" cflags="$4" ldflags="$5" werror="$6"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
scratch="$build/install-test"
prefix="$scratch/prefix"
rm -rf "$scratch"
mkdir -p "$scratch"

fail() {
    echo "install_consumers: FAILED: $*" >&2
    exit 1
}
step() { echo "==> $*"; }

read -r -a cflags_a <<<"$cflags"
read -r -a ldflags_a <<<"$ldflags"
warn=(-Wall -Wextra -pedantic)
case "$werror" in ON | on | 1 | TRUE | true | YES | yes) warn+=(-Werror) ;; esac

# ---- install ------------------------------------------------------------------------
step "cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$scratch/install.log" 2>&1 || {
    cat "$scratch/install.log" >&2
    fail "cmake --install"
}
sed 's/^/    /' "$scratch/install.log"

# Where GNUInstallDirs put things (lib, or lib64 / lib/<multiarch> on some systems).
pc=$(find "$prefix" -name goalloc.pc -path '*/pkgconfig/*' | head -n 1)
[[ -n "$pc" ]] || fail "no goalloc.pc installed"
libdir="$(dirname "$(dirname "$pc")")"
[[ -f "$prefix/include/goalloc.h" ]] || fail "include/goalloc.h not installed"
[[ -f "$libdir/libgoalloc.a" ]] || fail "libgoalloc.a not installed in $libdir"
[[ -L "$libdir/libgoalloc.so" ]] || fail "libgoalloc.so (the development symlink) not installed in $libdir"
soname=$(readelf -d "$libdir/libgoalloc.so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[[ -n "$soname" && "$soname" != libgoalloc.so ]] || fail "libgoalloc.so has no versioned SONAME ('$soname')"
[[ -f "$libdir/$soname" ]] || fail "the SONAME file $soname is not installed"
[[ -f "$libdir/cmake/goalloc/goallocConfig.cmake" && -f "$libdir/cmake/goalloc/goallocConfigVersion.cmake" &&
    -f "$libdir/cmake/goalloc/goallocTargets.cmake" ]] || fail "the CMake package files are not all installed"
# Only the public API: one header, no internal one.
headers=$(cd "$prefix" && find . -name '*.h' | sort | tr '\n' ' ')
[[ "$headers" == "./include/goalloc.h " ]] || fail "headers installed besides include/goalloc.h: $headers"
echo "    installed: include/goalloc.h, ${libdir#"$prefix"/}/{libgoalloc.a, libgoalloc.so -> $soname, pkgconfig/goalloc.pc, cmake/goalloc/}"

# run NAME PROGRAM — run a consumer; it must exit 0 and print its "ok" line.
run() {
    local out
    step "run $2"
    out=$("$2" "$1" 2>&1) || {
        echo "$out" >&2
        fail "$1: the consumer exited non-zero"
    }
    echo "    $out"
    [[ "$out" == *": ok" ]] || fail "$1: no ok line"
}

# needs_lib PROGRAM yes|no — does PROGRAM have libgoalloc.so as a DT_NEEDED entry?
needs_lib() {
    local has=no
    if readelf -d "$1" 2>/dev/null | grep -q "NEEDED.*\[$soname\]"; then has=yes; fi
    [[ "$has" == "$2" ]] || fail "$1: NEEDED $soname is '$has', expected '$2'"
}

# ---- pkg-config ---------------------------------------------------------------------
command -v pkg-config >/dev/null || fail "pkg-config not found (ci/setup installs pkgconf)"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
pkg_cflags=$(pkg-config --cflags goalloc) || fail "pkg-config --cflags goalloc"
pkg_libs=$(pkg-config --libs goalloc) || fail "pkg-config --libs goalloc"
pkg_static=$(pkg-config --static --libs goalloc) || fail "pkg-config --static --libs goalloc"
pc_libdir=$(pkg-config --variable=libdir goalloc)
echo "    pkg-config: cflags '$pkg_cflags', libs '$pkg_libs', --static libs '$pkg_static'"
[[ "$(cd "$pc_libdir" && pwd)" == "$libdir" ]] || fail "goalloc.pc's libdir $pc_libdir is not $libdir"
read -r -a pkg_cflags_a <<<"$pkg_cflags"
read -r -a pkg_libs_a <<<"$pkg_libs"
read -r -a pkg_static_a <<<"$pkg_static"

step "$cc consumer.c \$(pkg-config --cflags --libs goalloc)"
"$cc" "${cflags_a[@]}" -std=c11 "${warn[@]}" "${pkg_cflags_a[@]}" "$here/consumer.c" \
    "${ldflags_a[@]}" "${pkg_libs_a[@]}" -Wl,-rpath,"$pc_libdir" -o "$scratch/consumer_pc" ||
    fail "pkg-config build (shared)"
needs_lib "$scratch/consumer_pc" yes
run pkg-config "$scratch/consumer_pc"

if [[ " $cflags $ldflags " =~ [[:space:]]-f(sanitize|profile-instr-generate|coverage) ]]; then
    echo "==> SKIPPED: pkg-config --static with -static: the flags ($cflags) need a runtime" \
        "that cannot be linked into a fully static program (the find_package route links" \
        "libgoalloc.a below)"
else
    step "$cc -static consumer.c \$(pkg-config --static --cflags --libs goalloc)"
    "$cc" "${cflags_a[@]}" -std=c11 "${warn[@]}" "${pkg_cflags_a[@]}" "$here/consumer.c" \
        "${ldflags_a[@]}" -static "${pkg_static_a[@]}" -o "$scratch/consumer_pc_static" ||
        fail "pkg-config build (--static)"
    needs_lib "$scratch/consumer_pc_static" no
    run pkg-config-static "$scratch/consumer_pc_static"
fi

# ---- find_package -------------------------------------------------------------------
step "find_package(goalloc CONFIG REQUIRED) with CMAKE_PREFIX_PATH=$prefix"
"$cmake" -S "$here" -B "$scratch/cmake-consumer" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$cflags ${warn[*]}" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
    >"$scratch/cmake-consumer.log" 2>&1 || {
    cat "$scratch/cmake-consumer.log" >&2
    fail "configuring the find_package consumer"
}
"$cmake" --build "$scratch/cmake-consumer" >>"$scratch/cmake-consumer.log" 2>&1 || {
    cat "$scratch/cmake-consumer.log" >&2
    fail "building the find_package consumer"
}
grep -E '^goalloc_DIR:' "$scratch/cmake-consumer/CMakeCache.txt" | sed 's/^/    /'
grep -q "^goalloc_DIR:PATH=$libdir/cmake/goalloc\$" "$scratch/cmake-consumer/CMakeCache.txt" ||
    fail "find_package found a goalloc other than $prefix's"
needs_lib "$scratch/cmake-consumer/consumer_shared" yes
needs_lib "$scratch/cmake-consumer/consumer_static" no
run find_package-goalloc::goalloc "$scratch/cmake-consumer/consumer_shared"
run find_package-goalloc::goalloc_static "$scratch/cmake-consumer/consumer_static"

echo "install_consumers: ok"
