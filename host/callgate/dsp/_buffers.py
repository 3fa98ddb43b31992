"""Checked zero-copy views of numpy arrays as C buffers.

Every array that crosses into the C core passes through here, so a wrong dtype, a
non-contiguous or read-only array becomes a clear Python error, never a crash.
"""

import numpy as np

from callgate._dsp import ffi, lib

_CTYPES = {np.dtype(np.int16): "int16_t[]", np.dtype(np.uint8): "uint8_t[]"}


class DspError(ValueError):
    """The C core refused its arguments; the message says why."""


def check(status: int, what: str) -> int:
    """Raise DspError for a negative status from the C core; return it otherwise."""
    if status < 0:
        raise DspError(f"{what}: {ffi.string(lib.cg_error_name(status)).decode()}")
    return status


def as_input(array, dtype, name: str):
    """A contiguous 1-D array of exactly `dtype` (no conversion, no copy) and its C pointer."""
    dtype = np.dtype(dtype)
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy array of {dtype}, not {type(array).__name__}")
    if array.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, not {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, not {array.ndim}-dimensional")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name} must be contiguous (use np.ascontiguousarray)")
    return array, ffi.from_buffer(_CTYPES[dtype], array)


def as_output(out, n: int, dtype, name: str = "out"):
    """The caller's output array (checked) or a new one, and its C pointer."""
    dtype = np.dtype(dtype)
    if out is None:
        out = np.empty(n, dtype=dtype)
    else:
        as_input(out, dtype, name)
        if len(out) != n:
            raise ValueError(f"{name} must hold {n} samples, not {len(out)}")
        if not out.flags.writeable:
            raise ValueError(f"{name} must be writeable")
    return out, ffi.from_buffer(_CTYPES[dtype], out, require_writable=True)
