/* target.h - target descriptions.  A target is a small text file in
 * targets/ (`key = value` lines, `#` comments) read at compile time, so a new
 * device is a new file, not new code.  Keys:
 *   name, description, triple, cc, cflags, vector_bits, features,
 *   int4_tile (ROWSxCOLS: rows interleaved per block x block width, for q4_0 weights and, unless
 *   int8_tile is given, q8_0 ones), int8_tile (the same for q8_0 weights),
 *   kernels (which runtime-min kernel set codegen stitches in),
 *   hosted (yes: has an OS, may use threads; no: bare metal),
 *   batch (tokens per prefill chunk the kernels are tuned for; default 1),
 *   emulator (command prefix to run a cross-built binary; empty = native),
 *   bare metal (hosted = no): startup, linker_script (files relative to the
 *   targets dir, resolved to absolute paths), ldflags, flash_bytes, ram_bytes
 *   (the device's memory, 0 = unknown). */
#ifndef LMCC_TARGET_H
#define LMCC_TARGET_H

#include <stddef.h>
#include <stdio.h>

typedef struct lmcc_target {
    char name[32];
    char description[128];
    char triple[64];
    char cc[128];
    char cflags[256];
    int vector_bits;
    char features[128];
    int tile_rows, tile_cols;
    int tile_rows_q8; /* int8_tile's rows (0: not given, tile_rows applies) */
    char kernels[32];
    int hosted;
    int batch;
    char emulator[128];
    char startup[512];        /* absolute after parsing; empty = none */
    char linker_script[512];  /* absolute after parsing; empty = none */
    char ldflags[256];
    long long flash_bytes, ram_bytes;
    char path[512];        /* the file it was read from */
} lmcc_target;

/* Parses a target file.  Returns 0, or -1 with a one-line message in err
 * ("line 3: unknown key 'foo'"). */
int lmcc_target_parse(const char *path, lmcc_target *t, char *err, size_t errlen);

#endif
