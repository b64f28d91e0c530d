"""Letter case the request ignores and code that keeps it (`core/case_intent.py`): named,
never rewritten; code that folds case in any of the usual ways passes."""

from __future__ import annotations

import pytest

from jupyter_localai.core.checks import check_code

REQUEST = "Count the words of `notes`, treating words that differ only in letter case as one."


def kinds(code: str, request: str = REQUEST) -> set[str]:
    return {issue.kind for issue in check_code(code, request_text=request)}


def test_counting_words_as_written_is_named() -> None:
    code = ("from collections import Counter\n"
            "word_counts = Counter(w for n in notes for w in n.split())")
    assert "case_fold" in kinds(code)


@pytest.mark.parametrize("code", [
    "word_counts = Counter(w.lower() for n in notes for w in n.split())",
    "word_counts = Counter(w.casefold() for n in notes for w in n.split())",
    "words = pd.Series(notes).str.lower().str.split()",
    "import re\nhits = [re.findall('the', n, flags=re.IGNORECASE) for n in notes]",
    "hits = pd.Series(notes).str.contains('the', case=False)",
    "import re\nhits = [re.findall('(?i)the', n) for n in notes]",
])
def test_code_that_folds_case_passes(code: str) -> None:
    assert "case_fold" not in kinds(code)


@pytest.mark.parametrize("request_text", [
    "Count the words of `notes`, case-insensitively.",
    "Count the words of `notes` ignoring case.",
    "Count the words of `notes` in lowercase.",
])
def test_the_ways_a_request_ignores_case(request_text: str) -> None:
    assert "case_fold" in kinds("word_counts = Counter(notes)", request_text)


def test_a_request_that_keeps_case_leaves_the_code_alone() -> None:
    assert "case_fold" not in kinds("word_counts = Counter(notes)", "Count the words of `notes`.")
