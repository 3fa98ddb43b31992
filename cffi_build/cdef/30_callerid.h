/* callgate/cid.h: caller ID (FSK and DTMF), messages, receiver and transmitter. */
#define CG_CID_MAX_NUMBER 20
#define CG_CID_MAX_NAME 50
#define CG_CID_MAX_BYTES 258
#define CG_CID_MAX_DTMF 24
#define CG_CID_TYPE_SDMF 4
#define CG_CID_TYPE_SDMF_MWI 6
#define CG_CID_TYPE_MDMF 128
#define CG_CID_TYPE_MDMF_MWI 130
#define CG_CID_TYPE_DTMF 256
#define CG_CID_ARM_RING_END 1
#define CG_CID_ARM_REVERSAL 2
#define CG_CID_ARM_ALERT 4
#define CG_CID_RX_BLOCK 1024

const char *cg_cid_status_name(int status);

typedef struct {
    int32_t status;
    int32_t type;
    int32_t month, day, hour, minute;
    char number[21];
    char name[51];
    char number_absence;
    char name_absence;
    int8_t mwi;
    uint8_t unknown_params;
} cg_cid_msg_t;

void cg_cid_msg_clear(cg_cid_msg_t *msg);
int cg_cid_encode(const cg_cid_msg_t *msg, uint8_t *buf, size_t max);
int cg_cid_decode(const uint8_t *buf, size_t n, cg_cid_msg_t *msg);
int cg_cid_encode_dtmf(const cg_cid_msg_t *msg, char *digits, size_t max);
int cg_cid_decode_dtmf(const char *digits, size_t n, cg_cid_msg_t *msg);

typedef enum { CG_CID_BELL202 = 0, CG_CID_V23 = 1 } cg_cid_standard_t;
typedef enum {
    CG_CID_LINE_RING_START = 1,
    CG_CID_LINE_RING_END = 2,
    CG_CID_LINE_REVERSAL = 3
} cg_cid_line_t;

typedef struct { ...; } cg_cid_rx_t;

typedef struct {
    int32_t standard;
    cg_law_t law;
    float min_level_dbm0;
    uint32_t min_mark_bits;
    uint32_t arm;
    uint32_t window_ms;
    int32_t dtmf;
    float alert_min_level_dbm0;
} cg_cid_rx_cfg_t;

void cg_cid_rx_cfg_default(cg_cid_rx_cfg_t *cfg);
int cg_cid_rx_init(cg_cid_rx_t *s, const cg_cid_rx_cfg_t *cfg);
int cg_cid_rx_line(cg_cid_rx_t *s, int line_event);
int cg_cid_rx_process(cg_cid_rx_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                      size_t max_ev);
int cg_cid_rx_flush(cg_cid_rx_t *s, cg_event_t *ev, size_t max_ev);
void cg_cid_rx_message(const cg_cid_rx_t *s, cg_cid_msg_t *msg);
size_t cg_cid_rx_raw(const cg_cid_rx_t *s, uint8_t *buf, size_t max);

typedef struct { ...; } cg_cid_tx_t;

typedef struct {
    cg_law_t law;
    float level_dbm0;
    float space_twist_db;
    float mark_hz, space_hz, baud;
    uint32_t seizure_bits;
    uint32_t mark_bits;
    uint32_t trailing_mark_bits;
    uint32_t alert_ms;
    uint32_t alert_gap_ms;
    float alert_level_dbm0;
    uint32_t dtmf_on_ms;
    uint32_t dtmf_off_ms;
    float dtmf_level_dbm0;
} cg_cid_tx_cfg_t;

int cg_cid_tx_cfg_default(cg_cid_tx_cfg_t *cfg, int standard);
int cg_cid_tx_init(cg_cid_tx_t *s, const cg_cid_tx_cfg_t *cfg);
int cg_cid_tx_fsk(cg_cid_tx_t *s, const uint8_t *msg, size_t n);
int cg_cid_tx_dtmf(cg_cid_tx_t *s, const char *digits, size_t n);
size_t cg_cid_tx_generate(cg_cid_tx_t *s, int16_t *amp, size_t max);
