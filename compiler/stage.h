/* stage.h - all-or-nothing output: codegen writes into a staging directory
 * inside OUTDIR, lmcc checks the files there (--verify, sizes, budgets), and
 * only then moves them into OUTDIR.  A failed check leaves OUTDIR untouched. */
#ifndef LMCC_STAGE_H
#define LMCC_STAGE_H

#include "target.h"

#include <stddef.h>
#include <stdio.h>

/* Creates OUTDIR/.lmcc-stage-XXXXXX; 0, or -1 after lmcc_error. */
int lmcc_stage_open(const char *outdir, char *stage, size_t cap);
/* Renames every file of stage into outdir, removes stage; 0 or -1. */
int lmcc_stage_commit(const char *stage, const char *outdir);
/* Removes stage and its files. */
void lmcc_stage_abort(const char *stage);

typedef struct lmcc_stage_check {
    const char *model;           /* names the model in budget errors */
    const char *name;            /* NAME of NAME.h / NAME.c / NAME.weights */
    int verify;                  /* libclang-parse NAME.c (see verify.h) */
    int measure_code;            /* compile NAME.c with the target cc for code bytes */
    long long budget_ram;        /* > 0: NAME_ARENA_BYTES must fit */
    long long budget_flash;      /* > 0: NAME.weights + code must fit */
    FILE *log;                   /* gets the one-line size report (NULL: none) */
} lmcc_stage_check;

/* Checks the staged build: --verify, then sizes (weights = NAME.weights as
 * written, compressed or not; arena and KV from NAME.h; code = text + data of
 * NAME.c's object when the target's cc is installed), printed as one line,
 * then the budgets.  0, or -1 after lmcc_error. */
int lmcc_stage_check_build(const lmcc_target *t, const char *stage, const char *outdir, const lmcc_stage_check *c);

/* "123", "64K", "1.5M", "2G" (K = 1024) -> bytes; -1 when malformed. */
long long lmcc_parse_bytes(const char *s);

/* --compress: NULL -> 0 (off), "zstd" -> LMCC_ZSTD_DEFAULT_LEVEL, "zstd:N";
 * -1 after lmcc_error when malformed. */
int lmcc_parse_compress(const char *s, int *level);
/* --kv-policy: stop (*sink = -1) or slide[:SINK] (*sink = SINK, default LMCC_KV_SINK_DEFAULT) */
#define LMCC_KV_SINK_DEFAULT 4
#define LMCC_KV_SINK_MAX 1024
int lmcc_parse_kv_policy(const char *s, int *sink);

#endif
