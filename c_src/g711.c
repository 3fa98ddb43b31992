#include "callgate/g711.h"

#include "g711_tables.h"

uint8_t cg_alaw_from_linear(int16_t x) { return cg_alaw_enc_table[(uint16_t) x >> 4]; }
int16_t cg_alaw_to_linear(uint8_t code) { return cg_alaw_dec_table[code]; }
uint8_t cg_ulaw_from_linear(int16_t x) { return cg_ulaw_enc_table[(uint16_t) x >> 2]; }
int16_t cg_ulaw_to_linear(uint8_t code) { return cg_ulaw_dec_table[code]; }

void cg_alaw_encode(uint8_t *dst, const int16_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = cg_alaw_enc_table[(uint16_t) src[i] >> 4];
}

void cg_ulaw_encode(uint8_t *dst, const int16_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = cg_ulaw_enc_table[(uint16_t) src[i] >> 2];
}

void cg_alaw_decode(int16_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = cg_alaw_dec_table[src[i]];
}

void cg_ulaw_decode(int16_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = cg_ulaw_dec_table[src[i]];
}

void cg_alaw_to_ulaw(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = cg_alaw_to_ulaw_table[src[i]];
}

void cg_ulaw_to_alaw(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = cg_ulaw_to_alaw_table[src[i]];
}
