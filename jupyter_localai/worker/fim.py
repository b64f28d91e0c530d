"""Fill-in-the-middle prompts for inline completion, from the model's own vocabulary.

A code model trained for FIM (Qwen2.5-Coder, StarCoder2, ...) has special tokens named
`<|fim_prefix|>`, `<|fim_suffix|>`, `<|fim_middle|>`; they are found by scanning the
vocabulary for those texts, never assumed from a model's name. The prompt is the plain
(single-file) form, because the context is a summary of the notebook, not a file:

    <|fim_prefix|>{context}{prefix}<|fim_suffix|>{suffix}<|fim_middle|>

Its stable part, `<|fim_prefix|>{context}`, comes first, so it can be evaluated ahead of
the keystrokes (`prefill_completion`) and a keystroke re-evaluates only what follows the
longest common prefix. Each part is tokenized on its own and the token lists joined, so the
stable part's tokens are always a prefix of the request's. A model without FIM tokens
continues `{context}{prefix}` as plain text (the suffix is ignored).

No llama_cpp here: the vocabulary and the tokenizer are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

FIM_TEXTS = {
    "prefix": "<|fim_prefix|>",
    "suffix": "<|fim_suffix|>",
    "middle": "<|fim_middle|>",
    "file_sep": "<|file_sep|>",
    "repo_name": "<|repo_name|>",
}


@dataclass(frozen=True)
class FimTokens:
    """The ids of a vocabulary's FIM tokens (the repo-level ones when it has them)."""

    prefix: int
    suffix: int
    middle: int
    file_sep: int | None = None
    repo_name: int | None = None


def find_fim_tokens(vocabulary: Iterable[tuple[int, str]]) -> FimTokens | None:
    """The FIM tokens of a vocabulary given as (id, text) pairs; None unless it has all
    of prefix, suffix and middle."""
    wanted = {text: name for name, text in FIM_TEXTS.items()}
    found: dict[str, int] = {}
    for token, text in vocabulary:
        name = wanted.get(text)
        if name is not None and name not in found:
            found[name] = token
            if len(found) == len(wanted):
                break
    if not all(name in found for name in ("prefix", "suffix", "middle")):
        return None
    return FimTokens(**found)


def stable_context(context: str) -> str:
    """The context as it is evaluated: ending at a line's end, so the cell's first token
    never merges with the context's last one."""
    return context if not context or context.endswith("\n") else context + "\n"


@dataclass(frozen=True)
class CompletionPrompt:
    """A completion's tokens; its first `stable` tokens depend on the context only."""

    tokens: list[int]
    stable: int


def completion_prompt(
    fim: FimTokens | None,
    tokenize: Callable[[str], list[int]],
    context: str,
    prefix: str,
    suffix: str,
    bos: list[int],
) -> CompletionPrompt:
    """The tokens of a completion at a cursor (see the module docstring for the form)."""
    head = [*bos, fim.prefix] if fim is not None else list(bos)
    stable = head + tokenize(stable_context(context))
    if fim is None:
        return CompletionPrompt(stable + tokenize(prefix), len(stable))
    tokens = [*stable, *tokenize(prefix), fim.suffix, *tokenize(suffix), fim.middle]
    return CompletionPrompt(tokens, len(stable))
