"""Run a cell that raises, read the hints the rules give for it, and run it again with a
hint's edit applied: the shared steps of the hint-edit tests (`tests/kernel/`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from jupyter_localai.kernel.fix.hints import Hint, error_hints


def hints_for(source: str, **values: Any) -> list[str]:
    """The hints for `source`, run with pandas, numpy and `values` bound; it must raise."""
    ns = {"pd": pd, "np": np, **values}
    try:
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - a notebook cell
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the cell raises
        return error_hints(exc, source, ns)
    raise AssertionError(f"{source!r} did not raise")


def edited_run(source: str, hints: list[str], **values: Any) -> dict[str, Any]:
    """The namespace after running `source` with the first hint's edit applied."""
    hint = next(h for h in hints if isinstance(h, Hint) and h.edit)
    old, new = hint.edit
    assert source.count(old) == 1, (old, source)
    ns = {"pd": pd, "np": np, **values}
    exec(compile(source.replace(old, new), "<cell>", "exec"), ns)  # noqa: S102
    return ns


def no_edit(hints: list[str]) -> bool:
    """Whether none of the hints carries an edit."""
    return not any(isinstance(h, Hint) and h.edit for h in hints)
