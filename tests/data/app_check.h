/* app_check.h - what the generated-API test programs (kv_state.c, step_slices.c, spec.c) share.
 * Include after the model's header (M_ARENA_ALIGN); the including file defines `static int fails`. */
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

#endif
