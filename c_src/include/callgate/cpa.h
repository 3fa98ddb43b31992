/*
 * Call-progress analysis (CPA) and disconnect supervision: the three modules in one include.
 *
 * Three layers, each a caller-owned state + init + process-a-block + events out, each with its
 * own header (the manual for it) and source file:
 *
 *   callgate/cpa_tone.h      cg_cpa_tone_t  (c_src/cpa_tone.c)     the cadence-aware tone
 *                            detector for one tone plan: dial, busy, ringback, congestion, SIT,
 *                            fax CNG/CED by frequency and cadence; voice, silence and beeps.
 *   callgate/cpa_outbound.h  cg_cpa_t       (c_src/cpa_outbound.c) the outbound-call analyser
 *                            on top: exactly one result per attempt (no dial tone, busy,
 *                            congestion, no answer, SIT, fax, person, machine).
 *   callgate/disconnect.h    cg_disc_t      (c_src/disconnect.c)   FXO disconnect supervision:
 *                            loop drop, reversal, busy/congestion tone, long silence.
 *
 * Their state structs: callgate/private/cpa.h (or the private header of each).
 */
#ifndef CALLGATE_CPA_H
#define CALLGATE_CPA_H

#include "callgate/cpa_tone.h"
#include "callgate/cpa_outbound.h"
#include "callgate/disconnect.h"

#endif
