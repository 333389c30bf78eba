/* tiny_llama.h - test helper: a small llama model synthesized in memory as a
 * gguf_file (metadata + f32/f16 tensors with deterministic pseudo-random
 * weights), so tests can build graphs without model files and break them on
 * purpose.  Header-only, test code. */
#ifndef LMCC_TESTS_TINY_LLAMA_H
#define LMCC_TESTS_TINY_LLAMA_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gguf.h"
#include "lmrt_base.h"

#if defined(__GNUC__) || defined(__clang__)
#define TINY_API static __attribute__((unused))
#else
#define TINY_API static
#endif

typedef struct tiny_params {
    int dim, hidden, n_layers, n_heads, n_kv, vocab, rope_dim, ctx_len;
    int tied;          /* no output.weight */
    int f16;           /* 2-D weights stored as f16 */
    float theta, eps;
    uint32_t seed;
} tiny_params;

TINY_API tiny_params tiny_default(void) {
    tiny_params p = {4, 6, 1, 2, 1, 5, 2, 16, 0, 0, 10000.0f, 1e-5f, 12345u};
    return p;
}

TINY_API float tiny_rand(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffffu) / 65536.0f - 0.5f;
}

TINY_API gguf_kv *tiny_kv(gguf_file *f, const char *key) {
    for (uint64_t i = 0; i < f->n_kv; i++)
        if (gguf_str_eq(f->kv[i].key, key)) return &f->kv[i];
    return NULL;
}

TINY_API gguf_tensor *tiny_tensor(gguf_file *f, const char *name) {
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

TINY_API gguf_str tiny_str(gguf_file *f, const char *s) {
    gguf_str r;
    size_t n = strlen(s);
    char *p = gguf_alloc(f, n + 1);
    if (p) memcpy(p, s, n);
    r.len = p ? n : 0;
    r.ptr = p ? p : "";
    return r;
}

TINY_API void tiny_add_u32(gguf_file *f, const char *key, uint64_t v) {
    gguf_kv *kv = &f->kv[f->n_kv++];
    kv->key = tiny_str(f, key);
    kv->val.type = GGUF_T_UINT32;
    kv->val.v.u = v;
}

TINY_API void tiny_add_str(gguf_file *f, const char *key, const char *v) {
    gguf_kv *kv = &f->kv[f->n_kv++];
    kv->key = tiny_str(f, key);
    kv->val.type = GGUF_T_STRING;
    kv->val.v.s = tiny_str(f, v);
}

TINY_API void tiny_add_f32(gguf_file *f, const char *key, float v) {
    gguf_kv *kv = &f->kv[f->n_kv++];
    kv->key = tiny_str(f, key);
    kv->val.type = GGUF_T_FLOAT32;
    kv->val.v.f = v;
}

/* ne in GGUF order (innermost first); 1-D tensors are always f32 */
TINY_API int tiny_add_tensor(gguf_file *f, const char *name, int n_dims, uint64_t ne0, uint64_t ne1,
                           int f16, uint32_t *seed) {
    gguf_tensor *t = &f->tensors[f->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->n_dims = (uint32_t)n_dims;
    t->ne[0] = ne0; t->ne[1] = n_dims > 1 ? ne1 : 1; t->ne[2] = t->ne[3] = 1;
    uint64_t n = t->ne[0] * t->ne[1];
    int half = f16 && n_dims > 1;
    t->type = half ? 1u : 0u;
    t->nbytes = n * (half ? 2u : 4u);
    void *d = gguf_alloc(f, (size_t)t->nbytes);
    if (!d) return -1;
    for (uint64_t i = 0; i < n; i++) {
        /* norm weights near 1 like trained models; matrices small and signed */
        float v = n_dims == 1 ? 1.0f + tiny_rand(seed) : tiny_rand(seed);
        if (half) ((uint16_t *)d)[i] = lmrt_f32_to_f16(v);
        else ((float *)d)[i] = v;
    }
    t->data = d;
    return 0;
}

TINY_API gguf_file *tiny_make(const tiny_params *p) {
    gguf_file *f = gguf_new("tiny.gguf");
    if (!f) return NULL;
    uint32_t seed = p->seed;
    f->kv = gguf_alloc(f, 32 * sizeof(gguf_kv));
    /* room for a few more per layer (tests add biases, norms, ...) */
    f->tensors = gguf_alloc(f, (size_t)(4 + 16 * p->n_layers) * sizeof(gguf_tensor));
    if (!f->kv || !f->tensors) { gguf_close(f); return NULL; }
    gguf_kv *kv = &f->kv[f->n_kv++];
    kv->key = tiny_str(f, "general.architecture");
    kv->val.type = GGUF_T_STRING;
    kv->val.v.s = tiny_str(f, "llama");
    tiny_add_u32(f, "llama.embedding_length", (uint64_t)p->dim);
    tiny_add_u32(f, "llama.block_count", (uint64_t)p->n_layers);
    tiny_add_u32(f, "llama.feed_forward_length", (uint64_t)p->hidden);
    tiny_add_u32(f, "llama.attention.head_count", (uint64_t)p->n_heads);
    tiny_add_u32(f, "llama.attention.head_count_kv", (uint64_t)p->n_kv);
    tiny_add_u32(f, "llama.rope.dimension_count", (uint64_t)p->rope_dim);
    tiny_add_u32(f, "llama.context_length", (uint64_t)p->ctx_len);
    tiny_add_f32(f, "llama.rope.freq_base", p->theta);
    tiny_add_f32(f, "llama.attention.layer_norm_rms_epsilon", p->eps);
    uint64_t D = (uint64_t)p->dim, F = (uint64_t)p->hidden, V = (uint64_t)p->vocab;
    uint64_t hd = D / (uint64_t)p->n_heads, Q = hd * (uint64_t)p->n_heads, K = hd * (uint64_t)p->n_kv;
    int rc = tiny_add_tensor(f, "token_embd.weight", 2, D, V, p->f16, &seed);
    char nm[64];
    for (int L = 0; L < p->n_layers; L++) {
#define T(s, nd, a, b) (snprintf(nm, sizeof nm, "blk.%d." s ".weight", L), rc |= tiny_add_tensor(f, nm, nd, a, b, p->f16, &seed))
        T("attn_norm", 1, D, 1);
        T("attn_q", 2, D, Q);
        T("attn_k", 2, D, K);
        T("attn_v", 2, D, K);
        T("attn_output", 2, Q, D);
        T("ffn_norm", 1, D, 1);
        T("ffn_gate", 2, D, F);
        T("ffn_down", 2, F, D);
        T("ffn_up", 2, D, F);
#undef T
    }
    rc |= tiny_add_tensor(f, "output_norm.weight", 1, D, 1, p->f16, &seed);
    if (!p->tied) rc |= tiny_add_tensor(f, "output.weight", 2, D, V, p->f16, &seed);
    if (rc) { gguf_close(f); return NULL; }
    return f;
}

/* element (row r, col c) of a 2-D tensor or element c of a 1-D one, as f32 */
TINY_API float tiny_w(const gguf_tensor *t, uint64_t r, uint64_t c) {
    uint64_t i = r * t->ne[0] + c;
    if (t->type == 1u) return lmrt_f16_to_f32(((const uint16_t *)t->data)[i]);
    return ((const float *)t->data)[i];
}

#endif
