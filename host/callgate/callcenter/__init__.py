"""What a board's call center leaves on its flash, read on the host (docs/callcenter.md, Host tools).

The board writes these records with firmware/callgate/records.py (callgate.firmware.records on
the host).

lines.py       the record-line format: CRC32 TAB compact JSON LF; parse() reports bad lines
cdr.py         fetch call records from a board; CSV and JSON out, and back in
recordings.py  pull recordings and voicemails (rec/index.log), verified, only what is new
stats.py       summary(records, target_s): ASA, service level both ways, AHT...; erlang_c()
"""

from .lines import BadLine, decode_line, encode, parse
from .stats import erlang_c, summary

__all__ = ["BadLine", "decode_line", "encode", "erlang_c", "parse", "summary"]
