"""Which saved KV state to restore before an evaluation, and what to save after one.

Each notebook's KV state is saved after its answers and prefills (`kv_states.py`) and
restored when a prompt shares enough more with it than with the cache. The model is passed
in (`llama_model.LoadedModel`): this module never touches llama.cpp itself.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .batch_plan import LAYOUT
from .kv_format import file_sha256, private_dir
from .kv_states import KVStateStore, shared_prefix

if TYPE_CHECKING:
    from .llama_model import LoadedModel

log = logging.getLogger("jupyter_localai.worker")
# Restoring a saved state costs milliseconds; only worth it for a real gain in tokens.
_RESTORE_MIN_GAIN = 16


def state_store(spec: dict[str, Any], model: LoadedModel) -> KVStateStore:
    """Saved states for this model file and these context settings only."""
    ram = int(spec.get("kv_ram_bytes") or 256 << 20)
    root = spec.get("kv_dir")
    disk = spec.get("kv_disk_bytes")
    disk = 1 << 30 if disk is None else int(disk)
    if not root or disk <= 0:
        return KVStateStore(ram)
    root_dir = Path(root)
    try:
        # The root is checked (ours, 0700) before anything in it is read or written.
        private_dir(root_dir)
        sha = file_sha256(model.path, root_dir)
    except (OSError, ValueError) as exc:
        log.warning("saved KV states stay in RAM only: %s", exc)
        return KVStateStore(ram)
    key = (
        f"{sha[:24]}-{os.path.getsize(model.path)}-ctx{model.n_ctx}"
        f"-fa{int(bool(spec.get('flash_attn', False)))}-llama{model.llama_version}-{LAYOUT}"
    )
    return KVStateStore(
        ram, root_dir / key, disk, root=root_dir, n_vocab=int(model.llm.n_vocab())
    )


class KVPolicy:
    """The saved states of the loaded model (`states`, None while none is loaded)."""

    def __init__(self) -> None:
        self.states: KVStateStore | None = None

    def use_best_state(self, model: LoadedModel, tokens: list[int], session: str | None) -> None:
        """Restore the saved state sharing the most with `tokens`, if it beats the cache."""
        if self.states is None:
            return
        wanted = np.asarray(tokens, dtype=np.int32)
        held = shared_prefix(model.llm.input_ids[: model.llm.n_tokens], wanted)
        state, shared = self.states.best_match(wanted, prefer=session)
        if state is None or shared < held + _RESTORE_MIN_GAIN:
            return
        data = self.states.load(state)
        if data is None:
            return
        started = time.perf_counter()
        if model.restore_state(state.tokens, data):
            self.states.restores += 1
            log.info(
                "restored %d tokens of a saved state in %.3f s",
                len(state.tokens), time.perf_counter() - started,
            )
        else:
            log.warning("a saved state did not fit this model's cache; dropped it")
            self.states.forget(state)

    def save_state(self, model: LoadedModel, session: str | None) -> None:
        """Keep the cache as `session`'s latest state (nothing without a session)."""
        if self.states is None or not session:
            return
        saved = model.save_state()
        if saved is not None:
            self.states.put(session, *saved)

    def stats(self) -> dict[str, int]:
        return self.states.stats() if self.states is not None else {}

    def flush(self) -> None:
        if self.states is not None:
            self.states.flush()
