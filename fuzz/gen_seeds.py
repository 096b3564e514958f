#!/usr/bin/env python3
"""Seed inputs for the page-level fuzz drivers (format: fuzz/README.md).

    fuzz/gen_seeds.py OUTDIR        writes OUTDIR/pallocbits_fuzz/ and OUTDIR/pagealloc_fuzz/

Each seed reaches one operation or edge case on purpose; the committed corpus is these
seeds plus what libFuzzer found, merged and minimised with -merge=1.  Deterministic.
Op codes and argument sizes come from fuzz/pallocbits_ops.h and fuzz/pagealloc_ops.h
(through fuzz/fuzz_ops.py); an op written with other argument sizes is an error."""
import os
import struct
import sys

sys.dont_write_bytecode = True  # no fuzz/__pycache__ from importing the module next to this script
import fuzz_ops  # noqa: E402


def u8(v): return struct.pack('<B', v & 0xff)
def u16(v): return struct.pack('<H', v & 0xffff)
def u32(v): return struct.pack('<I', v & 0xffffffff)
def u64(v): return struct.pack('<Q', v & 0xffffffffffffffff)


# ---- pallocbits_fuzz ---------------------------------------------------------------
PB = fuzz_ops.load('pallocbits')  # op codes and argument sizes: fuzz/pallocbits_ops.h
# the ops without arguments, as the bytes seeds are concatenated from
ALLOC_ALL, FREE_ALL = PB.op(PB.ALLOC_ALL), PB.op(PB.FREE_ALL)
PD_ALLOC_ALL, SUMMARIZE = PB.op(PB.PD_ALLOC_ALL), PB.op(PB.SUMMARIZE)

def setw(w, v): return PB.op(PB.SETW, u8(w) + u64(v))
def setscav(w, v): return PB.op(PB.SETSCAV, u8(w) + u64(v))
def find(n, s): return PB.op(PB.FIND, u16(n - 1) + u16(s))
def findall(s): return PB.op(PB.FINDALL, u16(s))
def arange(i, n): return PB.op(PB.ALLOC_RANGE, u16(i) + u16(n))
def frange(i, n): return PB.op(PB.FREE_RANGE, u16(i) + u16(n))
def free1(i): return PB.op(PB.FREE1, u16(i))
def popcnt(i, n): return PB.op(PB.POPCNT, u16(i) + u16(n))
def fbr64(c, n): return PB.op(PB.FBR64, u64(c) + u8(n - 1))
def decode(v): return PB.op(PB.PSUM_DECODE, u64(v))
def pack(full, s, m, e): return PB.op(PB.PSUM_PACK, u8(1 if full else 0) + u32(s) + u32(m) + u32(e))
def pdrange(i, n): return PB.op(PB.PD_ALLOC_RANGE, u16(i) + u16(n))

def merge(log_n, children):
    """children: 8 tuples (kind, a, b, c): kind 0 free, 1 full, 2 [s][x][e] layout, 3 pattern."""
    args = u8(log_n - 9)
    for kind, a, b, c in children:
        args += u8(kind) + u32(a) + u32(b) + u32(c)
    return PB.op(PB.MERGE, args)

ONES = (1 << 64) - 1

def pallocbits_seeds():
    s = {}
    s['empty_findall'] = findall(0)
    s['full_find'] = ALLOC_ALL + find(1, 0) + find(512, 0)
    s['free_all'] = ALLOC_ALL + FREE_ALL + find(512, 0)
    s['head63_findall'] = arange(0, 63) + findall(0) + findall(64)
    s['last_page_free'] = ALLOC_ALL + free1(511) + find(1, 0) + find(1, 511) + findall(448)
    s['cross_word_runs'] = (ALLOC_ALL + frange(10, 63) + frange(130, 64) + frange(250, 65) +
                            frange(449, 63) + findall(0) + findall(200) + find(59, 256))
    s['hint_past_end'] = find(1, 520) + findall(575)
    s['alternating'] = b''.join(setw(w, 0x5555555555555555) for w in range(8)) + findall(0) + popcnt(1, 510)
    s['word_patterns'] = (setw(0, 0x8000000000000001) + setw(1, 0x00ffff000000ffff) + setw(2, ONES) +
                          setw(3, 0) + setw(4, 0xfffffffe7fffffff) + findall(0) + SUMMARIZE)
    s['inner_run_62'] = ALLOC_ALL + frange(1, 62) + SUMMARIZE + find(62, 0) + find(63, 0)
    s['ranges_empty'] = arange(512, 0) + frange(0, 0) + popcnt(512, 0) + popcnt(7, 0)
    s['ranges_words'] = arange(60, 10) + frange(62, 3) + popcnt(59, 8) + arange(0, 512) + frange(64, 128)
    s['free1_edges'] = ALLOC_ALL + free1(0) + free1(63) + free1(64) + free1(511) + findall(0)
    s['fbr64'] = (fbr64(0, 1) + fbr64(ONES, 64) + fbr64(1 << 63, 1) + fbr64(0xf0, 4) + fbr64(0x0f0e, 4) +
                  fbr64(0xffffffff00000000, 33) + fbr64(0x7ffffffffffffffe, 62))
    s['psum_decode'] = decode(0) + decode(1 << 63) + decode((1 << 63) | 5) + decode(ONES) + decode(0x0008000040000200)
    s['psum_pack'] = pack(True, 0, 0, 0) + pack(False, 0, (1 << 21) - 1, 0) + pack(False, 5, 300, 7) + pack(False, 0, 0, 0)
    s['merge_free9'] = merge(9, [(0, 0, 0, 0)] * 8)
    s['merge_full9'] = merge(9, [(1, 0, 0, 0)] * 8)
    s['merge_free18'] = merge(18, [(0, 0, 0, 0)] * 8)
    s['merge_last_full18'] = merge(18, [(0, 0, 0, 0)] * 7 + [(1, 0, 0, 0)])
    s['merge_mixed9'] = merge(9, [(0, 0, 0, 0), (0, 0, 0, 0), (2, 10, 30, 20), (1, 0, 0, 0), (0, 0, 0, 0),
                                  (0, 0, 0, 0), (0, 0, 0, 0), (2, 5, 0, 0)])
    s['merge_cross9'] = merge(9, [(2, 0, 300, 0), (2, 200, 100, 0), (2, 50, 7, 60)] + [(1, 0, 0, 0)] * 5)
    s['merge_pattern9'] = merge(9, [(3, 0x12345678, 0x9abcdef0, k * 0x01010101) for k in range(8)])
    s['merge_levels'] = b''.join(merge(l, [(2, 7 * l, 11 * l, 13 * l)] * 4 + [(0, 0, 0, 0)] * 4) for l in range(9, 19))
    s['pd_alloc'] = (setscav(0, 0xff00) + setscav(1, 1) + setscav(7, 1 << 63) + pdrange(10, 60) +
                     pdrange(0, 0) + PD_ALLOC_ALL)
    s['pd_scav_masked'] = setw(2, 0xf0f0f0f0f0f0f0f0) + setscav(2, ONES) + pdrange(128, 64) + FREE_ALL + pdrange(0, 512)
    return s


# ---- pagealloc_fuzz ----------------------------------------------------------------
PA = fuzz_ops.load('pagealloc')  # op codes and argument sizes: fuzz/pagealloc_ops.h
CHECK_ALL = PA.op(PA.CHECK_ALL)  # as bytes, like the helpers below
NCHUNKS = 1 << 26
ZERO_CHUNK = NCHUNKS // 2

def grow(where, off, n=1, inject=None, k=0):
    """where: 0 absolute chunk `off`, 1 above highest, 2 below lowest, 3 next to a grown
    chunk, 4 straddling a level boundary.  inject: None, 'nth', 'after', 'limit' (the
    driver reads where % 5, bit 7 = inject, (where >> 5) % 3 = kind)."""
    w = where
    if inject is not None:
        kind = {'nth': 0, 'after': 1, 'limit': 2}[inject]
        w = next(b for b in range(0x80, 0x100) if b % 5 == where and (b >> 5) % 3 == kind)
    return PA.op(PA.GROW, u8(w) + u32(off) + u8(((k & 15) << 4) | ((n - 1) & 0x0f)))

def alloc(sel, x): return PA.op(PA.ALLOC, u8(sel) + u16(x))
def alloc_small(n): return alloc(n - 1, 0)                        # 1..16
def alloc_mid(n): return alloc(160, n - 17)                       # 17..512
def alloc_big(n): return alloc(224, n - 1)                        # 1..4096
def alloc_huge(): return alloc(255, 0xffff)
def alloc_zero(): return alloc(255, 0)                           # 0 pages
def free(idx, partial=False, a=0, b=0): return PA.op(PA.FREE, u16(idx) + u8(3 if partial else 0) + u16(a) + u16(b))
def scav_all(): return PA.op(PA.SCAVENGE, u8(0) + u16(0))
def scav_pages(n): return PA.op(PA.SCAVENGE, u8(1) + u16(n - 1))
def scav_odd(x): return PA.op(PA.SCAVENGE, u8(2) + u16(x))
def scav_zero(): return PA.op(PA.SCAVENGE, u8(3) + u16(0))
def alloc_many(count, n, sel=None, x=0): return PA.op(PA.ALLOC_MANY, u8(count - 1) + u8(n - 1 if sel is None else sel) + u16(x))
def free_many(stride): return PA.op(PA.FREE_MANY, u8(stride - 2))

def pfill(k): return PA.op(PA.PCACHE_FILL, u8(k))
def palloc(k, n): return PA.op(PA.PCACHE_ALLOC, u8(k) + u8(n - 1 if n <= 16 else 224 + n - 49))  # 1..16, 49..80
def pflush(k): return PA.op(PA.PCACHE_FLUSH, u8(k))

def pagealloc_seeds():
    s = {}
    N = b'\x00'
    for k in range(8):
        s['init_fail_%d' % k] = u8(0x80 | k) + grow(0, 1000)
    s['grow_alloc_free'] = N + grow(0, 12345) + alloc_small(1) + alloc_small(16) + free(0) + alloc_small(2)
    # Offset chunk 0 is refused since the scavenge index took it for "none" (EINVAL):
    # chunk_zero now checks that refusal; chunk_one is the lowest chunk a heap can have.
    s['chunk_zero'] = N + grow(0, 0) + alloc_mid(512) + alloc_small(1) + free(0)
    s['chunk_one'] = N + grow(0, 1) + alloc_mid(512) + alloc_small(1) + free(0)
    s['chunk_top'] = N + grow(0, NCHUNKS - 1) + alloc_small(3) + alloc_big(600)
    s['zero_address'] = N + grow(0, ZERO_CHUNK) + grow(0, ZERO_CHUNK - 1) + grow(0, ZERO_CHUNK - 2, 4) + grow(0, ZERO_CHUNK + 1)
    s['overlap'] = N + grow(0, 5000, 4) + grow(0, 5002) + grow(0, 4998, 3)
    s['coalesce_above'] = N + grow(0, 7000, 2) + grow(1, 0) + grow(1, 0, 2) + alloc_big(2000) + free(0, True, 100, 900)
    s['coalesce_below'] = N + grow(0, 7000) + grow(2, 0) + grow(2, 0, 3) + alloc_big(1500)
    s['fill_gap'] = N + grow(0, 9000) + grow(0, 9002) + grow(3, 0) + grow(3, 1 << 16) + alloc_big(1536) + scav_all()
    s['gaps'] = N + grow(0, 9000) + grow(1, 1) + grow(1, 2) + alloc_big(600) + alloc_big(1024) + alloc_huge()
    s['level_edges'] = N + b''.join(grow(4, (j << 2) | lvl, 2) for lvl in range(4) for j in (1, 3)) + alloc_big(1024) + alloc_mid(300)
    s['far_apart'] = N + grow(0, 1) + grow(0, 1 << 20) + grow(0, NCHUNKS - 2) + grow(0, 3 << 24) + alloc_big(513) + alloc_many(8, 3)
    s['multi_chunk_runs'] = N + grow(0, 20000, 8) + alloc_big(4096) + free(0, True, 511, 2) + alloc_small(2) + alloc_big(3000)
    s['partial_frees'] = N + grow(0, 30000, 2) + alloc_big(700) + free(0, True, 0, 10) + free(0, True, 5, 1) + free(1, True, 600, 99)
    s['search_hint'] = N + grow(0, 40000) + alloc_many(32, 16) + free(3) + free(10) + alloc_small(1) + alloc_small(16) + alloc_mid(17)
    s['fill_chunk'] = N + grow(0, 41000) + alloc_many(32, 16) + alloc_small(1) + alloc_huge() + free_many(2) + alloc_many(16, 16)
    s['scavenge'] = (N + grow(0, 50000, 2) + alloc_big(900) + free(0, True, 100, 300) + scav_pages(1) + scav_pages(50) +
                     scav_odd(100) + scav_zero() + scav_all() + alloc_big(1024))
    s['scavenge_order'] = (N + grow(0, 51000) + grow(0, 52000) + alloc_many(32, 16) + free_many(3) + alloc_big(512) +
                           free(0) + scav_pages(3) + scav_pages(100) + scav_all())
    for kind in ('nth', 'after', 'limit'):
        for k in range(4):
            s['oom_%s_%d' % (kind, k)] = (N + grow(0, 60000) + grow(0, 60000 + 4096 * (k + 1), 2, kind, k) +
                                          grow(0, 1 << 25 | 7 << 20, 1, kind, k) + alloc_big(1024) + grow(1, 0) + alloc_big(1024))
    s['check_all'] = N + grow(0, 70000, 3) + alloc_big(1000) + CHECK_ALL + free(0) + CHECK_ALL
    s['free_many'] = N + grow(0, 80000, 2) + alloc_many(32, 5) + free_many(2) + free_many(5) + alloc_many(20, 9) + scav_all()
    # 0-page alloc and free (nothing remembered yet) change nothing.
    s['empty_requests'] = N + free(0) + grow(0, 90000) + alloc_zero() + alloc_small(1) + alloc_zero() + free(0) + free(0)
    # Chunks 91000 and 92000 (one level-0 entry, level-1 entries 177 and 179): the first
    # keeps 2 free pages, too few for 100, so find passes over a free entry before the run.
    s['window_skip'] = N + grow(0, 91000) + grow(0, 92000) + alloc_mid(510) + alloc_mid(100) + alloc_small(2)
    # A grow over the boundary of two chunk-bitmap blocks (8192 chunks each): both blocks
    # are new, the 12th call after it starts (the second block) is refused, and the
    # rollback gives back the first block (k = 12 found by replaying k = 0..15).
    s['l2_rollback'] = N + grow(0, 16383, 2, 'after', 12) + grow(0, 16383, 2) + alloc_big(1024)
    # Spread grows (GROW mode 0, off bits 26-31 set): 280 separate ranges (in_use outgrows
    # its first page at 257; chunks grown twice refused; odd chunks join three ranges),
    # then allocations, frees, scavenging over them; and a whole level-0 entry (4096
    # chunks) grown by 16 spreads of 256 touching chunks, free at the op-16 check.
    def spread(ci0, n, step=2):
        return PA.op(PA.GROW, u8(0) + u32((0x3f << 26) | ((step - 1) << 24) | ci0) + u8(n - 1))
    s['spread_257_ranges'] = (N + spread(0x1000, 256) + spread(0x1000, 4) + spread(0x1001, 3) + spread(0x1201, 20, 3)
                              + alloc_many(32, 4) + alloc_mid(300 + 17) + alloc_mid(32) + alloc_many(8, 0, 170, 600)
                              + alloc(250, 1) + free(0) + free(3, True, 1, 0)
                              + free_many(2) + scav_all() + scav_pages(41) + alloc_many(32, 16) + CHECK_ALL)
    s['spread_level0_free'] = (N + b''.join(spread(0x400000 + 256 * j, 256, 1) for j in range(16))
                               + alloc(240, 4095) + alloc_small(4) + spread(0x401000, 2, 1)
                               + alloc(250, 2000) + free(0) + scav_odd(999) + CHECK_ALL)
    # Page caches (issue 11).  basic: a fresh block (all scavenged), 1, 16 and then 64
    # pages (too many now), pageAlloc allocating past the cached block, flush and reuse.
    s['pcache_basic'] = (N + grow(0, 100000, 2) + pfill(0) + palloc(0, 1) + palloc(0, 16) + palloc(0, 64)
                         + alloc_small(3) + pflush(0) + alloc_small(1) + palloc(0, 1) + free(0) + CHECK_ALL)
    # mixed: dirty and scavenged free pages in the blocks taken; the scavenger runs while
    # they are cached (it must not see them) and after the flushes (it must find them).
    s['pcache_mixed'] = (N + grow(0, 101000) + alloc_mid(200) + free(0, True, 3, 40) + scav_pages(10)
                         + pfill(1) + pfill(2) + palloc(1, 5) + palloc(1, 2) + scav_all() + pflush(1) + pflush(2)
                         + scav_all() + alloc_many(4, 16) + CHECK_ALL)
    # tree: the fill takes a chunk's last block, so the hint's chunk has no free page
    # and the next fill searches the tree; full: no free page at all (empty cache, hint
    # exhausted), refill after a free, a refill of a non-empty slot, runs beyond 64.
    s['pcache_tree'] = (N + grow(0, 102000, 2) + alloc_mid(448) + pfill(0) + pfill(1) + palloc(1, 64)
                        + pflush(0) + pfill(0) + CHECK_ALL)
    s['pcache_full'] = (N + grow(0, 103000) + alloc_mid(512) + pfill(0) + pflush(3) + free(0) + pfill(0) + pfill(0)
                        + palloc(0, 80) + palloc(0, 64) + pfill(2) + pflush(0) + CHECK_ALL)
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'seeds'
    for name, seeds in (('pallocbits_fuzz', pallocbits_seeds()), ('pagealloc_fuzz', pagealloc_seeds())):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        for k, v in sorted(seeds.items()):
            with open(os.path.join(d, 'seed_' + k), 'wb') as f:
                f.write(v)
        print('%s: %d seeds in %s' % (name, len(seeds), d))


if __name__ == '__main__':
    main()
