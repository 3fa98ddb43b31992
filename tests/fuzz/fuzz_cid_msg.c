/* libFuzzer target: the caller ID message layer on arbitrary bytes. A message decoded as good
 * must re-encode to a message that decodes to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callgate/cid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_cid_msg_t m, again;
    uint8_t buf[CG_CID_MAX_BYTES];
    char digits[CG_CID_MAX_DTMF + 1];

    if (cg_cid_decode(data, size, &m) == CG_CID_OK) {
        const int n = cg_cid_encode(&m, buf, sizeof buf);
        if (n > 0 && m.unknown_params == 0) {
            if (cg_cid_decode(buf, (size_t) n, &again) != CG_CID_OK ||
                memcmp(&again, &m, sizeof m) != 0)
                abort();
        }
    }
    if (cg_cid_decode_dtmf((const char *) data, size, &m) == CG_CID_OK) {
        if (cg_cid_encode_dtmf(&m, digits, sizeof digits) < 0)
            abort();
    }
    /* The encoder on a message built from the bytes: never writes past max. */
    if (size >= sizeof m) {
        memcpy(&m, data, sizeof m);
        (void) cg_cid_encode(&m, buf, size % (sizeof buf + 1));
        (void) cg_cid_encode_dtmf(&m, digits, size % (sizeof digits + 1));
    }
    return 0;
}
