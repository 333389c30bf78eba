/* bench.c - template of the hosted benchmark program `lmcc bench` builds next to the generated
 * model, an ordinary app of the generated API: a read-bandwidth probe (in a child process, so its
 * buffer is not in the peak RSS), one timed prefill call, timed greedy decode steps, medians of R
 * runs, printed as a table or one JSON object (see codegen/bench_driver.h). */
/* main.c - the benchmark driver lmcc generated for name.h (hosted) */
#define PROG "bench"
#include "hosted.c"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef NAME_THREADS /* defined by threaded builds only */
#define BENCH_THREADS NAME_THREADS
#else
#define BENCH_THREADS 1
#endif

/* a draft step's share of a decode step, which --guess-cost includes */
#ifdef NAME_DRAFT_H
#define BENCH_DRAFT_STEP ((double)NAME_DRAFT_GUESS_COST)
#else
#define BENCH_DRAFT_STEP 0.0
#endif

/* guesses one verification pass can take: one chunk of NAME_BATCH tokens */
#define BATCH_SPEC_MAX (NAME_BATCH - 1)

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- read-bandwidth probe: what decode could reach if it only streamed the
 * weights.  Eight independent sums keep the loads, not the adds, the limit. */
typedef struct probe_part {
    const uint64_t *p;
    size_t n;
    uint64_t sum;
} probe_part;

static void *probe_sum(void *arg) {
    probe_part *q = (probe_part *)arg;
    const uint64_t *p = q->p;
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    size_t i = 0;
    for (; i + 8 <= q->n; i += 8) {
        a0 += p[i]; a1 += p[i + 1]; a2 += p[i + 2]; a3 += p[i + 3];
        a4 += p[i + 4]; a5 += p[i + 5]; a6 += p[i + 6]; a7 += p[i + 7];
    }
    for (; i < q->n; i++) a0 += p[i];
    q->sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    return NULL;
}

static double probe_pass(const uint64_t *buf, size_t words, int nth, uint64_t *sink) {
    pthread_t th[64];
    probe_part parts[64];
    size_t per = words / (size_t)nth / 8 * 8;
    for (int t = 0; t < nth; t++) {
        parts[t].p = buf + (size_t)t * per;
        parts[t].n = t == nth - 1 ? words - (size_t)t * per : per;
    }
    double t0 = now_s();
    int made = 1;
    for (; made < nth; made++)
        if (pthread_create(&th[made], NULL, probe_sum, &parts[made]) != 0) break;
    probe_sum(&parts[0]);
    for (int t = 1; t < made; t++) pthread_join(th[t], NULL);
    for (int t = made; t < nth; t++) probe_sum(&parts[t]); /* could not start: sum here */
    double dt = now_s() - t0;
    for (int t = 0; t < nth; t++) *sink += parts[t].sum;
    return dt > 0 ? (double)(words * sizeof(uint64_t)) / dt : 0.0;
}

/* Runs in a child process, before the model is loaded, so the buffer shows up
 * in neither the peak RSS nor the model's page cache; out[r] = median of 5
 * passes, in bytes/s.  Returns 0 or -1. */
static int probe_bandwidth(size_t mib, int nth, int rounds, double *out) {
    int fd[2];
    if (pipe(fd) != 0) return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) { close(fd[0]); close(fd[1]); return -1; }
    if (pid == 0) {
        close(fd[0]);
        size_t words = mib * 1024 * 1024 / sizeof(uint64_t);
        uint64_t *buf = NULL, sink = 0;
        if (posix_memalign((void **)&buf, 4096, words * sizeof *buf) != 0) _exit(1);
        for (size_t i = 0; i < words; i++) buf[i] = i * 0x9e3779b97f4a7c15ull;
        probe_pass(buf, words, nth, &sink); /* warm: page tables, frequency */
        for (int r = 0; r < rounds; r++) {
            /* the median of 5 passes: robust to a pass slowed down by the OS and to
             * a burst of a virtual machine's memory bandwidth */
            double v[5];
            for (int k = 0; k < 5; k++) v[k] = probe_pass(buf, words, nth, &sink);
            out[r] = median(v, 5);
        }
        if (sink == 1) fprintf(stderr, " "); /* keeps the sums alive */
        ssize_t want = (ssize_t)(sizeof *out * (size_t)rounds);
        _exit(write(fd[1], out, (size_t)want) == want ? 0 : 1);
    }
    close(fd[1]);
    size_t want = sizeof *out * (size_t)rounds, got = 0;
    while (got < want) {
        ssize_t k = read(fd[0], (char *)out + got, want - got);
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0) {}
    return got == want && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Same answer as a plain first-maximum scan, but 16 independent lane maxima:
 * a single running best is a load-compare-cmov chain per logit, which cost
 * ~15% of small-model decode. */
static int argmax(const float *x, int n) {
    enum { L = 16 };
    int i = 1, best = 0;
    if (n >= 2 * L) {
        float m[L];
        for (int j = 0; j < L; j++) m[j] = x[j];
        for (i = L; i + L <= n; i += L)
            for (int j = 0; j < L; j++) m[j] = x[i + j] > m[j] ? x[i + j] : m[j];
        float v = m[0];
        for (int j = 1; j < L; j++) v = m[j] > v ? m[j] : v;
        while (best < i && !(x[best] == v)) best++;
        if (best == i) best = 0; /* NaN in lane 0: a plain scan keeps 0 too */
    }
    for (; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}


/* ---- --lookup K / --draft K: speculative decoding on a copying workload ----
 * The prompt is the model's own greedy continuation of BOS (prompt tokens); the steps after it are
 * decoded plainly and by prompt lookup or the draft model, both timed from the state where the target
 * has consumed all but the prompt's last token (the draft starts empty: what generate_draft feeds it
 * is timed), and must be the same tokens.  verify[j] is the time of one pass over j + 1
 * tokens (forward_all, rewind) over the time of a one-token step (forward, rewind). */
typedef struct lookup_result {
    double plain, spec, tokens_per_pass, acceptance, verify[NAME_SPEC_K_MAX + 1];
    int n_verify;
} lookup_result;

/* A guess's measured share of a decode step in a verification pass, the dearest over 1..k guesses
 * (spec.cost prices every guess alike: the dearest never makes a pass a slowdown). */
static double guess_share(const lookup_result *res, int k) {
    double share = 0.0;
    for (int d = 1; d <= k && d <= res->n_verify; d++)
        if ((res->verify[d] - 1.0) / d > share) share = (res->verify[d] - 1.0) / d;
    return share;
}

static int greedy_prompt(name_ctx *ctx, int32_t *toks, int prompt) {
    name_reset(ctx);
    toks[0] = NAME_BOS >= 0 ? NAME_BOS : 0;
    for (int i = 1; i < prompt; i++) {
        const float *lg = name_forward(ctx, &toks[i - 1], 1);
        if (!lg) return die("forward", name_last_error(ctx));
        toks[i] = argmax(lg, NAME_VOCAB_SIZE);
    }
    return 0;
}

/* feeds toks[0..prompt-1): the state both decodes start from */
static int lookup_start(name_ctx *ctx, const int32_t *toks, int prompt) {
    name_reset(ctx);
    if (prompt > 1 && !name_forward(ctx, toks, prompt - 1)) return die("forward", name_last_error(ctx));
    return 0;
}

static int bench_lookup(name_ctx *ctx, draft_ctx *dctx, int prompt, int steps, int repeat, int k, lookup_result *res) {
    int cap = prompt + steps;
    int32_t *toks = malloc((size_t)(cap + 1) * sizeof *toks), *plain = malloc((size_t)(cap + 1) * sizeof *plain);
    size_t wb = NAME_SPEC_WORK_BYTES(NAME_SPEC_K_MAX);
    float *work = malloc(wb);
    double *pt = calloc((size_t)repeat, sizeof *pt), *st = calloc((size_t)repeat, sizeof *st);
    double *vt = calloc((size_t)repeat * (NAME_SPEC_K_MAX + 1), sizeof *vt);
    if (!toks || !plain || !work || !pt || !st || !vt) return 1;
    if (greedy_prompt(ctx, plain, prompt)) return 1;
    name_sampler greedy;
    name_sampler_init(&greedy, 0.0f, 0, 1.0f, 0);
    name_spec sp;
    res->n_verify = BATCH_SPEC_MAX < NAME_SPEC_K_MAX ? BATCH_SPEC_MAX : NAME_SPEC_K_MAX;
    if (res->n_verify > steps) res->n_verify = steps; /* its chunks are plain[prompt-1..prompt+j) */
    for (int r = 0; r < repeat; r++) {
        if (lookup_start(ctx, plain, prompt)) return 1;
        double t0 = now_s();
        for (int i = prompt - 1; i < cap - 1; i++) {
            const float *lg = name_forward(ctx, &plain[i], 1);
            if (!lg) return die("forward", name_last_error(ctx));
            plain[i + 1] = argmax(lg, NAME_VOCAB_SIZE);
        }
        double t1 = now_s();
        memcpy(toks, plain, (size_t)prompt * sizeof *toks);
        if (lookup_start(ctx, toks, prompt) || name_spec_init(&sp, k, 3)) return 1;
#ifdef NAME_DRAFT_H
        if (dctx) name_draft_reset(dctx);
#endif
        double t2 = now_s();
        for (int n = prompt; n < cap;) {
            n = spec_pass(ctx, dctx, &greedy, &sp, toks, n, cap, work, wb);
            if (n < 0) return die("speculative pass", n);
        }
        double t3 = now_s();
        for (int i = prompt; i < cap; i++)
            if (toks[i] != plain[i]) {
                fprintf(stderr, "bench: speculative decoding gave token %d at step %d, plain decoding %d\n", toks[i],
                        i - prompt, plain[i]);
                return 1;
            }
        pt[r] = t1 > t0 ? steps / (t1 - t0) : 0.0;
        st[r] = t3 > t2 ? steps / (t3 - t2) : 0.0;
        /* the verification curve at the end of the prompt: j + 1 tokens per pass, j = 0..n_verify */
        for (int j = 0; j <= res->n_verify; j++) {
            if (lookup_start(ctx, plain, prompt)) return 1;
            int p0 = name_position(ctx);
            double v0 = now_s();
            for (int i = 0; i < steps; i++)
                if (name_forward_all(ctx, &plain[prompt - 1], j + 1, work) != 0 || name_rewind(ctx, p0) != 0)
                    return die("forward_all", name_last_error(ctx));
            vt[(size_t)j * (size_t)repeat + (size_t)r] = now_s() - v0;
        }
    }
    res->plain = median(pt, repeat);
    res->spec = median(st, repeat);
    res->tokens_per_pass = sp.passes ? (double)sp.tokens / (double)sp.passes : 0.0;
    res->acceptance = sp.guessed ? (double)sp.accepted / (double)sp.guessed : 0.0;
    double one = median(vt, repeat);
    for (int j = 0; j <= res->n_verify; j++) res->verify[j] = one > 0 ? median(vt + (size_t)j * (size_t)repeat, repeat) / one : 0.0;
    free(toks), free(plain), free(work), free(pt), free(st), free(vt);
    return 0;
}

static void print_name(const char *s) { /* JSON-safe: the names are identifiers */
    putchar('"');
    for (; *s; s++)
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("._-+/", *s))
            putchar(*s);
    putchar('"');
}

int main(int argc, char **argv) {
    int json = 0, prompt = 128, steps = 64, repeat = 3, threads = BENCH_THREADS, lookup = 0, draft = 0;
    long probe_mib = 512;
    const char *wpath = NULL, *target = "";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (!v) { fprintf(stderr, "bench: %s needs a value\n", a); return 2; }
        i++;
        if (!strcmp(a, "-p")) prompt = atoi(v);
        else if (!strcmp(a, "-n")) steps = atoi(v);
        else if (!strcmp(a, "--repeat")) repeat = atoi(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--probe-mib")) probe_mib = atol(v);
        else if (!strcmp(a, "--weights")) wpath = v;
        else if (!strcmp(a, "--target")) target = v;
        else if (!strcmp(a, "--lookup")) lookup = atoi(v);
        else if (!strcmp(a, "--draft")) draft = atoi(v);
        else { fprintf(stderr, "bench: unknown option %s\n", a); return 2; }
    }
    if (prompt < 1 || steps < 1 || repeat < 1 || repeat > 1000 || threads < 1 || threads > 64 || probe_mib < 0 ||
        lookup < 0 || lookup > NAME_SPEC_K_MAX || draft < 0 || draft > NAME_SPEC_K_MAX) {
        fprintf(stderr, "bench: want -p >= 1, -n >= 1, 1 <= --repeat <= 1000, 1 <= --threads <= 64, --lookup <= %d\n",
                NAME_SPEC_K_MAX);
        return 2;
    }
    if (prompt + steps > NAME_CTX) {
        fprintf(stderr, "bench: -p %d + -n %d do not fit the context of %d\n", prompt, steps, NAME_CTX);
        return 2;
    }
    double *probe = calloc((size_t)repeat, sizeof *probe);
    double *pre = calloc((size_t)repeat, sizeof *pre);
    double *dec = calloc((size_t)repeat, sizeof *dec);
    int32_t *toks = malloc((size_t)prompt * sizeof *toks);
    if (!probe || !pre || !dec || !toks) return 1;
    double probe_bs = 0;
    if (probe_mib > 0) {
        if (probe_bandwidth((size_t)probe_mib, threads, repeat, probe) == 0) probe_bs = median(probe, repeat);
        else fprintf(stderr, "bench: the bandwidth probe failed (no bw_fraction)\n");
    }
    void *weights = NULL;
    size_t wn = 0;
    if (wpath && !(weights = load_file(wpath, &wn))) { fprintf(stderr, "bench: cannot read %s\n", wpath); return 1; }
    void *arena = NULL;
    if (posix_memalign(&arena, NAME_ARENA_ALIGN, NAME_ARENA_BYTES) != 0) return 1;
    memset(arena, 0, NAME_ARENA_BYTES); /* fault it in now, not in the first timed step */
    name_ctx ctx;
    int st = name_init(&ctx, arena, NAME_ARENA_BYTES, weights, wn);
    if (st != 0) return die("init", st);
#ifdef NAME_THREADS
    st = name_set_threads(&ctx, threads);
    if (st != 0) return die("set_threads", st);
#endif
    uint64_t rs = 0x2545f4914f6cdd1dull; /* fixed seed: every run feeds the same prompt */
    for (int i = 0; i < prompt; i++) {
        rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
        toks[i] = (int32_t)(rs % (uint64_t)NAME_VOCAB_SIZE);
    }
    /* warm-up: touch every weight page once */
    if (!name_forward(&ctx, toks, 1)) return die("forward", name_last_error(&ctx));
    int last = -1;
    for (int r = 0; r < repeat; r++) {
        name_reset(&ctx);
        double t0 = now_s();
        const float *lg = name_forward(&ctx, toks, prompt);
        double t1 = now_s();
        if (!lg) return die("forward", name_last_error(&ctx));
        int32_t tok = argmax(lg, NAME_VOCAB_SIZE);
        double t2 = now_s();
        for (int i = 0; i < steps; i++) {
            lg = name_forward(&ctx, &tok, 1);
            if (!lg) return die("forward", name_last_error(&ctx));
            tok = argmax(lg, NAME_VOCAB_SIZE);
        }
        double t3 = now_s();
        pre[r] = t1 > t0 ? prompt / (t1 - t0) : 0.0;
        dec[r] = t3 > t2 ? steps / (t3 - t2) : 0.0;
        if (last >= 0 && tok != last) fprintf(stderr, "bench: warning: run %d generated a different token\n", r);
        last = tok;
    }
    lookup_result lr;
    memset(&lr, 0, sizeof lr);
    draft_ctx *dctx = NULL;
#ifdef NAME_DRAFT_H
    name_draft_ctx draft_model;
    if (draft) {
        void *darena = NULL;
        if (posix_memalign(&darena, NAME_DRAFT_ARENA_ALIGN, NAME_DRAFT_ARENA_BYTES) != 0) return 1;
        memset(darena, 0, NAME_DRAFT_ARENA_BYTES);
        if ((st = name_draft_init(&draft_model, darena, NAME_DRAFT_ARENA_BYTES, NULL, 0)) != 0) return die("draft init", st);
#ifdef NAME_DRAFT_THREADS
        if ((st = name_draft_set_threads(&draft_model, threads)) != 0) return die("draft set_threads", st);
#endif
        dctx = &draft_model;
    }
#endif
    if (draft && !dctx) { fprintf(stderr, "bench: --draft: this build has no draft model\n"); return 2; }
    if (draft) lookup = draft;
    if (lookup && bench_lookup(&ctx, dctx, prompt, steps, repeat, lookup, &lr)) return 1;
    double prefill = median(pre, repeat), decode = median(dec, repeat);
    double wbs = (double)NAME_WEIGHTS_BYTES * decode;
    double frac = probe_bs > 0 ? wbs / probe_bs : 0.0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long rss = (long long)ru.ru_maxrss * 1024; /* Linux: KiB */
    if (json) {
        printf("{\"prefill_tok_s\": %.2f, \"decode_tok_s\": %.2f, \"peak_rss_bytes\": %lld, \"arena_bytes\": %llu, "
               "\"kv_bytes\": %llu, \"weight_bytes\": %llu, \"probe_gb_s\": %.3f, \"bw_fraction\": %.4f, "
               "\"decode_weight_gb_s\": %.3f, \"threads\": %d, \"prompt\": %d, \"n\": %d, \"repeat\": %d, "
               "\"ctx\": %d, \"probe_mib\": %ld, \"model\": ",
               prefill, decode, rss, (unsigned long long)NAME_ARENA_BYTES, (unsigned long long)NAME_KV_BYTES,
               (unsigned long long)NAME_WEIGHTS_BYTES, probe_bs / 1e9, frac, wbs / 1e9, threads, prompt, steps,
               repeat, NAME_CTX, probe_mib);
        print_name("name");
        printf(", \"target\": ");
        print_name(target);
        if (lookup) {
            printf(", \"%s\": {\"k\": %d, \"plain_tok_s\": %.2f, \"lookup_tok_s\": %.2f, \"speedup\": %.3f, "
                   "\"tokens_per_pass\": %.3f, \"acceptance\": %.4f, \"verify_cost\": [",
                   dctx ? "draft" : "lookup", lookup, lr.plain, lr.spec, lr.plain > 0 ? lr.spec / lr.plain : 0.0,
                   lr.tokens_per_pass, lr.acceptance);
            for (int j = 1; j <= lr.n_verify; j++) printf("%s%.3f", j > 1 ? ", " : "", lr.verify[j]);
            printf("], \"guess_cost\": %.3f}", guess_share(&lr, lookup) + (dctx ? BENCH_DRAFT_STEP : 0.0));
        }
        printf("}\n");
    } else {
        const double mib = 1024.0 * 1024.0;
        printf("model     %s%s%s, %d thread%s, median of %d runs\n", "name", *target ? " on " : "", target,
               threads, threads == 1 ? "" : "s", repeat);
        if (probe_bs > 0) printf("probe     %.2f GB/s read (%ld MiB, median of 5 passes, median of the runs)\n", probe_bs / 1e9, probe_mib);
        printf("prefill   %d tokens in one call: %.1f tok/s\n", prompt, prefill);
        printf("decode    %d tokens: %.1f tok/s = %.2f GB/s of weights", steps, decode, wbs / 1e9);
        if (probe_bs > 0) printf(" (%.1f%% of the probe)", 100.0 * frac);
        printf("\nmemory    weights %.1f MiB, arena %.1f MiB (KV %.1f MiB), peak RSS %.1f MiB\n",
               (double)NAME_WEIGHTS_BYTES / mib, (double)NAME_ARENA_BYTES / mib, (double)NAME_KV_BYTES / mib,
               (double)rss / mib);
        if (lookup) {
            printf("%s    %d guesses at most, on the model's own greedy text (%d + %d tokens): %.1f tok/s against "
                   "%.1f plain = %.2fx, %.2f tokens per pass, %.1f%% of the guesses accepted, the same tokens",
                   dctx ? "draft " : "lookup", lookup, prompt, steps, lr.spec, lr.plain, lr.plain > 0 ? lr.spec / lr.plain : 0.0,
                   lr.tokens_per_pass, 100.0 * lr.acceptance);
            if (!dctx) printf(" (a guess priced at %.2f decode steps)", (double)NAME_SPEC_GUESS_COST);
            printf("\n");
            printf("verify    time of one pass over k + 1 tokens / one decode step, k = 1..%d:", lr.n_verify);
            for (int j = 1; j <= lr.n_verify; j++) printf(" %.2f", lr.verify[j]);
            printf("\n");
            double share = guess_share(&lr, lookup), dstep = dctx ? BENCH_DRAFT_STEP : 0.0;
            printf("guess     measured %.2f decode steps of verification per guess (the dearest (verify[d] - 1) / d, "
                   "d = 1..%d; compiled %.2f)%s: lmcc run --guess-cost %.2f prices it\n", share, lookup,
                   (double)NAME_SPEC_GUESS_COST, dctx ? " + the draft step" : "", share + dstep);
        }
    }
#ifdef NAME_THREADS
    name_release(&ctx);
#endif
    free(arena);
    free(weights);
    free(toks);
    free(probe);
    free(pre);
    free(dec);
    return 0;
}
