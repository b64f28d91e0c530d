"""Repairs: chained in-place calls become assignments, assigned in-place results stop
being assigned, a result under another name is bound to the asked-for one (made-up data
is not dropped); the repaired code does what the original said, and run_task offers it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.repairs import repaired, with_asked_name, with_function_called
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace


def _namespace() -> dict:
    return {"pd": pd, "passengers": pd.DataFrame({"age": [20.0, None, 40.0],
                                                  "name": ["Ada Byron", "Li Wei", "Bo Ek"]}),
            "laps": [61.0, 62.5], "np": np, "times": np.array([61.2, 59.8])}


@pytest.mark.parametrize(("code", "check"), [
    ("passengers['age'].fillna(passengers['age'].median(), inplace=True)",
     lambda ns: ns["passengers"]["age"].tolist() == [20.0, 30.0, 40.0]),
    ("passengers.age.fillna(0, inplace=True)",
     lambda ns: ns["passengers"]["age"].tolist() == [20.0, 0.0, 40.0]),
    ("laps = laps.append(63.0)", lambda ns: ns["laps"] == [61.0, 62.5, 63.0]),
    ("ordered = laps.sort(reverse=True)", lambda ns: ns["ordered"] == [62.5, 61.0]),
    ("passengers = passengers.dropna(inplace=True)", lambda ns: len(ns["passengers"]) == 2),
    ("if True:\n    laps = laps.append(1.0)  # add one", lambda ns: ns["laps"][-1] == 1.0),
])
def test_repaired_code_does_what_it_said(code: str, check) -> None:
    namespace = _namespace()
    repair = repaired(code, KernelNamespace(namespace))
    assert repair is not None and repair.notes
    exec(repair.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert check(namespace), repair.code


@pytest.mark.parametrize("code", [
    "passengers['age'] = passengers['age'].fillna(0)",
    "laps.append(63.0)",
    "x = 1; laps = laps.append(2.0)",
    # numpy's module has `sort`, `ravel` and `reshape` like an array: its sort returns a copy.
    "ordered = np.sort(times)",
    "not python (",
])
def test_nothing_to_repair(code: str) -> None:
    assert repaired(code, KernelNamespace(_namespace())) is None


@pytest.mark.parametrize(("answer", "prompt", "expected", "noted"), [
    ("passengers['age'].fillna(0, inplace=True)", "fill the missing ages with 0",
     "passengers['age'] = passengers['age'].fillna(0)",
     "passengers['age'] = passengers['age'].fillna(0)"),
    # A row of parts meant per value (`core/str_parts.py`).
    ("passengers['first'] = passengers['name'].str.split(' ')[0]", "add each first name",
     "passengers['first'] = passengers['name'].str.split(' ').str[0]",
     "`passengers['name'].str.split(' ')[0]` → `passengers['name'].str.split(' ').str[0]`"),
])
def test_run_task_offers_the_repair_instead_of_retrying(answer: str, prompt: str,
                                                        expected: str, noted: str) -> None:
    namespace = _namespace()
    engine = FakeEngine(f"```python\n{answer}\n```")
    request = TaskRequest(task="generate", prompt=prompt, retries=2)
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 1 and reply.warnings == []
    assert reply.code.strip() == expected
    assert "Rewritten:" in reply.text
    assert noted in reply.text


def test_standard_modules_used_without_their_import_get_one() -> None:
    from jupyter_localai.core.check_types import EmptyNamespace
    from jupyter_localai.core.repairs import with_missing_imports

    fixed = with_missing_imports("m = math.sqrt(2)\nr = re.sub('a', 'b', 'abc')", EmptyNamespace())
    assert fixed is not None and fixed.code.splitlines()[:2] == ["import math", "import re"]
    # the class of the same name, where the uses read it (this process loaded datetime)
    import datetime  # noqa: F401 - makes the module known, as any kernel has it

    now = with_missing_imports("t = datetime.now()", EmptyNamespace())
    assert now is not None and now.code.startswith("from datetime import datetime\n")
    day = with_missing_imports("d = datetime.date(2024, 1, 2)", EmptyNamespace())
    assert day is not None and day.code.startswith("import datetime\n")
    # a name that is no standard module: the model must say what it meant
    assert with_missing_imports("x = np.ones(3) + math.pi", EmptyNamespace()) is None


def _labels_namespace() -> dict:
    return {"np": np, "labels": np.array([2, 0, 1]), "values": [3, 4]}


def test_the_one_new_result_is_also_bound_to_the_asked_name() -> None:
    namespace = _labels_namespace()
    code = "total_sum = 0\nfor v in values:\n    total_sum += v\n"
    repair = with_asked_name(code, KernelNamespace(namespace), ["grand_total"])
    assert repair is not None and repair.code.endswith("\ngrand_total = total_sum\n")
    exec(repair.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert namespace["grand_total"] == 7


@pytest.mark.parametrize(("code", "asked"), [
    ("first = values[0]\nlast = values[-1]", ["ends"]),  # two candidates: the model's to say
    ("grand_total = sum(values)", ["grand_total"]),  # already assigned
    ("values = sorted(values)", ["ordered"]),  # only an existing variable changed
    ("a, b = values", ["pair"]),  # unpacked names are no single result
    ("x = 1\ny = 2", ["p", "q"]),  # two names missing
])
def test_no_asked_name_to_add(code: str, asked: list[str]) -> None:
    assert with_asked_name(code, KernelNamespace(_labels_namespace()), asked) is None


def test_run_task_binds_the_asked_name_instead_of_retrying() -> None:
    namespace = _labels_namespace()
    engine = FakeEngine("```python\nimport numpy as np\nencoded_labels = np.eye(3)[labels]\n```")
    request = TaskRequest(task="generate", retries=2,
                          prompt="one-hot encode labels and store the result in onehot")
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 1 and reply.warnings == []
    assert reply.code.rstrip().endswith("onehot = encoded_labels")
    assert "Rewritten:" in reply.text
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert namespace["onehot"].argmax(axis=1).tolist() == [2, 0, 1]


def test_made_up_data_is_left_to_the_model() -> None:
    """A literal that replaces the user's variable may carry a conversion the model meant
    (the strings '3', '4', '5' as numbers): the model is told, nothing is dropped."""
    namespace = {"readings": ["3", "4", "5"]}
    engine = FakeEngine("```python\nreadings = [3, 4, 5]\ntotal = sum(readings)\n```")
    request = TaskRequest(task="generate", retries=1, prompt="Set total to the sum of readings.")
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 2 and "readings = [3, 4, 5]" in reply.code
    assert any("made-up data" in warning for warning in reply.warnings)


def test_an_asked_value_left_an_uncalled_function_is_called_on_the_notebooks_names() -> None:
    namespace = {"np": np, "dist": np.array([[0.0, 2.0], [2.0, 0.0]])}
    code = ("def closest_pair(dist, eps=0.0):\n"
            "    masked = dist + np.diag([np.inf] * len(dist))\n"
            "    return tuple(int(v) for v in np.unravel_index(np.argmin(masked), masked.shape))\n")
    issues = check_code(code, namespace=KernelNamespace(namespace), required_names=["closest_pair"],
                        request_text="Find closest_pair, the two nearest depots in `dist`.")
    assert [i.kind for i in issues] == ["uncalled_function"]
    repair = with_function_called(code, KernelNamespace(namespace), ["closest_pair"])
    assert repair is not None and repair.code.endswith("\nclosest_pair = closest_pair(dist)\n")
    exec(repair.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert namespace["closest_pair"] == (0, 1)


@pytest.mark.parametrize("code", [
    "def closest_pair(points):\n    return points[:2]",  # `points` is no notebook variable
    "def closest_pair(dist):\n    return 1\nclosest_pair = closest_pair(dist)",  # called
    "def closest_pair(*rows):\n    return rows",  # what to pass is not plain
])
def test_no_call_where_the_arguments_or_the_intent_are_not_plain(code: str) -> None:
    namespace = KernelNamespace({"dist": np.zeros((2, 2))})
    assert with_function_called(code, namespace, ["closest_pair"]) is None


def test_a_function_the_request_asks_for_is_not_judged_uncalled() -> None:
    issues = check_code("def normalise(xs):\n    return xs", required_names=["normalise"],
                        request_text="Write a function `normalise` that scales a list.")
    assert "uncalled_function" not in [i.kind for i in issues]
