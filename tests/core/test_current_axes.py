"""An Axes or Figure used under a name nothing binds gets the one pyplot draws on."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # after the backend is chosen
import pytest

from jupyter_localai.core.current_axes import with_current_axes
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace


def _notebook() -> KernelNamespace:
    return KernelNamespace({"plt": plt, "durations": [12, 15, 9, 30, 22]})


def _run(code: str, namespace: dict) -> dict:
    """Run the rewritten code as the kernel would, on a fresh figure."""
    plt.close("all")
    scope = dict(namespace)
    exec(compile(code, "<answer>", "exec"), scope)  # noqa: S102 - the test's own code
    return scope


def test_an_unbound_ax_used_as_an_axes_becomes_the_current_one() -> None:
    code = "plt.hist(durations, bins=4)\nax.set_title('Durations')\nax.set_xlabel('s')\n"
    rewritten, notes = with_current_axes(code, _notebook())
    assert rewritten.splitlines()[:2] == ["plt.hist(durations, bins=4)", "ax = plt.gca()"]
    assert notes == ["added `ax = plt.gca()`"]
    scope = _run(rewritten, {"plt": plt, "durations": [12, 15, 9, 30, 22]})
    assert scope["ax"].get_title() == "Durations"
    assert len(scope["ax"].patches) == 4  # the labels went on the drawn histogram's Axes


def test_an_unbound_fig_used_as_a_figure_becomes_the_current_one() -> None:
    code = "import matplotlib.pyplot as mp\nmp.plot([1, 2])\nfig.suptitle('Trend')\n"
    rewritten, notes = with_current_axes(code, KernelNamespace({}))
    assert "fig = mp.gcf()" in rewritten.splitlines()
    assert notes == ["added `fig = mp.gcf()`"]
    assert _run(rewritten, {})["fig"]._suptitle.get_text() == "Trend"


@pytest.mark.parametrize("code", [
    "plt.hist(durations)\nax.not_an_axes_method()\n",  # not the Axes' member
    "plt.hist(durations)\nprint(ax)\n",  # used as a value, not as an Axes
    "plt.hist(durations)\nax = make()\nax.set_title('t')\n",  # bound by the answer
    "def label():\n    ax.set_title('t')\n",  # runs later, on whatever is current then
])
def test_no_binding_where_the_name_is_not_plainly_the_current_axes(code: str) -> None:
    assert with_current_axes(code, _notebook()) == (code, [])


def test_no_binding_without_pyplot() -> None:
    code = "ax.set_title('t')\n"
    assert with_current_axes(code, KernelNamespace({"durations": [1, 2]})) == (code, [])


def test_run_task_binds_the_axes_instead_of_retrying() -> None:
    answer = "plt.hist(durations, bins=4)\nax.set_title('Durations')"
    engine = FakeEngine(f"```python\n{answer}\n```")
    request = TaskRequest(task="generate", prompt="a histogram of durations titled Durations",
                          retries=2)
    reply = run_task(engine, request, namespace=_notebook())
    assert reply.attempts == 1 and reply.warnings == []
    assert reply.code.strip().splitlines() == [
        "plt.hist(durations, bins=4)", "ax = plt.gca()", "ax.set_title('Durations')"]
    assert "Rewritten: added `ax = plt.gca()`" in reply.text
