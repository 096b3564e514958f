/* Glue between E-ACSL's runtime (segment model, /usr/share/frama-c/e-acsl) and a
 * program whose main and most code are not instrumented (proofs/README.md, "E-ACSL").
 *
 *  - Start-up: an instrumented main would call __e_acsl_memory_init first; here a
 *    constructor does.
 *  - Validity: the runtime knows malloc'd blocks (it replaces malloc for the whole
 *    program), the objects instrumented code registers and the program's globals,
 *    nothing else, so \valid of a goalloc mapping or of an uninstrumented
 *    caller's local would fail.  The runtime's __e_acsl_valid / __e_acsl_valid_read are
 *    compiled under other names (CMake: -D__e_acsl_valid=ga_eacsl_rtl_valid ...) and
 *    these wrappers accept, besides what the runtime accepts, a range lying wholly
 *    inside one goalloc reservation (alloc/os.c reports them), inside the calling
 *    thread's stack, or inside a loaded object's data segment (writable segments for
 *    \valid, any segment for \valid_read).  Coarser than the runtime's block bounds,
 *    but a pointer outside every one of them (NULL, freed malloc memory, a reservation
 *    already released, a wild address) still fails.
 *  - GMP results: E-ACSL 25 returns a GMP integer from some logic functions whose C
 *    return type is an integer (eacsl/instrument.py, mpz_returns); the generated code
 *    converts it with ga_eacsl_mpz_si / ga_eacsl_mpz_ui, which stop the program if the
 *    value does not fit that type. */
#include <gmp.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "regions.h"

void __e_acsl_memory_init(int *argc_ref, char ***argv_ref, size_t ptr_size);
int ga_eacsl_rtl_valid(void *ptr, size_t size, void *base, void *addrof_base);
int ga_eacsl_rtl_valid_read(void *ptr, size_t size, void *base, void *addrof_base);
long ga_eacsl_mpz_si(const void *z, size_t size, const char *fn);
unsigned long ga_eacsl_mpz_ui(const void *z, size_t size, const char *fn);

/* ---- start-up ------------------------------------------------------------------- */

/* Before any other constructor of the program; allocations made earlier (by shared
 * libraries' constructors) set up the runtime's heap on their own (E-ACSL runs that
 * part once, on first use). */
__attribute__((constructor(101))) static void init(void) { __e_acsl_memory_init(NULL, NULL, sizeof(size_t)); }

/* ---- goalloc's reservations ------------------------------------------------------- */

#define MAX_REGIONS 4096
static struct { uintptr_t lo, hi; } regions[MAX_REGIONS];
static size_t nregions;
static pthread_mutex_t regions_lock = PTHREAD_MUTEX_INITIALIZER;

static void add_locked(uintptr_t lo, uintptr_t hi) {
    if (lo >= hi)
        return;
    if (nregions == MAX_REGIONS)
        abort(); /* more live reservations than any driver makes: raise MAX_REGIONS */
    regions[nregions].lo = lo;
    regions[nregions].hi = hi;
    nregions++;
}

void ga_eacsl_region_add(void *p, size_t n) {
    pthread_mutex_lock(&regions_lock);
    add_locked((uintptr_t)p, (uintptr_t)p + n);
    pthread_mutex_unlock(&regions_lock);
}

/* A release may take part of a reservation (ga_sys_reserve_aligned trims both ends). */
void ga_eacsl_region_remove(void *p, size_t n) {
    uintptr_t lo = (uintptr_t)p, hi = lo + n;
    pthread_mutex_lock(&regions_lock);
    for (size_t i = 0; i < nregions;) {
        uintptr_t rlo = regions[i].lo, rhi = regions[i].hi;
        if (hi <= rlo || rhi <= lo) {
            i++;
            continue;
        }
        regions[i] = regions[--nregions];
        add_locked(rlo, lo > rlo ? lo : rlo);
        add_locked(hi < rhi ? hi : rhi, rhi);
    }
    pthread_mutex_unlock(&regions_lock);
}

static int in_regions(uintptr_t lo, uintptr_t hi) {
    int ok = 0;
    pthread_mutex_lock(&regions_lock);
    for (size_t i = 0; i < nregions && !ok; i++)
        ok = regions[i].lo <= lo && hi <= regions[i].hi;
    pthread_mutex_unlock(&regions_lock);
    return ok;
}

/* ---- the calling thread's stack, the loaded objects' segments --------------------- */

static __thread uintptr_t stack_lo, stack_hi;

static int in_stack(uintptr_t lo, uintptr_t hi) {
    if (!stack_hi) {
        pthread_attr_t a;
        void *addr;
        size_t size;
        if (pthread_getattr_np(pthread_self(), &a) != 0)
            return 0;
        if (pthread_attr_getstack(&a, &addr, &size) == 0) {
            stack_lo = (uintptr_t)addr;
            stack_hi = stack_lo + size;
        }
        pthread_attr_destroy(&a);
    }
    return stack_lo <= lo && hi <= stack_hi;
}

struct seg_query {
    uintptr_t lo, hi;
    int write, found;
};

static int seg_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct seg_query *q = data;
    for (int i = 0; i < info->dlpi_phnum && !q->found; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (q->write && !(ph->p_flags & PF_W)))
            continue;
        uintptr_t slo = info->dlpi_addr + ph->p_vaddr;
        q->found = slo <= q->lo && q->hi <= slo + ph->p_memsz;
    }
    return q->found;
}

static int in_segments(uintptr_t lo, uintptr_t hi, int write) {
    struct seg_query q = {lo, hi, write, 0};
    dl_iterate_phdr(seg_cb, &q);
    return q.found;
}

static int untracked_ok(void *ptr, size_t size, int write) {
    uintptr_t lo = (uintptr_t)ptr, hi = lo + size;
    if (!ptr || hi < lo)
        return 0;
    return in_regions(lo, hi) || in_stack(lo, hi) || in_segments(lo, hi, write);
}

int __e_acsl_valid(void *ptr, size_t size, void *base, void *addrof_base) {
    return ga_eacsl_rtl_valid(ptr, size, base, addrof_base) || untracked_ok(ptr, size, 1);
}

int __e_acsl_valid_read(void *ptr, size_t size, void *base, void *addrof_base) {
    return ga_eacsl_rtl_valid_read(ptr, size, base, addrof_base) || untracked_ok(ptr, size, 0);
}

/* ---- GMP results of logic functions (eacsl/instrument.py, mpz_returns) ------------- */

static _Noreturn void mpz_misfit(const mpz_t v, size_t size, const char *sign, const char *fn) {
    char *s = mpz_get_str(NULL, 10, v);
    fprintf(stderr,
            "eacsl/rt.c: logic function %s: value %s does not fit its C return type (%s, %zu bytes): "
            "E-ACSL's interval inference is wrong there\n",
            fn, s ? s : "?", sign, size);
    abort();
}

/* z's value as the signed C type of size bytes (int, long) the function returns. */
long ga_eacsl_mpz_si(const void *z, size_t size, const char *fn) {
    const __mpz_struct *v = z;
    if (!(size == sizeof(long) ? mpz_fits_slong_p(v) : size == sizeof(int) && mpz_fits_sint_p(v)))
        mpz_misfit(v, size, "signed", fn);
    return mpz_get_si(v);
}

/* z's value as the unsigned C type of size bytes (unsigned int, unsigned long). */
unsigned long ga_eacsl_mpz_ui(const void *z, size_t size, const char *fn) {
    const __mpz_struct *v = z;
    if (!(size == sizeof(unsigned long) ? mpz_fits_ulong_p(v) : size == sizeof(unsigned) && mpz_fits_uint_p(v)))
        mpz_misfit(v, size, "unsigned", fn);
    return mpz_get_ui(v);
}
