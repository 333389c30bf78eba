/* act_q8a.h - the evaluators' model of --act q8 (the interpreter's quantize op and the batched
 * evaluator's round_in): a linear's input as the int8 kernels see it.  It defines a format,
 * not an evaluator's arithmetic, so both evaluators share it as they share lmrt_dequant_row.
 * Per 32-block d = amax/127, q = round(x/d) clamped to [-127, 127], and the consumers see
 * d*q (what lmrt_k_quantize_q8a's blocks hold, up to summation order in the products). */
#ifndef LMCC_EVAL_ACT_Q8A_H
#define LMCC_EVAL_ACT_Q8A_H

#include <math.h>
#include <stdint.h>

static inline void lmcc_eval_round_q8a(float *y, const float *x, int64_t n) {
    for (int64_t b = 0; b < n; b += 32) {
        int64_t e = b + 32 < n ? b + 32 : n;
        float amax = 0.0f;
        for (int64_t i = b; i < e; i++) amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
        float d = amax / 127.0f;
        for (int64_t i = b; i < e; i++) {
            float q = d != 0.0f ? roundf(x[i] / d) : 0.0f;
            if (!(q >= -127.0f)) q = q != q ? 0.0f : -127.0f; /* only NaN/inf inputs get here */
            if (q > 127.0f) q = 127.0f;
            y[i] = d * q;
        }
    }
}

#endif
