/* awq.c - AWQ (Lin et al. 2023) as a graph rewrite before fold_norm.
 *
 * For each group of linears reading one input x, scale input channel j of
 * their weights by s_j = mean|x_j|^alpha (salient channels get finer steps)
 * and divide the producer of x by s_j, so the float graph computes the same
 * function: the rmsnorm weight, the up rows before swiglu, or the v rows
 * before attention (with GQA, s is tied across the heads of one kv head).
 * alpha on a grid of 20 in [0, 1) minimizes the output error of the
 * quantized group on calibration rows; alpha 0 is plain rtn, so the chosen
 * scale never measures worse.  weightfmt then quantizes with rtn. */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "lmrt_quant.h"

#define AWQ_GRID 20
#define AWQ_ROWS 256 /* calibration rows for the error */

typedef struct awq_group {
    int x;              /* input tensor */
    int lin[8], n_lin;  /* linear nodes reading x */
    int kind;           /* 0 rmsnorm weight, 1 up rows, 2 v rows */
    int fold;           /* the tensor divided by s */
    int heads_per_kv;   /* kind 2 */
    int head_dim;
} awq_group;

static int awq_uses(const ir_graph *g, int t) {
    int n = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *nd = &g->nodes[ni];
        if (nd->dead) continue;
        for (int s = 0; s < ir_op_table[nd->op].n_inputs; s++) n += nd->inputs[s] == t;
    }
    return n;
}

static int awq_producer(const ir_graph *g, int t) {
    for (int ni = 0; ni < g->n_nodes; ni++)
        if (!g->nodes[ni].dead && g->nodes[ni].output == t) return ni;
    return -1;
}

/* the weight as an owned f32 buffer (converted in place if needed) */
static float *awq_own_f32(ir_tensor *t) {
    int64_t n = ir_tensor_elems(t), k = t->shape[t->ndim - 1];
    if (t->dtype == IR_DT_F32 && t->owned == t->data && t->data) return t->owned;
    float *w = malloc((size_t)n * sizeof *w);
    if (!w) return NULL;
    size_t rb = ir_row_bytes(t->dtype, k);
    for (int64_t r = 0; r < n / k; r++)
        if (lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype), (const uint8_t *)t->data + (size_t)r * rb, w + r * k, k)) {
            free(w);
            return NULL;
        }
    free(t->owned);
    t->owned = w;
    t->data = w;
    t->dtype = IR_DT_F32;
    t->nbytes = (size_t)n * sizeof *w;
    return w;
}

static int awq_find_groups(const ir_graph *g, awq_group *gr, int cap) {
    int n = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *L = &g->nodes[ni];
        if (L->dead || L->op != IR_OP_LINEAR) continue;
        int x = L->inputs[0], w = L->inputs[1], gi = -1;
        lmcc_quant_fmt f;
        int dt = lmcc_quant_target(g, &g->tensors[w]);
        for (int i = 0; i < n; i++) gi = gr[i].x == x ? i : gi;
        if (gi >= 0 && gr[gi].n_lin < 0) continue; /* rejected */
        int ok = dt >= 0 && lmcc_quant_fmt_get((ir_dtype)dt, &f) == 0 && awq_uses(g, w) == 1;
        if (gi < 0) {
            if (n == cap) break;
            gi = n++;
            memset(&gr[gi], 0, sizeof gr[gi]);
            gr[gi].x = x;
            int p = awq_producer(g, x);
            const ir_node *P = p >= 0 ? &g->nodes[p] : NULL;
            ok = ok && P && g->tensors[x].ndim == 1;
            if (ok && P->op == IR_OP_RMSNORM) {
                gr[gi].kind = 0;
                gr[gi].fold = P->inputs[1];
                ok = awq_uses(g, P->inputs[1]) == 1;
            } else if (ok && P->op == IR_OP_SWIGLU) {
                int pu = awq_producer(g, P->inputs[1]);
                gr[gi].kind = 1;
                ok = pu >= 0 && g->nodes[pu].op == IR_OP_LINEAR && awq_uses(g, P->inputs[1]) == 1 &&
                     awq_uses(g, g->nodes[pu].inputs[1]) == 1;
                gr[gi].fold = ok ? g->nodes[pu].inputs[1] : -1;
            } else if (ok && P->op == IR_OP_ATTENTION) {
                int vc = P->inputs[2], st = -1;
                for (int k = 0; k < g->n_nodes; k++)
                    if (!g->nodes[k].dead && g->nodes[k].op == IR_OP_KV_STORE && g->nodes[k].inputs[1] == vc) st = k;
                int pv = st >= 0 ? awq_producer(g, g->nodes[st].inputs[0]) : -1;
                gr[gi].kind = 2;
                ok = pv >= 0 && g->nodes[pv].op == IR_OP_LINEAR && awq_uses(g, vc) == 2 &&
                     awq_uses(g, g->nodes[st].inputs[0]) == 1 && awq_uses(g, g->nodes[pv].inputs[1]) == 1 &&
                     P->attrs.n_kv_heads > 0 && P->attrs.n_heads % P->attrs.n_kv_heads == 0;
                gr[gi].fold = ok ? g->nodes[pv].inputs[1] : -1;
                gr[gi].heads_per_kv = ok ? P->attrs.n_heads / P->attrs.n_kv_heads : 1;
                gr[gi].head_dim = P->attrs.head_dim;
            } else {
                ok = 0;
            }
        }
        if (!ok || gr[gi].n_lin == 8) { gr[gi].n_lin = -1; continue; }
        gr[gi].lin[gr[gi].n_lin++] = ni;
    }
    return n;
}

/* s = a^alpha normalized to a geometric middle of 1, tied across heads sharing a kv head */
static void awq_scales(const awq_group *G, const double *a, int64_t k, double alpha, float *s) {
    double mx = 0, mn = INFINITY;
    for (int64_t j = 0; j < k; j++) {
        double v = pow(a[j] > 1e-6 ? a[j] : 1e-6, alpha);
        s[j] = (float)v;
    }
    if (G->kind == 2 && G->heads_per_kv > 1) {
        int64_t hd = G->head_dim, per = hd * G->heads_per_kv;
        for (int64_t b = 0; b + per <= k; b += per)
            for (int64_t d = 0; d < hd; d++) {
                double lg = 0;
                for (int h = 0; h < G->heads_per_kv; h++) lg += log(s[b + h * hd + d]);
                for (int h = 0; h < G->heads_per_kv; h++) s[b + h * hd + d] = (float)exp(lg / G->heads_per_kv);
            }
    }
    for (int64_t j = 0; j < k; j++) mx = s[j] > mx ? s[j] : mx, mn = s[j] < mn ? s[j] : mn;
    double c = sqrt(mx * mn);
    for (int64_t j = 0; j < k; j++) s[j] = (float)(s[j] / c);
}

/* sum over rows and calibration rows of ((Q(W s)/s - W) x)^2 */
static double awq_loss(const lmcc_quant_fmt *f, const float *w, int64_t rows, int64_t k, const float *s,
                       const lmcc_eval_calib_act *a, int64_t step, float *buf, float *e, uint8_t *q) {
    double loss = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *wr = w + r * k;
        for (int64_t j = 0; j < k; j++) buf[j] = wr[j] * s[j];
        lmcc_quant_rtn_row(f, buf, NULL, k, q);
        lmrt_dequant_row(ir_dtype_lmrt_type(f->dt), q, buf, k);
        for (int64_t j = 0; j < k; j++) e[j] = buf[j] / s[j] - wr[j];
        for (int64_t t = 0; t < a->rows; t += step) {
            const float *x = a->x + t * k;
            double d = 0;
            for (int64_t j = 0; j < k; j++) d += (double)e[j] * x[j];
            loss += d * d;
        }
    }
    return loss;
}

int lmcc_quant_awq(ir_graph *g, lmcc_diag *pc) {
    if (g->cfg.quant != IR_QUANT_AWQ) return 0;
    FILE *log = pc->log ? pc->log : stderr;
    int cap = g->n_nodes > 0 ? g->n_nodes : 1, rc = -1;
    awq_group *gr = calloc((size_t)cap, sizeof *gr);
    int *acts = calloc((size_t)cap, sizeof *acts);
    lmcc_eval_calib cal;
    lmcc_eval_seqs seqs;
    memset(&cal, 0, sizeof cal);
    memset(&seqs, 0, sizeof seqs);
    if (!gr || !acts) { snprintf(pc->err, sizeof pc->err, "out of memory"); goto out; }
    int n = awq_find_groups(g, gr, cap), n_acts = 0;
    for (int i = 0; i < n; i++)
        if (gr[i].n_lin > 0) acts[n_acts++] = gr[i].x;
    if (n_acts == 0) { rc = 0; goto out; }
    if (lmcc_eval_seqs_for_calib(g, 0, &seqs, pc->err, sizeof pc->err)) goto out;
    int64_t tokens = 0;
    for (int s = 0; s < seqs.n; s++) tokens += seqs.len[s];
    if (lmcc_eval_calib_run(g, &seqs, acts, n_acts, lmcc_eval_calib_max_rows(g, acts, n_acts, tokens), &cal,
                       pc->verbose ? log : NULL, pc->err, sizeof pc->err))
        goto out;
    for (int i = 0; i < n; i++) {
        awq_group *G = &gr[i];
        if (G->n_lin <= 0) continue;
        const lmcc_eval_calib_act *a = lmcc_eval_calib_find(&cal, G->x);
        int64_t k = a->k, step = a->rows > AWQ_ROWS ? (a->rows + AWQ_ROWS - 1) / AWQ_ROWS : 1, maxr = 0;
        float *w[8] = {0};
        lmcc_quant_fmt f[8];
        for (int l = 0; l < G->n_lin; l++) {
            ir_tensor *t = &g->tensors[g->nodes[G->lin[l]].inputs[1]];
            lmcc_quant_fmt_get((ir_dtype)lmcc_quant_target(g, t), &f[l]);
            w[l] = awq_own_f32(t);
            maxr = t->shape[0] > maxr ? t->shape[0] : maxr;
            if (!w[l]) { snprintf(pc->err, sizeof pc->err, "awq: cannot read weight %s", t->name); goto out; }
        }
        float *s = malloc((size_t)k * sizeof *s), *best = malloc((size_t)k * sizeof *best);
        float *buf = malloc((size_t)k * sizeof *buf), *e = malloc((size_t)k * sizeof *e);
        uint8_t *q = malloc(ir_row_bytes(IR_DT_Q8_0, k) + ir_row_bytes(IR_DT_Q4_1, k));
        if (!s || !best || !buf || !e || !q) {
            free(s), free(best), free(buf), free(e), free(q);
            snprintf(pc->err, sizeof pc->err, "out of memory");
            goto out;
        }
        double best_loss = INFINITY, base = 0, best_alpha = 0;
        for (int ai = 0; ai < AWQ_GRID; ai++) {
            double alpha = (double)ai / AWQ_GRID, loss = 0;
            awq_scales(G, a->absmean, k, alpha, s);
            for (int l = 0; l < G->n_lin; l++) {
                const ir_tensor *t = &g->tensors[g->nodes[G->lin[l]].inputs[1]];
                loss += awq_loss(&f[l], w[l], t->shape[0], k, s, a, step, buf, e, q);
            }
            if (ai == 0) base = loss;
            if (loss < best_loss) best_loss = loss, best_alpha = alpha, memcpy(best, s, (size_t)k * sizeof *s);
        }
        /* fold: W diag(s) in the linears, 1/s in the producer */
        for (int l = 0; l < G->n_lin; l++) {
            const ir_tensor *t = &g->tensors[g->nodes[G->lin[l]].inputs[1]];
            for (int64_t r = 0; r < t->shape[0]; r++)
                for (int64_t j = 0; j < k; j++) w[l][r * k + j] *= best[j];
        }
        ir_tensor *ft = &g->tensors[G->fold];
        float *fw = awq_own_f32(ft);
        if (!fw) {
            free(s), free(best), free(buf), free(e), free(q);
            snprintf(pc->err, sizeof pc->err, "awq: cannot read weight %s", ft->name);
            goto out;
        }
        int64_t fk = ft->shape[ft->ndim - 1];
        if (G->kind == 0) {
            for (int64_t j = 0; j < k; j++) fw[j] /= best[j];
        } else {
            /* rows of up (index j) or of v (kv index of channel j: its first head) */
            int64_t hd = G->head_dim, hpk = G->heads_per_kv;
            for (int64_t j = 0; j < k; j++) {
                int64_t row = j;
                if (G->kind == 2) {
                    int64_t h = j / hd;
                    if (h % hpk) continue; /* tied: the same s as the first head of its group */
                    row = (h / hpk) * hd + j % hd;
                }
                for (int64_t c = 0; c < fk; c++) fw[row * fk + c] /= best[j];
            }
        }
        if (pc->verbose)
            fprintf(log, "awq: %s: alpha %.2f, output error %.4g -> %.4g (%d linears)\n", g->tensors[G->x].name,
                    best_alpha, base, best_loss, G->n_lin);
        free(s), free(best), free(buf), free(e), free(q);
        (void)maxr;
    }
    rc = 0;
out:
    lmcc_eval_calib_free(&cal);
    lmcc_eval_seqs_free(&seqs);
    free(gr), free(acts);
    return rc;
}
