"""Rules for text formatting: a numeric format code applied to text, and a mapping passed
to `str.format` where its named fields want the mapping's entries.

- `f"{price:.2f}"` with `price` the text `"3.5"` raises "Unknown format code 'f' for object
  of type 'str'": the number was never converted, so the field converts it,
  `{float(price):.2f}` (`int(...)` for `d`), when the live text does convert;
- `"{name}: {score}".format(row)` with `row` a dict raises KeyError 'name': the fields are
  named, so the dict's entries are passed by name, `.format(**row)`, when it has every one.
"""

from __future__ import annotations

import ast
import re
import string
from typing import Any

from ..failure import MISSING, Failure, constant, line_calls
from ..hint import Hint, code, unique_replace
from . import rule

_CODE_ON_TEXT = re.compile(r"^Unknown format code '([a-zA-Z%])' for object of type 'str'$")
_FLOAT_CODES = set("eEfFgG%")


@rule(ValueError)
def format_code_on_text_rule(f: Failure) -> list[str]:
    """A numeric format code on a field whose live value is text that reads as a number:
    the field converts it first."""
    read = _CODE_ON_TEXT.match(f.message)
    if read is None:
        return []
    letter = read.group(1)
    convert = "int" if letter in "dbcoxXn" else "float" if letter in _FLOAT_CODES else None
    if convert is None:
        return []
    for field in _fields_with_code(f, letter):
        value = f.resolve(field.value)
        if type(value) is not str or not _converts(value, convert):
            continue
        text = code(f, field.value)
        new = f"{convert}({text})"
        hint = (f"`{text}` holds text ({value!r}), and the format code `{letter}` wants a "
                f"number: convert it in the field, `{{{new}:...}}`.")
        return [Hint(hint, edit=unique_replace(f, field.value, new, field))]
    return []


def _fields_with_code(f: Failure, letter: str) -> list[ast.FormattedValue]:
    """The f-string fields of the failing line whose format spec ends with `letter`."""
    fields = []
    for node in f.line_nodes:
        if not isinstance(node, ast.FormattedValue) or node.format_spec is None:
            continue
        spec = node.format_spec
        parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
        text = "".join(str(constant(p)) for p in parts if constant(p) is not MISSING)
        if text.endswith(letter):
            fields.append(node)
    return fields


def _converts(text: str, convert: str) -> bool:
    try:
        (int if convert == "int" else float)(text.strip())
    except ValueError:
        return False
    return True


@rule(KeyError)
def format_mapping_rule(f: Failure) -> list[str]:
    """`template.format(row)` with named fields and a dict that has them: `.format(**row)`."""
    missing = f.exc.args[0] if f.exc.args else None
    if type(missing) is not str:
        return []
    for call in line_calls(f):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "format"
                and len(call.args) == 1 and not call.keywords):
            continue
        template = constant(func.value)
        template = f.resolve(func.value) if template is MISSING else template
        names = _field_names(template)
        if missing not in names:
            continue
        mapping = f.resolve(call.args[0])
        if not isinstance(mapping, dict) or not names <= set(mapping):
            continue
        text = code(f, call.args[0])
        hint = (f"The template's fields are named ({', '.join(sorted(names))}), so "
                f"`format` looks them up by name: pass the dict's entries as names, "
                f"`.format(**{text})`.")
        return [Hint(hint, edit=unique_replace(f, call.args[0], f"**{text}", call))]
    return []


def _field_names(template: Any) -> set[str]:
    """The named fields of a format string (`{name}`, `{score:.1f}`); empty if any is
    positional or the text is not a valid template."""
    if type(template) is not str:
        return set()
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(template)
                  if field is not None]
    except ValueError:
        return set()
    names = {re.split(r"[.\[]", field, maxsplit=1)[0] for field in fields}
    return names if names and all(n.isidentifier() for n in names) else set()
