"""Static checks: each failure mode of small models is caught, correct code passes."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_localai.core.checks import ContextNamespace, asked_names, check_code
from jupyter_localai.kernel.context.namespace import KernelNamespace


@pytest.fixture
def namespace() -> KernelNamespace:
    frame = pd.DataFrame({"price": [1.0, 2.0], "region": ["north", "south"]})
    return KernelNamespace({"df": frame, "pd": pd, "settings": {"alpha": 1}})


def kinds(issues: list) -> set[str]:
    return {issue.kind for issue in issues}


def test_correct_code_passes(namespace: KernelNamespace) -> None:
    code = "answer = df.groupby('region')['price'].mean()"
    assert check_code(code, namespace=namespace, required_names=["answer"]) == []


def test_syntax_error(namespace: KernelNamespace) -> None:
    assert kinds(check_code("x = (1,", namespace=namespace)) == {"syntax"}


def test_empty_reply() -> None:
    assert kinds(check_code("  \n")) == {"empty"}


def test_invented_data_overwriting_a_variable(namespace: KernelNamespace) -> None:
    code = "df = pd.DataFrame({'price': [3, 4]})\nanswer = df.price.mean()"
    assert "rebinds" in kinds(check_code(code, namespace=namespace))


def test_transforming_a_variable_is_not_invented_data(namespace: KernelNamespace) -> None:
    assert check_code("df = df.dropna()", namespace=namespace) == []


def test_undefined_names(namespace: KernelNamespace) -> None:
    issues = check_code("result = data['price'].sum()", namespace=namespace)
    assert kinds(issues) == {"undefined"}
    assert "`data`" in issues[0].message


def test_a_function_the_request_asks_for_but_the_code_only_calls_is_named() -> None:
    request = "Write slugify(title) that lowercases and joins words with '-'; set slug."
    issues = check_code("slug = slugify('Hello World')", request_text=request)
    undefined = next(issue for issue in issues if issue.kind == "undefined")
    assert "`def slugify(...):`" in undefined.message
    # A name the request does not write as a call gets the plain message.
    plain = check_code("slug = slugify('Hello World')", request_text="Make a slug.")
    assert "def slugify" not in next(i for i in plain if i.kind == "undefined").message


def test_an_asked_name_that_only_renames_a_live_variable_is_an_issue() -> None:
    namespace = ContextNamespace(["wide"])
    issues = check_code("import pandas as pd\nlong = wide\n", namespace=namespace,
                        required_names=["long"])
    assert kinds(issues) == {"alias"} and "`long = wide`" in issues[0].message
    # A name computed in the code, or the live variable transformed, is a result.
    computed = "tmp = wide.melt(id_vars='k')\nlong = tmp\n"
    assert check_code(computed, namespace=namespace, required_names=["long"]) == []
    assert check_code("long = wide.melt(id_vars='k')", namespace=namespace,
                      required_names=["long"]) == []


def test_names_defined_in_the_code_are_not_undefined() -> None:
    code = (
        "import numpy as np\n"
        "def f(a, *rest, k=1, **kw):\n    return [b for b in rest] + [lambda z: z]\n"
        "for i, j in enumerate([1]):\n    pass\n"
        "try:\n    f(1)\nexcept ValueError as err:\n    print(err)\n"
        "with open(__file__) as fh:\n    y = fh\n"
        "x = np.array([i, j])\n"
    )
    assert check_code(code) == []


def test_missing_asked_for_name(namespace: KernelNamespace) -> None:
    issues = check_code("df['price'].mean()", namespace=namespace, required_names=["answer"])
    assert kinds(issues) == {"missing"}


def test_unknown_attribute_with_suggestion(namespace: KernelNamespace) -> None:
    issues = check_code("print(df.shapee)", namespace=namespace)
    assert kinds(issues) == {"attribute"}
    assert "df.shape" in issues[0].message


def test_unknown_column_with_suggestion(namespace: KernelNamespace) -> None:
    issues = check_code("total = df['prices'].sum()", namespace=namespace)
    assert kinds(issues) == {"column"}
    assert "'price'" in issues[0].message


def test_new_column_is_not_unknown(namespace: KernelNamespace) -> None:
    assert check_code("df['total'] = df['price'] * 2\nprint(df['total'])",
                      namespace=namespace) == []


def test_unchanged_fix(namespace: KernelNamespace) -> None:
    failing = "print(df.shapee)\n"
    issues = check_code("print(df.shapee)", namespace=namespace, failing_source=failing)
    assert kinds(issues) == {"unchanged"}
    commented = "# Error: no attribute 'shapee'\n# Corrected cell:\nprint( df.shapee )  # fixed"
    issues = check_code(commented, namespace=namespace, failing_source=failing)
    assert kinds(issues) == {"unchanged"}
    assert "unchanged" not in kinds(check_code("print(df.shape)", namespace=namespace,
                                               failing_source=failing))


def test_context_namespace_knows_variables_and_imports() -> None:
    imports = ["pd = pandas (2.2.3)", "numpy as np", "os", "scipy (1.14.1)"]
    namespace = ContextNamespace(["df"], imports)
    assert all(namespace.has(name) for name in ("df", "pd", "np", "os", "scipy"))
    assert check_code("x = np.log(df['a'])\nprint(os.sep, pd)", namespace=namespace) == []


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("compute the mean price per region into a variable called `answer`", ["answer"]),
        ("Store the result in top_regions and plot it", ["top_regions"]),
        ("make a list named evens of the even numbers", ["evens"]),
        ("write a function called clean_names", ["clean_names"]),
        ("put the answer in `result`", ["result"]),
        ("add a column named total to df", []),
        ("plot the prices and save it to disk", []),
    ],
)
def test_asked_names(request_text: str, expected: list[str]) -> None:
    assert asked_names(request_text) == expected


@pytest.fixture
def orders() -> KernelNamespace:
    frame = pd.DataFrame({"qty": [2, 3], "unit_px": [1.5, 2.0], "Cust Name": ["a", "b"]})
    return KernelNamespace({"orders": frame, "pd": pd})


def test_a_missing_attribute_used_as_a_value_suggests_the_column(orders: KernelNamespace) -> None:
    issues = check_code("total = orders.quantity * orders.unit_px", namespace=orders)
    assert [issue.kind for issue in issues] == ["attribute"]
    assert "the column 'qty' (`orders.qty`)" in issues[0].message
    assert "quantile" not in issues[0].message


def test_a_called_missing_attribute_suggests_a_method(orders: KernelNamespace) -> None:
    issues = check_code("q = orders.quantle(0.5)", namespace=orders)
    assert "`orders.quantile`" in issues[0].message


def test_a_column_that_is_no_identifier_is_suggested_as_a_key(orders: KernelNamespace) -> None:
    issues = check_code("names = orders.cust_name.str.upper()", namespace=orders)
    assert "`orders['Cust Name']`" in issues[0].message
    issues = check_code("names = orders['customer_name']", namespace=orders)
    assert "Did you mean `'Cust Name'`?" in issues[0].message


def test_a_fix_may_recreate_what_the_failing_cell_itself_assigned() -> None:
    """The failing cell ran `counts = {}` before it raised: `counts` exists, and a fix that
    starts it again is that cell's own doing, not made-up data; an answer that is no fix of
    that cell is still told."""
    namespace = KernelNamespace({"words": ["a", "b"], "counts": {}})
    failing = "counts = {}\nfor w in words:\n    counts[w] += 1"
    fix = "counts = {}\nfor w in words:\n    counts[w] = counts.get(w, 0) + 1"
    assert "rebinds" not in kinds(check_code(fix, namespace=namespace, failing_source=failing))
    assert "rebinds" in kinds(check_code(fix, namespace=namespace))


def test_an_attribute_pandas_hides_from_dir_is_not_reported_missing() -> None:
    # pandas 3 keeps `Series.tolist` (and `Index.tolist`) out of dir(); it still works.
    series = pd.Series([3, 1], index=["a", "b"])
    view = KernelNamespace({"series": series})
    assert check_code("values = series.tolist()\nlabels = series.index.tolist()",
                      namespace=view) == []
    assert [i.kind for i in check_code("values = series.tolists()", namespace=view)] == [
        "attribute"]
