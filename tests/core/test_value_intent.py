"""Values of the data the request names, and code that never reads the field holding them
(`core/value_intent.py`, judged in the rehearsal)."""

from __future__ import annotations

import pandas as pd

from jupyter_localai.core.value_intent import ignored_condition, request_words

MOVES = [{"who": "ida", "qty": 5, "kind": "deposit"}, {"who": "lev", "qty": 2, "kind": "deposit"},
         {"who": "ida", "qty": 3, "kind": "withdrawal"}]
ASK = request_words("Net each person's stock: a deposit adds qty and a withdrawal removes it. "
                    "Store a dict net_stock.")


def test_code_that_never_reads_the_field_of_the_named_values_is_told() -> None:
    code = ("net_stock = {}\nfor m in moves:\n"
            "    net_stock[m['who']] = net_stock.get(m['who'], 0) + m['qty']")
    found = ignored_condition(code, ASK, {"moves": MOVES})
    assert found is not None
    assert "'deposit' and 'withdrawal'" in found and "'kind' of `moves`" in found


def test_code_that_reads_the_field_or_a_named_value_passes() -> None:
    by_field = ("net_stock = {}\nfor m in moves:\n    sign = 1 if m['kind'] == 'deposit' else -1\n"
                "    net_stock[m['who']] = net_stock.get(m['who'], 0) + sign * m['qty']")
    assert ignored_condition(by_field, ASK, {"moves": MOVES}) is None
    frame = pd.DataFrame(MOVES)
    by_value = "net_stock = moves[moves.kind != 'withdrawal'].groupby('who')['qty'].sum()"
    assert ignored_condition(by_value, ASK, {"moves": frame}) is None


def test_values_of_data_the_code_does_not_read_or_plain_words_are_not_judged() -> None:
    code = "net_stock = {'ida': 2}"
    assert ignored_condition(code, ASK, {"moves": MOVES}) is None  # `moves` not read
    tickets = pd.DataFrame({"state": ["open", "closed"], "hours": [1, 2]})
    ask = request_words("Open the tickets frame and sum the hours into total_hours.")
    assert ignored_condition("total_hours = tickets['hours'].sum()", ask,
                             {"tickets": tickets}) is None
    notes = pd.DataFrame({"text": ["a long free text note here", "another one"]})
    assert ignored_condition("n = len(notes)", request_words("another"), {"notes": notes}) is None
