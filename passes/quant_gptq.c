/* quant_gptq.c - GPTQ (Frantar et al. 2022): quantize one column at a time
 * and push its error onto the columns not yet quantized through the upper
 * Cholesky factor of the inverse Hessian; group scales are fitted when the
 * quantization reaches a group, on the already-updated weights. */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GPTQ_TILE 16 /* rows sharing one pass over the factor */

/* restrict: without it gcc -O2 does not vectorize these (it would need alias checks) */
static void gptq_axpy(float *restrict y, const float *restrict x, float a, int64_t n) {
    for (int64_t j = 0; j < n; j++) y[j] -= a * x[j];
}
static void gptq_axpy_d(double *restrict y, const double *restrict x, double a, int64_t n) {
    for (int64_t j = 0; j < n; j++) y[j] += a * x[j];
}
static double gptq_dot(const double *restrict a, const double *restrict b, int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) s0 += a[j] * b[j], s1 += a[j + 1] * b[j + 1], s2 += a[j + 2] * b[j + 2], s3 += a[j + 3] * b[j + 3];
    for (; j < n; j++) s0 += a[j] * b[j];
    return (s0 + s1) + (s2 + s3);
}

/* U upper with U^T U = H^-1, as U = R^-1 where H = R R^T, R upper (a
 * Cholesky in reversed order).  h is overwritten.  0, or -1 if not PD. */
static int gptq_inv_factor(double *h, int64_t k, float *u) {
    for (int64_t i = k - 1; i >= 0; i--) {
        double *ri = h + i * k;
        double s = ri[i] - gptq_dot(ri + i + 1, ri + i + 1, k - i - 1);
        if (!(s > 0)) return -1;
        ri[i] = sqrt(s);
        for (int64_t r = 0; r < i; r++) {
            double *rr = h + r * k;
            rr[i] = (rr[i] - gptq_dot(rr + i + 1, ri + i + 1, k - i - 1)) / ri[i];
        }
    }
    /* rows of R^-1 from the bottom: U_i = (e_i - sum_{l>i} R_il U_l) / R_ii */
    double *acc = malloc((size_t)k * sizeof *acc), *ud = malloc((size_t)(k * k) * sizeof *ud);
    if (!acc || !ud) { free(acc), free(ud); return -2; }
    for (int64_t i = k - 1; i >= 0; i--) {
        const double *ri = h + i * k;
        memset(acc, 0, (size_t)k * sizeof *acc);
        for (int64_t l = i + 1; l < k; l++) {
            gptq_axpy_d(acc + l, ud + l * k + l, ri[l], k - l);
        }
        double *ui = ud + i * k;
        for (int64_t j = 0; j < i; j++) ui[j] = 0;
        ui[i] = 1.0 / ri[i];
        for (int64_t j = i + 1; j < k; j++) ui[j] = -acc[j] / ri[i];
    }
    for (int64_t j = 0; j < k * k; j++) u[j] = (float)ud[j];
    free(acc), free(ud);
    return 0;
}

int lmcc_quant_gptq(const lmcc_qfmt *f, const float *w, int64_t rows, int64_t k, const double *h, double damp,
                    uint8_t *dst) {
    int G = f->group;
    int64_t nb = (k + G - 1) / G;
    size_t row_bytes = (size_t)nb * (size_t)f->block_bytes;
    double *hh = malloc((size_t)(k * k) * sizeof *hh);
    float *u = malloc((size_t)(k * k) * sizeof *u);
    float *wt = malloc((size_t)(GPTQ_TILE * k) * sizeof *wt);
    int *q = malloc((size_t)(GPTQ_TILE * nb * G) * sizeof *q);
    lmcc_qparams *par = malloc((size_t)(GPTQ_TILE * nb) * sizeof *par);
    unsigned char *dead = calloc((size_t)k, 1);
    int rc = -1;
    if (!hh || !u || !wt || !q || !par || !dead) goto out;
    memcpy(hh, h, (size_t)(k * k) * sizeof *hh);
    double mean = 0;
    for (int64_t i = 0; i < k; i++) {
        if (hh[i * k + i] <= 0) { dead[i] = 1; hh[i * k + i] = 1; } /* a channel never active */
        mean += hh[i * k + i];
    }
    mean /= (double)k;
    for (int64_t i = 0; i < k; i++) hh[i * k + i] += damp * mean;
    if (gptq_inv_factor(hh, k, u) != 0) goto out;
    for (int64_t r0 = 0; r0 < rows; r0 += GPTQ_TILE) {
        int nr = rows - r0 < GPTQ_TILE ? (int)(rows - r0) : GPTQ_TILE;
        memcpy(wt, w + r0 * k, (size_t)(nr * k) * sizeof *wt);
        for (int r = 0; r < nr; r++)
            for (int64_t j = 0; j < k; j++)
                if (dead[j]) wt[r * k + j] = 0;
        for (int64_t i = 0; i < k; i++) {
            int64_t b = i / G;
            if (i % G == 0) {
                int n = k - i < G ? (int)(k - i) : G;
                for (int r = 0; r < nr; r++) par[r * nb + b] = lmcc_qblock_fit(f, wt + r * k + i, NULL, n);
            }
            const float *ui = u + i * k;
            float dinv = 1.0f / ui[i];
            for (int r = 0; r < nr; r++) {
                float *wr = wt + r * k;
                lmcc_qparams p = par[r * nb + b];
                int c = lmcc_qblock_code(f, p, wr[i]);
                q[(int64_t)r * nb * G + i] = c;
                float e = (wr[i] - lmcc_qblock_value(f, p, c)) * dinv;
                gptq_axpy(wr + i + 1, ui + i + 1, e, k - i - 1);
            }
        }
        for (int r = 0; r < nr; r++)
            for (int64_t b = 0; b < nb; b++) {
                int n = k - b * G < G ? (int)(k - b * G) : G;
                lmcc_qblock_pack(f, par[r * nb + b], q + (int64_t)r * nb * G + b * G, n,
                                 dst + (size_t)(r0 + r) * row_bytes + (size_t)b * (size_t)f->block_bytes);
            }
    }
    rc = 0;
out:
    free(hh), free(u), free(wt), free(q), free(par), free(dead);
    return rc;
}
