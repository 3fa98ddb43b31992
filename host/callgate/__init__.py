"""callgate: a call center in a box (DSP core, board firmware, host tools)."""

__version__ = "0.1.0"
