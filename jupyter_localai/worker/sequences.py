"""Which KV sequence of the one llama.cpp context serves what (no llama_cpp import).

All sequences share the context's unified cache (its n_ctx cells): the chat keeps its
whole window, and a sequence holds cells only for what it has evaluated.
"""

from __future__ import annotations

# The chat's answers and prefills (`LoadedModel.evaluate_prompt` / `chat_tokens`).
CHAT_SEQ = 0
# Inline completions: their context stays warm apart from the chat's.
COMPLETION_SEQ = 1
# One answer's candidates at most (`GenerationRequest.n_candidates`); the first is the
# chat's own answer on CHAT_SEQ, the others use CANDIDATE_SEQS and are cleared after it.
MAX_CANDIDATES = 4
CANDIDATE_SEQS = tuple(range(2, 2 + MAX_CANDIDATES - 1))
N_SEQ = 2 + MAX_CANDIDATES - 1
