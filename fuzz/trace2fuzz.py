#!/usr/bin/python3.11
"""Cut a GOALLOC_TRACE file into inputs of fuzz/trace_fuzz.c.

    trace2fuzz.py TRACE OUTDIR [--prefix NAME] [--windows K] [--ops W] [--skip S]
    trace2fuzz.py --dump TRACE          # the records, one a line (reading a trace)
    trace2fuzz.py --stats TRACE         # counts per call, threads, failures

The trace format is described in dropin/trace.c (and fuzz/README.md "trace_fuzz").
A trace holds millions of calls; an input replays a window of W consecutive calls
(default 1500), at most K windows (default 4) spread evenly over the trace after its
first S calls.  Each input stands alone:

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
skips them, as it does any request over 32 MiB).
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


def make_calloc(k, n):
    return lambda s: (OP.CALLOC, struct.pack("<HII", s, min(k, 0xFFFFFFFF), enc_size(n)))


def make_aligned(fn, align, n):
    return lambda s: (OP.ALIGNED, struct.pack("<HBBI", s, fn, enc_align(align), enc_size(n)))


def cut(path, nwin, wops, skip, stats=None):
    total = sum(1 for _ in records(path)) if nwin else 0
    span = max(total - skip, 0)
    starts = sorted({skip + (span - wops) * i // max(nwin - 1, 1) for i in range(nwin)} if span > wops else
                    ({skip} if span else set()))
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
                    w.emit(thread, OP.REALLOCARRAY, "HII", s, min(f[1], 0xFFFFFFFF), enc_size(f[2]))
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace")
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--prefix", default="trace")
    ap.add_argument("--windows", type=int, default=4)
    ap.add_argument("--ops", type=int, default=1500, help="calls per window")
    ap.add_argument("--skip", type=int, default=0, help="calls before the first window")
    ap.add_argument("--dump", action="store_true")
    ap.add_argument("--stats", action="store_true")
    a = ap.parse_args()
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
    wins, total = cut(a.trace, a.windows, a.ops, a.skip)
    for w in wins:
        data, nthreads = w.data()
        name = os.path.join(a.outdir, f"{a.prefix}-{w.index:02d}")
        with open(name, "wb") as out:
            out.write(data)
        print(f"{name}: calls {w.start}..{w.start + len(w.ops)} of {total}, {len(w.pro)} objects from before, "
              f"{nthreads} threads, {len(data)} bytes")


if __name__ == "__main__":
    main()
