#define CG_CPA_TICK 80
#define CG_CPA_ONCE_MS 500

typedef struct { ...; } cg_cpa_tone_t;

typedef struct {
    const cg_tone_plan_t *plan;
    const char *plan_name;
    cg_law_t law;
    float min_level_dbm0;
    float voice_level_dbm0;
    uint16_t tolerance_pct;
    uint16_t tolerance_ms;
    uint16_t beep_min_hz;
    uint16_t beep_max_hz;
    uint16_t beep_min_ms;
} cg_cpa_tone_cfg_t;

void cg_cpa_tone_cfg_default(cg_cpa_tone_cfg_t *cfg);
int cg_cpa_tone_init(cg_cpa_tone_t *s, const cg_tone_plan_t *plan_or_null,
                     const cg_cpa_tone_cfg_t *cfg);
int cg_cpa_tone_process(cg_cpa_tone_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                        size_t max_ev);
const cg_tone_plan_t *cg_cpa_tone_plan(const cg_cpa_tone_t *s);
