/* test_passes.c - each pass's effect on hand-built graphs (tests/ir_toy.h),
 * checked against independent computations: hand-decoded blocks, brute-force
 * liveness and overlap, and the reference interpreter before/after. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "ir.h"
#include "ir_toy.h"
#include "lmrt_base.h"
#include "passes.h"
#include "test_util.h"

static char err[8192];
static lmcc_diag ctx0(void) {
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    return pc;
}
static int64_t al64(int64_t x) { return (x + 63) / 64 * 64; }
static int tid(const ir_graph *g, const char *n) { return ir_tensor_find(g, n); }
static int producer(const ir_graph *g, int t) {
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].output == t) return i;
    return -1;
}
static int verify_ok(const ir_graph *g, const char *when) {
    if (ir_verify(g, err, sizeof err) == 0) return 1;
    fprintf(stderr, "verify failed %s:\n%s", when, err);
    return 0;
}
static int n_dead_nodes(const ir_graph *g) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += g->nodes[i].dead;
    return n;
}

/* ---- dce --------------------------------------------------------------- */

static void test_dce(void) {
    toy_params p = toy_default();
    p.extra = 1;
    ir_graph *g = toy_build(&p);
    lmcc_diag pc = ctx0();
    pc.verbose = 1;
    pc.log = tmpfile();
    CHECK_TRUE(lmcc_pass_dce(g, &pc) == 0);
    CHECK_TRUE(verify_ok(g, "after dce"));
    CHECK_TRUE(g->nodes[producer(g, tid(g, "l0.extra"))].dead);
    CHECK_TRUE(g->nodes[producer(g, tid(g, "l0.extra_silu"))].dead);
    CHECK_TRUE(g->tensors[tid(g, "l0.extra")].dead && g->tensors[tid(g, "l0.extra_silu")].dead);
    CHECK_TRUE(g->tensors[tid(g, "blk.0.extra.weight")].dead);
    CHECK_TRUE(g->tensors[tid(g, "l0.unread_cache")].dead);
    /* exactly the branch and the unread store go; the read caches' stores stay */
    CHECK_TRUE(n_dead_nodes(g) == 3);
    int stores = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ir_node *n = &g->nodes[i];
        if (n->op != IR_OP_KV_STORE) continue;
        int unread = n->inputs[1] == tid(g, "l0.unread_cache");
        CHECK_TRUE(n->dead == unread);
        stores += !n->dead;
    }
    CHECK_TRUE(stores == 4);
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        if (t->kind == IR_KIND_WEIGHT && strcmp(t->name, "blk.0.extra.weight") != 0) CHECK_TRUE(!t->dead);
    }
    CHECK_TRUE(!g->tensors[g->token_input].dead && !g->tensors[g->logits].dead);
    char *log = test_read_stream(pc.log);
    CHECK_TRUE(strstr(log, "removed weight \"blk.0.extra.weight\" (16384 bytes)") != NULL);
    CHECK_TRUE(strstr(log, "removed node") != NULL);
    CHECK_TRUE(strstr(log, "removed kv cache \"l0.unread_cache\"") != NULL);
    free(log);
    /* a second run finds nothing more */
    pc = ctx0();
    CHECK_TRUE(lmcc_pass_dce(g, &pc) == 0 && n_dead_nodes(g) == 3);
    ir_graph_free(g);

    /* layer 1's residual skips attention: its q/k/v, stores, caches and
     * attention weights all become dead, the FFN stays */
    p = toy_default();
    g = toy_build(&p);
    int n = producer(g, tid(g, "l1.x_attn"));
    g->nodes[n].inputs[1] = tid(g, "l0.x_ffn");
    CHECK_TRUE(verify_ok(g, "rewired"));
    pc = ctx0();
    CHECK_TRUE(lmcc_pass_dce(g, &pc) == 0);
    CHECK_TRUE(verify_ok(g, "after dce of layer 1 attention"));
    const char *gone[] = {"l1.q", "l1.k", "l1.v", "l1.attn", "l1.attn_out", "l1.k_cache",
                          "l1.v_cache", "blk.1.attn_q.weight", "blk.1.attn_k.weight",
                          "blk.1.attn_v.weight", "blk.1.attn_output.weight"};
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++) {
        if (!g->tensors[tid(g, gone[i])].dead) fprintf(stderr, "still live: %s\n", gone[i]);
        CHECK_TRUE(g->tensors[tid(g, gone[i])].dead);
    }
    const char *kept[] = {"l1.ffn_in", "l1.gate", "blk.1.ffn_norm.weight", "blk.1.ffn_down.weight",
                          "l0.k_cache", "rope.freqs", "rope"};
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) CHECK_TRUE(!g->tensors[tid(g, kept[i])].dead);
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == IR_OP_KV_STORE)
            CHECK_TRUE(g->nodes[i].dead == (g->nodes[i].attrs.layer == 1));
    ir_graph_free(g);
}

/* ---- kvlayout ---------------------------------------------------------- */

static void test_kvlayout(void) {
    toy_params p = toy_default();
    p.kv_heads = 1; /* 1*3*16*2 = 96 bytes per f16 cache: exercises alignment */
    p.ctx = 3;
    p.extra = 1;
    ir_graph *g = toy_build(&p);
    g->cfg.kv_dtype = IR_DT_F16;
    lmcc_diag pc = ctx0();
    CHECK_TRUE(lmcc_pass_dce(g, &pc) == 0 && lmcc_pass_kvlayout(g, &pc) == 0);
    CHECK_TRUE(verify_ok(g, "after kvlayout"));
    const char *caches[] = {"l0.k_cache", "l0.v_cache", "l1.k_cache", "l1.v_cache"};
    for (int i = 0; i < 4; i++) {
        ir_tensor *t = &g->tensors[tid(g, caches[i])];
        CHECK_TRUE(t->dtype == IR_DT_F16);
        CHECK_TRUE(ir_tensor_bytes(t) == 96);
        CHECK_TRUE(t->arena_offset == 128 * i); /* in id order, 64-aligned */
    }
    CHECK_TRUE(g->kv_bytes == 4 * 128);
    CHECK_TRUE(g->tensors[tid(g, "l0.unread_cache")].arena_offset == -1); /* dead: not placed */
    ir_graph_free(g);

    /* f32, default shape: 2*16*16*4 = 2048 bytes each */
    p = toy_default();
    g = toy_build(&p);
    pc = ctx0();
    CHECK_TRUE(lmcc_pass_kvlayout(g, &pc) == 0);
    CHECK_TRUE(g->kv_bytes == 4 * 2048 && g->tensors[tid(g, "l1.v_cache")].arena_offset == 3 * 2048);
    CHECK_TRUE(g->tensors[tid(g, "l1.v_cache")].dtype == IR_DT_F32);
    /* cache built for another ctx: an lmcc bug, reported */
    g->cfg.ctx = 8;
    CHECK_TRUE(lmcc_pass_kvlayout(g, &pc) == -1 && strstr(pc.err, "l0.k_cache"));
    g->cfg.ctx = 16;
    g->cfg.kv_dtype = IR_DT_Q8_0;
    CHECK_TRUE(lmcc_pass_kvlayout(g, &pc) == -1 && strstr(pc.err, "q8_0"));
    ir_graph_free(g);
}

/* ---- weightfmt --------------------------------------------------------- */

typedef struct { int id; float *v; int64_t rows, k; const void *data; } saved;

/* copies the f32 values of every weight before a pass replaces them */
static saved *save_weights(const ir_graph *g, int *n) {
    saved *s = calloc((size_t)g->n_tensors, sizeof *s);
    *n = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->kind != IR_KIND_WEIGHT || t->dead || t->dtype != IR_DT_F32) continue;
        saved *x = &s[(*n)++];
        x->id = i;
        x->k = t->shape[t->ndim - 1];
        x->rows = ir_tensor_elems(t) / x->k;
        x->v = malloc(t->nbytes);
        memcpy(x->v, t->data, t->nbytes);
        x->data = t->data;
    }
    return s;
}
static void free_saved(saved *s, int n) {
    for (int i = 0; i < n; i++) free(s[i].v);
    free(s);
}

static float h2f(const uint8_t *p) { return lmrt_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

/* hand decoders of the GGUF block layouts (docs/ARCHITECTURE.md) */
static float dec_q8(const uint8_t *row, int64_t j, float *d) {
    const uint8_t *b = row + (j / 32) * 34;
    *d = h2f(b);
    return *d * (float)(int8_t)b[2 + j % 32];
}
static float dec_q4(const uint8_t *row, int64_t j, float *d) {
    const uint8_t *b = row + (j / 32) * 18;
    int e = (int)(j % 32);
    *d = h2f(b);
    int q = e < 16 ? (b[2 + e] & 15) : (b[2 + e - 16] >> 4);
    return *d * (float)(q - 8);
}

/* max |x| (abs = 1) or the signed value of largest magnitude (abs = 0) of
 * the 32-element block holding element j of row r, from the saved f32 */
static double block_max(const saved *s, int64_t r, int64_t j, int abs) {
    double m = 0;
    int64_t b0 = j / 32 * 32;
    for (int64_t i = b0; i < b0 + 32 && i < s->k; i++) {
        double v = s->v[r * s->k + i];
        if (fabs(v) > fabs(m)) m = v;
    }
    return abs ? fabs(m) : m;
}

static void check_converted(const ir_graph *g, saved *s, int n, ir_dtype want, const char *what) {
    double worst = 0;
    int n_checked = 0, n_half = 0, n_all = 0;
    for (int w = 0; w < n; w++) {
        const ir_tensor *t = &g->tensors[s[w].id];
        int two_d = t->ndim == 2;
        if (!two_d) {
            /* 1-D (norms, the rope frequencies): untouched f32, not copied */
            CHECK_TRUE(t->dtype == IR_DT_F32 && t->data == s[w].data);
            continue;
        }
        if (t->dtype != want) fprintf(stderr, "%s: %s is %s\n", what, t->name, ir_dtype_name(t->dtype));
        CHECK_TRUE(t->dtype == want);
        size_t row = ir_row_bytes(want, s[w].k);
        CHECK_TRUE(t->nbytes == (size_t)s[w].rows * row && t->data == t->owned);
        const uint8_t *base = t->data;
        for (int64_t r = 0; r < s[w].rows; r++) {
            const uint8_t *rp = base + r * row;
            for (int64_t j = 0; j < s[w].k; j++) {
                float x = s[w].v[r * s[w].k + j], y, d = 0, bound;
                switch (want) {
                case IR_DT_F16:
                    y = h2f(rp + 2 * j);
                    bound = fabsf(x) / 2048.0f + 1e-7f; /* half an ulp of an 11-bit mantissa */
                    break;
                case IR_DT_Q8_0: {
                    /* rounding to the exact scale costs d/2; the scale is
                     * stored as f16, which costs |q| * |d - d_f16| more */
                    double dt = block_max(&s[w], r, j, 1) / 127.0;
                    y = dec_q8(rp, j, &d);
                    bound = (float)(dt / 2 + 127 * fabs(dt - d) + 1e-7);
                    break;
                }
                case IR_DT_Q4_0: {
                    /* q4_0 maps the max-magnitude value to -8; values of the
                     * other sign clamp at +7, so the bound is one step there */
                    double dt = block_max(&s[w], r, j, 0) / -8.0;
                    y = dec_q4(rp, j, &d);
                    bound = (float)(fabs(dt) + 8 * fabs(dt - d) + 1e-7);
                    n_half += fabs((double)x - y) <= fabs(dt) / 2 + 8 * fabs(dt - d) + 1e-7;
                    n_all++;
                    break;
                }
                default: y = *(const float *)(rp + 4 * j), bound = 0; break;
                }
                double e = fabs((double)x - y);
                if (e > bound) {
                    CHECK(0, "%s: %s[%lld][%lld] %g -> %g", what, t->name, (long long)r, (long long)j, x, y);
                    return;
                }
                if (e > worst) worst = e;
                n_checked++;
            }
            /* the padded tail of the last block quantizes as zeros */
            if (want == IR_DT_Q8_0 && s[w].k % 32)
                for (int64_t j = s[w].k; j < (s[w].k + 31) / 32 * 32; j++) {
                    float d;
                    CHECK_TRUE(dec_q8(rp, j, &d) == 0.0f);
                }
        }
    }
    CHECK_TRUE(n_checked > 10000);
    CHECK_TRUE(worst > 0 || want == IR_DT_F32); /* quantization really happened */
    if (want == IR_DT_Q4_0) CHECK_TRUE(n_half > n_all * 9 / 10);
}

/* weightfmt then quantize: every weight in its --weights format */
static int run_formats(ir_graph *g, lmcc_diag *pc) {
    return lmcc_pass_weightfmt(g, pc) || lmcc_quant_weights(g, pc) ? -1 : 0;
}

static void test_weightfmt(void) {
    static const struct { int mode; ir_dtype dt; } modes[] = {
        {IR_DT_Q8_0, IR_DT_Q8_0}, {IR_DT_Q4_0, IR_DT_Q4_0}, {IR_DT_F16, IR_DT_F16}};
    for (int m = 0; m < 3; m++) {
        toy_params p = toy_default();
        ir_graph *g = toy_build(&p);
        int n;
        saved *s = save_weights(g, &n);
        g->cfg.weights_mode = modes[m].mode;
        lmcc_diag pc = ctx0();
        CHECK_TRUE(run_formats(g, &pc) == 0);
        CHECK_TRUE(verify_ok(g, "after weightfmt"));
        check_converted(g, s, n, modes[m].dt, ir_dtype_name(modes[m].dt));
        if (modes[m].mode == IR_DT_Q8_0) {
            /* ffn_down [64][80]: 3 blocks per row, the last one padded */
            CHECK_TRUE(g->tensors[tid(g, "blk.0.ffn_down.weight")].nbytes == 64 * 3 * 34);
            /* q8_0 -> f32 gives exactly the decoded values; the q8 buffer is freed */
            float *want = malloc(80 * 64 * sizeof *want);
            const ir_tensor *t = &g->tensors[tid(g, "blk.1.ffn_down.weight")];
            for (int r = 0; r < 64; r++)
                for (int j = 0; j < 80; j++) {
                    float d;
                    want[r * 80 + j] = dec_q8((const uint8_t *)t->data + r * 3 * 34, j, &d);
                }
            g->cfg.weights_mode = IR_DT_F32;
            CHECK_TRUE(run_formats(g, &pc) == 0);
            CHECK_TRUE(t->dtype == IR_DT_F32 && t->nbytes == 80 * 64 * 4);
            CHECK_TRUE(memcmp(t->data, want, 80 * 64 * 4) == 0);
            CHECK_TRUE(verify_ok(g, "after q8 -> f32"));
            free(want);
            /* a q8_0 weight is kept by --weights keep, without a copy */
            g->cfg.weights_mode = IR_DT_Q8_0;
            CHECK_TRUE(run_formats(g, &pc) == 0);
            const void *before = t->data;
            g->cfg.weights_mode = IR_WEIGHTS_KEEP;
            CHECK_TRUE(run_formats(g, &pc) == 0 && t->data == before && t->dtype == IR_DT_Q8_0);
        }
        free_saved(s, n);
        ir_graph_free(g);
    }

    /* target == current dtype: nothing copied */
    toy_params p = toy_default();
    ir_graph *g = toy_build(&p);
    int n;
    saved *s = save_weights(g, &n);
    g->cfg.weights_mode = IR_DT_F32;
    lmcc_diag pc = ctx0();
    pc.verbose = 1;
    pc.log = tmpfile();
    CHECK_TRUE(run_formats(g, &pc) == 0);
    for (int i = 0; i < n; i++) CHECK_TRUE(g->tensors[s[i].id].data == s[i].data);
    char *log = test_read_stream(pc.log);
    CHECK_TRUE(strstr(log, "weightfmt: 0 weights widened to f32, 0 to round") != NULL);
    free(log);
    free_saved(s, n);

    /* a 1-D weight stored as f16 becomes f32, even under keep */
    int an = tid(g, "blk.0.attn_norm.weight");
    uint16_t *h = malloc(64 * 2);
    for (int i = 0; i < 64; i++) h[i] = lmrt_f32_to_f16(0.5f + (float)i / 128.0f);
    free(g->tensors[an].owned);
    g->tensors[an].owned = h;
    g->tensors[an].data = h;
    g->tensors[an].dtype = IR_DT_F16;
    g->tensors[an].nbytes = 128;
    g->cfg.weights_mode = IR_WEIGHTS_KEEP;
    pc = ctx0();
    CHECK_TRUE(run_formats(g, &pc) == 0);
    CHECK_TRUE(g->tensors[an].dtype == IR_DT_F32 && g->tensors[an].nbytes == 256);
    for (int i = 0; i < 64; i++) CHECK_TRUE(((const float *)g->tensors[an].data)[i] == 0.5f + (float)i / 128.0f);

    /* keep keeps a bf16 linear weight as stored, and converts it when asked (zeros decode to 0) */
    int wq = tid(g, "blk.0.attn_q.weight");
    ir_tensor *t = &g->tensors[wq];
    t->shape[1] = 256; /* [64][256] bf16 */
    t->shape[0] = 64;
    free(t->owned);
    t->owned = calloc(64, 256 * 2);
    t->data = t->owned;
    t->dtype = IR_DT_BF16;
    t->nbytes = 64 * 256 * 2;
    const void *bf = t->data;
    CHECK_TRUE(run_formats(g, &pc) == 0 && t->dtype == IR_DT_BF16 && t->data == bf);
    g->cfg.weights_mode = IR_DT_Q8_0;
    pc = ctx0();
    CHECK_TRUE(run_formats(g, &pc) == 0 && t->dtype == IR_DT_Q8_0 && t->nbytes == 64 * 8 * 34);
    /* keep rejects a format no kernel reads (no GGUF weight type is one: an i32 matrix made here) */
    t->dtype = IR_DT_I32;
    t->nbytes = 64 * 256 * 4;
    free(t->owned);
    t->owned = calloc(64, 256 * 4);
    t->data = t->owned;
    g->cfg.weights_mode = IR_WEIGHTS_KEEP;
    CHECK_TRUE(run_formats(g, &pc) == -1);
    CHECK_TRUE(strstr(pc.err, "weight blk.0.attn_q.weight is i32; --weights keep supports") == pc.err);
    ir_graph_free(g);
}

/* ---- memplan ----------------------------------------------------------- */

static void check_plan(const ir_graph *g) {
    int nt = g->n_tensors;
    /* liveness recomputed here, independently of the pass */
    int *def = malloc((size_t)nt * sizeof *def), *last = malloc((size_t)nt * sizeof *last);
    for (int i = 0; i < nt; i++) def[i] = last[i] = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < ir_op_table[n->op].n_inputs; k++) last[n->inputs[k]] = i;
        if (n->output >= 0) def[n->output] = last[n->output] = i;
    }
    last[g->logits] = g->n_nodes; /* returned to the caller after the step */
    int64_t base = al64(g->kv_bytes), naive = 0, act_end = 0;
    int placed = 0;
    for (int i = 0; i < nt; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->kind != IR_KIND_ACT || t->dead) {
            if (t->kind != IR_KIND_STATE) CHECK_TRUE(t->arena_offset == -1);
            continue;
        }
        placed++;
        int64_t sz = (int64_t)ir_tensor_bytes(t);
        naive += sz;
        CHECK_TRUE(t->arena_offset >= base && t->arena_offset % 64 == 0);
        CHECK_TRUE(t->arena_offset + sz <= g->scratch_offset);
        if (t->arena_offset + sz > act_end) act_end = t->arena_offset + sz;
        for (int j = 0; j < i; j++) {
            const ir_tensor *u = &g->tensors[j];
            if (u->kind != IR_KIND_ACT || u->dead) continue;
            int both_live = def[i] <= last[j] && def[j] <= last[i];
            int64_t us = (int64_t)ir_tensor_bytes(u);
            int mem = t->arena_offset < u->arena_offset + us && u->arena_offset < t->arena_offset + sz;
            if (both_live && mem)
                fprintf(stderr, "memplan: \"%s\" and \"%s\" overlap while both live\n", t->name, u->name);
            CHECK_TRUE(!(both_live && mem));
        }
    }
    /* nothing produced after the logits' node (or alongside) shares their bytes */
    const ir_tensor *lg = &g->tensors[g->logits];
    for (int i = 0; i < nt; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (i == g->logits || t->kind != IR_KIND_ACT || t->dead || last[i] < def[g->logits]) continue;
        CHECK_TRUE(!(t->arena_offset < lg->arena_offset + (int64_t)ir_tensor_bytes(lg) &&
                lg->arena_offset < t->arena_offset + (int64_t)ir_tensor_bytes(t)));
    }
    CHECK_TRUE(placed > 0);
    CHECK_TRUE(g->naive_bytes == naive);
    CHECK_TRUE(g->act_bytes == al64(act_end - base));
    CHECK_TRUE(g->scratch_offset % 64 == 0 && g->scratch_offset >= act_end);
    CHECK_TRUE(g->scratch_bytes >= (int64_t)g->cfg.ctx * 4 && g->scratch_bytes >= (int64_t)g->info.vocab_size * 8);
    CHECK_TRUE(g->arena_bytes == g->scratch_offset + g->scratch_bytes);
    CHECK_TRUE(g->tensors[g->token_input].arena_offset == -1);
    /* greedy packing stays within 2x of the peak of simultaneously live bytes */
    int64_t peak = 0;
    for (int s = 0; s < g->n_nodes; s++) {
        int64_t live = 0;
        for (int i = 0; i < nt; i++)
            if (g->tensors[i].kind == IR_KIND_ACT && !g->tensors[i].dead && def[i] <= s && s <= last[i])
                live += al64((int64_t)ir_tensor_bytes(&g->tensors[i]));
        if (live > peak) peak = live;
    }
    CHECK_TRUE(g->act_bytes <= 2 * peak);
    free(def);
    free(last);
}

static void test_memplan(void) {
    toy_params p = toy_default();
    p.layers = 4;
    p.extra = 1;
    ir_graph *g = toy_build(&p);
    g->cfg.weights_mode = IR_DT_Q8_0;
    lmcc_diag pc = ctx0();
    pc.verbose = 1;
    pc.log = tmpfile();
    CHECK_TRUE(lmcc_run_passes(g, &pc, NULL) == 0);
    CHECK_TRUE(verify_ok(g, "after memplan"));
    check_plan(g);
    CHECK_TRUE(g->act_bytes < g->naive_bytes);
    CHECK_TRUE(g->act_bytes * 4 < g->naive_bytes); /* 4 layers of buffers fold onto ~1 */
    char *log = test_read_stream(pc.log);
    char want[256];
    snprintf(want, sizeof want,
             "memplan: arena %lld bytes (activations %lld + kv %lld + scratch %lld); naive sum of "
             "activation buffers %lld\n",
             (long long)g->arena_bytes, (long long)g->act_bytes, (long long)g->kv_bytes,
             (long long)g->scratch_bytes, (long long)g->naive_bytes);
    CHECK_TRUE(strstr(log, want) != NULL);
    free(log);
    ir_graph_free(g);

    /* scratch sized by ctx when ctx*4 > vocab*8 */
    p = toy_default();
    p.ctx = 1000;
    g = toy_build(&p);
    pc = ctx0();
    CHECK_TRUE(lmcc_run_passes(g, &pc, NULL) == 0);
    CHECK_TRUE(g->scratch_bytes == 4000 / 64 * 64 + 64);
    check_plan(g);
    ir_graph_free(g);
}

/* ---- pass manager and end-to-end semantics ----------------------------- */

static void test_manager(void) {
    static const char *const order[] = {"dce", "awq", "fold_norm", "rotate", "fuse_qkv", "fuse_ffn",
                                        "fuse_residual", "kvlayout", "mixprec", "weightfmt", "quantize", "actquant",
                                        "tile", "memplan"};
    CHECK_TRUE(lmcc_n_passes == 14);
    for (int i = 0; i < lmcc_n_passes && i < 14; i++) CHECK_TRUE(strcmp(lmcc_passes[i].name, order[i]) == 0);
    CHECK_TRUE(lmcc_passes[9].fn == lmcc_pass_weightfmt && lmcc_passes[10].fn == lmcc_quant_weights &&
               lmcc_passes[1].doc[0]);

    toy_params p = toy_default();
    ir_graph *g = toy_build(&p);
    g->cfg.weights_mode = IR_DT_Q8_0;
    lmcc_diag pc = ctx0();
    CHECK_TRUE(lmcc_run_passes(g, &pc, "nosuch") == -1 && strstr(pc.err, "unknown pass 'nosuch'"));
    CHECK_TRUE(lmcc_run_passes(g, &pc, "kvlayout") == 0);
    CHECK_TRUE(g->kv_bytes > 0 && g->arena_bytes == 0);
    CHECK_TRUE(g->tensors[tid(g, "output.weight")].dtype == IR_DT_F32); /* weightfmt not run */
    ir_graph_free(g);

    /* a pass's user error comes back in pc->err */
    g = toy_build(&p);
    g->tensors[tid(g, "output.weight")].dtype = IR_DT_I32; /* 100 rows * 64 * 4 bytes, no kernel reads it */
    pc = ctx0();
    CHECK_TRUE(lmcc_run_passes(g, &pc, NULL) == -1 && strstr(pc.err, "output.weight is i32"));
    ir_graph_free(g);

    /* a broken graph is a compiler bug: LMCC_PASS_BUG and the verifier's finding, no exit */
    ir_graph *b = toy_build(&p);
    b->nodes[3].inputs[0] = 12345;
    pc = ctx0();
    CHECK_TRUE(lmcc_run_passes(b, &pc, NULL) == LMCC_PASS_BUG);
    CHECK_TRUE(strstr(pc.err, "before the passes: node 3 (") == pc.err);
    ir_graph_free(b);
}

/* The passes must not change what the graph computes: logits from the
 * reference interpreter before and after the full pipeline (f16 weights). */
static void test_semantics(void) {
    toy_params p = toy_default();
    p.extra = 1;
    toy_seed = 777u; /* same weights in both graphs */
    ir_graph *a = toy_build(&p);
    toy_seed = 777u;
    ir_graph *b = toy_build(&p);
    b->cfg.weights_mode = IR_DT_F16;
    b->cfg.kv_dtype = IR_DT_F16;
    lmcc_diag pc = ctx0();
    CHECK_TRUE(lmcc_run_passes(b, &pc, NULL) == 0);
    lmcc_interp *ia = lmcc_interp_new(a), *ib = lmcc_interp_new(b);
    CHECK_TRUE(ia && ib);
    if (ia && ib) {
        double worst = 0, scale = 0;
        int toks[5] = {1, 7, 42, 99, 3};
        for (int pos = 0; pos < 5; pos++) {
            const float *la = lmcc_interp_step(ia, toks[pos], pos);
            float copy[100];
            memcpy(copy, la, sizeof copy);
            const float *lb = lmcc_interp_step(ib, toks[pos], pos);
            for (int i = 0; i < 100; i++) {
                double e = fabs((double)copy[i] - lb[i]);
                if (e > worst) worst = e;
                if (fabs(copy[i]) > scale) scale = fabs(copy[i]);
            }
        }
        /* f16 weights: relative error ~1e-3 of the logits' scale */
        if (!(worst < 1e-2 * scale)) fprintf(stderr, "semantics: worst %g, scale %g\n", worst, scale);
        CHECK_TRUE(worst > 0 && worst < 1e-2 * scale);
    }
    lmcc_interp_free(ia);
    lmcc_interp_free(ib);
    ir_graph_free(a);
    ir_graph_free(b);
}

int main(void) {
    test_dce();
    test_kvlayout();
    test_weightfmt();
    test_memplan();
    test_manager();
    test_semantics();
    return test_finish("test_passes", NULL);
}
