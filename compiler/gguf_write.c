/* gguf_write.c - GGUF v3 writer.  Each key/value is serialized into one
 * growing buffer as it is added (so nested arrays and copies from an opened
 * file need no tree of their own); tensors keep a copy of their bytes, or,
 * declared with add_tensor_info, get them streamed after the header. */
#include "gguf_write.h"

#include "diag.h"
#include "ir.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct wbuf { uint8_t *p; size_t n, cap; } wbuf;

typedef struct wtensor {
    char *name;
    uint32_t type, n_dims;
    uint64_t ne[4];
    void *data;           /* NULL: declared only, streamed with put_data */
    uint64_t nbytes;
} wtensor;

struct gguf_writer {
    wbuf kv;              /* serialized key/value pairs */
    uint64_t n_kv;
    char **keys;          /* for duplicate detection */
    wtensor *tensors;
    uint64_t n_tensors, cap_tensors;
    uint64_t alignment;
    int failed;           /* an add failed: refuse to write a partial file */
    /* streaming state, between begin and end */
    FILE *fp;
    char *path, *tmp;
    uint64_t pos;         /* bytes written to tmp */
    uint64_t cur, cur_done; /* tensor being streamed, bytes of it written */
};

#define GGUF_MAX_NEST 4

static int fail(gguf_writer *w, const char *fmt, ...) LMCC_PRINTF(2, 3);
static int fail(gguf_writer *w, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w->failed = 1;
    return lmcc_error(NULL, "gguf writer: %s", msg);
}

static int buf_put(wbuf *b, const void *src, size_t n) {
    if (n > b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->n < n) {
            if (cap > SIZE_MAX / 2) return -1;
            cap *= 2;
        }
        uint8_t *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    return 0;
}

/* GGUF is little-endian; so are all hosts lmcc targets, but say it once here */
static int put_u32(wbuf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return buf_put(b, x, 4);
}
static int put_u64(wbuf *b, uint64_t v) {
    uint8_t x[8];
    for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
    return buf_put(b, x, 8);
}
static int put_str(wbuf *b, const char *s, uint64_t len) {
    return put_u64(b, len) || buf_put(b, s, (size_t)len);
}

static size_t scalar_size(enum gguf_vtype t) {
    switch (t) {
    case GGUF_T_UINT8: case GGUF_T_INT8: case GGUF_T_BOOL: return 1;
    case GGUF_T_UINT16: case GGUF_T_INT16: return 2;
    case GGUF_T_UINT32: case GGUF_T_INT32: case GGUF_T_FLOAT32: return 4;
    case GGUF_T_UINT64: case GGUF_T_INT64: case GGUF_T_FLOAT64: return 8;
    default: return 0;
    }
}

/* the little-endian bytes of a scalar given as a gguf_value */
static int put_scalar_value(wbuf *b, const gguf_value *v) {
    uint8_t x[8];
    uint64_t bits;
    switch (v->type) {
    case GGUF_T_UINT8: case GGUF_T_UINT16: case GGUF_T_UINT32: case GGUF_T_UINT64: bits = v->v.u; break;
    case GGUF_T_INT8: case GGUF_T_INT16: case GGUF_T_INT32: case GGUF_T_INT64: bits = (uint64_t)v->v.i; break;
    case GGUF_T_BOOL: bits = v->v.b != 0; break;
    case GGUF_T_FLOAT32: { float f = (float)v->v.f; uint32_t u; memcpy(&u, &f, 4); bits = u; break; }
    case GGUF_T_FLOAT64: memcpy(&bits, &v->v.f, 8); break;
    default: return -1;
    }
    size_t n = scalar_size(v->type);
    for (size_t i = 0; i < n; i++) x[i] = (uint8_t)(bits >> (8 * i));
    return buf_put(b, x, n);
}

/* payload of v (no type tag); arrays carry their element type and count */
static int put_value(wbuf *b, const gguf_value *v, int depth, const char **why) {
    if (v->type == GGUF_T_STRING) return put_str(b, v->v.s.ptr, v->v.s.len);
    if (v->type == GGUF_T_ARRAY) {
        if (depth >= GGUF_MAX_NEST) { *why = "arrays nested too deeply"; return -1; }
        if ((unsigned)v->v.arr.type > GGUF_T_FLOAT64) { *why = "array of unknown element type"; return -1; }
        if (put_u32(b, (uint32_t)v->v.arr.type) || put_u64(b, v->v.arr.n)) return -1;
        if (!v->v.arr.items && v->v.arr.n) { /* packed scalars, as gguf_open leaves them */
            size_t sz = scalar_size(v->v.arr.type);
            if (!sz || !v->v.arr.raw) { *why = "array without elements"; return -1; }
            return buf_put(b, v->v.arr.raw, sz * (size_t)v->v.arr.n);
        }
        for (uint64_t i = 0; i < v->v.arr.n; i++) {
            if (v->v.arr.items[i].type != v->v.arr.type) { *why = "array element of the wrong type"; return -1; }
            if (put_value(b, &v->v.arr.items[i], depth + 1, why)) return -1;
        }
        return 0;
    }
    if (scalar_size(v->type) == 0) { *why = "unknown value type"; return -1; }
    return put_scalar_value(b, v);
}

gguf_writer *gguf_writer_new(void) {
    gguf_writer *w = calloc(1, sizeof *w);
    if (w) w->alignment = 32;
    return w;
}

void gguf_writer_free(gguf_writer *w) {
    if (!w) return;
    for (uint64_t i = 0; i < w->n_kv; i++) free(w->keys[i]);
    free(w->keys);
    for (uint64_t i = 0; i < w->n_tensors; i++) {
        free(w->tensors[i].name);
        free(w->tensors[i].data);
    }
    free(w->tensors);
    free(w->kv.p);
    if (w->fp) {
        fclose(w->fp);
        remove(w->tmp);
    }
    free(w->path);
    free(w->tmp);
    free(w);
}

/* Appends key + type tag; the caller appends the payload.  On failure the
 * buffer is rolled back by the caller through `mark`. */
static int begin_kv(gguf_writer *w, const char *key, enum gguf_vtype t, size_t *mark) {
    if (w->failed) return -1;
    if (w->path) return fail(w, "key '%s' added after gguf_writer_begin", key ? key : "");
    if (!key || !*key) return fail(w, "empty key");
    for (uint64_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->keys[i], key) == 0) return fail(w, "duplicate key '%s'", key);
    /* keys array grows one by one; metadata is small */
    char **keys = realloc(w->keys, (size_t)(w->n_kv + 1) * sizeof *keys);
    if (!keys) return fail(w, "out of memory");
    w->keys = keys;
    *mark = w->kv.n;
    if (put_str(&w->kv, key, strlen(key)) || put_u32(&w->kv, (uint32_t)t))
        return fail(w, "out of memory");
    return 0;
}

static int end_kv(gguf_writer *w, const char *key, int rc, size_t mark, const char *why) {
    if (rc) {
        w->kv.n = mark;
        return why ? fail(w, "key '%s': %s", key, why) : fail(w, "out of memory (key '%s')", key);
    }
    w->keys[w->n_kv] = malloc(strlen(key) + 1);
    if (!w->keys[w->n_kv]) { w->kv.n = mark; return fail(w, "out of memory"); }
    strcpy(w->keys[w->n_kv], key);
    w->n_kv++;
    return 0;
}

static int is_alignment_key(const char *key) { return strcmp(key, "general.alignment") == 0; }

int gguf_writer_add_value(gguf_writer *w, const char *key, const gguf_value *v) {
    if (key && is_alignment_key(key)) {
        int ok = 0;
        uint64_t a = 0;
        if (v->type == GGUF_T_UINT8 || v->type == GGUF_T_UINT16 || v->type == GGUF_T_UINT32 ||
            v->type == GGUF_T_UINT64) { a = v->v.u; ok = 1; }
        else if (v->type == GGUF_T_INT8 || v->type == GGUF_T_INT16 || v->type == GGUF_T_INT32 ||
                 v->type == GGUF_T_INT64) { ok = v->v.i > 0; a = (uint64_t)v->v.i; }
        if (!ok || a == 0 || (a & (a - 1)) != 0 || a > 65536)
            return fail(w, "%s must be an integer power of two <= 65536", key);
    }
    size_t mark;
    if (begin_kv(w, key, v->type, &mark)) return -1;
    const char *why = NULL;
    int rc = put_value(&w->kv, v, 0, &why);
    if (end_kv(w, key, rc, mark, why)) return -1;
    if (is_alignment_key(key)) w->alignment = v->type == GGUF_T_INT8 || v->type == GGUF_T_INT16 ||
                                              v->type == GGUF_T_INT32 || v->type == GGUF_T_INT64
                                                  ? (uint64_t)v->v.i : v->v.u;
    return 0;
}

#define SCALAR_ADDER(fn, T, vt, field, cast)                              \
    int fn(gguf_writer *w, const char *key, T x) {                        \
        gguf_value v;                                                     \
        memset(&v, 0, sizeof v);                                          \
        v.type = vt;                                                      \
        v.v.field = cast x;                                               \
        return gguf_writer_add_value(w, key, &v);                         \
    }
SCALAR_ADDER(gguf_writer_add_u8, uint8_t, GGUF_T_UINT8, u, (uint64_t))
SCALAR_ADDER(gguf_writer_add_i8, int8_t, GGUF_T_INT8, i, (int64_t))
SCALAR_ADDER(gguf_writer_add_u16, uint16_t, GGUF_T_UINT16, u, (uint64_t))
SCALAR_ADDER(gguf_writer_add_i16, int16_t, GGUF_T_INT16, i, (int64_t))
SCALAR_ADDER(gguf_writer_add_u32, uint32_t, GGUF_T_UINT32, u, (uint64_t))
SCALAR_ADDER(gguf_writer_add_i32, int32_t, GGUF_T_INT32, i, (int64_t))
SCALAR_ADDER(gguf_writer_add_u64, uint64_t, GGUF_T_UINT64, u, (uint64_t))
SCALAR_ADDER(gguf_writer_add_i64, int64_t, GGUF_T_INT64, i, (int64_t))
SCALAR_ADDER(gguf_writer_add_f32, float, GGUF_T_FLOAT32, f, (double))
SCALAR_ADDER(gguf_writer_add_f64, double, GGUF_T_FLOAT64, f, (double))
SCALAR_ADDER(gguf_writer_add_bool, int, GGUF_T_BOOL, b, (int))
#undef SCALAR_ADDER

int gguf_writer_add_strn(gguf_writer *w, const char *key, const char *s, size_t len) {
    gguf_value v;
    memset(&v, 0, sizeof v);
    v.type = GGUF_T_STRING;
    v.v.s.ptr = s;
    v.v.s.len = len;
    return gguf_writer_add_value(w, key, &v);
}

int gguf_writer_add_str(gguf_writer *w, const char *key, const char *s) {
    return gguf_writer_add_strn(w, key, s, strlen(s));
}

int gguf_writer_add_arr(gguf_writer *w, const char *key, enum gguf_vtype et, const void *data, uint64_t n) {
    size_t es = scalar_size(et);
    if (es == 0) return fail(w, "key '%s': add_arr takes scalar elements only", key ? key : "");
    if (key && is_alignment_key(key)) return fail(w, "%s must be an integer", key);
    size_t mark;
    if (begin_kv(w, key, GGUF_T_ARRAY, &mark)) return -1;
    int rc = put_u32(&w->kv, (uint32_t)et) || put_u64(&w->kv, n);
    /* host order == file order (little-endian); bools are normalized to 0/1 */
    const uint8_t *p = data;
    for (uint64_t i = 0; !rc && i < n; i++, p += es) {
        if (et == GGUF_T_BOOL) {
            uint8_t b = p[0] != 0;
            rc = buf_put(&w->kv, &b, 1);
        } else {
            rc = buf_put(&w->kv, p, es);
        }
    }
    return end_kv(w, key, rc, mark, NULL);
}

int gguf_writer_add_str_arr(gguf_writer *w, const char *key, const char *const *v, uint64_t n) {
    if (key && is_alignment_key(key)) return fail(w, "%s must be an integer", key);
    size_t mark;
    if (begin_kv(w, key, GGUF_T_ARRAY, &mark)) return -1;
    int rc = put_u32(&w->kv, GGUF_T_STRING) || put_u64(&w->kv, n);
    for (uint64_t i = 0; !rc && i < n; i++) rc = put_str(&w->kv, v[i], strlen(v[i]));
    return end_kv(w, key, rc, mark, NULL);
}

int gguf_writer_copy_kv(gguf_writer *w, const gguf_file *src, const char *prefix) {
    size_t pl = strlen(prefix);
    char key[512];
    for (uint64_t i = 0; i < src->n_kv; i++) {
        const gguf_kv *kv = &src->kv[i];
        if (kv->key.len < pl || memcmp(kv->key.ptr, prefix, pl) != 0) continue;
        if (kv->key.len >= sizeof key) return fail(w, "key too long to copy (%s)", src->path);
        memcpy(key, kv->key.ptr, (size_t)kv->key.len);
        key[kv->key.len] = 0;
        if (is_alignment_key(key)) continue;
        if (gguf_writer_add_value(w, key, &kv->val)) return -1;
    }
    return 0;
}

static int add_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims, const uint64_t *ne,
                      const void *data, uint64_t nbytes) {
    if (w->failed) return -1;
    if (w->path) return fail(w, "tensor '%s' added after gguf_writer_begin", name ? name : "");
    if (!name || !*name || strlen(name) >= sizeof(((gguf_tensor *)0)->name))
        return fail(w, "tensor name '%s' is empty or too long", name ? name : "");
    for (uint64_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0) return fail(w, "duplicate tensor '%s'", name);
    if (n_dims < 1 || n_dims > 4) return fail(w, "tensor '%s' needs 1..4 dimensions", name);
    uint64_t nel = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
        if (ne[d] == 0 || ne[d] > (1ull << 40) || nel > (1ull << 42) / ne[d])
            return fail(w, "tensor '%s' has an invalid shape", name);
        nel *= ne[d];
    }
    int dt = ir_dtype_from_gguf(type);
    if (dt >= 0) {
        uint64_t be = (uint64_t)ir_dtype_block_elems((ir_dtype)dt);
        if (ne[0] % be != 0)
            return fail(w, "tensor '%s': ne[0] is not a whole number of blocks", name);
        if (nbytes != nel / be * (uint64_t)ir_dtype_block_bytes((ir_dtype)dt))
            return fail(w, "tensor '%s': nbytes does not match its type and shape", name);
    }
    if (w->n_tensors == w->cap_tensors) {
        uint64_t cap = w->cap_tensors ? 2 * w->cap_tensors : 16;
        wtensor *t = realloc(w->tensors, (size_t)cap * sizeof *t);
        if (!t) return fail(w, "out of memory");
        w->tensors = t;
        w->cap_tensors = cap;
    }
    wtensor *t = &w->tensors[w->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = malloc(strlen(name) + 1);
    t->data = data ? malloc(nbytes ? (size_t)nbytes : 1) : NULL;
    if (!t->name || (data && !t->data)) {
        free(t->name);
        free(t->data);
        return fail(w, "out of memory for tensor '%s'", name);
    }
    strcpy(t->name, name);
    if (data) memcpy(t->data, data, (size_t)nbytes);
    t->type = type;
    t->n_dims = n_dims;
    for (int d = 0; d < 4; d++) t->ne[d] = (uint32_t)d < n_dims ? ne[d] : 1;
    t->nbytes = nbytes;
    w->n_tensors++;
    return 0;
}

int gguf_writer_add_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims, const uint64_t *ne,
                           const void *data, uint64_t nbytes) {
    if (!data && nbytes) return fail(w, "tensor '%s' has no data", name ? name : "");
    static const uint8_t none[1];
    return add_tensor(w, name, type, n_dims, ne, data ? data : none, nbytes);
}

int gguf_writer_add_tensor_info(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                                const uint64_t *ne, uint64_t nbytes) {
    return add_tensor(w, name, type, n_dims, ne, NULL, nbytes);
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* Ends a stream on an error: the partial PATH.tmp goes, later calls refuse. */
static int stream_fail(gguf_writer *w, int err, const char *what) {
    lmcc_error(w->path, "%s: %s (disk full?)", what, strerror(err));
    if (w->fp) {
        fclose(w->fp);
        w->fp = NULL;
        remove(w->tmp);
    }
    w->failed = 1;
    return -1;
}

static int stream_pad(gguf_writer *w) {
    static const uint8_t zeros[256];
    uint64_t pad = align_up(w->pos, w->alignment) - w->pos;
    while (pad) {
        size_t k = pad < sizeof zeros ? (size_t)pad : sizeof zeros;
        if (fwrite(zeros, 1, k, w->fp) != k) return stream_fail(w, errno, "write failed");
        pad -= k;
        w->pos += k;
    }
    return 0;
}

/* Moves past every completed tensor, padding each to the alignment. */
static int stream_advance(gguf_writer *w) {
    while (w->cur < w->n_tensors && w->cur_done == w->tensors[w->cur].nbytes) {
        if (stream_pad(w)) return -1;
        w->cur++;
        w->cur_done = 0;
    }
    return 0;
}

int gguf_writer_begin(gguf_writer *w, const char *path) {
    if (w->failed) return lmcc_error(path, "not written: an earlier gguf writer call failed");
    if (w->path) return lmcc_error(path, "gguf_writer_begin called twice");
    wbuf h = {0};
    int rc = buf_put(&h, "GGUF", 4) || put_u32(&h, 3) || put_u64(&h, w->n_tensors) || put_u64(&h, w->n_kv) ||
             buf_put(&h, w->kv.p, w->kv.n);
    uint64_t off = 0;
    for (uint64_t i = 0; !rc && i < w->n_tensors; i++) {
        const wtensor *t = &w->tensors[i];
        rc = put_str(&h, t->name, strlen(t->name)) || put_u32(&h, t->n_dims);
        for (uint32_t d = 0; !rc && d < t->n_dims; d++) rc = put_u64(&h, t->ne[d]);
        rc = rc || put_u32(&h, t->type) || put_u64(&h, off);
        off = align_up(off + t->nbytes, w->alignment);
    }
    size_t plen = strlen(path);
    w->path = malloc(plen + 1);
    w->tmp = malloc(plen + 5);
    if (rc || !w->path || !w->tmp) {
        free(h.p);
        w->failed = 1;
        return lmcc_error(path, "out of memory while writing GGUF");
    }
    memcpy(w->path, path, plen + 1);
    memcpy(w->tmp, path, plen);
    memcpy(w->tmp + plen, ".tmp", 5);
    w->fp = fopen(w->tmp, "wb");
    if (!w->fp) {
        lmcc_error(path, "cannot create %s: %s (is the directory writable?)", w->tmp, strerror(errno));
        free(h.p);
        w->failed = 1;
        return -1;
    }
    int ok = fwrite(h.p, 1, h.n, w->fp) == h.n;
    int err = errno;
    w->pos = h.n;
    free(h.p);
    if (!ok) return stream_fail(w, err, "write failed");
    /* pad to the data section; zero-byte tensors are complete already */
    return stream_pad(w) || stream_advance(w) ? -1 : 0;
}

int gguf_writer_put_data(gguf_writer *w, const void *data, uint64_t n) {
    if (!w->fp) {
        if (w->failed) return -1;
        return lmcc_error(w->path, "gguf_writer_put_data outside begin/end");
    }
    const uint8_t *p = data;
    while (n) {
        if (w->cur >= w->n_tensors) {
            w->failed = 1;
            fclose(w->fp);
            w->fp = NULL;
            remove(w->tmp);
            return lmcc_error(w->path, "more tensor data than the declared tensors hold");
        }
        uint64_t left = w->tensors[w->cur].nbytes - w->cur_done, k = n < left ? n : left;
        if (fwrite(p, 1, (size_t)k, w->fp) != k) return stream_fail(w, errno, "write failed");
        w->pos += k;
        w->cur_done += k;
        p += k;
        n -= k;
        if (stream_advance(w)) return -1;
    }
    return 0;
}

int gguf_writer_end(gguf_writer *w) {
    if (!w->fp) {
        if (w->failed) return -1;
        return lmcc_error(w->path, "gguf_writer_end without gguf_writer_begin");
    }
    if (w->cur < w->n_tensors) {
        const char *name = w->tensors[w->cur].name;
        fclose(w->fp);
        w->fp = NULL;
        remove(w->tmp);
        w->failed = 1;
        return lmcc_error(w->path, "not written: tensor '%s' got %llu of %llu bytes", name,
                          (unsigned long long)w->cur_done, (unsigned long long)w->tensors[w->cur].nbytes);
    }
    FILE *fp = w->fp;
    w->fp = NULL;
    if (fclose(fp) != 0) {
        int err = errno;
        remove(w->tmp);
        w->failed = 1;
        return lmcc_error(w->path, "write failed: %s (disk full?)", strerror(err));
    }
    if (rename(w->tmp, w->path) != 0) {
        lmcc_error(w->path, "cannot rename %s into place: %s", w->tmp, strerror(errno));
        remove(w->tmp);
        w->failed = 1;
        return -1;
    }
    return 0;
}

int gguf_writer_write(gguf_writer *w, const char *path) {
    if (w->failed) return lmcc_error(path, "not written: an earlier gguf writer call failed");
    for (uint64_t i = 0; i < w->n_tensors; i++)
        if (!w->tensors[i].data)
            return lmcc_error(path, "tensor '%s' was declared without data (stream it with gguf_writer_begin)",
                              w->tensors[i].name);
    int rc = gguf_writer_begin(w, path);
    for (uint64_t i = 0; !rc && i < w->n_tensors; i++)
        rc = gguf_writer_put_data(w, w->tensors[i].data, w->tensors[i].nbytes);
    rc = rc || gguf_writer_end(w);
    /* the in-memory writer stays usable: it may be written again, or added to */
    free(w->path);
    free(w->tmp);
    w->path = w->tmp = NULL;
    w->pos = w->cur = w->cur_done = 0;
    w->failed = 0;
    return rc ? -1 : 0;
}
