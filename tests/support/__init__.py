"""Helpers shared by the test folders, imported as `support.<module>`.

`tests/` is on the import path because `tests/conftest.py` is the rootdir conftest (pytest's
default `prepend` import mode puts its folder first on `sys.path`), so no test folder needs a
`__init__.py` and no conftest edits `sys.path`. Processes started by the tests find these
modules the same way: `support.jupyter_process.TESTS_DIR` goes on their `PYTHONPATH`.
"""
