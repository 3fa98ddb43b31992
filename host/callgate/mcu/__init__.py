"""The gateway MCU image (boards/qemu-m4f, docs/hardware.md) run under QEMU on this machine."""

from .qemu import FIRMWARE_ELF, McuError, QemuBoard, build_firmware

__all__ = ["FIRMWARE_ELF", "McuError", "QemuBoard", "build_firmware"]
