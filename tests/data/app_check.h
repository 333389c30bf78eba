/* app_check.h - what the generated-API test programs (kv_state.c, kv_slide.c, step_slices.c, spec.c)
 * share.  Include after the model's header (M_ARENA_ALIGN); the including file defines `static int
 * fails`, and with APP_CHECK_FEED the tokens `toks` and their logits `ref[][M_VOCAB_SIZE]`. */
#ifndef APP_CHECK_H
#define APP_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, ...) do { if (cond) printf("ok: " __VA_ARGS__); else { fails++; printf("FAIL: " __VA_ARGS__); } printf("\n"); } while (0)

/* an arena filled with 0xa5, not zero: nothing may depend on a fresh arena's contents */
static unsigned char *arena_new(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, M_ARENA_ALIGN, n) != 0) exit(2);
    memset(p, 0xa5, n);
    return p;
}

#ifdef APP_CHECK_FEED
/* feeds toks[from..to) one at a time; 1 if every logit row equals ref bit for bit */
static int feed_same(m_ctx *c, int from, int to) {
    for (int i = from; i < to; i++) {
        const float *l = m_forward(c, &toks[i], 1);
        if (!l || memcmp(l, ref[i], sizeof ref[i])) return 0;
    }
    return 1;
}
#endif

#endif
