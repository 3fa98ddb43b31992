#include <math.h>

#include "callgate/common.h"

const char *cg_error_name(int err)
{
    switch (err) {
#define CG_X_CASE(name, value, text) \
    case value:                      \
        return text;
        CG_ERRORS(CG_X_CASE)
#undef CG_X_CASE
    }
    return "unknown error";
}

const char *cg_event_kind_name(int kind)
{
    switch (kind) {
#define CG_X_CASE(name, value, text) \
    case value:                      \
        return text;
        CG_EVENT_KINDS(CG_X_CASE)
#undef CG_X_CASE
    }
    return "unknown";
}

/* Full-scale sine peaks in 16-bit linear units: mu-law's largest decision value is 8159 in its
 * 14-bit scale, A-law's 4096 in its 13-bit scale. */
#define ULAW_FULL_SCALE_PEAK (8159.0f * 4.0f)
#define ALAW_FULL_SCALE_PEAK (4096.0f * 8.0f)

float cg_dbm0_peak(cg_law_t law)
{
    /* 10^(-3.17/20) and 10^(-3.14/20) */
    return law == CG_LAW_ALAW ? ALAW_FULL_SCALE_PEAK * 0.696626f : ULAW_FULL_SCALE_PEAK * 0.694222f;
}

float cg_dbm0_to_peak(float level_dbm0, cg_law_t law)
{
    return cg_dbm0_peak(law) * powf(10.0f, level_dbm0 / 20.0f);
}

float cg_power_to_dbm0(float power, cg_law_t law)
{
    const float peak = cg_dbm0_peak(law);
    const float ref = 0.5f * peak * peak; /* mean square of the 0 dBm0 sine */
    if (power <= 0.0f)
        return -200.0f;
    return 10.0f * log10f(power / ref);
}
