/* api.c - template: the bodies of the API of NAME.h, the same for every model.  codegen writes it
 * after step() (see codegen/template.c): name_ and NAME_ become the model's prefixes; lines between
 * `#if TEMPLATE_THREADED` (or TEMPLATE_ZSTD) and its `#else` / `#endif` are kept or dropped by
 * lmcc, so a single-threaded NAME.c has no threading code.  What it uses from the model-specific
 * part above it: step(), struct run, name_vocab, and the macros WEIGHTS_HASH, WEIGHTS_SUM,
 * CTX_MAGIC, BATCH, THREADS, RUN_OFFSET, LOGITS_OFFSET, SCRATCH_OFFSET,
 * HAVE_EMBEDDED_WEIGHTS/_ZSTD (and NAME_POOL_OFFSET of NAME.h in threaded builds).
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
    case NAME_ERR_STATE_FOREIGN: return "saved state is another model's or KV type's";
    case NAME_ERR_STATE_DATA: return "saved state is corrupted or truncated";
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
    return name_init_ctx(ctx, arena, arena_bytes, weights, weights_bytes, NAME_CTX);
}

int name_init_ctx(name_ctx *ctx, void *arena, size_t arena_bytes, const void *weights, size_t weights_bytes, int n_ctx) {
    if (!ctx) return NAME_ERR_ARG;
    int live = ctx->magic == CTX_MAGIC, st = NAME_OK;
    if (n_ctx < NAME_CTX_MIN || n_ctx > NAME_CTX) st = NAME_ERR_ARG;
    else if (!arena || arena_bytes < NAME_ARENA_BYTES_FOR(n_ctx) || ((uintptr_t)arena % NAME_ARENA_ALIGN) != 0)
        st = NAME_ERR_ARENA;
    if (st == NAME_OK) st = weights_find(&weights, weights_bytes);
#if TEMPLATE_THREADED
    if (st == NAME_OK && live) st = NAME_ERR_STATE;
    /* the workers are started last, on the new arena; they read ctx only once a run starts */
    if (st == NAME_OK) {
        struct run *r = (struct run *)((unsigned char *)arena + RUN_OFFSET);
        r->pool = (unsigned char *)arena + NAME_POOL_OFFSET;
        if (lmrt_pool_start((lmrt_pool *)r->pool, THREADS, step_thread, ctx) != 0) st = NAME_ERR_THREADS;
    }
#endif
    if (st != NAME_OK) {
        if (!live) ctx->magic = 0; /* not a context: make sure it does not pass for one */
        return ctx->status = st;
    }
    /* field by field: a struct copy may become a memcpy call, which a freestanding build lacks */
    ctx->arena = (unsigned char *)arena;
    ctx->weights = (const unsigned char *)weights;
    ctx->pos = 0;
    ctx->n_ctx = n_ctx;
    ctx->status = NAME_OK;
    ctx->step_tokens = 0;
    ctx->step_left = ctx->step_next = 0;
#if TEMPLATE_THREADED
    ctx->threads = THREADS;
#else
    ctx->threads = 1;
#endif
    ctx->magic = CTX_MAGIC;
    return NAME_OK;
}

#if TEMPLATE_THREADED
int name_set_threads(name_ctx *ctx, int threads) {
    if (!ctx) return NAME_ERR_ARG;
    if (ctx->magic != CTX_MAGIC) return ctx->status = NAME_ERR_STATE;
    if (threads < 1 || threads > THREADS) return ctx->status = NAME_ERR_ARG;
    if (threads == ctx->threads) return ctx->status = NAME_OK;
    lmrt_pool *p = (lmrt_pool *)(ctx->arena + NAME_POOL_OFFSET);
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
    if (ctx->threads > 1) lmrt_pool_stop((lmrt_pool *)(ctx->arena + NAME_POOL_OFFSET));
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

/* ---- KV positions: the one place that knows where a position's keys and values live ---- */
/* positions the context's caches of every position hold: n_ctx, and a slide build's BATCH - 1
 * more (KV_SPARE: a chunk past the context writes its keys before its first query reads) */
static int kv_capacity(const name_ctx *ctx) {
    return ctx->n_ctx + KV_SPARE;
}

/* head h of cache i: kv_capacity positions of kv_caches[i].row bytes, or a sliding-window ring's
 * slots behind every such cache (the layout step()'s A_KV*(nc) offsets spell) */
static unsigned char *kv_head_rows(const name_ctx *ctx, int i, int h) {
    size_t nc = (size_t)kv_capacity(ctx);
    if (kv_caches[i].slots)
        return ctx->arena + KV_OFFSET + (nc * KV_ROW_BYTES + 63) / 64 * 64 + kv_caches[i].at +
               (size_t)h * (size_t)kv_caches[i].slots * (size_t)kv_caches[i].row;
    return ctx->arena + KV_OFFSET + nc * kv_caches[i].at + (size_t)h * nc * (size_t)kv_caches[i].row;
}

/* the rows of cache i a context of nc rows (kv_capacity) at pos has written: every position, or a
 * ring's slots once full (position p in slot p % slots); a slide build's cache holds nc at most */
static size_t kv_used_rows(int i, int pos, int nc) {
    int rows = kv_caches[i].slots ? kv_caches[i].slots : nc;
    return (size_t)(pos > rows ? rows : pos);
}

/* NAME_OK if n tokens fit at the current position and are all in the vocabulary */
static int forward_check(const name_ctx *ctx, const int32_t *tokens, int n) {
    if (ctx->magic != CTX_MAGIC) return NAME_ERR_STATE;
    if (!tokens || n < 1) return NAME_ERR_ARG;
    if (n > (KV_SLIDE ? 0x7fffffff : kv_capacity(ctx)) - ctx->pos) return NAME_ERR_CONTEXT_FULL;
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= NAME_VOCAB_SIZE) return NAME_ERR_TOKEN;
    return NAME_OK;
}

/* Runs sections s0..s1-1 of step() on the chunk of n <= BATCH tokens at the current position;
 * out: every row's logits (forward_all), else NULL. */
static void chunk_run(name_ctx *ctx, const int32_t *tokens, int n, int s0, int s1, float *out) {
    struct run *r = (struct run *)(ctx->arena + RUN_OFFSET);
    r->tokens = tokens;
    r->n = n;
    r->pos = ctx->pos;
    r->n_ctx = ctx->n_ctx;
    r->s0 = s0;
    r->s1 = s1;
    r->out = out;
#if TEMPLATE_THREADED
    if (ctx->threads > 1) lmrt_pool_run((lmrt_pool *)r->pool);
    else step(ctx->arena, ctx->weights, r, 0, 1);
#else
    step(ctx->arena, ctx->weights, r);
#endif
}

/* The tokens of the next chunk at pos of n left: BATCH; with --kv-policy slide a chunk ends at the
 * context (the tokens past it score the sinks with queries rotated back: step()) and, past it, at
 * the last slot of the ring (step() and the kernels write slot kp + t: kp, the slot of pos). */
static int chunk_len(const name_ctx *ctx, int pos, int n) {
    int m = n < BATCH ? n : BATCH;
    if (KV_SLIDE && pos < ctx->n_ctx && pos + m > ctx->n_ctx) m = ctx->n_ctx - pos;
    if (KV_SLIDE && pos >= ctx->n_ctx) {
        int rows = kv_capacity(ctx), slot = pos < rows ? pos : KV_SINK + (pos - KV_SINK) % (rows - KV_SINK);
        if (m > rows - slot) m = rows - slot;
    }
    return m;
}

/* Runs tokens in chunks (chunk_len); out: every row's logits (forward_all), else NULL. */
static void forward_run(name_ctx *ctx, const int32_t *tokens, int n, float *out) {
    ctx->step_tokens = 0; /* a pending step's chunk would be overwritten */
    for (int i = 0, m; i < n; i += m) {
        m = chunk_len(ctx, ctx->pos, n - i);
        chunk_run(ctx, tokens + i, m, 0, STEP_SECTIONS, out ? out + (size_t)i * NAME_VOCAB_SIZE : 0);
        ctx->pos += m;
    }
}

const float *name_forward(name_ctx *ctx, const int32_t *tokens, int n) {
    if (!ctx) return 0;
    if ((ctx->status = forward_check(ctx, tokens, n)) != NAME_OK) return 0;
    forward_run(ctx, tokens, n, 0);
    return (const float *)(ctx->arena + LOGITS_OFFSET);
}

int name_forward_all(name_ctx *ctx, const int32_t *tokens, int n, float *logits) {
    if (!ctx) return NAME_ERR_ARG;
    int st = forward_check(ctx, tokens, n);
    if (st == NAME_OK && !logits) st = NAME_ERR_ARG;
    if (st != NAME_OK) return ctx->status = st;
    forward_run(ctx, tokens, n, logits);
    return ctx->status = NAME_OK;
}

void name_reset(name_ctx *ctx) {
    if (!ctx) return;
    if (ctx->magic != CTX_MAGIC) { ctx->status = NAME_ERR_STATE; return; }
    ctx->pos = 0;
    ctx->step_tokens = 0;
    ctx->status = NAME_OK;
}

int name_rewind(name_ctx *ctx, int pos) {
    if (!ctx) return NAME_ERR_ARG;
    if (ctx->magic != CTX_MAGIC) return ctx->status = NAME_ERR_STATE;
    if (pos < 0 || pos > ctx->pos) return ctx->status = NAME_ERR_ARG;
    /* a ring keeps the last KV_SLOTS positions: the window before pos must not have been
     * overwritten by the positions after it */
    if (KV_SLOTS && (pos >= KV_WINDOW ? pos - KV_WINDOW + 1 : 0) < ctx->pos - KV_SLOTS) return ctx->status = NAME_ERR_ARG;
    /* a slide ring keeps the last kv_capacity - KV_SINK positions after the sinks: the query at pos
     * sees the ring from pos - (nc - KV_SINK) + 1 on (from KV_SINK before the wrap) */
    if (KV_SLIDE) {
        int ring = ctx->n_ctx - KV_SINK, need = pos - ring + 1 > KV_SINK ? pos - ring + 1 : KV_SINK;
        if (need < ctx->pos - (kv_capacity(ctx) - KV_SINK)) return ctx->status = NAME_ERR_ARG;
    }
    ctx->pos = pos; /* rows at pos.. are written again before anything reads them */
    ctx->step_tokens = 0;
    return ctx->status = NAME_OK;
}

/* ---- preemptible decode: the chunks of forward, each in slices of step()'s sections ---- */
int name_step_begin(name_ctx *ctx, const int32_t *tokens, int n) {
    if (!ctx) return NAME_ERR_ARG;
    int st = forward_check(ctx, tokens, n);
    if (st != NAME_OK) return ctx->status = st;
    ctx->step_tokens = tokens;
    ctx->step_left = n;
    ctx->step_next = 0;
    return ctx->status = NAME_OK;
}

int name_step_run(name_ctx *ctx, int max_layers) {
    if (!ctx) return NAME_ERR_ARG;
    if (ctx->magic != CTX_MAGIC || !ctx->step_tokens) return ctx->status = NAME_ERR_STATE;
    if (max_layers < 1) return ctx->status = NAME_ERR_ARG;
    while (max_layers > 0 && ctx->step_left > 0) {
        int m = chunk_len(ctx, ctx->pos, ctx->step_left), s0 = ctx->step_next;
        int s1 = max_layers < STEP_SECTIONS - s0 ? s0 + max_layers : STEP_SECTIONS;
        chunk_run(ctx, ctx->step_tokens, m, s0, s1, 0);
        max_layers -= s1 - s0;
        ctx->step_next = s1;
        if (s1 == STEP_SECTIONS) { /* the chunk is done: its tokens are in the KV cache */
            ctx->pos += m;
            ctx->step_tokens += m;
            ctx->step_left -= m;
            ctx->step_next = 0;
        }
    }
    ctx->status = NAME_OK;
    if (!ctx->step_left) {
        ctx->step_tokens = 0;
        return 0;
    }
    /* this chunk's sections left, then every section of the chunks after it */
    int later = 0;
    for (int p = ctx->pos, left = ctx->step_left, m; left > 0; p += m, left -= m, later++) m = chunk_len(ctx, p, left);
    return STEP_SECTIONS - ctx->step_next + (later - 1) * STEP_SECTIONS;
}

const float *name_logits(const name_ctx *ctx) {
    return ctx && ctx->magic == CTX_MAGIC ? (const float *)(ctx->arena + LOGITS_OFFSET) : 0;
}

/* ---- saved state: a header, then the used rows [0, pos) of every head of every cache ----
 * Header (STATE_HEADER bytes, little endian): 0-7 "LMCCKVS1" (the format's version in its last
 * byte), 8-15 WEIGHTS_HASH, 16-23 KV_TYPE (NUL-padded), 24-31 KV_ROW_BYTES, 32-35 pos, 36-39 the
 * saving context's capacity, 40-47 the state's bytes, 48-55 lmrt_blob_sum of bytes 0-47 and the
 * rows, 56-63 zero. */
#define STATE_HEADER 64
static const char state_magic[8] = {'L', 'M', 'C', 'C', 'K', 'V', 'S', '1'};

/* the state's bytes at pos in a context of nc rows (kv_capacity; a slide build past nc: all nc rows) */
static uint64_t state_bytes_at(int pos, int nc) {
    return STATE_HEADER + (uint64_t)(pos > nc ? nc : pos) * KV_ROW_BYTES +
           (uint64_t)(KV_SLOTS && pos > KV_SLOTS ? KV_SLOTS : pos) * KV_RING_ROW_BYTES;
}

/* The header of ctx's state at pos; the checksum is added by state_sum. */
static void state_header(const name_ctx *ctx, int pos, unsigned char *h) {
    for (int i = 0; i < STATE_HEADER; i++) h[i] = 0;
    for (int i = 0; i < 8; i++) h[i] = (unsigned char)state_magic[i];
    lmrt_put_le64(h + 8, WEIGHTS_HASH);
    for (int i = 0; i < 8 && KV_TYPE[i]; i++) h[16 + i] = (unsigned char)KV_TYPE[i];
    lmrt_put_le64(h + 24, KV_ROW_BYTES);
    lmrt_put_le64(h + 32, (uint64_t)(uint32_t)pos | (uint64_t)(uint32_t)kv_capacity(ctx) << 32);
    lmrt_put_le64(h + 40, state_bytes_at(pos, kv_capacity(ctx)));
}

/* lmrt_blob_sum over the header's first 48 bytes and the rows as laid out in buf */
static uint64_t state_sum(const unsigned char *buf, int pos, int nc) {
    lmrt_sum s;
    lmrt_sum_init(&s);
    lmrt_sum_update(&s, buf, 48);
    lmrt_sum_update(&s, buf + STATE_HEADER, (size_t)(state_bytes_at(pos, nc) - STATE_HEADER));
    return lmrt_sum_final(&s);
}

/* Copies the used rows [0, pos) of every cache into save, or from load into the caches (the
 * other one NULL); the rows sit after the header in cache, head order. */
static void state_rows(name_ctx *ctx, unsigned char *save, const unsigned char *load, int pos) {
    size_t at = STATE_HEADER;
    for (int i = 0; i < KV_CACHES; i++)
        for (int h = 0; h < kv_caches[i].heads; h++) {
            unsigned char *rows = kv_head_rows(ctx, i, h);
            size_t n = kv_used_rows(i, pos, kv_capacity(ctx)) * (size_t)kv_caches[i].row;
            for (size_t b = 0; b < n; b++) {
                if (save) save[at + b] = rows[b];
                else rows[b] = load[at + b];
            }
            at += n;
        }
}

int64_t name_state_bytes(const name_ctx *ctx) {
    if (!ctx || ctx->magic != CTX_MAGIC) return NAME_ERR_STATE;
    return (int64_t)state_bytes_at(ctx->pos, kv_capacity(ctx));
}

int name_state_save(name_ctx *ctx, void *buf, size_t cap) {
    if (!ctx) return NAME_ERR_ARG;
    if (ctx->magic != CTX_MAGIC) return ctx->status = NAME_ERR_STATE;
    if (!buf) return ctx->status = NAME_ERR_ARG;
    if (cap < state_bytes_at(ctx->pos, kv_capacity(ctx))) return ctx->status = NAME_ERR_BUFFER;
    unsigned char *b = (unsigned char *)buf;
    state_header(ctx, ctx->pos, b);
    state_rows(ctx, b, 0, ctx->pos);
    lmrt_put_le64(b + 48, state_sum(b, ctx->pos, kv_capacity(ctx)));
    return ctx->status = NAME_OK;
}

int name_state_load(name_ctx *ctx, const void *buf, size_t bytes) {
    if (!ctx) return NAME_ERR_ARG;
    if (ctx->magic != CTX_MAGIC) return ctx->status = NAME_ERR_STATE;
    if (!buf) return ctx->status = NAME_ERR_ARG;
    const unsigned char *b = (const unsigned char *)buf;
    if (bytes < STATE_HEADER) return ctx->status = NAME_ERR_STATE_DATA;
    /* another model's, KV type's or layout's state: the header says so */
    unsigned char h[STATE_HEADER];
    state_header(ctx, 0, h);
    for (int i = 0; i < 32; i++)
        if (b[i] != h[i]) return ctx->status = i < 8 ? NAME_ERR_STATE_DATA : NAME_ERR_STATE_FOREIGN;
    uint64_t pc = lmrt_le64(b + 32), total = lmrt_le64(b + 40);
    int pos = (int)(uint32_t)pc;
    uint32_t nc = (uint32_t)(pc >> 32);
    if ((uint32_t)pc > 0x7fffffffu || nc < 1 || nc > NAME_CTX + KV_SPARE || total != state_bytes_at(pos, (int)nc) || total > bytes)
        return ctx->status = NAME_ERR_STATE_DATA;
    for (int i = 56; i < STATE_HEADER; i++)
        if (b[i]) return ctx->status = NAME_ERR_STATE_DATA;
    if (state_sum(b, pos, (int)nc) != lmrt_le64(b + 48)) return ctx->status = NAME_ERR_STATE_DATA;
    /* a slide build's state past its context holds a ring laid out for that context's size */
    if (pos > (int)nc && (!KV_SLIDE || (int)nc != kv_capacity(ctx))) return ctx->status = NAME_ERR_STATE_FOREIGN;
    if (pos > kv_capacity(ctx) && pos <= (int)nc) return ctx->status = NAME_ERR_CONTEXT_FULL;
    state_rows(ctx, 0, b, pos);
    ctx->pos = pos;
    ctx->step_tokens = 0;
    return ctx->status = NAME_OK;
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

/* ======================================================================
 * Speculative decoding (NAME.h: name_spec): one verification pass per call
 * ====================================================================== */
/* Positions a rewind may always go back: every one, or with sliding-window rings (and past a slide
 * build's context) the BATCH positions a ring of window + BATCH - 1 slots keeps beyond the window.
 * A pass never guesses more, so its rewind cannot be refused (a model whose rings allow no guess
 * decodes plainly). */
static int spec_rewind_reach(const name_ctx *ctx) {
    int reach = KV_SLOTS ? KV_SLOTS - KV_WINDOW + 1 : kv_capacity(ctx);
    return KV_SLIDE && ctx->pos + BATCH > ctx->n_ctx && reach > KV_SPARE + 1 ? KV_SPARE + 1 : reach;
}

#if TEMPLATE_DRAFT
#define SPEC_DRAFT_COST NAME_DRAFT_GUESS_COST
#else
#define SPEC_DRAFT_COST 0.0f
#endif

int name_spec_init(name_spec *sp, int k, int ngram) {
    if (!sp || k < 1 || k > NAME_SPEC_K_MAX || ngram < 1 || ngram > NAME_SPEC_NGRAM_MAX) return NAME_ERR_ARG;
    sp->k = k;
    sp->ngram = ngram;
    sp->next = k;
    sp->idle = sp->backoff = sp->dskip = sp->dkeep = 0;
    sp->dcost = SPEC_DRAFT_COST;
    sp->hit = 0.5f;
    sp->cost = NAME_SPEC_GUESS_COST;
    sp->passes = sp->guessed = sp->accepted = sp->tokens = sp->drafted = 0;
    return NAME_OK;
}

/* The checks every generate_* call makes before it changes anything; NAME_OK or the status. */
static int spec_check(const name_ctx *ctx, const name_sampler *s, const name_spec *sp, const int32_t *toks, int n,
                      int cap, const void *work, size_t work_bytes) {
    if (ctx->magic != CTX_MAGIC) return NAME_ERR_STATE;
    if (!s || !sp || !toks || !work || n < 1 || cap <= n || ctx->pos != n - 1) return NAME_ERR_ARG;
    if (sp->k < 1 || sp->k > NAME_SPEC_K_MAX || sp->ngram < 1 || sp->ngram > NAME_SPEC_NGRAM_MAX || sp->next < 1 ||
        sp->next > sp->k || sp->idle < 0 || !(sp->hit >= 0.0f && sp->hit <= 1.0f) ||
        !(sp->cost >= 0.0f && sp->cost <= 3.0e38f) || ((uintptr_t)work % sizeof(float)) != 0)
        return NAME_ERR_ARG;
    if (work_bytes < NAME_SPEC_WORK_BYTES(sp->k)) return NAME_ERR_BUFFER;
    if (!KV_SLIDE && ctx->pos >= kv_capacity(ctx)) return NAME_ERR_CONTEXT_FULL;
    for (int i = 0; i < n; i++)
        if (toks[i] < 0 || toks[i] >= NAME_VOCAB_SIZE) return NAME_ERR_TOKEN;
    return NAME_OK;
}

/* How many guesses the next pass may make: the spec's, one chunk, the rewind reach, the room
 * left in toks (the guesses and one more token) and in the context (toks[n-1] and the guesses). */
static int spec_room(const name_ctx *ctx, const name_spec *sp, int n, int cap) {
    int d = sp->next;
    if (d > BATCH - 1) d = BATCH - 1;
    if (d > spec_rewind_reach(ctx)) d = spec_rewind_reach(ctx);
    if (d > cap - n - 1) d = cap - n - 1;
    if (!KV_SLIDE && d > kv_capacity(ctx) - ctx->pos - 1) d = kv_capacity(ctx) - ctx->pos - 1;
    return d > 0 ? d : 0;
}

/* The verification pass: the d guesses are toks[n..n+d), q their distributions ([d][VOCAB], NULL:
 * certain guesses).  Feeds toks[n-1..n+d) in one chunk, keeps what the sampler's distribution
 * gives (see NAME.h), leaves the kept tokens in toks[n..), rewinds ctx to before the last one.
 * The count kept (>= 1), or an error with ctx and the sampler as they were. */
static int spec_verify(name_ctx *ctx, name_sampler *s, name_spec *sp, int32_t *toks, int n, int d, const float *q,
                       float *work) {
    float *lg = work, *p = work + (size_t)(d + 1) * NAME_VOCAB_SIZE;
    int st = name_forward_all(ctx, toks + n - 1, d + 1, lg);
    if (st != NAME_OK) return st;
    lmrt_sampler r;
    r.temperature = s->temperature;
    r.top_k = s->top_k;
    r.top_p = s->top_p;
    r.rng = s->rng;
    int greedy = !(r.temperature > 0.0f), kept = 0, accepted = 0;
    for (int i = 0; i <= d; i++) {
        const float *row = lg + (size_t)i * NAME_VOCAB_SIZE;
        int t, guess = i < d ? toks[n + i] : -1;
        if (greedy) {
            t = lmrt_argmax_valid(row, NAME_VOCAB_SIZE);
        } else if (lmrt_sample_probs(&r, row, NAME_VOCAB_SIZE, ctx->arena + SCRATCH_OFFSET, p) != 0) {
            t = -1;
        } else if (guess >= 0) {
            /* accept with probability min(1, p/q); else draw from max(0, p - q) */
            const float *qi = q ? q + (size_t)i * NAME_VOCAB_SIZE : 0;
            float qx = qi ? qi[guess] : 1.0f;
            if (lmrt_rng_f32(&r.rng) * qx < p[guess]) {
                t = guess;
            } else {
                float total = 0.0f;
                for (int v = 0; v < NAME_VOCAB_SIZE; v++) {
                    float w = p[v] - (qi ? qi[v] : (float)(v == guess));
                    p[v] = w > 0.0f ? w : 0.0f;
                    total += p[v];
                }
                /* p = q to rounding: nothing left to correct, p itself is the answer */
                t = total > 0.0f ? lmrt_sample_weights(p, NAME_VOCAB_SIZE, total, &r.rng) : guess;
            }
        } else {
            t = lmrt_sample_weights(p, NAME_VOCAB_SIZE, 1.0f, &r.rng);
        }
        if (t < 0) {
            name_rewind(ctx, n - 1);
            return ctx->status = NAME_ERR_LOGITS;
        }
        toks[n + kept++] = t;
        if (t != guess) break;
        accepted++;
        if (name_is_eog(t)) break;
    }
    name_rewind(ctx, n - 1 + kept);
    s->rng = r.rng;
    sp->passes++;
    sp->guessed += d;
    sp->accepted += accepted;
    sp->tokens += kept;
    if (d > 0) sp->next = accepted == d ? (2 * sp->next < sp->k ? 2 * sp->next : sp->k) : accepted + 1;
    return kept;
}

/* Up to d guesses into out: the tokens after the latest earlier occurrence of the last g tokens of
 * toks[0..n), g = ngram down to 1.  The continuation may run into the guesses themselves (a
 * repeating pattern goes on repeating).  The count written. */
static int lookup_guess(const int32_t *toks, int n, int ngram, int d, int32_t *out) {
    for (int g = ngram < n - 1 ? ngram : n - 1; g >= 1; g--) {
        const int32_t *tail = toks + n - g;
        for (int i = n - 1 - g; i >= 0; i--) {
            int j = 0;
            while (j < g && toks[i + j] == tail[j]) j++;
            if (j < g) continue;
            for (int m = 0; m < d; m++) out[m] = toks[i + g + m];
            return d;
        }
    }
    return 0;
}

/* The guesses (0..room) with the most tokens per decode step: d guesses give 1 + h + .. + h^d
 * tokens (each kept while the ones before it were) for 1 + d cost steps; 0 when none beats a
 * plain step by 1/16 (cost is an estimate: a guess at the break-even point gains nothing). */
static int spec_worth(float hit, float cost, int room) {
    float tokens = 1.0f, chance = 1.0f, best = 1.0625f;
    int d = 0;
    for (int g = 1; g <= room; g++) {
        chance *= hit;
        tokens += chance;
        if (tokens > best * (1.0f + cost * (float)g)) best = tokens / (1.0f + cost * (float)g), d = g;
    }
    return d;
}

/* hit, a moving average over checked guesses: `right` in a row, then a wrong one if `wrong` */
static void spec_learn(name_spec *sp, int right, int wrong) {
    for (int i = 0; i < right; i++) sp->hit += 0.25f * (1.0f - sp->hit);
    if (wrong) sp->hit *= 0.75f;
}

int name_generate_lookup(name_ctx *ctx, name_sampler *s, name_spec *sp, int32_t *toks, int n, int cap, void *work,
                         size_t work_bytes) {
    if (!ctx) return NAME_ERR_ARG;
    int st = spec_check(ctx, s, sp, toks, n, cap, work, work_bytes);
    if (st != NAME_OK) return ctx->status = st;
    int room = spec_room(ctx, sp, n, cap), d = spec_worth(sp->hit, sp->cost, room);
    /* not guessing: the guess a pass would make, checked against the token decoded */
    int32_t shadow = -1;
    if (d == 0 && room > 0 && lookup_guess(toks, n, sp->ngram, 1, toks + n)) shadow = toks[n];
    d = d > 0 ? lookup_guess(toks, n, sp->ngram, d, toks + n) : 0;
    int64_t acc0 = sp->accepted;
    int kept = spec_verify(ctx, s, sp, toks, n, d, 0, (float *)work);
    if (kept < 0) return kept;
    int acc = (int)(sp->accepted - acc0); /* kept = acc + 1 after a rejected guess or the last row */
    if (d > 0) spec_learn(sp, acc, acc < d && kept > acc);
    else if (shadow >= 0) spec_learn(sp, shadow == toks[n], shadow != toks[n]);
    ctx->status = NAME_OK;
    return n + kept;
}
#if TEMPLATE_DRAFT

/* ---- the draft model of name_draft.h guesses (lmcc compile TARGET --draft DRAFT) ---- */
_Static_assert(NAME_DRAFT_VOCAB_SIZE == NAME_VOCAB_SIZE, "a draft shares the target's vocabulary");

/* Plain passes between probes while guessing does not pay: 4 after a right probe, doubling up to
 * 64 after wrong ones (a probe costs a draft step and the draft's feeding of the text). */
#define DRAFT_IDLE_MIN 4
#define DRAFT_IDLE_MAX 64

/* Feeds the draft toks[from..n) at its position `at`: rewound there, or first fed toks[pos..at)
 * (a draft that holds nothing yet keeps the text's start).  The logits of its last token, or NULL:
 * a refused rewind or a failed forward, after which the draft starts over (it holds nothing). */
static const float *draft_feed(name_draft_ctx *dctx, name_spec *sp, const int32_t *toks, int at, int from, int n) {
    int pos = name_draft_position(dctx);
    const float *lg = 0;
    if (pos > at && name_draft_rewind(dctx, at) != NAME_OK) goto fail;
    if (pos < at && !name_draft_forward(dctx, toks + pos, at - pos)) goto fail;
    if (pos < at) sp->drafted += at - pos;
    if (!(lg = name_draft_forward(dctx, toks + from, n - from))) goto fail;
    sp->drafted += n - from;
    return lg;
fail:
    name_draft_reset(dctx);
    sp->dskip = sp->dkeep = 0;
    return 0;
}

int name_generate_draft(name_ctx *ctx, name_draft_ctx *dctx, name_sampler *s, name_spec *sp, int32_t *toks, int n,
                        int cap, void *work, size_t work_bytes) {
    if (!ctx) return NAME_ERR_ARG;
    int st = spec_check(ctx, s, sp, toks, n, cap, work, work_bytes), dpos = dctx ? name_draft_position(dctx) : 0;
    if (st == NAME_OK && !dctx) st = NAME_ERR_ARG;
    else if (st == NAME_OK && dpos < 0) st = NAME_ERR_STATE;
    else if (st == NAME_OK && (sp->dskip < 0 || sp->dskip > n - 1 - dpos || sp->dkeep < 0 || sp->dkeep > dpos ||
                               !(sp->dcost >= 0.0f && sp->dcost <= 3.0e38f) || sp->backoff < 0))
        st = NAME_ERR_ARG;
    if (st != NAME_OK) return ctx->status = st;
    /* The draft holds toks[0..keep) and toks[keep + dskip..fed) (spec.dkeep, spec.dskip).  Lagging
     * more than the window, it is cut as a context shift cuts: it keeps that prefix (its first
     * window if it holds nothing yet) and is fed the last window after it, never the text between,
     * which it guesses without (its guesses are only proposals). */
    int dskip = sp->dskip, fed = dpos + dskip, keep = sp->dkeep, at = dpos, from = fed, skip = dskip;
    if (n - fed > NAME_DRAFT_WINDOW) {
        from = n - NAME_DRAFT_WINDOW;
        at = dskip ? keep : fed > 0 ? fed : NAME_DRAFT_WINDOW < from ? NAME_DRAFT_WINDOW : from;
        skip = from - at;
        keep = at;
    }
    /* guesses: the room of both contexts (the draft feeds toks[from..n) and all guesses but the last) */
    int room = spec_room(ctx, sp, n, cap), idle0 = sp->idle, backoff0 = sp->backoff;
    if (room > dctx->n_ctx - (n - skip) + 1) room = dctx->n_ctx - (n - skip) + 1;
    float price = sp->cost + sp->dcost;
    int d = spec_worth(sp->hit, price, room), probe = 0;
    /* not guessing: a probe now and then keeps hit learning, where a draft always right would pay */
    if (d == 0 && spec_worth(1.0f, price, room) > 0) {
        if (sp->idle > 0) sp->idle--;
        else d = probe = 1;
    }
    float *q = (float *)work + (size_t)(d + 2) * NAME_VOCAB_SIZE; /* after spec_verify's rows and p */
    int greedy = !(s->temperature > 0.0f), g = 0;
    uint64_t rng0 = s->rng;
    int64_t drafted0 = sp->drafted;
    const float *lg = 0;
    if (d > 0) lg = draft_feed(dctx, sp, toks, at, from, n);
    if (!lg) skip = sp->dskip, keep = sp->dkeep; /* not fed (d = 0), or the draft started over */
    for (; g < d && lg; g++) {
        int x;
        if (greedy) {
            x = lmrt_argmax_valid(lg, NAME_VOCAB_SIZE);
        } else {
            float *qg = q + (size_t)g * NAME_VOCAB_SIZE;
            lmrt_sampler r;
            r.temperature = s->temperature;
            r.top_k = s->top_k;
            r.top_p = s->top_p;
            r.rng = s->rng;
            x = lmrt_sample_probs(&r, lg, NAME_VOCAB_SIZE, ctx->arena + SCRATCH_OFFSET, qg) ? -1
                : lmrt_sample_weights(qg, NAME_VOCAB_SIZE, 1.0f, &s->rng);
        }
        if (x < 0) break; /* no distribution in the draft's logits: fewer guesses */
        toks[n + g] = x;
        if (g + 1 < d) {
            lg = name_draft_forward(dctx, &toks[n + g], 1);
            if (lg) sp->drafted++;
        }
    }
    int64_t acc0 = sp->accepted;
    int kept = spec_verify(ctx, s, sp, toks, n, g, greedy ? 0 : q, (float *)work);
    if (kept < 0) {
        s->rng = rng0;
        sp->idle = idle0;
        sp->backoff = backoff0;
        sp->drafted = drafted0;
        /* the draft as it was: cut back, it is fed its own window again */
        if (at < dpos) {
            if (name_draft_rewind(dctx, at) != NAME_OK || !name_draft_forward(dctx, toks + at + dskip, dpos - at))
                name_draft_reset(dctx), sp->dskip = sp->dkeep = 0;
        } else if (name_draft_position(dctx) > dpos) {
            name_draft_rewind(dctx, dpos);
        }
        return kept;
    }
    /* the draft keeps what it fed of the tokens toks now holds, up to the new last one (unfed) */
    int acc = (int)(sp->accepted - acc0), have = name_draft_position(dctx) + skip, want = n + acc;
    if (want > n + kept - 1) want = n + kept - 1;
    if (want > have) want = have;
    /* a draft whose sliding-window rings refuse the rewind starts over: the next pass that guesses
     * feeds it the last window */
    if (want < have && name_draft_rewind(dctx, want - skip) != NAME_OK) name_draft_reset(dctx), skip = keep = 0;
    sp->dskip = skip;
    sp->dkeep = skip ? keep : 0;
    if (g > 0) spec_learn(sp, acc, acc < g && kept > acc);
    if (probe) {
        int twice = 2 * sp->backoff < DRAFT_IDLE_MAX ? 2 * sp->backoff : DRAFT_IDLE_MAX;
        sp->backoff = acc > 0 || twice < DRAFT_IDLE_MIN ? DRAFT_IDLE_MIN : twice;
        sp->idle = sp->backoff;
    }
    ctx->status = NAME_OK;
    return n + kept;
}
#endif
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
