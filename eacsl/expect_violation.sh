#!/usr/bin/env bash
# expect_violation.sh REGEX CMD [ARG...] — passes when CMD is stopped by an E-ACSL
# run-time check: it must exit non-zero (E-ACSL's runtime aborts on a failed
# annotation) and its output, lines joined by spaces, must match REGEX (E-ACSL names the
# function and the failed clause kind on two lines).
set -uo pipefail
re="$1"
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
echo "expect_violation.sh: exit status $rc"
if ((rc == 0)); then
    echo "FAIL: the call ran to completion: no E-ACSL check stopped it" >&2
    exit 1
fi
if ! tr '\n' ' ' <<<"$out" | grep -Eq -- "$re"; then
    echo "FAIL: exit $rc, but no E-ACSL message matching /$re/" >&2
    exit 1
fi
echo "ok: stopped by E-ACSL (/$re/ matched)"
