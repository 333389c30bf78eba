/* test_ir.c - IR tables, construction, verifier (one broken graph per kind of
 * problem) and the text dump. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "ir.h"
#include "ir_toy.h"
#include "passes.h"
#include "test_util.h"

static char err[8192];

static int find_node(const ir_graph *g, const char *out_name) {
    int t = ir_tensor_find(g, out_name);
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].output == t) return i;
    return -1;
}

static int find_op(const ir_graph *g, ir_opcode op) {
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == op) return i;
    return -1;
}

/* The mutation of the graph `make` builds must make ir_verify fail with a line containing `want`. */
#define EXPECT_BAD_GRAPH(make, what, mutate, want)                                                       \
    do {                                                                                                 \
        ir_graph *g = make;                                                                              \
        mutate;                                                                                          \
        int rc_ = ir_verify(g, err, sizeof err);                                                         \
        CHECK(rc_ == -1 && strstr(err, want), "%s: want \"%s\", got rc %d: %s", what, want, rc_, err);     \
        ir_graph_free(g);                                                                                \
    } while (0)
#define EXPECT_BAD(what, mutate, want) EXPECT_BAD_GRAPH(toy_graph(), what, mutate, want)

static ir_graph *toy_graph(void) {
    toy_params p = toy_default();
    return toy_build(&p);
}

static void test_tables(void) {
    CHECK_TRUE(strcmp(ir_dtype_name(IR_DT_Q8_0), "q8_0") == 0);
    CHECK_TRUE(ir_dtype_block_elems(IR_DT_Q4_K) == 256 && ir_dtype_block_bytes(IR_DT_Q4_K) == 144);
    CHECK_TRUE(ir_dtype_is_quant(IR_DT_Q4_0) && !ir_dtype_is_quant(IR_DT_F16));
    CHECK_TRUE(ir_dtype_from_gguf(8) == IR_DT_Q8_0 && ir_dtype_from_gguf(30) == IR_DT_BF16);
    CHECK_TRUE(ir_dtype_from_gguf(99) == -1);
    CHECK_TRUE(ir_dtype_from_name("q6_k") == IR_DT_Q6_K && ir_dtype_from_name("q9") == -1);
    /* stories260K's ffn: 172 = 5 blocks + 12 -> 6 blocks */
    CHECK_TRUE(ir_row_bytes(IR_DT_Q8_0, 172) == 6 * 34);
    CHECK_TRUE(ir_row_bytes(IR_DT_Q4_0, 32) == 18);
    CHECK_TRUE(ir_row_bytes(IR_DT_F16, 7) == 14);
    CHECK_TRUE(strcmp(ir_kind_name(IR_KIND_STATE), "state") == 0);
    CHECK_TRUE(ir_op_from_name("swiglu") == IR_OP_SWIGLU && ir_op_from_name("conv") == -1);
    CHECK_TRUE(ir_op_table[IR_OP_KV_STORE].side_effect && !ir_op_table[IR_OP_KV_STORE].has_output);
    CHECK_TRUE(ir_op_table[IR_OP_ATTENTION].n_inputs == 3);
    /* the linear family (x times a weight matrix): exactly these four */
    for (int op = 0; op < IR_OP_COUNT; op++)
        CHECK_TRUE(ir_op_table[op].linear == (op == IR_OP_LINEAR || op == IR_OP_LINEAR_ADD || op == IR_OP_LINEAR_SWIGLU ||
                                         op == IR_OP_QKV));
    /* the columns of a row agree: inputs are the slots before the first NONE, none after;
     * an output has a dtype; a linear reads x (f32 or q8a) and a matrix; only side effects write caches */
    for (int op = 0; op < IR_OP_COUNT; op++) {
        const ir_op_info *oi = &ir_op_table[op];
        for (int k = 0; k < IR_MAX_INPUTS; k++) CHECK_TRUE((oi->slot[k] != IR_SLOT_NONE) == (k < oi->n_inputs));
        CHECK_TRUE(oi->n_inputs >= 1 && oi->has_output == (oi->out_dtype >= 0));
        CHECK_TRUE(oi->linear == (oi->slot[0] == IR_SLOT_ACTQ) && oi->linear == (oi->slot[1] == IR_SLOT_MATRIX));
        CHECK_TRUE(oi->has_output || oi->side_effect);
        CHECK_TRUE(ir_op_from_name(oi->name) == op && strcmp(ir_op_name(op), oi->name) == 0);
    }
    CHECK_TRUE(ir_op_table[IR_OP_QUANTIZE].out_dtype == IR_DT_Q8A && ir_op_table[IR_OP_ADD].out_dtype == IR_DT_F32);
    CHECK_TRUE(ir_op_table[IR_OP_QKV].slot[3] == IR_SLOT_CACHE && ir_op_table[IR_OP_QKV].side_effect);
    CHECK_TRUE(strcmp(ir_op_name(IR_OP_COUNT), "?") == 0 && strcmp(ir_op_name(-1), "?") == 0);
    CHECK_TRUE(ir_slot_table[IR_SLOT_CACHE].kind == IR_KIND_STATE &&
          ir_slot_table[IR_SLOT_CACHE].dtypes == (IR_DT_BIT(F32) | IR_DT_BIT(F16) | IR_DT_BIT(Q8_KV)));
    ir_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = IR_DT_Q8_0;
    t.ndim = 2;
    t.shape[0] = 3;
    t.shape[1] = 40;
    CHECK_TRUE(ir_tensor_elems(&t) == 120 && ir_tensor_bytes(&t) == 3 * 2 * 34);
    ir_attrs a = ir_attrs_none();
    CHECK_TRUE(a.layer == -1 && a.n_heads == 0);
}

static void test_construct(void) {
    toy_params p = toy_default();
    ir_graph *g = toy_build(&p);
    CHECK_TRUE(g != NULL);
    int rc = ir_verify(g, err, sizeof err);
    if (rc) fprintf(stderr, "toy graph: %s", err);
    CHECK_TRUE(rc == 0 && err[0] == 0);
    int q = ir_tensor_find(g, "l1.q");
    CHECK_TRUE(q >= 0 && g->tensors[q].kind == IR_KIND_ACT && g->tensors[q].dtype == IR_DT_F32);
    CHECK_TRUE(g->tensors[q].arena_offset == -1 && g->tensors[q].first_use == -1 && !g->tensors[q].dead);
    CHECK_TRUE(ir_tensor_find(g, "no.such") == -1);
    int n = find_node(g, "l1.q");
    CHECK_TRUE(n >= 0 && g->nodes[n].op == IR_OP_LINEAR && g->nodes[n].inputs[2] == -1);
    CHECK_TRUE(g->nodes[n].attrs.layer == 1);
    int ks = find_op(g, IR_OP_KV_STORE);
    CHECK_TRUE(ks >= 0 && g->nodes[ks].output == -1);
    ir_graph_free(g);

    p.extra = 1;
    g = toy_build(&p);
    CHECK_TRUE(ir_verify(g, err, sizeof err) == 0);
    ir_graph_free(g);

    /* a sliding-window layer on a ring of window + batch - 1 slots (ir_kv_slots) verifies */
    g = toy_build(&p);
    g->cfg.batch = 4;
    int at = find_node(g, "l0.attn");
    g->nodes[at].attrs.window = 5, g->nodes[at].attrs.softcap = 30.0f;
    CHECK_TRUE(ir_kv_slots(&g->cfg, 5) == 8 && ir_kv_slots(&g->cfg, 0) == 16 && ir_kv_slots(&g->cfg, 15) == 16);
    g->tensors[g->nodes[at].inputs[1]].shape[1] = g->tensors[g->nodes[at].inputs[2]].shape[1] = 8;
    CHECK(ir_verify(g, err, sizeof err) == 0, "ring: %s", err);
    CHECK_TRUE(ir_cache_positions(g, &g->tensors[g->nodes[at].inputs[1]]) == 16);
    ir_graph_free(g);
}

static void test_verify(void) {
    /* ids and arity */
    EXPECT_BAD("bad input id", g->nodes[find_node(g, "l0.q")].inputs[0] = 9999,
               "input 0 is not a tensor id");
    EXPECT_BAD("dead input", g->tensors[ir_tensor_find(g, "blk.0.attn_q.weight")].dead = 1,
               "input 1 \"blk.0.attn_q.weight\" is dead");
    EXPECT_BAD("arity", g->nodes[find_node(g, "l0.q")].inputs[2] = 0, "linear takes 2 inputs");
    EXPECT_BAD("missing input", g->nodes[find_node(g, "l0.q")].inputs[1] = -1,
               "input 1 is not a tensor id");
    /* ordering and single assignment */
    EXPECT_BAD("use before def", g->nodes[find_node(g, "l0.q")].inputs[0] = ir_tensor_find(g, "l1.attn_in"),
               "\"l1.attn_in\" used before it is defined");
    EXPECT_BAD("double assignment", g->nodes[find_node(g, "l0.k")].output = ir_tensor_find(g, "l0.q"),
               "already assigned by node");
    EXPECT_BAD("output kind", g->tensors[ir_tensor_find(g, "l0.v")].kind = IR_KIND_STATE,
               "output \"l0.v\" is state, must be act");
    EXPECT_BAD("input kind", g->nodes[find_node(g, "l0.q")].inputs[1] = ir_tensor_find(g, "l0.attn_in"),
               "input 1 \"l0.attn_in\" is act, expected weight");
    EXPECT_BAD("kv_store with output", g->nodes[find_op(g, IR_OP_KV_STORE)].output = ir_tensor_find(g, "l0.q"),
               "kv_store has no output");
    EXPECT_BAD("dead node, live output", g->nodes[find_node(g, "l1.up")].dead = 1,
               "dead node with live output \"l1.up\"");
    /* a tensor the rules cannot read: reported, not read out of bounds */
    EXPECT_BAD("ndim", g->tensors[ir_tensor_find(g, "l0.attn_in")].ndim = 7,
               "node 3 (linear): input 0 \"l0.attn_in\": ndim not in 1..IR_MAX_DIMS");
    EXPECT_BAD("act dtype", g->tensors[ir_tensor_find(g, "l0.up")].dtype = IR_DT_F16,
               "activation dtype f16");
    /* shapes */
    EXPECT_BAD("linear out", g->tensors[ir_tensor_find(g, "l0.q")].shape[0] = 65,
               "output \"l0.q\" is [65], the op gives [64]");
    EXPECT_BAD("linear K", {
        ir_tensor *w = &g->tensors[ir_tensor_find(g, "blk.1.attn_q.weight")];
        w->shape[1] = 32; w->shape[0] = 128; /* same bytes, wrong K */
    }, "x has 64 elements, weight \"blk.1.attn_q.weight\" is [128][32]");
    EXPECT_BAD("linear 1-D weight", {
        int n = find_node(g, "l0.q");
        g->nodes[n].inputs[1] = ir_tensor_find(g, "blk.0.attn_norm.weight");
    }, "weight \"blk.0.attn_norm.weight\" must be [N][K], has 1 dims");
    EXPECT_BAD("rmsnorm weight", {
        int n = find_node(g, "l0.attn_in");
        g->nodes[n].inputs[1] = ir_tensor_find(g, "blk.0.attn_q.weight");
    }, "weight has 4096 elements, rows of x have 64");
    EXPECT_BAD("embed table", {
        ir_tensor *w = &g->tensors[ir_tensor_find(g, "token_embd.weight")];
        w->ndim = 1; w->shape[0] = 6400;
    }, "table \"token_embd.weight\" must be [V][D], has 1 dims");
    EXPECT_BAD("embed out", g->tensors[ir_tensor_find(g, "x.emb")].shape[0] = 63,
               "output \"x.emb\" is [63], the op gives [64]");
    EXPECT_BAD("embed token", g->tensors[g->token_input].dtype = IR_DT_F32, "input 1 \"token\" is f32, the token must be i32");
    EXPECT_BAD("rope odd", g->nodes[find_node(g, "l0.q_rope")].attrs.rope_dim = 7,
               "rope_dim 7 must be even");
    EXPECT_BAD("rope > head_dim", g->nodes[find_node(g, "l0.q_rope")].attrs.rope_dim = 32,
               "rope_dim 32 must be even, > 0 and <= head_dim 16");
    EXPECT_BAD("rope heads", g->nodes[find_node(g, "l0.k_rope")].attrs.n_heads = 4,
               "n_heads*head_dim = 64, x has 32 elements");
    EXPECT_BAD("rope rows", g->nodes[find_node(g, "l0.q_rope")].attrs.rope_dim = 8,
               "rope rows \"rope\" must be [4][2]");
    EXPECT_BAD("rope frequencies", g->tensors[ir_tensor_find(g, "rope.freqs")].dtype = IR_DT_F16,
               "frequencies \"rope.freqs\" must be an f32 vector, is f16 with 1 dims");
    EXPECT_BAD("cache dtype", g->tensors[ir_tensor_find(g, "l1.v_cache")].dtype = IR_DT_Q8_0,
               "input 1 \"l1.v_cache\" is q8_0, the cache must be f32 or f16");
    EXPECT_BAD("cache rank", g->tensors[ir_tensor_find(g, "l1.k_cache")].ndim = 2,
               "cache \"l1.k_cache\" must be [n_kv][slots][head_dim]");
    EXPECT_BAD("cache heads", g->tensors[ir_tensor_find(g, "l0.k_cache")].shape[0] = 4,
               "expected [2][slots][16]");
    /* sliding windows and rings: a cache has at most ctx slots; attention over every position needs
     * all ctx, a window of w (chunks of 1 token here) a ring of at least w */
    EXPECT_BAD("cache slots", g->tensors[ir_tensor_find(g, "l0.k_cache")].shape[1] = 20,
               "cache \"l0.k_cache\" has 20 slots, ctx is 16");
    EXPECT_BAD("window", g->nodes[find_node(g, "l0.attn")].attrs.window = -1, "window -1 must be >= 0");
    EXPECT_BAD("softcap", g->nodes[find_node(g, "l0.attn")].attrs.softcap = -2.0f, "softcap -2 must be finite and >= 0");
    EXPECT_BAD("softcap nan", g->nodes[find_node(g, "l0.attn")].attrs.softcap = NAN, "softcap nan must be finite");
    EXPECT_BAD("ring without a window", {
        g->tensors[ir_tensor_find(g, "l0.k_cache")].shape[1] = 8;
        g->tensors[ir_tensor_find(g, "l0.v_cache")].shape[1] = 8;
    }, "caches have 8 slots; attention over every position needs ctx = 16");
    EXPECT_BAD("ring too small", {
        g->tensors[ir_tensor_find(g, "l0.k_cache")].shape[1] = 5;
        g->tensors[ir_tensor_find(g, "l0.v_cache")].shape[1] = 5;
        g->nodes[find_node(g, "l0.attn")].attrs.window = 6;
    }, "caches have 5 slots; a window of 6 with chunks of 1 tokens needs 6");
    EXPECT_BAD("ring too small for a chunk", {
        g->cfg.batch = 4;
        g->tensors[ir_tensor_find(g, "l0.k_cache")].shape[1] = 6;
        g->tensors[ir_tensor_find(g, "l0.v_cache")].shape[1] = 6;
        g->nodes[find_node(g, "l0.attn")].attrs.window = 6;
    }, "caches have 6 slots; a window of 6 with chunks of 4 tokens needs 9");
    EXPECT_BAD("gqa", g->nodes[find_node(g, "l0.attn")].attrs.n_kv_heads = 3,
               "n_heads 4 not a multiple of n_kv_heads 3");
    EXPECT_BAD("attn q", g->nodes[find_node(g, "l0.attn")].attrs.n_heads = 2,
               "n_heads*head_dim = 32, q has 64 elements");
    EXPECT_BAD("same k/v cache", {
        int n = find_node(g, "l0.attn");
        g->nodes[n].inputs[2] = g->nodes[n].inputs[1];
    }, "k and v caches are the same tensor");
    EXPECT_BAD("kv_store size", {
        int n = find_op(g, IR_OP_KV_STORE);
        g->nodes[n].inputs[0] = ir_tensor_find(g, "l0.q_rope");
    }, "x has 64 elements, cache \"l0.k_cache\" holds 32 per position");
    EXPECT_BAD("add shapes", {
        int n = find_node(g, "l0.x_ffn");
        g->nodes[n].inputs[1] = ir_tensor_find(g, "l0.up");
    }, "operands have 64 and 80 elements");
    EXPECT_BAD("swiglu out", g->tensors[ir_tensor_find(g, "l1.swiglu")].shape[0] = 64,
               "output \"l1.swiglu\" is [64], the op gives [80]");
    /* weights */
    EXPECT_BAD("weight data", g->tensors[ir_tensor_find(g, "blk.1.ffn_up.weight")].data = NULL,
               "\"blk.1.ffn_up.weight\": weight has no data");
    EXPECT_BAD("weight bytes", g->tensors[ir_tensor_find(g, "blk.1.ffn_up.weight")].nbytes -= 4,
               "weight has 20476 bytes, f32[..] needs 20480");
    EXPECT_BAD("weight dtype", g->tensors[ir_tensor_find(g, "blk.1.ffn_up.weight")].dtype = IR_DT_Q8_0,
               "weight has 20480 bytes, q8_0[..] needs 5440");
    /* the graph output */
    EXPECT_BAD("no logits", g->logits = -1, "logits tensor id -1 is not a tensor");
    EXPECT_BAD("logits is a weight", g->logits = ir_tensor_find(g, "output.weight"),
               "is not produced by a live node");
}

/* Arena checks: plan the toy graph with the real passes, then break it. */
static ir_graph *planned(void) {
    toy_params p = toy_default();
    ir_graph *g = toy_build(&p);
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    CHECK(lmcc_pass_dce(g, &pc) == 0 && lmcc_pass_kvlayout(g, &pc) == 0 && lmcc_pass_memplan(g, &pc) == 0,
          "planning failed: %s", pc.err);
    return g;
}

#define EXPECT_BAD_PLAN(what, mutate, want) EXPECT_BAD_GRAPH(planned(), what, mutate, want)

static void test_verify_arena(void) {
    ir_graph *g0 = planned();
    int rc = ir_verify(g0, err, sizeof err);
    if (rc) fprintf(stderr, "planned toy: %s", err);
    CHECK_TRUE(rc == 0);
    ir_graph_free(g0);

    /* l0.q and l0.k are both live while the rope of q runs */
    EXPECT_BAD_PLAN("act overlap", {
        g->tensors[ir_tensor_find(g, "l0.k")].arena_offset = g->tensors[ir_tensor_find(g, "l0.q")].arena_offset + 64;
    }, "overlapping arena memory while both live");
    EXPECT_BAD_PLAN("state overlap", {
        g->tensors[ir_tensor_find(g, "l1.v_cache")].arena_offset = g->tensors[ir_tensor_find(g, "l1.k_cache")].arena_offset;
    }, "\"l1.k_cache\" and tensor");
    EXPECT_BAD_PLAN("act over state", {
        g->tensors[ir_tensor_find(g, "l0.q")].arena_offset = 0;
    }, "overlapping arena memory");
    EXPECT_BAD_PLAN("outside arena", {
        g->tensors[ir_tensor_find(g, "l1.gate")].arena_offset = g->arena_bytes - 64;
    }, "outside the arena");
    EXPECT_BAD_PLAN("scratch", g->tensors[ir_tensor_find(g, "l1.gate")].arena_offset = g->scratch_offset,
                    "\"l1.gate\": overlaps the scratch region");
    EXPECT_BAD_PLAN("short interval", g->tensors[ir_tensor_find(g, "l0.attn_in")].last_use--,
                    "input \"l0.attn_in\" read outside its live range");
    EXPECT_BAD_PLAN("no interval", g->tensors[ir_tensor_find(g, "l0.up")].first_use = -1,
                    "\"l0.up\": planned without a live range");
    EXPECT_BAD_PLAN("logits overwritten", {
        /* reuse the logits' memory for the final norm: both live at the last node */
        g->tensors[ir_tensor_find(g, "x.final")].arena_offset = g->tensors[g->logits].arena_offset;
    }, "\"logits\": overlapping arena memory while both live");
}

static char *dump_text(const ir_graph *g) {
    FILE *f = tmpfile();
    if (f) ir_dump(g, f);
    return test_read_stream(f);
}

static int has_line(const char *text, const char *line) {
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0)) return 1;
    return 0;
}

#define CHECK_LINE(text, ...)                                                 \
    do {                                                                      \
        char want_[256];                                                      \
        snprintf(want_, sizeof want_, __VA_ARGS__);                           \
        CHECK(has_line(text, want_), "dump lacks line: %s", want_);            \
    } while (0)

static void test_dump(void) {
    toy_params p = toy_default();
    p.extra = 1;
    ir_graph *g = toy_build(&p);
    char *s = dump_text(g);
    CHECK_TRUE(s != NULL);
    if (!s) return;
    CHECK_LINE(s, "model llama \"toy\": dim 64, layers 2, heads 4/2, head_dim 16, ffn 80, vocab 100, ctx 16");
    CHECK_LINE(s, "weight %%w%d \"token_embd.weight\" f32[100][64]  25600 bytes",
               ir_tensor_find(g, "token_embd.weight"));
    CHECK_LINE(s, "state  %%s%d \"l0.k_cache\" f32[2][16][16]", ir_tensor_find(g, "l0.k_cache"));
    CHECK_LINE(s, "input  %%in%d \"token\" i32[1]", g->token_input);
    CHECK_LINE(s, "%%%d \"l0.q\" f32[64] = linear %%%d, %%w%d  ; layer 0", ir_tensor_find(g, "l0.q"),
               ir_tensor_find(g, "l0.attn_in"), ir_tensor_find(g, "blk.0.attn_q.weight"));
    CHECK_LINE(s, "kv_store %%%d, %%s%d  ; layer 1", ir_tensor_find(g, "l1.k_rope"),
               ir_tensor_find(g, "l1.k_cache"));
    CHECK_LINE(s, "%%%d \"l1.attn\" f32[64] = attention %%%d, %%s%d, %%s%d {heads 4/2, head_dim 16, scale 0.25}  ; layer 1",
               ir_tensor_find(g, "l1.attn"), ir_tensor_find(g, "l1.q_rope"),
               ir_tensor_find(g, "l1.k_cache"), ir_tensor_find(g, "l1.v_cache"));
    CHECK_LINE(s, "%%%d \"logits\" f32[100] = linear %%%d, %%w%d  ; logits", g->logits,
               ir_tensor_find(g, "x.final"), ir_tensor_find(g, "output.weight"));
    CHECK_TRUE(strstr(s, "\"l0.extra\"") != NULL);
    CHECK_TRUE(strstr(s, "arena:") == NULL); /* not planned yet */
    free(s);

    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    CHECK_TRUE(lmcc_run_passes(g, &pc, NULL) == 0);
    s = dump_text(g);
    if (!s) return;
    CHECK_TRUE(strstr(s, "\"l0.extra\"") == NULL);          /* dead: omitted */
    CHECK_TRUE(strstr(s, "blk.0.extra.weight") == NULL);
    CHECK_TRUE(strstr(s, "unread_cache") == NULL);
    CHECK_LINE(s, "state  %%s%d \"l0.k_cache\" f32[2][16][16] arena@0", ir_tensor_find(g, "l0.k_cache"));
    const ir_tensor *q = &g->tensors[ir_tensor_find(g, "l0.q")];
    CHECK_LINE(s, "%%%d \"l0.q\" f32[64] = linear %%%d, %%w%d  ; arena@%lld live %d..%d, layer 0",
               ir_tensor_find(g, "l0.q"), ir_tensor_find(g, "l0.attn_in"),
               ir_tensor_find(g, "blk.0.attn_q.weight"), (long long)q->arena_offset, q->first_use,
               q->last_use);
    CHECK_LINE(s, "arena: %lld bytes (act %lld, kv %lld, scratch %lld; naive %lld)",
               (long long)g->arena_bytes, (long long)g->act_bytes, (long long)g->kv_bytes,
               (long long)g->scratch_bytes, (long long)g->naive_bytes);
    free(s);
    ir_graph_free(g);
}

int main(void) {
    test_tables();
    test_construct();
    test_verify();
    test_verify_arena();
    test_dump();
    return test_finish("test_ir", NULL);
}
