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
/* llama.cpp's LLAMA_MAX_LAYERS: the passes and the generated step() grow with the layer count
 * (tiny hostile layers would cost the compile, and the C compiler after it, far more than the file) */
#define ARCH_MAX_LAYERS 512

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
    if (!t) return lmcc_error(path, "missing tensor '%s' (needed by a llama model)", name);
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

/* The rotation frequencies of RoPE, radians per position: theta^(-2i/rope_dim) for each pair i,
 * in double, then rounded; the rope_table op turns them into the cos/sin rows of each chunk's
 * positions at run time (no table of the context's size anywhere). */
static int arch_rope_freqs(ir_graph *g, const char *path, int rope_dim, double theta) {
    int half = rope_dim / 2;
    float *fr = malloc((size_t)half * sizeof *fr);
    if (!fr) return lmcc_error(path, "out of memory");
    for (int i = 0; i < half; i++) fr[i] = (float)pow(theta, -2.0 * i / (double)rope_dim);
    int64_t shape[1] = {half};
    int id = ir_weight_add(g, "rope.freqs", IR_DT_F32, 1, shape, fr, (size_t)half * sizeof *fr);
    if (id < 0) {
        free(fr);
        return lmcc_error(path, "out of memory");
    }
    g->tensors[id].owned = fr;
    return id;
}

/* Every tensor of the file must be a weight of the graph: one the builder does not know (a bias,
 * Llama-3's rope_freqs, ...) changes the model's math, and ignoring it would compile another model. */
static int arch_check_consumed(const ir_graph *g, const gguf_file *f, const char *path, const char *arch) {
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (ir_tensor_find(g, f->tensors[i].name) < 0)
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

static ir_graph *arch_build_llama(const gguf_file *f, const char *path, const ir_config *cfg) {
    const char *ar = "llama";
    char key[128];
    int dim, n_layers, hidden, n_heads, n_kv, head_dim, rope_dim, ctx_len;
    float theta, eps;
#define KEY(s) (snprintf(key, sizeof key, "%s." s, ar), key)
    if (arch_key_int(f, path, KEY("embedding_length"), -1, &dim) || arch_key_int(f, path, KEY("block_count"), -1, &n_layers) ||
        arch_key_int(f, path, KEY("feed_forward_length"), -1, &hidden) ||
        arch_key_int(f, path, KEY("attention.head_count"), -1, &n_heads) ||
        arch_key_int(f, path, KEY("attention.head_count_kv"), n_heads, &n_kv) ||
        arch_key_int(f, path, KEY("context_length"), -1, &ctx_len))
        return NULL;
    if (n_layers > ARCH_MAX_LAYERS) {
        lmcc_error(path, "%s.block_count = %d: more than %d layers (no known model has that many)", ar, n_layers,
                   ARCH_MAX_LAYERS);
        return NULL;
    }
    if (dim % n_heads != 0) {
        lmcc_error(path, "attention.head_count %d does not divide embedding_length %d (heads must split the "
                   "embedding evenly)", n_heads, dim);
        return NULL;
    }
    head_dim = dim / n_heads;
    if (n_kv > n_heads || n_heads % n_kv != 0) {
        lmcc_error(path, "attention.head_count_kv %d does not divide attention.head_count %d (grouped-query "
                   "attention needs whole groups)", n_kv, n_heads);
        return NULL;
    }
    if (arch_key_int(f, path, KEY("rope.dimension_count"), head_dim, &rope_dim) ||
        arch_key_float(f, path, KEY("rope.freq_base"), 10000.0f, &theta) ||
        arch_key_float(f, path, KEY("attention.layer_norm_rms_epsilon"), 1e-5f, &eps))
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
    if (cfg->ctx <= 0 || cfg->ctx > LMCC_CTX_MAX) {
        lmcc_error(path, "context size %d must be 1..%d (%s)", cfg->ctx, LMCC_CTX_MAX, LMCC_CTX_MAX_WHY);
        return NULL;
    }
    const gguf_tensor *te = gguf_find_tensor(f, "token_embd.weight");
    if (!te) {
        lmcc_error(path, "missing tensor 'token_embd.weight' (needed by a llama model)");
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
    in->rope_dim = rope_dim; in->rope_neox = 0; in->rope_theta = theta; in->rms_eps = eps;

    int64_t q_out = (int64_t)n_heads * head_dim, kv_out = (int64_t)n_kv * head_dim;
    int64_t s_emb[2] = {vocab, dim}, s_vec[1] = {dim};
    int64_t s_q[2] = {q_out, dim}, s_kv[2] = {kv_out, dim}, s_o[2] = {dim, q_out};
    int64_t s_up[2] = {hidden, dim}, s_down[2] = {dim, hidden};
    int64_t s_cache[3] = {n_kv, cfg->ctx, head_dim}, s_tok[1] = {1};
    arch_b b = {g, path, 0};
    char nm[IR_NAME_MAX], nm2[IR_NAME_MAX];

    int w_emb = arch_weight(g, f, path, "token_embd.weight", 2, s_emb, "vocab x embedding_length");
    if (w_emb < 0) goto fail;
    int rope_freqs = arch_rope_freqs(g, path, rope_dim, theta);
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
        int w[9];
        static const char *const wn[9] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                          "ffn_norm", "ffn_gate", "ffn_down", "ffn_up"};
        const int64_t *ws[9] = {s_vec, s_q, s_kv, s_kv, s_o, s_vec, s_up, s_down, s_up};
        static const char *const why[9] = {
            "embedding_length", "head_count x head size, embedding_length",
            "head_count_kv x head size, embedding_length", "head_count_kv x head size, embedding_length",
            "embedding_length, head_count x head size", "embedding_length",
            "feed_forward_length, embedding_length", "embedding_length, feed_forward_length",
            "feed_forward_length, embedding_length"};
        for (int i = 0; i < 9; i++) {
            snprintf(nm, sizeof nm, "blk.%d.%s.weight", L, wn[i]);
            w[i] = arch_weight(g, f, path, nm, ws[i] == s_vec ? 1 : 2, ws[i], why[i]);
            if (w[i] < 0) goto fail;
        }
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
        int xb = arch_node(&b, IR_OP_RMSNORM, x, w[0], -1, &a, NM("xb"), dim);
        int q = arch_node(&b, IR_OP_LINEAR, xb, w[1], -1, &a, NM("q"), q_out);
        int k = arch_node(&b, IR_OP_LINEAR, xb, w[2], -1, &a, NM("k"), kv_out);
        int v = arch_node(&b, IR_OP_LINEAR, xb, w[3], -1, &a, NM("v"), kv_out);
        ir_attrs ra = a;
        ra.n_heads = n_heads; ra.n_kv_heads = n_kv; ra.head_dim = head_dim;
        ra.rope_dim = rope_dim; ra.rope_neox = 0;
        int qr = arch_node(&b, IR_OP_ROPE, q, rope_tab, -1, &ra, NM("q_rope"), q_out);
        ra.n_heads = n_kv; /* rope rotates the heads of the tensor it is given */
        int kr = arch_node(&b, IR_OP_ROPE, k, rope_tab, -1, &ra, NM("k_rope"), kv_out);
        arch_node(&b, IR_OP_KV_STORE, kr, kc, -1, &a, NULL, 0);
        arch_node(&b, IR_OP_KV_STORE, v, vc, -1, &a, NULL, 0);
        ir_attrs aa = a;
        aa.n_heads = n_heads; aa.n_kv_heads = n_kv; aa.head_dim = head_dim;
        aa.scale = (float)(1.0 / sqrt((double)head_dim));
        int att = arch_node(&b, IR_OP_ATTENTION, qr, kc, vc, &aa, NM("att"), q_out);
        int ao = arch_node(&b, IR_OP_LINEAR, att, w[4], -1, &a, NM("att_out"), dim);
        int h = arch_node(&b, IR_OP_ADD, x, ao, -1, &a, NM("h"), dim);
        int hb = arch_node(&b, IR_OP_RMSNORM, h, w[5], -1, &a, NM("hb"), dim);
        int gt = arch_node(&b, IR_OP_LINEAR, hb, w[6], -1, &a, NM("gate"), hidden);
        int up = arch_node(&b, IR_OP_LINEAR, hb, w[8], -1, &a, NM("up"), hidden);
        int sw = arch_node(&b, IR_OP_SWIGLU, gt, up, -1, &a, NM("ffn_act"), hidden);
        int dn = arch_node(&b, IR_OP_LINEAR, sw, w[7], -1, &a, NM("ffn_out"), dim);
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

const lmcc_arch lmcc_archs[] = {
    {"llama", arch_build_llama},
};
const int lmcc_n_archs = (int)(sizeof lmcc_archs / sizeof lmcc_archs[0]);

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
    for (int i = 0; i < lmcc_n_archs; i++)
        if (strcmp(lmcc_archs[i].name, name) == 0) return lmcc_archs[i].build(f, path, cfg);
    char list[256];
    size_t n = 0;
    list[0] = 0;
    for (int i = 0; i < lmcc_n_archs && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", lmcc_archs[i].name);
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
