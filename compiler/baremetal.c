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

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* appends s single-quoted for /bin/sh; -1 when it does not fit */
static int cat_quoted(char *dst, size_t cap, const char *s) {
    size_t n = strlen(dst);
    if (n + 3 > cap) return -1;
    dst[n++] = '\'';
    for (; *s; s++) {
        if (n + 6 > cap) return -1;
        if (*s == '\'') { memcpy(dst + n, "'\\''", 4); n += 4; }
        else dst[n++] = *s;
    }
    dst[n++] = '\'';
    dst[n++] = ' ';
    dst[n] = 0;
    return 0;
}

static int cat_raw(char *dst, size_t cap, const char *s) {
    size_t n = strlen(dst), m = strlen(s);
    if (n + m + 2 > cap) return -1;
    memcpy(dst + n, s, m);
    dst[n + m] = ' ';
    dst[n + m + 1] = 0;
    return 0;
}

static void dir_of(char *out, size_t cap, const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(out, cap, ".");
    else snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

int lmcc_baremetal_build(const lmcc_target *t, const char *dir, const char *stub_suffix, int verbose) {
    if (!t->startup[0] || !t->linker_script[0])
        return lmcc_error(t->path, "bare-metal target without 'startup' and 'linker_script' keys");
    char cmd[8192] = "", p[PATH_MAX + 64], sdir[PATH_MAX], ldir[PATH_MAX];
    dir_of(sdir, sizeof sdir, t->startup);
    dir_of(ldir, sizeof ldir, t->linker_script);
    int bad = cat_raw(cmd, sizeof cmd, t->cc) || cat_raw(cmd, sizeof cmd, t->cflags) ||
              cat_raw(cmd, sizeof cmd, "-I") || cat_quoted(cmd, sizeof cmd, dir) ||
              cat_raw(cmd, sizeof cmd, "-I") || cat_quoted(cmd, sizeof cmd, sdir) ||
              cat_raw(cmd, sizeof cmd, "-L") || cat_quoted(cmd, sizeof cmd, ldir) ||
              cat_raw(cmd, sizeof cmd, "-T") || cat_quoted(cmd, sizeof cmd, t->linker_script) ||
              cat_quoted(cmd, sizeof cmd, t->startup);
    const char *files[] = {"/model.c", stub_suffix ? "/model" : NULL, "/main.c"};
    for (int i = 0; i < 3 && !bad; i++) {
        if (!files[i]) continue;
        snprintf(p, sizeof p, "%s%s%s", dir, files[i], i == 1 ? stub_suffix : "");
        bad = cat_quoted(cmd, sizeof cmd, p);
    }
    snprintf(p, sizeof p, "%s/prog.elf", dir);
    bad = bad || cat_raw(cmd, sizeof cmd, "-o") || cat_quoted(cmd, sizeof cmd, p);
    snprintf(p, sizeof p, "-Wl,-Map,%s/prog.map", dir);
    bad = bad || cat_quoted(cmd, sizeof cmd, p) || cat_raw(cmd, sizeof cmd, t->ldflags);
    if (bad) return lmcc_error(dir, "build command too long");
    if (verbose) fprintf(stderr, "lmcc: %s\n", cmd);
    fflush(stdout);
    fflush(stderr);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        int code = st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
        if (code == 127)
            return lmcc_error(NULL, "%s not found: the %s target needs it (Debian: apt-get install gcc-arm-none-eabi)",
                              t->cc, t->name);
        return lmcc_error(NULL, "building the generated C for %s failed (%s exited with %d; rerun with -v --keep-temp)",
                          t->name, t->cc, code);
    }
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
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return lmcc_error(NULL, "fork failed");
    if (pid == 0) {
        /* the program's own output arrives in files; QEMU's console chatter stays out of stdout */
        if (chdir(dir) != 0) _exit(126);
        if (!freopen("/dev/null", "r", stdin) || dup2(2, 1) < 0) _exit(126);
        execvp(argv[0], argv);
        fprintf(stderr, "lmcc: error: %s: cannot execute: %s (Debian: apt-get install qemu-system-arm)\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return lmcc_error(NULL, "waitpid failed");
    copy_out(dir, LMCC_BM_STDOUT, stdout);
    copy_out(dir, LMCC_BM_STDERR, stderr);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}
