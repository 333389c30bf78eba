/* lmrt_kernels_fallback.h - the kernel contract's names (docs/KERNELS.md) that a kernel set does not
 * define, mapped to their portable versions in lmrt_kernels_scalar.h (lmrt_k_X -> lmrt_scalar_X).
 *
 * A set header (lmrt_kernels_<set>.h) implements what it accelerates under its own names, maps the
 * contract names to them (#define lmrt_k_matmul_q4_0t_q8a lmrt_x86_matmul_q4_0t_q8a) and includes
 * this file last; every name it leaves out is the scalar kernel.  A new contract name is added
 * here once, and is then portable on every target.
 */
#ifndef LMRT_KERNELS_FALLBACK_H
#define LMRT_KERNELS_FALLBACK_H

#include "lmrt_kernels_scalar.h"

/* ---- the row, elementwise and attention kernels ---- */
#ifndef lmrt_k_normalize
#define lmrt_k_normalize lmrt_scalar_normalize
#endif
#ifndef lmrt_k_hadamard
#define lmrt_k_hadamard lmrt_scalar_hadamard
#endif
#ifndef lmrt_k_rmsnorm
#define lmrt_k_rmsnorm lmrt_scalar_rmsnorm
#endif
#ifndef lmrt_k_quantize_q8a
#define lmrt_k_quantize_q8a lmrt_scalar_quantize_q8a
#endif
#ifndef lmrt_k_attention_f32
#define lmrt_k_attention_f32 lmrt_scalar_attention_f32
#endif
#ifndef lmrt_k_attention_f16
#define lmrt_k_attention_f16 lmrt_scalar_attention_f16
#endif
#ifndef lmrt_k_attention_q8
#define lmrt_k_attention_q8 lmrt_scalar_attention_q8
#endif
#ifndef lmrt_k_add
#define lmrt_k_add lmrt_scalar_add
#endif
#ifndef lmrt_k_add_bias
#define lmrt_k_add_bias lmrt_scalar_add_bias
#endif
#ifndef lmrt_k_swiglu
#define lmrt_k_swiglu lmrt_scalar_swiglu
#endif
#ifndef lmrt_k_take_last
#define lmrt_k_take_last lmrt_scalar_take_last
#endif
#ifndef lmrt_k_copy
#define lmrt_k_copy lmrt_scalar_copy
#endif
#ifndef lmrt_k_rope
#define lmrt_k_rope lmrt_scalar_rope
#endif
#ifndef lmrt_k_rope_table
#define lmrt_k_rope_table lmrt_scalar_rope_table
#endif
#ifndef lmrt_k_kv_store_f32
#define lmrt_k_kv_store_f32 lmrt_scalar_kv_store_f32
#endif
#ifndef lmrt_k_kv_store_f16
#define lmrt_k_kv_store_f16 lmrt_scalar_kv_store_f16
#endif
#ifndef lmrt_k_kv_store_q8
#define lmrt_k_kv_store_q8 lmrt_scalar_kv_store_q8
#endif
#ifndef lmrt_k_mul
#define lmrt_k_mul lmrt_scalar_mul
#endif
#ifndef lmrt_k_silu
#define lmrt_k_silu lmrt_scalar_silu
#endif
#ifndef lmrt_k_softmax
#define lmrt_k_softmax lmrt_scalar_softmax
#endif
#ifndef lmrt_k_geglu
#define lmrt_k_geglu lmrt_scalar_geglu
#endif
#ifndef lmrt_k_scale
#define lmrt_k_scale lmrt_scalar_scale
#endif
#ifndef lmrt_k_softcap
#define lmrt_k_softcap lmrt_scalar_softcap
#endif

/* ---- weights f32 ---- */
#ifndef lmrt_k_embed_f32
#define lmrt_k_embed_f32 lmrt_scalar_embed_f32
#endif
#ifndef lmrt_k_matmul_f32_f32
#define lmrt_k_matmul_f32_f32 lmrt_scalar_matmul_f32_f32
#endif
#ifndef lmrt_k_matmul_add_f32_f32
#define lmrt_k_matmul_add_f32_f32 lmrt_scalar_matmul_add_f32_f32
#endif
#ifndef lmrt_k_matmul_swiglu_f32_f32
#define lmrt_k_matmul_swiglu_f32_f32 lmrt_scalar_matmul_swiglu_f32_f32
#endif
#ifndef lmrt_k_qkv_f32_f32_f32
#define lmrt_k_qkv_f32_f32_f32 lmrt_scalar_qkv_f32_f32_f32
#endif
#ifndef lmrt_k_qkv_f32_f32_f16
#define lmrt_k_qkv_f32_f32_f16 lmrt_scalar_qkv_f32_f32_f16
#endif
#ifndef lmrt_k_qkv_f32_f32_q8
#define lmrt_k_qkv_f32_f32_q8 lmrt_scalar_qkv_f32_f32_q8
#endif

/* ---- weights f16 ---- */
#ifndef lmrt_k_embed_f16
#define lmrt_k_embed_f16 lmrt_scalar_embed_f16
#endif
#ifndef lmrt_k_matmul_f16_f32
#define lmrt_k_matmul_f16_f32 lmrt_scalar_matmul_f16_f32
#endif
#ifndef lmrt_k_matmul_add_f16_f32
#define lmrt_k_matmul_add_f16_f32 lmrt_scalar_matmul_add_f16_f32
#endif
#ifndef lmrt_k_matmul_swiglu_f16_f32
#define lmrt_k_matmul_swiglu_f16_f32 lmrt_scalar_matmul_swiglu_f16_f32
#endif
#ifndef lmrt_k_qkv_f16_f32_f32
#define lmrt_k_qkv_f16_f32_f32 lmrt_scalar_qkv_f16_f32_f32
#endif
#ifndef lmrt_k_qkv_f16_f32_f16
#define lmrt_k_qkv_f16_f32_f16 lmrt_scalar_qkv_f16_f32_f16
#endif
#ifndef lmrt_k_qkv_f16_f32_q8
#define lmrt_k_qkv_f16_f32_q8 lmrt_scalar_qkv_f16_f32_q8
#endif

/* ---- weights bf16 ---- */
#ifndef lmrt_k_embed_bf16
#define lmrt_k_embed_bf16 lmrt_scalar_embed_bf16
#endif
#ifndef lmrt_k_matmul_bf16_f32
#define lmrt_k_matmul_bf16_f32 lmrt_scalar_matmul_bf16_f32
#endif
#ifndef lmrt_k_matmul_add_bf16_f32
#define lmrt_k_matmul_add_bf16_f32 lmrt_scalar_matmul_add_bf16_f32
#endif
#ifndef lmrt_k_matmul_swiglu_bf16_f32
#define lmrt_k_matmul_swiglu_bf16_f32 lmrt_scalar_matmul_swiglu_bf16_f32
#endif
#ifndef lmrt_k_qkv_bf16_f32_f32
#define lmrt_k_qkv_bf16_f32_f32 lmrt_scalar_qkv_bf16_f32_f32
#endif
#ifndef lmrt_k_qkv_bf16_f32_f16
#define lmrt_k_qkv_bf16_f32_f16 lmrt_scalar_qkv_bf16_f32_f16
#endif
#ifndef lmrt_k_qkv_bf16_f32_q8
#define lmrt_k_qkv_bf16_f32_q8 lmrt_scalar_qkv_bf16_f32_q8
#endif

/* ---- weights q8_0 ---- */
#ifndef lmrt_k_embed_q8_0
#define lmrt_k_embed_q8_0 lmrt_scalar_embed_q8_0
#endif
#ifndef lmrt_k_matmul_q8_0_f32
#define lmrt_k_matmul_q8_0_f32 lmrt_scalar_matmul_q8_0_f32
#endif
#ifndef lmrt_k_matmul_add_q8_0_f32
#define lmrt_k_matmul_add_q8_0_f32 lmrt_scalar_matmul_add_q8_0_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q8_0_f32
#define lmrt_k_matmul_swiglu_q8_0_f32 lmrt_scalar_matmul_swiglu_q8_0_f32
#endif
#ifndef lmrt_k_matmul_q8_0_q8a
#define lmrt_k_matmul_q8_0_q8a lmrt_scalar_matmul_q8_0_q8a
#endif
#ifndef lmrt_k_matmul_add_q8_0_q8a
#define lmrt_k_matmul_add_q8_0_q8a lmrt_scalar_matmul_add_q8_0_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q8_0_q8a
#define lmrt_k_matmul_swiglu_q8_0_q8a lmrt_scalar_matmul_swiglu_q8_0_q8a
#endif
#ifndef lmrt_k_qkv_q8_0_f32_f32
#define lmrt_k_qkv_q8_0_f32_f32 lmrt_scalar_qkv_q8_0_f32_f32
#endif
#ifndef lmrt_k_qkv_q8_0_f32_f16
#define lmrt_k_qkv_q8_0_f32_f16 lmrt_scalar_qkv_q8_0_f32_f16
#endif
#ifndef lmrt_k_qkv_q8_0_f32_q8
#define lmrt_k_qkv_q8_0_f32_q8 lmrt_scalar_qkv_q8_0_f32_q8
#endif
#ifndef lmrt_k_qkv_q8_0_q8a_f32
#define lmrt_k_qkv_q8_0_q8a_f32 lmrt_scalar_qkv_q8_0_q8a_f32
#endif
#ifndef lmrt_k_qkv_q8_0_q8a_f16
#define lmrt_k_qkv_q8_0_q8a_f16 lmrt_scalar_qkv_q8_0_q8a_f16
#endif
#ifndef lmrt_k_qkv_q8_0_q8a_q8
#define lmrt_k_qkv_q8_0_q8a_q8 lmrt_scalar_qkv_q8_0_q8a_q8
#endif

/* ---- weights q4_0 ---- */
#ifndef lmrt_k_embed_q4_0
#define lmrt_k_embed_q4_0 lmrt_scalar_embed_q4_0
#endif
#ifndef lmrt_k_matmul_q4_0_f32
#define lmrt_k_matmul_q4_0_f32 lmrt_scalar_matmul_q4_0_f32
#endif
#ifndef lmrt_k_matmul_add_q4_0_f32
#define lmrt_k_matmul_add_q4_0_f32 lmrt_scalar_matmul_add_q4_0_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q4_0_f32
#define lmrt_k_matmul_swiglu_q4_0_f32 lmrt_scalar_matmul_swiglu_q4_0_f32
#endif
#ifndef lmrt_k_matmul_q4_0_q8a
#define lmrt_k_matmul_q4_0_q8a lmrt_scalar_matmul_q4_0_q8a
#endif
#ifndef lmrt_k_matmul_add_q4_0_q8a
#define lmrt_k_matmul_add_q4_0_q8a lmrt_scalar_matmul_add_q4_0_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q4_0_q8a
#define lmrt_k_matmul_swiglu_q4_0_q8a lmrt_scalar_matmul_swiglu_q4_0_q8a
#endif
#ifndef lmrt_k_qkv_q4_0_f32_f32
#define lmrt_k_qkv_q4_0_f32_f32 lmrt_scalar_qkv_q4_0_f32_f32
#endif
#ifndef lmrt_k_qkv_q4_0_f32_f16
#define lmrt_k_qkv_q4_0_f32_f16 lmrt_scalar_qkv_q4_0_f32_f16
#endif
#ifndef lmrt_k_qkv_q4_0_f32_q8
#define lmrt_k_qkv_q4_0_f32_q8 lmrt_scalar_qkv_q4_0_f32_q8
#endif
#ifndef lmrt_k_qkv_q4_0_q8a_f32
#define lmrt_k_qkv_q4_0_q8a_f32 lmrt_scalar_qkv_q4_0_q8a_f32
#endif
#ifndef lmrt_k_qkv_q4_0_q8a_f16
#define lmrt_k_qkv_q4_0_q8a_f16 lmrt_scalar_qkv_q4_0_q8a_f16
#endif
#ifndef lmrt_k_qkv_q4_0_q8a_q8
#define lmrt_k_qkv_q4_0_q8a_q8 lmrt_scalar_qkv_q4_0_q8a_q8
#endif

/* ---- weights q8_0t ---- */
#ifndef lmrt_k_matmul_q8_0t_f32
#define lmrt_k_matmul_q8_0t_f32 lmrt_scalar_matmul_q8_0t_f32
#endif
#ifndef lmrt_k_matmul_add_q8_0t_f32
#define lmrt_k_matmul_add_q8_0t_f32 lmrt_scalar_matmul_add_q8_0t_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q8_0t_f32
#define lmrt_k_matmul_swiglu_q8_0t_f32 lmrt_scalar_matmul_swiglu_q8_0t_f32
#endif
#ifndef lmrt_k_matmul_q8_0t_q8a
#define lmrt_k_matmul_q8_0t_q8a lmrt_scalar_matmul_q8_0t_q8a
#endif
#ifndef lmrt_k_matmul_add_q8_0t_q8a
#define lmrt_k_matmul_add_q8_0t_q8a lmrt_scalar_matmul_add_q8_0t_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q8_0t_q8a
#define lmrt_k_matmul_swiglu_q8_0t_q8a lmrt_scalar_matmul_swiglu_q8_0t_q8a
#endif
#ifndef lmrt_k_qkv_q8_0t_f32_f32
#define lmrt_k_qkv_q8_0t_f32_f32 lmrt_scalar_qkv_q8_0t_f32_f32
#endif
#ifndef lmrt_k_qkv_q8_0t_f32_f16
#define lmrt_k_qkv_q8_0t_f32_f16 lmrt_scalar_qkv_q8_0t_f32_f16
#endif
#ifndef lmrt_k_qkv_q8_0t_f32_q8
#define lmrt_k_qkv_q8_0t_f32_q8 lmrt_scalar_qkv_q8_0t_f32_q8
#endif
#ifndef lmrt_k_qkv_q8_0t_q8a_f32
#define lmrt_k_qkv_q8_0t_q8a_f32 lmrt_scalar_qkv_q8_0t_q8a_f32
#endif
#ifndef lmrt_k_qkv_q8_0t_q8a_f16
#define lmrt_k_qkv_q8_0t_q8a_f16 lmrt_scalar_qkv_q8_0t_q8a_f16
#endif
#ifndef lmrt_k_qkv_q8_0t_q8a_q8
#define lmrt_k_qkv_q8_0t_q8a_q8 lmrt_scalar_qkv_q8_0t_q8a_q8
#endif

/* ---- weights q4_0t ---- */
#ifndef lmrt_k_matmul_q4_0t_f32
#define lmrt_k_matmul_q4_0t_f32 lmrt_scalar_matmul_q4_0t_f32
#endif
#ifndef lmrt_k_matmul_add_q4_0t_f32
#define lmrt_k_matmul_add_q4_0t_f32 lmrt_scalar_matmul_add_q4_0t_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q4_0t_f32
#define lmrt_k_matmul_swiglu_q4_0t_f32 lmrt_scalar_matmul_swiglu_q4_0t_f32
#endif
#ifndef lmrt_k_matmul_q4_0t_q8a
#define lmrt_k_matmul_q4_0t_q8a lmrt_scalar_matmul_q4_0t_q8a
#endif
#ifndef lmrt_k_matmul_add_q4_0t_q8a
#define lmrt_k_matmul_add_q4_0t_q8a lmrt_scalar_matmul_add_q4_0t_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q4_0t_q8a
#define lmrt_k_matmul_swiglu_q4_0t_q8a lmrt_scalar_matmul_swiglu_q4_0t_q8a
#endif
#ifndef lmrt_k_qkv_q4_0t_f32_f32
#define lmrt_k_qkv_q4_0t_f32_f32 lmrt_scalar_qkv_q4_0t_f32_f32
#endif
#ifndef lmrt_k_qkv_q4_0t_f32_f16
#define lmrt_k_qkv_q4_0t_f32_f16 lmrt_scalar_qkv_q4_0t_f32_f16
#endif
#ifndef lmrt_k_qkv_q4_0t_f32_q8
#define lmrt_k_qkv_q4_0t_f32_q8 lmrt_scalar_qkv_q4_0t_f32_q8
#endif
#ifndef lmrt_k_qkv_q4_0t_q8a_f32
#define lmrt_k_qkv_q4_0t_q8a_f32 lmrt_scalar_qkv_q4_0t_q8a_f32
#endif
#ifndef lmrt_k_qkv_q4_0t_q8a_f16
#define lmrt_k_qkv_q4_0t_q8a_f16 lmrt_scalar_qkv_q4_0t_q8a_f16
#endif
#ifndef lmrt_k_qkv_q4_0t_q8a_q8
#define lmrt_k_qkv_q4_0t_q8a_q8 lmrt_scalar_qkv_q4_0t_q8a_q8
#endif

/* ---- weights q4_1 ---- */
#ifndef lmrt_k_embed_q4_1
#define lmrt_k_embed_q4_1 lmrt_scalar_embed_q4_1
#endif
#ifndef lmrt_k_matmul_q4_1_f32
#define lmrt_k_matmul_q4_1_f32 lmrt_scalar_matmul_q4_1_f32
#endif
#ifndef lmrt_k_matmul_add_q4_1_f32
#define lmrt_k_matmul_add_q4_1_f32 lmrt_scalar_matmul_add_q4_1_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q4_1_f32
#define lmrt_k_matmul_swiglu_q4_1_f32 lmrt_scalar_matmul_swiglu_q4_1_f32
#endif
#ifndef lmrt_k_qkv_q4_1_f32_f32
#define lmrt_k_qkv_q4_1_f32_f32 lmrt_scalar_qkv_q4_1_f32_f32
#endif
#ifndef lmrt_k_qkv_q4_1_f32_f16
#define lmrt_k_qkv_q4_1_f32_f16 lmrt_scalar_qkv_q4_1_f32_f16
#endif
#ifndef lmrt_k_qkv_q4_1_f32_q8
#define lmrt_k_qkv_q4_1_f32_q8 lmrt_scalar_qkv_q4_1_f32_q8
#endif
#ifndef lmrt_k_matmul_q4_1_q8a
#define lmrt_k_matmul_q4_1_q8a lmrt_scalar_matmul_q4_1_q8a
#endif
#ifndef lmrt_k_matmul_add_q4_1_q8a
#define lmrt_k_matmul_add_q4_1_q8a lmrt_scalar_matmul_add_q4_1_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q4_1_q8a
#define lmrt_k_matmul_swiglu_q4_1_q8a lmrt_scalar_matmul_swiglu_q4_1_q8a
#endif
#ifndef lmrt_k_qkv_q4_1_q8a_f32
#define lmrt_k_qkv_q4_1_q8a_f32 lmrt_scalar_qkv_q4_1_q8a_f32
#endif
#ifndef lmrt_k_qkv_q4_1_q8a_f16
#define lmrt_k_qkv_q4_1_q8a_f16 lmrt_scalar_qkv_q4_1_q8a_f16
#endif
#ifndef lmrt_k_qkv_q4_1_q8a_q8
#define lmrt_k_qkv_q4_1_q8a_q8 lmrt_scalar_qkv_q4_1_q8a_q8
#endif

/* ---- weights q5_0 ---- */
#ifndef lmrt_k_embed_q5_0
#define lmrt_k_embed_q5_0 lmrt_scalar_embed_q5_0
#endif
#ifndef lmrt_k_matmul_q5_0_f32
#define lmrt_k_matmul_q5_0_f32 lmrt_scalar_matmul_q5_0_f32
#endif
#ifndef lmrt_k_matmul_add_q5_0_f32
#define lmrt_k_matmul_add_q5_0_f32 lmrt_scalar_matmul_add_q5_0_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q5_0_f32
#define lmrt_k_matmul_swiglu_q5_0_f32 lmrt_scalar_matmul_swiglu_q5_0_f32
#endif
#ifndef lmrt_k_qkv_q5_0_f32_f32
#define lmrt_k_qkv_q5_0_f32_f32 lmrt_scalar_qkv_q5_0_f32_f32
#endif
#ifndef lmrt_k_qkv_q5_0_f32_f16
#define lmrt_k_qkv_q5_0_f32_f16 lmrt_scalar_qkv_q5_0_f32_f16
#endif
#ifndef lmrt_k_qkv_q5_0_f32_q8
#define lmrt_k_qkv_q5_0_f32_q8 lmrt_scalar_qkv_q5_0_f32_q8
#endif
#ifndef lmrt_k_matmul_q5_0_q8a
#define lmrt_k_matmul_q5_0_q8a lmrt_scalar_matmul_q5_0_q8a
#endif
#ifndef lmrt_k_matmul_add_q5_0_q8a
#define lmrt_k_matmul_add_q5_0_q8a lmrt_scalar_matmul_add_q5_0_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q5_0_q8a
#define lmrt_k_matmul_swiglu_q5_0_q8a lmrt_scalar_matmul_swiglu_q5_0_q8a
#endif
#ifndef lmrt_k_qkv_q5_0_q8a_f32
#define lmrt_k_qkv_q5_0_q8a_f32 lmrt_scalar_qkv_q5_0_q8a_f32
#endif
#ifndef lmrt_k_qkv_q5_0_q8a_f16
#define lmrt_k_qkv_q5_0_q8a_f16 lmrt_scalar_qkv_q5_0_q8a_f16
#endif
#ifndef lmrt_k_qkv_q5_0_q8a_q8
#define lmrt_k_qkv_q5_0_q8a_q8 lmrt_scalar_qkv_q5_0_q8a_q8
#endif

/* ---- weights q5_1 ---- */
#ifndef lmrt_k_embed_q5_1
#define lmrt_k_embed_q5_1 lmrt_scalar_embed_q5_1
#endif
#ifndef lmrt_k_matmul_q5_1_f32
#define lmrt_k_matmul_q5_1_f32 lmrt_scalar_matmul_q5_1_f32
#endif
#ifndef lmrt_k_matmul_add_q5_1_f32
#define lmrt_k_matmul_add_q5_1_f32 lmrt_scalar_matmul_add_q5_1_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q5_1_f32
#define lmrt_k_matmul_swiglu_q5_1_f32 lmrt_scalar_matmul_swiglu_q5_1_f32
#endif
#ifndef lmrt_k_qkv_q5_1_f32_f32
#define lmrt_k_qkv_q5_1_f32_f32 lmrt_scalar_qkv_q5_1_f32_f32
#endif
#ifndef lmrt_k_qkv_q5_1_f32_f16
#define lmrt_k_qkv_q5_1_f32_f16 lmrt_scalar_qkv_q5_1_f32_f16
#endif
#ifndef lmrt_k_qkv_q5_1_f32_q8
#define lmrt_k_qkv_q5_1_f32_q8 lmrt_scalar_qkv_q5_1_f32_q8
#endif
#ifndef lmrt_k_matmul_q5_1_q8a
#define lmrt_k_matmul_q5_1_q8a lmrt_scalar_matmul_q5_1_q8a
#endif
#ifndef lmrt_k_matmul_add_q5_1_q8a
#define lmrt_k_matmul_add_q5_1_q8a lmrt_scalar_matmul_add_q5_1_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q5_1_q8a
#define lmrt_k_matmul_swiglu_q5_1_q8a lmrt_scalar_matmul_swiglu_q5_1_q8a
#endif
#ifndef lmrt_k_qkv_q5_1_q8a_f32
#define lmrt_k_qkv_q5_1_q8a_f32 lmrt_scalar_qkv_q5_1_q8a_f32
#endif
#ifndef lmrt_k_qkv_q5_1_q8a_f16
#define lmrt_k_qkv_q5_1_q8a_f16 lmrt_scalar_qkv_q5_1_q8a_f16
#endif
#ifndef lmrt_k_qkv_q5_1_q8a_q8
#define lmrt_k_qkv_q5_1_q8a_q8 lmrt_scalar_qkv_q5_1_q8a_q8
#endif

/* ---- weights q4_g16 ---- */
#ifndef lmrt_k_embed_q4_g16
#define lmrt_k_embed_q4_g16 lmrt_scalar_embed_q4_g16
#endif
#ifndef lmrt_k_matmul_q4_g16_f32
#define lmrt_k_matmul_q4_g16_f32 lmrt_scalar_matmul_q4_g16_f32
#endif
#ifndef lmrt_k_matmul_add_q4_g16_f32
#define lmrt_k_matmul_add_q4_g16_f32 lmrt_scalar_matmul_add_q4_g16_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q4_g16_f32
#define lmrt_k_matmul_swiglu_q4_g16_f32 lmrt_scalar_matmul_swiglu_q4_g16_f32
#endif
#ifndef lmrt_k_qkv_q4_g16_f32_f32
#define lmrt_k_qkv_q4_g16_f32_f32 lmrt_scalar_qkv_q4_g16_f32_f32
#endif
#ifndef lmrt_k_qkv_q4_g16_f32_f16
#define lmrt_k_qkv_q4_g16_f32_f16 lmrt_scalar_qkv_q4_g16_f32_f16
#endif
#ifndef lmrt_k_qkv_q4_g16_f32_q8
#define lmrt_k_qkv_q4_g16_f32_q8 lmrt_scalar_qkv_q4_g16_f32_q8
#endif
#ifndef lmrt_k_matmul_q4_g16_q8a
#define lmrt_k_matmul_q4_g16_q8a lmrt_scalar_matmul_q4_g16_q8a
#endif
#ifndef lmrt_k_matmul_add_q4_g16_q8a
#define lmrt_k_matmul_add_q4_g16_q8a lmrt_scalar_matmul_add_q4_g16_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q4_g16_q8a
#define lmrt_k_matmul_swiglu_q4_g16_q8a lmrt_scalar_matmul_swiglu_q4_g16_q8a
#endif
#ifndef lmrt_k_qkv_q4_g16_q8a_f32
#define lmrt_k_qkv_q4_g16_q8a_f32 lmrt_scalar_qkv_q4_g16_q8a_f32
#endif
#ifndef lmrt_k_qkv_q4_g16_q8a_f16
#define lmrt_k_qkv_q4_g16_q8a_f16 lmrt_scalar_qkv_q4_g16_q8a_f16
#endif
#ifndef lmrt_k_qkv_q4_g16_q8a_q8
#define lmrt_k_qkv_q4_g16_q8a_q8 lmrt_scalar_qkv_q4_g16_q8a_q8
#endif

/* ---- weights q4_g64 ---- */
#ifndef lmrt_k_embed_q4_g64
#define lmrt_k_embed_q4_g64 lmrt_scalar_embed_q4_g64
#endif
#ifndef lmrt_k_matmul_q4_g64_f32
#define lmrt_k_matmul_q4_g64_f32 lmrt_scalar_matmul_q4_g64_f32
#endif
#ifndef lmrt_k_matmul_add_q4_g64_f32
#define lmrt_k_matmul_add_q4_g64_f32 lmrt_scalar_matmul_add_q4_g64_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q4_g64_f32
#define lmrt_k_matmul_swiglu_q4_g64_f32 lmrt_scalar_matmul_swiglu_q4_g64_f32
#endif
#ifndef lmrt_k_qkv_q4_g64_f32_f32
#define lmrt_k_qkv_q4_g64_f32_f32 lmrt_scalar_qkv_q4_g64_f32_f32
#endif
#ifndef lmrt_k_qkv_q4_g64_f32_f16
#define lmrt_k_qkv_q4_g64_f32_f16 lmrt_scalar_qkv_q4_g64_f32_f16
#endif
#ifndef lmrt_k_qkv_q4_g64_f32_q8
#define lmrt_k_qkv_q4_g64_f32_q8 lmrt_scalar_qkv_q4_g64_f32_q8
#endif
#ifndef lmrt_k_matmul_q4_g64_q8a
#define lmrt_k_matmul_q4_g64_q8a lmrt_scalar_matmul_q4_g64_q8a
#endif
#ifndef lmrt_k_matmul_add_q4_g64_q8a
#define lmrt_k_matmul_add_q4_g64_q8a lmrt_scalar_matmul_add_q4_g64_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q4_g64_q8a
#define lmrt_k_matmul_swiglu_q4_g64_q8a lmrt_scalar_matmul_swiglu_q4_g64_q8a
#endif
#ifndef lmrt_k_qkv_q4_g64_q8a_f32
#define lmrt_k_qkv_q4_g64_q8a_f32 lmrt_scalar_qkv_q4_g64_q8a_f32
#endif
#ifndef lmrt_k_qkv_q4_g64_q8a_f16
#define lmrt_k_qkv_q4_g64_q8a_f16 lmrt_scalar_qkv_q4_g64_q8a_f16
#endif
#ifndef lmrt_k_qkv_q4_g64_q8a_q8
#define lmrt_k_qkv_q4_g64_q8a_q8 lmrt_scalar_qkv_q4_g64_q8a_q8
#endif

/* ---- weights q3_g64 ---- */
#ifndef lmrt_k_embed_q3_g64
#define lmrt_k_embed_q3_g64 lmrt_scalar_embed_q3_g64
#endif
#ifndef lmrt_k_matmul_q3_g64_f32
#define lmrt_k_matmul_q3_g64_f32 lmrt_scalar_matmul_q3_g64_f32
#endif
#ifndef lmrt_k_matmul_add_q3_g64_f32
#define lmrt_k_matmul_add_q3_g64_f32 lmrt_scalar_matmul_add_q3_g64_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q3_g64_f32
#define lmrt_k_matmul_swiglu_q3_g64_f32 lmrt_scalar_matmul_swiglu_q3_g64_f32
#endif
#ifndef lmrt_k_qkv_q3_g64_f32_f32
#define lmrt_k_qkv_q3_g64_f32_f32 lmrt_scalar_qkv_q3_g64_f32_f32
#endif
#ifndef lmrt_k_qkv_q3_g64_f32_f16
#define lmrt_k_qkv_q3_g64_f32_f16 lmrt_scalar_qkv_q3_g64_f32_f16
#endif
#ifndef lmrt_k_qkv_q3_g64_f32_q8
#define lmrt_k_qkv_q3_g64_f32_q8 lmrt_scalar_qkv_q3_g64_f32_q8
#endif
#ifndef lmrt_k_matmul_q3_g64_q8a
#define lmrt_k_matmul_q3_g64_q8a lmrt_scalar_matmul_q3_g64_q8a
#endif
#ifndef lmrt_k_matmul_add_q3_g64_q8a
#define lmrt_k_matmul_add_q3_g64_q8a lmrt_scalar_matmul_add_q3_g64_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q3_g64_q8a
#define lmrt_k_matmul_swiglu_q3_g64_q8a lmrt_scalar_matmul_swiglu_q3_g64_q8a
#endif
#ifndef lmrt_k_qkv_q3_g64_q8a_f32
#define lmrt_k_qkv_q3_g64_q8a_f32 lmrt_scalar_qkv_q3_g64_q8a_f32
#endif
#ifndef lmrt_k_qkv_q3_g64_q8a_f16
#define lmrt_k_qkv_q3_g64_q8a_f16 lmrt_scalar_qkv_q3_g64_q8a_f16
#endif
#ifndef lmrt_k_qkv_q3_g64_q8a_q8
#define lmrt_k_qkv_q3_g64_q8a_q8 lmrt_scalar_qkv_q3_g64_q8a_q8
#endif

/* ---- weights q5_g64 ---- */
#ifndef lmrt_k_embed_q5_g64
#define lmrt_k_embed_q5_g64 lmrt_scalar_embed_q5_g64
#endif
#ifndef lmrt_k_matmul_q5_g64_f32
#define lmrt_k_matmul_q5_g64_f32 lmrt_scalar_matmul_q5_g64_f32
#endif
#ifndef lmrt_k_matmul_add_q5_g64_f32
#define lmrt_k_matmul_add_q5_g64_f32 lmrt_scalar_matmul_add_q5_g64_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q5_g64_f32
#define lmrt_k_matmul_swiglu_q5_g64_f32 lmrt_scalar_matmul_swiglu_q5_g64_f32
#endif
#ifndef lmrt_k_qkv_q5_g64_f32_f32
#define lmrt_k_qkv_q5_g64_f32_f32 lmrt_scalar_qkv_q5_g64_f32_f32
#endif
#ifndef lmrt_k_qkv_q5_g64_f32_f16
#define lmrt_k_qkv_q5_g64_f32_f16 lmrt_scalar_qkv_q5_g64_f32_f16
#endif
#ifndef lmrt_k_qkv_q5_g64_f32_q8
#define lmrt_k_qkv_q5_g64_f32_q8 lmrt_scalar_qkv_q5_g64_f32_q8
#endif
#ifndef lmrt_k_matmul_q5_g64_q8a
#define lmrt_k_matmul_q5_g64_q8a lmrt_scalar_matmul_q5_g64_q8a
#endif
#ifndef lmrt_k_matmul_add_q5_g64_q8a
#define lmrt_k_matmul_add_q5_g64_q8a lmrt_scalar_matmul_add_q5_g64_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q5_g64_q8a
#define lmrt_k_matmul_swiglu_q5_g64_q8a lmrt_scalar_matmul_swiglu_q5_g64_q8a
#endif
#ifndef lmrt_k_qkv_q5_g64_q8a_f32
#define lmrt_k_qkv_q5_g64_q8a_f32 lmrt_scalar_qkv_q5_g64_q8a_f32
#endif
#ifndef lmrt_k_qkv_q5_g64_q8a_f16
#define lmrt_k_qkv_q5_g64_q8a_f16 lmrt_scalar_qkv_q5_g64_q8a_f16
#endif
#ifndef lmrt_k_qkv_q5_g64_q8a_q8
#define lmrt_k_qkv_q5_g64_q8a_q8 lmrt_scalar_qkv_q5_g64_q8a_q8
#endif

/* ---- weights q6_g64 ---- */
#ifndef lmrt_k_embed_q6_g64
#define lmrt_k_embed_q6_g64 lmrt_scalar_embed_q6_g64
#endif
#ifndef lmrt_k_matmul_q6_g64_f32
#define lmrt_k_matmul_q6_g64_f32 lmrt_scalar_matmul_q6_g64_f32
#endif
#ifndef lmrt_k_matmul_add_q6_g64_f32
#define lmrt_k_matmul_add_q6_g64_f32 lmrt_scalar_matmul_add_q6_g64_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q6_g64_f32
#define lmrt_k_matmul_swiglu_q6_g64_f32 lmrt_scalar_matmul_swiglu_q6_g64_f32
#endif
#ifndef lmrt_k_qkv_q6_g64_f32_f32
#define lmrt_k_qkv_q6_g64_f32_f32 lmrt_scalar_qkv_q6_g64_f32_f32
#endif
#ifndef lmrt_k_qkv_q6_g64_f32_f16
#define lmrt_k_qkv_q6_g64_f32_f16 lmrt_scalar_qkv_q6_g64_f32_f16
#endif
#ifndef lmrt_k_qkv_q6_g64_f32_q8
#define lmrt_k_qkv_q6_g64_f32_q8 lmrt_scalar_qkv_q6_g64_f32_q8
#endif
#ifndef lmrt_k_matmul_q6_g64_q8a
#define lmrt_k_matmul_q6_g64_q8a lmrt_scalar_matmul_q6_g64_q8a
#endif
#ifndef lmrt_k_matmul_add_q6_g64_q8a
#define lmrt_k_matmul_add_q6_g64_q8a lmrt_scalar_matmul_add_q6_g64_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q6_g64_q8a
#define lmrt_k_matmul_swiglu_q6_g64_q8a lmrt_scalar_matmul_swiglu_q6_g64_q8a
#endif
#ifndef lmrt_k_qkv_q6_g64_q8a_f32
#define lmrt_k_qkv_q6_g64_q8a_f32 lmrt_scalar_qkv_q6_g64_q8a_f32
#endif
#ifndef lmrt_k_qkv_q6_g64_q8a_f16
#define lmrt_k_qkv_q6_g64_q8a_f16 lmrt_scalar_qkv_q6_g64_q8a_f16
#endif
#ifndef lmrt_k_qkv_q6_g64_q8a_q8
#define lmrt_k_qkv_q6_g64_q8a_q8 lmrt_scalar_qkv_q6_g64_q8a_q8
#endif

/* ---- weights q4_g128 ---- */
#ifndef lmrt_k_embed_q4_g128
#define lmrt_k_embed_q4_g128 lmrt_scalar_embed_q4_g128
#endif
#ifndef lmrt_k_matmul_q4_g128_f32
#define lmrt_k_matmul_q4_g128_f32 lmrt_scalar_matmul_q4_g128_f32
#endif
#ifndef lmrt_k_matmul_add_q4_g128_f32
#define lmrt_k_matmul_add_q4_g128_f32 lmrt_scalar_matmul_add_q4_g128_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q4_g128_f32
#define lmrt_k_matmul_swiglu_q4_g128_f32 lmrt_scalar_matmul_swiglu_q4_g128_f32
#endif
#ifndef lmrt_k_qkv_q4_g128_f32_f32
#define lmrt_k_qkv_q4_g128_f32_f32 lmrt_scalar_qkv_q4_g128_f32_f32
#endif
#ifndef lmrt_k_qkv_q4_g128_f32_f16
#define lmrt_k_qkv_q4_g128_f32_f16 lmrt_scalar_qkv_q4_g128_f32_f16
#endif
#ifndef lmrt_k_qkv_q4_g128_f32_q8
#define lmrt_k_qkv_q4_g128_f32_q8 lmrt_scalar_qkv_q4_g128_f32_q8
#endif
#ifndef lmrt_k_matmul_q4_g128_q8a
#define lmrt_k_matmul_q4_g128_q8a lmrt_scalar_matmul_q4_g128_q8a
#endif
#ifndef lmrt_k_matmul_add_q4_g128_q8a
#define lmrt_k_matmul_add_q4_g128_q8a lmrt_scalar_matmul_add_q4_g128_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q4_g128_q8a
#define lmrt_k_matmul_swiglu_q4_g128_q8a lmrt_scalar_matmul_swiglu_q4_g128_q8a
#endif
#ifndef lmrt_k_qkv_q4_g128_q8a_f32
#define lmrt_k_qkv_q4_g128_q8a_f32 lmrt_scalar_qkv_q4_g128_q8a_f32
#endif
#ifndef lmrt_k_qkv_q4_g128_q8a_f16
#define lmrt_k_qkv_q4_g128_q8a_f16 lmrt_scalar_qkv_q4_g128_q8a_f16
#endif
#ifndef lmrt_k_qkv_q4_g128_q8a_q8
#define lmrt_k_qkv_q4_g128_q8a_q8 lmrt_scalar_qkv_q4_g128_q8a_q8
#endif

/* ---- weights nf4 ---- */
#ifndef lmrt_k_embed_nf4
#define lmrt_k_embed_nf4 lmrt_scalar_embed_nf4
#endif
#ifndef lmrt_k_matmul_nf4_f32
#define lmrt_k_matmul_nf4_f32 lmrt_scalar_matmul_nf4_f32
#endif
#ifndef lmrt_k_matmul_add_nf4_f32
#define lmrt_k_matmul_add_nf4_f32 lmrt_scalar_matmul_add_nf4_f32
#endif
#ifndef lmrt_k_matmul_swiglu_nf4_f32
#define lmrt_k_matmul_swiglu_nf4_f32 lmrt_scalar_matmul_swiglu_nf4_f32
#endif
#ifndef lmrt_k_qkv_nf4_f32_f32
#define lmrt_k_qkv_nf4_f32_f32 lmrt_scalar_qkv_nf4_f32_f32
#endif
#ifndef lmrt_k_qkv_nf4_f32_f16
#define lmrt_k_qkv_nf4_f32_f16 lmrt_scalar_qkv_nf4_f32_f16
#endif
#ifndef lmrt_k_qkv_nf4_f32_q8
#define lmrt_k_qkv_nf4_f32_q8 lmrt_scalar_qkv_nf4_f32_q8
#endif

/* ---- weights nf4_g64 ---- */
#ifndef lmrt_k_embed_nf4_g64
#define lmrt_k_embed_nf4_g64 lmrt_scalar_embed_nf4_g64
#endif
#ifndef lmrt_k_matmul_nf4_g64_f32
#define lmrt_k_matmul_nf4_g64_f32 lmrt_scalar_matmul_nf4_g64_f32
#endif
#ifndef lmrt_k_matmul_add_nf4_g64_f32
#define lmrt_k_matmul_add_nf4_g64_f32 lmrt_scalar_matmul_add_nf4_g64_f32
#endif
#ifndef lmrt_k_matmul_swiglu_nf4_g64_f32
#define lmrt_k_matmul_swiglu_nf4_g64_f32 lmrt_scalar_matmul_swiglu_nf4_g64_f32
#endif
#ifndef lmrt_k_qkv_nf4_g64_f32_f32
#define lmrt_k_qkv_nf4_g64_f32_f32 lmrt_scalar_qkv_nf4_g64_f32_f32
#endif
#ifndef lmrt_k_qkv_nf4_g64_f32_f16
#define lmrt_k_qkv_nf4_g64_f32_f16 lmrt_scalar_qkv_nf4_g64_f32_f16
#endif
#ifndef lmrt_k_qkv_nf4_g64_f32_q8
#define lmrt_k_qkv_nf4_g64_f32_q8 lmrt_scalar_qkv_nf4_g64_f32_q8
#endif

/* ---- weights q4_k ---- */
#ifndef lmrt_k_embed_q4_k
#define lmrt_k_embed_q4_k lmrt_scalar_embed_q4_k
#endif
#ifndef lmrt_k_matmul_q4_k_f32
#define lmrt_k_matmul_q4_k_f32 lmrt_scalar_matmul_q4_k_f32
#endif
#ifndef lmrt_k_matmul_add_q4_k_f32
#define lmrt_k_matmul_add_q4_k_f32 lmrt_scalar_matmul_add_q4_k_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q4_k_f32
#define lmrt_k_matmul_swiglu_q4_k_f32 lmrt_scalar_matmul_swiglu_q4_k_f32
#endif
#ifndef lmrt_k_qkv_q4_k_f32_f32
#define lmrt_k_qkv_q4_k_f32_f32 lmrt_scalar_qkv_q4_k_f32_f32
#endif
#ifndef lmrt_k_qkv_q4_k_f32_f16
#define lmrt_k_qkv_q4_k_f32_f16 lmrt_scalar_qkv_q4_k_f32_f16
#endif
#ifndef lmrt_k_qkv_q4_k_f32_q8
#define lmrt_k_qkv_q4_k_f32_q8 lmrt_scalar_qkv_q4_k_f32_q8
#endif
#ifndef lmrt_k_matmul_q4_k_q8a
#define lmrt_k_matmul_q4_k_q8a lmrt_scalar_matmul_q4_k_q8a
#endif
#ifndef lmrt_k_matmul_add_q4_k_q8a
#define lmrt_k_matmul_add_q4_k_q8a lmrt_scalar_matmul_add_q4_k_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q4_k_q8a
#define lmrt_k_matmul_swiglu_q4_k_q8a lmrt_scalar_matmul_swiglu_q4_k_q8a
#endif
#ifndef lmrt_k_qkv_q4_k_q8a_f32
#define lmrt_k_qkv_q4_k_q8a_f32 lmrt_scalar_qkv_q4_k_q8a_f32
#endif
#ifndef lmrt_k_qkv_q4_k_q8a_f16
#define lmrt_k_qkv_q4_k_q8a_f16 lmrt_scalar_qkv_q4_k_q8a_f16
#endif
#ifndef lmrt_k_qkv_q4_k_q8a_q8
#define lmrt_k_qkv_q4_k_q8a_q8 lmrt_scalar_qkv_q4_k_q8a_q8
#endif

/* ---- weights q5_k ---- */
#ifndef lmrt_k_embed_q5_k
#define lmrt_k_embed_q5_k lmrt_scalar_embed_q5_k
#endif
#ifndef lmrt_k_matmul_q5_k_f32
#define lmrt_k_matmul_q5_k_f32 lmrt_scalar_matmul_q5_k_f32
#endif
#ifndef lmrt_k_matmul_add_q5_k_f32
#define lmrt_k_matmul_add_q5_k_f32 lmrt_scalar_matmul_add_q5_k_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q5_k_f32
#define lmrt_k_matmul_swiglu_q5_k_f32 lmrt_scalar_matmul_swiglu_q5_k_f32
#endif
#ifndef lmrt_k_qkv_q5_k_f32_f32
#define lmrt_k_qkv_q5_k_f32_f32 lmrt_scalar_qkv_q5_k_f32_f32
#endif
#ifndef lmrt_k_qkv_q5_k_f32_f16
#define lmrt_k_qkv_q5_k_f32_f16 lmrt_scalar_qkv_q5_k_f32_f16
#endif
#ifndef lmrt_k_qkv_q5_k_f32_q8
#define lmrt_k_qkv_q5_k_f32_q8 lmrt_scalar_qkv_q5_k_f32_q8
#endif
#ifndef lmrt_k_matmul_q5_k_q8a
#define lmrt_k_matmul_q5_k_q8a lmrt_scalar_matmul_q5_k_q8a
#endif
#ifndef lmrt_k_matmul_add_q5_k_q8a
#define lmrt_k_matmul_add_q5_k_q8a lmrt_scalar_matmul_add_q5_k_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q5_k_q8a
#define lmrt_k_matmul_swiglu_q5_k_q8a lmrt_scalar_matmul_swiglu_q5_k_q8a
#endif
#ifndef lmrt_k_qkv_q5_k_q8a_f32
#define lmrt_k_qkv_q5_k_q8a_f32 lmrt_scalar_qkv_q5_k_q8a_f32
#endif
#ifndef lmrt_k_qkv_q5_k_q8a_f16
#define lmrt_k_qkv_q5_k_q8a_f16 lmrt_scalar_qkv_q5_k_q8a_f16
#endif
#ifndef lmrt_k_qkv_q5_k_q8a_q8
#define lmrt_k_qkv_q5_k_q8a_q8 lmrt_scalar_qkv_q5_k_q8a_q8
#endif

/* ---- weights q6_k ---- */
#ifndef lmrt_k_embed_q6_k
#define lmrt_k_embed_q6_k lmrt_scalar_embed_q6_k
#endif
#ifndef lmrt_k_matmul_q6_k_f32
#define lmrt_k_matmul_q6_k_f32 lmrt_scalar_matmul_q6_k_f32
#endif
#ifndef lmrt_k_matmul_add_q6_k_f32
#define lmrt_k_matmul_add_q6_k_f32 lmrt_scalar_matmul_add_q6_k_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q6_k_f32
#define lmrt_k_matmul_swiglu_q6_k_f32 lmrt_scalar_matmul_swiglu_q6_k_f32
#endif
#ifndef lmrt_k_qkv_q6_k_f32_f32
#define lmrt_k_qkv_q6_k_f32_f32 lmrt_scalar_qkv_q6_k_f32_f32
#endif
#ifndef lmrt_k_qkv_q6_k_f32_f16
#define lmrt_k_qkv_q6_k_f32_f16 lmrt_scalar_qkv_q6_k_f32_f16
#endif
#ifndef lmrt_k_qkv_q6_k_f32_q8
#define lmrt_k_qkv_q6_k_f32_q8 lmrt_scalar_qkv_q6_k_f32_q8
#endif
#ifndef lmrt_k_matmul_q6_k_q8a
#define lmrt_k_matmul_q6_k_q8a lmrt_scalar_matmul_q6_k_q8a
#endif
#ifndef lmrt_k_matmul_add_q6_k_q8a
#define lmrt_k_matmul_add_q6_k_q8a lmrt_scalar_matmul_add_q6_k_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q6_k_q8a
#define lmrt_k_matmul_swiglu_q6_k_q8a lmrt_scalar_matmul_swiglu_q6_k_q8a
#endif
#ifndef lmrt_k_qkv_q6_k_q8a_f32
#define lmrt_k_qkv_q6_k_q8a_f32 lmrt_scalar_qkv_q6_k_q8a_f32
#endif
#ifndef lmrt_k_qkv_q6_k_q8a_f16
#define lmrt_k_qkv_q6_k_q8a_f16 lmrt_scalar_qkv_q6_k_q8a_f16
#endif
#ifndef lmrt_k_qkv_q6_k_q8a_q8
#define lmrt_k_qkv_q6_k_q8a_q8 lmrt_scalar_qkv_q6_k_q8a_q8
#endif

/* ---- weights q2_k ---- */
#ifndef lmrt_k_embed_q2_k
#define lmrt_k_embed_q2_k lmrt_scalar_embed_q2_k
#endif
#ifndef lmrt_k_matmul_q2_k_f32
#define lmrt_k_matmul_q2_k_f32 lmrt_scalar_matmul_q2_k_f32
#endif
#ifndef lmrt_k_matmul_add_q2_k_f32
#define lmrt_k_matmul_add_q2_k_f32 lmrt_scalar_matmul_add_q2_k_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q2_k_f32
#define lmrt_k_matmul_swiglu_q2_k_f32 lmrt_scalar_matmul_swiglu_q2_k_f32
#endif
#ifndef lmrt_k_qkv_q2_k_f32_f32
#define lmrt_k_qkv_q2_k_f32_f32 lmrt_scalar_qkv_q2_k_f32_f32
#endif
#ifndef lmrt_k_qkv_q2_k_f32_f16
#define lmrt_k_qkv_q2_k_f32_f16 lmrt_scalar_qkv_q2_k_f32_f16
#endif
#ifndef lmrt_k_qkv_q2_k_f32_q8
#define lmrt_k_qkv_q2_k_f32_q8 lmrt_scalar_qkv_q2_k_f32_q8
#endif
#ifndef lmrt_k_matmul_q2_k_q8a
#define lmrt_k_matmul_q2_k_q8a lmrt_scalar_matmul_q2_k_q8a
#endif
#ifndef lmrt_k_matmul_add_q2_k_q8a
#define lmrt_k_matmul_add_q2_k_q8a lmrt_scalar_matmul_add_q2_k_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q2_k_q8a
#define lmrt_k_matmul_swiglu_q2_k_q8a lmrt_scalar_matmul_swiglu_q2_k_q8a
#endif
#ifndef lmrt_k_qkv_q2_k_q8a_f32
#define lmrt_k_qkv_q2_k_q8a_f32 lmrt_scalar_qkv_q2_k_q8a_f32
#endif
#ifndef lmrt_k_qkv_q2_k_q8a_f16
#define lmrt_k_qkv_q2_k_q8a_f16 lmrt_scalar_qkv_q2_k_q8a_f16
#endif
#ifndef lmrt_k_qkv_q2_k_q8a_q8
#define lmrt_k_qkv_q2_k_q8a_q8 lmrt_scalar_qkv_q2_k_q8a_q8
#endif

/* ---- weights q3_k ---- */
#ifndef lmrt_k_embed_q3_k
#define lmrt_k_embed_q3_k lmrt_scalar_embed_q3_k
#endif
#ifndef lmrt_k_matmul_q3_k_f32
#define lmrt_k_matmul_q3_k_f32 lmrt_scalar_matmul_q3_k_f32
#endif
#ifndef lmrt_k_matmul_add_q3_k_f32
#define lmrt_k_matmul_add_q3_k_f32 lmrt_scalar_matmul_add_q3_k_f32
#endif
#ifndef lmrt_k_matmul_swiglu_q3_k_f32
#define lmrt_k_matmul_swiglu_q3_k_f32 lmrt_scalar_matmul_swiglu_q3_k_f32
#endif
#ifndef lmrt_k_qkv_q3_k_f32_f32
#define lmrt_k_qkv_q3_k_f32_f32 lmrt_scalar_qkv_q3_k_f32_f32
#endif
#ifndef lmrt_k_qkv_q3_k_f32_f16
#define lmrt_k_qkv_q3_k_f32_f16 lmrt_scalar_qkv_q3_k_f32_f16
#endif
#ifndef lmrt_k_qkv_q3_k_f32_q8
#define lmrt_k_qkv_q3_k_f32_q8 lmrt_scalar_qkv_q3_k_f32_q8
#endif
#ifndef lmrt_k_matmul_q3_k_q8a
#define lmrt_k_matmul_q3_k_q8a lmrt_scalar_matmul_q3_k_q8a
#endif
#ifndef lmrt_k_matmul_add_q3_k_q8a
#define lmrt_k_matmul_add_q3_k_q8a lmrt_scalar_matmul_add_q3_k_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_q3_k_q8a
#define lmrt_k_matmul_swiglu_q3_k_q8a lmrt_scalar_matmul_swiglu_q3_k_q8a
#endif
#ifndef lmrt_k_qkv_q3_k_q8a_f32
#define lmrt_k_qkv_q3_k_q8a_f32 lmrt_scalar_qkv_q3_k_q8a_f32
#endif
#ifndef lmrt_k_qkv_q3_k_q8a_f16
#define lmrt_k_qkv_q3_k_q8a_f16 lmrt_scalar_qkv_q3_k_q8a_f16
#endif
#ifndef lmrt_k_qkv_q3_k_q8a_q8
#define lmrt_k_qkv_q3_k_q8a_q8 lmrt_scalar_qkv_q3_k_q8a_q8
#endif

/* ---- weights iq4_nl ---- */
#ifndef lmrt_k_embed_iq4_nl
#define lmrt_k_embed_iq4_nl lmrt_scalar_embed_iq4_nl
#endif
#ifndef lmrt_k_matmul_iq4_nl_f32
#define lmrt_k_matmul_iq4_nl_f32 lmrt_scalar_matmul_iq4_nl_f32
#endif
#ifndef lmrt_k_matmul_add_iq4_nl_f32
#define lmrt_k_matmul_add_iq4_nl_f32 lmrt_scalar_matmul_add_iq4_nl_f32
#endif
#ifndef lmrt_k_matmul_swiglu_iq4_nl_f32
#define lmrt_k_matmul_swiglu_iq4_nl_f32 lmrt_scalar_matmul_swiglu_iq4_nl_f32
#endif
#ifndef lmrt_k_qkv_iq4_nl_f32_f32
#define lmrt_k_qkv_iq4_nl_f32_f32 lmrt_scalar_qkv_iq4_nl_f32_f32
#endif
#ifndef lmrt_k_qkv_iq4_nl_f32_f16
#define lmrt_k_qkv_iq4_nl_f32_f16 lmrt_scalar_qkv_iq4_nl_f32_f16
#endif
#ifndef lmrt_k_qkv_iq4_nl_f32_q8
#define lmrt_k_qkv_iq4_nl_f32_q8 lmrt_scalar_qkv_iq4_nl_f32_q8
#endif
#ifndef lmrt_k_matmul_iq4_nl_q8a
#define lmrt_k_matmul_iq4_nl_q8a lmrt_scalar_matmul_iq4_nl_q8a
#endif
#ifndef lmrt_k_matmul_add_iq4_nl_q8a
#define lmrt_k_matmul_add_iq4_nl_q8a lmrt_scalar_matmul_add_iq4_nl_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_iq4_nl_q8a
#define lmrt_k_matmul_swiglu_iq4_nl_q8a lmrt_scalar_matmul_swiglu_iq4_nl_q8a
#endif
#ifndef lmrt_k_qkv_iq4_nl_q8a_f32
#define lmrt_k_qkv_iq4_nl_q8a_f32 lmrt_scalar_qkv_iq4_nl_q8a_f32
#endif
#ifndef lmrt_k_qkv_iq4_nl_q8a_f16
#define lmrt_k_qkv_iq4_nl_q8a_f16 lmrt_scalar_qkv_iq4_nl_q8a_f16
#endif
#ifndef lmrt_k_qkv_iq4_nl_q8a_q8
#define lmrt_k_qkv_iq4_nl_q8a_q8 lmrt_scalar_qkv_iq4_nl_q8a_q8
#endif

/* ---- weights iq4_xs ---- */
#ifndef lmrt_k_embed_iq4_xs
#define lmrt_k_embed_iq4_xs lmrt_scalar_embed_iq4_xs
#endif
#ifndef lmrt_k_matmul_iq4_xs_f32
#define lmrt_k_matmul_iq4_xs_f32 lmrt_scalar_matmul_iq4_xs_f32
#endif
#ifndef lmrt_k_matmul_add_iq4_xs_f32
#define lmrt_k_matmul_add_iq4_xs_f32 lmrt_scalar_matmul_add_iq4_xs_f32
#endif
#ifndef lmrt_k_matmul_swiglu_iq4_xs_f32
#define lmrt_k_matmul_swiglu_iq4_xs_f32 lmrt_scalar_matmul_swiglu_iq4_xs_f32
#endif
#ifndef lmrt_k_qkv_iq4_xs_f32_f32
#define lmrt_k_qkv_iq4_xs_f32_f32 lmrt_scalar_qkv_iq4_xs_f32_f32
#endif
#ifndef lmrt_k_qkv_iq4_xs_f32_f16
#define lmrt_k_qkv_iq4_xs_f32_f16 lmrt_scalar_qkv_iq4_xs_f32_f16
#endif
#ifndef lmrt_k_qkv_iq4_xs_f32_q8
#define lmrt_k_qkv_iq4_xs_f32_q8 lmrt_scalar_qkv_iq4_xs_f32_q8
#endif
#ifndef lmrt_k_matmul_iq4_xs_q8a
#define lmrt_k_matmul_iq4_xs_q8a lmrt_scalar_matmul_iq4_xs_q8a
#endif
#ifndef lmrt_k_matmul_add_iq4_xs_q8a
#define lmrt_k_matmul_add_iq4_xs_q8a lmrt_scalar_matmul_add_iq4_xs_q8a
#endif
#ifndef lmrt_k_matmul_swiglu_iq4_xs_q8a
#define lmrt_k_matmul_swiglu_iq4_xs_q8a lmrt_scalar_matmul_swiglu_iq4_xs_q8a
#endif
#ifndef lmrt_k_qkv_iq4_xs_q8a_f32
#define lmrt_k_qkv_iq4_xs_q8a_f32 lmrt_scalar_qkv_iq4_xs_q8a_f32
#endif
#ifndef lmrt_k_qkv_iq4_xs_q8a_f16
#define lmrt_k_qkv_iq4_xs_q8a_f16 lmrt_scalar_qkv_iq4_xs_q8a_f16
#endif
#ifndef lmrt_k_qkv_iq4_xs_q8a_q8
#define lmrt_k_qkv_iq4_xs_q8a_q8 lmrt_scalar_qkv_iq4_xs_q8a_q8
#endif

#endif
