/* synth_gguf.c - lmcc-synth: GGUF files of the architectures of llama.cpp that lmcc compiles, with
 * seeded random weights, for benchmarks (real shapes) and for the reference tests (tests/ref: tiny
 * models whose logits llama.cpp computed).
 *
 *   --model NAME --type T --vocab V -o OUT   a model of the table below; matrices are made as F16
 *                                            and, for T = q8_0/q4_0, quantized from those values
 *   --model NAME --vocab V --like MANIFEST -o OUT
 *                                            the file llama-quantize makes from the F16 file of that
 *                                            model: MANIFEST (tests/ref) names every tensor's type
 *   --manifest FILE                          prints a file's type lines in MANIFEST's format
 *   --reduce-vocab SRC --vocab-size N -o OUT a vocab-only GGUF: SRC's first tokens and its special
 *                                            tokens, renumbered (small vocabularies for the tests)
 *
 * What a file holds is in two tables: SYNTH_KEY_LIST (the metadata keys of each architecture) and
 * SYNTH_TENSOR_LIST (its tensors, their shapes and how they are filled), read from llama.cpp's
 * llama-model.cpp and models/ARCH.cpp.  Every tensor has its own random stream (a counter), so values
 * depend on neither the file type, nor the other tensors, nor the thread count. */
#include "diag.h"
#include "gguf.h"
#include "gguf_write.h"
#include "ir.h"
#include "lmrt_quant.h"
#include "quant.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- architectures ------------------------------------------------------ */

enum { A_LLAMA = 1, A_QWEN2 = 2, A_QWEN3 = 4, A_PHI3 = 8, A_GEMMA2 = 16, A_GEMMA3 = 32, A_SMOLLM3 = 64, A_ALL = 127 };
static const struct { const char *name; unsigned bit; } synth_archs[] = {
    {"llama", A_LLAMA}, {"qwen2", A_QWEN2}, {"qwen3", A_QWEN3}, {"phi3", A_PHI3},
    {"gemma2", A_GEMMA2}, {"gemma3", A_GEMMA3}, {"smollm3", A_SMOLLM3},
};

/* model flags */
enum {
    M_TIED = 1,       /* no output.weight: the classifier is token_embd (llama.cpp's TENSOR_DUPLICATED) */
    M_ROPE_FREQS = 2, /* rope_freqs.weight: Llama-3 per-frequency divisors */
    M_SHARP = 4,      /* weights scaled for peaked attention and next-token distributions (reference
                         tests: a wrong rotation or a missing factor moves the logits), else 0.02 */
    M_LONGROPE = 8,   /* Phi-3.5's LongRoPE: rope_factors_long/short.weight, original context `orig`,
                         rope.scaling.attn_factor sqrt(1 + ln(ctx / orig) / ln(orig)) as its converter */
    M_YARN = 16,      /* rope.scaling.type yarn, factor ctx / orig, original context `orig` */
};

typedef struct synth_model {
    const char *name, *arch;
    int dim, n_layers, n_heads, n_kv_heads, head_dim, ffn; /* head_dim 0: dim / n_heads */
    int rot;                                               /* rotary dims, 0: head_dim */
    int ctx, window;                                       /* window: gemma's sliding window */
    float rope_base, eps;
    unsigned flags;
    int orig; /* rope.scaling.original_context_length (M_LONGROPE, M_YARN) */
} synth_model;

/* real models' hyper-parameters (benchmarks), the API fuzzer's model (fuzz) and the reference tests'
 * tiny models (tests/ref: K-quants need rows of whole 256-blocks, so dim and ffn are multiples of 256) */
static const synth_model synth_models[] = {
    /* name           arch       dim  L   H   KV  hd   ffn  rot  ctx   win  base      eps   flags  orig */
    {"stories15M",   "llama",    288, 6,  6,  6,  0,   768, 0, 2048,   0,  10000.0f, 1e-5f, 0, 0},
    {"stories110M",  "llama",    768, 12, 12, 12, 0,  2048, 0, 2048,   0,  10000.0f, 1e-5f, 0, 0},
    {"tinyllama",    "llama",   2048, 22, 32, 4,  0,  5632, 0, 2048,   0,  10000.0f, 1e-5f, 0, 0},
    {"stories260K",  "llama",     64, 5,  8,  4,  0,   172, 0, 2048,   0,  10000.0f, 1e-5f, 0, 0},
    {"tiny",         "llama",     64, 2,  4,  2,  0,    96, 0, 2048,   0,  10000.0f, 1e-5f, 0, 0},
    {"fuzz",         "llama",     16, 1,  2,  1,  0,    32, 0, 2048,   0,  10000.0f, 1e-5f, 0, 0},
    {"qwen2.5-0.5b", "qwen2",    896, 24, 14, 2,  0,  4864, 0, 32768,  0,  1e6f,     1e-6f, M_TIED, 0},
    {"qwen3-0.6b",   "qwen3",   1024, 28, 16, 8,  128, 3072, 0, 40960, 0,  1e6f,     1e-6f, M_TIED, 0},
    {"llama3.2-1b",  "llama",   2048, 16, 32, 8,  0,  8192, 0, 131072, 0,  500000.f, 1e-5f, M_TIED | M_ROPE_FREQS, 0},
    {"smollm2-360m", "llama",    960, 32, 15, 5,  0,  2560, 0, 8192,   0,  100000.f, 1e-5f, M_TIED, 0},
    {"gemma3-1b",    "gemma3",  1152, 26, 4,  1,  256, 6912, 0, 32768, 512, 1e6f,    1e-6f, M_TIED, 0},
    {"llama-ref",    "llama",    256, 2,  4,  2,  0,   512, 0, 256,    0,  10000.0f, 1e-5f, M_SHARP, 0},
    {"llama3-ref",   "llama",    256, 2,  4,  1,  0,   512, 0, 256,    0,  500000.f, 1e-5f, M_SHARP | M_TIED | M_ROPE_FREQS, 0},
    {"smollm3-ref",  "smollm3",  256, 4,  4,  2,  0,   512, 0, 256,    0,  5e6f,     1e-6f, M_SHARP | M_TIED, 0},
    {"qwen2-ref",    "qwen2",    256, 2,  4,  2,  0,   512, 0, 256,    0,  1e6f,     1e-6f, M_SHARP | M_TIED, 0},
    {"qwen3-ref",    "qwen3",    256, 2,  4,  2,  128, 512, 0, 256,    0,  1e6f,     1e-6f, M_SHARP | M_TIED, 0},
    {"phi3-ref",     "phi3",     256, 2,  4,  2,  0,   512, 48, 256,   0,  10000.0f, 1e-5f, M_SHARP, 0},
    {"gemma2-ref",   "gemma2",   256, 2,  4,  2,  128, 512, 0, 256,    32, 10000.0f, 1e-6f, M_SHARP | M_TIED, 0},
    {"gemma3-ref",   "gemma3",   256, 6,  4,  2,  128, 512, 0, 256,    32, 1e6f,     1e-6f, M_SHARP | M_TIED, 0},
    {"phi3-long-ref", "phi3",    256, 2,  4,  2,  0,   512, 48, 8192,  0,  10000.0f, 1e-5f, M_SHARP | M_LONGROPE, 256},
    {"phi3-short-ref", "phi3",   256, 2,  4,  2,  0,   512, 48, 8192,  0,  10000.0f, 1e-5f, M_SHARP | M_LONGROPE, 512},
    {"qwen2-yarn-ref", "qwen2",  256, 2,  4,  2,  0,   512, 0, 16384,  0,  1e6f,     1e-6f, M_SHARP | M_TIED | M_YARN, 4096},
};

#define SYNTH_GEMMA2_ATTN_SOFTCAP 50.0f
#define SYNTH_GEMMA2_FINAL_SOFTCAP 30.0f
#define SYNTH_STD 0.02f
#define SYNTH_CHUNK (1 << 21) /* elements generated per step */
#define SYNTH_MAX_THREADS 16
#define SYNTH_GOLDEN 0x9e3779b97f4a7c15ull

/* the dimensions a tensor's shape is made of */
enum { S_0, S_D, S_F, S_2F, S_Q, S_KV, S_QKV, S_HD, S_ROT2, S_V };
/* how a tensor is filled */
enum {
    R_EMB,   /* token embeddings (and an untied classifier) */
    R_QK,    /* q and k projections: their products are the attention scores */
    R_MAT,   /* every other matrix */
    R_NORM,  /* a norm's scale, near 1 */
    R_HNORM, /* a per-head q/k norm's scale, near 1, wider */
    R_PNORM, /* gemma's post-attention / post-FFN norms: in sharp models near 4, so the layers' outputs
                are not drowned by the sqrt(dim)-scaled embedding and the tied classifier does not
                just repeat the input token */
    R_BIAS,  /* a projection's bias */
    R_FREQ,  /* rope_freqs, LongRoPE's short factors: divisors in [1, 4) */
    R_LFREQ, /* LongRoPE's long factors: divisors in [1, 32) */
};
/* when an architecture's tensor is present */
enum { W_ALWAYS, W_UNTIED, W_ROPE_FREQS, W_LONGROPE };
/* where it goes in the file: before the layers, in each layer (name with %d), after them */
enum { P_PRE, P_LAYER, P_POST };

/* X(name, place, rows, cols, fill, architectures, when); rows S_0: a vector of cols */
#define SYNTH_TENSOR_LIST(X)                                                                                     \
    X("token_embd.weight",              P_PRE,   S_V,   S_D,    R_EMB,   A_ALL,                  W_ALWAYS)       \
    X("rope_freqs.weight",              P_PRE,   S_0,   S_ROT2, R_FREQ,  A_LLAMA,                W_ROPE_FREQS)   \
    X("rope_factors_long.weight",       P_PRE,   S_0,   S_ROT2, R_LFREQ, A_PHI3,                 W_LONGROPE)     \
    X("rope_factors_short.weight",      P_PRE,   S_0,   S_ROT2, R_FREQ,  A_PHI3,                 W_LONGROPE)     \
    X("blk.%d.attn_norm.weight",        P_LAYER, S_0,   S_D,    R_NORM,  A_ALL,                  W_ALWAYS)       \
    X("blk.%d.attn_qkv.weight",         P_LAYER, S_QKV, S_D,    R_QK,    A_PHI3,                 W_ALWAYS)       \
    X("blk.%d.attn_q.weight",           P_LAYER, S_Q,   S_D,    R_QK,    A_ALL & ~A_PHI3,        W_ALWAYS)       \
    X("blk.%d.attn_q.bias",             P_LAYER, S_0,   S_Q,    R_BIAS,  A_QWEN2,                W_ALWAYS)       \
    X("blk.%d.attn_k.weight",           P_LAYER, S_KV,  S_D,    R_QK,    A_ALL & ~A_PHI3,        W_ALWAYS)       \
    X("blk.%d.attn_k.bias",             P_LAYER, S_0,   S_KV,   R_BIAS,  A_QWEN2,                W_ALWAYS)       \
    X("blk.%d.attn_v.weight",           P_LAYER, S_KV,  S_D,    R_MAT,   A_ALL & ~A_PHI3,        W_ALWAYS)       \
    X("blk.%d.attn_v.bias",             P_LAYER, S_0,   S_KV,   R_BIAS,  A_QWEN2,                W_ALWAYS)       \
    X("blk.%d.attn_q_norm.weight",      P_LAYER, S_0,   S_HD,   R_HNORM, A_QWEN3 | A_GEMMA3,     W_ALWAYS)       \
    X("blk.%d.attn_k_norm.weight",      P_LAYER, S_0,   S_HD,   R_HNORM, A_QWEN3 | A_GEMMA3,     W_ALWAYS)       \
    X("blk.%d.attn_output.weight",      P_LAYER, S_D,   S_Q,    R_MAT,   A_ALL,                  W_ALWAYS)       \
    X("blk.%d.post_attention_norm.weight", P_LAYER, S_0, S_D,   R_PNORM,  A_GEMMA2 | A_GEMMA3,    W_ALWAYS)       \
    X("blk.%d.ffn_norm.weight",         P_LAYER, S_0,   S_D,    R_NORM,  A_ALL,                  W_ALWAYS)       \
    X("blk.%d.ffn_gate.weight",         P_LAYER, S_F,   S_D,    R_MAT,   A_ALL & ~A_PHI3,        W_ALWAYS)       \
    X("blk.%d.ffn_up.weight",           P_LAYER, S_F,   S_D,    R_MAT,   A_ALL & ~A_PHI3,        W_ALWAYS)       \
    X("blk.%d.ffn_up.weight",           P_LAYER, S_2F,  S_D,    R_MAT,   A_PHI3,                 W_ALWAYS)       \
    X("blk.%d.ffn_down.weight",         P_LAYER, S_D,   S_F,    R_MAT,   A_ALL,                  W_ALWAYS)       \
    X("blk.%d.post_ffw_norm.weight",    P_LAYER, S_0,   S_D,    R_PNORM, A_GEMMA2 | A_GEMMA3,    W_ALWAYS)       \
    X("output_norm.weight",             P_POST,  S_0,   S_D,    R_NORM,  A_ALL,                  W_ALWAYS)       \
    X("output.weight",                  P_POST,  S_V,   S_D,    R_EMB,   A_ALL,                  W_UNTIED)

typedef struct synth_tensor_spec { const char *name; int place, rows, cols, fill; unsigned archs; int when; } synth_tensor_spec;
static const synth_tensor_spec synth_tensor_specs[] = {
#define X(nm, pl, r, c, fi, ar, wh) {nm, pl, r, c, fi, ar, wh},
    SYNTH_TENSOR_LIST(X)
#undef X
};

/* metadata keys "ARCH.suffix": X(suffix, u32 (1) or f32 (0), value, architectures, written when) */
#define SYNTH_KEY_LIST(X)                                                                                    \
    X("context_length",                   1, m->ctx,                     A_ALL,                        1)    \
    X("embedding_length",                 1, m->dim,                     A_ALL,                        1)    \
    X("block_count",                      1, m->n_layers,                A_ALL,                        1)    \
    X("feed_forward_length",              1, m->ffn,                     A_ALL,                        1)    \
    X("attention.head_count",             1, m->n_heads,                 A_ALL,                        1)    \
    X("attention.head_count_kv",          1, m->n_kv_heads,              A_ALL,                        1)    \
    X("rope.freq_base",                   0, m->rope_base,               A_ALL,                        1)    \
    X("attention.layer_norm_rms_epsilon", 0, m->eps,                     A_ALL,                        1)    \
    X("rope.dimension_count",             1, synth_rot(m),               A_LLAMA | A_SMOLLM3 | A_PHI3, 1)    \
    X("attention.key_length",             1, synth_head_dim(m),          A_ALL,  synth_head_dim(m) != m->dim / m->n_heads) \
    X("attention.value_length",           1, synth_head_dim(m),          A_ALL,  synth_head_dim(m) != m->dim / m->n_heads) \
    X("attention.sliding_window",         1, m->window,                  A_GEMMA2 | A_GEMMA3,          1)    \
    X("attn_logit_softcapping",           0, SYNTH_GEMMA2_ATTN_SOFTCAP,  A_GEMMA2,                     1)    \
    X("final_logit_softcapping",          0, SYNTH_GEMMA2_FINAL_SOFTCAP, A_GEMMA2,                     1)    \
    X("rope.scaling.original_context_length", 1, m->orig, A_ALL, m->flags & (M_LONGROPE | M_YARN))             \
    X("rope.scaling.attn_factor",         0, synth_longrope_attn(m),     A_PHI3,  m->flags & M_LONGROPE)     \
    X("rope.scaling.factor",              0, (double)m->ctx / m->orig,   A_ALL,   m->flags & M_YARN)         \
    X("vocab_size",                       1, vocab,                      A_ALL,                        1)

static int synth_head_dim(const synth_model *m) { return m->head_dim ? m->head_dim : m->dim / m->n_heads; }
static int synth_rot(const synth_model *m) { return m->rot ? m->rot : synth_head_dim(m); }
/* Phi-3's converter: sqrt(1 + ln(scale) / ln(original context)) for scale = context / original > 1 */
static double synth_longrope_attn(const synth_model *m) {
    double scale = (double)m->ctx / m->orig;
    return scale > 1.0 ? sqrt(1.0 + log(scale) / log((double)m->orig)) : 1.0;
}

static unsigned synth_arch_bit(const synth_model *m) {
    for (size_t i = 0; i < sizeof synth_archs / sizeof synth_archs[0]; i++)
        if (!strcmp(synth_archs[i].name, m->arch)) return synth_archs[i].bit;
    return 0;
}

static uint64_t synth_dim(const synth_model *m, int which, uint64_t vocab) {
    uint64_t hd = (uint64_t)synth_head_dim(m), q = hd * (uint64_t)m->n_heads, kv = hd * (uint64_t)m->n_kv_heads;
    switch (which) {
    case S_D: return (uint64_t)m->dim;
    case S_F: return (uint64_t)m->ffn;
    case S_2F: return 2 * (uint64_t)m->ffn;
    case S_Q: return q;
    case S_KV: return kv;
    case S_QKV: return q + 2 * kv;
    case S_HD: return hd;
    case S_ROT2: return (uint64_t)synth_rot(m) / 2;
    case S_V: return vocab;
    default: return 0;
    }
}

/* ---- tensors and their values -------------------------------------------- */

typedef struct synth_tensor {
    char name[64];
    uint64_t ne[2]; /* GGUF order: ne[0] innermost */
    uint32_t n_dims, type;
    uint64_t nbytes;
    int fill;
    float mean, std;
} synth_tensor;

/* splitmix64: fast, every 64-bit seed gives a good stream, and the state
 * after k draws is seed + k * SYNTH_GOLDEN (so any element is reachable) */
static uint64_t synth_next(uint64_t *s) {
    uint64_t z = (*s += SYNTH_GOLDEN);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Approximately standard normal: the sum of four 16-bit uniforms (Irwin-Hall,
 * variance 1/3) rescaled; far cheaper than Box-Muller and bounded at 3.46. */
static float synth_normal(uint64_t *s) {
    uint64_t r = synth_next(s);
    uint32_t sum = (uint32_t)(r & 0xffff) + (uint32_t)((r >> 16) & 0xffff) + (uint32_t)((r >> 32) & 0xffff) +
                   (uint32_t)(r >> 48);
    return ((float)sum + 2.0f) * (1.0f / 65536.0f) * 1.7320508f - 2.0f * 1.7320508f;
}

/* Each tensor has its own stream, so its values do not depend on the file's
 * type or on which other tensors exist. */
static uint64_t synth_tensor_seed(uint64_t seed, const char *name) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const char *p = name; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    uint64_t s = seed ^ h;
    return synth_next(&s);
}

/* the spread of a tensor's values (see the R_ roles) */
static float synth_std(const synth_model *m, int fill, uint64_t cols) {
    int sharp = (m->flags & M_SHARP) != 0;
    switch (fill) {
    case R_EMB: return sharp ? 2.0f / sqrtf((float)m->dim) : SYNTH_STD;
    case R_QK: return sharp ? 1.6f / sqrtf((float)m->dim) : SYNTH_STD;
    case R_MAT: return sharp ? 1.0f / sqrtf((float)cols) : SYNTH_STD;
    case R_NORM: return sharp ? 0.1f : SYNTH_STD;
    case R_HNORM: return sharp ? 0.3f : SYNTH_STD;
    case R_PNORM: return sharp ? 0.4f : SYNTH_STD;
    case R_BIAS: return sharp ? 0.3f : SYNTH_STD;
    default: return 0.0f;
    }
}

/* the centre of a vector's values: norm scales near 1 (R_PNORM near 4 in sharp models) */
static float synth_mean(const synth_model *m, int fill) {
    if (fill == R_PNORM && (m->flags & M_SHARP)) return 4.0f;
    return fill == R_NORM || fill == R_HNORM || fill == R_PNORM ? 1.0f : 0.0f;
}

/* the tensors of model m in file order; returns the count, -1 on no memory */
static int synth_tensors(const synth_model *m, uint64_t vocab, synth_tensor **out) {
    unsigned bit = synth_arch_bit(m);
    size_t ns = sizeof synth_tensor_specs / sizeof synth_tensor_specs[0];
    synth_tensor *ts = calloc(ns * ((size_t)m->n_layers + 1), sizeof *ts);
    if (!ts) return -1;
    int n = 0;
    for (int place = P_PRE; place <= P_POST; place++)
        for (int L = 0; L < (place == P_LAYER ? m->n_layers : 1); L++)
            for (size_t i = 0; i < ns; i++) {
                const synth_tensor_spec *s = &synth_tensor_specs[i];
                if (s->place != place || !(s->archs & bit) || (s->when == W_UNTIED && (m->flags & M_TIED)) ||
                    (s->when == W_ROPE_FREQS && !(m->flags & M_ROPE_FREQS)) ||
                    (s->when == W_LONGROPE && !(m->flags & M_LONGROPE)))
                    continue;
                synth_tensor *t = &ts[n++];
                snprintf(t->name, sizeof t->name, s->name, L);
                t->ne[0] = synth_dim(m, s->cols, vocab);
                t->ne[1] = s->rows == S_0 ? 0 : synth_dim(m, s->rows, vocab);
                t->n_dims = s->rows == S_0 ? 1 : 2;
                t->fill = s->fill;
                t->mean = synth_mean(m, s->fill);
                t->std = synth_std(m, s->fill, t->ne[0]);
            }
    *out = ts;
    return n;
}

/* rows [r0, r0 + nr) of a tensor, into vals / out positioned at row r0 */
typedef struct synth_job {
    const synth_tensor *t;
    uint64_t rng0, r0, nr;
    float *vals;
    uint8_t *out;
    int failed;
} synth_job;

/* Vectors are f32 (norm scales, biases, rope divisors in [1, 4)).  Matrices are f16 values
 * of the tensor's spread, encoded from those f16 values into the tensor's type as llama-quantize
 * encodes an F16 file (lmcc_quant_ggml_row). */
static void *synth_fill(void *arg) {
    synth_job *j = arg;
    const synth_tensor *t = j->t;
    uint64_t ne0 = t->ne[0], n = j->nr * ne0, row_bytes = t->nbytes / (t->n_dims > 1 ? t->ne[1] : 1);
    uint64_t rng = j->rng0 + j->r0 * ne0 * SYNTH_GOLDEN; /* state before element r0 * ne0 */
    float *vals = j->vals;
    for (uint64_t i = 0; i < n; i++) {
        if (t->fill == R_FREQ || t->fill == R_LFREQ)
            vals[i] = 1.0f + (t->fill == R_FREQ ? 3.0f : 31.0f) * (float)(synth_next(&rng) >> 40) * (1.0f / 16777216.0f);
        else if (t->n_dims == 1) vals[i] = t->mean + t->std * synth_normal(&rng);
        else vals[i] = lmrt_f16_to_f32(lmrt_f32_to_f16(t->std * synth_normal(&rng)));
    }
    for (uint64_t r = 0; r < j->nr; r++)
        if (lmcc_quant_ggml_row((int)t->type, vals + r * ne0, j->out + r * row_bytes, (int64_t)ne0)) j->failed = 1;
    return NULL;
}

/* Streams one tensor, chunk by chunk, each chunk's rows split among threads. */
static int synth_write_tensor(gguf_writer *w, const synth_tensor *t, uint64_t seed, int n_threads, float *vals,
                              uint8_t *out) {
    uint64_t rng0 = synth_tensor_seed(seed, t->name);
    uint64_t ne0 = t->ne[0], rows = t->n_dims > 1 ? t->ne[1] : 1;
    uint64_t row_bytes = t->nbytes / rows;
    uint64_t chunk_rows = ne0 >= SYNTH_CHUNK ? 1 : SYNTH_CHUNK / ne0;
    for (uint64_t c0 = 0; c0 < rows; c0 += chunk_rows) {
        uint64_t nr = rows - c0 < chunk_rows ? rows - c0 : chunk_rows;
        uint64_t nt = (uint64_t)n_threads < nr ? (uint64_t)n_threads : nr;
        synth_job jobs[SYNTH_MAX_THREADS];
        pthread_t th[SYNTH_MAX_THREADS];
        int started[SYNTH_MAX_THREADS] = {0}, failed = 0;
        for (uint64_t k = 0; k < nt; k++) {
            uint64_t a = c0 + nr * k / nt, b = c0 + nr * (k + 1) / nt;
            jobs[k] = (synth_job){t, rng0, a, b - a, vals + (a - c0) * ne0, out + (a - c0) * row_bytes, 0};
            /* a thread that cannot start is done here instead */
            if (k > 0) started[k] = pthread_create(&th[k], NULL, synth_fill, &jobs[k]) == 0;
        }
        synth_fill(&jobs[0]);
        for (uint64_t k = 1; k < nt; k++) {
            if (started[k]) pthread_join(th[k], NULL);
            else synth_fill(&jobs[k]);
        }
        for (uint64_t k = 0; k < nt; k++) failed |= jobs[k].failed;
        if (failed) return lmcc_error(NULL, "%s: lmcc cannot encode ggml type %u", t->name, t->type);
        if (gguf_writer_put_data(w, out, nr * row_bytes)) return -1;
    }
    return 0;
}

/* ---- metadata ------------------------------------------------------------- */

/* The keys of model m.  A file llama-quantize wrote (quantized) has general.quantization_version
 * and general.file_type last (gguf_set_val removes a key and appends it). */
static int synth_keys(gguf_writer *w, const synth_model *m, const gguf_file *vf, uint64_t vocab, uint32_t file_type,
                      int quantized) {
    char gname[96], key[128];
    unsigned bit = synth_arch_bit(m);
    snprintf(gname, sizeof gname, "%s-synth", m->name);
    int rc = gguf_writer_add_str(w, "general.architecture", m->arch) || gguf_writer_add_str(w, "general.name", gname);
    if (!quantized)
        rc = rc || gguf_writer_add_u32(w, "general.file_type", file_type) ||
             gguf_writer_add_u32(w, "general.quantization_version", 2);
#define X(suffix, u32, value, archs, when)                                                       \
    if (!rc && ((archs) & bit) && (when)) {                                                       \
        snprintf(key, sizeof key, "%s.%s", m->arch, suffix);                                      \
        rc = u32 ? gguf_writer_add_u32(w, key, (uint32_t)(value)) : gguf_writer_add_f32(w, key, (float)(value)); \
    }
    SYNTH_KEY_LIST(X)
#undef X
    snprintf(key, sizeof key, "%s.rope.scaling.type", m->arch);
    if (m->flags & M_YARN) rc = rc || gguf_writer_add_str(w, key, "yarn");
    rc = rc || gguf_writer_copy_kv(w, vf, "tokenizer.");
    if (quantized)
        rc = rc || gguf_writer_add_u32(w, "general.quantization_version", 2) ||
             gguf_writer_add_u32(w, "general.file_type", file_type);
    return rc ? -1 : 0;
}

/* ---- --like: the types llama-quantize chose ------------------------------- */

/* MANIFEST lines "file_type N" and "tensor NAME TYPE" (TYPE: an IR_DTYPE_LIST name); others ignored */
typedef struct synth_like { uint32_t file_type; int n; char (*name)[64]; uint32_t *type; } synth_like;

static int synth_read_like(const char *path, synth_like *lk) {
    FILE *fp = fopen(path, "r");
    if (!fp) return lmcc_error(path, "cannot open the manifest");
    char line[512], a[128], b[64];
    int cap = 0, rc = 0, have_ft = 0;
    memset(lk, 0, sizeof *lk);
    while (!rc && fgets(line, sizeof line, fp)) {
        unsigned ft;
        if (sscanf(line, "file_type %u", &ft) == 1) {
            lk->file_type = ft, have_ft = 1;
            continue;
        }
        if (sscanf(line, "tensor %127s %63s", a, b) != 2) continue;
        int dt = ir_dtype_from_name(b);
        if (dt < 0 || ir_dtype_get((ir_dtype)dt)->gguf < 0 || strlen(a) >= 64) {
            rc = lmcc_error(path, "tensor line '%s %s': unknown GGUF type or name too long", a, b);
            break;
        }
        if (lk->n == cap) {
            cap = cap ? 2 * cap : 64;
            void *nn = realloc(lk->name, (size_t)cap * sizeof *lk->name), *nt = realloc(lk->type, (size_t)cap * sizeof *lk->type);
            if (nn) lk->name = nn;
            if (nt) lk->type = nt;
            if (!nn || !nt) { rc = lmcc_error(path, "out of memory"); break; }
        }
        memcpy(lk->name[lk->n], a, strlen(a) + 1); /* shorter than 64: checked above */
        lk->type[lk->n++] = (uint32_t)ir_dtype_get((ir_dtype)dt)->gguf;
    }
    fclose(fp);
    if (!rc && (!have_ft || lk->n == 0)) rc = lmcc_error(path, "no 'file_type' or no 'tensor' lines (not a manifest?)");
    return rc;
}

/* llama-quantize's output: its tensors in its order (llama.cpp's loader map: the tensors outside the
 * layers, then layer by layer, by name within each), each of its type; both from the manifest */
static int synth_apply_like(synth_tensor *ts, int n, const synth_like *lk, const char *path) {
    if (lk->n != n) return lmcc_error(path, "the manifest has %d tensors, the model %d", lk->n, n);
    synth_tensor *sorted = malloc((size_t)n * sizeof *sorted);
    if (!sorted) return lmcc_error(NULL, "out of memory");
    for (int k = 0; k < n; k++) {
        int i = 0;
        while (i < n && strcmp(lk->name[k], ts[i].name)) i++;
        if (i == n) {
            free(sorted);
            return lmcc_error(path, "the model has no tensor %s", lk->name[k]);
        }
        sorted[k] = ts[i];
        sorted[k].type = lk->type[k];
    }
    memcpy(ts, sorted, (size_t)n * sizeof *ts);
    free(sorted);
    return 0;
}

/* --manifest FILE: the lines --like reads */
static int synth_print_manifest(const char *path) {
    gguf_file *f = gguf_open(path);
    if (!f) return -1;
    int64_t ft = -1;
    gguf_get_i64(f, "general.file_type", &ft);
    printf("file_type %lld\n", (long long)ft);
    int rc = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        int dt = ir_dtype_from_gguf(f->tensors[i].type);
        if (dt < 0) {
            rc = lmcc_error(path, "tensor %s has ggml type %u, which lmcc does not know", f->tensors[i].name,
                            f->tensors[i].type);
            break;
        }
        printf("tensor %s %s\n", f->tensors[i].name, ir_dtype_name((ir_dtype)dt));
    }
    gguf_close(f);
    return rc;
}

/* ---- --reduce-vocab ---------------------------------------------------------- */

/* tokens a chat template or the tests may name: kept by a reduced vocabulary when the source has them */
static const char *const synth_special_texts[] = {
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>",
    "<|eom_id|>", "<|start_header_id|>", "<|end_header_id|>", "<start_of_turn>", "<end_of_turn>", "<|end|>",
    "<|user|>", "<|assistant|>", "<|system|>", "<think>", "</think>",
};

static int synth_str_is(gguf_str s, const char *c) { return s.len == strlen(c) && !memcmp(s.ptr, c, s.len); }

/* Keeps tokens [0, n - specials) and the special tokens (the ids of tokenizer.ggml.*_token_id keys and
 * synth_special_texts) after them, in order; arrays as long as the vocabulary follow, merges keep
 * the rules whose two parts and result all remain. */
static int synth_reduce_vocab(const char *src, uint64_t n_keep, const char *out) {
    gguf_file *f = gguf_open(src);
    if (!f) return -1;
    const gguf_kv *tok = gguf_find(f, "tokenizer.ggml.tokens");
    int rc = 0;
    if (!tok || tok->val.type != GGUF_T_ARRAY || tok->val.v.arr.type != GGUF_T_STRING) {
        gguf_close(f);
        return lmcc_error(src, "no tokenizer.ggml.tokens string array (not a vocab GGUF?)");
    }
    uint64_t nv = tok->val.v.arr.n;
    const gguf_value *tv = tok->val.v.arr.items;
    if (n_keep < 16 || n_keep > nv) {
        gguf_close(f);
        return lmcc_error(src, "--vocab-size %llu must be 16..%llu", (unsigned long long)n_keep, (unsigned long long)nv);
    }
    const gguf_kv *mk = gguf_find(f, "tokenizer.ggml.merges");
    uint64_t n_merges = mk && mk->val.type == GGUF_T_ARRAY && mk->val.v.arr.type == GGUF_T_STRING ? mk->val.v.arr.n : 0;
    char *keep = calloc(nv, 1);
    int64_t *newid = malloc(nv * sizeof *newid);
    uint64_t *kept = malloc(n_keep * sizeof *kept), n_new = 0;
    gguf_value *items = calloc(nv > n_merges ? nv : n_merges, sizeof *items);
    gguf_writer *w = gguf_writer_new();
    if (!keep || !newid || !kept || !items || !w) rc = lmcc_error(NULL, "out of memory");
    for (uint64_t i = 0; !rc && i < f->n_kv; i++) { /* specials by id */
        const gguf_kv *kv = &f->kv[i];
        int64_t id;
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)kv->key.len, kv->key.ptr);
        size_t kl = strlen(key);
        if (strncmp(key, "tokenizer.ggml.", 15) || kl < 9 || strcmp(key + kl - 9, "_token_id") ||
            gguf_get_i64(f, key, &id) || id < 0 || (uint64_t)id >= nv)
            continue;
        keep[id] = 2;
    }
    for (uint64_t i = 0; !rc && i < nv; i++) /* specials by text */
        for (size_t k = 0; k < sizeof synth_special_texts / sizeof *synth_special_texts; k++)
            if (synth_str_is(tv[i].v.s, synth_special_texts[k])) keep[i] = 2;
    /* the plain tokens [0, plain) and the specials above them: n_keep in all */
    uint64_t plain = n_keep, above = 0;
    for (;;) {
        above = 0;
        for (uint64_t i = plain; i < nv; i++) above += keep[i] == 2;
        if (plain + above <= n_keep || plain == 0) break;
        plain--;
    }
    if (!rc && plain < n_keep / 2) rc = lmcc_error(src, "%llu special tokens leave too few of %llu", (unsigned long long)above,
                                                   (unsigned long long)n_keep);
    for (uint64_t i = 0; !rc && i < nv; i++) {
        if (i < plain) keep[i] = 1;
        newid[i] = keep[i] ? (int64_t)n_new : -1;
        if (keep[i] && n_new < n_keep) kept[n_new++] = i;
    }
    uint64_t n_special = above;
    for (uint64_t i = 0; !rc && i < f->n_kv; i++) {
        const gguf_kv *kv = &f->kv[i];
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)kv->key.len, kv->key.ptr);
        size_t kl = strlen(key);
        if (!strcmp(key, "general.alignment")) continue;
        if (!strncmp(key, "tokenizer.ggml.", 15) && kl > 9 && !strcmp(key + kl - 9, "_token_id")) {
            int64_t id;
            if (!gguf_get_i64(f, key, &id) && id >= 0 && (uint64_t)id < nv && newid[id] >= 0)
                rc = gguf_writer_add_u32(w, key, (uint32_t)newid[id]);
            continue; /* a special token that is not kept: the key goes */
        }
        if (kv->val.type == GGUF_T_ARRAY && kv->val.v.arr.n == nv) { /* per-token arrays */
            gguf_value v = kv->val;
            uint64_t m = 0;
            for (uint64_t j = 0; j < nv; j++)
                if (keep[j] && gguf_arr_get(&kv->val, j, &items[m]) == 0) m++;
            v.v.arr.n = m, v.v.arr.items = items;
            rc = gguf_writer_add_value(w, key, &v);
            continue;
        }
        if (!strcmp(key, "tokenizer.ggml.merges") && n_merges) {
            gguf_value v = kv->val;
            uint64_t m = 0;
            for (uint64_t j = 0; j < kv->val.v.arr.n; j++) {
                gguf_str s = kv->val.v.arr.items[j].v.s;
                const char *sp = memchr(s.ptr, ' ', s.len);
                if (!sp) continue;
                gguf_str a = {(uint64_t)(sp - s.ptr), s.ptr}, b = {s.len - a.len - 1, sp + 1};
                int ka = 0, kb = 0, kab = 0;
                for (uint64_t t = 0; t < n_new && !(ka && kb && kab); t++) {
                    gguf_str x = tv[kept[t]].v.s;
                    ka |= x.len == a.len && !memcmp(x.ptr, a.ptr, a.len);
                    kb |= x.len == b.len && !memcmp(x.ptr, b.ptr, b.len);
                    kab |= x.len == a.len + b.len && !memcmp(x.ptr, a.ptr, a.len) && !memcmp(x.ptr + a.len, b.ptr, b.len);
                }
                if (ka && kb && kab) items[m++] = kv->val.v.arr.items[j];
            }
            v.v.arr.n = m, v.v.arr.items = items;
            rc = gguf_writer_add_value(w, key, &v);
            continue;
        }
        rc = gguf_writer_add_value(w, key, &kv->val);
    }
    rc = rc || gguf_writer_write(w, out);
    if (!rc) fprintf(stderr, "lmcc-synth: %s: %llu of %llu tokens (%llu special) -> %s\n", src, (unsigned long long)n_new,
                     (unsigned long long)nv, (unsigned long long)n_special, out);
    gguf_writer_free(w);
    free(keep), free(newid), free(kept), free(items);
    gguf_close(f);
    return rc ? -1 : 0;
}

/* ---- the command ------------------------------------------------------------ */

typedef struct synth_type {
    const char *name;
    uint32_t ggml_type, file_type; /* file_type: llama_ftype (MOSTLY_*) */
} synth_type;

static const synth_type synth_types[] = {
    {"f32", LMRT_GGML_F32, 0},
    {"f16", LMRT_GGML_F16, 1},
    {"q8_0", LMRT_GGML_Q8_0, 7},
    {"q4_0", LMRT_GGML_Q4_0, 2},
};

static double synth_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void synth_usage(FILE *fp) {
    fprintf(fp, "usage: lmcc-synth --model NAME --type f32|f16|q8_0|q4_0 --vocab VOCAB.gguf -o OUT.gguf [--seed S]\n"
                "                  [--threads N (default: all CPUs)]\n"
                "       lmcc-synth --model NAME --vocab VOCAB.gguf --like MANIFEST -o OUT.gguf [--seed S]\n"
                "       lmcc-synth --manifest FILE.gguf\n"
                "       lmcc-synth --reduce-vocab SRC.gguf --vocab-size N -o OUT.gguf\n"
                "(--shape is --model.)  models:");
    for (size_t i = 0; i < sizeof synth_models / sizeof synth_models[0]; i++) {
        const synth_model *s = &synth_models[i];
        fprintf(fp, "\n  %-14s %-8s dim %d, %d layers, %d heads (%d kv) of %d, ffn %d%s%s%s", s->name, s->arch, s->dim,
                s->n_layers, s->n_heads, s->n_kv_heads, synth_head_dim(s), s->ffn, s->flags & M_TIED ? ", tied" : "",
                s->flags & M_ROPE_FREQS ? ", rope_freqs" : "",
                s->flags & M_LONGROPE ? ", LongRoPE" : s->flags & M_YARN ? ", YaRN" : "");
        if (s->flags & (M_LONGROPE | M_YARN)) fprintf(fp, " (original context %d of %d)", s->orig, s->ctx);
    }
    fprintf(fp, "\nThe vocabulary (size and all tokenizer.* keys) comes from VOCAB.gguf.  --like writes the file\n"
                "llama-quantize makes from the F16 file of the same model and seed, the types from MANIFEST\n"
                "(\"file_type N\", \"tensor NAME TYPE\" lines, as --manifest prints them).\n");
}

static int synth_die(const char *fmt, const char *arg) {
    fprintf(stderr, "lmcc-synth: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return 1;
}

int main(int argc, char **argv) {
    const char *model_name = NULL, *type_name = NULL, *vocab_path = NULL, *out_path = NULL, *like_path = NULL;
    const char *manifest_path = NULL, *reduce_path = NULL;
    uint64_t seed = 1, vocab_size = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int n_threads = ncpu < 1 ? 1 : ncpu > SYNTH_MAX_THREADS ? SYNTH_MAX_THREADS : (int)ncpu;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            synth_usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            synth_usage(stderr);
            return synth_die("'%s' needs a value or is unknown", a);
        }
        const char *v = argv[++i];
        char *end;
        if (!strcmp(a, "--model") || !strcmp(a, "--shape")) model_name = v;
        else if (!strcmp(a, "--type")) type_name = v;
        else if (!strcmp(a, "--vocab")) vocab_path = v;
        else if (!strcmp(a, "-o")) out_path = v;
        else if (!strcmp(a, "--like")) like_path = v;
        else if (!strcmp(a, "--manifest")) manifest_path = v;
        else if (!strcmp(a, "--reduce-vocab")) reduce_path = v;
        else if (!strcmp(a, "--vocab-size")) {
            vocab_size = strtoull(v, &end, 10);
            if (!*v || *end) return synth_die("--vocab-size '%s' is not an integer", v);
        } else if (!strcmp(a, "--seed")) {
            seed = strtoull(v, &end, 0);
            if (!*v || *end) return synth_die("--seed '%s' is not an integer", v);
        } else if (!strcmp(a, "--threads")) {
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 1 || n > SYNTH_MAX_THREADS) return synth_die("--threads '%s' must be 1..16", v);
            n_threads = (int)n;
        } else {
            synth_usage(stderr);
            return synth_die("unknown option '%s'", a);
        }
    }
    if (manifest_path) return synth_print_manifest(manifest_path) ? synth_die("%s", lmcc_error_text()) : 0;
    if (reduce_path) {
        if (!out_path || !vocab_size) return synth_die("%s", "--reduce-vocab needs --vocab-size and -o");
        return synth_reduce_vocab(reduce_path, vocab_size, out_path) ? synth_die("%s", lmcc_error_text()) : 0;
    }
    if (!model_name || (!type_name == !like_path) || !vocab_path || !out_path) {
        synth_usage(stderr);
        return synth_die("%s", "--model, one of --type and --like, --vocab and -o are required");
    }
    const synth_model *m = NULL;
    for (size_t i = 0; i < sizeof synth_models / sizeof synth_models[0]; i++)
        if (!strcmp(synth_models[i].name, model_name)) m = &synth_models[i];
    if (!m) return synth_die("unknown model '%s' (see --help)", model_name);
    const synth_type *ty = NULL;
    for (size_t i = 0; type_name && i < sizeof synth_types / sizeof synth_types[0]; i++)
        if (!strcmp(synth_types[i].name, type_name)) ty = &synth_types[i];
    if (type_name && !ty) return synth_die("unknown type '%s' (f32, f16, q8_0 or q4_0)", type_name);
    synth_like like;
    memset(&like, 0, sizeof like);
    if (like_path && synth_read_like(like_path, &like)) return synth_die("%s", lmcc_error_text());

    gguf_file *vf = gguf_open(vocab_path);
    if (!vf) return synth_die("%s", lmcc_error_text());
    const gguf_kv *tok = gguf_find(vf, "tokenizer.ggml.tokens");
    if (!tok || tok->val.type != GGUF_T_ARRAY || tok->val.v.arr.type != GGUF_T_STRING || !tok->val.v.arr.n ||
        tok->val.v.arr.n > (1u << 24)) {
        gguf_close(vf);
        return synth_die("%s: no tokenizer.ggml.tokens string array (not a vocab GGUF?)", vocab_path);
    }
    uint64_t vocab = tok->val.v.arr.n;
    synth_tensor *ts = NULL;
    int n_t = synth_tensors(m, vocab, &ts), rc = n_t < 0 ? lmcc_error(NULL, "out of memory") : 0;
    if (!rc && like_path) rc = synth_apply_like(ts, n_t, &like, like_path);
    free(like.name), free(like.type);
    gguf_writer *w = rc ? NULL : gguf_writer_new();
    if (!rc && !w) rc = lmcc_error(NULL, "out of memory");
    rc = rc || synth_keys(w, m, vf, vocab, like_path ? like.file_type : ty->file_type, like_path != NULL);
    gguf_close(vf);

    uint64_t total = 0, max_elems = 0;
    int n_fallback = 0;
    for (int i = 0; !rc && i < n_t; i++) {
        synth_tensor *t = &ts[i];
        uint64_t rows = t->n_dims > 1 ? t->ne[1] : 1;
        if (!like_path) t->type = t->n_dims == 1 ? LMRT_GGML_F32 : ty->ggml_type;
        /* a row that is not whole blocks cannot be quantized: keep it f16 */
        if (t->ne[0] % (uint64_t)lmrt_quant_block_elems((int)t->type) != 0) {
            if (like_path) rc = lmcc_error(like_path, "%s: rows of %llu are not whole blocks of its type", t->name,
                                           (unsigned long long)t->ne[0]);
            t->type = LMRT_GGML_F16;
            n_fallback++;
        }
        t->nbytes = rows * (t->ne[0] / (uint64_t)lmrt_quant_block_elems((int)t->type)) *
                    (uint64_t)lmrt_quant_block_bytes((int)t->type);
        total += t->nbytes;
        uint64_t chunk = t->ne[0] >= SYNTH_CHUNK ? t->ne[0] : SYNTH_CHUNK / t->ne[0] * t->ne[0];
        if (chunk > max_elems) max_elems = chunk;
        rc = rc || gguf_writer_add_tensor_info(w, t->name, t->type, t->n_dims, t->ne, t->nbytes);
    }
    if (n_fallback && !like_path)
        fprintf(stderr, "lmcc-synth: %d tensors have rows that are not whole %s blocks: stored as f16\n", n_fallback,
                ty->name);
    /* f32 values + the widest encoding of them (f32 vectors) */
    float *vals = rc ? NULL : malloc((size_t)max_elems * sizeof(float));
    uint8_t *out = rc ? NULL : malloc((size_t)max_elems * sizeof(float));
    if (!rc && (!vals || !out)) rc = lmcc_error(NULL, "out of memory");

    double t0 = synth_now();
    if (!rc)
        fprintf(stderr, "lmcc-synth: %s %s, vocab %llu, %d tensors, %.1f MB, %d threads -> %s\n", m->name,
                like_path ? like_path : ty->name, (unsigned long long)vocab, n_t, (double)total / 1e6, n_threads,
                out_path);
    rc = rc || gguf_writer_begin(w, out_path);
    uint64_t done = 0;
    for (int i = 0; !rc && i < n_t; i++) {
        rc = synth_write_tensor(w, &ts[i], seed, n_threads, vals, out);
        done += ts[i].nbytes;
        if (!rc && total > 64u << 20 && (i == n_t - 1 || strstr(ts[i].name, "ffn_down")))
            fprintf(stderr, "lmcc-synth: %-26s %5.1f%%  %6.1f s\n", ts[i].name, 100.0 * (double)done / (double)total,
                    synth_now() - t0);
    }
    rc = rc || gguf_writer_end(w);
    gguf_writer_free(w); /* removes OUT.tmp after a failure */
    free(vals);
    free(out);
    free(ts);
    if (rc) return synth_die("%s", lmcc_error_text());
    fprintf(stderr, "lmcc-synth: wrote %s (%.1f MB) in %.1f s\n", out_path, (double)total / 1e6, synth_now() - t0);
    return 0;
}
