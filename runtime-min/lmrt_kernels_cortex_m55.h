/* lmrt_kernels_cortex_m55.h - kernel contract v2 for Cortex-M55 (Armv8.1-M with Helium / MVE).
 * Accelerated: q8_0 and q4_0 weights with q8a activations (16-lane int8 multiply-accumulate across
 * the vector, VMLADAVA.S8: two per 32-element block; q4 nibbles unpacked with VAND/VSHR and biased
 * by -8 before the dot) and f32 weights (two 4-lane float accumulators playing the scalar kernel's
 * eight, multiply then add, so the sums round exactly as the scalar ones do).  Integer block sums
 * are exact, so every accelerated kernel matches the generic build bit for bit.  Every other
 * kernel is the portable one (lmrt_kernels_fallback.h).  Compile with -mcpu=cortex-m55 -mthumb -mfloat-abi=hard. */
#ifndef LMRT_KERNELS_CORTEX_M55_H
#define LMRT_KERNELS_CORTEX_M55_H

#include <arm_mve.h>

#include "lmrt_base.h"
#include "lmrt_math.h"
#include "lmrt_kernels_scalar.h"

#if !defined(__ARM_FEATURE_MVE) || !(__ARM_FEATURE_MVE & 2)
#error "lmrt_kernels_cortex_m55.h needs MVE with floating point (-mcpu=cortex-m55)"
#endif

LMRT_INLINE int32_t lmrt_cm_blk_q8_q8a_(const int8_t *qs, const int8_t *a) {
    int32_t acc = vmladavq_s8(vldrbq_s8(qs), vldrbq_s8(a));
    return vmladavaq_s8(acc, vldrbq_s8(qs + 16), vldrbq_s8(a + 16));
}

LMRT_INLINE int32_t lmrt_cm_blk_q4_q8a_(const uint8_t *qs, const int8_t *a) {
    uint8x16_t w = vldrbq_u8(qs);
    int8x16_t lo = vsubq_n_s8(vreinterpretq_s8_u8(vandq_u8(w, vdupq_n_u8(15))), 8);
    int8x16_t hi = vsubq_n_s8(vreinterpretq_s8_u8(vshrq_n_u8(w, 4)), 8);
    int32_t acc = vmladavq_s8(lo, vldrbq_s8(a));
    return vmladavaq_s8(acc, hi, vldrbq_s8(a + 16));
}

/* lanes 0..3 = the scalar kernel's acc[0..3], lanes 4..7 = acc[4..7]; then its sum8 and tail */
LMRT_INLINE float lmrt_cm55_dot_f32_f32_(const void *W, int r, int K, int R, const void *xv) {
    (void)R;
    const float *w = (const float *)W + (size_t)r * (size_t)K;
    const float *x = (const float *)xv;
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(0.0f);
    int i = 0;
    for (; i + 8 <= K; i += 8) {
        a0 = vaddq_f32(a0, vmulq_f32(vld1q_f32(w + i), vld1q_f32(x + i)));
        a1 = vaddq_f32(a1, vmulq_f32(vld1q_f32(w + i + 4), vld1q_f32(x + i + 4)));
    }
    float32x4_t p = vaddq_f32(a0, a1);
    float s = (vgetq_lane_f32(p, 0) + vgetq_lane_f32(p, 1)) + (vgetq_lane_f32(p, 2) + vgetq_lane_f32(p, 3));
    /* tail as its own count (see lmrt_scalar_dot_f32_f32_) */
    const float *wt = w + i, *xt = x + i;
    for (int j = 0, rem = K - i; j < rem; j++) s += wt[j] * xt[j];
    return s;
}

LMRT_LINEAR_(cm, f32, f32, lmrt_cm55_dot_f32_f32_)

/* ---- the contract names this set accelerates beyond lmrt_kernels_cortex_m.h's ---- */

#define lmrt_k_matmul_f32_f32 lmrt_cm_matmul_f32_f32
#define lmrt_k_matmul_add_f32_f32 lmrt_cm_matmul_add_f32_f32
#define lmrt_k_matmul_swiglu_f32_f32 lmrt_cm_matmul_swiglu_f32_f32
#define lmrt_k_qkv_f32_f32_f32 lmrt_cm_qkv_f32_f32_f32
#define lmrt_k_qkv_f32_f32_f16 lmrt_cm_qkv_f32_f32_f16
#define lmrt_k_qkv_f32_f32_q8 lmrt_cm_qkv_f32_f32_q8

#include "lmrt_kernels_cortex_m.h"

#endif
