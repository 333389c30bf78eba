/* lmrt_kernels_scalar.h - portable implementations of kernel contract v2 (docs/KERNELS.md).
 *
 * Every v2 kernel as lmrt_scalar_<name>; lmrt_kernels_fallback.h maps each lmrt_k_<name> a kernel set
 * does not define to these.  Plain loops with independent accumulators so gcc/clang
 * vectorize them without -ffast-math; arrays are zeroed with loops (an aggregate initializer becomes
 * a memset call at clang -O0, and freestanding output has none).
 *
 * Weights: plain rows of ceil(K/32) GGUF blocks (q8_0 = {f16 d; int8 qs[32]}, q4_0 = {f16 d; u8 qs[16]},
 * element j < 16 in the low nibble of qs[j], j >= 16 in the high nibble of qs[j-16]), or the tiled
 * q8_0t / q4_0t layout of lmrt_tiled.h.  With f32 activations only the K valid elements are read; q8a
 * activations are zero-padded, so whole blocks are summed in int32 (ggml's vec_dot_q*_0_q8_0).
 * Fused kernels perform the same float operations as the unfused sequence, so they match bit for bit.
 */
#ifndef LMRT_KERNELS_SCALAR_H
#define LMRT_KERNELS_SCALAR_H

#include "lmrt_base.h"
#include "lmrt_math.h"
#include "lmrt_quant.h"
#include "lmrt_tiled.h"

/* split [0, units) into nth nearly equal contiguous ranges */
LMRT_INLINE void lmrt_split(int units, int tid, int nth, int *u0, int *u1) {
    *u0 = (int)((int64_t)units * tid / nth);
    *u1 = (int)((int64_t)units * (tid + 1) / nth);
}

/* this thread's output rows [r0, r1) of N, split in units of gran rows */
LMRT_INLINE void lmrt_scalar_rows_(int N, int gran, int tid, int nth, int *r0, int *r1) {
    int u0, u1;
    if (gran < 1) gran = 1;
    lmrt_split((N + gran - 1) / gran, tid, nth, &u0, &u1);
    *r0 = u0 * gran < N ? u0 * gran : N;
    *r1 = u1 * gran < N ? u1 * gran : N;
}

LMRT_INLINE float lmrt_scalar_sum8_(const float *a) {
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

LMRT_INLINE float lmrt_scalar_q8a_d_(const uint8_t *blk) {
    union { float f; uint8_t b[4]; } u;
    for (int i = 0; i < 4; i++) u.b[i] = blk[i];
    return u.f;
}

/* ---- one row . one activation row ---------------------------------------
 * lmrt_scalar_dot_<w>_<a>_(W, r, K, R, x): row r of W (R: tile rows, tiled formats only). */

LMRT_INLINE float lmrt_scalar_dot_f32_f32_(const void *W, int r, int K, int R, const void *xv) {
    (void)R;
    const float *LMRT_RESTRICT w = (const float *)W + (size_t)r * (size_t)K;
    const float *LMRT_RESTRICT x = (const float *)xv;
    float acc[8];
    for (int j = 0; j < 8; j++) acc[j] = 0.0f;
    int i = 0;
    for (; i + 8 <= K; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += w[i + j] * x[i + j];
    float s = lmrt_scalar_sum8_(acc);
    /* the tail as its own count: gcc for 32-bit targets otherwise "proves" an
     * out-of-range iteration from the unknown K (-Waggressive-loop-optimizations) */
    const float *LMRT_RESTRICT wt = w + i, *LMRT_RESTRICT xt = x + i;
    for (int j = 0, rem = K - i; j < rem; j++) s += wt[j] * xt[j];
    return s;
}

/* 16-bit float weights: f16 (IEEE half) or bf16 (the top half of an f32) */
LMRT_INLINE float lmrt_scalar_h16_(uint16_t h, int bf16) { return bf16 ? lmrt_bf16_to_f32(h) : lmrt_f16_to_f32(h); }

LMRT_INLINE float lmrt_scalar_dot_h16_(int bf16, const void *W, int r, int K, const void *xv) {
    const uint16_t *LMRT_RESTRICT w = (const uint16_t *)W + (size_t)r * (size_t)K;
    const float *LMRT_RESTRICT x = (const float *)xv;
    float acc[8];
    for (int j = 0; j < 8; j++) acc[j] = 0.0f;
    int i = 0;
    for (; i + 8 <= K; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += lmrt_scalar_h16_(w[i + j], bf16) * x[i + j];
    float s = lmrt_scalar_sum8_(acc);
    const uint16_t *LMRT_RESTRICT wt = w + i;
    const float *LMRT_RESTRICT xt = x + i;
    for (int j = 0, rem = K - i; j < rem; j++) s += lmrt_scalar_h16_(wt[j], bf16) * xt[j];
    return s;
}

LMRT_INLINE float lmrt_scalar_dot_f16_f32_(const void *W, int r, int K, int R, const void *xv) {
    (void)R;
    return lmrt_scalar_dot_h16_(0, W, r, K, xv);
}

LMRT_INLINE float lmrt_scalar_dot_bf16_f32_(const void *W, int r, int K, int R, const void *xv) {
    (void)R;
    return lmrt_scalar_dot_h16_(1, W, r, K, xv);
}

/* sum_j q_j x_j of one q8_0 / q4_0 payload over its first m (<= 32) elements */
LMRT_INLINE float lmrt_scalar_blk_q8_f32_(const int8_t *LMRT_RESTRICT qs, const float *LMRT_RESTRICT x, int m) {
    if (m < 32) {
        float s = 0.0f;
        for (int i = 0; i < m; i++) s += (float)qs[i] * x[i];
        return s;
    }
    float acc[8];
    for (int j = 0; j < 8; j++) acc[j] = 0.0f;
    for (int i = 0; i < 32; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += (float)qs[i + j] * x[i + j];
    return lmrt_scalar_sum8_(acc);
}

LMRT_INLINE float lmrt_scalar_blk_q4_f32_(const uint8_t *LMRT_RESTRICT qs, const float *LMRT_RESTRICT x, int m) {
    if (m < 32) {
        float s = 0.0f;
        for (int i = 0; i < m; i++) {
            int q = i < 16 ? (qs[i] & 15) : (qs[i - 16] >> 4);
            s += (float)(q - 8) * x[i];
        }
        return s;
    }
    float lo[8], hi[8];
    for (int j = 0; j < 8; j++) lo[j] = hi[j] = 0.0f;
    for (int i = 0; i < 16; i += 8)
        for (int j = 0; j < 8; j++) {
            lo[j] += (float)((int)(qs[i + j] & 15) - 8) * x[i + j];
            hi[j] += (float)((int)(qs[i + j] >> 4) - 8) * x[i + j + 16];
        }
    float s = 0.0f;
    for (int j = 0; j < 8; j++) s += lo[j] + hi[j];
    return s;
}

/* integer dots of whole blocks (q8a padding is zero) */
LMRT_INLINE int32_t lmrt_scalar_blk_q8_q8a_(const int8_t *LMRT_RESTRICT qs, const int8_t *LMRT_RESTRICT a) {
    int32_t s = 0;
    for (int i = 0; i < 32; i++) s += (int32_t)qs[i] * (int32_t)a[i];
    return s;
}

LMRT_INLINE int32_t lmrt_scalar_blk_q4_q8a_(const uint8_t *LMRT_RESTRICT qs, const int8_t *LMRT_RESTRICT a) {
    int32_t s = 0;
    for (int i = 0; i < 16; i++)
        s += ((int32_t)(qs[i] & 15) - 8) * (int32_t)a[i] + ((int32_t)(qs[i] >> 4) - 8) * (int32_t)a[i + 16];
    return s;
}

/* A row dot over plain GGUF blocks of BYTES bytes (an f16 scale, then the payload of type QT):
 * f32 activations: per block d_w * BLK(payload, x, valid elements); q8a activations: per block
 * (d_w * d_x) * BLK(payload, codes), the order of lmrt_tiled_dot_q8a, so plain and tiled agree
 * exactly.  An accelerated set builds its dots from its own block sums with the same macros, so it
 * matches this set bit for bit whenever its block sums do. */
#define LMRT_ROW_DOT_F32_(NAME, BYTES, QT, BLK)                                                               \
    LMRT_INLINE float NAME(const void *W, int r, int K, int R, const void *xv) {                              \
        (void)R;                                                                                              \
        int nb = (K + 31) / 32;                                                                               \
        const uint8_t *row = (const uint8_t *)W + (size_t)r * (size_t)nb * BYTES;                             \
        const float *x = (const float *)xv;                                                                   \
        float s = 0.0f;                                                                                       \
        for (int b = 0; b < nb; b++) {                                                                        \
            const uint8_t *blk = row + (size_t)b * BYTES;                                                     \
            int m = K - 32 * b < 32 ? K - 32 * b : 32;                                                        \
            s += lmrt_load_f16le(blk) * BLK((const QT *)(blk + 2), x + 32 * b, m);                            \
        }                                                                                                     \
        return s;                                                                                             \
    }
#define LMRT_ROW_DOT_Q8A_(NAME, BYTES, QT, BLK)                                                               \
    LMRT_INLINE float NAME(const void *W, int r, int K, int R, const void *xv) {                              \
        (void)R;                                                                                              \
        int nb = (K + 31) / 32;                                                                               \
        const uint8_t *row = (const uint8_t *)W + (size_t)r * (size_t)nb * BYTES;                             \
        const uint8_t *a = (const uint8_t *)xv;                                                               \
        float s = 0.0f;                                                                                       \
        for (int b = 0; b < nb; b++, a += LMRT_Q8A_BYTES) {                                                   \
            const uint8_t *blk = row + (size_t)b * BYTES;                                                     \
            int32_t si = BLK((const QT *)(blk + 2), (const int8_t *)(a + 4));                                 \
            s += (lmrt_load_f16le(blk) * lmrt_scalar_q8a_d_(a)) * (float)si;                                  \
        }                                                                                                     \
        return s;                                                                                             \
    }

LMRT_ROW_DOT_F32_(lmrt_scalar_dot_q8_0_f32_, 34, int8_t, lmrt_scalar_blk_q8_f32_)
LMRT_ROW_DOT_F32_(lmrt_scalar_dot_q4_0_f32_, 18, uint8_t, lmrt_scalar_blk_q4_f32_)
LMRT_ROW_DOT_Q8A_(lmrt_scalar_dot_q8_0_q8a_, 34, int8_t, lmrt_scalar_blk_q8_q8a_)
LMRT_ROW_DOT_Q8A_(lmrt_scalar_dot_q4_0_q8a_, 18, uint8_t, lmrt_scalar_blk_q4_q8a_)

/* tiled: the scale of (row, block b) is at tile + 2i, its payload lmrt_tiled_row_payload_ (lmrt_tiled.h) */
LMRT_INLINE float lmrt_scalar_dot_tiled_f32_(int type, const void *W, int r, int K, int R, const void *xv) {
    int P = lmrt_tiled_payload(type), nb = (K + 31) / 32, i = r % R;
    size_t tb = (size_t)R * (size_t)(2 + P);
    const uint8_t *tile = (const uint8_t *)W + (size_t)(r / R) * lmrt_tiled_group_bytes(type, R, K);
    const float *x = (const float *)xv;
    float s = 0.0f;
    for (int b = 0; b < nb; b++, tile += tb) {
        uint8_t buf[32]; /* filled by the gather; zeroed by a loop so gcc sees it (= {0}: memset at -O0) */
        lmrt_memset(buf, 0, sizeof buf);
        const uint8_t *qs = lmrt_tiled_row_payload_(type, R, tile, i, buf);
        int m = K - 32 * b < 32 ? K - 32 * b : 32;
        float bs = type == LMRT_GGML_Q8_0 ? lmrt_scalar_blk_q8_f32_((const int8_t *)qs, x + 32 * b, m)
                                          : lmrt_scalar_blk_q4_f32_(qs, x + 32 * b, m);
        s += lmrt_load_f16le(tile + 2 * i) * bs;
    }
    return s;
}

LMRT_INLINE float lmrt_scalar_dot_tiled_q8a_(int type, const void *W, int r, int K, int R, const void *xv) {
    int P = lmrt_tiled_payload(type), nb = (K + 31) / 32, i = r % R;
    size_t tb = (size_t)R * (size_t)(2 + P);
    const uint8_t *tile = (const uint8_t *)W + (size_t)(r / R) * lmrt_tiled_group_bytes(type, R, K);
    const uint8_t *a = (const uint8_t *)xv;
    float s = 0.0f;
    for (int b = 0; b < nb; b++, tile += tb, a += LMRT_Q8A_BYTES) {
        uint8_t buf[32]; /* filled by the gather; zeroed by a loop so gcc sees it (= {0}: memset at -O0) */
        lmrt_memset(buf, 0, sizeof buf);
        const uint8_t *qs = lmrt_tiled_row_payload_(type, R, tile, i, buf);
        int32_t si = type == LMRT_GGML_Q8_0 ? lmrt_scalar_blk_q8_q8a_((const int8_t *)qs, (const int8_t *)(a + 4))
                                            : lmrt_scalar_blk_q4_q8a_(qs, (const int8_t *)(a + 4));
        s += (lmrt_load_f16le(tile + 2 * i) * lmrt_scalar_q8a_d_(a)) * (float)si;
    }
    return s;
}

LMRT_INLINE float lmrt_scalar_dot_q8_0t_f32_(const void *W, int r, int K, int R, const void *x) {
    return lmrt_scalar_dot_tiled_f32_(LMRT_GGML_Q8_0, W, r, K, R, x);
}
LMRT_INLINE float lmrt_scalar_dot_q4_0t_f32_(const void *W, int r, int K, int R, const void *x) {
    return lmrt_scalar_dot_tiled_f32_(LMRT_GGML_Q4_0, W, r, K, R, x);
}
LMRT_INLINE float lmrt_scalar_dot_q8_0t_q8a_(const void *W, int r, int K, int R, const void *x) {
    return lmrt_scalar_dot_tiled_q8a_(LMRT_GGML_Q8_0, W, r, K, R, x);
}
LMRT_INLINE float lmrt_scalar_dot_q4_0t_q8a_(const void *W, int r, int K, int R, const void *x) {
    return lmrt_scalar_dot_tiled_q8a_(LMRT_GGML_Q4_0, W, r, K, R, x);
}

/* bytes of one activation row */
LMRT_INLINE size_t lmrt_scalar_xs_f32_(int K) { return (size_t)K * sizeof(float); }
LMRT_INLINE size_t lmrt_scalar_xs_q8a_(int K) { return (size_t)((K + 31) / 32) * LMRT_Q8A_BYTES; }

/* split granularity of the row split: whole tiles for tiled weights */
#define LMRT_SCALAR_GRAN_(R) ((R) > 1 ? (R) : 1)

LMRT_INLINE float lmrt_scalar_silu_mul_(float g, float u) {
    return g * lmrt_sigmoidf(g) * u;
}

LMRT_INLINE void lmrt_scalar_rope_pair_(float *a, float *b, const float *cs, int i) {
    float c = cs[2 * i], s = cs[2 * i + 1], x0 = *a, x1 = *b;
    *a = x0 * c - x1 * s;
    *b = x0 * s + x1 * c;
}

LMRT_INLINE void lmrt_scalar_rope_head_(float *v, int rope_dim, int neox, const float *cs) {
    int half = rope_dim / 2;
    for (int i = 0; i < half; i++) {
        int i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
        lmrt_scalar_rope_pair_(v + i0, v + i1, cs, i);
    }
}

/* x / d rounded (lmrt_roundf) to an int8 in -127..127 (0 when d is 0), as a byte */
LMRT_INLINE uint8_t lmrt_scalar_q8_elem_(float x, float d) {
    float q = d != 0.0f ? lmrt_roundf(x / d) : 0.0f;
    if (!(q >= -127.0f)) q = q != q ? 0.0f : -127.0f; /* only NaN/inf inputs get here */
    if (q > 127.0f) q = 127.0f;
    return (uint8_t)(int8_t)q;
}

/* one int8 block: d = amax/127 of x[0..m) (4 bytes, then len int8 from o + 4), q = round(x / d)
 * (lmrt_roundf), zero past m; the q8a activation blocks (len 32) and the q8 KV rows (len head_dim) */
LMRT_INLINE void lmrt_scalar_q8_block_(uint8_t *blk, const float *xb, int m, int len) {
    float amax = 0.0f;
    for (int i = 0; i < m; i++) {
        float a = lmrt_fabsf(xb[i]);
        amax = a > amax ? a : amax;
    }
    float d = amax / 127.0f;
    union { float f; uint8_t b[4]; } u;
    u.f = d;
    for (int i = 0; i < 4; i++) blk[i] = u.b[i];
    for (int i = 0; i < len; i++) blk[4 + i] = i < m ? lmrt_scalar_q8_elem_(xb[i], d) : 0;
}

/* KV cache element kinds (the <kv> of the kernel names): f32, f16, or q8: a row of head_dim int8
 * after its f32 scale (one block per token and KV head, head_dim + 4 bytes) */
#define LMRT_KV_F32 0
#define LMRT_KV_F16 1
#define LMRT_KV_Q8 2

/* bytes of one cache row (one head at one position) */
LMRT_INLINE size_t lmrt_kv_row_bytes_(int kind, int hd) {
    return kind == LMRT_KV_Q8 ? (size_t)hd + 4 : (size_t)hd * (kind == LMRT_KV_F16 ? 2 : 4);
}

/* row `row` (h * slots + slot) of a cache = v[0..hd) */
LMRT_INLINE void lmrt_scalar_store_kv_(void *cache, int kind, size_t row, const float *v, int hd) {
    uint8_t *c = (uint8_t *)cache + row * lmrt_kv_row_bytes_(kind, hd);
    if (kind == LMRT_KV_Q8)
        lmrt_scalar_q8_block_(c, v, hd, hd);
    else if (kind == LMRT_KV_F16)
        for (int i = 0; i < hd; i++) ((uint16_t *)(void *)c)[i] = lmrt_f32_to_f16(v[i]);
    else
        for (int i = 0; i < hd; i++) ((float *)(void *)c)[i] = v[i];
}

#define LMRT_SCALAR_QKV_HD_ 512 /* head_dim of the stack buffer; wider heads are computed in place */

/* The linear family of one weight/activation pair built from a row dot DOT_(W, r, K, R, x):
 * lmrt_<P>_matmul_<W>_<A>, matmul_add, matmul_swiglu and qkv_<W>_<A>_f32 / _f16 / _q8, in the loop order
 * and float operation order of this set.  The portable set is P = scalar with its own dots; a set
 * whose dot returns the scalar dot's value bit for bit matches the portable kernels bit for bit
 * (x86 K-quants, Cortex-M). */

/* qkv: q/k/v head unit u of token t: hd rows (u*hd ..), roped (rope row t) if u < H + Hkv, to q or a cache
 * row.  A head wider than the stack buffer goes to its cache element by element, rope pair by pair
 * (a q8 row in two passes: its scale is the amax of the whole row) */
#define LMRT_QKV_(P_, W_, A_, KV_, KIND_, DOT_)                                                                  \
    LMRT_API void lmrt_##P_##_qkv_##W_##_##A_##_##KV_(                                                           \
        float *q, const void *W, const void *x, int n, int K, int H, int Hkv, int hd, int rope_dim, int neox,    \
        const float *rope, void *kc, void *vc, int slots, int pos, int R, int tid, int nth) {                    \
        int u0, u1;                                                                                              \
        lmrt_split(H + 2 * Hkv, tid, nth, &u0, &u1);                                                             \
        size_t xs = lmrt_scalar_xs_##A_##_(K);                                                                   \
        float buf[LMRT_SCALAR_QKV_HD_];                                                                          \
        for (int u = u0; u < u1; u++)                                                                            \
            for (int t = 0; t < n; t++) {                                                                        \
                int p = pos + t;                                                                                 \
                const void *xt = (const uint8_t *)x + (size_t)t * xs;                                            \
                float *v = u < H ? q + ((size_t)t * (size_t)H + (size_t)u) * (size_t)hd                          \
                                 : hd <= LMRT_SCALAR_QKV_HD_ ? buf : (float *)0;                                 \
                int h = u < H + Hkv ? u - H : u - H - Hkv;                                                       \
                void *cache = u < H + Hkv ? kc : vc;                                                             \
                size_t row = (size_t)h * (size_t)slots + (size_t)(p % slots);                                    \
                if (!v) { /* a wide head */                                                                      \
                    uint8_t *c = (uint8_t *)cache + row * lmrt_kv_row_bytes_(KIND_, hd);                         \
                    int half = u < H + Hkv ? rope_dim / 2 : 0;                                                   \
                    float amax = 0.0f, d = 0.0f;                                                                 \
                    for (int pass = KIND_ == LMRT_KV_Q8 ? 0 : 1; pass < 2; pass++) {                             \
                        if (pass) {                                                                              \
                            d = amax / 127.0f;                                                                   \
                            if (KIND_ == LMRT_KV_Q8) lmrt_memcpy(c, &d, sizeof d);                               \
                        }                                                                                        \
                        for (int i = 0; i < hd; i++) {                                                           \
                            int pr = i < 2 * half ? (neox ? i % half : i / 2) : -1; /* its rope pair */          \
                            float y;                                                                             \
                            if (pr < 0) y = DOT_(W, u * hd + i, K, R, xt);                                       \
                            else {                                                                               \
                                int i0 = neox ? pr : 2 * pr, i1 = neox ? pr + half : 2 * pr + 1;                 \
                                float b0 = DOT_(W, u * hd + i0, K, R, xt);                                       \
                                float b1 = DOT_(W, u * hd + i1, K, R, xt);                                       \
                                lmrt_scalar_rope_pair_(&b0, &b1, rope + (size_t)t * (size_t)rope_dim, pr);       \
                                y = i == i0 ? b0 : b1;                                                           \
                            }                                                                                    \
                            if (!pass) amax = lmrt_fabsf(y) > amax ? lmrt_fabsf(y) : amax;                       \
                            else if (KIND_ == LMRT_KV_Q8) c[4 + i] = lmrt_scalar_q8_elem_(y, d);                 \
                            else if (KIND_ == LMRT_KV_F16) ((uint16_t *)(void *)c)[i] = lmrt_f32_to_f16(y);      \
                            else ((float *)(void *)c)[i] = y;                                                    \
                        }                                                                                        \
                    }                                                                                            \
                    continue;                                                                                    \
                }                                                                                                \
                for (int i = 0; i < hd; i++) v[i] = DOT_(W, u * hd + i, K, R, xt);                               \
                if (u < H + Hkv) lmrt_scalar_rope_head_(v, rope_dim, neox, rope + (size_t)t * (size_t)rope_dim); \
                if (u >= H) lmrt_scalar_store_kv_(cache, KIND_, row, v, hd);                                     \
            }                                                                                                    \
    }

#define LMRT_LINEAR_(P_, W_, A_, DOT_)                                                                           \
    LMRT_API void lmrt_##P_##_matmul_##W_##_##A_(float *y, const void *W, const void *x, int n, int N, int K,    \
                                                 int R, int tid, int nth) {                                      \
        int r0, r1;                                                                                              \
        lmrt_scalar_rows_(N, LMRT_SCALAR_GRAN_(R), tid, nth, &r0, &r1);                                          \
        size_t xs = lmrt_scalar_xs_##A_##_(K);                                                                   \
        for (int r = r0; r < r1; r++)                                                                            \
            for (int t = 0; t < n; t++)                                                                          \
                y[(size_t)t * (size_t)N + (size_t)r] =                                                           \
                    DOT_(W, r, K, R, (const uint8_t *)x + (size_t)t * xs);                                       \
    }                                                                                                            \
    /* y may alias res: each element is read before it is written */                                             \
    LMRT_API void lmrt_##P_##_matmul_add_##W_##_##A_(float *y, const void *W, const void *x, const float *res,   \
                                                     int n, int N, int K, int R, int tid, int nth) {             \
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
    LMRT_API void lmrt_##P_##_matmul_swiglu_##W_##_##A_(float *y, const void *W, const void *x, int n, int F,    \
                                                        int K, int R, int tid, int nth) {                        \
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
    LMRT_QKV_(P_, W_, A_, f32, LMRT_KV_F32, DOT_)                                                                \
    LMRT_QKV_(P_, W_, A_, f16, LMRT_KV_F16, DOT_)                                                                \
    LMRT_QKV_(P_, W_, A_, q8, LMRT_KV_Q8, DOT_)
#define LMRT_SCALAR_LINEAR_(W_, A_) LMRT_LINEAR_(scalar, W_, A_, lmrt_scalar_dot_##W_##_##A_##_)

LMRT_SCALAR_LINEAR_(f32, f32)
LMRT_SCALAR_LINEAR_(f16, f32)
LMRT_SCALAR_LINEAR_(bf16, f32)
LMRT_SCALAR_LINEAR_(q8_0, f32)
LMRT_SCALAR_LINEAR_(q4_0, f32)
LMRT_SCALAR_LINEAR_(q8_0t, f32)
LMRT_SCALAR_LINEAR_(q4_0t, f32)
LMRT_SCALAR_LINEAR_(q8_0, q8a)
LMRT_SCALAR_LINEAR_(q4_0, q8a)
LMRT_SCALAR_LINEAR_(q8_0t, q8a)
LMRT_SCALAR_LINEAR_(q4_0t, q8a)

/* ---- embed (tid 0) ------------------------------------------------------- */

LMRT_API void lmrt_scalar_embed_f32(float *y, const void *table, const int32_t *tokens, int n, int D) {
    for (int t = 0; t < n; t++) {
        const float *row = (const float *)table + (size_t)tokens[t] * (size_t)D;
        for (int i = 0; i < D; i++) y[(size_t)t * (size_t)D + (size_t)i] = row[i];
    }
}

LMRT_INLINE void lmrt_scalar_embed_h16_(int bf16, float *y, const void *table, const int32_t *tokens, int n, int D) {
    for (int t = 0; t < n; t++) {
        const uint16_t *row = (const uint16_t *)table + (size_t)tokens[t] * (size_t)D;
        for (int i = 0; i < D; i++) y[(size_t)t * (size_t)D + (size_t)i] = lmrt_scalar_h16_(row[i], bf16);
    }
}

LMRT_API void lmrt_scalar_embed_f16(float *y, const void *table, const int32_t *tokens, int n, int D) {
    lmrt_scalar_embed_h16_(0, y, table, tokens, n, D);
}

LMRT_API void lmrt_scalar_embed_bf16(float *y, const void *table, const int32_t *tokens, int n, int D) {
    lmrt_scalar_embed_h16_(1, y, table, tokens, n, D);
}

LMRT_API void lmrt_scalar_embed_q8_0(float *y, const void *table, const int32_t *tokens, int n, int D) {
    size_t rb = (size_t)((D + 31) / 32) * 34;
    for (int t = 0; t < n; t++) {
        const uint8_t *row = (const uint8_t *)table + (size_t)tokens[t] * rb;
        float *yt = y + (size_t)t * (size_t)D;
        for (int i = 0; i < D; i++) {
            const uint8_t *blk = row + (size_t)(i / 32) * 34;
            yt[i] = (float)(int8_t)blk[2 + i % 32] * lmrt_load_f16le(blk);
        }
    }
}

LMRT_API void lmrt_scalar_embed_q4_0(float *y, const void *table, const int32_t *tokens, int n, int D) {
    size_t rb = (size_t)((D + 31) / 32) * 18;
    for (int t = 0; t < n; t++) {
        const uint8_t *row = (const uint8_t *)table + (size_t)tokens[t] * rb;
        float *yt = y + (size_t)t * (size_t)D;
        for (int i = 0; i < D; i++) {
            const uint8_t *blk = row + (size_t)(i / 32) * 18;
            int j = i % 32, q = j < 16 ? (blk[2 + j] & 15) : (blk[2 + j - 16] >> 4);
            yt[i] = (float)(q - 8) * lmrt_load_f16le(blk);
        }
    }
}

/* ---- norms, quantize ------------------------------------------------------ */

/* 1 / sqrt(mean(x^2) + eps): sequential float sum, llama2.c's order */
LMRT_INLINE float lmrt_scalar_rms_inv_(const float *x, int D, float eps) {
    float ss = 0.0f;
    for (int i = 0; i < D; i++) ss += x[i] * x[i];
    ss /= (float)D;
    ss += eps;
    return 1.0f / lmrt_sqrtf(ss);
}

/* the hadamard op over n rows: x[n][K] -> y[n][KP] (lmrt_hadamard_row) */
LMRT_API void lmrt_scalar_hadamard(float *y, const float *x, int n, int K, int KP, int B, float scale, int tid,
                                   int nth) {
    int t0, t1;
    lmrt_split(n, tid, nth, &t0, &t1);
    for (int t = t0; t < t1; t++) lmrt_hadamard_row(y + (size_t)t * (size_t)KP, x + (size_t)t * (size_t)K, K, KP, B, scale);
}

/* w == NULL: normalize only */
LMRT_INLINE void lmrt_scalar_norm_rows_(float *y, const float *x, const float *w, int n, int D, float eps, int tid,
                                        int nth) {
    int t0, t1;
    lmrt_split(n, tid, nth, &t0, &t1);
    for (int t = t0; t < t1; t++) {
        const float *xt = x + (size_t)t * (size_t)D;
        float *yt = y + (size_t)t * (size_t)D;
        float ss = lmrt_scalar_rms_inv_(xt, D, eps);
        if (w)
            for (int i = 0; i < D; i++) yt[i] = w[i] * (ss * xt[i]);
        else
            for (int i = 0; i < D; i++) yt[i] = ss * xt[i];
    }
}

LMRT_API void lmrt_scalar_normalize(float *y, const float *x, int n, int D, float eps, int tid, int nth) {
    lmrt_scalar_norm_rows_(y, x, (const float *)0, n, D, eps, tid, nth);
}

LMRT_API void lmrt_scalar_rmsnorm(float *y, const float *x, const float *w, int n, int D, float eps, int tid,
                                  int nth) {
    lmrt_scalar_norm_rows_(y, x, w, n, D, eps, tid, nth);
}

/* q8a: d = amax/127, q = round(x/d) (the interpreter's emulation), zero-padded tail */
LMRT_API void lmrt_scalar_quantize_q8a(void *xq, const float *x, int n, int K, int tid, int nth) {
    int t0, t1, nb = (K + 31) / 32;
    lmrt_split(n, tid, nth, &t0, &t1);
    for (int t = t0; t < t1; t++) {
        const float *xt = x + (size_t)t * (size_t)K;
        uint8_t *blk = (uint8_t *)xq + (size_t)t * lmrt_scalar_xs_q8a_(K);
        for (int b = 0; b < nb; b++, blk += LMRT_Q8A_BYTES)
            lmrt_scalar_q8_block_(blk, xt + 32 * b, K - 32 * b < 32 ? K - 32 * b : 32, 32);
    }
}

/* ---- attention ------------------------------------------------------------ */

LMRT_INLINE void lmrt_scalar_softmax_row_(float *x, int D) {
    float mx = x[0];
    for (int i = 1; i < D; i++) mx = x[i] > mx ? x[i] : mx;
    float sum = 0.0f;
    for (int i = 0; i < D; i++) {
        x[i] = lmrt_expf(x[i] - mx);
        sum += x[i];
    }
    for (int i = 0; i < D; i++) x[i] /= sum;
}

LMRT_INLINE float lmrt_scalar_kv_(const void *c, int f16, size_t i) {
    return f16 ? lmrt_f16_to_f32(((const uint16_t *)c)[i]) : ((const float *)c)[i];
}

/* a q8 cache row's scale and its int8 elements */
LMRT_INLINE float lmrt_kv_q8_d_(const uint8_t *row) { return lmrt_scalar_q8a_d_(row); }
LMRT_INLINE const int8_t *lmrt_kv_q8_qs_(const uint8_t *row) { return (const int8_t *)(const void *)(row + 4); }

/* The keys a query at position `last` sees, in position order: positions lo..last (lo = last - window
 * + 1 with a window, else 0) and, with sink > 0 (--kv-policy slide), the first sink positions before
 * them once lo has passed them.  A cache puts position p < sink in slot p and a later one in slot
 * sink + (p - sink) % (slots - sink) (sink 0: p % slots, a sliding-window ring): key j < nsink is
 * slot j, scored with the sink query; key j >= nsink is slot base + (s0 + j - nsink) % ring (a
 * window never wraps the ring twice).  Before the wrap it is one run 0..last, as without sinks. */
typedef struct lmrt_kv_keys { int cnt, nsink, base, ring, s0; } lmrt_kv_keys;

LMRT_INLINE lmrt_kv_keys lmrt_scalar_kv_keys_(int last, int slots, int window, int sink) {
    lmrt_kv_keys k;
    int lo = window > 0 && last - window + 1 > 0 ? last - window + 1 : 0;
    if (sink > 0 && lo <= sink) lo = 0;
    k.nsink = lo > 0 ? sink : 0;
    k.base = k.nsink;
    k.ring = slots - k.nsink;
    k.s0 = (lo - k.nsink) % k.ring;
    k.cnt = k.nsink + last - lo + 1;
    return k;
}

/* the slot of key j */
LMRT_INLINE size_t lmrt_scalar_kv_slot_(const lmrt_kv_keys *k, int j) {
    if (j < k->nsink) return (size_t)j;
    int r = k->s0 + j - k->nsink;
    return (size_t)(k->base + (r < k->ring ? r : r - k->ring));
}

/* a score: scale q.k, or softcap tanh(scale q.k / softcap) */
LMRT_INLINE float lmrt_scalar_softcap_(float s, float softcap) {
    return softcap > 0.0f ? softcap * lmrt_tanhf(s / softcap) : s;
}

/* one (token, head): out = softmax(scores of the keys ks) . v; qs scores the sink keys.  q8 rows: a
 * score is d q.qs (4 accumulators, as f16), a value row adds (p d) qs. */
LMRT_INLINE void lmrt_scalar_attend_(float *o, const float *qh, const float *qs_h, const uint8_t *k, const uint8_t *v,
                                     int kind, int hd, const lmrt_kv_keys *ks, float scale, float softcap, float *sc) {
    size_t rb = lmrt_kv_row_bytes_(kind, hd);
    int cnt = ks->cnt;
    for (int j = 0; j < cnt; j++) {
        const uint8_t *kr = k + lmrt_scalar_kv_slot_(ks, j) * rb;
        const float *qj = j < ks->nsink ? qs_h : qh;
        float s;
        if (kind == LMRT_KV_F32) {
            s = lmrt_scalar_dot_f32_f32_(kr, 0, hd, 0, qj);
        } else {
            const int8_t *qs = lmrt_kv_q8_qs_(kr);
            float acc[4];
            for (int a = 0; a < 4; a++) acc[a] = 0.0f;
            int i = 0;
            for (; i + 4 <= hd; i += 4)
                for (int a = 0; a < 4; a++)
                    acc[a] += qj[i + a] * (kind == LMRT_KV_Q8 ? (float)qs[i + a] : lmrt_scalar_kv_(kr, 1, (size_t)(i + a)));
            s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
            for (int t = 0, rem = hd - i; t < rem; t++)
                s += qj[i + t] * (kind == LMRT_KV_Q8 ? (float)qs[i + t] : lmrt_scalar_kv_(kr, 1, (size_t)(i + t)));
            if (kind == LMRT_KV_Q8) s *= lmrt_kv_q8_d_(kr);
        }
        sc[j] = lmrt_scalar_softcap_(s * scale, softcap);
    }
    lmrt_scalar_softmax_row_(sc, cnt);
    for (int i = 0; i < hd; i++) o[i] = 0.0f;
    for (int j = 0; j < cnt; j++) {
        const uint8_t *vr = v + lmrt_scalar_kv_slot_(ks, j) * rb;
        float p = sc[j];
        if (kind == LMRT_KV_Q8) {
            const int8_t *qs = lmrt_kv_q8_qs_(vr);
            float pd = p * lmrt_kv_q8_d_(vr);
            for (int i = 0; i < hd; i++) o[i] += pd * (float)qs[i];
        } else if (kind == LMRT_KV_F16) {
            for (int i = 0; i < hd; i++) o[i] += p * lmrt_scalar_kv_(vr, 1, (size_t)i);
        } else {
            for (int i = 0; i < hd; i++) o[i] += p * ((const float *)(const void *)vr)[i];
        }
    }
}

/* qsink: the queries the sink keys are scored with (NULL: q itself) */
LMRT_INLINE void lmrt_scalar_attention_(int kind, float *out, const float *q, const void *kc, const void *vc, int n,
                                        int H, int Hkv, int hd, int slots, int pos, int window, int sink,
                                        const float *qsink, float scale, float softcap, float *scratch, int tid,
                                        int nth) {
    int p0, p1, group = H / Hkv;
    lmrt_split(n * H, tid, nth, &p0, &p1);
    float *sc = scratch + (size_t)tid * (size_t)slots;
    for (int p = p0; p < p1; p++) {
        int t = p / H, h = p % H;
        lmrt_kv_keys ks = lmrt_scalar_kv_keys_(pos + t, slots, window, sink);
        size_t qo = ((size_t)t * (size_t)H + (size_t)h) * (size_t)hd;
        size_t kvo = (size_t)(h / group) * (size_t)slots * lmrt_kv_row_bytes_(kind, hd);
        lmrt_scalar_attend_(out + qo, q + qo, (qsink ? qsink : q) + qo, (const uint8_t *)kc + kvo,
                            (const uint8_t *)vc + kvo, kind, hd, &ks, scale, softcap, sc);
    }
}

/* lmrt_<P>_attention_f32 / _f16 / _q8: a set's attention around its lmrt_<P>_attention_(kind, ...) */
#define LMRT_ATTENTION_KIND_(P_, KV_, KIND_)                                                                     \
    LMRT_API void lmrt_##P_##_attention_##KV_(float *out, const float *q, const void *kc, const void *vc, int n, \
                                              int H, int Hkv, int hd, int slots, int pos, int window, int sink,    \
                                              const float *qsink, float scale, float softcap, float *scratch,      \
                                              int tid, int nth) {                                                  \
        lmrt_##P_##_attention_(KIND_, out, q, kc, vc, n, H, Hkv, hd, slots, pos, window, sink, qsink, scale,      \
                               softcap, scratch, tid, nth);                                                      \
    }
#define LMRT_ATTENTION_KINDS_(P_)                                                                                \
    LMRT_ATTENTION_KIND_(P_, f32, LMRT_KV_F32)                                                                   \
    LMRT_ATTENTION_KIND_(P_, f16, LMRT_KV_F16)                                                                   \
    LMRT_ATTENTION_KIND_(P_, q8, LMRT_KV_Q8)
LMRT_ATTENTION_KINDS_(scalar)

/* ---- elementwise (y may alias an input: no restrict) --------------------- */

LMRT_API void lmrt_scalar_add(float *y, const float *a, const float *b, int len, int tid, int nth) {
    int i0, i1;
    lmrt_split(len, tid, nth, &i0, &i1);
    for (int i = i0; i < i1; i++) y[i] = a[i] + b[i];
}

/* y[t][i] = x[t][i] + b[i]: split by element, so one token's row spreads over the threads */
LMRT_API void lmrt_scalar_add_bias(float *y, const float *x, const float *b, int n, int N, int tid, int nth) {
    int i0, i1;
    lmrt_split(n * N, tid, nth, &i0, &i1);
    for (int i = i0, j = N > 0 ? i0 % N : 0; i < i1; i++, j = j + 1 == N ? 0 : j + 1) y[i] = x[i] + b[j];
}

LMRT_API void lmrt_scalar_mul(float *y, const float *a, const float *b, int len, int tid, int nth) {
    int i0, i1;
    lmrt_split(len, tid, nth, &i0, &i1);
    for (int i = i0; i < i1; i++) y[i] = a[i] * b[i];
}

LMRT_API void lmrt_scalar_swiglu(float *y, const float *gate, const float *up, int len, int tid, int nth) {
    int i0, i1;
    lmrt_split(len, tid, nth, &i0, &i1);
    for (int i = i0; i < i1; i++) y[i] = lmrt_scalar_silu_mul_(gate[i], up[i]);
}

/* gelu(gate) * up, gelu in its tanh form (Gemma's FFN, ggml_gelu): x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
LMRT_INLINE float lmrt_scalar_gelu_(float x) {
    return 0.5f * x * (1.0f + lmrt_tanhf(0.7978845608f * (x + 0.044715f * x * x * x)));
}

LMRT_API void lmrt_scalar_geglu(float *y, const float *gate, const float *up, int len, int tid, int nth) {
    int i0, i1;
    lmrt_split(len, tid, nth, &i0, &i1);
    for (int i = i0; i < i1; i++) y[i] = lmrt_scalar_gelu_(gate[i]) * up[i];
}

LMRT_API void lmrt_scalar_scale(float *y, const float *x, float s, int len, int tid, int nth) {
    int i0, i1;
    lmrt_split(len, tid, nth, &i0, &i1);
    for (int i = i0; i < i1; i++) y[i] = x[i] * s;
}

/* c tanh(x / c) (Gemma 2's final logits) */
LMRT_API void lmrt_scalar_softcap(float *y, const float *x, float c, int len, int tid, int nth) {
    int i0, i1;
    lmrt_split(len, tid, nth, &i0, &i1);
    for (int i = i0; i < i1; i++) y[i] = lmrt_scalar_softcap_(x[i], c);
}

/* x * sigmoid(x); lmrt_sigmoidf stays accurate where e^-x overflows */
LMRT_API void lmrt_scalar_silu(float *y, const float *a, int len, int tid, int nth) {
    int i0, i1;
    lmrt_split(len, tid, nth, &i0, &i1);
    for (int i = i0; i < i1; i++) y[i] = a[i] * lmrt_sigmoidf(a[i]);
}

LMRT_API void lmrt_scalar_copy(float *y, const float *x, int len, int tid, int nth) {
    int i0, i1;
    lmrt_split(len, tid, nth, &i0, &i1);
    for (int i = i0; i < i1; i++) y[i] = x[i];
}

LMRT_API void lmrt_scalar_take_last(float *y, const float *x, int n, int D) {
    const float *xl = x + (size_t)(n - 1) * (size_t)D;
    for (int i = 0; i < D; i++) y[i] = xl[i];
}

LMRT_API void lmrt_scalar_softmax(float *x, int n, int D, int tid, int nth) {
    int t0, t1;
    lmrt_split(n, tid, nth, &t0, &t1);
    for (int t = t0; t < t1; t++) lmrt_scalar_softmax_row_(x + (size_t)t * (size_t)D, D);
}

/* x[n][heads*hd] in place, token t with the rope rows of row t; split by (token, head) */
LMRT_API void lmrt_scalar_rope(float *x, int n, int heads, int hd, int rope_dim, int neox, const float *rope,
                               int tid, int nth) {
    int p0, p1;
    lmrt_split(n * heads, tid, nth, &p0, &p1);
    for (int p = p0; p < p1; p++) {
        int t = p / heads;
        lmrt_scalar_rope_head_(x + (size_t)p * (size_t)hd, rope_dim, neox, rope + (size_t)t * (size_t)rope_dim);
    }
}

/* cs[t][i] = m {cos, sin} of (pos + t) freqs[i] for the n tokens of a chunk: the rows rope and
 * qkv read (tid 0); m is YaRN's / LongRoPE's magnitude (1 without).  The angle is carried in
 * turns: each frequency reduced once (lmrt_turns), times the position in 64-bit integers, so
 * position 10^6 is as accurate as position 1. */
LMRT_API void lmrt_scalar_rope_table(float *cs, const float *freqs, int half, int n, int pos, float m) {
    for (int i = 0; i < half; i++) {
        uint64_t step = lmrt_turns(freqs[i]);
        for (int t = 0; t < n; t++) {
            float *r = cs + ((size_t)t * (size_t)half + (size_t)i) * 2;
            lmrt_sincos_turns(step * (uint64_t)(pos + t), r + 1, r);
            r[0] *= m;
            r[1] *= m;
        }
    }
}

/* cache[h][(pos + t) % slots][:] = x[t][h]; split by (token, head) */
LMRT_INLINE void lmrt_scalar_kv_store_(int kind, void *cache, const float *x, int n, int Hkv, int slots, int hd, int pos,
                                       int tid, int nth) {
    int p0, p1;
    lmrt_split(n * Hkv, tid, nth, &p0, &p1);
    for (int p = p0; p < p1; p++) {
        int t = p / Hkv, h = p % Hkv;
        lmrt_scalar_store_kv_(cache, kind, (size_t)h * (size_t)slots + (size_t)((pos + t) % slots),
                              x + (size_t)p * (size_t)hd, hd);
    }
}

#define LMRT_SCALAR_KV_STORE_(KV_, KIND_)                                                                        \
    LMRT_API void lmrt_scalar_kv_store_##KV_(void *cache, const float *x, int n, int Hkv, int slots, int hd,     \
                                             int pos, int tid, int nth) {                                        \
        lmrt_scalar_kv_store_(KIND_, cache, x, n, Hkv, slots, hd, pos, tid, nth);                                \
    }
LMRT_SCALAR_KV_STORE_(f32, LMRT_KV_F32)
LMRT_SCALAR_KV_STORE_(f16, LMRT_KV_F16)
LMRT_SCALAR_KV_STORE_(q8, LMRT_KV_Q8)

#include "lmrt_kernels_q4x.h" /* 4-bit variants and K-quants */

#endif
