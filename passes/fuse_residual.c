/* fuse_residual.c - add(r, linear(x, W)) -> linear_add(x, W, r): the residual is
 * added in the matmul epilogue instead of a separate pass over memory. */
#include "fuse_util.h"

int lmcc_pass_fuse_residual(ir_graph *g, lmcc_diag *pc) {
    if (!g->cfg.fuse) return 0;
    int n_fused = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ir_node *a = &g->nodes[i];
        if (a->dead || a->op != IR_OP_ADD) continue;
        for (int k = 1; k >= 0; k--) {
            int l = a->inputs[k], r = a->inputs[1 - k];
            int p = ir_tensor_producer(g, l);
            if (l == r || p < 0 || g->nodes[p].op != IR_OP_LINEAR || ir_tensor_uses(g, l) != 1 || l == g->logits) continue;
            a->op = IR_OP_LINEAR_ADD;
            a->inputs[0] = g->nodes[p].inputs[0];
            a->inputs[1] = g->nodes[p].inputs[1];
            a->inputs[2] = r;
            fu_kill_node(g, p);
            n_fused++;
            break;
        }
    }
    if (pc->verbose) fprintf(fu_log(pc), "fuse_residual: %d linear+add pairs -> linear_add\n", n_fused);
    return 0;
}
