/* hosted.c - template: what the hosted drivers (driver.c, bench.c) share.  Included by them; lmcc
 * stitches the text in (see codegen/template.c for the placeholders name_, NAME_ and "name"). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "name.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* the whole file, 64-byte aligned (the weights blob must be 16-aligned); NULL on failure */
static void *load_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = NULL;
    if (sz > 0 && posix_memalign(&p, 64, (size_t)sz) == 0 && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

/* "PROG: what: the status's text", exit status 1 */
static int die(const char *msg, int st) {
    fprintf(stderr, "%s: %s: %s\n", PROG, msg, name_strerror(st));
    return 1;
}

#ifdef NAME_DRAFT_H
typedef name_draft_ctx draft_ctx;
#else
typedef struct draft_ctx draft_ctx; /* no draft model in this build */
#endif

/* one speculative pass: the draft's guesses when there is one, else prompt lookup */
static int spec_pass(name_ctx *ctx, draft_ctx *dctx, name_sampler *s, name_spec *sp, int32_t *toks, int n, int cap,
                     void *work, size_t wb) {
#ifdef NAME_DRAFT_H
    if (dctx) return name_generate_draft(ctx, dctx, s, sp, toks, n, cap, work, wb);
#else
    (void)dctx;
#endif
    return name_generate_lookup(ctx, s, sp, toks, n, cap, work, wb);
}
