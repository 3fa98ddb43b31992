// _callgate: the callgate DSP core (c_src/) as a MicroPython user C module.
//
// The second binding of the same C core (the first is cffi_build/ for CPython). Every object
// embeds its C state after the MicroPython header and is allocated once, when made; the
// per-block calls (process, flush, the G.711 functions) take the caller's buffers through
// the buffer protocol and return a small int, so a frame loop allocates nothing. Samples are
// array('h') (typecode 'h'), G.711 codes any byte buffer, and events go into a caller's
// bytearray as fixed-size records: EVENT_SIZE bytes each, EVENT_FORMAT for struct.unpack_from
// (native alignment, as the C struct: start_sample, end_sample, kind, value, level_dbm0, detail); the media engine's records are
// MEDIA_EVENT_SIZE bytes, MEDIA_EVENT_FORMAT (port, 0, then the same six fields).
//
// Memory the C engine keeps pointing into between calls (a prompt's codes, a recording
// buffer, a caller ID receiver) is the caller's object: the engine also keeps a reference to
// it, so the garbage collector cannot free it while the engine uses it. A prompt is played
// from the caller's buffer as it is: do not change it until its prompt-done event.
//
// The module's name starts with an underscore so it cannot hide the frozen `callgate`
// package; docs/hardware.md describes the build (make firmware BOARD=qemu-m4f).

#include <string.h>

#include "py/obj.h"
#include "py/objarray.h"
#include "py/runtime.h"

#include "callgate/cid.h"
#include "callgate/common.h"
#include "callgate/cpa.h"
#include "callgate/dtmf.h"
#include "callgate/dtmf_tx.h"
#include "callgate/g711.h"
#include "callgate/media.h"
#include "callgate/tone.h"
#include "callgate/private/cid.h"
#include "callgate/private/cpa.h"
#include "callgate/private/dtmf.h"
#include "callgate/private/dtmf_tx.h"
#include "callgate/private/media.h"
#include "callgate/private/tone.h"

// --- helpers -------------------------------------------------------------------------------

// A negative status from the C core as ValueError("what: reason").
static int check(int status, const char *what) {
    if (status < 0) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s: %s"), what,
            cg_error_name(status));
    }
    return status;
}

static cg_law_t law_arg(mp_obj_t obj) {
    mp_int_t law = mp_obj_get_int(obj);
    if (law != CG_LAW_ULAW && law != CG_LAW_ALAW) {
        mp_raise_ValueError(MP_ERROR_TEXT("law must be ULAW or ALAW"));
    }
    return (cg_law_t)law;
}

// A sample buffer: array('h') or a memoryview of one. Returns the sample count.
static size_t samples_arg(mp_obj_t obj, mp_buffer_info_t *bi, mp_uint_t flags) {
    mp_get_buffer_raise(obj, bi, flags);
    if (bi->typecode != 'h' || ((uintptr_t)bi->buf & 1u)) {
        mp_raise_TypeError(MP_ERROR_TEXT("samples must be an array('h')"));
    }
    return bi->len / sizeof(int16_t);
}

// An event buffer (bytearray) and how many records of size `size` fit in it.
static size_t events_arg(mp_obj_t obj, mp_buffer_info_t *bi, size_t size) {
    mp_get_buffer_raise(obj, bi, MP_BUFFER_WRITE);
    if ((uintptr_t)bi->buf % __alignof__(cg_media_event_t)) {
        mp_raise_ValueError(MP_ERROR_TEXT("event buffer must be aligned (a whole bytearray)"));
    }
    return bi->len / size;
}

// A block's events must fit: the C call refuses a short buffer (CG_E_SPACE) before reading.
static mp_obj_t events_result(int n, const char *what) {
    return MP_OBJ_NEW_SMALL_INT(check(n, what));
}

// --- G.711: whole buffers, into the caller's ------------------------------------------------

typedef void (*encode_fn_t)(uint8_t *dst, const int16_t *src, size_t n);
typedef void (*decode_fn_t)(int16_t *dst, const uint8_t *src, size_t n);
typedef void (*transcode_fn_t)(uint8_t *dst, const uint8_t *src, size_t n);

static mp_obj_t encode(mp_obj_t samples, mp_obj_t out, encode_fn_t fn) {
    mp_buffer_info_t src, dst;
    size_t n = samples_arg(samples, &src, MP_BUFFER_READ);
    mp_get_buffer_raise(out, &dst, MP_BUFFER_WRITE);
    if (dst.len < n) {
        mp_raise_ValueError(MP_ERROR_TEXT("out is shorter than the samples"));
    }
    fn(dst.buf, src.buf, n);
    return MP_OBJ_NEW_SMALL_INT(n);
}

static mp_obj_t decode(mp_obj_t codes, mp_obj_t out, decode_fn_t fn) {
    mp_buffer_info_t src, dst;
    mp_get_buffer_raise(codes, &src, MP_BUFFER_READ);
    size_t room = samples_arg(out, &dst, MP_BUFFER_WRITE);
    if (room < src.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("out is shorter than the codes"));
    }
    fn(dst.buf, src.buf, src.len);
    return MP_OBJ_NEW_SMALL_INT(src.len);
}

static mp_obj_t transcode(mp_obj_t codes, mp_obj_t out, transcode_fn_t fn) {
    mp_buffer_info_t src, dst;
    mp_get_buffer_raise(codes, &src, MP_BUFFER_READ);
    mp_get_buffer_raise(out, &dst, MP_BUFFER_WRITE);
    if (dst.len < src.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("out is shorter than the codes"));
    }
    fn(dst.buf, src.buf, src.len);
    return MP_OBJ_NEW_SMALL_INT(src.len);
}

static mp_obj_t ulaw_encode(mp_obj_t s, mp_obj_t o) { return encode(s, o, cg_ulaw_encode); }
static mp_obj_t alaw_encode(mp_obj_t s, mp_obj_t o) { return encode(s, o, cg_alaw_encode); }
static mp_obj_t ulaw_decode(mp_obj_t c, mp_obj_t o) { return decode(c, o, cg_ulaw_decode); }
static mp_obj_t alaw_decode(mp_obj_t c, mp_obj_t o) { return decode(c, o, cg_alaw_decode); }
static mp_obj_t alaw_to_ulaw(mp_obj_t c, mp_obj_t o) { return transcode(c, o, cg_alaw_to_ulaw); }
static mp_obj_t ulaw_to_alaw(mp_obj_t c, mp_obj_t o) { return transcode(c, o, cg_ulaw_to_alaw); }
static MP_DEFINE_CONST_FUN_OBJ_2(ulaw_encode_obj, ulaw_encode);
static MP_DEFINE_CONST_FUN_OBJ_2(alaw_encode_obj, alaw_encode);
static MP_DEFINE_CONST_FUN_OBJ_2(ulaw_decode_obj, ulaw_decode);
static MP_DEFINE_CONST_FUN_OBJ_2(alaw_decode_obj, alaw_decode);
static MP_DEFINE_CONST_FUN_OBJ_2(alaw_to_ulaw_obj, alaw_to_ulaw);
static MP_DEFINE_CONST_FUN_OBJ_2(ulaw_to_alaw_obj, ulaw_to_alaw);

// --- names from the C core's X-macro lists ---------------------------------------------------

static mp_obj_t error_name(mp_obj_t code) {
    return mp_obj_new_str_from_cstr(cg_error_name(mp_obj_get_int(code)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(error_name_obj, error_name);

static mp_obj_t event_kind_name(mp_obj_t kind) {
    return mp_obj_new_str_from_cstr(cg_event_kind_name(mp_obj_get_int(kind)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(event_kind_name_obj, event_kind_name);

static mp_obj_t cid_status_name(mp_obj_t status) {
    return mp_obj_new_str_from_cstr(cg_cid_status_name(mp_obj_get_int(status)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(cid_status_name_obj, cid_status_name);

static mp_obj_t disc_method_name(mp_obj_t method) {
    return mp_obj_new_str_from_cstr(cg_disc_method_name(mp_obj_get_int(method)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(disc_method_name_obj, disc_method_name);

// --- DtmfRx --------------------------------------------------------------------------------

typedef struct {
    mp_obj_base_t base;
    cg_dtmf_rx_t st;
    cg_dtmf_rx_cfg_t cfg;
} dtmf_rx_obj_t;

static mp_obj_t dtmf_rx_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    enum { ARG_law, ARG_report_begin, ARG_min_level_dbm0, ARG_max_normal_twist_db,
           ARG_max_reverse_twist_db, ARG_max_freq_error_pct };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_law, MP_ARG_INT, {.u_int = CG_LAW_ULAW} },
        { MP_QSTR_report_begin, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_min_level_dbm0, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_max_normal_twist_db, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_max_reverse_twist_db, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_max_freq_error_pct, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t v[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all_kw_array(n_args, n_kw, args, MP_ARRAY_SIZE(allowed), allowed, v);
    dtmf_rx_obj_t *self = mp_obj_malloc(dtmf_rx_obj_t, type);
    cg_dtmf_rx_cfg_default(&self->cfg);
    self->cfg.law = law_arg(MP_OBJ_NEW_SMALL_INT(v[ARG_law].u_int));
    self->cfg.report_begin = v[ARG_report_begin].u_bool;
    if (v[ARG_min_level_dbm0].u_obj != mp_const_none) {
        self->cfg.min_level_dbm0 = mp_obj_get_float(v[ARG_min_level_dbm0].u_obj);
    }
    if (v[ARG_max_normal_twist_db].u_obj != mp_const_none) {
        self->cfg.max_normal_twist_db = mp_obj_get_float(v[ARG_max_normal_twist_db].u_obj);
    }
    if (v[ARG_max_reverse_twist_db].u_obj != mp_const_none) {
        self->cfg.max_reverse_twist_db = mp_obj_get_float(v[ARG_max_reverse_twist_db].u_obj);
    }
    if (v[ARG_max_freq_error_pct].u_obj != mp_const_none) {
        self->cfg.max_freq_error_pct = mp_obj_get_float(v[ARG_max_freq_error_pct].u_obj);
    }
    check(cg_dtmf_rx_init(&self->st, &self->cfg), "DtmfRx");
    return MP_OBJ_FROM_PTR(self);
}

// process(samples, ev) -> events written; ev must hold max_events(len(samples)) records.
static mp_obj_t dtmf_rx_process(mp_obj_t self_in, mp_obj_t samples, mp_obj_t ev) {
    dtmf_rx_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t s, e;
    size_t n = samples_arg(samples, &s, MP_BUFFER_READ);
    size_t max_ev = events_arg(ev, &e, sizeof(cg_event_t));
    return events_result(cg_dtmf_rx_process(&self->st, s.buf, n, e.buf, max_ev), "process");
}
static MP_DEFINE_CONST_FUN_OBJ_3(dtmf_rx_process_obj, dtmf_rx_process);

static mp_obj_t dtmf_rx_flush(mp_obj_t self_in, mp_obj_t ev) {
    dtmf_rx_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t e;
    size_t max_ev = events_arg(ev, &e, sizeof(cg_event_t));
    return events_result(cg_dtmf_rx_flush(&self->st, e.buf, max_ev), "flush");
}
static MP_DEFINE_CONST_FUN_OBJ_2(dtmf_rx_flush_obj, dtmf_rx_flush);

static mp_obj_t dtmf_rx_reset(mp_obj_t self_in) {
    dtmf_rx_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check(cg_dtmf_rx_init(&self->st, &self->cfg), "reset");
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(dtmf_rx_reset_obj, dtmf_rx_reset);

static mp_obj_t dtmf_rx_max_events(mp_obj_t self_in, mp_obj_t n) {
    (void)self_in;
    return MP_OBJ_NEW_SMALL_INT(CG_DTMF_RX_MAX_EVENTS(mp_obj_get_int(n)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(dtmf_rx_max_events_obj, dtmf_rx_max_events);

static const mp_rom_map_elem_t dtmf_rx_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_process), MP_ROM_PTR(&dtmf_rx_process_obj) },
    { MP_ROM_QSTR(MP_QSTR_flush), MP_ROM_PTR(&dtmf_rx_flush_obj) },
    { MP_ROM_QSTR(MP_QSTR_reset), MP_ROM_PTR(&dtmf_rx_reset_obj) },
    { MP_ROM_QSTR(MP_QSTR_max_events), MP_ROM_PTR(&dtmf_rx_max_events_obj) },
};
static MP_DEFINE_CONST_DICT(dtmf_rx_locals, dtmf_rx_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(dtmf_rx_type, MP_QSTR_DtmfRx, MP_TYPE_FLAG_NONE,
    make_new, dtmf_rx_make_new, locals_dict, &dtmf_rx_locals);

// --- DtmfTx --------------------------------------------------------------------------------

typedef struct {
    mp_obj_base_t base;
    cg_dtmf_tx_t st;
} dtmf_tx_obj_t;

static mp_obj_t dtmf_tx_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    enum { ARG_law, ARG_level_dbm0, ARG_twist_db, ARG_on_ms, ARG_off_ms };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_law, MP_ARG_INT, {.u_int = CG_LAW_ULAW} },
        { MP_QSTR_level_dbm0, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_twist_db, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_on_ms, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = CG_DTMF_TX_DEFAULT_ON_MS} },
        { MP_QSTR_off_ms, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = CG_DTMF_TX_DEFAULT_OFF_MS} },
    };
    mp_arg_val_t v[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all_kw_array(n_args, n_kw, args, MP_ARRAY_SIZE(allowed), allowed, v);
    cg_dtmf_tx_cfg_t cfg;
    cg_dtmf_tx_cfg_default(&cfg);
    cfg.law = law_arg(MP_OBJ_NEW_SMALL_INT(v[ARG_law].u_int));
    if (v[ARG_level_dbm0].u_obj != mp_const_none) {
        cfg.level_dbm0 = mp_obj_get_float(v[ARG_level_dbm0].u_obj);
    }
    if (v[ARG_twist_db].u_obj != mp_const_none) {
        cfg.twist_db = mp_obj_get_float(v[ARG_twist_db].u_obj);
    }
    if (v[ARG_on_ms].u_int < 0 || v[ARG_on_ms].u_int > 65535
        || v[ARG_off_ms].u_int < 0 || v[ARG_off_ms].u_int > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("on_ms and off_ms must be 0..65535"));
    }
    cfg.on_ms = (uint16_t)v[ARG_on_ms].u_int;
    cfg.off_ms = (uint16_t)v[ARG_off_ms].u_int;
    dtmf_tx_obj_t *self = mp_obj_malloc(dtmf_tx_obj_t, type);
    check(cg_dtmf_tx_init(&self->st, &cfg), "DtmfTx");
    return MP_OBJ_FROM_PTR(self);
}

// put(digits) -> digits queued (all or nothing).
static mp_obj_t dtmf_tx_put(mp_obj_t self_in, mp_obj_t digits) {
    dtmf_tx_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t n;
    const char *d = mp_obj_str_get_data(digits, &n);
    return MP_OBJ_NEW_SMALL_INT(check(cg_dtmf_tx_put(&self->st, d, n), "put"));
}
static MP_DEFINE_CONST_FUN_OBJ_2(dtmf_tx_put_obj, dtmf_tx_put);

static mp_obj_t dtmf_tx_pending(mp_obj_t self_in) {
    dtmf_tx_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return MP_OBJ_NEW_SMALL_INT(cg_dtmf_tx_pending(&self->st));
}
static MP_DEFINE_CONST_FUN_OBJ_1(dtmf_tx_pending_obj, dtmf_tx_pending);

// process(out) -> samples written into out; fewer than it holds only when the queue ran dry.
static mp_obj_t dtmf_tx_process(mp_obj_t self_in, mp_obj_t out) {
    dtmf_tx_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t o;
    size_t n = samples_arg(out, &o, MP_BUFFER_WRITE);
    return MP_OBJ_NEW_SMALL_INT(cg_dtmf_tx_process(&self->st, o.buf, n));
}
static MP_DEFINE_CONST_FUN_OBJ_2(dtmf_tx_process_obj, dtmf_tx_process);

static const mp_rom_map_elem_t dtmf_tx_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_put), MP_ROM_PTR(&dtmf_tx_put_obj) },
    { MP_ROM_QSTR(MP_QSTR_pending), MP_ROM_PTR(&dtmf_tx_pending_obj) },
    { MP_ROM_QSTR(MP_QSTR_process), MP_ROM_PTR(&dtmf_tx_process_obj) },
};
static MP_DEFINE_CONST_DICT(dtmf_tx_locals, dtmf_tx_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(dtmf_tx_type, MP_QSTR_DtmfTx, MP_TYPE_FLAG_NONE,
    make_new, dtmf_tx_make_new, locals_dict, &dtmf_tx_locals);

// --- ToneGen: a plan's tone, by name ---------------------------------------------------------

typedef struct {
    mp_obj_base_t base;
    cg_tone_gen_t st;
} tone_gen_obj_t;

static const cg_tone_desc_t *tone_arg(mp_obj_t plan, mp_obj_t name) {
    const cg_tone_desc_t *tone;
    if (cg_tone_lookup(mp_obj_str_get_str(plan), mp_obj_str_get_str(name), &tone) < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("no such tone plan or tone"));
    }
    return tone;
}

// ToneGen(plan, name, law=ULAW), e.g. ToneGen("US", "busy").
static mp_obj_t tone_gen_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 2, 3, false);
    const cg_tone_desc_t *tone = tone_arg(args[0], args[1]);
    cg_law_t law = n_args > 2 ? law_arg(args[2]) : CG_LAW_ULAW;
    tone_gen_obj_t *self = mp_obj_malloc(tone_gen_obj_t, type);
    check(cg_tone_gen_init(&self->st, tone, law), "ToneGen");
    return MP_OBJ_FROM_PTR(self);
}

static mp_obj_t tone_gen_process(mp_obj_t self_in, mp_obj_t out) {
    tone_gen_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t o;
    size_t n = samples_arg(out, &o, MP_BUFFER_WRITE);
    return MP_OBJ_NEW_SMALL_INT(cg_tone_gen_process(&self->st, o.buf, n));
}
static MP_DEFINE_CONST_FUN_OBJ_2(tone_gen_process_obj, tone_gen_process);

static const mp_rom_map_elem_t tone_gen_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_process), MP_ROM_PTR(&tone_gen_process_obj) },
};
static MP_DEFINE_CONST_DICT(tone_gen_locals, tone_gen_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(tone_gen_type, MP_QSTR_ToneGen, MP_TYPE_FLAG_NONE,
    make_new, tone_gen_make_new, locals_dict, &tone_gen_locals);

// --- CidRx: caller ID receiver (standalone, or armed on a media engine port) -----------------

typedef struct {
    mp_obj_base_t base;
    cg_cid_rx_t st;
    cg_cid_rx_cfg_t cfg;
} cid_rx_obj_t;

static mp_obj_t cid_rx_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    enum { ARG_standard, ARG_law, ARG_arm, ARG_window_ms, ARG_min_mark_bits, ARG_dtmf,
           ARG_min_level_dbm0 };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_standard, MP_ARG_INT, {.u_int = CG_CID_BELL202} },
        { MP_QSTR_law, MP_ARG_INT, {.u_int = CG_LAW_ULAW} },
        { MP_QSTR_arm, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_window_ms, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1} },
        { MP_QSTR_min_mark_bits, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1} },
        { MP_QSTR_dtmf, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = true} },
        { MP_QSTR_min_level_dbm0, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t v[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all_kw_array(n_args, n_kw, args, MP_ARRAY_SIZE(allowed), allowed, v);
    cid_rx_obj_t *self = mp_obj_malloc(cid_rx_obj_t, type);
    cg_cid_rx_cfg_default(&self->cfg);
    self->cfg.standard = (int32_t)v[ARG_standard].u_int;
    self->cfg.law = law_arg(MP_OBJ_NEW_SMALL_INT(v[ARG_law].u_int));
    self->cfg.arm = (uint32_t)v[ARG_arm].u_int;
    if (v[ARG_window_ms].u_int >= 0) {
        self->cfg.window_ms = (uint32_t)v[ARG_window_ms].u_int;
    }
    if (v[ARG_min_mark_bits].u_int >= 0) {
        self->cfg.min_mark_bits = (uint32_t)v[ARG_min_mark_bits].u_int;
    }
    self->cfg.dtmf = v[ARG_dtmf].u_bool;
    if (v[ARG_min_level_dbm0].u_obj != mp_const_none) {
        self->cfg.min_level_dbm0 = mp_obj_get_float(v[ARG_min_level_dbm0].u_obj);
    }
    check(cg_cid_rx_init(&self->st, &self->cfg), "CidRx");
    return MP_OBJ_FROM_PTR(self);
}

static mp_obj_t cid_rx_process(mp_obj_t self_in, mp_obj_t samples, mp_obj_t ev) {
    cid_rx_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t s, e;
    size_t n = samples_arg(samples, &s, MP_BUFFER_READ);
    size_t max_ev = events_arg(ev, &e, sizeof(cg_event_t));
    return events_result(cg_cid_rx_process(&self->st, s.buf, n, e.buf, max_ev), "process");
}
static MP_DEFINE_CONST_FUN_OBJ_3(cid_rx_process_obj, cid_rx_process);

static mp_obj_t cid_rx_flush(mp_obj_t self_in, mp_obj_t ev) {
    cid_rx_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t e;
    size_t max_ev = events_arg(ev, &e, sizeof(cg_event_t));
    return events_result(cg_cid_rx_flush(&self->st, e.buf, max_ev), "flush");
}
static MP_DEFINE_CONST_FUN_OBJ_2(cid_rx_flush_obj, cid_rx_flush);

// line(RING_START | RING_END | REVERSAL): what the line card saw.
static mp_obj_t cid_rx_line(mp_obj_t self_in, mp_obj_t event) {
    cid_rx_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check(cg_cid_rx_line(&self->st, mp_obj_get_int(event)), "line");
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(cid_rx_line_obj, cid_rx_line);

static mp_obj_t cid_rx_max_events(mp_obj_t self_in, mp_obj_t n) {
    (void)self_in;
    return MP_OBJ_NEW_SMALL_INT(CG_CID_RX_MAX_EVENTS(mp_obj_get_int(n)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(cid_rx_max_events_obj, cid_rx_max_events);

// A message as a dict (allocates: call it for a message event, which is rare).
static mp_obj_t cid_msg_dict(const cg_cid_msg_t *m) {
    mp_obj_t d = mp_obj_new_dict(8);
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_status),
        mp_obj_new_str_from_cstr(cg_cid_status_name(m->status)));
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_type), MP_OBJ_NEW_SMALL_INT(m->type));
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_number), mp_obj_new_str_from_cstr(m->number));
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_name), mp_obj_new_str_from_cstr(m->name));
    char absence[2] = { m->number_absence, m->name_absence };
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_number_absence),
        absence[0] ? mp_obj_new_str(&absence[0], 1) : mp_const_none);
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_name_absence),
        absence[1] ? mp_obj_new_str(&absence[1], 1) : mp_const_none);
    if (m->month >= 0) {
        mp_obj_t date[4] = { MP_OBJ_NEW_SMALL_INT(m->month), MP_OBJ_NEW_SMALL_INT(m->day),
                             MP_OBJ_NEW_SMALL_INT(m->hour), MP_OBJ_NEW_SMALL_INT(m->minute) };
        mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_date), mp_obj_new_tuple(4, date));
    } else {
        mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_date), mp_const_none);
    }
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_mwi),
        m->mwi < 0 ? mp_const_none : mp_obj_new_bool(m->mwi));
    return d;
}

static mp_obj_t cid_rx_message(mp_obj_t self_in) {
    cid_rx_obj_t *self = MP_OBJ_TO_PTR(self_in);
    cg_cid_msg_t m;
    cg_cid_rx_message(&self->st, &m);
    return cid_msg_dict(&m);
}
static MP_DEFINE_CONST_FUN_OBJ_1(cid_rx_message_obj, cid_rx_message);

static const mp_rom_map_elem_t cid_rx_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_process), MP_ROM_PTR(&cid_rx_process_obj) },
    { MP_ROM_QSTR(MP_QSTR_flush), MP_ROM_PTR(&cid_rx_flush_obj) },
    { MP_ROM_QSTR(MP_QSTR_line), MP_ROM_PTR(&cid_rx_line_obj) },
    { MP_ROM_QSTR(MP_QSTR_message), MP_ROM_PTR(&cid_rx_message_obj) },
    { MP_ROM_QSTR(MP_QSTR_max_events), MP_ROM_PTR(&cid_rx_max_events_obj) },
};
static MP_DEFINE_CONST_DICT(cid_rx_locals, cid_rx_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(cid_rx_type, MP_QSTR_CidRx, MP_TYPE_FLAG_NONE,
    make_new, cid_rx_make_new, locals_dict, &cid_rx_locals);

// --- call-progress analysis: Cpa (outbound result), Disc (disconnect supervision) ------------

// The tone detector's settings every analyser shares: plan name and law.
static void cpa_tone_cfg(cg_cpa_tone_cfg_t *cfg, mp_obj_t plan, mp_obj_t law) {
    cfg->plan = NULL;
    cfg->plan_name = mp_obj_str_get_str(plan);  // a qstr or str the caller passed: checked now
    cfg->law = law_arg(law);
    if (cg_tone_plan_find(cfg->plan_name, &cfg->plan) < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("no such tone plan"));
    }
    cfg->plan_name = NULL;  // the plan pointer (const, in flash) is what init keeps
}

typedef struct {
    mp_obj_base_t base;
    cg_cpa_t st;
    cg_cpa_cfg_t cfg;  // what Media.cpa_arm starts it with again
} cpa_obj_t;

// Cpa(plan="US", law=ULAW, *, no_answer_ms=30000, no_dial_tone_ms=0)
static mp_obj_t cpa_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    enum { ARG_plan, ARG_law, ARG_no_answer_ms, ARG_no_dial_tone_ms };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_plan, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_QSTR(MP_QSTR_US)} },
        { MP_QSTR_law, MP_ARG_INT, {.u_int = CG_LAW_ULAW} },
        { MP_QSTR_no_answer_ms, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1} },
        { MP_QSTR_no_dial_tone_ms, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1} },
    };
    mp_arg_val_t v[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all_kw_array(n_args, n_kw, args, MP_ARRAY_SIZE(allowed), allowed, v);
    cg_cpa_cfg_t cfg;
    cg_cpa_cfg_default(&cfg);
    cpa_tone_cfg(&cfg.tone, v[ARG_plan].u_obj, MP_OBJ_NEW_SMALL_INT(v[ARG_law].u_int));
    if (v[ARG_no_answer_ms].u_int >= 0) {
        cfg.no_answer_ms = (uint32_t)v[ARG_no_answer_ms].u_int;
    }
    if (v[ARG_no_dial_tone_ms].u_int >= 0) {
        cfg.no_dial_tone_ms = (uint32_t)v[ARG_no_dial_tone_ms].u_int;
    }
    cpa_obj_t *self = mp_obj_malloc(cpa_obj_t, type);
    self->cfg = cfg;
    check(cg_cpa_init(&self->st, &cfg), "Cpa");
    return MP_OBJ_FROM_PTR(self);
}

static mp_obj_t cpa_process(mp_obj_t self_in, mp_obj_t samples, mp_obj_t ev) {
    cpa_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t s, e;
    size_t n = samples_arg(samples, &s, MP_BUFFER_READ);
    size_t max_ev = events_arg(ev, &e, sizeof(cg_event_t));
    return events_result(cg_cpa_process(&self->st, s.buf, n, e.buf, max_ev), "process");
}
static MP_DEFINE_CONST_FUN_OBJ_3(cpa_process_obj, cpa_process);

static mp_obj_t cpa_flush(mp_obj_t self_in, mp_obj_t ev) {
    cpa_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t e;
    size_t max_ev = events_arg(ev, &e, sizeof(cg_event_t));
    return events_result(cg_cpa_flush(&self->st, e.buf, max_ev), "flush");
}
static MP_DEFINE_CONST_FUN_OBJ_2(cpa_flush_obj, cpa_flush);

static mp_obj_t cpa_dialed(mp_obj_t self_in, mp_obj_t at_sample) {
    cpa_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check(cg_cpa_dialed(&self->st, (uint64_t)mp_obj_get_int(at_sample)), "dialed");
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(cpa_dialed_obj, cpa_dialed);

static mp_obj_t cpa_done(mp_obj_t self_in) {
    cpa_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return mp_obj_new_bool(cg_cpa_done(&self->st));
}
static MP_DEFINE_CONST_FUN_OBJ_1(cpa_done_obj, cpa_done);

static const mp_rom_map_elem_t cpa_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_process), MP_ROM_PTR(&cpa_process_obj) },
    { MP_ROM_QSTR(MP_QSTR_flush), MP_ROM_PTR(&cpa_flush_obj) },
    { MP_ROM_QSTR(MP_QSTR_dialed), MP_ROM_PTR(&cpa_dialed_obj) },
    { MP_ROM_QSTR(MP_QSTR_done), MP_ROM_PTR(&cpa_done_obj) },
};
static MP_DEFINE_CONST_DICT(cpa_locals, cpa_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(cpa_type, MP_QSTR_Cpa, MP_TYPE_FLAG_NONE,
    make_new, cpa_make_new, locals_dict, &cpa_locals);

typedef struct {
    mp_obj_base_t base;
    cg_disc_t st;
} disc_obj_t;

// Disc(plan="US", law=ULAW, *, methods=15, silence_ms=30000, reversals=1)
static mp_obj_t disc_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    enum { ARG_plan, ARG_law, ARG_methods, ARG_silence_ms, ARG_reversals };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_plan, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_QSTR(MP_QSTR_US)} },
        { MP_QSTR_law, MP_ARG_INT, {.u_int = CG_LAW_ULAW} },
        { MP_QSTR_methods, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1} },
        { MP_QSTR_silence_ms, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1} },
        { MP_QSTR_reversals, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1} },
    };
    mp_arg_val_t v[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all_kw_array(n_args, n_kw, args, MP_ARRAY_SIZE(allowed), allowed, v);
    cg_disc_cfg_t cfg;
    cg_disc_cfg_default(&cfg);
    cpa_tone_cfg(&cfg.tone, v[ARG_plan].u_obj, MP_OBJ_NEW_SMALL_INT(v[ARG_law].u_int));
    if (v[ARG_methods].u_int >= 0) {
        cfg.methods = (uint32_t)v[ARG_methods].u_int;
    }
    if (v[ARG_silence_ms].u_int >= 0) {
        cfg.silence_ms = (uint32_t)v[ARG_silence_ms].u_int;
    }
    if (v[ARG_reversals].u_int >= 0) {
        cfg.reversals = (uint32_t)v[ARG_reversals].u_int;
    }
    disc_obj_t *self = mp_obj_malloc(disc_obj_t, type);
    check(cg_disc_init(&self->st, &cfg), "Disc");
    return MP_OBJ_FROM_PTR(self);
}

static mp_obj_t disc_process(mp_obj_t self_in, mp_obj_t samples, mp_obj_t ev) {
    disc_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t s, e;
    size_t n = samples_arg(samples, &s, MP_BUFFER_READ);
    size_t max_ev = events_arg(ev, &e, sizeof(cg_event_t));
    return events_result(cg_disc_process(&self->st, s.buf, n, e.buf, max_ev), "process");
}
static MP_DEFINE_CONST_FUN_OBJ_3(disc_process_obj, disc_process);

// line(signal, at_sample, ev) -> events written (0 or 1): LOOP_DROP, LOOP_ON, LINE_REVERSAL.
static mp_obj_t disc_line(size_t n_args, const mp_obj_t *args) {
    disc_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t e;
    size_t max_ev = events_arg(args[3], &e, sizeof(cg_event_t));
    return events_result(cg_disc_line(&self->st, (cg_line_signal_t)mp_obj_get_int(args[1]),
        (uint64_t)mp_obj_get_int(args[2]), e.buf, max_ev), "line");
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(disc_line_obj, 4, 4, disc_line);

static const mp_rom_map_elem_t disc_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_process), MP_ROM_PTR(&disc_process_obj) },
    { MP_ROM_QSTR(MP_QSTR_line), MP_ROM_PTR(&disc_line_obj) },
};
static MP_DEFINE_CONST_DICT(disc_locals, disc_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(disc_type, MP_QSTR_Disc, MP_TYPE_FLAG_NONE,
    make_new, disc_make_new, locals_dict, &disc_locals);

// --- Media: the media engine -------------------------------------------------------------

typedef struct {
    mp_obj_base_t base;
    cg_media_t m;
    const uint8_t *rx[CG_MEDIA_MAX_PORTS];  // this frame's rows; live here, not on the heap
    uint8_t *tx[CG_MEDIA_MAX_PORTS];
    // What the engine points into, per port: the GC must see it as long as the engine uses it.
    mp_obj_t prompt[CG_MEDIA_MAX_PORTS];
    mp_obj_t record[CG_MEDIA_MAX_PORTS];
    mp_obj_t cid[CG_MEDIA_MAX_PORTS];
    mp_obj_t cpa[CG_MEDIA_MAX_PORTS];
} media_obj_t;

static mp_obj_t media_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 2, false);
    mp_int_t ports = mp_obj_get_int(args[0]);
    cg_law_t law = n_args > 1 ? law_arg(args[1]) : CG_LAW_ULAW;
    if (ports < 1 || ports > CG_MEDIA_MAX_PORTS) {
        mp_raise_ValueError(MP_ERROR_TEXT("ports must be 1..MAX_PORTS"));
    }
    media_obj_t *self = mp_obj_malloc(media_obj_t, type);
    check(cg_media_init(&self->m, (size_t)ports, law), "Media");
    for (size_t p = 0; p < CG_MEDIA_MAX_PORTS; p++) {
        self->rx[p] = NULL;
        self->tx[p] = NULL;
        self->prompt[p] = self->record[p] = self->cid[p] = self->cpa[p] = mp_const_none;
    }
    return MP_OBJ_FROM_PTR(self);
}

static size_t media_port(media_obj_t *self, mp_obj_t port) {
    mp_int_t p = mp_obj_get_int(port);
    if (p < 0 || (mp_uint_t)p >= self->m.n_ports) {
        mp_raise_ValueError(MP_ERROR_TEXT("no such port"));
    }
    return (size_t)p;
}

// process(rx, tx, ev[, n]) -> events written. rx and tx hold ports x n codes, port-major
// (port p's frame at p*n); either may be None (every line silent / every output dropped),
// then n says the frame length. ev: a bytearray of MEDIA_MAX_EVENTS * MEDIA_EVENT_SIZE.
static mp_obj_t media_process(size_t n_args, const mp_obj_t *args) {
    media_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    const size_t ports = self->m.n_ports;
    mp_buffer_info_t r, t, e;
    size_t n = n_args > 4 ? (size_t)mp_obj_get_int(args[4]) : (size_t)-1;
    const bool have_rx = args[1] != mp_const_none, have_tx = args[2] != mp_const_none;
    if (have_rx) {
        mp_get_buffer_raise(args[1], &r, MP_BUFFER_READ);
        if (n == (size_t)-1) {
            n = r.len / ports;
        }
        if (r.len != n * ports) {
            mp_raise_ValueError(MP_ERROR_TEXT("rx must hold ports x n codes"));
        }
    }
    if (have_tx) {
        mp_get_buffer_raise(args[2], &t, MP_BUFFER_WRITE);
        if (n == (size_t)-1) {
            n = t.len / ports;
        }
        if (t.len != n * ports) {
            mp_raise_ValueError(MP_ERROR_TEXT("tx must hold ports x n codes"));
        }
    }
    if (n == (size_t)-1) {
        mp_raise_ValueError(MP_ERROR_TEXT("give n when rx and tx are None"));
    }
    size_t max_ev = events_arg(args[3], &e, sizeof(cg_media_event_t));
    for (size_t p = 0; p < ports; p++) {
        self->rx[p] = have_rx ? (const uint8_t *)r.buf + p * n : NULL;
        self->tx[p] = have_tx ? (uint8_t *)t.buf + p * n : NULL;
    }
    int count = check(cg_media_process(&self->m, self->rx, self->tx, n, e.buf, max_ev),
        "process");
    // The engine is done with a prompt that ended: let its buffer go.
    const cg_media_event_t *ev = e.buf;
    for (int i = 0; i < count; i++) {
        if (ev[i].ev.kind == CG_EVENT_MEDIA_PROMPT_DONE) {
            self->prompt[ev[i].port] = mp_const_none;
        }
    }
    return MP_OBJ_NEW_SMALL_INT(count);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(media_process_obj, 4, 5, media_process);

static mp_obj_t media_now(mp_obj_t self_in) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return mp_obj_new_int_from_ull(cg_media_now(&self->m));
}
static MP_DEFINE_CONST_FUN_OBJ_1(media_now_obj, media_now);

static mp_obj_t media_port_init(size_t n_args, const mp_obj_t *args) {
    media_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    size_t p = media_port(self, args[1]);
    cg_law_t law = n_args > 2 ? law_arg(args[2]) : (cg_law_t)self->m.port[p].law;
    check(cg_media_port_init(&self->m, p, law), "port_init");
    self->prompt[p] = self->record[p] = self->cid[p] = self->cpa[p] = mp_const_none;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(media_port_init_obj, 2, 3, media_port_init);

// play(port, codes, barge_in=False): codes (a byte buffer in the port's law) is played in
// place, not copied: keep it unchanged until the prompt's prompt-done event.
static mp_obj_t media_play(size_t n_args, const mp_obj_t *args) {
    media_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    size_t p = media_port(self, args[1]);
    mp_buffer_info_t c;
    mp_get_buffer_raise(args[2], &c, MP_BUFFER_READ);
    int barge_in = n_args > 3 && mp_obj_is_true(args[3]);
    check(cg_media_play(&self->m, p, c.buf, c.len, barge_in), "play");
    self->prompt[p] = args[2];
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(media_play_obj, 3, 4, media_play);

static mp_obj_t media_stop(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t p = media_port(self, port);
    int played = check(cg_media_stop(&self->m, p), "stop");
    self->prompt[p] = mp_const_none;
    return MP_OBJ_NEW_SMALL_INT(played);
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_stop_obj, media_stop);

// tone(port, plan, name): a built-in plan's tone, e.g. tone(0, "US", "ringback").
static mp_obj_t media_tone(size_t n_args, const mp_obj_t *args) {
    media_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    (void)n_args;
    size_t p = media_port(self, args[1]);
    check(cg_media_tone_desc(&self->m, p, tone_arg(args[2], args[3])), "tone");
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(media_tone_obj, 4, 4, media_tone);

static mp_obj_t media_tone_stop(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check(cg_media_tone_stop(&self->m, media_port(self, port)), "tone_stop");
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_tone_stop_obj, media_tone_stop);

static mp_obj_t media_dtmf(mp_obj_t self_in, mp_obj_t port, mp_obj_t digits) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t n;
    const char *d = mp_obj_str_get_data(digits, &n);
    return MP_OBJ_NEW_SMALL_INT(check(cg_media_dtmf(&self->m, media_port(self, port), d, n),
        "dtmf"));
}
static MP_DEFINE_CONST_FUN_OBJ_3(media_dtmf_obj, media_dtmf);

static mp_obj_t media_bridge(mp_obj_t self_in, mp_obj_t a, mp_obj_t b) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check(cg_media_bridge(&self->m, media_port(self, a), media_port(self, b)), "bridge");
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(media_bridge_obj, media_bridge);

static mp_obj_t media_unbridge(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check(cg_media_unbridge(&self->m, media_port(self, port)), "unbridge");
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_unbridge_obj, media_unbridge);

// peer(port) -> the bridged port, or None.
static mp_obj_t media_peer(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    int peer = cg_media_peer(&self->m, media_port(self, port));
    return peer == CG_MEDIA_NO_PEER ? mp_const_none : MP_OBJ_NEW_SMALL_INT(peer);
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_peer_obj, media_peer);

// hear(port, ports): from the next frame port hears the sum of what the ports in ports (a list
// or tuple of ints; empty: nothing) receive. ValueError for a port out of range or port itself.
static mp_obj_t media_hear(mp_obj_t self_in, mp_obj_t port, mp_obj_t ports) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t p = media_port(self, port);
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(ports, &n, &items);
    if (n > CG_MEDIA_MAX_PORTS) {
        mp_raise_ValueError(MP_ERROR_TEXT("hear: more ports than MAX_PORTS"));
    }
    size_t from[CG_MEDIA_MAX_PORTS];
    for (size_t i = 0; i < n; i++) {
        from[i] = media_port(self, items[i]);
    }
    check(cg_media_hear(&self->m, p, from, n), "hear");
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(media_hear_obj, media_hear);

// hears(port) -> a list of the ports port hears, ascending (allocates: not for a frame loop).
static mp_obj_t media_hears(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t from[CG_MEDIA_MAX_PORTS];
    int n = check(cg_media_hears(&self->m, media_port(self, port), from, CG_MEDIA_MAX_PORTS),
        "hears");
    mp_obj_t list = mp_obj_new_list(0, NULL);
    for (int i = 0; i < n; i++) {
        mp_obj_list_append(list, MP_OBJ_NEW_SMALL_INT(from[i]));
    }
    return list;
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_hears_obj, media_hears);

// record(port, buf): both directions mixed, in the port's law, into the caller's bytearray.
static mp_obj_t media_record(mp_obj_t self_in, mp_obj_t port, mp_obj_t buf) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t p = media_port(self, port);
    mp_buffer_info_t b;
    mp_get_buffer_raise(buf, &b, MP_BUFFER_WRITE);
    check(cg_media_record(&self->m, p, b.buf, b.len), "record");
    self->record[p] = buf;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(media_record_obj, media_record);

// record_stop(port) -> bytes recorded into the buffer.
static mp_obj_t media_record_stop(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t p = media_port(self, port);
    int n = check(cg_media_record_stop(&self->m, p), "record_stop");
    self->record[p] = mp_const_none;
    return MP_OBJ_NEW_SMALL_INT(n);
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_record_stop_obj, media_record_stop);

static mp_obj_t media_record_bytes(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return MP_OBJ_NEW_SMALL_INT(cg_media_record_bytes(&self->m, media_port(self, port)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_record_bytes_obj, media_record_bytes);

// cid_arm(port, receiver): a CidRx listens on the port (restarted with its own settings).
static mp_obj_t media_cid_arm(mp_obj_t self_in, mp_obj_t port, mp_obj_t rx_in) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t p = media_port(self, port);
    if (!mp_obj_is_type(rx_in, &cid_rx_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("cid_arm takes a CidRx"));
    }
    cid_rx_obj_t *rx = MP_OBJ_TO_PTR(rx_in);
    check(cg_media_cid_arm(&self->m, p, &rx->st, &rx->cfg), "cid_arm");
    self->cid[p] = rx_in;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(media_cid_arm_obj, media_cid_arm);

static mp_obj_t media_cid_disarm(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t p = media_port(self, port);
    check(cg_media_cid_disarm(&self->m, p), "cid_disarm");
    self->cid[p] = mp_const_none;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_cid_disarm_obj, media_cid_disarm);

static mp_obj_t media_cid_line(mp_obj_t self_in, mp_obj_t port, mp_obj_t event) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check(cg_media_cid_line(&self->m, media_port(self, port), mp_obj_get_int(event)),
        "cid_line");
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(media_cid_line_obj, media_cid_line);

static mp_obj_t media_cid_message(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    cg_cid_msg_t m;
    check(cg_media_cid_message(&self->m, media_port(self, port), &m), "cid_message");
    return cid_msg_dict(&m);
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_cid_message_obj, media_cid_message);

// Call-progress analysis live on a port (media.h cg_media_cpa_*): cpa_arm(port, analyser) starts
// a Cpa again with its own settings and listens on the port; cpa_dialed(port, at) (engine
// sample); cpa_disarm(port); cpa_armed(port). The result event disarms it.
static mp_obj_t media_cpa_arm(mp_obj_t self_in, mp_obj_t port, mp_obj_t cpa_in) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t p = media_port(self, port);
    if (!mp_obj_is_type(cpa_in, &cpa_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("cpa_arm takes a Cpa"));
    }
    cpa_obj_t *cpa = MP_OBJ_TO_PTR(cpa_in);
    check(cg_media_cpa_arm(&self->m, p, &cpa->st, &cpa->cfg), "cpa_arm");
    self->cpa[p] = cpa_in;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(media_cpa_arm_obj, media_cpa_arm);

static mp_obj_t media_cpa_dialed(mp_obj_t self_in, mp_obj_t port, mp_obj_t at) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check(cg_media_cpa_dialed(&self->m, media_port(self, port), (uint64_t)mp_obj_get_int(at)),
        "cpa_dialed");
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(media_cpa_dialed_obj, media_cpa_dialed);

static mp_obj_t media_cpa_disarm(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t p = media_port(self, port);
    check(cg_media_cpa_disarm(&self->m, p), "cpa_disarm");
    self->cpa[p] = mp_const_none;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_cpa_disarm_obj, media_cpa_disarm);

static mp_obj_t media_cpa_armed(mp_obj_t self_in, mp_obj_t port) {
    media_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return mp_obj_new_bool(cg_media_cpa_armed(&self->m, media_port(self, port)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(media_cpa_armed_obj, media_cpa_armed);

static const mp_rom_map_elem_t media_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_process), MP_ROM_PTR(&media_process_obj) },
    { MP_ROM_QSTR(MP_QSTR_now), MP_ROM_PTR(&media_now_obj) },
    { MP_ROM_QSTR(MP_QSTR_port_init), MP_ROM_PTR(&media_port_init_obj) },
    { MP_ROM_QSTR(MP_QSTR_play), MP_ROM_PTR(&media_play_obj) },
    { MP_ROM_QSTR(MP_QSTR_stop), MP_ROM_PTR(&media_stop_obj) },
    { MP_ROM_QSTR(MP_QSTR_tone), MP_ROM_PTR(&media_tone_obj) },
    { MP_ROM_QSTR(MP_QSTR_tone_stop), MP_ROM_PTR(&media_tone_stop_obj) },
    { MP_ROM_QSTR(MP_QSTR_dtmf), MP_ROM_PTR(&media_dtmf_obj) },
    { MP_ROM_QSTR(MP_QSTR_bridge), MP_ROM_PTR(&media_bridge_obj) },
    { MP_ROM_QSTR(MP_QSTR_unbridge), MP_ROM_PTR(&media_unbridge_obj) },
    { MP_ROM_QSTR(MP_QSTR_peer), MP_ROM_PTR(&media_peer_obj) },
    { MP_ROM_QSTR(MP_QSTR_hear), MP_ROM_PTR(&media_hear_obj) },
    { MP_ROM_QSTR(MP_QSTR_hears), MP_ROM_PTR(&media_hears_obj) },
    { MP_ROM_QSTR(MP_QSTR_record), MP_ROM_PTR(&media_record_obj) },
    { MP_ROM_QSTR(MP_QSTR_record_stop), MP_ROM_PTR(&media_record_stop_obj) },
    { MP_ROM_QSTR(MP_QSTR_record_bytes), MP_ROM_PTR(&media_record_bytes_obj) },
    { MP_ROM_QSTR(MP_QSTR_cid_arm), MP_ROM_PTR(&media_cid_arm_obj) },
    { MP_ROM_QSTR(MP_QSTR_cid_disarm), MP_ROM_PTR(&media_cid_disarm_obj) },
    { MP_ROM_QSTR(MP_QSTR_cid_line), MP_ROM_PTR(&media_cid_line_obj) },
    { MP_ROM_QSTR(MP_QSTR_cid_message), MP_ROM_PTR(&media_cid_message_obj) },
    { MP_ROM_QSTR(MP_QSTR_cpa_arm), MP_ROM_PTR(&media_cpa_arm_obj) },
    { MP_ROM_QSTR(MP_QSTR_cpa_dialed), MP_ROM_PTR(&media_cpa_dialed_obj) },
    { MP_ROM_QSTR(MP_QSTR_cpa_disarm), MP_ROM_PTR(&media_cpa_disarm_obj) },
    { MP_ROM_QSTR(MP_QSTR_cpa_armed), MP_ROM_PTR(&media_cpa_armed_obj) },
};
static MP_DEFINE_CONST_DICT(media_locals, media_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(media_type, MP_QSTR_Media, MP_TYPE_FLAG_NONE,
    make_new, media_make_new, locals_dict, &media_locals);

// --- sizes: the C state of each type, for the RAM budget -----------------------------------

static mp_obj_t sizes(void) {
    mp_obj_t d = mp_obj_new_dict(6);
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_DtmfRx), MP_OBJ_NEW_SMALL_INT(sizeof(dtmf_rx_obj_t)));
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_DtmfTx), MP_OBJ_NEW_SMALL_INT(sizeof(dtmf_tx_obj_t)));
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_ToneGen), MP_OBJ_NEW_SMALL_INT(sizeof(tone_gen_obj_t)));
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_CidRx), MP_OBJ_NEW_SMALL_INT(sizeof(cid_rx_obj_t)));
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_Cpa), MP_OBJ_NEW_SMALL_INT(sizeof(cpa_obj_t)));
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_Disc), MP_OBJ_NEW_SMALL_INT(sizeof(disc_obj_t)));
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_Media), MP_OBJ_NEW_SMALL_INT(sizeof(media_obj_t)));
    return d;
}
static MP_DEFINE_CONST_FUN_OBJ_0(sizes_obj, sizes);

// --- the module ----------------------------------------------------------------------------

static const mp_rom_map_elem_t callgate_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__callgate) },
    { MP_ROM_QSTR(MP_QSTR_ulaw_encode), MP_ROM_PTR(&ulaw_encode_obj) },
    { MP_ROM_QSTR(MP_QSTR_alaw_encode), MP_ROM_PTR(&alaw_encode_obj) },
    { MP_ROM_QSTR(MP_QSTR_ulaw_decode), MP_ROM_PTR(&ulaw_decode_obj) },
    { MP_ROM_QSTR(MP_QSTR_alaw_decode), MP_ROM_PTR(&alaw_decode_obj) },
    { MP_ROM_QSTR(MP_QSTR_alaw_to_ulaw), MP_ROM_PTR(&alaw_to_ulaw_obj) },
    { MP_ROM_QSTR(MP_QSTR_ulaw_to_alaw), MP_ROM_PTR(&ulaw_to_alaw_obj) },
    { MP_ROM_QSTR(MP_QSTR_error_name), MP_ROM_PTR(&error_name_obj) },
    { MP_ROM_QSTR(MP_QSTR_event_kind_name), MP_ROM_PTR(&event_kind_name_obj) },
    { MP_ROM_QSTR(MP_QSTR_cid_status_name), MP_ROM_PTR(&cid_status_name_obj) },
    { MP_ROM_QSTR(MP_QSTR_disc_method_name), MP_ROM_PTR(&disc_method_name_obj) },
    { MP_ROM_QSTR(MP_QSTR_sizes), MP_ROM_PTR(&sizes_obj) },
    { MP_ROM_QSTR(MP_QSTR_DtmfRx), MP_ROM_PTR(&dtmf_rx_type) },
    { MP_ROM_QSTR(MP_QSTR_DtmfTx), MP_ROM_PTR(&dtmf_tx_type) },
    { MP_ROM_QSTR(MP_QSTR_ToneGen), MP_ROM_PTR(&tone_gen_type) },
    { MP_ROM_QSTR(MP_QSTR_CidRx), MP_ROM_PTR(&cid_rx_type) },
    { MP_ROM_QSTR(MP_QSTR_Cpa), MP_ROM_PTR(&cpa_type) },
    { MP_ROM_QSTR(MP_QSTR_Disc), MP_ROM_PTR(&disc_type) },
    { MP_ROM_QSTR(MP_QSTR_Media), MP_ROM_PTR(&media_type) },
    // Laws, standards, line signals.
    { MP_ROM_QSTR(MP_QSTR_ULAW), MP_ROM_INT(CG_LAW_ULAW) },
    { MP_ROM_QSTR(MP_QSTR_ALAW), MP_ROM_INT(CG_LAW_ALAW) },
    { MP_ROM_QSTR(MP_QSTR_BELL202), MP_ROM_INT(CG_CID_BELL202) },
    { MP_ROM_QSTR(MP_QSTR_V23), MP_ROM_INT(CG_CID_V23) },
    { MP_ROM_QSTR(MP_QSTR_ARM_RING_END), MP_ROM_INT(CG_CID_ARM_RING_END) },
    { MP_ROM_QSTR(MP_QSTR_ARM_REVERSAL), MP_ROM_INT(CG_CID_ARM_REVERSAL) },
    { MP_ROM_QSTR(MP_QSTR_ARM_ALERT), MP_ROM_INT(CG_CID_ARM_ALERT) },
    { MP_ROM_QSTR(MP_QSTR_RING_START), MP_ROM_INT(CG_CID_LINE_RING_START) },
    { MP_ROM_QSTR(MP_QSTR_RING_END), MP_ROM_INT(CG_CID_LINE_RING_END) },
    { MP_ROM_QSTR(MP_QSTR_REVERSAL), MP_ROM_INT(CG_CID_LINE_REVERSAL) },
    { MP_ROM_QSTR(MP_QSTR_LOOP_DROP), MP_ROM_INT(CG_LINE_LOOP_DROP) },
    { MP_ROM_QSTR(MP_QSTR_LOOP_ON), MP_ROM_INT(CG_LINE_LOOP_ON) },
    { MP_ROM_QSTR(MP_QSTR_LINE_REVERSAL), MP_ROM_INT(CG_LINE_REVERSAL) },
    // Events: record sizes and layouts, and the kinds the firmware acts on.
    { MP_ROM_QSTR(MP_QSTR_EVENT_SIZE), MP_ROM_INT(sizeof(cg_event_t)) },
    { MP_ROM_QSTR(MP_QSTR_EVENT_FORMAT), MP_ROM_QSTR(MP_QSTR_QQiiff) },
    { MP_ROM_QSTR(MP_QSTR_MEDIA_EVENT_SIZE), MP_ROM_INT(sizeof(cg_media_event_t)) },
    { MP_ROM_QSTR(MP_QSTR_MEDIA_EVENT_FORMAT), MP_ROM_QSTR(MP_QSTR_iIQQiiff) },
    { MP_ROM_QSTR(MP_QSTR_MEDIA_MAX_EVENTS), MP_ROM_INT(CG_MEDIA_MAX_EVENTS) },
    { MP_ROM_QSTR(MP_QSTR_MAX_PORTS), MP_ROM_INT(CG_MEDIA_MAX_PORTS) },
    { MP_ROM_QSTR(MP_QSTR_MAX_FRAME), MP_ROM_INT(CG_MEDIA_MAX_FRAME) },
    { MP_ROM_QSTR(MP_QSTR_SAMPLE_RATE), MP_ROM_INT(CG_SAMPLE_RATE) },
    { MP_ROM_QSTR(MP_QSTR_EV_DTMF_BEGIN), MP_ROM_INT(CG_EVENT_DTMF_BEGIN) },
    { MP_ROM_QSTR(MP_QSTR_EV_DTMF), MP_ROM_INT(CG_EVENT_DTMF) },
    { MP_ROM_QSTR(MP_QSTR_EV_CID_MESSAGE), MP_ROM_INT(CG_EVENT_CID_MESSAGE) },
    { MP_ROM_QSTR(MP_QSTR_EV_CID_ERROR), MP_ROM_INT(CG_EVENT_CID_ERROR) },
    { MP_ROM_QSTR(MP_QSTR_EV_DISCONNECT), MP_ROM_INT(CG_EVENT_DISCONNECT) },
    { MP_ROM_QSTR(MP_QSTR_EV_PROMPT_DONE), MP_ROM_INT(CG_EVENT_MEDIA_PROMPT_DONE) },
    { MP_ROM_QSTR(MP_QSTR_EV_TONE_DONE), MP_ROM_INT(CG_EVENT_MEDIA_TONE_DONE) },
    { MP_ROM_QSTR(MP_QSTR_EV_DTMF_SENT), MP_ROM_INT(CG_EVENT_MEDIA_DTMF_SENT) },
    { MP_ROM_QSTR(MP_QSTR_EV_RECORD_FULL), MP_ROM_INT(CG_EVENT_MEDIA_RECORD_FULL) },
    { MP_ROM_QSTR(MP_QSTR_EV_CPA_TONE), MP_ROM_INT(CG_EVENT_CPA_TONE) },
    { MP_ROM_QSTR(MP_QSTR_EV_CPA_NO_DIAL_TONE), MP_ROM_INT(CG_EVENT_CPA_NO_DIAL_TONE) },
    { MP_ROM_QSTR(MP_QSTR_EV_CPA_BUSY), MP_ROM_INT(CG_EVENT_CPA_BUSY) },
    { MP_ROM_QSTR(MP_QSTR_EV_CPA_CONGESTION), MP_ROM_INT(CG_EVENT_CPA_CONGESTION) },
    { MP_ROM_QSTR(MP_QSTR_EV_CPA_NO_ANSWER), MP_ROM_INT(CG_EVENT_CPA_NO_ANSWER) },
    { MP_ROM_QSTR(MP_QSTR_EV_CPA_SIT), MP_ROM_INT(CG_EVENT_CPA_SIT) },
    { MP_ROM_QSTR(MP_QSTR_EV_CPA_FAX), MP_ROM_INT(CG_EVENT_CPA_FAX) },
    { MP_ROM_QSTR(MP_QSTR_EV_CPA_HUMAN), MP_ROM_INT(CG_EVENT_CPA_HUMAN) },
    { MP_ROM_QSTR(MP_QSTR_EV_CPA_MACHINE), MP_ROM_INT(CG_EVENT_CPA_MACHINE) },
};
static MP_DEFINE_CONST_DICT(callgate_module_globals, callgate_module_globals_table);

const mp_obj_module_t callgate_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&callgate_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__callgate, callgate_user_cmodule);
