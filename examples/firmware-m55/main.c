/* main.c - stories260K on a Cortex-M55 with no OS, no libc and no malloc: the model (story.c from
 * `lmcc compile -t cortex-m55`) runs from a fixed prompt of token ids and prints the continuation
 * through semihosting.  Weights are const data in flash; the arena (KV cache + activations) is one
 * static buffer in SRAM. */
#include "semihost.h"
#include "story.h"

#define N_GEN 48

/* BOS and the first three tokens of stories260K's own greedy story */
static const int32_t prompt[] = {1, 461, 461, 401};

static uint8_t arena[STORY_ARENA_BYTES] __attribute__((aligned(STORY_ARENA_ALIGN)));

static void put_int(int v) {
    char b[16];
    int i = 15;
    b[i] = 0;
    do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    sh_puts(b + i);
}

int main(void) {
    story_ctx ctx;
    int st = story_init(&ctx, arena, sizeof arena, 0, 0); /* 0, 0: the blob linked into the image */
    if (st != 0) {
        sh_puts("init failed: ");
        sh_puts(story_strerror(st));
        sh_puts("\n");
        return 1;
    }
    int n = (int)(sizeof prompt / sizeof prompt[0]);
    const float *logits = story_forward(&ctx, prompt, n);
    story_sampler smp;
    story_sampler_init(&smp, 0.0f, 0, 1.0f, 0); /* greedy: the same story every run */
    char text[2048];
    int len = 0, prev = prompt[n - 1];
    for (int i = 1; i < n; i++) len += story_decode(prompt[i - 1], prompt[i], text + len, (int)sizeof text - len);
    sh_puts("tokens:");
    long t0 = sh_clock();
    for (int i = 0; i < N_GEN && logits; i++) {
        int next = story_sample(&ctx, &smp, logits);
        if (next < 0 || next == STORY_EOS) break;
        sh_puts(" ");
        put_int(next);
        int m = story_decode(prev, next, text + len, (int)sizeof text - len - 1);
        if (m > 0) len += m;
        prev = next;
        int32_t tok = next;
        if (story_position(&ctx) >= STORY_CTX) break;
        logits = story_forward(&ctx, &tok, 1);
    }
    long cs = sh_clock() - t0;
    text[len] = 0;
    sh_puts("\ntext: ");
    sh_puts(text);
    sh_puts("\ntime: ");
    put_int((int)cs);
    sh_puts(" cs (host clock, emulated)\n");
    return logits ? 0 : 1;
}
