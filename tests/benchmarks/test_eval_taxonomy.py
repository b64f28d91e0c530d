"""The failure taxonomy gives each failed task the class its recorded evidence supports."""

from __future__ import annotations

import eval_taxonomy as tx
import pytest

SETUP = ['import pandas as pd\norders = pd.DataFrame({"qty": [1, 2], "price": [3.0, 4.0]})']
GENERATE = tx.task_facts(
    "generate", SETUP, reference='orders["total"] = orders["qty"] * orders["price"]\n'
                                 'grand = orders["total"].sum()',
    request="add a column total (qty * price) and keep the grand total as grand")
FIX = tx.task_facts(
    "fix", SETUP, reference='per_qty = orders.groupby("qty")["price"].sum()',
    failing_cell='per_qty = orders.groupby("qty")["prce"].sum()')


def row(failure: str, error: str = "", code: str = "x = 1", **extra) -> dict:
    return {"passed": False, "failure": failure, "error": error, "code": code, **extra}


def test_task_facts_find_the_asked_for_names_and_the_users_data():
    assert GENERATE.data_names == {"orders"}
    assert GENERATE.target_names == {"grand"}
    assert GENERATE.target_columns == {"total"}
    assert FIX.target_names == {"per_qty"}
    assert {"qty", "price", "orders"} <= FIX.data_words


def test_passed_task_has_no_class():
    assert tx.classify({"passed": True, "failure": ""}, GENERATE) is None


@pytest.mark.parametrize(("result", "expected"), [
    (row("setup_error", "ModuleNotFoundError: No module named 'x'", code=""), "harness"),
    (row("failing_cell_did_not_fail", "expected KeyError, got no error", code=""), "harness"),
    (row("magic_error", "no reply recorded", code=""), "harness"),
    (row("timeout", "Timeout: no answer in 400 s", code=""), "timeout"),
    (row("unchanged", "the reply is the failing cell, unchanged"), "unchanged_fix"),
    (row("no_code", "the reply holds no code", code=""), "refusal"),
])
def test_classes_read_from_the_runs_category(result, expected):
    assert tx.classify(result, FIX) == expected


def test_failing_cell_handed_back_with_comments_is_unchanged():
    code = ('per_qty = orders.groupby("qty")["prce"].sum()\n'
            "# Error: KeyError: 'prce'\n# Hint: the column is price")
    assert tx.classify(row("answer_raised", "KeyError: 'prce'", code=code), FIX) == "unchanged_fix"


def test_code_cut_mid_statement_or_at_the_token_cap_is_truncated():
    cut = row("answer_raised", "SyntaxError: '(' was never closed",
              code='grand = orders.groupby("qty")["price"].agg(\n    total=("price", "sum"),')
    assert tx.classify(cut, GENERATE) == "truncated"
    capped = row("check_failed", "AssertionError", code="grand = 1", tokens=512, attempts=1)
    assert tx.classify(capped, GENERATE, max_tokens=512) == "truncated"
    # Tokens summed over three attempts are not one answer cut at the cap.
    retried = row("check_failed", "AssertionError", code="grand = 1", tokens=600, attempts=3)
    assert tx.classify(retried, GENERATE, max_tokens=512) != "truncated"
    assert tx.classify(row("check_failed", "AssertionError", code="grand = 1",
                           finish_reason="length"), GENERATE) == "truncated"


def test_complete_code_with_a_syntax_error_is_not_truncated():
    bad = row("answer_raised", "SyntaxError: invalid syntax", code="grand = = 1")
    assert tx.classify(bad, GENERATE) == "wrong_result"


def test_rebuilding_the_users_data_from_literals_is_invented_data():
    code = ('orders = pd.DataFrame({"qty": [5], "price": [1.0]})\n'
            'orders["total"] = orders["qty"] * orders["price"]\ngrand = orders["total"].sum()')
    assert tx.classify(row("check_failed", "AssertionError: 1", code=code), GENERATE) \
        == "invented_data"
    derived = 'orders = orders.copy()\norders["total"] = 1\ngrand = 2'
    assert tx.classify(row("check_failed", "AssertionError", code=derived), GENERATE) \
        == "wrong_result"
    # The setup replayed verbatim is the user's data, not made up.
    derived = SETUP[0] + '\norders["total"] = 1\ngrand = 2'
    assert tx.classify(row("check_failed", "AssertionError", code=derived), GENERATE) \
        == "wrong_result"


def test_library_call_the_installed_version_refuses_is_wrong_api():
    cases = [
        "TypeError: NDFrame.fillna() got an unexpected keyword argument 'method'",
        "AttributeError: 'DataFrame' object has no attribute 'append'",
        "AttributeError: module 'numpy' has no attribute 'float'",
        "TypeError: 'Series' object is not callable",
        "ModuleNotFoundError: No module named 'sklearn'",
    ]
    for error in cases:
        assert tx.classify(row("answer_raised", error, code="per_qty = 1"), FIX) == "wrong_api", error


def test_missing_names_columns_and_data_like_attributes_are_wrong_name():
    for error in ["NameError: name 'datetime' is not defined", "KeyError: 'prce'", "KeyError: 0",
                  "AttributeError: 'DataFrame' object has no attribute 'pric'"]:
        assert tx.classify(row("answer_raised", error, code="per_qty = 1"), FIX) == "wrong_name", error


def test_asked_for_name_missing_wrong_name_or_unassigned():
    other_name = 'orders["total"] = orders["qty"] * orders["price"]\ngrand_total = 7'
    assert tx.classify(row("check_failed", "NameError: name 'grand' is not defined",
                           code=other_name), GENERATE) == "wrong_name"
    other_column = 'orders["amount"] = orders["qty"] * orders["price"]\ngrand = 7'
    assert tx.classify(row("check_failed", "AssertionError", code=other_column), GENERATE) \
        == "wrong_name"
    only_shown = 'orders.groupby("qty")["price"].sum()'
    assert tx.classify(row("check_failed", "NameError: name 'per_qty' is not defined",
                           code=only_shown), FIX) == "unassigned_result"


def test_ran_but_wrong_state_is_wrong_result():
    code = 'per_qty = orders.groupby("qty")["price"].mean()'
    assert tx.classify(row("check_failed", "AssertionError: {1: 3.0}", code=code), FIX) \
        == "wrong_result"
    assert tx.classify(row("answer_raised", "ValueError: cannot reindex", code=code), FIX) \
        == "wrong_result"


def test_without_task_facts_the_record_alone_still_classifies():
    assert tx.classify(row("check_failed", "NameError: name 'grand' is not defined")) \
        == "wrong_name"
    assert tx.classify(row("answer_raised", "KeyError: 'x'")) == "wrong_name"
    assert tx.classify(row("check_failed", "AssertionError")) == "wrong_result"


def test_every_class_returned_is_declared():
    rows = [row("answer_raised", e) for e in ["KeyError: 'a'", "TypeError: x", "ValueError: y"]]
    assert {tx.classify(r, FIX) for r in rows} <= set(tx.CLASSES)


def _write_run(path, results, tasks_run="2 of 2"):
    import json

    summary = {"fix": {"tasks": len(results), "passed": sum(r["passed"] for r in results),
                       "pass_rate": 0.5},
               "generate": {"tasks": 0}, "overall": {"tasks": len(results), "passed": 1}}
    meta = {"model": "m", "commit": "abc1234", "options": "(defaults)", "tasks": "none_such",
            "tasks run": tasks_run}
    path.write_text(json.dumps({"meta": meta, "summary": summary, "results": results}))


def test_eval_table_counts_classes_per_run_and_skips_unfinished_runs(tmp_path):
    import eval_table

    results = [
        {"id": "a", "kind": "fix", "passed": True, "failure": ""},
        {"id": "b", "kind": "fix", "passed": False, "failure": "unchanged",
         "error": "the reply is the failing cell, unchanged", "code": "x = 1"},
    ]
    _write_run(tmp_path / "baseline_m.json", results)
    _write_run(tmp_path / "partial_m.json", results, tasks_run="1 of 2")
    runs = eval_table.load_runs(tmp_path, "*.json")
    assert [r["file"] for r in runs] == ["baseline_m.json"]
    header, _, row_line = eval_table.taxonomy_table([("round2", runs)])
    cells = [c.strip() for c in row_line.strip("|").split("|")]
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert cells[:6] == ["round2", "m", "fix", "no", "abc1234", "1/2"]
    assert cells[columns.index("unchanged_fix")] == "1"
    assert sum(int(c) for c in cells[6:] if c) == 1
