/* seqeval_int.h - the batched evaluator's state and the pieces its files share (not an API:
 * included by eval/seqeval*.c only).
 *  seqeval_mm.c        threads and the matrix product (panels of dequantized weight rows)
 *  seqeval.c           the checks, the ops, the whole run (lmcc_eval_seq_run) and its memory plan
 *  seqeval_step.c      lockstep decoding (lmcc_eval_step_*)
 *  seqeval_backward.c  the backward pass (lmcc_eval_seq_backward*)
 *
 * Layout: every ACT tensor is a [rows][elems] float buffer (q8a activations
 * hold their emulated values, as in the interpreter); a KV cache tensor is
 * [cache_rows][n_kv * head_dim], row r's key/value going to cache row crow[r]
 * and sequence i's positions 0.. being cache rows start[i], start[i]+1, ...
 * A whole run (lmcc_eval_seq_run) has one row per position of every sequence
 * and the cache rows are the rows (crow[r] = r); a lockstep state
 * (lmcc_eval_step) has one row per sequence, all at the same position, and
 * max_len cache rows per sequence that persist from step to step; the backward
 * keeps every value of a whole run and its gradients in a second lane.
 * Weights read by linears and embed are dequantized in panels as they are
 * used; other weights (norm scales) once, whole. */
#ifndef LMCC_EVAL_SEQEVAL_INT_H
#define LMCC_EVAL_SEQEVAL_INT_H

#include <math.h>
#include <string.h>

#include "seqeval.h"

#define SEQEVAL_MAX_THREADS 16

/* the thread count of a request (0 -> 2) */
static inline int seqeval_threads(int t) { return t > 0 ? (t < SEQEVAL_MAX_THREADS ? t : SEQEVAL_MAX_THREADS) : 2; }

typedef float seqeval_v4f __attribute__((vector_size(16)));

static inline seqeval_v4f seqeval_ld4(const float *p) { seqeval_v4f v; memcpy(&v, p, sizeof v); return v; }
static inline float seqeval_hsum(seqeval_v4f v) { return (v[0] + v[1]) + (v[2] + v[3]); }

static inline float seqeval_dot(const float *a, const float *b, int64_t n) {
    seqeval_v4f s = {0};
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) s += seqeval_ld4(a + j) * seqeval_ld4(b + j);
    float r = seqeval_hsum(s);
    for (; j < n; j++) r += a[j] * b[j];
    return r;
}

static inline int64_t seqeval_cols(const ir_tensor *t) { return t->ndim > 0 ? t->shape[t->ndim - 1] : 1; }

/* floats per row of an ACT (its elements) or a KV cache (n_kv * head_dim) */
static inline int64_t seqeval_width(const ir_tensor *t) {
    return t->kind == IR_KIND_STATE ? t->shape[0] * t->shape[2] : ir_tensor_elems(t);
}

static inline double seqeval_silu(double v) { return v / (1.0 + exp(-v)); }

/* GELU, tanh form: v/2 (1 + tanh(c (v + a v^3))), and its derivative */
#define SEQEVAL_GELU_C 0.7978845608028654 /* sqrt(2/pi) */
#define SEQEVAL_GELU_A 0.044715
static inline double seqeval_gelu(double v) {
    return 0.5 * v * (1.0 + tanh(SEQEVAL_GELU_C * (v + SEQEVAL_GELU_A * v * v * v)));
}
static inline double seqeval_dgelu(double v) {
    double t = tanh(SEQEVAL_GELU_C * (v + SEQEVAL_GELU_A * v * v * v));
    return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * SEQEVAL_GELU_C * (1.0 + 3.0 * SEQEVAL_GELU_A * v * v);
}

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
    seqeval_lane lane[2]; /* 0: main, 1: reference (dual) or the gradients (backward) */
    int n_lanes, threads;
    double bytes, peak; /* the run's row buffers now and at most (with temporaries): lmcc_eval_seq_opts.peak_bytes */
    const unsigned char *round_in; /* [nodes] 1: the main lane's linear input rounded as q8a (lmcc_eval_seq_opts) */
    float **xq;       /* [nodes] those rounded inputs [rows][k] (kept for the backward) */
    char *err;
    size_t errlen;
} seqeval;

/* ---- seqeval_mm.c ---- */
/* fn(arg, t, nt) for every t < nt, on nt threads (on this one for any thread that fails to start) */
void seqeval_parallel(void (*fn)(void *, int, int), void *arg, int nt);
/* y[rows][n] = x[rows][k] * W^T for the weight tensor w [n][k] (checked readable); -1 out of memory */
int seqeval_matmul(seqeval *e, float *y, const float *x, const ir_tensor *w);

/* ---- seqeval.c ---- */
/* rotates the first rope_dim dims of each of n_heads heads of v in place by the rope rows cs
 * ({cos, sin} per pair; sign -1: the opposite angles, the transpose) */
void seqeval_rope(float *v, int n_heads, const ir_attrs *a, const float *cs, int sign);
/* the first position a query at position p sees (attention's window) */
static inline int seqeval_att_lo(const ir_attrs *a, int p) {
    return a->window > 0 && p - a->window + 1 > 0 ? p - a->window + 1 : 0;
}
/* sc[u] = exp(s_u - max s) for the attention scores of cache rows u = lo..p (a's scale and
 * softcap); dcap (NULL: not wanted) [u] = ds_u / d(scale q.k_u), the softcap's slope; returns
 * the sum of sc */
double seqeval_att_exp(double *sc, double *dcap, const float *qh, const float *kb, int64_t kw, int hd, int lo, int p,
                       const ir_attrs *a);
/* slots that are not [rows][elems] data: streamed weights, KV caches, the token */
int seqeval_slot_special(ir_opcode op, int slot);
/* node ni accepted by its op's rule, with weights the evaluator reads; -1 with err */
int seqeval_check_node(seqeval *e, int ni);
/* e->s fits the graph: positions, caches, tokens; -1 with err */
int seqeval_check_seqs(seqeval *e);
/* row buffer of ACT/STATE tensor id in lane l (zeros until written); NULL out of memory */
float *seqeval_buf(seqeval *e, seqeval_lane *l, int id);
/* rows of data input id and their stride (0: a weight, the same for every row) */
const float *seqeval_in(seqeval *e, seqeval_lane *l, int id, int64_t *stride);
/* evaluates node ni over every row in lane l; -1 with err */
int seqeval_eval_node(seqeval *e, seqeval_lane *l, int ni);
/* the row arrays for n_seqs sequences (rows already set); a whole run's rows from e->s */
int seqeval_alloc_rows(seqeval *e, int n_seqs);
int seqeval_rows_run(seqeval *e);
/* liveness and the whole-read weights (keep_logits: the logits live to the end) */
int seqeval_setup(seqeval *e, int keep_logits);
void seqeval_release(seqeval *e);
/* tensors node n writes (its output, a side effect's caches), into ids[1 + IR_MAX_INPUTS]; returns how many */
int seqeval_writes(const ir_node *n, int *ids);
/* tensors node ni's evaluation touches (all when eval, else its input 0), into ids[1 + IR_MAX_INPUTS] */
int seqeval_touches(const ir_graph *g, int ni, int eval, int *ids);
/* floats of the temporaries node n allocates per row while it runs */
int64_t seqeval_temp_width(const ir_graph *g, const ir_node *n);

#endif
