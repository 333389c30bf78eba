/* host_cpu.c - the build machine's instruction-set features (see host_cpu.h). */
#include "host_cpu.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#define LMCC_HOST_ARCH "x86_64"

/* register state the OS saves (XCR0 bits): SSE+AVX for 256-bit code, plus the opmask and upper
 * ZMM state for AVX-512 */
enum { ST_NONE = 0, ST_YMM = 0x6, ST_ZMM = 0xe6 };
enum { R_EAX, R_EBX, R_ECX, R_EDX };

/* target-file name, cpuid leaf, sub-leaf, register, bit, OS state it needs */
#define LMCC_X86_FEATURE_LIST(X)                                                                                       \
    X("sse4_2", 1, 0, R_ECX, 20, ST_NONE)                                                                              \
    X("avx", 1, 0, R_ECX, 28, ST_YMM)                                                                                  \
    X("fma", 1, 0, R_ECX, 12, ST_YMM)                                                                                  \
    X("f16c", 1, 0, R_ECX, 29, ST_YMM)                                                                                 \
    X("avx2", 7, 0, R_EBX, 5, ST_YMM)                                                                                  \
    X("bmi2", 7, 0, R_EBX, 8, ST_NONE)                                                                                 \
    X("avxvnni", 7, 1, R_EAX, 4, ST_YMM)                                                                               \
    X("avx512f", 7, 0, R_EBX, 16, ST_ZMM)                                                                              \
    X("avx512dq", 7, 0, R_EBX, 17, ST_ZMM)                                                                             \
    X("avx512cd", 7, 0, R_EBX, 28, ST_ZMM)                                                                             \
    X("avx512bw", 7, 0, R_EBX, 30, ST_ZMM)                                                                             \
    X("avx512vl", 7, 0, R_EBX, 31, ST_ZMM)                                                                             \
    X("avx512vnni", 7, 0, R_ECX, 11, ST_ZMM)                                                                           \
    X("avx512bf16", 7, 1, R_EAX, 5, ST_ZMM)

static unsigned host_xcr0(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0; /* no OSXSAVE: no xgetbv */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    return lo;
}

int lmcc_host_has_feature(const char *name) {
    static const struct { const char *name; unsigned leaf, sub; int reg, bit; unsigned state; } tab[] = {
#define X(n, leaf, sub, reg, bit, st) {n, leaf, sub, reg, bit, st},
        LMCC_X86_FEATURE_LIST(X)
#undef X
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        if (strcmp(tab[i].name, name)) continue;
        unsigned r[4];
        if (!__get_cpuid_count(tab[i].leaf, tab[i].sub, &r[R_EAX], &r[R_EBX], &r[R_ECX], &r[R_EDX])) return 0;
        if (!(r[tab[i].reg] & (1u << tab[i].bit))) return 0;
        return (host_xcr0() & tab[i].state) == tab[i].state;
    }
    return 0;
}

#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#define LMCC_HOST_ARCH "aarch64"

/* target-file name, auxv entry, bit (Linux arm64 hwcaps) */
#define LMCC_A64_FEATURE_LIST(X)                                                                                       \
    X("neon", AT_HWCAP, 1)     /* HWCAP_ASIMD */                                                                       \
    X("fp16conv", AT_HWCAP, 0) /* HWCAP_FP: FCVT to and from half */                                                  \
    X("dotprod", AT_HWCAP, 20) /* HWCAP_ASIMDDP */                                                                     \
    X("i8mm", AT_HWCAP2, 13)   /* HWCAP2_I8MM */

int lmcc_host_has_feature(const char *name) {
    static const struct { const char *name; unsigned long type; int bit; } tab[] = {
#define X(n, type, bit) {n, type, bit},
        LMCC_A64_FEATURE_LIST(X)
#undef X
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strcmp(tab[i].name, name)) return (getauxval(tab[i].type) >> tab[i].bit) & 1;
    return 0;
}

#else
#define LMCC_HOST_ARCH ""
int lmcc_host_has_feature(const char *name) {
    (void)name;
    return 0;
}
#endif

/* calls fn(word, len, arg) for each whitespace-separated word of s; stops at a 0 return */
static int each_word(const char *s, int (*fn)(const char *w, size_t len, void *arg), void *arg) {
    while (*s) {
        while (*s == ' ' || *s == '\t') s++;
        size_t n = strcspn(s, " \t");
        if (n && !fn(s, n, arg)) return 0;
        s += n;
    }
    return 1;
}

static int word_present(const char *w, size_t len, void *arg) {
    char name[64];
    (void)arg;
    if (len >= sizeof name) return 0;
    memcpy(name, w, len);
    name[len] = 0;
    return lmcc_host_has_feature(name);
}

int lmcc_target_runs_here(const lmcc_target *t) {
    if (!t->hosted) return 0;
    if (t->triple[0]) {
        size_t n = strcspn(t->triple, "-");
        if (!LMCC_HOST_ARCH[0] || n != strlen(LMCC_HOST_ARCH) || strncmp(t->triple, LMCC_HOST_ARCH, n)) return 0;
    }
    return each_word(t->features, word_present, NULL);
}

static int count_word(const char *w, size_t len, void *arg) {
    (void)w, (void)len;
    ++*(int *)arg;
    return 1;
}

int lmcc_target_better(const lmcc_target *a, const lmcc_target *b) {
    if (a->vector_bits != b->vector_bits) return a->vector_bits > b->vector_bits;
    int na = 0, nb = 0;
    each_word(a->features, count_word, &na);
    each_word(b->features, count_word, &nb);
    if (na != nb) return na > nb;
    return strcmp(a->name, b->name) < 0;
}
