# The cffi extension (cffi_modules), the package list and the files the installed tools need
# from outside the packages; the rest is pyproject.toml.
import os
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

# The board's firmware package, firmware/callgate, is callgate.firmware on the host
# (pyproject.toml maps the folder); its subpackages are found, so a new one needs no edit here.
FIRMWARE_PACKAGES = ["callgate.firmware"] + ["callgate.firmware." + p for p in find_packages("firmware/callgate")]

# What a wheel carries in callgate/share/, laid out as in the checkout
# (callgate.sim.runtime finds them there): the board folders, the boot script the virtual
# board and `callgate bootstrap` put on a board, and the demo site.
SHARE = ["boards", "firmware/main.py", "firmware/manifest.py", "sites/demo", "campaigns"]
HERE = os.path.dirname(os.path.abspath(__file__))


class build_py_with_share(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install uses the checkout's own files
            return
        share = os.path.join(self.build_lib, "callgate", "share")
        shutil.rmtree(share, ignore_errors=True)  # nothing left from an earlier build in build/
        for item in SHARE:
            src, dst = os.path.join(HERE, item), os.path.join(share, item)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.isdir(src):
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copyfile(src, dst)


setup(
    packages=find_packages("host") + FIRMWARE_PACKAGES,
    cffi_modules=["cffi_build/build_dsp.py:ffibuilder"],
    cmdclass={"build_py": build_py_with_share},
)
