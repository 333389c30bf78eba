/* arch.h - architecture builders: GGUF metadata + tensors -> IR graph.
 *
 * One table maps general.architecture to a builder.  Builders validate the
 * model (missing keys or tensors, shapes that contradict the metadata, dtypes
 * lmcc cannot read) and report user errors with lmcc_error(path, ...).
 * Weight tensors point into the file mapping: the gguf_file must outlive the
 * graph.
 */
#ifndef LMCC_ARCH_H
#define LMCC_ARCH_H

#include "gguf.h"
#include "ir.h"

/* The longest context lmcc compiles (--ctx, or the model's context_length
 * when --ctx is not given), and why there is a limit at all. */
#define LMCC_CTX_MAX (1 << 20)
#define LMCC_CTX_MAX_WHY "the KV cache and the attention scratch are sized by the context at compile time"
/* the context of a model whose metadata does not say */
#define LMCC_CTX_DEFAULT 2048
/* Without --ctx, the model's training context up to this many positions.  The KV cache is the
 * arena's biggest part and grows with the context: Llama-3.2-1B's 131072 positions would be 8.6 GB
 * of f32 KV (4.3 GB f16) in every context, before the first token, while an app or a device
 * rarely holds more than a few thousand tokens; 4096 costs it 268 MB (f32).  A longer context is
 * one option away (--ctx N), and the cost of a compile never follows a metadata field. */
#define LMCC_CTX_DEFAULT_MAX 4096

/* What distinguishes the architectures lmcc builds, one row each, read from llama.cpp's
 * llama-model.cpp and models/ARCH.cpp (one builder, arch.c, reads the rows):
 * X(name, neox, gemma, fused, tied, swa_pattern, swa_window, swa_base, attn_cap, final_cap, big_layers, qk_norm)
 *  neox         rotate halves (pairs i, i + rot/2); else adjacent pairs (llama's converter permutes Q/K)
 *  gemma        Gemma's block: embedding times sqrt(dim), RMSNorm of the attention and FFN outputs
 *               before each residual add, GELU(tanh)-gated FFN, rms epsilon required
 *  fused        phi3: attn_qkv holds [q; k; v] rows, ffn_up [gate; up] rows (SwiGLU over the split)
 *  tied         the classifier is always token_embd (a file with output.weight is not this model);
 *               otherwise output.weight when present, else token_embd
 *  swa_pattern  sliding-window layers are those with index % P < P - 1 unless the GGUF gives
 *               attention.sliding_window_pattern (an int P, or a bool per layer); 0: none
 *  swa_window   attention.sliding_window when the key is absent (0: no sliding window without it)
 *  swa_base     RoPE base of the sliding-window layers without rope.freq_base_swa (0: the model's)
 *  attn_cap     attention-logit softcap without attn_logit_softcapping (0: none, key not read)
 *  final_cap    final-logit softcap without final_logit_softcapping (-1: none, key not read; 0: the key's)
 *  big_layers   block_count of the one size whose query scale is 1/sqrt(dim / heads) instead of
 *               1/sqrt(head_dim) (Gemma's 27B query_pre_attn_scalar, as llama.cpp decides it)
 *  qk_norm      attn_q_norm / attn_k_norm [head size]: each head RMS-normalized before RoPE */
#define LMCC_ARCH_LIST(X)                                                                   \
    /*  name      neox gemma fused tied swa_p swa_win swa_base  attn_cap final_cap big qk_norm */ \
    X("llama",  0,   0,    0,    0,   0,    0,      0.0f,     0.0f,    -1.0f,   0,  0)          \
    X("gemma2", 1,   1,    0,    1,   2,    4096,   0.0f,     50.0f,   30.0f,   46, 0)          \
    X("gemma3", 1,   1,    0,    0,   6,    0,      10000.0f, 0.0f,    0.0f,    62, 1)          \
    X("phi3",   1,   0,    1,    0,   0,    0,      0.0f,     0.0f,    -1.0f,   0,  0)

typedef struct lmcc_arch {
    const char *name;
    int neox, gemma, fused, tied, swa_pattern, swa_window;
    float swa_base, attn_cap, final_cap;
    int big_layers, qk_norm;
} lmcc_arch;

extern const lmcc_arch lmcc_archs[];
extern const int lmcc_n_archs;

/* NULL (after lmcc_error) on an unknown architecture or an invalid model. */
ir_graph *lmcc_build_graph(const gguf_file *f, const char *path, const ir_config *cfg);

/* The context to compile: requested (> 0, from --ctx), else the model's ARCH.context_length
 * up to LMCC_CTX_DEFAULT_MAX, else LMCC_CTX_DEFAULT. */
int lmcc_arch_ctx(const gguf_file *f, long requested);

#endif
