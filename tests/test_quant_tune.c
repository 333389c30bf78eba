/* test_quant_tune.c - end-to-end scale tuning (quant/tune.c) on
 * stories260K: q4 weights rounded by rtn, then lmcc_quant_tune against the
 * float model's logits.  The KL over the calibration sequences must fall, the
 * codes must stay, every scale must be a finite nonzero f16 where it was, and
 * the weights must actually change. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "calib.h"
#include "seqeval.h"
#include "diag.h"
#include "gguf.h"
#include "lmrt_quant.h"
#include "model.h"
#include "passes.h"
#include "quant.h"
#include "test_model.h"


/* mean KL(softmax(ref) || softmax(lg)) over rows */
static double mean_kl(const float *ref, const float *lg, int64_t rows, int64_t V) {
    double tot = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *a = ref + r * V, *b = lg + r * V;
        double ma = -HUGE_VAL, mb = -HUGE_VAL, sa = 0, sb = 0, kl = 0;
        for (int64_t i = 0; i < V; i++) ma = a[i] > ma ? a[i] : ma, mb = b[i] > mb ? b[i] : mb;
        for (int64_t i = 0; i < V; i++) sa += exp(a[i] - ma), sb += exp(b[i] - mb);
        double la = ma + log(sa), lb = mb + log(sb);
        for (int64_t i = 0; i < V; i++) kl += exp(a[i] - la) * ((a[i] - la) - (b[i] - lb));
        tot += kl;
    }
    return tot / (double)rows;
}

static double kl_now(ir_graph *g, const lmcc_eval_seqs *s, const float *ref, float *lg, int64_t rows, int64_t V) {
    lmcc_eval_seq_opts o;
    memset(&o, 0, sizeof o);
    o.logits = lg;
    char err[256] = "";
    int rc = lmcc_eval_seq_run(g, s, NULL, NULL, &o, err, sizeof err);
    CHECK(rc == 0, "seqeval: %s", err);
    return rc ? -1 : mean_kl(ref, lg, rows, V);
}

static void test_tune(const gguf_file *f) {
    ir_config cfg = {.ctx = 128, .kv_dtype = IR_DT_F32, .weights_mode = IR_DT_Q4_0, .fuse = 1, .batch = 1,
                     .threads = 1, .embed_f16 = 1, .quant = IR_QUANT_PLAIN};
    lmcc_error_clear();
    ir_graph *g = lmcc_build_graph(f, "stories260K", &cfg);
    CHECK(g, "build: %s", lmcc_error_text());
    if (!g) return;
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    pc.verbose = 1, pc.log = stdout;
    if (lmcc_run_passes(g, &pc, "mixprec")) { CHECK(0, "passes: %s", pc.err); ir_graph_free(g); return; }
    lmcc_eval_seqs s;
    char err[256] = "";
    if (lmcc_eval_seqs_sample(g, 10, 96, 77, &s, err, sizeof err)) { CHECK(0, "sample: %s", err); ir_graph_free(g); return; }
    int64_t rows = 0, V = ir_tensor_elems(&g->tensors[g->logits]);
    for (int i = 0; i < s.n; i++) rows += s.len[i];
    float *ref = malloc((size_t)(rows * V) * sizeof *ref), *teacher = malloc((size_t)(rows * V) * sizeof *teacher);
    float *lg = malloc((size_t)(rows * V) * sizeof *lg);
    uint8_t **before = calloc((size_t)g->n_tensors, sizeof *before);
    lmcc_eval_seq_opts o;
    memset(&o, 0, sizeof o);
    o.logits = ref;
    CHECK(ref && teacher && lg && before, "out of memory");
    if (!ref || !teacher || !lg || !before || lmcc_eval_seq_run(g, &s, NULL, NULL, &o, err, sizeof err)) {
        CHECK(0, "float logits: %s", err);
        goto out;
    }
    memcpy(teacher, ref, (size_t)(rows * V) * sizeof *ref);
    /* rtn q4 into every linear weight */
    int nq = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        lmcc_quant_fmt fm;
        int dt = lmcc_quant_target(g, i);
        if (dt < 0 || lmcc_quant_fmt_get((ir_dtype)dt, &fm)) continue;
        int64_t n = t->shape[0], k = t->shape[1];
        size_t rb = ir_row_bytes(fm.dt, k);
        float *w = malloc((size_t)(n * k) * sizeof *w);
        uint8_t *dst = malloc((size_t)n * rb);
        CHECK(w && dst, "out of memory");
        if (!w || !dst) { free(w), free(dst); goto out; }
        for (int64_t r = 0; r < n; r++) {
            lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype), (const uint8_t *)t->data + (size_t)r * ir_row_bytes(t->dtype, k),
                             w + r * k, k);
            lmcc_quant_rtn_row(&fm, w + r * k, NULL, k, dst + (size_t)r * rb);
        }
        free(w);
        free(t->owned);
        t->owned = dst, t->data = dst, t->dtype = fm.dt, t->nbytes = (size_t)n * rb;
        before[i] = malloc(t->nbytes);
        if (before[i]) memcpy(before[i], dst, t->nbytes);
        nq++;
    }
    CHECK(nq >= 20, "%d weights quantized", nq);
    double kl0 = kl_now(g, &s, ref, lg, rows, V);
    int rc = lmcc_quant_tune(g, &pc, &s, teacher, NULL);
    CHECK(rc == 0, "tune: %s", pc.err);
    double kl1 = kl_now(g, &s, ref, lg, rows, V);
    printf("stories260K q4 (rtn): calibration KL %.5f -> %.5f after tuning\n", kl0, kl1);
    CHECK(kl1 < 0.97 * kl0, "the calibration KL did not fall: %.5f -> %.5f", kl0, kl1);
    /* the codes stay; the scales are finite nonzero f16 (zero where they were); some changed */
    int changed = 0, bad = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        if (!before[i]) continue;
        const ir_tensor *t = &g->tensors[i];
        lmcc_quant_fmt fm;
        if (lmcc_quant_fmt_get(t->dtype, &fm)) { bad++; continue; }
        const uint8_t *a = before[i], *b = t->data;
        for (size_t off = 0; off + (size_t)fm.block_bytes <= t->nbytes; off += (size_t)fm.block_bytes) {
            int hdr = fm.asym ? 4 : 2;
            if (memcmp(a + off + hdr, b + off + hdr, (size_t)(fm.block_bytes - hdr))) bad++;
            float d0 = lmrt_load_f16le(a + off), d1 = lmrt_load_f16le(b + off);
            if (!isfinite(d1) || (d0 == 0) != (d1 == 0) || (d0 > 0) != (d1 > 0)) bad++;
            changed += d0 != d1;
        }
    }
    CHECK(bad == 0, "%d blocks with changed codes or a bad scale", bad);
    CHECK(changed > 0, "no scale changed");
    printf("stories260K q4 (rtn): %d block scales changed, codes kept\n", changed);
out:
    for (int i = 0; before && i < g->n_tensors; i++) free(before[i]);
    free(before), free(ref), free(teacher), free(lg);
    lmcc_eval_seqs_free(&s);
    ir_graph_free(g);
}

int main(void) {
    gguf_file *f = test_open_model("stories260K.gguf", "everything");
    if (f) {
        test_tune(f);
        gguf_close(f);
    }
    return test_finish("test_quant_tune", f ? NULL : "everything");
}
