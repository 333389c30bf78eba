/* arch.c - architecture builders (one table) and the llama builder. */
#include "arch.h"

#include "diag.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hyper-parameters beyond this are corrupt metadata, and keep int math safe. */
#define ARCH_MAX_PARAM (1 << 24)

static int arch_key_int(const gguf_file *f, const char *path, const char *key, int def, int *out) {
    const gguf_kv *kv = gguf_find(f, key);
    int64_t v;
    if (!kv) {
        if (def < 0) return lmcc_error(path, "missing required key '%s' (not a complete llama GGUF?)", key);
        *out = def;
        return 0;
    }
    if (gguf_get_i64(f, key, &v) != 0)
        return lmcc_error(path, "key '%s' has type %s, expected an integer", key, gguf_vtype_name(kv->val.type));
    if (v <= 0 || v > ARCH_MAX_PARAM)
        return lmcc_error(path, "key '%s' = %" PRId64 " is out of range (must be 1..%d)", key, v, ARCH_MAX_PARAM);
    *out = (int)v;
    return 0;
}

static int arch_key_float(const gguf_file *f, const char *path, const char *key, float def, float *out) {
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv) {
        *out = def;
        return 0;
    }
    if (gguf_get_f32(f, key, out) != 0)
        return lmcc_error(path, "key '%s' has type %s, expected a float", key, gguf_vtype_name(kv->val.type));
    return 0;
}

static void arch_fmt_shape(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%" PRId64, i ? ", " : "", shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

static void arch_readable_types(char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = 0;
#define X(nm, s, ...) \
    if (IR_DT_##nm != IR_DT_I32 && n < cap) n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", s);
    IR_DTYPE_LIST(X)
#undef X
}

/* Adds the GGUF tensor `name` as a weight pointing into the mapping, after
 * checking that it exists, has a type lmcc reads and the expected shape
 * (outermost first).  Returns the tensor id or -1. */
static int arch_weight(ir_graph *g, const gguf_file *f, const char *path, const char *name,
                       int ndim, const int64_t *shape, const char *why) {
    const gguf_tensor *t = gguf_find_tensor(f, name);
    if (!t) return lmcc_error(path, "missing tensor '%s' (needed by this architecture)", name);
    int dt = ir_dtype_from_gguf(t->type);
    if (dt < 0 || dt == IR_DT_I32 || !t->data) {
        char types[256];
        arch_readable_types(types, sizeof types);
        return lmcc_error(path, "tensor '%s' has ggml type %u, which lmcc cannot read (supported: %s)", name,
                          t->type, types);
    }
    int64_t got[IR_MAX_DIMS] = {0};
    int got_ndim = (int)t->n_dims, ok = got_ndim >= ndim && got_ndim <= IR_MAX_DIMS;
    for (int i = 0; i < got_ndim && i < IR_MAX_DIMS; i++) got[i] = (int64_t)t->ne[got_ndim - 1 - i];
    /* GGUF may pad the shape with outer dims of 1 */
    int extra = ok ? got_ndim - ndim : 0;
    for (int i = 0; ok && i < extra; i++) ok = got[i] == 1;
    for (int i = 0; ok && i < ndim; i++) ok = got[extra + i] == shape[i];
    if (!ok) {
        char want[96], have[96];
        arch_fmt_shape(want, sizeof want, ndim, shape);
        arch_fmt_shape(have, sizeof have, got_ndim < IR_MAX_DIMS ? got_ndim : IR_MAX_DIMS, got);
        return lmcc_error(path, "tensor '%s' has shape %s, expected %s (from %s)", name, have, want, why);
    }
    int64_t rows = 1;
    for (int i = 0; i < ndim - 1; i++) rows *= shape[i];
    size_t nbytes = (size_t)rows * ir_row_bytes((ir_dtype)dt, shape[ndim - 1]);
    if (t->nbytes != nbytes)
        return lmcc_error(path, "tensor '%s' holds %" PRIu64 " bytes, expected %zu for its %s shape", name,
                          t->nbytes, nbytes, ir_dtype_name((ir_dtype)dt));
    int id = ir_weight_add(g, name, (ir_dtype)dt, ndim, shape, t->data, nbytes);
    if (id < 0) return lmcc_error(path, "out of memory");
    return id;
}

/* What an architecture changes in the llama block, one row each (llama.cpp's src/models/ARCH.cpp):
 * X(name, rotation of halves (NeoX) instead of adjacent pairs, q/k/v biases, q/k head norms
 *   before RoPE, every n-th layer without RoPE (0: none)) */
#define ARCH_LIST(X)                \
    X("llama",   0, 0, 0, 0)        \
    X("qwen2",   1, 1, 0, 0)        \
    X("qwen3",   1, 0, 1, 0)        \
    X("smollm3", 0, 0, 0, 4)

typedef struct arch_spec {
    const char *name;
    int rope_neox, qkv_bias, qk_norm, no_rope_step;
} arch_spec;

static const arch_spec arch_specs[] = {
#define X(nm, neox, bias, qkn, nrs) {nm, neox, bias, qkn, nrs},
    ARCH_LIST(X)
#undef X
};

/* Metadata keys "ARCH.suffix" that change the math and that lmcc does not implement (llama.cpp
 * applies them to these architectures): present with any value but `neutral` is an error naming
 * the key.  X(suffix, neutral value, what it does) */
#define ARCH_UNSUPPORTED_KEY_LIST(X)                                                         \
    X("rope.scaling.attn_factor",          1.0, "scales the rotated q and k (YaRN)")        \
    X("attention.logit_softcapping",       0.0, "soft-caps the attention scores")           \
    X("attn_logit_softcapping",            0.0, "soft-caps the attention scores")           \
    X("final_logit_softcapping",           0.0, "soft-caps the logits")                     \
    X("expert_count",                      0.0, "a mixture of experts")                     \
    X("embedding_scale",                   1.0, "scales the token embeddings")              \
    X("residual_scale",                    1.0, "scales the residual branches")             \
    X("logit_scale",                       1.0, "scales the logits")                        \
    X("attention.clamp_kqv",               0.0, "clamps q, k and v")

/* a numeric key as a double: 0 read, 1 absent, -1 not a number (error reported) */
static int arch_key_num(const gguf_file *f, const char *path, const char *key, double *out) {
    const gguf_kv *kv = gguf_find(f, key);
    int64_t i;
    float v;
    if (!kv) return 1;
    if (gguf_get_f32(f, key, &v) == 0) return *out = v, 0;
    if (gguf_get_i64(f, key, &i) == 0) return *out = (double)i, 0;
    return lmcc_error(path, "key '%s' has type %s, expected a number", key, gguf_vtype_name(kv->val.type));
}

static int arch_check_keys(const gguf_file *f, const char *path, const char *ar) {
    static const struct { const char *suffix; double neutral; const char *what; } keys[] = {
#define X(sfx, neu, what) {sfx, neu, what},
        ARCH_UNSUPPORTED_KEY_LIST(X)
#undef X
    };
    char key[128];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        double v = keys[i].neutral;
        snprintf(key, sizeof key, "%s.%s", ar, keys[i].suffix);
        int rc = arch_key_num(f, path, key, &v);
        if (rc < 0) return -1;
        if (rc == 0 && v != keys[i].neutral)
            return lmcc_error(path, "key '%s' = %g is not supported by lmcc's %s builder (it %s; compiling "
                              "without it would give another model)", key, v, ar, keys[i].what);
    }
    return 0;
}

/* RoPE's rotation frequencies, radians per position, as llama.cpp's ggml_rope_ext:
 * freq_scale * base^(-2i/rope_dim) / factor[i] for each pair i, with freq_scale 1/rope.scaling.factor
 * (linear scaling; none: 1) and factor[i] from rope_freqs.weight (Llama 3.x's per-frequency
 * divisors; absent: 1).  In double, then rounded; the rope_table op turns them into the cos/sin
 * rows of each chunk's positions at run time (no table of the context's size anywhere). */
static int arch_rope_freqs(ir_graph *g, const gguf_file *f, const char *path, const char *ar, int rope_dim,
                           double theta) {
    int half = rope_dim / 2;
    char key[128], type[32] = "linear";
    double factor = 0;
    snprintf(key, sizeof key, "%s.rope.scaling.type", ar);
    if (gguf_find(f, key) && gguf_get_str(f, key, type, sizeof type) != 0)
        return lmcc_error(path, "key '%s' has type %s, expected a string", key, gguf_vtype_name(gguf_find(f, key)->val.type));
    if (strcmp(type, "none") != 0 && strcmp(type, "linear") != 0)
        return lmcc_error(path, "key '%s' = '%s' is not supported (lmcc implements RoPE scaling none, linear and "
                          "Llama 3's rope_freqs.weight)", key, type);
    snprintf(key, sizeof key, "%s.rope.scaling.factor", ar);
    int rc = arch_key_num(f, path, key, &factor);
    if (rc == 1) { /* the older name */
        snprintf(key, sizeof key, "%s.rope.scale_linear", ar);
        rc = arch_key_num(f, path, key, &factor);
    }
    if (rc < 0) return -1;
    if (rc == 0 && (!(factor >= 0) || !isfinite(factor)))
        return lmcc_error(path, "key '%s' = %g must be >= 0 (0: no scaling)", key, factor);
    double freq_scale = factor == 0 || !strcmp(type, "none") ? 1.0 : 1.0 / factor;
    const gguf_tensor *ft = gguf_find_tensor(f, "rope_freqs.weight");
    if (ft && (ft->type != 0 || ft->n_dims != 1 || ft->ne[0] != (uint64_t)half || !ft->data ||
               ft->nbytes != (uint64_t)half * sizeof(float)))
        return lmcc_error(path, "tensor 'rope_freqs.weight' must be f32 [%d] (rope.dimension_count / 2)", half);
    float *fr = malloc((size_t)half * sizeof *fr);
    if (!fr) return lmcc_error(path, "out of memory");
    for (int i = 0; i < half; i++) {
        float div = 1.0f;
        if (ft) memcpy(&div, (const char *)ft->data + (size_t)i * sizeof div, sizeof div);
        if (!(div > 0) || !isfinite(div)) {
            free(fr);
            return lmcc_error(path, "rope_freqs.weight[%d] = %g must be positive", i, (double)div);
        }
        fr[i] = (float)(freq_scale * pow(theta, -2.0 * i / (double)rope_dim) / (double)div);
    }
    int64_t shape[1] = {half};
    int id = ir_weight_add(g, "rope.freqs", IR_DT_F32, 1, shape, fr, (size_t)half * sizeof *fr);
    if (id < 0) {
        free(fr);
        return lmcc_error(path, "out of memory");
    }
    g->tensors[id].owned = fr;
    return id;
}

/* Every tensor of the file must be a weight of the graph (or folded into one at compile time,
 * as rope_freqs.weight into rope.freqs): one the builder does not know (a bias, ...) changes
 * the model's math, and ignoring it would compile another model. */
static int arch_check_consumed(const ir_graph *g, const gguf_file *f, const char *path, const char *arch) {
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (ir_tensor_find(g, f->tensors[i].name) < 0 && strcmp(f->tensors[i].name, "rope_freqs.weight") != 0)
            return lmcc_error(path, "tensor '%s' is not supported by lmcc's %s builder (it changes the model's math; "
                              "compiling without it would give another model)", f->tensors[i].name, arch);
    return 0;
}

typedef struct arch_b { ir_graph *g; const char *path; int fail; } arch_b;

/* Appends a node whose output is [n]; records failure instead of returning it
 * so the graph code reads as a straight line. */
static int arch_node(arch_b *b, ir_opcode op, int in0, int in1, int in2, const ir_attrs *a,
                     const char *name, int64_t n) {
    if (b->fail) return -1;
    int in[IR_MAX_INPUTS] = {in0, in1, in2, -1};
    int id = ir_node_add(b->g, op, in, a, name, 1, &n);
    if (ir_op_table[op].has_output && id < 0) {
        b->fail = 1;
        lmcc_error(b->path, "out of memory");
    }
    return id;
}

/* blk.L.<nm>.<kind> of shape [n] or [n][k] (k 0: a vector), -1 after an error */
static int arch_layer_weight(arch_b *b, const gguf_file *f, int L, const char *nm, const char *kind, int64_t n,
                             int64_t k, const char *why) {
    char name[IR_NAME_MAX];
    int64_t shape[2] = {n, k};
    if (b->fail) return -1;
    snprintf(name, sizeof name, "blk.%d.%s.%s", L, nm, kind);
    int id = arch_weight(b->g, f, b->path, name, k ? 2 : 1, shape, why);
    if (id < 0) b->fail = 1;
    return id;
}

/* x -> x + bias (when the architecture has q/k/v biases) -> head norm (when it has q/k norms) ->
 * RoPE (unless the layer goes without): the q or k path of a layer.  heads: q's or k's. */
static int arch_qk_path(arch_b *b, const gguf_file *f, const arch_spec *sp, int L, int x, const char *qk,
                        int heads, int use_rope, int rope_tab, const ir_attrs *ra) {
    char nm[IR_NAME_MAX], wn[32];
    int64_t n = (int64_t)heads * ra->head_dim;
    ir_attrs a = *ra;
    a.n_heads = heads; /* rope and head_norm work on the heads of the tensor they are given */
    if (sp->qkv_bias) {
        snprintf(wn, sizeof wn, "attn_%s", qk);
        int bias = arch_layer_weight(b, f, L, wn, "bias", n, 0, "head count x head size");
        snprintf(nm, sizeof nm, "l%d.%s_bias", L, qk);
        x = arch_node(b, IR_OP_ADD_BIAS, x, bias, -1, &a, nm, n);
    }
    if (sp->qk_norm) {
        snprintf(wn, sizeof wn, "attn_%s_norm", qk);
        int w = arch_layer_weight(b, f, L, wn, "weight", ra->head_dim, 0, "attention.key_length");
        snprintf(nm, sizeof nm, "l%d.%s_norm", L, qk);
        x = arch_node(b, IR_OP_HEAD_NORM, x, w, -1, &a, nm, n);
    }
    if (!use_rope) return x;
    snprintf(nm, sizeof nm, "l%d.%s_rope", L, qk);
    return arch_node(b, IR_OP_ROPE, x, rope_tab, -1, &a, nm, n);
}

/* The llama block, every architecture of ARCH_LIST: RMSNorm, GQA attention with RoPE, SwiGLU,
 * with what the row adds; keys and tensors as llama.cpp reads them. */
static ir_graph *arch_build(const gguf_file *f, const char *path, const ir_config *cfg, const arch_spec *sp) {
    const char *ar = sp->name;
    char key[128];
    int dim, n_layers, hidden, n_heads, n_kv, head_dim, head_dim_v, rope_dim, ctx_len;
    float theta, eps, att_scale;
#define KEY(s) (snprintf(key, sizeof key, "%s." s, ar), key)
    if (arch_key_int(f, path, KEY("embedding_length"), -1, &dim) || arch_key_int(f, path, KEY("block_count"), -1, &n_layers) ||
        arch_key_int(f, path, KEY("feed_forward_length"), -1, &hidden) ||
        arch_key_int(f, path, KEY("attention.head_count"), -1, &n_heads) ||
        arch_key_int(f, path, KEY("attention.head_count_kv"), n_heads, &n_kv) ||
        arch_key_int(f, path, KEY("context_length"), -1, &ctx_len))
        return NULL;
    if (!gguf_find(f, KEY("attention.key_length")) && dim % n_heads != 0) {
        lmcc_error(path, "attention.head_count %d does not divide embedding_length %d (heads must split the "
                   "embedding evenly, or attention.key_length must give the head size)", n_heads, dim);
        return NULL;
    }
    if (arch_key_int(f, path, KEY("attention.key_length"), dim / n_heads, &head_dim) ||
        arch_key_int(f, path, KEY("attention.value_length"), head_dim, &head_dim_v))
        return NULL;
    if (head_dim_v != head_dim) {
        lmcc_error(path, "attention.value_length %d differs from attention.key_length %d (lmcc's caches hold "
                   "one head size)", head_dim_v, head_dim);
        return NULL;
    }
    if (n_kv > n_heads || n_heads % n_kv != 0) {
        lmcc_error(path, "attention.head_count_kv %d does not divide attention.head_count %d (grouped-query "
                   "attention needs whole groups)", n_kv, n_heads);
        return NULL;
    }
    if (arch_key_int(f, path, KEY("rope.dimension_count"), head_dim, &rope_dim) ||
        arch_key_float(f, path, KEY("rope.freq_base"), 10000.0f, &theta) ||
        arch_key_float(f, path, KEY("attention.layer_norm_rms_epsilon"), 1e-5f, &eps) ||
        arch_key_float(f, path, KEY("attention.scale"), 0.0f, &att_scale) || arch_check_keys(f, path, ar))
        return NULL;
#undef KEY
    if (rope_dim % 2 != 0 || rope_dim > head_dim) {
        lmcc_error(path, "rope.dimension_count %d must be even and at most the head size %d", rope_dim, head_dim);
        return NULL;
    }
    if (!(theta > 0) || !isfinite(theta)) {
        lmcc_error(path, "rope.freq_base %g must be positive", (double)theta);
        return NULL;
    }
    if (!(eps >= 0) || !isfinite(eps)) {
        lmcc_error(path, "attention.layer_norm_rms_epsilon %g must be >= 0", (double)eps);
        return NULL;
    }
    if (!(att_scale >= 0) || !isfinite(att_scale)) {
        lmcc_error(path, "attention.scale %g must be >= 0 (0: 1/sqrt(head size))", (double)att_scale);
        return NULL;
    }
    if (cfg->ctx <= 0 || cfg->ctx > LMCC_CTX_MAX) {
        lmcc_error(path, "context size %d must be 1..%d (%s)", cfg->ctx, LMCC_CTX_MAX, LMCC_CTX_MAX_WHY);
        return NULL;
    }
    const gguf_tensor *te = gguf_find_tensor(f, "token_embd.weight");
    if (!te) {
        lmcc_error(path, "missing tensor 'token_embd.weight' (needed by a %s model)", ar);
        return NULL;
    }
    if (te->n_dims < 2 || te->ne[1] == 0 || te->ne[1] > ARCH_MAX_PARAM) {
        lmcc_error(path, "tensor 'token_embd.weight' must be [vocab][%d], got %u dims with %" PRIu64 " rows", dim,
                   te->n_dims, te->n_dims >= 2 ? te->ne[1] : 0);
        return NULL;
    }
    int vocab = (int)te->ne[1];

    ir_graph *g = ir_graph_new();
    if (!g) {
        lmcc_error(path, "out of memory");
        return NULL;
    }
    g->cfg = *cfg;
    ir_model_info *in = &g->info;
    snprintf(in->arch, sizeof in->arch, "%s", ar);
    if (gguf_get_str(f, "general.name", in->name, sizeof in->name) != 0 || !in->name[0]) {
        const char *base = path ? strrchr(path, '/') : NULL;
        base = base ? base + 1 : path ? path : "model";
        snprintf(in->name, sizeof in->name, "%s", base);
        char *dot = strrchr(in->name, '.');
        if (dot && dot != in->name) *dot = 0;
    }
    in->dim = dim; in->hidden_dim = hidden; in->n_layers = n_layers; in->n_heads = n_heads;
    in->n_kv_heads = n_kv; in->head_dim = head_dim; in->vocab_size = vocab; in->ctx_len = ctx_len;
    in->rope_dim = rope_dim; in->rope_neox = sp->rope_neox; in->rope_theta = theta; in->rms_eps = eps;

    int64_t q_out = (int64_t)n_heads * head_dim, kv_out = (int64_t)n_kv * head_dim;
    int64_t s_emb[2] = {vocab, dim}, s_vec[1] = {dim};
    int64_t s_cache[3] = {n_kv, cfg->ctx, head_dim}, s_tok[1] = {1};
    arch_b b = {g, path, 0};
    char nm[IR_NAME_MAX], nm2[IR_NAME_MAX];

    int w_emb = arch_weight(g, f, path, "token_embd.weight", 2, s_emb, "vocab x embedding_length");
    if (w_emb < 0) goto fail;
    int rope_freqs = arch_rope_freqs(g, f, path, ar, rope_dim, theta);
    if (rope_freqs < 0) goto fail;
    g->token_input = ir_tensor_add(g, "token", IR_KIND_INPUT, IR_DT_I32, 1, s_tok);
    if (g->token_input < 0) {
        lmcc_error(path, "out of memory");
        goto fail;
    }

    ir_attrs a = ir_attrs_none();
    a.layer = -1;
    int x = arch_node(&b, IR_OP_EMBED, w_emb, g->token_input, -1, &a, "embd", dim);
    int64_t s_rope[2] = {rope_dim / 2, 2};
    int rope_tab = b.fail ? -1 : ir_node_add(g, IR_OP_ROPE_TABLE, (int[IR_MAX_INPUTS]){rope_freqs, -1, -1, -1, -1}, &a,
                                            "rope", 2, s_rope);
    if (!b.fail && rope_tab < 0) {
        lmcc_error(path, "out of memory");
        goto fail;
    }
    for (int L = 0; L < n_layers && !b.fail; L++) {
        static const char *const why_q = "head_count x head size, embedding_length",
                          *const why_kv = "head_count_kv x head size, embedding_length";
        int w_an = arch_layer_weight(&b, f, L, "attn_norm", "weight", dim, 0, "embedding_length");
        int w_q = arch_layer_weight(&b, f, L, "attn_q", "weight", q_out, dim, why_q);
        int w_k = arch_layer_weight(&b, f, L, "attn_k", "weight", kv_out, dim, why_kv);
        int w_v = arch_layer_weight(&b, f, L, "attn_v", "weight", kv_out, dim, why_kv);
        int w_o = arch_layer_weight(&b, f, L, "attn_output", "weight", dim, q_out, "embedding_length, head_count x head size");
        int w_fn = arch_layer_weight(&b, f, L, "ffn_norm", "weight", dim, 0, "embedding_length");
        int w_g = arch_layer_weight(&b, f, L, "ffn_gate", "weight", hidden, dim, "feed_forward_length, embedding_length");
        int w_d = arch_layer_weight(&b, f, L, "ffn_down", "weight", dim, hidden, "embedding_length, feed_forward_length");
        int w_u = arch_layer_weight(&b, f, L, "ffn_up", "weight", hidden, dim, "feed_forward_length, embedding_length");
        if (b.fail) goto fail;
        snprintf(nm, sizeof nm, "kv.%d.k", L);
        snprintf(nm2, sizeof nm2, "kv.%d.v", L);
        int kc = ir_tensor_add(g, nm, IR_KIND_STATE, IR_DT_F32, 3, s_cache);
        int vc = ir_tensor_add(g, nm2, IR_KIND_STATE, IR_DT_F32, 3, s_cache);
        if (kc < 0 || vc < 0) {
            lmcc_error(path, "out of memory");
            goto fail;
        }
#define NM(s) (snprintf(nm, sizeof nm, "l%d." s, L), nm)
        a = ir_attrs_none();
        a.layer = L;
        a.eps = eps;
        int xb = arch_node(&b, IR_OP_RMSNORM, x, w_an, -1, &a, NM("xb"), dim);
        int q = arch_node(&b, IR_OP_LINEAR, xb, w_q, -1, &a, NM("q"), q_out);
        int k = arch_node(&b, IR_OP_LINEAR, xb, w_k, -1, &a, NM("k"), kv_out);
        int v = arch_node(&b, IR_OP_LINEAR, xb, w_v, -1, &a, NM("v"), kv_out);
        if (sp->qkv_bias) {
            int bias = arch_layer_weight(&b, f, L, "attn_v", "bias", kv_out, 0, "head_count_kv x head size");
            v = arch_node(&b, IR_OP_ADD_BIAS, v, bias, -1, &a, NM("v_bias"), kv_out);
        }
        ir_attrs ra = a;
        ra.n_heads = n_heads; ra.n_kv_heads = n_kv; ra.head_dim = head_dim;
        ra.rope_dim = rope_dim; ra.rope_neox = sp->rope_neox;
        /* SmolLM3: layer L goes without RoPE when (L + 1) is a multiple of the step */
        int use_rope = !sp->no_rope_step || (L + 1) % sp->no_rope_step != 0;
        int qr = arch_qk_path(&b, f, sp, L, q, "q", n_heads, use_rope, rope_tab, &ra);
        int kr = arch_qk_path(&b, f, sp, L, k, "k", n_kv, use_rope, rope_tab, &ra);
        arch_node(&b, IR_OP_KV_STORE, kr, kc, -1, &a, NULL, 0);
        arch_node(&b, IR_OP_KV_STORE, v, vc, -1, &a, NULL, 0);
        ir_attrs aa = a;
        aa.n_heads = n_heads; aa.n_kv_heads = n_kv; aa.head_dim = head_dim;
        aa.scale = att_scale > 0 ? att_scale : (float)(1.0 / sqrt((double)head_dim));
        int att = arch_node(&b, IR_OP_ATTENTION, qr, kc, vc, &aa, NM("att"), q_out);
        int ao = arch_node(&b, IR_OP_LINEAR, att, w_o, -1, &a, NM("att_out"), dim);
        int h = arch_node(&b, IR_OP_ADD, x, ao, -1, &a, NM("h"), dim);
        int hb = arch_node(&b, IR_OP_RMSNORM, h, w_fn, -1, &a, NM("hb"), dim);
        int gt = arch_node(&b, IR_OP_LINEAR, hb, w_g, -1, &a, NM("gate"), hidden);
        int up = arch_node(&b, IR_OP_LINEAR, hb, w_u, -1, &a, NM("up"), hidden);
        int sw = arch_node(&b, IR_OP_SWIGLU, gt, up, -1, &a, NM("ffn_act"), hidden);
        int dn = arch_node(&b, IR_OP_LINEAR, sw, w_d, -1, &a, NM("ffn_out"), dim);
        x = arch_node(&b, IR_OP_ADD, h, dn, -1, &a, NM("out"), dim);
#undef NM
    }
    if (b.fail) goto fail;

    int w_norm = arch_weight(g, f, path, "output_norm.weight", 1, s_vec, "embedding_length");
    if (w_norm < 0) goto fail;
    int w_out = w_emb;
    if (gguf_find_tensor(f, "output.weight")) {
        w_out = arch_weight(g, f, path, "output.weight", 2, s_emb, "vocab of token_embd.weight x embedding_length");
        if (w_out < 0) goto fail;
    } else {
        in->tied_output = 1;
    }
    a = ir_attrs_none();
    a.layer = -1;
    a.eps = eps;
    /* in a batch only the last token's logits are needed: cut the rows before the head */
    int xl = arch_node(&b, IR_OP_TAKE_LAST, x, -1, -1, &a, "last", dim);
    int xn = arch_node(&b, IR_OP_RMSNORM, xl, w_norm, -1, &a, "out_norm", dim);
    g->logits = arch_node(&b, IR_OP_LINEAR, xn, w_out, -1, &a, "logits", vocab);
    if (b.fail || arch_check_consumed(g, f, path, ar)) goto fail;
    return g;
fail:
    ir_graph_free(g);
    return NULL;
}

ir_graph *lmcc_build_graph(const gguf_file *f, const char *path, const ir_config *cfg) {
    char name[64];
    const gguf_kv *kv = gguf_find(f, "general.architecture");
    if (!kv) {
        lmcc_error(path, "missing required key 'general.architecture' (not a model GGUF?)");
        return NULL;
    }
    if (gguf_get_str(f, "general.architecture", name, sizeof name) != 0) {
        lmcc_error(path, "key 'general.architecture' has type %s, expected a string", gguf_vtype_name(kv->val.type));
        return NULL;
    }
    int n_specs = (int)(sizeof arch_specs / sizeof arch_specs[0]);
    for (int i = 0; i < n_specs; i++)
        if (strcmp(arch_specs[i].name, name) == 0) return arch_build(f, path, cfg, &arch_specs[i]);
    char list[256];
    size_t n = 0;
    list[0] = 0;
    for (int i = 0; i < n_specs && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", arch_specs[i].name);
    lmcc_error(path, "unknown architecture '%s' (supported: %s)", name, list);
    return NULL;
}

int lmcc_arch_ctx(const gguf_file *f, long requested) {
    if (requested > 0) return (int)requested;
    char arch[64] = "", key[128];
    gguf_get_str(f, "general.architecture", arch, sizeof arch);
    snprintf(key, sizeof key, "%s.context_length", arch);
    int64_t n = 0;
    if (!arch[0] || gguf_get_i64(f, key, &n) != 0 || n <= 0) return LMCC_CTX_DEFAULT;
    return n < LMCC_CTX_DEFAULT_MAX ? (int)n : LMCC_CTX_DEFAULT_MAX;
}
