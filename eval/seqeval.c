/* seqeval.c - sequence-batched graph evaluation for calibration (seqeval.h): the
 * checks, the ops, the whole run (lmcc_eval_seq_run) and its memory plan.  The
 * state, the layout of its buffers and the other files: seqeval_int.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "act_q8a.h"
#include "lmrt_math.h"
#include "lmrt_quant.h"
#include "seqeval_int.h"

/* ---- ops (the matrix product: seqeval_mm.c) ------------------------------ */

/* x / rms(x) (times w when w), over every cols-long piece of n floats, as the interpreter rounds */
static void seqeval_norm(float *y, const float *x, const float *w, int64_t n, int64_t cols, float eps) {
    for (int64_t r = 0; r < n / cols; r++) {
        const float *xr = x + r * cols;
        double ss = 0;
        for (int64_t i = 0; i < cols; i++) ss += (double)xr[i] * xr[i];
        double inv = 1.0 / sqrt(ss / (double)cols + (double)eps);
        for (int64_t i = 0; i < cols; i++)
            y[r * cols + i] = w ? (float)((double)xr[i] * inv * w[i]) : (float)((double)xr[i] * inv);
    }
}

static void seqeval_softmax(float *y, const float *x, int64_t n, int64_t cols) {
    for (int64_t r = 0; r < n / cols; r++) {
        const float *xr = x + r * cols;
        double mx = -HUGE_VAL, sum = 0;
        for (int64_t i = 0; i < cols; i++) if (xr[i] > mx) mx = xr[i];
        for (int64_t i = 0; i < cols; i++) sum += exp((double)xr[i] - mx);
        for (int64_t i = 0; i < cols; i++) y[r * cols + i] = (float)(exp((double)xr[i] - mx) / sum);
    }
}

/* rotates the first rope_dim dims of each of n_heads heads of v in place by the angles of the rope
 * rows cs (sign -1: by the opposite angles, the transpose) */
void seqeval_rope(float *v, int n_heads, const ir_attrs *a, const float *cs, int sign) {
    int hd = a->head_dim, half = a->rope_dim / 2;
    for (int h = 0; h < n_heads; h++) {
        float *vh = v + (size_t)h * (size_t)hd;
        for (int i = 0; i < half; i++) {
            int i0 = a->rope_neox ? i : 2 * i, i1 = a->rope_neox ? i + half : 2 * i + 1;
            double x0 = vh[i0], x1 = vh[i1], c = cs[2 * i], s = sign * (double)cs[2 * i + 1];
            vh[i0] = (float)(x0 * c - x1 * s);
            vh[i1] = (float)(x0 * s + x1 * c);
        }
    }
}

/* sc[u] = exp(s_u - max s) for the scores s_u = scale * q.k_u (softcapped: c tanh(s_u / c)) of the
 * cache rows u = lo..p (kw floats apart from kb); returns their sum (the softmax's denominator) */
double seqeval_att_exp(double *sc, double *dcap, const float *qh, const float *kb, int64_t kw, int hd, int lo, int p,
                       const ir_attrs *a) {
    double mx = -HUGE_VAL, sum = 0, c = a->softcap;
    for (int u = lo; u <= p; u++) {
        double z = (double)seqeval_dot(qh, kb + u * kw, hd) * (double)a->scale, th = c > 0 ? tanh(z / c) : 0;
        sc[u] = c > 0 ? c * th : z;
        if (dcap) dcap[u] = c > 0 ? 1.0 - th * th : 1.0;
        if (sc[u] > mx) mx = sc[u];
    }
    for (int u = lo; u <= p; u++) sum += sc[u] = exp(sc[u] - mx);
    return sum;
}

typedef struct seqeval_att {
    const seqeval *e;
    const ir_attrs *a;
    const float *q, *kc, *vc; /* q [rows][H*hd], caches [rows][Hkv*hd] */
    float *y;
    int failed;
} seqeval_att;

/* (row, head) pairs t, t+nt, ...: causal attention of each row over the cache rows of its own sequence
 * in its window (the evaluator keeps every position: a ring's slots are the compiled model's business) */
static void seqeval_att_rows(void *arg, int t, int nt) {
    seqeval_att *at = arg;
    const seqeval *e = at->e;
    const ir_attrs *a = at->a;
    int hd = a->head_dim, group = a->n_heads / a->n_kv_heads;
    int64_t qw = (int64_t)a->n_heads * hd, kw = (int64_t)a->n_kv_heads * hd;
    double *sc = malloc((size_t)e->maxlen * sizeof *sc);
    if (!sc) { at->failed = 1; return; }
    for (int64_t rh = t; rh < e->rows * a->n_heads; rh += nt) {
        int64_t r = rh / a->n_heads;
        int p = e->pos[r], h = (int)(rh % a->n_heads);
        int64_t base = e->start[e->seq[r]];
        const float *qh = at->q + r * qw + (int64_t)h * hd;
        const float *kb = at->kc + base * kw + (int64_t)(h / group) * hd;
        const float *vb = at->vc + base * kw + (int64_t)(h / group) * hd;
        float *out = at->y + r * qw + (int64_t)h * hd;
        int lo = seqeval_att_lo(a, p);
        double sum = seqeval_att_exp(sc, NULL, qh, kb, kw, hd, lo, p, a);
        memset(out, 0, (size_t)hd * sizeof *out);
        for (int u = lo; u <= p; u++) {
            float wu = (float)(sc[u] / sum);
            const float *vu = vb + u * kw;
            for (int i = 0; i < hd; i++) out[i] += wu * vu[i];
        }
    }
    free(sc);
}

/* ---- checks -------------------------------------------------------------- */

/* slots that are not [rows][elems] data: streamed weights, KV caches, the token */
int seqeval_slot_special(ir_opcode op, int slot) {
    ir_slot s = ir_op_table[op].slot[slot];
    return s != IR_SLOT_ACT && s != IR_SLOT_ACTQ && s != IR_SLOT_VECTOR && s != IR_SLOT_ROPE;
}

/* a weight the evaluator can dequantize: plain rows of a known dtype, all bytes present */
static int seqeval_check_weight(seqeval *e, int id, int node) {
    const ir_tensor *t = &e->g->tensors[id];
    int lt = ir_dtype_lmrt_type(t->dtype);
    float probe[256];
    if (t->tile_rows > 1) {
        snprintf(e->err, e->errlen, "calibration: weight %s is tiled (%d-row tiles); calibrate before the tile pass",
                 t->name, t->tile_rows);
        return -1;
    }
    if (!t->data || t->dtype == IR_DT_I32 || t->dtype == IR_DT_Q8A || lt < 0 ||
        lmrt_dequant_row(lt, t->data, probe, 1) != 0) {
        snprintf(e->err, e->errlen, "calibration: weight %s (node %d, %s) has dtype %s, which the evaluator cannot read",
                 t->name, node, ir_op_table[e->g->nodes[node].op].name, ir_dtype_name(t->dtype));
        return -1;
    }
    int64_t cols = seqeval_cols(t), rows = cols > 0 ? ir_tensor_elems(t) / cols : 0;
    if (t->nbytes && t->nbytes < (size_t)rows * ir_row_bytes(t->dtype, cols)) {
        snprintf(e->err, e->errlen, "calibration: weight %s holds %zu bytes, its %s shape needs %zu", t->name,
                 t->nbytes, ir_dtype_name(t->dtype), (size_t)rows * ir_row_bytes(t->dtype, cols));
        return -1;
    }
    return 0;
}

/* a node the op rules accept (ir_node_check), with weights the evaluator can read */
int seqeval_check_node(seqeval *e, int ni) {
    const ir_graph *g = e->g;
    const ir_node *n = &g->nodes[ni];
    char why[512];
    if (ir_node_check(g, ni, why, sizeof why)) {
        snprintf(e->err, e->errlen, "calibration: %s", why);
        return -1;
    }
    for (int s = 0; s < ir_op_table[n->op].n_inputs; s++) {
        const ir_tensor *t = &g->tensors[n->inputs[s]];
        if (t->kind == IR_KIND_WEIGHT && seqeval_check_weight(e, n->inputs[s], ni))
            return -1;
    }
    return 0;
}

/* the sequences fit: positions below the context and every cache, tokens in every embedding table */
int seqeval_check_seqs(seqeval *e) {
    const ir_graph *g = e->g;
    const lmcc_eval_seqs *s = e->s;
    if (s->n < 1) { snprintf(e->err, e->errlen, "calibration: no sequences"); return -1; }
    for (int i = 0; i < s->n; i++) {
        int len = s->len[i];
        if (len < 1 || (g->cfg.ctx > 0 && len > g->cfg.ctx)) {
            snprintf(e->err, e->errlen, "calibration: sequence %d has %d positions (context %d)", i, len, g->cfg.ctx);
            return -1;
        }
        for (int ni = 0; ni < g->n_nodes; ni++) {
            const ir_node *n = &g->nodes[ni];
            for (int sl = 0; !n->dead && sl < ir_op_table[n->op].n_inputs; sl++) {
                const ir_tensor *t = &g->tensors[n->inputs[sl]];
                if (ir_op_table[n->op].slot[sl] == IR_SLOT_CACHE && len > ir_cache_positions(g, t)) {
                    snprintf(e->err, e->errlen, "calibration: sequence %d has %d positions, cache %s holds %lld", i,
                             len, t->name, (long long)ir_cache_positions(g, t));
                    return -1;
                }
                for (int p = 0; ir_op_table[n->op].slot[sl] == IR_SLOT_ROWS && p < len; p++)
                    if (s->ids[i][p] < 0 || s->ids[i][p] >= t->shape[0]) {
                        snprintf(e->err, e->errlen, "calibration: token %d (sequence %d, position %d) is out of range",
                                 s->ids[i][p], i, p);
                        return -1;
                    }
            }
        }
    }
    return 0;
}

/* ---- evaluation ----------------------------------------------------------- */

/* bytes more in row buffers (negative: freed), tmp more only for the moment */
static void seqeval_count(seqeval *e, double bytes, double tmp) {
    e->bytes += bytes;
    if (e->bytes + tmp > e->peak) e->peak = e->bytes + tmp;
}

/* row buffer of ACT/STATE tensor id in lane l (zeros when nothing wrote it yet, as in the interpreter) */
float *seqeval_buf(seqeval *e, seqeval_lane *l, int id) {
    if (!l->buf[id]) {
        const ir_tensor *t = &e->g->tensors[id];
        int64_t w = seqeval_width(t), nr = t->kind == IR_KIND_STATE ? e->cache_rows : e->rows;
        l->buf[id] = calloc((size_t)(nr * (w > 0 ? w : 1)), sizeof(float));
        if (!l->buf[id]) snprintf(e->err, e->errlen, "out of memory in the calibration forward");
        else seqeval_count(e, (double)(nr * (w > 0 ? w : 1)) * sizeof(float), 0);
    }
    return l->buf[id];
}

/* rows of data input id and their stride (0: a weight, the same for every row) */
const float *seqeval_in(seqeval *e, seqeval_lane *l, int id, int64_t *stride) {
    const ir_tensor *t = &e->g->tensors[id];
    *stride = t->kind == IR_KIND_WEIGHT ? 0 : seqeval_width(t);
    return t->kind == IR_KIND_WEIGHT ? e->wfull[id] : seqeval_buf(e, l, id);
}

/* the input the main lane's linear node ni multiplies: x itself, or (round_in) its q8a
 * rounding, as the compiled model's int8 activations; NULL when out of memory */
static const float *seqeval_lin_x(seqeval *e, seqeval_lane *l, int ni, const float *x, int64_t stride) {
    if (l != &e->lane[0] || !e->round_in || !e->round_in[ni]) return x;
    if (e->xq[ni]) return e->xq[ni];
    int64_t k = ir_tensor_elems(&e->g->tensors[e->g->nodes[ni].inputs[0]]);
    float *q = malloc((size_t)(e->rows * k > 0 ? e->rows * k : 1) * sizeof *q);
    if (!q) {
        snprintf(e->err, e->errlen, "out of memory in the calibration forward");
        return NULL;
    }
    for (int64_t r = 0; r < e->rows; r++) lmcc_eval_round_q8a(q + r * k, x + r * stride, k);
    seqeval_count(e, (double)(e->rows * k) * sizeof *q, 0);
    return e->xq[ni] = q;
}

int seqeval_eval_node(seqeval *e, seqeval_lane *l, int ni) {
    const ir_graph *g = e->g;
    const ir_node *n = &g->nodes[ni];
    const ir_attrs *a = &n->attrs;
    int64_t rows = e->rows, s0 = 0, s1 = 0, ne = n->output >= 0 ? ir_tensor_elems(&g->tensors[n->output]) : 0;
    const ir_tensor *t0 = &g->tensors[n->inputs[0]];
    float *y = n->output >= 0 ? seqeval_buf(e, l, n->output) : NULL;
    const float *x0 = seqeval_slot_special(n->op, 0) ? NULL : seqeval_in(e, l, n->inputs[0], &s0);
    const float *x1 = ir_op_table[n->op].n_inputs > 1 && !seqeval_slot_special(n->op, 1)
                          ? seqeval_in(e, l, n->inputs[1], &s1) : NULL;
    if ((n->output >= 0 && !y) || (!seqeval_slot_special(n->op, 0) && !x0) ||
        (ir_op_table[n->op].n_inputs > 1 && !seqeval_slot_special(n->op, 1) && !x1))
        return -1;
    if (ir_op_table[n->op].linear && !(x0 = seqeval_lin_x(e, l, ni, x0, s0))) return -1;
    switch (n->op) {
    case IR_OP_EMBED: {
        int lt = ir_dtype_lmrt_type(t0->dtype);
        size_t rb = ir_row_bytes(t0->dtype, ne);
        for (int64_t r = 0; r < rows; r++)
            lmrt_dequant_row(lt, (const unsigned char *)t0->data + (size_t)e->tok[r] * rb, y + r * ne, ne);
        break;
    }
    case IR_OP_RMSNORM:
        for (int64_t r = 0; r < rows; r++)
            seqeval_norm(y + r * ne, x0 + r * s0, x1 + r * s1, ne, seqeval_cols(t0), a->eps);
        break;
    case IR_OP_ADD_BIAS: {
        int64_t cols = seqeval_cols(t0);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = x0[r * s0 + i] + x1[r * s1 + i % cols];
        break;
    }
    case IR_OP_HEAD_NORM:
        for (int64_t r = 0; r < rows; r++) seqeval_norm(y + r * ne, x0 + r * s0, x1 + r * s1, ne, a->head_dim, a->eps);
        break;
    case IR_OP_NORMALIZE:
        for (int64_t r = 0; r < rows; r++) seqeval_norm(y + r * ne, x0 + r * s0, NULL, ne, seqeval_cols(t0), a->eps);
        break;
    case IR_OP_QUANTIZE:
        for (int64_t r = 0; r < rows; r++) lmcc_eval_round_q8a(y + r * ne, x0 + r * s0, ne);
        break;
    case IR_OP_TAKE_LAST: /* every row is some sequence's last token at its step */
        for (int64_t r = 0; r < rows; r++) memcpy(y + r * ne, x0 + r * s0, (size_t)ne * sizeof *y);
        break;
    case IR_OP_HADAMARD: /* the runtime's fast transform (same roundings as the compiled model) */
        for (int64_t r = 0; r < rows; r++)
            lmrt_hadamard_row(y + r * ne, x0 + r * s0, (int)ir_tensor_elems(t0), (int)ne, a->block,
                              (float)(1.0 / sqrt((double)a->block)));
        break;
    case IR_OP_LINEAR:
        return seqeval_matmul(e, y, x0, &g->tensors[n->inputs[1]]);
    case IR_OP_LINEAR_ADD: {
        int64_t sr;
        const float *res = seqeval_in(e, l, n->inputs[2], &sr);
        if (!res || seqeval_matmul(e, y, x0, &g->tensors[n->inputs[1]])) return -1;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)((double)res[r * sr + i] + y[r * ne + i]);
        break;
    }
    case IR_OP_LINEAR_SWIGLU: {
        float *mm = malloc((size_t)(rows * 2 * ne) * sizeof *mm);
        seqeval_count(e, 0, (double)(rows * 2 * ne) * sizeof *mm);
        if (!mm || seqeval_matmul(e, mm, x0, &g->tensors[n->inputs[1]])) {
            free(mm);
            snprintf(e->err, e->errlen, "out of memory in the calibration forward");
            return -1;
        }
        for (int64_t r = 0; r < rows; r++) {
            const float *gr = mm + r * 2 * ne;
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)(seqeval_silu(gr[i]) * gr[ne + i]);
        }
        free(mm);
        break;
    }
    case IR_OP_QKV: {
        int64_t hd = a->head_dim, nq = (int64_t)a->n_heads * hd, kw = (int64_t)a->n_kv_heads * hd, w = nq + 2 * kw;
        float *kc = seqeval_buf(e, l, n->inputs[3]), *vc = seqeval_buf(e, l, n->inputs[4]);
        int64_t sc;
        const float *cs = seqeval_in(e, l, n->inputs[2], &sc);
        float *mm = malloc((size_t)(rows * w) * sizeof *mm);
        seqeval_count(e, 0, (double)(rows * w) * sizeof *mm);
        if (!kc || !vc || !cs || !mm || seqeval_matmul(e, mm, x0, &g->tensors[n->inputs[1]])) {
            free(mm);
            snprintf(e->err, e->errlen, "out of memory in the calibration forward");
            return -1;
        }
        for (int64_t r = 0; r < rows; r++) {
            float *mr = mm + r * w;
            seqeval_rope(mr, a->n_heads, a, cs + r * sc, 1);
            seqeval_rope(mr + nq, a->n_kv_heads, a, cs + r * sc, 1);
            memcpy(y + r * nq, mr, (size_t)nq * sizeof *y);
            memcpy(kc + e->crow[r] * kw, mr + nq, (size_t)kw * sizeof *kc);
            memcpy(vc + e->crow[r] * kw, mr + nq + kw, (size_t)kw * sizeof *vc);
        }
        free(mm);
        break;
    }
    case IR_OP_ROPE_TABLE: { /* as the interpreter: the angle in double, cos and sin rounded once */
        double m = a->scale > 0 ? a->scale : 1.0;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne / 2; i++) {
                double ang = (double)e->pos[r] * (double)x0[i];
                y[r * ne + 2 * i] = (float)(cos(ang) * m);
                y[r * ne + 2 * i + 1] = (float)(sin(ang) * m);
            }
        break;
    }
    case IR_OP_ROPE:
        for (int64_t r = 0; r < rows; r++) {
            memmove(y + r * ne, x0 + r * s0, (size_t)ne * sizeof *y);
            seqeval_rope(y + r * ne, a->n_heads, a, x1 + r * s1, 1);
        }
        break;
    case IR_OP_KV_STORE: {
        float *c = seqeval_buf(e, l, n->inputs[1]);
        int64_t kw = seqeval_width(&g->tensors[n->inputs[1]]);
        if (!c) return -1;
        for (int64_t r = 0; r < rows; r++) memcpy(c + e->crow[r] * kw, x0 + r * s0, (size_t)kw * sizeof *c);
        break;
    }
    case IR_OP_ATTENTION: {
        seqeval_att at = {e, a, x0, seqeval_buf(e, l, n->inputs[1]), seqeval_buf(e, l, n->inputs[2]), y, 0};
        if (!at.kc || !at.vc) return -1;
        int64_t items = rows * a->n_heads;
        seqeval_parallel(seqeval_att_rows, &at, items < e->threads ? (int)(items > 0 ? items : 1) : e->threads);
        if (at.failed) { snprintf(e->err, e->errlen, "out of memory in the calibration forward"); return -1; }
        break;
    }
    case IR_OP_ADD:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)((double)x0[r * s0 + i] + x1[r * s1 + i]);
        break;
    case IR_OP_MUL:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)((double)x0[r * s0 + i] * x1[r * s1 + i]);
        break;
    case IR_OP_SILU:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)seqeval_silu(x0[r * s0 + i]);
        break;
    case IR_OP_SWIGLU:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++)
                y[r * ne + i] = (float)(seqeval_silu(x0[r * s0 + i]) * x1[r * s1 + i]);
        break;
    case IR_OP_SOFTMAX:
        for (int64_t r = 0; r < rows; r++) seqeval_softmax(y + r * ne, x0 + r * s0, ne, seqeval_cols(t0));
        break;
    case IR_OP_GEGLU:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++)
                y[r * ne + i] = (float)(seqeval_gelu(x0[r * s0 + i]) * x1[r * s1 + i]);
        break;
    case IR_OP_SCALE:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++) y[r * ne + i] = (float)((double)x0[r * s0 + i] * a->scale);
        break;
    case IR_OP_SOFTCAP:
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < ne; i++)
                y[r * ne + i] = (float)(a->softcap * tanh((double)x0[r * s0 + i] / a->softcap));
        break;
    case IR_OP_COUNT: /* not an op: seqeval_check_node accepts none (no default: -Wswitch asks for every op) */
        snprintf(e->err, e->errlen, "calibration: node %d has no op", ni);
        return -1;
    }
    return 0;
}

/* the row arrays for n_seqs sequences (rows already set) */
int seqeval_alloc_rows(seqeval *e, int n_seqs) {
    size_t nr = (size_t)(e->rows > 0 ? e->rows : 1);
    e->start = malloc((size_t)(n_seqs > 0 ? n_seqs : 1) * sizeof *e->start);
    e->seq = malloc(nr * sizeof *e->seq);
    e->pos = malloc(nr * sizeof *e->pos);
    e->tok = malloc(nr * sizeof *e->tok);
    e->crow = malloc(nr * sizeof *e->crow);
    seqeval_count(e, (double)nr * (3 * sizeof(int) + sizeof(int64_t)), 0);
    if (e->start && e->seq && e->pos && e->tok && e->crow) return 0;
    snprintf(e->err, e->errlen, "out of memory in the calibration forward");
    return -1;
}

/* a whole run's rows: every position of every sequence, each its own cache row */
int seqeval_rows_run(seqeval *e) {
    const lmcc_eval_seqs *s = e->s;
    for (int i = 0; i < s->n; i++) {
        e->rows += s->len[i];
        if (s->len[i] > e->maxlen) e->maxlen = s->len[i];
    }
    e->cache_rows = e->rows;
    if (seqeval_alloc_rows(e, s->n)) return -1;
    for (int i = 0, r = 0; i < s->n; i++) {
        e->start[i] = r;
        for (int p = 0; p < s->len[i]; p++, r++)
            e->seq[r] = i, e->pos[r] = p, e->tok[r] = s->ids[i][p], e->crow[r] = r;
    }
    return 0;
}

/* liveness and the whole-read weights */
int seqeval_setup(seqeval *e, int keep_logits) {
    const ir_graph *g = e->g;
    e->n_tensors = g->n_tensors;
    size_t nt = (size_t)(e->n_tensors > 0 ? e->n_tensors : 1);
    e->last_use = malloc(nt * sizeof *e->last_use);
    e->wfull = calloc(nt, sizeof *e->wfull);
    for (int l = 0; l < e->n_lanes; l++) e->lane[l].buf = calloc(nt, sizeof(float *));
    if (!e->last_use || !e->wfull || !e->lane[0].buf || (e->n_lanes > 1 && !e->lane[1].buf)) goto oom;
    for (int i = 0; i < e->n_tensors; i++) e->last_use[i] = -1;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) {
            int id = n->inputs[sl];
            const ir_tensor *t = &g->tensors[id];
            e->last_use[id] = ni;
            if (t->kind != IR_KIND_WEIGHT || seqeval_slot_special(n->op, sl) || e->wfull[id]) continue;
            int64_t cols = seqeval_cols(t), nr = cols > 0 ? ir_tensor_elems(t) / cols : 0;
            e->wfull[id] = malloc((size_t)(nr * cols > 0 ? nr * cols : 1) * sizeof(float));
            if (!e->wfull[id]) goto oom;
            seqeval_count(e, (double)(nr * cols) * sizeof(float), 0);
            for (int64_t r = 0; r < nr; r++)
                lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype),
                                 (const unsigned char *)t->data + (size_t)r * ir_row_bytes(t->dtype, cols),
                                 e->wfull[id] + r * cols, cols);
        }
        if (n->output >= 0) e->last_use[n->output] = ni > e->last_use[n->output] ? ni : e->last_use[n->output];
    }
    if (keep_logits) e->last_use[g->logits] = g->n_nodes; /* kept to the end */
    return 0;
oom:
    snprintf(e->err, e->errlen, "out of memory in the calibration forward");
    return -1;
}

static void seqeval_free_dead(seqeval *e, int ni) {
    const ir_node *n = &e->g->nodes[ni];
    if (e->persist) return;
    if (e->xq && e->xq[ni]) {
        seqeval_count(e, -(double)(e->rows * ir_tensor_elems(&e->g->tensors[n->inputs[0]])) * sizeof(float), 0);
        free(e->xq[ni]), e->xq[ni] = NULL;
    }
    for (int sl = -1; sl < ir_op_table[n->op].n_inputs; sl++) {
        int id = sl < 0 ? n->output : n->inputs[sl];
        if (id < 0 || e->last_use[id] != ni || e->g->tensors[id].kind == IR_KIND_WEIGHT) continue;
        const ir_tensor *t = &e->g->tensors[id];
        int64_t nr = t->kind == IR_KIND_STATE ? e->cache_rows : e->rows, w = seqeval_width(t);
        for (int l = 0; l < e->n_lanes; l++) {
            if (e->lane[l].buf[id]) seqeval_count(e, -(double)(nr * (w > 0 ? w : 1)) * sizeof(float), 0);
            free(e->lane[l].buf[id]), e->lane[l].buf[id] = NULL;
        }
    }
}

void seqeval_release(seqeval *e) {
    for (int l = 0; l < 2; l++) {
        for (int i = 0; e->lane[l].buf && i < e->n_tensors; i++) free(e->lane[l].buf[i]);
        free(e->lane[l].buf);
    }
    for (int i = 0; e->wfull && i < e->n_tensors; i++) free(e->wfull[i]);
    free(e->wfull);
    for (int i = 0; e->xq && i < e->g->n_nodes; i++) free(e->xq[i]);
    free(e->xq);
    free(e->start), free(e->seq), free(e->pos), free(e->tok), free(e->crow), free(e->last_use);
}

/* tensors node n writes: its output and, for a side-effecting op, its caches; returns how many */
int seqeval_writes(const ir_node *n, int *ids) {
    const ir_op_info *oi = &ir_op_table[n->op];
    int c = 0;
    if (n->output >= 0) ids[c++] = n->output;
    for (int sl = 0; oi->side_effect && sl < oi->n_inputs; sl++)
        if (oi->slot[sl] == IR_SLOT_CACHE) ids[c++] = n->inputs[sl];
    return c;
}

/* need[ni] = 1 when live node ni's results reach something asked for: the logits
 * (keep_logits) or, with a hook, the input of a linear-family node (which the
 * hook reads before the node runs).  A backward sweep: a node is needed when it
 * writes a needed tensor, and then everything it reads is.  Without the logits
 * this drops the output layer's [rows][vocab] product and whatever else only
 * feeds it, so calibration memory does not grow with the vocabulary.
 * Conservative where a tensor is written twice (every writer stays needed). */
static int seqeval_plan(const ir_graph *g, int hook, int keep_logits, char **need_out) {
    char *need = calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), 1);
    char *tneed = calloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1), 1);
    if (!need || !tneed) { free(need), free(tneed); return -1; }
    if (keep_logits) tneed[g->logits] = 1;
    for (int ni = g->n_nodes - 1; ni >= 0; ni--) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        int w[1 + IR_MAX_INPUTS], nw = seqeval_writes(n, w);
        for (int i = 0; i < nw; i++) need[ni] |= tneed[w[i]];
        if (need[ni])
            for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) tneed[n->inputs[sl]] = 1;
        if (hook && ir_op_table[n->op].linear) tneed[n->inputs[0]] = 1;
    }
    free(tneed);
    *need_out = need;
    return 0;
}

/* tensors node ni's evaluation touches (allocates when not live): its data inputs, the
 * caches it reads or writes, its output; with eval 0 (a hook-only linear) just inputs[0] */
int seqeval_touches(const ir_graph *g, int ni, int eval, int *ids) {
    const ir_node *n = &g->nodes[ni];
    int c = 0;
    if (!eval) {
        ids[c++] = n->inputs[0];
        return c;
    }
    for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) {
        const ir_tensor *t = &g->tensors[n->inputs[sl]];
        if (t->kind == IR_KIND_ACT || t->kind == IR_KIND_STATE) ids[c++] = n->inputs[sl];
    }
    if (n->output >= 0) ids[c++] = n->output;
    return c;
}

/* floats of the temporaries node n allocates per row while it runs (one lane at a time) */
int64_t seqeval_temp_width(const ir_graph *g, const ir_node *n) {
    if (n->op == IR_OP_LINEAR_SWIGLU) return 2 * ir_tensor_elems(&g->tensors[n->output]);
    if (n->op == IR_OP_QKV) return (int64_t)(n->attrs.n_heads + 2 * n->attrs.n_kv_heads) * n->attrs.head_dim;
    return 0;
}

int64_t lmcc_eval_seq_bytes(const ir_graph *g, int64_t rows, int dual, int hook, int keep_logits) {
    int nt = g->n_tensors > 0 ? g->n_tensors : 1;
    int *last = malloc((size_t)nt * sizeof *last);
    char *live = calloc((size_t)nt, 1), *wread = calloc((size_t)nt, 1), *need = NULL;
    double fixed = (double)rows * (3 * sizeof(int) + sizeof(int64_t)), cur = 0, peak = 0;
    if (!last || !live || !wread || g->logits < 0 || g->logits >= g->n_tensors ||
        seqeval_plan(g, hook, keep_logits, &need)) {
        free(last), free(live), free(wread), free(need);
        return -1;
    }
    for (int i = 0; i < g->n_tensors; i++) last[i] = -1;
    for (int ni = 0; ni < g->n_nodes; ni++) { /* liveness and whole-read weights as seqeval_setup */
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) {
            int id = n->inputs[sl];
            last[id] = ni;
            if (g->tensors[id].kind == IR_KIND_WEIGHT && !seqeval_slot_special(n->op, sl) && !wread[id])
                wread[id] = 1, fixed += (double)ir_tensor_elems(&g->tensors[id]) * sizeof(float);
        }
        if (n->output >= 0 && ni > last[n->output]) last[n->output] = ni;
    }
    if (keep_logits) last[g->logits] = g->n_nodes;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        int eval = need[ni], ids[8], c = 0;
        if (eval || (hook && ir_op_table[n->op].linear)) c = seqeval_touches(g, ni, eval, ids);
        for (int i = 0; i < c; i++)
            if (!live[ids[i]]) {
                live[ids[i]] = 1;
                cur += (double)rows * (double)seqeval_width(&g->tensors[ids[i]]) * sizeof(float) * (dual ? 2 : 1);
            }
        double tmp = eval ? (double)rows * (double)seqeval_temp_width(g, n) * sizeof(float) : 0;
        if (cur + tmp > peak) peak = cur + tmp;
        for (int sl = -1; sl < ir_op_table[n->op].n_inputs; sl++) { /* seqeval_free_dead */
            int id = sl < 0 ? n->output : n->inputs[sl];
            if (id < 0 || last[id] != ni || !live[id]) continue;
            live[id] = 0;
            cur -= (double)rows * (double)seqeval_width(&g->tensors[id]) * sizeof(float) * (dual ? 2 : 1);
        }
    }
    free(last), free(live), free(wread), free(need);
    double b = fixed + peak;
    return b < 9e18 ? (int64_t)b : INT64_MAX;
}

/* a linear node: the reference lane with the weight as it is, then the hook, then the
 * main lane (the lanes only when eval: something after the node reads what it writes) */
static int seqeval_linear_node(seqeval *e, int ni, lmcc_eval_seq_hook hook, void *user, int eval) {
    const ir_graph *g = e->g;
    if (eval && e->n_lanes > 1 && seqeval_eval_node(e, &e->lane[1], ni)) return -1;
    if (hook) {
        int x = g->nodes[ni].inputs[0], w = g->nodes[ni].inputs[1];
        ir_tensor before = g->tensors[w];
        lmcc_eval_seq_view v = {ni, e->rows, seqeval_width(&g->tensors[x]), e->lane[0].buf[x],
                               e->n_lanes > 1 ? e->lane[1].buf[x] : NULL};
        if ((!v.x && !(v.x = seqeval_buf(e, &e->lane[0], x))) ||
            (e->n_lanes > 1 && !v.x_ref && !(v.x_ref = seqeval_buf(e, &e->lane[1], x))))
            return -1;
        if (!(v.x = seqeval_lin_x(e, &e->lane[0], ni, v.x, v.k))) return -1;
        if (hook(user, &v) != 0) return -2;
        const ir_tensor *t = &g->tensors[g->nodes[ni].inputs[1]];
        if (g->nodes[ni].inputs[1] != w || t->ndim != before.ndim ||
            memcmp(t->shape, before.shape, sizeof t->shape) != 0) {
            snprintf(e->err, e->errlen, "calibration: the hook changed the weight or the shape of node %d", ni);
            return -1;
        }
        if (seqeval_check_weight(e, w, ni)) return -1;
    }
    return eval ? seqeval_eval_node(e, &e->lane[0], ni) : 0;
}

int lmcc_eval_seq_run(ir_graph *g, const lmcc_eval_seqs *s, lmcc_eval_seq_hook hook, void *user,
                     const lmcc_eval_seq_opts *o, char *err, size_t errlen) {
    static const lmcc_eval_seq_opts defaults;
    seqeval e;
    memset(&e, 0, sizeof e);
    if (!o) o = &defaults;
    e.g = g, e.s = s, e.err = err, e.errlen = errlen;
    e.n_lanes = o->dual ? 2 : 1;
    e.threads = seqeval_threads(o->threads);
    e.round_in = o->round_in;
    if (g->logits < 0 || g->logits >= g->n_tensors || g->tensors[g->logits].kind != IR_KIND_ACT) {
        snprintf(err, errlen, "calibration: the graph has no logits");
        return -1;
    }
    int n_live = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (g->nodes[ni].dead) continue;
        if (seqeval_check_node(&e, ni)) return -1;
        n_live++;
    }
    char *need = NULL;
    if (e.round_in && !(e.xq = calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), sizeof *e.xq))) {
        snprintf(err, errlen, "out of memory in the calibration forward");
        return -1;
    }
    if (seqeval_check_seqs(&e) || seqeval_rows_run(&e) || seqeval_setup(&e, o->logits != NULL)) {
        seqeval_release(&e);
        return -1;
    }
    if (seqeval_plan(g, hook != NULL, o->logits != NULL, &need)) {
        snprintf(err, errlen, "out of memory in the calibration forward");
        seqeval_release(&e);
        return -1;
    }
    int rc = 0, done = 0;
    for (int ni = 0; ni < g->n_nodes && rc == 0; ni++) {
        if (g->nodes[ni].dead) continue;
        if (ir_op_table[g->nodes[ni].op].linear) rc = seqeval_linear_node(&e, ni, hook, user, need[ni]);
        else
            for (int l = 0; l < e.n_lanes && rc == 0 && need[ni]; l++) rc = seqeval_eval_node(&e, &e.lane[l], ni);
        seqeval_free_dead(&e, ni);
        done++;
        if (o->progress && done * 10 / n_live != (done - 1) * 10 / n_live)
            fprintf(o->progress, "lmcc: calibration forward: %d%% (%d/%d nodes, %lld positions)\n",
                    done * 100 / n_live, done, n_live, (long long)e.rows);
    }
    if (rc == 0 && o->logits) {
        const float *lg = e.lane[0].buf[g->logits];
        if (lg) memcpy(o->logits, lg, (size_t)(e.rows * seqeval_width(&g->tensors[g->logits])) * sizeof *lg);
        else memset(o->logits, 0, (size_t)(e.rows * seqeval_width(&g->tensors[g->logits])) * sizeof *lg);
    }
    if (o->peak_bytes) *o->peak_bytes = (int64_t)e.peak;
    free(need);
    seqeval_release(&e);
    return rc == 0 ? 0 : -1;
}
