/*
 * The size of every state struct as the compiler that builds this file lays it out
 * (tools/cross-size.sh builds it for the Cortex-M4F). For each type T in the list it defines
 * an uninitialised array `char cg_sizeof_T[sizeof(T)]`, so `nm --print-size` reads the sizes
 * back without running anything on the target.
 *
 * The list comes from the build: -DCG_SIZES_LIST='"file"' names a header of CG_SIZE(T) lines
 * (and CG_SIZE_STRUCT(tag) for a struct without a cg_*_t typedef) that tools/cross-size.sh
 * writes from every type defined in c_src/include/callgate/private/; it also includes the
 * headers that define them.
 */
#include "callgate/common.h"

#define CG_SIZE(type) char cg_sizeof_##type[sizeof(type)];
#define CG_SIZE_STRUCT(tag) char cg_sizeof_struct_##tag[sizeof(struct tag)];

CG_SIZE(cg_event_t)

#ifdef CG_SIZES_LIST
#include CG_SIZES_LIST
#endif
