"""Code extraction from the shapes small models actually answer in."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_localai.core.reply import (
    CodeEndWatch,
    Reply,
    code_then_prose,
    drop_replayed_cells,
    extract_code,
    parses,
    prose_of,
)


def test_fenced_python_block_with_prose_around() -> None:
    text = "Here is the code:\n```python\ntotal = df['price'].sum()\n```\nThis sums the prices."
    assert extract_code(text) == "total = df['price'].sum()"
    assert "sums the prices" in prose_of(text)


def test_several_python_blocks_are_joined_in_order() -> None:
    text = "```python\nimport numpy as np\n```\nthen\n```py\nx = np.arange(3)\n```"
    assert extract_code(text) == "import numpy as np\n\nx = np.arange(3)"


def test_non_python_block_gives_no_code() -> None:
    assert extract_code("```bash\npip install pandas\n```") == ""


def test_unclosed_fence_keeps_what_came() -> None:
    code = extract_code("```python\nx = 1\ny = x + 1\n")
    assert code == "x = 1\ny = x + 1"


def test_bare_code_without_fences() -> None:
    assert extract_code("x = df.mean()\nprint(x)") == "x = df.mean()\nprint(x)"


def test_prose_lines_that_happen_to_parse_are_dropped() -> None:
    # "Sure, here is code" is a valid tuple expression; it must not count as code.
    code = extract_code("Sure, here is code\nx = df.mean()\nThis computes the mean.")
    assert code == "x = df.mean()"


def test_pure_prose_gives_no_code() -> None:
    assert extract_code("The answer is 5.") == ""
    assert extract_code("Hello world") == ""


def test_doctest_prompts_are_stripped() -> None:
    assert extract_code("```python\n>>> x = 2\n>>> x * 3\n```") == "x = 2\nx * 3"


def test_magics_do_not_break_parsing() -> None:
    assert parses("%matplotlib inline\nimport matplotlib.pyplot as plt")


def test_reply_round_trips_through_json() -> None:
    reply = Reply(task="generate", text="t", code="c", model="m", warnings=["w"])
    assert Reply.from_json(reply.to_json()) == reply


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_extract_code_never_raises_and_returns_parseable_or_fenced(text: str) -> None:
    code = extract_code(text)
    assert isinstance(code, str)
    if "```" not in text and "~~~" not in text and code:
        assert parses(code)


def test_replayed_notebook_cells_are_dropped_from_the_answer() -> None:
    setup = 'import pandas as pd\nsurvey = pd.DataFrame({"a": [1, 2]})'
    code = (
        f"# In[1]:\n{setup}\n\n# In[2]:\n%load_ext jupyter_localai\n\n"
        "# In[3]:\nsurvey = survey.drop(columns=['a'])\nsurvey"
    )
    assert drop_replayed_cells(code, [setup]) == "survey = survey.drop(columns=['a'])\nsurvey"


def test_new_cells_in_the_cell_format_are_kept_and_nothing_is_emptied() -> None:
    code = "# In[4]:\nimport numpy as np\n\n# In[5]:\ntotal = np.sum(values)"
    assert drop_replayed_cells(code, ["values = [1, 2]"]) == (
        "import numpy as np\n\ntotal = np.sum(values)")
    only_replay = "# In[1]:\nvalues = [1, 2]"
    assert drop_replayed_cells(only_replay, ["values = [1, 2]"]) == only_replay
    assert drop_replayed_cells("x = 1", ["x = 1"]) == "x = 1"  # no markers: not a replay


@pytest.mark.parametrize(("text", "end"), [
    ("Here:\n```python\nx = 1\n", None),  # block still open
    ("Here:\n```python\nx = 1\n```", None),  # the closing fence's line may go on
    ("Here:\n```python\nx = 1\n```\n", None),  # nothing after it yet
    ("Here:\n```python\nx = 1\n```\n\n```py", None),  # another block begins
    ("Here:\n```python\nx = 1\n```\nThis", len("Here:\n```python\nx = 1\n```")),
    ("```python\nx = 1\n```\n\n```python\ny = 2\n```\nDone",
     len("```python\nx = 1\n```\n\n```python\ny = 2\n```")),
    ("```text\nx\n```\nok", None),  # not a Python block
])
def test_code_then_prose_finds_where_a_code_answer_can_stop(text: str, end: int | None) -> None:
    assert code_then_prose(text) == end


# Fragments small models stream: fence characters split across tokens, tags, blank lines,
# indented or tilde fences, prose with and without line breaks.
_STREAM_PARTS = ["```", "``", "`", "~~~", "~", "python", "py", "text", "\n", "\n\n", " ", "\t",
                 "x = 1", "print(x)", "Here", " is", " the code.", "Done", "  ", "# c"]


def _first_stop_by_rescanning(pieces: list[str]) -> tuple[int, int] | None:
    """The old way: the whole text scanned after every piece (which piece, where)."""
    for index in range(len(pieces)):
        end = code_then_prose("".join(pieces[: index + 1]))
        if end is not None:
            return index, end
    return None


def _first_stop_by_watch(pieces: list[str]) -> tuple[int, int] | None:
    watch = CodeEndWatch()
    for index, piece in enumerate(pieces):
        end = watch.add(piece)
        if end is not None:
            return index, end
    return None


@settings(max_examples=600, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.sampled_from(_STREAM_PARTS), min_size=1, max_size=3)
                .map("".join), max_size=40))
def test_the_watch_stops_at_the_same_piece_and_place_as_rescanning(pieces: list[str]) -> None:
    assert _first_stop_by_watch(pieces) == _first_stop_by_rescanning(pieces)


@pytest.mark.parametrize("text", [
    "Here:\n```python\nx = 1\n```\nThis sums it.",
    "```python\nx = 1\n```\n\n   \n\tThen more.",
    "```python\nx = 1\n```\n\n```python\ny = 2\n```\nDone",
    "~~~python\nx = 1\n~~~\nok",
    "```python\nx = 1\n```py\nstill code\n```\nnow prose",
    "```text\nx\n```\nok\n```python\ny = 2\n```\n  fin",
    "```python\nx = 1\n```\n~ not a fence\nprose",
])
def test_the_watch_agrees_token_by_token_and_char_by_char(text: str) -> None:
    words = [w if i == 0 else " " + w for i, w in enumerate(text.split(" "))]
    for pieces in (words, list(text)):
        assert _first_stop_by_watch(pieces) == _first_stop_by_rescanning(pieces)


def test_the_watch_scans_only_at_line_breaks_fences_and_the_prose_after_a_block() -> None:
    """A long answer no longer costs a scan of the whole text per token."""
    prose = [" word"] * 2000
    watch = CodeEndWatch()
    for piece in ["Some", *prose, "\n", "```python", "\n", "x", " =", " 1", "\n", "```", "\n",
                  "\n"]:
        assert watch.add(piece) is None
    assert watch.scans == 7  # the line breaks and the fences only
    assert watch.add(" ") is None and watch.scans == 8  # awaiting prose: every piece counts
    assert watch.add("Then") is not None and watch.scans == 9
    watch.add(" more")
    assert watch.scans == 9  # stopped: no further scans


def test_with_code_swaps_the_code_where_it_stands_and_adds_the_note() -> None:
    reply = Reply(task="fix", text="Try this:\n```python\nx = 1\n```\nDone.", code="x = 1\n",
                  model="m")
    fixed = reply.with_code("x = 2\n", "Rewritten.")
    assert fixed.code == "x = 2\n"
    assert fixed.text == "Try this:\n```python\nx = 2\n```\nDone.\n\nRewritten."
    assert reply.code == "x = 1\n"  # the original is left as it was


def test_with_code_appends_a_block_when_the_text_does_not_hold_the_code() -> None:
    for old in ("", "y = 1"):  # no code, or code the text does not show
        reply = Reply(task="generate", text="Some prose.", code=old, model="m")
        fixed = reply.with_code("x = 2", "Added.")
        assert fixed.text == "Some prose.\n\n```python\nx = 2\n```\n\nAdded."
