"""The one table of default settings: `LocalAI`'s traits, the engines and the core's
request types all read these, so a default is changed in one place.

Plain constants (standard library only), so kernels, the server, the engines and the core
can all import them without pulling in traitlets or Jupyter.
"""

from __future__ import annotations

DEFAULT_MODEL = "qwen2.5-coder-0.5b"

# Sampling and the prompt budget.
MAX_TOKENS = 512  # cap on the tokens of one answer
CONTEXT_TOKENS = 1536  # tokens of notebook context in a prompt
RETRIES = 2  # extra attempts when a reply fails its static checks
VERIFY_RETRIES = 4  # extra attempts under --verify
CANDIDATES = 1  # answers decoded together per attempt (benchmarks/results/candidates.md)
MAX_CANDIDATES = 4  # what the worker decodes at most (worker/sequences.py)

# The local model (llama.cpp through the worker).
N_CTX = 8192  # context window asked of llama.cpp
# llama.cpp's batch (and compute buffer) size: the worker never evaluates more than a
# prompt batch of worker/batch_plan.py PROMPT_CHUNK (256) at once, so a larger one only
# holds memory (8 MB more resident at 512, measured on the 0.5B model).
N_BATCH = 256
UNKNOWN_N_CTX = 4096  # what a prompt budget assumes when an engine cannot say its window
KV_RAM_BYTES = 256 << 20  # saved KV states kept in the worker's memory
KV_DISK_LIMIT_MB = 1024  # saved KV states on disk, every model together
LOAD_TIMEOUT_S = 300.0  # loading a model (first use may assemble it)

# Remote servers and the server extension.
REMOTE_TIMEOUT_S = 120.0  # a remote request is abandoned after this
MAX_REQUEST_BYTES = 8 << 20  # largest body of `ask`, `prefill`, chat completions
MAX_QUEUED_REQUESTS = 32  # answers running or waiting at once on the server

# Inline completion (the server's `complete` route).
COMPLETION_MAX_TOKENS = 48  # cap on the tokens of one suggestion
COMPLETION_MAX_LINES = 6  # cap on the lines of one suggestion (a small block on an empty line)
COMPLETION_CONTEXT_TOKENS = 1024  # tokens of notebook context before the cell being edited
COMPLETION_WAIT_MS = 1500  # a suggestion whose first token is later than this is dropped
