/* driver_baremetal.c - template of the test driver `lmcc run` / `lmcc eval` build for bare-metal
 * targets.  No OS and no libc: it takes the hosted driver's command line (gen [-p TEXT [--chat] |
 * --ids "1 2"] [-n N] [--temp T] [--top-k K] [--top-p P] [--seed S] [--print-ids]  |  eval IDS_FILE OUT.f32) from
 * the semihosting file request.txt (one argument per line), reads the ids file and writes the logits
 * (f32, one row of VOCAB_SIZE per position) with semihosting file calls, writes what the hosted
 * driver prints to stdout.txt / stderr.txt, and exits with the hosted driver's status through
 * SYS_EXIT_EXTENDED.  Arena, token buffers and the prompt encoding buffer are static (zero malloc). */
/* main.c - the test driver lmcc generated for name.h (bare metal, semihosting) */
#include "name.h"
#include "semihost.h"

static uint8_t arena[NAME_ARENA_BYTES] __attribute__((aligned(NAME_ARENA_ALIGN)));
static int32_t toks[NAME_CTX + 2];
#define PROMPT_MAX 256
#ifdef NAME_CHAT_TEMPLATE
#define CHAT_MARKUP (sizeof(NAME_CHAT_USER_PREFIX NAME_CHAT_USER_SUFFIX NAME_CHAT_ASSISTANT_PREFIX) - 1)
static char text_buf[PROMPT_MAX + CHAT_MARKUP + 1];
#else
#define CHAT_MARKUP 0
#endif
static int32_t enc[NAME_ENCODE_CAP(PROMPT_MAX + CHAT_MARKUP)];
static char req[4096];
/* eval's ids as text: the context's (a slide build: 4 times as many) */
static char idsbuf[NAME_CTX * 12 * (NAME_KV_SLIDE ? 4 : 1) + 64];
static int out_h = -1, err_h = -1;

static void put(int h, const char *s, size_t n) { if (h >= 0 && n) sh_write(h, s, n); }
static void puts_(int h, const char *s) { put(h, s, sh_strlen(s)); }
static void put_int(int h, long v) {
    char b[24];
    int i = 23;
    unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
    b[i] = 0;
    do { b[--i] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) b[--i] = '-';
    puts_(h, b + i);
}
/* v with one decimal */
static void put_rate(int h, long tokens, long cs) {
    long r10 = cs > 0 ? tokens * 1000 / cs : 0;
    put_int(h, r10 / 10);
    char d[3] = {'.', (char)('0' + r10 % 10), 0};
    puts_(h, d);
}
static int fail(const char *msg, const char *arg, int st) {
    puts_(err_h, "driver: ");
    puts_(err_h, msg);
    if (arg) { puts_(err_h, ": "); puts_(err_h, arg); }
    puts_(err_h, "\n");
    return st;
}
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
/* a decimal integer at *p (skipping blanks); 0 when there is none */
static int parse_long(const char **p, long *v) {
    const char *s = *p;
    while (is_space(*s)) s++;
    int neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    if (*s < '0' || *s > '9') return 0;
    long x = 0;
    while (*s >= '0' && *s <= '9') x = x * 10 + (*s++ - '0');
    *v = neg ? -x : x;
    *p = s;
    return 1;
}
static float parse_float(const char *s) {
    int neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    double x = 0.0, f = 1.0;
    while (*s >= '0' && *s <= '9') x = x * 10.0 + (*s++ - '0');
    if (*s == '.') for (s++; *s >= '0' && *s <= '9'; s++) x += (*s - '0') * (f *= 0.1);
    if (*s == 'e' || *s == 'E') {
        s++;
        long e = 0;
        if (parse_long(&s, &e)) for (; e > 0; e--) x *= 10.0; else e = 0;
        for (; e < 0; e++) x /= 10.0;
    }
    return (float)(neg ? -x : x);
}
static int streq(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}
#ifdef NAME_CHAT_TEMPLATE
/* appends s[0..n) to text_buf at *at */
static void append(size_t *at, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) text_buf[(*at)++] = s[i];
    text_buf[*at] = 0;
}
#endif

/* the files of the protocol with the host (LMCC_BM_* in codegen/driver_baremetal.h) */
#define BM_REQUEST "request.txt"
#define BM_STDOUT "stdout.txt"
#define BM_STDERR "stderr.txt"

static int run(void) {
    int rh = sh_open(BM_REQUEST, SH_MODE_R);
    if (rh < 0) return fail("cannot open", BM_REQUEST, 2);
    size_t rn = sh_read(rh, req, sizeof req - 1);
    sh_close(rh);
    req[rn] = 0;
    char *argv[64];
    int argc = 0;
    for (char *p = req; *p && argc < 64;) {
        argv[argc++] = p;
        while (*p && *p != '\n') p++;
        if (*p) *p++ = 0;
    }
    if (argc < 1) return fail("usage", "gen|eval ...", 2);
    const char *prompt = 0, *ids_text = 0;
    long steps = 64, top_k = 0, seed = 0;
    int print_ids = 0, chat = 0;
    float temp = 1.0f, top_p = 1.0f;
    int eval = streq(argv[0], "eval");
    if (eval && argc < 3) return fail("usage", "eval IDS OUT", 2);
    for (int i = eval ? 3 : 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (streq(a, "--print-ids")) { print_ids = 1; continue; }
        if (streq(a, "--chat")) { chat = 1; continue; }
        if (!v) return fail("option needs a value", a, 2);
        i++;
        const char *q = v;
        if (streq(a, "-p")) prompt = v;
        else if (streq(a, "--ids")) ids_text = v;
        else if (streq(a, "-n")) parse_long(&q, &steps);
        else if (streq(a, "--temp")) temp = parse_float(v);
        else if (streq(a, "--top-k")) parse_long(&q, &top_k);
        else if (streq(a, "--top-p")) top_p = parse_float(v);
        else if (streq(a, "--seed")) parse_long(&q, &seed);
        else return fail("unknown option", a, 2);
    }
    name_ctx ctx;
    int st = name_verify_weights(0, 0); /* the flashed blob, every byte */
    if (st != 0) return fail("weights", name_strerror(st), 1);
    st = name_init(&ctx, arena, sizeof arena, 0, 0);
    if (st != 0) return fail("init", name_strerror(st), 1);
    int n_toks = 0;
    if (eval) {
        int ih = sh_open(argv[1], SH_MODE_R);
        if (ih < 0) return fail("cannot read", argv[1], 1);
        size_t n = sh_read(ih, idsbuf, sizeof idsbuf - 1);
        sh_close(ih);
        if (n == sizeof idsbuf - 1) return fail("ids file larger than the driver's buffer", argv[1], 1);
        idsbuf[n] = 0;
        const char *p = idsbuf;
        long t;
        int oh = sh_open(argv[2], SH_MODE_WB);
        if (oh < 0) return fail("cannot write", argv[2], 1);
        long t0 = sh_clock();
        for (; parse_long(&p, &t); n_toks++) { /* as parsed: a slide build takes more than the context */
            int32_t tok = (int32_t)t;
            const float *lg = name_forward(&ctx, &tok, 1);
            if (!lg) { sh_close(oh); return fail("forward", name_strerror(name_last_error(&ctx)), 1); }
            size_t bytes = sizeof(float) * NAME_VOCAB_SIZE;
            if (sh_write(oh, lg, bytes) != bytes) { sh_close(oh); return fail("write error", argv[2], 1); }
        }
        long dt = sh_clock() - t0;
        sh_close(oh);
        puts_(err_h, "eval: ");
        put_int(err_h, n_toks);
        puts_(err_h, " positions, ");
        put_rate(err_h, n_toks, dt);
        puts_(err_h, " tok/s (emulated)\n");
        return 0;
    }
    if (ids_text) {
        const char *p = ids_text;
        long t;
        while (parse_long(&p, &t)) {
            if (n_toks >= NAME_CTX) return fail("too many ids", 0, 1);
            toks[n_toks++] = (int32_t)t;
        }
    } else {
        const char *text = prompt ? prompt : "";
        size_t len = sh_strlen(text);
        if (len > PROMPT_MAX) return fail("prompt longer than the driver's buffer", 0, 1);
#ifdef NAME_CHAT_TEMPLATE
        if (chat) { /* one user turn and the start of the reply, in name.h's chat markup */
            if (NAME_CHAT_TRIM) {
                while (len && (*text == ' ' || (*text >= '\t' && *text <= '\r'))) text++, len--;
                while (len && (text[len - 1] == ' ' || (text[len - 1] >= '\t' && text[len - 1] <= '\r'))) len--;
            }
            size_t at = 0;
            append(&at, NAME_CHAT_USER_PREFIX, sizeof NAME_CHAT_USER_PREFIX - 1);
            append(&at, text, len);
            append(&at, NAME_CHAT_USER_SUFFIX, sizeof NAME_CHAT_USER_SUFFIX - 1);
            append(&at, NAME_CHAT_ASSISTANT_PREFIX, sizeof NAME_CHAT_ASSISTANT_PREFIX - 1);
            text = text_buf;
            len = at;
        }
#endif /* else --chat takes the raw text (lmcc run said so) */
        int n = name_encode(text, len, NAME_ENCODE_ADD_SPECIAL | NAME_ENCODE_PARSE_SPECIAL, enc,
                            (int)(sizeof enc / sizeof enc[0]));
        if (n < 0) return fail("encode", name_strerror(n), 1);
        if (n > NAME_CTX) return fail("prompt longer than the context", 0, 1);
        for (int i = 0; i < n; i++) toks[i] = enc[i];
        n_toks = n;
    }
    if (n_toks == 0) return fail("empty prompt", 0, 1);
    name_sampler smp;
    name_sampler_init(&smp, temp, (int)top_k, top_p, (uint64_t)seed);
    long t0 = sh_clock();
    const float *lg = name_forward(&ctx, toks, n_toks);
    if (!lg) return fail("forward", name_strerror(name_last_error(&ctx)), 1);
    long t1 = sh_clock();
    int prev = toks[n_toks - 1], generated = 0;
    char piece[256];
    if (!print_ids && !ids_text && !chat) /* a chat reply is printed alone */
        for (int i = 0; i < n_toks; i++) {
            int m = name_decode(i ? toks[i - 1] : -1, toks[i], piece, (int)sizeof piece);
            if (m > 0) put(out_h, piece, (size_t)m);
        }
    for (long i = 0; i < steps; i++) {
        int next = name_sample(&ctx, &smp, lg);
        if (next < 0) return fail("sample", name_strerror(next), 1);
        if (name_is_eog(next)) { puts_(err_h, "\n(end of generation)\n"); break; }
        generated++;
        if (print_ids) {
            if (i) puts_(out_h, " ");
            put_int(out_h, next);
        } else {
            int m = name_decode(prev, next, piece, (int)sizeof piece);
            if (m > 0) put(out_h, piece, (size_t)m);
        }
        prev = next;
        if (i + 1 == steps) break;
        if (!NAME_KV_SLIDE && name_position(&ctx) >= NAME_CTX) { puts_(err_h, "\n(context full)\n"); break; }
        int32_t tok = next;
        lg = name_forward(&ctx, &tok, 1);
        if (!lg) return fail("forward", name_strerror(name_last_error(&ctx)), 1);
    }
    long t2 = sh_clock();
    puts_(out_h, "\n");
    puts_(err_h, "prompt ");
    put_int(err_h, n_toks);
    puts_(err_h, " tokens ");
    put_rate(err_h, n_toks, t1 - t0);
    puts_(err_h, " tok/s, generated ");
    put_int(err_h, generated);
    puts_(err_h, " tokens ");
    put_rate(err_h, generated, t2 - t1);
    puts_(err_h, " tok/s (emulated)\n");
    name_release(&ctx);
    return 0;
}

int main(void) {
    out_h = sh_open(BM_STDOUT, SH_MODE_W);
    err_h = sh_open(BM_STDERR, SH_MODE_W);
    int st = run();
    if (out_h >= 0) sh_close(out_h);
    if (err_h >= 0) sh_close(err_h);
    return st;
}
