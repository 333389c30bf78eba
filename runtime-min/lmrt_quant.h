/* lmrt_quant.h - GGUF/ggml weight block formats, byte-exact with ggml.
 *
 * Blocks are read byte by byte (little-endian) so a block may sit at any
 * address: GGUF rows of 18- or 34-byte blocks are not naturally aligned.
 */
#ifndef LMRT_QUANT_H
#define LMRT_QUANT_H

#include "lmrt_base.h"

/* ggml type ids (the GGUF tensor-info values) */
#define LMRT_GGML_F32 0
#define LMRT_GGML_F16 1
#define LMRT_GGML_Q4_0 2
#define LMRT_GGML_Q4_1 3
#define LMRT_GGML_Q5_0 6
#define LMRT_GGML_Q5_1 7
#define LMRT_GGML_Q8_0 8
#define LMRT_GGML_Q2_K 10
#define LMRT_GGML_Q3_K 11
#define LMRT_GGML_Q4_K 12
#define LMRT_GGML_Q5_K 13
#define LMRT_GGML_Q6_K 14
#define LMRT_GGML_IQ4_NL 20
#define LMRT_GGML_IQ4_XS 23
#define LMRT_GGML_BF16 30
/* lmcc-only formats (never written to GGUF): q4_0 with group 16/64/128, NF4 with group 32/64.
 * Block = {f16 d; u8 qs[G/2]}, element j < G/2 in the low nibble of qs[j], j + G/2 in the high
 * nibble; value (q - 8) * d, or lmrt_nf4_value(q) * d for NF4 (d = block absmax). */
#define LMRT_LMCC_Q4_G16 0x1001
#define LMRT_LMCC_Q4_G64 0x1002
#define LMRT_LMCC_Q4_G128 0x1003
#define LMRT_LMCC_NF4 0x1004
#define LMRT_LMCC_NF4_G64 0x1005
/* lmcc-only symmetric B-bit groups of 64 (B = 3, 5, 6), the rungs around q4_g64 that --bpw
 * places per tensor.  Block = {f16 d; u8 lo[8L]; u8 hi[8H]} (L = 2 or 4 low bits, H = B - L):
 * element j's low bits sit in lo[j % 8L] at bit L * (j / 8L), its high bits in hi[j % 8H] at
 * bit H * (j / 8H); value (q - 2^(B-1)) * d.  So each 32-element half (each 16-element unit)
 * is a byte range shifted once: the SIMD decode is loads, shifts and masks. */
#define LMRT_LMCC_Q3_G64 0x1006
#define LMRT_LMCC_Q5_G64 0x1007
#define LMRT_LMCC_Q6_G64 0x1008

/* bits per element of an lmcc qB_g64 type (3, 5, 6), 0 for others; L its low-part bits */
LMRT_INLINE int lmrt_qbg_bits(int type) {
    return type == LMRT_LMCC_Q3_G64 ? 3 : type == LMRT_LMCC_Q5_G64 ? 5 : type == LMRT_LMCC_Q6_G64 ? 6 : 0;
}
LMRT_INLINE int lmrt_qbg_lo_bits(int type) { return lmrt_qbg_bits(type) == 3 ? 2 : 4; }

/* QLoRA's NF4 codebook (quantiles of N(0,1) scaled to [-1, 1], exact zero) */
LMRT_INLINE float lmrt_nf4_value(int q) {
    static const float v[16] = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};
    return v[q & 15];
}

/* group size of an lmcc q4-group / nf4 type, 0 for others */
LMRT_INLINE int lmrt_q4g_group(int type) {
    switch (type) {
    case LMRT_LMCC_Q4_G16: return 16;
    case LMRT_GGML_Q4_0: case LMRT_LMCC_NF4: return 32;
    case LMRT_LMCC_Q4_G64: case LMRT_LMCC_NF4_G64: return 64;
    case LMRT_LMCC_Q4_G128: return 128;
    default: return 0;
    }
}
LMRT_INLINE int lmrt_q4g_is_nf4(int type) { return type == LMRT_LMCC_NF4 || type == LMRT_LMCC_NF4_G64; }

/* Elements and bytes per block; 0 for a type this header does not know. */
LMRT_API int lmrt_quant_block_elems(int type) {
    switch (type) {
    case LMRT_GGML_F32: case LMRT_GGML_F16: case LMRT_GGML_BF16: return 1;
    case LMRT_GGML_Q4_0: case LMRT_GGML_Q4_1: case LMRT_GGML_Q5_0:
    case LMRT_GGML_Q5_1: case LMRT_GGML_Q8_0: case LMRT_GGML_IQ4_NL: return 32;
    case LMRT_GGML_Q2_K: case LMRT_GGML_Q3_K: case LMRT_GGML_Q4_K: case LMRT_GGML_Q5_K: case LMRT_GGML_Q6_K:
    case LMRT_GGML_IQ4_XS: return 256;
    case LMRT_LMCC_Q4_G16: case LMRT_LMCC_Q4_G64: case LMRT_LMCC_Q4_G128: case LMRT_LMCC_NF4:
    case LMRT_LMCC_NF4_G64: return lmrt_q4g_group(type);
    case LMRT_LMCC_Q3_G64: case LMRT_LMCC_Q5_G64: case LMRT_LMCC_Q6_G64: return 64;
    default: return 0;
    }
}

LMRT_API int lmrt_quant_block_bytes(int type) {
    switch (type) {
    case LMRT_GGML_F32: return 4;
    case LMRT_GGML_F16: case LMRT_GGML_BF16: return 2;
    case LMRT_GGML_Q4_0: return 18;
    case LMRT_GGML_Q4_1: return 20;
    case LMRT_GGML_Q5_0: return 22;
    case LMRT_GGML_Q5_1: return 24;
    case LMRT_GGML_Q8_0: return 34;
    case LMRT_GGML_IQ4_NL: return 18;
    case LMRT_GGML_Q2_K: return 84;
    case LMRT_GGML_Q3_K: return 110;
    case LMRT_GGML_Q4_K: return 144;
    case LMRT_GGML_Q5_K: return 176;
    case LMRT_GGML_Q6_K: return 210;
    case LMRT_GGML_IQ4_XS: return 136;
    case LMRT_LMCC_Q4_G16: case LMRT_LMCC_Q4_G64: case LMRT_LMCC_Q4_G128: case LMRT_LMCC_NF4:
    case LMRT_LMCC_NF4_G64: return 2 + lmrt_q4g_group(type) / 2;
    case LMRT_LMCC_Q3_G64: case LMRT_LMCC_Q5_G64: case LMRT_LMCC_Q6_G64: return 2 + 8 * lmrt_qbg_bits(type);
    default: return 0;
    }
}

LMRT_INLINE uint16_t lmrt_load_u16le(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

LMRT_INLINE uint32_t lmrt_load_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

LMRT_INLINE float lmrt_load_f16le(const uint8_t *p) {
    return lmrt_f16_to_f32(lmrt_load_u16le(p));
}

/* private copy: lmrt_math.h has lmrt_fabsf, but block formats need no math */
LMRT_INLINE float lmrt_quant_fabsf_(float x) {
    return lmrt_f32_from_bits(lmrt_bits_from_f32(x) & 0x7fffffffu);
}

/* C roundf without libm: halfway cases away from zero. */
LMRT_INLINE float lmrt_roundf(float x) {
    /* |x| >= 2^23 is already integral; also passes NaN/inf through */
    if (!(lmrt_quant_fabsf_(x) < 8388608.0f)) return x;
    float t = (float)(int32_t)x; /* truncation; x - t is exact here */
    float r = x - t;
    if (r >= 0.5f) t += 1.0f;
    else if (r <= -0.5f) t -= 1.0f;
    /* keep the sign of zero like roundf(-0.3f) == -0.0f */
    if (t == 0.0f) t = lmrt_f32_from_bits(lmrt_bits_from_f32(x) & 0x80000000u);
    return t;
}

/* Q4_K/Q5_K: 8 six-bit scales and mins packed in 12 bytes */
LMRT_INLINE void lmrt_get_scale_min_k4(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/* ---- one block -> block_elems floats ------------------------------------ */

LMRT_API void lmrt_dequant_block_q4_0(const uint8_t *b, float *y) {
    float d = lmrt_load_f16le(b);
    const uint8_t *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        y[j] = (float)((qs[j] & 0xF) - 8) * d;
        y[j + 16] = (float)((qs[j] >> 4) - 8) * d;
    }
}

LMRT_API void lmrt_dequant_block_q4_1(const uint8_t *b, float *y) {
    float d = lmrt_load_f16le(b), m = lmrt_load_f16le(b + 2);
    const uint8_t *qs = b + 4;
    for (int j = 0; j < 16; j++) {
        y[j] = (float)(qs[j] & 0xF) * d + m;
        y[j + 16] = (float)(qs[j] >> 4) * d + m;
    }
}

LMRT_API void lmrt_dequant_block_q5_0(const uint8_t *b, float *y) {
    float d = lmrt_load_f16le(b);
    uint32_t qh = lmrt_load_u32le(b + 2);
    const uint8_t *qs = b + 6;
    for (int j = 0; j < 16; j++) {
        int h0 = (int)((qh >> j) & 1u) << 4, h1 = (int)((qh >> (j + 16)) & 1u) << 4;
        y[j] = (float)(((qs[j] & 0xF) | h0) - 16) * d;
        y[j + 16] = (float)(((qs[j] >> 4) | h1) - 16) * d;
    }
}

LMRT_API void lmrt_dequant_block_q5_1(const uint8_t *b, float *y) {
    float d = lmrt_load_f16le(b), m = lmrt_load_f16le(b + 2);
    uint32_t qh = lmrt_load_u32le(b + 4);
    const uint8_t *qs = b + 8;
    for (int j = 0; j < 16; j++) {
        int h0 = (int)((qh >> j) & 1u) << 4, h1 = (int)((qh >> (j + 16)) & 1u) << 4;
        y[j] = (float)((qs[j] & 0xF) | h0) * d + m;
        y[j + 16] = (float)((qs[j] >> 4) | h1) * d + m;
    }
}

LMRT_API void lmrt_dequant_block_q8_0(const uint8_t *b, float *y) {
    float d = lmrt_load_f16le(b);
    for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)b[2 + j] * d;
}

/* {f16 d, f16 dmin, scales[12], qs[128]} */
LMRT_API void lmrt_dequant_block_q4_k(const uint8_t *b, float *y) {
    float d = lmrt_load_f16le(b), dmin = lmrt_load_f16le(b + 2);
    const uint8_t *scales = b + 4, *q = b + 16;
    for (int is = 0; is < 8; is += 2, q += 32) {
        uint8_t sc, m;
        lmrt_get_scale_min_k4(is, scales, &sc, &m);
        float d1 = d * sc, m1 = dmin * m;
        lmrt_get_scale_min_k4(is + 1, scales, &sc, &m);
        float d2 = d * sc, m2 = dmin * m;
        for (int l = 0; l < 32; l++) *y++ = d1 * (float)(q[l] & 0xF) - m1;
        for (int l = 0; l < 32; l++) *y++ = d2 * (float)(q[l] >> 4) - m2;
    }
}

/* {f16 d, f16 dmin, scales[12], qh[32], qs[128]} */
LMRT_API void lmrt_dequant_block_q5_k(const uint8_t *b, float *y) {
    float d = lmrt_load_f16le(b), dmin = lmrt_load_f16le(b + 2);
    const uint8_t *scales = b + 4, *qh = b + 16, *ql = b + 48;
    unsigned u1 = 1, u2 = 2;
    for (int is = 0; is < 8; is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
        uint8_t sc, m;
        lmrt_get_scale_min_k4(is, scales, &sc, &m);
        float d1 = d * sc, m1 = dmin * m;
        lmrt_get_scale_min_k4(is + 1, scales, &sc, &m);
        float d2 = d * sc, m2 = dmin * m;
        for (int l = 0; l < 32; l++) *y++ = d1 * (float)((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
        for (int l = 0; l < 32; l++) *y++ = d2 * (float)((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
    }
}

/* {ql[128], qh[64], int8 scales[16], f16 d} */
LMRT_API void lmrt_dequant_block_q6_k(const uint8_t *b, float *y) {
    const uint8_t *ql = b, *qh = b + 128;
    const int8_t *sc = (const int8_t *)(b + 192);
    float d = lmrt_load_f16le(b + 208);
    for (int n = 0; n < 256; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
        for (int l = 0; l < 32; l++) {
            int is = l / 16;
            int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l] = d * (float)sc[is] * (float)q1;
            y[l + 32] = d * (float)sc[is + 2] * (float)q2;
            y[l + 64] = d * (float)sc[is + 4] * (float)q3;
            y[l + 96] = d * (float)sc[is + 6] * (float)q4;
        }
    }
}

/* ---- GGUF's 2/3-bit K-quants and 4-bit non-linear quants, read in units of 16 elements ----
 * A unit (elements o .. o+15 of a block, o a multiple of 16) has integer codes q, a scale d and an
 * offset m: w = d * q + m (m = -0.0f, adding nothing even to a -0, for the symmetric ones).  The block dequantizers below and the kernels' unit decoders
 * (lmrt_kernels_q4x.h, the x86 decoders of lmrt_kernels_x86_kquant.h) read the layouts through these,
 * so each layout is written down once.  Layouts (ggml-common.h; element e of a 256-block):
 *   Q2_K   84 bytes {u8 scales[16]; u8 qs[64]; f16 d; f16 dmin}: e = 128 n + 32 j + l has its 2-bit
 *          code in qs[32 n + l] at bit 2 j; unit e / 16 has scales[e / 16]: d * (low nibble) is its
 *          scale, dmin * (high nibble) the value subtracted (q in 0..3).
 *   Q3_K   110 bytes {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}: low 2 bits as Q2_K; bit
 *          4 n + j of hmask[l] set keeps them, clear subtracts 4 (q in -4..3); unit i = e / 16 has the
 *          6-bit scale s_i - 32 (lmrt_q3k_scale), w = d (s_i - 32) q.
 *   IQ4_NL 18 bytes per 32 {f16 d; u8 qs[16]}: element j < 16 in the low nibble of qs[j], j + 16 in
 *          the high nibble, w = d * lmrt_iq4nl_value(nibble).
 *   IQ4_XS 136 bytes {f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]}: each 32-element sub-block
 *          b = e / 32 is an IQ4_NL payload at qs + 16 b with the scale d (ls_b - 32), ls_b = 6 bits:
 *          the nibble b % 2 of scales_l[b / 2], over bits 2 b, 2 b + 1 of scales_h. */

/* ggml's kvalues_iq4nl: a non-uniform 4-bit codebook (denser near zero) */
LMRT_INLINE int lmrt_iq4nl_value(int q) {
    static const int8_t v[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    return v[q & 15];
}

/* Q3_K's 16 six-bit scales (biased by 32) in 12 bytes: scale i's low 4 bits are the nibble i / 8 of
 * byte i % 8, its high 2 bits bits 2 (i / 4) and 2 (i / 4) + 1 of byte 8 + i % 4 */
LMRT_INLINE int lmrt_q3k_scale(const uint8_t *sc, int i) {
    return (((sc[i % 8] >> (4 * (i / 8))) & 15) | (((sc[8 + i % 4] >> (2 * (i / 4))) & 3) << 4)) - 32;
}

/* IQ4_XS: the 6-bit scale of sub-block ib, biased by 32 */
LMRT_INLINE int lmrt_iq4xs_scale(const uint8_t *b, int ib) {
    return (((b[4 + ib / 2] >> (4 * (ib % 2))) & 15) | (((lmrt_load_u16le(b + 2) >> (2 * ib)) & 3) << 4)) - 32;
}

LMRT_INLINE void lmrt_unit_q2_k(const uint8_t *b, int o, int8_t *q, float *d, float *m) {
    int sc = b[o / 16], j = (o % 128) / 32;
    const uint8_t *qs = b + 16 + 32 * (o / 128) + o % 32;
    *d = lmrt_load_f16le(b + 80) * (float)(sc & 15);
    *m = -(lmrt_load_f16le(b + 82) * (float)(sc >> 4));
    for (int i = 0; i < 16; i++) q[i] = (int8_t)((qs[i] >> (2 * j)) & 3);
}

LMRT_INLINE void lmrt_unit_q3_k(const uint8_t *b, int o, int8_t *q, float *d, float *m) {
    int n = o / 128, j = (o % 128) / 32, l0 = o % 32;
    const uint8_t *hm = b + l0, *qs = b + 32 + 32 * n + l0;
    *d = lmrt_load_f16le(b + 108) * (float)lmrt_q3k_scale(b + 96, o / 16);
    *m = -0.0f;
    for (int i = 0; i < 16; i++)
        q[i] = (int8_t)(((qs[i] >> (2 * j)) & 3) - ((hm[i] >> (4 * n + j)) & 1 ? 0 : 4));
}

/* IQ4_NL (be = 32) or IQ4_XS (be = 256) */
LMRT_INLINE void lmrt_unit_iq4(const uint8_t *b, int xs, int o, int8_t *q, float *d, float *m) {
    const uint8_t *qs = xs ? b + 8 + 16 * (o / 32) : b + 2;
    *d = xs ? lmrt_load_f16le(b) * (float)lmrt_iq4xs_scale(b, o / 32) : lmrt_load_f16le(b);
    *m = -0.0f;
    for (int i = 0; i < 16; i++) q[i] = (int8_t)lmrt_iq4nl_value(o % 32 < 16 ? qs[i] & 15 : qs[i] >> 4);
}

/* a unit of any type above: 0, or -1 for another type */
LMRT_INLINE int lmrt_unit_kiq(int type, const uint8_t *b, int o, int8_t *q, float *d, float *m) {
    switch (type) {
    case LMRT_GGML_Q2_K: lmrt_unit_q2_k(b, o, q, d, m); return 0;
    case LMRT_GGML_Q3_K: lmrt_unit_q3_k(b, o, q, d, m); return 0;
    case LMRT_GGML_IQ4_NL: lmrt_unit_iq4(b, 0, o, q, d, m); return 0;
    case LMRT_GGML_IQ4_XS: lmrt_unit_iq4(b, 1, o, q, d, m); return 0;
    default: return -1;
    }
}

/* a whole block of those types: w = d * q + m per unit (ggml's dl * q - ml, the same floats) */
LMRT_INLINE void lmrt_dequant_block_kiq_(int type, const uint8_t *b, float *y) {
    int be = lmrt_quant_block_elems(type);
    for (int o = 0; o < be; o += 16) {
        int8_t q[16];
        float d, m;
        lmrt_unit_kiq(type, b, o, q, &d, &m);
        for (int i = 0; i < 16; i++) y[o + i] = d * (float)q[i] + m;
    }
}
LMRT_API void lmrt_dequant_block_q2_k(const uint8_t *b, float *y) { lmrt_dequant_block_kiq_(LMRT_GGML_Q2_K, b, y); }
LMRT_API void lmrt_dequant_block_q3_k(const uint8_t *b, float *y) { lmrt_dequant_block_kiq_(LMRT_GGML_Q3_K, b, y); }
LMRT_API void lmrt_dequant_block_iq4_nl(const uint8_t *b, float *y) { lmrt_dequant_block_kiq_(LMRT_GGML_IQ4_NL, b, y); }
LMRT_API void lmrt_dequant_block_iq4_xs(const uint8_t *b, float *y) { lmrt_dequant_block_kiq_(LMRT_GGML_IQ4_XS, b, y); }

/* q4 group / nf4 block of G elements */
LMRT_INLINE void lmrt_dequant_block_q4g_(const uint8_t *b, float *y, int G, int nf4) {
    float d = lmrt_load_f16le(b);
    const uint8_t *qs = b + 2;
    for (int j = 0; j < G / 2; j++) {
        int q0 = qs[j] & 0xF, q1 = qs[j] >> 4;
        y[j] = (nf4 ? lmrt_nf4_value(q0) : (float)(q0 - 8)) * d;
        y[j + G / 2] = (nf4 ? lmrt_nf4_value(q1) : (float)(q1 - 8)) * d;
    }
}
LMRT_API void lmrt_dequant_block_q4_g16(const uint8_t *b, float *y) { lmrt_dequant_block_q4g_(b, y, 16, 0); }
LMRT_API void lmrt_dequant_block_q4_g64(const uint8_t *b, float *y) { lmrt_dequant_block_q4g_(b, y, 64, 0); }
LMRT_API void lmrt_dequant_block_q4_g128(const uint8_t *b, float *y) { lmrt_dequant_block_q4g_(b, y, 128, 0); }
LMRT_API void lmrt_dequant_block_nf4(const uint8_t *b, float *y) { lmrt_dequant_block_q4g_(b, y, 32, 1); }
LMRT_API void lmrt_dequant_block_nf4_g64(const uint8_t *b, float *y) { lmrt_dequant_block_q4g_(b, y, 64, 1); }

/* the unsigned code (0 .. 2^B - 1) of element j of a qB_g64 block b (B bits, L of them low) */
LMRT_INLINE int lmrt_qbg_code(const uint8_t *b, int B, int L, int j) {
    int H = B - L, nl = 8 * L, nh = 8 * H;
    int lo = (b[2 + j % nl] >> (L * (j / nl))) & ((1 << L) - 1);
    int hi = (b[2 + nl + j % nh] >> (H * (j / nh))) & ((1 << H) - 1);
    return lo | (hi << L);
}

LMRT_INLINE void lmrt_dequant_block_qbg_(const uint8_t *b, float *y, int B, int L) {
    float d = lmrt_load_f16le(b);
    for (int j = 0; j < 64; j++) y[j] = (float)(lmrt_qbg_code(b, B, L, j) - (1 << (B - 1))) * d;
}
LMRT_API void lmrt_dequant_block_q3_g64(const uint8_t *b, float *y) { lmrt_dequant_block_qbg_(b, y, 3, 2); }
LMRT_API void lmrt_dequant_block_q5_g64(const uint8_t *b, float *y) { lmrt_dequant_block_qbg_(b, y, 5, 4); }
LMRT_API void lmrt_dequant_block_q6_g64(const uint8_t *b, float *y) { lmrt_dequant_block_qbg_(b, y, 6, 4); }

/* Dequantizes the first n elements of a row.  n need not fill the last
 * block (lmcc pads rows); only n floats are written.  0, or -1 for an
 * unknown type. */
LMRT_API int lmrt_dequant_row(int type, const void *src, float *dst, int64_t n) {
    const uint8_t *s = (const uint8_t *)src;
    void (*blk)(const uint8_t *, float *);
    switch (type) {
    case LMRT_GGML_F32:
        lmrt_memcpy(dst, src, (size_t)n * sizeof(float));
        return 0;
    case LMRT_GGML_F16:
        for (int64_t i = 0; i < n; i++) dst[i] = lmrt_f16_to_f32(lmrt_load_u16le(s + 2 * i));
        return 0;
    case LMRT_GGML_BF16:
        for (int64_t i = 0; i < n; i++) dst[i] = lmrt_bf16_to_f32(lmrt_load_u16le(s + 2 * i));
        return 0;
    case LMRT_GGML_Q4_0: blk = lmrt_dequant_block_q4_0; break;
    case LMRT_GGML_Q4_1: blk = lmrt_dequant_block_q4_1; break;
    case LMRT_GGML_Q5_0: blk = lmrt_dequant_block_q5_0; break;
    case LMRT_GGML_Q5_1: blk = lmrt_dequant_block_q5_1; break;
    case LMRT_GGML_Q8_0: blk = lmrt_dequant_block_q8_0; break;
    case LMRT_GGML_Q4_K: blk = lmrt_dequant_block_q4_k; break;
    case LMRT_GGML_Q5_K: blk = lmrt_dequant_block_q5_k; break;
    case LMRT_GGML_Q6_K: blk = lmrt_dequant_block_q6_k; break;
    case LMRT_GGML_Q2_K: blk = lmrt_dequant_block_q2_k; break;
    case LMRT_GGML_Q3_K: blk = lmrt_dequant_block_q3_k; break;
    case LMRT_GGML_IQ4_NL: blk = lmrt_dequant_block_iq4_nl; break;
    case LMRT_GGML_IQ4_XS: blk = lmrt_dequant_block_iq4_xs; break;
    case LMRT_LMCC_Q4_G16: blk = lmrt_dequant_block_q4_g16; break;
    case LMRT_LMCC_Q4_G64: blk = lmrt_dequant_block_q4_g64; break;
    case LMRT_LMCC_Q4_G128: blk = lmrt_dequant_block_q4_g128; break;
    case LMRT_LMCC_NF4: blk = lmrt_dequant_block_nf4; break;
    case LMRT_LMCC_NF4_G64: blk = lmrt_dequant_block_nf4_g64; break;
    case LMRT_LMCC_Q3_G64: blk = lmrt_dequant_block_q3_g64; break;
    case LMRT_LMCC_Q5_G64: blk = lmrt_dequant_block_q5_g64; break;
    case LMRT_LMCC_Q6_G64: blk = lmrt_dequant_block_q6_g64; break;
    default: return -1;
    }
    int64_t be = lmrt_quant_block_elems(type), bb = lmrt_quant_block_bytes(type);
    int64_t i = 0;
    for (; i + be <= n; i += be, s += bb) blk(s, dst + i);
    if (i < n) {
        float tmp[256];
        blk(s, tmp);
        for (int64_t j = 0; i + j < n; j++) dst[i + j] = tmp[j];
    }
    return 0;
}

/* ---- quantizers: ggml's *_ref, bit for bit -------------------------------
 * n is arbitrary: the missing tail of the last block quantizes as zeros. */

LMRT_INLINE void lmrt_load_block32(const float *x, int64_t n, float *blk) {
    for (int64_t j = 0; j < 32; j++) blk[j] = j < n ? x[j] : 0.0f;
}

LMRT_API void lmrt_quantize_row_q8_0(const float *x, void *dst, int64_t n) {
    uint8_t *y = (uint8_t *)dst;
    for (int64_t i = 0; i < n; i += 32, y += 34) {
        float v[32];
        lmrt_load_block32(x + i, n - i, v);
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) {
            float a = lmrt_quant_fabsf_(v[j]);
            amax = amax > a ? amax : a;
        }
        float d = amax / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        uint16_t h = lmrt_f32_to_f16(d);
        y[0] = (uint8_t)(h & 0xff);
        y[1] = (uint8_t)(h >> 8);
        for (int j = 0; j < 32; j++) {
            float q = lmrt_roundf(v[j] * id);
            /* only NaN/inf input can leave [-127, 127]; clamp to stay defined */
            if (!(q >= -127.0f)) q = q != q ? 0.0f : -127.0f;
            if (q > 127.0f) q = 127.0f;
            y[2 + j] = (uint8_t)(int8_t)q;
        }
    }
}

/* the value of largest magnitude among v[0..n) (the first one on ties; 0 for all zeros): ggml's
 * symmetric formats divide it by the most negative code so the extreme lands exactly on a level */
LMRT_INLINE float lmrt_signed_absmax_(const float *v, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; j++)
        if (amax < lmrt_quant_fabsf_(v[j])) {
            amax = lmrt_quant_fabsf_(v[j]);
            max = v[j];
        }
    return max;
}

LMRT_API void lmrt_quantize_row_q4_0(const float *x, void *dst, int64_t n) {
    uint8_t *y = (uint8_t *)dst;
    for (int64_t i = 0; i < n; i += 32, y += 18) {
        float v[32];
        lmrt_load_block32(x + i, n - i, v);
        float d = lmrt_signed_absmax_(v, 32) / -8.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        uint16_t h = lmrt_f32_to_f16(d);
        y[0] = (uint8_t)(h & 0xff);
        y[1] = (uint8_t)(h >> 8);
        for (int j = 0; j < 16; j++) {
            float f0 = v[j] * id + 8.5f, f1 = v[j + 16] * id + 8.5f;
            /* ggml truncates toward zero then takes min(15); in range this
             * is the same, the clamps only keep NaN/inf defined */
            int q0 = f0 >= 0.0f && f0 < 16.0f ? (int)f0 : (f0 >= 16.0f ? 15 : 0);
            int q1 = f1 >= 0.0f && f1 < 16.0f ? (int)f1 : (f1 >= 16.0f ? 15 : 0);
            if (q0 > 15) q0 = 15;
            if (q1 > 15) q1 = 15;
            y[2 + j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

LMRT_INLINE void lmrt_store_f16le_(uint8_t *p, float v) {
    uint16_t h = lmrt_f32_to_f16(v);
    p[0] = (uint8_t)(h & 0xff);
    p[1] = (uint8_t)(h >> 8);
}

LMRT_INLINE void lmrt_block32_minmax_(const float *v, float *min, float *max) {
    *min = *max = v[0];
    for (int j = 1; j < 32; j++) {
        *min = v[j] < *min ? v[j] : *min;
        *max = v[j] > *max ? v[j] : *max;
    }
}

/* ggml's quantize_row_q4_1_ref: {f16 d, f16 m}, q = round((x - min) / d) in [0, 15] */
LMRT_API void lmrt_quantize_row_q4_1(const float *x, void *dst, int64_t n) {
    uint8_t *y = (uint8_t *)dst;
    for (int64_t i = 0; i < n; i += 32, y += 20) {
        float v[32];
        lmrt_load_block32(x + i, n - i, v);
        float min, max;
        lmrt_block32_minmax_(v, &min, &max);
        float d = (max - min) / 15.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        lmrt_store_f16le_(y, d);
        lmrt_store_f16le_(y + 2, min);
        for (int j = 0; j < 16; j++) {
            float f0 = (v[j] - min) * id + 0.5f, f1 = (v[j + 16] - min) * id + 0.5f;
            int q0 = f0 >= 0.0f && f0 < 16.0f ? (int)f0 : (f0 >= 16.0f ? 15 : 0);
            int q1 = f1 >= 0.0f && f1 < 16.0f ? (int)f1 : (f1 >= 16.0f ? 15 : 0);
            if (q0 > 15) q0 = 15;
            if (q1 > 15) q1 = 15;
            y[4 + j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

/* the 5-bit codes q[32] of a q5_0/q5_1 block: u32 qh (bit j = the 5th bit of element j), then
 * qs[16] (element j < 16 in the low nibble of qs[j], j + 16 in the high nibble) */
LMRT_INLINE void lmrt_store_q5_codes_(uint8_t *p, const int *q) {
    uint32_t qh = 0;
    for (int j = 0; j < 32; j++) qh |= (uint32_t)((q[j] >> 4) & 1) << j;
    for (int j = 0; j < 4; j++) p[j] = (uint8_t)(qh >> (8 * j));
    for (int j = 0; j < 16; j++) p[4 + j] = (uint8_t)((q[j] & 15) | ((q[j + 16] & 15) << 4));
}

/* ggml's quantize_row_q5_0_ref: d = max / -16, q = trunc(x / d + 16.5) clamped to 31 */
LMRT_API void lmrt_quantize_row_q5_0(const float *x, void *dst, int64_t n) {
    uint8_t *y = (uint8_t *)dst;
    for (int64_t i = 0; i < n; i += 32, y += 22) {
        float v[32];
        int q[32];
        lmrt_load_block32(x + i, n - i, v);
        float d = lmrt_signed_absmax_(v, 32) / -16.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        lmrt_store_f16le_(y, d);
        for (int j = 0; j < 32; j++) {
            float f = v[j] * id + 16.5f; /* in range as ggml; the clamps keep NaN/inf defined */
            q[j] = f >= 0.0f && f < 32.0f ? (int)f : (f >= 32.0f ? 31 : 0);
        }
        lmrt_store_q5_codes_(y + 2, q);
    }
}

/* ggml's quantize_row_q5_1_ref: {f16 d, f16 m}, d = (max - min) / 31, q = trunc((x - min) / d + 0.5) */
LMRT_API void lmrt_quantize_row_q5_1(const float *x, void *dst, int64_t n) {
    uint8_t *y = (uint8_t *)dst;
    for (int64_t i = 0; i < n; i += 32, y += 24) {
        float v[32];
        int q[32];
        lmrt_load_block32(x + i, n - i, v);
        float min, max;
        lmrt_block32_minmax_(v, &min, &max);
        float d = (max - min) / 31.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        lmrt_store_f16le_(y, d);
        lmrt_store_f16le_(y + 2, min);
        for (int j = 0; j < 32; j++) {
            float f = (v[j] - min) * id + 0.5f;
            q[j] = f >= 0.0f && f < 32.0f ? (int)f : (f >= 32.0f ? 31 : 0);
        }
        lmrt_store_q5_codes_(y + 4, q);
    }
}

/* nearest NF4 code of v in [-1, 1] (midpoints between sorted codebook values) */
LMRT_INLINE int lmrt_nf4_nearest_(float v) {
    int q = 0;
    for (int k = 1; k < 16; k++)
        if (v > 0.5f * (lmrt_nf4_value(k - 1) + lmrt_nf4_value(k))) q = k;
    return q;
}

/* q4 group G (q4_0's rule: d = max / -8) or NF4 (d = absmax, nearest code); G <= 128 */
LMRT_API void lmrt_quantize_row_q4g(int type, const float *x, void *dst, int64_t n) {
    int G = lmrt_q4g_group(type), nf4 = lmrt_q4g_is_nf4(type);
    uint8_t *y = (uint8_t *)dst;
    for (int64_t i = 0; i < n; i += G, y += 2 + G / 2) {
        float v[128];
        for (int j = 0; j < G; j++) v[j] = i + j < n ? x[i + j] : 0.0f;
        float max = lmrt_signed_absmax_(v, G);
        float d = nf4 ? lmrt_quant_fabsf_(max) : max / -8.0f;
        lmrt_store_f16le_(y, d);
        /* quantize against the stored (f16-rounded) scale */
        float ds = lmrt_load_f16le(y);
        float id = ds != 0.0f ? 1.0f / ds : 0.0f;
        for (int j = 0; j < G / 2; j++) {
            int q[2];
            for (int h = 0; h < 2; h++) {
                float f = v[j + h * (G / 2)] * id;
                if (nf4) {
                    q[h] = lmrt_nf4_nearest_(f == f ? f : 0.0f);
                } else {
                    f += 8.5f;
                    q[h] = f >= 0.0f && f < 16.0f ? (int)f : (f >= 16.0f ? 15 : 0);
                    if (q[h] > 15) q[h] = 15;
                }
            }
            y[2 + j] = (uint8_t)(q[0] | (q[1] << 4));
        }
    }
}

/* the codes q[64] (0 .. 2^B - 1) of a qB_g64 block after its f16 d, in the layout above */
LMRT_INLINE void lmrt_store_qbg_codes_(uint8_t *p, int type, const int *q) {
    int B = lmrt_qbg_bits(type), L = lmrt_qbg_lo_bits(type), H = B - L, nl = 8 * L, nh = 8 * H;
    for (int i = 0; i < 8 * B; i++) p[i] = 0;
    for (int j = 0; j < 64; j++) {
        p[j % nl] |= (uint8_t)((q[j] & ((1 << L) - 1)) << (L * (j / nl)));
        p[nl + j % nh] |= (uint8_t)(((q[j] >> L) & ((1 << H) - 1)) << (H * (j / nh)));
    }
}

/* qB_g64 by q4_0's rule: d = max / -2^(B-1) (the extreme lands on the lowest code), nearest q */
LMRT_API void lmrt_quantize_row_qbg(int type, const float *x, void *dst, int64_t n) {
    int B = lmrt_qbg_bits(type), half = 1 << (B - 1);
    uint8_t *y = (uint8_t *)dst;
    for (int64_t i = 0; i < n; i += 64, y += 2 + 8 * B) {
        float v[64];
        int q[64];
        for (int j = 0; j < 64; j++) v[j] = i + j < n ? x[i + j] : 0.0f;
        lmrt_store_f16le_(y, lmrt_signed_absmax_(v, 64) / -(float)half);
        float ds = lmrt_load_f16le(y); /* against the stored scale */
        float id = ds != 0.0f ? 1.0f / ds : 0.0f;
        for (int j = 0; j < 64; j++) {
            float f = v[j] * id + (float)half + 0.5f;
            q[j] = f >= 0.0f && f < (float)(2 * half) ? (int)f : (f >= (float)(2 * half) ? 2 * half - 1 : 0);
        }
        lmrt_store_qbg_codes_(y + 2, type, q);
    }
}

/* any format lmcc can encode from f32 (besides f32/f16): 0, or -1 for an unknown type */
LMRT_API int lmrt_quantize_row(int type, const float *x, void *dst, int64_t n) {
    switch (type) {
    case LMRT_GGML_Q8_0: lmrt_quantize_row_q8_0(x, dst, n); return 0;
    case LMRT_GGML_Q4_0: lmrt_quantize_row_q4_0(x, dst, n); return 0;
    case LMRT_GGML_Q4_1: lmrt_quantize_row_q4_1(x, dst, n); return 0;
    case LMRT_GGML_Q5_0: lmrt_quantize_row_q5_0(x, dst, n); return 0;
    case LMRT_GGML_Q5_1: lmrt_quantize_row_q5_1(x, dst, n); return 0;
    case LMRT_LMCC_Q4_G16: case LMRT_LMCC_Q4_G64: case LMRT_LMCC_Q4_G128: case LMRT_LMCC_NF4:
    case LMRT_LMCC_NF4_G64: lmrt_quantize_row_q4g(type, x, dst, n); return 0;
    case LMRT_LMCC_Q3_G64: case LMRT_LMCC_Q5_G64: case LMRT_LMCC_Q6_G64: lmrt_quantize_row_qbg(type, x, dst, n); return 0;
    default: return -1;
    }
}

#endif
