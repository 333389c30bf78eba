/* kvlayout.c - places the per-layer KV caches at the start of the arena.  A cache's slots
 * are the builder's (ir_kv_slots: ctx, or a ring for a sliding-window layer); the verifier
 * holds every attention to caches that serve its window. */
#include "passes.h"

int lmcc_pass_kvlayout(ir_graph *g, lmcc_diag *pc) {
    ir_dtype dt = g->cfg.kv_dtype;
    if (dt != IR_DT_F32 && dt != IR_DT_F16 && dt != IR_DT_Q8_KV) {
        snprintf(pc->err, sizeof pc->err, "kv cache type %s not supported (use f32, f16 or q8_kv)",
                 ir_dtype_name(dt));
        return -1;
    }
    int64_t off = 0, ring_bytes = 0;
    int n = 0, n_ring = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        if (t->kind != IR_KIND_STATE) continue;
        if (t->dead) {
            t->arena_offset = -1;
            continue;
        }
        /* the frontend sizes caches to at most cfg.ctx slots; anything else is an lmcc bug */
        if (t->ndim != 3 || t->shape[1] < 1 || t->shape[1] > g->cfg.ctx) {
            snprintf(pc->err, sizeof pc->err,
                     "internal: kv cache \"%s\" is not [n_kv][1..%d][head_dim] (ndim %d, slots %lld)",
                     t->name, g->cfg.ctx, t->ndim, t->ndim > 1 ? (long long)t->shape[1] : -1LL);
            return -1;
        }
        t->dtype = dt;
        t->arena_offset = off;
        off = (off + (int64_t)ir_tensor_bytes(t) + 63) & ~(int64_t)63;
        n++;
        if (t->shape[1] < g->cfg.ctx) n_ring++, ring_bytes += (int64_t)ir_tensor_bytes(t);
    }
    g->kv_bytes = off;
    if (pc->verbose) {
        fprintf(pc->log ? pc->log : stderr, "kvlayout: %d caches, %s, ctx %d: %lld bytes", n, ir_dtype_name(dt),
                g->cfg.ctx, (long long)off);
        if (n_ring) fprintf(pc->log ? pc->log : stderr, " (%d sliding-window rings: %lld bytes)", n_ring, (long long)ring_bytes);
        fprintf(pc->log ? pc->log : stderr, "\n");
    }
    return 0;
}
