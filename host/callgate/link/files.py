"""Files on the board over the link (firmware/callgate/files.py is the other end).

    with connect(port) as c:
        fs = RemoteFiles(c)
        fs.upload("fw/x/callgate/app.mpy", data, progress=lambda n: ...)   # resumable
        fs.sha256("fw/x/callgate/app.mpy") == hashlib.sha256(data).digest()

Every request names its file and an upload is offset-addressed and append-only, so a retried
request is harmless and an upload cut off (host or board killed) resumes from the longest
prefix the board holds that matches: upload() asks the board for that prefix's sha256 before
it sends anything.
"""

import hashlib

from ..firmware.link import frame, messages
from ..firmware.link.errors import RemoteError

# Bytes of a WRITE request that are not the chunk: header, CBOR map and keys, offset, and
# the byte string's head; the path is added per file.
_WRITE_OVERHEAD = messages.HEADER_LEN + frame.CRC_LEN + 24


class RemoteFiles:
    def __init__(self, client, timeout: float = 3.0):
        self.c = client
        self.timeout = timeout  # hashing a large file on a small board takes a while
        self.max_frame = (client.info or {}).get("max", frame.MAX_FRAME)

    def _req(self, op, value=None):
        return self.c.request(op, value, timeout=self.timeout)

    def chunk_size(self, path: str) -> int:
        return self.max_frame - _WRITE_OVERHEAD - len(path.encode())

    def stat(self, path: str):
        """{"size", "dir"} or None."""
        return self._req(messages.OP_FS_STAT, {"p": path})

    def listdir(self, path: str) -> list:
        """[(name, size or -1 for a folder)]."""
        out, start = [], 0
        while True:
            r = self._req(messages.OP_FS_LIST, {"p": path, "from": start})
            out.extend((n, s) for n, s in r["entries"])
            start += len(r["entries"])
            if not r["more"] or not r["entries"]:
                return out

    def sha256(self, path: str, n: int | None = None) -> bytes:
        v = {"p": path} if n is None else {"p": path, "n": n}
        return self._req(messages.OP_FS_HASH, v)["sha256"]

    def read(self, path: str) -> bytes:
        out = bytearray()
        while True:
            b = self._req(messages.OP_FS_READ, {"p": path, "o": len(out), "n": 400})
            if not b:
                return bytes(out)
            out.extend(b)

    def rename(self, src: str, dst: str) -> None:
        self._req(messages.OP_FS_RENAME, {"from": src, "to": dst})

    def remove(self, path: str) -> int:
        return self._req(messages.OP_FS_REMOVE, {"p": path})["removed"]

    def copy(self, src: str, dst: str) -> int:
        return self._req(messages.OP_FS_COPY, {"from": src, "to": dst})["size"]

    def df(self) -> dict:
        return self._req(messages.OP_FS_DF)

    def resume_point(self, path: str, data: bytes) -> int:
        """How many bytes of data the board already holds at path (0 if none or different)."""
        st = self.stat(path)
        if st is None or st["dir"] or st["size"] > len(data):
            return 0
        n = st["size"]
        if n and self.sha256(path, n) != hashlib.sha256(data[:n]).digest():
            return 0
        return n

    def upload(self, path: str, data: bytes, progress=None) -> int:
        """Put data at path (written to path + ".part", checked, renamed into place).

        Resumes a cut-off upload; returns the bytes sent over the link. progress(n) is called
        with the bytes sent by each chunk.
        """
        part = path + ".part"
        have = self.resume_point(part, data)
        r = self._req(messages.OP_FS_OPEN, {"p": part, "size": len(data), "fresh": have == 0})
        have = r["size"]
        sent = 0
        step = self.chunk_size(part)
        while have < len(data):
            chunk = data[have : have + step]
            try:
                r = self._req(messages.OP_FS_WRITE, {"p": part, "o": have, "d": chunk})
            except RemoteError as e:  # "gap": the board holds less than we thought
                if e.code == messages.ERR_BAD_REQUEST and isinstance(e.detail, dict) and "size" in e.detail:
                    have = e.detail["size"]
                    continue
                raise
            sent += len(chunk)
            have = r["size"]
            if progress:
                progress(len(chunk))
        if self.sha256(part) != hashlib.sha256(data).digest():
            self._req(messages.OP_FS_OPEN, {"p": part, "size": len(data), "fresh": True})
            raise RemoteError(messages.ERR_REFUSED, f"{path}: the board's copy does not match after upload")
        self.rename(part, path)
        return sent
