/* query.c - questions about the live graph shared by the passes and the quantizers. */
#include "ir.h"

int ir_tensor_uses(const ir_graph *g, int id) {
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < ir_op_table[n->op].n_inputs; k++) c += n->inputs[k] == id;
    }
    return c;
}

int ir_tensor_producer(const ir_graph *g, int id) {
    if (id < 0) return -1;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && g->nodes[i].output == id) return i;
    return -1;
}
