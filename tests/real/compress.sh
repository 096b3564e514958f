#!/usr/bin/env bash
# tests/real/compress.sh NAME PART DROPIN SCRATCH — xz and zstd, two threads each (-T2),
# compress and decompress deterministic data of mixed compressibility (gen_data.py):
# zstd -3 all 256 MiB, xz -0 the first 64 MiB (xz is ~10 times slower).  Both tools
# split the input into blocks of a fixed size and compress each alone, so their output
# depends only on the input and the options: the compressed bytes must be identical
# under glibc and goalloc, and every round trip must give the input back.
set -euo pipefail
# shellcheck source=tests/real/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The heap stays small (the tools' buffers: tens of MB) and the calls few (hundreds:
# large blocks), so the heap is checked at every call.
REAL_CHECK_EVERY=${REAL_CHECK_EVERY:-1}
REAL_VERSIONS="$(xz --version | head -n 1); $(zstd --version)"
real_init "$@"

data="$REAL_SCRATCH/data"
trap 'rm -f "$data" "$data.64"' EXIT # 320 MiB: not left behind, whatever the verdict
"$REAL_PY" "$REAL_DIR/gen_data.py" "$data" 256
head -c $((64 << 20)) "$data" >"$data.64"

# roundtrip MODE TAG ORIGINAL OUT DECOMPRESSOR... — decompress, compare with ORIGINAL.
roundtrip() {
    local mode="$1" tag="$2" orig="$3" out="$4"
    shift 4
    real_exec "$mode" "$tag" "$@" >"$out"
    if ((REAL_RC == 0)) && ! cmp -s "$orig" "$out"; then
        real_fail "$tag under $mode: the round trip does not give the input back ($(cmp "$orig" "$out" 2>&1 | head -n 1))"
    fi
    rm -f "$out"
}

# run MODE OUT — compressed files' SHA-256 in OUT/sums (the files themselves are
# removed: hundreds of MB per mode).
run() {
    local mode="$1" out="$2"
    real_exec "$mode" "xz -T2 -0" xz -T2 -0 -c "$data.64" >"$out/data.xz"
    roundtrip "$mode" "xz -T2 -d" "$data.64" "$out/data.xz.out" xz -T2 -d -c "$out/data.xz"
    real_exec "$mode" "zstd -T2 -3" zstd -q -T2 -3 -c "$data" >"$out/data.zst"
    roundtrip "$mode" "zstd -T2 -d" "$data" "$out/data.zst.out" zstd -q -T2 -d -c "$out/data.zst"
    (cd "$out" && sha256sum data.xz data.zst >sums && stat -c '%s %n' data.xz data.zst >sizes)
    rm -f "$out/data.xz" "$out/data.zst"
}

compare() {
    real_same "compressed bytes (SHA-256 of data.xz, data.zst)" "$1/sums" "$2/sums"
}

real_main run compare
