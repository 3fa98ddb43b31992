# The cffi extension needs setup.py's cffi_modules; everything else is in pyproject.toml.
from setuptools import setup

setup(cffi_modules=["cffi_build/build_dsp.py:ffibuilder"])
