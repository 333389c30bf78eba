/* synth_gguf.c - lmcc-synth: writes a llama GGUF of a real model's shape with
 * seeded random weights, for benchmarks (no real weights of that size ship
 * with lmcc).  Weights are made as F16 first and quantized from those F16
 * values, as llama.cpp's quantize does from an F16 file, so the Q8_0/Q4_0
 * files of one seed are quantizations of the F16 file of that seed.
 * Tensors are generated, converted and written in chunks (streaming writer):
 * memory stays small even for TinyLlama.  Each chunk's rows are split among
 * threads; the random stream is a counter, so the bytes do not depend on the
 * thread count. */
#include "diag.h"
#include "gguf.h"
#include "gguf_write.h"
#include "lmrt_quant.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct synth_shape {
    const char *name;
    int dim, n_layers, n_heads, n_kv_heads, ffn;
} synth_shape;

/* the real models' hyper-parameters; "tiny" is for tests */
static const synth_shape synth_shapes[] = {
    {"stories15M", 288, 6, 6, 6, 768},
    {"stories110M", 768, 12, 12, 12, 2048},
    {"tinyllama", 2048, 22, 32, 4, 5632},
    {"stories260K", 64, 5, 8, 4, 172},
    {"tiny", 64, 2, 4, 2, 96},
};

typedef struct synth_type {
    const char *name;
    uint32_t ggml_type, file_type; /* file_type: llama_ftype (MOSTLY_*) */
} synth_type;

static const synth_type synth_types[] = {
    {"f16", LMRT_GGML_F16, 1},
    {"q8_0", LMRT_GGML_Q8_0, 7},
    {"q4_0", LMRT_GGML_Q4_0, 2},
};

#define SYNTH_CTX 2048
#define SYNTH_ROPE_BASE 10000.0f
#define SYNTH_RMS_EPS 1e-5f
#define SYNTH_STD 0.02f
#define SYNTH_CHUNK (1 << 21) /* elements generated per step */
#define SYNTH_MAX_THREADS 16
#define SYNTH_GOLDEN 0x9e3779b97f4a7c15ull

typedef struct synth_tensor {
    char name[64];
    uint64_t ne[2]; /* GGUF order: ne[0] innermost */
    uint32_t n_dims, type;
    uint64_t nbytes;
} synth_tensor;

/* splitmix64: fast, every 64-bit seed gives a good stream, and the state
 * after k draws is seed + k * SYNTH_GOLDEN (so any element is reachable) */
static uint64_t synth_next(uint64_t *s) {
    uint64_t z = (*s += SYNTH_GOLDEN);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Approximately standard normal: the sum of four 16-bit uniforms (Irwin-Hall,
 * variance 1/3) rescaled; far cheaper than Box-Muller and bounded at 3.46. */
static float synth_normal(uint64_t *s) {
    uint64_t r = synth_next(s);
    uint32_t sum = (uint32_t)(r & 0xffff) + (uint32_t)((r >> 16) & 0xffff) + (uint32_t)((r >> 32) & 0xffff) +
                   (uint32_t)(r >> 48);
    return ((float)sum + 2.0f) * (1.0f / 65536.0f) * 1.7320508f - 2.0f * 1.7320508f;
}

/* Each tensor has its own stream, so its values do not depend on the file's
 * type or on which other tensors exist. */
static uint64_t synth_tensor_seed(uint64_t seed, const char *name) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const char *p = name; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    uint64_t s = seed ^ h;
    return synth_next(&s);
}

static double synth_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void synth_usage(FILE *fp) {
    fprintf(fp, "usage: lmcc-synth --shape SHAPE --type f16|q8_0|q4_0 --vocab VOCAB.gguf -o OUT.gguf [--seed S]\n"
                "                  [--threads N (default: all CPUs)]\n"
                "shapes:");
    for (size_t i = 0; i < sizeof synth_shapes / sizeof synth_shapes[0]; i++) {
        const synth_shape *s = &synth_shapes[i];
        fprintf(fp, "\n  %-12s dim %d, %d layers, %d heads, %d kv heads, ffn %d", s->name, s->dim, s->n_layers,
                s->n_heads, s->n_kv_heads, s->ffn);
    }
    fprintf(fp, "\nThe vocabulary (size and all tokenizer.* keys) comes from VOCAB.gguf.\n");
}

static int synth_die(const char *fmt, const char *arg) {
    fprintf(stderr, "lmcc-synth: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return 1;
}

static void synth_put_f16(uint8_t *dst, uint16_t h) {
    dst[0] = (uint8_t)(h & 0xff);
    dst[1] = (uint8_t)(h >> 8);
}

/* rows [r0, r0 + nr) of a tensor, into vals / out positioned at row r0 */
typedef struct synth_job {
    const synth_tensor *t;
    uint64_t rng0, r0, nr;
    float *vals;
    uint8_t *out;
} synth_job;

/* 1-D norms are f32 near 1; matrices are f16 values of std SYNTH_STD,
 * quantized row by row from those f16 values. */
static void *synth_fill(void *arg) {
    const synth_job *j = arg;
    const synth_tensor *t = j->t;
    uint64_t ne0 = t->ne[0], n = j->nr * ne0, row_bytes = t->nbytes / (t->n_dims > 1 ? t->ne[1] : 1);
    uint64_t rng = j->rng0 + j->r0 * ne0 * SYNTH_GOLDEN; /* state before element r0 * ne0 */
    float *vals = j->vals;
    uint8_t *out = j->out;
    if (t->type == LMRT_GGML_F32) {
        for (uint64_t i = 0; i < n; i++) vals[i] = 1.0f + SYNTH_STD * synth_normal(&rng);
        memcpy(out, vals, n * sizeof(float)); /* GGUF is little-endian, like every host lmcc runs on */
        return NULL;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint16_t h = lmrt_f32_to_f16(SYNTH_STD * synth_normal(&rng));
        if (t->type == LMRT_GGML_F16) synth_put_f16(out + 2 * i, h);
        else vals[i] = lmrt_f16_to_f32(h);
    }
    for (uint64_t r = 0; r < j->nr && t->type != LMRT_GGML_F16; r++) {
        if (t->type == LMRT_GGML_Q8_0) lmrt_quantize_row_q8_0(vals + r * ne0, out + r * row_bytes, (int64_t)ne0);
        else lmrt_quantize_row_q4_0(vals + r * ne0, out + r * row_bytes, (int64_t)ne0);
    }
    return NULL;
}

/* Streams one tensor, chunk by chunk, each chunk's rows split among threads. */
static int synth_write_tensor(gguf_writer *w, const synth_tensor *t, uint64_t seed, int n_threads, float *vals,
                              uint8_t *out) {
    uint64_t rng0 = synth_tensor_seed(seed, t->name);
    uint64_t ne0 = t->ne[0], rows = t->n_dims > 1 ? t->ne[1] : 1;
    uint64_t row_bytes = t->nbytes / rows;
    uint64_t chunk_rows = ne0 >= SYNTH_CHUNK ? 1 : SYNTH_CHUNK / ne0;
    for (uint64_t c0 = 0; c0 < rows; c0 += chunk_rows) {
        uint64_t nr = rows - c0 < chunk_rows ? rows - c0 : chunk_rows;
        uint64_t nt = (uint64_t)n_threads < nr ? (uint64_t)n_threads : nr;
        synth_job jobs[SYNTH_MAX_THREADS];
        pthread_t th[SYNTH_MAX_THREADS];
        int started[SYNTH_MAX_THREADS] = {0};
        for (uint64_t k = 0; k < nt; k++) {
            uint64_t a = c0 + nr * k / nt, b = c0 + nr * (k + 1) / nt;
            jobs[k] = (synth_job){t, rng0, a, b - a, vals + (a - c0) * ne0, out + (a - c0) * row_bytes};
            /* a thread that cannot start is done here instead */
            if (k > 0) started[k] = pthread_create(&th[k], NULL, synth_fill, &jobs[k]) == 0;
        }
        synth_fill(&jobs[0]);
        for (uint64_t k = 1; k < nt; k++) {
            if (started[k]) pthread_join(th[k], NULL);
            else synth_fill(&jobs[k]);
        }
        if (gguf_writer_put_data(w, out, nr * row_bytes)) return -1;
    }
    return 0;
}

static uint64_t synth_nbytes(uint32_t type, uint64_t ne0, uint64_t rows) {
    return rows * (ne0 / (uint64_t)lmrt_quant_block_elems((int)type)) * (uint64_t)lmrt_quant_block_bytes((int)type);
}

int main(int argc, char **argv) {
    const char *shape_name = NULL, *type_name = NULL, *vocab_path = NULL, *out_path = NULL;
    uint64_t seed = 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int n_threads = ncpu < 1 ? 1 : ncpu > SYNTH_MAX_THREADS ? SYNTH_MAX_THREADS : (int)ncpu;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            synth_usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            synth_usage(stderr);
            return synth_die("'%s' needs a value or is unknown", a);
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--shape")) shape_name = v;
        else if (!strcmp(a, "--type")) type_name = v;
        else if (!strcmp(a, "--vocab")) vocab_path = v;
        else if (!strcmp(a, "-o")) out_path = v;
        else if (!strcmp(a, "--seed")) {
            char *end;
            seed = strtoull(v, &end, 0);
            if (!*v || *end) return synth_die("--seed '%s' is not an integer", v);
        } else if (!strcmp(a, "--threads")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 1 || n > SYNTH_MAX_THREADS) return synth_die("--threads '%s' must be 1..16", v);
            n_threads = (int)n;
        } else {
            synth_usage(stderr);
            return synth_die("unknown option '%s'", a);
        }
    }
    if (!shape_name || !type_name || !vocab_path || !out_path) {
        synth_usage(stderr);
        return synth_die("%s", "--shape, --type, --vocab and -o are required");
    }
    const synth_shape *sh = NULL;
    for (size_t i = 0; i < sizeof synth_shapes / sizeof synth_shapes[0]; i++)
        if (!strcmp(synth_shapes[i].name, shape_name)) sh = &synth_shapes[i];
    if (!sh) return synth_die("unknown shape '%s' (see --help)", shape_name);
    const synth_type *ty = NULL;
    for (size_t i = 0; i < sizeof synth_types / sizeof synth_types[0]; i++)
        if (!strcmp(synth_types[i].name, type_name)) ty = &synth_types[i];
    if (!ty) return synth_die("unknown type '%s' (f16, q8_0 or q4_0)", type_name);

    gguf_file *vf = gguf_open(vocab_path);
    if (!vf) return synth_die("%s", lmcc_error_text());
    const gguf_kv *tok = gguf_find(vf, "tokenizer.ggml.tokens");
    if (!tok || tok->val.type != GGUF_T_ARRAY || tok->val.v.arr.type != GGUF_T_STRING || !tok->val.v.arr.n ||
        tok->val.v.arr.n > (1u << 24)) {
        gguf_close(vf);
        return synth_die("%s: no tokenizer.ggml.tokens string array (not a vocab GGUF?)", vocab_path);
    }
    uint64_t vocab = tok->val.v.arr.n;
    uint64_t dim = (uint64_t)sh->dim, ffn = (uint64_t)sh->ffn, head_dim = dim / (uint64_t)sh->n_heads;
    uint64_t q_out = head_dim * (uint64_t)sh->n_heads, kv_out = head_dim * (uint64_t)sh->n_kv_heads;

    /* token_embd, blocks, output_norm, output: the order convert_hf_to_gguf.py writes */
    int n_t = 0, cap = 3 + 9 * sh->n_layers;
    synth_tensor *ts = calloc((size_t)cap, sizeof *ts);
    if (!ts) {
        gguf_close(vf);
        return synth_die("%s", "out of memory");
    }
#define ADD(nm, a, b)                                                                    \
    do {                                                                                 \
        synth_tensor *t_ = &ts[n_t++];                                                   \
        snprintf(t_->name, sizeof t_->name, "%s", nm);                                   \
        t_->ne[0] = (a);                                                                 \
        t_->ne[1] = (b);                                                                 \
        t_->n_dims = (b) ? 2 : 1;                                                        \
    } while (0)
    char nm[64];
    ADD("token_embd.weight", dim, vocab);
    static const char *const blk_names[9] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                             "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
    for (int L = 0; L < sh->n_layers; L++) {
        const uint64_t shp[9][2] = {{dim, 0},   {dim, q_out}, {dim, kv_out}, {dim, kv_out}, {q_out, dim},
                                    {dim, 0},   {dim, ffn},   {dim, ffn},    {ffn, dim}};
        for (int k = 0; k < 9; k++) {
            snprintf(nm, sizeof nm, "blk.%d.%s.weight", L, blk_names[k]);
            ADD(nm, shp[k][0], shp[k][1]);
        }
    }
    ADD("output_norm.weight", dim, 0);
    ADD("output.weight", dim, vocab);
#undef ADD

    gguf_writer *w = gguf_writer_new();
    if (!w) {
        gguf_close(vf);
        free(ts);
        return synth_die("%s", "out of memory");
    }
    char gname[96];
    snprintf(gname, sizeof gname, "%s-synth", sh->name);
    int rc = gguf_writer_add_str(w, "general.architecture", "llama") || gguf_writer_add_str(w, "general.name", gname) ||
             gguf_writer_add_u32(w, "general.file_type", ty->file_type) ||
             gguf_writer_add_u32(w, "general.quantization_version", 2) ||
             gguf_writer_add_u32(w, "llama.context_length", SYNTH_CTX) ||
             gguf_writer_add_u32(w, "llama.embedding_length", (uint32_t)dim) ||
             gguf_writer_add_u32(w, "llama.block_count", (uint32_t)sh->n_layers) ||
             gguf_writer_add_u32(w, "llama.feed_forward_length", (uint32_t)ffn) ||
             gguf_writer_add_u32(w, "llama.attention.head_count", (uint32_t)sh->n_heads) ||
             gguf_writer_add_u32(w, "llama.attention.head_count_kv", (uint32_t)sh->n_kv_heads) ||
             gguf_writer_add_u32(w, "llama.rope.dimension_count", (uint32_t)head_dim) ||
             gguf_writer_add_f32(w, "llama.rope.freq_base", SYNTH_ROPE_BASE) ||
             gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", SYNTH_RMS_EPS) ||
             gguf_writer_add_u32(w, "llama.vocab_size", (uint32_t)vocab) ||
             gguf_writer_copy_kv(w, vf, "tokenizer.");
    gguf_close(vf);

    uint64_t total = 0, max_elems = 0;
    int n_fallback = 0;
    for (int i = 0; !rc && i < n_t; i++) {
        synth_tensor *t = &ts[i];
        uint64_t rows = t->n_dims > 1 ? t->ne[1] : 1;
        t->type = t->n_dims == 1 ? LMRT_GGML_F32 : ty->ggml_type;
        /* a row that is not whole blocks cannot be quantized: keep it f16 */
        if (t->ne[0] % (uint64_t)lmrt_quant_block_elems((int)t->type) != 0) {
            t->type = LMRT_GGML_F16;
            n_fallback++;
        }
        t->nbytes = synth_nbytes(t->type, t->ne[0], rows);
        total += t->nbytes;
        uint64_t chunk = t->ne[0] >= SYNTH_CHUNK ? t->ne[0] : SYNTH_CHUNK / t->ne[0] * t->ne[0];
        if (chunk > max_elems) max_elems = chunk;
        rc = gguf_writer_add_tensor_info(w, t->name, t->type, t->n_dims, t->ne, t->nbytes);
    }
    if (n_fallback)
        fprintf(stderr, "lmcc-synth: %d tensors have rows that are not whole %s blocks: stored as f16\n", n_fallback,
                ty->name);
    /* f32 values + the widest encoding of them (f32 norms) */
    float *vals = rc ? NULL : malloc((size_t)max_elems * sizeof(float));
    uint8_t *out = rc ? NULL : malloc((size_t)max_elems * sizeof(float));
    if (!rc && (!vals || !out)) rc = lmcc_error(NULL, "out of memory");

    double t0 = synth_now();
    fprintf(stderr, "lmcc-synth: %s %s, vocab %llu, %d tensors, %.1f MB, %d threads -> %s\n", sh->name, ty->name,
            (unsigned long long)vocab, n_t, (double)total / 1e6, n_threads, out_path);
    rc = rc || gguf_writer_begin(w, out_path);
    uint64_t done = 0;
    for (int i = 0; !rc && i < n_t; i++) {
        rc = synth_write_tensor(w, &ts[i], seed, n_threads, vals, out);
        done += ts[i].nbytes;
        /* a progress line after the embedding, each layer, and the output */
        if (!rc && (i == 0 || i == n_t - 1 || (i - 1) % 9 == 8))
            fprintf(stderr, "lmcc-synth: %-22s %5.1f%%  %6.1f s\n", ts[i].name, 100.0 * (double)done / (double)total,
                    synth_now() - t0);
    }
    rc = rc || gguf_writer_end(w);
    gguf_writer_free(w); /* removes OUT.tmp after a failure */
    free(vals);
    free(out);
    free(ts);
    if (rc) return synth_die("%s", lmcc_error_text());
    fprintf(stderr, "lmcc-synth: wrote %s (%.1f MB) in %.1f s\n", out_path, (double)total / 1e6, synth_now() - t0);
    return 0;
}
