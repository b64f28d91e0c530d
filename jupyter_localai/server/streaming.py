"""Run blocking generation on a thread and hand its pieces to tornado's IOLoop.

Iterating an engine's `Generation` blocks (it waits for tokens), so it never runs on the
IOLoop: a worker thread iterates and posts each piece with `call_soon_threadsafe`; the
handler awaits them and writes them out. Status calls and other requests stay responsive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# (kind, payload): ("piece", str), ("event", dict), ("done", result), ("error", exception)
StreamItem = tuple[str, Any]


@dataclass
class Emitter:
    """What the blocking work calls to send something to the IOLoop side."""

    piece: Callable[[str], None]
    event: Callable[[dict[str, Any]], None]


class ThreadedStream(Generic[T]):
    """Runs `work(emitter)` on an executor thread; `items()` yields what it emits, in order.

    The last item is ("done", result) or ("error", exception). `on_loop_gone` is called when
    the IOLoop is closed under the work (server stopping), so the work can be cancelled.
    """

    def __init__(self, executor: Executor, on_loop_gone: Callable[[], None]) -> None:
        self._executor = executor
        self._on_loop_gone = on_loop_gone
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[StreamItem] = asyncio.Queue()

    def start(self, work: Callable[[Emitter], T]) -> None:
        emitter = Emitter(
            piece=lambda text: self._post(("piece", text)),
            event=lambda data: self._post(("event", data)),
        )

        def run() -> None:
            try:
                result = work(emitter)
            # Not swallowed: any failure is handed to the IOLoop side, which reports it.
            except Exception as error:  # noqa: BLE001
                self._post(("error", error))
            else:
                self._post(("done", result))

        self._executor.submit(run)

    def _post(self, item: StreamItem) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:
            # The IOLoop closed (server shutting down): nobody is listening any more.
            log.debug("IOLoop closed while streaming; cancelling the generation")
            self._on_loop_gone()

    async def items(self) -> AsyncIterator[StreamItem]:
        while True:
            item = await self._queue.get()
            yield item
            if item[0] in ("done", "error"):
                return
