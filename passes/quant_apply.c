/* quant_apply.c - runs the chosen quantizer over the graph's 2-D weights
 * (called from weightfmt before its own conversion). */
#include "quant.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calib.h"
#include "lmrt_quant.h"

int lmcc_quant_target(const ir_graph *g, const ir_tensor *t) {
    static const int mode_dtype[] = {-1, -1, IR_DT_Q8_0, IR_DT_Q4_0, -1, IR_DT_Q4_1, IR_DT_Q4_G16,
                                     IR_DT_Q4_G64, IR_DT_Q4_G128, IR_DT_NF4, IR_DT_NF4_G64};
    if (t->dead || t->kind != IR_KIND_WEIGHT || t->ndim != 2 || !strcmp(t->name, "rope.table")) return -1;
    if (t->want_dtype >= 0) return t->want_dtype;
    int m = g->cfg.weights_mode;
    return m >= 0 && m < (int)(sizeof mode_dtype / sizeof mode_dtype[0]) ? mode_dtype[m] : -1;
}

static int qa_linear_family(ir_opcode op) {
    return op == IR_OP_LINEAR || op == IR_OP_LINEAR_ADD || op == IR_OP_LINEAR_SWIGLU || op == IR_OP_QKV;
}

/* the input tensor every use of weight w multiplies, or -1 (other uses, or several inputs) */
static int qa_weight_input(const ir_graph *g, int w) {
    int in = -1;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        for (int s = 0; s < ir_op_table[n->op].n_inputs; s++) {
            if (n->inputs[s] != w) continue;
            if (!qa_linear_family(n->op) || s != 1) return -1;
            if (in >= 0 && in != n->inputs[0]) return -1;
            in = n->inputs[0];
        }
    }
    if (in < 0) return -1;
    const ir_tensor *x = &g->tensors[in];
    return x->kind == IR_KIND_ACT && x->dtype == IR_DT_F32 && x->ndim == 1 ? in : -1;
}

/* wall seconds: gptq runs on several threads, so clock() would overstate it */
static double qa_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *qa_dequant(const ir_tensor *t, int64_t rows, int64_t k) {
    float *w = malloc((size_t)(rows * k) * sizeof *w);
    if (!w) return NULL;
    size_t rb = ir_row_bytes(t->dtype, k);
    for (int64_t r = 0; r < rows; r++)
        if (lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype), (const uint8_t *)t->data + (size_t)r * rb, w + r * k, k)) {
            free(w);
            return NULL;
        }
    return w;
}

int lmcc_quant_weights(ir_graph *g, lmcc_pass_ctx *pc) {
    FILE *log = pc->log ? pc->log : stderr;
    int gptq = g->cfg.quant == IR_QUANT_GPTQ;
    if (g->cfg.quant == IR_QUANT_AUTO) {
        double n = 0;
        for (int i = 0; i < g->n_tensors; i++)
            if (!g->tensors[i].dead && g->tensors[i].kind == IR_KIND_WEIGHT && g->tensors[i].ndim == 2)
                n += (double)ir_tensor_elems(&g->tensors[i]);
        gptq = n <= 50e6;
        /* above that, auto is plain rounding: the rtn search costs ~8 min on a
         * 1.1B model, against the 60 s a compile should take (--quant rtn|gptq to opt in) */
        if (!gptq) return 0;
    }
    int *input = malloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1) * sizeof *input);
    int *acts = malloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1) * sizeof *acts);
    int n_acts = 0, rc = -1;
    lmcc_calib cal;
    memset(&cal, 0, sizeof cal);
    if (!input || !acts) { snprintf(pc->err, sizeof pc->err, "out of memory"); goto out; }
    for (int i = 0; i < g->n_tensors; i++) {
        lmcc_qfmt f;
        int dt = lmcc_quant_target(g, &g->tensors[i]);
        input[i] = -1;
        /* auto: measured on stories260K (lmcc quality), q8_0 is best with plain absmax
         * rounding (KL 0.0163 vs gptq 0.0179), the 4-bit formats with gptq */
        if (g->cfg.quant == IR_QUANT_AUTO && dt == IR_DT_Q8_0) continue;
        if (dt < 0 || lmcc_qfmt_get((ir_dtype)dt, &f)) continue;
        input[i] = gptq ? qa_weight_input(g, i) : -1;
        int seen = 0;
        for (int a = 0; a < n_acts; a++) seen |= acts[a] == input[i];
        if (input[i] >= 0 && !seen) acts[n_acts++] = input[i];
    }
    if (n_acts > 0) {
        lmcc_seqs seqs;
        clock_t t0 = clock();
        if (lmcc_seqs_for_calib(g, &seqs, pc->err, sizeof pc->err)) goto out;
        int64_t tokens = 0;
        for (int s = 0; s < seqs.n; s++) tokens += seqs.len[s];
        int64_t max_rows = lmcc_calib_max_rows(g, acts, n_acts, tokens);
        int r = lmcc_calib_run(g, &seqs, acts, n_acts, max_rows, &cal, pc->verbose ? log : NULL, pc->err,
                               sizeof pc->err);
        lmcc_seqs_free(&seqs);
        if (r) goto out;
        if (pc->verbose)
            fprintf(log, "gptq: calibrated %d inputs on %lld tokens (%lld rows kept) in %.1fs\n", n_acts,
                    (long long)tokens, (long long)cal.acts[0].rows, (double)(clock() - t0) / CLOCKS_PER_SEC);
    }
    int n_done = 0, n_gptq = 0;
    int h_for = -1;
    double *h = NULL;
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        lmcc_qfmt f;
        int dt = lmcc_quant_target(g, t);
        if (g->cfg.quant == IR_QUANT_AUTO && dt == IR_DT_Q8_0) continue; /* plain, see above */
        if (dt < 0 || lmcc_qfmt_get((ir_dtype)dt, &f)) continue;
        int64_t k = t->shape[1], rows = t->shape[0];
        size_t rb = ir_row_bytes(f.dt, k);
        float *w = qa_dequant(t, rows, k);
        uint8_t *dst = malloc((size_t)rows * rb);
        if (!w || !dst) {
            free(w), free(dst), free(h);
            snprintf(pc->err, sizeof pc->err, "weight %s: out of memory or an unreadable dtype (%s)", t->name,
                     ir_dtype_name(t->dtype));
            goto out;
        }
        const lmcc_calib_act *a = input[i] >= 0 ? lmcc_calib_find(&cal, input[i]) : NULL;
        int done = 0;
        if (a && a->rows > 0) {
            if (h_for != input[i]) { /* linears sharing an input share the Hessian */
                free(h);
                h = lmcc_calib_hessian(a);
                h_for = h ? input[i] : -1;
            }
            double t0 = qa_now();
            done = h && lmcc_quant_gptq(&f, w, rows, k, h, 0.01, dst) == 0;
            if (!done) fprintf(log, "lmcc: warning: gptq failed on %s, using rtn\n", t->name);
            if (pc->verbose || rows * k * k > ((int64_t)1 << 34))
                fprintf(log, "gptq: %s [%lld x %lld] %.1fs\n", t->name, (long long)rows, (long long)k,
                        qa_now() - t0);
            n_gptq += done;
        }
        if (!done)
            for (int64_t r = 0; r < rows; r++) lmcc_quant_rtn_row(&f, w + r * k, NULL, k, dst + (size_t)r * rb);
        free(w);
        free(t->owned);
        t->owned = dst;
        t->data = dst;
        t->dtype = f.dt;
        t->nbytes = (size_t)rows * rb;
        n_done++;
    }
    free(h);
    if (pc->verbose)
        fprintf(log, "quant: %d weights quantized (%d by gptq, the rest by rtn with a scale search)\n", n_done,
                n_gptq);
    rc = 0;
out:
    lmcc_calib_free(&cal);
    free(input), free(acts);
    return rc;
}
