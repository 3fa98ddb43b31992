/* Only what Python needs; enums reach Python through their name functions (see
 * host/callgate/dsp/events.py), so their values are written once, in C. */
#define CG_SAMPLE_RATE 8000

const char *cg_error_name(int err);

typedef enum { CG_LAW_ULAW = 0, CG_LAW_ALAW = 1 } cg_law_t;
float cg_dbm0_peak(cg_law_t law);
float cg_dbm0_to_peak(float level_dbm0, cg_law_t law);
float cg_power_to_dbm0(float power, cg_law_t law);

typedef struct {
    uint64_t start_sample;
    uint64_t end_sample;
    int32_t kind;
    int32_t value;
    float level_dbm0;
    float detail;
} cg_event_t;

const char *cg_event_kind_name(int kind);
