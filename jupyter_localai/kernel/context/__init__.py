"""Context collection: what the kernel knows for one request, bounded and redacted.

`collect.py` gathers it (cells from `history.py`, variables from `summaries.py`, each value
rendered by `values.py`), `redact.py` hides secrets, `interpolate.py` fills `{name}` in a
prompt, `namespace.py` answers the static checks' questions about live names, `timer.py`
bounds anything that runs user code.

`context_json` stays at this dotted path: the side panel runs
`__import__("jupyter_localai.kernel.context", fromlist=["_"]).context_json(...)` in the
kernel, which may have an older or newer package installed than the panel. Its import is
deferred so that importing one module of this package never pulls in the rest (the failure
diagnosis in `kernel/fix/` imports from here, and `collect.py` from there).
"""

from __future__ import annotations

from typing import Any


def context_json(shell: Any, request_text: str = "") -> None:
    """Print the collected context as one line of JSON (see `collect.context_json`)."""
    from .collect import context_json as print_context

    print_context(shell, request_text)
