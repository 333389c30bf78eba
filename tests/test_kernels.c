/* test_kernels.c - runtime-min math, the portable kernels (lmrt_kernels_scalar.h, one token, one
 * thread) and the sampler against independent references: libm, naive double-precision loops, a
 * per-element block decoder written here, and exact sampling frequencies. */
#define CHECK_SEED 0x1234567887654321ull
#include "check.h"
#include "lmrt_blob.h"
#include "lmrt_kernels_generic.h"
#include "lmrt_math.h"
#include "lmrt_sampler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* ---- helpers ------------------------------------------------------------ */


static float f_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t bits_from_f(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }


/* element j of a quantized row, decoded from the GGUF layout description */
static double ref_q8_0(const uint8_t *row, int j) {
    const uint8_t *b = row + (j / 32) * 34;
    return ref_half((uint16_t)(b[0] | b[1] << 8)) * (double)(int8_t)b[2 + j % 32];
}
static double ref_q4_0(const uint8_t *row, int j) {
    const uint8_t *b = row + (j / 32) * 18;
    int k = j % 32;
    int nib = k < 16 ? (b[2 + k] & 15) : (b[2 + k - 16] >> 4);
    return ref_half((uint16_t)(b[0] | b[1] << 8)) * (nib - 8);
}

/* error in units of the last place of the float nearest to ref */
static double ulp_err(float got, double ref) {
    float rf = (float)ref;
    if (isnan(ref)) return isnan(got) ? 0 : 1e9;
    if (isinf(rf) || isinf(got)) return got == rf ? 0 : 1e9;
    int e;
    frexp(fabs(ref), &e);
    double ulp = ldexp(1.0, e - 24);
    if (ulp < ldexp(1.0, -149)) ulp = ldexp(1.0, -149);
    return fabs((double)got - ref) / ulp;
}

/* ---- math --------------------------------------------------------------- */

static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static double me, mm, ml, mt, ms, msn, mcs;
static float we, wm, wl, wt, wsg, wsn, wcs;
static long sqrt_bad;

static void check_math_at(float x) {
    double e;
    if ((e = ulp_err(lmrt_expf(x), exp((double)x))) > me) { me = e; we = x; }
    if ((e = ulp_err(lmrt_expm1f(x), expm1((double)x))) > mm) { mm = e; wm = x; }
    if ((e = ulp_err(lmrt_logf(x), x < 0 ? NAN : log((double)x))) > ml) { ml = e; wl = x; }
    if ((e = ulp_err(lmrt_tanhf(x), tanh((double)x))) > mt) { mt = e; wt = x; }
    if ((e = ulp_err(lmrt_sigmoidf(x), ref_sigmoid((double)x))) > ms) { ms = e; wsg = x; }
    float sn, cs;
    lmrt_sincosf(x, &sn, &cs);
    if ((e = ulp_err(sn, sin((double)x))) > msn) { msn = e; wsn = x; }
    if ((e = ulp_err(cs, cos((double)x))) > mcs) { mcs = e; wcs = x; }
    float s0 = sqrtf(x), s1 = lmrt_sqrtf(x), s2 = lmrt_sqrtf_soft(x);
    if (!(isnan(s0) && isnan(s1)) && bits_from_f(s0) != bits_from_f(s1)) sqrt_bad++;
    if (!(isnan(s0) && isnan(s2)) && bits_from_f(s0) != bits_from_f(s2)) sqrt_bad++;
}

static void test_math(void) {
    /* dense sweep over all bit patterns (prime stride: every exponent, many
     * mantissas), then the edges: overflow/underflow thresholds, subnormals */
    static const uint32_t specials[] = {0, 0x80000000u, 1, 0x80000001u, 0x7f7fffffu, 0xff7fffffu,
                                        0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
                                        0x3f800000u, 0x42b17217u, 0x42b17218u, 0xc2cff1b4u,
                                        0xc2cff1b5u, 0xc2aeac50u, 0x007fffffu, 0x00800000u};
    for (uint64_t u = 0; u <= 0xffffffffull; u += 997) check_math_at(f_from_bits((uint32_t)u));
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) check_math_at(f_from_bits(specials[i]));
    for (int i = 0; i < 100000; i++) check_math_at((float)(rnd_unit() * 40.0 - 20.0)); /* the busy range */
    /* RoPE's: position times frequency, up to a million radians, and next to multiples of pi/2 */
    for (int i = 0; i < 200000; i++) check_math_at((float)(rnd_unit() * 2e6 - 1e6));
    for (int k = -2000; k <= 2000; k++) {
        float c = (float)(k * 1.5707963267948966);
        check_math_at(c);
        check_math_at(nextafterf(c, INFINITY));
        check_math_at(nextafterf(c, -INFINITY));
    }
    printf("max ulp: sinf %.3f (x=%g) cosf %.3f (x=%g)\n", msn, wsn, mcs, wcs);
    CHECK(msn <= 3.0 && mcs <= 3.0, "lmrt_sincosf max error: sin %.3f ulp at %a, cos %.3f ulp at %a", msn, wsn, mcs, wcs);
    printf("max ulp: expf %.3f (x=%g) expm1f %.3f (x=%g) logf %.3f (x=%g) tanhf %.3f (x=%g) sigmoidf %.3f (x=%g)\n",
           me, we, mm, wm, ml, wl, mt, wt, ms, wsg);
    CHECK(me <= 1.0, "lmrt_expf max error %.3f ulp at %a", me, we);
    CHECK(mm <= 1.5, "lmrt_expm1f max error %.3f ulp at %a", mm, wm);
    CHECK(ml <= 1.0, "lmrt_logf max error %.3f ulp at %a", ml, wl);
    CHECK(mt <= 2.5, "lmrt_tanhf max error %.3f ulp at %a", mt, wt);
    CHECK(ms <= 2.5, "lmrt_sigmoidf max error %.3f ulp at %a", ms, wsg);
    CHECK(sqrt_bad == 0, "lmrt_sqrtf / lmrt_sqrtf_soft differ from libm sqrtf %ld times", sqrt_bad);

    /* edges named explicitly */
    CHECK(lmrt_expf(0.0f) == 1.0f, "expf(0)");
    CHECK(isinf(lmrt_expf(88.7229f)) && lmrt_expf(88.7229f) > 0, "expf overflow");
    CHECK(lmrt_expf(88.72283f) == expf(88.72283f), "expf largest finite");
    CHECK(lmrt_expf(-104.0f) == 0.0f && lmrt_expf(-INFINITY) == 0.0f, "expf underflow");
    CHECK(lmrt_expf(-100.0f) == expf(-100.0f) && lmrt_expf(-100.0f) > 0, "expf subnormal result");
    CHECK(isinf(lmrt_expf(INFINITY)), "expf(inf)");
    CHECK(isnan(lmrt_expf(NAN)) && isnan(lmrt_logf(-1.0f)) && isnan(lmrt_tanhf(NAN)), "nan");
    CHECK(lmrt_logf(0.0f) == -INFINITY && lmrt_logf(INFINITY) == INFINITY, "logf edges");
    CHECK(lmrt_tanhf(20.0f) == 1.0f && lmrt_tanhf(-20.0f) == -1.0f, "tanhf saturation");
    CHECK(lmrt_sigmoidf(-200.0f) == 0.0f && lmrt_sigmoidf(200.0f) == 1.0f, "sigmoid saturation");
    float sn, cs;
    lmrt_sincosf(0.0f, &sn, &cs);
    CHECK(sn == 0.0f && cs == 1.0f, "sincos(0)");
    lmrt_sincosf(INFINITY, &sn, &cs);
    CHECK(isnan(sn) && isnan(cs), "sincos(inf)");
    lmrt_sincosf(NAN, &sn, &cs);
    CHECK(isnan(sn) && isnan(cs), "sincos(nan)");
    CHECK(lmrt_turns(0.0f) == 0 && lmrt_turns(-0.0f) == 0, "turns(0)");
    /* pi/2 is a quarter turn to within pi/2's float rounding (2^-26 turns) */
    uint64_t q = lmrt_turns(1.57079637f), quarter = (uint64_t)1 << 62;
    CHECK((q > quarter ? q - quarter : quarter - q) < ((uint64_t)1 << 40), "turns(pi/2) = %llx", (unsigned long long)q);
    CHECK(lmrt_fabsf(-0.0f) == 0.0f && !signbit(lmrt_fabsf(-0.0f)) && lmrt_fabsf(-3.5f) == 3.5f, "fabsf");
    CHECK(signbit(lmrt_sqrtf(-0.0f)) && isnan(lmrt_sqrtf(-1.0f)) && isnan(lmrt_sqrtf_soft(-1.0f)), "sqrt edges");
    /* random exhaustive-ish check of the soft square root near representable squares */
    for (int i = 0; i < 200000; i++) {
        float r = f_from_bits((uint32_t)(rnd_u64() % 0x7f800000u));
        float sq = r * r;
        if (isinf(sq)) continue;
        CHECK(lmrt_sqrtf_soft(sq) == sqrtf(sq), "soft sqrt(%a)", sq);
        if (g_fail > 20) return;
    }
}

/* ---- matvec / embed ----------------------------------------------------- */

enum { T_F32, T_F16, T_Q8, T_Q4 };
static const char *tname[] = {"f32", "f16", "q8_0", "q4_0"};

static size_t row_bytes(int t, int n) {
    switch (t) {
    case T_F32: return (size_t)n * 4;
    case T_F16: return (size_t)n * 2;
    case T_Q8: return (size_t)((n + 31) / 32) * 34;
    default: return (size_t)((n + 31) / 32) * 18;
    }
}

/* random weights in type t; padding bytes of the last block are random too */
static void fill_weights(int t, uint8_t *w, int rows, int n) {
    size_t rb = row_bytes(t, n);
    for (int r = 0; r < rows; r++) {
        uint8_t *row = w + (size_t)r * rb;
        if (t == T_F32) {
            for (int j = 0; j < n; j++) { float v = rnd_sym(); memcpy(row + 4 * j, &v, 4); }
        } else if (t == T_F16) {
            for (int j = 0; j < n; j++) { uint16_t h = rnd_half(10, 16); memcpy(row + 2 * j, &h, 2); }
        } else {
            int bb = t == T_Q8 ? 34 : 18;
            for (size_t k = 0; k < rb; k++) row[k] = (uint8_t)rnd_u64();
            for (int b = 0; b < (n + 31) / 32; b++) {
                uint16_t d = rnd_half(5, 14);
                row[b * bb] = (uint8_t)d;
                row[b * bb + 1] = (uint8_t)(d >> 8);
            }
        }
    }
}

static double ref_elem(int t, const uint8_t *row, int j) {
    float f;
    uint16_t h;
    switch (t) {
    case T_F32: memcpy(&f, row + 4 * j, 4); return f;
    case T_F16: memcpy(&h, row + 2 * j, 2); return ref_half(h);
    case T_Q8: return ref_q8_0(row, j);
    default: return ref_q4_0(row, j);
    }
}

static void run_matvec(int t, float *y, const void *W, const float *x, int n_out, int n_in) {
    switch (t) {
    case T_F32: lmrt_scalar_matmul_f32_f32(y, W, x, 1, n_out, n_in, 1, 0, 1); break;
    case T_F16: lmrt_scalar_matmul_f16_f32(y, W, x, 1, n_out, n_in, 1, 0, 1); break;
    case T_Q8: lmrt_scalar_matmul_q8_0_f32(y, W, x, 1, n_out, n_in, 1, 0, 1); break;
    default: lmrt_scalar_matmul_q4_0_f32(y, W, x, 1, n_out, n_in, 1, 0, 1); break;
    }
}

static void run_embed(int t, float *y, const void *table, int token, int dim) {
    int32_t tok = token;
    switch (t) {
    case T_F32: lmrt_scalar_embed_f32(y, table, &tok, 1, dim); break;
    case T_F16: lmrt_scalar_embed_f16(y, table, &tok, 1, dim); break;
    case T_Q8: lmrt_scalar_embed_q8_0(y, table, &tok, 1, dim); break;
    default: lmrt_scalar_embed_q4_0(y, table, &tok, 1, dim); break;
    }
}

static void test_matvec_embed(void) {
    static const int sizes[] = {172, 64, 33, 1, 31, 288};
    for (int t = 0; t < 4; t++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            int n_in = sizes[si], n_out = 7;
            size_t rb = row_bytes(t, n_in);
            uint8_t *W = malloc(rb * (size_t)n_out + 8);
            float *x = malloc(sizeof(float) * (size_t)(n_in + 32));
            float *y = malloc(sizeof(float) * (size_t)(n_out + 1));
            fill_weights(t, W, n_out, n_in);
            for (int j = 0; j < n_in; j++) x[j] = rnd_sym();
            for (int j = n_in; j < n_in + 32; j++) x[j] = NAN; /* must not be read */
            y[n_out] = 12345.0f;
            run_matvec(t, y, W, x, n_out, n_in);
            for (int r = 0; r < n_out; r++) {
                double ref = 0, mag = 0;
                for (int j = 0; j < n_in; j++) {
                    double p = ref_elem(t, W + (size_t)r * rb, j) * x[j];
                    ref += p;
                    mag += fabs(p);
                }
                double tol = (n_in + 8) * 1.2e-7 * mag + 1e-30;
                CHECK(fabs(y[r] - ref) <= tol, "matvec_%s n_in=%d row %d: %.9g vs %.9g", tname[t], n_in, r,
                      y[r], ref);
            }
            CHECK(y[n_out] == 12345.0f, "matvec_%s wrote past n_out", tname[t]);
            /* embed: dequantizing one row is exact in float */
            for (int tok = 0; tok < n_out; tok += 3) {
                x[n_in] = 777.0f;
                run_embed(t, x, W, tok, n_in);
                for (int j = 0; j < n_in; j++)
                    CHECK((double)x[j] == ref_elem(t, W + (size_t)tok * rb, j), "embed_%s dim=%d tok=%d j=%d",
                          tname[t], n_in, tok, j);
                CHECK(x[n_in] == 777.0f, "embed_%s wrote past dim", tname[t]);
            }
            free(W);
            free(x);
            free(y);
        }
}

/* ---- norm, rope, elementwise ------------------------------------------- */

static void test_rmsnorm_rope_eltwise(void) {
    static const int sizes[] = {1, 33, 64, 172, 288};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        int n = sizes[si];
        float *x = malloc(sizeof(float) * (size_t)n), *w = malloc(sizeof(float) * (size_t)n);
        float *y = malloc(sizeof(float) * (size_t)n);
        for (int i = 0; i < n; i++) { x[i] = 3 * rnd_sym(); w[i] = rnd_sym(); }
        lmrt_scalar_rmsnorm(y, x, w, 1, n, 1e-5f, 0, 1);
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
        double inv = 1.0 / sqrt(ss / n + 1e-5);
        for (int i = 0; i < n; i++) {
            double ref = x[i] * inv * w[i];
            CHECK(fabs(y[i] - ref) <= 1e-6 * fabs(ref) + 1e-7 * fabs(x[i] * inv) + 1e-30, "rmsnorm n=%d i=%d", n, i);
        }
        /* in place */
        memcpy(y, x, sizeof(float) * (size_t)n);
        lmrt_scalar_rmsnorm(y, y, w, 1, n, 1e-5f, 0, 1);
        for (int i = 0; i < n; i++)
            CHECK(fabs(y[i] - x[i] * inv * w[i]) <= 1e-6 * fabs(x[i] * inv) + 1e-30, "rmsnorm in place");

        /* softmax */
        for (int i = 0; i < n; i++) y[i] = x[i] = 20 * rnd_sym();
        lmrt_scalar_softmax(y, 1, n, 0, 1);
        double mx = -INFINITY, sum = 0;
        for (int i = 0; i < n; i++) mx = fmax(mx, x[i]);
        for (int i = 0; i < n; i++) sum += exp((double)x[i] - mx);
        for (int i = 0; i < n; i++) {
            double ref = exp((double)x[i] - mx) / sum;
            /* x - max is rounded in float first: relative error |x - max| 2^-24 */
            double tol = ((mx - x[i]) * 6e-8 + 1e-6) * ref + 1e-30;
            CHECK(fabs(y[i] - ref) <= tol, "softmax n=%d i=%d %g vs %g", n, i, y[i], ref);
        }
        free(x);
        free(w);
        free(y);
    }

    /* rope: both pair layouts, partial rotary dims, odd head counts */
    for (int neox = 0; neox < 2; neox++)
        for (int rd = 2; rd <= 12; rd += 10) {
            int nh = 3, hd = 12, pos = 17;
            float x[36], x0[36], cs[18 * 12] = {0}; /* the table's row pos: cos, sin per pair */
            double theta = 10000.0;
            for (int i = 0; i < rd / 2; i++) {
                double ang = pos * pow(theta, -2.0 * i / rd);
                cs[pos * rd + 2 * i] = (float)cos(ang);
                cs[pos * rd + 2 * i + 1] = (float)sin(ang);
            }
            for (int i = 0; i < nh * hd; i++) x[i] = x0[i] = rnd_sym();
            lmrt_scalar_rope(x, 1, nh, hd, rd, neox, cs + pos * rd, 0, 1);
            for (int h = 0; h < nh; h++) {
                const float *a = x0 + h * hd;
                double ref[12];
                for (int i = 0; i < hd; i++) ref[i] = a[i];
                for (int i = 0; i < rd / 2; i++) {
                    int i0 = neox ? i : 2 * i, i1 = neox ? i + rd / 2 : 2 * i + 1;
                    double c = cs[pos * rd + 2 * i], s = cs[pos * rd + 2 * i + 1];
                    ref[i0] = a[i0] * c - a[i1] * s;
                    ref[i1] = a[i0] * s + a[i1] * c;
                }
                for (int i = 0; i < hd; i++)
                    CHECK(fabs(x[h * hd + i] - ref[i]) <= 3e-7, "rope neox=%d rd=%d h=%d i=%d", neox, rd, h, i);
            }
        }

    /* elementwise, including y aliasing a or b */
    enum { N = 37 };
    float a[N], b[N], y[N], a0[N], b0[N];
    for (int i = 0; i < N; i++) { a[i] = a0[i] = 10 * rnd_sym(); b[i] = b0[i] = 10 * rnd_sym(); }
    a[0] = a0[0] = -100.0f;
    a[1] = a0[1] = 100.0f;
    a[2] = a0[2] = -89.0f;
    lmrt_scalar_add(y, a, b, N, 0, 1);
    for (int i = 0; i < N; i++) CHECK(y[i] == a0[i] + b0[i], "add i=%d", i);
    lmrt_scalar_add(a, a, b, N, 0, 1);
    for (int i = 0; i < N; i++) CHECK(a[i] == a0[i] + b0[i], "add y==a i=%d", i);
    memcpy(a, a0, sizeof a);
    lmrt_scalar_add(b, a, b, N, 0, 1);
    for (int i = 0; i < N; i++) CHECK(b[i] == a0[i] + b0[i], "add y==b i=%d", i);
    memcpy(b, b0, sizeof b);
    lmrt_scalar_mul(a, a, b, N, 0, 1);
    for (int i = 0; i < N; i++) CHECK(a[i] == a0[i] * b0[i], "mul y==a i=%d", i);
    memcpy(a, a0, sizeof a);
    lmrt_scalar_silu(y, a, N, 0, 1);
    for (int i = 0; i < N; i++) {
        double ref = a0[i] * ref_sigmoid(a0[i]);
        CHECK(fabs(y[i] - ref) <= 4e-7 * fabs(ref) + 1e-37, "silu(%g) = %g vs %g", a0[i], y[i], ref);
    }
    lmrt_scalar_swiglu(a, a, b, N, 0, 1);
    for (int i = 0; i < N; i++) {
        double ref = a0[i] * ref_sigmoid(a0[i]) * b0[i];
        CHECK(fabs(a[i] - ref) <= 5e-7 * fabs(ref) + 1e-37, "swiglu(%g,%g) = %g vs %g", a0[i], b0[i], a[i], ref);
    }
}

/* ---- kv store + attention ----------------------------------------------- */

/* the hadamard op's kernel against H[i][j] = (-1)^popcount(i & j) / sqrt(B) in double, rows
 * split over threads; applied twice it gives the zero-padded input back (H/sqrt(B) is its own inverse) */
static void test_hadamard(void) {
    enum { N = 3, K = 172, KP = 192, B = 64 };
    static float x[N * K], y[N * KP], z[N * KP];
    for (int i = 0; i < N * K; i++) x[i] = (float)((i * 7919 % 1000) / 500.0 - 1.0) * (i % 37 == 5 ? 30.0f : 1.0f);
    float sc = (float)(1.0 / sqrt((double)B));
    for (int tid = 0; tid < 2; tid++) lmrt_scalar_hadamard(y, x, N, K, KP, B, sc, tid, 2);
    double worst = 0;
    for (int r = 0; r < N; r++)
        for (int i = 0; i < KP; i++) {
            int b0 = i / B * B;
            double s = 0;
            for (int j = b0; j < b0 + B && j < K; j++) {
                int bits = 0;
                for (int m = (i - b0) & (j - b0); m; m &= m - 1) bits ^= 1;
                s += (bits ? -1.0 : 1.0) * x[r * K + j];
            }
            worst = fmax(worst, fabs(y[r * KP + i] - s / sqrt((double)B)));
        }
    CHECK(worst < 1e-4, "hadamard: max |diff| %g vs the textbook product", worst);
    lmrt_scalar_hadamard(z, y, N, KP, KP, B, sc, 0, 1);
    worst = 0;
    for (int r = 0; r < N; r++)
        for (int i = 0; i < KP; i++) worst = fmax(worst, fabs(z[r * KP + i] - (i < K ? x[r * K + i] : 0.0f)));
    CHECK(worst < 1e-4, "hadamard twice: max |diff| %g from the padded input", worst);
}

/* kv_store into a cache of `slots` slots (position p in slot p % slots) and attention over the last
 * `window` positions (0: all) with an optional softcap, against double-precision sums over every
 * position stored so far */
static void test_attention(void) {
    static const struct { int nh, nkv, hd, ctx, slots, window; float softcap; } shapes[] = {
        {4, 4, 8, 5, 5, 0, 0}, {8, 2, 13, 7, 7, 0, 0}, {6, 1, 16, 4, 4, 0, 0}, {2, 1, 1, 3, 3, 0, 0},
        {4, 2, 8, 11, 4, 3, 0},   /* a ring of 4 slots, window 3: wraps twice over the run */
        {2, 1, 13, 9, 9, 2, 0},   /* a window on a full cache */
        {4, 4, 8, 10, 6, 6, 0.5f}, /* softcap 0.5 (the scores reach about 1), ring exactly the window */
        {6, 2, 16, 7, 7, 0, 2.0f}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (int f16 = 0; f16 < 2; f16++) {
            int nh = shapes[si].nh, nkv = shapes[si].nkv, hd = shapes[si].hd, ctx = shapes[si].ctx;
            int S = shapes[si].slots, win = shapes[si].window;
            float cap = shapes[si].softcap;
            size_t csz = (size_t)nkv * (size_t)S * (size_t)hd, hsz = (size_t)ctx * (size_t)(nkv * hd);
            float *kf = malloc(csz * 4), *vf = malloc(csz * 4);
            uint16_t *kh = malloc(csz * 2), *vh = malloc(csz * 2);
            float *q = malloc(sizeof(float) * (size_t)(nh * hd)), *out = malloc(sizeof(float) * (size_t)(nh * hd));
            float *kx = malloc(sizeof(float) * hsz), *vx = malloc(sizeof(float) * hsz); /* [pos][nkv*hd] */
            float *scratch = malloc(sizeof(float) * (size_t)S);
            for (size_t i = 0; i < csz; i++) { kf[i] = vf[i] = NAN; kh[i] = vh[i] = 0x7e00; } /* unwritten = NaN */
            float scale = (float)(1.0 / sqrt(hd));
            for (int pos = 0; pos < ctx; pos++) {
                float *kp = kx + (size_t)pos * (size_t)(nkv * hd), *vp = vx + (size_t)pos * (size_t)(nkv * hd);
                for (int i = 0; i < nkv * hd; i++) { kp[i] = 2 * rnd_sym(); vp[i] = rnd_sym(); }
                if (f16) {
                    lmrt_scalar_kv_store_f16(kh, kp, 1, nkv, S, hd, pos, 0, 1);
                    lmrt_scalar_kv_store_f16(vh, vp, 1, nkv, S, hd, pos, 0, 1);
                } else {
                    lmrt_scalar_kv_store_f32(kf, kp, 1, nkv, S, hd, pos, 0, 1);
                    lmrt_scalar_kv_store_f32(vf, vp, 1, nkv, S, hd, pos, 0, 1);
                }
                /* the store lands at [kv][pos % slots][d]; slots of later positions stay unwritten */
                for (int h = 0; h < nkv; h++)
                    for (int t = 0; t < S; t++)
                        for (int d = 0; d < hd; d++) {
                            size_t o = ((size_t)h * (size_t)S + (size_t)t) * (size_t)hd + (size_t)d;
                            double kv = f16 ? ref_half(kh[o]) : kf[o];
                            if (t > pos) {
                                CHECK(isnan(kv), "kv_store wrote slot %d > pos=%d", t, pos);
                            } else if (t == pos % S) {
                                double want = kp[h * hd + d];
                                CHECK(f16 ? fabs(kv - want) <= fabs(want) * (1.0 / 2048) + 3e-8 : kv == want,
                                      "kv_store%s h=%d pos=%d d=%d", f16 ? "_f16" : "_f32", h, pos, d);
                            }
                        }
                if (pos != 0 && pos != ctx - 1 && pos != ctx / 2 && pos != S) continue;
                for (int i = 0; i < nh * hd; i++) q[i] = rnd_sym();
                for (int i = 0; i < S; i++) scratch[i] = NAN;
                if (f16)
                    lmrt_scalar_attention_f16(out, q, kh, vh, 1, nh, nkv, hd, S, pos, win, 0, NULL, scale, cap, scratch, 0, 1);
                else
                    lmrt_scalar_attention_f32(out, q, kf, vf, 1, nh, nkv, hd, S, pos, win, 0, NULL, scale, cap, scratch, 0, 1);
                int lo = win > 0 && pos - win + 1 > 0 ? pos - win + 1 : 0;
                for (int h = 0; h < nh; h++) {
                    int g = h / (nh / nkv);
                    double sc[64], mx = -INFINITY, sum = 0;
                    for (int t = lo; t <= pos; t++) {
                        double s = 0;
                        for (int d = 0; d < hd; d++) {
                            double k = kx[(size_t)t * (size_t)(nkv * hd) + (size_t)(g * hd + d)];
                            s += (double)q[h * hd + d] * (f16 ? ref_half(lmrt_f32_to_f16((float)k)) : k);
                        }
                        sc[t] = s * scale;
                        if (cap > 0) sc[t] = cap * tanh(sc[t] / cap);
                        mx = fmax(mx, sc[t]);
                    }
                    for (int t = lo; t <= pos; t++) sum += (sc[t] = exp(sc[t] - mx));
                    for (int d = 0; d < hd; d++) {
                        double ref = 0;
                        for (int t = lo; t <= pos; t++) {
                            double v = vx[(size_t)t * (size_t)(nkv * hd) + (size_t)(g * hd + d)];
                            ref += sc[t] / sum * (f16 ? ref_half(lmrt_f32_to_f16((float)v)) : v);
                        }
                        CHECK(fabs(out[h * hd + d] - ref) <= 2e-6,
                              "attention%s shape %zu pos=%d h=%d d=%d: %g vs %g", f16 ? "_f16" : "_f32", si, pos, h,
                              d, out[h * hd + d], ref);
                    }
                }
            }
            free(kf); free(vf); free(kh); free(vh); free(q); free(out); free(kx); free(vx); free(scratch);
        }
}

/* --kv-policy slide: a cache of S slots keeps positions 0..SINK-1 in slots 0.. and the later ones in a
 * ring (slot SINK + (p - SINK) % (S - SINK), written by kv_store at that slot); past the context a query
 * at pos sees the sinks, scored with its sink query, and the last W = S - SINK - (C - 1) positions,
 * scored with q, where C is the tokens per chunk (a chunk writes all its keys, then its C queries read:
 * the ring's C - 1 spare slots keep what they see): against double precision, f32 and f16 caches,
 * every position to 4x the slots */
static void test_attention_sink(int C) {
    enum { NH = 4, NKV = 2, HD = 8, S = 10, SINK = 3, NP = 4 * S, CMAX = 4 };
    static float kx[NP][NKV * HD], vx[NP][NKV * HD], kf[NKV * S * HD], vf[NKV * S * HD];
    static uint16_t kh[NKV * S * HD], vh[NKV * S * HD];
    float q[CMAX * NH * HD], qs[CMAX * NH * HD], out[CMAX * NH * HD], scratch[S];
    float scale = (float)(1.0 / sqrt(HD));
    double worst = 0;
    int wrote = 1, W = S - SINK - (C - 1);
    for (int p0 = 0, m; p0 < NP && C <= CMAX; p0 += m) {
        m = NP - p0 < C ? NP - p0 : C;
        for (int pos = p0; pos < p0 + m; pos++) {
            int slot = pos < SINK ? pos : SINK + (pos - SINK) % (S - SINK);
            for (int i = 0; i < NKV * HD; i++) kx[pos][i] = 2 * rnd_sym(), vx[pos][i] = rnd_sym();
            lmrt_scalar_kv_store_f32(kf, kx[pos], 1, NKV, S, HD, slot, 0, 1);
            lmrt_scalar_kv_store_f32(vf, vx[pos], 1, NKV, S, HD, slot, 0, 1);
            lmrt_scalar_kv_store_f16(kh, kx[pos], 1, NKV, S, HD, slot, 0, 1);
            lmrt_scalar_kv_store_f16(vh, vx[pos], 1, NKV, S, HD, slot, 0, 1);
            wrote &= kf[(size_t)slot * HD] == kx[pos][0];
        }
        for (int i = 0; i < m * NH * HD; i++) q[i] = rnd_sym(), qs[i] = rnd_sym();
        for (int f16 = 0; f16 < 2; f16++) {
            if (f16) lmrt_scalar_attention_f16(out, q, kh, vh, m, NH, NKV, HD, S, p0, W, SINK, qs, scale, 0.0f, scratch, 0, 1);
            else lmrt_scalar_attention_f32(out, q, kf, vf, m, NH, NKV, HD, S, p0, W, SINK, qs, scale, 0.0f, scratch, 0, 1);
            for (int u = 0; u < m * NH; u++) {
                int pos = p0 + u / NH, h = u % NH, g = h / (NH / NKV);
                const float *q1 = q + (size_t)(u / NH) * NH * HD, *qs1 = qs + (size_t)(u / NH) * NH * HD;
                float *out1 = out + (size_t)(u / NH) * NH * HD;
                int lo = pos - W + 1 > SINK ? pos - W + 1 : 0; /* before the context: 0..pos */
                double sc[NP], mx = -INFINITY, sum = 0;
                for (int t = 0; t <= pos; t++) {
                    if (t >= SINK && t < lo) continue;
                    const float *qq = lo > 0 && t < SINK ? qs1 : q1; /* the sinks past the context */
                    double d = 0;
                    for (int i = 0; i < HD; i++) {
                        double k = kx[t][g * HD + i];
                        d += (double)qq[h * HD + i] * (f16 ? ref_half(lmrt_f32_to_f16((float)k)) : k);
                    }
                    sc[t] = d * scale;
                    mx = fmax(mx, sc[t]);
                }
                for (int t = 0; t <= pos; t++)
                    if (t < SINK || t >= lo) sum += (sc[t] = exp(sc[t] - mx));
                for (int i = 0; i < HD; i++) {
                    double ref = 0;
                    for (int t = 0; t <= pos; t++)
                        if (t < SINK || t >= lo) {
                            double v = vx[t][g * HD + i];
                            ref += sc[t] / sum * (f16 ? ref_half(lmrt_f32_to_f16((float)v)) : v);
                        }
                    worst = fmax(worst, fabs(out1[h * HD + i] - ref));
                }
            }
        }
    }
    CHECK(wrote, "kv_store at the slide slot");
    CHECK(C <= CMAX && worst <= 2e-6, "attention with %d sinks and a ring of %d, chunks of %d, positions 0..%d: max |error| %.3g",
          SINK, S - SINK, C, NP - 1, worst);
}

/* ---- sampler ------------------------------------------------------------- */

/* draws n samples and returns the chi-square statistic against probabilities p[0..k) */
static double chi_square(lmrt_sampler *s, const float *logits, int n, const double *p, int k, int draws,
                         int *outside) {
    long cnt[16] = {0};
    void *scratch = malloc((size_t)n * 8);
    *outside = 0;
    for (int i = 0; i < draws; i++) {
        int t = lmrt_sample(s, logits, n, scratch);
        if (t < 0 || t >= k || p[t] == 0) (*outside)++;
        else cnt[t]++;
    }
    free(scratch);
    double chi = 0;
    for (int i = 0; i < k; i++)
        if (p[i] > 0) chi += (cnt[i] - draws * p[i]) * (cnt[i] - draws * p[i]) / (draws * p[i]);
    return chi;
}

static int cmp_desc_idx(const void *a, const void *b, const double *p) {
    int i = *(const int *)a, j = *(const int *)b;
    if (p[i] != p[j]) return p[i] > p[j] ? -1 : 1;
    return i - j;
}
static const double *g_sort_p;
static int cmp_qsort(const void *a, const void *b) { return cmp_desc_idx(a, b, g_sort_p); }

static void test_sampler(void) {
    lmrt_sampler s;
    /* greedy: argmax, lowest index among ties, also with top-k = 1 */
    {
        enum { N = 1000 };
        float lg[N];
        void *scratch = malloc(N * 8);
        for (int i = 0; i < N; i++) lg[i] = 5 * rnd_sym();
        lg[500] = 9.0f;
        lg[700] = 9.0f;
        float copy[N];
        memcpy(copy, lg, sizeof lg);
        lmrt_sampler_init(&s, 0.0f, 0, 1.0f, 1);
        CHECK(lmrt_sample(&s, lg, N, scratch) == 500, "greedy argmax/tie");
        lmrt_sampler_init(&s, 1.0f, 1, 1.0f, 7);
        for (int i = 0; i < 50; i++) CHECK(lmrt_sample(&s, lg, N, scratch) == 500, "top-k 1 is argmax");
        lmrt_sampler_init(&s, 0.8f, 0, 0.0001f, 7);
        for (int i = 0; i < 50; i++) CHECK(lmrt_sample(&s, lg, N, scratch) == 500, "tiny top-p is argmax");
        CHECK(memcmp(copy, lg, sizeof lg) == 0, "sampler modified logits");
        free(scratch);
    }
    /* frequencies (chi-square, 4 dof: P(chi2 > 30) ~ 5e-6; deterministic with a fixed seed) */
    {
        const double p[5] = {0.4, 0.25, 0.2, 0.1, 0.05};
        float lg[5];
        for (int i = 0; i < 5; i++) lg[i] = (float)log(p[i]) + 3.0f;
        int outside;
        lmrt_sampler_init(&s, 1.0f, 0, 1.0f, 42);
        double chi = chi_square(&s, lg, 5, p, 5, 40000, &outside);
        printf("chi2 plain %.2f\n", chi);
        CHECK(chi < 30 && outside == 0, "plain sampling chi2 %.2f outside %d", chi, outside);
        /* temperature 2: p^(1/2) renormalized */
        double pt[5], z = 0;
        for (int i = 0; i < 5; i++) z += (pt[i] = sqrt(p[i]));
        for (int i = 0; i < 5; i++) pt[i] /= z;
        lmrt_sampler_init(&s, 2.0f, 0, 1.0f, 0); /* seed 0 must work */
        chi = chi_square(&s, lg, 5, pt, 5, 40000, &outside);
        printf("chi2 T=2 %.2f\n", chi);
        CHECK(chi < 30 && outside == 0, "T=2 chi2 %.2f outside %d", chi, outside);
        /* top-k 3: the three largest renormalized, never the others */
        double pk[5] = {0.4 / 0.85, 0.25 / 0.85, 0.2 / 0.85, 0, 0};
        lmrt_sampler_init(&s, 1.0f, 3, 1.0f, 99);
        chi = chi_square(&s, lg, 5, pk, 5, 40000, &outside);
        printf("chi2 top-k %.2f\n", chi);
        CHECK(chi < 25 && outside == 0, "top-k chi2 %.2f outside %d", chi, outside);
        /* top-p 0.7: 0.4 + 0.25 < 0.7 <= 0.85, so the same three */
        lmrt_sampler_init(&s, 1.0f, 0, 0.7f, 5);
        chi = chi_square(&s, lg, 5, pk, 5, 40000, &outside);
        printf("chi2 top-p %.2f\n", chi);
        CHECK(chi < 25 && outside == 0, "top-p chi2 %.2f outside %d", chi, outside);
        /* top-k 4 then top-p 0.8 of the renormalized 0.95: 0.85/0.95 >= 0.8 > 0.65/0.95 */
        lmrt_sampler_init(&s, 1.0f, 4, 0.8f, 6);
        chi = chi_square(&s, lg, 5, pk, 5, 40000, &outside);
        CHECK(chi < 25 && outside == 0, "top-k+top-p chi2 %.2f outside %d", chi, outside);
        /* top-p 0.6: 0.4 < 0.6 <= 0.65 keeps two */
        double p2[5] = {0.4 / 0.65, 0.25 / 0.65, 0, 0, 0};
        lmrt_sampler_init(&s, 1.0f, 0, 0.6f, 8);
        chi = chi_square(&s, lg, 5, p2, 5, 40000, &outside);
        CHECK(chi < 20 && outside == 0, "top-p two chi2 %.2f outside %d", chi, outside);
    }
    /* logits that are not a finite distribution: +inf share the mass, -inf have none, NaN or all
     * -inf is an error that leaves the RNG alone, under every mode */
    {
        enum { N = 6 };
        const float inf = INFINITY;
        void *scratch = malloc(N * 8);
        const double half[N] = {0, 0.5, 0, 0.5, 0, 0}, one[N] = {0, 0, 1, 0, 0, 0}, thirds[N] = {1 / 3., 1 / 3., 1 / 3., 0, 0, 0};
        const float two_inf[N] = {3, inf, -2, inf, 7, -inf}, one_inf[N] = {3, -inf, inf, 1e30f, -1e30f, 7};
        const float big[N] = {3.0e38f, 3.0e38f, 3.0e38f, -3.0e38f, -inf, -inf};
        static const struct { float t; int k; float p; } modes[] = {
            {0.0f, 0, 1.0f}, {1.0f, 0, 1.0f}, {0.7f, 2, 1.0f}, {1.0f, 0, 0.9f}, {INFINITY, 0, 1.0f}, {NAN, 0, NAN}};
        for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
            int outside;
            lmrt_sampler_init(&s, modes[m].t, modes[m].k, modes[m].p, 11);
            int greedy = !(modes[m].t > 0);
            if (greedy) {
                CHECK(lmrt_sample(&s, two_inf, N, scratch) == 1, "greedy: the first +inf");
            } else {
                double chi = chi_square(&s, two_inf, N, half, N, 4000, &outside);
                CHECK(chi < 20 && outside == 0, "mode %zu: two +inf logits share the mass (chi2 %.2f, %d outside)", m, chi, outside);
            }
            double chi = chi_square(&s, one_inf, N, one, N, 200, &outside);
            CHECK(outside == 0 && chi == 0, "mode %zu: one +inf logit takes all (%d outside)", m, outside);
            if (!greedy && modes[m].k == 0 && !(modes[m].p < 1)) { /* no overflow between huge finite logits */
                chi = chi_square(&s, big, N, thirds, N, 3000, &outside);
                CHECK(chi < 20 && outside == 0, "mode %zu: logits near FLT_MAX (chi2 %.2f, %d outside)", m, chi, outside);
            }
            float bad[N] = {1, 2, 3, 4, 5, 6};
            for (int where = 0; where < N; where++) {
                for (int i = 0; i < N; i++) bad[i] = (float)i;
                bad[where] = NAN;
                uint64_t rng = s.rng;
                CHECK(lmrt_sample(&s, bad, N, scratch) == -1 && s.rng == rng, "mode %zu: NaN at %d -> -1, RNG kept", m, where);
                for (int i = 0; i < N; i++) bad[i] = i == where ? -inf : NAN;
                CHECK(lmrt_sample(&s, bad, N, scratch) == -1, "mode %zu: all NaN but one -inf -> -1", m);
            }
            for (int i = 0; i < N; i++) bad[i] = -inf;
            CHECK(lmrt_sample(&s, bad, N, scratch) == -1, "mode %zu: all -inf -> -1", m);
            bad[4] = -1e30f;
            CHECK(lmrt_sample(&s, bad, N, scratch) == 4, "mode %zu: one finite logit among -inf", m);
            CHECK(lmrt_sample(&s, bad, 0, scratch) == -1, "mode %zu: no logits -> -1", m);
        }
        free(scratch);
    }
    /* large vocabulary: top-p / top-k keep exactly the reference set */
    {
        enum { N = 150000 };
        float *lg = malloc(sizeof(float) * N);
        double *p = malloc(sizeof(double) * N);
        int *idx = malloc(sizeof(int) * N);
        unsigned char *in = calloc(N, 1), *hit = calloc(N, 1);
        void *scratch = malloc((size_t)N * 8);
        for (int i = 0; i < N; i++) lg[i] = (float)(rnd_unit() * 4.0 - 10.0);
        for (int i = 0; i < 12; i++) lg[rnd_u64() % N] = (float)(4.0 + 4.0 * rnd_unit());
        float T = 0.9f;
        double mx = -INFINITY, z = 0;
        for (int i = 0; i < N; i++) mx = fmax(mx, lg[i]);
        for (int i = 0; i < N; i++) z += (p[i] = exp((lg[i] - mx) / T));
        for (int i = 0; i < N; i++) { p[i] /= z; idx[i] = i; }
        g_sort_p = p;
        qsort(idx, N, sizeof(int), cmp_qsort);
        double cum = 0;
        int keep = 0;
        while (keep < N && cum < 0.75) cum += p[idx[keep++]];
        for (int i = 0; i < keep; i++) in[idx[i]] = 1;
        printf("top-p reference set: %d tokens\n", keep);
        lmrt_sampler_init(&s, T, 0, 0.75f, 123);
        int bad = 0, nhit = 0;
        for (int d = 0; d < 600; d++) {
            int t = lmrt_sample(&s, lg, N, scratch);
            if (t < 0 || t >= N || !in[t]) bad++;
            else if (!hit[t]) { hit[t] = 1; nhit++; }
        }
        CHECK(bad == 0, "top-p sampled %d tokens outside the nucleus", bad);
        CHECK(nhit == keep, "top-p reached %d of %d nucleus tokens", nhit, keep);
        /* top-k 50 keeps the 50 most likely; a logit within 1e-5 of the 50th (a few float ulps) may
         * round to the same probability in the sampler's float exp and tie with it */
        memset(in, 0, N);
        for (int i = 0; i < 50; i++) in[idx[i]] = 1;
        lmrt_sampler_init(&s, 5.0f, 50, 1.0f, 321);
        bad = 0;
        for (int d = 0; d < 300; d++) {
            int t = lmrt_sample(&s, lg, N, scratch);
            if (t < 0 || t >= N || (!in[t] && lg[t] < lg[idx[49]] - 1e-5f)) bad++;
        }
        CHECK(bad == 0, "top-k sampled %d tokens outside the top 50", bad);
        /* flat distribution, top-p 0.5: ties go to lower indices, about N/2 kept */
        for (int i = 0; i < N; i++) lg[i] = 1.0f;
        lmrt_sampler_init(&s, 1.0f, 0, 0.5f, 77);
        int maxt = 0;
        for (int d = 0; d < 20; d++) {
            int t = lmrt_sample(&s, lg, N, scratch);
            if (t > maxt) maxt = t;
        }
        CHECK(maxt < N / 2 + 100 && maxt > N / 4, "flat top-p max token %d", maxt);
        free(lg); free(p); free(idx); free(in); free(hit); free(scratch);
    }
    /* determinism and the RNG */
    {
        float lg[64];
        void *scratch = malloc(64 * 8);
        for (int i = 0; i < 64; i++) lg[i] = rnd_sym();
        int a[100], b[100], c[100];
        lmrt_sampler_init(&s, 1.0f, 0, 1.0f, 2024);
        for (int i = 0; i < 100; i++) a[i] = lmrt_sample(&s, lg, 64, scratch);
        lmrt_sampler_init(&s, 1.0f, 0, 1.0f, 2024);
        for (int i = 0; i < 100; i++) b[i] = lmrt_sample(&s, lg, 64, scratch);
        lmrt_sampler_init(&s, 1.0f, 0, 1.0f, 2025);
        for (int i = 0; i < 100; i++) c[i] = lmrt_sample(&s, lg, 64, scratch);
        CHECK(memcmp(a, b, sizeof a) == 0, "same seed, different samples");
        CHECK(memcmp(a, c, sizeof a) != 0, "different seeds, same samples");
        free(scratch);
        uint64_t st = 0;
        double sum = 0;
        float lo = 1, hi = 0;
        for (int i = 0; i < 1000000; i++) {
            float u = lmrt_rng_f32(&st);
            sum += u;
            lo = u < lo ? u : lo;
            hi = u > hi ? u : hi;
        }
        CHECK(lo >= 0.0f && hi < 1.0f && fabs(sum / 1e6 - 0.5) < 0.002 && lo < 1e-4 && hi > 0.9999,
              "rng_f32 range/mean: [%g, %g] mean %g", lo, hi, sum / 1e6);
    }
}

/* ---- freestanding standalone compile ------------------------------------ */

static int test_standalone(void) {
    static const char *const headers[] = {"lmrt_math.h", "lmrt_kernels_generic.h", "lmrt_sampler.h", NULL};
    return check_freestanding("test_kernels",
               "#include \"lmrt_kernels_generic.h\"\n#include \"lmrt_sampler.h\"\n"
                   "#define F(x) (void (*)(void))x,\n"
                   "void (*const use_all[])(void) = {\n"
                   "F(lmrt_k_matmul_f32_f32) F(lmrt_k_matmul_f16_f32) F(lmrt_k_matmul_q8_0_q8a) F(lmrt_k_qkv_q4_0t_q8a_f16)\n"
                   "F(lmrt_k_matmul_swiglu_q4_k_q8a) F(lmrt_k_embed_f16) F(lmrt_k_embed_q4_0) F(lmrt_k_rmsnorm) F(lmrt_k_rope)\n"
                   "F(lmrt_k_kv_store_f32) F(lmrt_k_kv_store_f16) F(lmrt_k_attention_f32) F(lmrt_k_attention_f16) F(lmrt_k_add)\n"
                   "F(lmrt_k_mul) F(lmrt_k_silu) F(lmrt_k_swiglu) F(lmrt_k_softmax) F(lmrt_k_hadamard) F(lmrt_k_quantize_q8a)\n"
                   "F(lmrt_expf) F(lmrt_expm1f) F(lmrt_logf)\n"
                   "F(lmrt_tanhf) F(lmrt_sigmoidf) F(lmrt_sqrtf) F(lmrt_sqrtf_soft) F(lmrt_fabsf) F(lmrt_sample)\n"
                   "F(lmrt_sampler_init) F(lmrt_rng_u32) F(lmrt_rng_f32) F(lmrt_argmax)};\n",
               headers);
}

/* ---- weights blob checksum ------------------------------------------------ */

static void test_blob_sum(void) {
    enum { N = 4099 };
    unsigned char *b = malloc(N);
    for (int i = 0; i < N; i++) b[i] = (unsigned char)rnd_u64();
    /* any split into pieces gives the one-call value (lmcc sums tensor by tensor) */
    for (int trial = 0; trial < 200; trial++) {
        size_t n = (size_t)(rnd_u64() % (N + 1));
        lmrt_sum st;
        lmrt_sum_init(&st);
        for (size_t at = 0; at < n;) {
            size_t k = (size_t)(rnd_u64() % 70);
            if (k > n - at) k = n - at;
            lmrt_sum_update(&st, b + at, k);
            at += k;
        }
        CHECK(lmrt_sum_final(&st) == lmrt_blob_sum(b, n), "pieces of %zu bytes: same sum", n);
    }
    /* every single-bit flip, and every length, changes the sum */
    uint64_t h = lmrt_blob_sum(b, 256);
    int same = 0;
    for (int i = 0; i < 256 * 8; i++) {
        b[i / 8] ^= (unsigned char)(1u << (i % 8));
        same += lmrt_blob_sum(b, 256) == h;
        b[i / 8] ^= (unsigned char)(1u << (i % 8));
    }
    CHECK(same == 0, "%d of 2048 bit flips kept the sum", same);
    memset(b, 0, N);
    same = 0;
    for (int n = 0; n < 200; n++) same += lmrt_blob_sum(b, (size_t)n) == lmrt_blob_sum(b, (size_t)n + 1);
    CHECK(same == 0, "zero runs of different lengths: %d equal sums", same);
    /* pinned: a blob written by one lmcc is checked by code from the same lmcc, but a change of the
     * function should be deliberate */
    for (int i = 0; i < 100; i++) b[i] = (unsigned char)i;
    CHECK(lmrt_blob_sum(b, 100) == 0x526896672a38f8f6ull, "sum of 0..99: %016llx", (unsigned long long)lmrt_blob_sum(b, 100));
    /* the header: what init accepts and what verify_weights accepts */
    unsigned char blob[LMRT_BLOB_HEADER_BYTES + 128];
    for (int i = 0; i < 128; i++) blob[LMRT_BLOB_HEADER_BYTES + i] = (unsigned char)(i * 7);
    uint64_t sum = lmrt_blob_sum(blob + LMRT_BLOB_HEADER_BYTES, 128);
    lmrt_blob_header(blob, sizeof blob, 0x1234, sum);
    CHECK(memcmp(blob, "LMCCWTS1", 8) == 0 && lmrt_le64(blob + LMRT_BLOB_SIZE_AT) == sizeof blob, "header fields");
    CHECK(lmrt_blob_header_ok(blob, sizeof blob, 0x1234) && !lmrt_blob_header_ok(blob, sizeof blob, 0x1235) &&
          !lmrt_blob_header_ok(blob, sizeof blob - 64, 0x1234), "header_ok: hash and size");
    CHECK(lmrt_blob_intact(blob, sizeof blob, 0x1234, sum) && !lmrt_blob_intact(blob, sizeof blob, 0x1234, sum + 1),
          "intact: the sum");
    blob[LMRT_BLOB_HEADER_BYTES + 127] ^= 0x80;
    CHECK(lmrt_blob_header_ok(blob, sizeof blob, 0x1234) && !lmrt_blob_intact(blob, sizeof blob, 0x1234, sum),
          "a flipped data bit: header fine, not intact");
    free(b);
}

int main(void) {
    test_blob_sum();
    test_math();
    test_matvec_embed();
    test_rmsnorm_rope_eltwise();
    test_attention();
    test_attention_sink(1);
    test_attention_sink(3);
    test_hadamard();
    test_sampler();
    return check_exit(test_standalone());
}
