"""How likely one name was meant for another: typos, abbreviations, case and separators.

`difflib` alone ranks `quantile` above `qty` for a `df.quantity` that meant the column `qty`,
and `unitPrice` far from `Unit Price`. People (and small models) name columns in a handful of
regular ways: a word shortened to its first letters (`cust`, `desc`), to its consonants
(`qty`, `amt`, `cnt`), a phrase to its initials (`ppu`), and the same words with other case
and separators (`Unit Price`, `unit_price`, `unitPrice`). The score here weighs each of
those from the spelling alone, word by word, so no table of known abbreviations is needed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_VOWELS = frozenset("aeiou")
# A second candidate this close to the best makes the best a guess, not a clear match.
CLEAR_MARGIN = 0.05


def name_words(name: str) -> list[str]:
    """The words of a name, lower-cased: `unitPrice`, `Unit Price`, `unit_price` -> unit, price."""
    return [word.lower() for word in _WORD.findall(name)]


def _skeleton(word: str) -> str:
    """The first letter and the consonants after it, repeats collapsed: quantity -> qnty."""
    letters = word[0] + "".join(c for c in word[1:] if c not in _VOWELS)
    return re.sub(r"(.)\1+", r"\1", letters)


def _is_subsequence(short: str, long: str) -> bool:
    rest = iter(long)
    return all(c in rest for c in short)


def _abbreviation(short: str, long: str) -> float:
    """How well `short` reads as a shortening of `long` (0 when it cannot be one)."""
    if len(short) < 2 or len(short) >= len(long) or short[0] != long[0] or short.isdigit():
        return 0.0
    if long.startswith(short):  # cust -> customer, desc -> description
        return 0.9 if len(short) >= 3 else 0.7
    if not _is_subsequence(short, long):
        return 0.0
    score = 0.7
    if _is_subsequence(short, _skeleton(long)):  # qty -> qnty: made of its consonants
        score += 0.1
    if short[-1] == long[-1]:  # qty, amt, cnt keep the last letter
        score += 0.05
    return score - (0.2 if len(short) == 2 else 0.0)


def _word_score(a: str, b: str) -> float:
    if a == b:
        return 1.0
    short, long = sorted((a, b), key=len)
    typo = difflib.SequenceMatcher(None, a, b).ratio()
    return max(_abbreviation(short, long), typo if typo >= 0.75 else 0.0)


def _initials(words: list[str], other: list[str]) -> float:
    """`ppu` for price_per_unit: one word made of the other name's initials."""
    if len(words) != 1 or len(other) < 2 or len(words[0]) != len(other):
        return 0.0
    return 0.85 if words[0] == "".join(word[0] for word in other) else 0.0


def name_score(wrong: str, candidate: str) -> float:
    """0..1: how likely `candidate` is the name meant by `wrong` (1.0: the very name)."""
    if wrong == candidate:
        return 1.0
    a, b = name_words(wrong), name_words(candidate)
    if not a or not b:
        return difflib.SequenceMatcher(None, wrong, candidate).ratio()
    if wrong.lower() == candidate.lower():  # case only
        return 0.99
    if a == b:  # the same words, other case or separators
        return 0.97
    whole = difflib.SequenceMatcher(None, "".join(a), "".join(b)).ratio()
    short, long = sorted((a, b), key=len)
    matched = sum(max(_word_score(word, other) for other in long) for word in short)
    by_words = matched / len(long)
    return max(whole, by_words, _initials(a, b), _initials(b, a))


def ranked_names(wrong: str, candidates: Iterable[str], cutoff: float = 0.6) -> list[tuple[float, str]]:
    """(score, candidate) at or above `cutoff`, best first; ties keep the candidates' order."""
    scored = []
    for position, candidate in enumerate(dict.fromkeys(candidates)):
        if candidate != wrong:
            score = name_score(wrong, candidate)
            if score >= cutoff:
                scored.append((score, position, candidate))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [(score, candidate) for score, _, candidate in scored]


def closest_names(wrong: str, candidates: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The `n` names most likely meant by `wrong`, best first (difflib's interface)."""
    return [candidate for _, candidate in ranked_names(wrong, candidates, cutoff)[:n]]


def clear_match(wrong: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The one name `wrong` was meant to be, when one stands out; else None.

    Used where the match is applied as an edit, not only suggested: a near tie (`qty` and
    `qty_sold` for `quantity`) leaves the choice to the user or the model.
    """
    ranked = ranked_names(wrong, candidates, cutoff)
    if not ranked or len(ranked) > 1 and ranked[0][0] - ranked[1][0] < CLEAR_MARGIN:
        return None
    return ranked[0][1]
