typedef struct { ...; } cg_disc_t;

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
