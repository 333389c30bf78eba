/* semihost.h - Arm semihosting (bkpt 0xAB) for bare-metal lmcc programs: console and
 * host file I/O through the debugger or QEMU (-semihosting-config enable=on,target=native).
 * The only "libc" a bare-metal lmcc build uses; header-only so an app includes just what it calls. */
#ifndef LMCC_SEMIHOST_H
#define LMCC_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

enum {
    SH_SYS_OPEN = 0x01, SH_SYS_CLOSE = 0x02, SH_SYS_WRITE0 = 0x04, SH_SYS_WRITE = 0x05, SH_SYS_READ = 0x06,
    SH_SYS_CLOCK = 0x10, SH_SYS_FLEN = 0x0C, SH_SYS_EXIT = 0x18, SH_SYS_EXIT_EXTENDED = 0x20
};
enum { SH_MODE_R = 0, SH_MODE_RB = 1, SH_MODE_W = 4, SH_MODE_WB = 5 };

static inline __attribute__((unused)) int sh_call(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static inline __attribute__((unused)) size_t sh_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static inline __attribute__((unused)) void sh_puts(const char *s) { sh_call(SH_SYS_WRITE0, s); }

/* a host file handle, or -1 */
static inline __attribute__((unused)) int sh_open(const char *path, int mode) {
    uint32_t a[3] = {(uint32_t)(uintptr_t)path, (uint32_t)mode, (uint32_t)sh_strlen(path)};
    return sh_call(SH_SYS_OPEN, a);
}

static inline __attribute__((unused)) int sh_close(int h) {
    uint32_t a[1] = {(uint32_t)h};
    return sh_call(SH_SYS_CLOSE, a);
}

/* bytes written */
static inline __attribute__((unused)) size_t sh_write(int h, const void *p, size_t n) {
    uint32_t a[3] = {(uint32_t)h, (uint32_t)(uintptr_t)p, (uint32_t)n};
    return n - (size_t)sh_call(SH_SYS_WRITE, a); /* the call returns the bytes NOT written */
}

/* bytes read */
static inline __attribute__((unused)) size_t sh_read(int h, void *p, size_t n) {
    uint32_t a[3] = {(uint32_t)h, (uint32_t)(uintptr_t)p, (uint32_t)n};
    return n - (size_t)sh_call(SH_SYS_READ, a);
}

static inline __attribute__((unused)) long sh_flen(int h) {
    uint32_t a[1] = {(uint32_t)h};
    return sh_call(SH_SYS_FLEN, a);
}

/* host centiseconds since the program started */
static inline __attribute__((unused)) long sh_clock(void) { return sh_call(SH_SYS_CLOCK, 0); }

/* ends the emulation with exit status `code` (ADP_Stopped_ApplicationExit + subcode) */
static inline __attribute__((unused, noreturn)) void sh_exit(int code) {
    uint32_t a[2] = {0x20026u, (uint32_t)code};
    sh_call(SH_SYS_EXIT_EXTENDED, a);
    for (;;) sh_call(SH_SYS_EXIT, (const void *)(uintptr_t)0x20026u); /* hosts without EXIT_EXTENDED */
}

#endif
