/* emit_vocab.c - an lmrt_vocab as static const C data: arrays of numbers,
 * 20 per line (no long string literals), floats as exact hex literals. */
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
    fprintf(out, "/* tokenizer: %s, %d tokens, %d merges */\n",
            v->type == LMRT_VOCAB_SPM ? "SentencePiece BPE" : "byte-level BPE", v->n_tokens, v->n_merges);
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
    fprintf(out,
            "LMRT_API const lmrt_vocab %svocab = {\n"
            "    %d, %d, %d, /* type, pre, n_tokens */\n"
            "    %d, %d, %d, /* bos, eos, unk */\n"
            "    %d, %d, %d, /* add_bos, add_space_prefix, ignore_merges */\n"
            "    %d, %luu, %luu, /* n_merges, hash_mask, merge_mask */\n"
            "    %svocab_text, %svocab_text_off, ",
            prefix, v->type, v->pre, v->n_tokens, v->bos_id, v->eos_id, v->unk_id, v->add_bos,
            v->add_space_prefix, v->ignore_merges, v->n_merges, (unsigned long)v->hash_mask,
            (unsigned long)v->merge_mask, prefix, prefix);
    if (v->scores) fprintf(out, "%svocab_scores, ", prefix);
    else fputs("NULL, ", out);
    fprintf(out, "%svocab_types,\n    %svocab_hash, %svocab_merges, %svocab_merge_hash, %svocab_byte_tok\n};\n",
            prefix, prefix, prefix, prefix, prefix);
    fflush(out);
    return ferror(out) ? -1 : 0;
}
