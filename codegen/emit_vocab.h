/* emit_vocab.h - writes an lmrt_vocab as const C data. */
#ifndef LMCC_EMIT_VOCAB_H
#define LMCC_EMIT_VOCAB_H

#include <stdio.h>

#include "lmrt_tokenizer.h"

/* Writes `static const lmrt_vocab <prefix>vocab = {...};` and its arrays
 * (all static const) to out; the includer must have lmrt_tokenizer.h.
 * Returns 0, or -1 on a write error. */
int lmcc_emit_vocab(FILE *out, const lmrt_vocab *v, const char *prefix);

#endif
