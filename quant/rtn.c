/* rtn.c - block formats for the quantizers and round-to-nearest with
 * a least-squares scale search (see quant.h). */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmrt_quant.h"

int lmcc_quant_fmt_get(ir_dtype dt, lmcc_quant_fmt *f) {
    memset(f, 0, sizeof *f);
    f->dt = dt;
    f->block_bytes = ir_dtype_block_bytes(dt);
    f->group = ir_dtype_block_elems(dt);
    f->nlev = 16;
    f->uniform = 1;
    f->zero = 8;
    const char *g = getenv("LMCC_QUANT_GENERIC");
    f->simd = !(g && *g && strcmp(g, "0") != 0);
    f->refine = 1;
    switch (dt) {
    case IR_DT_Q8_0: f->nlev = 255; f->zero = 127; return 0;
    case IR_DT_Q4_0: case IR_DT_Q4_G16: case IR_DT_Q4_G64: case IR_DT_Q4_G128: return 0;
    case IR_DT_Q3_G64: f->nlev = 8; f->zero = 4; return 0;
    case IR_DT_Q5_G64: f->nlev = 32; f->zero = 16; return 0;
    case IR_DT_Q6_G64: f->nlev = 64; f->zero = 32; return 0;
    case IR_DT_NF4: case IR_DT_NF4_G64: f->uniform = 0; f->nf4 = 1; f->zero = 7; return 0;
    case IR_DT_Q4_1: f->asym = 1; f->zero = 0; return 0;
    case IR_DT_Q5_0: f->nlev = 32; f->zero = 16; return 0;
    case IR_DT_Q5_1: f->nlev = 32; f->asym = 1; f->zero = 0; return 0;
    default: return -1;
    }
}

/* v rounded to f16 precision: in the normal range of f16 (2^-14 <= |v| < 65504)
 * round to nearest even on the float's bits, else the conversions (the same
 * result for every float; checked exhaustively) */
static float rtn_f16(float v) {
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    uint32_t a = u & 0x7fffffffu;
    if (a >= 0x38800000u && a < 0x477fe000u) {
        u = (u + 0xfffu + ((u >> 13) & 1u)) & ~0x1fffu;
        memcpy(&v, &u, sizeof v);
        return v;
    }
    return lmrt_f16_to_f32(lmrt_f32_to_f16(v));
}

static float rtn_lev(const lmcc_quant_fmt *f, int q) { return f->nf4 ? lmrt_nf4_value(q) : (float)(q - f->zero); }

int lmcc_quant_block_code(const lmcc_quant_fmt *f, lmcc_quant_params p, float x) {
    if (p.d == 0.0f || x != x) return f->zero;
    if (f->nf4) {
        float t = (x - p.m) / p.d;
        int q = 0;
        for (int k = 1; k < 16; k++)
            if (t > 0.5f * (lmrt_nf4_value(k - 1) + lmrt_nf4_value(k))) q = k;
        return q;
    }
    /* as ggml rounds: times 1/d, clamped to the codebook, + zero + 1/2 truncated
     * (rtn_err_uniform and rtn_screen compute exactly this, four at a time) */
    float t = (x - p.m) * (1.0f / p.d), lo = (float)-f->zero, hi = (float)(f->nlev - 1 - f->zero);
    t = t >= lo ? t : lo; /* NaN (inf x with inf d) too */
    t = t > hi ? hi : t;
    return (int)(t + ((float)f->zero + 0.5f));
}

float lmcc_quant_block_value(const lmcc_quant_fmt *f, lmcc_quant_params p, int q) { return rtn_lev(f, q) * p.d + p.m; }

static double rtn_err(const lmcc_quant_fmt *f, lmcc_quant_params p, const float *x, const float *imp, int n) {
    double e = 0;
    for (int j = 0; j < n; j++) {
        double r = (double)x[j] - lmcc_quant_block_value(f, p, lmcc_quant_block_code(f, p, x[j]));
        e += (imp ? imp[j] : 1.0) * r * r;
    }
    return e;
}

/* least-squares d (and m) from the weighted sums of levels l and values x; p when singular */
static lmcc_quant_params rtn_solve(const lmcc_quant_fmt *f, lmcc_quant_params p, double sw, double sl, double sll, double sx,
                              double slx) {
    lmcc_quant_params r = p;
    if (f->asym) {
        double det = sw * sll - sl * sl;
        if (det <= 0) return p;
        r.d = rtn_f16((float)((sw * slx - sl * sx) / det));
        r.m = rtn_f16((float)((sll * sx - sl * slx) / det));
    } else {
        if (sll <= 0) return p;
        r.d = rtn_f16((float)(slx / sll));
    }
    return r;
}

/* least squares d (and m) for fixed codes, then f16 */
static lmcc_quant_params rtn_refit(const lmcc_quant_fmt *f, lmcc_quant_params p, const float *x, const float *imp, int n) {
    double sw = 0, sl = 0, sll = 0, sx = 0, slx = 0;
    for (int j = 0; j < n; j++) {
        double w = imp ? imp[j] : 1.0, l = rtn_lev(f, lmcc_quant_block_code(f, p, x[j]));
        sw += w, sl += w * l, sll += w * l * l, sx += w * x[j], slx += w * l * x[j];
    }
    return rtn_solve(f, p, sw, sl, sll, sx, slx);
}

/* ---- the search, vectorized ------------------------------------------------
 * For the uniform codebooks, with GNU vector types (SSE2 / NEON at -O2, no
 * -march) and codes that are exactly lmcc_quant_block_code's: rtn_screen sums every
 * candidate's error in float, four candidates at a time; only the candidates
 * within the float sums' rounding of the smallest get the exact error (in
 * double, rtn_err_uniform), so the choice is the one exact sums would make. */
typedef float rtn_v4f __attribute__((vector_size(16)));
typedef int32_t rtn_v4i __attribute__((vector_size(16)));
typedef float rtn_v2f __attribute__((vector_size(8)));
typedef double rtn_v2d __attribute__((vector_size(16)));

#define RTN_MAXG 256

typedef struct rtn_blk {
    float x[RTN_MAXG + 4], w[RTN_MAXG + 4]; /* padded to a multiple of 4 with x = 0, w = 0 */
    double xd[RTN_MAXG + 4], wd[RTN_MAXG + 4];
    float lev[2][RTN_MAXG + 4];             /* codebook levels of the current and best candidate */
    int n4, cur;
} rtn_blk;

static inline rtn_v4f rtn_ld(const float *p) { rtn_v4f v; memcpy(&v, p, sizeof v); return v; }
static inline rtn_v2d rtn_ld2d(const double *p) { rtn_v2d v; memcpy(&v, p, sizeof v); return v; }
/* lane-wise c ? a : b (C has no vector ?:) */
static inline rtn_v4f rtn_self(rtn_v4i c, rtn_v4f a, rtn_v4f b) { return (rtn_v4f)((c & (rtn_v4i)a) | (~c & (rtn_v4i)b)); }

/* sum w (x - (lev d + m))^2 with lev the codes' levels (stored in b->lev[b->cur]),
 * or INFINITY once the partial sum reaches stop; weighted: b->w is not all 1 */
static inline double rtn_err_uniform(const lmcc_quant_fmt *f, rtn_blk *b, lmcc_quant_params p, double stop, int weighted) {
    const float id = 1.0f / p.d, lo = (float)-f->zero, hi = (float)(f->nlev - 1 - f->zero), off = (float)f->zero + 0.5f;
    const rtn_v4f dv = {p.d, p.d, p.d, p.d}, mv = {p.m, p.m, p.m, p.m}, idv = {id, id, id, id};
    const rtn_v4f lov = {lo, lo, lo, lo}, hiv = {hi, hi, hi, hi}, offv = {off, off, off, off};
    const rtn_v4i zv = {f->zero, f->zero, f->zero, f->zero};
    float *lev = b->lev[b->cur];
    rtn_v2d acc0 = {0, 0}, acc1 = {0, 0};
    for (int j = 0; j < b->n4; j += 4) {
        rtn_v4f t = (rtn_ld(b->x + j) - mv) * idv;
        t = rtn_self(t < lov, lov, t);
        t = rtn_self(t > hiv, hiv, t);
        rtn_v4i i = __builtin_convertvector(t + offv, rtn_v4i) - zv; /* t + off >= 1/2: truncation rounds */
        rtn_v4f l = __builtin_convertvector(i, rtn_v4f), val = l * dv + mv;
        memcpy(lev + j, &l, sizeof l);
        /* x - val exactly, in double */
        rtn_v2f v0, v1;
        memcpy(&v0, &val, sizeof v0), memcpy(&v1, (const char *)&val + sizeof v0, sizeof v1);
        rtn_v2d d0 = rtn_ld2d(b->xd + j) - __builtin_convertvector(v0, rtn_v2d);
        rtn_v2d d1 = rtn_ld2d(b->xd + j + 2) - __builtin_convertvector(v1, rtn_v2d);
        if (weighted) acc0 += rtn_ld2d(b->wd + j) * d0 * d0, acc1 += rtn_ld2d(b->wd + j + 2) * d1 * d1;
        else acc0 += d0 * d0, acc1 += d1 * d1;
        if ((j & 7) == 4) {
            rtn_v2d a = acc0 + acc1;
            if (a[0] + a[1] >= stop) return INFINITY;
        }
    }
    rtn_v2d a = acc0 + acc1;
    double e = a[0] + a[1];
    return e >= stop ? INFINITY : e;
}

#define RTN_MAXC 40 /* candidates in a grid */

/* four candidates' constants; x minus the value of its code under each */
typedef struct rtn_screen_c { rtn_v4f d, m, id, lo, hi, off; rtn_v4i zero; } rtn_screen_c;

static inline rtn_v4f rtn_screen_term(const rtn_screen_c *sc, float x) {
    rtn_v4f xv = {x, x, x, x}, t = (xv - sc->m) * sc->id;
    t = rtn_self(t < sc->lo, sc->lo, t);
    t = rtn_self(t > sc->hi, sc->hi, t);
    rtn_v4i i = __builtin_convertvector(t + sc->off, rtn_v4i) - sc->zero;
    return xv - (__builtin_convertvector(i, rtn_v4f) * sc->d + sc->m);
}

/* err[c] = the error of candidate c < nc summed in float (INFINITY for d = 0):
 * each term is within a few float roundings of the exact one */
static void rtn_screen(const lmcc_quant_fmt *f, const rtn_blk *b, int n, const lmcc_quant_params *cand, int nc, float *err,
                       int weighted) {
    const float lo = (float)-f->zero, hi = (float)(f->nlev - 1 - f->zero), off = (float)f->zero + 0.5f;
    rtn_screen_c sc = {.lo = {lo, lo, lo, lo}, .hi = {hi, hi, hi, hi}, .off = {off, off, off, off},
                       .zero = {f->zero, f->zero, f->zero, f->zero}};
    for (int c0 = 0; c0 < nc; c0 += 4) {
        float d[4], m[4], id[4];
        for (int l = 0; l < 4; l++) {
            int c = c0 + l < nc ? c0 + l : c0; /* a spare lane repeats the first */
            d[l] = cand[c].d, m[l] = cand[c].m, id[l] = cand[c].d != 0 ? 1.0f / cand[c].d : 0.0f;
        }
        memcpy(&sc.d, d, sizeof d), memcpy(&sc.m, m, sizeof m), memcpy(&sc.id, id, sizeof id);
        rtn_v4f a = {0, 0, 0, 0}, a1 = {0, 0, 0, 0}; /* even and odd j: two dependency chains */
        int j = 0;
        if (weighted)
            for (; j < n; j++) {
                rtn_v4f dd = rtn_screen_term(&sc, b->x[j]);
                a += b->w[j] * dd * dd;
            }
        for (; j + 2 <= n; j += 2) {
            rtn_v4f d0 = rtn_screen_term(&sc, b->x[j]), d1 = rtn_screen_term(&sc, b->x[j + 1]);
            a += d0 * d0, a1 += d1 * d1;
        }
        if (j < n) {
            rtn_v4f dd = rtn_screen_term(&sc, b->x[j]);
            a += dd * dd;
        }
        a += a1;
        for (int l = 0; l < 4 && c0 + l < nc; l++) err[c0 + l] = cand[c0 + l].d != 0 ? a[l] : INFINITY;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RTN_HAVE_AVX2 1
#define RTN_AVX2 __attribute__((target("avx2"))) /* no "fma": no contraction either */

/* rtn_screen_term for eight candidates */
RTN_AVX2 static inline __m256 rtn_term8(float x, __m256 d, __m256 m, __m256 id, __m256 lo, __m256 hi, __m256 off,
                                        __m256 zero) {
    __m256 xv = _mm256_set1_ps(x), t = _mm256_mul_ps(_mm256_sub_ps(xv, m), id);
    t = _mm256_add_ps(_mm256_min_ps(_mm256_max_ps(t, lo), hi), off);
    __m256 l = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvttps_epi32(t)), zero);
    return _mm256_sub_ps(xv, _mm256_add_ps(_mm256_mul_ps(l, d), m));
}

/* rtn_screen eight candidates at a time: every lane does rtn_screen's float
 * operations in its order, so the sums are the same to the bit */
RTN_AVX2 static void rtn_screen_avx2(const lmcc_quant_fmt *f, const rtn_blk *b, int n,
                                                             const lmcc_quant_params *cand, int nc, float *err,
                                                             int weighted) {
    const __m256 lo = _mm256_set1_ps((float)-f->zero), hi = _mm256_set1_ps((float)(f->nlev - 1 - f->zero));
    const __m256 off = _mm256_set1_ps((float)f->zero + 0.5f), zero = _mm256_set1_ps((float)f->zero);
    for (int c0 = 0; c0 < nc; c0 += 8) {
        float d[8], m[8], id[8], e[8];
        for (int l = 0; l < 8; l++) {
            int c = c0 + l < nc ? c0 + l : c0;
            d[l] = cand[c].d, m[l] = cand[c].m, id[l] = cand[c].d != 0 ? 1.0f / cand[c].d : 0.0f;
        }
        const __m256 dv = _mm256_loadu_ps(d), mv = _mm256_loadu_ps(m), idv = _mm256_loadu_ps(id);
        __m256 a = _mm256_setzero_ps(), a1 = a;
        int j = 0;
        if (weighted)
            for (; j < n; j++) {
                __m256 dd = rtn_term8(b->x[j], dv, mv, idv, lo, hi, off, zero);
                a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(b->w[j]), dd), dd));
            }
        for (; j + 2 <= n; j += 2) {
            __m256 d0 = rtn_term8(b->x[j], dv, mv, idv, lo, hi, off, zero);
            __m256 d1 = rtn_term8(b->x[j + 1], dv, mv, idv, lo, hi, off, zero);
            a = _mm256_add_ps(a, _mm256_mul_ps(d0, d0)), a1 = _mm256_add_ps(a1, _mm256_mul_ps(d1, d1));
        }
        if (j < n) {
            __m256 dd = rtn_term8(b->x[j], dv, mv, idv, lo, hi, off, zero);
            a = _mm256_add_ps(a, _mm256_mul_ps(dd, dd));
        }
        _mm256_storeu_ps(e, _mm256_add_ps(a, a1));
        for (int l = 0; l < 8 && c0 + l < nc; l++) err[c0 + l] = cand[c0 + l].d != 0 ? e[l] : INFINITY;
    }
}
#endif

/* least squares d (and m) for the levels of the best candidate, then f16 */
static lmcc_quant_params rtn_refit_lev(const lmcc_quant_fmt *f, lmcc_quant_params p, const rtn_blk *b, const float *lev) {
    double sw = 0, sl = 0, sll = 0, sx = 0, slx = 0;
    for (int j = 0; j < b->n4; j++) {
        double w = b->w[j], l = lev[j], x = b->x[j];
        sw += w, sl += w * l, sll += w * l * l, sx += w * x, slx += w * l * x;
    }
    return rtn_solve(f, p, sw, sl, sll, sx, slx);
}

/* the scale (and min) of candidate (fam, s) of the grid */
static lmcc_quant_params rtn_candidate(const lmcc_quant_fmt *f, int fam, double r, float mn, float mx, float amax, float smax) {
    lmcc_quant_params p = {0, 0};
    if (f->asym) {
        /* shrink the range from both ends (fam 0) or toward the larger end (fam 1) */
        double lo = mn, hi = mx, span = (mx - mn) * (1 - r);
        if (fam == 0) lo += span / 2, hi -= span / 2;
        else if (-mn > mx) lo += span; else hi -= span;
        p.d = rtn_f16((float)((hi - lo) / (f->nlev - 1)));
        p.m = rtn_f16((float)lo);
    } else {
        /* the extreme on the long side of the codebook (fam 0: -8, ggml's rule) or the short one */
        float lmin = rtn_lev(f, 0), lmax = rtn_lev(f, f->nlev - 1);
        p.d = rtn_f16((float)(smax / (fam == 0 ? lmin : lmax) * r));
        if (f->nf4 && fam == 0) p.d = rtn_f16((float)(amax * r)); /* nf4: +1 and -1 both exist */
    }
    return p;
}

/* the scalar search: NF4, non-finite values, blocks over RTN_MAXG */
static lmcc_quant_params rtn_fit_scalar(const lmcc_quant_fmt *f, const float *x, const float *imp, int n, float mn, float mx,
                                   float amax, float smax) {
    lmcc_quant_params best = {0, 0};
    double best_e = INFINITY;
    int steps = f->nlev > 16 ? 8 : 20;
    double step = f->nlev > 16 ? 0.01 : 0.025;
    for (int fam = 0; fam < 2; fam++)
        for (int s = 0; s < steps; s++) {
            lmcc_quant_params p = rtn_candidate(f, fam, 1.0 - step * s, mn, mx, amax, smax);
            if (p.d == 0) continue;
            double e = rtn_err(f, p, x, imp, n);
            if (e < best_e) best_e = e, best = p;
        }
    for (int it = 0; it < 2; it++) {
        lmcc_quant_params p = rtn_refit(f, best, x, imp, n);
        double e = p.d != 0 ? rtn_err(f, p, x, imp, n) : INFINITY;
        if (!(e < best_e)) break;
        best_e = e, best = p;
    }
    return best;
}

lmcc_quant_params lmcc_quant_block_fit(const lmcc_quant_fmt *f, const float *x, const float *imp, int n) {
    lmcc_quant_params best = {0, 0};
    if (n <= 0) return best;
    float mn = x[0], mx = x[0], amax = 0, smax = 0;
    int finite = 1;
    for (int j = 0; j < n; j++) {
        mn = x[j] < mn ? x[j] : mn;
        mx = x[j] > mx ? x[j] : mx;
        if (fabsf(x[j]) > amax) amax = fabsf(x[j]), smax = x[j];
        finite &= x[j] - x[j] == 0;
    }
    if (amax == 0 || amax != amax) return best;
    /* the vector code wants finite t = (x - m) / d for every candidate: finite
     * f16 d and m (|x| < 3e4; d >= 2^-24 anyway) */
    if (f->nf4 || !finite || !(amax < 3e4f) || n > RTN_MAXG) return rtn_fit_scalar(f, x, imp, n, mn, mx, amax, smax);
    rtn_blk b;
    b.n4 = (n + 3) & ~3, b.cur = 0;
    for (int j = 0; j < b.n4; j++) {
        b.x[j] = j < n ? x[j] : 0.0f;
        b.w[j] = j < n ? (imp ? imp[j] : 1.0f) : 0.0f;
        b.xd[j] = b.x[j], b.wd[j] = b.w[j];
    }
    /* padding decodes to m: it needs its zero weight when m can be nonzero */
    int weighted = imp != NULL || (f->asym && b.n4 != n);
    int steps = f->nlev > 16 ? 8 : 20, nc = 0;
    double step = f->nlev > 16 ? 0.01 : 0.025;
    lmcc_quant_params cand[RTN_MAXC];
    float ferr[RTN_MAXC], fmin = INFINITY;
    for (int fam = 0; fam < 2; fam++)
        for (int s = 0; s < steps; s++) cand[nc++] = rtn_candidate(f, fam, 1.0 - step * s, mn, mx, amax, smax);
#ifdef RTN_HAVE_AVX2
    if (f->simd && __builtin_cpu_supports("avx2")) rtn_screen_avx2(f, &b, n, cand, nc, ferr, weighted);
    else
#endif
        rtn_screen(f, &b, n, cand, nc, ferr, weighted);
    for (int c = 0; c < nc; c++) fmin = ferr[c] < fmin ? ferr[c] : fmin;
    /* float sums of n <= 256 terms are within 2e-5 of the exact ones: the
     * exact minimum is among the candidates within 1e-4 of the float one */
    float cut = fmin + fmin * 1e-4f + 1e-30f;
    double best_e = INFINITY;
    for (int c = 0; c < nc; c++) {
        if (cand[c].d == 0 || !(ferr[c] <= cut || fmin == INFINITY)) continue;
        double e = rtn_err_uniform(f, &b, cand[c], best_e, weighted);
        if (e < best_e) best_e = e, best = cand[c], b.cur ^= 1; /* its levels become the best's */
    }
    for (int it = 0; it < 2 && best.d != 0; it++) {
        lmcc_quant_params p = rtn_refit_lev(f, best, &b, b.lev[b.cur ^ 1]);
        double e = p.d != 0 ? rtn_err_uniform(f, &b, p, best_e, weighted) : INFINITY;
        if (!(e < best_e)) break;
        best_e = e, best = p, b.cur ^= 1;
    }
    return best;
}

void lmcc_quant_block_pack(const lmcc_quant_fmt *f, lmcc_quant_params p, const int *q, int n, uint8_t *dst) {
    uint16_t h = lmrt_f32_to_f16(p.d);
    dst[0] = (uint8_t)(h & 0xff), dst[1] = (uint8_t)(h >> 8);
    int G = f->group, off = 2;
    if (f->asym) {
        h = lmrt_f32_to_f16(p.m);
        dst[2] = (uint8_t)(h & 0xff), dst[3] = (uint8_t)(h >> 8);
        off = 4;
    }
    int qb_type = ir_dtype_lmrt_type(f->dt);
    if (lmrt_qbg_bits(qb_type)) { /* q3/q5/q6 groups of 64: the runtime's layout */
        int a[64];
        for (int j = 0; j < 64; j++) a[j] = j < n ? q[j] : f->zero;
        lmrt_store_qbg_codes_(dst + off, qb_type, a);
        return;
    }
    if (f->nlev == 32) { /* q5_0 / q5_1 (G = 32): the runtime's layout */
        int a[32];
        for (int j = 0; j < 32; j++) a[j] = j < n ? q[j] : f->zero;
        lmrt_store_q5_codes_(dst + off, a);
        return;
    }
    if (f->nlev > 16) {
        for (int j = 0; j < G; j++) dst[off + j] = (uint8_t)(int8_t)(j < n ? q[j] - f->zero : 0);
        return;
    }
    /* low nibbles: the first half of the block, high nibbles: the second */
    for (int j = 0; j < G / 2; j++) {
        int a = j < n ? q[j] : f->zero, b = j + G / 2 < n ? q[j + G / 2] : f->zero;
        dst[off + j] = (uint8_t)(a | (b << 4));
    }
}

void lmcc_quant_rtn_row(const lmcc_quant_fmt *f, const float *x, const float *imp, int64_t k, uint8_t *dst) {
    int q[256];
    for (int64_t i = 0; i < k; i += f->group, dst += f->block_bytes) {
        int n = k - i < f->group ? (int)(k - i) : f->group;
        lmcc_quant_params p = lmcc_quant_block_fit(f, x + i, imp ? imp + i : NULL, n);
        for (int j = 0; j < n; j++) q[j] = lmcc_quant_block_code(f, p, x[i + j]);
        lmcc_quant_block_pack(f, p, q, n, dst);
    }
}
