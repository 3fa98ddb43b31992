"""On CPython, let the shared tests import firmware-only modules (callgate.ports...) too.

The host's callgate package already reaches firmware/callgate/link (host/callgate/link);
for the tests here it also looks in firmware/callgate for modules the host does not have.
"""

import callgate

from callgate import runtime

_fw = str(runtime.FIRMWARE / "callgate")
if _fw not in callgate.__path__:
    callgate.__path__.append(_fw)
