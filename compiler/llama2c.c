/* llama2c.c - llama2.c legacy checkpoint -> in-memory gguf_file. */
#include "llama2c.h"

#include "diag.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sanity limits: far above any llama2.c model, low enough that a garbage
 * header (e.g. a GGUF or a text file) cannot overflow the size arithmetic. */
#define L2C_MAX_DIM (1 << 16)
#define L2C_MAX_HIDDEN (1 << 18)
#define L2C_MAX_LAYERS 1024
#define L2C_MAX_VOCAB (1 << 22)
#define L2C_MAX_SEQ (1 << 22)

typedef struct l2c_hparams {
    int32_t dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len;
} l2c_hparams;

static int check_hparams(const char *path, const l2c_hparams *h, size_t size) {
    struct { const char *name; int64_t v, max; } f[] = {
        {"dim", h->dim, L2C_MAX_DIM},          {"hidden_dim", h->hidden, L2C_MAX_HIDDEN},
        {"n_layers", h->n_layers, L2C_MAX_LAYERS}, {"n_heads", h->n_heads, L2C_MAX_DIM},
        {"n_kv_heads", h->n_kv_heads, L2C_MAX_DIM}, {"vocab_size", h->vocab < 0 ? -(int64_t)h->vocab : h->vocab, L2C_MAX_VOCAB},
        {"seq_len", h->seq_len, L2C_MAX_SEQ},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (f[i].v <= 0 || f[i].v > f[i].max) {
            uint32_t magic;
            memcpy(&magic, &h->dim, 4);
            if (magic == 0x616b3432u) /* "ak42": llama2.c's versioned export */
                return lmcc_error(path, "llama2.c versioned export (magic \"ak42\") is not supported "
                                        "(export with --version 0, the legacy format)");
            if (size >= 4 && memcmp(&h->dim, "GGUF", 4) == 0)
                return lmcc_error(path, "this is a GGUF file, not a llama2.c checkpoint");
            return lmcc_error(path, "not a llama2.c checkpoint: header %s = %lld is out of range 1..%lld",
                              f[i].name, (long long)f[i].v, (long long)f[i].max);
        }
    }
    if (h->dim % h->n_heads != 0)
        return lmcc_error(path, "llama2.c header: dim %d is not a multiple of n_heads %d", h->dim, h->n_heads);
    if (h->n_kv_heads > h->n_heads || h->n_heads % h->n_kv_heads != 0)
        return lmcc_error(path, "llama2.c header: n_heads %d is not a multiple of n_kv_heads %d", h->n_heads,
                          h->n_kv_heads);
    if ((h->dim / h->n_heads) % 2 != 0)
        return lmcc_error(path, "llama2.c header: head size %d is odd (RoPE rotates pairs)", h->dim / h->n_heads);
    return 0;
}

static char *arena_strdup(gguf_file *f, const char *s) {
    size_t n = strlen(s);
    char *p = gguf_alloc(f, n + 1);
    if (p) memcpy(p, s, n + 1);
    return p;
}

static int add_str(gguf_file *f, const char *key, const char *val) {
    gguf_kv *kv = &f->kv[f->n_kv];
    char *k = arena_strdup(f, key), *v = arena_strdup(f, val);
    if (!k || !v) return -1;
    kv->key = (gguf_str){strlen(k), k};
    kv->val.type = GGUF_T_STRING;
    kv->val.v.s = (gguf_str){strlen(v), v};
    f->n_kv++;
    return 0;
}

/* convert-llama2c-to-ggml writes these as uint32 */
static int add_u32(gguf_file *f, const char *key, uint32_t val) {
    gguf_kv *kv = &f->kv[f->n_kv];
    char *k = arena_strdup(f, key);
    if (!k) return -1;
    kv->key = (gguf_str){strlen(k), k};
    kv->val.type = GGUF_T_UINT32;
    kv->val.v.u = val;
    f->n_kv++;
    return 0;
}

static int add_f32(gguf_file *f, const char *key, float val) {
    gguf_kv *kv = &f->kv[f->n_kv];
    char *k = arena_strdup(f, key);
    if (!k) return -1;
    kv->key = (gguf_str){strlen(k), k};
    kv->val.type = GGUF_T_FLOAT32;
    kv->val.v.f = val;
    f->n_kv++;
    return 0;
}

/* Records tensor `name` (GGUF ne order) at float offset `at` of the weights. */
static void add_tensor(gguf_file *f, const char *name, uint64_t at, uint64_t ne0, uint64_t ne1) {
    gguf_tensor *t = &f->tensors[f->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->n_dims = ne1 ? 2 : 1;
    t->ne[0] = ne0;
    t->ne[1] = ne1 ? ne1 : 1;
    t->ne[2] = t->ne[3] = 1;
    t->type = 0; /* F32 */
    t->offset = at * sizeof(float);
    t->nbytes = ne0 * t->ne[1] * sizeof(float);
    t->data = f->map + f->data_offset + t->offset;
}

gguf_file *llama2c_open(const char *path) {
    int fd = open(path, O_RDONLY | O_NONBLOCK); /* a FIFO is refused below, not waited on */
    if (fd < 0) {
        lmcc_error(path, "cannot open: %s (check the path)", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        lmcc_error(path, "not a regular file (give a llama2.c .bin checkpoint)");
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    l2c_hparams h;
    if (size < sizeof h) {
        close(fd);
        lmcc_error(path, "file has %zu bytes, too short for the 28-byte llama2.c header (truncated?)", size);
        return NULL;
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        lmcc_error(path, "cannot map file: %s", strerror(errno));
        return NULL;
    }
    memcpy(&h, map, sizeof h);
    if (check_hparams(path, &h, size)) {
        munmap(map, size);
        return NULL;
    }
    int shared = h.vocab > 0;
    uint64_t dim = (uint64_t)h.dim, hid = (uint64_t)h.hidden, L = (uint64_t)h.n_layers;
    uint64_t vocab = (uint64_t)(shared ? h.vocab : -h.vocab);
    uint64_t head = dim / (uint64_t)h.n_heads, kv_dim = head * (uint64_t)h.n_kv_heads;

    /* float offsets of each array, in run.c's order */
    uint64_t o_emb = 0, o_rms_att = o_emb + vocab * dim, o_wq = o_rms_att + L * dim;
    uint64_t o_wk = o_wq + L * dim * dim, o_wv = o_wk + L * kv_dim * dim, o_wo = o_wv + L * kv_dim * dim;
    uint64_t o_rms_ffn = o_wo + L * dim * dim, o_w1 = o_rms_ffn + L * dim, o_w2 = o_w1 + L * hid * dim;
    uint64_t o_w3 = o_w2 + L * dim * hid, o_rms_final = o_w3 + L * hid * dim;
    uint64_t o_freq = o_rms_final + dim; /* freq_cis_real + freq_cis_imag: unused, RoPE is recomputed */
    uint64_t o_cls = o_freq + 2 * (uint64_t)h.seq_len * (head / 2);
    uint64_t n_floats = o_cls + (shared ? 0 : vocab * dim);
    uint64_t want = sizeof h + n_floats * sizeof(float);
    if (size != want) {
        if (size < want)
            lmcc_error(path, "truncated: file has %zu bytes, but its header (dim %d, hidden %d, %d layers, "
                       "vocab %d, seq_len %d) needs %llu", size, h.dim, h.hidden, h.n_layers, h.vocab,
                       h.seq_len, (unsigned long long)want);
        else
            lmcc_error(path, "file has %zu bytes, %llu more than its llama2.c header implies (%llu); "
                       "not a legacy llama2.c checkpoint?", size, (unsigned long long)(size - want),
                       (unsigned long long)want);
        munmap(map, size);
        return NULL;
    }

    gguf_file *f = gguf_new(path);
    if (!f) {
        munmap(map, size);
        lmcc_error(path, "out of memory");
        return NULL;
    }
    f->map = map;
    f->size = size;
    f->version = 3;
    f->data_offset = sizeof h;
    enum { MAX_KV = 16 };
    uint64_t n_tensors = 2 + (shared ? 0 : 1) + 9 * L;
    f->path = arena_strdup(f, path);
    f->kv = gguf_alloc(f, MAX_KV * sizeof(gguf_kv));
    f->tensors = gguf_alloc(f, (size_t)n_tensors * sizeof(gguf_tensor));
    if (!f->path || !f->kv || !f->tensors) goto oom;

    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strchr(base, '.');
    int base_len = (int)(dot ? (size_t)(dot - base) : strlen(base));
    char name[128];
    snprintf(name, sizeof name, "%.*s", base_len, base);
    if (add_str(f, "general.architecture", "llama") || add_str(f, "general.name", name[0] ? name : "llama") ||
        add_u32(f, "llama.context_length", (uint32_t)h.seq_len) ||
        add_u32(f, "llama.embedding_length", (uint32_t)dim) ||
        add_u32(f, "llama.feed_forward_length", (uint32_t)hid) ||
        add_u32(f, "llama.attention.head_count", (uint32_t)h.n_heads) ||
        add_u32(f, "llama.attention.head_count_kv", (uint32_t)h.n_kv_heads) ||
        add_u32(f, "llama.block_count", (uint32_t)L) ||
        add_u32(f, "llama.rope.dimension_count", (uint32_t)head) ||
        add_f32(f, "llama.attention.layer_norm_rms_epsilon", 1e-5f) ||
        add_f32(f, "llama.rope.freq_base", 10000.0f))
        goto oom;

    /* same tensor order as convert-llama2c-to-ggml */
    add_tensor(f, "token_embd.weight", o_emb, dim, vocab);
    add_tensor(f, "output_norm.weight", o_rms_final, dim, 0);
    if (!shared) add_tensor(f, "output.weight", o_cls, dim, vocab);
    for (uint64_t l = 0; l < L; l++) {
        char tn[64];
#define BLK(suffix, off, ne0, ne1)                                               \
    do {                                                                         \
        snprintf(tn, sizeof tn, "blk.%llu." suffix ".weight", (unsigned long long)l); \
        add_tensor(f, tn, off, ne0, ne1);                                        \
    } while (0)
        BLK("attn_q", o_wq + l * dim * dim, dim, dim);
        BLK("attn_k", o_wk + l * kv_dim * dim, dim, kv_dim);
        BLK("attn_v", o_wv + l * kv_dim * dim, dim, kv_dim);
        BLK("attn_output", o_wo + l * dim * dim, dim, dim);
        BLK("attn_norm", o_rms_att + l * dim, dim, 0);
        BLK("ffn_gate", o_w1 + l * hid * dim, dim, hid);
        BLK("ffn_down", o_w2 + l * dim * hid, hid, dim);
        BLK("ffn_up", o_w3 + l * hid * dim, dim, hid);
        BLK("ffn_norm", o_rms_ffn + l * dim, dim, 0);
#undef BLK
    }
    return f;
oom:
    lmcc_error(path, "out of memory");
    gguf_close(f);
    return NULL;
}
