/* codegen.c - from a planned graph to NAME.h / NAME.c / NAME.weights.
 *
 * The generated NAME.c reads like llama2.c's run.c: runtime-min stitched in
 * at the top, the vocabulary as const tables, then one step() that walks the
 * graph top to bottom as kernel calls with every shape and offset a constant.
 */
#include "codegen.h"

#include "emit_vocab.h"
#include "template.h"
#include "zstd_blob.h"
#include "lmrt_blob.h"
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

static int64_t place_one(ir_graph *g, int id, int64_t off, uint64_t *h) {
    ir_tensor *t = &g->tensors[id];
    off = (off + LMCC_BLOB_ALIGN - 1) / LMCC_BLOB_ALIGN * LMCC_BLOB_ALIGN;
    t->blob_offset = off;
    *h = hash_bytes(*h, t->name, strlen(t->name));
    *h = hash_bytes(*h, &t->dtype, sizeof t->dtype);
    *h = hash_bytes(*h, t->shape, sizeof t->shape);
    *h = hash_bytes(*h, t->data, t->nbytes);
    return off + (int64_t)t->nbytes;
}

/* First-use order: the weights in the order step() reads them (nodes top to bottom, inputs in
 * order), so one decode step reads the blob front to back (readahead and flash XIP stream it); a
 * weight read again later (a tied output) stays where it was first read.  Returns the content
 * hash, never 0. */
static uint64_t place_weights(ir_graph *g) {
    int64_t off = LMRT_BLOB_HEADER_BYTES;
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < g->n_tensors; i++)
        if (weight_live(g, i)) g->tensors[i].blob_offset = -1;
    for (int k = 0; k < g->n_nodes; k++) {
        const ir_node *n = &g->nodes[k];
        if (n->dead || (unsigned)n->op >= IR_OP_COUNT) continue; /* emit_node reports an op outside the table */
        for (int i = 0; i < ir_op_table[n->op].n_inputs; i++)
            if (weight_live(g, n->inputs[i]) && g->tensors[n->inputs[i]].blob_offset < 0)
                off = place_one(g, n->inputs[i], off, &h);
    }
    for (int i = 0; i < g->n_tensors; i++) /* none in a verified graph: dce drops unread weights */
        if (weight_live(g, i) && g->tensors[i].blob_offset < 0) off = place_one(g, i, off, &h);
    g->weights_bytes = (off + LMCC_BLOB_ALIGN - 1) / LMCC_BLOB_ALIGN * LMCC_BLOB_ALIGN;
    return h ? h : 1;
}

/* What NAME.c knows of its blob: the model hash (header bytes 16-23) and the content checksum
 * (24-31, lmrt_blob_sum of everything after the header). */
typedef struct { uint64_t hash, sum; } blob_keys;

/* The live weights by increasing blob offset; returns the count (ids has n_tensors entries). */
static int weights_in_blob_order(const ir_graph *g, int *ids) {
    int n = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        if (!weight_live(g, i)) continue;
        int j = n++;
        for (; j > 0 && g->tensors[ids[j - 1]].blob_offset > g->tensors[i].blob_offset; j--) ids[j] = ids[j - 1];
        ids[j] = i;
    }
    return n;
}

/* The bytes of the blob after its header, in order, as pieces handed to put (the tensors and the
 * zero bytes between them): one walk for the checksum, the .weights file and the C array. */
typedef int (*blob_put)(void *user, const void *p, size_t n);

static int blob_walk(const ir_graph *g, blob_put put, void *user) {
    static const unsigned char zeros[LMCC_BLOB_ALIGN];
    int *ids = malloc(((size_t)g->n_tensors + 1) * sizeof *ids);
    if (!ids) return -1;
    int nw = weights_in_blob_order(g, ids), bad = 0;
    int64_t pos = LMRT_BLOB_HEADER_BYTES;
    for (int k = 0; k <= nw && !bad; k++) {
        const ir_tensor *t = k < nw ? &g->tensors[ids[k]] : NULL;
        int64_t next = t ? t->blob_offset : g->weights_bytes;
        for (; pos < next && !bad; pos += next - pos < LMCC_BLOB_ALIGN ? next - pos : LMCC_BLOB_ALIGN)
            bad = put(user, zeros, (size_t)(next - pos < LMCC_BLOB_ALIGN ? next - pos : LMCC_BLOB_ALIGN));
        if (t && !bad) {
            bad = put(user, t->data, t->nbytes);
            pos += (int64_t)t->nbytes;
        }
    }
    free(ids);
    return bad ? -1 : 0;
}

static int put_sum(void *user, const void *p, size_t n) {
    lmrt_sum_update((lmrt_sum *)user, p, n);
    return 0;
}

/* lmrt_blob_sum of the blob after its header, as NAME_verify_weights computes it */
static uint64_t blob_sum(const ir_graph *g, int *rc) {
    lmrt_sum s;
    lmrt_sum_init(&s);
    *rc = blob_walk(g, put_sum, &s);
    return lmrt_sum_final(&s);
}

static int put_file(void *user, const void *p, size_t n) {
    return fwrite(p, 1, n, (FILE *)user) == n ? 0 : -1;
}

static int write_blob(FILE *fp, const ir_graph *g, const blob_keys *k) {
    unsigned char hdr[LMRT_BLOB_HEADER_BYTES];
    lmrt_blob_header(hdr, (uint64_t)g->weights_bytes, k->hash, k->sum);
    if (fwrite(hdr, 1, sizeof hdr, fp) != sizeof hdr) return -1;
    return blob_walk(g, put_file, fp);
}

typedef struct { FILE *fp; int col; } array_out;

static int put_array(void *user, const void *p, size_t n) {
    array_out *a = user;
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        fprintf(a->fp, "%u,", (unsigned)b[i]);
        if (++a->col == 24) { fputc('\n', a->fp); a->col = 0; }
    }
    return 0;
}

/* A blob's C array ends with NAME.h's declaration of it, which gives the array its size: a
 * NAME_weights.c that is not the blob NAME.h describes (stale, truncated) is then a compile error
 * ("conflicting types"), not an init that reads past the array. */
static void array_end(FILE *fp, const char *name) {
    fprintf(fp, "\n};\n\n/* %s.h declares %s_weights_blob with the blob's size: a different size above is a compile error */\n"
                "#include \"%s.h\"\n", name, name, name);
}

/* --embed=array: the blob as a C array (fine for tiny models and MCU flash). */
static int write_blob_array(FILE *fp, const ir_graph *g, const blob_keys *k, const char *name) {
    fprintf(fp, "/* %s_weights.c - generated by lmcc: %s.weights as a C array. Do not edit. */\n", name, name);
    fprintf(fp, "#include <stdalign.h>\n\n");
    fprintf(fp, "alignas(%d) const unsigned char %s_weights_blob[] = {\n", LMCC_BLOB_ALIGN, name);
    unsigned char hdr[LMRT_BLOB_HEADER_BYTES];
    lmrt_blob_header(hdr, (uint64_t)g->weights_bytes, k->hash, k->sum);
    array_out a = {fp, 0};
    put_array(&a, hdr, sizeof hdr);
    if (blob_walk(g, put_array, &a)) return -1;
    array_end(fp, name);
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
    fprintf(fp, "alignas(%d) const unsigned char %s_weights_blob[] = {\n", LMCC_BLOB_ALIGN, name);
    array_out a = {fp, 0};
    int c;
    long long n = 0;
    while ((c = fgetc(in)) != EOF) {
        unsigned char b = (unsigned char)c;
        put_array(&a, &b, 1);
        n++;
    }
    array_end(fp, name);
    return ferror(fp) || ferror(in) || n != nbytes ? -1 : 0;
}

static int write_blob_incbin(FILE *fp, const char *name, long long bytes) {
    fprintf(fp,
            "/* %s_weights.S - generated by lmcc: links %s.weights into the program.\n"
            " * Assemble with the output directory on the include path (-I OUTDIR). */\n"
            "    .section .rodata.%s_weights,\"a\"\n"
            "    .balign %d\n"
            "    .globl %s_weights_blob\n"
            "    .type %s_weights_blob, %%object\n"
            "%s_weights_blob:\n"
            "    .incbin \"%s.weights\"\n"
            "    .if . - %s_weights_blob - %lld\n"
            "    .error \"%s.weights is not the %lld-byte file %s.h describes (regenerate both)\"\n"
            "    .endif\n"
            "    .size %s_weights_blob, . - %s_weights_blob\n"
            "    .section .note.GNU-stack,\"\",%%progbits\n",
            name, name, name, LMCC_BLOB_ALIGN, name, name, name, name, name, bytes, name, bytes, name, name, name);
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

/* The generated arena is [activations][scratch][control][KV caches]: the KV region last, so a
 * context shorter than the compiled one (NAME_init_ctx) needs a shorter arena.  memplan plans the
 * KV region first; codegen moves it behind the rest (arena_shift: by how much the others move
 * down).  The KV region is [the caches of every position][the sliding-window rings]: cache i of
 * the first part starts at n_ctx * (the per-position bytes of caches 0..i-1), each [head][n_ctx]
 * [bytes per position of one head]; the rings follow at n_ctx * KV_ROW_BYTES, each [head][slots]
 * [bytes], their size fixed at compile time whatever the context. */
static int64_t arena_shift(const ir_graph *g) { return (g->kv_bytes + 63) / 64 * 64; }

/* a sliding-window layer's cache: fewer slots than the compiled context */
static int kv_is_ring(const ir_graph *g, const ir_tensor *t) {
    return t->kind == IR_KIND_STATE && t->ndim == 3 && t->shape[1] != g->cfg.ctx;
}

/* bytes one position takes in every KV cache of every position (not the rings) */
int64_t lmcc_kv_row_bytes(const ir_graph *g) {
    int64_t row = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (!t->dead && t->kind == IR_KIND_STATE && !kv_is_ring(g, t)) row += (int64_t)ir_tensor_bytes(t) / t->shape[1];
    }
    return row;
}

/* bytes of every sliding-window ring, each 64-byte aligned */
int64_t lmcc_kv_ring_bytes(const ir_graph *g) {
    int64_t bytes = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (!t->dead && kv_is_ring(g, t)) bytes += ((int64_t)ir_tensor_bytes(t) + 63) / 64 * 64;
    }
    return bytes;
}

/* the KV region of a context of n positions (its caches hold ir_kv_rows each) */
static int64_t kv_bytes_for(const ir_graph *g, int64_t n) {
    return (ir_kv_rows(&g->cfg, n) * lmcc_kv_row_bytes(g) + 63) / 64 * 64 + lmcc_kv_ring_bytes(g);
}

/* the KV bytes of the compiled context (NAME_KV_BYTES, the size line): kv_bytes_for unaligned */
int64_t lmcc_kv_bytes(const ir_graph *g) {
    return ir_kv_rows(&g->cfg, g->cfg.ctx) * lmcc_kv_row_bytes(g) + lmcc_kv_ring_bytes(g);
}

/* where the control block (struct run, the thread pool) and the KV region start */
static int64_t run_offset(const ir_graph *g) { return (g->arena_bytes - arena_shift(g) + 63) / 64 * 64; }
static int64_t kv_offset(const ir_graph *g) {
    return run_offset(g) + CTRL_RUN_BYTES + (g->cfg.threads > 1 ? CTRL_POOL_BYTES : 0);
}

int64_t lmcc_arena_total(const ir_graph *g) {
    return kv_offset(g) + kv_bytes_for(g, g->cfg.ctx);
}

/* step()'s sections, the slices of step_run: a run of nodes of one layer (the embedding, each
 * layer, the output) */
static int step_sections(const ir_graph *g) {
    int sections = 0;
    for (int k = 0, layer = -2; k < g->n_nodes; k++)
        if (!g->nodes[k].dead && g->nodes[k].attrs.layer != layer) layer = g->nodes[k].attrs.layer, sections++;
    return sections;
}

/* ---- the header ---------------------------------------------------------- */

/* A guess's share of a decode step in a verification pass (NAME_SPEC_GUESS_COST, where prompt
 * lookup starts from).  Decode reads every weight once per token and a pass over k + 1 tokens
 * reads them once too: where the weights come from memory a guess costs only its arithmetic
 * (about a tenth of a step on a stories110M-shape q8 model), where they stay in the caches a step
 * is arithmetic and a guess costs nearly a step (0.85 .. 1.1 on stories260K).  The caches of the
 * machine are not known: 8 MiB of weights is the border. */
#define SPEC_CACHED_BYTES ((int64_t)8 << 20)
static const char *spec_guess_cost(const ir_graph *g) {
    return g->weights_bytes <= SPEC_CACHED_BYTES ? "0.9f" : "0.1f";
}

static int emit_header(FILE *fp, const ir_graph *g, const lmcc_target *t, const lmcc_codegen_opts *o,
                       long long zbytes, char *err, size_t errlen) {
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
    if (m->ctx_min > 1 && m->ctx_min > g->cfg.kv_sink)
        fprintf(fp, "#define %s_CTX_MIN %d /* %s_init_ctx's smallest context: LongRoPE's long factors were "
                    "compiled in (a context up to %d takes the short ones: compile with --ctx %d or less) */\n",
                up, m->ctx_min, N, m->ctx_min - 1, m->ctx_min - 1);
    else if (g->cfg.kv_slide && g->cfg.kv_sink > 0)
        fprintf(fp, "#define %s_CTX_MIN %d /* %s_init_ctx's smallest context: the sinks and a ring of one */\n", up,
                g->cfg.kv_sink + 1, N);
    else
        fprintf(fp, "#define %s_CTX_MIN 1 /* %s_init_ctx's smallest context */\n", up, N);
    if (g->cfg.kv_slide)
        fprintf(fp, "/* --kv-policy slide: past the context forward goes on; the caches keep the first\n"
                    " * %s_KV_SINK positions and a ring of the latest n_ctx - %s_KV_SINK (plus %s_BATCH - 1\n"
                    " * slots, so chunks of %s_BATCH tokens go on past the context).  The sinks are scored as\n"
                    " * seen from position n_ctx - 1. */\n"
                    "#define %s_KV_SLIDE 1\n#define %s_KV_SINK %d\n",
                up, up, up, up, up, up, g->cfg.kv_sink);
    else
        fprintf(fp, "/* --kv-policy stop: forward fails with %s_ERR_CONTEXT_FULL past the context */\n"
                    "#define %s_KV_SLIDE 0\n#define %s_KV_SINK 0\n", up, up, up);
    fputc('\n', fp);
    if (lmcc_emit_vocab_header(fp, v, o->chat, N, up)) return errf(err, errlen, "codegen: write error");
    fprintf(fp, "/* ---- memory (bytes) ---- */\n");
    int threads = g->cfg.threads > 1 ? g->cfg.threads : 1;
    int64_t total = lmcc_arena_total(g), row = lmcc_kv_row_bytes(g);
    fprintf(fp, "#define %s_ARENA_BYTES %lldu /* activations %lld + scratch %lld + control %lld + KV cache %lld */\n",
            up, (long long)total, (long long)g->act_bytes, (long long)g->scratch_bytes,
            (long long)(kv_offset(g) - g->act_bytes - g->scratch_bytes), (long long)(total - kv_offset(g)));
    int spare = (int)ir_kv_rows(&g->cfg, 0); /* the rows past the context a slide build keeps */
    char rows[160];
    if (spare) snprintf(rows, sizeof rows, "((n) + %s_BATCH - 1)", up);
    else snprintf(rows, sizeof rows, "(n)");
    fprintf(fp, "/* the arena of a context of n <= %s_CTX positions (%s_init_ctx): the KV cache last, %s rows */\n"
                "#define %s_ARENA_BYTES_FOR(n) (%lldu + ((size_t)%s * %s_KV_ROW_BYTES + 63) / 64 * 64)\n"
                "#define %s_KV_ROW_BYTES %lldu /* KV bytes per position, every layer but the sliding-window "
                "rings (%lld bytes whatever the context) */\n",
            up, N, spare ? "n + BATCH - 1" : "n", up, (long long)(kv_offset(g) + lmcc_kv_ring_bytes(g)), rows, up, up, (long long)row,
            (long long)lmcc_kv_ring_bytes(g));
    fprintf(fp, "#define %s_BATCH %d /* tokens per forward chunk (prefill) */\n", up, g->cfg.batch > 1 ? g->cfg.batch : 1);
    fprintf(fp, "#define %s_SPEC_GUESS_COST %s /* a guessed token's share of a decode step in a verification "
                "pass, estimated from the weights' size (%s_spec.cost) */\n", up, spec_guess_cost(g), N);
    fprintf(fp, "#define %s_STEP_SECTIONS %d /* step_run slices per chunk: the embedding, each layer, the output */\n",
            up, step_sections(g));
    if (threads > 1) {
        fprintf(fp, "#define %s_THREADS %d /* worker threads (pthreads); see %s_set_threads */\n", up, threads, N);
        fprintf(fp, "#define %s_POOL_OFFSET %lldu /* the worker pool's %d arena bytes (mutex, condition variables): "
                    "idle workers write them whatever the calls do */\n#define %s_POOL_BYTES %d\n",
                up, (long long)(run_offset(g) + CTRL_RUN_BYTES), CTRL_POOL_BYTES, up, CTRL_POOL_BYTES);
    }
    fprintf(fp, "#define %s_ARENA_ALIGN %d\n", up, LMCC_BLOB_ALIGN);
    fprintf(fp, "#define %s_KV_BYTES %lldu /* %s_CTX positions%s, sliding-window rings included */\n", up,
            (long long)lmcc_kv_bytes(g), up, g->cfg.kv_slide && g->cfg.batch > 1 ? " (+ BATCH - 1: slide)" : "");
    if (zbytes > 0) {
        fprintf(fp, "#define %s_WEIGHTS_BYTES %lldu /* the raw blob NAME_init takes */\n", up, (long long)g->weights_bytes);
        fprintf(fp, "#define %s_WEIGHTS_RAW_BYTES %lldu /* buffer for %s_decompress_weights */\n", up,
                (long long)g->weights_bytes, N);
        fprintf(fp, "#define %s_WEIGHTS_ZSTD_BYTES %lldu /* size of %s.weights: one zstd frame */\n", up, zbytes, N);
    } else {
        fprintf(fp, "#define %s_WEIGHTS_BYTES %lldu /* size of %s.weights */\n", up, (long long)g->weights_bytes, N);
    }
    fprintf(fp, "#define %s_WEIGHTS_ALIGN 16\n\n", up);
    unsigned flags = (o->embed != LMCC_EMBED_EXTERNAL ? LMCC_TEMPLATE_FLAG(EMBEDDED) : 0) |
                     (zbytes > 0 ? LMCC_TEMPLATE_FLAG(ZSTD) : 0) | (o->draft_name ? LMCC_TEMPLATE_FLAG(DRAFT) : 0);
    if (o->draft_name) fprintf(fp, "#include \"%s.h\" /* the draft model (--draft) */\n\n", o->draft_name);
    if (lmcc_template_write(fp, "api.h", N, flags, err, errlen)) return -1;
    fprintf(fp, "\n#endif\n");
    return 0;
}

/* ---- the C file ---------------------------------------------------------- */

/* Shapes step() names instead of spelling numbers: X(NAME, value, what).  A value of 0 leaves the
 * name out (FFN_PAD without a padded hadamard).  Model-level facts only: a call whose value differs
 * (a layer of another width) keeps the number. */
#define SHAPE_LIST(X)                                                                 \
    X(DIM, m->dim, "width of the residual stream")                                    \
    X(N_LAYERS, m->n_layers, "transformer blocks")                                    \
    X(N_HEADS, m->n_heads, "query heads")                                             \
    X(N_KV_HEADS, m->n_kv_heads, "key/value heads")                                   \
    X(HEAD_DIM, m->head_dim, "width of one head")                                     \
    X(ROPE_DIM, m->rope_dim, "rotated dimensions of a head")                          \
    X(Q_DIM, (int64_t)m->n_heads * m->head_dim, "N_HEADS * HEAD_DIM")                 \
    X(KV_DIM, (int64_t)m->n_kv_heads * m->head_dim, "N_KV_HEADS * HEAD_DIM")          \
    X(FFN_DIM, m->hidden_dim, "width of the feed-forward hidden layer")               \
    X(FFN_PAD, ffn_pad(g), "FFN_DIM zero-padded to whole Walsh-Hadamard blocks")      \
    X(VOCAB, m->vocab_size, "tokens in the vocabulary")                               \
    X(CTX, g->cfg.ctx, "positions in the KV cache")                                   \
    X(WINDOW, swa_window(g), "positions a sliding-window layer attends to")           \
    X(SLOTS, swa_slots(g), "KV slots of a sliding-window layer (a ring)")

enum {
#define X(name, v, what) SH_##name,
    SHAPE_LIST(X)
#undef X
    SH_COUNT
};
static const char *const shape_names[SH_COUNT] = {
#define X(name, v, what) #name,
    SHAPE_LIST(X)
#undef X
};
/* a matrix width or a row count takes the first of these it equals */
static const int width_names[] = {SH_DIM, SH_FFN_DIM, SH_FFN_PAD, SH_VOCAB, SH_Q_DIM, SH_KV_DIM};

/* the first windowed attention's window and the slots of its caches (0: no sliding-window layer) */
static int64_t swa_window(const ir_graph *g) {
    for (int k = 0; k < g->n_nodes; k++)
        if (!g->nodes[k].dead && g->nodes[k].op == IR_OP_ATTENTION && g->nodes[k].attrs.window > 0)
            return g->nodes[k].attrs.window;
    return 0;
}

static int64_t swa_slots(const ir_graph *g) {
    for (int k = 0; k < g->n_nodes; k++)
        if (!g->nodes[k].dead && g->nodes[k].op == IR_OP_ATTENTION && g->nodes[k].attrs.window > 0)
            return g->tensors[g->nodes[k].inputs[1]].shape[1];
    return 0;
}

static int64_t ffn_pad(const ir_graph *g) {
    for (int k = 0; k < g->n_nodes; k++) {
        const ir_node *n = &g->nodes[k];
        if (n->dead || n->op != IR_OP_HADAMARD) continue;
        int64_t in = g->tensors[n->inputs[0]].shape[g->tensors[n->inputs[0]].ndim - 1];
        int64_t out = g->tensors[n->output].shape[g->tensors[n->output].ndim - 1];
        if (in == g->info.hidden_dim && out != in) return out;
    }
    return 0;
}

/* arena bytes [lo, hi) a kernel reads (write 0) or writes (write 1) */
/* Arena bytes a kernel touched; tensor and row_split let barrier_before see that a row-split kernel
 * reads rows a row-split kernel wrote (rows: 1 after take_last, else n). */
typedef struct span { int64_t lo, hi; int write, tensor, row_split, rows1; } span;

/* Ops whose kernels split by token rows, lmrt_split(rows, tid, nth) (docs/KERNELS.md "rows split"): a
 * thread reads exactly the rows of their output it wrote itself, so one of them reading another's
 * output of the same rows needs no barrier in between. */
static const unsigned char op_row_split[IR_OP_COUNT] = {
    [IR_OP_RMSNORM] = 1, [IR_OP_NORMALIZE] = 1, [IR_OP_QUANTIZE] = 1, [IR_OP_HADAMARD] = 1,
};

/* Ops whose kernels threaded builds call in parts claimed at run time (lmrt_claim) instead of one
 * static share per thread: the linear family, nearly all of a step's time.  Their kernels use
 * (tid, nth) only to pick their rows (docs/KERNELS.md), so (part, PARTS) does the same with finer
 * ranges, and a thread that the OS preempts or that got slower rows leaves its parts to the
 * others instead of holding them all at the next barrier. */
static const unsigned char op_parts[IR_OP_COUNT] = {
    [IR_OP_LINEAR] = 1, [IR_OP_LINEAR_ADD] = 1, [IR_OP_LINEAR_SWIGLU] = 1, [IR_OP_QKV] = 1,
};
#define PARTS_PER_THREAD 4

#define MAX_USED 64 /* distinct kernels in one step(): a llama graph calls about 10 */

typedef struct emit {
    FILE *fp;
    const ir_graph *g;
    int threaded;
    int64_t shape[SH_COUNT];
    float eps, scale, softcap; /* RMS_EPS, ATTN_SCALE, ATTN_SOFTCAP: the first norm's and attention's */
    int have_eps, have_scale, have_softcap;
    char (*id)[64];          /* per tensor: W_* (weights), A_* (arena) or "" */
    int64_t *bytes;          /* per tensor: arena bytes (ACT: batch or 1 rows, STATE: whole) */
    char used[MAX_USED][48]; /* single-threaded: the kernels step() calls, for their k_ forms */
    int used_split[MAX_USED];
    int n_used;
    span *pend;              /* threaded: arena bytes kernels touched since the last barrier */
    int n_pend, barriers;
    int parted;              /* threaded: kernel calls done in claimed parts */
    const char *ind;         /* a statement's indentation: deeper inside step()'s row loop */
    char err[256];
} emit;

static const char *act_name(const ir_graph *g, int id, char *buf, size_t cap) {
    c_ident(g->tensors[id].name, buf, cap);
    return buf;
}

/* "blk.0.attn_qkv.weight" -> "W_BLK0_ATTN_QKV", "l0.xb" -> "A_L0_XB": upper case, ".weight"
 * dropped, a dot before a number dropped, anything else not alphanumeric -> '_' */
static void offset_name(const char *prefix, const char *s, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "%s", prefix), len = strlen(s);
    if (len > 7 && !strcmp(s + len - 7, ".weight")) len -= 7;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        char c = s[i];
        if (c == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') continue;
        buf[n++] = (c >= 'a' && c <= 'z') ? (char)(c - 32)
                   : ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '_';
    }
    buf[n] = 0;
}

static int emit_init(emit *e, FILE *fp, const ir_graph *g) {
    const ir_model_info *m = &g->info;
    memset(e, 0, sizeof *e);
    e->fp = fp;
    e->g = g;
    e->threaded = g->cfg.threads > 1;
    e->ind = "    ";
#define X(name, v, what) e->shape[SH_##name] = (v);
    SHAPE_LIST(X)
#undef X
    e->id = calloc((size_t)g->n_tensors + 1, sizeof *e->id);
    e->bytes = calloc((size_t)g->n_tensors + 1, sizeof *e->bytes);
    e->pend = calloc((size_t)g->n_nodes * 2 * (IR_MAX_INPUTS + 1) + 1, sizeof *e->pend);
    if (!e->id || !e->bytes || !e->pend) return -1;
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->dead) continue;
        if (t->kind == IR_KIND_WEIGHT) offset_name("W_", t->name, e->id[i], sizeof e->id[i]);
        else if (t->kind == IR_KIND_ACT || t->kind == IR_KIND_STATE) offset_name("A_", t->name, e->id[i], sizeof e->id[i]);
        else continue;
        for (int j = 0; j < i; j++) /* names are the graph's, unique, but two may map to one identifier */
            if (!strcmp(e->id[j], e->id[i])) {
                size_t l = strlen(e->id[i]);
                snprintf(e->id[i] + l, sizeof e->id[i] - l, "_%d", i);
                break;
            }
        if (t->kind == IR_KIND_ACT) e->bytes[i] = ir_act_bytes(g, i);
        if (t->kind == IR_KIND_STATE) e->bytes[i] = (int64_t)ir_tensor_bytes(t);
    }
    for (int k = 0; k < g->n_nodes; k++) {
        const ir_node *n = &g->nodes[k];
        if (n->dead) continue;
        if (!e->have_eps && (n->op == IR_OP_RMSNORM || n->op == IR_OP_NORMALIZE || n->op == IR_OP_HEAD_NORM)) e->eps = n->attrs.eps, e->have_eps = 1;
        if (!e->have_scale && n->op == IR_OP_ATTENTION) e->scale = n->attrs.scale, e->have_scale = 1;
        if (!e->have_softcap && n->op == IR_OP_ATTENTION && n->attrs.softcap > 0)
            e->softcap = n->attrs.softcap, e->have_softcap = 1;
    }
    return 0;
}

static void emit_free(emit *e) {
    free(e->id);
    free(e->bytes);
    free(e->pend);
}

/* Threaded builds: every thread waits here until all threads got here. */
static void barrier(emit *e) {
    if (!e->threaded) return;
    fprintf(e->fp, "%sBARRIER();\n", e->ind);
    e->barriers++;
    e->n_pend = 0;
}

/* The arena bytes node k touches: ACT/STATE inputs read, its output written, STATE inputs (KV
 * caches) counted as written too (qkv and kv_store write them). */
static int node_spans(const emit *e, int k, int rows1, span *s) {
    const ir_graph *g = e->g;
    const ir_node *n = &g->nodes[k];
    int ns = 0, rs = op_row_split[n->op];
    for (int i = 0; i < ir_op_table[n->op].n_inputs; i++) {
        int id = n->inputs[i];
        const ir_tensor *t = &g->tensors[id];
        if (t->kind != IR_KIND_ACT && t->kind != IR_KIND_STATE) continue;
        s[ns++] = (span){t->arena_offset, t->arena_offset + e->bytes[id], t->kind == IR_KIND_STATE, id, rs, rows1};
    }
    if (n->output >= 0)
        s[ns++] = (span){g->tensors[n->output].arena_offset, g->tensors[n->output].arena_offset + e->bytes[n->output], 1,
                         n->output, rs, rows1};
    return ns;
}

/* a write a before a read b of the same bytes by the same threads: b reads the rows a wrote */
static int same_rows(const span *a, const span *b) {
    return a->write && !b->write && a->tensor == b->tensor && a->row_split && b->row_split && a->rows1 == b->rows1;
}

/* Threaded builds: a barrier before node k only if it reads bytes another kernel wrote since the
 * last barrier, or writes bytes one read or wrote (memplan reuses buffers, so this is by bytes,
 * not by tensor).  Kernels split their work differently, so any such overlap is a race. */
static void barrier_before(emit *e, int k, int rows1) {
    if (!e->threaded) return;
    span s[IR_MAX_INPUTS + 1];
    int ns = node_spans(e, k, rows1, s), hazard = 0;
    for (int i = 0; i < ns && !hazard; i++)
        for (int j = 0; j < e->n_pend && !hazard; j++)
            hazard = (s[i].write || e->pend[j].write) && s[i].lo < e->pend[j].hi && e->pend[j].lo < s[i].hi &&
                     !same_rows(&e->pend[j], &s[i]);
    if (hazard) barrier(e);
}

/* after node k's calls (and any barrier inside them): what it touched is pending */
static void barrier_note(emit *e, int k, int rows1) {
    if (e->threaded) e->n_pend += node_spans(e, k, rows1, e->pend + e->n_pend);
}

/* The name of shape constant `which` if it has value v, else the number; in buf. */
static const char *shape_expr(const emit *e, int which, int64_t v, char *buf, size_t cap) {
    if (e->shape[which] > 0 && e->shape[which] == v) snprintf(buf, cap, "%s", shape_names[which]);
    else snprintf(buf, cap, "%lld", (long long)v);
    return buf;
}

/* A width (matrix rows or columns, a row length): the first width constant equal to v, else the
 * number; in buf. */
static const char *width_expr(const emit *e, int64_t v, char *buf, size_t cap) {
    for (size_t i = 0; i < sizeof width_names / sizeof *width_names; i++)
        if (e->shape[width_names[i]] > 0 && e->shape[width_names[i]] == v) {
            snprintf(buf, cap, "%s", shape_names[width_names[i]]);
            return buf;
        }
    snprintf(buf, cap, "%lld", (long long)v);
    return buf;
}

/* a cache's slots: CTX (every position) or SLOTS (a sliding-window ring), else the number */
static const char *slots_expr(const emit *e, int64_t v, char *buf, size_t cap) {
    return shape_expr(e, e->shape[SH_CTX] == v ? SH_CTX : SH_SLOTS, v, buf, cap);
}

static void shape_str(const emit *e, const ir_tensor *t, const char *rows, char *buf, size_t cap) {
    char tmp[32];
    size_t n = (size_t)snprintf(buf, cap, "%s", ir_dtype_name(t->dtype));
    if (rows && n < cap) n += (size_t)snprintf(buf + n, cap - n, "[%s]", rows);
    static const int kv_dims[3] = {SH_N_KV_HEADS, SH_CTX, SH_HEAD_DIM}; /* a KV cache: [kv_head][slot][hd] */
    for (int d = 0; d < t->ndim && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, "[%s]", t->kind == IR_KIND_STATE && t->ndim == 3
                              ? d == 1 ? slots_expr(e, t->shape[1], tmp, sizeof tmp)
                                       : shape_expr(e, kv_dims[d], t->shape[d], tmp, sizeof tmp)
                              : width_expr(e, t->shape[d], tmp, sizeof tmp));
}

/* kernel-name parts: weight format (with t for tiled), activation, kv */
static const char *wfmt(const ir_tensor *w) { return ir_dtype_kernel_name(w->dtype, w->tile_rows > 1); }
static const char *afmt(const ir_tensor *x) { return x->dtype == IR_DT_Q8A ? "q8a" : "f32"; }
static const char *kvfmt(const ir_tensor *c) {
    return c->dtype == IR_DT_Q8_KV ? "q8" : c->dtype == IR_DT_F16 ? "f16" : "f32";
}

static int64_t last_dim(const ir_tensor *t) { return t->shape[t->ndim - 1]; }
static int rows_of(const ir_tensor *w) { return (int)w->shape[0]; }
static int cols_of(const ir_tensor *w) { return (int)w->shape[w->ndim - 1]; }
static int tile_of(const ir_tensor *w) { return w->tile_rows > 1 ? w->tile_rows : 1; }

/* One kernel call.  `split`: the kernel takes (tid, nth) and does its share; otherwise one thread
 * (tid 0) does it all.  Threaded builds pass (tid, nth) themselves, or with split 2 (op_parts) call
 * it once per part they claim; single-threaded builds call k_<kernel>, defined before step() as
 * the contract name with (0, 1) appended. */
static void put_call(emit *e, int split, const char *kernel, const char *args, const char *comment) {
    if (e->threaded && split == 2) {
        fprintf(e->fp, "%sfor (int part; (part = CLAIM()) >= 0;) lmrt_k_%s(%s, part, PARTS);", e->ind, kernel, args);
        e->parted++;
    } else if (e->threaded) {
        fprintf(e->fp, "%s%slmrt_k_%s(%s%s);", e->ind, split ? "" : "if (tid == 0) ", kernel, args, split ? ", tid, nth" : "");
    } else {
        int i = 0;
        while (i < e->n_used && strcmp(e->used[i], kernel)) i++;
        if (i == MAX_USED) snprintf(e->err, sizeof e->err, "codegen: more than %d distinct kernels", MAX_USED);
        else if (i == e->n_used) {
            snprintf(e->used[i], sizeof e->used[i], "%s", kernel);
            e->used_split[e->n_used++] = split;
        }
        fprintf(e->fp, "%sk_%s(%s);", e->ind, kernel, args);
    }
    if (comment && *comment) fprintf(e->fp, " /* %s */", comment);
    fputc('\n', e->fp);
}

/* "w + W_BLK0_ATTN_QKV", "a + A_KV0_K" */
static const char *wref(const emit *e, int id, char *buf, size_t cap) {
    snprintf(buf, cap, "w + %s", e->id[id]);
    return buf;
}
static const char *aref(const emit *e, int id, char *buf, size_t cap) {
    const char *rows = e->g->cfg.kv_slide ? "(kr)" : "(nc)";
    snprintf(buf, cap, "a + %s%s", e->id[id], e->g->tensors[id].kind == IR_KIND_STATE ? rows : "");
    return buf;
}

/* The positions a KV cache holds, as step() spells them: a sliding-window ring its SLOTS (fixed
 * at compile time), every other cache the context's (nc; a slide build's kr = nc + KV_SPARE:
 * ir_kv_rows), which the compiled CTX bounds. */
static const char *kv_rows(const emit *e, const ir_tensor *c, char *buf, size_t cap) {
    if (kv_is_ring(e->g, c)) return slots_expr(e, c->shape[1], buf, cap);
    snprintf(buf, cap, e->g->cfg.kv_slide ? "kr" : "nc");
    return buf;
}

/* a head count: the model's query or KV head count by name, else the number (rope and head_norm
 * run on q, k or other heads) */
static const char *heads_expr(const emit *e, int heads, char *buf, size_t cap) {
    if (heads == e->shape[SH_N_HEADS]) return "N_HEADS";
    if (heads == e->shape[SH_N_KV_HEADS]) return "N_KV_HEADS";
    snprintf(buf, cap, "%d", heads);
    return buf;
}

/* The position qkv and kv_store write at: a sliding-window ring's or a stop build's cache the chunk's
 * (slot pos % slots), a slide build's cache of every position kp, its slot (the chunks past the
 * context are one token each). */
/* a sliding-window attention's window; a slide build's window layer whose cache has a slot per
 * position attends to at most the nc positions of the cache past the context */
static const char *window_expr(const emit *e, int window, const ir_tensor *c, char *buf, size_t cap) {
    char w[24];
    shape_expr(e, SH_WINDOW, window, w, sizeof w);
    if (e->g->cfg.kv_slide && !kv_is_ring(e->g, c)) snprintf(buf, cap, "(%s < nc ? %s : nc)", w, w);
    else snprintf(buf, cap, "%s", w);
    return buf;
}

static const char *kv_pos(const emit *e, int cache) {
    return ir_kv_slides(e->g, cache) ? "kp" : "pos";
}

/* --kv-policy slide, before an attention node n over a cache of every position: past the context
 * its sink keys are scored with the query rotated back to position nc - 1 (qsink), so every score
 * sees a distance the model was trained on (StreamingLLM's positions), while the ring keys keep
 * their absolute rotation.  The query's rotation is found where it was made (qkv or rope; the
 * graph builder rotates nowhere else).  1 when qsink is written, 0 when the query is not rotated
 * (SmolLM3's layers without RoPE: its sinks are scored with q). */
static int sink_query(emit *e, const ir_node *n) {
    const ir_graph *g = e->g;
    int qp = ir_tensor_producer(g, n->inputs[0]);
    const ir_node *rn = qp >= 0 ? &g->nodes[qp] : NULL;
    int tab = !rn ? -1 : rn->op == IR_OP_QKV ? rn->inputs[2] : rn->op == IR_OP_ROPE ? rn->inputs[1] : -1;
    int tp = tab >= 0 ? ir_tensor_producer(g, tab) : -1;
    if (tp < 0 || g->nodes[tp].op != IR_OP_ROPE_TABLE || rn->attrs.rope_dim <= 0) return 0; /* a layer without RoPE */
    const ir_attrs *ra = &rn->attrs;
    char args[512], w[96], s1[32], s2[32], s3[32], s4[32], x[96];
    int64_t half = last_dim(&g->tensors[g->nodes[tp].inputs[0]]);
    const char *ind = e->ind;
    /* every token of a chunk past the context is past it (chunk_len): token t's query is rotated
     * back by nc - 1 - (pos + t), a rotation table row each (rope_table counts positions up) */
    fprintf(e->fp, "%sif (pos >= nc) { /* qsink[t] = token t's query at position nc - 1 */\n", ind);
    e->ind = "            ";
    if (e->shape[SH_ROPE_DIM] == 2 * half) snprintf(s1, sizeof s1, "ROPE_DIM / 2");
    else snprintf(s1, sizeof s1, "%lld", (long long)half);
    snprintf(args, sizeof args, "srope + (size_t)t * 2 * (%s), (const float *)(%s), %s, 1, nc - 1 - pos - t, 1.0f", s1,
             wref(e, g->nodes[tp].inputs[0], w, sizeof w), s1);
    fprintf(e->fp, "%sfor (int t = 0; t < n; t++)\n", e->ind);
    e->ind = "                ";
    put_call(e, 0, "rope_table", args, "the rotation by nc - 1 - pos - t");
    e->ind = "            ";
    snprintf(args, sizeof args, "qsink, %s, n * %s * %s", act_name(g, n->inputs[0], x, sizeof x),
             heads_expr(e, ra->n_heads, s2, sizeof s2), shape_expr(e, SH_HEAD_DIM, ra->head_dim, s3, sizeof s3));
    put_call(e, 1, "copy", args, NULL);
    if (e->threaded) fprintf(e->fp, "%sBARRIER();\n", e->ind);
    snprintf(args, sizeof args, "qsink, n, %s, %s, %s, %d, srope", heads_expr(e, ra->n_heads, s2, sizeof s2),
             shape_expr(e, SH_HEAD_DIM, ra->head_dim, s3, sizeof s3),
             shape_expr(e, SH_ROPE_DIM, ra->rope_dim, s4, sizeof s4), ra->rope_neox);
    put_call(e, 1, "rope", args, NULL);
    if (e->threaded) fprintf(e->fp, "%sBARRIER();\n", e->ind);
    e->ind = ind;
    fprintf(e->fp, "%s}\n", ind);
    return 1;
}

/* Emits one node as kernel calls.  `nrows` is "n" before take_last and "1" after it.  In threaded
 * builds every thread runs every line and each kernel takes its share. */
static int emit_node(emit *e, int idx, const char *nrows) {
    const ir_graph *g = e->g;
    const ir_node *n = &g->nodes[idx];
    char o[96], x[96], y[96], r[96], w[96], c1[96], c2[96], f[32], args[2048], kn[96], cm[160];
    char s1[32], s2[32], s3[32], s4[32], s5[32], s6[32];
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
        snprintf(kn, sizeof kn, "embed_%s", wfmt(wt));
        snprintf(args, sizeof args, "%s, %s, tokens, %s, %s", o, wref(e, n->inputs[0], w, sizeof w), nrows,
                 width_expr(e, cols_of(wt), s1, sizeof s1));
        put_call(e, 0, kn, args, NULL);
        break;
    case IR_OP_HEAD_NORM: /* rmsnorm over the rows of head_dim: n * n_heads of them */
    case IR_OP_RMSNORM:
    case IR_OP_NORMALIZE:
        if (e->have_eps && at->eps == e->eps) snprintf(f, sizeof f, "RMS_EPS");
        else flit(f, sizeof f, at->eps);
        act_name(g, n->inputs[0], x, sizeof x);
        if (n->op == IR_OP_HEAD_NORM) {
            snprintf(args, sizeof args, "%s, %s, (const float *)(%s), %s * %s, %s, %s", o, x,
                     wref(e, n->inputs[1], w, sizeof w), nrows, heads_expr(e, at->n_heads, s2, sizeof s2),
                     shape_expr(e, SH_HEAD_DIM, at->head_dim, s1, sizeof s1), f);
            put_call(e, 1, "rmsnorm", args, NULL);
        } else if (n->op == IR_OP_RMSNORM) {
            snprintf(args, sizeof args, "%s, %s, (const float *)(%s), %s, %s, %s", o, x,
                     wref(e, n->inputs[1], w, sizeof w), nrows, width_expr(e, last_dim(out), s1, sizeof s1), f);
            put_call(e, 1, "rmsnorm", args, NULL);
        } else {
            snprintf(args, sizeof args, "%s, %s, %s, %s, %s", o, x, nrows, width_expr(e, last_dim(out), s1, sizeof s1), f);
            put_call(e, 1, "normalize", args, NULL);
        }
        break;
    case IR_OP_QUANTIZE:
        snprintf(args, sizeof args, "%s, %s, %s, %s", o, act_name(g, n->inputs[0], x, sizeof x), nrows,
                 width_expr(e, last_dim(out), s1, sizeof s1));
        put_call(e, 1, "quantize_q8a", args, NULL);
        break;
    case IR_OP_HADAMARD:
        flit(f, sizeof f, (float)(1.0 / sqrt((double)at->block)));
        snprintf(args, sizeof args, "%s, %s, %s, %s, %s, %d, %s", o, act_name(g, n->inputs[0], x, sizeof x), nrows,
                 width_expr(e, last_dim(&g->tensors[n->inputs[0]]), s1, sizeof s1),
                 width_expr(e, last_dim(out), s2, sizeof s2), at->block, f);
        snprintf(cm, sizeof cm, "blocks of %d times 1/sqrt(%d)", at->block, at->block);
        put_call(e, 1, "hadamard", args, cm);
        break;
    case IR_OP_LINEAR:
    case IR_OP_LINEAR_ADD:
    case IR_OP_LINEAR_SWIGLU: {
        wt = &g->tensors[n->inputs[1]];
        if (!wfmt(wt)) goto unsupported;
        const char *xf = afmt(&g->tensors[n->inputs[0]]);
        act_name(g, n->inputs[0], x, sizeof x);
        wref(e, n->inputs[1], w, sizeof w);
        width_expr(e, n->op == IR_OP_LINEAR_SWIGLU ? rows_of(wt) / 2 : rows_of(wt), s1, sizeof s1);
        width_expr(e, cols_of(wt), s2, sizeof s2);
        if (n->op == IR_OP_LINEAR) {
            snprintf(kn, sizeof kn, "matmul_%s_%s", wfmt(wt), xf);
            snprintf(args, sizeof args, "%s, %s, %s, %s, %s, %s, %d", o, w, x, nrows, s1, s2, tile_of(wt));
        } else if (n->op == IR_OP_LINEAR_ADD) {
            snprintf(kn, sizeof kn, "matmul_add_%s_%s", wfmt(wt), xf);
            snprintf(args, sizeof args, "%s, %s, %s, %s, %s, %s, %s, %d", o, w, x,
                     act_name(g, n->inputs[2], r, sizeof r), nrows, s1, s2, tile_of(wt));
        } else {
            snprintf(kn, sizeof kn, "matmul_swiglu_%s_%s", wfmt(wt), xf);
            snprintf(args, sizeof args, "%s, %s, %s, %s, %s, %s, %d", o, w, x, nrows, s1, s2, tile_of(wt));
        }
        put_call(e, 2, kn, args, n->op == IR_OP_LINEAR_ADD ? "+ residual" : NULL);
        break;
    }
    case IR_OP_QKV: {
        wt = &g->tensors[n->inputs[1]];
        const ir_tensor *kc = &g->tensors[n->inputs[3]];
        if (!wfmt(wt)) goto unsupported;
        snprintf(kn, sizeof kn, "qkv_%s_%s_%s", wfmt(wt), afmt(&g->tensors[n->inputs[0]]), kvfmt(kc));
        snprintf(args, sizeof args, "%s, %s, %s, %s, %s, %s, %s, %s, %s, %d,\n        %s, %s, %s, %s, %s, %d",
                 o, wref(e, n->inputs[1], w, sizeof w), act_name(g, n->inputs[0], x, sizeof x), nrows,
                 width_expr(e, cols_of(wt), s1, sizeof s1), shape_expr(e, SH_N_HEADS, at->n_heads, s2, sizeof s2),
                 shape_expr(e, SH_N_KV_HEADS, at->n_kv_heads, s3, sizeof s3),
                 shape_expr(e, SH_HEAD_DIM, at->head_dim, s4, sizeof s4),
                 shape_expr(e, SH_ROPE_DIM, at->rope_dim, s5, sizeof s5), at->rope_neox,
                 act_name(g, n->inputs[2], c2, sizeof c2), aref(e, n->inputs[3], c1, sizeof c1),
                 aref(e, n->inputs[4], r, sizeof r), kv_rows(e, kc, s6, sizeof s6), kv_pos(e, n->inputs[3]), tile_of(wt));
        put_call(e, 2, kn, args, "q; k, v -> the KV cache at pos");
        break;
    }
    case IR_OP_ROPE:
        snprintf(args, sizeof args, "%s, %s, %s * %s", o, act_name(g, n->inputs[0], x, sizeof x), nrows,
                 width_expr(e, last_dim(out), s1, sizeof s1));
        put_call(e, 1, "copy", args, NULL);
        barrier(e);
        snprintf(args, sizeof args, "%s, %s, %s, %s, %s, %d, %s", o, nrows,
                 heads_expr(e, at->n_heads, s2, sizeof s2),
                 shape_expr(e, SH_HEAD_DIM, at->head_dim, s3, sizeof s3),
                 shape_expr(e, SH_ROPE_DIM, at->rope_dim, s4, sizeof s4), at->rope_neox,
                 act_name(g, n->inputs[1], y, sizeof y));
        put_call(e, 1, "rope", args, NULL);
        break;
    case IR_OP_ROPE_TABLE: {
        int64_t half = last_dim(&g->tensors[n->inputs[0]]);
        if (e->shape[SH_ROPE_DIM] == 2 * half) snprintf(s1, sizeof s1, "ROPE_DIM / 2");
        else snprintf(s1, sizeof s1, "%lld", (long long)half);
        flit(f, sizeof f, at->scale > 0 ? at->scale : 1.0f);
        snprintf(args, sizeof args, "%s, (const float *)(%s), %s, %s, pos, %s", o, wref(e, n->inputs[0], w, sizeof w),
                 s1, nrows, f);
        put_call(e, 0, "rope_table", args, "m cos, m sin of pos * freqs for each token of the chunk");
        break;
    }
    case IR_OP_KV_STORE: {
        const ir_tensor *c = &g->tensors[n->inputs[1]];
        snprintf(kn, sizeof kn, "kv_store_%s", kvfmt(c));
        snprintf(args, sizeof args, "%s, %s, %s, %s, %s, %s, %s", aref(e, n->inputs[1], c1, sizeof c1),
                 act_name(g, n->inputs[0], x, sizeof x), nrows, shape_expr(e, SH_N_KV_HEADS, c->shape[0], s1, sizeof s1),
                 kv_rows(e, c, s2, sizeof s2), shape_expr(e, SH_HEAD_DIM, c->shape[2], s3, sizeof s3), kv_pos(e, n->inputs[1]));
        put_call(e, 1, kn, args, NULL);
        break;
    }
    case IR_OP_ATTENTION: {
        const ir_tensor *c = &g->tensors[n->inputs[1]];
        char sc[32];
        if (e->have_scale && at->scale == e->scale) snprintf(f, sizeof f, "ATTN_SCALE");
        else flit(f, sizeof f, at->scale);
        if (e->have_softcap && at->softcap == e->softcap) snprintf(sc, sizeof sc, "ATTN_SOFTCAP");
        else flit(sc, sizeof sc, at->softcap);
        int slide = ir_kv_slides(g, n->inputs[1]), sinkq = 0;
        char wb[96];
        if (slide) sinkq = sink_query(e, n);
        snprintf(kn, sizeof kn, "attention_%s", kvfmt(c));
        snprintf(args, sizeof args, "%s, %s, %s, %s, %s, %s, %s, %s, %s, pos, %s, %s, %s, %s, %s, scratch", o,
                 act_name(g, n->inputs[0], x, sizeof x), aref(e, n->inputs[1], c1, sizeof c1),
                 aref(e, n->inputs[2], c2, sizeof c2), nrows, shape_expr(e, SH_N_HEADS, at->n_heads, s1, sizeof s1),
                 shape_expr(e, SH_N_KV_HEADS, at->n_kv_heads, s2, sizeof s2),
                 shape_expr(e, SH_HEAD_DIM, at->head_dim, s3, sizeof s3), kv_rows(e, c, s4, sizeof s4),
                 slide ? "nc - KV_SINK" : at->window > 0 ? window_expr(e, at->window, c, wb, sizeof wb) : "0",
                 slide ? "KV_SINK" : "0", sinkq ? "qsink" : "0", f, sc);
        put_call(e, 1, kn, args, slide ? "past the context: the first KV_SINK positions and the last nc - KV_SINK"
                                 : at->window > 0 ? "sliding window: the last WINDOW positions" : NULL);
        break;
    }
    case IR_OP_ADD:
    case IR_OP_MUL:
    case IR_OP_SWIGLU:
    case IR_OP_GEGLU:
        snprintf(args, sizeof args, "%s, %s, %s, %s * %s", o, act_name(g, n->inputs[0], x, sizeof x),
                 act_name(g, n->inputs[1], y, sizeof y), nrows, width_expr(e, ir_tensor_elems(out), s1, sizeof s1));
        put_call(e, 1, ir_op_name(n->op), args, NULL);
        break;
    case IR_OP_SCALE:
    case IR_OP_SOFTCAP:
        flit(f, sizeof f, n->op == IR_OP_SCALE ? at->scale : at->softcap);
        snprintf(args, sizeof args, "%s, %s, %s, %s * %s", o, act_name(g, n->inputs[0], x, sizeof x), f, nrows,
                 width_expr(e, ir_tensor_elems(out), s1, sizeof s1));
        put_call(e, 1, ir_op_name(n->op), args, NULL);
        break;
    case IR_OP_ADD_BIAS:
        snprintf(args, sizeof args, "%s, %s, (const float *)(%s), %s, %s", o, act_name(g, n->inputs[0], x, sizeof x),
                 wref(e, n->inputs[1], w, sizeof w), nrows, width_expr(e, last_dim(out), s1, sizeof s1));
        put_call(e, 1, "add_bias", args, NULL);
        break;
    case IR_OP_SILU:
        snprintf(args, sizeof args, "%s, %s, %s * %s", o, act_name(g, n->inputs[0], x, sizeof x), nrows,
                 width_expr(e, ir_tensor_elems(out), s1, sizeof s1));
        put_call(e, 1, "silu", args, NULL);
        break;
    case IR_OP_SOFTMAX:
        snprintf(args, sizeof args, "%s, %s, %s * %s", o, act_name(g, n->inputs[0], x, sizeof x), nrows,
                 width_expr(e, ir_tensor_elems(out), s1, sizeof s1));
        put_call(e, 1, "copy", args, NULL);
        barrier(e);
        snprintf(args, sizeof args, "%s, %s, %s", o, nrows, width_expr(e, last_dim(out), s1, sizeof s1));
        put_call(e, 1, "softmax", args, NULL);
        break;
    case IR_OP_TAKE_LAST: /* inside step()'s row loop: row `row` is the last of rows 0..row */
        snprintf(args, sizeof args, "%s, %s, 1 + row, %s", o, act_name(g, n->inputs[0], x, sizeof x),
                 width_expr(e, last_dim(out), s1, sizeof s1));
        put_call(e, 0, "take_last", args, "this row");
        break;
    case IR_OP_COUNT: /* not an op, rejected above (no default: -Wswitch asks for every op) */
    unsupported:
        snprintf(e->err, sizeof e->err, "codegen: no kernel for node %d (%s%s%s)", idx, ir_op_name(n->op),
                 wt ? " with weight type " : "", wt ? ir_dtype_name(wt->dtype) : "");
        return -1;
    }
    return e->err[0] ? -1 : 0;
}

/* The KV caches as a table, for what reads or writes them outside step() (state save/load): each
 * cache's offset (a cache of every position: KV_OFFSET + nc * at; a ring: KV_OFFSET + the caches of
 * nc positions + at), heads, bytes per head and position, and slots (a sliding-window ring's, fixed;
 * 0: the context's positions).  KV_SLOTS: the rings' slots (0: none), KV_RING_ROW_BYTES: one
 * slot of every ring. */
static void kv_table(emit *e) {
    const ir_graph *g = e->g;
    int n = 0;
    int64_t row = 0, ring_row = 0, slots = 0;
    const char *type = NULL;
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->dead || t->kind != IR_KIND_STATE) continue;
        n++;
        if (kv_is_ring(g, t)) ring_row += (int64_t)ir_tensor_bytes(t) / t->shape[1], slots = t->shape[1];
        else row += (int64_t)ir_tensor_bytes(t) / t->shape[1];
        type = ir_dtype_name(t->dtype);
    }
    fprintf(e->fp, "#define KV_CACHES %d\n#define KV_ROW_BYTES %lld /* one position of every cache but the rings */\n"
                   "#define KV_SLOTS %lld\n#define KV_WINDOW %lld\n#define KV_RING_ROW_BYTES %lld /* one slot of every ring */\n"
                   "#define KV_TYPE \"%s\"\n", n, (long long)row, (long long)slots, (long long)(slots ? e->shape[SH_WINDOW] : 0),
                   (long long)ring_row, type ? type : "none");
    fprintf(e->fp, "static const struct kv_cache { size_t at; int heads, row, slots; } kv_caches[%d] = {",
            n > 0 ? n : 1);
    int k = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->dead || t->kind != IR_KIND_STATE) continue;
        fprintf(e->fp, "%s{%s(%d) - KV_OFFSET, %lld, %lld, %lld}", !k ? "\n    " : k % 2 ? ", " : ",\n    ",
                e->id[i], kv_is_ring(g, t) ? 0 : 1, (long long)t->shape[0],
                (long long)((int64_t)ir_tensor_bytes(t) / (t->shape[0] * t->shape[1])),
                (long long)(kv_is_ring(g, t) ? t->shape[1] : 0));
        k++;
    }
    fprintf(e->fp, "%s};\n", n ? "" : "{0, 0, 0, 0}");
}

/* Shapes, the blob layout, the arena layout, the kernels' single-threaded forms and step(). */
static int emit_step(emit *e, const blob_keys *keys, int embedded, int zstd) {
    FILE *fp = e->fp;
    const ir_graph *g = e->g;
    int batch = g->cfg.batch > 1 ? g->cfg.batch : 1;
    char sh[160], fl[32];

    fprintf(fp, "/* ======================================================================\n"
                " * shapes\n"
                " * ====================================================================== */\n");
    for (int i = 0; i < SH_COUNT; i++) {
        static const char *const what[SH_COUNT] = {
#define X(name, v, w) w,
            SHAPE_LIST(X)
#undef X
        };
        if (e->shape[i] > 0) fprintf(fp, "#define %-10s %lld /* %s */\n", shape_names[i], (long long)e->shape[i], what[i]);
    }
    if (e->have_eps) fprintf(fp, "#define RMS_EPS %s\n", (flit(fl, sizeof fl, e->eps), fl));
    if (e->have_scale) fprintf(fp, "#define ATTN_SCALE %s /* attention logits scale */\n", (flit(fl, sizeof fl, e->scale), fl));
    if (e->have_softcap)
        fprintf(fp, "#define ATTN_SOFTCAP %s /* attention logits c tanh(s / c) */\n", (flit(fl, sizeof fl, e->softcap), fl));

    fprintf(fp, "\n/* ======================================================================\n"
                " * weights blob (NAME.weights, %lld bytes): a %d-byte header, then every\n"
                " * tensor at a %d-byte aligned offset, zero bytes between, in the order\n"
                " * step() first reads them, so a decode step reads the blob front to back.\n"
                " * Header: bytes 0-7 \"LMCCWTS1\", 8-15 the blob size, 16-23 a 64-bit hash of\n"
                " * every tensor's name, type, shape and bytes, 24-31 the checksum of every\n"
                " * byte after the header (little endian; the rest 0; runtime-min/lmrt_blob.h).\n"
                " * init checks the magic, the size and the hash; verify_weights every byte.\n"
                " * ====================================================================== */\n",
            (long long)g->weights_bytes, LMRT_BLOB_HEADER_BYTES, LMCC_BLOB_ALIGN);
    fprintf(fp, "#define WEIGHTS_HASH 0x%016llxull\n", (unsigned long long)keys->hash);
    fprintf(fp, "#define WEIGHTS_SUM 0x%016llxull\n", (unsigned long long)keys->sum);
    fprintf(fp, "#define CTX_MAGIC 0x%08lxu\n", (unsigned long)(keys->hash & 0xffffffffu) | 1ul);
    if (embedded) fprintf(fp, "#define HAVE_EMBEDDED_%s 1\n", zstd ? "ZSTD" : "WEIGHTS");
    int *order = malloc(((size_t)g->n_tensors + 1) * sizeof *order);
    if (!order) return -1;
    int nw = weights_in_blob_order(g, order);
    for (int k = 0; k < nw; k++) {
        const ir_tensor *t = &g->tensors[order[k]];
        shape_str(e, t, NULL, sh, sizeof sh);
        fprintf(fp, "#define %-22s %8lld /* %s %s", e->id[order[k]], (long long)t->blob_offset, t->name, sh);
        if (t->tile_rows > 1) fprintf(fp, ", tiles of %d rows", t->tile_rows);
        fprintf(fp, " */\n");
    }
    free(order);

    int64_t run_off = run_offset(g), shift = arena_shift(g);
    fprintf(fp, "\n/* ======================================================================\n"
                " * arena: [activations %lld][scratch %lld][control %lld][KV cache %lld per\n"
                " * position] bytes; activations hold up to BATCH = %d tokens per chunk;\n"
                " * buffers whose lifetimes do not overlap share bytes\n"
                " * ====================================================================== */\n",
            (long long)g->act_bytes, (long long)g->scratch_bytes,
            (long long)(CTRL_RUN_BYTES + (e->threaded ? CTRL_POOL_BYTES : 0)), (long long)lmcc_kv_row_bytes(g), batch);
    fprintf(fp, "#define BATCH %d\n#define THREADS %d\n", batch, e->threaded ? g->cfg.threads : 1);
    fprintf(fp, "#define KV_SLIDE %d /* --kv-policy slide: a full context keeps KV_SINK positions and a ring */\n"
                "#define KV_SINK %d\n#define KV_SPARE %d /* rows a cache of every position holds past the context "
                "(ir_kv_rows) */\n", g->cfg.kv_slide, g->cfg.kv_slide ? g->cfg.kv_sink : 0, (int)ir_kv_rows(&g->cfg, 0));
    fprintf(fp, "#define RUN_OFFSET %lld\n", (long long)run_off);
    fprintf(fp, "#define KV_OFFSET %lld /* the KV caches of a context of nc positions: */\n", (long long)kv_offset(g));
    int64_t at = 0, ring_at = 0, row = lmcc_kv_row_bytes(g);
    for (int i = 0; i < g->n_tensors; i++) { /* the KV caches, then the rings behind them */
        const ir_tensor *t = &g->tensors[i];
        if (t->dead || t->kind != IR_KIND_STATE) continue;
        shape_str(e, t, NULL, sh, sizeof sh);
        char def[96];
        snprintf(def, sizeof def, "%s(nc)", e->id[i]);
        if (kv_is_ring(g, t)) {
            fprintf(fp, "#define %-22s (KV_OFFSET + ((size_t)(nc) * %lld + 63) / 64 * 64 + %lld) /* %s %s */\n", def,
                    (long long)row, (long long)ring_at, t->name, sh);
            ring_at += ((int64_t)ir_tensor_bytes(t) + 63) / 64 * 64;
            continue;
        }
        fprintf(fp, "#define %-22s (KV_OFFSET + (size_t)(nc) * %lld) /* %s %s */\n", def, (long long)at, t->name, sh);
        at += (int64_t)ir_tensor_bytes(t) / t->shape[1];
    }
    kv_table(e);
    for (int k = 0; k < g->n_nodes; k++) { /* the activations, in the order step() makes them */
        int i = g->nodes[k].output;
        if (g->nodes[k].dead || i < 0 || g->tensors[i].kind != IR_KIND_ACT) continue;
        fprintf(fp, "#define %-22s %8lld /* %lld bytes */\n", e->id[i], (long long)(g->tensors[i].arena_offset - shift),
                (long long)e->bytes[i]);
    }
    fprintf(fp, "#define LOGITS_OFFSET %s\n#define SCRATCH_OFFSET %lld\n", e->id[g->logits],
            (long long)(g->scratch_offset - shift));
    fprintf(fp, "\n/* the chunk step() runs; n_ctx: the context's positions (KV rows); sections s0..s1-1 of step()\n"
                " * (the embedding, each layer, the output: STEP_SECTIONS, all of them for forward; step_run's\n"
                " * slices fewer); out: forward_all's logits [n][VOCAB], else NULL (the last row's, at LOGITS_OFFSET) */\n"
                "struct run { const int32_t *tokens; int n, pos, n_ctx, s0, s1; void *pool; float *out; };\n"
                "#define STEP_SECTIONS %d\n", step_sections(g));
    fprintf(fp, "_Static_assert(sizeof(struct run) <= %d, \"run block\");\n", CTRL_RUN_BYTES);
    if (e->threaded) {
        fprintf(fp, "_Static_assert(sizeof(lmrt_pool) <= %d, \"pool block\");\n", CTRL_POOL_BYTES);
        fprintf(fp, "#define BARRIER() lmrt_barrier((lmrt_pool *)r->pool, tid)\n");
        fprintf(fp, "/* the linear kernels' rows in PARTS parts, claimed one at a time by whichever thread is free */\n"
                    "#define PARTS (%d * nth)\n"
                    "#define CLAIM() lmrt_claim((lmrt_pool *)r->pool, &claimed, PARTS)\n", PARTS_PER_THREAD);
    }

    /* step() goes to a temporary file first: the k_ forms it uses are written before it */
    FILE *body = tmpfile();
    if (!body) return -1;
    e->fp = body;
    int uses_pos = 0, uses_scratch = 0, uses_tokens = 0, uses_parts = 0;
    for (int k = 0; k < g->n_nodes; k++) {
        const ir_node *n = &g->nodes[k];
        if (n->dead) continue;
        uses_pos |= n->op == IR_OP_QKV || n->op == IR_OP_ROPE_TABLE || n->op == IR_OP_KV_STORE || n->op == IR_OP_ATTENTION;
        uses_scratch |= n->op == IR_OP_ATTENTION;
        uses_tokens |= n->op == IR_OP_EMBED;
        uses_parts |= e->threaded && op_parts[n->op];
    }
    fprintf(body, "static void step(unsigned char *a, const unsigned char *w, const struct run *r%s) {\n",
            e->threaded ? ", int tid, int nth" : "");
    if (uses_tokens) fprintf(body, "    const int32_t *tokens = r->tokens;\n");
    fprintf(body, "    const int n = r->n%s;\n", uses_pos ? ", pos = r->pos, nc = r->n_ctx" : "");
    if (uses_scratch) /* the attention kernels take their thread's row of scores themselves */
        fprintf(body, "    float *scratch = (float *)(a + SCRATCH_OFFSET); /* [THREADS][CTX + KV_SPARE] attention "
                      "scores */\n");
    if (uses_scratch && g->cfg.kv_slide) {
        int64_t q = ir_sink_query_floats(g, NULL);
        fprintf(body, "    /* past the context: the chunk's queries the sink keys see and their rotations, after the "
                      "scores */\n"
                      "    float *qsink = scratch + THREADS * (CTX + KV_SPARE), *srope = qsink + BATCH * %lld;\n"
                      "    /* the rows of a cache of every position, and the slot of pos in it (a chunk past the\n"
                      "     * context ends at the last slot: chunk_len) */\n"
                      "    const int kr = nc + KV_SPARE, kp = pos < kr ? pos : KV_SINK + (pos - KV_SINK) %% (kr - KV_SINK);\n",
                (long long)q);
    }
    if (uses_parts) fprintf(body, "    unsigned claimed = 0; /* parts of this run's earlier parted calls (CLAIM) */\n");
    /* the activations of the sections, declared up front: a section may run in a later call than
     * the one that made its inputs (step_run); the rows after take_last are declared in its loop */
    for (int k = 0; k < g->n_nodes && g->nodes[k].op != IR_OP_TAKE_LAST; k++) {
        const ir_node *n = &g->nodes[k];
        if (n->dead || n->output < 0) continue;
        const ir_tensor *tt = &g->tensors[n->output];
        char id[96];
        c_ident(tt->name, id, sizeof id);
        shape_str(e, tt, "BATCH", sh, sizeof sh);
        fprintf(body, "    %s *%s = (%s *)(a + %s); /* %s */\n", tt->dtype == IR_DT_Q8A ? "void" : "float", id,
                tt->dtype == IR_DT_Q8A ? "void" : "float", e->id[n->output], sh);
    }
    int layer = -2, after_last = 0, rc = 0, section = -1;
    e->ind = "        ";
    for (int k = 0; k < g->n_nodes && !rc; k++) {
        const ir_node *n = &g->nodes[k];
        if (n->dead) continue;
        if (n->attrs.layer != layer) { /* a section: one layer, or the embedding, or the output */
            layer = n->attrs.layer;
            if (section >= 0) fprintf(body, "    }\n");
            section++;
            if (layer >= 0) fprintf(body, "\n    /* ---- layer %d ---- */\n", layer);
            else fprintf(body, "\n    /* ---- %s ---- */\n", k == 0 ? "embedding" : "output");
            fprintf(body, "    if (r->s0 <= %d && %d < r->s1) {\n", section, section);
        }
        barrier_before(e, k, after_last);
        if (n->op == IR_OP_TAKE_LAST) { /* the rest of step() runs once per row it gives logits for */
            fprintf(body, "        for (int row = r->out ? 0 : n - 1; row < n; row++) { /* forward_all: every row */\n");
            e->ind = "            ";
            after_last = 1;
        }
        if (n->output >= 0 && after_last) { /* each row's activation is declared where it is produced */
            const ir_tensor *tt = &g->tensors[n->output];
            char id[96];
            const char *ty = tt->dtype == IR_DT_Q8A ? "void" : "float";
            c_ident(tt->name, id, sizeof id);
            shape_str(e, tt, "1", sh, sizeof sh);
            if (n->output == g->logits) /* forward_all's rows go straight to the caller */
                fprintf(body, "%s%s *%s = r->out ? r->out + (size_t)row * %s : (%s *)(a + %s); /* %s */\n", e->ind, ty,
                        id, width_expr(e, last_dim(tt), fl, sizeof fl), ty, e->id[n->output], sh);
            else fprintf(body, "%s%s *%s = (%s *)(a + %s); /* %s */\n", e->ind, ty, id, ty, e->id[n->output], sh);
        }
        rc = emit_node(e, k, after_last ? "1" : "n");
        barrier_note(e, k, after_last && n->op != IR_OP_TAKE_LAST); /* take_last reads all n rows */
    }
    if (after_last) {
        /* the next row's take_last overwrites what this row's kernels read; every thread sees
         * the same n, so all of them wait here or none */
        if (e->threaded) fprintf(body, "            if (row + 1 < n) BARRIER();\n");
        fprintf(body, "        }\n    }\n");
    } else if (!rc) {
        snprintf(e->err, sizeof e->err, "codegen: internal error: the graph has no take_last node");
        rc = -1;
    }
    e->ind = "    ";
    fprintf(body, "}\n");
    e->fp = fp;
    if (!rc && !e->threaded && e->n_used) {
        fprintf(fp, "\n/* the kernels step() calls (runtime-min, docs/KERNELS.md), as the only thread: (tid, nth) = (0, 1) */\n");
        for (int i = 0; i < e->n_used; i++) {
            if (e->used_split[i]) fprintf(fp, "#define k_%s(...) lmrt_k_%s(__VA_ARGS__, 0, 1)\n", e->used[i], e->used[i]);
            else fprintf(fp, "#define k_%s lmrt_k_%s\n", e->used[i], e->used[i]);
        }
    }
    fprintf(fp, "\n/* ======================================================================\n"
                " * forward: one chunk of n <= BATCH tokens at positions pos..pos+n-1,\n"
                " * straight-line%s\n"
                " * ====================================================================== */\n",
            e->threaded ? "; every thread runs it and each kernel takes its share;\n"
                          " * a BARRIER() stands before a kernel that touches what another wrote" : "");
    if (!rc && (fseek(body, 0, SEEK_SET) || copy_stream(body, fp))) rc = -1;
    fclose(body);
    if (e->threaded) fprintf(fp, "/* %d barriers and %d parted kernel calls per chunk */\n", e->barriers, e->parted);
    fputc('\n', fp);
    return rc;
}


static int emit_c(FILE *fp, const ir_graph *g, const lmcc_target *t, const lmcc_codegen_opts *o, const blob_keys *keys,
                  int *n_barriers, int *n_parted, char *err, size_t errlen) {
    const char *N = o->name;
    char up[128];
    int threads = g->cfg.threads > 1 ? g->cfg.threads : 1;
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
        rt_stitch(fp, "lmrt_blob.h", done, &n_done, err, errlen) ||
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

    emit e;
    if (emit_init(&e, fp, g)) {
        emit_free(&e);
        return errf(err, errlen, "codegen: out of memory");
    }
    fputc('\n', fp);
    int rc = emit_step(&e, keys, o->embed != LMCC_EMBED_EXTERNAL, o->zstd_level > 0);
    *n_barriers = e.barriers;
    *n_parted = e.parted;
    if (rc) {
        if (!e.err[0]) snprintf(e.err, sizeof e.err, "codegen: write error");
        errf(err, errlen, "%s", e.err);
    }
    emit_free(&e);
    if (rc) return -1;

    unsigned flags = (threads > 1 ? LMCC_TEMPLATE_FLAG(THREADED) : 0) | (o->zstd_level > 0 ? LMCC_TEMPLATE_FLAG(ZSTD) : 0) |
                     (o->draft_name ? LMCC_TEMPLATE_FLAG(DRAFT) : 0);
    if (lmcc_template_write(fp, "api.c", N, flags, err, errlen)) return -1;
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
    blob_keys keys;
    keys.hash = place_weights(g);
    int barriers = 0, parted = 0, walk;
    keys.sum = blob_sum(g, &walk);
    if (walk) return errf(err, errlen, "codegen: out of memory");
    outfile files[4];
    int nf = 0, rc = -1;
    memset(files, 0, sizeof files);
    const char *stub = lmcc_blob_stub_suffix(o->embed);
    long long zbytes = 0;
    FILE *zf = NULL; /* the compressed blob, for the .weights file and an array stub */
    if (out_open(&files[nf++], o->outdir, o->name, ".h", err, errlen)) goto done;
    if (out_open(&files[nf++], o->outdir, o->name, ".c", err, errlen)) goto done;
    if (emit_c(files[1].fp, g, t, o, &keys, &barriers, &parted, err, errlen)) goto done;
    if (out_open(&files[nf++], o->outdir, o->name, ".weights", err, errlen)) goto done;
    if (o->zstd_level > 0) {
        FILE *raw = tmpfile();
        zf = tmpfile();
        if (!raw || !zf || write_blob(raw, g, &keys) || fflush(raw) || fseek(raw, 0, SEEK_SET)) {
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
    } else if (write_blob(files[2].fp, g, &keys)) {
        errf(err, errlen, "%s: write error", files[2].tmp);
        goto done;
    }
    if (emit_header(files[0].fp, g, t, o, zbytes, err, errlen)) goto done;
    if (stub) {
        if (out_open(&files[nf++], o->outdir, o->name, stub, err, errlen)) goto done;
        int r = o->embed == LMCC_EMBED_INCBIN ? write_blob_incbin(files[3].fp, o->name, zbytes > 0 ? zbytes : (long long)g->weights_bytes)
                : zf ? (fseek(zf, 0, SEEK_SET) ? -1 : write_stream_array(files[3].fp, zf, zbytes, o->name))
                     : write_blob_array(files[3].fp, g, &keys, o->name);
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
        fprintf(o->log, "codegen: %s.weights %lld bytes, arena %lld bytes (kv %lld: %lld per position + rings %lld, %lld "
                "per layer), batch %d, threads %d (%d barriers per chunk, so per decoded token; %d linear kernel calls "
                "in %d parts per thread, claimed at run time), target %s, embed %s\n", o->name,
                (long long)g->weights_bytes, (long long)lmcc_arena_total(g), (long long)kv_bytes_for(g, g->cfg.ctx),
                (long long)lmcc_kv_row_bytes(g), (long long)lmcc_kv_ring_bytes(g),
                (long long)(kv_bytes_for(g, g->cfg.ctx) / (g->info.n_layers > 0 ? g->info.n_layers : 1)), g->cfg.batch > 1 ? g->cfg.batch : 1, g->cfg.threads > 1 ? g->cfg.threads : 1,
                g->cfg.threads > 1 ? barriers : 0, parted, PARTS_PER_THREAD, t->name,
                o->embed == LMCC_EMBED_INCBIN ? "incbin" : o->embed == LMCC_EMBED_ARRAY ? "array" : "external");
    }
    return rc;
}
