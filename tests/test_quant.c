/* test_quant.c - block formats (runtime-min/lmrt_quant.h) against independent
 * references: blocks are built by an encoder written from the format
 * description and decoded per element in double; quantizers are compared
 * byte for byte with ggml's reference algorithm written here with libm. */
#include "gguf.h"
#include "lmrt_quant.h"
#include "test_model.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}
static float rndf(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xffffff) / 16777216.0f; }

/* ---- f16 reference in double -------------------------------------------- */
static double ref_half(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0) v = ldexp(m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexp(1024 + m, e - 25);
    return s ? -v : v;
}

/* nearest half by search over all non-negative halves, ties to even; 0x7c00
 * acts as the value 65536 so that overflow rounds to inf like IEEE */
static uint16_t ref_to_half(float f) {
    double x = fabs((double)f);
    uint16_t sign = signbit(f) ? 0x8000 : 0;
    if (isnan(f)) return 0;
    if (isinf(f)) return sign | 0x7c00;
    int lo = 0, hi = 0x7c00;
    double vhi = 65536.0;
    if (x >= vhi) return sign | 0x7c00;
    while (hi - lo > 1) { /* invariant: val(lo) <= x < val(hi) */
        int mid = (lo + hi) / 2;
        if (ref_half((uint16_t)mid) <= x) lo = mid; else hi = mid;
    }
    double a = ref_half((uint16_t)lo), b = hi == 0x7c00 ? 65536.0 : ref_half((uint16_t)hi);
    int r;
    if (x - a < b - x) r = lo;
    else if (x - a > b - x) r = hi;
    else r = (lo & 1) ? hi : lo;
    return (uint16_t)(sign | r);
}

static void test_f16(void) {
    for (uint32_t h = 0; h < 65536; h++) {
        float f = lmrt_f16_to_f32((uint16_t)h);
        double r = ref_half((uint16_t)h);
        if (isnan(r)) { CHECK(isnan(f), "h=%04x", h); continue; }
        CHECK((double)f == r && !!signbit(f) == !!signbit(r), "h=%04x got %g want %g", h, f, r);
        /* every half survives the round trip */
        CHECK(lmrt_f32_to_f16(f) == h, "roundtrip h=%04x -> %04x", h, lmrt_f32_to_f16(f));
    }
    /* midpoints between neighbours (ties) and one float ulp either side */
    for (uint32_t h = 0; h < 0x7c00; h++) {
        double a = ref_half((uint16_t)h), b = h + 1 == 0x7c00 ? 65536.0 : ref_half((uint16_t)(h + 1));
        float mid = (float)((a + b) / 2); /* exact: halves have 11 significant bits */
        CHECK((double)mid == (a + b) / 2, "mid not exact");
        float cand[3] = {mid, nextafterf(mid, 0.0f), nextafterf(mid, INFINITY)};
        for (int k = 0; k < 3; k++) {
            for (int s = 0; s < 2; s++) {
                float x = s ? -cand[k] : cand[k];
                CHECK(lmrt_f32_to_f16(x) == ref_to_half(x), "x=%a got %04x want %04x", (double)x,
                      lmrt_f32_to_f16(x), ref_to_half(x));
            }
        }
    }
    /* random floats over the whole range incl. tiny and huge */
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = rnd() << 16 ^ rnd();
        float x;
        memcpy(&x, &bits, 4);
        if (isnan(x)) continue;
        CHECK(lmrt_f32_to_f16(x) == ref_to_half(x), "x=%a got %04x want %04x", (double)x, lmrt_f32_to_f16(x),
              ref_to_half(x));
    }
    CHECK(lmrt_f32_to_f16(65504.0f) == 0x7bff, "max");
    CHECK(lmrt_f32_to_f16(65519.996f) == 0x7bff, "below overflow threshold");
    CHECK(lmrt_f32_to_f16(65520.0f) == 0x7c00, "overflow tie -> inf");
    CHECK(lmrt_f32_to_f16(-INFINITY) == 0xfc00, "-inf");
    CHECK((lmrt_f32_to_f16(NAN) & 0x7c00) == 0x7c00 && (lmrt_f32_to_f16(NAN) & 0x3ff), "nan stays nan");
    CHECK(lmrt_f32_to_f16(0x1p-24f) == 0x0001, "smallest subnormal");
    CHECK(lmrt_f32_to_f16(0x1p-25f) == 0x0000, "half of smallest subnormal ties to 0");
    CHECK(lmrt_f32_to_f16(0x1.8p-24f) == 0x0002, "1.5 ulp ties to even 2");
    CHECK(lmrt_f32_to_f16(-0.0f) == 0x8000, "-0");
    /* bf16 is the top half of a float */
    for (int i = 0; i < 1000; i++) {
        uint16_t h = (uint16_t)rnd();
        uint32_t u = (uint32_t)h << 16;
        float want;
        memcpy(&want, &u, 4);
        float got = lmrt_bf16_to_f32(h);
        CHECK(memcmp(&got, &want, 4) == 0, "bf16 %04x", h);
    }
}

/* ---- roundf replacement -------------------------------------------------- */
static void test_roundf(void) {
    float special[] = {0.0f, -0.0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.49999997f, -0.49999997f,
                       8388607.5f, -8388607.5f, 8388608.0f, 16777217.0f, 1e30f, -1e30f, 1e-40f, -1e-40f,
                       126.5f, -126.5f, 127.49999f};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        float a = lmrt_roundf(special[i]), b = roundf(special[i]);
        CHECK(memcmp(&a, &b, 4) == 0, "roundf(%a) got %a want %a", (double)special[i], (double)a, (double)b);
    }
    CHECK(isinf(lmrt_roundf(INFINITY)) && isnan(lmrt_roundf(NAN)), "inf/nan");
    for (int k = -3000; k <= 3000; k++) {
        float x = (float)k + 0.5f;
        float xs[3] = {x, nextafterf(x, -INFINITY), nextafterf(x, INFINITY)};
        for (int j = 0; j < 3; j++) {
            float a = lmrt_roundf(xs[j]), b = roundf(xs[j]);
            CHECK(memcmp(&a, &b, 4) == 0, "roundf(%a)", (double)xs[j]);
        }
    }
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = rnd() << 16 ^ rnd();
        float x;
        memcpy(&x, &bits, 4);
        if (isnan(x)) continue;
        float a = lmrt_roundf(x), b = roundf(x);
        CHECK(memcmp(&a, &b, 4) == 0, "roundf(%a) got %a want %a", (double)x, (double)a, (double)b);
    }
}

/* ---- independent encoders + per-element reference values ----------------
 * Each builder fills a block from integer fields chosen at random and returns
 * the 32 or 256 expected values computed in double from those fields. */

static uint16_t rnd_half_scale(void) {
    /* a positive normal half in [2^-10, 2) so products stay well-scaled */
    return (uint16_t)((5 + rnd() % 11) << 10 | (rnd() & 1023));
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void set_nibble(uint8_t *p, int idx, int hi, int v) { p[idx] |= (uint8_t)((v & 15) << (hi ? 4 : 0)); }
static void set_bit(uint8_t *p, int bit) { p[bit / 8] |= (uint8_t)(1u << (bit % 8)); }

/* Q4_0/Q4_1/Q5_0/Q5_1/Q8_0: element e < 16 lives in the low nibble of qs[e],
 * element e >= 16 in the high nibble of qs[e-16]; q5's 5th bit is bit e of
 * the 32-bit little-endian qh. */
static void build_legacy(int type, uint8_t *b, double *want, double *mag) {
    int bytes = lmrt_quant_block_bytes(type);
    memset(b, 0, (size_t)bytes);
    uint16_t dh = rnd_half_scale(), mh = (uint16_t)(rnd_half_scale() | (rnd() & 1) << 15);
    double d = ref_half(dh), m = ref_half(mh);
    put16(b, dh);
    int has_m = type == LMRT_GGML_Q4_1 || type == LMRT_GGML_Q5_1;
    if (has_m) put16(b + 2, mh);
    int off = 2 + (has_m ? 2 : 0);
    if (type == LMRT_GGML_Q8_0) {
        for (int e = 0; e < 32; e++) {
            int q = (int)(rnd() % 256) - 128;
            b[2 + e] = (uint8_t)(int8_t)q;
            want[e] = q * d;
            mag[e] = fabs(want[e]);
        }
        return;
    }
    int five = type == LMRT_GGML_Q5_0 || type == LMRT_GGML_Q5_1;
    uint8_t *qh = b + off;
    uint8_t *qs = b + off + (five ? 4 : 0);
    for (int e = 0; e < 32; e++) {
        int q = (int)(rnd() % (five ? 32 : 16));
        set_nibble(qs, e % 16, e >= 16, q);
        if (five && (q & 16)) set_bit(qh, e);
        if (has_m) want[e] = q * d + m;
        else want[e] = (q - (five ? 16 : 8)) * d;
        mag[e] = fabs(q * d) + fabs(m) + 16 * d;
    }
}

/* K-quants: 8 sub-blocks of 32 with 6-bit scale sc[s] and min mn[s].  The 12
 * scale bytes: bytes 0..3 hold sc[0..3] in the low 6 bits and the top 2 bits
 * of sc[4..7]; bytes 4..7 the same for mn; bytes 8..11 hold the low 4 bits of
 * sc[4..7] (low nibble) and mn[4..7] (high nibble).  Element e: sub-block
 * s = e/32, and its 4 low bits sit in byte 32*(e/64) + e%32 of qs, low
 * nibble when s is even; q5_k's 5th bit is bit s of qh[e%32]. */
static void pack_k_scales(uint8_t *sc12, const int *sc, const int *mn) {
    memset(sc12, 0, 12);
    for (int s = 0; s < 4; s++) {
        sc12[s] = (uint8_t)(sc[s] | (sc[s + 4] >> 4) << 6);
        sc12[s + 4] = (uint8_t)(mn[s] | (mn[s + 4] >> 4) << 6);
        sc12[s + 8] = (uint8_t)((sc[s + 4] & 15) | (mn[s + 4] & 15) << 4);
    }
}

static void build_k45(int type, uint8_t *b, double *want, double *mag) {
    int five = type == LMRT_GGML_Q5_K;
    memset(b, 0, (size_t)lmrt_quant_block_bytes(type));
    uint16_t dh = rnd_half_scale(), mh = rnd_half_scale();
    put16(b, dh);
    put16(b + 2, mh);
    int sc[8], mn[8];
    for (int s = 0; s < 8; s++) { sc[s] = (int)(rnd() % 64); mn[s] = (int)(rnd() % 64); }
    if (rnd() & 1) { sc[7] = 63; mn[4] = 63; } /* exercise the high bits */
    pack_k_scales(b + 4, sc, mn);
    uint8_t *qh = b + 16, *qs = b + 16 + (five ? 32 : 0);
    for (int e = 0; e < 256; e++) {
        int s = e / 32;
        int q = (int)(rnd() % (five ? 32 : 16));
        set_nibble(qs, 32 * (e / 64) + e % 32, s % 2, q);
        if (five && (q & 16)) qh[e % 32] |= (uint8_t)(1u << s);
        want[e] = ref_half(dh) * sc[s] * q - ref_half(mh) * mn[s];
        mag[e] = fabs(ref_half(dh) * sc[s] * q) + fabs(ref_half(mh) * mn[s]);
    }
}

/* Q6_K: 6-bit q in two halves of 128; in half n, element r (0..127) with
 * quadrant k = r/32 and l = r%32 keeps its low 4 bits in ql[64n + l + 32(k&1)]
 * (low nibble for k < 2) and its high 2 bits in qh[32n + l] bits 2k, 2k+1.
 * Scale: int8 scales[e/16]; value = d * scale * (q - 32). */
static void build_q6k(uint8_t *b, double *want, double *mag) {
    memset(b, 0, 210);
    uint16_t dh = rnd_half_scale();
    put16(b + 208, dh);
    int8_t sc[16];
    for (int i = 0; i < 16; i++) sc[i] = (int8_t)(rnd() % 256 - 128);
    memcpy(b + 192, sc, 16);
    for (int e = 0; e < 256; e++) {
        int n = e / 128, r = e % 128, k = r / 32, l = r % 32;
        int q = (int)(rnd() % 64);
        set_nibble(b, 64 * n + l + 32 * (k & 1), k >= 2, q & 15);
        b[128 + 32 * n + l] |= (uint8_t)((q >> 4) << (2 * k));
        want[e] = ref_half(dh) * sc[e / 16] * (q - 32);
        mag[e] = fabs(want[e]);
    }
}

/* Q2_K: {u8 scales[16]; u8 qs[64]; f16 d; f16 dmin}; element e = 128n + 32j + l has its 2-bit q in
 * qs[32n + l] bits 2j, 2j+1; sub-block e/16 has scales[e/16] = sc | mn << 4; value d*sc*q - dmin*mn.
 * Q3_K: {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}; the same 2 low bits, plus bit 4n+j of
 * hmask[l]: set = as is, clear = minus 4; the 16 six-bit scales s (value d*(s-32)*q) have their low
 * nibble in scales[i%8] (nibble i/8) and their top 2 bits in scales[8 + i%4] (bits 2(i/4)). */
static void build_k23(int type, uint8_t *b, double *want, double *mag) {
    int q3 = type == LMRT_GGML_Q3_K;
    memset(b, 0, q3 ? 110 : 84);
    uint16_t dh = rnd_half_scale(), mh = rnd_half_scale();
    int sc[16], mn[16];
    for (int i = 0; i < 16; i++) sc[i] = (int)(rnd() % (q3 ? 64 : 16)), mn[i] = (int)(rnd() % 16);
    if (rnd() & 1) sc[15] = q3 ? 63 : 15, sc[3] = 0; /* the extremes and the top bits */
    uint8_t *qs = b + (q3 ? 32 : 16);
    if (q3) {
        put16(b + 108, dh);
        for (int i = 0; i < 16; i++) {
            set_nibble(b + 96, i % 8, i / 8, sc[i] & 15);
            b[104 + i % 4] |= (uint8_t)((sc[i] >> 4) << (2 * (i / 4)));
        }
    } else {
        put16(b + 80, dh);
        put16(b + 82, mh);
        for (int i = 0; i < 16; i++) b[i] = (uint8_t)(sc[i] | mn[i] << 4);
    }
    for (int e = 0; e < 256; e++) {
        int n = e / 128, j = (e % 128) / 32, l = e % 32, lo = (int)(rnd() % 4), hi = (int)(rnd() % 2);
        qs[32 * n + l] |= (uint8_t)(lo << (2 * j));
        if (q3) {
            if (hi) b[l] |= (uint8_t)(1u << (4 * n + j));
            want[e] = ref_half(dh) * (sc[e / 16] - 32) * (hi ? lo : lo - 4);
            mag[e] = fabs(want[e]);
        } else {
            want[e] = ref_half(dh) * sc[e / 16] * lo - ref_half(mh) * mn[e / 16];
            mag[e] = fabs(ref_half(dh) * sc[e / 16] * lo) + fabs(ref_half(mh) * mn[e / 16]);
        }
    }
}

/* IQ4_NL: {f16 d; u8 qs[16]}, element j < 16 in the low nibble of qs[j], j + 16 in the high nibble,
 * value d * kvalues[nibble].  IQ4_XS: {f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]}: sub-block
 * ib of 32 is an IQ4_NL payload at qs + 16 ib with scale d * (ls - 32), ls's low nibble in
 * scales_l[ib/2] (nibble ib%2), its top 2 bits at bit 2 ib of scales_h. */
static const int iq4_kvalues[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
static void build_iq4(int type, uint8_t *b, double *want, double *mag) {
    int xs = type == LMRT_GGML_IQ4_XS, nsb = xs ? 8 : 1;
    memset(b, 0, xs ? 136 : 18);
    uint16_t dh = (uint16_t)(rnd_half_scale() | (rnd() & 1) << 15);
    put16(b, dh);
    uint16_t sh = 0;
    for (int ib = 0; ib < nsb; ib++) {
        int ls = (int)(rnd() % 64);
        if (xs) {
            set_nibble(b + 4, ib / 2, ib % 2, ls & 15);
            sh |= (uint16_t)((ls >> 4) << (2 * ib));
        }
        uint8_t *qs = b + (xs ? 8 + 16 * ib : 2);
        for (int j = 0; j < 32; j++) {
            int q = (int)(rnd() % 16), e = 32 * ib + j;
            set_nibble(qs, j % 16, j >= 16, q);
            want[e] = ref_half(dh) * (xs ? ls - 32 : 1) * iq4_kvalues[q];
            mag[e] = fabs(want[e]);
        }
    }
    if (xs) put16(b + 2, sh);
}

/* mag: the size of the terms, for a rounding tolerance that survives the
 * cancellation in d*sc*q - dmin*m */
static void build_block(int type, uint8_t *b, double *want, double *mag) {
    if (type == LMRT_GGML_Q4_K || type == LMRT_GGML_Q5_K) build_k45(type, b, want, mag);
    else if (type == LMRT_GGML_Q6_K) build_q6k(b, want, mag);
    else if (type == LMRT_GGML_Q2_K || type == LMRT_GGML_Q3_K) build_k23(type, b, want, mag);
    else if (type == LMRT_GGML_IQ4_NL || type == LMRT_GGML_IQ4_XS) build_iq4(type, b, want, mag);
    else build_legacy(type, b, want, mag);
}

static const int quant_types[] = {LMRT_GGML_Q4_0, LMRT_GGML_Q4_1, LMRT_GGML_Q5_0, LMRT_GGML_Q5_1, LMRT_GGML_Q8_0,
                                  LMRT_GGML_Q2_K, LMRT_GGML_Q3_K, LMRT_GGML_Q4_K, LMRT_GGML_Q5_K, LMRT_GGML_Q6_K,
                                  LMRT_GGML_IQ4_NL, LMRT_GGML_IQ4_XS};

static void test_blocks(void) {
    static const int sizes[][3] = {{LMRT_GGML_Q4_0, 32, 18}, {LMRT_GGML_Q4_1, 32, 20}, {LMRT_GGML_Q5_0, 32, 22},
                                   {LMRT_GGML_Q5_1, 32, 24}, {LMRT_GGML_Q8_0, 32, 34}, {LMRT_GGML_Q2_K, 256, 84},
                                   {LMRT_GGML_Q3_K, 256, 110}, {LMRT_GGML_Q4_K, 256, 144},
                                   {LMRT_GGML_Q5_K, 256, 176}, {LMRT_GGML_Q6_K, 256, 210},
                                   {LMRT_GGML_IQ4_NL, 32, 18}, {LMRT_GGML_IQ4_XS, 256, 136}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK(lmrt_quant_block_elems(sizes[i][0]) == sizes[i][1], "elems type %d", sizes[i][0]);
        CHECK(lmrt_quant_block_bytes(sizes[i][0]) == sizes[i][2], "bytes type %d", sizes[i][0]);
    }
    for (size_t t = 0; t < sizeof quant_types / sizeof quant_types[0]; t++) {
        int type = quant_types[t];
        int be = lmrt_quant_block_elems(type), bb = lmrt_quant_block_bytes(type);
        enum { NB = 6 }; /* 172 = 5 blocks of 32 + 12 */
        uint8_t row[NB * 210];
        double want[NB * 256], mag[NB * 256];
        float got[NB * 256];
        for (int trial = 0; trial < 25; trial++) {
            for (int k = 0; k < NB; k++) build_block(type, row + k * bb, want + k * be, mag + k * be);
            CHECK(lmrt_dequant_row(type, row, got, (int64_t)NB * be) == 0, "type %d", type);
            for (int e = 0; e < NB * be; e++) {
                double tol = 4e-7 * mag[e];
                CHECK(fabs(got[e] - want[e]) <= tol, "type %d elem %d got %.9g want %.9g", type, e, got[e],
                      want[e]);
            }
            /* a row of n = 172 (lmcc pads rows): same values, nothing written past n */
            int64_t n = be == 32 ? 172 : 5 * 256 + 172;
            float tail[NB * 256 + 8];
            for (int e = 0; e < NB * 256 + 8; e++) tail[e] = 12345.0f;
            CHECK(lmrt_dequant_row(type, row, tail, n) == 0, "tail");
            for (int64_t e = 0; e < n; e++) CHECK(tail[e] == got[e], "type %d tail elem %lld", type, (long long)e);
            for (int64_t e = n; e < NB * 256 + 8; e++)
                CHECK(tail[e] == 12345.0f, "type %d wrote past n at %lld", type, (long long)e);
        }
    }
    /* f16 / bf16 / f32 rows, unaligned source */
    uint8_t raw[1 + 2 * 7];
    float got[7];
    uint16_t hv[7] = {0x3c00, 0xc000, 0x0001, 0x7bff, 0x8000, 0x3555, 0x7c00};
    for (int i = 0; i < 7; i++) put16(raw + 1 + 2 * i, hv[i]);
    CHECK(lmrt_dequant_row(LMRT_GGML_F16, raw + 1, got, 7) == 0, "f16");
    for (int i = 0; i < 7; i++) CHECK((double)got[i] == ref_half(hv[i]), "f16 %d", i);
    CHECK(lmrt_dequant_row(LMRT_GGML_BF16, raw + 1, got, 7) == 0, "bf16");
    for (int i = 0; i < 7; i++) {
        uint32_t u = (uint32_t)hv[i] << 16;
        float w;
        memcpy(&w, &u, 4);
        CHECK(memcmp(&got[i], &w, 4) == 0, "bf16 %d", i);
    }
    float fx[5] = {1.0f, -2.5f, 1e-40f, INFINITY, -0.0f}, fy[5];
    CHECK(lmrt_dequant_row(LMRT_GGML_F32, fx, fy, 5) == 0 && memcmp(fx, fy, sizeof fx) == 0, "f32 identity");
    CHECK(lmrt_dequant_row(16 /* IQ2_XXS: not supported */, raw, got, 1) == -1, "unknown type -> -1");
    CHECK(lmrt_dequant_row(99, raw, got, 1) == -1, "unknown type -> -1");
}

/* ---- quantizers: ggml's reference algorithm, with libm ------------------ */
static void ref_quant_q8_0(const float *x, uint8_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i += 32, y += 34) {
        float v[32], amax = 0.0f;
        for (int j = 0; j < 32; j++) v[j] = i + j < n ? x[i + j] : 0.0f;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(v[j]));
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        put16(y, ref_to_half(d));
        for (int j = 0; j < 32; j++) y[2 + j] = (uint8_t)(int8_t)roundf(v[j] * id);
    }
}

static void ref_quant_q4_0(const float *x, uint8_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i += 32, y += 18) {
        float v[32], amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 32; j++) v[j] = i + j < n ? x[i + j] : 0.0f;
        for (int j = 0; j < 32; j++)
            if (amax < fabsf(v[j])) { amax = fabsf(v[j]); max = v[j]; }
        const float d = max / -8;
        const float id = d ? 1.0f / d : 0.0f;
        put16(y, ref_to_half(d));
        for (int j = 0; j < 16; j++) {
            const float x0 = v[j] * id, x1 = v[j + 16] * id;
            int q0 = (int8_t)(x0 + 8.5f), q1 = (int8_t)(x1 + 8.5f);
            q0 = q0 < 15 ? q0 : 15;
            q1 = q1 < 15 ? q1 : 15;
            y[2 + j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

/* ggml's quantize_row_q5_0_ref / quantize_row_q5_1_ref, with the tail of the last block zero */
static void ref_quant_q5(int type, const float *x, uint8_t *y, int64_t n) {
    int q51 = type == LMRT_GGML_Q5_1;
    for (int64_t i = 0; i < n; i += 32, y += q51 ? 24 : 22) {
        float v[32];
        for (int j = 0; j < 32; j++) v[j] = i + j < n ? x[i + j] : 0.0f;
        uint32_t qh = 0;
        uint8_t *qs = y + (q51 ? 8 : 6);
        if (q51) {
            float min = FLT_MAX, max = -FLT_MAX;
            for (int j = 0; j < 32; j++) {
                if (v[j] < min) min = v[j];
                if (v[j] > max) max = v[j];
            }
            const float d = (max - min) / ((1 << 5) - 1);
            const float id = d ? 1.0f / d : 0.0f;
            put16(y, ref_to_half(d));
            put16(y + 2, ref_to_half(min));
            for (int j = 0; j < 16; j++) {
                const uint8_t xi0 = (uint8_t)((v[j] - min) * id + 0.5f), xi1 = (uint8_t)((v[j + 16] - min) * id + 0.5f);
                qs[j] = (uint8_t)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10u) >> 4) << (j + 0);
                qh |= ((xi1 & 0x10u) >> 4) << (j + 16);
            }
        } else {
            float amax = 0.0f, max = 0.0f;
            for (int j = 0; j < 32; j++)
                if (amax < fabsf(v[j])) { amax = fabsf(v[j]); max = v[j]; }
            const float d = max / -16;
            const float id = d ? 1.0f / d : 0.0f;
            put16(y, ref_to_half(d));
            for (int j = 0; j < 16; j++) {
                int xi0 = (int8_t)(v[j] * id + 16.5f), xi1 = (int8_t)(v[j + 16] * id + 16.5f);
                xi0 = xi0 < 31 ? xi0 : 31;
                xi1 = xi1 < 31 ? xi1 : 31;
                qs[j] = (uint8_t)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= (((uint32_t)xi0 & 0x10u) >> 4) << (j + 0);
                qh |= (((uint32_t)xi1 & 0x10u) >> 4) << (j + 16);
            }
        }
        memcpy(y + (q51 ? 4 : 2), &qh, 4); /* little-endian hosts (like ggml's memcpy) */
    }
}

static void fill_case(float *x, int n, int kind) {
    for (int i = 0; i < n; i++) {
        switch (kind) {
        case 0: x[i] = rndf(-1.0f, 1.0f); break;
        case 1: x[i] = rndf(-1.0f, 1.0f) * powf(10.0f, rndf(-6.0f, 4.0f)); break; /* mixed scales */
        case 2: x[i] = 0.0f; break;
        case 3: x[i] = i % 32 == 5 ? -3.0f : rndf(-3.0f, 3.0f); break; /* negative extreme */
        case 4: x[i] = (float)((int)(rnd() % 255) - 127) * 0.125f; break; /* exact grid, ties */
        case 5: x[i] = i % 7 == 0 ? rndf(0.0f, 1e-6f) : 0.0f; break; /* tiny: d underflows in f16 */
        default: x[i] = (float)((int)(rnd() % 17) - 8) * (i % 32 < 16 ? 0.5f : -0.25f); break;
        }
    }
}

static void test_quantizers(void) {
    enum { N = 512 };
    static const int lens[] = {32, 64, 172, 1, 31, 33, 512};
    float x[N], y[N + 32];
    uint8_t q8[N / 32 * 34 + 34], r8[sizeof q8], q4[N / 32 * 18 + 18], r4[sizeof q4];
    for (int kind = 0; kind < 7; kind++) {
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            int n = lens[li];
            for (int trial = 0; trial < 20; trial++) {
                fill_case(x, n, kind);
                int nb = (n + 31) / 32;
                memset(q8, 0xAA, sizeof q8);
                memset(r8, 0xAA, sizeof r8);
                lmrt_quantize_row_q8_0(x, q8, n);
                ref_quant_q8_0(x, r8, n);
                CHECK(memcmp(q8, r8, sizeof q8) == 0, "q8_0 bytes differ from ggml ref (kind %d n %d)", kind, n);
                memset(q4, 0xAA, sizeof q4);
                memset(r4, 0xAA, sizeof r4);
                lmrt_quantize_row_q4_0(x, q4, n);
                ref_quant_q4_0(x, r4, n);
                CHECK(memcmp(q4, r4, sizeof q4) == 0, "q4_0 bytes differ from ggml ref (kind %d n %d)", kind, n);
                for (int t5 = 0; t5 < 2; t5++) { /* q5_0, q5_1: bytes as ggml; round trip within d (q5_1: d/2) */
                    int type = t5 ? LMRT_GGML_Q5_1 : LMRT_GGML_Q5_0, bb = t5 ? 24 : 22;
                    uint8_t q5[N / 32 * 24 + 24], r5[sizeof q5];
                    memset(q5, 0xAA, sizeof q5);
                    memset(r5, 0xAA, sizeof r5);
                    CHECK(lmrt_quantize_row(type, x, q5, n) == 0, "q5 quantize");
                    ref_quant_q5(type, x, r5, n);
                    CHECK(memcmp(q5, r5, sizeof q5) == 0, "q5_%d bytes differ from ggml ref (kind %d n %d)", t5, kind,
                          n);
                    lmrt_dequant_row(type, q5, y, (int64_t)nb * 32);
                    for (int i = 0; i < nb * 32; i++) {
                        const uint8_t *blk = q5 + (i / 32) * bb;
                        float amax = 0.0f, mn = 0.0f, mx = 0.0f; /* the block's zero padding counts */
                        for (int j = i / 32 * 32; j < i / 32 * 32 + 32; j++) {
                            float xj = j < n ? x[j] : 0.0f;
                            amax = fmaxf(amax, fabsf(xj)), mn = fminf(mn, xj), mx = fmaxf(mx, xj);
                        }
                        double d = t5 ? ((double)mx - mn) / 31 : amax / 16.0;
                        double d16 = fabs(ref_half((uint16_t)(blk[0] | blk[1] << 8)));
                        double m16 = t5 ? ref_half((uint16_t)(blk[2] | blk[3] << 8)) : 0.0;
                        double xv = i < n ? x[i] : 0.0;
                        /* q5_0: +16 clamps to 15 (error up to d); plus storing d (and q5_1's min) in f16 */
                        double bound = (t5 ? 0.5 : 1.0) * d + 32 * fabs(d - d16) + (t5 ? fabs(mn - m16) : 0.0) +
                                       1e-6 * amax;
                        CHECK(fabs(xv - y[i]) <= bound, "q5_%d rt i=%d x=%g y=%g d=%g", t5, i, xv, y[i], d16);
                        if (i >= n && !t5) CHECK(y[i] == 0.0f, "q5_0 padding must decode to 0");
                    }
                }

                /* round trip: |x - x'| <= d/2, plus the cost of storing d in f16 */
                lmrt_dequant_row(LMRT_GGML_Q8_0, q8, y, (int64_t)nb * 32);
                for (int i = 0; i < nb * 32; i++) {
                    const uint8_t *blk = q8 + (i / 32) * 34;
                    float amax = 0.0f;
                    for (int j = i / 32 * 32; j < i / 32 * 32 + 32 && j < n; j++) amax = fmaxf(amax, fabsf(x[j]));
                    double d = amax / 127.0, d16 = ref_half((uint16_t)(blk[0] | blk[1] << 8));
                    double xv = i < n ? x[i] : 0.0;
                    double bound = d / 2 + 127 * fabs(d - d16) + 1e-7 * amax;
                    CHECK(fabs(xv - y[i]) <= bound, "q8_0 rt i=%d x=%g y=%g d=%g", i, xv, y[i], d);
                    if (i >= n) CHECK(y[i] == 0.0f, "q8_0 padding must decode to 0");
                }
                lmrt_dequant_row(LMRT_GGML_Q4_0, q4, y, (int64_t)nb * 32);
                for (int i = 0; i < nb * 32; i++) {
                    const uint8_t *blk = q4 + (i / 32) * 18;
                    float amax = 0.0f, max = 0.0f;
                    for (int j = i / 32 * 32; j < i / 32 * 32 + 32 && j < n; j++)
                        if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
                    double d = fabs(max / -8.0), d16 = fabs(ref_half((uint16_t)(blk[0] | blk[1] << 8)));
                    int e = i % 32;
                    int nib = e < 16 ? blk[2 + e] & 15 : blk[2 + e - 16] >> 4;
                    double xv = i < n ? x[i] : 0.0;
                    /* nibble 15 may be a clamp of +8: error up to d */
                    double bound = (nib == 15 ? d : d / 2) + 8 * fabs(d - d16) + 1e-6 * amax;
                    CHECK(fabs(xv - y[i]) <= bound, "q4_0 rt i=%d x=%g y=%g d=%g", i, xv, y[i], d);
                    if (i >= n) CHECK(y[i] == 0.0f, "q4_0 padding must decode to 0");
                }
            }
        }
    }
    /* the value with the largest magnitude is exact in q4_0 (it maps to -8) */
    float v[32];
    for (int i = 0; i < 32; i++) v[i] = (float)i * 0.01f;
    v[9] = -0.75f;
    lmrt_quantize_row_q4_0(v, q4, 32);
    lmrt_dequant_row(LMRT_GGML_Q4_0, q4, y, 32);
    CHECK(y[9] == -0.75f, "q4_0 extreme exact, got %g", y[9]);
    CHECK((q4[2 + 9] & 15) == 0, "q4_0 extreme uses nibble 0");
    /* all-zero block: d = 0, every q8 byte 0, every q4 nibble 8 */
    memset(v, 0, sizeof v);
    lmrt_quantize_row_q8_0(v, q8, 32);
    lmrt_quantize_row_q4_0(v, q4, 32);
    for (int i = 0; i < 34; i++) CHECK(q8[i] == 0, "zero q8 byte %d", i);
    CHECK(q4[0] == 0 && q4[1] == 0x80, "zero q4 d is -0 (0 / -8), as ggml stores it");
    for (int i = 2; i < 18; i++) CHECK(q4[i] == 0x88, "zero q4 byte %d = %02x", i, q4[i]);
}

/* real tensors: dequantizing an F32 tensor row by row is the identity */
static void test_real_tensors(void) {
    gguf_file *f = test_open_model("stories260K.gguf", "the real-tensor part");
    if (!f) return;
    int n_checked = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        if (t->type != LMRT_GGML_F32) continue;
        uint64_t rows = t->nbytes / 4 / t->ne[0];
        float *row = malloc(t->ne[0] * sizeof(float));
        for (uint64_t r = 0; r < rows; r++) {
            const uint8_t *src = (const uint8_t *)t->data + r * t->ne[0] * 4;
            CHECK(lmrt_dequant_row(LMRT_GGML_F32, src, row, (int64_t)t->ne[0]) == 0, "%s", t->name);
            CHECK(memcmp(row, src, t->ne[0] * 4) == 0, "%s row %llu", t->name, (unsigned long long)r);
        }
        free(row);
        n_checked++;
    }
    CHECK(n_checked == 48, "checked %d F32 tensors", n_checked);
    gguf_close(f);
}

int main(void) {
    test_real_tensors();
    test_f16();
    test_roundf();
    test_blocks();
    test_quantizers();
    return test_finish("test_quant", NULL);
}
