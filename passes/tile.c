/* tile.c - repacks the linear weights of a tiled format (the tile column of IR_DTYPE_LIST:
 * q4_0, q8_0) into the target's R-row tiles (layout: runtime-min/lmrt_tiled.h), so one
 * activation block feeds R rows and each thread streams one contiguous byte range. */
#include "passes.h"

#include <stdlib.h>
#include <string.h>

#include "lmrt_tiled.h"

/* Returns a new owned buffer with t's rows tiled, or NULL when out of memory. */
static void *tile_data(const ir_tensor *t, int R, size_t *nbytes) {
    int type = ir_dtype_lmrt_type(t->dtype);
    int rows = (int)t->shape[0], K = (int)t->shape[1];
    *nbytes = lmrt_tiled_bytes(type, R, rows, K);
    void *dst = malloc(*nbytes);
    if (dst && lmrt_tile_weights(type, R, t->data, rows, K, dst) != 0) {
        free(dst);
        return NULL;
    }
    return dst;
}

/* Tile rows for a weight of `rows` rows in format dt: the target's, halved while it is a multiple of
 * 32 that does not divide rows, so a wider tile never pads a weight more than 16-row tiles would
 * (the kernels of such targets take any R % 16 == 0). */
static int pick_tile_rows(const ir_config *cfg, ir_dtype dt, int64_t rows) {
    int R = dt == IR_DT_Q8_0 && cfg->tile_rows_q8 ? cfg->tile_rows_q8 : cfg->tile_rows;
    while (R >= 32 && R % 32 == 0 && rows % R) R /= 2;
    return R;
}

int lmcc_pass_tile(ir_graph *g, lmcc_diag *pc) {
    if (g->cfg.tile_rows <= 1 && g->cfg.tile_rows_q8 <= 1) return 0;
    int nt = g->n_tensors;
    /* per weight: bit 0 = read by a linear-family op as its weight, bit 1 = read otherwise */
    unsigned char *use = calloc((size_t)nt + 1, 1);
    if (!use) {
        snprintf(pc->err, sizeof pc->err, "tile: out of memory");
        return -1;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < ir_op_table[n->op].n_inputs; k++) {
            int id = n->inputs[k];
            if (id < 0 || id >= nt) continue;
            use[id] |= (ir_op_table[n->op].linear && k == 1) ? 1 : 2;
        }
    }
    int n_tiled = 0, n_split = 0, rmin = 0, rmax = 0;
    size_t bytes = 0;
    for (int id = 0; id < nt; id++) {
        ir_tensor *t = &g->tensors[id];
        if (!(use[id] & 1) || t->dead || t->kind != IR_KIND_WEIGHT || t->ndim != 2 || t->tile_rows > 1 ||
            !ir_dtype_kernel_name(t->dtype, 1))
            continue;
        int R = pick_tile_rows(&g->cfg, t->dtype, t->shape[0]);
        if (R <= 1) continue;
        size_t nb;
        void *d = tile_data(t, R, &nb);
        if (!d) {
            free(use);
            snprintf(pc->err, sizeof pc->err, "tile: out of memory tiling %s", t->name);
            return -1;
        }
        int target = id;
        if (use[id] & 2) {
            /* also read by row (tied embedding): the linears get a tiled copy */
            char name[IR_NAME_MAX];
            snprintf(name, sizeof name, "%.*s.tiled", IR_NAME_MAX - 7, t->name);
            ir_tensor copy = *t;
            target = ir_weight_add(g, name, copy.dtype, 2, copy.shape, NULL, 0);
            if (target < 0) {
                free(d), free(use);
                snprintf(pc->err, sizeof pc->err, "tile: cannot add %s", name);
                return -1;
            }
            for (int i = 0; i < g->n_nodes; i++) {
                ir_node *n = &g->nodes[i];
                if (!n->dead && ir_op_table[n->op].linear && n->inputs[1] == id) n->inputs[1] = target;
            }
            n_split++;
        } else {
            free(t->owned);
        }
        ir_tensor *w = &g->tensors[target]; /* ir_weight_add may have moved the array */
        w->owned = d;
        w->data = d;
        w->nbytes = nb;
        w->tile_rows = R;
        bytes += nb;
        n_tiled++;
        rmin = n_tiled == 1 || R < rmin ? R : rmin;
        rmax = R > rmax ? R : rmax;
    }
    free(use);
    if (pc->verbose && pc->log)
        fprintf(pc->log, "tile: %d weights repacked into %d..%d-row tiles (%zu bytes, %d tied copies)\n", n_tiled,
                rmin, rmax, bytes, n_split);
    return 0;
}
