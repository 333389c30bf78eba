/* driver.c - template of the hosted test driver that `lmcc run` and `lmcc eval` build next to the
 * generated model: an ordinary app of the generated API (and an example of it).  Commands:
 *   prog gen  [-p TEXT [--chat] | --ids "1 2 3"] [-n N] [--temp T] [--top-k K]
 *             [--top-p P] [--seed S] [--print-ids] [--weights FILE] [--lookup K | --draft K]
 *             [--guess-cost C]
 *   prog eval IDS_FILE OUT.f32 [--weights FILE]
 * gen tokenizes TEXT as llama.cpp's completion tool does (BOS as the model wants, control tokens
 * in the text parsed); --chat wraps it in the model's chat markup (NAME_CHAT_*) first.
 * Generation stops at an end-of-generation token.  --lookup K generates by prompt lookup
 * (name_generate_lookup: up to K guessed tokens verified per pass; the same tokens as without),
 * --draft K with the draft model compiled in (name_draft.h, name_generate_draft); --guess-cost C
 * prices a guess at C decode steps, draft step included (spec.cost = C, spec.dcost = 0).
 */
/* main.c - the test driver lmcc generated for name.h (hosted) */
#define PROG "driver"
#include "hosted.c"

#ifdef NAME_CHAT_TEMPLATE
/* One user turn and the start of the reply, in the markup name.h spells out (malloc'd). */
static char *chat_format(const char *text) {
    size_t n = strlen(text);
    if (NAME_CHAT_TRIM) { /* C isspace, as llama.cpp's trim */
        while (n && (*text == ' ' || (*text >= '\t' && *text <= '\r'))) text++, n--;
        while (n && (text[n - 1] == ' ' || (text[n - 1] >= '\t' && text[n - 1] <= '\r'))) n--;
    }
    size_t cap = sizeof(NAME_CHAT_USER_PREFIX NAME_CHAT_USER_SUFFIX NAME_CHAT_ASSISTANT_PREFIX) + n;
    char *s = malloc(cap);
    if (s) snprintf(s, cap, "%s%.*s%s%s", NAME_CHAT_USER_PREFIX, (int)n, text, NAME_CHAT_USER_SUFFIX,
                    NAME_CHAT_ASSISTANT_PREFIX);
    return s;
}
#endif

static void print_prompt(const int32_t *toks, int n) {
    for (int i = 0; i < n; i++) {
        char piece[256];
        int m = name_decode(i ? toks[i - 1] : -1, toks[i], piece, (int)sizeof piece);
        if (m > 0) fwrite(piece, 1, (size_t)m, stdout);
    }
}

/* a generated token: its id (space-separated) or its text */
static void print_token(int print_ids, int first, int prev, int id) {
    if (print_ids) {
        printf("%s%d", first ? "" : " ", id);
        return;
    }
    char piece[256];
    int m = name_decode(prev, id, piece, (int)sizeof piece);
    if (m > 0) fwrite(piece, 1, (size_t)m, stdout);
}

/* The session up to the last generated token into path, so a --load-state run continues after it;
 * unfed: that token when it is not fed yet, else -1. */
static int save_session(name_ctx *ctx, int32_t unfed, const char *path) {
    if (unfed >= 0 && name_position(ctx) < NAME_CTX && !name_forward(ctx, &unfed, 1))
        return die("forward", name_last_error(ctx));
    size_t sn = (size_t)name_state_bytes(ctx);
    void *buf = malloc(sn);
    FILE *f = fopen(path, "wb");
    if (!buf || !f || name_state_save(ctx, buf, sn) != 0 || fwrite(buf, 1, sn, f) != sn || fclose(f) != 0) {
        fprintf(stderr, "driver: cannot write the state to %s\n", path);
        return 1;
    }
    free(buf);
    fprintf(stderr, "state: %zu bytes at position %d -> %s\n", sn, name_position(ctx), path);
    return 0;
}

/* gen with speculative decoding: toks[0..n_toks) is the prompt (toks has room for NAME_CTX + 2);
 * the same stops as the plain loop (steps, an end of generation, a full context). */
static int generate_spec(name_ctx *ctx, draft_ctx *dctx, name_sampler *smp, int32_t *toks, int n_toks, int steps, int k,
                         float guess_cost, int print_ids, int echo, const char *save_path) {
    name_spec sp;
    int st = name_spec_init(&sp, k, 3);
    if (st != 0) return die("spec_init", st);
    if (guess_cost >= 0.0f) sp.cost = guess_cost, sp.dcost = 0.0f;
    size_t wb = NAME_SPEC_WORK_BYTES(k);
    void *work = malloc(wb);
    if (!work) return 1;
    double t0 = now_s();
    if (n_toks > 1 && !name_forward(ctx, toks, n_toks - 1)) return die("forward", name_last_error(ctx));
    double t1 = now_s();
    if (!print_ids && echo) print_prompt(toks, n_toks);
    int n = n_toks, cap = n_toks + steps <= NAME_CTX + 1 ? n_toks + steps : NAME_CTX + 1, prev = toks[n_toks - 1];
    while (n < cap) {
        int m = spec_pass(ctx, dctx, smp, &sp, toks, n, cap, work, wb);
        if (m < 0) return die(dctx ? "generate_draft" : "generate_lookup", m);
        for (int i = n; i < m; i++) {
            if (name_is_eog(toks[i])) {
                fprintf(stderr, "\n(end of generation: token %d)\n", toks[i]);
                m = cap = i; /* the end token is not part of the session */
                break;
            }
            print_token(print_ids, i == n_toks, prev, toks[i]);
            prev = toks[i];
        }
        fflush(stdout);
        n = m;
    }
    if (n == NAME_CTX + 1 && n < n_toks + steps) fprintf(stderr, "\n(context full)\n");
    double t2 = now_s();
    int generated = n - n_toks;
    if (save_path && save_session(ctx, name_position(ctx) == n - 1 ? toks[n - 1] : -1, save_path)) return 1;
    printf("\n");
    fflush(stdout);
    fprintf(stderr, "prompt %d tokens %.1f tok/s, generated %d tokens %.1f tok/s\n", n_toks,
            t1 > t0 ? n_toks / (t1 - t0) : 0.0, generated, t2 > t1 ? generated / (t2 - t1) : 0.0);
    fprintf(stderr, "%s: %lld passes, %lld of %lld guesses accepted, %.2f tokens per pass", dctx ? "draft" : "lookup",
            (long long)sp.passes, (long long)sp.accepted, (long long)sp.guessed,
            sp.passes ? (double)sp.tokens / (double)sp.passes : 0.0);
    if (dctx) fprintf(stderr, ", %lld tokens fed to the draft", (long long)sp.drafted);
    fprintf(stderr, "\n");
    name_release(ctx);
    free(work);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s gen|eval ...\n", argv[0]); return 2; }
    const char *prompt = NULL, *ids_text = NULL, *wpath = NULL, *load_path = NULL, *save_path = NULL;
    int steps = 64, top_k = 0, print_ids = 0, chat = 0, lookup = 0, draft = 0;
    float guess_cost = -1.0f;
    float temp = 1.0f, top_p = 1.0f;
    unsigned long long seed = 0;
    int eval = !strcmp(argv[1], "eval");
    int first_opt = eval ? 4 : 2;
    if (eval && argc < 4) { fprintf(stderr, "usage: %s eval IDS OUT\n", argv[0]); return 2; }
    for (int i = first_opt; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--print-ids")) { print_ids = 1; continue; }
        if (!strcmp(a, "--chat")) { chat = 1; continue; }
        if (!v) { fprintf(stderr, "driver: %s needs a value\n", a); return 2; }
        i++;
        if (!strcmp(a, "-p")) prompt = v;
        else if (!strcmp(a, "--ids")) ids_text = v;
        else if (!strcmp(a, "-n")) steps = atoi(v);
        else if (!strcmp(a, "--temp")) temp = (float)atof(v);
        else if (!strcmp(a, "--top-k")) top_k = atoi(v);
        else if (!strcmp(a, "--top-p")) top_p = (float)atof(v);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--weights")) wpath = v;
        else if (!strcmp(a, "--load-state")) load_path = v;
        else if (!strcmp(a, "--save-state")) save_path = v;
        else if (!strcmp(a, "--lookup")) lookup = atoi(v);
        else if (!strcmp(a, "--draft")) draft = atoi(v);
        else if (!strcmp(a, "--guess-cost")) guess_cost = (float)atof(v);
        else { fprintf(stderr, "driver: unknown option %s\n", a); return 2; }
    }
    void *weights = NULL;
    size_t wn = 0;
    if (wpath) {
        weights = load_file(wpath, &wn);
        if (!weights) { fprintf(stderr, "driver: cannot read %s\n", wpath); return 1; }
    }
#ifdef NAME_WEIGHTS_ZSTD_BYTES
    {   /* --compress=zstd: the blob (linked in, or the --weights file) is a zstd frame */
        void *raw = NULL;
        if (posix_memalign(&raw, 64, NAME_WEIGHTS_RAW_BYTES) != 0) return 1;
        int zst = name_decompress_weights(raw, NAME_WEIGHTS_RAW_BYTES, weights, wn);
        if (zst != 0) return die("decompress_weights", zst);
        free(weights);
        weights = raw;
        wn = NAME_WEIGHTS_RAW_BYTES;
    }
#endif
    int st = name_verify_weights(weights, wn); /* every byte, once: a damaged blob is an error, not NaN logits */
    if (st != 0) return die("weights", st);
    void *arena = NULL;
    if (posix_memalign(&arena, NAME_ARENA_ALIGN, NAME_ARENA_BYTES) != 0) return 1;
    name_ctx ctx;
    st = name_init(&ctx, arena, NAME_ARENA_BYTES, weights, wn);
    if (st != 0) return die("init", st);
    if (load_path) { /* a saved session: the prompt continues it */
        size_t sn = 0;
        void *saved = load_file(load_path, &sn);
        if (!saved) { fprintf(stderr, "driver: cannot read %s\n", load_path); return 1; }
        st = name_state_load(&ctx, saved, sn);
        free(saved);
        if (st != 0) return die(load_path, st);
    }
    static int32_t toks[NAME_CTX + 2];
    int n_toks = 0;
    if (eval) {
        FILE *in = fopen(argv[2], "r");
        if (!in) { fprintf(stderr, "driver: cannot read %s\n", argv[2]); return 1; }
        long t;
        FILE *out = fopen(argv[3], "wb");
        if (!out) { fclose(in); fprintf(stderr, "driver: cannot write %s\n", argv[3]); return 1; }
        double t0 = now_s();
        for (; fscanf(in, "%ld", &t) == 1; n_toks++) { /* as read: a slide build takes any number */
            int32_t tok = (int32_t)t;
            const float *lg = name_forward(&ctx, &tok, 1);
            if (!lg) { fclose(in), fclose(out); return die("forward", name_last_error(&ctx)); }
            if (fwrite(lg, sizeof(float), NAME_VOCAB_SIZE, out) != NAME_VOCAB_SIZE) { fclose(in), fclose(out); return 1; }
        }
        fclose(in);
        double dt = now_s() - t0;
        if (fclose(out) != 0) return 1;
        fprintf(stderr, "eval: %d positions, %.1f tok/s\n", n_toks, dt > 0 ? n_toks / dt : 0.0);
        return 0;
    }
    if (ids_text) {
        const char *p = ids_text;
        char *end;
        for (;;) {
            long t = strtol(p, &end, 10);
            if (end == p) break;
            if (n_toks >= NAME_CTX) { fprintf(stderr, "driver: too many ids\n"); return 1; }
            toks[n_toks++] = (int32_t)t;
            p = end;
        }
    } else {
        const char *text = prompt ? prompt : "";
        char *formatted = NULL;
#ifdef NAME_CHAT_TEMPLATE
        if (chat && !(text = formatted = chat_format(text))) return 1;
#endif /* else --chat takes the raw text (lmcc run said so) */
        size_t len = strlen(text);
        size_t cap = NAME_ENCODE_CAP(len);
        int32_t *buf = malloc(cap * sizeof *buf);
        if (!buf) return 1;
        int n = name_encode(text, len, (load_path ? 0 : NAME_ENCODE_ADD_SPECIAL) | NAME_ENCODE_PARSE_SPECIAL, buf, (int)cap);
        free(formatted);
        if (n < 0) return die("encode", n);
        if (n > NAME_CTX - name_position(&ctx)) { fprintf(stderr, "driver: prompt longer than the context\n"); return 1; }
        memcpy(toks, buf, (size_t)n * sizeof *buf);
        n_toks = n;
        free(buf);
    }
    if (n_toks == 0) { fprintf(stderr, "driver: empty prompt\n"); return 1; }
    name_sampler smp;
    name_sampler_init(&smp, temp, top_k, top_p, (uint64_t)seed);
    draft_ctx *dctx = NULL;
#ifdef NAME_DRAFT_H
    name_draft_ctx draft_model;
    if (draft > 0) { /* the draft's blob is linked in (lmcc refuses --embed external with --draft) */
        void *darena = NULL;
        if ((st = name_draft_verify_weights(NULL, 0)) != 0) return die("draft weights", st);
        if (posix_memalign(&darena, NAME_DRAFT_ARENA_ALIGN, NAME_DRAFT_ARENA_BYTES) != 0) return 1;
        if ((st = name_draft_init(&draft_model, darena, NAME_DRAFT_ARENA_BYTES, NULL, 0)) != 0) return die("draft init", st);
        dctx = &draft_model;
    }
#endif
    if (draft > 0 && !dctx) { fprintf(stderr, "driver: --draft: this build has no draft model\n"); return 2; }
    if (lookup > 0 || dctx)
        return generate_spec(&ctx, dctx, &smp, toks, n_toks, steps, dctx ? draft : lookup, guess_cost, print_ids, !ids_text && !chat,
                             save_path);
    double t0 = now_s();
    const float *lg = name_forward(&ctx, toks, n_toks);
    if (!lg) return die("forward", name_last_error(&ctx));
    double t1 = now_s();
    int prev = toks[n_toks - 1], generated = 0, unfed = -1; /* unfed: the last token sampled, not yet fed */
    if (!print_ids && !ids_text && !chat) print_prompt(toks, n_toks); /* a chat reply is printed alone */
    for (int i = 0; i < steps; i++) {
        int next = name_sample(&ctx, &smp, lg);
        if (next < 0) return die("sample", next);
        if (name_is_eog(next)) { fprintf(stderr, "\n(end of generation: token %d)\n", next); break; }
        generated++;
        print_token(print_ids, i == 0, prev, next);
        fflush(stdout);
        prev = next;
        unfed = next;
        if (i + 1 == steps) break;
        if (!NAME_KV_SLIDE && name_position(&ctx) >= NAME_CTX) { fprintf(stderr, "\n(context full)\n"); break; }
        int32_t tok = next;
        lg = name_forward(&ctx, &tok, 1);
        if (!lg) return die("forward", name_last_error(&ctx));
        unfed = -1;
    }
    double t2 = now_s();
    if (save_path && save_session(&ctx, unfed, save_path)) return 1;
    printf("\n");
    fflush(stdout);
    fprintf(stderr, "prompt %d tokens %.1f tok/s, generated %d tokens %.1f tok/s\n", n_toks,
            t1 > t0 ? n_toks / (t1 - t0) : 0.0, generated, t2 > t1 ? generated / (t2 - t1) : 0.0);
    name_release(&ctx);
    free(arena);
    free(weights);
    return 0;
}
