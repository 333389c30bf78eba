/* ir.h - lmcc's typed dataflow graph.
 *
 * A graph is an ordered list of nodes (a straight-line program for ONE decode
 * step: one token at position `pos`).  Every node reads tensors and writes at
 * most one tensor.  Tensors carry shape, dtype and kind.  Nodes execute in
 * list order; state tensors (the KV cache) are mutable and written only by
 * side-effecting ops (kv_store).
 *
 * Shapes are written outermost first, like C arrays: a linear weight is
 * [out][in], shape = {out, in}.  (GGUF stores ne[] innermost first; the
 * frontend reverses.)
 *
 * Dependencies: ir/ depends only on runtime-min/ (block formats).
 */
#ifndef LMCC_IR_H
#define LMCC_IR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- dtypes: every fact about a storage format, one row each -----------
 * X(NAME, "name", be, bb, gguf, lmrt, cli, group, min, q8a, kern, tile, bpw, lev, zero, nf4)
 *  be, bb   elements and bytes of a block: a row of n elements takes ceil(n / be) blocks (lmcc
 *           zero-pads the tail of the last block; GGUF files always have n % be == 0); 8 bb / be
 *           bits per weight (ir_dtype_bits)
 *  gguf     the GGUF tensor type id, -1 for lmcc's own formats
 *  lmrt     runtime-min's type id (lmrt_dequant_row, lmrt_quantize_row, lmrt_quant.h's layouts;
 *           GGUF's id for GGUF's formats), -1: none
 *  cli      the --weights name that selects it, NULL: none
 *  group    the --group family: --weights F --group N is the row of family F with be == N
 *  min      a block stores an offset too (value d q + m); else symmetric (value d q)
 *  q8a      under --act q8 a linear with these weights reads q8a activations (integer codes:
 *           the dot products are integer; iq4's codebook is int8 values too, nf4's is not, it
 *           keeps f32 activations)
 *  kern     every kernel set has lmrt_k_*_<name> (docs/KERNELS.md): codegen can emit it and
 *           --weights keep compiles it as stored
 *  tile     the tile pass repacks it into the target's R-row tiles (kernels lmrt_k_*_<name>t)
 *  bpw      a candidate of --bpw's per-tensor choice (quant/mixprec.c)
 *  lev, zero, nf4  lmcc's quantizers (quant/): lev code levels (0: they do not write it), the
 *           value of code q is (q - zero) d (+ m), or lmrt_nf4_value(q) d for nf4
 * q8a is lmcc's int8 activation block {float d; int8 qs[32]}.  lmcc's own weight formats
 * (layouts in runtime-min/lmrt_quant.h): q4_gN = q4_0 with group N {f16 d; u8 qs[N/2]};
 * nf4[_g64] = {f16 absmax; u8 qs[G/2]} indexing QLoRA's NF4 codebook; q3_g64/q5_g64/q6_g64 =
 * symmetric 3/5/6-bit groups of 64 {f16 d; low bits; high bits}, the per-tensor rungs of --bpw.
 * q8_kv is the int8 KV cache (--kv q8): be 0 = one block per row, a row of n elements is
 * {float d; int8 qs[n]} (bb = the scale's bytes), one scale per token and KV head.
 * The lmrt column names lmrt_quant.h's macros: only ir/dtype.c expands it. */
#define IR_DTYPE_LIST(X)                                                                                 \
  /* NAME     name       be   bb   gguf lmrt               cli        group min q8a kern tile bpw lev zero nf4 */ \
    X(F32,     "f32",     1,   4,   0,  LMRT_GGML_F32,     "f32",     NULL,  0, 0,  1,   0,   0,  0,   0,  0) \
    X(F16,     "f16",     1,   2,   1,  LMRT_GGML_F16,     "f16",     NULL,  0, 0,  1,   0,   1,  0,   0,  0) \
    X(Q4_0,    "q4_0",    32,  18,  2,  LMRT_GGML_Q4_0,    "q4",      "q4",  0, 1,  1,   1,   1,  16,  8,  0) \
    X(Q4_1,    "q4_1",    32,  20,  3,  LMRT_GGML_Q4_1,    "q4_1",    NULL,  1, 1,  1,   0,   0,  16,  0,  0) \
    X(Q5_0,    "q5_0",    32,  22,  6,  LMRT_GGML_Q5_0,    "q5_0",    NULL,  0, 1,  1,   0,   1,  32,  16, 0) \
    X(Q5_1,    "q5_1",    32,  24,  7,  LMRT_GGML_Q5_1,    "q5_1",    NULL,  1, 1,  1,   0,   1,  32,  0,  0) \
    X(Q8_0,    "q8_0",    32,  34,  8,  LMRT_GGML_Q8_0,    "q8",      NULL,  0, 1,  1,   1,   1,  255, 127, 0) \
    X(Q2_K,    "q2_k",    256, 84,  10, LMRT_GGML_Q2_K,    NULL,      NULL,  1, 1,  1,   0,   0,  0,   0,  0) \
    X(Q3_K,    "q3_k",    256, 110, 11, LMRT_GGML_Q3_K,    NULL,      NULL,  0, 1,  1,   0,   0,  0,   0,  0) \
    X(Q4_K,    "q4_k",    256, 144, 12, LMRT_GGML_Q4_K,    NULL,      NULL,  1, 1,  1,   0,   0,  0,   0,  0) \
    X(Q5_K,    "q5_k",    256, 176, 13, LMRT_GGML_Q5_K,    NULL,      NULL,  1, 1,  1,   0,   0,  0,   0,  0) \
    X(Q6_K,    "q6_k",    256, 210, 14, LMRT_GGML_Q6_K,    NULL,      NULL,  0, 1,  1,   0,   0,  0,   0,  0) \
    X(IQ4_NL,  "iq4_nl",  32,  18,  20, LMRT_GGML_IQ4_NL,  NULL,      NULL,  0, 1,  1,   0,   0,  0,   0,  0) \
    X(IQ4_XS,  "iq4_xs",  256, 136, 23, LMRT_GGML_IQ4_XS,  NULL,      NULL,  0, 1,  1,   0,   0,  0,   0,  0) \
    X(BF16,    "bf16",    1,   2,   30, LMRT_GGML_BF16,    NULL,      NULL,  0, 0,  1,   0,   0,  0,   0,  0) \
    X(I32,     "i32",     1,   4,   26, -1,                NULL,      NULL,  0, 0,  0,   0,   0,  0,   0,  0) \
    X(Q8A,     "q8a",     32,  36,  -1, -1,                NULL,      NULL,  0, 0,  0,   0,   0,  0,   0,  0) \
    X(Q4_G16,  "q4_g16",  16,  10,  -1, LMRT_LMCC_Q4_G16,  "q4_g16",  "q4",  0, 1,  1,   0,   1,  16,  8,  0) \
    X(Q4_G64,  "q4_g64",  64,  34,  -1, LMRT_LMCC_Q4_G64,  "q4_g64",  "q4",  0, 1,  1,   0,   1,  16,  8,  0) \
    X(Q4_G128, "q4_g128", 128, 66,  -1, LMRT_LMCC_Q4_G128, "q4_g128", "q4",  0, 1,  1,   0,   1,  16,  8,  0) \
    X(NF4,     "nf4",     32,  18,  -1, LMRT_LMCC_NF4,     "nf4",     "nf4", 0, 0,  1,   0,   0,  16,  7,  1) \
    X(NF4_G64, "nf4_g64", 64,  34,  -1, LMRT_LMCC_NF4_G64, "nf4_g64", "nf4", 0, 0,  1,   0,   0,  16,  7,  1) \
    X(Q3_G64,  "q3_g64",  64,  26,  -1, LMRT_LMCC_Q3_G64,  "q3_g64",  NULL,  0, 1,  1,   0,   1,  8,   4,  0) \
    X(Q5_G64,  "q5_g64",  64,  42,  -1, LMRT_LMCC_Q5_G64,  "q5_g64",  NULL,  0, 1,  1,   0,   1,  32,  16, 0) \
    X(Q6_G64,  "q6_g64",  64,  50,  -1, LMRT_LMCC_Q6_G64,  "q6_g64",  NULL,  0, 1,  1,   0,   1,  64,  32, 0)   \
    X(Q8_KV,   "q8_kv",   0,   4,   -1, -1,                NULL,      NULL,  0, 0,  0,   0,   0,  0,   0,  0)

typedef enum {
#define X(n, ...) IR_DT_##n,
    IR_DTYPE_LIST(X)
#undef X
    IR_DT_COUNT
} ir_dtype;

typedef struct ir_dtype_info {
    const char *name;
    int block_elems, block_bytes;
    int gguf, lmrt;
    const char *cli, *group;
    int min, q8a, kern;
    const char *tiled_kern;   /* kernel name part of the tiled form ("q4_0t"), NULL: never tiled */
    int bpw_cand;
    int levels, zero, nf4;
} ir_dtype_info;
/* dtype t's row of IR_DTYPE_LIST; for an invalid t a row named "?" with no facts (ids -1) */
const ir_dtype_info *ir_dtype_get(ir_dtype t);

const char *ir_dtype_name(ir_dtype t);
int ir_dtype_block_elems(ir_dtype t);
int ir_dtype_block_bytes(ir_dtype t);
int ir_dtype_is_quant(ir_dtype t);          /* block_elems > 1 */
double ir_dtype_bits(ir_dtype t);           /* bits per element: 8 block_bytes / block_elems */
int ir_dtype_from_gguf(uint32_t gguf_type); /* -1 if lmcc does not know it */
int ir_dtype_from_name(const char *s);      /* -1 if unknown */
/* bytes of one row of n elements (whole blocks, tail padded) */
size_t ir_row_bytes(ir_dtype t, int64_t n);
/* type id for lmrt_dequant_row / lmrt_quantize_row (GGUF id or LMRT_LMCC_*), -1 if none */
int ir_dtype_lmrt_type(ir_dtype t);
/* the q8a column: a linear with weights of dtype dt reads q8a activations under --act q8 */
int ir_dtype_reads_q8a(ir_dtype dt);
/* the <w> part of the kernel names lmrt_k_*_<w> for weights of dtype t (tiled: the tile
 * pass's form), NULL when no kernel reads it */
const char *ir_dtype_kernel_name(ir_dtype t, int tiled);
struct ir_tensor;
/* a weight's values as a malloc'd f32 [rows][cols] (exact: every dtype lmcc reads widens to f32
 * without loss); NULL when tiled, without data, of a dtype runtime-min cannot decode, or out of memory */
float *ir_weight_f32(const struct ir_tensor *t);

/* --weights: cfg.weights_mode is the dtype every converted weight gets, or IR_WEIGHTS_KEEP */
enum { IR_WEIGHTS_KEEP = -1 };
/* --weights NAME (NULL: *mode unchanged, the default) refined by --group N (NULL: none) into
 * *mode; 0, or -1 with a one-line reason in err */
int ir_weights_from_cli(const char *name, const char *group, int *mode, char *err, size_t errlen);
/* the --act default: q8 for a block format, and under keep when the file has quantized weights */
int ir_weights_act_q8_default(int mode, int file_quantized);

/* ---- tensor kinds ------------------------------------------------------ */
#define IR_KIND_LIST(X)      \
    X(WEIGHT, "weight")      \
    X(ACT,    "act")         \
    X(STATE,  "state")       \
    X(INPUT,  "input")

typedef enum {
#define X(n, s) IR_KIND_##n,
    IR_KIND_LIST(X)
#undef X
    IR_KIND_COUNT
} ir_kind;
const char *ir_kind_name(ir_kind k);

#define IR_MAX_DIMS 4
#define IR_MAX_INPUTS 5 /* qkv */
#define IR_NAME_MAX 64

typedef struct ir_tensor {
    char name[IR_NAME_MAX];
    ir_kind kind;
    ir_dtype dtype;
    int ndim;
    int64_t shape[IR_MAX_DIMS];   /* outermost first */

    /* WEIGHT: the bytes, row-major, each row ir_row_bytes(dtype, shape[ndim-1]).
     * `data` points either into the mapped model file or into `owned`
     * (malloc'd by a pass/frontend, freed with the graph). */
    const void *data;
    size_t nbytes;
    void *owned;

    /* filled by passes */
    int64_t arena_offset;   /* ACT/STATE: byte offset in the arena, -1 = unplanned */
    int64_t blob_offset;    /* WEIGHT: byte offset in NAME.weights, -1 = unplaced */
    int first_use, last_use;/* liveness (node indices), -1 = none */
    int dead;               /* removed by dce: no longer part of the graph */
    int tile_rows;          /* WEIGHT q4_0/q8_0: 0 = plain rows; R > 1 = repacked by the tiling
                               pass into groups of R interleaved rows (rows padded to a multiple
                               of R; layout in runtime-min/lmrt_tiled.h) */
    int want_dtype;         /* WEIGHT: the dtype it is to get (mixprec's choice, then weightfmt's for
                               every weight), applied and reset by the quantize pass; -1 = none */
    int64_t pad_cols;       /* WEIGHT: trailing columns added by a pass (the hadamard padding of the
                               rotate pass): stored, but not parameters of the model (bpw counts
                               shape[1] - pad_cols) */
} ir_tensor;

/* ---- ops ---------------------------------------------------------------
 * Every fact about an op is a row of IR_OP_LIST; ir_node_check (ir/ops.c) holds
 * a node to its row, and the verifier, the float interpreter and the batched
 * evaluator all accept nodes through it.
 *
 * Input slots: what an input of an op holds, as X(NAME, "text", kind, dtypes).
 * dtypes is a mask of IR_DT_BIT(...); 0 = any dtype the tensor kind allows
 * (the evaluators check they can read a weight's dtype).  Only a MATRIX input
 * may be tiled, only an ACTQ input may be q8a. */
#define IR_DT_BIT(t) (1u << IR_DT_##t)
#define IR_SLOT_LIST(X)                                                            \
    X(NONE,   "none",        IR_KIND_COUNT,  0)                                     \
    X(ACT,    "activation",  IR_KIND_ACT,    IR_DT_BIT(F32))                        \
    X(ACTQ,   "linear input", IR_KIND_ACT,   IR_DT_BIT(F32) | IR_DT_BIT(Q8A))       \
    X(MATRIX, "matrix",      IR_KIND_WEIGHT, 0) /* [N][K], multiplied row by row */ \
    X(ROWS,   "row table",   IR_KIND_WEIGHT, 0) /* [V][D], one row per token */     \
    X(VECTOR, "vector",      IR_KIND_WEIGHT, 0) /* read whole (a norm scale) */     \
    X(ROPE,   "rope rows",   IR_KIND_ACT,    IR_DT_BIT(F32)) /* rope_table's [rope_dim/2][2] */ \
    X(CACHE,  "cache",       IR_KIND_STATE,  IR_DT_BIT(F32) | IR_DT_BIT(F16) | IR_DT_BIT(Q8_KV)) \
    X(TOKEN,  "token",       IR_KIND_INPUT,  IR_DT_BIT(I32))

typedef enum {
#define X(n, s, k, dt) IR_SLOT_##n,
    IR_SLOT_LIST(X)
#undef X
    IR_SLOT_COUNT
} ir_slot;

typedef struct ir_slot_info {
    const char *name;
    ir_kind kind;
    unsigned dtypes; /* IR_DT_BIT mask, 0 = any */
} ir_slot_info;
extern const ir_slot_info ir_slot_table[IR_SLOT_COUNT];

/* X(NAME, "text", output dtype (NONE: no output), side_effect, shape rule, input slots x5)
 * The rule (a function of ir/ops.c) checks the inputs' shapes against each other and the
 * attributes and gives the output's shape.  Inputs, shapes and attributes, by op:
 *  embed     (table[V][D], token i32[1]) -> [D]
 *  rmsnorm   (x[..][D], w[D]) -> x's shape                   attr eps; each row of D normalized
 *  head_norm (x[H*hd], w[hd]) -> x's shape    attrs eps, n_heads, head_dim; each head's hd values
 *            RMS-normalized and scaled by w (Qwen3's and Gemma-3's q/k norms, before RoPE)
 *  linear    (x[K], w[N][K]) -> [N]
 *  add_bias  (x[..][N], b[N]) -> x's shape                  each row of x plus the weight b (the
 *            q/k/v biases of Qwen2)
 *  rope_table (freqs[rope_dim/2] f32) -> [rope_dim/2][2]: cos, sin of pos * freqs[i] for the
 *            token's position (radians per position: base, Llama-3 / LongRoPE factors, linear
 *            and YaRN scaling folded in by the frontend), both times attr scale (0: 1; YaRN's
 *            and LongRoPE's magnitude, so only the rotated dims grow); computed per chunk at
 *            run time, read by rope and qkv
 *  rope      (x[H*hd], rows[rope_dim/2][2] of a rope_table) -> x's shape  attrs n_heads,
 *            head_dim, rope_dim, rope_neox (0: adjacent pairs, llama2.c/GGUF llama;
 *            1: halves, NeoX/HF); rotates the first rope_dim dims of each head
 *  kv_store  (x[Hkv*hd], cache[Hkv][slots][hd]) -> none: cache[h][pos % slots][:] = x[h]
 *  attention (q[H*hd], kcache, vcache [Hkv][slots][hd], one dtype) -> q's shape  attrs n_heads,
 *            n_kv_heads, head_dim, scale, window, softcap; causal over positions lo..pos,
 *            lo = 0, or pos - window + 1 with a window (key j visible from query i only when
 *            i - j < window: sliding-window attention), each position j read from slot
 *            j % slots; the score s = scale q.k, or softcap tanh(s / softcap) with a softcap
 *  add, mul  (a, b) -> elementwise, a's shape (b has as many elements)
 *  silu      (a) -> a * sigmoid(a)
 *  softmax   (a) -> softmax over the last dim
 *  swiglu    (gate, up) -> silu(gate) * up
 *  geglu     (gate, up) -> gelu(gate) * up, gelu(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
 *            (the tanh form: Gemma's FFN)
 *  scale     (a) -> a * scale                         attr scale (Gemma's embedding times sqrt(dim))
 *  softcap   (a) -> softcap * tanh(a / softcap)       attr softcap > 0 (Gemma 2's final logits)
 * Fused ops (made by the fusion passes; exact in float against the unfused graph):
 *  normalize     (x) -> x / sqrt(mean(x^2) + eps)   attr eps (rmsnorm whose weight was
 *                folded into the consuming linears)
 *  quantize      (x[K] f32) -> [K] q8a              (activation quantized once per linear input)
 *  linear_add    (x[K], w[N][K], res[N]) -> w x + res  (residual add in the epilogue)
 *  linear_swiglu (x[K], w[2F][K]) -> [F]            rows [0,F) gate, [F,2F) up: silu(gate)*up
 *  qkv           (x[K], w[(H+2Hkv)*hd][K], rope rows, kcache, vcache) -> [H*hd]
 *                attrs as rope + attention: q rows, then k, then v; rope on q and k; k and v
 *                written to the caches at pos (the kv_store in the epilogue)
 *  take_last     (x) -> x's shape                   in a batch of n tokens, only the last
 *                row goes on (the logits are needed for the last token only)
 *  hadamard      (x[K]) -> [K']                     attr block (a power of two >= 2); K' = K
 *                rounded up to a multiple of block: x zero-padded to K', then each block of
 *                `block` values times H / sqrt(block) (Sylvester's Walsh-Hadamard matrix:
 *                symmetric, orthogonal, its own inverse).  The rotate pass puts it before a
 *                linear whose weight columns it has transformed the same way (exact in float;
 *                spreads activation outliers)
 * The linear family (a MATRIX in slot 1) reads x as f32 or q8a.  A cache has `slots` positions:
 * position p lives in slot p % slots (one KV mechanism for every layer).  A layer that attends
 * to all positions has slots = ctx = cfg.ctx (when set); a sliding-window layer keeps a ring of
 * ir_kv_slots(cfg, window) < ctx slots (its attention checks the ring is big enough).  A
 * side-effecting op writes its CACHE inputs; any other op only reads them.
 *
 * Batching: the graph describes ONE token.  Execution applies it to a chunk of
 * n <= cfg.batch tokens at positions pos..pos+n-1 (attention and qkv are causal
 * within the chunk), so every activation buffer holds cfg.batch rows (memplan
 * sizes it so); after take_last, one row.
 *
 * Adding an op: docs/ARCHITECTURE.md, "Adding an op".
 */
#define IR_OP_LIST(X)                                                                                  \
    X(EMBED,         "embed",         F32,  0, rule_embed,         ROWS, TOKEN,  NONE,  NONE,  NONE)   \
    X(RMSNORM,       "rmsnorm",       F32,  0, rule_rmsnorm,       ACT,  VECTOR, NONE,  NONE,  NONE)   \
    X(HEAD_NORM,     "head_norm",     F32,  0, rule_head_norm,     ACT,  VECTOR, NONE,  NONE,  NONE)   \
    X(LINEAR,        "linear",        F32,  0, rule_linear,        ACTQ, MATRIX, NONE,  NONE,  NONE)   \
    X(ADD_BIAS,      "add_bias",      F32,  0, rule_add_bias,      ACT,  VECTOR, NONE,  NONE,  NONE)   \
    X(ROPE_TABLE,    "rope_table",    F32,  0, rule_rope_table,    VECTOR, NONE, NONE,  NONE,  NONE)   \
    X(ROPE,          "rope",          F32,  0, rule_rope,          ACT,  ROPE,   NONE,  NONE,  NONE)   \
    X(KV_STORE,      "kv_store",      NONE, 1, rule_kv_store,      ACT,  CACHE,  NONE,  NONE,  NONE)   \
    X(ATTENTION,     "attention",     F32,  0, rule_attention,     ACT,  CACHE,  CACHE, NONE,  NONE)   \
    X(ADD,           "add",           F32,  0, rule_binary,        ACT,  ACT,    NONE,  NONE,  NONE)   \
    X(MUL,           "mul",           F32,  0, rule_binary,        ACT,  ACT,    NONE,  NONE,  NONE)   \
    X(SILU,          "silu",          F32,  0, rule_unary,         ACT,  NONE,   NONE,  NONE,  NONE)   \
    X(SOFTMAX,       "softmax",       F32,  0, rule_unary,         ACT,  NONE,   NONE,  NONE,  NONE)   \
    X(SWIGLU,        "swiglu",        F32,  0, rule_binary,        ACT,  ACT,    NONE,  NONE,  NONE)   \
    X(NORMALIZE,     "normalize",     F32,  0, rule_normalize,     ACT,  NONE,   NONE,  NONE,  NONE)   \
    X(QUANTIZE,      "quantize",      Q8A,  0, rule_unary,         ACT,  NONE,   NONE,  NONE,  NONE)   \
    X(LINEAR_ADD,    "linear_add",    F32,  0, rule_linear_add,    ACTQ, MATRIX, ACT,   NONE,  NONE)   \
    X(LINEAR_SWIGLU, "linear_swiglu", F32,  0, rule_linear_swiglu, ACTQ, MATRIX, NONE,  NONE,  NONE)   \
    X(QKV,           "qkv",           F32,  1, rule_qkv,           ACTQ, MATRIX, ROPE,  CACHE, CACHE)  \
    X(TAKE_LAST,     "take_last",     F32,  0, rule_unary,         ACT,  NONE,   NONE,  NONE,  NONE)   \
    X(HADAMARD,      "hadamard",      F32,  0, rule_hadamard,      ACT,  NONE,   NONE,  NONE,  NONE)   \
    X(GEGLU,         "geglu",         F32,  0, rule_binary,        ACT,  ACT,    NONE,  NONE,  NONE)   \
    X(SCALE,         "scale",         F32,  0, rule_scale,         ACT,  NONE,   NONE,  NONE,  NONE)   \
    X(SOFTCAP,       "softcap",       F32,  0, rule_softcap,       ACT,  NONE,   NONE,  NONE,  NONE)

typedef enum {
#define X(n, s, out, se, rule, i0, i1, i2, i3, i4) IR_OP_##n,
    IR_OP_LIST(X)
#undef X
    IR_OP_COUNT
} ir_opcode;

typedef struct ir_op_info {
    const char *name;
    int n_inputs;    /* the slots before the first NONE */
    int has_output;
    int out_dtype;   /* the output's dtype (IR_DT_*), -1 without output */
    int side_effect; /* writes state (its CACHE inputs) */
    int linear;      /* the linear family: inputs[0] (x) times the weight matrix inputs[1] */
    ir_slot slot[IR_MAX_INPUTS];
} ir_op_info;
extern const ir_op_info ir_op_table[IR_OP_COUNT];
int ir_op_from_name(const char *s); /* -1 if unknown */
const char *ir_op_name(int op);     /* "?" outside the table */
/* a weight's model parameters: its elements less the pad_cols of every row */
int64_t ir_weight_params(const ir_tensor *t);

typedef struct ir_attrs {
    float eps;
    int n_heads, n_kv_heads, head_dim, rope_dim, rope_neox;
    float scale;
    int window;         /* attention: keys of the last `window` positions only; 0 = all */
    float softcap;      /* attention: scores softcap * tanh(s / softcap), 0 = none; the softcap op's cap */
    int layer;          /* -1 when not in a layer */
    int block;          /* hadamard: transform size, a power of two */
} ir_attrs;

typedef struct ir_node {
    ir_opcode op;
    int inputs[IR_MAX_INPUTS];  /* tensor ids */
    int output;                 /* tensor id, -1 if none */
    ir_attrs attrs;
    int dead;                   /* removed by dce */
} ir_node;

/* Model hyper-parameters, recorded by the frontend. */
typedef struct ir_model_info {
    char arch[32];          /* "llama" */
    char name[64];          /* general.name or file stem */
    int dim, hidden_dim, n_layers, n_heads, n_kv_heads, head_dim;
    int vocab_size, ctx_len;   /* ctx_len: the model's trained context */
    int rope_dim, rope_neox;
    float rope_theta, rms_eps;
    int tied_output;
    int ctx_min;            /* the smallest context the graph's math holds for (0 or 1: any; LongRoPE's
                               long factors: the original context + 1); init_ctx refuses less */
} ir_model_info;

/* Compile configuration that passes read (set by the driver). */
typedef struct ir_config {
    int ctx;                /* KV positions (>0) */
    ir_dtype kv_dtype;      /* F32, F16 or Q8_KV */
    int kv_slide;           /* 0: a full context stops forward; 1: it slides (--kv-policy slide) */
    int kv_sink;            /* with kv_slide: the first positions kept (the rest of a cache is a ring) */
    int weights_mode;       /* --weights: an ir_dtype, or IR_WEIGHTS_KEEP */
    /* performance; zero = off / defaults */
    int fuse;               /* run the fusion passes */
    int act_q8;             /* quantize linear inputs to q8a (W4A8 / W8A8) */
    int tile_rows;          /* target's int4 tile rows R (> 1: the tiling pass repacks q4_0/q8_0) */
    int tile_rows_q8;       /* its int8 tile rows for q8_0 (0: tile_rows) */
    int batch;              /* max tokens per forward chunk (prefill tile); 0 or 1 = one token */
    int threads;            /* compile-time thread count (codegen); 0 or 1 = single-threaded */
    int embed_f16;          /* keep the token-embedding table f16 under int weight formats */
    float bpw;              /* > 0: mixprec picks a format per linear weight, average bits <= bpw */
    /* quantization algorithm; zero = plain absmax rounding, llama.cpp's */
    int quant;              /* IR_QUANT_* */
    const char *calib_path; /* --calib FILE: token ids, or text for the tokenizer; NULL: sampled */
    int calib_seqs, calib_len; /* sampled calibration sequences x positions (0: lmcc_eval_calib_default_seqs x 128) */
    int rotate;             /* rotate the residual stream before int quantization (passes/rotate.c) */
} ir_config;

/* AUTO: gptq up to 50M weights in 2-D tensors (its calibration runs the interpreter), rtn above */
enum { IR_QUANT_PLAIN, IR_QUANT_RTN, IR_QUANT_AWQ, IR_QUANT_GPTQ, IR_QUANT_AUTO };

struct lmrt_vocab; /* runtime-min/lmrt_tokenizer.h */

typedef struct ir_graph {
    ir_model_info info;
    const struct lmrt_vocab *vocab; /* tokenizer tables; owned by the driver */
    ir_config cfg;
    ir_tensor *tensors; int n_tensors, cap_tensors;
    ir_node *nodes;     int n_nodes, cap_nodes;
    int token_input;        /* tensor id of the token input */
    int logits;             /* tensor id of the graph output */
    int64_t arena_bytes;    /* set by memplan (activations + state + scratch) */
    int64_t act_bytes;      /* activations part, set by memplan */
    int64_t kv_bytes;       /* KV-cache part, set by kvlayout */
    int64_t naive_bytes;    /* sum of all activation buffers, set by memplan */
    int64_t scratch_offset; /* scratch region (attention scores, sampler), set by memplan */
    int64_t scratch_bytes;  /* per thread: attention scores; the sampler uses it all */
    int64_t weights_bytes;  /* set by codegen when placing weights */
} ir_graph;

/* Where a stage reports: under -v a summary line per step goes to `log`; a user error (bad
 * input, out of memory) leaves its one-line text in `err` and the stage returns -1. */
typedef struct lmcc_diag {
    int verbose;
    FILE *log;
    char err[512];
} lmcc_diag;

/* ---- construction ------------------------------------------------------ */
ir_graph *ir_graph_new(void);
void ir_graph_free(ir_graph *g);
/* returns the tensor id; shape has ndim entries */
int ir_tensor_add(ir_graph *g, const char *name, ir_kind kind, ir_dtype dt,
                  int ndim, const int64_t *shape);
int ir_weight_add(ir_graph *g, const char *name, ir_dtype dt, int ndim,
                  const int64_t *shape, const void *data, size_t nbytes);
/* appends a node; for ops with an output, creates an ACT f32 tensor named
 * `out_name` of the given shape and returns its id; otherwise returns -1 */
int ir_node_add(ir_graph *g, ir_opcode op, const int *inputs, const ir_attrs *attrs,
                const char *out_name, int out_ndim, const int64_t *out_shape);
int ir_tensor_find(const ir_graph *g, const char *name); /* -1 if absent */
int ir_tensor_uses(const ir_graph *g, int id);     /* input slots of live nodes that read tensor id */
int ir_tensor_producer(const ir_graph *g, int id); /* the live node that writes id, -1 if none */
int64_t ir_tensor_elems(const ir_tensor *t);
/* bytes of the tensor in its dtype (rows padded to whole blocks; a tiled
 * weight's row count padded to a multiple of tile_rows) */
size_t ir_tensor_bytes(const ir_tensor *t);
/* ACT tensor id: rows of its arena buffer = cfg.batch (0 -> 1) if produced
 * before the first live take_last (or no take_last), else 1 */
int ir_act_rows(const ir_graph *g, int id);
/* bytes of the arena buffer of ACT tensor id: ir_act_rows * ir_tensor_bytes */
int64_t ir_act_bytes(const ir_graph *g, int id);
ir_attrs ir_attrs_none(void);
/* The slots of a KV cache read by attention over the last `window` positions (0: all): a ring
 * of window + batch - 1, so that a chunk of batch tokens, which writes all its keys before its
 * first query reads, never overwrites a key a query of the same chunk still sees; at most (and
 * with no window) cfg.ctx. */
int64_t ir_kv_slots(const ir_config *cfg, int window);
/* 1 when cache (a tensor id) slides under --kv-policy slide: read by an attention over every
 * position (a sliding-window layer's cache keeps its window) */
int ir_kv_slides(const ir_graph *g, int cache);
/* --kv-policy slide: the floats per token of the query the sink keys see past the context (the
 * widest query row; 0 without) and, in *rope (may be NULL), of its rotation (head_dim); the scratch holds a
 * chunk's (cfg.batch tokens) after the scores */
int64_t ir_sink_query_floats(const ir_graph *g, int64_t *rope);
/* The rows (positions) each KV cache of every position holds in a context of n: n, and with
 * --kv-policy slide batch - 1 more, so that a chunk past the context, which writes all its keys
 * before its first query reads, never overwrites a key a query of the same chunk still sees
 * (the ring past the sinks is n - sink + batch - 1, as a sliding-window ring is window + batch - 1) */
int64_t ir_kv_rows(const ir_config *cfg, int64_t n);
/* the positions a cache serves: cfg.ctx when set (a ring serves every position; older keys are
 * outside every window that reads it), else its slots */
int64_t ir_cache_positions(const ir_graph *g, const ir_tensor *cache);

/* ---- checking and printing ---------------------------------------------
 * ir_node_check holds node ni of g to its op's row of IR_OP_LIST: a known op, the
 * input count, each input a live tensor of its slot's kind and dtype (only a matrix
 * tiled), the output of the op's dtype (or none), sane tensor shapes, then the op's
 * shape rule and the output shape it gives.  Dead nodes are not its business.  The
 * verifier, the interpreter and the batched evaluator all accept a node through it.
 * Returns 0, or -1 with one line "node N (op): what is wrong" in err.
 * ir_verify adds what spans nodes (definition before use, one producer per tensor,
 * the logits, the planned arena) and returns 0 if the graph is well-formed, else
 * writes one line per problem into err (NUL-terminated) and returns -1.  A failure
 * after a pass is a compiler bug, never a user error. */
int ir_node_check(const ir_graph *g, int ni, char *err, size_t errlen);
int ir_verify(const ir_graph *g, char *err, size_t errlen);
void ir_dump(const ir_graph *g, FILE *out);

#endif
