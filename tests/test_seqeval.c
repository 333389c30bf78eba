/* test_seqeval.c - the sequence-batched calibration evaluator (eval/seqeval.h)
 * against the reference interpreter: logits of whole teacher-forced sequences
 * (fused and unfused graphs, q8a activations, GQA with partial rope, widths
 * that are not multiples of the kernel's blocks), the hook's inputs against
 * lmcc_eval_calib_run's recording, dual mode with weights replaced in the hook, and
 * the errors.  The lockstep decoder (lmcc_eval_step) against the interpreter
 * and the whole-run evaluator, and lmcc_eval_seqs_sample built on it: deterministic,
 * the old interpreter sampler's draws, and temperature-1 samples (their
 * log-likelihood under the interpreter matches the model's entropy). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "calib.h"
#include "seqeval.h"
#include "diag.h"
#include "gguf.h"
#include "interp.h"
#include "lmrt_quant.h"
#include "lmrt_tokenizer.h"
#include "model.h"
#include "passes.h"
#include "tiny_llama.h"
#include "test_model.h"


typedef struct build_opts { int mode, fuse, act_q8; const char *stop; } build_opts;

static ir_graph *build(const gguf_file *f, const char *what, build_opts b) {
    ir_config cfg = {.ctx = 64, .kv_dtype = IR_DT_F32, .weights_mode = b.mode, .fuse = b.fuse, .act_q8 = b.act_q8,
                     .batch = 1, .threads = 1};
    return test_build_graph(f, what, &cfg, b.stop);
}

static int64_t total_rows(const lmcc_eval_seqs *s) {
    int64_t r = 0;
    for (int i = 0; i < s->n; i++) r += s->len[i];
    return r;
}

static int vocab(const ir_graph *g) { return (int)ir_tensor_elems(&g->tensors[g->logits]); }

/* teacher-forced interpreter logits [rows][vocab], a fresh interpreter per sequence */
static float *interp_logits(const ir_graph *g, const lmcc_eval_seqs *s) {
    int V = vocab(g);
    float *out = malloc((size_t)(total_rows(s) * V) * sizeof *out);
    int64_t r = 0;
    for (int i = 0; out && i < s->n; i++) {
        lmcc_interp *it = lmcc_interp_new(g);
        CHECK(it, "lmcc_interp_new");
        if (!it) { free(out); return NULL; }
        for (int p = 0; p < s->len[i]; p++, r++) {
            const float *lg = lmcc_interp_step(it, s->ids[i][p], p);
            CHECK(lg, "interp step %d", p);
            if (lg) memcpy(out + r * V, lg, (size_t)V * sizeof *out);
        }
        lmcc_interp_free(it);
    }
    return out;
}

static double max_diff(const float *a, const float *b, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d; /* NaN wins */
    }
    return m;
}

/* two sequences of different lengths sampled from g */
static int sample_seqs(const ir_graph *g, int len0, int len1, lmcc_eval_seqs *s) {
    char err[256] = "";
    int rc = lmcc_eval_seqs_sample(g, 2, len0, 42, s, err, sizeof err);
    CHECK(rc == 0, "sample: %s", err);
    if (rc == 0) s->len[1] = len1;
    return rc;
}

static int find_node(const ir_graph *g, ir_opcode op, int nth) {
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && g->nodes[i].op == op && nth-- == 0) return i;
    return -1;
}

/* ---- hook ---------------------------------------------------------------- */

typedef struct hook_ctx {
    ir_graph *g;
    int record;          /* node whose x / x_ref are copied */
    float *x, *x_ref;
    int64_t rows, k;
    int zero_node, q8_node; /* nodes whose weight the hook replaces (-1: none) */
    int stop_node;       /* return -1 here */
    int calls, same_at_first; /* hook calls; x == x_ref at the first call (dual) */
} hook_ctx;

static hook_ctx hook_new(ir_graph *g) {
    hook_ctx h;
    memset(&h, 0, sizeof h);
    h.g = g, h.record = h.zero_node = h.q8_node = h.stop_node = -1;
    return h;
}

static void hook_free(hook_ctx *h) { free(h->x), free(h->x_ref); }

/* the weight of node as zeros (f32) or re-quantized to q8_0: bytes owned by the graph */
static void replace_weight(ir_graph *g, int node, int q8) {
    ir_tensor *t = &g->tensors[g->nodes[node].inputs[1]];
    int64_t n = t->shape[0], k = t->shape[1];
    size_t rb = q8 ? ir_row_bytes(IR_DT_Q8_0, k) : (size_t)k * sizeof(float);
    unsigned char *buf = calloc((size_t)n, rb);
    float *row = malloc((size_t)k * sizeof *row);
    for (int64_t r = 0; q8 && buf && row && r < n; r++) {
        lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype), (const unsigned char *)t->data + r * ir_row_bytes(t->dtype, k),
                         row, k);
        lmrt_quantize_row_q8_0(row, buf + r * rb, k);
    }
    free(row);
    if (!buf) return;
    free(t->owned);
    t->owned = buf, t->data = buf, t->nbytes = (size_t)n * rb;
    t->dtype = q8 ? IR_DT_Q8_0 : IR_DT_F32;
}

static int test_hook(void *user, const lmcc_eval_seq_view *v) {
    hook_ctx *h = user;
    if (h->calls++ == 0 && v->x_ref)
        h->same_at_first = max_diff(v->x, v->x_ref, v->rows * v->k) == 0;
    if (v->node == h->stop_node) return -1;
    if (v->node == h->record) {
        h->rows = v->rows, h->k = v->k;
        size_t nb = (size_t)(v->rows * v->k) * sizeof(float);
        h->x = malloc(nb);
        if (h->x) memcpy(h->x, v->x, nb);
        if (v->x_ref && (h->x_ref = malloc(nb))) memcpy(h->x_ref, v->x_ref, nb);
    }
    if (v->node == h->zero_node) replace_weight(h->g, v->node, 0);
    if (v->node == h->q8_node) replace_weight(h->g, v->node, 1);
    return 0;
}

/* ---- (1) logits, (2) hook inputs ------------------------------------------ */

/* the evaluator's logits against the interpreter's: every position within tol, or with
 * q8a activations (a rounding decision can flip between float orders) all but a
 * few; threads 1 and 3 give the same bits */
static void test_logits(const char *what, const gguf_file *f, build_opts b, int len0, int len1, double tol) {
    ir_graph *g = build(f, what, b);
    lmcc_eval_seqs s = {0};
    if (!g || sample_seqs(g, len0, len1, &s)) { ir_graph_free(g); return; }
    int64_t rows = total_rows(&s), V = vocab(g);
    float *want = interp_logits(g, &s);
    float *got = malloc((size_t)(rows * V) * sizeof *got), *got3 = malloc((size_t)(rows * V) * sizeof *got3);
    char err[256] = "";
    lmcc_eval_seq_opts o = {.threads = 1, .logits = got};
    int rc = lmcc_eval_seq_run(g, &s, NULL, NULL, &o, err, sizeof err);
    CHECK(rc == 0, "%s: seqeval: %s", what, err);
    o.threads = 3, o.logits = got3;
    CHECK(lmcc_eval_seq_run(g, &s, NULL, NULL, &o, err, sizeof err) == 0, "%s: seqeval threads 3: %s", what, err);
    if (rc == 0 && want) {
        double d = max_diff(want, got, rows * V);
        int off = 0;
        for (int64_t r = 0; r < rows; r++) off += !(max_diff(want + r * V, got + r * V, V) <= tol);
        printf("%s: %lld positions, logits max |diff| vs interpreter %.3g, %d positions above %g\n", what,
               (long long)rows, d, off, tol);
        if (b.act_q8) CHECK(off * 5 <= rows && d < 1.0, "%s: %d positions differ, max |diff| %g", what, off, d);
        else CHECK(d <= tol, "%s: logits max |diff| %g > %g", what, d, tol);
        CHECK(memcmp(got, got3, (size_t)(rows * V) * sizeof *got) == 0, "%s: threads 1 vs 3 differ", what);
    }
    free(want), free(got), free(got3);
    lmcc_eval_seqs_free(&s);
    ir_graph_free(g);
}

/* the hook's x of a node is what lmcc_eval_calib_run records for the node's input */
static void test_hook_inputs(const char *what, const gguf_file *f, build_opts b, ir_opcode op, int nth) {
    ir_graph *g = build(f, what, b);
    lmcc_eval_seqs s = {0};
    if (!g || sample_seqs(g, 40, 25, &s)) { ir_graph_free(g); return; }
    hook_ctx h = hook_new(g);
    h.record = find_node(g, op, nth);
    char err[256] = "";
    CHECK(h.record >= 0, "%s: no %s node %d", what, ir_op_table[op].name, nth);
    int rc = lmcc_eval_seq_run(g, &s, test_hook, &h, NULL, err, sizeof err);
    CHECK(rc == 0 && h.x, "%s: seqeval: %s", what, err);
    int n_lin = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ir_opcode o = g->nodes[i].op;
        n_lin += !g->nodes[i].dead && (o == IR_OP_LINEAR || o == IR_OP_LINEAR_ADD || o == IR_OP_LINEAR_SWIGLU ||
                                       o == IR_OP_QKV);
    }
    CHECK(h.calls == n_lin, "%s: hook called %d times for %d linear nodes", what, h.calls, n_lin);
    lmcc_eval_calib cal;
    int xin = h.record >= 0 ? g->nodes[h.record].inputs[0] : 0;
    int64_t rows = total_rows(&s);
    CHECK(lmcc_eval_calib_run(g, &s, &xin, 1, rows, &cal, NULL, err, sizeof err) == 0, "%s: calib: %s", what, err);
    if (rc == 0 && h.x && cal.n == 1) {
        CHECK(cal.acts[0].rows == rows && cal.acts[0].k == h.k && h.rows == rows, "%s: rows %lld/%lld k %lld/%lld", what,
              (long long)cal.acts[0].rows, (long long)h.rows, (long long)cal.acts[0].k, (long long)h.k);
        if (cal.acts[0].rows == rows && cal.acts[0].k == h.k) {
            double d = max_diff(cal.acts[0].x, h.x, rows * h.k), mx = 1;
            for (int64_t i = 0; i < rows * h.k; i++) mx = fabs(h.x[i]) > mx ? fabs(h.x[i]) : mx;
            printf("%s: hook x of node %d (%s) vs lmcc_eval_calib_run max |diff| %.3g (max |x| %.3g)\n", what, h.record,
                   ir_op_table[op].name, d, mx);
            CHECK(d <= 1e-5 * mx, "%s: hook x vs calib max |diff| %g, max |x| %g", what, d, mx);
        }
    }
    lmcc_eval_calib_free(&cal);
    hook_free(&h);
    lmcc_eval_seqs_free(&s);
    ir_graph_free(g);
}

/* ---- (3) dual mode --------------------------------------------------------- */

/* the hook zeroes one weight and re-quantizes another: the main lane is the
 * interpreter on a graph with the same weights replaced beforehand, the
 * reference lane (x_ref) stays the float model */
static void test_dual(const char *what, const gguf_file *f, build_opts b) {
    ir_graph *g = build(f, what, b), *gm = build(f, what, b);
    lmcc_eval_seqs s = {0};
    if (!g || !gm || sample_seqs(g, 40, 25, &s)) { ir_graph_free(g), ir_graph_free(gm); return; }
    int64_t rows = total_rows(&s), V = vocab(g);
    int zero = find_node(g, b.fuse ? IR_OP_LINEAR_ADD : IR_OP_LINEAR, b.fuse ? 0 : 3);
    if (zero < 0) zero = find_node(g, IR_OP_LINEAR, 0); /* post-norms leave no linear_add (Gemma) */
    int q8 = find_node(g, b.fuse ? IR_OP_QKV : IR_OP_LINEAR, b.fuse ? 1 : 10);
    int rec = -1; /* the logits linear */
    for (int i = 0; i < g->n_nodes; i++) rec = !g->nodes[i].dead && g->nodes[i].op == IR_OP_LINEAR ? i : rec;
    CHECK(zero >= 0 && q8 > zero && rec > q8, "%s: nodes %d %d %d", what, zero, q8, rec);
    if (!(zero >= 0 && q8 > zero && rec > q8)) goto out;
    char err[256] = "";
    /* the float model's input of rec */
    hook_ctx hf = hook_new(g);
    hf.record = rec;
    float *lg_float = malloc((size_t)(rows * V) * sizeof *lg_float), *lg = malloc((size_t)(rows * V) * sizeof *lg);
    lmcc_eval_seq_opts o = {.logits = lg_float};
    CHECK(lmcc_eval_seq_run(g, &s, test_hook, &hf, &o, err, sizeof err) == 0 && hf.x, "%s: float run: %s", what, err);
    hook_ctx hd = hook_new(g);
    hd.record = rec, hd.zero_node = zero, hd.q8_node = q8;
    int64_t peak_with = -1, peak_without = -1;
    o.dual = 1, o.logits = lg, o.peak_bytes = &peak_with;
    CHECK(lmcc_eval_seq_run(g, &s, test_hook, &hd, &o, err, sizeof err) == 0 && hd.x && hd.x_ref, "%s: dual: %s",
          what, err);
    replace_weight(gm, zero, 0);
    replace_weight(gm, q8, 1);
    float *want = interp_logits(gm, &s);
    if (hf.x && hd.x && hd.x_ref && want) {
        int64_t n = rows * hd.k;
        double d_ref = max_diff(hf.x, hd.x_ref, n), d_main = max_diff(hd.x, hd.x_ref, n);
        double d_lg = max_diff(lg_float, lg, rows * V), d_want = max_diff(want, lg, rows * V);
        printf("%s dual: x_ref vs float %.3g, x vs x_ref %.3g, logits vs float %.3g, vs interpreter on the replaced "
               "weights %.3g\n", what, d_ref, d_main, d_lg, d_want);
        CHECK(hd.same_at_first, "%s: x != x_ref before any weight changed", what);
        CHECK(d_ref <= 1e-6, "%s: x_ref is not the float model's activation (%g)", what, d_ref);
        CHECK(d_main > 1e-3, "%s: the main lane did not see the replaced weights (%g)", what, d_main);
        CHECK(d_lg > 1e-2, "%s: logits did not change (%g)", what, d_lg);
        CHECK(d_want <= 1e-4, "%s: main lane vs interpreter on the replaced weights %g", what, d_want);
    }
    /* without logits the run skips the output layer (nothing reads its product): the same hook
     * calls and the same bits, and the memory estimate drops the [rows][vocab] buffers */
    ir_graph *g2 = build(f, what, b);
    hook_ctx hn = hook_new(g2);
    hn.record = rec, hn.zero_node = zero, hn.q8_node = q8;
    lmcc_eval_seq_opts on = {.dual = 1, .peak_bytes = &peak_without};
    CHECK(g2 && lmcc_eval_seq_run(g2, &s, test_hook, &hn, &on, err, sizeof err) == 0 && hn.x && hn.x_ref,
          "%s: dual without logits: %s", what, err);
    if (hd.x && hn.x && hn.x_ref) {
        size_t nb = (size_t)(rows * hd.k) * sizeof(float);
        CHECK(hn.calls == hd.calls && !memcmp(hn.x, hd.x, nb) && !memcmp(hn.x_ref, hd.x_ref, nb),
              "%s: without logits: %d hook calls (%d with), inputs differ", what, hn.calls, hd.calls);
    }
    if (g2) {
        int64_t with = lmcc_eval_seq_bytes(g2, rows, 1, 1, 1), without = lmcc_eval_seq_bytes(g2, rows, 1, 1, 0);
        int64_t twice = lmcc_eval_seq_bytes(g2, 2 * rows, 1, 1, 0), single = lmcc_eval_seq_bytes(g2, rows, 0, 1, 0);
        printf("%s: estimated evaluator bytes for %lld rows: %lld with logits, %lld without (%lld for twice the rows, "
               "%lld on one lane); the runs' peaks %lld with, %lld without\n", what, (long long)rows, (long long)with,
               (long long)without, (long long)twice, (long long)single, (long long)peak_with, (long long)peak_without);
        /* an upper bound (both lanes' buffers counted while one lane's temporary lives), not by much */
        CHECK(peak_with <= with && peak_with * 5 >= with * 4 && peak_without <= without &&
              peak_without * 5 >= without * 4, "%s: peaks %lld / %lld vs estimates %lld / %lld", what,
              (long long)peak_with, (long long)peak_without, (long long)with, (long long)without);
        CHECK(with >= 2 * rows * V * (int64_t)sizeof(float) && without <= with && without > 0,
              "%s: estimate with logits %lld, without %lld", what, (long long)with, (long long)without);
        CHECK(twice > without && twice <= 2 * without && single < without, "%s: estimate %lld, %lld rows x 2 %lld, "
              "one lane %lld", what, (long long)without, (long long)rows, (long long)twice, (long long)single);
    }
    free(want), free(lg_float), free(lg);
    hook_free(&hf), hook_free(&hd), hook_free(&hn);
    ir_graph_free(g2);
out:
    lmcc_eval_seqs_free(&s);
    ir_graph_free(g), ir_graph_free(gm);
}

/* ---- (4) errors ----------------------------------------------------------- */

static void test_errors(const gguf_file *f) {
    build_opts b = {IR_DT_F32, 1, 0, "kvlayout"};
    ir_graph *g = build(f, "errors", b);
    lmcc_eval_seqs s = {0};
    if (!g || sample_seqs(g, 12, 7, &s)) { ir_graph_free(g); return; }
    char err[256];
    int lin = find_node(g, IR_OP_LINEAR_SWIGLU, 0); /* a GELU-gated FFN has none: a plain linear then */
    if (lin < 0) lin = find_node(g, IR_OP_LINEAR, 0);
    int w = lin >= 0 ? g->nodes[lin].inputs[1] : 0;
    ir_tensor saved = g->tensors[w];

    g->tensors[w].dtype = IR_DT_I32;
    err[0] = 0;
    CHECK(lmcc_eval_seq_run(g, &s, NULL, NULL, NULL, err, sizeof err) == -1 && strstr(err, "i32"),
          "i32 weight: '%s'", err);
    printf("errors: i32 weight -> %s\n", err);
    g->tensors[w] = saved;

    g->tensors[w].tile_rows = 8;
    err[0] = 0;
    CHECK(lmcc_eval_seq_run(g, &s, NULL, NULL, NULL, err, sizeof err) == -1 && strstr(err, "tiled"),
          "tiled weight: '%s'", err);
    g->tensors[w] = saved;

    int tok = s.ids[1][3];
    s.ids[1][3] = 1 << 20;
    err[0] = 0;
    CHECK(lmcc_eval_seq_run(g, &s, NULL, NULL, NULL, err, sizeof err) == -1 && strstr(err, "out of range"),
          "bad token: '%s'", err);
    s.ids[1][3] = tok;

    int len = s.len[0];
    s.len[0] = g->cfg.ctx + 1;
    err[0] = 0;
    CHECK(lmcc_eval_seq_run(g, &s, NULL, NULL, NULL, err, sizeof err) == -1 && err[0], "too long: '%s'", err);
    s.len[0] = len;

    hook_ctx h = hook_new(g);
    h.stop_node = lin;
    strcpy(err, "untouched");
    CHECK(lmcc_eval_seq_run(g, &s, test_hook, &h, NULL, err, sizeof err) == -1 && !strcmp(err, "untouched"),
          "hook stop: '%s'", err);

    /* still fine after all that */
    CHECK(lmcc_eval_seq_run(g, &s, NULL, NULL, NULL, err, sizeof err) == 0, "after errors: %s", err);
    lmcc_eval_seqs_free(&s);
    ir_graph_free(g);
}

/* ---- (5) lockstep decoding ------------------------------------------------- */

static uint32_t lcg(uint32_t *r) { return *r = *r * 1664525u + 1013904223u, *r >> 8; }

/* n different token streams of len positions (ids < V) */
static lmcc_eval_seqs streams(int n, int len, int V, uint32_t seed) {
    lmcc_eval_seqs s = {n, calloc((size_t)n, sizeof(int)), calloc((size_t)n, sizeof(int *))};
    for (int i = 0; s.len && s.ids && i < n; i++) {
        s.len[i] = len;
        s.ids[i] = malloc((size_t)len * sizeof(int));
        for (int p = 0; s.ids[i] && p < len; p++) s.ids[i][p] = p == 0 ? 1 : (int)(lcg(&seed) % (uint32_t)V);
    }
    return s;
}

/* n x len lockstep logits [seq][pos][vocab] (NULL on failure); bad calls in between must change nothing */
static float *step_logits(const ir_graph *g, const lmcc_eval_seqs *s, int threads, const char *what) {
    int n = s->n, len = s->len[0];
    int64_t V = vocab(g);
    char err[256] = "";
    lmcc_eval_step *st = lmcc_eval_step_new(g, n, len, threads, err, sizeof err);
    CHECK(st, "%s: seqstep_new: %s", what, err);
    float *out = malloc((size_t)(n * len * V) * sizeof *out);
    int *tok = malloc((size_t)n * sizeof *tok);
    for (int p = 0; st && out && tok && p < len; p++) {
        for (int i = 0; i < n; i++) tok[i] = s->ids[i][p];
        if (p == len / 2) { /* rejected before anything runs */
            int keep = tok[n - 1];
            tok[n - 1] = (int)V + 5;
            err[0] = 0;
            CHECK(!lmcc_eval_step_next(st, tok, p, err, sizeof err) && strstr(err, "out of range"), "%s: bad token: '%s'",
                  what, err);
            tok[n - 1] = -1;
            CHECK(!lmcc_eval_step_next(st, tok, p, err, sizeof err), "%s: token -1 accepted", what);
            tok[n - 1] = keep;
            err[0] = 0;
            CHECK(!lmcc_eval_step_next(st, tok, len, err, sizeof err) && err[0], "%s: position %d accepted", what, len);
            CHECK(!lmcc_eval_step_next(st, tok, -1, err, sizeof err), "%s: position -1 accepted", what);
        }
        const float *lg = lmcc_eval_step_next(st, tok, p, err, sizeof err);
        CHECK(lg, "%s: step %d: %s", what, p, err);
        if (!lg) { free(out), out = NULL; break; }
        for (int i = 0; i < n; i++) memcpy(out + ((int64_t)i * len + p) * V, lg + i * V, (size_t)V * sizeof *out);
    }
    free(tok);
    if (!st) free(out), out = NULL;
    lmcc_eval_step_free(st);
    return out;
}

/* lockstep logits of 3 different streams at every position: the interpreter's within tol (q8a: roughly),
 * a whole run's to rounding (the same kernels: in fact the same bits), the same bits on 1 and 3 threads */
static void test_seqstep(const char *what, const gguf_file *f, build_opts b, int len, double tol) {
    ir_graph *g = build(f, what, b);
    if (!g) return;
    int64_t V = vocab(g), rows = 3 * (int64_t)len;
    lmcc_eval_seqs s = streams(3, len, (int)V, 17);
    float *want = interp_logits(g, &s), *got = step_logits(g, &s, 1, what), *got3 = step_logits(g, &s, 3, what);
    float *run = malloc((size_t)(rows * V) * sizeof *run);
    char err[256] = "";
    lmcc_eval_seq_opts o = {.threads = 2, .logits = run};
    CHECK(lmcc_eval_seq_run(g, &s, NULL, NULL, &o, err, sizeof err) == 0, "%s: seqeval: %s", what, err);
    if (want && got && got3 && run) {
        double d = max_diff(want, got, rows * V), d_run = max_diff(run, got, rows * V);
        int off = 0;
        for (int64_t r = 0; r < rows; r++) off += !(max_diff(want + r * V, got + r * V, V) <= tol);
        printf("%s: lockstep 3 x %d: logits max |diff| vs interpreter %.3g (%d positions above %g), vs a whole run "
               "%.3g\n", what, len, d, off, tol, d_run);
        /* q8a: a rounding flip in one position reaches every later one through the KV cache (more of them on
         * these random streams than on test_logits' samples); the whole run, checked there, is the reference */
        if (b.act_q8) CHECK(d < 1.0, "%s: lockstep: %d positions differ, max |diff| %g", what, off, d);
        else CHECK(d <= tol, "%s: lockstep logits max |diff| %g > %g", what, d, tol);
        CHECK(d_run <= 1e-6, "%s: lockstep vs whole run %g", what, d_run);
        CHECK(memcmp(got, got3, (size_t)(rows * V) * sizeof *got) == 0, "%s: lockstep threads 1 vs 3 differ", what);
    }
    /* the state's limits */
    lmcc_eval_step *st = lmcc_eval_step_new(g, 2, g->cfg.ctx + 1, 1, err, sizeof err);
    CHECK(!st && err[0], "%s: max_len past the context accepted", what);
    lmcc_eval_step_free(st);
    err[0] = 0;
    CHECK(!lmcc_eval_step_new(g, 0, 4, 1, err, sizeof err) && err[0], "%s: 0 sequences accepted", what);
    free(want), free(got), free(got3), free(run);
    lmcc_eval_seqs_free(&s);
    ir_graph_free(g);
}

/* ---- (6) sampling ---------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* the sampler lmcc_eval_seqs_sample replaced: the interpreter, one sequence after the other, one generator */
static void ref_sample(const ir_graph *g, int n, int len, uint64_t seed, int bos, int **ids) {
    int V = vocab(g);
    uint64_t rng = seed;
    double *p = malloc((size_t)V * sizeof *p);
    for (int si = 0; si < n; si++) {
        lmcc_interp *it = lmcc_interp_new(g);
        ids[si][0] = bos;
        for (int pos = 0; it && p && pos + 1 < len; pos++) {
            const float *lg = lmcc_interp_step(it, ids[si][pos], pos);
            double m = lg[0], sum = 0, c = 0;
            for (int v = 1; v < V; v++) m = lg[v] > m ? lg[v] : m;
            for (int v = 0; v < V; v++) sum += p[v] = exp((double)lg[v] - m);
            double u = (double)(splitmix64(&rng) >> 11) * 0x1.0p-53 * sum;
            int pick = V - 1;
            for (int v = 0; v < V; v++)
                if ((c += p[v]) > u) { pick = v; break; }
            ids[si][pos + 1] = pick;
        }
        lmcc_interp_free(it);
    }
    free(p);
}

/* z score of the sampled tokens' surprisal against the model's entropy, under the
 * interpreter: at temperature 1, -log p(x_{t+1}) - H(p_t) has mean 0 given the past,
 * so sum / sqrt(sum of squares) is ~N(0,1); argmax picks give z << 0, uniform picks z >> 0.
 * *ratio: mean surprisal / mean entropy. */
static double surprisal_z(const ir_graph *g, const lmcc_eval_seqs *s, double *ratio) {
    int V = vocab(g);
    double sd = 0, sd2 = 0, snll = 0, sh = 0;
    for (int i = 0; i < s->n; i++) {
        lmcc_interp *it = lmcc_interp_new(g);
        for (int p = 0; it && p + 1 < s->len[i]; p++) {
            const float *lg = lmcc_interp_step(it, s->ids[i][p], p);
            double m = lg[0], z = 0, h = 0;
            for (int v = 1; v < V; v++) m = lg[v] > m ? lg[v] : m;
            for (int v = 0; v < V; v++) z += exp((double)lg[v] - m);
            for (int v = 0; v < V; v++) {
                double lp = (double)lg[v] - m - log(z);
                h -= exp(lp) * lp;
            }
            double nll = -((double)lg[s->ids[i][p + 1]] - m - log(z));
            sd += nll - h, sd2 += (nll - h) * (nll - h), snll += nll, sh += h;
        }
        lmcc_interp_free(it);
    }
    *ratio = sh > 0 ? snll / sh : 0;
    return sd2 > 0 ? sd / sqrt(sd2) : 0;
}

/* the argmax (kind 0) or uniformly random (kind 1) continuation of each sequence's BOS */
static lmcc_eval_seqs control_seqs(const ir_graph *g, int n, int len, int kind) {
    int V = vocab(g);
    lmcc_eval_seqs s = streams(n, len, V, 99);
    for (int i = 0; kind == 0 && i < n; i++) {
        lmcc_interp *it = lmcc_interp_new(g);
        for (int p = 0; it && p + 1 < len; p++) {
            const float *lg = lmcc_interp_step(it, s.ids[i][p], p);
            int best = 0;
            for (int v = 1; v < V; v++) best = lg[v] > lg[best] ? v : best;
            s.ids[i][p + 1] = best;
        }
        lmcc_interp_free(it);
    }
    return s;
}

static void test_sample(const char *what, const gguf_file *f, build_opts b, int n, int len, int controls) {
    ir_graph *g = build(f, what, b);
    if (!g) return;
    char err[256] = "";
    int V = vocab(g), bos = g->vocab && g->vocab->bos_id >= 0 ? g->vocab->bos_id : 1;
    lmcc_eval_seqs s1 = {0}, s2 = {0}, s3 = {0};
    int ok = lmcc_eval_seqs_sample(g, n, len, 7, &s1, err, sizeof err) == 0;
    CHECK(ok, "%s: sample: %s", what, err);
    ok = ok && lmcc_eval_seqs_sample(g, n, len, 7, &s2, err, sizeof err) == 0;
    ok = ok && lmcc_eval_seqs_sample(g, n, len, 8, &s3, err, sizeof err) == 0;
    CHECK(ok, "%s: sample again: %s", what, err);
    CHECK(lmcc_eval_seqs_sample(g, 2, g->cfg.ctx + 1, 7, &(lmcc_eval_seqs){0}, err, sizeof err) == -1 && err[0],
          "%s: sampling past the context accepted", what);
    if (!ok) goto out;
    int same = 1, differ = 0, in_range = 1, first_bos = 1, shape = s1.n == n;
    for (int i = 0; i < n && shape; i++) {
        shape = shape && s1.len[i] == len && s2.len[i] == len && s3.len[i] == len;
        if (!shape) break;
        same = same && memcmp(s1.ids[i], s2.ids[i], (size_t)len * sizeof(int)) == 0;
        differ = differ || memcmp(s1.ids[i], s3.ids[i], (size_t)len * sizeof(int)) != 0;
        first_bos = first_bos && s1.ids[i][0] == bos && s3.ids[i][0] == bos;
        for (int p = 0; p < len; p++) in_range = in_range && s1.ids[i][p] >= 0 && s1.ids[i][p] < V;
    }
    CHECK(shape, "%s: %d sequences of %d expected", what, n, len);
    CHECK(same, "%s: the same seed gave different sequences", what);
    CHECK(differ, "%s: seeds 7 and 8 gave the same sequences", what);
    CHECK(first_bos, "%s: a sequence does not start with BOS %d", what, bos);
    CHECK(in_range, "%s: a token outside [0, %d)", what, V);
    if (!shape) goto out;
    /* the interpreter sampler's draws: a draw flips only when float and double rounding straddle it */
    int **ref = malloc((size_t)n * sizeof *ref), equal_seqs = 0, short_prefix = 0;
    for (int i = 0; i < n; i++) ref[i] = malloc((size_t)len * sizeof(int));
    ref_sample(g, n, len, 7, bos, ref);
    printf("%s: sampled %d x %d; positions equal to the interpreter sampler's:", what, n, len);
    for (int i = 0; i < n; i++) {
        int p = 0;
        while (p < len && ref[i][p] == s1.ids[i][p]) p++;
        printf(" %d", p);
        equal_seqs += p == len, short_prefix += p < 10;
        free(ref[i]);
    }
    printf(" (%d sequences equal)\n", equal_seqs);
    free(ref);
    /* each sequence has its old draws: the first few tokens agree (later a draw may flip) */
    CHECK(short_prefix == 0, "%s: %d sequences start unlike the interpreter sampler's", what, short_prefix);
    double ratio, z = surprisal_z(g, &s1, &ratio);
    printf("%s: surprisal vs entropy: z %.2f, ratio %.3f\n", what, z, ratio);
    CHECK(fabs(z) < 4 && ratio > 0.7 && ratio < 1.4, "%s: not temperature-1 samples (z %.2f, ratio %.3f)", what, z,
          ratio);
    for (int kind = 0; controls && kind < 2; kind++) { /* the check tells other samplers apart */
        lmcc_eval_seqs c = control_seqs(g, n, len, kind);
        double rc, zc = surprisal_z(g, &c, &rc);
        printf("%s: %s control: z %.2f, ratio %.3f\n", what, kind ? "uniform" : "argmax", zc, rc);
        CHECK(kind ? zc > 4 : zc < -4, "%s: the %s control passes as sampled (z %.2f)", what,
              kind ? "uniform" : "argmax", zc);
        lmcc_eval_seqs_free(&c);
    }
out:
    lmcc_eval_seqs_free(&s1), lmcc_eval_seqs_free(&s2), lmcc_eval_seqs_free(&s3);
    ir_graph_free(g);
}

/* ---- backward ------------------------------------------------------------- */

typedef struct grad_ctx {
    int node;        /* the node whose weight gradient is recorded */
    int64_t n, k;
    double *dw;      /* [n][k] dL/dW = sum over rows of dy^T x */
    int calls, order_ok, last;
} grad_ctx;

static int grad_cb(void *user, int node, int64_t rows, int64_t n, const float *dy, const float *x, int64_t k) {
    grad_ctx *c = user;
    c->calls++;
    if (c->last >= 0 && node >= c->last) c->order_ok = 0; /* reverse graph order */
    c->last = node;
    if (node != c->node) return 0;
    c->n = n, c->k = k;
    c->dw = calloc((size_t)(n * k), sizeof *c->dw);
    for (int64_t r = 0; c->dw && r < rows; r++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < k; j++) c->dw[i * k + j] += (double)dy[r * n + i] * x[r * k + j];
    return 0;
}

/* the loss the backward differentiates, from a whole run's logits: with p (probabilities [rows][vocab]) the
 * soft-target loss, the sum over every position of -sum_v p_v log softmax(logits)_v; without, the next token's
 * negative log-likelihood summed over every position but a sequence's last */
static double run_loss(ir_graph *g, const lmcc_eval_seqs *s, const float *p) {
    int V = vocab(g);
    int64_t rows = total_rows(s);
    float *lg = malloc((size_t)(rows * V) * sizeof *lg);
    char err[256] = "";
    lmcc_eval_seq_opts o;
    memset(&o, 0, sizeof o);
    o.logits = lg;
    if (!lg || lmcc_eval_seq_run(g, s, NULL, NULL, &o, err, sizeof err)) {
        CHECK(0, "loss run: %s", err);
        free(lg);
        return NAN;
    }
    double loss = 0;
    for (int i = 0, r = 0; i < s->n; i++)
        for (int pos = 0; pos < s->len[i]; pos++, r++) {
            if (!p && pos + 1 >= s->len[i]) continue;
            const float *l = lg + (int64_t)r * V;
            double mx = -HUGE_VAL, sum = 0;
            for (int v = 0; v < V; v++) mx = l[v] > mx ? l[v] : mx;
            for (int v = 0; v < V; v++) sum += exp((double)l[v] - mx);
            if (!p) loss += mx + log(sum) - l[s->ids[i][pos + 1]];
            else
                for (int v = 0; v < V; v++) loss -= (double)p[(int64_t)r * V + v] * ((double)l[v] - mx - log(sum));
        }
    free(lg);
    return loss;
}

/* every linear's weight gradient (from the dy and x the backward reports) against central differences of
 * run_loss at its `reps` largest entries; p as in run_loss (NULL: lmcc_eval_seq_backward, else the soft-target
 * lmcc_eval_seq_backward_ex, whose reported loss is checked too) */
static void check_grads(const char *what, ir_graph *g, const lmcc_eval_seqs *s, const float *p, int reps, int min_checked,
                        double tol) {
    const char *kind = p ? "soft-target backward" : "backward";
    char err[256] = "";
    int checked = 0;
    double worst = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead || !ir_op_table[n->op].linear) continue;
        ir_tensor *t = &g->tensors[n->inputs[1]];
        /* a weight read elsewhere too (a tied embedding) has a loss slope the linear's dW is only part of */
        if (t->dtype != IR_DT_F32 || ir_tensor_uses(g, n->inputs[1]) != 1) continue;
        grad_ctx c = {ni, 0, 0, NULL, 0, 1, -1};
        double loss = NAN;
        lmcc_eval_grad_opts o;
        memset(&o, 0, sizeof o);
        o.threads = 2, o.target = p, o.loss = &loss;
        int rc = p ? lmcc_eval_seq_backward_ex(g, s, grad_cb, &c, &o, err, sizeof err)
                   : lmcc_eval_seq_backward(g, s, grad_cb, &c, 2, err, sizeof err);
        CHECK(rc == 0 && c.dw && c.order_ok, "%s: %s node %d: rc %d %s", what, kind, ni, rc, err);
        if (rc || !c.dw) { free(c.dw); continue; }
        if (p && checked == 0) {
            double ref = run_loss(g, s, p);
            CHECK(fabs(loss - ref) <= 1e-4 * fabs(ref), "%s: soft loss %.9g, from the logits %.9g", what, loss, ref);
        }
        if (!t->owned) { /* a writable copy */
            void *cp = malloc(t->nbytes);
            memcpy(cp, t->data, t->nbytes);
            t->owned = cp, t->data = cp;
        }
        float *w = t->owned;
        for (int rep = 0; rep < reps; rep++) { /* the largest, then the next largest */
            int64_t best = 0;
            for (int64_t i = 1; i < c.n * c.k; i++) if (fabs(c.dw[i]) > fabs(c.dw[best])) best = i;
            float w0 = w[best], eps = 1e-2f * (fabsf(w0) > 0.05f ? fabsf(w0) : 0.05f);
            w[best] = w0 + eps;
            double lp = run_loss(g, s, p);
            w[best] = w0 - eps;
            double lm = run_loss(g, s, p);
            w[best] = w0;
            double fd = (lp - lm) / (2.0 * (double)eps), an = c.dw[best];
            CHECK(fabs(fd - an) <= tol * fabs(an) + 1e-3, "%s: %s node %d (%s) dW[%lld]: backward %g, differences %g",
                  what, kind, ni, ir_op_table[n->op].name, (long long)best, an, fd);
            checked++;
            if (fabs(fd - an) / (fabs(an) + 1e-3) > worst) worst = fabs(fd - an) / (fabs(an) + 1e-3);
            c.dw[best] = 0;
        }
        free(c.dw);
    }
    CHECK(checked >= min_checked, "%s: only %d %s gradients checked", what, checked, kind);
    printf("%s: %s: %d weight gradients vs central differences, worst relative error %.2g\n", what, kind, checked,
           worst);
}

static void test_backward(const char *what, const gguf_file *f, build_opts b, double tol) {
    ir_graph *g = build(f, what, b);
    lmcc_eval_seqs s;
    if (!g || sample_seqs(g, 20, 13, &s)) { if (g) ir_graph_free(g); return; }
    check_grads(what, g, &s, NULL, 3, 12, tol);
    lmcc_eval_seqs_free(&s);
    ir_graph_free(g);
}

/* the soft-target loss (distillation against probabilities p): the reported loss and the gradients */
static void test_backward_soft(const char *what, const gguf_file *f, build_opts b, double tol) {
    ir_graph *g = build(f, what, b);
    lmcc_eval_seqs s;
    if (!g || sample_seqs(g, 12, 9, &s)) { if (g) ir_graph_free(g); return; }
    int V = vocab(g);
    int64_t rows = total_rows(&s);
    float *p = malloc((size_t)(rows * V) * sizeof *p);
    uint32_t rng = 7;
    for (int64_t r = 0; p && r < rows; r++) { /* peaked random distributions */
        double sum = 0;
        for (int v = 0; v < V; v++) sum += p[r * V + v] = (float)exp(4.0 * (double)(lcg(&rng) & 0xFFFF) / 65536.0);
        for (int v = 0; v < V; v++) p[r * V + v] = (float)(p[r * V + v] / sum);
    }
    CHECK(p, "out of memory");
    if (p) check_grads(what, g, &s, p, 2, 8, tol);
    free(p);
    lmcc_eval_seqs_free(&s);
    ir_graph_free(g);
}

/* round_in (the int8 activations simulated without quantize nodes) against the graph that has them:
 * the same logits, and the backward hands every linear the same (rounded) input and output gradient */
typedef struct sum_ctx { double s[64]; int n; } sum_ctx;
static int sum_cb(void *user, int node, int64_t rows, int64_t n, const float *dy, const float *x, int64_t k) {
    sum_ctx *c = user;
    (void)node;
    double a = 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < k; j++) a += (double)x[r * k + j] * (double)(j + 1) + (j < n ? dy[r * n + j] : 0);
    if (c->n < 64) c->s[c->n++] = a;
    return 0;
}

static void test_round_in(const char *what, const gguf_file *f) {
    build_opts with = {IR_DT_Q8_0, 1, 1, "actquant"}, without = {IR_DT_Q8_0, 1, 0, "actquant"};
    ir_graph *ga = build(f, what, with), *gb = build(f, what, without);
    lmcc_eval_seqs s = {0};
    if (!ga || !gb || sample_seqs(ga, 20, 13, &s)) { ir_graph_free(ga), ir_graph_free(gb); return; }
    int64_t rows = total_rows(&s), V = vocab(ga);
    unsigned char *round_in = calloc((size_t)gb->n_nodes, 1);
    int n_q = 0, n_r = 0;
    for (int i = 0; i < ga->n_nodes; i++) n_q += !ga->nodes[i].dead && ga->nodes[i].op == IR_OP_QUANTIZE;
    for (int i = 0; round_in && i < gb->n_nodes; i++) {
        const ir_node *n = &gb->nodes[i];
        if (n->dead || !ir_op_table[n->op].linear) continue;
        round_in[i] = (unsigned char)ir_dtype_reads_q8a(gb->tensors[n->inputs[1]].dtype);
        n_r += round_in[i];
    }
    CHECK(n_q > 0 && n_r >= n_q, "%s: %d quantize nodes, %d rounded linears", what, n_q, n_r);
    float *la = malloc((size_t)(rows * V) * sizeof *la), *lb = malloc((size_t)(rows * V) * sizeof *lb);
    float *lf = malloc((size_t)(rows * V) * sizeof *lf);
    char err[256] = "";
    lmcc_eval_seq_opts oa = {.logits = la}, ob = {.logits = lb, .round_in = round_in}, of = {.logits = lf};
    int rc = !round_in || !la || !lb || !lf || lmcc_eval_seq_run(ga, &s, NULL, NULL, &oa, err, sizeof err) ||
             lmcc_eval_seq_run(gb, &s, NULL, NULL, &ob, err, sizeof err) ||
             lmcc_eval_seq_run(gb, &s, NULL, NULL, &of, err, sizeof err);
    CHECK(rc == 0, "%s: runs: %s", what, err);
    if (rc == 0) {
        double d = max_diff(la, lb, rows * V), df = max_diff(la, lf, rows * V);
        printf("%s: round_in vs quantize nodes: logits max |diff| %.3g (without rounding %.3g)\n", what, d, df);
        CHECK(d == 0, "%s: round_in logits differ from the quantize nodes' by %g", what, d);
        CHECK(df > 1e-4, "%s: the rounding changed nothing (%g)", what, df);
    }
    sum_ctx ca = {{0}, 0}, cb = {{0}, 0};
    lmcc_eval_grad_opts ga_o = {.threads = 1}, gb_o = {.threads = 1, .round_in = round_in};
    rc = lmcc_eval_seq_backward_ex(ga, &s, sum_cb, &ca, &ga_o, err, sizeof err) ||
         lmcc_eval_seq_backward_ex(gb, &s, sum_cb, &cb, &gb_o, err, sizeof err);
    CHECK(rc == 0, "%s: backward: %s", what, err);
    if (rc == 0) {
        int same = ca.n == cb.n && ca.n > 0;
        for (int i = 0; same && i < ca.n; i++) same = ca.s[i] == cb.s[i];
        CHECK(same, "%s: the backward's inputs / gradients differ (%d vs %d linears)", what, ca.n, cb.n);
    }
    /* a bad token with round_in: an error, nothing left allocated (LeakSanitizer under the ASan build) */
    int saved = s.ids[0][3];
    s.ids[0][3] = (int)V;
    CHECK(lmcc_eval_seq_run(gb, &s, NULL, NULL, &ob, err, sizeof err) == -1 && err[0], "%s: bad token accepted", what);
    CHECK(lmcc_eval_seq_backward_ex(gb, &s, sum_cb, &cb, &gb_o, err, sizeof err) != 0, "%s: bad token accepted by the "
          "backward", what);
    s.ids[0][3] = saved;
    free(la), free(lb), free(lf), free(round_in);
    lmcc_eval_seqs_free(&s);
    ir_graph_free(ga), ir_graph_free(gb);
}

static const build_opts fused = {IR_WEIGHTS_KEEP, 1, 0, "kvlayout"}, unfused = {IR_WEIGHTS_KEEP, 0, 0, "kvlayout"};
static const build_opts q8act = {IR_DT_Q8_0, 1, 1, "actquant"}, q4 = {IR_DT_Q4_0, 1, 0, "actquant"};

/* what every model gets: logits of sequences of len0 and len1 positions, lockstep decoding over
 * steps positions, n_sample samples of sample_len, the backward, round_in */
static void test_model(const char *model, const gguf_file *f, int len0, int len1, int steps, int n_sample,
                       int sample_len) {
    static const struct { const char *name; const build_opts *b; } lanes[3] = {
        {"fused", &fused}, {"unfused", &unfused}, {"q8 weights, q8a activations", &q8act}};
    char what[128];
    for (int i = 0; i < 3; i++) {
        snprintf(what, sizeof what, "%s %s", model, lanes[i].name);
        test_logits(what, f, *lanes[i].b, len0, len1, 1e-4);
        test_seqstep(what, f, *lanes[i].b, steps, 1e-4);
    }
    snprintf(what, sizeof what, "%s fused", model);
    test_dual(what, f, fused);
    test_sample(what, f, fused, n_sample, sample_len, 1);
    test_backward(what, f, fused, 0.02);
    test_errors(f);
    snprintf(what, sizeof what, "%s q8 weights, round_in", model);
    test_round_in(what, f);
}

int main(void) {
    /* widths past one 256-column panel, not multiples of 4, GQA, partial rope, odd vocab */
    tiny_params p = tiny_default();
    p.dim = 96, p.hidden = 270, p.n_layers = 2, p.n_heads = 4, p.n_kv = 2, p.rope_dim = 8, p.vocab = 41;
    p.ctx_len = 64, p.seed = 5;
    gguf_file *f = tiny_make(&p);
    CHECK(f, "tiny_make");
    if (f) {
        test_model("tiny", f, 20, 13, 30, 3, 60);
        test_logits("tiny q4", f, q4, 20, 13, 1e-4);
        test_hook_inputs("tiny fused", f, fused, IR_OP_LINEAR_ADD, 1);
        test_backward("tiny unfused", f, unfused, 0.02);
        test_backward_soft("tiny fused", f, fused, 0.02);
        gguf_close(f);
    }

    /* gemma2: head size from key_length (not dim / heads), a sliding window of 6 on layer 0 (shorter
     * than the sequences), softcaps small enough to bend the scores and logits, GELU, post norms */
    p = tiny_default();
    p.arch = "gemma2", p.dim = 64, p.hidden = 100, p.n_layers = 2, p.n_heads = 4, p.n_kv = 2, p.head_dim = 24;
    p.rope_dim = 24, p.vocab = 41, p.ctx_len = 64, p.window = 6, p.attn_cap = 1.5f, p.final_cap = 3.0f, p.seed = 9;
    f = tiny_make(&p);
    CHECK(f, "tiny_make gemma2");
    if (f) {
        test_model("tiny gemma2", f, 20, 13, 30, 3, 60);
        test_backward("tiny gemma2 unfused", f, unfused, 0.02);
        gguf_close(f);
    }
    /* gemma3: gemma2's block without softcaps, q/k head norms before RoPE (their backward) */
    p = tiny_default();
    p.arch = "gemma3", p.dim = 32, p.hidden = 48, p.n_layers = 2, p.n_heads = 2, p.n_kv = 1, p.head_dim = 16;
    p.rope_dim = 16, p.vocab = 41, p.ctx_len = 64, p.window = 6, p.seed = 10;
    f = tiny_make(&p);
    CHECK(f, "tiny_make gemma3");
    if (f) {
        test_backward("tiny gemma3 fused", f, fused, 0.02);
        gguf_close(f);
    }
    /* phi3: fused attn_qkv and gate+up, partial rotary (NEOX over 10 of 16 dims) */
    p = tiny_default();
    p.arch = "phi3", p.dim = 64, p.hidden = 90, p.n_layers = 2, p.n_heads = 4, p.n_kv = 2, p.rope_dim = 10;
    p.vocab = 41, p.ctx_len = 64, p.seed = 11;
    f = tiny_make(&p);
    CHECK(f, "tiny_make phi3");
    if (f) {
        test_model("tiny phi3", f, 20, 13, 30, 3, 60);
        gguf_close(f);
    }

    f = test_open_model("stories260K.gguf", "the stories260K checks");
    int have = f != NULL;
    if (f) {
        test_model("stories260K", f, 40, 25, 40, 4, 64);
        test_hook_inputs("stories260K fused", f, fused, IR_OP_LINEAR_SWIGLU, 2);
        test_hook_inputs("stories260K unfused", f, unfused, IR_OP_LINEAR, 7);
        test_dual("stories260K unfused", f, unfused);
        gguf_close(f);
    }
    return test_finish("test_seqeval", have ? NULL : "the stories260K checks");
}
