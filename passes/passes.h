/* passes.h - the pass manager and the pass list.
 *
 * A pass is a function over the graph.  The manager runs the passes of a
 * pipeline in order, runs ir_verify() after each (a failure is a compiler
 * bug), and can stop after a named pass (for `lmcc dump-ir --after=PASS`).
 * Adding a pass = one file in passes/ + one line in LMCC_PASS_LIST.
 * Passes report user errors with a message in `err` and return -1.
 */
#ifndef LMCC_PASSES_H
#define LMCC_PASSES_H

#include "ir.h"

typedef struct lmcc_pass_ctx {
    int verbose;            /* -v: passes may print a summary to `log` */
    FILE *log;
    char err[512];          /* user-facing error text when a pass returns -1 */
} lmcc_pass_ctx;

typedef int (*lmcc_pass_fn)(ir_graph *g, lmcc_pass_ctx *pc);

/* X(c_name, "cli-name", "what it does") in pipeline order */
#define LMCC_PASS_LIST(X)                                                      \
    X(dce,       "dce",       "remove nodes and weights that do not reach the logits") \
    X(awq,       "awq",       "AWQ channel scales folded into norms/up/v rows (--quant awq)")        \
    X(fold_norm, "fold_norm", "fold rmsnorm weights into the linears they feed (--fuse)")  \
    X(rotate,    "rotate",    "orthogonal rotation of the residual stream folded into the weights (int formats)") \
    X(fuse_qkv,  "fuse_qkv",  "q/k/v linears + rope + kv_store -> one qkv node (--fuse)")  \
    X(fuse_ffn,  "fuse_ffn",  "gate/up linears + swiglu -> linear_swiglu (--fuse)")        \
    X(fuse_residual, "fuse_residual", "add(r, linear) -> linear_add (--fuse)")            \
    X(kvlayout,  "kvlayout",  "size the per-layer KV caches by --ctx and --kv")         \
    X(mixprec,   "mixprec",   "--bpw B: a format per linear weight by measured KL sensitivity")    \
    X(weightfmt, "weightfmt", "convert weights to --weights f32|f16|q8|q4|keep")        \
    X(actquant,  "actquant",  "quantize linear inputs to q8a for q8_0/q4_0 weights (--act q8)") \
    X(tile,      "tile",      "repack q4_0/q8_0 linear weights into the target's R-row tiles") \
    X(memplan,   "memplan",   "liveness intervals -> offsets in one arena")

/* 1 when a linear with weights of dtype dt reads q8a activations under --act q8 (integer codes:
 * the q4/q5/q8 blocks, their groups and the K-quants; not nf4, not float) */
int lmcc_q8a_weight(ir_dtype dt);

#define X(c, s, d) int lmcc_pass_##c(ir_graph *g, lmcc_pass_ctx *pc);
LMCC_PASS_LIST(X)
#undef X

typedef struct lmcc_pass_info { const char *name; const char *doc; lmcc_pass_fn fn; } lmcc_pass_info;
extern const lmcc_pass_info lmcc_passes[];
extern const int lmcc_n_passes;

/* Runs the pipeline; stops after the pass named `stop_after` if not NULL
 * (an unknown name is a user error).  Returns 0, or -1 with pc->err set. */
int lmcc_run_passes(ir_graph *g, lmcc_pass_ctx *pc, const char *stop_after);

#endif
