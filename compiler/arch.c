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
/* llama.cpp's LLAMA_MAX_LAYERS: the passes and the generated step() grow with the layer count
 * (tiny hostile layers would cost the compile, and the C compiler after it, far more than the file) */
#define ARCH_MAX_LAYERS 512

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

/* What distinguishes the architectures lmcc builds, one row each, read from llama.cpp's
 * llama-model.cpp and models/ARCH.cpp (one builder, arch_build, reads the rows):
 *  neox         rotate halves (pairs i, i + rot/2); else adjacent pairs (llama's converter permutes Q/K)
 *  bias         q/k/v biases (attn_q/k/v.bias)
 *  qk_norm      attn_q_norm / attn_k_norm [head size]: each head RMS-normalized before RoPE
 *  no_rope      every n-th layer goes without RoPE (layer L when (L + 1) % n == 0; 0: none)
 *  gemma        Gemma's block: embedding times sqrt(dim), RMSNorm of the attention and FFN outputs
 *               before each residual add, GELU(tanh)-gated FFN, rms epsilon required
 *  fused        phi3: attn_qkv holds [q; k; v] rows, ffn_up [gate; up] rows (SwiGLU over the split)
 *  tied         the classifier is always token_embd (a file with output.weight is not this model);
 *               otherwise output.weight when present, else token_embd
 *  swa_p        sliding-window layers are those with index % P < P - 1 unless the GGUF gives
 *               attention.sliding_window_pattern (an int P, or a bool per layer); 0: none
 *  swa_win      attention.sliding_window when the key is absent (0: no sliding window without it)
 *  swa_base     RoPE base of the sliding-window layers without rope.freq_base_swa (0: the model's
 *               table, scaling included); with a base of their own they rotate unscaled (gemma3's
 *               rope_freq_scale_train_swa 1 in llama.cpp)
 *  attn_cap     attention-logit softcap without attn_logit_softcapping (0: none, key not read)
 *  final_cap    final-logit softcap without final_logit_softcapping (-1: none, key not read; 0: the key's)
 *  big          block_count of the one size whose query scale is 1/sqrt(dim / heads) instead of
 *               1/sqrt(head_dim) (Gemma's 27B query_pre_attn_scalar, as llama.cpp decides it)
 *  lrope        LongRoPE: rope_factors_long/short.weight, one set chosen by the context (arch_rope_read) */
#define ARCH_LIST(X)                                                                                     \
    /* name       neox bias qk_norm no_rope gemma fused tied swa_p swa_win swa_base attn_cap final_cap big lrope */ \
    X("llama",    0,   0,   0,      0,      0,    0,    0,   0,    0,      0.0f,    0.0f,    -1.0f,    0,  0)  \
    X("qwen2",    1,   1,   0,      0,      0,    0,    0,   0,    0,      0.0f,    0.0f,    -1.0f,    0,  0)  \
    X("qwen3",    1,   0,   1,      0,      0,    0,    0,   0,    0,      0.0f,    0.0f,    -1.0f,    0,  0)  \
    X("smollm3",  0,   0,   0,      4,      0,    0,    0,   0,    0,      0.0f,    0.0f,    -1.0f,    0,  0)  \
    X("gemma2",   1,   0,   0,      0,      1,    0,    1,   2,    4096,   0.0f,    50.0f,   30.0f,    46, 0)  \
    X("gemma3",   1,   0,   1,      0,      1,    0,    0,   6,    0,      10000.0f, 0.0f,   0.0f,     62, 0)  \
    X("phi3",     1,   0,   0,      0,      0,    1,    0,   0,    0,      0.0f,    0.0f,    -1.0f,    0,  1)

typedef struct arch_spec {
    const char *name;
    int neox, qkv_bias, qk_norm, no_rope_step, gemma, fused, tied, swa_pattern, swa_window;
    float swa_base, attn_cap, final_cap;
    int big_layers, longrope;
} arch_spec;

static const arch_spec arch_specs[] = {
#define X(nm, neox, bias, qkn, nrs, gemma, fused, tied, swa_p, swa_w, swa_base, acap, fcap, big, lrope) \
    {nm, neox, bias, qkn, nrs, gemma, fused, tied, swa_p, swa_w, swa_base, acap, fcap, big, lrope},
    ARCH_LIST(X)
#undef X
};

/* Metadata keys "ARCH.suffix" that change the math: present with any value but `neutral` is an
 * error naming the key, unless the row implements it (cap 1: a row with attn_cap reads the key,
 * cap 2: a row with final_cap >= 0).  X(suffix, neutral value, cap, what it does) */
#define ARCH_UNSUPPORTED_KEY_LIST(X)                                                         \
    X("attention.logit_softcapping",       0.0, 0, "soft-caps the attention scores")        \
    X("attn_logit_softcapping",            0.0, 1, "soft-caps the attention scores")        \
    X("final_logit_softcapping",           0.0, 2, "soft-caps the logits")                  \
    X("expert_count",                      0.0, 0, "a mixture of experts")                  \
    X("embedding_scale",                   1.0, 0, "scales the token embeddings")           \
    X("residual_scale",                    1.0, 0, "scales the residual branches")          \
    X("logit_scale",                       1.0, 0, "scales the logits")                     \
    X("attention.clamp_kqv",               0.0, 0, "clamps q, k and v")

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

static int arch_check_keys(const gguf_file *f, const char *path, const arch_spec *sp) {
    const char *ar = sp->name;
    static const struct { const char *suffix; double neutral; int cap; const char *what; } keys[] = {
#define X(sfx, neu, cap, what) {sfx, neu, cap, what},
        ARCH_UNSUPPORTED_KEY_LIST(X)
#undef X
    };
    char key[128];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if ((keys[i].cap == 1 && sp->attn_cap > 0) || (keys[i].cap == 2 && sp->final_cap >= 0)) continue;
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

/* The RoPE of a model as llama.cpp sets it up (llama_model::load_hparams, llama_context's cparams,
 * ggml's rope_yarn): read once, then turned into each rope table by arch_rope_freqs. */
typedef struct arch_rope {
    int yarn;          /* rope.scaling.type yarn: llama.cpp's ext_factor 1 (else 0) */
    double freq_scale; /* 1 / rope.scaling.factor (none, or no factor: 1) */
    double attn;       /* cparams.yarn_attn_factor: rope.scaling.attn_factor, YaRN's correction folded in */
    int orig_ctx;      /* rope.scaling.original_context_length, else context_length */
    const gguf_tensor *factors; /* per-frequency divisors: rope_freqs.weight, or LongRoPE's set for the context */
    int ctx_min;       /* the smallest context this choice holds for (LongRoPE's long set: orig_ctx + 1) */
} arch_rope;

/* LongRoPE (Phi-3.x, Phi-4-mini): two divisor sets, rope_factors_short for contexts up to the original
 * one and rope_factors_long beyond it; llama.cpp picks by the context a user creates (get_rope_factors:
 * n_ctx_seq > n_ctx_orig_yarn; its n_ctx is rounded up to 256, the same choice for every shipped
 * model, whose original context is a multiple of 256).  lmcc picks by the compiled context and
 * records the floor in ctx_min, so init_ctx cannot give a smaller context the other set's logits. */
static int arch_rope_read(const gguf_file *f, const char *path, const arch_spec *A, int ctx_len, int ctx, int half,
                          arch_rope *r) {
    const char *ar = A->name;
    char key[128], type[32] = "linear";
    double factor = 0, attn = 1;
    memset(r, 0, sizeof *r);
    snprintf(key, sizeof key, "%s.rope.scaling.type", ar);
    if (gguf_find(f, key) && gguf_get_str(f, key, type, sizeof type) != 0)
        return lmcc_error(path, "key '%s' has type %s, expected a string", key, gguf_vtype_name(gguf_find(f, key)->val.type));
    if (strcmp(type, "none") != 0 && strcmp(type, "linear") != 0 && strcmp(type, "yarn") != 0)
        return lmcc_error(path, "key '%s' = '%s' is not supported (lmcc implements RoPE scaling none, linear, yarn, "
                          "Llama 3's rope_freqs.weight and Phi-3's LongRoPE factors)", key, type);
    r->yarn = !strcmp(type, "yarn");
    snprintf(key, sizeof key, "%s.rope.scaling.factor", ar);
    int rc = arch_key_num(f, path, key, &factor);
    if (rc == 1) { /* the older name */
        snprintf(key, sizeof key, "%s.rope.scale_linear", ar);
        rc = arch_key_num(f, path, key, &factor);
    }
    if (rc < 0) return -1;
    if (rc == 0 && (!(factor >= 0) || !isfinite(factor)))
        return lmcc_error(path, "key '%s' = %g must be >= 0 (0: no scaling)", key, factor);
    if (r->yarn && factor != 0 && factor < 1)
        return lmcc_error(path, "key '%s' = %g must be >= 1 with rope.scaling.type yarn (a context extension)", key, factor);
    r->freq_scale = factor == 0 || !strcmp(type, "none") ? 1.0 : 1.0 / factor;
    snprintf(key, sizeof key, "%s.rope.scaling.attn_factor", ar);
    if (arch_key_num(f, path, key, &attn) < 0) return -1;
    if (!(attn > 0) || !isfinite(attn)) return lmcc_error(path, "key '%s' = %g must be positive", key, attn);
    r->attn = attn;
    if (r->yarn) { /* cparams: get_mscale(factor) / (1 + 0.1 ln factor), ggml multiplies the latter back */
        double fa = 1.0 / r->freq_scale;
        r->attn *= (fa <= 1.0 ? 1.0 : 1.0 + 0.1 * log(fa)) / (1.0 + 0.1 * log(fa));
    }
    snprintf(key, sizeof key, "%s.rope.scaling.original_context_length", ar);
    if (arch_key_int(f, path, key, ctx_len, &r->orig_ctx)) return -1;
    r->ctx_min = 1;
    const gguf_tensor *lg = gguf_find_tensor(f, "rope_factors_long.weight"),
                      *sh = gguf_find_tensor(f, "rope_factors_short.weight");
    const char *fname = "rope_freqs.weight";
    r->factors = gguf_find_tensor(f, fname);
    if ((lg || sh) && (!A->longrope || r->factors))
        return lmcc_error(path, "tensor '%s' is not supported by lmcc's %s builder (LongRoPE factors belong to phi3 "
                          "files without rope_freqs.weight)", lg ? "rope_factors_long.weight" : "rope_factors_short.weight", ar);
    if (lg || sh) {
        if (!lg || !sh)
            return lmcc_error(path, "tensor '%s' is missing (a LongRoPE file has both the long and the short factors)",
                              lg ? "rope_factors_short.weight" : "rope_factors_long.weight");
        int lng = ctx > r->orig_ctx;
        r->factors = lng ? lg : sh;
        fname = lng ? "rope_factors_long.weight" : "rope_factors_short.weight";
        r->ctx_min = lng ? r->orig_ctx + 1 : 1;
    }
    const gguf_tensor *ft = r->factors;
    if (ft && (ft->type != 0 || ft->n_dims != 1 || ft->ne[0] != (uint64_t)half || !ft->data ||
               ft->nbytes != (uint64_t)half * sizeof(float)))
        return lmcc_error(path, "tensor '%s' must be f32 [%d] (rope.dimension_count / 2)", fname, half);
    for (int i = 0; ft && i < half; i++) {
        float div;
        memcpy(&div, (const char *)ft->data + (size_t)i * sizeof div, sizeof div);
        if (!(div > 0) || !isfinite(div)) return lmcc_error(path, "%s[%d] = %g must be positive", fname, i, (double)div);
    }
    return 0;
}

/* ggml_rope_yarn_corr_dims, in float as ggml: the pairs below dims[0] keep their original
 * frequency (extrapolate), those above dims[1] are scaled (interpolate), a ramp between */
static void arch_yarn_corr_dims(int n_dims, int n_ctx_orig, float base, float dims[2]) {
    const float beta_fast = 32.0f, beta_slow = 1.0f, pi = 3.14159265358979323846f;
    float lo = floorf((float)n_dims * logf((float)n_ctx_orig / (beta_fast * 2 * pi)) / (2 * logf(base)));
    float hi = ceilf((float)n_dims * logf((float)n_ctx_orig / (beta_slow * 2 * pi)) / (2 * logf(base)));
    dims[0] = lo > 0 ? lo : 0;
    dims[1] = hi < (float)(n_dims - 1) ? hi : (float)(n_dims - 1);
}

/* RoPE's rotation frequencies, radians per position, as llama.cpp's ggml_rope_ext with
 * freq_scale fs and ext_factor e: pair i turns at base^(-2i/rope_dim) / factor[i] times
 * fs (1 - m_i) + m_i, where m_i = e * ramp(i) (YaRN's mix of interpolation and extrapolation;
 * 0 without YaRN: linear scaling), factor[i] the divisors of arch_rope_read (absent: 1); the cos
 * and sin are multiplied by *mscale (ggml's mscale: attn, times 1 + 0.1 ln(1/fs) under YaRN).
 * In double, then rounded; the rope_table op turns them into the cos/sin rows of each chunk's
 * positions at run time (no table of the context's size anywhere).  scaled 0: base only, fs 1
 * (gemma3's sliding-window layers). */
static int arch_rope_freqs(ir_graph *g, const char *path, const arch_rope *r, const char *name, int rope_dim,
                           double theta, int scaled, float *mscale) {
    int half = rope_dim / 2;
    double fs = scaled ? r->freq_scale : 1.0;
    const gguf_tensor *ft = scaled ? r->factors : NULL;
    float dims[2] = {0, 0};
    if (r->yarn) arch_yarn_corr_dims(rope_dim, r->orig_ctx, (float)theta, dims);
    float *fr = malloc((size_t)half * sizeof *fr);
    if (!fr) return lmcc_error(path, "out of memory");
    for (int i = 0; i < half; i++) {
        float div = 1.0f;
        if (ft) memcpy(&div, (const char *)ft->data + (size_t)i * sizeof div, sizeof div);
        double mix = 0;
        if (r->yarn) { /* ggml's rope_yarn_ramp of pair i */
            float y = ((float)i - dims[0]) / (dims[1] - dims[0] > 0.001f ? dims[1] - dims[0] : 0.001f);
            mix = 1.0 - (y < 0 ? 0 : y > 1 ? 1 : y);
        }
        fr[i] = (float)(pow(theta, -2.0 * i / (double)rope_dim) / (double)div * (fs * (1 - mix) + mix));
    }
    *mscale = (float)(r->attn * (r->yarn ? 1.0 + 0.1 * log(1.0 / fs) : 1.0));
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

/* Every tensor of the file must be a weight of the graph (or folded into one at compile time, as
 * the RoPE divisors into rope.freqs; arch_rope_read checked them, and LongRoPE's set for the other
 * contexts goes unused by design): one the builder does not know (a bias, ...) changes the
 * model's math, and ignoring it would compile another model. */
static int arch_check_consumed(const ir_graph *g, const gguf_file *f, const char *path, const char *arch) {
    static const char *const folded[] = {"rope_freqs.weight", "rope_factors_long.weight", "rope_factors_short.weight"};
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        int fold = 0;
        for (size_t k = 0; k < sizeof folded / sizeof folded[0]; k++) fold |= !strcmp(f->tensors[i].name, folded[k]);
        if (!fold && !arch_consumes(g, &f->tensors[i]))
            return lmcc_error(path, "tensor '%s' is not supported by lmcc's %s builder (it changes the model's math; "
                              "compiling without it would give another model)", f->tensors[i].name, arch);
    }
    return 0;
}

typedef struct arch_b { ir_graph *g; const char *path, *ar; int fail; } arch_b;

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
    int id = arch_weight(b->g, f, b->path, b->ar, name, k ? 2 : 1, shape, why);
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

/* One transformer builder for every row of ARCH_LIST: RMSNorm, GQA attention with RoPE, a gated
 * FFN, with what the row adds; keys and tensors as llama.cpp reads them. */
static ir_graph *arch_build(const gguf_file *f, const char *path, const ir_config *cfg, const arch_spec *A) {
    const char *ar = A->name;
    char key[128];
    int dim, n_layers, hidden, n_heads, n_kv, head_dim, v_dim, rope_dim, ctx_len, window = 0;
    float theta, theta_swa, eps, att_scale, attn_cap = A->attn_cap, final_cap = A->final_cap;
    unsigned char *swa = NULL;
    ir_graph *g = NULL;
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
    if (arch_key_float(f, path, KEY("attention.scale"), 0.0f, &att_scale) || arch_check_keys(f, path, A))
        return NULL;
    if (!(att_scale >= 0) || !isfinite(att_scale)) {
        lmcc_error(path, "attention.scale %g must be >= 0 (0: 1/sqrt(head size))", (double)att_scale);
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
    if (cfg->ctx <= 0 || cfg->ctx > LMCC_CTX_MAX) {
        lmcc_error(path, "context size %d must be 1..%d (%s)", cfg->ctx, LMCC_CTX_MAX, LMCC_CTX_MAX_WHY);
        return NULL;
    }
    arch_rope rope;
    if (arch_rope_read(f, path, A, ctx_len, cfg->ctx, rope_dim / 2, &rope)) return NULL;
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
    in->ctx_min = rope.ctx_min;

    int64_t q_out = (int64_t)n_heads * head_dim, kv_out = (int64_t)n_kv * head_dim;
    int64_t s_emb[2] = {vocab, dim}, s_vec[1] = {dim};
    int64_t s_q[2] = {q_out, dim}, s_kv[2] = {kv_out, dim}, s_o[2] = {dim, q_out}, s_qkv[2] = {q_out + 2 * kv_out, dim};
    int64_t s_up[2] = {hidden, dim}, s_down[2] = {dim, hidden}, s_up2[2] = {2 * (int64_t)hidden, dim};
    int64_t s_tok[1] = {1};
    arch_b b = {g, path, ar, 0};
    char nm[IR_NAME_MAX], nm2[IR_NAME_MAX];
    static const char *const why_q = "head_count x head size, embedding_length",
                             *const why_kv = "head_count_kv x head size, embedding_length",
                             *const why_up = "feed_forward_length, embedding_length";

    int w_emb = arch_weight(g, f, path, ar, "token_embd.weight", 2, s_emb, "vocab x embedding_length");
    if (w_emb < 0) goto fail;
    float msc, msc_swa;
    int rope_freqs = arch_rope_freqs(g, path, &rope, "rope.freqs", rope_dim, theta, 1, &msc), swa_freqs = rope_freqs;
    if (rope_freqs < 0) goto fail;
    msc_swa = msc;
    if (window && (theta_swa != theta || A->swa_base > 0) &&
        (swa_freqs = arch_rope_freqs(g, path, &rope, "rope.freqs.swa", rope_dim, theta_swa, !(A->swa_base > 0),
                                     &msc_swa)) < 0)
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
    a.scale = msc != 1.0f ? msc : 0; /* the rope table's magnitude (0: 1) */
    int rope_tab = b.fail ? -1 : ir_node_add(g, IR_OP_ROPE_TABLE, (int[IR_MAX_INPUTS]){rope_freqs, -1, -1, -1, -1}, &a,
                                            "rope", 2, s_rope);
    int rope_swa = rope_tab;
    a.scale = msc_swa != 1.0f ? msc_swa : 0;
    if (!b.fail && rope_tab >= 0 && swa_freqs != rope_freqs)
        rope_swa = ir_node_add(g, IR_OP_ROPE_TABLE, (int[IR_MAX_INPUTS]){swa_freqs, -1, -1, -1, -1}, &a, "rope_swa", 2,
                               s_rope);
    a.scale = 0;
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
        if (A->qkv_bias) {
            int bias = arch_layer_weight(&b, f, L, "attn_v", "bias", kv_out, 0, "head_count_kv x head size");
            v = arch_node(&b, IR_OP_ADD_BIAS, v, bias, -1, &a, NM("v_bias"), kv_out);
        }
        ir_attrs ra = a;
        ra.n_heads = n_heads; ra.n_kv_heads = n_kv; ra.head_dim = head_dim;
        ra.rope_dim = rope_dim; ra.rope_neox = A->neox;
        /* SmolLM3: layer L goes without RoPE when (L + 1) is a multiple of the step */
        int use_rope = !A->no_rope_step || (L + 1) % A->no_rope_step != 0, tab = slide ? rope_swa : rope_tab;
        int qr = arch_qk_path(&b, f, A, L, q, "q", n_heads, use_rope, tab, &ra);
        int kr = arch_qk_path(&b, f, A, L, k, "k", n_kv, use_rope, tab, &ra);
        arch_node(&b, IR_OP_KV_STORE, kr, kc, -1, &a, NULL, 0);
        arch_node(&b, IR_OP_KV_STORE, v, vc, -1, &a, NULL, 0);
        ir_attrs aa = a;
        aa.n_heads = n_heads; aa.n_kv_heads = n_kv; aa.head_dim = head_dim;
        /* Gemma's query_pre_attn_scalar: dim / heads for the one size that has it, else the head size */
        aa.scale = att_scale > 0                                 ? att_scale
                   : A->big_layers && n_layers == A->big_layers ? (float)(1.0 / sqrt((double)(dim / n_heads)))
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
