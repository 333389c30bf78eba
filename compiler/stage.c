/* stage.c - staging directory for all-or-nothing output (see stage.h). */
#include "stage.h"

#include "diag.h"
#include "sizes.h"
#include "verify.h"
#include "zstd_blob.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lmcc_stage_open(const char *outdir, char *stage, size_t cap) {
    if ((size_t)snprintf(stage, cap, "%s/.lmcc-stage-XXXXXX", outdir) >= cap)
        return lmcc_error(outdir, "output path too long");
    if (!mkdtemp(stage)) return lmcc_error(outdir, "cannot create a staging directory: %s", strerror(errno));
    return 0;
}

int lmcc_stage_commit(const char *stage, const char *outdir) {
    DIR *d = opendir(stage);
    if (!d) return lmcc_error(stage, "cannot read the staging directory: %s", strerror(errno));
    struct dirent *e;
    int rc = 0;
    char from[2048], to[2048];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(from, sizeof from, "%s/%s", stage, e->d_name);
        snprintf(to, sizeof to, "%s/%s", outdir, e->d_name);
        if (rename(from, to) != 0 && rc == 0) rc = lmcc_error(to, "cannot move into place: %s", strerror(errno));
    }
    closedir(d);
    lmcc_stage_abort(stage);
    return rc;
}

void lmcc_stage_abort(const char *stage) {
    DIR *d = opendir(stage);
    if (!d) return;
    struct dirent *e;
    char p[2048];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", stage, e->d_name);
        remove(p);
    }
    closedir(d);
    rmdir(stage);
}

/* the value of `#define UP_KEY 123u` in the generated header */
static long long header_define(const char *h_path, const char *name, const char *key) {
    FILE *f = fopen(h_path, "r");
    if (!f) return -1;
    char want[160], line[512];
    size_t i;
    for (i = 0; name[i] && i < 100; i++) want[i] = (name[i] >= 'a' && name[i] <= 'z') ? (char)(name[i] - 32) : name[i];
    snprintf(want + i, sizeof want - i, "_%s ", key);
    long long v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "#define ", 8) && !strncmp(line + 8, want, strlen(want))) {
            v = strtoll(line + 8 + strlen(want), NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

int lmcc_stage_check_build(const lmcc_target *t, const char *stage, const char *outdir, const lmcc_stage_check *c) {
    char c_path[2048], h_path[2048], w_path[2048];
    snprintf(c_path, sizeof c_path, "%s/%s.c", stage, c->name);
    snprintf(h_path, sizeof h_path, "%s/%s.h", stage, c->name);
    snprintf(w_path, sizeof w_path, "%s/%s.weights", stage, c->name);
    if (c->verify && lmcc_verify_c(t, c_path, stage, outdir)) return -1;
    struct stat st;
    long long weights = stat(w_path, &st) == 0 ? (long long)st.st_size : -1;
    long long arena = header_define(h_path, c->name, "ARENA_BYTES");
    long long kv = header_define(h_path, c->name, "KV_BYTES"), layers = header_define(h_path, c->name, "N_LAYERS");
    if (weights < 0 || arena < 0 || kv < 0) return lmcc_error(stage, "cannot read back the generated sizes");
    long long text = 0, data = 0;
    int code = c->measure_code ? lmcc_code_bytes(t, c_path, stage, &text, &data) : 1;
    if (code < 0) return -1;
    if (c->log) {
        fprintf(c->log, "lmcc: sizes: weights %lld bytes, ", weights);
        if (code == 0) fprintf(c->log, "code %lld bytes (text %lld + data %lld), ", text + data, text, data);
        else fprintf(c->log, "code ? bytes (%s), ", c->measure_code ? "target compiler not installed" : "not measured");
        fprintf(c->log, "arena %lld bytes (KV %lld: %lld per layer), target %s\n", arena, kv,
                layers > 0 ? kv / layers : kv, t->name);
    }
    if (c->budget_ram > 0 && arena > c->budget_ram)
        return lmcc_error(c->model, "needs %lld bytes of RAM, budget is %lld (hint: --ctx, --kv f16, --weights q4)",
                          arena, c->budget_ram);
    if (c->budget_flash > 0) {
        if (code != 0) return lmcc_error(c->model, "--budget-flash needs the code size, but the target compiler "
                                                   "%s is not installed", t->cc);
        if (weights + text + data > c->budget_flash)
            return lmcc_error(c->model, "needs %lld bytes of flash (weights %lld + code %lld), budget is %lld "
                                        "(hint: --weights q4, a smaller model)", weights + text + data, weights,
                              text + data, c->budget_flash);
    }
    return 0;
}

int lmcc_parse_compress(const char *s, int *level) {
    *level = 0;
    if (!s) return 0;
    if (strncmp(s, "zstd", 4) != 0 || (s[4] && s[4] != ':'))
        return lmcc_error(NULL, "unknown --compress '%s' (use zstd or zstd:LEVEL)", s);
    *level = LMCC_ZSTD_DEFAULT_LEVEL;
    if (!s[4]) return 0;
    char *end;
    long v = strtol(s + 5, &end, 10);
    int max = lmcc_zstd_max_level() > 0 ? lmcc_zstd_max_level() : 22;
    if (end == s + 5 || *end || v < 1 || v > max)
        return lmcc_error(NULL, "--compress '%s': the zstd level must be 1..%d", s, max);
    *level = (int)v;
    return 0;
}

int lmcc_parse_kv_policy(const char *s, int *sink) {
    *sink = -1;
    if (!s || !strcmp(s, "stop")) return 0;
    if (strncmp(s, "slide", 5) != 0 || (s[5] && s[5] != ':'))
        return lmcc_error(NULL, "unknown --kv-policy '%s' (use stop, slide or slide:SINK)", s);
    *sink = LMCC_KV_SINK_DEFAULT;
    if (!s[5]) return 0;
    char *end;
    long v = strtol(s + 6, &end, 10);
    if (end == s + 6 || *end || v < 0 || v > LMCC_KV_SINK_MAX)
        return lmcc_error(NULL, "--kv-policy '%s': SINK must be 0..%d", s, LMCC_KV_SINK_MAX);
    *sink = (int)v;
    return 0;
}

long long lmcc_parse_bytes(const char *s) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0)) return -1;
    double mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1024.0, end++;
    else if (*end == 'M' || *end == 'm') mul = 1024.0 * 1024, end++;
    else if (*end == 'G' || *end == 'g') mul = 1024.0 * 1024 * 1024, end++;
    if (*end == 'B' || *end == 'b') end++;
    if (*end || v * mul > 9e18) return -1;
    return (long long)(v * mul + 0.5);
}
