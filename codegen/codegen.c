/* codegen.c - from a planned graph to NAME.h / NAME.c / NAME.weights.
 *
 * The generated NAME.c reads like llama2.c's run.c: runtime-min stitched in
 * at the top, the vocabulary as const tables, then one step() that walks the
 * graph top to bottom as kernel calls with every shape and offset a constant.
 */
#include "codegen.h"

#include "emit_vocab.h"
#include "zstd_blob.h"
#include "lmrt_tokenizer.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct { const char *name; const char *text; size_t len; } lmcc_rt_file;
extern const lmcc_rt_file lmcc_rt_files[];

/* ---- small helpers ------------------------------------------------------ */

static int errf(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A float literal that is valid C and round-trips. */
static void flit(char *buf, size_t cap, float v) {
    snprintf(buf, cap, "%.9g", (double)v);
    if (!strpbrk(buf, ".e")) strncat(buf, ".0", cap - strlen(buf) - 1);
    strncat(buf, "f", cap - strlen(buf) - 1);
}

static const lmcc_rt_file *rt_find(const char *name) {
    for (const lmcc_rt_file *f = lmcc_rt_files; f->name; f++)
        if (!strcmp(f->name, name)) return f;
    return NULL;
}

/* Stitches a runtime-min header and, depth first, the runtime-min headers it
 * includes, each once.  Quoted includes are resolved here; system includes
 * pass through (they are only <stdint.h>/<stddef.h>). */
static int rt_stitch(FILE *out, const char *name, const char **done, int *n_done, char *err, size_t errlen) {
    for (int i = 0; i < *n_done; i++)
        if (!strcmp(done[i], name)) return 0;
    const lmcc_rt_file *f = rt_find(name);
    if (!f) return errf(err, errlen, "runtime-min file '%s' is not built into lmcc", name);
    if (*n_done >= 32) return errf(err, errlen, "too many runtime-min files");
    done[(*n_done)++] = f->name;
    fprintf(out, "/* ---- runtime-min/%s ---- */\n", f->name);
    const char *p = f->text, *end = f->text + f->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        const char *q = p;
        while (q < p + n && (*q == ' ' || *q == '\t')) q++;
        if (!strncmp(q, "#include \"", 10)) {
            char inc[64];
            const char *s = q + 10, *e = memchr(s, '"', (size_t)(p + n - s));
            if (!e || (size_t)(e - s) >= sizeof inc) return errf(err, errlen, "bad include in %s", name);
            memcpy(inc, s, (size_t)(e - s));
            inc[e - s] = 0;
            if (rt_stitch(out, inc, done, n_done, err, errlen)) return -1;
        } else {
            fwrite(p, 1, n, out);
        }
        p += n;
    }
    fputc('\n', out);
    return 0;
}



static void shape_str(const ir_tensor *t, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "%s", ir_dtype_name(t->dtype));
    for (int d = 0; d < t->ndim && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, "[%lld]", (long long)t->shape[d]);
}

/* C identifier for an activation: "l0.xb" -> "l0_xb" */
static void c_ident(const char *s, char *buf, size_t cap) {
    size_t n = 0;
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_') && n + 1 < cap) buf[n++] = '_';
    for (; *s && n + 1 < cap; s++)
        buf[n++] = ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')) ? *s : '_';
    buf[n] = 0;
}

/* ---- weights placement and blob ---------------------------------------- */

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static int weight_live(const ir_graph *g, int id) {
    const ir_tensor *t = &g->tensors[id];
    return t->kind == IR_KIND_WEIGHT && !t->dead;
}

static uint64_t place_weights(ir_graph *g) {
    int64_t off = LMCC_BLOB_HEADER_BYTES;
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < g->n_tensors; i++) {
        ir_tensor *t = &g->tensors[i];
        if (!weight_live(g, i)) continue;
        off = (off + LMCC_BLOB_ALIGN - 1) / LMCC_BLOB_ALIGN * LMCC_BLOB_ALIGN;
        t->blob_offset = off;
        off += (int64_t)t->nbytes;
        h = hash_bytes(h, t->name, strlen(t->name));
        h = hash_bytes(h, &t->dtype, sizeof t->dtype);
        h = hash_bytes(h, t->shape, sizeof t->shape);
        h = hash_bytes(h, t->data, t->nbytes);
    }
    g->weights_bytes = (off + LMCC_BLOB_ALIGN - 1) / LMCC_BLOB_ALIGN * LMCC_BLOB_ALIGN;
    return h ? h : 1;
}

static void blob_header(unsigned char hdr[LMCC_BLOB_HEADER_BYTES], const ir_graph *g, uint64_t hash) {
    memset(hdr, 0, LMCC_BLOB_HEADER_BYTES);
    memcpy(hdr, "LMCCWTS1", 8);
    uint64_t total = (uint64_t)g->weights_bytes;
    for (int i = 0; i < 8; i++) hdr[8 + i] = (unsigned char)(total >> (8 * i));
    for (int i = 0; i < 8; i++) hdr[16 + i] = (unsigned char)(hash >> (8 * i));
}

static int write_blob(FILE *fp, const ir_graph *g, uint64_t hash) {
    static const unsigned char zeros[LMCC_BLOB_ALIGN];
    unsigned char hdr[LMCC_BLOB_HEADER_BYTES];
    blob_header(hdr, g, hash);
    if (fwrite(hdr, 1, sizeof hdr, fp) != sizeof hdr) return -1;
    int64_t pos = LMCC_BLOB_HEADER_BYTES;
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (!weight_live(g, i)) continue;
        if (t->blob_offset > pos && fwrite(zeros, 1, (size_t)(t->blob_offset - pos), fp) != (size_t)(t->blob_offset - pos))
            return -1;
        if (fwrite(t->data, 1, t->nbytes, fp) != t->nbytes) return -1;
        pos = t->blob_offset + (int64_t)t->nbytes;
    }
    if (g->weights_bytes > pos && fwrite(zeros, 1, (size_t)(g->weights_bytes - pos), fp) != (size_t)(g->weights_bytes - pos))
        return -1;
    return 0;
}

/* --embed=array: the blob as a C array (fine for tiny models and MCU flash). */
static int write_blob_array(FILE *fp, const ir_graph *g, uint64_t hash, const char *name) {
    fprintf(fp, "/* %s_weights.c - generated by lmcc: %s.weights as a C array. Do not edit. */\n", name, name);
    fprintf(fp, "#include <stdalign.h>\n\n");
    fprintf(fp, "alignas(%d) const unsigned char %s_weights_blob[%lld] = {\n", LMCC_BLOB_ALIGN, name,
            (long long)g->weights_bytes);
    unsigned char hdr[LMCC_BLOB_HEADER_BYTES];
    blob_header(hdr, g, hash);
    int64_t pos = 0;
    int col = 0;
#define PUT(byte) do { fprintf(fp, "%u,", (unsigned)(byte)); if (++col == 24) { fputc('\n', fp); col = 0; } pos++; } while (0)
    for (int i = 0; i < LMCC_BLOB_HEADER_BYTES; i++) PUT(hdr[i]);
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (!weight_live(g, i)) continue;
        while (pos < t->blob_offset) PUT(0);
        const unsigned char *b = t->data;
        for (size_t k = 0; k < t->nbytes; k++) PUT(b[k]);
    }
    while (pos < g->weights_bytes) PUT(0);
#undef PUT
    fprintf(fp, "\n};\n");
    return ferror(fp) ? -1 : 0;
}

static int copy_stream(FILE *in, FILE *out) {
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) return -1;
    return ferror(in) ? -1 : 0;
}

/* --embed=array of a compressed blob: the zstd frame's bytes. */
static int write_stream_array(FILE *fp, FILE *in, long long nbytes, const char *name) {
    fprintf(fp, "/* %s_weights.c - generated by lmcc: %s.weights (a zstd frame) as a C array. Do not edit. */\n", name,
            name);
    fprintf(fp, "#include <stdalign.h>\n\n");
    fprintf(fp, "alignas(%d) const unsigned char %s_weights_blob[%lld] = {\n", LMCC_BLOB_ALIGN, name, nbytes);
    int c, col = 0;
    while ((c = fgetc(in)) != EOF) {
        fprintf(fp, "%d,", c);
        if (++col == 24) { fputc('\n', fp); col = 0; }
    }
    fprintf(fp, "\n};\n");
    return ferror(fp) || ferror(in) ? -1 : 0;
}

static int write_blob_incbin(FILE *fp, const char *name) {
    fprintf(fp,
            "/* %s_weights.S - generated by lmcc: links %s.weights into the program.\n"
            " * Assemble with the output directory on the include path (-I OUTDIR). */\n"
            "    .section .rodata.%s_weights,\"a\"\n"
            "    .balign %d\n"
            "    .globl %s_weights_blob\n"
            "    .type %s_weights_blob, %%object\n"
            "%s_weights_blob:\n"
            "    .incbin \"%s.weights\"\n"
            "    .size %s_weights_blob, . - %s_weights_blob\n"
            "    .section .note.GNU-stack,\"\",%%progbits\n",
            name, name, name, LMCC_BLOB_ALIGN, name, name, name, name, name, name);
    return ferror(fp) ? -1 : 0;
}

const char *lmcc_blob_stub_suffix(int embed) {
    return embed == LMCC_EMBED_INCBIN ? "_weights.S" : embed == LMCC_EMBED_ARRAY ? "_weights.c" : NULL;
}

/* Bytes after the planned arena for the control block: the chunk being run
 * and, in threaded builds, the thread pool. */
#define CTRL_RUN_BYTES 64
#define CTRL_POOL_BYTES 16384

void lmcc_upper_name(const char *name, char *up, size_t cap) {
    size_t i;
    for (i = 0; name[i] && i + 1 < cap; i++) up[i] = (name[i] >= 'a' && name[i] <= 'z') ? (char)(name[i] - 32) : name[i];
    up[i] = 0;
}

int64_t lmcc_arena_total(const ir_graph *g) {
    return (g->arena_bytes + 63) / 64 * 64 + CTRL_RUN_BYTES + (g->cfg.threads > 1 ? CTRL_POOL_BYTES : 0);
}

/* ---- the header ---------------------------------------------------------- */

static void emit_header(FILE *fp, const ir_graph *g, const lmcc_target *t, const lmcc_codegen_opts *o,
                        long long zbytes) {
    const ir_model_info *m = &g->info;
    const char *N = o->name;
    const lmrt_vocab *v = g->vocab;
    char up[128];
    lmcc_upper_name(N, up, sizeof up);
    fprintf(fp,
            "/* %s.h - generated by lmcc %s from %s. Do not edit.\n"
            " *\n"
            " * Model: %s \"%s\": dim %d, %d layers, %d heads (%d KV), head dim %d, ffn %d, vocab %d.\n"
            " * Target: %s. Context: %d positions, KV cache %s.\n"
            " *\n"
            " * Memory is the caller's: one arena of %s_ARENA_BYTES bytes (aligned to\n"
            " * %s_ARENA_ALIGN) holds all state of one context (activations, KV cache,\n"
            " * scratch); nothing here allocates.  Contexts are independent: several\n"
            " * may run side by side (one thread per context).\n"
            " *\n"
            " * Error model: every function that can fail returns %s_OK (0) or a negative\n"
            " * %s_ERR_* code; %s_forward returns NULL on failure and %s_last_error()\n"
            " * tells why.  %s_strerror() names a code.  A failed call changes no state.\n"
            " */\n",
            N, o->version, o->model_path, m->arch, m->name, m->dim, m->n_layers, m->n_heads, m->n_kv_heads,
            m->head_dim, m->hidden_dim, m->vocab_size, t->name, g->cfg.ctx, ir_dtype_name(g->cfg.kv_dtype), up,
            up, up, up, N, N, N);
    fprintf(fp, "#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n", up, up);
    fprintf(fp, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    fprintf(fp, "/* ---- shapes ---- */\n");
    fprintf(fp, "#define %s_VOCAB_SIZE %d\n#define %s_DIM %d\n#define %s_N_LAYERS %d\n#define %s_CTX %d\n",
            up, m->vocab_size, up, m->dim, up, m->n_layers, up, g->cfg.ctx);
    fprintf(fp, "#define %s_BOS %d\n#define %s_EOS %d\n\n", up, v ? v->bos_id : -1, up, v ? v->eos_id : -1);
    fprintf(fp, "/* ---- memory (bytes) ---- */\n");
    int threads = g->cfg.threads > 1 ? g->cfg.threads : 1;
    int64_t total = lmcc_arena_total(g);
    fprintf(fp, "#define %s_ARENA_BYTES %lldu /* KV cache %lld + activations %lld + scratch %lld + control %lld */\n",
            up, (long long)total, (long long)g->kv_bytes, (long long)g->act_bytes, (long long)g->scratch_bytes,
            (long long)(total - g->arena_bytes));
    fprintf(fp, "#define %s_BATCH %d /* tokens per forward chunk (prefill) */\n", up, g->cfg.batch > 1 ? g->cfg.batch : 1);
    if (threads > 1) fprintf(fp, "#define %s_THREADS %d /* worker threads (pthreads); see %s_set_threads */\n", up, threads, N);
    fprintf(fp, "#define %s_ARENA_ALIGN %d\n", up, LMCC_BLOB_ALIGN);
    fprintf(fp, "#define %s_KV_BYTES %lldu\n", up, (long long)g->kv_bytes);
    if (zbytes > 0) {
        fprintf(fp, "#define %s_WEIGHTS_BYTES %lldu /* the raw blob NAME_init takes */\n", up, (long long)g->weights_bytes);
        fprintf(fp, "#define %s_WEIGHTS_RAW_BYTES %lldu /* buffer for %s_decompress_weights */\n", up,
                (long long)g->weights_bytes, N);
        fprintf(fp, "#define %s_WEIGHTS_ZSTD_BYTES %lldu /* size of %s.weights: one zstd frame */\n", up, zbytes, N);
    } else {
        fprintf(fp, "#define %s_WEIGHTS_BYTES %lldu /* size of %s.weights */\n", up, (long long)g->weights_bytes, N);
    }
    fprintf(fp, "#define %s_WEIGHTS_ALIGN 16\n\n", up);
    fprintf(fp, "/* ---- status codes ---- */\n");
    fprintf(fp,
            "enum {\n"
            "    %s_OK = 0,\n"
            "    %s_ERR_ARG = -1,          /* NULL pointer or bad count */\n"
            "    %s_ERR_ARENA = -2,        /* arena smaller than %s_ARENA_BYTES or misaligned */\n"
            "    %s_ERR_WEIGHTS = -3,      /* weights missing, misaligned, or not this model's blob */\n"
            "    %s_ERR_CONTEXT_FULL = -4, /* position would pass %s_CTX: reset or stop */\n"
            "    %s_ERR_TOKEN = -5,        /* token id outside [0, %s_VOCAB_SIZE) */\n"
            "    %s_ERR_STATE = -6,        /* context not initialized */\n"
            "    %s_ERR_BUFFER = -7,       /* output buffer too small (tokenizer) */\n"
            "    %s_ERR_THREADS = -8       /* threads could not be started */\n"
            "};\n\n",
            up, up, up, up, up, up, up, up, up, up, up, up);
    fprintf(fp, "typedef struct %s_ctx {\n    unsigned char *arena;\n    const unsigned char *weights;\n"
                "    int pos;\n    int status;\n    int threads;\n    uint32_t magic;\n} %s_ctx;\n\n", N, N);
    fprintf(fp, "/* Binds ctx to an arena and the weights (NULL: the blob linked into the\n"
                " * program by %s_weights.S / %s_weights.c, if it was built with one). */\n", N, N);
    fprintf(fp, "int %s_init(%s_ctx *ctx, void *arena, size_t arena_bytes, const void *weights);\n", N, N);
    fprintf(fp, "/* Feeds n >= 1 tokens at the current position (n > 1: a prompt) and returns\n"
                " * the logits [%s_VOCAB_SIZE] after the last one, valid until the next call. */\n", up);
    fprintf(fp, "const float *%s_forward(%s_ctx *ctx, const int32_t *tokens, int n);\n", N, N);
    fprintf(fp, "void %s_reset(%s_ctx *ctx);                /* back to position 0 */\n", N, N);
    fprintf(fp, "/* Threaded builds (%s_THREADS defined): init starts the workers; set_threads\n"
                " * picks 1..%s_THREADS of them; release joins them (call it before freeing\n"
                " * the arena).  Single-threaded builds accept only 1 and release is trivial. */\n", up, up);
    fprintf(fp, "int %s_set_threads(%s_ctx *ctx, int threads);\n", N, N);
    fprintf(fp, "void %s_release(%s_ctx *ctx);\n", N, N);
    fprintf(fp, "int %s_position(const %s_ctx *ctx);        /* tokens consumed so far */\n", N, N);
    fprintf(fp, "int %s_last_error(const %s_ctx *ctx);\n", N, N);
    fprintf(fp, "const char *%s_strerror(int status);\n\n", N);
    fprintf(fp, "/* ---- sampling ---- */\n");
    fprintf(fp, "typedef struct %s_sampler { float temperature; int top_k; float top_p; uint64_t rng; } %s_sampler;\n",
            N, N);
    fprintf(fp, "/* temperature <= 0: greedy; top_k <= 0: off; top_p >= 1: off; seed any value */\n");
    fprintf(fp, "void %s_sampler_init(%s_sampler *s, float temperature, int top_k, float top_p, uint64_t seed);\n", N,
            N);
    fprintf(fp, "/* Picks the next token from logits (uses ctx's arena scratch); token id or error. */\n");
    fprintf(fp, "int %s_sample(%s_ctx *ctx, %s_sampler *s, const float *logits);\n\n", N, N, N);
    fprintf(fp, "/* ---- tokenizer (the model's vocabulary, compiled in) ---- */\n");
    fprintf(fp, "/* Text -> ids; returns the count or a negative error.  The tokenizer works\n"
                " * in place in ids: cap must be at least %s_ENCODE_CAP(len). */\n", up);
    fprintf(fp, "#define %s_ENCODE_CAP(len) (22 * (size_t)(len) + 32)\n", up);
    fprintf(fp, "int %s_encode(const char *text, size_t len, int add_bos, int32_t *ids, int cap);\n", N);
    fprintf(fp, "/* The text of token id following prev (-1 if none), without a NUL; byte\n"
                " * count or a negative error. */\n");
    fprintf(fp, "int %s_decode(int prev, int id, char *buf, int cap);\n\n", N);
    if (o->embed != LMCC_EMBED_EXTERNAL)
        fprintf(fp, "extern const unsigned char %s_weights_blob[];\n\n", N);
    if (zbytes > 0)
        fprintf(fp, "/* --compress=zstd: %s.weights (and %s_weights_blob) is a zstd frame.  Decompresses\n"
                    " * src_bytes at src (NULL: the linked-in blob) into dst (%s_WEIGHTS_RAW_BYTES,\n"
                    " * aligned to %s_WEIGHTS_ALIGN), which is what %s_init takes.  Link with -lzstd. */\n"
                    "int %s_decompress_weights(void *dst, size_t dst_bytes, const void *src, size_t src_bytes);\n\n",
                N, N, up, up, N, N);
    fprintf(fp, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

/* ---- the C file ---------------------------------------------------------- */

typedef struct emit {
    FILE *fp;
    const ir_graph *g;
    char err[256];
} emit;

static const char *act_name(const ir_graph *g, int id, char *buf, size_t cap) {
    c_ident(g->tensors[id].name, buf, cap);
    return buf;
}



static int64_t last_dim(const ir_tensor *t) { return t->shape[t->ndim - 1]; }

/* kernel-name parts: weight format (with t for tiled), activation, kv */
static const char *wfmt(const ir_tensor *w) { return ir_dtype_kernel_name(w->dtype, w->tile_rows > 1); }
static const char *afmt(const ir_tensor *x) { return x->dtype == IR_DT_Q8A ? "q8a" : "f32"; }
static const char *kvfmt(const ir_tensor *c) { return c->dtype == IR_DT_F16 ? "f16" : "f32"; }

static void wexpr_v(const ir_graph *g, int id, char *buf, size_t cap) {
    snprintf(buf, cap, "w + %lld", (long long)g->tensors[id].blob_offset);
}
static void sexpr_v(const ir_graph *g, int id, char *buf, size_t cap) {
    snprintf(buf, cap, "a + %lld", (long long)g->tensors[id].arena_offset);
}
static int rows_of(const ir_tensor *w) { return (int)w->shape[0]; }
static int cols_of(const ir_tensor *w) { return (int)w->shape[w->ndim - 1]; }
static int tile_of(const ir_tensor *w) { return w->tile_rows > 1 ? w->tile_rows : 1; }

/* Emits one node as kernel calls.  `nrows` is "n" before take_last and "1"
 * after it.  Every thread runs every line; kernels take their share. */
static int emit_node(emit *e, int idx, const char *nrows) {
    const ir_graph *g = e->g;
    const ir_node *n = &g->nodes[idx];
    FILE *fp = e->fp;
    char o[96], x[96], y[96], r[96], w[64], c1[64], c2[64], f[32];
    const ir_tensor *out = n->output >= 0 ? &g->tensors[n->output] : NULL;
    const ir_tensor *wt = NULL;
    const ir_attrs *at = &n->attrs;
    if ((unsigned)n->op >= IR_OP_COUNT) {
        snprintf(e->err, sizeof e->err, "codegen: internal error: node %d has op %d, which is not in IR_OP_LIST", idx,
                 (int)n->op);
        return -1;
    }
    if (out) act_name(g, n->output, o, sizeof o);
    switch (n->op) {
    case IR_OP_EMBED:
        wt = &g->tensors[n->inputs[0]];
        if (!wfmt(wt) || wt->tile_rows > 1) goto unsupported;
        wexpr_v(g, n->inputs[0], w, sizeof w);
        fprintf(fp, "    if (tid == 0) lmrt_k_embed_%s(%s, %s, tokens, %s, %d); /* %s */\n", wfmt(wt), o, w, nrows,
                cols_of(wt), wt->name);
        break;
    case IR_OP_RMSNORM:
        wexpr_v(g, n->inputs[1], w, sizeof w);
        flit(f, sizeof f, at->eps);
        fprintf(fp, "    lmrt_k_rmsnorm(%s, %s, (const float *)(%s), %s, %lld, %s, tid, nth); /* %s */\n", o,
                act_name(g, n->inputs[0], x, sizeof x), w, nrows, (long long)last_dim(out), f,
                g->tensors[n->inputs[1]].name);
        break;
    case IR_OP_NORMALIZE:
        flit(f, sizeof f, at->eps);
        fprintf(fp, "    lmrt_k_normalize(%s, %s, %s, %lld, %s, tid, nth);\n", o, act_name(g, n->inputs[0], x, sizeof x),
                nrows, (long long)last_dim(out), f);
        break;
    case IR_OP_QUANTIZE:
        fprintf(fp, "    lmrt_k_quantize_q8a(%s, %s, %s, %lld, tid, nth);\n", o, act_name(g, n->inputs[0], x, sizeof x),
                nrows, (long long)last_dim(out));
        break;
    case IR_OP_HADAMARD:
        flit(f, sizeof f, (float)(1.0 / sqrt((double)at->block)));
        fprintf(fp, "    lmrt_k_hadamard(%s, %s, %s, %lld, %lld, %d, %s, tid, nth); /* blocks of %d, padded */\n", o,
                act_name(g, n->inputs[0], x, sizeof x), nrows, (long long)last_dim(&g->tensors[n->inputs[0]]),
                (long long)last_dim(out), at->block, f, at->block);
        break;
    case IR_OP_LINEAR:
    case IR_OP_LINEAR_ADD:
    case IR_OP_LINEAR_SWIGLU: {
        wt = &g->tensors[n->inputs[1]];
        if (!wfmt(wt)) goto unsupported;
        wexpr_v(g, n->inputs[1], w, sizeof w);
        const char *xf = afmt(&g->tensors[n->inputs[0]]);
        act_name(g, n->inputs[0], x, sizeof x);
        if (n->op == IR_OP_LINEAR)
            fprintf(fp, "    lmrt_k_matmul_%s_%s(%s, %s, %s, %s, %d, %d, %d, tid, nth); /* %s */\n", wfmt(wt), xf, o, w,
                    x, nrows, rows_of(wt), cols_of(wt), tile_of(wt), wt->name);
        else if (n->op == IR_OP_LINEAR_ADD)
            fprintf(fp, "    lmrt_k_matmul_add_%s_%s(%s, %s, %s, %s, %s, %d, %d, %d, tid, nth); /* %s + residual */\n",
                    wfmt(wt), xf, o, w, x, act_name(g, n->inputs[2], r, sizeof r), nrows, rows_of(wt), cols_of(wt),
                    tile_of(wt), wt->name);
        else
            fprintf(fp, "    lmrt_k_matmul_swiglu_%s_%s(%s, %s, %s, %s, %d, %d, %d, tid, nth); /* %s */\n", wfmt(wt), xf,
                    o, w, x, nrows, rows_of(wt) / 2, cols_of(wt), tile_of(wt), wt->name);
        break;
    }
    case IR_OP_QKV: {
        wt = &g->tensors[n->inputs[1]];
        const ir_tensor *kc = &g->tensors[n->inputs[3]];
        if (!wfmt(wt)) goto unsupported;
        wexpr_v(g, n->inputs[1], w, sizeof w);
        wexpr_v(g, n->inputs[2], c2, sizeof c2);
        sexpr_v(g, n->inputs[3], c1, sizeof c1);
        sexpr_v(g, n->inputs[4], r, sizeof r);
        fprintf(fp,
                "    lmrt_k_qkv_%s_%s_%s(%s, %s, %s, %s, %d, %d, %d, %d, %d, %d,\n"
                "        (const float *)(%s), %s, %s, %lld, pos, %d, tid, nth); /* %s -> q, %s, %s */\n",
                wfmt(wt), afmt(&g->tensors[n->inputs[0]]), kvfmt(kc), o, w, act_name(g, n->inputs[0], x, sizeof x),
                nrows, cols_of(wt), at->n_heads, at->n_kv_heads, at->head_dim, at->rope_dim, at->rope_neox, c2, c1, r,
                (long long)kc->shape[1], tile_of(wt), wt->name, kc->name, g->tensors[n->inputs[4]].name);
        break;
    }
    case IR_OP_ROPE:
        wexpr_v(g, n->inputs[1], w, sizeof w);
        fprintf(fp, "    lmrt_k_copy(%s, %s, %s * %lld, tid, nth);\n    BARRIER();\n", o,
                act_name(g, n->inputs[0], x, sizeof x), nrows, (long long)last_dim(out));
        fprintf(fp, "    lmrt_k_rope(%s, %s, %d, %d, %d, %d, (const float *)(%s), pos, tid, nth);\n", o, nrows, at->n_heads,
                at->head_dim, at->rope_dim, at->rope_neox, w);
        break;
    case IR_OP_KV_STORE: {
        const ir_tensor *c = &g->tensors[n->inputs[1]];
        sexpr_v(g, n->inputs[1], c1, sizeof c1);
        fprintf(fp, "    lmrt_k_kv_store_%s(%s, %s, %s, %lld, %lld, %lld, pos, tid, nth); /* %s */\n", kvfmt(c), c1,
                act_name(g, n->inputs[0], x, sizeof x), nrows, (long long)c->shape[0], (long long)c->shape[1],
                (long long)c->shape[2], c->name);
        break;
    }
    case IR_OP_ATTENTION: {
        const ir_tensor *c = &g->tensors[n->inputs[1]];
        sexpr_v(g, n->inputs[1], c1, sizeof c1);
        sexpr_v(g, n->inputs[2], c2, sizeof c2);
        flit(f, sizeof f, at->scale);
        fprintf(fp, "    lmrt_k_attention_%s(%s, %s, %s, %s, %s, %d, %d, %d, %lld, pos, %s, scratch, tid, nth);\n",
                kvfmt(c), o, act_name(g, n->inputs[0], x, sizeof x), c1, c2, nrows, at->n_heads, at->n_kv_heads,
                at->head_dim, (long long)c->shape[1], f);
        break;
    }
    case IR_OP_ADD:
    case IR_OP_MUL:
    case IR_OP_SWIGLU:
        fprintf(fp, "    lmrt_k_%s(%s, %s, %s, %s * %lld, tid, nth);\n",
                n->op == IR_OP_ADD ? "add" : n->op == IR_OP_MUL ? "mul" : "swiglu", o,
                act_name(g, n->inputs[0], x, sizeof x), act_name(g, n->inputs[1], y, sizeof y), nrows,
                (long long)ir_tensor_elems(out));
        break;
    case IR_OP_SILU:
        fprintf(fp, "    lmrt_k_silu(%s, %s, %s * %lld, tid, nth);\n", o, act_name(g, n->inputs[0], x, sizeof x), nrows,
                (long long)ir_tensor_elems(out));
        break;
    case IR_OP_SOFTMAX:
        fprintf(fp, "    lmrt_k_copy(%s, %s, %s * %lld, tid, nth);\n    BARRIER();\n", o,
                act_name(g, n->inputs[0], x, sizeof x), nrows, (long long)ir_tensor_elems(out));
        fprintf(fp, "    lmrt_k_softmax(%s, %s, %lld, tid, nth);\n", o, nrows, (long long)last_dim(out));
        break;
    case IR_OP_TAKE_LAST:
        fprintf(fp, "    if (tid == 0) lmrt_k_take_last(%s, %s, n, %lld);\n", o, act_name(g, n->inputs[0], x, sizeof x),
                (long long)last_dim(out));
        break;
    case IR_OP_COUNT: /* not an op, rejected above (no default: -Wswitch asks for every op) */
    unsupported:
        snprintf(e->err, sizeof e->err, "codegen: no kernel for node %d (%s%s%s)", idx, ir_op_name(n->op),
                 wt ? " with weight type " : "", wt ? ir_dtype_name(wt->dtype) : "");
        return -1;
    }
    return 0;
}


static int emit_c(FILE *fp, const ir_graph *g, const lmcc_target *t, const lmcc_codegen_opts *o, uint64_t hash,
                  int *n_barriers, char *err, size_t errlen) {
    const char *N = o->name;
    char up[128];
    int threads = g->cfg.threads > 1 ? g->cfg.threads : 1;
    int batch = g->cfg.batch > 1 ? g->cfg.batch : 1;
    lmcc_upper_name(N, up, sizeof up);
    fprintf(fp, "/* %s.c - generated by lmcc %s from %s for target %s. Do not edit.\n"
                " * Freestanding C11: needs only <stdint.h> and <stddef.h>%s; no libc, no libm,\n"
                " * no allocation. See %s.h for the API. */\n",
            N, o->version, o->model_path, t->name, threads > 1 ? " (+ pthreads: threaded build)" : "", N);
    fprintf(fp, "#include \"%s.h\"\n\n", N);
    fprintf(fp, "/* ======================================================================\n"
                " * runtime-min (stitched from lmcc's runtime-min/, kernels: %s)\n"
                " * ====================================================================== */\n",
            t->kernels);
    const char *done[32];
    int n_done = 0;
    char kern[64];
    snprintf(kern, sizeof kern, "lmrt_kernels_%s.h", t->kernels);
    if (rt_stitch(fp, "lmrt_base.h", done, &n_done, err, errlen) ||
        rt_stitch(fp, "lmrt_math.h", done, &n_done, err, errlen) ||
        rt_stitch(fp, kern, done, &n_done, err, errlen) ||
        rt_stitch(fp, "lmrt_sampler.h", done, &n_done, err, errlen) ||
        rt_stitch(fp, "lmrt_tokenizer.h", done, &n_done, err, errlen) ||
        (threads > 1 && rt_stitch(fp, "lmrt_threads.h", done, &n_done, err, errlen)))
        return -1;

    fprintf(fp, "/* ======================================================================\n"
                " * vocabulary (%d tokens)\n"
                " * ====================================================================== */\n",
            g->info.vocab_size);
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s_", N);
    if (lmcc_emit_vocab(fp, g->vocab, prefix) != 0) return errf(err, errlen, "codegen: cannot emit the vocabulary");

    fprintf(fp, "\n/* ======================================================================\n"
                " * weights blob: header, then every tensor at a 64-byte aligned offset\n"
                " * ====================================================================== */\n");
    fprintf(fp, "#define WEIGHTS_HASH 0x%016llxull\n", (unsigned long long)hash);
    fprintf(fp, "#define CTX_MAGIC 0x%08lxu\n", (unsigned long)(hash & 0xffffffffu) | 1ul);
    if (o->embed != LMCC_EMBED_EXTERNAL) fprintf(fp, "#define HAVE_EMBEDDED_%s 1\n", o->zstd_level > 0 ? "ZSTD" : "WEIGHTS");
    fprintf(fp, "/* tensor                               type               blob offset\n");
    for (int k = 0; k < g->n_tensors; k++) {
        const ir_tensor *tt = &g->tensors[k];
        if (tt->kind != IR_KIND_WEIGHT || tt->dead) continue;
        char sh[96];
        shape_str(tt, sh, sizeof sh);
        if (tt->tile_rows > 1) {
            size_t l = strlen(sh);
            snprintf(sh + l, sizeof sh - l, " tile %d", tt->tile_rows);
        }
        fprintf(fp, " *   %-34s %-18s @%lld\n", tt->name, sh, (long long)tt->blob_offset);
    }
    fprintf(fp, " */\n\n");

    int64_t run_off = (g->arena_bytes + 63) / 64 * 64;
    int64_t pool_off = run_off + CTRL_RUN_BYTES;
    fprintf(fp, "/* ======================================================================\n"
                " * arena: [KV cache %lld][activations %lld][scratch %lld][control %lld] bytes\n"
                " * activations hold up to BATCH = %d tokens per chunk\n"
                " * ====================================================================== */\n",
            (long long)g->kv_bytes, (long long)g->act_bytes, (long long)g->scratch_bytes,
            (long long)(CTRL_RUN_BYTES + (threads > 1 ? CTRL_POOL_BYTES : 0)), batch);
    fprintf(fp, "#define BATCH %d\n#define THREADS %d\n", batch, threads);
    fprintf(fp, "#define LOGITS_OFFSET %lld\n#define SCRATCH_OFFSET %lld\n#define RUN_OFFSET %lld\n",
            (long long)g->tensors[g->logits].arena_offset, (long long)g->scratch_offset, (long long)run_off);
    fprintf(fp, "\nstruct run { const int32_t *tokens; int n, pos; void *pool; };\n");
    fprintf(fp, "_Static_assert(sizeof(struct run) <= %d, \"run block\");\n", CTRL_RUN_BYTES);
    if (threads > 1) {
        fprintf(fp, "#define POOL_OFFSET %lld\n", (long long)pool_off);
        fprintf(fp, "_Static_assert(sizeof(lmrt_pool) <= %d, \"pool block\");\n", CTRL_POOL_BYTES);
        fprintf(fp, "#define BARRIER() lmrt_barrier((lmrt_pool *)r->pool, tid)\n\n");
    } else {
        fprintf(fp, "#define BARRIER() ((void)0) /* single-threaded build */\n\n");
    }

    fprintf(fp, "/* ======================================================================\n"
                " * forward: one chunk of n <= BATCH tokens at positions pos..pos+n-1,\n"
                " * straight-line; every thread runs it and each kernel takes its share\n"
                " * ====================================================================== */\n");
    fprintf(fp, "static void step(unsigned char *a, const unsigned char *w, const struct run *r, int tid, int nth) {\n");
    fprintf(fp, "    const int32_t *tokens = r->tokens;\n    const int n = r->n, pos = r->pos;\n");
    fprintf(fp, "    float *scratch = (float *)(a + SCRATCH_OFFSET) + (size_t)tid * %d; /* [%d] attention scores */\n",
            g->cfg.ctx, g->cfg.ctx);
    fprintf(fp, "    (void)tokens;\n    (void)scratch;\n");
    emit e = {fp, g, {0}};
    int layer = -2, after_last = 0, barriers = 0;
    for (int k = 0; k < g->n_nodes; k++) {
        const ir_node *n = &g->nodes[k];
        if (n->dead) continue;
        if (n->attrs.layer != layer) {
            layer = n->attrs.layer;
            if (layer >= 0) fprintf(fp, "\n    /* ---- layer %d ---- */\n", layer);
            else fprintf(fp, "\n    /* ---- %s ---- */\n", k == 0 ? "embedding" : "output");
        }
        if (n->output >= 0) { /* each activation is declared where it is produced */
            const ir_tensor *tt = &g->tensors[n->output];
            char id[96], sh[96];
            c_ident(tt->name, id, sizeof id);
            shape_str(tt, sh, sizeof sh);
            fprintf(fp, "    %s *%s = (%s *)(a + %lld); /* [%s]%s */\n", tt->dtype == IR_DT_Q8A ? "void" : "float", id,
                    tt->dtype == IR_DT_Q8A ? "void" : "float", (long long)tt->arena_offset,
                    after_last ? "1" : "BATCH", sh);
        }
        if (emit_node(&e, k, after_last ? "1" : "n")) return errf(err, errlen, "%s", e.err);
        if (n->op == IR_OP_TAKE_LAST) after_last = 1;
        if (n->op == IR_OP_ROPE || n->op == IR_OP_SOFTMAX) barriers++;
        /* every kernel's output is read whole by the next one */
        fprintf(fp, "    BARRIER();\n");
        barriers++;
    }
    fprintf(fp, "}\n\n");
    *n_barriers = barriers;
    fprintf(fp, "/* %d barriers per chunk in threaded builds */\n\n", barriers);

    fprintf(fp, "/* ======================================================================\n"
                " * API\n"
                " * ====================================================================== */\n");
    if (threads > 1) {
        fprintf(fp, "static void step_thread(void *arg, int tid, int nth) {\n"
                    "    %s_ctx *ctx = (%s_ctx *)arg;\n"
                    "    step(ctx->arena, ctx->weights, (const struct run *)(ctx->arena + RUN_OFFSET), tid, nth);\n"
                    "}\n\n", N, N);
    }
    fprintf(fp,
            "const char *%s_strerror(int status) {\n"
            "    switch (status) {\n"
            "    case %s_OK: return \"ok\";\n"
            "    case %s_ERR_ARG: return \"invalid argument\";\n"
            "    case %s_ERR_ARENA: return \"arena too small or misaligned\";\n"
            "    case %s_ERR_WEIGHTS: return \"weights missing, misaligned or not this model's\";\n"
            "    case %s_ERR_CONTEXT_FULL: return \"context is full\";\n"
            "    case %s_ERR_TOKEN: return \"token id out of range\";\n"
            "    case %s_ERR_STATE: return \"context not initialized\";\n"
            "    case %s_ERR_BUFFER: return \"buffer too small\";\n"
            "    case %s_ERR_THREADS: return \"cannot start threads\";\n"
            "    default: return \"unknown status\";\n"
            "    }\n}\n\n",
            N, up, up, up, up, up, up, up, up, up);
    fprintf(fp,
            "int %s_init(%s_ctx *ctx, void *arena, size_t arena_bytes, const void *weights) {\n"
            "    if (!ctx) return %s_ERR_ARG;\n"
            "    ctx->magic = 0;\n"
            "    ctx->status = %s_ERR_STATE;\n"
            "    if (!arena || arena_bytes < %s_ARENA_BYTES || ((uintptr_t)arena %% %s_ARENA_ALIGN) != 0)\n"
            "        return ctx->status = %s_ERR_ARENA;\n"
            "#ifdef HAVE_EMBEDDED_WEIGHTS\n"
            "    if (!weights) weights = %s_weights_blob;\n"
            "#endif\n"
            "    if (!weights || ((uintptr_t)weights %% %s_WEIGHTS_ALIGN) != 0) return ctx->status = %s_ERR_WEIGHTS;\n"
            "    const unsigned char *w = (const unsigned char *)weights;\n"
            "    static const unsigned char magic[8] = {'L', 'M', 'C', 'C', 'W', 'T', 'S', '1'};\n"
            "    uint64_t total = 0, hash = 0;\n"
            "    for (int i = 0; i < 8; i++) {\n"
            "        if (w[i] != magic[i]) return ctx->status = %s_ERR_WEIGHTS;\n"
            "        total |= (uint64_t)w[8 + i] << (8 * i);\n"
            "        hash |= (uint64_t)w[16 + i] << (8 * i);\n"
            "    }\n"
            "    if (total != %s_WEIGHTS_BYTES || hash != WEIGHTS_HASH) return ctx->status = %s_ERR_WEIGHTS;\n"
            "    ctx->arena = (unsigned char *)arena;\n"
            "    ctx->weights = w;\n"
            "    ctx->pos = 0;\n"
            "    ctx->threads = 1;\n",
            N, N, up, up, up, up, up, N, up, up, up, up, up);
    if (threads > 1)
        fprintf(fp,
                "    struct run *r = (struct run *)(ctx->arena + RUN_OFFSET);\n"
                "    r->pool = ctx->arena + POOL_OFFSET;\n"
                "    if (lmrt_pool_start((lmrt_pool *)r->pool, THREADS, step_thread, ctx) != 0) return ctx->status = %s_ERR_THREADS;\n"
                "    ctx->threads = THREADS;\n",
                up);
    fprintf(fp,
            "    ctx->magic = CTX_MAGIC;\n"
            "    return ctx->status = %s_OK;\n"
            "}\n\n",
            up);
    if (threads > 1) {
        fprintf(fp,
                "int %s_set_threads(%s_ctx *ctx, int threads) {\n"
                "    if (!ctx || ctx->magic != CTX_MAGIC) return %s_ERR_STATE;\n"
                "    if (threads < 1 || threads > THREADS) return ctx->status = %s_ERR_ARG;\n"
                "    if (threads == ctx->threads) return %s_OK;\n"
                "    lmrt_pool *p = (lmrt_pool *)(ctx->arena + POOL_OFFSET);\n"
                "    if (ctx->threads > 1) lmrt_pool_stop(p);\n"
                "    ctx->threads = 1;\n"
                "    if (threads > 1) {\n"
                "        if (lmrt_pool_start(p, threads, step_thread, ctx) != 0) return ctx->status = %s_ERR_THREADS;\n"
                "        ctx->threads = threads;\n"
                "    }\n"
                "    return ctx->status = %s_OK;\n"
                "}\n\n"
                "void %s_release(%s_ctx *ctx) {\n"
                "    if (!ctx || ctx->magic != CTX_MAGIC) return;\n"
                "    if (ctx->threads > 1) lmrt_pool_stop((lmrt_pool *)(ctx->arena + POOL_OFFSET));\n"
                "    ctx->threads = 1;\n"
                "    ctx->magic = 0;\n"
                "}\n\n",
                N, N, up, up, up, up, up, N, N);
    } else {
        fprintf(fp,
                "int %s_set_threads(%s_ctx *ctx, int threads) {\n"
                "    if (!ctx || ctx->magic != CTX_MAGIC) return %s_ERR_STATE;\n"
                "    return threads == 1 ? %s_OK : (ctx->status = %s_ERR_ARG);\n"
                "}\n\n"
                "void %s_release(%s_ctx *ctx) {\n"
                "    if (ctx) ctx->magic = 0;\n"
                "}\n\n",
                N, N, up, up, up, N, N);
    }
    fprintf(fp,
            "const float *%s_forward(%s_ctx *ctx, const int32_t *tokens, int n) {\n"
            "    if (!ctx || ctx->magic != CTX_MAGIC) return 0;\n"
            "    if (!tokens || n < 1) { ctx->status = %s_ERR_ARG; return 0; }\n"
            "    if (n > %s_CTX - ctx->pos) { ctx->status = %s_ERR_CONTEXT_FULL; return 0; }\n"
            "    for (int i = 0; i < n; i++)\n"
            "        if (tokens[i] < 0 || tokens[i] >= %s_VOCAB_SIZE) { ctx->status = %s_ERR_TOKEN; return 0; }\n"
            "    struct run *r = (struct run *)(ctx->arena + RUN_OFFSET);\n"
            "    for (int i = 0; i < n; i += BATCH) {\n"
            "        r->tokens = tokens + i;\n"
            "        r->n = n - i < BATCH ? n - i : BATCH;\n"
            "        r->pos = ctx->pos;\n",
            N, N, up, up, up, up, up);
    if (threads > 1)
        fprintf(fp, "        if (ctx->threads > 1) lmrt_pool_run((lmrt_pool *)r->pool);\n"
                    "        else step(ctx->arena, ctx->weights, r, 0, 1);\n");
    else
        fprintf(fp, "        step(ctx->arena, ctx->weights, r, 0, 1);\n");
    fprintf(fp,
            "        ctx->pos += r->n;\n"
            "    }\n"
            "    ctx->status = %s_OK;\n"
            "    return (const float *)(ctx->arena + LOGITS_OFFSET);\n"
            "}\n\n",
            up);
    fprintf(fp,
            "void %s_reset(%s_ctx *ctx) {\n    if (ctx && ctx->magic == CTX_MAGIC) { ctx->pos = 0; ctx->status = %s_OK; }\n}\n\n"
            "int %s_position(const %s_ctx *ctx) {\n    return ctx && ctx->magic == CTX_MAGIC ? ctx->pos : %s_ERR_STATE;\n}\n\n"
            "int %s_last_error(const %s_ctx *ctx) {\n    return ctx ? ctx->status : %s_ERR_ARG;\n}\n\n",
            N, N, up, N, N, up, N, N, up);
    fprintf(fp,
            "void %s_sampler_init(%s_sampler *s, float temperature, int top_k, float top_p, uint64_t seed) {\n"
            "    lmrt_sampler r;\n"
            "    if (!s) return;\n"
            "    lmrt_sampler_init(&r, temperature, top_k, top_p, seed);\n"
            "    s->temperature = r.temperature;\n    s->top_k = r.top_k;\n    s->top_p = r.top_p;\n    s->rng = r.rng;\n"
            "}\n\n"
            "int %s_sample(%s_ctx *ctx, %s_sampler *s, const float *logits) {\n"
            "    if (!ctx || ctx->magic != CTX_MAGIC) return %s_ERR_STATE;\n"
            "    if (!s || !logits) return ctx->status = %s_ERR_ARG;\n"
            "    lmrt_sampler r;\n"
            "    r.temperature = s->temperature;\n    r.top_k = s->top_k;\n    r.top_p = s->top_p;\n    r.rng = s->rng;\n"
            "    int id = lmrt_sample(&r, logits, %s_VOCAB_SIZE, ctx->arena + SCRATCH_OFFSET);\n"
            "    s->rng = r.rng;\n"
            "    return id;\n"
            "}\n\n",
            N, N, N, N, N, up, up, up);
    fprintf(fp,
            "int %s_encode(const char *text, size_t len, int add_bos, int32_t *ids, int cap) {\n"
            "    if ((!text && len) || !ids || cap < 0) return %s_ERR_ARG;\n"
            "    int n = lmrt_encode(&%s_vocab, text, len, add_bos, ids, cap);\n"
            "    return n < 0 ? %s_ERR_BUFFER : n;\n"
            "}\n\n"
            "int %s_decode(int prev, int id, char *buf, int cap) {\n"
            "    if (!buf || cap < 0) return %s_ERR_ARG;\n"
            "    if (id < 0 || id >= %s_VOCAB_SIZE) return %s_ERR_TOKEN;\n"
            "    int n = lmrt_decode_piece(&%s_vocab, prev, id, buf, cap);\n"
            "    return n < 0 ? %s_ERR_BUFFER : n;\n"
            "}\n",
            N, up, N, up, N, up, up, up, N, up);
    if (o->zstd_level > 0) /* hosted only: the one libc-side dependency, kept out of the kernels */
        fprintf(fp,
                "\n/* ---- --compress=zstd: link with -lzstd ---- */\n"
                "#include <zstd.h>\n\n"
                "int %s_decompress_weights(void *dst, size_t dst_bytes, const void *src, size_t src_bytes) {\n"
                "#ifdef HAVE_EMBEDDED_ZSTD\n"
                "    if (!src) { src = %s_weights_blob; src_bytes = %s_WEIGHTS_ZSTD_BYTES; }\n"
                "#endif\n"
                "    if (!dst || !src || dst_bytes < %s_WEIGHTS_RAW_BYTES) return %s_ERR_ARG;\n"
                "    size_t got = ZSTD_decompress(dst, dst_bytes, src, src_bytes);\n"
                "    if (ZSTD_isError(got) || got != %s_WEIGHTS_RAW_BYTES) return %s_ERR_WEIGHTS;\n"
                "    return %s_OK;\n"
                "}\n",
                N, N, up, up, up, up, up, up);
    return ferror(fp) ? errf(err, errlen, "write error") : 0;
}

/* ---- files --------------------------------------------------------------- */

typedef struct outfile { char final[1024]; char tmp[1040]; FILE *fp; } outfile;

static int out_open(outfile *f, const char *dir, const char *name, const char *suffix, char *err, size_t errlen) {
    snprintf(f->final, sizeof f->final, "%s/%s%s", dir, name, suffix);
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp%ld", f->final, (long)getpid());
    f->fp = fopen(f->tmp, "wb");
    if (!f->fp) return errf(err, errlen, "%s: cannot write: %s (is the output directory writable?)", dir, strerror(errno));
    return 0;
}

int lmcc_codegen(ir_graph *g, const lmcc_target *t, const lmcc_codegen_opts *o, char *err, size_t errlen) {
    if (!g->vocab) return errf(err, errlen, "codegen: the graph has no vocabulary");
    uint64_t hash = place_weights(g);
    int barriers = 0;
    outfile files[4];
    int nf = 0, rc = -1;
    memset(files, 0, sizeof files);
    const char *stub = lmcc_blob_stub_suffix(o->embed);
    long long zbytes = 0;
    FILE *zf = NULL; /* the compressed blob, for the .weights file and an array stub */
    if (out_open(&files[nf++], o->outdir, o->name, ".h", err, errlen)) goto done;
    if (out_open(&files[nf++], o->outdir, o->name, ".c", err, errlen)) goto done;
    if (emit_c(files[1].fp, g, t, o, hash, &barriers, err, errlen)) goto done;
    if (out_open(&files[nf++], o->outdir, o->name, ".weights", err, errlen)) goto done;
    if (o->zstd_level > 0) {
        FILE *raw = tmpfile();
        zf = tmpfile();
        if (!raw || !zf || write_blob(raw, g, hash) || fflush(raw) || fseek(raw, 0, SEEK_SET)) {
            if (raw) fclose(raw);
            errf(err, errlen, "%s: cannot stage the raw blob for zstd: %s", o->outdir, strerror(errno));
            goto done;
        }
        zbytes = lmcc_zstd_compress(raw, zf, g->weights_bytes, o->zstd_level, err, errlen);
        fclose(raw);
        if (zbytes < 0) goto done;
        if (fseek(zf, 0, SEEK_SET) || copy_stream(zf, files[2].fp)) {
            errf(err, errlen, "%s: write error", files[2].tmp);
            goto done;
        }
    } else if (write_blob(files[2].fp, g, hash)) {
        errf(err, errlen, "%s: write error", files[2].tmp);
        goto done;
    }
    emit_header(files[0].fp, g, t, o, zbytes);
    if (stub) {
        if (out_open(&files[nf++], o->outdir, o->name, stub, err, errlen)) goto done;
        int r = o->embed == LMCC_EMBED_INCBIN ? write_blob_incbin(files[3].fp, o->name)
                : zf ? (fseek(zf, 0, SEEK_SET) ? -1 : write_stream_array(files[3].fp, zf, zbytes, o->name))
                     : write_blob_array(files[3].fp, g, hash, o->name);
        if (r) { errf(err, errlen, "%s: write error", files[3].tmp); goto done; }
    }
    rc = 0;
done:
    if (zf) fclose(zf);
    for (int i = 0; i < nf; i++) {
        if (files[i].fp && fclose(files[i].fp) != 0 && rc == 0)
            rc = errf(err, errlen, "%s: write error: %s (disk full?)", files[i].final, strerror(errno));
    }
    for (int i = 0; i < nf; i++) {
        if (rc == 0) {
            if (rename(files[i].tmp, files[i].final) != 0) {
                rc = errf(err, errlen, "%s: cannot rename into place: %s", files[i].final, strerror(errno));
                for (int k = i; k < nf; k++) remove(files[k].tmp);
                break;
            }
        } else if (files[i].fp) {
            remove(files[i].tmp);
        }
    }
    if (rc == 0 && zbytes > 0 && o->log)
        fprintf(o->log, "zstd: %lld -> %lld bytes (ratio %.3f, level %d)\n", (long long)g->weights_bytes, zbytes,
                (double)g->weights_bytes / (double)zbytes, o->zstd_level);
    if (rc == 0 && o->verbose && o->log) {
        fprintf(o->log, "codegen: %s.weights %lld bytes, arena %lld bytes (kv %lld), batch %d, threads %d (%d barriers "
                "per chunk), target %s, embed %s\n", o->name, (long long)g->weights_bytes, (long long)g->arena_bytes,
                (long long)g->kv_bytes, g->cfg.batch > 1 ? g->cfg.batch : 1, g->cfg.threads > 1 ? g->cfg.threads : 1,
                g->cfg.threads > 1 ? barriers : 0, t->name,
                o->embed == LMCC_EMBED_INCBIN ? "incbin" : o->embed == LMCC_EMBED_ARRAY ? "array" : "external");
    }
    return rc;
}
