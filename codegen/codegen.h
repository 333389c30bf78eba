/* codegen.h - emits NAME.h, NAME.c, NAME.weights (+ the blob's link stub).
 * Depends on ir/ and passes/ (run them first: codegen needs planned offsets). */
#ifndef LMCC_CODEGEN_H
#define LMCC_CODEGEN_H

#include "emit_vocab.h"
#include "ir.h"
#include "target.h"

enum { LMCC_EMBED_INCBIN, LMCC_EMBED_ARRAY, LMCC_EMBED_EXTERNAL };

typedef struct lmcc_codegen_opts {
    const char *outdir;
    const char *name;         /* C identifier, prefix of every symbol */
    int embed;                /* LMCC_EMBED_* */
    const char *model_path;   /* for the banner */
    const char *version;      /* lmcc version, for the banner */
    int verbose;
    FILE *log;
    int zstd_level;           /* > 0: NAME.weights is one zstd frame of the blob (hosted targets; -lzstd) */
    const lmcc_chat_format *chat; /* NULL: no chat format recognised, no NAME_CHAT_* in NAME.h */
    const char *draft_name;   /* --draft: the draft's prefix (NAME_draft), whose header NAME.h includes */
} lmcc_codegen_opts;

/* Places the weights in the blob (sets blob_offset, g->weights_bytes) and
 * writes all files to temporary names, renaming them into place only when
 * everything succeeded.  Returns 0, or -1 with a message in err. */
int lmcc_codegen(ir_graph *g, const lmcc_target *t, const lmcc_codegen_opts *o, char *err, size_t errlen);

/* The upper-case form of NAME used for macros (NAME_ARENA_BYTES...). */
void lmcc_upper_name(const char *name, char *up, size_t cap);

/* NAME_ARENA_BYTES: the planned arena plus the generated code's control block. */
int64_t lmcc_arena_total(const ir_graph *g);
/* KV-cache bytes per position, every layer (NAME_KV_ROW_BYTES). */
int64_t lmcc_kv_row_bytes(const ir_graph *g);
/* bytes of every sliding-window ring (a KV cache of fixed slots, whatever the context) */
int64_t lmcc_kv_ring_bytes(const ir_graph *g);
/* KV bytes of the compiled context: its caches of every position (ir_kv_rows) and the rings */
int64_t lmcc_kv_bytes(const ir_graph *g);

/* Writes OUTDIR/main.c: a hosted driver program for `lmcc run` / `lmcc eval`. */
int lmcc_emit_driver(const char *path, const char *name, char *err, size_t errlen);

/* Files written for an embed mode (for the build command): "NAME_weights.S",
 * "NAME_weights.c" or NULL. */
const char *lmcc_blob_stub_suffix(int embed);

#define LMCC_BLOB_ALIGN 64

#endif
