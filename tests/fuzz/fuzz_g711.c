/*
 * libFuzzer target for G.711 (c_src/g711.c); tools/fuzz.sh builds and runs it.
 *
 * The input is read twice: as 8-bit codes and as 16-bit linear samples (native byte order).
 * The first byte also picks where the block calls split their buffer, since a block call must
 * give the same result however the stream is cut. For every input the target checks, and
 * aborts on the first difference (so the fuzzer reports logic errors, not only crashes):
 *   - each scalar encode and decode equals an independent transcription of ITU-T G.191's
 *     algorithms written here (loops and shifts, no tables), and each block call equals the
 *     scalar one, split anywhere;
 *   - decode then encode gives the code back (mu-law: except 0x7F, which becomes 0xFF);
 *   - encoding is idempotent, keeps the sign, is monotonic over consecutive sample pairs, and
 *     its error is within half a quantisation step (|x| / 32 + 8);
 *   - transcoding keeps the sign, lands within 1/16 of the value, preserves order, and gives
 *     the same codes in place (dst == src) as out of place. (Equal values need not transcode
 *     alike: mu-law 0x7F and 0xFF both decode to 0 and keep their signs in A-law.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callgate/g711.h"
#include "fuzz_input.h"

#define MAX_N 4096

/* --- G.191's g711 algorithms, transcribed from their description (REFERENCE.md) --------- */

static uint8_t ref_alaw_compress(int16_t x)
{
    /* Only the 12 most significant bits count; negatives take the one's complement. */
    int ix = x < 0 ? (~x) >> 4 : x >> 4;
    if (ix > 15) {
        int exponent = 1;
        while (ix > 16 + 15) {
            ix >>= 1;
            exponent++;
        }
        ix -= 16;
        ix += exponent << 4;
    }
    if (x >= 0)
        ix |= 0x80;
    return (uint8_t) (ix ^ 0x55);
}

static int ref_alaw_expand(uint8_t code)
{
    int ix = (code ^ 0x55) & 0x7F;
    int exponent = ix >> 4;
    int mantissa = ix & 0x0F;
    if (exponent > 0)
        mantissa += 16;
    mantissa = (mantissa << 4) + 8;
    if (exponent > 1)
        mantissa <<= exponent - 1;
    return code > 127 ? mantissa : -mantissa;
}

static uint8_t ref_ulaw_compress(int16_t x)
{
    /* Only the 14 most significant bits count; negatives take the one's complement. */
    int absno = x < 0 ? ((~x) >> 2) + 33 : (x >> 2) + 33;
    if (absno > 0x1FFF)
        absno = 0x1FFF;
    int segno = 1;
    for (int i = absno >> 6; i; i >>= 1)
        segno++;
    int code = ((8 - segno) << 4) | (0x0F - ((absno >> segno) & 0x0F));
    if (x >= 0)
        code |= 0x80;
    return (uint8_t) code;
}

static int ref_ulaw_expand(uint8_t code)
{
    int mantissa = ~code & 0xFF;
    int exponent = (mantissa >> 4) & 0x07;
    int step = 4 << (exponent + 1);
    mantissa &= 0x0F;
    int magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    return code < 0x80 ? -magnitude : magnitude;
}

/* --- helpers ----------------------------------------------------------------------------- */

static int iabs(int v) { return v < 0 ? -v : v; }

static int sign(int v) { return (v > 0) - (v < 0); }

typedef void (*encode_fn)(uint8_t *, const int16_t *, size_t);
typedef void (*decode_fn)(int16_t *, const uint8_t *, size_t);
typedef void (*transcode_fn)(uint8_t *, const uint8_t *, size_t);

/* The block calls, with the buffer cut in two at `split`. */
static void encode_split(encode_fn f, uint8_t *dst, const int16_t *src, size_t n, size_t split)
{
    f(dst, src, split);
    f(dst + split, src + split, n - split);
}

static void decode_split(decode_fn f, int16_t *dst, const uint8_t *src, size_t n, size_t split)
{
    f(dst, src, split);
    f(dst + split, src + split, n - split);
}

static void transcode_split(transcode_fn f, uint8_t *dst, const uint8_t *src, size_t n,
                            size_t split)
{
    f(dst, src, split);
    f(dst + split, src + split, n - split);
}

/* --- the checks ---------------------------------------------------------------------------- */

static void check_law(const char *law, const int16_t *x, size_t ns, const uint8_t *codes, size_t nc,
                      size_t split_s, size_t split_c, uint8_t (*from_linear)(int16_t),
                      int16_t (*to_linear)(uint8_t), encode_fn encode, decode_fn decode,
                      uint8_t (*ref_compress)(int16_t), int (*ref_expand)(uint8_t),
                      int is_ulaw)
{
    static uint8_t enc[MAX_N], enc2[MAX_N];
    static int16_t dec[MAX_N];

    /* Codes: decode against G.191, then round trip. */
    decode_split(decode, dec, codes, nc, split_c);
    for (size_t i = 0; i < nc; i++) {
        const uint8_t c = codes[i];
        CHECK(to_linear(c) == ref_expand(c), "%s code 0x%02X decodes to %d, G.191 says %d", law,
              c, to_linear(c), ref_expand(c));
        CHECK(dec[i] == to_linear(c), "%s block decode of 0x%02X at %zu gives %d, scalar %d", law,
              c, i, dec[i], to_linear(c));
        const uint8_t back = from_linear(dec[i]);
        if (is_ulaw && c == 0x7F)
            CHECK(back == 0xFF, "mu-law negative zero 0x7F re-encodes to 0x%02X, not 0xFF", back);
        else
            CHECK(back == c, "%s code 0x%02X -> %d re-encodes to 0x%02X", law, c, dec[i], back);
    }

    /* Samples: encode against G.191, then the properties of the quantiser. */
    encode_split(encode, enc, x, ns, split_s);
    decode(dec, enc, ns);
    for (size_t i = 0; i < ns; i++) {
        const uint8_t c = from_linear(x[i]);
        CHECK(c == ref_compress(x[i]), "%s encode of %d gives 0x%02X, G.191 says 0x%02X", law,
              x[i], c, ref_compress(x[i]));
        CHECK(enc[i] == c, "%s block encode of %d at %zu gives 0x%02X, scalar 0x%02X", law, x[i],
              i, enc[i], c);
        const int y = dec[i];
        const int err = iabs(y - x[i]);
        CHECK(err <= (iabs(x[i]) >> 5) + 8, "%s: %d -> 0x%02X -> %d, error %d too large", law,
              x[i], c, y, err);
        CHECK(sign(y) == sign(x[i]) || y == 0 || iabs(x[i]) < 8 * 4,
              "%s: %d -> %d changes sign", law, x[i], y);
        /* Idempotent: the reconstruction encodes to the same code (mu-law 0x7F aside). */
        if (!(is_ulaw && c == 0x7F))
            CHECK(from_linear((int16_t) y) == c, "%s: %d -> 0x%02X -> %d -> 0x%02X", law, x[i], c,
                  y, from_linear((int16_t) y));
        if (i > 0) {
            const int a = x[i - 1], b = x[i];
            const int ya = dec[i - 1];
            CHECK(a > b ? ya >= y : a < b ? ya <= y : ya == y,
                  "%s not monotonic: %d -> %d but %d -> %d", law, a, ya, b, y);
        }
    }
    /* The same samples encoded in one call. */
    encode(enc2, x, ns);
    CHECK(memcmp(enc, enc2, ns) == 0, "%s: encoding depends on the block split at %zu", law,
          split_s);
}

static void check_transcode(const char *name, const uint8_t *codes, size_t n, size_t split,
                            transcode_fn f, int16_t (*from_decode)(uint8_t),
                            int16_t (*to_decode)(uint8_t))
{
    static uint8_t out[MAX_N], inplace[MAX_N];
    transcode_split(f, out, codes, n, split);
    memcpy(inplace, codes, n);
    transcode_split(f, inplace, inplace, n, split);
    CHECK(memcmp(out, inplace, n) == 0, "%s in place differs from out of place", name);
    for (size_t i = 0; i < n; i++) {
        uint8_t one;
        f(&one, &codes[i], 1);
        CHECK(out[i] == one, "%s block of 0x%02X at %zu gives 0x%02X, one at a time 0x%02X", name,
              codes[i], i, out[i], one);
        const int v = from_decode(codes[i]);
        const int w = to_decode(out[i]);
        CHECK((codes[i] & 0x80) == (out[i] & 0x80), "%s 0x%02X -> 0x%02X changes sign", name,
              codes[i], out[i]);
        CHECK(iabs(w - v) <= (iabs(v) >> 4) + 16, "%s 0x%02X (%d) -> 0x%02X (%d): too far", name,
              codes[i], v, out[i], w);
        if (i > 0) {
            const int pv = from_decode(codes[i - 1]), pw = to_decode(out[i - 1]);
            CHECK(pv < v ? pw <= w : pv > v ? pw >= w : 1,
                  "%s does not keep order: %d -> %d but %d -> %d", name, pv, pw, v, w);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int16_t x[MAX_N / 2];
    if (size > MAX_N)
        size = MAX_N;
    const size_t nc = size;
    const size_t ns = fuzz_samples(x, MAX_N / 2, data, size);
    const size_t split_c = nc ? data[0] % (nc + 1) : 0;
    const size_t split_s = nc ? data[0] % (ns + 1) : 0;

    check_law("A-law", x, ns, data, nc, split_s, split_c, cg_alaw_from_linear, cg_alaw_to_linear,
              cg_alaw_encode, cg_alaw_decode, ref_alaw_compress, ref_alaw_expand, 0);
    check_law("mu-law", x, ns, data, nc, split_s, split_c, cg_ulaw_from_linear, cg_ulaw_to_linear,
              cg_ulaw_encode, cg_ulaw_decode, ref_ulaw_compress, ref_ulaw_expand, 1);
    check_transcode("A->mu", data, nc, split_c, cg_alaw_to_ulaw, cg_alaw_to_linear, cg_ulaw_to_linear);
    check_transcode("mu->A", data, nc, split_c, cg_ulaw_to_alaw, cg_ulaw_to_linear, cg_alaw_to_linear);
    return 0;
}
