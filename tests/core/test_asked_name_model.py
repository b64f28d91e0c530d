"""The asked-for variable on the real embedded model: requests phrased as "I need a list X",
"put ... into a dict X" or "give me a Series X" name X as the answer's target, and the
kept answer, run as a cell, leaves X bound, whether the model wrote it so, was told, or
its only new result was bound to X by `with_asked_name` (`core/repairs.py`). The repair
is also run on the model's own answers to the same requests asked without a name."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_localai.core.context import CellRecord, NotebookContext, VariableSummary
from jupyter_localai.core.repairs import with_asked_name
from jupyter_localai.core.targets import asked_names
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.kernel.context.namespace import KernelNamespace

pytestmark = pytest.mark.model

SETUP = "nums = [3, 8, 5, 12, 7, 4]\nwords = ['pear', 'fig', 'apple', 'kiwi']"
CONTEXT = NotebookContext(
    cells=[CellRecord(1, SETUP)],
    variables=[VariableSummary("nums", "list", "list of 6 int: [3, 8, 5, 12, 7, 4]"),
               VariableSummary("words", "list", "list of 4 str: ['pear', 'fig', 'apple', 'kiwi']")],
)
# Each: the request in one of the phrasings `core/targets.py` reads, the name it asks for.
ASKS = [
    ("I need a list evens of the even numbers in nums.", "evens"),
    ("Put the length of each word in words into a dict lengths keyed by the word.", "lengths"),
    ("Give me a list longest of the words in words longer than 3 letters.", "longest"),
]
# The same work asked without naming where the result goes.
UNNAMED = [
    "Make a list of the even numbers in nums.",
    "Make a dict of the length of each word in words, keyed by the word.",
    "Make a list of the words in words longer than 3 letters.",
]


def fresh_namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(SETUP, namespace)  # noqa: S102 - the notebook's own setup cell
    return namespace


def ask(worker_engine: Any, prompt: str, namespace: dict[str, Any], retries: int) -> Any:
    worker_engine.reset_cache()
    request = TaskRequest("generate", prompt, context=CONTEXT, max_tokens=128,
                          retries=retries, temperature=0.0, seed=0)
    return run_task(worker_engine, request, namespace=KernelNamespace(namespace))


@pytest.mark.parametrize("prompt, name", ASKS)
def test_the_asked_name_is_bound_when_the_kept_answer_runs(worker_engine: Any, prompt: str,
                                                           name: str) -> None:
    assert asked_names(prompt) == [name]
    namespace = fresh_namespace()
    reply = ask(worker_engine, prompt, namespace, retries=2)
    assert not any(f"`{name}`" in warning for warning in reply.warnings), reply.warnings
    exec(compile(reply.code, "<answer>", "exec"), namespace)  # noqa: S102 - the answer, on purpose
    assert name in namespace, reply.code
    assert namespace["nums"] == [3, 8, 5, 12, 7, 4]


def test_the_repair_binds_the_asked_name_to_the_models_own_result(worker_engine: Any) -> None:
    repaired = 0
    for prompt in UNNAMED:
        namespace = fresh_namespace()
        reply = ask(worker_engine, prompt, namespace, retries=0)
        repair = with_asked_name(reply.code, KernelNamespace(namespace), ["picked"])
        if repair is None:  # no single new result (a bare expression, two names): left as is
            continue
        assert repair.code.startswith(reply.code.rstrip("\n"))
        added = repair.code.rstrip().splitlines()[-1]
        assert added.startswith("picked = ")
        assert repair.notes == [f"added `{added}` (the request asked for `picked`)"]
        exec(compile(repair.code, "<answer>", "exec"), namespace)  # noqa: S102
        assert "picked" in namespace and namespace["picked"] is not None, repair.code
        repaired += 1
    assert repaired >= 1, "no answer bound exactly one new result"
