"""Errors the assistant raises; each message names what went wrong and how to fix it.

The classes are core vocabulary (`core/errors.py`, which the core raises without importing
anything outside core); this module keeps the name every face and engine imports them by.
"""

from __future__ import annotations

from .core.errors import (
    ContextOverflowError,
    EngineUnavailableError,
    GenerationCancelled,
    InvalidModelError,
    LocalAIError,
    ModelLoadError,
    ModelNotFoundError,
    NotSupportedError,
    QueueFullError,
    UnsupportedBuildError,
    WorkerCrashedError,
)

__all__ = [
    "ContextOverflowError",
    "EngineUnavailableError",
    "GenerationCancelled",
    "InvalidModelError",
    "LocalAIError",
    "ModelLoadError",
    "ModelNotFoundError",
    "NotSupportedError",
    "QueueFullError",
    "UnsupportedBuildError",
    "WorkerCrashedError",
]
