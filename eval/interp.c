/* interp.c - float32 reference interpreter (see interp.h for why it is built
 * the way it is).  Clarity over speed: every op is a plain loop. */
#include "interp.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act_q8a.h"
#include "lmrt_quant.h"

struct lmcc_interp {
    const ir_graph *g;
    float **buf;     /* per tensor: ACT/STATE values, small WEIGHTs dequantized; NULL otherwise */
    int n_buf;       /* tensors when created (the graph may grow later) */
    float *row;      /* one dequantized weight row */
    int64_t row_cap;
    float *mm;       /* qkv / linear_swiglu: the whole matmul result before its epilogue */
    int64_t mm_cap;
    int token;
    lmcc_interp_hook_fn hook;
    void *hook_user;
};

void lmcc_interp_set_hook(lmcc_interp *it, lmcc_interp_hook_fn fn, void *user) {
    it->hook = fn;
    it->hook_user = user;
}

const float *lmcc_interp_value(const lmcc_interp *it, int tensor) {
    return tensor >= 0 && tensor < it->g->n_tensors ? it->buf[tensor] : NULL;
}

static int64_t interp_cols(const ir_tensor *t) { return t->ndim > 0 ? t->shape[t->ndim - 1] : 1; }
static int64_t interp_rows(const ir_tensor *t) {
    int64_t c = interp_cols(t);
    return c > 0 ? ir_tensor_elems(t) / c : 0;
}

/* Row r of a tiled q4_0/q8_0 weight, read independently of the kernels from the layout
 * of runtime-min/lmrt_tiled.h: groups of R rows; per 32-column block one tile of R fp16
 * scales (row order) then R GGUF payloads (row order; when R % 16 == 0, each 16-row sub-tile
 * holds dword k of its row e at byte 64k + 4e of the sub-tile). */
static int interp_tiled_row(const ir_tensor *t, int64_t r, float *dst) {
    if (t->dtype != IR_DT_Q4_0 && t->dtype != IR_DT_Q8_0) return -1;
    int64_t R = t->tile_rows, K = interp_cols(t), nb = (K + 31) / 32;
    size_t P = t->dtype == IR_DT_Q4_0 ? 16 : 32, tile = (size_t)R * (2 + P);
    const unsigned char *grp = (const unsigned char *)t->data + (size_t)(r / R) * (size_t)nb * tile;
    int64_t i = r % R;
    for (int64_t b = 0; b < nb; b++) {
        unsigned char blk[34];
        float v[32];
        const unsigned char *tb = grp + (size_t)b * tile;
        memcpy(blk, tb + 2 * i, 2);
        if (R % 16)
            memcpy(blk + 2, tb + 2 * (size_t)R + (size_t)i * P, P);
        else
            for (size_t k = 0; k < P / 4; k++)
                memcpy(blk + 2 + 4 * k, tb + 2 * (size_t)R + (size_t)(i / 16) * 16 * P + 64 * k + 4 * (size_t)(i % 16), 4);
        if (t->dtype == IR_DT_Q4_0) lmrt_dequant_block_q4_0(blk, v);
        else lmrt_dequant_block_q8_0(blk, v);
        for (int64_t j = 0; j < 32 && b * 32 + j < K; j++) dst[b * 32 + j] = v[j];
    }
    return 0;
}

/* Dequantizes row r of weight t into dst (cols elements). */
static int interp_weight_row(const ir_tensor *t, int64_t r, float *dst) {
    if (t->dtype == IR_DT_I32 || t->dtype == IR_DT_Q8A || !t->data) return -1;
    if (t->tile_rows > 1) return interp_tiled_row(t, r, dst);
    int64_t cols = interp_cols(t);
    const unsigned char *src = (const unsigned char *)t->data + (size_t)r * ir_row_bytes(t->dtype, cols);
    return lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype), src, dst, cols) == 0 ? 0 : -1;
}

/* Weights read row by row (matrices, the embedding table) stay in place; any other weight
 * input is dequantized once. */
static int interp_weight_streamed(ir_opcode op, int slot) {
    ir_slot s = ir_op_table[op].slot[slot];
    return s == IR_SLOT_MATRIX || s == IR_SLOT_ROWS;
}

/* H[i][j] of Sylvester's Hadamard matrix: (-1)^(number of bits set in i & j) */
static double interp_hadamard_sign(int64_t ij) {
    int odd = 0;
    for (; ij; ij &= ij - 1) odd ^= 1;
    return odd ? -1.0 : 1.0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void interp_error(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    int k = snprintf(err, errlen, "interpreter: ");
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < errlen) vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
    va_end(ap);
}

/* a weight interp_weight_row reads: a known block format (tiled: q4_0 or q8_0), bytes present */
static int interp_readable(const ir_tensor *t) {
    float probe;
    if (t->tile_rows > 1) return t->data && (t->dtype == IR_DT_Q4_0 || t->dtype == IR_DT_Q8_0);
    return t->data && t->dtype != IR_DT_I32 && t->dtype != IR_DT_Q8A &&
           lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype), t->data, &probe, 1) == 0;
}

int lmcc_interp_check(const ir_graph *g, char *err, size_t errlen) {
    char why[512];
    if (err && errlen) err[0] = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        if (ir_node_check(g, ni, why, sizeof why)) { /* what the op rules accept, nothing else */
            interp_error(err, errlen, "%s", why);
            return -1;
        }
        for (int s = 0; s < ir_op_table[n->op].n_inputs; s++) {
            const ir_tensor *t = &g->tensors[n->inputs[s]];
            if (t->kind == IR_KIND_WEIGHT && !interp_readable(t)) {
                interp_error(err, errlen, "weight \"%s\" (node %d, %s) is %s%s, which it cannot read", t->name, ni,
                             ir_op_table[n->op].name, ir_dtype_name(t->dtype), t->tile_rows > 1 ? " tiled" : "");
                return -1;
            }
        }
    }
    if (g->logits < 0 || g->logits >= g->n_tensors || g->tensors[g->logits].dead ||
        g->tensors[g->logits].kind != IR_KIND_ACT) {
        interp_error(err, errlen, "the graph has no logits (tensor %d)", g->logits);
        return -1;
    }
    return 0;
}

lmcc_interp *lmcc_interp_new(const ir_graph *g) {
    if (lmcc_interp_check(g, NULL, 0)) return NULL;
    lmcc_interp *it = calloc(1, sizeof *it);
    if (!it) return NULL;
    it->g = g;
    it->buf = calloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1), sizeof *it->buf);
    if (!it->buf) goto fail;
    it->n_buf = g->n_tensors;
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->kind == IR_KIND_WEIGHT && interp_cols(t) > it->row_cap) it->row_cap = interp_cols(t);
        if (t->dead || (t->kind != IR_KIND_ACT && t->kind != IR_KIND_STATE)) continue;
        it->buf[i] = calloc((size_t)(ir_tensor_elems(t) > 0 ? ir_tensor_elems(t) : 1), sizeof(float));
        if (!it->buf[i]) goto fail;
    }
    it->row = malloc((size_t)(it->row_cap > 0 ? it->row_cap : 1) * sizeof(float));
    if (!it->row) goto fail;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (!n->dead && (n->op == IR_OP_QKV || n->op == IR_OP_LINEAR_SWIGLU) &&
            g->tensors[n->inputs[1]].shape[0] > it->mm_cap)
            it->mm_cap = g->tensors[n->inputs[1]].shape[0];
    }
    it->mm = malloc((size_t)(it->mm_cap > 0 ? it->mm_cap : 1) * sizeof(float));
    if (!it->mm) goto fail;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        for (int s = 0; !n->dead && s < ir_op_table[n->op].n_inputs; s++) {
            int ti = n->inputs[s];
            const ir_tensor *t = &g->tensors[ti];
            if (t->kind != IR_KIND_WEIGHT || interp_weight_streamed(n->op, s) || it->buf[ti]) continue;
            it->buf[ti] = malloc((size_t)(ir_tensor_elems(t) > 0 ? ir_tensor_elems(t) : 1) * sizeof(float));
            if (!it->buf[ti]) goto fail;
            for (int64_t r = 0; r < interp_rows(t); r++) interp_weight_row(t, r, it->buf[ti] + r * interp_cols(t));
        }
    }
    return it;
fail:
    lmcc_interp_free(it);
    return NULL;
}

void lmcc_interp_free(lmcc_interp *it) {
    if (!it) return;
    if (it->buf)
        for (int i = 0; i < it->n_buf; i++) free(it->buf[i]);
    free(it->buf);
    free(it->row);
    free(it->mm);
    free(it);
}

static void interp_rmsnorm(float *y, const float *x, const float *w, int64_t rows, int64_t n, float eps) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        double ss = 0;
        for (int64_t i = 0; i < n; i++) ss += (double)xr[i] * xr[i];
        double inv = 1.0 / sqrt(ss / (double)n + (double)eps);
        for (int64_t i = 0; i < n; i++) y[r * n + i] = (float)((double)xr[i] * inv * w[i]);
    }
}

static void interp_linear(lmcc_interp *it, float *y, const float *x, const ir_tensor *w) {
    int64_t n_out = w->shape[0], n_in = w->shape[1];
    for (int64_t o = 0; o < n_out; o++) {
        interp_weight_row(w, o, it->row); /* checked readable in lmcc_interp_new */
        double acc = 0;
        for (int64_t i = 0; i < n_in; i++) acc += (double)it->row[i] * x[i];
        y[o] = (float)acc;
    }
}

/* cs[i] = {cos, sin} of pos * freqs[i] times m, in double */
static void interp_rope_table(float *cs, const float *freqs, int64_t half, int pos, double m) {
    for (int64_t i = 0; i < half; i++) {
        double ang = (double)pos * (double)freqs[i];
        cs[2 * i] = (float)(cos(ang) * m);
        cs[2 * i + 1] = (float)(sin(ang) * m);
    }
}

/* rotates the first rope_dim dims of each head by the angles of the rope rows cs */
static void interp_rope(float *y, const float *x, const ir_attrs *a, const float *cs) {
    int hd = a->head_dim, half = a->rope_dim / 2;
    memmove(y, x, (size_t)a->n_heads * (size_t)hd * sizeof(float));
    for (int h = 0; h < a->n_heads; h++) {
        float *v = y + (size_t)h * (size_t)hd;
        for (int i = 0; i < half; i++) {
            double c = cs[2 * i], s = cs[2 * i + 1];
            int i0 = a->rope_neox ? i : 2 * i, i1 = a->rope_neox ? i + half : 2 * i + 1;
            double x0 = v[i0], x1 = v[i1];
            v[i0] = (float)(x0 * c - x1 * s);
            v[i1] = (float)(x0 * s + x1 * c);
        }
    }
}

/* positions lo..pos (the window), position t in slot t % slots of caches [n_kv][slots][hd] */
static void interp_attention(float *out, const float *q, const float *kc, const float *vc,
                             const ir_attrs *a, int64_t slots, int pos, double *sc) {
    int hd = a->head_dim, group = a->n_heads / a->n_kv_heads;
    int lo = a->window > 0 && pos - a->window + 1 > 0 ? pos - a->window + 1 : 0;
    for (int h = 0; h < a->n_heads; h++) {
        int kvh = h / group;
        const float *qh = q + (size_t)h * (size_t)hd;
        const float *kb = kc + (size_t)kvh * (size_t)slots * (size_t)hd;
        const float *vb = vc + (size_t)kvh * (size_t)slots * (size_t)hd;
        double mx = -HUGE_VAL, sum = 0;
        for (int t = lo; t <= pos; t++) {
            double d = 0;
            size_t ko = (size_t)(t % slots) * (size_t)hd;
            for (int i = 0; i < hd; i++) d += (double)qh[i] * kb[ko + (size_t)i];
            d *= (double)a->scale;
            sc[t] = a->softcap > 0 ? (double)a->softcap * tanh(d / (double)a->softcap) : d;
            if (sc[t] > mx) mx = sc[t];
        }
        for (int t = lo; t <= pos; t++) { sc[t] = exp(sc[t] - mx); sum += sc[t]; }
        for (int i = 0; i < hd; i++) {
            double acc = 0;
            for (int t = lo; t <= pos; t++) acc += sc[t] * vb[(size_t)(t % slots) * (size_t)hd + (size_t)i];
            out[(size_t)h * (size_t)hd + (size_t)i] = (float)(acc / sum);
        }
    }
}

static double interp_silu(double v) { return v / (1.0 + exp(-v)); }

/* GELU, tanh form (Gemma's, ggml_gelu's) */
static double interp_gelu(double v) { return 0.5 * v * (1.0 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))); }

/* Rejects the step before touching the KV cache, so a bad call changes nothing. */
static int interp_step_valid(const lmcc_interp *it, int token, int pos) {
    const ir_graph *g = it->g;
    if (pos < 0 || (g->cfg.ctx > 0 && pos >= g->cfg.ctx)) return 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        for (int s = 0; !n->dead && s < ir_op_table[n->op].n_inputs; s++) {
            const ir_tensor *t = &g->tensors[n->inputs[s]];
            ir_slot sl = ir_op_table[n->op].slot[s];
            if (sl == IR_SLOT_ROWS && (token < 0 || token >= t->shape[0])) return 0;
            if (sl == IR_SLOT_CACHE && pos >= ir_cache_positions(g, t)) return 0;
        }
    }
    return 1;
}

const float *lmcc_interp_step(lmcc_interp *it, int token, int pos) {
    const ir_graph *g = it->g;
    if (!interp_step_valid(it, token, pos)) return NULL;
    double *sc = malloc((size_t)(pos + 1) * sizeof(double));
    if (!sc) return NULL;
    it->token = token;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        if (it->hook) it->hook(it->hook_user, it, ni);
        const ir_attrs *a = &n->attrs;
        float *y = n->output >= 0 ? it->buf[n->output] : NULL;
        const ir_tensor *t0 = &g->tensors[n->inputs[0]];
        const float *x0 = it->buf[n->inputs[0]];
        const float *x1 = ir_op_table[n->op].n_inputs > 1 ? it->buf[n->inputs[1]] : NULL;
        int64_t ne = n->output >= 0 ? ir_tensor_elems(&g->tensors[n->output]) : 0;
        switch (n->op) {
        case IR_OP_EMBED:
            interp_weight_row(t0, token, y);
            break;
        case IR_OP_RMSNORM:
            interp_rmsnorm(y, x0, x1, interp_rows(t0), interp_cols(t0), a->eps);
            break;
        case IR_OP_ADD_BIAS:
            for (int64_t i = 0; i < ne; i++) y[i] = (float)((double)x0[i] + x1[i % interp_cols(t0)]);
            break;
        case IR_OP_HEAD_NORM: /* the heads are rows of head_dim */
            interp_rmsnorm(y, x0, x1, ne / a->head_dim, a->head_dim, a->eps);
            break;
        case IR_OP_NORMALIZE: {
            int64_t cols = interp_cols(t0);
            for (int64_t r = 0; r < interp_rows(t0); r++) {
                const float *xr = x0 + r * cols;
                double ss = 0;
                for (int64_t i = 0; i < cols; i++) ss += (double)xr[i] * xr[i];
                double inv = 1.0 / sqrt(ss / (double)cols + (double)a->eps);
                for (int64_t i = 0; i < cols; i++) y[r * cols + i] = (float)((double)xr[i] * inv);
            }
            break;
        }
        case IR_OP_QUANTIZE:
            lmcc_eval_round_q8a(y, x0, ne);
            break;
        case IR_OP_HADAMARD: { /* the textbook product, in double: y_b = H x_b / sqrt(B) */
            int64_t k = ir_tensor_elems(t0), B = a->block;
            double sc = 1.0 / sqrt((double)B);
            for (int64_t b0 = 0; b0 < ne; b0 += B)
                for (int64_t i = 0; i < B; i++) {
                    double s = 0;
                    for (int64_t j = 0; j < B && b0 + j < k; j++)
                        s += interp_hadamard_sign(i & j) * x0[b0 + j];
                    y[b0 + i] = (float)(s * sc);
                }
            break;
        }
        case IR_OP_TAKE_LAST: /* one token at a time: the last row is the row */
            memcpy(y, x0, (size_t)ne * sizeof(float));
            break;
        case IR_OP_LINEAR_ADD: {
            /* same roundings as linear then add */
            const float *res = it->buf[n->inputs[2]];
            interp_linear(it, y, x0, &g->tensors[n->inputs[1]]);
            for (int64_t i = 0; i < ne; i++) y[i] = (float)((double)res[i] + y[i]);
            break;
        }
        case IR_OP_LINEAR_SWIGLU:
            interp_linear(it, it->mm, x0, &g->tensors[n->inputs[1]]);
            for (int64_t i = 0; i < ne; i++) y[i] = (float)(interp_silu(it->mm[i]) * it->mm[ne + i]);
            break;
        case IR_OP_QKV: {
            const ir_tensor *kt = &g->tensors[n->inputs[3]];
            int64_t slot = pos % kt->shape[1], hd = a->head_dim, nkv = a->n_kv_heads, S = kt->shape[1];
            int64_t nq = (int64_t)a->n_heads * hd;
            float *kc = it->buf[n->inputs[3]], *vc = it->buf[n->inputs[4]];
            const float *cs = it->buf[n->inputs[2]];
            interp_linear(it, it->mm, x0, &g->tensors[n->inputs[1]]);
            interp_rope(y, it->mm, a, cs);
            ir_attrs ka = *a;
            ka.n_heads = a->n_kv_heads; /* rope rotates the heads of the tensor it is given */
            interp_rope(it->mm + nq, it->mm + nq, &ka, cs);
            for (int64_t h = 0; h < nkv; h++) {
                memcpy(kc + (h * S + slot) * hd, it->mm + nq + h * hd, (size_t)hd * sizeof(float));
                memcpy(vc + (h * S + slot) * hd, it->mm + nq + (nkv + h) * hd, (size_t)hd * sizeof(float));
            }
            break;
        }
        case IR_OP_LINEAR:
            interp_linear(it, y, x0, &g->tensors[n->inputs[1]]);
            break;
        case IR_OP_ROPE_TABLE:
            interp_rope_table(y, x0, ne / 2, pos, a->scale > 0 ? a->scale : 1.0);
            break;
        case IR_OP_ROPE:
            interp_rope(y, x0, a, x1);
            break;
        case IR_OP_KV_STORE: {
            const ir_tensor *c = &g->tensors[n->inputs[1]];
            float *cache = it->buf[n->inputs[1]];
            int64_t S = c->shape[1], hd = c->shape[2];
            for (int64_t h = 0; h < c->shape[0]; h++)
                memcpy(cache + (h * S + pos % S) * hd, x0 + h * hd, (size_t)hd * sizeof(float));
            break;
        }
        case IR_OP_ATTENTION:
            interp_attention(y, x0, x1, it->buf[n->inputs[2]], a, g->tensors[n->inputs[1]].shape[1], pos, sc);
            break;
        case IR_OP_ADD:
            for (int64_t i = 0; i < ne; i++) y[i] = (float)((double)x0[i] + x1[i]);
            break;
        case IR_OP_MUL:
            for (int64_t i = 0; i < ne; i++) y[i] = (float)((double)x0[i] * x1[i]);
            break;
        case IR_OP_SILU:
            for (int64_t i = 0; i < ne; i++) y[i] = (float)interp_silu(x0[i]);
            break;
        case IR_OP_SWIGLU:
            for (int64_t i = 0; i < ne; i++) y[i] = (float)(interp_silu(x0[i]) * x1[i]);
            break;
        case IR_OP_GEGLU:
            for (int64_t i = 0; i < ne; i++) y[i] = (float)(interp_gelu(x0[i]) * x1[i]);
            break;
        case IR_OP_SCALE:
            for (int64_t i = 0; i < ne; i++) y[i] = (float)((double)x0[i] * a->scale);
            break;
        case IR_OP_SOFTCAP:
            for (int64_t i = 0; i < ne; i++) y[i] = (float)(a->softcap * tanh((double)x0[i] / a->softcap));
            break;
        case IR_OP_SOFTMAX: {
            int64_t cols = interp_cols(t0);
            for (int64_t r = 0; r < interp_rows(t0); r++) {
                const float *xr = x0 + r * cols;
                double mx = -HUGE_VAL, sum = 0;
                for (int64_t i = 0; i < cols; i++) if (xr[i] > mx) mx = xr[i];
                for (int64_t i = 0; i < cols; i++) sum += exp((double)xr[i] - mx);
                for (int64_t i = 0; i < cols; i++) y[r * cols + i] = (float)(exp((double)xr[i] - mx) / sum);
            }
            break;
        }
        case IR_OP_COUNT: /* not an op: lmcc_interp_new accepts none (no default: -Wswitch asks for every op) */
            break;
        }
    }
    free(sc);
    return it->buf[g->logits];
}
