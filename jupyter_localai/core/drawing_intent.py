"""A chart asked for with parts the code never draws: a title, axis labels, a legend, a
reference line.

A drawing that leaves out an asked-for part runs without error, so no rehearsal shows it;
small models drop such parts, or pass them where matplotlib ignores them (`linestyle='--'`
to `bar` for "a dashed line at the mean"). When the request names a part in so many words
and the code draws (it calls a pyplot or Axes drawing function) but makes no call that
draws that part, and passes no keyword that does, the checks name it (kind `drawing`) with
the call that would. Nothing is rewritten: what the part says is the model's to write.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_DRAWING = frozenset({"plot", "bar", "barh", "hist", "scatter", "pie", "boxplot", "step",
                      "fill_between", "stackplot", "errorbar", "area", "line", "violinplot",
                      "imshow", "stem", "hexbin", "kde", "density"})


@dataclass(frozen=True)
class Part:
    """A part of a chart: how a request asks for it, and what draws it."""

    name: str
    asked: re.Pattern[str]
    calls: frozenset[str]
    keywords: frozenset[str]
    advice: str


_PARTS = (
    Part("a title",
         re.compile(r"\btitled\b|\btitle\s*[\"'‘“]|\b(?:a|the|its|with|as)\s+"
                    r"(?:plot\s+|chart\s+|figure\s+)?title\b(?!\s+column)", re.IGNORECASE),
         frozenset({"title", "set_title", "suptitle"}), frozenset({"title"}),
         "`plt.title(...)` (or `ax.set_title(...)`)"),
    Part("an x-axis label",
         re.compile(r"\bx[- ]?(?:axis\s+)?label|\blabel\s+the\s+x[- ]?axis|\bx[- ]?axis\s+"
                    r"(?:labell?ed|reads|says|titled)", re.IGNORECASE),
         frozenset({"xlabel", "set_xlabel"}), frozenset({"xlabel"}),
         "`plt.xlabel(...)` (or `ax.set_xlabel(...)`)"),
    Part("a y-axis label",
         re.compile(r"\by[- ]?(?:axis\s+)?label|\blabel\s+the\s+y[- ]?axis|\by[- ]?axis\s+"
                    r"(?:labell?ed|reads|says|titled)", re.IGNORECASE),
         frozenset({"ylabel", "set_ylabel"}), frozenset({"ylabel"}),
         "`plt.ylabel(...)` (or `ax.set_ylabel(...)`)"),
    Part("a legend", re.compile(r"\blegend\b", re.IGNORECASE),
         frozenset({"legend"}), frozenset({"legend"}), "`plt.legend()` (or `ax.legend()`)"),
    Part("a horizontal line",
         re.compile(r"\bhorizontal\s+(?:reference\s+)?line\b|\b(?:dashed|dotted|reference)"
                    r"\s+(?:horizontal\s+)?line\s+(?:at|for|showing|marking)\b", re.IGNORECASE),
         frozenset({"axhline", "hlines", "axline"}), frozenset(),
         "`plt.axhline(y, linestyle='--')` (or `ax.axhline(...)`)"),
    Part("a vertical line",
         re.compile(r"\bvertical\s+(?:reference\s+)?line\b", re.IGNORECASE),
         frozenset({"axvline", "vlines", "axline"}), frozenset(),
         "`plt.axvline(x, linestyle='--')` (or `ax.axvline(...)`)"),
)


# Names a matplotlib Axes or pyplot goes by: their `plot` draws no legend by itself.
_MATPLOTLIB_RECEIVER = re.compile(r"^(?:plt|pyplot|matplotlib|ax\w*|axes\w*|axs|sub\w*)$")


def _pandas_plot(node: ast.AST) -> bool:
    """A pandas plot call, which draws a legend for a frame's several columns unless told
    `legend=False`: `obj.plot.bar(...)`, or `obj.plot(...)` on something that is not an
    Axes or pyplot (a subscript, a call's result, another name)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    if any(k.arg == "legend" and isinstance(k.value, ast.Constant) and k.value.value is False
           for k in node.keywords):
        return False
    owner = node.func.value
    if isinstance(owner, ast.Attribute) and owner.attr == "plot":  # df.plot.bar(...)
        return True
    if node.func.attr != "plot":
        return False
    return not (isinstance(owner, ast.Name) and _MATPLOTLIB_RECEIVER.match(owner.id))


def missing_parts(tree: ast.AST, request_text: str) -> list[Part]:
    """The parts the request asks for that code which draws never draws. A reference line
    may also be a `plot` call beside the chart's own drawing (two drawing calls or more)."""
    names = [node.func.attr if isinstance(node.func, ast.Attribute) else
             node.func.id if isinstance(node.func, ast.Name) else ""
             for node in ast.walk(tree) if isinstance(node, ast.Call)]
    drawings = [name for name in names if name in _DRAWING]
    if not drawings:
        return []
    called = set(names) | ({"axline"} if len(drawings) >= 2 and "plot" in drawings else set())
    if any(_pandas_plot(node) for node in ast.walk(tree)):
        called.add("legend")  # pandas draws a frame's legend itself
    keywords = {kw.arg for node in ast.walk(tree) if isinstance(node, ast.Call)
                for kw in node.keywords if kw.arg and not (
                    isinstance(kw.value, ast.Constant) and kw.value.value in (False, None))}
    return [part for part in _PARTS if part.asked.search(request_text)
            and not called & part.calls and not keywords & part.keywords]


def drawing_messages(tree: ast.AST, request_text: str) -> list[str]:
    """What the checks say of each asked-for part the drawing leaves out."""
    return [f"The request asks for {part.name}, but the code never draws one: add "
            f"{part.advice}." for part in missing_parts(tree, request_text)]
