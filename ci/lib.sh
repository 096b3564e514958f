# shellcheck shell=bash
# Shared helpers for the ci/ scripts.  Source it; it does not run anything by itself
# except cd to the repository root.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Conventions:
#   - every script runs from the repository root (ga_root), whatever the caller's cwd;
#   - GA_JOBS (default: nproc) is the build/test parallelism;
#   - GA_SUMMARY, when set, is a file to which scripts append one line per result,
#     tab-separated: step <TAB> result <TAB> figures.  ci/all reads it back to print
#     its single summary table.

GA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GA_ROOT
cd "$GA_ROOT" || exit 1

GA_JOBS="${GA_JOBS:-$(nproc 2>/dev/null || echo 2)}"

# ga_usage — print the calling script's header comment (its documentation).
ga_usage() {
    awk 'NR > 1 && /^# shellcheck/ { next } NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

ga_log() { printf '==> %s\n' "$*" >&2; }
ga_warn() { printf 'warning: %s\n' "$*" >&2; }
ga_die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# ga_summary STEP RESULT FIGURES — record one row for ci/all's table (no-op otherwise).
ga_summary() {
    if [[ -n "${GA_SUMMARY:-}" ]]; then
        printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$GA_SUMMARY"
    fi
}

# ga_elapsed START — seconds since START (an epoch time from `date +%s`).
ga_elapsed() { echo $(($(date +%s) - $1)); }

# ga_preset_build PRESET [TARGET...] — configure and build one CMake preset (all of it,
# or only TARGETs).  Configuration is re-run every time; it is cheap and keeps the
# globs honest.
ga_preset_build() {
    local preset="$1" t0 targets=()
    shift
    if (($#)); then targets=(--target "$@"); fi
    t0=$(date +%s)
    ga_log "configure + build preset '$preset'${targets[*]:+ (${targets[*]})}"
    # Explicit returns: callers use this in `if`, where `set -e` does not apply.
    cmake --preset "$preset" --log-level=WARNING >/dev/null || return 1
    cmake --build --preset "$preset" -j "$GA_JOBS" "${targets[@]}" || return 1
    ga_log "preset '$preset' built in $(ga_elapsed "$t0") s"
}

# ga_drivers — names of the fuzz drivers (fuzz/*_fuzz.c without the .c), one a line.
ga_drivers() {
    local f
    for f in fuzz/*_fuzz.c; do
        [[ -e "$f" ]] || continue
        f="${f##*/}"
        echo "${f%.c}"
    done
}

# ga_driver_name NAME — accept "pagealloc" or "pagealloc_fuzz"; print the driver name,
# or fail if there is no fuzz/<driver>.c.
ga_driver_name() {
    local d="$1"
    [[ "$d" == *_fuzz ]] || d="${d}_fuzz"
    [[ -f "fuzz/$d.c" ]] || ga_die "no fuzz driver fuzz/$d.c (drivers: $(ga_drivers | tr '\n' ' '))"
    echo "$d"
}

# ga_driver_dict DRIVER — print the dictionary path for DRIVER if one exists.
ga_driver_dict() {
    local d="$1" f
    for f in "fuzz/$d.dict" "fuzz/${d%_fuzz}.dict"; do
        if [[ -f "$f" ]]; then
            echo "$f"
            return 0
        fi
    done
    return 0
}

# ga_driver_options DRIVER [SECTION] — the "key value" pairs of SECTION (default
# libfuzzer) in fuzz/DRIVER.options (OSS-Fuzz style: "[libfuzzer]" then "key = value").
ga_driver_options() {
    local f="fuzz/$1.options"
    [[ -f "$f" ]] || return 0
    awk -v want="[${2:-libfuzzer}]" '
        /^[ \t]*[#;]/ || /^[ \t]*$/ { next }
        /^[ \t]*\[/ { gsub(/[ \t]/, ""); in_s = ($0 == want); next }
        in_s && /=/ {
            k = $0; sub(/=.*/, "", k); gsub(/[ \t]/, "", k)
            v = $0; sub(/^[^=]*=/, "", v); gsub(/^[ \t]+|[ \t]+$/, "", v)
            print k, v
        }' "$f"
}

# ga_ctest_counts LOGFILE — print "passed failed" from ctest's summary line
# ("100% tests passed, 0 tests failed out of 12"); "0 0" when there is none.
ga_ctest_counts() {
    local line total failed
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1 || true)
    if [[ -z "$line" ]]; then
        echo "0 0"
        return 0
    fi
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
    echo "$((total - failed)) $failed"
}

# ga_format_check — clang-format --dry-run -Werror (clang-format 14, style from
# .clang-format) over every tracked *.c and *.h; prints the unformatted files and fails
# if there is any.  Prints "format: SKIPPED ..." and returns 2 when the tree has no
# .clang-format (nothing to check against).  Last line: "format: ..." (the figures).
ga_format_check() {
    local cf files=() bad=() f
    if [[ ! -f .clang-format ]]; then
        echo "format: SKIPPED: no .clang-format in the tree"
        return 2
    fi
    cf=$(command -v clang-format || command -v clang-format-14 || true)
    if [[ -z "$cf" ]]; then
        echo "format: FAILED: clang-format not found (ci/setup installs it)"
        return 1
    fi
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        mapfile -t files < <(git ls-files '*.c' '*.h')
    else
        mapfile -t files < <(find . -path ./build -prune -o -path ./fuzz-out -prune -o \
            -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
    fi
    for f in "${files[@]}"; do
        [[ -f "$f" ]] || continue
        if ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
    done
    if ((${#bad[@]})); then
        echo "unformatted (fix with: clang-format -i FILE...; see one with: clang-format --dry-run FILE):"
        printf '  %s\n' "${bad[@]}"
        echo "format: FAILED: ${#bad[@]} of ${#files[@]} files unformatted ($("$cf" --version | sed 's/.*version //'))"
        return 1
    fi
    echo "format: ok: ${#files[@]} files formatted ($("$cf" --version | sed 's/.*version //'))"
}

# ga_report_crashes DRIVER ENGINE_BIN FILE... — print, for each crash input, the command
# that reproduces it (build/asan/DRIVER_replay FILE), after building that replayer and
# checking that it does reproduce; ENGINE_BIN FILE is offered when it does not.
ga_report_crashes() {
    local d="$1" bin="$2" c verdict replay="build/asan/${1}_replay"
    shift 2
    echo "$d: $# crash input(s); reproduce with:" >&2
    # Under a lock: ci/campaign runs several drivers at once, and two builds in one
    # build tree at the same time break each other.
    mkdir -p build
    if flock build/.asan.lock cmake --preset asan --log-level=WARNING >/dev/null 2>&1; then
        flock build/.asan.lock cmake --build --preset asan --target "${d}_replay" -j "$GA_JOBS" >/dev/null 2>&1 || true
    fi
    for c in "$@"; do
        if [[ ! -x "$replay" ]]; then
            verdict="asan build failed; try: $bin '$c'"
        elif (
            "$replay" "$c"
            exit $? # a second command, so that bash's "Aborted" goes to /dev/null too
        ) >/dev/null 2>&1; then
            verdict="does NOT reproduce in the replayer; try: $bin '$c'"
        else
            verdict="reproduces"
        fi
        printf "    %s '%s'    # %s\n" "$replay" "$c" "$verdict" >&2
    done
}

# ga_merge_back DRIVER LIBFUZZER_BIN LOG DIR... — add to corpus/DRIVER the units of
# DIR... that reach an edge corpus/DRIVER does not (libFuzzer -merge=1 with corpus/DRIVER
# first: it copies in only those, named after their SHA-1, and never removes a file:
# corpus/ is the regression corpus).  Edges, not hit counts (-use_counters=0): every
# preset replays corpus/ in CI, and merging by hit-count buckets took 743 of a one-hour
# threads_fuzz run's 1,010 units (5 minutes more of replay); the fuzzers' own working
# corpora keep the counters.  Prints "BEFORE -> AFTER" (file counts); fails if the merge
# does (its output: LOG).
ga_merge_back() {
    local d="$1" bin="$2" log="$3" dest="corpus/$1" before after
    shift 3
    mkdir -p "$dest"
    before=$(find "$dest" -maxdepth 1 -type f | wc -l)
    if ! "$bin" -merge=1 -use_counters=0 "$dest" "$@" >"$log" 2>&1; then
        ga_warn "$d: merge failed (see $log)"
        return 1
    fi
    after=$(find "$dest" -maxdepth 1 -type f | wc -l)
    echo "$before -> $after"
}

# ga_result FILE KEY=VALUE... — write one driver's figures (tab-separated key/value
# lines) for `fuzz/campaign.py table` (ci/campaign's Markdown summary).
ga_result() {
    local f="$1" kv
    shift
    : >"$f"
    for kv in "$@"; do printf '%s\t%s\n' "${kv%%=*}" "${kv#*=}" >>"$f"; done
}

# ga_plot PNG TITLE CSV... — draw fuzz/campaign.py's progress plot; only warns when it
# cannot (no matplotlib: ci/setup installs python3-matplotlib).
ga_plot() {
    local png="$1" title="$2"
    shift 2
    (($#)) || return 0
    if /usr/bin/python3.11 fuzz/campaign.py plot "$png" "$title" "$@" >/dev/null 2>"$png.log"; then
        echo "plot: $png"
    else
        ga_warn "no plot $png: $(tail -n 1 "$png.log")"
    fi
}

# ga_load — "load 1.52 1.49 1.20" (uptime's load averages), beside every exec/s figure.
ga_load() { echo "load $(cut -d' ' -f1-3 /proc/loadavg)"; }

# Sanitizer defaults for every test and replay run (callers may override).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
