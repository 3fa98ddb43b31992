"""WAV files in the encodings a telephone line uses: 16-bit PCM, G.711 A-law and mu-law.

Reads format tags 1 (PCM, 16 bits), 6 (A-law, 8 bits) and 7 (mu-law, 8 bits), plain or
inside WAVE_FORMAT_EXTENSIBLE (0xFFFE) with the matching subformat GUID. Python's `wave`
module reads only PCM, hence this parser. G.711 samples are decoded with the C core, and
the raw codes stay available (`WavData.codes`).

What a reader meets in the wild, and what happens:
  - unknown chunks (LIST, cue , fact, bext...) are skipped, odd-sized chunks with their pad
    byte, and a missing pad byte at the very end of the file is tolerated;
  - the RIFF size is only used to find the end of the chunk list: a size of 0..3 or one
    beyond the end of the file (streaming writers) means "up to the end of the file", and
    bytes after the RIFF size (ID3 tags and such) are ignored;
  - the byte rate field is redundant and ignored; the block align must match;
  - a data chunk that claims more bytes than the file holds is a truncated file: WavError,
    unless read_wav(..., allow_truncated=True), which keeps the whole frames present;
  - anything else wrong (not RIFF/WAVE, no fmt or data chunk, two of either, an unsupported
    format, absurd channel counts or rates, a partial frame) is a WavError (a ValueError)
    whose message starts with the file name. The reader never raises anything else for bad
    content; I/O errors stay OSError.

Reading is header first: open_wav walks the chunk list (reading only chunk headers and the
fmt chunk) and returns a WavStream whose blocks() read the audio piece by piece with constant
memory, so a file that is not a WAV file is refused after a few bytes, however large, and a
long recording is processed without holding it. read_wav reads the whole audio at once.

Writing (write_wav) produces the plain formats (or WAVE_FORMAT_EXTENSIBLE on request), with
a fact chunk for G.711, through a temporary file renamed over the target, so an existing file
is replaced whole or not at all.
"""

import errno
import math
import os
import secrets
import stat
import struct
from dataclasses import dataclass

import numpy as np

from .g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

ENCODINGS = ("pcm16", "alaw", "ulaw")
_TAG_OF = {"pcm16": 1, "alaw": 6, "ulaw": 7}
_ENCODING_OF = {v: k for k, v in _TAG_OF.items()}
_BITS_OF = {"pcm16": 16, "alaw": 8, "ulaw": 8}
_EXTENSIBLE = 0xFFFE
# KSDATAFORMAT_SUBTYPE_* GUIDs are {tag}-0000-0010-8000-00AA00389B71: bytes after the tag.
_GUID_TAIL = bytes.fromhex("0000" "0000" "1000" "800000aa00389b71")
_OTHER_TAGS = {0x0002: "MS ADPCM", 0x0003: "IEEE float", 0x0011: "IMA ADPCM",
               0x0031: "GSM 6.10", 0x0040: "G.721 ADPCM", 0x0055: "MPEG layer 3",
               0x0064: "G.726 ADPCM", 0x0065: "G.722 ADPCM"}
MIN_RATE, MAX_RATE = 1000, 768000
MAX_CHANNELS = 64
MAX_FILE_BYTES = 1 << 31


class WavError(ValueError):
    """A file that is not a WAV file callgate can read; the message names the file."""


@dataclass
class WavData:
    """A WAV file's audio. samples: int16, shape (frames,) if mono, else (frames, channels);
    codes: the G.711 codes (uint8, same shape) for alaw/ulaw files, else None."""

    sample_rate: int
    channels: int
    encoding: str
    samples: np.ndarray
    codes: np.ndarray = None
    path: str = ""
    truncated: bool = False  # only with allow_truncated: the data chunk ran past the end

    @property
    def frames(self) -> int:
        return len(self.samples)

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def _u16(buf, pos):
    return struct.unpack_from("<H", buf, pos)[0]


def _u32(buf, pos):
    return struct.unpack_from("<I", buf, pos)[0]


def _parse_fmt(body: bytes, fail):
    if len(body) < 16:
        fail(f"fmt chunk is {len(body)} bytes, fewer than the 16 every WAV format has")
    tag, channels, rate, _byte_rate, align, bits = struct.unpack_from("<HHIIHH", body)
    if tag == _EXTENSIBLE:
        if len(body) < 40:
            fail(f"WAVE_FORMAT_EXTENSIBLE fmt chunk is {len(body)} bytes, fewer than 40")
        cb_size, valid_bits = _u16(body, 16), _u16(body, 18)
        guid = body[24:40]
        if cb_size < 22:
            fail(f"WAVE_FORMAT_EXTENSIBLE with an extension of {cb_size} bytes, fewer than 22")
        if guid[2:] != _GUID_TAIL:
            fail(f"unsupported WAVE_FORMAT_EXTENSIBLE subformat GUID {guid.hex()}")
        tag = _u16(guid, 0)
        if tag in _ENCODING_OF and not 0 <= valid_bits <= bits:
            fail(f"{valid_bits} valid bits in a {bits}-bit container")
    if tag not in _ENCODING_OF:
        name = _OTHER_TAGS.get(tag, "unknown")
        fail(f"unsupported format tag 0x{tag:04X} ({name}); callgate reads 16-bit PCM (1), "
             f"A-law (6) and mu-law (7)")
    encoding = _ENCODING_OF[tag]
    if bits != _BITS_OF[encoding]:
        fail(f"{encoding} with {bits} bits per sample is not supported "
             f"(callgate reads {_BITS_OF[encoding]})")
    if not 1 <= channels <= MAX_CHANNELS:
        fail(f"{channels} channels (1 to {MAX_CHANNELS} supported)")
    if not MIN_RATE <= rate <= MAX_RATE:
        fail(f"sample rate {rate} Hz is outside {MIN_RATE}..{MAX_RATE} Hz")
    if align != channels * bits // 8:
        fail(f"block align {align} does not match {channels} channel(s) of {bits} bits")
    return encoding, channels, rate, align


def _layout(read, length: int, name: str, allow_truncated: bool):
    """Walk the chunk list of a WAV file of `length` bytes, read(pos, n) giving its bytes (only
    headers and the fmt chunk are read, never the audio): (encoding, channels, rate, align,
    data offset, data size in whole frames, truncated). WavError if bad."""

    def fail(problem):
        raise WavError(f"{name}: {problem}")

    if length < 12:
        fail(f"too short to be a WAV file ({length} bytes)")
    head = read(0, 12)
    magic, riff_size, form = head[0:4], _u32(head, 4), head[8:12]
    if magic in (b"RIFX", b"RF64", b"BW64"):
        fail(f"{magic.decode()} files are not supported (only little-endian RIFF WAVE)")
    if magic != b"RIFF" or form != b"WAVE":
        fail(f"not a RIFF/WAVE file (starts with {head!r})")
    end = length if riff_size < 4 else min(length, 8 + riff_size)

    fmt = data = None
    truncated = False
    pos = 12
    while pos + 8 <= end:
        header = read(pos, 8)
        chunk_id, size = header[0:4], _u32(header, 4)
        body = pos + 8
        available = length - body
        label = chunk_id.decode("latin-1")
        if size > available:
            if chunk_id == b"data" and allow_truncated:
                size, truncated = available, True
            elif chunk_id == b"data":
                fail(f"data chunk claims {size} bytes but only {available} follow: "
                     f"the file is truncated")
            elif fmt is not None and data is not None:
                break  # junk after the audio: ignore it
            else:
                fail(f"chunk {label!r} at offset {pos} claims {size} bytes but only "
                     f"{available} follow (truncated or not a WAV file)")
        if chunk_id == b"fmt ":
            if fmt is not None:
                fail("two fmt chunks")
            fmt = _parse_fmt(read(body, min(size, _FMT_READ)), fail)
        elif chunk_id == b"data":
            if data is not None:
                fail("two data chunks")
            data = (body, size)
        pos = body + size + (size & 1)

    if fmt is None:
        fail("no fmt chunk (not a WAV file, or truncated before it)")
    if data is None:
        fail("no data chunk (truncated before the audio?)")
    encoding, channels, rate, align = fmt
    offset, size = data
    if size % align:
        if not truncated:
            fail(f"data chunk of {size} bytes is not a whole number of {align}-byte frames")
        size -= size % align
    return encoding, channels, rate, align, offset, size, truncated


_FMT_READ = 4096  # the fmt fields are in its first 40 bytes; an absurd size is not read


def _decode(raw: bytes, encoding: str, channels: int):
    """(samples, codes) from the bytes of whole frames."""
    codes = None
    if encoding == "pcm16":
        samples = np.frombuffer(raw, dtype="<i2").astype(np.int16)
    else:
        codes = np.frombuffer(raw, dtype=np.uint8).copy()
        samples = (alaw_decode if encoding == "alaw" else ulaw_decode)(codes)
    if channels > 1:
        samples = samples.reshape(-1, channels)
        codes = None if codes is None else codes.reshape(-1, channels)
    return samples, codes


def parse_wav(buf: bytes, name: str = "<bytes>", allow_truncated: bool = False) -> WavData:
    """A WavData from the bytes of a WAV file (see the module's notes); WavError if bad."""
    buf = memoryview(buf).cast("B")
    encoding, channels, rate, _align, offset, size, truncated = _layout(
        lambda pos, n: bytes(buf[pos:pos + n]), len(buf), name, allow_truncated)
    samples, codes = _decode(bytes(buf[offset:offset + size]), encoding, channels)
    return WavData(rate, channels, encoding, samples, codes, name, truncated)


def read_wav(path, allow_truncated: bool = False) -> WavData:
    """Read a WAV file (see the module's notes). WavError for bad content, OSError for I/O.
    The header is checked before the audio is read; for long files use open_wav."""
    stream = open_wav(path, allow_truncated)
    if stream.data_bytes > MAX_FILE_BYTES:
        raise WavError(f"{stream.path}: {stream.data_bytes} bytes of audio is too much to read "
                       f"at once (limit {MAX_FILE_BYTES})")
    with open(path, "rb") as f:
        f.seek(stream.data_offset)
        raw = f.read(stream.data_bytes)
    if len(raw) != stream.data_bytes:
        raise WavError(f"{stream.path}: the file changed while it was read")
    samples, codes = _decode(raw, stream.encoding, stream.channels)
    return WavData(stream.sample_rate, stream.channels, stream.encoding, samples, codes,
                   stream.path, stream.truncated)


@dataclass
class WavStream:
    """A WAV file's format, its audio read in blocks (``blocks()``) with constant memory.
    Made by open_wav, which has checked the header; the file is opened again per blocks()."""

    path: str
    sample_rate: int
    channels: int
    encoding: str
    frames: int
    data_offset: int
    data_bytes: int
    truncated: bool = False

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate

    def blocks(self, frames: int = 65536, codes: bool = False):
        """Yield the audio as int16 arrays of up to `frames` frames: shape (n,) if mono, else
        (n, channels); with codes, a G.711 file's uint8 codes as they are. OSError if the file
        cannot be read; WavError if it got shorter."""
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
            raise ValueError(f"frames must be a positive int, not {frames!r}")
        align = self.data_bytes // self.frames if self.frames else 1
        left = self.data_bytes
        with open(self.path, "rb") as f:
            f.seek(self.data_offset)
            while left > 0:
                raw = f.read(min(left, frames * align))
                if not raw or len(raw) % align:
                    raise WavError(f"{self.path}: the file got shorter while it was read")
                left -= len(raw)
                yield _decode(raw, self.encoding, self.channels)[1 if codes else 0]


def open_wav(path, allow_truncated: bool = False) -> WavStream:
    """Check a WAV file's header (see the module's notes) without reading its audio: a
    WavStream to read it in blocks. WavError for bad content, OSError for I/O."""
    name = os.fspath(path)
    with open(path, "rb") as f:
        length = os.fstat(f.fileno()).st_size

        def read(pos, n):
            f.seek(pos)
            return f.read(n)

        encoding, channels, rate, align, offset, size, truncated = _layout(
            read, length, str(name), allow_truncated)
    return WavStream(str(name), rate, channels, encoding, size // align, offset, size, truncated)


def encode_wav(samples, sample_rate: int = 8000, encoding: str = "pcm16",
               extensible: bool = False) -> bytes:
    """The bytes of a WAV file. samples: int16 linear, or uint8 G.711 codes for alaw/ulaw
    (written as they are); shape (frames,) for mono or (frames, channels)."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
    if (isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer))
            or not MIN_RATE <= sample_rate <= MAX_RATE):
        raise ValueError(f"sample_rate must be a whole number of Hz in {MIN_RATE}..{MAX_RATE}, "
                         f"not {sample_rate!r}")
    if not isinstance(samples, np.ndarray):
        raise ValueError(f"samples must be a numpy array, not {type(samples).__name__}")
    if samples.ndim not in (1, 2):
        raise ValueError(f"samples must be 1-D (mono) or 2-D (frames, channels), "
                         f"not {samples.ndim}-D")
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    if not 1 <= channels <= MAX_CHANNELS:
        raise ValueError(f"samples has {channels} channels (1 to {MAX_CHANNELS} supported)")
    payload = encode_payload(samples, encoding)
    align = channels * _BITS_OF[encoding] // 8
    pad = b"\0" if len(payload) & 1 else b""
    return wav_header(len(payload) // align, sample_rate, encoding, channels, extensible) + payload + pad


def encode_payload(samples, encoding: str) -> bytes:
    """The data chunk's bytes of int16 samples (or uint8 G.711 codes for alaw/ulaw, as they
    are), frames of any channel count; no header: encode_wav's pieces, for writing a stream."""
    flat = np.ascontiguousarray(samples).reshape(-1)
    if samples.dtype == np.int16:
        if encoding == "pcm16":
            return flat.astype("<i2").tobytes()
        return (alaw_encode if encoding == "alaw" else ulaw_encode)(flat).tobytes()
    if samples.dtype == np.uint8 and encoding != "pcm16":
        return flat.tobytes()
    raise ValueError(f"samples must be int16 (or uint8 G.711 codes for alaw/ulaw), "
                     f"not {samples.dtype} for {encoding}")


def wav_header(frames: int, sample_rate: int = 8000, encoding: str = "pcm16", channels: int = 1,
               extensible: bool = False) -> bytes:
    """A WAV file's bytes before its audio, for `frames` frames: write these, then the
    encode_payload() bytes, then one zero byte if the audio's length is odd."""
    bits = _BITS_OF[encoding]
    align = channels * bits // 8
    size = frames * align
    tag = _TAG_OF[encoding]
    head = struct.pack("<HIIHH", channels, sample_rate, sample_rate * align, align, bits)
    if extensible:
        fmt = struct.pack("<H", _EXTENSIBLE) + head + struct.pack(
            "<HHI", 22, bits, 0) + struct.pack("<H", tag) + _GUID_TAIL
    elif encoding == "pcm16":
        fmt = struct.pack("<H", tag) + head
    else:
        fmt = struct.pack("<H", tag) + head + struct.pack("<H", 0)
    chunks = [(b"fmt ", fmt)]
    if encoding != "pcm16":
        chunks.append((b"fact", struct.pack("<I", frames)))
    body = b"".join(cid + struct.pack("<I", len(c)) + c + (b"\0" if len(c) & 1 else b"")
                    for cid, c in chunks)
    total = len(body) + 8 + size + (size & 1)
    if total + 4 > 0xFFFFFFFF:
        raise ValueError(f"{size} bytes of audio do not fit in a WAV file (4 GiB)")
    return b"RIFF" + struct.pack("<I", 4 + total) + b"WAVE" + body + b"data" + struct.pack("<I", size)


def write_wav(path, samples, sample_rate: int = 8000, encoding: str = "pcm16",
              extensible: bool = False) -> None:
    """Write a WAV file atomically (see encode_wav for the arguments): the data goes to a
    temporary file in the same directory, which then replaces path in one rename."""
    atomic_write(path, encode_wav(samples, sample_rate, encoding, extensible))


def atomic_write(path, payload: bytes) -> None:
    """Replace path with payload whole or not at all. A new file gets the usual permissions
    (0666 less the umask); an existing one keeps its own."""
    path = os.fspath(path)
    directory, base = os.path.split(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, "no such directory for the output", directory)
    tmp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def resample(samples, from_rate: int, to_rate: int = 8000) -> np.ndarray:
    """Mix channels down to mono (their mean) and change the sample rate with a polyphase
    filter (scipy.signal.resample_poly); int16 in, int16 out (rounded, clipped)."""
    from scipy.signal import resample_poly

    for name, rate in (("from_rate", from_rate), ("to_rate", to_rate)):
        if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate <= 0:
            raise ValueError(f"{name} must be a positive whole number of Hz, not {rate!r}")
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    elif x.ndim != 1:
        raise ValueError(f"samples must be 1-D or 2-D (frames, channels), not {x.ndim}-D")
    g = math.gcd(int(from_rate), int(to_rate))
    up, down = int(to_rate) // g, int(from_rate) // g
    if up != down and len(x):
        x = resample_poly(x, up, down)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def resample_blocks(blocks, from_rate: int, to_rate: int = 8000, block_frames: int = 32768):
    """resample() over a stream: int16 blocks in (any lengths, (n,) or (n, channels)), int16
    mono blocks out, with constant memory. The output is resample()'s on the whole signal (to
    within 1 for the rounding): the input is cut into pieces of a whole number of `down`
    samples, each filtered with enough samples of context on both sides (zeros before the
    start and after the end, as resample_poly pads) that no output sees a cut."""
    from scipy.signal import resample_poly

    for name, rate in (("from_rate", from_rate), ("to_rate", to_rate)):
        if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate <= 0:
            raise ValueError(f"{name} must be a positive whole number of Hz, not {rate!r}")
    g = math.gcd(int(from_rate), int(to_rate))
    up, down = int(to_rate) // g, int(from_rate) // g

    def mono(block):
        x = np.asarray(block, dtype=np.float64)
        return x.mean(axis=1) if x.ndim == 2 else x

    def to_int16(x):
        return np.clip(np.round(x), -32768, 32767).astype(np.int16)

    if up == down:
        for block in blocks:
            yield to_int16(mono(block))
        return
    half_len = 10 * max(up, down)  # resample_poly's filter reaches half_len / up inputs away
    need = half_len // up + 2
    context = down * -(-need // down)
    piece = down * max(1, block_frames // down)
    buf = np.zeros(context)  # the left context: zeros before the start
    for block in blocks:
        buf = np.concatenate([buf, mono(block)])
        while len(buf) >= 2 * context + piece:
            y = resample_poly(buf[:2 * context + piece], up, down)
            first = context * up // down
            yield to_int16(y[first:first + piece * up // down])
            buf = buf[piece:]
    rest = len(buf) - context
    if rest > 0:
        y = resample_poly(buf, up, down)
        first = context * up // down
        yield to_int16(y[first:first + -(-rest * up // down)])
