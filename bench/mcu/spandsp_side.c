/*
 * spandsp's DTMF receiver on the target, as bench/mcu/main.c runs it: compiled against the
 * unpacked upstream source (build/spandsp-VERSION/src, from /work/shared/vendor; never part of the
 * product), with the few library services its dtmf.c and tone_detect.c reference written out
 * here. None of them runs while samples are received: logging is off (span_log_test says no),
 * the state is the caller's (no allocation), and the queue, tone generator and DDS calls belong
 * to the transmitter, which the benchmark never starts.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "spandsp/telephony.h"
#include "spandsp/alloc.h"
#include "spandsp/logging.h"
#include "spandsp/queue.h"
#include "spandsp/complex.h"
#include "spandsp/dds.h"
#include "spandsp/tone_detect.h"
#include "spandsp/tone_generate.h"
#include "spandsp/super_tone_rx.h"
#include "spandsp/dtmf.h"
#include "spandsp/private/logging.h"
#include "spandsp/private/queue.h"
#include "spandsp/private/tone_generate.h"
#include "spandsp/private/dtmf.h"

#include "spandsp_side.h"

/* --- the library services dtmf.c links against ---------------------------------------------- */

void *span_alloc(size_t size)
{
    (void) size;
    return NULL; /* every state here is the caller's */
}

void span_free(void *ptr)
{
    (void) ptr;
}

bool span_log_test(logging_state_t *s, int level)
{
    (void) s;
    (void) level;
    return false;
}

int span_log(logging_state_t *s, int level, const char *format, ...)
{
    (void) s;
    (void) level;
    (void) format;
    return 0;
}

logging_state_t *span_log_init(logging_state_t *s, int level, const char *tag)
{
    (void) level;
    (void) tag;
    return s;
}

int span_log_set_protocol(logging_state_t *s, const char *protocol)
{
    (void) s;
    (void) protocol;
    return 0;
}

/* Transmitter only (dtmf_tx_*): never called by the benchmark. */
int queue_free_space(queue_state_t *s) { (void) s; return 0; }
queue_state_t *queue_init(queue_state_t *s, int len, int flags) { (void) len; (void) flags; return s; }
int queue_read_byte(queue_state_t *s) { (void) s; return -1; }
int queue_release(queue_state_t *s) { (void) s; return 0; }
int queue_write(queue_state_t *s, const uint8_t *buf, int len) { (void) s; (void) buf; (void) len; return 0; }
float dds_scaling_dbm0f(float level) { (void) level; return 0.0f; }
int tone_gen(tone_gen_state_t *s, int16_t amp[], int max_samples)
{
    (void) s;
    (void) amp;
    (void) max_samples;
    return 0;
}
tone_gen_descriptor_t *tone_gen_descriptor_init(tone_gen_descriptor_t *s, int f1, int l1, int f2,
                                                int l2, int d1, int d2, int d3, int d4, int repeat)
{
    (void) f1; (void) l1; (void) f2; (void) l2; (void) d1; (void) d2; (void) d3; (void) d4;
    (void) repeat;
    return s;
}
tone_gen_state_t *tone_gen_init(tone_gen_state_t *s, tone_gen_descriptor_t *t)
{
    (void) t;
    return s;
}

/* --- the receiver ---------------------------------------------------------------------------- */

static dtmf_rx_state_t rx;
static long digits;

static void count(void *user_data, const char *d, int len)
{
    (void) user_data;
    (void) d;
    digits += len;
}

void sp_dtmf_start(void)
{
    digits = 0;
    dtmf_rx_init(&rx, count, NULL);
}

void sp_dtmf_feed(const int16_t *x, int n)
{
    dtmf_rx(&rx, x, n);
}

long sp_dtmf_digits(void)
{
    return digits;
}
