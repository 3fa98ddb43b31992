# callgate board firmware: the control plane (call state, link, storage).
# The audio plane is the C DSP core; this package never touches samples.
#
# Runs on MicroPython (frozen into the board image, or from source on the virtual board's
# Unix port). The host tools import the same package on CPython as callgate.firmware (the link
# protocol, the line-card vocabulary, the call record's layout...): see docs/link.md.

VERSION = "0.1.0"
