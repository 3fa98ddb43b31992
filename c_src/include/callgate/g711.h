/*
 * G.711 A-law and mu-law, bit-exact with ITU-T G.191's g711 module.
 *
 * What does it do?
 *   Encodes 16-bit linear PCM to 8-bit A-law or mu-law codes, decodes codes to linear, and
 *   transcodes A-law <-> mu-law directly with the tables of G.711 (Tables 3 and 4).
 *
 * How does it work?
 *   Lookups in const tables generated from a transcription of G.191 (c_src/gen/make_tables.py):
 *   A-law depends only on the 12 most significant bits of a sample, mu-law on the 14 most
 *   significant, so encoding is one lookup of 4 KiB or 16 KiB; decoding is a 256-entry lookup.
 *
 * Points to know:
 *   - For negative samples G.191's mu-law takes the one's complement before shifting; Sun's
 *     g711.c (and Python's audioop) negate, which gives another code for 508 of the 32768
 *     negative inputs. This module follows G.191.
 *   - Transcoding follows G.711's tables, not decode-then-encode: those differ for 32 A-law and
 *     44 mu-law codes of small magnitude (tests/dsp/test_g711.py pins both counts).
 *   - Every A-law code decodes and re-encodes to itself; so does every mu-law code except 0x7F
 *     ("negative zero"), which decodes to 0, and 0 encodes to 0xFF.
 *   - dst and src may be the same buffer for the transcoding functions.
 */
#ifndef CALLGATE_G711_H
#define CALLGATE_G711_H

#include "callgate/common.h"

uint8_t cg_alaw_from_linear(int16_t x);
int16_t cg_alaw_to_linear(uint8_t code);
uint8_t cg_ulaw_from_linear(int16_t x);
int16_t cg_ulaw_to_linear(uint8_t code);

void cg_alaw_encode(uint8_t *dst, const int16_t *src, size_t n);
void cg_alaw_decode(int16_t *dst, const uint8_t *src, size_t n);
void cg_ulaw_encode(uint8_t *dst, const int16_t *src, size_t n);
void cg_ulaw_decode(int16_t *dst, const uint8_t *src, size_t n);
void cg_alaw_to_ulaw(uint8_t *dst, const uint8_t *src, size_t n);
void cg_ulaw_to_alaw(uint8_t *dst, const uint8_t *src, size_t n);

#endif
