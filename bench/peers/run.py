"""ci/bench peers: goalloc against the allocators people pick, on real programs and on
synthetic workloads in the style of mimalloc-bench.

Each program runs under glibc (no preload) and under jemalloc, tcmalloc, mimalloc and
goalloc by LD_PRELOAD.  Rounds are interleaved: round r runs every program under every
allocator, the allocators in an order rotated by r, so that a slow spell of a shared
machine falls on all of them.  Per run: wall time (fork to exit) and peak RSS (GNU
time's %M: wait4's ru_maxrss, the largest of the process and of the children it waited
for, so cc1 under gcc counts).  Medians per (program, allocator), ratios to mimalloc, geomeans.

Every run is checked: exit status 0, no "cannot be preloaded" from ld.so (a preload
that silently did not happen), and a digest of its output (stdout plus any output
files) equal to glibc's.  A failed run makes its cell FAIL and the exit status 1.

Usage: /usr/bin/python3.11 bench/peers/run.py --build build/default [--rounds 5] [--out DIR]
       /usr/bin/python3.11 bench/peers/run.py --build X --from-raw DIR [--out DIR2]   (no runs)
Environment: PEERS_PROGRAMS=a,b  PEERS_ALLOCATORS=x,y (subsets, in this file's order),
PEERS_SCALE=percent (work of the synthetic workloads and the Python script; default 100),
PEERS_TIMEOUT=seconds per run (default 600).
Writes DIR/raw.csv (every run: wall, user, sys, peak RSS, state, digest), DIR/meta.json
(machine, load, versions), DIR/summary.csv (medians, ratios), DIR/table.txt (what is
printed: wall time, CPU time and peak RSS) and DIR/peers.png (the three ratios)."""
import argparse
import atexit
import csv
import datetime
import hashlib
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LIBDIR = "/usr/lib/x86_64-linux-gnu"
PY = "/usr/bin/python3.11"

# name, preload (None: the C library's own malloc), Debian package it comes from.
ALLOCATORS = [
    ("glibc", None, "libc6"),
    ("jemalloc", f"{LIBDIR}/libjemalloc.so.2", "libjemalloc2"),
    ("tcmalloc", f"{LIBDIR}/libtcmalloc_minimal.so.4", "libtcmalloc-minimal4"),
    ("mimalloc", f"{LIBDIR}/libmimalloc.so.2", "libmimalloc2.0"),
    ("goalloc", "GOALLOC", None),  # the build tree's libgoalloc-malloc.so
]
BASE = "mimalloc"


def programs(build, work, scratch, scale):
    """Each program: kind, argv, cwd, stdin file, extra env, prep (before each run,
    untimed), output files hashed with stdout.  Sizes are for ~1-10 s under glibc on the
    2-core machine of bench/RESULTS.md."""
    peers = os.path.join(build, "bench", "peers")
    alloc_c = sorted(os.path.join(ROOT, "alloc", f) for f in os.listdir(os.path.join(ROOT, "alloc"))
                     if f.endswith(".c"))
    gcc_dir = os.path.join(scratch, "gcc")
    db = os.path.join(scratch, "peers.db")

    def synth(name):
        return {"kind": "synthetic", "argv": [os.path.join(peers, f"peers_{name}"), str(scale)]}

    def clean_gcc():
        shutil.rmtree(gcc_dir, ignore_errors=True)
        os.makedirs(gcc_dir)

    def clean_db():
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)

    return {
        "larson": synth("larson"),
        "xmalloc": synth("xmalloc"),
        "cache-scratch": synth("cache_scratch"),
        "cfrac": synth("cfrac"),
        "realloc": synth("realloc"),
        "window": synth("window"),
        "python": {"kind": "real", "argv": [PY, os.path.join(HERE, "py_alloc.py"), str(scale)],
                   "env": {"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0"}},
        "sqlite": {"kind": "real", "argv": ["sqlite3", db], "stdin": os.path.join(HERE, "sqlite.sql"),
                   "prep": clean_db},
        "xz": {"kind": "real", "argv": ["xz", "-T2", "-2", "--block-size=2MiB", "-c",
                                        os.path.join(work, "text.txt")]},
        "zstd": {"kind": "real", "argv": ["zstd", "-T2", "-15", "-B2MiB", "-c", os.path.join(work, "text.txt")]},
        "gcc": {"kind": "real", "argv": ["gcc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-DNDEBUG",
                                         "-I", os.path.join(ROOT, "include"), "-I", os.path.join(ROOT, "alloc"),
                                         "-c"] + alloc_c,
                "cwd": gcc_dir, "prep": clean_gcc, "outputs": gcc_dir},
        "z3": {"kind": "real", "argv": ["z3", os.path.join(work, "problems.smt2")]},
    }


def die(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(1)


def sh(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = sh("git", "-C", ROOT, "rev-parse", "--short", "HEAD")
    if sh("git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"):
        commit += "+dirty"
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": os.uname().release, "commit": commit,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def digest_of(out_path, outputs):
    h = hashlib.sha256()
    with open(out_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if outputs:
        for name in sorted(os.listdir(outputs)):
            h.update(name.encode())
            with open(os.path.join(outputs, name), "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


RUNNING = [0]  # session of the run in progress, ended with us (see main)


def stop(signum, _frame):
    """SIGINT/SIGTERM: end the measured program too (it runs in its own session)."""
    if RUNNING[0]:
        try:
            os.killpg(RUNNING[0], signal.SIGKILL)
        except ProcessLookupError:
            pass
    sys.exit(128 + signum)


def run_one(prog, preload, work, timeout):
    """One run: (wall s, maxrss KiB, user s, sys s, status text, digest, stderr tail)."""
    if prog.get("prep"):
        prog["prep"]()
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.update(prog.get("env", {}))
    out_path, err_path = os.path.join(work, "stdout"), os.path.join(work, "stderr")
    stdin = open(prog["stdin"], "rb") if prog.get("stdin") else subprocess.DEVNULL
    # Through /usr/bin/time (GNU time: wait4's rusage of its child): a child forked by
    # this Python process would carry the parent's ~17 MiB into its ru_maxrss (Linux
    # keeps the pre-exec high-water mark), time's own 2 MiB is a floor small enough.
    # The preload is set for the measured program only (env), not for time.
    rusage_path = os.path.join(work, "rusage")
    argv = ["/usr/bin/time", "-o", rusage_path, "-f", "%M %U %S", "env"]
    argv += [f"LD_PRELOAD={preload}"] if preload else []
    argv += prog["argv"]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        # Own session: a timeout kills time and the program (and cc1, xz's threads...).
        p = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err, env=env, cwd=prog.get("cwd", work),
                             start_new_session=True)
        RUNNING[0] = p.pid
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        wall = time.perf_counter() - t0
    if stdin is not subprocess.DEVNULL:
        stdin.close()
    with open(err_path, "rb") as f:
        err_text = f.read().decode(errors="replace")
    with open(rusage_path) as f:
        ru_lines = f.read().strip().splitlines()
    try:
        rss, ut, st = ru_lines[-1].split()
        rss, ut, st = int(rss), float(ut), float(st)
    except (IndexError, ValueError):
        rss, ut, st = 0, 0.0, 0.0
    signalled = [ln for ln in ru_lines if "terminated by signal" in ln]
    if wall >= timeout:
        state = "timeout"
    elif signalled:
        state = signalled[0].strip().replace("Command terminated by ", "")
    elif p.returncode:
        state = f"exit {p.returncode}"
    elif "cannot be preloaded" in err_text:
        state = "preload failed"
    else:
        state = "ok"
    dig = digest_of(out_path, prog.get("outputs")) if state == "ok" else ""
    return wall, rss, ut, st, state, dig, err_text.strip()[-300:]


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def fmt_table(names, allocs, cells, base, what, unit, fmt, kinds=None):
    """cells[(prog, alloc)] = (median, ratio) or None (failed); kinds: program -> kind,
    for a geomean per kind too (synthetic workloads measure the allocator almost alone,
    real programs what a user sees)."""
    w = 17
    lines = [f"{what} (median {unit}; in brackets: ratio to {base}, lower is better)",
             "program".ljust(14) + "".join(a.rjust(w) for a in allocs)]
    for n in names:
        row = n.ljust(14)
        for a in allocs:
            c = cells.get((n, a))
            row += ("FAIL" if c is None else f"{fmt(c[0])} ({'-' if c[1] is None else f'{c[1]:.2f}'})").rjust(w)
        lines.append(row)
    groups = [("geomean", names)]
    if kinds and len(set(kinds[n] for n in names)) > 1:
        groups += [(f"  {k}", [n for n in names if kinds[n] == k]) for k in sorted(set(kinds[n] for n in names))]
    for label, group in groups:
        row = label.ljust(14)
        for a in allocs:
            ratios = [cells[(n, a)][1] for n in group if all(cells.get((n, b), (0, None))[1] for b in allocs)]
            row += (f"({geomean(ratios):.2f})" if ratios else "(-)").rjust(w)
        lines.append(row)
    lines.append("(geomean over the programs where no allocator failed)")
    return lines


def plot(path, names, allocs, panels, base, title):
    """panels: [(cells, label)], one bar chart each; cells as fmt_table's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.ticker
    import matplotlib.pyplot as plt

    groups = names + ["geomean"]
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(10, 1.1 * len(groups)), 3.6 * len(panels)), sharex=True)
    width = 0.8 / len(allocs)
    for ax, (cells, label) in zip(axes, panels):
        for i, a in enumerate(allocs):
            ys = []
            for n in names:
                c = cells.get((n, a))
                ys.append(c[1] if c and c[1] else 0)
            ok = [n for n in names if all(cells.get((n, b), (0, None))[1] for b in allocs)]
            ys.append(geomean([cells[(n, a)][1] for n in ok]) if ok else 0)
            xs = [g + (i - (len(allocs) - 1) / 2) * width for g in range(len(groups))]
            ax.bar(xs, ys, width, label=a)
            for x, y, n in zip(xs, ys, names + [None]):
                if n is not None and cells.get((n, a)) is None:
                    ax.text(x, 0.05, "FAIL", rotation=90, ha="center", va="bottom", fontsize=7, color="red")
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_yscale("log")
        # Plain ratios on the log axis (0.5, 1, 2), not powers of ten.
        ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.3g"))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%.3g"))
        ax.tick_params(axis="y", which="minor", labelsize=7)
        ax.set_ylabel(f"{label} / {base}")
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[0].legend(ncol=len(allocs), fontsize=8, loc="upper left")
    axes[-1].set_xticks(range(len(groups)))
    axes[-1].set_xticklabels(groups, rotation=30, ha="right")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="build tree with goalloc_malloc and peers_* built")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--from-raw", metavar="DIR", help="no runs: tables and plot again from DIR/raw.csv + meta.json")
    args = ap.parse_args()
    if args.from_raw:
        with open(os.path.join(args.from_raw, "raw.csv")) as f:
            raw = list(csv.DictReader(f))
        with open(os.path.join(args.from_raw, "meta.json")) as f:
            meta = json.load(f)
        os.makedirs(args.out, exist_ok=True)
        sys.exit(report(raw, meta, args.out))
    build = os.path.abspath(args.build)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scale = int(os.environ.get("PEERS_SCALE", "100"))
    timeout = float(os.environ.get("PEERS_TIMEOUT", "600"))
    # work: the generated inputs, shared; scratch: this invocation's output files, so
    # that two runs at once (a quick one beside a long one) never mix their files.
    work = os.path.join(build, "peers-work")
    scratch = os.path.join(work, f"run-{os.getpid()}")
    os.makedirs(scratch, exist_ok=True)
    atexit.register(shutil.rmtree, scratch, True)
    os.makedirs(args.out, exist_ok=True)

    progs = programs(build, work, scratch, scale)
    want_p = [p for p in os.environ.get("PEERS_PROGRAMS", "").split(",") if p]
    want_a = [a for a in os.environ.get("PEERS_ALLOCATORS", "").split(",") if a]
    for p in want_p:
        if p not in progs:
            die(f"PEERS_PROGRAMS: unknown program '{p}' (known: {', '.join(progs)})")
    for a in want_a:
        if a not in [x[0] for x in ALLOCATORS]:
            die(f"PEERS_ALLOCATORS: unknown allocator '{a}' (known: {', '.join(x[0] for x in ALLOCATORS)})")
    names = [p for p in progs if not want_p or p in want_p]
    allocs = [a for a in ALLOCATORS if not want_a or a[0] in want_a]

    # Every library and program must be there: a missing peer is an error, never a
    # column silently left out.
    preload = {}
    versions = {}
    for name, lib, pkg in allocs:
        if lib == "GOALLOC":
            lib = os.path.join(build, "libgoalloc-malloc.so")
        if lib and not os.path.exists(lib):
            die(f"{name}: {lib} not found" + (f" (package {pkg}: run ci/setup --bench)" if pkg else " (build goalloc_malloc)"))
        preload[name] = lib
        versions[name] = sh("dpkg-query", "-W", "-f=${Version}", pkg) if pkg else machine()["commit"]
    if not os.path.exists("/usr/bin/time"):
        die("/usr/bin/time not found (GNU time measures peak RSS: package time, run ci/setup --bench)")
    for n in names:
        exe = progs[n]["argv"][0]
        if not (os.path.exists(exe) or shutil.which(exe)):
            die(f"{n}: '{exe}' not found (synthetic workloads: build peers_*; real programs: run ci/setup --bench)")

    # Inputs, generated once (deterministic: same bytes every time) and again whenever
    # gen.py is newer than them.
    gen = os.path.join(HERE, "gen.py")
    for what, file, users in (("z3", "problems.smt2", {"z3"}), ("text", "text.txt", {"xz", "zstd"})):
        path = os.path.join(work, file)
        if users & set(names) and (not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(gen)):
            subprocess.run([PY, gen, what, path], check=True)

    base = BASE if BASE in [a[0] for a in allocs] else allocs[0][0]
    ref_alloc = "glibc" if "glibc" in [a[0] for a in allocs] else allocs[0][0]
    info = machine()
    load_before = loadavg()
    print(f"machine: {info['nproc']} cores, {info['cpu']}, kernel {info['kernel']}; commit {info['commit']}; "
          f"{info['date']}; load before {load_before}", flush=True)
    print("allocators: " + ", ".join(f"{a[0]} {versions[a[0]]}" for a in allocs), flush=True)

    raw = []
    seq = 0
    for r in range(args.rounds):
        k = r % len(allocs)
        order = allocs[k:] + allocs[:k]
        for n in names:
            for name, _, _ in order:
                wall, rss, ut, st, state, dig, err = run_one(progs[n], preload[name], scratch, timeout)
                seq += 1
                raw.append({"round": r + 1, "seq": seq, "program": n, "kind": progs[n]["kind"], "allocator": name,
                            "wall_s": f"{wall:.4f}", "maxrss_kib": rss, "user_s": f"{ut:.3f}",
                            "sys_s": f"{st:.3f}", "state": state, "digest": dig, "stderr": err})
                print(f"  round {r + 1}/{args.rounds} {n:<14} {name:<9} {wall:8.3f} s {rss / 1024:8.1f} MiB "
                      f"{state} {dig}", flush=True)
    load_after = loadavg()
    meta = {"rounds": args.rounds, "scale": scale, "info": info, "load_before": load_before,
            "load_after": load_after, "versions": versions, "programs": names,
            "kinds": {n: progs[n]["kind"] for n in names}, "allocators": [a[0] for a in allocs]}
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    fields = ["round", "seq", "program", "kind", "allocator", "wall_s", "maxrss_kib", "user_s", "sys_s", "state",
              "digest", "stderr"]
    with open(os.path.join(args.out, "raw.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(raw)
    sys.exit(report(raw, meta, args.out))


def report(raw, meta, out):
    """Checks digests, then writes table.txt, summary.csv, peers.png from the runs; 1 if
    any run failed.  raw.csv keeps each run's own state; the digest verdict is added here."""
    names, an = meta["programs"], meta["allocators"]
    base = BASE if BASE in an else an[0]
    ref_alloc = "glibc" if "glibc" in an else an[0]
    info = meta["info"]
    for x in raw:
        x["wall_s"], x["cpu_s"] = float(x["wall_s"]), float(x["user_s"]) + float(x["sys_s"])
        x["maxrss_kib"] = int(x["maxrss_kib"])
    # Correctness: each run's digest must be the reference allocator's (its first run).
    failed = False
    for n in names:
        ref = next((x["digest"] for x in raw if x["program"] == n and x["allocator"] == ref_alloc
                    and x["state"] == "ok"), None)
        for x in raw:
            if x["program"] != n:
                continue
            if x["state"] == "ok" and x["digest"] != ref:
                x["state"] = f"digest {x['digest']} != {ref_alloc}'s {ref}"
            if x["state"] != "ok":
                failed = True
                print(f"FAIL {n} under {x['allocator']} (round {x['round']}): {x['state']} {x['stderr']}",
                      file=sys.stderr)
    med = {}
    for n in names:
        for a in an:
            runs = [x for x in raw if x["program"] == n and x["allocator"] == a]
            if runs and all(x["state"] == "ok" for x in runs):
                med[(n, a)] = tuple(statistics.median(x[k] for x in runs) for k in ("wall_s", "cpu_s", "maxrss_kib"))
    cells = [{}, {}, {}]  # wall, cpu, rss: (median, ratio to base)
    for (n, a), v in med.items():
        for i in range(3):
            b = med[(n, base)][i] if (n, base) in med else 0
            cells[i][(n, a)] = (v[i], v[i] / b if b else None)  # None: no ratio (base failed)
    header = [f"ci/bench peers: {meta['rounds']} rounds, scale {meta['scale']}%, {info['date']}, commit {info['commit']}",
              f"machine: {info['nproc']} cores, {info['cpu']}, kernel {info['kernel']}",
              f"load average (1/5/15 min): before {meta['load_before']}, after {meta['load_after']}",
              "allocators: " + ", ".join(f"{a} {meta['versions'][a]}" for a in an),
              f"every run's output digest checked against {ref_alloc}'s: "
              + ("FAILURES (FAIL cells, see stderr)" if failed else "all equal"), ""]
    lines = header + fmt_table(names, an, cells[0], base, "wall time", "s", lambda v: f"{v:.3f}", meta["kinds"]) + [""] + \
        fmt_table(names, an, cells[1], base, "CPU time, user + sys (less disturbed by a shared machine)", "s",
                  lambda v: f"{v:.3f}", meta["kinds"]) + [""] + \
        fmt_table(names, an, cells[2], base, "peak RSS", "MiB", lambda v: f"{v / 1024:.1f}", meta["kinds"])
    text = "\n".join(lines)
    print("\n" + text)
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["program", "kind", "allocator", "runs", "ok", "median_wall_s", "median_cpu_s",
                    "median_maxrss_kib", f"wall_ratio_to_{base}", f"cpu_ratio_to_{base}", f"rss_ratio_to_{base}"])
        for n in names:
            for a in an:
                runs = [x for x in raw if x["program"] == n and x["allocator"] == a]
                m = med.get((n, a))
                w.writerow([n, meta["kinds"][n], a, len(runs), sum(x["state"] == "ok" for x in runs)]
                           + ([f"{m[0]:.4f}", f"{m[1]:.3f}", m[2]] if m else ["", "", ""])
                           + [f"{c[(n, a)][1]:.4f}" if (n, a) in c else "" for c in cells])
        w.writerow([])
        w.writerow(["# machine", f"{info['nproc']} cores", info["cpu"], info["kernel"]])
        w.writerow(["# date, commit", info["date"], info["commit"]])
        w.writerow(["# load before, after", meta["load_before"], meta["load_after"]])
    title = (f"{meta['rounds']} rounds, medians; {info['nproc']} cores {info['cpu']}; load {meta['load_before']} → "
             f"{meta['load_after']}; {info['date']}; commit {info['commit']}")
    plot(os.path.join(out, "peers.png"), names, an,
         [(cells[0], "wall time"), (cells[1], "CPU time"), (cells[2], "peak RSS")], base, title)
    print(f"\nwrote {out}/table.txt, summary.csv, peers.png (runs: raw.csv, meta.json)")
    return 1 if failed else 0


if __name__ == "__main__":
    main()
