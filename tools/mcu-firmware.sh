#!/bin/sh
# mcu-firmware.sh BOARD  Build the MicroPython image of an MCU board folder (boards/BOARD/, a
# qemu-port board) with the _callgate user C module (usermod/) and the board's frozen
# manifest, then print its flash and RAM use. Called by `make firmware BOARD=...`.
#
# The MicroPython source is never copied into this repository. It comes from
#   MICROPY_DIR=/path/to/micropython   a checkout of the commit below (used in place, read
#                                      only: every output goes to build/), or
#   MICROPY_TARBALL=file.tar.gz        a snapshot of it (default: ../shared/vendor/...), which
#                                      is unpacked once under build/mcu/src/.
# Output: build/mcu/BOARD/firmware.elf (+ .bin, .map), build/mcu/mpy-cross/mpy-cross.
set -e
BOARD=${1:?usage: mcu-firmware.sh BOARD}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COMMIT=1c3c201149
BOARD_DIR=$ROOT/boards/$BOARD
OUT=$ROOT/build/mcu
JOBS=${JOBS:-2}

[ -f "$BOARD_DIR/mpconfigboard.mk" ] || {
    echo "mcu-firmware: no MCU board boards/$BOARD (a folder with mpconfigboard.mk)" >&2; exit 2; }

TARBALL=${MICROPY_TARBALL:-$ROOT/../shared/vendor/micropython-$COMMIT.tar.gz}
if [ -n "$MICROPY_DIR" ]; then
    [ -f "$MICROPY_DIR/py/mpconfig.h" ] || {
        echo "mcu-firmware: MICROPY_DIR=$MICROPY_DIR is not a MicroPython source tree" >&2; exit 2; }
    SRC=$(cd "$MICROPY_DIR" && pwd)
elif [ -f "$TARBALL" ]; then
    SRC=$OUT/src/micropython-$COMMIT
    if [ ! -f "$SRC/.unpacked" ]; then
        rm -rf "$SRC" && mkdir -p "$OUT/src"
        tar -xzf "$TARBALL" -C "$OUT/src"
        touch "$SRC/.unpacked"
    fi
else
    echo "mcu-firmware: no MicroPython source: set MICROPY_DIR to a checkout of micropython" \
         "commit $COMMIT (or MICROPY_TARBALL to a snapshot of it; $TARBALL is absent)" >&2
    exit 2
fi

"$ROOT/tools/need-deb" gcc-arm-none-eabi:arm-none-eabi-gcc \
    libnewlib-arm-none-eabi:/usr/lib/arm-none-eabi/newlib qemu-system-arm:qemu-system-arm

# MicroPython names its version after the git repository its source is in: the snapshot
# unpacked under build/ must not take this repository's commit for its own.
export GIT_CEILING_DIRECTORIES=$(dirname "$SRC")

# mpy-cross for the frozen bytecode, built out of the source tree.
make -s -C "$SRC/mpy-cross" -j"$JOBS" BUILD="$OUT/mpy-cross" \
    >"$OUT/mpy-cross.log" 2>&1 || { tail -20 "$OUT/mpy-cross.log"; exit 1; }

# The image: the qemu port with this board folder, the user C module and the frozen manifest.
# The manifest requires nothing from micropython-lib (a submodule, absent from the snapshot),
# but the freezing step insists that its folder exists: point it at an empty stand-in.
# MicroPython's make does not notice changed CFLAGS: a changed board configuration (or
# source tree) starts the board's build afresh.
CONFIG=$(cat "$BOARD_DIR/mpconfigboard.mk" "$BOARD_DIR/mpconfigboard.h" "$BOARD_DIR"/*.ld \
         "$ROOT"/usermod/*/micropython.mk | sha256sum | cut -c1-16)-$(echo "$SRC" | sha256sum | cut -c1-8)
[ "$(cat "$OUT/$BOARD/.config" 2>/dev/null)" = "$CONFIG" ] || rm -rf "$OUT/$BOARD"
mkdir -p "$OUT/$BOARD" "$OUT/no-micropython-lib"
echo "$CONFIG" >"$OUT/$BOARD/.config"
echo "Not micropython-lib: callgate's MCU manifests use none of it." >"$OUT/no-micropython-lib/README.md"
make -C "$SRC/ports/qemu" -j"$JOBS" BOARD="$BOARD" BOARD_DIR="$BOARD_DIR" \
    BUILD="$OUT/$BOARD" MICROPY_MPYCROSS="$OUT/mpy-cross/mpy-cross" \
    USER_C_MODULES="$ROOT/usermod" FROZEN_MANIFEST="$BOARD_DIR/manifest.py" \
    MPY_LIB_DIR="$OUT/no-micropython-lib" \
    >"$OUT/$BOARD.log" 2>&1 || { grep -B2 -A8 -i "error" "$OUT/$BOARD.log" | head -60; exit 1; }

python3 "$ROOT/tools/mcu_size.py" "$OUT/$BOARD"
