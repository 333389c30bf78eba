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

/* ---- dtypes ------------------------------------------------------------
 * X(NAME, "text", block_elems, block_bytes, gguf_type_id)
 * Quantized types store rows as whole blocks; a row of `n` elements takes
 * ceil(n / block_elems) blocks (lmcc zero-pads the tail of the last block,
 * GGUF files always have n % block_elems == 0).
 * q8a is lmcc's int8 activation block {float d; int8 qs[32]} (not in GGUF).
 * lmcc-only weight formats (not in GGUF, layouts in runtime-min/lmrt_quant.h):
 * q4_gN = q4_0 with group N {f16 d; u8 qs[N/2]}; nf4[_g64] = {f16 absmax; u8 qs[G/2]}
 * indexing QLoRA's NF4 codebook; q3_g64/q5_g64/q6_g64 = symmetric 3/5/6-bit groups of 64
 * {f16 d; low bits; high bits} (lmrt_quant.h), the per-tensor rungs of --bpw.  ir_dtype_lmrt_type gives lmrt_dequant_row's type id. */
#define IR_DTYPE_LIST(X)                 \
    X(F32,  "f32",  1,   4,   0)         \
    X(F16,  "f16",  1,   2,   1)         \
    X(Q4_0, "q4_0", 32,  18,  2)         \
    X(Q4_1, "q4_1", 32,  20,  3)         \
    X(Q5_0, "q5_0", 32,  22,  6)         \
    X(Q5_1, "q5_1", 32,  24,  7)         \
    X(Q8_0, "q8_0", 32,  34,  8)         \
    X(Q4_K, "q4_k", 256, 144, 12)        \
    X(Q5_K, "q5_k", 256, 176, 13)        \
    X(Q6_K, "q6_k", 256, 210, 14)        \
    X(BF16, "bf16", 1,   2,   30)        \
    X(I32,  "i32",  1,   4,   26)        \
    X(Q8A,  "q8a",  32,  36,  -1)        \
    X(Q4_G16,  "q4_g16",  16,  10, -1)   \
    X(Q4_G64,  "q4_g64",  64,  34, -1)   \
    X(Q4_G128, "q4_g128", 128, 66, -1)   \
    X(NF4,     "nf4",     32,  18, -1)   \
    X(NF4_G64, "nf4_g64", 64,  34, -1)   \
    X(Q3_G64,  "q3_g64",  64,  26, -1)   \
    X(Q5_G64,  "q5_g64",  64,  42, -1)   \
    X(Q6_G64,  "q6_g64",  64,  50, -1)

typedef enum {
#define X(n, s, be, bb, g) IR_DT_##n,
    IR_DTYPE_LIST(X)
#undef X
    IR_DT_COUNT
} ir_dtype;

const char *ir_dtype_name(ir_dtype t);
int ir_dtype_block_elems(ir_dtype t);
int ir_dtype_block_bytes(ir_dtype t);
int ir_dtype_is_quant(ir_dtype t);          /* block_elems > 1 */
int ir_dtype_from_gguf(uint32_t gguf_type); /* -1 if lmcc does not know it */
int ir_dtype_from_name(const char *s);      /* -1 if unknown */
/* bytes of one row of n elements (whole blocks, tail padded) */
size_t ir_row_bytes(ir_dtype t, int64_t n);
/* type id for lmrt_dequant_row / lmrt_quantize_row (GGUF id or LMRT_LMCC_*), -1 if none */
int ir_dtype_lmrt_type(ir_dtype t);
/* 1 when a linear with weights of dtype dt reads q8a activations under --act q8 (integer codes:
 * the q4/q5/q8 blocks, their groups and the K-quants; not nf4, not float) */
int ir_dtype_reads_q8a(ir_dtype dt);

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
    int want_dtype;         /* WEIGHT: dtype chosen for this tensor (mixprec), -1 = cfg.weights_mode */
    int64_t pad_cols;       /* WEIGHT: trailing columns added by a pass (the hadamard padding of the
                               rotate pass): stored, but not parameters of the model (bpw counts
                               shape[1] - pad_cols) */
} ir_tensor;

/* ---- ops ---------------------------------------------------------------
 * X(NAME, "text", n_inputs, has_output, side_effect, linear)
 * Inputs (in order) and attributes are documented per op:
 *  embed     (table[V][D] weight, token input[1] i32) -> [D]
 *  rmsnorm   (x[D], w[D] weight) -> [D]                      attr eps
 *  linear    (x[K], w[N][K] weight) -> [N]
 *  rope      (x[H*hd], table[ctx][rope_dim/2][2] f32 weight: cos,sin per
 *            position and pair, precomputed at compile time) -> [H*hd]   attrs n_heads, head_dim, rope_dim,
 *            rope_theta, rope_neox (0: adjacent pairs, llama2.c/GGUF llama;
 *            1: halves, NeoX/HF); rotates the first rope_dim dims of each head
 *  kv_store  (x[Hkv*hd], cache[Hkv][ctx][hd] state) -> none: cache[h][pos][:] = x[h]
 *  attention (q[H*hd], kcache, vcache) -> [H*hd]  attrs n_heads, n_kv_heads,
 *            head_dim, scale; causal over positions 0..pos
 *  add, mul  (a, b) -> elementwise, same shape
 *  silu      (a) -> a * sigmoid(a)
 *  softmax   (a) -> softmax over the last dim
 *  swiglu    (gate, up) -> silu(gate) * up
 * Fused ops (made by the fusion passes; exact in float against the unfused graph):
 *  normalize     (x[D]) -> x / sqrt(mean(x^2) + eps)   attr eps (rmsnorm whose weight was
 *                folded into the consuming linears)
 *  quantize      (x[K] f32) -> [K] q8a                 (activation quantized once per linear input)
 *  linear_add    (x[K], w[N][K], res[N]) -> w x + res  (residual add in the epilogue)
 *  linear_swiglu (x[K], w[2F][K]) -> [F]               rows [0,F) gate, [F,2F) up: silu(gate)*up
 *  qkv           (x[K], w[(H+2Hkv)*hd][K], rope table, kcache, vcache) -> q[H*hd]
 *                attrs as rope + attention: q rows, then k, then v; rope on q and k; k and v
 *                written to the caches at pos (the kv_store in the epilogue)
 *  take_last     (x[D]) -> [D]                         in a batch of n tokens, only the last
 *                row goes on (the logits are needed for the last token only)
 *  hadamard      (x[K]) -> [K']                        attr block (a power of two dividing K',
 *                K <= K' < K + block): x zero-padded to K', then each block of `block` values
 *                times H / sqrt(block) (Sylvester's Walsh-Hadamard matrix: symmetric, orthogonal,
 *                its own inverse).  The rotate pass puts it before a linear whose weight columns
 *                it has transformed the same way (exact in float; spreads activation outliers)
 * Linear-family ops accept x as f32 or q8a.
 *
 * Batching: the graph describes ONE token.  Execution applies it to a chunk of
 * n <= cfg.batch tokens at positions pos..pos+n-1 (attention and qkv are causal
 * within the chunk), so every activation buffer holds cfg.batch rows (memplan
 * sizes it so); after take_last, one row.
 */
#define IR_OP_LIST(X)                             \
    X(EMBED,     "embed",     2, 1, 0, 0)         \
    X(RMSNORM,   "rmsnorm",   2, 1, 0, 0)         \
    X(LINEAR,    "linear",    2, 1, 0, 1)         \
    X(ROPE,      "rope",      2, 1, 0, 0)         \
    X(KV_STORE,  "kv_store",  2, 0, 1, 0)         \
    X(ATTENTION, "attention", 3, 1, 0, 0)         \
    X(ADD,       "add",       2, 1, 0, 0)         \
    X(MUL,       "mul",       2, 1, 0, 0)         \
    X(SILU,      "silu",      1, 1, 0, 0)         \
    X(SOFTMAX,   "softmax",   1, 1, 0, 0)         \
    X(SWIGLU,    "swiglu",    2, 1, 0, 0)         \
    X(NORMALIZE, "normalize", 1, 1, 0, 0)         \
    X(QUANTIZE,  "quantize",  1, 1, 0, 0)         \
    X(LINEAR_ADD,    "linear_add",    3, 1, 0, 1) \
    X(LINEAR_SWIGLU, "linear_swiglu", 2, 1, 0, 1) \
    X(QKV,       "qkv",       5, 1, 1, 1)         \
    X(TAKE_LAST, "take_last", 1, 1, 0, 0)         \
    X(HADAMARD,  "hadamard",  1, 1, 0, 0)

typedef enum {
#define X(n, s, ni, ho, se, lin) IR_OP_##n,
    IR_OP_LIST(X)
#undef X
    IR_OP_COUNT
} ir_opcode;

typedef struct ir_op_info {
    const char *name;
    int n_inputs;
    int has_output;
    int side_effect;
    int linear;      /* the linear family: inputs[0] (x) times the weight matrix inputs[1] */
} ir_op_info;
extern const ir_op_info ir_op_table[IR_OP_COUNT];
int ir_op_from_name(const char *s); /* -1 if unknown */
/* hadamard's shape rule: block a power of two >= 2 dividing out, in <= out < in + block */
int ir_hadamard_ok(int64_t in, int64_t out, int block);
/* a weight's model parameters: its elements less the pad_cols of every row */
int64_t ir_weight_params(const ir_tensor *t);

typedef struct ir_attrs {
    float eps;
    int n_heads, n_kv_heads, head_dim, rope_dim, rope_neox;
    float rope_theta;
    float scale;
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
} ir_model_info;

/* Compile configuration that passes read (set by the driver). */
typedef struct ir_config {
    int ctx;                /* KV positions (>0) */
    ir_dtype kv_dtype;      /* F32 or F16 */
    int weights_mode;       /* IR_WEIGHTS_* */
    /* performance; zero = off / defaults */
    int fuse;               /* run the fusion passes */
    int act_q8;             /* quantize linear inputs to q8a (W4A8 / W8A8) */
    int tile_rows;          /* target's int4 tile rows R (> 1: the tiling pass repacks q4_0/q8_0) */
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

enum { IR_WEIGHTS_F32, IR_WEIGHTS_F16, IR_WEIGHTS_Q8, IR_WEIGHTS_Q4, IR_WEIGHTS_KEEP,
       /* 4-bit variants: q4_1, symmetric q4 with group 16/64/128, nf4 (group 32/64) */
       IR_WEIGHTS_Q4_1, IR_WEIGHTS_Q4_G16, IR_WEIGHTS_Q4_G64, IR_WEIGHTS_Q4_G128, IR_WEIGHTS_NF4,
       IR_WEIGHTS_NF4_G64,
       /* GGUF 5-bit blocks: q5_0 (5.5 bits per weight), q5_1 (6.0) */
       IR_WEIGHTS_Q5_0, IR_WEIGHTS_Q5_1,
       /* lmcc symmetric 3/5/6-bit groups of 64: 3.25 / 5.25 / 6.25 bits per weight */
       IR_WEIGHTS_Q3_G64, IR_WEIGHTS_Q5_G64, IR_WEIGHTS_Q6_G64 };

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

/* ---- checking and printing ---------------------------------------------
 * ir_verify returns 0 if the graph is well-formed, else writes one line per
 * problem into err (NUL-terminated) and returns -1.  A failure after a pass
 * is a compiler bug, never a user error. */
int ir_verify(const ir_graph *g, char *err, size_t errlen);
void ir_dump(const ir_graph *g, FILE *out);

#endif
