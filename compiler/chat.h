/* chat.h - the chat format of a model: its family recognised in
 * tokenizer.chat_template by the markers llama.cpp's llm_chat_detect_template
 * tests, in its order, and one user turn in that family's markup. */
#ifndef LMCC_CHAT_H
#define LMCC_CHAT_H

#include "emit_vocab.h"
#include "gguf.h"

/* The format a template names (or is the name of), or NULL when it is none
 * lmcc formats. */
const lmcc_chat_format *lmcc_chat_detect(const char *tmpl, size_t len);

/* The format of f's tokenizer.chat_template.  NULL with *why a phrase for a
 * note ("has no chat template ...") when there is none lmcc formats. */
const lmcc_chat_format *lmcc_chat_from_gguf(const gguf_file *f, const char **why);

/* 0 when the vocabulary can carry the format: its markup tokens are special
 * tokens and its end of turn ends generation; else -1 with the reason in why. */
int lmcc_chat_check(const lmcc_chat_format *c, const lmrt_vocab *v, char *why, size_t cap);

/* One user turn and the start of the reply (malloc'd; NULL when out of memory). */
char *lmcc_chat_format_turn(const lmcc_chat_format *c, const char *text);

/* "chatml, llama3, gemma, phi3, phi4" */
const char *lmcc_chat_names(void);

#endif
