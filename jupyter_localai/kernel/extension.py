"""Loading and unloading the IPython extension: registration, and (with `warm_on_load`)
the model's background start; no model work on the kernel's thread."""

from __future__ import annotations

from typing import Any

from ..core.reply import Reply
from .assistant import KernelAssistant
from .magics import LocalAIMagics, last_reply_of


def load(shell: Any) -> None:
    """Register the magics, the settings and the history hooks of one kernel."""
    if LocalAIMagics.__name__ in shell.magics_manager.registry:
        return  # already loaded: keep the running assistant
    from .context.history import HistoryRecorder
    from .prefill import CellPrefill
    from .question_mark import register as keep_question_marks

    assistant = KernelAssistant(shell)
    assistant.recorder = HistoryRecorder()
    assistant.recorder.register(shell)
    assistant.prefill = CellPrefill(assistant)
    assistant.prefill.register(shell)
    shell.configurables.append(assistant.settings)
    shell.register_magics(LocalAIMagics(shell, assistant))
    keep_question_marks(shell)
    assistant.prefill.warm_up()  # `warm_on_load`: the model loads in the background


def unload(shell: Any) -> None:
    """Stop the worker, remove the hooks and the magics."""
    magics = shell.magics_manager.registry.pop(LocalAIMagics.__name__, None)
    if magics is None:
        return
    from .question_mark import unregister as release_question_marks

    release_question_marks(shell)
    assistant: KernelAssistant = magics.assistant
    assistant.recorder.unregister(shell)
    assistant.prefill.unregister(shell)
    assistant.close()
    if assistant.settings in shell.configurables:
        shell.configurables.remove(assistant.settings)
    for kind in ("line", "cell"):
        table = shell.magics_manager.magics[kind]
        for name in ("ai", "localai"):
            # `%ai` may be jupyter-ai's by now (loaded after this one): leave theirs alone.
            if getattr(table.get(name), "__self__", None) is magics:
                del table[name]


def current_last_reply() -> Reply | None:
    from IPython import get_ipython

    return last_reply_of(get_ipython())
