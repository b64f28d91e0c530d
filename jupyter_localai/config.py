"""The `LocalAI` settings, shared by the magics (kernel) and the server extension.

Default values come from the one table, `core/defaults.py`, which the engines read too.

One set of names everywhere: `c.LocalAI.model = ...` in `ipython_config.py` or
`jupyter_server_config.py`, `%config LocalAI.model = ...` in a notebook. The few things one
sets per shell also come from environment variables.
"""

from __future__ import annotations

import os

from traitlets import Bool, Dict, Enum, Float, Int, List, Unicode, default
from traitlets.config import Configurable

from .core import defaults

MODEL_ENV = "JUPYTER_LOCALAI_MODEL"
SERVER_URL_ENV = "JUPYTER_LOCALAI_SERVER_URL"
SERVER_SECRET_ENV = "JUPYTER_LOCALAI_SECRET"
WARM_ON_LOAD_ENV = "JUPYTER_LOCALAI_WARM_ON_LOAD"
DEFAULT_MODEL = defaults.DEFAULT_MODEL
AUTO_MODEL = "auto"  # model_choice.AUTO: pick by this machine's measured speed
DEFAULT_AUTO_MAX_SECONDS = 10.0


class LocalAI(Configurable):
    """Settings of the local assistant (model, sampling, context budget, engines)."""

    model = Unicode(
        help=(
            "Model to use: a registry name (see `%ai models`), a path to a GGUF file, an "
            "alias from `aliases`, or 'auto': the largest installed model whose typical ask "
            "(1,200 prompt + 150 answer tokens) takes at most `auto_max_seconds` on this "
            "machine, measured once per model (`%ai status` says which and why). Defaults "
            "to $JUPYTER_LOCALAI_MODEL, else 'auto'."
        ),
    ).tag(config=True)

    @default("model")
    def _default_model(self) -> str:
        return os.environ.get(MODEL_ENV) or AUTO_MODEL

    auto_max_seconds = Float(
        DEFAULT_AUTO_MAX_SECONDS,
        min=0.0,
        help="For model 'auto': the most seconds a typical ask (1,200 prompt tokens, 150 "
        "answer tokens) may take for a model to count as interactive here.",
    ).tag(config=True)

    n_ctx = Int(defaults.N_CTX, help="Context window of the loaded model, in tokens.").tag(config=True)
    n_threads = Int(
        0, help="llama.cpp threads; 0 means the number of physical cores (measured fastest)."
    ).tag(config=True)
    n_batch = Int(defaults.N_BATCH, help="llama.cpp prompt batch size.").tag(config=True)
    flash_attn = Bool(
        False,
        help="Use flash attention. Off by default: on a CPU it evaluates a warm follow-up's "
        "few dozen new tokens ~4x slower (0.82 s against 0.21 s for 21 tokens here) for 7% "
        "faster cold prompts (benchmarks/results/perf_settings_flash_attn.md).",
    ).tag(config=True)
    n_gpu_layers = Int(
        0,
        help="Layers llama.cpp offloads to the GPU: 0 none, -1 all. Needs a llama-cpp-python "
        "built with a GPU backend (CUDA, Metal, Vulkan; see README, 'GPUs'); a CPU-only build "
        "ignores it, and `%ai status` says so.",
    ).tag(config=True)
    main_gpu = Int(
        0, help="GPU that holds the model (split_mode 'none') or its small tensors ('row')."
    ).tag(config=True)
    split_mode = Enum(
        ["none", "layer", "row"],
        default_value="layer",
        help="How a model is spread over several GPUs: 'layer' (layers and KV cache), 'row' "
        "(rows of each tensor), or 'none' (main_gpu only).",
    ).tag(config=True)
    tensor_split = List(
        Float(),
        help="Share of the model each GPU gets, e.g. [3, 1]; empty lets llama.cpp decide.",
    ).tag(config=True)
    max_tokens = Int(defaults.MAX_TOKENS, help="Default cap on the tokens of one answer.").tag(config=True)
    temperature = Float(0.0, help="Default sampling temperature (0 = deterministic).").tag(
        config=True
    )
    seed = Int(0, help="Sampling seed, so answers are reproducible.").tag(config=True)
    context_tokens = Int(
        defaults.CONTEXT_TOKENS,
        help=(
            "Token budget for notebook context (cells, variables, errors) in a prompt. "
            "Larger budgets give the model more to go on but cost prompt time when cold."
        ),
    ).tag(config=True)
    summary_time_limit = Float(
        0.1, help="Seconds allowed to summarise one variable before it is skipped."
    ).tag(config=True)
    summary_max_chars = Int(600, help="Characters kept of one variable's summary.").tag(
        config=True
    )
    retries = Int(
        defaults.RETRIES, help="Extra attempts when a reply fails its static checks (0 disables)."
    ).tag(config=True)
    candidates = Int(
        defaults.CANDIDATES,
        help="Answers the local model decodes together for generate and fix (1 to 4): the "
        "first is streamed, and the first that passes the static checks is kept, so a "
        "failing answer may be replaced without another model call.",
    ).tag(config=True)
    verify_retries = Int(
        defaults.VERIFY_RETRIES,
        help=(
            "Extra attempts under `--verify`, where each candidate that fails in the forked "
            "copy is fed back with its error and hints (the user asked for a running answer)."
        ),
    ).tag(config=True)
    rehearse = Bool(
        True,
        help=(
            "Run each generate and fix candidate first in a guarded, forked copy of the kernel "
            "(files, network and processes refused there; the kernel and its variables "
            "untouched) and feed a failure back to the model. Per call: `--no-verify` skips "
            "it, `--verify` makes it strict. Needs fork() (not on Windows)."
        ),
    ).tag(config=True)
    rehearse_timeout = Float(
        20.0,
        help="Seconds a rehearsal may run a candidate before the copy is stopped.",
    ).tag(config=True)
    server_url = Unicode(
        help=(
            "URL of a Jupyter server running the jupyter_localai extension. Kernels started by "
            "such a server find it through the environment; set this only to force one."
        )
    ).tag(config=True)

    @default("server_url")
    def _default_server_url(self) -> str:
        return os.environ.get(SERVER_URL_ENV, "")

    use_server = Bool(
        True,
        help="Use the Jupyter server's resident model when the kernel runs under one.",
    ).tag(config=True)
    remote_url = Unicode(
        "",
        help=(
            "Base URL of an OpenAI-compatible server (llama-server, vLLM, Ollama, ...) to use "
            "as the default engine instead of a local model, e.g. http://gpu-box:8000/v1."
        ),
    ).tag(config=True)
    remote_api_key_env = Unicode(
        "",
        help="Name of the environment variable holding the remote server's API key, if any.",
    ).tag(config=True)
    remote_timeout = Float(defaults.REMOTE_TIMEOUT_S, help="Seconds before a remote request is abandoned.").tag(
        config=True
    )
    aliases = Dict(
        default_value={"fast": "qwen2.5-coder-0.5b", "big": "qwen2.5-coder-1.5b"},
        help=(
            "Short names for models. A value is a registry name, a GGUF path, or "
            "'remote:<base_url>#<model>' for an OpenAI-compatible server."
        ),
    ).tag(config=True)
    models_dir = Unicode(
        "",
        help=(
            "Folder(s) of GGUF files, joined with the OS path separator (':' or ';'): `%ai "
            "models` lists their files, which `model` can name by file name. The first also "
            "holds the assembled embedded models; empty means the user cache dir."
        ),
    ).tag(config=True)
    load_on_start = Bool(
        False, help="Server extension: load the model when the server starts, not on first use."
    ).tag(config=True)
    max_request_bytes = Int(
        defaults.MAX_REQUEST_BYTES,
        help="Server extension: largest body of `ask`, `prefill` and chat completion requests "
        "(bytes); larger ones get 413 before they are read. Other routes take 64 KiB.",
    ).tag(config=True)
    max_queued_requests = Int(
        defaults.MAX_QUEUED_REQUESTS,
        help="Server extension: answers running or waiting at once; more get 429 (queue "
        "full) instead of waiting without bound. 0: no limit.",
    ).tag(config=True)
    prefill = Bool(
        True, help="Warm the model's cache with the notebook's context after each cell runs."
    ).tag(config=True)
    warm_on_load = Bool(
        help="Loading the extension is the signal to get ready: the model starts loading in "
        "the background (its own process; the kernel never waits) and, with `prefill`, the "
        "notebook's context is warmed after every cell from then on, so the first question "
        "is as fast as later ones. Costs the model's memory from `%load_ext` on and idle CPU "
        "while cells are added (README). Off: the model starts with the first question, and "
        "cells prefill only after a question with notebook context. Defaults to "
        "$JUPYTER_LOCALAI_WARM_ON_LOAD (0 turns it off), else on.",
    ).tag(config=True)

    @default("warm_on_load")
    def _default_warm_on_load(self) -> bool:
        return os.environ.get(WARM_ON_LOAD_ENV, "1").strip().lower() not in ("0", "false", "no", "off")

    kv_disk_limit_mb = Int(
        defaults.KV_DISK_LIMIT_MB,
        min=0,
        help=(
            "Disk space, in MiB, that saved KV states (one per notebook, so a notebook opened "
            "again answers warm) may take across every model's folder under "
            "$JUPYTER_LOCALAI_KV_DIR; the oldest states go first. 0 keeps them in RAM only."
        ),
    ).tag(config=True)
    completion = Bool(
        True,
        help="Inline completion: ghost text in notebook cells from the resident model (the "
        "server's `complete` route; JupyterLab's Inline Completer settings turn the provider "
        "on or off per user). Off: the route answers 409 and nothing is generated.",
    ).tag(config=True)
    completion_max_tokens = Int(
        defaults.COMPLETION_MAX_TOKENS, min=1, help="Cap on the tokens of one inline suggestion."
    ).tag(config=True)
    completion_max_lines = Int(
        defaults.COMPLETION_MAX_LINES,
        min=1,
        help="Cap on the lines of one inline suggestion (a block is suggested only on an "
        "empty line; otherwise a suggestion ends with the statement or block it is in).",
    ).tag(config=True)
    completion_context_tokens = Int(
        defaults.COMPLETION_CONTEXT_TOKENS,
        min=0,
        help="Tokens of earlier cells before the cell being edited in a completion prompt; "
        "prefilled when cells run (the variables the cell names go in hint lines above it).",
    ).tag(config=True)
    completion_wait_ms = Int(
        defaults.COMPLETION_WAIT_MS,
        min=1,
        help="A suggestion whose first token has not come after this many milliseconds (the "
        "model busy with a long answer) is dropped: the route answers 'no suggestion'.",
    ).tag(config=True)
    completion_model = Unicode(
        "",
        help="Model for inline completion; empty: the resident model (one copy in memory, "
        "its cache already warm with the notebook). Another name loads a second model in a "
        "worker of its own.",
    ).tag(config=True)
