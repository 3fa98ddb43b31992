# The board's entry point, run at boot from the flash root (on the virtual board:
# `micropython -i main.py`). The only place that calls asyncio.run.
#
# Never bricked by its own app: if the safe-mode file exists or the escape key is held
# (callgate.hal.boot_escape), the app does not start; whenever the app stops (the host's
# REPL request, Ctrl-C, a crash), this script ends and the REPL runs, so mpremote can
# always reach the board.

import sys

from callgate import VERSION, hal


def main():
    if hal.boot_escape():
        print("callgate %s: boot escape, app not started" % VERSION)
        return
    import asyncio

    from callgate import app

    print("callgate %s: starting" % VERSION)
    try:
        reason = asyncio.run(app.main())
    except KeyboardInterrupt:
        reason = "interrupted"
    except Exception as e:
        sys.print_exception(e)
        reason = "crashed"
    print("callgate: app stopped (%s), REPL" % reason)


main()
