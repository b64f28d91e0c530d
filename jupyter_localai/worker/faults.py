"""A worker that dies the way a llama-cpp-python build this CPU cannot run dies.

On an Intel AMX CPU a native build traps with SIGILL at the first answer. No machine at
hand has to have such a CPU for the engine's handling of it to be tested (and shown to a
user who wants to see what they would get): with `JUPYTER_LOCALAI_TEST_SIGILL=load` or
`=generate` in its environment the worker sends itself a real SIGILL at that point, and
the parent sees exactly what it sees then: a child killed by signal 4.
"""

from __future__ import annotations

import os
import signal

SIGILL_ENV = "JUPYTER_LOCALAI_TEST_SIGILL"


def die_of_sigill_at(stage: str) -> None:
    """End this process with SIGILL if the environment asks for it at `stage`."""
    if os.environ.get(SIGILL_ENV) == stage:
        import resource  # Unix only, like the signal this imitates

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file for a rehearsal
        # Default action, even if something installed a handler: the process ends of it.
        signal.signal(signal.SIGILL, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGILL)
