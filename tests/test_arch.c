/* test_arch.c - the llama builder: the graph it makes from a good model, and
 * the user-facing error text for each kind of bad model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "diag.h"
#include "gguf.h"
#include "gguf_write.h"
#include "model.h"
#include "passes.h"
#include "tiny_llama.h"
#include "test_util.h"

#include <sys/stat.h>
#include <unistd.h>


static const ir_config cfg8 = {.ctx = 8, .kv_dtype = IR_DT_F32, .weights_mode = IR_WEIGHTS_KEEP};

static void test_good(void) {
    tiny_params p = tiny_default();
    gguf_file *f = tiny_make(&p);
    lmcc_error_clear();
    ir_graph *g = f ? lmcc_build_graph(f, "tiny.gguf", &cfg8) : NULL;
    CHECK(g, "good model: %s", lmcc_error_text());
    if (!g) { gguf_close(f); return; }
    char err[2048];
    CHECK(ir_verify(g, err, sizeof err) == 0, "built graph fails the verifier:\n%s", err);
    const ir_model_info *in = &g->info;
    CHECK(!strcmp(in->arch, "llama") && in->dim == 4 && in->hidden_dim == 6 && in->n_layers == 1 &&
          in->n_heads == 2 && in->n_kv_heads == 1 && in->head_dim == 2 && in->vocab_size == 5 &&
          in->ctx_len == 16 && in->rope_dim == 2 && in->rope_neox == 0 && in->rope_theta == 10000.0f &&
          in->rms_eps == 1e-5f && !in->tied_output, "model info");
    CHECK(!strcmp(in->name, "tiny"), "name from the file stem, got '%s'", in->name);
    CHECK(g->cfg.ctx == 8, "cfg copied");
    /* weights alias the file's bytes */
    int q = ir_tensor_find(g, "blk.0.attn_q.weight");
    CHECK(q >= 0 && g->tensors[q].data == gguf_find_tensor(f, "blk.0.attn_q.weight")->data &&
          g->tensors[q].shape[0] == 4 && g->tensors[q].shape[1] == 4 && g->tensors[q].kind == IR_KIND_WEIGHT,
          "attn_q weight");
    int k = ir_tensor_find(g, "blk.0.attn_k.weight");
    CHECK(k >= 0 && g->tensors[k].shape[0] == 2 && g->tensors[k].shape[1] == 4, "attn_k is [n_kv*hd][dim]");
    int kc = ir_tensor_find(g, "kv.0.k"), vc = ir_tensor_find(g, "kv.0.v");
    CHECK(kc >= 0 && vc >= 0 && g->tensors[kc].kind == IR_KIND_STATE && g->tensors[kc].ndim == 3 &&
          g->tensors[kc].shape[0] == 1 && g->tensors[kc].shape[1] == 8 && g->tensors[kc].shape[2] == 2,
          "kv cache [n_kv][ctx][hd]");
    CHECK(ir_tensor_find(g, "l0.xb") >= 0, "readable activation names");
    CHECK(g->token_input >= 0 && g->tensors[g->token_input].kind == IR_KIND_INPUT &&
          g->tensors[g->token_input].dtype == IR_DT_I32, "token input");
    CHECK(g->logits >= 0 && ir_tensor_elems(&g->tensors[g->logits]) == 5, "logits [vocab]");
    /* rope: the frequencies theta^(-2i/rope_dim) (one pair here: 1 radian per position), turned into
     * each chunk's cos/sin rows by one rope_table node; nothing sized by the context */
    int rf = ir_tensor_find(g, "rope.freqs"), rr = ir_tensor_find(g, "rope");
    CHECK(rf >= 0 && g->tensors[rf].owned && g->tensors[rf].ndim == 1 && g->tensors[rf].shape[0] == 1 &&
          ((const float *)g->tensors[rf].data)[0] == 1.0f, "rope.freqs [rope_dim/2]");
    CHECK(rr >= 0 && g->tensors[rr].kind == IR_KIND_ACT && g->tensors[rr].ndim == 2 && g->tensors[rr].shape[0] == 1 &&
          g->tensors[rr].shape[1] == 2 && g->nodes[ir_tensor_producer(g, rr)].op == IR_OP_ROPE_TABLE,
          "rope rows [rope_dim/2][2] from rope_table");
    /* count ops: embed + per layer 16 + 2 */
    int counts[IR_OP_COUNT] = {0};
    for (int i = 0; i < g->n_nodes; i++) counts[g->nodes[i].op]++;
    CHECK(counts[IR_OP_EMBED] == 1 && counts[IR_OP_ROPE_TABLE] == 1 && counts[IR_OP_ROPE] == 2 && counts[IR_OP_KV_STORE] == 2 &&
          counts[IR_OP_ATTENTION] == 1 && counts[IR_OP_LINEAR] == 8 && counts[IR_OP_RMSNORM] == 3 &&
          counts[IR_OP_SWIGLU] == 1 && counts[IR_OP_ADD] == 2, "op mix");
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == IR_OP_ATTENTION)
            CHECK(fabsf(g->nodes[i].attrs.scale - (float)(1 / sqrt(2.0))) < 1e-7f && g->nodes[i].attrs.n_kv_heads == 1,
                  "attention attrs");
    ir_graph_free(g);
    gguf_close(f);

    p.tied = 1;
    f = tiny_make(&p);
    g = f ? lmcc_build_graph(f, "dir/m.v2.gguf", &cfg8) : NULL;
    CHECK(g && g->info.tied_output, "tied output");
    CHECK(g && !strcmp(g->info.name, "m.v2"), "name stem, got '%s'", g ? g->info.name : "");
    ir_graph_free(g);
    gguf_close(f);
}

typedef void (*mutator)(gguf_file *f);

static void expect_error(const char *what, tiny_params p, mutator mut, const char *want) {
    gguf_file *f = tiny_make(&p);
    CHECK(f, "%s: tiny_make", what);
    if (!f) return;
    if (mut) mut(f);
    lmcc_error_clear();
    ir_graph *g = lmcc_build_graph(f, "bad.gguf", &cfg8);
    const char *e = lmcc_error_text();
    CHECK(!g, "%s: accepted", what);
    CHECK(strstr(e, want) != NULL && !strncmp(e, "bad.gguf: ", 10), "%s: error '%s' lacks '%s'", what, e, want);
    if (!test_failures) printf("%-26s -> %s\n", what, e);
    ir_graph_free(g);
    gguf_close(f);
}

static void m_no_attn_k(gguf_file *f) { strcpy(tiny_tensor(f, "blk.0.attn_k.weight")->name, "blk.0.attn_kk.weight"); }
static void m_shape_q(gguf_file *f) { tiny_tensor(f, "blk.0.attn_q.weight")->ne[1] = 3; }
static void m_shape_norm(gguf_file *f) { tiny_tensor(f, "output_norm.weight")->ne[0] = 5; }
static void m_type(gguf_file *f) { tiny_tensor(f, "blk.0.ffn_up.weight")->type = 77; }
static void m_arch(gguf_file *f) { tiny_kv(f, "general.architecture")->val.v.s = tiny_str(f, "gpt9"); }
static void m_no_arch(gguf_file *f) { tiny_kv(f, "general.architecture")->key = tiny_str(f, "general.archi"); }
static void m_no_blocks(gguf_file *f) { tiny_kv(f, "llama.block_count")->key = tiny_str(f, "llama.blocks"); }
static void m_heads3(gguf_file *f) { tiny_kv(f, "llama.attention.head_count")->val.v.u = 3; }
static void m_kv3(gguf_file *f) { tiny_kv(f, "llama.attention.head_count_kv")->val.v.u = 3; }
static void m_rope_odd(gguf_file *f) { tiny_kv(f, "llama.rope.dimension_count")->val.v.u = 1; }
static void m_rope_big(gguf_file *f) { tiny_kv(f, "llama.rope.dimension_count")->val.v.u = 4; }
static void m_dim0(gguf_file *f) { tiny_kv(f, "llama.embedding_length")->val.v.u = 0; }
static void m_ffn_str(gguf_file *f) {
    gguf_kv *kv = tiny_kv(f, "llama.feed_forward_length");
    kv->val.type = GGUF_T_STRING;
    kv->val.v.s = tiny_str(f, "six");
}
static void m_theta_neg(gguf_file *f) { tiny_kv(f, "llama.rope.freq_base")->val.v.f = -1; }
/* a tensor the builder does not know (tiny_make leaves room for one) */
static void m_extra(gguf_file *f) {
    uint32_t seed = 1;
    tiny_add_tensor(f, "blk.0.attn_q.bias", 1, 4, 1, 0, &seed);
}

static void test_errors(void) {
    tiny_params p = tiny_default();
    expect_error("missing tensor", p, m_no_attn_k, "missing tensor 'blk.0.attn_k.weight'");
    expect_error("wrong shape", p, m_shape_q, "tensor 'blk.0.attn_q.weight' has shape [3, 4], expected [4, 4]");
    expect_error("wrong 1-d shape", p, m_shape_norm, "tensor 'output_norm.weight' has shape [5], expected [4]");
    expect_error("unreadable type", p, m_type, "tensor 'blk.0.ffn_up.weight' has ggml type 77, which lmcc cannot read");
    expect_error("unknown architecture", p, m_arch,
                 "unknown architecture 'gpt9' (supported: llama, qwen2, qwen3, smollm3, gemma2, gemma3, phi3)");
    expect_error("no architecture", p, m_no_arch, "missing required key 'general.architecture'");
    expect_error("missing key", p, m_no_blocks, "missing required key 'llama.block_count'");
    expect_error("heads not dividing dim", p, m_heads3, "head_count 3 does not divide embedding_length 4");
    expect_error("kv not dividing heads", p, m_kv3, "head_count_kv 3 does not divide attention.head_count 2");
    expect_error("odd rope dim", p, m_rope_odd, "rope.dimension_count 1 must be even");
    expect_error("rope dim > head dim", p, m_rope_big, "rope.dimension_count 4 must be even and at most the head size 2");
    expect_error("zero dim", p, m_dim0, "'llama.embedding_length' = 0 is out of range");
    expect_error("key of wrong type", p, m_ffn_str, "'llama.feed_forward_length' has type");
    expect_error("negative theta", p, m_theta_neg, "rope.freq_base -1 must be positive");
    expect_error("unknown tensor", p, m_extra, "tensor 'blk.0.attn_q.bias' is not supported by lmcc's llama builder");
    p.n_heads = 4; p.dim = 8; p.n_kv = 4; p.rope_dim = 2;
    expect_error("kv not dividing 4 heads", p, m_kv3, "head_count_kv 3 does not divide attention.head_count 4");
}

/* ---- RoPE scaling and the keys lmcc does not implement ------------------ */

/* the one rope frequency of the tiny model (head_dim 2: base^0 = 1 radian per position) after mut;
 * the rope table's magnitude (its scale attribute, 0: 1) in *mag when not NULL */
static float rope_freq_mag_after(mutator mut, float *mag) {
    tiny_params p = tiny_default();
    gguf_file *f = tiny_make(&p);
    if (!f) return -1;
    mut(f);
    lmcc_error_clear();
    ir_graph *g = lmcc_build_graph(f, "tiny.gguf", &cfg8);
    CHECK(g, "rope scaling: %s", lmcc_error_text());
    int rf = g ? ir_tensor_find(g, "rope.freqs") : -1;
    float v = rf >= 0 ? ((const float *)g->tensors[rf].data)[0] : -1;
    for (int i = 0; mag && g && i < g->n_nodes; i++)
        if (g->nodes[i].op == IR_OP_ROPE_TABLE) *mag = g->nodes[i].attrs.scale > 0 ? g->nodes[i].attrs.scale : 1.0f;
    ir_graph_free(g);
    gguf_close(f);
    return v;
}
static float rope_freq_after(mutator mut) { return rope_freq_mag_after(mut, NULL); }

static void m_scale4(gguf_file *f) { tiny_add_f32(f, "llama.rope.scaling.factor", 4.0f); }
static void m_scale4_linear(gguf_file *f) { tiny_add_str(f, "llama.rope.scaling.type", "linear"), m_scale4(f); }
static void m_scale4_none(gguf_file *f) { tiny_add_str(f, "llama.rope.scaling.type", "none"), m_scale4(f); }
static void m_scale_old(gguf_file *f) { tiny_add_f32(f, "llama.rope.scale_linear", 2.0f); }
static void m_rope_freqs(gguf_file *f) { /* Llama 3: the divisor of each frequency */
    uint32_t seed = 1;
    tiny_add_tensor(f, "rope_freqs.weight", 1, 1, 1, 0, &seed);
    *(float *)tiny_tensor(f, "rope_freqs.weight")->data = 8.0f;
}
static void m_rope_freqs_scale4(gguf_file *f) { m_rope_freqs(f), m_scale4(f); }
static void m_yarn(gguf_file *f) { tiny_add_str(f, "llama.rope.scaling.type", "yarn"), m_scale4(f); }
static void m_yarn_attn(gguf_file *f) { m_yarn(f), tiny_add_f32(f, "llama.rope.scaling.attn_factor", 0.5f); }
static void m_yarn_half(gguf_file *f) {
    tiny_add_str(f, "llama.rope.scaling.type", "yarn"), tiny_add_f32(f, "llama.rope.scaling.factor", 0.5f);
}
static void m_llama_longrope(gguf_file *f) {
    uint32_t seed = 1;
    tiny_add_tensor(f, "rope_factors_long.weight", 1, 1, 1, 0, &seed);
    tiny_add_tensor(f, "rope_factors_short.weight", 1, 1, 1, 0, &seed);
}
static void m_attn_factor(gguf_file *f) { tiny_add_f32(f, "llama.rope.scaling.attn_factor", 1.5f); }
static void m_attn_factor1(gguf_file *f) { tiny_add_f32(f, "llama.rope.scaling.attn_factor", 1.0f); }
static void m_softcap(gguf_file *f) { tiny_add_f32(f, "llama.final_logit_softcapping", 30.0f); }
static void m_experts(gguf_file *f) { tiny_add_u32(f, "llama.expert_count", 8); }
static void m_freqs_shape(gguf_file *f) {
    uint32_t seed = 1;
    tiny_add_tensor(f, "rope_freqs.weight", 1, 2, 1, 0, &seed);
}
static void m_value_len(gguf_file *f) { tiny_add_u32(f, "llama.attention.value_length", 4); }
static void m_att_scale(gguf_file *f) { tiny_add_f32(f, "llama.attention.scale", 0.125f); }

static void test_rope_scaling(void) {
    CHECK(rope_freq_after(m_scale4) == 0.25f, "rope.scaling.factor 4 without a type (llama.cpp: linear)");
    CHECK(rope_freq_after(m_scale4_linear) == 0.25f, "linear scaling by 4");
    CHECK(rope_freq_after(m_scale4_none) == 1.0f, "scaling type none ignores the factor");
    CHECK(rope_freq_after(m_scale_old) == 0.5f, "rope.scale_linear, the older key");
    CHECK(rope_freq_after(m_rope_freqs) == 0.125f, "rope_freqs.weight divides the frequency");
    CHECK(rope_freq_after(m_rope_freqs_scale4) == 1.0f / 32, "rope_freqs.weight and linear scaling");
    float mag = 0;
    CHECK(rope_freq_mag_after(m_attn_factor1, &mag) == 1.0f && mag == 1.0f, "attn_factor 1 is neutral");
    /* llama.cpp: cos and sin times attn_factor (ggml's mscale), the frequencies unchanged */
    CHECK(rope_freq_mag_after(m_attn_factor, &mag) == 1.0f && mag == 1.5f, "attn_factor 1.5: magnitude %g", (double)mag);
    /* YaRN by 4: pair 0 turns faster than YaRN's beta_fast 32 turns over the original context, so it keeps
     * its frequency (ramp 1); magnitude 1 + 0.1 ln 4 (llama.cpp's get_mscale), times attn_factor */
    CHECK(rope_freq_mag_after(m_yarn, &mag) == 1.0f && fabsf(mag - (float)(1 + 0.1 * log(4.0))) < 1e-6f,
          "yarn 4: frequency kept, magnitude %g", (double)mag);
    CHECK(rope_freq_mag_after(m_yarn_attn, &mag) == 1.0f && fabsf(mag - (float)(0.5 * (1 + 0.1 * log(4.0)))) < 1e-6f,
          "yarn 4 with attn_factor 0.5: magnitude %g", (double)mag);
    tiny_params p = tiny_default();
    expect_error("yarn below 1", p, m_yarn_half, "key 'llama.rope.scaling.factor' = 0.5 must be >= 1 with rope.scaling.type yarn");
    expect_error("llama LongRoPE", p, m_llama_longrope, "tensor 'rope_factors_long.weight' is not supported by lmcc's llama builder");
    expect_error("softcap", p, m_softcap, "key 'llama.final_logit_softcapping' = 30 is not supported by lmcc's llama");
    expect_error("experts", p, m_experts, "key 'llama.expert_count' = 8 is not supported");
    expect_error("rope_freqs shape", p, m_freqs_shape, "tensor 'rope_freqs.weight' must be f32 [1]");
    expect_error("value_length", p, m_value_len, "attention.value_length 4 differs from attention.key_length 2");
    /* attention.scale replaces 1/sqrt(head size) */
    gguf_file *f = tiny_make(&p);
    if (!f) return;
    m_att_scale(f);
    ir_graph *g = lmcc_build_graph(f, "tiny.gguf", &cfg8);
    int seen = 0;
    for (int i = 0; g && i < g->n_nodes; i++)
        if (g->nodes[i].op == IR_OP_ATTENTION) seen += g->nodes[i].attrs.scale == 0.125f;
    CHECK(seen == 1, "attention.scale 0.125 -> the attention's scale");
    ir_graph_free(g);
    gguf_close(f);
}

/* ---- the architectures of ARCH_LIST: what each adds to the llama block ---- */

/* tiny_make's llama model as architecture `arch` (its keys renamed) plus the tensors `add` makes */
static ir_graph *build_as(const char *arch, tiny_params p, void (*add)(gguf_file *f, const tiny_params *p),
                          gguf_file **fp) {
    gguf_file *f = tiny_make(&p);
    *fp = f;
    if (!f) return NULL;
    for (uint64_t i = 0; i < f->n_kv; i++) {
        gguf_kv *kv = &f->kv[i];
        char key[128];
        if (kv->key.len > 6 && !strncmp(kv->key.ptr, "llama.", 6)) {
            snprintf(key, sizeof key, "%s.%.*s", arch, (int)kv->key.len - 6, kv->key.ptr + 6);
            kv->key = tiny_str(f, key);
        }
    }
    tiny_kv(f, "general.architecture")->val.v.s = tiny_str(f, arch);
    if (add) add(f, &p);
    lmcc_error_clear();
    return lmcc_build_graph(f, "tiny.gguf", &cfg8);
}

static void add_biases(gguf_file *f, const tiny_params *p) {
    uint32_t seed = 7;
    char nm[64];
    uint64_t hd = (uint64_t)(p->dim / p->n_heads);
    for (int L = 0; L < p->n_layers; L++) {
        snprintf(nm, sizeof nm, "blk.%d.attn_q.bias", L), tiny_add_tensor(f, nm, 1, hd * (uint64_t)p->n_heads, 1, 0, &seed);
        snprintf(nm, sizeof nm, "blk.%d.attn_k.bias", L), tiny_add_tensor(f, nm, 1, hd * (uint64_t)p->n_kv, 1, 0, &seed);
        snprintf(nm, sizeof nm, "blk.%d.attn_v.bias", L), tiny_add_tensor(f, nm, 1, hd * (uint64_t)p->n_kv, 1, 0, &seed);
    }
}

static void add_qk_norms(gguf_file *f, const tiny_params *p) {
    uint32_t seed = 9;
    char nm[64];
    for (int L = 0; L < p->n_layers; L++) {
        snprintf(nm, sizeof nm, "blk.%d.attn_q_norm.weight", L), tiny_add_tensor(f, nm, 1, (uint64_t)(p->dim / p->n_heads), 1, 0, &seed);
        snprintf(nm, sizeof nm, "blk.%d.attn_k_norm.weight", L), tiny_add_tensor(f, nm, 1, (uint64_t)(p->dim / p->n_heads), 1, 0, &seed);
    }
}

static void count_ops(const ir_graph *g, int *counts) {
    memset(counts, 0, IR_OP_COUNT * sizeof *counts);
    for (int i = 0; g && i < g->n_nodes; i++) counts[g->nodes[i].op]++;
}

/* the producer's op of node i's input k */
static int in_op(const ir_graph *g, int i, int k) { return g->nodes[ir_tensor_producer(g, g->nodes[i].inputs[k])].op; }

static void test_archs(void) {
    tiny_params p = tiny_default();
    int c[IR_OP_COUNT];
    char err[2048];
    gguf_file *f;
    ir_graph *g = build_as("qwen2", p, add_biases, &f);
    CHECK(g && ir_verify(g, err, sizeof err) == 0, "qwen2: %s %s", lmcc_error_text(), g ? err : "");
    count_ops(g, c);
    CHECK(g && g->info.rope_neox == 1 && c[IR_OP_ADD_BIAS] == 3 && c[IR_OP_ROPE] == 2, "qwen2: 3 biases, 2 ropes");
    for (int i = 0; g && i < g->n_nodes; i++)
        if (g->nodes[i].op == IR_OP_ROPE)
            CHECK(g->nodes[i].attrs.rope_neox == 1 && in_op(g, i, 0) == IR_OP_ADD_BIAS, "qwen2: bias, then NeoX rope");
    /* fuse_qkv has no bias in its epilogue: the prologue stays unfused, and -v says why */
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    pc.verbose = 1;
    pc.log = tmpfile();
    if (g) g->cfg.fuse = 1;
    CHECK(g && pc.log && lmcc_pass_fuse_qkv(g, &pc) == 0, "qwen2: fuse_qkv: %s", pc.err);
    count_ops(g, c);
    char *log = pc.log ? test_read_stream(pc.log) : NULL;
    CHECK(c[IR_OP_QKV] == 0 && log && strstr(log, "fuse_qkv: 1 attention prologues left unfused: a bias or a head norm"),
          "qwen2: fuse_qkv's note: %s", log ? log : "");
    free(log);
    ir_graph_free(g);
    gguf_close(f);
    g = build_as("qwen2", p, NULL, &f);
    CHECK(!g && strstr(lmcc_error_text(), "missing tensor 'blk.0.attn_v.bias'"), "qwen2 without biases: %s",
          lmcc_error_text());
    ir_graph_free(g);
    gguf_close(f);

    g = build_as("qwen3", p, add_qk_norms, &f);
    CHECK(g && ir_verify(g, err, sizeof err) == 0, "qwen3: %s %s", lmcc_error_text(), g ? err : "");
    count_ops(g, c);
    CHECK(g && g->info.rope_neox == 1 && c[IR_OP_HEAD_NORM] == 2 && c[IR_OP_ADD_BIAS] == 0, "qwen3: 2 head norms");
    for (int i = 0; g && i < g->n_nodes; i++)
        if (g->nodes[i].op == IR_OP_ROPE) CHECK(in_op(g, i, 0) == IR_OP_HEAD_NORM, "qwen3: head norm, then rope");
    ir_graph_free(g);
    gguf_close(f);
    g = build_as("qwen3", p, add_biases, &f); /* a bias qwen3 does not have */
    CHECK(!g && strstr(lmcc_error_text(), "tensor 'blk.0.attn_q.bias' is not supported by lmcc's qwen3 builder") == 0 &&
          strstr(lmcc_error_text(), "missing tensor 'blk.0.attn_q_norm.weight'"), "qwen3 with biases: %s",
          lmcc_error_text());
    ir_graph_free(g);
    gguf_close(f);

    p.n_layers = 8; /* SmolLM3: layers 3 and 7 without RoPE */
    g = build_as("smollm3", p, NULL, &f);
    CHECK(g && ir_verify(g, err, sizeof err) == 0, "smollm3: %s %s", lmcc_error_text(), g ? err : "");
    count_ops(g, c);
    CHECK(c[IR_OP_ROPE] == 12 && c[IR_OP_ATTENTION] == 8, "smollm3: rope in 6 of 8 layers, got %d", c[IR_OP_ROPE]);
    for (int i = 0; g && i < g->n_nodes; i++)
        if (g->nodes[i].op == IR_OP_ATTENTION)
            CHECK((in_op(g, i, 0) == IR_OP_ROPE) == ((g->nodes[i].attrs.layer + 1) % 4 != 0), "smollm3 layer %d",
                  g->nodes[i].attrs.layer);
    ir_graph_free(g);
    gguf_close(f);
}

/* ---- the same through real files: gguf_writer -> lmcc_model_open ------- */

static char g_dir[512];

static void expect_file_error(const char *what, mutator mut, const char *want) {
    tiny_params p = tiny_default();
    char path[600];
    snprintf(path, sizeof path, "%s/bad.gguf", g_dir);
    gguf_file *f = tiny_make(&p);
    if (f && mut) mut(f);
    lmcc_error_clear();
    int wrc = f ? tiny_write(f, path) : -1;
    CHECK(wrc == 0, "%s: write: %s", what, lmcc_error_text());
    gguf_close(f);
    if (wrc) return;
    ir_config cfg = {.ctx = 8, .kv_dtype = IR_DT_F32, .weights_mode = IR_WEIGHTS_KEEP};
    gguf_file *r = lmcc_model_open(path);
    ir_graph *g = r ? lmcc_build_graph(r, path, &cfg) : NULL;
    const char *e = lmcc_error_text();
    if (!want) {
        CHECK(g && !e[0], "%s: %s", what, e);
        CHECK(!g || (g->info.dim == 4 && g->info.vocab_size == 5), "%s: info", what);
    } else {
        CHECK(!g && strstr(e, want) && !strncmp(e, path, strlen(path)), "%s: error '%s' lacks '%s'", what, e, want);
        if (!g && strstr(e, want)) printf("file: %-20s -> %s\n", what, strstr(e, "bad.gguf"));
    }
    ir_graph_free(g);
    gguf_close(r);
    unlink(path);
}

static void expect_open_error(const char *what, const char *path, const char *want) {
    lmcc_error_clear();
    gguf_file *f = lmcc_model_open(path);
    CHECK(!f && strstr(lmcc_error_text(), want), "%s: error '%s' lacks '%s'", what, lmcc_error_text(), want);
    gguf_close(f);
}

/* the default context: the model's, at most LMCC_CTX_DEFAULT_MAX (a metadata field of 2^20 does not
 * size the arena); --ctx wins */
static void test_ctx_default(void) {
    tiny_params p = tiny_default();
    static const int64_t train[] = {16, 4096, 131072, 1 << 20};
    static const int want[] = {16, 4096, 4096, 4096};
    for (int i = 0; i < 4; i++) {
        p.ctx_len = (int)train[i];
        gguf_file *f = tiny_make(&p);
        CHECK(f && lmcc_arch_ctx(f, 0) == want[i], "context_length %lld: default %d", (long long)train[i],
              f ? lmcc_arch_ctx(f, 0) : -1);
        CHECK(f && lmcc_arch_ctx(f, 100000) == 100000, "--ctx 100000");
        gguf_close(f);
    }
}

static void test_files(void) {
    const char *base = getenv("LMCC_BUILD_DIR");
    snprintf(g_dir, sizeof g_dir, "%s/test_arch.XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(g_dir)) {
        snprintf(g_dir, sizeof g_dir, "/tmp/test_arch.XXXXXX");
        CHECK(mkdtemp(g_dir), "mkdtemp");
    }
    expect_file_error("good file", NULL, NULL);
    expect_file_error("missing tensor", m_no_attn_k, "missing tensor 'blk.0.attn_k.weight'");
    expect_file_error("wrong shape", m_shape_q, "has shape [3, 4], expected [4, 4]");
    expect_file_error("unknown architecture", m_arch,
                      "unknown architecture 'gpt9' (supported: llama, qwen2, qwen3, smollm3, gemma2, gemma3, phi3)");
    expect_file_error("heads not dividing dim", m_heads3, "head_count 3 does not divide embedding_length 4");

    char path[600];
    snprintf(path, sizeof path, "%s/missing.gguf", g_dir);
    expect_open_error("missing file", path, "cannot open");
    expect_open_error("directory", g_dir, "not a regular file");
    expect_open_error("no path", "", "no model file given");
    snprintf(path, sizeof path, "%s/empty.bin", g_dir);
    FILE *fp = fopen(path, "wb");
    if (fp) fclose(fp);
    expect_open_error("empty file", path, "file is empty");
    unlink(path);
    rmdir(g_dir);
}

/* ---- gemma2 and phi3: the rows of LMCC_ARCH_LIST ------------------------ */

static int count_op(const ir_graph *g, ir_opcode op) {
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++) c += g->nodes[i].op == op;
    return c;
}

/* the attention node of layer L */
static const ir_node *layer_attention(const ir_graph *g, int L) {
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == IR_OP_ATTENTION && g->nodes[i].attrs.layer == L) return &g->nodes[i];
    return NULL;
}

static int64_t cache_slots(const ir_graph *g, int L) {
    char nm[32];
    snprintf(nm, sizeof nm, "kv.%d.k", L);
    int id = ir_tensor_find(g, nm);
    return id >= 0 ? g->tensors[id].shape[1] : -1;
}

static tiny_params gemma2_params(void) {
    tiny_params p = tiny_default();
    p.arch = "gemma2", p.dim = 8, p.hidden = 12, p.n_layers = 3, p.n_heads = 2, p.n_kv = 1, p.head_dim = 6;
    p.rope_dim = 6, p.window = 3;
    return p;
}

static ir_graph *build_tiny(const tiny_params *p, void (*mut)(gguf_file *), gguf_file **keep) {
    static const ir_config cfg = {.ctx = 8, .kv_dtype = IR_DT_F32, .weights_mode = IR_WEIGHTS_KEEP, .batch = 2};
    gguf_file *f = tiny_make(p);
    if (f && mut) mut(f);
    lmcc_error_clear();
    ir_graph *g = f ? lmcc_build_graph(f, "g.gguf", &cfg) : NULL;
    char err[2048];
    CHECK(g, "%s: %s", p->arch, lmcc_error_text());
    CHECK(!g || ir_verify(g, err, sizeof err) == 0, "%s: verifier: %s", p->arch, err);
    *keep = f;
    return g;
}

static void m_g2_keys(gguf_file *f) {
    tiny_add_f32(f, "gemma2.attn_logit_softcapping", 20.0f);
    tiny_add_f32(f, "gemma2.final_logit_softcapping", 10.0f);
    tiny_add_f32(f, "gemma2.rope.freq_base_swa", 500.0f);
    tiny_add_u32(f, "gemma2.attention.sliding_window_pattern", 3);
}
static void m_g2_no_eps(gguf_file *f) {
    tiny_kv(f, "gemma2.attention.layer_norm_rms_epsilon")->key = tiny_str(f, "gemma2.eps");
}
static void m_g2_no_post(gguf_file *f) { strcpy(tiny_tensor(f, "blk.1.post_ffw_norm.weight")->name, "blk.1.post_norm.weight"); }
static void m_g2_output(gguf_file *f) {
    uint32_t seed = 1;
    tiny_add_tensor(f, "output.weight", 2, 8, 5, 0, &seed);
}
static void m_g2_vlen(gguf_file *f) { tiny_kv(f, "gemma2.attention.value_length")->val.v.u = 4; }
static void m_g2_attn_factor(gguf_file *f) { tiny_add_f32(f, "gemma2.rope.scaling.attn_factor", 2.0f); }
static void m_g2_final_cap0(gguf_file *f) { tiny_add_f32(f, "gemma2.final_logit_softcapping", 0.0f); }
/* LongRoPE as Phi-3.5's converter writes it: both divisor sets [rope_dim / 2], the original context
 * (4 here, the tests' contexts are 8) and the magnitude sqrt(1 + ln(ctx / orig) / ln(orig)) */
static void m_phi3_longrope_orig(gguf_file *f, uint32_t orig) {
    uint32_t seed = 1;
    tiny_add_tensor(f, "rope_factors_long.weight", 1, 1, 1, 0, &seed);
    tiny_add_tensor(f, "rope_factors_short.weight", 1, 1, 1, 0, &seed);
    *(float *)tiny_tensor(f, "rope_factors_long.weight")->data = 8.0f;
    *(float *)tiny_tensor(f, "rope_factors_short.weight")->data = 2.0f;
    tiny_add_u32(f, "phi3.rope.scaling.original_context_length", orig);
    tiny_add_f32(f, "phi3.rope.scaling.attn_factor", 1.25f);
}
static void m_phi3_longrope(gguf_file *f) { m_phi3_longrope_orig(f, 4); }
static void m_phi3_longrope8(gguf_file *f) { m_phi3_longrope_orig(f, 8); }
static void m_phi3_long_only(gguf_file *f) {
    uint32_t seed = 1;
    tiny_add_tensor(f, "rope_factors_long.weight", 1, 1, 1, 0, &seed);
}
static void m_phi3_swa(gguf_file *f) { tiny_add_u32(f, "phi3.attention.sliding_window", 2); }

static void test_gemma2(void) {
    tiny_params p = gemma2_params();
    gguf_file *f;
    ir_graph *g = build_tiny(&p, NULL, &f);
    if (g) {
        const ir_model_info *in = &g->info;
        CHECK(!strcmp(in->arch, "gemma2") && in->head_dim == 6 && in->rope_neox == 1 && in->tied_output,
              "gemma2 info: head_dim %d (key_length, not dim / heads), neox, tied", in->head_dim);
        /* the embedding times sqrt(dim); GELU gates; 4 norms per layer + the output norm; the final softcap */
        int sc = -1;
        for (int i = 0; i < g->n_nodes; i++) sc = g->nodes[i].op == IR_OP_SCALE ? i : sc;
        CHECK(sc >= 0 && g->nodes[sc].attrs.scale == sqrtf(8.0f) && g->nodes[sc - 1].op == IR_OP_EMBED,
              "embedding scaled by sqrt(dim)");
        CHECK(count_op(g, IR_OP_GEGLU) == 3 && count_op(g, IR_OP_SWIGLU) == 0 && count_op(g, IR_OP_RMSNORM) == 13,
              "gemma2 ops: geglu %d, rmsnorm %d", count_op(g, IR_OP_GEGLU), count_op(g, IR_OP_RMSNORM));
        const ir_node *cap = &g->nodes[ir_tensor_producer(g, g->logits)];
        CHECK(cap->op == IR_OP_SOFTCAP && cap->attrs.softcap == 30.0f, "final softcap 30 (llama.cpp's default)");
        /* sliding window on the even layers (pattern 2), a ring of window + batch - 1 = 4 slots there */
        for (int L = 0; L < 3; L++) {
            const ir_node *at = layer_attention(g, L);
            int slide = L % 2 == 0;
            CHECK(at && at->attrs.window == (slide ? 3 : 0) && at->attrs.softcap == 50.0f &&
                      fabsf(at->attrs.scale - 1.0f / sqrtf(6.0f)) < 1e-7f,
                  "layer %d attention: window %d, softcap %g, scale 1/sqrt(head_dim)", L, at ? at->attrs.window : -1,
                  at ? (double)at->attrs.softcap : -1.0);
            CHECK(cache_slots(g, L) == (slide ? 4 : 8), "layer %d cache: %lld slots", L, (long long)cache_slots(g, L));
        }
        CHECK(ir_tensor_find(g, "rope.freqs.swa") < 0 && count_op(g, IR_OP_ROPE_TABLE) == 1,
              "one rope table without rope.freq_base_swa");
        ir_graph_free(g);
    }
    gguf_close(f);
    /* the keys: softcaps, a pattern of 3 (layers 0, 1 slide), a RoPE base of their own */
    g = build_tiny(&p, m_g2_keys, &f);
    if (g) {
        const ir_node *cap = &g->nodes[ir_tensor_producer(g, g->logits)];
        CHECK(cap->op == IR_OP_SOFTCAP && cap->attrs.softcap == 10.0f, "final_logit_softcapping read");
        for (int L = 0; L < 3; L++) {
            const ir_node *at = layer_attention(g, L);
            CHECK(at && at->attrs.softcap == 20.0f && at->attrs.window == (L < 2 ? 3 : 0),
                  "pattern 3: layer %d window %d", L, at ? at->attrs.window : -1);
        }
        int fr = ir_tensor_find(g, "rope.freqs.swa"), swa = ir_tensor_find(g, "rope_swa"), n_swa = 0;
        for (int i = 0; i < g->n_nodes; i++)
            if (g->nodes[i].op == IR_OP_ROPE && g->nodes[i].inputs[1] == swa) {
                int rd = g->nodes[i].attrs.rope_dim;
                n_swa++;
                CHECK(g->nodes[i].attrs.layer < 2 && fr >= 0 &&
                          ((const float *)g->tensors[fr].data)[1] == (float)pow(500.0, -2.0 / rd),
                      "rope.freq_base_swa on the sliding layers");
            }
        CHECK(swa >= 0 && n_swa == 4, "the sliding layers' q and k use the rope rows of rope.freqs.swa (%d)", n_swa);
        ir_graph_free(g);
    }
    gguf_close(f);
    /* Gemma 2 27B (46 layers): queries scaled by 1/sqrt(dim / heads) instead of 1/sqrt(head_dim) */
    p.n_layers = 46;
    g = build_tiny(&p, NULL, &f);
    const ir_node *at = g ? layer_attention(g, 0) : NULL;
    CHECK(at && at->attrs.scale == 0.5f, "46 layers: scale 1/sqrt(8 / 2), got %g", at ? (double)at->attrs.scale : 0.0);
    ir_graph_free(g);
    gguf_close(f);
    p = gemma2_params();
    expect_error("gemma2 without epsilon", p, m_g2_no_eps, "missing required key 'gemma2.attention.layer_norm_rms_epsilon'");
    expect_error("gemma2 post norm", p, m_g2_no_post, "missing tensor 'blk.1.post_ffw_norm.weight' (needed by a gemma2 model)");
    expect_error("gemma2 output.weight", p, m_g2_output, "tensor 'output.weight' is not part of a gemma2 model");
    expect_error("value_length", p, m_g2_vlen, "attention.value_length 4 differs from attention.key_length 6");
    /* the unsupported-key rows still apply to gemma2, but not to the softcaps its row implements */
    g = build_tiny(&p, m_g2_attn_factor, &f);
    int n_tab = 0;
    for (int k = 0; g && k < g->n_nodes; k++) n_tab += g->nodes[k].op == IR_OP_ROPE_TABLE && g->nodes[k].attrs.scale == 2.0f;
    CHECK(g && n_tab >= 1, "gemma2 rope.scaling.attn_factor 2: the rope table's magnitude");
    ir_graph_free(g);
    gguf_close(f);
    g = build_tiny(&p, m_g2_final_cap0, &f);
    int n_cap = 0;
    for (int k = 0; g && k < g->n_nodes; k++) n_cap += g->nodes[k].op == IR_OP_SOFTCAP;
    CHECK(g && n_cap == 0, "gemma2 final_logit_softcapping 0: built without a logit softcap (%d; %s)", n_cap,
          g ? "built" : lmcc_error_text());
    ir_graph_free(g);
    gguf_close(f);
}

/* Gemma 3 4B+: linear RoPE scaling of the global layers only */
static void m_g3_scale8(gguf_file *f) { tiny_add_f32(f, "gemma3.rope.scaling.factor", 8.0f); }
static void m_g3_no_swa(gguf_file *f) { tiny_kv(f, "gemma3.attention.sliding_window")->key = tiny_str(f, "gemma3.x"); }
/* attention.sliding_window_pattern as a bool per layer (llama.cpp's array form): layers 1, 2 and 6 slide */
static void m_g3_bools(gguf_file *f) {
    gguf_kv *kv = &f->kv[f->n_kv++];
    gguf_value *it = gguf_alloc(f, 7 * sizeof *it);
    kv->key = tiny_str(f, "gemma3.attention.sliding_window_pattern");
    kv->val.type = GGUF_T_ARRAY;
    kv->val.v.arr.type = GGUF_T_BOOL;
    kv->val.v.arr.n = 7;
    kv->val.v.arr.items = it;
    for (int L = 0; it && L < 7; L++) {
        memset(&it[L], 0, sizeof it[L]);
        it[L].type = GGUF_T_BOOL;
        it[L].v.b = L == 1 || L == 2 || L == 6;
    }
}
static void m_g3_no_knorm(gguf_file *f) { strcpy(tiny_tensor(f, "blk.2.attn_k_norm.weight")->name, "blk.2.k_norm.weight"); }

/* Gemma 3: Gemma 2's block with q/k head norms before RoPE, local layers L % 6 < 5 with RoPE base
 * 10000 (the model's base elsewhere), no softcaps, output.weight allowed */
static void test_gemma3(void) {
    tiny_params p = gemma2_params();
    p.arch = "gemma3", p.n_layers = 7, p.theta = 1e6f;
    gguf_file *f;
    ir_graph *g = build_tiny(&p, NULL, &f);
    if (g) {
        CHECK(count_op(g, IR_OP_HEAD_NORM) == 14 && count_op(g, IR_OP_SOFTCAP) == 0 && count_op(g, IR_OP_GEGLU) == 7 &&
                  count_op(g, IR_OP_SCALE) == 1 && !g->info.tied_output,
              "gemma3 ops: head_norm %d, softcap %d, untied", count_op(g, IR_OP_HEAD_NORM), count_op(g, IR_OP_SOFTCAP));
        for (int i = 0; i < g->n_nodes; i++) { /* q_norm / k_norm feed RoPE, over the q or kv heads */
            const ir_node *n = &g->nodes[i];
            if (n->op != IR_OP_HEAD_NORM) continue;
            const ir_node *r = NULL;
            for (int j = 0; j < g->n_nodes; j++)
                if (g->nodes[j].op == IR_OP_ROPE && g->nodes[j].inputs[0] == n->output) r = &g->nodes[j];
            CHECK(r && n->attrs.head_dim == 6 && n->attrs.n_heads == r->attrs.n_heads,
                  "head_norm node %d: before the rope of its %d heads", i, n->attrs.n_heads);
        }
        int fr = ir_tensor_find(g, "rope.freqs.swa"), swa = ir_tensor_find(g, "rope_swa");
        CHECK(fr >= 0 && ((const float *)g->tensors[fr].data)[1] == (float)pow(10000.0, -2.0 / 6),
              "local layers: RoPE base 10000");
        for (int L = 0; L < 7; L++) {
            const ir_node *at = layer_attention(g, L);
            int slide = L % 6 < 5, rope_local = 0;
            for (int i = 0; i < g->n_nodes; i++)
                if (g->nodes[i].op == IR_OP_ROPE && g->nodes[i].attrs.layer == L) rope_local = g->nodes[i].inputs[1] == swa;
            CHECK(at && at->attrs.window == (slide ? 3 : 0) && at->attrs.softcap == 0.0f && rope_local == slide &&
                      cache_slots(g, L) == (slide ? 4 : 8),
                  "gemma3 layer %d: window %d, local rope %d, %lld slots", L, at ? at->attrs.window : -1, rope_local,
                  (long long)cache_slots(g, L));
        }
        ir_graph_free(g);
    }
    gguf_close(f);
    g = build_tiny(&p, m_g3_scale8, &f);
    int fg = g ? ir_tensor_find(g, "rope.freqs") : -1, fl = g ? ir_tensor_find(g, "rope.freqs.swa") : -1;
    CHECK(fg >= 0 && fl >= 0 && ((const float *)g->tensors[fg].data)[1] == (float)(pow(1e6, -2.0 / 6) / 8) &&
              ((const float *)g->tensors[fl].data)[1] == (float)pow(10000.0, -2.0 / 6),
          "gemma3 rope.scaling.factor 8: the global layers' frequencies / 8, the local layers' unscaled (%s)",
          g ? "built" : lmcc_error_text());
    ir_graph_free(g);
    gguf_close(f);
    g = build_tiny(&p, m_g3_no_swa, &f); /* no sliding_window key: every layer global */
    for (int L = 0; g && L < 7; L++) {
        const ir_node *at = layer_attention(g, L);
        CHECK(at && at->attrs.window == 0 && cache_slots(g, L) == 8, "gemma3 without a window: layer %d global", L);
    }
    CHECK(!g || ir_tensor_find(g, "rope.freqs.swa") < 0, "gemma3 without a window: one RoPE base");
    ir_graph_free(g);
    gguf_close(f);
    g = build_tiny(&p, m_g3_bools, &f);
    for (int L = 0; g && L < 7; L++) {
        const ir_node *at = layer_attention(g, L);
        int slide = L == 1 || L == 2 || L == 6;
        CHECK(at && at->attrs.window == (slide ? 3 : 0) && cache_slots(g, L) == (slide ? 4 : 8),
              "gemma3 pattern of bools: layer %d window %d", L, at ? at->attrs.window : -1);
    }
    ir_graph_free(g);
    gguf_close(f);
    expect_error("gemma3 k norm", p, m_g3_no_knorm, "missing tensor 'blk.2.attn_k_norm.weight' (needed by a gemma3 model)");
}

static void test_phi3(void) {
    tiny_params p = tiny_default();
    p.arch = "phi3", p.dim = 8, p.hidden = 6, p.n_layers = 2, p.n_heads = 2, p.n_kv = 1, p.rope_dim = 2;
    gguf_file *f;
    ir_graph *g = build_tiny(&p, NULL, &f);
    if (g) {
        /* attn_qkv [q; k; v] and ffn_up [gate; up]: row ranges of the file's bytes, no copies */
        const gguf_tensor *qkv = gguf_find_tensor(f, "blk.1.attn_qkv.weight"), *up = gguf_find_tensor(f, "blk.1.ffn_up.weight");
        int q = ir_tensor_find(g, "blk.1.attn_qkv.q"), k = ir_tensor_find(g, "blk.1.attn_qkv.k");
        int v = ir_tensor_find(g, "blk.1.attn_qkv.v"), gt = ir_tensor_find(g, "blk.1.ffn_up.gate");
        int u = ir_tensor_find(g, "blk.1.ffn_up.up");
        const char *base = qkv ? qkv->data : NULL;
        CHECK(q >= 0 && k >= 0 && v >= 0 && g->tensors[q].data == base && g->tensors[q].shape[0] == 8 &&
                  (const char *)g->tensors[k].data == base + 8 * 8 * 4 && g->tensors[k].shape[0] == 4 &&
                  (const char *)g->tensors[v].data == base + 12 * 8 * 4 && g->tensors[v].shape[0] == 4,
              "attn_qkv split into q [8], k [4], v [4] rows");
        CHECK(gt >= 0 && u >= 0 && up && g->tensors[gt].data == up->data && g->tensors[gt].shape[0] == 6 &&
                  (const char *)g->tensors[u].data == (const char *)up->data + 6 * 8 * 4,
              "ffn_up split into gate rows, then up rows");
        CHECK(count_op(g, IR_OP_SWIGLU) == 2 && !g->info.tied_output && g->info.rope_neox, "phi3: swiglu, untied, neox");
        for (int i = 0; i < g->n_nodes; i++)
            if (g->nodes[i].op == IR_OP_ROPE)
                CHECK(g->nodes[i].attrs.rope_neox && g->nodes[i].attrs.rope_dim == 2 && g->nodes[i].attrs.head_dim == 4,
                      "partial rotary: NEOX over 2 of 4 dims");
        ir_graph_free(g);
    }
    gguf_close(f);
    /* llama.cpp disables Phi's sliding window (the converters' window is not the trained one): so does lmcc */
    g = build_tiny(&p, m_phi3_swa, &f);
    CHECK(g && layer_attention(g, 0)->attrs.window == 0 && cache_slots(g, 0) == 8, "phi3: sliding_window ignored");
    ir_graph_free(g);
    gguf_close(f);
    p.split_qkv = 1;
    g = build_tiny(&p, NULL, &f);
    CHECK(g && ir_tensor_find(g, "blk.0.attn_q.weight") >= 0, "phi3 with separate attn_q/k/v");
    ir_graph_free(g);
    gguf_close(f);
    /* LongRoPE: the long divisors above the original context (and init_ctx may not go below it), the
     * short ones up to it; the magnitude either way */
    static const struct { void (*mut)(gguf_file *); float freq; int ctx_min; } lr[] = {
        {m_phi3_longrope, 1.0f / 8, 5}, {m_phi3_longrope8, 1.0f / 2, 1}};
    for (int i = 0; i < 2; i++) {
        g = build_tiny(&p, lr[i].mut, &f);
        int rf = g ? ir_tensor_find(g, "rope.freqs") : -1, tab = -1;
        for (int k = 0; g && k < g->n_nodes; k++)
            if (g->nodes[k].op == IR_OP_ROPE_TABLE) tab = k;
        CHECK(rf >= 0 && tab >= 0 && ((const float *)g->tensors[rf].data)[0] == lr[i].freq &&
                  g->nodes[tab].attrs.scale == 1.25f && g->info.ctx_min == lr[i].ctx_min,
              "LongRoPE ctx 8, original %d: frequency %g, magnitude 1.25, ctx_min %d", i ? 8 : 4, (double)lr[i].freq,
              lr[i].ctx_min);
        ir_graph_free(g);
        gguf_close(f);
    }
    expect_error("LongRoPE half", p, m_phi3_long_only, "tensor 'rope_factors_short.weight' is missing");
}

int main(void) {
    test_good();
    test_errors();
    test_rope_scaling();
    test_archs();
    test_gemma2();
    test_gemma3();
    test_phi3();
    test_ctx_default();
    test_files();
    return test_finish("test_arch", NULL);
}
