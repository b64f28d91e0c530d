"""Stop rules of inline completion: where a suggestion ends, fed as a stream of pieces."""

from __future__ import annotations

import pytest

from jupyter_localai.core.completion_rules import (
    CompletionLimits,
    Cursor,
    SuggestionFilter,
    is_open,
)


def run(prefix: str, suffix: str, pieces: list[str], *, max_lines: int = 6,
        ended: bool = True) -> tuple[str, str, list[str]]:
    """Stream `pieces` through the filter: (suggestion, reason, what each push released)."""
    rules = SuggestionFilter(Cursor(prefix, suffix), CompletionLimits(max_lines=max_lines))
    released = []
    for piece in pieces:
        released.append(rules.push(piece))
        if rules.done:
            break
    if ended and not rules.done:
        released.append(rules.finish())
    assert "".join(released) == rules.text  # what was shown is exactly the suggestion
    return rules.text, rules.reason, released


def chars(text: str) -> list[str]:
    return list(text)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = foo(1,", True),
        ("x = foo(1)", False),
        ("x = '''doc", True),
        ("x = 1 + \\\n", True),
        ("print(len(df)))", False),  # a stray closer does not open anything
        ("d = {'a': [1, 2]", True),
        ("s = ')('", False),  # brackets in strings do not count
        ("x = 1  # (comment", False),
    ],
)
def test_is_open(source, expected):
    assert is_open(source) is expected


def test_a_statement_ends_at_its_newline_when_the_line_had_text():
    text, reason, _ = run("total = df[", "", chars('"revenue"].sum()\nprint(total)\n'))
    assert text == '"revenue"].sum()'
    assert reason == "statement"


def test_an_open_bracket_carries_the_statement_over_lines():
    text, reason, _ = run("result = pd.concat(", "", chars("[a,\n     b])\nnext_line = 1\n"))
    assert text == "[a,\n     b])"
    assert reason == "statement"


def test_a_block_header_keeps_its_body_until_the_dedent():
    text, reason, _ = run(
        "for col in df.col", "", chars("umns:\n    print(col)\n    n += 1\nprint('done')\n")
    )
    assert text == "umns:\n    print(col)\n    n += 1"
    assert reason == "block"


def test_a_blank_line_ends_a_block():
    text, reason, _ = run("def area(r", "", chars("):\n    return 3.14 * r * r\n\ndef other():\n"))
    assert text == "):\n    return 3.14 * r * r"
    assert reason == "blank line"


def test_an_empty_line_allows_a_small_block_capped_in_lines():
    body = "".join(f"x{i} = {i}\n" for i in range(10))
    text, reason, _ = run("import math\n", "", chars(body), max_lines=3)
    assert text == "x0 = 0\nx1 = 1\nx2 = 2"
    assert reason == "lines"


def test_an_empty_line_in_a_block_ends_where_the_code_leaves_the_block():
    text, reason, _ = run(
        "for row in rows:\n    ", "", chars("total += row\n    count += 1\nprint(total)\n")
    )
    assert text == "total += row\n    count += 1"
    assert reason == "dedent"


def test_the_text_after_the_cursor_is_not_repeated_on_its_line():
    text, reason, _ = run('df[', "]", chars('"region"]\n'))
    assert text == '"region"'
    assert reason == "suffix"


def test_a_closing_bracket_inside_the_suggestion_is_kept_when_the_suffix_needs_it():
    # print(len(|) : the suggestion closes len( itself; the suffix's `)` closes print(
    text, reason, _ = run("print(len(", ")", chars("df))"))
    assert text == "df)"
    assert reason == "suffix"


def test_text_after_the_cursor_keeps_the_suggestion_on_its_line():
    text, reason, _ = run("x = compute(", ")", chars("a, b\nmore = 2"))
    assert text == "a, b"
    assert reason == "line"


def test_a_suggested_line_equal_to_the_next_line_after_the_cursor_ends_it():
    text, reason, _ = run(
        "import pandas as pd\n", "\ndf.head()", chars("df = pd.read_csv('a.csv')\ndf.head()\n")
    )
    assert text == "df = pd.read_csv('a.csv')"
    assert reason == "suffix"


def test_text_that_may_become_the_suffix_is_held_back_not_shown_then_taken_back():
    _, _, released = run("df[", "].mean()", chars('"a"].me'), ended=False)
    shown = "".join(released)
    assert shown == '"a"'  # `].me` could still be the suffix: not released


def test_a_suggestion_from_a_model_that_stopped_loses_trailing_whitespace():
    text, reason, _ = run("y = ", "", chars("x + 1\n   "))
    assert text == "x + 1"
    assert reason in ("statement", "end")


def test_pieces_of_several_characters_give_the_same_suggestion_as_single_characters():
    source = "umns:\n    print(col)\nprint('done')\n"
    by_char, _, _ = run("for col in df.col", "", chars(source))
    by_piece, _, _ = run("for col in df.col", "", [source[:7], source[7:19], source[19:]])
    assert by_char == by_piece == "umns:\n    print(col)"


def test_a_comment_ending_in_a_colon_is_not_a_block_header():
    text, reason, _ = run("x = 1  # note", "", chars(": keep\ny = 2\n"))
    assert text == ": keep"
    assert reason == "statement"


def test_characters_are_capped():
    rules = SuggestionFilter(Cursor("s = '", ""), CompletionLimits(max_chars=50))
    rules.push("a" * 80)
    assert rules.done and rules.reason == "chars"
    assert len(rules.text) == 50
