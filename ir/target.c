#include "target.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

static int set_str(char *dst, size_t cap, const char *v) {
    if (strlen(v) >= cap) return -1;
    strcpy(dst, v);
    return 0;
}

/* a file named relative to the target file's directory; it must exist */
static int set_rel_path(char *dst, size_t cap, const char *target_path, const char *v) {
    if (!*v) { dst[0] = 0; return 0; }
    const char *slash = strrchr(target_path, '/');
    int n = v[0] != '/' && slash ? snprintf(dst, cap, "%.*s/%s", (int)(slash - target_path), target_path, v)
                                 : snprintf(dst, cap, "%s", v);
    if (n < 0 || (size_t)n >= cap) return -1;
    FILE *fp = fopen(dst, "r");
    if (!fp) return -1;
    fclose(fp);
    return 0;
}

/* a byte count, optionally with a K or M suffix (binary) */
static int set_bytes(long long *dst, const char *v) {
    char *end;
    long long x = strtoll(v, &end, 10);
    if (end == v || x < 0) return -1;
    long long unit = 1;
    if (*end == 'K' || *end == 'k') { unit = 1024; end++; }
    else if (*end == 'M' || *end == 'm') { unit = 1024 * 1024; end++; }
    if (x > LLONG_MAX / unit) return -1;
    x *= unit;
    if (*end) return -1;
    *dst = x;
    return 0;
}

int lmcc_target_parse(const char *path, lmcc_target *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    strcpy(t->cc, "cc");
    strcpy(t->kernels, "generic");
    t->hosted = 1;
    t->tile_rows = 1;
    t->batch = 1;
    t->tile_cols = 32;
    if (strlen(path) >= sizeof t->path) { snprintf(err, errlen, "path too long"); return -1; }
    strcpy(t->path, path);
    FILE *fp = fopen(path, "r");
    if (!fp) { snprintf(err, errlen, "cannot open target file"); return -1; }
    char line[1024];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *s = trim(line);
        if (!*s) continue;
        char *eq = strchr(s, '=');
        if (!eq) { snprintf(err, errlen, "line %d: expected 'key = value'", lineno); rc = -1; break; }
        *eq = 0;
        char *key = trim(s), *val = trim(eq + 1);
        int bad = 0;
        if (!strcmp(key, "name")) bad = set_str(t->name, sizeof t->name, val);
        else if (!strcmp(key, "description")) bad = set_str(t->description, sizeof t->description, val);
        else if (!strcmp(key, "triple")) bad = set_str(t->triple, sizeof t->triple, val);
        else if (!strcmp(key, "cc")) bad = set_str(t->cc, sizeof t->cc, val);
        else if (!strcmp(key, "cflags")) bad = set_str(t->cflags, sizeof t->cflags, val);
        else if (!strcmp(key, "features")) bad = set_str(t->features, sizeof t->features, val);
        else if (!strcmp(key, "kernels")) bad = set_str(t->kernels, sizeof t->kernels, val);
        else if (!strcmp(key, "emulator")) bad = set_str(t->emulator, sizeof t->emulator, val);
        else if (!strcmp(key, "ldflags")) bad = set_str(t->ldflags, sizeof t->ldflags, val);
        else if (!strcmp(key, "startup")) bad = set_rel_path(t->startup, sizeof t->startup, path, val);
        else if (!strcmp(key, "linker_script")) bad = set_rel_path(t->linker_script, sizeof t->linker_script, path, val);
        else if (!strcmp(key, "flash_bytes")) bad = set_bytes(&t->flash_bytes, val);
        else if (!strcmp(key, "ram_bytes")) bad = set_bytes(&t->ram_bytes, val);
        else if (!strcmp(key, "vector_bits")) {
            char *end;
            long v = strtol(val, &end, 10);
            bad = *end || v < 0 || v > 4096;
            t->vector_bits = (int)v;
        } else if (!strcmp(key, "batch")) {
            char *end;
            long v = strtol(val, &end, 10);
            bad = *end || v < 1 || v > 1024;
            t->batch = (int)v;
        } else if (!strcmp(key, "int4_tile")) {
            bad = sscanf(val, "%dx%d", &t->tile_rows, &t->tile_cols) != 2 || t->tile_rows < 1 ||
                  t->tile_rows > 64 || t->tile_cols != 32;
        } else if (!strcmp(key, "int8_tile")) {
            int cols = 0;
            bad = sscanf(val, "%dx%d", &t->tile_rows_q8, &cols) != 2 || t->tile_rows_q8 < 1 ||
                  t->tile_rows_q8 > 64 || cols != 32;
        } else if (!strcmp(key, "hosted")) {
            if (!strcmp(val, "yes")) t->hosted = 1;
            else if (!strcmp(val, "no")) t->hosted = 0;
            else bad = 1;
        } else {
            snprintf(err, errlen, "line %d: unknown key '%s'", lineno, key);
            rc = -1;
            break;
        }
        if (bad) { snprintf(err, errlen, "line %d: bad value for '%s'", lineno, key); rc = -1; break; }
    }
    fclose(fp);
    if (rc == 0 && !t->name[0]) { snprintf(err, errlen, "no 'name' key"); rc = -1; }
    return rc;
}
