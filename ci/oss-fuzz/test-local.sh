#!/usr/bin/env bash
# ci/oss-fuzz/test-local.sh [config...] — run ci/oss-fuzz/build.sh here, the way OSS-Fuzz /
# ClusterFuzzLite would (same variables, no Docker), then run every target it built.
#
# Configs (default: libfuzzer afl; "all" = every one below):
#   libfuzzer  clang, ASan + UBSan, -fsanitize=fuzzer-no-link; LIB_FUZZING_ENGINE=-fsanitize=fuzzer.
#              Each target: -runs=N (GA_OSSFUZZ_RUNS, default 1000) on its unzipped seed
#              corpus, with the flags of its .options file ([libfuzzer]; dict from $OUT).
#   afl        afl-clang-fast (afl-clang-fast++ links), ASan + UBSan, LIB_FUZZING_ENGINE =
#              AFL++'s libAFLDriver.a.  Each target: afl-fuzz -V S (GA_OSSFUZZ_AFL_SECONDS,
#              default 20) on its seed corpus, with its dict (-x); fails on a saved crash.
#   afl-lto    the same with afl-clang-lto (llvm-ar archives); -V S on each target.
#   msan       libFuzzer + MemorySanitizer (-fsanitize-memory-track-origins), as OSS-Fuzz's
#              `memory` sanitizer; -runs=N.
#   ubsan      libFuzzer + OSS-Fuzz's exact `undefined` flag set (unsigned-integer-overflow
#              recoverable and silenced by UBSAN_OPTIONS, as ClusterFuzz does); -runs=N.
#   coverage   OSS-Fuzz's `coverage` build (-fprofile-instr-generate -fcoverage-mapping);
#              each target replays its seed corpus (-runs=0).
#
# Output: $GA_OSSFUZZ_OUT/<config> (default /tmp/ossfuzz-out/<config>) is $OUT; scratch
# (objects, unzipped corpora, afl-fuzz output, logs) in $GA_OSSFUZZ_WORK/<config>
# (default /tmp/ossfuzz-work/<config>).  GOALLOC_DRIVERS="a_fuzz b_fuzz" limits the
# drivers.  One process at a time (one core).  Never touches the tree.
# Exit status: 0 if every build succeeded and no target crashed, 1 otherwise.
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

out_base="${GA_OSSFUZZ_OUT:-/tmp/ossfuzz-out}"
work_base="${GA_OSSFUZZ_WORK:-/tmp/ossfuzz-work}"
runs="${GA_OSSFUZZ_RUNS:-1000}"
afl_seconds="${GA_OSSFUZZ_AFL_SECONDS:-20}"
[[ "$runs" =~ ^[0-9]+$ && "$afl_seconds" =~ ^[1-9][0-9]*$ ]] ||
    ga_die "GA_OSSFUZZ_RUNS and GA_OSSFUZZ_AFL_SECONDS must be numbers"

all_configs=(libfuzzer afl afl-lto msan ubsan coverage)
configs=()
for a in "$@"; do
    case "$a" in
    -h | --help)
        ga_usage
        exit 0
        ;;
    all) configs+=("${all_configs[@]}") ;;
    libfuzzer | afl | afl-lto | msan | ubsan | coverage) configs+=("$a") ;;
    *) ga_die "unknown config '$a' (configs: ${all_configs[*]} all)" ;;
    esac
done
((${#configs[@]})) || configs=(libfuzzer afl)

# OSS-Fuzz's defaults (infra/base-images/base-clang and base-builder).
base_cflags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
asan_flags="-fsanitize=address -fsanitize-address-use-after-scope"
ubsan_checks="array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr"
ubsan_flags="-fsanitize=$ubsan_checks,unsigned-integer-overflow -fno-sanitize-recover=$ubsan_checks"
msan_flags="-fsanitize=memory -fsanitize-memory-track-origins"
cov_flags="-fprofile-instr-generate -fcoverage-mapping -pthread -Wl,--no-as-needed -Wl,-ldl -Wl,-lm -Wno-unused-command-line-argument"
afl_driver="${GA_AFL_DRIVER:-/usr/lib/afl/libAFLDriver.a}"
# ClusterFuzz's run-time options (unsigned overflow is intended in the allocator: it is
# a coverage signal there, not a bug).
ubsan_run="print_stacktrace=1:print_summary=1:silence_unsigned_overflow=1:halt_on_error=1"
asan_run="abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:symbolize=1"

results=()
status=0

# note CONFIG TARGET RESULT FIGURES
note() {
    results+=("$(printf '%-10s %-16s %-7s %s' "$1" "$2" "$3" "$4")")
    if [[ "$3" != ok ]]; then status=1; fi
}

# build CONFIG VAR=VALUE... — run build.sh with the given environment.
build() {
    local cfg="$1" log t0
    shift
    mkdir -p "$out_base/$cfg" "$work_base/$cfg"
    rm -rf "${out_base:?}/$cfg"/*
    log="$work_base/$cfg/build.log"
    t0=$(date +%s)
    ga_log "[$cfg] build.sh -> $out_base/$cfg (log $log)"
    if env -u CXX -u CXXFLAGS -u AR "$@" OUT="$out_base/$cfg" WORK="$work_base/$cfg" SRC="${GA_ROOT%/*}" \
        bash -eu "$GA_ROOT/ci/oss-fuzz/build.sh" >"$log" 2>&1; then
        note "$cfg" build ok "$(grep -c '^  TARGET ' "$log") targets in $(ga_elapsed "$t0") s$(grep -q 'warning:' "$log" && echo ", with warnings (see $log)")"
        return 0
    fi
    tail -n 20 "$log" >&2
    note "$cfg" build FAILED "see $log"
    return 1
}

# targets CONFIG — the fuzz targets build.sh put in $OUT (executables named *_fuzz).
targets() {
    local f
    for f in "$out_base/$1"/*_fuzz; do
        [[ -x "$f" ]] && echo "${f##*/}"
    done
    return 0
}

# seeds CONFIG TARGET DIR — unzip TARGET's seed corpus into DIR (empty if none).
seeds() {
    rm -rf "$3"
    mkdir -p "$3"
    local zip="$out_base/$1/${2}_seed_corpus.zip"
    [[ -f "$zip" ]] || return 0
    if command -v unzip >/dev/null; then
        unzip -q -o "$zip" -d "$3"
    else
        /usr/bin/python3 -m zipfile -e "$zip" "$3"
    fi
}

# options CONFIG TARGET — libFuzzer flags from $OUT/TARGET.options, as ClusterFuzz passes them.
options() {
    local f="$out_base/$1/$2.options"
    [[ -f "$f" ]] || return 0
    awk -v out="$out_base/$1" '
        /^[ \t]*[#;]/ || /^[ \t]*$/ { next }
        /^[ \t]*\[/ { gsub(/[ \t]/, ""); in_s = ($0 == "[libfuzzer]"); next }
        in_s && /=/ {
            k = $0; sub(/=.*/, "", k); gsub(/[ \t]/, "", k)
            v = $0; sub(/^[^=]*=/, "", v); gsub(/^[ \t]+|[ \t]+$/, "", v)
            if (k == "dict") v = out "/" v
            print "-" k "=" v
        }' "$f"
}

# run_libfuzzer CONFIG EXTRA_RUNS — each target once over its seeds, then EXTRA_RUNS runs.
run_libfuzzer() {
    local cfg="$1" n="$2" t dir log rc line flags t0 nseeds
    for t in $(targets "$cfg"); do
        dir="$work_base/$cfg/run/$t"
        seeds "$cfg" "$t" "$dir/corpus"
        nseeds=$(find "$dir/corpus" -type f | wc -l)
        mkdir -p "$dir/artifacts"
        mapfile -t flags < <(options "$cfg" "$t")
        log="$dir/fuzz.log"
        t0=$(date +%s)
        rc=0
        ASAN_OPTIONS="$asan_run" UBSAN_OPTIONS="$ubsan_run" MSAN_OPTIONS="halt_on_error=1:print_stats=1" \
            LLVM_PROFILE_FILE="$dir/%p.profraw" \
            "$out_base/$cfg/$t" "${flags[@]}" -runs="$n" -artifact_prefix="$dir/artifacts/" \
            "$dir/corpus" >"$log" 2>&1 || rc=$?
        line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | awk '{ printf "%s execs, cov %s ft %s", substr($1, 2), $4, $6 }' || true)
        if ((rc == 0)) && [[ -n "$line" ]]; then
            note "$cfg" "$t" ok "$line, $nseeds seeds, $(ga_elapsed "$t0") s"
        else
            grep -E 'ERROR|SUMMARY|runtime error|WARNING: MemorySanitizer' "$log" | head -n 5 >&2 || true
            note "$cfg" "$t" FAILED "exit $rc, see $log"
        fi
    done
}

# run_afl CONFIG — afl-fuzz -V on each target, seeded from its seed corpus.
run_afl() {
    local cfg="$1" t dir log rc st crashes dict maxlen args
    for t in $(targets "$cfg"); do
        dir="$work_base/$cfg/run/$t"
        seeds "$cfg" "$t" "$dir/in"
        # afl-fuzz needs at least one seed; it refuses files over 1 MB.
        find "$dir/in" -type f -size +1024k -delete
        [[ -n "$(ls -A "$dir/in")" ]] || printf '\0\0\0\0\0\0\0\0' >"$dir/in/zero"
        rm -rf "$dir/out"
        # -t 5000+: as ci/afl — AFL++ sets the per-run timeout (at most 5 s) and skips a
        # seed that times out in the dry run (seed_spread_level0_free grows 4096 chunks
        # and takes ~0.8 s under ASan) instead of aborting.
        args=(-i "$dir/in" -o "$dir/out" -V "$afl_seconds" -m none -t 5000+)
        dict="$out_base/$cfg/$t.dict"
        [[ -f "$dict" ]] && args+=(-x "$dict")
        maxlen=$(options "$cfg" "$t" | sed -n 's/^-max_len=//p')
        [[ -n "$maxlen" ]] && args+=(-G "$maxlen")
        log="$dir/afl.log"
        rc=0
        AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
            ASAN_OPTIONS="abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1" \
            UBSAN_OPTIONS="$ubsan_run:symbolize=0" \
            afl-fuzz "${args[@]}" -- "$out_base/$cfg/$t" >"$log" 2>&1 || rc=$?
        st="$dir/out/default/fuzzer_stats"
        crashes=$(find "$dir/out" -path '*/crashes/id:*' -type f 2>/dev/null | wc -l)
        if ((rc == 0 && crashes == 0)) && [[ -f "$st" ]]; then
            note "$cfg" "$t" ok "$(awk '
                $1 == "execs_done" { e = $3 } $1 == "execs_per_sec" { s = $3 }
                $1 == "edges_found" { f = $3 } $1 == "total_edges" { te = $3 }
                $1 == "saved_hangs" { h = $3 } $1 == "corpus_count" { c = $3 }
                END { printf "%s execs, %d exec/s, edges %s/%s, corpus %s, 0 crashes, %s hangs", e, s, f, te, c, h }' "$st")"
        else
            sed 's/\x1b[[(][0-9;?]*[A-Za-z]//g' "$log" | grep -E 'PROGRAM ABORT|Location|ERROR' | head -n 5 >&2 || true
            note "$cfg" "$t" FAILED "exit $rc, $crashes crash(es), see $log and $dir/out"
        fi
    done
}

# libfuzzer_config CONFIG CFLAGS RUNS — build.sh with clang and the libFuzzer engine, then
# run every target (-runs=RUNS; 0 = replay the seed corpus only).
libfuzzer_config() {
    build "$1" CC=clang CXX=clang++ CFLAGS="$2" CXXFLAGS="$2" \
        LIB_FUZZING_ENGINE=-fsanitize=fuzzer && run_libfuzzer "$1" "$3"
}

for cfg in "${configs[@]}"; do
    case "$cfg" in
    libfuzzer) libfuzzer_config "$cfg" "$base_cflags $asan_flags -fsanitize=undefined -fsanitize=fuzzer-no-link" "$runs" ;;
    ubsan) libfuzzer_config "$cfg" "$base_cflags $ubsan_flags -fsanitize=fuzzer-no-link" "$runs" ;;
    msan) libfuzzer_config "$cfg" "$base_cflags $msan_flags -fsanitize=fuzzer-no-link" "$runs" ;;
    coverage) libfuzzer_config "$cfg" "$base_cflags $cov_flags" 0 ;;
    afl | afl-lto)
        [[ -f "$afl_driver" ]] || ga_die "no AFL++ driver at $afl_driver (set GA_AFL_DRIVER)"
        cc=afl-clang-fast
        [[ "$cfg" == afl-lto ]] && cc=afl-clang-lto
        # As OSS-Fuzz's compile_afl: the engine archive, CXX set, sanitizer flags in CFLAGS,
        # no -fsanitize=fuzzer-no-link (afl-clang-* instrument by themselves).
        cf="$base_cflags $asan_flags -fsanitize=undefined"
        build "$cfg" AFL_QUIET=1 CC="$cc" CXX="$cc++" CFLAGS="$cf" CXXFLAGS="$cf" \
            LIB_FUZZING_ENGINE="$afl_driver" && run_afl "$cfg"
        ;;
    esac
done

echo
echo "ci/oss-fuzz/test-local.sh (libFuzzer -runs=$runs, AFL++ -V $afl_seconds):"
printf '  %s\n' "${results[@]}"
exit "$status"
