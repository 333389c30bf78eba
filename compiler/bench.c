/* bench.c - `lmcc bench`: splits the bench options from the compile options,
 * has the builder compile and build the model with the bench driver, runs
 * the program and passes its output through. */
#include "bench.h"
#include "proc.h"

#include "bench_driver.h"
#include "diag.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_MAX_ARGS 128

/* "--key=value" or "--key value": the value, or NULL if a is not key */
static const char *opt_value(const char *key, int argc, char **argv, int *i, int *missing) {
    const char *a = argv[*i];
    size_t k = strlen(key);
    if (strncmp(a, key, k) != 0) return NULL;
    if (a[k] == '=' && key[1] == '-') return a + k + 1;
    if (a[k] != 0) return NULL;
    if (*i + 1 >= argc) { *missing = 1; return NULL; }
    return argv[++*i];
}

static int parse_count(const char *opt, const char *v, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < lo || x > hi)
        return lmcc_error(NULL, "%s wants a number in %ld..%ld, got '%s'", opt, lo, hi, v);
    *out = x;
    return 0;
}



int lmcc_bench_main(int argc, char **argv, lmcc_build_program_fn build) {
    if (!build) return lmcc_error(NULL, "bench: no builder (internal)");
    char *cargv[BENCH_MAX_ARGS];
    int cargc = 0, json = 0, keep = 0, verbose = 0, external = 0;
    long prompt = 128, steps = 64, repeat = 3, threads = 1, probe_mib = 512;
    const char *threads_s = "1", *target = "generic";
    if (argc > BENCH_MAX_ARGS - 4) return lmcc_error(NULL, "bench: too many arguments");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (!strcmp(a, "--keep-temp")) { keep = 1; continue; }
        if ((v = opt_value("-p", argc, argv, &i, &missing))) {
            if (parse_count("-p", v, 1, 1 << 20, &prompt)) return -1;
            continue;
        }
        if ((v = opt_value("-n", argc, argv, &i, &missing))) {
            if (parse_count("-n", v, 1, 1 << 20, &steps)) return -1;
            continue;
        }
        if ((v = opt_value("--repeat", argc, argv, &i, &missing))) {
            if (parse_count("--repeat", v, 1, 1000, &repeat)) return -1;
            continue;
        }
        if ((v = opt_value("--probe-mib", argc, argv, &i, &missing))) {
            if (parse_count("--probe-mib", v, 0, 1 << 20, &probe_mib)) return -1;
            continue;
        }
        if (missing) return lmcc_error(NULL, "option '%s' needs a value", a);
        /* everything else is the compiler's; remember what the program needs */
        cargv[cargc++] = argv[i];
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) verbose = 1;
        const char *tv = opt_value("--threads", argc, argv, &i, &missing);
        if (tv) {
            if (parse_count("--threads", tv, 1, 64, &threads)) return -1;
            threads_s = tv;
        } else if ((tv = opt_value("-t", argc, argv, &i, &missing)) || (tv = opt_value("--target", argc, argv, &i, &missing))) {
            target = tv;
        } else if ((tv = opt_value("--embed", argc, argv, &i, &missing))) {
            external = !strcmp(tv, "external");
        }
        if (missing) return lmcc_error(NULL, "option '%s' needs a value", a);
        if (tv && argv[i] == tv) cargv[cargc++] = argv[i]; /* the separate value word */
    }
    /* a target given as a file path: the program only prints the last part */
    const char *slash = strrchr(target, '/');
    if (slash) target = slash + 1;

    lmcc_build_req req;
    memset(&req, 0, sizeof req);
    req.argc = cargc;
    req.argv = cargv;
    req.name = "model";
    req.emit_driver = lmcc_emit_bench_driver;
    req.extra_cflags = "-pthread"; /* the probe uses threads even in single-threaded builds */
    req.verbose = verbose;
    char dir[PATH_MAX];
    if (build(&req, dir, sizeof dir)) return -1;

    char prog[PATH_MAX + 16], wpath[PATH_MAX + 32], p_s[32], n_s[32], r_s[32], m_s[32];
    snprintf(prog, sizeof prog, "%s/prog", dir);
    snprintf(wpath, sizeof wpath, "%s/%s.weights", dir, req.name);
    snprintf(p_s, sizeof p_s, "%ld", prompt);
    snprintf(n_s, sizeof n_s, "%ld", steps);
    snprintf(r_s, sizeof r_s, "%ld", repeat);
    snprintf(m_s, sizeof m_s, "%ld", probe_mib);
    char *pargv[24];
    int np = 0;
    pargv[np++] = prog;
    if (json) pargv[np++] = "--json";
    pargv[np++] = "-p"; pargv[np++] = p_s;
    pargv[np++] = "-n"; pargv[np++] = n_s;
    pargv[np++] = "--repeat"; pargv[np++] = r_s;
    pargv[np++] = "--threads"; pargv[np++] = (char *)threads_s;
    pargv[np++] = "--probe-mib"; pargv[np++] = m_s;
    pargv[np++] = "--target"; pargv[np++] = (char *)target;
    if (external) { pargv[np++] = "--weights"; pargv[np++] = wpath; }
    pargv[np] = NULL;
    int st = lmcc_run_argv(pargv);
    int rc = 0;
    if (st != 0) {
        if (st > 128) rc = lmcc_error(NULL, "the bench program died with signal %d (kept in %s)", st - 128, dir);
        else rc = lmcc_error(NULL, "the bench program failed (exit %d)", st);
    }
    if (keep || st > 128) fprintf(stderr, "lmcc: kept %s\n", dir);
    else lmcc_remove_dir(dir);
    return rc;
}
