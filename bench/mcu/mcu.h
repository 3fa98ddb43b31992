/* The bench/mcu benchmark program's few services (startup.c, main.c). */
#ifndef CALLGATE_BENCH_MCU_H
#define CALLGATE_BENCH_MCU_H

void mcu_puts(const char *s);
void mcu_exit(int status);

#endif
