/* step_icount.c - instructions per step_run slice on a Cortex-M under QEMU (bench/step_icount.sh):
 * the model `m` (any Cortex-M build) decodes the last 8 positions of its context, one section per
 * step_run call, and the worst count of each section over them is printed.  Counts come from SysTick under
 * qemu-system-arm -icount shift=0 (virtual time advances one ns per instruction), scaled by a
 * calibration loop of known length, so they are instructions, not cycles of a real core. */
#include "m.h"
#include "semihost.h"

#include <stdint.h>

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static unsigned char arena[M_ARENA_BYTES] __attribute__((aligned(64)));

static uint32_t now(void) { return SYST_CVR; }
static uint32_t since(uint32_t t0) { return (t0 - SYST_CVR) & 0xFFFFFFu; } /* a 24-bit down-counter */

static void put_u(uint64_t v) {
    char b[24];
    int n = 0;
    do b[n++] = (char)('0' + v % 10), v /= 10; while (v);
    char o[24];
    for (int i = 0; i < n; i++) o[i] = b[n - 1 - i];
    o[n] = 0;
    sh_puts(o);
}

int main(void) {
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5; /* processor clock, no interrupt, enabled */
    /* calibration: 2 instructions per iteration (subs, bne) */
    uint32_t loops = 1000000, t0 = now();
    __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(loops) : : "cc");
    uint64_t ticks = since(t0), per_mtick = ticks ? 2000000ull * 1000000ull / ticks : 0; /* insns per 1e6 ticks */
    m_ctx c;
    if (m_init(&c, arena, sizeof arena, 0, 0)) { sh_puts("init failed\n"); return 1; }
    /* the context filled but for the 8 measured tokens: attention is widest at its end */
    int32_t tok = 1;
    for (int p = 0; p < M_CTX - 8; p++, tok = (tok * 7 + 11) % M_VOCAB_SIZE)
        if (!m_forward(&c, &tok, 1)) { sh_puts("forward failed\n"); return 1; }
    uint64_t worst[M_STEP_SECTIONS] = {0};
    for (int k = 0; k < 8; k++) {
        if (m_step_begin(&c, &tok, 1)) { sh_puts("step_begin failed\n"); return 1; }
        for (int s = 0; s < M_STEP_SECTIONS; s++) {
            t0 = now();
            int left = m_step_run(&c, 1);
            uint64_t t = since(t0);
            if (left < 0) { sh_puts("step_run failed\n"); return 1; }
            worst[s] = t > worst[s] ? t : worst[s];
        }
        tok = (tok * 7 + 11) % M_VOCAB_SIZE;
    }
    sh_puts("section worst-instructions\n");
    uint64_t layer_max = 0;
    for (int s = 0; s < M_STEP_SECTIONS; s++) {
        uint64_t insns = worst[s] * per_mtick / 1000000ull;
        put_u((uint64_t)s), sh_puts(" "), put_u(insns), sh_puts("\n");
        if (s > 0 && s + 1 < M_STEP_SECTIONS && insns > layer_max) layer_max = insns;
    }
    sh_puts("worst layer slice: "), put_u(layer_max), sh_puts(" instructions\n");
    return 0;
}
