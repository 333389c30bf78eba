/* test_rotate.c - the residual-stream rotation (passes/rotate.c):
 * (a) exact in float: the rotated graph's logits equal the unrotated ones
 *     (interpreter, teacher forced), and each rotated weight keeps its norm
 *     while its entries change;
 * (b) it helps: q4_0 round-to-nearest of the rotated weights gives a lower
 *     KL against the float model than of the original weights;
 *     The online part (R4): a hadamard node before every Wo and W_down, their
 *     columns transformed to match (W_down's 172 padded to 192), still exact;
 * (c) it stays out of the way: --rotate off, float weights, unfused graphs are
 *     left untouched; a graph whose output norm is not folded (tied classifier)
 *     keeps its residual stream but still gets the hadamard nodes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "calib.h"
#include "interp.h"
#include "lmrt_quant.h"
#include "model.h"
#include "passes.h"
#include "test_model.h"

static ir_graph *load(const char *file, gguf_file **fp, int weights, int rotate, int fuse) {
    char path[1024];
    find_model(path, sizeof path, file);
    *fp = lmcc_model_open(path);
    if (!*fp) return NULL;
    ir_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.ctx = 64, cfg.kv_dtype = IR_DT_F32, cfg.weights_mode = weights, cfg.quant = IR_QUANT_PLAIN;
    cfg.fuse = fuse, cfg.rotate = rotate;
    return test_build_graph(*fp, path, &cfg, "kvlayout");
}

/* log-softmax of the logits at every position of seqs, [positions][V] */
static double *run_lp(const ir_graph *g, const lmcc_eval_seqs *s, int *np) {
    int V = g->info.vocab_size, n = 0;
    for (int i = 0; i < s->n; i++) n += s->len[i];
    double *lp = malloc((size_t)n * (size_t)V * sizeof *lp);
    *np = 0;
    for (int i = 0; i < s->n; i++) {
        lmcc_interp *it = lmcc_interp_new(g);
        for (int p = 0; p < s->len[i]; p++, (*np)++) {
            const float *lg = lmcc_interp_step(it, s->ids[i][p], p);
            double mx = lg[0], sum = 0, *o = lp + (size_t)*np * (size_t)V;
            for (int v = 1; v < V; v++) mx = lg[v] > mx ? lg[v] : mx;
            for (int v = 0; v < V; v++) sum += exp((double)lg[v] - mx);
            for (int v = 0; v < V; v++) o[v] = (double)lg[v] - mx - log(sum);
        }
        lmcc_interp_free(it);
    }
    return lp;
}

static double mean_kl(const double *ref, const double *lp, int np, int V) {
    double kl = 0;
    for (int i = 0; i < np * V; i++) kl += exp(ref[i]) * (ref[i] - lp[i]);
    return kl / np;
}

/* quantize -> dequantize every 2-D float weight (in place, stays f32) */
static void fake_q4(ir_graph *g) {
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        if (t->dead || t->kind != IR_KIND_WEIGHT || t->ndim != 2 || t->dtype != IR_DT_F32 ||
            strstr(t->name, "rope") || strstr(t->name, "token_embd")) continue;
        int64_t k = t->shape[1];
        float *w = malloc(t->nbytes);
        uint8_t *q = malloc(ir_row_bytes(IR_DT_Q4_0, k));
        memcpy(w, t->data, t->nbytes);
        for (int64_t r = 0; r < t->shape[0]; r++) {
            lmrt_quantize_row(ir_dtype_lmrt_type(IR_DT_Q4_0), w + r * k, q, k);
            lmrt_dequant_row(ir_dtype_lmrt_type(IR_DT_Q4_0), q, w + r * k, k);
        }
        free(q);
        free(t->owned);
        t->owned = w, t->data = w;
    }
}

static double frob(const ir_tensor *t) {
    double s = 0;
    const float *w = t->data;
    for (int64_t i = 0; i < ir_tensor_elems(t); i++) s += (double)w[i] * w[i];
    return sqrt(s);
}

int main(void) {
    gguf_file *f0, *f1;
    /* q8 weights: the pipeline stops at kvlayout, so the weights are still float there */
    ir_graph *g0 = load("stories260K.gguf", &f0, IR_DT_Q8_0, 0, 1);
    ir_graph *g1 = load("stories260K.gguf", &f1, IR_DT_Q8_0, 1, 1);
    if (!g0 || !g1) { printf("SKIP: no stories260K model\n"); return 77; }
    char err[512] = "";
    lmcc_eval_seqs s;
    CHECK(lmcc_eval_seqs_sample(g0, 2, 40, 99, &s, err, sizeof err) == 0, "sample: %s", err);
    int np, V = g0->info.vocab_size;
    double *ref = run_lp(g0, &s, &np), *rot = run_lp(g1, &s, &np), worst = 0;
    for (int i = 0; i < np * V; i++) worst = fmax(worst, fabs(ref[i] - rot[i]));
    printf("(a) rotated vs original log-probs: max |diff| %.2e over %d positions\n", worst, np);
    CHECK(worst < 2e-4, "rotation changed the float model: %g", worst);
    int n_rot = 0, n_same = 0;
    for (int i = 0; i < g0->n_tensors; i++) {
        const ir_tensor *a = &g0->tensors[i];
        if (a->dead || a->kind != IR_KIND_WEIGHT || a->ndim != 2 || a->dtype != IR_DT_F32 || strstr(a->name, "rope"))
            continue;
        int bi = ir_tensor_find(g1, a->name); /* the hadamard nodes' outputs shift later tensor ids */
        CHECK(bi >= 0, "%s missing from the rotated graph", a->name);
        if (bi < 0) continue;
        const ir_tensor *b = &g1->tensors[bi];
        if (a->nbytes == b->nbytes && !memcmp(a->data, b->data, a->nbytes)) { n_same++; continue; }
        n_rot++;
        CHECK(fabs(frob(a) - frob(b)) < 1e-4 * frob(a), "%s: norm %g -> %g", a->name, frob(a), frob(b));
    }
    printf("(a) %d weights rotated, %d unchanged\n", n_rot, n_same);
    int n_had = 0, n_pad = 0;
    for (int i = 0; i < g1->n_nodes; i++) {
        const ir_node *n = &g1->nodes[i];
        if (n->dead || n->op != IR_OP_HADAMARD) continue;
        n_had++;
        const ir_tensor *x = &g1->tensors[n->inputs[0]], *y = &g1->tensors[n->output];
        CHECK(y->shape[0] % n->attrs.block == 0 && y->shape[0] == (x->shape[0] + 31) / 32 * 32,
              "hadamard %lld -> %lld, block %d", (long long)x->shape[0], (long long)y->shape[0], n->attrs.block);
        for (int j = 0; j < g1->n_nodes; j++) /* its reader's weight is as wide, its padding recorded */
            if (!g1->nodes[j].dead && g1->nodes[j].inputs[0] == n->output) {
                const ir_tensor *w = &g1->tensors[g1->nodes[j].inputs[1]];
                CHECK(w->shape[1] == y->shape[0] && w->pad_cols == y->shape[0] - x->shape[0], "%s: width %lld, pad %lld",
                      w->name, (long long)w->shape[1], (long long)w->pad_cols);
                n_pad += w->pad_cols > 0;
            }
    }
    printf("(a) %d hadamard nodes, %d padded weights\n", n_had, n_pad);
    CHECK(n_had == 10 && n_pad == 5, "hadamard nodes %d (want 10: Wo and W_down x 5), padded %d (want 5)", n_had, n_pad);
    /* fused graph: qkv, gate_up (readers), wo, down (writers) x 5 layers + embedding + output */
    CHECK(n_rot == 5 * 4 + 2 && n_same == 0, "rotated %d (want 22)", n_rot);
    /* (b) */
    fake_q4(g0), fake_q4(g1);
    double *q0 = run_lp(g0, &s, &np), *q1 = run_lp(g1, &s, &np);
    double kl0 = mean_kl(ref, q0, np, V), kl1 = mean_kl(ref, q1, np, V);
    printf("(b) q4_0 rounding: KL %.4f unrotated, %.4f rotated\n", kl0, kl1);
    CHECK(kl1 < 0.95 * kl0, "rotation did not lower the q4 error (%g vs %g)", kl1, kl0);
    free(ref), free(rot), free(q0), free(q1);
    ir_graph_free(g0), ir_graph_free(g1), gguf_close(f0), gguf_close(f1);
    /* (c) float weights, --rotate off, no fusion (norms unfolded), tied classifier: untouched */
    static const struct { const char *file; int weights, rotate, fuse, want; } keep[] = {
        {"stories260K.gguf", IR_DT_F32, 1, 1, 0}, {"stories260K.gguf", IR_DT_Q4_0, 0, 1, 0},
        {"stories260K.gguf", IR_DT_Q4_0, 1, 0, 0}, {"stories260K.bin", IR_DT_Q4_0, 1, 1, 10}};
    for (size_t c = 0; c < sizeof keep / sizeof keep[0]; c++) {
        ir_graph *a = load(keep[c].file, &f0, keep[c].weights, 0, keep[c].fuse);
        ir_graph *b = load(keep[c].file, &f1, keep[c].weights, keep[c].rotate, keep[c].fuse);
        if (!a || !b) { printf("SKIP (c) %s\n", keep[c].file); continue; }
        int differ = 0;
        for (int i = 0; i < a->n_tensors; i++) {
            if (a->tensors[i].kind != IR_KIND_WEIGHT || a->tensors[i].dead) continue;
            int j = ir_tensor_find(b, a->tensors[i].name);
            differ += j < 0 || a->tensors[i].nbytes != b->tensors[j].nbytes ||
                      memcmp(a->tensors[i].data, b->tensors[j].data, a->tensors[i].nbytes) != 0;
        }
        printf("(c) %s weights=%d rotate=%d fuse=%d: %d weights differ\n", keep[c].file, keep[c].weights,
               keep[c].rotate, keep[c].fuse, differ);
        CHECK(differ == keep[c].want, "case %zu: %d weights changed, want %d", c, differ, keep[c].want);
        ir_graph_free(a), ir_graph_free(b), gguf_close(f0), gguf_close(f1);
    }
    lmcc_eval_seqs_free(&s);
    return test_finish("test_rotate", NULL);
}
