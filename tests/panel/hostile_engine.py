"""An engine factory for a browser test's `jupyter lab`: every reply carries hostile HTML.

The server loads it by dotted name (`--LocalAIExtension.engine_factory=hostile_engine.make`)
with this folder on PYTHONPATH. A model's text is untrusted (text in its context can ask it
for anything), so the replies here are what such a model could write: an `<img onerror>`, a
`<script>`, a code answer whose ``` tries to end its fence early, and a model name with a tag
in it. Each handler, if it ever runs, pushes its label onto `window.__pwned`.
Everything around the engine (server, kernels, magics, panel, renderers) is real.
"""

from __future__ import annotations

from jupyter_localai.engines.base import GenerationRequest
from jupyter_localai.engines.fake import FakeEngine

CODE_MARKER = "HOSTILE-CODE"
MARKDOWN_MARKER = "HOSTILE-MARKDOWN"


def payload(label: str) -> str:
    """An image whose (failing) load runs script that records `label` in the page."""
    return f"<img src=x onerror=\"(window.__pwned=window.__pwned||[]).push('{label}')\">"


def script(label: str) -> str:
    return f"<script>(window.__pwned=window.__pwned||[]).push('{label}')</script>"


MODEL_NAME = "hostile-model" + payload("model-name")
MARKDOWN_REPLY = (
    "Here is **the summary** you asked for.\n\n"
    f"{payload('prose-img')}\n\n"
    f"{script('prose-script')}\n\n"
    f"Inline `{payload('inline-code')}` and a [link](javascript:alert(1)).\n\n"
    "```python\n"
    "total = 1\n"
    "```\n"
)
# The code itself holds a ``` line: fenced with ```, the HTML after it would be Markdown.
HOSTILE_CODE = f"doc = '''\n```\n{payload('code-fence')}\n{script('code-script')}\n'''"
CODE_REPLY = f"Sure {payload('code-prose')}\n\n````python\n{HOSTILE_CODE}\n````\n"


def reply_for(request: GenerationRequest) -> str:
    """The code reply when the question (the end of the last message) asks for code."""
    question = request.messages[-1]["content"]
    if question.rfind(CODE_MARKER) > question.rfind(MARKDOWN_MARKER):
        return CODE_REPLY
    return MARKDOWN_REPLY


def make(settings: object) -> FakeEngine:
    """The factory the extension calls; a short delay per word so answers visibly stream."""
    return FakeEngine(reply_for, model=MODEL_NAME, delay_s=0.03)
