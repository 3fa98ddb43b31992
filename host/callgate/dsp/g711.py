"""G.711 A-law and mu-law (bit-exact with ITU-T G.191), on numpy arrays without copies.

Each function takes a 1-D contiguous array and returns a new one, or fills `out` if given.
"""

import numpy as np

from callgate._dsp import lib

from ._buffers import as_input, as_output


def _codec(c_function, in_dtype, out_dtype, doc):
    def convert(samples, out=None):
        src, src_ptr = as_input(samples, in_dtype, "samples")
        dst, dst_ptr = as_output(out, len(src), out_dtype)
        c_function(dst_ptr, src_ptr, len(src))
        return dst

    convert.__doc__ = doc
    return convert


alaw_encode = _codec(lib.cg_alaw_encode, np.int16, np.uint8, "int16 linear -> uint8 A-law codes.")
alaw_decode = _codec(lib.cg_alaw_decode, np.uint8, np.int16, "uint8 A-law codes -> int16 linear.")
ulaw_encode = _codec(lib.cg_ulaw_encode, np.int16, np.uint8, "int16 linear -> uint8 mu-law codes.")
ulaw_decode = _codec(lib.cg_ulaw_decode, np.uint8, np.int16, "uint8 mu-law codes -> int16 linear.")
alaw_to_ulaw = _codec(lib.cg_alaw_to_ulaw, np.uint8, np.uint8,
                      "A-law codes -> mu-law codes by G.711 Table 4 (out may be the input).")
ulaw_to_alaw = _codec(lib.cg_ulaw_to_alaw, np.uint8, np.uint8,
                      "mu-law codes -> A-law codes by G.711 Table 3 (out may be the input).")
