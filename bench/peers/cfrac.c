/* cfrac-like: factoring with big integers whose every operation returns a freshly
 * malloc'd number and frees its temporaries (as cfrac's pcvt/pdivmod code does), so the
 * run is dominated by malloc/free of small blocks (16-40 B).  The algorithm is Pollard's
 * rho with Floyd's cycle finding; reduction is binary long division, one new number per
 * bit, which is slow arithmetic on purpose: it is the allocation pattern being measured.
 *
 * Usage: peers_cfrac [scale%]   (default 100 %: 24 semiprimes of two 24-27-bit primes)
 * Prints the smaller factor of each number and a checksum of them all. */
#include "peers.h"

#include <stdint.h>
#include <string.h>

/* Little-endian 32-bit limbs, normalized (no top zero limb; zero has n = 0). */
typedef struct {
    uint32_t n;
    uint32_t d[];
} bn;

static bn *bn_new(uint32_t n) {
    bn *r = pr_xmalloc(sizeof(bn) + (n ? n : 1) * sizeof(uint32_t));
    r->n = n;
    return r;
}

static bn *bn_norm(bn *r) {
    while (r->n && r->d[r->n - 1] == 0)
        r->n--;
    return r;
}

static bn *bn_u64(uint64_t x) {
    bn *r = bn_new(2);
    r->d[0] = (uint32_t)x;
    r->d[1] = (uint32_t)(x >> 32);
    return bn_norm(r);
}

static uint64_t bn_to_u64(const bn *a) {
    uint64_t x = 0;
    for (uint32_t i = a->n; i-- > 0;)
        x = (x << 32) | a->d[i];
    return x;
}

static int bn_cmp(const bn *a, const bn *b) {
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (uint32_t i = a->n; i-- > 0;)
        if (a->d[i] != b->d[i])
            return a->d[i] < b->d[i] ? -1 : 1;
    return 0;
}

static bn *bn_add(const bn *a, const bn *b) {
    if (a->n < b->n) {
        const bn *t = a;
        a = b;
        b = t;
    }
    bn *r = bn_new(a->n + 1);
    uint64_t c = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        c += (uint64_t)a->d[i] + (i < b->n ? b->d[i] : 0);
        r->d[i] = (uint32_t)c;
        c >>= 32;
    }
    r->d[a->n] = (uint32_t)c;
    return bn_norm(r);
}

/* a - b, a >= b. */
static bn *bn_sub(const bn *a, const bn *b) {
    bn *r = bn_new(a->n);
    int64_t c = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        c += (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0);
        r->d[i] = (uint32_t)c;
        c = c < 0 ? -1 : 0;
    }
    return bn_norm(r);
}

static bn *bn_mul(const bn *a, const bn *b) {
    bn *r = bn_new(a->n + b->n);
    memset(r->d, 0, (a->n + b->n) * sizeof(uint32_t));
    for (uint32_t i = 0; i < a->n; i++) {
        uint64_t c = 0;
        for (uint32_t j = 0; j < b->n; j++) {
            c += (uint64_t)a->d[i] * b->d[j] + r->d[i + j];
            r->d[i + j] = (uint32_t)c;
            c >>= 32;
        }
        r->d[i + b->n] = (uint32_t)c;
    }
    return bn_norm(r);
}

/* 2a + bit. */
static bn *bn_shl1(const bn *a, unsigned bit) {
    bn *r = bn_new(a->n + 1);
    uint32_t c = bit;
    for (uint32_t i = 0; i < a->n; i++) {
        r->d[i] = (a->d[i] << 1) | c;
        c = a->d[i] >> 31;
    }
    r->d[a->n] = c;
    return bn_norm(r);
}

/* a mod m by binary long division: a fresh number per bit. */
static bn *bn_mod(const bn *a, const bn *m) {
    bn *r = bn_new(0);
    for (uint32_t i = a->n * 32; i-- > 0;) {
        bn *t = bn_shl1(r, (a->d[i / 32] >> (i % 32)) & 1);
        free(r);
        r = t;
        if (bn_cmp(r, m) >= 0) {
            t = bn_sub(r, m);
            free(r);
            r = t;
        }
    }
    return r;
}

/* Consumes both arguments. */
static bn *bn_gcd(bn *a, bn *b) {
    while (b->n) {
        bn *t = bn_mod(a, b);
        free(a);
        a = b;
        b = t;
    }
    free(b);
    return a;
}

/* f(x) = x^2 + c mod n; consumes x. */
static bn *rho_f(bn *x, const bn *c, const bn *n) {
    bn *sq = bn_mul(x, x);
    free(x);
    bn *s = bn_add(sq, c);
    free(sq);
    bn *r = bn_mod(s, n);
    free(s);
    return r;
}

/* A nontrivial factor of n (a composite), or 0 if rho failed for every c tried. */
static uint64_t rho(uint64_t n64) {
    bn *n = bn_u64(n64);
    for (uint64_t c64 = 1; c64 < 20; c64++) {
        bn *c = bn_u64(c64), *x = bn_u64(2), *y = bn_u64(2), *q = bn_u64(1);
        uint64_t found = 0;
        for (uint64_t it = 1; it < (1u << 22); it++) {
            x = rho_f(x, c, n);
            y = rho_f(rho_f(y, c, n), c, n);
            bn *d = bn_cmp(x, y) >= 0 ? bn_sub(x, y) : bn_sub(y, x);
            bn *qd = bn_mul(q, d);
            free(q);
            free(d);
            q = bn_mod(qd, n);
            free(qd);
            /* Products of differences are checked in batches: one gcd per 32 steps. */
            if (it % 32 == 0 || q->n == 0) {
                bn *g = bn_gcd(bn_u64(n64), bn_mod(q, n));
                uint64_t g64 = bn_to_u64(g);
                free(g);
                if (g64 != 1) {
                    found = g64 == n64 ? 0 : g64;
                    break;
                }
            }
        }
        free(c);
        free(x);
        free(y);
        free(q);
        if (found) {
            free(n);
            return found;
        }
    }
    free(n);
    return 0;
}

static int is_prime(uint64_t x) {
    if (x < 2 || x % 2 == 0)
        return x == 2;
    for (uint64_t d = 3; d * d <= x; d += 2)
        if (x % d == 0)
            return 0;
    return 1;
}

static uint64_t prime_near(uint64_t *rng, unsigned bits) {
    uint64_t x = (pr_next(rng) & ((1ull << (bits - 1)) - 1)) | (1ull << (bits - 1)) | 1;
    while (!is_prime(x))
        x += 2;
    return x;
}

int main(int argc, char **argv) {
    uint64_t count = pr_scaled(argc, argv, 24);
    uint64_t rng = 7, sum = 0;
    for (uint64_t i = 0; i < count; i++) {
        unsigned bits = 24 + (unsigned)(i % 4);
        uint64_t p = prime_near(&rng, bits), q = prime_near(&rng, bits);
        uint64_t f = rho(p * q);
        if (f != p && f != q)
            pr_fail("cfrac: rho found no factor");
        uint64_t small = p < q ? p : q;
        printf("%llu = %llu * %llu\n", (unsigned long long)(p * q), (unsigned long long)small,
               (unsigned long long)(p * q / small));
        sum = sum * 1000003 + f;
    }
    printf("cfrac numbers=%llu checksum=%016llx\n", (unsigned long long)count, (unsigned long long)sum);
    return 0;
}
