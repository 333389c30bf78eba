/* lmrt_math.h - float math without libm.
 *
 * Accuracy (measured by tests/test_kernels.c against glibc, round-to-nearest):
 *   lmrt_expf     <= 1 ulp (SLEEF-style Cody-Waite + degree-7 polynomial), subnormal
 *                  results rounded once, +inf above 88.7228, 0 below -103.97;
 *                  branch-free so gcc -O3 / clang -O2 vectorize loops over it
 *   lmrt_expm1f   <= 1.5 ulp
 *   lmrt_logf     <= 1 ulp (fdlibm's reduction to [sqrt(1/2), sqrt(2)) and odd series)
 *   lmrt_tanhf    <= 2.5 ulp (expm1-based, no cancellation near 0)
 *   lmrt_sigmoidf <= 2.5 ulp, also for tiny results (x << 0)
 *   lmrt_sqrtf    correctly rounded: sqrtss via the SSE builtin on x86, __builtin_sqrtf
 *                  only under -fno-math-errno (otherwise it calls libm's sqrtf for
 *                  errno, even at -O2), else an exact integer square root
 *   lmrt_sincosf  <= 3 ulp for every finite x (measured 2.6) (the argument reduced exactly, in integers:
 *                  lmrt_turns), so RoPE angles of a million radians stay accurate
 * NaN in -> NaN out everywhere.
 */
#ifndef LMRT_MATH_H
#define LMRT_MATH_H

#include "lmrt_base.h"

LMRT_INLINE float lmrt_fabsf(float x) {
    return lmrt_f32_from_bits(lmrt_bits_from_f32(x) & 0x7fffffffu);
}

/* Exact 2^k for k in [-126, 127]. */
LMRT_INLINE float lmrt_pow2i_(int k) {
    return lmrt_f32_from_bits((uint32_t)(k + 127) << 23);
}

/* exp(r) - 1 for |r| <= ln2/2; polynomial coefficients from SLEEF's expf (max error ~1 ulp). */
LMRT_INLINE float lmrt_expm1_core_(float s) {
    float u = 0.000198527617612853646278381f;
    u = u * s + 0.00139304355252534151077271f;
    u = u * s + 0.00833336077630519866943359f;
    u = u * s + 0.0416664853692054748535156f;
    u = u * s + 0.166666671633720397949219f;
    u = u * s + 0.5f;
    return s * s * u + s;
}

/* x = k ln2 + r with a two-part ln2 so k*ln2_hi is exact for |k| <= 2^8 */
#define LMRT_LN2_HI_ 0.693145751953125f
#define LMRT_LN2_LO_ 1.428606765330187045e-06f
#define LMRT_LOG2E_ 1.442695040888963407f

LMRT_API float lmrt_expf(float x) {
    /* Branch-free and defined for every x, so loops over it vectorize (a float
     * clamp lets gcc thread constant, possibly trapping paths, which blocks
     * if-conversion).  k = round(x / ln2) via the 1.5 * 2^23 shifter, read
     * from the mantissa bits; NaN gives k = 0 and propagates. */
    float kf = x * LMRT_LOG2E_;
    int k = (int)(lmrt_bits_from_f32(kf + 12582912.0f) & 0x7fffffu) - 0x400000;
    k = k < -150 ? -150 : k;
    k = k > 128 ? 128 : k;
    float r = x - (float)k * LMRT_LN2_HI_;
    r = r - (float)k * LMRT_LN2_LO_;
    float p = 1.0f + lmrt_expm1_core_(r);
    /* two exact power-of-two factors: the first product stays normal, so results
     * in the subnormal range are rounded once; k = 128 overflows to inf */
    int k1 = k / 2;
    float y = p * lmrt_pow2i_(k1) * lmrt_pow2i_(k - k1);
    /* out of range k was clamped and y is meaningless there: mask in inf / 0
     * (masks, not ?:, or gcc computes y only on one branch) */
    uint32_t big = 0u - (uint32_t)(x > 89.0f), tiny = 0u - (uint32_t)(x < -104.0f);
    uint32_t yb = (lmrt_bits_from_f32(y) & ~big) | (0x7f800000u & big);
    return lmrt_f32_from_bits(yb & ~tiny);
}

/* exp(x) - 1, accurate near 0 (used by tanh). */
LMRT_API float lmrt_expm1f(float x) {
    if (x != x) return x + x;
    if (x > 89.0f) x = 89.0f;
    if (x < -30.0f) return -1.0f; /* exp(-30) < 2^-43: -1 after rounding */
    float kf = x * LMRT_LOG2E_;
    int k = (int)(kf + (kf < 0.0f ? -0.5f : 0.5f));
    float r = x - (float)k * LMRT_LN2_HI_;
    r = r - (float)k * LMRT_LN2_LO_;
    float t = lmrt_expm1_core_(r);
    if (k == 0) return t;
    /* 2^k (1 + t) - 1 = 2^k (t + (1 - 2^-k)); 1 - 2^-k is exact for k <= 24 */
    if (k > 24) {
        int k1 = k / 2;
        return (1.0f + t) * lmrt_pow2i_(k1) * lmrt_pow2i_(k - k1);
    }
    return (t + (1.0f - lmrt_pow2i_(-k))) * lmrt_pow2i_(k);
}

LMRT_API float lmrt_logf(float x) {
    uint32_t ix = lmrt_bits_from_f32(x);
    int k = 0;
    if (ix < 0x00800000u || (ix >> 31)) {
        if ((ix << 1) == 0) return lmrt_f32_from_bits(0xff800000u); /* log(+-0) = -inf */
        if (ix >> 31) return (x - x) / (x - x);                      /* x < 0 or -nan: nan */
        k -= 25; /* subnormal: scale into the normal range */
        x *= 33554432.0f;
        ix = lmrt_bits_from_f32(x);
    } else if (ix >= 0x7f800000u) {
        return x + x; /* inf, nan */
    } else if (ix == 0x3f800000u) {
        return 0.0f;
    }
    /* reduce to m in [sqrt(2)/2, sqrt(2)), x = 2^k m */
    ix += 0x3f800000u - 0x3f3504f3u;
    k += (int)(ix >> 23) - 0x7f;
    ix = (ix & 0x007fffffu) + 0x3f3504f3u;
    float f = lmrt_f32_from_bits(ix) - 1.0f;
    /* log(1+f) = log(1+s) - log(1-s), s = f/(2+f): 2s + 2s^3/3 + ... (fdlibm coefficients) */
    float s = f / (2.0f + f);
    float z = s * s, w = z * z;
    float t1 = w * (0.40000972152f + w * 0.24279078841f);
    float t2 = z * (0.66666662693f + w * 0.28498786688f);
    float R = t2 + t1;
    float hfsq = 0.5f * f * f;
    float dk = (float)k;
    return s * (hfsq + R) + dk * 9.0580006145e-06f - hfsq + f + dk * 6.9313812256e-01f;
}

LMRT_API float lmrt_tanhf(float x) {
    if (x != x) return x + x;
    float a = lmrt_fabsf(x);
    float t;
    if (a >= 10.0f) {
        t = 1.0f; /* 1 - tanh(10) < 2^-25: rounds to 1 */
    } else {
        /* tanh a = e/(e+2), e = expm1(2a): no cancellation for small a */
        float e = lmrt_expm1f(2.0f * a);
        t = e / (e + 2.0f);
    }
    return x < 0.0f ? -t : t;
}

LMRT_API float lmrt_sigmoidf(float x) {
    /* exp of -|x| never overflows; the x < 0 branch keeps tiny results accurate */
    float e = lmrt_expf(-lmrt_fabsf(x));
    float num = x >= 0.0f ? 1.0f : e;
    return num / (1.0f + e);
}

/* Correctly rounded square root with integer arithmetic only (portable fallback). */
LMRT_API float lmrt_sqrtf_soft(float x) {
    uint32_t ix = lmrt_bits_from_f32(x);
    if ((ix & 0x7fffffffu) == 0) return x; /* +-0 */
    if (ix >= 0x7f800000u) {
        if (ix == 0x7f800000u) return x;            /* +inf */
        if (ix < 0x80000000u) return x + x;         /* +nan */
        return (x - x) / (x - x);                   /* negative, -inf, -nan: nan */
    }
    int e = (int)(ix >> 23);
    uint32_t m = ix & 0x7fffffu;
    if (e == 0) { /* subnormal: normalize */
        e = 1;
        while (m < 0x800000u) { m <<= 1; e--; }
    } else {
        m |= 0x800000u;
    }
    /* x = m 2^E, m in [2^23, 2^24). Scale m so N has an even exponent shift and
     * floor(sqrt(N)) has exactly 25 bits (24 + one rounding bit). */
    int E = e - 150;
    uint64_t N;
    if (E & 1) { N = (uint64_t)m << 25; E -= 25; }
    else       { N = (uint64_t)m << 26; E -= 26; }
    uint64_t rem = N, q = 0, one = (uint64_t)1 << 50;
    while (one > rem) one >>= 2;
    while (one) {
        if (rem >= q + one) { rem -= q + one; q = (q >> 1) + one; }
        else q >>= 1;
        one >>= 2;
    }
    /* sqrt(x) is never exactly halfway between two floats, so the rounding bit decides */
    uint32_t mant = (uint32_t)(q >> 1) + (uint32_t)(q & 1u);
    int be = E / 2 + 1 + 150;
    return lmrt_f32_from_bits(((uint32_t)be << 23) + mant - 0x800000u);
}

/* __builtin_sqrtf would call libm's sqrtf for errno unless -fno-math-errno, so on
 * x86 use the SSE builtin directly (one sqrtss, vectorizable). */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__SSE_MATH__) && \
    (defined(__x86_64__) || defined(__i386__))
typedef float lmrt_v4sf_ __attribute__((vector_size(16)));
LMRT_INLINE float lmrt_sqrtf(float x) {
    lmrt_v4sf_ v = {x, 0.0f, 0.0f, 0.0f};
    return __builtin_ia32_sqrtss(v)[0];
}
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__NO_MATH_ERRNO__)
LMRT_INLINE float lmrt_sqrtf(float x) { return __builtin_sqrtf(x); }
#else
LMRT_INLINE float lmrt_sqrtf(float x) { return lmrt_sqrtf_soft(x); }
#endif

/* ---- sin and cos: exact argument reduction in integers -------------------------------
 * An angle is carried as turns, a 64-bit fraction of the full circle (2^64 = 2 pi): adding
 * and multiplying by integers (positions) wrap around exactly.  lmrt_turns(x) = x / (2 pi)
 * mod 1: x = m 2^(e-150) with m its 24-bit significand, times 96 bits of 1/(2 pi) taken at
 * e's offset (Payne and Hanek's reduction), so it is exact to 2^-56 turns for any finite x.
 * The reduction needs only 32-bit products of 64-bit integers and int32 -> float conversions
 * (no libgcc helpers on 32-bit targets). */

/* 1/(2 pi) in binary: 256 fraction bits, most significant first */
static const uint32_t lmrt_inv2pi_bits_[8] = {0x28be60dbu, 0x9391054au, 0x7f09d5f4u, 0x7d4d3770u,
                                              0x36d8a566u, 0x4f10e410u, 0x7f9458eau, 0xf7aef158u};

/* the 32 fraction bits of 1/(2 pi) from bit j (bit 1 = 2^-1) on; bits before 1 or past 256 are 0 */
LMRT_INLINE uint32_t lmrt_inv2pi_word_(int j) {
    uint32_t w = 0;
    for (int k = 0; k < 32; k++, j++) {
        uint32_t b = j >= 1 && j <= 256 ? (lmrt_inv2pi_bits_[(j - 1) >> 5] >> (31 - ((j - 1) & 31))) & 1u : 0u;
        w = (w << 1) | b;
    }
    return w;
}

/* x / (2 pi) mod 1 in turns (2^64 = one turn); 0 for inf and NaN */
LMRT_API uint64_t lmrt_turns(float x) {
    uint32_t b = lmrt_bits_from_f32(x), e = (b >> 23) & 255u, m = b & 0x7fffffu;
    if (e == 255u) return 0;
    if (e) m |= 0x800000u;
    else e = 1;
    /* x / (2 pi) 2^64 = m 2^s / (2 pi), s = e - 86: the bits of 1/(2 pi) that land at
     * 2^63 .. 2^-32 are bits s-63 .. s+32 (higher ones only add whole turns) */
    int s = (int)e - 86;
    uint64_t hi = ((uint64_t)lmrt_inv2pi_word_(s - 63) << 32) | lmrt_inv2pi_word_(s - 31);
    uint32_t lo = lmrt_inv2pi_word_(s + 1);
    uint64_t t = (uint64_t)m * hi + (((uint64_t)m * lo) >> 32);
    return b >> 31 ? (uint64_t)0 - t : t;
}

/* sin and cos of |a| <= pi/4: Taylor polynomials, within 0.5 ulp there */
LMRT_INLINE void lmrt_sincos_poly_(float a, float *sinp, float *cosp) {
    float z = a * a;
    *sinp = a + a * z * (-1.66666666666666667e-1f +
                         z * (8.33333333333333333e-3f + z * (-1.98412698412698413e-4f + z * 2.75573192239858907e-6f)));
    *cosp = 1.0f + z * (-0.5f + z * (4.16666666666666667e-2f +
                                     z * (-1.38888888888888889e-3f +
                                          z * (2.48015873015873016e-5f + z * -2.75573192239858907e-7f))));
}

/* sin and cos of the angle t turns: the quadrant from the top two bits, the rest centred
 * (|a| <= pi/4), normalized so its float keeps 24 significant bits however small it is */
LMRT_API void lmrt_sincos_turns(uint64_t t, float *sinp, float *cosp) {
    t += (uint64_t)1 << 61; /* round to the nearest quadrant */
    unsigned q = (unsigned)(t >> 62);
    uint64_t r = (t & (((uint64_t)1 << 62) - 1)) - ((uint64_t)1 << 61); /* [-2^61, 2^61), two's complement */
    int neg = (int)(r >> 63), sh = 0;
    if (neg) r = (uint64_t)0 - r;
    if (!r) {
        sh = 64;
    } else { /* bit 61 on top: 2 pi r / 2^64 = v 2 pi 2^(-33 - sh), v = the top 31 bits */
        for (int k = 32; k >= 1; k /= 2)
            if (!(r >> (62 - k))) r <<= k, sh += k;
    }
    float v = (float)(int32_t)(uint32_t)(r >> 31), s, c;
    /* 2 pi as float + its remainder: the product keeps 2 pi's bits past float's */
    float a = sh >= 64 ? 0.0f : (v * 6.28318548202514648f + v * -1.74845553e-7f) * lmrt_pow2i_(-33 - sh);
    lmrt_sincos_poly_(neg ? -a : a, &s, &c);
    float s1 = q & 1u ? c : s, c1 = q & 1u ? s : c;
    *sinp = q & 2u ? -s1 : s1;
    *cosp = (q + 1u) & 2u ? -c1 : c1;
}

LMRT_API void lmrt_sincosf(float x, float *s, float *c) {
    if (x != x || x - x != 0.0f) { /* NaN, inf */
        *s = *c = x - x;
        return;
    }
    if (lmrt_fabsf(x) <= 0.785398163f) lmrt_sincos_poly_(x, s, c);
    else lmrt_sincos_turns(lmrt_turns(x), s, c);
}

/* y[KP] = x[K] zero-padded to KP, then each block of B (a power of two) times the Walsh-Hadamard
 * matrix, times scale (1/sqrt(B): orthogonal): the in-place butterfly, B log2 B adds per block.
 * The hadamard op of lmcc's IR (its rotate pass folds the same transform into the next weight). */
LMRT_INLINE void lmrt_hadamard_row(float *y, const float *x, int K, int KP, int B, float scale) {
    for (int i = 0; i < KP; i++) y[i] = i < K ? x[i] : 0.0f;
    for (int b = 0; b < KP; b += B) {
        float *v = y + b;
        for (int h = 1; h < B; h *= 2)
            for (int i = 0; i < B; i += 2 * h)
                for (int j = i; j < i + h; j++) {
                    float a = v[j], c = v[j + h];
                    v[j] = a + c, v[j + h] = a - c;
                }
        for (int i = 0; i < B; i++) v[i] *= scale;
    }
}

#endif
