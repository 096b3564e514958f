#!/usr/bin/python3.11
"""Cut a GOALLOC_TRACE file into inputs of fuzz/trace_fuzz.c.

    trace2fuzz.py TRACE OUTDIR [--prefix NAME] [--windows K] [--ops W] [--skip S]
                 [--threaded T] [--rare R]
    trace2fuzz.py --dump TRACE          # the records, one a line (reading a trace)
    trace2fuzz.py --stats TRACE         # counts per call, threads, failures
    trace2fuzz.py --dict > fuzz/trace_fuzz.dict

The trace format is described in dropin/trace.c (and fuzz/README.md "trace_fuzz").
A trace holds millions of calls; an input replays a window of W consecutive calls
(default 1500), at most K windows (default 4) spread evenly over the trace after its
first S calls, and T more (--threaded T) starting at calls of threads other than the
first (multi-threaded stretches), and R more (--rare R) around the rarer calls (the
aligned ones, malloc_usable_size, reallocarray, thread exits, failed calls).  Each
input stands alone:

  - objects live at the window's start that the window uses (frees, reallocs, asks
    the size of, frees through an interior pointer) are allocated first, each on the
    thread that allocated it, by the call that made it (malloc, calloc, an aligned
    call; a realloc's result by malloc of its size);
  - every object of the window gets its own slot (a window also ends when the 4096
    slots are used up), so "slot s" means one object;
  - threads are numbered in the input in order of first appearance (the first 8 keep
    their identity; a 9th shares thread 0's cache, and so on), and a thread's exit
    (its cache released) stays where it happened;
  - bad frees keep their kind: an interior pointer of a live object, a second free of
    an address the window freed, or an address the window never saw (foreign); a
    realloc of a bad pointer likewise;
  - calls that failed are replayed (the driver judges the result itself); frees and
    reallocs of objects allocated before the trace began (calls made before the
    drop-in's constructor) are dropped.

Sizes go into a u32 (trace_fuzz's trace_size): sizes within 64 Ki of SIZE_MAX are
kept exactly, other sizes of 4 GiB or more become 0xfffeffff (the driver's budget
skips them, as it does any request over 96 MiB).
"""
import argparse
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_ops  # noqa: E402

OP = fuzz_ops.load("trace")
SLOTS = 4096
THREADS = 8
SIZE_MAX = (1 << 64) - 1

MALLOC, FREE, CALLOC, REALLOC, REALLOCARRAY, POSIX_MEMALIGN, ALIGNED_ALLOC, MEMALIGN, VALLOC, PVALLOC, USABLE, \
    THREAD_END = range(1, 13)
NAMES = {MALLOC: "malloc", FREE: "free", CALLOC: "calloc", REALLOC: "realloc", REALLOCARRAY: "reallocarray",
         POSIX_MEMALIGN: "posix_memalign", ALIGNED_ALLOC: "aligned_alloc", MEMALIGN: "memalign",
         VALLOC: "valloc", PVALLOC: "pvalloc", USABLE: "malloc_usable_size", THREAD_END: "thread_end"}
# Fields after the tag (and thread): v = varint, P = pointer.
FIELDS = {MALLOC: "vP", FREE: "Pv", CALLOC: "vvP", REALLOC: "PvP", REALLOCARRAY: "PvvP", POSIX_MEMALIGN: "vvvP",
          ALIGNED_ALLOC: "vvP", MEMALIGN: "vvP", VALLOC: "vP", PVALLOC: "vP", USABLE: "Pv", THREAD_END: ""}
ALIGNED_FN = {POSIX_MEMALIGN: 0, ALIGNED_ALLOC: 1, MEMALIGN: 2, VALLOC: 3, PVALLOC: 4}


def records(path):
    """Yield (op, thread, fields, failed, errno) for each record of the trace."""
    data = open(path, "rb").read()
    if data[:8] != b"GATRACE\0":
        sys.exit(f"{path}: not a goalloc trace (magic)")
    version, hdr = struct.unpack_from("<HH", data, 8)
    if version != 1:
        sys.exit(f"{path}: trace version {version}, this tool reads 1")
    pos, n, last, thread = hdr, len(data), 0, 0
    while pos < n:
        tag = data[pos]
        pos += 1
        op = tag & 15
        if op not in FIELDS:
            sys.exit(f"{path}: bad record tag {tag:#x} at offset {pos - 1}")
        vals = []
        kinds = FIELDS[op]
        if tag & 0x10:
            kinds = "t" + kinds
        if tag & 0x20:
            kinds = kinds + "e"
        for k in kinds:
            v = shift = 0
            while True:
                if pos >= n:
                    return  # a record cut by the end of the file (a process killed)
                b = data[pos]
                pos += 1
                v |= (b & 0x7F) << shift
                if b < 0x80:
                    break
                shift += 7
            if k == "P":
                if v:
                    v -= 1
                    d = (v >> 1) ^ -(v & 1)
                    last = (last + d) & SIZE_MAX
                    v = last
            vals.append(v)
        if tag & 0x10:
            thread = vals.pop(0)
        err = vals.pop() if tag & 0x20 else 0
        yield op, thread, vals, bool(tag & 0x20), err


def enc_size(n):
    if n < 0xFFFF0000:
        return n
    if n >= SIZE_MAX - 0xFFFF:
        return 0xFFFFFFFF - (SIZE_MAX - n)
    return 0xFFFEFFFF


def enc_align(a):
    if a and not a & (a - 1):
        return min(a.bit_length() - 1, 63)
    p2 = 1 << max(a.bit_length(), 2)  # memalign rounds up to this; 3 << e rounds to it too
    return 0x80 | min(p2.bit_length() - 3, 15)


class Obj:
    __slots__ = ("addr", "size", "thread", "make", "slot", "win", "born")

    def __init__(self, addr, size, thread, make, born):
        self.addr, self.size, self.thread, self.make, self.born = addr, size, thread, make, born
        self.slot, self.win = None, -1


class Window:
    def __init__(self, index, start):
        self.index, self.start = index, start
        self.pro, self.ops = [], []  # (trace thread, op code, args bytes)
        self.nslots = 0
        self.freed = {}  # address freed in this window -> slot

    def full(self):
        return self.nslots >= SLOTS

    def slot_of(self, o, prologue=True):
        """The object's slot in this window; an object from before the window is
        allocated in the prologue, by the call that made it."""
        if o.win == self.index:
            return o.slot
        o.win, o.slot = self.index, self.nslots
        self.nslots += 1
        if prologue and o.born < self.start:
            self.pro.append((o.thread,) + o.make(o.slot))
        return o.slot

    def emit(self, thread, code, fmt, *args):
        self.ops.append((thread, code, struct.pack("<" + fmt, *args)))

    def data(self):
        tmap, out = {}, bytearray()
        for thread, code, args in self.pro + self.ops:
            t = tmap.setdefault(thread, len(tmap)) % THREADS
            out += OP.op(code, args, byte=t << 5 | code)  # checks the argument bytes against the table
        return bytes(out), len(tmap)


def make_malloc(size):
    return lambda s: (OP.MALLOC, struct.pack("<HI", s, enc_size(size)))


def enc_count(k, n):
    """calloc's and reallocarray's (k, n): a product that overflows keeps overflowing."""
    if k * n > SIZE_MAX:
        return 0xFFFFFFFF, max(enc_size(n), 2)
    return enc_size(k), enc_size(n)


def make_calloc(k, n):
    return lambda s: (OP.CALLOC, struct.pack("<HII", s, *enc_count(k, n)))


def make_aligned(fn, align, n):
    return lambda s: (OP.ALIGNED, struct.pack("<HBBI", s, fn, enc_align(align), enc_size(n)))


def spread(points, k):
    """k of the points (sorted), evenly spaced, first and last included."""
    if not points or k <= 0:
        return set()
    return {points[(len(points) - 1) * i // max(k - 1, 1)] for i in range(min(k, len(points)))}


COMMON = (MALLOC, FREE, CALLOC, REALLOC)


def cut(path, nwin, wops, skip, threaded=0, rare=0):
    """Windows of wops calls: nwin spread evenly over the trace after its first skip
    calls, `threaded` more starting at calls of threads other than the first, and
    `rare` more around the rarer calls (aligned, malloc_usable_size, reallocarray,
    thread exits, failures)."""
    total, others, rares, first = 0, [], [], None
    for i, (op, thread, f, failed, err) in enumerate(records(path)):
        total += 1
        first = first or thread
        if i < skip:
            continue
        if threaded and thread != first and (not others or i - others[-1] >= wops):
            others.append(i)  # at most one per window's length
        if rare and (failed or op not in COMMON) and (not rares or i - rares[-1] >= wops):
            rares.append(i)
    span = max(total - skip, 0)
    last = max(total - wops, skip)
    starts = {skip + (last - skip) * i // max(nwin - 1, 1) for i in range(nwin)} if span and nwin else set()
    starts |= spread(others, threaded)
    starts |= {max(skip, i - wops // 2) for i in spread(rares, rare)}
    starts = sorted(starts)
    live = {}  # address the program holds -> Obj
    wins, cur = [], None
    starts_left = list(starts)
    for i, (op, thread, f, failed, err) in enumerate(records(path)):
        if cur is None and starts_left and i >= starts_left[0]:
            while starts_left and starts_left[0] <= i:
                starts_left.pop(0)
            cur = Window(len(wins), i)
            wins.append(cur)
        w = cur
        if op in (MALLOC, CALLOC, POSIX_MEMALIGN, ALIGNED_ALLOC, MEMALIGN, VALLOC, PVALLOC):
            res = f[-1]
            if op == MALLOC:
                make = make_malloc(f[0])
            elif op == CALLOC:
                make = make_calloc(f[0], f[1])
            elif op in (VALLOC, PVALLOC):
                make = make_aligned(ALIGNED_FN[op], 4096, f[0])
            else:
                make = make_aligned(ALIGNED_FN[op], f[0], f[1])
            o = Obj(res, f[-2] if op != CALLOC else f[0] * f[1], thread, make, i)
            if op in (POSIX_MEMALIGN, ALIGNED_ALLOC, MEMALIGN):
                o.size = f[1]
            if w:
                code, args = make(w.slot_of(o, prologue=False))
                w.ops.append((thread, code, args))
            if res:
                live[res] = o
        elif op in (REALLOC, REALLOCARRAY):
            p, res = f[0], f[-1]
            n = f[1] if op == REALLOC else f[1] * f[2]
            o = live.pop(p, None)
            if p and o is None:
                if failed and err == 22:  # realloc of a bad pointer
                    if w:
                        bad_free(w, thread, p, live, via_realloc=True)
                    continue
                p = 0  # an object from before the trace: a new one from here on
            if o is None:
                o = Obj(res, n, thread, make_malloc(n), i)
            if w:
                s = w.slot_of(o, prologue=True)
                if op == REALLOC:
                    w.emit(thread, OP.REALLOC, "HI", s, enc_size(n))
                else:
                    w.emit(thread, OP.REALLOCARRAY, "HII", s, *enc_count(f[1], f[2]))
            if res:
                o.addr, o.size, o.make = res, n, make_malloc(n)
                live[res] = o
            elif p and not (n == 0):
                live[p] = o  # failed: p untouched
            elif p and w:
                w.freed[p] = o.slot
        elif op == FREE:
            p, r = f[0], f[1]
            if r == 0:
                o = live.pop(p, None)
                if o is not None and w:
                    s = w.slot_of(o)
                    w.emit(thread, OP.FREE, "H", s)
                    w.freed[p] = s
            elif w:
                bad_free(w, thread, p, live)
        elif op == USABLE:
            o = live.get(f[0])
            if o is not None and w:
                w.emit(thread, OP.USABLE, "H", w.slot_of(o))
        elif op == THREAD_END:
            if w:
                w.emit(thread, OP.THREAD_END, "")
        if w and (len(w.ops) >= wops or w.full()):
            cur = None
    return wins, total


def bad_free(w, thread, p, live, via_realloc=False):
    k = 4 if via_realloc else 0
    for a, o in live.items():  # rare: a linear scan is enough
        if a < p < a + max(o.size, 1):
            w.emit(thread, OP.FREE_BAD, "BHH", k | 0, w.slot_of(o), min(p - a - 1, 0xFFFF))
            return
    if p in w.freed:
        w.emit(thread, OP.FREE_BAD, "BHH", k | 1, w.freed[p], 0)
        return
    w.emit(thread, OP.FREE_BAD, "BHH", k | 2, 0, p % 6)  # foreign (never the stack: p is not)


def dictionary():
    """fuzz/trace_fuzz.dict: whole operations (op_<name>[__label]) of every op, on
    thread 0 unless the label names another (trace2fuzz.py --dict > fuzz/trace_fuzz.dict)."""
    def op(code, fmt, *args, t=0):
        return OP.op(code, struct.pack("<" + fmt, *args), byte=t << 5 | code)
    e = [
        ("malloc__16", op(OP.MALLOC, "HI", 1, 16)), ("malloc__0", op(OP.MALLOC, "HI", 2, 0)),
        ("malloc__9", op(OP.MALLOC, "HI", 3, 9)), ("malloc__32k", op(OP.MALLOC, "HI", 4, 32768)),
        ("malloc__large", op(OP.MALLOC, "HI", 5, 40000)), ("malloc__huge", op(OP.MALLOC, "HI", 6, 0xFFFFFFFF)),
        ("malloc__arenas", op(OP.MALLOC, "HI", 7, 64 << 20 | 8)),
        ("malloc__t1", op(OP.MALLOC, "HI", 8, 100, t=1)),
        ("calloc__3x100", op(OP.CALLOC, "HII", 9, 3, 100)),
        ("calloc__overflow", op(OP.CALLOC, "HII", 10, 0xFFFFFFFF, 2)),
        ("realloc__grow", op(OP.REALLOC, "HI", 1, 5000)), ("realloc__shrink", op(OP.REALLOC, "HI", 1, 3)),
        ("realloc__0", op(OP.REALLOC, "HI", 1, 0)),
        ("reallocarray__2x", op(OP.REALLOCARRAY, "HII", 1, 2, 300)),
        ("reallocarray__overflow", op(OP.REALLOCARRAY, "HII", 1, 0xFFFFFFFF, 3)),
        ("aligned__posix_64", op(OP.ALIGNED, "HBBI", 11, 0, 6, 100)),
        ("aligned__posix_16k", op(OP.ALIGNED, "HBBI", 12, 0, 14, 100)),
        ("aligned__aligned_alloc_4k", op(OP.ALIGNED, "HBBI", 13, 1, 12, 5000)),
        ("aligned__memalign_24", op(OP.ALIGNED, "HBBI", 14, 2, 0x83, 50)),
        ("aligned__valloc", op(OP.ALIGNED, "HBBI", 15, 3, 0, 10)),
        ("aligned__pvalloc", op(OP.ALIGNED, "HBBI", 16, 4, 0, 5000)),
        ("free", op(OP.FREE, "H", 1)), ("free__t1", op(OP.FREE, "H", 1, t=1)),
        ("free_bad__interior", op(OP.FREE_BAD, "BHH", 0, 1, 15)),
        ("free_bad__double", op(OP.FREE_BAD, "BHH", 1, 1, 0)),
        ("free_bad__foreign", op(OP.FREE_BAD, "BHH", 2, 0, 3)),
        ("free_bad__realloc_interior", op(OP.FREE_BAD, "BHH", 4, 1, 7)),
        ("usable", op(OP.USABLE, "H", 1)),
        ("thread_end", op(OP.THREAD_END, "")), ("thread_end__t1", op(OP.THREAD_END, "", t=1)),
        ("check", op(OP.CHECK, "")),
    ]
    print("# trace_fuzz dictionary: fuzz/trace2fuzz.py --dict > fuzz/trace_fuzz.dict")
    print("# op_<name>[__label]: whole operations (fuzz/trace_ops.h)")
    for name, v in e:
        print(f'op_{name}="' + "".join(f"\\x{c:02x}" for c in v) + '"')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace", nargs="?")
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--prefix", default="trace")
    ap.add_argument("--windows", type=int, default=4)
    ap.add_argument("--ops", type=int, default=1500, help="calls per window")
    ap.add_argument("--skip", type=int, default=0, help="calls before the first window")
    ap.add_argument("--threaded", type=int, default=0, help="more windows, starting at calls of other threads")
    ap.add_argument("--rare", type=int, default=0, help="more windows, around the rarer calls and failures")
    ap.add_argument("--dump", action="store_true")
    ap.add_argument("--dict", action="store_true", help="print fuzz/trace_fuzz.dict")
    ap.add_argument("--stats", action="store_true")
    a = ap.parse_args()
    if a.dict:
        dictionary()
        return
    if a.dump:
        for i, (op, thread, f, failed, err) in enumerate(records(a.trace)):
            vals = " ".join(hex(v) if k == "P" else str(v) for k, v in zip(FIELDS[op], f))
            print(f"{i} t{thread} {NAMES[op]} {vals}{f' FAILED errno {err}' if failed else ''}")
        return
    if a.stats:
        counts, threads, fails = {}, set(), 0
        for op, thread, f, failed, err in records(a.trace):
            counts[NAMES[op]] = counts.get(NAMES[op], 0) + 1
            threads.add(thread)
            fails += failed
        print(f"{sum(counts.values())} calls, {len(threads)} threads, {fails} failed: "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda x: -x[1])))
        return
    if not a.outdir:
        ap.error("OUTDIR is needed")
    os.makedirs(a.outdir, exist_ok=True)
    wins, total = cut(a.trace, a.windows, a.ops, a.skip, a.threaded, a.rare)
    for w in wins:
        data, nthreads = w.data()
        name = os.path.join(a.outdir, f"{a.prefix}-{w.index:02d}")
        with open(name, "wb") as out:
            out.write(data)
        print(f"{name}: calls {w.start}..{w.start + len(w.ops)} of {total}, {len(w.pro)} objects from before, "
              f"{nthreads} threads, {len(data)} bytes")


if __name__ == "__main__":
    main()
