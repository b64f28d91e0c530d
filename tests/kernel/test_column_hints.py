"""A column, key or import the failing cell gets wrong is named from the live data, hinted
and offered as an exact edit (a real IPython shell records each failure)."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from jupyter_localai.core.context import NotebookContext
from jupyter_localai.core.prompt import format_error
from jupyter_localai.core.quickfix import hinted_fixes
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.history import last_error
from jupyter_localai.kernel.context.namespace import KernelNamespace

FRAMES = [
    # (columns, failing expression, column meant)
    ("{'order_id': [1, 2], 'qty': [2, 3], 'price': [1.5, 2.0]}",
     "total = (orders.quantity * orders.price).sum()", "qty"),
    ("{'cust_id': [7, 8], 'amt': [10.0, 12.5]}",
     "paid = orders.amount.sum()", "amt"),
    ("{'Unit Price': [1.5, 2.0], 'units': [2, 3]}",
     "total = (orders.unit_price * orders.units).sum()", "Unit Price"),
    ("{'customer_id': [1, 2], 'region': ['n', 's']}",
     "ids = orders['cust_id'].nunique()", "customer_id"),
]


@pytest.mark.parametrize(("columns", "failing", "meant"), FRAMES)
def test_the_real_column_is_hinted_and_edited_in(run_cells: Any, columns: str, failing: str,
                                                 meant: str) -> None:
    shell = run_cells("import pandas as pd", f"orders = pd.DataFrame({columns})", failing)
    error = last_error(shell)
    assert error is not None and error.exc_type in ("AttributeError", "KeyError")
    prompt = format_error(error)
    assert repr(meant) in prompt and "quantile" not in prompt
    fixes = hinted_fixes(error, failing)
    assert fixes, prompt
    namespace = {"orders": shell.user_ns["orders"]}
    exec(fixes[0].code, namespace)  # noqa: S102 - the test runs the candidate on purpose


def test_every_misspelt_column_of_the_cell_is_fixed_at_once(run_cells: Any) -> None:
    failing = "total = (orders.quantity * orders.price_per_unit).sum()"
    shell = run_cells("import pandas as pd",
                      "orders = pd.DataFrame({'qty': [2, 3], 'ppu': [1.5, 2.0]})", failing)
    error = last_error(shell)
    assert error is not None
    engine = FakeEngine(f"```python\n{failing}\n```")  # the model hands the cell back
    request = TaskRequest(task="fix", context=NotebookContext(last_error=error), retries=0)
    reply = run_task(engine, request, namespace=KernelNamespace(shell.user_ns))
    assert reply.code.strip() == "total = (orders.qty * orders.ppu).sum()"
    namespace = {"orders": shell.user_ns["orders"]}
    exec(reply.code, namespace)  # noqa: S102
    assert namespace["total"] == 2 * 1.5 + 3 * 2.0


def test_an_ambiguous_column_is_hinted_but_not_edited(run_cells: Any) -> None:
    shell = run_cells("import pandas as pd",
                      "orders = pd.DataFrame({'quantity': [1], 'quality': [2]})",
                      "x = orders.qty + 1")
    error = last_error(shell)
    assert error is not None and error.edits == []


def test_a_dict_key_by_initials(run_cells: Any) -> None:
    shell = run_cells("config = {'learning_rate': 0.1, 'epochs': 3}", "lr = config['lr'] * 2")
    error = last_error(shell)
    assert error is not None and error.edits == [["'lr'", "'learning_rate'"]]


def test_a_forgotten_standard_module_is_imported(run_cells: Any) -> None:
    shell = run_cells("root = math.sqrt(16)")
    error = last_error(shell)
    assert error is not None
    fixes = hinted_fixes(error, "root = math.sqrt(16)")
    assert fixes[0].code == "import math\nroot = math.sqrt(16)"


@pytest.mark.parametrize(("cell", "statement"), [
    ("cutoff = datetime(2024, 1, 15)", "from datetime import datetime"),  # the class is meant
    ("today = datetime.date.today()", "import datetime"),  # the module is meant
    ("files = glob('*.csv')", "from glob import glob"),
])
def test_a_module_used_as_its_same_named_member_imports_the_member(
        run_cells: Any, cell: str, statement: str) -> None:
    error = last_error(run_cells(cell))
    assert error is not None
    assert hinted_fixes(error, cell)[0].code == f"{statement}\n{cell}"


@pytest.mark.parametrize(("alias", "package"), [("np", "numpy"), ("tf", "tensorflow"),
                                                ("pl", "polars")])
def test_an_alias_is_imported_only_where_its_package_is_installed(
        run_cells: Any, alias: str, package: str) -> None:
    shell = run_cells(f"x = {alias}.zeros(3)")
    error = last_error(shell)
    assert error is not None
    offered = any("import" in fix.code for fix in hinted_fixes(error, f"x = {alias}.zeros(3)"))
    assert offered == (importlib.util.find_spec(package) is not None)


def test_a_groupby_selection_with_an_abbreviated_column_gets_the_exact_edit(
        run_cells: Any) -> None:
    """pandas says "Column not found: qty" for a groupby selection; the column is the
    grouped frame's, and the rewrite is of the key inside the chain."""
    cell = 'per_wh = shipments.groupby("warehouse")["qty"].sum()'
    shell = run_cells("import pandas as pd\nshipments = pd.DataFrame({'warehouse': ['W1', 'W2'], "
                      "'quantity': [40, 15], 'weight_kg': [1.0, 2.0]})", cell)
    error = last_error(shell)
    assert error is not None and error.edits == [['"qty"', '"quantity"']]
    assert "shipments.groupby(...)[\"quantity\"]" in " ".join(error.hints)
    assert hinted_fixes(error, cell)[0].code == cell.replace('"qty"', '"quantity"')


def test_fillna_with_the_removed_method_keyword_becomes_ffill(run_cells: Any) -> None:
    cell = 'sensor["reading"] = sensor["reading"].fillna(method="ffill", limit=2)'
    shell = run_cells("import pandas as pd\nsensor = pd.DataFrame({'reading': [1.0, None, 3.0]})",
                      cell)
    error = last_error(shell)
    if error is None:  # a pandas that still takes the keyword: nothing to fix here
        pytest.skip("the installed pandas accepts fillna(method=...)")
    fixed = hinted_fixes(error, cell)[0].code
    assert fixed == 'sensor["reading"] = sensor["reading"].ffill(limit=2)'
