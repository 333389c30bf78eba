/* quant_rtn.c - block formats for the quantizers and round-to-nearest with
 * a least-squares scale search (see quant.h). */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmrt_quant.h"

int lmcc_qfmt_get(ir_dtype dt, lmcc_qfmt *f) {
    memset(f, 0, sizeof *f);
    f->dt = dt;
    f->block_bytes = ir_dtype_block_bytes(dt);
    f->group = ir_dtype_block_elems(dt);
    f->nlev = 16;
    f->uniform = 1;
    f->zero = 8;
    switch (dt) {
    case IR_DT_Q8_0: f->nlev = 255; f->zero = 127; return 0;
    case IR_DT_Q4_0: case IR_DT_Q4_G16: case IR_DT_Q4_G64: case IR_DT_Q4_G128: return 0;
    case IR_DT_NF4: case IR_DT_NF4_G64: f->uniform = 0; f->nf4 = 1; f->zero = 7; return 0;
    case IR_DT_Q4_1: f->asym = 1; f->zero = 0; return 0;
    default: return -1;
    }
}

static float rtn_f16(float v) { return lmrt_f16_to_f32(lmrt_f32_to_f16(v)); }

static float rtn_lev(const lmcc_qfmt *f, int q) { return f->nf4 ? lmrt_nf4_value(q) : (float)(q - f->zero); }

int lmcc_qblock_code(const lmcc_qfmt *f, lmcc_qparams p, float x) {
    if (p.d == 0.0f || x != x) return f->zero;
    float t = (x - p.m) / p.d;
    if (f->nf4) {
        int q = 0;
        for (int k = 1; k < 16; k++)
            if (t > 0.5f * (lmrt_nf4_value(k - 1) + lmrt_nf4_value(k))) q = k;
        return q;
    }
    float r = floorf(t + 0.5f) + (float)f->zero;
    return r < 0 ? 0 : r > (float)(f->nlev - 1) ? f->nlev - 1 : (int)r;
}

float lmcc_qblock_value(const lmcc_qfmt *f, lmcc_qparams p, int q) { return rtn_lev(f, q) * p.d + p.m; }

static double rtn_err(const lmcc_qfmt *f, lmcc_qparams p, const float *x, const float *imp, int n) {
    double e = 0;
    for (int j = 0; j < n; j++) {
        double r = (double)x[j] - lmcc_qblock_value(f, p, lmcc_qblock_code(f, p, x[j]));
        e += (imp ? imp[j] : 1.0) * r * r;
    }
    return e;
}

/* least squares d (and m) for fixed codes, then f16 */
static lmcc_qparams rtn_refit(const lmcc_qfmt *f, lmcc_qparams p, const float *x, const float *imp, int n) {
    double sw = 0, sl = 0, sll = 0, sx = 0, slx = 0;
    for (int j = 0; j < n; j++) {
        double w = imp ? imp[j] : 1.0, l = rtn_lev(f, lmcc_qblock_code(f, p, x[j]));
        sw += w, sl += w * l, sll += w * l * l, sx += w * x[j], slx += w * l * x[j];
    }
    lmcc_qparams r = p;
    if (f->asym) {
        double det = sw * sll - sl * sl;
        if (det <= 0) return p;
        r.d = rtn_f16((float)((sw * slx - sl * sx) / det));
        r.m = rtn_f16((float)((sll * sx - sl * slx) / det));
    } else {
        if (sll <= 0) return p;
        r.d = rtn_f16((float)(slx / sll));
    }
    return r;
}

lmcc_qparams lmcc_qblock_fit(const lmcc_qfmt *f, const float *x, const float *imp, int n) {
    lmcc_qparams best = {0, 0};
    if (n <= 0) return best;
    float mn = x[0], mx = x[0], amax = 0, smax = 0;
    for (int j = 0; j < n; j++) {
        mn = x[j] < mn ? x[j] : mn;
        mx = x[j] > mx ? x[j] : mx;
        if (fabsf(x[j]) > amax) amax = fabsf(x[j]), smax = x[j];
    }
    if (amax == 0 || amax != amax) return best;
    double best_e = INFINITY;
    int steps = f->nlev > 16 ? 8 : 20;
    double step = f->nlev > 16 ? 0.01 : 0.025;
    for (int fam = 0; fam < 2; fam++) {
        for (int s = 0; s < steps; s++) {
            double r = 1.0 - step * s;
            lmcc_qparams p = {0, 0};
            if (f->asym) {
                /* shrink the range from both ends (fam 0) or toward the larger end (fam 1) */
                double lo = mn, hi = mx, span = (mx - mn) * (1 - r);
                if (fam == 0) lo += span / 2, hi -= span / 2;
                else if (-mn > mx) lo += span; else hi -= span;
                p.d = rtn_f16((float)((hi - lo) / 15.0));
                p.m = rtn_f16((float)lo);
            } else {
                /* the extreme on the long side of the codebook (fam 0: -8, ggml's rule) or the short one */
                float lmin = rtn_lev(f, 0), lmax = rtn_lev(f, f->nlev - 1);
                p.d = rtn_f16((float)(smax / (fam == 0 ? lmin : lmax) * r));
                if (f->nf4 && fam == 0) p.d = rtn_f16((float)(amax * r)); /* nf4: +1 and -1 both exist */
            }
            if (p.d == 0) continue;
            double e = rtn_err(f, p, x, imp, n);
            if (e < best_e) best_e = e, best = p;
        }
    }
    for (int it = 0; it < 2; it++) {
        lmcc_qparams p = rtn_refit(f, best, x, imp, n);
        double e = p.d != 0 ? rtn_err(f, p, x, imp, n) : INFINITY;
        if (!(e < best_e)) break;
        best_e = e, best = p;
    }
    return best;
}

void lmcc_qblock_pack(const lmcc_qfmt *f, lmcc_qparams p, const int *q, int n, uint8_t *dst) {
    uint16_t h = lmrt_f32_to_f16(p.d);
    dst[0] = (uint8_t)(h & 0xff), dst[1] = (uint8_t)(h >> 8);
    int G = f->group, off = 2;
    if (f->asym) {
        h = lmrt_f32_to_f16(p.m);
        dst[2] = (uint8_t)(h & 0xff), dst[3] = (uint8_t)(h >> 8);
        off = 4;
    }
    if (f->nlev > 16) {
        for (int j = 0; j < G; j++) dst[off + j] = (uint8_t)(int8_t)(j < n ? q[j] - f->zero : 0);
        return;
    }
    /* low nibbles: the first half of the block, high nibbles: the second */
    for (int j = 0; j < G / 2; j++) {
        int a = j < n ? q[j] : f->zero, b = j + G / 2 < n ? q[j + G / 2] : f->zero;
        dst[off + j] = (uint8_t)(a | (b << 4));
    }
}

void lmcc_quant_rtn_row(const lmcc_qfmt *f, const float *x, const float *imp, int64_t k, uint8_t *dst) {
    int q[256];
    for (int64_t i = 0; i < k; i += f->group, dst += f->block_bytes) {
        int n = k - i < f->group ? (int)(k - i) : f->group;
        lmcc_qparams p = lmcc_qblock_fit(f, x + i, imp ? imp + i : NULL, n);
        for (int j = 0; j < n; j++) q[j] = lmcc_qblock_code(f, p, x[i + j]);
        lmcc_qblock_pack(f, p, q, n, dst);
    }
}
