typedef struct { ...; } cg_cpa_t;

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
int cg_cpa_dial_heard(const cg_cpa_t *s, uint64_t *at);
