# The board's entry point, run at boot from the flash root (on the virtual board:
# `micropython -i main.py`). The only place that calls asyncio.run.
#
# Never bricked by its own app: if the safe-mode file exists or the escape key is held
# (callgate.hal.boot_escape), the app does not start; when the app stops (the host's REPL
# request, Ctrl-C), this script ends and the REPL runs, so mpremote can always reach the
# board. A crash restarts the board, as a watchdog would, so the lines come back by
# themselves; a crash loop (_LOOP crashes in a row, each within _LOOP_S of its boot) stays
# in the REPL instead, with its traceback on the console.
#
# Slots (callgate/update.py): before anything is imported from callgate, boot.json names the
# deployed slot to run, put first on sys.path so its package wins over the frozen one: a
# folder on the flash, or on an MCU "romN:..." (ROMFS partition N mounted at /rom, whose
# bytecode runs in place from flash instead of being loaded into the heap). A slot on
# trial (not yet confirmed by the app) has its boots counted; one that failed
# to come up _TRIES times in a row is dropped for the previous slot, recorded as "rollback".
# A crash of a slot on trial counts as a failed boot (not towards a crash loop). This file is the boot path and the updater's anchor: deploys never replace it.

import sys

_STATE = "boot.json"
_SAFE = "safe"
_TRIES = 3
_CRASHES = "crashes"  # how many crashes in a row came soon after their boot
_LOOP = 3
_LOOP_S = 300


def _save(st):
    import json
    import os

    with open(_STATE + ".tmp", "w") as f:
        f.write(json.dumps(st))
    os.rename(_STATE + ".tmp", _STATE)


def _load():
    import json

    try:
        with open(_STATE) as f:
            st = json.load(f)
        return st if isinstance(st, dict) else None
    except (OSError, ValueError):
        return None


def choose_slot():
    """The slot folder to boot (None: the frozen firmware), counting a trial boot."""
    import os

    try:
        os.stat(_SAFE)
        return None  # safe mode: the frozen firmware, boot state untouched
    except OSError:
        pass
    if getattr(os, "getenv", None) and os.getenv("CALLGATE_SAFE"):  # the Unix port's safe mode
        return None
    st = _load()
    if st is None or not st.get("active"):
        return None
    slot = st["active"]
    if not st.get("ok"):
        tries = st.get("tries", 0)
        if tries >= _TRIES:
            st["rollback"] = {"from": slot, "to": st.get("previous"), "tries": tries}
            slot = st["active"] = st.get("previous")
            st["previous"] = None
            st["ok"] = True
            st["tries"] = 0
            print("callgate: %s failed to come up %d times, back to %s" % (st["rollback"]["from"], tries, slot))
        else:
            st["tries"] = tries + 1
        _save(st)
    return slot


def slot_path(slot):
    """The sys.path entry of a slot: its folder, or /rom with partition N mounted there."""
    if not slot.startswith("rom"):
        return slot
    import vfs

    vfs.mount(vfs.VfsRom(vfs.rom_ioctl(2, int(slot[3]))), "/rom")
    return "/rom"


def on_trial():
    st = _load()
    return bool(st and st.get("active") and not st.get("ok"))


def crash_loop(up_s):
    """Count a crash `up_s` seconds after the boot; True when it makes a crash loop."""
    n = 0
    try:
        with open(_CRASHES) as f:
            n = int(f.read())
    except (OSError, ValueError):
        pass
    n = n + 1 if up_s < _LOOP_S else 1
    try:
        with open(_CRASHES, "w") as f:
            f.write(str(n))
    except OSError:
        return True  # no flash to count on: a restart could loop unseen
    if n >= _LOOP:
        print("callgate: %d crashes in a row, each within %d s of its boot: staying in the REPL" % (n, _LOOP_S))
    return n >= _LOOP


def reset():
    try:
        import machine

        machine.reset()
    except (ImportError, AttributeError):
        # The Unix port has no reset: end this process, and the virtual board starts it again
        # as a board restarts (the sim's bridge restarts any firmware that exits).
        import os

        os.system("kill -TERM $PPID")
        sys.exit(1)


def main():
    import time

    t0 = time.ticks_ms()
    try:
        slot = choose_slot()
    except Exception as e:  # a damaged boot.json must not keep the board from its REPL
        sys.print_exception(e)
        slot = None
    reason = "crashed"
    try:
        if slot:  # a partition that does not mount is a crash: counted like one
            sys.path.insert(0, slot_path(slot))
        from callgate import VERSION, hal

        if hal.boot_escape():
            print("callgate %s: boot escape, app not started" % VERSION)
            return
        import asyncio

        from callgate import app

        print("callgate %s: starting%s" % (VERSION, " from " + slot if slot else ""))
        try:
            reason = asyncio.run(app.main())
        except KeyboardInterrupt as e:
            sys.print_exception(e)  # where the app was: for the one who pressed Ctrl-C
            reason = "interrupted"
    except Exception as e:
        sys.print_exception(e)
        reason = "crashed"
    if reason == "crashed" and not on_trial():  # a slot on trial counts its boots instead
        if crash_loop(time.ticks_diff(time.ticks_ms(), t0) // 1000):
            reason = "crash loop"
    restart = reason in ("reset", "crashed")
    print("callgate: app stopped (%s), %s" % (reason, "restarting" if restart else "REPL"))
    if restart:
        reset()


main()
