/* dtype_lmrt.c - ir dtype -> runtime-min block-format type id. */
#include "ir.h"

#include "lmrt_quant.h"

int ir_dtype_lmrt_type(ir_dtype t) {
    switch (t) {
#define X(n, s, be, bb, gid) case IR_DT_##n: if ((gid) >= 0) return (gid); break;
        IR_DTYPE_LIST(X)
#undef X
    default: break;
    }
    switch (t) {
    case IR_DT_Q4_G16: return LMRT_LMCC_Q4_G16;
    case IR_DT_Q4_G64: return LMRT_LMCC_Q4_G64;
    case IR_DT_Q4_G128: return LMRT_LMCC_Q4_G128;
    case IR_DT_NF4: return LMRT_LMCC_NF4;
    case IR_DT_NF4_G64: return LMRT_LMCC_NF4_G64;
    case IR_DT_Q3_G64: return LMRT_LMCC_Q3_G64;
    case IR_DT_Q5_G64: return LMRT_LMCC_Q5_G64;
    case IR_DT_Q6_G64: return LMRT_LMCC_Q6_G64;
    default: return -1;
    }
}

int ir_dtype_reads_q8a(ir_dtype wt) {
    /* nf4 has no integer codes: it keeps f32 activations */
    return wt == IR_DT_Q8_0 || wt == IR_DT_Q4_0 || wt == IR_DT_Q4_1 || wt == IR_DT_Q5_0 || wt == IR_DT_Q5_1 ||
           wt == IR_DT_Q4_G16 || wt == IR_DT_Q4_G64 || wt == IR_DT_Q4_G128 || wt == IR_DT_Q3_G64 ||
           wt == IR_DT_Q5_G64 || wt == IR_DT_Q6_G64 || wt == IR_DT_Q4_K || wt == IR_DT_Q5_K || wt == IR_DT_Q6_K;
}
