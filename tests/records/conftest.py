import pathlib
import sys

import callgate
from callgate import runtime

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # localboard, minisite
# localboard runs the firmware's own file handlers: let `callgate` reach firmware/callgate too
_fw = str(runtime.FIRMWARE / "callgate")
if _fw not in callgate.__path__:
    callgate.__path__.append(_fw)
