/* llama2c.h - frontend for llama2.c legacy checkpoints (run.c's format).
 *
 * llama2c_open() maps the .bin and presents it as an in-memory gguf_file
 * shaped like llama.cpp's convert-llama2c-to-ggml output (llama.* keys,
 * token_embd, blk.N.* and output_norm tensors, all F32, GGUF ne[] order), so the
 * rest of lmcc sees one format.  Tensor data points into the mapping.  A
 * shared classifier gets no output.weight (the builder ties it to
 * token_embd).  Free with gguf_close().  On error: lmcc_error(), NULL.
 */
#ifndef LMCC_LLAMA2C_H
#define LMCC_LLAMA2C_H

#include "gguf.h"

gguf_file *llama2c_open(const char *path);

#endif
