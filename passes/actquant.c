/* actquant.c - W8A8 / W4A8: each f32 input of a linear-family node whose weight format has
 * integer codes (the q8a column of IR_DTYPE_LIST) is quantized to q8a once (one quantize
 * node per distinct tensor, placed just before its first such reader), so the kernels run
 * integer dot products. */
#include "fuse_util.h"

#include <stdlib.h>
#include <string.h>

static int wants_q8a(const ir_graph *g, const ir_node *n) {
    if (n->dead || !ir_op_table[n->op].linear) return 0;
    return ir_dtype_reads_q8a(g->tensors[n->inputs[1]].dtype) && g->tensors[n->inputs[0]].dtype == IR_DT_F32;
}

int lmcc_pass_actquant(ir_graph *g, lmcc_diag *pc) {
    if (!g->cfg.act_q8) return 0;
    int nn = g->n_nodes, nt = g->n_tensors, n_q = 0, n_rewired = 0;
    int *qid = malloc(((size_t)nt + 1) * sizeof *qid);   /* f32 tensor -> its q8a tensor */
    int *first = malloc(((size_t)nn + 1) * sizeof *first); /* node -> tensor quantized before it */
    if (!qid || !first) goto oom;
    for (int i = 0; i < nt; i++) qid[i] = -1;
    for (int i = 0; i < nn; i++) first[i] = -1;
    for (int i = 0; i < nn; i++) {
        if (!wants_q8a(g, &g->nodes[i])) continue;
        int x = g->nodes[i].inputs[0];
        if (qid[x] < 0) {
            const ir_tensor *t = &g->tensors[x];
            char name[IR_NAME_MAX];
            snprintf(name, sizeof name, "%.*s.q8a", IR_NAME_MAX - 5, t->name);
            int64_t shape[IR_MAX_DIMS];
            int ndim = t->ndim;
            memcpy(shape, t->shape, sizeof shape);
            int in[IR_MAX_INPUTS] = {x, -1, -1, -1, -1};
            ir_attrs qa = g->nodes[i].attrs; /* ir_node_add may move g->nodes */
            int q = ir_node_add(g, IR_OP_QUANTIZE, in, &qa, name, ndim, shape);
            if (q < 0) goto oom;
            g->tensors[q].dtype = IR_DT_Q8A;
            qid[x] = q;
            first[i] = x;
            n_q++;
        }
        g->nodes[i].inputs[0] = qid[x];
        n_rewired++;
    }
    /* ir_node_add appended the quantize nodes: each goes before its first reader */
    if (n_q && fu_move_appended(g, nn, first)) goto oom;
    free(qid), free(first);
    if (pc->verbose)
        fprintf(fu_log(pc), "actquant: %d quantize nodes feed %d linear-family nodes (q8a activations)\n", n_q,
                n_rewired);
    return 0;
oom:
    free(qid), free(first);
    snprintf(pc->err, sizeof pc->err, "actquant: out of memory");
    return -1;
}
