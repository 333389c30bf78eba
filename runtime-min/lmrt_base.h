/* lmrt_base.h - the base of runtime-min.
 *
 * runtime-min is the support code that lmcc stitches, as source text, into
 * every generated NAME.c.  It depends on nothing but the freestanding headers
 * <stdint.h> and <stddef.h>: no libc, no libm, no allocation.  Every function
 * is LMRT_API (static), so two generated models linked into one program never
 * clash, and unused functions cost nothing.  The compiler itself includes the
 * same headers (tokenizer, block formats), so lmcc and its output share one
 * implementation.
 */
#ifndef LMRT_BASE_H
#define LMRT_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifndef LMRT_API
#if defined(__GNUC__) || defined(__clang__)
#define LMRT_API static __attribute__((unused))
#else
#define LMRT_API static
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LMRT_RESTRICT __restrict__
#define LMRT_INLINE static inline __attribute__((unused))
#else
#define LMRT_RESTRICT
#define LMRT_INLINE static inline
#endif

/* IEEE half <-> float, exact for all finite values, round-to-nearest-even
 * on the way down (matches GGUF/ggml's conversion). */
LMRT_INLINE float lmrt_f32_from_bits(uint32_t u) {
    union { uint32_t u; float f; } v; v.u = u; return v.f;
}
LMRT_INLINE uint32_t lmrt_bits_from_f32(float f) {
    union { uint32_t u; float f; } v; v.f = f; return v.u;
}

LMRT_INLINE float lmrt_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0) {
        if (man == 0) return lmrt_f32_from_bits(sign);
        /* subnormal: value = man * 2^-24 */
        float f = (float)man * (1.0f / 16777216.0f);
        return sign ? -f : f;
    }
    if (exp == 31) return lmrt_f32_from_bits(sign | 0x7f800000u | (man << 13));
    return lmrt_f32_from_bits(sign | ((exp + 112u) << 23) | (man << 13));
}

LMRT_INLINE uint16_t lmrt_f32_to_f16(float f) {
    uint32_t x = lmrt_bits_from_f32(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf / nan */
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0u));
    if (ax >= 0x477ff000u) /* rounds to >= 65520: overflow to inf */
        return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) { /* below 2^-14: subnormal half or zero */
        if (ax < 0x33000000u) return (uint16_t)sign; /* < 2^-25 rounds to 0 */
        uint32_t e = ax >> 23;
        uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - e; /* 14..24 */
        uint32_t r = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1u);
        uint32_t half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (r & 1u))) r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = ax - 0x38000000u; /* rebias exponent 127 -> 15, in place */
    uint32_t rem = r & 0x1fffu;
    r >>= 13;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) r++;
    return (uint16_t)(sign | r);
}

LMRT_INLINE float lmrt_bf16_to_f32(uint16_t h) {
    return lmrt_f32_from_bits((uint32_t)h << 16);
}

LMRT_INLINE void lmrt_memcpy(void *LMRT_RESTRICT dst, const void *LMRT_RESTRICT src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    for (size_t i = 0; i < n; i++) d[i] = s[i];
}

LMRT_INLINE void lmrt_memset(void *dst, int c, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    for (size_t i = 0; i < n; i++) d[i] = (unsigned char)c;
}

#endif
