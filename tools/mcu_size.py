"""Flash and RAM use of an MCU image built by tools/mcu-firmware.sh.

    python3 tools/mcu_size.py build/mcu/qemu-m4f

Reads firmware.elf with arm-none-eabi-size and -nm: flash = what the image stores (vector
table, code, constants, frozen bytecode, .data's initial values); RAM = .data + .bss, of which
the MicroPython heap (gc_heap) is one array; the C stack is the rest of RAM above .bss. Also
the share of the callgate C core and its binding (their object files, before the linker drops
unused sections). Prints a summary and writes sizes.json beside the image.
"""

import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FLASH_BYTES = 512 * 1024  # the image's region in boards/qemu-m4f/m4f.ld (the other 512 KiB: ROMFS partitions)
RAM_BYTES = 192 * 1024


def sections(elf: pathlib.Path) -> dict:
    out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    sizes = {}
    for line in out.splitlines():
        m = re.match(r"(\.\S+)\s+(\d+)\s+(\d+)", line)
        if m:
            sizes[m.group(1)] = int(m.group(2))
    return sizes


def symbol_size(elf: pathlib.Path, name: str) -> int:
    out = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == name:
            return int(parts[1], 16)
    return 0


def objects_size(objs) -> dict:
    objs = [str(o) for o in objs]
    if not objs:
        return {"text": 0, "data": 0, "bss": 0}
    out = subprocess.run(["arm-none-eabi-size", "-t", *objs], check=True,
                         capture_output=True, text=True).stdout
    text, data, bss = (int(x) for x in out.splitlines()[-1].split()[:3])
    return {"text": text, "data": data, "bss": bss}


def main(build: pathlib.Path) -> dict:
    elf = build / "firmware.elf"
    s = sections(elf)
    flash = s.get(".isr_vector", 0) + s.get(".text", 0) + s.get(".data", 0)
    ram = s.get(".data", 0) + s.get(".bss", 0)
    heap = symbol_size(elf, "gc_heap")
    sources = {p.stem for p in (ROOT / "c_src").glob("*.c")}  # not objects of files since gone
    core = objects_size(sorted(o for o in build.rglob("c_src/*.o") if o.stem in sources))
    binding = objects_size(sorted(build.rglob("_callgate/*.o")))
    result = {"flash_bytes": flash, "flash_capacity": FLASH_BYTES, "ram_static_bytes": ram,
              "ram_capacity": RAM_BYTES, "heap_bytes": heap,
              "above_bss_bytes": RAM_BYTES - ram, "callgate_core": core, "callgate_binding": binding}
    (build / "sizes.json").write_text(json.dumps(result, indent=1) + "\n")
    k = 1024
    print(f"{elf}:")
    print(f"  flash {flash / k:7.1f} KiB of {FLASH_BYTES // k} KiB "
          f"(code + constants + frozen bytecode + .data image)")
    print(f"  RAM   {ram / k:7.1f} KiB of {RAM_BYTES // k} KiB static (.data + .bss), of which the "
          f"MicroPython heap {heap / k:.0f} KiB; {(RAM_BYTES - ram) / k:.1f} KiB above it for the C "
          f"stack (16 KiB) and the board's C to come")
    print(f"  callgate C core {core['text'] / k:.1f} KiB code+tables, {core['data'] + core['bss']} B "
          f"RAM; binding _callgate {binding['text'] / k:.1f} KiB (object files, before --gc-sections)")
    return result


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
