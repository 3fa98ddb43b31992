"""The virtual board's flash: a LittleFS2 image file, from CPython.

The firmware mounts the same file with MicroPython's `vfs.VfsLfs2` over a file-backed block
device (firmware/callgate/hal_virtual.py, `FileBlockDev`), as a board mounts its flash partition; this
module is the host's side of it (PyPI littlefs-python, the same littlefs v2 on-disk format and
the same geometry): format an image, and read and write its files while the firmware is NOT
running (at sim start, or with the board powered off: `VirtualBoard.powered_off()`).

Reading while the firmware runs (tests watching a deploy) takes a copy of the whole image and
mounts that copy: littlefs commits are CRC-checked and copy-on-write, so a copy taken in the
middle of a write mounts at the last complete commit; a copy that cannot be read is retried.
The host never writes an image the firmware has mounted (two writers would corrupt it).

Geometry: 4096-byte blocks (an ESP32 flash sector), block count = board.json "storage" bytes /
4096, read and program size 32 and lookahead 32 (VfsLfs2's defaults).
"""

import os
import pathlib
import time

from littlefs import LittleFS, LittleFSError

BLOCK_SIZE = 4096
READ_SIZE = 32
PROG_SIZE = 32
LOOKAHEAD = 32
DEFAULT_BYTES = 1 << 20


class FlashImage:
    def __init__(self, path, size: int = DEFAULT_BYTES):
        self.path = pathlib.Path(path)
        if size % BLOCK_SIZE:
            raise ValueError(f"flash size {size} is not a multiple of {BLOCK_SIZE}")
        self.block_count = size // BLOCK_SIZE

    def _fs(self, data=None) -> LittleFS:
        fs = LittleFS(block_size=BLOCK_SIZE, block_count=self.block_count, read_size=READ_SIZE,
                      prog_size=PROG_SIZE, lookahead_size=LOOKAHEAD, mount=False)
        if data is not None:
            fs.context.buffer = bytearray(data)
        return fs

    def create(self) -> bool:
        """Format a new image unless the file exists (then check that it mounts). True if made."""
        if self.path.is_dir():
            raise ValueError(f"{self.path} is a folder: the board's flash is an image file (a new name makes one)")
        if self.path.exists():
            data = self.path.read_bytes()
            if len(data) != self.block_count * BLOCK_SIZE:
                raise ValueError(f"{self.path}: {len(data)} bytes, the board's flash is {self.block_count * BLOCK_SIZE}")
            self._fs(data).mount()  # LittleFSError if it is not a LittleFS image
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fs = self._fs()
        fs.format()
        self._save(fs)
        return True

    def _save(self, fs) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(bytes(fs.context.buffer))
        os.replace(tmp, self.path)  # whole or not at all (the firmware is not running)

    def mount(self, tries: int = 20) -> LittleFS:
        """A mounted copy of the image as it is now (changes to it are not saved)."""
        for i in range(tries):
            fs = self._fs(self.path.read_bytes())
            try:
                fs.mount()
                return fs
            except LittleFSError:
                if i == tries - 1:
                    raise
                time.sleep(0.01)  # caught in the middle of the firmware's commit: again
        raise AssertionError

    def edit(self):
        """A context manager: the mounted image, saved on a clean exit. Only while the firmware
        is not running."""
        return _Edit(self)

    # reading (a consistent snapshot each call)

    def read(self, name: str) -> bytes | None:
        for i in range(5):
            fs = self.mount()
            try:
                with fs.open(name, "rb") as f:
                    return f.read()
            except FileNotFoundError:
                return None
            except LittleFSError as e:
                if e.code == LittleFSError.Error.LFS_ERR_NOENT:
                    return None
                if i == 4:
                    raise
        return None

    def exists(self, name: str) -> bool:
        return self.stat(name) is not None

    def stat(self, name: str):
        try:
            return self.mount().stat(name)
        except (FileNotFoundError, LittleFSError):
            return None

    def size(self, name: str) -> int | None:
        st = self.stat(name)
        return None if st is None else st.size

    def listdir(self, name: str = "/") -> list[str]:
        try:
            return sorted(self.mount().listdir(name))
        except (FileNotFoundError, LittleFSError):
            return []

    def files(self) -> dict[str, bytes]:
        """Every file in the image and its bytes (paths without a leading /)."""
        fs = self.mount()
        out = {}
        for root, _dirs, names in fs.walk("/"):
            for n in names:
                p = (root.rstrip("/") + "/" + n).lstrip("/")
                with fs.open(p, "rb") as f:
                    out[p] = f.read()
        return dict(sorted(out.items()))

    # writing (the firmware not running)

    def write(self, name: str, data: bytes | str) -> None:
        with self.edit() as fs:
            put(fs, name, data)

    def put_tree(self, folder) -> None:
        """Copy a host folder's files into the image (e.g. what `callgate site build` made)."""
        folder = pathlib.Path(folder)
        with self.edit() as fs:
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    put(fs, p.relative_to(folder).as_posix(), p.read_bytes())

    def remove(self, name: str) -> None:
        with self.edit() as fs:
            fs.remove(name)


def put(fs, name: str, data) -> None:
    """Write a file in a mounted LittleFS, making its folders."""
    if isinstance(data, str):
        data = data.encode()
    folder = name.rsplit("/", 1)[0] if "/" in name.strip("/") else ""
    if folder:
        fs.makedirs(folder, exist_ok=True)
    with fs.open(name, "wb") as f:
        f.write(data)


class _Edit:
    def __init__(self, image: FlashImage):
        self.image = image
        self.fs = None

    def __enter__(self):
        self.fs = self.image._fs(self.image.path.read_bytes())
        self.fs.mount()
        return self.fs

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.fs.unmount()
            self.image._save(self.fs)
