/* interp.h - float32 reference interpreter of the IR (the project's test oracle).
 *
 * Independent of the generated code on purpose: its own buffer per tensor (no
 * arena offsets), its own loops with double accumulation, RoPE angles computed
 * from the attributes (the rope table input is ignored), an f32 KV cache
 * whatever the cache tensor's dtype.  Weights of any dtype are dequantized row
 * by row with lmrt_dequant_row.
 */
#ifndef LMCC_IR_INTERP_H
#define LMCC_IR_INTERP_H

#include "ir.h"

typedef struct ir_interp ir_interp;

/* NULL on allocation failure or an op/dtype it cannot evaluate. The graph
 * must outlive the interpreter. */
ir_interp *ir_interp_new(const ir_graph *g);
/* Runs one decode step; returns the logits [vocab] (valid until the next
 * call), or NULL if pos or token is out of range. */
const float *ir_interp_step(ir_interp *it, int token, int pos);
void ir_interp_free(ir_interp *it);

/* Observation (calibration): fn runs before every live node evaluates, when
 * the node's inputs hold their values for this step; ir_interp_value reads
 * them.  fn NULL removes the hook. */
typedef void (*ir_interp_hook_fn)(void *user, const ir_interp *it, int node);
void ir_interp_set_hook(ir_interp *it, ir_interp_hook_fn fn, void *user);
/* f32 value of tensor id (ACT/STATE, or a weight the interpreter dequantized
 * whole), or NULL */
const float *ir_interp_value(const ir_interp *it, int tensor);

#endif
