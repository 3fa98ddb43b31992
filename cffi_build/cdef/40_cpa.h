#define CG_CPA_TICK 80
#define CG_CPA_ONCE_MS 500

typedef struct { ...; } cg_cpa_tone_t;
typedef struct { ...; } cg_cpa_t;
typedef struct { ...; } cg_disc_t;

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

typedef struct {
    cg_cpa_tone_cfg_t tone;
    uint32_t no_dial_tone_ms;
    uint32_t no_answer_ms;
    uint32_t human_max_ms;
    uint32_t machine_min_ms;
    uint32_t end_silence_ms;
} cg_cpa_cfg_t;

void cg_cpa_cfg_default(cg_cpa_cfg_t *cfg);
int cg_cpa_init(cg_cpa_t *s, const cg_cpa_cfg_t *cfg);
int cg_cpa_dialed(cg_cpa_t *s, uint64_t at_sample);
int cg_cpa_process(cg_cpa_t *s, const int16_t *amp, size_t n, cg_event_t *ev, size_t max_ev);
int cg_cpa_flush(cg_cpa_t *s, cg_event_t *ev, size_t max_ev);
int cg_cpa_done(const cg_cpa_t *s);

typedef enum {
    CG_DISC_LOOP_DROP = 1,
    CG_DISC_REVERSAL = 2,
    CG_DISC_TONE = 4,
    CG_DISC_SILENCE = 8
} cg_disc_method_t;
const char *cg_disc_method_name(int method);
typedef enum { CG_LINE_LOOP_DROP = 1, CG_LINE_LOOP_ON = 2, CG_LINE_REVERSAL = 3 } cg_line_signal_t;

typedef struct {
    cg_cpa_tone_cfg_t tone;
    uint32_t methods;
    uint32_t loop_drop_ms;
    uint32_t reversals;
    uint32_t silence_ms;
} cg_disc_cfg_t;

void cg_disc_cfg_default(cg_disc_cfg_t *cfg);
int cg_disc_init(cg_disc_t *s, const cg_disc_cfg_t *cfg);
int cg_disc_line(cg_disc_t *s, cg_line_signal_t signal, uint64_t at_sample, cg_event_t *ev,
                 size_t max_ev);
int cg_disc_process(cg_disc_t *s, const int16_t *amp, size_t n, cg_event_t *ev, size_t max_ev);
