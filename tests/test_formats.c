/* test_formats.c - weight formats: q4_1, q5_0, q5_1, q4_g16/64/128, q3/q5/q6_g64, nf4/nf4_g64
 * quantize -> dequantize (decoded here from the documented layout, error within the format's bound),
 * GGUF blocks lmcc only reads (Q2_K..Q6_K, IQ4_NL, IQ4_XS, BF16) made by tests/kquant_ref.h decode to
 * the values they encode, and the matmul-family kernels (portable, and x86-64-v3 when the CPU has
 * AVX2) against double-precision references over the dequantized weights (and dequantized q8a
 * activations).  tests/test_formats_v4.c includes this file with FMT_V4 defined: the same checks on the
 * x86-64-v4 set (skipped without AVX-512 VNNI). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FMT_X86 1
#include <cpuid.h>
/* (a pragma's argument is not macro-expanded: one line per set) */
#if defined(__clang__) && defined(FMT_V4)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"))), apply_to = function)
#elif defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#elif defined(FMT_V4)
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")
#else
#pragma GCC target("avx2,fma,f16c")
#endif
#ifdef FMT_V4
#include "lmrt_kernels_x86_64_v4.h"
#else
#include "lmrt_kernels_x86_64_v3.h"
#endif
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
#define FMT_X86 0
#include "lmrt_kernels_generic.h"
#endif
#include "kquant_ref.h"
#include "test_util.h"

static uint32_t g_rs = 12345u;
static float rnd(void) { /* roughly N(0, 1)-shaped: sum of 4 uniforms, plus outliers */
    float s = 0.0f;
    for (int i = 0; i < 4; i++) {
        g_rs = g_rs * 1664525u + 1013904223u;
        s += (float)((g_rs >> 8) & 0xffffu) / 65536.0f - 0.5f;
    }
    g_rs = g_rs * 1664525u + 1013904223u;
    return (g_rs >> 24) == 7 ? s * 6.0f : s;
}
static double half(const uint8_t *p) { return (double)lmrt_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

static const double nf4_tab[16] = {-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
                                   -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
                                   0.07958029955625534, 0.16093020141124725, 0.24611230194568634,
                                   0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                                   0.7229568362236023, 1.0};

typedef struct fmt {
    const char *name;
    int type, G, nf4, min, q5; /* lmrt type id, group, codebook, q4_1/q5_1's offset, 5-bit */
    int qb;                    /* lmcc qB_g64: B (3, 5, 6), else 0 */
} fmt;
static const fmt fmts[] = {
    {"q4_1", LMRT_GGML_Q4_1, 32, 0, 1, 0, 0},     {"q4_g16", LMRT_LMCC_Q4_G16, 16, 0, 0, 0, 0},
    {"q4_g64", LMRT_LMCC_Q4_G64, 64, 0, 0, 0, 0}, {"q4_g128", LMRT_LMCC_Q4_G128, 128, 0, 0, 0, 0},
    {"nf4", LMRT_LMCC_NF4, 32, 1, 0, 0, 0},       {"nf4_g64", LMRT_LMCC_NF4_G64, 64, 1, 0, 0, 0},
    {"q5_0", LMRT_GGML_Q5_0, 32, 0, 0, 1, 0},     {"q5_1", LMRT_GGML_Q5_1, 32, 0, 1, 1, 0},
    {"q3_g64", LMRT_LMCC_Q3_G64, 64, 0, 0, 0, 3}, {"q5_g64", LMRT_LMCC_Q5_G64, 64, 0, 0, 0, 5},
    {"q6_g64", LMRT_LMCC_Q6_G64, 64, 0, 0, 0, 6},
};

/* header bytes of a block: f16 d [, f16 m] [, u32 qh] */
static int hdr_bytes(const fmt *f) { return (f->min ? 4 : 2) + (f->q5 ? 4 : 0); }

/* element j of a row, decoded from the documented block layout (q5: bit o of the little-endian qh
 * is element o's 5th bit; value d (q - 16), or d q + m for q5_1) */
static double decode_elem(const fmt *f, const uint8_t *row, int j) {
    if (f->qb) { /* {f16 d; lo[8L]; hi[8H]}: 3 = 2 + 1 bits, 5 = 4 + 1, 6 = 4 + 2; value d (q - 2^(B-1)) */
        int B = f->qb, L = B == 3 ? 2 : 4, H = B - L, o = j % 64;
        const uint8_t *b = row + (size_t)(j / 64) * (size_t)(2 + 8 * B);
        int lo = (b[2 + o % (8 * L)] >> (L * (o / (8 * L)))) & ((1 << L) - 1);
        int hi = (b[2 + 8 * L + o % (8 * H)] >> (H * (o / (8 * H)))) & ((1 << H) - 1);
        return ((lo | hi << L) - (1 << (B - 1))) * half(b);
    }
    int hb = hdr_bytes(f), h = f->G / 2, o = j % f->G;
    const uint8_t *b = row + (size_t)(j / f->G) * (size_t)(hb + h);
    int q = o < h ? b[hb + o] & 15 : b[hb + o - h] >> 4;
    if (f->q5) q |= ((b[hb - 4 + o / 8] >> (o % 8)) & 1) << 4;
    if (f->min) return half(b) * q + half(b + 2);
    if (f->q5) return (q - 16) * half(b);
    return f->nf4 ? nf4_tab[q] * half(b) : (q - 8) * half(b);
}

static void test_roundtrip(void) {
    enum { K = 172 + 128 }; /* not a multiple of any group: padded tail */
    float x[K], y[K];
    uint8_t buf[4096];
    for (size_t fi = 0; fi < sizeof fmts / sizeof fmts[0]; fi++) {
        const fmt *f = &fmts[fi];
        for (int rep = 0; rep < 20; rep++) {
            for (int i = 0; i < K; i++) x[i] = rnd() * (rep + 1) * 0.01f;
            if (rep == 3) for (int i = 0; i < K; i++) x[i] = 0.0f;
            CHECK(lmrt_quantize_row(f->type, x, buf, K) == 0, "%s: quantize", f->name);
            CHECK(lmrt_dequant_row(f->type, buf, y, K) == 0, "%s: dequant", f->name);
            int hb = hdr_bytes(f);
            for (int i = 0; i < K; i++) {
                double ref = decode_elem(f, buf, i);
                CHECK(fabs(ref - y[i]) <= 1e-6 * fabs(ref), "%s: elem %d dequant %g, layout says %g", f->name, i,
                      y[i], ref);
                const uint8_t *b = buf + (size_t)(i / f->G) * (size_t)(f->qb ? 2 + 8 * f->qb : hb + f->G / 2);
                double d = fabs(half(b)), amax = 0.0;
                for (int j = i / f->G * f->G; j < (i / f->G + 1) * f->G && j < K; j++)
                    amax = fabs(x[j]) > amax ? fabs(x[j]) : amax;
                /* symmetric: round to nearest except +8 clamps to 7 (error <= d); q4_1: d/2; nf4: half the
                   widest gap (0.152) of the codebook; plus f16 rounding of the scale (q5_1: of 31 d and m) */
                double bound = f->min ? 0.5 * d + (f->q5 ? 2e-3 : 1e-3) * amax + 1e-7
                               : f->nf4 ? 0.1520 * d + 2e-3 * amax + 1e-7 : d + 2e-3 * amax + 1e-7;
                CHECK(fabs(x[i] - y[i]) <= bound, "%s rep %d: elem %d x %g -> %g (bound %g)", f->name, rep, i, x[i],
                      y[i], bound);
            }
        }
    }
}

/* the GGUF types lmcc reads but does not write, from kquant_ref.h's blocks: the decoded values are the
 * ones the codes encode, bit for bit (both in ggml's float order) */
static const int kq_types[] = {LMRT_GGML_Q2_K, LMRT_GGML_Q3_K, LMRT_GGML_Q4_K, LMRT_GGML_Q5_K,
                               LMRT_GGML_Q6_K, LMRT_GGML_IQ4_NL, LMRT_GGML_IQ4_XS, LMRT_GGML_BF16};
static int is_kq(int type) {
    for (size_t i = 0; i < sizeof kq_types / sizeof kq_types[0]; i++)
        if (kq_types[i] == type) return 1;
    return 0;
}

static void test_kquant_blocks(void) {
    enum { K = 512 };
    float x[K], want[K], y[K];
    uint8_t buf[4 * K];
    for (size_t ti = 0; ti < sizeof kq_types / sizeof kq_types[0]; ti++) {
        int type = kq_types[ti];
        for (int rep = 0; rep < 10; rep++) {
            for (int i = 0; i < K; i++) x[i] = rnd() * 0.05f + (rep & 1 ? 0.02f : 0.0f);
            kq_quantize_row(type, x, buf, K, want);
            lmrt_dequant_row(type, buf, y, K);
            double err = 0, amax = 0;
            for (int i = 0; i < K; i++) {
                CHECK(memcmp(&want[i], &y[i], sizeof y[i]) == 0, "type %d elem %d: %a vs %a", type, i, (double)y[i],
                      (double)want[i]);
                err = fabs(x[i] - y[i]) > err ? fabs(x[i] - y[i]) : err;
                amax = fabs(x[i]) > amax ? fabs(x[i]) : amax;
            }
            /* sanity of the test quantizer itself: a fraction of the range that shrinks with the bits (iq4:
               half the widest gap of its codebook, 24 / 2 of 127) */
            double bound = type == LMRT_GGML_Q2_K ? 0.35 : type == LMRT_GGML_Q3_K ? 0.2 : type == LMRT_GGML_Q4_K ? 0.12
                           : type == LMRT_GGML_IQ4_NL || type == LMRT_GGML_IQ4_XS ? 0.1
                           : type == LMRT_GGML_BF16 ? 0.004 : 0.06;
            CHECK(err <= bound * amax, "type %d: RTN error %g of amax %g", type, err, amax);
        }
    }
}

/* ---- kernels ------------------------------------------------------------------------------------ */

typedef void (*matmul_fn)(float *, const void *, const void *, int, int, int, int, int, int);
typedef void (*matmul_add_fn)(float *, const void *, const void *, const float *, int, int, int, int, int, int);
typedef struct kset {
    const char *w;
    int type, q8a;
    matmul_fn mm;
    matmul_add_fn mma;
    matmul_fn swi; /* same signature: (y, W, x, n, F, K, R, tid, nth) */
} kset;

#define KS(W_, T_, A_, Q_, P_) {#W_ "/" #A_ #P_, T_, Q_, P_##matmul_##W_##_##A_, P_##matmul_add_##W_##_##A_, \
                                P_##matmul_swiglu_##W_##_##A_}
static const kset ksets[] = {
    KS(q4_1, LMRT_GGML_Q4_1, f32, 0, lmrt_scalar_), KS(q4_1, LMRT_GGML_Q4_1, q8a, 1, lmrt_scalar_),
    KS(q5_0, LMRT_GGML_Q5_0, f32, 0, lmrt_scalar_), KS(q5_0, LMRT_GGML_Q5_0, q8a, 1, lmrt_scalar_),
    KS(q5_1, LMRT_GGML_Q5_1, f32, 0, lmrt_scalar_), KS(q5_1, LMRT_GGML_Q5_1, q8a, 1, lmrt_scalar_),
    KS(q4_g16, LMRT_LMCC_Q4_G16, f32, 0, lmrt_scalar_), KS(q4_g16, LMRT_LMCC_Q4_G16, q8a, 1, lmrt_scalar_),
    KS(q4_g64, LMRT_LMCC_Q4_G64, f32, 0, lmrt_scalar_), KS(q4_g64, LMRT_LMCC_Q4_G64, q8a, 1, lmrt_scalar_),
    KS(q4_g128, LMRT_LMCC_Q4_G128, f32, 0, lmrt_scalar_), KS(q4_g128, LMRT_LMCC_Q4_G128, q8a, 1, lmrt_scalar_),
    KS(nf4, LMRT_LMCC_NF4, f32, 0, lmrt_scalar_), KS(nf4_g64, LMRT_LMCC_NF4_G64, f32, 0, lmrt_scalar_),
    KS(q3_g64, LMRT_LMCC_Q3_G64, f32, 0, lmrt_scalar_), KS(q3_g64, LMRT_LMCC_Q3_G64, q8a, 1, lmrt_scalar_),
    KS(q5_g64, LMRT_LMCC_Q5_G64, f32, 0, lmrt_scalar_), KS(q5_g64, LMRT_LMCC_Q5_G64, q8a, 1, lmrt_scalar_),
    KS(q6_g64, LMRT_LMCC_Q6_G64, f32, 0, lmrt_scalar_), KS(q6_g64, LMRT_LMCC_Q6_G64, q8a, 1, lmrt_scalar_),
    KS(q4_k, LMRT_GGML_Q4_K, f32, 0, lmrt_scalar_), KS(q4_k, LMRT_GGML_Q4_K, q8a, 1, lmrt_scalar_),
    KS(q5_k, LMRT_GGML_Q5_K, f32, 0, lmrt_scalar_), KS(q5_k, LMRT_GGML_Q5_K, q8a, 1, lmrt_scalar_),
    KS(q6_k, LMRT_GGML_Q6_K, f32, 0, lmrt_scalar_), KS(q6_k, LMRT_GGML_Q6_K, q8a, 1, lmrt_scalar_),
    KS(q2_k, LMRT_GGML_Q2_K, f32, 0, lmrt_scalar_), KS(q2_k, LMRT_GGML_Q2_K, q8a, 1, lmrt_scalar_),
    KS(q3_k, LMRT_GGML_Q3_K, f32, 0, lmrt_scalar_), KS(q3_k, LMRT_GGML_Q3_K, q8a, 1, lmrt_scalar_),
    KS(iq4_nl, LMRT_GGML_IQ4_NL, f32, 0, lmrt_scalar_), KS(iq4_nl, LMRT_GGML_IQ4_NL, q8a, 1, lmrt_scalar_),
    KS(iq4_xs, LMRT_GGML_IQ4_XS, f32, 0, lmrt_scalar_), KS(iq4_xs, LMRT_GGML_IQ4_XS, q8a, 1, lmrt_scalar_),
    KS(bf16, LMRT_GGML_BF16, f32, 0, lmrt_scalar_),
#if FMT_X86
    KS(q4_1, LMRT_GGML_Q4_1, f32, 0, lmrt_k_), KS(q4_1, LMRT_GGML_Q4_1, q8a, 1, lmrt_k_),
    KS(q5_0, LMRT_GGML_Q5_0, f32, 0, lmrt_k_), KS(q5_0, LMRT_GGML_Q5_0, q8a, 1, lmrt_k_),
    KS(q5_1, LMRT_GGML_Q5_1, f32, 0, lmrt_k_), KS(q5_1, LMRT_GGML_Q5_1, q8a, 1, lmrt_k_),
    KS(q4_g16, LMRT_LMCC_Q4_G16, q8a, 1, lmrt_k_), KS(nf4, LMRT_LMCC_NF4, f32, 0, lmrt_k_),
    KS(q4_g64, LMRT_LMCC_Q4_G64, f32, 0, lmrt_k_), KS(q4_g64, LMRT_LMCC_Q4_G64, q8a, 1, lmrt_k_),
    KS(q4_g128, LMRT_LMCC_Q4_G128, f32, 0, lmrt_k_), KS(q4_g128, LMRT_LMCC_Q4_G128, q8a, 1, lmrt_k_),
    KS(q3_g64, LMRT_LMCC_Q3_G64, f32, 0, lmrt_k_), KS(q3_g64, LMRT_LMCC_Q3_G64, q8a, 1, lmrt_k_),
    KS(q5_g64, LMRT_LMCC_Q5_G64, f32, 0, lmrt_k_), KS(q5_g64, LMRT_LMCC_Q5_G64, q8a, 1, lmrt_k_),
    KS(q6_g64, LMRT_LMCC_Q6_G64, f32, 0, lmrt_k_), KS(q6_g64, LMRT_LMCC_Q6_G64, q8a, 1, lmrt_k_),
    KS(q4_k, LMRT_GGML_Q4_K, f32, 0, lmrt_k_), KS(q4_k, LMRT_GGML_Q4_K, q8a, 1, lmrt_k_),
    KS(q5_k, LMRT_GGML_Q5_K, f32, 0, lmrt_k_), KS(q5_k, LMRT_GGML_Q5_K, q8a, 1, lmrt_k_),
    KS(q6_k, LMRT_GGML_Q6_K, f32, 0, lmrt_k_), KS(q6_k, LMRT_GGML_Q6_K, q8a, 1, lmrt_k_),
    KS(q2_k, LMRT_GGML_Q2_K, f32, 0, lmrt_k_), KS(q2_k, LMRT_GGML_Q2_K, q8a, 1, lmrt_k_),
    KS(q3_k, LMRT_GGML_Q3_K, f32, 0, lmrt_k_), KS(q3_k, LMRT_GGML_Q3_K, q8a, 1, lmrt_k_),
    KS(iq4_nl, LMRT_GGML_IQ4_NL, f32, 0, lmrt_k_), KS(iq4_nl, LMRT_GGML_IQ4_NL, q8a, 1, lmrt_k_),
    KS(iq4_xs, LMRT_GGML_IQ4_XS, f32, 0, lmrt_k_), KS(iq4_xs, LMRT_GGML_IQ4_XS, q8a, 1, lmrt_k_),
    KS(bf16, LMRT_GGML_BF16, f32, 0, lmrt_k_),
#endif
};
#define N_SCALAR 35 /* the first N_SCALAR sets are portable */

static int cpu_avx2(void) {
#if FMT_X86
    unsigned a, b, c, d; /* F16C via cpuid: clang's __builtin_cpu_supports does not know it */
    __builtin_cpu_init();
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 29))) return 0;
#ifdef FMT_V4
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq") ||
        !__builtin_cpu_supports("avx512vnni"))
        return 0;
#endif
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

#ifdef FMT_V4
#define FMT_BIG_K 1
#else
#define FMT_BIG_K 0
#endif

static double silu_d(double g) { return g / (1.0 + exp(-g)); }

static void test_kernels(void) {
    /* NR odd, n in {1, 6, 9}, and (x86-64-v4's own kernels) one K of 32 super-blocks with 17 tokens: the
     * row and token tiles' remainders, lone tokens, and more tokens than one chunk of activation data */
    enum { NR = 11, NTMAX = 17, KMAX = 8192 };
    int has_avx2 = cpu_avx2();
#ifdef FMT_V4
    if (!has_avx2) printf("x86-64-v4 kernels not tested: no AVX-512 VNNI here\n");
#else
    if (!has_avx2) printf("x86-64-v3 kernels not tested: no AVX2/FMA/F16C here\n");
#endif
    int n_sets = (int)(sizeof ksets / sizeof ksets[0]);
    static float W[NR * KMAX], Wd[NR * KMAX], x[NTMAX * KMAX], xd[NTMAX * KMAX], res[NTMAX * NR], y[NTMAX * NR];
    static uint8_t Wq[NR * KMAX * 2], xq[NTMAX * KMAX * 2];
    for (int si = 0; si < n_sets; si++) {
        const kset *k = &ksets[si];
        if (si >= N_SCALAR && !has_avx2) break;
        int kq = is_kq(k->type), sb = lmrt_quant_block_elems(k->type) == 256; /* super-blocks: K of whole ones */
        /* q5_0: x86-64-v4 reads quads of 128 elements (an odd count: 384), other K by row dots (172) */
        static const int Ks_plain[] = {64, 172, 256}, Ks_k[] = {256, 512, 8192}, Ks_q5[] = {172, 384, 8192};
        static const int ns[] = {1, 6, 9};
        const int *Ks = sb ? Ks_k : k->type == LMRT_GGML_Q5_0 ? Ks_q5 : Ks_plain;
        for (int ci = 0; ci < 9; ci++) { /* (K, n) cases */
            int K = Ks[ci / 3], NT = K > 512 ? NTMAX : ns[ci % 3], BE = lmrt_quant_block_elems(k->type);
            if (K > 512 && (ci % 3 || si < N_SCALAR || !FMT_BIG_K)) continue;
            size_t rb = (size_t)((K + BE - 1) / BE) * (size_t)lmrt_quant_block_bytes(k->type);
            for (int i = 0; i < NR * K; i++) W[i] = rnd() * 0.1f + (i % 7 == 0 ? 0.05f : 0.0f);
            for (int i = 0; i < NT * K; i++) x[i] = rnd();
            for (int i = 0; i < NT * NR; i++) res[i] = rnd();
            for (int r = 0; r < NR; r++) {
                if (kq) kq_quantize_row(k->type, W + r * K, Wq + r * rb, K, NULL);
                else lmrt_quantize_row(k->type, W + r * K, Wq + r * rb, K);
                lmrt_dequant_row(k->type, Wq + r * rb, Wd + r * K, K);
            }
            const void *xa = x;
            memcpy(xd, x, sizeof(float) * (size_t)(NT * K));
            if (k->q8a) { /* reference sees the activations the kernel sees */
                lmrt_scalar_quantize_q8a(xq, x, NT, K, 0, 1);
                size_t xs = (size_t)((K + 31) / 32) * LMRT_Q8A_BYTES;
                for (int t = 0; t < NT; t++)
                    for (int i = 0; i < K; i++) {
                        const uint8_t *blk = xq + t * xs + (size_t)(i / 32) * LMRT_Q8A_BYTES;
                        float dx;
                        memcpy(&dx, blk, 4);
                        xd[t * K + i] = dx * (float)(int8_t)blk[4 + i % 32];
                    }
                xa = xq;
            }
            double ref[NTMAX * NR], mag[NTMAX * NR];
            for (int t = 0; t < NT; t++)
                for (int r = 0; r < NR; r++) {
                    double s = 0, m = 0;
                    for (int i = 0; i < K; i++) {
                        s += (double)Wd[r * K + i] * xd[t * K + i];
                        m += fabs((double)Wd[r * K + i] * xd[t * K + i]);
                    }
                    ref[t * NR + r] = s, mag[t * NR + r] = m;
                }
            /* split over 2 threads to check the row ranges too */
            for (int tid = 0; tid < 2; tid++) k->mm(y, Wq, xa, NT, NR, K, 0, tid, 2);
            for (int i = 0; i < NT * NR; i++)
                CHECK(fabs(y[i] - ref[i]) <= 2e-6 * mag[i] + 1e-6, "%s K=%d n=%d matmul [%d]: %g vs %.7g", k->w, K,
                      NT, i, y[i], ref[i]);
            memcpy(y, res, sizeof res);
            k->mma(y, Wq, xa, y, NT, NR, K, 0, 0, 1); /* in place: y aliases res */
            for (int i = 0; i < NT * NR; i++)
                CHECK(fabs(y[i] - (ref[i] + res[i])) <= 2e-6 * mag[i] + 1e-6, "%s K=%d n=%d matmul_add [%d]", k->w,
                      K, NT, i);
            int F = NR / 2;
            k->swi(y, Wq, xa, NT, F, K, 0, 0, 1);
            for (int t = 0; t < NT; t++)
                for (int j = 0; j < F; j++) {
                    double g = ref[t * NR + j], u = ref[t * NR + F + j];
                    double tol = 4e-6 * (mag[t * NR + j] * fabs(u) + mag[t * NR + F + j] * fabs(g)) + 1e-5;
                    CHECK(fabs(y[t * F + j] - silu_d(g) * u) <= tol, "%s K=%d swiglu [%d][%d]: %g vs %g", k->w, K, t,
                          j, y[t * F + j], silu_d(g) * u);
                }
        }
    }
}

int main(void) {
    test_roundtrip();
    test_kquant_blocks();
    test_kernels();
    return test_finish("test_formats", NULL);
}
