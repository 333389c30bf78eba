/* lmrt_kernels_aarch64.h - kernel contract v2 for AArch64 with NEON (ARMv8-A).
 *
 * Accelerated: matmul / matmul_add / matmul_swiglu / qkv for q4_0t and q8_0t weights with q8a
 * activations (4-row quads of a tile, up to LMRT_A64_TB tokens share each unpacked quad; the
 * integer dots use SDOT when __ARM_FEATURE_DOTPROD, SMMLA on token pairs when
 * __ARM_FEATURE_MATMUL_INT8, else SMULL/SMLAL + SADALP), tiled x f32, f32 and f16 x f32,
 * quantize_q8a and attention (the list at the end).  Every other kernel is the portable one
 * (lmrt_kernels_fallback.h).
 *
 * Every accelerated kernel performs the float operations of its lmrt_scalar_* twin in the same
 * order (separate multiply and add, the scalar accumulator patterns, the same reductions), so
 * with FP contraction off (-std=c11 under gcc) results match the scalar set bit for bit; only
 * integer sums are reassociated, which is exact.  Little-endian only (the f16 scale loads).
 * Tiled layout: lmrt_tiled.h; the vector q8a paths take R a multiple of 4 in row order (else scalar).
 */
#ifndef LMRT_KERNELS_AARCH64_H
#define LMRT_KERNELS_AARCH64_H

#include <arm_neon.h>

#include "lmrt_base.h"
#include "lmrt_math.h"
#include "lmrt_tiled.h"
#include "lmrt_kernels_scalar.h"

#define LMRT_A64_TB 4       /* tokens sharing one unpacked weight quad */
#define LMRT_A64_QKV_HD 256 /* widest head of the vector qkv path */
#define LMRT_A64_CHUNK 8    /* tokens per swiglu / qkv row-driver call */
/* register arrays (acc[], w[]) stay in registers only when their loops have constant trip
 * counts after inlining: the drivers below are forced inline with constant arguments */
#define LMRT_A64_AI static inline __attribute__((always_inline, unused))

/* ---- small helpers ------------------------------------------------------ */

LMRT_INLINE float lmrt_a64_q8a_d_(const uint8_t *blk) {
    float d;
    lmrt_memcpy(&d, blk, sizeof d);
    return d;
}

/* 4 consecutive little-endian f16 (byte loads: no alignment assumed) */
LMRT_INLINE float32x4_t lmrt_a64_ld_f16x4_(const uint8_t *p) {
    return vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(p)));
}

/* acc + a * b without contraction into FMLA (the scalar set rounds twice) */
LMRT_INLINE float32x4_t lmrt_a64_muladd_(float32x4_t acc, float32x4_t a, float32x4_t b) {
    return vaddq_f32(acc, vmulq_f32(a, b));
}

/* lmrt_scalar_sum8_ of acc[0..3] = lo, acc[4..7] = hi: ((a0+a4)+(a1+a5)) + ((a2+a6)+(a3+a7)) */
LMRT_INLINE float lmrt_a64_sum8_(float32x4_t lo, float32x4_t hi) {
    float32x4_t t = vaddq_f32(lo, hi);
    return vpadds_f32(vpadd_f32(vget_low_f32(t), vget_high_f32(t)));
}

/* int8 lanes to 4 float vectors (elements 0..3, 4..7, 8..11, 12..15) */
LMRT_INLINE void lmrt_a64_s8_to_f32_(int8x16_t v, float32x4_t *f) {
    int16x8_t l = vmovl_s8(vget_low_s8(v)), h = vmovl_high_s8(v);
    f[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(l)));
    f[1] = vcvtq_f32_s32(vmovl_high_s16(l));
    f[2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(h)));
    f[3] = vcvtq_f32_s32(vmovl_high_s16(h));
}

/* q4 payload (16 bytes) to signed elements 0..15 and 16..31 */
LMRT_INLINE void lmrt_a64_q4_unpack_(const uint8_t *qs, int8x16_t *lo, int8x16_t *hi) {
    uint8x16_t v = vld1q_u8(qs);
    *lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(15))), vdupq_n_s8(8));
    *hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(v, 4)), vdupq_n_s8(8));
}

/* ---- q4_0t / q8_0t x q8a: integer dots of one 4-row quad ---------------- */

/* w[2i], w[2i+1]: elements 0..15 and 16..31 of quad row i */
LMRT_A64_AI void lmrt_a64_load_quad_(int q4, const uint8_t *payload, int8x16_t *w) {
    for (int i = 0; i < 4; i++) {
        if (q4) lmrt_a64_q4_unpack_(payload + 16 * i, &w[2 * i], &w[2 * i + 1]);
        else {
            w[2 * i] = vld1q_s8((const int8_t *)(payload + 32 * i));
            w[2 * i + 1] = vld1q_s8((const int8_t *)(payload + 32 * i + 16));
        }
    }
}

/* lane i = sum_j w_i[j] a[j] over one 32-element block */
LMRT_A64_AI int32x4_t lmrt_a64_idot4_(const int8x16_t *w, int8x16_t a0, int8x16_t a1) {
    int32x4_t r[4];
    for (int i = 0; i < 4; i++) {
#if defined(__ARM_FEATURE_DOTPROD)
        r[i] = vdotq_s32(vdotq_s32(vdupq_n_s32(0), w[2 * i], a0), w[2 * i + 1], a1);
#else
        /* two products per int16 lane: |w| <= 128 and |a| <= 127 (q8a is clamped), so <= 32512 */
        int16x8_t p0 = vmlal_high_s8(vmull_s8(vget_low_s8(w[2 * i]), vget_low_s8(a0)), w[2 * i], a0);
        int16x8_t p1 = vmlal_high_s8(vmull_s8(vget_low_s8(w[2 * i + 1]), vget_low_s8(a1)), w[2 * i + 1], a1);
        r[i] = vpadalq_s16(vpaddlq_s16(p0), p1);
#endif
    }
    return vpaddq_s32(vpaddq_s32(r[0], r[1]), vpaddq_s32(r[2], r[3]));
}

#if defined(__ARM_FEATURE_MATMUL_INT8)
LMRT_INLINE int8x16_t lmrt_a64_zip1_(int8x16_t a, int8x16_t b) {
    return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}
LMRT_INLINE int8x16_t lmrt_a64_zip2_(int8x16_t a, int8x16_t b) {
    return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

/* SMMLA: wp[4p + c] = 8-byte chunk c of quad rows (2p, 2p+1); two tokens (a, b) at once.
 * *s0 / *s1: the 4 row sums of token a / b. */
LMRT_A64_AI void lmrt_a64_mmla_pairs_(const int8x16_t *w, int8x16_t *wp) {
    for (int p = 0; p < 2; p++) {
        const int8x16_t *r0 = w + 4 * p, *r1 = w + 4 * p + 2;
        wp[4 * p + 0] = lmrt_a64_zip1_(r0[0], r1[0]);
        wp[4 * p + 1] = lmrt_a64_zip2_(r0[0], r1[0]);
        wp[4 * p + 2] = lmrt_a64_zip1_(r0[1], r1[1]);
        wp[4 * p + 3] = lmrt_a64_zip2_(r0[1], r1[1]);
    }
}

LMRT_A64_AI void lmrt_a64_idot4x2_(const int8x16_t *wp, int8x16_t a0, int8x16_t a1, int8x16_t b0, int8x16_t b1,
                                   int32x4_t *s0, int32x4_t *s1) {
    int8x16_t x0 = lmrt_a64_zip1_(a0, b0), x1 = lmrt_a64_zip2_(a0, b0);
    int8x16_t x2 = lmrt_a64_zip1_(a1, b1), x3 = lmrt_a64_zip2_(a1, b1);
    int32x4_t p01 = vdupq_n_s32(0), p23 = vdupq_n_s32(0);
    /* p = [r0.a, r0.b, r1.a, r1.b] */
    p01 = vmmlaq_s32(p01, wp[0], x0), p23 = vmmlaq_s32(p23, wp[4], x0);
    p01 = vmmlaq_s32(p01, wp[1], x1), p23 = vmmlaq_s32(p23, wp[5], x1);
    p01 = vmmlaq_s32(p01, wp[2], x2), p23 = vmmlaq_s32(p23, wp[6], x2);
    p01 = vmmlaq_s32(p01, wp[3], x3), p23 = vmmlaq_s32(p23, wp[7], x3);
    *s0 = vuzp1q_s32(p01, p23);
    *s1 = vuzp2q_s32(p01, p23);
}
#endif

/* ---- row-range drivers ---------------------------------------------------
 * rows(y, ldy, W, x, n, K, R, ra, rb, res): y[t*ldy + r - ra] = (W x_t)_r (+ res[t*ldy + r - ra])
 * for r in [ra, rb), t < n.  res may alias y (each element is read before it is written). */
typedef void (*lmrt_a64_rows_fn)(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                 int rb, const float *res);

LMRT_INLINE void lmrt_a64_put_(float *y, int ldy, int t, int r, int ra, int rb, float v, const float *res) {
    if (r < ra || r >= rb) return;
    size_t o = (size_t)t * (size_t)ldy + (size_t)(r - ra);
    y[o] = res ? v + res[o] : v;
}

/* one 4-row quad (rows i0..i0+3 of the group at G) x nt tokens over all nb blocks: v[4t + i] */
LMRT_A64_AI void lmrt_a64_quad_q8a_(int q4, int nt, float *v, const uint8_t *G, int i0, int R, int P, int nb,
                                    const uint8_t *xt, size_t xs) {
    size_t tb = (size_t)R * (size_t)(2 + P);
    float32x4_t acc[LMRT_A64_TB];
    for (int t = 0; t < LMRT_A64_TB; t++) acc[t] = vdupq_n_f32(0.0f);
    const uint8_t *T = G;
    for (int b = 0; b < nb; b++, T += tb) {
        int8x16_t w[8];
        lmrt_a64_load_quad_(q4, T + 2 * R + (size_t)i0 * (size_t)P, w);
        float32x4_t sw = lmrt_a64_ld_f16x4_(T + 2 * i0);
        const uint8_t *a = xt + (size_t)b * LMRT_Q8A_BYTES;
#if defined(__ARM_FEATURE_MATMUL_INT8)
        if (nt >= 2) {
            int8x16_t wp[8];
            lmrt_a64_mmla_pairs_(w, wp);
            for (int t = 0; t + 2 <= nt; t += 2) {
                const uint8_t *a0 = a + (size_t)t * xs, *a1 = a0 + xs;
                int32x4_t s0, s1;
                lmrt_a64_idot4x2_(wp, vld1q_s8((const int8_t *)(a0 + 4)), vld1q_s8((const int8_t *)(a0 + 20)),
                                  vld1q_s8((const int8_t *)(a1 + 4)), vld1q_s8((const int8_t *)(a1 + 20)), &s0, &s1);
                acc[t] = lmrt_a64_muladd_(acc[t], vmulq_f32(sw, vdupq_n_f32(lmrt_a64_q8a_d_(a0))), vcvtq_f32_s32(s0));
                acc[t + 1] = lmrt_a64_muladd_(acc[t + 1], vmulq_f32(sw, vdupq_n_f32(lmrt_a64_q8a_d_(a1))), vcvtq_f32_s32(s1));
            }
        }
        for (int t = nt / 2 * 2; t < nt; t++) {
#else
        for (int t = 0; t < nt; t++) {
#endif
            const uint8_t *at = a + (size_t)t * xs;
            int32x4_t s = lmrt_a64_idot4_(w, vld1q_s8((const int8_t *)(at + 4)), vld1q_s8((const int8_t *)(at + 20)));
            /* (d_w * d_a) * isum, then add: lmrt_scalar_dot_tiled_q8a_'s order */
            acc[t] = lmrt_a64_muladd_(acc[t], vmulq_f32(sw, vdupq_n_f32(lmrt_a64_q8a_d_(at))), vcvtq_f32_s32(s));
        }
    }
    for (int t = 0; t < nt; t++) vst1q_f32(v + 4 * t, acc[t]);
}

LMRT_A64_AI void lmrt_a64_tiled_q8a_rows_(int type, float *y, int ldy, const void *W, const void *x, int n, int K,
                                          int R, int ra, int rb, const float *res) {
    int nb = (K + 31) / 32, P = lmrt_tiled_payload(type), q4 = type == LMRT_GGML_Q4_0;
    size_t xs = (size_t)nb * LMRT_Q8A_BYTES;
    if (R % 4 != 0 || lmrt_tiled_ilv(R)) { /* no vector path for this tile layout: the scalar reference */
        for (int t = 0; t < n; t++)
            for (int r = ra; r < rb; r++)
                lmrt_a64_put_(y, ldy, t, r, ra, rb,
                              lmrt_scalar_dot_tiled_q8a_(type, W, r, K, R, (const uint8_t *)x + (size_t)t * xs), res);
        return;
    }
    size_t gb = lmrt_tiled_group_bytes(type, R, K);
    for (int q0 = ra / 4 * 4; q0 < rb; q0 += 4) { /* quads: R % 4 == 0, so a quad never straddles groups */
        const uint8_t *G = (const uint8_t *)W + (size_t)(q0 / R) * gb;
        int i0 = q0 % R;
        for (int t0 = 0; t0 < n; t0 += LMRT_A64_TB) {
            int nt = n - t0 < LMRT_A64_TB ? n - t0 : LMRT_A64_TB;
            const uint8_t *xt = (const uint8_t *)x + (size_t)t0 * xs;
            float v[LMRT_A64_TB * 4];
            if (nt == 4) lmrt_a64_quad_q8a_(q4, 4, v, G, i0, R, P, nb, xt, xs);
            else if (nt == 3) lmrt_a64_quad_q8a_(q4, 3, v, G, i0, R, P, nb, xt, xs);
            else if (nt == 2) lmrt_a64_quad_q8a_(q4, 2, v, G, i0, R, P, nb, xt, xs);
            else lmrt_a64_quad_q8a_(q4, 1, v, G, i0, R, P, nb, xt, xs);
            for (int t = 0; t < nt; t++)
                for (int i = 0; i < 4; i++) lmrt_a64_put_(y, ldy, t0 + t, q0 + i, ra, rb, v[4 * t + i], res);
        }
    }
}

LMRT_API void lmrt_a64_rows_q4_0t_q8a_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                       int rb, const float *res) {
    lmrt_a64_tiled_q8a_rows_(LMRT_GGML_Q4_0, y, ldy, W, x, n, K, R, ra, rb, res);
}

LMRT_API void lmrt_a64_rows_q8_0t_q8a_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                       int rb, const float *res) {
    lmrt_a64_tiled_q8a_rows_(LMRT_GGML_Q8_0, y, ldy, W, x, n, K, R, ra, rb, res);
}

/* tiled x f32 activations, one whole block: lmrt_scalar_blk_q8_f32_ / _q4_f32_ (m == 32) */
LMRT_INLINE float lmrt_a64_blk_q8_f32_(const uint8_t *qs, const float *x) {
    float32x4_t f[8], lo = vdupq_n_f32(0.0f), hi = lo;
    lmrt_a64_s8_to_f32_(vld1q_s8((const int8_t *)qs), f);
    lmrt_a64_s8_to_f32_(vld1q_s8((const int8_t *)(qs + 16)), f + 4);
    for (int i = 0; i < 4; i++) {
        lo = lmrt_a64_muladd_(lo, f[2 * i], vld1q_f32(x + 8 * i));
        hi = lmrt_a64_muladd_(hi, f[2 * i + 1], vld1q_f32(x + 8 * i + 4));
    }
    return lmrt_a64_sum8_(lo, hi);
}

LMRT_INLINE float lmrt_a64_blk_q4_f32_(const uint8_t *qs, const float *x) {
    int8x16_t l, h;
    float32x4_t L[4], H[4];
    lmrt_a64_q4_unpack_(qs, &l, &h);
    lmrt_a64_s8_to_f32_(l, L);
    lmrt_a64_s8_to_f32_(h, H);
    float32x4_t z = vdupq_n_f32(0.0f);
    /* lo[j] (j < 8) over elements j, 8 + j; hi[j] over 16 + j, 24 + j */
    float32x4_t loa = lmrt_a64_muladd_(lmrt_a64_muladd_(z, L[0], vld1q_f32(x)), L[2], vld1q_f32(x + 8));
    float32x4_t lob = lmrt_a64_muladd_(lmrt_a64_muladd_(z, L[1], vld1q_f32(x + 4)), L[3], vld1q_f32(x + 12));
    float32x4_t hia = lmrt_a64_muladd_(lmrt_a64_muladd_(z, H[0], vld1q_f32(x + 16)), H[2], vld1q_f32(x + 24));
    float32x4_t hib = lmrt_a64_muladd_(lmrt_a64_muladd_(z, H[1], vld1q_f32(x + 20)), H[3], vld1q_f32(x + 28));
    float u[8], s = 0.0f;
    vst1q_f32(u, vaddq_f32(loa, hia));
    vst1q_f32(u + 4, vaddq_f32(lob, hib));
    for (int j = 0; j < 8; j++) s += u[j]; /* the scalar set's sequential sum */
    return s;
}

LMRT_INLINE void lmrt_a64_tiled_f32_rows_(int type, float *y, int ldy, const void *W, const void *x, int n, int K,
                                          int R, int ra, int rb, const float *res) {
    int nb = (K + 31) / 32, full = K / 32, P = lmrt_tiled_payload(type);
    size_t tb = (size_t)R * (size_t)(2 + P);
    for (int r = ra; r < rb; r++) {
        const uint8_t *G = (const uint8_t *)W + (size_t)(r / R) * lmrt_tiled_group_bytes(type, R, K);
        int i = r % R;
        for (int t = 0; t < n; t++) {
            const float *xt = (const float *)x + (size_t)t * (size_t)K;
            const uint8_t *T = G;
            float s = 0.0f;
            for (int b = 0; b < nb; b++, T += tb) {
                uint8_t buf[32]; /* filled by the gather; zeroed by a loop so gcc sees it (= {0}: memset at -O0) */
                lmrt_memset(buf, 0, sizeof buf);
                const uint8_t *qs = lmrt_tiled_row_payload_(type, R, T, i, buf);
                float bs;
                if (b < full)
                    bs = type == LMRT_GGML_Q8_0 ? lmrt_a64_blk_q8_f32_(qs, xt + 32 * b) : lmrt_a64_blk_q4_f32_(qs, xt + 32 * b);
                else
                    bs = type == LMRT_GGML_Q8_0 ? lmrt_scalar_blk_q8_f32_((const int8_t *)qs, xt + 32 * b, K - 32 * b)
                                                : lmrt_scalar_blk_q4_f32_(qs, xt + 32 * b, K - 32 * b);
                s += lmrt_load_f16le(T + 2 * i) * bs;
            }
            lmrt_a64_put_(y, ldy, t, r, ra, rb, s, res);
        }
    }
}

LMRT_API void lmrt_a64_rows_q4_0t_f32_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                       int rb, const float *res) {
    lmrt_a64_tiled_f32_rows_(LMRT_GGML_Q4_0, y, ldy, W, x, n, K, R, ra, rb, res);
}

LMRT_API void lmrt_a64_rows_q8_0t_f32_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                       int rb, const float *res) {
    lmrt_a64_tiled_f32_rows_(LMRT_GGML_Q8_0, y, ldy, W, x, n, K, R, ra, rb, res);
}

/* f32 / f16 weights: 4 rows share each x load; per row the 8-accumulator pattern of
 * lmrt_scalar_dot_f32_f32_ (lo = acc[0..3], hi = acc[4..7]) and its sequential tail */
LMRT_A64_AI void lmrt_a64_ld_w8_(const void *W, int f16, size_t i, float32x4_t *lo, float32x4_t *hi) {
    if (f16) {
        float16x8_t h = vreinterpretq_f16_u8(vld1q_u8((const uint8_t *)W + 2 * i));
        *lo = vcvt_f32_f16(vget_low_f16(h));
        *hi = vcvt_high_f32_f16(h);
    } else {
        *lo = vld1q_f32((const float *)W + i);
        *hi = vld1q_f32((const float *)W + i + 4);
    }
}

LMRT_INLINE float lmrt_a64_w1_(const void *W, int f16, size_t i) {
    return f16 ? lmrt_f16_to_f32(((const uint16_t *)W)[i]) : ((const float *)W)[i];
}

/* nr (constant after inlining) rows r.. x token xt */
LMRT_A64_AI void lmrt_a64_dense_nrows_(int f16, int nr, float *v, const void *W, const float *xt, int K, int r) {
    int K8 = K / 8 * 8;
    float32x4_t lo[4], hi[4];
    for (int i = 0; i < nr; i++) lo[i] = hi[i] = vdupq_n_f32(0.0f);
    for (int k = 0; k < K8; k += 8) {
        float32x4_t x0 = vld1q_f32(xt + k), x1 = vld1q_f32(xt + k + 4);
        for (int i = 0; i < nr; i++) {
            float32x4_t w0, w1;
            lmrt_a64_ld_w8_(W, f16, (size_t)(r + i) * (size_t)K + (size_t)k, &w0, &w1);
            lo[i] = lmrt_a64_muladd_(lo[i], w0, x0);
            hi[i] = lmrt_a64_muladd_(hi[i], w1, x1);
        }
    }
    for (int i = 0; i < nr; i++) {
        float s = lmrt_a64_sum8_(lo[i], hi[i]);
        size_t o0 = (size_t)(r + i) * (size_t)K;
        for (int k = K8; k < K; k++) s += lmrt_a64_w1_(W, f16, o0 + (size_t)k) * xt[k];
        v[i] = s;
    }
}

LMRT_A64_AI void lmrt_a64_dense_rows_(int f16, float *y, int ldy, const void *W, const void *x, int n, int K, int ra,
                                      int rb, const float *res) {
    for (int r = ra; r < rb; r += 4) {
        int nr = rb - r < 4 ? rb - r : 4;
        for (int t = 0; t < n; t++) {
            const float *xt = (const float *)x + (size_t)t * (size_t)K;
            float v[4];
            if (nr == 4) lmrt_a64_dense_nrows_(f16, 4, v, W, xt, K, r);
            else for (int i = 0; i < nr; i++) lmrt_a64_dense_nrows_(f16, 1, v + i, W, xt, K, r + i);
            for (int i = 0; i < nr; i++) lmrt_a64_put_(y, ldy, t, r + i, ra, rb, v[i], res);
        }
    }
}

LMRT_API void lmrt_a64_rows_f32_f32_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                     int rb, const float *res) {
    (void)R;
    lmrt_a64_dense_rows_(0, y, ldy, W, x, n, K, ra, rb, res);
}

LMRT_API void lmrt_a64_rows_f16_f32_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                     int rb, const float *res) {
    (void)R;
    lmrt_a64_dense_rows_(1, y, ldy, W, x, n, K, ra, rb, res);
}

/* ---- the linear family on top of a row driver ------------------------------ */

LMRT_INLINE void lmrt_a64_matmul_(lmrt_a64_rows_fn rows, int gran, float *y, const void *W, const void *x,
                                  const float *res, int n, int N, int K, int R, int tid, int nth) {
    int ra, rb;
    lmrt_scalar_rows_(N, gran, tid, nth, &ra, &rb);
    if (ra < rb) rows(y + ra, N, W, x, n, K, R, ra, rb, res ? res + ra : (const float *)0);
}

#define LMRT_A64_SW_ROWS 64
LMRT_INLINE void lmrt_a64_matmul_swiglu_(lmrt_a64_rows_fn rows, int gran, size_t xs, float *y, const void *W,
                                         const void *x, int n, int F, int K, int R, int tid, int nth) {
    int ja, jb;
    lmrt_scalar_rows_(F, gran, tid, nth, &ja, &jb);
    float g[LMRT_A64_CHUNK * LMRT_A64_SW_ROWS], u[LMRT_A64_CHUNK * LMRT_A64_SW_ROWS];
    for (int t0 = 0; t0 < n; t0 += LMRT_A64_CHUNK) {
        int nt = n - t0 < LMRT_A64_CHUNK ? n - t0 : LMRT_A64_CHUNK;
        const void *xt = (const uint8_t *)x + (size_t)t0 * xs;
        for (int j = ja; j < jb; j += LMRT_A64_SW_ROWS) {
            int je = j + LMRT_A64_SW_ROWS < jb ? j + LMRT_A64_SW_ROWS : jb;
            rows(g, LMRT_A64_SW_ROWS, W, xt, nt, K, R, j, je, (const float *)0);
            rows(u, LMRT_A64_SW_ROWS, W, xt, nt, K, R, F + j, F + je, (const float *)0);
            for (int t = 0; t < nt; t++)
                for (int i = 0; i < je - j; i++)
                    y[(size_t)(t0 + t) * (size_t)F + (size_t)(j + i)] =
                        lmrt_scalar_silu_mul_(g[t * LMRT_A64_SW_ROWS + i], u[t * LMRT_A64_SW_ROWS + i]);
        }
    }
}

/* split by head (gran = hd); rope and cache stores are the scalar set's helpers */
LMRT_INLINE void lmrt_a64_qkv_(lmrt_a64_rows_fn rows, size_t xs, int kind, float *q, const void *W, const void *x,
                               int n, int K, int H, int Hkv, int hd, int rope_dim, int neox, const float *rope,
                               void *kc, void *vc, int slots, int pos, int R, int tid, int nth) {
    int u0, u1;
    lmrt_split(H + 2 * Hkv, tid, nth, &u0, &u1);
    float buf[LMRT_A64_CHUNK * LMRT_A64_QKV_HD];
    for (int u = u0; u < u1; u++)
        for (int t0 = 0; t0 < n; t0 += LMRT_A64_CHUNK) {
            int nt = n - t0 < LMRT_A64_CHUNK ? n - t0 : LMRT_A64_CHUNK;
            rows(buf, hd, W, (const uint8_t *)x + (size_t)t0 * xs, nt, K, R, u * hd, (u + 1) * hd, (const float *)0);
            for (int t = 0; t < nt; t++) {
                int p = pos + t0 + t;
                float *v = buf + t * hd;
                if (u < H + Hkv) lmrt_scalar_rope_head_(v, rope_dim, neox, rope + (size_t)(t0 + t) * (size_t)rope_dim);
                if (u < H) {
                    lmrt_memcpy(q + ((size_t)(t0 + t) * (size_t)H + (size_t)u) * (size_t)hd, v,
                                (size_t)hd * sizeof(float));
                    continue;
                }
                int h = u < H + Hkv ? u - H : u - H - Hkv;
                lmrt_scalar_store_kv_(u < H + Hkv ? kc : vc, kind, (size_t)h * (size_t)slots + (size_t)(p % slots), v,
                                      hd);
            }
        }
}

/* qkv with KV cache KV (KIND: its LMRT_KV_*); heads wider than the vector path go scalar */
#define LMRT_A64_QKV(W, A, KV, KIND)                                                                                   \
    LMRT_API void lmrt_a64_qkv_##W##_##A##_##KV(float *q, const void *Wt, const void *x, int n, int K, int H, int Hkv, \
                                             int hd, int rope_dim, int neox, const float *rope, void *kc, void *vc,    \
                                             int slots, int pos, int R, int tid, int nth) {                            \
        if (hd > LMRT_A64_QKV_HD)                                                                                      \
            lmrt_scalar_qkv_##W##_##A##_##KV(q, Wt, x, n, K, H, Hkv, hd, rope_dim, neox, rope, kc, vc, slots, pos, R,  \
                                            tid, nth);                                                                 \
        else                                                                                                           \
            lmrt_a64_qkv_(lmrt_a64_rows_##W##_##A##_, lmrt_scalar_xs_##A##_(K), KIND, q, Wt, x, n, K, H, Hkv, hd,      \
                          rope_dim, neox, rope, kc, vc, slots, pos, R, tid, nth);                                      \
    }

#define LMRT_A64_LINEAR(W, A, GRAN)                                                                                \
    LMRT_API void lmrt_a64_matmul_##W##_##A(float *y, const void *Wt, const void *x, int n, int N, int K, int R,   \
                                          int tid, int nth) {                                                      \
        lmrt_a64_matmul_(lmrt_a64_rows_##W##_##A##_, GRAN, y, Wt, x, (const float *)0, n, N, K, R, tid, nth);      \
    }                                                                                                              \
    LMRT_API void lmrt_a64_matmul_add_##W##_##A(float *y, const void *Wt, const void *x, const float *res, int n,  \
                                              int N, int K, int R, int tid, int nth) {                             \
        lmrt_a64_matmul_(lmrt_a64_rows_##W##_##A##_, GRAN, y, Wt, x, res, n, N, K, R, tid, nth);                   \
    }                                                                                                              \
    LMRT_API void lmrt_a64_matmul_swiglu_##W##_##A(float *y, const void *Wt, const void *x, int n, int F, int K,   \
                                                 int R, int tid, int nth) {                                        \
        lmrt_a64_matmul_swiglu_(lmrt_a64_rows_##W##_##A##_, GRAN, lmrt_scalar_xs_##A##_(K), y, Wt, x, n, F, K, R,  \
                                tid, nth);                                                                         \
    }                                                                                                              \
    LMRT_A64_QKV(W, A, f32, LMRT_KV_F32)                                                                           \
    LMRT_A64_QKV(W, A, f16, LMRT_KV_F16)                                                                           \
    LMRT_A64_QKV(W, A, q8, LMRT_KV_Q8)

/* dense rows split in units of 4 (a full quad per thread); tiles in whole tiles */
LMRT_A64_LINEAR(f32, f32, 4)
LMRT_A64_LINEAR(f16, f32, 4)
LMRT_A64_LINEAR(q4_0t, q8a, LMRT_SCALAR_GRAN_(R))
LMRT_A64_LINEAR(q8_0t, q8a, LMRT_SCALAR_GRAN_(R))
LMRT_A64_LINEAR(q4_0t, f32, LMRT_SCALAR_GRAN_(R))
LMRT_A64_LINEAR(q8_0t, f32, LMRT_SCALAR_GRAN_(R))

/* ---- activation quantization ------------------------------------------------ */

/* d = amax/127 (maxNum ignores NaN like the scalar compare), q = round-half-away(x / d) via
 * FCVTAS (NaN -> 0, +-inf saturate), clamped to +-127 as the scalar set does */
LMRT_API void lmrt_a64_quantize_q8a(void *xq, const float *x, int n, int K, int tid, int nth) {
    int t0, t1, nb = (K + 31) / 32;
    lmrt_split(n, tid, nth, &t0, &t1);
    for (int t = t0; t < t1; t++) {
        const float *xt = x + (size_t)t * (size_t)K;
        uint8_t *o = (uint8_t *)xq + (size_t)t * (size_t)nb * LMRT_Q8A_BYTES;
        for (int b = 0; b < nb; b++, o += LMRT_Q8A_BYTES) {
            float tmp[32];
            const float *v = xt + 32 * b;
            if (32 * b + 32 > K) { /* zero-padded tail */
                for (int j = 0; j < 32; j++) tmp[j] = 32 * b + j < K ? v[j] : 0.0f;
                v = tmp;
            }
            float32x4_t f[8], m = vdupq_n_f32(0.0f);
            for (int j = 0; j < 8; j++) {
                f[j] = vld1q_f32(v + 4 * j);
                m = vmaxnmq_f32(m, vabsq_f32(f[j]));
            }
            float d = vmaxnmvq_f32(m) / 127.0f;
            lmrt_memcpy(o, &d, sizeof d);
            int32x4_t q[8];
            for (int j = 0; j < 8; j++) {
                q[j] = d != 0.0f ? vcvtaq_s32_f32(vdivq_f32(f[j], vdupq_n_f32(d))) : vdupq_n_s32(0);
                q[j] = vmaxq_s32(vminq_s32(q[j], vdupq_n_s32(127)), vdupq_n_s32(-127));
            }
            for (int j = 0; j < 2; j++) {
                int16x8_t a = vcombine_s16(vmovn_s32(q[4 * j]), vmovn_s32(q[4 * j + 1]));
                int16x8_t c = vcombine_s16(vmovn_s32(q[4 * j + 2]), vmovn_s32(q[4 * j + 3]));
                vst1q_s8((int8_t *)(o + 4 + 16 * j), vcombine_s8(vmovn_s16(a), vmovn_s16(c)));
            }
        }
    }
}

/* ---- attention ----------------------------------------------------------------
 * Scores with the scalar accumulator patterns (f32: 8 accumulators, f16 and q8: 4, a q8 row's scale
 * applied to the sum), softmax by the scalar row helper (lmrt_expf), out = sum_j p_j v_j (q8: (p_j
 * d_j) qs_j) accumulated in j order 16 dims at a time: the same float operations as the portable set. */

/* 4 elements of a cache row from element i: f16, or q8's int8 widened (unscaled) */
LMRT_INLINE float32x4_t lmrt_a64_kv4_(const uint8_t *row, int kind, size_t i) {
    if (kind == LMRT_KV_Q8) {
        int8x8_t b = vreinterpret_s8_u32(vdup_n_u32(lmrt_load_u32le(row + 4 + i)));
        return vcvtq_f32_s32(vmovl_s16(vget_low_s16(vmovl_s8(b))));
    }
    return lmrt_a64_ld_f16x4_(row + 2 * i);
}

LMRT_INLINE float lmrt_a64_score_(const float *qh, const uint8_t *k, int kind, int hd) {
    int i = 0;
    float s;
    if (kind != LMRT_KV_F32) {
        float32x4_t a = vdupq_n_f32(0.0f);
        for (; i + 4 <= hd; i += 4) a = lmrt_a64_muladd_(a, vld1q_f32(qh + i), lmrt_a64_kv4_(k, kind, (size_t)i));
        /* (acc0 + acc2) + (acc1 + acc3) */
        float32x2_t p = vadd_f32(vget_low_f32(a), vget_high_f32(a));
        s = vget_lane_f32(p, 0) + vget_lane_f32(p, 1);
        for (; i < hd; i++)
            s += qh[i] * (kind == LMRT_KV_Q8 ? (float)lmrt_kv_q8_qs_(k)[i] : lmrt_a64_w1_(k, 1, (size_t)i));
        if (kind == LMRT_KV_Q8) s *= lmrt_kv_q8_d_(k);
    } else {
        const float *kf = (const float *)(const void *)k;
        float32x4_t lo = vdupq_n_f32(0.0f), hi = lo;
        for (; i + 8 <= hd; i += 8) {
            lo = lmrt_a64_muladd_(lo, vld1q_f32(kf + i), vld1q_f32(qh + i));
            hi = lmrt_a64_muladd_(hi, vld1q_f32(kf + i + 4), vld1q_f32(qh + i + 4));
        }
        s = lmrt_a64_sum8_(lo, hi);
        for (; i < hd; i++) s += kf[i] * qh[i];
    }
    return s;
}

LMRT_INLINE void lmrt_a64_attention_(int kind, float *out, const float *q, const void *kc, const void *vc, int n,
                                     int H, int Hkv, int hd, int slots, int pos, int window, int sink,
                                     const float *qsink, float scale, float softcap, float *scratch, int tid,
                                     int nth) {
    int p0, p1, group = H / Hkv;
    size_t rb = lmrt_kv_row_bytes_(kind, hd);
    lmrt_split(n * H, tid, nth, &p0, &p1);
    float *sc = scratch + (size_t)tid * (size_t)slots;
    for (int p = p0; p < p1; p++) {
        int t = p / H, h = p % H;
        lmrt_kv_keys ks = lmrt_scalar_kv_keys_(pos + t, slots, window, sink);
        int cnt = ks.cnt;
        size_t qo = ((size_t)t * (size_t)H + (size_t)h) * (size_t)hd;
        size_t kvo = (size_t)(h / group) * (size_t)slots * rb;
        const uint8_t *k = (const uint8_t *)kc + kvo, *v = (const uint8_t *)vc + kvo;
        const float *qh = q + qo, *qs = (qsink ? qsink : q) + qo;
        float *o = out + qo;
        for (int j = 0; j < cnt; j++)
            sc[j] = lmrt_scalar_softcap_(
                lmrt_a64_score_(j < ks.nsink ? qs : qh, k + lmrt_scalar_kv_slot_(&ks, j) * rb, kind, hd) * scale, softcap);
        lmrt_scalar_softmax_row_(sc, cnt);
        int i0 = 0;
        for (; i0 + 4 <= hd; i0 += 16) {
            int nc = (hd - i0) / 4 < 4 ? (hd - i0) / 4 : 4;
            float32x4_t acc[4];
            for (int c = 0; c < 4; c++) acc[c] = vdupq_n_f32(0.0f);
            for (int j = 0; j < cnt; j++) {
                const uint8_t *row = v + lmrt_scalar_kv_slot_(&ks, j) * rb;
                float32x4_t pj = vdupq_n_f32(kind == LMRT_KV_Q8 ? sc[j] * lmrt_kv_q8_d_(row) : sc[j]);
                for (int c = 0; c < nc; c++) {
                    size_t e = (size_t)i0 + 4 * (size_t)c;
                    float32x4_t vv = kind == LMRT_KV_F32 ? vld1q_f32((const float *)(const void *)row + e)
                                                         : lmrt_a64_kv4_(row, kind, e);
                    acc[c] = lmrt_a64_muladd_(acc[c], pj, vv);
                }
            }
            for (int c = 0; c < nc; c++) vst1q_f32(o + i0 + 4 * c, acc[c]);
            if (nc < 4) {
                i0 += 4 * nc;
                break;
            }
        }
        for (int i = i0; i < hd; i++) {
            float a = 0.0f;
            for (int j = 0; j < cnt; j++) {
                const uint8_t *row = v + lmrt_scalar_kv_slot_(&ks, j) * rb;
                a += kind == LMRT_KV_Q8 ? sc[j] * lmrt_kv_q8_d_(row) * (float)lmrt_kv_q8_qs_(row)[i]
                                        : sc[j] * lmrt_a64_w1_(row, kind, (size_t)i);
            }
            o[i] = a;
        }
    }
}

LMRT_ATTENTION_KINDS_(a64)

/* ---- the contract names this set accelerates; the rest: lmrt_kernels_fallback.h ---- */

#define lmrt_k_quantize_q8a lmrt_a64_quantize_q8a
#define lmrt_k_attention_f32 lmrt_a64_attention_f32
#define lmrt_k_attention_f16 lmrt_a64_attention_f16
#define lmrt_k_attention_q8 lmrt_a64_attention_q8

#define lmrt_k_matmul_f32_f32 lmrt_a64_matmul_f32_f32
#define lmrt_k_matmul_add_f32_f32 lmrt_a64_matmul_add_f32_f32
#define lmrt_k_matmul_swiglu_f32_f32 lmrt_a64_matmul_swiglu_f32_f32
#define lmrt_k_qkv_f32_f32_f32 lmrt_a64_qkv_f32_f32_f32
#define lmrt_k_qkv_f32_f32_f16 lmrt_a64_qkv_f32_f32_f16
#define lmrt_k_qkv_f32_f32_q8 lmrt_a64_qkv_f32_f32_q8

#define lmrt_k_matmul_f16_f32 lmrt_a64_matmul_f16_f32
#define lmrt_k_matmul_add_f16_f32 lmrt_a64_matmul_add_f16_f32
#define lmrt_k_matmul_swiglu_f16_f32 lmrt_a64_matmul_swiglu_f16_f32
#define lmrt_k_qkv_f16_f32_f32 lmrt_a64_qkv_f16_f32_f32
#define lmrt_k_qkv_f16_f32_f16 lmrt_a64_qkv_f16_f32_f16
#define lmrt_k_qkv_f16_f32_q8 lmrt_a64_qkv_f16_f32_q8

#define lmrt_k_matmul_q4_0t_q8a lmrt_a64_matmul_q4_0t_q8a
#define lmrt_k_matmul_add_q4_0t_q8a lmrt_a64_matmul_add_q4_0t_q8a
#define lmrt_k_matmul_swiglu_q4_0t_q8a lmrt_a64_matmul_swiglu_q4_0t_q8a
#define lmrt_k_qkv_q4_0t_q8a_f32 lmrt_a64_qkv_q4_0t_q8a_f32
#define lmrt_k_qkv_q4_0t_q8a_f16 lmrt_a64_qkv_q4_0t_q8a_f16
#define lmrt_k_qkv_q4_0t_q8a_q8 lmrt_a64_qkv_q4_0t_q8a_q8

#define lmrt_k_matmul_q8_0t_q8a lmrt_a64_matmul_q8_0t_q8a
#define lmrt_k_matmul_add_q8_0t_q8a lmrt_a64_matmul_add_q8_0t_q8a
#define lmrt_k_matmul_swiglu_q8_0t_q8a lmrt_a64_matmul_swiglu_q8_0t_q8a
#define lmrt_k_qkv_q8_0t_q8a_f32 lmrt_a64_qkv_q8_0t_q8a_f32
#define lmrt_k_qkv_q8_0t_q8a_f16 lmrt_a64_qkv_q8_0t_q8a_f16
#define lmrt_k_qkv_q8_0t_q8a_q8 lmrt_a64_qkv_q8_0t_q8a_q8

#define lmrt_k_matmul_q4_0t_f32 lmrt_a64_matmul_q4_0t_f32
#define lmrt_k_matmul_add_q4_0t_f32 lmrt_a64_matmul_add_q4_0t_f32
#define lmrt_k_matmul_swiglu_q4_0t_f32 lmrt_a64_matmul_swiglu_q4_0t_f32
#define lmrt_k_qkv_q4_0t_f32_f32 lmrt_a64_qkv_q4_0t_f32_f32
#define lmrt_k_qkv_q4_0t_f32_f16 lmrt_a64_qkv_q4_0t_f32_f16
#define lmrt_k_qkv_q4_0t_f32_q8 lmrt_a64_qkv_q4_0t_f32_q8

#define lmrt_k_matmul_q8_0t_f32 lmrt_a64_matmul_q8_0t_f32
#define lmrt_k_matmul_add_q8_0t_f32 lmrt_a64_matmul_add_q8_0t_f32
#define lmrt_k_matmul_swiglu_q8_0t_f32 lmrt_a64_matmul_swiglu_q8_0t_f32
#define lmrt_k_qkv_q8_0t_f32_f32 lmrt_a64_qkv_q8_0t_f32_f32
#define lmrt_k_qkv_q8_0t_f32_f16 lmrt_a64_qkv_q8_0t_f32_f16
#define lmrt_k_qkv_q8_0t_f32_q8 lmrt_a64_qkv_q8_0t_f32_q8

#include "lmrt_kernels_fallback.h"

#endif
