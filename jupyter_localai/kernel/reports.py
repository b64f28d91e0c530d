"""Text of `%ai help`, `%ai status` and `%ai models`."""

from __future__ import annotations

import inspect
from typing import Any

from .assistant import KernelAssistant


def help_text(docstring: str) -> str:
    return (
        "jupyter-localai: a local model that knows this notebook.\n\n"
        + inspect.cleandoc(docstring)
        + "\n\nOptions: see `%ai?`. Settings: `%config LocalAI` lists them "
        "(e.g. `%config LocalAI.model = 'qwen2.5-coder-1.5b'`)."
    )


def _format_status(status: dict[str, Any]) -> list[str]:
    order = ["engine", "where", "model", "model_path", "state", "failure", "n_ctx", "n_threads",
             "backend", "gpu_offload", "n_gpu_layers", "load_time_s", "requests_served",
             "queue_length", "restarts", "last_error", "rss_bytes", "pid", "url"]
    lines = []
    for key in order + sorted(set(status) - set(order)):
        if key in status and status[key] not in (None, ""):
            value = status[key]
            if key == "rss_bytes" and isinstance(value, int):
                value = f"{value / 2**20:.0f} MiB"
            lines.append(f"  {key:16} {value}")
    return lines


def status_report(assistant: KernelAssistant) -> str:
    settings = assistant.settings
    lines = [f"Configured model: {settings.model}"
             + (f" (alias of {assistant.resolve_alias(None)})"
                if assistant.resolve_alias(None) != settings.model else "")]
    via_server = bool(settings.server_url and settings.use_server)  # the server's status says
    if settings.model == "auto" and not settings.remote_url and not via_server:
        from ..model_choice import auto_choice

        lines.append(auto_choice(settings).describe())
    statuses = assistant.engine_statuses()
    if not statuses:
        where = ("the Jupyter server's resident model" if settings.server_url and
                 settings.use_server else "a worker process of this kernel")
        lines.append(f"No model started yet; the first request will use {where}.")
    for key, status in statuses.items():
        lines.append(f"Engine '{key}':")
        lines += _format_status(status)
    lines.append(_warm_line(assistant))
    return "\n".join(lines)


def _warm_line(assistant: KernelAssistant) -> str:
    """Whether cells warm the model, and why not: the first question's speed depends on it."""
    settings, prefill = assistant.settings, assistant.prefill
    if not settings.prefill:
        return "Warm-up: off (LocalAI.prefill = False): every question evaluates its context."
    if prefill is not None and prefill.load_error:
        return f"Warm-up: the model did not load in the background: {prefill.load_error}"
    if not assistant.prefill_armed:
        return ("Warm-up: cells warm the model after the first question with notebook context "
                "(LocalAI.warm_on_load = False).")
    sent = prefill.sent if prefill is not None else 0
    return f"Warm-up: on; the notebook's context was sent to the model {sent} time(s) as cells ran."


def models_report(assistant: KernelAssistant) -> str:
    """Every model `LocalAI.model` can name: the registry, then files other tools downloaded
    (each with its source, size and header check), so picking one is a copy of its name."""
    from ..models import model_listing

    settings = assistant.settings
    current = assistant.resolve_alias(None)
    lines = ["Models (pick one with `%config LocalAI.model = NAME` or `%%ai --model NAME`):"]
    for entry in model_listing(settings.models_dir, current):
        name, path = str(entry.get("name")), str(entry.get("path") or "")
        mark = "*" if entry["current"] else " "
        if entry.get("source", "registry") == "registry":
            state = "available" if entry.get("available") else "not installed"
            lines.append(f" {mark} {name:24} {state:14} {entry.get('description', '')}")
            if not entry.get("available") and entry.get("install"):
                lines.append(f"   {'':24} install: {entry['install']}")
            continue
        # A failing file's description is the check's verdict ("fails the header check: ...").
        check = "header ok: " if entry.get("header_ok") else ""
        lines.append(f" {mark} {name}")
        lines.append(f"     {entry.get('source')}, {_size(entry.get('size_bytes'))}, {check}"
                     f"{entry.get('description', '')}")
        lines.append(f"     {path}")
    if settings.aliases:
        lines.append("Aliases: " + ", ".join(f"{k} -> {v}" for k, v in settings.aliases.items()))
    lines.append("Searched: the Hugging Face cache, LM Studio, Ollama and LocalAI.models_dir. "
                 "Any GGUF file works too: --model path/to/model.gguf")
    return "\n".join(lines)


def _size(size_bytes: Any) -> str:
    if not isinstance(size_bytes, int):
        return "size unknown"
    if size_bytes >= 2**30:
        return f"{size_bytes / 2**30:.1f} GiB"
    return f"{size_bytes / 2**20:.0f} MiB" if size_bytes >= 2**20 else f"{size_bytes:,} bytes"
