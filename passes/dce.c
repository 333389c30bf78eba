/* dce.c - dead code elimination, backward from the logits. */
#include "passes.h"

#include <stdlib.h>

int lmcc_pass_dce(ir_graph *g, lmcc_diag *pc) {
    int nt = g->n_tensors, nn = g->n_nodes;
    if (g->logits < 0 || g->logits >= nt) {
        snprintf(pc->err, sizeof pc->err, "dce: graph has no logits tensor");
        return -1;
    }
    char *need = calloc((size_t)nt + 1, 1);      /* tensor value is needed */
    char *cache_read = calloc((size_t)nt + 1, 1); /* state read by a live node */
    char *live = calloc((size_t)nn + 1, 1);
    if (!need || !cache_read || !live) {
        free(need), free(cache_read), free(live);
        snprintf(pc->err, sizeof pc->err, "dce: out of memory");
        return -1;
    }
    /* The op table says who touches a cache: a side-effecting op writes its CACHE inputs, any
     * other op reads them.  A write without an output (kv_store) feeds the readers of later
     * steps wherever it sits, so iterate the backward sweep until the set of read caches stops
     * growing. */
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < nt; i++) need[i] = 0;
        need[g->logits] = 1;
        for (int i = nn - 1; i >= 0; i--) {
            ir_node *n = &g->nodes[i];
            const ir_op_info *oi = &ir_op_table[n->op];
            int l = 0;
            if (!n->dead) {
                int writes = 0; /* caches this output-less node writes */
                for (int k = 0; !oi->has_output && k < oi->n_inputs; k++)
                    if (oi->slot[k] == IR_SLOT_CACHE) writes = 1, l |= cache_read[n->inputs[k]];
                if (oi->has_output) l = n->output >= 0 && need[n->output];
                else if (!writes) l = oi->side_effect;
            }
            live[i] = (char)l;
            if (!l) continue;
            for (int k = 0; k < oi->n_inputs; k++) {
                need[n->inputs[k]] = 1;
                if (oi->slot[k] == IR_SLOT_CACHE && !oi->side_effect && !cache_read[n->inputs[k]])
                    cache_read[n->inputs[k]] = 1, changed = 1;
            }
        }
    }

    FILE *log = pc->log ? pc->log : stderr;
    int n_nodes = 0, n_weights = 0;
    size_t w_bytes = 0;
    for (int i = 0; i < nn; i++) {
        ir_node *n = &g->nodes[i];
        if (n->dead || live[i]) continue;
        n->dead = 1;
        n_nodes++;
        if (pc->verbose)
            fprintf(log, "dce: removed node %d (%s)%s%s%s\n", i, ir_op_table[n->op].name,
                    n->output >= 0 ? " \"" : "", n->output >= 0 ? g->tensors[n->output].name : "",
                    n->output >= 0 ? "\"" : "");
    }
    for (int i = 0; i < nt; i++) {
        ir_tensor *t = &g->tensors[i];
        if (t->dead || need[i] || i == g->token_input) continue;
        /* state written only by kv_stores nobody reads is dead as well */
        t->dead = 1;
        if (t->kind == IR_KIND_WEIGHT) {
            n_weights++;
            w_bytes += t->nbytes;
            if (pc->verbose) fprintf(log, "dce: removed weight \"%s\" (%zu bytes)\n", t->name, t->nbytes);
        } else if (t->kind == IR_KIND_STATE && pc->verbose) {
            fprintf(log, "dce: removed kv cache \"%s\"\n", t->name);
        }
    }
    if (pc->verbose)
        fprintf(log, "dce: removed %d nodes, %d weights (%zu bytes)\n", n_nodes, n_weights, w_bytes);
    free(need), free(cache_read), free(live);
    return 0;
}
