#!/usr/bin/python3.11
"""Seeds for threads_fuzz (corpus/threads_fuzz/seed-*) and its dictionary.

    fuzz/gen_threads_seeds.py            write corpus/threads_fuzz/seed-*
    fuzz/gen_threads_seeds.py --dict     print fuzz/threads_fuzz.dict

Op codes come from fuzz/threads_ops.h (fuzz/fuzz_ops.py); input format: fuzz/README.md
"threads_fuzz".  Each seed names what it is for; the race and window seeds are the ones
the concurrent replay (TSan preset) leans on: they hammer one span, one class or one
counter from two to four threads at once, so that a lost update or an unlocked list
edit shows within one replay.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_ops  # noqa: E402

OP = fuzz_ops.load('threads')
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'corpus', 'threads_fuzz')


def hdr(nthreads=4, scav=False, debug=False, keep=False, retain=0):
    fl = (nthreads - 2) | (4 if scav else 0) | (8 if debug else 0) | (16 if keep else 0)
    return bytes([fl, retain])


def u16(v):
    return struct.pack('<H', v & 0xffff)


def turn(t): return OP.op(OP.TURN, bytes([t]))
def par(): return OP.op(OP.PAR)
def alloc_class(c, v=0): return OP.op(OP.ALLOC_CLASS, bytes([(c - 1) % 256, v]))
def alloc_tiny(v=0): return OP.op(OP.ALLOC_TINY, bytes([v]))
def alloc_large(n, v=0): return OP.op(OP.ALLOC_LARGE, bytes([n, v]))
def burst(c, n, v=0): return OP.op(OP.ALLOC_BURST, bytes([(c - 1) % 256, v, n - 1]))
def free_own(i): return OP.op(OP.FREE_OWN, u16(i))
def free_other(i): return OP.op(OP.FREE_OTHER, u16(i))
def free_newest_other(): return OP.op(OP.FREE_OTHER, u16(0x8000))
def free_range(i, n): return OP.op(OP.FREE_RANGE, u16(i) + bytes([n - 1]))
def free_bad(i, k): return OP.op(OP.FREE_BAD, u16(i) + bytes([k]))
def mark(i, o=0): return OP.op(OP.MARK, u16(i) + u16(o))
def mark_range(i, n): return OP.op(OP.MARK_RANGE, u16(i) + bytes([n - 1]))
def sweep(b=0): return OP.op(OP.SWEEP, bytes([b]))
def query(i, o=0): return OP.op(OP.QUERY, u16(i) + u16(o))
def probe(k, n): return OP.op(OP.PROBE, bytes([k, n]))
def check_own(): return OP.op(OP.CHECK_OWN)
def free_alloc(i): return OP.op(OP.FREE_ALLOC, u16(i))
def gc_begin(): return OP.op(OP.GC_BEGIN)
def gc_end(full=True): return OP.op(OP.GC_END, bytes([1 if full else 0]))
def stw_check(): return OP.op(OP.STW_CHECK)
# Yield points a race's first side (deterministic mode) or a PAUSE parks at: race n's
# bits 5-6, PAUSE p % 4 (threads_fuzz.c race_point, parse; alloc/heap.h GA_YP_*).
FREE_SET, FREE_COUNT, STATS_FREE, STATS_MALLOC = 0, 1, 2, 3      # race ops
P_FREE_SET, P_FREE_COUNT, P_STATS_MALLOC, P_STATS_FREE = 0, 1, 2, 3  # PAUSE


def race(code, t, n, b_first, pt):
    assert 1 <= n <= 32
    return OP.op(code, bytes([t | (0x80 if b_first else 0), (n - 1) | pt << 5]))


def race_free(t, n, b_first=False, pt=FREE_SET): return race(OP.RACE_FREE, t, n, b_first, pt)
def race_span(t, n, b_first=False, pt=FREE_SET): return race(OP.RACE_SPAN, t, n, b_first, pt)
def race_sweep(t, n, b_first=False, pt=FREE_SET): return race(OP.RACE_SWEEP, t, n, b_first, pt)
def pause(pt, skip=0): return OP.op(OP.PAUSE, bytes([pt | skip << 2]))
def cache_cycle(t): return OP.op(OP.CACHE_CYCLE, bytes([t]))
def scavenge(v): return OP.op(OP.SCAVENGE, bytes([v]))


def each(nt, body):
    """body(t) for every thread, one segment each."""
    return b''.join(turn(t) + body(t) for t in range(nt))


def window(nt, body):
    """A PAR window: every thread runs body(t) at once (concurrent mode)."""
    return par() + each(nt, body)


SEEDS = {}

# Every thread allocates every kind, then frees its own and others' objects, queries.
SEEDS['seed-basic'] = hdr(2) + each(2, lambda t: alloc_class(1 + 7 * t) + alloc_class(20 + t, 1) + alloc_tiny(4 * t)
                                     + alloc_tiny(9) + alloc_large(3 + t) + burst(5 + t, 20)) \
    + turn(0) + free_own(1) + free_other(2) + query(3, 5) + check_own() + probe(0, 1) \
    + turn(1) + free_newest_other() + free_range(0, 4) + free_alloc(2) + query(0) + stw_check()

# Cross-thread frees, four threads, every object freed by a thread other than its
# allocator (the gated path), in windows.
SEEDS['seed-cross-free'] = hdr(4) + window(4, lambda t: burst(3 + 5 * t, 40) + burst(30 + t, 8, 1)) \
    + window(4, lambda t: b''.join(free_other(k * 7 + t) for k in range(12)) + free_newest_other() * 4) \
    + window(4, lambda t: burst(3 + 5 * t, 30) + free_newest_other() * 10) + stw_check() + gc_end(True)

# GC with marking while the others allocate (black) and free.
SEEDS['seed-gc-mark'] = hdr(3) + each(3, lambda t: burst(4 + t, 30) + alloc_large(2) + alloc_tiny(1) * 5) \
    + gc_begin() + window(3, lambda t: mark_range(t * 20, 25) + burst(4 + t, 10) + free_other(t) + alloc_tiny(5)
                          + mark(t * 3, 9) + free_own(5)) + gc_end(True) \
    + each(3, lambda t: burst(4 + t, 40) + free_own(0)) + gc_begin() + mark_range(0, 60) + gc_end(False) \
    + window(3, lambda t: burst(4 + t, 40) + sweep(2) + burst(4 + t, 40)) + gc_end(True)

# Lazy sweeping by refills beside ga_sweep in another thread.
SEEDS['seed-lazy-sweep'] = hdr(4) + window(4, lambda t: burst(2 + t, 64) + burst(2 + t, 64)) \
    + gc_begin() + mark_range(0, 30) + gc_end(False) \
    + window(4, lambda t: (sweep(0) + sweep(3)) if t == 3 else burst(2 + t, 64) + burst(2 + t, 64)) \
    + gc_end(True)

# The double-free race: two threads free the same small and large objects at once.
SEEDS['seed-race-free'] = hdr(4) + each(4, lambda t: burst(1 + 9 * t, 16) + alloc_large(t) + alloc_large(40)) \
    + b''.join(race_free(t, 32, t % 2 == 1) for t in range(8)) + stw_check() \
    + each(4, lambda t: burst(12 + t, 32) + alloc_large(t + 9)) \
    + b''.join(race_free(t * 5, 32) for t in range(8)) + gc_end(True)

# Two threads free objects of one span at once: pending_frees' increments from both
# sides (a lost update is exact-count visible).
SEEDS['seed-race-span'] = hdr(2) + each(2, lambda t: burst(1, 64) + burst(3 + t, 64) + burst(2, 64)) \
    + b''.join(race_span(t, 32) for t in range(10)) + each(2, lambda t: burst(1, 64) + burst(2, 64)) \
    + b''.join(race_span(t, 32, True) for t in range(10)) + gc_end(True)

# Frees and re-frees racing ga_sweep(h, 0) (the span gates).
SEEDS['seed-race-sweep'] = hdr(3) + each(3, lambda t: burst(1 + t, 64) + burst(8, 40) + alloc_large(t)) \
    + b''.join(race_sweep(t, 32, t % 2 == 1) + each(3, lambda u: burst(1 + u, 32)) for t in range(10)) \
    + gc_end(True)

# Shared counters from four threads at once: 32 KiB objects (one per span: every
# allocation refills and folds its statistics), large objects (counted at once), frees
# of each other's objects, exact statistics after every window.
SEEDS['seed-counters'] = hdr(4) + b''.join(
    window(4, lambda t: burst(67, 2) * 6 + alloc_large(t) * 3 + free_newest_other() * 3 + burst(66, 2) * 4)
    for _ in range(6)) + gc_end(True)

# Spans published by one thread and looked up lock-free by the others right away.
SEEDS['seed-publish'] = hdr(4) + b''.join(
    window(4, lambda t: burst(40 + t, 2) + probe(0, 1) + probe(1, 2) + free_newest_other() + alloc_large(t)
           + probe(2, 5) + free_newest_other())
    for _ in range(8)) + stw_check()

# Large objects freed by other threads while sweeps and GC run (free_large_take).
SEEDS['seed-large-cross'] = hdr(3) + window(3, lambda t: alloc_large(t * 7) * 4) + gc_begin() \
    + window(3, lambda t: mark_range(t, 3) + alloc_large(5) + free_other(t)) + gc_end(False) \
    + window(3, lambda t: free_newest_other() + sweep(0) + alloc_large(2) + free_other(1)) + gc_end(True)

# Tiny allocator per cache, greyed blocks, black tiny allocations, tiny frees refused.
SEEDS['seed-tiny'] = hdr(2) + each(2, lambda t: b''.join(alloc_tiny(v) for v in range(0, 64, 3))) + gc_begin() \
    + window(2, lambda t: alloc_tiny(8) * 5 + mark_range(0, 10) + free_bad(t, 2)) + gc_end(True) \
    + each(2, lambda t: alloc_tiny(20) * 8 + free_bad(0, 2)) + gc_end(True)

# Every bad free: interior pointers, foreign pointers, tiny objects, double frees.
SEEDS['seed-bad-frees'] = hdr(2) + each(2, lambda t: burst(10, 8) + alloc_large(1) + alloc_tiny(3)) \
    + turn(0) + b''.join(free_bad(i, k) for i in range(4) for k in range(16)) + free_range(0, 6) \
    + turn(1) + b''.join(free_bad(i, 3 + 4 * k) for i in range(12) for k in range(2)) + gc_end(True) \
    + turn(0) + b''.join(free_bad(i, 3) for i in range(20))

# Scavenging: the policy at GC, contents kept by unused, explicit scavenges.
SEEDS['seed-scavenge'] = hdr(3, scav=True, keep=True, retain=5) + each(3, lambda t: burst(50, 20) + alloc_large(50)) \
    + each(3, lambda t: free_own(0) * 12) + gc_end(True) + scavenge(3) + each(3, lambda t: burst(50, 10)) \
    + scavenge(255) + gc_end(False) + window(3, lambda t: burst(51, 10) + free_other(0) * 3)

# GA_SCAVENGE_IDLE (retain bit 6): large objects allocated and freed by every thread at
# once, so that epochs end (and pages are released) while other threads allocate.
SEEDS['seed-scavenge-idle'] = hdr(3, scav=True, retain=0x40 | 5) \
    + window(3, lambda t: alloc_large(54) * 6 + burst(50, 20)) + window(3, lambda t: free_own(0) * 6) \
    + window(3, lambda t: (alloc_large(54) + free_own(0) + burst(50, 4)) * 8) + scavenge(3) \
    + window(3, lambda t: burst(51, 10))

# Caches destroyed and recreated between windows and during the mark phase.
SEEDS['seed-cache-cycle'] = hdr(4) + window(4, lambda t: burst(6, 30) + alloc_tiny(5) * 3) + cache_cycle(1) \
    + gc_begin() + cache_cycle(2) + window(4, lambda t: burst(6, 10) + mark_range(0, 20)) + gc_end(False) \
    + cache_cycle(0) + window(4, lambda t: burst(6, 30) + free_other(3)) + gc_end(True)

# A short input with the heap's own checks after every call (deterministic mode only).
SEEDS['seed-debug'] = hdr(2, debug=True) + turn(0) + burst(3, 4) + turn(1) + free_other(0) + alloc_large(1) \
    + free_other(0) + gc_end(True)

# Long windows: everything at once from four threads, many cycles.
SEEDS['seed-mix'] = hdr(4) + b''.join(
    window(4, lambda t: burst(1 + (t * 11 + r * 5) % 67, 16) + alloc_tiny(r) * 2 + free_other(t + r) * 4
           + free_own(r) + alloc_large(r + t) + (sweep(r % 3) if t == r % 4 else b'') + probe(t, r)
           + query(t + r, r)) + (gc_begin() if r % 3 == 0 else b'')
    + window(4, lambda t: mark_range(t * 10, 12) + burst(2 + t, 8) + free_newest_other())
    + gc_end(r % 2 == 0) + race_free(r, 8) + race_span(r, 8) + race_sweep(r, 8)
    for r in range(8))

# ---- deterministic interleavings (yield points; issue 9 item 4(e)) -------------------
# Each parks one thread inside a window of a few instructions and runs another thread's
# whole job there, every run the same (threads_fuzz.c run_pair): a lost update or a
# test-then-set shows in the exact counts right after the two threads join.

# Two refills of one class flush their statistics at once: 32 KiB objects (one per
# span, a flush per allocation); thread 0 parks between nmalloc and bytes_malloc.
SEEDS['seed-yield-stats-malloc'] = hdr(2) + each(2, lambda t: alloc_class(67) + alloc_class(66)) + b''.join(
    turn(0) + pause(P_STATS_MALLOC, k % 2) + alloc_class(67 - k % 2) * 3 + turn(1) + alloc_class(67 - k % 2) * 2
    for k in range(6)) + gc_end(True)

# Two threads free the same objects; the first parks after its check of the freed bit,
# before setting it (small objects of both caches and of uncached spans, large ones).
SEEDS['seed-yield-free-set'] = hdr(2) + each(2, lambda t: burst(3 + t, 40) + alloc_large(t) * 2) \
    + cache_cycle(1) + b''.join(race_free(t, 8 + t, t % 2 == 1, FREE_SET) for t in range(6)) \
    + each(2, lambda t: burst(9, 20)) + race_free(0, 32) + gc_end(True)

# Two threads free different objects of one span; the first parks after setting its
# freed bit, before counting it in pending_frees.
SEEDS['seed-yield-free-count'] = hdr(2) + each(2, lambda t: burst(1, 64) + burst(4 + t, 64)) + cache_cycle(0) \
    + b''.join(race_span(t, 24, t % 2 == 1, FREE_COUNT) for t in range(8)) + gc_end(True)

# A re-free racing ga_sweep(h, 0): objects of uncached spans freed, then the freeing
# thread parks inside the span's gate in its first re-free while the sweep reclaims.
SEEDS['seed-yield-gate'] = hdr(2) + turn(0) + burst(5, 48) + burst(12, 24) + cache_cycle(0) + b''.join(
    race_sweep(t, 4 + t, False, FREE_SET) + turn(1) + burst(5, 16) + cache_cycle(1) for t in range(6)) \
    + gc_end(True)

# Large frees counted at once from two threads: the first parks inside count_frees
# (nfree added, bytes_free not yet) while the second frees the others; and a large free
# parked there while ga_sweep counts small reclaims.
SEEDS['seed-yield-nfree'] = hdr(2) + each(2, lambda t: alloc_large(t) * 4 + burst(7, 30)) + cache_cycle(0) \
    + cache_cycle(1) + race_free(0, 8, False, STATS_FREE) + each(2, lambda t: alloc_large(3) * 3) \
    + race_free(1, 6, False, STATS_FREE) + race_sweep(0, 12, False, STATS_FREE) + gc_end(True)


def write_seeds():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
    print('wrote %d seeds to corpus/threads_fuzz/' % len(SEEDS))


def esc(b):
    return ''.join('\\x%02x' % x for x in b)


def write_dict():
    entries = [('hdr_2threads', hdr(2)), ('hdr_4threads', hdr(4)), ('hdr_scavenge', hdr(3, scav=True, retain=10))]
    args = {OP.TURN: b'\x01', OP.ALLOC_CLASS: b'\x10\x00', OP.ALLOC_TINY: b'\x04', OP.ALLOC_LARGE: b'\x05\x00',
            OP.ALLOC_BURST: b'\x08\x00\x3f', OP.FREE_OWN: b'\x00\x00', OP.FREE_OTHER: b'\x00\x80',
            OP.FREE_RANGE: b'\x00\x00\x07', OP.FREE_BAD: b'\x00\x00\x03', OP.MARK: b'\x00\x00\x00\x00',
            OP.MARK_RANGE: b'\x00\x00\x1f', OP.SWEEP: b'\x00', OP.QUERY: b'\x00\x00\x01\x00', OP.PROBE: b'\x00\x01',
            OP.FREE_ALLOC: b'\x00\x00', OP.GC_END: b'\x01', OP.RACE_FREE: b'\x01\x1f', OP.RACE_SPAN: b'\x01\x1f',
            OP.RACE_SWEEP: b'\x01\x1f', OP.CACHE_CYCLE: b'\x01', OP.SCAVENGE: b'\xff', OP.PAUSE: b'\x02'}
    for code, _, name, nargs, _ in OP.rows:
        a = args.get(code, b'')
        entries.append(('op_' + name, OP.op(code, a)))
    entries.append(('op_par__window2', par() + turn(0) + burst(8, 64) + turn(1) + free_newest_other()))
    entries.append(('op_turn__then_free_other', turn(1) + free_newest_other()))
    entries.append(('op_gc_begin__marking', gc_begin() + mark_range(0, 32)))
    entries.append(('op_pause__stats_malloc', pause(P_STATS_MALLOC) + alloc_class(67) + turn(1) + alloc_class(67)))
    entries.append(('op_race_free__free_set', race_free(0, 8, False, FREE_SET)))
    entries.append(('op_race_span__free_count', race_span(0, 16, False, FREE_COUNT)))
    entries.append(('op_race_free__stats_free', race_free(0, 8, False, STATS_FREE)))
    print('# threads_fuzz dictionary: fuzz/gen_threads_seeds.py --dict > fuzz/threads_fuzz.dict')
    print('# op_<name>[__label]: whole operations (fuzz/threads_ops.h); hdr_*: an input header')
    for name, data in entries:
        print('%s="%s"' % (name, esc(data)))


if __name__ == '__main__':
    if sys.argv[1:] == ['--dict']:
        write_dict()
    elif not sys.argv[1:]:
        write_seeds()
    else:
        sys.exit('usage: fuzz/gen_threads_seeds.py [--dict]')
