/* test_synth.c - lmcc-synth (bench/synth_gguf.c): runs the tool on the "tiny"
 * shape in every type, then reads the files back with gguf_open and
 * lmcc_build_graph: metadata, tokenizer keys, tensor names/types/shapes and
 * layout, weight statistics, and that the Q8_0/Q4_0 files dequantize to the
 * F16 file's values (same seed) within the quantization error. */
#include "arch.h"
#include "diag.h"
#include "gguf.h"
#include "lmrt_quant.h"
#include "test_model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the "tiny" shape, as the test expects it (independent of the tool's table) */
enum { T_DIM = 64, T_LAYERS = 2, T_HEADS = 4, T_KV = 2, T_FFN = 96 };

/* runs lmcc-synth with the given arguments; returns its exit status */
static int run_synth(const char *tool, const char *fmt, ...) {
    char args[1536], cmd[2600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>>'%s/log'", tool, args, test_dir);
    int st = system(cmd);
    return st == -1 ? -1 : (st >> 8) & 0xff;
}

/* IEEE half -> double, written independently of runtime-min */
static double half_to_double(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -v : v;
}

typedef struct exp_tensor { char name[64]; uint64_t ne0, ne1; } exp_tensor;

static void exp_add(exp_tensor *e, int *n, const char *name, uint64_t ne0, uint64_t ne1) {
    snprintf(e[*n].name, sizeof e[*n].name, "%s", name);
    e[*n].ne0 = ne0;
    e[*n].ne1 = ne1; /* 0: a 1-D norm */
    (*n)++;
}

static int expected_tensors(exp_tensor *e, uint64_t vocab) {
    int n = 0;
    const uint64_t hd = T_DIM / T_HEADS;
    char nm[64];
    exp_add(e, &n, "token_embd.weight", T_DIM, vocab);
    for (int L = 0; L < T_LAYERS; L++) {
        static const char *const blk[9] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                           "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
        const uint64_t sh[9][2] = {{T_DIM, 0}, {T_DIM, T_HEADS * hd}, {T_DIM, T_KV * hd}, {T_DIM, T_KV * hd},
                                   {T_HEADS * hd, T_DIM}, {T_DIM, 0}, {T_DIM, T_FFN}, {T_DIM, T_FFN},
                                   {T_FFN, T_DIM}};
        for (int k = 0; k < 9; k++) {
            snprintf(nm, sizeof nm, "blk.%d.%s.weight", L, blk[k]);
            exp_add(e, &n, nm, sh[k][0], sh[k][1]);
        }
    }
    exp_add(e, &n, "output_norm.weight", T_DIM, 0);
    exp_add(e, &n, "output.weight", T_DIM, vocab);
    return n;
}

/* metadata, tokenizer keys, tensor table and layout, and the IR graph */
static void check_file(const gguf_file *f, const gguf_file *voc, uint32_t want_type, int64_t want_ftype) {
    const gguf_kv *tk = gguf_find(voc, "tokenizer.ggml.tokens");
    uint64_t vocab = tk->val.v.arr.n;
    char s[128];
    CHECK(gguf_get_str(f, "general.architecture", s, sizeof s) == 0 && !strcmp(s, "llama"), "arch '%s'", s);
    CHECK(gguf_get_str(f, "general.name", s, sizeof s) == 0 && !strcmp(s, "tiny-synth"), "name '%s'", s);
    CHECK(test_gguf_int(f, "general.file_type") == want_ftype, "file_type");
    CHECK(test_gguf_int(f, "llama.context_length") == 2048, "context_length");
    CHECK(test_gguf_int(f, "llama.embedding_length") == T_DIM, "embedding_length");
    CHECK(test_gguf_int(f, "llama.block_count") == T_LAYERS, "block_count");
    CHECK(test_gguf_int(f, "llama.feed_forward_length") == T_FFN, "feed_forward_length");
    CHECK(test_gguf_int(f, "llama.attention.head_count") == T_HEADS, "head_count");
    CHECK(test_gguf_int(f, "llama.attention.head_count_kv") == T_KV, "head_count_kv");
    CHECK(test_gguf_int(f, "llama.rope.dimension_count") == T_DIM / T_HEADS, "rope.dimension_count");
    CHECK(test_gguf_int(f, "llama.vocab_size") == (int64_t)vocab, "vocab_size");
    float x = 0;
    CHECK(gguf_get_f32(f, "llama.rope.freq_base", &x) == 0 && x == 10000.0f, "freq_base %g", (double)x);
    CHECK(gguf_get_f32(f, "llama.attention.layer_norm_rms_epsilon", &x) == 0 && x == 1e-5f, "rms eps %g",
          (double)x);
    /* every tokenizer.* key of the vocab file, equal; and no other source keys */
    int n_tok = 0, n_tok_out = 0;
    for (uint64_t i = 0; i < voc->n_kv; i++) {
        const gguf_kv *kv = &voc->kv[i];
        if (kv->key.len < 10 || memcmp(kv->key.ptr, "tokenizer.", 10) != 0) continue;
        n_tok++;
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)kv->key.len, kv->key.ptr);
        const gguf_kv *got = gguf_find(f, key);
        CHECK(got && test_gguf_value_eq(&got->val, &kv->val), "%s: tokenizer key %s missing or different", f->path, key);
    }
    for (uint64_t i = 0; i < f->n_kv; i++)
        n_tok_out += f->kv[i].key.len >= 10 && memcmp(f->kv[i].key.ptr, "tokenizer.", 10) == 0;
    CHECK(n_tok > 3 && n_tok_out == n_tok, "tokenizer keys: %d in vocab, %d in output", n_tok, n_tok_out);

    exp_tensor e[3 + 9 * T_LAYERS];
    int n = expected_tensors(e, vocab);
    CHECK(f->n_tensors == (uint64_t)n, "%s: %llu tensors, expected %d", f->path, (unsigned long long)f->n_tensors, n);
    CHECK(f->alignment == 32 && f->data_offset % 32 == 0, "alignment %llu, data at %llu",
          (unsigned long long)f->alignment, (unsigned long long)f->data_offset);
    uint64_t end = 0;
    for (int i = 0; i < n && (uint64_t)i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        int is_norm = e[i].ne1 == 0;
        CHECK(!strcmp(t->name, e[i].name), "tensor %d is %s, expected %s", i, t->name, e[i].name);
        CHECK(t->n_dims == (is_norm ? 1u : 2u) && t->ne[0] == e[i].ne0 && (is_norm || t->ne[1] == e[i].ne1),
              "%s: shape", t->name);
        uint32_t want = is_norm ? LMRT_GGML_F32 : want_type;
        CHECK(t->type == want, "%s: ggml type %u, expected %u", t->name, t->type, want);
        uint64_t elems = e[i].ne0 * (is_norm ? 1 : e[i].ne1);
        uint64_t nb = want == LMRT_GGML_F32 ? elems * 4 : want == LMRT_GGML_F16 ? elems * 2
                    : want == LMRT_GGML_Q8_0 ? elems / 32 * 34 : elems / 32 * 18;
        CHECK(t->nbytes == nb, "%s: %llu bytes, expected %llu", t->name, (unsigned long long)t->nbytes,
              (unsigned long long)nb);
        CHECK(t->offset % 32 == 0 && t->offset >= end, "%s: offset %llu", t->name, (unsigned long long)t->offset);
        end = t->offset + t->nbytes;
    }
    CHECK(f->data_offset + end <= f->size, "tensor data past the end of the file");

    ir_config cfg = {.ctx = 16, .kv_dtype = IR_DT_F32, .weights_mode = IR_WEIGHTS_KEEP};
    ir_graph *g = lmcc_build_graph(f, f->path, &cfg);
    CHECK(g != NULL, "lmcc_build_graph: %s", lmcc_error_text());
    if (!g) return;
    const ir_model_info *in = &g->info;
    CHECK(in->dim == T_DIM && in->n_layers == T_LAYERS && in->n_heads == T_HEADS && in->n_kv_heads == T_KV &&
              in->hidden_dim == T_FFN && in->head_dim == T_DIM / T_HEADS && in->vocab_size == (int)vocab &&
              in->ctx_len == 2048 && in->rope_dim == T_DIM / T_HEADS && in->rope_theta == 10000.0f &&
              in->rms_eps == 1e-5f && !in->tied_output,
          "graph info of %s", f->path);
    int id = ir_tensor_find(g, "blk.1.ffn_down.weight");
    CHECK(id >= 0 && g->tensors[id].dtype == (ir_dtype)ir_dtype_from_gguf(want_type), "graph weight dtype");
    ir_graph_free(g);
}

typedef struct stats { double n, sum, sum2, lo, hi; } stats;

static void stats_add(stats *s, double v) {
    if (s->n == 0 || v < s->lo) s->lo = v;
    if (s->n == 0 || v > s->hi) s->hi = v;
    s->n++;
    s->sum += v;
    s->sum2 += v * v;
}
static double stats_mean(const stats *s) { return s->sum / s->n; }
static double stats_std(const stats *s) {
    double m = stats_mean(s);
    return sqrt(s->sum2 / s->n - m * m);
}

/* The F16 file's values look like trained weights' scale. */
static void check_values_f16(const gguf_file *f) {
    stats mat = {0}, norm = {0};
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        const uint8_t *p = t->data;
        if (t->type == LMRT_GGML_F32) {
            for (uint64_t j = 0; j < t->ne[0]; j++) {
                float v;
                memcpy(&v, p + 4 * j, 4);
                stats_add(&norm, v);
            }
        } else {
            for (uint64_t j = 0; j < t->nbytes / 2; j++) stats_add(&mat, half_to_double((uint16_t)(p[2 * j] | p[2 * j + 1] << 8)));
        }
    }
    CHECK(fabs(stats_mean(&mat)) < 1e-3 && fabs(stats_std(&mat) - 0.02) < 0.02 * 0.02 && mat.hi < 0.1 &&
              mat.lo > -0.1,
          "matrix weights: mean %g std %g range [%g, %g]", stats_mean(&mat), stats_std(&mat), mat.lo, mat.hi);
    /* each tensor has its own values */
    const gguf_tensor *a = gguf_find_tensor(f, "blk.0.attn_q.weight"), *b = gguf_find_tensor(f, "blk.1.attn_q.weight");
    CHECK(a && b && a->nbytes == b->nbytes && memcmp(a->data, b->data, a->nbytes) != 0, "layers 0 and 1 share attn_q");
    a = gguf_find_tensor(f, "blk.0.attn_norm.weight");
    b = gguf_find_tensor(f, "blk.0.ffn_norm.weight");
    CHECK(a && b && a->nbytes == b->nbytes && memcmp(a->data, b->data, a->nbytes) != 0, "norms are equal");
    CHECK(fabs(stats_mean(&norm) - 1.0) < 5e-3 && stats_std(&norm) > 0.005 && stats_std(&norm) < 0.04 &&
              norm.lo > 0.8 && norm.hi < 1.2,
          "norm weights: mean %g std %g", stats_mean(&norm), stats_std(&norm));
}

/* Every quantized value is the F16 value within the format's rounding error:
 * q8_0 rounds to d = amax/127 (error <= d/2), q4_0 to d = amax/8 (error <= d:
 * values opposite in sign to the block's extreme clamp at +7); both plus the
 * f16 rounding of d times the largest quant.  Norms (f32) are identical. */
static void check_quant_vs_f16(const gguf_file *q, const gguf_file *h, int is_q4) {
    double worst = 0, err_sum = 0, n_err = 0;
    for (uint64_t i = 0; i < q->n_tensors && i < h->n_tensors; i++) {
        const gguf_tensor *tq = &q->tensors[i], *th = &h->tensors[i];
        if (tq->type == LMRT_GGML_F32) {
            CHECK(th->nbytes == tq->nbytes && !memcmp(tq->data, th->data, tq->nbytes), "%s differs", tq->name);
            continue;
        }
        uint64_t ne0 = tq->ne[0], rows = tq->ne[1];
        const uint8_t *ph = th->data;
        float *row = malloc(ne0 * sizeof(float));
        size_t qrow = (size_t)(ne0 / 32 * (is_q4 ? 18 : 34));
        for (uint64_t r = 0; r < rows; r++) {
            CHECK(lmrt_dequant_row((int)tq->type, (const uint8_t *)tq->data + r * qrow, row, (int64_t)ne0) == 0,
                  "dequant");
            for (uint64_t b = 0; b < ne0; b += 32) {
                double ref[32], amax = 0;
                for (int j = 0; j < 32; j++) {
                    uint64_t k = r * ne0 + b + (uint64_t)j;
                    ref[j] = half_to_double((uint16_t)(ph[2 * k] | ph[2 * k + 1] << 8));
                    amax = fabs(ref[j]) > amax ? fabs(ref[j]) : amax;
                }
                double d = amax / (is_q4 ? 8.0 : 127.0);
                double bound = (is_q4 ? d : d / 2) + d * (is_q4 ? 8 : 127) / 2048.0 + 1e-12;
                for (int j = 0; j < 32; j++) {
                    double err = fabs(row[b + (uint64_t)j] - ref[j]);
                    if (err > bound) {
                        if (worst <= bound) CHECK(0, "%s row %llu elem %llu: %g vs f16 %g (bound %g)", tq->name,
                                                  (unsigned long long)r, (unsigned long long)(b + (uint64_t)j),
                                                  (double)row[b + (uint64_t)j], ref[j], bound);
                        worst = err;
                    }
                    err_sum += err / (d > 0 ? d : 1);
                    n_err++;
                }
            }
        }
        free(row);
    }
    /* uniform rounding error averages d/4; a far smaller one would mean the
     * "quantized" data is not quantized at all */
    double mean = err_sum / n_err;
    CHECK(mean > 0.15 && mean < 0.4, "mean error %g of d, expected about 0.25", mean);
}

int main(void) {
    const char *src = getenv("LMCC_SOURCE_DIR"), *shared = getenv("LMCC_SHARED_DIR"), *bdir = getenv("LMCC_BUILD_DIR");
    char vocab[512] = "", tool[512];
    if (src) snprintf(vocab, sizeof vocab, "%s/tests/data/vocab/ggml-vocab-llama-spm.gguf", src);
    if (!vocab[0] || !test_exists(vocab)) {
        if (shared) snprintf(vocab, sizeof vocab, "%s/vocab/ggml-vocab-llama-spm.gguf", shared);
        if (!shared || !test_exists(vocab)) {
            printf("test_synth: skipped: ggml-vocab-llama-spm.gguf not found (set LMCC_SOURCE_DIR/LMCC_SHARED_DIR)\n");
            return 77;
        }
    }
    if (!bdir) {
        printf("test_synth: skipped: LMCC_BUILD_DIR not set (run through ctest)\n");
        return 77;
    }
    snprintf(tool, sizeof tool, "%s/lmcc-synth", bdir);
    if (!test_exists(tool)) {
        fprintf(stderr, "test_synth: FAIL: %s was not built\n", tool);
        return 1;
    }
    if (!test_tmpdir("test_synth")) return 1;

    static const char *const types[3] = {"f16", "q8_0", "q4_0"};
    static const uint32_t gtypes[3] = {LMRT_GGML_F16, LMRT_GGML_Q8_0, LMRT_GGML_Q4_0};
    static const int64_t ftypes[3] = {1, 7, 2};
    char name[64];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s.gguf", types[i]);
        int st = run_synth(tool, "--shape tiny --type %s --vocab '%s' -o '%s' --seed 7 --threads 1", types[i], vocab,
                           test_path(name));
        CHECK(st == 0, "lmcc-synth --type %s exited %d (see %s/log)", types[i], st, test_dir);
    }
    CHECK(run_synth(tool, "--shape tiny --type f16 --vocab '%s' -o '%s' --seed 8", vocab, test_path("f16s8.gguf")) == 0,
          "seed 8");
    /* the bytes do not depend on the thread count */
    CHECK(run_synth(tool, "--shape tiny --type q4_0 --vocab '%s' -o '%s' --seed 7 --threads 3", vocab,
                    test_path("again.gguf")) == 0,
          "q4_0 again");
    /* stories260K's ffn (172) is not whole blocks: those rows stay f16 */
    CHECK(run_synth(tool, "--shape stories260K --type q8_0 --vocab '%s' -o '%s'", vocab, test_path("s260k.gguf")) == 0,
          "stories260K");
    /* user errors: exit 1, no output left behind */
    CHECK(run_synth(tool, "--shape nope --type f16 --vocab '%s' -o '%s'", vocab, test_path("bad.gguf")) == 1,
          "unknown shape");
    CHECK(run_synth(tool, "--shape tiny --type q5_0 --vocab '%s' -o '%s'", vocab, test_path("bad.gguf")) == 1,
          "unknown type");
    CHECK(run_synth(tool, "--shape tiny --type f16 --vocab '%s/none.gguf' -o '%s'", test_dir, test_path("bad.gguf")) == 1,
          "missing vocab");
    CHECK(run_synth(tool, "--shape tiny --type f16 --vocab '%s' -o '%s/no/dir.gguf'", vocab, test_dir) == 1,
          "unwritable output");
    CHECK(!test_exists(test_path("bad.gguf")), "bad.gguf was written");

    gguf_file *voc = gguf_open(vocab);
    gguf_file *f[3] = {0};
    CHECK(voc != NULL, "open vocab: %s", lmcc_error_text());
    for (int i = 0; i < 3 && voc; i++) {
        snprintf(name, sizeof name, "%s.gguf", types[i]);
        f[i] = gguf_open(test_path(name));
        CHECK(f[i] != NULL, "gguf_open %s: %s", name, lmcc_error_text());
        if (f[i]) check_file(f[i], voc, gtypes[i], ftypes[i]);
    }
    if (f[0]) check_values_f16(f[0]);
    if (f[0] && f[1]) check_quant_vs_f16(f[1], f[0], 0);
    if (f[0] && f[2]) check_quant_vs_f16(f[2], f[0], 1);

    gguf_file *s8 = gguf_open(test_path("f16s8.gguf"));
    CHECK(s8 != NULL, "open seed 8");
    if (s8 && f[0]) {
        const gguf_tensor *a = gguf_find_tensor(f[0], "blk.0.attn_q.weight"), *b = gguf_find_tensor(s8, "blk.0.attn_q.weight");
        size_t same = 0;
        for (uint64_t j = 0; a && b && j < a->nbytes / 2; j++)
            same += !memcmp((const uint8_t *)a->data + 2 * j, (const uint8_t *)b->data + 2 * j, 2);
        CHECK(a && b && same < a->nbytes / 2 / 10, "seeds 7 and 8 share %zu of %llu values", same,
              a ? (unsigned long long)(a->nbytes / 2) : 0ull);
    }
    size_t n1 = 0, n2 = 0;
    uint8_t *d1 = test_read_file(test_path("q4_0.gguf"), &n1), *d2 = test_read_file(test_path("again.gguf"), &n2);
    CHECK(d1 && d2 && n1 == n2 && !memcmp(d1, d2, n1),
          "same seed, different bytes");
    free(d1);
    free(d2);

    gguf_file *s260 = gguf_open(test_path("s260k.gguf"));
    CHECK(s260 != NULL, "open stories260K");
    if (s260) {
        const gguf_tensor *dn = gguf_find_tensor(s260, "blk.4.ffn_down.weight"), *up = gguf_find_tensor(s260, "blk.4.ffn_up.weight");
        CHECK(dn && dn->type == LMRT_GGML_F16 && dn->ne[0] == 172 && up && up->type == LMRT_GGML_Q8_0,
              "stories260K tensor types");
        ir_config cfg = {.ctx = 8, .kv_dtype = IR_DT_F32, .weights_mode = IR_WEIGHTS_KEEP};
        ir_graph *g = lmcc_build_graph(s260, s260->path, &cfg);
        CHECK(g && g->info.n_layers == 5 && g->info.n_heads == 8 && g->info.n_kv_heads == 4 && g->info.hidden_dim == 172,
              "stories260K graph: %s", lmcc_error_text());
        ir_graph_free(g);
        gguf_close(s260);
    }
    gguf_close(s8);
    for (int i = 0; i < 3; i++) gguf_close(f[i]);
    gguf_close(voc);

    static const char *const files[] = {"f16.gguf", "q8_0.gguf", "q4_0.gguf", "f16s8.gguf", "again.gguf", "s260k.gguf", "log"};
    if (!test_failures) {
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) unlink(test_path(files[i]));
        if (rmdir(test_dir) != 0) CHECK(0, "leftover files in %s", test_dir);
    } else {
        fprintf(stderr, "test_synth: files kept in %s\n", test_dir);
    }
    return test_finish("test_synth", NULL);
}
