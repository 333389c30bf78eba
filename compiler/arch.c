/* arch.c - the architecture table's builder: GGUF metadata + tensors -> IR graph. */
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
        if (def < 0) return lmcc_error(path, "missing required key '%s' (not a complete model GGUF?)", key);
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

/* The GGUF tensor `name` after checking that it exists, has a type lmcc reads and the expected
 * shape (outermost first); its dtype in *dt.  NULL after lmcc_error. */
static const gguf_tensor *arch_tensor(const gguf_file *f, const char *path, const char *arch, const char *name,
                                      int ndim, const int64_t *shape, const char *why, int *dt) {
    const gguf_tensor *t = gguf_find_tensor(f, name);
    if (!t) {
        lmcc_error(path, "missing tensor '%s' (needed by a %s model)", name, arch);
        return NULL;
    }
    *dt = ir_dtype_from_gguf(t->type);
    if (*dt < 0 || *dt == IR_DT_I32 || !t->data) {
        char types[256];
        arch_readable_types(types, sizeof types);
        lmcc_error(path, "tensor '%s' has ggml type %u, which lmcc cannot read (supported: %s)", name, t->type, types);
        return NULL;
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
        lmcc_error(path, "tensor '%s' has shape %s, expected %s (from %s)", name, have, want, why);
        return NULL;
    }
    int64_t rows = 1;
    for (int i = 0; i < ndim - 1; i++) rows *= shape[i];
    size_t nbytes = (size_t)rows * ir_row_bytes((ir_dtype)*dt, shape[ndim - 1]);
    if (t->nbytes != nbytes) {
        lmcc_error(path, "tensor '%s' holds %" PRIu64 " bytes, expected %zu for its %s shape", name, t->nbytes, nbytes,
                   ir_dtype_name((ir_dtype)*dt));
        return NULL;
    }
    return t;
}

/* Adds the GGUF tensor `name` (checked by arch_tensor) as a weight pointing into the mapping.
 * Returns the tensor id or -1. */
static int arch_weight(ir_graph *g, const gguf_file *f, const char *path, const char *arch, const char *name,
                       int ndim, const int64_t *shape, const char *why) {
    int dt;
    const gguf_tensor *t = arch_tensor(f, path, arch, name, ndim, shape, why, &dt);
    if (!t) return -1;
    int id = ir_weight_add(g, name, (ir_dtype)dt, ndim, shape, t->data, (size_t)t->nbytes);
    if (id < 0) return lmcc_error(path, "out of memory");
    return id;
}

/* Rows [r0, r0 + n) of the 2-D weight `name` [rows][cols] (checked whole) as a weight of its own
 * pointing into the mapping, named `view` (phi3's fused q/k/v and gate/up: quantized rows are whole
 * blocks, so a row range is a byte range).  Returns the tensor id or -1. */
static int arch_weight_rows(ir_graph *g, const gguf_file *f, const char *path, const char *arch, const char *name,
                            const int64_t *shape, const char *why, int64_t r0, int64_t n, const char *view) {
    int dt;
    const gguf_tensor *t = arch_tensor(f, path, arch, name, 2, shape, why, &dt);
    if (!t) return -1;
    size_t rb = ir_row_bytes((ir_dtype)dt, shape[1]);
    int64_t vs[2] = {n, shape[1]};
    int id = ir_weight_add(g, view, (ir_dtype)dt, 2, vs, (const uint8_t *)t->data + (size_t)r0 * rb, (size_t)n * rb);
    if (id < 0) return lmcc_error(path, "out of memory");
    return id;
}

/* The rotation frequencies of RoPE, radians per position: theta^(-2i/rope_dim) for each pair i,
 * in double, then rounded, as the weight `name`; the rope_table op turns them into the cos/sin rows
 * of each chunk's positions at run time (no table of the context's size anywhere). */
static int arch_rope_freqs(ir_graph *g, const char *path, const char *name, int rope_dim, double theta) {
    int half = rope_dim / 2;
    float *fr = malloc((size_t)half * sizeof *fr);
    if (!fr) return lmcc_error(path, "out of memory");
    for (int i = 0; i < half; i++) fr[i] = (float)pow(theta, -2.0 * i / (double)rope_dim);
    int64_t shape[1] = {half};
    int id = ir_weight_add(g, name, IR_DT_F32, 1, shape, fr, (size_t)half * sizeof *fr);
    if (id < 0) {
        free(fr);
        return lmcc_error(path, "out of memory");
    }
    g->tensors[id].owned = fr;
    return id;
}

/* A weight of the graph reads the file tensor t: by name, or as a row range of its bytes (phi3). */
static int arch_consumes(const ir_graph *g, const gguf_tensor *t) {
    if (ir_tensor_find(g, t->name) >= 0) return 1;
    uintptr_t lo = (uintptr_t)t->data, hi = lo + (uintptr_t)t->nbytes;
    for (int i = 0; lo && i < g->n_tensors; i++) {
        uintptr_t d = (uintptr_t)g->tensors[i].data;
        if (g->tensors[i].kind == IR_KIND_WEIGHT && d >= lo && d < hi) return 1;
    }
    return 0;
}

/* Every tensor of the file must be a weight of the graph: one the builder does not know (a bias,
 * Llama-3's rope_freqs, ...) changes the model's math, and ignoring it would compile another model. */
static int arch_check_consumed(const ir_graph *g, const gguf_file *f, const char *path, const char *arch) {
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (!arch_consumes(g, &f->tensors[i]))
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

/* The sliding-window layers (swa[L] = 1) of an architecture with a pattern: the GGUF's
 * attention.sliding_window_pattern (a bool or int per layer, or one int P), else the row's P;
 * layer L slides when L % P < P - 1 (P = 0: every layer), as llama.cpp's set_swa_pattern. */
static int arch_swa_layers(const gguf_file *f, const char *path, const char *key, int pattern, int n_layers,
                           unsigned char *swa) {
    const gguf_kv *kv = gguf_find(f, key);
    int64_t p = pattern;
    if (kv && kv->val.type == GGUF_T_ARRAY) {
        if (kv->val.v.arr.n > (uint64_t)n_layers)
            return lmcc_error(path, "key '%s' has %" PRIu64 " entries for %d layers", key, kv->val.v.arr.n, n_layers);
        for (int L = 0; L < n_layers; L++) {
            gguf_value e;
            int have = gguf_arr_get(&kv->val, (uint64_t)L, &e) == 0;
            if (have && e.type != GGUF_T_BOOL && e.type != GGUF_T_INT32 && e.type != GGUF_T_UINT32 &&
                e.type != GGUF_T_INT8 && e.type != GGUF_T_UINT8)
                return lmcc_error(path, "key '%s' holds %s, expected a bool per layer", key, gguf_vtype_name(e.type));
            swa[L] = have && (e.type == GGUF_T_BOOL ? e.v.b != 0 : e.v.u != 0);
        }
        return 0;
    }
    if (kv && (gguf_get_i64(f, key, &p) != 0 || p < 0 || p > ARCH_MAX_PARAM))
        return lmcc_error(path, "key '%s' must be a layer pattern (an integer >= 0 or a bool per layer)", key);
    for (int L = 0; L < n_layers; L++) swa[L] = p == 0 || L % p < p - 1;
    return 0;
}

/* One transformer builder for every row of LMCC_ARCH_LIST (arch.h). */
static ir_graph *arch_build(const gguf_file *f, const char *path, const ir_config *cfg, const lmcc_arch *A) {
    const char *ar = A->name;
    char key[128];
    int dim, n_layers, hidden, n_heads, n_kv, head_dim, v_dim, rope_dim, ctx_len, window = 0;
    float theta, theta_swa, eps, attn_cap = A->attn_cap, final_cap = A->final_cap, rope_scale = 1.0f, attn_factor = 1.0f;
    unsigned char *swa = NULL;
    ir_graph *g = NULL;
#define KEY(s) (snprintf(key, sizeof key, "%s." s, ar), key)
    if (arch_key_int(f, path, KEY("embedding_length"), -1, &dim) || arch_key_int(f, path, KEY("block_count"), -1, &n_layers) ||
        arch_key_int(f, path, KEY("feed_forward_length"), -1, &hidden) ||
        arch_key_int(f, path, KEY("attention.head_count"), -1, &n_heads) ||
        arch_key_int(f, path, KEY("attention.head_count_kv"), n_heads, &n_kv) ||
        arch_key_int(f, path, KEY("context_length"), -1, &ctx_len))
        return NULL;
    if (n_kv > n_heads || n_heads % n_kv != 0) {
        lmcc_error(path, "attention.head_count_kv %d does not divide attention.head_count %d (grouped-query "
                   "attention needs whole groups)", n_kv, n_heads);
        return NULL;
    }
    /* the head size: attention.key_length (Gemma's 256 with dim / heads 288), else dim / heads */
    if (!gguf_find(f, KEY("attention.key_length")) && dim % n_heads != 0) {
        lmcc_error(path, "attention.head_count %d does not divide embedding_length %d (heads must split the "
                   "embedding evenly)", n_heads, dim);
        return NULL;
    }
    if (arch_key_int(f, path, KEY("attention.key_length"), dim / n_heads, &head_dim) ||
        arch_key_int(f, path, KEY("attention.value_length"), head_dim, &v_dim))
        return NULL;
    if (v_dim != head_dim) {
        lmcc_error(path, "attention.value_length %d differs from attention.key_length %d (lmcc's attention has one "
                   "head size)", v_dim, head_dim);
        return NULL;
    }
    if (arch_key_int(f, path, KEY("rope.dimension_count"), head_dim, &rope_dim) ||
        arch_key_float(f, path, KEY("rope.freq_base"), 10000.0f, &theta) ||
        arch_key_float(f, path, KEY("attention.layer_norm_rms_epsilon"), A->gemma ? -1.0f : 1e-5f, &eps))
        return NULL;
    if (A->gemma && !gguf_find(f, key)) {
        lmcc_error(path, "missing required key '%s' (not a complete %s GGUF?)", key, ar);
        return NULL;
    }
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
    theta_swa = A->swa_base > 0 ? A->swa_base : theta;
    if ((A->attn_cap > 0 && arch_key_float(f, path, KEY("attn_logit_softcapping"), A->attn_cap, &attn_cap)) ||
        (A->final_cap >= 0 && arch_key_float(f, path, KEY("final_logit_softcapping"), A->final_cap, &final_cap)) ||
        (A->swa_pattern && arch_key_float(f, path, KEY("rope.freq_base_swa"), theta_swa, &theta_swa)))
        return NULL;
    if (!(attn_cap >= 0) || !isfinite(attn_cap) || !(final_cap >= -1) || !isfinite(final_cap) || !(theta_swa > 0) ||
        !isfinite(theta_swa)) {
        lmcc_error(path, "softcaps (%g, %g) must be >= 0 and rope.freq_base_swa %g positive", (double)attn_cap,
                   (double)final_cap, (double)theta_swa);
        return NULL;
    }
    /* RoPE scaling the rope table does not apply changes the model: an error, not a silent mismatch */
    if (arch_key_float(f, path, KEY("rope.scaling.factor"), 1.0f, &rope_scale) ||
        arch_key_float(f, path, KEY("rope.scaling.attn_factor"), 1.0f, &attn_factor))
        return NULL;
    if ((rope_scale != 0.0f && rope_scale != 1.0f) || attn_factor != 1.0f) {
        lmcc_error(path, "RoPE scaling (rope.scaling.factor %g, attn_factor %g) is not supported for %s yet (only "
                   "unscaled RoPE)", (double)rope_scale, (double)attn_factor, ar);
        return NULL;
    }
    if (A->fused && (gguf_find_tensor(f, "rope_factors_long.weight") || gguf_find_tensor(f, "rope_factors_short.weight"))) {
        lmcc_error(path, "LongRoPE factors (rope_factors_long/short.weight) are not supported yet (they rescale RoPE "
                   "per frequency)");
        return NULL;
    }
    if (cfg->ctx <= 0 || cfg->ctx > LMCC_CTX_MAX) {
        lmcc_error(path, "context size %d must be 1..%d (%s)", cfg->ctx, LMCC_CTX_MAX, LMCC_CTX_MAX_WHY);
        return NULL;
    }
    /* sliding-window layers: the window from the key (or the row's default), the pattern as llama.cpp */
    if (A->swa_pattern) {
        if (arch_key_int(f, path, KEY("attention.sliding_window"), A->swa_window ? A->swa_window : ARCH_MAX_PARAM,
                         &window))
            return NULL;
        if (!A->swa_window && !gguf_find(f, key)) window = 0;
        swa = calloc((size_t)n_layers, 1);
        if (!swa) {
            lmcc_error(path, "out of memory");
            return NULL;
        }
        if (window && arch_swa_layers(f, path, KEY("attention.sliding_window_pattern"), A->swa_pattern, n_layers, swa))
            goto fail;
    }
#undef KEY
    const gguf_tensor *te = gguf_find_tensor(f, "token_embd.weight");
    if (!te) {
        lmcc_error(path, "missing tensor 'token_embd.weight' (needed by a %s model)", ar);
        goto fail;
    }
    if (te->n_dims < 2 || te->ne[1] == 0 || te->ne[1] > ARCH_MAX_PARAM) {
        lmcc_error(path, "tensor 'token_embd.weight' must be [vocab][%d], got %u dims with %" PRIu64 " rows", dim,
                   te->n_dims, te->n_dims >= 2 ? te->ne[1] : 0);
        goto fail;
    }
    int vocab = (int)te->ne[1];

    g = ir_graph_new();
    if (!g) {
        lmcc_error(path, "out of memory");
        goto fail;
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
    in->rope_dim = rope_dim; in->rope_neox = A->neox; in->rope_theta = theta; in->rms_eps = eps;

    int64_t q_out = (int64_t)n_heads * head_dim, kv_out = (int64_t)n_kv * head_dim;
    int64_t s_emb[2] = {vocab, dim}, s_vec[1] = {dim};
    int64_t s_q[2] = {q_out, dim}, s_kv[2] = {kv_out, dim}, s_o[2] = {dim, q_out}, s_qkv[2] = {q_out + 2 * kv_out, dim};
    int64_t s_up[2] = {hidden, dim}, s_down[2] = {dim, hidden}, s_up2[2] = {2 * (int64_t)hidden, dim};
    int64_t s_tok[1] = {1};
    arch_b b = {g, path, 0};
    char nm[IR_NAME_MAX], nm2[IR_NAME_MAX];
    static const char *const why_q = "head_count x head size, embedding_length",
                             *const why_kv = "head_count_kv x head size, embedding_length",
                             *const why_up = "feed_forward_length, embedding_length";

    int w_emb = arch_weight(g, f, path, ar, "token_embd.weight", 2, s_emb, "vocab x embedding_length");
    if (w_emb < 0) goto fail;
    int rope_freqs = arch_rope_freqs(g, path, "rope.freqs", rope_dim, theta), swa_freqs = rope_freqs;
    if (rope_freqs < 0) goto fail;
    if (window && theta_swa != theta && (swa_freqs = arch_rope_freqs(g, path, "rope.freqs.swa", rope_dim, theta_swa)) < 0)
        goto fail;
    g->token_input = ir_tensor_add(g, "token", IR_KIND_INPUT, IR_DT_I32, 1, s_tok);
    if (g->token_input < 0) {
        lmcc_error(path, "out of memory");
        goto fail;
    }

    ir_attrs a = ir_attrs_none();
    a.layer = -1;
    int x = arch_node(&b, IR_OP_EMBED, w_emb, g->token_input, -1, &a, "embd", dim);
    if (A->gemma) { /* llama.cpp: ggml_scale(inpL, sqrtf(n_embd)) */
        a.scale = sqrtf((float)dim);
        x = arch_node(&b, IR_OP_SCALE, x, -1, -1, &a, "embd_scaled", dim);
        a.scale = 0;
    }
    int64_t s_rope[2] = {rope_dim / 2, 2};
    int rope_tab = b.fail ? -1 : ir_node_add(g, IR_OP_ROPE_TABLE, (int[IR_MAX_INPUTS]){rope_freqs, -1, -1, -1, -1}, &a,
                                            "rope", 2, s_rope);
    int rope_swa = rope_tab;
    if (!b.fail && rope_tab >= 0 && swa_freqs != rope_freqs)
        rope_swa = ir_node_add(g, IR_OP_ROPE_TABLE, (int[IR_MAX_INPUTS]){swa_freqs, -1, -1, -1, -1}, &a, "rope_swa", 2,
                               s_rope);
    if (!b.fail && (rope_tab < 0 || rope_swa < 0)) {
        lmcc_error(path, "out of memory");
        goto fail;
    }
    for (int L = 0; L < n_layers && !b.fail; L++) {
        int slide = swa && swa[L] && window > 0;
        int64_t s_cache[3] = {n_kv, slide ? ir_kv_slots(cfg, window) : cfg->ctx, head_dim};
        int w_q, w_k, w_v, w_gate, w_up;
#define LW(s) (snprintf(nm, sizeof nm, "blk.%d." s ".weight", L), nm)
#define W1(s) arch_weight(g, f, path, ar, LW(s), 1, s_vec, "embedding_length")
        int w_an = W1("attn_norm");
        if (w_an < 0) goto fail;
        if (A->fused && gguf_find_tensor(f, LW("attn_qkv"))) { /* [q; k; v] rows, each a weight of its own */
            snprintf(nm2, sizeof nm2, "blk.%d.attn_qkv.q", L);
            w_q = arch_weight_rows(g, f, path, ar, nm, s_qkv, "(head_count + 2 head_count_kv) x head size, "
                                   "embedding_length", 0, q_out, nm2);
            snprintf(nm2, sizeof nm2, "blk.%d.attn_qkv.k", L);
            w_k = w_q < 0 ? -1 : arch_weight_rows(g, f, path, ar, nm, s_qkv, "", q_out, kv_out, nm2);
            snprintf(nm2, sizeof nm2, "blk.%d.attn_qkv.v", L);
            w_v = w_k < 0 ? -1 : arch_weight_rows(g, f, path, ar, nm, s_qkv, "", q_out + kv_out, kv_out, nm2);
        } else {
            w_q = arch_weight(g, f, path, ar, LW("attn_q"), 2, s_q, why_q);
            w_k = w_q < 0 ? -1 : arch_weight(g, f, path, ar, LW("attn_k"), 2, s_kv, why_kv);
            w_v = w_k < 0 ? -1 : arch_weight(g, f, path, ar, LW("attn_v"), 2, s_kv, why_kv);
        }
        if (w_v < 0) goto fail;
        int64_t s_hd[1] = {head_dim};
        int w_qn = !A->qk_norm ? -1 : arch_weight(g, f, path, ar, LW("attn_q_norm"), 1, s_hd, "head size");
        int w_kn = !A->qk_norm || w_qn < 0 ? -1 : arch_weight(g, f, path, ar, LW("attn_k_norm"), 1, s_hd, "head size");
        if (A->qk_norm && w_kn < 0) goto fail;
        int w_o = arch_weight(g, f, path, ar, LW("attn_output"), 2, s_o, "embedding_length, head_count x head size");
        int w_pa = w_o < 0 || !A->gemma ? -1 : W1("post_attention_norm");
        int w_fn = w_o < 0 || (A->gemma && w_pa < 0) ? -1 : W1("ffn_norm");
        if (w_fn < 0) goto fail;
        if (A->fused) { /* ffn_up holds the gate rows, then the up rows */
            snprintf(nm2, sizeof nm2, "blk.%d.ffn_up.gate", L);
            w_gate = arch_weight_rows(g, f, path, ar, LW("ffn_up"), s_up2, "2 x feed_forward_length, embedding_length",
                                      0, hidden, nm2);
            snprintf(nm2, sizeof nm2, "blk.%d.ffn_up.up", L);
            w_up = w_gate < 0 ? -1 : arch_weight_rows(g, f, path, ar, nm, s_up2, "", hidden, hidden, nm2);
        } else {
            w_gate = arch_weight(g, f, path, ar, LW("ffn_gate"), 2, s_up, why_up);
            w_up = w_gate < 0 ? -1 : arch_weight(g, f, path, ar, LW("ffn_up"), 2, s_up, why_up);
        }
        int w_dn = w_up < 0 ? -1 : arch_weight(g, f, path, ar, LW("ffn_down"), 2, s_down,
                                                "embedding_length, feed_forward_length");
        int w_pf = w_dn < 0 || !A->gemma ? -1 : W1("post_ffw_norm");
        if (w_dn < 0 || (A->gemma && w_pf < 0)) goto fail;
#undef W1
#undef LW
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
        ir_attrs ra = a;
        ra.n_heads = n_heads; ra.n_kv_heads = n_kv; ra.head_dim = head_dim;
        if (A->qk_norm) { /* each head RMS-normalized before RoPE (Gemma 3's q/k norms) */
            q = arch_node(&b, IR_OP_HEAD_NORM, q, w_qn, -1, &ra, NM("q_norm"), q_out);
            ra.n_heads = n_kv;
            k = arch_node(&b, IR_OP_HEAD_NORM, k, w_kn, -1, &ra, NM("k_norm"), kv_out);
            ra.n_heads = n_heads;
        }
        ra.rope_dim = rope_dim; ra.rope_neox = A->neox;
        int tab = slide ? rope_swa : rope_tab;
        int qr = arch_node(&b, IR_OP_ROPE, q, tab, -1, &ra, NM("q_rope"), q_out);
        ra.n_heads = n_kv; /* rope rotates the heads of the tensor it is given */
        int kr = arch_node(&b, IR_OP_ROPE, k, tab, -1, &ra, NM("k_rope"), kv_out);
        arch_node(&b, IR_OP_KV_STORE, kr, kc, -1, &a, NULL, 0);
        arch_node(&b, IR_OP_KV_STORE, v, vc, -1, &a, NULL, 0);
        ir_attrs aa = a;
        aa.n_heads = n_heads; aa.n_kv_heads = n_kv; aa.head_dim = head_dim;
        /* Gemma's query_pre_attn_scalar: dim / heads for the one size that has it, else the head size */
        aa.scale = A->big_layers && n_layers == A->big_layers ? (float)(1.0 / sqrt((double)(dim / n_heads)))
                                                              : (float)(1.0 / sqrt((double)head_dim));
        aa.window = slide ? window : 0;
        aa.softcap = attn_cap;
        int att = arch_node(&b, IR_OP_ATTENTION, qr, kc, vc, &aa, NM("att"), q_out);
        int ao = arch_node(&b, IR_OP_LINEAR, att, w_o, -1, &a, NM("att_out"), dim);
        if (A->gemma) ao = arch_node(&b, IR_OP_RMSNORM, ao, w_pa, -1, &a, NM("att_post"), dim);
        int h = arch_node(&b, IR_OP_ADD, x, ao, -1, &a, NM("h"), dim);
        int hb = arch_node(&b, IR_OP_RMSNORM, h, w_fn, -1, &a, NM("hb"), dim);
        int gt = arch_node(&b, IR_OP_LINEAR, hb, w_gate, -1, &a, NM("gate"), hidden);
        int up = arch_node(&b, IR_OP_LINEAR, hb, w_up, -1, &a, NM("up"), hidden);
        int sw = arch_node(&b, A->gemma ? IR_OP_GEGLU : IR_OP_SWIGLU, gt, up, -1, &a, NM("ffn_act"), hidden);
        int dn = arch_node(&b, IR_OP_LINEAR, sw, w_dn, -1, &a, NM("ffn_out"), dim);
        if (A->gemma) dn = arch_node(&b, IR_OP_RMSNORM, dn, w_pf, -1, &a, NM("ffn_post"), dim);
        x = arch_node(&b, IR_OP_ADD, h, dn, -1, &a, NM("out"), dim);
#undef NM
    }
    if (b.fail) goto fail;

    int w_norm = arch_weight(g, f, path, ar, "output_norm.weight", 1, s_vec, "embedding_length");
    if (w_norm < 0) goto fail;
    int w_out = w_emb;
    if (gguf_find_tensor(f, "output.weight") && A->tied) {
        /* llama.cpp reads token_embd as this model's classifier and rejects a file with another */
        lmcc_error(path, "tensor 'output.weight' is not part of a %s model (its classifier is token_embd)", ar);
        goto fail;
    }
    if (gguf_find_tensor(f, "output.weight")) {
        w_out = arch_weight(g, f, path, ar, "output.weight", 2, s_emb, "vocab of token_embd.weight x embedding_length");
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
    if (final_cap > 0) {
        a.softcap = final_cap;
        g->logits = arch_node(&b, IR_OP_SOFTCAP, g->logits, -1, -1, &a, "logits_capped", vocab);
    }
    if (b.fail || arch_check_consumed(g, f, path, ar)) goto fail;
    free(swa);
    return g;
fail:
    free(swa);
    ir_graph_free(g);
    return NULL;
}

const lmcc_arch lmcc_archs[] = {
#define X(nm, neox, gemma, fused, tied, swa_p, swa_w, swa_base, attn_cap, final_cap, big, qk_norm) \
    {nm, neox, gemma, fused, tied, swa_p, swa_w, swa_base, attn_cap, final_cap, big, qk_norm},
    LMCC_ARCH_LIST(X)
#undef X
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
        if (strcmp(lmcc_archs[i].name, name) == 0) return arch_build(f, path, cfg, &lmcc_archs[i]);
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
