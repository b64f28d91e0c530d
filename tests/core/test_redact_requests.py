"""Issue 16, item 2, in the core: every prompt built from a request is redacted, whoever sent it.

The side panel sends the document's cells as the user sees them; any HTTP client may send
anything. `run_task` (ask, the panel's verified fix, the magics) and `prefill_messages`
(prefill) redact the request before a prompt is built from it, and before anything in it is
cut to the budget, so a key cut in two cannot survive as its first half.
"""

from __future__ import annotations

import secrets
import string

from jupyter_localai.core.context import CellRecord, ErrorInfo, NotebookContext, VariableSummary
from jupyter_localai.core.prompt import (
    CELL_SOURCE_CHARS,
    CONTEXT_ACK,
    SYSTEM_PROMPT,
    PromptBudget,
    prefill_messages,
)
from jupyter_localai.core.redact import (
    REDACTED,
    Redactor,
    redact,
    redact_context,
    redact_messages,
    secret_fragments,
)
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine

ALNUM = string.ascii_letters + string.digits


def _token(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _planted() -> dict[str, str]:
    return {
        "openai": "sk-proj-" + _token(ALNUM, 48),
        "aws_id": "AKIA" + _token(string.ascii_uppercase + string.digits, 16),
        "dsn_password": _token(string.ascii_lowercase, 10),
        "github": "ghp_" + _token(ALNUM, 36),
    }


def _panel_context(found: dict[str, str]) -> NotebookContext:
    """What the panel builds from the document (nothing of it passed a kernel)."""
    failing = f"client = OpenAI(api_key={found['openai']!r})\nclient.chat()"
    return NotebookContext(
        cells=[
            CellRecord(1, "import boto3", output=f"using {found['aws_id']}"),
            CellRecord(2, f"url = 'postgres://etl:{found['dsn_password']}@db/dw'"),
            CellRecord(3, failing, error=f"AuthenticationError: bad key {found['openai']}"),
        ],
        variables=[VariableSummary("gh", "str", f"str, 40 chars: {found['github']!r}")],
        last_error=ErrorInfo(failing, "AuthenticationError", f"bad key {found['openai']}",
                             traceback=f"Cell In[3], line 1\n{failing}",
                             hints=[f"the key {found['github']} was refused"]),
        related_cells=[CellRecord(0, f"token = {found['github']!r}")],
    )


def _leaks(found: dict[str, str], text: str) -> list[str]:
    return [
        name
        for name, value in found.items()
        for piece in (value, value[: len(value) // 2 + 2], value[len(value) // 2 - 2 :])
        if piece in text
    ]


def _text(messages: list[dict[str, str]]) -> str:
    return "\n".join(m["content"] for m in messages)


def test_run_task_redacts_every_part_of_a_request() -> None:
    found = _planted()
    for task in ("chat", "fix", "explain", "generate"):
        engine = FakeEngine("```python\nx = 1\n```")
        request = TaskRequest(
            task=task,
            prompt=f"why does {found['aws_id']} fail",
            context=_panel_context(found),
            target_source=f"client = OpenAI(api_key={found['openai']!r})",
            target_output=f"AuthenticationError: bad key {found['openai']}",
            history=[{"role": "user", "content": f"my token is {found['github']}"}],
            format="markdown" if task in ("chat", "explain") else "code",
            retries=0,
        )
        run_task(engine, request)
        prompt = _text(engine.requests[0].messages)
        assert _leaks(found, prompt) == [], (task, prompt)
        assert REDACTED in prompt and "boto3" in prompt and "client = OpenAI" in prompt


def test_prefill_redacts_and_shares_the_prefix_of_the_request() -> None:
    found = _planted()
    context = _panel_context(found)
    budget = PromptBudget(4096, 256, 1536)
    prefill = prefill_messages(context, budget)
    assert _leaks(found, _text(prefill)) == []
    engine = FakeEngine("fine")
    run_task(engine, TaskRequest(task="chat", prompt="hi", context=context, format="markdown",
                                 max_tokens=256, context_tokens=1536))  # fmt: skip
    asked = engine.requests[0].messages
    assert asked[: len(prefill) - 1] == prefill[:-1]  # the prefix the prefill warmed
    # The OpenAI route redacts the messages a kernel built once more: nothing changes, so
    # the prefix stays the one the prefill warmed.
    assert redact_messages(asked) == asked


def test_the_fixed_prompt_text_survives_redaction() -> None:
    assert redact(SYSTEM_PROMPT) == SYSTEM_PROMPT and redact(CONTEXT_ACK) == CONTEXT_ACK


def test_a_cell_longer_than_the_prompt_allows_is_redacted_before_it_is_cut() -> None:
    key = "sk-proj-" + _token(ALNUM, 48)
    for shift in range(0, 48, 6):  # the cut at CELL_SOURCE_CHARS falls inside the key
        filler = "x = 1\n" * ((CELL_SOURCE_CHARS - 30 + shift) // 6)
        source = f"{filler}key = {key!r}\n" + "y = 2\n" * 300
        context = NotebookContext(cells=[CellRecord(1, source)])
        prompt = _text(prefill_messages(context, PromptBudget(8192, 256, 4096)))
        assert key[:10] not in prompt, shift


def test_redacting_twice_changes_nothing() -> None:
    found = _planted()
    once = redact_context(_panel_context(found))
    assert redact_context(once) == once


def test_secret_fragments_are_what_redaction_removes() -> None:
    assert secret_fragments("postgres://etl:sunflower@db/dw") == ["sunflower"]
    key = "ghp_" + _token(ALNUM, 36)
    assert secret_fragments(f"token {key} and postgres://a:bcdefg@h/x") == [key, "bcdefg"]
    assert secret_fragments("nothing to see here") == []


def test_windowed_redaction_never_leaves_a_cut_key() -> None:
    """Only a window is redacted (a 1 MB cell stays cheap); secrets before the cut shrink
    to the marker, which pulls later text, a key cut by the window's edge included, forward."""
    redactor = Redactor()
    key = "sk-proj-" + _token(ALNUM, 48)
    shrinking = " ".join("ghp_" + _token(ALNUM, 36) for _ in range(25))  # 1,024 -> 274 chars
    for before in (100, 700, 1200):
        text = f"{shrinking}{'z' * before} {key} {'w' * 5000}"
        for keep in range(len(shrinking) + before - 600, len(shrinking) + before + 80, 23):
            assert key[:8] not in redactor.redact_start(text, keep)[:keep], (before, keep)
        text = f"{'w' * 5000} {key} {'z' * before}{shrinking}"
        for keep in range(len(shrinking) + before - 600, len(shrinking) + before + 80, 23):
            assert key[-8:] not in redactor.redact_end(text, keep)[-keep:], (before, keep)
