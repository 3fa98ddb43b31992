# Frozen; run by the board's C at every boot and soft reset (board.c): mount the flash at
# /flash with LittleFS2 and make it the current folder, as the virtual board's flash is
# (firmware/callgate/hal.py). The flash is the file flash.img in QEMU's working folder
# (host/callgate/mcu/qemu.py makes it); a blank one is formatted here, once. No flash: the
# REPL still comes up, on the frozen firmware alone.


def _mount():
    import os
    import vfs

    import _board

    try:
        dev = _board.Flash("flash.img", 4096)
    except OSError:
        print("no flash.img: running without a filesystem")
        return
    try:
        vfs.mount(vfs.VfsLfs2(dev), "/flash")
    except OSError:
        vfs.VfsLfs2.mkfs(dev)
        vfs.mount(vfs.VfsLfs2(dev), "/flash")
    os.chdir("/flash")


_mount()
del _mount
