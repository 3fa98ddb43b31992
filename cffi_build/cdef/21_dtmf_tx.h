#define CG_DTMF_TX_QUEUE 64

typedef struct { ...; } cg_dtmf_tx_t;

typedef struct {
    cg_law_t law;
    float level_dbm0;
    float twist_db;
    uint16_t on_ms;
    uint16_t off_ms;
} cg_dtmf_tx_cfg_t;

void cg_dtmf_tx_cfg_default(cg_dtmf_tx_cfg_t *cfg);
int cg_dtmf_tx_init(cg_dtmf_tx_t *s, const cg_dtmf_tx_cfg_t *cfg);
int cg_dtmf_tx_put(cg_dtmf_tx_t *s, const char *digits, size_t n);
size_t cg_dtmf_tx_pending(const cg_dtmf_tx_t *s);
size_t cg_dtmf_tx_process(cg_dtmf_tx_t *s, int16_t *amp, size_t max_samples);
int cg_dtmf_tx_digit_hz(char digit, uint16_t *row_hz, uint16_t *col_hz);
