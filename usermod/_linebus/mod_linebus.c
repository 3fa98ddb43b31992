// _linebus: the byte loops of the line-card bus (firmware/callgate/linebus.py) in C, for an
// MCU image. Every tick the MCU checks and unstuffs the line cards' frame and stuffs its own
// (about 1.4 KB each way with 8 ports): in bytecode those loops alone took the emulated
// Cortex-M4F longer than the 20 ms tick (bench/MCU.md). linebus.py uses this module when the
// image has it and its own Python loops otherwise (the host, the Unix port); tests/mcu checks
// that both give the same bytes. A real board's PCM DMA would do the copying; the framing
// stays the same. Nothing here allocates: buffers are the caller's (buffer protocol).

#include <string.h>

#include "py/obj.h"
#include "py/runtime.h"

// CRC-16/CCITT-FALSE (firmware/callgate/link/crc.py): polynomial 0x1021, no reflection.
static uint16_t crc_step(uint16_t crc, uint8_t b) {
    crc ^= (uint16_t)b << 8;
    for (int k = 0; k < 8; k++) {
        crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

static void range_arg(mp_buffer_info_t *bi, mp_int_t start, mp_int_t end) {
    if (start < 0 || end < start || (size_t)end > bi->len) {
        mp_raise_ValueError(MP_ERROR_TEXT("range outside the buffer"));
    }
}

// crc16(buf, start, end, crc=0xFFFF): linebus.crc16_range
static mp_obj_t lb_crc16(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(args[0], &bi, MP_BUFFER_READ);
    mp_int_t start = mp_obj_get_int(args[1]);
    mp_int_t end = mp_obj_get_int(args[2]);
    range_arg(&bi, start, end);
    uint16_t crc = n_args > 3 ? (uint16_t)mp_obj_get_int(args[3]) : 0xFFFF;
    const uint8_t *p = bi.buf;
    for (mp_int_t i = start; i < end; i++) {
        crc = crc_step(crc, p[i]);
    }
    return MP_OBJ_NEW_SMALL_INT(crc);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lb_crc16_obj, 3, 4, lb_crc16);

// stuff(src, n, wire): linebus.stuff (COBS of src[:n] between two 0x00; the bytes written)
static mp_obj_t lb_stuff(mp_obj_t src_in, mp_obj_t n_in, mp_obj_t wire_in) {
    mp_buffer_info_t s, w;
    mp_get_buffer_raise(src_in, &s, MP_BUFFER_READ);
    mp_get_buffer_raise(wire_in, &w, MP_BUFFER_WRITE);
    mp_int_t n = mp_obj_get_int(n_in);
    range_arg(&s, 0, n);
    if (w.len < (size_t)n + (size_t)n / 254 + 3) {
        mp_raise_ValueError(MP_ERROR_TEXT("wire buffer too small"));
    }
    const uint8_t *src = s.buf;
    uint8_t *wire = w.buf;
    size_t code_at = 1, at = 2;
    uint8_t code = 1;
    bool full = false;  // the last byte closed a 254-byte block
    wire[0] = 0;
    for (mp_int_t i = 0; i < n; i++) {
        uint8_t c = src[i];
        full = false;
        if (c == 0) {
            wire[code_at] = code;
            code_at = at++;
            code = 1;
        } else {
            wire[at++] = c;
            if (++code == 0xFF) {
                wire[code_at] = code;
                code_at = at++;
                code = 1;
                full = true;
            }
        }
    }
    if (full) {
        at = code_at;  // the data ended on a whole block: no code byte follows it
    } else {
        wire[code_at] = code;
    }
    wire[at] = 0;
    return MP_OBJ_NEW_SMALL_INT(at + 1);
}
static MP_DEFINE_CONST_FUN_OBJ_3(lb_stuff_obj, lb_stuff);

// feed(state, body, buf, start, end): linebus.Decoder.feed's loop. state is the Decoder's
// array('i') [n, left, code, bad, ready, frames, errors]; returns the index it stopped at.
enum { S_N, S_LEFT, S_CODE, S_BAD, S_READY, S_FRAMES, S_ERRORS, S_LEN };

static mp_obj_t lb_feed(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t st, b, in;
    mp_get_buffer_raise(args[0], &st, MP_BUFFER_RW);
    mp_get_buffer_raise(args[1], &b, MP_BUFFER_WRITE);
    mp_get_buffer_raise(args[2], &in, MP_BUFFER_READ);
    if (st.typecode != 'i' || st.len < S_LEN * sizeof(int32_t)) {
        mp_raise_ValueError(MP_ERROR_TEXT("state must be array('i') of 7"));
    }
    mp_int_t i = mp_obj_get_int(args[3]);
    mp_int_t end = mp_obj_get_int(args[4]);
    range_arg(&in, i, end);
    int32_t *s = st.buf;
    uint8_t *body = b.buf;
    const uint8_t *p = in.buf;
    size_t limit = b.len;
    int32_t n = s[S_N], left = s[S_LEFT], code = s[S_CODE], bad = s[S_BAD];
    s[S_READY] = 0;
    while (i < end) {
        uint8_t c = p[i++];
        if (c == 0) {
            if (code && !bad) {
                uint16_t crc = 0xFFFF;
                for (int32_t k = 0; k < n; k++) {
                    crc = crc_step(crc, body[k]);
                }
                if (left || n < 3 || crc != 0) {
                    s[S_ERRORS]++;
                } else {
                    s[S_READY] = n - 2;
                    s[S_FRAMES]++;
                }
            } else if (bad) {
                s[S_ERRORS]++;
            }
            n = left = code = bad = 0;
            if (s[S_READY]) {
                break;
            }
            continue;
        }
        if (bad) {
            continue;
        }
        if (left == 0) {
            if (code && code != 0xFF) {
                if ((size_t)n >= limit) {
                    bad = 1;
                    continue;
                }
                body[n++] = 0;
            }
            code = c;
            left = c - 1;
        } else {
            if ((size_t)n >= limit) {
                bad = 1;
                continue;
            }
            body[n++] = c;
            left--;
        }
    }
    s[S_N] = n;
    s[S_LEFT] = left;
    s[S_CODE] = code;
    s[S_BAD] = bad;
    return MP_OBJ_NEW_SMALL_INT(i);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lb_feed_obj, 5, 5, lb_feed);

// copy(dst, doff, src, soff, n): dst[doff:doff+n] = src[soff:soff+n], without a slice object
static mp_obj_t lb_copy(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t d, s;
    mp_get_buffer_raise(args[0], &d, MP_BUFFER_WRITE);
    mp_get_buffer_raise(args[2], &s, MP_BUFFER_READ);
    mp_int_t doff = mp_obj_get_int(args[1]), soff = mp_obj_get_int(args[3]), n = mp_obj_get_int(args[4]);
    range_arg(&d, doff, doff + n);
    range_arg(&s, soff, soff + n);
    memmove((uint8_t *)d.buf + doff, (const uint8_t *)s.buf + soff, (size_t)n);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lb_copy_obj, 5, 5, lb_copy);

// fill(dst, off, n, value): dst[off:off+n] = value in every byte
static mp_obj_t lb_fill(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t d;
    mp_get_buffer_raise(args[0], &d, MP_BUFFER_WRITE);
    mp_int_t off = mp_obj_get_int(args[1]), n = mp_obj_get_int(args[2]);
    range_arg(&d, off, off + n);
    memset((uint8_t *)d.buf + off, (int)(mp_obj_get_int(args[3]) & 0xFF), (size_t)n);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lb_fill_obj, 4, 4, lb_fill);

// same(buf, off, n, value): True if every byte of buf[off:off+n] is value (a silent frame)
static mp_obj_t lb_same(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t b;
    mp_get_buffer_raise(args[0], &b, MP_BUFFER_READ);
    mp_int_t off = mp_obj_get_int(args[1]), n = mp_obj_get_int(args[2]);
    range_arg(&b, off, off + n);
    uint8_t v = (uint8_t)(mp_obj_get_int(args[3]) & 0xFF);
    const uint8_t *p = (const uint8_t *)b.buf + off;
    for (mp_int_t i = 0; i < n; i++) {
        if (p[i] != v) {
            return mp_const_false;
        }
    }
    return mp_const_true;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lb_same_obj, 4, 4, lb_same);

static const mp_rom_map_elem_t linebus_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__linebus) },
    { MP_ROM_QSTR(MP_QSTR_crc16), MP_ROM_PTR(&lb_crc16_obj) },
    { MP_ROM_QSTR(MP_QSTR_stuff), MP_ROM_PTR(&lb_stuff_obj) },
    { MP_ROM_QSTR(MP_QSTR_feed), MP_ROM_PTR(&lb_feed_obj) },
    { MP_ROM_QSTR(MP_QSTR_copy), MP_ROM_PTR(&lb_copy_obj) },
    { MP_ROM_QSTR(MP_QSTR_fill), MP_ROM_PTR(&lb_fill_obj) },
    { MP_ROM_QSTR(MP_QSTR_same), MP_ROM_PTR(&lb_same_obj) },
};
static MP_DEFINE_CONST_DICT(linebus_module_globals, linebus_module_globals_table);

const mp_obj_module_t linebus_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&linebus_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__linebus, linebus_user_cmodule);
