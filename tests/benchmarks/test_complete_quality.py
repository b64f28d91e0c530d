"""The inline completion quality harness's own logic: which tasks follow a live variable,
what a suggestion names that does not exist, and the Python a kernel would run."""

from __future__ import annotations

import pandas as pd
from complete_notebooks import executable, run_cells
from complete_quality import cut_tasks, follows_live, missing_name


def test_a_cut_right_after_a_live_variable_is_marked():
    assert follows_live("x = 1\ny = sales[", {"sales"})
    assert follows_live("sales.", {"sales"}) and follows_live("total = f(", {"f"})
    assert not follows_live("y = sales[", {"other"})
    assert not follows_live("y = ", {"sales"}) and not follows_live("pd.sales[", {"sales"})


def test_what_a_suggestion_names_that_does_not_exist():
    namespace = {"df": pd.DataFrame({"a": [1]})}
    assert missing_name("x = df['a'].sum()", "", namespace) == ""
    assert missing_name("x = df['b']", "", namespace) == "df['b']"
    assert missing_name("x = df.nope()", "", namespace) == "df.nope"
    assert missing_name("x = other + 1", "", namespace) == "other"
    assert missing_name("x = y + len(df)", "y = 2\n", namespace) == ""  # the cell defines y


def test_magic_lines_run_as_pass_and_the_rest_of_the_cell_runs():
    assert executable("%matplotlib inline\nimport math") == "pass\nimport math"
    assert executable("for i in range(2):\n    !ls") == "for i in range(2):\n    pass"
    assert executable("%%bash\nls -l") is None
    runs = run_cells(["%matplotlib inline\nimport math\nr = math.pi", "print(r)"])
    assert all(run.ok for run in runs)
    assert any(v.name == "r" for v in runs[1].context.variables)


def test_tasks_blank_the_rest_of_a_line_after_its_first_cut():
    tasks = cut_tasks("nb", 3, "x = df['a']\nprint(x)")
    assert [(t.prefix, t.truth) for t in tasks] == [("x = ", "df['a']"),
                                                    ("x = df['a']\nprint(", "x)")]
