"""The shared text rewrites: byte offsets read as characters, nested mistakes innermost first."""

from __future__ import annotations

import ast

from jupyter_localai.core.source_rewrites import char_offset, rewritten_innermost_first


def _calls_of_f(code: str, tree: ast.AST) -> list[str]:
    """Every `f(...)` call's text: a stand-in for a check that finds mistakes by text."""
    return [ast.get_source_segment(code, node) or "" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "f"]


def test_char_offset_counts_characters_after_non_ascii_text() -> None:
    line = 'label = "café → bar"; x = f(1)\n'
    call = next(n for n in ast.walk(ast.parse(line)) if isinstance(n, ast.Call))
    start, end = char_offset(line, call.col_offset), char_offset(line, call.end_col_offset)
    assert call.end_col_offset != end  # the bytes and the characters differ here
    assert line[start:end] == "f(1)"


def test_nested_mistakes_are_rewritten_innermost_first_and_everywhere() -> None:
    code = "a = f(f(1))\nb = f(1)\n"
    rewritten, done = rewritten_innermost_first(
        code, _calls_of_f, lambda text: text, lambda text: text.replace("f(", "g(", 1))
    assert rewritten == "a = g(g(1))\nb = g(1)\n"
    assert done == ["f(1)", "f(g(1))"]


def test_code_that_does_not_parse_is_left_as_it_is() -> None:
    code = "a = f(1\n"
    assert rewritten_innermost_first(code, _calls_of_f, str, str) == (code, [])
