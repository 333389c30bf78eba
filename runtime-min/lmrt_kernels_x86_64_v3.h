/* lmrt_kernels_x86_64_v3.h - kernel contract v2 for x86-64-v3 (AVX2 + FMA + F16C).
 *
 * Accelerated: matmul / matmul_add / matmul_swiglu / qkv for q4_0t and q8_0t weights with q8a
 * activations (integer dot products, R = 8 tiles, up to 4 tokens share each unpacked weight
 * tile), f32, f16 and bf16 weights with f32 activations (FMA, F16C), quantize_q8a, normalize,
 * rmsnorm, swiglu, add, attention (the list at the end).  Every other kernel is the portable one
 * (lmrt_kernels_fallback.h).
 * Tiled layout: lmrt_tiled.h.  Compile with -mavx2 -mfma -mf16c (or -march=x86-64-v3).
 */
#ifndef LMRT_KERNELS_X86_64_V3_H
#define LMRT_KERNELS_X86_64_V3_H

#include <immintrin.h>

#include "lmrt_base.h"
#include "lmrt_math.h"
#include "lmrt_tiled.h"
#include "lmrt_kernels_scalar.h"

#define LMRT_X86_TB 4        /* tokens sharing one unpacked weight tile */
/* register arrays (acc[4], a[8]) stay in registers only when their loops are fully unrolled */
#define LMRT_X86_PRAGMA_(x) _Pragma(#x)
#define LMRT_X86_UNROLL(n) LMRT_X86_PRAGMA_(GCC unroll n)
#define LMRT_X86_AI static inline __attribute__((always_inline, unused))
#define LMRT_X86_MAXNB 1024  /* blocks per row (K <= 32768) of the vector q8a paths */
#define LMRT_X86_CSUM 8192   /* stack floats for per-token block sums (>= TB * MAXNB) */

/* ---- small helpers ------------------------------------------------------ */

LMRT_INLINE float lmrt_x86_hsum_(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* lane j of the result = horizontal sum of a[j] */
LMRT_INLINE __m256 lmrt_x86_reduce8_(const __m256 *a) {
    __m256 h0 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
    __m256 h1 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(h0, h1, 0x20), _mm256_permute2f128_ps(h0, h1, 0x31));
}

LMRT_INLINE float lmrt_x86_q8a_d_(const uint8_t *blk) {
    float d;
    lmrt_memcpy(&d, blk, sizeof d);
    return d;
}

/* exp(x) for 8 lanes: lmrt_expf's algorithm (Cody-Waite, SLEEF polynomial) lane by lane */
LMRT_INLINE __m256 lmrt_x86_expf_(__m256 x) {
    __m256 kf = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.442695040888963407f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    kf = _mm256_max_ps(_mm256_min_ps(kf, _mm256_set1_ps(128.0f)), _mm256_set1_ps(-150.0f));
    __m256 r = _mm256_fnmadd_ps(kf, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(kf, _mm256_set1_ps(1.428606765330187045e-06f), r);
    __m256 u = _mm256_set1_ps(0.000198527617612853646278381f);
    u = _mm256_fmadd_ps(u, r, _mm256_set1_ps(0.00139304355252534151077271f));
    u = _mm256_fmadd_ps(u, r, _mm256_set1_ps(0.00833336077630519866943359f));
    u = _mm256_fmadd_ps(u, r, _mm256_set1_ps(0.0416664853692054748535156f));
    u = _mm256_fmadd_ps(u, r, _mm256_set1_ps(0.166666671633720397949219f));
    u = _mm256_fmadd_ps(u, r, _mm256_set1_ps(0.5f));
    __m256 p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(r, r), u, r), _mm256_set1_ps(1.0f));
    /* 2^k as two exact factors so subnormal results round once */
    __m256i k = _mm256_cvtps_epi32(kf);
    __m256i k1 = _mm256_srai_epi32(k, 1);
    __m256i k2 = _mm256_sub_epi32(k, k1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, _mm256_set1_epi32(127)), 23));
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    y = _mm256_blendv_ps(y, _mm256_set1_ps(__builtin_inff()), _mm256_cmp_ps(x, _mm256_set1_ps(89.0f), _CMP_GT_OQ));
    y = _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-104.0f), _CMP_LT_OQ), y);
    return y;
}

/* silu(g) * u = g * u / (1 + exp(-g)), computed as lmrt_sigmoidf does (exp of -|g|) */
LMRT_INLINE __m256 lmrt_x86_swiglu8_(__m256 g, __m256 u) {
    __m256 absg = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), g);
    __m256 e = lmrt_x86_expf_(_mm256_sub_ps(_mm256_setzero_ps(), absg));
    __m256 num = _mm256_blendv_ps(_mm256_set1_ps(1.0f), e, _mm256_cmp_ps(g, _mm256_setzero_ps(), _CMP_LT_OQ));
    __m256 sig = _mm256_div_ps(num, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    return _mm256_mul_ps(_mm256_mul_ps(g, sig), u);
}

LMRT_INLINE void lmrt_x86_swiglu_row_(float *y, const float *g, const float *u, int len) {
    int i = 0;
    for (; i + 8 <= len; i += 8)
        _mm256_storeu_ps(y + i, lmrt_x86_swiglu8_(_mm256_loadu_ps(g + i), _mm256_loadu_ps(u + i)));
    for (; i < len; i++) y[i] = g[i] * lmrt_sigmoidf(g[i]) * u[i];
}

/* ---- q4_0t / q8_0t x q8a: one 8-row group, nt <= 4 tokens ---------------
 * Per 32-column block: the integer dots of the 8 rows reduce (hadd) into one vector
 * of 8 int32, converted once and scaled by the 8 row scales * d_a with one FMA. */

/* q4: unsigned nibbles u = q + 8, so d_w d_a dot(q, a) = d_w (d_a dot(u, a) - c_b) with
 * c_b = 8 d_a sum(a) precomputed per token and block (csum[t * nb + b]).  A 32-byte load holds
 * two rows: low nibbles pair with a[0..15], high nibbles with a[16..31]. */
LMRT_X86_AI void lmrt_x86_q4t_grp_nt_(float *out, int ldo, const uint8_t *G, int nb, const uint8_t *x, size_t xs,
                                   const float *csum, const float *res, int nt) {
    const __m256i m4 = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
    const __m256i sperm = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    __m256 acc[LMRT_X86_TB];
    LMRT_X86_UNROLL(4)
    for (int t = 0; t < LMRT_X86_TB; t++) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++, G += 8 * 18) {
        const uint8_t *q = G + 16;
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(q + 0));
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(q + 32));
        __m256i v2 = _mm256_loadu_si256((const __m256i *)(q + 64));
        __m256i v3 = _mm256_loadu_si256((const __m256i *)(q + 96));
        __m256i l0 = _mm256_and_si256(v0, m4), h0 = _mm256_and_si256(_mm256_srli_epi16(v0, 4), m4);
        __m256i l1 = _mm256_and_si256(v1, m4), h1 = _mm256_and_si256(_mm256_srli_epi16(v1, 4), m4);
        __m256i l2 = _mm256_and_si256(v2, m4), h2 = _mm256_and_si256(_mm256_srli_epi16(v2, 4), m4);
        __m256i l3 = _mm256_and_si256(v3, m4), h3 = _mm256_and_si256(_mm256_srli_epi16(v3, 4), m4);
        /* scales in the hadd order rows 0,2,4,6,1,3,5,7 */
        __m256 sw = _mm256_permutevar8x32_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)G)), sperm);
        LMRT_X86_UNROLL(4)
        for (int t = 0; t < nt; t++) {
            const uint8_t *a = x + (size_t)t * xs + (size_t)b * LMRT_Q8A_BYTES;
            __m256i alo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(a + 4)));
            __m256i ahi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(a + 20)));
            /* int16 sums stay exact: |u a| <= 15 * 127, 16 products per lane after two hadds = 30480 */
            __m256i p0 = _mm256_add_epi16(_mm256_maddubs_epi16(l0, alo), _mm256_maddubs_epi16(h0, ahi));
            __m256i p1 = _mm256_add_epi16(_mm256_maddubs_epi16(l1, alo), _mm256_maddubs_epi16(h1, ahi));
            __m256i p2 = _mm256_add_epi16(_mm256_maddubs_epi16(l2, alo), _mm256_maddubs_epi16(h2, ahi));
            __m256i p3 = _mm256_add_epi16(_mm256_maddubs_epi16(l3, alo), _mm256_maddubs_epi16(h3, ahi));
            __m256i sum = _mm256_madd_epi16(
                _mm256_hadd_epi16(_mm256_hadd_epi16(p0, p1), _mm256_hadd_epi16(p2, p3)), ones);
            __m256 v = _mm256_fmsub_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(lmrt_x86_q8a_d_(a)),
                                       _mm256_broadcast_ss(csum + t * nb + b));
            acc[t] = _mm256_fmadd_ps(sw, v, acc[t]);
        }
    }
    LMRT_X86_UNROLL(4)
    for (int t = 0; t < nt; t++) {
        __m256 v = _mm256_permutevar8x32_ps(acc[t], _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        if (res) v = _mm256_add_ps(v, _mm256_loadu_ps(res + (size_t)t * (size_t)ldo));
        _mm256_storeu_ps(out + (size_t)t * (size_t)ldo, v);
    }
}

/* ng consecutive groups (gb bytes apart) into out + 8 g (+ res + 8 g, which may alias out).  One
 * instance per token count, so the token loops unroll; looping over groups here rather than per
 * call keeps the constants in registers (decode makes thousands of one-group calls per token). */
LMRT_X86_AI void lmrt_x86_q4t_span_nt_(float *out, int ldo, const uint8_t *G, size_t gb, int ng, int nb,
                                    const uint8_t *x, size_t xs, const float *csum, const float *res, int nt) {
    for (int g = 0; g < ng; g++, G += gb)
        lmrt_x86_q4t_grp_nt_(out + 8 * g, ldo, G, nb, x, xs, csum, res ? res + 8 * g : res, nt);
}

LMRT_INLINE void lmrt_x86_q4t_span_(float *out, int ldo, const uint8_t *G, size_t gb, int ng, int nb,
                                    const uint8_t *x, size_t xs, const float *csum, const float *res, int nt) {
    switch (nt) {
    case 1: lmrt_x86_q4t_span_nt_(out, ldo, G, gb, ng, nb, x, xs, csum, res, 1); break;
    case 2: lmrt_x86_q4t_span_nt_(out, ldo, G, gb, ng, nb, x, xs, csum, res, 2); break;
    case 3: lmrt_x86_q4t_span_nt_(out, ldo, G, gb, ng, nb, x, xs, csum, res, 3); break;
    default: lmrt_x86_q4t_span_nt_(out, ldo, G, gb, ng, nb, x, xs, csum, res, 4); break;
    }
}

/* c_b = 8 d_a sum(a_b) for nt tokens */
LMRT_INLINE void lmrt_x86_q4_csum_(float *csum, const uint8_t *x, size_t xs, int nb, int nt) {
    const __m256i eight = _mm256_set1_epi8(8);
    for (int t = 0; t < nt; t++)
        for (int b = 0; b < nb; b++) {
            const uint8_t *a = x + (size_t)t * xs + (size_t)b * LMRT_Q8A_BYTES;
            __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(eight, _mm256_loadu_si256((const __m256i *)(a + 4))),
                                          _mm256_set1_epi16(1));
            __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
            h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
            h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
            csum[t * nb + b] = lmrt_x86_q8a_d_(a) * (float)_mm_cvtsi128_si32(h);
        }
}

/* q8: signed x signed via maddubs(|w|, sign(a, w)); per block the 8 rows' int32 lanes reduce
 * with hadd into [r0..r3 | r0..r3] + [r4..r7 | r4..r7] halves. */
LMRT_INLINE __m256i lmrt_x86_dot8_i8_(__m256i w, __m256i a) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w)),
                             _mm256_set1_epi16(1));
}

LMRT_X86_AI void lmrt_x86_q8t_grp_nt_(float *out, int ldo, const uint8_t *G, int nb, const uint8_t *x, size_t xs,
                                   const float *res, int nt) {
    __m256 acc[LMRT_X86_TB];
    LMRT_X86_UNROLL(4)
    for (int t = 0; t < LMRT_X86_TB; t++) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++, G += 8 * 34) {
        const uint8_t *q = G + 16;
        __m256 sw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)G));
        LMRT_X86_UNROLL(4)
        for (int t = 0; t < nt; t++) {
            const uint8_t *a = x + (size_t)t * xs + (size_t)b * LMRT_Q8A_BYTES;
            __m256i av = _mm256_loadu_si256((const __m256i *)(a + 4));
            __m256i p[8];
            LMRT_X86_UNROLL(8)
            for (int r = 0; r < 8; r++)
                p[r] = lmrt_x86_dot8_i8_(_mm256_loadu_si256((const __m256i *)(q + 32 * r)), av);
            __m256i s0 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
            __m256i s1 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[4], p[5]), _mm256_hadd_epi32(p[6], p[7]));
            __m256i s = _mm256_add_epi32(_mm256_permute2x128_si256(s0, s1, 0x20),
                                         _mm256_permute2x128_si256(s0, s1, 0x31));
            __m256 sc = _mm256_mul_ps(sw, _mm256_set1_ps(lmrt_x86_q8a_d_(a)));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), sc, acc[t]);
        }
    }
    LMRT_X86_UNROLL(4)
    for (int t = 0; t < nt; t++) {
        __m256 v = acc[t];
        if (res) v = _mm256_add_ps(v, _mm256_loadu_ps(res + (size_t)t * (size_t)ldo));
        _mm256_storeu_ps(out + (size_t)t * (size_t)ldo, v);
    }
}

LMRT_X86_AI void lmrt_x86_q8t_span_nt_(float *out, int ldo, const uint8_t *G, size_t gb, int ng, int nb,
                                    const uint8_t *x, size_t xs, const float *res, int nt) {
    for (int g = 0; g < ng; g++, G += gb)
        lmrt_x86_q8t_grp_nt_(out + 8 * g, ldo, G, nb, x, xs, res ? res + 8 * g : res, nt);
}

LMRT_INLINE void lmrt_x86_q8t_span_(float *out, int ldo, const uint8_t *G, size_t gb, int ng, int nb,
                                    const uint8_t *x, size_t xs, const float *res, int nt) {
    switch (nt) {
    case 1: lmrt_x86_q8t_span_nt_(out, ldo, G, gb, ng, nb, x, xs, res, 1); break;
    case 2: lmrt_x86_q8t_span_nt_(out, ldo, G, gb, ng, nb, x, xs, res, 2); break;
    case 3: lmrt_x86_q8t_span_nt_(out, ldo, G, gb, ng, nb, x, xs, res, 3); break;
    default: lmrt_x86_q8t_span_nt_(out, ldo, G, gb, ng, nb, x, xs, res, 4); break;
    }
}

/* ---- row-range drivers ---------------------------------------------------
 * rows(y, ldy, W, x, n, K, R, ra, rb, res): y[t*ldy + r - ra] = (W x_t)_r (+ res[t*ldy + r - ra])
 * for r in [ra, rb), t < n.  res may alias y. */
typedef void (*lmrt_x86_rows_fn)(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                 int rb, const float *res);

LMRT_INLINE void lmrt_x86_tiled_rows_(int type, float *y, int ldy, const void *W, const void *x, int n, int K, int R,
                                      int ra, int rb, const float *res) {
    int nb = (K + 31) / 32;
    size_t xs = (size_t)nb * LMRT_Q8A_BYTES;
    if (R != 8 || nb > LMRT_X86_MAXNB) { /* no vector path for other tile heights: the scalar reference */
        for (int t = 0; t < n; t++)
            for (int r = ra; r < rb; r++) {
                float v = lmrt_tiled_dot_q8a(type, R, W, r, K, (const uint8_t *)x + (size_t)t * xs);
                size_t o = (size_t)t * (size_t)ldy + (size_t)(r - ra);
                y[o] = res ? v + res[o] : v;
            }
        return;
    }
    size_t gb = lmrt_tiled_group_bytes(type, 8, K);
    float tmp[LMRT_X86_TB * 8], csum[LMRT_X86_CSUM];
    /* groups outside, tokens inside: each weight tile is read once per chunk of ct tokens.
     * Whole groups write y directly; groups cut by ra / rb go through tmp. */
    int ct = LMRT_X86_CSUM / nb / LMRT_X86_TB * LMRT_X86_TB;
    for (int c0 = 0; c0 < n; c0 += ct) {
        int cn = n - c0 < ct ? n - c0 : ct;
        const uint8_t *xc = (const uint8_t *)x + (size_t)c0 * xs;
        if (type == LMRT_GGML_Q4_0) lmrt_x86_q4_csum_(csum, xc, xs, nb, cn);
        for (int g = ra / 8; g * 8 < rb; g++) {
            const uint8_t *G = (const uint8_t *)W + (size_t)g * gb;
            int r0 = g * 8 > ra ? g * 8 : ra, r1 = g * 8 + 8 < rb ? g * 8 + 8 : rb;
            if (r0 == g * 8 && r1 == g * 8 + 8) {
                /* one token block: every whole group from here on in one span */
                int ng = cn <= LMRT_X86_TB ? (rb - g * 8) / 8 : 1;
                for (int t0 = 0; t0 < cn; t0 += LMRT_X86_TB) {
                    int nt = cn - t0 < LMRT_X86_TB ? cn - t0 : LMRT_X86_TB;
                    size_t o = (size_t)(c0 + t0) * (size_t)ldy + (size_t)(g * 8 - ra);
                    const uint8_t *xt = xc + (size_t)t0 * xs;
                    const float *rt = res ? res + o : res;
                    if (type == LMRT_GGML_Q4_0) lmrt_x86_q4t_span_(y + o, ldy, G, gb, ng, nb, xt, xs, csum + t0 * nb, rt, nt);
                    else lmrt_x86_q8t_span_(y + o, ldy, G, gb, ng, nb, xt, xs, rt, nt);
                }
                g += ng - 1;
                continue;
            }
            for (int t0 = 0; t0 < cn; t0 += LMRT_X86_TB) {
                int nt = cn - t0 < LMRT_X86_TB ? cn - t0 : LMRT_X86_TB;
                const uint8_t *xt = xc + (size_t)t0 * xs;
                if (type == LMRT_GGML_Q4_0) lmrt_x86_q4t_span_(tmp, 8, G, gb, 1, nb, xt, xs, csum + t0 * nb, 0, nt);
                else lmrt_x86_q8t_span_(tmp, 8, G, gb, 1, nb, xt, xs, 0, nt);
                for (int t = 0; t < nt; t++)
                    for (int r = r0; r < r1; r++) {
                        size_t o = (size_t)(c0 + t0 + t) * (size_t)ldy + (size_t)(r - ra);
                        float v = tmp[t * 8 + (r - g * 8)];
                        y[o] = res ? v + res[o] : v;
                    }
            }
        }
    }
}

LMRT_API void lmrt_x86_rows_q4_0t_q8a_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                       int rb, const float *res) {
    lmrt_x86_tiled_rows_(LMRT_GGML_Q4_0, y, ldy, W, x, n, K, R, ra, rb, res);
}

LMRT_API void lmrt_x86_rows_q8_0t_q8a_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                       int rb, const float *res) {
    lmrt_x86_tiled_rows_(LMRT_GGML_Q8_0, y, ldy, W, x, n, K, R, ra, rb, res);
}

/* tiled weights x f32 activations: dequantize a block to floats, FMA (used without act-q8) */
LMRT_INLINE void lmrt_x86_tiled_rows_f32_(int type, float *y, int ldy, const void *W, const void *x, int n, int K,
                                          int R, int ra, int rb, const float *res) {
    const float *xf = (const float *)x;
    int nb = (K + 31) / 32, full = K / 32;
    for (int r = ra; r < rb; r++)
        for (int t = 0; t < n; t++) {
            const float *xt = xf + (size_t)t * (size_t)K;
            __m256 acc = _mm256_setzero_ps();
            for (int b = 0; b < full; b++) {
                uint8_t buf[32]; /* filled by the gather; zeroed by a loop so gcc sees it (= {0}: memset at -O0) */
                lmrt_memset(buf, 0, sizeof buf);
                const uint8_t *qs = lmrt_tiled_row_payload_(type, R, lmrt_tiled_tile_(type, R, W, r, K, b), r % R, buf);
                __m256 d = _mm256_set1_ps(lmrt_load_f16le(lmrt_tiled_scale_ptr_(type, R, W, r, K, b)));
                __m256i w0, w1, w2, w3;
                if (type == LMRT_GGML_Q4_0) {
                    __m128i v = _mm_loadu_si128((const __m128i *)qs), m4 = _mm_set1_epi8(15), e = _mm_set1_epi8(8);
                    __m128i lo = _mm_sub_epi8(_mm_and_si128(v, m4), e);
                    __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(v, 4), m4), e);
                    w0 = _mm256_cvtepi8_epi32(lo);
                    w1 = _mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8));
                    w2 = _mm256_cvtepi8_epi32(hi);
                    w3 = _mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8));
                } else {
                    w0 = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)qs));
                    w1 = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(qs + 8)));
                    w2 = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(qs + 16)));
                    w3 = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(qs + 24)));
                }
                const float *xb = xt + b * 32;
                __m256 s = _mm256_mul_ps(_mm256_cvtepi32_ps(w0), _mm256_loadu_ps(xb));
                s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(w1), _mm256_loadu_ps(xb + 8), s);
                s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(w2), _mm256_loadu_ps(xb + 16), s);
                s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(w3), _mm256_loadu_ps(xb + 24), s);
                acc = _mm256_fmadd_ps(d, s, acc);
            }
            float v = lmrt_x86_hsum_(acc);
            if (full < nb) { /* partial last block: only K - 32*full valid activations */
                uint8_t buf[32]; /* filled by the gather; zeroed by a loop so gcc sees it (= {0}: memset at -O0) */
                lmrt_memset(buf, 0, sizeof buf);
                const uint8_t *qs =
                    lmrt_tiled_row_payload_(type, R, lmrt_tiled_tile_(type, R, W, r, K, full), r % R, buf);
                float d = lmrt_load_f16le(lmrt_tiled_scale_ptr_(type, R, W, r, K, full)), bs = 0.0f;
                for (int j = 0; full * 32 + j < K; j++) bs += (float)lmrt_tiled_q_(type, qs, j) * xt[full * 32 + j];
                v += d * bs;
            }
            size_t o = (size_t)t * (size_t)ldy + (size_t)(r - ra);
            y[o] = res ? v + res[o] : v;
        }
}

LMRT_API void lmrt_x86_rows_q4_0t_f32_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                       int rb, const float *res) {
    lmrt_x86_tiled_rows_f32_(LMRT_GGML_Q4_0, y, ldy, W, x, n, K, R, ra, rb, res);
}

LMRT_API void lmrt_x86_rows_q8_0t_f32_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                       int rb, const float *res) {
    lmrt_x86_tiled_rows_f32_(LMRT_GGML_Q8_0, y, ldy, W, x, n, K, R, ra, rb, res);
}

/* f32 / f16 / bf16 weights: 8 rows x 1 token per pass (x loaded once for 8 rows), one reduction.
 * wt: 0 f32, 1 f16 (also the KV caches' flag), 2 bf16 (the top halves of f32s) */
LMRT_INLINE __m256 lmrt_x86_load_w_(const void *W, int wt, size_t i) {
    const __m128i *h = (const __m128i *)((const uint16_t *)W + i);
    if (wt == 2) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(h)), 16));
    if (wt) return _mm256_cvtph_ps(_mm_loadu_si128(h));
    return _mm256_loadu_ps((const float *)W + i);
}

LMRT_INLINE float lmrt_x86_load_w1_(const void *W, int wt, size_t i) {
    return wt == 2 ? lmrt_bf16_to_f32(((const uint16_t *)W)[i])
           : wt    ? lmrt_f16_to_f32(((const uint16_t *)W)[i])
                   : ((const float *)W)[i];
}

LMRT_INLINE void lmrt_x86_dense_rows_(int wt, float *y, int ldy, const void *W, const void *x, int n, int K, int ra,
                                      int rb, const float *res) {
    const float *xf = (const float *)x;
    int r = ra, K8 = K / 8 * 8;
    for (; r + 8 <= rb; r += 8)
        for (int t = 0; t < n; t++) {
            const float *xt = xf + (size_t)t * (size_t)K;
            size_t o0 = (size_t)r * (size_t)K;
            __m256 a[8];
            LMRT_X86_UNROLL(8)
            for (int i = 0; i < 8; i++) a[i] = _mm256_setzero_ps();
            for (int k = 0; k < K8; k += 8) {
                __m256 xv = _mm256_loadu_ps(xt + k);
                LMRT_X86_UNROLL(8)
                for (int i = 0; i < 8; i++)
                    a[i] = _mm256_fmadd_ps(lmrt_x86_load_w_(W, wt, o0 + (size_t)i * (size_t)K + (size_t)k), xv, a[i]);
            }
            float v[8];
            _mm256_storeu_ps(v, lmrt_x86_reduce8_(a));
            for (int i = 0; i < 8; i++) {
                for (int k = K8; k < K; k++) v[i] += lmrt_x86_load_w1_(W, wt, o0 + (size_t)i * (size_t)K + (size_t)k) * xt[k];
                size_t o = (size_t)t * (size_t)ldy + (size_t)(r + i - ra);
                y[o] = res ? v[i] + res[o] : v[i];
            }
        }
    for (; r < rb; r++)
        for (int t = 0; t < n; t++) {
            const float *xt = xf + (size_t)t * (size_t)K;
            size_t o0 = (size_t)r * (size_t)K;
            __m256 a0 = _mm256_setzero_ps();
            int k = 0;
            for (; k < K8; k += 8) a0 = _mm256_fmadd_ps(lmrt_x86_load_w_(W, wt, o0 + (size_t)k), _mm256_loadu_ps(xt + k), a0);
            float v = lmrt_x86_hsum_(a0);
            for (; k < K; k++) v += lmrt_x86_load_w1_(W, wt, o0 + (size_t)k) * xt[k];
            size_t o = (size_t)t * (size_t)ldy + (size_t)(r - ra);
            y[o] = res ? v + res[o] : v;
        }
}

LMRT_API void lmrt_x86_rows_f32_f32_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                     int rb, const float *res) {
    (void)R;
    lmrt_x86_dense_rows_(0, y, ldy, W, x, n, K, ra, rb, res);
}

LMRT_API void lmrt_x86_rows_f16_f32_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                     int rb, const float *res) {
    (void)R;
    lmrt_x86_dense_rows_(1, y, ldy, W, x, n, K, ra, rb, res);
}

LMRT_API void lmrt_x86_rows_bf16_f32_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                      int rb, const float *res) {
    (void)R;
    lmrt_x86_dense_rows_(2, y, ldy, W, x, n, K, ra, rb, res);
}

/* ---- the linear family on top of a row driver ------------------------------ */

/* bytes of one token's activation row: ceil(K/32) q8a blocks or K floats */
LMRT_INLINE size_t lmrt_x86_act_stride_(int q8a, int K) {
    return q8a ? (size_t)((K + 31) / 32) * LMRT_Q8A_BYTES : (size_t)K * sizeof(float);
}

/* gran: rows per split unit (R for tiles, 8 for dense rows) */
LMRT_INLINE void lmrt_x86_matmul_(lmrt_x86_rows_fn rows, int gran, float *y, const void *W, const void *x,
                                  const float *res, int n, int N, int K, int R, int tid, int nth) {
    int u0, u1;
    lmrt_split((N + gran - 1) / gran, tid, nth, &u0, &u1);
    int ra = u0 * gran, rb = u1 * gran < N ? u1 * gran : N;
    if (ra < rb) rows(y + ra, N, W, x, n, K, R, ra, rb, res ? res + ra : (const float *)0);
}

#define LMRT_X86_SW_ROWS 64
#define LMRT_X86_SW_TOK 16
/* row chunks outside, token chunks inside: a chunk of gate/up rows stays in L2 across tokens */
LMRT_INLINE void lmrt_x86_matmul_swiglu_(lmrt_x86_rows_fn rows, int gran, int q8a, float *y, const void *W,
                                         const void *x, int n, int F, int K, int R, int tid, int nth) {
    int u0, u1;
    lmrt_split((F + gran - 1) / gran, tid, nth, &u0, &u1);
    int ja = u0 * gran, jb = u1 * gran < F ? u1 * gran : F;
    size_t xs = lmrt_x86_act_stride_(q8a, K);
    float g[LMRT_X86_SW_TOK * LMRT_X86_SW_ROWS], u[LMRT_X86_SW_TOK * LMRT_X86_SW_ROWS];
    for (int j = ja; j < jb; j += LMRT_X86_SW_ROWS) {
        int je = j + LMRT_X86_SW_ROWS < jb ? j + LMRT_X86_SW_ROWS : jb;
        for (int t0 = 0; t0 < n; t0 += LMRT_X86_SW_TOK) {
            int nt = n - t0 < LMRT_X86_SW_TOK ? n - t0 : LMRT_X86_SW_TOK;
            const void *xt = (const uint8_t *)x + (size_t)t0 * xs;
            rows(g, LMRT_X86_SW_ROWS, W, xt, nt, K, R, j, je, (const float *)0);
            rows(u, LMRT_X86_SW_ROWS, W, xt, nt, K, R, F + j, F + je, (const float *)0);
            for (int t = 0; t < nt; t++)
                lmrt_x86_swiglu_row_(y + (size_t)(t0 + t) * (size_t)F + j, g + t * LMRT_X86_SW_ROWS,
                                     u + t * LMRT_X86_SW_ROWS, je - j);
        }
    }
}

LMRT_INLINE void lmrt_x86_rope_(float *v, int rope_dim, int neox, const float *cs) {
    int half = rope_dim / 2;
    for (int i = 0; i < half; i++) {
        int i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
        float c = cs[2 * i], s = cs[2 * i + 1], a = v[i0], b = v[i1];
        v[i0] = a * c - b * s;
        v[i1] = a * s + b * c;
    }
}

#define LMRT_X86_QKV_HD 256
/* split by head; kind: the caches' LMRT_KV_*.  Heads wider than LMRT_X86_QKV_HD go scalar. */
LMRT_INLINE void lmrt_x86_qkv_(lmrt_x86_rows_fn rows, int q8a, int kind, float *q, const void *W, const void *x,
                               int n, int K, int H, int Hkv, int hd, int rope_dim, int neox, const float *rope,
                               void *kc, void *vc, int slots, int pos, int R, int tid, int nth) {
    int u0, u1;
    lmrt_split(H + 2 * Hkv, tid, nth, &u0, &u1);
    size_t xs = lmrt_x86_act_stride_(q8a, K);
    float buf[LMRT_X86_SW_TOK * LMRT_X86_QKV_HD];
    for (int u = u0; u < u1; u++)
        for (int t0 = 0; t0 < n; t0 += LMRT_X86_SW_TOK) {
            int nt = n - t0 < LMRT_X86_SW_TOK ? n - t0 : LMRT_X86_SW_TOK;
            rows(buf, hd, W, (const uint8_t *)x + (size_t)t0 * xs, nt, K, R, u * hd, (u + 1) * hd,
                 (const float *)0);
            for (int t = 0; t < nt; t++) {
                int p = pos + t0 + t;
                float *v = buf + t * hd;
                if (u < H + Hkv) lmrt_x86_rope_(v, rope_dim, neox, rope + (size_t)(t0 + t) * (size_t)rope_dim);
                if (u < H) {
                    lmrt_memcpy(q + (size_t)(t0 + t) * (size_t)H * (size_t)hd + (size_t)u * (size_t)hd, v,
                                (size_t)hd * sizeof(float));
                    continue;
                }
                int h = u < H + Hkv ? u - H : u - H - Hkv;
                lmrt_scalar_store_kv_(u < H + Hkv ? kc : vc, kind, (size_t)h * (size_t)slots + (size_t)(p % slots), v,
                                      hd);
            }
        }
}

/* ---- elementwise, norms, activation quantization, attention ----------------- */

LMRT_INLINE float lmrt_x86_sumsq_(const float *x, int D) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int i = 0;
    for (; i + 16 <= D; i += 16) {
        __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
        a0 = _mm256_fmadd_ps(v0, v0, a0);
        a1 = _mm256_fmadd_ps(v1, v1, a1);
    }
    for (; i + 8 <= D; i += 8) {
        __m256 v0 = _mm256_loadu_ps(x + i);
        a0 = _mm256_fmadd_ps(v0, v0, a0);
    }
    float s = lmrt_x86_hsum_(_mm256_add_ps(a0, a1));
    for (; i < D; i++) s += x[i] * x[i];
    return s;
}

/* w == NULL: normalize only */
LMRT_INLINE void lmrt_x86_rmsnorm_(float *y, const float *x, const float *w, int n, int D, float eps, int tid,
                                   int nth) {
    int t0, t1;
    lmrt_split(n, tid, nth, &t0, &t1);
    for (int t = t0; t < t1; t++) {
        const float *xt = x + (size_t)t * (size_t)D;
        float *yt = y + (size_t)t * (size_t)D;
        float ss = lmrt_x86_sumsq_(xt, D) / (float)D + eps;
        ss = 1.0f / lmrt_sqrtf(ss);
        __m256 sv = _mm256_set1_ps(ss);
        int i = 0;
        for (; i + 8 <= D; i += 8) {
            __m256 v = _mm256_mul_ps(sv, _mm256_loadu_ps(xt + i));
            if (w) v = _mm256_mul_ps(_mm256_loadu_ps(w + i), v);
            _mm256_storeu_ps(yt + i, v);
        }
        for (; i < D; i++) yt[i] = w ? w[i] * (ss * xt[i]) : ss * xt[i];
    }
}

LMRT_API void lmrt_x86_normalize(float *y, const float *x, int n, int D, float eps, int tid, int nth) {
    lmrt_x86_rmsnorm_(y, x, (const float *)0, n, D, eps, tid, nth);
}

LMRT_API void lmrt_x86_rmsnorm(float *y, const float *x, const float *w, int n, int D, float eps, int tid, int nth) {
    lmrt_x86_rmsnorm_(y, x, w, n, D, eps, tid, nth);
}

/* q8a: d = amax/127, q = lmrt_roundf(x / d) (half away from zero, as lmrt_roundf) */
LMRT_INLINE __m256i lmrt_x86_round_i32_(__m256 v) {
    __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_sub_ps(v, t);
    __m256 up = _mm256_and_ps(_mm256_cmp_ps(r, _mm256_set1_ps(0.5f), _CMP_GE_OQ), _mm256_set1_ps(1.0f));
    __m256 dn = _mm256_and_ps(_mm256_cmp_ps(r, _mm256_set1_ps(-0.5f), _CMP_LE_OQ), _mm256_set1_ps(1.0f));
    return _mm256_cvttps_epi32(_mm256_sub_ps(_mm256_add_ps(t, up), dn));
}

LMRT_API void lmrt_x86_quantize_q8a(void *xq, const float *x, int n, int K, int tid, int nth) {
    int t0, t1, nb = (K + 31) / 32;
    lmrt_split(n, tid, nth, &t0, &t1);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int t = t0; t < t1; t++) {
        const float *xt = x + (size_t)t * (size_t)K;
        uint8_t *o = (uint8_t *)xq + (size_t)t * (size_t)nb * LMRT_Q8A_BYTES;
        for (int b = 0; b < nb; b++, o += LMRT_Q8A_BYTES) {
            float tmp[32];
            const float *v = xt + b * 32;
            if (b * 32 + 32 > K) { /* zero-padded tail */
                for (int j = 0; j < 32; j++) tmp[j] = b * 32 + j < K ? v[j] : 0.0f;
                v = tmp;
            }
            __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8);
            __m256 v2 = _mm256_loadu_ps(v + 16), v3 = _mm256_loadu_ps(v + 24);
            __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                                     _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
            __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
            m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
            float d = _mm_cvtss_f32(m4) / 127.0f;
            lmrt_memcpy(o, &d, sizeof d);
            /* x / d like the scalar set (not x * (1/d): that can round a tie differently); d = 0: all 0 */
            __m256 dv = _mm256_set1_ps(d != 0.0f ? d : 1.0f);
            if (d == 0.0f) v0 = v1 = v2 = v3 = _mm256_setzero_ps();
            __m256i q0 = lmrt_x86_round_i32_(_mm256_div_ps(v0, dv)), q1 = lmrt_x86_round_i32_(_mm256_div_ps(v1, dv));
            __m256i q2 = lmrt_x86_round_i32_(_mm256_div_ps(v2, dv)), q3 = lmrt_x86_round_i32_(_mm256_div_ps(v3, dv));
            /* packs interleave 128-bit lanes: undo with a dword permute */
            __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
            p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(o + 4), p);
        }
    }
}

LMRT_API void lmrt_x86_add(float *y, const float *a, const float *b, int len, int tid, int nth) {
    int u0, u1;
    lmrt_split((len + 7) / 8, tid, nth, &u0, &u1);
    int i = u0 * 8, e = u1 * 8 < len ? u1 * 8 : len;
    for (; i + 8 <= e; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < e; i++) y[i] = a[i] + b[i];
}

LMRT_API void lmrt_x86_swiglu(float *y, const float *gate, const float *up, int len, int tid, int nth) {
    int u0, u1;
    lmrt_split((len + 7) / 8, tid, nth, &u0, &u1);
    int i = u0 * 8, e = u1 * 8 < len ? u1 * 8 : len;
    if (i < e) lmrt_x86_swiglu_row_(y + i, gate + i, up + i, e - i);
}

/* 8 elements of a cache row from element i: f32, f16, or q8's int8 widened (unscaled) */
LMRT_INLINE __m256 lmrt_x86_kv8_(const uint8_t *row, int kind, size_t i) {
    if (kind == LMRT_KV_Q8)
        return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(row + 4 + i))));
    return lmrt_x86_load_w_(row, kind, i);
}

LMRT_INLINE float lmrt_x86_kv1_(const uint8_t *row, int kind, size_t i) {
    return kind == LMRT_KV_Q8 ? (float)lmrt_kv_q8_qs_(row)[i] : lmrt_x86_load_w1_(row, kind, i);
}

/* a row's scale (1 for f32 and f16: the multiplications by it are compiled out) */
LMRT_INLINE float lmrt_x86_kv_d_(const uint8_t *row, int kind) { return kind == LMRT_KV_Q8 ? lmrt_kv_q8_d_(row) : 1.0f; }

LMRT_INLINE float lmrt_x86_dot_kv_(const float *q, const uint8_t *k, int kind, int hd) {
    __m256 a = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= hd; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), lmrt_x86_kv8_(k, kind, (size_t)i), a);
    float s = lmrt_x86_hsum_(a);
    for (; i < hd; i++) s += q[i] * lmrt_x86_kv1_(k, kind, (size_t)i);
    return kind == LMRT_KV_Q8 ? s * lmrt_kv_q8_d_(k) : s;
}

/* o[i0 .. i0 + 8 nc) = inv * sum_s sc[s] v_s over the keys of three runs of slots (nr[r] rows from
 * v[r]: the sinks, then a ring that wraps once at most; rows of rb bytes): one independent FMA chain
 * per 8 dims, so a whole head (hd <= 64) goes in one pass.  A narrow head (nc < 4: hd 8..24) would wait
 * on the FMA latency with its 1..3 chains, so key g goes to chain set g % u (u = 4 for hd 8, 2 for 16
 * and 24) and the sets are added at the end.  s and g count keys in position order, not slots, so the
 * sums round the same whatever the ring.  A q8 row's scale joins its weight: (sc[s] d_s) qs_s. */
LMRT_X86_AI void lmrt_x86_att_v_(float *o, const uint8_t *const v[3], const int nr[3], int kind, size_t rb, int i0,
                                 const float *sc, float inv, int nc) {
    const int u = nc == 1 ? 4 : nc < 4 ? 2 : 1;
    __m256 acc[8];
    LMRT_X86_UNROLL(8)
    for (int c = 0; c < 8; c++) acc[c] = _mm256_setzero_ps();
    if (u == 1) {
        const float *sr = sc;
        for (int r = 0; r < 3; sr += nr[r], r++)
            for (int s = 0; s < nr[r]; s++) {
                const uint8_t *row = v[r] + (size_t)s * rb;
                __m256 pv = _mm256_set1_ps(kind == LMRT_KV_Q8 ? sr[s] * lmrt_kv_q8_d_(row) : sr[s]);
                LMRT_X86_UNROLL(8)
                for (int c = 0; c < 8; c++)
                    if (c < nc) acc[c] = _mm256_fmadd_ps(pv, lmrt_x86_kv8_(row, kind, (size_t)(i0 + 8 * c)), acc[c]);
            }
    } else {
        const int cnt = nr[0] + nr[1] + nr[2];
        for (int g = 0; g < cnt; g += u) {
            LMRT_X86_UNROLL(4)
            for (int j = 0; j < 4; j++) {
                int s = g + j;
                if (j >= u || s >= cnt) break;
                const uint8_t *row = s < nr[0]           ? v[0] + (size_t)s * rb
                                     : s < nr[0] + nr[1] ? v[1] + (size_t)(s - nr[0]) * rb
                                                         : v[2] + (size_t)(s - nr[0] - nr[1]) * rb;
                __m256 pv = _mm256_set1_ps(kind == LMRT_KV_Q8 ? sc[s] * lmrt_kv_q8_d_(row) : sc[s]);
                LMRT_X86_UNROLL(3)
                for (int c = 0; c < 3; c++)
                    if (c < nc)
                        acc[j * nc + c] = _mm256_fmadd_ps(pv, lmrt_x86_kv8_(row, kind, (size_t)(i0 + 8 * c)), acc[j * nc + c]);
            }
        }
        LMRT_X86_UNROLL(3)
        for (int c = 0; c < 3; c++)
            if (c < nc)
                acc[c] = u == 4 ? _mm256_add_ps(_mm256_add_ps(acc[c], acc[nc + c]), _mm256_add_ps(acc[2 * nc + c], acc[3 * nc + c]))
                                : _mm256_add_ps(acc[c], acc[nc + c]);
    }
    LMRT_X86_UNROLL(8)
    for (int c = 0; c < 8; c++)
        if (c < nc) _mm256_storeu_ps(o + i0 + 8 * c, _mm256_mul_ps(acc[c], _mm256_set1_ps(inv)));
}

/* sc[0..cnt) = scale q.k_s for the cnt keys of contiguous slots from k (rows of rb bytes; 8 keys per
 * reduction when hd is a multiple of 8) */
LMRT_INLINE void lmrt_x86_att_scores_(float *sc, const float *qh, const uint8_t *k, int kind, size_t rb, int hd, int cnt,
                                      float scale) {
    int s = 0;
    if (hd % 8 == 0)
        for (; s + 8 <= cnt; s += 8) {
            __m256 a[8];
            LMRT_X86_UNROLL(8)
            for (int j = 0; j < 8; j++) a[j] = _mm256_setzero_ps();
            for (int i = 0; i < hd; i += 8) {
                __m256 qv = _mm256_loadu_ps(qh + i);
                LMRT_X86_UNROLL(8)
                for (int j = 0; j < 8; j++)
                    a[j] = _mm256_fmadd_ps(qv, lmrt_x86_kv8_(k + (size_t)(s + j) * rb, kind, (size_t)i), a[j]);
            }
            __m256 sv = _mm256_set1_ps(scale);
            if (kind == LMRT_KV_Q8) {
                float d[8];
                for (int j = 0; j < 8; j++) d[j] = lmrt_kv_q8_d_(k + (size_t)(s + j) * rb) * scale;
                sv = _mm256_loadu_ps(d);
            }
            _mm256_storeu_ps(sc + s, _mm256_mul_ps(lmrt_x86_reduce8_(a), sv));
        }
    for (; s < cnt; s++) sc[s] = lmrt_x86_dot_kv_(qh, k + (size_t)s * rb, kind, hd) * scale;
}

LMRT_INLINE void lmrt_x86_attention_(int kind, float *out, const float *q, const void *kc, const void *vc, int n,
                                     int H, int Hkv, int hd, int slots, int pos, int window, int sink,
                                     const float *qsink, float scale, float softcap, float *scratch, int tid,
                                     int nth) {
    int u0, u1, group = H / Hkv;
    lmrt_split(n * H, tid, nth, &u0, &u1);
    float *sc = scratch + (size_t)tid * (size_t)slots;
    size_t rb = lmrt_kv_row_bytes_(kind, hd);
    for (int u = u0; u < u1; u++) {
        int t = u / H, h = u % H;
        lmrt_kv_keys ks = lmrt_scalar_kv_keys_(pos + t, slots, window, sink);
        int cnt = ks.cnt, nring = cnt - ks.nsink;
        /* the runs: the sinks (slots 0..), the ring from s0 to its end, its start */
        int nr[3] = {ks.nsink, ks.ring - ks.s0 < nring ? ks.ring - ks.s0 : nring, 0};
        nr[2] = nring - nr[1];
        size_t qo = ((size_t)t * (size_t)H + (size_t)h) * (size_t)hd;
        const float *qh = q + qo;
        float *o = out + qo;
        size_t kvoff = (size_t)(h / group) * (size_t)slots * rb;
        const uint8_t *k = (const uint8_t *)kc + kvoff, *v = (const uint8_t *)vc + kvoff;
        size_t first[3] = {0, (size_t)(ks.base + ks.s0) * rb, (size_t)ks.base * rb};
        const uint8_t *vr[3] = {v, v + first[1], v + first[2]};
        lmrt_x86_att_scores_(sc, (qsink ? qsink : q) + qo, k, kind, rb, hd, nr[0], scale);
        lmrt_x86_att_scores_(sc + nr[0], qh, k + first[1], kind, rb, hd, nr[1], scale);
        lmrt_x86_att_scores_(sc + nr[0] + nr[1], qh, k + first[2], kind, rb, hd, nr[2], scale);
        if (softcap > 0.0f)
            for (int s = 0; s < cnt; s++) sc[s] = lmrt_scalar_softcap_(sc[s], softcap);
        __m256 mv = _mm256_set1_ps(-__builtin_inff());
        int s = 0;
        for (; s + 8 <= cnt; s += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(sc + s));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float mx = _mm_cvtss_f32(m4);
        for (; s < cnt; s++) mx = sc[s] > mx ? sc[s] : mx;
        mv = _mm256_set1_ps(mx);
        __m256 sv = _mm256_setzero_ps();
        for (s = 0; s + 8 <= cnt; s += 8) {
            __m256 e = lmrt_x86_expf_(_mm256_sub_ps(_mm256_loadu_ps(sc + s), mv));
            _mm256_storeu_ps(sc + s, e);
            sv = _mm256_add_ps(sv, e);
        }
        float sum = lmrt_x86_hsum_(sv);
        for (; s < cnt; s++) {
            sc[s] = lmrt_expf(sc[s] - mx);
            sum += sc[s];
        }
        float inv = 1.0f / sum;
        /* out = sum_s p_s v_s, up to 64 dims per pass over the positions */
        int i0 = 0;
        for (; i0 + 8 <= hd; i0 += 64) {
            int nc = (hd - i0) / 8 < 8 ? (hd - i0) / 8 : 8;
            switch (nc) {
            case 1: lmrt_x86_att_v_(o, vr, nr, kind, rb, i0, sc, inv, 1); break;
            case 2: lmrt_x86_att_v_(o, vr, nr, kind, rb, i0, sc, inv, 2); break;
            case 3: lmrt_x86_att_v_(o, vr, nr, kind, rb, i0, sc, inv, 3); break;
            case 4: lmrt_x86_att_v_(o, vr, nr, kind, rb, i0, sc, inv, 4); break;
            case 5: lmrt_x86_att_v_(o, vr, nr, kind, rb, i0, sc, inv, 5); break;
            case 6: lmrt_x86_att_v_(o, vr, nr, kind, rb, i0, sc, inv, 6); break;
            case 7: lmrt_x86_att_v_(o, vr, nr, kind, rb, i0, sc, inv, 7); break;
            default: lmrt_x86_att_v_(o, vr, nr, kind, rb, i0, sc, inv, 8); break;
            }
            if (nc < 8) {
                i0 += 8 * nc;
                break;
            }
        }
        for (int i = i0; i < hd; i++) {
            float a = 0.0f;
            for (s = 0; s < cnt; s++) {
                const uint8_t *row = v + lmrt_scalar_kv_slot_(&ks, s) * rb;
                a += (kind == LMRT_KV_Q8 ? sc[s] * lmrt_kv_q8_d_(row) : sc[s]) * lmrt_x86_kv1_(row, kind, (size_t)i);
            }
            o[i] = a * inv;
        }
    }
}

LMRT_ATTENTION_KINDS_(x86)

/* ---- the linear family: accelerated formats ------------------------------------ */

#define LMRT_X86_Q8A_f32 0 /* activation format -> the q8a flag of the drivers */
#define LMRT_X86_Q8A_q8a 1

/* qkv with KV cache KV (KIND: its LMRT_KV_*) over the row kernel lmrt_P_rows_W_A_ of the kernel set P (x86 here,
 * v4 in lmrt_kernels_x86_64_v4.h); heads wider than the vector path go scalar */
#define LMRT_X86_QKV_P(P, W, A, KV, KIND)                                                                               \
    LMRT_API void lmrt_##P##_qkv_##W##_##A##_##KV(float *q, const void *Wt, const void *x, int n, int K, int H,        \
                                                  int Hkv, int hd, int rope_dim, int neox, const float *rope,         \
                                                  void *kc, void *vc, int slots, int pos, int R, int tid, int nth) {  \
        if (hd > LMRT_X86_QKV_HD)                                                                                      \
            lmrt_scalar_qkv_##W##_##A##_##KV(q, Wt, x, n, K, H, Hkv, hd, rope_dim, neox, rope, kc, vc, slots, pos, R,  \
                                            tid, nth);                                                                 \
        else                                                                                                           \
            lmrt_x86_qkv_(lmrt_##P##_rows_##W##_##A##_, LMRT_X86_Q8A_##A, KIND, q, Wt, x, n, K, H, Hkv, hd, rope_dim,  \
                          neox, rope, kc, vc, slots, pos, R, tid, nth);                                                \
    }

/* the linear family (matmul, matmul_add, matmul_swiglu, qkv) of set P on the v3 drivers: rows split
 * in units of GRAN, each range through lmrt_P_rows_W_A_ */
#define LMRT_X86_LINEAR_P(P, W, A, GRAN)                                                                               \
    LMRT_API void lmrt_##P##_matmul_##W##_##A(float *y, const void *Wt, const void *x, int n, int N, int K, int R,     \
                                              int tid, int nth) {                                                      \
        lmrt_x86_matmul_(lmrt_##P##_rows_##W##_##A##_, GRAN, y, Wt, x, (const float *)0, n, N, K, R, tid, nth);        \
    }                                                                                                                  \
    LMRT_API void lmrt_##P##_matmul_add_##W##_##A(float *y, const void *Wt, const void *x, const float *res, int n,    \
                                                  int N, int K, int R, int tid, int nth) {                             \
        lmrt_x86_matmul_(lmrt_##P##_rows_##W##_##A##_, GRAN, y, Wt, x, res, n, N, K, R, tid, nth);                     \
    }                                                                                                                  \
    LMRT_API void lmrt_##P##_matmul_swiglu_##W##_##A(float *y, const void *Wt, const void *x, int n, int F, int K,     \
                                                     int R, int tid, int nth) {                                        \
        lmrt_x86_matmul_swiglu_(lmrt_##P##_rows_##W##_##A##_, GRAN, LMRT_X86_Q8A_##A, y, Wt, x, n, F, K, R, tid, nth); \
    }                                                                                                                  \
    LMRT_X86_QKV_P(P, W, A, f32, LMRT_KV_F32)                                                                          \
    LMRT_X86_QKV_P(P, W, A, f16, LMRT_KV_F16)                                                                          \
    LMRT_X86_QKV_P(P, W, A, q8, LMRT_KV_Q8)
#define LMRT_X86_LINEAR(W, A, GRAN) LMRT_X86_LINEAR_P(x86, W, A, GRAN)

/* dense rows split in units of 8 so the per-thread ranges stay 4-row aligned */
LMRT_X86_LINEAR(f32, f32, 8)
LMRT_X86_LINEAR(f16, f32, 8)
LMRT_X86_LINEAR(bf16, f32, 8)
LMRT_X86_LINEAR(q4_0t, q8a, R)
LMRT_X86_LINEAR(q8_0t, q8a, R)
LMRT_X86_LINEAR(q4_0t, f32, R)
LMRT_X86_LINEAR(q8_0t, f32, R)

/* ---- the contract names this set accelerates; the rest: lmrt_kernels_fallback.h ---- */

#define lmrt_k_normalize lmrt_x86_normalize
#define lmrt_k_rmsnorm lmrt_x86_rmsnorm
#define lmrt_k_quantize_q8a lmrt_x86_quantize_q8a
#define lmrt_k_add lmrt_x86_add
#define lmrt_k_swiglu lmrt_x86_swiglu
#define lmrt_k_attention_f32 lmrt_x86_attention_f32
#define lmrt_k_attention_f16 lmrt_x86_attention_f16
#define lmrt_k_attention_q8 lmrt_x86_attention_q8

#define lmrt_k_matmul_f32_f32 lmrt_x86_matmul_f32_f32
#define lmrt_k_matmul_add_f32_f32 lmrt_x86_matmul_add_f32_f32
#define lmrt_k_matmul_swiglu_f32_f32 lmrt_x86_matmul_swiglu_f32_f32
#define lmrt_k_qkv_f32_f32_f32 lmrt_x86_qkv_f32_f32_f32
#define lmrt_k_qkv_f32_f32_f16 lmrt_x86_qkv_f32_f32_f16
#define lmrt_k_qkv_f32_f32_q8 lmrt_x86_qkv_f32_f32_q8

#define lmrt_k_matmul_f16_f32 lmrt_x86_matmul_f16_f32
#define lmrt_k_matmul_add_f16_f32 lmrt_x86_matmul_add_f16_f32
#define lmrt_k_matmul_swiglu_f16_f32 lmrt_x86_matmul_swiglu_f16_f32
#define lmrt_k_qkv_f16_f32_f32 lmrt_x86_qkv_f16_f32_f32
#define lmrt_k_qkv_f16_f32_f16 lmrt_x86_qkv_f16_f32_f16
#define lmrt_k_qkv_f16_f32_q8 lmrt_x86_qkv_f16_f32_q8

#define lmrt_k_matmul_bf16_f32 lmrt_x86_matmul_bf16_f32
#define lmrt_k_matmul_add_bf16_f32 lmrt_x86_matmul_add_bf16_f32
#define lmrt_k_matmul_swiglu_bf16_f32 lmrt_x86_matmul_swiglu_bf16_f32
#define lmrt_k_qkv_bf16_f32_f32 lmrt_x86_qkv_bf16_f32_f32
#define lmrt_k_qkv_bf16_f32_f16 lmrt_x86_qkv_bf16_f32_f16
#define lmrt_k_qkv_bf16_f32_q8 lmrt_x86_qkv_bf16_f32_q8

#define lmrt_k_matmul_q4_0t_q8a lmrt_x86_matmul_q4_0t_q8a
#define lmrt_k_matmul_add_q4_0t_q8a lmrt_x86_matmul_add_q4_0t_q8a
#define lmrt_k_matmul_swiglu_q4_0t_q8a lmrt_x86_matmul_swiglu_q4_0t_q8a
#define lmrt_k_qkv_q4_0t_q8a_f32 lmrt_x86_qkv_q4_0t_q8a_f32
#define lmrt_k_qkv_q4_0t_q8a_f16 lmrt_x86_qkv_q4_0t_q8a_f16
#define lmrt_k_qkv_q4_0t_q8a_q8 lmrt_x86_qkv_q4_0t_q8a_q8

#define lmrt_k_matmul_q8_0t_q8a lmrt_x86_matmul_q8_0t_q8a
#define lmrt_k_matmul_add_q8_0t_q8a lmrt_x86_matmul_add_q8_0t_q8a
#define lmrt_k_matmul_swiglu_q8_0t_q8a lmrt_x86_matmul_swiglu_q8_0t_q8a
#define lmrt_k_qkv_q8_0t_q8a_f32 lmrt_x86_qkv_q8_0t_q8a_f32
#define lmrt_k_qkv_q8_0t_q8a_f16 lmrt_x86_qkv_q8_0t_q8a_f16
#define lmrt_k_qkv_q8_0t_q8a_q8 lmrt_x86_qkv_q8_0t_q8a_q8

#define lmrt_k_matmul_q4_0t_f32 lmrt_x86_matmul_q4_0t_f32
#define lmrt_k_matmul_add_q4_0t_f32 lmrt_x86_matmul_add_q4_0t_f32
#define lmrt_k_matmul_swiglu_q4_0t_f32 lmrt_x86_matmul_swiglu_q4_0t_f32
#define lmrt_k_qkv_q4_0t_f32_f32 lmrt_x86_qkv_q4_0t_f32_f32
#define lmrt_k_qkv_q4_0t_f32_f16 lmrt_x86_qkv_q4_0t_f32_f16
#define lmrt_k_qkv_q4_0t_f32_q8 lmrt_x86_qkv_q4_0t_f32_q8

#define lmrt_k_matmul_q8_0t_f32 lmrt_x86_matmul_q8_0t_f32
#define lmrt_k_matmul_add_q8_0t_f32 lmrt_x86_matmul_add_q8_0t_f32
#define lmrt_k_matmul_swiglu_q8_0t_f32 lmrt_x86_matmul_swiglu_q8_0t_f32
#define lmrt_k_qkv_q8_0t_f32_f32 lmrt_x86_qkv_q8_0t_f32_f32
#define lmrt_k_qkv_q8_0t_f32_f16 lmrt_x86_qkv_q8_0t_f32_f16
#define lmrt_k_qkv_q8_0t_f32_q8 lmrt_x86_qkv_q8_0t_f32_q8

#include "lmrt_kernels_x86_kquant.h" /* 4-bit variants and K-quants */
#include "lmrt_kernels_fallback.h"

#endif
