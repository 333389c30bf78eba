/* tune.c - end-to-end tuning of the quantization scales after GPTQ
 * (EfficientQAT's E2E-QP, OmniQuant-style): the codes stay as GPTQ chose them,
 * and every block's scale d (and offset m where the format has one) of every
 * quantized linear weight is fitted by Adam to the mean KL(p_float || p_quant)
 * of the next-token distributions over the calibration sequences.
 *
 * The teacher is the float model's logits over the same sequences (computed
 * once, before quantizing).  Each step is a backward pass of the quantized
 * model with soft targets (lmcc_eval_seq_backward_ex: dL/dlogits = p_q - p_f);
 * for a linear with output gradients g_t and inputs x_t,
 *   dL/dW = sum_t g_t x_t^T,  dL/dd(block) = sum_j dL/dW_j lev(q_j),  dL/dm = sum_j dL/dW_j.
 * The parameters are log|d| (a relative step for every block whatever its
 * magnitude) and m; the forward always uses the f16-rounded values (written
 * into the blocks after every step, so the result is f16-exact and the KL
 * measured is the KL of what is emitted), the master copies stay in float.
 * ~20% of the calibration sequences are held out: the parameters with the
 * lowest held-out KL are kept (early stopping), and only when both the
 * held-out and the training KL went down; otherwise the weights are restored.
 */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calib.h"
#include "seqeval.h"
#include "lmrt_base.h"
#include "lmrt_quant.h"

/* The parameters moved together (QT_GRAIN): 0 every block's own d (and m), 1 one multiplier of d
 * (and one step of m, in units of each block's |d|) per output row, 2 the same per QT_ROW_GROUPS
 * groups of consecutive rows of a weight.  Measured on stories260K (24 x 128 sampled calibration
 * tokens, 19 sequences to train, 5 held out; evaluation seed 1): per block and per row the training
 * KL falls fast (q4 0.87 -> 0.51 in 16 steps) while the held-out KL rises after a few steps (q4
 * 0.917 -> 0.904 at best, q8 --act f32 0.0057 -> 0.0080 even per row): too many parameters for the
 * data.  One multiplier per weight generalizes (q4 held-out 0.917 -> 0.842, evaluation 1.006 ->
 * 0.892); 16 row groups did better on q4 (0.860) but never improved the held-out KL of --bpw 5.0
 * (kept nothing), one group did (0.366 -> 0.348).  With 48 more sampled sequences (3x the data)
 * per block stops overfitting within 32 steps, but gains little (q4 0.978). */
#define QT_GRAIN 2
#define QT_ROW_GROUPS 1
#define QT_STEPS 48          /* most Adam steps, each over one minibatch */
#define QT_CHUNKS 3          /* minibatches: the training sequences in this many consecutive chunks */
#define QT_LR 6e-3           /* Adam step on log|d| (relative), and on m in units of the block's |d| */
#define QT_BETA1 0.9
#define QT_BETA2 0.99
#define QT_EVAL_EVERY 4      /* steps between held-out evaluations */
#define QT_PATIENCE 3        /* evaluations without a held-out improvement before stopping */
#define QT_HOLDOUT 0.2       /* fraction of the calibration sequences held out */
#define QT_MAX_BYTES LMCC_TUNE_MAX_BYTES /* backward activations + teacher + level tables, above: no tuning */
#define QT_MAX_FLOP 1.5e11   /* ~ 6 * weights * positions * steps (~30 s at the ~5 GFLOP/s measured on stories260K), above:
                                fewer steps, none below QT_MIN_STEPS (stories15M is skipped) */
#define QT_MIN_STEPS 8
#define QT_MAX_SEQS 30       /* calibration sequences used at most: 24 to train, 6 held out (stories260K, 8-seed
                                mean KL with 30 of 96: q4 0.932 -> 0.826, --bpw 4.6 0.561 -> 0.522; 12 s) */

typedef struct qt_w {
    int id, lt;
    lmcc_quant_fmt f;
    int64_t rows, k, nb; /* nb blocks per row */
    size_t rb;
    float *lev;          /* [rows][k] the level of every weight (d = 1, m = 0) */
    float *x, *gr, *am, *av; /* [rows * nb][2]: log|d|, m; gradients; Adam moments */
    float *sg, *dabs0;   /* [rows * nb] the sign of d (0: a zero block, frozen), |d| at the start */
    uint8_t *orig, *best; /* the weight's bytes at the start / at the best held-out KL */
} qt_w;

typedef struct qt {
    ir_graph *g;
    qt_w *w;
    int nw;
    int *map;            /* tensor id -> index in w, -1 */
    float *dw;           /* scratch [max n][max k] */
    int threads;
} qt;

static double qt_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void qt_store_f16(uint8_t *p, float v) {
    uint16_t h = lmrt_f32_to_f16(v);
    p[0] = (uint8_t)(h & 0xFF), p[1] = (uint8_t)(h >> 8);
}

static void qt_w_free(qt_w *w) {
    free(w->lev), free(w->x), free(w->gr), free(w->am), free(w->av), free(w->sg), free(w->dabs0);
    free(w->orig), free(w->best);
}

/* the levels and the starting parameters of weight t; 0 or -1 (out of memory) */
static int qt_w_init(qt_w *w, const ir_graph *g, int id, const lmcc_quant_fmt *f) {
    const ir_tensor *t = &g->tensors[id];
    memset(w, 0, sizeof *w);
    w->id = id, w->f = *f, w->lt = ir_dtype_lmrt_type(f->dt);
    w->rows = t->shape[0], w->k = t->shape[1], w->nb = (w->k + f->group - 1) / f->group;
    w->rb = ir_row_bytes(f->dt, w->k);
    size_t nblk = (size_t)(w->rows * w->nb), nbytes = (size_t)w->rows * w->rb;
    w->lev = malloc((size_t)(w->rows * w->k) * sizeof *w->lev);
    w->x = calloc(2 * nblk, sizeof *w->x), w->gr = calloc(2 * nblk, sizeof *w->gr);
    w->am = calloc(2 * nblk, sizeof *w->am), w->av = calloc(2 * nblk, sizeof *w->av);
    w->sg = malloc(nblk * sizeof *w->sg), w->dabs0 = malloc(nblk * sizeof *w->dabs0);
    w->orig = malloc(nbytes), w->best = malloc(nbytes);
    uint8_t *row = malloc(w->rb);
    if (!w->lev || !w->x || !w->gr || !w->am || !w->av || !w->sg || !w->dabs0 || !w->orig || !w->best || !row) {
        free(row);
        return -1;
    }
    memcpy(w->orig, t->data, nbytes);
    memcpy(w->best, t->data, nbytes);
    for (int64_t r = 0; r < w->rows; r++) {
        memcpy(row, w->orig + (size_t)r * w->rb, w->rb);
        for (int64_t b = 0; b < w->nb; b++) {
            uint8_t *blk = row + (size_t)b * (size_t)f->block_bytes;
            size_t i = (size_t)(r * w->nb + b);
            float d = lmrt_load_f16le(blk), m = f->asym ? lmrt_load_f16le(blk + 2) : 0.0f;
            w->sg[i] = d > 0 ? 1.0f : d < 0 ? -1.0f : 0.0f;
            w->dabs0[i] = fabsf(d);
            w->x[2 * i] = d != 0 ? logf(fabsf(d)) : 0.0f;
            w->x[2 * i + 1] = m;
            qt_store_f16(blk, 1.0f);
            if (f->asym) qt_store_f16(blk + 2, 0.0f);
        }
        if (lmrt_dequant_row(w->lt, row, w->lev + r * w->k, w->k)) { free(row); return -1; }
    }
    free(row);
    return 0;
}

/* writes the f16-rounded parameters into the weight's blocks */
static void qt_w_write(qt_w *w, ir_tensor *t) {
    uint8_t *data = t->owned;
    for (int64_t r = 0; r < w->rows; r++)
        for (int64_t b = 0; b < w->nb; b++) {
            size_t i = (size_t)(r * w->nb + b);
            if (w->sg[i] == 0) continue;
            uint8_t *blk = data + (size_t)r * w->rb + (size_t)b * (size_t)w->f.block_bytes;
            float d = w->sg[i] * expf(w->x[2 * i]);
            if (fabsf(d) > 65504.0f) d = w->sg[i] * 65504.0f;
            qt_store_f16(blk, d);
            if (w->f.asym) qt_store_f16(blk + 2, w->x[2 * i + 1]);
        }
}

/* dW [n][k] = dy^T x over the rows (columns i0..i1 of dy) */
typedef struct qt_dw_job {
    const float *dy, *x;
    float *dw;
    int64_t rows, n, k;
} qt_dw_job;

static void qt_dw_part(const qt_dw_job *j, int64_t i0, int64_t i1) {
    int64_t k = j->k;
    memset(j->dw + i0 * k, 0, (size_t)((i1 - i0) * k) * sizeof *j->dw);
    for (int64_t r = 0; r < j->rows; r++) {
        const float *xr = j->x + r * k, *gr = j->dy + r * j->n;
        for (int64_t i = i0; i < i1; i++) {
            float gi = gr[i];
            if (gi == 0) continue;
            float *d = j->dw + i * k;
            for (int64_t c = 0; c < k; c++) d[c] += gi * xr[c];
        }
    }
}

/* backward callback: the block gradients of the node's weight */
static int qt_grad_cb(void *user, int node, int64_t rows, int64_t n, const float *dy, const float *x, int64_t k) {
    qt *q = user;
    int wi = q->g->nodes[node].inputs[1];
    if (q->map[wi] < 0) return 0;
    qt_w *w = &q->w[q->map[wi]];
    if (n != w->rows || k != w->k) return 0;
    qt_dw_job j = {dy, x, q->dw, rows, n, k};
    qt_dw_part(&j, 0, n);
    int G = w->f.group;
    for (int64_t r = 0; r < n; r++) {
        const float *dr = q->dw + r * k, *lr = w->lev + r * k;
        for (int64_t b = 0; b < w->nb; b++) {
            size_t i = (size_t)(r * w->nb + b);
            double gd = 0, gm = 0;
            for (int64_t c = b * G; c < (b + 1) * G && c < k; c++) gd += (double)dr[c] * lr[c], gm += dr[c];
            /* d(L)/d(log|d|) = dL/dd * d */
            w->gr[2 * i] += (float)(gd * (double)w->sg[i] * exp((double)w->x[2 * i]));
            w->gr[2 * i + 1] += (float)gm;
        }
    }
    return 0;
}

/* log-softmax of logits rows into probabilities */
static void qt_softmax_rows(float *p, int64_t rows, int64_t V) {
    for (int64_t r = 0; r < rows; r++) {
        float *l = p + r * V;
        double mx = -HUGE_VAL, s = 0;
        for (int64_t i = 0; i < V; i++) mx = l[i] > mx ? l[i] : mx;
        for (int64_t i = 0; i < V; i++) s += exp((double)l[i] - mx);
        double lse = mx + log(s);
        for (int64_t i = 0; i < V; i++) l[i] = (float)exp((double)l[i] - lse);
    }
}

/* sum over rows of the entropy of p */
static double qt_entropy(const float *p, int64_t rows, int64_t V) {
    double h = 0;
    for (int64_t i = 0; i < rows * V; i++)
        if (p[i] > 0) h -= (double)p[i] * log((double)p[i]);
    return h;
}

/* mean KL(p || softmax(lg)) over rows, h = qt_entropy(p) */
static double qt_kl(const float *p, double h, const float *lg, int64_t rows, int64_t V) {
    double ce = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *l = lg + r * V, *pr = p + r * V;
        float mx = -HUGE_VALF;
        double s = 0, pl = 0;
        for (int64_t i = 0; i < V; i++) mx = l[i] > mx ? l[i] : mx;
        for (int64_t i = 0; i < V; i++) s += expf(l[i] - mx), pl += (double)pr[i] * l[i];
        ce += (double)mx + log(s) - pl;
    }
    return rows > 0 ? (ce - h) / (double)rows : 0;
}

/* mean KL of the model as it is over s against teacher probabilities p; < 0 on failure */
static double qt_eval(ir_graph *g, const lmcc_eval_seqs *s, const float *p, double h, int64_t rows, int64_t V, float *lg,
                      const unsigned char *round_in, char *err, size_t errlen) {
    lmcc_eval_seq_opts o;
    memset(&o, 0, sizeof o);
    o.logits = lg, o.round_in = round_in;
    if (lmcc_eval_seq_run(g, s, NULL, NULL, &o, err, errlen)) return -1;
    return qt_kl(p, h, lg, rows, V);
}

static void qt_set_all(qt *q, int best) {
    for (int i = 0; i < q->nw; i++) {
        ir_tensor *t = &q->g->tensors[q->w[i].id];
        memcpy(t->owned, best ? q->w[i].best : q->w[i].orig, (size_t)q->w[i].rows * q->w[i].rb);
    }
}

int lmcc_quant_tune(ir_graph *g, lmcc_diag *pc, const lmcc_eval_seqs *seqs, float *teacher,
                    const unsigned char *round_in) {
    FILE *log = pc->log ? pc->log : stderr;
    int verbose = pc->verbose;
    if (seqs->n < 2 || !teacher) return 0;
    int64_t V = ir_tensor_elems(&g->tensors[g->logits]);
    /* the tensors: quantized by lmcc_quant_weights into a block format, read only by linears */
    qt q;
    memset(&q, 0, sizeof q);
    q.g = g;
    q.map = malloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1) * sizeof *q.map);
    q.w = calloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1), sizeof *q.w);
    int rc = 0;
    if (!q.map || !q.w) goto oom;
    double params = 0;
    int64_t maxnk = 1;
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        lmcc_quant_fmt f;
        q.map[i] = -1;
        if (t->dead || t->kind != IR_KIND_WEIGHT || t->ndim != 2 || !t->data || lmcc_quant_fmt_get(t->dtype, &f) ||
            lmcc_quant_uses(g, i, NULL) != LMCC_QUANT_USE_LINEAR)
            continue;
        if (t->owned != t->data) continue; /* the bytes are rewritten: only buffers the graph owns */
        q.map[i] = q.nw++;
        params += (double)ir_tensor_elems(t);
        if (t->shape[0] * t->shape[1] > maxnk) maxnk = t->shape[0] * t->shape[1];
    }
    if (q.nw == 0) goto done;
    /* training / held-out split: the last ~20% of the sequences held out */
    /* the first QT_MAX_SEQS sequences at most (their teacher rows come first): the tuning is a few
     * dozen forward + backward passes over them, it must not dwarf the calibration itself */
    int n_use = seqs->n < QT_MAX_SEQS ? seqs->n : QT_MAX_SEQS;
    int n_hold = (int)(n_use * QT_HOLDOUT + 0.5);
    if (n_hold < 1) n_hold = 1;
    lmcc_eval_seqs tr = {n_use - n_hold, seqs->len, seqs->ids};
    if (tr.n < 1) goto done;
    lmcc_eval_seqs ho = {n_hold, seqs->len + tr.n, seqs->ids + tr.n};
    int64_t rows_tr = 0, rows_ho = 0;
    for (int i = 0; i < tr.n; i++) rows_tr += tr.len[i];
    for (int i = 0; i < ho.n; i++) rows_ho += ho.len[i];
    double bytes = lmcc_eval_seq_backward_bytes(g, &tr) + 4.0 * (double)(rows_tr + rows_ho) * (double)V * 2 +
                   params * 4.0 * 6;
    int steps = QT_STEPS, mode = QT_GRAIN, n_chunks = tr.n < QT_CHUNKS ? tr.n : QT_CHUNKS;
    int64_t row_groups = QT_ROW_GROUPS;
    double lr = QT_LR;
    double flop_step = 6.0 * params * (double)rows_tr / n_chunks;
    if (flop_step * steps > QT_MAX_FLOP) steps = (int)(QT_MAX_FLOP / flop_step);
    if (bytes > QT_MAX_BYTES || steps < QT_MIN_STEPS) {
        if (verbose)
            fprintf(log, "tune: skipped (%.0f MB of activations and tables, %.2g flop a step; limits %.0f MB, "
                         "%d steps in %.2g flop)\n", bytes / 1e6, flop_step, QT_MAX_BYTES / 1e6, QT_MIN_STEPS,
                    QT_MAX_FLOP);
        goto done;
    }
    double t0 = qt_now();
    for (int i = 0, j = 0; i < g->n_tensors; i++) {
        if (q.map[i] < 0) continue;
        lmcc_quant_fmt f;
        lmcc_quant_fmt_get(g->tensors[i].dtype, &f);
        if (qt_w_init(&q.w[j++], g, i, &f)) goto oom;
    }
    q.dw = malloc((size_t)maxnk * sizeof *q.dw);
    float *lg = malloc((size_t)(rows_ho * V > 0 ? rows_ho * V : 1) * sizeof *lg);
    if (!q.dw || !lg) { free(lg); goto oom; }
    qt_softmax_rows(teacher, rows_tr + rows_ho, V);
    const float *p_tr = teacher, *p_ho = teacher + rows_tr * V;
    double h_tr = qt_entropy(p_tr, rows_tr, V), h_ho = qt_entropy(p_ho, rows_ho, V);
    double ho0 = qt_eval(g, &ho, p_ho, h_ho, rows_ho, V, lg, round_in, pc->err, sizeof pc->err), ho_best = ho0, tr0 = -1;
    double tr_best = -1;
    int best_step = 0, bad = 0, step;
    if (ho0 < 0) { free(lg); rc = -1; goto done; }
    {
        float *lt = malloc((size_t)(rows_tr * V > 0 ? rows_tr * V : 1) * sizeof *lt);
        if (!lt) { free(lg); goto oom; }
        tr0 = qt_eval(g, &tr, p_tr, h_tr, rows_tr, V, lt, round_in, pc->err, sizeof pc->err);
        free(lt);
        if (tr0 < 0) { free(lg); rc = -1; goto done; }
    }
    lmcc_eval_grad_opts o;
    memset(&o, 0, sizeof o);
    o.target = p_tr;
    o.round_in = round_in;
    double b1t = 1, b2t = 1, tr_loss = 0, tr_at[QT_STEPS];
    o.loss = &tr_loss;
    for (step = 0; step < steps; step++) {
        for (int i = 0; i < q.nw; i++) memset(q.w[i].gr, 0, (size_t)(2 * q.w[i].rows * q.w[i].nb) * sizeof(float));
        /* a minibatch: the next chunk of consecutive training sequences */
        int chunk = step % n_chunks, s0 = tr.n * chunk / n_chunks, s1 = tr.n * (chunk + 1) / n_chunks;
        lmcc_eval_seqs mb = {s1 - s0, tr.len + s0, tr.ids + s0};
        int64_t r0 = 0, rows_mb = 0;
        for (int i = 0; i < s0; i++) r0 += tr.len[i];
        for (int i = s0; i < s1; i++) rows_mb += tr.len[i];
        o.target = p_tr + r0 * V;
        int r = lmcc_eval_seq_backward_ex(g, &mb, qt_grad_cb, &q, &o, pc->err, sizeof pc->err);
        if (r) {
            fprintf(log, "tune: stopped (%s)\n", r > 0 ? pc->err : "backward failed");
            pc->err[0] = 0;
            break;
        }
        tr_at[step] = (tr_loss - qt_entropy(o.target, rows_mb, V)) / (double)rows_mb;
        /* Adam on the mean loss */
        b1t *= QT_BETA1, b2t *= QT_BETA2;
        for (int i = 0; i < q.nw; i++) {
            qt_w *w = &q.w[i];
            ir_tensor *t = &g->tensors[w->id];
            size_t nblk = (size_t)(w->rows * w->nb);
            if (mode != 0) { /* one multiplier of d (and an offset step of m) per group of consecutive rows */
                int64_t C = mode == 1 ? w->rows : row_groups < w->rows ? row_groups : w->rows;
                for (int64_t cg = 0; cg < C; cg++) {
                    int64_t ra = w->rows * cg / C, rz = w->rows * (cg + 1) / C;
                    for (int c = 0; c < 1 + w->f.asym; c++) {
                        double gv = 0;
                        for (int64_t bb = ra * w->nb; bb < rz * w->nb; bb++)
                            if (w->sg[bb] != 0) gv += w->gr[2 * bb + c];
                        gv /= (double)rows_mb;
                        size_t ix = 2 * (size_t)(ra * w->nb) + (size_t)c;
                        double m = QT_BETA1 * w->am[ix] + (1 - QT_BETA1) * gv;
                        double v = QT_BETA2 * w->av[ix] + (1 - QT_BETA2) * gv * gv;
                        w->am[ix] = (float)m, w->av[ix] = (float)v;
                        double upd = lr * (m / (1 - b1t)) / (sqrt(v / (1 - b2t)) + 1e-30);
                        for (int64_t bb = ra * w->nb; bb < rz * w->nb; bb++)
                            if (w->sg[bb] != 0) w->x[2 * bb + c] -= (float)(c == 0 ? upd : upd * w->dabs0[bb]);
                    }
                }
                qt_w_write(w, t);
                continue;
            }
            for (size_t b = 0; b < nblk; b++) {
                if (w->sg[b] == 0) continue;
                for (int c = 0; c < 1 + w->f.asym; c++) {
                    size_t ix = 2 * b + (size_t)c;
                    double gv = (double)w->gr[ix] / (double)rows_mb;
                    double m = QT_BETA1 * w->am[ix] + (1 - QT_BETA1) * gv;
                    double v = QT_BETA2 * w->av[ix] + (1 - QT_BETA2) * gv * gv;
                    w->am[ix] = (float)m, w->av[ix] = (float)v;
                    double upd = lr * (m / (1 - b1t)) / (sqrt(v / (1 - b2t)) + 1e-30);
                    w->x[ix] -= (float)(c == 0 ? upd : upd * w->dabs0[b]);
                }
            }
            qt_w_write(w, t);
        }
        if ((step + 1) % QT_EVAL_EVERY == 0 || step + 1 == steps) {
            double h = qt_eval(g, &ho, p_ho, h_ho, rows_ho, V, lg, round_in, pc->err, sizeof pc->err);
            if (h < 0) { free(lg); rc = -1; goto done; }
            if (verbose)
                fprintf(log, "tune: step %d: training KL %.5f (before the step), held-out %.5f (%.1fs)\n", step + 1,
                        tr_at[step], h, qt_now() - t0);
            if (h < ho_best) {
                ho_best = h, best_step = step + 1, bad = 0;
                for (int i = 0; i < q.nw; i++)
                    memcpy(q.w[i].best, g->tensors[q.w[i].id].data, (size_t)q.w[i].rows * q.w[i].rb);
            } else if (++bad >= QT_PATIENCE) {
                step++;
                break;
            }
        }
    }
    /* the best held-out parameters, kept only if the training KL went down too */
    int keep = best_step > 0;
    if (keep) {
        qt_set_all(&q, 1);
        float *lt = malloc((size_t)(rows_tr * V > 0 ? rows_tr * V : 1) * sizeof *lt);
        if (!lt) { free(lg); goto oom; }
        tr_best = qt_eval(g, &tr, p_tr, h_tr, rows_tr, V, lt, round_in, pc->err, sizeof pc->err);
        free(lt);
        if (tr_best < 0) { free(lg); rc = -1; goto done; }
        keep = tr0 < 0 || tr_best < tr0;
    }
    if (!keep) qt_set_all(&q, 0);
    free(lg);
    double nsc = 0;
    for (int i = 0; i < q.nw; i++) nsc += (double)(q.w[i].rows * q.w[i].nb) * (1 + q.w[i].f.asym);
    if (verbose) {
        const char *how = mode == 0 ? "each" : mode == 1 ? "per row" : "per row group";
        if (keep)
            fprintf(log, "tune: %d weights (%.0f block scales and offsets, moved %s), %d steps in %.1fs: training KL "
                         "%.5f -> %.5f, held-out %.5f -> %.5f (step %d)\n", q.nw, nsc, how, step, qt_now() - t0, tr0,
                    tr_best, ho0, ho_best, best_step);
        else
            fprintf(log, "tune: %d weights (%.0f block scales and offsets, moved %s), %d steps in %.1fs: the held-out "
                         "KL %.5f (best %.5f) or the training KL %.5f (%.5f) did not fall; not kept\n", q.nw, nsc, how, step,
                    qt_now() - t0, ho0, ho_best, tr0, tr_best);
    }
done:
    for (int i = 0; i < q.nw && q.w; i++) qt_w_free(&q.w[i]);
    free(q.w), free(q.map), free(q.dw);
    return rc;
oom:
    snprintf(pc->err, sizeof pc->err, "tune: out of memory");
    rc = -1;
    goto done;
}
