/* gguf.c - GGUF v2/v3 reader over mmap.  Every length and offset read from the
 * file is checked against the mapping before use, so a truncated or hostile
 * file produces one error line, never a crash. */
#include "gguf.h"

#include "diag.h"
#include "ir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct gguf_block { struct gguf_block *next; alignas(max_align_t) unsigned char data[]; } gguf_block;

void *gguf_alloc(gguf_file *f, size_t n) {
    gguf_block *b = calloc(1, sizeof *b + (n ? n : 1));
    if (!b) return NULL;
    b->next = f->arena;
    f->arena = b;
    return b->data;
}

gguf_file *gguf_new(const char *path) {
    gguf_file *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->path = path;
    f->alignment = 32;
    return f;
}

void gguf_close(gguf_file *f) {
    if (!f) return;
    for (gguf_block *b = f->arena, *n; b; b = n) { n = b->next; free(b); }
    if (f->map) munmap((void *)f->map, f->size);
    free(f);
}

typedef struct reader { gguf_file *f; size_t pos; } reader;

/* Limits well above any real model; they keep a corrupt count from turning
 * into a huge allocation. */
#define GGUF_MAX_ARRAY_DEPTH 4

static int rd_bytes(reader *r, void *dst, size_t n) {
    if (n > r->f->size - r->pos) return -1;
    memcpy(dst, r->f->map + r->pos, n);
    r->pos += n;
    return 0;
}
static int rd_u32(reader *r, uint32_t *v) { return rd_bytes(r, v, 4); }
static int rd_u64(reader *r, uint64_t *v) { return rd_bytes(r, v, 8); }

static int rd_str(reader *r, gguf_str *s) {
    uint64_t len;
    if (rd_u64(r, &len)) return -1;
    if (len > r->f->size - r->pos) return -1;
    s->len = len;
    s->ptr = (const char *)r->f->map + r->pos;
    r->pos += len;
    return 0;
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

const char *gguf_vtype_name(enum gguf_vtype t) {
    static const char *names[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
                                  "bool", "string", "array", "uint64", "int64", "float64"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "invalid";
}

static int rd_scalar(reader *r, enum gguf_vtype t, gguf_value *v) {
    unsigned char b[8];
    size_t n = scalar_size(t);
    if (rd_bytes(r, b, n)) return -1;
    v->type = t;
    switch (t) {
    case GGUF_T_UINT8: v->v.u = b[0]; break;
    case GGUF_T_INT8: v->v.i = (int8_t)b[0]; break;
    case GGUF_T_BOOL: v->v.b = b[0] != 0; break;
    case GGUF_T_UINT16: { uint16_t x; memcpy(&x, b, 2); v->v.u = x; break; }
    case GGUF_T_INT16: { int16_t x; memcpy(&x, b, 2); v->v.i = x; break; }
    case GGUF_T_UINT32: { uint32_t x; memcpy(&x, b, 4); v->v.u = x; break; }
    case GGUF_T_INT32: { int32_t x; memcpy(&x, b, 4); v->v.i = x; break; }
    case GGUF_T_FLOAT32: { float x; memcpy(&x, b, 4); v->v.f = x; break; }
    case GGUF_T_UINT64: { uint64_t x; memcpy(&x, b, 8); v->v.u = x; break; }
    case GGUF_T_INT64: { int64_t x; memcpy(&x, b, 8); v->v.i = x; break; }
    case GGUF_T_FLOAT64: { double x; memcpy(&x, b, 8); v->v.f = x; break; }
    default: return -1;
    }
    return 0;
}

static int rd_value(reader *r, enum gguf_vtype t, gguf_value *v, int depth, const char **why) {
    if (t == GGUF_T_STRING) {
        v->type = t;
        if (rd_str(r, &v->v.s)) { *why = "string runs past the end of the file"; return -1; }
        return 0;
    }
    if (t == GGUF_T_ARRAY) {
        uint32_t et;
        uint64_t n;
        if (depth >= GGUF_MAX_ARRAY_DEPTH) { *why = "arrays nested too deeply"; return -1; }
        if (rd_u32(r, &et) || rd_u64(r, &n)) { *why = "array header runs past the end of the file"; return -1; }
        if (et > GGUF_T_FLOAT64) { *why = "array of unknown value type"; return -1; }
        /* every element takes at least one byte (strings at least eight) */
        size_t min_el = et == GGUF_T_STRING ? 8 : et == GGUF_T_ARRAY ? 12 : scalar_size(et);
        if (n > (r->f->size - r->pos) / min_el) { *why = "array longer than the file"; return -1; }
        v->type = t;
        v->v.arr.type = (enum gguf_vtype)et;
        v->v.arr.n = n;
        v->v.arr.items = NULL;
        v->v.arr.raw = NULL;
        if (et != GGUF_T_STRING && et != GGUF_T_ARRAY) { /* left in the file: memory is not 32x a byte array */
            v->v.arr.raw = r->f->map + r->pos;
            r->pos += (size_t)n * min_el;
            return 0;
        }
        if (n == 0) return 0;
        /* a value per element: at most 40 bytes for >= 8 in the file */
        v->v.arr.items = gguf_alloc(r->f, (size_t)n * sizeof(gguf_value));
        if (!v->v.arr.items) { *why = "out of memory"; return -1; }
        for (uint64_t i = 0; i < n; i++)
            if (rd_value(r, et, &v->v.arr.items[i], depth + 1, why)) return -1;
        return 0;
    }
    if (scalar_size(t) == 0) { *why = "unknown metadata value type"; return -1; }
    if (rd_scalar(r, t, v)) { *why = "value runs past the end of the file"; return -1; }
    return 0;
}

static void str_copy(char *dst, size_t cap, gguf_str s) {
    size_t n = s.len < cap - 1 ? (size_t)s.len : cap - 1;
    memcpy(dst, s.ptr, n);
    dst[n] = 0;
}

/* ---- names in order: lookups in O(log n) and duplicates found in O(n log n), whatever names a
 * file chooses (no hash to flood) ---- */

typedef struct gguf_name { const char *s; size_t n; uint64_t i; } gguf_name;

static int name_cmp(const char *a, size_t na, const char *b, size_t nb) {
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

static int name_qsort(const void *x, const void *y) {
    const gguf_name *a = x, *b = y;
    int c = name_cmp(a->s, a->n, b->s, b->n);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

static gguf_name *name_sort(gguf_file *f, uint64_t n, const char *(*get)(const gguf_file *, uint64_t, size_t *)) {
    gguf_name *o = gguf_alloc(f, (size_t)n * sizeof *o);
    if (!o) return NULL;
    for (uint64_t i = 0; i < n; i++) o[i].s = get(f, i, &o[i].n), o[i].i = i;
    qsort(o, (size_t)n, sizeof *o, name_qsort);
    return o;
}

static const char *tensor_name_at(const gguf_file *f, uint64_t i, size_t *n) {
    *n = strlen(f->tensors[i].name);
    return f->tensors[i].name;
}

static const char *key_at(const gguf_file *f, uint64_t i, size_t *n) {
    *n = (size_t)f->kv[i].key.len;
    return f->kv[i].key.ptr;
}

/* the entry named s in a sorted index, or -1 */
static int64_t name_find(const gguf_name *o, uint64_t n, const char *s) {
    size_t len = strlen(s);
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (name_cmp(o[mid].s, o[mid].n, s, len) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && name_cmp(o[lo].s, o[lo].n, s, len) == 0 ? (int64_t)o[lo].i : -1;
}

static int index_build(gguf_file *f) {
    gguf_name *t = name_sort(f, f->n_tensors, tensor_name_at), *k = name_sort(f, f->n_kv, key_at);
    if (!t || !k) return lmcc_error(f->path, "out of memory");
    for (uint64_t i = 1; i < f->n_tensors; i++)
        if (!name_cmp(t[i].s, t[i].n, t[i - 1].s, t[i - 1].n))
            return lmcc_error(f->path, "tensor '%s' appears twice", f->tensors[t[i].i].name);
    for (uint64_t i = 1; i < f->n_kv; i++)
        if (!name_cmp(k[i].s, k[i].n, k[i - 1].s, k[i - 1].n))
            return lmcc_error(f->path, "metadata key '%.*s' appears twice (corrupt file)", (int)(k[i].n > 200 ? 200 : k[i].n),
                              k[i].s);
    f->tensor_order = t;
    f->n_tensor_order = f->n_tensors;
    f->kv_order = k;
    f->n_kv_order = f->n_kv;
    return 0;
}

gguf_file *gguf_open(const char *path) {
    int fd = open(path, O_RDONLY | O_NONBLOCK); /* a FIFO is refused below, not waited on */
    if (fd < 0) {
        lmcc_error(path, "cannot open: %s (check the path)", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        lmcc_error(path, "not a regular file (give a .gguf or llama2.c .bin model file)");
        return NULL;
    }
    if (st.st_size == 0) {
        close(fd);
        lmcc_error(path, "file is empty (expected a GGUF model)");
        return NULL;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        lmcc_error(path, "cannot map file: %s", strerror(errno));
        return NULL;
    }
    return gguf_open_map(path, map, (size_t)st.st_size);
}

gguf_file *gguf_open_map(const char *path, void *map, size_t size) {
    gguf_file *f = gguf_new(path);
    if (!f) { munmap(map, size); lmcc_error(path, "out of memory"); return NULL; }
    f->map = map;
    f->size = size;
    reader r = {f, 0};
    const char *why = NULL;
    char magic[4];
    if (rd_bytes(&r, magic, 4) || memcmp(magic, "GGUF", 4) != 0) {
        lmcc_error(path, "not a GGUF file (bad magic; expected \"GGUF\")");
        goto fail;
    }
    if (rd_u32(&r, &f->version)) { why = "header"; goto truncated; }
    if (f->version != 2 && f->version != 3) {
        lmcc_error(path, "unsupported GGUF version %u (lmcc reads versions 2 and 3)", f->version);
        goto fail;
    }
    if (rd_u64(&r, &f->n_tensors) || rd_u64(&r, &f->n_kv)) { why = "header"; goto truncated; }
    /* a kv pair takes >= 13 bytes, a tensor info >= 28 */
    if (f->n_kv > f->size / 13 || f->n_tensors > f->size / 28) {
        lmcc_error(path, "header counts (%llu tensors, %llu keys) exceed the file size (truncated or corrupt)",
                   (unsigned long long)f->n_tensors, (unsigned long long)f->n_kv);
        goto fail;
    }
    f->kv = gguf_alloc(f, (size_t)f->n_kv * sizeof(gguf_kv));
    f->tensors = gguf_alloc(f, (size_t)f->n_tensors * sizeof(gguf_tensor));
    if (!f->kv || !f->tensors) { lmcc_error(path, "out of memory"); goto fail; }
    for (uint64_t i = 0; i < f->n_kv; i++) {
        gguf_kv *kv = &f->kv[i];
        uint32_t t;
        if (rd_str(&r, &kv->key) || rd_u32(&r, &t)) { why = "metadata"; goto truncated; }
        if (t > GGUF_T_FLOAT64) {
            lmcc_error(path, "metadata key '%.*s' has unknown value type %u (corrupt file)",
                       (int)(kv->key.len > 200 ? 200 : kv->key.len), kv->key.ptr, t);
            goto fail;
        }
        const char *vwhy = NULL;
        if (rd_value(&r, (enum gguf_vtype)t, &kv->val, 0, &vwhy)) {
            lmcc_error(path, "metadata key '%.*s': %s (truncated or corrupt file)",
                       (int)(kv->key.len > 200 ? 200 : kv->key.len), kv->key.ptr, vwhy);
            goto fail;
        }
    }
    int64_t al;
    if (gguf_get_i64(f, "general.alignment", &al) == 0) {
        if (al <= 0 || (al & (al - 1)) != 0 || al > 65536) {
            lmcc_error(path, "general.alignment = %lld is not a power of two", (long long)al);
            goto fail;
        }
        f->alignment = (uint64_t)al;
    }
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        gguf_str name;
        if (rd_str(&r, &name) || rd_u32(&r, &t->n_dims)) { why = "tensor info"; goto truncated; }
        if (name.len >= sizeof t->name) {
            lmcc_error(path, "tensor %llu has a name longer than %zu bytes", (unsigned long long)i,
                       sizeof t->name - 1);
            goto fail;
        }
        str_copy(t->name, sizeof t->name, name);
        if (t->n_dims < 1 || t->n_dims > 4) {
            lmcc_error(path, "tensor '%s' has %u dimensions (GGUF allows 1..4)", t->name, t->n_dims);
            goto fail;
        }
        for (int d = 0; d < 4; d++) t->ne[d] = 1;
        for (uint32_t d = 0; d < t->n_dims; d++)
            if (rd_u64(&r, &t->ne[d])) { why = "tensor info"; goto truncated; }
        if (rd_u32(&r, &t->type) || rd_u64(&r, &t->offset)) { why = "tensor info"; goto truncated; }
        uint64_t nel = 1;
        for (int d = 0; d < 4; d++) {
            if (t->ne[d] == 0 || t->ne[d] > (1ull << 40) || nel > (1ull << 42) / t->ne[d]) {
                lmcc_error(path, "tensor '%s' has an invalid shape", t->name);
                goto fail;
            }
            nel *= t->ne[d];
        }
        int dt = ir_dtype_from_gguf(t->type);
        if (dt >= 0) {
            int be = ir_dtype_block_elems((ir_dtype)dt);
            if (t->ne[0] % (uint64_t)be != 0) {
                lmcc_error(path, "tensor '%s': row length %llu is not a multiple of the %s block size %d",
                           t->name, (unsigned long long)t->ne[0], ir_dtype_name((ir_dtype)dt), be);
                goto fail;
            }
            t->nbytes = nel / (uint64_t)be * (uint64_t)ir_dtype_block_bytes((ir_dtype)dt);
        }
    }
    if (index_build(f)) goto fail;
    f->data_offset = (r.pos + f->alignment - 1) / f->alignment * f->alignment;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        if (t->offset % f->alignment != 0) {
            lmcc_error(path, "tensor '%s': data offset %llu is not aligned to %llu (corrupt file)", t->name,
                       (unsigned long long)t->offset, (unsigned long long)f->alignment);
            goto fail;
        }
        if (t->nbytes == 0) continue; /* unknown type: reported by whoever needs the tensor */
        if (f->data_offset > f->size || t->offset > f->size - f->data_offset ||
            t->nbytes > f->size - f->data_offset - t->offset) {
            lmcc_error(path, "tensor '%s' data runs past the end of the file (truncated: file has %zu bytes, "
                       "needs %llu)", t->name, f->size,
                       (unsigned long long)(f->data_offset + t->offset + t->nbytes));
            goto fail;
        }
        t->data = f->map + f->data_offset + t->offset;
    }
    return f;
truncated:
    lmcc_error(path, "file ends inside the %s at byte %zu of %zu (truncated)", why, r.pos, f->size);
fail:
    gguf_close(f);
    return NULL;
}

int gguf_str_eq(gguf_str s, const char *c) {
    size_t n = strlen(c);
    return s.len == n && memcmp(s.ptr, c, n) == 0;
}

const gguf_kv *gguf_find(const gguf_file *f, const char *key) {
    if (f->kv_order && f->n_kv_order == f->n_kv) {
        int64_t i = name_find(f->kv_order, f->n_kv, key);
        return i < 0 ? NULL : &f->kv[i];
    }
    for (uint64_t i = 0; i < f->n_kv; i++)
        if (gguf_str_eq(f->kv[i].key, key)) return &f->kv[i];
    return NULL;
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name) {
    if (f->tensor_order && f->n_tensor_order == f->n_tensors) {
        int64_t i = name_find(f->tensor_order, f->n_tensors, name);
        return i < 0 ? NULL : &f->tensors[i];
    }
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

int gguf_arr_get(const gguf_value *arr, uint64_t i, gguf_value *out) {
    if (arr->type != GGUF_T_ARRAY || i >= arr->v.arr.n) return -1;
    if (arr->v.arr.items) {
        *out = arr->v.arr.items[i];
        return 0;
    }
    size_t sz = scalar_size(arr->v.arr.type);
    if (!arr->v.arr.raw || sz == 0) return -1;
    reader r = {&(gguf_file){.map = (const uint8_t *)arr->v.arr.raw + i * sz, .size = sz}, 0};
    return rd_scalar(&r, arr->v.arr.type, out);
}

int gguf_get_i64(const gguf_file *f, const char *key, int64_t *out) {
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv) return -1;
    switch (kv->val.type) {
    case GGUF_T_UINT8: case GGUF_T_UINT16: case GGUF_T_UINT32: case GGUF_T_UINT64:
        if (kv->val.v.u > (uint64_t)INT64_MAX) return -1;
        *out = (int64_t)kv->val.v.u;
        return 0;
    case GGUF_T_INT8: case GGUF_T_INT16: case GGUF_T_INT32: case GGUF_T_INT64:
        *out = kv->val.v.i;
        return 0;
    case GGUF_T_BOOL:
        *out = kv->val.v.b;
        return 0;
    default:
        return -1;
    }
}

int gguf_get_f32(const gguf_file *f, const char *key, float *out) {
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv) return -1;
    if (kv->val.type == GGUF_T_FLOAT32 || kv->val.type == GGUF_T_FLOAT64) {
        *out = (float)kv->val.v.f;
        return 0;
    }
    return -1;
}

int gguf_get_str(const gguf_file *f, const char *key, char *out, size_t cap) {
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv || kv->val.type != GGUF_T_STRING || cap == 0) return -1;
    str_copy(out, cap, kv->val.v.s);
    return 0;
}
