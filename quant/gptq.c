/* gptq.c - GPTQ (Frantar et al. 2022): quantize one column at a time
 * and push its error onto the columns not yet quantized through the upper
 * Cholesky factor of the inverse Hessian; group scales are fitted when the
 * quantization reaches a group, on the already-updated weights.
 * Speed (a 1.1B model must quantize in minutes): the factor and inverse are
 * blocked so the big k^3 parts run as small matrix products from cache, the
 * column updates are batched (lazy updates, one product per column block),
 * and rows are split across two threads. GNU vector types (gcc and clang)
 * give SIMD at -O2 without -march; on x86-64 the matrix kernels also come
 * in AVX2 + FMA, per-function targets chosen at run time (f->simd). Each
 * output element is computed the same way whatever its thread or tile, so
 * the result does not depend on the thread count; it does (in the last
 * bits) on the kernels. */
#include "quant.h"
#include "lmrt_quant.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define GPTQ_TILE 24   /* rows sharing one pass over the factor (a multiple of 4 and 6) */
#define GPTQ_BLOCK 128 /* columns per lazy batch */
#define GPTQ_FB 32     /* factor column block */
#define GPTQ_IB 64     /* inverse: columns solved together */
#define GPTQ_PCHUNK 1024 /* factor: columns per product chunk */
#define GPTQ_THREADS 2

typedef double gptq_v2d __attribute__((vector_size(16)));
typedef float gptq_v4f __attribute__((vector_size(16)));

static inline gptq_v2d gptq_ld2(const double *p) { gptq_v2d v; memcpy(&v, p, sizeof v); return v; }
static inline gptq_v4f gptq_ld4(const float *p) { gptq_v4f v; memcpy(&v, p, sizeof v); return v; }
static inline void gptq_st4(float *p, gptq_v4f v) { memcpy(p, &v, sizeof v); }

static double gptq_dot(const double *restrict a, const double *restrict b, int64_t n) {
    gptq_v2d s0 = {0, 0}, s1 = {0, 0};
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) s0 += gptq_ld2(a + j) * gptq_ld2(b + j), s1 += gptq_ld2(a + j + 2) * gptq_ld2(b + j + 2);
    s0 += s1;
    double s = s0[0] + s0[1];
    for (; j < n; j++) s += a[j] * b[j];
    return s;
}

/* out[q] = a . b[q*ld ...], q < 4: a is loaded once for four dots */
static void gptq_dot4(const double *restrict a, const double *restrict b, int64_t ld, int64_t n, double *out) {
    gptq_v2d s0 = {0, 0}, s1 = {0, 0}, s2 = {0, 0}, s3 = {0, 0};
    const double *b0 = b, *b1 = b + ld, *b2 = b + 2 * ld, *b3 = b + 3 * ld;
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) {
        gptq_v2d x = gptq_ld2(a + j);
        s0 += x * gptq_ld2(b0 + j), s1 += x * gptq_ld2(b1 + j), s2 += x * gptq_ld2(b2 + j), s3 += x * gptq_ld2(b3 + j);
    }
    out[0] = s0[0] + s0[1], out[1] = s1[0] + s1[1], out[2] = s2[0] + s2[1], out[3] = s3[0] + s3[1];
    for (; j < n; j++) out[0] += a[j] * b0[j], out[1] += a[j] * b1[j], out[2] += a[j] * b2[j], out[3] += a[j] * b3[j];
}

/* o[p*4 + q] = a[p*lda ...] . b[q*ldb ...], p < 3, q < 4: twelve dots from
 * seven streams, the accumulators filling the sixteen vector registers */
static void gptq_dot3x4(const double *restrict a, int64_t lda, const double *restrict b, int64_t ldb, int64_t n,
                        double *o) {
    gptq_v2d s0 = {0, 0}, s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0, u0 = s0, u1 = s0, u2 = s0,
             u3 = s0;
    const double *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda;
    const double *b0 = b, *b1 = b + ldb, *b2 = b + 2 * ldb, *b3 = b + 3 * ldb;
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) {
        gptq_v2d x = gptq_ld2(a0 + j), y = gptq_ld2(a1 + j), z = gptq_ld2(a2 + j), v;
        v = gptq_ld2(b0 + j), s0 += x * v, t0 += y * v, u0 += z * v;
        v = gptq_ld2(b1 + j), s1 += x * v, t1 += y * v, u1 += z * v;
        v = gptq_ld2(b2 + j), s2 += x * v, t2 += y * v, u2 += z * v;
        v = gptq_ld2(b3 + j), s3 += x * v, t3 += y * v, u3 += z * v;
    }
    o[0] = s0[0] + s0[1], o[1] = s1[0] + s1[1], o[2] = s2[0] + s2[1], o[3] = s3[0] + s3[1];
    o[4] = t0[0] + t0[1], o[5] = t1[0] + t1[1], o[6] = t2[0] + t2[1], o[7] = t3[0] + t3[1];
    o[8] = u0[0] + u0[1], o[9] = u1[0] + u1[1], o[10] = u2[0] + u2[1], o[11] = u3[0] + u3[1];
    for (; j < n; j++)
        for (int p = 0; p < 3; p++)
            for (int q = 0; q < 4; q++) o[p * 4 + q] += a[p * lda + j] * b[q * ldb + j];
}

/* the matrix kernels, generic or AVX2 (gptq_kernels below) */
typedef struct gptq_kern {
    void (*dot4)(const double *, const double *, int64_t, int64_t, double *);
    void (*dot3x4)(const double *, int64_t, const double *, int64_t, int64_t, double *);
    void (*lazy)(float *, int64_t, const float *, int, int, const float *, int64_t, int, int64_t);
} gptq_kern;

/* ---- x86-64: the same kernels with AVX2 + FMA, chosen at run time ---------
 * (per-function target attributes, so the rest of lmcc keeps its baseline
 * ISA; results differ from the generic kernels' in the last bits only) */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GPTQ_HAVE_AVX2 1
#include <immintrin.h>
#define GPTQ_AVX2 __attribute__((target("avx2,fma")))
#define GPTQ_HSUM4(v, out)                                                   \
    do {                                                                     \
        double t_[4];                                                        \
        _mm256_storeu_pd(t_, v);                                             \
        (out) = (t_[0] + t_[1]) + (t_[2] + t_[3]);                           \
    } while (0)

GPTQ_AVX2 static void gptq_dot4_avx2(const double *restrict a, const double *restrict b, int64_t ld, int64_t n,
                                     double *out) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    const double *b0 = b, *b1 = b + ld, *b2 = b + 2 * ld, *b3 = b + 3 * ld;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d x = _mm256_loadu_pd(a + j);
        s0 = _mm256_fmadd_pd(x, _mm256_loadu_pd(b0 + j), s0), s1 = _mm256_fmadd_pd(x, _mm256_loadu_pd(b1 + j), s1);
        s2 = _mm256_fmadd_pd(x, _mm256_loadu_pd(b2 + j), s2), s3 = _mm256_fmadd_pd(x, _mm256_loadu_pd(b3 + j), s3);
    }
    GPTQ_HSUM4(s0, out[0]); GPTQ_HSUM4(s1, out[1]); GPTQ_HSUM4(s2, out[2]); GPTQ_HSUM4(s3, out[3]);
    for (; j < n; j++) out[0] += a[j] * b0[j], out[1] += a[j] * b1[j], out[2] += a[j] * b2[j], out[3] += a[j] * b3[j];
}

GPTQ_AVX2 static void gptq_dot3x4_avx2(const double *restrict a, int64_t lda, const double *restrict b, int64_t ldb,
                                       int64_t n, double *o) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0, u0 = s0, u1 = s0,
            u2 = s0, u3 = s0;
    const double *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda;
    const double *b0 = b, *b1 = b + ldb, *b2 = b + 2 * ldb, *b3 = b + 3 * ldb;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d x = _mm256_loadu_pd(a0 + j), y = _mm256_loadu_pd(a1 + j), z = _mm256_loadu_pd(a2 + j), v;
        v = _mm256_loadu_pd(b0 + j);
        s0 = _mm256_fmadd_pd(x, v, s0), t0 = _mm256_fmadd_pd(y, v, t0), u0 = _mm256_fmadd_pd(z, v, u0);
        v = _mm256_loadu_pd(b1 + j);
        s1 = _mm256_fmadd_pd(x, v, s1), t1 = _mm256_fmadd_pd(y, v, t1), u1 = _mm256_fmadd_pd(z, v, u1);
        v = _mm256_loadu_pd(b2 + j);
        s2 = _mm256_fmadd_pd(x, v, s2), t2 = _mm256_fmadd_pd(y, v, t2), u2 = _mm256_fmadd_pd(z, v, u2);
        v = _mm256_loadu_pd(b3 + j);
        s3 = _mm256_fmadd_pd(x, v, s3), t3 = _mm256_fmadd_pd(y, v, t3), u3 = _mm256_fmadd_pd(z, v, u3);
    }
    GPTQ_HSUM4(s0, o[0]); GPTQ_HSUM4(s1, o[1]); GPTQ_HSUM4(s2, o[2]); GPTQ_HSUM4(s3, o[3]);
    GPTQ_HSUM4(t0, o[4]); GPTQ_HSUM4(t1, o[5]); GPTQ_HSUM4(t2, o[6]); GPTQ_HSUM4(t3, o[7]);
    GPTQ_HSUM4(u0, o[8]); GPTQ_HSUM4(u1, o[9]); GPTQ_HSUM4(u2, o[10]); GPTQ_HSUM4(u3, o[11]);
    for (; j < n; j++)
        for (int p = 0; p < 3; p++)
            for (int q = 0; q < 4; q++) o[p * 4 + q] += a[p * lda + j] * b[q * ldb + j];
}
#endif

/* fn(arg, t, nt) for t < nt, on GPTQ_THREADS threads (on this one if threads fail) */
typedef struct gptq_task { void (*fn)(void *, int, int); void *arg; int t, nt; } gptq_task;

static void *gptq_task_run(void *p) {
    gptq_task *tk = p;
    tk->fn(tk->arg, tk->t, tk->nt);
    return NULL;
}

static void gptq_par(void (*fn)(void *, int, int), void *arg) {
    gptq_task tk[GPTQ_THREADS];
    pthread_t tid[GPTQ_THREADS];
    int started[GPTQ_THREADS] = {0};
    for (int t = 0; t < GPTQ_THREADS; t++) {
        tk[t] = (gptq_task){fn, arg, t, GPTQ_THREADS};
        if (t > 0) started[t] = pthread_create(&tid[t], NULL, gptq_task_run, &tk[t]) == 0;
    }
    gptq_task_run(&tk[0]);
    for (int t = 1; t < GPTQ_THREADS; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else gptq_task_run(&tk[t]);
    }
}

typedef struct gptq_fac { double *h; int64_t k, c0, c1; const gptq_kern *kn; } gptq_fac;

/* rows r < c1 (split by t): subtract the final columns >= c1 from block
 * [c0, c1), in chunks of columns so the block's rows stay in L2 */
static void gptq_factor_gemm(void *arg, int t, int nt) {
    gptq_fac *fc = arg;
    double *h = fc->h, d[4];
    int64_t k = fc->k, c0 = fc->c0, c1 = fc->c1;
    for (int64_t p0 = c1; p0 < k; p0 += GPTQ_PCHUNK) {
        int64_t n = k - p0 < GPTQ_PCHUNK ? k - p0 : GPTQ_PCHUNK;
        int64_t r = t;
        for (; r + 2 * nt < c0; r += 3 * nt) { /* three rows at once while all start at c0 */
            double *ra = h + r * k, o[12];
            int64_t i = c0;
            for (; i + 4 <= c1; i += 4) {
                fc->kn->dot3x4(ra + p0, nt * k, h + i * k + p0, k, n, o);
                for (int p = 0; p < 3; p++)
                    for (int q = 0; q < 4; q++) ra[p * nt * k + i + q] -= o[p * 4 + q];
            }
            for (; i < c1; i++)
                for (int p = 0; p < 3; p++) ra[p * nt * k + i] -= gptq_dot(ra + p * nt * k + p0, h + i * k + p0, n);
        }
        for (; r < c1; r += nt) {
            double *rr = h + r * k;
            int64_t i = r > c0 ? r : c0;
            for (; i + 4 <= c1; i += 4) {
                fc->kn->dot4(rr + p0, h + i * k + p0, k, n, d);
                rr[i] -= d[0], rr[i + 1] -= d[1], rr[i + 2] -= d[2], rr[i + 3] -= d[3];
            }
            for (; i < c1; i++) rr[i] -= gptq_dot(rr + p0, h + i * k + p0, n);
        }
    }
}

/* rows r < c0 (split by t): their part of block [c0, c1), once its diagonal is done */
static void gptq_factor_above(void *arg, int t, int nt) {
    gptq_fac *fc = arg;
    double *h = fc->h;
    int64_t k = fc->k, c0 = fc->c0, c1 = fc->c1;
    for (int64_t r = t; r < c0; r += nt) {
        double *rr = h + r * k;
        for (int64_t i = c1 - 1; i >= c0; i--)
            rr[i] = (rr[i] - gptq_dot(rr + i + 1, h + i * k + i + 1, c1 - i - 1)) / h[i * k + i];
    }
}

/* H = R R^T with R upper (a Cholesky in reversed order), in the upper
 * triangle of h; column blocks from the right, so columns >= c1 are final
 * and their contribution to the block is one product. */
static int gptq_factor(double *h, int64_t k, const gptq_kern *kn) {
    gptq_fac fc = {h, k, 0, 0, kn};
    for (int64_t c1 = k; c1 > 0; c1 -= GPTQ_FB) {
        int64_t c0 = c1 - GPTQ_FB > 0 ? c1 - GPTQ_FB : 0;
        fc.c0 = c0, fc.c1 = c1;
        if (c1 < k) gptq_par(gptq_factor_gemm, &fc);
        for (int64_t i = c1 - 1; i >= c0; i--) {
            double *ri = h + i * k;
            double s = ri[i] - gptq_dot(ri + i + 1, ri + i + 1, c1 - i - 1);
            if (!(s > 0)) return -1;
            ri[i] = sqrt(s);
            for (int64_t r = c0; r < i; r++) {
                double *rr = h + r * k;
                rr[i] = (rr[i] - gptq_dot(rr + i + 1, ri + i + 1, c1 - i - 1)) / ri[i];
            }
        }
        if (c0 > 0) gptq_par(gptq_factor_above, &fc);
    }
    return 0;
}

typedef struct gptq_inv { const double *h; int64_t k; float *u; const gptq_kern *kn; int rc[GPTQ_THREADS]; } gptq_inv;

/* columns of U = R^-1 by back substitution, GPTQ_IB at a time so each row
 * of R is read once per group; groups dealt round robin over threads */
static void gptq_inv_cols(void *arg, int t, int nt) {
    gptq_inv *iv = arg;
    const double *h = iv->h;
    int64_t k = iv->k;
    double *ut = malloc((size_t)(GPTQ_IB + 3) * (size_t)k * sizeof *ut), d[4];
    if (!ut) { iv->rc[t] = -2; return; }
    for (int64_t j0 = (int64_t)t * GPTQ_IB; j0 < k; j0 += (int64_t)nt * GPTQ_IB) {
        int64_t nj = k - j0 < GPTQ_IB ? k - j0 : GPTQ_IB, j1 = j0 + nj;
        /* ut[c*k + i] = U[i][j0 + c]; zero below the diagonal and past it, so dots may run long */
        memset(ut, 0, (size_t)(nj + 3) * (size_t)k * sizeof *ut);
        int64_t i = j1 - 1;
        /* four rows of U at once: one pass over the columns for rows i-3..i
         * beyond i, then the small triangle between them */
        for (; i >= 3; i -= 4) {
            int64_t c = i - 3 - j0 > 0 ? i - 3 - j0 : 0, len = j1 - 1 - i;
            for (; c < nj; c += 3) {
                double o[12];
                iv->kn->dot3x4(ut + c * k + i + 1, k, h + (i - 3) * k + i + 1, k, len, o);
                for (int p = 0; p < 3 && c + p < nj; p++) {
                    double *col = ut + (c + p) * k;
                    for (int q = 0; q < 4; q++) {
                        int64_t row = i - q;
                        const double *rr = h + row * k;
                        double v = (row == j0 + c + p ? 1.0 : 0.0) - o[p * 4 + 3 - q];
                        for (int64_t l = row + 1; l <= i; l++) v -= rr[l] * col[l];
                        col[row] = v / rr[row];
                    }
                }
            }
        }
        for (; i >= 0; i--) {
            const double *ri = h + i * k;
            int64_t c = i > j0 ? i - j0 : 0, len = j1 - 1 - i;
            if (i >= j0) { ut[c * k + i] = 1.0 / ri[i]; c++; }
            for (; c < nj; c += 4) {
                iv->kn->dot4(ri + i + 1, ut + c * k + i + 1, k, len, d);
                for (int q = 0; q < 4 && c + q < nj; q++) ut[(c + q) * k + i] = -d[q] / ri[i];
            }
        }
        for (int64_t r = 0; r < k; r++)
            for (int64_t c = 0; c < nj; c++) iv->u[r * k + j0 + c] = (float)ut[c * k + r];
    }
    free(ut);
}

/* U upper with U^T U = H^-1, as U = R^-1 where H = R R^T (h is overwritten) */
static int gptq_inv_factor(double *h, int64_t k, float *u, const gptq_kern *kn) {
    if (gptq_factor(h, k, kn)) return -1;
    gptq_inv iv = {h, k, u, kn, {0}};
    gptq_par(gptq_inv_cols, &iv);
    int rc = 0;
    for (int t = 0; t < GPTQ_THREADS; t++) rc |= iv.rc[t];
    return rc;
}

/* what the blocked kernels below leave of the update: columns >= j0 of
 * rows < nr4, every column of rows >= nr4 */
static void gptq_lazy_tail(float *w, int64_t ldw, const float *e, int ne, int nr, int nr4, const float *u,
                           int64_t ldu, int nc, int64_t j0, int64_t n) {
    for (int r = 0; r < nr; r++)
        for (int64_t jj = r < nr4 ? j0 : 0; jj < n; jj++) {
            float s = 0;
            for (int c = 0; c < nc; c++) s += e[r * ne + c] * u[c * ldu + jj];
            w[r * ldw + jj] -= s;
        }
}

/* w[r][0..n) -= sum_c e[r][c] u[c][0..n), r < nr, c < nc: four rows by
 * eight columns in registers; columns outermost so the slice of u is read
 * from L1 by every row */
static void gptq_lazy_update(float *w, int64_t ldw, const float *e, int ne, int nr, const float *u, int64_t ldu,
                             int nc, int64_t n) {
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int r = 0; r + 4 <= nr; r += 4) {
            float *w0 = w + r * ldw + j, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
            const float *e0 = e + r * ne, *e1 = e0 + ne, *e2 = e1 + ne, *e3 = e2 + ne;
            gptq_v4f a0 = {0}, b0 = {0}, a1 = {0}, b1 = {0}, a2 = {0}, b2 = {0}, a3 = {0}, b3 = {0};
            for (int c = 0; c < nc; c++) {
                gptq_v4f x = gptq_ld4(u + c * ldu + j), y = gptq_ld4(u + c * ldu + j + 4);
                a0 += e0[c] * x, b0 += e0[c] * y, a1 += e1[c] * x, b1 += e1[c] * y;
                a2 += e2[c] * x, b2 += e2[c] * y, a3 += e3[c] * x, b3 += e3[c] * y;
            }
            gptq_st4(w0, gptq_ld4(w0) - a0), gptq_st4(w0 + 4, gptq_ld4(w0 + 4) - b0);
            gptq_st4(w1, gptq_ld4(w1) - a1), gptq_st4(w1 + 4, gptq_ld4(w1 + 4) - b1);
            gptq_st4(w2, gptq_ld4(w2) - a2), gptq_st4(w2 + 4, gptq_ld4(w2 + 4) - b2);
            gptq_st4(w3, gptq_ld4(w3) - a3), gptq_st4(w3 + 4, gptq_ld4(w3 + 4) - b3);
        }
    gptq_lazy_tail(w, ldw, e, ne, nr, nr / 4 * 4, u, ldu, nc, j, n);
}

#ifdef GPTQ_HAVE_AVX2
/* the same with six rows by sixteen columns (twelve accumulators), then
 * single rows */
GPTQ_AVX2 static void gptq_lazy_update_avx2(float *w, int64_t ldw, const float *e, int ne, int nr, const float *u,
                                            int64_t ldu, int nc, int64_t n) {
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
        int r = 0;
        for (; r + 6 <= nr; r += 6) {
            const float *e0 = e + r * ne;
            __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0, a4 = a0,
                   b4 = a0, a5 = a0, b5 = a0;
            for (int c = 0; c < nc; c++) {
                __m256 x = _mm256_loadu_ps(u + c * ldu + j), y = _mm256_loadu_ps(u + c * ldu + j + 8), v;
                v = _mm256_broadcast_ss(e0 + c), a0 = _mm256_fmadd_ps(v, x, a0), b0 = _mm256_fmadd_ps(v, y, b0);
                v = _mm256_broadcast_ss(e0 + ne + c), a1 = _mm256_fmadd_ps(v, x, a1), b1 = _mm256_fmadd_ps(v, y, b1);
                v = _mm256_broadcast_ss(e0 + 2 * ne + c), a2 = _mm256_fmadd_ps(v, x, a2), b2 = _mm256_fmadd_ps(v, y, b2);
                v = _mm256_broadcast_ss(e0 + 3 * ne + c), a3 = _mm256_fmadd_ps(v, x, a3), b3 = _mm256_fmadd_ps(v, y, b3);
                v = _mm256_broadcast_ss(e0 + 4 * ne + c), a4 = _mm256_fmadd_ps(v, x, a4), b4 = _mm256_fmadd_ps(v, y, b4);
                v = _mm256_broadcast_ss(e0 + 5 * ne + c), a5 = _mm256_fmadd_ps(v, x, a5), b5 = _mm256_fmadd_ps(v, y, b5);
            }
            float *w0 = w + r * ldw + j;
#define GPTQ_SUB16(q, a, b)                                                                  \
    _mm256_storeu_ps(w0 + (q) * ldw, _mm256_sub_ps(_mm256_loadu_ps(w0 + (q) * ldw), a)), \
        _mm256_storeu_ps(w0 + (q) * ldw + 8, _mm256_sub_ps(_mm256_loadu_ps(w0 + (q) * ldw + 8), b))
            GPTQ_SUB16(0, a0, b0), GPTQ_SUB16(1, a1, b1), GPTQ_SUB16(2, a2, b2);
            GPTQ_SUB16(3, a3, b3), GPTQ_SUB16(4, a4, b4), GPTQ_SUB16(5, a5, b5);
        }
        for (; r < nr; r++) {
            const float *e0 = e + r * ne;
            __m256 a0 = _mm256_setzero_ps(), b0 = a0;
            for (int c = 0; c < nc; c++) {
                __m256 v = _mm256_broadcast_ss(e0 + c);
                a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(u + c * ldu + j), a0);
                b0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(u + c * ldu + j + 8), b0);
            }
            float *w0 = w + r * ldw + j;
            GPTQ_SUB16(0, a0, b0);
#undef GPTQ_SUB16
        }
    }
    gptq_lazy_tail(w, ldw, e, ne, nr, nr, u, ldu, nc, j, n);
}
#endif

/* the kernels in use: the generic ones, or AVX2 + FMA where f->simd allows
 * and the CPU has them */
static gptq_kern gptq_kernels(const lmcc_quant_fmt *f) {
    gptq_kern kn = {gptq_dot4, gptq_dot3x4, gptq_lazy_update};
    (void)f;
#ifdef GPTQ_HAVE_AVX2
    __builtin_cpu_init();
    if (f->simd && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        kn = (gptq_kern){gptq_dot4_avx2, gptq_dot3x4_avx2, gptq_lazy_update_avx2};
#endif
    return kn;
}

static void gptq_axpy(float *restrict y, const float *restrict x, float a, int64_t n) {
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) gptq_st4(y + j, gptq_ld4(y + j) - a * gptq_ld4(x + j));
    for (; j < n; j++) y[j] -= a * x[j];
}

typedef struct gptq_job {
    const lmcc_quant_fmt *f;
    const double *h; /* the damped Hessian, for the refinement (NULL: none) */
    const float *w, *u;
    const unsigned char *dead;
    const gptq_kern *kn;
    int64_t r0, r1, k;
    uint8_t *dst;
    int rc;
} gptq_job;

/* After GPTQ: the row's own objective (w - v)^T H (w - v) lowered further by coordinate descent,
 * each element moved to a neighbouring code when that lowers it (the exact change, every other
 * element held), then each symmetric group's scale re-solved for its codes (rounded to f16, kept
 * only when lower), f->refine times.  GPTQ fixes each column once, seeing only the columns after
 * it; this sees all of them.  On stories260K (8 seeds) one round lowered KL 0..10% (q5_0 most), a
 * second did not.  A round costs ~3 k^2 flops per row (plain loops): skipped on 1B-class matrices. */
#define GPTQ_REFINE_MAX 4e9
static void gptq_refine_row(const lmcc_quant_fmt *f, const double *h, int64_t k, const float *w, int *q,
                            lmcc_quant_params *par, double *g, double *v) {
    int G = f->group;
    int64_t nb = (k + G - 1) / G;
    for (int64_t j = 0; j < k; j++) v[j] = lmcc_quant_block_value(f, par[j / G], q[j]);
    for (int64_t i = 0; i < k; i++) { /* g = H (v - w) */
        double s = 0;
        const double *hi = h + i * k;
        for (int64_t j = 0; j < k; j++) s += hi[j] * (v[j] - (double)w[j]);
        g[i] = s;
    }
    for (int round = 0; round < f->refine; round++) {
        for (int pass = 0; pass < 2; pass++)
            for (int64_t j = 0; j < k; j++) {
                const double *hj = h + j * k;
                double best = 0;
                int bq = q[j];
                for (int s = -1; s <= 1; s += 2) {
                    int c = q[j] + s;
                    if (c < 0 || c >= f->nlev) continue;
                    double dlt = (double)lmcc_quant_block_value(f, par[j / G], c) - v[j];
                    double ch = dlt * (2 * g[j] + dlt * hj[j]);
                    if (ch < best) best = ch, bq = c;
                }
                if (bq == q[j]) continue;
                double dlt = (double)lmcc_quant_block_value(f, par[j / G], bq) - v[j];
                q[j] = bq, v[j] += dlt;
                for (int64_t i = 0; i < k; i++) g[i] += dlt * hj[i];
            }
        if (f->asym) continue;
        for (int64_t b = 0; b < nb; b++) { /* scale of group b: v_j = d * lev_j there */
            int64_t j0 = b * G, j1 = j0 + G < k ? j0 + G : k;
            double ag = 0, aha = 0;
            lmcc_quant_params one = {1.0f, 0.0f};
            for (int64_t i = j0; i < j1; i++) {
                double li = lmcc_quant_block_value(f, one, q[i]);
                ag += li * g[i];
                for (int64_t j = j0; j < j1; j++) aha += li * h[i * k + j] * lmcc_quant_block_value(f, one, q[j]);
            }
            if (!(aha > 0)) continue;
            lmcc_quant_params np = par[b];
            np.d = (float)((double)par[b].d - ag / aha);
            np.d = lmrt_f16_to_f32(lmrt_f32_to_f16(np.d));
            double dd = (double)np.d - (double)par[b].d;
            if (!(dd * (2 * ag + dd * aha) < 0)) continue;
            par[b] = np;
            for (int64_t i = j0; i < j1; i++) {
                double dlt = (double)lmcc_quant_block_value(f, np, q[i]) - v[i];
                if (dlt == 0) continue;
                v[i] += dlt;
                for (int64_t r = 0; r < k; r++) g[r] += dlt * h[i * k + r];
            }
        }
    }
}

static void *gptq_rows(void *arg) {
    gptq_job *jb = arg;
    const lmcc_quant_fmt *f = jb->f;
    int64_t k = jb->k;
    const float *u = jb->u;
    int G = f->group;
    int64_t nb = (k + G - 1) / G;
    int bs = GPTQ_BLOCK > G ? GPTQ_BLOCK / G * G : G; /* a group never straddles two batches */
    size_t row_bytes = (size_t)nb * (size_t)f->block_bytes;
    float *wt = malloc((size_t)(GPTQ_TILE * k) * sizeof *wt);
    float *err = malloc((size_t)GPTQ_TILE * (size_t)bs * sizeof *err);
    int *q = malloc((size_t)(GPTQ_TILE * nb * G) * sizeof *q);
    lmcc_quant_params *par = malloc((size_t)(GPTQ_TILE * nb) * sizeof *par);
    double *rg = malloc((size_t)(2 * k) * sizeof *rg);
    jb->rc = -1;
    if (!wt || !err || !q || !par || !rg) goto out;
    for (int64_t r0 = jb->r0; r0 < jb->r1; r0 += GPTQ_TILE) {
        int nr = jb->r1 - r0 < GPTQ_TILE ? (int)(jb->r1 - r0) : GPTQ_TILE;
        memcpy(wt, jb->w + r0 * k, (size_t)(nr * k) * sizeof *wt);
        for (int r = 0; r < nr; r++)
            for (int64_t j = 0; j < k; j++)
                if (jb->dead[j]) wt[r * k + j] = 0;
        for (int64_t b0 = 0; b0 < k; b0 += bs) {
            int64_t b1 = k - b0 < bs ? k : b0 + bs;
            for (int64_t i = b0; i < b1; i++) {
                int64_t b = i / G;
                if (i % G == 0) {
                    int n = k - i < G ? (int)(k - i) : G;
                    for (int r = 0; r < nr; r++) par[r * nb + b] = lmcc_quant_block_fit(f, wt + r * k + i, NULL, n);
                }
                const float *ui = u + i * k;
                float dinv = 1.0f / ui[i];
                for (int r = 0; r < nr; r++) {
                    float *wr = wt + r * k;
                    lmcc_quant_params p = par[r * nb + b];
                    int c = lmcc_quant_block_code(f, p, wr[i]);
                    q[(int64_t)r * nb * G + i] = c;
                    float e = (wr[i] - lmcc_quant_block_value(f, p, c)) * dinv;
                    err[r * bs + (i - b0)] = e;
                    gptq_axpy(wr + i + 1, ui + i + 1, e, b1 - i - 1);
                }
            }
            if (b1 < k) jb->kn->lazy(wt + b1, k, err, bs, nr, u + b0 * k + b1, k, (int)(b1 - b0), k - b1);
        }
        if (jb->h)
            for (int r = 0; r < nr; r++) {
                memcpy(wt + r * k, jb->w + (r0 + r) * k, (size_t)k * sizeof *wt);
                for (int64_t j = 0; j < k; j++)
                    if (jb->dead[j]) wt[r * k + j] = 0;
                gptq_refine_row(f, jb->h, k, wt + r * k, q + (int64_t)r * nb * G, par + r * nb, rg, rg + k);
            }
        for (int r = 0; r < nr; r++)
            for (int64_t b = 0; b < nb; b++) {
                int n = k - b * G < G ? (int)(k - b * G) : G;
                lmcc_quant_block_pack(f, par[r * nb + b], q + (int64_t)r * nb * G + b * G, n,
                                 jb->dst + (size_t)(r0 + r) * row_bytes + (size_t)b * (size_t)f->block_bytes);
            }
    }
    jb->rc = 0;
out:
    free(wt), free(err), free(q), free(par), free(rg);
    return NULL;
}

int lmcc_quant_gptq(const lmcc_quant_fmt *f, const float *w, int64_t rows, int64_t k, const double *h, double damp,
                    uint8_t *dst) {
    double *hh = malloc((size_t)(k * k) * sizeof *hh);
    float *u = malloc((size_t)(k * k) * sizeof *u);
    unsigned char *dead = calloc((size_t)k, 1);
    gptq_kern kn = gptq_kernels(f);
    int rc = -1;
    if (!hh || !u || !dead) goto out;
    memcpy(hh, h, (size_t)(k * k) * sizeof *hh);
    double mean = 0;
    for (int64_t i = 0; i < k; i++) {
        if (hh[i * k + i] <= 0) { dead[i] = 1; hh[i * k + i] = 1; } /* a channel never active */
        mean += hh[i * k + i];
    }
    mean /= (double)k;
    for (int64_t i = 0; i < k; i++) hh[i * k + i] += damp * mean;
    int refine = f->refine > 0 && (double)rows * (double)k * (double)k <= GPTQ_REFINE_MAX;
    double *href = refine ? malloc((size_t)(k * k) * sizeof *href) : NULL;
    if (refine && !href) goto out;
    if (href) memcpy(href, hh, (size_t)(k * k) * sizeof *href);
    if (gptq_inv_factor(hh, k, u, &kn) != 0) { free(href); goto out; }
    free(hh), hh = NULL;
    gptq_job jobs[GPTQ_THREADS];
    pthread_t tid[GPTQ_THREADS];
    int started[GPTQ_THREADS] = {0};
    /* rows are independent given U: split them, in whole tiles */
    int nt = rows >= 4 * GPTQ_TILE ? GPTQ_THREADS : 1;
    int64_t tiles = (rows + GPTQ_TILE - 1) / GPTQ_TILE;
    for (int t = 0; t < nt; t++) {
        gptq_job *jb = &jobs[t];
        jb->f = f, jb->h = href, jb->w = w, jb->u = u, jb->dead = dead, jb->kn = &kn, jb->k = k, jb->dst = dst;
        jb->r0 = tiles * t / nt * GPTQ_TILE;
        jb->r1 = t + 1 == nt ? rows : tiles * (t + 1) / nt * GPTQ_TILE;
        jb->rc = -1;
        if (t > 0) started[t] = pthread_create(&tid[t], NULL, gptq_rows, jb) == 0;
    }
    gptq_rows(&jobs[0]);
    rc = jobs[0].rc;
    for (int t = 1; t < nt; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else gptq_rows(&jobs[t]); /* no thread: do its share here */
        rc |= jobs[t].rc;
    }
    free(href);
out:
    free(hh), free(u), free(dead);
    return rc;
}
