"""Errors the assistant raises; each message names what went wrong and how to fix it.

The faces (magics, server handlers, panel) turn these into readable messages; nothing
here is ever swallowed silently.
"""

from __future__ import annotations


class LocalAIError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ModelNotFoundError(LocalAIError):
    """No model file at the configured path or name, and none can be assembled."""


class InvalidModelError(LocalAIError):
    """The file exists but is not a usable GGUF model (truncated, corrupt, absurd header)."""


class ModelLoadError(LocalAIError):
    """The worker could not load the model (llama.cpp refused it or ran out of memory)."""


class ContextOverflowError(LocalAIError):
    """The prompt does not fit the model's context window."""


class WorkerCrashedError(LocalAIError):
    """The worker process died while serving a request; the next request starts a new one."""


class UnsupportedBuildError(WorkerCrashedError):
    """The worker died of an illegal instruction: the llama-cpp-python build uses CPU
    instructions this CPU cannot run. Restarting would die the same way, so the engine stays
    failed and says how to rebuild (`llama_build.reinstall_command()`)."""


class EngineUnavailableError(LocalAIError):
    """The engine cannot be reached (server gone, remote refused, timeout)."""


class NotSupportedError(LocalAIError):
    """The engine does not do this (prefill, switching in place, inline completion); each
    engine declares what it does with its `supports_*` flags, so a face checks the flag
    first and this error only ever means a face forgot to."""


class QueueFullError(LocalAIError):
    """Too many answers are running or waiting already; the caller should retry later."""


class GenerationCancelled(LocalAIError):
    """The request was stopped by the user (interrupt, stop button, disconnect)."""
