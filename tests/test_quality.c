/* test_quality.c - the quantization algorithms against independent
 * references: (a) rtn's scale search never loses to absmax rounding and its
 * blocks decode (through lmrt_dequant_row) to the values it meant; (b) gptq
 * with an identity Hessian is rtn, with correlated inputs it has a smaller
 * output error than rtn (naive double products); (c) calibration rows times
 * the output weight are the interpreter's logits; (d) the awq rewrite leaves
 * the float model's logits unchanged and lowers the measured error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "calib.h"
#include "diag.h"
#include "interp.h"
#include "lmrt_quant.h"
#include "model.h"
#include "passes.h"
#include "quant.h"
#include "test_model.h"


static uint64_t rng = 42;
static double urand(void) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) * 0x1.0p-53;
}
static double nrand(void) { return sqrt(-2 * log(urand() + 1e-300)) * cos(6.283185307179586 * urand()); }

static void dequant(ir_dtype dt, const uint8_t *src, float *dst, int64_t k) {
    CHECK(lmrt_dequant_row(ir_dtype_lmrt_type(dt), src, dst, k) == 0, "dequant %s", ir_dtype_name(dt));
}

/* (a) */
static void test_rtn(void) {
    /* every format the quantizers write (a levels column in IR_DTYPE_LIST) */
    ir_dtype dts[IR_DT_COUNT];
    size_t n_dts = 0;
    for (int d = 0; d < IR_DT_COUNT; d++)
        if (ir_dtype_get((ir_dtype)d)->levels > 0) dts[n_dts++] = (ir_dtype)d;
    CHECK(n_dts == 13, "%zu formats have a quantizer", n_dts);
    enum { K = 256, ROWS = 64 };
    float x[K], y[K], z[K];
    uint8_t a[K * 2], b[K * 2];
    for (size_t di = 0; di < n_dts; di++) {
        lmcc_quant_fmt f;
        CHECK(lmcc_quant_fmt_get(dts[di], &f) == 0, "qfmt %s", ir_dtype_name(dts[di]));
        double e_rtn = 0, e_plain = 0;
        int worse = 0, mismatch = 0;
        for (int r = 0; r < ROWS; r++) {
            double off = f.asym ? 0.3 : 0;
            for (int j = 0; j < K; j++) x[j] = (float)(nrand() * (urand() < 0.02 ? 8 : 1) + off);
            lmcc_quant_rtn_row(&f, x, NULL, K, a);
            lmrt_quantize_row(ir_dtype_lmrt_type(dts[di]), x, b, K);
            dequant(dts[di], a, y, K);
            dequant(dts[di], b, z, K);
            double er = 0, ep = 0;
            for (int j = 0; j < K; j++) er += (x[j] - y[j]) * (double)(x[j] - y[j]), ep += (x[j] - z[j]) * (double)(x[j] - z[j]);
            worse += er > ep * (1 + 1e-9);
            e_rtn += er, e_plain += ep;
            /* the decoded block is what the quantizer computed */
            for (int i = 0; i < K; i += f.group) {
                lmcc_quant_params p = lmcc_quant_block_fit(&f, x + i, NULL, f.group);
                for (int j = 0; j < f.group; j++)
                    mismatch += lmcc_quant_block_value(&f, p, lmcc_quant_block_code(&f, p, x[i + j])) != y[i + j];
            }
        }
        printf("rtn %-7s: squared error %.4g vs absmax rounding %.4g\n", ir_dtype_name(dts[di]), e_rtn, e_plain);
        CHECK(worse == 0, "%s: rtn worse than absmax on %d rows", ir_dtype_name(dts[di]), worse);
        /* the grid contains absmax; the gain is a few percent with 2% outliers (under 2% for 8 bits) */
        CHECK(e_rtn < (f.nlev > 16 ? 0.995 : 0.97) * e_plain, "%s: rtn %.4g not clearly below absmax %.4g", ir_dtype_name(dts[di]), e_rtn, e_plain);
        CHECK(mismatch == 0, "%s: %d decoded values differ from the quantizer's", ir_dtype_name(dts[di]), mismatch);
    }
}

/* output error sum_t ||(Wq - W) x_t||^2, naive doubles */
static double out_err(const float *w, const float *wq, int rows, int k, const float *x, int T) {
    double e = 0;
    for (int t = 0; t < T; t++)
        for (int r = 0; r < rows; r++) {
            double d = 0;
            for (int j = 0; j < k; j++) d += ((double)wq[r * k + j] - w[r * k + j]) * x[t * k + j];
            e += d * d;
        }
    return e;
}

/* (b) */
static void test_gptq(void) {
    enum { R = 40, K = 96, T = 400 };
    static const ir_dtype dts[] = {IR_DT_Q4_0, IR_DT_Q8_0,   IR_DT_NF4,    IR_DT_Q5_0,
                                   IR_DT_Q5_1, IR_DT_Q3_G64, IR_DT_Q5_G64, IR_DT_Q6_G64};
    float *w = malloc(sizeof(float) * R * K), *x = malloc(sizeof(float) * T * K), *wq = malloc(sizeof(float) * R * K);
    double *h = calloc(K * K, sizeof *h), *id = calloc(K * K, sizeof *id);
    uint8_t *q1 = malloc(R * 4 * K), *q2 = malloc(R * 4 * K);
    for (int i = 0; i < R * K; i++) w[i] = (float)nrand();
    /* correlated inputs: a few shared factors plus noise, channel scales spread */
    double fac[8];
    for (int t = 0; t < T; t++) {
        for (int m = 0; m < 8; m++) fac[m] = nrand();
        for (int j = 0; j < K; j++) x[t * K + j] = (float)((fac[j % 8] + 0.3 * nrand()) * (1 + (j % 5)));
    }
    for (int t = 0; t < T; t++)
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) h[i * K + j] += (double)x[t * K + i] * x[t * K + j] / T;
    for (int i = 0; i < K; i++) id[i * K + i] = 1;
    for (size_t di = 0; di < sizeof dts / sizeof dts[0]; di++) {
        lmcc_quant_fmt f;
        lmcc_quant_fmt_get(dts[di], &f);
        size_t rb = ir_row_bytes(dts[di], K);
        for (int r = 0; r < R; r++) lmcc_quant_rtn_row(&f, w + r * K, NULL, K, q1 + r * rb);
        int refine = f.refine;
        f.refine = 0; /* textbook GPTQ with H = I is rtn (the refinement may still lower its error) */
        CHECK(lmcc_quant_gptq(&f, w, R, K, id, 0.01, q2) == 0, "gptq identity");
        CHECK(memcmp(q1, q2, R * rb) == 0, "%s: gptq with H = I differs from rtn", ir_dtype_name(dts[di]));
        f.refine = refine;
        for (int r = 0; r < R; r++) dequant(dts[di], q1 + r * rb, wq + r * K, K);
        double e_rtn = out_err(w, wq, R, K, x, T);
        CHECK(lmcc_quant_gptq(&f, w, R, K, h, 0.01, q2) == 0, "gptq");
        for (int r = 0; r < R; r++) dequant(dts[di], q2 + r * rb, wq + r * K, K);
        double e_gptq = out_err(w, wq, R, K, x, T);
        printf("gptq %-5s: output error %.4g vs rtn %.4g\n", ir_dtype_name(dts[di]), e_gptq, e_rtn);
        CHECK(e_gptq < 0.7 * e_rtn, "%s: gptq %.4g not clearly below rtn %.4g", ir_dtype_name(dts[di]), e_gptq, e_rtn);
    }
    /* not positive definite (x_3 = -x_4 with |corr| > 1): refused */
    for (int i = 0; i < K; i++) id[i * K + i] = 1;
    id[3 * K + 4] = id[4 * K + 3] = 3;
    lmcc_quant_fmt f;
    lmcc_quant_fmt_get(IR_DT_Q4_0, &f);
    CHECK(lmcc_quant_gptq(&f, w, R, K, id, 0.01, q2) != 0, "indefinite Hessian accepted");
    free(w), free(x), free(wq), free(h), free(id), free(q1), free(q2);
}

static ir_graph *load_stories(gguf_file **fp, int quant) {
    char path[1024];
    find_model(path, sizeof path, "stories260K.gguf");
    *fp = lmcc_model_open(path);
    if (!*fp) return NULL;
    ir_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.ctx = 64;
    cfg.kv_dtype = IR_DT_F32;
    cfg.weights_mode = IR_DT_Q4_0;
    cfg.quant = quant;
    cfg.calib_seqs = 2;
    cfg.calib_len = 48;
    return test_build_graph(*fp, path, &cfg, TEST_NO_PASSES);
}

/* (c) */
static void test_calib(void) {
    gguf_file *f;
    ir_graph *g = load_stories(&f, IR_QUANT_GPTQ);
    if (!g) { printf("skip calib: no stories260K\n"); return; }
    char err[512] = "";
    lmcc_eval_seqs s1, s2, s3;
    CHECK(lmcc_eval_seqs_sample(g, 2, 20, 7, &s1, err, sizeof err) == 0, "sample: %s", err);
    CHECK(lmcc_eval_seqs_sample(g, 2, 20, 7, &s2, err, sizeof err) == 0, "sample: %s", err);
    CHECK(lmcc_eval_seqs_sample(g, 2, 20, 8, &s3, err, sizeof err) == 0, "sample: %s", err);
    CHECK(s1.n == 2 && s1.len[1] == 20 && s1.ids[0][0] == 1, "sampled shape / BOS");
    CHECK(!memcmp(s1.ids[1], s2.ids[1], 20 * sizeof(int)), "same seed, different sequence");
    CHECK(memcmp(s1.ids[1], s3.ids[1], 20 * sizeof(int)) != 0, "different seeds, same sequence");
    /* the input of the output linear, recorded, times output.weight = the logits */
    int out_node = -1;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].output == g->logits) out_node = i;
    int xin = g->nodes[out_node].inputs[0];
    const ir_tensor *wo = &g->tensors[g->nodes[out_node].inputs[1]];
    lmcc_eval_calib c;
    CHECK(lmcc_eval_calib_run(g, &s1, &xin, 1, 1000, &c, NULL, err, sizeof err) == 0, "calib: %s", err);
    CHECK(c.n == 1 && c.acts[0].rows == 40 && c.acts[0].seen == 40, "rows %lld", (long long)c.acts[0].rows);
    lmcc_interp *it = lmcc_interp_new(g);
    double worst = 0, am = 0;
    int V = g->info.vocab_size, D = (int)c.acts[0].k;
    const float *W = wo->data;
    for (int pos = 0; pos < 20; pos++) {
        const float *lg = lmcc_interp_step(it, s1.ids[1][pos], pos);
        const float *x = c.acts[0].x + (20 + pos) * D;
        for (int v = 0; v < V; v += 7) {
            double d = 0;
            for (int j = 0; j < D; j++) d += (double)W[v * D + j] * x[j];
            worst = fmax(worst, fabs(d - lg[v]));
        }
    }
    for (int t = 0; t < 40; t++) am += fabs(c.acts[0].x[t * D + 5]);
    CHECK(worst < 1e-3, "recorded input x W != logits (%g)", worst);
    CHECK(fabs(am / 40 - c.acts[0].absmean[5]) < 1e-6, "mean |x| %g vs %g", am / 40, c.acts[0].absmean[5]);
    double *h = lmcc_quant_hessian(&c.acts[0]), hw = 0;
    for (int t = 0; t < 40; t++) hw += (double)c.acts[0].x[t * D + 2] * c.acts[0].x[t * D + 9] / 40;
    CHECK(fabs(h[2 * D + 9] - hw) < 1e-9 && h[9 * D + 2] == h[2 * D + 9], "hessian entry");
    free(h);
    lmcc_eval_calib_free(&c);
    /* subsampled: at most max_rows rows, absmean still over every token */
    CHECK(lmcc_eval_calib_run(g, &s1, &xin, 1, 15, &c, NULL, err, sizeof err) == 0, "calib: %s", err);
    CHECK(c.acts[0].rows <= 15 && c.acts[0].rows >= 10 && c.acts[0].seen == 40, "subsampled rows %lld",
          (long long)c.acts[0].rows);
    lmcc_eval_calib_free(&c);
    lmcc_interp_free(it);
    lmcc_eval_seqs_free(&s1), lmcc_eval_seqs_free(&s2), lmcc_eval_seqs_free(&s3);
    ir_graph_free(g);
    gguf_close(f);
}

/* (d) */
static void test_awq(void) {
    gguf_file *f;
    ir_graph *g = load_stories(&f, IR_QUANT_AWQ);
    if (!g) return;
    char err[512];
    lmcc_eval_seqs s;
    CHECK(lmcc_eval_seqs_sample(g, 1, 24, 99, &s, err, sizeof err) == 0, "sample");
    int V = g->info.vocab_size;
    float *before = malloc(sizeof(float) * 24 * V);
    lmcc_interp *it = lmcc_interp_new(g);
    for (int p = 0; p < 24; p++) memcpy(before + p * V, lmcc_interp_step(it, s.ids[0][p], p), sizeof(float) * V);
    lmcc_interp_free(it);
    int wq = ir_tensor_find(g, "blk.1.attn_q.weight"), wn = ir_tensor_find(g, "blk.1.attn_norm.weight");
    float q0 = ((const float *)g->tensors[wq].data)[3], n0 = ((const float *)g->tensors[wn].data)[3];
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    pc.verbose = 1;
    pc.log = stdout;
    CHECK(lmcc_quant_awq(g, &pc) == 0, "awq: %s", pc.err);
    float q1 = ((const float *)g->tensors[wq].data)[3], n1 = ((const float *)g->tensors[wn].data)[3];
    CHECK(fabsf(q1 * n1 - q0 * n0) <= 1e-5f * fabsf(q0 * n0), "q weight x norm weight not preserved");
    it = lmcc_interp_new(g);
    double worst = 0, scale = 0;
    for (int p = 0; p < 24; p++) {
        const float *lg = lmcc_interp_step(it, s.ids[0][p], p);
        for (int v = 0; v < V; v++) worst = fmax(worst, fabs(lg[v] - before[p * V + v])), scale = fmax(scale, fabs(lg[v]));
    }
    printf("awq: float logits max |diff| %.3g (max |logit| %.3g)\n", worst, scale);
    CHECK(worst <= 1e-4 * scale, "awq changed the float model: %g", worst);
    /* the rewrite did something */
    int changed = 0;
    for (int i = 0; i < g->n_tensors; i++) changed += g->tensors[i].owned != NULL;
    CHECK(changed >= 10, "awq rewrote only %d weights", changed);
    lmcc_interp_free(it);
    free(before);
    lmcc_eval_seqs_free(&s);
    ir_graph_free(g);
    gguf_close(f);
}

/* (e) the fit's float screening (and its AVX2 variant) against the plain
 * search quant.h describes: every candidate of the grid, errors in double
 * with lmcc_quant_block_code's codes (lmcc_quant_block_err), then two least-squares refits */
static float f16r(double v) { return lmrt_f16_to_f32(lmrt_f32_to_f16((float)v)); }

static lmcc_quant_params fit_ref(const lmcc_quant_fmt *f, const float *x, const float *imp, int n) {
    lmcc_quant_params best = {0, 0};
    float mn = x[0], mx = x[0], amax = 0, smax = 0;
    for (int j = 0; j < n; j++) {
        mn = fminf(mn, x[j]), mx = fmaxf(mx, x[j]);
        if (fabsf(x[j]) > amax) amax = fabsf(x[j]), smax = x[j];
    }
    if (amax == 0) return best;
    int steps = f->nlev > 16 ? 8 : 20;
    double step = f->nlev > 16 ? 0.01 : 0.025, be = INFINITY;
    float lmin = f->nf4 ? -1.0f : (float)-f->zero, lmax = f->nf4 ? 1.0f : (float)(f->nlev - 1 - f->zero);
    for (int fam = 0; fam < 2; fam++)
        for (int s = 0; s < steps; s++) {
            double r = 1.0 - step * s, lo = mn, hi = mx, span = (mx - mn) * (1 - r);
            lmcc_quant_params p = {0, 0};
            if (f->asym) {
                if (fam == 0) lo += span / 2, hi -= span / 2;
                else if (-mn > mx) lo += span;
                else hi -= span;
                p.d = f16r((hi - lo) / (f->nlev - 1)), p.m = f16r(lo);
            } else {
                p.d = f16r(smax / (fam == 0 ? lmin : lmax) * r);
                if (f->nf4 && fam == 0) p.d = f16r(amax * r);
            }
            if (p.d == 0) continue;
            double e = lmcc_quant_block_err(f, p, x, imp, n);
            if (e < be) be = e, best = p;
        }
    for (int it = 0; it < 2 && best.d != 0; it++) {
        double sw = 0, sl = 0, sll = 0, sx = 0, slx = 0;
        for (int j = 0; j < n; j++) {
            int q = lmcc_quant_block_code(f, best, x[j]);
            double w = imp ? imp[j] : 1.0, l = (lmcc_quant_block_value(f, best, q) - best.m) / best.d;
            sw += w, sl += w * l, sll += w * l * l, sx += w * x[j], slx += w * l * x[j];
        }
        lmcc_quant_params p = best;
        double det = sw * sll - sl * sl;
        if (f->asym && det > 0) p.d = f16r((sw * slx - sl * sx) / det), p.m = f16r((sll * sx - sl * slx) / det);
        if (!f->asym && sll > 0) p.d = f16r(slx / sll);
        double e = p.d != 0 ? lmcc_quant_block_err(f, p, x, imp, n) : INFINITY;
        if (!(e < be)) break;
        be = e, best = p;
    }
    return best;
}

static void test_fit(void) {
    static const ir_dtype dts[] = {IR_DT_Q4_0, IR_DT_Q8_0,   IR_DT_Q4_1,   IR_DT_Q4_G64, IR_DT_Q5_0,
                                   IR_DT_Q5_1, IR_DT_NF4,    IR_DT_Q3_G64, IR_DT_Q5_G64, IR_DT_Q6_G64};
    enum { N = 3000 };
    float x[128], imp[128];
    for (size_t di = 0; di < sizeof dts / sizeof dts[0]; di++) {
        lmcc_quant_fmt f, g;
        CHECK(lmcc_quant_fmt_get(dts[di], &f) == 0, "qfmt %s", ir_dtype_name(dts[di]));
        g = f, f.simd = 1, g.simd = 0;
        int off = 0, other = 0, ties = 0;
        double e_fit = 0, e_ref = 0;
        for (int b = 0; b < N; b++) {
            int n = b % 5 == 0 ? 1 + (int)(urand() * f.group) : f.group;
            double sc = exp(4 * nrand()), shift = b % 3 == 0 ? sc * nrand() : 0;
            for (int j = 0; j < n; j++) {
                x[j] = (float)(sc * nrand() * (urand() < 0.05 ? 6 : 1) + shift);
                imp[j] = (float)exp(nrand());
            }
            if (b % 7 == 0) x[b % n] = 0, x[(b + 1) % n] = x[(b + 2) % n]; /* exact zeros and repeats */
            const float *ip = b % 2 ? imp : NULL;
            lmcc_quant_params p = lmcc_quant_block_fit(&f, x, ip, n), q = lmcc_quant_block_fit(&g, x, ip, n), r = fit_ref(&f, x, ip, n);
            other += memcmp(&p, &q, sizeof p) != 0;
            double ep = lmcc_quant_block_err(&f, p, x, ip, n), er = lmcc_quant_block_err(&f, r, x, ip, n);
            off += fabs(ep - er) > 1e-9 * er + 1e-30; /* the same choice up to rounding in the sums */
            ties += p.d != r.d || p.m != r.m;
            e_fit += ep / (sc * sc), e_ref += er / (sc * sc);
        }
        printf("fit %-7s: %d blocks, error %.6g vs plain search %.6g, other parameters (equal error) on %d\n",
               ir_dtype_name(dts[di]), N, e_fit, e_ref, ties);
        CHECK(off == 0, "%s: %d blocks' fit error differs from the plain search's", ir_dtype_name(dts[di]), off);
        CHECK(ties <= N / 1000, "%s: %d blocks chose other parameters", ir_dtype_name(dts[di]), ties);
        CHECK(other == 0, "%s: the SIMD fit differs from the generic one on %d blocks", ir_dtype_name(dts[di]), other);
    }
}

/* (f) gptq's blocked factor, inverse and lazy updates (generic and SIMD
 * kernels) against the textbook algorithm in double: H^-1 by Cholesky, its
 * upper Cholesky factor U, then column by column w[j] -= (w[i] - q[i]) / U[i][i]
 * U[i][j].  Shapes that leave partial tiles, factor blocks and lazy batches,
 * a partial last group and a channel never active. */
static void chol_lower(double *a, int n) { /* a = L L^T in the lower triangle */
    for (int j = 0; j < n; j++) {
        for (int i = j; i < n; i++) {
            double s = a[i * n + j];
            for (int l = 0; l < j; l++) s -= a[i * n + l] * a[j * n + l];
            a[i * n + j] = i == j ? sqrt(s) : s / a[j * n + j];
        }
    }
}

static void gptq_ref(const lmcc_quant_fmt *f, const float *w, int rows, int k, const double *h, double damp, float *wq) {
    double *a = malloc(sizeof(double) * k * k), *inv = calloc((size_t)k * k, sizeof(double)), *row = malloc(sizeof(double) * k);
    int *dead = calloc(k, sizeof(int));
    double mean = 0;
    memcpy(a, h, sizeof(double) * k * k);
    for (int i = 0; i < k; i++) {
        if (a[i * k + i] <= 0) dead[i] = 1, a[i * k + i] = 1;
        mean += a[i * k + i] / k;
    }
    for (int i = 0; i < k; i++) a[i * k + i] += damp * mean;
    chol_lower(a, k);
    for (int c = 0; c < k; c++) /* inv = L^-T L^-1, column c: solve L y = e_c, L^T z = y */
        for (int pass = 0; pass < 2; pass++)
            for (int ii = 0; ii < k; ii++) {
                int i = pass ? k - 1 - ii : ii;
                double s = pass ? inv[i * k + c] : (i == c);
                if (pass) for (int l = i + 1; l < k; l++) s -= a[l * k + i] * inv[l * k + c];
                else for (int l = 0; l < i; l++) s -= a[i * k + l] * inv[l * k + c];
                inv[i * k + c] = s / a[i * k + i];
            }
    chol_lower(inv, k); /* U[i][j] = inv[j * k + i] */
    float g[256];
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < k; j++) row[j] = dead[j] ? 0 : w[r * k + j];
        lmcc_quant_params p = {0, 0};
        for (int i = 0; i < k; i++) {
            if (i % f->group == 0) {
                int n = k - i < f->group ? k - i : f->group;
                for (int j = 0; j < n; j++) g[j] = (float)row[i + j];
                p = lmcc_quant_block_fit(f, g, NULL, n);
            }
            wq[r * k + i] = lmcc_quant_block_value(f, p, lmcc_quant_block_code(f, p, (float)row[i]));
            double e = (row[i] - wq[r * k + i]) / inv[i * k + i];
            for (int j = i + 1; j < k; j++) row[j] -= e * inv[j * k + i];
        }
    }
    free(a), free(inv), free(row), free(dead);
}

static void test_gptq_ref(void) {
    enum { R = 50, K = 331, T = 700 };
    static const ir_dtype dts[] = {IR_DT_Q4_0, IR_DT_Q8_0};
    float *w = malloc(sizeof(float) * R * K), *x = malloc(sizeof(float) * T * K), *wr = malloc(sizeof(float) * R * K);
    float *ws = malloc(sizeof(float) * R * K), *wg = malloc(sizeof(float) * R * K);
    double *h = calloc((size_t)K * K, sizeof *h), fac[12];
    uint8_t *q = malloc((size_t)R * K * 2);
    for (int i = 0; i < R * K; i++) w[i] = (float)(0.02 * nrand() * (i % K % 41 == 7 ? 5 : 1));
    for (int t = 0; t < T; t++) {
        for (int m = 0; m < 12; m++) fac[m] = nrand();
        for (int j = 0; j < K; j++)
            x[t * K + j] = j == 5 ? 0 : (float)((fac[j % 12] + 0.5 * nrand()) * (j % 53 == 3 ? 20 : 1 + (j % 5)));
    }
    for (int t = 0; t < T; t++)
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) h[i * K + j] += (double)x[t * K + i] * x[t * K + j] / T;
    for (size_t di = 0; di < sizeof dts / sizeof dts[0]; di++) {
        lmcc_quant_fmt f;
        lmcc_quant_fmt_get(dts[di], &f);
        int refine = f.refine;
        f.refine = 0; /* the textbook algorithm; the refinement is checked below */
        size_t rb = ir_row_bytes(dts[di], K);
        gptq_ref(&f, w, R, K, h, 0.03, wr);
        double e_ref = out_err(w, wr, R, K, x, T), e[2];
        for (int simd = 0; simd < 2; simd++) {
            f.simd = simd;
            float *wo = simd ? ws : wg;
            CHECK(lmcc_quant_gptq(&f, w, R, K, h, 0.03, q) == 0, "gptq");
            for (int r = 0; r < R; r++) dequant(dts[di], q + r * rb, wo + r * K, K);
            e[simd] = out_err(w, wo, R, K, x, T);
        }
        int same = 0, same_sg = 0;
        for (int i = 0; i < R * K; i++) same += ws[i] == wr[i], same_sg += ws[i] == wg[i];
        printf("gptq %-5s vs textbook: output error %.4g (generic kernels %.4g) vs %.4g; values equal %.1f%% "
               "(generic vs simd %.1f%%)\n", ir_dtype_name(dts[di]), e[1], e[0], e_ref, 100.0 * same / (R * K),
               100.0 * same_sg / (R * K));
        for (int simd = 0; simd < 2; simd++)
            CHECK(fabs(e[simd] / e_ref - 1) < 0.01, "%s: gptq (simd %d) output error %.4g vs textbook %.4g",
                  ir_dtype_name(dts[di]), simd, e[simd], e_ref);
        CHECK(same >= 0.985 * R * K, "%s: only %d of %d values as the textbook's", ir_dtype_name(dts[di]), same, R * K);
        CHECK(same_sg >= 0.99 * R * K, "%s: only %d of %d values the same with both kernels", ir_dtype_name(dts[di]),
              same_sg, R * K);
        /* the refinement (coordinate descent + scales under the same damped H) lowers the error */
        f.refine = refine;
        CHECK(refine > 0 && lmcc_quant_gptq(&f, w, R, K, h, 0.03, q) == 0, "gptq refined");
        for (int r = 0; r < R; r++) dequant(dts[di], q + r * rb, wg + r * K, K);
        double e_fine = out_err(w, wg, R, K, x, T);
        printf("gptq %-5s refined: output error %.4g (%.1f%% below the textbook's)\n", ir_dtype_name(dts[di]), e_fine,
               100 * (1 - e_fine / e_ref));
        CHECK(e_fine < e_ref, "%s: refined gptq %.4g not below the textbook's %.4g", ir_dtype_name(dts[di]), e_fine,
              e_ref);
    }
    free(w), free(x), free(wr), free(ws), free(wg), free(h), free(q);
}

int main(void) {
    test_rtn();
    test_fit();
    test_gptq_ref();
    test_gptq();
    test_calib();
    test_awq();
    return test_finish("test_quality", NULL);
}
