#!/usr/bin/python3.11
"""eacsl/instrument.py SRCDIR OUT.c -- the proved .c files of proofs/targets, with their
ACSL contracts (requires, ensures, assertions) turned into run-time checks by Frama-C's
E-ACSL plug-in, as one C file.

What e-acsl-gcc.sh (not shipped by Debian) would do, plus what E-ACSL 25 and this
project need (proofs/README.md, "E-ACSL"):

 1. frama-c parses a copy of alloc/, include/ and spec/ in which the definitions E-ACSL
    25 cannot handle are restated, each by an equivalent one (SUM_FORMS, ANNOT_FORMS and
    rewrite_specs: recursive logic functions as \\sum -- on a recursive one E-ACSL's
    interval inference never ends --, quantifier bounds, logic constants, (uint64_t)~x),
    and the loop annotations and \\at assertions are left out (strip_loop_annotations).
    Each rewrite must match exactly once, and a logic function left recursive is an
    error (a new one needs its \\sum form here).
 2. The .c targets are parsed together (frama-c merges them into one file), with the
    options of proofs/targets' `-c11` line: C11 is what the library compiles.  Header
    targets (alloc/bitops.h) are not listed: their static inline functions are
    instrumented inside each file that includes them.
 3. E-ACSL keeps the name f for the original function and calls the checking wrapper
    __gen_e_acsl_f only from instrumented code.  Here the callers are the uninstrumented
    rest of the library and the drivers, so the two names are swapped: f is the wrapper
    (checks the precondition, calls the body, checks the postcondition), and every call,
    from anywhere, is checked.
 4. A cast to an array type that E-ACSL prints (and C forbids) becomes a pointer cast,
    and the assignment of an \\old array to its saved copy a memcpy (array_at_copies).
 5. A logic function E-ACSL 25 computes with GMP integers but gives a C integer return
    type returns its GMP result variable itself, after clearing it: C converts the
    array to a pointer and the pointer to the integer, so the "value" is a stack
    address (spec/mspan.h's nalloc under s7, always false: the `ok` postcondition of
    ga_mspan_sweep_bits failed, and the `\\old(s7) ==> s7` of ga_mspan_next_free were
    vacuous; spec/pagecache.h's pc_index).  mpz_returns converts the value before the
    clear, checked to fit the return type (eacsl/rt.c's ga_eacsl_mpz_si/_ui).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

EACSL_SHARE = "/usr/share/frama-c/e-acsl"

# (file, definition as written (regex), the same definition in a form E-ACSL 25 handles).
# The \sum bodies are cast to int (their values are 0 or 1): with a body E-ACSL types as
# a GMP integer (`(x >> k) & 1` over an integer x), its \sum adds the GMP handle's
# address, not the value.  Each keeps the original's `n <= 0 ? 0` guard: E-ACSL computes
# the bound n - 1 of an unsigned n = 0 as 2^32 - 1.
SUM_FORMS = [
    ("spec/bits.h",
     r"logic integer nbits\(integer x, integer n\) = n <= 0 \? 0 : nbits\(x, n - 1\) \+ \(\(x >> \(n - 1\)\) & 1\);",
     r"logic integer nbits(integer x, integer n) = n <= 0 ? 0 : \\sum(0, n - 1, \\lambda integer k; (int)((x >> k) & 1));"),
    # Not recursive, but E-ACSL 25 types the bound variable of `j <= k < j + n` as a C
    # long and then uses it as a GMP integer (a crash in the generated zeros()): the same
    # predicates with the variable counted from 0
    ("spec/bits.h",
     r"predicate ones\(integer x, integer j, integer n\) = \\forall integer k; j <= k < j \+ n ==> bit\(x, k\);",
     r"predicate ones(integer x, integer j, integer n) = \\forall integer k; 0 <= k < n ==> bit(x, j + k);"),
    ("spec/bits.h",
     r"predicate zeros\(integer x, integer j, integer n\) = \\forall integer k; j <= k < j \+ n ==> !bit\(x, k\);",
     r"predicate zeros(integer x, integer j, integer n) = \\forall integer k; 0 <= k < n ==> !bit(x, j + k);"),
    ("spec/fill.h",
     r"predicate any_from\(integer x, integer j, integer n\) = \\exists integer i; j <= i < j \+ n && bit\(x, i\);",
     r"predicate any_from(integer x, integer j, integer n) = \\exists integer i; 0 <= i < n && bit(x, j + i);"),
    ("spec/chunk.h",
     r"logic integer count\{L\}\(uint64_t \*b, integer lo, integer hi\) =\s*"
     r"hi <= lo \? 0 : count\(b, lo, hi - 1\) \+ pgv\(b, hi - 1\);",
     r"logic integer count{L}(uint64_t *b, integer lo, integer hi) = hi <= lo ? 0 : \\sum(lo, hi - 1, \\lambda integer p; (int)pgv(b, p));"),
    ("spec/mspan.h",
     r"logic integer nset\(uint64_t b\[16\], integer n\) = n <= 0 \? 0 : nset\(b, n - 1\) \+ sbitv\(b, n - 1\);",
     r"logic integer nset(uint64_t b[16], integer n) = n <= 0 ? 0 : \\sum(0, n - 1, \\lambda integer i; (int)sbitv(b, i));"),
    ("spec/mspan.h",
     r"logic integer nalloc\(uint64_t b\[16\], integer f, integer n\) =\s*"
     r"n <= 0 \? 0 : nalloc\(b, f, n - 1\) \+ \(n - 1 < f \? 1 : sbitv\(b, n - 1\)\);",
     r"logic integer nalloc(uint64_t b[16], integer f, integer n) = n <= 0 ? 0 : \\sum(0, n - 1, \\lambda integer i; i < f ? 1 : (int)sbitv(b, i));"),
]

# (file, annotation text as written (regex), the same property in a form E-ACSL 25
# handles), each matching exactly once.  A comparison of a logic function it types as a C
# unsigned int with an \old uintptr_t it types as a GMP integer crashes E-ACSL 25
# ("mkBinOp: unsupported operator"); their difference compared with 0 does not.
ANNOT_FORMS = [
    # \max of GMP integers: E-ACSL 25 frees a GMP result it never initialised ("Not a
    # start of block in free", in ga_psum_merge2's postcondition): the same as conditionals
    ("spec/psum.h",
     r"logic integer mstep_m\(integer m, integer e, integer cs, integer cm\) = \\max\(\\max\(m, e \+ cs\), cm\);",
     r"logic integer mstep_m(integer m, integer e, integer cs, integer cm) = (m >= e + cs ? (m >= cm ? m : cm) : (e + cs >= cm ? e + cs : cm));"),
    # a range of pointers with uintptr_t bounds: E-ACSL 25 passes the C bound where its
    # GMP form is expected (a crash in __gmpz_mul, ga_psumtree_merge_level's first
    # precondition); checked at the range's two ends instead (inside one reservation,
    # eacsl/rt.c's validity, so is all between)
    ("alloc/psumtree.c", r"requires \\valid\(sum \+ \(lo \.\. hi\)\);",
     r"requires \\valid(sum + lo) && \\valid(sum + hi);"),
    ("alloc/psumtree.c", r"requires \\valid_read\(child \+ \(8 \* lo \.\. 8 \* hi \+ 7\)\);",
     r"requires \\valid_read(child + 8 * lo) && \\valid_read(child + (8 * hi + 7));"),
    ("alloc/psumtree.c", r"requires \\valid_read\(e \+ \(j0 \.\. jend - 1\)\);",
     r"requires j0 < jend ==> \\valid_read(e + j0) && \\valid_read(e + (jend - 1));"),
    # bounds of the ghost region's first page a: the callers outside the proved files
    # (pagealloc.c, the drivers) are compiled without their ghost arguments, so in this
    # build a is whatever the register held; its bound is left out (the region clauses
    # are, strip_region_clauses)
    ("alloc/pallocsum.h", r"requires 0 <= a <= 0x8000000000;", r""),
    ("alloc/pallocbits.c", r"requires 0 <= a <= 0x8000000000;", r""),
    ("alloc/psumtree.c", r"requires 0 <= a && a \+ jend \* \(1 << lp\) <= 0x800000000;",
     r"requires jend * (1 << lp) <= 0x800000000;"),
    # \base_addr of a goalloc reservation: E-ACSL's segment model does not know the
    # block ("Use of invalid address in __e_acsl_base_addr"); the two levels' arrays
    # differ, checked on the pointers
    ("alloc/psumtree.c", r"requires \\base_addr\(sum\) != \\base_addr\(child\);",
     r"requires sum != child;"),
    ("spec/psumtree.h",
     r"predicate levels_apart\{L\}\(ga_psum \*\*S\) =[^;]*;",
     r"predicate levels_apart{L}(ga_psum **S) = S[0] != S[1] && S[0] != S[2] && S[0] != S[3] && S[0] != S[4] && "
     r"S[1] != S[2] && S[1] != S[3] && S[1] != S[4] && S[2] != S[3] && S[2] != S[4] && S[3] != S[4];"),
    ("alloc/psumtree.c", r"\\separated\(at, first, e \+ \(j0 \.\. jend - 1\)\);",
     r"\\separated(at, first);"),
    ("alloc/psumtree.c",
     r"\*first <= \*at && psum_max\(e\[\*at\]\) >= npages &&",
     r"*first <= *at && psum_max(e[*at]) - npages >= 0 &&"),
]


def die(msg):
    print(f"eacsl/instrument.py: {msg}", file=sys.stderr)
    sys.exit(1)


def targets(root):
    """The .c files of proofs/targets (headers are instrumented where included)."""
    files = []
    for line in open(os.path.join(root, "proofs/targets")):
        words = line.split()
        if words and not words[0].startswith("#") and words[0].endswith(".c"):
            files.append(words[0])
    if not files:
        die("no .c file in proofs/targets")
    return files


def strip_loop_annotations(tree, files):
    """Loop invariants, assigns and variants, and assertions that mention \\at, are left out: E-ACSL 25 checks a loop
    invariant's preservation with \\at(x, Pre) of a formal x read as x's current value
    (a false alarm in ga_find_bit_range64, whose loop shifts c), and they are WP's proof
    steps, not what callers rely on (a quantifier over the chunk per iteration, too)."""
    n = 0
    for rel in files:
        path = os.path.join(tree, rel)
        text = open(path).read()
        # as many newlines as they spanned: the messages keep the source's line numbers
        blank = lambda m: "\n" * m.group(0).count("\n")
        text, k1 = re.subn(r"/\*@\s*loop\b.*?\*/", blank, text, flags=re.S)
        text, k2 = re.subn(r"/@\s*loop\b.*?@/", blank, text, flags=re.S)
        # assertions about \at(..., Pre): E-ACSL 25 reads some of them in the current
        # state (a false alarm in ga_pagecache_alloc_n's `run`)
        k3 = len(re.findall(r"/\*@\s*assert\b(?:(?!\*/).)*?\\at\(.*?\*/|//@\s*assert\b[^\n]*\\at\(", text, flags=re.S))
        at = lambda m: blank(m) if "\\at(" in m.group(0) else m.group(0)
        text = re.sub(r"/\*@\s*assert\b.*?\*/|//@\s*assert\b[^\n]*", at, text, flags=re.S)
        n += k1 + k2 + k3
        open(path, "w").write(text)
    return n


# The region predicates of spec/psum.h (the pages of the chunk map a summary describes)
# and the clauses about the chunk map itself: ghost-level statements, left out.  Over a
# region of up to 2^21 pages r_sum quantifies over every (start, length) pair, far beyond
# what a replay can evaluate, and pageAlloc's chunk map lives in the drivers' malloc'd
# state, which E-ACSL does not track (ga_psum_merge's callers pass a NULL region, too).
# (So are the frames of psumtree.c, unchanged{L1, L2}: an unbounded quantifier.)
REGION = re.compile(r"\b(r_sum|r_run|r_start|r_end|r_max|r_has_run|r_runs_le|rfree|leaf_sums?|all_alloc|all_free)\b|"
                    r"\\valid_read\(m \+ |\bunchanged\{")
CLAUSE = re.compile(r"\b(requires|ensures)\b.*?(?=\b(?:requires|ensures|assigns|decreases|terminates|behavior)\b|\*/|@/)", re.S)


def strip_region_clauses(tree, files):
    """requires/ensures clauses and assertions that mention the region, blanked (keeping
    their line count)."""
    n = 0
    blank = lambda m: "\n" * m.group(0).count("\n")
    for rel in files:
        path = os.path.join(tree, rel)
        text = open(path).read()

        def annot(m):
            nonlocal n
            body = m.group(0)
            if not REGION.search(body):
                return body
            if re.match(r"/[*@]@?\s*assert\b", body):
                n += 1
                return blank(m)

            def clause(c):
                nonlocal n
                if REGION.search(c.group(0)):
                    n += 1
                    return blank(c)
                return c.group(0)
            return CLAUSE.sub(clause, body)
        text = re.sub(r"/\*@.*?\*/", annot, text, flags=re.S)
        text = re.sub(r"/@.*?@/", annot, text, flags=re.S)
        open(path, "w").write(text)
    return n


# Files whose remaining pointer ranges `\\valid(p + (a .. b))` are checked at their two ends
# (after ANNOT_FORMS): the E-ACSL 25 GMP crash of ANNOT_FORMS' uintptr_t bounds, in
# update's per-level ranges (alloc/psumtree.c; every such range there is non-empty, its
# contract has sc <= ec, and lies in one reservation)
RANGE_END_FILES = ["alloc/psumtree.c"]


def range_ends(text):
    """\\valid(p + (a .. b)) and \\valid_read(...) as the checks of p + a and p + b."""
    out, i = [], 0
    for m in re.finditer(r"\\valid(_read)?\(", text):
        if m.start() < i:
            continue
        depth, j = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        arg = text[m.end():j - 1]
        r = re.fullmatch(r"\s*([\w\[\]]+) \+ \((.*)\)\s*", arg, re.S)
        if not r or " .. " not in r.group(2):
            continue
        lo, hi = r.group(2).split(" .. ", 1)
        kind = m.group(0)[:-1]
        out.append(text[i:m.start()])
        out.append(f"({kind}({r.group(1)} + ({lo})) && {kind}({r.group(1)} + ({hi})))")
        i = j
    out.append(text[i:])
    return "".join(out)


def rewrite_specs(tree):
    for rel, pat, rep in SUM_FORMS + ANNOT_FORMS:
        path = os.path.join(tree, rel)
        text = open(path).read()
        new, n = re.subn(pat, rep, text)
        if n != 1:
            die(f"{rel}: the definition rewritten to \\sum matched {n} times, not once: {pat}")
        open(path, "w").write(new)
    for rel in RANGE_END_FILES:
        path = os.path.join(tree, rel)
        open(path, "w").write(range_ends(open(path).read()))
    # 0-ary logic constants (`logic integer PC_PAGE = 8192;`) crash E-ACSL 25 ("Unable
    # to find logic var"): their values are substituted, the definitions dropped
    consts = {}
    for rel in sorted(os.listdir(os.path.join(tree, "spec"))):
        path = os.path.join(tree, "spec", rel)
        text = open(path).read()
        for m in re.finditer(r"^\s*logic\s+integer\s+(\w+)\s*=\s*(\d+)\s*;", text, re.M):
            consts[m.group(1)] = m.group(2)
        open(path, "w").write(re.sub(r"^\s*logic\s+integer\s+\w+\s*=\s*\d+\s*;", "", text, flags=re.M))
    if consts:
        pat = re.compile(r"\b(" + "|".join(consts) + r")\b")
        for d in ("spec", "alloc"):
            for rel in os.listdir(os.path.join(tree, d)):
                path = os.path.join(tree, d, rel)
                text = open(path).read()
                open(path, "w").write(pat.sub(lambda m: "(" + consts[m.group(1)] + ")", text))
    # (uint64_t)~x of a 64-bit word: E-ACSL 25 computes ~x as a GMP integer (negative)
    # and converts it with mpz_get_si, which wraps wrongly below LONG_MIN (a false alarm
    # in ga_mspan_refill_alloc_cache); the same value as 2^64 - 1 - x
    for d in ("spec", "alloc"):
        for rel in os.listdir(os.path.join(tree, d)):
            path = os.path.join(tree, d, rel)
            text = open(path).read()
            new = re.sub(r"\(uint64_t\)\s*~([A-Za-z_][\w\->.\[\]]*)", r"(18446744073709551615 - \1)", text)
            if new != text:
                open(path, "w").write(new)
    # any logic function still recursive: E-ACSL would hang on it
    for rel in sorted(os.listdir(os.path.join(tree, "spec"))):
        text = open(os.path.join(tree, "spec", rel)).read()
        for m in re.finditer(r"logic\s+\w+\s+(\w+)\s*(?:\{\w+\})?\s*\(([^)]*)\)\s*=\s*([^;]*);", text):
            name, body = m.group(1), m.group(3)
            if re.search(rf"\b{name}\s*\(", body):
                die(f"spec/{rel}: logic function {name} is recursive: add its \\sum form to SUM_FORMS")


def swap_wrappers(code):
    """f <-> __gen_e_acsl_f for each function f E-ACSL wrapped."""
    # top-level function declarations and definitions (a signature may span lines)
    nocomments = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    defined = set(re.findall(r"^[A-Za-z_][\w \*]*?\b([A-Za-z_]\w*)\(", nocomments, re.M))
    wrapped = sorted(f for f in defined if not f.startswith("__") and "__gen_e_acsl_" + f in defined)
    if not wrapped:
        die("E-ACSL wrapped no function: nothing would be checked at the callers")
    names = {}
    for f in wrapped:
        names[f] = "__gen_e_acsl_" + f
        names["__gen_e_acsl_" + f] = f
    pat = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    # not inside string literals: the failure messages name the function as written
    parts = re.split(r'("(?:\\.|[^"\\\n])*")', code)
    for i in range(0, len(parts), 2):
        parts[i] = pat.sub(lambda m: names[m.group(1)], parts[i])
    return "".join(parts), wrapped


def array_at_copies(code):
    """`T at[N]; ... at = e;` (the first assignment after the declaration) becomes a
    memcpy of sizeof at bytes."""
    for m in reversed(list(re.finditer(r"^\s*[\w ]+?\b(__gen_e_acsl_at_\d+)\[\w+\];", code, re.M))):
        name = m.group(1)
        a = re.compile(r"\b" + name + r" = ([^;]+);").search(code, m.end())
        if not a:
            die(f"{name}: an array copy E-ACSL saves but never assigns")
        code = code[:a.start()] + f"__builtin_memcpy({name}, {a.group(1)}, sizeof {name});" + code[a.end():]
    return code


MPZ_RETURN_TYPES = {"int": "si", "long": "si", "unsigned int": "ui", "unsigned long": "ui"}


def mpz_returns(code):
    """In each generated function of C integer type, `__gmpz_clear(X); ... return X;` of a
    GMP variable X becomes the return of X's value, read before the clear (docstring, 5).
    Returns the code and the names of the functions rewritten."""
    fixed = []
    func = re.compile(r"^([A-Za-z_][\w ]*?) (__gen_e_acsl_\w+)\(([^)]*)\)\n\{\n(.*?)^\}\n", re.M | re.S)

    def fix(m):
        ret, name, body = m.group(1), m.group(2), m.group(4)
        mpz = set(re.findall(r"\b__e_acsl_mpz_t (\w+);", body))
        rets = [r for r in re.findall(r"\breturn (\w+);", body) if r in mpz]
        if not rets:
            return m.group(0)
        if ret not in MPZ_RETURN_TYPES or len(rets) != 1:
            die(f"{name}: returns the GMP integer {rets} as `{ret}`: no conversion for that here")
        x = rets[0]
        clear = f"__gmpz_clear({x});"
        r = body.rindex(f"return {x};")
        c = body.rfind(clear, 0, r)
        if c < 0 or body.count(clear) != 1:
            die(f"{name}: returns the GMP integer {x}, cleared {body.count(clear)} times, not once before the return")
        conv = MPZ_RETURN_TYPES[ret]
        value = "__gen_e_acsl_mpz_ret"
        body = (body[:c] + f"{ret} {value} = ({ret})ga_eacsl_mpz_{conv}({x}, sizeof({ret}), \"{name}\");\n  "
                + body[c:r] + f"return {value};" + body[r + len(f"return {x};"):])
        fixed.append(name)
        return f"{ret} {name}({m.group(3)})\n{{\n{body}}}\n"

    code = func.sub(fix, code)
    if fixed:
        code = ("long ga_eacsl_mpz_si(void const *z, unsigned long size, char const *fn);\n"
                "unsigned long ga_eacsl_mpz_ui(void const *z, unsigned long size, char const *fn);\n" + code)
    return code, fixed


def main():
    if len(sys.argv) != 3:
        die("usage: instrument.py SRCDIR OUT.c")
    root, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    files = targets(root)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ga-eacsl-") as tree:
        for d in ("alloc", "include", "spec"):
            shutil.copytree(os.path.join(root, d), os.path.join(tree, d))
        rewrite_specs(tree)
        nloops = strip_loop_annotations(tree, files + ["alloc/bitops.h"])
        nregion = strip_region_clauses(tree, files + ["alloc/pallocsum.h", "alloc/pallocbits.h"])
        raw = out + ".raw.c"
        cmd = ["frama-c", "-c11", "-machdep", "gcc_x86_64", "-remove-unused-specified-functions",
               f"-cpp-extra-args=-I{tree}/alloc -I{tree}/include -D_GNU_SOURCE -DGA_EACSL",
               *[os.path.join(tree, f) for f in files],
               "-e-acsl", f"-e-acsl-share={EACSL_SHARE}", "-then-last", "-print", "-ocode", raw]
        log = out + ".log"
        with open(log, "w") as lf:
            rc = subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT).returncode
        if rc != 0:
            sys.stderr.write(open(log).read()[-4000:])
            die(f"frama-c failed (exit {rc}); log: {log}")
    code, wrapped = swap_wrappers(open(raw).read())
    # E-ACSL passes an array field to a logic function of an array parameter (spec/mspan.h's
    # `uint64_t b[16]`) through a cast to the array type, which C forbids; the parameter
    # is a pointer in C, so cast to that
    code = re.sub(r"\((\w+) \[\d+\]\)(?=\s*[\w(])", r"(\1 *)", code)
    # \old of an array field (ga_mspan_sweep_bits' \old(s->alloc_bits)): E-ACSL declares
    # the saved copy as an array and assigns the field to it, which C forbids; copy it
    code = array_at_copies(code)
    # logic functions returning their GMP result as a C integer (docstring, 5)
    code, mpz_fixed = mpz_returns(code)
    # the temporary tree's paths in the assertion messages and #line-less code: name
    # the files as the repository does
    code = code.replace(tree + "/", "")
    with open(out, "w") as f:
        f.write(code)
    print(f"eacsl/instrument.py: {len(files)} files, {len(wrapped)} checked functions, "
          f"{nloops} loop annotations and \\at assertions left out, {nregion} region clauses left out, GMP results converted in "
          f"{', '.join(mpz_fixed) or 'no function'} -> {out}")


if __name__ == "__main__":
    main()
