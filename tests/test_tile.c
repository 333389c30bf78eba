/* test_tile.c - the tiling pass: which weights it repacks, the repacked rows
 * against the plain ones, and the interpreter's logits with and without tiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "check.h"
#include "diag.h"
#include "interp.h"
#include "lmrt_tiled.h"
#include "passes.h"
#include "tiny_llama.h"


static ir_graph *build(gguf_file *f, int mode, int R, int R8, int fuse) {
    ir_config cfg = {.ctx = 16, .kv_dtype = IR_DT_F32, .weights_mode = mode, .tile_rows = R, .tile_rows_q8 = R8,
                     .fuse = fuse, .act_q8 = fuse};
    lmcc_error_clear();
    ir_graph *g = lmcc_build_graph(f, "tiny.gguf", &cfg);
    if (!g) {
        printf("FAIL build: %s\n", lmcc_error_text());
        g_fail++;
        return NULL;
    }
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    if (lmcc_run_passes(g, &pc, NULL) != 0) {
        printf("FAIL passes (R %d fuse %d): %s\n", R, fuse, pc.err);
        g_fail++;
        ir_graph_free(g);
        return NULL;
    }
    return g;
}

static int is_linear_family(ir_opcode op) {
    return op == IR_OP_LINEAR || op == IR_OP_LINEAR_ADD || op == IR_OP_LINEAR_SWIGLU || op == IR_OP_QKV;
}

/* the tile rows of a weight of `rows` rows under target tile R: R, halved while a multiple of 32 that
 * does not divide rows (no more padding than 16-row tiles) */
static int want_rows(int R, int64_t rows) {
    while (R >= 32 && R % 32 == 0 && rows % R) R /= 2;
    return R;
}

/* g1 = g0 + tiling: same tensors by name (a tied copy is "<name>.tiled") */
static void check_tiles(const ir_graph *g0, const ir_graph *g1, int R, const char *what) {
    int n_tiled = 0, n_lin = 0, n_wide = 0;
    for (int i = 0; i < g1->n_nodes; i++) {
        const ir_node *n = &g1->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < ir_op_table[n->op].n_inputs; k++) {
            const ir_tensor *t = &g1->tensors[n->inputs[k]];
            if (t->kind != IR_KIND_WEIGHT) continue;
            int want = is_linear_family(n->op) && k == 1 && t->ndim == 2 &&
                       (t->dtype == IR_DT_Q4_0 || t->dtype == IR_DT_Q8_0);
            n_lin += want;
            CHECK(want ? t->tile_rows == want_rows(R, t->shape[0]) : t->tile_rows == 0,
                  "%s: %s input %d (%s, %lld rows) tile_rows %d", what, ir_op_table[n->op].name, k, t->name,
                  (long long)t->shape[0], t->tile_rows);
        }
    }
    for (int id = 0; id < g1->n_tensors; id++) {
        const ir_tensor *t = &g1->tensors[id];
        if (t->dead || t->tile_rows <= 1) continue;
        n_tiled++;
        char name[IR_NAME_MAX];
        snprintf(name, sizeof name, "%s", t->name);
        char *suf = strstr(name, ".tiled");
        if (suf) *suf = 0;
        int id0 = ir_tensor_find(g0, name);
        CHECK(id0 >= 0, "%s: %s has no untiled twin", what, t->name);
        if (id0 < 0) continue;
        const ir_tensor *u = &g0->tensors[id0];
        int type = t->dtype == IR_DT_Q4_0 ? LMRT_GGML_Q4_0 : LMRT_GGML_Q8_0;
        int rows = (int)t->shape[0], K = (int)t->shape[1];
        CHECK(u->dtype == t->dtype && u->tile_rows == 0, "%s: twin of %s", what, t->name);
        int Rt = t->tile_rows;
        n_wide += Rt > 16;
        CHECK(t->nbytes == lmrt_tiled_bytes(type, Rt, rows, K), "%s: %s nbytes %zu", what, t->name, t->nbytes);
        float *a = malloc(sizeof(float) * (size_t)K), *b = malloc(sizeof(float) * (size_t)K);
        int bad = 0;
        for (int r = 0; r < rows; r++) {
            lmrt_dequant_row(type, (const uint8_t *)u->data + (size_t)r * ir_row_bytes(u->dtype, K), a, K);
            lmrt_tiled_dequant_row(type, Rt, t->data, r, K, b);
            bad += memcmp(a, b, sizeof(float) * (size_t)K) != 0;
        }
        CHECK(bad == 0, "%s: %s: %d rows differ from the plain rows", what, t->name, bad);
        free(a), free(b);
    }
    CHECK(n_tiled > 0 && n_lin > 0, "%s: nothing tiled", what);
    CHECK(R <= 16 || n_wide > 0, "%s: no weight kept %d-row tiles", what, R);
}

/* the interpreter reads tiles through its own decoder: logits must be bit-identical */
static void check_logits(const ir_graph *g0, const ir_graph *g1, int vocab, const char *what) {
    lmcc_interp *i0 = lmcc_interp_new(g0), *i1 = lmcc_interp_new(g1);
    CHECK(i0 && i1, "%s: lmcc_interp_new", what);
    if (i0 && i1) {
        static const int toks[10] = {1, 3, 4, 0, 2, 4, 4, 1, 30, 7};
        int bad = 0;
        for (int pos = 0; pos < 10; pos++) {
            const float *l0 = lmcc_interp_step(i0, toks[pos] % vocab, pos);
            float keep[256];
            memcpy(keep, l0, sizeof(float) * (size_t)vocab);
            const float *l1 = lmcc_interp_step(i1, toks[pos] % vocab, pos);
            bad += memcmp(keep, l1, sizeof(float) * (size_t)vocab) != 0;
        }
        CHECK(bad == 0, "%s: tiled logits differ at %d positions", what, bad);
    }
    if (i0) lmcc_interp_free(i0);
    if (i1) lmcc_interp_free(i1);
}

int main(void) {
    tiny_params p = tiny_default();
    p.dim = 40; /* a partial block per row */
    p.hidden = 128; /* w1 / w3 rows fill 64-row tiles, the others narrow them */
    p.n_heads = 4;
    p.n_kv = 2;
    p.rope_dim = 10;
    p.vocab = 37; /* rows not a multiple of R */
    p.n_layers = 2;
    static const int modes[] = {IR_DT_Q4_0, IR_DT_Q8_0};
    for (int tied = 0; tied < 2; tied++)
        for (int m = 0; m < 2; m++)
            for (int fuse = 0; fuse < 2; fuse++)
                for (int R = 4; R <= 64; R *= 2) { /* 16..64: the interleaved sub-tiles */
                    /* q8 with R 64: the target's int8 tile (16) instead */
                    int R8 = m && R == 64 ? 16 : 0, Rw = R8 ? R8 : R;
                    char what[96];
                    snprintf(what, sizeof what, "tied %d %s fuse %d R %d", tied, m ? "q8" : "q4", fuse, Rw);
                    p.tied = tied;
                    gguf_file *f = tiny_make(&p);
                    CHECK(f, "tiny_make");
                    if (!f) continue;
                    ir_graph *g0 = build(f, modes[m], 0, 0, fuse), *g1 = build(f, modes[m], R, R8, fuse);
                    if (g0 && g1) {
                        char err[1024];
                        CHECK(ir_verify(g1, err, sizeof err) == 0, "%s: verify: %s", what, err);
                        check_tiles(g0, g1, Rw, what);
                        check_logits(g0, g1, p.vocab, what);
                        if (tied) { /* the embedding still reads plain rows */
                            int e = ir_tensor_find(g1, "token_embd.weight");
                            CHECK(e >= 0 && g1->tensors[e].tile_rows == 0 && !g1->tensors[e].dead,
                                  "%s: embedding table tiled or dead", what);
                            CHECK(ir_tensor_find(g1, "token_embd.weight.tiled") >= 0, "%s: no tiled copy", what);
                        }
                    }
                    if (g0) ir_graph_free(g0);
                    if (g1) ir_graph_free(g1);
                    gguf_close(f);
                }
    /* tile_rows 0 / 1: the pass does nothing */
    p.tied = 0;
    gguf_file *f = tiny_make(&p);
    ir_graph *g = f ? build(f, IR_DT_Q4_0, 1, 0, 0) : NULL;
    if (g) {
        for (int i = 0; i < g->n_tensors; i++) CHECK(g->tensors[i].tile_rows == 0, "tile_rows 1 tiled %s", g->tensors[i].name);
        ir_graph_free(g);
    }
    if (f) gguf_close(f);
    printf("%s (%d failures)\n", g_fail ? "FAIL" : "ok", g_fail);
    return g_fail ? 1 : 0;
}
