/* lmrt_kernels_generic.h - portable scalar kernels: the v1 one-token API (lmrt_matvec_*, ...) and
 * the kernel contract v2 names lmrt_k_* mapped to lmrt_kernels_scalar.h (end of file).
 *
 * Plain loops with restrict and independent accumulators so gcc/clang can
 * vectorize them without -ffast-math.  Quantized rows are whole blocks
 * (row r starts at r * ceil(n_in/32) * block_bytes); the tail block of a row
 * may be partial and only the n_in valid activations are read.
 * Block layouts (GGUF): q8_0 = {fp16 d; int8 qs[32]}, q4_0 = {fp16 d; uint8 qs[16]}
 * with element j in the low nibble of qs[j] and j+16 in the high nibble.
 */
#ifndef LMRT_KERNELS_GENERIC_H
#define LMRT_KERNELS_GENERIC_H

#include "lmrt_base.h"
#include "lmrt_math.h"

#define LMRT_QK_ 32
#define LMRT_Q8_0_BYTES_ 34
#define LMRT_Q4_0_BYTES_ 18
/* an aggregate initializer becomes a memset call at clang -O0; freestanding has none */
#define LMRT_ZERO8_(a) for (int z_ = 0; z_ < 8; z_++) (a)[z_] = 0.0f

/* blocks may sit at any even offset: read the little-endian scale bytewise */
LMRT_INLINE float lmrt_block_scale_(const uint8_t *b) {
    return lmrt_f16_to_f32((uint16_t)(b[0] | (b[1] << 8)));
}

LMRT_INLINE float lmrt_dot_f32_(const float *LMRT_RESTRICT a, const float *LMRT_RESTRICT b, int n) {
    float acc[8];
    LMRT_ZERO8_(acc);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += a[i + j] * b[i + j];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

LMRT_API void lmrt_matvec_f32(float *LMRT_RESTRICT y, const float *LMRT_RESTRICT W,
                              const float *LMRT_RESTRICT x, int n_out, int n_in) {
    for (int r = 0; r < n_out; r++) y[r] = lmrt_dot_f32_(W + (size_t)r * (size_t)n_in, x, n_in);
}

LMRT_API void lmrt_matvec_f16(float *LMRT_RESTRICT y, const uint16_t *LMRT_RESTRICT W,
                              const float *LMRT_RESTRICT x, int n_out, int n_in) {
    for (int r = 0; r < n_out; r++) {
        const uint16_t *w = W + (size_t)r * (size_t)n_in;
        float acc[8];
        LMRT_ZERO8_(acc);
        int i = 0;
        for (; i + 8 <= n_in; i += 8)
            for (int j = 0; j < 8; j++) acc[j] += lmrt_f16_to_f32(w[i + j]) * x[i + j];
        float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
        for (; i < n_in; i++) s += lmrt_f16_to_f32(w[i]) * x[i];
        y[r] = s;
    }
}

LMRT_API void lmrt_matvec_q8_0(float *LMRT_RESTRICT y, const void *LMRT_RESTRICT W,
                               const float *LMRT_RESTRICT x, int n_out, int n_in) {
    int nb = (n_in + LMRT_QK_ - 1) / LMRT_QK_;
    int full = n_in / LMRT_QK_;
    const uint8_t *base = (const uint8_t *)W;
    for (int r = 0; r < n_out; r++) {
        const uint8_t *row = base + (size_t)r * (size_t)nb * LMRT_Q8_0_BYTES_;
        float s = 0.0f;
        for (int b = 0; b < full; b++) {
            const uint8_t *blk = row + (size_t)b * LMRT_Q8_0_BYTES_;
            const int8_t *qs = (const int8_t *)(blk + 2);
            const float *xb = x + b * LMRT_QK_;
            float acc[8];
        LMRT_ZERO8_(acc);
            for (int i = 0; i < LMRT_QK_; i += 8)
                for (int j = 0; j < 8; j++) acc[j] += (float)qs[i + j] * xb[i + j];
            float bs = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
            s += lmrt_block_scale_(blk) * bs;
        }
        if (full < nb) {
            const uint8_t *blk = row + (size_t)full * LMRT_Q8_0_BYTES_;
            const int8_t *qs = (const int8_t *)(blk + 2);
            const float *xb = x + full * LMRT_QK_;
            float bs = 0.0f;
            for (int i = 0; i < n_in - full * LMRT_QK_; i++) bs += (float)qs[i] * xb[i];
            s += lmrt_block_scale_(blk) * bs;
        }
        y[r] = s;
    }
}

LMRT_API void lmrt_matvec_q4_0(float *LMRT_RESTRICT y, const void *LMRT_RESTRICT W,
                               const float *LMRT_RESTRICT x, int n_out, int n_in) {
    int nb = (n_in + LMRT_QK_ - 1) / LMRT_QK_;
    int full = n_in / LMRT_QK_;
    const uint8_t *base = (const uint8_t *)W;
    for (int r = 0; r < n_out; r++) {
        const uint8_t *row = base + (size_t)r * (size_t)nb * LMRT_Q4_0_BYTES_;
        float s = 0.0f;
        for (int b = 0; b < full; b++) {
            const uint8_t *blk = row + (size_t)b * LMRT_Q4_0_BYTES_;
            const uint8_t *qs = blk + 2;
            const float *xb = x + b * LMRT_QK_;
            float lo[8], hi[8];
            LMRT_ZERO8_(lo);
            LMRT_ZERO8_(hi);
            for (int i = 0; i < 16; i += 8)
                for (int j = 0; j < 8; j++) {
                    lo[j] += (float)((int)(qs[i + j] & 15) - 8) * xb[i + j];
                    hi[j] += (float)((int)(qs[i + j] >> 4) - 8) * xb[i + j + 16];
                }
            float bs = 0.0f;
            for (int j = 0; j < 8; j++) bs += lo[j] + hi[j];
            s += lmrt_block_scale_(blk) * bs;
        }
        if (full < nb) {
            const uint8_t *blk = row + (size_t)full * LMRT_Q4_0_BYTES_;
            const uint8_t *qs = blk + 2;
            const float *xb = x + full * LMRT_QK_;
            int rem = n_in - full * LMRT_QK_;
            float bs = 0.0f;
            for (int i = 0; i < rem; i++) {
                int q = i < 16 ? (qs[i] & 15) : (qs[i - 16] >> 4);
                bs += (float)(q - 8) * xb[i];
            }
            s += lmrt_block_scale_(blk) * bs;
        }
        y[r] = s;
    }
}

LMRT_API void lmrt_embed_f32(float *LMRT_RESTRICT y, const void *LMRT_RESTRICT table, int token, int dim) {
    const float *row = (const float *)table + (size_t)token * (size_t)dim;
    for (int i = 0; i < dim; i++) y[i] = row[i];
}

LMRT_API void lmrt_embed_f16(float *LMRT_RESTRICT y, const void *LMRT_RESTRICT table, int token, int dim) {
    const uint16_t *row = (const uint16_t *)table + (size_t)token * (size_t)dim;
    for (int i = 0; i < dim; i++) y[i] = lmrt_f16_to_f32(row[i]);
}

LMRT_API void lmrt_embed_q8_0(float *LMRT_RESTRICT y, const void *LMRT_RESTRICT table, int token, int dim) {
    int nb = (dim + LMRT_QK_ - 1) / LMRT_QK_;
    const uint8_t *row = (const uint8_t *)table + (size_t)token * (size_t)nb * LMRT_Q8_0_BYTES_;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = row + (size_t)b * LMRT_Q8_0_BYTES_;
        const int8_t *qs = (const int8_t *)(blk + 2);
        float d = lmrt_block_scale_(blk);
        int n = dim - b * LMRT_QK_ < LMRT_QK_ ? dim - b * LMRT_QK_ : LMRT_QK_;
        for (int i = 0; i < n; i++) y[b * LMRT_QK_ + i] = (float)qs[i] * d;
    }
}

LMRT_API void lmrt_embed_q4_0(float *LMRT_RESTRICT y, const void *LMRT_RESTRICT table, int token, int dim) {
    int nb = (dim + LMRT_QK_ - 1) / LMRT_QK_;
    const uint8_t *row = (const uint8_t *)table + (size_t)token * (size_t)nb * LMRT_Q4_0_BYTES_;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = row + (size_t)b * LMRT_Q4_0_BYTES_;
        const uint8_t *qs = blk + 2;
        float d = lmrt_block_scale_(blk);
        int n = dim - b * LMRT_QK_ < LMRT_QK_ ? dim - b * LMRT_QK_ : LMRT_QK_;
        for (int i = 0; i < n; i++) {
            int q = i < 16 ? (qs[i] & 15) : (qs[i - 16] >> 4);
            y[b * LMRT_QK_ + i] = (float)(q - 8) * d;
        }
    }
}

/* y = x / sqrt(mean(x^2) + eps) * w; sequential float sum and operation order as llama2.c */
LMRT_API void lmrt_rmsnorm(float *y, const float *x, const float *w, int n, float eps) {
    float ss = 0.0f;
    for (int i = 0; i < n; i++) ss += x[i] * x[i];
    ss /= (float)n;
    ss += eps;
    ss = 1.0f / lmrt_sqrtf(ss);
    for (int i = 0; i < n; i++) y[i] = w[i] * (ss * x[i]);
}

LMRT_API void lmrt_rope(float *x, int n_heads, int head_dim, int rope_dim, const float *cs, int neox) {
    int half = rope_dim / 2;
    for (int h = 0; h < n_heads; h++) {
        float *v = x + (size_t)h * (size_t)head_dim;
        for (int i = 0; i < half; i++) {
            int i0 = neox ? i : 2 * i;
            int i1 = neox ? i + half : 2 * i + 1;
            float c = cs[2 * i], s = cs[2 * i + 1];
            float a = v[i0], b = v[i1];
            v[i0] = a * c - b * s;
            v[i1] = a * s + b * c;
        }
    }
}

LMRT_API void lmrt_kv_store_f32(float *LMRT_RESTRICT cache, const float *LMRT_RESTRICT x, int n_kv, int ctx,
                                int head_dim, int pos) {
    for (int h = 0; h < n_kv; h++) {
        float *dst = cache + ((size_t)h * (size_t)ctx + (size_t)pos) * (size_t)head_dim;
        for (int i = 0; i < head_dim; i++) dst[i] = x[h * head_dim + i];
    }
}

LMRT_API void lmrt_kv_store_f16(uint16_t *LMRT_RESTRICT cache, const float *LMRT_RESTRICT x, int n_kv, int ctx,
                                int head_dim, int pos) {
    for (int h = 0; h < n_kv; h++) {
        uint16_t *dst = cache + ((size_t)h * (size_t)ctx + (size_t)pos) * (size_t)head_dim;
        for (int i = 0; i < head_dim; i++) dst[i] = lmrt_f32_to_f16(x[h * head_dim + i]);
    }
}

LMRT_API void lmrt_softmax(float *x, int n) {
    float mx = x[0];
    for (int i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        x[i] = lmrt_expf(x[i] - mx);
        sum += x[i];
    }
    for (int i = 0; i < n; i++) x[i] /= sum;
}

LMRT_API void lmrt_attention_f32(float *LMRT_RESTRICT out, const float *LMRT_RESTRICT q,
                                 const float *LMRT_RESTRICT kc, const float *LMRT_RESTRICT vc, int n_heads,
                                 int n_kv, int head_dim, int ctx, int pos, float scale,
                                 float *LMRT_RESTRICT scratch) {
    int group = n_heads / n_kv;
    for (int h = 0; h < n_heads; h++) {
        const float *qh = q + (size_t)h * (size_t)head_dim;
        size_t kvoff = (size_t)(h / group) * (size_t)ctx * (size_t)head_dim;
        const float *k = kc + kvoff, *v = vc + kvoff;
        for (int t = 0; t <= pos; t++) scratch[t] = lmrt_dot_f32_(qh, k + (size_t)t * (size_t)head_dim, head_dim) * scale;
        lmrt_softmax(scratch, pos + 1);
        float *o = out + (size_t)h * (size_t)head_dim;
        for (int i = 0; i < head_dim; i++) o[i] = 0.0f;
        for (int t = 0; t <= pos; t++) {
            const float *vt = v + (size_t)t * (size_t)head_dim;
            float p = scratch[t];
            for (int i = 0; i < head_dim; i++) o[i] += p * vt[i];
        }
    }
}

LMRT_API void lmrt_attention_f16(float *LMRT_RESTRICT out, const float *LMRT_RESTRICT q,
                                 const uint16_t *LMRT_RESTRICT kc, const uint16_t *LMRT_RESTRICT vc, int n_heads,
                                 int n_kv, int head_dim, int ctx, int pos, float scale,
                                 float *LMRT_RESTRICT scratch) {
    int group = n_heads / n_kv;
    for (int h = 0; h < n_heads; h++) {
        const float *qh = q + (size_t)h * (size_t)head_dim;
        size_t kvoff = (size_t)(h / group) * (size_t)ctx * (size_t)head_dim;
        const uint16_t *k = kc + kvoff, *v = vc + kvoff;
        for (int t = 0; t <= pos; t++) {
            const uint16_t *kt = k + (size_t)t * (size_t)head_dim;
            float acc[4];
            for (int j = 0; j < 4; j++) acc[j] = 0.0f;
            int i = 0;
            for (; i + 4 <= head_dim; i += 4)
                for (int j = 0; j < 4; j++) acc[j] += qh[i + j] * lmrt_f16_to_f32(kt[i + j]);
            float s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
            for (; i < head_dim; i++) s += qh[i] * lmrt_f16_to_f32(kt[i]);
            scratch[t] = s * scale;
        }
        lmrt_softmax(scratch, pos + 1);
        float *o = out + (size_t)h * (size_t)head_dim;
        for (int i = 0; i < head_dim; i++) o[i] = 0.0f;
        for (int t = 0; t <= pos; t++) {
            const uint16_t *vt = v + (size_t)t * (size_t)head_dim;
            float p = scratch[t];
            for (int i = 0; i < head_dim; i++) o[i] += p * lmrt_f16_to_f32(vt[i]);
        }
    }
}

/* elementwise ops: y may alias an input, so no restrict */
LMRT_API void lmrt_add(float *y, const float *a, const float *b, int n) {
    for (int i = 0; i < n; i++) y[i] = a[i] + b[i];
}

LMRT_API void lmrt_mul(float *y, const float *a, const float *b, int n) {
    for (int i = 0; i < n; i++) y[i] = a[i] * b[i];
}

/* x * sigmoid(x); lmrt_sigmoidf stays accurate where e^-x overflows */
LMRT_API void lmrt_silu(float *y, const float *a, int n) {
    for (int i = 0; i < n; i++) y[i] = a[i] * lmrt_sigmoidf(a[i]);
}

LMRT_API void lmrt_swiglu(float *y, const float *gate, const float *up, int n) {
    for (int i = 0; i < n; i++) {
        float g = gate[i];
        y[i] = g * lmrt_sigmoidf(g) * up[i];
    }
}

/* ---- kernel contract v2: every lmrt_k_* is the portable implementation ---- */
#include "lmrt_kernels_scalar.h"

#define lmrt_k_embed_f32 lmrt_scalar_embed_f32
#define lmrt_k_embed_f16 lmrt_scalar_embed_f16
#define lmrt_k_embed_q8_0 lmrt_scalar_embed_q8_0
#define lmrt_k_embed_q4_0 lmrt_scalar_embed_q4_0
#define lmrt_k_normalize lmrt_scalar_normalize
#define lmrt_k_hadamard lmrt_scalar_hadamard
#define lmrt_k_rmsnorm lmrt_scalar_rmsnorm
#define lmrt_k_quantize_q8a lmrt_scalar_quantize_q8a
#define lmrt_k_matmul_f32_f32 lmrt_scalar_matmul_f32_f32
#define lmrt_k_matmul_add_f32_f32 lmrt_scalar_matmul_add_f32_f32
#define lmrt_k_matmul_swiglu_f32_f32 lmrt_scalar_matmul_swiglu_f32_f32
#define lmrt_k_matmul_f16_f32 lmrt_scalar_matmul_f16_f32
#define lmrt_k_matmul_add_f16_f32 lmrt_scalar_matmul_add_f16_f32
#define lmrt_k_matmul_swiglu_f16_f32 lmrt_scalar_matmul_swiglu_f16_f32
#define lmrt_k_matmul_q8_0_f32 lmrt_scalar_matmul_q8_0_f32
#define lmrt_k_matmul_add_q8_0_f32 lmrt_scalar_matmul_add_q8_0_f32
#define lmrt_k_matmul_swiglu_q8_0_f32 lmrt_scalar_matmul_swiglu_q8_0_f32
#define lmrt_k_matmul_q4_0_f32 lmrt_scalar_matmul_q4_0_f32
#define lmrt_k_matmul_add_q4_0_f32 lmrt_scalar_matmul_add_q4_0_f32
#define lmrt_k_matmul_swiglu_q4_0_f32 lmrt_scalar_matmul_swiglu_q4_0_f32
#define lmrt_k_matmul_q8_0t_f32 lmrt_scalar_matmul_q8_0t_f32
#define lmrt_k_matmul_add_q8_0t_f32 lmrt_scalar_matmul_add_q8_0t_f32
#define lmrt_k_matmul_swiglu_q8_0t_f32 lmrt_scalar_matmul_swiglu_q8_0t_f32
#define lmrt_k_matmul_q4_0t_f32 lmrt_scalar_matmul_q4_0t_f32
#define lmrt_k_matmul_add_q4_0t_f32 lmrt_scalar_matmul_add_q4_0t_f32
#define lmrt_k_matmul_swiglu_q4_0t_f32 lmrt_scalar_matmul_swiglu_q4_0t_f32
#define lmrt_k_matmul_q8_0_q8a lmrt_scalar_matmul_q8_0_q8a
#define lmrt_k_matmul_add_q8_0_q8a lmrt_scalar_matmul_add_q8_0_q8a
#define lmrt_k_matmul_swiglu_q8_0_q8a lmrt_scalar_matmul_swiglu_q8_0_q8a
#define lmrt_k_matmul_q4_0_q8a lmrt_scalar_matmul_q4_0_q8a
#define lmrt_k_matmul_add_q4_0_q8a lmrt_scalar_matmul_add_q4_0_q8a
#define lmrt_k_matmul_swiglu_q4_0_q8a lmrt_scalar_matmul_swiglu_q4_0_q8a
#define lmrt_k_matmul_q8_0t_q8a lmrt_scalar_matmul_q8_0t_q8a
#define lmrt_k_matmul_add_q8_0t_q8a lmrt_scalar_matmul_add_q8_0t_q8a
#define lmrt_k_matmul_swiglu_q8_0t_q8a lmrt_scalar_matmul_swiglu_q8_0t_q8a
#define lmrt_k_matmul_q4_0t_q8a lmrt_scalar_matmul_q4_0t_q8a
#define lmrt_k_matmul_add_q4_0t_q8a lmrt_scalar_matmul_add_q4_0t_q8a
#define lmrt_k_matmul_swiglu_q4_0t_q8a lmrt_scalar_matmul_swiglu_q4_0t_q8a
#define lmrt_k_qkv_f32_f32_f32 lmrt_scalar_qkv_f32_f32_f32
#define lmrt_k_qkv_f32_f32_f16 lmrt_scalar_qkv_f32_f32_f16
#define lmrt_k_qkv_f16_f32_f32 lmrt_scalar_qkv_f16_f32_f32
#define lmrt_k_qkv_f16_f32_f16 lmrt_scalar_qkv_f16_f32_f16
#define lmrt_k_qkv_q8_0_f32_f32 lmrt_scalar_qkv_q8_0_f32_f32
#define lmrt_k_qkv_q8_0_f32_f16 lmrt_scalar_qkv_q8_0_f32_f16
#define lmrt_k_qkv_q4_0_f32_f32 lmrt_scalar_qkv_q4_0_f32_f32
#define lmrt_k_qkv_q4_0_f32_f16 lmrt_scalar_qkv_q4_0_f32_f16
#define lmrt_k_qkv_q8_0t_f32_f32 lmrt_scalar_qkv_q8_0t_f32_f32
#define lmrt_k_qkv_q8_0t_f32_f16 lmrt_scalar_qkv_q8_0t_f32_f16
#define lmrt_k_qkv_q4_0t_f32_f32 lmrt_scalar_qkv_q4_0t_f32_f32
#define lmrt_k_qkv_q4_0t_f32_f16 lmrt_scalar_qkv_q4_0t_f32_f16
#define lmrt_k_qkv_q8_0_q8a_f32 lmrt_scalar_qkv_q8_0_q8a_f32
#define lmrt_k_qkv_q8_0_q8a_f16 lmrt_scalar_qkv_q8_0_q8a_f16
#define lmrt_k_qkv_q4_0_q8a_f32 lmrt_scalar_qkv_q4_0_q8a_f32
#define lmrt_k_qkv_q4_0_q8a_f16 lmrt_scalar_qkv_q4_0_q8a_f16
#define lmrt_k_qkv_q8_0t_q8a_f32 lmrt_scalar_qkv_q8_0t_q8a_f32
#define lmrt_k_qkv_q8_0t_q8a_f16 lmrt_scalar_qkv_q8_0t_q8a_f16
#define lmrt_k_qkv_q4_0t_q8a_f32 lmrt_scalar_qkv_q4_0t_q8a_f32
#define lmrt_k_qkv_q4_0t_q8a_f16 lmrt_scalar_qkv_q4_0t_q8a_f16
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
#include "lmrt_kernels_q4x_generic.h" /* 4-bit variants and K-quants */

#endif
