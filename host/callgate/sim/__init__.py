"""The virtual board: the real firmware on the MicroPython Unix port, a board model in CPython."""
