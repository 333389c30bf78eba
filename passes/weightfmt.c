/* weightfmt.c - converts weights to the --weights format. */
#include "passes.h"

#include <stdlib.h>
#include <string.h>

#include "lmrt_quant.h"
#include "quant.h"

static int keep_supports(ir_dtype t) {
    return t == IR_DT_F32 || t == IR_DT_F16 || t == IR_DT_Q8_0 || t == IR_DT_Q4_0 || t == IR_DT_Q4_1 ||
           t == IR_DT_Q5_0 || t == IR_DT_Q5_1 || t == IR_DT_Q4_K || t == IR_DT_Q5_K || t == IR_DT_Q6_K; /* kernels: lmrt_kernels_q4x.h */
}

/* Re-encodes t into `want`, row by row, through f32. */
static int convert(ir_tensor *t, ir_dtype want, lmcc_diag *pc) {
    int64_t k = t->shape[t->ndim - 1];
    int64_t rows = ir_tensor_elems(t) / k;
    size_t src_row = ir_row_bytes(t->dtype, k), dst_row = ir_row_bytes(want, k);
    uint8_t *dst = malloc((size_t)rows * dst_row);
    float *buf = malloc((size_t)k * sizeof *buf);
    if (!dst || !buf) {
        free(dst), free(buf);
        snprintf(pc->err, sizeof pc->err, "out of memory converting weight %s", t->name);
        return -1;
    }
    const uint8_t *src = t->data;
    for (int64_t r = 0; r < rows; r++) {
        uint8_t *d = dst + (size_t)r * dst_row;
        if (lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype), src + (size_t)r * src_row, buf, k) != 0) {
            free(dst), free(buf);
            snprintf(pc->err, sizeof pc->err, "weight %s is %s, which lmcc cannot convert", t->name,
                     ir_dtype_name(t->dtype));
            return -1;
        }
        switch (want) {
        case IR_DT_F32: memcpy(d, buf, (size_t)k * sizeof *buf); break;
        case IR_DT_F16:
            for (int64_t j = 0; j < k; j++) { /* little-endian, like GGUF */
                uint16_t h = lmrt_f32_to_f16(buf[j]);
                d[2 * j] = (uint8_t)(h & 0xff);
                d[2 * j + 1] = (uint8_t)(h >> 8);
            }
            break;
        case IR_DT_Q8_0: lmrt_quantize_row_q8_0(buf, d, k); break;
        case IR_DT_Q4_0: lmrt_quantize_row_q4_0(buf, d, k); break;
        case IR_DT_Q3_G64: case IR_DT_Q5_G64: case IR_DT_Q6_G64:
        case IR_DT_Q4_1: case IR_DT_Q5_0: case IR_DT_Q5_1: case IR_DT_Q4_G16: case IR_DT_Q4_G64:
        case IR_DT_Q4_G128: case IR_DT_NF4: case IR_DT_NF4_G64: lmrt_quantize_row(ir_dtype_lmrt_type(want), buf, d, k); break;
        default:
            free(dst), free(buf);
            snprintf(pc->err, sizeof pc->err, "internal: weightfmt cannot encode %s", ir_dtype_name(want));
            return -1;
        }
    }
    free(buf);
    free(t->owned); /* safe: the old bytes were consumed above */
    t->owned = dst;
    t->data = dst;
    t->dtype = want;
    t->nbytes = (size_t)rows * dst_row;
    return 0;
}

int lmcc_pass_weightfmt(ir_graph *g, lmcc_diag *pc) {
    static const ir_dtype mode_dtype[] = {IR_DT_F32,    IR_DT_F16,    IR_DT_Q8_0,    IR_DT_Q4_0,
                                          IR_DT_F32 /* keep */, IR_DT_Q4_1, IR_DT_Q4_G16, IR_DT_Q4_G64,
                                          IR_DT_Q4_G128, IR_DT_NF4,  IR_DT_NF4_G64, IR_DT_Q5_0,
                                          IR_DT_Q5_1, IR_DT_Q3_G64, IR_DT_Q5_G64, IR_DT_Q6_G64};
    int mode = g->cfg.weights_mode;
    if (mode < IR_WEIGHTS_F32 || mode > IR_WEIGHTS_Q6_G64) {
        snprintf(pc->err, sizeof pc->err, "internal: unknown weights mode %d", mode);
        return -1;
    }
    /* the quantization algorithms (quant/quant.h) write the formats they know first */
    if (g->cfg.quant != IR_QUANT_PLAIN && lmcc_quant_weights(g, pc) != 0) return -1;
    size_t before = 0, after = 0;
    int n_conv = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        if (t->dead || t->kind != IR_KIND_WEIGHT) continue;
        before += t->nbytes;
        ir_dtype want = IR_DT_F32; /* 1-D (norm) weights: kernels read f32 */
        if (strcmp(t->name, "rope.table") == 0) {
            want = t->dtype; /* precomputed cos/sin: never requantize */
        } else if (t->ndim == 2) {
            if (t->want_dtype >= 0) { /* chosen per tensor (mixprec) */
                want = (ir_dtype)t->want_dtype;
            } else if (mode != IR_WEIGHTS_KEEP) {
                want = mode_dtype[mode];
                if (ir_dtype_is_quant(want) && g->cfg.embed_f16 && lmcc_quant_embed_only(g, i)) want = IR_DT_F16;
            } else if (keep_supports(t->dtype)) {
                want = t->dtype;
            } else {
                snprintf(pc->err, sizeof pc->err,
                         "weight %s is %s; --weights keep supports f32, f16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, "
                         "q6_k (use --weights q8 or q4)", t->name, ir_dtype_name(t->dtype));
                return -1;
            }
        }
        if (t->dtype != want) {
            if (convert(t, want, pc) != 0) return -1;
            n_conv++;
        }
        after += t->nbytes;
    }
    if (pc->verbose)
        fprintf(pc->log ? pc->log : stderr, "weightfmt: %d weights converted; %zu bytes -> %zu bytes\n",
                n_conv, before, after);
    return 0;
}
