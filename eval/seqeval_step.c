/* seqeval_step.c - lockstep decoding with the batched evaluator (seqeval.h,
 * lmcc_eval_step_*): one row per sequence, every buffer kept from step to step. */
#include <stdlib.h>
#include <string.h>

#include "seqeval_int.h"

/* ---- lockstep decoding ----------------------------------------------------- */

int64_t lmcc_eval_step_bytes(const ir_graph *g, int n_seqs, int max_len) {
    char *seen = calloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1), 1);
    double b = 0, tmp = 0;
    if (!seen) return -1;
    for (int ni = 0; ni < g->n_nodes; ni++) { /* persist: every buffer lives from its first use to the end */
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        int ids[8], c = seqeval_touches(g, ni, 1, ids);
        for (int i = 0; i < c; i++) {
            const ir_tensor *t = &g->tensors[ids[i]];
            if (seen[ids[i]]) continue;
            seen[ids[i]] = 1;
            b += (double)n_seqs * (t->kind == IR_KIND_STATE ? max_len : 1) * (double)seqeval_width(t) * sizeof(float);
        }
        for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) {
            const ir_tensor *t = &g->tensors[n->inputs[sl]];
            if (t->kind == IR_KIND_WEIGHT && !seqeval_slot_special(n->op, sl) && !seen[n->inputs[sl]])
                seen[n->inputs[sl]] = 1, b += (double)ir_tensor_elems(t) * sizeof(float);
        }
        double tw = (double)n_seqs * (double)seqeval_temp_width(g, n) * sizeof(float);
        if (tw > tmp) tmp = tw;
    }
    free(seen);
    b += tmp;
    return b < 9e18 ? (int64_t)b : INT64_MAX;
}

struct lmcc_eval_step {
    seqeval e;
    int n, max_len;
    int n_embed;   /* live EMBED nodes (their tables bound the tokens) */
    int64_t vocab; /* smallest embedding table */
};

void lmcc_eval_step_free(lmcc_eval_step *st) {
    if (!st) return;
    seqeval_release(&st->e);
    free(st);
}

lmcc_eval_step *lmcc_eval_step_new(const ir_graph *g, int n_seqs, int max_len, int threads, char *err, size_t errlen) {
    lmcc_eval_step *st = calloc(1, sizeof *st);
    if (!st) { snprintf(err, errlen, "out of memory in the calibration forward"); return NULL; }
    seqeval *e = &st->e;
    e->g = g, e->err = err, e->errlen = errlen;
    e->n_lanes = 1, e->persist = 1;
    e->threads = seqeval_threads(threads);
    st->n = n_seqs, st->max_len = max_len, st->vocab = INT64_MAX;
    if (g->logits < 0 || g->logits >= g->n_tensors || g->tensors[g->logits].kind != IR_KIND_ACT) {
        snprintf(err, errlen, "calibration: the graph has no logits");
        goto fail;
    }
    if (n_seqs < 1 || max_len < 1 || (g->cfg.ctx > 0 && max_len > g->cfg.ctx)) {
        snprintf(err, errlen, "calibration: cannot decode %d sequences of %d positions (context %d)", n_seqs, max_len,
                 g->cfg.ctx);
        goto fail;
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ir_node *n = &g->nodes[ni];
        if (n->dead) continue;
        if (seqeval_check_node(e, ni)) goto fail;
        for (int sl = 0; sl < ir_op_table[n->op].n_inputs; sl++) {
            const ir_tensor *t = &g->tensors[n->inputs[sl]];
            if (ir_op_table[n->op].slot[sl] == IR_SLOT_CACHE && max_len > ir_cache_positions(g, t)) {
                snprintf(err, errlen, "calibration: %d positions, cache %s holds %lld", max_len, t->name,
                         (long long)ir_cache_positions(g, t));
                goto fail;
            }
            if (ir_op_table[n->op].slot[sl] == IR_SLOT_ROWS) {
                st->n_embed++;
                if (t->shape[0] < st->vocab) st->vocab = t->shape[0];
            }
        }
    }
    e->rows = n_seqs, e->maxlen = max_len, e->cache_rows = (int64_t)n_seqs * max_len;
    if (seqeval_alloc_rows(e, n_seqs) || seqeval_setup(e, 1)) goto fail;
    for (int i = 0; i < n_seqs; i++) e->start[i] = (int64_t)i * max_len, e->seq[i] = i;
    return st;
fail:
    lmcc_eval_step_free(st);
    return NULL;
}

const float *lmcc_eval_step_next(lmcc_eval_step *st, const int *tokens, int pos, char *err, size_t errlen) {
    seqeval *e = &st->e;
    const ir_graph *g = e->g;
    e->err = err, e->errlen = errlen;
    if (pos < 0 || pos >= st->max_len) {
        snprintf(err, errlen, "calibration: position %d is outside [0, %d)", pos, st->max_len);
        return NULL;
    }
    for (int i = 0; i < st->n; i++) {
        if (st->n_embed && (tokens[i] < 0 || tokens[i] >= st->vocab)) {
            snprintf(err, errlen, "calibration: token %d (sequence %d, position %d) is out of range", tokens[i], i, pos);
            return NULL;
        }
        e->pos[i] = pos, e->tok[i] = tokens[i], e->crow[i] = e->start[i] + pos;
    }
    for (int ni = 0; ni < g->n_nodes; ni++)
        if (!g->nodes[ni].dead && seqeval_eval_node(e, &e->lane[0], ni)) return NULL;
    return seqeval_buf(e, &e->lane[0], g->logits);
}
