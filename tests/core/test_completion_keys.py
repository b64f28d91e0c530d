"""The live frames' columns a completion request carries (`keys`): only frames whose every
column is known, not the names the cell rebinds, redacted, and none without variables."""

from __future__ import annotations

from jupyter_localai.core.completion_keys import live_keys
from jupyter_localai.core.completion_prompt import completion_prompt
from jupyter_localai.core.context import NotebookContext, VariableSummary
from jupyter_localai.core.engine import CompletionRequest

KEY = "sk-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4"


def frame(name: str, columns: list[str], relevance: float = 0.0) -> VariableSummary:
    listed = ", ".join(f"{c} (int64)" for c in columns)
    return VariableSummary(name, "DataFrame",
                           f"DataFrame, 10 rows x {len(columns)} columns\ncolumns: {listed}",
                           relevance=relevance)  # fmt: skip


def context(*variables: VariableSummary) -> NotebookContext:
    return NotebookContext(variables=list(variables))


def test_every_frame_whose_columns_are_all_listed_most_relevant_first():
    keys = live_keys(context(frame("old", ["a"]), frame("sales", ["region", "units"], 2.0),
                             VariableSummary("rate", "float", "float: 0.25")), "")
    assert keys == {"sales": ["region", "units"], "old": ["a"]}
    assert list(keys) == ["sales", "old"]


def test_a_cut_column_list_sends_nothing_for_that_frame():
    cut = VariableSummary("wide", "DataFrame",
                          "DataFrame, 10 rows x 40 columns\ncolumns: a (int64), b (int64)")
    assert live_keys(context(cut), "") == {}


def test_names_the_cell_rebinds_are_left_out():
    keys = live_keys(context(frame("df", ["a"]), frame("other", ["b"])), "df = load()\ndf[")
    assert keys == {"other": ["b"]}


def test_columns_are_redacted_as_the_prompt_is():
    keys = live_keys(context(frame("df", ["ok", KEY])), "")
    assert KEY not in str(keys) and keys["df"][0] == "ok"


def test_the_prompt_carries_the_keys_only_with_variables():
    notebook = context(frame("df", ["price"]))
    assert completion_prompt(notebook, 'df["', "").keys == {"df": ["price"]}
    assert completion_prompt(notebook, 'df["', "", with_variables=False).keys == {}
    assert completion_prompt(None, 'df["', "").keys == {}


def test_the_request_carries_the_keys_through_json():
    request = CompletionRequest(prefix='df["', keys={"df": ["price", "units"]})
    assert CompletionRequest.from_json(request.to_json()).keys == {"df": ["price", "units"]}
    assert CompletionRequest.from_json({"prefix": "x"}).keys == {}
    for bad in ({"df": "price"}, ["df"], {"df": [1]}):
        try:
            CompletionRequest.from_json({"keys": bad})
        except TypeError:
            continue
        raise AssertionError(f"accepted keys {bad!r}")


def test_the_line_being_written_may_read_the_name_it_rebinds():
    notebook = context(frame("df", ["price"]))
    assert live_keys(notebook, "df = df[") == {"df": ["price"]}
    assert completion_prompt(notebook, "df = df[", "").prefix.startswith("# df: DataFrame")
    # Once bound on an earlier line, the live `df` is the older object.
    assert live_keys(notebook, "df = df.dropna()\ndf[") == {}
