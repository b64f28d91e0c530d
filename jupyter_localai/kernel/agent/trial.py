"""One agent attempt inside the copy: run the cell as a notebook would and say what it did.

Runs only in an attempt process of `copy.py` (forked, guarded, thrown away unless kept).
What the user and the model read back: printed text, the value of a last expression (a
DataFrame's head as text), what was displayed, the figures drawn (described, not sent as
images), the error with the same hints a fix prompt gets, and the variables the cell bound.
"""

from __future__ import annotations

import ast
import io
import sys
import traceback
from typing import Any

from ..context.redact import namespace_redactor
from ..context.summaries import summarize_variable
from ..fix.guard import Guard, GuardRefusal
from ..fix.verify import came_of_refusal, describe_failure

MAX_OUTPUT_CHARS = 2000
MAX_VARIABLES = 12
_HEAD_ROWS = 10


def run_trial(shell: Any, guard: Guard, code: str, then: list[tuple[int, str]]) -> dict[str, Any]:
    """Run `code`, then each cell of `then`, in this process; the report as plain JSON."""
    namespace = shell.user_ns
    before = {name: id(value) for name, value in namespace.items()}
    figures_before = _figure_numbers()
    shown: list[str] = []
    _capture_displays(shell, shown)
    stdout = io.StringIO()
    sys.stdout = sys.stderr = stdout
    report: dict[str, Any] = {"ran": False}
    refused = len(guard.refusals)
    try:
        result = _run_cell(shell, code, namespace)
        if result is not None:
            shown.append(_shown_value(result))
        for number, source in then:
            try:
                _run_cell(shell, source, namespace)
            except Exception as error:  # noqa: BLE001 - reported as the step's failure
                report["error"] = (f"After this cell, In[{number}] was run again in the copy "
                                   f"and still fails:\n{_described(shell, source, error, guard)}")
                break
        else:
            report["ran"] = True
    except BaseException as error:  # noqa: BLE001 - SystemExit and all: the report says it
        report["error"] = _described(shell, code, error, guard)
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    text = stdout.getvalue() + "\n".join(part for part in shown if part)
    report["output"] = _clip(text.strip())
    report["figures"] = _new_figures(figures_before)
    report["variables"] = _bound_variables(namespace, before)
    report["refusals"] = guard.refusals[refused:refused + 5]
    return report


def _run_cell(shell: Any, source: str, namespace: dict[str, Any]) -> Any:
    """Execute a cell's source (IPython syntax included); the value of its last line when
    that is an expression, as a notebook shows it."""
    tree = ast.parse(shell.transform_cell(source))
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, "<agent cell>", "exec"), namespace)  # noqa: S102 - only in the guarded copy
    if last is None:
        return None
    value = eval(compile(ast.Expression(last.value), "<agent cell>", "eval"), namespace)  # only in the guarded copy
    return None if _is_silenced(source) else value


def _is_silenced(source: str) -> bool:
    return source.rstrip().endswith(";")


def _shown_value(value: Any) -> str:
    """A DataFrame or Series as its first rows in text, anything else as its repr."""
    head = getattr(value, "head", None)
    if callable(head) and hasattr(value, "to_string"):
        try:
            rows = getattr(value, "shape", ("?",))[0]
            return f"{head(_HEAD_ROWS).to_string()}\n[{rows} rows]"
        except Exception as error:  # noqa: BLE001 - an odd object with head(): its repr
            return _clip(f"{_safe_repr(value)} (its head() failed: {type(error).__name__})")
    if type(value).__module__.startswith("matplotlib"):
        return ""  # an Axes or a list of lines: the figure is described instead
    return _clip(_safe_repr(value))


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as error:  # noqa: BLE001 - a user's __repr__ may raise anything
        return f"<repr failed: {type(error).__name__}>"


def _capture_displays(shell: Any, shown: list[str]) -> None:
    """`display(...)` (and the inline backend) publish through the shell: here they land
    in the report as text (an image as a note)."""
    publisher = getattr(shell, "display_pub", None)
    if publisher is None:
        return

    def publish(data: dict[str, Any], metadata: Any = None, **kwargs: Any) -> None:
        if "text/plain" in data:
            shown.append(str(data["text/plain"]))
        elif any(kind.startswith("image/") for kind in data):
            shown.append("[an image]")

    publisher.publish = publish


def _figure_numbers() -> set[int]:
    pyplot = sys.modules.get("matplotlib.pyplot")
    return set(pyplot.get_fignums()) if pyplot is not None else set()


def _new_figures(before: set[int]) -> list[str]:
    """A line per figure the cell drew: its axes' titles, labels and how much they hold."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    notes = []
    for number in sorted(set(pyplot.get_fignums()) - before):
        figure = pyplot.figure(number)
        parts = []
        for axes in figure.get_axes():
            bits = [f"title {axes.get_title()!r}" if axes.get_title() else "",
                    f"x {axes.get_xlabel()!r}" if axes.get_xlabel() else "",
                    f"y {axes.get_ylabel()!r}" if axes.get_ylabel() else "",
                    f"{len(axes.lines)} lines" if axes.lines else "",
                    f"{len(axes.patches)} bars/patches" if axes.patches else "",
                    f"{len(axes.collections)} point sets" if axes.collections else ""]
            parts.append(", ".join(bit for bit in bits if bit) or "empty axes")
        notes.append(f"figure {number}: " + "; ".join(parts or ["no axes"]))
    return notes


def _bound_variables(namespace: dict[str, Any], before: dict[str, int]) -> list[dict[str, Any]]:
    """Summaries of the names the cell bound or rebound (for the next step's prompt)."""
    redactor = namespace_redactor(namespace)
    changed = [name for name, value in namespace.items()
               if before.get(name) != id(value) and not name.startswith("_")]
    summaries = []
    for name in changed[:MAX_VARIABLES]:
        summary = summarize_variable(name, namespace[name], redactor=redactor, max_chars=300)
        if summary is not None:
            summaries.append({"name": summary.name, "type_name": summary.type_name,
                              "summary": summary.summary})
    return summaries


def _described(shell: Any, code: str, error: BaseException, guard: Guard) -> str:
    """The failure as the model reads it; a guard refusal first when the error came of one
    (see verify.py): a refusal the code went on from (a library's cache folder) is not it."""
    if isinstance(error, GuardRefusal):
        return str(error)
    try:
        text = describe_failure(shell, code, error)
    except Exception:  # noqa: BLE001 - the hints failed: the bare error still reports
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
    if guard.refusals and came_of_refusal(error):
        text = f"{guard.refusals[-1]}\n{text}"
    return _clip(text)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_OUTPUT_CHARS else text[:MAX_OUTPUT_CHARS] + " ..."
