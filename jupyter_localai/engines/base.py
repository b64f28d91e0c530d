"""Moved: the engine protocol is core vocabulary, `jupyter_localai.core.engine`.

Kept as a re-export for code outside this package that still imports it from here.
"""

from __future__ import annotations

from ..core.engine import Completion, Engine, Generation, GenerationRequest, PrefillRequest

__all__ = ["Completion", "Engine", "Generation", "GenerationRequest", "PrefillRequest"]
