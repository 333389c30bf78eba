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
#define LMRT_GGML_Q4_K 12
#define LMRT_GGML_Q5_K 13
#define LMRT_GGML_Q6_K 14
#define LMRT_GGML_BF16 30

/* Elements and bytes per block; 0 for a type this header does not know. */
LMRT_API int lmrt_quant_block_elems(int type) {
    switch (type) {
    case LMRT_GGML_F32: case LMRT_GGML_F16: case LMRT_GGML_BF16: return 1;
    case LMRT_GGML_Q4_0: case LMRT_GGML_Q4_1: case LMRT_GGML_Q5_0:
    case LMRT_GGML_Q5_1: case LMRT_GGML_Q8_0: return 32;
    case LMRT_GGML_Q4_K: case LMRT_GGML_Q5_K: case LMRT_GGML_Q6_K: return 256;
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
    case LMRT_GGML_Q4_K: return 144;
    case LMRT_GGML_Q5_K: return 176;
    case LMRT_GGML_Q6_K: return 210;
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

LMRT_API void lmrt_quantize_row_q4_0(const float *x, void *dst, int64_t n) {
    uint8_t *y = (uint8_t *)dst;
    for (int64_t i = 0; i < n; i += 32, y += 18) {
        float v[32];
        lmrt_load_block32(x + i, n - i, v);
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 32; j++) {
            if (amax < lmrt_quant_fabsf_(v[j])) {
                amax = lmrt_quant_fabsf_(v[j]);
                max = v[j];
            }
        }
        float d = max / -8.0f;
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

#endif
