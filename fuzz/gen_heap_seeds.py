#!/usr/bin/env python3
"""Seed inputs for heap_fuzz, mspan_fuzz and sizeclass_fuzz (byte formats in
fuzz/README.md).  Writes corpus/<driver>/seed-<name>; existing seed files are
overwritten, other files are left alone.  Deterministic: no randomness.

    fuzz/gen_heap_seeds.py [corpus-root]     (default: corpus/ next to fuzz/)
    fuzz/gen_heap_seeds.py --dict            (prints fuzz/heap_fuzz.dict)

Op codes and argument sizes come from fuzz/heap_ops.h, mspan_ops.h and sizeclass_ops.h
(through fuzz/fuzz_ops.py); an op written with other argument sizes is an error.
"""
import os
import struct
import sys

sys.dont_write_bytecode = True  # no fuzz/__pycache__ from importing the module next to this script
import fuzz_ops  # noqa: E402

# ---- heap_fuzz --------------------------------------------------------------------
OP = fuzz_ops.load('heap')  # op codes and argument sizes: fuzz/heap_ops.h

F_DEBUG, F_SCAV_ON_GC, F_KEEP_UNUSED, F_LIMIT, F_NTH, F_AFTER, F_HOOKMAP, F_4CACHES = (
    1, 2, 4, 8, 16, 32, 64, 128)
NOSCAN, NOZERO = 1, 2


def header(flags=F_4CACHES, retain=0, limit=0, nth=0, after=0, hookmap=0):
    return bytes([flags, retain]) + struct.pack('<HHHB', limit, nth, after, hookmap)


class Ops:
    def __init__(self):
        self.b = bytearray()

    def op(self, code, cache=0, *args):
        """Op `code` on cache `cache` (op byte (cache << 6) | code); each argument is
        bytes or one byte's value; their total must match fuzz/heap_ops.h."""
        a = b''.join(x if isinstance(x, (bytes, bytearray)) else bytes([x]) for x in args)
        self.b += OP.op(code, a, byte=(cache << 6) | code)
        return self

    def u16(self, v):
        return struct.pack('<H', v & 0xffff)

    # size variant: 0 exact, 1 size+1, 2 prev+1, 3 size-1, 4+ inside
    def alloc_class(self, c, variant=0, flags=0, cache=0):
        return self.op(OP.ALLOC_CLASS, cache, (c - 1) % 67, ((variant << 2) | flags) & 0xff)

    def tiny(self, size, nozero=False, cache=0):
        return self.op(OP.ALLOC_TINY, cache, (((size - 1) << 2) | (2 if nozero else 0)) & 0xff)

    def size(self, s, flags=0, cache=0):
        return self.op(OP.ALLOC_SIZE, cache, self.u16(s), flags)

    def large(self, pages, delta=0, flags=0, cache=0):  # shift 0: pages exact
        return self.op(OP.ALLOC_LARGE, cache, self.u16(pages - 5), ((delta << 2) | flags) & 0x0f)

    def burst(self, c, n, variant=0, flags=0, cache=0):
        return self.op(OP.ALLOC_BURST, cache, (c - 1) % 67, ((variant << 2) | flags) & 0xff, (n - 1) % 64)

    def odd(self, k, cache=0):
        return self.op(OP.ALLOC_ODD, cache, k)

    def free(self, i, cache=0):
        return self.op(OP.FREE, cache, self.u16(i))

    def free_range(self, i, n, cache=0):
        return self.op(OP.FREE_RANGE, cache, self.u16(i), (n - 1) % 32)

    def free_interior(self, i, off, cache=0):
        return self.op(OP.FREE_INTERIOR, cache, self.u16(i), self.u16(off))

    def free_any(self, i, cache=0):
        return self.op(OP.FREE_ANY, cache, self.u16(i))

    def free_foreign(self, k, cache=0):
        return self.op(OP.FREE_FOREIGN, cache, k)

    def query(self, i, off):
        return self.op(OP.QUERY, 0, self.u16(i), self.u16(off))

    def gc_begin(self):
        return self.op(OP.GC_BEGIN)

    def mark(self, i, off=0):
        return self.op(OP.MARK, 0, self.u16(i), self.u16(off))

    def mark_range(self, i, n):
        return self.op(OP.MARK_RANGE, 0, self.u16(i), (n - 1) & 0xff)

    def mark_junk(self, i, k):
        return self.op(OP.MARK_JUNK, 0, self.u16(i), k)

    def gc_end(self, full_sweep=True):
        return self.op(OP.GC_END, 0, 1 if full_sweep else 0)

    def sweep(self, budget):
        return self.op(OP.SWEEP, 0, budget)

    def resize(self, i, n, cache=0):  # n bit 15: shrink
        return self.op(OP.RESIZE, cache, self.u16(i), self.u16(n))

    def scavenge(self, v):
        return self.op(OP.SCAVENGE, 0, v)

    def cache_new(self, c):
        return self.op(OP.CACHE_NEW, c)

    def cache_destroy(self, c):
        return self.op(OP.CACHE_DESTROY, c)

    def check(self):
        return self.op(OP.CHECK)

    def free_alloc(self, i, cache=0):
        return self.op(OP.FREE_ALLOC, cache, self.u16(i))


def heap_seeds():
    s = {}

    o = Ops()  # every class, every size variant, scan and noscan, on all four caches
    for c in range(1, 68):
        for v in range(5):
            o.alloc_class(c, v, (c + v) & 3, cache=(c + v) % 4)
    for i in range(0, 335, 5):  # usable size, object base, span tails of one-page classes
        o.query(i, 7 * i + 1)
    o.check()
    s['classes'] = header() + o.b

    o = Ops()  # tiny allocator: every size, alignment, block changes; 16 B noscan
    for i in range(40):
        o.tiny(1 + (i * 7) % 15, nozero=i % 3 == 0, cache=i % 2)
    o.size(16, NOSCAN).size(16, NOSCAN | NOZERO).size(15, NOSCAN).size(8, NOSCAN)
    o.query(0, 0).query(3, 5).free(1).free_interior(2, 3).free_any(0).check()
    s['tiny'] = header() + o.b

    o = Ops()  # large objects: boundaries, free, reuse with and without zeroing
    o.size(32768).size(32769).size(40960).size(40961)
    o.large(5).large(6, 1).large(9, 2).large(16, 3).large(300).large(1000, 0, NOSCAN)
    o.free(1).free(2).free(3).large(9, 0, NOZERO).large(5, 2, NOSCAN | NOZERO)
    o.free_range(0, 8).large(4000).query(0, 12345).free(0).large(12).check()
    s['large'] = header() + o.b

    o = Ops()  # erroneous frees of every kind
    o.burst(3, 20).burst(20, 10).tiny(3).large(7)
    o.free(0).free_any(0).free_any(0).free_interior(4, 9).free_interior(31, 100)
    for k in range(12):
        o.free_foreign(k)
    o.odd(0).free_any(32).free_range(0, 32).free_any(5).check()
    s['free-errors'] = header() + o.b

    o = Ops()  # a GC cycle: marks, black allocation, exact statistics after full sweep
    o.burst(2, 50).burst(10, 30, 0, NOSCAN).large(6).large(20, 0, NOSCAN)
    for i in range(20):
        o.tiny(1 + i % 15)
    o.gc_begin().mark_range(0, 20).mark(40, 7).mark(70, 3).mark(100, 1)
    o.alloc_class(7).tiny(5).tiny(9).large(8).mark_junk(0, 0).mark_junk(3, 1).mark_junk(10, 6)
    o.free(2).gc_end(True)
    o.burst(2, 64).burst(10, 30).check().gc_begin().gc_end(True).check()
    s['gc'] = header() + o.b

    o = Ops()  # lazy sweeping: gc_end without a sweep, budgeted sweeps, refills sweep
    o.burst(1, 64).burst(1, 64).burst(4, 64).burst(30, 20).large(5)
    o.gc_begin().mark_range(10, 50).gc_end(False)
    o.sweep(1).burst(1, 64).sweep(3).burst(4, 64).sweep(0).check()
    o.gc_end(False).burst(30, 40).free_range(0, 30).sweep(2).check()
    s['gc-lazy'] = header() + o.b

    o = Ops()  # scavenger: explicit, then on GC with a retain percentage
    o.large(100).large(200).large(50).burst(40, 30)
    o.free_range(0, 3).scavenge(1).scavenge(16).scavenge(255).large(120).large(30, 0, NOZERO)
    o.gc_begin().mark_range(0, 5).gc_end(True).scavenge(255).large(60).check()
    s['scavenge'] = header(F_4CACHES | F_SCAV_ON_GC, retain=10) + o.b
    s['scavenge-keep'] = header(F_4CACHES | F_KEEP_UNUSED) + o.b
    # ga_resize_in_place: the newest large object grows over the free pages after it (and
    # the heap's top), an older one cannot (its neighbour is live), then can once the
    # neighbour is freed; objects shrink (to one page, too); a small object never
    # resizes.  Program indexes: objects are appended, so the last allocated is n-1.
    g = Ops().large(20).large(30).large(10)
    g.resize(2, 100).resize(2, 600).resize(0, 3).free(1).resize(0, 50).size(100).resize(2, 7).check()
    g.large(200).resize(3, 2047).scavenge(255).resize(3, 40).resize(3, 0x8000 | 300).resize(0, 0x8000 | 2047)
    g.resize(1, 0x8000 | 5).large(8).resize(3, 0x8000).scavenge(254).check()
    s['resize'] = header(F_4CACHES) + g.b
    # GA_SCAVENGE_IDLE (retain bit 6): the same, then large objects freed and taken
    # again (never released: each epoch saw them in use), then left idle through two
    # epochs of ticks (scavenge 254), which must release them down to retain.
    o.free_range(0, 8).large(300).large(40).free_range(0, 8).large(300).scavenge(254)
    o.free_range(0, 8).scavenge(254).burst(40, 30).scavenge(254).check()
    s['scavenge-idle'] = header(F_4CACHES | F_SCAV_ON_GC, retain=0x40 | 10) + o.b

    o = Ops()  # caches come and go, objects outlive them
    for c in range(4):
        o.burst(5 + c, 20, cache=c).tiny(3, cache=c)
    o.cache_destroy(1).cache_destroy(3).free_range(0, 10, cache=2).cache_new(1)
    o.burst(5, 30, cache=1).gc_begin().cache_destroy(0).mark_range(0, 30).tiny(4, cache=2)
    o.gc_end(True).cache_new(0).cache_new(3).burst(6, 40, cache=3).check()
    s['caches'] = header() + o.b

    o = Ops()  # churn: free then allocate again
    o.burst(12, 64).burst(33, 20).large(7)
    for i in range(60):
        o.free_alloc(i * 5)
    o.check()
    s['churn'] = header() + o.b

    o = Ops()  # gc_end without gc_begin: nothing marked, everything goes
    o.burst(8, 30).tiny(5).large(9).gc_end(True).burst(8, 30).check()
    s['gc-nobegin'] = header() + o.b

    work = Ops()
    work.burst(3, 40).large(10).large(300).tiny(7).burst(50, 10).gc_begin().mark_range(0, 20)
    work.large(40).gc_end(True).burst(60, 10).large(2000).scavenge(255).large(500).check()
    for n in (1, 2, 3, 5, 8, 9, 13, 21, 30, 45):
        s[f'refuse-nth-{n}'] = header(F_4CACHES | F_NTH, nth=n) + work.b
    for n in (3, 10, 20):
        s[f'refuse-after-{n}'] = header(F_4CACHES | F_AFTER, after=n) + work.b
    for mb in (0, 1, 4, 16, 64):
        s[f'limit-{mb}mb'] = header(F_4CACHES | F_LIMIT, limit=mb * 16) + work.b
    for k in (1, 2, 4, 7):
        s[f'hookmap-{k}'] = header(F_4CACHES | F_HOOKMAP, hookmap=k) + work.b
    # hookmap bit 7: the used hook refuses (bits 5-6 = 0; ga_sys_used, and ga_sys_alloc's
    # used step), the reserve hook refuses (1; init's and the arenas' reservations), the
    # unused hook reports an error the allocator only counts (2).
    for k in (1, 2, 3, 4, 6, 10, 15, 20):
        s[f'hookused-{k}'] = header(F_4CACHES | F_HOOKMAP, hookmap=0x80 | k) + work.b
    for k in (1, 2, 7, 8, 9, 10):
        s[f'hookreserve-{k}'] = header(F_4CACHES | F_HOOKMAP, hookmap=0xa0 | k) + work.b
    for k in (1, 3):
        s[f'hookunused-err-{k}'] = header(F_4CACHES | F_HOOKMAP, hookmap=0xc0 | k) + work.b
    s['debug'] = header(F_DEBUG | F_4CACHES) + work.b
    s['ignore-hints'] = header(F_4CACHES, retain=0x80) + work.b
    s['one-cache'] = header(0) + work.b
    # hookmap bit 0 without F_HOOKMAP: no page caches (every span under the heap lock).
    s['no-page-cache'] = header(F_4CACHES, hookmap=1) + work.b
    s['no-page-cache-debug'] = header(F_DEBUG | F_4CACHES, hookmap=1) + work.b
    s['odd-sizes'] = header() + Ops().odd(0).odd(1).odd(2).odd(3).odd(4).odd(5).odd(6).check().b

    # Sizes 2^47 and 2^48 fit no reservation (every arena hint is refused before the
    # OS is asked, then the kernel refuses); 64 MiB + 1 spans two arenas.  The foreign
    # pointer 27 is non-canonical, beyond the arena index.
    o = Ops().odd(7).odd(8).odd(9).tiny(3).free_foreign(27).free(0).gc_begin()
    o.mark_junk(0, 2 * 27 + 1).gc_end(True).odd(9).check()
    s['odd-huge'] = header() + o.b
    # The same two-arena grow refused at the second arena record (found by replaying
    # nth = 1..40 under coverage): the record already taken is given back.  It was OS
    # call 13 when written; the scavenge index's reservation made it 14 (the nth-13 file
    # stays: it now refuses the first record).  The same shift gave the refuse-nth,
    # hookused and hookreserve lists their 9, 15, 8 and 10 (fuzz/reach.txt says why).
    s['two-arenas-refused'] = header(F_4CACHES | F_NTH, nth=13) + Ops().odd(9).odd(9).check().b
    s['two-arenas-refused-14'] = header(F_4CACHES | F_NTH, nth=14) + Ops().odd(9).odd(9).check().b

    # More than one span of tiny blocks (512 per span): the tiny span is refilled;
    # after a GC that marks nothing the blocks die, and the pages come back dirty.
    o = Ops()
    for i in range(600):
        o.tiny(15, nozero=i % 2 == 1)
    o.gc_end(True)
    for i in range(600):
        o.tiny(15)
    o.check()
    s['tiny-refill'] = header(0) + o.b

    # NULL arguments: ga_cache_new(NULL) when the slot is taken, ga_cache_destroy(NULL)
    # when it is empty, ga_free(NULL, p) on every FREE_FOREIGN.
    o = Ops().cache_new(0).cache_destroy(1).cache_destroy(1).cache_new(1).free_foreign(0).check()
    s['null-args'] = header() + o.b
    # Exact accounting and the scavenger's goal (heap_fuzz.c, "exact memory accounting",
    # check_scavenge_goal): a heap of several MiB, half of it dropped at a GC under
    # GA_SCAVENGE_ON_GC, so that ga_gc_end releases the excess over retain_percent of
    # a heap_inuse of MiBs (a percent of it is pages); then the released pages reused.
    for name, retain in (('scavenge-goal', 10), ('scavenge-goal-retain-37', 37)):
        o = Ops()
        for k in range(16):
            o.large(64 + k, 0, NOSCAN if k % 2 else 0)
        o.burst(30, 64).burst(44, 40)
        o.gc_begin()
        for k in range(0, 16, 2):
            o.mark(k, 9)
        o.mark_range(16, 30)
        o.gc_end(False).check()
        for k in range(6):
            o.large(40 + k)  # reuses released pages: heap_released must fall
        o.burst(30, 64).check().gc_begin().mark_range(0, 40).gc_end(True).check()
        s[name] = header(F_SCAV_ON_GC, retain) + o.b
    # The same goal since the page reclaimer (issue 11): the large allocations after
    # gc_end(False) first reclaim the dead large spans, whose 64..87-page holes the
    # 40..45-page objects above now fill, so that seed's second cycle finds too little
    # to release to need more than a chunk.  Objects of 100.. pages fit no hole: they
    # still take released pages (heap_released falls), and with 24 objects dropped the
    # second ga_gc_end releases more than a chunk's worth.
    o = Ops()
    for k in range(24):
        o.large(64 + k, 0, NOSCAN if k % 2 else 0)
    o.burst(30, 64).burst(44, 40)
    o.gc_begin()
    for k in range(0, 24, 2):
        o.mark(k, 9)
    o.mark_range(24, 30)
    o.gc_end(False).check()
    for k in range(6):
        o.large(100 + k)
    o.burst(30, 64).check().gc_begin().mark_range(0, 40).gc_end(True).check()
    s['scavenge-goal-reclaim'] = header(F_SCAV_ON_GC, 10) + o.b
    # The page reclaimer (issue 11, alloc/reclaim.c): a cycle leaves dead large and
    # small spans unswept (some marked: skipped); ga_sweep(1) frees one, which becomes
    # reclaim credit; a small large allocation takes that credit, a big one scans the
    # chunk and sweeps the dead spans before the heap grows; refills then find the
    # reclaimer done for the cycle.
    o = Ops()
    for k in range(12):
        o.large(20 + k)
    for _ in range(6):
        o.burst(40, 64)
    o.gc_begin().mark(0, 5).mark(3, 0).mark_range(20, 10).gc_end(False)
    o.sweep(1).large(8).large(200).burst(40, 64).burst(40, 64).check()
    s['reclaim'] = header(0) + o.b
    # An empty span must go back to the heap: objects freed, then their span uncached
    # (cache destroyed: free sweep in uncache) or swept by ga_sweep(h, 0) (frees after
    # the span left the cache); exact heap_inuse after the full sweep.
    o = Ops()
    o.burst(20, 64).burst(33, 20).free_range(0, 32).free_range(0, 32).free_range(0, 32)
    o.cache_destroy(0).sweep(0).check()
    s['empty-span-uncache'] = header(0) + o.b
    o = Ops()
    o.burst(20, 64).burst(33, 20).cache_destroy(0)
    o.free_range(0, 32).free_range(0, 32).free_range(0, 32).sweep(0).check()
    s['empty-span-sweep'] = header(0) + o.b
    return s


# ---- mspan_fuzz ---------------------------------------------------------------------
# objects per span, classes 1..67 (Go's runtime/sizeclasses.go); selector 0 = a large span (1)
NELEMS = [1, 1024, 512, 341, 256, 170, 128, 102, 85, 73, 64, 56, 51, 46, 42, 39, 36, 34, 32, 28, 25,
          23, 21, 19, 18, 17, 16, 14, 12, 11, 10, 9, 8, 7, 6, 11, 5, 9, 4, 7, 3, 8, 5, 7, 2, 5, 3, 4,
          5, 6, 7, 1, 6, 5, 4, 3, 2, 3, 4, 1, 4, 3, 2, 3, 1, 3, 2, 1]


def mspan_seeds():
    M = fuzz_ops.load('mspan')  # fuzz/mspan_ops.h
    s = {}
    # bitmaps (mode:u8 ...): 1 all free, 2 all allocated, 3 runs (k:u8, k x start:u16 len:u8)
    ops = (M.op(M.FAST_NEXT) * 5 + M.op(M.NEXT) + M.op(M.FAST) + M.op(M.REFILL, b'\x00')
           + M.op(M.COUNT, b'\x01') + M.op(M.SWEEP, b'\x01') + M.op(M.RESET, bytes([2, 3, 0]))
           + M.op(M.DRAIN, bytes([20])) + M.op(M.SWEEP, bytes([3, 2, 5, 0, 9, 0])) + M.op(M.DRAIN, bytes([200]))
           + M.op(M.COUNT, bytes([2])))
    for sel in (1, 2, 3, 10, 17, 35, 51, 67, 0):
        nbytes = (NELEMS[sel] + 7) // 8
        s[f'class{sel}-raw'] = bytes([sel, 0]) + bytes((i * 37) & 0xff for i in range(nbytes)) + \
            struct.pack('<H', 5) + ops
        s[f'class{sel}-ones'] = bytes([sel, 2]) + struct.pack('<H', 0) + ops
        s[f'class{sel}-runs'] = bytes([sel, 3, 3]) + struct.pack('<HB', 10, 60) + \
            struct.pack('<HB', 63, 2) + struct.pack('<HB', 127, 200) + struct.pack('<H', 62) + ops
    return s


# ---- sizeclass_fuzz -------------------------------------------------------------------
def sizeclass_seeds():
    K = fuzz_ops.load('sizeclass')  # record kinds: fuzz/sizeclass_ops.h
    rec = lambda k, v: K.op(k, struct.pack('<I', v))
    s = {}
    s['sizes'] = b''.join(rec(K.SIZE, v) for v in (0, 7, 8, 15, 1023, 1024, 1025, 32767, 32766))
    s['boundaries'] = b''.join(rec(K.BOUNDARIES, c) for c in range(67))
    s['div'] = b''.join(rec(K.DIV, c | (off << 8)) for c in range(67) for off in (0, 1, 8191, 0xffff))
    s['rows'] = b''.join(rec(K.ROW, c) for c in range(67))
    s['slots'] = b''.join(rec(K.SLOT, c | (i << 8)) for c in range(68) for i in (0, 7))
    return s


def heap_dict():
    """libFuzzer/AFL++ dictionary: one complete operation per entry, on cache 0 (the
    fuzzer changes the top two bits of the op byte for the others).  Entry names:
    op_<name of the first op in fuzz/heap_ops.h>[__label] for whole operations (checked
    by tests/test_fuzz_tables.c), hdr_* for input headers."""
    def esc(b):
        return ''.join('\\x%02x' % x for x in b)
    out = ['# libFuzzer / AFL++ dictionary for heap_fuzz (format: fuzz/README.md, "heap_fuzz").',
           '# Generated by fuzz/gen_heap_seeds.py --dict.  One whole operation per entry:',
           '# op_<op>[__label] (ops: fuzz/heap_ops.h; checked by tests/test_fuzz_tables.c).']
    def e(name, b):
        out.append('%s="%s"' % (name, esc(b)))
    def op(ops, label=None):  # named after its first op
        e('op_' + OP.name(ops.b[0] & 63) + ('__' + label if label else ''), ops.b)
    e('hdr_4caches', header())
    e('hdr_debug', header(F_DEBUG | F_4CACHES))
    e('hdr_scav_on_gc', header(F_4CACHES | F_SCAV_ON_GC, retain=10))
    e('hdr_scav_idle', header(F_4CACHES | F_SCAV_ON_GC, retain=0x40 | 10))
    e('hdr_keep_unused', header(F_4CACHES | F_KEEP_UNUSED))
    e('hdr_no_page_cache', header(F_4CACHES, hookmap=1))
    e('hdr_nth', header(F_4CACHES | F_NTH, nth=7))
    e('hdr_after', header(F_4CACHES | F_AFTER, after=12))
    e('hdr_limit', header(F_4CACHES | F_LIMIT, limit=64))
    e('hdr_hookmap', header(F_4CACHES | F_HOOKMAP, hookmap=3))
    for c in (1, 2, 3, 5, 10, 26, 32, 35, 44, 51, 60, 67):
        op(Ops().alloc_class(c), '%d' % c)
        op(Ops().alloc_class(c, 1), '%d_plus1' % c)
        op(Ops().alloc_class(c, 2), '%d_min' % c)
    for size in (1, 3, 8, 12, 15):
        op(Ops().tiny(size), '%d' % size)
    for size in (16, 32768, 32769, 65535):
        op(Ops().size(size, NOSCAN), '%d_noscan' % size)
    for pages in (5, 8, 64, 512, 4096):
        op(Ops().large(pages), '%d' % pages)
    op(Ops().op(OP.ALLOC_LARGE, 0, b'\xfb\x0f', 0x01), 'huge')
    op(Ops().burst(4, 64))
    for k in range(10):
        op(Ops().odd(k), '%d' % k)
    op(Ops().free(0))
    op(Ops().free_range(0, 32))
    op(Ops().free_interior(0, 1))
    op(Ops().free_any(0))
    op(Ops().free_foreign(2))
    op(Ops().query(0, 5))
    op(Ops().gc_begin())
    op(Ops().mark(0, 3))
    op(Ops().mark_range(0, 64))
    op(Ops().mark_junk(0, 2))
    op(Ops().gc_end(True), 'sweep')
    op(Ops().gc_end(False), 'lazy')
    op(Ops().sweep(1), '1')
    op(Ops().sweep(0), 'all')
    op(Ops().scavenge(255), 'all')
    op(Ops().scavenge(1), '64k')
    op(Ops().scavenge(254), 'ticks')
    op(Ops().resize(0, 64), 'grow')
    op(Ops().resize(0, 0x8000 | 64), 'shrink')
    op(Ops().cache_new(3), '3')
    op(Ops().cache_destroy(1), '1')
    op(Ops().check())
    op(Ops().free_alloc(0))
    op(Ops().gc_begin().mark_range(0, 16).gc_end(True), 'cycle')  # three ops
    e('corrupt', b'\xa5\x00\x00\x00\x00')  # corrupt-check-restore (support/corrupt.h)
    return '\n'.join(out) + '\n'


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--dict':
        sys.stdout.write(heap_dict())
        return
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus')
    for driver, seeds in (('heap_fuzz', heap_seeds()), ('mspan_fuzz', mspan_seeds()),
                          ('sizeclass_fuzz', sizeclass_seeds())):
        d = os.path.join(root, driver)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, 'seed-' + name), 'wb') as f:
                f.write(data)
        print(f'{driver}: {len(seeds)} seeds in {d}')


if __name__ == '__main__':
    main()
