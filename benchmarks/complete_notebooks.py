"""Notebooks for the inline completion benchmarks, run for real so their variables are real.

`run_cells(sources, before_cell)` executes code cells in a fresh namespace (IPython magic,
shell and help lines run as `pass`, the rest of their cell runs as a kernel would run it;
a cell magic other than `%%time`/`%%timeit`/`%%capture` skips its cell; matplotlib on its
file backend, a cell that raises is recorded and
the run goes on) and calls `before_cell` before each one with the `NotebookContext` a kernel
would have sent (the earlier cells and the variable summaries as
`kernel/context/summaries.py` makes them) and the live namespace, so a harness can check a
suggestion's names against the objects that exist at that point.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jupyter_localai.core.context import CellRecord, NotebookContext
from jupyter_localai.kernel.context.summaries import list_imports, summarize_namespace

CELL_TIME_LIMIT_S = 20


def code_cells(path: Path) -> list[str]:
    """The code cells of an .ipynb file, in order."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            cells.append("".join(source) if isinstance(source, list) else source)
    return [c for c in cells if c.strip()]


def runnable(source: str) -> bool:
    """Plain Python: no magics or shell lines (the harness has no IPython)."""
    return not any(line.lstrip().startswith(("%", "!", "?")) or line.rstrip().endswith("?")
                   for line in source.splitlines())  # fmt: skip


# Cell magics whose body is plain Python, run once here.
PYTHON_CELL_MAGICS = ("time", "timeit", "capture")


def executable(source: str) -> str | None:
    """The Python a kernel would run for `source`: magic, shell and help lines as `pass`
    at their indentation (so `import numpy as np` next to `%matplotlib inline` still runs);
    None for a cell magic whose body is not Python. (The first harness skipped every cell
    with such a line, so e.g. `plt` and `np` of a notebook's first cell never existed.)"""
    lines = source.split("\n")
    if lines and lines[0].startswith("%%"):
        if lines[0][2:].split(" ", 1)[0] not in PYTHON_CELL_MAGICS:
            return None
        lines = ["pass", *lines[1:]]
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!", "?")) or line.rstrip().endswith("?"):
            line = line[: len(line) - len(stripped)] + "pass"
        out.append(line)
    return "\n".join(out)


@dataclass
class CellRun:
    """One cell with the context before it ran, and whether it ran."""

    number: int
    source: str
    context: NotebookContext
    ok: bool


BeforeCell = Callable[[int, str, NotebookContext, dict[str, Any]], None]


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def stop(signum: int, frame: Any) -> None:
        raise TimeoutError(f"cell ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_cells(sources: list[str], before_cell: BeforeCell | None = None,
              workdir: Path | None = None) -> list[CellRun]:
    """Execute `sources` in order; the context before each (cells run so far, variables)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    history: list[CellRecord] = []
    runs: list[CellRun] = []
    previous = Path.cwd()
    if workdir is not None:
        os.chdir(workdir)
    try:
        for number, source in enumerate(sources, start=1):
            context = NotebookContext(
                cells=list(history),
                variables=summarize_namespace(namespace),
                imports=list_imports(namespace),
            )
            if before_cell is not None:
                before_cell(number, source, context, namespace)
            code = executable(source)
            ok = code is not None
            output = ""
            if code is not None:
                buffer = io.StringIO()
                try:
                    with _time_limit(CELL_TIME_LIMIT_S), contextlib.redirect_stdout(buffer):
                        # Running the notebook is the harness's job (a kernel would).
                        exec(compile(code, f"<cell {number}>", "exec"), namespace)  # noqa: S102
                # A public notebook's cell may fail here (missing data, old APIs): recorded,
                # and the notebook goes on as a kernel would.
                except BaseException as error:  # noqa: BLE001
                    ok = False
                    output = f"{type(error).__name__}: {error}"
                else:
                    output = buffer.getvalue()[-240:]
            runs.append(CellRun(number, source, context, ok))
            history.append(CellRecord(number, source, output=output if ok else "",
                                      error="" if ok else output))  # fmt: skip
    finally:
        os.chdir(previous)
    return runs
