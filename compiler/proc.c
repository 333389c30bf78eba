/* proc.c - argument vectors, fork/exec, temporary directories (see proc.h). */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void lmcc_argv_init(lmcc_argv *a) {
    a->n = 0;
    a->full = 0;
    a->used = 0;
    a->v[0] = NULL;
}

static char *argv_room(lmcc_argv *a, size_t len) {
    if (a->full || a->n + 2 > (int)(sizeof a->v / sizeof a->v[0]) || a->used + len + 1 > sizeof a->buf) {
        a->full = 1;
        return NULL;
    }
    char *w = a->buf + a->used;
    a->used += len + 1;
    a->v[a->n++] = w;
    a->v[a->n] = NULL;
    return w;
}

void lmcc_argv_add(lmcc_argv *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *w = len >= 0 ? argv_room(a, (size_t)len) : NULL;
    if (!w) { a->full = 1; return; }
    va_start(ap, fmt);
    vsnprintf(w, (size_t)len + 1, fmt, ap);
    va_end(ap);
}

void lmcc_argv_split(lmcc_argv *a, const char *s) {
    while (s && *s) {
        s += strspn(s, " \t\n");
        size_t m = strcspn(s, " \t\n");
        if (m) lmcc_argv_add(a, "%.*s", (int)m, s);
        s += m;
    }
}

void lmcc_argv_print(FILE *f, const lmcc_argv *a) {
    for (int i = 0; i < a->n; i++) {
        const char *w = a->v[i];
        int plain = *w != 0;
        for (const char *p = w; *p; p++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@", *p)) plain = 0;
        fputs(i ? " " : "", f);
        if (plain) { fputs(w, f); continue; }
        fputc('\'', f);
        for (const char *p = w; *p; p++)
            if (*p == '\'') fputs("'\\''", f);
            else fputc(*p, f);
        fputc('\'', f);
    }
    fputc('\n', f);
}

int lmcc_run_argv(char **argv, const lmcc_run_opts *o) {
    /* the child reports a failed exec through a close-on-exec pipe: EOF means it ran */
    int fd[2];
    if (pipe(fd) != 0) return -1;
    fcntl(fd[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fd[0]);
        close(fd[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        int e = 0;
        if (o && o->cwd && chdir(o->cwd) != 0) e = errno;
        if (!e && o && o->stdin_null && !freopen("/dev/null", "r", stdin)) e = errno;
        if (!e && o && o->stdout_to_stderr && dup2(2, 1) < 0) e = errno;
        if (!e) execvp(argv[0], argv);
        e = e ? e : errno;
        if (write(fd[1], &e, sizeof e) != (ssize_t)sizeof e) _exit(126);
        _exit(127);
    }
    close(fd[1]);
    int child_errno = 0;
    ssize_t got;
    while ((got = read(fd[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {}
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    if (got == (ssize_t)sizeof child_errno) {
        errno = child_errno;
        return -1;
    }
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

int lmcc_argv_run(lmcc_argv *a, const lmcc_run_opts *o) {
    if (a->full || a->n == 0) {
        errno = E2BIG;
        return -1;
    }
    return lmcc_run_argv(a->v, o);
}

int lmcc_rewrite_file(const char *path) {
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.rewrite", path) >= (int)sizeof tmp) { errno = ENAMETOOLONG; return -1; }
    struct stat st;
    int in = open(path, O_RDONLY), out = -1, err = 0;
    if (in < 0 || fstat(in, &st) != 0) goto fail;
    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 07777);
    if (out < 0) goto fail;
    static char buf[64 << 10];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) goto fail;
        if (n == 0) break;
        for (ssize_t o = 0; o < n;) {
            ssize_t w = write(out, buf + o, (size_t)(n - o));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) goto fail;
            o += w;
        }
    }
    if (close(out) != 0) { out = -1; goto fail; }
    out = -1;
    close(in);
    in = -1;
    if (rename(tmp, path) != 0) goto fail;
    return 0;
fail:
    err = errno;
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    unlink(tmp);
    errno = err;
    return -1;
}

void lmcc_remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[PATH_MAX + 300];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        remove(p);
    }
    closedir(d);
    rmdir(dir);
}
