#define CG_SAMPLE_RATE 8000

typedef enum { CG_OK = 0, CG_E_NULL = -1, CG_E_RANGE = -2, CG_E_SPACE = -3,
               CG_E_UNKNOWN = -4 } cg_error_t;
const char *cg_error_name(int err);

typedef enum { CG_LAW_ULAW = 0, CG_LAW_ALAW = 1 } cg_law_t;
float cg_dbm0_peak(cg_law_t law);
float cg_dbm0_to_peak(float level_dbm0, cg_law_t law);
float cg_power_to_dbm0(float power, cg_law_t law);

typedef enum { CG_EVENT_NONE = 0, CG_EVENT_DTMF_BEGIN = 1, CG_EVENT_DTMF = 2 } cg_event_kind_t;

typedef struct {
    uint64_t start_sample;
    uint64_t end_sample;
    int32_t kind;
    int32_t value;
    float level_dbm0;
    float detail;
} cg_event_t;

const char *cg_event_kind_name(int kind);
