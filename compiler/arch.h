/* arch.h - architecture builders: GGUF metadata + tensors -> IR graph.
 *
 * One table (ARCH_LIST in arch.c) maps general.architecture to what it changes in the one
 * parameterised transformer builder.  Builders validate the
 * model (missing keys or tensors, shapes that contradict the metadata, dtypes
 * lmcc cannot read) and report user errors with lmcc_error(path, ...).
 * Weight tensors point into the file mapping: the gguf_file must outlive the
 * graph.
 */
#ifndef LMCC_ARCH_H
#define LMCC_ARCH_H

#include "gguf.h"
#include "ir.h"

/* The longest context lmcc compiles (--ctx, or the model's context_length
 * when --ctx is not given), and why there is a limit at all. */
#define LMCC_CTX_MAX (1 << 20)
#define LMCC_CTX_MAX_WHY "the KV cache and the attention scratch are sized by the context at compile time"
/* the context of a model whose metadata does not say */
#define LMCC_CTX_DEFAULT 2048
/* Without --ctx, the model's training context up to this many positions.  The KV cache is the
 * arena's biggest part and grows with the context: Llama-3.2-1B's 131072 positions would be 8.6 GB
 * of f32 KV (4.3 GB f16) in every context, before the first token, while an app or a device
 * rarely holds more than a few thousand tokens; 4096 costs it 268 MB (f32).  A longer context is
 * one option away (--ctx N), and the cost of a compile never follows a metadata field. */
#define LMCC_CTX_DEFAULT_MAX 4096

/* NULL (after lmcc_error) on an unknown architecture or an invalid model. */
ir_graph *lmcc_build_graph(const gguf_file *f, const char *path, const ir_config *cfg);

/* The context to compile: requested (> 0, from --ctx), else the model's ARCH.context_length
 * up to LMCC_CTX_DEFAULT_MAX, else LMCC_CTX_DEFAULT. */
int lmcc_arch_ctx(const gguf_file *f, long requested);

#endif
