/* lmrt_kernels_cortex_m.h - kernel contract v2 plumbing shared by the Cortex-M sets
 * (lmrt_kernels_cortex_m4.h, lmrt_kernels_cortex_m55.h).  A set defines its row dots with the
 * signature of lmrt_scalar_dot_<w>_<a>_ (row r of W . one activation row), then includes this file:
 * LMRT_CM_LINEAR_(w, a, dot) builds lmrt_k_matmul / matmul_add / matmul_swiglu / qkv from the dot,
 * in the loop order and float operation order of lmrt_kernels_scalar.h, so a set whose dot returns
 * the scalar dot's value bit for bit matches the generic build bit for bit.  Single-threaded
 * devices, but tid/nth are honoured like the scalar kernels. */
#ifndef LMRT_KERNELS_CORTEX_M_H
#define LMRT_KERNELS_CORTEX_M_H

#include "lmrt_base.h"
#include "lmrt_math.h"
#include "lmrt_kernels_scalar.h"

#define LMRT_CM_LINEAR_(W_, A_, DOT_)                                                                         \
    LMRT_API void lmrt_k_matmul_##W_##_##A_(float *y, const void *W, const void *x, int n, int N, int K, int R, \
                                            int tid, int nth) {                                              \
        int r0, r1;                                                                                          \
        lmrt_scalar_rows_(N, LMRT_SCALAR_GRAN_(R), tid, nth, &r0, &r1);                                      \
        size_t xs = lmrt_scalar_xs_##A_##_(K);                                                               \
        for (int r = r0; r < r1; r++)                                                                        \
            for (int t = 0; t < n; t++)                                                                      \
                y[(size_t)t * (size_t)N + (size_t)r] = DOT_(W, r, K, R, (const uint8_t *)x + (size_t)t * xs);  \
    }                                                                                                        \
    LMRT_API void lmrt_k_matmul_add_##W_##_##A_(float *y, const void *W, const void *x, const float *res,      \
                                                int n, int N, int K, int R, int tid, int nth) {              \
        int r0, r1;                                                                                          \
        lmrt_scalar_rows_(N, LMRT_SCALAR_GRAN_(R), tid, nth, &r0, &r1);                                      \
        size_t xs = lmrt_scalar_xs_##A_##_(K);                                                               \
        for (int r = r0; r < r1; r++)                                                                        \
            for (int t = 0; t < n; t++) {                                                                    \
                size_t o = (size_t)t * (size_t)N + (size_t)r;                                                \
                float v = DOT_(W, r, K, R, (const uint8_t *)x + (size_t)t * xs);                             \
                y[o] = v + res[o];                                                                           \
            }                                                                                                \
    }                                                                                                        \
    LMRT_API void lmrt_k_matmul_swiglu_##W_##_##A_(float *y, const void *W, const void *x, int n, int F, int K, \
                                                   int R, int tid, int nth) {                                \
        int j0, j1;                                                                                          \
        lmrt_scalar_rows_(F, LMRT_SCALAR_GRAN_(R), tid, nth, &j0, &j1);                                      \
        size_t xs = lmrt_scalar_xs_##A_##_(K);                                                               \
        for (int j = j0; j < j1; j++)                                                                        \
            for (int t = 0; t < n; t++) {                                                                    \
                const void *xt = (const uint8_t *)x + (size_t)t * xs;                                        \
                float g = DOT_(W, j, K, R, xt);                                                              \
                float u = DOT_(W, F + j, K, R, xt);                                                          \
                y[(size_t)t * (size_t)F + (size_t)j] = lmrt_scalar_silu_mul_(g, u);                          \
            }                                                                                                \
    }                                                                                                        \
    LMRT_CM_QKV_(W_, A_, DOT_, f32, 0)                                                                       \
    LMRT_CM_QKV_(W_, A_, DOT_, f16, 1)

/* one head (hd rows) per unit at a time through a stack buffer; wider heads take the scalar path */
#define LMRT_CM_QKV_(W_, A_, DOT_, KV_, F16_)                                                                 \
    LMRT_API void lmrt_k_qkv_##W_##_##A_##_##KV_(float *q, const void *W, const void *x, int n, int K, int H,   \
                                                 int Hkv, int hd, int rope_dim, int neox, const float *rope, \
                                                 void *kc, void *vc, int ctx, int pos, int R, int tid,        \
                                                 int nth) {                                                  \
        if (hd > LMRT_SCALAR_QKV_HD_) {                                                                      \
            lmrt_scalar_qkv_##W_##_##A_##_##KV_(q, W, x, n, K, H, Hkv, hd, rope_dim, neox, rope, kc, vc, ctx, \
                                               pos, R, tid, nth);                                            \
            return;                                                                                          \
        }                                                                                                    \
        int u0, u1;                                                                                          \
        lmrt_split(H + 2 * Hkv, tid, nth, &u0, &u1);                                                         \
        size_t xs = lmrt_scalar_xs_##A_##_(K);                                                               \
        float buf[LMRT_SCALAR_QKV_HD_];                                                                      \
        for (int u = u0; u < u1; u++)                                                                        \
            for (int t = 0; t < n; t++) {                                                                    \
                int p = pos + t;                                                                             \
                const void *xt = (const uint8_t *)x + (size_t)t * xs;                                        \
                float *v = u < H ? q + ((size_t)t * (size_t)H + (size_t)u) * (size_t)hd : buf;               \
                for (int i = 0; i < hd; i++) v[i] = DOT_(W, u * hd + i, K, R, xt);                           \
                if (u < H + Hkv) lmrt_scalar_rope_head_(v, rope_dim, neox, rope + (size_t)p * (size_t)rope_dim); \
                if (u >= H) {                                                                                \
                    int h = u < H + Hkv ? u - H : u - H - Hkv;                                               \
                    size_t off = ((size_t)h * (size_t)ctx + (size_t)p) * (size_t)hd;                         \
                    lmrt_scalar_store_kv_(u < H + Hkv ? kc : vc, F16_, off, v, hd);                          \
                }                                                                                            \
            }                                                                                                \
    }

/* everything a set does not accelerate */
#define lmrt_k_embed_f32 lmrt_scalar_embed_f32
#define lmrt_k_embed_f16 lmrt_scalar_embed_f16
#define lmrt_k_embed_q8_0 lmrt_scalar_embed_q8_0
#define lmrt_k_embed_q4_0 lmrt_scalar_embed_q4_0
#define lmrt_k_normalize lmrt_scalar_normalize
#define lmrt_k_hadamard lmrt_scalar_hadamard
#define lmrt_k_rmsnorm lmrt_scalar_rmsnorm
#define lmrt_k_quantize_q8a lmrt_scalar_quantize_q8a
#define lmrt_k_attention_f32 lmrt_scalar_attention_f32
#define lmrt_k_attention_f16 lmrt_scalar_attention_f16
#define lmrt_k_add lmrt_scalar_add
#define lmrt_k_swiglu lmrt_scalar_swiglu
#define lmrt_k_take_last lmrt_scalar_take_last
#define lmrt_k_copy lmrt_scalar_copy
#define lmrt_k_rope lmrt_scalar_rope
#define lmrt_k_kv_store_f32 lmrt_scalar_kv_store_f32
#define lmrt_k_kv_store_f16 lmrt_scalar_kv_store_f16
#define lmrt_k_mul lmrt_scalar_mul
#define lmrt_k_silu lmrt_scalar_silu
#define lmrt_k_softmax lmrt_scalar_softmax

/* every linear of a weight/activation pair the set leaves to the scalar kernels */
#define LMRT_CM_FORWARD_(W_, A_)                                                                              \
    LMRT_API void lmrt_k_matmul_##W_##_##A_(float *y, const void *W, const void *x, int n, int N, int K, int R, \
                                            int tid, int nth) {                                              \
        lmrt_scalar_matmul_##W_##_##A_(y, W, x, n, N, K, R, tid, nth);                                       \
    }                                                                                                        \
    LMRT_API void lmrt_k_matmul_add_##W_##_##A_(float *y, const void *W, const void *x, const float *res,      \
                                                int n, int N, int K, int R, int tid, int nth) {              \
        lmrt_scalar_matmul_add_##W_##_##A_(y, W, x, res, n, N, K, R, tid, nth);                              \
    }                                                                                                        \
    LMRT_API void lmrt_k_matmul_swiglu_##W_##_##A_(float *y, const void *W, const void *x, int n, int F, int K, \
                                                   int R, int tid, int nth) {                                \
        lmrt_scalar_matmul_swiglu_##W_##_##A_(y, W, x, n, F, K, R, tid, nth);                                \
    }                                                                                                        \
    LMRT_CM_QKV_FWD_(W_, A_, f32)                                                                            \
    LMRT_CM_QKV_FWD_(W_, A_, f16)

#define LMRT_CM_QKV_FWD_(W_, A_, KV_)                                                                         \
    LMRT_API void lmrt_k_qkv_##W_##_##A_##_##KV_(float *q, const void *W, const void *x, int n, int K, int H,   \
                                                 int Hkv, int hd, int rope_dim, int neox, const float *rope, \
                                                 void *kc, void *vc, int ctx, int pos, int R, int tid,        \
                                                 int nth) {                                                  \
        lmrt_scalar_qkv_##W_##_##A_##_##KV_(q, W, x, n, K, H, Hkv, hd, rope_dim, neox, rope, kc, vc, ctx, pos, \
                                           R, tid, nth);                                                     \
    }

#include "lmrt_kernels_q4x_generic.h" /* 4-bit variants, q5_0/q5_1 and K-quants: portable */

#endif
