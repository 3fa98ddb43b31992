/* spandsp's DTMF receiver on the target (bench/mcu/spandsp_side.c): start, feed, digits found. */
#ifndef CALLGATE_BENCH_MCU_SPANDSP_SIDE_H
#define CALLGATE_BENCH_MCU_SPANDSP_SIDE_H

#include <stdint.h>

void sp_dtmf_start(void);
void sp_dtmf_feed(const int16_t *x, int n);
long sp_dtmf_digits(void);

#endif
