"""Load: 20 concurrent streaming requests against one resident real model.

A mix of every face: `ask` streams as the side panel sends them (server token), OpenAI
streams from the official client (token) and as kernels send them (assistant secret), and
`%%ai` in two real kernels. Every request carries its own word, so its answer is its own.
Checks: all complete, served in the order they arrived, each stream's text equals the
answer the same request gets alone (temperature 0) and, for `ask`, its own final text; and
`status`, polled all along from another thread, answers within 100 ms.
"""

from __future__ import annotations

import itertools
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
import pytest
import requests
from support.jupyter_process import JupyterServer, ServerKernel, sse_lines

pytestmark = pytest.mark.model

WORDS = [
    "apple", "river", "candle", "violin", "copper", "meadow", "falcon", "harbor", "pepper",
    "glacier", "lantern", "orchid", "saddle", "timber", "walnut", "zephyr", "marble", "cactus",
    "comet", "velvet",
]  # fmt: skip
MAX_TOKENS = 12
STAGGER_S = 0.2  # more than a client's own jitter on a loaded machine
SAME_TIME_S = 0.05


@dataclass
class Outcome:
    kind: str
    word: str
    # When its request left this process (just before the bytes were written): under load a
    # pool thread can start a request later than the next one, so handing it to the pool
    # (the stagger) does not say which reached the server first.
    sent: float | None = None
    first_token: float | None = None
    pieces: list[str] = field(default_factory=list)
    final_text: str | None = None
    error: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def _question(word: str) -> str:
    return f"Write the word {word} three times, separated by spaces."


class StatusPoller(threading.Thread):
    """Times `status` calls from its own thread until stopped."""

    def __init__(self, server: JupyterServer, secret: str) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"LocalAI {secret}"
        self.timings: list[float] = []
        self.most_active = 0
        self.stop = threading.Event()
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            response = self.session.get(self.server.url + "api/localai/status", timeout=10)
            self.timings.append(time.perf_counter() - started)
            if response.status_code != 200:
                self.failures.append(response.text)
            else:
                self.most_active = max(self.most_active, response.json()["active_requests"])
            time.sleep(0.02)


def _ask(server: JupyterServer, out: Outcome) -> None:
    body = {"task": "chat", "prompt": _question(out.word), "max_tokens": MAX_TOKENS,
            "temperature": 0, "format": "text"}
    out.sent = time.perf_counter()
    response = requests.post(server.url + "api/localai/ask", data=json.dumps(body),
                             headers=server.auth, stream=True, timeout=600)
    if response.status_code != 200:
        out.error = f"HTTP {response.status_code}: {response.text}"
        return
    for event in sse_lines(response):
        if event["type"] == "token":
            out.first_token = out.first_token or time.perf_counter()
            out.pieces.append(event["text"])
        elif event["type"] == "done":
            out.final_text = event["reply"]["text"]
        elif event["type"] == "error":
            out.error = event["message"]


def _chat_body(word: str, stream: bool) -> dict[str, Any]:
    return {"model": "any", "messages": [{"role": "user", "content": _question(word)}],
            "max_tokens": MAX_TOKENS, "temperature": 0, "seed": 0, "stream": stream}


class SentClock:
    """httpx's request hook: when the OpenAI client's last request was about to be sent."""

    def __init__(self) -> None:
        self.at: float | None = None

    def __call__(self, _request: httpx.Request) -> None:
        self.at = time.perf_counter()


def _openai_client(client: openai.OpenAI, clock: SentClock, out: Outcome) -> None:
    clock.at = None
    stream = client.chat.completions.create(**_chat_body(out.word, True))
    out.sent = clock.at
    for chunk in stream:
        for choice in chunk.choices:
            if choice.delta.content:
                out.first_token = out.first_token or time.perf_counter()
                out.pieces.append(choice.delta.content)


def _kernel_style(server: JupyterServer, secret: str, out: Outcome) -> None:
    out.sent = time.perf_counter()
    response = requests.post(server.url + "api/localai/v1/chat/completions",
                             data=json.dumps(_chat_body(out.word, True)),
                             headers={"Authorization": f"LocalAI {secret}"}, stream=True,
                             timeout=600)
    if response.status_code != 200:
        out.error = f"HTTP {response.status_code}: {response.text}"
        return
    for chunk in sse_lines(response):
        if chunk == "[DONE]":
            break
        for choice in chunk.get("choices", []):
            if choice["delta"].get("content"):
                out.first_token = out.first_token or time.perf_counter()
                out.pieces.append(choice["delta"]["content"])


def _magic(kernel: ServerKernel, out: Outcome) -> None:
    run = kernel.execute(f"%%ai --no-context -f text --max-tokens {MAX_TOKENS}\n"
                         + _question(out.word))
    if run.status != "ok":
        out.error = str(run.error)
        return
    reply = kernel.value("__import__('jupyter_localai').last_reply().to_json()")
    out.final_text = reply["text"]
    out.pieces = [reply["text"]]


def _alone(server: JupyterServer, out: Outcome) -> str:
    """The answer the same request gets with the model to itself."""
    if out.kind == "ask":
        alone = Outcome(out.kind, out.word)
        _ask(server, alone)
        return alone.text
    response = server.post("api/localai/v1/chat/completions", _chat_body(out.word, False))
    return str(response.json()["choices"][0]["message"]["content"])


def test_twenty_concurrent_streams_complete_in_order_without_crosstalk(
    model_server: JupyterServer, assistant_secret_of: Any, reliability_report: Any
) -> None:
    kernels = [model_server.start_kernel() for _ in range(2)]
    try:
        for kernel in kernels:
            assert kernel.execute("%load_ext jupyter_localai").status == "ok"
        secret = assistant_secret_of(kernels[0])
        restarts_before = model_server.status()["restarts"]
        kinds = (["ask"] * 10 + ["openai"] * 4 + ["kernel-style"] * 4)
        outcomes = [Outcome(kind, word) for kind, word in zip(kinds, WORDS)]
        magic_outcomes = [Outcome("magic", word) for word in WORDS[len(kinds):]]
        # Made beforehand: a client's first use takes longer than the stagger.
        clocks = [SentClock() for _ in range(kinds.count("openai"))]
        clients = [openai.OpenAI(base_url=model_server.url + "api/localai/v1",
                                 api_key=model_server.token, max_retries=0, timeout=600,
                                 http_client=httpx.Client(event_hooks={"request": [clock]}))
                   for clock in clocks]
        for client in clients:  # and used once, so their first request is not slower
            client.models.list()
        unused = list(zip(clients, clocks))
        poller = StatusPoller(model_server, secret)
        poller.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(WORDS)) as pool:
            futures = [pool.submit(_magic, k, o) for k, o in zip(kernels, magic_outcomes)]
            for out in outcomes:
                run = {"ask": lambda o: _ask(model_server, o),
                       "openai": lambda o: _openai_client(*unused.pop(), o),
                       "kernel-style": lambda o: _kernel_style(model_server, secret, o)}[out.kind]
                futures.append(pool.submit(run, out))
                time.sleep(STAGGER_S)
            for future in futures:
                future.result(timeout=900)
        elapsed = time.perf_counter() - started
        for client in clients:
            client.close()
        poller.stop.set()
        poller.join(timeout=30)

        everyone = outcomes + magic_outcomes
        assert [o.error for o in everyone if o.error] == []
        assert all(o.text.strip() for o in everyone), [o.word for o in everyone if not o.text]
        # Served in arrival order: streams start in the order their requests were sent.
        # Two requests sent within SAME_TIME_S of each other may reach the server in either
        # order (its accept loop shares the CPU with the answers), so only pairs further
        # apart are ordered.
        assert all(o.first_token is not None and o.sent is not None for o in outcomes)
        by_sending = sorted(outcomes, key=lambda o: o.sent)
        overtaken = [(a.word, b.word) for a, b in itertools.combinations(by_sending, 2)
                     if b.sent - a.sent > SAME_TIME_S and b.first_token < a.first_token]
        assert overtaken == [], overtaken
        started_in_order = sum(a.first_token < b.first_token
                               for a, b in itertools.pairwise(by_sending))
        # No piece of one answer in another: each stream is its own final text and the
        # answer the same request gets alone.
        for out in outcomes:
            if out.final_text is not None:
                assert out.text == out.final_text, out.word
        alone = {(o.kind, o.word): _alone(model_server, o) for o in outcomes}
        for out in outcomes:
            assert out.text == alone[(out.kind, out.word)], (out.kind, out.word, out.text)
        for kernel, out in zip(kernels, magic_outcomes):
            again = Outcome("magic", out.word)
            _magic(kernel, again)
            assert out.text == again.text, out.word
        assert poller.failures == []
        worst_status = max(poller.timings)
        assert worst_status < 0.1, sorted(poller.timings)[-5:]
        status = model_server.status()
        assert status["restarts"] == restarts_before and status["active_requests"] == 0
        for kernel in kernels:
            assert kernel.value("1 + 1") == 2
    finally:
        for kernel in kernels:
            kernel.shutdown()
    reliability_report.add(
        "load",
        f"{len(everyone)} concurrent streams (10 ask, 4 OpenAI client, 4 kernel-style with "
        f"the secret, 2 `%%ai` in real kernels); up to {poller.most_active} held at once",
        f"all completed in {elapsed:.1f} s, in arrival order ({started_in_order + 1} of "
        f"{len(outcomes)} started in the exact order sent), each equal to its answer alone; "
        f"status: {len(poller.timings)} calls, median "
        f"{statistics.median(poller.timings) * 1000:.1f} ms, worst {worst_status * 1000:.1f} ms",
        "no worker restart; both kernels alive",
    )
