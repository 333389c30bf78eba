/* seqeval_mm.c - the batched evaluator's threads and matrix product (seqeval_int.h).
 * A linear is Y = X W^T, computed in panels of NB weight rows x KC columns
 * (dequantized into a float scratch that stays in L1/L2) against all X rows,
 * with a 2x4 register-blocked dot kernel on GNU vector types (SIMD at -O2
 * without -march, gcc and clang); panels are dealt to the threads. */
#include <pthread.h>
#include <stdlib.h>

#include "lmrt_quant.h"
#include "seqeval_int.h"

#define SEQEVAL_NB 32  /* weight rows per panel (a thread's unit of work) */
#define SEQEVAL_KC 256 /* panel columns: a multiple of every block size, so panels start on block boundaries */

/* ---- threads ------------------------------------------------------------- */

typedef struct seqeval_task { void (*fn)(void *, int, int); void *arg; int t, nt; } seqeval_task;

static void *seqeval_task_run(void *p) {
    seqeval_task *tk = p;
    tk->fn(tk->arg, tk->t, tk->nt);
    return NULL;
}

/* fn(arg, t, nt) for every t < nt, on nt threads (on this one for any thread that fails to start) */
void seqeval_parallel(void (*fn)(void *, int, int), void *arg, int nt) {
    seqeval_task tk[SEQEVAL_MAX_THREADS] = {{0}};
    pthread_t tid[SEQEVAL_MAX_THREADS];
    int started[SEQEVAL_MAX_THREADS] = {0};
    for (int t = 0; t < nt; t++) {
        tk[t] = (seqeval_task){fn, arg, t, nt};
        if (t > 0) started[t] = pthread_create(&tid[t], NULL, seqeval_task_run, &tk[t]) == 0;
    }
    seqeval_task_run(&tk[0]);
    for (int t = 1; t < nt; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else seqeval_task_run(&tk[t]);
    }
}

/* ---- matrix product ------------------------------------------------------- */

/* o[i*4 + j] = x_i . w_j over n floats (i < 2, rows of w ldw apart): each
 * loaded vector feeds two or four products, eight accumulators fit SSE's 16 registers */
static void seqeval_dot2x4(const float *restrict x0, const float *restrict x1, const float *restrict w, int64_t ldw,
                           int64_t n, float *o) {
    seqeval_v4f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
    const float *w0 = w, *w1 = w + ldw, *w2 = w + 2 * ldw, *w3 = w + 3 * ldw;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        seqeval_v4f p = seqeval_ld4(x0 + j), q = seqeval_ld4(x1 + j), v;
        v = seqeval_ld4(w0 + j), a0 += p * v, b0 += q * v;
        v = seqeval_ld4(w1 + j), a1 += p * v, b1 += q * v;
        v = seqeval_ld4(w2 + j), a2 += p * v, b2 += q * v;
        v = seqeval_ld4(w3 + j), a3 += p * v, b3 += q * v;
    }
    o[0] = seqeval_hsum(a0), o[1] = seqeval_hsum(a1), o[2] = seqeval_hsum(a2), o[3] = seqeval_hsum(a3);
    o[4] = seqeval_hsum(b0), o[5] = seqeval_hsum(b1), o[6] = seqeval_hsum(b2), o[7] = seqeval_hsum(b3);
    for (; j < n; j++)
        for (int q = 0; q < 4; q++) o[q] += x0[j] * w[q * ldw + j], o[4 + q] += x1[j] * w[q * ldw + j];
}

static void seqeval_dot1x4(const float *restrict x0, const float *restrict w, int64_t ldw, int64_t n, float *o) {
    seqeval_v4f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    const float *w0 = w, *w1 = w + ldw, *w2 = w + 2 * ldw, *w3 = w + 3 * ldw;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        seqeval_v4f p = seqeval_ld4(x0 + j);
        a0 += p * seqeval_ld4(w0 + j), a1 += p * seqeval_ld4(w1 + j);
        a2 += p * seqeval_ld4(w2 + j), a3 += p * seqeval_ld4(w3 + j);
    }
    o[0] = seqeval_hsum(a0), o[1] = seqeval_hsum(a1), o[2] = seqeval_hsum(a2), o[3] = seqeval_hsum(a3);
    for (; j < n; j++)
        for (int q = 0; q < 4; q++) o[q] += x0[j] * w[q * ldw + j];
}

/* lmrt_dequant_row, the same values bit for bit, with q8_0 and q4_0 (the common
 * weights of a big model) in loops gcc and clang vectorize at -O2 (gcc 12: 4x faster) */
static void seqeval_dequant(int lt, const unsigned char *restrict src, float *restrict dst, int64_t n) {
    int64_t i = 0;
    if (lt == LMRT_GGML_Q8_0)
        for (; i + 32 <= n; i += 32, src += 34) {
            float d = lmrt_load_f16le(src);
            for (int j = 0; j < 32; j++) dst[i + j] = (float)(signed char)src[2 + j] * d;
        }
    else if (lt == LMRT_GGML_Q4_0)
        for (; i + 32 <= n; i += 32, src += 18) {
            float d = lmrt_load_f16le(src);
            for (int j = 0; j < 16; j++) {
                dst[i + j] = (float)((src[2 + j] & 0xF) - 8) * d;
                dst[i + j + 16] = (float)((src[2 + j] >> 4) - 8) * d;
            }
        }
    if (i < n) lmrt_dequant_row(lt, src, dst + i, n - i);
}

static inline void seqeval_put(float *y, const float *o, int64_t n, int first) {
    for (int64_t q = 0; q < n; q++) y[q] = first ? o[q] : y[q] + o[q];
}

typedef struct seqeval_mm {
    const float *x;
    int64_t rows, k;
    const unsigned char *w; /* weight bytes, rows row_bytes apart */
    size_t row_bytes;
    int lt, be, bb;         /* lmrt type, block elems, block bytes */
    float *y;
    int64_t n;
    int failed;
} seqeval_mm;

/* panels t, t+nt, ...: dequantize NB x KC of W, dot it with the same columns of every X row */
static void seqeval_mm_panels(void *arg, int t, int nt) {
    seqeval_mm *m = arg;
    float *wp = malloc((size_t)SEQEVAL_NB * SEQEVAL_KC * sizeof *wp);
    if (!wp) { m->failed = 1; return; }
    int64_t rows = m->rows, k = m->k, n = m->n;
    for (int64_t n0 = (int64_t)t * SEQEVAL_NB; n0 < n; n0 += (int64_t)nt * SEQEVAL_NB) {
        int64_t nb = n - n0 < SEQEVAL_NB ? n - n0 : SEQEVAL_NB, nb4 = (nb + 3) & ~(int64_t)3;
        for (int64_t k0 = 0; k0 < k; k0 += SEQEVAL_KC) {
            int64_t kc = k - k0 < SEQEVAL_KC ? k - k0 : SEQEVAL_KC;
            size_t off = (size_t)(k0 / m->be) * (size_t)m->bb;
            /* the hardware prefetchers do not keep up with NB short strided runs: ask for the next
             * panel's bytes now, they arrive while this one is computed (~7% off a 3-row step) */
            int64_t pn0 = k0 + SEQEVAL_KC < k ? n0 : n0 + (int64_t)nt * SEQEVAL_NB, pk0 = pn0 == n0 ? k0 + SEQEVAL_KC : 0;
            if (pn0 < n) {
                int64_t pnb = n - pn0 < SEQEVAL_NB ? n - pn0 : SEQEVAL_NB, pkc = k - pk0 < SEQEVAL_KC ? k - pk0 : SEQEVAL_KC;
                size_t poff = (size_t)(pk0 / m->be) * (size_t)m->bb, plen = (size_t)((pkc + m->be - 1) / m->be) * (size_t)m->bb;
                for (int64_t j = 0; j < pnb; j++)
                    for (size_t b = 0; b < plen; b += 64) __builtin_prefetch(m->w + (size_t)(pn0 + j) * m->row_bytes + poff + b);
            }
            for (int64_t j = 0; j < nb; j++)
                seqeval_dequant(m->lt, m->w + (size_t)(n0 + j) * m->row_bytes + off, wp + j * SEQEVAL_KC, kc);
            for (int64_t j = nb; j < nb4; j++) memset(wp + j * SEQEVAL_KC, 0, (size_t)kc * sizeof *wp);
            for (int64_t j = 0; j < nb; j += 4) {
                const float *wj = wp + j * SEQEVAL_KC;
                int64_t nj = nb - j < 4 ? nb - j : 4;
                float *yj = m->y + n0 + j, o[8];
                int64_t r = 0;
                for (; r + 2 <= rows; r += 2) {
                    seqeval_dot2x4(m->x + r * k + k0, m->x + (r + 1) * k + k0, wj, SEQEVAL_KC, kc, o);
                    seqeval_put(yj + r * n, o, nj, k0 == 0);
                    seqeval_put(yj + (r + 1) * n, o + 4, nj, k0 == 0);
                }
                if (r < rows) {
                    seqeval_dot1x4(m->x + r * k + k0, wj, SEQEVAL_KC, kc, o);
                    seqeval_put(yj + r * n, o, nj, k0 == 0);
                }
            }
        }
    }
    free(wp);
}

/* y[rows][n] = x[rows][k] * W^T for the weight tensor w [n][k] (checked readable) */
int seqeval_matmul(seqeval *e, float *y, const float *x, const ir_tensor *w) {
    seqeval_mm m = {x, e->rows, w->shape[1], w->data, ir_row_bytes(w->dtype, w->shape[1]),
                    ir_dtype_lmrt_type(w->dtype), ir_dtype_block_elems(w->dtype), ir_dtype_block_bytes(w->dtype),
                    y, w->shape[0], 0};
    int64_t panels = (m.n + SEQEVAL_NB - 1) / SEQEVAL_NB;
    if (panels < 1 || e->rows < 1) return 0;
    seqeval_parallel(seqeval_mm_panels, &m, panels < e->threads ? (int)panels : e->threads);
    if (m.failed) snprintf(e->err, e->errlen, "out of memory in the calibration forward");
    return m.failed ? -1 : 0;
}
