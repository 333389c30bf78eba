/* kquant_ref.h - test helper: valid GGUF K-quant blocks (Q4_K, Q5_K, Q6_K) from floats by plain
 * round-to-nearest per sub-block (not ggml's search, but the same byte layout), and the value each
 * element was meant to decode to, computed here from the codes (an oracle independent of
 * lmrt_dequant_row).  Header-only, test code. */
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

/* a row of K (multiple of 256) elements; type 12/13/14; out may be NULL */
KQ_API void kq_quantize_row(int type, const float *x, void *dst, int K, float *out) {
    float tmp[256];
    uint8_t *b = (uint8_t *)dst;
    for (int i = 0; i < K; i += 256) {
        float *o = out ? out + i : tmp;
        if (type == 14) kq_quantize_block_q6k(x + i, b, o), b += 210;
        else kq_quantize_block_q45k(x + i, b, type == 12 ? 4 : 5, o), b += type == 12 ? 144 : 176;
    }
}

#endif
