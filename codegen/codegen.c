/* codegen.c - from a planned graph to NAME.h / NAME.c / NAME.weights.
 *
 * The generated NAME.c reads like llama2.c's run.c: runtime-min stitched in
 * at the top, the vocabulary as const tables, then one step() that walks the
 * graph top to bottom as kernel calls with every shape and offset a constant.
 */
#include "codegen.h"

#include "emit_vocab.h"
#include "lmrt_tokenizer.h"

#include <errno.h>
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

static const char *kernel_dt(ir_dtype t) {
    switch (t) {
    case IR_DT_F32: return "f32";
    case IR_DT_F16: return "f16";
    case IR_DT_Q8_0: return "q8_0";
    case IR_DT_Q4_0: return "q4_0";
    default: return NULL;
    }
}

static const char *ptr_type(ir_dtype t) {
    switch (t) {
    case IR_DT_F32: return "const float *";
    case IR_DT_F16: return "const uint16_t *";
    default: return "const void *";
    }
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

/* ---- the header ---------------------------------------------------------- */

static void emit_header(FILE *fp, const ir_graph *g, const lmcc_target *t, const lmcc_codegen_opts *o) {
    const ir_model_info *m = &g->info;
    const char *N = o->name;
    const lmrt_vocab *v = g->vocab;
    char up[128];
    size_t i;
    for (i = 0; N[i] && i + 1 < sizeof up; i++) up[i] = (N[i] >= 'a' && N[i] <= 'z') ? (char)(N[i] - 32) : N[i];
    up[i] = 0;
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
    fprintf(fp, "#define %s_ARENA_BYTES %lldu /* KV cache %lld + activations %lld + scratch %lld */\n", up,
            (long long)g->arena_bytes, (long long)g->kv_bytes, (long long)g->act_bytes,
            (long long)g->scratch_bytes);
    fprintf(fp, "#define %s_ARENA_ALIGN %d\n", up, LMCC_BLOB_ALIGN);
    fprintf(fp, "#define %s_KV_BYTES %lldu\n", up, (long long)g->kv_bytes);
    fprintf(fp, "#define %s_WEIGHTS_BYTES %lldu /* size of %s.weights */\n", up, (long long)g->weights_bytes, N);
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
            "    %s_ERR_BUFFER = -7        /* output buffer too small (tokenizer) */\n"
            "};\n\n",
            up, up, up, up, up, up, up, up, up, up, up);
    fprintf(fp, "typedef struct %s_ctx {\n    unsigned char *arena;\n    const unsigned char *weights;\n"
                "    int pos;\n    int status;\n    uint32_t magic;\n} %s_ctx;\n\n", N, N);
    fprintf(fp, "/* Binds ctx to an arena and the weights (NULL: the blob linked into the\n"
                " * program by %s_weights.S / %s_weights.c, if it was built with one). */\n", N, N);
    fprintf(fp, "int %s_init(%s_ctx *ctx, void *arena, size_t arena_bytes, const void *weights);\n", N, N);
    fprintf(fp, "/* Feeds n >= 1 tokens at the current position (n > 1: a prompt) and returns\n"
                " * the logits [%s_VOCAB_SIZE] after the last one, valid until the next call. */\n", up);
    fprintf(fp, "const float *%s_forward(%s_ctx *ctx, const int32_t *tokens, int n);\n", N, N);
    fprintf(fp, "void %s_reset(%s_ctx *ctx);                /* back to position 0 */\n", N, N);
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

/* pointer expression for a weight */
static void wexpr(const ir_graph *g, int id, char *buf, size_t cap) {
    const ir_tensor *t = &g->tensors[id];
    snprintf(buf, cap, "(%s)(w + %lld)", ptr_type(t->dtype), (long long)t->blob_offset);
}

static void sexpr(const ir_graph *g, int id, char *buf, size_t cap) {
    const ir_tensor *t = &g->tensors[id];
    snprintf(buf, cap, "(%s *)(a + %lld)", t->dtype == IR_DT_F16 ? "uint16_t" : "float", (long long)t->arena_offset);
}

static int64_t last_dim(const ir_tensor *t) { return t->shape[t->ndim - 1]; }

static int emit_node(emit *e, int idx) {
    const ir_graph *g = e->g;
    const ir_node *n = &g->nodes[idx];
    FILE *fp = e->fp;
    char o[96], x[96], y[96], w[128], s1[96], s2[96], f[32];
    const ir_tensor *out = n->output >= 0 ? &g->tensors[n->output] : NULL;
    if (out) act_name(g, n->output, o, sizeof o);
    switch (n->op) {
    case IR_OP_EMBED: {
        const ir_tensor *tab = &g->tensors[n->inputs[0]];
        if (!kernel_dt(tab->dtype)) goto unsupported;
        wexpr(g, n->inputs[0], w, sizeof w);
        fprintf(fp, "    lmrt_embed_%s(%s, %s, token, %lld); /* %s */\n", kernel_dt(tab->dtype), o, w,
                (long long)last_dim(tab), tab->name);
        break;
    }
    case IR_OP_RMSNORM:
        wexpr(g, n->inputs[1], w, sizeof w);
        flit(f, sizeof f, n->attrs.eps);
        fprintf(fp, "    lmrt_rmsnorm(%s, %s, %s, %lld, %s); /* %s */\n", o, act_name(g, n->inputs[0], x, sizeof x), w,
                (long long)last_dim(out), f, g->tensors[n->inputs[1]].name);
        break;
    case IR_OP_LINEAR: {
        const ir_tensor *wt = &g->tensors[n->inputs[1]];
        if (!kernel_dt(wt->dtype)) goto unsupported;
        wexpr(g, n->inputs[1], w, sizeof w);
        fprintf(fp, "    lmrt_matvec_%s(%s, %s, %s, %lld, %lld); /* %s %s */\n", kernel_dt(wt->dtype), o, w,
                act_name(g, n->inputs[0], x, sizeof x), (long long)wt->shape[0], (long long)wt->shape[1], wt->name,
                ir_dtype_name(wt->dtype));
        break;
    }
    case IR_OP_ROPE: {
        const ir_attrs *a = &n->attrs;
        wexpr(g, n->inputs[1], w, sizeof w);
        fprintf(fp, "    copy_f32(%s, %s, %lld);\n", o, act_name(g, n->inputs[0], x, sizeof x), (long long)last_dim(out));
        fprintf(fp, "    lmrt_rope(%s, %d, %d, %d, %s + pos * %d, %d);\n", o, a->n_heads, a->head_dim, a->rope_dim, w,
                a->rope_dim, a->rope_neox);
        break;
    }
    case IR_OP_KV_STORE: {
        const ir_tensor *c = &g->tensors[n->inputs[1]];
        sexpr(g, n->inputs[1], s1, sizeof s1);
        fprintf(fp, "    lmrt_kv_store_%s(%s, %s, %lld, %lld, %lld, pos); /* %s */\n", kernel_dt(c->dtype), s1,
                act_name(g, n->inputs[0], x, sizeof x), (long long)c->shape[0], (long long)c->shape[1],
                (long long)c->shape[2], c->name);
        break;
    }
    case IR_OP_ATTENTION: {
        const ir_attrs *a = &n->attrs;
        const ir_tensor *c = &g->tensors[n->inputs[1]];
        sexpr(g, n->inputs[1], s1, sizeof s1);
        sexpr(g, n->inputs[2], s2, sizeof s2);
        flit(f, sizeof f, a->scale);
        fprintf(fp, "    lmrt_attention_%s(%s, %s, %s, %s, %d, %d, %d, %lld, pos, %s, scratch);\n",
                kernel_dt(c->dtype), o, act_name(g, n->inputs[0], x, sizeof x), s1, s2, a->n_heads, a->n_kv_heads,
                a->head_dim, (long long)c->shape[1], f);
        break;
    }
    case IR_OP_ADD:
    case IR_OP_MUL:
    case IR_OP_SWIGLU:
        fprintf(fp, "    lmrt_%s(%s, %s, %s, %lld);\n", n->op == IR_OP_ADD ? "add" : n->op == IR_OP_MUL ? "mul" : "swiglu",
                o, act_name(g, n->inputs[0], x, sizeof x), act_name(g, n->inputs[1], y, sizeof y),
                (long long)ir_tensor_elems(out));
        break;
    case IR_OP_SILU:
        fprintf(fp, "    lmrt_silu(%s, %s, %lld);\n", o, act_name(g, n->inputs[0], x, sizeof x),
                (long long)ir_tensor_elems(out));
        break;
    case IR_OP_SOFTMAX:
        fprintf(fp, "    copy_f32(%s, %s, %lld);\n    lmrt_softmax(%s, %lld);\n", o,
                act_name(g, n->inputs[0], x, sizeof x), (long long)ir_tensor_elems(out), o, (long long)last_dim(out));
        break;
    case IR_OP_TAKE_LAST: /* one token per step in this codegen: a copy */
        fprintf(fp, "    copy_f32(%s, %s, %lld);\n", o, act_name(g, n->inputs[0], x, sizeof x), (long long)last_dim(out));
        break;
    default:
    unsupported:
        snprintf(e->err, sizeof e->err, "codegen: no %s kernel for node %d (%s)", "generic", idx,
                 ir_op_table[n->op].name);
        return -1;
    }
    return 0;
}

static int emit_c(FILE *fp, const ir_graph *g, const lmcc_target *t, const lmcc_codegen_opts *o, uint64_t hash,
                  char *err, size_t errlen) {
    const char *N = o->name;
    char up[128];
    size_t i;
    for (i = 0; N[i] && i + 1 < sizeof up; i++) up[i] = (N[i] >= 'a' && N[i] <= 'z') ? (char)(N[i] - 32) : N[i];
    up[i] = 0;
    fprintf(fp, "/* %s.c - generated by lmcc %s from %s for target %s. Do not edit.\n"
                " * Freestanding C11: needs only <stdint.h> and <stddef.h>; no libc, no libm,\n"
                " * no allocation. See %s.h for the API. */\n",
            N, o->version, o->model_path, t->name, N);
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
        rt_stitch(fp, "lmrt_tokenizer.h", done, &n_done, err, errlen))
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
    if (o->embed != LMCC_EMBED_EXTERNAL) fprintf(fp, "#define HAVE_EMBEDDED_WEIGHTS 1\n");
    fprintf(fp, "/* tensor                               type     blob offset\n");
    for (int k = 0; k < g->n_tensors; k++) {
        const ir_tensor *tt = &g->tensors[k];
        if (tt->kind != IR_KIND_WEIGHT || tt->dead) continue;
        char sh[96];
        shape_str(tt, sh, sizeof sh);
        fprintf(fp, " *   %-34s %-18s @%lld\n", tt->name, sh, (long long)tt->blob_offset);
    }
    fprintf(fp, " */\n\n");

    fprintf(fp, "/* ======================================================================\n"
                " * arena: [KV cache %lld][activations %lld][scratch %lld] = %lld bytes\n"
                " * ====================================================================== */\n",
            (long long)g->kv_bytes, (long long)g->act_bytes, (long long)g->scratch_bytes, (long long)g->arena_bytes);
    int logits_off = (int)g->tensors[g->logits].arena_offset;
    fprintf(fp, "#define LOGITS_OFFSET %d\n#define SCRATCH_OFFSET %lld\n\n", logits_off, (long long)g->scratch_offset);
    fprintf(fp, "static void copy_f32(float *LMRT_RESTRICT y, const float *LMRT_RESTRICT x, int n) {\n"
                "    for (int i = 0; i < n; i++) y[i] = x[i];\n}\n\n");

    fprintf(fp, "/* ======================================================================\n"
                " * forward: one token at position pos, straight-line\n"
                " * ====================================================================== */\n");
    fprintf(fp, "static void step(unsigned char *a, const unsigned char *w, int32_t token, int pos) {\n");
    fprintf(fp, "    float *scratch = (float *)(a + SCRATCH_OFFSET); /* [%d] attention scores */\n", g->cfg.ctx);
    emit e = {fp, g, {0}};
    int layer = -2;
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
            fprintf(fp, "    float *%s = (float *)(a + %lld); /* %s */\n", id, (long long)tt->arena_offset, sh);
        }
        if (emit_node(&e, k)) return errf(err, errlen, "%s", e.err);
    }
    fprintf(fp, "}\n\n");

    fprintf(fp, "/* ======================================================================\n"
                " * API\n"
                " * ====================================================================== */\n");
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
            "    default: return \"unknown status\";\n"
            "    }\n}\n\n",
            N, up, up, up, up, up, up, up, up);
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
            "    ctx->magic = CTX_MAGIC;\n"
            "    return ctx->status = %s_OK;\n"
            "}\n\n",
            N, N, up, up, up, up, up, N, up, up, up, up, up, up);
    fprintf(fp,
            "const float *%s_forward(%s_ctx *ctx, const int32_t *tokens, int n) {\n"
            "    if (!ctx || ctx->magic != CTX_MAGIC) return 0;\n"
            "    if (!tokens || n < 1) { ctx->status = %s_ERR_ARG; return 0; }\n"
            "    if (n > %s_CTX - ctx->pos) { ctx->status = %s_ERR_CONTEXT_FULL; return 0; }\n"
            "    for (int i = 0; i < n; i++)\n"
            "        if (tokens[i] < 0 || tokens[i] >= %s_VOCAB_SIZE) { ctx->status = %s_ERR_TOKEN; return 0; }\n"
            "    for (int i = 0; i < n; i++) step(ctx->arena, ctx->weights, tokens[i], ctx->pos++);\n"
            "    ctx->status = %s_OK;\n"
            "    return (const float *)(ctx->arena + LOGITS_OFFSET);\n"
            "}\n\n",
            N, N, up, up, up, up, up, up);
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
    outfile files[4];
    int nf = 0, rc = -1;
    memset(files, 0, sizeof files);
    const char *stub = lmcc_blob_stub_suffix(o->embed);
    if (out_open(&files[nf++], o->outdir, o->name, ".h", err, errlen)) goto done;
    emit_header(files[0].fp, g, t, o);
    if (out_open(&files[nf++], o->outdir, o->name, ".c", err, errlen)) goto done;
    if (emit_c(files[1].fp, g, t, o, hash, err, errlen)) goto done;
    if (out_open(&files[nf++], o->outdir, o->name, ".weights", err, errlen)) goto done;
    if (write_blob(files[2].fp, g, hash)) { errf(err, errlen, "%s: write error", files[2].tmp); goto done; }
    if (stub) {
        if (out_open(&files[nf++], o->outdir, o->name, stub, err, errlen)) goto done;
        int r = o->embed == LMCC_EMBED_INCBIN ? write_blob_incbin(files[3].fp, o->name)
                                              : write_blob_array(files[3].fp, g, hash, o->name);
        if (r) { errf(err, errlen, "%s: write error", files[3].tmp); goto done; }
    }
    rc = 0;
done:
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
    if (rc == 0 && o->verbose && o->log) {
        fprintf(o->log, "codegen: %s.weights %lld bytes, arena %lld bytes (kv %lld), target %s, embed %s\n", o->name,
                (long long)g->weights_bytes, (long long)g->arena_bytes, (long long)g->kv_bytes, t->name,
                o->embed == LMCC_EMBED_INCBIN ? "incbin" : o->embed == LMCC_EMBED_ARRAY ? "array" : "external");
    }
    return rc;
}
