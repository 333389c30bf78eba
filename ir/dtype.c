/* dtype.c - the dtype table (IR_DTYPE_LIST) and what reads it: names, block sizes, runtime
 * type ids, kernel names and the --weights / --group / --act defaults. */
#include "ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmrt_quant.h"

static const ir_dtype_info dtype_table[IR_DT_COUNT] = {
#define X(n, s, be, bb, gguf, lmrt, cli, grp, min, q8a, kern, tile, bpw, lev, zero, nf4) \
    {s, be, bb, gguf, lmrt, cli, grp, min, q8a, kern, (tile) ? s "t" : NULL, bpw, lev, zero, nf4},
    IR_DTYPE_LIST(X)
#undef X
};

const ir_dtype_info *ir_dtype_get(ir_dtype t) {
    static const ir_dtype_info none = {"?", 0, 0, -1, -1, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0, 0};
    return (int)t >= 0 && t < IR_DT_COUNT ? &dtype_table[t] : &none;
}

const char *ir_dtype_name(ir_dtype t) { return ir_dtype_get(t)->name; }
int ir_dtype_block_elems(ir_dtype t) { return ir_dtype_get(t)->block_elems; }
int ir_dtype_block_bytes(ir_dtype t) { return ir_dtype_get(t)->block_bytes; }
int ir_dtype_is_quant(ir_dtype t) { return ir_dtype_block_elems(t) > 1; }
int ir_dtype_lmrt_type(ir_dtype t) { return ir_dtype_get(t)->lmrt; }
int ir_dtype_reads_q8a(ir_dtype t) { return ir_dtype_get(t)->q8a; }

double ir_dtype_bits(ir_dtype t) {
    const ir_dtype_info *d = ir_dtype_get(t);
    return d->block_elems ? 8.0 * d->block_bytes / d->block_elems : 0;
}

int ir_dtype_from_gguf(uint32_t gguf_type) {
    for (int i = 0; i < IR_DT_COUNT; i++)
        if (dtype_table[i].gguf >= 0 && (uint32_t)dtype_table[i].gguf == gguf_type) return i;
    return -1;
}

int ir_dtype_from_name(const char *s) {
    if (!s) return -1;
    for (int i = 0; i < IR_DT_COUNT; i++)
        if (strcmp(dtype_table[i].name, s) == 0) return i;
    return -1;
}

size_t ir_row_bytes(ir_dtype t, int64_t n) {
    const ir_dtype_info *d = ir_dtype_get(t);
    if (n <= 0) return 0;
    if (!d->block_elems) return d->block_bytes ? (size_t)n + (size_t)d->block_bytes : 0; /* one int8 block per row */
    return (size_t)((n + d->block_elems - 1) / d->block_elems) * (size_t)d->block_bytes;
}

const char *ir_dtype_kernel_name(ir_dtype t, int tiled) {
    const ir_dtype_info *d = ir_dtype_get(t);
    if (!d->kern) return NULL;
    return tiled ? d->tiled_kern : d->name;
}

float *ir_weight_f32(const ir_tensor *t) {
    if (t->tile_rows > 1 || !t->data || t->ndim < 1) return NULL;
    int64_t cols = t->shape[t->ndim - 1], rows = ir_tensor_elems(t) / cols;
    size_t rb = ir_row_bytes(t->dtype, cols);
    float *w = malloc((size_t)(rows * cols) * sizeof *w);
    if (!w) return NULL;
    for (int64_t r = 0; r < rows; r++)
        if (lmrt_dequant_row(ir_dtype_lmrt_type(t->dtype), (const uint8_t *)t->data + (size_t)r * rb, w + r * cols,
                             cols) != 0) {
            free(w);
            return NULL;
        }
    return w;
}

/* "a, b or c" of the n strings s into buf */
static void list_join(char *buf, size_t cap, const char *const *s, int n) {
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", s[i]);
}

int ir_weights_from_cli(const char *name, const char *group, int *mode, char *err, size_t errlen) {
    const char *items[IR_DT_COUNT + 1];
    char list[256];
    int n = 0;
    if (name) {
        int found = strcmp(name, "keep") == 0 ? IR_WEIGHTS_KEEP : -2;
        for (int i = 0; i < IR_DT_COUNT; i++) {
            if (!dtype_table[i].cli) continue;
            if (strcmp(dtype_table[i].cli, name) == 0) found = i;
            items[n++] = dtype_table[i].cli;
        }
        if (found == -2) {
            items[n++] = "keep";
            list_join(list, sizeof list, items, n);
            snprintf(err, errlen, "unknown --weights '%s' (use %s)", name, list);
            return -1;
        }
        *mode = found;
    }
    if (!group) return 0;
    const char *fam = ir_dtype_get((ir_dtype)*mode)->group;
    n = 0;
    if (!fam) { /* the families, each once */
        for (int i = 0; i < IR_DT_COUNT; i++) {
            int seen = !dtype_table[i].group;
            for (int j = 0; j < n && !seen; j++) seen = strcmp(items[j], dtype_table[i].group) == 0;
            if (!seen) items[n++] = dtype_table[i].group;
        }
        list_join(list, sizeof list, items, n);
        snprintf(err, errlen, "--group applies to --weights %s", list);
        return -1;
    }
    int want = 0;
    for (const char *c = group; *c && want >= 0; c++) want = *c >= '0' && *c <= '9' && want < 1000000 ? want * 10 + (*c - '0') : -1;
    /* the family's group sizes, increasing (for the message) */
    int sizes[IR_DT_COUNT];
    for (int i = 0; i < IR_DT_COUNT; i++) {
        if (!dtype_table[i].group || strcmp(dtype_table[i].group, fam)) continue;
        if (dtype_table[i].block_elems == want) {
            *mode = i;
            return 0;
        }
        int k = n++;
        for (; k > 0 && sizes[k - 1] > dtype_table[i].block_elems; k--) sizes[k] = sizes[k - 1];
        sizes[k] = dtype_table[i].block_elems;
    }
    char num[IR_DT_COUNT][12];
    for (int k = 0; k < n; k++) snprintf(num[k], sizeof num[k], "%d", sizes[k]), items[k] = num[k];
    list_join(list, sizeof list, items, n);
    snprintf(err, errlen, "--group %s: %s groups are %s", group, fam, list);
    return -1;
}

int ir_weights_act_q8_default(int mode, int file_quantized) {
    return mode == IR_WEIGHTS_KEEP ? file_quantized != 0 : ir_dtype_is_quant((ir_dtype)mode);
}
