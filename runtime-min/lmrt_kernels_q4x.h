/* lmrt_kernels_q4x.h - portable kernels (contract v2) for lmcc's 4-bit variants and GGUF K-quants:
 * q4_1, q5_0, q5_1, q4_g16/q4_g64/q4_g128, q3_g64/q5_g64/q6_g64, nf4/nf4_g64 (lmrt_quant.h) and q2_k, q3_k,
 * q4_k, q5_k, q6_k, iq4_nl, iq4_xs (ggml layouts, documented in lmrt_quant.h).
 *
 * Every format is read in units of 16 elements with one scale d and offset m (w = d * q + m, q an
 * integer; nf4 reads codebook floats instead), so one q8a activation block spans two units:
 * dot = dx * sum_u (d_u * isum_u + m_u * asum_u).  NF4 has no integer form: f32 activations only.
 * Included at the end of lmrt_kernels_scalar.h (uses its LMRT_SCALAR_LINEAR_ row loops).
 */
#ifndef LMRT_KERNELS_Q4X_H
#define LMRT_KERNELS_Q4X_H

#include "lmrt_base.h"
#include "lmrt_quant.h"

/* unit u (elements 16u .. 16u+15) of a row: integer codes q, w = d * q + m */
LMRT_INLINE void lmrt_q4x_unit_(int type, const uint8_t *row, int u, int8_t *q, float *d, float *m) {
    int BE = lmrt_quant_block_elems(type), BB = lmrt_quant_block_bytes(type);
    int e = 16 * u, o = e % BE;
    const uint8_t *b = row + (size_t)(e / BE) * (size_t)BB;
    if (lmrt_unit_kiq(type, b, o, q, d, m) == 0) return; /* q2_k, q3_k, iq4_nl, iq4_xs */
    if (type == LMRT_GGML_Q4_1) {
        *d = lmrt_load_f16le(b), *m = lmrt_load_f16le(b + 2);
        for (int i = 0; i < 16; i++) q[i] = (int8_t)(o < 16 ? b[4 + i] & 15 : b[4 + i] >> 4);
    } else if (type == LMRT_GGML_Q5_0 || type == LMRT_GGML_Q5_1) {
        /* {f16 d, [f16 m,] u32 qh, qs[16]}: the 5th bit of element j is bit j of qh */
        int q51 = type == LMRT_GGML_Q5_1;
        uint32_t qh = lmrt_load_u32le(b + (q51 ? 4 : 2)) >> o;
        const uint8_t *qs = b + (q51 ? 8 : 6);
        *d = lmrt_load_f16le(b), *m = q51 ? lmrt_load_f16le(b + 2) : 0.0f;
        for (int i = 0; i < 16; i++)
            q[i] = (int8_t)(((o < 16 ? qs[i] & 15 : qs[i] >> 4) | ((int)((qh >> i) & 1u) << 4)) - (q51 ? 0 : 16));
    } else if (type == LMRT_GGML_Q4_K || type == LMRT_GGML_Q5_K) {
        int s = o / 32, l0 = o % 32;
        uint8_t sc, mn;
        lmrt_get_scale_min_k4(s, b + 4, &sc, &mn);
        *d = lmrt_load_f16le(b) * (float)sc;
        *m = -(lmrt_load_f16le(b + 2) * (float)mn);
        const uint8_t *qs = b + (type == LMRT_GGML_Q4_K ? 16 : 48) + 32 * (s / 2) + l0;
        for (int i = 0; i < 16; i++) {
            int v = s & 1 ? qs[i] >> 4 : qs[i] & 15;
            if (type == LMRT_GGML_Q5_K) v += ((b[16 + l0 + i] >> s) & 1) << 4;
            q[i] = (int8_t)v;
        }
    } else if (type == LMRT_GGML_Q6_K) {
        int n = o / 128, k = (o % 128) / 32, l0 = o % 32;
        const uint8_t *ql = b + 64 * n + (k & 1) * 32 + l0, *qh = b + 128 + 32 * n + l0;
        *d = lmrt_load_f16le(b + 208) * (float)(int8_t)b[192 + 8 * n + l0 / 16 + 2 * k];
        *m = 0.0f;
        for (int i = 0; i < 16; i++) {
            int lo = k >= 2 ? ql[i] >> 4 : ql[i] & 15;
            q[i] = (int8_t)((lo | (((qh[i] >> (2 * k)) & 3) << 4)) - 32);
        }
    } else if (lmrt_qbg_bits(type)) { /* lmcc q3/q5/q6 groups of 64 */
        int B = lmrt_qbg_bits(type), L = lmrt_qbg_lo_bits(type);
        *d = lmrt_load_f16le(b), *m = 0.0f;
        for (int i = 0; i < 16; i++) q[i] = (int8_t)(lmrt_qbg_code(b, B, L, o + i) - (1 << (B - 1)));
    } else { /* q4_0 and the lmcc q4 groups: low nibbles hold the first half of the block */
        int h = BE / 2;
        *d = lmrt_load_f16le(b), *m = 0.0f;
        for (int i = 0; i < 16; i++) {
            int j = o + i; /* a group of 16 holds its unit in both nibbles */
            q[i] = (int8_t)((j >= h ? b[2 + j - h] >> 4 : b[2 + j] & 15) - 8);
        }
    }
}

/* unit u as floats (nf4 through its codebook) */
LMRT_INLINE void lmrt_q4x_unit_f_(int type, const uint8_t *row, int u, float *w) {
    if (lmrt_q4g_is_nf4(type)) {
        int BE = lmrt_quant_block_elems(type), e = 16 * u, o = e % BE, h = BE / 2;
        const uint8_t *b = row + (size_t)(e / BE) * (size_t)(2 + h);
        float d = lmrt_load_f16le(b);
        for (int i = 0; i < 16; i++)
            w[i] = lmrt_nf4_value(o + i >= h ? b[2 + o + i - h] >> 4 : b[2 + o + i] & 15) * d;
        return;
    }
    int8_t q[16];
    float d, m;
    lmrt_q4x_unit_(type, row, u, q, &d, &m);
    for (int i = 0; i < 16; i++) w[i] = d * (float)q[i] + m;
}

LMRT_INLINE const uint8_t *lmrt_q4x_row_(int type, const void *W, int r, int K) {
    int BE = lmrt_quant_block_elems(type);
    return (const uint8_t *)W + (size_t)r * (size_t)((K + BE - 1) / BE) * (size_t)lmrt_quant_block_bytes(type);
}

LMRT_INLINE float lmrt_q4x_dot_f32_(int type, const void *W, int r, int K, const float *x) {
    const uint8_t *row = lmrt_q4x_row_(type, W, r, K);
    float s = 0.0f;
    for (int u = 0; 16 * u < K; u++) {
        float w[16], acc[4];
        for (int j = 0; j < 4; j++) acc[j] = 0.0f; /* no aggregate init: clang -O0 makes it a memset */
        int mlen = K - 16 * u < 16 ? K - 16 * u : 16;
        lmrt_q4x_unit_f_(type, row, u, w);
        const float *xu = x + 16 * u;
        if (mlen == 16)
            for (int i = 0; i < 16; i += 4)
                for (int j = 0; j < 4; j++) acc[j] += w[i + j] * xu[i + j];
        else
            for (int i = 0; i < mlen; i++) acc[0] += w[i] * xu[i];
        s += (acc[0] + acc[2]) + (acc[1] + acc[3]);
    }
    return s;
}

/* q8a activations are zero-padded to whole 32-blocks, so whole units are summed */
LMRT_INLINE float lmrt_q4x_dot_q8a_(int type, const void *W, int r, int K, const void *xv) {
    const uint8_t *row = lmrt_q4x_row_(type, W, r, K), *a = (const uint8_t *)xv;
    float s = 0.0f;
    for (int u = 0; 16 * u < K; u++) {
        const uint8_t *ab = a + (size_t)(u / 2) * LMRT_Q8A_BYTES;
        const int8_t *aq = (const int8_t *)(ab + 4) + 16 * (u & 1);
        int8_t q[16];
        float d, m;
        lmrt_q4x_unit_(type, row, u, q, &d, &m);
        int32_t isum = 0, asum = 0;
        for (int i = 0; i < 16; i++) {
            isum += (int32_t)q[i] * (int32_t)aq[i];
            asum += (int32_t)aq[i];
        }
        s += lmrt_scalar_q8a_d_(ab) * (d * (float)isum + m * (float)asum);
    }
    return s;
}

#define LMRT_Q4X_FMT_(W_, TYPE_)                                                                            \
    LMRT_INLINE float lmrt_scalar_dot_##W_##_f32_(const void *W, int r, int K, int R, const void *x) {       \
        (void)R;                                                                                           \
        return lmrt_q4x_dot_f32_(TYPE_, W, r, K, (const float *)x);                                        \
    }                                                                                                      \
    LMRT_API void lmrt_scalar_embed_##W_(float *y, const void *table, const int32_t *tokens, int n, int D) { \
        for (int t = 0; t < n; t++)                                                                        \
            lmrt_dequant_row(TYPE_, lmrt_q4x_row_(TYPE_, table, tokens[t], D), y + (size_t)t * (size_t)D, D); \
    }                                                                                                      \
    LMRT_SCALAR_LINEAR_(W_, f32)

#define LMRT_Q4X_FMT_Q8A_(W_, TYPE_)                                                                        \
    LMRT_INLINE float lmrt_scalar_dot_##W_##_q8a_(const void *W, int r, int K, int R, const void *x) {       \
        (void)R;                                                                                           \
        return lmrt_q4x_dot_q8a_(TYPE_, W, r, K, x);                                                       \
    }                                                                                                      \
    LMRT_SCALAR_LINEAR_(W_, q8a)

LMRT_Q4X_FMT_(q4_1, LMRT_GGML_Q4_1)
LMRT_Q4X_FMT_(q5_0, LMRT_GGML_Q5_0)
LMRT_Q4X_FMT_(q5_1, LMRT_GGML_Q5_1)
LMRT_Q4X_FMT_(q4_g16, LMRT_LMCC_Q4_G16)
LMRT_Q4X_FMT_(q4_g64, LMRT_LMCC_Q4_G64)
LMRT_Q4X_FMT_(q4_g128, LMRT_LMCC_Q4_G128)
LMRT_Q4X_FMT_(q3_g64, LMRT_LMCC_Q3_G64)
LMRT_Q4X_FMT_(q5_g64, LMRT_LMCC_Q5_G64)
LMRT_Q4X_FMT_(q6_g64, LMRT_LMCC_Q6_G64)
LMRT_Q4X_FMT_(nf4, LMRT_LMCC_NF4)
LMRT_Q4X_FMT_(nf4_g64, LMRT_LMCC_NF4_G64)
LMRT_Q4X_FMT_(q4_k, LMRT_GGML_Q4_K)
LMRT_Q4X_FMT_(q5_k, LMRT_GGML_Q5_K)
LMRT_Q4X_FMT_(q6_k, LMRT_GGML_Q6_K)
LMRT_Q4X_FMT_(q2_k, LMRT_GGML_Q2_K)
LMRT_Q4X_FMT_(q3_k, LMRT_GGML_Q3_K)
LMRT_Q4X_FMT_(iq4_nl, LMRT_GGML_IQ4_NL)
LMRT_Q4X_FMT_(iq4_xs, LMRT_GGML_IQ4_XS)
LMRT_Q4X_FMT_Q8A_(q4_1, LMRT_GGML_Q4_1)
LMRT_Q4X_FMT_Q8A_(q5_0, LMRT_GGML_Q5_0)
LMRT_Q4X_FMT_Q8A_(q5_1, LMRT_GGML_Q5_1)
LMRT_Q4X_FMT_Q8A_(q4_g16, LMRT_LMCC_Q4_G16)
LMRT_Q4X_FMT_Q8A_(q4_g64, LMRT_LMCC_Q4_G64)
LMRT_Q4X_FMT_Q8A_(q4_g128, LMRT_LMCC_Q4_G128)
LMRT_Q4X_FMT_Q8A_(q3_g64, LMRT_LMCC_Q3_G64)
LMRT_Q4X_FMT_Q8A_(q5_g64, LMRT_LMCC_Q5_G64)
LMRT_Q4X_FMT_Q8A_(q6_g64, LMRT_LMCC_Q6_G64)
LMRT_Q4X_FMT_Q8A_(q4_k, LMRT_GGML_Q4_K)
LMRT_Q4X_FMT_Q8A_(q5_k, LMRT_GGML_Q5_K)
LMRT_Q4X_FMT_Q8A_(q6_k, LMRT_GGML_Q6_K)
LMRT_Q4X_FMT_Q8A_(q2_k, LMRT_GGML_Q2_K)
LMRT_Q4X_FMT_Q8A_(q3_k, LMRT_GGML_Q3_K)
LMRT_Q4X_FMT_Q8A_(iq4_nl, LMRT_GGML_IQ4_NL)
LMRT_Q4X_FMT_Q8A_(iq4_xs, LMRT_GGML_IQ4_XS)

#endif
