#define _POSIX_C_SOURCE 200809L
/* test_fusion.c - the fusion passes, actquant, tiled weights and batch memplan,
 * checked in the reference interpreter: fused graphs against the unfused graph
 * of the same model (exact up to float reassociation), q8a activations against
 * a hand-written quantization, tiled weights against the same weights untiled. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "diag.h"
#include "gguf.h"
#include "interp.h"
#include "model.h"
#include "passes.h"
#include "tiny_llama.h"
#include "test_model.h"


typedef struct cfgx { int mode, fuse, act_q8, tile, batch, threads; } cfgx;

/* builds the graph of f and runs the whole pipeline with the given options */
static ir_graph *compile(const gguf_file *f, const char *path, cfgx c, int ctx) {
    ir_config cfg = {.ctx = ctx, .kv_dtype = IR_DT_F32, .weights_mode = c.mode, .fuse = c.fuse,
                     .act_q8 = c.act_q8, .tile_rows = c.tile, .batch = c.batch, .threads = c.threads};
    return test_build_graph(f, path, &cfg, NULL);
}

static int count_op(const ir_graph *g, ir_opcode op) {
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++) c += !g->nodes[i].dead && g->nodes[i].op == op;
    return c;
}

static int argmax(const float *x, int n) {
    int b = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[b]) b = i;
    return b;
}

/* KL(softmax(a) || softmax(b)) */
static double kl(const float *a, const float *b, int n) {
    double ma = -HUGE_VAL, mb = -HUGE_VAL, sa = 0, sb = 0, k = 0;
    for (int i = 0; i < n; i++) { ma = a[i] > ma ? a[i] : ma; mb = b[i] > mb ? b[i] : mb; }
    for (int i = 0; i < n; i++) { sa += exp(a[i] - ma); sb += exp(b[i] - mb); }
    for (int i = 0; i < n; i++) {
        double pa = exp(a[i] - ma) / sa, lpa = a[i] - ma - log(sa), lpb = b[i] - mb - log(sb);
        k += pa * (lpa - lpb);
    }
    return k;
}

/* Runs both graphs over 32 teacher-forced tokens (a fixed pseudo-random
 * sequence); returns max |diff| of the logits, and the mean KL and argmax
 * agreement through the pointers. */
static double compare(const ir_graph *g0, const ir_graph *g1, double *mean_kl, int *same) {
    lmcc_interp *i0 = lmcc_interp_new(g0), *i1 = lmcc_interp_new(g1);
    CHECK(i0 && i1, "lmcc_interp_new");
    double worst = -1, skl = 0;
    int agree = 0, V = g0->info.vocab_size;
    uint32_t s = 2024;
    for (int pos = 0; i0 && i1 && pos < 32; pos++) {
        s = s * 1664525u + 1013904223u;
        int tok = (int)((s >> 8) % (uint32_t)V);
        const float *a = lmcc_interp_step(i0, tok, pos), *b = lmcc_interp_step(i1, tok, pos);
        if (!a || !b) { CHECK(0, "step %d", pos); worst = HUGE_VAL; break; }
        for (int i = 0; i < V; i++) {
            double d = fabs((double)a[i] - b[i]);
            if (!(d <= worst)) worst = d;
        }
        skl += kl(a, b, V);
        agree += argmax(a, V) == argmax(b, V);
    }
    lmcc_interp_free(i0);
    lmcc_interp_free(i1);
    if (mean_kl) *mean_kl = skl / 32;
    if (same) *same = agree;
    return worst;
}

/* fused vs unfused: every pattern fires, and the logits agree to reassociation */
static void test_fused_exact(const char *what, const gguf_file *f, int mode, int tied) {
    cfgx c0 = {mode, 0, 0, 0, 1, 1}, c1 = {mode, 1, 0, 0, 1, 1};
    ir_graph *g0 = compile(f, what, c0, 64), *g1 = g0 ? compile(f, what, c1, 64) : NULL;
    if (g1) {
        int L = g1->info.n_layers;
        CHECK(count_op(g1, IR_OP_QKV) == L && count_op(g1, IR_OP_LINEAR_SWIGLU) == L &&
                  count_op(g1, IR_OP_LINEAR_ADD) == 2 * L && count_op(g1, IR_OP_LINEAR) == 1 &&
                  count_op(g1, IR_OP_NORMALIZE) == 2 * L + !tied && count_op(g1, IR_OP_RMSNORM) == tied &&
                  count_op(g1, IR_OP_ROPE) == 0 && count_op(g1, IR_OP_KV_STORE) == 0 &&
                  count_op(g1, IR_OP_ADD) == 0 && count_op(g1, IR_OP_SWIGLU) == 0 &&
                  count_op(g1, IR_OP_TAKE_LAST) == 1 && count_op(g1, IR_OP_ATTENTION) == L,
              "%s: fused graph shape (qkv %d, linear_swiglu %d, linear_add %d, linear %d, normalize %d)", what,
              count_op(g1, IR_OP_QKV), count_op(g1, IR_OP_LINEAR_SWIGLU), count_op(g1, IR_OP_LINEAR_ADD),
              count_op(g1, IR_OP_LINEAR), count_op(g1, IR_OP_NORMALIZE));
        CHECK(count_op(g0, IR_OP_QKV) == 0 && count_op(g0, IR_OP_NORMALIZE) == 0, "%s: fuse=0 fused", what);
        double d = compare(g0, g1, NULL, NULL);
        CHECK(d <= 1e-4, "%s: fused vs unfused max |diff| %g", what, d);
        printf("%s: fused vs unfused max |diff| %.3g\n", what, d);
    }
    ir_graph_free(g0);
    ir_graph_free(g1);
}

/* q8a activations: 4 quantize nodes per layer (+1 for the logits), each read only as
 * a linear-family x, and logits close to the f32-activation graph */
static void test_actquant(const char *what, const gguf_file *f, int mode, double max_kl, int min_same) {
    cfgx c0 = {mode, 1, 0, 0, 1, 1}, c1 = {mode, 1, 1, 0, 1, 1};
    ir_graph *g0 = compile(f, what, c0, 64), *g1 = g0 ? compile(f, what, c1, 64) : NULL;
    if (g1) {
        int L = g1->info.n_layers, bad = 0;
        CHECK(count_op(g1, IR_OP_QUANTIZE) == 4 * L + 1, "%s: %d quantize nodes, want %d", what,
              count_op(g1, IR_OP_QUANTIZE), 4 * L + 1);
        CHECK(count_op(g0, IR_OP_QUANTIZE) == 0, "%s: act_q8=0 quantized", what);
        for (int i = 0; i < g1->n_nodes; i++) {
            const ir_node *n = &g1->nodes[i];
            if (n->dead) continue;
            int lin = n->op == IR_OP_LINEAR || n->op == IR_OP_LINEAR_ADD || n->op == IR_OP_LINEAR_SWIGLU ||
                      n->op == IR_OP_QKV;
            bad += lin && g1->tensors[n->inputs[0]].dtype != IR_DT_Q8A;
            bad += n->op == IR_OP_QUANTIZE && g1->tensors[n->output].dtype != IR_DT_Q8A;
        }
        CHECK(bad == 0, "%s: %d linear inputs not q8a", what, bad);
        double mkl;
        int same;
        double d = compare(g0, g1, &mkl, &same);
        CHECK(d > 0, "%s: act q8 changed nothing (not quantizing?)", what);
        CHECK(mkl <= max_kl && same >= min_same, "%s: act q8 mean KL %g, argmax %d/32", what, mkl, same);
        printf("%s: q8a activations: max |diff| %.3g, mean KL %.3g, argmax %d/32\n", what, d, mkl, same);
    }
    ir_graph_free(g0);
    ir_graph_free(g1);
}

/* tiled q4_0/q8_0 weights read by the interpreter = the same weights untiled (F's
 * packer against the interpreter's own unpacking); the tile shows in the dump */
static void test_tiled(const char *what, const gguf_file *f, int mode, int R, int act) {
    cfgx c0 = {mode, 1, act, 0, 1, 1}, c1 = {mode, 1, act, R, 1, 1};
    ir_graph *g0 = compile(f, what, c0, 64), *g1 = g0 ? compile(f, what, c1, 64) : NULL;
    if (g1) {
        int tiled = 0;
        for (int i = 0; i < g1->n_tensors; i++) tiled += !g1->tensors[i].dead && g1->tensors[i].tile_rows == R;
        CHECK(tiled >= 4 * g1->info.n_layers, "%s: %d tiled weights", what, tiled);
        double d = compare(g0, g1, NULL, NULL);
        CHECK(d == 0, "%s: tiled R=%d vs untiled max |diff| %g", what, R, d);
        printf("%s: %d weights in %d-row tiles, max |diff| vs untiled %g\n", what, tiled, R, d);
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        ir_dump(g1, m);
        fclose(m);
        char tile[32];
        snprintf(tile, sizeof tile, "] tile %d", R);
        CHECK(buf && strstr(buf, tile), "%s: dump lacks '%s'", what, tile);
        free(buf);
    }
    ir_graph_free(g0);
    ir_graph_free(g1);
}

static void test_dump(const gguf_file *f) {
    cfgx c = {IR_DT_Q8_0, 1, 1, 0, 1, 1};
    ir_graph *g = compile(f, "dump", c, 64);
    if (!g) return;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    ir_dump(g, m);
    fclose(m);
    static const char *const want[] = {"= qkv %", "= linear_swiglu %", "= linear_add %", "= normalize %",
                                       "= take_last %", "q8a[", "= quantize %", "{heads 2/1, head_dim 2, rope_dim 2"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK(buf && strstr(buf, want[i]), "dump lacks '%s'", want[i]);
    free(buf);
    ir_graph_free(g);
}

/* memplan: batch rows up to take_last's input, one row after; scratch per thread */
static void test_memplan_batch(const gguf_file *f) {
    cfgx c1 = {IR_DT_F32, 1, 0, 0, 1, 1}, c8 = {IR_DT_F32, 1, 0, 0, 8, 3};
    ir_graph *g1 = compile(f, "batch1", c1, 100), *g8 = g1 ? compile(f, "batch8", c8, 100) : NULL;
    if (g8) {
        int tl = -1;
        for (int i = 0; i < g8->n_nodes; i++)
            if (!g8->nodes[i].dead && g8->nodes[i].op == IR_OP_TAKE_LAST) tl = i;
        CHECK(tl >= 0, "no take_last");
        int n_b = 0, n_1 = 0, bad = 0;
        int64_t biggest = 0;
        for (int i = 0; tl >= 0 && i < g8->n_nodes; i++) {
            const ir_node *n = &g8->nodes[i];
            if (n->dead || n->output < 0) continue;
            int rows = ir_act_rows(g8, n->output), want = i < tl ? 8 : 1;
            bad += rows != want;
            bad += ir_act_bytes(g8, n->output) != (int64_t)rows * (int64_t)ir_tensor_bytes(&g8->tensors[n->output]);
            if (i < tl) n_b++;
            else n_1++;
            if (i < tl && ir_act_bytes(g8, n->output) > biggest) biggest = ir_act_bytes(g8, n->output);
        }
        CHECK(bad == 0 && n_b > 0 && n_1 == 3, "batch rows: %d wrong, %d batched, %d single", bad, n_b, n_1);
        CHECK(ir_act_rows(g8, g8->logits) == 1 && ir_act_rows(g1, g1->nodes[0].output) == 1 &&
                  ir_act_rows(g8, g8->nodes[0].output) == 8,
              "ir_act_rows");
        CHECK(g8->act_bytes >= biggest && g8->act_bytes >= g1->act_bytes * 2, "act bytes %lld (batch 1: %lld)",
              (long long)g8->act_bytes, (long long)g1->act_bytes);
        /* threads * ctx * 4 = 1200 beats vocab * 8 = 40 */
        CHECK(g8->scratch_bytes == 1216 && g1->scratch_bytes == 448, "scratch %lld / %lld",
              (long long)g8->scratch_bytes, (long long)g1->scratch_bytes);
        char err[2048];
        CHECK(ir_verify(g8, err, sizeof err) == 0, "verify batch 8: %s", err);
        /* the verifier sizes buffers by batch too: a batch-1 plan under batch 8 overlaps */
        g1->cfg.batch = 8;
        CHECK(ir_verify(g1, err, sizeof err) != 0 && strstr(err, "overlapping"), "batch-1 plan passed as batch 8");
    }
    ir_graph_free(g1);
    ir_graph_free(g8);
}

/* the interpreter's q8a emulation, against a quantization written out here */
static void test_quantize_math(void) {
    ir_graph *g = ir_graph_new();
    static float table[2][40], w[3][40];
    uint32_t s = 5;
    for (int i = 0; i < 40; i++) {
        table[0][i] = tiny_rand(&s) * (i < 32 ? 3.0f : 0.01f);
        table[1][i] = 0;
        for (int r = 0; r < 3; r++) w[r][i] = tiny_rand(&s);
    }
    int64_t st[2] = {2, 40}, sw[2] = {3, 40}, s1 = 1, sx = 40, sy = 3;
    int tab = ir_weight_add(g, "table", IR_DT_F32, 2, st, table, sizeof table);
    int wt = ir_weight_add(g, "w", IR_DT_F32, 2, sw, w, sizeof w);
    g->token_input = ir_tensor_add(g, "token", IR_KIND_INPUT, IR_DT_I32, 1, &s1);
    int in[IR_MAX_INPUTS] = {tab, g->token_input, -1, -1, -1};
    int x = ir_node_add(g, IR_OP_EMBED, in, NULL, "x", 1, &sx);
    in[0] = x;
    int q = ir_node_add(g, IR_OP_QUANTIZE, in, NULL, "xq", 1, &sx);
    char err[1024];
    CHECK(ir_verify(g, err, sizeof err) != 0 && strstr(err, "must be q8a"), "quantize to f32 accepted");
    g->tensors[q].dtype = IR_DT_Q8A;
    in[0] = q;
    in[1] = wt;
    g->logits = ir_node_add(g, IR_OP_LINEAR, in, NULL, "y", 1, &sy);
    g->cfg.ctx = 4;
    CHECK(ir_verify(g, err, sizeof err) == 0, "q8a graph: %s", err);
    lmcc_interp *it = lmcc_interp_new(g);
    const float *y = it ? lmcc_interp_step(it, 0, 0) : NULL;
    CHECK(y, "interp q8a graph");
    double worst = 0, moved = 0;
    for (int r = 0; y && r < 3; r++) {
        double acc = 0, exact = 0;
        for (int b = 0; b < 40; b += 32) {
            double amax = 0;
            for (int i = b; i < b + 32 && i < 40; i++) amax = fmax(amax, fabs(table[0][i]));
            float d = (float)amax / 127.0f;
            for (int i = b; i < b + 32 && i < 40; i++) {
                double qv = round((double)(table[0][i] / d));
                acc += (double)w[r][i] * (double)(d * (float)qv);
                exact += (double)w[r][i] * table[0][i];
            }
        }
        worst = fmax(worst, fabs(acc - y[r]));
        moved = fmax(moved, fabs(exact - y[r]));
    }
    CHECK(worst < 1e-6 && moved > 1e-5, "q8a emulation: off by %g, moved by %g", worst, moved);
    /* q8a may only feed a linear-family x */
    int in2[IR_MAX_INPUTS] = {q, x, -1, -1, -1};
    ir_node_add(g, IR_OP_ADD, in2, NULL, "bad", 1, &sx);
    CHECK(ir_verify(g, err, sizeof err) != 0 && strstr(err, "is q8a"), "add of q8a accepted");
    lmcc_interp_free(it);
    ir_graph_free(g);
}

/* verifier rules of the fused ops, on a fused tiny graph broken on purpose */
static void test_verify_fused(const gguf_file *f) {
    cfgx c = {IR_DT_F32, 1, 0, 0, 1, 1};
    ir_graph *g = compile(f, "verify", c, 64);
    if (!g) return;
    char err[2048];
    int iq = -1, isw = -1, ila = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].dead) continue;
        if (g->nodes[i].op == IR_OP_QKV && iq < 0) iq = i;
        if (g->nodes[i].op == IR_OP_LINEAR_SWIGLU && isw < 0) isw = i;
        if (g->nodes[i].op == IR_OP_LINEAR_ADD && isw >= 0 && ila < 0) ila = i; /* after isw */
    }
    CHECK(iq >= 0 && isw >= 0 && ila >= 0, "fused ops present");
    if (iq >= 0 && isw >= 0 && ila >= 0) {
        ir_node save = g->nodes[iq];
        g->nodes[iq].attrs.n_kv_heads = 2;
        CHECK(ir_verify(g, err, sizeof err) != 0 && strstr(err, "(heads + 2 kv heads)"), "qkv rows: %s", err);
        g->nodes[iq] = save;
        g->nodes[iq].inputs[4] = g->nodes[iq].inputs[3];
        CHECK(ir_verify(g, err, sizeof err) != 0 && strstr(err, "same tensor"), "qkv caches: %s", err);
        g->nodes[iq] = save;
        save = g->nodes[isw];
        g->nodes[isw].inputs[1] = g->nodes[ila].inputs[1];
        CHECK(ir_verify(g, err, sizeof err) != 0, "linear_swiglu with a wrong weight accepted");
        g->nodes[isw] = save;
        save = g->nodes[ila];
        g->nodes[ila].inputs[2] = g->nodes[isw].output; /* hidden-sized residual */
        CHECK(ir_verify(g, err, sizeof err) != 0 && strstr(err, "residual"), "linear_add res: %s", err);
        g->nodes[ila] = save;
        CHECK(ir_verify(g, err, sizeof err) == 0, "restored graph: %s", err);
    }
    ir_graph_free(g);
}

int main(void) {
    tiny_params p = tiny_default();
    gguf_file *f = tiny_make(&p);
    CHECK(f, "tiny_make");
    if (f) {
        test_fused_exact("tiny dim4 f32", f, IR_WEIGHTS_KEEP, 0);
        test_dump(f);
        test_memplan_batch(f);
        test_verify_fused(f);
        gguf_close(f);
    }
    p.f16 = 1; p.tied = 1; p.seed = 7;
    f = tiny_make(&p);
    if (f) {
        test_fused_exact("tiny f16 tied -> f32", f, IR_DT_F32, 1);
        gguf_close(f);
    }
    p = tiny_default();
    p.dim = 64; p.hidden = 96; p.n_layers = 2; p.n_heads = 4; p.n_kv = 2; p.rope_dim = 8; p.vocab = 40;
    p.seed = 99;
    f = tiny_make(&p);
    if (f) {
        test_fused_exact("tiny dim64 gqa partial rope", f, IR_DT_F32, 0);
        test_actquant("tiny dim64 q8", f, IR_DT_Q8_0, 0.05, 24);
        test_tiled("tiny dim64 q4 tiled", f, IR_DT_Q4_0, 4, 0);
        test_tiled("tiny dim64 q8 tiled act", f, IR_DT_Q8_0, 8, 1);
        gguf_close(f);
    }
    test_quantize_math();

    f = test_open_model("stories260K.gguf", "the stories260K checks");
    int have = f != NULL;
    if (f) {
        test_fused_exact("stories260K", f, IR_WEIGHTS_KEEP, 0);
        test_actquant("stories260K q8", f, IR_DT_Q8_0, 0.05, 24);
        test_tiled("stories260K q4 tiled", f, IR_DT_Q4_0, 8, 1);
        gguf_close(f);
    }
    return test_finish("test_fusion", have ? NULL : "the stories260K checks");
}
