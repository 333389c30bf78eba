/* interp.h - float32 reference interpreter of the IR (the project's test oracle).
 *
 * Independent of the generated code on purpose: its own buffer per tensor (no
 * arena offsets), its own loops with double accumulation, RoPE angles of each
 * position in double (libm's cos and sin), an f32 KV cache
 * whatever the cache tensor's dtype.  Weights of any dtype are dequantized row
 * by row with lmrt_dequant_row.
 */
#ifndef LMCC_IR_INTERP_H
#define LMCC_IR_INTERP_H

#include "ir.h"

typedef struct lmcc_interp lmcc_interp;

/* 0 when lmcc_interp_new can evaluate g: every live node accepted by its op's
 * rule (ir_node_check), every weight it reads of a dtype it reads, the logits an
 * activation; else -1 with one line in err (may be NULL). */
int lmcc_interp_check(const ir_graph *g, char *err, size_t errlen);
/* NULL when lmcc_interp_check fails or out of memory. The graph must outlive
 * the interpreter. */
lmcc_interp *lmcc_interp_new(const ir_graph *g);
/* Runs one decode step; returns the logits [vocab] (valid until the next
 * call), or NULL if pos or token is out of range. */
const float *lmcc_interp_step(lmcc_interp *it, int token, int pos);
void lmcc_interp_free(lmcc_interp *it);

/* Observation (calibration): fn runs before every live node evaluates, when
 * the node's inputs hold their values for this step; lmcc_interp_value reads
 * them.  fn NULL removes the hook. */
typedef void (*lmcc_interp_hook_fn)(void *user, const lmcc_interp *it, int node);
void lmcc_interp_set_hook(lmcc_interp *it, lmcc_interp_hook_fn fn, void *user);
/* f32 value of tensor id (ACT/STATE, or a weight the interpreter dequantized
 * whole), or NULL */
const float *lmcc_interp_value(const lmcc_interp *it, int tensor);

#endif
