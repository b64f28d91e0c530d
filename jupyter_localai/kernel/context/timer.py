"""A time limit for Python code run on the user's objects (a slow `__repr__`, a property).

`signal.setitimer` in the kernel's main thread interrupts Python code (and `time.sleep`) with
`SummaryTimeout`. A single long C call cannot be interrupted, which is why the summaries avoid
them. The previous SIGALRM handler and timer (pytest-timeout, the user's own alarm) are put
back afterwards; where no timer can be used (another thread, no SIGALRM), code runs unbounded
in time and callers still bound its size.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class SummaryTimeout(BaseException):
    """A time limit ran out. A BaseException, so a user's `except Exception` lets it through.

    Its argument is the `Limit` that expired: nested limits each catch only their own.
    """


class Limit:
    """What `time_limit` yields: after the block, `expired` says whether it was cut short."""

    def __init__(self) -> None:
        self.expired = False


def timer_available() -> bool:
    """Whether `time_limit` can interrupt code here (main thread of a POSIX process)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[Limit]:
    """Stop the block if it runs longer than `seconds`; the yielded `Limit` then says so.

    with time_limit(0.1) as limit:
        text = repr(value)
    if limit.expired:
        text = "<repr timed out>"
    """
    limit = Limit()
    if seconds <= 0 or not timer_available():
        yield limit
        return
    previous_handler = signal.getsignal(signal.SIGALRM)
    previous_delay, previous_interval = signal.getitimer(signal.ITIMER_REAL)
    if previous_handler is None or 0 < previous_delay <= seconds:
        # A handler installed outside Python cannot be restored, and an alarm due before ours
        # must fire as its owner expects: run without our limit rather than break theirs.
        yield limit
        return
    armed = True

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if armed:
            raise SummaryTimeout(limit)

    signal.signal(signal.SIGALRM, on_alarm)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield limit
    except SummaryTimeout as timeout:
        if not timeout.args or timeout.args[0] is not limit:
            raise  # an outer limit's: it is theirs to handle
        limit.expired = True
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay > 0:
            left = max(previous_delay - (time.monotonic() - started), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, left, previous_interval)
