/* kernels_aarch64_check.c - the aarch64 kernel set against the scalar set, cross-built and run
 * under qemu by tests/test_kernels_aarch64.sh (once per -march: NEON, +dotprod, +dotprod+i8mm).
 *
 * Every accelerated kernel must equal its lmrt_scalar_* twin bit for bit (build with
 * -ffp-contract=off), on shapes that hit every tail: rows not a multiple of 4, partial last
 * blocks, token counts around the tile/pair/chunk sizes, thread splits.  The matmuls are also
 * checked against a double-precision dot of the dequantized weights, so a bug shared by both
 * sets cannot pass. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lmrt_kernels_aarch64.h"


static uint64_t rng = 0x243f6a8885a308d3ull;
static float frand(void) { /* [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) & 0xffffff) / 8388608.0f - 1.0f;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        printf("out of memory\n");
        exit(1);
    }
    return p;
}

/* count of differing floats (bitwise) */
static int ndiff(const float *a, const float *b, size_t n) {
    int d = 0;
    for (size_t i = 0; i < n; i++) d += memcmp(a + i, b + i, 4) != 0;
    return d;
}

static void nan_fill(float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = NAN;
}

/* weights in one of the formats: 0 f32, 1 f16, 2 q8_0t, 3 q4_0t */
typedef struct {
    int fmt, N, K, R;
    void *data;
    float *deq; /* N x K dequantized, the double reference's input */
} wmat;

static const char *fmt_name[] = {"f32", "f16", "q8_0t", "q4_0t"};

static wmat make_w(int fmt, int N, int K, int R) {
    wmat w = {fmt, N, K, R, NULL, xmalloc(sizeof(float) * (size_t)N * (size_t)K)};
    float *row = xmalloc(sizeof(float) * (size_t)K);
    if (fmt <= 1) {
        w.data = xmalloc((size_t)N * (size_t)K * (fmt ? 2 : 4));
        for (int r = 0; r < N; r++)
            for (int k = 0; k < K; k++) {
                size_t i = (size_t)r * (size_t)K + (size_t)k;
                float v = frand() * (1.0f + (float)(r % 3));
                if (fmt) {
                    ((uint16_t *)w.data)[i] = lmrt_f32_to_f16(v);
                    v = lmrt_f16_to_f32(((uint16_t *)w.data)[i]);
                } else {
                    ((float *)w.data)[i] = v;
                }
                w.deq[i] = v;
            }
    } else {
        int type = fmt == 2 ? LMRT_GGML_Q8_0 : LMRT_GGML_Q4_0, nb = (K + 31) / 32;
        size_t rb = (size_t)nb * (fmt == 2 ? 34 : 18);
        uint8_t *plain = xmalloc(rb * (size_t)N);
        for (int r = 0; r < N; r++) {
            for (int k = 0; k < K; k++) row[k] = frand() * (1.0f + (float)(r % 5));
            if (fmt == 2) lmrt_quantize_row_q8_0(row, plain + rb * (size_t)r, K);
            else lmrt_quantize_row_q4_0(row, plain + rb * (size_t)r, K);
        }
        if (fmt == 2) /* GGUF allows -128 in q8_0: the vmull/vmlal path must not overflow */
            for (int r = 0; r < N; r += 3) memset(plain + rb * (size_t)r + 2, 0x80, 32);
        w.data = xmalloc(lmrt_tiled_bytes(type, R, N, K));
        if (lmrt_tile_weights(type, R, plain, N, K, w.data)) {
            printf("FAIL lmrt_tile_weights\n");
            exit(1);
        }
        for (int r = 0; r < N; r++) lmrt_tiled_dequant_row(type, R, w.data, r, K, w.deq + (size_t)r * (size_t)K);
        free(plain);
    }
    free(row);
    return w;
}

static void free_w(wmat *w) { free(w->data), free(w->deq); }

typedef void (*mm_fn)(float *, const void *, const void *, int, int, int, int, int, int);
typedef void (*mma_fn)(float *, const void *, const void *, const float *, int, int, int, int, int, int);
typedef void (*qkv_fn)(float *, const void *, const void *, int, int, int, int, int, int, int, const float *, void *,
                       void *, int, int, int, int, int);

typedef struct {
    mm_fn mm, smm, sw, ssw;
    mma_fn mma, smma;
    qkv_fn qkv[3], sqkv[3]; /* KV f32, f16, q8: this set's and the portable */
} lin_set;

#define LIN(W, A)                                                                                                  \
    (lin_set) {                                                                                                    \
        lmrt_k_matmul_##W##_##A, lmrt_scalar_matmul_##W##_##A, lmrt_k_matmul_swiglu_##W##_##A,                     \
            lmrt_scalar_matmul_swiglu_##W##_##A, lmrt_k_matmul_add_##W##_##A, lmrt_scalar_matmul_add_##W##_##A,    \
            {lmrt_k_qkv_##W##_##A##_f32, lmrt_k_qkv_##W##_##A##_f16, lmrt_k_qkv_##W##_##A##_q8},                   \
            {lmrt_scalar_qkv_##W##_##A##_f32, lmrt_scalar_qkv_##W##_##A##_f16, lmrt_scalar_qkv_##W##_##A##_q8}     \
    }

static lin_set lin_of(int fmt, int q8a) {
    switch (fmt * 2 + q8a) {
    case 0: return LIN(f32, f32);
    case 2: return LIN(f16, f32);
    case 4: return LIN(q8_0t, f32);
    case 5: return LIN(q8_0t, q8a);
    case 6: return LIN(q4_0t, f32);
    default: return LIN(q4_0t, q8a);
    }
}

/* activations: n rows of K floats, and their q8a form from the scalar quantizer */
static void make_x(int n, int K, float **xf, uint8_t **xq) {
    *xf = xmalloc(sizeof(float) * (size_t)n * (size_t)K);
    for (int i = 0; i < n * K; i++) (*xf)[i] = frand() * 2.0f;
    *xq = xmalloc(lmrt_scalar_xs_q8a_(K) * (size_t)n);
    lmrt_scalar_quantize_q8a(*xq, *xf, n, K, 0, 1);
}

static double x_at(const void *x, int q8a, int K, int t, int k) {
    if (!q8a) return ((const float *)x)[(size_t)t * (size_t)K + (size_t)k];
    const uint8_t *b = (const uint8_t *)x + (size_t)t * lmrt_scalar_xs_q8a_(K) + (size_t)(k / 32) * LMRT_Q8A_BYTES;
    float d;
    memcpy(&d, b, 4);
    return (double)d * (int8_t)b[4 + k % 32];
}

static void test_linear(int fmt, int q8a, int N, int K, int R, int n) {
    wmat w = make_w(fmt, N, K, R);
    lin_set L = lin_of(fmt, q8a);
    float *xf;
    uint8_t *xq;
    make_x(n, K, &xf, &xq);
    const void *x = q8a ? (const void *)xq : (const void *)xf;
    size_t ny = (size_t)n * (size_t)N;
    float *y = xmalloc(4 * ny), *ys = xmalloc(4 * ny), *res = xmalloc(4 * ny), *ya = xmalloc(4 * ny);
    for (size_t i = 0; i < ny; i++) res[i] = frand() * 3.0f;
    nan_fill(y, ny), nan_fill(ys, ny);
    for (int tid = 2; tid >= 0; tid--) L.mm(y, w.data, x, n, N, K, R, tid, 3); /* 3 threads, any order */
    L.smm(ys, w.data, x, n, N, K, R, 0, 1);
    int d = ndiff(y, ys, ny), off = 0;
    double worst = 0;
    for (int t = 0; t < n; t++)
        for (int r = 0; r < N; r++) {
            double s = 0, m = 0;
            for (int k = 0; k < K; k++) {
                double v = (double)w.deq[(size_t)r * (size_t)K + (size_t)k] * x_at(x, q8a, K, t, k);
                s += v, m += fabs(v);
            }
            double e = fabs(y[(size_t)t * (size_t)N + (size_t)r] - s) / (m + 1e-30);
            off += !(e <= 1e-5);
            worst = e > worst ? e : worst;
        }
    CHECK(d == 0, "matmul %s_%s N %d K %d R %d n %d: %d/%zu differ from scalar", fmt_name[fmt], q8a ? "q8a" : "f32", N,
          K, R, n, d, ny);
    CHECK(off == 0, "matmul %s_%s N %d K %d R %d n %d: %d off the double reference (worst rel %.3g)", fmt_name[fmt],
          q8a ? "q8a" : "f32", N, K, R, n, off, worst);
    /* matmul_add with y aliasing res, split in 2 */
    memcpy(ya, res, 4 * ny);
    memcpy(ys, res, 4 * ny);
    L.mma(ya, w.data, x, ya, n, N, K, R, 1, 2);
    L.mma(ya, w.data, x, ya, n, N, K, R, 0, 2);
    L.smma(ys, w.data, x, ys, n, N, K, R, 0, 1);
    d = ndiff(ya, ys, ny);
    CHECK(d == 0, "matmul_add %s_%s N %d K %d n %d: %d differ", fmt_name[fmt], q8a ? "q8a" : "f32", N, K, n, d);
    /* swiglu over F = N/2 gate rows then F up rows */
    int F = N / 2;
    nan_fill(y, ny), nan_fill(ys, ny);
    for (int tid = 0; tid < 2; tid++) L.sw(y, w.data, x, n, F, K, R, tid, 2);
    L.ssw(ys, w.data, x, n, F, K, R, 0, 1);
    d = ndiff(y, ys, (size_t)n * (size_t)F);
    CHECK(d == 0, "matmul_swiglu %s_%s F %d K %d n %d: %d differ", fmt_name[fmt], q8a ? "q8a" : "f32", F, K, n, d);
    free(y), free(ys), free(res), free(ya), free(xf), free(xq);
    free_w(&w);
}

/* S: the caches' slots (0: every position; else a ring, position p in slot p % S); kind: LMRT_KV_* */
static void test_qkv(int fmt, int q8a, int kind, int H, int Hkv, int hd, int rope_dim, int neox, int K, int n, int pos,
                     int S) {
    int R = 4, rows = (H + 2 * Hkv) * hd, ctx = pos + n + 2;
    if (S == 0) S = ctx;
    wmat w = make_w(fmt, rows, K, R);
    lin_set L = lin_of(fmt, q8a);
    float *xf;
    uint8_t *xq;
    make_x(n, K, &xf, &xq);
    const void *x = q8a ? (const void *)xq : (const void *)xf;
    float *rope = xmalloc(sizeof(float) * (size_t)ctx * (size_t)rope_dim);
    for (int p = 0; p < ctx; p++)
        for (int i = 0; i < rope_dim / 2; i++) {
            double th = p * pow(10000.0, -2.0 * i / rope_dim);
            rope[(size_t)p * (size_t)rope_dim + 2 * (size_t)i] = (float)cos(th);
            rope[(size_t)p * (size_t)rope_dim + 2 * (size_t)i + 1] = (float)sin(th);
        }
    size_t csz = (size_t)Hkv * (size_t)S * lmrt_kv_row_bytes_(kind, hd), qsz = (size_t)n * (size_t)H * (size_t)hd;
    float *q = xmalloc(4 * qsz), *qs = xmalloc(4 * qsz);
    uint8_t *kc = calloc(csz, 1), *vc = calloc(csz, 1), *kcs = calloc(csz, 1), *vcs = calloc(csz, 1);
    nan_fill(q, qsz), nan_fill(qs, qsz);
    for (int tid = 0; tid < 3; tid++)
        L.qkv[kind](q, w.data, x, n, K, H, Hkv, hd, rope_dim, neox, rope + (size_t)pos * rope_dim, kc, vc, S, pos, R,
                    tid, 3);
    L.sqkv[kind](qs, w.data, x, n, K, H, Hkv, hd, rope_dim, neox, rope + (size_t)pos * rope_dim, kcs, vcs, S, pos, R,
                 0, 1);
    int d = ndiff(q, qs, qsz) + (memcmp(kc, kcs, csz) != 0) + (memcmp(vc, vcs, csz) != 0);
    CHECK(d == 0, "qkv %s_%s kv %d H %d Hkv %d hd %d n %d pos %d: %d differ", fmt_name[fmt], q8a ? "q8a" : "f32",
          kind, H, Hkv, hd, n, pos, d);
    free(q), free(qs), free(kc), free(vc), free(kcs), free(vcs), free(rope), free(xf), free(xq);
    free_w(&w);
}

static void test_quantize(int K, int n) {
    float *x = xmalloc(sizeof(float) * (size_t)n * (size_t)K);
    for (int i = 0; i < n * K; i++) x[i] = frand() * (float)(1 + i % 7);
    for (int i = 0; i < n * K; i += 37) x[i] = 0.0f;
    if (K >= 64) {
        /* d = 127/127 = 1: x/d are exact halves, ties round away from zero */
        for (int j = 0; j < 32; j++) x[j] = j ? (float)(j - 16) + 0.5f : 127.0f;
        for (int j = 32; j < 64; j++) x[j] = 0.0f;                  /* an all-zero block */
        x[64 % K] = NAN, x[(65 % K)] = INFINITY, x[K - 1] = -0.0f;
    }
    size_t qs = lmrt_scalar_xs_q8a_(K) * (size_t)n;
    uint8_t *a = xmalloc(qs), *b = xmalloc(qs);
    memset(a, 0xAA, qs);
    lmrt_k_quantize_q8a(a, x, n, K, 1, 2);
    lmrt_k_quantize_q8a(a, x, n, K, 0, 2);
    lmrt_scalar_quantize_q8a(b, x, n, K, 0, 1);
    CHECK(memcmp(a, b, qs) == 0, "quantize_q8a K %d n %d differs from scalar", K, n);
    free(x), free(a), free(b);
}

/* S: slots (0: every position; a ring holds position j in slot j % S); win: window (0: all); cap: softcap;
 * kind: LMRT_KV_* (f32 caches hold f16 values, q8 caches are quantized from them) */
static void test_attention(int kind, int H, int Hkv, int hd, int n, int pos, int S, int win, float cap) {
    int ctx = S ? S : pos + n + 3, nth = 3;
    size_t csz = (size_t)Hkv * (size_t)ctx * (size_t)hd, qsz = (size_t)n * (size_t)H * (size_t)hd;
    size_t rb = lmrt_kv_row_bytes_(LMRT_KV_Q8, hd), rows = (size_t)Hkv * (size_t)ctx;
    float *kc = xmalloc(4 * csz), *vc = xmalloc(4 * csz);
    uint16_t *kh = xmalloc(2 * csz), *vh = xmalloc(2 * csz);
    uint8_t *kq = xmalloc(rb * rows), *vq = xmalloc(rb * rows);
    for (size_t i = 0; i < csz; i++) {
        kh[i] = lmrt_f32_to_f16(frand() * 2.0f), vh[i] = lmrt_f32_to_f16(frand());
        kc[i] = lmrt_f16_to_f32(kh[i]), vc[i] = lmrt_f16_to_f32(vh[i]);
    }
    if (kind == LMRT_KV_Q8) { /* the reference reads the q8 rows' values */
        lmrt_scalar_kv_store_q8(kq, kc, 1, (int)rows, 1, hd, 0, 0, 1);
        lmrt_scalar_kv_store_q8(vq, vc, 1, (int)rows, 1, hd, 0, 0, 1);
        for (size_t r = 0; r < rows; r++) {
            float dk, dv;
            memcpy(&dk, kq + r * rb, 4), memcpy(&dv, vq + r * rb, 4);
            for (int i = 0; i < hd; i++)
                kc[r * (size_t)hd + (size_t)i] = dk * (float)(int8_t)kq[r * rb + 4 + (size_t)i],
                vc[r * (size_t)hd + (size_t)i] = dv * (float)(int8_t)vq[r * rb + 4 + (size_t)i];
        }
    }
    const void *kx = kind == LMRT_KV_Q8 ? (const void *)kq : kind == LMRT_KV_F16 ? (const void *)kh : kc;
    const void *vx = kind == LMRT_KV_Q8 ? (const void *)vq : kind == LMRT_KV_F16 ? (const void *)vh : vc;
    void (*att[3])(float *, const float *, const void *, const void *, int, int, int, int, int, int, int, int, const float *, float,
                   float, float *, int, int) = {lmrt_k_attention_f32, lmrt_k_attention_f16, lmrt_k_attention_q8};
    void (*satt[3])(float *, const float *, const void *, const void *, int, int, int, int, int, int, int, int, const float *, float,
                    float, float *, int, int) = {lmrt_scalar_attention_f32, lmrt_scalar_attention_f16,
                                          lmrt_scalar_attention_q8};
    float *q = xmalloc(4 * qsz), *o = xmalloc(4 * qsz), *os = xmalloc(4 * qsz);
    float *scr = xmalloc(sizeof(float) * (size_t)nth * (size_t)ctx);
    for (size_t i = 0; i < qsz; i++) q[i] = frand();
    nan_fill(o, qsz), nan_fill(os, qsz);
    float scale = 1.0f / sqrtf((float)hd);
    for (int tid = 0; tid < nth; tid++) att[kind](o, q, kx, vx, n, H, Hkv, hd, ctx, pos, win, 0, NULL, scale, cap, scr, tid, nth);
    satt[kind](os, q, kx, vx, n, H, Hkv, hd, ctx, pos, win, 0, NULL, scale, cap, scr, 0, 1);
    int d = ndiff(o, os, qsz), off = 0;
    double *p = xmalloc(sizeof(double) * (size_t)(pos + n));
    for (int t = 0; t < n; t++)
        for (int h = 0; h < H; h++) {
            int kvh = h / (H / Hkv), last = pos + t, lo = win > 0 && last - win + 1 > 0 ? last - win + 1 : 0;
            const float *qh = q + ((size_t)t * (size_t)H + (size_t)h) * (size_t)hd;
            double mx = -1e300, sum = 0;
            for (int s = lo; s <= last; s++) {
                double dd = 0;
                for (int i = 0; i < hd; i++) dd += (double)qh[i] * kc[((size_t)kvh * (size_t)ctx + (size_t)(s % ctx)) * (size_t)hd + (size_t)i];
                p[s] = dd * scale;
                if (cap > 0) p[s] = cap * tanh(p[s] / cap);
                mx = p[s] > mx ? p[s] : mx;
            }
            for (int s = lo; s <= last; s++) p[s] = exp(p[s] - mx), sum += p[s];
            for (int i = 0; i < hd; i++) {
                double want = 0;
                for (int s = lo; s <= last; s++) want += p[s] / sum * vc[((size_t)kvh * (size_t)ctx + (size_t)(s % ctx)) * (size_t)hd + (size_t)i];
                off += !(fabs(o[((size_t)t * (size_t)H + (size_t)h) * (size_t)hd + (size_t)i] - want) <= 2e-5);
            }
        }
    CHECK(d == 0, "attention kv %d H %d Hkv %d hd %d n %d pos %d: %d differ from scalar", kind, H, Hkv, hd, n, pos, d);
    CHECK(off == 0, "attention kv %d H %d Hkv %d hd %d n %d pos %d: %d off the double reference", kind, H, Hkv, hd,
          n, pos, off);
    free(kc), free(vc), free(kh), free(vh), free(kq), free(vq), free(q), free(o), free(os), free(scr), free(p);
}

#include "kv_att_cases.h"
#include "kv_sink_check.h"

/* --kv-policy slide past the wrap: sinks (scored with their own query) and a ring, every KV kind */
static void test_attention_sink(void) {
    double d = kv_sink_check_all();
    CHECK(d >= 0 && d <= 0, "attention with sinks: %g off the portable set", d);
}

int main(void) {
    printf("aarch64 kernels:%s%s\n",
#if defined(__ARM_FEATURE_DOTPROD)
           " sdot",
#else
           " neon",
#endif
#if defined(__ARM_FEATURE_MATMUL_INT8)
           " smmla"
#else
           ""
#endif
    );
    static const int Ks[] = {32, 172, 1000};
    static const int ns[] = {1, 2, 3, 5, 9};
    for (int fmt = 0; fmt < 4; fmt++)
        for (int q8a = 0; q8a < 2; q8a++) {
            if (q8a && fmt < 2) continue;
            for (int ki = 0; ki < 3; ki++)
                for (int ni = 0; ni < 5; ni++) test_linear(fmt, q8a, ki == 2 ? 22 : 37, Ks[ki], 4, ns[ni]);
        }
    /* other tile heights: 8 (two quads per group) and 2 (scalar fallback) */
    for (int fmt = 2; fmt < 4; fmt++) {
        test_linear(fmt, 1, 45, 172, 8, 5);
        test_linear(fmt, 1, 13, 64, 2, 3);
        test_linear(fmt, 0, 45, 172, 8, 2);
    }
    test_qkv(3, 1, 0, 4, 2, 64, 64, 0, 172, 3, 5, 0);
    test_qkv(3, 1, 1, 4, 2, 64, 32, 1, 64, 9, 0, 0);
    test_qkv(2, 1, 0, 8, 4, 8, 8, 0, 64, 16, 2, 0);
    test_qkv(3, 1, 1, 2, 1, 12, 12, 1, 96, 5, 1, 0); /* head_dim not a multiple of the quad */
    test_qkv(0, 0, 0, 2, 2, 20, 20, 0, 45, 3, 4, 0);
    test_qkv(1, 0, 1, 3, 1, 16, 8, 1, 40, 2, 0, 0);
    test_qkv(2, 0, 0, 2, 1, 32, 32, 0, 100, 4, 3, 0);
    test_qkv(3, 1, 0, 1, 1, 264, 64, 0, 64, 2, 0, 0); /* wider than the vector path's buffer */
    test_qkv(3, 1, 1, 4, 2, 64, 64, 1, 64, 5, 9, 7); /* a ring of 7: positions 9..13 wrap */
    test_qkv(0, 0, 0, 2, 2, 20, 20, 0, 45, 3, 4, 5);
    test_qkv(3, 1, 2, 4, 2, 64, 64, 0, 172, 3, 5, 0); /* q8 KV */
    test_qkv(2, 0, 2, 2, 1, 12, 12, 1, 96, 5, 9, 7);
    test_qkv(0, 0, 2, 1, 1, 264, 64, 0, 64, 2, 0, 0);
    for (int ki = 0; ki < 3; ki++)
        for (int n = 1; n <= 3; n++) test_quantize(Ks[ki], n);
    test_quantize(33, 2);
    test_quantize(7, 1);
    /* q8 KV: bit for bit the portable kernel's float operations */
    for (size_t c = 0; c < sizeof kv_att_cases / sizeof kv_att_cases[0]; c++)
        for (int kind = 0; kind < 3; kind++) {
            const struct kv_att_case *a = &kv_att_cases[c];
            if (a->kinds >> kind & 1) test_attention(kind, a->H, a->Hkv, a->hd, a->n, a->pos, a->S, a->win, a->cap);
        }
    test_attention_sink();
    printf("%s: %d checks, %d failures\n", g_fail ? "FAIL" : "ok", g_checks, g_fail);
    return g_fail ? 1 : 0;
}
