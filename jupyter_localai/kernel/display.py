"""Showing answers in the cell's output area: streamed while they arrive, rendered at the end.

In a Jupyter frontend one display handle is updated in place (throttled, so a fast model
does not flood the frontend); the final bundle carries the project's own MIME type for the
lab extension's buttons, with Markdown and plain-text fallbacks for nbconvert, VS Code and
classic. In a terminal the tokens are written as they come.

Model text is untrusted: a reply can carry HTML that runs script (`<img onerror=...>`,
`<script>`), for instance because a CSV or a docstring in the context asked for it. The
outputs of a cell the user ran are trusted by JupyterLab (and nbconvert and VS Code render
raw HTML in Markdown), so every Markdown built here is made of text that cannot form a tag:
model prose keeps its Markdown formatting but its `<`, `&` and `[` become character
references (no HTML, no links or images), inline code becomes a `<code>` element of
escaped text, and code blocks are re-fenced with a fence longer than any backtick run inside.
"""

from __future__ import annotations

import re
import string
import sys
import time
from dataclasses import asdict
from typing import Any

from ..core.block_checks import failed_note, marked_text
from ..core.reply import Reply

REPLY_MIME = "application/vnd.jupyter-localai.reply+json"
UPDATE_INTERVAL_S = 0.08


def has_rich_frontend(shell: Any) -> bool:
    """True when output goes to a Jupyter frontend (display handles work)."""
    return type(shell).__name__ == "ZMQInteractiveShell" or hasattr(shell, "kernel")


_PUNCTUATION = frozenset(string.punctuation)
# Characters of prose that could open raw HTML, an entity, a link or an image.
_PROSE_REFERENCES = {"&": "&amp;", "<": "&lt;", "[": "&#91;"}
_FENCE_OPENING = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_LANGUAGE = re.compile(r"[\w+#.-]+")


def literal_markdown(text: str) -> str:
    """Plain text that Markdown shows exactly as written (no formatting, no HTML).

    Every ASCII punctuation character becomes a numeric character reference: references
    never form structure (emphasis, lists, tags, links) and every renderer decodes them.
    """
    return "".join(f"&#{ord(char)};" if char in _PUNCTUATION else char for char in text)


def fence_code(code: str, language: str = "python") -> str:
    """A fenced code block that no line of `code` can close: the fence is a backtick run
    longer than any inside it (a reply containing ``` stays code)."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    match = _LANGUAGE.match(language)
    return f"{fence}{match.group(0) if match else ''}\n{code}\n{fence}"


def _code_span(content: str) -> str:
    """Inline code as an element of escaped text, as CommonMark would show the span."""
    content = content.replace("\r\n", " ").replace("\n", " ")
    if len(content) > 2 and content.startswith(" ") and content.endswith(" ") and content.strip():
        content = content[1:-1]
    return f"<code>{literal_markdown(content)}</code>"


def _escape_prose(text: str) -> str:
    """Markdown prose without raw HTML, links or images; emphasis, lists, headings stay.

    Code spans are found as CommonMark finds them (a run of n backticks up to the next run
    of exactly n; a backslash-escaped backtick opens none). No backtick survives outside
    the `<code>` elements made here, so a renderer that splits spans differently still
    sees no model text it could read as a tag.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in _PUNCTUATION:
            out.append(f"&#{ord(text[i + 1])};")
            i += 2
        elif char == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            closing = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(text, i + run)
            if closing:
                out.append(_code_span(text[i + run : closing.start()]))
                i = closing.end()
            else:
                out.append("&#96;" * run)
                i += run
        else:
            out.append(_PROSE_REFERENCES.get(char, char))
            i += 1
    return "".join(out)


def _fence_closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and stripped == fence[0] * len(stripped)


def untrusted_markdown(text: str) -> str:
    """Model Markdown made safe to render as trusted: the same prose and code blocks, and
    nothing in it that a Markdown renderer could turn into HTML of the model's choosing.

    Code blocks (closed or, while streaming, still open) are re-fenced at the left margin
    between blank lines, so nothing before them (a list, a table, a quote) can take them in.
    """
    parts: list[str] = []
    prose: list[str] = []
    code: list[str] | None = None
    fence, language, indent = "", "", 0

    def flush_prose() -> None:
        if "".join(prose).strip():
            parts.append(_escape_prose("\n".join(prose)).strip("\n"))
        prose.clear()

    for line in text.split("\n"):
        if code is None:
            opening = _FENCE_OPENING.match(line)
            if opening and not (opening.group(2)[0] == "`" and "`" in opening.group(3)):
                flush_prose()
                indent, fence = len(opening.group(1)), opening.group(2)
                language = opening.group(3).strip()
                code = []
            else:
                prose.append(line)
        elif _fence_closes(line, fence):
            parts.append(fence_code("\n".join(code), language))
            code = None
        else:
            code.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
    if code is not None:
        parts.append(fence_code("\n".join(code), language))
    flush_prose()
    return "\n\n".join(parts)


def reply_markdown(reply: Reply, fmt: str) -> str:
    """The answer as Markdown: the code fenced (for code answers), then warnings."""
    if reply.task in ("generate", "fix") and fmt == "code" and reply.code:
        body = fence_code(reply.code)
    else:
        # chat and explain: a block that failed its checks carries its mark below it
        body = untrusted_markdown(marked_text(reply.text, reply.blocks).strip())
    notes = []
    if reply.finish_reason == "cancelled":
        notes.append("*Stopped.*")
    elif reply.finish_reason == "length":
        notes.append("*The answer reached --max-tokens and may be cut short.*")
    if reply.verified is True:
        notes.append("**Rehearsed in a guarded copy:** ran without error (a forked copy of "
                     "this kernel, thrown away after).")
    elif reply.verified is False:
        notes.append("**Rehearsed in a guarded copy:** no candidate ran without error; what "
                     "failed is below.")
    # Warnings quote model text (names, columns); the model name comes from config or a server.
    notes += [f"> ⚠ {literal_markdown(' '.join(warning.split()))}" for warning in reply.warnings]
    footer = (
        f"<sub>{literal_markdown(reply.model)} · {reply.timings.tokens} tokens · "
        f"{reply.timings.total_s:.1f} s</sub>"
    )
    return "\n\n".join([body, *notes, footer])


def reply_bundle(reply: Reply, fmt: str) -> dict[str, Any]:
    markdown = reply_markdown(reply, fmt)
    return {
        REPLY_MIME: {
            "task": reply.task,
            "code": reply.code,
            "text": reply.text,
            "model": reply.model,
            "warnings": reply.warnings,
            "verified": reply.verified,
            "format": fmt,
            "blocks": [asdict(check) for check in reply.blocks],
        },
        "text/markdown": markdown,
        "text/plain": reply.code if reply.code and fmt == "code" else reply.text,
    }


class StreamingDisplay:
    """A TaskListener that shows the answer as it streams, then the final rendering."""

    def __init__(self, shell: Any, status_line: str = "") -> None:
        self._rich = has_rich_frontend(shell)
        self._text = ""
        self._notice = status_line
        self._initial_notice = status_line
        self._last_update = 0.0
        self._handle: Any = None
        if self._rich:
            from IPython.display import display

            self._handle = display(self._bundle(), raw=True, display_id=True)
        elif status_line:
            sys.stdout.write(status_line + "\n")

    def _bundle(self) -> dict[str, Any]:
        shown = untrusted_markdown(self._text)
        # A retry's reason can quote the failed answer.
        notice = f"*{literal_markdown(self._notice)}*\n\n" if self._notice else ""
        cursor = ""
        if shown:
            # After a (still open) code block the cursor goes below it, not onto its fence.
            cursor = "\n\n▌" if shown.rsplit("\n", 1)[-1].startswith("`") else " ▌"
        plain = f"{self._notice}\n{self._text}" if self._notice else self._text
        return {"text/markdown": notice + shown + cursor, "text/plain": plain}

    def on_attempt(self, attempt: int, reason: str) -> None:
        if attempt > 1:
            self._notice = f"Retrying (attempt {attempt}): {reason}"
            self._text = ""
            if self._rich:
                self._refresh(force=True)
            else:
                sys.stdout.write(f"\n[{self._notice}]\n")

    def on_token(self, text: str) -> None:
        if not self._text and self._notice == self._initial_notice:
            self._notice = ""
        self._text += text
        if self._rich:
            self._refresh()
        else:
            sys.stdout.write(text)
            sys.stdout.flush()

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_update >= UPDATE_INTERVAL_S:
            self._last_update = now
            self._handle.update(self._bundle(), raw=True)

    def finish(self, reply: Reply, fmt: str) -> None:
        if self._rich:
            self._handle.update(reply_bundle(reply, fmt), raw=True)
        else:
            sys.stdout.write("\n")
            for warning in reply.warnings:
                sys.stdout.write(f"Warning: {warning}\n")
            for check in reply.blocks:
                if check.failed:
                    sys.stdout.write(f"Code block {check.index + 1}: {failed_note(check)}\n")

    def fail(self, message: str) -> None:
        """Replace the streamed text with an error message (the cell stays usable)."""
        if self._rich:
            # The message can quote a remote server's error body.
            markdown = f"**jupyter-localai:** {literal_markdown(message)}"
            self._handle.update(
                {"text/markdown": markdown, "text/plain": f"jupyter-localai: {message}"}, raw=True
            )
        else:
            sys.stderr.write(f"jupyter-localai: {message}\n")
