# shellcheck shell=bash
# Shared by the tests/real/*.sh scripts (ctest label `real`): one real program run
# under glibc's malloc and under goalloc's drop-in (LD_PRELOAD), outputs compared.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   real_init NAME PART DROPIN SCRATCH    # PART: compare (glibc + goalloc) or check
#   real_main RUN COMPARE                 # all of the below, in order
#   real_exec MODE TAG CMD... >OUT        # MODE: glibc, goalloc or check; sets REAL_RC
#   real_mode_done MODE T0                # the checks of one mode's runs, its time
#   real_same WHAT FILE_A FILE_B          # byte for byte
#   real_reference RUN                    # the glibc outputs, for the check part
#   real_finish                           # the verdict, and the exit status
#
# The program script defines RUN MODE OUTDIR (the workload under one mode, its outputs
# in OUTDIR).  The compare part runs it under glibc then goalloc; the check part under
# goalloc with GOALLOC_CHECK=$REAL_CHECK_EVERY, compared with the compare part's glibc
# outputs when they are there and were made by the same scripts and program versions
# (real_reference), else with a glibc run of its own.
#
# A run fails the test if the program exits non-zero or is killed, if a goalloc run
# shows no sign of the drop-in (its GOALLOC_VERBOSE banner and a GOALLOC_STATS line
# with a non-zero Mallocs on the process's stderr: a test must not pass vacuously), if a
# glibc run shows one, or if the heap checker reported a broken invariant.  Every
# failure is recorded and the script goes on, so that one run reports all of them.
set -euo pipefail

REAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
REAL_PY=/usr/bin/python3.11 # Debian's: `python3` on PATH may be another one

real_fails=()
real_times=()

# real_init NAME PART DROPIN SCRATCH — the scratch directory is emptied first: nothing
# from an earlier run can stand in for this one's output.  GOALLOC_CHECK's rate comes
# from the script (REAL_CHECK_EVERY, set before real_init).
real_init() {
    REAL_NAME="$1" REAL_PART="$2" REAL_DROPIN="$3" REAL_SCRATCH="$4"
    case "$REAL_PART" in compare | check) ;; *) real_die "part must be compare or check, not '$REAL_PART'" ;; esac
    [[ -f "$REAL_DROPIN" ]] || real_die "no drop-in at '$REAL_DROPIN'"
    REAL_DROPIN="$(realpath "$REAL_DROPIN")"
    rm -rf "$REAL_SCRATCH"
    mkdir -p "$REAL_SCRATCH"
    REAL_SCRATCH="$(realpath "$REAL_SCRATCH")"
    REAL_T0=$EPOCHREALTIME
    echo "$REAL_NAME ($REAL_PART): scratch $REAL_SCRATCH"
}

real_die() {
    echo "${REAL_NAME:-real}: error: $*" >&2
    exit 2
}

# real_fail MESSAGE — printed whole now, its first line again in the final summary.
real_fail() {
    echo "${REAL_NAME}: FAILED: $*" >&2
    real_fails+=("${1%%$'\n'*}")
}

# real_elapsed T0 — seconds since T0 (an $EPOCHREALTIME), one decimal.
real_elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# real_exec MODE TAG CMD... — run CMD under MODE's malloc, stdout where the caller sends
# it, stderr appended to $REAL_SCRATCH/MODE.stderr (all of one mode's processes: the
# banner and MemStats lines of every process the command starts land there).  A status
# other than 0 is recorded as a failure; REAL_RC holds it (the return is always 0, for
# set -e).
real_exec() {
    local mode="$1" tag="$2" rc=0 err="$REAL_SCRATCH/$1.stderr"
    shift 2
    local env=(env -u LD_PRELOAD -u GOALLOC_CHECK -u GOALLOC_STATS -u GOALLOC_VERBOSE -u GOALLOC_BAD_FREE)
    case "$mode" in
    glibc) ;;
    goalloc) env+=(LD_PRELOAD="$REAL_DROPIN" GOALLOC_VERBOSE=1 GOALLOC_STATS=1) ;;
    check) env+=(LD_PRELOAD="$REAL_DROPIN" GOALLOC_VERBOSE=1 GOALLOC_STATS=1 GOALLOC_CHECK="$REAL_CHECK_EVERY") ;;
    *) real_die "unknown mode '$mode'" ;;
    esac
    local t0=$EPOCHREALTIME
    local line="$*"
    echo "--- $tag: ${line//$'\n'/ }" >>"$err" # one line: compile() splits the file at these
    "${env[@]}" "$@" 2>>"$err" || rc=$?
    echo "$REAL_NAME: $mode: $tag: $(real_elapsed "$t0") s" >&2 # stdout is the caller's
    if ((rc != 0)); then
        real_fail "$tag under $mode exited with status $rc$( ((rc > 128)) && echo " (signal $((rc - 128)))"); last lines of its stderr:
$(grep -v '^goalloc MemStats' "$err" | tail -n 15)"
    fi
    # shellcheck disable=SC2034 # for the caller
    REAL_RC=$rc
}

# real_mode_done MODE T0 — the checks every run of MODE must pass (see the header),
# then its wall time on the report line.
real_mode_done() {
    local mode="$1" err="$REAL_SCRATCH/$1.stderr" banners mallocs frees procs extra=""
    [[ -f "$err" ]] || : >"$err"
    banners=$(grep -c '^goalloc: malloc drop-in ready' "$err" || true)
    read -r procs mallocs frees < <(awk '/^goalloc MemStats:/ {
            n++; for (i = 3; i < NF; i += 2) { if ($i == "Mallocs") m += $(i + 1); if ($i == "Frees") f += $(i + 1) } }
        END { printf "%d %d %d\n", n, m, f }' "$err")
    if grep -q '^goalloc: heap check failed' "$err"; then
        real_fail "$mode run: the goalloc heap check failed: $(grep -m1 '^goalloc: heap check failed' "$err")"
    fi
    if [[ "$mode" == glibc ]]; then
        ((banners == 0 && procs == 0)) || real_fail "glibc run: goalloc's banner or MemStats found: the drop-in was loaded"
    else
        ((banners > 0)) || real_fail "$mode run: no 'goalloc: malloc drop-in ready' banner: the drop-in was not loaded"
        ((procs > 0 && mallocs > 0)) ||
            real_fail "$mode run: no goalloc MemStats line with Mallocs > 0 ($procs lines): goalloc served nothing"
        extra=", $banners processes under goalloc, Mallocs $mallocs Frees $frees"
        if [[ "$mode" == check ]]; then
            # Mallocs and Frees as MemStats folds them (at span refill and cache
            # release): an estimate of the calls, from below.
            extra+=", GOALLOC_CHECK=$REAL_CHECK_EVERY: about $(((mallocs + frees) / REAL_CHECK_EVERY)) heap checks"
        fi
    fi
    real_times+=("$mode part: $(real_elapsed "$2") s$extra")
    echo "$REAL_NAME: ${real_times[-1]}"
}

# real_same WHAT A B — A and B byte for byte; a failure names the first difference.
real_same() {
    local what="$1" a="$2" b="$3"
    if [[ ! -e "$a" || ! -e "$b" ]]; then
        real_fail "$what: missing output ($a or $b)"
    elif ! cmp -s "$a" "$b"; then
        real_fail "$what differs: $(cmp "$a" "$b" 2>&1 | head -n 1)
$(diff "$a" "$b" 2>/dev/null | head -n 20 || true)"
    fi
}

# real_key — what the glibc outputs depend on: these scripts and the programs' versions
# (REAL_VERSIONS, set by the program script).
real_key() {
    cat "$REAL_DIR"/*.sh "$REAL_DIR"/*.py 2>/dev/null | sha256sum | cut -c1-16
    echo "${REAL_VERSIONS:-}"
}

# real_reference RUN — the compare part: run RUN under glibc then goalloc, each checked,
# and leave the glibc outputs' key for the check part.  The check part: REAL_REF is the
# compare part's glibc outputs if their key matches, else RUN's output under glibc now.
real_reference() {
    local run="$1" t0 shared="${REAL_SCRATCH%/*}/compare"
    if [[ "$REAL_PART" == check && -f "$shared/glibc.key" ]] && cmp -s "$shared/glibc.key" <(real_key); then
        REAL_REF="$shared/glibc"
        echo "$REAL_NAME: glibc outputs of the compare part reused ($REAL_REF)"
        return
    fi
    REAL_REF="$REAL_SCRATCH/glibc"
    mkdir -p "$REAL_REF"
    t0=$EPOCHREALTIME
    local nfails=${#real_fails[@]}
    "$run" glibc "$REAL_REF"
    real_mode_done glibc "$t0"
    if [[ "$REAL_PART" == compare && ${#real_fails[@]} -eq "$nfails" ]]; then
        real_key >"$REAL_SCRATCH/glibc.key"
    fi
}

# real_main RUN COMPARE — the part's runs: the glibc reference, then goalloc (compare
# part) or goalloc with the heap checker (check part), whose outputs COMPARE REF OUT
# checks against the reference (with real_same); then the verdict.
real_main() {
    local run="$1" compare="$2" mode=goalloc t0
    [[ "$REAL_PART" == check ]] && mode=check
    real_reference "$run"
    mkdir -p "$REAL_SCRATCH/$mode"
    t0=$EPOCHREALTIME
    "$run" "$mode" "$REAL_SCRATCH/$mode"
    real_mode_done "$mode" "$t0"
    "$compare" "$REAL_REF" "$REAL_SCRATCH/$mode"
    real_finish
}

# real_finish — print the verdict; exit 1 if anything failed.
real_finish() {
    echo "$REAL_NAME ($REAL_PART): total $(real_elapsed "$REAL_T0") s"
    if ((${#real_fails[@]})); then
        echo "$REAL_NAME ($REAL_PART): ${#real_fails[@]} failure(s):" >&2
        printf '  - %s\n' "${real_fails[@]}" >&2
        exit 1
    fi
    echo "$REAL_NAME ($REAL_PART): passed"
}
