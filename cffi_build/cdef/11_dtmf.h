typedef struct { ...; } cg_dtmf_rx_t;

typedef struct {
    cg_law_t law;
    float min_level_dbm0;
    float max_normal_twist_db;
    float max_reverse_twist_db;
    float max_freq_error_pct;
    int report_begin;
} cg_dtmf_rx_cfg_t;

void cg_dtmf_rx_cfg_default(cg_dtmf_rx_cfg_t *cfg);
int cg_dtmf_rx_init(cg_dtmf_rx_t *s, const cg_dtmf_rx_cfg_t *cfg);
int cg_dtmf_rx_process(cg_dtmf_rx_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                       size_t max_ev);
int cg_dtmf_rx_flush(cg_dtmf_rx_t *s, cg_event_t *ev, size_t max_ev);
