/* callgate/media.h: the media engine (ports, prompts, tones, DTMF, hear sets, recorder). */
#define CG_MEDIA_MAX_PORTS 8
#define CG_MEDIA_MAX_FRAME 320
#define CG_MEDIA_NO_PEER -1
#define CG_MEDIA_MIX_CHUNK 80
#define CG_MEDIA_END_COMPLETE 0
#define CG_MEDIA_END_BARGE_IN 1
#define CG_MEDIA_MAX_EVENTS ...

typedef struct {
    int32_t port;
    uint32_t reserved_;
    cg_event_t ev;
} cg_media_event_t;

typedef struct { ...; } cg_media_t;

int cg_media_init(cg_media_t *m, size_t n_ports, cg_law_t law);
int cg_media_port_init(cg_media_t *m, size_t port, cg_law_t law);
int cg_media_process(cg_media_t *m, const uint8_t *const rx[], uint8_t *const tx[], size_t n,
                     cg_media_event_t *ev, size_t max_ev);
uint64_t cg_media_now(const cg_media_t *m);
int cg_media_play(cg_media_t *m, size_t port, const uint8_t *codes, size_t n, int barge_in);
int cg_media_stop(cg_media_t *m, size_t port);
int cg_media_tone(cg_media_t *m, size_t port, size_t plan_index, size_t tone_index);
int cg_media_tone_desc(cg_media_t *m, size_t port, const cg_tone_desc_t *tone);
int cg_media_tone_stop(cg_media_t *m, size_t port);
int cg_media_dtmf(cg_media_t *m, size_t port, const char *digits, size_t n);
int cg_media_hear(cg_media_t *m, size_t port, const size_t *from, size_t n);
int cg_media_hears(const cg_media_t *m, size_t port, size_t *from, size_t max);
int cg_media_bridge(cg_media_t *m, size_t a, size_t b);
int cg_media_unbridge(cg_media_t *m, size_t port);
int cg_media_peer(const cg_media_t *m, size_t port);
int cg_media_record(cg_media_t *m, size_t port, uint8_t *buf, size_t cap);
int cg_media_record_stop(cg_media_t *m, size_t port);
size_t cg_media_record_bytes(const cg_media_t *m, size_t port);
int cg_media_cid_arm(cg_media_t *m, size_t port, cg_cid_rx_t *rx, const cg_cid_rx_cfg_t *cfg);
int cg_media_cid_disarm(cg_media_t *m, size_t port);
int cg_media_cid_line(cg_media_t *m, size_t port, int line_event);
int cg_media_cid_message(const cg_media_t *m, size_t port, cg_cid_msg_t *msg);
int cg_media_cpa_arm(cg_media_t *m, size_t port, cg_cpa_t *cpa, const cg_cpa_cfg_t *cfg);
int cg_media_cpa_dialed(cg_media_t *m, size_t port, uint64_t at);
int cg_media_cpa_disarm(cg_media_t *m, size_t port);
int cg_media_cpa_armed(const cg_media_t *m, size_t port);
