/* fuse_qkv.c - the attention prologue of a layer (linear q, k, v of one x; rope on q
 * and k; kv_store of k and v) -> one qkv node over the stacked weight [Wq; Wk; Wv]
 * whose epilogue ropes q and k and writes the caches.  Its output q feeds the attention.
 * A bias (Qwen2) or a head norm (Qwen3) between the linears and rope is not in the epilogue:
 * such a prologue stays unfused (said under -v). */
#include "fuse_util.h"

/* the only live kv_store into cache c, -1 if none or several */
static int store_of(const ir_graph *g, int c) {
    int found = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead || n->op != IR_OP_KV_STORE || n->inputs[1] != c) continue;
        if (found >= 0) return -1;
        found = i;
    }
    return found;
}

/* producer of t if it is a live `op` node and t has exactly one reader, else -1 */
static int sole(const ir_graph *g, int t, ir_opcode op) {
    int p = ir_tensor_producer(g, t);
    return p >= 0 && g->nodes[p].op == op && ir_tensor_uses(g, t) == 1 && t != g->logits ? p : -1;
}

int lmcc_pass_fuse_qkv(ir_graph *g, lmcc_diag *pc) {
    if (!g->cfg.fuse) return 0;
    int n_fused = 0, n_between = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *at = &g->nodes[i];
        if (at->dead || at->op != IR_OP_ATTENTION) continue;
        int kc = at->inputs[1], vc = at->inputs[2];
        int rq = sole(g, at->inputs[0], IR_OP_ROPE);
        int sk = store_of(g, kc), sv = store_of(g, vc);
        /* the caches must have no reader but this attention */
        if (rq < 0 || sk < 0 || sv < 0 || ir_tensor_uses(g, kc) != 2 || ir_tensor_uses(g, vc) != 2) continue;
        int rk = sole(g, g->nodes[sk].inputs[0], IR_OP_ROPE);
        int lv = sole(g, g->nodes[sv].inputs[0], IR_OP_LINEAR);
        int lq = sole(g, g->nodes[rq].inputs[0], IR_OP_LINEAR);
        int pq = ir_tensor_producer(g, g->nodes[rq].inputs[0]);
        if (pq >= 0 && (g->nodes[pq].op == IR_OP_ADD_BIAS || g->nodes[pq].op == IR_OP_HEAD_NORM)) {
            n_between++;
            continue;
        }
        int lk = rk >= 0 ? sole(g, g->nodes[rk].inputs[0], IR_OP_LINEAR) : -1;
        if (rk < 0 || lv < 0 || lq < 0 || lk < 0) continue;
        const ir_node *Q = &g->nodes[lq], *K = &g->nodes[lk], *V = &g->nodes[lv];
        const ir_attrs *qa = &g->nodes[rq].attrs, *ka = &g->nodes[rk].attrs, *aa = &at->attrs;
        int x = Q->inputs[0], tab = g->nodes[rq].inputs[1];
        if (K->inputs[0] != x || V->inputs[0] != x || g->nodes[rk].inputs[1] != tab ||
            qa->n_heads != aa->n_heads || ka->n_heads != aa->n_kv_heads || qa->head_dim != aa->head_dim ||
            ka->head_dim != aa->head_dim || qa->rope_dim != ka->rope_dim || qa->rope_neox != ka->rope_neox)
            continue;
        int order[7] = {lq, lk, lv, rq, rk, sk, sv}, last = -1;
        for (int j = 0; j < 7; j++) last = order[j] > last ? order[j] : last;
        if (last > i) continue; /* a store after the attention: not this pattern */
        int w[3] = {Q->inputs[1], K->inputs[1], V->inputs[1]};
        char name[IR_NAME_MAX];
        if (aa->layer >= 0) snprintf(name, sizeof name, "blk.%d.attn_qkv.weight", aa->layer);
        else snprintf(name, sizeof name, "attn_qkv.%d.weight", i);
        int wc = fu_weight_concat(g, w, 3, name, pc);
        if (wc == -2) return -1;
        if (wc < 0) continue;
        ir_attrs fa = g->nodes[i].attrs; /* heads, kv heads, head_dim, scale, layer */
        fa.rope_dim = qa->rope_dim;
        fa.rope_neox = qa->rope_neox;
        int q_out = g->nodes[i].inputs[0];
        for (int j = 0; j < 7; j++)
            if (order[j] != last) fu_kill_node(g, order[j]);
        /* the last of the seven becomes the fused node: x, the rope rows and the caches
         * are all defined before it, and only the attention (after it) reads q */
        ir_node *f = &g->nodes[last];
        f->op = IR_OP_QKV;
        f->inputs[0] = x;
        f->inputs[1] = wc;
        f->inputs[2] = tab;
        f->inputs[3] = kc;
        f->inputs[4] = vc;
        f->attrs = fa;
        if (f->output >= 0 && f->output != q_out) g->tensors[f->output].dead = 1;
        f->output = q_out;
        g->tensors[q_out].dead = 0;
        if (last != rq) g->nodes[rq].output = -1; /* q now comes from the fused node */
        for (int j = 0; j < 3; j++) fu_drop_if_unused(g, w[j]);
        n_fused++;
    }
    if (pc->verbose) fprintf(fu_log(pc), "fuse_qkv: %d attention prologues -> qkv\n", n_fused);
    if (pc->verbose && n_between)
        fprintf(fu_log(pc), "fuse_qkv: %d attention prologues left unfused: a bias or a head norm between the linears "
                "and rope (the qkv epilogue has neither)\n", n_between);
    return 0;
}
