/* calib.c - calibration sequences and recorded linear inputs (see calib.h). */
#include "calib.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "seqeval.h"
#include "interp.h"
#include "lmrt_tokenizer.h"

static uint64_t calib_rng_next(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void lmcc_eval_seqs_free(lmcc_eval_seqs *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) free(s->ids ? s->ids[i] : NULL);
    free(s->ids);
    free(s->len);
    memset(s, 0, sizeof *s);
}

static int seqs_alloc(lmcc_eval_seqs *s, int n) {
    memset(s, 0, sizeof *s);
    s->ids = calloc((size_t)(n > 0 ? n : 1), sizeof *s->ids);
    s->len = calloc((size_t)(n > 0 ? n : 1), sizeof *s->len);
    return s->ids && s->len ? 0 : -1;
}

static int seqs_bos(const ir_graph *g) {
    return g->vocab && g->vocab->bos_id >= 0 ? g->vocab->bos_id : 1;
}

int lmcc_eval_seqs_sample(const ir_graph *g, int n, int len, uint64_t seed, lmcc_eval_seqs *out, char *err, size_t errlen) {
    if (n < 1 || len < 1 || len > g->cfg.ctx) {
        snprintf(err, errlen, "cannot sample %d sequences of %d positions (context %d)", n, len, g->cfg.ctx);
        return -1;
    }
    if (seqs_alloc(out, n)) goto oom;
    for (int si = 0; si < n; si++) {
        if (!(out->ids[si] = malloc((size_t)len * sizeof *out->ids[si]))) goto oom;
        out->len[si] = len;
        out->n = si + 1;
        out->ids[si][0] = seqs_bos(g);
    }
    if (len == 1) return 0;
    /* all n sequences decoded in lockstep (every weight read once per position for all of
     * them).  Sequence si's draws are the ones it had when the sequences were sampled one
     * after the other from one generator: draws si*(len-1) .. (si+1)*(len-1)-1, and a
     * splitmix64 state jumps ahead k draws by adding k times its increment */
    double params = 0;
    for (int i = 0; i < g->n_tensors; i++)
        if (!g->tensors[i].dead && g->tensors[i].kind == IR_KIND_WEIGHT) params += (double)ir_tensor_elems(&g->tensors[i]);
    FILE *progress = params > 50e6 ? stderr : NULL; /* minutes on a 1B model, without a word otherwise */
    int64_t V = g->logits >= 0 && g->logits < g->n_tensors ? ir_tensor_elems(&g->tensors[g->logits]) : 0;
    lmcc_eval_step *st = lmcc_eval_step_new(g, n, len, 0, err, errlen);
    if (!st) { lmcc_eval_seqs_free(out); return -1; }
    uint64_t *rng = malloc((size_t)n * sizeof *rng);
    int *tok = malloc((size_t)n * sizeof *tok);
    double *p = malloc((size_t)(V > 0 ? V : 1) * sizeof *p);
    if (!rng || !tok || !p) { free(rng), free(tok), free(p), lmcc_eval_step_free(st); goto oom; }
    for (int si = 0; si < n; si++) rng[si] = seed + (uint64_t)si * (uint64_t)(len - 1) * 0x9E3779B97F4A7C15ull;
    if (progress) fprintf(progress, "lmcc: sampling %d calibration sequences of %d tokens\n", n, len);
    int rc = 0;
    for (int pos = 0; pos + 1 < len && rc == 0; pos++) {
        for (int si = 0; si < n; si++) tok[si] = out->ids[si][pos];
        const float *lgs = lmcc_eval_step_next(st, tok, pos, err, errlen);
        if (!lgs) { rc = -1; break; }
        for (int si = 0; si < n; si++) {
            const float *lg = lgs + (int64_t)si * V;
            double m = lg[0], sum = 0;
            for (int64_t v = 1; v < V; v++) m = lg[v] > m ? lg[v] : m;
            for (int64_t v = 0; v < V; v++) sum += p[v] = exp((double)lg[v] - m);
            double u = (double)(calib_rng_next(&rng[si]) >> 11) * 0x1.0p-53 * sum, c = 0;
            int64_t pick = V - 1;
            for (int64_t v = 0; v < V; v++)
                if ((c += p[v]) > u) { pick = v; break; }
            out->ids[si][pos + 1] = (int)pick;
        }
        if (progress && (pos + 2) * 4 / len != (pos + 1) * 4 / len)
            fprintf(progress, "lmcc: sampling: %d%% (%d/%d positions)\n", (pos + 2) * 100 / len, pos + 2, len);
    }
    lmcc_eval_step_free(st);
    free(rng), free(tok), free(p);
    if (rc) lmcc_eval_seqs_free(out);
    return rc;
oom:
    lmcc_eval_seqs_free(out);
    snprintf(err, errlen, "out of memory sampling calibration sequences");
    return -1;
}

int lmcc_eval_seqs_read(const ir_graph *g, const char *path, int max_len, lmcc_eval_seqs *out, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "%s: cannot read the calibration file", path); return -1; }
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap + 1);
    size_t got;
    while (text && (got = fread(text + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *t = realloc(text, 2 * cap + 1);
            if (!t) { free(text); text = NULL; break; }
            text = t;
            cap *= 2;
        }
    }
    fclose(f);
    if (!text) { snprintf(err, errlen, "out of memory reading %s", path); return -1; }
    text[n] = 0;
    int all_ints = n > 0;
    for (size_t i = 0; i < n && all_ints; i++)
        all_ints = isdigit((unsigned char)text[i]) || isspace((unsigned char)text[i]);
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (max_len > g->cfg.ctx) max_len = g->cfg.ctx;
    if (all_ints) {
        /* one sequence per line, cut at max_len */
        int lines = 1;
        for (size_t i = 0; i < n; i++) lines += text[i] == '\n';
        if (seqs_alloc(out, lines * 2 + (int)(n / (size_t)(max_len > 0 ? max_len : 1)) + 1)) goto done;
        char *line = text;
        while (line && *line) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = 0;
            char *q = line;
            for (;;) {
                int *ids = malloc((size_t)max_len * sizeof *ids), m = 0;
                if (!ids) goto done;
                long v;
                char *end;
                while (m < max_len && (v = strtol(q, &end, 10), end != q)) {
                    if (v < 0 || v >= g->info.vocab_size) {
                        free(ids);
                        snprintf(err, errlen, "%s: token id %ld is outside the vocabulary [0, %d)", path, v,
                                 g->info.vocab_size);
                        goto done;
                    }
                    ids[m++] = (int)v;
                    q = end;
                }
                if (m == 0) { free(ids); break; }
                out->ids[out->n] = ids;
                out->len[out->n++] = m;
                if (m < max_len) break;
            }
            line = nl ? nl + 1 : NULL;
        }
    } else {
        if (!g->vocab || g->vocab->n_tokens <= 0 || !g->vocab->text_off) {
            snprintf(err, errlen, "%s is text but the model has no tokenizer (give token ids)", path);
            goto done;
        }
        size_t tcap = LMRT_TOK_CAP(n);
        int32_t *tok = tcap < (size_t)1 << 31 ? malloc(tcap * sizeof *tok) : NULL;
        if (!tok) goto done;
        int m = lmrt_encode(g->vocab, text, n, 0, tok, (int)tcap);
        if (m < 0) { free(tok); snprintf(err, errlen, "%s: cannot tokenize (error %d)", path, m); goto done; }
        int per = max_len - 1, nseq = (m + per - 1) / per;
        if (seqs_alloc(out, nseq)) { free(tok); goto done; }
        for (int s = 0; s < nseq; s++) {
            int len = m - s * per < per ? m - s * per : per;
            int *ids = malloc((size_t)(len + 1) * sizeof *ids);
            if (!ids) { free(tok); goto done; }
            ids[0] = seqs_bos(g); /* every sequence starts like the model was trained */
            for (int j = 0; j < len; j++) ids[1 + j] = tok[s * per + j];
            out->ids[s] = ids;
            out->len[s] = len + 1;
            out->n = s + 1;
        }
        free(tok);
    }
    if (out->n == 0) { snprintf(err, errlen, "%s: no tokens", path); goto done; }
    rc = 0;
done:
    if (rc && !err[0]) snprintf(err, errlen, "out of memory reading %s", path);
    if (rc) lmcc_eval_seqs_free(out);
    free(text);
    return rc;
}

int lmcc_eval_calib_mib(void) {
    const char *e = getenv("LMCC_CALIB_MIB");
    double mib = e && atof(e) > 0 ? atof(e) : 2048;
    return mib < 1 ? 1 : mib > 1048576 ? 1048576 : (int)mib;
}

int lmcc_eval_calib_default_seqs(const ir_graph *g, int len, int batched) {
    const char *e = getenv("LMCC_CALIB_SEQS");
    if (e && atoi(e) > 0) return atoi(e);
    int max_seqs = batched ? LMCC_CALIB_SEQS_BATCHED : LMCC_CALIB_SEQS_INTERP;
    if (len < 1) len = 1;
    /* the forward: ~0.4 TFLOP (2 flops per weight and position) */
    double params = 0;
    for (int i = 0; i < g->n_tensors; i++)
        if (!g->tensors[i].dead && g->tensors[i].kind == IR_KIND_WEIGHT && g->tensors[i].ndim == 2)
            params += (double)ir_tensor_elems(&g->tensors[i]);
    double fit = 4e11 / (2.0 * (params > 1 ? params : 1) * len);
    int n = fit >= max_seqs ? max_seqs : fit <= LMCC_CALIB_SEQS_MIN ? LMCC_CALIB_SEQS_MIN : (int)fit;
    /* the memory: the batched evaluator's activations (both lanes, no logits) and the sampler's
     * KV caches within LMCC_CALIB_MIB; both grow linearly with the count, so step down */
    double cap = (double)lmcc_eval_calib_mib() * 1048576.0;
    while (batched && n > LMCC_CALIB_SEQS_MIN) {
        int64_t a = lmcc_eval_seq_bytes(g, (int64_t)n * len, 1, 1, 0), b = lmcc_eval_step_bytes(g, n, len);
        if (a >= 0 && b >= 0 && (double)a <= cap && (double)b <= cap) break;
        n = n * 7 / 8 > LMCC_CALIB_SEQS_MIN ? n * 7 / 8 : LMCC_CALIB_SEQS_MIN;
    }
    return n;
}

int lmcc_eval_seqs_for_calib(const ir_graph *g, int batched, lmcc_eval_seqs *out, char *err, size_t errlen) {
    int len = g->cfg.calib_len > 0 ? g->cfg.calib_len : 128;
    if (len > g->cfg.ctx) len = g->cfg.ctx;
    if (g->cfg.calib_path) return lmcc_eval_seqs_read(g, g->cfg.calib_path, len, out, err, errlen);
    int nseq = g->cfg.calib_seqs > 0 ? g->cfg.calib_seqs : lmcc_eval_calib_default_seqs(g, len, batched);
    /* a seed apart from lmcc quality's default, so evaluation is not on the calibration text */
    return lmcc_eval_seqs_sample(g, nseq, len, 0xCA11B, out, err, errlen);
}

/* ---- recording ----------------------------------------------------------- */


typedef struct calib_ctx {
    const ir_graph *g;
    struct { lmcc_eval_calib *c; int *slot; int keep; } run; /* slot: tensor id -> index in c->acts, -1 */
} calib_ctx;

static void calib_hook_g(void *user, const lmcc_interp *it, int node) {
    calib_ctx *cx = user;
    const ir_node *n = &cx->g->nodes[node];
    if (!ir_op_table[n->op].linear) return;
    int s = cx->run.slot[n->inputs[0]];
    if (s < 0) return;
    lmcc_eval_calib_act *a = &cx->run.c->acts[s];
    const float *x = lmcc_interp_value(it, a->tensor);
    if (!x || a->seen < 0) return;
    /* several linears read one input: record it once per step (bit 62 of seen marks it) */
    if (a->seen & ((int64_t)1 << 62)) return;
    a->seen |= (int64_t)1 << 62;
    for (int64_t j = 0; j < a->k; j++) a->absmean[j] += fabs((double)x[j]);
    if (cx->run.keep) {
        memcpy(a->x + a->rows * a->k, x, (size_t)a->k * sizeof *x);
        a->rows++;
    }
}

int64_t lmcc_eval_calib_max_rows(const ir_graph *g, const int *tensors, int n_tensors, int64_t tokens) {
    double mib = lmcc_eval_calib_mib();
    double per_row = 0;
    for (int i = 0; i < n_tensors; i++) per_row += (double)g->tensors[tensors[i]].shape[0] * sizeof(float);
    int64_t m = per_row > 0 ? (int64_t)(mib * 1048576.0 / per_row) : tokens;
    if (m < 1) m = 1;
    return m < tokens ? m : tokens;
}

int lmcc_eval_calib_run(const ir_graph *g, const lmcc_eval_seqs *s, const int *tensors, int n_tensors, int64_t max_rows,
                   lmcc_eval_calib *out, FILE *progress, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int64_t total = 0;
    for (int i = 0; i < s->n; i++) total += s->len[i];
    if (max_rows < 1 || max_rows > total) max_rows = total;
    int64_t stride = (total + max_rows - 1) / max_rows;
    calib_ctx cx;
    memset(&cx, 0, sizeof cx);
    cx.g = g;
    cx.run.c = out;
    cx.run.slot = malloc((size_t)g->n_tensors * sizeof *cx.run.slot);
    out->acts = calloc((size_t)(n_tensors > 0 ? n_tensors : 1), sizeof *out->acts);
    lmcc_interp *it = NULL;
    if (!cx.run.slot || !out->acts) goto oom;
    for (int i = 0; i < g->n_tensors; i++) cx.run.slot[i] = -1;
    for (int i = 0; i < n_tensors; i++) {
        const ir_tensor *t = &g->tensors[tensors[i]];
        if (t->kind != IR_KIND_ACT || t->dtype != IR_DT_F32 || t->ndim != 1) {
            snprintf(err, errlen, "internal: calibration of %s (not a 1-D f32 activation)", t->name);
            goto fail;
        }
        lmcc_eval_calib_act *a = &out->acts[out->n++];
        a->tensor = tensors[i];
        a->k = t->shape[0];
        a->x = malloc((size_t)(max_rows * a->k) * sizeof *a->x);
        a->absmean = calloc((size_t)a->k, sizeof *a->absmean);
        if (!a->x || !a->absmean) goto oom;
        cx.run.slot[tensors[i]] = out->n - 1;
    }
    it = lmcc_interp_new(g);
    if (!it) { /* why: a node or weight it cannot evaluate, else memory */
        if (lmcc_interp_check(g, err, errlen) == 0) snprintf(err, errlen, "out of memory in the calibration interpreter");
        goto fail;
    }
    lmcc_interp_set_hook(it, calib_hook_g, &cx);
    int64_t tok = 0;
    for (int si = 0; si < s->n; si++) {
        lmcc_interp *fresh = si ? lmcc_interp_new(g) : NULL; /* a new KV cache per sequence */
        if (si) {
            if (!fresh) goto oom;
            lmcc_interp_free(it);
            it = fresh;
            lmcc_interp_set_hook(it, calib_hook_g, &cx);
        }
        for (int pos = 0; pos < s->len[si]; pos++, tok++) {
            cx.run.keep = tok % stride == 0 && out->acts[0].rows < max_rows;
            if (!lmcc_interp_step(it, s->ids[si][pos], pos)) {
                snprintf(err, errlen, "calibration: token %d at position %d is out of range", s->ids[si][pos], pos);
                goto fail;
            }
            for (int i = 0; i < out->n; i++) {
                out->acts[i].seen &= ~((int64_t)1 << 62);
                out->acts[i].seen++;
            }
        }
        if (progress)
            fprintf(progress, "lmcc: calibration: sequence %d/%d (%lld tokens)\n", si + 1, s->n, (long long)tok);
    }
    for (int i = 0; i < out->n; i++) {
        lmcc_eval_calib_act *a = &out->acts[i];
        for (int64_t j = 0; j < a->k; j++) a->absmean[j] /= a->seen > 0 ? (double)a->seen : 1.0;
    }
    lmcc_interp_free(it);
    free(cx.run.slot);
    return 0;
oom:
    snprintf(err, errlen, "out of memory in calibration");
fail:
    lmcc_interp_free(it);
    free(cx.run.slot);
    lmcc_eval_calib_free(out);
    return -1;
}

void lmcc_eval_calib_free(lmcc_eval_calib *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++) free(c->acts[i].x), free(c->acts[i].absmean);
    free(c->acts);
    memset(c, 0, sizeof *c);
}

const lmcc_eval_calib_act *lmcc_eval_calib_find(const lmcc_eval_calib *c, int tensor) {
    for (int i = 0; i < c->n; i++)
        if (c->acts[i].tensor == tensor) return &c->acts[i];
    return NULL;
}
