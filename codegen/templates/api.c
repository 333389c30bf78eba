/* api.c - template: the bodies of the API of NAME.h, the same for every model.  codegen writes it
 * after step() (see codegen/template.c): name_ and NAME_ become the model's prefixes; lines between
 * `#if TEMPLATE_THREADED` (or TEMPLATE_ZSTD) and its `#else` / `#endif` are kept or dropped by
 * lmcc, so a single-threaded NAME.c has no threading code.  What it uses from the model-specific
 * part above it: step(), struct run, name_vocab, and the macros WEIGHTS_HASH, WEIGHTS_SUM,
 * CTX_MAGIC, BATCH, THREADS, RUN_OFFSET, POOL_OFFSET, LOGITS_OFFSET, SCRATCH_OFFSET,
 * HAVE_EMBEDDED_WEIGHTS/_ZSTD.
 *
 * Every function validates all its arguments before it writes anything: a failed call changes
 * no state (position, KV cache, arena, sampler, threads) and only records its status in ctx,
 * for name_last_error. */
/* ======================================================================
 * API
 * ====================================================================== */
#if TEMPLATE_THREADED
static void step_thread(void *arg, int tid, int nth) {
    name_ctx *ctx = (name_ctx *)arg;
    step(ctx->arena, ctx->weights, (const struct run *)(ctx->arena + RUN_OFFSET), tid, nth);
}

#endif
const char *name_strerror(int status) {
    switch (status) {
    case NAME_OK: return "ok";
    case NAME_ERR_ARG: return "invalid argument";
    case NAME_ERR_ARENA: return "arena too small or misaligned";
    case NAME_ERR_WEIGHTS: return "weights missing, misaligned or not this model's";
    case NAME_ERR_CONTEXT_FULL: return "context is full";
    case NAME_ERR_TOKEN: return "token id out of range";
    case NAME_ERR_STATE: return "context not initialized";
    case NAME_ERR_BUFFER: return "buffer too small";
    case NAME_ERR_THREADS: return "cannot start threads";
    case NAME_ERR_LOGITS: return "logits are NaN or all -inf";
    default: return "unknown status";
    }
}

/* The blob init and verify_weights are given: NULL and 0 mean the linked-in one.  NAME_OK when
 * *w points at this model's blob (header checked) with at least NAME_WEIGHTS_BYTES readable. */
static int weights_find(const void **w, size_t bytes) {
    if (!*w && bytes) return NAME_ERR_ARG;
#ifdef HAVE_EMBEDDED_WEIGHTS
    if (!*w) { *w = name_weights_blob; bytes = sizeof name_weights_blob; }
#endif
    if (!*w || ((uintptr_t)*w % NAME_WEIGHTS_ALIGN) != 0 || bytes < NAME_WEIGHTS_BYTES) return NAME_ERR_WEIGHTS;
    return lmrt_blob_header_ok((const unsigned char *)*w, NAME_WEIGHTS_BYTES, WEIGHTS_HASH) ? NAME_OK
                                                                                             : NAME_ERR_WEIGHTS;
}

int name_verify_weights(const void *weights, size_t weights_bytes) {
    int st = weights_find(&weights, weights_bytes);
    if (st != NAME_OK) return st;
    return lmrt_blob_intact((const unsigned char *)weights, NAME_WEIGHTS_BYTES, WEIGHTS_HASH, WEIGHTS_SUM)
               ? NAME_OK : NAME_ERR_WEIGHTS;
}

int name_init(name_ctx *ctx, void *arena, size_t arena_bytes, const void *weights, size_t weights_bytes) {
    if (!ctx) return NAME_ERR_ARG;
    int live = ctx->magic == CTX_MAGIC, st = NAME_OK;
    if (!arena || arena_bytes < NAME_ARENA_BYTES || ((uintptr_t)arena % NAME_ARENA_ALIGN) != 0) st = NAME_ERR_ARENA;
    if (st == NAME_OK) st = weights_find(&weights, weights_bytes);
#if TEMPLATE_THREADED
    if (st == NAME_OK && live) st = NAME_ERR_STATE;
    /* the workers are started last, on the new arena, with ctx's future contents */
    name_ctx next = {(unsigned char *)arena, (const unsigned char *)weights, 0, NAME_OK, THREADS, CTX_MAGIC};
    if (st == NAME_OK) {
        struct run *r = (struct run *)(next.arena + RUN_OFFSET);
        r->pool = next.arena + POOL_OFFSET;
        if (lmrt_pool_start((lmrt_pool *)r->pool, THREADS, step_thread, ctx) != 0) st = NAME_ERR_THREADS;
    }
#else
    name_ctx next = {(unsigned char *)arena, (const unsigned char *)weights, 0, NAME_OK, 1, CTX_MAGIC};
#endif
    if (st != NAME_OK) {
        if (!live) ctx->magic = 0; /* not a context: make sure it does not pass for one */
        return ctx->status = st;
    }
    *ctx = next;
    return NAME_OK;
}

#if TEMPLATE_THREADED
int name_set_threads(name_ctx *ctx, int threads) {
    if (!ctx) return NAME_ERR_ARG;
    if (ctx->magic != CTX_MAGIC) return ctx->status = NAME_ERR_STATE;
    if (threads < 1 || threads > THREADS) return ctx->status = NAME_ERR_ARG;
    if (threads == ctx->threads) return ctx->status = NAME_OK;
    lmrt_pool *p = (lmrt_pool *)(ctx->arena + POOL_OFFSET);
    if (ctx->threads > 1) lmrt_pool_stop(p);
    ctx->threads = 1;
    if (threads > 1) {
        if (lmrt_pool_start(p, threads, step_thread, ctx) != 0) return ctx->status = NAME_ERR_THREADS;
        ctx->threads = threads;
    }
    return ctx->status = NAME_OK;
}

void name_release(name_ctx *ctx) {
    if (!ctx || ctx->magic != CTX_MAGIC) return;
    if (ctx->threads > 1) lmrt_pool_stop((lmrt_pool *)(ctx->arena + POOL_OFFSET));
    ctx->threads = 1;
    ctx->magic = 0;
}
#else
int name_set_threads(name_ctx *ctx, int threads) {
    if (!ctx) return NAME_ERR_ARG;
    if (ctx->magic != CTX_MAGIC) return ctx->status = NAME_ERR_STATE;
    return ctx->status = threads == 1 ? NAME_OK : NAME_ERR_ARG;
}

void name_release(name_ctx *ctx) {
    if (ctx) ctx->magic = 0;
}
#endif

const float *name_forward(name_ctx *ctx, const int32_t *tokens, int n) {
    if (!ctx) return 0;
    if (ctx->magic != CTX_MAGIC) { ctx->status = NAME_ERR_STATE; return 0; }
    if (!tokens || n < 1) { ctx->status = NAME_ERR_ARG; return 0; }
    if (n > NAME_CTX - ctx->pos) { ctx->status = NAME_ERR_CONTEXT_FULL; return 0; }
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= NAME_VOCAB_SIZE) { ctx->status = NAME_ERR_TOKEN; return 0; }
    struct run *r = (struct run *)(ctx->arena + RUN_OFFSET);
    for (int i = 0; i < n; i += BATCH) {
        r->tokens = tokens + i;
        r->n = n - i < BATCH ? n - i : BATCH;
        r->pos = ctx->pos;
#if TEMPLATE_THREADED
        if (ctx->threads > 1) lmrt_pool_run((lmrt_pool *)r->pool);
        else step(ctx->arena, ctx->weights, r, 0, 1);
#else
        step(ctx->arena, ctx->weights, r);
#endif
        ctx->pos += r->n;
    }
    ctx->status = NAME_OK;
    return (const float *)(ctx->arena + LOGITS_OFFSET);
}

void name_reset(name_ctx *ctx) {
    if (!ctx) return;
    if (ctx->magic != CTX_MAGIC) { ctx->status = NAME_ERR_STATE; return; }
    ctx->pos = 0;
    ctx->status = NAME_OK;
}

int name_position(const name_ctx *ctx) {
    return ctx && ctx->magic == CTX_MAGIC ? ctx->pos : NAME_ERR_STATE;
}

int name_last_error(const name_ctx *ctx) {
    return ctx ? ctx->status : NAME_ERR_ARG;
}

void name_sampler_init(name_sampler *s, float temperature, int top_k, float top_p, uint64_t seed) {
    lmrt_sampler r;
    if (!s) return;
    lmrt_sampler_init(&r, temperature, top_k, top_p, seed);
    s->temperature = r.temperature;
    s->top_k = r.top_k;
    s->top_p = r.top_p;
    s->rng = r.rng;
}

int name_sample(name_ctx *ctx, name_sampler *s, const float *logits) {
    if (!ctx) return NAME_ERR_ARG;
    if (ctx->magic != CTX_MAGIC) return ctx->status = NAME_ERR_STATE;
    if (!s || !logits) return ctx->status = NAME_ERR_ARG;
    lmrt_sampler r;
    r.temperature = s->temperature;
    r.top_k = s->top_k;
    r.top_p = s->top_p;
    r.rng = s->rng;
    int id = lmrt_sample(&r, logits, NAME_VOCAB_SIZE, ctx->arena + SCRATCH_OFFSET);
    if (id < 0) return ctx->status = NAME_ERR_LOGITS;
    s->rng = r.rng;
    ctx->status = NAME_OK;
    return id;
}

int name_encode(const char *text, size_t len, int flags, int32_t *ids, int cap) {
    if ((!text && len) || !ids || cap < 0) return NAME_ERR_ARG;
    int n = lmrt_encode(&name_vocab, text, len, flags, ids, cap);
    return n >= 0 ? n : n == LMRT_TOK_ERR_SPACE ? NAME_ERR_BUFFER : NAME_ERR_ARG; /* ERR_INPUT: len too large */
}

int name_decode(int prev, int id, char *buf, int cap) {
    if (!buf || cap < 0) return NAME_ERR_ARG;
    if (id < 0 || id >= NAME_VOCAB_SIZE) return NAME_ERR_TOKEN;
    int n = lmrt_decode_piece(&name_vocab, prev, id, buf, cap);
    return n < 0 ? NAME_ERR_BUFFER : n;
}

int name_is_eog(int id) {
    return lmrt_token_is_eog(&name_vocab, id);
}
#if TEMPLATE_ZSTD

/* ---- --compress=zstd: link with -lzstd (hosted only: the one libc-side dependency, kept out of
 * the kernels) ---- */
#include <zstd.h>

int name_decompress_weights(void *dst, size_t dst_bytes, const void *src, size_t src_bytes) {
    if (!src && src_bytes) return NAME_ERR_ARG;
#ifdef HAVE_EMBEDDED_ZSTD
    if (!src) { src = name_weights_blob; src_bytes = sizeof name_weights_blob; }
#endif
    if (!dst || !src || dst_bytes < NAME_WEIGHTS_RAW_BYTES) return NAME_ERR_ARG;
    size_t got = ZSTD_decompress(dst, dst_bytes, src, src_bytes);
    if (ZSTD_isError(got) || got != NAME_WEIGHTS_RAW_BYTES) return NAME_ERR_WEIGHTS;
    return NAME_OK;
}
#endif
