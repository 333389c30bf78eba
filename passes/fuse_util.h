/* fuse_util.h - graph queries and weight surgery shared by the fusion passes. */
#ifndef LMCC_FUSE_UTIL_H
#define LMCC_FUSE_UTIL_H

#include "passes.h"

/* replaces t's bytes by the owned f32 buffer w (same shape) */
void fu_weight_set_f32(ir_tensor *t, float *w);
/* New weight: the rows of weights ids[0..n) stacked (same cols).  Same dtype: the
 * bytes are copied; else, unless cfg.weights_mode is KEEP, f32 through dequantization.
 * Returns the tensor id, -1 to skip (KEEP with mixed dtypes, tiled input), -2 out of
 * memory (pc->err set). */
int fu_weight_concat(ir_graph *g, const int *ids, int n, const char *name, lmcc_diag *pc);
/* marks weight id dead if no live node reads it any more */
void fu_drop_if_unused(ir_graph *g, int id);
/* marks node i dead, and its output tensor */
void fu_kill_node(ir_graph *g, int i);
FILE *fu_log(lmcc_diag *pc);
/* The nodes ir_node_add appended after the first nn (in order) each go just before
 * node i for every i < nn with before[i] >= 0, in that order.  0, or -1 (out of memory) */
int fu_move_appended(ir_graph *g, int nn, const int *before);

#endif
