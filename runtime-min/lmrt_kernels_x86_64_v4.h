/* lmrt_kernels_x86_64_v4.h - kernel contract v2 for x86-64-v4 with AVX512-VNNI (AVX-512 F/BW/DQ/VL +
 * VNNI: Ice Lake, Zen 4 and later).
 *
 * Accelerated here: matmul / matmul_add / matmul_swiglu / qkv for q4_0t and q8_0t weights with q8a
 * activations (VPDPBUSD on 16-row sub-tiles, register-blocked over rows and tokens; tiles of R = 16k
 * rows), and for GGUF q4_k, q6_k and iq4_xs weights with q8a activations (VPDPBUSD row dots, two
 * sub-blocks per register).  Everything else is the x86-64-v3 set (AVX2, lmrt_kernels_x86_64_v3.h,
 * included first), whose contract names are replaced at the end of this file where this set has its
 * own kernel.
 *
 * The integer dot: VPDPBUSD multiplies unsigned bytes by signed bytes.  Weights are the unsigned
 * operand — q4 nibbles u = q + 8 as they are stored, q8 bytes with the sign bit flipped (u = q + 128)
 * — and the q8a activations the signed one, so d_w d_a dot(q, a) = d_w d_a (dot(u, a) - c sum(a)) with
 * c = 8 or 128; the integer sum starts at -c sum(a), computed once per token and block.
 *
 * Lanes are rows: with R % 16 == 0 the tiling pass stores each 16-row sub-tile's payloads
 * dword-interleaved (lmrt_tiled.h), so one 512-bit load is one dword (four consecutive codes) of 16
 * rows in row order and a broadcast dword of the activation multiplies all 16 rows at once: 8
 * VPDPBUSD per block and token, no transposes, no permutes, no horizontal sums.
 * Compile with -march=x86-64-v4 -mavx512vnni.
 */
#ifndef LMRT_KERNELS_X86_64_V4_H
#define LMRT_KERNELS_X86_64_V4_H

#include "lmrt_kernels_x86_64_v3.h"

#define LMRT_V4_AI static inline __attribute__((always_inline, unused))
#ifndef LMRT_V4_TB
#define LMRT_V4_TB 8 /* tokens sharing one unpacked 16-row sub-tile */
#endif
#define LMRT_V4_CS 8192 /* stack ints for the per-(token, block) sums (>= TB * LMRT_X86_MAXNB) */

LMRT_V4_AI int32_t lmrt_v4_ld32_(const uint8_t *p) {
    int32_t v;
    lmrt_memcpy(&v, p, sizeof v);
    return v;
}

/* One block of a 16-row sub-tile (its payloads dword-interleaved, lmrt_tiled.h) as 8 registers of
 * unsigned codes, lane e = row e: w[k] multiplies activation dword k (codes 4k .. 4k+3) into the
 * first chain, w[4 + k] activation dword 4 + k into the second.
 * q4: load k holds codes 4k.. in the low nibbles and 16+4k.. in the high ones; the high nibbles are
 * masked in place (16 u, not shifted: the second chain is 16 times the dot, exact, shifted once). */
LMRT_V4_AI void lmrt_v4_q4_w_(__m512i *w, const uint8_t *q) {
    const __m512i m4 = _mm512_set1_epi8(15), h4 = _mm512_set1_epi8((char)0xF0);
    LMRT_X86_UNROLL(4)
    for (int k = 0; k < 4; k++) {
        __m512i v = _mm512_loadu_si512(q + 64 * k);
        w[k] = _mm512_and_si512(v, m4);
        w[4 + k] = _mm512_and_si512(v, h4);
    }
}

/* q8: load k is dword k of the 16 rows; the sign bit flipped makes u = q + 128 */
LMRT_V4_AI void lmrt_v4_q8_w_(__m512i *w, const uint8_t *q) {
    const __m512i sb = _mm512_set1_epi8((char)0x80);
    LMRT_X86_UNROLL(8)
    for (int k = 0; k < 8; k++) w[k] = _mm512_xor_si512(_mm512_loadu_si512(q + 64 * k), sb);
}

/* acc[t] += (W_sub x_t) for nt tokens over nb blocks of one 16-row sub-tile: sc / q = its scales /
 * payloads in block 0, tb = tile bytes (block stride), cs[t * nb + b] = -c sum(a) of token t. */
LMRT_V4_AI void lmrt_v4_sub_nt_(int q8, __m512 *acc, const uint8_t *sc, const uint8_t *q, size_t tb, int nb,
                                const uint8_t *x, size_t xs, const int32_t *cs, int nt) {
    /* local accumulators: acc may alias the byte loads as far as the compiler knows, which would
     * keep it in memory */
    __m512 ac[LMRT_V4_TB];
    LMRT_X86_UNROLL(16)
    for (int t = 0; t < LMRT_V4_TB; t++) ac[t] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++, sc += tb, q += tb) {
        __m512i w[8];
        if (q8) lmrt_v4_q8_w_(w, q);
        else lmrt_v4_q4_w_(w, q);
        __m512 sw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)sc));
        LMRT_X86_UNROLL(16)
        for (int t = 0; t < nt; t++) {
            const uint8_t *a = x + (size_t)t * xs + (size_t)b * LMRT_Q8A_BYTES;
            /* two chains (activation dwords 0-3 and 4-7) halve the dependent VPDPBUSD latency */
            __m512i s = _mm512_set1_epi32(cs[t * nb + b]), s1 = _mm512_setzero_si512();
            LMRT_X86_UNROLL(4)
            for (int k = 0; k < 4; k++) {
                s = _mm512_dpbusd_epi32(s, w[k], _mm512_set1_epi32(lmrt_v4_ld32_(a + 4 + 4 * k)));
                s1 = _mm512_dpbusd_epi32(s1, w[4 + k], _mm512_set1_epi32(lmrt_v4_ld32_(a + 20 + 4 * k)));
            }
            s = _mm512_add_epi32(s, q8 ? s1 : _mm512_srai_epi32(s1, 4));
            __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(lmrt_x86_q8a_d_(a)));
            ac[t] = _mm512_fmadd_ps(v, sw, ac[t]);
        }
    }
    LMRT_X86_UNROLL(16)
    for (int t = 0; t < nt; t++) acc[t] = ac[t];
}

/* one instance per token count, so the token loops unroll */
LMRT_INLINE void lmrt_v4_sub_(int q8, __m512 *acc, const uint8_t *sc, const uint8_t *q, size_t tb, int nb,
                              const uint8_t *x, size_t xs, const int32_t *cs, int nt) {
#define LMRT_V4_SUB_CASE_(N)                                                                                          \
    case N:                                                                                                           \
        if (q8) lmrt_v4_sub_nt_(1, acc, sc, q, tb, nb, x, xs, cs, N);                                                 \
        else lmrt_v4_sub_nt_(0, acc, sc, q, tb, nb, x, xs, cs, N);                                                    \
        break;
    switch (nt) {
        LMRT_V4_SUB_CASE_(1)
        LMRT_V4_SUB_CASE_(2)
        LMRT_V4_SUB_CASE_(3)
        LMRT_V4_SUB_CASE_(4)
        LMRT_V4_SUB_CASE_(5)
        LMRT_V4_SUB_CASE_(6)
        LMRT_V4_SUB_CASE_(7)
    default:
        if (q8) lmrt_v4_sub_nt_(1, acc, sc, q, tb, nb, x, xs, cs, LMRT_V4_TB);
        else lmrt_v4_sub_nt_(0, acc, sc, q, tb, nb, x, xs, cs, LMRT_V4_TB);
        break;
    }
#undef LMRT_V4_SUB_CASE_
}

/* One token (decode) against LMRT_V4_SU sub-tiles at once: acc[u] = W_u x for sub-tile u (scales
 * sc[u], payloads q[u] in block 0, block stride tb).  A single token has no token loop to spread a
 * block's 8 activation broadcasts over; sharing them across 4 sub-tiles takes the q4 loop from 38
 * to 29 instructions per sub-tile and block, so the core runs further ahead of the weight loads,
 * and the sub-tiles' VPDPBUSD chains are independent. */
#define LMRT_V4_SU 4
LMRT_V4_AI void lmrt_v4_sub1_(int q8, __m512 *acc, const uint8_t *const *sc, const uint8_t *const *q, size_t tb,
                               int nb, const uint8_t *x, const int32_t *cs) {
    __m512 ac[LMRT_V4_SU];
    LMRT_X86_UNROLL(4)
    for (int u = 0; u < LMRT_V4_SU; u++) ac[u] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *a = x + (size_t)b * LMRT_Q8A_BYTES;
        size_t o = (size_t)b * tb;
        __m512i xa[8];
        LMRT_X86_UNROLL(8)
        for (int k = 0; k < 8; k++) xa[k] = _mm512_set1_epi32(lmrt_v4_ld32_(a + 4 + 4 * k));
        __m512 da = _mm512_set1_ps(lmrt_x86_q8a_d_(a));
        __m512i c0 = _mm512_set1_epi32(cs[b]);
        LMRT_X86_UNROLL(4)
        for (int u = 0; u < LMRT_V4_SU; u++) {
            __m512i w[8];
            if (q8) lmrt_v4_q8_w_(w, q[u] + o);
            else lmrt_v4_q4_w_(w, q[u] + o);
            __m512i s0 = c0, s1 = _mm512_setzero_si512();
            LMRT_X86_UNROLL(4)
            for (int k = 0; k < 4; k++) {
                s0 = _mm512_dpbusd_epi32(s0, w[k], xa[k]);
                s1 = _mm512_dpbusd_epi32(s1, w[4 + k], xa[4 + k]);
            }
            s0 = _mm512_add_epi32(s0, q8 ? s1 : _mm512_srai_epi32(s1, 4));
            __m512 sw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(sc[u] + o)));
            ac[u] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(s0), da), sw, ac[u]);
        }
    }
    LMRT_X86_UNROLL(4)
    for (int u = 0; u < LMRT_V4_SU; u++) acc[u] = ac[u];
}

/* cs[t * nb + b] = -c * sum of the codes of block b of token t (c = 8 for q4, 128 for q8) */
LMRT_INLINE void lmrt_v4_csum_(int32_t *cs, const uint8_t *x, size_t xs, int nb, int nt, int c) {
    const __m256i sb = _mm256_set1_epi8((char)0x80);
    for (int t = 0; t < nt; t++)
        for (int b = 0; b < nb; b++) {
            const uint8_t *a = x + (size_t)t * xs + (size_t)b * LMRT_Q8A_BYTES;
            /* sum of a + 128 as unsigned bytes, minus 32 * 128 */
            __m256i s = _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + 4)), sb),
                                        _mm256_setzero_si256());
            __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
            h = _mm_add_epi64(h, _mm_unpackhi_epi64(h, h));
            cs[t * nb + b] = -c * (_mm_cvtsi128_si32(h) - 32 * 128);
        }
}

/* rows [ra, rb) of a q4_0t / q8_0t weight with R % 16 == 0 for n tokens: y[t * ldy + r - ra] (+ res at
 * the same index; res may alias y).  Other tile heights: the x86-64-v3 driver. */
LMRT_INLINE void lmrt_v4_tiled_rows_(int type, float *y, int ldy, const void *W, const void *x, int n, int K, int R,
                                     int ra, int rb, const float *res) {
    int nb = (K + 31) / 32, q8 = type == LMRT_GGML_Q8_0;
    if (R % 16 || nb > LMRT_X86_MAXNB) {
        lmrt_x86_tiled_rows_(type, y, ldy, W, x, n, K, R, ra, rb, res);
        return;
    }
    int P = lmrt_tiled_payload(type);
    size_t xs = (size_t)nb * LMRT_Q8A_BYTES, tb = (size_t)R * (size_t)(2 + P), gb = (size_t)nb * tb;
    int32_t cs[LMRT_V4_CS];
    __m512 acc[LMRT_V4_TB > LMRT_V4_SU ? LMRT_V4_TB : LMRT_V4_SU];
    /* token chunks whose sums fit cs; inside, sub-tiles outside and tokens inside, so a sub-tile's
     * bytes are read from memory once per chunk and from L1 for the other token groups */
    int ct = LMRT_V4_CS / nb / LMRT_V4_TB * LMRT_V4_TB;
    for (int c0 = 0; c0 < n; c0 += ct) {
        int cn = n - c0 < ct ? n - c0 : ct;
        const uint8_t *xc = (const uint8_t *)x + (size_t)c0 * xs;
        lmrt_v4_csum_(cs, xc, xs, nb, cn, q8 ? 128 : 8);
        for (int r16 = ra / 16 * 16; r16 < rb; r16 += 16) {
            if (cn == 1 && r16 >= ra && r16 + 16 * LMRT_V4_SU <= rb) { /* one token, whole sub-tiles */
                const uint8_t *scu[LMRT_V4_SU], *qu[LMRT_V4_SU];
                for (int u = 0; u < LMRT_V4_SU; u++) {
                    int r = r16 + 16 * u;
                    const uint8_t *Gu = (const uint8_t *)W + (size_t)(r / R) * gb;
                    scu[u] = Gu + 32 * (r % R / 16);
                    qu[u] = Gu + 2 * R + 16 * P * (r % R / 16);
                }
                if (q8) lmrt_v4_sub1_(1, acc, scu, qu, tb, nb, xc, cs);
                else lmrt_v4_sub1_(0, acc, scu, qu, tb, nb, xc, cs);
                float *yo = y + (size_t)c0 * (size_t)ldy + (size_t)(r16 - ra);
                const float *ro = res ? res + (size_t)c0 * (size_t)ldy + (size_t)(r16 - ra) : res;
                for (int u = 0; u < LMRT_V4_SU; u++)
                    _mm512_storeu_ps(yo + 16 * u, ro ? _mm512_add_ps(acc[u], _mm512_loadu_ps(ro + 16 * u)) : acc[u]);
                r16 += 16 * (LMRT_V4_SU - 1);
                continue;
            }
            const uint8_t *G = (const uint8_t *)W + (size_t)(r16 / R) * gb;
            int s = r16 % R / 16, lo = r16 > ra ? r16 : ra, hi = r16 + 16 < rb ? r16 + 16 : rb;
            const uint8_t *sc = G + 32 * s, *q = G + 2 * R + 16 * P * s;
            for (int t0 = 0; t0 < cn; t0 += LMRT_V4_TB) {
                int nt = cn - t0 < LMRT_V4_TB ? cn - t0 : LMRT_V4_TB;
                lmrt_v4_sub_(q8, acc, sc, q, tb, nb, xc + (size_t)t0 * xs, xs, cs + t0 * nb, nt);
                for (int t = 0; t < nt; t++) {
                    size_t o = (size_t)(c0 + t0 + t) * (size_t)ldy;
                    if (lo == r16 && hi == r16 + 16) {
                        __m512 v = acc[t];
                        if (res) v = _mm512_add_ps(v, _mm512_loadu_ps(res + o + (size_t)(r16 - ra)));
                        _mm512_storeu_ps(y + o + (size_t)(r16 - ra), v);
                        continue;
                    }
                    float tmp[16];
                    _mm512_storeu_ps(tmp, acc[t]);
                    for (int r = lo; r < hi; r++) {
                        size_t i = o + (size_t)(r - ra);
                        y[i] = res ? tmp[r - r16] + res[i] : tmp[r - r16];
                    }
                }
            }
        }
    }
}

LMRT_API void lmrt_v4_rows_q4_0t_q8a_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                      int rb, const float *res) {
    lmrt_v4_tiled_rows_(LMRT_GGML_Q4_0, y, ldy, W, x, n, K, R, ra, rb, res);
}

LMRT_API void lmrt_v4_rows_q8_0t_q8a_(float *y, int ldy, const void *W, const void *x, int n, int K, int R, int ra,
                                      int rb, const float *res) {
    lmrt_v4_tiled_rows_(LMRT_GGML_Q8_0, y, ldy, W, x, n, K, R, ra, rb, res);
}

/* ---- the linear family on the v3 drivers (row split, swiglu and qkv epilogues) ---- */

LMRT_X86_LINEAR_P(v4, q4_0t, q8a, R)
LMRT_X86_LINEAR_P(v4, q8_0t, q8a, R)

/* ---- GGUF super-block formats (q4_k, q6_k, iq4_xs) x q8a: one row dot per (row, token) ----
 * A super-block is 256 elements = 8 q8a blocks.  Two 32-element sub-blocks fill one 512-bit register
 * (lower half sub-block 2p, upper 2p + 1) of unsigned codes u, so one VPDPBUSD against the two
 * activation blocks gives 16 dword partial dots; the codes' offset c (q6_k: 32, iq4_xs: 128, the
 * codebook + 128) is a second VPDPBUSD of the constant c against the same activations, subtracted in
 * integers.  The float scale of each dword lane (block scale x activation scale) is computed once per
 * super-block for its 8 (q6_k: 16) sub-blocks and moved to the lanes by a permute. */

LMRT_V4_AI __m256 lmrt_v4_dx8_(const uint8_t *a) { /* the 8 q8a scales of a super-block's activations */
    const __m256i off = _mm256_setr_epi32(0, 36, 72, 108, 144, 180, 216, 252);
    return _mm256_i32gather_ps((const float *)a, off, 1);
}

/* the two activation blocks of sub-blocks 2p, 2p + 1 as one register */
LMRT_V4_AI __m512i lmrt_v4_x2_(const uint8_t *a, int p) {
    const uint8_t *a0 = a + (size_t)(2 * p) * LMRT_Q8A_BYTES + 4;
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a0)),
                              _mm256_loadu_si256((const __m256i *)(a0 + LMRT_Q8A_BYTES)), 1);
}

/* lanes 0-7 take f[2p], lanes 8-15 f[2p + 1] (f: 8 floats in the low half) */
LMRT_V4_AI __m512 lmrt_v4_pair_scale_(__m512 f, int p) {
    __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(2 * p)), _mm256_set1_epi32(2 * p + 1), 1);
    return _mm512_permutexvar_ps(idx, f);
}

LMRT_V4_AI float lmrt_v4_dot_q4_k_q8a_(const void *W, int r, int K, int R, const void *xv) {
    (void)R;
    const uint8_t *b = lmrt_q4x_row_(LMRT_GGML_Q4_K, W, r, K), *a = (const uint8_t *)xv;
    const __m512i m4 = _mm512_set1_epi8(15), ones = _mm512_set1_epi8(1);
    __m512 acc = _mm512_setzero_ps();
    for (int sb = 0; sb < K / 256; sb++, b += 144, a += 8 * LMRT_Q8A_BYTES) {
        /* 6-bit scales and mins of the 8 sub-blocks to bytes 0-7 and 8-15 (as ggml unpacks them) */
        uint32_t u[4];
        lmrt_memcpy(u, b + 4, 12);
        u[3] = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
        uint32_t t = u[1] & 0x3f3f3f3fu;
        u[1] = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
        u[2] = t;
        u[0] &= 0x3f3f3f3fu;
        __m128i sm = _mm_loadu_si128((const __m128i *)u);
        __m256 dx = lmrt_v4_dx8_(a);
        __m256 fs = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(lmrt_load_u16le(b))), dx),
                                  _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sm)));
        __m256 fm = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(-_cvtsh_ss(lmrt_load_u16le(b + 2))), dx),
                                  _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8))));
        __m512 fs16 = _mm512_castps256_ps512(fs), fm16 = _mm512_castps256_ps512(fm);
        LMRT_X86_UNROLL(4)
        for (int p = 0; p < 4; p++) { /* qs chunk p: sub-block 2p in the low nibbles, 2p + 1 in the high */
            __m256i v = _mm256_loadu_si256((const __m256i *)(b + 16 + 32 * p));
            __m512i c = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(v), _mm256_srli_epi16(v, 4), 1), m4);
            __m512i x = lmrt_v4_x2_(a, p);
            __m512i dq = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c, x);
            __m512i sx = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, x);
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dq), lmrt_v4_pair_scale_(fs16, p), acc);
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sx), lmrt_v4_pair_scale_(fm16, p), acc);
        }
    }
    return _mm512_reduce_add_ps(acc);
}

LMRT_V4_AI float lmrt_v4_dot_q6_k_q8a_(const void *W, int r, int K, int R, const void *xv) {
    (void)R;
    const uint8_t *b = lmrt_q4x_row_(LMRT_GGML_Q6_K, W, r, K), *a = (const uint8_t *)xv;
    const __m512i m4 = _mm512_set1_epi8(15), m2 = _mm512_set1_epi8(3), c32 = _mm512_set1_epi8(32);
    const __m512i half = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    __m512 acc = _mm512_setzero_ps();
    for (int sb = 0; sb < K / 256; sb++, b += 210, a += 8 * LMRT_Q8A_BYTES) {
        /* 16 scales (one per 16 elements) x d x the activation scale of their 32-element block */
        __m512 dx = _mm512_permutexvar_ps(half, _mm512_castps256_ps512(lmrt_v4_dx8_(a)));
        __m512 fs = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(_cvtsh_ss(lmrt_load_u16le(b + 208))), dx),
                                  _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 192)))));
        LMRT_X86_UNROLL(4)
        for (int p = 0; p < 4; p++) {
            /* sub-blocks 2p, 2p + 1 = k 2m, 2m + 1 of half n: ql nibble m of bytes 64n.. (+32),
             * qh 2-bit fields 2k of bytes 128 + 32n.. */
            int n = p / 2, m = p % 2;
            __m512i ql = _mm512_loadu_si512(b + 64 * n);
            __m256i qh = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * n));
            __m512i lo = _mm512_and_si512(_mm512_srli_epi16(ql, 4 * m), m4);
            __m512i hi = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_srli_epi16(qh, 4 * m)),
                                            _mm256_srli_epi16(qh, 4 * m + 2), 1);
            __m512i c = _mm512_or_si512(lo, _mm512_slli_epi16(_mm512_and_si512(hi, m2), 4));
            __m512i x = lmrt_v4_x2_(a, p);
            __m512i dq = _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), c, x),
                                          _mm512_dpbusd_epi32(_mm512_setzero_si512(), c32, x));
            /* lane l (4 elements) of pair p: scale 4p + l / 4 */
            __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(4 * p),
                                           _mm512_srli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                                                               13, 14, 15), 2));
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dq), _mm512_permutexvar_ps(idx, fs), acc);
        }
    }
    return _mm512_reduce_add_ps(acc);
}

LMRT_V4_AI float lmrt_v4_dot_iq4_xs_q8a_(const void *W, int r, int K, int R, const void *xv) {
    (void)R;
    const uint8_t *b = lmrt_q4x_row_(LMRT_GGML_IQ4_XS, W, r, K), *a = (const uint8_t *)xv;
    const __m512i m4 = _mm512_set1_epi8(15), c128 = _mm512_set1_epi8((char)0x80);
    /* the codebook + 128 (unsigned) in every 128-bit lane */
    const __m512i tab = _mm512_broadcast_i32x4(_mm_setr_epi8(1, 24, 45, 63, 79, 93, 106, 118, (char)129, (char)141,
                                                             (char)153, (char)166, (char)181, (char)197, (char)217,
                                                             (char)241));
    const __m256i sh4 = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28), sh2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    __m512 acc = _mm512_setzero_ps();
    for (int sb = 0; sb < K / 256; sb++, b += 136, a += 8 * LMRT_Q8A_BYTES) {
        /* scale j = (nibble j of scales_l | 2-bit field j of scales_h << 4) - 32 */
        __m256i sl = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)lmrt_load_u32le(b + 4)), sh4),
                                      _mm256_set1_epi32(15));
        __m256i sh = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(lmrt_load_u16le(b + 2)), sh2),
                                      _mm256_set1_epi32(3));
        __m256i ls = _mm256_sub_epi32(_mm256_or_si256(sl, _mm256_slli_epi32(sh, 4)), _mm256_set1_epi32(32));
        __m256 fs = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(lmrt_load_u16le(b))), lmrt_v4_dx8_(a)),
                                  _mm256_cvtepi32_ps(ls));
        __m512 fs16 = _mm512_castps256_ps512(fs);
        LMRT_X86_UNROLL(4)
        for (int p = 0; p < 4; p++) {
            /* 16 bytes per sub-block: low nibbles elements 0-15, high 16-31; z's 128-bit lanes are
             * lo(2p) lo(2p+1) hi(2p) hi(2p+1), reordered to lo(2p) hi(2p) lo(2p+1) hi(2p+1) */
            __m256i v = _mm256_loadu_si256((const __m256i *)(b + 8 + 32 * p));
            __m512i z = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(v), _mm256_srli_epi16(v, 4), 1), m4);
            __m512i c = _mm512_shuffle_epi8(tab, _mm512_shuffle_i64x2(z, z, 0xD8));
            __m512i x = lmrt_v4_x2_(a, p);
            __m512i dq = _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), c, x),
                                          _mm512_dpbusd_epi32(_mm512_setzero_si512(), c128, x));
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dq), lmrt_v4_pair_scale_(fs16, p), acc);
        }
    }
    return _mm512_reduce_add_ps(acc);
}

LMRT_LINEAR_(v4, q4_k, q8a, lmrt_v4_dot_q4_k_q8a_)
LMRT_LINEAR_(v4, q6_k, q8a, lmrt_v4_dot_q6_k_q8a_)
LMRT_LINEAR_(v4, iq4_xs, q8a, lmrt_v4_dot_iq4_xs_q8a_)

/* ---- the contract names this set replaces (the rest: the x86-64-v3 set and its fallback) ---- */

#undef lmrt_k_matmul_q4_0t_q8a
#undef lmrt_k_matmul_add_q4_0t_q8a
#undef lmrt_k_matmul_swiglu_q4_0t_q8a
#undef lmrt_k_qkv_q4_0t_q8a_f32
#undef lmrt_k_qkv_q4_0t_q8a_f16
#undef lmrt_k_qkv_q4_0t_q8a_q8
#define lmrt_k_matmul_q4_0t_q8a lmrt_v4_matmul_q4_0t_q8a
#define lmrt_k_matmul_add_q4_0t_q8a lmrt_v4_matmul_add_q4_0t_q8a
#define lmrt_k_matmul_swiglu_q4_0t_q8a lmrt_v4_matmul_swiglu_q4_0t_q8a
#define lmrt_k_qkv_q4_0t_q8a_f32 lmrt_v4_qkv_q4_0t_q8a_f32
#define lmrt_k_qkv_q4_0t_q8a_f16 lmrt_v4_qkv_q4_0t_q8a_f16
#define lmrt_k_qkv_q4_0t_q8a_q8 lmrt_v4_qkv_q4_0t_q8a_q8

#undef lmrt_k_matmul_q8_0t_q8a
#undef lmrt_k_matmul_add_q8_0t_q8a
#undef lmrt_k_matmul_swiglu_q8_0t_q8a
#undef lmrt_k_qkv_q8_0t_q8a_f32
#undef lmrt_k_qkv_q8_0t_q8a_f16
#undef lmrt_k_qkv_q8_0t_q8a_q8
#define lmrt_k_matmul_q8_0t_q8a lmrt_v4_matmul_q8_0t_q8a
#define lmrt_k_matmul_add_q8_0t_q8a lmrt_v4_matmul_add_q8_0t_q8a
#define lmrt_k_matmul_swiglu_q8_0t_q8a lmrt_v4_matmul_swiglu_q8_0t_q8a
#define lmrt_k_qkv_q8_0t_q8a_f32 lmrt_v4_qkv_q8_0t_q8a_f32
#define lmrt_k_qkv_q8_0t_q8a_f16 lmrt_v4_qkv_q8_0t_q8a_f16
#define lmrt_k_qkv_q8_0t_q8a_q8 lmrt_v4_qkv_q8_0t_q8a_q8

#undef lmrt_k_matmul_q4_k_q8a
#undef lmrt_k_matmul_add_q4_k_q8a
#undef lmrt_k_matmul_swiglu_q4_k_q8a
#undef lmrt_k_qkv_q4_k_q8a_f32
#undef lmrt_k_qkv_q4_k_q8a_f16
#undef lmrt_k_qkv_q4_k_q8a_q8
#define lmrt_k_matmul_q4_k_q8a lmrt_v4_matmul_q4_k_q8a
#define lmrt_k_matmul_add_q4_k_q8a lmrt_v4_matmul_add_q4_k_q8a
#define lmrt_k_matmul_swiglu_q4_k_q8a lmrt_v4_matmul_swiglu_q4_k_q8a
#define lmrt_k_qkv_q4_k_q8a_f32 lmrt_v4_qkv_q4_k_q8a_f32
#define lmrt_k_qkv_q4_k_q8a_f16 lmrt_v4_qkv_q4_k_q8a_f16
#define lmrt_k_qkv_q4_k_q8a_q8 lmrt_v4_qkv_q4_k_q8a_q8

#undef lmrt_k_matmul_q6_k_q8a
#undef lmrt_k_matmul_add_q6_k_q8a
#undef lmrt_k_matmul_swiglu_q6_k_q8a
#undef lmrt_k_qkv_q6_k_q8a_f32
#undef lmrt_k_qkv_q6_k_q8a_f16
#undef lmrt_k_qkv_q6_k_q8a_q8
#define lmrt_k_matmul_q6_k_q8a lmrt_v4_matmul_q6_k_q8a
#define lmrt_k_matmul_add_q6_k_q8a lmrt_v4_matmul_add_q6_k_q8a
#define lmrt_k_matmul_swiglu_q6_k_q8a lmrt_v4_matmul_swiglu_q6_k_q8a
#define lmrt_k_qkv_q6_k_q8a_f32 lmrt_v4_qkv_q6_k_q8a_f32
#define lmrt_k_qkv_q6_k_q8a_f16 lmrt_v4_qkv_q6_k_q8a_f16
#define lmrt_k_qkv_q6_k_q8a_q8 lmrt_v4_qkv_q6_k_q8a_q8

#undef lmrt_k_matmul_iq4_xs_q8a
#undef lmrt_k_matmul_add_iq4_xs_q8a
#undef lmrt_k_matmul_swiglu_iq4_xs_q8a
#undef lmrt_k_qkv_iq4_xs_q8a_f32
#undef lmrt_k_qkv_iq4_xs_q8a_f16
#undef lmrt_k_qkv_iq4_xs_q8a_q8
#define lmrt_k_matmul_iq4_xs_q8a lmrt_v4_matmul_iq4_xs_q8a
#define lmrt_k_matmul_add_iq4_xs_q8a lmrt_v4_matmul_add_iq4_xs_q8a
#define lmrt_k_matmul_swiglu_iq4_xs_q8a lmrt_v4_matmul_swiglu_iq4_xs_q8a
#define lmrt_k_qkv_iq4_xs_q8a_f32 lmrt_v4_qkv_iq4_xs_q8a_f32
#define lmrt_k_qkv_iq4_xs_q8a_f16 lmrt_v4_qkv_iq4_xs_q8a_f16
#define lmrt_k_qkv_iq4_xs_q8a_q8 lmrt_v4_qkv_iq4_xs_q8a_q8

#endif
