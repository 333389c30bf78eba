/* gguf_write.h - a small GGUF v3 writer (tests, benchmark model generator).
 *
 * Build the file in memory, then write it in one go:
 *   gguf_writer *w = gguf_writer_new();
 *   gguf_writer_add_str(w, "general.architecture", "llama");
 *   gguf_writer_add_tensor(w, "token_embd.weight", 0, 2, ne, data, nbytes);
 *   gguf_writer_write(w, "out.gguf");
 *   gguf_writer_free(w);
 * Keys keep the order they were added in; so do tensors.  Tensor data is
 * copied.  Data is aligned to 32 bytes, or to general.alignment if that key
 * is added (it must be an integer power of two).  Every function returns 0, or
 * -1 after lmcc_error(); after a failed add, gguf_writer_write() refuses. */
#ifndef LMCC_GGUF_WRITE_H
#define LMCC_GGUF_WRITE_H

#include "gguf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct gguf_writer gguf_writer;

gguf_writer *gguf_writer_new(void); /* NULL when out of memory */
void gguf_writer_free(gguf_writer *w);

int gguf_writer_add_u8(gguf_writer *w, const char *key, uint8_t v);
int gguf_writer_add_i8(gguf_writer *w, const char *key, int8_t v);
int gguf_writer_add_u16(gguf_writer *w, const char *key, uint16_t v);
int gguf_writer_add_i16(gguf_writer *w, const char *key, int16_t v);
int gguf_writer_add_u32(gguf_writer *w, const char *key, uint32_t v);
int gguf_writer_add_i32(gguf_writer *w, const char *key, int32_t v);
int gguf_writer_add_u64(gguf_writer *w, const char *key, uint64_t v);
int gguf_writer_add_i64(gguf_writer *w, const char *key, int64_t v);
int gguf_writer_add_f32(gguf_writer *w, const char *key, float v);
int gguf_writer_add_f64(gguf_writer *w, const char *key, double v);
int gguf_writer_add_bool(gguf_writer *w, const char *key, int v);
int gguf_writer_add_str(gguf_writer *w, const char *key, const char *v);
int gguf_writer_add_strn(gguf_writer *w, const char *key, const char *v, size_t len);
/* An array of n scalars of elem_type, packed as the C type (bool: one byte
 * per element, 0 or 1). */
int gguf_writer_add_arr(gguf_writer *w, const char *key, enum gguf_vtype elem_type, const void *data, uint64_t n);
int gguf_writer_add_str_arr(gguf_writer *w, const char *key, const char *const *v, uint64_t n);
/* Any value, including nested arrays (as gguf_open returns them). */
int gguf_writer_add_value(gguf_writer *w, const char *key, const gguf_value *v);
/* Copies every key of src that starts with prefix ("" = all), in order;
 * general.alignment is never copied (the writer owns the layout). */
int gguf_writer_copy_kv(gguf_writer *w, const gguf_file *src, const char *prefix);

/* ne[] in GGUF order (innermost first).  For a type lmcc knows, nbytes must
 * match the shape and ne[0] must be whole blocks. */
int gguf_writer_add_tensor(gguf_writer *w, const char *name, uint32_t ggml_type, uint32_t n_dims,
                           const uint64_t *ne, const void *data, uint64_t nbytes);

/* Writes PATH.tmp, then renames it to path.  Every tensor must have data
 * (refuses tensors declared with gguf_writer_add_tensor_info). */
int gguf_writer_write(gguf_writer *w, const char *path);

/* Streaming, for files too big to hold in memory: declare the tensors
 * without data, write the header, then pass the tensor bytes in order, in
 * chunks of any size (a chunk may span tensors; padding is inserted):
 *   gguf_writer_add_tensor_info(w, "a", type, 2, ne, nbytes);  ...
 *   gguf_writer_begin(w, path);
 *   gguf_writer_put_data(w, chunk, n);  ...   (sum of n = sum of nbytes)
 *   gguf_writer_end(w);                       (renames PATH.tmp to path)
 * No key or tensor may be added after begin.  gguf_writer_free() before a
 * successful end removes PATH.tmp. */
int gguf_writer_add_tensor_info(gguf_writer *w, const char *name, uint32_t ggml_type, uint32_t n_dims,
                                const uint64_t *ne, uint64_t nbytes);
int gguf_writer_begin(gguf_writer *w, const char *path);
int gguf_writer_put_data(gguf_writer *w, const void *data, uint64_t n);
int gguf_writer_end(gguf_writer *w);

#endif
