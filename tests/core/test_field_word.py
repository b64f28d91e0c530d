"""A request word matched to the data's field names (`core/field_word.py`), one rule for the
key checks and the wide-table checks; and the sentences that name a name
(`core/targets.sentences_naming`), from which those checks read what is asked of it."""

from __future__ import annotations

import pytest

from jupyter_localai.core.field_word import word_names_field
from jupyter_localai.core.targets import sentences_naming


@pytest.mark.parametrize(("word", "field"), [
    ("customer", "customer"), ("customers", "customer"), ("customer", "customers"),
    ("branch", "branches"), ("branches", "branch"), ("customer", "customer_name"),
    ("customer", "Customer_ID"), ("customer", "customername"), ("store_id", "store"),
])
def test_a_word_names_its_field_in_the_usual_forms(word: str, field: str) -> None:
    assert word_names_field(word, field)


@pytest.mark.parametrize(("word", "field"), [
    ("customer", "custom"), ("item", "items_sold"), ("day", "weekday"), ("name", "customer"),
])
def test_a_word_does_not_name_a_field_it_only_overlaps(word: str, field: str) -> None:
    assert not word_names_field(word, field)


def test_the_sentences_naming_a_name_are_its_own() -> None:
    request = ("Make a dict `best` keyed by team. Store the mean (in m.s. units) in best_mean; "
               "best is printed.\nbestseller stays as it is.")
    assert sentences_naming(request, "best") == [
        "Make a dict `best` keyed by team", " best is printed"]
    assert sentences_naming(request, "best_mean") == [
        " Store the mean (in m.s. units) in best_mean"]
    assert sentences_naming(request, "worst") == []


def test_a_sentence_wrapped_over_lines_is_one_sentence() -> None:
    request = "Make a dict `best` keyed\nby team.\nTotals go in sums."
    assert sentences_naming(request, "best") == ["Make a dict `best` keyed by team"]
