/* template.h - writes the fixed C of the generated files from codegen/templates/ (embedded into
 * lmcc at build time by cmake/embed_runtime.cmake): the API bodies of NAME.c and the drivers. */
#ifndef LMCC_TEMPLATE_H
#define LMCC_TEMPLATE_H

#include <stdio.h>

/* Template-time conditions: `#if TEMPLATE_<X>` ... [`#else`] `#endif` in a template keeps or drops
 * its lines when lmcc writes it (nested preprocessor lines of the template pass through). */
#define TEMPLATE_FLAG_LIST(X) \
    X(THREADED) /* --threads > 1: the thread pool */ \
    X(EMBEDDED) /* --embed incbin or array: the blob is linked in */ \
    X(ZSTD)     /* --compress=zstd: NAME_decompress_weights */ \
    X(DRAFT)    /* --draft: NAME_generate_draft over the draft model's API (name_draft_*) */

enum {
#define X(f) LMCC_TEMPLATE_##f##_BIT,
    TEMPLATE_FLAG_LIST(X)
#undef X
};
#define LMCC_TEMPLATE_FLAG(f) (1u << LMCC_TEMPLATE_##f##_BIT)

/* Writes template `tpl` (e.g. "api.c") to out: its first comment (what the template is) dropped,
 * `#include "T"` of another template replaced by T's text, identifiers starting with name_ / NAME_
 * and the strings "name" / "name.h" given the model's prefix (name, and its upper case), template
 * conditions resolved with `flags` (LMCC_TEMPLATE_FLAG(X) bits).  Returns 0, or -1 with a message. */
int lmcc_template_write(FILE *out, const char *tpl, const char *name, unsigned flags, char *err, size_t errlen);

#endif
