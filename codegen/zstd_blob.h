/* zstd_blob.h - `--compress=zstd`: NAME.weights as one dictionary-free zstd
 * frame of the normal blob (libzstd). */
#ifndef LMCC_ZSTD_BLOB_H
#define LMCC_ZSTD_BLOB_H

#include <stddef.h>
#include <stdio.h>

#define LMCC_ZSTD_DEFAULT_LEVEL 19

/* Compresses all of in (read from its current position to EOF) into out as
 * one frame recording raw_bytes as its content size.  Returns the compressed
 * size, or -1 with a message in err (also when built without libzstd). */
long long lmcc_zstd_compress(FILE *in, FILE *out, long long raw_bytes, int level, char *err, size_t errlen);

/* Highest level libzstd accepts (0 without libzstd). */
int lmcc_zstd_max_level(void);

#endif
