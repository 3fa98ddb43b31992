# The HAL backend of an MCU board (board.json "hal": "mcu"; boards/esp32s3-2fxo-2fxs): the
# data UART is machine.UART, the line cards and the audio plane are the C user module
# `_callgate` over the board's line-card bus (SPI, the shared interrupt, the PCM highway:
# docs/hardware.md). hal.py picks this module; only an MCU board's manifest freezes it.
#
# The slot for the line-card bus driver is connect(): it returns a Board as hal.py describes
# (.uart, await .line(), await .do(cmd), .tell(msg), .close(), .now_ms(), .epoch_ms(now),
# .rate), whose line() gives the reports and whose do() takes the commands of linecard.py.
# That driver is being written apart (docs/hardware.md, "The line cards"); until it is here,
# connect() says so instead of pretending.


def boot_escape(board):
    """The board's escape key (board.json "boot_escape": {"pin", "held"}) held at boot."""
    esc = board.get("boot_escape")
    if esc:
        from machine import Pin

        return Pin(_pin(esc["pin"]), Pin.IN, Pin.PULL_UP).value() == esc.get("held", 0)
    return False


def _pin(name):
    """GPIO number of a pin named by job in the board's pins.csv (frozen as pins.csv)."""
    with open("pins.csv") as f:
        for line in f:
            job, _, gpio = line.strip().partition(",")
            if job == name:
                return int(gpio[4:])
    raise ValueError("no pin " + name)


async def connect():
    raise NotImplementedError("hal_mcu: the line-card bus driver (_callgate) is not in this image yet: "
                              "see docs/hardware.md")
