/* tiny_llama.h - test helper: a small model synthesized in memory as a gguf_file
 * (metadata + f32/f16 tensors with deterministic pseudo-random weights), so tests
 * can build graphs without model files and break them on purpose: llama, and with
 * `arch` set gemma2 (post norms, softcaps, sliding window), gemma3 (gemma2's block with
 * q/k head norms) or phi3 (fused qkv and gate+up).  tiny_write puts one on disk.  Header-only, test code. */
#ifndef LMCC_TESTS_TINY_LLAMA_H
#define LMCC_TESTS_TINY_LLAMA_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gguf.h"
#include "gguf_write.h"
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
    const char *arch;  /* NULL: llama; "gemma2", "gemma3", "phi3" */
    int head_dim;      /* attention.key_length / value_length; 0: dim / heads, no key */
    int window;        /* gemma2: attention.sliding_window (0: no key) */
    float attn_cap, final_cap; /* gemma2: the softcapping keys (0: no key) */
    int split_qkv;     /* phi3: separate attn_q/k/v instead of attn_qkv */
} tiny_params;

TINY_API tiny_params tiny_default(void) {
    tiny_params p = {4, 6, 1, 2, 1, 5, 2, 16, 0, 0, 10000.0f, 1e-5f, 12345u, NULL, 0, 0, 0.0f, 0.0f, 0};
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
    const char *ar = p->arch ? p->arch : "llama";
    int gemma3 = !strcmp(ar, "gemma3"), gemma = gemma3 || !strcmp(ar, "gemma2"), phi3 = !strcmp(ar, "phi3");
    uint32_t seed = p->seed;
    char key[96];
    f->kv = gguf_alloc(f, 32 * sizeof(gguf_kv));
    /* room for a few more per layer (tests add biases, norms, post-norms, ...) */
    f->tensors = gguf_alloc(f, (size_t)(4 + 16 * p->n_layers) * sizeof(gguf_tensor));
    if (!f->kv || !f->tensors) { gguf_close(f); return NULL; }
    gguf_kv *kv = &f->kv[f->n_kv++];
    kv->key = tiny_str(f, "general.architecture");
    kv->val.type = GGUF_T_STRING;
    kv->val.v.s = tiny_str(f, ar);
#define KEY(s) (snprintf(key, sizeof key, "%s." s, ar), key)
    tiny_add_u32(f, KEY("embedding_length"), (uint64_t)p->dim);
    tiny_add_u32(f, KEY("block_count"), (uint64_t)p->n_layers);
    tiny_add_u32(f, KEY("feed_forward_length"), (uint64_t)p->hidden);
    tiny_add_u32(f, KEY("attention.head_count"), (uint64_t)p->n_heads);
    tiny_add_u32(f, KEY("attention.head_count_kv"), (uint64_t)p->n_kv);
    tiny_add_u32(f, KEY("rope.dimension_count"), (uint64_t)p->rope_dim);
    tiny_add_u32(f, KEY("context_length"), (uint64_t)p->ctx_len);
    tiny_add_f32(f, KEY("rope.freq_base"), p->theta);
    tiny_add_f32(f, KEY("attention.layer_norm_rms_epsilon"), p->eps);
    if (p->head_dim) {
        tiny_add_u32(f, KEY("attention.key_length"), (uint64_t)p->head_dim);
        tiny_add_u32(f, KEY("attention.value_length"), (uint64_t)p->head_dim);
    }
    if (p->window) tiny_add_u32(f, KEY("attention.sliding_window"), (uint64_t)p->window);
    if (p->attn_cap > 0) tiny_add_f32(f, KEY("attn_logit_softcapping"), p->attn_cap);
    if (p->final_cap > 0) tiny_add_f32(f, KEY("final_logit_softcapping"), p->final_cap);
#undef KEY
    uint64_t D = (uint64_t)p->dim, F = (uint64_t)p->hidden, V = (uint64_t)p->vocab;
    uint64_t hd = p->head_dim ? (uint64_t)p->head_dim : D / (uint64_t)p->n_heads;
    uint64_t Q = hd * (uint64_t)p->n_heads, K = hd * (uint64_t)p->n_kv;
    int rc = tiny_add_tensor(f, "token_embd.weight", 2, D, V, p->f16, &seed);
    char nm[64];
    for (int L = 0; L < p->n_layers; L++) {
#define T(s, nd, a, b) (snprintf(nm, sizeof nm, "blk.%d." s ".weight", L), rc |= tiny_add_tensor(f, nm, nd, a, b, p->f16, &seed))
        T("attn_norm", 1, D, 1);
        if (phi3 && !p->split_qkv) {
            T("attn_qkv", 2, D, Q + 2 * K);
        } else {
            T("attn_q", 2, D, Q);
            T("attn_k", 2, D, K);
            T("attn_v", 2, D, K);
        }
        if (gemma3) {
            T("attn_q_norm", 1, hd, 1);
            T("attn_k_norm", 1, hd, 1);
        }
        T("attn_output", 2, Q, D);
        if (gemma) T("post_attention_norm", 1, D, 1);
        T("ffn_norm", 1, D, 1);
        if (!phi3) T("ffn_gate", 2, D, F);
        T("ffn_down", 2, F, D);
        T("ffn_up", 2, D, phi3 ? 2 * F : F);
        if (gemma) T("post_ffw_norm", 1, D, 1);
#undef T
    }
    rc |= tiny_add_tensor(f, "output_norm.weight", 1, D, 1, p->f16, &seed);
    if (!p->tied && (!gemma || gemma3)) rc |= tiny_add_tensor(f, "output.weight", 2, D, V, p->f16, &seed);
    if (rc) { gguf_close(f); return NULL; }
    return f;
}

/* writes f (every key, every tensor: f32, or f16 for type 1, bytes from the shape) as a GGUF file
 * at path; 0 or -1 */
TINY_API int tiny_write(const gguf_file *f, const char *path) {
    gguf_writer *w = gguf_writer_new();
    int rc = w ? gguf_writer_copy_kv(w, f, "") : -1;
    for (uint64_t i = 0; rc == 0 && i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        uint64_t n = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) n *= t->ne[d];
        rc = gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data, n * (t->type == 1 ? 2 : 4));
    }
    if (rc == 0) rc = gguf_writer_write(w, path);
    gguf_writer_free(w);
    return rc;
}

/* element (row r, col c) of a 2-D tensor or element c of a 1-D one, as f32 */
TINY_API float tiny_w(const gguf_tensor *t, uint64_t r, uint64_t c) {
    uint64_t i = r * t->ne[0] + c;
    if (t->type == 1u) return lmrt_f16_to_f32(((const uint16_t *)t->data)[i]);
    return ((const float *)t->data)[i];
}

#endif
