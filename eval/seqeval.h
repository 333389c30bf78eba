/* seqeval.h - sequence-batched graph evaluation for calibration.
 *
 * The reference interpreter runs the graph one token at a time, so every
 * linear streams (and dequantizes) its whole weight once per token: on a
 * 1.1B model a few hundred calibration tokens take far too long.  Here the
 * graph runs node by node over ALL positions of ALL calibration sequences at
 * once: every activation is a [rows][elems] matrix (rows = total positions,
 * sequence 0 first, positions in order), every linear a matrix product that
 * dequantizes each weight row once.  Because a node sees every row before the
 * next node runs, a quantizer can replace a layer's weight before the layers
 * after it are evaluated (sequential GPTQ: later layers calibrate on the
 * activations of the already-quantized model).
 *
 * Math as lmcc_interp_step teacher-forced over each sequence (a fresh KV cache
 * per sequence: position p of sequence i attends to positions 0..p of
 * sequence i), with float accumulation in the products, so the results agree
 * with the interpreter to rounding, not bit for bit.
 */
#ifndef LMCC_SEQEVAL_H
#define LMCC_SEQEVAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "calib.h" /* lmcc_eval_seqs */

typedef struct lmcc_eval_seq_view {
    int node;            /* the linear-family node about to be evaluated (LINEAR, LINEAR_ADD, LINEAR_SWIGLU, QKV) */
    int64_t rows, k;     /* rows = total positions of all sequences (sequence 0 first, positions in order) */
    const float *x;      /* [rows][k] the node's input (inputs[0]) in the evaluated (possibly quantized) model */
    const float *x_ref;  /* [rows][k] the same input in the float model (dual mode), else NULL */
} lmcc_eval_seq_view;

/* Called before each linear-family node is evaluated (x and x_ref valid for
 * the call only).  It may replace that node's weight, g->tensors[node.inputs[1]]
 * (data / owned / dtype / nbytes; same shape, not tiled; freeing the old owned
 * bytes is the hook's business); the main lane then evaluates the node with
 * the new weight.  It must not add nodes.  Returns 0, or -1 to stop the run:
 * lmcc_eval_seq_run then returns -1 and leaves err untouched (the hook reports
 * its own reason). */
typedef int (*lmcc_eval_seq_hook)(void *user, const lmcc_eval_seq_view *v);

typedef struct lmcc_eval_seq_opts {
    int dual;            /* also run a float "reference lane": each linear evaluated with the weight as it was
                            BEFORE the hook ran, so x_ref is the unquantized model's activation (a weight read by
                            several linears is seen by each as it is when that node runs) */
    int threads;         /* 0 -> 2 */
    FILE *progress;      /* a line per ~10% of nodes when not NULL */
    float *logits;       /* optional [rows][vocab]: the main lane's logits (g->logits); without them the run
                            evaluates only what reaches a linear's input (with a hook), so the output layer's
                            [rows][vocab] product is never formed */
    int64_t *peak_bytes; /* optional out: the most bytes the run's buffers held at once (lmcc_eval_seq_bytes
                            estimates it beforehand) */
    const unsigned char *round_in; /* optional [g->n_nodes]: 1 for a linear-family node whose input the main lane
                            rounds as q8a blocks (the int8 activations the compiled model will use) before the
                            product and before the hook sees it; the reference lane stays float */
} lmcc_eval_seq_opts;

/* Evaluates g over the sequences s, calling hook (may be NULL) before every
 * linear-family node.  o may be NULL (defaults).  Supports every op the
 * interpreter does and the weight dtypes lmrt_dequant_row reads; tiled
 * weights (tile_rows > 1) are rejected (calibrate before the tile pass).
 * Every sequence must fit the context and the KV caches, every token the
 * embedding table.  Memory: an activation lives from its producer to its
 * last reader; the KV caches hold [rows][n_kv * head_dim] per layer.
 * Returns 0, or -1 with err set (except when the hook stops the run). */
int lmcc_eval_seq_run(ir_graph *g, const lmcc_eval_seqs *s, lmcc_eval_seq_hook hook, void *user,
                     const lmcc_eval_seq_opts *o, char *err, size_t errlen);

/* Estimated peak bytes of lmcc_eval_seq_run over `rows` positions: the live
 * [rows][width] activations and KV caches (both lanes when dual) at the worst
 * node plus that node's temporaries (LINEAR_SWIGLU's and QKV's products), the
 * whole-read weights and the row arrays; nodes are skipped as the run skips
 * them (with keep_logits 0 nothing feeding only the logits is evaluated, so
 * the [rows][vocab] output product is not counted).  Excludes what the hook
 * allocates and the weights themselves.  -1 when out of memory. */
int64_t lmcc_eval_seq_bytes(const ir_graph *g, int64_t rows, int dual, int hook, int keep_logits);

/* Lockstep incremental decoding (sampling from the model): n_seqs sequences
 * advance together one position per call, each with its own KV cache, every
 * linear one matrix product over the n_seqs rows (each weight panel
 * dequantized once per step for all of them).  Same ops, kernels and
 * roundings as lmcc_eval_seq_run, so a sequence's logits at position p are
 * those of a whole run over its tokens 0..p (bit for bit in practice; the
 * interpreter's to rounding), whatever the thread count.
 * Memory: the KV caches, n_seqs x max_len x n_kv * head_dim floats per
 * cache; the activations of one step.
 *
 * lmcc_eval_step_new: g (not copied: it must outlive the state and not change
 * under it) is checked as lmcc_eval_seq_run checks it; max_len may not pass
 * the context or any cache.  threads 0 -> 2.  NULL with err set.
 * lmcc_eval_step_next: tokens[n_seqs] at position pos, the same for every
 * sequence; positions are meant to be fed in order 0, 1, ... (as the
 * interpreter, attention reads cache positions 0..pos as they were last
 * written, zeros before).  Returns the logits [n_seqs][elements of
 * g->logits], owned by the state and valid until the next call, or NULL
 * with err set (a bad token or position changes nothing; a failure while
 * evaluating may leave the caches half-written). */
typedef struct lmcc_eval_step lmcc_eval_step;
lmcc_eval_step *lmcc_eval_step_new(const ir_graph *g, int n_seqs, int max_len, int threads, char *err, size_t errlen);
const float *lmcc_eval_step_next(lmcc_eval_step *st, const int *tokens, int pos, char *err, size_t errlen);
void lmcc_eval_step_free(lmcc_eval_step *st);
/* its estimated peak bytes: every activation for n_seqs rows, the caches for n_seqs x max_len, the largest temporary */
int64_t lmcc_eval_step_bytes(const ir_graph *g, int n_seqs, int max_len);

/* Backward pass of a whole run (the float model as it is): the loss is
 * L = sum over positions p < len-1 of every sequence of -log softmax(logits at p)[ids[p+1]]
 * (the next token's negative log-likelihood; with sequences sampled from the
 * model itself, outer products of these gradients are an unbiased estimate of
 * the Fisher).  fn is called once per live linear-family node, in reverse
 * graph order, with dy = dL/d(the node's matrix product output) [rows][n]
 * (n = the weight's rows: for LINEAR_SWIGLU gate and up, for QKV q, k and v
 * before rope) and x, its input [rows][k]; both valid for the call only.
 * Supports the ops of llama graphs (embed, rmsnorm, normalize, the four
 * linears, rope, kv_store, attention, add, mul, silu, swiglu, softmax,
 * take_last; quantize is passed straight through).  Memory: every activation
 * of the run is kept (plus one gradient per live tensor).  Returns 0, 1 when
 * the graph is not supported (a tensor written twice or in place; err says
 * why), -1 with err set (out of memory), or fn's nonzero return. */
typedef int (*lmcc_eval_grad_fn)(void *user, int node, int64_t rows, int64_t n, const float *dy, const float *x,
                               int64_t k);
int lmcc_eval_seq_backward(ir_graph *g, const lmcc_eval_seqs *s, lmcc_eval_grad_fn fn, void *user, int threads, char *err,
                          size_t errlen);
/* The same with options: a soft-target loss (knowledge distillation: the
 * quantized model against the float model's next-token distributions),
 * the loss value and the logits of the forward. */
typedef struct lmcc_eval_grad_opts {
    int threads;          /* 0 -> 2 */
    const float *target;  /* NULL: the next-token NLL above; else [rows][vocab] probabilities p, one row per
                             position of s in run order: L = sum over EVERY position of KL(p || softmax(logits)),
                             dL/dlogits = softmax(logits) - p */
    double *loss;         /* when not NULL: L (with target: the cross-entropy, L + sum of the targets' entropies) */
    float *logits;        /* when not NULL: [rows][vocab] the forward's logits */
    const unsigned char *round_in; /* as lmcc_eval_seq_opts.round_in: the forward rounds those inputs, the backward
                            takes the rounding's gradient as 1 (straight through) and gives fn the rounded x */
} lmcc_eval_grad_opts;
int lmcc_eval_seq_backward_ex(ir_graph *g, const lmcc_eval_seqs *s, lmcc_eval_grad_fn fn, void *user,
                             const lmcc_eval_grad_opts *o, char *err, size_t errlen);
/* bytes lmcc_eval_seq_backward would keep for s (an estimate, for a memory cap; without round_in's
 * rounded inputs, one [rows][k] per rounded linear) */
double lmcc_eval_seq_backward_bytes(const ir_graph *g, const lmcc_eval_seqs *s);

#endif
