/* test_kernels_x86.c - the x86-64-v3 kernels and the tiled formats against
 * naive double-precision references decoded from the plain GGUF blocks.
 * tests/test_kernels_x86_v4.c includes this file with LMRT_TEST_X86_V4 defined: the same checks on the
 * x86-64-v4 set (its tile heights TR = 16, 32 and 64). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#endif
#include <cpuid.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cpu_ok(void) {
    unsigned a, b, c, d;
    __builtin_cpu_init();
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 29))) return 0; /* F16C */
#ifdef LMRT_TEST_X86_V4
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq") ||
        !__builtin_cpu_supports("avx512vnni"))
        return 0;
#endif
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#ifdef LMRT_TEST_X86_V4
#define TARGET_ISA "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"
#define ISA_NAME "x86-64-v4"
static const int TRS[] = {16, 32, 64}; /* tile heights of the set's own kernels */
#else
#define TARGET_ISA "avx2,fma,f16c"
#define ISA_NAME "x86-64-v3"
static const int TRS[] = {8};
#endif
#define NTR ((int)(sizeof TRS / sizeof TRS[0]))

/* (a pragma's argument is not macro-expanded: one line per set) */
#if defined(__clang__) && defined(LMRT_TEST_X86_V4)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"))), apply_to = function)
#elif defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#elif defined(LMRT_TEST_X86_V4)
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")
#else
#pragma GCC target("avx2,fma,f16c")
#endif

#if !__has_include("lmrt_kernels_scalar.h")
/* the scalar kernel set (engineer C) is not in the tree yet */
int main(void) {
    printf("skip: runtime-min/lmrt_kernels_scalar.h is missing\n");
    return 77;
}
#else
#include "check.h"
#ifdef LMRT_TEST_X86_V4
#include "lmrt_kernels_x86_64_v4.h"
#else
#include "lmrt_kernels_x86_64_v3.h"
#endif


static uint64_t rng = 0x9e3779b97f4a7c15ull;
static float frand(void) { /* [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) & 0xffffff) / 8388608.0f - 1.0f;
}

/* ---- independent decoders of the plain formats ---- */
static double half_to_double(const uint8_t *p) {
    unsigned h = (unsigned)p[0] | ((unsigned)p[1] << 8);
    int e = (int)((h >> 10) & 31), m = (int)(h & 1023);
    double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -v : v;
}
static int plain_q(int type, const uint8_t *blk, int j) { /* element j of a plain block */
    if (type == LMRT_GGML_Q8_0) return (int8_t)blk[2 + j];
    return j < 16 ? (blk[2 + j] & 15) - 8 : (blk[2 + j - 16] >> 4) - 8;
}
static int blk_bytes(int type) { return type == LMRT_GGML_Q8_0 ? 34 : 18; }

typedef struct {
    int type, N, K, nb;
    uint8_t *plain, *tiled;
} wmat;

static wmat make_w(int type, int N, int K, int R) {
    wmat w = {type, N, K, (K + 31) / 32, NULL, NULL};
    size_t rb = (size_t)w.nb * (size_t)blk_bytes(type);
    w.plain = malloc(rb * (size_t)N);
    float *row = malloc(sizeof(float) * (size_t)K);
    for (int r = 0; r < N; r++) {
        for (int k = 0; k < K; k++) row[k] = frand() * (1.0f + (float)(r % 5));
        if (type == LMRT_GGML_Q8_0) lmrt_quantize_row_q8_0(row, w.plain + rb * (size_t)r, K);
        else lmrt_quantize_row_q4_0(row, w.plain + rb * (size_t)r, K);
    }
    free(row);
    w.tiled = malloc(lmrt_tiled_bytes(type, R, N, K));
    if (lmrt_tile_weights(type, R, w.plain, N, K, w.tiled) != 0) {
        printf("FAIL lmrt_tile_weights\n");
        exit(1);
    }
    return w;
}
static void free_w(wmat *w) { free(w->plain), free(w->tiled); }

static double w_at(const wmat *w, int r, int k) {
    const uint8_t *blk = w->plain + ((size_t)r * (size_t)w->nb + (size_t)(k / 32)) * (size_t)blk_bytes(w->type);
    return half_to_double(blk) * plain_q(w->type, blk, k % 32);
}

/* own q8a quantizer: d = amax/127, q = roundf(x / d) (KERNELS.md) */
static void quant_q8a(uint8_t *dst, const float *x, int K) {
    for (int b = 0; b * 32 < K; b++, dst += 36) {
        float v[32], amax = 0.0f;
        for (int j = 0; j < 32; j++) {
            v[j] = b * 32 + j < K ? x[b * 32 + j] : 0.0f;
            amax = fabsf(v[j]) > amax ? fabsf(v[j]) : amax;
        }
        float d = amax / 127.0f;
        memcpy(dst, &d, 4);
        for (int j = 0; j < 32; j++) dst[4 + j] = (uint8_t)(int8_t)(d != 0.0f ? roundf(v[j] / d) : 0.0f);
    }
}
static double a_at(const uint8_t *xq, int k) {
    const uint8_t *blk = xq + (size_t)(k / 32) * 36;
    float d;
    memcpy(&d, blk, 4);
    return (double)d * (int8_t)blk[4 + k % 32];
}

/* reference row dot and the sum of |terms| (the scale of the float rounding error) */
static double ref_dot(const wmat *w, int r, const void *x, int q8a, double *mag) {
    double s = 0, m = 0;
    for (int k = 0; k < w->K; k++) {
        double t = w_at(w, r, k) * (q8a ? a_at(x, k) : (double)((const float *)x)[k]);
        s += t, m += fabs(t);
    }
    *mag = m;
    return s;
}

static int close_to(double got, double want, double mag, double rel) {
    return fabs(got - want) <= rel * mag + 1e-30;
}

/* ---- the tiled layout ---- */
static void test_tiled_layout(int type, int R, int N, int K) {
    wmat w = make_w(type, N, K, R);
    float *a = malloc(sizeof(float) * (size_t)K), *b = malloc(sizeof(float) * (size_t)K);
    int bad = 0;
    for (int r = 0; r < N; r++) {
        lmrt_dequant_row(type, w.plain + (size_t)r * (size_t)w.nb * (size_t)blk_bytes(type), a, K);
        lmrt_tiled_dequant_row(type, R, w.tiled, r, K, b);
        bad += memcmp(a, b, sizeof(float) * (size_t)K) != 0;
    }
    int np = (N + R - 1) / R * R;
    for (int r = N; r < np; r++) { /* padding rows are zero */
        lmrt_tiled_dequant_row(type, R, w.tiled, r, K, b);
        for (int k = 0; k < K; k++) bad += b[k] != 0.0f;
    }
    CHECK(bad == 0, "tiled dequant != plain dequant (type %d R %d N %d K %d): %d rows", type, R, N, K, bad);
    /* the documented place of every payload byte: row order, or dword k of sub-tile row e at 64k + 4e
     * of its 16-row sub-tile when R % 16 == 0 (lmrt_tiled.h) */
    int P = type == LMRT_GGML_Q4_0 ? 16 : 32, misplaced = 0;
    size_t tile = (size_t)R * (size_t)(2 + P);
    for (int r = 0; r < N; r++)
        for (int b = 0; b < w.nb; b++)
            for (int j = 0; j < P; j++) {
                int i = r % R;
                size_t off = R % 16 ? (size_t)(i * P + j) : (size_t)(16 * P * (i / 16) + 64 * (j / 4) + 4 * (i % 16) + j % 4);
                const uint8_t *t = w.tiled + (size_t)(r / R) * (size_t)w.nb * tile + (size_t)b * tile + 2 * (size_t)R;
                misplaced += t[off] != w.plain[((size_t)r * (size_t)w.nb + (size_t)b) * (size_t)(2 + P) + 2 + (size_t)j];
            }
    CHECK(misplaced == 0, "tiled payload bytes not where lmrt_tiled.h says (type %d R %d): %d", type, R, misplaced);
    CHECK(lmrt_tiled_bytes(type, R, N, K) == (size_t)np * (size_t)w.nb * (size_t)blk_bytes(type),
          "tiled size (type %d R %d)", type, R);
    free(a), free(b);
    free_w(&w);
}

/* ---- the linear family ---- */
typedef void (*mm_fn)(float *, const void *, const void *, int, int, int, int, int, int);
typedef void (*mma_fn)(float *, const void *, const void *, const float *, int, int, int, int, int, int);
typedef void (*mms_fn)(float *, const void *, const void *, int, int, int, int, int, int);

static void make_x(int n, int K, int q8a, float **xf, uint8_t **xq, const void **x) {
    *xf = malloc(sizeof(float) * (size_t)n * (size_t)K);
    for (int i = 0; i < n * K; i++) (*xf)[i] = frand() * 2.0f;
    size_t qs = (size_t)((K + 31) / 32) * 36;
    *xq = malloc(qs * (size_t)n + 1);
    for (int t = 0; t < n; t++) quant_q8a(*xq + qs * (size_t)t, *xf + (size_t)t * (size_t)K, K);
    *x = q8a ? (const void *)*xq : (const void *)*xf;
}
static const void *x_row(const void *x, int q8a, int K, int t) {
    return q8a ? (const void *)((const uint8_t *)x + (size_t)t * (size_t)((K + 31) / 32) * 36)
               : (const void *)((const float *)x + (size_t)t * (size_t)K);
}

static void test_matmul(const char *name, int type, int q8a, mm_fn mm, mma_fn mma, mms_fn mms, int R, int N, int K,
                        int n) {
    wmat w = make_w(type, N, K, R);
    float *xf;
    uint8_t *xq;
    const void *x;
    make_x(n, K, q8a, &xf, &xq, &x);
    size_t ny = (size_t)n * (size_t)N;
    float *y1 = malloc(sizeof(float) * ny), *y2 = malloc(sizeof(float) * ny), *res = malloc(sizeof(float) * ny);
    double *ref = malloc(sizeof(double) * ny), *mag = malloc(sizeof(double) * ny);
    for (size_t i = 0; i < ny; i++) y1[i] = y2[i] = NAN, res[i] = frand() * 3.0f;
    for (int t = 0; t < n; t++)
        for (int r = 0; r < N; r++) ref[(size_t)t * N + r] = ref_dot(&w, r, x_row(x, q8a, K, t), q8a, &mag[(size_t)t * N + r]);
    mm(y1, w.tiled, x, n, N, K, R, 0, 1);
    mm(y2, w.tiled, x, n, N, K, R, 1, 2); /* two threads: each row exactly once, same values */
    mm(y2, w.tiled, x, n, N, K, R, 0, 2);
    int bad = 0, split = 0;
    double worst = 0;
    for (size_t i = 0; i < ny; i++) {
        bad += !close_to(y1[i], ref[i], mag[i], 1e-5);
        split += memcmp(&y1[i], &y2[i], 4) != 0;
        double e = fabs(y1[i] - ref[i]) / (mag[i] + 1e-30);
        worst = e > worst ? e : worst;
    }
    CHECK(bad == 0, "matmul %s N %d K %d n %d: %d/%zu off (worst rel %.3g)", name, N, K, n, bad, ny, worst);
    CHECK(split == 0, "matmul %s N %d K %d n %d: 2-thread split differs in %d", name, N, K, n, split);
    /* matmul_add, y aliasing res, split across two threads */
    memcpy(y2, res, sizeof(float) * ny);
    mma(y2, w.tiled, x, y2, n, N, K, R, 0, 2);
    mma(y2, w.tiled, x, y2, n, N, K, R, 1, 2);
    bad = 0;
    for (size_t i = 0; i < ny; i++) bad += !close_to(y2[i], ref[i] + res[i], mag[i] + fabs(res[i]), 1e-5);
    CHECK(bad == 0, "matmul_add %s N %d K %d n %d: %d off", name, N, K, n, bad);
    /* matmul_swiglu: the first F = N/2 rows are gate, the next F up */
    int F = N / 2;
    if (F > 0) {
        float *ys = malloc(sizeof(float) * (size_t)n * (size_t)F);
        for (int i = 0; i < n * F; i++) ys[i] = NAN;
        mms(ys, w.tiled, x, n, F, K, R, 1, 2);
        mms(ys, w.tiled, x, n, F, K, R, 0, 2);
        bad = 0;
        for (int t = 0; t < n; t++)
            for (int j = 0; j < F; j++) {
                double g = ref[(size_t)t * N + j], u = ref[(size_t)t * N + F + j];
                double want = g / (1.0 + exp(-g)) * u;
                double m = (mag[(size_t)t * N + j] * fabs(u) + mag[(size_t)t * N + F + j] * fabs(g)) + fabs(want);
                bad += !close_to(ys[(size_t)t * F + j], want, m, 2e-5);
            }
        CHECK(bad == 0, "matmul_swiglu %s F %d K %d n %d: %d off", name, F, K, n, bad);
        free(ys);
    }
    free(y1), free(y2), free(res), free(ref), free(mag), free(xf), free(xq);
    free_w(&w);
}

/* dense f32/f16 weights: the same g_checks against a double loop */
static void test_dense(int f16, int N, int K, int n) {
    float *W = malloc(sizeof(float) * (size_t)N * (size_t)K);
    uint16_t *Wh = malloc(2 * (size_t)N * (size_t)K);
    for (size_t i = 0; i < (size_t)N * (size_t)K; i++) {
        W[i] = frand();
        Wh[i] = lmrt_f32_to_f16(W[i]);
        if (f16) W[i] = lmrt_f16_to_f32(Wh[i]);
    }
    float *x = malloc(sizeof(float) * (size_t)n * (size_t)K), *y = malloc(sizeof(float) * (size_t)n * (size_t)N);
    for (int i = 0; i < n * K; i++) x[i] = frand();
    for (int i = 0; i < n * N; i++) y[i] = NAN;
    const void *Wp = f16 ? (const void *)Wh : (const void *)W;
    for (int tid = 0; tid < 3; tid++)
        (f16 ? lmrt_k_matmul_f16_f32 : lmrt_k_matmul_f32_f32)(y, Wp, x, n, N, K, 1, tid, 3);
    int bad = 0;
    for (int t = 0; t < n; t++)
        for (int r = 0; r < N; r++) {
            double s = 0, m = 0;
            for (int k = 0; k < K; k++) {
                double v = (double)W[(size_t)r * K + k] * x[(size_t)t * K + k];
                s += v, m += fabs(v);
            }
            bad += !close_to(y[(size_t)t * N + r], s, m, 1e-5);
        }
    CHECK(bad == 0, "matmul %s_f32 N %d K %d n %d: %d off", f16 ? "f16" : "f32", N, K, n, bad);
    free(W), free(Wh), free(x), free(y);
}

/* qkv on tiled q4 weights with q8a input: rope'd q, k, v into f32 / f16 caches */
/* S: the caches' slots (0: every position; else a ring, position p in slot p % S, S >= n) */
static void test_qkv(int R, int kv_f16, int type, int H, int Hkv, int hd, int rope_dim, int neox, int K, int n,
                     int pos, int S) {
    int rows = (H + 2 * Hkv) * hd, ctx = pos + n + 2;
    if (S == 0) S = ctx;
    wmat w = make_w(type, rows, K, R);
    float *xf;
    uint8_t *xq;
    const void *x;
    make_x(n, K, 1, &xf, &xq, &x);
    float *rope = malloc(sizeof(float) * (size_t)ctx * (size_t)rope_dim);
    for (int p = 0; p < ctx; p++)
        for (int i = 0; i < rope_dim / 2; i++) {
            double th = p * pow(10000.0, -2.0 * i / rope_dim);
            rope[(size_t)p * rope_dim + 2 * i] = (float)cos(th);
            rope[(size_t)p * rope_dim + 2 * i + 1] = (float)sin(th);
        }
    size_t csz = (size_t)Hkv * (size_t)S * (size_t)hd;
    float *q = malloc(sizeof(float) * (size_t)n * H * hd), *kc = calloc(csz, 4), *vc = calloc(csz, 4);
    for (int tid = 0; tid < 2; tid++) {
        if (kv_f16)
            lmrt_k_qkv_q4_0t_q8a_f16(q, w.tiled, x, n, K, H, Hkv, hd, rope_dim, neox, rope + (size_t)pos * rope_dim, kc,
                                     vc, S, pos, R, tid, 2);
        else if (type == LMRT_GGML_Q4_0)
            lmrt_k_qkv_q4_0t_q8a_f32(q, w.tiled, x, n, K, H, Hkv, hd, rope_dim, neox, rope + (size_t)pos * rope_dim, kc,
                                     vc, S, pos, R, tid, 2);
        else
            lmrt_k_qkv_q8_0t_q8a_f32(q, w.tiled, x, n, K, H, Hkv, hd, rope_dim, neox, rope + (size_t)pos * rope_dim, kc,
                                     vc, S, pos, R, tid, 2);
    }
    int bad = 0;
    double *v = malloc(sizeof(double) * (size_t)hd), *m = malloc(sizeof(double) * (size_t)hd);
    for (int t = 0; t < n; t++)
        for (int u = 0; u < H + 2 * Hkv; u++) {
            for (int i = 0; i < hd; i++) v[i] = ref_dot(&w, u * hd + i, x_row(x, 1, K, t), 1, &m[i]);
            if (u < H + Hkv)
                for (int i = 0; i < rope_dim / 2; i++) {
                    int i0 = neox ? i : 2 * i, i1 = neox ? i + rope_dim / 2 : 2 * i + 1;
                    const float *cs = rope + (size_t)(pos + t) * rope_dim + 2 * i;
                    double a = v[i0], b = v[i1];
                    v[i0] = a * cs[0] - b * cs[1], v[i1] = a * cs[1] + b * cs[0];
                    double mm = m[i0] + m[i1];
                    m[i0] = m[i1] = mm;
                }
            for (int i = 0; i < hd; i++) {
                double got;
                if (u < H) got = q[((size_t)t * H + u) * hd + i];
                else {
                    int h = u < H + Hkv ? u - H : u - H - Hkv;
                    size_t off = ((size_t)h * S + (size_t)((pos + t) % S)) * hd + i;
                    const float *c = u < H + Hkv ? kc : vc;
                    got = kv_f16 ? lmrt_f16_to_f32(((const uint16_t *)c)[off]) : c[off];
                }
                bad += !close_to(got, v[i], m[i] + (kv_f16 ? fabs(v[i]) * 100 : 0), 1e-5);
            }
        }
    CHECK(bad == 0, "qkv R %d kv_f16 %d H %d Hkv %d hd %d n %d pos %d: %d off", R, kv_f16, H, Hkv, hd, n, pos, bad);
    free(v), free(m), free(q), free(kc), free(vc), free(rope), free(xf), free(xq);
    free_w(&w);
}

/* saturation corners of the integer paths: |w| and |a| at their maxima in every element */
static void test_extremes(int R) {
    int K = 2048, N = 16, nb = K / 32;
    static const int8_t avals[] = {127, -127};
    for (int type = 0; type < 2; type++) {
        int tt = type ? LMRT_GGML_Q8_0 : LMRT_GGML_Q4_0, bb = blk_bytes(tt);
        uint8_t *plain = calloc((size_t)N * nb, (size_t)bb), *tiled = malloc(lmrt_tiled_bytes(tt, R, N, K));
        for (int r = 0; r < N; r++)
            for (int b = 0; b < nb; b++) {
                uint8_t *blk = plain + ((size_t)r * nb + b) * bb;
                blk[0] = 0x00, blk[1] = 0x3c; /* 1.0 */
                for (int j = 0; j < bb - 2; j++)
                    blk[2 + j] = tt == LMRT_GGML_Q8_0 ? (uint8_t)(r % 2 ? -128 : 127) : (r % 2 ? 0x00 : 0xff);
            }
        lmrt_tile_weights(tt, R, plain, N, K, tiled);
        for (int ai = 0; ai < 2; ai++) {
            uint8_t *xq = malloc((size_t)nb * 36);
            float one = 1.0f, y[16];
            for (int b = 0; b < nb; b++) {
                memcpy(xq + b * 36, &one, 4);
                memset(xq + b * 36 + 4, (uint8_t)avals[ai], 32);
            }
            (tt == LMRT_GGML_Q8_0 ? lmrt_k_matmul_q8_0t_q8a : lmrt_k_matmul_q4_0t_q8a)(y, tiled, xq, 1, N, K, R, 0, 1);
            int bad = 0;
            for (int r = 0; r < N; r++) {
                double w = tt == LMRT_GGML_Q8_0 ? (r % 2 ? -128 : 127) : (r % 2 ? -8 : 7);
                bad += y[r] != (float)(w * avals[ai] * K);
            }
            CHECK(bad == 0, "extreme values R %d type %d a %d: %d rows wrong", R, tt, avals[ai], bad);
            free(xq);
        }
        free(plain), free(tiled);
    }
}

static void test_quantize(int K, int n) {
    float *x = malloc(sizeof(float) * (size_t)n * K);
    for (int i = 0; i < n * K; i++) x[i] = frand() * (float)(1 + i % 7);
    for (int i = 0; i < n * K; i += 37) x[i] = 0.0f;
    if (K >= 32)
        for (int j = 0; j < 32; j++) x[j] = (float)(j - 16) * 0.5f; /* many exact halves */
    size_t qs = (size_t)((K + 31) / 32) * 36 * (size_t)n;
    uint8_t *a = malloc(qs), *b = malloc(qs);
    memset(a, 0xAA, qs);
    for (int t = 0; t < n; t++) quant_q8a(b + (size_t)t * (qs / n), x + (size_t)t * K, K);
    lmrt_k_quantize_q8a(a, x, n, K, 1, 2);
    lmrt_k_quantize_q8a(a, x, n, K, 0, 2);
    CHECK(memcmp(a, b, qs) == 0, "quantize_q8a K %d n %d differs from the reference", K, n);
    free(x), free(a), free(b);
}

static void test_norms(int D, int n) {
    float *x = malloc(sizeof(float) * (size_t)n * D), *w = malloc(sizeof(float) * (size_t)D);
    float *y = malloc(sizeof(float) * (size_t)n * D), *z = malloc(sizeof(float) * (size_t)n * D);
    for (int i = 0; i < n * D; i++) x[i] = frand() * 3.0f;
    for (int i = 0; i < D; i++) w[i] = frand();
    for (int tid = 0; tid < 2; tid++) {
        lmrt_k_normalize(y, x, n, D, 1e-5f, tid, 2);
        lmrt_k_rmsnorm(z, x, w, n, D, 1e-5f, tid, 2);
    }
    int bad = 0;
    for (int t = 0; t < n; t++) {
        double ss = 0;
        for (int i = 0; i < D; i++) ss += (double)x[t * D + i] * x[t * D + i];
        double s = 1.0 / sqrt(ss / D + 1e-5);
        for (int i = 0; i < D; i++) {
            double want = x[t * D + i] * s;
            bad += fabs(y[t * D + i] - want) > 1e-5 * fabs(want) + 1e-7;
            bad += fabs(z[t * D + i] - want * w[i]) > 1e-5 * fabs(want * w[i]) + 1e-7;
        }
    }
    CHECK(bad == 0, "normalize/rmsnorm D %d n %d: %d off", D, n, bad);
    free(x), free(w), free(y), free(z);
}

static void test_elementwise(void) {
    /* AVX2 expf over a dense sweep against libm */
    int worst = 0;
    for (float f = -110.0f; f < 95.0f; f += 0.001953125f * 3.1f) {
        float in[8], out[8];
        for (int j = 0; j < 8; j++) in[j] = f + (float)j * 1e-4f;
        _mm256_storeu_ps(out, lmrt_x86_expf_(_mm256_loadu_ps(in)));
        for (int j = 0; j < 8; j++) {
            float want = expf(in[j]);
            int32_t a, b;
            memcpy(&a, &out[j], 4), memcpy(&b, &want, 4);
            int ulp = abs(a - b);
            worst = ulp > worst ? ulp : worst;
        }
    }
    printf("avx2 expf: max %d ulp vs libm over [-110, 95]\n", worst);
    CHECK(worst <= 2, "avx2 expf error %d ulp", worst);
    int len = 203;
    float g[203], u[203], y[203], a[203];
    for (int i = 0; i < len; i++) g[i] = frand() * 20.0f, u[i] = frand(), a[i] = frand();
    g[0] = -100.0f, g[1] = 100.0f, g[2] = 0.0f;
    for (int tid = 0; tid < 2; tid++) lmrt_k_swiglu(y, g, u, len, tid, 2);
    int bad = 0;
    for (int i = 0; i < len; i++) {
        double want = g[i] / (1.0 + exp(-(double)g[i])) * u[i];
        bad += fabs(y[i] - want) > 4e-7 * fabs(want) + 1e-37;
    }
    CHECK(bad == 0, "swiglu: %d off", bad);
    memcpy(y, g, sizeof y);
    for (int tid = 0; tid < 2; tid++) lmrt_k_add(y, y, a, len, tid, 2); /* aliasing */
    bad = 0;
    for (int i = 0; i < len; i++) bad += y[i] != g[i] + a[i];
    CHECK(bad == 0, "add: %d off", bad);
}

/* n queries at positions pos.. over caches of S slots (0: pos + n + 3, every position; a ring holds
 * position j in slot j % S), the last `win` positions each (0: all), softcap `cap` (0: none); kind:
 * LMRT_KV_* (the values are f16-exact; q8 rows are quantized from them, the reference reads theirs) */
static void test_attention(int kind, int H, int Hkv, int hd, int n, int pos, int S, int win, float cap) {
    int np = pos + n, nth = 2;
    if (S == 0) S = pos + n + 3;
    size_t csz = (size_t)Hkv * S * hd, hsz = (size_t)Hkv * np * hd, rb = lmrt_kv_row_bytes_(LMRT_KV_Q8, hd);
    float *kc = calloc(csz, 4), *vc = calloc(csz, 4), *kx = malloc(4 * hsz), *vx = malloc(4 * hsz);
    uint16_t *kh = calloc(csz, 2), *vh = calloc(csz, 2);
    uint8_t *kq = calloc((size_t)Hkv * S, rb), *vq = calloc((size_t)Hkv * S, rb), row[4 + 256];
    for (size_t i = 0; i < hsz; i++) { /* [h][position][i], f16-exact */
        kx[i] = lmrt_f16_to_f32(lmrt_f32_to_f16(frand() * 2.0f)), vx[i] = lmrt_f16_to_f32(lmrt_f32_to_f16(frand()));
    }
    for (int h = 0; h < Hkv; h++)
        for (int j = 0; j < np; j++) { /* later positions overwrite earlier ones in a ring */
            size_t x0 = ((size_t)h * np + j) * hd, r = (size_t)h * S + (size_t)(j % S);
            if (kind == LMRT_KV_Q8) {
                lmrt_scalar_kv_store_q8(row, kx + x0, 1, 1, 1, hd, 0, 0, 1);
                memcpy(kq + r * rb, row, rb);
                lmrt_scalar_kv_store_q8(row, vx + x0, 1, 1, 1, hd, 0, 0, 1);
                memcpy(vq + r * rb, row, rb);
                for (int i = 0; i < hd; i++) {
                    float dk, dv;
                    memcpy(&dk, kq + r * rb, 4), memcpy(&dv, vq + r * rb, 4);
                    kx[x0 + i] = dk * (float)(int8_t)kq[r * rb + 4 + i], vx[x0 + i] = dv * (float)(int8_t)vq[r * rb + 4 + i];
                }
            }
            for (int i = 0; i < hd; i++) {
                size_t c = r * hd + i, x = x0 + i;
                kc[c] = kx[x], vc[c] = vx[x], kh[c] = lmrt_f32_to_f16(kx[x]), vh[c] = lmrt_f32_to_f16(vx[x]);
            }
        }
    float *q = malloc(sizeof(float) * (size_t)n * H * hd), *out = malloc(sizeof(float) * (size_t)n * H * hd);
    float *scratch = malloc(sizeof(float) * (size_t)nth * S);
    for (int i = 0; i < n * H * hd; i++) q[i] = frand();
    float scale = 1.0f / sqrtf((float)hd);
    for (int tid = 0; tid < nth; tid++) {
        if (kind == LMRT_KV_Q8) lmrt_k_attention_q8(out, q, kq, vq, n, H, Hkv, hd, S, pos, win, 0, NULL, scale, cap, scratch, tid, nth);
        else if (kind) lmrt_k_attention_f16(out, q, kh, vh, n, H, Hkv, hd, S, pos, win, 0, NULL, scale, cap, scratch, tid, nth);
        else lmrt_k_attention_f32(out, q, kc, vc, n, H, Hkv, hd, S, pos, win, 0, NULL, scale, cap, scratch, tid, nth);
    }
    int bad = 0;
    double *p = malloc(sizeof(double) * np);
    for (int t = 0; t < n; t++)
        for (int h = 0; h < H; h++) {
            int kvh = h / (H / Hkv), last = pos + t, lo = win > 0 && last - win + 1 > 0 ? last - win + 1 : 0;
            const float *qh = q + ((size_t)t * H + h) * hd;
            double mx = -1e300, sum = 0;
            for (int s = lo; s <= last; s++) {
                double d = 0;
                for (int i = 0; i < hd; i++) d += (double)qh[i] * kx[((size_t)kvh * np + s) * hd + i];
                p[s] = d * scale;
                if (cap > 0) p[s] = cap * tanh(p[s] / cap);
                mx = p[s] > mx ? p[s] : mx;
            }
            for (int s = lo; s <= last; s++) p[s] = exp(p[s] - mx), sum += p[s];
            for (int i = 0; i < hd; i++) {
                double o = 0;
                for (int s = lo; s <= last; s++) o += p[s] / sum * vx[((size_t)kvh * np + s) * hd + i];
                bad += fabs(out[((size_t)t * H + h) * hd + i] - o) > 2e-5;
            }
        }
    CHECK(bad == 0, "attention kv %d H %d Hkv %d hd %d n %d pos %d slots %d window %d softcap %g: %d off", kind,
          H, Hkv, hd, n, pos, S, win, (double)cap, bad);
    free(kc), free(vc), free(kx), free(vx), free(kh), free(vh), free(kq), free(vq), free(q), free(out), free(scratch);
    free(p);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* decode (n = 1) weight streaming vs a plain read loop over the same bytes */
static void bench(int R, int type, int N, int K, int copies) {
    size_t tb = lmrt_tiled_bytes(type, R, N, K);
    uint8_t *W = malloc(tb * (size_t)copies);
    for (size_t i = 0; i < tb * (size_t)copies; i++) W[i] = (uint8_t)(i * 2654435761u >> 13);
    for (size_t g = 0; g < tb * (size_t)copies; g += 8 * 18) W[g + 1] = 0x20; /* tame f16 scales */
    float *xf = malloc(sizeof(float) * (size_t)K), *y = malloc(sizeof(float) * (size_t)N);
    uint8_t *xq = malloc((size_t)((K + 31) / 32) * 36);
    for (int k = 0; k < K; k++) xf[k] = frand();
    quant_q8a(xq, xf, K);
    int iters = copies > 1 ? 6 : 60;
    double best = 1e9, bestr = 1e9;
    volatile uint64_t sink = 0;
    for (int it = 0; it < iters; it++) {
        double t0 = now();
        for (int c = 0; c < copies; c++)
            (type == LMRT_GGML_Q4_0 ? lmrt_k_matmul_q4_0t_q8a : lmrt_k_matmul_q8_0t_q8a)(y, W + tb * (size_t)c, xq, 1, N, K, R, 0, 1);
        double t1 = now();
        __m256i acc = _mm256_setzero_si256();
        const __m256i *p = (const __m256i *)W;
        for (size_t i = 0; i < tb * (size_t)copies / 32; i += 4)
            acc = _mm256_add_epi64(acc, _mm256_xor_si256(_mm256_add_epi64(_mm256_loadu_si256(p + i), _mm256_loadu_si256(p + i + 1)),
                                                         _mm256_add_epi64(_mm256_loadu_si256(p + i + 2), _mm256_loadu_si256(p + i + 3))));
        double t2 = now();
        sink += (uint64_t)_mm256_extract_epi64(acc, 0);
        best = t1 - t0 < best ? t1 - t0 : best;
        bestr = t2 - t1 < bestr ? t2 - t1 : bestr;
    }
    double gb = (double)tb * copies / 1e9;
    printf("bench " ISA_NAME " %s R %d %dx%d x%d (%.1f MB), 1 thread: matmul %.1f GB/s, read loop %.1f GB/s, ratio %.2f\n",
           type == LMRT_GGML_Q4_0 ? "q4_0t" : "q8_0t", R, N, K, copies, gb * 1e3, gb / best, gb / bestr, bestr / best);
    (void)sink;
    free(W), free(xf), free(y), free(xq);
}

#include "kv_att_cases.h"
#include "kv_sink_check.h"

/* --kv-policy slide past the wrap: sinks (scored with their own query) and a ring, every KV kind */
static void test_attention_sink(void) {
    double d = kv_sink_check_all();
    CHECK(d >= 0 && d <= 1e-5, "attention with sinks: %g off the portable set", d);
}

int main(void) {
    if (!cpu_ok()) {
        printf("skip: this CPU lacks " TARGET_ISA "\n");
        return 77;
    }
    static const int Ks[] = {64, 172, 2048};
    static const int ns[] = {1, 3, 16};
    for (int R = 2; R <= 64; R *= 2) {
        test_tiled_layout(LMRT_GGML_Q4_0, R, 37, 172);
        test_tiled_layout(LMRT_GGML_Q8_0, R, 37, 172);
    }
    test_tiled_layout(LMRT_GGML_Q4_0, 8, 64, 64);
    for (int ri = 0; ri < NTR; ri++)
        for (int ki = 0; ki < 3; ki++)
            for (int ni = 0; ni < 3; ni++) {
                int R = TRS[ri], K = Ks[ki], n = ns[ni], N = K == 2048 ? 44 : 100; /* not multiples of R */
                test_matmul("q4_0t_q8a", LMRT_GGML_Q4_0, 1, lmrt_k_matmul_q4_0t_q8a, lmrt_k_matmul_add_q4_0t_q8a,
                            lmrt_k_matmul_swiglu_q4_0t_q8a, R, N, K, n);
                test_matmul("q8_0t_q8a", LMRT_GGML_Q8_0, 1, lmrt_k_matmul_q8_0t_q8a, lmrt_k_matmul_add_q8_0t_q8a,
                            lmrt_k_matmul_swiglu_q8_0t_q8a, R, N, K, n);
                test_matmul("q4_0t_f32", LMRT_GGML_Q4_0, 0, lmrt_k_matmul_q4_0t_f32, lmrt_k_matmul_add_q4_0t_f32,
                            lmrt_k_matmul_swiglu_q4_0t_f32, R, N, K, n);
                test_matmul("q8_0t_f32", LMRT_GGML_Q8_0, 0, lmrt_k_matmul_q8_0t_f32, lmrt_k_matmul_add_q8_0t_f32,
                            lmrt_k_matmul_swiglu_q8_0t_f32, R, N, K, n);
                if (ri == 0) {
                    test_dense(0, N - 1, K, n);
                    test_dense(1, N - 1, K, n);
                }
            }
    /* more tokens than one register block, a row range that starts inside a sub-tile */
    test_matmul("q4_0t_q8a n 37", LMRT_GGML_Q4_0, 1, lmrt_k_matmul_q4_0t_q8a, lmrt_k_matmul_add_q4_0t_q8a,
                lmrt_k_matmul_swiglu_q4_0t_q8a, TRS[NTR - 1], 200, 256, 37);
    test_matmul("q8_0t_q8a n 37", LMRT_GGML_Q8_0, 1, lmrt_k_matmul_q8_0t_q8a, lmrt_k_matmul_add_q8_0t_q8a,
                lmrt_k_matmul_swiglu_q8_0t_q8a, TRS[NTR - 1], 200, 256, 37);
    /* other tile heights go through the v3 (R = 8) or the scalar reference path */
    test_matmul("q4_0t_q8a R4", LMRT_GGML_Q4_0, 1, lmrt_k_matmul_q4_0t_q8a, lmrt_k_matmul_add_q4_0t_q8a,
                lmrt_k_matmul_swiglu_q4_0t_q8a, 4, 30, 172, 3);
    test_matmul("q8_0t_q8a R8", LMRT_GGML_Q8_0, 1, lmrt_k_matmul_q8_0t_q8a, lmrt_k_matmul_add_q8_0t_q8a,
                lmrt_k_matmul_swiglu_q8_0t_q8a, 8, 30, 172, 3);
    for (int ri = 0; ri < NTR; ri++) {
        int R = TRS[ri];
        test_extremes(R);
        test_qkv(R, 0, LMRT_GGML_Q4_0, 4, 2, 64, 64, 0, 172, 3, 5, 0);
        test_qkv(R, 1, LMRT_GGML_Q4_0, 4, 2, 64, 32, 1, 64, 1, 0, 0);
        test_qkv(R, 0, LMRT_GGML_Q8_0, 8, 4, 8, 8, 0, 64, 16, 2, 0);
        test_qkv(R, 0, LMRT_GGML_Q4_0, 2, 1, 12, 12, 1, 64, 5, 1, 0); /* head_dim not a multiple of R */
        test_qkv(R, 1, LMRT_GGML_Q4_0, 4, 2, 64, 64, 1, 64, 5, 9, 7); /* a ring of 7: positions 9..13 wrap */
    }
    for (int ki = 0; ki < 3; ki++)
        for (int ni = 0; ni < 3; ni++) test_quantize(Ks[ki], ns[ni]);
    test_quantize(33, 2);
    test_norms(172, 3);
    test_norms(2048, 1);
    test_elementwise();
    for (size_t c = 0; c < sizeof kv_att_cases / sizeof kv_att_cases[0]; c++)
        for (int kind = 0; kind < 3; kind++) {
            const struct kv_att_case *a = &kv_att_cases[c];
            if (a->kinds >> kind & 1) test_attention(kind, a->H, a->Hkv, a->hd, a->n, a->pos, a->S, a->win, a->cap);
        }
    test_attention_sink();
    if (g_fail == 0)
        for (int ri = 0; ri < NTR; ri += NTR > 2 ? NTR - 1 : 1) { /* the smallest and largest heights */
            bench(TRS[ri], LMRT_GGML_Q4_0, 5632, 2048, 1);
            bench(TRS[ri], LMRT_GGML_Q4_0, 5632, 2048, 12);
            bench(TRS[ri], LMRT_GGML_Q8_0, 5632, 2048, 6);
        }
    printf("%s (%d failures)\n", g_fail ? "FAIL" : "ok", g_fail);
    return g_fail ? 1 : 0;
}
#endif

#if defined(__clang__)
#pragma clang attribute pop
#endif
