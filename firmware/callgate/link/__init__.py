# callgate.link: the host link protocol, one implementation for the board and the host.
#
#   cobs.py      byte stuffing: frames contain no 0x00, so 0x00 delimits them
#   crc.py       CRC-16/CCITT-FALSE over each frame
#   frame.py     body -> wire bytes and a stream reader that resynchronises after noise
#   codec.py     payload values: a small CBOR subset
#   messages.py  the 4-byte header, message kinds, request ops, event kinds, error codes
#   endpoint.py  the board's side: request id cache (at-most-once), event ring, handshake
#   errors.py    the named exceptions; nothing else ever escapes a decoder
#   compat.py    const and the ms ticks on CPython too, for the whole firmware package
#
# Written in the subset MicroPython and CPython share: no dataclasses, no typing at run
# time, no match. The host package loads these same files (host/callgate/link/__init__.py).
# The protocol itself is described in docs/link.md.
