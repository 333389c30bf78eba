/* target_find.c - finding target files (see target_find.h). */
#include "target_find.h"

#include "diag.h"
#include "host_cpu.h"

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

static int cmp_names(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

#define MAX_TARGET_FILES 64
typedef char target_file_name[256];

/* The .target file names of dir, sorted, into names; their count, or -1 after lmcc_error. */
static int target_files(const char *dir, target_file_name *names) {
    DIR *d = opendir(dir);
    if (!d) return lmcc_error(dir, "cannot read the targets directory");
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) && n < MAX_TARGET_FILES) {
        size_t l = strlen(e->d_name);
        if (l > 7 && !strcmp(e->d_name + l - 7, ".target")) snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    return n;
}

/* The best target of dir whose code runs on this machine, into t (and its file name into best);
 * 0, or -1 after lmcc_error. */
static int target_native(const char *dir, lmcc_target *t, target_file_name best) {
    target_file_name names[MAX_TARGET_FILES];
    int n = target_files(dir, names), found = 0;
    if (n < 0) return -1;
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX + 300], err[256];
        lmcc_target c;
        snprintf(path, sizeof path, "%s/%.255s", dir, names[i]);
        if (lmcc_target_parse(path, &c, err, sizeof err) || !lmcc_target_runs_here(&c)) continue;
        if (!found || lmcc_target_better(&c, t)) *t = c, snprintf(best, sizeof(target_file_name), "%.255s", names[i]);
        found = 1;
    }
    return found ? 0 : lmcc_error(dir, "no target here runs on this machine (name one with -t)");
}

int lmcc_target_load(const char *name, lmcc_target *t) {
    char path[PATH_MAX + 64], dir[PATH_MAX], err[256];
    struct stat st;
    if (!strcmp(name, "native")) {
        target_file_name best;
        if (lmcc_targets_dir(dir, sizeof dir)) return lmcc_error(name, "no targets directory found (set LMCC_TARGETS_DIR)");
        return target_native(dir, t, best);
    }
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

int lmcc_target_list(FILE *f) {
    char dir[PATH_MAX];
    if (lmcc_targets_dir(dir, sizeof dir)) return lmcc_error(NULL, "no targets directory found (set LMCC_TARGETS_DIR)");
    target_file_name names[MAX_TARGET_FILES], best = "";
    int n = target_files(dir, names);
    if (n < 0) return -1;
    lmcc_target nt;
    if (target_native(dir, &nt, best)) lmcc_error_clear();
    fprintf(f, "%-16s %-7s %s\n", "TARGET", "HERE", "DESCRIPTION");
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX + 300], err[256];
        lmcc_target t;
        snprintf(path, sizeof path, "%s/%.255s", dir, names[i]);
        if (lmcc_target_parse(path, &t, err, sizeof err)) { fprintf(f, "%-16s (invalid: %s)\n", names[i], err); continue; }
        const char *here = !strcmp(names[i], best) ? "native" : lmcc_target_runs_here(&t) ? "runs" : "-";
        fprintf(f, "%-16s %-7s %s\n", t.name, here, t.description);
    }
    fprintf(f, "(HERE: native = what -t native picks on this machine, runs = its code also runs here, - = cross)\n");
    return 0;
}

const char *lmcc_target_cc(const lmcc_target *t) {
    const char *env = getenv("CC");
    return !strcmp(t->cc, "cc") && env && *env ? env : t->cc;
}
