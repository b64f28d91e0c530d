"""The lock that keeps two processes from assembling the same model file at once.

`models._file_lock` takes an OS lock through `filelock` (flock on Unix, msvcrt.locking on
Windows; only the Unix side runs here): a second process must wait until the first lets go.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from jupyter_localai.models import _file_lock

HOLDER = """
import sys, time
from pathlib import Path
from jupyter_localai.models import _file_lock
with _file_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_process_waits_for_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "model.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), "1.5"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with _file_lock(lock):
            waited = time.monotonic() - started
        assert waited > 1.0, f"took the lock after {waited:.2f} s while another process held it"
    finally:
        assert holder.wait(30) == 0


def test_the_lock_is_free_again_after_use(tmp_path: Path) -> None:
    lock = tmp_path / "model.lock"
    with _file_lock(lock):
        pass
    started = time.monotonic()
    with _file_lock(lock):
        assert time.monotonic() - started < 0.5
