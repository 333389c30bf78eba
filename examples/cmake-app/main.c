/* generate: a small text generator built on the API lmcc generates for the
 * model compiled by lmcc_add_model(... NAME story ...).
 *
 *   generate [-n STEPS] [--temp T] [--seed S] [--ids "1 2 3"] [--print-ids] [PROMPT]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "story.h"

/* One context: all of its state lives here (no malloc in the model code). */
static _Alignas(STORY_ARENA_ALIGN) unsigned char arena[STORY_ARENA_BYTES];
static int32_t prompt_ids[STORY_CTX];

static int die(const char *what, int status) {
    fprintf(stderr, "generate: %s: %s\n", what, story_strerror(status));
    return 1;
}

static int parse_ids(const char *text) {
    int n = 0;
    char *end;
    for (const char *p = text;; p = end) {
        long id = strtol(p, &end, 10);
        if (end == p) break;
        if (n == STORY_CTX || id < 0 || id >= STORY_VOCAB_SIZE) return -1;
        prompt_ids[n++] = (int32_t)id;
    }
    return n;
}

static int encode_prompt(const char *text) {
    size_t len = strlen(text);
    int cap = (int)STORY_ENCODE_CAP(len);
    int32_t *buf = malloc((size_t)cap * sizeof *buf); /* the tokenizer works in place: needs slack */
    if (!buf) return -1;
    int n = story_encode(text, len, 1, buf, cap);
    if (n > STORY_CTX) n = -1;
    if (n > 0) memcpy(prompt_ids, buf, (size_t)n * sizeof *buf);
    free(buf);
    return n;
}

int main(int argc, char **argv) {
    int steps = 64, print_ids = 0;
    float temp = 0.8f;
    unsigned long long seed = 42;
    const char *ids = NULL, *prompt = "Once upon a time";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--temp") && i + 1 < argc) temp = (float)atof(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--ids") && i + 1 < argc) ids = argv[++i];
        else if (!strcmp(argv[i], "--print-ids")) print_ids = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [-n STEPS] [--temp T] [--seed S] [--ids \"1 2 3\"] [--print-ids] [PROMPT]\n",
                    argv[0]);
            return 2;
        } else prompt = argv[i];
    }

    int n = ids ? parse_ids(ids) : encode_prompt(prompt);
    if (n <= 0) {
        fprintf(stderr, "generate: bad or empty prompt (at most %d tokens)\n", STORY_CTX);
        return 1;
    }

    story_ctx ctx;
    int rc = story_init(&ctx, arena, sizeof arena, NULL, 0); /* NULL, 0: the weights linked into this program */
    if (rc != STORY_OK) return die("init", rc);
    story_sampler sampler;
    story_sampler_init(&sampler, temp, 0, 1.0f, seed);

    const float *logits = story_forward(&ctx, prompt_ids, n);
    int prev = prompt_ids[n - 1];
    if (!print_ids) {
        for (int i = 0; i < n; i++) {
            char piece[256];
            int m = story_decode(i ? prompt_ids[i - 1] : -1, prompt_ids[i], piece, (int)sizeof piece);
            if (m > 0) fwrite(piece, 1, (size_t)m, stdout);
        }
    }
    for (int i = 0; i < steps && logits; i++) {
        int next = story_sample(&ctx, &sampler, logits);
        if (next < 0) { story_release(&ctx); return die("sample", next); }
        if (print_ids) printf("%s%d", i ? " " : "", next);
        else {
            char piece[256];
            int m = story_decode(prev, next, piece, (int)sizeof piece);
            if (m > 0) fwrite(piece, 1, (size_t)m, stdout);
        }
        prev = next;
        if (i + 1 == steps || next == STORY_EOS || story_position(&ctx) >= STORY_CTX) break;
        int32_t tok = next;
        logits = story_forward(&ctx, &tok, 1);
    }
    printf("\n");
    rc = logits ? STORY_OK : story_last_error(&ctx);
    story_release(&ctx);
    return rc == STORY_OK ? 0 : die("forward", rc);
}
