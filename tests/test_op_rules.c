/* test_op_rules.c - the op rules of ir/ops.c, which the verifier, the float
 * interpreter and the batched evaluator share.  For every op of IR_OP_LIST a
 * well-formed node in a small graph: the verifier accepts it, the interpreter
 * and the evaluator run it and agree.  Then the node broken, one way at a time:
 * an input too many and one missing, each input replaced by a tensor of another
 * kind, each input's last dimension 32 larger, the output one larger, a cache of
 * a dtype no cache has.  The verifier rejects every one with a line naming the
 * node; the interpreter (and AWQ's calibration recorder on it), the evaluator's
 * whole run, its lockstep decoder and its backward reject it with that same
 * line.  An op outside the table is rejected by all of them and by codegen. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "codegen.h"
#include "interp.h"
#include "ir_toy.h"
#include "passes.h"
#include "seqeval.h"
#include "target.h"
#include "test_model.h"
#include "tiny_llama.h"
#include "vocab.h"

static int rejected;

enum { D = 64, H = 4, HKV = 2, HD = 16, CTX = 8, V = 16, LEN = 5 };

/* input shapes (outermost first, 0-terminated) and the output shape the op's rule must give */
typedef struct op_case {
    ir_opcode op;
    int64_t in[IR_MAX_INPUTS][3];
    int64_t out[2]; /* the output's shape ({0}: no output; out[1] 0: a 1-D output) */
} op_case;

#define CACHE_SHAPE {HKV, CTX, HD}
#define ROPE_SHAPE {HD / 2, 2}
static const op_case cases[] = {
    {IR_OP_EMBED, {{V, D}, {1}}, {D}},
    {IR_OP_ROPE_TABLE, {{HD / 2}}, {HD / 2, 2}},
    {IR_OP_RMSNORM, {{D}, {D}}, {D}},
    {IR_OP_HEAD_NORM, {{H * HD}, {HD}}, {H * HD}},
    {IR_OP_LINEAR, {{D}, {48, D}}, {48}},
    {IR_OP_ADD_BIAS, {{48}, {48}}, {48}},
    {IR_OP_ROPE, {{D}, ROPE_SHAPE}, {D}},
    {IR_OP_KV_STORE, {{HKV * HD}, CACHE_SHAPE}, {0}},
    {IR_OP_ATTENTION, {{D}, CACHE_SHAPE, CACHE_SHAPE}, {D}},
    {IR_OP_ADD, {{D}, {D}}, {D}},
    {IR_OP_MUL, {{D}, {D}}, {D}},
    {IR_OP_SILU, {{D}}, {D}},
    {IR_OP_SOFTMAX, {{D}}, {D}},
    {IR_OP_SWIGLU, {{D}, {D}}, {D}},
    {IR_OP_NORMALIZE, {{D}}, {D}},
    {IR_OP_QUANTIZE, {{D}}, {D}},
    {IR_OP_LINEAR_ADD, {{D}, {48, D}, {48}}, {48}},
    {IR_OP_LINEAR_SWIGLU, {{D}, {96, D}}, {48}},
    {IR_OP_QKV, {{D}, {(H + 2 * HKV) * HD, D}, ROPE_SHAPE, CACHE_SHAPE, CACHE_SHAPE}, {H * HD}},
    {IR_OP_TAKE_LAST, {{D}}, {D}},
    {IR_OP_HADAMARD, {{48}}, {64}},
    {IR_OP_GEGLU, {{D}, {D}}, {D}},
    {IR_OP_SCALE, {{D}}, {D}},
    {IR_OP_SOFTCAP, {{D}}, {D}},
};

/* a fixture: one node of the op under test in a graph token -> embed -> (a linear per activation input) */
typedef struct fixture {
    ir_graph *g;
    int node, emb, table;
} fixture;

static int ndims(const int64_t *s) {
    int n = 0;
    while (n < 3 && s[n]) n++;
    return n;
}

/* bump: input slot whose last dimension is 32 larger (-1: none) */
static fixture fx_build(const op_case *c, int bump) {
    fixture f = {ir_graph_new(), -1, -1, -1};
    ir_graph *g = f.g;
    const ir_op_info *oi = &ir_op_table[c->op];
    int64_t one = 1;
    g->cfg.ctx = CTX;
    g->cfg.kv_dtype = IR_DT_F32;
    g->token_input = ir_tensor_add(g, "token", IR_KIND_INPUT, IR_DT_I32, 1, &one);
    f.table = toy_weight(g, "embd", 2, V, D);
    int in2[2] = {f.table, g->token_input};
    f.emb = ir_node_add(g, IR_OP_EMBED, in2, NULL, "emb", 1, (int64_t[]){D});
    int in[IR_MAX_INPUTS] = {-1, -1, -1, -1, -1};
    for (int k = 0; k < oi->n_inputs; k++) {
        int64_t s[3];
        int nd = ndims(c->in[k]);
        char name[32];
        memcpy(s, c->in[k], sizeof s);
        if (k == bump) s[nd - 1] += 32;
        snprintf(name, sizeof name, "in%d", k);
        switch (oi->slot[k]) {
        case IR_SLOT_ACT: case IR_SLOT_ACTQ: { /* a linear of the embedding */
            int w = toy_weight(g, name, 2, s[0], D), lin[2] = {f.emb, w};
            snprintf(name, sizeof name, "x%d", k);
            in[k] = ir_node_add(g, IR_OP_LINEAR, lin, NULL, name, 1, s);
            break;
        }
        case IR_SLOT_MATRIX: case IR_SLOT_ROWS: case IR_SLOT_VECTOR: in[k] = toy_weight(g, name, nd, s[0], s[1]); break;
        case IR_SLOT_ROPE: /* a rope_table's rows; 32 wider: rows no rope_table makes (the check is the shape's) */
            in[k] = k == bump ? ir_tensor_add(g, name, IR_KIND_ACT, IR_DT_F32, nd, s) : toy_rope_rows(g, HD, 10000.0f);
            break;
        case IR_SLOT_CACHE: in[k] = ir_tensor_add(g, name, IR_KIND_STATE, IR_DT_F32, nd, s); break;
        case IR_SLOT_TOKEN: in[k] = k == bump ? ir_tensor_add(g, name, IR_KIND_INPUT, IR_DT_I32, nd, s) : g->token_input; break;
        case IR_SLOT_NONE: case IR_SLOT_COUNT: break;
        }
    }
    ir_attrs a = ir_attrs_none();
    a.eps = 1e-5f, a.n_heads = H, a.n_kv_heads = HKV, a.head_dim = HD, a.rope_dim = HD;
    a.scale = 0.25f, a.block = 32, a.softcap = 3.0f; /* the softcap op's cap, and attention's */
    int y = ir_node_add(g, c->op, in, &a, "y", c->out[1] ? 2 : 1, c->out);
    f.node = g->n_nodes - 1;
    if (y >= 0 && oi->out_dtype == IR_DT_Q8A) g->tensors[y].dtype = IR_DT_Q8A;
    g->logits = y >= 0 ? y : f.emb;
    return f;
}

static const lmcc_eval_seqs *seqs(void) {
    static int ids[LEN] = {1, 7, 3, 12, 0}, *rows[1] = {ids}, len[1] = {LEN};
    static const lmcc_eval_seqs s = {1, len, rows};
    return &s;
}

static int contains(const char *hay, const char *needle) { return needle[0] && strstr(hay, needle) != NULL; }

/* the node check's line for f.node must be what the verifier, the interpreter and every mode
 * of the evaluator report; `want` a part of it */
static void expect_rejected(fixture *f, const char *what, const char *want) {
    char line[512], verr[4096], ierr[512], serr[512];
    ir_graph *g = f->g;
    rejected++;
    int rc = ir_node_check(g, f->node, line, sizeof line);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "node %d", f->node);
    CHECK(rc == -1 && strncmp(line, prefix, strlen(prefix)) == 0 && (!want || contains(line, want)),
          "%s: node check rc %d: \"%s\" (want \"%s\")", what, rc, line, want ? want : "");
    CHECK(ir_verify(g, verr, sizeof verr) == -1 && contains(verr, line), "%s: verifier: %s", what, verr);
    CHECK(lmcc_interp_check(g, ierr, sizeof ierr) == -1 && contains(ierr, line), "%s: interpreter: %s", what, ierr);
    CHECK(lmcc_interp_new(g) == NULL, "%s: the interpreter was built", what);
    serr[0] = 0;
    CHECK(lmcc_eval_seq_run(g, seqs(), NULL, NULL, NULL, serr, sizeof serr) == -1 && contains(serr, line),
          "%s: evaluator: %s", what, serr);
    serr[0] = 0;
    lmcc_eval_step *st = lmcc_eval_step_new(g, 1, LEN, 1, serr, sizeof serr);
    CHECK(!st && contains(serr, line), "%s: lockstep: %s", what, serr);
    lmcc_eval_step_free(st);
    serr[0] = 0;
    CHECK(lmcc_eval_seq_backward(g, seqs(), NULL, NULL, 1, serr, sizeof serr) == -1 && contains(serr, line),
          "%s: backward: %s", what, serr);
    lmcc_eval_calib cal; /* AWQ's recorder runs the interpreter */
    serr[0] = 0;
    CHECK(lmcc_eval_calib_run(g, seqs(), NULL, 0, 0, &cal, NULL, serr, sizeof serr) == -1 && contains(serr, line),
          "%s: calibration recorder: %s", what, serr);
    lmcc_eval_calib_free(&cal);
}

/* well formed: accepted, and the interpreter's logits are the evaluator's (to rounding) */
static void expect_accepted(const op_case *c) {
    const char *op = ir_op_table[c->op].name;
    fixture f = fx_build(c, -1);
    char err[4096] = "";
    int rc = ir_verify(f.g, err, sizeof err);
    CHECK(rc == 0, "%s: well formed, rejected: %s", op, err);
    CHECK(lmcc_interp_check(f.g, err, sizeof err) == 0, "%s: interpreter: %s", op, err);
    lmcc_interp *it = lmcc_interp_new(f.g);
    int64_t w = ir_tensor_elems(&f.g->tensors[f.g->logits]);
    float *lg = calloc((size_t)(LEN * w), sizeof *lg);
    lmcc_eval_seq_opts o = {0};
    o.logits = lg;
    rc = lmcc_eval_seq_run(f.g, seqs(), NULL, NULL, &o, err, sizeof err);
    CHECK(it && rc == 0, "%s: evaluator: %s", op, err);
    double worst = 0;
    for (int p = 0; it && rc == 0 && p < LEN; p++) {
        const float *ref = lmcc_interp_step(it, seqs()->ids[0][p], p);
        for (int64_t i = 0; ref && i < w; i++) {
            double d = fabs((double)ref[i] - lg[p * w + i]) / (1.0 + fabs(ref[i]));
            if (!(d <= worst)) worst = d;
        }
    }
    CHECK(worst <= 1e-5, "%s: interpreter and evaluator differ by %g", op, worst);
    lmcc_interp_free(it);
    free(lg);
    ir_graph_free(f.g);
}

static void test_every_op(void) {
    int covered[IR_OP_COUNT] = {0};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const op_case *c = &cases[ci];
        const ir_op_info *oi = &ir_op_table[c->op];
        char what[160], want[160];
        covered[c->op] = 1;
        expect_accepted(c);
        /* input count */
        if (oi->n_inputs < IR_MAX_INPUTS) {
            fixture f = fx_build(c, -1);
            f.g->nodes[f.node].inputs[oi->n_inputs] = f.emb;
            snprintf(what, sizeof what, "%s with an extra input", oi->name);
            snprintf(want, sizeof want, "%s takes %d inputs, input %d is set", oi->name, oi->n_inputs, oi->n_inputs);
            expect_rejected(&f, what, want);
            ir_graph_free(f.g);
        }
        fixture f = fx_build(c, -1);
        f.g->nodes[f.node].inputs[oi->n_inputs - 1] = -1;
        snprintf(what, sizeof what, "%s without its last input", oi->name);
        snprintf(want, sizeof want, "input %d is not a tensor id (-1)", oi->n_inputs - 1);
        expect_rejected(&f, what, want);
        ir_graph_free(f.g);
        for (int k = 0; k < oi->n_inputs; k++) {
            /* kind: an activation where the slot wants anything else, else a weight */
            ir_kind kind = ir_slot_table[oi->slot[k]].kind;
            f = fx_build(c, -1);
            f.g->nodes[f.node].inputs[k] = kind == IR_KIND_ACT ? f.table : f.emb;
            snprintf(what, sizeof what, "%s input %d of the wrong kind", oi->name, k);
            snprintf(want, sizeof want, "is %s, expected %s", kind == IR_KIND_ACT ? "weight" : "act", ir_kind_name(kind));
            expect_rejected(&f, what, want);
            ir_graph_free(f.g);
            /* shape */
            f = fx_build(c, k);
            snprintf(what, sizeof what, "%s input %d 32 wider", oi->name, k);
            expect_rejected(&f, what, NULL);
            ir_graph_free(f.g);
            /* dtype */
            if (oi->slot[k] == IR_SLOT_CACHE) {
                f = fx_build(c, -1);
                f.g->tensors[f.g->nodes[f.node].inputs[k]].dtype = IR_DT_Q8_0;
                snprintf(what, sizeof what, "%s input %d a q8_0 cache", oi->name, k);
                expect_rejected(&f, what, "the cache must be f32 or f16");
                ir_graph_free(f.g);
            }
        }
        /* output */
        f = fx_build(c, -1);
        if (oi->has_output) {
            ir_tensor *y = &f.g->tensors[f.g->nodes[f.node].output];
            y->shape[0]++;
            char d2[32] = "";
            if (c->out[1]) snprintf(d2, sizeof d2, "[%lld]", (long long)c->out[1]);
            snprintf(want, sizeof want, "output \"y\" is [%lld]%s, the op gives [%lld]%s", (long long)c->out[0] + 1, d2,
                     (long long)c->out[0], d2);
        } else {
            f.g->nodes[f.node].output = f.emb;
            snprintf(want, sizeof want, "%s has no output, output is %d", oi->name, f.emb);
        }
        snprintf(what, sizeof what, "%s output", oi->name);
        expect_rejected(&f, what, want);
        ir_graph_free(f.g);
    }
    for (int op = 0; op < IR_OP_COUNT; op++) CHECK(covered[op], "op %s has no case here", ir_op_table[op].name);
}

/* an op value outside IR_OP_LIST */
static void test_unknown_op(void) {
    fixture f = fx_build(&cases[9], -1); /* add */
    CHECK(cases[9].op == IR_OP_ADD, "cases[9] is add");
    f.g->nodes[f.node].op = (ir_opcode)IR_OP_COUNT;
    char want[64];
    snprintf(want, sizeof want, "node %d: op %d is not in IR_OP_LIST", f.node, IR_OP_COUNT);
    expect_rejected(&f, "unknown op", want);
    ir_graph_free(f.g);
}

/* codegen of a graph with an op outside the table: an internal error naming it, no files left */
static void test_codegen_unknown_op(void) {
    const char *src = getenv("LMCC_SOURCE_DIR");
    char tpath[1024], err[512] = "";
    snprintf(tpath, sizeof tpath, "%s/targets/generic.target", src ? src : ".");
    lmcc_target t;
    if (lmcc_target_parse(tpath, &t, err, sizeof err)) {
        CHECK(0, "target: %s", err);
        return;
    }
    tiny_params tp = tiny_default();
    gguf_file *gf = tiny_make(&tp);
    ir_config cfg = {.ctx = 16, .kv_dtype = IR_DT_F32, .weights_mode = IR_DT_F32, .batch = 1, .threads = 1};
    ir_graph *g = gf ? test_build_graph(gf, "tiny.gguf", &cfg, NULL) : NULL;
    lmrt_vocab *vocab = g ? lmcc_vocab_placeholder(g->info.vocab_size) : NULL;
    const char *dir = g && vocab ? test_tmpdir("test_op_rules") : NULL;
    CHECK(dir, "set-up");
    if (dir) {
        g->vocab = vocab;
        lmcc_codegen_opts co = {.outdir = dir, .name = "m", .embed = LMCC_EMBED_EXTERNAL, .model_path = "tiny.gguf",
                                .version = "test"};
        CHECK(lmcc_codegen(g, &t, &co, err, sizeof err) == 0, "codegen of the good graph: %s", err);
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -f %s/m.*", dir);
        CHECK(system(cmd) == 0, "%s", cmd);
        int ni = 0;
        while (g->nodes[ni].dead) ni++;
        g->nodes[ni].op = (ir_opcode)IR_OP_COUNT;
        char want[96];
        snprintf(want, sizeof want, "codegen: internal error: node %d has op %d, which is not in IR_OP_LIST", ni,
                 IR_OP_COUNT);
        CHECK(lmcc_codegen(g, &t, &co, err, sizeof err) == -1 && strstr(err, want), "codegen: \"%s\"", err);
        CHECK(rmdir(dir) == 0, "codegen left files in %s", dir);
    }
    lmcc_vocab_free(vocab);
    ir_graph_free(g);
    gguf_close(gf);
}

int main(void) {
    test_every_op();
    test_unknown_op();
    test_codegen_unknown_op();
    printf("test_op_rules: %d ops, %d malformed nodes\n", IR_OP_COUNT, rejected);
    return test_finish("test_op_rules", NULL);
}
