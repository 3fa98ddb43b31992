// The board's part of MicroPython's time module (extmod/modtime.c includes this file, named
// by MICROPY_PY_TIME_INCLUDEFILE in mpconfigboard.h): the wall clock is mp_hal_time_ns
// (board.c: seconds since boot, from 1970; the firmware dates its records with the line
// cards' clock, hal_mcu.py, not with this).
#include "py/mphal.h"
#include "shared/timeutils/timeutils.h"

static void mp_time_localtime_get(timeutils_struct_time_t *tm) {
    timeutils_seconds_since_epoch_to_struct_time(mp_hal_time_ns() / 1000000000ull, tm);
}

static mp_obj_t mp_time_time_get(void) {
    return mp_obj_new_int_from_ull(mp_hal_time_ns() / 1000000000ull);
}
