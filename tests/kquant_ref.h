/* kquant_ref.h - test helper: valid GGUF blocks of the types lmcc reads but does not write (Q2_K,
 * Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, BF16) from floats by plain round-to-nearest per sub-block
 * (not ggml's search, but the same byte layout), and the value each element was meant to decode to,
 * computed here from the codes in ggml's float order (an oracle independent of lmrt_dequant_row).
 * Header-only, test code. */
#ifndef LMCC_TESTS_KQUANT_REF_H
#define LMCC_TESTS_KQUANT_REF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lmrt_base.h"

#if defined(__GNUC__) || defined(__clang__)
#define KQ_API static __attribute__((unused))
#else
#define KQ_API static
#endif

static void kq_put_f16(uint8_t *p, float v) {
    uint16_t h = lmrt_f32_to_f16(v);
    p[0] = (uint8_t)h, p[1] = (uint8_t)(h >> 8);
}
static float kq_f16(float v) { return lmrt_f16_to_f32(lmrt_f32_to_f16(v)); }
static int kq_clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Q4_K (bits 4) or Q5_K (bits 5): 8 sub-blocks of 32, w = d*sc*q - dmin*m. out: the intended values. */
KQ_API void kq_quantize_block_q45k(const float *x, uint8_t *b, int bits, float *out) {
    int qmax = (1 << bits) - 1;
    float scl[8], mn[8], maxs = 0.0f, maxm = 0.0f;
    for (int s = 0; s < 8; s++) {
        float lo = 0.0f, hi = 0.0f;
        for (int i = 0; i < 32; i++) {
            float v = x[32 * s + i];
            lo = v < lo ? v : lo, hi = v > hi ? v : hi;
        }
        scl[s] = (hi - lo) / (float)qmax, mn[s] = -lo;
        maxs = scl[s] > maxs ? scl[s] : maxs, maxm = mn[s] > maxm ? mn[s] : maxm;
    }
    memset(b, 0, bits == 4 ? 144 : 176);
    float d = kq_f16(maxs / 63.0f), dmin = kq_f16(maxm / 63.0f);
    kq_put_f16(b, d), kq_put_f16(b + 2, dmin);
    uint8_t *sc = b + 4, *qh = b + 16, *qs = b + (bits == 4 ? 16 : 48);
    for (int s = 0; s < 8; s++) {
        int ls = d > 0 ? kq_clamp((int)lrintf(scl[s] / d), 0, 63) : 0;
        int lm = dmin > 0 ? kq_clamp((int)lrintf(mn[s] / dmin), 0, 63) : 0;
        if (s < 4) {
            sc[s] = (uint8_t)ls, sc[s + 4] = (uint8_t)lm;
        } else {
            sc[s + 4] = (uint8_t)((ls & 15) | ((lm & 15) << 4));
            sc[s - 4] |= (uint8_t)((ls >> 4) << 6);
            sc[s] |= (uint8_t)((lm >> 4) << 6);
        }
        float ds = d * (float)ls, ms = dmin * (float)lm;
        for (int i = 0; i < 32; i++) {
            int e = 32 * s + i;
            int q = ds > 0 ? kq_clamp((int)lrintf((x[e] + ms) / ds), 0, qmax) : 0;
            qs[32 * (s / 2) + i] |= (uint8_t)((q & 15) << (s & 1 ? 4 : 0));
            if (bits == 5 && (q & 16)) qh[i] |= (uint8_t)(1u << s);
            out[e] = ds * (float)q - ms;
        }
    }
}

/* Q6_K: 16 sub-blocks of 16, int8 scales, w = d*sc*(q - 32) */
KQ_API void kq_quantize_block_q6k(const float *x, uint8_t *b, float *out) {
    float scl[16], maxs = 0.0f;
    for (int s = 0; s < 16; s++) {
        float a = 0.0f;
        for (int i = 0; i < 16; i++) a = fabsf(x[16 * s + i]) > a ? fabsf(x[16 * s + i]) : a;
        scl[s] = a / 31.0f;
        maxs = scl[s] > maxs ? scl[s] : maxs;
    }
    memset(b, 0, 210);
    float d = kq_f16(maxs / 127.0f);
    kq_put_f16(b + 208, d);
    uint8_t *ql = b, *qh = b + 128;
    int8_t *sc = (int8_t *)(b + 192);
    for (int s = 0; s < 16; s++) {
        int ls = d > 0 ? kq_clamp((int)lrintf(scl[s] / d), 0, 127) : 0;
        sc[s] = (int8_t)ls;
        float ds = d * (float)ls;
        for (int i = 0; i < 16; i++) {
            int e = 16 * s + i, n = e / 128, k = (e % 128) / 32, l = e % 32;
            int q = ds > 0 ? kq_clamp((int)lrintf(x[e] / ds), -32, 31) + 32 : 32;
            ql[64 * n + l + 32 * (k & 1)] |= (uint8_t)((q & 15) << (k >= 2 ? 4 : 0));
            qh[32 * n + l] |= (uint8_t)((q >> 4) << (2 * k));
            out[e] = ds * (float)(q - 32);
        }
    }
}

/* the value of largest magnitude (first on ties) */
static float kq_signed_max(const float *x, int n) {
    float m = 0.0f;
    for (int i = 0; i < n; i++) m = fabsf(x[i]) > fabsf(m) ? x[i] : m;
    return m;
}

/* Q2_K: 16 sub-blocks of 16, w = d*sc*q - dmin*mn with 4-bit sc, mn and q in 0..3.
 * {u8 scales[16] (sc | mn << 4); u8 qs[64]; f16 d; f16 dmin}; element e = 128n + 32j + l: qs[32n + l]
 * bits 2j, 2j + 1 */
KQ_API void kq_quantize_block_q2k(const float *x, uint8_t *b, float *out) {
    float scl[16], mn[16], maxs = 0.0f, maxm = 0.0f;
    for (int s = 0; s < 16; s++) {
        float lo = 0.0f, hi = 0.0f;
        for (int i = 0; i < 16; i++) lo = fminf(lo, x[16 * s + i]), hi = fmaxf(hi, x[16 * s + i]);
        scl[s] = (hi - lo) / 3.0f, mn[s] = -lo;
        maxs = fmaxf(maxs, scl[s]), maxm = fmaxf(maxm, mn[s]);
    }
    memset(b, 0, 84);
    float d = kq_f16(maxs / 15.0f), dmin = kq_f16(maxm / 15.0f);
    kq_put_f16(b + 80, d), kq_put_f16(b + 82, dmin);
    for (int s = 0; s < 16; s++) {
        int ls = d > 0 ? kq_clamp((int)lrintf(scl[s] / d), 0, 15) : 0;
        int lm = dmin > 0 ? kq_clamp((int)lrintf(mn[s] / dmin), 0, 15) : 0;
        b[s] = (uint8_t)(ls | lm << 4);
        float ds = d * (float)ls, ms = dmin * (float)lm;
        for (int i = 0; i < 16; i++) {
            int e = 16 * s + i, n = e / 128, j = (e % 128) / 32, l = e % 32;
            int q = ds > 0 ? kq_clamp((int)lrintf((x[e] + ms) / ds), 0, 3) : 0;
            b[16 + 32 * n + l] |= (uint8_t)(q << (2 * j));
            out[e] = ds * (float)q - ms;
        }
    }
}

/* Q3_K: 16 sub-blocks of 16, w = d*(s - 32)*q, q in -4..3, s 6 bits (negative scales too).
 * {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}: q + 4 = 4 h + lo, lo as Q2_K's codes, h at bit
 * 4n + j of hmask[l]; s's low nibble in scales[i % 8] (nibble i / 8), its top 2 bits in
 * scales[8 + i % 4] (bits 2 (i / 4)) */
KQ_API void kq_quantize_block_q3k(const float *x, uint8_t *b, float *out) {
    float scl[16], amax = 0.0f;
    for (int s = 0; s < 16; s++) {
        scl[s] = kq_signed_max(x + 16 * s, 16) / -4.0f; /* the extreme lands on -4 */
        amax = fmaxf(amax, fabsf(scl[s]));
    }
    memset(b, 0, 110);
    float d = kq_f16(amax / 32.0f);
    kq_put_f16(b + 108, d);
    for (int s = 0; s < 16; s++) {
        int ls = d > 0 ? kq_clamp((int)lrintf(scl[s] / d), -32, 31) : 0;
        b[96 + s % 8] |= (uint8_t)(((ls + 32) & 15) << (4 * (s / 8)));
        b[104 + s % 4] |= (uint8_t)(((ls + 32) >> 4) << (2 * (s / 4)));
        float ds = d * (float)ls;
        for (int i = 0; i < 16; i++) {
            int e = 16 * s + i, n = e / 128, j = (e % 128) / 32, l = e % 32;
            int q = ds != 0 ? kq_clamp((int)lrintf(x[e] / ds), -4, 3) : 0;
            b[32 + 32 * n + l] |= (uint8_t)(((q + 4) & 3) << (2 * j));
            if (q >= 0) b[l] |= (uint8_t)(1u << (4 * n + j));
            out[e] = ds * (float)q;
        }
    }
}

static const int8_t kq_iq4_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/* 32 elements at the nearest codebook value of x / ds: 16 bytes, element j < 16 in the low nibble
 * of qs[j], j + 16 in the high one */
static void kq_iq4_payload(const float *x, float ds, uint8_t *qs, float *out) {
    for (int j = 0; j < 32; j++) {
        int best = 0;
        for (int k = 1; k < 16; k++)
            if (fabsf(ds * (float)kq_iq4_values[k] - x[j]) < fabsf(ds * (float)kq_iq4_values[best] - x[j])) best = k;
        qs[j % 16] |= (uint8_t)(best << (j < 16 ? 0 : 4));
        out[j] = ds * (float)kq_iq4_values[best];
    }
}

/* IQ4_NL: {f16 d; u8 qs[16]}, d = max / -127 (the extreme on the first code) */
KQ_API void kq_quantize_block_iq4nl(const float *x, uint8_t *b, float *out) {
    memset(b, 0, 18);
    float d = kq_f16(kq_signed_max(x, 32) / -127.0f);
    kq_put_f16(b, d);
    kq_iq4_payload(x, d, b + 2, out);
}

/* IQ4_XS: 8 sub-blocks of 32 with 6-bit scales ls (w = d*(ls - 32)*value).
 * {f16 d; u16 scales_h (bits 2ib, 2ib+1: ls's top bits); u8 scales_l[4] (nibble ib % 2 of byte ib / 2:
 * ls's low bits); u8 qs[128] (sub-block ib: an IQ4_NL payload at qs + 16 ib)} */
KQ_API void kq_quantize_block_iq4xs(const float *x, uint8_t *b, float *out) {
    float scl[8], amax = 0.0f;
    for (int s = 0; s < 8; s++) {
        scl[s] = kq_signed_max(x + 32 * s, 32) / -127.0f;
        amax = fmaxf(amax, fabsf(scl[s]));
    }
    memset(b, 0, 136);
    float d = kq_f16(amax / 32.0f);
    kq_put_f16(b, d);
    unsigned sh = 0;
    for (int s = 0; s < 8; s++) {
        int ls = d > 0 ? kq_clamp((int)lrintf(scl[s] / d), -32, 31) : 0;
        b[4 + s / 2] |= (uint8_t)(((ls + 32) & 15) << (4 * (s % 2)));
        sh |= (unsigned)((ls + 32) >> 4) << (2 * s);
        kq_iq4_payload(x + 32 * s, d * (float)ls, b + 8 + 16 * s, out + 32 * s);
    }
    b[2] = (uint8_t)sh, b[3] = (uint8_t)(sh >> 8);
}

/* bf16: round to nearest even (no NaN inputs here) */
KQ_API void kq_put_bf16(uint8_t *p, float v, float *out) {
    uint32_t u;
    memcpy(&u, &v, 4);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    p[0] = (uint8_t)(u >> 16), p[1] = (uint8_t)(u >> 24);
    memcpy(out, &u, 4);
}

/* block elements and bytes of the types above */
KQ_API int kq_block_elems(int type) { return type == 30 ? 1 : type == 20 ? 32 : 256; }
KQ_API int kq_block_bytes(int type) {
    switch (type) {
    case 10: return 84;
    case 11: return 110;
    case 12: return 144;
    case 13: return 176;
    case 14: return 210;
    case 20: return 18;
    case 23: return 136;
    default: return 2;
    }
}

/* a row of K elements of ggml type `type` (10 Q2_K, 11 Q3_K, 12 Q4_K, 13 Q5_K, 14 Q6_K, 20 IQ4_NL,
 * 23 IQ4_XS, 30 BF16); a partial last block (lmcc pads rows) quantizes the elements past K as zeros;
 * out (the K intended values) may be NULL */
KQ_API void kq_quantize_row(int type, const float *x, void *dst, int K, float *out) {
    int be = kq_block_elems(type), bb = kq_block_bytes(type);
    uint8_t *b = (uint8_t *)dst;
    for (int i = 0; i < K; i += be, b += bb) {
        float v[256], o[256];
        for (int j = 0; j < be; j++) v[j] = i + j < K ? x[i + j] : 0.0f;
        switch (type) {
        case 10: kq_quantize_block_q2k(v, b, o); break;
        case 11: kq_quantize_block_q3k(v, b, o); break;
        case 12: kq_quantize_block_q45k(v, b, 4, o); break;
        case 13: kq_quantize_block_q45k(v, b, 5, o); break;
        case 14: kq_quantize_block_q6k(v, b, o); break;
        case 20: kq_quantize_block_iq4nl(v, b, o); break;
        case 23: kq_quantize_block_iq4xs(v, b, o); break;
        default: kq_put_bf16(b, v[0], o); break;
        }
        for (int j = 0; out && j < be && i + j < K; j++) out[i + j] = o[j];
    }
}

#endif
