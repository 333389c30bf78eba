/* weightfmt.c - decides the format of every weight: mixprec's choice, else --weights (the
 * token-embedding table f16 under block formats unless --embedding same), f32 for 1-D weights,
 * as stored under --weights keep (an error, here before any calibration, when no kernel reads
 * the stored format).  The decision goes into want_dtype; the widening to f32 (exact) happens
 * here, every rounding (to f16 or a block format) in the quantize pass after it, so its
 * calibration still sees the weights it does not round yet as they are. */
#include "fuse_util.h"

#include <stdlib.h>
#include <string.h>

#include "quant.h"

/* "f32, f16, q4_0, ...": the formats --weights keep compiles as stored (those a GGUF file can hold) */
static void keep_list(char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = 0;
    for (int d = 0; d < IR_DT_COUNT && n < cap; d++)
        if (ir_dtype_get((ir_dtype)d)->kern && ir_dtype_get((ir_dtype)d)->gguf >= 0)
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", ir_dtype_name((ir_dtype)d));
}

int lmcc_pass_weightfmt(ir_graph *g, lmcc_diag *pc) {
    int mode = g->cfg.weights_mode;
    if (mode != IR_WEIGHTS_KEEP && !ir_dtype_get((ir_dtype)mode)->kern) {
        snprintf(pc->err, sizeof pc->err, "internal: --weights %s has no kernels", ir_dtype_name((ir_dtype)mode));
        return -1;
    }
    int n_wide = 0, n_round = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        if (t->dead || t->kind != IR_KIND_WEIGHT) continue;
        int want = lmcc_quant_target(g, i);
        if (want < 0 && t->ndim == 2 && !ir_dtype_get(t->dtype)->kern) {
            char list[160];
            keep_list(list, sizeof list);
            snprintf(pc->err, sizeof pc->err, "weight %s is %s; --weights keep supports %s (use --weights q8 or q4)",
                     t->name, ir_dtype_name(t->dtype), list);
            return -1;
        }
        t->want_dtype = want;
        if (want == IR_DT_F32 && t->dtype != IR_DT_F32) { /* exact: every dtype lmcc reads widens to f32 */
            float *w = ir_weight_f32(t);
            if (!w) {
                snprintf(pc->err, sizeof pc->err, "weight %s is %s: out of memory, or lmcc cannot convert it", t->name,
                         ir_dtype_name(t->dtype));
                return -1;
            }
            fu_weight_set_f32(t, w);
            n_wide++;
        }
        n_round += want >= 0 && t->dtype != (ir_dtype)want;
    }
    if (pc->verbose)
        fprintf(pc->log ? pc->log : stderr, "weightfmt: %d weights widened to f32, %d to round (quantize)\n", n_wide,
                n_round);
    return 0;
}
