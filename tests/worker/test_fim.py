"""FIM token lookup, completion prompts, line limits and candidate seeds: no model needed."""

from __future__ import annotations

from jupyter_localai.worker.candidates import candidate_seed
from jupyter_localai.worker.completion import cut_at_lines
from jupyter_localai.worker.fim import FimTokens, completion_prompt, find_fim_tokens


def _vocab(*texts: str) -> list[tuple[int, str]]:
    return list(enumerate(texts))


def test_fim_tokens_are_found_by_their_text_wherever_they_are() -> None:
    vocab = _vocab("a", "<|fim_middle|>", "b", "<|fim_prefix|>", "<|file_sep|>", "<|fim_suffix|>")
    assert find_fim_tokens(vocab) == FimTokens(prefix=3, suffix=5, middle=1, file_sep=4)


def test_a_vocabulary_without_all_three_fim_tokens_has_none() -> None:
    assert find_fim_tokens(_vocab("a", "b", "<|endoftext|>")) is None
    assert find_fim_tokens(_vocab("<|fim_prefix|>", "<|fim_suffix|>", "fim_middle")) is None
    assert find_fim_tokens([]) is None


def _tokenize(text: str) -> list[int]:
    return [ord(ch) for ch in text]


def test_the_stable_part_is_a_token_prefix_of_every_request() -> None:
    fim = FimTokens(prefix=-1, suffix=-2, middle=-3)
    first = completion_prompt(fim, _tokenize, "x = 1", "y = x.", "\nprint(y)", [])
    later = completion_prompt(fim, _tokenize, "x = 1", "y = x.ap", "", [])
    assert first.tokens[: first.stable] == later.tokens[: later.stable]
    assert first.tokens[: first.stable] == [-1, *_tokenize("x = 1\n")]  # ends a line
    assert first.tokens[first.stable:] == [*_tokenize("y = x."), -2, *_tokenize("\nprint(y)"), -3]


def test_without_fim_the_prompt_is_context_then_prefix_and_the_suffix_is_ignored() -> None:
    prompt = completion_prompt(None, _tokenize, "a\n", "b", "SUFFIX", [7])
    assert prompt.tokens == [7, *_tokenize("a\nb")]
    assert prompt.stable == 3


def test_lines_are_cut_at_the_limit() -> None:
    assert cut_at_lines("", "a\nb\nc", 2) == ("a\nb", True)
    assert cut_at_lines("a\n", "b\nc", 2) == ("b", True)
    assert cut_at_lines("a", "bc", 1) == ("bc", False)
    assert cut_at_lines("", "\n", 1) == ("", True)


def test_candidate_seeds_are_fixed_and_distinct() -> None:
    seeds = [candidate_seed(0, i) for i in range(4)]
    assert seeds[0] == 0 and len(set(seeds)) == 4
    assert seeds == [candidate_seed(0, i) for i in range(4)]
    assert candidate_seed(5, 1) != candidate_seed(0, 1)
