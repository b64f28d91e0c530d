"""The Markdown of answers in cell outputs carries no HTML of the model's choosing.

JupyterLab renders the outputs of a cell the user ran as trusted, and nbconvert and VS Code
render raw HTML inside text/markdown, so the model's `<img onerror>` or `<script>` must
arrive there as text. Checked by rendering with nbconvert's own Markdown renderer (mistune,
raw HTML passed through) and reading back which elements it made.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_localai.core.reply import Reply, Timings
from jupyter_localai.kernel.display import (
    StreamingDisplay,
    fence_code,
    literal_markdown,
    reply_bundle,
    reply_markdown,
    untrusted_markdown,
)

markdown2html = pytest.importorskip("nbconvert.filters.markdown_mistune").markdown2html_mistune

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
# What Markdown itself (and nbconvert's code highlighting) may produce; model text never
# brings an element of its own, so no img, script, iframe, svg, style, ... Links are only
# nbconvert's heading anchors and bare web addresses (GFM autolinks), never a scheme of the
# model's choosing.
SAFE_HREF = re.compile(r"^(#|https?://)")
STRUCTURE = {
    "p", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "hr", "br", "sub",
    "h1", "h2", "h3", "h4", "h5", "h6", "div", "span", "table", "thead", "tbody", "tr",
    "th", "td", "del", "dl", "dt", "dd",
}


class Elements(HTMLParser):
    """Every element and attribute of a rendering, and the text of its <pre> blocks."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: set[str] = set()
        self.hrefs: list[str] = []
        self.pre: list[str] = []
        self.text = ""
        self._in_pre = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.update(name for name, _ in attrs)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]
        if tag == "pre":
            self._in_pre += 1
            self.pre.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_pre -= 1

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._in_pre:
            self.pre[-1] += data


def rendered(markdown: str) -> Elements:
    return Elements(markdown2html(markdown))


def assert_no_model_html(elements: Elements) -> None:
    assert set(elements.tags) <= STRUCTURE | {"a"}, elements.tags
    assert elements.attributes <= {"class", "id", "href"}, elements.attributes
    assert all(SAFE_HREF.match(href) for href in elements.hrefs), elements.hrefs
    assert elements.tags.count("a") == len(elements.hrefs)


def make_reply(**fields: Any) -> Reply:
    values: dict[str, Any] = {
        "task": "generate", "text": "", "code": "", "model": "m",
        "timings": Timings(tokens=3, total_s=0.5),
    }
    values.update(fields)
    return Reply(**values)


# --- fences -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fence"),
    [("x = 1", "```"), ("s = '''\n```\n'''", "````"), ("a = '`````'", "``````")],
)
def test_fence_is_longer_than_any_backtick_run_inside(code: str, fence: str) -> None:
    block = fence_code(code)
    assert block == f"{fence}python\n{code}\n{fence}"


def test_fence_language_cannot_carry_backticks_or_text() -> None:
    assert fence_code("x", "py`th`on <b>").startswith("```py\n")


def test_code_holding_a_fence_stays_one_code_block() -> None:
    code = f"doc = '''\n```\n{HOSTILE}\n'''"
    elements = rendered(fence_code(code))
    assert_no_model_html(elements)
    assert [block.strip() for block in elements.pre] == [code]


def test_a_model_block_with_a_longer_fence_is_refenced_whole() -> None:
    code = f"doc = '''\n```\n{HOSTILE}\n'''"
    elements = rendered(untrusted_markdown(f"Sure:\n\n````python\n{code}\n````\nDone."))
    assert_no_model_html(elements)
    assert [block.strip() for block in elements.pre] == [code]
    assert "Sure:" in elements.text and "Done." in elements.text


def test_an_open_fence_while_streaming_is_closed() -> None:
    markdown = untrusted_markdown("Sure.\n```python\nx = '<b>'\n<img src=x onerror=alert(1)>")
    elements = rendered(markdown + "\n\nlater prose")
    assert_no_model_html(elements)
    assert [block.strip() for block in elements.pre] == ["x = '<b>'\n<img src=x onerror=alert(1)>"]
    assert "later prose" in elements.text


def test_an_indented_fence_in_a_list_is_taken_out_whole() -> None:
    markdown = untrusted_markdown("- item\n  ```python\n  x = '<b>'\n  ```\n- next <b>")
    elements = rendered(markdown)
    assert_no_model_html(elements)
    assert [block.strip() for block in elements.pre] == ["x = '<b>'"]


# --- prose --------------------------------------------------------------------------------


def test_prose_html_shows_as_text_and_formatting_stays() -> None:
    source = f"Here is **the summary**.\n\n{HOSTILE}\n\n* one & `x < 3`\n* two"
    elements = rendered(untrusted_markdown(source))
    assert_no_model_html(elements)
    assert HOSTILE in elements.text
    assert "x < 3" in elements.text and "one & " in elements.text
    assert {"strong", "ul", "li", "code"} <= set(elements.tags)


def test_inline_code_holding_html_is_text() -> None:
    elements = rendered(untrusted_markdown(f"Use ``{HOSTILE}`` or `a | b` here"))
    assert_no_model_html(elements)
    assert HOSTILE in elements.text and "a | b" in elements.text


def test_backslash_and_backtick_tricks_open_no_tag() -> None:
    source = "\\`<img src=x onerror=alert(1)>` and ``a`b`` \\<script>alert(1)</script>"
    elements = rendered(untrusted_markdown(source))
    assert_no_model_html(elements)
    assert "onerror=alert(1)" in elements.text and "<script>" in elements.text


def test_links_images_and_autolinks_are_text() -> None:
    source = (
        "[click](javascript:alert(1)) ![x](http://example.invalid/?q=secret) "
        "<http://example.invalid> \\[a](javascript:alert(2)) [r]\n\n[r]: javascript:alert(3)"
    )
    elements = rendered(untrusted_markdown(source))
    assert_no_model_html(elements)
    assert "img" not in elements.tags
    assert "[click](javascript:alert(1))" in elements.text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="<>&[]()`~\\\n !*_-#=\"'/:aimgsrcxonerror|$", max_size=80))
def test_no_model_text_becomes_an_element(text: str) -> None:
    assert_no_model_html(rendered(untrusted_markdown(text)))


def test_literal_markdown_shows_text_exactly() -> None:
    text = "# not a heading *x* <b>y</b> [l](u) `c` 1. & \\"
    elements = rendered(literal_markdown(text))
    assert_no_model_html(elements)
    assert elements.text.strip() == text


# --- the bundles --------------------------------------------------------------------------


def test_final_markdown_escapes_the_answer_warnings_and_model_name() -> None:
    reply = make_reply(
        text=f"Done {HOSTILE}",
        model=f"model{HOSTILE}",
        warnings=[f"column {HOSTILE} is not in df"],
    )
    markdown = reply_markdown(reply, "markdown")
    elements = rendered(markdown)
    assert_no_model_html(elements)
    assert elements.text.count(HOSTILE) == 3
    assert "<sub>" in markdown  # the project's own footer element stays


def test_final_code_answer_keeps_its_code_in_one_block() -> None:
    code = f"doc = '''\n```\n{HOSTILE}\n'''"
    bundle = reply_bundle(make_reply(text=f"```python\n{code}\n```", code=code), "code")
    elements = rendered(bundle["text/markdown"])
    assert_no_model_html(elements)
    assert [block.strip() for block in elements.pre] == [code]
    assert bundle["text/plain"] == code


class PlainShell:
    """Not a Jupyter frontend: the display writes to stdout, and its bundle can be read."""


def test_streamed_markdown_is_escaped_as_it_grows(capsys: pytest.CaptureFixture[str]) -> None:
    display = StreamingDisplay(PlainShell())
    display.on_attempt(2, f"the last answer read {HOSTILE}")
    for piece in ["Sure ", HOSTILE, "\n```python\n", "x = '<b>'\n"]:
        display.on_token(piece)
        bundle = display._bundle()
        assert_no_model_html(rendered(bundle["text/markdown"]))
    elements = rendered(display._bundle()["text/markdown"])
    assert HOSTILE in elements.text
    assert [block.strip() for block in elements.pre] == ["x = '<b>'"]
    assert display._bundle()["text/markdown"].endswith("```\n\n▌")
    assert "Sure " + HOSTILE in capsys.readouterr().out
