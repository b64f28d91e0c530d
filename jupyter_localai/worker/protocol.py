"""The wire format between the worker and its client: one JSON object per line on a socket.

Shared by both sides, so it imports nothing heavy (never llama_cpp). The socket is a
private socket pair, separate from the worker's stdout/stderr, where llama.cpp may print.

Client to worker (`op`): `load` {model_path, n_ctx, n_threads, n_batch, flash_attn,
kv_dir, kv_ram_bytes, kv_disk_bytes}, `generate` {id, request}, `cancel` {id}, `status`
{id}, `tokenize` {id, messages}, `reset` {id}, `shutdown`, `prefill` {messages,
session_id} (low priority, latest per session wins, no answer), `pause_prefill`
{session_id} (drop that notebook's queued prefill, stop its running one), `complete` {id,
request} (an inline completion, `CompletionRequest.to_json`; answered like `generate`, or
at once with finish_reason "busy" while a chat prompt evaluates), `prefill_completion`
{context, session_id} (evaluate a completion's stable part, as a prefill). A `generate`
request may carry `n_candidates`; its `done` completion then has `candidates` (texts).
Worker to client (`type`): `loaded` {load_time_s, n_ctx, model_path}, `load_error`
{message}, `started` {id, prompt_tokens, cached_tokens}, `token` {id, text}, `done` {id,
completion}, `error` {id, error, message}, `status` {id, ..., warm}, `tokens` {id, count},
`reset` {id}, `warm` {stats} (after each prefill and answer: prefill and saved-state
counters).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

# Error names the worker may send; the client maps them onto `jupyter_localai.errors`.
CONTEXT_OVERFLOW = "ContextOverflowError"
MODEL_LOAD = "ModelLoadError"
BAD_REQUEST = "BadRequest"
INTERNAL = "InternalError"


# How json.dumps(ensure_ascii=True) spells a UTF-16 surrogate (paired or not).
_SURROGATE_ESCAPE = re.compile(r"\\ud[89a-f][0-9a-f]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(value: Any) -> Any:
    """`value` with every surrogate code point in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_surrogates(item) for item in value]
    return value


class Channel:
    """Thread-safe JSON-lines messaging over a connected socket.

    Writes take a lock so a reader thread (status, cancel) and the generating thread can
    both send; reads happen on one thread only.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._reader = sock.makefile("rb")
        self._send_lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        """Send one message; ASCII on the wire, lone surrogates replaced by U+FFFD.

        A lone surrogate (text that is not Unicode, e.g. from a `"\\ud800"` JSON escape)
        must never fail a send (the request would stay pending) nor reach the other side,
        where a tokenizer's UTF-8 encode would fail on it.
        """
        data = json.dumps(message, separators=(",", ":"), ensure_ascii=True)
        if _SURROGATE_ESCAPE.search(data):  # rare: only then walk the message
            data = json.dumps(without_surrogates(message), separators=(",", ":"))
        with self._send_lock:
            self._sock.sendall(data.encode("ascii") + b"\n")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Messages until the peer closes the socket."""
        for line in self._reader:
            if line.strip():
                yield json.loads(line)

    def close(self) -> None:
        self._reader.close()
        self._sock.close()


def physical_cores() -> int:
    """Physical cores this process may run on (llama.cpp decodes fastest with one per core).

    Hyperthread siblings share one core's execution units, so they are counted once. Read
    from /proc/cpuinfo (stdlib only); elsewhere falls back to the logical count.
    """
    try:
        allowed = os.sched_getaffinity(0)
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)
    cores: set[tuple[str, str]] = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            block: dict[str, str] = {}
            for line in [*handle, ""]:
                if line.strip():
                    key, _, value = line.partition(":")
                    block[key.strip()] = value.strip()
                    continue
                if block.get("processor", "").isdigit() and int(block["processor"]) in allowed:
                    cores.add(
                        (block.get("physical id", "0"), block.get("core id", block["processor"]))
                    )
                block = {}
    except OSError:
        cores = set()
    return max(1, len(cores) or len(allowed))
