/* lmrt_kernels_x86_kquant.h - x86-64-v3 (AVX2/FMA) matmul-family kernels for the 4-bit variants and
 * GGUF K-quants of lmrt_kernels_q4x.h: q4_1, q5_0, q5_1, q4_g64, q4_g128, q3_g64, q5_g64, q6_g64, q2_k,
 * q3_k, q4_k, q5_k, q6_k, iq4_nl, iq4_xs with f32 or q8a activations.  Each 32-element sub-block decodes
 * to 32 int8 codes in one register plus a scale and offset per 16-element half (w = d * q + m); q8a
 * dots use maddubs/madd like ggml.  q4_g16 and nf4 are the portable kernels (lmrt_kernels_fallback.h).
 * Row split, fused epilogues and qkv are the portable loops of LMRT_LINEAR_ around these row dots.
 * Included by lmrt_kernels_x86_64_v3.h.
 */
#ifndef LMRT_KERNELS_X86_KQUANT_H
#define LMRT_KERNELS_X86_KQUANT_H

#include <immintrin.h>

#include "lmrt_base.h"
#include "lmrt_quant.h"
#include "lmrt_kernels_scalar.h"

#define LMRT_KQ_AI static inline __attribute__((always_inline, unused))

LMRT_KQ_AI float lmrt_kq_hsum_(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* sub-block s (elements 32s .. 32s+31) of a row: codes c, scales d[2] and offsets m[2] per half */
LMRT_KQ_AI __m256i lmrt_kq_decode_(int type, const uint8_t *row, int s, float *d, float *m) {
    const __m256i lo4 = _mm256_set1_epi8(15);
    if (type == LMRT_GGML_Q4_1) {
        const uint8_t *b = row + (size_t)s * 20;
        __m128i v = _mm_loadu_si128((const __m128i *)(b + 4));
        d[0] = d[1] = lmrt_load_f16le(b);
        m[0] = m[1] = lmrt_load_f16le(b + 2);
        __m256i c = _mm256_set_m128i(_mm_srli_epi16(v, 4), v);
        return _mm256_and_si256(c, lo4);
    }
    if (type == LMRT_GGML_Q5_0 || type == LMRT_GGML_Q5_1) {
        /* {f16 d, [f16 m,] u32 qh, qs[16]}: nibbles as q4_1, byte j of qh's broadcast tests bit j */
        int q51 = type == LMRT_GGML_Q5_1;
        const uint8_t *b = row + (size_t)s * (q51 ? 24 : 22);
        d[0] = d[1] = lmrt_load_f16le(b);
        m[0] = m[1] = q51 ? lmrt_load_f16le(b + 2) : 0.0f;
        __m128i v = _mm_loadu_si128((const __m128i *)(b + (q51 ? 8 : 6)));
        __m256i c = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), lo4);
        const __m256i sel = _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL, 0x0101010101010101LL, 0);
        const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
        __m256i h = _mm256_shuffle_epi8(_mm256_set1_epi32((int)lmrt_load_u32le(b + (q51 ? 4 : 2))), sel);
        h = _mm256_cmpeq_epi8(_mm256_and_si256(h, bit), bit);
        c = _mm256_or_si256(c, _mm256_and_si256(h, _mm256_set1_epi8(16)));
        return q51 ? c : _mm256_sub_epi8(c, _mm256_set1_epi8(16));
    }
    if (type == LMRT_GGML_Q4_K || type == LMRT_GGML_Q5_K) {
        int q5 = type == LMRT_GGML_Q5_K, j = s % 8;
        const uint8_t *b = row + (size_t)(s / 8) * (q5 ? 176 : 144);
        uint8_t sc, mn;
        lmrt_get_scale_min_k4(j, b + 4, &sc, &mn);
        d[0] = d[1] = lmrt_load_f16le(b) * (float)sc;
        m[0] = m[1] = -(lmrt_load_f16le(b + 2) * (float)mn);
        __m256i v = _mm256_loadu_si256((const __m256i *)(b + (q5 ? 48 : 16) + 32 * (j / 2)));
        __m256i c = _mm256_and_si256(j & 1 ? _mm256_srli_epi16(v, 4) : v, lo4);
        if (q5) {
            __m256i bit = _mm256_set1_epi8((char)(1 << j));
            __m256i h = _mm256_loadu_si256((const __m256i *)(b + 16));
            h = _mm256_cmpeq_epi8(_mm256_and_si256(h, bit), bit);
            c = _mm256_or_si256(c, _mm256_and_si256(h, _mm256_set1_epi8(16)));
        }
        return c;
    }
    if (type == LMRT_GGML_Q6_K) {
        const uint8_t *b = row + (size_t)(s / 8) * 210;
        int o = 32 * (s % 8), n = o / 128, k = (o % 128) / 32;
        float dd = lmrt_load_f16le(b + 208);
        d[0] = dd * (float)(int8_t)b[192 + 8 * n + 2 * k];
        d[1] = dd * (float)(int8_t)b[192 + 8 * n + 2 * k + 1];
        m[0] = m[1] = 0.0f;
        __m256i ql = _mm256_loadu_si256((const __m256i *)(b + 64 * n + 32 * (k & 1)));
        __m256i qh = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * n));
        __m256i lo = _mm256_and_si256(k >= 2 ? _mm256_srli_epi16(ql, 4) : ql, lo4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), _mm256_set1_epi8(3));
        return _mm256_sub_epi8(_mm256_or_si256(lo, _mm256_slli_epi16(hi, 4)), _mm256_set1_epi8(32));
    }
    if (type == LMRT_GGML_Q2_K || type == LMRT_GGML_Q3_K) {
        /* sub-block j8 of a block: 2-bit field j of 32 bytes of qs; q3_k's 3rd bit: bit 4 n + j of hmask */
        int q3 = type == LMRT_GGML_Q3_K, j8 = s % 8, n = j8 / 4, j = j8 % 4;
        const uint8_t *b = row + (size_t)(s / 8) * (q3 ? 110 : 84);
        __m256i v = _mm256_loadu_si256((const __m256i *)(b + (q3 ? 32 : 16) + 32 * n));
        __m256i c = _mm256_and_si256(_mm256_srli_epi16(v, 2 * j), _mm256_set1_epi8(3));
        if (q3) {
            __m256i bit = _mm256_set1_epi8((char)(1 << (4 * n + j)));
            __m256i h = _mm256_loadu_si256((const __m256i *)b);
            h = _mm256_cmpeq_epi8(_mm256_and_si256(h, bit), bit);
            float dd = lmrt_load_f16le(b + 108);
            d[0] = dd * (float)lmrt_q3k_scale(b + 96, 2 * j8);
            d[1] = dd * (float)lmrt_q3k_scale(b + 96, 2 * j8 + 1);
            m[0] = m[1] = 0.0f;
            return _mm256_sub_epi8(_mm256_or_si256(c, _mm256_and_si256(h, _mm256_set1_epi8(4))), _mm256_set1_epi8(4));
        }
        float dd = lmrt_load_f16le(b + 80), dm = lmrt_load_f16le(b + 82);
        for (int h = 0; h < 2; h++) {
            int sc = b[2 * j8 + h];
            d[h] = dd * (float)(sc & 15);
            m[h] = -(dm * (float)(sc >> 4));
        }
        return c;
    }
    if (type == LMRT_GGML_IQ4_NL || type == LMRT_GGML_IQ4_XS) {
        /* 16 bytes of nibbles (low: the first 16 elements), looked up in the int8 codebook */
        int xs = type == LMRT_GGML_IQ4_XS;
        const uint8_t *b = xs ? row + (size_t)(s / 8) * 136 : row + (size_t)s * 18;
        __m128i v = _mm_loadu_si128((const __m128i *)(b + (xs ? 8 + 16 * (s % 8) : 2)));
        const __m256i tab = _mm256_setr_epi8(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
                                             -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
        d[0] = d[1] = xs ? lmrt_load_f16le(b) * (float)lmrt_iq4xs_scale(b, s % 8) : lmrt_load_f16le(b);
        m[0] = m[1] = 0.0f;
        return _mm256_shuffle_epi8(tab, _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), lo4));
    }
    if (lmrt_qbg_bits(type)) {
        /* q3/q5/q6 groups of 64: half h of block s/2 is byte ranges shifted once (lmrt_quant.h) */
        int B = lmrt_qbg_bits(type), L = lmrt_qbg_lo_bits(type), h = s & 1;
        const uint8_t *b = row + (size_t)(s / 2) * (size_t)(2 + 8 * B);
        d[0] = d[1] = lmrt_load_f16le(b);
        m[0] = m[1] = 0.0f;
        const __m256i lo2 = _mm256_set1_epi8(3);
        __m256i lo, hi;
        if (L == 4) { /* 32 bytes, nibble h */
            __m256i v = _mm256_loadu_si256((const __m256i *)(b + 2));
            lo = _mm256_and_si256(h ? _mm256_srli_epi16(v, 4) : v, lo4);
        } else { /* 16 bytes, 2-bit fields 2h and 2h + 1 */
            __m128i v = _mm_loadu_si128((const __m128i *)(b + 2));
            lo = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4 * h + 2), _mm_srli_epi16(v, 4 * h)), lo2);
        }
        if (B - L == 1) { /* 8 bytes: lane i tests bit 4h + i / 8 of byte i % 8 */
            long long u;
            lmrt_memcpy(&u, b + 2 + 8 * L, sizeof u);
            const __m256i bit = _mm256_set_epi64x(0x0808080808080808LL, 0x0404040404040404LL,
                                                  0x0202020202020202LL, 0x0101010101010101LL);
            __m256i t = h ? _mm256_slli_epi64(bit, 4) : bit;
            __m256i x = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_set1_epi64x(u), t), t);
            hi = _mm256_and_si256(x, _mm256_set1_epi8((char)(1 << L)));
        } else { /* 16 bytes, 2-bit fields 2h and 2h + 1 */
            __m128i v = _mm_loadu_si128((const __m128i *)(b + 2 + 8 * L));
            hi = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4 * h + 2), _mm_srli_epi16(v, 4 * h)), lo2);
            hi = _mm256_slli_epi16(hi, L);
        }
        return _mm256_sub_epi8(_mm256_or_si256(lo, hi), _mm256_set1_epi8((char)(1 << (B - 1))));
    }
    /* q4 groups of 64/128: the 32 elements sit in one nibble half of 32 consecutive bytes */
    int G = lmrt_q4g_group(type), h = G / 2, e = 32 * s, o = e % G;
    const uint8_t *b = row + (size_t)(e / G) * (size_t)(2 + h);
    d[0] = d[1] = lmrt_load_f16le(b);
    m[0] = m[1] = 0.0f;
    __m256i v = _mm256_loadu_si256((const __m256i *)(b + 2 + o % h));
    __m256i c = _mm256_and_si256(o >= h ? _mm256_srli_epi16(v, 4) : v, lo4);
    return _mm256_sub_epi8(c, _mm256_set1_epi8(8));
}

LMRT_KQ_AI float lmrt_kq_dot_q8a_(int type, const void *W, int r, int K, const void *xv) {
    const uint8_t *row = lmrt_q4x_row_(type, W, r, K), *a = (const uint8_t *)xv;
    const __m256i ones8 = _mm256_set1_epi8(1);
    const __m256i ones16 = _mm256_set1_epi16(1);
    __m256 acc = _mm256_setzero_ps();
    int nsb = (K + 31) / 32;
    for (int s = 0; s < nsb; s++, a += LMRT_Q8A_BYTES) {
        float d[2], m[2], dx;
        __m256i c = lmrt_kq_decode_(type, row, s, d, m);
        __m256i x = _mm256_loadu_si256((const __m256i *)(a + 4));
        lmrt_memcpy(&dx, a, sizeof dx);
        /* |c| * sign(x, c): maddubs needs an unsigned left operand */
        __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(c, c), _mm256_sign_epi8(x, c)), ones16);
        __m256 dv = _mm256_set_m128(_mm_set1_ps(d[1] * dx), _mm_set1_ps(d[0] * dx));
        acc = _mm256_fmadd_ps(dv, _mm256_cvtepi32_ps(p), acc);
        if (m[0] != 0.0f || m[1] != 0.0f) {
            __m256i xs = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, x), ones16);
            __m256 mv = _mm256_set_m128(_mm_set1_ps(m[1] * dx), _mm_set1_ps(m[0] * dx));
            acc = _mm256_fmadd_ps(mv, _mm256_cvtepi32_ps(xs), acc);
        }
    }
    return lmrt_kq_hsum_(acc);
}

LMRT_KQ_AI float lmrt_kq_dot_f32_(int type, const void *W, int r, int K, const void *xv) {
    const uint8_t *row = lmrt_q4x_row_(type, W, r, K);
    const float *x = (const float *)xv;
    __m256 acc = _mm256_setzero_ps();
    int full = K / 32;
    for (int s = 0; s < full; s++) {
        float d[2], m[2];
        __m256i c = lmrt_kq_decode_(type, row, s, d, m);
        const float *xb = x + 32 * s;
        __m128i c0 = _mm256_castsi256_si128(c), c1 = _mm256_extracti128_si256(c, 1);
        for (int hh = 0; hh < 2; hh++) {
            __m128i ch = hh ? c1 : c0;
            __m256 x0 = _mm256_loadu_ps(xb + 16 * hh), x1 = _mm256_loadu_ps(xb + 16 * hh + 8);
            __m256 w0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(ch));
            __m256 w1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(ch, 8)));
            __m256 t = _mm256_fmadd_ps(w1, x1, _mm256_mul_ps(w0, x0));
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d[hh]), t, acc);
            if (m[hh] != 0.0f) acc = _mm256_fmadd_ps(_mm256_set1_ps(m[hh]), _mm256_add_ps(x0, x1), acc);
        }
    }
    float s = lmrt_kq_hsum_(acc);
    for (int u = 2 * full; 16 * u < K; u++) { /* partial tail (padded rows) */
        float w[16];
        lmrt_q4x_unit_f_(type, row, u, w);
        int len = K - 16 * u < 16 ? K - 16 * u : 16;
        for (int i = 0; i < len; i++) s += w[i] * x[16 * u + i];
    }
    return s;
}

#define LMRT_KQ_FMT_(W_, TYPE_)                                                                             \
    LMRT_INLINE float lmrt_scalar_dot_x86_##W_##_f32_(const void *W, int r, int K, int R, const void *x) {  \
        (void)R;                                                                                            \
        return lmrt_kq_dot_f32_(TYPE_, W, r, K, x);                                                         \
    }                                                                                                       \
    LMRT_INLINE float lmrt_scalar_dot_x86_##W_##_q8a_(const void *W, int r, int K, int R, const void *x) {  \
        (void)R;                                                                                            \
        return lmrt_kq_dot_q8a_(TYPE_, W, r, K, x);                                                         \
    }                                                                                                       \
    LMRT_LINEAR_(x86, W_, f32, lmrt_scalar_dot_x86_##W_##_f32_)                                             \
    LMRT_LINEAR_(x86, W_, q8a, lmrt_scalar_dot_x86_##W_##_q8a_)

LMRT_KQ_FMT_(q4_1, LMRT_GGML_Q4_1)
LMRT_KQ_FMT_(q5_0, LMRT_GGML_Q5_0)
LMRT_KQ_FMT_(q5_1, LMRT_GGML_Q5_1)
LMRT_KQ_FMT_(q4_g64, LMRT_LMCC_Q4_G64)
LMRT_KQ_FMT_(q4_g128, LMRT_LMCC_Q4_G128)
LMRT_KQ_FMT_(q3_g64, LMRT_LMCC_Q3_G64)
LMRT_KQ_FMT_(q5_g64, LMRT_LMCC_Q5_G64)
LMRT_KQ_FMT_(q6_g64, LMRT_LMCC_Q6_G64)
LMRT_KQ_FMT_(q4_k, LMRT_GGML_Q4_K)
LMRT_KQ_FMT_(q5_k, LMRT_GGML_Q5_K)
LMRT_KQ_FMT_(q6_k, LMRT_GGML_Q6_K)
LMRT_KQ_FMT_(q2_k, LMRT_GGML_Q2_K)
LMRT_KQ_FMT_(q3_k, LMRT_GGML_Q3_K)
LMRT_KQ_FMT_(iq4_nl, LMRT_GGML_IQ4_NL)
LMRT_KQ_FMT_(iq4_xs, LMRT_GGML_IQ4_XS)

#define lmrt_k_matmul_q4_1_f32 lmrt_x86_matmul_q4_1_f32
#define lmrt_k_matmul_add_q4_1_f32 lmrt_x86_matmul_add_q4_1_f32
#define lmrt_k_matmul_swiglu_q4_1_f32 lmrt_x86_matmul_swiglu_q4_1_f32
#define lmrt_k_qkv_q4_1_f32_f32 lmrt_x86_qkv_q4_1_f32_f32
#define lmrt_k_qkv_q4_1_f32_f16 lmrt_x86_qkv_q4_1_f32_f16
#define lmrt_k_qkv_q4_1_f32_q8 lmrt_x86_qkv_q4_1_f32_q8
#define lmrt_k_matmul_q4_1_q8a lmrt_x86_matmul_q4_1_q8a
#define lmrt_k_matmul_add_q4_1_q8a lmrt_x86_matmul_add_q4_1_q8a
#define lmrt_k_matmul_swiglu_q4_1_q8a lmrt_x86_matmul_swiglu_q4_1_q8a
#define lmrt_k_qkv_q4_1_q8a_f32 lmrt_x86_qkv_q4_1_q8a_f32
#define lmrt_k_qkv_q4_1_q8a_f16 lmrt_x86_qkv_q4_1_q8a_f16
#define lmrt_k_qkv_q4_1_q8a_q8 lmrt_x86_qkv_q4_1_q8a_q8
#define lmrt_k_matmul_q5_0_f32 lmrt_x86_matmul_q5_0_f32
#define lmrt_k_matmul_add_q5_0_f32 lmrt_x86_matmul_add_q5_0_f32
#define lmrt_k_matmul_swiglu_q5_0_f32 lmrt_x86_matmul_swiglu_q5_0_f32
#define lmrt_k_qkv_q5_0_f32_f32 lmrt_x86_qkv_q5_0_f32_f32
#define lmrt_k_qkv_q5_0_f32_f16 lmrt_x86_qkv_q5_0_f32_f16
#define lmrt_k_qkv_q5_0_f32_q8 lmrt_x86_qkv_q5_0_f32_q8
#define lmrt_k_matmul_q5_0_q8a lmrt_x86_matmul_q5_0_q8a
#define lmrt_k_matmul_add_q5_0_q8a lmrt_x86_matmul_add_q5_0_q8a
#define lmrt_k_matmul_swiglu_q5_0_q8a lmrt_x86_matmul_swiglu_q5_0_q8a
#define lmrt_k_qkv_q5_0_q8a_f32 lmrt_x86_qkv_q5_0_q8a_f32
#define lmrt_k_qkv_q5_0_q8a_f16 lmrt_x86_qkv_q5_0_q8a_f16
#define lmrt_k_qkv_q5_0_q8a_q8 lmrt_x86_qkv_q5_0_q8a_q8
#define lmrt_k_matmul_q5_1_f32 lmrt_x86_matmul_q5_1_f32
#define lmrt_k_matmul_add_q5_1_f32 lmrt_x86_matmul_add_q5_1_f32
#define lmrt_k_matmul_swiglu_q5_1_f32 lmrt_x86_matmul_swiglu_q5_1_f32
#define lmrt_k_qkv_q5_1_f32_f32 lmrt_x86_qkv_q5_1_f32_f32
#define lmrt_k_qkv_q5_1_f32_f16 lmrt_x86_qkv_q5_1_f32_f16
#define lmrt_k_qkv_q5_1_f32_q8 lmrt_x86_qkv_q5_1_f32_q8
#define lmrt_k_matmul_q5_1_q8a lmrt_x86_matmul_q5_1_q8a
#define lmrt_k_matmul_add_q5_1_q8a lmrt_x86_matmul_add_q5_1_q8a
#define lmrt_k_matmul_swiglu_q5_1_q8a lmrt_x86_matmul_swiglu_q5_1_q8a
#define lmrt_k_qkv_q5_1_q8a_f32 lmrt_x86_qkv_q5_1_q8a_f32
#define lmrt_k_qkv_q5_1_q8a_f16 lmrt_x86_qkv_q5_1_q8a_f16
#define lmrt_k_qkv_q5_1_q8a_q8 lmrt_x86_qkv_q5_1_q8a_q8
#define lmrt_k_matmul_q4_g64_f32 lmrt_x86_matmul_q4_g64_f32
#define lmrt_k_matmul_add_q4_g64_f32 lmrt_x86_matmul_add_q4_g64_f32
#define lmrt_k_matmul_swiglu_q4_g64_f32 lmrt_x86_matmul_swiglu_q4_g64_f32
#define lmrt_k_qkv_q4_g64_f32_f32 lmrt_x86_qkv_q4_g64_f32_f32
#define lmrt_k_qkv_q4_g64_f32_f16 lmrt_x86_qkv_q4_g64_f32_f16
#define lmrt_k_qkv_q4_g64_f32_q8 lmrt_x86_qkv_q4_g64_f32_q8
#define lmrt_k_matmul_q4_g64_q8a lmrt_x86_matmul_q4_g64_q8a
#define lmrt_k_matmul_add_q4_g64_q8a lmrt_x86_matmul_add_q4_g64_q8a
#define lmrt_k_matmul_swiglu_q4_g64_q8a lmrt_x86_matmul_swiglu_q4_g64_q8a
#define lmrt_k_qkv_q4_g64_q8a_f32 lmrt_x86_qkv_q4_g64_q8a_f32
#define lmrt_k_qkv_q4_g64_q8a_f16 lmrt_x86_qkv_q4_g64_q8a_f16
#define lmrt_k_qkv_q4_g64_q8a_q8 lmrt_x86_qkv_q4_g64_q8a_q8
#define lmrt_k_matmul_q3_g64_f32 lmrt_x86_matmul_q3_g64_f32
#define lmrt_k_matmul_add_q3_g64_f32 lmrt_x86_matmul_add_q3_g64_f32
#define lmrt_k_matmul_swiglu_q3_g64_f32 lmrt_x86_matmul_swiglu_q3_g64_f32
#define lmrt_k_qkv_q3_g64_f32_f32 lmrt_x86_qkv_q3_g64_f32_f32
#define lmrt_k_qkv_q3_g64_f32_f16 lmrt_x86_qkv_q3_g64_f32_f16
#define lmrt_k_qkv_q3_g64_f32_q8 lmrt_x86_qkv_q3_g64_f32_q8
#define lmrt_k_matmul_q3_g64_q8a lmrt_x86_matmul_q3_g64_q8a
#define lmrt_k_matmul_add_q3_g64_q8a lmrt_x86_matmul_add_q3_g64_q8a
#define lmrt_k_matmul_swiglu_q3_g64_q8a lmrt_x86_matmul_swiglu_q3_g64_q8a
#define lmrt_k_qkv_q3_g64_q8a_f32 lmrt_x86_qkv_q3_g64_q8a_f32
#define lmrt_k_qkv_q3_g64_q8a_f16 lmrt_x86_qkv_q3_g64_q8a_f16
#define lmrt_k_qkv_q3_g64_q8a_q8 lmrt_x86_qkv_q3_g64_q8a_q8
#define lmrt_k_matmul_q5_g64_f32 lmrt_x86_matmul_q5_g64_f32
#define lmrt_k_matmul_add_q5_g64_f32 lmrt_x86_matmul_add_q5_g64_f32
#define lmrt_k_matmul_swiglu_q5_g64_f32 lmrt_x86_matmul_swiglu_q5_g64_f32
#define lmrt_k_qkv_q5_g64_f32_f32 lmrt_x86_qkv_q5_g64_f32_f32
#define lmrt_k_qkv_q5_g64_f32_f16 lmrt_x86_qkv_q5_g64_f32_f16
#define lmrt_k_qkv_q5_g64_f32_q8 lmrt_x86_qkv_q5_g64_f32_q8
#define lmrt_k_matmul_q5_g64_q8a lmrt_x86_matmul_q5_g64_q8a
#define lmrt_k_matmul_add_q5_g64_q8a lmrt_x86_matmul_add_q5_g64_q8a
#define lmrt_k_matmul_swiglu_q5_g64_q8a lmrt_x86_matmul_swiglu_q5_g64_q8a
#define lmrt_k_qkv_q5_g64_q8a_f32 lmrt_x86_qkv_q5_g64_q8a_f32
#define lmrt_k_qkv_q5_g64_q8a_f16 lmrt_x86_qkv_q5_g64_q8a_f16
#define lmrt_k_qkv_q5_g64_q8a_q8 lmrt_x86_qkv_q5_g64_q8a_q8
#define lmrt_k_matmul_q6_g64_f32 lmrt_x86_matmul_q6_g64_f32
#define lmrt_k_matmul_add_q6_g64_f32 lmrt_x86_matmul_add_q6_g64_f32
#define lmrt_k_matmul_swiglu_q6_g64_f32 lmrt_x86_matmul_swiglu_q6_g64_f32
#define lmrt_k_qkv_q6_g64_f32_f32 lmrt_x86_qkv_q6_g64_f32_f32
#define lmrt_k_qkv_q6_g64_f32_f16 lmrt_x86_qkv_q6_g64_f32_f16
#define lmrt_k_qkv_q6_g64_f32_q8 lmrt_x86_qkv_q6_g64_f32_q8
#define lmrt_k_matmul_q6_g64_q8a lmrt_x86_matmul_q6_g64_q8a
#define lmrt_k_matmul_add_q6_g64_q8a lmrt_x86_matmul_add_q6_g64_q8a
#define lmrt_k_matmul_swiglu_q6_g64_q8a lmrt_x86_matmul_swiglu_q6_g64_q8a
#define lmrt_k_qkv_q6_g64_q8a_f32 lmrt_x86_qkv_q6_g64_q8a_f32
#define lmrt_k_qkv_q6_g64_q8a_f16 lmrt_x86_qkv_q6_g64_q8a_f16
#define lmrt_k_qkv_q6_g64_q8a_q8 lmrt_x86_qkv_q6_g64_q8a_q8
#define lmrt_k_matmul_q4_g128_f32 lmrt_x86_matmul_q4_g128_f32
#define lmrt_k_matmul_add_q4_g128_f32 lmrt_x86_matmul_add_q4_g128_f32
#define lmrt_k_matmul_swiglu_q4_g128_f32 lmrt_x86_matmul_swiglu_q4_g128_f32
#define lmrt_k_qkv_q4_g128_f32_f32 lmrt_x86_qkv_q4_g128_f32_f32
#define lmrt_k_qkv_q4_g128_f32_f16 lmrt_x86_qkv_q4_g128_f32_f16
#define lmrt_k_qkv_q4_g128_f32_q8 lmrt_x86_qkv_q4_g128_f32_q8
#define lmrt_k_matmul_q4_g128_q8a lmrt_x86_matmul_q4_g128_q8a
#define lmrt_k_matmul_add_q4_g128_q8a lmrt_x86_matmul_add_q4_g128_q8a
#define lmrt_k_matmul_swiglu_q4_g128_q8a lmrt_x86_matmul_swiglu_q4_g128_q8a
#define lmrt_k_qkv_q4_g128_q8a_f32 lmrt_x86_qkv_q4_g128_q8a_f32
#define lmrt_k_qkv_q4_g128_q8a_f16 lmrt_x86_qkv_q4_g128_q8a_f16
#define lmrt_k_qkv_q4_g128_q8a_q8 lmrt_x86_qkv_q4_g128_q8a_q8
#define lmrt_k_matmul_q4_k_f32 lmrt_x86_matmul_q4_k_f32
#define lmrt_k_matmul_add_q4_k_f32 lmrt_x86_matmul_add_q4_k_f32
#define lmrt_k_matmul_swiglu_q4_k_f32 lmrt_x86_matmul_swiglu_q4_k_f32
#define lmrt_k_qkv_q4_k_f32_f32 lmrt_x86_qkv_q4_k_f32_f32
#define lmrt_k_qkv_q4_k_f32_f16 lmrt_x86_qkv_q4_k_f32_f16
#define lmrt_k_qkv_q4_k_f32_q8 lmrt_x86_qkv_q4_k_f32_q8
#define lmrt_k_matmul_q4_k_q8a lmrt_x86_matmul_q4_k_q8a
#define lmrt_k_matmul_add_q4_k_q8a lmrt_x86_matmul_add_q4_k_q8a
#define lmrt_k_matmul_swiglu_q4_k_q8a lmrt_x86_matmul_swiglu_q4_k_q8a
#define lmrt_k_qkv_q4_k_q8a_f32 lmrt_x86_qkv_q4_k_q8a_f32
#define lmrt_k_qkv_q4_k_q8a_f16 lmrt_x86_qkv_q4_k_q8a_f16
#define lmrt_k_qkv_q4_k_q8a_q8 lmrt_x86_qkv_q4_k_q8a_q8
#define lmrt_k_matmul_q5_k_f32 lmrt_x86_matmul_q5_k_f32
#define lmrt_k_matmul_add_q5_k_f32 lmrt_x86_matmul_add_q5_k_f32
#define lmrt_k_matmul_swiglu_q5_k_f32 lmrt_x86_matmul_swiglu_q5_k_f32
#define lmrt_k_qkv_q5_k_f32_f32 lmrt_x86_qkv_q5_k_f32_f32
#define lmrt_k_qkv_q5_k_f32_f16 lmrt_x86_qkv_q5_k_f32_f16
#define lmrt_k_qkv_q5_k_f32_q8 lmrt_x86_qkv_q5_k_f32_q8
#define lmrt_k_matmul_q5_k_q8a lmrt_x86_matmul_q5_k_q8a
#define lmrt_k_matmul_add_q5_k_q8a lmrt_x86_matmul_add_q5_k_q8a
#define lmrt_k_matmul_swiglu_q5_k_q8a lmrt_x86_matmul_swiglu_q5_k_q8a
#define lmrt_k_qkv_q5_k_q8a_f32 lmrt_x86_qkv_q5_k_q8a_f32
#define lmrt_k_qkv_q5_k_q8a_f16 lmrt_x86_qkv_q5_k_q8a_f16
#define lmrt_k_qkv_q5_k_q8a_q8 lmrt_x86_qkv_q5_k_q8a_q8
#define lmrt_k_matmul_q6_k_f32 lmrt_x86_matmul_q6_k_f32
#define lmrt_k_matmul_add_q6_k_f32 lmrt_x86_matmul_add_q6_k_f32
#define lmrt_k_matmul_swiglu_q6_k_f32 lmrt_x86_matmul_swiglu_q6_k_f32
#define lmrt_k_qkv_q6_k_f32_f32 lmrt_x86_qkv_q6_k_f32_f32
#define lmrt_k_qkv_q6_k_f32_f16 lmrt_x86_qkv_q6_k_f32_f16
#define lmrt_k_qkv_q6_k_f32_q8 lmrt_x86_qkv_q6_k_f32_q8
#define lmrt_k_matmul_q6_k_q8a lmrt_x86_matmul_q6_k_q8a
#define lmrt_k_matmul_add_q6_k_q8a lmrt_x86_matmul_add_q6_k_q8a
#define lmrt_k_matmul_swiglu_q6_k_q8a lmrt_x86_matmul_swiglu_q6_k_q8a
#define lmrt_k_qkv_q6_k_q8a_f32 lmrt_x86_qkv_q6_k_q8a_f32
#define lmrt_k_qkv_q6_k_q8a_f16 lmrt_x86_qkv_q6_k_q8a_f16
#define lmrt_k_qkv_q6_k_q8a_q8 lmrt_x86_qkv_q6_k_q8a_q8
#define lmrt_k_matmul_q2_k_f32 lmrt_x86_matmul_q2_k_f32
#define lmrt_k_matmul_add_q2_k_f32 lmrt_x86_matmul_add_q2_k_f32
#define lmrt_k_matmul_swiglu_q2_k_f32 lmrt_x86_matmul_swiglu_q2_k_f32
#define lmrt_k_qkv_q2_k_f32_f32 lmrt_x86_qkv_q2_k_f32_f32
#define lmrt_k_qkv_q2_k_f32_f16 lmrt_x86_qkv_q2_k_f32_f16
#define lmrt_k_qkv_q2_k_f32_q8 lmrt_x86_qkv_q2_k_f32_q8
#define lmrt_k_matmul_q2_k_q8a lmrt_x86_matmul_q2_k_q8a
#define lmrt_k_matmul_add_q2_k_q8a lmrt_x86_matmul_add_q2_k_q8a
#define lmrt_k_matmul_swiglu_q2_k_q8a lmrt_x86_matmul_swiglu_q2_k_q8a
#define lmrt_k_qkv_q2_k_q8a_f32 lmrt_x86_qkv_q2_k_q8a_f32
#define lmrt_k_qkv_q2_k_q8a_f16 lmrt_x86_qkv_q2_k_q8a_f16
#define lmrt_k_qkv_q2_k_q8a_q8 lmrt_x86_qkv_q2_k_q8a_q8
#define lmrt_k_matmul_q3_k_f32 lmrt_x86_matmul_q3_k_f32
#define lmrt_k_matmul_add_q3_k_f32 lmrt_x86_matmul_add_q3_k_f32
#define lmrt_k_matmul_swiglu_q3_k_f32 lmrt_x86_matmul_swiglu_q3_k_f32
#define lmrt_k_qkv_q3_k_f32_f32 lmrt_x86_qkv_q3_k_f32_f32
#define lmrt_k_qkv_q3_k_f32_f16 lmrt_x86_qkv_q3_k_f32_f16
#define lmrt_k_qkv_q3_k_f32_q8 lmrt_x86_qkv_q3_k_f32_q8
#define lmrt_k_matmul_q3_k_q8a lmrt_x86_matmul_q3_k_q8a
#define lmrt_k_matmul_add_q3_k_q8a lmrt_x86_matmul_add_q3_k_q8a
#define lmrt_k_matmul_swiglu_q3_k_q8a lmrt_x86_matmul_swiglu_q3_k_q8a
#define lmrt_k_qkv_q3_k_q8a_f32 lmrt_x86_qkv_q3_k_q8a_f32
#define lmrt_k_qkv_q3_k_q8a_f16 lmrt_x86_qkv_q3_k_q8a_f16
#define lmrt_k_qkv_q3_k_q8a_q8 lmrt_x86_qkv_q3_k_q8a_q8
#define lmrt_k_matmul_iq4_nl_f32 lmrt_x86_matmul_iq4_nl_f32
#define lmrt_k_matmul_add_iq4_nl_f32 lmrt_x86_matmul_add_iq4_nl_f32
#define lmrt_k_matmul_swiglu_iq4_nl_f32 lmrt_x86_matmul_swiglu_iq4_nl_f32
#define lmrt_k_qkv_iq4_nl_f32_f32 lmrt_x86_qkv_iq4_nl_f32_f32
#define lmrt_k_qkv_iq4_nl_f32_f16 lmrt_x86_qkv_iq4_nl_f32_f16
#define lmrt_k_qkv_iq4_nl_f32_q8 lmrt_x86_qkv_iq4_nl_f32_q8
#define lmrt_k_matmul_iq4_nl_q8a lmrt_x86_matmul_iq4_nl_q8a
#define lmrt_k_matmul_add_iq4_nl_q8a lmrt_x86_matmul_add_iq4_nl_q8a
#define lmrt_k_matmul_swiglu_iq4_nl_q8a lmrt_x86_matmul_swiglu_iq4_nl_q8a
#define lmrt_k_qkv_iq4_nl_q8a_f32 lmrt_x86_qkv_iq4_nl_q8a_f32
#define lmrt_k_qkv_iq4_nl_q8a_f16 lmrt_x86_qkv_iq4_nl_q8a_f16
#define lmrt_k_qkv_iq4_nl_q8a_q8 lmrt_x86_qkv_iq4_nl_q8a_q8
#define lmrt_k_matmul_iq4_xs_f32 lmrt_x86_matmul_iq4_xs_f32
#define lmrt_k_matmul_add_iq4_xs_f32 lmrt_x86_matmul_add_iq4_xs_f32
#define lmrt_k_matmul_swiglu_iq4_xs_f32 lmrt_x86_matmul_swiglu_iq4_xs_f32
#define lmrt_k_qkv_iq4_xs_f32_f32 lmrt_x86_qkv_iq4_xs_f32_f32
#define lmrt_k_qkv_iq4_xs_f32_f16 lmrt_x86_qkv_iq4_xs_f32_f16
#define lmrt_k_qkv_iq4_xs_f32_q8 lmrt_x86_qkv_iq4_xs_f32_q8
#define lmrt_k_matmul_iq4_xs_q8a lmrt_x86_matmul_iq4_xs_q8a
#define lmrt_k_matmul_add_iq4_xs_q8a lmrt_x86_matmul_add_iq4_xs_q8a
#define lmrt_k_matmul_swiglu_iq4_xs_q8a lmrt_x86_matmul_swiglu_iq4_xs_q8a
#define lmrt_k_qkv_iq4_xs_q8a_f32 lmrt_x86_qkv_iq4_xs_q8a_f32
#define lmrt_k_qkv_iq4_xs_q8a_f16 lmrt_x86_qkv_iq4_xs_q8a_f16
#define lmrt_k_qkv_iq4_xs_q8a_q8 lmrt_x86_qkv_iq4_xs_q8a_q8

#endif
