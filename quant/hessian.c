/* hessian.c - H = X^T X / rows of the calibration inputs of one linear (GPTQ's
 * second-order statistics), two threads over column blocks. */
#include "quant.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef double hess_v2d __attribute__((vector_size(16))); /* SIMD at -O2 with gcc and clang */

static inline hess_v2d hess_ld2(const double *p) { hess_v2d v; memcpy(&v, p, sizeof v); return v; }

/* out[q] += a . b[q*ld ...], q < 4: a is loaded once for four dots */
static void hess_dot4(const double *restrict a, const double *restrict b, int64_t ld, int64_t n, double *out) {
    hess_v2d s0 = {0, 0}, s1 = {0, 0}, s2 = {0, 0}, s3 = {0, 0};
    const double *b0 = b, *b1 = b + ld, *b2 = b + 2 * ld, *b3 = b + 3 * ld;
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) {
        hess_v2d x = hess_ld2(a + j);
        s0 += x * hess_ld2(b0 + j), s1 += x * hess_ld2(b1 + j), s2 += x * hess_ld2(b2 + j), s3 += x * hess_ld2(b3 + j);
    }
    double o0 = s0[0] + s0[1], o1 = s1[0] + s1[1], o2 = s2[0] + s2[1], o3 = s3[0] + s3[1];
    for (; j < n; j++) o0 += a[j] * b0[j], o1 += a[j] * b1[j], o2 += a[j] * b2[j], o3 += a[j] * b3[j];
    out[0] += o0, out[1] += o1, out[2] += o2, out[3] += o3;
}

#define HESS_HROWS 256 /* calibration rows per pass (bounds the transposed copy) */
#define HESS_HJB 64    /* columns of H per block: their inputs stay in cache */
#define HESS_THREADS 2

typedef struct hess_hjob { double *h; const double *xt; int64_t k, nr; int t; } hess_hjob;

/* column blocks of H dealt round robin (their cost grows with j) */
static void *hess_hessian_blocks(void *arg) {
    hess_hjob *jb = arg;
    int64_t k = jb->k, nr = jb->nr;
    double d[4];
    for (int64_t j0 = (int64_t)jb->t * HESS_HJB; j0 < k; j0 += HESS_THREADS * HESS_HJB) {
        int64_t j1 = k - j0 < HESS_HJB ? k : j0 + HESS_HJB;
        for (int64_t i = 0; i < j1; i++) {
            double *hr = jb->h + i * k;
            for (int64_t j = i > j0 ? i : j0; j < j1; j += 4) {
                d[0] = d[1] = d[2] = d[3] = 0;
                hess_dot4(jb->xt + i * nr, jb->xt + j * nr, nr, nr, d);
                for (int q = 0; q < 4 && j + q < j1; q++) hr[j + q] += d[q];
            }
        }
    }
    return NULL;
}

/* H = X^T X / rows, as dots between columns of X (transposed to double
 * rows, a chunk of calibration rows at a time) in cache-sized blocks */
double *lmcc_quant_hessian(const lmcc_eval_calib_act *a) {
    int64_t k = a->k;
    double *h = calloc((size_t)(k * k), sizeof *h);
    double *xt = malloc((size_t)(k + 3) * HESS_HROWS * sizeof *xt);
    if (!h || !xt) { free(h), free(xt); return NULL; }
    for (int64_t r0 = 0; r0 < a->rows; r0 += HESS_HROWS) {
        int64_t nr = a->rows - r0 < HESS_HROWS ? a->rows - r0 : HESS_HROWS;
        for (int64_t i0 = 0; i0 < k; i0 += 64) /* in strips, so the written lines stay in L1 */
            for (int64_t r = 0; r < nr; r++)
                for (int64_t i = i0; i < k && i < i0 + 64; i++) xt[i * nr + r] = a->x[(r0 + r) * k + i];
        memset(xt + k * nr, 0, (size_t)(3 * nr) * sizeof *xt); /* rows dot4 may read past k */
        hess_hjob jobs[HESS_THREADS];
        pthread_t tid[HESS_THREADS];
        int started[HESS_THREADS] = {0};
        for (int t = 0; t < HESS_THREADS; t++) {
            jobs[t] = (hess_hjob){h, xt, k, nr, t};
            if (t > 0) started[t] = pthread_create(&tid[t], NULL, hess_hessian_blocks, &jobs[t]) == 0;
        }
        hess_hessian_blocks(&jobs[0]);
        for (int t = 1; t < HESS_THREADS; t++) {
            if (started[t]) pthread_join(tid[t], NULL);
            else hess_hessian_blocks(&jobs[t]);
        }
    }
    free(xt);
    double inv = a->rows > 0 ? 1.0 / (double)a->rows : 0;
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = i; j < k; j++) h[j * k + i] = h[i * k + j] *= inv;
    return h;
}
