#!/usr/bin/env python3
"""Generate alloc/sizeclasses.c from Go 1.19's own runtime/sizeclasses.go.

    python3 alloc/gen_sizeclasses.py            # rewrite alloc/sizeclasses.c
    python3 alloc/gen_sizeclasses.py --check    # compare with the committed file
    python3 alloc/gen_sizeclasses.py --go-src PATH --output -

Works from any directory.  --go-src is Go's sizeclasses.go, its runtime directory or
a GOROOT (default: Debian's golang-1.19-src, which ci/setup installs).

What is read from Go (parsed, not executed; no Go code is copied): the constants of
its `const (...)` block, the arrays class_to_size, class_to_allocnpages,
class_to_divmagic, size_to_class8, size_to_class128, and the table comment at the top
(class, bytes/obj, bytes/span, objects, tail waste).  Everything is cross-checked
before anything is written, so a parse that went wrong cannot produce a table:
  - the comment's rows against the arrays (size, span bytes = npages * 8 KiB,
    objects = span / size, tail waste = span - objects * size);
  - each divmagic entry is Go's `^uint32(0)/size + 1` for that class's size, and the
    multiply-shift division it stands for is exact on the whole span (docs/go-facts.md
    §2.3: n / size == (n * divmagic) >> 32 for 0 <= n <= span bytes);
  - both size -> class arrays equal "the smallest class whose size is >= the byte
    count" (docs/go-facts.md §2.2), recomputed here from the class sizes;
  - the constants alloc/sizeclasses.h, alloc/internal.h and include/goalloc.h define
    by hand (numbers of size and span classes, size limits and divisors, page shift,
    tiny size and span class) against Go's.
Written: alloc/sizeclasses.c, laid out as clang-format lays out the project's
braced lists (.clang-format: 4-space indent, 120 columns), so that the formatter
leaves the generated file alone.
"""
import argparse
import difflib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_GO_SRC = "/usr/lib/go-1.19/src/runtime/sizeclasses.go"
OUTPUT = os.path.join(HERE, "sizeclasses.c")

INDENT = 4
COLUMN_LIMIT = 120


class GenError(Exception):
    pass


def require(cond, msg):
    if not cond:
        raise GenError(msg)


# ---- reading Go's source -----------------------------------------------------------


def locate(go_src):
    """Path of sizeclasses.go from a file, a runtime directory or a GOROOT."""
    for cand in (go_src, os.path.join(go_src, "sizeclasses.go"), os.path.join(go_src, "src", "runtime", "sizeclasses.go")):
        if os.path.isfile(cand):
            return cand
    raise GenError(
        "Go's runtime/sizeclasses.go not found at %s\n"
        "(it comes with Debian's golang-1.19-src: run ci/setup, or pass --go-src PATH)" % go_src)


def go_version(path):
    """The `go1.x.y` of the GOROOT holding path, or None if it has no VERSION file."""
    d = os.path.dirname(os.path.abspath(path))
    for _ in range(4):
        v = os.path.join(d, "VERSION")
        if os.path.isfile(v):
            with open(v) as f:
                return f.readline().strip()
        d = os.path.dirname(d)
    return None


def parse_go(text):
    consts = {}
    m = re.search(r"^const \((.*?)^\)", text, re.S | re.M)
    require(m, "no const (...) block")
    for line in m.group(1).splitlines():
        cm = re.match(r"\s*(\w+)\s*=\s*(\d+)\s*$", line)
        if cm:
            consts[cm.group(1)] = int(cm.group(2))
    for name in ("_MaxSmallSize", "smallSizeDiv", "smallSizeMax", "largeSizeDiv", "_NumSizeClasses", "_PageShift"):
        require(name in consts, "constant %s not found" % name)

    def array(name, elem):
        am = re.search(r"^var %s = \[[^\]]*\]%s\{([^}]*)\}" % (name, elem), text, re.M)
        require(am, "array %s not found" % name)
        return [x.strip() for x in am.group(1).split(",") if x.strip()]

    def ints(name, elem):
        items = array(name, elem)
        require(all(re.fullmatch(r"\d+", x) for x in items), "%s: not a list of integers" % name)
        return [int(x) for x in items]

    arrays = {
        "class_to_size": ints("class_to_size", "uint16"),
        "class_to_allocnpages": ints("class_to_allocnpages", "uint8"),
        "size_to_class8": ints("size_to_class8", "uint8"),
        "size_to_class128": ints("size_to_class128", "uint8"),
    }
    # class_to_divmagic entries are `0` (class 0) or `^uint32(0)/SIZE + 1`.
    divisors = []
    for x in array("class_to_divmagic", "uint32"):
        dm = re.fullmatch(r"\^uint32\(0\)/(\d+) \+ 1", x)
        require(x == "0" or dm, "class_to_divmagic: unexpected entry %r" % x)
        divisors.append(int(dm.group(1)) if dm else 0)
    arrays["divmagic_divisor"] = divisors

    # The table comment: "//  class  bytes/obj  bytes/span  objects  tail waste  ..."
    rows = []
    head = re.search(r"^// class\s+bytes/obj\s+bytes/span\s+objects\s+tail waste", text, re.M)
    require(head, "table comment not found")
    for line in text[head.end():].splitlines()[1:]:
        rm = re.match(r"//\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s", line)
        if not rm:
            break
        rows.append(tuple(int(g) for g in rm.groups()))
    return consts, arrays, rows


# ---- deriving and cross-checking ---------------------------------------------------


def derive(consts, arrays, rows):
    n = consts["_NumSizeClasses"]
    page = 1 << consts["_PageShift"]
    size = arrays["class_to_size"]
    npages = arrays["class_to_allocnpages"]
    for name in ("class_to_size", "class_to_allocnpages", "divmagic_divisor"):
        require(len(arrays[name]) == n, "%s has %d entries, _NumSizeClasses = %d" % (name, len(arrays[name]), n))
    require(size[0] == 0 and npages[0] == 0, "class 0 must be all zero (large objects)")
    require(all(size[c - 1] < size[c] for c in range(2, n)), "class sizes must increase")
    require(size[n - 1] == consts["_MaxSmallSize"], "the last class must be _MaxSmallSize")

    require(len(rows) == n - 1, "table comment has %d rows, want %d" % (len(rows), n - 1))
    nelems = [0]
    for c, (cls, obj, span, objs, tail) in enumerate(rows, 1):
        require(cls == c, "table comment row %d is numbered %d" % (c, cls))
        require(obj == size[c], "class %d: comment says %d bytes, class_to_size %d" % (c, obj, size[c]))
        require(span == npages[c] * page, "class %d: comment says %d bytes/span, npages %d" % (c, span, npages[c]))
        require(objs == span // obj and tail == span - objs * obj, "class %d: objects/tail waste disagree" % c)
        nelems.append(span // obj)

    divmagic = [0]
    for c in range(1, n):
        require(arrays["divmagic_divisor"][c] == size[c], "class %d: divmagic divides by the wrong size" % c)
        m = (2**32 - 1) // size[c] + 1
        # floor(n / size) and (n * m) >> 32 both never decrease as n grows, so they agree on
        # all of [0, span] iff they agree at both ends of every run [k*size, (k+1)*size - 1].
        span = npages[c] * page
        for k in range(0, span // size[c] + 1):
            for x in (k * size[c], min((k + 1) * size[c] - 1, span)):
                if x <= span:
                    require((x * m) >> 32 == x // size[c], "class %d: divmagic %d inexact at %d" % (c, m, x))
        divmagic.append(m)

    def smallest_class(nbytes):
        return next(c for c in range(n) if size[c] >= nbytes)  # class 0 only for 0 bytes

    small_max, small_div = consts["smallSizeMax"], consts["smallSizeDiv"]
    large_div, max_small = consts["largeSizeDiv"], consts["_MaxSmallSize"]
    class8 = [smallest_class(small_div * i) for i in range(small_max // small_div + 1)]
    class128 = [smallest_class(small_max + large_div * i) for i in range((max_small - small_max) // large_div + 1)]
    require(class8 == arrays["size_to_class8"], "size_to_class8 is not the smallest-fitting-class table")
    require(class128 == arrays["size_to_class128"], "size_to_class128 is not the smallest-fitting-class table")
    return {
        "ga_class_size": ("uint16_t", size, "GA_NUM_CLASSES"),
        "ga_class_npages": ("uint8_t", npages, "GA_NUM_CLASSES"),
        "ga_class_nelems": ("uint16_t", nelems, "GA_NUM_CLASSES"),
        "ga_class_divmagic": ("uint32_t", divmagic, "GA_NUM_CLASSES"),
        "ga_size_to_class8": ("uint8_t", class8, "GA_SIZE_TO_CLASS8_LEN"),
        "ga_size_to_class128": ("uint8_t", class128, "GA_SIZE_TO_CLASS128_LEN"),
    }


def read_defines(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"#define (\w+) (\d+)u?(\s|$)", line)  # plain integer constants only
            if m:
                out[m.group(1)] = int(m.group(2))
    return out


def check_headers(consts, size):
    """The hand-written constants must be Go's (the C build asserts their relations)."""
    want = {
        ("alloc/sizeclasses.h", "GA_NUM_CLASSES"): consts["_NumSizeClasses"],
        ("alloc/sizeclasses.h", "GA_NUM_SPAN_CLASSES"): 2 * consts["_NumSizeClasses"],
        ("alloc/sizeclasses.h", "GA_MAX_SMALL_SIZE"): consts["_MaxSmallSize"],
        ("alloc/sizeclasses.h", "GA_SMALL_SIZE_DIV"): consts["smallSizeDiv"],
        ("alloc/sizeclasses.h", "GA_SMALL_SIZE_MAX"): consts["smallSizeMax"],
        ("alloc/sizeclasses.h", "GA_LARGE_SIZE_DIV"): consts["largeSizeDiv"],
        # Go's tiny allocator: 16-byte blocks of the 16-byte class, noscan (malloc.go)
        ("alloc/sizeclasses.h", "GA_TINY_SPAN_CLASS"): (size.index(16) << 1) | 1,
        ("alloc/internal.h", "GA_PAGE_SHIFT"): consts["_PageShift"],
        ("include/goalloc.h", "GA_NUM_SIZE_CLASSES"): consts["_NumSizeClasses"],
    }
    cache = {}
    bad = []
    for (path, name), value in want.items():
        if path not in cache:
            cache[path] = read_defines(os.path.join(ROOT, path))
        got = cache[path].get(name)
        if got != value:
            bad.append("%s: %s is %s, Go 1.19 says %d" % (path, name, got, value))
    require(not bad, "\n".join(bad))


# ---- writing C --------------------------------------------------------------------


def column_layout(items, first_column):
    """Rows of a braced list (items carry their commas, the last one too) the way
    clang-format 14 lays one out in columns (CommaSeparatedList): of the layouts that
    fit, the one with the fewest lines, and of those the one with the fewest columns;
    a column is as wide as its widest item, and no item may be more than 10 narrower."""
    lengths = [len(x) for x in items]
    eol = lengths
    remaining = COLUMN_LIMIT - first_column
    formats = []
    for columns in range(1, COLUMN_LIMIT // 3 + 1):
        sizes, mins = [0] * columns, [10**9] * columns
        lines, col, full_row = 1, 0, False
        for i in range(len(lengths)):
            if col == columns:
                lines, col = lines + 1, 0
            if col == columns - 1:
                full_row = True
            n = eol[i] if col == columns - 1 else lengths[i]
            sizes[col], mins[col] = max(sizes[col], n), min(mins[col], n)
            col += 1
        if not full_row:
            break
        width = columns - 1 + sum(sizes)
        if any(sizes[k] - mins[k] > 10 for k in range(columns - 1)):
            continue
        if width > COLUMN_LIMIT and columns > 1:
            continue
        formats.append((columns, lines, width, sizes))
    best = None
    for f in reversed(formats):
        if f[2] <= remaining or f[0] == 1:
            if best and f[1] > best[1]:
                break
            best = f
    columns, _, _, sizes = best
    rows = []
    for r in range(0, len(items), columns):
        row = items[r:r + columns]
        rows.append(" ".join(x.ljust(sizes[k]) for k, x in enumerate(row)).rstrip())
    return rows


def render(tables):
    out = [
        "/* Go 1.19's linux/amd64 size classes.  GENERATED by alloc/gen_sizeclasses.py from Go's",
        " * runtime/sizeclasses.go (its arrays and table comment, cross-checked) -- do not edit;",
        " * `python3 alloc/gen_sizeclasses.py` rewrites this file, `--check` compares it.",
        " *",
        " * Class 0 is \"large object\": every column is 0 for it.  nelems = floor(npages*8192 /",
        " * size); divmagic = floor((2^32-1)/size) + 1, exact division for offsets up to the span",
        " * size (docs/go-facts.md §2.3); size_to_class8[i] / size_to_class128[i] = the smallest",
        " * class whose size is >= 8*i / 1024 + 128*i (docs/go-facts.md §2.2).",
        " *",
        " * The arrays are defined without a bound (the header declares them so too): each",
        " * _Static_assert ties the length of an initializer to the constant it must match. */",
        '#include "sizeclasses.h"',
        "",
        '#include "goalloc.h"',
        "",
        "#define LEN(a) (sizeof(a) / sizeof((a)[0]))",
        "",
    ]
    for name, (ctype, values, bound) in tables.items():
        out.append("const %s %s[] = {" % (ctype, name))
        out += [" " * INDENT + row for row in column_layout(["%d," % v for v in values], INDENT)]
        out.append("};")
        what = "size class" if bound == "GA_NUM_CLASSES" else "lookup index"
        out.append("_Static_assert(LEN(%s) == %s, \"%s: one entry per %s\");" % (name, bound, name, what))
        out.append("")
    out.append("_Static_assert(GA_NUM_SIZE_CLASSES == GA_NUM_CLASSES, \"ga_stats.by_size: one row per size class\");")
    return "\n".join(out) + "\n"


def generate(go_src):
    path = locate(go_src)
    version = go_version(path)
    require(version is None or version.startswith("go1.19"),
            "%s belongs to %s; goalloc follows Go 1.19's tables (pass --go-src for a Go 1.19 tree)" % (path, version))
    with open(path) as f:
        consts, arrays, rows = parse_go(f.read())
    tables = derive(consts, arrays, rows)
    check_headers(consts, arrays["class_to_size"])
    return render(tables)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--go-src", default=DEFAULT_GO_SRC,
                    help="Go's sizeclasses.go, its runtime directory or a GOROOT (default %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="exit 0 if alloc/sizeclasses.c is exactly what would be generated, else print a diff, exit 1")
    ap.add_argument("--output", default=OUTPUT, help="file to write ('-' = stdout; default alloc/sizeclasses.c)")
    args = ap.parse_args(argv)
    try:
        text = generate(args.go_src)
    except GenError as e:
        print("gen_sizeclasses: %s" % e, file=sys.stderr)
        return 1
    if args.check:
        try:
            with open(OUTPUT) as f:
                have = f.read()
        except OSError as e:
            print("gen_sizeclasses: %s" % e, file=sys.stderr)
            return 1
        if have == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(have.splitlines(True), text.splitlines(True),
                                                   "alloc/sizeclasses.c (committed)", "alloc/sizeclasses.c (generated)"))
        print("gen_sizeclasses: alloc/sizeclasses.c differs from what Go's tables give; "
              "run python3 alloc/gen_sizeclasses.py", file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
