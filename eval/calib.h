/* calib.h - calibration for the quantizers: token sequences (sampled
 * from the float model, or read from a file), and (lmcc_eval_calib_run, used by
 * awq) the reference interpreter run over them while a hook records the
 * inputs of linear-family nodes.  GPTQ and mixprec use seqeval.h instead.
 *
 * The rows of every observed input are kept (tokens x K floats, subsampled to
 * at most max_rows): AWQ measures output error on them directly, GPTQ builds
 * X^T X for one matrix at a time, so memory stays bounded by the rows, not by
 * K x K per matrix. */
#ifndef LMCC_CALIB_H
#define LMCC_CALIB_H

#include <stdint.h>
#include <stdio.h>

#include "ir.h"

typedef struct lmcc_eval_seqs {
    int n;      /* sequences */
    int *len;   /* [n] */
    int **ids;  /* [n][len[i]] */
} lmcc_eval_seqs;

/* n sequences of len positions sampled from g at temperature 1, starting
 * from BOS (the vocabulary's, else 1), all n advanced in lockstep by the
 * batched evaluator (seqeval.h); deterministic in seed.  0, or -1 with err set. */
int lmcc_eval_seqs_sample(const ir_graph *g, int n, int len, uint64_t seed, lmcc_eval_seqs *out, char *err, size_t errlen);
/* path holds whitespace-separated token ids (one sequence per line), or
 * else text, tokenized with g->vocab (BOS first) and cut into sequences of
 * at most max_len positions. */
int lmcc_eval_seqs_read(const ir_graph *g, const char *path, int max_len, lmcc_eval_seqs *out, char *err, size_t errlen);
/* What g->cfg asks for: --calib FILE, else cfg.calib_seqs x cfg.calib_len
 * (default lmcc_eval_calib_default_seqs x 128, the length clamped to the context)
 * sampled with a fixed seed.  batched: for the batched evaluator (gptq), else
 * for the reference interpreter (awq). */
int lmcc_eval_seqs_for_calib(const ir_graph *g, int batched, lmcc_eval_seqs *out, char *err, size_t errlen);

/* Default count of sampled calibration sequences of len positions.  More
 * sequences make GPTQ's Hessians generalize; stories260K, 8-seed mean KL
 * (lmcc quality --seed 1..8) for 24 / 48 / 96 / 192 x 128:
 *   q4 1.008 / 0.972 / 0.970 / 0.941, q8 f32-act 0.0077 / 0.0072 / 0.0072 / 0.0070,
 *   q8 0.0250 / 0.0248 / 0.0237 / 0.0231, --bpw 5.0 0.411 / 0.410 / 0.397 / 0.405;
 * 96 vs 24 is 3-6% better (per seed: 4-6 of 8), 192 vs 96 within noise (-3..+2%)
 * at 1.5-2x the compile time (stories260K q4 ~8 s at 96, ~11 s at 192).  Bounded by
 *   - LMCC_CALIB_SEQS_BATCHED (gptq) or LMCC_CALIB_SEQS_INTERP (awq, which runs
 *     the interpreter one token at a time and caps its own rows by memory),
 *   - ~0.4 TFLOP of calibration forward (2 x weights x positions),
 *   - with batched, memory: lmcc_eval_seq_bytes (dual lanes, no logits) and the
 *     sampler's lmcc_eval_step_bytes each within LMCC_CALIB_MIB,
 * and never below LMCC_CALIB_SEQS_MIN.  The environment variable
 * LMCC_CALIB_SEQS=N overrides it (experiments). */
#define LMCC_CALIB_SEQS_MIN 3
#define LMCC_CALIB_SEQS_BATCHED 96
#define LMCC_CALIB_SEQS_INTERP 24
int lmcc_eval_calib_default_seqs(const ir_graph *g, int len, int batched);
/* LMCC_CALIB_MIB (default 2048): the calibration memory budget in MiB */
int lmcc_eval_calib_mib(void);
void lmcc_eval_seqs_free(lmcc_eval_seqs *s);

typedef struct lmcc_eval_calib_act {
    int tensor;         /* input tensor id */
    int64_t k;          /* its width */
    int64_t rows;       /* rows recorded */
    float *x;           /* [rows][k] */
    double *absmean;    /* [k] mean |x| over every token seen (AWQ) */
    int64_t seen;       /* tokens seen */
} lmcc_eval_calib_act;

typedef struct lmcc_eval_calib {
    int n;
    lmcc_eval_calib_act *acts;
} lmcc_eval_calib;

/* Runs the sequences through the interpreter of g and records the values of
 * the given tensors (each must be f32 ACT of a single dimension) at every
 * step; keeps every stride-th token so at most max_rows rows remain.
 * progress: a line per sequence when not NULL.  0, or -1 with err set. */
int lmcc_eval_calib_run(const ir_graph *g, const lmcc_eval_seqs *s, const int *tensors, int n_tensors, int64_t max_rows,
                   lmcc_eval_calib *out, FILE *progress, char *err, size_t errlen);
void lmcc_eval_calib_free(lmcc_eval_calib *c);
const lmcc_eval_calib_act *lmcc_eval_calib_find(const lmcc_eval_calib *c, int tensor);
/* row cap that keeps n_tensors recordings of the given widths under the
 * memory budget (LMCC_CALIB_MIB, default 2048 MiB) */
int64_t lmcc_eval_calib_max_rows(const ir_graph *g, const int *tensors, int n_tensors, int64_t tokens);

#endif
