/* test_wfmt.c - the weight-format table (IR_DTYPE_LIST) against what reads it: runtime-min's
 * block sizes and type ids, the --weights / --group parsing and --act default made from it,
 * the kernel names codegen takes from it (every --weights format compiled on the portable and,
 * on x86, the x86-64-v3 target, and the emitted C checked by the host compiler), and the
 * weightfmt / quantize split (the decision visible in the dump, the rounding applied after). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "codegen.h"
#include "diag.h"
#include "lmrt_quant.h"
#include "passes.h"
#include "tiny_llama.h"
#include "vocab.h"

static int fails;
#define CHECK(c, ...) do { if (!(c)) { fails++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

/* every row agrees with runtime-min, which reads and writes the blocks */
static void test_table(void) {
    int n_cli = 0, n_bpw = 0;
    for (int d = 0; d < IR_DT_COUNT; d++) {
        const ir_dtype_info *x = ir_dtype_get((ir_dtype)d);
        CHECK(ir_dtype_from_name(x->name) == d, "%s: name", x->name);
        if (x->lmrt >= 0) {
            CHECK(lmrt_quant_block_elems(x->lmrt) == x->block_elems && lmrt_quant_block_bytes(x->lmrt) == x->block_bytes,
                  "%s: block %d/%d, runtime %d/%d", x->name, x->block_elems, x->block_bytes,
                  lmrt_quant_block_elems(x->lmrt), lmrt_quant_block_bytes(x->lmrt));
            CHECK(x->gguf < 0 || x->gguf == x->lmrt, "%s: runtime id %d is not its GGUF id %d", x->name, x->lmrt, x->gguf);
        }
        if (x->gguf >= 0) CHECK(ir_dtype_from_gguf((uint32_t)x->gguf) == d, "%s: from GGUF id", x->name);
        /* what codegen emits, the runtime decodes; what the quantizers write, the runtime encodes */
        CHECK(!x->kern || x->lmrt >= 0, "%s: kernels but no runtime type", x->name);
        if (x->levels > 0) {
            float v[256], back[256];
            uint8_t blk[256 * 4];
            for (int j = 0; j < 256; j++) v[j] = (float)((j * 37) % 19) - 9.0f;
            CHECK(lmrt_quantize_row(x->lmrt, v, blk, 256) == 0 && lmrt_dequant_row(x->lmrt, blk, back, 256) == 0,
                  "%s: no runtime encoder", x->name);
            CHECK(x->levels <= 256 && x->zero < x->levels, "%s: levels %d zero %d", x->name, x->levels, x->zero);
        }
        CHECK(!x->q8a || x->kern, "%s: q8a without kernels", x->name);
        CHECK(!x->tiled_kern || (x->kern && x->block_elems == 32), "%s: tiled", x->name);
        CHECK(!x->cli || x->kern, "%s: a --weights choice without kernels", x->name);
        CHECK(!x->bpw_cand || (x->kern && (x->levels > 0 || !ir_dtype_is_quant((ir_dtype)d))), "%s: bpw", x->name);
        CHECK(!x->group || x->cli, "%s: a --group family member that --weights cannot name", x->name);
        n_cli += x->cli != NULL, n_bpw += x->bpw_cand;
    }
    CHECK(n_cli == 15 && n_bpw == 11, "%d --weights formats, %d --bpw candidates", n_cli, n_bpw);
    CHECK(ir_dtype_bits(IR_DT_Q4_0) == 4.5 && ir_dtype_bits(IR_DT_Q3_G64) == 3.25 && ir_dtype_bits(IR_DT_F16) == 16,
          "bits per weight");
    CHECK(ir_dtype_reads_q8a(IR_DT_Q4_K) && !ir_dtype_reads_q8a(IR_DT_NF4) && !ir_dtype_reads_q8a(IR_DT_F16), "q8a");
    CHECK(!strcmp(ir_dtype_kernel_name(IR_DT_Q8_0, 1), "q8_0t") && !strcmp(ir_dtype_kernel_name(IR_DT_Q8_0, 0), "q8_0") &&
              !ir_dtype_kernel_name(IR_DT_Q4_1, 1) && !strcmp(ir_dtype_kernel_name(IR_DT_BF16, 0), "bf16") &&
              !strcmp(ir_dtype_kernel_name(IR_DT_IQ4_XS, 0), "iq4_xs") && !ir_dtype_kernel_name(IR_DT_I32, 0) &&
              !ir_dtype_kernel_name((ir_dtype)IR_DT_COUNT, 0),
          "kernel names");
}

static int parse(const char *name, const char *group, int start, char *err) {
    int m = start;
    err[0] = 0;
    return ir_weights_from_cli(name, group, &m, err, 256) ? -100 : m;
}

static void test_cli(void) {
    char err[256];
    for (int d = 0; d < IR_DT_COUNT; d++) {
        const ir_dtype_info *x = ir_dtype_get((ir_dtype)d);
        if (x->cli) CHECK(parse(x->cli, NULL, IR_WEIGHTS_KEEP, err) == d, "--weights %s", x->cli);
        /* --group N names the member of the family whose blocks have N elements */
        char n[16];
        snprintf(n, sizeof n, "%d", x->block_elems);
        for (int e = 0; e < IR_DT_COUNT && x->group; e++)
            if (ir_dtype_get((ir_dtype)e)->group && !strcmp(ir_dtype_get((ir_dtype)e)->group, x->group))
                CHECK(parse(ir_dtype_get((ir_dtype)e)->cli, n, IR_WEIGHTS_KEEP, err) == d, "--weights %s --group %s",
                      ir_dtype_get((ir_dtype)e)->cli, n);
    }
    CHECK(parse("q8", NULL, IR_WEIGHTS_KEEP, err) == IR_DT_Q8_0 && parse("q4", NULL, IR_DT_F32, err) == IR_DT_Q4_0 &&
              parse("keep", NULL, IR_DT_F32, err) == IR_WEIGHTS_KEEP && parse(NULL, NULL, IR_DT_F16, err) == IR_DT_F16,
          "--weights q8 / q4 / keep / default");
    CHECK(parse("q4", "64", 0, err) == IR_DT_Q4_G64 && parse("q4_g64", "32", 0, err) == IR_DT_Q4_0 &&
              parse("nf4", "64", 0, err) == IR_DT_NF4_G64,
          "--group");
    CHECK(parse("q8_0", NULL, 0, err) == -100 && !strcmp(err, "unknown --weights 'q8_0' (use f32, f16, q4, q4_1, q5_0, "
                                                              "q5_1, q8, q4_g16, q4_g64, q4_g128, nf4, nf4_g64, q3_g64, "
                                                              "q5_g64, q6_g64 or keep)"),
          "%s", err);
    CHECK(parse("q4", "48", 0, err) == -100 && !strcmp(err, "--group 48: q4 groups are 16, 32, 64 or 128"), "%s", err);
    CHECK(parse("nf4", "64x", 0, err) == -100 && !strcmp(err, "--group 64x: nf4 groups are 32 or 64"), "%s", err);
    CHECK(parse("q8", "32", 0, err) == -100 && !strcmp(err, "--group applies to --weights q4 or nf4"), "%s", err);
    CHECK(parse(NULL, "32", IR_WEIGHTS_KEEP, err) == -100 && strstr(err, "--group applies"), "%s", err);
    /* --act: q8 under every block format (nf4 too: its linears just keep f32 inputs), f32 under floats */
    for (int d = 0; d < IR_DT_COUNT; d++)
        if (ir_dtype_get((ir_dtype)d)->cli)
            CHECK(ir_weights_act_q8_default(d, 0) == ir_dtype_is_quant((ir_dtype)d), "--act default for %s",
                  ir_dtype_name((ir_dtype)d));
    CHECK(ir_weights_act_q8_default(IR_WEIGHTS_KEEP, 1) && !ir_weights_act_q8_default(IR_WEIGHTS_KEEP, 0), "keep");
}

static ir_graph *build(gguf_file *f, int mode, const lmcc_target *t, const char *stop) {
    ir_config cfg = {.ctx = 16, .kv_dtype = IR_DT_F32, .weights_mode = mode, .fuse = 1, .batch = t ? t->batch : 1,
                     .tile_rows = t && t->tile_rows > 1 ? t->tile_rows : 0, .rotate = 1, .embed_f16 = 1};
    cfg.act_q8 = ir_weights_act_q8_default(mode, 0);
    lmcc_error_clear();
    ir_graph *g = lmcc_build_graph(f, "tiny.gguf", &cfg);
    CHECK(g, "build: %s", lmcc_error_text());
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    if (g && lmcc_run_passes(g, &pc, stop)) {
        CHECK(0, "passes: %s", pc.err);
        ir_graph_free(g);
        return NULL;
    }
    return g;
}

/* weightfmt decides (the dump shows "-> q4_0"), quantize rounds (and the decision is gone) */
static void test_split(gguf_file *f) {
    ir_graph *g = build(f, IR_DT_Q4_0, NULL, "weightfmt");
    int w = g ? ir_tensor_find(g, "blk.0.ffn_down.weight") : -1, e = g ? ir_tensor_find(g, "token_embd.weight") : -1;
    CHECK(w >= 0 && e >= 0, "tensors");
    if (w < 0 || e < 0) return;
    CHECK(g->tensors[w].dtype == IR_DT_F32 && g->tensors[w].want_dtype == IR_DT_Q4_0, "after weightfmt: %s -> %d",
          ir_dtype_name(g->tensors[w].dtype), g->tensors[w].want_dtype);
    CHECK(g->tensors[e].dtype == IR_DT_F32 && g->tensors[e].want_dtype == IR_DT_F16, "embedding table");
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    ir_dump(g, m);
    fclose(m);
    CHECK(text && strstr(text, "\"blk.0.ffn_down.weight\" f32[") && strstr(text, "] -> q4_0  "), "dump: %s", text);
    free(text);
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    pc.verbose = 1;
    pc.log = open_memstream(&text, &len);
    CHECK(lmcc_quant_weights(g, &pc) == 0, "quantize: %s", pc.err);
    fclose(pc.log);
    CHECK(g->tensors[w].dtype == IR_DT_Q4_0 && g->tensors[w].want_dtype == -1 && g->tensors[e].dtype == IR_DT_F16,
          "after quantize: %s, %s", ir_dtype_name(g->tensors[w].dtype), ir_dtype_name(g->tensors[e].dtype));
    /* one summary line: the layer's 4 fused linears and the output by plain rounding, the table to f16 */
    CHECK(text && !strncmp(text, "quantize: 0 weights by gptq (0 refit to the float output), 0 by rtn, 5 by plain "
                                 "rounding, 1 to f16; ", 80) && !strchr(text, '\n')[1], "log: %s", text);
    free(text);
    ir_graph_free(g);

    /* --weights keep of a format no kernel reads: weightfmt's error, before gptq calibrates anything
     * (the graph built up to kvlayout, one weight made i32 — every GGUF weight type lmcc reads has
     * kernels —, the whole pipeline run on it) */
    g = build(f, IR_WEIGHTS_KEEP, NULL, "kvlayout");
    if (!g) return;
    ir_tensor *t = &g->tensors[ir_tensor_find(g, "blk.0.ffn_down.weight")];
    int32_t *iw = calloc((size_t)ir_tensor_elems(t), sizeof *iw);
    free(t->owned);
    t->owned = iw, t->data = iw, t->dtype = IR_DT_I32, t->nbytes = (size_t)ir_tensor_elems(t) * sizeof *iw;
    g->cfg.quant = IR_QUANT_GPTQ;
    memset(&pc, 0, sizeof pc);
    pc.verbose = 1;
    pc.log = open_memstream(&text, &len);
    CHECK(lmcc_run_passes(g, &pc, NULL) == -1, "i32 under keep accepted");
    fclose(pc.log);
    CHECK(strstr(pc.err, "weight blk.0.ffn_down.weight is i32; --weights keep supports f32, f16, q4_0, q4_1, q5_0, "
                         "q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, iq4_xs, bf16 (use") == pc.err,
          "%s", pc.err);
    CHECK(text && strstr(text, "mixprec") == NULL && strstr(text, "gptq") == NULL && strstr(text, "quantize") == NULL,
          "work before the error: %s", text);
    free(text);
    ir_graph_free(g);
}

/* every --weights format compiles for target tn and the host compiler accepts the C: each kernel
 * name the table gives (plain, tiled, q8a) exists in the target's kernel set */
static void test_kernels(gguf_file *f, const char *tn, const char *cflags) {
    const char *src = getenv("LMCC_SOURCE_DIR"), *cc = getenv("CC");
    char path[1024], dir[] = "/tmp/lmcc-wfmt.XXXXXX", err[1024], cmd[2400];
    lmcc_target t;
    snprintf(path, sizeof path, "%s/targets/%s.target", src, tn);
    if (lmcc_target_parse(path, &t, err, sizeof err) || !mkdtemp(dir)) {
        CHECK(0, "%s: %s", path, err);
        return;
    }
    lmrt_vocab *v = lmcc_vocab_placeholder(37);
    int n_q8a = 0, n_tiled = 0, n_ok = 0;
    for (int d = 0; d < IR_DT_COUNT; d++) {
        const ir_dtype_info *x = ir_dtype_get((ir_dtype)d);
        if (!x->cli) continue;
        ir_graph *g = build(f, d, &t, NULL);
        if (!g) continue;
        g->vocab = v;
        lmcc_codegen_opts o = {.outdir = dir, .name = "m", .embed = LMCC_EMBED_EXTERNAL, .model_path = "tiny.gguf",
                               .version = "test"};
        int ok = lmcc_codegen(g, &t, &o, err, sizeof err) == 0;
        CHECK(ok, "%s %s: codegen: %s", tn, x->name, err);
        snprintf(cmd, sizeof cmd, "%s -std=c11 %s -fsyntax-only -Werror=implicit-function-declaration %s/m.c",
                 cc && *cc ? cc : "cc", cflags, dir);
        ok = ok && system(cmd) == 0;
        CHECK(ok, "%s --weights %s: the emitted C does not compile", tn, x->cli);
        n_ok += ok;
        /* the linears read q8a exactly where the q8a column says, tiles where the tile column does */
        int lin = 0, q8a = 0, tiled = 0;
        for (int i = 0; i < g->n_nodes; i++) {
            const ir_node *n = &g->nodes[i];
            if (n->dead || !ir_op_table[n->op].linear) continue;
            const ir_tensor *w = &g->tensors[n->inputs[1]];
            int reads = g->tensors[n->inputs[0]].dtype == IR_DT_Q8A;
            CHECK(reads == ir_dtype_reads_q8a(w->dtype), "%s --weights %s: %s (%s) reads %s", tn, x->cli, w->name,
                  ir_dtype_name(w->dtype), reads ? "q8a" : "f32");
            CHECK((w->tile_rows > 1) == (t.tile_rows > 1 && ir_dtype_kernel_name(w->dtype, 1) != NULL),
                  "%s --weights %s: %s tile_rows %d", tn, x->cli, w->name, w->tile_rows);
            lin += w->dtype == (ir_dtype)d, q8a += reads, tiled += w->tile_rows > 1;
        }
        CHECK(lin > 0, "%s --weights %s: no linear in that format", tn, x->cli);
        n_q8a += q8a > 0, n_tiled += tiled > 0;
        ir_graph_free(g);
    }
    printf("%s: %d --weights formats compiled (%d read q8a, %d tiled)\n", tn, n_ok, n_q8a, n_tiled);
    CHECK(n_q8a == 11 && n_tiled == (t.tile_rows > 1 ? 2 : 0), "%s: %d formats read q8a, %d tiled", tn, n_q8a, n_tiled);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) printf("note: could not remove %s\n", dir);
    lmcc_vocab_free(v);
}

int main(void) {
    test_table();
    test_cli();
    tiny_params p = tiny_default();
    p.dim = 64, p.hidden = 96, p.n_heads = 4, p.n_kv = 2, p.rope_dim = 16, p.vocab = 37, p.n_layers = 1;
    gguf_file *f = tiny_make(&p);
    CHECK(f, "tiny_make");
    if (f) {
        test_split(f);
        if (!getenv("LMCC_SOURCE_DIR")) {
            printf("test_wfmt: kernel check skipped: LMCC_SOURCE_DIR not set (run through ctest)\n");
        } else {
            test_kernels(f, "generic", "");
#if defined(__x86_64__)
            test_kernels(f, "x86-64-v3", "-march=x86-64-v3");
#endif
        }
        gguf_close(f);
    }
    printf("%s\n", fails ? "FAILED" : "ok");
    return fails ? 1 : 0;
}
