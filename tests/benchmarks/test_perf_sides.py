"""`perf_sides.CpuDuring`: what other processes used while an answer was timed."""

from __future__ import annotations

import subprocess
import sys
import time

from perf_sides import CpuDuring

BUSY = "import time\nend = time.monotonic() + 5\nwhile time.monotonic() < end: pass\n"
IDLE = "import time\ntime.sleep(5)\n"


def test_a_busy_process_shows_and_an_idle_one_does_not() -> None:
    busy = subprocess.Popen([sys.executable, "-c", BUSY])
    idle = subprocess.Popen([sys.executable, "-c", IDLE])
    try:
        time.sleep(0.3)  # both started (the interpreter's own start-up is not measured)
        with CpuDuring([], [busy.pid]) as hot, CpuDuring([idle.pid], []) as cold:
            time.sleep(1.0)
        assert hot.used > 40.0  # a spinning loop: most of one core, even on a busy machine
        assert cold.used < 10.0
    finally:
        busy.kill()
        idle.kill()
        busy.wait()
        idle.wait()


def test_processes_that_are_gone_count_nothing() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with CpuDuring([gone.pid], [gone.pid]) as during:
        time.sleep(0.05)
    assert during.used == 0.0
