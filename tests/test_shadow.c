/* The shadow heap tests itself (fuzz/shadow.c, through its interface fuzz/shadow.h):
 * class table, search tree, overlap queries, tiny model, state transitions, patterns.
 * Expected values are computed by hand (comments show the arithmetic); no allocator
 * code is involved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow.h"
#include "support/check.h"

static void test_classes(void) {
    CHECK_EQ(sh_size_class(0), 0);
    CHECK_EQ(sh_size_class(1), 1); /* 8 */
    CHECK_EQ(sh_size_class(8), 1);
    CHECK_EQ(sh_size_class(9), 2);  /* 16 */
    CHECK_EQ(sh_size_class(17), 3); /* 24 */
    CHECK_EQ(sh_size_class(25), 4); /* 32 */
    CHECK_EQ(sh_size_class(33), 5); /* 48 */
    CHECK_EQ(sh_size_class(1024), 32);
    CHECK_EQ(sh_size_class(1025), 33); /* 1152 */
    CHECK_EQ(sh_size_class(32767), 67);
    CHECK_EQ(sh_size_class(32768), 67);
    CHECK_EQ(sh_size_class(32769), 0);
    CHECK_EQ(sh_class_bytes[67], 32768);
    CHECK_EQ(sh_class_pages[67], 4);
    CHECK_EQ(sh_class_bytes[51], 8192);
    CHECK_EQ(sh_class_pages[35], 2); /* 1408 B, 2 pages */
    /* 67 strictly increasing sizes, multiples of 8 */
    for (int c = 2; c < SH_NUM_CLASSES; c++) {
        CHECK(sh_class_bytes[c] > sh_class_bytes[c - 1]);
        CHECK(sh_class_bytes[c] % 8 == 0);
    }
    CHECK_EQ(sh_class_align(1), 8);
    CHECK_EQ(sh_class_align(2), 16);
    CHECK_EQ(sh_class_align(3), 8);  /* 24 = 8*3 */
    CHECK_EQ(sh_class_align(5), 16); /* 48 = 16*3 */
    CHECK_EQ(sh_class_align(32), 1024);
    CHECK_EQ(sh_class_align(40), 128); /* 2688 = 128*21 */
    CHECK_EQ(sh_class_align(51), 8192);
    CHECK_EQ(sh_class_align(59), 8192); /* 16384: capped */
    CHECK_EQ(sh_class_align(65), 128);  /* 27264 = 128*213 */
    CHECK_EQ(sh_class_align(0), 8192);
    CHECK_EQ(sh_usable_for(0, false), 0);
    CHECK_EQ(sh_usable_for(5, true), 16);
    CHECK_EQ(sh_usable_for(5, false), 8);
    CHECK_EQ(sh_usable_for(17, false), 24);
    CHECK_EQ(sh_usable_for(32768, false), 32768);
    CHECK_EQ(sh_usable_for(32769, false), 40960); /* 5 pages */
    CHECK_EQ(sh_usable_for(40960, false), 40960);
    CHECK_EQ(sh_usable_for(40961, false), 49152);
    CHECK_EQ(sh_usable_for(SIZE_MAX, false), 0);
    CHECK(sh_is_tiny(15, 1) && !sh_is_tiny(16, 1) && !sh_is_tiny(8, 0) && !sh_is_tiny(0, 1));
}

static uint64_t lcg(uint64_t *x) {
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 33;
}

static void test_tree(void) {
    sh_tree t;
    sh_tree_init(&t);
    enum { K = 2000 };
    static uintptr_t keys[K];
    static bool in[K];
    uint64_t x = 42;
    for (int i = 0; i < K; i++) {
        keys[i] = (uintptr_t)(i * 16 + 16); /* sorted, distinct */
        in[i] = false;
    }
    CHECK(!sh_tree_floor(&t, 100, NULL, NULL));
    CHECK(!sh_tree_ceil(&t, 0, NULL, NULL));
    for (int round = 0; round < 20000; round++) {
        int i = (int)(lcg(&x) % K);
        if (in[i]) {
            CHECK(sh_tree_del(&t, keys[i]));
            in[i] = false;
        } else {
            CHECK(sh_tree_put(&t, keys[i], (uint32_t)i) == 0);
            in[i] = true;
        }
        if (round % 997 == 0)
            CHECK(sh_tree_check(&t) == 0);
    }
    CHECK(sh_tree_check(&t) == 0);
    uint32_t n = 0;
    for (int i = 0; i < K; i++)
        n += in[i];
    CHECK_EQ(t.count, n);
    /* floor/ceil against a scan, at keys and between them */
    for (uintptr_t q = 0; q < (uintptr_t)K * 16 + 40; q += 5) {
        int f = -1, c = -1;
        for (int i = 0; i < K; i++) {
            if (in[i] && keys[i] <= q)
                f = i;
            if (in[i] && keys[i] >= q && c < 0)
                c = i;
        }
        uintptr_t k;
        uint32_t v;
        bool got = sh_tree_floor(&t, q, &k, &v);
        CHECK(got == (f >= 0));
        if (got && f >= 0)
            CHECK(k == keys[f] && v == (uint32_t)f);
        got = sh_tree_ceil(&t, q, &k, &v);
        CHECK(got == (c >= 0));
        if (got && c >= 0)
            CHECK(k == keys[c] && v == (uint32_t)c);
    }
    CHECK(!sh_tree_del(&t, 3)); /* absent */
    CHECK(sh_tree_put(&t, UINTPTR_MAX, 7) == 0);
    uint32_t v;
    CHECK(sh_tree_get(&t, UINTPTR_MAX, &v) && v == 7);
    CHECK(sh_tree_put(&t, UINTPTR_MAX, 8) == 0); /* replace */
    CHECK(sh_tree_get(&t, UINTPTR_MAX, &v) && v == 8);
    CHECK(sh_tree_check(&t) == 0);
    sh_tree_destroy(&t);
}

/* Fake addresses: the shadow never touches memory except in fill/check. */
#define B ((uintptr_t)0x100000000ull)

static void test_overlap_and_free(void) {
    shadow s;
    sh_init(&s);
    uint32_t a, b, c, d;
    /* 24-byte class at B, 8-aligned: fine. */
    CHECK(sh_on_alloc(&s, 0, 20, 0, B, &a) == 0);
    CHECK_EQ(s.objs[a].usable, 24);
    CHECK_EQ(s.objs[a].spanclass, 3 << 1);
    /* 48-byte class must be 16-aligned: B+24+8 = B+32 ok, B+24 not. */
    CHECK(sh_on_alloc(&s, 0, 48, 1, B + 24, &b) == -1);
    CHECK(strstr(s.why, "aligned") != NULL);
    /* Overlaps B..B+24: 8-byte object at B+16. */
    CHECK(sh_on_alloc(&s, 1, 8, 0, B + 16, &b) == -1);
    CHECK(strstr(s.why, "overlapping") != NULL);
    CHECK(sh_on_alloc(&s, 1, 8, 0, B + 24, &b) == 0); /* adjacent: fine */
    CHECK_EQ(s.objs[b].cache, 1);
    /* Large: 40000 -> 5 pages = 40960, page aligned. */
    CHECK(sh_on_alloc(&s, 2, 40000, 1, B + 8192 + 8, &c) == -1);
    CHECK(sh_on_alloc(&s, 2, 40000, 1, B + 8192, &c) == 0);
    CHECK_EQ(s.objs[c].usable, 40960);
    CHECK_EQ(s.objs[c].kind, SH_LARGE);
    CHECK_EQ(s.objs[c].spanclass, 1);
    CHECK(sh_on_alloc(&s, 2, 16, 0, B + 8192 + 40944, &d) == -1); /* last 16 B of it */
    CHECK(sh_on_alloc(&s, 2, 16, 0, B + 8192 + 40960, &d) == 0);  /* just past it */
    /* Queries. */
    CHECK_EQ(sh_overlap(&s, B - 100, 100), SH_NONE);
    CHECK_EQ(sh_overlap(&s, B - 100, 101), a);
    CHECK_EQ(sh_overlap(&s, B + 32, 8192 - 32), SH_NONE);
    CHECK_EQ(sh_overlap(&s, B + 32, 8192 - 31), c);
    CHECK_EQ(sh_overlap(&s, B + 4, 1), a);
    CHECK_EQ(sh_overlap(&s, B, SIZE_MAX - B), d); /* highest starting below the end */
    CHECK_EQ(sh_extent_at(&s, B + 23), a);
    CHECK_EQ(sh_extent_at(&s, B + 31), b);
    CHECK_EQ(sh_extent_at(&s, B + 32), SH_NONE);
    CHECK_EQ(sh_extent_at(&s, B + 8192 + 40959), c);
    CHECK_EQ(sh_prog_at(&s, B + 8192 + 100), c);
    CHECK_EQ(s.owed_bytes, 24 + 8 + 40960 + 16);
    CHECK(sh_self_check(&s) == 0);
    /* Free expectations. */
    uint32_t id;
    CHECK_EQ(sh_free_expect(&s, B, &id), SH_R_OK);
    CHECK_EQ(id, a);
    CHECK_EQ(sh_free_expect(&s, B + 8, &id), SH_R_EINVAL); /* interior */
    CHECK_EQ(id, SH_NONE);
    CHECK_EQ(sh_free_expect(&s, B + 32, &id), SH_R_EINVAL | SH_R_EALREADY); /* nothing owed there */
    sh_on_free(&s, a);
    CHECK_EQ(s.objs[a].state, SH_FREED);
    CHECK_EQ(sh_free_expect(&s, B, &id), SH_R_EINVAL | SH_R_EALREADY); /* double free */
    CHECK_EQ(sh_overlap(&s, B, 24), SH_NONE);
    CHECK_EQ(s.owed_bytes, 8 + 40960 + 16);
    /* The slot is handed out again (a 16-byte object at B): dead record forgotten. */
    uint32_t e;
    CHECK(sh_on_alloc(&s, 3, 16, 0, B, &e) == 0);
    CHECK_EQ(sh_free_expect(&s, B, &id), SH_R_OK);
    CHECK_EQ(id, e);
    CHECK(!sh_tree_get(&s.dead, B, NULL));
    CHECK(sh_self_check(&s) == 0);
    sh_destroy(&s);
}

static void test_tiny(void) {
    shadow s;
    sh_init(&s);
    uint32_t t1, t2, t3, t4, t5, x;
    /* No current block: any tiny alloc needs one. */
    CHECK_EQ(sh_tiny_expect(&s, 0, 3), 0);
    CHECK(sh_on_alloc(&s, 0, 3, 1, B + 8, &t1) == -1); /* not 16-aligned */
    CHECK(sh_on_alloc(&s, 0, 3, 1, B + 16, &t1) == 0); /* block [B+16, B+32), offset 3 */
    CHECK_EQ(s.tiny[0].tiny, B + 16);
    CHECK_EQ(s.tiny[0].offset, 3);
    /* size 2: offset align 2 -> 4; 4+2 <= 16 -> B+20 */
    CHECK_EQ(sh_tiny_expect(&s, 0, 2), B + 20);
    CHECK(sh_on_alloc(&s, 0, 2, 1, B + 24, &t2) == -1); /* wrong place */
    CHECK(sh_on_alloc(&s, 0, 2, 1, B + 20, &t2) == 0);  /* offset 6 */
    /* size 8: align 8 -> 8; 8+8 = 16 fits -> B+24 */
    CHECK_EQ(sh_tiny_expect(&s, 0, 8), B + 24);
    /* size 12: align 4 -> 8; 8+12 > 16: new block */
    CHECK_EQ(sh_tiny_expect(&s, 0, 12), 0);
    CHECK(sh_on_alloc(&s, 0, 12, 1, B + 16 + 16 * 4, &t3) == 0);
    /* 12 < offset 6? no, and tiny != 0: current block stays B+16 at offset 6. */
    CHECK_EQ(s.tiny[0].tiny, B + 16);
    CHECK_EQ(s.tiny[0].offset, 6);
    /* size 5 (odd): offset 6 -> B+22, offset 11 */
    CHECK(sh_on_alloc(&s, 0, 5, 1, B + 22, &t4) == 0);
    CHECK_EQ(s.tiny[0].offset, 11);
    /* size 7: 11+7 > 16 -> new block; 7 < 11 so it becomes current, offset 7 */
    CHECK(sh_on_alloc(&s, 0, 7, 1, B + 16, &x) == -1); /* overlaps the owed block */
    CHECK(strstr(s.why, "overlaps") != NULL);
    CHECK(sh_on_alloc(&s, 0, 7, 1, B + 48, &t5) == 0);
    CHECK_EQ(s.tiny[0].tiny, B + 48);
    CHECK_EQ(s.tiny[0].offset, 7);
    /* Another cache has its own state. */
    CHECK_EQ(sh_tiny_expect(&s, 1, 1), 0);
    /* A 16-byte noscan object is not tiny and must not overlap blocks. */
    CHECK(sh_on_alloc(&s, 1, 16, 1, B + 48, &x) == -1);
    /* Free: tiny sub-objects and blocks are EINVAL. */
    uint32_t id;
    CHECK_EQ(sh_free_expect(&s, B + 16, &id), SH_R_EINVAL);
    CHECK_EQ(sh_free_expect(&s, B + 20, &id), SH_R_EINVAL);
    CHECK_EQ(sh_prog_at(&s, B + 21), t2);
    CHECK_EQ(sh_prog_at(&s, B + 22), t4);
    CHECK_EQ(sh_prog_at(&s, B + 26), t4);      /* [B+22, B+27) */
    CHECK_EQ(sh_prog_at(&s, B + 27), SH_NONE); /* in the block, after the last sub-object */
    CHECK_EQ(s.owed.count, 3);                 /* three blocks */
    CHECK_EQ(s.nprog, 5);
    CHECK(sh_self_check(&s) == 0);

    /* GC: block B+48 (current) is greyed; mark t2 (block B+16); t3's block dies. */
    sh_gc_begin(&s);
    CHECK_EQ(sh_mark_expect(&s, t5), SH_M_ALREADY | SH_M_NEW);
    CHECK_EQ(sh_mark_expect(&s, t2), SH_M_NEW);
    sh_on_mark(&s, t2);
    CHECK_EQ(sh_mark_expect(&s, t1), SH_M_ALREADY); /* same block */
    /* Allocated during marking: black. size 4 on cache 0: 7 -> 8, B+56. */
    uint32_t t6;
    CHECK(sh_on_alloc(&s, 0, 4, 1, B + 56, &t6) == 0);
    CHECK_EQ(sh_mark_expect(&s, t6), SH_M_ALREADY | SH_M_NEW); /* greyed block */
    sh_gc_end(&s);
    CHECK_EQ(s.objs[t1].state, SH_UNMARKED); /* its block survives but t1 was not marked */
    CHECK_EQ(s.objs[t2].state, SH_LIVE);
    CHECK_EQ(s.objs[t3].state, SH_UNMARKED);
    CHECK_EQ(s.objs[t4].state, SH_UNMARKED);
    CHECK_EQ(s.objs[t5].state, SH_UNMARKED);         /* greyed block survives, t5 not marked */
    CHECK_EQ(s.objs[t6].state, SH_LIVE);             /* black */
    CHECK_EQ(s.owed.count, 2);                       /* B+16 (marked) and B+48 (greyed) */
    CHECK_EQ(sh_extent_at(&s, B + 80 + 3), SH_NONE); /* t3's block */
    CHECK_EQ(s.nprog, 2);
    CHECK_EQ(s.tiny[0].tiny, 0); /* forgotten */
    CHECK(sh_self_check(&s) == 0);
    /* The dead block's start: an unswept class-5 slot, ga_free may still accept it. */
    CHECK_EQ(sh_free_expect(&s, B + 80, &id), SH_R_OK | SH_R_EINVAL | SH_R_EALREADY);
    sh_all_reclaimed(&s);
    CHECK_EQ(sh_free_expect(&s, B + 80, &id), SH_R_EINVAL | SH_R_EALREADY);
    /* Next cycle with no marks: everything goes. */
    sh_gc_begin(&s);
    sh_gc_end(&s);
    CHECK_EQ(s.owed.count, 0);
    CHECK_EQ(s.nprog, 0);
    CHECK_EQ(s.owed_bytes, 0);
    CHECK_EQ(s.live_bytes, 0);
    CHECK(sh_self_check(&s) == 0);
    sh_destroy(&s);
}

static void test_gc_states(void) {
    shadow s;
    sh_init(&s);
    uint32_t a, b, c, d, id;
    CHECK(sh_on_alloc(&s, 0, 64, 0, B, &a) == 0);
    CHECK(sh_on_alloc(&s, 0, 64, 0, B + 64, &b) == 0);
    CHECK(sh_on_alloc(&s, 1, 100000, 0, B + 8192 * 4, &c) == 0);
    sh_gc_begin(&s);
    CHECK_EQ(sh_mark_expect(&s, a), SH_M_NEW);
    sh_on_mark(&s, a);
    CHECK_EQ(sh_mark_expect(&s, a), SH_M_ALREADY);
    CHECK(sh_on_alloc(&s, 0, 64, 0, B + 128, &d) == 0); /* black */
    CHECK_EQ(sh_mark_expect(&s, d), SH_M_ALREADY);
    sh_on_free(&s, b); /* freed during marking */
    sh_gc_end(&s);
    CHECK_EQ(s.objs[a].state, SH_LIVE);
    CHECK_EQ(s.objs[b].state, SH_FREED);
    CHECK_EQ(s.objs[c].state, SH_UNMARKED);
    CHECK_EQ(s.objs[d].state, SH_LIVE);
    CHECK_EQ(s.owed_bytes, 128);
    /* The unmarked large object may be freed before it is swept (OK), or rejected. */
    CHECK_EQ(sh_free_expect(&s, B + 8192 * 4, &id), SH_R_OK | SH_R_EINVAL | SH_R_EALREADY);
    CHECK_EQ(id, c);
    sh_on_free(&s, c);
    CHECK_EQ(s.objs[c].state, SH_FREED);
    CHECK_EQ(sh_free_expect(&s, B + 8192 * 4, &id), SH_R_EINVAL | SH_R_EALREADY);
    sh_all_reclaimed(&s);
    CHECK_EQ(s.objs[b].state, SH_RECLAIMED);
    CHECK_EQ(s.objs[c].state, SH_RECLAIMED);
    CHECK_EQ(s.objs[a].state, SH_LIVE);
    /* The next cycle starts from clean marks. */
    sh_gc_begin(&s);
    CHECK_EQ(sh_mark_expect(&s, a), SH_M_NEW);
    CHECK_EQ(sh_mark_expect(&s, d), SH_M_NEW);
    sh_on_mark(&s, d);
    sh_gc_end(&s);
    CHECK_EQ(s.objs[a].state, SH_UNMARKED);
    CHECK_EQ(s.objs[d].state, SH_LIVE);
    CHECK(sh_self_check(&s) == 0);
    sh_destroy(&s);
}

static void test_patterns(void) {
    /* pattern word w = seed + w * 0xD6E8FEB86659FD93, bytes little-endian */
    uint64_t seed = 0x0123456789abcdefull;
    CHECK_EQ(sh_pattern_byte(seed, 0), 0xef);
    CHECK_EQ(sh_pattern_byte(seed, 7), 0x01);
    /* 0x0123456789abcdef + 0xd6e8feb86659fd93 = 0xd80c441ff005cb82 (mod 2^64):
     *   low 32: 0x89abcdef + 0x6659fd93 = 0xf005cb82 (carry 0)
     *   high 32: 0x01234567 + 0xd6e8feb8 = 0xd80c441f */
    uint64_t w1 = seed + 0xD6E8FEB86659FD93ull;
    CHECK_EQ(w1, 0xd80c441ff005cb82ull);
    CHECK_EQ(sh_pattern_byte(seed, 8), 0x82);
    CHECK_EQ(sh_pattern_byte(seed, 15), 0xd8);
    CHECK(sh_seed_of(0) != sh_seed_of(1));

    shadow s;
    sh_init(&s);
    size_t bytes = 3 * 65536 + 81920;
    unsigned char *mem = aligned_alloc(8192, bytes);
    CHECK(mem != NULL);
    memset(mem, 0, bytes);
    uintptr_t base = (uintptr_t)mem;
    uint32_t a, t, l, id;
    CHECK(sh_on_alloc(&s, 0, 40, 0, base, &a) == 0);           /* 48-byte class */
    CHECK(sh_on_alloc(&s, 0, 3, 1, base + 48, &t) == 0);       /* tiny, block at +48 */
    CHECK(sh_on_alloc(&s, 0, 70000, 0, base + 8192, &l) == 0); /* 9 pages = 73728 */
    size_t touched = 0;
    CHECK(sh_check_zero(&s, a, &touched) == 0);
    CHECK_EQ(touched, 48);
    touched = 0;
    CHECK(sh_check_zero(&s, l, &touched) == 0);
    /* 18 pages of 4 KiB; sampled: 0-3 and 14-17 (edges), 0 and 16 (stride): 8 x 2 x 64 */
    CHECK_EQ(touched, 8 * 128);
    sh_fill(&s, a, NULL);
    sh_fill(&s, t, NULL);
    sh_fill(&s, l, NULL);
    CHECK(sh_check_all(&s, NULL) == 0);
    /* whole 48 bytes written, the tiny object's 3 bytes only */
    CHECK_EQ(mem[47], sh_pattern_byte(s.objs[a].seed, 47));
    CHECK_EQ(mem[48 + 2], sh_pattern_byte(s.objs[t].seed, 2));
    CHECK_EQ(mem[48 + 3], 0);
    /* large: sampled bytes at 0..63 and 4032..4095 of each 4 KiB page */
    CHECK_EQ(mem[8192 + 4096 + 4095], sh_pattern_byte(s.objs[l].seed, 8191));
    CHECK_EQ(mem[8192 + 100], 0);
    CHECK(sh_check_zero(&s, l, NULL) == -1);
    /* corrupt byte 33 of a */
    mem[33] ^= 1;
    CHECK(sh_check(&s, a, NULL) == -1);
    CHECK(strstr(s.why, "byte 33 ") != NULL);
    mem[33] ^= 1;
    CHECK(sh_check(&s, a, NULL) == 0);
    /* corrupt a sampled byte of the large object, then an unsampled one */
    mem[8192 + 3 * 4096 + 4040] ^= 0x80;
    CHECK(sh_check(&s, l, NULL) == -1);
    CHECK(strstr(s.why, "byte 16328 ") != NULL); /* 3*4096 + 4040 */
    mem[8192 + 3 * 4096 + 4040] ^= 0x80;
    mem[8192 + 3 * 4096 + 1000] ^= 0x80; /* not sampled: middle of a page */
    CHECK(sh_check(&s, l, NULL) == 0);
    mem[8192 + 3 * 4096 + 1000] ^= 0x80;
    mem[8192 + 8 * 4096 + 10] ^= 0x80; /* not sampled: page 8 is neither edge nor stride */
    CHECK(sh_check(&s, l, NULL) == 0);
    mem[8192 + 8 * 4096 + 10] ^= 0x80;
    mem[8192 + 16 * 4096 + 10] ^= 0x80; /* page 16: stride */
    CHECK(sh_check(&s, l, NULL) == -1);
    mem[8192 + 16 * 4096 + 10] ^= 0x80;
    /* a new object's zero check names the first non-zero byte (word loop, then bytes) */
    uint32_t z;
    CHECK(sh_on_alloc(&s, 0, 64, 0, base + 81920, &z) == 0);
    CHECK(sh_check_zero(&s, z, NULL) == 0);
    mem[81920 + 13] = 5;
    mem[81920 + 40] = 5;
    CHECK(sh_check_zero(&s, z, NULL) == -1);
    CHECK(strstr(s.why, "byte 13 ") != NULL);
    /* an object freed and its slot reused: new pattern, old one must not remain */
    sh_on_free(&s, a);
    CHECK(sh_on_alloc(&s, 1, 48, 0, base, &id) == 0);
    CHECK(sh_check(&s, id, NULL) == -1); /* still holds #a's pattern */
    CHECK(sh_self_check(&s) == 0);
    free(mem);
    sh_destroy(&s);
}

/* sh_check_some walks the live objects round-robin, sh_check_unmarked checks exactly
 * those a GC end will drop, sh_reset forgets everything but keeps the buffers. */
static void test_partial_checks(void) {
    shadow s;
    sh_init(&s);
    unsigned char *mem = aligned_alloc(8192, 8192);
    CHECK(mem != NULL);
    memset(mem, 0, 8192);
    uintptr_t base = (uintptr_t)mem;
    uint32_t id[4];
    for (int i = 0; i < 4; i++) {
        CHECK(sh_on_alloc(&s, 0, 64, 0, base + 64 * (uintptr_t)i, &id[i]) == 0);
        sh_fill(&s, id[i], NULL);
    }
    mem[2 * 64 + 5] ^= 1; /* object #2 corrupted */
    uint32_t next = 0;
    size_t touched = 0;
    CHECK(sh_check_some(&s, &next, 2, &touched) == 0); /* #0, #1 */
    CHECK_EQ(touched, 128);
    CHECK_EQ(next, 2);
    CHECK(sh_check_some(&s, &next, 2, NULL) == -1); /* #2 */
    CHECK(strstr(s.why, "byte 5 ") != NULL);
    CHECK(sh_check_some(&s, &next, 1, NULL) == 0); /* #3 */
    CHECK(sh_check_some(&s, &next, 1, NULL) == 0); /* wraps to #0 */
    CHECK_EQ(next, 1);
    CHECK(sh_check_some(&s, &next, 9, NULL) == -1); /* n > nprog: each once, #2 among them */
    /* Marking: #2 marked, #3 allocated black; #0 and #1 unmarked. */
    sh_gc_begin(&s);
    sh_on_mark(&s, id[2]);
    uint32_t black;
    CHECK(sh_on_alloc(&s, 0, 64, 0, base + 256, &black) == 0);
    sh_fill(&s, black, NULL);
    CHECK(sh_check_unmarked(&s, NULL) == 0); /* #2's corruption is not in what is dropped */
    mem[64 + 1] ^= 1;                        /* #1, unmarked */
    CHECK(sh_check_unmarked(&s, NULL) == -1);
    CHECK(strstr(s.why, "byte 1 ") != NULL);
    mem[64 + 1] ^= 1;
    mem[256] ^= 1; /* the black one is kept: not checked here */
    CHECK(sh_check_unmarked(&s, NULL) == 0);
    mem[256] ^= 1;
    sh_gc_end(&s);
    CHECK_EQ(s.objs[id[0]].state, SH_UNMARKED);
    CHECK_EQ(s.objs[id[2]].state, SH_LIVE);
    /* sh_reset: nothing owed, buffers kept, usable again at the same addresses. */
    sh_obj *objs = s.objs;
    sh_reset(&s);
    CHECK_EQ(s.nobjs, 0);
    CHECK_EQ(s.nprog, 0);
    CHECK_EQ(s.owed_bytes, 0);
    CHECK(s.objs == objs);
    CHECK(sh_on_alloc(&s, 0, 64, 0, base, &id[0]) == 0);
    CHECK_EQ(id[0], 0);
    CHECK(sh_self_check(&s) == 0);
    free(mem);
    sh_destroy(&s);
}

int main(void) {
    test_classes();
    test_tree();
    test_overlap_and_free();
    test_tiny();
    test_gc_states();
    test_patterns();
    test_partial_checks();
    return check_report();
}
