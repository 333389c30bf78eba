/* test_kquant_e2e.c - GGUF tensor types compiled as they are stored (--weights keep), end to end.
 *
 * Writes small llamas (dim 256, ffn 512, 2 layers, GQA, random weights, stories260K's tokenizer)
 * whose 2-D tensors are made by tests/kquant_ref.h (Q2_K..Q6_K, IQ4_NL, IQ4_XS, BF16) or runtime-min's
 * ggml-exact encoders (Q5_0, Q5_1, Q8_0): "mix", which mixes types per tensor like llama-quantize's
 * *_K_M files (q/k/v of one layer alike and gate/up alike, so the fusions meet K-quants too), and one
 * file per type among Q2_K, Q3_K, IQ4_NL, IQ4_XS and BF16 with every 2-D tensor in it (like
 * llama-quantize --pure).  For each (a
 * one-type file only on the reference unless KQUANT_FULL=1, see runs[]):
 *  - the compiled C (generic; x86-64-v3 when the CPU has AVX2) with f32 activations gives the
 *    interpreter's logits on the dequantized tensors (lmcc eval --reference) to float rounding; with
 *    the default activations (q8a for quantized files) generic and x86-64-v3 agree closely and stay
 *    near the reference (their float sums differ in the last bits, which can flip the int8 rounding
 *    of an activation here and there: the mean difference is bounded tightly, the largest loosely);
 *  - against llama.cpp on the same file: tests/data/kquant/NAME.logits (llama_logits' output as f16,
 *    made by tests/data/kquant/make_reference.sh, which also records each file's hash in models.txt; a
 *    file that no longer hashes the same fails): mean KL(llama.cpp || lmcc) <= 1e-3 with the default
 *    activations and with f32 ones;
 *  - requantizing: --weights q8 from the stored blocks (rows through lmrt_dequant_row)
 *    stays close to the stored model.
 * `test_kquant_e2e --write DIR` only writes the models and the ids, and prints each file's hash. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf.h"
#include "gguf_write.h"
#include "kquant_ref.h"
#include "lmrt_quant.h"
#include "test_util.h"

enum { DIM = 256, FF = 512, NL = 2, NH = 4, NKV = 2, CTX = 64, NPOS = 48 };
/* the linear weights of a layer */
enum { W_Q, W_K, W_V, W_O, W_GATE, W_UP, W_DOWN, W_N };
static const char *const w_names[W_N] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};

typedef struct model_spec {
    const char *name;
    int embd, out, lin[NL][W_N]; /* ggml type ids */
} model_spec;

enum { Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q2K = 10, Q3K = 11, Q4K = 12, Q5K = 13, Q6K = 14, IQ4NL = 20, IQ4XS = 23, BF16 = 30 };
static const model_spec mix = {"mix", Q4K, Q8_0,
                               {{IQ4XS, IQ4NL, Q6K, Q5_0, Q2K, Q2K, BF16}, {Q3K, Q3K, Q3K, Q4K, Q5_1, Q5_1, Q5K}}};
static const int pure_types[] = {Q2K, Q3K, IQ4NL, IQ4XS, BF16};
static const char *const pure_names[] = {"q2_k", "q3_k", "iq4_nl", "iq4_xs", "bf16"};
#define N_MODELS (1 + (int)(sizeof pure_types / sizeof pure_types[0]))

static model_spec spec_of(int m) {
    if (m == 0) return mix;
    model_spec s = {pure_names[m - 1], pure_types[m - 1], pure_types[m - 1], {{0}}};
    for (int l = 0; l < NL; l++)
        for (int w = 0; w < W_N; w++) s.lin[l][w] = pure_types[m - 1];
    return s;
}

static uint32_t g_rs;
static float rnd(void) {
    g_rs = g_rs * 1664525u + 1013904223u;
    return (float)((g_rs >> 8) & 0xffffu) / 65536.0f - 0.5f;
}

/* rows x K values (every fifth column shifted, so offsets matter) stored as `type` */
static int add_weight(gguf_writer *w, const char *name, int type, int rows, int K, float scale) {
    uint64_t ne[2] = {(uint64_t)K, (uint64_t)rows};
    int ggml_enc = type == Q5_0 || type == Q5_1 || type == Q8_0; /* ggml's reference quantizers */
    size_t rb = (size_t)lmrt_quant_block_bytes(type) * (size_t)(K / lmrt_quant_block_elems(type));
    float *x = malloc(sizeof(float) * (size_t)K);
    uint8_t *q = malloc(rb * (size_t)rows);
    int rc = -1;
    if (x && q) {
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < K; i++) x[i] = rnd() * scale + (i % 5 == 0 ? 0.3f * scale : 0.0f);
            if (ggml_enc) lmrt_quantize_row(type, x, q + (size_t)r * rb, K);
            else kq_quantize_row(type, x, q + (size_t)r * rb, K, NULL);
        }
        rc = gguf_writer_add_tensor(w, name, (uint32_t)type, 2, ne, q, rb * (size_t)rows);
    }
    free(x), free(q);
    return rc;
}

static int add_norm(gguf_writer *w, const char *name) {
    float v[DIM];
    for (int i = 0; i < DIM; i++) v[i] = 1.0f + 0.2f * rnd();
    uint64_t ne[1] = {DIM};
    return gguf_writer_add_tensor(w, name, 0, 1, ne, v, sizeof v);
}

/* the model file: every model draws the same values (same seed, same order), only their storage differs */
static int write_model(const model_spec *s, const gguf_file *tok, int64_t V, const char *path) {
    static const float wscale[W_N] = {0.15f, 0.15f, 0.15f, 0.1f, 0.15f, 0.15f, 0.1f};
    g_rs = 777u;
    gguf_writer *w = gguf_writer_new();
    if (!w) return -1;
    int rc = gguf_writer_add_str(w, "general.architecture", "llama") | gguf_writer_add_str(w, "general.name", s->name) |
             gguf_writer_add_u32(w, "llama.embedding_length", DIM) | gguf_writer_add_u32(w, "llama.block_count", NL) |
             gguf_writer_add_u32(w, "llama.feed_forward_length", FF) |
             gguf_writer_add_u32(w, "llama.attention.head_count", NH) |
             gguf_writer_add_u32(w, "llama.attention.head_count_kv", NKV) |
             gguf_writer_add_u32(w, "llama.context_length", CTX) |
             gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f) |
             gguf_writer_copy_kv(w, tok, "tokenizer.");
    rc |= add_weight(w, "token_embd.weight", s->embd, (int)V, DIM, 1.0f);
    for (int l = 0; l < NL; l++) {
        char nm[64];
        snprintf(nm, sizeof nm, "blk.%d.attn_norm.weight", l);
        rc |= add_norm(w, nm);
        for (int k = 0; k < W_N; k++) {
            int rows = k == W_K || k == W_V ? DIM / NH * NKV : k == W_GATE || k == W_UP ? FF : DIM;
            if (k == W_GATE) {
                snprintf(nm, sizeof nm, "blk.%d.ffn_norm.weight", l);
                rc |= add_norm(w, nm);
            }
            snprintf(nm, sizeof nm, "blk.%d.%s.weight", l, w_names[k]);
            rc |= add_weight(w, nm, s->lin[l][k], rows, k == W_DOWN ? FF : DIM, wscale[k]);
        }
    }
    rc |= add_norm(w, "output_norm.weight");
    rc |= add_weight(w, "output.weight", s->out, (int)V, DIM, 0.5f);
    rc |= gguf_writer_write(w, path);
    gguf_writer_free(w);
    return rc ? -1 : 0;
}

/* FNV-1a 64 of a file's bytes (0: unreadable) */
static uint64_t file_hash(const char *path) {
    size_t n = 0;
    unsigned char *d = test_read_file(path, &n);
    if (!d) return 0;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ d[i]) * 0x100000001b3ull;
    free(d);
    return h;
}

static int read_f32(const char *path, float *out, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t got = fread(out, sizeof(float), n, f);
    fclose(f);
    return got == n ? 0 : -1;
}

/* llama.cpp's logits (f16 little endian) and the hash of the file they were computed on */
static int read_reference(const char *src, const char *name, float *out, size_t n, uint64_t *hash) {
    char path[1024], line[256];
    snprintf(path, sizeof path, "%s/tests/data/kquant/models.txt", src);
    FILE *f = fopen(path, "r");
    *hash = 0;
    while (f && fgets(line, sizeof line, f)) {
        char nm[64];
        unsigned long long h;
        if (sscanf(line, "%63s %llx", nm, &h) == 2 && !strcmp(nm, name)) *hash = h;
    }
    if (f) fclose(f);
    snprintf(path, sizeof path, "%s/tests/data/kquant/%s.logits", src, name);
    size_t bytes = 0;
    unsigned char *d = test_read_file(path, &bytes);
    int ok = d && bytes == 2 * n && *hash;
    for (size_t i = 0; ok && i < n; i++) out[i] = lmrt_f16_to_f32((uint16_t)(d[2 * i] | d[2 * i + 1] << 8));
    free(d);
    return ok ? 0 : -1;
}

/* mean over positions of KL(p || q) of the softmaxes of rows of V logits */
static double mean_kl(const float *p, const float *q, int npos, int64_t V) {
    double sum = 0;
    for (int t = 0; t < npos; t++) {
        const float *a = p + (size_t)t * (size_t)V, *b = q + (size_t)t * (size_t)V;
        double ma = a[0], mb = b[0], za = 0, zb = 0, kl = 0;
        for (int64_t i = 1; i < V; i++) ma = fmax(ma, a[i]), mb = fmax(mb, b[i]);
        for (int64_t i = 0; i < V; i++) za += exp(a[i] - ma), zb += exp(b[i] - mb);
        for (int64_t i = 0; i < V; i++) {
            double la = a[i] - ma - log(za), lb = b[i] - mb - log(zb);
            kl += exp(la) * (la - lb);
        }
        sum += kl;
    }
    return sum / npos;
}

/* the runs of one model: name, lmcc eval options, whether x86-64-v3, whether on every file.  The mix holds
 * every type, so it alone runs every target and activation (each compile costs seconds); a one-type
 * file runs the reference, which checks its dequantization against llama.cpp.  KQUANT_FULL=1 runs
 * everything on every file (the per-type numbers of the README). */
enum { R_REF, R_GEN_F32, R_X86_F32, R_GEN_DEF, R_X86_DEF, R_REQ_Q8, R_N };
static const struct {
    const char *name, *opts;
    int x86, every;
} runs[R_N] = {
    {"ref", "--reference --weights keep --act f32", 0, 1},
    {"gen_f32", "-t generic --weights keep --act f32", 0, 0},
    {"x86_f32", "-t x86-64-v3 --weights keep --act f32", 1, 0},
    {"gen_def", "-t generic --weights keep", 0, 0},
    {"x86_def", "-t x86-64-v3 --weights keep", 1, 0},
    {"req_q8", "-t generic --weights q8 --act f32", 0, 0},
};

static int cpu_x86_v3(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); /* F16C comes with both */
#else
    return 0;
#endif
}

static void check_model(const model_spec *s, const char *lmcc, const char *src, const char *dir, int64_t V,
                        int have_x86, int full) {
    char path[1024], cmd[4096];
    size_t n = (size_t)NPOS * (size_t)V;
    float *lg[R_N], *cpp = malloc(n * sizeof(float));
    int done[R_N] = {0};
    snprintf(path, sizeof path, "%s/%s.gguf", dir, s->name);
    uint64_t want_hash = 0, hash = file_hash(path);
    int have_cpp = cpp && read_reference(src, s->name, cpp, n, &want_hash) == 0;
    CHECK(have_cpp, "%s: no llama.cpp reference in tests/data/kquant", s->name);
    CHECK(hash == want_hash, "%s: the model file hashes to %016llx, llama.cpp's logits are of %016llx "
          "(rerun tests/data/kquant/make_reference.sh)", s->name, (unsigned long long)hash,
          (unsigned long long)want_hash);
    for (int r = 0; r < R_N; r++) {
        lg[r] = malloc(n * sizeof(float));
        if ((runs[r].x86 && !have_x86) || !(runs[r].every || s == &mix || full)) continue;
        snprintf(cmd, sizeof cmd, "'%s' eval %s/%s.gguf %s --ctx %d --ids %s/ids.txt --logits %s/%s_%s.f32 >/dev/null",
                 lmcc, dir, s->name, runs[r].opts, CTX, dir, dir, s->name, runs[r].name);
        snprintf(path, sizeof path, "%s/%s_%s.f32", dir, s->name, runs[r].name);
        done[r] = lg[r] && system(cmd) == 0 && read_f32(path, lg[r], n) == 0;
        CHECK(done[r], "%s %s: %s", s->name, runs[r].name, cmd);
    }
    double amax = 0;
    for (size_t i = 0; done[R_REF] && i < n; i++) amax = fmax(amax, fabs(lg[R_REF][i]));
    for (int r = R_GEN_F32; r <= R_X86_DEF && done[R_REF]; r++) {
        if (!done[r]) continue;
        int def = r >= R_GEN_DEF, other = r == R_X86_DEF && done[R_GEN_DEF] ? R_GEN_DEF : R_REF;
        double d = 0, dref = 0, dsum = 0;
        for (size_t i = 0; i < n; i++) {
            d = fmax(d, fabs((double)lg[r][i] - lg[other][i]));
            dref = fmax(dref, fabs((double)lg[r][i] - lg[R_REF][i]));
            dsum += fabs((double)lg[r][i] - lg[other][i]);
        }
        /* bf16 files are float: their default activations are f32 */
        int q8a = def && s->embd != BF16;
        double tol = !q8a ? 1e-4 * amax + 1e-5 : other == R_REF ? 0.1 * amax : 1e-2 * amax;
        double mtol = !q8a || other == R_REF ? tol : 5e-4 * amax;
        printf("%-7s %-8s max|diff| vs %s %.3g (tol %.3g), mean %.3g (tol %.3g), vs reference %.3g (logit range %.3g)\n",
               s->name, runs[r].name, runs[other].name, d, tol, dsum / (double)n, mtol, dref, amax);
        CHECK(d <= tol && dsum / (double)n <= mtol, "%s: %s differs from %s", s->name, runs[r].name,
              runs[other].name);
        CHECK(dref <= 0.1 * amax, "%s: %s far from the reference", s->name, runs[r].name);
    }
    /* llama.cpp rounds its activations to 8 bits (q8_K for K-quants and IQ4_XS, q8_0 for the others; bf16
     * for bf16 weights).  The issue asks 0.03; that would not tell a 4-bit type from float here (iq4_nl's
     * own rounding costs 0.018 of KL on this model), so the same computation is held to 1e-3 */
    const double bound = 1e-3;
    for (int r = R_REF; r <= R_X86_DEF && have_cpp; r++) {
        if (!done[r]) continue;
        double kl = mean_kl(cpp, lg[r], NPOS, V);
        printf("%-7s %-8s mean KL(llama.cpp || lmcc) %.6f (bound %.3g)\n", s->name, runs[r].name, kl, bound);
        CHECK(kl <= bound, "%s %s: mean KL against llama.cpp %g > %g", s->name, runs[r].name, kl, bound);
    }
    if (done[R_REQ_Q8] && done[R_REF]) { /* q8_0 of the stored values: far finer than the stored types */
        double kl = mean_kl(lg[R_REF], lg[R_REQ_Q8], NPOS, V);
        printf("%-7s %-8s mean KL(stored || requantized to q8_0) %.2g (bound 0.005)\n", s->name, runs[R_REQ_Q8].name, kl);
        CHECK(kl <= 0.005, "%s: requantized to q8 KL %g", s->name, kl);
    }
    for (int r = 0; r < R_N; r++) free(lg[r]);
    free(cpp);
}

int main(int argc, char **argv) {
    const char *lmcc = getenv("LMCC"), *src = getenv("LMCC_SOURCE_DIR");
    int write_only = argc == 3 && !strcmp(argv[1], "--write");
    if (!write_only && (!lmcc || !src)) return test_finish("test_kquant_e2e", "LMCC / LMCC_SOURCE_DIR not set");
    char tok_path[1024], path[1200];
    if (find_model(tok_path, sizeof tok_path, "stories260K.gguf"))
        return test_finish("test_kquant_e2e", "without stories260K.gguf (its tokenizer)");
    const char *dir = write_only ? argv[2] : test_tmpdir("kquant");
    gguf_file *tf = gguf_open(tok_path);
    if (!dir || !tf) {
        fprintf(stderr, "FAIL: %s\n", dir ? tok_path : "no scratch directory");
        return 1;
    }
    int64_t V = 0;
    for (uint64_t i = 0; i < tf->n_tensors; i++)
        if (!strcmp(tf->tensors[i].name, "token_embd.weight")) V = (int64_t)tf->tensors[i].ne[1];
    for (int m = 0; m < N_MODELS; m++) {
        model_spec s = spec_of(m);
        snprintf(path, sizeof path, "%s/%s.gguf", dir, s.name);
        CHECK(V > 0 && write_model(&s, tf, V, path) == 0, "writing %s", path);
        if (write_only) printf("%s %016llx\n", s.name, (unsigned long long)file_hash(path));
    }
    gguf_close(tf);
    snprintf(path, sizeof path, "%s/ids.txt", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < NPOS; i++) fprintf(f, "%d ", i == 0 ? 1 : (int)((i * 7919u) % (unsigned)V));
    CHECK(f && fclose(f) == 0, "writing %s", path);
    if (write_only || test_failures) return test_failures ? 1 : 0;
    int have_x86 = cpu_x86_v3(), full = getenv("KQUANT_FULL") && !strcmp(getenv("KQUANT_FULL"), "1");
    if (!have_x86) printf("x86-64-v3 not run: no AVX2/FMA/F16C\n");
    for (int m = 0; m < N_MODELS; m++) {
        model_spec s = spec_of(m);
        check_model(m == 0 ? &mix : &s, lmcc, src, dir, V, have_x86, full);
    }
    int rc = test_finish("test_kquant_e2e", NULL);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (!rc && system(path)) printf("note: could not remove %s\n", dir);
    return rc;
}
