/* The state of the call-progress modules (callgate/cpa.h) in one include: the tone detector's,
 * the outbound-call analyser's and disconnect supervision's. For bindings and tests. */
#ifndef CALLGATE_PRIVATE_CPA_H
#define CALLGATE_PRIVATE_CPA_H

#include "callgate/cpa.h"
#include "callgate/private/cpa_tone.h"
#include "callgate/private/cpa_outbound.h"
#include "callgate/private/disconnect.h"

#endif
