"""cffi builder (API mode, out-of-line) for callgate._dsp, the C core as a CPython module.

The declarations cffi sees are the files in cffi_build/cdef/, one per C module, in name
order: add a module by adding its .h under c_src/include/callgate/ and a cdef file here.
"""

import pathlib

from cffi import FFI

ROOT = pathlib.Path(__file__).resolve().parent.parent
C_SRC = ROOT / "c_src"
CDEF = pathlib.Path(__file__).resolve().parent / "cdef"


def _rel(path: pathlib.Path) -> str:
    # setuptools wants sources relative to the project root.
    return path.relative_to(ROOT).as_posix()


ffibuilder = FFI()
ffibuilder.cdef("\n".join(p.read_text() for p in sorted(CDEF.glob("*.h"))))

public = sorted((C_SRC / "include" / "callgate").glob("*.h"))
private = sorted((C_SRC / "include" / "callgate" / "private").glob("*.h"))
ffibuilder.set_source(
    "callgate._dsp",
    "\n".join(f'#include "callgate/{p.relative_to(C_SRC / "include" / "callgate").as_posix()}"'
              for p in public + private),
    sources=[_rel(p) for p in sorted(C_SRC.glob("*.c"))],
    include_dirs=[_rel(C_SRC / "include"), _rel(C_SRC / "gen")],
    # (without them a change to a header alone leaves the module as it was built)
    depends=[_rel(p) for p in public + private + sorted((C_SRC / "gen").glob("*.h"))],
    extra_compile_args=["-std=c99", "-O3", "-fno-math-errno"],
    libraries=["m"],
)

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=str(ROOT / "build" / "cffi"), verbose=True)
