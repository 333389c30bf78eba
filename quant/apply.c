/* apply.c - the quantize pass: rounds every weight to the format weightfmt chose for it
 * (want_dtype) with --quant's algorithm, GPTQ's calibration and the scale tuning included. */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calib.h"
#include "seqeval.h"
#include "lmrt_quant.h"

/* Hessian damping, a fraction of its mean diagonal: 0.03 had the lowest held-out
 * layer error and KL on stories260K among 0.01 / 0.03 / 0.1 / 1 */
#define LMCC_GPTQ_DAMP 0.03
/* refit ridge toward W, a fraction of H's mean diagonal: on 3 x 128 calibration tokens 1 beat
 * 0.01 / 0.1 / 10 in held-out KL (smaller ones overfit); on 24 x 128, 0.3 / 1 / 3 were within noise */
#define QA_REFIT_RIDGE 1.0

int lmcc_quant_target(const ir_graph *g, int id) {
    const ir_tensor *t = &g->tensors[id];
    if (t->dead || t->kind != IR_KIND_WEIGHT) return -1;
    if (t->ndim != 2) return IR_DT_F32; /* norm weights: the kernels read f32 */
    if (t->want_dtype >= 0) return t->want_dtype;
    int m = g->cfg.weights_mode;
    if (m == IR_WEIGHTS_KEEP) return -1;
    if (ir_dtype_is_quant((ir_dtype)m) && g->cfg.embed_f16 && lmcc_quant_embed_only(g, id)) return IR_DT_F16;
    return m;
}

unsigned lmcc_quant_uses(const ir_graph *g, int id, int *x) {
    unsigned u = 0;
    int in = -1;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        for (int s = 0; s < ir_op_table[n->op].n_inputs; s++) {
            if (n->inputs[s] != id) continue;
            if (ir_op_table[n->op].linear && s == 1) {
                in = !(u & LMCC_QUANT_USE_LINEAR) || in == n->inputs[0] ? n->inputs[0] : -1;
                u |= LMCC_QUANT_USE_LINEAR;
            } else {
                u |= n->op == IR_OP_EMBED && s == 0 ? LMCC_QUANT_USE_EMBED : LMCC_QUANT_USE_OTHER;
            }
        }
    }
    if (x) *x = in;
    return u;
}

/* A table read only by embed (one row per token, never streamed whole) is not
 * a linear weight: quantizing it saves no bandwidth and costs accuracy at the
 * very start of the residual stream, so it stays f16 under the int formats. */
int lmcc_quant_embed_only(const ir_graph *g, int id) { return lmcc_quant_uses(g, id, NULL) == LMCC_QUANT_USE_EMBED; }

/* the input tensor every use of weight w multiplies (a 1-D f32 activation), or -1 */
static int qa_weight_input(const ir_graph *g, int w) {
    int in;
    if (lmcc_quant_uses(g, w, &in) != LMCC_QUANT_USE_LINEAR || in < 0) return -1;
    const ir_tensor *x = &g->tensors[in];
    return x->kind == IR_KIND_ACT && x->dtype == IR_DT_F32 && x->ndim == 1 ? in : -1;
}

/* wall seconds: gptq runs on several threads, so clock() would overstate it */
static double qa_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- sequential gptq ------------------------------------------------------
 * Layer by layer in graph order: each linear's calibration inputs come from the
 * model with every earlier linear already quantized, so later layers see (and
 * GPTQ corrects for) the error upstream.  With a float reference of the same
 * input, the float target is first refit by ridge least squares so that
 * Q X_q approximates W X_fp (the float model's output), not W X_q:
 *   (H + l I) W'^T = G W^T + l W^T,  H = X_q^T X_q,  G = X_q^T X_fp
 * and GPTQ then rounds W' under H (same objective up to a constant). */

/* in-place Cholesky of a [k][k] SPD matrix (lower triangle); 0 or -1 */
static int qa_cholesky(double *a, int64_t k) {
    for (int64_t j = 0; j < k; j++) {
        double s = a[j * k + j];
        for (int64_t p = 0; p < j; p++) s -= a[j * k + p] * a[j * k + p];
        if (!(s > 0)) return -1;
        a[j * k + j] = sqrt(s);
        for (int64_t i = j + 1; i < k; i++) {
            double t = a[i * k + j];
            for (int64_t p = 0; p < j; p++) t -= a[i * k + p] * a[j * k + p];
            a[i * k + j] = t / a[j * k + j];
        }
    }
    return 0;
}

/* w [rows][k] <- ridge refit toward the reference output (see above); 0 or -1 */
static int qa_refit(float *w, int64_t rows, int64_t k, const double *h, const float *xq, const float *xf,
                    int64_t n, double lambda_rel) {
    double *a = malloc((size_t)(k * k) * sizeof *a), *gm = calloc((size_t)(k * k), sizeof *gm);
    double *b = malloc((size_t)k * sizeof *b);
    int rc = -1;
    if (!a || !gm || !b) goto out;
    for (int64_t r = 0; r < n; r++)
        for (int64_t i = 0; i < k; i++) {
            double xi = xq[r * k + i];
            if (xi == 0) continue;
            double *gr = gm + i * k;
            const float *fr = xf + r * k;
            for (int64_t j = 0; j < k; j++) gr[j] += xi * fr[j];
        }
    double mean = 0;
    for (int64_t i = 0; i < k; i++) mean += h[i * k + i];
    double lam = lambda_rel * mean / (double)k;
    memcpy(a, h, (size_t)(k * k) * sizeof *a);
    for (int64_t i = 0; i < k; i++) a[i * k + i] += lam;
    for (int64_t i = 0; i < k * k; i++) gm[i] /= (double)n;
    if (qa_cholesky(a, k)) goto out;
    for (int64_t o = 0; o < rows; o++) {
        float *wo = w + o * k;
        for (int64_t i = 0; i < k; i++) {
            double t = lam * wo[i];
            for (int64_t j = 0; j < k; j++) t += gm[i * k + j] * wo[j];
            b[i] = t;
        }
        for (int64_t i = 0; i < k; i++) { /* L y = b */
            double t = b[i];
            for (int64_t p = 0; p < i; p++) t -= a[i * k + p] * b[p];
            b[i] = t / a[i * k + i];
        }
        for (int64_t i = k - 1; i >= 0; i--) { /* L^T x = y */
            double t = b[i];
            for (int64_t p = i + 1; p < k; p++) t -= a[p * k + i] * b[p];
            b[i] = t / a[i * k + i];
        }
        for (int64_t i = 0; i < k; i++) wo[i] = (float)b[i];
    }
    rc = 0;
out:
    free(a), free(gm), free(b);
    return rc;
}


/* replaces weight t by dst (rows of dtype dt) */
static void qa_replace(ir_tensor *t, ir_dtype dt, uint8_t *dst) {
    free(t->owned);
    t->owned = dst;
    t->data = dst;
    t->dtype = dt;
    t->nbytes = (size_t)t->shape[0] * ir_row_bytes(dt, t->shape[1]);
}

/* t re-encoded into dt row by row through f32, with rtn's scale search when rtn is set
 * (lmcc_quant_row); 0, or -1 with pc->err set */
static int qa_encode(ir_tensor *t, ir_dtype dt, int rtn, lmcc_diag *pc) {
    int64_t k = t->shape[1], rows = t->shape[0];
    size_t src_row = ir_row_bytes(t->dtype, k), dst_row = ir_row_bytes(dt, k);
    uint8_t *dst = malloc((size_t)rows * dst_row);
    float *buf = malloc((size_t)k * sizeof *buf);
    int64_t r = 0;
    for (; dst && buf && r < rows; r++)
        if (lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype), (const uint8_t *)t->data + (size_t)r * src_row, buf, k) ||
            lmcc_quant_row(dt, rtn, buf, k, dst + (size_t)r * dst_row))
            break;
    free(buf);
    if (r < rows) {
        free(dst);
        snprintf(pc->err, sizeof pc->err, "weight %s: out of memory, or no conversion from %s to %s", t->name,
                 ir_dtype_name(t->dtype), ir_dtype_name(dt));
        return -1;
    }
    qa_replace(t, dt, dst);
    return 0;
}

/* the refit costs ~3 rows k^2 flops in plain loops: done where that is small
 * (every matrix of a model up to ~20M weights), skipped above */
#define QA_REFIT_MAX 1e9

typedef struct qa_seq {
    ir_graph *g;
    lmcc_diag *pc;
    FILE *log;
    unsigned char *done;  /* per tensor: quantized here */
    int n_gptq, n_refit;
    int h_for;            /* input tensor whose Hessian is cached, -1 */
    double *h;
    double t_quant;
} qa_seq;

static int qa_gptq_target(const ir_graph *g, int wi, lmcc_quant_fmt *f) {
    int dt = g->tensors[wi].want_dtype;
    return dt >= 0 && lmcc_quant_fmt_get((ir_dtype)dt, f) == 0 && qa_weight_input(g, wi) >= 0;
}

/* before each linear: Hessian of its input in the partly quantized model, the
 * refit toward the float model's output, GPTQ, and the weight replaced so the
 * nodes after it see the quantized layer */
static int qa_seq_hook(void *user, const lmcc_eval_seq_view *v) {
    qa_seq *q = user;
    ir_graph *g = q->g;
    const ir_node *n = &g->nodes[v->node];
    int wi = n->inputs[1];
    ir_tensor *t = &g->tensors[wi];
    lmcc_quant_fmt f;
    if (q->done[wi] || !qa_gptq_target(g, wi, &f)) return 0;
    double t0 = qa_now();
    int64_t rows = t->shape[0], k = t->shape[1];
    if (q->h_for != n->inputs[0]) { /* linears reading one input share its Hessian */
        free(q->h);
        lmcc_eval_calib_act a;
        memset(&a, 0, sizeof a);
        a.tensor = n->inputs[0], a.k = k, a.rows = v->rows, a.x = (float *)(uintptr_t)v->x;
        q->h = lmcc_quant_hessian(&a);
        q->h_for = q->h ? n->inputs[0] : -1;
    }
    float *w = ir_weight_f32(t);
    uint8_t *dst = malloc((size_t)rows * ir_row_bytes(f.dt, k));
    int refit = v->x_ref && (double)rows * (double)k * (double)k <= QA_REFIT_MAX;
    int ok = q->h && w && dst;
    if (ok && refit) ok = qa_refit(w, rows, k, q->h, v->x, v->x_ref, v->rows, QA_REFIT_RIDGE) == 0;
    if (ok) ok = lmcc_quant_gptq(&f, w, rows, k, q->h, LMCC_GPTQ_DAMP, dst) == 0;
    free(w);
    if (!ok) {
        free(dst);
        snprintf(q->pc->err, sizeof q->pc->err, "gptq: %s: out of memory or a singular Hessian", t->name);
        return -1;
    }
    qa_replace(t, f.dt, dst);
    q->done[wi] = 1;
    q->n_gptq++, q->n_refit += refit;
    double dt = qa_now() - t0;
    q->t_quant += dt;
    if (q->pc->verbose || rows * k * k > ((int64_t)1 << 34))
        fprintf(q->log, "gptq: %s [%lld x %lld] %s %.1fs\n", t->name, (long long)rows, (long long)k,
                refit ? "refit+gptq" : "gptq", dt);
    return 0;
}

/* upper bound of what the hook allocates for one weight [rows][k]: the Hessian (8 k^2) and inside
 * lmcc_quant_gptq the damped copy, its inverse factor (f32) and the refinement's copy (8 + 4 + 8 k^2;
 * the refit's 16 k^2 comes and goes before), the weight in f32 and the quantized rows, and the
 * Hessian's transposed strip of 256 rows */
static double qa_hook_bytes(int64_t rows, int64_t k, ir_dtype dt) {
    return 28.0 * (double)k * (double)k + 4.0 * (double)rows * (double)k + (double)rows * (double)ir_row_bytes(dt, k) +
           8.0 * 256 * (double)(k + 3);
}

int lmcc_quant_weights(ir_graph *g, lmcc_diag *pc) {
    FILE *log = pc->log ? pc->log : stderr;
    double n_weights = 0;
    size_t before = 0, after = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->dead || t->kind != IR_KIND_WEIGHT) continue;
        before += t->nbytes;
        if (t->ndim == 2) n_weights += (double)ir_tensor_elems(t);
    }
    /* above 50M weights auto is plain rounding: a compile should take about a minute, gptq
     * of a 1.1B model takes several (--quant gptq to opt in); awq's scales are in, rtn rounds */
    int quant = g->cfg.quant == IR_QUANT_AUTO ? (n_weights <= 50e6 ? IR_QUANT_GPTQ : IR_QUANT_PLAIN)
                : g->cfg.quant == IR_QUANT_AWQ ? IR_QUANT_RTN : g->cfg.quant;
    int gptq = quant == IR_QUANT_GPTQ, rtn = quant != IR_QUANT_PLAIN, n_rtn = 0, n_plain = 0, n_f16 = 0;
    unsigned char *done = calloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1), 1);
    if (!done) { snprintf(pc->err, sizeof pc->err, "out of memory"); return -1; }
    int rc = -1, have_seqs = 0;
    lmcc_eval_seqs seqs;
    float *teacher = NULL;
    memset(&seqs, 0, sizeof seqs);
    qa_seq q = {g, pc, log, done, 0, 0, -1, NULL, 0};
    /* under --act q8 the compiled linears with integer weights read int8-rounded inputs: gptq's Hessians
     * and refits and the tuning see the same rounding (the float reference lane and the teacher do not) */
    unsigned char *round_in = NULL;
    if (gptq && g->cfg.act_q8) {
        round_in = calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), 1);
        if (!round_in) { free(done); snprintf(pc->err, sizeof pc->err, "out of memory"); return -1; }
        for (int ni = 0; ni < g->n_nodes; ni++) {
            const ir_node *n = &g->nodes[ni];
            if (n->dead || !ir_op_table[n->op].linear) continue;
            const ir_tensor *w = &g->tensors[n->inputs[1]];
            round_in[ni] = (unsigned char)ir_dtype_reads_q8a(w->want_dtype >= 0 ? (ir_dtype)w->want_dtype : w->dtype);
        }
    }
    if (gptq) {
        int any = 0, dual = 0;
        double hook_bytes = 0;
        for (int ni = 0; ni < g->n_nodes; ni++) {
            const ir_node *n = &g->nodes[ni];
            lmcc_quant_fmt f;
            if (n->dead || !ir_op_table[n->op].linear || !qa_gptq_target(g, n->inputs[1], &f)) continue;
            const ir_tensor *t = &g->tensors[n->inputs[1]];
            any = 1;
            dual |= (double)t->shape[0] * (double)t->shape[1] * (double)t->shape[1] <= QA_REFIT_MAX;
            double hb = qa_hook_bytes(t->shape[0], t->shape[1], f.dt);
            hook_bytes = hb > hook_bytes ? hb : hook_bytes;
        }
        if (any) {
            double t0 = qa_now();
            FILE *progress = pc->verbose || n_weights > 50e6 ? log : NULL;
            if (lmcc_eval_seqs_for_calib(g, 1, &seqs, pc->err, sizeof pc->err)) goto out;
            have_seqs = 1;
            int64_t tokens = 0;
            for (int s = 0; s < seqs.n; s++) tokens += seqs.len[s];
            if (progress) {
                /* the peak beside the model's own weights: the evaluator's activations and caches with
                 * the largest hook's scratch on top (the sampler ran before, its peak is separate) */
                double ev = (double)lmcc_eval_seq_bytes(g, tokens, dual, 1, 0), mib = 1048576.0;
                double smp = g->cfg.calib_path ? 0 : (double)lmcc_eval_step_bytes(g, seqs.n, seqs.len[0]);
                fprintf(progress, "gptq: %d calibration sequences, %lld tokens (%.1fs)%s\n", seqs.n,
                        (long long)tokens, qa_now() - t0, dual ? "; float reference lane for the refit" : "");
                fprintf(progress,
                        "gptq: calibration memory ~%.1f MiB (evaluator %.1f MiB for %lld rows x %d lane%s + gptq "
                        "scratch %.1f MiB; sampler %.1f MiB before; budget LMCC_CALIB_MIB %d MiB)\n",
                        (ev + hook_bytes) / mib, ev / mib, (long long)tokens, dual ? 2 : 1, dual ? "s" : "",
                        hook_bytes / mib, smp / mib, lmcc_eval_calib_mib());
            }
            /* the float model's logits: the teacher of the end-to-end scale tuning (tune.c) */
            int64_t V = ir_tensor_elems(&g->tensors[g->logits]);
            if ((double)tokens * (double)V * 8.0 <= LMCC_TUNE_MAX_BYTES) /* it and the student's: else no tuning */
                teacher = malloc((size_t)(tokens * V > 0 ? tokens * V : 1) * sizeof *teacher);
            if (teacher) {
                lmcc_eval_seq_opts to;
                memset(&to, 0, sizeof to);
                to.logits = teacher;
                if (lmcc_eval_seq_run(g, &seqs, NULL, NULL, &to, pc->err, sizeof pc->err)) goto out;
            }
            lmcc_eval_seq_opts o;
            memset(&o, 0, sizeof o);
            o.dual = dual, o.progress = progress, o.round_in = round_in;
            int r = lmcc_eval_seq_run(g, &seqs, qa_seq_hook, &q, &o, pc->err, sizeof pc->err);
            if (r) goto out;
            if (progress)
                fprintf(progress, "gptq: %d weights (%d refit to the float output) in %.1fs, %.1fs of it quantizing\n",
                        q.n_gptq, q.n_refit, qa_now() - t0, q.t_quant);
        }
    }
    /* every other weight whose format has integer codes: rtn's scale search, or plain rounding
     * where it is not already in its format */
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        int dt = t->want_dtype;
        lmcc_quant_fmt f;
        if (done[i] || t->dead || dt < 0 || lmcc_quant_fmt_get((ir_dtype)dt, &f) || (!rtn && t->dtype == (ir_dtype)dt))
            continue;
        if (qa_encode(t, (ir_dtype)dt, rtn, pc)) goto out;
        done[i] = 1;
        rtn ? n_rtn++ : n_plain++;
    }
    if (have_seqs && lmcc_quant_tune(g, pc, &seqs, teacher, round_in)) goto out;
    /* then f16: rounded after the calibration above, which saw these weights as they were */
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        int dt = t->want_dtype;
        if (t->dead || t->kind != IR_KIND_WEIGHT || done[i] || dt < 0 || t->dtype == (ir_dtype)dt) continue;
        if (dt != IR_DT_F16) {
            snprintf(pc->err, sizeof pc->err, "internal: quantize cannot write weight %s as %s", t->name,
                     ir_dtype_name((ir_dtype)dt));
            goto out;
        }
        if (qa_encode(t, IR_DT_F16, 0, pc)) goto out;
        n_f16++;
    }
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        t->want_dtype = -1; /* applied: every weight is in its format now */
        if (!t->dead && t->kind == IR_KIND_WEIGHT) after += t->nbytes;
    }
    if (pc->verbose)
        fprintf(log, "quantize: %d weights by gptq (%d refit to the float output), %d by rtn, %d by plain rounding, "
                     "%d to f16; %zu -> %zu bytes\n", q.n_gptq, q.n_refit, n_rtn, n_plain, n_f16, before, after);
    rc = 0;
out:
    if (have_seqs) lmcc_eval_seqs_free(&seqs);
    free(teacher);
    free(round_in);
    free(q.h);
    free(done);
    return rc;
}
