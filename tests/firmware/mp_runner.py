# A test runner for MicroPython (which has no unittest or pytest). It imports every
# test_*.py module in the folder given as argv[1] that says RUNS_ON_MICROPYTHON = True (found
# by reading the files, so a new one cannot be forgotten and host-only files are never
# imported), calls each test_* function in it, prints one line per failure and, last,
# "N passed, N failed". tests/firmware/test_on_micropython.py runs it and reads that line;
# pytest also collects the same modules on CPython.
#
#   MICROPYPATH=firmware:tests/firmware micropython tests/firmware/mp_runner.py tests/firmware

import os
import sys

try:
    from sys import print_exception
except ImportError:  # CPython
    import traceback

    def print_exception(e):
        traceback.print_exception(e)


def main(folder):
    passed = 0
    failed = 0
    names = sorted(n for n in os.listdir(folder) if n.startswith("test_") and n.endswith(".py"))
    for name in names:
        with open(folder + "/" + name) as f:
            shared = "\nRUNS_ON_MICROPYTHON = True\n" in f.read()
        if not shared:
            continue
        modname = name[:-3]
        mod = __import__(modname)
        for attr in sorted(dir(mod)):
            fn = getattr(mod, attr)
            if not attr.startswith("test_") or not callable(fn):
                continue
            try:
                fn()
            except Exception as e:
                failed += 1
                print("FAIL %s.%s: %r" % (modname, attr, e))
                print_exception(e)
            else:
                passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1]) else 0)
