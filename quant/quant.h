/* quant.h - the weight quantization algorithms: they choose the quantized values; the block
 * formats themselves are runtime-min/lmrt_quant.h's, their parameters columns of IR_DTYPE_LIST.
 *
 *  plain llama.cpp's absmax rounding (runtime-min's encoders, lmrt_quantize_row)
 *  rtn   per block, the scale (and min) with the least squared error over a
 *        grid of clip ratios, refined by least squares
 *  awq   per-input-channel scales s = mean|x|^alpha folded into the float
 *        graph before fold_norm (the pass lmcc_quant_awq), then rtn
 *  gptq  column by column with the inverse Hessian of the calibration inputs,
 *        the error of each column spread over the rest; the quantize pass
 *        (lmcc_quant_weights) runs it layer by layer over the batched evaluator
 *        (seqeval.h), each layer on the already-quantized layers' outputs and, for
 *        small matrices, first refit toward the float model's output; then the
 *        block scales tuned end to end (lmcc_quant_tune) */
#ifndef LMCC_QUANT_H
#define LMCC_QUANT_H

#include <stdint.h>

#include "ir.h"
#include "calib.h"

/* a block format the quantizers write: value = lev[q] * d (+ m when asym) */
typedef struct lmcc_quant_fmt {
    ir_dtype dt;
    int group, block_bytes;
    int nlev;           /* code levels: q in 0..nlev-1 (the lev column: q4 16, q8 255 stored as int8 q - 127) */
    int zero;           /* the code of 0 (q4: 8; 0 when asym) */
    int asym;           /* the min column (q4_1/q5_1: {f16 d, f16 m}, value d q + m) */
    int nf4;            /* lev[q] = lmrt_nf4_value(q); else lev[q] = q - zero */
    int simd;           /* 1: the fit and gptq may use the CPU's SIMD (AVX2 + FMA on x86-64, chosen at
                         * run time), 0: the generic vector code only (lmcc_quant_fmt_get: 1 unless
                         * LMCC_QUANT_GENERIC=1; the fit gives the same bits either way, gptq not) */
    int refine;         /* gptq: rounds of coordinate descent and scale re-solving after the column pass
                         * (lmcc_quant_fmt_get: 1; 0 = textbook GPTQ); skipped above rows k^2 = 4e9 */
} lmcc_quant_fmt;

/* 0 and *f filled from dt's row of IR_DTYPE_LIST if the quantizers write dt, else -1 */
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
/* sum imp[j] (x[j] - value of x[j]'s code)^2 over the n values (imp NULL: 1), in double */
double lmcc_quant_block_err(const lmcc_quant_fmt *f, lmcc_quant_params p, const float *x, const float *imp, int n);
/* writes one block of f->group codes (q[j] for j >= n: the zero code) */
void lmcc_quant_block_pack(const lmcc_quant_fmt *f, lmcc_quant_params p, const int *q, int n, uint8_t *dst);

/* RTN with the search above; imp: per-column weights (NULL: plain MSE) */
void lmcc_quant_rtn_row(const lmcc_quant_fmt *f, const float *x, const float *imp, int64_t k, uint8_t *dst);

/* GPTQ of w [rows][k] (not modified) with h = X^T X / n [k][k] into rows of
 * ir_row_bytes(f->dt, k) bytes; damp (0.01) * mean(diag) is added to the
 * diagonal.  0, or -1 when out of memory / the Hessian is not positive definite. */
int lmcc_quant_gptq(const lmcc_quant_fmt *f, const float *w, int64_t rows, int64_t k, const double *h, double damp,
                    uint8_t *dst);

/* Row x[n] encoded as GGUF type ggml_type the way llama-quantize does without an importance
 * matrix (ggml's reference encoders, bit for bit: quant/ggml_ref.c): f32, f16, q8_0, q4_0, q4_1,
 * q5_0, q5_1, q4_k, q5_k, q6_k; -1 for another type or n not whole blocks */
int lmcc_quant_ggml_row(int ggml_type, const float *x, void *dst, int64_t n);

/* The dtype weight id gets (weightfmt decides with this, awq looks ahead with it): mixprec's
 * choice (want_dtype), else cfg.weights_mode, f16 for a table read only by embed under a block
 * format and --embedding f16, f32 for 1-D weights; -1 when it stays as stored (--weights keep). */
int lmcc_quant_target(const ir_graph *g, int id);

/* how the live nodes use tensor id: LMCC_QUANT_USE_* bits; *x (may be NULL) = the tensor every
 * linear use multiplies it with, -1 when there is none or several */
enum { LMCC_QUANT_USE_LINEAR = 1, /* the weight of a linear-family op */
       LMCC_QUANT_USE_EMBED = 2,  /* the table of an embed */
       LMCC_QUANT_USE_OTHER = 4 };
unsigned lmcc_quant_uses(const ir_graph *g, int id, int *x);

/* 1 when weight tensor id is read only by embed ops (one row per token, never
 * streamed whole): not a linear weight, so it stays f16 under the int formats
 * unless --embedding same */
int lmcc_quant_embed_only(const ir_graph *g, int id);

/* one row of k floats x in dtype dt (f32, f16, or a block format: with rtn's scale search when
 * rtn is set and the quantizers write dt, else runtime-min's plain encoder); 0, or -1 when lmcc
 * cannot write dt */
int lmcc_quant_row(ir_dtype dt, int rtn, const float *x, int64_t k, uint8_t *dst);

/* The quantize pass: every weight whose want_dtype (set by weightfmt) needs rounding gets it
 * with cfg.quant's algorithm (auto: gptq up to 50M weights, plain above; awq: rtn after its
 * scales; GPTQ calibrates first, then the scales are tuned), and the f16 roundings after all
 * calibration.  0, or -1 with pc->err set. */
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
