/* fuse_ffn.c - swiglu(linear(x, Wg), linear(x, Wu)) -> linear_swiglu(x, [Wg; Wu]):
 * one pass over x, and the gate/up activations never reach memory.  A GELU-gated FFN
 * (geglu) stays unfused: its two linears are the ordinary matmul kernels, as fast per
 * weight byte, and only the 2 x ffn-wide activations go through memory (said under -v). */
#include "fuse_util.h"

int lmcc_pass_fuse_ffn(ir_graph *g, lmcc_diag *pc) {
    if (!g->cfg.fuse) return 0;
    int n_fused = 0, n_geglu = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ir_node *s = &g->nodes[i];
        n_geglu += !s->dead && s->op == IR_OP_GEGLU;
        if (s->dead || s->op != IR_OP_SWIGLU) continue;
        int gt = s->inputs[0], ut = s->inputs[1];
        int pg = ir_tensor_producer(g, gt), pu = ir_tensor_producer(g, ut);
        if (gt == ut || pg < 0 || pu < 0 || g->nodes[pg].op != IR_OP_LINEAR || g->nodes[pu].op != IR_OP_LINEAR ||
            g->nodes[pg].inputs[0] != g->nodes[pu].inputs[0] || ir_tensor_uses(g, gt) != 1 || ir_tensor_uses(g, ut) != 1)
            continue;
        int x = g->nodes[pg].inputs[0];
        int w[2] = {g->nodes[pg].inputs[1], g->nodes[pu].inputs[1]};
        if (g->tensors[w[0]].ndim != 2 || g->tensors[w[1]].ndim != 2 ||
            g->tensors[w[0]].shape[0] != g->tensors[w[1]].shape[0])
            continue;
        char name[IR_NAME_MAX];
        if (s->attrs.layer >= 0) snprintf(name, sizeof name, "blk.%d.ffn_gate_up.weight", s->attrs.layer);
        else snprintf(name, sizeof name, "ffn_gate_up.%d.weight", i);
        int wc = fu_weight_concat(g, w, 2, name, pc);
        if (wc == -2) return -1;
        if (wc < 0) continue;
        s = &g->nodes[i];
        s->op = IR_OP_LINEAR_SWIGLU;
        s->inputs[0] = x;
        s->inputs[1] = wc;
        fu_kill_node(g, pg);
        fu_kill_node(g, pu);
        fu_drop_if_unused(g, w[0]);
        fu_drop_if_unused(g, w[1]);
        n_fused++;
    }
    if (pc->verbose) {
        fprintf(fu_log(pc), "fuse_ffn: %d gate/up/swiglu groups -> linear_swiglu", n_fused);
        if (n_geglu)
            fprintf(fu_log(pc), "; %d geglu left unfused (no fused GELU epilogue: the gate and up linears run as "
                                "plain matmuls)", n_geglu);
        fprintf(fu_log(pc), "\n");
    }
    return 0;
}
