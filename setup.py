# The cffi extension (cffi_modules) and the package list live here; the rest is pyproject.toml.
from setuptools import find_packages, setup

FIRMWARE_PACKAGES = ["callgate.firmware", "callgate.firmware.link"]

setup(
    packages=find_packages("host") + FIRMWARE_PACKAGES,
    cffi_modules=["cffi_build/build_dsp.py:ffibuilder"],
)
