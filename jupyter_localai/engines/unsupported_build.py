"""Telling a worker that died of an illegal instruction from any other crash.

A llama-cpp-python build compiled for instructions this CPU lacks (most often AMX, which
llama.cpp's `-march=native` build switches on for Intel Sapphire Rapids and later Xeons and
whose kernels trap in some versions; or a wheel built on a newer CPU) dies with SIGILL at the
first answer, every time. Restarting the worker would only die again, so the engine stops
restarting and says, once, what is wrong and the one command that rebuilds it
(`llama_build.reinstall_command()`).

Only SIGILL means this for sure. SIGSEGV and SIGBUS have many other causes (a malformed
file, memory), so they stay ordinary crashes that restart the worker.
"""

from __future__ import annotations

import signal

from .. import llama_build

# Windows has no signals: a process ended by an illegal instruction exits with
# STATUS_ILLEGAL_INSTRUCTION.
_WINDOWS_ILLEGAL_INSTRUCTION = 0xC000001D


def is_illegal_instruction(returncode: int | None) -> bool:
    """Whether a process with this exit status was ended by an illegal instruction."""
    return returncode is not None and returncode in (
        -int(signal.SIGILL), _WINDOWS_ILLEGAL_INSTRUCTION
    )


def unsupported_build_message(pid: int, reason: str, model_path: str = "") -> str:
    """What the user reads in the failed request, `%ai status` and the panel's status.

    `reason` is the worker's exit as `WorkerProcess.exit_reason()` words it.
    """
    flags = llama_build.cpu_flags()
    if llama_build.has_amx(flags):
        likely = (
            "This CPU has Intel AMX (" + ", ".join(f for f in llama_build.AMX_FLAGS if f in flags)
            + "), whose llama.cpp kernels trap in a native build: the usual cause on Sapphire "
            "Rapids and later Xeons."
        )
    else:
        likely = (
            "For example AMX on an Intel Sapphire Rapids Xeon, or a wheel compiled on a newer "
            "CPU than this one."
        )
    loading = f" while loading {model_path}" if model_path else ""
    # The command comes before the explanation: a display that cuts long messages (the
    # panel keeps 500 characters of an answer's error) keeps what to do.
    return (
        f"the model worker (pid {pid}) {reason}{loading}: the installed llama-cpp-python build "
        "uses CPU instructions this CPU cannot run. Rebuild it for this CPU with: "
        f"{llama_build.reinstall_command()} -- then restart the kernel (or the Jupyter "
        f"server). {likely} No new worker is started until then: it would die the same way."
    )
