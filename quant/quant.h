/* quant.h - the weight quantization algorithms: they choose the
 * quantized values; the block formats themselves are runtime-min/lmrt_quant.h's.
 *
 *  rtn   per block, the scale (and min) with the least squared error over a
 *        grid of clip ratios, refined by least squares
 *  awq   per-input-channel scales s = mean|x|^alpha folded into the float
 *        graph before fold_norm (the pass lmcc_quant_awq), then rtn
 *  gptq  column by column with the inverse Hessian of the calibration inputs,
 *        the error of each column spread over the rest; lmcc_quant_weights runs
 *        it layer by layer over the batched evaluator (seqeval.h), each layer
 *        on the already-quantized layers' outputs and, for small matrices, first
 *        refit toward the float model's output
 * cfg.quant == IR_QUANT_PLAIN leaves everything to weightfmt's absmax rounding. */
#ifndef LMCC_QUANT_H
#define LMCC_QUANT_H

#include <stdint.h>

#include "ir.h"
#include "calib.h"

/* a block format the quantizers write: value = lev[q] * d (+ m when asym) */
typedef struct lmcc_quant_fmt {
    ir_dtype dt;
    int group, block_bytes;
    int nlev;           /* 16, 32 (q5_0/q5_1) or 255 */
    int uniform;        /* lev[q] = q - zero */
    int zero;           /* q4: 8, q5_0: 16, q8: 127 (stored as int8 q - 127), q4_1/q5_1: 0 */
    int asym;           /* q4_1/q5_1: {f16 d, f16 m}, q in 0..nlev-1, value d q + m */
    int nf4;            /* lev[q] = lmrt_nf4_value(q) */
    int simd;           /* 1: the fit and gptq may use the CPU's SIMD (AVX2 + FMA on x86-64, chosen at
                         * run time), 0: the generic vector code only (lmcc_quant_fmt_get: 1 unless
                         * LMCC_QUANT_GENERIC=1; the fit gives the same bits either way, gptq not) */
    int refine;         /* gptq: rounds of coordinate descent and scale re-solving after the column pass
                         * (lmcc_quant_fmt_get: 1; 0 = textbook GPTQ); skipped above rows k^2 = 4e9 */
} lmcc_quant_fmt;

/* 0 and *f filled if the quantizers write dtype dt, else -1 */
int lmcc_quant_fmt_get(ir_dtype dt, lmcc_quant_fmt *f);

/* X^T X / rows of a's recorded inputs as a k x k double matrix (malloc'd), NULL on no memory */
double *lmcc_quant_hessian(const lmcc_eval_calib_act *a);

/* one block's parameters */
typedef struct lmcc_quant_params { float d, m; } lmcc_quant_params;

/* least-squares-error parameters for n <= group values x, each weighted by
 * imp (NULL: 1); the returned d and m are exactly representable in f16 */
lmcc_quant_params lmcc_quant_block_fit(const lmcc_quant_fmt *f, const float *x, const float *imp, int n);
int lmcc_quant_block_code(const lmcc_quant_fmt *f, lmcc_quant_params p, float x);     /* nearest q */
float lmcc_quant_block_value(const lmcc_quant_fmt *f, lmcc_quant_params p, int q);
/* writes one block of f->group codes (q[j] for j >= n: the zero code) */
void lmcc_quant_block_pack(const lmcc_quant_fmt *f, lmcc_quant_params p, const int *q, int n, uint8_t *dst);

/* RTN with the search above; imp: per-column weights (NULL: plain MSE) */
void lmcc_quant_rtn_row(const lmcc_quant_fmt *f, const float *x, const float *imp, int64_t k, uint8_t *dst);

/* GPTQ of w [rows][k] (not modified) with h = X^T X / n [k][k] into rows of
 * ir_row_bytes(f->dt, k) bytes; damp (0.01) * mean(diag) is added to the
 * diagonal.  0, or -1 when out of memory / the Hessian is not positive definite. */
int lmcc_quant_gptq(const lmcc_quant_fmt *f, const float *w, int64_t rows, int64_t k, const double *h, double damp,
                    uint8_t *dst);

/* The target dtype of a 2-D weight under cfg (t->want_dtype, else the
 * --weights mode), or -1 when it stays float / keeps its dtype (a table read
 * only by embed under --embedding f16: weightfmt makes it f16). */
int lmcc_quant_target(const ir_graph *g, const ir_tensor *t);

/* 1 when weight tensor id is read only by embed ops (one row per token, never
 * streamed whole): not a linear weight, so it stays f16 under the int formats
 * unless --embedding same */
int lmcc_quant_embed_only(const ir_graph *g, int id);

/* Called by weightfmt before its own conversion: quantizes every 2-D weight
 * whose target the quantizers write, with cfg.quant's algorithm (GPTQ
 * calibrates first).  0, or -1 with pc->err set. */
int lmcc_quant_weights(ir_graph *g, lmcc_diag *pc);

/* End-to-end tuning of the block scales (and offsets) of every quantized linear weight
 * (tune.c), called by lmcc_quant_weights after GPTQ: Adam on the mean
 * KL(float || quantized) of the next-token distributions over seqs, the codes fixed.
 * teacher: [positions of seqs][vocab] the float model's logits (overwritten); round_in (may be NULL):
 * lmcc_eval_seq_opts.round_in, the int8 activations of --act q8.
 * Skipped (0) above its memory / time limits; 0, or -1 with pc->err set. */
int lmcc_quant_tune(ir_graph *g, lmcc_diag *pc, const lmcc_eval_seqs *seqs, float *teacher,
                    const unsigned char *round_in);
/* The quantization passes (passes.h's pipeline runs them; 0, or -1 with d->err set):
 * awq    under --quant awq, per-input-channel scales folded into the float graph
 * mixprec under --bpw B, a format per linear weight by measured sensitivity (want_dtype) */
int lmcc_quant_awq(ir_graph *g, lmcc_diag *d);
int lmcc_quant_mixprec(ir_graph *g, lmcc_diag *d);

/* the tuning's memory limit (backward activations, teacher and student logits, tables) */
#define LMCC_TUNE_MAX_BYTES 2e9

#endif
