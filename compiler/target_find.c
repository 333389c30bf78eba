/* target_find.c - finding target files (see target_find.h). */
#include "target_find.h"

#include "diag.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LMCC_SOURCE_TARGETS_DIR
#define LMCC_SOURCE_TARGETS_DIR ""
#endif

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int lmcc_targets_dir(char *out, size_t cap) {
    const char *env = getenv("LMCC_TARGETS_DIR");
    if (env && *env && is_dir(env)) { snprintf(out, cap, "%s", env); return 0; }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = 0;
        static const char *const rel[] = {"/../share/lmcc/targets", "/../targets"};
        for (int i = 0; i < 2; i++) {
            snprintf(out, cap, "%s%s", exe, rel[i]);
            if (is_dir(out)) return 0;
        }
    }
    if (LMCC_SOURCE_TARGETS_DIR[0] && is_dir(LMCC_SOURCE_TARGETS_DIR)) {
        snprintf(out, cap, "%s", LMCC_SOURCE_TARGETS_DIR);
        return 0;
    }
    return -1;
}

int lmcc_target_load(const char *name, lmcc_target *t) {
    char path[PATH_MAX + 64], dir[PATH_MAX], err[256];
    struct stat st;
    if (!strchr(name, '/') && !strstr(name, ".target")) {
        if (lmcc_targets_dir(dir, sizeof dir)) return lmcc_error(name, "no targets directory found (set LMCC_TARGETS_DIR)");
        snprintf(path, sizeof path, "%s/%s.target", dir, name);
        if (stat(path, &st) != 0) return lmcc_error(name, "unknown target (lmcc --list-targets shows the known ones)");
    } else {
        snprintf(path, sizeof path, "%s", name);
        if (stat(path, &st) != 0) return lmcc_error(path, "cannot read the target file: %s", strerror(errno));
    }
    /* the parser's fopen would block on a FIFO */
    if (!S_ISREG(st.st_mode)) return lmcc_error(path, "not a regular file (want a .target file)");
    if (lmcc_target_parse(path, t, err, sizeof err)) return lmcc_error(path, "%s (bad target file)", err);
    return 0;
}

static int cmp_names(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

int lmcc_target_list(FILE *f) {
    char dir[PATH_MAX];
    if (lmcc_targets_dir(dir, sizeof dir)) return lmcc_error(NULL, "no targets directory found (set LMCC_TARGETS_DIR)");
    DIR *d = opendir(dir);
    if (!d) return lmcc_error(dir, "cannot read the targets directory");
    struct dirent *e;
    char names[64][256];
    int n = 0;
    while ((e = readdir(d)) && n < 64) {
        size_t l = strlen(e->d_name);
        if (l > 7 && !strcmp(e->d_name + l - 7, ".target")) snprintf(names[n++], 256, "%s", e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX + 300], err[256];
        lmcc_target t;
        snprintf(path, sizeof path, "%s/%.255s", dir, names[i]);
        if (lmcc_target_parse(path, &t, err, sizeof err)) { fprintf(f, "%-16s (invalid: %s)\n", names[i], err); continue; }
        fprintf(f, "%-16s %s\n", t.name, t.description);
    }
    return 0;
}

const char *lmcc_target_cc(const lmcc_target *t) {
    const char *env = getenv("CC");
    return !strcmp(t->cc, "cc") && env && *env ? env : t->cc;
}
