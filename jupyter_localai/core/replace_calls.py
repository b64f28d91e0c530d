"""`replace` calls that do not do what they say: a pattern given as literal text, and a
whole-value replace where text inside each value was meant.

- `text.replace('[^a-z0-9]', '')`: Python's `str.replace` takes its first argument as
  plain text, so a regular expression there matches nothing and the code runs, silently
  unchanged. `re.sub(pattern, repl, text)` is what was meant.
- `s.str.replace('[^a-z]', '')`: pandas reads the pattern literally too unless
  `regex=True` (pandas 2 changed the default), with the same silent result.
- `s.str.lower().replace(' ', '')`: `Series.replace` swaps whole values equal to `' '`,
  not the spaces inside each value; after a `.str` method the values are text and
  `.str.replace` was meant.

Both models wrote these on unseen string tasks, and a run cannot show them: nothing
raises. The checks name them (kind `replace_call`) and the repairs rewrite them
(`repairs.repaired`). A pattern counts as a regular expression only when it holds what
literal text almost never does: a negated, ranged or repeated character class (`[^a-z]`,
`[0-9]`, `[aeiou]+`; not a bracketed word such as `[draft]`) or a class escape (`\\d`,
`\\s`, `\\w`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .check_types import NamespaceView
from .quickfix import with_import
from .source_rewrites import rewritten_innermost_first

# A negated class, a class with a range, a repeated class, or a class escape.
_REGEX_MARKS = re.compile(
    r"\[\^[^\]]+\]|\[[^\]]*[A-Za-z0-9]-[A-Za-z0-9][^\]]*\]|\[[^\]]+\][+*]|\\[dswDSWb]")
# `.str` methods whose result holds text per value (so a following `.replace` meant text).
_TEXT_RESULTS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold",
    "swapcase", "replace", "slice", "zfill", "pad", "center", "ljust", "rjust", "normalize",
    "removeprefix", "removesuffix", "get"})
_PANDAS_KINDS = frozenset({"DataFrame", "Series"})


@dataclass(frozen=True)
class ReplaceCall:
    """One misread `replace` as written, what replaces it, and why, for the model."""

    written: str
    meant: str
    why: str


def _looks_like_regex(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and _REGEX_MARKS.search(node.value) is not None)


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _after_str_accessor(node: ast.expr) -> bool:
    """`….str.lower()` or `….str[1]`: a Series of text, reached through `.str`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        return (node.func.attr in _TEXT_RESULTS and isinstance(owner, ast.Attribute)
                and owner.attr == "str")
    return (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
            and node.value.attr == "str")


def _through_str_accessor(node: ast.expr) -> bool:
    """Whether `.str` appears anywhere in the receiver's chain (then it is pandas')."""
    return any(isinstance(n, ast.Attribute) and n.attr == "str" for n in ast.walk(node))


def _is_live_pandas(node: ast.expr, namespace: NamespaceView) -> bool:
    """A receiver that is, or starts from, a live DataFrame or Series (`df`, `df['x']`)."""
    while isinstance(node, ast.Subscript | ast.Attribute | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    if not (isinstance(node, ast.Name) and namespace.has(node.id)):
        return False
    members = set(namespace.attribute_names(node.id) or ())
    return bool(members) and {"iloc", "loc"} <= members


def _misread(code: str, node: ast.Call, namespace: NamespaceView) -> ReplaceCall | None:
    if not (isinstance(node.func, ast.Attribute) and node.func.attr == "replace"
            and len(node.args) == 2 and all(_is_text(a) for a in node.args)):
        return None
    written = ast.get_source_segment(code, node)
    receiver = ast.get_source_segment(code, node.func.value)
    pattern, repl = (ast.get_source_segment(code, a) for a in node.args)
    if written is None or receiver is None or pattern is None or repl is None:
        return None
    owner = node.func.value
    pandas_str = isinstance(owner, ast.Attribute) and owner.attr == "str"
    if pandas_str:
        if _looks_like_regex(node.args[0]) and not any(k.arg == "regex" for k in node.keywords):
            return ReplaceCall(written, f"{written[:-1]}, regex=True)",
                               f"`.str.replace` reads {pattern} as plain text unless "
                               "`regex=True`")
        return None
    if node.keywords:
        return None
    if _after_str_accessor(owner):
        meant = f"{receiver}.str.replace({pattern}, {repl}"
        regex = ", regex=True" if _looks_like_regex(node.args[0]) else ""
        return ReplaceCall(written, f"{meant}{regex})",
                           f"`Series.replace` swaps whole values equal to {pattern}, not text "
                           "inside each value: after a `.str` method write `.str.replace`")
    if (_looks_like_regex(node.args[0]) and not _through_str_accessor(owner)
            and not _is_live_pandas(owner, namespace)):
        return ReplaceCall(written, f"re.sub({pattern}, {repl}, {receiver})",
                           f"`str.replace` reads {pattern} as plain text, not a regular "
                           "expression: use `re.sub(pattern, replacement, text)`")
    return None


def misread_replaces(code: str, tree: ast.AST, namespace: NamespaceView) -> list[ReplaceCall]:
    """Every misread `replace` of the code, in order, each once."""
    found = (_misread(code, node, namespace) for node in ast.walk(tree)
             if isinstance(node, ast.Call))
    return list(dict.fromkeys(call for call in found if call is not None))


def with_replaces_meant(code: str, namespace: NamespaceView) -> tuple[str, list[ReplaceCall]]:
    """The code with every misread `replace` rewritten (the innermost first, the code read
    again after each), and what was rewritten; `import re` is added where `re.sub` came in
    and the code does not import it."""
    code, done = rewritten_innermost_first(
        code, lambda text, tree: misread_replaces(text, tree, namespace),
        lambda call: call.written, lambda call: call.meant)
    if any(call.meant.startswith("re.sub(") for call in done) and not _imports_re(code):
        code = with_import(code, "import re")
    return code, done


def _imports_re(code: str) -> bool:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Import) and any(a.name == "re" and a.asname is None
                                                      for a in node.names)
               for node in ast.walk(tree))
