/* seqeval.c - sequence-batched graph evaluation for calibration (see seqeval.h).
 *
 * Layout: every ACT tensor is a [rows][elems] float buffer (q8a activations
 * hold their emulated values, as in the interpreter); a KV cache tensor is
 * [cache_rows][n_kv * head_dim], row r's key/value going to cache row crow[r]
 * and sequence i's positions 0.. being cache rows start[i], start[i]+1, ...
 * A whole run (lmcc_eval_seq_run) has one row per position of every sequence
 * and the cache rows are the rows (crow[r] = r); a lockstep state
 * (lmcc_eval_step) has one row per sequence, all at the same position, and
 * max_len cache rows per sequence that persist from step to step.
 * Weights read by linears and embed are dequantized in panels as they are
 * used; other weights (norm scales) once, whole.
 * Speed: a linear is Y = X W^T, computed in panels of NB weight rows x KC
 * columns (dequantized into a float scratch that stays in L1/L2) against all
 * X rows, with a 2x4 register-blocked dot kernel on GNU vector types (SIMD at
 * -O2 without -march, gcc and clang); panels are dealt to the threads. */
#include "seqeval.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "act_q8a.h"
#include "lmrt_math.h"
#include "lmrt_quant.h"

#define SEQEVAL_MAX_THREADS 16
#define SEQEVAL_NB 32  /* weight rows per panel (a thread's unit of work) */
#define SEQEVAL_KC 256 /* panel columns: a multiple of every block size, so panels start on block boundaries */

typedef float seqeval_v4f __attribute__((vector_size(16)));

static inline seqeval_v4f seqeval_ld4(const float *p) { seqeval_v4f v; memcpy(&v, p, sizeof v); return v; }
static inline float seqeval_hsum(seqeval_v4f v) { return (v[0] + v[1]) + (v[2] + v[3]); }

typedef struct seqeval_lane {
    float **buf; /* per tensor: ACT/STATE rows, NULL while not live */
} seqeval_lane;

typedef struct seqeval {
    const ir_graph *g;
    const lmcc_eval_seqs *s; /* a whole run's sequences, NULL in lockstep */
    int n_tensors;    /* when the run started (the arrays below are this long) */
    int64_t rows;
    int64_t cache_rows; /* rows of every KV cache buffer */
    int maxlen;       /* longest sequence */
    int64_t *start;   /* [sequences] cache row of each sequence's position 0 */
    int *seq, *pos, *tok; /* [rows] sequence, position and token of each row */
    int64_t *crow;    /* [rows] the cache row each row writes */
    int persist;      /* lockstep: buffers live from step to step (nothing freed by liveness) */
    int *last_use;    /* [n_tensors] last live node touching the tensor, -1 */
    float **wfull;    /* [n_tensors] weights read whole (not streamed), dequantized once */
    seqeval_lane lane[2]; /* 0: main, 1: reference (dual) */
    int n_lanes, threads;
    double bytes, peak; /* the run's row buffers now and at most (with temporaries): lmcc_eval_seq_opts.peak_bytes */
    const unsigned char *round_in; /* [nodes] 1: the main lane's linear input rounded as q8a (lmcc_eval_seq_opts) */
    float **xq;       /* [nodes] those rounded inputs [rows][k] (kept for the backward) */
    char *err;
    size_t errlen;
} seqeval;

/* ---- threads ------------------------------------------------------------- */

typedef struct seqeval_task { void (*fn)(void *, int, int); void *arg; int t, nt; } seqeval_task;

static void *seqeval_task_run(void *p) {
    seqeval_task *tk = p;
    tk->fn(tk->arg, tk->t, tk->nt);
    return NULL;
}

/* fn(arg, t, nt) for every t < nt, on nt threads (on this one for any thread that fails to start) */
static void seqeval_parallel(void (*fn)(void *, int, int), void *arg, int nt) {
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
static int seqeval_matmul(seqeval *e, float *y, const float *x, const ir_tensor *w) {
    seqeval_mm m = {x, e->rows, w->shape[1], w->data, ir_row_bytes(w->dtype, w->shape[1]),
                    ir_dtype_lmrt_type(w->dtype), ir_dtype_block_elems(w->dtype), ir_dtype_block_bytes(w->dtype),
                    y, w->shape[0], 0};
    int64_t panels = (m.n + SEQEVAL_NB - 1) / SEQEVAL_NB;
    if (panels < 1 || e->rows < 1) return 0;
    seqeval_parallel(seqeval_mm_panels, &m, panels < e->threads ? (int)panels : e->threads);
    if (m.failed) snprintf(e->err, e->errlen, "out of memory in the calibration forward");
    return m.failed ? -1 : 0;
}

/* ---- the other ops ------------------------------------------------------- */

static int64_t seqeval_cols(const ir_tensor *t) { return t->ndim > 0 ? t->shape[t->ndim - 1] : 1; }

/* floats per row of an ACT (its elements) or a KV cache (n_kv * head_dim) */
static int64_t seqeval_width(const ir_tensor *t) {
    return t->kind == IR_KIND_STATE ? t->shape[0] * t->shape[2] : ir_tensor_elems(t);
}

static double seqeval_silu(double v) { return v / (1.0 + exp(-v)); }

/* x / rms(x) (times w when w), over every cols-long piece of n floats, as the interpreter rounds */
static void seqeval_norm(float *y, const float *x, const float *w, int64_t n, int64_t cols, float eps) {
    for (int64_t r = 0; r < n / cols; r++) {
        const float *xr = x + r * cols;
        double ss = 0;
        for (int64_t i = 0; i < cols; i++) ss += (double)xr[i] * xr[i];
        double inv = 1.0 / sqrt(ss / (double)cols + (double)eps);
        for (int64_t i = 0; i < cols; i++)
            y[r * cols + i] = w ? (float)((double)xr[i] * inv * w[i]) : (float)((double)xr[i] * inv);
    }
}

static void seqeval_softmax(float *y, const float *x, int64_t n, int64_t cols) {
    for (int64_t r = 0; r < n / cols; r++) {
        const float *xr = x + r * cols;
        double mx = -HUGE_VAL, sum = 0;
        for (int64_t i = 0; i < cols; i++) if (xr[i] > mx) mx = xr[i];
        for (int64_t i = 0; i < cols; i++) sum += exp((double)xr[i] - mx);
        for (int64_t i = 0; i < cols; i++) y[r * cols + i] = (float)(exp((double)xr[i] - mx) / sum);
    }
}

/* cs[i] = {cos, sin} of the rope angle of pair i at position pos (the interpreter's formula) */
static void seqeval_rope_angles(double *cs, const ir_attrs *a, int pos) {
    for (int i = 0; i < a->rope_dim / 2; i++) {
        double ang = (double)pos * pow((double)a->rope_theta, -2.0 * i / (double)a->rope_dim);
        cs[2 * i] = cos(ang), cs[2 * i + 1] = sin(ang);
    }
}

/* rotates the first rope_dim dims of each of n_heads heads of v in place */
static void seqeval_rope(float *v, int n_heads, const ir_attrs *a, const double *cs) {
    int hd = a->head_dim, half = a->rope_dim / 2;
    for (int h = 0; h < n_heads; h++) {
        float *vh = v + (size_t)h * (size_t)hd;
        for (int i = 0; i < half; i++) {
            int i0 = a->rope_neox ? i : 2 * i, i1 = a->rope_neox ? i + half : 2 * i + 1;
            double x0 = vh[i0], x1 = vh[i1], c = cs[2 * i], s = cs[2 * i + 1];
            vh[i0] = (float)(x0 * c - x1 * s);
            vh[i1] = (float)(x0 * s + x1 * c);
        }
    }
}

static float seqeval_dot(const float *a, const float *b, int64_t n) {
    seqeval_v4f s = {0};
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) s += seqeval_ld4(a + j) * seqeval_ld4(b + j);
    float r = seqeval_hsum(s);
    for (; j < n; j++) r += a[j] * b[j];
    return r;
}

/* sc[u] = exp(s_u - max s) for the scores s_u = scale * q.k_u of the cache rows u = 0..p (kw floats
 * apart from kb); returns their sum (the softmax's denominator) */
static double seqeval_att_exp(double *sc, const float *qh, const float *kb, int64_t kw, int hd, int p, float scale) {
    double mx = -HUGE_VAL, sum = 0;
    for (int u = 0; u <= p; u++) {
        sc[u] = (double)seqeval_dot(qh, kb + u * kw, hd) * (double)scale;
        if (sc[u] > mx) mx = sc[u];
    }
    for (int u = 0; u <= p; u++) sum += sc[u] = exp(sc[u] - mx);
    return sum;
}

typedef struct seqeval_att {
    const seqeval *e;
    const ir_attrs *a;
    const float *q, *kc, *vc; /* q [rows][H*hd], caches [rows][Hkv*hd] */
    float *y;
    int failed;
} seqeval_att;

/* (row, head) pairs t, t+nt, ...: causal attention of each row over the cache rows of its own sequence */
static void seqeval_att_rows(void *arg, int t, int nt) {
    seqeval_att *at = arg;
    const seqeval *e = at->e;
    const ir_attrs *a = at->a;
    int hd = a->head_dim, group = a->n_heads / a->n_kv_heads;
    int64_t qw = (int64_t)a->n_heads * hd, kw = (int64_t)a->n_kv_heads * hd;
    double *sc = malloc((size_t)e->maxlen * sizeof *sc);
    if (!sc) { at->failed = 1; return; }
    for (int64_t rh = t; rh < e->rows * a->n_heads; rh += nt) {
        int64_t r = rh / a->n_heads;
        int p = e->pos[r], h = (int)(rh % a->n_heads);
        int64_t base = e->start[e->seq[r]];
        const float *qh = at->q + r * qw + (int64_t)h * hd;
        const float *kb = at->kc + base * kw + (int64_t)(h / group) * hd;
        const float *vb = at->vc + base * kw + (int64_t)(h / group) * hd;
        float *out = at->y + r * qw + (int64_t)h * hd;
        double sum = seqeval_att_exp(sc, qh, kb, kw, hd, p, a->scale);
        memset(out, 0, (size_t)hd * sizeof *out);
        for (int u = 0; u <= p; u++) {
            float wu = (float)(sc[u] / sum);
            const float *vu = vb + u * kw;
            for (int i = 0; i < hd; i++) out[i] += wu * vu[i];
        }
    }
    free(sc);
}

/* ---- checks -------------------------------------------------------------- */

/* slots that are not [rows][elems] data: streamed weights, rope tables, KV caches, the token */
static int seqeval_slot_special(ir_opcode op, int slot) {
    ir_slot s = ir_op_table[op].slot[slot];
    return s != IR_SLOT_ACT && s != IR_SLOT_ACTQ && s != IR_SLOT_VECTOR;
}

/* a weight the evaluator can dequantize: plain rows of a known dtype, all bytes present */
static int seqeval_check_weight(seqeval *e, int id, int node) {
    const ir_tensor *t = &e->g->tensors[id];
    int lt = ir_dtype_lmrt_type(t->dtype);
    float probe[256];
    if (t->tile_rows > 1) {
        snprintf(e->err, e->errlen, "calibration: weight %s is tiled (%d-row tiles); calibrate before the tile pass",
                 t->name, t->tile_rows);
        return -1;
    }
    if (!t->data || t->dtype == IR_DT_I32 || t->dtype == IR_DT_Q8A || lt < 0 ||
        lmrt_dequant_row(lt, t->data, probe, 1) != 0) {
        snprintf(e->err, e->errlen, "calibration: weight %s (node %d, %s) has dtype %s, which the evaluator cannot read",
                 t->name, node, ir_op_table[e->g->nodes[node].op].name, ir_dtype_name(t->dtype));
        return -1;
    }
    int64_t cols = seqeval_cols(t), rows = cols > 0 ? ir_tensor_elems(t) / cols : 0;
    if (t->nbytes && t->nbytes < (size_t)rows * ir_row_bytes(t->dtype, cols)) {
        snprintf(e->err, e->errlen, "calibration: weight %s holds %zu bytes, its %s shape needs %zu", t->name,
                 t->nbytes, ir_dtype_name(t->dtype), (size_t)rows * ir_row_bytes(t->dtype, cols));
        return -1;
    }
    return 0;
}

/* a node the op rules accept (ir_node_check), with weights the evaluator can read */
static int seqeval_check_node(seqeval *e, int ni) {
    const ir_graph *g = e->g;
    const ir_node *n = &g->nodes[ni];
    char why[512];
    if (ir_node_check(g, ni, why, sizeof why)) {
        snprintf(e->err, e->errlen, "calibration: %s", why);
        return -1;
    }
    for (int s = 0; s < ir_op_table[n->op].n_inputs; s++) {
        const ir_tensor *t = &g->tensors[n->inputs[s]];
        if (t->kind == IR_KIND_WEIGHT && ir_op_table[n->op].slot[s] != IR_SLOT_ROPE &&
            seqeval_check_weight(e, n->inputs[s], ni))
            return -1;
    }
    return 0;
}

/* the sequences fit: positions below the context and every cache, tokens in every embedding table */
static int seqeval_check_seqs(seqeval *e) {
    const ir_graph *g = e->g;
    const lmcc_eval_seqs *s = e->s;
    if (s->n < 1) { snprintf(e->err, e->errlen, "calibration: no sequences"); return -1; }
    for (int i = 0; i < s->n; i++) {
        int len = s->len[i];
        if (len < 1 || (g->cfg.ctx > 0 && len > g->cfg.ctx)) {
            snprintf(e->err, e->errlen, "calibration: sequence %d has %d positions (context %d)", i, len, g->cfg.ctx);
            return -1;
        }
        for (int ni = 0; ni < g->n_nodes; ni++) {
            const ir_node *n = &g->nodes[ni];
            for (int sl = 0; !n->dead && sl < ir_op_table[n->op].n_inputs; sl++) {
                const ir_tensor *t = &g->tensors[n->inputs[sl]];
                if (ir_op_table[n->op].slot[sl] == IR_SLOT_CACHE && len > t->shape[1]) {
                    snprintf(e->err, e->errlen, "calibration: sequence %d has %d positions, cache %s holds %lld", i,
                             len, t->name, (long long)t->shape[1]);
                    return -1;
                }
                for (int p = 0; ir_op_table[n->op].slot[sl] == IR_SLOT_ROWS && p < len; p++)
                    if (s->ids[i][p] < 0 || s->ids[i][p] >= t->shape[0]) {
                        snprintf(e->err, e->errlen, "calibration: token %d (sequence %d, position %d) is out of range",
                                 s->ids[i][p], i, p);
                        return -1;
                    }
            }
        }
    }
    return 0;
}

/* ---- evaluation ----------------------------------------------------------- */

/* bytes more in row buffers (negative: freed), tmp more only for the moment */
static void seqeval_count(seqeval *e, double bytes, double tmp) {
    e->bytes += bytes;
    if (e->bytes + tmp > e->peak) e->peak = e->bytes + tmp;
}

/* row buffer of ACT/STATE tensor id in lane l (zeros when nothing wrote it yet, as in the interpreter) */
static float *seqeval_buf(seqeval *e, seqeval_lane *l, int id) {
    if (!l->buf[id]) {
        const ir_tensor *t = &e->g->tensors[id];
        int64_t w = seqeval_width(t), nr = t->kind == IR_KIND_STATE ? e->cache_rows : e->rows;
        l->buf[id] = calloc((size_t)(nr * (w > 0 ? w : 1)), sizeof(float));
        if (!l->buf[id]) snprintf(e->err, e->errlen, "out of memory in the calibration forward");
        else seqeval_count(e, (double)(nr * (w > 0 ? w : 1)) * sizeof(float), 0);
    }
    return l->buf[id];
}

/* rows of data input id and their stride (0: a weight, the same for every row) */
static const float *seqeval_in(seqeval *e, seqeval_lane *l, int id, int64_t *stride) {
    const ir_tensor *t = &e->g->tensors[id];
    *stride = t->kind == IR_KIND_WEIGHT ? 0 : seqeval_width(t);
    return t->kind == IR_KIND_WEIGHT ? e->wfull[id] : seqeval_buf(e, l, id);
}

/* the input the main lane's linear node ni multiplies: x itself, or (round_in) its q8a
 * rounding, as the compiled model's int8 activations; NULL when out of memory */
static const float *seqeval_lin_x(seqeval *e, seqeval_lane *l, int ni, const float *x, int64_t stride) {
    if (l != &e->lane[0] || !e->round_in || !e->round_in[ni]) return x;
    if (e->xq[ni]) return e->xq[ni];
    int64_t k = ir_tensor_elems(&e->g->tensors[e->g->nodes[ni].inputs[0]]);
    float *q = malloc((size_t)(e->rows * k > 0 ? e->rows * k : 1) * sizeof *q);
    if (!q) {
        snprintf(e->err, e->errlen, "out of memory in the calibration forward");
        return NULL;
    }
    for (int64_t r = 0; r < e->rows; r++) lmcc_eval_round_q8a(q + r * k, x + r * stride, k);
    seqeval_count(e, (double)(e->rows * k) * sizeof *q, 0);
    return e->xq[ni] = q;
}

static int seqeval_eval_node(seqeval *e, seqeval_lane *l, int ni) {
    const ir_graph *g = e->g;
    const ir_node *n = &g->nodes[ni];
    const ir_attrs *a = &n->attrs;
    int64_t rows = e->rows, s0 = 0, s1 = 0, ne = n->output >= 0 ? ir_tensor_elems(&g->tensors[n->output]) : 0;
    const ir_tensor *t0 = &g->tensors[n->inputs[0]];
    float *y = n->output >= 0 ? seqeval_buf(e, l, n->output) : NULL;
    const float *x0 = seqeval_slot_special(n->op, 0) ? NULL : seqeval_in(e, l, n->inputs[0], &s0);
    const float *x1 = ir_op_table[n->op].n_inputs > 1 && !seqeval_slot_special(n->op, 1)
                          ? seqeval_in(e, l, n->inputs[1], &s1) : NULL;
    if ((n->output >= 0 && !y) || (!seqeval_slot_special(n->op, 0) && !x0) ||
        (ir_op_table[n->op].n_inputs > 1 && !seqeval_slot_special(n->op, 1) && !x1))
        return -1;
    if (ir_op_table[n->op].linear && !(x0 = seqeval_lin_x(e, l, ni, x0, s0))) return -1;
    switch (n->op) {
    case IR_OP_EMBED: {
        int lt = ir_dtype_lmrt_type(t0->dtype);
        size_t rb = ir_row_bytes(t0->dtype, ne);
        for (int64_t r = 0; r < rows; r++)
            lmrt_dequant_row(lt, (const unsigned char *)t0->data + (size_t)e->tok[r] * rb, y + r * ne, ne);
        break;
    }
    case IR_OP_RMSNORM:
        for (int64_t r = 0; r < rows; r++)
            seqeval_norm(y + r * ne, x0 + r * s0, x1 + r * s1, ne, seqeval_cols(t0), a->eps);
        break;
    case IR_OP_NORMALIZE:
        for (int64_t r = 0; r < rows; r++) seqeval_norm(y + r * ne, x0 + r * s0, NULL, ne, seqeval_cols(t0), a->eps);
        break;
    case IR_OP_QUANTIZE:
        for (int64_t r = 0; r < rows; r++) lmcc_eval_round_q8a(y + r * ne, x0 + r * s0, ne);
        break;
    case IR_OP_TAKE_LAST: /* every row is some sequence's last token at its step */
        for (int64_t r = 0; r < rows; r++) memcpy(y + r * ne, x0 + r * s0, (size_t)ne * sizeof *y);
        break;
    case IR_OP_HADAMARD: /* the runtime's fast transform (same roundings as the compiled model) */
        for (int64_t r = 0; r < rows; r++)
            lmrt_hadamard_row(y + r * ne, x0 + r * s0, (int)ir_tensor_elems(t0), (int)ne, a->block,
                              (float)(1.0 / sqrt((double)a->block)));
        break;
    case IR_OP_LINEAR:
        return seqeval_matmul(e, y, x0, &g->tensors[n->inputs[1]]);
    case IR_OP_LINEAR_ADD: {
        int64_t sr;
        const float *res = seqeval_in(e, l, n->inputs[2], &sr);
        if (!res || seqeval_matmul(e, y, x0, &g->tensors[n->inputs[1]])) return -1;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)((double)res[r * sr + i] + y[r * ne + i]);
        break;
    }
    case IR_OP_LINEAR_SWIGLU: {
        float *mm = malloc((size_t)(rows * 2 * ne) * sizeof *mm);
        seqeval_count(e, 0, (double)(rows * 2 * ne) * sizeof *mm);
        if (!mm || seqeval_matmul(e, mm, x0, &g->tensors[n->inputs[1]])) {
            free(mm);
            snprintf(e->err, e->errlen, "out of memory in the calibration forward");
            return -1;
        }
        for (int64_t r = 0; r < rows; r++) {
            const float *gr = mm + r * 2 * ne;
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)(seqeval_silu(gr[i]) * gr[ne + i]);
        }
        free(mm);
        break;
    }
    case IR_OP_QKV: {
        int64_t hd = a->head_dim, nq = (int64_t)a->n_heads * hd, kw = (int64_t)a->n_kv_heads * hd, w = nq + 2 * kw;
        float *kc = seqeval_buf(e, l, n->inputs[3]), *vc = seqeval_buf(e, l, n->inputs[4]);
        float *mm = malloc((size_t)(rows * w) * sizeof *mm);
        seqeval_count(e, 0, (double)(rows * w) * sizeof *mm);
        double *cs = malloc((size_t)hd * sizeof *cs);
        if (!kc || !vc || !mm || !cs || seqeval_matmul(e, mm, x0, &g->tensors[n->inputs[1]])) {
            free(mm), free(cs);
            snprintf(e->err, e->errlen, "out of memory in the calibration forward");
            return -1;
        }
        for (int64_t r = 0; r < rows; r++) {
            float *mr = mm + r * w;
            seqeval_rope_angles(cs, a, e->pos[r]);
            seqeval_rope(mr, a->n_heads, a, cs);
            seqeval_rope(mr + nq, a->n_kv_heads, a, cs);
            memcpy(y + r * nq, mr, (size_t)nq * sizeof *y);
            memcpy(kc + e->crow[r] * kw, mr + nq, (size_t)kw * sizeof *kc);
            memcpy(vc + e->crow[r] * kw, mr + nq + kw, (size_t)kw * sizeof *vc);
        }
        free(mm), free(cs);
        break;
    }
    case IR_OP_ROPE: {
        double *cs = malloc((size_t)a->head_dim * sizeof *cs);
        if (!cs) { snprintf(e->err, e->errlen, "out of memory in the calibration forward"); return -1; }
        for (int64_t r = 0; r < rows; r++) {
            memmove(y + r * ne, x0 + r * s0, (size_t)ne * sizeof *y);
            seqeval_rope_angles(cs, a, e->pos[r]);
            seqeval_rope(y + r * ne, a->n_heads, a, cs);
        }
        free(cs);
        break;
    }
    case IR_OP_KV_STORE: {
        float *c = seqeval_buf(e, l, n->inputs[1]);
        int64_t kw = seqeval_width(&g->tensors[n->inputs[1]]);
        if (!c) return -1;
        for (int64_t r = 0; r < rows; r++) memcpy(c + e->crow[r] * kw, x0 + r * s0, (size_t)kw * sizeof *c);
        break;
    }
    case IR_OP_ATTENTION: {
        seqeval_att at = {e, a, x0, seqeval_buf(e, l, n->inputs[1]), seqeval_buf(e, l, n->inputs[2]), y, 0};
        if (!at.kc || !at.vc) return -1;
        int64_t items = rows * a->n_heads;
        seqeval_parallel(seqeval_att_rows, &at, items < e->threads ? (int)(items > 0 ? items : 1) : e->threads);
        if (at.failed) { snprintf(e->err, e->errlen, "out of memory in the calibration forward"); return -1; }
        break;
    }
    case IR_OP_ADD:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)((double)x0[r * s0 + i] + x1[r * s1 + i]);
        break;
    case IR_OP_MUL:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)((double)x0[r * s0 + i] * x1[r * s1 + i]);
        break;
    case IR_OP_SILU:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)seqeval_silu(x0[r * s0 + i]);
        break;
    case IR_OP_SWIGLU:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++)
                y[r * ne + i] = (float)(seqeval_silu(x0[r * s0 + i]) * x1[r * s1 + i]);
        break;
    case IR_OP_SOFTMAX:
        for (int64_t r = 0; r < rows; r++) seqeval_softmax(y + r * ne, x0 + r * s0, ne, seqeval_cols(t0));
        break;
    case IR_OP_COUNT: /* not an op: seqeval_check_node accepts none (no default: -Wswitch asks for every op) */
        snprintf(e->err, e->errlen, "calibration: node %d has no op", ni);
        return -1;
    }
    return 0;
}

/* the row arrays for n_seqs sequences (rows already set) */
static int seqeval_alloc_rows(seqeval *e, int n_seqs) {
    size_t nr = (size_t)(e->rows > 0 ? e->rows : 1);
    e->start = malloc((size_t)(n_seqs > 0 ? n_seqs : 1) * sizeof *e->start);
    e->seq = malloc(nr * sizeof *e->seq);
    e->pos = malloc(nr * sizeof *e->pos);
    e->tok = malloc(nr * sizeof *e->tok);
    e->crow = malloc(nr * sizeof *e->crow);
    seqeval_count(e, (double)nr * (3 * sizeof(int) + sizeof(int64_t)), 0);
    if (e->start && e->seq && e->pos && e->tok && e->crow) return 0;
    snprintf(e->err, e->errlen, "out of memory in the calibration forward");
    return -1;
}

/* a whole run's rows: every position of every sequence, each its own cache row */
static int seqeval_rows_run(seqeval *e) {
    const lmcc_eval_seqs *s = e->s;
    for (int i = 0; i < s->n; i++) {
        e->rows += s->len[i];
        if (s->len[i] > e->maxlen) e->maxlen = s->len[i];
    }
    e->cache_rows = e->rows;
    if (seqeval_alloc_rows(e, s->n)) return -1;
    for (int i = 0, r = 0; i < s->n; i++) {
        e->start[i] = r;
        for (int p = 0; p < s->len[i]; p++, r++)
            e->seq[r] = i, e->pos[r] = p, e->tok[r] = s->ids[i][p], e->crow[r] = r;
    }
    return 0;
}

/* liveness and the whole-read weights */
static int seqeval_setup(seqeval *e, int keep_logits) {
    const ir_graph *g = e->g;
    e->n_tensors = g->n_tensors;
    size_t nt = (size_t)(e->n_tensors > 0 ? e->n_tensors : 1);
    e->last_use = malloc(nt * sizeof *e->last_use);
    e->wfull = calloc(nt, sizeof *e->wfull);
    for (int l = 0; l < e->n_lanes; l++) e->lane[l].buf = calloc(nt, sizeof(float *));
    if (!e->last_use || !e->wfull || !e->lane[0].buf || (e->n_lanes > 1 && !e->lane[1].buf)) goto oom;
    for (int i = 0; i < e->n_tensors; i++) e->last_use[i] = -1;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) {
            int id = n->inputs[sl];
            const ir_tensor *t = &g->tensors[id];
            e->last_use[id] = ni;
            if (t->kind != IR_KIND_WEIGHT || seqeval_slot_special(n->op, sl) || e->wfull[id]) continue;
            int64_t cols = seqeval_cols(t), nr = cols > 0 ? ir_tensor_elems(t) / cols : 0;
            e->wfull[id] = malloc((size_t)(nr * cols > 0 ? nr * cols : 1) * sizeof(float));
            if (!e->wfull[id]) goto oom;
            seqeval_count(e, (double)(nr * cols) * sizeof(float), 0);
            for (int64_t r = 0; r < nr; r++)
                lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype),
                                 (const unsigned char *)t->data + (size_t)r * ir_row_bytes(t->dtype, cols),
                                 e->wfull[id] + r * cols, cols);
        }
        if (n->output >= 0) e->last_use[n->output] = ni > e->last_use[n->output] ? ni : e->last_use[n->output];
    }
    if (keep_logits) e->last_use[g->logits] = g->n_nodes; /* kept to the end */
    return 0;
oom:
    snprintf(e->err, e->errlen, "out of memory in the calibration forward");
    return -1;
}

static void seqeval_free_dead(seqeval *e, int ni) {
    const ir_node *n = &e->g->nodes[ni];
    if (e->persist) return;
    if (e->xq && e->xq[ni]) {
        seqeval_count(e, -(double)(e->rows * ir_tensor_elems(&e->g->tensors[n->inputs[0]])) * sizeof(float), 0);
        free(e->xq[ni]), e->xq[ni] = NULL;
    }
    for (int sl = -1; sl < ir_op_table[n->op].n_inputs; sl++) {
        int id = sl < 0 ? n->output : n->inputs[sl];
        if (id < 0 || e->last_use[id] != ni || e->g->tensors[id].kind == IR_KIND_WEIGHT) continue;
        const ir_tensor *t = &e->g->tensors[id];
        int64_t nr = t->kind == IR_KIND_STATE ? e->cache_rows : e->rows, w = seqeval_width(t);
        for (int l = 0; l < e->n_lanes; l++) {
            if (e->lane[l].buf[id]) seqeval_count(e, -(double)(nr * (w > 0 ? w : 1)) * sizeof(float), 0);
            free(e->lane[l].buf[id]), e->lane[l].buf[id] = NULL;
        }
    }
}

static void seqeval_release(seqeval *e) {
    for (int l = 0; l < 2; l++) {
        for (int i = 0; e->lane[l].buf && i < e->n_tensors; i++) free(e->lane[l].buf[i]);
        free(e->lane[l].buf);
    }
    for (int i = 0; e->wfull && i < e->n_tensors; i++) free(e->wfull[i]);
    free(e->wfull);
    for (int i = 0; e->xq && i < e->g->n_nodes; i++) free(e->xq[i]);
    free(e->xq);
    free(e->start), free(e->seq), free(e->pos), free(e->tok), free(e->crow), free(e->last_use);
}

/* tensors node n writes: its output and, for a side-effecting op, its caches; returns how many */
static int seqeval_writes(const ir_node *n, int *ids) {
    const ir_op_info *oi = &ir_op_table[n->op];
    int c = 0;
    if (n->output >= 0) ids[c++] = n->output;
    for (int sl = 0; oi->side_effect && sl < oi->n_inputs; sl++)
        if (oi->slot[sl] == IR_SLOT_CACHE) ids[c++] = n->inputs[sl];
    return c;
}

/* need[ni] = 1 when live node ni's results reach something asked for: the logits
 * (keep_logits) or, with a hook, the input of a linear-family node (which the
 * hook reads before the node runs).  A backward sweep: a node is needed when it
 * writes a needed tensor, and then everything it reads is.  Without the logits
 * this drops the output layer's [rows][vocab] product and whatever else only
 * feeds it, so calibration memory does not grow with the vocabulary.
 * Conservative where a tensor is written twice (every writer stays needed). */
static int seqeval_plan(const ir_graph *g, int hook, int keep_logits, char **need_out) {
    char *need = calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), 1);
    char *tneed = calloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1), 1);
    if (!need || !tneed) { free(need), free(tneed); return -1; }
    if (keep_logits) tneed[g->logits] = 1;
    for (int ni = g->n_nodes - 1; ni >= 0; ni--) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        int w[1 + IR_MAX_INPUTS], nw = seqeval_writes(n, w);
        for (int i = 0; i < nw; i++) need[ni] |= tneed[w[i]];
        if (need[ni])
            for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) tneed[n->inputs[sl]] = 1;
        if (hook && ir_op_table[n->op].linear) tneed[n->inputs[0]] = 1;
    }
    free(tneed);
    *need_out = need;
    return 0;
}

/* tensors node ni's evaluation touches (allocates when not live): its data inputs, the
 * caches it reads or writes, its output; with eval 0 (a hook-only linear) just inputs[0] */
static int seqeval_touches(const ir_graph *g, int ni, int eval, int *ids) {
    const ir_node *n = &g->nodes[ni];
    int c = 0;
    if (!eval) {
        ids[c++] = n->inputs[0];
        return c;
    }
    for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) {
        const ir_tensor *t = &g->tensors[n->inputs[sl]];
        if (t->kind == IR_KIND_ACT || t->kind == IR_KIND_STATE) ids[c++] = n->inputs[sl];
    }
    if (n->output >= 0) ids[c++] = n->output;
    return c;
}

/* floats of the temporaries node n allocates per row while it runs (one lane at a time) */
static int64_t seqeval_temp_width(const ir_graph *g, const ir_node *n) {
    if (n->op == IR_OP_LINEAR_SWIGLU) return 2 * ir_tensor_elems(&g->tensors[n->output]);
    if (n->op == IR_OP_QKV) return (int64_t)(n->attrs.n_heads + 2 * n->attrs.n_kv_heads) * n->attrs.head_dim;
    return 0;
}

int64_t lmcc_eval_seq_bytes(const ir_graph *g, int64_t rows, int dual, int hook, int keep_logits) {
    int nt = g->n_tensors > 0 ? g->n_tensors : 1;
    int *last = malloc((size_t)nt * sizeof *last);
    char *live = calloc((size_t)nt, 1), *wread = calloc((size_t)nt, 1), *need = NULL;
    double fixed = (double)rows * (3 * sizeof(int) + sizeof(int64_t)), cur = 0, peak = 0;
    if (!last || !live || !wread || g->logits < 0 || g->logits >= g->n_tensors ||
        seqeval_plan(g, hook, keep_logits, &need)) {
        free(last), free(live), free(wread), free(need);
        return -1;
    }
    for (int i = 0; i < g->n_tensors; i++) last[i] = -1;
    for (int ni = 0; ni < g->n_nodes; ni++) { /* liveness and whole-read weights as seqeval_setup */
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) {
            int id = n->inputs[sl];
            last[id] = ni;
            if (g->tensors[id].kind == IR_KIND_WEIGHT && !seqeval_slot_special(n->op, sl) && !wread[id])
                wread[id] = 1, fixed += (double)ir_tensor_elems(&g->tensors[id]) * sizeof(float);
        }
        if (n->output >= 0 && ni > last[n->output]) last[n->output] = ni;
    }
    if (keep_logits) last[g->logits] = g->n_nodes;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        int eval = need[ni], ids[8], c = 0;
        if (eval || (hook && ir_op_table[n->op].linear)) c = seqeval_touches(g, ni, eval, ids);
        for (int i = 0; i < c; i++)
            if (!live[ids[i]]) {
                live[ids[i]] = 1;
                cur += (double)rows * (double)seqeval_width(&g->tensors[ids[i]]) * sizeof(float) * (dual ? 2 : 1);
            }
        double tmp = eval ? (double)rows * (double)seqeval_temp_width(g, n) * sizeof(float) : 0;
        if (cur + tmp > peak) peak = cur + tmp;
        for (int sl = -1; sl < ir_op_table[n->op].n_inputs; sl++) { /* seqeval_free_dead */
            int id = sl < 0 ? n->output : n->inputs[sl];
            if (id < 0 || last[id] != ni || !live[id]) continue;
            live[id] = 0;
            cur -= (double)rows * (double)seqeval_width(&g->tensors[id]) * sizeof(float) * (dual ? 2 : 1);
        }
    }
    free(last), free(live), free(wread), free(need);
    double b = fixed + peak;
    return b < 9e18 ? (int64_t)b : INT64_MAX;
}

/* a linear node: the reference lane with the weight as it is, then the hook, then the
 * main lane (the lanes only when eval: something after the node reads what it writes) */
static int seqeval_linear_node(seqeval *e, int ni, lmcc_eval_seq_hook hook, void *user, int eval) {
    const ir_graph *g = e->g;
    if (eval && e->n_lanes > 1 && seqeval_eval_node(e, &e->lane[1], ni)) return -1;
    if (hook) {
        int x = g->nodes[ni].inputs[0], w = g->nodes[ni].inputs[1];
        ir_tensor before = g->tensors[w];
        lmcc_eval_seq_view v = {ni, e->rows, seqeval_width(&g->tensors[x]), e->lane[0].buf[x],
                               e->n_lanes > 1 ? e->lane[1].buf[x] : NULL};
        if ((!v.x && !(v.x = seqeval_buf(e, &e->lane[0], x))) ||
            (e->n_lanes > 1 && !v.x_ref && !(v.x_ref = seqeval_buf(e, &e->lane[1], x))))
            return -1;
        if (!(v.x = seqeval_lin_x(e, &e->lane[0], ni, v.x, v.k))) return -1;
        if (hook(user, &v) != 0) return -2;
        const ir_tensor *t = &g->tensors[g->nodes[ni].inputs[1]];
        if (g->nodes[ni].inputs[1] != w || t->ndim != before.ndim ||
            memcmp(t->shape, before.shape, sizeof t->shape) != 0) {
            snprintf(e->err, e->errlen, "calibration: the hook changed the weight or the shape of node %d", ni);
            return -1;
        }
        if (seqeval_check_weight(e, w, ni)) return -1;
    }
    return eval ? seqeval_eval_node(e, &e->lane[0], ni) : 0;
}

int lmcc_eval_seq_run(ir_graph *g, const lmcc_eval_seqs *s, lmcc_eval_seq_hook hook, void *user,
                     const lmcc_eval_seq_opts *o, char *err, size_t errlen) {
    static const lmcc_eval_seq_opts defaults;
    seqeval e;
    memset(&e, 0, sizeof e);
    if (!o) o = &defaults;
    e.g = g, e.s = s, e.err = err, e.errlen = errlen;
    e.n_lanes = o->dual ? 2 : 1;
    e.threads = o->threads > 0 ? o->threads : 2;
    e.round_in = o->round_in;
    if (e.threads > SEQEVAL_MAX_THREADS) e.threads = SEQEVAL_MAX_THREADS;
    if (g->logits < 0 || g->logits >= g->n_tensors || g->tensors[g->logits].kind != IR_KIND_ACT) {
        snprintf(err, errlen, "calibration: the graph has no logits");
        return -1;
    }
    int n_live = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (g->nodes[ni].dead) continue;
        if (seqeval_check_node(&e, ni)) return -1;
        n_live++;
    }
    char *need = NULL;
    if (e.round_in && !(e.xq = calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), sizeof *e.xq))) {
        snprintf(err, errlen, "out of memory in the calibration forward");
        return -1;
    }
    if (seqeval_check_seqs(&e) || seqeval_rows_run(&e) || seqeval_setup(&e, o->logits != NULL)) {
        seqeval_release(&e);
        return -1;
    }
    if (seqeval_plan(g, hook != NULL, o->logits != NULL, &need)) {
        snprintf(err, errlen, "out of memory in the calibration forward");
        seqeval_release(&e);
        return -1;
    }
    int rc = 0, done = 0;
    for (int ni = 0; ni < g->n_nodes && rc == 0; ni++) {
        if (g->nodes[ni].dead) continue;
        if (ir_op_table[g->nodes[ni].op].linear) rc = seqeval_linear_node(&e, ni, hook, user, need[ni]);
        else
            for (int l = 0; l < e.n_lanes && rc == 0 && need[ni]; l++) rc = seqeval_eval_node(&e, &e.lane[l], ni);
        seqeval_free_dead(&e, ni);
        done++;
        if (o->progress && done * 10 / n_live != (done - 1) * 10 / n_live)
            fprintf(o->progress, "lmcc: calibration forward: %d%% (%d/%d nodes, %lld positions)\n",
                    done * 100 / n_live, done, n_live, (long long)e.rows);
    }
    if (rc == 0 && o->logits) {
        const float *lg = e.lane[0].buf[g->logits];
        if (lg) memcpy(o->logits, lg, (size_t)(e.rows * seqeval_width(&g->tensors[g->logits])) * sizeof *lg);
        else memset(o->logits, 0, (size_t)(e.rows * seqeval_width(&g->tensors[g->logits])) * sizeof *lg);
    }
    if (o->peak_bytes) *o->peak_bytes = (int64_t)e.peak;
    free(need);
    seqeval_release(&e);
    return rc == 0 ? 0 : -1;
}

/* ---- lockstep decoding ----------------------------------------------------- */

int64_t lmcc_eval_step_bytes(const ir_graph *g, int n_seqs, int max_len) {
    char *seen = calloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1), 1);
    double b = 0, tmp = 0;
    if (!seen) return -1;
    for (int ni = 0; ni < g->n_nodes; ni++) { /* persist: every buffer lives from its first use to the end */
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        int ids[8], c = seqeval_touches(g, ni, 1, ids);
        for (int i = 0; i < c; i++) {
            const ir_tensor *t = &g->tensors[ids[i]];
            if (seen[ids[i]]) continue;
            seen[ids[i]] = 1;
            b += (double)n_seqs * (t->kind == IR_KIND_STATE ? max_len : 1) * (double)seqeval_width(t) * sizeof(float);
        }
        for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) {
            const ir_tensor *t = &g->tensors[n->inputs[sl]];
            if (t->kind == IR_KIND_WEIGHT && !seqeval_slot_special(n->op, sl) && !seen[n->inputs[sl]])
                seen[n->inputs[sl]] = 1, b += (double)ir_tensor_elems(t) * sizeof(float);
        }
        double tw = (double)n_seqs * (double)seqeval_temp_width(g, n) * sizeof(float);
        if (tw > tmp) tmp = tw;
    }
    free(seen);
    b += tmp;
    return b < 9e18 ? (int64_t)b : INT64_MAX;
}

struct lmcc_eval_step {
    seqeval e;
    int n, max_len;
    int n_embed;   /* live EMBED nodes (their tables bound the tokens) */
    int64_t vocab; /* smallest embedding table */
};

void lmcc_eval_step_free(lmcc_eval_step *st) {
    if (!st) return;
    seqeval_release(&st->e);
    free(st);
}

lmcc_eval_step *lmcc_eval_step_new(const ir_graph *g, int n_seqs, int max_len, int threads, char *err, size_t errlen) {
    lmcc_eval_step *st = calloc(1, sizeof *st);
    if (!st) { snprintf(err, errlen, "out of memory in the calibration forward"); return NULL; }
    seqeval *e = &st->e;
    e->g = g, e->err = err, e->errlen = errlen;
    e->n_lanes = 1, e->persist = 1;
    e->threads = threads > 0 ? (threads < SEQEVAL_MAX_THREADS ? threads : SEQEVAL_MAX_THREADS) : 2;
    st->n = n_seqs, st->max_len = max_len, st->vocab = INT64_MAX;
    if (g->logits < 0 || g->logits >= g->n_tensors || g->tensors[g->logits].kind != IR_KIND_ACT) {
        snprintf(err, errlen, "calibration: the graph has no logits");
        goto fail;
    }
    if (n_seqs < 1 || max_len < 1 || (g->cfg.ctx > 0 && max_len > g->cfg.ctx)) {
        snprintf(err, errlen, "calibration: cannot decode %d sequences of %d positions (context %d)", n_seqs, max_len,
                 g->cfg.ctx);
        goto fail;
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        if (seqeval_check_node(e, ni)) goto fail;
        for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) {
            const ir_tensor *t = &g->tensors[n->inputs[sl]];
            if (ir_op_table[n->op].slot[sl] == IR_SLOT_CACHE && max_len > t->shape[1]) {
                snprintf(err, errlen, "calibration: %d positions, cache %s holds %lld", max_len, t->name,
                         (long long)t->shape[1]);
                goto fail;
            }
            if (ir_op_table[n->op].slot[sl] == IR_SLOT_ROWS) {
                st->n_embed++;
                if (t->shape[0] < st->vocab) st->vocab = t->shape[0];
            }
        }
    }
    e->rows = n_seqs, e->maxlen = max_len, e->cache_rows = (int64_t)n_seqs * max_len;
    if (seqeval_alloc_rows(e, n_seqs) || seqeval_setup(e, 1)) goto fail;
    for (int i = 0; i < n_seqs; i++) e->start[i] = (int64_t)i * max_len, e->seq[i] = i;
    return st;
fail:
    lmcc_eval_step_free(st);
    return NULL;
}

const float *lmcc_eval_step_next(lmcc_eval_step *st, const int *tokens, int pos, char *err, size_t errlen) {
    seqeval *e = &st->e;
    const ir_graph *g = e->g;
    e->err = err, e->errlen = errlen;
    if (pos < 0 || pos >= st->max_len) {
        snprintf(err, errlen, "calibration: position %d is outside [0, %d)", pos, st->max_len);
        return NULL;
    }
    for (int i = 0; i < st->n; i++) {
        if (st->n_embed && (tokens[i] < 0 || tokens[i] >= st->vocab)) {
            snprintf(err, errlen, "calibration: token %d (sequence %d, position %d) is out of range", tokens[i], i, pos);
            return NULL;
        }
        e->pos[i] = pos, e->tok[i] = tokens[i], e->crow[i] = e->start[i] + pos;
    }
    for (int ni = 0; ni < g->n_nodes; ni++)
        if (!g->nodes[ni].dead && seqeval_eval_node(e, &e->lane[0], ni)) return NULL;
    return seqeval_buf(e, &e->lane[0], g->logits);
}

/* ---- backward ------------------------------------------------------------- */

/* Gradients live in lane 1 (same layout as the values: [rows][width], caches
 * [cache_rows][width]); the forward keeps every value (persist). */

static float *seqgrad_buf(seqeval *e, int id) { return seqeval_buf(e, &e->lane[1], id); }

/* the weight of a linear as floats, transposed: a [k][n] F32 tensor for seqeval_matmul */
static float *seqgrad_wt(const ir_tensor *w, ir_tensor *wt) {
    int64_t n = w->shape[0], k = w->shape[1];
    float *row = malloc((size_t)k * sizeof *row), *tr = malloc((size_t)(n * k > 0 ? n * k : 1) * sizeof *tr);
    if (!row || !tr) { free(row), free(tr); return NULL; }
    size_t rb = ir_row_bytes(w->dtype, k);
    for (int64_t r = 0; r < n; r++) {
        lmrt_dequant_row(ir_dtype_lmrt_type(w->dtype), (const unsigned char *)w->data + (size_t)r * rb, row, k);
        for (int64_t i = 0; i < k; i++) tr[i * n + r] = row[i];
    }
    free(row);
    memset(wt, 0, sizeof *wt);
    wt->kind = IR_KIND_WEIGHT, wt->dtype = IR_DT_F32, wt->ndim = 2, wt->shape[0] = k, wt->shape[1] = n;
    wt->data = tr, wt->nbytes = (size_t)(n * k) * sizeof(float), wt->want_dtype = -1;
    return tr;
}

/* dx [rows][k] += dy [rows][n] W for the weight w [n][k] */
static int seqgrad_linear_dx(seqeval *e, float *dx, const float *dy, const ir_tensor *w) {
    ir_tensor wt;
    int64_t k = w->shape[1];
    float *tr = seqgrad_wt(w, &wt), *tmp = malloc((size_t)(e->rows * k > 0 ? e->rows * k : 1) * sizeof *tmp);
    int rc = -1;
    if (tr && tmp && seqeval_matmul(e, tmp, dy, &wt) == 0) {
        for (int64_t i = 0; i < e->rows * k; i++) dx[i] += tmp[i];
        rc = 0;
    }
    free(tr), free(tmp);
    if (rc) snprintf(e->err, e->errlen, "out of memory in the calibration backward");
    return rc;
}

static double seqgrad_dsilu(double v) {
    double s = 1.0 / (1.0 + exp(-v));
    return s * (1.0 + v * (1.0 - s));
}

/* dx += d(x / rms(x) * w)/dx . dy over cols-long pieces (w NULL: 1) */
static void seqgrad_norm(float *dx, const float *dy, const float *x, const float *w, int64_t n, int64_t cols,
                         float eps) {
    for (int64_t r = 0; r < n / cols; r++) {
        const float *xr = x + r * cols, *gr = dy + r * cols;
        double ss = 0, dot = 0;
        for (int64_t i = 0; i < cols; i++) ss += (double)xr[i] * xr[i];
        double inv = 1.0 / sqrt(ss / (double)cols + (double)eps);
        for (int64_t i = 0; i < cols; i++) dot += (double)gr[i] * (w ? w[i] : 1.0f) * xr[i];
        double c = dot * inv * inv * inv / (double)cols;
        for (int64_t i = 0; i < cols; i++)
            dx[r * cols + i] += (float)((double)gr[i] * (w ? w[i] : 1.0f) * inv - (double)xr[i] * c);
    }
}

/* the transpose of seqeval_rope (rotation by the opposite angle) */
static void seqgrad_rope_t(float *v, int n_heads, const ir_attrs *a, double *cs) {
    for (int i = 0; i < a->rope_dim / 2; i++) cs[2 * i + 1] = -cs[2 * i + 1];
    seqeval_rope(v, n_heads, a, cs);
}

typedef struct seqgrad_att {
    seqeval *e;
    const ir_attrs *a;
    const float *q, *kc, *vc, *dy;
    float *dq, *dk, *dv;
    int failed;
} seqgrad_att;

/* sequences t, t+nt, ...: each writes only its own rows and cache rows */
static void seqgrad_att_seqs(void *arg, int t, int nt) {
    seqgrad_att *at = arg;
    const seqeval *e = at->e;
    const ir_attrs *a = at->a;
    int hd = a->head_dim, group = a->n_heads / a->n_kv_heads;
    int64_t qw = (int64_t)a->n_heads * hd, kw = (int64_t)a->n_kv_heads * hd;
    double *sc = malloc((size_t)e->maxlen * sizeof *sc), *dp = malloc((size_t)e->maxlen * sizeof *dp);
    if (!sc || !dp) { at->failed = 1; free(sc), free(dp); return; }
    for (int64_t r = 0; r < e->rows; r++) {
        if (e->seq[r] % nt != t) continue;
        int p = e->pos[r];
        int64_t base = e->start[e->seq[r]];
        for (int h = 0; h < a->n_heads; h++) {
            int64_t ko = base * kw + (int64_t)(h / group) * hd;
            const float *qh = at->q + r * qw + (int64_t)h * hd, *kb = at->kc + ko, *vb = at->vc + ko;
            const float *gy = at->dy + r * qw + (int64_t)h * hd;
            float *dq = at->dq + r * qw + (int64_t)h * hd, *dk = at->dk + ko, *dv = at->dv + ko;
            double sum = seqeval_att_exp(sc, qh, kb, kw, hd, p, a->scale), pd = 0;
            for (int u = 0; u <= p; u++) {
                sc[u] /= sum;
                dp[u] = seqeval_dot(gy, vb + u * kw, hd);
                pd += sc[u] * dp[u];
            }
            for (int u = 0; u <= p; u++) {
                float ds = (float)(sc[u] * (dp[u] - pd) * (double)a->scale), pu = (float)sc[u];
                const float *ku = kb + u * kw;
                float *dku = dk + u * kw, *dvu = dv + u * kw;
                for (int i = 0; i < hd; i++) {
                    dq[i] += ds * ku[i];
                    dku[i] += ds * qh[i];
                    dvu[i] += pu * gy[i];
                }
            }
        }
    }
    free(sc), free(dp);
}

/* dL/dlogits of the next-token loss: softmax - onehot(next), zero at each sequence's last position;
 * with target probabilities p: softmax - p at every position (the gradient of KL(p || softmax)).
 * Returns the loss (with targets the cross-entropy sum_i -p_i log softmax_i, KL + the targets' entropy). */
static double seqgrad_seed(const seqeval *e, float *dl, const float *lg, int64_t V, const float *target) {
    double loss = 0;
    for (int64_t r = 0; r < e->rows; r++) {
        float *d = dl + r * V;
        const float *l = lg + r * V;
        if (!target && (r + 1 >= e->rows || e->seq[r + 1] != e->seq[r])) {
            memset(d, 0, (size_t)V * sizeof *d);
            continue;
        }
        float mx = -HUGE_VALF;
        double sum = 0;
        for (int64_t i = 0; i < V; i++) mx = l[i] > mx ? l[i] : mx;
        for (int64_t i = 0; i < V; i++) sum += d[i] = expf(l[i] - mx);
        double lse = (double)mx + log(sum); /* log softmax = l - lse */
        float inv = (float)(1.0 / sum);
        for (int64_t i = 0; i < V; i++) d[i] *= inv;
        if (!target) {
            int nx = e->tok[r + 1];
            if (nx >= 0 && nx < V) d[nx] -= 1.0f, loss += lse - l[nx];
            continue;
        }
        const float *p = target + r * V;
        double pl = 0;
        for (int64_t i = 0; i < V; i++) d[i] -= p[i], pl += (double)p[i] * l[i];
        loss += lse - pl;
    }
    return loss;
}

/* one node backward: dy of its output into the gradients of its ACT/STATE inputs */
static int seqgrad_node(seqeval *e, int ni, lmcc_eval_grad_fn fn, void *user) {
    const ir_graph *g = e->g;
    const ir_node *n = &g->nodes[ni];
    const ir_attrs *a = &n->attrs;
    seqeval_lane *v = &e->lane[0];
    int64_t rows = e->rows, ne = n->output >= 0 ? ir_tensor_elems(&g->tensors[n->output]) : 0;
    const float *dy = n->output >= 0 ? seqgrad_buf(e, n->output) : NULL;
    int in0 = n->inputs[0];
    int act0 = g->tensors[in0].kind == IR_KIND_ACT;
    if (n->output >= 0 && !dy) return -1;
    switch (n->op) {
    case IR_OP_EMBED:
        return 0;
    case IR_OP_RMSNORM: case IR_OP_NORMALIZE: {
        float *dx = act0 ? seqgrad_buf(e, in0) : NULL;
        int64_t sw;
        const float *w = n->op == IR_OP_RMSNORM ? seqeval_in(e, v, n->inputs[1], &sw) : NULL;
        if (!act0) return 0;
        if (!dx || (n->op == IR_OP_RMSNORM && (!w || sw != 0))) return -1; /* rmsnorm scale: a weight */
        for (int64_t r = 0; r < rows; r++)
            seqgrad_norm(dx + r * ne, dy + r * ne, v->buf[in0] + r * ne, w, ne, seqeval_cols(&g->tensors[in0]),
                         a->eps);
        return 0;
    }
    case IR_OP_QUANTIZE: case IR_OP_TAKE_LAST: {
        float *dx = act0 ? seqgrad_buf(e, in0) : NULL;
        if (!act0) return 0;
        if (!dx) return -1;
        for (int64_t i = 0; i < rows * ne; i++) dx[i] += dy[i];
        return 0;
    }
    case IR_OP_HADAMARD: { /* y = T [x; 0] with T symmetric orthogonal: dx = the first K of T dy */
        float *dx = act0 ? seqgrad_buf(e, in0) : NULL;
        int64_t k = ir_tensor_elems(&g->tensors[in0]);
        float *t = malloc((size_t)(ne > 0 ? ne : 1) * sizeof *t);
        if (!act0) { free(t); return 0; }
        if (!dx || !t) { free(t); snprintf(e->err, e->errlen, "out of memory in the calibration backward"); return -1; }
        for (int64_t r = 0; r < rows; r++) {
            lmrt_hadamard_row(t, dy + r * ne, (int)ne, (int)ne, a->block, (float)(1.0 / sqrt((double)a->block)));
            for (int64_t i = 0; i < k; i++) dx[r * k + i] += t[i];
        }
        free(t);
        return 0;
    }
    case IR_OP_LINEAR: case IR_OP_LINEAR_ADD: case IR_OP_LINEAR_SWIGLU: case IR_OP_QKV: {
        const ir_tensor *w = &g->tensors[n->inputs[1]];
        int64_t nw = w->shape[0], k = w->shape[1];
        /* what the weight multiplied (the rounded input: the rounding's own gradient is taken as 1) */
        const float *x = e->xq && e->xq[ni] ? e->xq[ni] : v->buf[in0];
        float *dmm = malloc((size_t)(rows * nw > 0 ? rows * nw : 1) * sizeof *dmm);
        if (!dmm || !x) { free(dmm); snprintf(e->err, e->errlen, "out of memory in the calibration backward"); return -1; }
        if (n->op == IR_OP_LINEAR || n->op == IR_OP_LINEAR_ADD) memcpy(dmm, dy, (size_t)(rows * nw) * sizeof *dmm);
        if (n->op == IR_OP_LINEAR_ADD && g->tensors[n->inputs[2]].kind == IR_KIND_ACT) {
            float *dr = seqgrad_buf(e, n->inputs[2]);
            if (!dr) { free(dmm); return -1; }
            for (int64_t i = 0; i < rows * ne; i++) dr[i] += dy[i];
        }
        if (n->op == IR_OP_LINEAR_SWIGLU) { /* the product again: the forward kept only silu(gate) * up */
            if (seqeval_matmul(e, dmm, x, w)) { free(dmm); return -1; }
            for (int64_t r = 0; r < rows; r++) {
                float *m = dmm + r * nw;
                for (int64_t i = 0; i < ne; i++) {
                    double gt = m[i], up = m[ne + i], d = dy[r * ne + i];
                    m[i] = (float)(d * up * seqgrad_dsilu(gt));
                    m[ne + i] = (float)(d * seqeval_silu(gt));
                }
            }
        }
        if (n->op == IR_OP_QKV) {
            int64_t hd = a->head_dim, nq = (int64_t)a->n_heads * hd, kw = (int64_t)a->n_kv_heads * hd;
            const float *dk = seqgrad_buf(e, n->inputs[3]), *dv = seqgrad_buf(e, n->inputs[4]);
            double *cs = malloc((size_t)hd * sizeof *cs);
            if (!dk || !dv || !cs) { free(dmm), free(cs); return -1; }
            for (int64_t r = 0; r < rows; r++) {
                float *m = dmm + r * nw;
                memcpy(m, dy + r * nq, (size_t)nq * sizeof *m);
                memcpy(m + nq, dk + e->crow[r] * kw, (size_t)kw * sizeof *m);
                memcpy(m + nq + kw, dv + e->crow[r] * kw, (size_t)kw * sizeof *m);
                seqeval_rope_angles(cs, a, e->pos[r]);
                seqgrad_rope_t(m, a->n_heads, a, cs);
                seqeval_rope_angles(cs, a, e->pos[r]);
                seqgrad_rope_t(m + nq, a->n_kv_heads, a, cs);
            }
            free(cs);
        }
        int rc = fn ? fn(user, ni, rows, nw, dmm, x, k) : 0;
        if (rc) { free(dmm); return rc; }
        float *dx = act0 ? seqgrad_buf(e, in0) : NULL;
        rc = dx ? seqgrad_linear_dx(e, dx, dmm, w) : -1;
        free(dmm);
        return rc;
    }
    case IR_OP_ROPE: {
        float *dx = seqgrad_buf(e, in0);
        double *cs = malloc((size_t)a->head_dim * sizeof *cs);
        if (!dx || !cs) { free(cs); return -1; }
        float *tmp = malloc((size_t)ne * sizeof *tmp);
        if (!tmp) { free(cs); return -1; }
        for (int64_t r = 0; r < rows; r++) {
            memcpy(tmp, dy + r * ne, (size_t)ne * sizeof *tmp);
            seqeval_rope_angles(cs, a, e->pos[r]);
            seqgrad_rope_t(tmp, a->n_heads, a, cs);
            for (int64_t i = 0; i < ne; i++) dx[r * ne + i] += tmp[i];
        }
        free(cs), free(tmp);
        return 0;
    }
    case IR_OP_KV_STORE: {
        int64_t kw = seqeval_width(&g->tensors[n->inputs[1]]);
        const float *dc = seqgrad_buf(e, n->inputs[1]);
        float *dx = seqgrad_buf(e, in0);
        if (!dc || !dx) return -1;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < kw; i++) dx[r * kw + i] += dc[e->crow[r] * kw + i];
        return 0;
    }
    case IR_OP_ATTENTION: {
        seqgrad_att at = {e, a, v->buf[in0], v->buf[n->inputs[1]], v->buf[n->inputs[2]], dy,
                          seqgrad_buf(e, in0), seqgrad_buf(e, n->inputs[1]), seqgrad_buf(e, n->inputs[2]), 0};
        if (!at.q || !at.kc || !at.vc || !at.dq || !at.dk || !at.dv) return -1;
        int ns = e->s->n;
        seqeval_parallel(seqgrad_att_seqs, &at, ns < e->threads ? ns : e->threads);
        if (at.failed) { snprintf(e->err, e->errlen, "out of memory in the calibration backward"); return -1; }
        return 0;
    }
    case IR_OP_ADD: case IR_OP_MUL: case IR_OP_SWIGLU: case IR_OP_SILU: case IR_OP_SOFTMAX: {
        int nin = ir_op_table[n->op].n_inputs;
        for (int sl = 0; sl < nin; sl++) {
            int id = n->inputs[sl];
            if (g->tensors[id].kind != IR_KIND_ACT) continue;
            float *dx = seqgrad_buf(e, id);
            int64_t s0, s1 = 0;
            const float *x0 = seqeval_in(e, v, n->inputs[0], &s0);
            const float *x1 = nin > 1 ? seqeval_in(e, v, n->inputs[1], &s1) : NULL;
            if (!dx || !x0 || (nin > 1 && !x1)) return -1;
            if (n->op == IR_OP_SOFTMAX) {
                const float *y = v->buf[n->output];
                int64_t cols = seqeval_cols(&g->tensors[in0]);
                for (int64_t r = 0; r < rows * ne / cols; r++) {
                    double dot = 0;
                    for (int64_t i = 0; i < cols; i++) dot += (double)dy[r * cols + i] * y[r * cols + i];
                    for (int64_t i = 0; i < cols; i++)
                        dx[r * cols + i] += (float)((double)y[r * cols + i] * ((double)dy[r * cols + i] - dot));
                }
                continue;
            }
            for (int64_t r = 0; r < rows; r++)
                for (int64_t i = 0; i < ne; i++) {
                    double d = dy[r * ne + i], p = x0[r * s0 + i], q = x1 ? x1[r * s1 + i] : 0, gr = d;
                    if (n->op == IR_OP_MUL) gr = sl == 0 ? d * q : d * p;
                    else if (n->op == IR_OP_SILU) gr = d * seqgrad_dsilu(p);
                    else if (n->op == IR_OP_SWIGLU) gr = sl == 0 ? d * q * seqgrad_dsilu(p) : d * seqeval_silu(p);
                    dx[r * ne + i] += (float)gr;
                }
        }
        return 0;
    }
    case IR_OP_COUNT: /* not an op: seqeval_check_node accepts none (no default: -Wswitch asks for every op) */
        break;
    }
    snprintf(e->err, e->errlen, "calibration backward: node %d has no op", ni);
    return -1;
}

/* 1 (err set) when a tensor is written by two nodes or a node writes one of its inputs */
static int seqgrad_check(seqeval *e) {
    const ir_graph *g = e->g;
    int *writer = malloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1) * sizeof *writer);
    if (!writer) { snprintf(e->err, e->errlen, "out of memory in the calibration backward"); return -1; }
    for (int i = 0; i < g->n_tensors; i++) writer[i] = -1;
    int rc = 0;
    for (int ni = 0; ni < g->n_nodes && rc == 0; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead || (unsigned)n->op >= IR_OP_COUNT) continue;
        int outs[1 + IR_MAX_INPUTS], nw = seqeval_writes(n, outs);
        for (int j = 0; j < nw && rc == 0; j++) {
            int o = outs[j];
            if (writer[o] >= 0) rc = 1;
            for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++)
                if (n->inputs[sl] == o && o == n->output) rc = 1; /* a cache is written where it is read */
            writer[o] = ni;
        }
        if (rc) snprintf(e->err, e->errlen, "calibration backward: node %d (%s) rewrites a tensor", ni,
                         ir_op_table[n->op].name);
    }
    free(writer);
    return rc;
}

double lmcc_eval_seq_backward_bytes(const ir_graph *g, const lmcc_eval_seqs *s) {
    double rows = 0, w = 0;
    for (int i = 0; i < s->n; i++) rows += s->len[i];
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (!t->dead && (t->kind == IR_KIND_ACT || t->kind == IR_KIND_STATE)) w += (double)seqeval_width(t);
    }
    return 2.0 * 4.0 * rows * w;
}

int lmcc_eval_seq_backward(ir_graph *g, const lmcc_eval_seqs *s, lmcc_eval_grad_fn fn, void *user, int threads, char *err,
                          size_t errlen) {
    lmcc_eval_grad_opts o;
    memset(&o, 0, sizeof o);
    o.threads = threads;
    return lmcc_eval_seq_backward_ex(g, s, fn, user, &o, err, errlen);
}

int lmcc_eval_seq_backward_ex(ir_graph *g, const lmcc_eval_seqs *s, lmcc_eval_grad_fn fn, void *user,
                             const lmcc_eval_grad_opts *o, char *err, size_t errlen) {
    int threads = o ? o->threads : 0;
    const float *target = o ? o->target : NULL;
    seqeval e;
    memset(&e, 0, sizeof e);
    e.g = g, e.s = s, e.err = err, e.errlen = errlen;
    e.n_lanes = 2, e.persist = 1;
    e.threads = threads > 0 ? (threads < SEQEVAL_MAX_THREADS ? threads : SEQEVAL_MAX_THREADS) : 2;
    e.round_in = o ? o->round_in : NULL;
    if (g->logits < 0 || g->logits >= g->n_tensors || g->tensors[g->logits].kind != IR_KIND_ACT) {
        snprintf(err, errlen, "calibration: the graph has no logits");
        return -1;
    }
    for (int ni = 0; ni < g->n_nodes; ni++)
        if (!g->nodes[ni].dead && seqeval_check_node(&e, ni)) return -1;
    int rc = seqgrad_check(&e);
    if (rc) return rc;
    if (e.round_in && !(e.xq = calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), sizeof *e.xq))) {
        snprintf(err, errlen, "out of memory in the calibration backward");
        return -1;
    }
    if (seqeval_check_seqs(&e) || seqeval_rows_run(&e) || seqeval_setup(&e, 1)) {
        seqeval_release(&e);
        return -1;
    }
    for (int ni = 0; ni < g->n_nodes && rc == 0; ni++)
        if (!g->nodes[ni].dead) rc = seqeval_eval_node(&e, &e.lane[0], ni);
    int64_t V = seqeval_width(&g->tensors[g->logits]);
    float *dl = rc == 0 ? seqgrad_buf(&e, g->logits) : NULL;
    if (rc == 0 && !dl) rc = -1;
    if (rc == 0) {
        double loss = seqgrad_seed(&e, dl, e.lane[0].buf[g->logits], V, target);
        if (o && o->loss) *o->loss = loss;
        if (o && o->logits) memcpy(o->logits, e.lane[0].buf[g->logits], (size_t)(e.rows * V) * sizeof(float));
    }
    for (int ni = g->n_nodes - 1; ni >= 0 && rc == 0; ni--) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        rc = seqgrad_node(&e, ni, fn, user);
        /* a gradient is complete once its producer ran backward */
        if (n->output >= 0) free(e.lane[1].buf[n->output]), e.lane[1].buf[n->output] = NULL;
    }
    seqeval_release(&e);
    return rc;
}
