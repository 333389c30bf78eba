/* quality.c - `lmcc quality` (see quality.h). */
#include "quality.h"
#include "proc.h"

#include "arch.h"
#include "calib.h"
#include "codegen.h"
#include "diag.h"
#include "interp.h"
#include "model.h"
#include "options.h"
#include "vocab.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct quality_bits { double bits, elems; } quality_bits;

static int quality_linear_family(ir_opcode op) {
    return op == IR_OP_LINEAR || op == IR_OP_LINEAR_ADD || op == IR_OP_LINEAR_SWIGLU || op == IR_OP_QKV;
}

/* bits of the 2-D weights the linear-family ops read, scales included, tile padding not */
static void quality_on_graph(void *user, const struct ir_graph *g) {
    quality_bits *b = user;
    unsigned char *seen = calloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1), 1);
    if (!seen) return;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead || !quality_linear_family(n->op)) continue;
        const ir_tensor *w = &g->tensors[n->inputs[1]];
        if (seen[n->inputs[1]] || w->ndim != 2) continue;
        seen[n->inputs[1]] = 1;
        b->bits += 8.0 * (double)ir_row_bytes(w->dtype, w->shape[1]) * (double)w->shape[0];
        b->elems += (double)ir_weight_params(w); /* hadamard padding is stored, not a parameter */
    }
    free(seen);
}



/* log-softmax of n logits into out (double) */
static void quality_log_softmax(const float *x, int n, double *out) {
    double m = x[0], s = 0;
    for (int i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
    for (int i = 0; i < n; i++) s += exp((double)x[i] - m);
    double l = m + log(s);
    for (int i = 0; i < n; i++) out[i] = (double)x[i] - l;
}

static int quality_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int quality_argmax(const float *x, int n) {
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

int lmcc_quality_main(const lmcc_config *c, lmcc_build_program_fn build) {
    const char *model = c->model, *ids_path = c->ids_file, *save_dir = c->save_logits;
    /* the float model: the frontend's graph as is, evaluated by the interpreter */
    gguf_file *f = lmcc_model_open(model);
    if (!f) return -1;
    /* the compiled model's context bounds the sequences; the float graph
     * needs no more positions than the longest of them */
    int ctx = lmcc_arch_ctx(f, c->ctx);
    if (!ids_path && c->len > ctx) {
        gguf_close(f);
        return lmcc_error(model, "--len %ld is longer than the context of %d (pass --ctx)", c->len, ctx);
    }
    ir_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.kv_dtype = IR_DT_F32;
    cfg.weights_mode = IR_WEIGHTS_KEEP;
    cfg.ctx = ids_path ? ctx : (int)c->len;
    int rc = -1;
    lmrt_vocab *vocab = NULL;
    ir_graph *g = NULL;
    lmcc_eval_seqs seqs;
    memset(&seqs, 0, sizeof seqs);
    char dir[PATH_MAX] = "", err[512] = "";
    float *lf = NULL, *lc = NULL;
    double *pf = NULL, *pc = NULL, *kls = NULL;
    FILE *sf = NULL, *sc = NULL;
    g = lmcc_build_graph(f, model, &cfg);
    if (!g) goto done;
    vocab = gguf_find(f, "tokenizer.ggml.model") ? lmcc_vocab_from_gguf(f, model)
                                                  : lmcc_vocab_placeholder(g->info.vocab_size);
    if (!vocab) goto done;
    g->vocab = vocab;
    if (ids_path ? lmcc_eval_seqs_read(g, ids_path, cfg.ctx, &seqs, err, sizeof err)
                 : lmcc_eval_seqs_sample(g, (int)c->samples, (int)c->len, (uint64_t)c->sample_seed, &seqs, err,
                                         sizeof err)) {
        lmcc_error(ids_path ? ids_path : model, "%s", err);
        goto done;
    }

    quality_bits bits = {0, 0};
    lmcc_build_req req;
    memset(&req, 0, sizeof req);
    req.cfg = c;
    req.name = "model";
    req.emit_driver = lmcc_emit_driver;
    req.on_graph = quality_on_graph;
    req.on_graph_user = &bits;
    if (build(&req, dir, sizeof dir)) { dir[0] = 0; goto done; }

    int V = g->info.vocab_size, maxlen = 0, total = 0;
    for (int s = 0; s < seqs.n; s++) {
        total += seqs.len[s];
        maxlen = seqs.len[s] > maxlen ? seqs.len[s] : maxlen;
    }
    lf = malloc((size_t)maxlen * (size_t)V * sizeof *lf);
    lc = malloc((size_t)maxlen * (size_t)V * sizeof *lc);
    pf = malloc((size_t)V * sizeof *pf);
    pc = malloc((size_t)V * sizeof *pc);
    kls = malloc((size_t)total * sizeof *kls);
    if (!lf || !lc || !pf || !pc || !kls) { lmcc_error(NULL, "out of memory"); goto done; }
    if (save_dir) {
        char p1[PATH_MAX + 32], p2[PATH_MAX + 32];
        snprintf(p1, sizeof p1, "%s/float.f32", save_dir);
        snprintf(p2, sizeof p2, "%s/compiled.f32", save_dir);
        sf = fopen(p1, "wb");
        sc = fopen(p2, "wb");
        if (!sf || !sc) { lmcc_error(save_dir, "cannot write the logits files"); goto done; }
    }
    double kl_sum = 0, nll_f = 0, nll_c = 0;
    long agree = 0, npos = 0, npred = 0;
    char prog[PATH_MAX + 16], ids_file[PATH_MAX + 16], out_file[PATH_MAX + 16];
    snprintf(prog, sizeof prog, "%s/prog", dir);
    snprintf(ids_file, sizeof ids_file, "%s/ids.txt", dir);
    snprintf(out_file, sizeof out_file, "%s/logits.f32", dir);
    for (int s = 0; s < seqs.n; s++) {
        int L = seqs.len[s];
        FILE *idf = fopen(ids_file, "w");
        if (!idf) { lmcc_error(ids_file, "cannot write"); goto done; }
        for (int i = 0; i < L; i++) fprintf(idf, "%s%d", i ? " " : "", seqs.ids[s][i]);
        fprintf(idf, "\n");
        fclose(idf);
        char *pargv[] = {prog, "eval", ids_file, out_file, NULL};
        int st = lmcc_run_argv(pargv, NULL);
        if (st < 0) { lmcc_error(prog, "cannot run: %s", strerror(errno)); goto done; }
        if (st > 128) { lmcc_bug("the eval program died with signal %d", st - 128); goto done; }
        if (st != 0) { lmcc_error(NULL, "the eval program failed (exit %d)", st); goto done; }
        FILE *lfp = fopen(out_file, "rb");
        size_t got = lfp ? fread(lc, sizeof *lc, (size_t)L * (size_t)V, lfp) : 0;
        if (lfp) fclose(lfp);
        if (got != (size_t)L * (size_t)V) { lmcc_error(out_file, "short logits file"); goto done; }
        lmcc_interp *it = lmcc_interp_new(g);
        if (!it) { lmcc_error(model, "the interpreter cannot evaluate this model"); goto done; }
        for (int i = 0; i < L; i++) {
            const float *x = lmcc_interp_step(it, seqs.ids[s][i], i);
            if (!x) { lmcc_interp_free(it); lmcc_error(model, "interpreter failed at position %d", i); goto done; }
            memcpy(lf + (size_t)i * (size_t)V, x, (size_t)V * sizeof *x);
        }
        lmcc_interp_free(it);
        for (int i = 0; i < L; i++) {
            const float *a = lf + (size_t)i * (size_t)V, *b = lc + (size_t)i * (size_t)V;
            quality_log_softmax(a, V, pf);
            quality_log_softmax(b, V, pc);
            double kl = 0;
            for (int v = 0; v < V; v++) kl += exp(pf[v]) * (pf[v] - pc[v]);
            kls[npos++] = kl;
            kl_sum += kl;
            agree += quality_argmax(a, V) == quality_argmax(b, V);
            if (i + 1 < L) {
                nll_f -= pf[seqs.ids[s][i + 1]];
                nll_c -= pc[seqs.ids[s][i + 1]];
                npred++;
            }
        }
        if (sf && (fwrite(lf, sizeof *lf, (size_t)L * (size_t)V, sf) != (size_t)L * (size_t)V ||
                   fwrite(lc, sizeof *lc, (size_t)L * (size_t)V, sc) != (size_t)L * (size_t)V)) {
            lmcc_error(save_dir, "write error");
            goto done;
        }
    }
    qsort(kls, (size_t)npos, sizeof *kls, quality_cmp_double);
    double mean_kl = kl_sum / (double)npos, p99 = kls[npos - 1 < (long)(0.99 * npos) ? npos - 1 : (long)(0.99 * npos)];
    double top1 = 100.0 * (double)agree / (double)npos;
    double ppl_f = npred ? exp(nll_f / (double)npred) : 0, ppl_c = npred ? exp(nll_c / (double)npred) : 0;
    double bpw = bits.elems > 0 ? bits.bits / bits.elems : 0;
    if (c->json)
        printf("{\"model\": \"%s\", \"sequences\": %d, \"positions\": %ld, \"mean_kl\": %.6g, \"p99_kl\": %.6g, "
               "\"top1\": %.4g, \"ppl_float\": %.6g, \"ppl_compiled\": %.6g, \"bpw\": %.4f, "
               "\"linear_params\": %.0f}\n",
               model, seqs.n, npos, mean_kl, p99, top1, ppl_f, ppl_c, bpw, bits.elems);
    else
        printf("%s: %d sequences, %ld positions\n"
               "  KL(float || compiled)  mean %.5f  p99 %.5f\n"
               "  top-1 agreement        %.1f%%\n"
               "  perplexity             float %.4f  compiled %.4f\n"
               "  linear weights         %.4f bits/weight (%.0f parameters)\n",
               model, seqs.n, npos, mean_kl, p99, top1, ppl_f, ppl_c, bpw, bits.elems);
    rc = 0;
done:
    if (sf && fclose(sf) != 0 && rc == 0) rc = lmcc_error(save_dir, "write error");
    if (sc && fclose(sc) != 0 && rc == 0) rc = lmcc_error(save_dir, "write error");
    if (dir[0]) {
        if (c->keep_temp) fprintf(stderr, "lmcc: kept %s\n", dir);
        else lmcc_remove_dir(dir);
    }
    free(lf), free(lc), free(pf), free(pc), free(kls);
    lmcc_eval_seqs_free(&seqs);
    ir_graph_free(g);
    if (vocab) lmcc_vocab_free(vocab);
    gguf_close(f);
    return rc;
}
