"""The kind of value a generate request says its variable holds, and whether a value is it.

"Keep the Axes in a variable `ax`", "make a list evens holding ...", "a DataFrame named
sales", "counts should be a dict": the request names the kind as well as the name. An
answer can assign the name and still hold something else (`ax = plt.hist(...)` is the
histogram's counts, bins and patches, a tuple), which no static check sees and nothing
raises for. The rehearsal (kernel/fix/verify.py) reads the value the copy ended with, and
a mismatch fails the candidate with a message the model can act on.

Only the names `targets.asked_names` finds are considered, and only a kind written right
next to the name (see `_patterns`), so a kind elsewhere in the sentence ("a list of the
rows ... in total") is not taken for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .targets import asked_names, name_pattern, unwrapped

# Kind words, as written, to the kind they ask for.
_KIND_WORDS = {
    "list": "list", "dict": "dict", "dictionary": "dict", "mapping": "dict", "set": "set",
    "tuple": "tuple", "dataframe": "DataFrame", "data frame": "DataFrame",
    "series": "Series", "array": "array", "numpy array": "array", "matrix": "array",
    "axes": "Axes", "axes object": "Axes", "figure": "Figure", "string": "str",
    "str": "str", "integer": "int", "int": "int", "float": "number", "number": "number",
    "boolean": "bool", "bool": "bool",
}  # fmt: skip
_KIND = "(?P<kind>" + "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+")
                                       for w in _KIND_WORDS), key=len, reverse=True)) + ")"
_VARIABLE = r"(?:a\s+(?:new\s+)?variable\s+(?:named\s+|called\s+)?)?"
# "a 1-D integer array": the number of dimensions and the element type, where written.
_ADJECTIVES = (r"(?:new\s+)?(?:(?P<dims>1-?D|2-?D|one-dimensional|two-dimensional|flat)\s+)?"
               r"(?:(?:plain|small|sorted|empty|numeric|numpy)\s+)?"
               r"(?:(?P<elem>integer|int|float|boolean|bool)\s+)?")
_DIMS = {"1d": 1, "1-d": 1, "one-dimensional": 1, "flat": 1, "2d": 2, "2-d": 2,
         "two-dimensional": 2}
_ELEMENTS = {"integer": "integer", "int": "integer", "float": "float", "boolean": "boolean",
             "bool": "boolean"}


def _patterns(name: str) -> list[re.Pattern[str]]:
    """Where a kind word stands right next to `name` (quoted or not)."""
    n = name_pattern(name)
    return [re.compile(p, re.IGNORECASE) for p in (
        # the Axes in a variable `ax` / a list into evens
        rf"\b(?:the|a|an)\s+(?:new\s+)?{_KIND}\s+(?:in|into|as)\s+{_VARIABLE}{n}",
        # a DataFrame named sales
        rf"\b{_KIND}\s+(?:named|called)\s+{n}",
        # make a list evens / into a dict lookup
        rf"\b(?:a|an)\s+{_ADJECTIVES}{_KIND}\s+{n}",
        # closest_pair, a tuple (i, j) of ...
        rf"{n},\s+(?:a|an)\s+{_ADJECTIVES}{_KIND}\b",
        # counts should be a dict
        rf"{n}\s+(?:should|must|will)\s+(?:be|hold|contain)\s+(?:a|an|the)\s+{_KIND}\b",
    )]


def asked_kinds(request: str, names: Sequence[str] | None = None) -> dict[str, str]:
    """Each asked-for name (`names`, else read from the request) whose kind the request
    states next to it: name -> kind."""
    kinds: dict[str, str] = {}
    for name in asked_names(request) if names is None else names:
        for pattern in _patterns(name):
            match = pattern.search(unwrapped(request))
            if match:
                kinds[name] = _qualified(match)
                break
    return kinds


def _qualified(match: re.Match[str]) -> str:
    """The kind a match names, with the dimensions and element type written before an
    array's: "1-D integer array"."""
    kind = _KIND_WORDS[" ".join(match.group("kind").lower().split())]
    groups = match.groupdict()
    if kind != "array":
        return kind
    dims = _DIMS.get((groups.get("dims") or "").lower())
    element = _ELEMENTS.get((groups.get("elem") or "").lower())
    return " ".join([*([f"{dims}-D"] if dims else []), *([element] if element else []), kind])


def _array_mismatch(value: Any, kind: str) -> str | None:
    """What an array is, when it has other dimensions or elements than `kind` says."""
    words = kind.split()[:-1]
    shape = getattr(value, "shape", None)
    dims = next((int(w[0]) for w in words if w.endswith("-D")), None)
    if dims is not None and shape is not None and len(shape) != dims:
        return f"a {len(shape)}-D array of shape {tuple(shape)}"
    dtype_kind = getattr(getattr(value, "dtype", None), "kind", None)
    wanted = {"integer": "iu", "float": "f", "boolean": "b"}
    element = next((w for w in words if w in wanted), None)
    if element is not None and dtype_kind is not None and dtype_kind not in wanted[element]:
        return f"an array of {value.dtype}"
    return None


def _classes(value: Any) -> set[tuple[str, str]]:
    """(top-level module, class name) of each class the value is an instance of: pandas,
    numpy and matplotlib types are known by name, never imported here."""
    return {(getattr(cls, "__module__", "").split(".")[0], cls.__name__)
            for cls in type(value).__mro__}


def kind_mismatch(value: Any, kind: str) -> str | None:
    """What `value` is, when it is not of `kind` ("a tuple"); None when it is."""
    if kind.endswith(" array"):  # "1-D integer array": an array first, then its parts
        return kind_mismatch(value, "array") or _array_mismatch(value, kind)
    classes = _classes(value)
    plain = type(value)
    fits = {
        "list": isinstance(value, list),
        "dict": isinstance(value, dict),
        "set": isinstance(value, set | frozenset),
        "tuple": isinstance(value, tuple),
        "DataFrame": ("pandas", "DataFrame") in classes,
        "Series": ("pandas", "Series") in classes,
        "array": ("numpy", "ndarray") in classes,
        "Axes": any(module == "matplotlib" and name == "Axes" for module, name in classes),
        "Figure": any(module == "matplotlib" and name == "Figure" for module, name in classes),
        "str": isinstance(value, str),
        "int": (isinstance(value, int) and plain is not bool) or ("numpy", "integer") in classes,
        "number": (isinstance(value, int | float) and plain is not bool)
        or ("numpy", "number") in classes,
        "bool": plain is bool or ("numpy", "bool") in classes,
    }.get(kind, True)
    if fits:
        return None
    module = plain.__module__.split(".")[0]
    shown = plain.__name__ if module == "builtins" else f"{module} {plain.__name__}"
    return f"{'an' if shown[:1].lower() in 'aeiou' else 'a'} {shown}"
