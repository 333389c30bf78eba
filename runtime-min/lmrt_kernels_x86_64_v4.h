/* lmrt_kernels_x86_64_v4.h - kernel contract v2 for x86-64-v4 with AVX512-VNNI (AVX-512 F/BW/DQ/VL +
 * VNNI: Ice Lake, Zen 4 and later).
 *
 * Accelerated here: matmul / matmul_add / matmul_swiglu / qkv for q4_0t and q8_0t weights with q8a
 * activations (VPDPBUSD on 16-row sub-tiles, register-blocked over rows and tokens; tiles of R = 16k
 * rows), and for GGUF q4_k, q6_k, iq4_xs and q5_0 weights with q8a activations (VPDPBUSD, two
 * sub-blocks per register, register-blocked over 4 rows x 4 tokens).  Everything else is the
 * x86-64-v3 set (AVX2, lmrt_kernels_x86_64_v3.h, included first), whose contract names are replaced
 * at the end of this file where this set has its own kernel.
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
 * and the sub-tiles' VPDPBUSD chains are independent.  With 64-row tiles (the target's q4_0 tiles)
 * the 4 sub-tiles are one tile's, so the pass reads one contiguous stream; four streams (four
 * 16-row tiles side by side) read 0.7-0.8 of what one stream does on Zen 5 (bench/q4_micro.c).
 * LMRT_V4_SU (-D, 1, 2 or 4) exists for that benchmark. */
#ifndef LMRT_V4_SU
#define LMRT_V4_SU 4
#endif
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

/* ---- GGUF super-block formats (q4_k, q6_k, iq4_xs; q5_0) x q8a: register-blocked over rows and tokens ----
 * A super-block is 256 elements = 8 q8a blocks; q5_0 (32-element blocks) is read in quads of 4 blocks,
 * 128 elements, as if they were super-blocks of one quad.  A tile of LMRT_V4_KR rows x LMRT_V4_KT tokens keeps
 * its 16 accumulators in registers: a row's codes and scales are decoded once per tile and used for
 * every token of it, a token's activations read once per row (from L1).
 * Codes: q4_k's are unsigned (0..15) against the signed activations, its mins a separate float term
 * (-dmin m_j dx_j sum(a_j), sum(a_j) summed once per token); q5_0's are unsigned too (q + 16, 0..31),
 * the integer sum starting at -16 x the sum of the activations it multiplies (per token, exact); q6_k's (q - 32) and iq4_xs's (codebook
 * values) are signed, so the activations are the unsigned operand a + 128 and the integer sum starts
 * at -128 sum(codes) (VPDPBUSDs per row shared by the tile's tokens): exact.
 * Lanes.  q4_k, iq4_xs and q5_0 (one scale per 32 elements): a quad of sub-blocks 4h..4h+3 is two registers,
 * A = their elements 0-15, B = 16-31, 128-bit lane j = sub-block 4h + j, so two chained VPDPBUSDs give
 * each dword lane 8 products of one sub-block; the activations are copied once per token chunk into
 * the same order (lmrt_v4_kq_pre_).  q6_k (one scale per 16 elements): a pair of sub-blocks 2p, 2p + 1
 * is one register, one VPDPBUSD against the two activation blocks as they are stored.
 * Float order, the same for every n, tile position and thread split (so a row's result does not
 * depend on how many tokens share the call): per (row, token) one 16-lane accumulator, for each
 * super-block and quad (q6_k: pair) in order acc += (float(idot) * dx) * (d scale), then q4_k's mins
 * term acc += (-dmin m_j) (dx_j sum(a_j)) in lanes 8-15; the result is _mm512_reduce_add_ps(acc). */

#define LMRT_V4_KR 4       /* rows per register tile */
#define LMRT_V4_KT 4       /* tokens per register tile */
#define LMRT_V4_KPRE 32768 /* stack floats for the per-(token, super-block) activation data */

/* the two activation blocks of sub-blocks 2p, 2p + 1 as one register */
LMRT_V4_AI __m512i lmrt_v4_x2_(const uint8_t *a, int p) {
    const uint8_t *a0 = a + (size_t)(2 * p) * LMRT_Q8A_BYTES + 4;
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a0)),
                              _mm256_loadu_si256((const __m256i *)(a0 + LMRT_Q8A_BYTES)), 1);
}

/* lanes 0-7 take f[2p], lanes 8-15 f[2p + 1] */
LMRT_V4_AI __m512 lmrt_v4_pair_scale_(__m512 f, int p) {
    __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(2 * p)), _mm256_set1_epi32(2 * p + 1), 1);
    return _mm512_permutexvar_ps(idx, f);
}

/* lane l takes f[4q + l / 4] */
LMRT_V4_AI __m512 lmrt_v4_quad_scale_(__m512 f, int q) {
    __m512i l = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm512_permutexvar_ps(_mm512_add_epi32(_mm512_set1_epi32(4 * q), _mm512_srli_epi32(l, 2)), f);
}

/* the sum of a q8a block's 32 codes: a + 128 summed as unsigned bytes, minus 32 * 128 */
LMRT_V4_AI int32_t lmrt_v4_bsum_(const uint8_t *a) {
    __m256i s =
        _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + 4)), _mm256_set1_epi8((char)0x80)),
                        _mm256_setzero_si256());
    __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    h = _mm_add_epi64(h, _mm_unpackhi_epi64(h, h));
    return _mm_cvtsi128_si32(h) - 32 * 128;
}

/* floats of lmrt_v4_kq_pre_ data per (token, super-block) */
LMRT_V4_AI int lmrt_v4_kq_ps_(int type) { return type == LMRT_GGML_Q6_K ? 16 : type == LMRT_GGML_Q5_0 ? 64 : 112; }

/* elements per super-block: q5_0 (32-element blocks, chosen by llama-quantize where a dimension is
 * not a multiple of 256) is read as quads of 4 blocks, 128 elements */
LMRT_V4_AI int lmrt_v4_kq_qk_(int type) { return type == LMRT_GGML_Q5_0 ? 128 : 256; }

/* the activation data of super-block s of token t at pre + ps (t nsb + s):
 * q6_k: 16 floats, lanes 0-7 the scales dx_j (lanes 8-15 unused, 0);
 * q5_0: bytes 0-127 the codes of its quad (as q4_k's quad 0), 16 floats lane l dx of block l / 4,
 * then 16 int32: lane l = -16 x the sum of the 8 activations lane l multiplies (codes are q + 16);
 * q4_k, iq4_xs: bytes 0-255 the codes of quads 0, 1 in the order of lmrt_v4_kq_codes4_ (+ 128 for
 * iq4_xs), then 16 floats per quad: lane l dx of sub-block 4h + l / 4; then 16 floats, lanes 8-15
 * dx_j sum(a_j) (lanes 0-7: 0) */
LMRT_INLINE void lmrt_v4_kq_pre_(int type, float *pre, const uint8_t *x, size_t xs, int nsb, int nt) {
    int ps = lmrt_v4_kq_ps_(type), bs = lmrt_v4_kq_qk_(type) / 32;
    const __m128i sb = _mm_set1_epi8(type == LMRT_GGML_IQ4_XS ? (char)0x80 : 0);
    for (int t = 0; t < nt; t++)
        for (int s = 0; s < nsb; s++) {
            float *p = pre + (size_t)ps * (size_t)(t * nsb + s);
            for (int i = 0; i < ps; i++) p[i] = 0.0f;
            for (int j = 0; j < 8; j++) {
                const uint8_t *a = x + (size_t)t * xs + (size_t)(bs * s + j) * LMRT_Q8A_BYTES;
                float dx = lmrt_x86_q8a_d_(a);
                if (type == LMRT_GGML_Q6_K) {
                    p[j] = dx;
                    continue;
                }
                if (type == LMRT_GGML_Q5_0 && j >= 4) break;
                uint8_t *q = (uint8_t *)p + 128 * (j / 4) + 16 * (j % 4);
                _mm_storeu_si128((__m128i *)q, _mm_xor_si128(_mm_loadu_si128((const __m128i *)(a + 4)), sb));
                _mm_storeu_si128((__m128i *)(q + 64), _mm_xor_si128(_mm_loadu_si128((const __m128i *)(a + 20)), sb));
                for (int i = 0; i < 4; i++) p[(type == LMRT_GGML_Q5_0 ? 32 : 64) + 4 * j + i] = dx;
                if (type != LMRT_GGML_Q5_0) p[96 + 8 + j] = dx * (float)lmrt_v4_bsum_(a);
            }
            if (type == LMRT_GGML_Q5_0) {
                const __m512i c16 = _mm512_set1_epi8(16), z = _mm512_setzero_si512();
                const __m512i *xq = (const __m512i *)(const void *)p;
                __m512i b = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(z, c16, _mm512_loadu_si512(xq)), c16,
                                                _mm512_loadu_si512(xq + 1));
                _mm512_storeu_si512(p + 48, _mm512_sub_epi32(z, b));
            }
        }
}

/* a super-block's row scales: fs lanes = d x the scale of each sub-block (q6_k: of each 16 elements),
 * fm lanes 8-15 = q4_k's -dmin x min of each sub-block (0 elsewhere) */
LMRT_V4_AI void lmrt_v4_kq_scales_(int type, const uint8_t *b, __m512 *fs, __m512 *fm) {
    *fm = _mm512_setzero_ps();
    if (type == LMRT_GGML_Q4_K) {
        /* 6-bit scales and mins of the 8 sub-blocks to bytes 0-7 and 8-15 (as ggml unpacks them) */
        uint32_t u[4];
        lmrt_memcpy(u, b + 4, 12);
        u[3] = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
        uint32_t t = u[1] & 0x3f3f3f3fu;
        u[1] = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
        u[2] = t;
        u[0] &= 0x3f3f3f3fu;
        __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)u)));
        __m512 dm = _mm512_insertf32x8(_mm512_set1_ps(_cvtsh_ss(lmrt_load_u16le(b))),
                                       _mm256_set1_ps(-_cvtsh_ss(lmrt_load_u16le(b + 2))), 1);
        v = _mm512_mul_ps(dm, v);
        *fs = v;
        *fm = _mm512_maskz_mov_ps(0xff00, v);
    } else if (type == LMRT_GGML_Q5_0) { /* lanes 0-3: d of the quad's 4 blocks (22 bytes each) */
        __m128i h = _mm_setr_epi16((short)lmrt_load_u16le(b), (short)lmrt_load_u16le(b + 22),
                                   (short)lmrt_load_u16le(b + 44), (short)lmrt_load_u16le(b + 66), 0, 0, 0, 0);
        *fs = _mm512_zextps128_ps512(_mm_cvtph_ps(h));
    } else if (type == LMRT_GGML_Q6_K) {
        *fs = _mm512_mul_ps(_mm512_set1_ps(_cvtsh_ss(lmrt_load_u16le(b + 208))),
                            _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 192)))));
    } else { /* iq4_xs: scale j = (nibble j of scales_l | 2-bit field j of scales_h << 4) - 32 */
        const __m256i sh4 = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
        const __m256i sh2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
        __m256i sl = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)lmrt_load_u32le(b + 4)), sh4),
                                      _mm256_set1_epi32(15));
        __m256i sh = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(lmrt_load_u16le(b + 2)), sh2),
                                      _mm256_set1_epi32(3));
        __m256i ls = _mm256_sub_epi32(_mm256_or_si256(sl, _mm256_slli_epi32(sh, 4)), _mm256_set1_epi32(32));
        *fs = _mm512_castps256_ps512(
            _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(lmrt_load_u16le(b))), _mm256_cvtepi32_ps(ls)));
    }
}

/* q4_k, iq4_xs: the codes of quad h (sub-blocks 4h..4h+3) as c[0] = their elements 0-15, c[1] =
 * 16-31, 128-bit lane j = sub-block 4h + j; q4_k's unsigned, iq4_xs's signed */
LMRT_V4_AI void lmrt_v4_kq_codes4_(int type, const uint8_t *b, int h, __m512i *c) {
    const __m512i m4 = _mm512_set1_epi8(15);
    if (type == LMRT_GGML_Q4_K) {
        /* qs chunk p (32 bytes): sub-block 2p in the low nibbles, 2p + 1 in the high: lo's lanes are
         * 0a 0b 2a 2b, hi's 1a 1b 3a 3b (of the quad; a = elements 0-15, b = 16-31) */
        __m512i v = _mm512_loadu_si512(b + 16 + 64 * h);
        __m512i lo = _mm512_and_si512(v, m4), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
        c[0] = _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), hi);
        c[1] = _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15), hi);
        return;
    }
    /* iq4_xs: 16 bytes per sub-block, low nibbles elements 0-15, high 16-31; the codebook
     * (kvalues_iq4nl) in every 128-bit lane */
    const __m512i tab = _mm512_broadcast_i32x4(
        _mm_setr_epi8(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113));
    __m512i v = _mm512_loadu_si512(b + 8 + 64 * h);
    c[0] = _mm512_shuffle_epi8(tab, _mm512_and_si512(v, m4));
    c[1] = _mm512_shuffle_epi8(tab, _mm512_and_si512(_mm512_srli_epi16(v, 4), m4));
}

/* q6_k: the signed codes (q - 32) of sub-blocks 2p, 2p + 1 = k 2m, 2m + 1 of half n: ql nibble m of
 * bytes 64n.. (+32), qh 2-bit fields 2k of bytes 128 + 32n.. */
LMRT_V4_AI __m512i lmrt_v4_q6_k_codes2_(const uint8_t *b, int p) {
    const __m512i m4 = _mm512_set1_epi8(15);
    int n = p / 2, m = p % 2;
    __m512i ql = _mm512_loadu_si512(b + 64 * n);
    __m256i qh = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * n));
    __m512i lo = _mm512_and_si512(_mm512_srli_epi16(ql, 4 * m), m4);
    __m512i hi =
        _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_srli_epi16(qh, 4 * m)), _mm256_srli_epi16(qh, 4 * m + 2), 1);
    __m512i c = _mm512_or_si512(lo, _mm512_slli_epi16(_mm512_and_si512(hi, _mm512_set1_epi8(3)), 4));
    return _mm512_sub_epi8(c, _mm512_set1_epi8(32));
}

/* q5_0: the unsigned codes q + 16 of a quad of blocks {f16 d, u32 qh, qs[16]} as c[0] = their elements
 * 0-15 (low nibbles), c[1] = 16-31 (high nibbles), 128-bit lane j = block j; the 5th bits (bit e of
 * qh = element e) become byte masks that add 16 */
LMRT_V4_AI void lmrt_v4_q5_0_codes4_(const uint8_t *b, __m512i *c) {
    const __m512i m4 = _mm512_set1_epi8(15), c16 = _mm512_set1_epi8(16);
    __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(b + 6)));
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(b + 28)), 1);
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(b + 50)), 2);
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(b + 72)), 3);
    uint64_t lo = 0, hi = 0;
    for (int j = 0; j < 4; j++) {
        lo |= (uint64_t)lmrt_load_u16le(b + 22 * j + 2) << (16 * j);
        hi |= (uint64_t)lmrt_load_u16le(b + 22 * j + 4) << (16 * j);
    }
    c[0] = _mm512_mask_add_epi8(_mm512_and_si512(v, m4), _cvtu64_mask64(lo), _mm512_and_si512(v, m4), c16);
    __m512i h = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
    c[1] = _mm512_mask_add_epi8(h, _cvtu64_mask64(hi), h, c16);
}

LMRT_V4_AI int lmrt_v4_kq_bytes_(int type) {
    return type == LMRT_GGML_Q4_K ? 144 : type == LMRT_GGML_Q6_K ? 210 : type == LMRT_GGML_Q5_0 ? 88 : 136;
}

/* acc[r KT + t] = the whole dot of row w[r] with token t (x[t]: its activations, pre[t]: its
 * lmrt_v4_kq_pre_ data), for LMRT_V4_KR rows and kt tokens */
LMRT_V4_AI void lmrt_v4_kq_tile_(int type, int kt, __m512 *acc, const uint8_t *const *w, const uint8_t *const *x,
                                 const float *const *pre, int nsb) {
    const int sgn = type != LMRT_GGML_Q4_K, bb = lmrt_v4_kq_bytes_(type), ps = lmrt_v4_kq_ps_(type);
    const __m512i c80 = _mm512_set1_epi8((char)0x80), z = _mm512_setzero_si512();
    LMRT_X86_UNROLL(16)
    for (int i = 0; i < LMRT_V4_KR * LMRT_V4_KT; i++) acc[i] = _mm512_setzero_ps();
    for (int s = 0; s < nsb; s++) {
        __m512 fs[LMRT_V4_KR], fm[LMRT_V4_KR];
        LMRT_X86_UNROLL(4)
        for (int r = 0; r < LMRT_V4_KR; r++) {
            /* the next tile (its rows are contiguous) in address order, one block per row and
             * super-block, so the whole of it is asked for once while this tile runs: the hardware
             * prefetcher does not follow LMRT_V4_KR interleaved short rows, and hints that jump
             * between them (the same super-block of each next row) leave a large output matrix
             * (128256 x 2048 q6_k) at ~60% of llama.cpp's row-at-a-time speed.  A hint, harmless
             * past the weight's end */
            const char *nx = (const char *)w[0] + (size_t)(LMRT_V4_KR * nsb + LMRT_V4_KR * s + r) * (size_t)bb;
            for (int o = 0; o < bb; o += 64) _mm_prefetch(nx + o, _MM_HINT_T0);
            lmrt_v4_kq_scales_(type, w[r] + (size_t)s * (size_t)bb, &fs[r], &fm[r]);
        }
        if (type == LMRT_GGML_Q6_K) {
            LMRT_X86_UNROLL(4)
            for (int p = 0; p < 4; p++) {
                __m512i xv[LMRT_V4_KT];
                __m512 dx[LMRT_V4_KT];
                LMRT_X86_UNROLL(4)
                for (int t = 0; t < kt; t++) {
                    xv[t] = _mm512_xor_si512(lmrt_v4_x2_(x[t] + (size_t)(8 * s) * LMRT_Q8A_BYTES, p), c80);
                    dx[t] = lmrt_v4_pair_scale_(_mm512_loadu_ps(pre[t] + ps * s), p);
                }
                LMRT_X86_UNROLL(4)
                for (int r = 0; r < LMRT_V4_KR; r++) {
                    __m512i c = lmrt_v4_q6_k_codes2_(w[r] + (size_t)s * (size_t)bb, p);
                    __m512i s0 = _mm512_sub_epi32(z, _mm512_dpbusd_epi32(z, c80, c));
                    __m512 ws = lmrt_v4_quad_scale_(fs[r], p); /* lane l (4 elements): scale 4p + l / 4 */
                    LMRT_X86_UNROLL(4)
                    for (int t = 0; t < kt; t++) {
                        __m512 v = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(s0, xv[t], c));
                        acc[r * LMRT_V4_KT + t] = _mm512_fmadd_ps(_mm512_mul_ps(v, dx[t]), ws, acc[r * LMRT_V4_KT + t]);
                    }
                }
            }
            continue;
        }
        if (type == LMRT_GGML_Q5_0) { /* one quad; the integer sum starts at the token's -16 sum(a) */
            LMRT_X86_UNROLL(4)
            for (int r = 0; r < LMRT_V4_KR; r++) {
                __m512i c[2];
                lmrt_v4_q5_0_codes4_(w[r] + (size_t)s * (size_t)bb, c);
                __m512 ws = lmrt_v4_quad_scale_(fs[r], 0);
                LMRT_X86_UNROLL(4)
                for (int t = 0; t < kt; t++) {
                    const float *p = pre[t] + ps * s;
                    const __m512i *xq = (const __m512i *)(const void *)p;
                    __m512i d = _mm512_dpbusd_epi32(
                        _mm512_dpbusd_epi32(_mm512_loadu_si512(xq + 3), c[0], _mm512_loadu_si512(xq)), c[1],
                        _mm512_loadu_si512(xq + 1));
                    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(d), _mm512_loadu_ps(p + 32));
                    acc[r * LMRT_V4_KT + t] = _mm512_fmadd_ps(v, ws, acc[r * LMRT_V4_KT + t]);
                }
            }
            continue;
        }
        LMRT_X86_UNROLL(2)
        for (int h = 0; h < 2; h++)
            LMRT_X86_UNROLL(4)
            for (int r = 0; r < LMRT_V4_KR; r++) {
                __m512i c[2], s0 = z;
                lmrt_v4_kq_codes4_(type, w[r] + (size_t)s * (size_t)bb, h, c);
                __m512 ws = lmrt_v4_quad_scale_(fs[r], h);
                if (sgn) s0 = _mm512_sub_epi32(z, _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(z, c80, c[0]), c80, c[1]));
                LMRT_X86_UNROLL(4)
                for (int t = 0; t < kt; t++) {
                    const float *p = pre[t] + ps * s;
                    const __m512i *xq = (const __m512i *)(const void *)p + 2 * h;
                    __m512i d = sgn ? _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(s0, _mm512_loadu_si512(xq), c[0]),
                                                          _mm512_loadu_si512(xq + 1), c[1])
                                    : _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(s0, c[0], _mm512_loadu_si512(xq)), c[1],
                                                          _mm512_loadu_si512(xq + 1));
                    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(d), _mm512_loadu_ps(p + 64 + 16 * h));
                    acc[r * LMRT_V4_KT + t] = _mm512_fmadd_ps(v, ws, acc[r * LMRT_V4_KT + t]);
                }
            }
        if (type == LMRT_GGML_Q4_K)
            LMRT_X86_UNROLL(4)
            for (int r = 0; r < LMRT_V4_KR; r++)
                LMRT_X86_UNROLL(4)
                for (int t = 0; t < kt; t++)
                    acc[r * LMRT_V4_KT + t] =
                        _mm512_fmadd_ps(fm[r], _mm512_loadu_ps(pre[t] + ps * s + 96), acc[r * LMRT_V4_KT + t]);
    }
}

/* rows [ra, rb) for n tokens: y[t * ldy + r - ra] (+ res at the same index; res may alias y).  Token
 * chunks whose activation data fit the stack; inside, row tiles outside and token tiles inside, so a
 * row tile's bytes come from memory once per chunk.  A partial tile repeats its last row or token
 * (computed, not stored); a lone token uses the one-token tile. */
LMRT_V4_AI void lmrt_v4_kq_rows_(int type, float *y, int ldy, const void *W, const void *x, int n, int K, int ra,
                                 int rb, const float *res) {
    int qk = lmrt_v4_kq_qk_(type), nsb = K / qk, ps = lmrt_v4_kq_ps_(type);
    int ct = nsb > 0 && K % qk == 0 ? LMRT_V4_KPRE / (ps * nsb) : 0;
    size_t xs = (size_t)((K + 31) / 32) * LMRT_Q8A_BYTES;
    /* one token's data does not fit (q4_k, iq4_xs: K > 74752; q5_0: K > 65536), or a q5_0 row is
     * not whole quads: the x86-64-v3 row dot, the same for every n */
    if (ct < 1) {
        for (int t = 0; t < n; t++)
            for (int r = ra; r < rb; r++) {
                size_t i = (size_t)t * (size_t)ldy + (size_t)(r - ra);
                float v = lmrt_kq_dot_q8a_(type, W, r, K, (const uint8_t *)x + (size_t)t * xs);
                y[i] = res ? v + res[i] : v;
            }
        return;
    }
    if (ct >= LMRT_V4_KT) ct = ct / LMRT_V4_KT * LMRT_V4_KT;
    float pre[LMRT_V4_KPRE];
    for (int c0 = 0; c0 < n; c0 += ct) {
        int cn = n - c0 < ct ? n - c0 : ct;
        const uint8_t *xc = (const uint8_t *)x + (size_t)c0 * xs;
        lmrt_v4_kq_pre_(type, pre, xc, xs, nsb, cn);
        for (int r0 = ra; r0 < rb; r0 += LMRT_V4_KR) {
            const uint8_t *w[LMRT_V4_KR];
            for (int i = 0; i < LMRT_V4_KR; i++) w[i] = lmrt_q4x_row_(type, W, r0 + i < rb ? r0 + i : rb - 1, K);
            for (int t0 = 0; t0 < cn; t0 += LMRT_V4_KT) {
                int nt = cn - t0 < LMRT_V4_KT ? cn - t0 : LMRT_V4_KT;
                const uint8_t *xt[LMRT_V4_KT];
                const float *pt[LMRT_V4_KT];
                for (int i = 0; i < LMRT_V4_KT; i++) {
                    int t = t0 + (i < nt ? i : nt - 1);
                    xt[i] = xc + (size_t)t * xs;
                    pt[i] = pre + (size_t)ps * (size_t)(t * nsb);
                }
                __m512 acc[LMRT_V4_KR * LMRT_V4_KT];
                if (nt == 1) lmrt_v4_kq_tile_(type, 1, acc, w, xt, pt, nsb);
                else lmrt_v4_kq_tile_(type, LMRT_V4_KT, acc, w, xt, pt, nsb);
                for (int r = 0; r < LMRT_V4_KR && r0 + r < rb; r++)
                    for (int t = 0; t < nt; t++) {
                        size_t i = (size_t)(c0 + t0 + t) * (size_t)ldy + (size_t)(r0 + r - ra);
                        float v = _mm512_reduce_add_ps(acc[r * LMRT_V4_KT + t]);
                        y[i] = res ? v + res[i] : v;
                    }
            }
        }
    }
}

#define LMRT_V4_KQ_ROWS_(W_, TYPE_)                                                                                    \
    LMRT_API void lmrt_v4_rows_##W_##_q8a_(float *y, int ldy, const void *W, const void *x, int n, int K, int R,       \
                                           int ra, int rb, const float *res) {                                         \
        (void)R;                                                                                                       \
        lmrt_v4_kq_rows_(TYPE_, y, ldy, W, x, n, K, ra, rb, res);                                                      \
    }                                                                                                                  \
    LMRT_X86_LINEAR_P(v4, W_, q8a, LMRT_V4_KR)

LMRT_V4_KQ_ROWS_(q4_k, LMRT_GGML_Q4_K)
LMRT_V4_KQ_ROWS_(q6_k, LMRT_GGML_Q6_K)
LMRT_V4_KQ_ROWS_(iq4_xs, LMRT_GGML_IQ4_XS)
LMRT_V4_KQ_ROWS_(q5_0, LMRT_GGML_Q5_0)

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

#undef lmrt_k_matmul_q5_0_q8a
#undef lmrt_k_matmul_add_q5_0_q8a
#undef lmrt_k_matmul_swiglu_q5_0_q8a
#undef lmrt_k_qkv_q5_0_q8a_f32
#undef lmrt_k_qkv_q5_0_q8a_f16
#undef lmrt_k_qkv_q5_0_q8a_q8
#define lmrt_k_matmul_q5_0_q8a lmrt_v4_matmul_q5_0_q8a
#define lmrt_k_matmul_add_q5_0_q8a lmrt_v4_matmul_add_q5_0_q8a
#define lmrt_k_matmul_swiglu_q5_0_q8a lmrt_v4_matmul_swiglu_q5_0_q8a
#define lmrt_k_qkv_q5_0_q8a_f32 lmrt_v4_qkv_q5_0_q8a_f32
#define lmrt_k_qkv_q5_0_q8a_f16 lmrt_v4_qkv_q5_0_q8a_f16
#define lmrt_k_qkv_q5_0_q8a_q8 lmrt_v4_qkv_q5_0_q8a_q8

#endif
