/* model.c - model container detection by magic. */
#include "model.h"

#include "diag.h"
#include "llama2c.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

gguf_file *lmcc_model_open(const char *path) {
    if (!path || !path[0]) {
        lmcc_error(NULL, "no model file given (pass a .gguf or llama2.c .bin file)");
        return NULL;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        lmcc_error(path, "cannot open: %s (check the path)", strerror(errno));
        return NULL;
    }
    struct stat st;
    char magic[4];
    int is_reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    ssize_t got = is_reg && st.st_size > 0 ? read(fd, magic, sizeof magic) : 0;
    close(fd);
    if (!is_reg) {
        lmcc_error(path, "not a regular file (give a .gguf or llama2.c .bin model file)");
        return NULL;
    }
    if (st.st_size == 0) {
        lmcc_error(path, "file is empty (expected a GGUF or llama2.c .bin model)");
        return NULL;
    }
    if (got == (ssize_t)sizeof magic && memcmp(magic, "GGUF", 4) == 0) return gguf_open(path);
    return llama2c_open(path);
}
