#define CG_TONE_MIN_SEGMENT_MS 2
#define CG_TONE_MAX_FREQ_HZ 3999

typedef struct {
    uint16_t freq1_hz;
    uint16_t freq2_hz;
    uint16_t duration_ms;
} cg_tone_segment_t;

typedef struct {
    const char *name;
    const cg_tone_segment_t *segments;
    uint16_t n_segments;
    uint8_t repeat;
    float level_dbm0;
} cg_tone_desc_t;

typedef struct {
    const char *name;
    const char *description;
    const cg_tone_desc_t *const *tones;
    uint16_t n_tones;
} cg_tone_plan_t;

size_t cg_tone_plan_count(void);
const cg_tone_plan_t *cg_tone_plan_at(size_t index);
int cg_tone_plan_find(const char *name, const cg_tone_plan_t **plan);
const cg_tone_desc_t *cg_tone_plan_tone(const cg_tone_plan_t *plan, size_t index);
int cg_tone_find(const cg_tone_plan_t *plan, const char *name, const cg_tone_desc_t **tone);
int cg_tone_lookup(const char *plan_name, const char *tone_name, const cg_tone_desc_t **tone);
int cg_tone_check(const cg_tone_desc_t *tone);
uint32_t cg_tone_cycle_ms(const cg_tone_desc_t *tone);

typedef struct { ...; } cg_tone_gen_t;
int cg_tone_gen_init(cg_tone_gen_t *s, const cg_tone_desc_t *tone, cg_law_t law);
size_t cg_tone_gen_process(cg_tone_gen_t *s, int16_t *amp, size_t max_samples);
