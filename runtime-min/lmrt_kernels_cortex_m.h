/* lmrt_kernels_cortex_m.h - kernel contract v2 plumbing shared by the Cortex-M sets
 * (lmrt_kernels_cortex_m4.h, lmrt_kernels_cortex_m55.h).  A set defines its row dots with the
 * signature of lmrt_scalar_dot_<w>_<a>_ (row r of W . one activation row), then includes this file:
 * LMRT_CM_LINEAR_(w, a, dot) builds lmrt_cm_matmul / matmul_add / matmul_swiglu / qkv from the dot,
 * in the loop order and float operation order of lmrt_kernels_scalar.h, so a set whose dot returns
 * the scalar dot's value bit for bit matches the generic build bit for bit.  Single-threaded
 * devices, but tid/nth are honoured like the scalar kernels. */
#ifndef LMRT_KERNELS_CORTEX_M_H
#define LMRT_KERNELS_CORTEX_M_H

#include "lmrt_base.h"
#include "lmrt_math.h"
#include "lmrt_kernels_scalar.h"

#define LMRT_CM_LINEAR_(W_, A_, DOT_)                                                                            \
    LMRT_API void lmrt_cm_matmul_##W_##_##A_(float *y, const void *W, const void *x, int n, int N, int K, int R, \
                                            int tid, int nth) {                                                  \
        int r0, r1;                                                                                              \
        lmrt_scalar_rows_(N, LMRT_SCALAR_GRAN_(R), tid, nth, &r0, &r1);                                          \
        size_t xs = lmrt_scalar_xs_##A_##_(K);                                                                   \
        for (int r = r0; r < r1; r++)                                                                            \
            for (int t = 0; t < n; t++)                                                                          \
                y[(size_t)t * (size_t)N + (size_t)r] = DOT_(W, r, K, R, (const uint8_t *)x + (size_t)t * xs);    \
    }                                                                                                            \
    LMRT_API void lmrt_cm_matmul_add_##W_##_##A_(float *y, const void *W, const void *x, const float *res,       \
                                                int n, int N, int K, int R, int tid, int nth) {                  \
        int r0, r1;                                                                                              \
        lmrt_scalar_rows_(N, LMRT_SCALAR_GRAN_(R), tid, nth, &r0, &r1);                                          \
        size_t xs = lmrt_scalar_xs_##A_##_(K);                                                                   \
        for (int r = r0; r < r1; r++)                                                                            \
            for (int t = 0; t < n; t++) {                                                                        \
                size_t o = (size_t)t * (size_t)N + (size_t)r;                                                    \
                float v = DOT_(W, r, K, R, (const uint8_t *)x + (size_t)t * xs);                                 \
                y[o] = v + res[o];                                                                               \
            }                                                                                                    \
    }                                                                                                            \
    LMRT_API void lmrt_cm_matmul_swiglu_##W_##_##A_(float *y, const void *W, const void *x, int n, int F, int K, \
                                                   int R, int tid, int nth) {                                    \
        int j0, j1;                                                                                              \
        lmrt_scalar_rows_(F, LMRT_SCALAR_GRAN_(R), tid, nth, &j0, &j1);                                          \
        size_t xs = lmrt_scalar_xs_##A_##_(K);                                                                   \
        for (int j = j0; j < j1; j++)                                                                            \
            for (int t = 0; t < n; t++) {                                                                        \
                const void *xt = (const uint8_t *)x + (size_t)t * xs;                                            \
                float g = DOT_(W, j, K, R, xt);                                                                  \
                float u = DOT_(W, F + j, K, R, xt);                                                              \
                y[(size_t)t * (size_t)F + (size_t)j] = lmrt_scalar_silu_mul_(g, u);                              \
            }                                                                                                    \
    }                                                                                                            \
    LMRT_CM_QKV_(W_, A_, DOT_, f32, 0)                                                                           \
    LMRT_CM_QKV_(W_, A_, DOT_, f16, 1)

/* one head (hd rows) per unit at a time through a stack buffer; wider heads take the scalar path */
#define LMRT_CM_QKV_(W_, A_, DOT_, KV_, F16_)                                                                    \
    LMRT_API void lmrt_cm_qkv_##W_##_##A_##_##KV_(float *q, const void *W, const void *x, int n, int K, int H,   \
                                                 int Hkv, int hd, int rope_dim, int neox, const float *rope,     \
                                                 void *kc, void *vc, int ctx, int pos, int R, int tid,           \
                                                 int nth) {                                                      \
        if (hd > LMRT_SCALAR_QKV_HD_) {                                                                          \
            lmrt_scalar_qkv_##W_##_##A_##_##KV_(q, W, x, n, K, H, Hkv, hd, rope_dim, neox, rope, kc, vc, ctx,    \
                                               pos, R, tid, nth);                                                \
            return;                                                                                              \
        }                                                                                                        \
        int u0, u1;                                                                                              \
        lmrt_split(H + 2 * Hkv, tid, nth, &u0, &u1);                                                             \
        size_t xs = lmrt_scalar_xs_##A_##_(K);                                                                   \
        float buf[LMRT_SCALAR_QKV_HD_];                                                                          \
        for (int u = u0; u < u1; u++)                                                                            \
            for (int t = 0; t < n; t++) {                                                                        \
                int p = pos + t;                                                                                 \
                const void *xt = (const uint8_t *)x + (size_t)t * xs;                                            \
                float *v = u < H ? q + ((size_t)t * (size_t)H + (size_t)u) * (size_t)hd : buf;                   \
                for (int i = 0; i < hd; i++) v[i] = DOT_(W, u * hd + i, K, R, xt);                               \
                if (u < H + Hkv) lmrt_scalar_rope_head_(v, rope_dim, neox, rope + (size_t)p * (size_t)rope_dim); \
                if (u >= H) {                                                                                    \
                    int h = u < H + Hkv ? u - H : u - H - Hkv;                                                   \
                    size_t off = ((size_t)h * (size_t)ctx + (size_t)p) * (size_t)hd;                             \
                    lmrt_scalar_store_kv_(u < H + Hkv ? kc : vc, F16_, off, v, hd);                              \
                }                                                                                                \
            }                                                                                                    \
    }

#endif
