/* rotate.c - an orthogonal rotation R of the residual stream, folded into the
 * weights, so the quantizers see incoherent weights (QuaRot / SpinQuant "R1").
 *
 * Once fold_norm has left only weightless normalize() between the residual
 * stream and the linears, the float model is unchanged by
 *   embedding rows  e -> R e            readers (take normalize(x))  W -> W R^T
 *   writers (x += W a)  W -> R W        (normalize(R x) = R normalize(x))
 * but every reader's columns (and every writer's rows) become mixtures of all
 * channels: a few large channels no longer set the scale of a whole block, so
 * the same bits give a smaller error.  R = (Q_m (x) H_2^p / sqrt(2^p)) diag(s):
 * a Walsh-Hadamard transform (d log d per vector), a seeded random orthogonal
 * Q_m for an odd factor m of the width, seeded random signs s.
 *
 * Also per attention head (R2, see rot_heads): value rows and the matching
 * output-projection columns, so the int8 input of Wo has no dominant channel.
 *
 * Runs only when weights are requantized to an int format (q8/q4 families,
 * --bpw) and the whole residual stream has the expected shape; otherwise it
 * leaves the graph alone (and says why under -v). */
#include "fuse_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmrt_math.h"

#define ROT_MAX_ODD 64 /* widest odd factor handled with a dense orthogonal matrix */

typedef struct rot_plan {
    int64_t d, pow2, m; /* d = m * pow2 */
    float *sign;        /* [d] +-1 */
    double *q;          /* [m][m] orthogonal */
} rot_plan;

static uint64_t rot_rng(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rot_gauss(uint64_t *s) { /* Box-Muller */
    double u = ((double)(rot_rng(s) >> 11) + 0.5) * 0x1.0p-53, v = (double)(rot_rng(s) >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static int rot_plan_make(rot_plan *p, int64_t d, uint64_t seed) {
    memset(p, 0, sizeof *p);
    p->d = d, p->pow2 = 1;
    while (d % (2 * p->pow2) == 0) p->pow2 *= 2;
    p->m = d / p->pow2;
    if (p->m > ROT_MAX_ODD) return -1;
    p->sign = malloc((size_t)d * sizeof *p->sign);
    p->q = malloc((size_t)(p->m * p->m) * sizeof *p->q);
    if (!p->sign || !p->q) return -2;
    for (int64_t i = 0; i < d; i++) p->sign[i] = rot_rng(&seed) >> 63 ? -1.0f : 1.0f;
    /* Gram-Schmidt on Gaussian rows: a random orthogonal matrix */
    for (int64_t i = 0; i < p->m; i++) {
        double *r = p->q + i * p->m;
        for (;;) {
            for (int64_t j = 0; j < p->m; j++) r[j] = rot_gauss(&seed);
            for (int64_t a = 0; a < i; a++) {
                double dot = 0;
                for (int64_t j = 0; j < p->m; j++) dot += r[j] * p->q[a * p->m + j];
                for (int64_t j = 0; j < p->m; j++) r[j] -= dot * p->q[a * p->m + j];
            }
            double nn = 0;
            for (int64_t j = 0; j < p->m; j++) nn += r[j] * r[j];
            if (nn > 1e-6) {
                for (int64_t j = 0; j < p->m; j++) r[j] /= sqrt(nn);
                break;
            }
        }
    }
    return 0;
}

static void rot_plan_free(rot_plan *p) { free(p->sign), free(p->q); }

/* x[d] (stride st) <- R x, with tmp[d] scratch */
static void rot_apply(const rot_plan *p, float *x, int64_t st, double *tmp) {
    int64_t d = p->d, n = p->pow2, m = p->m;
    for (int64_t i = 0; i < d; i++) tmp[i] = (double)x[i * st] * p->sign[i];
    for (int64_t b = 0; b < m; b++) { /* Walsh-Hadamard per segment */
        double *v = tmp + b * n;
        for (int64_t h = 1; h < n; h *= 2)
            for (int64_t i = 0; i < n; i += 2 * h)
                for (int64_t j = i; j < i + h; j++) {
                    double a = v[j], c = v[j + h];
                    v[j] = a + c, v[j + h] = a - c;
                }
    }
    double sc = 1.0 / sqrt((double)n);
    for (int64_t j = 0; j < n; j++)
        for (int64_t a = 0; a < m; a++) {
            double s = 0;
            for (int64_t b = 0; b < m; b++) s += p->q[a * m + b] * tmp[b * n + j];
            x[(a * n + j) * st] = (float)(s * sc);
        }
}

enum { ROT_NONE, ROT_READER, ROT_WRITER, ROT_TABLE };

static int rot_is_stream(const unsigned char *in_s, int t) { return t >= 0 && in_s[t]; }

/* classifies every weight touching the residual stream; 0, or -1 (shape not understood: why) */
static int rot_classify(const ir_graph *g, unsigned char *in_s, unsigned char *role, const char **why) {
    int n_embed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        if (n->op == IR_OP_EMBED) {
            in_s[n->output] = 1, n_embed++;
            if (role[n->inputs[0]] != ROT_NONE && role[n->inputs[0]] != ROT_READER) return *why = "embedding", -1;
            role[n->inputs[0]] = role[n->inputs[0]] == ROT_READER ? ROT_READER : ROT_TABLE;
            continue;
        }
        int k_s = -1, n_s = 0;
        for (int k = 0; k < ir_op_table[n->op].n_inputs; k++)
            if (rot_is_stream(in_s, n->inputs[k])) k_s = k, n_s++;
        if (!n_s) continue;
        if (n_s > 1) return *why = "two residual inputs to one node", -1;
        int other = -1;
        switch (n->op) {
        case IR_OP_TAKE_LAST: in_s[n->output] = 1; break;
        case IR_OP_ADD: {
            other = n->inputs[1 - k_s];
            int p = ir_tensor_producer(g, other);
            if (p < 0 || g->nodes[p].op != IR_OP_LINEAR || ir_tensor_uses(g, other) != 1)
                return *why = "a residual add of something other than a linear", -1;
            if (role[g->nodes[p].inputs[1]] != ROT_NONE) return *why = "a shared writer weight", -1;
            role[g->nodes[p].inputs[1]] = ROT_WRITER;
            in_s[n->output] = 1;
            break;
        }
        case IR_OP_LINEAR_ADD:
            if (k_s != 2) return *why = "the residual as a linear input", -1;
            if (role[n->inputs[1]] != ROT_NONE) return *why = "a shared writer weight", -1;
            role[n->inputs[1]] = ROT_WRITER;
            in_s[n->output] = 1;
            break;
        case IR_OP_NORMALIZE:
            for (int j = 0; j < g->n_nodes; j++) { /* every reader of the normalized stream: a linear */
                const ir_node *c = &g->nodes[j];
                if (c->dead) continue;
                for (int k = 0; k < ir_op_table[c->op].n_inputs; k++) {
                    if (c->inputs[k] != n->output) continue;
                    if (!ir_op_table[c->op].linear || k != 0) return *why = "a normalized value not read by a linear", -1;
                    int w = c->inputs[1];
                    if (role[w] == ROT_WRITER) return *why = "a weight both reading and writing", -1;
                    role[w] = ROT_READER;
                }
            }
            if (n->output == g->logits) return *why = "normalized logits", -1;
            break;
        case IR_OP_RMSNORM:
            return *why = "an rmsnorm fold_norm could not fold: a tied embedding/classifier (rotating it would need an untied copy)", -1;
        default:
            return *why = "an op on the residual stream other than add, normalize, take_last", -1;
        }
        if (rot_is_stream(in_s, n->output) && n->output == g->logits) return *why = "the residual is the output", -1;
    }
    if (n_embed != 1) return *why = "not exactly one embedding", -1;
    return 0;
}


/* R2: per attention head, v -> R v (rows of Wv, per kv head) and the matching
 * columns of Wo -> Wo R^T (per query head): the attention output of a head is a
 * mix of its v rows, so out -> R out and Wo R^T R out = Wo out.  It spreads the
 * attention output's large channels (Wo's int8 input) over the head.  Unfused
 * graph: v = linear(h, Wv) -> kv_store(v, vcache) -> attention(q, kc, vcache)
 * -> linear(., Wo).  Returns heads rotated (0: pattern absent). */
static int rot_heads(ir_graph *g, uint64_t seed, int *n_layers) {
    *n_layers = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ir_node *at = &g->nodes[i];
        if (at->dead || at->op != IR_OP_ATTENTION) continue;
        int hd = at->attrs.head_dim, nh = at->attrs.n_heads, nkv = at->attrs.n_kv_heads, wv = -1, wo = -1;
        for (int j = 0; j < g->n_nodes; j++) {
            const ir_node *n = &g->nodes[j];
            if (n->dead) continue;
            if (n->op == IR_OP_KV_STORE && n->inputs[1] == at->inputs[2]) {
                int p = ir_tensor_producer(g, n->inputs[0]);
                if (p >= 0 && g->nodes[p].op == IR_OP_LINEAR && ir_tensor_uses(g, n->inputs[0]) == 1) wv = g->nodes[p].inputs[1];
            }
            if (n->op == IR_OP_LINEAR && n->inputs[0] == at->output && ir_tensor_uses(g, at->output) == 1) wo = n->inputs[1];
        }
        if (wv < 0 || wo < 0 || ir_tensor_uses(g, wv) != 1 || ir_tensor_uses(g, wo) != 1) continue;
        ir_tensor *tv = &g->tensors[wv], *to = &g->tensors[wo];
        if (tv->ndim != 2 || to->ndim != 2 || tv->shape[0] != (int64_t)nkv * hd || to->shape[1] != (int64_t)nh * hd)
            continue;
        if (ir_dtype_is_quant(tv->dtype) || ir_dtype_is_quant(to->dtype)) continue; /* would be requantized */
        rot_plan p;
        int r = rot_plan_make(&p, hd, seed);
        double *tmp = malloc((size_t)hd * sizeof *tmp);
        float *v = ir_weight_f32(tv), *o = ir_weight_f32(to);
        if (r || !tmp || !v || !o) {
            rot_plan_free(&p), free(tmp), free(v), free(o);
            if (r == -1) continue;
            return -1;
        }
        int64_t kc = tv->shape[1], oc = to->shape[1];
        for (int h = 0; h < nkv; h++) /* each column of a kv head's block of rows */
            for (int64_t c = 0; c < kc; c++) rot_apply(&p, v + (int64_t)h * hd * kc + c, kc, tmp);
        for (int64_t r0 = 0; r0 < to->shape[0]; r0++) /* each head's segment of each row */
            for (int h = 0; h < nh; h++) rot_apply(&p, o + r0 * oc + (int64_t)h * hd, 1, tmp);
        fu_weight_set_f32(tv, v), fu_weight_set_f32(to, o);
        rot_plan_free(&p), free(tmp);
        (*n_layers)++;
    }
    return 0;
}

/* R4 (online): a linear whose input does not come from the residual stream (the attention
 * output before Wo, the gated FFN hidden before W_down) gets a hadamard node in front, x ->
 * H x / sqrt(B) in blocks of B (zero-padded to a multiple of 32: the q8a/q4 blocks), and its
 * weight columns the same transform (W -> [W 0] H / sqrt(B), H symmetric and its own inverse),
 * so y is unchanged in float but neither the int8 activations nor the weight columns have a
 * dominant channel within a block.  B: the largest power of two dividing the padded width.
 * Returns the linears rotated, or -1 (out of memory). */
static int rot_online(ir_graph *g) {
    int nn = g->n_nodes, added = 0, n_lin = 0;
    int *first = malloc(((size_t)nn + 1) * sizeof *first); /* node -> a hadamard goes before it */
    if (!first) return -1;
    for (int i = 0; i < nn; i++) first[i] = -1;
    for (int i = 0; i < nn; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead || n->op != IR_OP_LINEAR) continue;
        int x = n->inputs[0], p = ir_tensor_producer(g, x);
        if (p < 0) continue;
        ir_opcode po = g->nodes[p].op;
        if (po != IR_OP_ATTENTION && po != IR_OP_SWIGLU && po != IR_OP_MUL) continue;
        const ir_tensor *tx = &g->tensors[x];
        if (tx->kind != IR_KIND_ACT || tx->dtype != IR_DT_F32 || tx->ndim != 1) continue;
        /* every reader: a linear with x as its input and a float matrix of its own */
        int ok = 1, first_reader = -1;
        for (int j = 0; j < nn && ok; j++) {
            const ir_node *c = &g->nodes[j];
            if (c->dead) continue;
            for (int k = 0; k < ir_op_table[c->op].n_inputs; k++) {
                if (c->inputs[k] != x) continue;
                const ir_tensor *w = &g->tensors[c->inputs[1]];
                if (c->op != IR_OP_LINEAR || k != 0 || w->ndim != 2 || w->tile_rows > 1 || ir_tensor_uses(g, c->inputs[1]) != 1 ||
                    ir_dtype_is_quant(w->dtype))
                    ok = 0;
                else if (first_reader < 0)
                    first_reader = j;
            }
        }
        if (!ok || first_reader != i) continue; /* handled once, at its first reader */
        int64_t K = tx->shape[0], KP = (K + 31) / 32 * 32;
        int B = 1;
        while (B < 4096 && KP % (2 * B) == 0) B *= 2;
        if (B < 2) continue;
        char name[IR_NAME_MAX];
        snprintf(name, sizeof name, "%.*s.had", IR_NAME_MAX - 5, tx->name);
        ir_attrs ha = g->nodes[p].attrs;
        ha.block = B;
        int in[IR_MAX_INPUTS] = {x, -1, -1, -1, -1};
        int64_t shape[IR_MAX_DIMS] = {KP};
        int h = ir_node_add(g, IR_OP_HADAMARD, in, &ha, name, 1, shape);
        if (h < 0) goto oom;
        float scale = (float)(1.0 / sqrt((double)B));
        for (int j = 0; j < nn; j++) {
            ir_node *c = &g->nodes[j];
            if (c->dead || c->op != IR_OP_LINEAR || c->inputs[0] != x) continue;
            ir_tensor *w = &g->tensors[c->inputs[1]];
            int64_t rows = w->shape[0];
            float *src = ir_weight_f32(w), *dst = malloc((size_t)(rows * KP) * sizeof *dst);
            if (!src || !dst) { free(src), free(dst); goto oom; }
            for (int64_t r = 0; r < rows; r++) lmrt_hadamard_row(dst + r * KP, src + r * K, (int)K, (int)KP, B, scale);
            free(src);
            w->shape[1] = KP;
            w->pad_cols += KP - K;
            fu_weight_set_f32(w, dst);
            c->inputs[0] = h;
            n_lin++;
        }
        first[i] = 1;
        added++;
    }
    /* ir_node_add appended the hadamard nodes: each goes before its first reader */
    if (added && fu_move_appended(g, nn, first)) goto oom;
    free(first);
    return n_lin;
oom:
    free(first);
    return -1;
}

/* under block formats (--bpw picks them too): float weights lose nothing to outliers */
static int rot_wanted(const ir_graph *g) {
    if (!g->cfg.rotate) return 0;
    int m = g->cfg.weights_mode;
    return g->cfg.bpw > 0 || (m != IR_WEIGHTS_KEEP && ir_dtype_is_quant((ir_dtype)m));
}

int lmcc_pass_rotate(ir_graph *g, lmcc_diag *pc) {
    if (!g->cfg.fuse || !rot_wanted(g)) return 0;
    unsigned char *in_s = calloc((size_t)g->n_tensors, 1), *role = calloc((size_t)g->n_tensors, 1);
    const char *why = NULL;
    rot_plan p;
    memset(&p, 0, sizeof p);
    double *tmp = NULL;
    int rc = -1, d = (int)g->info.dim, n_r = 0, n_w = 0;
    if (!in_s || !role) goto oom;
    if (rot_classify(g, in_s, role, &why) == 0) {
        for (int i = 0; i < g->n_tensors && !why; i++) {
            const ir_tensor *t = &g->tensors[i];
            if (role[i] == ROT_NONE) continue;
            if (t->ndim != 2 || t->tile_rows > 1) why = "a tiled or non-matrix weight";
            else if ((role[i] == ROT_WRITER ? t->shape[0] : t->shape[1]) != d) why = "a weight of another width";
            else if (ir_dtype_is_quant(t->dtype))
                why = "weights already quantized in the file (rotation would requantize them)";
        }
    }
    if (!why) {
        int r = rot_plan_make(&p, d, 0x5EED0F0Dull);
        if (r == -2) goto oom;
        if (r) why = "a width with a large odd factor";
    }
    if (why) {
        if (pc->verbose) fprintf(fu_log(pc), "rotate: residual stream left as is (%s)\n", why);
        rc = 0;
        goto online;
    }
    tmp = malloc((size_t)d * sizeof *tmp);
    if (!tmp) goto oom;
    for (int i = 0; i < g->n_tensors; i++) {
        if (role[i] == ROT_NONE) continue;
        ir_tensor *t = &g->tensors[i];
        float *w = ir_weight_f32(t);
        if (!w) goto oom;
        int64_t rows = t->shape[0], cols = t->shape[1];
        if (role[i] == ROT_WRITER) { /* R W: every column */
            for (int64_t c = 0; c < cols; c++) rot_apply(&p, w + c, cols, tmp);
            n_w++;
        } else { /* W R^T: every row gets R */
            for (int64_t r = 0; r < rows; r++) rot_apply(&p, w + r * cols, 1, tmp);
            n_r++;
        }
        fu_weight_set_f32(t, w);
    }
    int n_heads_l = 0;
    if (rot_heads(g, 0x4EAD5EEDull, &n_heads_l)) goto oom;
    if (pc->verbose)
        fprintf(fu_log(pc), "rotate: residual stream (width %d = %lld x %lld) rotated: %d reader/table, %d writer weights; "
                "value heads rotated in %d layers\n", d, (long long)p.m, (long long)p.pow2, n_r, n_w, n_heads_l);
    rc = 0;
    goto online;
online: { /* independent of the residual stream's rotation */
        int n_on = rot_online(g);
        if (n_on < 0) goto oom;
        if (pc->verbose && n_on)
            fprintf(fu_log(pc), "rotate: %d linears read their input through a hadamard node (attention output, FFN hidden)\n",
                    n_on);
        goto out;
    }
oom:
    rc = -1;
    snprintf(pc->err, sizeof pc->err, "rotate: out of memory");
out:
    rot_plan_free(&p);
    free(in_s), free(role), free(tmp);
    return rc;
}
