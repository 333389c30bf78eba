/* passes.h - the pass manager and the pass list.
 *
 * A pass is a function over the graph.  The manager runs the passes of a
 * pipeline in order, runs ir_verify() after each (a failure is a compiler
 * bug, returned as LMCC_PASS_BUG), and can stop after a named pass (for `lmcc dump-ir --after=PASS`).
 * Adding a pass = one file in passes/ + one line in LMCC_PASS_LIST.
 * Passes report user errors with a message in `err` and return -1.
 */
#ifndef LMCC_PASSES_H
#define LMCC_PASSES_H

#include "ir.h"
#include "quant.h"


typedef int (*lmcc_pass_fn)(ir_graph *g, lmcc_diag *pc);

/* X("name", function, "what it does") in pipeline order; the quantization passes live in
 * quant/ (quant.h), the graph passes here, one per file */
#define LMCC_PASS_LIST(X)                                                                        \
    X("dce",       lmcc_pass_dce,       "remove nodes and weights that do not reach the logits")      \
    X("awq",       lmcc_quant_awq,      "AWQ channel scales folded into norms/up/v rows (--quant awq)") \
    X("fold_norm", lmcc_pass_fold_norm, "fold rmsnorm weights into the linears they feed (not --no-fuse)") \
    X("rotate",    lmcc_pass_rotate,    "orthogonal rotation of the residual stream folded into the weights (int formats)") \
    X("fuse_qkv",  lmcc_pass_fuse_qkv,  "q/k/v linears + rope + kv_store -> one qkv node (not --no-fuse)") \
    X("fuse_ffn",  lmcc_pass_fuse_ffn,  "gate/up linears + swiglu -> linear_swiglu (not --no-fuse)")   \
    X("fuse_residual", lmcc_pass_fuse_residual, "add(r, linear) -> linear_add (not --no-fuse)")        \
    X("kvlayout",  lmcc_pass_kvlayout,  "size the per-layer KV caches by --ctx and --kv")             \
    X("mixprec",   lmcc_quant_mixprec,  "--bpw B: a format per linear weight by measured KL sensitivity") \
    X("weightfmt", lmcc_pass_weightfmt, "decide each weight's format (--weights, mixprec's choice, keep); widen to f32") \
    X("quantize",  lmcc_quant_weights,  "round weights to f16 and block formats with --quant's algorithm") \
    X("actquant",  lmcc_pass_actquant,  "quantize linear inputs to q8a for weights with integer codes (--act q8)") \
    X("tile",      lmcc_pass_tile,      "repack linear weights of a tiled format into the target's R-row tiles") \
    X("memplan",   lmcc_pass_memplan,   "liveness intervals -> offsets in one arena")

int lmcc_pass_dce(ir_graph *g, lmcc_diag *pc);
int lmcc_pass_fold_norm(ir_graph *g, lmcc_diag *pc);
int lmcc_pass_rotate(ir_graph *g, lmcc_diag *pc);
int lmcc_pass_fuse_qkv(ir_graph *g, lmcc_diag *pc);
int lmcc_pass_fuse_ffn(ir_graph *g, lmcc_diag *pc);
int lmcc_pass_fuse_residual(ir_graph *g, lmcc_diag *pc);
int lmcc_pass_kvlayout(ir_graph *g, lmcc_diag *pc);
int lmcc_pass_weightfmt(ir_graph *g, lmcc_diag *pc);
int lmcc_pass_actquant(ir_graph *g, lmcc_diag *pc);
int lmcc_pass_tile(ir_graph *g, lmcc_diag *pc);
int lmcc_pass_memplan(ir_graph *g, lmcc_diag *pc);

typedef struct lmcc_pass_info { const char *name; const char *doc; lmcc_pass_fn fn; } lmcc_pass_info;
extern const lmcc_pass_info lmcc_passes[];
extern const int lmcc_n_passes;

/* Runs the pipeline; stops after the pass named `stop_after` if not NULL
 * (an unknown name is a user error).  Returns 0; -1 with pc->err set for a
 * user error; LMCC_PASS_BUG with pc->err set when the graph fails the
 * verifier (a compiler bug: the caller reports it as an internal error). */
#define LMCC_PASS_BUG (-2)
int lmcc_run_passes(ir_graph *g, lmcc_diag *pc, const char *stop_after);

#endif
