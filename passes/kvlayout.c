/* kvlayout.c - places the per-layer KV caches at the start of the arena. */
#include "passes.h"

int lmcc_pass_kvlayout(ir_graph *g, lmcc_diag *pc) {
    ir_dtype dt = g->cfg.kv_dtype;
    if (dt != IR_DT_F32 && dt != IR_DT_F16) {
        snprintf(pc->err, sizeof pc->err, "kv cache type %s not supported (use f32 or f16)",
                 ir_dtype_name(dt));
        return -1;
    }
    int64_t off = 0;
    int n = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        if (t->kind != IR_KIND_STATE) continue;
        if (t->dead) {
            t->arena_offset = -1;
            continue;
        }
        /* the frontend sizes caches by cfg.ctx; a mismatch is an lmcc bug */
        if (t->ndim != 3 || t->shape[1] != g->cfg.ctx) {
            snprintf(pc->err, sizeof pc->err,
                     "internal: kv cache \"%s\" is not [n_kv][%d][head_dim] (ndim %d, ctx %lld)",
                     t->name, g->cfg.ctx, t->ndim, t->ndim > 1 ? (long long)t->shape[1] : -1LL);
            return -1;
        }
        t->dtype = dt;
        t->arena_offset = off;
        off = (off + (int64_t)ir_tensor_bytes(t) + 63) & ~(int64_t)63;
        n++;
    }
    g->kv_bytes = off;
    if (pc->verbose)
        fprintf(pc->log ? pc->log : stderr, "kvlayout: %d caches, %s, ctx %d: %lld bytes\n", n,
                ir_dtype_name(dt), g->cfg.ctx, (long long)off);
    return 0;
}
