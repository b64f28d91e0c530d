"""Failure diagnosis: what went wrong in a cell, and checking a fix against the live kernel.

`error_info.py` describes one exception (message, plain traceback) with Python's "Did you
mean" suggestions (`suggest.py`), the failing calls' signatures (`call_hints.py`) and the
computed hints of `hints.py`, whose rules live in `rules/`. `verify.py` runs a candidate fix
in a forked copy of the kernel, guarded by `guard.py`, after re-running the cells it needs
(`replay.py`).
"""
