/* lmrt_kernels_cortex_m4.h - kernel contract v2 for Cortex-M4 (Armv7E-M: Thumb-2, single-precision
 * FPU, DSP extension, no vector unit).  Accelerated: q8_0 and q4_0 weights with q8a activations,
 * 4 int8 products per two SMLAD (dual 16-bit multiply-accumulate) on SXTB16/UXTB16-unpacked words;
 * the integer block sums equal the scalar ones, so results match the generic build bit for bit.
 * Every other kernel (f32/f16 weights run on the FPU) is the portable one (lmrt_kernels_fallback.h).
 * Compile with -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16. */
#ifndef LMRT_KERNELS_CORTEX_M4_H
#define LMRT_KERNELS_CORTEX_M4_H

#include <arm_acle.h>

#include "lmrt_base.h"
#include "lmrt_math.h"
#include "lmrt_kernels_scalar.h"

#if !defined(__ARM_FEATURE_DSP)
#error "lmrt_kernels_cortex_m4.h needs the DSP extension (-mcpu=cortex-m4 / cortex-m7 / cortex-m33 ...)"
#endif

/* Armv7E-M loads words at any address (blocks are 34 / 18 bytes, so payloads are only 2-aligned) */
LMRT_INLINE int32_t lmrt_cm4_ld32_(const void *p) {
    int32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

LMRT_INLINE uint32_t lmrt_cm4_ror8_(uint32_t v) { return (v >> 8) | (v << 24); }

/* sum of 32 int8 x int8 */
LMRT_INLINE int32_t lmrt_cm_blk_q8_q8a_(const int8_t *qs, const int8_t *a) {
    int32_t acc = 0;
    for (int i = 0; i < 32; i += 4) {
        int32_t w = lmrt_cm4_ld32_(qs + i), x = lmrt_cm4_ld32_(a + i);
        acc = __smlad(__sxtb16(w), __sxtb16(x), acc);
        acc = __smlad(__sxtb16((int32_t)lmrt_cm4_ror8_((uint32_t)w)), __sxtb16((int32_t)lmrt_cm4_ror8_((uint32_t)x)),
                      acc);
    }
    return acc;
}

/* sum of (nibble - 8) x int8 over 32 elements: unsigned nibbles, then - 8 * sum(a) */
LMRT_INLINE int32_t lmrt_cm_blk_q4_q8a_(const uint8_t *qs, const int8_t *a) {
    int32_t acc = 0, sa = 0;
    const int32_t ones = 0x00010001;
    for (int i = 0; i < 16; i += 4) {
        uint32_t w = (uint32_t)lmrt_cm4_ld32_(qs + i);
        uint32_t lo = w & 0x0F0F0F0Fu, hi = (w >> 4) & 0x0F0F0F0Fu;
        int32_t x0 = lmrt_cm4_ld32_(a + i), x1 = lmrt_cm4_ld32_(a + 16 + i);
        int32_t x0e = __sxtb16(x0), x0o = __sxtb16((int32_t)lmrt_cm4_ror8_((uint32_t)x0));
        int32_t x1e = __sxtb16(x1), x1o = __sxtb16((int32_t)lmrt_cm4_ror8_((uint32_t)x1));
        acc = __smlad((int32_t)__uxtb16(lo), x0e, acc);
        acc = __smlad((int32_t)__uxtb16(lmrt_cm4_ror8_(lo)), x0o, acc);
        acc = __smlad((int32_t)__uxtb16(hi), x1e, acc);
        acc = __smlad((int32_t)__uxtb16(lmrt_cm4_ror8_(hi)), x1o, acc);
        sa = __smlad(x0e, ones, __smlad(x0o, ones, sa));
        sa = __smlad(x1e, ones, __smlad(x1o, ones, sa));
    }
    return acc - 8 * sa;
}

/* q8_0 / q4_0 x q8a around these sums; every other kernel portable */
#include "lmrt_kernels_cortex_m.h"

#endif
