"""A one-line question ending in '?' reaches the model; `%ai?` still shows the magic's help."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.utils.capture import capture_output

from jupyter_localai.kernel.question_mark import keep_question_marks


@pytest.fixture
def localai_shell(ipython_shell: Any) -> Iterator[Any]:
    ipython_shell.run_line_magic("load_ext", "jupyter_localai")
    yield ipython_shell
    ipython_shell.run_line_magic("unload_ext", "jupyter_localai")


def test_a_question_line_becomes_the_magics_call() -> None:
    lines = ["x = 1\n", "%ai chat why is {x} slow?\n", "  %localai generate a list?"]
    assert keep_question_marks(lines) == [
        "x = 1\n",
        "get_ipython().run_line_magic('ai', 'chat why is {x} slow?')\n",
        "  get_ipython().run_line_magic('localai', 'generate a list?')",
    ]


@pytest.mark.parametrize("cell", ["%ai?", "%ai ?", "%%ai\nwhat does %ai chat do?\n", "df?",
                                  "%aim why?", "x = '%ai chat why?'"])
def test_help_requests_and_other_lines_are_left_alone(cell: str) -> None:
    lines = cell.splitlines(keepends=True)
    assert keep_question_marks(lines) == lines


def test_the_question_reaches_the_magic_whole(localai_shell: Any) -> None:
    transformed = localai_shell.transform_cell("%ai chat why is this slow?\n")
    assert transformed == "get_ipython().run_line_magic('ai', 'chat why is this slow?')\n"
    assert localai_shell.transform_cell("%ai?\n") != transformed  # still IPython's help
    localai_shell.run_line_magic("unload_ext", "jupyter_localai")
    # Without the extension IPython reads it as help on `slow` (the bug this fixes).
    assert "pinfo" in localai_shell.transform_cell("%ai chat why is this slow?\n")
    localai_shell.run_line_magic("load_ext", "jupyter_localai")


def test_verb_question_mark_shows_that_verbs_help(localai_shell: Any) -> None:
    with capture_output() as captured:
        result = localai_shell.run_cell("%ai explain?")
    assert result.error_in_exec is None
    assert "usage: %ai explain [options] [N | In[N]]" in captured.stdout
