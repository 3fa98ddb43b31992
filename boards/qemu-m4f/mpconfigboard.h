// The qemu port's configuration, then this board's changes (the port's mpconfigport.h has no
// board hook, so mpconfigboard.mk names this file as MP_CONFIGFILE).
#include "mpconfigport.h"

// The firmware is asyncio (firmware/callgate/app.py); the port turns it off for its tests.
// The frozen asyncio package comes with it (manifest.py).
#undef MICROPY_PY_ASYNCIO
#define MICROPY_PY_ASYNCIO (1)

// At every (soft) boot, after the runtime is up: mount the flash (board.c).
#define MICROPY_PORT_INIT_FUNC callgate_board_init()
void callgate_board_init(void);

// os.urandom (the firmware's boot id, app.py): the port's mp_hal_get_random, an LCG that
// board.c moves on by a boot-dependent amount at power-on (the part's RNG is not modelled).
#define MICROPY_PY_OS_URANDOM (1)

// time.gmtime (the call records' day files, cdr.py), localtime, mktime and time (calls.py),
// from shared/timeutils (mpconfigboard.mk builds it) and modtime.h here.
#define MICROPY_PY_TIME_GMTIME_LOCALTIME_MKTIME (1)
#define MICROPY_PY_TIME_TIME_TIME_NS (1)
#define MICROPY_PY_TIME_INCLUDEFILE "boards_qemu_m4f_modtime.h"

// Ctrl-C on the REPL while the app runs (board.c, callgate_ctrl_c_poll): looked for in the
// VM's loops and calls and in asyncio's idle wait.
void callgate_ctrl_c_poll(void);
#define MICROPY_VM_HOOK_LOOP callgate_ctrl_c_poll();
#define MICROPY_VM_HOOK_RETURN callgate_ctrl_c_poll();
#define MICROPY_INTERNAL_EVENT_HOOK callgate_ctrl_c_poll()

// Idle (asyncio's poll with nothing ready, the REPL waiting for a key): sleep until the next
// interrupt (a UART byte, the 1 ms SysTick), as a real MCU does. Busy-polling instead kept the
// emulated CPU reading UART registers, and QEMU's thread that delivers the UARTs' bytes waited
// for its lock: the line-card bus crawled at a quarter of real time with the CPU idle.
#define MICROPY_INTERNAL_WFE(TIMEOUT_MS) __asm__ volatile ("wfi" ::: "memory")
