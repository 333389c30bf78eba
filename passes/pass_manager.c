/* pass_manager.c - runs the pipeline, verifying the graph after every pass. */
#include "passes.h"

#include <stdio.h>
#include <string.h>

const lmcc_pass_info lmcc_passes[] = {
#define X(s, fn, d) {s, d, fn},
    LMCC_PASS_LIST(X)
#undef X
};
const int lmcc_n_passes = (int)(sizeof lmcc_passes / sizeof lmcc_passes[0]);

/* A verifier failure is a bug in lmcc (frontend or pass), never in the
 * user's input: pc->err gets "WHEN: what the verifier found" (what fits) and
 * the caller reports it on the internal-error path; nothing here exits. */
static int verify_graph(ir_graph *g, lmcc_diag *pc, const char *when) {
    static char text[8192];
    if (ir_verify(g, text, sizeof text) == 0) return 0;
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n') text[--n] = 0;
    size_t k = (size_t)snprintf(pc->err, sizeof pc->err, "%s: ", when);
    for (size_t i = 0; k + 1 < sizeof pc->err && text[i]; i++) pc->err[k++] = text[i];
    pc->err[k < sizeof pc->err ? k : sizeof pc->err - 1] = 0;
    return LMCC_PASS_BUG;
}

int lmcc_run_passes(ir_graph *g, lmcc_diag *pc, const char *stop_after) {
    pc->err[0] = 0;
    if (stop_after) {
        int found = 0;
        for (int i = 0; i < lmcc_n_passes; i++) found |= strcmp(lmcc_passes[i].name, stop_after) == 0;
        if (!found) {
            size_t n = (size_t)snprintf(pc->err, sizeof pc->err, "unknown pass '%s' (passes:", stop_after);
            for (int i = 0; i < lmcc_n_passes && n < sizeof pc->err; i++)
                n += (size_t)snprintf(pc->err + n, sizeof pc->err - n, " %s", lmcc_passes[i].name);
            if (n < sizeof pc->err) snprintf(pc->err + n, sizeof pc->err - n, ")");
            return -1;
        }
    }
    if (verify_graph(g, pc, "before the passes")) return LMCC_PASS_BUG;
    for (int i = 0; i < lmcc_n_passes; i++) {
        if (lmcc_passes[i].fn(g, pc) != 0) {
            if (!pc->err[0]) snprintf(pc->err, sizeof pc->err, "pass %s failed", lmcc_passes[i].name);
            return -1;
        }
        char when[64];
        snprintf(when, sizeof when, "after pass %s", lmcc_passes[i].name);
        if (verify_graph(g, pc, when)) return LMCC_PASS_BUG;
        if (stop_after && strcmp(lmcc_passes[i].name, stop_after) == 0) break;
    }
    return 0;
}
