#define _POSIX_C_SOURCE 200809L
#include "baremetal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "driver_baremetal.h"
#include "proc.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static void dir_of(char *out, size_t cap, const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(out, cap, ".");
    else snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

int lmcc_baremetal_build(const lmcc_target *t, const char *dir, const char *stub_suffix, int verbose) {
    if (!t->startup[0] || !t->linker_script[0])
        return lmcc_error(t->path, "bare-metal target without 'startup' and 'linker_script' keys");
    char sdir[PATH_MAX], ldir[PATH_MAX];
    dir_of(sdir, sizeof sdir, t->startup);
    dir_of(ldir, sizeof ldir, t->linker_script);
    lmcc_argv cmd;
    lmcc_argv_init(&cmd);
    lmcc_argv_split(&cmd, t->cc);
    lmcc_argv_split(&cmd, t->cflags);
    lmcc_argv_add(&cmd, "-I%s", dir);
    lmcc_argv_add(&cmd, "-I%s", sdir);
    lmcc_argv_add(&cmd, "-L%s", ldir);
    lmcc_argv_add(&cmd, "-T%s", t->linker_script);
    lmcc_argv_add(&cmd, "%s", t->startup);
    lmcc_argv_add(&cmd, "%s/model.c", dir);
    if (stub_suffix) lmcc_argv_add(&cmd, "%s/model%s", dir, stub_suffix);
    lmcc_argv_add(&cmd, "%s/main.c", dir);
    lmcc_argv_add(&cmd, "-o");
    lmcc_argv_add(&cmd, "%s/prog.elf", dir);
    lmcc_argv_add(&cmd, "-Wl,-Map,%s/prog.map", dir);
    lmcc_argv_split(&cmd, t->ldflags);
    if (verbose) {
        fputs("lmcc: ", stderr);
        lmcc_argv_print(stderr, &cmd);
    }
    int st = lmcc_argv_run(&cmd, NULL);
    if (st < 0 && errno == ENOENT)
        return lmcc_error(NULL, "%s not found: the %s target needs it (Debian: apt-get install gcc-arm-none-eabi)",
                          t->cc, t->name);
    if (st < 0) return lmcc_error(NULL, "cannot run %s: %s", t->cc, strerror(errno));
    if (st != 0)
        return lmcc_error(NULL, "building the generated C for %s failed (%s exited with %d; rerun with -v --keep-temp)",
                          t->name, t->cc, st);
    return 0;
}

/* copies DIR/name to fp (missing file: nothing) */
static void copy_out(const char *dir, const char *name, FILE *fp) {
    char p[PATH_MAX + 64], buf[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *in = fopen(p, "rb");
    if (!in) return;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, fp);
    fclose(in);
    fflush(fp);
}

int lmcc_baremetal_run(const lmcc_target *t, const char *dir, char **args, int nargs, int verbose) {
    if (!t->emulator[0]) return lmcc_error(t->path, "bare-metal target without an 'emulator' key: cannot run it here");
    char p[PATH_MAX + 64], cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return lmcc_error(NULL, "cannot get the current directory");
    snprintf(p, sizeof p, "%s/%s", dir, LMCC_BM_REQUEST);
    FILE *req = fopen(p, "w");
    if (!req) return lmcc_error(p, "cannot write: %s", strerror(errno));
    int eval = nargs > 0 && !strcmp(args[0], "eval");
    for (int i = 0; i < nargs; i++) {
        if (strchr(args[i], '\n')) { fclose(req); return lmcc_error(NULL, "an argument contains a newline"); }
        /* the emulator runs in DIR: eval's files are named from the caller's directory */
        if (eval && (i == 1 || i == 2) && args[i][0] != '/') fprintf(req, "%s/%s\n", cwd, args[i]);
        else fprintf(req, "%s\n", args[i]);
    }
    if (fclose(req) != 0) return lmcc_error(p, "write error");
    char emu[sizeof t->emulator];
    memcpy(emu, t->emulator, sizeof emu);
    char *argv[40];
    int na = 0;
    for (char *tok = strtok(emu, " \t"); tok && na < 38; tok = strtok(NULL, " \t")) argv[na++] = tok;
    argv[na++] = "prog.elf";
    argv[na] = NULL;
    if (verbose) {
        fprintf(stderr, "lmcc: (in %s)", dir);
        for (int i = 0; i < na; i++) fprintf(stderr, " %s", argv[i]);
        fprintf(stderr, "\n");
    }
    /* the program's own output arrives in files; QEMU's console chatter stays out of stdout */
    lmcc_run_opts ro = {dir, 1, 1};
    int st = lmcc_run_argv(argv, &ro);
    if (st < 0)
        return lmcc_error(NULL, "%s: cannot execute: %s (Debian: apt-get install qemu-system-arm)", argv[0],
                          strerror(errno));
    copy_out(dir, LMCC_BM_STDOUT, stdout);
    copy_out(dir, LMCC_BM_STDERR, stderr);
    return st;
}
