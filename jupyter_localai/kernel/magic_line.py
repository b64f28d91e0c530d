"""Splitting a `%ai` / `%%ai` line into options, a subcommand and free text.

Prompts are free text (apostrophes, dashes, braces), so shlex-style parsing of the whole
line would break on "don't"; only the leading options are parsed as arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .magic_args import COMMANDS, VALUE_OPTIONS


@dataclass
class SplitLine:
    options: str
    command: str | None
    text: str


def split_line(line: str) -> SplitLine:
    """Leading options, then an optional subcommand, then options again, then the text.

    `VERB?` alone asks for that verb's help, as `%ai VERB --help` does.
    """
    if line.strip().endswith("?") and line.strip()[:-1] in COMMANDS:
        return SplitLine("--help", line.strip()[:-1], "")
    options: list[str] = []
    command: str | None = None
    position = 0
    expecting_value = False
    for match in re.finditer(r"\S+", line):
        token = match.group(0)
        if expecting_value:
            options.append(token)
            expecting_value = False
        elif token.startswith("-") and len(token) > 1 and not token[1].isdigit():
            options.append(token)
            expecting_value = token.split("=")[0] in VALUE_OPTIONS and "=" not in token
        elif command is None and token in COMMANDS:
            command = token
        else:
            position = match.start()
            return SplitLine(" ".join(options), command, line[position:].strip())
    return SplitLine(" ".join(options), command, "")
