/* ggml_ref.c - the encoders llama-quantize runs on a tensor without an importance matrix,
 * arithmetic for arithmetic, so a file lmcc writes from the same float values is the file
 * llama-quantize writes, byte for byte (tests/ref checks it by hash): q8_0, q4_0, q4_1, q5_0,
 * q5_1 are runtime-min's encoders (already ggml's); the K-quants are here, in the float
 * operation order of ggml's quantize_row_q{4,5,6}_K_ref (ggml-quants.c, MIT licence, the ggml
 * authors).  Built with -ffp-contract=off (CMakeLists.txt): a fused multiply-add would round
 * differently from ggml-base, which is compiled for the baseline ISA. */
#include "quant.h"

#include <math.h>
#include <string.h>

#include "lmrt_quant.h"

#define REF_QK_K 256
#define REF_GROUP_MAX_EPS 1e-15f

/* round to nearest, ties to even, for |v| < 2^22: the float's mantissa after adding 1.5 * 2^23 */
static int ref_nearest_int(float v) {
    float s = v + 12582912.0f;
    int32_t i;
    memcpy(&i, &s, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

static int ref_min(int a, int b) { return a < b ? a : b; }
static int ref_max(int a, int b) { return a > b ? a : b; }

static void ref_put_f16(uint8_t *p, float v) {
    uint16_t h = lmrt_f32_to_f16(v);
    p[0] = (uint8_t)h, p[1] = (uint8_t)(h >> 8);
}
static float ref_get_f16(const uint8_t *p) { return lmrt_f16_to_f32((uint16_t)(p[0] | (p[1] << 8))); }

/* codes L[i] in 0..nmax of x[i] = scale * L[i] - min (returned: scale, *the_min = min), searched
 * over nstep + 1 candidate scales for the least weighted squared error (ggml's make_qkx2_quants) */
static float ref_qkx2(int n, int nmax, const float *x, const float *w, uint8_t *L, float *the_min, uint8_t *Laux,
                      float rmin, float rdelta, int nstep) {
    float min = x[0], max = x[0], sum_w = w[0], sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        for (int i = 0; i < n; i++) L[i] = 0;
        *the_min = -min;
        return 0.0f;
    }
    float iscale = (float)nmax / (max - min), scale = 1 / iscale, best = 0;
    for (int i = 0; i < n; i++) {
        int l = ref_nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)ref_max(0, ref_min(nmax, l));
        float diff = scale * L[i] + min - x[i];
        best += w[i] * (diff * diff);
    }
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * (float)is + (float)nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = ref_max(0, ref_min(nmax, ref_nearest_int(iscale * (x[i] - min))));
            Laux[i] = (uint8_t)l;
            sum_l += w[i] * (float)l;
            sum_l2 += w[i] * (float)l * (float)l;
            sum_xl += w[i] * (float)l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (!(D > 0)) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
        float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
        if (this_min > 0) {
            this_min = 0;
            this_scale = sum_xl / sum_l2;
        }
        float err = 0;
        for (int i = 0; i < n; i++) {
            float diff = this_scale * Laux[i] + this_min - x[i];
            err += w[i] * (diff * diff);
        }
        if (err < best) {
            memcpy(L, Laux, (size_t)n);
            best = err;
            scale = this_scale;
            min = this_min;
        }
    }
    *the_min = -min;
    return scale;
}

/* signed codes L[i] + nmax of x[i] = scale * L[i], the scale searched with weights x^2
 * (ggml's make_qx_quants, rmse_type 1, no importance weights) */
static float ref_qx(int n, int nmax, const float *x, int8_t *L) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; i++) {
        float ax = fabsf(x[i]);
        if (ax > amax) amax = ax, max = x[i];
    }
    if (amax < REF_GROUP_MAX_EPS) {
        for (int i = 0; i < n; i++) L[i] = 0;
        return 0.0f;
    }
    float iscale = (float)-nmax / max, sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = ref_max(-nmax, ref_min(nmax - 1, ref_nearest_int(iscale * x[i])));
        L[i] = (int8_t)(l + nmax);
        float w = x[i] * x[i];
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    float scale = suml2 ? sumlx / suml2 : 0.0f, best = scale * sumlx;
    for (int is = -9; is <= 9; is++) {
        if (is == 0) continue;
        iscale = -((float)nmax + 0.1f * (float)is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = ref_max(-nmax, ref_min(nmax - 1, ref_nearest_int(iscale * x[i])));
            float w = x[i] * x[i];
            sumlx += w * x[i] * (float)l;
            suml2 += w * (float)l * (float)l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; i++)
                L[i] = (int8_t)(nmax + ref_max(-nmax, ref_min(nmax - 1, ref_nearest_int(iscale * x[i]))));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

/* 6-bit scale/min j of a Q4_K/Q5_K block's 12 scale bytes */
static void ref_scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) {
        *d = q[j] & 63, *m = q[j + 4] & 63;
    } else {
        *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/* one Q4_K (bits 4: {f16 d, dmin; scales[12]; qs[128]}) or Q5_K (bits 5: + qh[32] before qs) block */
static void ref_block_q45k(const float *x, uint8_t *y, int bits) {
    int nmax = (1 << bits) - 1;
    uint8_t L[REF_QK_K], Laux[32], *sc = y + 4;
    float w[32], mins[8], scales[8], max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; j++) {
        float sum_x2 = 0;
        for (int l = 0; l < 32; l++) sum_x2 += x[32 * j + l] * x[32 * j + l];
        float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; l++) w[l] = av_x + fabsf(x[32 * j + l]);
        scales[j] = bits == 4 ? ref_qkx2(32, nmax, x + 32 * j, w, L + 32 * j, &mins[j], Laux, -1.0f, 0.1f, 20)
                              : ref_qkx2(32, nmax, x + 32 * j, w, L + 32 * j, &mins[j], Laux, -0.5f, 0.1f, 15);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    memset(y, 0, bits == 4 ? 144 : 176);
    float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f, inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
    for (int j = 0; j < 8; j++) {
        uint8_t ls = (uint8_t)ref_nearest_int(inv_scale * scales[j]), lm = (uint8_t)ref_nearest_int(inv_min * mins[j]);
        ls = ls < 63 ? ls : 63;
        lm = lm < 63 ? lm : 63;
        if (j < 4) {
            sc[j] = ls, sc[j + 4] = lm;
        } else {
            sc[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
            sc[j - 4] |= (uint8_t)((ls >> 4) << 6);
            sc[j] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    ref_put_f16(y, max_scale / 63.0f);
    ref_put_f16(y + 2, max_min / 63.0f);
    for (int j = 0; j < 8; j++) {
        uint8_t s, m;
        ref_scale_min_k4(j, sc, &s, &m);
        float d = ref_get_f16(y) * s;
        if (!d) continue;
        float dm = ref_get_f16(y + 2) * m;
        for (int i = 0; i < 32; i++)
            L[32 * j + i] = (uint8_t)ref_max(0, ref_min(nmax, ref_nearest_int((x[32 * j + i] + dm) / d)));
    }
    uint8_t *qh = y + 16, *q = y + (bits == 4 ? 16 : 48);
    for (int n = 0, bit = 0; n < REF_QK_K; n += 64, bit += 2, q += 32)
        for (int l = 0; l < 32; l++) {
            int l1 = L[n + l], l2 = L[n + l + 32];
            if (l1 > 15) l1 -= 16, qh[l] |= (uint8_t)(1u << bit); /* Q5_K only: Q4_K codes are <= 15 */
            if (l2 > 15) l2 -= 16, qh[l] |= (uint8_t)(2u << bit);
            q[l] = (uint8_t)(l1 | (l2 << 4));
        }
}

/* one Q6_K block: {ql[128], qh[64], int8 scales[16], f16 d} */
static void ref_block_q6k(const float *x, uint8_t *y) {
    int8_t L[REF_QK_K];
    float scales[16], max_scale = 0, max_abs = 0;
    for (int ib = 0; ib < 16; ib++) {
        scales[ib] = ref_qx(16, 32, x + 16 * ib, L + 16 * ib);
        if (fabsf(scales[ib]) > max_abs) max_abs = fabsf(scales[ib]), max_scale = scales[ib];
    }
    memset(y, 0, 210);
    if (max_abs < REF_GROUP_MAX_EPS) return;
    uint8_t *ql = y, *qh = y + 128;
    int8_t *sc = (int8_t *)(y + 192);
    float iscale = -128.0f / max_scale;
    ref_put_f16(y + 208, 1 / iscale);
    for (int ib = 0; ib < 16; ib++) sc[ib] = (int8_t)ref_min(127, ref_nearest_int(iscale * scales[ib]));
    for (int j = 0; j < 16; j++) {
        float d = ref_get_f16(y + 208) * sc[j];
        if (!d) continue;
        for (int i = 0; i < 16; i++)
            L[16 * j + i] = (int8_t)(ref_max(-32, ref_min(31, ref_nearest_int(x[16 * j + i] / d))) + 32);
    }
    for (int j = 0; j < REF_QK_K; j += 128, ql += 64, qh += 32)
        for (int l = 0; l < 32; l++) {
            ql[l] = (uint8_t)((L[j + l] & 0xF) | ((L[j + l + 64] & 0xF) << 4));
            ql[l + 32] = (uint8_t)((L[j + l + 32] & 0xF) | ((L[j + l + 96] & 0xF) << 4));
            qh[l] = (uint8_t)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                              ((L[j + l + 96] >> 4) << 6));
        }
}

int lmcc_quant_ggml_row(int ggml_type, const float *x, void *dst, int64_t n) {
    uint8_t *y = dst;
    int be = lmrt_quant_block_elems(ggml_type), bb = lmrt_quant_block_bytes(ggml_type);
    if (be <= 0 || bb <= 0 || n % be) return -1;
    switch (ggml_type) {
    case LMRT_GGML_Q4_K: case LMRT_GGML_Q5_K: case LMRT_GGML_Q6_K:
        for (int64_t i = 0; i < n; i += REF_QK_K, y += bb)
            if (ggml_type == LMRT_GGML_Q6_K) ref_block_q6k(x + i, y);
            else ref_block_q45k(x + i, y, ggml_type == LMRT_GGML_Q4_K ? 4 : 5);
        return 0;
    case LMRT_GGML_F32:
        memcpy(dst, x, (size_t)n * sizeof *x);
        return 0;
    case LMRT_GGML_F16:
        for (int64_t i = 0; i < n; i++) ref_put_f16(y + 2 * i, x[i]);
        return 0;
    default: /* runtime-min's encoders are ggml's reference ones (the legacy block formats, f16) */
        return lmrt_quantize_row(ggml_type, x, dst, n);
    }
}
