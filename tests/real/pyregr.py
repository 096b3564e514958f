"""Run CPython's regression tests (test.libregrtest) after checking which malloc this
process got: `pyregr.py goalloc|glibc DROPIN_PATH REGRTEST_ARGS...`.

Why a wrapper: the test suite's own subprocesses must see an empty stderr, so neither
GOALLOC_VERBOSE nor GOALLOC_STATS can be inherited by them; instead this process
checks that the drop-in is (goalloc) or is not (glibc) mapped, then drops GOALLOC_STATS
from the environment its children inherit (the drop-in read it already: this process
still prints MemStats at exit, whose Mallocs count the caller checks)."""
import os
import sys


def dropin_mapped(dropin):
    with open("/proc/self/maps") as maps:
        return any(os.path.realpath(line.split()[-1]) == dropin for line in maps if "/" in line)


def main():
    mode, dropin, args = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3:]
    mapped = dropin_mapped(dropin)
    print(f"pyregr: {mode} run: {dropin} {'is' if mapped else 'is not'} mapped", flush=True)
    if mapped != (mode == "goalloc"):
        sys.exit(f"pyregr: FAILED: {mode} run, but the drop-in {'is' if mapped else 'is not'} mapped")
    os.environ.pop("GOALLOC_STATS", None)
    os.environ.pop("GOALLOC_VERBOSE", None)
    from test.libregrtest.main import main as regrtest_main

    sys.argv[1:] = args  # regrtest parses sys.argv
    regrtest_main()


if __name__ == "__main__":
    main()
