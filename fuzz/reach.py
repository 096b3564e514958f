#!/usr/bin/python3.11
"""The reach check: every hand-named seed still reaches what it was written for.

A hand-named seed (a file of corpus/<driver>/ whose name is not 40 hex digits) is
written to reach one path: "the 13th OS call refused inside a second arena's
registration".  When the call sequence changes, such a seed goes on replaying cleanly
while it silently stops reaching its path.  fuzz/reach.txt states, for every
hand-named seed, what it must reach, as claims:

    <driver>/<seed>  <file>  <anchor>

<anchor> is text (to the end of the line, surrounding blanks stripped) that occurs
exactly once in <file> (a source compiled into the replayer: alloc/*.c, fuzz/*.c,
fuzz/support/*.c), within one line; the code at its first character must run when that
seed alone is replayed (<file>@N: exactly N times, <file>@N+: at least N times; @0:
never -- "the N-th call refused" is often a loop body run exactly N times).  "Run" is read from clang's source-based coverage: the count of
the innermost region that holds the anchor's first character (so an anchor on the
`return` of `if (x) return -1;` claims the return, not the test).  A seed may have
several claims; all must hold.

The check (ctest reach_seeds, label corpus; also the build target/script reach_check):
  - every hand-named seed has at least one claim, every claim names an existing seed;
  - every anchor occurs exactly once in its file, on instrumented code;
  - each seed is replayed alone by the coverage-instrumented replayer
    (<bin-dir>/<driver>_reach, fuzz/reach.cmake) and each of its anchors has run.
The first line of each failure names the seed and its claim.

    fuzz/reach.py --bin-dir build/asan [--jobs N] [--only DRIVER[/SEED]]
    fuzz/reach.py --bin-dir DIR --suggest DRIVER[/SEED] [--top N]   (writing claims: the
        regions each seed runs that the fewest other hand-named seeds of its driver run)
    fuzz/reach.py --bin-dir DIR --draft DRIVER   (a claim draft for every hand-named seed)
Environment: LLVM_PROFDATA, LLVM_COV (default llvm-profdata / llvm-cov, else -14).
Exit status 0: every claim holds; 1: some claim fails; 2: usage or tool error.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(ROOT, "fuzz", "reach.txt")
HEX40 = re.compile(r"^[0-9a-f]{40}$")


def tool(env, *names):
    for n in ([os.environ[env]] if os.environ.get(env) else []) + list(names):
        p = shutil.which(n)
        if p:
            return p
    sys.exit(f"reach: none of {names} found (install llvm; see ci/setup)")


def hand_named(driver):
    d = os.path.join(ROOT, "corpus", driver)
    return sorted(f for f in os.listdir(d) if not HEX40.match(f) and not f.startswith(".")
                  and os.path.isfile(os.path.join(d, f)))


def parse_manifest(path):
    """[(lineno, driver, seed, file, anchor, (count, at_least))]"""
    claims = []
    with open(path) as f:
        for no, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.strip().split(None, 2)
            if len(parts) != 3 or "/" not in parts[0]:
                raise ValueError(f"{os.path.relpath(path, ROOT)}:{no}: expected '<driver>/<seed> <file> <anchor>'")
            driver, seed = parts[0].split("/", 1)
            m = re.match(r"^(.*?)(?:@(\d+)(\+?))?$", parts[1])
            want = (int(m.group(2)), m.group(3) == "+") if m.group(2) else (1, True)
            claims.append((no, driver, seed, m.group(1), parts[2].strip(), want))
    return claims


def locate(file, anchor, cache={}):
    """(line, column) of anchor's first character, both 1-based; ValueError unless the
    anchor occurs exactly once in the file, within one line."""
    if file not in cache:
        with open(os.path.join(ROOT, file)) as f:
            cache[file] = f.read()
    text = cache[file]
    n = text.count(anchor)
    if n != 1:
        raise ValueError(f"anchor found {n} times in {file} (must be exactly once)")
    if "\n" in anchor:
        raise ValueError("anchor spans lines")
    i = text.index(anchor)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


class Profiler:
    def __init__(self, bin_dir, tmp):
        self.bin_dir, self.tmp = bin_dir, tmp
        self.macros = {}  # (driver, file) -> macro invocation sites (profile-independent)
        self.lock = threading.Lock()
        self.profdata = tool("LLVM_PROFDATA", "llvm-profdata", "llvm-profdata-14")
        self.cov = tool("LLVM_COV", "llvm-cov", "llvm-cov-14")

    def binary(self, driver):
        b = os.path.join(self.bin_dir, driver + "_reach")
        if not os.access(b, os.X_OK):
            sys.exit(f"reach: {b} not built (cmake --build ... --target {driver}_reach; clang builds only)")
        return b

    def segments(self, driver, seed, files):
        """Replay corpus/driver/seed alone; {file: segments} for the given files (paths
        relative to ROOT).  Raises RuntimeError if the replay fails."""
        base = os.path.join(self.tmp, f"{driver}+{seed}")
        env = dict(os.environ, LLVM_PROFILE_FILE=base + ".profraw")
        r = subprocess.run([self.binary(driver), os.path.join(ROOT, "corpus", driver, seed)], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"replay failed (exit {r.returncode}): " + " | ".join(tail))
        subprocess.run([self.profdata, "merge", "-sparse", base + ".profraw", "-o", base + ".profdata"], check=True)
        with self.lock:
            known = all((driver, f) in self.macros for f in files)
        # Macro invocation sites (where the binary's coverage map has them: the same for
        # every profile, so read once, with the expansions): the count clang gives them
        # is the enclosing code's (`if (x) FAIL(...)` shows FAIL's line as run whenever x
        # is tested).
        out = subprocess.run([self.cov, "export", "-format=text", "-skip-functions"] +
                             (["-skip-expansions"] if known else []) +
                             ["-instr-profile=" + base + ".profdata", self.binary(driver)] +
                             [os.path.join(ROOT, f) for f in sorted(files)], check=True, capture_output=True).stdout
        for ext in (".profraw", ".profdata"):
            os.unlink(base + ext)
        segs = {}
        for f in json.loads(out)["data"][0]["files"]:
            rel = os.path.relpath(os.path.realpath(f["filename"]), ROOT)
            with self.lock:
                if not known:
                    self.macros[(driver, rel)] = [e["source_region"][:4] for e in f["expansions"]]
                segs[rel] = (f["segments"], self.macros.get((driver, rel), []))
        if not known:
            with self.lock:
                for f in files:
                    self.macros.setdefault((driver, f), [])
        return segs


def count_at(file_segs, line, col):
    """Count of the region holding (line, col): the last segment starting at or before it
    (llvm-cov's rule).  None if that position is not in instrumented code, or is in a
    macro invocation (whose count is not its own)."""
    segs, macros = file_segs
    if any((m[0], m[1]) <= (line, col) <= (m[2], m[3]) for m in macros):
        return None
    cur = None
    for s in segs:  # [line, col, count, hasCount, isRegionEntry, isGapRegion]
        if (s[0], s[1]) <= (line, col):
            cur = s
        else:
            break
    if cur is None or not cur[3] or cur[5]:
        return None
    return cur[2]


def check(args):
    try:
        claims = parse_manifest(args.manifest)
    except ValueError as e:
        print(f"reach: {e}")
        return 2
    drivers = sorted(f[:-2] for f in os.listdir(os.path.join(ROOT, "fuzz")) if f.endswith("_fuzz.c"))
    fails = []
    by_seed = {}
    for no, driver, seed, file, anchor, want in claims:
        times = "" if want == (1, True) else f" {want[0]}{' or more' if want[1] else ''} times"
        where = f"{os.path.basename(args.manifest)}:{no}: {driver}/{seed} must reach {file}: {anchor}{times}"
        if driver not in drivers:
            fails.append(f"{where}: no driver fuzz/{driver}.c")
            continue
        if not os.path.isfile(os.path.join(ROOT, "corpus", driver, seed)) or HEX40.match(seed):
            fails.append(f"{where}: no hand-named seed corpus/{driver}/{seed}")
            continue
        try:
            pos = locate(file, anchor)
        except (ValueError, OSError) as e:
            fails.append(f"{where}: {e}")
            continue
        by_seed.setdefault((driver, seed), []).append((where, file, anchor, pos, want))
    for d in drivers:
        for seed in hand_named(d):
            if (d, seed) not in by_seed and not any(x[1] == d and x[2] == seed for x in claims):
                fails.append(f"{d}/{seed}: a hand-named seed with no claim in fuzz/reach.txt (state what it must reach)")
    todo = sorted(by_seed)
    if args.only:
        todo = [k for k in todo if any(f"{k[0]}/{k[1]}" == o or k[0] == o for o in args.only)]
    with tempfile.TemporaryDirectory(prefix="ga-reach-") as tmp:
        prof = Profiler(args.bin_dir, tmp)

        def one(key):
            items = by_seed[key]
            try:
                segs = prof.segments(key[0], key[1], {f for _, f, _, _, _ in items})
            except (RuntimeError, subprocess.CalledProcessError) as e:
                return [f"{key[0]}/{key[1]}: {e}"]
            out = []
            for where, file, anchor, (line, col), (times, at_least) in items:
                n = count_at(segs.get(file, ([], [])), line, col)
                if n is None:
                    out.append(f"{where}: {file}:{line}:{col} is not instrumented code (not compiled into "
                               f"{key[0]}_reach, a comment, a gap, or a macro invocation: anchor a plain statement)")
                elif n == 0 and times:
                    out.append(f"{where}: NOT REACHED ({file}:{line} ran 0 times)")
                elif n < times or (n > times and not at_least):
                    out.append(f"{where}: ran {n} times")
            return out

        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
            for r in ex.map(one, todo):
                fails += r
    nclaims = sum(len(by_seed[k]) for k in todo)
    for f in fails:
        print("FAIL " + f)
    print(f"reach: {len(todo)} seeds, {nclaims} claims checked, {len(fails)} failures")
    return 1 if fails else 0


def seed_regions(args, driver):
    """{seed: set of (file, line, col) of the lines whose first statement it runs} for
    every hand-named seed of driver, over alloc/*.c, fuzz/support/*.c and the driver."""
    files = sorted(["alloc/" + f for f in os.listdir(os.path.join(ROOT, "alloc")) if f.endswith(".c")] +
                   ["fuzz/" + driver + ".c"] +
                   ["fuzz/support/" + f for f in os.listdir(os.path.join(ROOT, "fuzz", "support")) if f.endswith(".c")])
    with tempfile.TemporaryDirectory(prefix="ga-reach-") as tmp:
        prof = Profiler(args.bin_dir, tmp)

        def run(s):
            out = set()
            for f, ss in prof.segments(driver, s, files).items():
                for no, text in enumerate(source_lines(f), 1):
                    col = len(text) - len(text.lstrip()) + 1
                    if text.strip() and (count_at(ss, no, col) or 0) > 0:
                        out.add((f, no, col))  # what a claim on this line checks
            return out

        seeds = hand_named(driver)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
            return dict(zip(seeds, ex.map(run, seeds)))


def source_lines(f, cache={}):
    if f not in cache:
        with open(os.path.join(ROOT, f)) as fh:
            cache[f] = fh.read().split("\n")
    return cache[f]


def anchor_of(f, line, col):
    """The statement starting line `line` at column `col` (its first non-blank), trailing
    comment left out, as an anchor if it is unique in f; else None."""
    text = source_lines(f)[line - 1]
    if len(text) - len(text.lstrip()) != col - 1:
        return None  # a region inside the line: readable anchors are whole statements
    a = re.sub(r"\s*(/\*.*\*/|//.*)$", "", text).strip()
    if len(a) < 8 or a.startswith(("}", "{", "/*", "//", "#")):
        return None
    try:
        return a if locate(f, a) == (line, col) else None
    except ValueError:
        return None


def suggest(args):
    """Writing claims.  --suggest DRIVER[/SEED]: for each hand-named seed, the regions it
    runs with the number of other hand-named seeds of its driver that run them, fewest
    first.  --draft DRIVER: a claim draft for every hand-named seed: up to 2 anchors,
    chosen greedily so that as few other seeds as possible reach all of them (alloc/
    first; review each before committing it: a claim states what the seed is FOR)."""
    driver, _, one = (args.suggest or args.draft).partition("/")
    sets = seed_regions(args, driver)
    seeds = sorted(sets)
    busy = {"fuzz/heap_fuzz.c", "fuzz/pagealloc_fuzz.c", "fuzz/support/corrupt.c"}
    for seed in [one] if one else seeds:
        others = [o for o in seeds if o != seed]
        if args.suggest:
            print(f"== {driver}/{seed}")
            rows = sorted((sum(r in sets[o] for o in others), r) for r in sets[seed])
            for n, (f, line, col) in rows[: args.top]:
                who = [o for o in others if (f, line, col) in sets[o]]
                print(f"{n:3d} {f}:{line}:{col}: {source_lines(f)[line - 1].strip()[:100]}   {' '.join(who[:4])}")
            continue
        cands = []
        for r in sets[seed]:
            a = anchor_of(*r)
            if a:
                rank = 0 if r[0].startswith("alloc/") else 2 if r[0] in busy else 1
                cands.append((rank, r, a))
        if any(c[0] < 2 for c in cands):  # files other helpers/sessions rewrite often: last resort
            cands = [c for c in cands if c[0] < 2]
        left, chosen = set(others), []
        while left and len(chosen) < 2 and cands:
            best = min(cands, key=lambda c: (sum(c[1] in sets[o] for o in left), c[0], c[1]))
            still = {o for o in left if best[1] in sets[o]}
            if chosen and len(still) == len(left):
                break
            chosen.append(best)
            cands = [c for c in cands if c[1][:2] != best[1][:2]]
            left = still
        print(f"# {driver}/{seed}: also reached by {len(left)} other seed(s) {' '.join(sorted(left)[:3])}")
        for _, (f, line, col), a in chosen:
            print(f"{driver}/{seed}  {f}  {a}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin-dir", required=True, help="build directory holding the <driver>_reach binaries")
    ap.add_argument("--manifest", default=MANIFEST)
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("GA_JOBS", os.cpu_count() or 2)))
    ap.add_argument("--only", action="append", help="DRIVER or DRIVER/SEED (repeatable)")
    ap.add_argument("--suggest")
    ap.add_argument("--draft")
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args()
    args.bin_dir = os.path.abspath(args.bin_dir)
    return suggest(args) if args.suggest or args.draft else check(args)


if __name__ == "__main__":
    sys.exit(main())
