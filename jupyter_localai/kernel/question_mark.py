"""A one-line question ending in '?' reaches the magic, not IPython's help system.

IPython reads any line that ends in `?` as a request for help: `%ai chat why is it slow?`
became `%pinfo slow`, so such a question never reached the model. A cleanup transformer,
which IPython runs before its help transform, turns those lines into the magic's call.
`%ai?` alone (help on the magic) and the body of a `%%ai` cell are left as they are.
"""

from __future__ import annotations

import re
from typing import Any

_QUESTION = re.compile(r"^(?P<indent>[ \t]*)%(?P<name>ai|localai)[ \t]+(?P<args>\S.*\?)[ \t]*$")


def keep_question_marks(lines: list[str]) -> list[str]:
    """The cell's lines with each `%ai ... ?` line made a direct call of the magic."""
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("%%"):  # a cell magic's body is its own text
        return lines
    out = []
    for line in lines:
        body = line.rstrip("\r\n")
        match = _QUESTION.match(body)
        if match is None:
            out.append(line)
            continue
        call = f"get_ipython().run_line_magic({match['name']!r}, {match['args']!r})"
        out.append(f"{match['indent']}{call}{line[len(body):]}")
    return out


def register(shell: Any) -> None:
    if keep_question_marks not in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.append(keep_question_marks)


def unregister(shell: Any) -> None:
    if keep_question_marks in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.remove(keep_question_marks)
