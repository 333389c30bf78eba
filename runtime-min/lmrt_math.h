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
