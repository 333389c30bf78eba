/* seqeval_backward.c - the batched evaluator's backward pass (seqeval.h,
 * lmcc_eval_seq_backward*): a whole run forward with every value kept, then
 * the nodes in reverse, each turning its output's gradient into its inputs'. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmrt_math.h"
#include "lmrt_quant.h"
#include "seqeval_int.h"

/* ---- backward ------------------------------------------------------------- */

/* Gradients live in lane 1 (same layout as the values: [rows][width], caches
 * [cache_rows][width]); the forward keeps every value (persist). */

static float *seqgrad_buf(seqeval *e, int id) { return seqeval_buf(e, &e->lane[1], id); }

/* the weight of a linear as floats, transposed: a [k][n] F32 tensor for seqeval_matmul */
static float *seqgrad_wt(const ir_tensor *w, ir_tensor *wt) {
    int64_t n = w->shape[0], k = w->shape[1];
    float *row = malloc((size_t)k * sizeof *row), *tr = malloc((size_t)(n * k > 0 ? n * k : 1) * sizeof *tr);
    if (!row || !tr) { free(row), free(tr); return NULL; }
    size_t rb = ir_row_bytes(w->dtype, k);
    for (int64_t r = 0; r < n; r++) {
        lmrt_dequant_row(ir_dtype_lmrt_type(w->dtype), (const unsigned char *)w->data + (size_t)r * rb, row, k);
        for (int64_t i = 0; i < k; i++) tr[i * n + r] = row[i];
    }
    free(row);
    memset(wt, 0, sizeof *wt);
    wt->kind = IR_KIND_WEIGHT, wt->dtype = IR_DT_F32, wt->ndim = 2, wt->shape[0] = k, wt->shape[1] = n;
    wt->data = tr, wt->nbytes = (size_t)(n * k) * sizeof(float), wt->want_dtype = -1;
    return tr;
}

/* dx [rows][k] += dy [rows][n] W for the weight w [n][k] */
static int seqgrad_linear_dx(seqeval *e, float *dx, const float *dy, const ir_tensor *w) {
    ir_tensor wt;
    int64_t k = w->shape[1];
    float *tr = seqgrad_wt(w, &wt), *tmp = malloc((size_t)(e->rows * k > 0 ? e->rows * k : 1) * sizeof *tmp);
    int rc = -1;
    if (tr && tmp && seqeval_matmul(e, tmp, dy, &wt) == 0) {
        for (int64_t i = 0; i < e->rows * k; i++) dx[i] += tmp[i];
        rc = 0;
    }
    free(tr), free(tmp);
    if (rc) snprintf(e->err, e->errlen, "out of memory in the calibration backward");
    return rc;
}

static double seqgrad_dsilu(double v) {
    double s = 1.0 / (1.0 + exp(-v));
    return s * (1.0 + v * (1.0 - s));
}

/* dx += d(x / rms(x) * w)/dx . dy over cols-long pieces (w NULL: 1) */
static void seqgrad_norm(float *dx, const float *dy, const float *x, const float *w, int64_t n, int64_t cols,
                         float eps) {
    for (int64_t r = 0; r < n / cols; r++) {
        const float *xr = x + r * cols, *gr = dy + r * cols;
        double ss = 0, dot = 0;
        for (int64_t i = 0; i < cols; i++) ss += (double)xr[i] * xr[i];
        double inv = 1.0 / sqrt(ss / (double)cols + (double)eps);
        for (int64_t i = 0; i < cols; i++) dot += (double)gr[i] * (w ? w[i] : 1.0f) * xr[i];
        double c = dot * inv * inv * inv / (double)cols;
        for (int64_t i = 0; i < cols; i++)
            dx[r * cols + i] += (float)((double)gr[i] * (w ? w[i] : 1.0f) * inv - (double)xr[i] * c);
    }
}

typedef struct seqgrad_att {
    seqeval *e;
    const ir_attrs *a;
    const float *q, *kc, *vc, *dy;
    float *dq, *dk, *dv;
    int failed;
} seqgrad_att;

/* sequences t, t+nt, ...: each writes only its own rows and cache rows */
static void seqgrad_att_seqs(void *arg, int t, int nt) {
    seqgrad_att *at = arg;
    const seqeval *e = at->e;
    const ir_attrs *a = at->a;
    int hd = a->head_dim, group = a->n_heads / a->n_kv_heads;
    int64_t qw = (int64_t)a->n_heads * hd, kw = (int64_t)a->n_kv_heads * hd;
    double *sc = malloc((size_t)e->maxlen * sizeof *sc), *dp = malloc((size_t)e->maxlen * sizeof *dp);
    double *dcap = malloc((size_t)e->maxlen * sizeof *dcap);
    if (!sc || !dp || !dcap) { at->failed = 1; free(sc), free(dp), free(dcap); return; }
    for (int64_t r = 0; r < e->rows; r++) {
        if (e->seq[r] % nt != t) continue;
        int p = e->pos[r];
        int64_t base = e->start[e->seq[r]];
        for (int h = 0; h < a->n_heads; h++) {
            int64_t ko = base * kw + (int64_t)(h / group) * hd;
            const float *qh = at->q + r * qw + (int64_t)h * hd, *kb = at->kc + ko, *vb = at->vc + ko;
            const float *gy = at->dy + r * qw + (int64_t)h * hd;
            float *dq = at->dq + r * qw + (int64_t)h * hd, *dk = at->dk + ko, *dv = at->dv + ko;
            int lo = seqeval_att_lo(a, p);
            double sum = seqeval_att_exp(sc, dcap, qh, kb, kw, hd, lo, p, a), pd = 0;
            for (int u = lo; u <= p; u++) {
                sc[u] /= sum;
                dp[u] = seqeval_dot(gy, vb + u * kw, hd);
                pd += sc[u] * dp[u];
            }
            for (int u = lo; u <= p; u++) {
                float ds = (float)(sc[u] * (dp[u] - pd) * (double)a->scale * dcap[u]), pu = (float)sc[u];
                const float *ku = kb + u * kw;
                float *dku = dk + u * kw, *dvu = dv + u * kw;
                for (int i = 0; i < hd; i++) {
                    dq[i] += ds * ku[i];
                    dku[i] += ds * qh[i];
                    dvu[i] += pu * gy[i];
                }
            }
        }
    }
    free(sc), free(dp), free(dcap);
}

/* dL/dlogits of the next-token loss: softmax - onehot(next), zero at each sequence's last position;
 * with target probabilities p: softmax - p at every position (the gradient of KL(p || softmax)).
 * Returns the loss (with targets the cross-entropy sum_i -p_i log softmax_i, KL + the targets' entropy). */
static double seqgrad_seed(const seqeval *e, float *dl, const float *lg, int64_t V, const float *target) {
    double loss = 0;
    for (int64_t r = 0; r < e->rows; r++) {
        float *d = dl + r * V;
        const float *l = lg + r * V;
        if (!target && (r + 1 >= e->rows || e->seq[r + 1] != e->seq[r])) {
            memset(d, 0, (size_t)V * sizeof *d);
            continue;
        }
        float mx = -HUGE_VALF;
        double sum = 0;
        for (int64_t i = 0; i < V; i++) mx = l[i] > mx ? l[i] : mx;
        for (int64_t i = 0; i < V; i++) sum += d[i] = expf(l[i] - mx);
        double lse = (double)mx + log(sum); /* log softmax = l - lse */
        float inv = (float)(1.0 / sum);
        for (int64_t i = 0; i < V; i++) d[i] *= inv;
        if (!target) {
            int nx = e->tok[r + 1];
            if (nx >= 0 && nx < V) d[nx] -= 1.0f, loss += lse - l[nx];
            continue;
        }
        const float *p = target + r * V;
        double pl = 0;
        for (int64_t i = 0; i < V; i++) d[i] -= p[i], pl += (double)p[i] * l[i];
        loss += lse - pl;
    }
    return loss;
}

/* one node backward: dy of its output into the gradients of its ACT/STATE inputs */
static int seqgrad_node(seqeval *e, int ni, lmcc_eval_grad_fn fn, void *user) {
    const ir_graph *g = e->g;
    const ir_node *n = &g->nodes[ni];
    const ir_attrs *a = &n->attrs;
    seqeval_lane *v = &e->lane[0];
    int64_t rows = e->rows, ne = n->output >= 0 ? ir_tensor_elems(&g->tensors[n->output]) : 0;
    const float *dy = n->output >= 0 ? seqgrad_buf(e, n->output) : NULL;
    int in0 = n->inputs[0];
    int act0 = g->tensors[in0].kind == IR_KIND_ACT;
    if (n->output >= 0 && !dy) return -1;
    switch (n->op) {
    case IR_OP_EMBED:
        return 0;
    case IR_OP_RMSNORM: case IR_OP_HEAD_NORM: case IR_OP_NORMALIZE: {
        float *dx = act0 ? seqgrad_buf(e, in0) : NULL;
        int64_t sw, cols = n->op == IR_OP_HEAD_NORM ? a->head_dim : seqeval_cols(&g->tensors[in0]);
        const float *w = n->op != IR_OP_NORMALIZE ? seqeval_in(e, v, n->inputs[1], &sw) : NULL;
        if (!act0) return 0;
        if (!dx || (n->op != IR_OP_NORMALIZE && (!w || sw != 0))) return -1; /* the scale: a weight */
        for (int64_t r = 0; r < rows; r++)
            seqgrad_norm(dx + r * ne, dy + r * ne, v->buf[in0] + r * ne, w, ne, cols, a->eps);
        return 0;
    }
    case IR_OP_QUANTIZE: case IR_OP_TAKE_LAST: case IR_OP_ADD_BIAS: { /* dy/dx = 1 (a bias is a weight) */
        float *dx = act0 ? seqgrad_buf(e, in0) : NULL;
        if (!act0) return 0;
        if (!dx) return -1;
        for (int64_t i = 0; i < rows * ne; i++) dx[i] += dy[i];
        return 0;
    }
    case IR_OP_HADAMARD: { /* y = T [x; 0] with T symmetric orthogonal: dx = the first K of T dy */
        float *dx = act0 ? seqgrad_buf(e, in0) : NULL;
        int64_t k = ir_tensor_elems(&g->tensors[in0]);
        float *t = malloc((size_t)(ne > 0 ? ne : 1) * sizeof *t);
        if (!act0) { free(t); return 0; }
        if (!dx || !t) { free(t); snprintf(e->err, e->errlen, "out of memory in the calibration backward"); return -1; }
        for (int64_t r = 0; r < rows; r++) {
            lmrt_hadamard_row(t, dy + r * ne, (int)ne, (int)ne, a->block, (float)(1.0 / sqrt((double)a->block)));
            for (int64_t i = 0; i < k; i++) dx[r * k + i] += t[i];
        }
        free(t);
        return 0;
    }
    case IR_OP_LINEAR: case IR_OP_LINEAR_ADD: case IR_OP_LINEAR_SWIGLU: case IR_OP_QKV: {
        const ir_tensor *w = &g->tensors[n->inputs[1]];
        int64_t nw = w->shape[0], k = w->shape[1];
        /* what the weight multiplied (the rounded input: the rounding's own gradient is taken as 1) */
        const float *x = e->xq && e->xq[ni] ? e->xq[ni] : v->buf[in0];
        float *dmm = malloc((size_t)(rows * nw > 0 ? rows * nw : 1) * sizeof *dmm);
        if (!dmm || !x) { free(dmm); snprintf(e->err, e->errlen, "out of memory in the calibration backward"); return -1; }
        if (n->op == IR_OP_LINEAR || n->op == IR_OP_LINEAR_ADD) memcpy(dmm, dy, (size_t)(rows * nw) * sizeof *dmm);
        if (n->op == IR_OP_LINEAR_ADD && g->tensors[n->inputs[2]].kind == IR_KIND_ACT) {
            float *dr = seqgrad_buf(e, n->inputs[2]);
            if (!dr) { free(dmm); return -1; }
            for (int64_t i = 0; i < rows * ne; i++) dr[i] += dy[i];
        }
        if (n->op == IR_OP_LINEAR_SWIGLU) { /* the product again: the forward kept only silu(gate) * up */
            if (seqeval_matmul(e, dmm, x, w)) { free(dmm); return -1; }
            for (int64_t r = 0; r < rows; r++) {
                float *m = dmm + r * nw;
                for (int64_t i = 0; i < ne; i++) {
                    double gt = m[i], up = m[ne + i], d = dy[r * ne + i];
                    m[i] = (float)(d * up * seqgrad_dsilu(gt));
                    m[ne + i] = (float)(d * seqeval_silu(gt));
                }
            }
        }
        if (n->op == IR_OP_QKV) {
            int64_t hd = a->head_dim, nq = (int64_t)a->n_heads * hd, kw = (int64_t)a->n_kv_heads * hd, sc;
            const float *dk = seqgrad_buf(e, n->inputs[3]), *dv = seqgrad_buf(e, n->inputs[4]);
            const float *cs = seqeval_in(e, v, n->inputs[2], &sc);
            if (!dk || !dv || !cs) { free(dmm); return -1; }
            for (int64_t r = 0; r < rows; r++) {
                float *m = dmm + r * nw;
                memcpy(m, dy + r * nq, (size_t)nq * sizeof *m);
                memcpy(m + nq, dk + e->crow[r] * kw, (size_t)kw * sizeof *m);
                memcpy(m + nq + kw, dv + e->crow[r] * kw, (size_t)kw * sizeof *m);
                seqeval_rope(m, a->n_heads, a, cs + r * sc, -1);
                seqeval_rope(m + nq, a->n_kv_heads, a, cs + r * sc, -1);
            }
        }
        int rc = fn ? fn(user, ni, rows, nw, dmm, x, k) : 0;
        if (rc) { free(dmm); return rc; }
        float *dx = act0 ? seqgrad_buf(e, in0) : NULL;
        rc = dx ? seqgrad_linear_dx(e, dx, dmm, w) : -1;
        free(dmm);
        return rc;
    }
    case IR_OP_ROPE_TABLE: /* the frequencies are not tuned */
        return 0;
    case IR_OP_ROPE: {
        int64_t sc;
        float *dx = seqgrad_buf(e, in0);
        const float *cs = seqeval_in(e, v, n->inputs[1], &sc);
        float *tmp = malloc((size_t)ne * sizeof *tmp);
        if (!dx || !cs || !tmp) { free(tmp); return -1; }
        for (int64_t r = 0; r < rows; r++) {
            memcpy(tmp, dy + r * ne, (size_t)ne * sizeof *tmp);
            seqeval_rope(tmp, a->n_heads, a, cs + r * sc, -1);
            for (int64_t i = 0; i < ne; i++) dx[r * ne + i] += tmp[i];
        }
        free(tmp);
        return 0;
    }
    case IR_OP_KV_STORE: {
        int64_t kw = seqeval_width(&g->tensors[n->inputs[1]]);
        const float *dc = seqgrad_buf(e, n->inputs[1]);
        float *dx = seqgrad_buf(e, in0);
        if (!dc || !dx) return -1;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < kw; i++) dx[r * kw + i] += dc[e->crow[r] * kw + i];
        return 0;
    }
    case IR_OP_ATTENTION: {
        seqgrad_att at = {e, a, v->buf[in0], v->buf[n->inputs[1]], v->buf[n->inputs[2]], dy,
                          seqgrad_buf(e, in0), seqgrad_buf(e, n->inputs[1]), seqgrad_buf(e, n->inputs[2]), 0};
        if (!at.q || !at.kc || !at.vc || !at.dq || !at.dk || !at.dv) return -1;
        int ns = e->s->n;
        seqeval_parallel(seqgrad_att_seqs, &at, ns < e->threads ? ns : e->threads);
        if (at.failed) { snprintf(e->err, e->errlen, "out of memory in the calibration backward"); return -1; }
        return 0;
    }
    case IR_OP_ADD: case IR_OP_MUL: case IR_OP_SWIGLU: case IR_OP_SILU: case IR_OP_SOFTMAX: case IR_OP_GEGLU:
    case IR_OP_SCALE: case IR_OP_SOFTCAP: {
        int nin = ir_op_table[n->op].n_inputs;
        for (int sl = 0; sl < nin; sl++) {
            int id = n->inputs[sl];
            if (g->tensors[id].kind != IR_KIND_ACT) continue;
            float *dx = seqgrad_buf(e, id);
            int64_t s0, s1 = 0;
            const float *x0 = seqeval_in(e, v, n->inputs[0], &s0);
            const float *x1 = nin > 1 ? seqeval_in(e, v, n->inputs[1], &s1) : NULL;
            if (!dx || !x0 || (nin > 1 && !x1)) return -1;
            if (n->op == IR_OP_SOFTMAX) {
                const float *y = v->buf[n->output];
                int64_t cols = seqeval_cols(&g->tensors[in0]);
                for (int64_t r = 0; r < rows * ne / cols; r++) {
                    double dot = 0;
                    for (int64_t i = 0; i < cols; i++) dot += (double)dy[r * cols + i] * y[r * cols + i];
                    for (int64_t i = 0; i < cols; i++)
                        dx[r * cols + i] += (float)((double)y[r * cols + i] * ((double)dy[r * cols + i] - dot));
                }
                continue;
            }
            for (int64_t r = 0; r < rows; r++)
                for (int64_t i = 0; i < ne; i++) {
                    double d = dy[r * ne + i], p = x0[r * s0 + i], q = x1 ? x1[r * s1 + i] : 0, gr = d;
                    if (n->op == IR_OP_MUL) gr = sl == 0 ? d * q : d * p;
                    else if (n->op == IR_OP_SILU) gr = d * seqgrad_dsilu(p);
                    else if (n->op == IR_OP_SWIGLU) gr = sl == 0 ? d * q * seqgrad_dsilu(p) : d * seqeval_silu(p);
                    else if (n->op == IR_OP_GEGLU) gr = sl == 0 ? d * q * seqeval_dgelu(p) : d * seqeval_gelu(p);
                    else if (n->op == IR_OP_SCALE) gr = d * a->scale;
                    else if (n->op == IR_OP_SOFTCAP) {
                        double t = tanh(p / a->softcap);
                        gr = d * (1.0 - t * t);
                    }
                    dx[r * ne + i] += (float)gr;
                }
        }
        return 0;
    }
    case IR_OP_COUNT: /* not an op: seqeval_check_node accepts none (no default: -Wswitch asks for every op) */
        break;
    }
    snprintf(e->err, e->errlen, "calibration backward: node %d has no op", ni);
    return -1;
}

/* 1 (err set) when a tensor is written by two nodes or a node writes one of its inputs */
static int seqgrad_check(seqeval *e) {
    const ir_graph *g = e->g;
    int *writer = malloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1) * sizeof *writer);
    if (!writer) { snprintf(e->err, e->errlen, "out of memory in the calibration backward"); return -1; }
    for (int i = 0; i < g->n_tensors; i++) writer[i] = -1;
    int rc = 0;
    for (int ni = 0; ni < g->n_nodes && rc == 0; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead || (unsigned)n->op >= IR_OP_COUNT) continue;
        int outs[1 + IR_MAX_INPUTS], nw = seqeval_writes(n, outs);
        for (int j = 0; j < nw && rc == 0; j++) {
            int o = outs[j];
            if (writer[o] >= 0) rc = 1;
            for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++)
                if (n->inputs[sl] == o && o == n->output) rc = 1; /* a cache is written where it is read */
            writer[o] = ni;
        }
        if (rc) snprintf(e->err, e->errlen, "calibration backward: node %d (%s) rewrites a tensor", ni,
                         ir_op_table[n->op].name);
    }
    free(writer);
    return rc;
}

double lmcc_eval_seq_backward_bytes(const ir_graph *g, const lmcc_eval_seqs *s) {
    double rows = 0, w = 0;
    for (int i = 0; i < s->n; i++) rows += s->len[i];
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (!t->dead && (t->kind == IR_KIND_ACT || t->kind == IR_KIND_STATE)) w += (double)seqeval_width(t);
    }
    return 2.0 * 4.0 * rows * w;
}

int lmcc_eval_seq_backward(ir_graph *g, const lmcc_eval_seqs *s, lmcc_eval_grad_fn fn, void *user, int threads, char *err,
                          size_t errlen) {
    lmcc_eval_grad_opts o;
    memset(&o, 0, sizeof o);
    o.threads = threads;
    return lmcc_eval_seq_backward_ex(g, s, fn, user, &o, err, errlen);
}

int lmcc_eval_seq_backward_ex(ir_graph *g, const lmcc_eval_seqs *s, lmcc_eval_grad_fn fn, void *user,
                             const lmcc_eval_grad_opts *o, char *err, size_t errlen) {
    int threads = o ? o->threads : 0;
    const float *target = o ? o->target : NULL;
    seqeval e;
    memset(&e, 0, sizeof e);
    e.g = g, e.s = s, e.err = err, e.errlen = errlen;
    e.n_lanes = 2, e.persist = 1;
    e.threads = seqeval_threads(threads);
    e.round_in = o ? o->round_in : NULL;
    if (g->logits < 0 || g->logits >= g->n_tensors || g->tensors[g->logits].kind != IR_KIND_ACT) {
        snprintf(err, errlen, "calibration: the graph has no logits");
        return -1;
    }
    for (int ni = 0; ni < g->n_nodes; ni++)
        if (!g->nodes[ni].dead && seqeval_check_node(&e, ni)) return -1;
    int rc = seqgrad_check(&e);
    if (rc) return rc;
    if (e.round_in && !(e.xq = calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), sizeof *e.xq))) {
        snprintf(err, errlen, "out of memory in the calibration backward");
        return -1;
    }
    if (seqeval_check_seqs(&e) || seqeval_rows_run(&e) || seqeval_setup(&e, 1)) {
        seqeval_release(&e);
        return -1;
    }
    for (int ni = 0; ni < g->n_nodes && rc == 0; ni++)
        if (!g->nodes[ni].dead) rc = seqeval_eval_node(&e, &e.lane[0], ni);
    int64_t V = seqeval_width(&g->tensors[g->logits]);
    float *dl = rc == 0 ? seqgrad_buf(&e, g->logits) : NULL;
    if (rc == 0 && !dl) rc = -1;
    if (rc == 0) {
        double loss = seqgrad_seed(&e, dl, e.lane[0].buf[g->logits], V, target);
        if (o && o->loss) *o->loss = loss;
        if (o && o->logits) memcpy(o->logits, e.lane[0].buf[g->logits], (size_t)(e.rows * V) * sizeof(float));
    }
    for (int ni = g->n_nodes - 1; ni >= 0 && rc == 0; ni--) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        rc = seqgrad_node(&e, ni, fn, user);
        /* a gradient is complete once its producer ran backward */
        if (n->output >= 0) free(e.lane[1].buf[n->output]), e.lane[1].buf[n->output] = NULL;
    }
    seqeval_release(&e);
    return rc;
}
