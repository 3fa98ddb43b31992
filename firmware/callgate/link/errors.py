# The named exceptions of the link. Decoders raise only these (or their subclasses),
# whatever bytes they are given; a stream reader raises nothing and counts instead.


class LinkError(Exception):
    """Base of every link error."""


class FrameError(LinkError):
    """A frame that cannot be used: bad stuffing, bad CRC, wrong size."""


class CobsError(FrameError):
    """The COBS stuffing is invalid (a code byte points past the end, or a 0x00 inside)."""


class CrcError(FrameError):
    """The frame's CRC does not match its contents."""


class FrameTooLong(FrameError):
    """More bytes than the maximum frame size."""


class DecodeError(LinkError):
    """A payload or header that does not parse."""


class EncodeError(LinkError):
    """A value that the payload codec cannot represent."""


class RemoteError(LinkError):
    """A request the other side refused: code is one of messages.ERR_*.

    The board's request handlers raise it to refuse; the host client raises it when an
    ERR message answers its request.
    """

    def __init__(self, code, message="", detail=None):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.detail = detail
