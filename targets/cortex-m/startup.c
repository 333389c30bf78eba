/* startup.c - Cortex-M reset for bare-metal lmcc programs (cortex-m4, cortex-m55 on QEMU's MPS2/MPS3
 * boards): vector table, .data copy, .bss zeroing, FPU/MVE enable, main(), exit via semihosting.
 * Also the four mem* functions the C compiler may call by itself in freestanding code. */
#include <stddef.h>
#include <stdint.h>

#include "semihost.h"

extern uint32_t __stack_top[], __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
int main(void);

void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void) __attribute__((noreturn));

/* CPACR CP10/CP11 full access: the FPU and, on Armv8.1-M, MVE (Helium).  Done first, in
 * assembly, because the compiler may use FP/vector registers for the copy loops below. */
void Reset_Handler(void) {
    __asm__ volatile("ldr r0, =0xE000ED88\n"
                     "ldr r1, [r0]\n"
                     "orr r1, r1, #(0xF << 20)\n"
                     "str r1, [r0]\n"
                     "dsb\n"
                     "isb\n" ::: "r0", "r1", "memory");
    for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;) *d++ = *s++;
    for (uint32_t *d = __bss_start; d < __bss_end;) *d++ = 0;
    sh_exit(main());
}

void Fault_Handler(void) {
    sh_puts("fault: hard fault / unhandled exception\n");
    sh_exit(128 + 11);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler,
    Fault_Handler,
};

/* gcc turns these very loops into calls to themselves unless told not to */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NO_LIBCALL
#endif

NO_LIBCALL void *memcpy(void *restrict d, const void *restrict s, size_t n) {
    unsigned char *dp = d;
    const unsigned char *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}

NO_LIBCALL void *memmove(void *d, const void *s, size_t n) {
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp < sp)
        while (n--) *dp++ = *sp++;
    else
        while (n--) dp[n] = sp[n];
    return d;
}

NO_LIBCALL void *memset(void *d, int c, size_t n) {
    unsigned char *dp = d;
    while (n--) *dp++ = (unsigned char)c;
    return d;
}

NO_LIBCALL int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}
