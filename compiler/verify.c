/* verify.c - libclang check of emitted C (see verify.h). */
#include "verify.h"

#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef LMCC_HAVE_LIBCLANG
#include <clang-c/Index.h>
#include <sys/stat.h>

int lmcc_verify_available(void) { return 1; }

/* $LMCC_CLANG_RESOURCE_DIR wins so an installed lmcc can follow a moved LLVM */
static const char *resource_dir(void) {
    const char *env = getenv("LMCC_CLANG_RESOURCE_DIR");
    return env && *env ? env : LMCC_CLANG_RESOURCE_DIR;
}

static void shown_path(char *out, size_t cap, const char *file, const char *inc_dir, const char *shown_dir) {
    size_t l = strlen(inc_dir);
    if (shown_dir && !strncmp(file, inc_dir, l) && file[l] == '/') snprintf(out, cap, "%s%s", shown_dir, file + l);
    else snprintf(out, cap, "%s", file);
}

/* 1 when the only problem is a gcc-only flag in the target's cflags (clang:
 * "unknown argument: '-fno-aggressive-loop-optimizations'"); it is copied to
 * flag so the caller drops it and parses again. */
static int unknown_flag(CXTranslationUnit tu, char *flag, size_t cap) {
    unsigned nd = clang_getNumDiagnostics(tu);
    int found = 0;
    for (unsigned i = 0; i < nd && !found; i++) {
        CXDiagnostic d = clang_getDiagnostic(tu, i);
        CXString msg = clang_getDiagnosticSpelling(d);
        const char *m = clang_getCString(msg), *pre = "unknown argument: '";
        if (m && !strncmp(m, pre, strlen(pre)) && strlen(m) > strlen(pre) + 1) {
            snprintf(flag, cap, "%.*s", (int)(strlen(m) - strlen(pre) - 1), m + strlen(pre));
            found = 1;
        }
        clang_disposeString(msg);
        clang_disposeDiagnostic(d);
    }
    return found;
}

int lmcc_verify_c(const lmcc_target *t, const char *c_path, const char *inc_dir, const char *shown_dir) {
    char flags[sizeof t->cflags], incflag[1100], dropped[8][128];
    int n_dropped = 0;
again:;
    const char *args[64];
    int na = 0;
    if (t->triple[0]) { args[na++] = "-target"; args[na++] = t->triple; }
    snprintf(flags, sizeof flags, "%s", t->cflags);
    /* optimization flags change no diagnostics the parser can emit */
    for (char *tok = strtok(flags, " \t"); tok && na < 48; tok = strtok(NULL, " \t")) {
        int skip = strncmp(tok, "-O", 2) == 0;
        for (int k = 0; k < n_dropped; k++) skip |= !strcmp(tok, dropped[k]);
        if (!skip) args[na++] = tok;
    }
    snprintf(incflag, sizeof incflag, "-I%s", inc_dir);
    args[na++] = "-std=c11";
    args[na++] = "-ffreestanding";
    args[na++] = "-Wall";
    args[na++] = "-Wextra";
    args[na++] = incflag;
    args[na++] = "-resource-dir";
    args[na++] = resource_dir();
    struct stat st;
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/include/stddef.h", resource_dir());
    if (stat(probe, &st) != 0)
        return lmcc_error(resource_dir(), "clang's resource directory has no include/stddef.h "
                                          "(set LMCC_CLANG_RESOURCE_DIR to lib/clang/VERSION of your LLVM)");
    CXIndex idx = clang_createIndex(0, 0);
    CXTranslationUnit tu = NULL;
    enum CXErrorCode ec = clang_parseTranslationUnit2(idx, c_path, args, na, NULL, 0, CXTranslationUnit_None, &tu);
    int rc = 0;
    if (tu && n_dropped < 8 && unknown_flag(tu, dropped[n_dropped], sizeof dropped[0])) {
        fprintf(stderr, "lmcc: note: --verify: clang does not know the target flag %s (gcc-only?); checked without it\n",
                dropped[n_dropped]);
        n_dropped++;
        clang_disposeTranslationUnit(tu);
        clang_disposeIndex(idx);
        goto again;
    }
    if (ec != CXError_Success || !tu) {
        rc = lmcc_error(c_path, "libclang could not parse the file (error %d; emitted code failed --verify for target %s)",
                        (int)ec, t->name);
        goto out;
    }
    unsigned nd = clang_getNumDiagnostics(tu), bad = 0;
    for (unsigned i = 0; i < nd; i++) {
        CXDiagnostic d = clang_getDiagnostic(tu, i);
        if (clang_getDiagnosticSeverity(d) >= CXDiagnostic_Warning) {
            CXFile file;
            unsigned line = 0, col = 0;
            clang_getSpellingLocation(clang_getDiagnosticLocation(d), &file, &line, &col, NULL);
            CXString fname = clang_getFileName(file), msg = clang_getDiagnosticSpelling(d);
            const char *fn = clang_getCString(fname);
            char where[1200];
            shown_path(where, sizeof where, fn ? fn : "<command line>", inc_dir, shown_dir);
            if (bad++ == 0)
                lmcc_error(NULL, "%s:%u:%u: %s (emitted code failed --verify for target %s)", where, line, col,
                           clang_getCString(msg), t->name);
            else if (bad <= 4)
                fprintf(stderr, "lmcc: note: also %s:%u:%u: %s\n", where, line, col, clang_getCString(msg));
            clang_disposeString(fname);
            clang_disposeString(msg);
        }
        clang_disposeDiagnostic(d);
    }
    if (bad) rc = -1;
out:
    if (tu) clang_disposeTranslationUnit(tu);
    clang_disposeIndex(idx);
    return rc;
}

#else

int lmcc_verify_available(void) { return 0; }

int lmcc_verify_c(const lmcc_target *t, const char *c_path, const char *inc_dir, const char *shown_dir) {
    (void)t, (void)inc_dir, (void)shown_dir;
    return lmcc_error(c_path, "this lmcc was built without libclang, so --verify is unavailable "
                              "(apt-get install libclang-14-dev and rebuild)");
}

#endif
