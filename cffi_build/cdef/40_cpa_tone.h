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
    uint8_t sit_kinds;
    uint32_t tones;
} cg_cpa_tone_cfg_t;

typedef enum {
    CG_SIT_UNKNOWN = 0,
    CG_SIT_INTERCEPT = 1,
    CG_SIT_VACANT_CODE = 2,
    CG_SIT_REORDER = 3,
    CG_SIT_NO_CIRCUIT = 4,
    CG_SIT_INEFFECTIVE = 5,
    CG_SIT_RESERVED = 6
} cg_sit_kind_t;

void cg_cpa_tone_cfg_default(cg_cpa_tone_cfg_t *cfg);
int cg_cpa_tone_init(cg_cpa_tone_t *s, const cg_tone_plan_t *plan_or_null,
                     const cg_cpa_tone_cfg_t *cfg);
int cg_cpa_tone_process(cg_cpa_tone_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                        size_t max_ev);
const cg_tone_plan_t *cg_cpa_tone_plan(const cg_cpa_tone_t *s);
cg_sit_kind_t cg_cpa_tone_sit_kind(const cg_cpa_tone_t *s);
