/* lmrt_tiled.h - the tiled weight formats q4_0t / q8_0t and their scalar reference.
 *
 * Layout (written by lmrt_tile_weights, read by every kernel set and the interpreter).
 * A q4_0 / q8_0 weight W[N][K] with tile rows R > 1 becomes:
 *   - rows padded to Np = ceil(N/R)*R with zero rows (scale 0, payload bytes 0);
 *   - nb = ceil(K/32) blocks per row (a partial last block is zero-padded, as in the plain format);
 *   - groups of R consecutive rows, group g covering rows [g*R, g*R + R), stored one after the other;
 *   - inside a group, for each 32-column block b = 0..nb-1, one "tile" of R*(2+P) bytes:
 *       R fp16 scales (little-endian, row order g*R+0 .. g*R+R-1), then
 *       R payloads of P = 16 bytes (q4) or 32 bytes (q8): in row order, except when R % 16 == 0
 *       (lmrt_tiled_ilv): then each 16-row sub-tile s (rows 16s .. 16s+15, its P*16 bytes at the
 *       place of those rows' payloads) is dword-interleaved: dword k (payload bytes 4k .. 4k+3) of
 *       sub-tile row e is at byte 64k + 4e, so one 64-byte load is dword k of 16 rows in row order
 *       (the 512-bit VNNI kernels broadcast an activation dword against it; no transposes).
 * Payload bytes are the GGUF payload bytes unchanged (no pre-bias): q4 element j of a block is
 * (qs[j] & 15) - 8 for j < 16 and (qs[j-16] >> 4) - 8 for j >= 16; q8 element j is (int8)qs[j].
 * Size: Np * nb * (2 + P) bytes, the same as the padded plain rows.  A group is contiguous, so a
 * thread that owns a range of groups streams one contiguous byte range.
 *
 * Types are the ggml ids LMRT_GGML_Q4_0 / LMRT_GGML_Q8_0 (lmrt_quant.h).
 * q8a activation block: { float d; int8_t qs[32]; } (36 bytes, native-endian float).
 */
#ifndef LMRT_TILED_H
#define LMRT_TILED_H

#include "lmrt_base.h"
#include "lmrt_quant.h"

#define LMRT_Q8A_BYTES 36

/* payload bytes of one block, 0 for a type that has no tiled form */
LMRT_INLINE int lmrt_tiled_payload(int type) {
    return type == LMRT_GGML_Q4_0 ? 16 : type == LMRT_GGML_Q8_0 ? 32 : 0;
}

/* bytes of one group of R rows */
LMRT_INLINE size_t lmrt_tiled_group_bytes(int type, int R, int K) {
    return (size_t)((K + 31) / 32) * (size_t)R * (size_t)(2 + lmrt_tiled_payload(type));
}

/* total bytes of a tiled weight with n_rows rows */
LMRT_INLINE size_t lmrt_tiled_bytes(int type, int R, int n_rows, int K) {
    return (size_t)((n_rows + R - 1) / R) * lmrt_tiled_group_bytes(type, R, K);
}

/* 1 when the payloads of a tile of R rows are dword-interleaved in 16-row sub-tiles, else 0 */
LMRT_INLINE int lmrt_tiled_ilv(int R) { return R % 16 == 0; }

/* the tile of (row, block b): R scales, then the payloads */
LMRT_INLINE const uint8_t *lmrt_tiled_tile_(int type, int R, const void *base, int row, int K, int b) {
    return (const uint8_t *)base + (size_t)(row / R) * lmrt_tiled_group_bytes(type, R, K) +
           (size_t)b * (size_t)R * (size_t)(2 + lmrt_tiled_payload(type));
}

/* address of the scale of (row, block) */
LMRT_INLINE const uint8_t *lmrt_tiled_scale_ptr_(int type, int R, const void *base, int row, int K, int b) {
    return lmrt_tiled_tile_(type, R, base, row, K, b) + 2 * (row % R);
}

/* offset from the tile of byte j of row i's payload */
LMRT_INLINE size_t lmrt_tiled_qoff_(int P, int R, int i, int j) {
    if (!lmrt_tiled_ilv(R)) return (size_t)(2 * R + i * P + j);
    return (size_t)(2 * R + 16 * P * (i / 16) + 64 * (j / 4) + 4 * (i % 16) + j % 4);
}

/* the payload of row i of a tile in GGUF byte order: a pointer into the tile (row order), or buf
 * (P bytes) gathered from an interleaved sub-tile */
LMRT_INLINE const uint8_t *lmrt_tiled_row_payload_(int type, int R, const uint8_t *tile, int i, uint8_t *buf) {
    int P = lmrt_tiled_payload(type);
    if (!lmrt_tiled_ilv(R)) return tile + lmrt_tiled_qoff_(P, R, i, 0);
    for (int j = 0; j < P; j += 4) lmrt_memcpy(buf + j, tile + lmrt_tiled_qoff_(P, R, i, j), 4);
    return buf;
}

/* element j (0..31) of a block payload as a signed integer */
LMRT_INLINE int lmrt_tiled_q_(int type, const uint8_t *qs, int j) {
    if (type == LMRT_GGML_Q8_0) return (int8_t)qs[j];
    return j < 16 ? (qs[j] & 15) - 8 : (qs[j - 16] >> 4) - 8;
}

/* Repacks n_rows plain GGUF rows (ceil(K/32) blocks each) into the tiled layout; dst holds
 * lmrt_tiled_bytes(type, R, n_rows, K) bytes.  0, or -1 for a type/R without a tiled form. */
LMRT_API int lmrt_tile_weights(int type, int R, const void *src, int n_rows, int K, void *dst) {
    int P = lmrt_tiled_payload(type);
    if (!P || R < 1 || n_rows < 0 || K < 1) return -1;
    int nb = (K + 31) / 32;
    size_t row_bytes = (size_t)nb * (size_t)(2 + P);
    const uint8_t *s = (const uint8_t *)src;
    lmrt_memset(dst, 0, lmrt_tiled_bytes(type, R, n_rows, K));
    for (int r = 0; r < n_rows; r++)
        for (int b = 0; b < nb; b++) {
            const uint8_t *blk = s + (size_t)r * row_bytes + (size_t)b * (size_t)(2 + P);
            uint8_t *tile = (uint8_t *)lmrt_tiled_tile_(type, R, dst, r, K, b);
            tile[2 * (r % R)] = blk[0];
            tile[2 * (r % R) + 1] = blk[1];
            for (int j = 0; j < P; j += 4) lmrt_memcpy(tile + lmrt_tiled_qoff_(P, R, r % R, j), blk + 2 + j, 4);
        }
    return 0;
}

/* Scalar reference: dequantizes the first K elements of row `row` (row < padded rows). */
LMRT_API void lmrt_tiled_dequant_row(int type, int R, const void *base, int row, int K, float *dst) {
    for (int b = 0; b * 32 < K; b++) {
        uint8_t buf[32]; /* filled by the gather; zeroed by a loop so gcc sees it (= {0}: memset at -O0) */
        lmrt_memset(buf, 0, sizeof buf);
        float d = lmrt_load_f16le(lmrt_tiled_scale_ptr_(type, R, base, row, K, b));
        const uint8_t *qs = lmrt_tiled_row_payload_(type, R, lmrt_tiled_tile_(type, R, base, row, K, b), row % R, buf);
        for (int j = 0; j < 32 && b * 32 + j < K; j++) dst[b * 32 + j] = (float)lmrt_tiled_q_(type, qs, j) * d;
    }
}

/* Scalar reference dot products of one tiled row with one activation row of K elements.
 * f32: sum_b d_b * (sum_j q_j x_j);  q8a: sum_b (d_b * d_a) * (integer sum_j q_j a_j). */
LMRT_API float lmrt_tiled_dot_f32(int type, int R, const void *W, int row, int K, const float *x) {
    float s = 0.0f;
    for (int b = 0; b * 32 < K; b++) {
        uint8_t buf[32]; /* filled by the gather; zeroed by a loop so gcc sees it (= {0}: memset at -O0) */
        lmrt_memset(buf, 0, sizeof buf);
        float d = lmrt_load_f16le(lmrt_tiled_scale_ptr_(type, R, W, row, K, b));
        const uint8_t *qs = lmrt_tiled_row_payload_(type, R, lmrt_tiled_tile_(type, R, W, row, K, b), row % R, buf);
        float bs = 0.0f;
        for (int j = 0; j < 32 && b * 32 + j < K; j++) bs += (float)lmrt_tiled_q_(type, qs, j) * x[b * 32 + j];
        s += d * bs;
    }
    return s;
}

LMRT_API float lmrt_tiled_dot_q8a(int type, int R, const void *W, int row, int K, const void *xq) {
    const uint8_t *a = (const uint8_t *)xq;
    float s = 0.0f;
    for (int b = 0; b * 32 < K; b++, a += LMRT_Q8A_BYTES) {
        float da;
        lmrt_memcpy(&da, a, sizeof da);
        uint8_t buf[32]; /* filled by the gather; zeroed by a loop so gcc sees it (= {0}: memset at -O0) */
        lmrt_memset(buf, 0, sizeof buf);
        float d = lmrt_load_f16le(lmrt_tiled_scale_ptr_(type, R, W, row, K, b));
        const uint8_t *qs = lmrt_tiled_row_payload_(type, R, lmrt_tiled_tile_(type, R, W, row, K, b), row % R, buf);
        int32_t si = 0;
        /* padded activations are zero, so the whole block can be summed */
        for (int j = 0; j < 32; j++) si += lmrt_tiled_q_(type, qs, j) * (int8_t)a[4 + j];
        s += (d * da) * (float)si;
    }
    return s;
}

/* Scalar reference matmul over output rows [r0, r1) (r1 <= N) for n tokens:
 * y[t*ldy + r] = dot(W[r], x[t]); x rows: K floats (f32) or ceil(K/32) q8a blocks. */
LMRT_API void lmrt_tiled_matmul_rows(int type, int act_q8a, float *y, int ldy, const void *W, const void *x,
                                     int n, int K, int R, int r0, int r1) {
    size_t xstride = act_q8a ? (size_t)((K + 31) / 32) * LMRT_Q8A_BYTES : (size_t)K * sizeof(float);
    for (int t = 0; t < n; t++) {
        const void *xt = (const uint8_t *)x + (size_t)t * xstride;
        for (int r = r0; r < r1; r++)
            y[(size_t)t * (size_t)ldy + (size_t)r] = act_q8a ? lmrt_tiled_dot_q8a(type, R, W, r, K, xt)
                                                              : lmrt_tiled_dot_f32(type, R, W, r, K, (const float *)xt);
    }
}

#endif
