/* memplan.c - liveness intervals of activations -> offsets in one arena. */
#include "passes.h"

#include <stdlib.h>

typedef struct { int id; int64_t size; int first, last; int64_t off; } slot;

static int64_t align64(int64_t x) { return (x + 63) & ~(int64_t)63; }

static int by_size_desc(const void *a, const void *b) {
    const slot *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    return x->id - y->id;
}

static int by_off(const void *a, const void *b) {
    const slot *x = *(const slot *const *)a, *y = *(const slot *const *)b;
    return x->off < y->off ? -1 : x->off > y->off;
}

int lmcc_pass_memplan(ir_graph *g, lmcc_diag *pc) {
    int nt = g->n_tensors, nn = g->n_nodes;
    for (int i = 0; i < nt; i++) {
        ir_tensor *t = &g->tensors[i];
        if (t->kind == IR_KIND_ACT) t->arena_offset = -1;
        if (t->kind != IR_KIND_STATE) t->first_use = t->last_use = -1;
    }
    /* An output is live from its node and inputs through their last reader,
     * so a node never writes over its own operands. */
    int has_attention = 0;
    for (int i = 0; i < nn; i++) {
        ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        has_attention |= n->op == IR_OP_ATTENTION;
        for (int k = 0; k < ir_op_table[n->op].n_inputs; k++) {
            ir_tensor *t = &g->tensors[n->inputs[k]];
            if (t->kind == IR_KIND_ACT && t->last_use < i) t->last_use = i;
        }
        if (n->output >= 0) {
            ir_tensor *t = &g->tensors[n->output];
            t->first_use = i;
            if (t->last_use < i) t->last_use = i;
        }
    }
    /* forward_all runs the nodes from take_last on once per row: what take_last reads must outlive
     * them all, or row 0's output buffers overwrite the rows after it */
    for (int i = 0; i < nn; i++)
        if (!g->nodes[i].dead && g->nodes[i].op == IR_OP_TAKE_LAST)
            for (int k = 0; k < ir_op_table[IR_OP_TAKE_LAST].n_inputs; k++) {
                ir_tensor *t = &g->tensors[g->nodes[i].inputs[k]];
                if (t->kind == IR_KIND_ACT && nn > 0) t->last_use = nn - 1;
            }
    /* the logits are returned to the caller: nothing may reuse them */
    if (g->logits >= 0 && g->tensors[g->logits].first_use >= 0 && nn > 0)
        g->tensors[g->logits].last_use = nn - 1;

    slot *s = malloc(((size_t)nt + 1) * sizeof *s);
    slot **conf = malloc(((size_t)nt + 1) * sizeof *conf);
    if (!s || !conf) {
        free(s), free(conf);
        snprintf(pc->err, sizeof pc->err, "memplan: out of memory");
        return -1;
    }
    int ns = 0;
    int64_t naive = 0;
    for (int i = 0; i < nt; i++) {
        ir_tensor *t = &g->tensors[i];
        if (t->dead || t->kind != IR_KIND_ACT || t->first_use < 0) continue;
        slot *x = &s[ns++];
        x->id = i;
        x->size = ir_act_bytes(g, i); /* batch rows before take_last */
        x->first = t->first_use;
        x->last = t->last_use;
        x->off = -1;
        naive += x->size;
    }
    /* Greedy by size: each buffer goes to the lowest 64-aligned offset that
     * clears every already-placed buffer whose lifetime intersects its own. */
    qsort(s, (size_t)ns, sizeof *s, by_size_desc);
    int64_t act_end = 0;
    for (int i = 0; i < ns; i++) {
        int nc = 0;
        for (int j = 0; j < i; j++)
            if (s[j].first <= s[i].last && s[i].first <= s[j].last) conf[nc++] = &s[j];
        qsort(conf, (size_t)nc, sizeof *conf, by_off);
        int64_t off = 0;
        for (int j = 0; j < nc; j++) {
            if (off + s[i].size <= conf[j]->off) break;
            int64_t end = align64(conf[j]->off + conf[j]->size);
            if (end > off) off = end;
        }
        s[i].off = off;
        if (off + s[i].size > act_end) act_end = off + s[i].size;
    }
    int64_t base = align64(g->kv_bytes);
    for (int i = 0; i < ns; i++) g->tensors[s[i].id].arena_offset = base + s[i].off;
    free(s), free(conf);

    int64_t scratch = 0;
    /* attention scores: a row per thread as long as a cache of every position (ir_kv_rows), then
     * a chunk's sink queries and their rotations (--kv-policy slide) */
    int threads = g->cfg.threads > 1 ? g->cfg.threads : 1;
    int64_t rope, q = ir_sink_query_floats(g, &rope), batch = g->cfg.batch > 1 ? g->cfg.batch : 1;
    if (has_attention) scratch = ((int64_t)threads * ir_kv_rows(&g->cfg, g->cfg.ctx) + batch * (q + rope)) * 4;
    int64_t vocab = g->info.vocab_size;
    if (g->logits >= 0 && ir_tensor_elems(&g->tensors[g->logits]) > vocab)
        vocab = ir_tensor_elems(&g->tensors[g->logits]);
    if (vocab * 8 > scratch) scratch = vocab * 8;

    g->act_bytes = align64(act_end);
    g->naive_bytes = naive;
    g->scratch_offset = base + g->act_bytes;
    g->scratch_bytes = align64(scratch);
    g->arena_bytes = g->scratch_offset + g->scratch_bytes;
    if (pc->verbose)
        fprintf(pc->log ? pc->log : stderr,
                "memplan: arena %lld bytes (activations %lld + kv %lld + scratch %lld); "
                "naive sum of activation buffers %lld\n",
                (long long)g->arena_bytes, (long long)g->act_bytes, (long long)g->kv_bytes,
                (long long)g->scratch_bytes, (long long)naive);
    return 0;
}
