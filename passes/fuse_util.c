/* fuse_util.c - see fuse_util.h. */
#include "fuse_util.h"

#include <stdlib.h>
#include <string.h>

void fu_weight_set_f32(ir_tensor *t, float *w) {
    free(t->owned); /* after the caller read t->data */
    t->owned = w;
    t->data = w;
    t->dtype = IR_DT_F32;
    t->nbytes = (size_t)ir_tensor_elems(t) * sizeof(float);
}

int fu_weight_concat(ir_graph *g, const int *ids, int n, const char *name, lmcc_diag *pc) {
    const ir_tensor *t0 = &g->tensors[ids[0]];
    int64_t cols = t0->shape[1], rows = 0;
    int same = 1;
    for (int i = 0; i < n; i++) {
        const ir_tensor *t = &g->tensors[ids[i]];
        if (t->ndim != 2 || t->shape[1] != cols || t->tile_rows > 1) return -1;
        same &= t->dtype == t0->dtype;
        rows += t->shape[0];
    }
    if (!same && g->cfg.weights_mode == IR_WEIGHTS_KEEP) return -1;
    ir_dtype dt = same ? t0->dtype : IR_DT_F32;
    size_t rb = ir_row_bytes(dt, cols), total = (size_t)rows * rb;
    uint8_t *buf = malloc(total ? total : 1);
    if (!buf) goto oom;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const ir_tensor *t = &g->tensors[ids[i]];
        size_t nb = (size_t)t->shape[0] * rb;
        if (same) {
            memcpy(buf + off, t->data, nb);
        } else {
            float *w = ir_weight_f32(t);
            if (!w) {
                free(buf);
                goto oom;
            }
            memcpy(buf + off, w, nb);
            free(w);
        }
        off += nb;
    }
    int64_t shape[2] = {rows, cols};
    int id = ir_weight_add(g, name, dt, 2, shape, buf, total);
    if (id >= 0) g->tensors[id].pad_cols = g->tensors[ids[0]].pad_cols;
    if (id < 0) {
        free(buf);
        goto oom;
    }
    g->tensors[id].owned = buf;
    return id;
oom:
    snprintf(pc->err, sizeof pc->err, "out of memory building weight %s", name);
    return -2;
}

void fu_drop_if_unused(ir_graph *g, int id) {
    if (id >= 0 && g->tensors[id].kind == IR_KIND_WEIGHT && ir_tensor_uses(g, id) == 0) g->tensors[id].dead = 1;
}

void fu_kill_node(ir_graph *g, int i) {
    g->nodes[i].dead = 1;
    if (g->nodes[i].output >= 0) g->tensors[g->nodes[i].output].dead = 1;
}

FILE *fu_log(lmcc_diag *pc) { return pc->log ? pc->log : stderr; }

int fu_move_appended(ir_graph *g, int nn, const int *before) {
    if (g->n_nodes == nn) return 0;
    ir_node *old = malloc((size_t)g->n_nodes * sizeof *old);
    if (!old) return -1;
    memcpy(old, g->nodes, (size_t)g->n_nodes * sizeof *old);
    int k = 0, q = nn;
    for (int i = 0; i < nn; i++) {
        if (before[i] >= 0) g->nodes[k++] = old[q++];
        g->nodes[k++] = old[i];
    }
    free(old);
    return 0;
}
