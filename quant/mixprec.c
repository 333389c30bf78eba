/* mixprec.c - mixed precision for --bpw B: picks a format per linear weight (the output layer
 * included) so that the bits of all of them, scales and
 * row padding counted, average <= B, driven by measured sensitivity.
 *
 * Calibration: MP_SEQS sequences of MP_TOKENS tokens sampled (temperature 1, fixed seed) from the
 * graph as it is (float weights).  Sensitivity: each weight alone is quantized to each candidate
 * (quantize -> dequantize, the rest of the graph untouched) and the mean KL(float || that) of the
 * next-token distributions over the calibration positions is measured, every position of every
 * sequence in one batched evaluation (seqeval.h), so a candidate costs one forward pass.
 * Choice: the mix with the least sum of those KLs (treated as additive across weights) within
 * the budget, by dynamic programming over the budget (a multiple-choice knapsack).  Candidates
 * run from 3.25 bits (q3_g64) through the q4/q5/q6 rungs to q8_0 and f16.  The budget covers the linear weights (the output layer
 * included); a table read only by embed is not one: it gets f16 (or q8_0 with --embedding same)
 * outside the budget.  A tied embedding/output is one tensor with both roles and counts as
 * linear.  Sets ir_tensor.want_dtype; weightfmt keeps it, the quantize pass rounds. */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "seqeval.h"
#include "lmrt_quant.h"

/* 4 x 64 positions: a KL of 1e-4 resolves; 2 x 32 ranked tensors by noise */
#define MP_SEQS 4
#define MP_TOKENS 64

/* the candidates (the bpw column of IR_DTYPE_LIST) by increasing bits per weight, table order
 * among equals (the knapsack keeps the first of equal sums); returns how many */
static int mp_candidates(ir_dtype *c) {
    int n = 0;
    for (int d = 0; d < IR_DT_COUNT; d++) {
        if (!ir_dtype_get((ir_dtype)d)->bpw_cand) continue;
        int k = n++;
        for (; k > 0 && ir_dtype_bits(c[k - 1]) > ir_dtype_bits((ir_dtype)d); k--) c[k] = c[k - 1];
        c[k] = (ir_dtype)d;
    }
    return n;
}
/* the budget in this many units for the choice (each weight's bits rounded up to whole units,
 * so the mix found never exceeds the budget) */
#define MP_UNITS 8192

typedef struct mp_ctx {
    ir_graph *g;
    int V;
    int64_t rows;     /* calibration positions */
    lmcc_eval_seqs seqs;
    float *logits;    /* [rows][V] scratch */
    double *ref_lp;   /* [rows][V] float model's log-probabilities */
} mp_ctx;

static void log_softmax(const float *x, double *lp, int V) {
    double mx = x[0], s = 0;
    for (int i = 1; i < V; i++) mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < V; i++) s += exp((double)x[i] - mx);
    double ls = log(s) + mx;
    for (int i = 0; i < V; i++) lp[i] = (double)x[i] - ls;
}

/* teacher-forced logits of every calibration position (batched evaluator) */
static int mp_eval(mp_ctx *c, char *err, size_t errlen) {
    lmcc_eval_seq_opts o;
    memset(&o, 0, sizeof o);
    o.logits = c->logits;
    return lmcc_eval_seq_run(c->g, &c->seqs, NULL, NULL, &o, err, errlen);
}

/* samples the calibration sequences and records the reference distributions */
static int mp_calibrate(mp_ctx *c, char *err, size_t errlen) {
    if (lmcc_eval_seqs_sample(c->g, MP_SEQS, MP_TOKENS < c->g->cfg.ctx ? MP_TOKENS : c->g->cfg.ctx, 0x3D1C, &c->seqs,
                         err, errlen))
        return -1;
    c->rows = 0;
    for (int s = 0; s < c->seqs.n; s++) c->rows += c->seqs.len[s];
    c->logits = malloc((size_t)c->rows * (size_t)c->V * sizeof *c->logits);
    c->ref_lp = malloc((size_t)c->rows * (size_t)c->V * sizeof *c->ref_lp);
    if (!c->logits || !c->ref_lp) return snprintf(err, errlen, "mixprec: out of memory"), -1;
    if (mp_eval(c, err, errlen)) return -1;
    for (int64_t r = 0; r < c->rows; r++)
        log_softmax(c->logits + r * c->V, c->ref_lp + r * c->V, c->V);
    return 0;
}

/* mean KL(ref || graph) over the calibration positions, -1 on failure */
static double mp_kl(mp_ctx *c, char *err, size_t errlen) {
    double kl = 0;
    double *lp = malloc((size_t)c->V * sizeof *lp);
    if (!lp || mp_eval(c, err, errlen)) { free(lp); return -1; }
    for (int64_t r = 0; r < c->rows; r++) {
        log_softmax(c->logits + r * c->V, lp, c->V);
        const double *rp = c->ref_lp + r * c->V;
        for (int i = 0; i < c->V; i++) kl += exp(rp[i]) * (rp[i] - lp[i]);
    }
    free(lp);
    return kl / (double)c->rows;
}

static double mp_bits(const ir_tensor *t, ir_dtype dt) {
    int64_t k = t->shape[t->ndim - 1];
    return 8.0 * (double)ir_row_bytes(dt, k) * (double)(ir_tensor_elems(t) / k);
}

/* t's weights after a round trip through dt, as f32 (NULL: out of memory or unreadable) */
static float *mp_fake_quant(const ir_tensor *t, ir_dtype dt, int rtn) {
    int64_t k = t->shape[t->ndim - 1], rows = ir_tensor_elems(t) / k;
    size_t src_row = ir_row_bytes(t->dtype, k);
    float *w = malloc((size_t)(rows * k) * sizeof *w);
    uint8_t *q = malloc(ir_row_bytes(dt, k));
    if (!w || !q) goto fail;
    for (int64_t r = 0; r < rows; r++) {
        float *wr = w + r * k;
        /* the quantizer the quantize pass will use (GPTQ/AWQ measured through their RTN core) */
        if (lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype), (const uint8_t *)t->data + (size_t)r * src_row, wr, k) ||
            lmcc_quant_row(dt, rtn, wr, k, q) || lmrt_dequant_row(ir_dtype_lmrt_type(dt), q, wr, k))
            goto fail;
    }
    free(q);
    return w;
fail:
    free(w), free(q);
    return NULL;
}

int lmcc_quant_mixprec(ir_graph *g, lmcc_diag *pc) {
    if (!(g->cfg.bpw > 0)) return 0;
    ir_dtype cand[IR_DT_COUNT];
    const int nc = mp_candidates(cand);
    FILE *log = pc->log ? pc->log : stderr;
    int nt = 0, *ids = malloc((size_t)g->n_tensors * sizeof *ids);
    if (!ids) goto oom;
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        if (t->dead || t->kind != IR_KIND_WEIGHT || t->ndim != 2) continue;
        if (lmcc_quant_embed_only(g, i)) {
            /* not a linear weight: outside the budget (--bpw counts linear weights),
             * one row is read per token; f16 by default, q8_0 with --embedding same */
            t->want_dtype = g->cfg.embed_f16 ? IR_DT_F16 : IR_DT_Q8_0;
            if (pc->verbose)
                fprintf(log, "mixprec: %-28s [%lld x %lld] %s (embedding table, not counted)\n", t->name,
                        (long long)t->shape[0], (long long)t->shape[1], ir_dtype_name((ir_dtype)t->want_dtype));
            continue;
        }
        ids[nt++] = i;
    }
    mp_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g, c.V = g->info.vocab_size;
    double *kl = malloc((size_t)nt * nc * sizeof *kl);
    int *choice = malloc((size_t)nt * sizeof *choice);
    if (!kl || !choice) goto oom_all;
    if (mp_calibrate(&c, pc->err, sizeof pc->err)) goto fail;
    /* sensitivity: one weight at a time, each candidate (a forward pass each: on a 1B model
     * that is hours, so long runs say where they are) */
    double n_el = 0;
    for (int w = 0; w < nt; w++) n_el += (double)ir_weight_params(&g->tensors[ids[w]]);
    for (int w = 0; w < nt; w++) {
        ir_tensor *t = &g->tensors[ids[w]];
        ir_tensor saved = *t;
        if (n_el > 50e6 && (w % 8 == 0 || w + 1 == nt))
            fprintf(log, "lmcc: mixprec: measuring %s (%d/%d weights, %d formats each)\n", t->name, w + 1, nt, nc);
        for (int k = 0; k < nc; k++) {
            float *fq = mp_fake_quant(&saved, cand[k], g->cfg.quant != IR_QUANT_PLAIN);
            if (!fq) goto oom_all;
            t->data = fq, t->dtype = IR_DT_F32, t->nbytes = (size_t)ir_tensor_elems(t) * sizeof(float);
            kl[w * nc + k] = mp_kl(&c, pc->err, sizeof pc->err);
            *t = saved;
            free(fq);
            if (kl[w * nc + k] < 0) goto fail;
        }
    }
    /* the choice: least sum of KLs (treated as additive) within the budget, a
     * multiple-choice knapsack solved exactly over the budget in MP_UNITS units */
    double elems = 0, bits = 0;
    for (int w = 0; w < nt; w++) elems += (double)ir_weight_params(&g->tensors[ids[w]]);
    double budget = (double)g->cfg.bpw * elems, unit = budget / MP_UNITS;
    double *best = malloc((size_t)(MP_UNITS + 1) * sizeof *best), *next = malloc((size_t)(MP_UNITS + 1) * sizeof *next);
    unsigned char *pick = malloc((size_t)nt * (MP_UNITS + 1));
    if (!best || !next || !pick) { free(best), free(next), free(pick); goto oom_all; }
    for (int u = 0; u <= MP_UNITS; u++) best[u] = 0; /* best[u]: least KL of the weights so far in <= u units */
    for (int w = 0; w < nt; w++) {
        const ir_tensor *t = &g->tensors[ids[w]];
        for (int u = 0; u <= MP_UNITS; u++) next[u] = INFINITY, pick[(size_t)w * (MP_UNITS + 1) + u] = 0;
        for (int k = 0; k < nc; k++) {
            double cu = ceil(mp_bits(t, cand[k]) / unit - 1e-9);
            if (cu > MP_UNITS) continue;
            for (int u = (int)cu; u <= MP_UNITS; u++) {
                double v = best[u - (int)cu] + kl[w * nc + k];
                if (v < next[u]) next[u] = v, pick[(size_t)w * (MP_UNITS + 1) + u] = (unsigned char)k;
            }
        }
        double *tmp = best;
        best = next, next = tmp;
    }
    int feasible = best[MP_UNITS] < INFINITY;
    for (int w = nt - 1, u = MP_UNITS; feasible && w >= 0; w--) {
        int k = pick[(size_t)w * (MP_UNITS + 1) + u];
        choice[w] = k;
        u -= (int)ceil(mp_bits(&g->tensors[ids[w]], cand[k]) / unit - 1e-9);
        bits += mp_bits(&g->tensors[ids[w]], cand[k]);
    }
    free(best), free(next), free(pick);
    if (!feasible) {
        double least = 0;
        for (int w = 0; w < nt; w++) {
            double m = INFINITY;
            for (int k = 0; k < nc; k++)
                m = fmin(m, mp_bits(&g->tensors[ids[w]], cand[k]));
            least += m;
        }
        snprintf(pc->err, sizeof pc->err, "--bpw %.3g is below the smallest format mix (%.4f bits per weight)",
                 (double)g->cfg.bpw, least / elems);
        goto fail;
    }
    if (pc->verbose) { /* the whole measurement, so a choice can be checked */
        fprintf(log, "mixprec: KL alone per candidate:");
        for (int k = 0; k < nc; k++) fprintf(log, " %8s", ir_dtype_name(cand[k]));
        fputc('\n', log);
        for (int w = 0; w < nt; w++) {
            fprintf(log, "mixprec:   %-28s", g->tensors[ids[w]].name);
            for (int k = 0; k < nc; k++) fprintf(log, " %8.5f", kl[w * nc + k]);
            fputc('\n', log);
        }
    }
    double kl_sum = 0;
    for (int w = 0; w < nt; w++) {
        ir_tensor *t = &g->tensors[ids[w]];
        t->want_dtype = (int)cand[choice[w]];
        kl_sum += kl[w * nc + choice[w]];
        if (pc->verbose) { /* shape: the parameters; a padded weight also says what is stored */
            char stored[48] = "";
            if (t->pad_cols > 0) snprintf(stored, sizeof stored, "  (stored %lld)", (long long)t->shape[1]);
            fprintf(log, "mixprec: %-28s [%lld x %lld] %-7s %6.3f bpw  KL alone %.5f%s\n", t->name,
                    (long long)t->shape[0], (long long)(t->shape[1] - t->pad_cols), ir_dtype_name(cand[choice[w]]),
                    mp_bits(t, cand[choice[w]]) / (double)ir_weight_params(t), kl[w * nc + choice[w]], stored);
        }
    }
    if (pc->verbose)
        fprintf(log, "mixprec: total %.4f bpw over %d weights, %.0f elements (budget %.3g); sum of KLs %.5f\n",
                bits / elems, nt, elems, (double)g->cfg.bpw, kl_sum);
    free(ids), free(kl), free(choice), free(c.logits), free(c.ref_lp), lmcc_eval_seqs_free(&c.seqs);
    return 0;
oom_all:
    snprintf(pc->err, sizeof pc->err, "mixprec: out of memory");
fail:
    free(ids), free(kl), free(choice), free(c.logits), free(c.ref_lp), lmcc_eval_seqs_free(&c.seqs);
    return -1;
oom:
    snprintf(pc->err, sizeof pc->err, "mixprec: out of memory");
    return -1;
}
