/* emit_vocab.h - writes an lmrt_vocab as const C data, and the tokenizer part of NAME.h. */
#ifndef LMCC_EMIT_VOCAB_H
#define LMCC_EMIT_VOCAB_H

#include <stdio.h>

#include "lmrt_tokenizer.h"

/* A chat format compiler/chat.c recognises in tokenizer.chat_template: the
 * markup llama.cpp's built-in formatter (llm_chat_apply_template) writes
 * around one turn. */
typedef struct lmcc_chat_format {
    const char *name;
    const char *user_prefix, *user_suffix, *assistant_prefix, *assistant_suffix;
    int trim;                /* a turn's text loses its surrounding whitespace (C isspace) */
    const char *tokens[3];   /* the special tokens the markup is made of (NULL-padded) */
    const char *end_of_turn; /* the one that ends a turn: must end generation */
} lmcc_chat_format;

/* Writes `static const lmrt_vocab <prefix>vocab = {...};` and its arrays
 * (all static const) to out; the includer must have lmrt_tokenizer.h.
 * Returns 0, or -1 on a write error. */
int lmcc_emit_vocab(FILE *out, const lmrt_vocab *v, const char *prefix);

/* The tokenizer part of NAME.h (name: the model's prefix, up: NAME): BOS,
 * EOS, the end-of-generation ids, the encode flags and capacity, and with a
 * chat format its strings. */
int lmcc_emit_vocab_header(FILE *out, const lmrt_vocab *v, const lmcc_chat_format *chat, const char *name,
                           const char *up);

#endif
