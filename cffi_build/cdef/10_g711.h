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
