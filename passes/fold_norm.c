/* fold_norm.c - rmsnorm(x, w) feeding only linears -> normalize(x), with w folded
 * into each linear's weight: W (w * x^) = (W diag(w)) x^.  Runs before weightfmt and
 * quantize, so the folded f32 weights are then rounded to the chosen format. */
#include "fuse_util.h"

#include <stdlib.h>

/* 1 if every reader of norm output o is a linear-family x whose weight may be folded */
static int fold_ok(const ir_graph *g, int o) {
    int n_readers = 0;
    if (o == g->logits) return 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < ir_op_table[n->op].n_inputs; k++) {
            if (n->inputs[k] != o) continue;
            if (!ir_op_table[n->op].linear || k != 0) return 0;
            const ir_tensor *w = &g->tensors[n->inputs[1]];
            /* a shared weight (tied embedding) would need a copy: not worth it */
            if (w->tile_rows > 1 || w->ndim != 2 || ir_tensor_uses(g, n->inputs[1]) != 1) return 0;
            /* KEEP keeps the stored format: folding would need requantization */
            if (g->cfg.weights_mode == IR_WEIGHTS_KEEP && w->dtype != IR_DT_F32) return 0;
            n_readers++;
        }
    }
    return n_readers > 0;
}

int lmcc_pass_fold_norm(ir_graph *g, lmcc_diag *pc) {
    if (!g->cfg.fuse) return 0;
    int n_fold = 0, n_w = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ir_node *nd = &g->nodes[i];
        if (nd->dead || nd->op != IR_OP_RMSNORM || !fold_ok(g, nd->output)) continue;
        int wn = nd->inputs[1];
        float *w = ir_weight_f32(&g->tensors[wn]);
        if (!w) {
            snprintf(pc->err, sizeof pc->err, "fold_norm: out of memory");
            return -1;
        }
        int64_t D = ir_tensor_elems(&g->tensors[wn]);
        for (int j = 0; j < g->n_nodes; j++) {
            ir_node *c = &g->nodes[j];
            if (c->dead || c->inputs[0] != nd->output || !ir_op_table[c->op].linear) continue;
            ir_tensor *W = &g->tensors[c->inputs[1]];
            float *f = ir_weight_f32(W);
            if (!f) {
                free(w);
                snprintf(pc->err, sizeof pc->err, "fold_norm: out of memory");
                return -1;
            }
            int64_t rows = W->shape[0], K = W->shape[1];
            for (int64_t r = 0; r < rows; r++)
                for (int64_t k = 0; k < K && k < D; k++) f[r * K + k] *= w[k];
            fu_weight_set_f32(W, f);
            n_w++;
        }
        free(w);
        nd->op = IR_OP_NORMALIZE;
        nd->inputs[1] = -1;
        fu_drop_if_unused(g, wn);
        n_fold++;
    }
    if (pc->verbose)
        fprintf(fu_log(pc), "fold_norm: %d rmsnorm weights folded into %d linear weights\n", n_fold, n_w);
    return 0;
}
