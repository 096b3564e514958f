"""ci/prove's driver (run by ci/prove, which documents it: ci/prove --help).

Three steps per run, all answered by Frama-C itself, none by reading C text with regular
expressions:

1. Discovery.  Every target of proofs/targets is parsed (frama-c, no analysis, about a
   second each) with the Server plug-in's batch mode (kernel.ast.fetchFunctions: each
   function, whether it has a body, where its definition is; kernel.properties.
   fetchStatus: every ACSL property and the function it belongs to) and the Callgraph
   plug-in (-cg: who calls whom, ghost calls included).  A target proves the functions
   defined in its own file, and the functions with ACSL defined in a header that is not
   itself a target (static inline helpers, ghost lemma functions of spec/*.h): the first
   target of proofs/targets that includes such a header proves them, the others use
   their contracts.  Every alloc/ and spec/ file that carries ACSL text is parsed the
   same way: a function with a body and ACSL that no target proves fails the run.
2. Proof.  One frama-c process per target runs the stages one after the other (-then),
   in one Frama-C project, so that Frama-C consolidates the statuses of everything it
   proved: the ACSL lemmas, the lemmas of proofs/<name>.range and .bitrange with WP's
   tactics, the functions, then those of proofs/<name>.split with -wp-split, then the
   smoke tests of all of them (-wp-smoke-tests) in a stage of their own.  Prover
   processes: -wp-par GA_JOBS.
3. Gate.  The last stage (-then -no-wp -report -server-batch) dumps the consolidated
   status of every property.  Every property of a proved function (its contract,
   assertions, loop invariants and variants, RTE guards, the preconditions it must
   establish at its calls) and every lemma of the project's own files must be 'valid';
   a smoke-test goal that is proved (a dead branch or an inconsistent precondition)
   fails the run; every function a proved function calls must be proved by this target,
   proved by another target (its owner, named in the output), or listed in
   proofs/<name>.trusted (its contract, or the one Frama-C generates from its prototype
   when it has none, is assumed: proofs/TRUSTED.md); no ACSL axiom outside Frama-C's own
   libc; the goal counts per function must match proofs/<name>.expected.
"""

import concurrent.futures
import itertools
import json
import os
import re
import subprocess
import sys
import time

# The tree proved: this repository, or (GA_PROVE_ROOT) another laid out like it, with
# alloc/, spec/ and proofs/targets: tests/prove/run.sh checks the gate on a fixture so.
ROOT = os.path.abspath(os.environ.get("GA_PROVE_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "build", "proofs")
# frama-c resolves relative file names against $PWD, not against its working directory
FRAMAC_ENV = dict(os.environ, PWD=ROOT)
FRAMAC_SHARE = "/usr/share/frama-c"  # Frama-C's libc headers (their specs are the tool's)

# what the discovery and the gate ask the Server plug-in
FETCH_ALL = [
    {"id": "fcts", "request": "kernel.ast.fetchFunctions", "data": 1000000},
    {"id": "props", "request": "kernel.properties.fetchStatus", "data": 1000000},
]
FETCH_PROPS = [FETCH_ALL[1]]

# Properties of a proved function that are not its own obligations: a precondition is
# proved at each call site (as an instance owned by the caller; 'never_tried' when no
# proved function calls it), an assumes clause is only a case selector.
CALLER_KINDS = {"requires", "assumes"}
CALLER_OK = {"valid", "never_tried"}


def rel(path):
    """A path as the output names it: relative to the repository if inside it."""
    if not path:
        return ""
    p = os.path.normpath(os.path.join(ROOT, path))
    return os.path.relpath(p, ROOT) if p.startswith(ROOT + os.sep) else p


def is_tool_file(path):
    return path.startswith(FRAMAC_SHARE) or path.startswith("FRAMAC_SHARE")


def entries(path):
    """First word of each non-comment, non-blank line of a proofs/ list file."""
    try:
        with open(path) as f:
            return [ln.split()[0] for ln in f if ln.split() and not ln.lstrip().startswith("#")]
    except FileNotFoundError:
        return []


def framac_base(opts):
    return ["frama-c", f"-cpp-extra-args=-I{ROOT}/alloc -I{ROOT}/include", *opts]


def batch(reqs, outdir, tag):
    """Write a Server batch script; return (its path, the path of its answer)."""
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, f"{tag}.json")
    with open(path, "w") as f:
        json.dump(reqs, f)
    return path, os.path.join(outdir, f"{tag}.out.json")


def read_batch(path):
    with open(path) as f:
        return {x["id"]: x["data"] for x in json.load(f)}


def read_dot(path):
    """Callgraph edges (caller -> callees) from the Callgraph plug-in's dot file."""
    calls = {}
    with open(path) as f:
        for a, b in re.findall(r"^\s*(\w+)\s*->\s*(\w+)\s*;", f.read(), re.M):
            calls.setdefault(a, set()).add(b)
    return calls


class Parse:
    """What Frama-C sees in one file: functions, properties, calls."""

    def __init__(self, file, opts, tag):
        self.file, self.opts, self.tag = file, opts, tag
        self.error = None
        self.fcts = {}  # name -> {"defined": bool, "file": rel path, "stdlib": bool}
        self.props = {}  # name -> number of ACSL properties attached to the function
        self.calls = {}
        self.files = set()  # the files where its functions and properties are

    def run(self):
        d = os.path.join(OUT, "discover", self.tag)
        script, answer = batch(FETCH_ALL, d, "discover")
        dot = os.path.join(d, "callgraph.dot")
        for p in (answer, dot):
            if os.path.exists(p):
                os.remove(p)
        cmd = framac_base(self.opts) + [self.file, "-cg", dot, "-cg-no-services", "-server-batch", script,
                                        "-server-batch-output-dir", d]
        r = subprocess.run(cmd, cwd=ROOT, env=FRAMAC_ENV, capture_output=True, text=True)
        with open(os.path.join(d, "discover.log"), "w") as f:
            f.write(r.stdout + r.stderr)
        if r.returncode != 0 or not os.path.exists(answer):
            self.error = "\n".join(l for l in (r.stdout + r.stderr).splitlines() if "rror" in l or "ailure" in l)
            return self
        data = read_batch(answer)
        for f in data["fcts"]["updated"]:
            path = f["sloc"]["file"]
            self.fcts[f["name"]] = {"defined": bool(f.get("defined")), "file": rel(path),
                                    "stdlib": bool(f.get("stdlib")) or is_tool_file(path)}
            self.files.add(rel(path))
        for p in data["props"]["updated"]:
            self.files.add(rel(p["source"]["file"]))
            if p["fct"]:
                self.props[p["fct"]] = self.props.get(p["fct"], 0) + 1
        self.calls = read_dot(dot) if os.path.exists(dot) else {}
        return self


def read_targets():
    targets = []
    with open(os.path.join(ROOT, "proofs", "targets")) as f:
        for ln in f:
            w = ln.split()
            if w and not w[0].startswith("#"):
                name = os.path.basename(w[0])
                name = name[:-2] if name.endswith((".c", ".h")) else name
                targets.append({"file": w[0], "opts": w[1:], "name": name})
    return targets


def discover(targets, jobs):
    """Parse every target, and every other alloc/ and spec/ file with ACSL text; work
    out which target proves which function.  Returns (parses, owner, errors)."""
    target_files = {t["file"] for t in targets}
    # The other files that could hold a function with ACSL: those with ACSL text ("/*@"
    # or "//@"; a file without it has no annotation of its own), each parsed on its own.
    # -c11: _Static_assert in some headers; the others parse the same in C11.
    others, acsl = [], set()
    for d in ("alloc", "spec"):
        for fn in sorted(os.listdir(os.path.join(ROOT, d))):
            p = f"{d}/{fn}"
            if not fn.endswith((".c", ".h")):
                continue
            with open(os.path.join(ROOT, p), errors="replace") as f:
                if re.search(r"/\*@|//@", f.read()):
                    acsl.add(p)
            if p not in target_files and p in acsl:
                others.append(p)
    jobs_list = [Parse(t["file"], t["opts"], t["name"]) for t in targets]
    jobs_list += [Parse(p, ["-c11"], "scan-" + p.replace("/", "_")) for p in others]
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as ex:
        parses = list(ex.map(lambda p: p.run(), jobs_list))
    errors = []
    # Frama-C cannot parse some files on their own (spec/ headers need their includer's
    # context; _Alignof in alloc/heap.h): a hole only if no successful parse saw the
    # file's ACSL through an include.
    seen = set().union(*(p.files for p in parses if not p.error))
    for p in parses[len(targets):]:
        if p.error and p.file not in seen:
            errors.append(f"{p.file} carries ACSL, but frama-c cannot parse it, alone or included by a "
                          f"file it parses (so nothing proves it):\n{p.error}")
    # owner[(file, function)] = target name.  A target owns what its own file defines;
    # a header that is itself a target owns its functions; the functions with ACSL of
    # any other header belong to the first target (proofs/targets order) that sees them.
    by_file = {t["file"]: t["name"] for t in targets}
    owner = {}
    for t, p in zip(targets, parses):
        for n, f in p.fcts.items():
            if not f["defined"] or f["stdlib"]:
                continue
            key = (f["file"], n)
            if f["file"] == t["file"]:
                owner[key] = t["name"]
            elif f["file"] in by_file:
                owner[key] = by_file[f["file"]]
            elif p.props.get(n):
                owner.setdefault(key, t["name"])
    # the scan: a function with a body and ACSL in a file no target proves
    for p in parses[len(targets):]:
        for n, f in p.fcts.items():
            if f["defined"] and not f["stdlib"] and p.props.get(n) and (f["file"], n) not in owner:
                errors.append(f"{f['file']}: {n} has a body and ACSL annotations ({p.props[n]} properties) but "
                              f"no target of proofs/targets proves it (add the file, or a file that "
                              f"includes it, to proofs/targets)")
    return parses, owner, errors


def stages(t, proved, split, partial, jobs, timeout, cache):
    """The frama-c command line of one target: the stages, chained with -then."""
    name = t["name"]
    sess = os.path.join(OUT, f"{name}.session")
    cmd = framac_base(t["opts"]) + [t["file"], "-wp", "-wp-rte", "-wp-timeout", str(timeout), "-wp-par", str(jobs),
                                    "-wp-cache", cache, "-wp-cache-dir", os.path.join(ROOT, "proofs", ".wp-cache"),
                                    "-wp-session", sess]
    # Each stage's options, appended with -then between them.  Options stay set from one
    # stage to the next, and a list option given again ADDS to its value (-wp-prover z3
    # after -wp-prover z3,cvc4 runs z3, cvc4 and z3 again on every goal: each smoke goal
    # then ran the provers 4 to 6 times, and the tactic stages ran z3 and cvc4 to their
    # timeout on lemmas only a tactic proves).  So every stage sets its lists exactly:
    # first removing every value an earlier stage may have added, then adding its own.
    smoke_provers = os.environ.get("GA_WP_SMOKE_PROVERS", "z3")
    smoke_timeout = os.environ.get("GA_WP_SMOKE_TIMEOUT", "2")

    def exactly(opt, values, known):
        return f"{opt}=" + ",".join(["-" + v for v in known] + list(values))

    # every prover any stage adds, so that each stage can remove them all (a smoke
    # prover given in GA_WP_SMOKE_PROVERS too)
    all_provers = sorted({"z3", "cvc4", "tip"} | set(smoke_provers.split(",")))

    def provers(p):
        return exactly("-wp-prover", p.split(","), all_provers)

    def fcts(fs):
        return exactly("-wp-fct", fs, proved)

    stage = []
    fn = [provers("z3,cvc4"), "-wp-prop=", "-wp-no-smoke-tests"]
    if not partial:
        rng = entries(os.path.join(ROOT, "proofs", f"{name}.range"))
        bit = entries(os.path.join(ROOT, "proofs", f"{name}.bitrange"))
        stage.append([provers("z3,cvc4"), "-wp-prop=" + ",".join(["@lemma"] + ["-" + x for x in rng + bit])])
    plain = [f for f in proved if f not in split]
    splitf = [f for f in proved if f in split]
    if plain:
        stage.append(fn + ["-wp-no-split", fcts(plain)])
    if splitf:
        stage.append(fn + ["-wp-split", fcts(splitf)])
    if proved:
        # The smoke tests in a stage of their own, after the proofs: WP selects only the
        # properties not yet valid (-wp-status-maybe, its default), so this stage
        # generates the smoke goals alone (and would retry what failed above).  A smoke
        # goal passes when no prover refutes it, so each of its provers runs to the smoke
        # timeout: this stage is most of a cold run's prover time.
        stage.append(["-wp-smoke-tests", "-wp-no-split", provers(smoke_provers), "-wp-smoke-timeout",
                      str(smoke_timeout), fcts(proved)])
    if not partial:
        tip = ["-wp-no-smoke-tests", "-wp-no-split", fcts([]), provers("tip"), "-wp-session", sess + ".tactics"]
        tactics = ["wp:range", "wp:bitshift", "wp:bitrange"]
        if rng:
            stage.append(tip + [exactly("-wp-auto", ["wp:range"], tactics), "-wp-prop=" + ",".join(rng)])
        if bit:
            stage.append(tip + [exactly("-wp-auto", ["wp:bitshift", "wp:bitrange"], tactics),
                                "-wp-prop=" + ",".join(bit)])
    script, answer = batch(FETCH_PROPS, OUT, f"{name}.status")
    if os.path.exists(answer):
        os.remove(answer)
    stage.append(["-no-wp", "-report", "-server-batch", script, "-server-batch-output-dir", OUT])
    for i, s in enumerate(stage):
        cmd += (["-then"] if i else []) + s
    return cmd, answer


GOAL = re.compile(r"^\[wp\] \[([^\]]+)\] Goal (\S+)(?: : (\S+)(.*))?$")
SMOKE = re.compile(r"^\[wp\] \[(Passed|Failed)\] Smoke-test (\S+)")
SMOKE_WHERE = re.compile(r"^\[wp\] (\S+:\d+): Warning: Failed smoke-test")


def secs_of(s):
    return sum(float(v) * (1e-3 if u == "ms" else 1.0)
               for v, u in re.findall(r"\((?:[A-Za-z]\w*:)?([0-9.]+)(ms|s)\)", s))


def prove(t, parse, owner, args, jobs, timeout, cache):
    """Prove one target; return (its failures, its output lines: the table)."""
    out = []

    def say(line=""):
        out.extend(str(line).split("\n"))

    name, file = t["name"], t["file"]
    bad = []
    trusted = entries(os.path.join(ROOT, "proofs", f"{name}.trusted"))
    split = set(entries(os.path.join(ROOT, "proofs", f"{name}.split")))
    own = sorted(n for n, f in parse.fcts.items() if owner.get((f["file"], n)) == name)
    partial = bool(args["fct"])
    if partial:
        proved = [x for x in args["fct"].split(",") if x]
        for x in proved:
            if x not in own:
                bad.append(f"-f {x}: not a function this target proves ({', '.join(own)})")
    else:
        proved = own
    # the calls of the proved functions: each callee is proved here, by its owner, or trusted
    elsewhere = {}
    for f in proved:
        for g in sorted(parse.calls.get(f, ())):
            gi = parse.fcts.get(g, {"defined": False, "file": "?", "stdlib": False})
            o = owner.get((gi["file"], g))
            if not o and not gi["defined"]:
                # no body here: an extern function, defined (once, it links) elsewhere; its
                # contract may sit on its declaration in a header (ga_find_bit_range64)
                o = next((t for (_, n), t in owner.items() if n == g), None)
            if g in own or g in trusted:
                continue
            if o:
                elsewhere.setdefault(o, set()).add(g)
            elif gi["defined"] and not parse.props.get(g):
                bad.append(f"{f} calls {g} ({gi['file']}), which has no contract and is not proved: give it a "
                           f"contract (it is then proved here) or list it in proofs/{name}.trusted")
            else:
                bad.append(f"{f} calls {g} ({gi['file']}), whose contract nothing proves: list it in "
                           f"proofs/{name}.trusted (and proofs/TRUSTED.md) or prove it")
    if not partial:
        called = {g for f in proved for g in parse.calls.get(f, ())}
        for g in trusted:
            if g not in parse.fcts:
                bad.append(f"proofs/{name}.trusted: {g} is not a function of {file}")
            elif parse.fcts[g]["defined"]:
                bad.append(f"proofs/{name}.trusted: Frama-C sees the body of {g}: prove it (remove the entry)")
            elif g not in called:
                bad.append(f"proofs/{name}.trusted: no proved function calls {g} (stale entry)")
    if bad:
        return report_fail(file, bad, say), out

    cmd, answer = stages(t, proved, split, partial, jobs, timeout, cache)
    log = os.path.join(OUT, f"{name}.log")
    say(f"==> ci/prove {file} (timeout {timeout}s, {jobs} prover processes per target)")
    with open(log, "w") as f:
        f.write(" ".join(cmd) + "\n")
    t0 = time.time()
    with open(log, "a") as f:
        subprocess.run(cmd, cwd=ROOT, env=FRAMAC_ENV, stdout=f, stderr=subprocess.STDOUT)
    secs = int(time.time() - t0)
    with open(log, errors="replace") as f:
        text = f.read()
    for l in text.splitlines():
        if l.startswith("[wp] Proved goals:"):
            say(l)
    if re.search(r"^\[kernel\].*(User Error|Frama-C aborted|Plug-in \S+ aborted)", text, re.M) or \
            not os.path.exists(answer):
        say("\n".join(l for l in text.splitlines() if "[kernel" in l or "rror" in l))
        return report_fail(file, [f"frama-c failed on {file}; log: {rel(log)}"], say), out

    # goals and smoke tests per function (from WP's log)
    fns = sorted(set(proved), key=len, reverse=True)

    def who(goal):
        g = re.sub(r"^typed(_nat|_ref|_cast)*_", "", goal)
        if g.startswith(("lemma_", "check_lemma_")):
            return "lemmas"
        return next((f for f in fns if g.startswith(f + "_")), "(other)")

    rows = {}  # owner -> [goals, proved, smoke goals, seconds]
    unproved, smoke_failed, seen_smoke, call_smoke = [], [], set(), 0
    lines = text.splitlines()
    # a goal that failed is tried again by the smoke stage (WP selects what is not yet
    # valid): each goal counts once, with its last result
    last = {}
    # WP's cache keeps failed verdicts too (a prover's timeout, or Z3 out of memory
    # under load), and update mode never runs that prover on that goal again: the
    # provers whose failed verdict on a goal came from the cache, to name them
    from_cache = {}
    for i, l in enumerate(lines):
        m = GOAL.match(l)
        if m:
            st, goal, res, rest = m.groups()
            last[goal] = (st != "Failed" and res == "Valid", secs_of(rest or ""))
            if st == "Failed":  # the verdicts follow, one indented line per prover
                verdicts = [v.strip() for v in itertools.takewhile(lambda x: x.startswith("  "), lines[i + 1:])]
            else:  # one prover's verdict on the line itself
                verdicts = [f"{st}: {res}{rest}"] if res != "Valid" else []
            for v in verdicts:
                prover = v.split(":")[0]
                if v.endswith("(cached)") and prover not in from_cache.setdefault(goal, []):
                    from_cache[goal].append(prover)
    for goal, (ok, gsecs) in last.items():
        r = rows.setdefault(who(goal), [0, 0, 0, 0.0])
        r[0] += 1
        r[1] += ok
        r[3] += gsecs
        if not ok:
            unproved.append(goal)
    for i, l in enumerate(lines):
        m = SMOKE.match(l)
        if m and m.group(2) not in seen_smoke:  # WP prints a failed smoke test twice
            seen_smoke.add(m.group(2))
            # a dead-call smoke goal is named after the callee, not the function it is in
            if "_wp_smoke_dead_call_" in m.group(2):
                call_smoke += 1
            else:
                rows.setdefault(who(m.group(2)), [0, 0, 0, 0.0])[2] += 1
            if m.group(1) == "Failed":
                where = next((w.group(1) for w in map(SMOKE_WHERE.match, lines[i + 1:i + 4]) if w), "?")
                smoke_failed.append(f"{m.group(2)} ({where})")
    # the consolidated status of every property (Frama-C's, after all the stages)
    status = read_batch(answer)["props"]["updated"]
    notvalid = []
    for p in status:
        f, kind, st = p["fct"], p["kind"], p["status"]
        src = p["source"]["file"]
        where = f"{rel(src)}:{p['source']['line']}"
        desc = " ".join(p["descr"].split())
        if f in proved:
            if kind in CALLER_KINDS:
                if st not in CALLER_OK:
                    notvalid.append(f"{f}: {desc} ({where}): {st}")
            elif st != "valid":
                notvalid.append(f"{f}: {desc} ({where}): {st}")
        elif f is None and not is_tool_file(src):
            if kind == "axiom":
                notvalid.append(f"ACSL axiom {desc} ({where}): no axiom may be assumed")
            elif kind == "lemma" and not partial and st != "valid":
                notvalid.append(f"{desc} ({where}): {st}")

    expected = {}
    try:
        for ln in open(os.path.join(ROOT, "proofs", f"{name}.expected")):
            w = ln.split("#")[0].split()
            if len(w) == 2:
                expected[w[0]] = int(w[1])
    except FileNotFoundError:
        pass
    update = args["update"]
    names = sorted(set(rows) | (set(expected) if not partial else set()) | set(proved),
                   key=lambda n: (n == "lemmas", n))
    say(f"\n{file}  (frama-c -wp -wp-rte -wp-smoke-tests, z3 + cvc4; {secs} s wall)")
    say(f"  {'function':36} {'goals':>6} {'proved':>7} {'smoke':>6} {'time':>8}")
    for n in names:
        g, v, s, tm = rows.get(n, [0, 0, 0, 0.0])
        flag = ""
        if v != g:
            flag = "  UNPROVED"
            bad.append(f"{n}: {g - v} unproved")
        if n in proved and g == 0:
            flag += "  NO GOAL"
            bad.append(f"{n}: no goal generated")
        if not partial and not update and expected.get(n) != g:
            flag += f"  expected {expected.get(n, 'no')} goals"
            bad.append(f"{n}: {g} goals, expected {expected.get(n, 'none')}")
        say(f"  {n:36} {g:6} {v:7} {s:6} {tm:7.1f}s{flag}")
    T = sum(x[0] for x in rows.values())
    V = sum(x[1] for x in rows.values())
    S = sum(x[2] for x in rows.values()) + call_smoke
    if call_smoke:
        say(f"  {'(smoke tests at calls)':36} {'':6} {'':7} {call_smoke:6}")
    say(f"  {'total':36} {T:6} {V:7} {S:6} {sum(x[3] for x in rows.values()):7.1f}s")
    for g in unproved:
        say(f"  UNPROVED: {g}" + (f" (cached verdict of {', '.join(from_cache[g])})" if from_cache.get(g) else ""))
    if any(from_cache.get(g) for g in unproved):
        say(f"  (GA_WP_CACHE=rebuild ci/prove {file} runs the provers again on those goals)")
    for g in smoke_failed:
        say(f"  SMOKE TEST PROVED (dead code or inconsistent precondition): {g}")
        bad.append(f"smoke test proved: {g}")
    for g in notvalid:
        say(f"  NOT VALID: {g}")
    if notvalid:
        bad.append(f"{len(notvalid)} properties not valid in Frama-C's consolidated status")
    for o, gs in sorted(elsewhere.items()):
        say(f"  uses the contracts of {', '.join(sorted(gs))} (proved by the target {o})")
    if trusted and not partial:
        say(f"  assumes the contracts of {', '.join(trusted)} (proofs/{name}.trusted)")
    if T == 0:
        bad.append("no goal generated")
    if update and not partial and V == T and T and not bad:
        with open(os.path.join(ROOT, "proofs", f"{name}.expected"), "w") as f:
            f.write(f"# WP goals per function of {file}, all proved (ci/prove --update).\n")
            f.write("# 'lemmas' = the ACSL lemmas of the spec/ headers it includes.\n")
            for n in names:
                if n in rows:
                    f.write(f"{n} {rows[n][0]}\n")
        say(f"ci/prove: wrote proofs/{name}.expected")
    return (report_fail(file, bad, say) if bad else []), out


def report_fail(file, bad, say=print):
    say(f"ci/prove: FAILED {file}: " + "; ".join(bad))
    return [f"{file}: {b}" for b in bad]


def main():
    args = {"fct": os.environ.get("GA_PROVE_FCT", ""), "update": False}
    want = []
    av = sys.argv[1:]
    while av:
        a = av.pop(0)
        if a in ("-f", "--functions") and av:
            args["fct"] = av.pop(0)
        elif a == "--update":
            args["update"] = True
        elif a.startswith("-"):
            print(f"ci/prove: unknown option {a} (see --help)", file=sys.stderr)
            return 2
        else:
            want.append(os.path.relpath(os.path.abspath(a), ROOT))
    timeout = int(os.environ.get("GA_WP_TIMEOUT", "30"))
    jobs = int(os.environ.get("GA_JOBS") or os.cpu_count() or 2)
    cache = os.environ.get("GA_WP_CACHE", "update")
    os.makedirs(os.path.join(ROOT, "proofs", ".wp-cache"), exist_ok=True)
    os.makedirs(OUT, exist_ok=True)
    targets = read_targets()
    for w in want:
        if w not in {t["file"] for t in targets}:
            print(f"ci/prove: {w} is not in proofs/targets", file=sys.stderr)
            return 2
    t0 = time.time()
    parses, owner, failures = discover(targets, jobs)
    print(f"==> ci/prove: discovery ({len(parses)} frama-c parses, {time.time() - t0:.1f} s): "
          + "; ".join(f"{t['file']} proves {sum(1 for k, o in owner.items() if o == t['name'])} functions"
                      for t in targets), flush=True)
    for e in failures:
        print(f"ci/prove: FAILED: {e}", file=sys.stderr)
    # The targets run side by side, GA_JOBS at a time (each frama-c process does its own
    # VC generation and Qed simplification, single-threaded, besides its -wp-par prover
    # processes); each table is printed in proofs/targets order as soon as it is known.
    todo = [(t, p) for t, p in zip(targets, parses) if not want or t["file"] in want]
    with concurrent.futures.ThreadPoolExecutor(max(1, min(jobs, len(todo) or 1))) as ex:
        runs = []
        for t, p in todo:
            if p.error:
                runs.append(None)
                failures += report_fail(t["file"], [f"frama-c cannot parse it: {p.error}"])
            else:
                runs.append(ex.submit(prove, t, p, owner, args, jobs, timeout, cache))
        for r in runs:
            if r is not None:
                bad, out = r.result()
                print("\n".join(out), flush=True)
                failures += bad
    if failures:
        print(f"\nci/prove: {len(failures)} failure(s):", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
