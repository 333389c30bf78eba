/* test_arch_e2e.c - gemma2, phi3 and gemma3 compiled to C and run, against the float interpreter.
 *
 * Tiny models (tiny_llama.h) written to disk and compiled with `lmcc compile`; a small app of the
 * generated API feeds a 40-token sequence in chunks of varying size (1, the batch, more than the
 * batch, which forward() splits) and records the logits after each chunk.  Gemma 2's sliding
 * window (6) is shorter than the sequence and its local layers keep rings of window + batch - 1
 * slots: every chunk-end position must match the interpreter (f32 weights: max |diff| <= 1e-4),
 * on generic, threaded, unfused, f16-KV and (with AVX2) x86-64-v3 builds, and under qemu-aarch64
 * when it is installed (phi3, whose ops are llama's, and gemma3, gemma2's plus head norms: generic
 * and x86-64-v3 only).  NAME_KV_BYTES must be exactly the local rings plus the global caches.  A
 * quantized compile with GPTQ calibration works on every architecture. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "interp.h"
#include "proc.h"
#include "test_model.h"
#include "tiny_llama.h"

enum { CTX = 40, BATCH = 8, N = 40 };

static const char *lmcc_exe;

/* the app: argv = ids file, chunk sizes ("1,8,11,..." cycled), output; writes M_KV_BYTES (uint64),
 * then per chunk its last position (int32) and the logits; then loads the state it saved at the
 * first chunk end past position 24 and runs the rest again (exit 8 unless the logits are the same
 * bits), and checks that rewinding past a sliding-window ring is refused (exit 9) */
static const char app_src[] =
    "#include \"m.h\"\n#include <stdio.h>\n#include <stdlib.h>\n"
    "int main(int argc, char **argv) {\n"
    "    if (argc < 4) return 2;\n"
    "    static int32_t ids[M_CTX];\n    int n = 0, c[64], nc = 0;\n    long t;\n"
    "    FILE *in = fopen(argv[1], \"r\");\n    if (!in) return 2;\n"
    "    while (n < M_CTX && fscanf(in, \"%ld\", &t) == 1) ids[n++] = (int32_t)t;\n    fclose(in);\n"
    "    for (char *p = argv[2]; *p && nc < 64;) { c[nc++] = (int)strtol(p, &p, 10); if (*p == ',') p++; }\n"
    "    void *arena = aligned_alloc(M_ARENA_ALIGN, M_ARENA_BYTES);\n    m_ctx ctx;\n"
    "    if (!arena || m_init(&ctx, arena, M_ARENA_BYTES, NULL, 0) != M_OK) return 3;\n"
    "    FILE *out = fopen(argv[3], \"wb\");\n    if (!out) return 2;\n"
    "    unsigned long long kv = M_KV_BYTES;\n    fwrite(&kv, 8, 1, out);\n"
    "    static float end[M_VOCAB_SIZE];\n    unsigned char *st = 0;\n    int st_k = 0;\n    size_t st_n = 0;\n"
    "    for (int pos = 0, k = 0; pos < n; k++) {\n"
    "        int m = c[k % nc] < n - pos ? c[k % nc] : n - pos;\n"
    "        const float *lg = m_forward(&ctx, ids + pos, m);\n        if (!lg) return 4;\n"
    "        pos += m;\n        int32_t last = pos - 1;\n"
    "        fwrite(&last, 4, 1, out);\n        fwrite(lg, sizeof(float), M_VOCAB_SIZE, out);\n"
    "        for (int i = 0; i < M_VOCAB_SIZE; i++) end[i] = lg[i];\n"
    "        if (!st && pos >= 24 && pos < n) {\n"
    "            st_n = (size_t)m_state_bytes(&ctx);\n            st = malloc(st_n);\n"
    "            if (!st || m_state_save(&ctx, st, st_n) != M_OK) return 5;\n"
    "            st_k = k + 1;\n        }\n    }\n"
    "    /* the saved state (rings past their first wrap) runs the rest again to the same logits */\n"
    "    if (!st || m_state_load(&ctx, st, st_n) != M_OK) return 6;\n"
    "    const float *lg = 0;\n"
    "    for (int pos = m_position(&ctx), k = st_k; pos < n; k++) {\n"
    "        int m = c[k % nc] < n - pos ? c[k % nc] : n - pos;\n"
    "        if (!(lg = m_forward(&ctx, ids + pos, m))) return 7;\n        pos += m;\n    }\n"
    "    for (int i = 0; i < M_VOCAB_SIZE; i++)\n        if (!lg || lg[i] != end[i]) return 8;\n"
    "    /* a ring keeps window + batch - 1 positions: rewinding past them is refused */\n"
    "    int rings = M_KV_BYTES != ((unsigned long long)M_CTX * M_KV_ROW_BYTES + 63) / 64 * 64;\n"
    "    if (m_rewind(&ctx, n - 1) != M_OK || (m_rewind(&ctx, 0) == M_OK) == rings) return 9;\n"
    "    free(st);\n    m_release(&ctx);\n"
    "    return fclose(out) != 0;\n}\n";

/* lmcc CMD MODEL --ctx CTX OPTS... into a */
static void lmcc_cmd(lmcc_argv *a, const char *cmd, const char *model, const char *const *opts) {
    lmcc_argv_init(a);
    lmcc_argv_add(a, "%s", lmcc_exe);
    lmcc_argv_add(a, "%s", cmd);
    lmcc_argv_add(a, "%s", model);
    lmcc_argv_add(a, "--ctx");
    lmcc_argv_add(a, "%d", CTX);
    for (int i = 0; opts[i]; i++) lmcc_argv_add(a, "%s", opts[i]);
}

static int run(lmcc_argv *a, int quiet) {
    lmcc_run_opts o = {NULL, 1, 0};
    if (quiet) o.stdout_to_stderr = 1;
    return lmcc_argv_run(a, &o);
}

/* the interpreter's logits [N][V] of ids */
static float *interp_logits(const gguf_file *f, const int *ids, int V) {
    ir_config cfg = {.ctx = CTX, .kv_dtype = IR_DT_F32, .weights_mode = IR_WEIGHTS_KEEP, .batch = BATCH};
    ir_graph *g = test_build_graph(f, "interpreter", &cfg, TEST_NO_PASSES);
    lmcc_interp *it = g ? lmcc_interp_new(g) : NULL;
    float *out = it ? malloc(sizeof(float) * (size_t)N * (size_t)V) : NULL;
    for (int p = 0; out && p < N; p++) {
        const float *lg = lmcc_interp_step(it, ids[p], p);
        CHECK(lg, "interpreter step %d", p);
        if (lg) memcpy(out + (size_t)p * V, lg, sizeof(float) * (size_t)V);
    }
    lmcc_interp_free(it);
    ir_graph_free(g);
    return out;
}

/* compiles model with extra options (NULL-terminated), builds the app, runs it with the chunk
 * schedule, compares every record with ref; returns M_KV_BYTES (0 on failure) */
static unsigned long long compile_run(const char *what, const char *model, const char *const *opts, const char *chunks,
                                      const float *ref, int V, double tol, int threads) {
    char gen[640];
    snprintf(gen, sizeof gen, "%s", test_path("gen"));
    lmcc_remove_dir(gen);
    lmcc_argv a;
    lmcc_cmd(&a, "compile", model, opts);
    lmcc_argv_add(&a, "-o");
    lmcc_argv_add(&a, "%s", gen);
    lmcc_argv_add(&a, "--name");
    lmcc_argv_add(&a, "m");
    lmcc_argv_add(&a, "--batch");
    lmcc_argv_add(&a, "%d", BATCH);
    if (run(&a, 1) != 0) {
        CHECK(0, "%s: lmcc compile failed", what);
        return 0;
    }
    lmcc_argv_init(&a);
    const char *cc = getenv("CC");
    lmcc_argv_split(&a, cc && *cc ? cc : "cc");
    lmcc_argv_split(&a, "-std=c11 -O1");
    for (int i = 0; opts[i]; i++)
        if (!strcmp(opts[i], "x86-64-v3")) lmcc_argv_add(&a, "-march=x86-64-v3");
    lmcc_argv_add(&a, "-I%s", gen);
    lmcc_argv_add(&a, "%s/m.c", gen);
    lmcc_argv_add(&a, "%s/m_weights.S", gen);
    lmcc_argv_add(&a, "%s", test_path("app.c"));
    lmcc_argv_add(&a, "-o");
    lmcc_argv_add(&a, "%s", test_path("app"));
    if (threads) lmcc_argv_add(&a, "-pthread");
    lmcc_argv_add(&a, "-lm");
    if (run(&a, 0) != 0) {
        CHECK(0, "%s: the app does not build", what);
        return 0;
    }
    lmcc_argv_init(&a);
    lmcc_argv_add(&a, "%s", test_path("app"));
    lmcc_argv_add(&a, "%s", test_path("ids.txt"));
    lmcc_argv_add(&a, "%s", chunks);
    lmcc_argv_add(&a, "%s", test_path("out.bin"));
    int rc = run(&a, 0);
    CHECK(rc == 0, "%s: app exit %d", what, rc);
    size_t nb = 0;
    unsigned char *out = test_read_file(test_path("out.bin"), &nb), *rec = out ? out + 8 : NULL;
    unsigned long long kv = 0;
    if (out && nb >= 8) memcpy(&kv, out, 8);
    size_t rs = 4 + sizeof(float) * (size_t)V;
    int n_rec = out && nb >= 8 ? (int)((nb - 8) / rs) : 0;
    double worst = 0;
    int last = -1;
    for (int r = 0; r < n_rec; r++) {
        int32_t pos;
        memcpy(&pos, rec + r * rs, 4);
        CHECK(pos > last && pos < N, "%s: record %d at position %d", what, r, pos);
        if (pos <= last || pos >= N) break;
        last = pos;
        const float *lg = (const float *)(const void *)(rec + r * rs + 4);
        for (int i = 0; i < V; i++) {
            double d = fabs((double)lg[i] - ref[(size_t)pos * V + i]);
            if (!(d <= worst)) worst = d;
        }
    }
    CHECK(n_rec > 0 && last == N - 1, "%s: %d records, last position %d", what, n_rec, last);
    CHECK(worst <= tol, "%s: logits max |diff| vs the interpreter %g > %g", what, worst, tol);
    printf("%s: %d chunks (%s), max |diff| vs the interpreter %.3g\n", what, n_rec, chunks, worst);
    free(out);
    return kv;
}

/* the x86-64-v3 build runs here (F16C comes with AVX2 and FMA on every such CPU) */
static int have_avx2(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static unsigned long long al64(unsigned long long x) { return (x + 63) / 64 * 64; }

/* mean KL(interpreter || compiled) of `lmcc eval` with opts over the N positions */
static double eval_kl(const char *what, const char *model, const char *const *opts, const float *ref, int V) {
    lmcc_argv a;
    lmcc_cmd(&a, "eval", model, opts);
    lmcc_argv_add(&a, "--ids");
    lmcc_argv_add(&a, "%s", test_path("ids.txt"));
    lmcc_argv_add(&a, "--logits");
    lmcc_argv_add(&a, "%s", test_path("eval.f32"));
    int rc = run(&a, 1);
    CHECK(rc == 0, "%s: lmcc eval failed", what);
    size_t nb = 0;
    float *lg = rc ? NULL : test_read_file(test_path("eval.f32"), &nb);
    double kl = 0;
    CHECK(!rc && lg && nb == sizeof(float) * (size_t)N * (size_t)V, "%s: %zu bytes of logits", what, nb);
    for (int p = 0; lg && nb == sizeof(float) * (size_t)N * (size_t)V && p < N; p++) {
        const float *x = ref + (size_t)p * V, *y = lg + (size_t)p * V;
        double mx = -INFINITY, my = -INFINITY, sx = 0, sy = 0, k = 0;
        for (int i = 0; i < V; i++) mx = fmax(mx, x[i]), my = fmax(my, y[i]);
        for (int i = 0; i < V; i++) sx += exp(x[i] - mx), sy += exp(y[i] - my);
        for (int i = 0; i < V; i++) {
            double lp = x[i] - mx - log(sx), lq = y[i] - my - log(sy);
            k += exp(lp) * (lp - lq);
        }
        kl += k / N;
    }
    free(lg);
    return kl;
}

/* full: every build variant (gemma2: rings, windows, softcaps); else generic, x86-64-v3 and GPTQ */
static void test_model_file(const char *name, const tiny_params *p, int full) {
    char model[64];
    snprintf(model, sizeof model, "%s.gguf", name);
    gguf_file *f = tiny_make(p);
    CHECK(f && tiny_write(f, test_path(model)) == 0, "%s: write the model", name);
    if (!f) return;
    int V = p->vocab, ids[N];
    uint32_t s = 4321;
    char txt[N * 8] = "";
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        ids[i] = (int)((s >> 8) % (uint32_t)V);
        snprintf(txt + strlen(txt), sizeof txt - strlen(txt), "%d ", ids[i]);
    }
    test_write_file(test_path("ids.txt"), txt, strlen(txt));
    float *ref = interp_logits(f, ids, V);
    gguf_close(f);
    if (!ref) return;
    char path[640], what[128];
    snprintf(path, sizeof path, "%s", test_path(model));
    static const char *const generic[] = {"-t", "generic", "--weights", "f32", NULL};
    static const char *const threaded[] = {"-t", "generic", "--weights", "f32", "--threads", "2", NULL};
    static const char *const unfused[] = {"-t", "generic", "--weights", "f32", "--no-fuse", NULL};
    static const char *const x86[] = {"-t", "x86-64-v3", "--weights", "f32", NULL};
    static const char *const kv16[] = {"-t", "generic", "--weights", "f32", "--kv", "f16", NULL};
    const char *sched = "1,8,11,3,5,1,1,2";
    snprintf(what, sizeof what, "%s generic", name);
    unsigned long long kv = compile_run(what, path, generic, sched, ref, V, 1e-4, 0);
    /* KV bytes: the sliding layers' rings of window + batch - 1 slots, every other layer ctx slots */
    unsigned long long want = 0;
    int hd = p->head_dim ? p->head_dim : p->dim / p->n_heads;
    for (int L = 0; L < p->n_layers; L++) {
        int period = strcmp(p->arch, "gemma3") ? 2 : 6; /* llama.cpp's sliding-window patterns */
        int slide = p->window > 0 && L % period < period - 1, slots = slide ? p->window + BATCH - 1 : CTX;
        want += 2 * al64((unsigned long long)p->n_kv * (unsigned long long)slots * (unsigned long long)hd * 4);
    }
    CHECK(kv == want, "%s: M_KV_BYTES %llu, rings + full caches %llu", name, kv, want);
    printf("%s: M_KV_BYTES %llu (rings + full caches; %llu with every layer at ctx)\n", name, kv,
           (unsigned long long)p->n_layers * 2 * al64((unsigned long long)p->n_kv * CTX * (unsigned long long)hd * 4));
    if (full) {
        snprintf(what, sizeof what, "%s --threads 2", name);
        compile_run(what, path, threaded, "8,1,13,2", ref, V, 1e-4, 1);
        snprintf(what, sizeof what, "%s --no-fuse", name);
        compile_run(what, path, unfused, "5,8,1", ref, V, 1e-4, 0);
        snprintf(what, sizeof what, "%s --kv f16", name);
        compile_run(what, path, kv16, sched, ref, V, 2e-2, 0);
    }
    if (have_avx2()) {
        snprintf(what, sizeof what, "%s x86-64-v3", name);
        compile_run(what, path, x86, sched, ref, V, 1e-4, 0);
    } else {
        printf("skipped %s x86-64-v3: no AVX2\n", name);
    }
    if (!full) {
    } else if (access("/usr/bin/qemu-aarch64", X_OK) == 0 && access("/usr/bin/aarch64-linux-gnu-gcc", X_OK) == 0) {
        static const char *const a64[] = {"-t", "aarch64", "--weights", "f32", NULL};
        snprintf(what, sizeof what, "%s aarch64 (qemu)", name);
        double kl = eval_kl(what, path, a64, ref, V);
        CHECK(kl <= 1e-6, "%s: mean KL %g", what, kl);
        printf("%s: mean KL vs the interpreter %.3g\n", what, kl);
    } else {
        printf("skipped %s aarch64: no qemu-aarch64 / aarch64-linux-gnu-gcc (apt-get install qemu-user "
               "gcc-aarch64-linux-gnu)\n", name);
    }
    /* GPTQ calibrates through the batched evaluator (forward and backward) on this architecture */
    static const char *const gptq[] = {"-t", "generic", "--weights", "q8", "--quant", "gptq", NULL};
    snprintf(what, sizeof what, "%s q8 gptq", name);
    double kl = eval_kl(what, path, gptq, ref, V);
    CHECK(kl <= 0.02, "%s: mean KL %g", what, kl);
    printf("%s: mean KL vs the float interpreter %.3g\n", what, kl);
    free(ref);
}

int main(void) {
    lmcc_exe = getenv("LMCC");
    if (!lmcc_exe || !test_tmpdir("arch_e2e")) {
        printf("skip: LMCC not set\n");
        return 77;
    }
    test_write_file(test_path("app.c"), app_src, strlen(app_src));
    tiny_params p = tiny_default();
    p.arch = "gemma2", p.dim = 64, p.hidden = 96, p.n_layers = 3, p.n_heads = 4, p.n_kv = 2, p.head_dim = 24;
    p.rope_dim = 24, p.vocab = 64, p.ctx_len = 128, p.window = 6, p.attn_cap = 1.5f, p.final_cap = 3.0f;
    p.seed = 77;
    test_model_file("gemma2", &p, 1);
    p = tiny_default();
    p.arch = "phi3", p.dim = 64, p.hidden = 80, p.n_layers = 2, p.n_heads = 4, p.n_kv = 2, p.rope_dim = 10;
    p.vocab = 64, p.ctx_len = 128, p.seed = 78;
    test_model_file("phi3", &p, 0);
    p = tiny_default(); /* 6 layers: 0-4 local, 5 global */
    p.arch = "gemma3", p.dim = 32, p.hidden = 48, p.n_layers = 6, p.n_heads = 2, p.n_kv = 1, p.head_dim = 16;
    p.rope_dim = 16, p.vocab = 64, p.ctx_len = 128, p.window = 5, p.theta = 1e6f, p.seed = 79;
    test_model_file("gemma3", &p, 0);
    lmcc_remove_dir(test_path("gen"));
    for (const char *const *f = (const char *const[]){"gemma2.gguf", "phi3.gguf", "gemma3.gguf", "ids.txt", "app.c", "app", "out.bin",
                                                       "eval.f32", NULL};
         *f; f++)
        unlink(test_path(*f));
    rmdir(test_dir);
    return test_finish("test_arch_e2e", NULL);
}
