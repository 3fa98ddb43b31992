/*
 * Minimal start-up for the bench/mcu benchmark on QEMU's mps2-an386 (Cortex-M4F): the vector
 * table, a reset handler that copies .data, clears .bss, turns the FPU on and runs main(), and
 * ARM semihosting (BKPT 0xAB) for text output and exit. No interrupts are enabled.
 */
#include <stdint.h>

#include "mcu.h"

extern uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end, _stack_top;
int main(void);

#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUNTIME_ERROR 0x20023

static int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void mcu_puts(const char *s)
{
    semihost(SYS_WRITE0, s);
}

void mcu_exit(int status)
{
    semihost(SYS_EXIT, (const void *) (uintptr_t) (status == 0 ? ADP_STOPPED_APPLICATION_EXIT
                                                               : ADP_STOPPED_RUNTIME_ERROR));
    for (;;) {
    }
}

void reset_handler(void)
{
    const uint32_t *src = &_data_load;
    for (uint32_t *dst = &_data_start; dst < &_data_end;)
        *dst++ = *src++;
    for (uint32_t *dst = &_bss_start; dst < &_bss_end;)
        *dst++ = 0;
    /* CPACR: full access to CP10 and CP11, the FPU. */
    *(volatile uint32_t *) 0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb");
    mcu_exit(main());
}

static void fault_handler(void)
{
    mcu_puts("fault\n");
    mcu_exit(1);
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &_stack_top,   reset_handler, fault_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, 0,             0,             0,             0,             fault_handler,
    fault_handler, 0,             fault_handler, fault_handler,
};
