/* Caller ID messages: SDMF / MDMF / message waiting bytes, and DTMF caller ID strings. */
#include <string.h>

#include "callgate/cid.h"

/* MDMF parameter types (GR-30, ETSI EN 300 659-3). */
#define P_DATETIME 0x01
#define P_NUMBER 0x02
#define P_NUMBER_ABSENCE 0x04
#define P_NAME 0x07
#define P_NAME_ABSENCE 0x08
#define P_MWI 0x0B

const char *cg_cid_status_name(int status)
{
    switch (status) {
#define CG_X_CASE(name, value, text) \
    case value:                      \
        return text;
        CG_CID_STATUSES(CG_X_CASE)
#undef CG_X_CASE
    }
    return "unknown";
}

void cg_cid_msg_clear(cg_cid_msg_t *msg)
{
    memset(msg, 0, sizeof *msg);
    msg->status = CG_CID_OK;
    msg->type = CG_CID_TYPE_MDMF;
    msg->month = msg->day = msg->hour = msg->minute = -1;
    msg->mwi = -1;
}

static int is_number_char(int c)
{
    return (c >= '0' && c <= '9') || c == '*' || c == '#' || c == '+';
}

static int is_absence(int c)
{
    return c == 'O' || c == 'P';
}

static int has_date(const cg_cid_msg_t *m)
{
    return m->month >= 0 || m->day >= 0 || m->hour >= 0 || m->minute >= 0;
}

static int date_ok(int month, int day, int hour, int minute)
{
    return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23 &&
           minute >= 0 && minute <= 59;
}

/* Bounded length of a NUL-terminated field of at most max characters; max + 1 if longer. */
static size_t field_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n <= max && s[n] != '\0')
        n++;
    return n;
}

static int number_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_number_char((unsigned char) s[i]))
            return 0;
    return 1;
}

static int name_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7E)
            return 0;
    return 1;
}

/* A small bounded writer. */
typedef struct {
    uint8_t *buf;
    size_t max, n;
    int overflow;
} writer_t;

static void put(writer_t *w, uint8_t b)
{
    if (w->n < w->max)
        w->buf[w->n] = b;
    else
        w->overflow = 1;
    w->n++;
}

static void put_2digits(writer_t *w, int v)
{
    put(w, (uint8_t) ('0' + v / 10));
    put(w, (uint8_t) ('0' + v % 10));
}

static void put_date(writer_t *w, const cg_cid_msg_t *m)
{
    put_2digits(w, m->month);
    put_2digits(w, m->day);
    put_2digits(w, m->hour);
    put_2digits(w, m->minute);
}

static void put_param(writer_t *w, uint8_t type, const char *s, size_t n)
{
    put(w, type);
    put(w, (uint8_t) n);
    for (size_t i = 0; i < n; i++)
        put(w, (uint8_t) s[i]);
}

int cg_cid_encode(const cg_cid_msg_t *m, uint8_t *buf, size_t max)
{
    if (m == NULL || (buf == NULL && max > 0))
        return CG_E_NULL;
    const size_t nnum = field_len(m->number, CG_CID_MAX_NUMBER);
    const size_t nname = field_len(m->name, CG_CID_MAX_NAME);
    if (nnum > CG_CID_MAX_NUMBER || nname > CG_CID_MAX_NAME || !number_ok(m->number, nnum) ||
        !name_ok(m->name, nname))
        return CG_E_RANGE;
    if (has_date(m) && !date_ok(m->month, m->day, m->hour, m->minute))
        return CG_E_RANGE;
    if ((m->number_absence != 0 && (!is_absence(m->number_absence) || nnum > 0)) ||
        (m->name_absence != 0 && (!is_absence(m->name_absence) || nname > 0)))
        return CG_E_RANGE;
    if (m->mwi < -1 || m->mwi > 1)
        return CG_E_RANGE;

    writer_t w = {buf, max, 0, 0};
    put(&w, (uint8_t) m->type);
    put(&w, 0); /* length, patched below */
    switch (m->type) {
    case CG_CID_TYPE_SDMF:
        /* Date and time, then the number or one absence character. */
        if (!has_date(m) || nname > 0 || m->name_absence != 0 || m->mwi >= 0 ||
            (nnum == 0) == (m->number_absence == 0))
            return CG_E_RANGE;
        put_date(&w, m);
        if (nnum > 0)
            for (size_t i = 0; i < nnum; i++)
                put(&w, (uint8_t) m->number[i]);
        else
            put(&w, (uint8_t) m->number_absence);
        break;
    case CG_CID_TYPE_SDMF_MWI:
        if (m->mwi < 0 || has_date(m) || nnum || nname || m->number_absence || m->name_absence)
            return CG_E_RANGE;
        for (int i = 0; i < 3; i++)
            put(&w, m->mwi ? 0x42 : 0x6F);
        break;
    case CG_CID_TYPE_MDMF:
    case CG_CID_TYPE_MDMF_MWI:
        if (m->type == CG_CID_TYPE_MDMF_MWI &&
            (m->mwi < 0 || nnum || nname || m->number_absence || m->name_absence))
            return CG_E_RANGE;
        if (has_date(m)) {
            put(&w, P_DATETIME);
            put(&w, 8);
            put_date(&w, m);
        }
        if (nnum > 0)
            put_param(&w, P_NUMBER, m->number, nnum);
        if (m->number_absence)
            put_param(&w, P_NUMBER_ABSENCE, &m->number_absence, 1);
        if (nname > 0)
            put_param(&w, P_NAME, m->name, nname);
        if (m->name_absence)
            put_param(&w, P_NAME_ABSENCE, &m->name_absence, 1);
        if (m->mwi >= 0) {
            put(&w, P_MWI);
            put(&w, 1);
            put(&w, m->mwi ? 0xFF : 0x00);
        }
        if (w.n == 2)
            return CG_E_RANGE; /* an MDMF with no parameter at all */
        break;
    default:
        return CG_E_RANGE;
    }
    if (w.n - 2 > 255)
        return CG_E_RANGE;
    if (w.overflow || w.n + 1 > max)
        return CG_E_SPACE;
    buf[1] = (uint8_t) (w.n - 2);
    uint8_t sum = 0;
    for (size_t i = 0; i < w.n; i++)
        sum = (uint8_t) (sum + buf[i]);
    buf[w.n] = (uint8_t) (0x100u - sum);
    return (int) w.n + 1;
}

static int two_digits(const uint8_t *p, int *out)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return 0;
    *out = (p[0] - '0') * 10 + (p[1] - '0');
    return 1;
}

static int parse_date(const uint8_t *p, size_t n, cg_cid_msg_t *m)
{
    int mo, d, h, mi;
    if (n != 8 || !two_digits(p, &mo) || !two_digits(p + 2, &d) || !two_digits(p + 4, &h) ||
        !two_digits(p + 6, &mi) || !date_ok(mo, d, h, mi))
        return 0;
    m->month = mo;
    m->day = d;
    m->hour = h;
    m->minute = mi;
    return 1;
}

static int copy_field(char *dst, size_t max, const uint8_t *p, size_t n, int number)
{
    if (n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (number ? !is_number_char(p[i]) : (p[i] < 0x20 || p[i] > 0x7E))
            return 0;
        dst[i] = (char) p[i];
    }
    dst[n] = '\0';
    return 1;
}

/* The fields of a message whose framing and checksum are good. Returns a cg_cid_status_t. */
static int parse_payload(int type, const uint8_t *p, size_t n, cg_cid_msg_t *m)
{
    switch (type) {
    case CG_CID_TYPE_SDMF:
        if (n < 9 || !parse_date(p, 8, m))
            return CG_CID_MALFORMED;
        if (n == 9 && is_absence(p[8])) {
            m->number_absence = (char) p[8];
            return CG_CID_OK;
        }
        return copy_field(m->number, CG_CID_MAX_NUMBER, p + 8, n - 8, 1) ? CG_CID_OK
                                                                          : CG_CID_MALFORMED;
    case CG_CID_TYPE_SDMF_MWI:
        if (n != 3 || p[0] != p[1] || p[1] != p[2] || (p[0] != 0x42 && p[0] != 0x6F))
            return CG_CID_MALFORMED;
        m->mwi = p[0] == 0x42;
        return CG_CID_OK;
    default: /* MDMF and MDMF message waiting */
        break;
    }
    size_t i = 0;
    int params = 0;
    while (i < n) {
        if (n - i < 2 || n - i - 2 < p[i + 1])
            return CG_CID_MALFORMED;
        const uint8_t ptype = p[i], plen = p[i + 1];
        const uint8_t *v = p + i + 2;
        int ok = 1;
        switch (ptype) {
        case P_DATETIME:
            ok = parse_date(v, plen, m);
            break;
        case P_NUMBER:
            ok = plen > 0 && copy_field(m->number, CG_CID_MAX_NUMBER, v, plen, 1);
            break;
        case P_NAME:
            ok = plen > 0 && copy_field(m->name, CG_CID_MAX_NAME, v, plen, 0);
            break;
        case P_NUMBER_ABSENCE:
        case P_NAME_ABSENCE:
            ok = plen == 1 && is_absence(v[0]);
            if (ok)
                *(ptype == P_NUMBER_ABSENCE ? &m->number_absence : &m->name_absence) = (char) v[0];
            break;
        case P_MWI:
            ok = plen == 1 && (v[0] == 0x00 || v[0] == 0xFF);
            if (ok)
                m->mwi = v[0] == 0xFF;
            break;
        default:
            if (m->unknown_params < 255)
                m->unknown_params++;
            break;
        }
        if (!ok)
            return CG_CID_MALFORMED;
        params++;
        i += 2u + plen;
    }
    if (params == 0)
        return CG_CID_MALFORMED;
    if ((m->number[0] && m->number_absence) || (m->name[0] && m->name_absence))
        return CG_CID_MALFORMED;
    if (type == CG_CID_TYPE_MDMF_MWI && m->mwi < 0)
        return CG_CID_MALFORMED;
    return CG_CID_OK;
}

static int finish(cg_cid_msg_t *m, int type, int status)
{
    /* Only a good message keeps its fields: a bad one can never pass a wrong number. */
    cg_cid_msg_clear(m);
    m->type = type;
    m->status = status;
    return status;
}

int cg_cid_decode(const uint8_t *buf, size_t n, cg_cid_msg_t *m)
{
    if (m == NULL)
        return CG_E_NULL;
    cg_cid_msg_clear(m);
    if (buf == NULL || n < 1)
        return finish(m, 0, CG_CID_TRUNCATED);
    const int type = buf[0];
    if (type != CG_CID_TYPE_SDMF && type != CG_CID_TYPE_MDMF && type != CG_CID_TYPE_SDMF_MWI &&
        type != CG_CID_TYPE_MDMF_MWI)
        return finish(m, type, CG_CID_UNKNOWN_TYPE);
    if (n < 3 || n < (size_t) buf[1] + 3u)
        return finish(m, type, CG_CID_TRUNCATED);
    if (n > (size_t) buf[1] + 3u)
        return finish(m, type, CG_CID_MALFORMED);
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t) (sum + buf[i]);
    if (sum != 0)
        return finish(m, type, CG_CID_BAD_CHECKSUM);
    m->type = type;
    const int status = parse_payload(type, buf + 2, buf[1], m);
    if (status != CG_CID_OK)
        return finish(m, type, status);
    return CG_CID_OK;
}

int cg_cid_encode_dtmf(const cg_cid_msg_t *m, char *digits, size_t max)
{
    if (m == NULL || (digits == NULL && max > 0))
        return CG_E_NULL;
    const size_t nnum = field_len(m->number, CG_CID_MAX_NUMBER);
    if (nnum > CG_CID_MAX_NUMBER || m->name[0] || m->name_absence || m->mwi >= 0 ||
        (nnum == 0) == (m->number_absence == 0))
        return CG_E_RANGE;
    for (size_t i = 0; i < nnum; i++)
        if (m->number[i] < '0' || m->number[i] > '9')
            return CG_E_RANGE;
    const char *body;
    size_t nbody;
    char start;
    if (nnum > 0) {
        start = 'A';
        body = m->number;
        nbody = nnum;
    } else if (m->number_absence == 'P') {
        start = 'B';
        body = "10";
        nbody = 2;
    } else if (m->number_absence == 'O') {
        start = 'B';
        body = "00";
        nbody = 2;
    } else {
        return CG_E_RANGE;
    }
    if (nbody + 3 > max)
        return CG_E_SPACE;
    digits[0] = start;
    memcpy(digits + 1, body, nbody);
    digits[nbody + 1] = 'C';
    digits[nbody + 2] = '\0';
    return (int) nbody + 2;
}

int cg_cid_decode_dtmf(const char *d, size_t n, cg_cid_msg_t *m)
{
    if (m == NULL)
        return CG_E_NULL;
    cg_cid_msg_clear(m);
    m->type = CG_CID_TYPE_DTMF;
    if (d == NULL || n < 1)
        return finish(m, CG_CID_TYPE_DTMF, CG_CID_TRUNCATED);
    const char start = d[0];
    if (start != 'A' && start != 'B' && start != 'D')
        return finish(m, CG_CID_TYPE_DTMF, CG_CID_MALFORMED);
    /* The end code: the first C or #; nothing may follow it. */
    size_t end = 1;
    while (end < n && d[end] != 'C' && d[end] != '#')
        end++;
    if (end == n)
        return finish(m, CG_CID_TYPE_DTMF, CG_CID_TRUNCATED);
    if (end != n - 1)
        return finish(m, CG_CID_TYPE_DTMF, CG_CID_MALFORMED);
    const size_t nbody = end - 1;
    for (size_t i = 1; i < end; i++)
        if (d[i] < '0' || d[i] > '9')
            return finish(m, CG_CID_TYPE_DTMF, CG_CID_MALFORMED);
    if (start == 'B') {
        if (nbody == 2 && d[1] == '0' && d[2] == '0')
            m->number_absence = 'O';
        else if (nbody == 2 && d[1] == '1' && d[2] == '0')
            m->number_absence = 'P';
        else
            return finish(m, CG_CID_TYPE_DTMF, CG_CID_MALFORMED);
        return CG_CID_OK;
    }
    if (nbody == 0 || nbody > CG_CID_MAX_NUMBER)
        return finish(m, CG_CID_TYPE_DTMF, CG_CID_MALFORMED);
    memcpy(m->number, d + 1, nbody);
    m->number[nbody] = '\0';
    return CG_CID_OK;
}
