/* api.h - template: NAME.h after its model-specific part (the banner, the include guard and the
 * NAME_ sizes and shapes, written by codegen/codegen.c, which also closes the guard): the status
 * codes, the context and the API declarations, the same for every model (see codegen/template.c
 * for the placeholders name_, NAME_ and the TEMPLATE_ conditions). */
/* ---- status codes ---- */
enum {
    NAME_OK = 0,
    NAME_ERR_ARG = -1,          /* NULL pointer or bad count */
    NAME_ERR_ARENA = -2,        /* arena smaller than NAME_ARENA_BYTES (init_ctx: _FOR(n_ctx)) or misaligned */
    NAME_ERR_WEIGHTS = -3,      /* weights missing, misaligned, or not this model's blob */
    NAME_ERR_CONTEXT_FULL = -4, /* position would pass the context (NAME_CTX or init_ctx's): reset or stop */
    NAME_ERR_TOKEN = -5,        /* token id outside [0, NAME_VOCAB_SIZE) */
    NAME_ERR_STATE = -6,        /* context not initialized */
    NAME_ERR_BUFFER = -7,       /* output buffer too small (tokenizer) */
    NAME_ERR_THREADS = -8,      /* threads could not be started */
    NAME_ERR_LOGITS = -9,       /* logits with a NaN, or all -inf: nothing to sample */
    NAME_ERR_STATE_FOREIGN = -10, /* saved state of another model, KV type or layout */
    NAME_ERR_STATE_DATA = -11   /* saved state corrupted (checksum) or truncated */
};

typedef struct name_ctx {
    unsigned char *arena;
    const unsigned char *weights;
    int pos;
    int n_ctx; /* positions the KV cache holds: NAME_CTX, or init_ctx's */
    int status;
    int threads;
    const int32_t *step_tokens; /* step_begin's tokens not yet consumed (NULL: no step pending) */
    int step_left, step_next;   /* their count; the next section of step() for the first of them */
    uint32_t magic;
} name_ctx;

/* Binds ctx to an arena and the weights blob: weights_bytes readable bytes at
 * weights (at least NAME_WEIGHTS_BYTES, aligned to NAME_WEIGHTS_ALIGN), or
 * NULL and 0 for the blob linked into the program by name_weights.S /
 * name_weights.c, if it was built with one.  Checks the blob's 64-byte header
 * (this model's, this size); name_verify_weights checks every byte.  A live
 * context is left as it was when init fails; threaded builds refuse to init a
 * live context (NAME_ERR_STATE: release it first, its workers use its arena),
 * single-threaded builds rebind it. */
int name_init(name_ctx *ctx, void *arena, size_t arena_bytes, const void *weights, size_t weights_bytes);
/* init for a context of n_ctx positions, NAME_CTX_MIN..NAME_CTX: the arena needs only
 * NAME_ARENA_BYTES_FOR(n_ctx) bytes (the KV cache is its last part, n_ctx
 * rows of NAME_KV_ROW_BYTES); forward stops at n_ctx (NAME_ERR_CONTEXT_FULL),
 * and the logits are those of a build compiled with --ctx n_ctx.  init is
 * init_ctx with NAME_CTX. */
int name_init_ctx(name_ctx *ctx, void *arena, size_t arena_bytes, const void *weights, size_t weights_bytes, int n_ctx);
/* NAME_OK if the blob (same arguments as init) is intact: the header and a
 * checksum over every byte, a read of the whole blob at about memory speed.
 * Call it once after loading or flashing the weights; forward does not. */
int name_verify_weights(const void *weights, size_t weights_bytes);
/* Feeds n >= 1 tokens at the current position (n > 1: a prompt) and returns
 * the logits [NAME_VOCAB_SIZE] after the last one, valid until the next call. */
const float *name_forward(name_ctx *ctx, const int32_t *tokens, int n);
void name_reset(name_ctx *ctx);                /* back to position 0 */
/* Like forward, but writes the logits after every one of the n tokens to
 * logits[n][NAME_VOCAB_SIZE] (scoring, perplexity, verifying a draft); row i
 * is what forward returns when the tokens end at i.  NAME_OK or an error. */
int name_forward_all(name_ctx *ctx, const int32_t *tokens, int n, float *logits);
/* Back to an earlier position 0 <= pos <= name_position(ctx): the tokens
 * after it are forgotten (a rejected draft, a prompt prefix kept). */
int name_rewind(name_ctx *ctx, int pos);
/* ---- preemptible decode: forward in bounded slices (an RTOS task, a thermal governor) ----
 * step_begin validates n tokens as forward does and makes them pending (tokens must stay valid
 * until the step is done); each step_run runs at most max_layers sections of the forward pass
 * (the embedding, each transformer layer and the output head count one each; NAME_STEP_SECTIONS
 * per chunk of NAME_BATCH tokens) and returns how many sections are still to run: 0 when the
 * tokens are consumed, their logits then at name_logits.  The result is forward's bit for bit.
 * Any other call that moves the position (forward, forward_all, reset, rewind, state_load, init)
 * drops a pending step: step_run then returns NAME_ERR_STATE. */
int name_step_begin(name_ctx *ctx, const int32_t *tokens, int n);
int name_step_run(name_ctx *ctx, int max_layers);
/* the logits [NAME_VOCAB_SIZE] after the last token forward or step_run consumed (what forward
 * returned), NULL for a context that is not live */
const float *name_logits(const name_ctx *ctx);
/* ---- saved state: position and the used KV rows, with a header naming
 * the model (its weights' hash), the KV type and layout, and a checksum ----
 * state_bytes: the exact size of a state saved now (grows with the
 * position); state_save writes it to buf (NAME_ERR_BUFFER if cap is
 * smaller); state_load takes it back into any live context of this model
 * (another arena, a later run): NAME_ERR_STATE_FOREIGN for another model's
 * or KV type's state, NAME_ERR_STATE_DATA for a corrupted or truncated one,
 * NAME_ERR_CONTEXT_FULL if its position passes this context's; a failed load
 * changes nothing. */
int64_t name_state_bytes(const name_ctx *ctx);
int name_state_save(name_ctx *ctx, void *buf, size_t cap);
int name_state_load(name_ctx *ctx, const void *buf, size_t bytes);
/* Threaded builds (NAME_THREADS defined): init starts the workers; set_threads
 * picks 1..NAME_THREADS of them; release joins them (call it before freeing
 * the arena).  Single-threaded builds accept only 1 and release is trivial. */
int name_set_threads(name_ctx *ctx, int threads);
void name_release(name_ctx *ctx);
int name_position(const name_ctx *ctx);        /* tokens consumed so far */
/* The status of the last call on ctx (init, forward, reset, set_threads,
 * sample): NAME_ERR_STATE after a call on a context that is not live. */
int name_last_error(const name_ctx *ctx);
const char *name_strerror(int status);

/* ---- sampling ---- */
typedef struct name_sampler { float temperature; int top_k; float top_p; uint64_t rng; } name_sampler;
/* temperature <= 0 or NaN: greedy; top_k <= 0: off; top_p >= 1, <= 0 or NaN:
 * off; seed any value */
void name_sampler_init(name_sampler *s, float temperature, int top_k, float top_p, uint64_t seed);
/* Picks the next token from logits[NAME_VOCAB_SIZE] (uses ctx's arena
 * scratch); token id or error.  Logits of +inf share all the probability
 * (greedy: the first of them); -inf ones have none; a NaN anywhere, or every
 * logit -inf, is NAME_ERR_LOGITS (the sampler's state is unchanged). */
int name_sample(name_ctx *ctx, name_sampler *s, const float *logits);

/* ---- speculative decoding: guessed tokens verified in one batched pass ----
 * The tokens so far are toks[0..n) (the prompt, then what was generated);
 * ctx has consumed toks[0..n-1) (its position is n - 1: feed a prompt with
 * forward(ctx, toks, n - 1), nothing for n = 1).  A pass guesses up to
 * next tokens, feeds toks[n-1] and the guesses through forward_all in one
 * chunk (the weights are read once for all of them), keeps the tokens the
 * sampler's distribution gives -- greedy: the argmax of each row while it
 * equals the guess, then the first argmax that differs or the row after the
 * last guess, so the tokens are those of plain greedy decoding; sampling:
 * the rejection rule of speculative sampling (accept a guess x with
 * probability min(1, p(x)/q(x)), else draw from max(0, p - q) normalized),
 * so they follow the sampler's distribution -- appends them to toks and
 * rewinds ctx to their last one.  A pass appends 1..k+1 tokens, stops after
 * an end-of-generation token, never writes past toks[cap-1] (toks[n..cap)
 * is scratch) and never passes the context.  A pass verifies at most
 * NAME_BATCH tokens (guesses <= NAME_BATCH - 1; a batch-1 build decodes one
 * token per pass).  Memory: work of NAME_SPEC_WORK_BYTES(k) bytes (float
 * aligned) and the context's arena; nothing is allocated.  Returns the new
 * count of toks, or NAME_ERR_ARG (NULL, n < 1, cap <= n, position != n - 1,
 * a bad spec), NAME_ERR_BUFFER (work too small), NAME_ERR_TOKEN (toks[0..n)
 * outside the vocabulary), NAME_ERR_CONTEXT_FULL (position n - 1 is the
 * context's end), NAME_ERR_LOGITS; a failed call changes no state (ctx,
 * sampler, spec). */
#define NAME_SPEC_K_MAX 16
#define NAME_SPEC_NGRAM_MAX 8
#define NAME_SPEC_WORK_BYTES(k) ((size_t)(2 * (k) + 2) * NAME_VOCAB_SIZE * sizeof(float))
typedef struct name_spec {
    int k;      /* guesses per pass at most, 1..NAME_SPEC_K_MAX */
    int ngram;  /* lookup: the longest n-gram matched, 1..NAME_SPEC_NGRAM_MAX */
    int next;   /* guesses the next pass may make, 1..k: doubles while all are accepted, else accepted + 1 */
    int idle;   /* draft: plain passes left before the next probe (see generate_draft) */
    int backoff; /* draft: the last such run's length (4, 8, .. 64) */
    float dcost; /* draft: one draft step, in decode steps of the target, >= 0 (NAME_DRAFT_GUESS_COST
                  * at first in a build with a draft, else 0; a caller that measured its own may set it) */
    float hit;  /* the chance a guess is right, 0..1 (1/2 at first; see generate_lookup) */
    float cost; /* one more token in a verification pass, in decode steps, >= 0
                 * (NAME_SPEC_GUESS_COST at first; a caller that measured its own may set it) */
    int dskip;  /* draft: the tokens of toks its context skipped (see generate_draft; 0 at first) */
    int dkeep;  /* draft: where it skipped them, the prefix it keeps (0 at first) */
    int64_t passes, guessed, accepted, tokens; /* what the passes did */
    int64_t drafted; /* draft: the tokens it was fed (<= NAME_DRAFT_WINDOW + k - 1 per pass that guessed) */
} name_spec;
/* k guesses per pass at most, n-grams of up to ngram tokens (lookup); NAME_OK or NAME_ERR_ARG */
int name_spec_init(name_spec *sp, int k, int ngram);
/* Prompt lookup: the guesses continue the latest earlier occurrence of the
 * last ngram (then ngram - 1, ..., 1) tokens of toks (O(n ngram) compares);
 * no match: a plain decode step.  A pass guesses only where it is expected
 * to pay: d guesses (d <= next) give 1 + h + .. + h^d tokens for 1 + d cost
 * decode steps (h = spec.hit), and the d with the most tokens per step is
 * taken -- d = 0, a plain decode step, when none beats a plain step by
 * 1/16 (on a model whose weights stay in the caches a guess costs almost a
 * step: it pays only on text that repeats).  spec.hit is a moving average
 * over the guesses checked: verified ones, and while not guessing, the
 * guess a pass would have made against the token it decoded (free), so
 * guessing resumes where the text starts to repeat. */
int name_generate_lookup(name_ctx *ctx, name_sampler *s, name_spec *sp, int32_t *toks, int n, int cap, void *work,
                         size_t work_bytes);
#if TEMPLATE_DRAFT
/* Draft model (lmcc compile TARGET --draft DRAFT -> name_draft.h, its own
 * arena of NAME_DRAFT_ARENA_BYTES): the guesses are the draft's tokens
 * (greedy: its argmax; sampling: draws from its distribution q, which the
 * rule then corrects).  dctx has consumed toks[0..p + spec.dskip) but the
 * spec.dskip tokens it skipped (0 for a prefix toks[0..p); p is its
 * position, p + dskip <= n - 1) and is fed the rest before it guesses, in
 * one batched chunk of at most NAME_DRAFT_WINDOW tokens: lagging more, it
 * skips to toks[n - NAME_DRAFT_WINDOW] (its context has a cut there; its
 * guesses are only proposals), so a draft that never agrees costs its
 * probes and a window per probe, not the prefill of the text.  A pass
 * guesses as generate_lookup decides, a guess priced spec.dcost (the draft
 * step) + spec.cost (its share of the verification): d = 0, a plain decode
 * step without the draft, where no d is expected to pay.  spec.hit learns
 * from the verified guesses only (a draft's guess is not free): while not
 * guessing, one pass in 5, 9, 17, .. 65 (spec.idle, spec.backoff: the run
 * doubles after each wrong probe, a right one restarts it) probes with one
 * guess, and only where a draft that is always right would pay (a draft
 * priced at a decode step or more never guesses).  Statuses as
 * generate_lookup, and NAME_ERR_STATE for a dctx that is not live,
 * NAME_ERR_ARG for p + dskip > n - 1 or dskip < 0 (a caller that resets
 * dctx sets dskip to 0).  A draft whose sliding-window rings refuse a
 * rewind is reset and fed the last window on its next guessing pass. */
int name_generate_draft(name_ctx *ctx, name_draft_ctx *dctx, name_sampler *s, name_spec *sp, int32_t *toks, int n,
                        int cap, void *work, size_t work_bytes);
/* the most tokens a pass feeds the draft before its first guess: the text it lags behind by */
#define NAME_DRAFT_WINDOW 8
/* a draft step's share of a target decode step (spec.dcost): the weights each step reads */
#define NAME_DRAFT_GUESS_COST ((float)NAME_DRAFT_WEIGHTS_BYTES / (float)NAME_WEIGHTS_BYTES)
#endif

/* ---- tokenizer (the model's vocabulary, compiled in) ---- */
/* Text -> ids as llama.cpp tokenizes; returns the count or a negative error.
 * flags: NAME_ENCODE_ADD_SPECIAL (BOS/EOS as the model wants; 1 alone is the
 * usual call) | NAME_ENCODE_PARSE_SPECIAL (control tokens written in the
 * text, e.g. the NAME_CHAT_* markup, become their ids; user-defined tokens
 * are split out either way).  The tokenizer works in place in ids: cap must
 * be at least NAME_ENCODE_CAP(len). */
int name_encode(const char *text, size_t len, int flags, int32_t *ids, int cap);
/* The text of token id following prev (-1 if none), without a NUL; byte
 * count or a negative error.  Control tokens give no text. */
int name_decode(int prev, int id, char *buf, int cap);
/* 1 if id ends generation (one of NAME_EOG_IDS), else 0. */
int name_is_eog(int id);

#if TEMPLATE_EMBEDDED
/* the linked-in blob (name_weights.S / name_weights.c); its size is part of its type */
#if TEMPLATE_ZSTD
extern const unsigned char name_weights_blob[NAME_WEIGHTS_ZSTD_BYTES];
#else
extern const unsigned char name_weights_blob[NAME_WEIGHTS_BYTES];
#endif

#endif
#if TEMPLATE_ZSTD
/* --compress=zstd: the weights file (and name_weights_blob) is a zstd frame.  Decompresses
 * src_bytes at src (NULL: the linked-in blob) into dst (NAME_WEIGHTS_RAW_BYTES,
 * aligned to NAME_WEIGHTS_ALIGN), which is what name_init takes.  Link with -lzstd. */
int name_decompress_weights(void *dst, size_t dst_bytes, const void *src, size_t src_bytes);

#endif
#ifdef __cplusplus
}
#endif
