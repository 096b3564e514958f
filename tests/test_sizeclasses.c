/* Size-class tables (alloc/sizeclasses.c) against Go's linux/amd64 table and the
 * properties of docs/go-facts.md §2: every column of Go's table (runtime/sizeclasses.go, embedded below, not read at
 * run time), the size -> class lookup for every size 1..32768, divMagic for every
 * offset of every class, and the span-class encoding. */
#include <stdio.h>

#include "sizeclasses.h"
#include "support/check.h"

/* Go's table (runtime/sizeclasses.go): class, bytes/obj, bytes/span, objects, tail waste, max waste in
 * hundredths of a percent. */
static const struct {
    uint32_t cls, size, span, objects, tail, max_waste;
} tsv[] = {
    {1, 8, 8192, 1024, 0, 8750},     {2, 16, 8192, 512, 0, 4375},      {3, 24, 8192, 341, 8, 2924},
    {4, 32, 8192, 256, 0, 2188},     {5, 48, 8192, 170, 32, 3152},     {6, 64, 8192, 128, 0, 2344},
    {7, 80, 8192, 102, 32, 1907},    {8, 96, 8192, 85, 32, 1595},      {9, 112, 8192, 73, 16, 1356},
    {10, 128, 8192, 64, 0, 1172},    {11, 144, 8192, 56, 128, 1182},   {12, 160, 8192, 51, 32, 973},
    {13, 176, 8192, 46, 96, 959},    {14, 192, 8192, 42, 128, 925},    {15, 208, 8192, 39, 80, 812},
    {16, 224, 8192, 36, 128, 815},   {17, 240, 8192, 34, 32, 662},     {18, 256, 8192, 32, 0, 586},
    {19, 288, 8192, 28, 128, 1216},  {20, 320, 8192, 25, 192, 1180},   {21, 352, 8192, 23, 96, 988},
    {22, 384, 8192, 21, 128, 951},   {23, 416, 8192, 19, 288, 1071},   {24, 448, 8192, 18, 128, 837},
    {25, 480, 8192, 17, 32, 682},    {26, 512, 8192, 16, 0, 605},      {27, 576, 8192, 14, 128, 1233},
    {28, 640, 8192, 12, 512, 1548},  {29, 704, 8192, 11, 448, 1393},   {30, 768, 8192, 10, 512, 1394},
    {31, 896, 8192, 9, 128, 1552},   {32, 1024, 8192, 8, 0, 1240},     {33, 1152, 8192, 7, 128, 1241},
    {34, 1280, 8192, 6, 512, 1555},  {35, 1408, 16384, 11, 896, 1400}, {36, 1536, 8192, 5, 512, 1400},
    {37, 1792, 16384, 9, 256, 1557}, {38, 2048, 8192, 4, 0, 1245},     {39, 2304, 16384, 7, 256, 1246},
    {40, 2688, 8192, 3, 128, 1559},  {41, 3072, 24576, 8, 0, 1247},    {42, 3200, 16384, 5, 384, 622},
    {43, 3456, 24576, 7, 384, 883},  {44, 4096, 8192, 2, 0, 1560},     {45, 4864, 24576, 5, 256, 1665},
    {46, 5376, 16384, 3, 256, 1092}, {47, 6144, 24576, 4, 0, 1248},    {48, 6528, 32768, 5, 128, 623},
    {49, 6784, 40960, 6, 256, 436},  {50, 6912, 49152, 7, 768, 337},   {51, 8192, 8192, 1, 0, 1561},
    {52, 9472, 57344, 6, 512, 1428}, {53, 9728, 49152, 5, 512, 364},   {54, 10240, 40960, 4, 0, 499},
    {55, 10880, 32768, 3, 128, 624}, {56, 12288, 24576, 2, 0, 1145},   {57, 13568, 40960, 3, 256, 999},
    {58, 14336, 57344, 4, 0, 535},   {59, 16384, 16384, 1, 0, 1249},   {60, 18432, 73728, 4, 0, 1111},
    {61, 19072, 57344, 3, 128, 357}, {62, 20480, 40960, 2, 0, 687},    {63, 21760, 65536, 3, 256, 625},
    {64, 24576, 24576, 1, 0, 1145},  {65, 27264, 81920, 3, 128, 1000}, {66, 28672, 57344, 2, 0, 491},
    {67, 32768, 32768, 1, 0, 1250},
};

#define NCLASSES ((uint32_t)(sizeof tsv / sizeof tsv[0]))

static void test_columns(void) {
    CHECK_EQ(NCLASSES, GA_NUM_CLASSES - 1);
    CHECK_EQ(ga_class_size[0], 0);
    CHECK_EQ(ga_class_npages[0], 0);
    CHECK_EQ(ga_class_nelems[0], 0);
    CHECK_EQ(ga_class_divmagic[0], 0);
    for (uint32_t i = 0; i < NCLASSES; i++) {
        uint32_t c = tsv[i].cls;
        CHECK_EQ(c, i + 1);
        CHECK_EQ(ga_class_size[c], tsv[i].size);
        CHECK_EQ((uint32_t)ga_class_npages[c] * GA_PAGE_SIZE, tsv[i].span);
        CHECK_EQ(ga_class_nelems[c], tsv[i].objects);
        /* derived columns, recomputed from size and pages */
        uint32_t span = ga_class_npages[c] * (uint32_t)GA_PAGE_SIZE;
        CHECK_EQ(ga_class_nelems[c], span / ga_class_size[c]);
        CHECK_EQ(span - ga_class_nelems[c] * ga_class_size[c], tsv[i].tail);
        /* max waste = 100 * ((size - prev - 1) * objects + tail) / span, printed %.2f */
        uint64_t prev = ga_class_size[c - 1];
        uint64_t num = 10000 * ((ga_class_size[c] - prev - 1) * ga_class_nelems[c] + tsv[i].tail);
        uint64_t exp = (uint64_t)tsv[i].max_waste * span;
        CHECK(num + span / 2 >= exp);
        CHECK(exp + span / 2 >= num);
        CHECK_EQ(ga_class_divmagic[c], (uint32_t)(0xffffffffu / ga_class_size[c] + 1));
    }
}

/* Largest power of two dividing x, capped at 8192: the natural alignment of a slot. */
static uint32_t natural_align(uint32_t size) {
    uint32_t a = size & -size;
    return a > 8192 ? 8192 : a;
}

static void test_properties(void) {
    for (uint32_t c = 1; c < GA_NUM_CLASSES; c++) {
        uint32_t s = ga_class_size[c];
        CHECK(s > ga_class_size[c - 1]); /* strictly increasing */
        CHECK_EQ(s % 8, 0);
        if (s >= 1024)
            CHECK_EQ(s % 128, 0);
        if (s >= 32)
            CHECK_EQ(s % 16, 0);
        CHECK(s <= GA_MAX_SMALL_SIZE);
        CHECK(ga_class_npages[c] >= 1);
        CHECK(ga_class_npages[c] <= 10);
        CHECK(ga_class_nelems[c] >= 1);
        CHECK(ga_class_nelems[c] <= 1024);
        /* every slot of a page-aligned span is naturally aligned */
        uint32_t a = natural_align(s);
        for (uint32_t i = 0; i < ga_class_nelems[c]; i++)
            CHECK_EQ((i * s) % a, 0);
    }
    CHECK_EQ(ga_class_size[GA_NUM_CLASSES - 1], GA_MAX_SMALL_SIZE);
    CHECK_EQ(ga_class_nelems[1], 1024);
    /* docs/go-facts.md §2.1 examples */
    CHECK_EQ(natural_align(8), 8);
    CHECK_EQ(natural_align(16), 16);
    CHECK_EQ(natural_align(24), 8);
    CHECK_EQ(natural_align(48), 16);
    CHECK_EQ(natural_align(1024), 1024);
    CHECK_EQ(natural_align(8192), 8192);
    CHECK_EQ(natural_align(16384), 8192);
    CHECK_EQ(natural_align(32768), 8192);
    CHECK_EQ(ga_class_size[3], 24);
    CHECK_EQ(ga_class_size[2], GA_TINY_SIZE);
}

static void test_size_to_class(void) {
    /* both tables are fully determined by the class sizes (docs/go-facts.md §2.2) */
    for (uint32_t i = 0; i <= GA_SMALL_SIZE_MAX / 8; i++) {
        uint32_t c = 0;
        while (ga_class_size[c] < 8 * i)
            c++;
        CHECK_EQ(ga_size_to_class8[i], c);
    }
    CHECK_EQ(ga_size_to_class8[0], 0);
    for (uint32_t i = 0; i <= (GA_MAX_SMALL_SIZE - GA_SMALL_SIZE_MAX) / 128; i++) {
        uint32_t c = 0;
        while (ga_class_size[c] < GA_SMALL_SIZE_MAX + 128 * i)
            c++;
        CHECK_EQ(ga_size_to_class128[i], c);
    }
    /* exhaustive: the class of every small size is the smallest class that fits it */
    uint32_t c = 1;
    for (uint32_t size = 1; size <= GA_MAX_SMALL_SIZE; size++) {
        while (ga_class_size[c] < size)
            c++;
        CHECK_EQ(ga_size_to_class(size), c);
        CHECK(ga_class_size[c - 1] < size || c == 1);
    }
    CHECK_EQ(ga_size_to_class(1), 1);
    CHECK_EQ(ga_size_to_class(8), 1);
    CHECK_EQ(ga_size_to_class(9), 2);
    CHECK_EQ(ga_size_to_class(1016), 32);
    CHECK_EQ(ga_size_to_class(1017), 32);
    CHECK_EQ(ga_size_to_class(1024), 32);
    CHECK_EQ(ga_size_to_class(1025), 33);
    CHECK_EQ(ga_size_to_class(32767), 67);
    CHECK_EQ(ga_size_to_class(32768), 67);
}

static void test_divmagic(void) {
    for (uint32_t c = 1; c < GA_NUM_CLASSES; c++) {
        uint32_t span = ga_class_npages[c] * (uint32_t)GA_PAGE_SIZE;
        for (uint32_t n = 0; n <= span; n++)
            CHECK_EQ(ga_div_by_elemsize(n, ga_class_divmagic[c]), n / ga_class_size[c]);
    }
    /* large spans: div_mul 0, every offset is object 0 */
    CHECK_EQ(ga_div_by_elemsize(0, 0), 0);
    CHECK_EQ(ga_div_by_elemsize((uintptr_t)1 << 40, 0), 0);
}

static void test_spanclass(void) {
    for (uint32_t c = 0; c < GA_NUM_CLASSES; c++)
        for (int noscan = 0; noscan <= 1; noscan++) {
            ga_spanclass sc = ga_make_spanclass(c, noscan);
            CHECK_EQ(sc, 2 * c + (uint32_t)noscan);
            CHECK(sc < GA_NUM_SPAN_CLASSES);
            CHECK_EQ(ga_spanclass_sizeclass(sc), c);
            CHECK_EQ(ga_spanclass_noscan(sc), noscan);
        }
    CHECK_EQ(ga_make_spanclass(2, 1), GA_TINY_SPAN_CLASS);
    CHECK_EQ(ga_make_spanclass(0, 7), 1); /* any nonzero noscan flag means noscan */
}

int main(void) {
    test_columns();
    test_properties();
    test_size_to_class();
    test_divmagic();
    test_spanclass();
    return check_report();
}
