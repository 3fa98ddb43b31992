"""The callgate DSP core (c_src/) from Python: numpy arrays in and out, no copies."""

from ._buffers import DspError
from .dtmf import DtmfDetector, DtmfEvent, detect_dtmf
from .events import SAMPLE_RATE
from .g711 import alaw_decode, alaw_encode, alaw_to_ulaw, ulaw_decode, ulaw_encode, ulaw_to_alaw
from .media import MediaEngine, MediaEvent
from .tones import (DtmfGenerator, Tone, TonePlan, ToneGenerator, custom_tone, find_plan, find_tone,
                    generate_cadence, generate_dtmf, generate_tone, tone_plans)
from .wav import WavData, WavError, read_wav, resample, write_wav

__all__ = [
    "SAMPLE_RATE", "DspError", "DtmfDetector", "DtmfEvent", "detect_dtmf",
    "MediaEngine", "MediaEvent",
    "alaw_encode", "alaw_decode", "ulaw_encode", "ulaw_decode", "alaw_to_ulaw", "ulaw_to_alaw",
    "DtmfGenerator", "Tone", "TonePlan", "ToneGenerator", "custom_tone", "find_plan", "find_tone",
    "generate_cadence", "generate_dtmf", "generate_tone", "tone_plans",
    "WavData", "WavError", "read_wav", "resample", "write_wav",
]
