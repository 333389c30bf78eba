/* gguf.h - GGUF v2/v3 reader over mmap.
 *
 * gguf_open() maps the file and parses the header, every metadata key/value
 * (all value types, nested arrays) and every tensor info, checking that all
 * offsets and sizes stay inside the file.  Tensor data is not copied:
 * gguf_tensor.data points into the mapping, valid until gguf_close().
 * On a malformed file it returns NULL after lmcc_error(path, "...").
 */
#ifndef LMCC_GGUF_H
#define LMCC_GGUF_H

#include <stddef.h>
#include <stdint.h>

enum gguf_vtype {
    GGUF_T_UINT8 = 0, GGUF_T_INT8 = 1, GGUF_T_UINT16 = 2, GGUF_T_INT16 = 3,
    GGUF_T_UINT32 = 4, GGUF_T_INT32 = 5, GGUF_T_FLOAT32 = 6, GGUF_T_BOOL = 7,
    GGUF_T_STRING = 8, GGUF_T_ARRAY = 9, GGUF_T_UINT64 = 10, GGUF_T_INT64 = 11,
    GGUF_T_FLOAT64 = 12
};

typedef struct gguf_str { uint64_t len; const char *ptr; } gguf_str; /* not NUL-terminated */

typedef struct gguf_value gguf_value;
struct gguf_value {
    enum gguf_vtype type;
    union {
        uint64_t u; int64_t i; double f; int b;
        gguf_str s;
        /* an array: items (n values) or, for scalar elements, raw (n packed little-endian values in
         * the file: the reader keeps a 1-byte element 1 byte); read either with gguf_arr_get */
        struct { enum gguf_vtype type; uint64_t n; gguf_value *items; const void *raw; } arr;
    } v;
};

typedef struct gguf_kv { gguf_str key; gguf_value val; } gguf_kv;

typedef struct gguf_tensor {
    char name[128];
    uint32_t n_dims;
    uint64_t ne[4];          /* GGUF order: ne[0] innermost */
    uint32_t type;           /* ggml type id */
    uint64_t offset;         /* relative to the data section */
    const void *data;        /* into the mapping; NULL if the type is unknown */
    uint64_t nbytes;         /* 0 if the type is unknown */
} gguf_tensor;

typedef struct gguf_file {
    const char *path;
    const uint8_t *map; size_t size;
    uint32_t version;
    uint64_t n_kv, n_tensors;
    gguf_kv *kv;
    gguf_tensor *tensors;
    uint64_t alignment;
    uint64_t data_offset;
    void *arena;             /* owns nested arrays etc. */
    /* the tensors and keys sorted by name (gguf_open): lookups by binary search; an entry added
     * after it (a synthesized file) makes lookups linear again */
    void *tensor_order, *kv_order;
    uint64_t n_tensor_order, n_kv_order;
} gguf_file;

gguf_file *gguf_open(const char *path);
/* Parses size bytes at map, a region from mmap() that the result owns
 * (gguf_close unmaps it; unmapped here on failure).  For inputs that are not
 * plain files, e.g. a decompressed MODEL.gguf.zst; path names it in errors. */
gguf_file *gguf_open_map(const char *path, void *map, size_t size);
/* Frees everything allocated with gguf_alloc and unmaps f->map (if set). */
void gguf_close(gguf_file *f);
/* Allocates zeroed memory owned by f (freed by gguf_close); NULL when out of
 * memory.  Frontends that synthesize a gguf_file (llama2.c) use it too. */
void *gguf_alloc(gguf_file *f, size_t n);
/* An empty gguf_file (for synthesizing); NULL when out of memory. */
gguf_file *gguf_new(const char *path);

const gguf_kv *gguf_find(const gguf_file *f, const char *key);  /* NULL if absent */
/* Element i < arr->v.arr.n of an array value, from items or raw; -1 if out of range. */
int gguf_arr_get(const gguf_value *arr, uint64_t i, gguf_value *out);
const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name);
/* typed getters: return 0 on success, -1 if absent or of an incompatible type
 * (integers of any width convert; floats accept float32/float64) */
int gguf_get_i64(const gguf_file *f, const char *key, int64_t *out);
int gguf_get_f32(const gguf_file *f, const char *key, float *out);
/* copies the string (NUL-terminated, truncated to cap-1) */
int gguf_get_str(const gguf_file *f, const char *key, char *out, size_t cap);
int gguf_str_eq(gguf_str s, const char *c);
const char *gguf_vtype_name(enum gguf_vtype t);

#endif
