#!/usr/bin/env python3
"""Seeds for the corrupt-check-restore op (fuzz/support/corrupt.[ch]) of heap_fuzz and
pagealloc_fuzz: each builds a small state with every kind of target (cached, listed,
swept/unswept, large spans, tiny blocks, several caches; two grown ranges, allocated,
free and dirty pages) and then runs corruptions by name.

Usage: fuzz/gen_corrupt_seeds.py [REPO]   (writes corpus/heap_fuzz/corrupt-* and
corpus/pagealloc_fuzz/corrupt-*; corruption indexes are read from corrupt.c's tables,
so regenerate the seeds whenever a table changes; op codes come from fuzz/heap_ops.h and
fuzz/pagealloc_ops.h through fuzz/fuzz_ops.py).
Byte formats: fuzz/README.md (heap_fuzz, pagealloc_fuzz, "corrupt")."""
import os
import re
import struct
import sys

sys.dont_write_bytecode = True  # no fuzz/__pycache__ from importing the module next to this script
import fuzz_ops  # noqa: E402

repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
src = open(os.path.join(repo, 'fuzz/support/corrupt.c')).read()
H = fuzz_ops.load('heap')  # op codes and argument sizes: fuzz/heap_ops.h, fuzz/pagealloc_ops.h
P = fuzz_ops.load('pagealloc')


def table(name):
    body = re.search(r'static const corruption %s\[\] = \{(.*?)\};' % name, src, re.S).group(1)
    return re.findall(r'C\((\w+)\)', body)


HEAP = table('heap_table') + table('pa_table')  # the heap op's k indexes both, heap first
PA = table('pa_table')
ESC = 0xA5  # CORRUPT_OP_BYTE


def u8(x): return bytes([x & 255])
def u16(x): return struct.pack('<H', x & 0xffff)
def u32(x): return struct.pack('<I', x & 0xffffffff)


# ---- heap_fuzz ----------------------------------------------------------------------
def op(code, args=b'', cache=0): return H.op(code, args, byte=cache << 6 | code)
def tiny(v=0, cache=0): return op(H.ALLOC_TINY, u8(v), cache)
def large(n, v=0, cache=0): return op(H.ALLOC_LARGE, u16(n) + u8(v), cache)
def burst(c, n, v=0, cache=0): return op(H.ALLOC_BURST, u8(c - 1) + u8(v) + u8(n - 1), cache)
GC_BEGIN = op(H.GC_BEGIN)
def mark_range(i, n): return op(H.MARK_RANGE, u16(i) + u8(n - 1))
def gc_end(v): return op(H.GC_END, u8(v))


def hcorrupt(name, t=0, v=0): return u8(ESC) + u8(HEAP.index(name)) + u16(t) + u8(v)


HDR = u8(0x80) + u8(0) + u16(0) + u16(0) + u16(0) + u8(0)  # 4 caches, no refusals
# 30 ops: cached spans in all 4 caches (two classes in cache 0), tiny blocks in caches
# 0 and 1, large spans, swept partial/full and unswept lists, dirty free pages (spans
# freed by the last sweep).  Corrupt ops count among the first 128.
SETUP = (burst(3, 20) + burst(10, 5, cache=1) + tiny() + tiny(cache=1) + large(1) + large(40)
         + GC_BEGIN + mark_range(0, 200) + gc_end(1)
         + burst(3, 40) + burst(20, 3, cache=1) + burst(5, 2, cache=2) + tiny(cache=2) + large(3) + large(7)
         + GC_BEGIN + mark_range(0, 20) + gc_end(0) + burst(7, 5) + burst(3, 5, cache=3)
         + GC_BEGIN + mark_range(0, 30) + gc_end(1)
         + burst(12, 3) + burst(4, 2) + tiny(4) + tiny(8, cache=1) + large(2) + large(9, cache=1))
PER_SEED = 128 - 30

# Several targets where the target decides which branch is taken (level of a summary
# entry, page of a span, head or inner list element).
HEAP_TARGETS = {'pa_parent_wrong': [0, 0x100, 0x200, 0x300], 'pa_needed_unmapped': [0, 1, 2, 3, 4],
                'pa_pending': [0, 1, 2, 3, 4], 'h_list_prev': [0, 1, 2], 'pa_leaf_wrong': [0, 5, 9],
                'pa_leaf_malformed': [0, 7, 15]}


def heap_ops():
    out = []
    for i, name in enumerate(HEAP):
        for t in HEAP_TARGETS.get(name, [i * 7]):
            out.append(hcorrupt(name, t, i % 4))  # v: ga_heap_check_locked, NULL why, both
    return out


# ---- pagealloc_fuzz -------------------------------------------------------------------
def grow(where, off, n): return P.op(P.GROW, u8(where) + u32(off) + u8(n))
def palloc(sel, x=0): return P.op(P.ALLOC, u8(sel) + u16(x))
def pfree(idx, mode=0, a=0, b=0): return P.op(P.FREE, u16(idx) + u8(mode) + u16(a) + u16(b))
def alloc_many(count, sel, x=0): return P.op(P.ALLOC_MANY, u8(count - 1) + u8(sel) + u16(x))
def scavenge(sel, x=0): return P.op(P.SCAVENGE, u8(sel) + u16(x))
def pcorrupt(name, t=0, v=0): return u8(ESC) + u8(PA.index(name)) + u16(t) + u8(v)


# two ranges far apart (2 and 3 chunks), runs allocated, some freed (free unscavenged
# pages: dirty chunks), a scavenge of part of it
PA_SETUP = (u8(0) + grow(0, 1000, 1) + grow(0, 300000, 2) + alloc_many(8, 3) + palloc(200, 700)
            + pfree(1) + pfree(4) + scavenge(1, 2))
PA_TARGETS = {'pa_parent_wrong': [0, 0x100, 0x200, 0x300], 'pa_needed_unmapped': [0, 1, 2, 3, 4, 9],
              'pa_pending': [0, 1, 2, 3, 4], 'pa_level_mapped': [0, 4], 'pa_leaf_wrong': [0, 5, 600, 1100],
              'pa_leaf_malformed': [0, 3, 7, 1100], 'pa_search_above_free': [0, 1, 300, 1023]}


def pa_ops():
    out = []
    for i, name in enumerate(PA):
        for t in PA_TARGETS.get(name, [i * 5]):
            out.append(pcorrupt(name, t, i % 4))
    return out


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


hops = heap_ops()
hdir = os.path.join(repo, 'corpus/heap_fuzz')
for k in range(0, len(hops), PER_SEED):
    write(hdir, 'corrupt-heap-%d' % (k // PER_SEED), HDR + SETUP + b''.join(hops[k:k + PER_SEED]))

pops = pa_ops()
pdir = os.path.join(repo, 'corpus/pagealloc_fuzz')
n_setup = 8
per = 64 - n_setup
for k in range(0, len(pops), per):
    write(pdir, 'corrupt-pagealloc-%d' % (k // per), PA_SETUP + b''.join(pops[k:k + per]))
# never grown: the "empty pageAlloc" corruptions (and every other one finds no target)
write(pdir, 'corrupt-pagealloc-empty', u8(0) + b''.join(pcorrupt(n, 0, i % 4) for i, n in enumerate(PA)))
# search_addr moved to the limit of the lower of two ranges: into the gap, not past the end
write(pdir, 'corrupt-pagealloc-search-gap', u8(0) + grow(0, 1000, 1) + grow(0, 300000, 2)
      + pcorrupt('pa_search_outside', 0, 0) + pcorrupt('pa_search_outside', 2, 3))

# A parked run (facts: mheap.c park): the reserve hook ignores hints, so the first large
# allocation makes the same OS calls under every build (the kernel picks the arena);
# freed and scavenged, its pages come back scavenged and the N-th call, the ga_sys_used
# of the second allocation, is refused.  Then the parked-run corruptions, a check, and
# an allocation that unparks the run.  N was 155 when the seed was first written; the
# scavenge index and address ranges added three OS calls before it, so 158 now
# (fuzz/reach.txt checks which one parks); both files stay in the corpus.
PARK = (large(100 - 5) + op(H.FREE, u16(0)) + op(H.SCAVENGE, u8(255)) + large(100 - 5)
        + b''.join(hcorrupt(n, 0, i % 4) for i, n in enumerate(
            ['h_parked_cycle', 'h_parked_elemsize', 'h_parked_indexed', 'h_parked_pages']))
        + op(H.CHECK) + large(100 - 5) + op(H.CHECK))
for name, nth in (('corrupt-heap-parked', 155), ('corrupt-heap-parked-158', 158)):
    park_hdr = u8(0x90) + u8(0x80) + u16(0) + u16(nth) + u16(0) + u8(0)  # 4 caches, nth
    write(hdir, name, park_hdr + PARK)
# Every byte range a check claims to cover (issue 9, 4(d)): the position selector
# pos = (v >> 2) << 8 | t >> 8 picks the byte, bit or slot.  One cache and one cached
# span per seed, so that t % candidates always picks it.
def at(name, pos, i): return hcorrupt(name, (pos & 255) << 8, (pos >> 8) << 2 | i % 4)


ONE = u8(0) + u8(0) + u16(0) + u16(0) + u16(0) + u8(0)  # 1 cache, no refusals
# S10 on 1024-byte slots (class 32, 2 of 8 allocated, fresh memory: needzero 0): the
# first or second free slot (pos bit 0) and bytes b = pos / 2 of the sampled head
# (b < 256) and tail (b >= 256: byte elemsize - 512 + b, 511 = the slot's last byte);
# the last free slot, byte pos; S8: each bit of alloc_cache; F1, S11: each free slot.
ops = []
for b in (0, 1, 7, 8, 255, 256, 257, 504, 510, 511):
    for second in (0, 1):
        ops.append(at('h_span_dirty_head', b << 1 | second, len(ops)))
    ops.append(at('h_span_dirty_tail', b, len(ops)))
for bit in (0, 1, 31, 32, 33, 62, 63):
    ops.append(at('h_span_alloc_cache', bit, len(ops)))
for k in range(6):
    ops += [at('h_span_freed_free_slot', k, len(ops)), at('h_span_marked_free_slot', k, len(ops))]
write(hdir, 'corrupt-heap-ranges-slot', ONE + burst(32, 2) + b''.join(ops))
# ... on a class-1 span (1024 slots of 8 bytes, 3 allocated): free slots in every
# word of the bitmaps, the last one included; S10 on each byte of an 8-byte slot.
ops = []
for k in (0, 1, 60, 61, 62, 125, 126, 500, 957, 1017, 1018, 1020):
    ops += [at('h_span_freed_free_slot', k, len(ops)), at('h_span_marked_free_slot', k, len(ops))]
for b in range(8):
    ops += [at('h_span_dirty_head', b << 1 | b & 1, len(ops)), at('h_span_dirty_tail', b, len(ops))]
for bit in (5, 40, 63):
    ops.append(at('h_span_alloc_cache', bit, len(ops)))
write(hdir, 'corrupt-heap-ranges-bits', ONE + burst(1, 3) + b''.join(ops))
# C1: a cache with spans of every other class in its slots (scan and noscan; the op
# runs among the first 128 ops only): each slot emptied, nulled, swapped with the next.
ops = []
for k in (0, 1, 33, 66, 67, 100, 130, 133):
    ops += [at('h_cache_slot_null', k, len(ops)), at('h_cache_slot_orphan', k, len(ops)),
            at('h_cache_slot_swap', k, len(ops))]
setup = b''.join(burst(c, 1, v=nos) for c in range(1, 68, 2) for nos in (0, 1))  # 68 ops
write(hdir, 'corrupt-heap-ranges-cache', ONE + setup + b''.join(ops))

# The page reclaimer's bitmaps (A2, A5) where marks exist: during the mark phase (marked
# objects, one allocated black), then after ga_gc_end without a sweep (unswept spans
# keep their marks); every corruption twice, on different targets.
RC = ['h_page_in_use_clear', 'h_page_in_use_stray', 'h_page_marks_stray', 'h_page_marks_missing']
write(hdir, 'corrupt-heap-reclaim', HDR + SETUP + GC_BEGIN + mark_range(0, 60) + large(4)
      + b''.join(hcorrupt(n, i * 3, i % 4) for i, n in enumerate(RC)) + gc_end(0)
      + b''.join(hcorrupt(n, i * 5 + 1, (i + 1) % 4) for i, n in enumerate(RC)))

# H1 through ga_heap_check (unlocked), with and without a description buffer
write(hdir, 'corrupt-heap-sweepgen-unlocked', HDR + burst(3, 10)
      + hcorrupt('h_sweepgen_odd', 0, 0) + hcorrupt('h_sweepgen_odd', 0, 2))
