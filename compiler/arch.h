/* arch.h - architecture builders: GGUF metadata + tensors -> IR graph.
 *
 * One table maps general.architecture to a builder.  Builders validate the
 * model (missing keys or tensors, shapes that contradict the metadata, dtypes
 * lmcc cannot read) and report user errors with lmcc_error(path, ...).
 * Weight tensors point into the file mapping: the gguf_file must outlive the
 * graph.
 */
#ifndef LMCC_ARCH_H
#define LMCC_ARCH_H

#include "gguf.h"
#include "ir.h"

typedef struct lmcc_arch {
    const char *name;
    ir_graph *(*build)(const gguf_file *f, const char *path, const ir_config *cfg);
} lmcc_arch;

extern const lmcc_arch lmcc_archs[];
extern const int lmcc_n_archs;

/* NULL (after lmcc_error) on an unknown architecture or an invalid model. */
ir_graph *lmcc_build_graph(const gguf_file *f, const char *path, const ir_config *cfg);

#endif
