/* ir_toy.h - test helper: a small llama-like decode graph built by hand with
 * the IR API (no frontend), with an optional unused branch and an unread KV
 * cache for dce.  Weights are deterministic pseudo-random f32, owned by the
 * graph.  Header-only, test code. */
#ifndef LMCC_TESTS_IR_TOY_H
#define LMCC_TESTS_IR_TOY_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

typedef struct toy_params {
    int dim, ffn, layers, heads, kv_heads, vocab, ctx;
    int extra; /* add an unused linear+silu branch and a kv_store nobody reads */
} toy_params;

static inline toy_params toy_default(void) {
    /* ffn 80 is not a multiple of 32: quantized rows need a padded block */
    toy_params p = {64, 80, 2, 4, 2, 100, 16, 0};
    return p;
}

static inline float toy_rand(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffffu) / 65536.0f - 0.5f;
}

static uint32_t toy_seed = 1234u;

static inline int toy_weight(ir_graph *g, const char *name, int ndim, int64_t d0, int64_t d1) {
    int64_t shape[2] = {d0, d1};
    int64_t n = ndim == 1 ? d0 : d0 * d1;
    float *w = malloc((size_t)n * sizeof *w);
    if (!w) return -1;
    for (int64_t i = 0; i < n; i++) w[i] = ndim == 1 ? 1.0f + toy_rand(&toy_seed) : toy_rand(&toy_seed);
    int id = ir_weight_add(g, name, IR_DT_F32, ndim, shape, w, (size_t)n * sizeof *w);
    if (id < 0) {
        free(w);
        return -1;
    }
    g->tensors[id].owned = w;
    return id;
}

/* RoPE: the frequencies theta^(-2i/rope_dim) as a weight and the rope_table node that turns them
 * into each token's cos/sin rows; returns the rows' tensor id */
static inline int toy_rope_rows(ir_graph *g, int rope_dim, float theta) {
    int half = rope_dim / 2;
    int64_t n = half, shape[2] = {half, 2};
    float *f = malloc((size_t)half * sizeof *f);
    if (!f) return -1;
    for (int i = 0; i < half; i++) f[i] = (float)pow(theta, -2.0 * i / rope_dim);
    int id = ir_weight_add(g, "rope.freqs", IR_DT_F32, 1, &n, f, (size_t)half * sizeof *f);
    if (id < 0) {
        free(f);
        return -1;
    }
    g->tensors[id].owned = f;
    int in[IR_MAX_INPUTS] = {id, -1, -1, -1, -1};
    return ir_node_add(g, IR_OP_ROPE_TABLE, in, NULL, "rope", 2, shape);
}

static inline int toy_node(ir_graph *g, ir_opcode op, int a, int b, int c, const ir_attrs *at,
                    const char *name, int64_t n) {
    int in[3] = {a, b, c};
    return ir_node_add(g, op, in, at, name, 1, &n);
}

static inline ir_graph *toy_build(const toy_params *p) {
    ir_graph *g = ir_graph_new();
    if (!g) return NULL;
    int D = p->dim, F = p->ffn, H = p->heads, KV = p->kv_heads, V = p->vocab;
    int hd = D / H;
    snprintf(g->info.arch, sizeof g->info.arch, "llama");
    snprintf(g->info.name, sizeof g->info.name, "toy");
    g->info.dim = D;
    g->info.hidden_dim = F;
    g->info.n_layers = p->layers;
    g->info.n_heads = H;
    g->info.n_kv_heads = KV;
    g->info.head_dim = hd;
    g->info.vocab_size = V;
    g->info.ctx_len = p->ctx;
    g->info.rope_dim = hd;
    g->info.rope_theta = 10000.0f;
    g->info.rms_eps = 1e-5f;
    g->cfg.ctx = p->ctx;
    g->cfg.kv_dtype = IR_DT_F32;
    g->cfg.weights_mode = IR_WEIGHTS_KEEP;

    int64_t one = 1;
    g->token_input = ir_tensor_add(g, "token", IR_KIND_INPUT, IR_DT_I32, 1, &one);
    int emb = toy_weight(g, "token_embd.weight", 2, V, D);
    ir_attrs at = ir_attrs_none();
    int x = toy_node(g, IR_OP_EMBED, emb, g->token_input, -1, &at, "x.emb", D);
    int rope = toy_rope_rows(g, hd, 10000.0f);
    char nm[64];
    for (int l = 0; l < p->layers; l++) {
#define W(s, nd, a, b) (snprintf(nm, sizeof nm, "blk.%d." s ".weight", l), toy_weight(g, nm, nd, a, b))
#define N(s) (snprintf(nm, sizeof nm, "l%d." s, l), nm)
        int an = W("attn_norm", 1, D, 0), wq = W("attn_q", 2, D, D), wk = W("attn_k", 2, KV * hd, D);
        int wv = W("attn_v", 2, KV * hd, D), wo = W("attn_output", 2, D, D);
        int fn = W("ffn_norm", 1, D, 0), w1 = W("ffn_gate", 2, F, D), w3 = W("ffn_up", 2, F, D);
        int w2 = W("ffn_down", 2, D, F);
        int64_t cs[3] = {KV, p->ctx, hd};
        int kc = ir_tensor_add(g, N("k_cache"), IR_KIND_STATE, IR_DT_F32, 3, cs);
        int vc = ir_tensor_add(g, N("v_cache"), IR_KIND_STATE, IR_DT_F32, 3, cs);
        at = ir_attrs_none();
        at.layer = l;
        at.eps = 1e-5f;
        int h = toy_node(g, IR_OP_RMSNORM, x, an, -1, &at, N("attn_in"), D);
        int q = toy_node(g, IR_OP_LINEAR, h, wq, -1, &at, N("q"), D);
        int k = toy_node(g, IR_OP_LINEAR, h, wk, -1, &at, N("k"), KV * hd);
        int v = toy_node(g, IR_OP_LINEAR, h, wv, -1, &at, N("v"), KV * hd);
        ir_attrs ra = at;
        ra.n_heads = H;
        ra.head_dim = hd;
        ra.rope_dim = hd;
        q = toy_node(g, IR_OP_ROPE, q, rope, -1, &ra, N("q_rope"), D);
        ra.n_heads = KV;
        k = toy_node(g, IR_OP_ROPE, k, rope, -1, &ra, N("k_rope"), KV * hd);
        toy_node(g, IR_OP_KV_STORE, k, kc, -1, &at, NULL, 0);
        toy_node(g, IR_OP_KV_STORE, v, vc, -1, &at, NULL, 0);
        if (p->extra && l == 0) {
            int we = W("extra", 2, D, D);
            int e = toy_node(g, IR_OP_LINEAR, h, we, -1, &at, N("extra"), D);
            toy_node(g, IR_OP_SILU, e, -1, -1, &at, N("extra_silu"), D);
            int uc = ir_tensor_add(g, N("unread_cache"), IR_KIND_STATE, IR_DT_F32, 3, cs);
            toy_node(g, IR_OP_KV_STORE, k, uc, -1, &at, NULL, 0);
        }
        ir_attrs aa = at;
        aa.n_heads = H;
        aa.n_kv_heads = KV;
        aa.head_dim = hd;
        aa.scale = 1.0f / sqrtf((float)hd);
        int o = toy_node(g, IR_OP_ATTENTION, q, kc, vc, &aa, N("attn"), D);
        o = toy_node(g, IR_OP_LINEAR, o, wo, -1, &at, N("attn_out"), D);
        x = toy_node(g, IR_OP_ADD, x, o, -1, &at, N("x_attn"), D);
        h = toy_node(g, IR_OP_RMSNORM, x, fn, -1, &at, N("ffn_in"), D);
        int gt = toy_node(g, IR_OP_LINEAR, h, w1, -1, &at, N("gate"), F);
        int up = toy_node(g, IR_OP_LINEAR, h, w3, -1, &at, N("up"), F);
        int s = toy_node(g, IR_OP_SWIGLU, gt, up, -1, &at, N("swiglu"), F);
        int d = toy_node(g, IR_OP_LINEAR, s, w2, -1, &at, N("down"), D);
        x = toy_node(g, IR_OP_ADD, x, d, -1, &at, N("x_ffn"), D);
#undef W
#undef N
    }
    int on = toy_weight(g, "output_norm.weight", 1, D, 0);
    int ow = toy_weight(g, "output.weight", 2, V, D);
    at = ir_attrs_none();
    at.eps = 1e-5f;
    int xf = toy_node(g, IR_OP_RMSNORM, x, on, -1, &at, "x.final", D);
    g->logits = toy_node(g, IR_OP_LINEAR, xf, ow, -1, &at, "logits", V);
    return g;
}

#endif
