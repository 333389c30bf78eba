/* emit_vocab.c - an lmrt_vocab as static const C data: arrays of numbers,
 * 20 per line (no long string literals), floats as exact hex literals; and
 * the tokenizer constants of NAME.h. */
#include "emit_vocab.h"

#include <math.h>

static void emit_u32s(FILE *out, const char *prefix, const char *type, const char *name,
                      const void *data, size_t n, int is_signed) {
    fprintf(out, "static const %s %svocab_%s[%zu] = {", type, prefix, name, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        if (i % 20 == 0) fputs("\n   ", out);
        if (is_signed) fprintf(out, " %ld,", (long)((const int32_t *)data)[i]);
        else fprintf(out, " %lu,", (unsigned long)((const uint32_t *)data)[i]);
    }
    fputs(n ? "\n};\n" : " 0 };\n", out);
}

static void emit_u8s(FILE *out, const char *prefix, const char *name, const uint8_t *data, size_t n) {
    fprintf(out, "static const uint8_t %svocab_%s[%zu] = {", prefix, name, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        if (i % 20 == 0) fputs("\n   ", out);
        fprintf(out, " %u,", data[i]);
    }
    fputs(n ? "\n};\n" : " 0 };\n", out);
}

int lmcc_emit_vocab(FILE *out, const lmrt_vocab *v, const char *prefix) {
    size_t n = (size_t)v->n_tokens;
    fprintf(out, "/* tokenizer: %s, %d tokens, %d merges, %d end-of-generation tokens */\n",
            v->type == LMRT_VOCAB_SPM ? "SentencePiece BPE" : "byte-level BPE", v->n_tokens, v->n_merges, v->n_eog);
    emit_u8s(out, prefix, "text", v->text, v->text_off[n]);
    emit_u32s(out, prefix, "uint32_t", "text_off", v->text_off, n + 1, 0);
    if (v->scores) {
        fprintf(out, "static const float %svocab_scores[%zu] = {", prefix, n);
        for (size_t i = 0; i < n; i++) {
            float s = v->scores[i];
            if (i % 8 == 0) fputs("\n   ", out);
            /* no inf in freestanding C without math.h: the lowest float ranks the same */
            if (!isfinite(s)) s = -3.40282347e38f;
            fprintf(out, " %af,", (double)s);
        }
        fputs("\n};\n", out);
    }
    emit_u8s(out, prefix, "types", v->types, n);
    emit_u32s(out, prefix, "int32_t", "hash", v->hash, (size_t)v->hash_mask + 1, 1);
    emit_u32s(out, prefix, "int32_t", "merges", v->merges, 3 * (size_t)v->n_merges, 1);
    emit_u32s(out, prefix, "int32_t", "merge_hash", v->merge_hash, (size_t)v->merge_mask + 1, 1);
    emit_u32s(out, prefix, "int32_t", "byte_tok", v->byte_tok, 256, 1);
    emit_u32s(out, prefix, "int32_t", "special_lens", v->special_lens, (size_t)v->n_special_lens, 1);
    emit_u32s(out, prefix, "int32_t", "special_hash", v->special_hash, (size_t)v->special_mask + 1, 1);
    emit_u8s(out, prefix, "special_first", v->special_first, 32);
    emit_u32s(out, prefix, "int32_t", "eog_ids", v->eog_ids, (size_t)v->n_eog, 1);
    fprintf(out,
            "LMRT_API const lmrt_vocab %svocab = {\n"
            "    .type = %d, .pre = %d, .n_tokens = %d,\n"
            "    .bos_id = %d, .eos_id = %d, .unk_id = %d, .add_bos = %d, .add_eos = %d,\n"
            "    .add_space_prefix = %d, .ignore_merges = %d,\n"
            "    .n_merges = %d, .hash_mask = %luu, .merge_mask = %luu,\n"
            "    .text = %svocab_text, .text_off = %svocab_text_off, .scores = ",
            prefix, v->type, v->pre, v->n_tokens, v->bos_id, v->eos_id, v->unk_id, v->add_bos, v->add_eos,
            v->add_space_prefix, v->ignore_merges, v->n_merges, (unsigned long)v->hash_mask,
            (unsigned long)v->merge_mask, prefix, prefix);
    if (v->scores) fprintf(out, "%svocab_scores,\n", prefix);
    else fputs("NULL,\n", out);
    fprintf(out,
            "    .types = %svocab_types, .hash = %svocab_hash, .merges = %svocab_merges,\n"
            "    .merge_hash = %svocab_merge_hash, .byte_tok = %svocab_byte_tok,\n"
            "    .n_special_lens = %d, .special_mask = %luu, .special_lens = %svocab_special_lens,\n"
            "    .special_hash = %svocab_special_hash, .special_first = %svocab_special_first,\n"
            "    .n_eog = %d, .eog_ids = %svocab_eog_ids\n};\n",
            prefix, prefix, prefix, prefix, prefix, v->n_special_lens, (unsigned long)v->special_mask, prefix,
            prefix, prefix, v->n_eog, prefix);
    fflush(out);
    return ferror(out) ? -1 : 0;
}

/* s as a C string literal */
static void emit_c_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n') fputs("\\n", out);
        else if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p >= 0x20 && *p < 0x7f) fputc(*p, out);
        else fprintf(out, "\\%03o", *p); /* octal: never runs into the next character */
    }
    fputc('"', out);
}

int lmcc_emit_vocab_header(FILE *out, const lmrt_vocab *v, const lmcc_chat_format *chat, const char *name,
                           const char *up) {
    fprintf(out, "/* ---- tokenizer ---- */\n");
    fprintf(out, "#define %s_BOS %d\n#define %s_EOS %d\n", up, v->bos_id, up, v->eos_id);
    fprintf(out, "#define %s_ADD_BOS %d /* %s_ENCODE_ADD_SPECIAL starts the ids with BOS */\n", up,
            v->add_bos && v->bos_id >= 0, up);
    fprintf(out, "/* end-of-generation tokens (eos, eot, eom and the rest of llama.cpp's EOG set): stop\n"
                 " * generating when one is sampled; %s_is_eog(id) tells */\n", name);
    fprintf(out, "#define %s_N_EOG %d\n#define %s_EOG_IDS {", up, v->n_eog, up);
    for (int i = 0; i < v->n_eog; i++) fprintf(out, "%s%d", i ? ", " : " ", (int)v->eog_ids[i]);
    fprintf(out, v->n_eog ? " }\n" : " -1 } /* none */\n");
    fprintf(out, "/* %s_encode flags (llama.cpp's add_special and parse_special) */\n", name);
    fprintf(out, "#define %s_ENCODE_ADD_SPECIAL %d   /* BOS (and EOS) where the model's tokenizer asks for them */\n",
            up, LMRT_TOK_ADD_SPECIAL);
    fprintf(out, "#define %s_ENCODE_PARSE_SPECIAL %d /* control tokens written in the text become their ids */\n",
            up, LMRT_TOK_PARSE_SPECIAL);
    fprintf(out, "/* ids capacity %s_encode needs for len bytes of text (it works in place in ids) */\n", name);
    fprintf(out, "#define %s_ENCODE_CAP(len) (%d * (size_t)(len) + %d)\n", up, LMRT_TOK_CAP_PER_BYTE,
            LMRT_TOK_CAP_BASE);
    if (chat) {
        fprintf(out, "/* chat (tokenizer.chat_template is %s): one user turn is USER_PREFIX text USER_SUFFIX,\n"
                     " * then ASSISTANT_PREFIX starts the reply, which ends with an end-of-generation token;\n"
                     " * encode with %s_ENCODE_ADD_SPECIAL | %s_ENCODE_PARSE_SPECIAL */\n", chat->name, up, up);
        fprintf(out, "#define %s_CHAT_TEMPLATE ", up);
        emit_c_string(out, chat->name);
        fprintf(out, "\n#define %s_CHAT_USER_PREFIX ", up);
        emit_c_string(out, chat->user_prefix);
        fprintf(out, "\n#define %s_CHAT_USER_SUFFIX ", up);
        emit_c_string(out, chat->user_suffix);
        fprintf(out, "\n#define %s_CHAT_ASSISTANT_PREFIX ", up);
        emit_c_string(out, chat->assistant_prefix);
        fprintf(out, "\n#define %s_CHAT_ASSISTANT_SUFFIX ", up);
        emit_c_string(out, chat->assistant_suffix);
        fprintf(out, "\n#define %s_CHAT_TRIM %d /* 1: strip whitespace around a turn's text first */\n", up,
                chat->trim);
    }
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}
