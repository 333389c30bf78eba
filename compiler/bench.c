/* bench.c - `lmcc bench`: has the builder compile and build the model with
 * the bench driver, runs the program and passes its output through. */
#include "bench.h"
#include "proc.h"

#include "bench_driver.h"
#include "codegen.h"
#include "diag.h"
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lmcc_bench_main(const lmcc_config *c, lmcc_build_program_fn build) {
    /* a target given as a file path: the program only prints the last part */
    const char *target = c->target, *slash = strrchr(target, '/');
    if (slash) target = slash + 1;

    lmcc_build_req req;
    memset(&req, 0, sizeof req);
    req.cfg = c;
    req.name = "model";
    req.emit_driver = lmcc_emit_bench_driver;
    req.extra_cflags = "-pthread"; /* the probe uses threads even in single-threaded builds */
    char dir[PATH_MAX];
    if (build(&req, dir, sizeof dir)) return -1;

    lmcc_argv cmd;
    lmcc_argv_init(&cmd);
    lmcc_argv_add(&cmd, "%s/prog", dir);
    if (c->json) lmcc_argv_add(&cmd, "--json");
    lmcc_argv_add(&cmd, "-p");
    lmcc_argv_add(&cmd, "%ld", c->bench_prompt);
    lmcc_argv_add(&cmd, "-n");
    lmcc_argv_add(&cmd, "%ld", c->steps);
    lmcc_argv_add(&cmd, "--repeat");
    lmcc_argv_add(&cmd, "%ld", c->repeat);
    lmcc_argv_add(&cmd, "--threads");
    lmcc_argv_add(&cmd, "%ld", c->threads);
    lmcc_argv_add(&cmd, "--probe-mib");
    lmcc_argv_add(&cmd, "%ld", c->probe_mib);
    lmcc_argv_add(&cmd, "--target");
    lmcc_argv_add(&cmd, "%s", target);
    if (c->lookup || c->draft) {
        lmcc_argv_add(&cmd, c->draft ? "--draft" : "--lookup");
        lmcc_argv_add(&cmd, "%ld", c->draft ? c->spec_k : c->lookup);
    }
    if (c->embed == LMCC_EMBED_EXTERNAL) {
        lmcc_argv_add(&cmd, "--weights");
        lmcc_argv_add(&cmd, "%s/%s.weights", dir, req.name);
    }
    int st = lmcc_argv_run(&cmd, NULL);
    int rc = 0;
    if (st < 0) rc = lmcc_error(NULL, "cannot run the bench program: %s", strerror(errno));
    else if (st > 128) rc = lmcc_bug("the bench program died with signal %d (kept in %s)", st - 128, dir);
    else if (st != 0) rc = lmcc_error(NULL, "the bench program failed (exit %d)", st);
    if (c->keep_temp || st > 128) fprintf(stderr, "lmcc: kept %s\n", dir);
    else lmcc_remove_dir(dir);
    return rc;
}
