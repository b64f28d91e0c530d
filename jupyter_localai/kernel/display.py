"""Showing answers in the cell's output area: streamed while they arrive, rendered at the end.

In a Jupyter frontend one display handle is updated in place (throttled, so a fast model
does not flood the frontend); the final bundle carries the project's own MIME type for the
lab extension's buttons, with Markdown and plain-text fallbacks for nbconvert, VS Code and
classic. In a terminal the tokens are written as they come.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from ..core.reply import Reply

REPLY_MIME = "application/vnd.jupyter-localai.reply+json"
UPDATE_INTERVAL_S = 0.08


def has_rich_frontend(shell: Any) -> bool:
    """True when output goes to a Jupyter frontend (display handles work)."""
    return type(shell).__name__ == "ZMQInteractiveShell" or hasattr(shell, "kernel")


def reply_markdown(reply: Reply, fmt: str) -> str:
    """The answer as Markdown: the code fenced (for code answers), then warnings."""
    if reply.task in ("generate", "fix") and fmt == "code" and reply.code:
        body = f"```python\n{reply.code}\n```"
    else:
        body = reply.text.strip()
    notes = []
    if reply.finish_reason == "cancelled":
        notes.append("*Stopped.*")
    elif reply.finish_reason == "length":
        notes.append("*The answer reached --max-tokens and may be cut short.*")
    if reply.verified is True:
        notes.append("**Verified:** ran without error in a copy of this kernel.")
    elif reply.verified is False:
        notes.append("**Not verified:** no candidate ran without error in a copy of this kernel.")
    notes += [f"> ⚠ {warning}" for warning in reply.warnings]
    footer = f"<sub>{reply.model} · {reply.timings.tokens} tokens · {reply.timings.total_s:.1f} s</sub>"
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
        shown = self._text if self._text else ""
        notice = f"*{self._notice}*\n\n" if self._notice else ""
        cursor = " ▌" if shown else ""
        plain = f"{self._notice}\n{shown}" if self._notice else shown
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

    def fail(self, message: str) -> None:
        """Replace the streamed text with an error message (the cell stays usable)."""
        if self._rich:
            self._handle.update({"text/markdown": f"**jupyter-localai:** {message}",
                                 "text/plain": f"jupyter-localai: {message}"}, raw=True)
        else:
            sys.stderr.write(f"jupyter-localai: {message}\n")
