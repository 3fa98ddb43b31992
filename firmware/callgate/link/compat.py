# What MicroPython has and CPython lacks, once for the whole firmware: `const` (the compiler
# folds `_NAME = const(...)`; CPython only needs a name to call) and the wrapping ms ticks.
# On CPython (the host tools, the shared tests) ticks are plain integers that never wrap.
# It lives in link/, the package the host also loads on its own (host/callgate/link), so
# every firmware module reaches it the same way on both sides:
#
#   from .link.compat import const, ticks_add, ticks_diff      (callgate/*.py)
#   from .compat import const                                  (callgate/link/*.py)

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


try:
    from time import ticks_add, ticks_diff
except ImportError:  # CPython: plain milliseconds

    def ticks_add(a, b):
        return a + b

    def ticks_diff(a, b):
        return a - b
