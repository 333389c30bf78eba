/* chat_app.c - an app of a generated model's tokenizer API (tests/chat.sh builds it against
 * m.h): one user turn in the NAME_CHAT_* markup, encoded with NAME_ENCODE_ADD_SPECIAL |
 * NAME_ENCODE_PARSE_SPECIAL, printed as ids; m_is_eog against NAME_EOG_IDS.
 * usage: chat_app TEXT   (exit status 1 when a check fails) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m.h"

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    const char *text = argv[1];
    size_t cap = strlen(M_CHAT_USER_PREFIX) + strlen(text) + strlen(M_CHAT_USER_SUFFIX) +
                 strlen(M_CHAT_ASSISTANT_PREFIX) + 1;
    char *turn = malloc(cap);
    if (!turn) return 1;
    snprintf(turn, cap, "%s%s%s%s", M_CHAT_USER_PREFIX, text, M_CHAT_USER_SUFFIX, M_CHAT_ASSISTANT_PREFIX);
    size_t len = strlen(turn);
    int32_t *ids = malloc(M_ENCODE_CAP(len) * sizeof *ids);
    int n = ids ? m_encode(turn, len, M_ENCODE_ADD_SPECIAL | M_ENCODE_PARSE_SPECIAL, ids, (int)M_ENCODE_CAP(len)) : -1;
    if (n < 0) return 1;
    for (int i = 0; i < n; i++) printf("%s%d", i ? " " : "", (int)ids[i]);
    printf("\n");
    static const int eog[] = M_EOG_IDS;
    int fails = 0, n_eog = 0;
    for (int i = 0; i < M_N_EOG; i++) fails += m_is_eog(eog[i]) != 1;
    for (int id = -1; id <= M_VOCAB_SIZE; id++) n_eog += m_is_eog(id);
    if (n_eog != M_N_EOG) fails++;
    if (fails) fprintf(stderr, "chat_app: m_is_eog disagrees with M_EOG_IDS\n");
    free(turn);
    free(ids);
    return fails != 0;
}
