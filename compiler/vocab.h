/* vocab.h - builds runtime-min's lmrt_vocab (tokenizer tables) for a model.
 *
 * The vocabulary, its text -> id hash table, the BPE merge table and the
 * byte -> token table live in one allocation owned by the returned pointer.
 */
#ifndef LMCC_VOCAB_H
#define LMCC_VOCAB_H

#include "gguf.h"
#include "lmrt_tokenizer.h"

/* From the tokenizer.ggml.* keys of f.  An absent or unsupported tokenizer
 * model or pre-tokenizer is an lmcc_error(path, ...) and NULL. */
lmrt_vocab *lmcc_vocab_from_gguf(const gguf_file *f, const char *path);

/* The vocabulary llama.cpp's llama2.c converter writes when it has no
 * tokenizer: 0 "<unk>", 1 "<s>" (BOS), 2 "</s>" (EOS), i >= 3 "[i]"; SPM. */
lmrt_vocab *lmcc_vocab_placeholder(int n_vocab);

void lmcc_vocab_free(lmrt_vocab *v);
/* 0 if b tokenizes as a does (tokenizer model, every token's text and type, BOS/EOS and the
 * end-of-generation set), else -1 with the first difference in why. */
int lmcc_vocab_same(const lmrt_vocab *a, const lmrt_vocab *b, char *why, size_t cap);

#endif
