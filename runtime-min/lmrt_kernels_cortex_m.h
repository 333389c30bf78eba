/* lmrt_kernels_cortex_m.h - what the Cortex-M sets (lmrt_kernels_cortex_m4.h, lmrt_kernels_cortex_m55.h)
 * share.  A set defines its 32-element integer block sums lmrt_cm_blk_q8_q8a_(qs, a) and
 * lmrt_cm_blk_q4_q8a_(qs, a) (the sums of lmrt_scalar_blk_q*_q8a_, computed with its own
 * instructions), anything else it accelerates, and then includes this file: it builds the q8_0 and
 * q4_0 x q8a linear families around those sums with the portable loops (LMRT_ROW_DOT_Q8A_,
 * LMRT_LINEAR_), so equal block sums give the generic build's results bit for bit, and leaves every
 * other kernel to lmrt_kernels_fallback.h.  Single-threaded devices, but tid/nth are honoured like
 * the scalar kernels. */
#ifndef LMRT_KERNELS_CORTEX_M_H
#define LMRT_KERNELS_CORTEX_M_H

#include "lmrt_kernels_scalar.h"

LMRT_ROW_DOT_Q8A_(lmrt_cm_dot_q8_0_q8a_, 34, int8_t, lmrt_cm_blk_q8_q8a_)
LMRT_ROW_DOT_Q8A_(lmrt_cm_dot_q4_0_q8a_, 18, uint8_t, lmrt_cm_blk_q4_q8a_)
LMRT_LINEAR_(cm, q8_0, q8a, lmrt_cm_dot_q8_0_q8a_)
LMRT_LINEAR_(cm, q4_0, q8a, lmrt_cm_dot_q4_0_q8a_)

/* ---- the contract names the Cortex-M sets accelerate; the rest: lmrt_kernels_fallback.h ---- */

#define lmrt_k_matmul_q8_0_q8a lmrt_cm_matmul_q8_0_q8a
#define lmrt_k_matmul_add_q8_0_q8a lmrt_cm_matmul_add_q8_0_q8a
#define lmrt_k_matmul_swiglu_q8_0_q8a lmrt_cm_matmul_swiglu_q8_0_q8a
#define lmrt_k_qkv_q8_0_q8a_f32 lmrt_cm_qkv_q8_0_q8a_f32
#define lmrt_k_qkv_q8_0_q8a_f16 lmrt_cm_qkv_q8_0_q8a_f16
#define lmrt_k_qkv_q8_0_q8a_q8 lmrt_cm_qkv_q8_0_q8a_q8

#define lmrt_k_matmul_q4_0_q8a lmrt_cm_matmul_q4_0_q8a
#define lmrt_k_matmul_add_q4_0_q8a lmrt_cm_matmul_add_q4_0_q8a
#define lmrt_k_matmul_swiglu_q4_0_q8a lmrt_cm_matmul_swiglu_q4_0_q8a
#define lmrt_k_qkv_q4_0_q8a_f32 lmrt_cm_qkv_q4_0_q8a_f32
#define lmrt_k_qkv_q4_0_q8a_f16 lmrt_cm_qkv_q4_0_q8a_f16
#define lmrt_k_qkv_q4_0_q8a_q8 lmrt_cm_qkv_q4_0_q8a_q8

#include "lmrt_kernels_fallback.h"

#endif
