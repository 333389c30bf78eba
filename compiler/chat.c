/* chat.c - chat formats: recognising a template's family, formatting one turn.
 *
 * The formats are the markup llama.cpp's built-in formatter
 * (llm_chat_apply_template, src/llama-chat.cpp) writes for a family; the
 * header carries them as NAME_CHAT_* strings.  A template's own extras (a
 * default system message, a date) are not reproduced: a Jinja engine would
 * be needed, and some of them change from day to day. */
#include "chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* X(id, name, user prefix, user suffix, assistant prefix, assistant suffix, trim, markup tokens, end of turn) */
#define LMCC_CHAT_LIST(X)                                                                                       \
    X(CHATML, "chatml", "<|im_start|>user\n", "<|im_end|>\n", "<|im_start|>assistant\n", "<|im_end|>\n", 0,   \
      ("<|im_start|>", "<|im_end|>", NULL), "<|im_end|>")                                                       \
    X(LLAMA3, "llama3", "<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|>",                         \
      "<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>", 1,                                   \
      ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"), "<|eot_id|>")                                 \
    X(GEMMA, "gemma", "<start_of_turn>user\n", "<end_of_turn>\n", "<start_of_turn>model\n", "<end_of_turn>\n", \
      1, ("<start_of_turn>", "<end_of_turn>", NULL), "<end_of_turn>")                                           \
    X(PHI3, "phi3", "<|user|>\n", "<|end|>\n", "<|assistant|>\n", "<|end|>\n", 0,                             \
      ("<|user|>", "<|assistant|>", "<|end|>"), "<|end|>")                                                      \
    X(PHI4, "phi4", "<|im_start|>user<|im_sep|>", "<|im_end|>", "<|im_start|>assistant<|im_sep|>", "<|im_end|>", \
      0, ("<|im_start|>", "<|im_sep|>", "<|im_end|>"), "<|im_end|>")

#define CHAT_TOKENS(a, b, c) {a, b, c}
enum {
#define X(id, name, up, us, ap, as, trim, tokens, eot) CHAT_##id,
    LMCC_CHAT_LIST(X)
#undef X
    CHAT_N,
    CHAT_OTHER = CHAT_N /* a family llama.cpp knows and lmcc does not format */
};

static const lmcc_chat_format chat_formats[CHAT_N] = {
#define X(id, name, up, us, ap, as, trim, tokens, eot) {name, up, us, ap, as, trim, CHAT_TOKENS tokens, eot},
    LMCC_CHAT_LIST(X)
#undef X
};

/* llm_chat_detect_template's tests in its order, up to the last family lmcc
 * formats, so a template of another family is never taken for one of these:
 * X(marker, second marker or NULL, the marker must start the template, family) */
#define LMCC_CHAT_DETECT(X)                                                                \
    X("<|im_start|>", "<|im_sep|>", 0, PHI4)                                               \
    X("<|im_start|>", "<end_of_utterance>", 0, OTHER) /* SmolVLM */                       \
    X("<|im_start|>", NULL, 0, CHATML)                                                     \
    X("mistral", NULL, 1, OTHER)                                                           \
    X("[INST]", NULL, 0, OTHER)                                                            \
    X("<|assistant|>", "<|end|>", 0, PHI3)                                                 \
    X("[gMASK]<sop>", NULL, 0, OTHER)                                                      \
    X("<|assistant|>", "<|user|>", 0, OTHER)                                               \
    X("<|{{ item['role'] }}|>", "<|begin_of_image|>", 0, OTHER)                            \
    X("<|user|>", "<|endoftext|>", 0, OTHER)                                               \
    X("bos_token + message['role']", NULL, 0, OTHER)                                       \
    X("<start_of_turn>", NULL, 0, GEMMA)                                                   \
    X("'\\n\\nAssistant: ' + eos_token", NULL, 0, OTHER)                                   \
    X("GPT4 Correct ", NULL, 0, OTHER)                                                     \
    X("USER: ", "ASSISTANT: ", 0, OTHER)                                                   \
    X("### Instruction:", "<|EOT|>", 0, OTHER)                                             \
    X("<|START_OF_TURN_TOKEN|>", "<|USER_TOKEN|>", 0, OTHER)                               \
    X("<|start_header_id|>", "<|end_header_id|>", 0, LLAMA3)

typedef struct chat_rule { const char *a, *b; int at_start, family; } chat_rule;
static const chat_rule chat_rules[] = {
#define X(a, b, at_start, family) {a, b, at_start, CHAT_##family},
    LMCC_CHAT_DETECT(X)
#undef X
};

static int contains(const char *s, size_t n, const char *m) {
    size_t k = strlen(m);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (s[i] == m[0] && memcmp(s + i, m, k) == 0) return 1;
    return 0;
}

const lmcc_chat_format *lmcc_chat_detect(const char *tmpl, size_t len) {
    for (int f = 0; f < CHAT_N; f++) /* a template may be a family's name */
        if (strlen(chat_formats[f].name) == len && !memcmp(chat_formats[f].name, tmpl, len)) return &chat_formats[f];
    for (size_t i = 0; i < sizeof chat_rules / sizeof chat_rules[0]; i++) {
        const chat_rule *r = &chat_rules[i];
        int hit = r->at_start ? len >= strlen(r->a) && !memcmp(tmpl, r->a, strlen(r->a)) : contains(tmpl, len, r->a);
        if (hit && (!r->b || contains(tmpl, len, r->b)))
            return r->family == CHAT_OTHER ? NULL : &chat_formats[r->family];
    }
    return NULL;
}

const char *lmcc_chat_names(void) {
    static char names[128];
    size_t n = 0;
    for (int f = 0; f < CHAT_N && n < sizeof names; f++)
        n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", f ? ", " : "", chat_formats[f].name);
    return names;
}

const lmcc_chat_format *lmcc_chat_from_gguf(const gguf_file *f, const char **why) {
    static char msg[256];
    const gguf_kv *kv = gguf_find(f, "tokenizer.chat_template");
    if (!kv || kv->val.type != GGUF_T_STRING) {
        *why = "has no chat template (tokenizer.chat_template)";
        return NULL;
    }
    const lmcc_chat_format *c = lmcc_chat_detect(kv->val.v.s.ptr, (size_t)kv->val.v.s.len);
    if (!c) {
        snprintf(msg, sizeof msg, "has a chat template of no family lmcc formats (%s)", lmcc_chat_names());
        *why = msg;
    }
    return c;
}

int lmcc_chat_check(const lmcc_chat_format *c, const lmrt_vocab *v, char *why, size_t cap) {
    for (int i = 0; i < 3 && c->tokens[i]; i++) {
        int32_t id = lmrt_vocab_find_special(v, (const uint8_t *)c->tokens[i], strlen(c->tokens[i]));
        if (id < 0) {
            snprintf(why, cap, "the %s chat format needs %s, which is no special token of the vocabulary", c->name,
                     c->tokens[i]);
            return -1;
        }
    }
    int32_t eot = lmrt_vocab_find_special(v, (const uint8_t *)c->end_of_turn, strlen(c->end_of_turn));
    if (!lmrt_token_is_eog(v, eot)) {
        snprintf(why, cap, "the %s chat format ends a turn with %s, which does not end generation in this vocabulary",
                 c->name, c->end_of_turn);
        return -1;
    }
    return 0;
}

static int is_space(char ch) { return ch == ' ' || (ch >= '\t' && ch <= '\r'); }

char *lmcc_chat_format_turn(const lmcc_chat_format *c, const char *text) {
    size_t n = strlen(text);
    if (c->trim) {
        while (n && is_space(*text)) text++, n--;
        while (n && is_space(text[n - 1])) n--;
    }
    size_t cap = strlen(c->user_prefix) + n + strlen(c->user_suffix) + strlen(c->assistant_prefix) + 1;
    char *s = malloc(cap);
    if (s) snprintf(s, cap, "%s%.*s%s%s", c->user_prefix, (int)n, text, c->user_suffix, c->assistant_prefix);
    return s;
}
