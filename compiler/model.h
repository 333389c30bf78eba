/* model.h - open a model file of any supported container.
 *
 * Detects the format by content, not by name: "GGUF" magic -> the GGUF
 * reader, zstd magic (28 B5 2F FD) -> decompressed, then the GGUF reader,
 * anything else -> the llama2.c checkpoint reader (which presents the
 * checkpoint as a synthesized gguf_file with llama.* keys).
 */
#ifndef LMCC_MODEL_H
#define LMCC_MODEL_H

#include "gguf.h"

/* NULL after lmcc_error(path, ...) when missing, empty or malformed. */
gguf_file *lmcc_model_open(const char *path);

#endif
