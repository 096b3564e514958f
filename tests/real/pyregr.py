"""Helpers of tests/real/python.sh (CPython's regression tests under glibc and goalloc).

  pyregr.py run MODE DROPIN REGRTEST_ARGS...   test.libregrtest, after checking that
      the drop-in is (MODE goalloc or check) or is not (MODE glibc) mapped
  pyregr.py outcomes JUNIT_XML                 one line per test case, sorted:
      its name and passed, skipped (with the reason), failure or error

Why `run`: the suite's own subprocesses expect an empty stderr, so GOALLOC_VERBOSE and
GOALLOC_STATS must not reach them; this process checks the mapping itself, then drops
both from the environment its children inherit (the drop-in read them already: this
process still prints its banner at start and MemStats at exit, which python.sh checks).
"""
import os
import sys
import xml.etree.ElementTree as ET


def dropin_mapped(dropin):
    with open("/proc/self/maps") as maps:
        return any(os.path.realpath(line.split()[-1]) == dropin for line in maps if "/" in line)


def run(mode, dropin, args):
    dropin = os.path.realpath(dropin)
    mapped = dropin_mapped(dropin)
    print(f"pyregr: {mode} run: {dropin} {'is' if mapped else 'is not'} mapped", flush=True)
    if mapped != (mode != "glibc"):
        sys.exit(f"pyregr: FAILED: {mode} run, but the drop-in {'is' if mapped else 'is not'} mapped")
    os.environ.pop("GOALLOC_STATS", None)
    os.environ.pop("GOALLOC_VERBOSE", None)
    from test.libregrtest.main import main as regrtest_main

    sys.argv[1:] = args  # regrtest parses sys.argv
    regrtest_main()


def outcomes(path):
    lines = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag == "skipped":
                outcome = "skipped: " + " ".join((child.text or "").split())
            elif child.tag in ("failure", "error"):
                outcome = child.tag
                break
        lines.append(f"{case.get('name')} {outcome}")
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 3 and sys.argv[1] == "outcomes":
        outcomes(sys.argv[2])
    else:
        sys.exit(__doc__)
