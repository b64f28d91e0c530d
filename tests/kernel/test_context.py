"""collect_context / context_json on real shells: ranked, bounded, redacted, side-effect free."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from support.kernel_driver import KernelDriver

from jupyter_localai.config import LocalAI
from jupyter_localai.core.context import NotebookContext
from jupyter_localai.core.prompt import PromptBudget, context_parts
from jupyter_localai.kernel.context import context_json  # the panel's entry point
from jupyter_localai.kernel.context.collect import collect_context, recent_window

PANEL_CALL = (
    '__import__("jupyter_localai.kernel.context", fromlist=["_"])'
    '.context_json(get_ipython(), "{request}")'
)
GITHUB_TOKEN = "ghp_" + "Vx7" * 12
OPENAI_KEY = "sk-proj-" + "Rt5" * 15
PLAIN_PASSWORD = "plain-hunter-22"
ENV_SECRET = "env-only-value-91"
URL_PASSWORD = "Pg8pass"
PRIVATE_KEY_BODY = "MIIEowIBAAKCAQEA1c7z9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH"
SECRETS = [GITHUB_TOKEN, OPENAI_KEY, PLAIN_PASSWORD, ENV_SECRET, URL_PASSWORD, PRIVATE_KEY_BODY]


def _state(shell: Any) -> tuple[dict[str, int], int, int, int]:
    namespace = {k: id(v) for k, v in shell.user_ns.items()}
    manager = shell.history_manager
    return namespace, len(shell.user_ns["In"]), shell.execution_count, len(manager.outputs)


def test_variables_are_ranked_by_relevance(run_cells: Any) -> None:
    shell = run_cells(
        "import pandas as pd\nimport numpy as np",
        "sales = pd.DataFrame({'price': [1.5, 2.0], 'qty': [3, 4]})",
        "regions = ['north', 'south']",
        *[f"unused_{i} = {i}" for i in range(20)],
        "threshold = 3",
        "big = sales[sales.qty > threshold]",
        "big.shapee",
    )
    context = collect_context(shell, "plot regions against price")
    order = [v.name for v in context.variables]
    assert order[0] == "regions"  # named by the request
    assert order.index("big") < order.index("unused_0")  # read by the failing cell
    assert order.index("threshold") < order.index("unused_0")  # used recently
    scores = {v.name: v.relevance for v in context.variables}
    # The scores kept on the summaries do not depend on the question; naming is a flag.
    assert scores["big"] >= 0.9 > scores["threshold"] > scores["unused_0"] == scores["regions"]
    assert [v.name for v in context.variables if v.mentioned] == ["regions"]
    assert any(i.startswith("pd = pandas (") for i in context.imports)
    assert any(i.startswith("np = numpy (") for i in context.imports)
    assert "pd" not in order and "np" not in order
    assert context.last_error is not None
    assert context.last_error.suggestions == ["Did you mean: 'shape'?"]


def test_cells_are_a_block_aligned_window_plus_related_older_cells(run_cells: Any) -> None:
    shell = run_cells(
        "inventory = {'apples': 3}",
        *[f"step_{i} = {i}" for i in range(40)],
        "%%ai\nwhat now",
    )
    context = collect_context(shell, "how many apples are in inventory?", max_cells=5)
    numbers = [c.number for c in context.cells]
    # 41 cells: the window starts at the block boundary at or before the 5th newest (index 32).
    assert numbers == list(range(33, 42))
    assert [c.number for c in context.related_cells] == [1]
    assert context.related_cells[0].source.startswith("inventory =")
    assert all("%%ai" not in c.source for c in [*context.cells, *context.related_cells])


def test_older_cells_defining_the_variables_in_use_are_stable_context(run_cells: Any) -> None:
    """The cell that made a variable the recent cells use is in the stable part, whatever
    the question: a question about it adds no related cell (no fresh tokens for it)."""
    shell = run_cells(
        "sales = {'north': 3, 'south': 5}",
        "unused_old = 1",
        *[f"step_{i} = {i}" for i in range(30)],
        *[f"total_{i} = sum(sales.values()) + {i}" for i in range(6)],
    )
    about_sales = collect_context(shell, "what is in sales?", max_cells=5)
    other = collect_context(shell, "plot the steps", max_cells=5)
    defining = [c.number for c in about_sales.defining_cells]
    assert defining == [c.number for c in other.defining_cells]
    assert 1 in defining and 2 not in defining  # `unused_old`: no recent cell uses it
    assert about_sales.related_cells == []  # its definition is in the stable part already
    budget = PromptBudget(8192, 512)
    stable, _ = context_parts(about_sales, budget, 30)
    assert stable == context_parts(other, budget, 30)[0]
    assert "sales = {'north'" in stable and "unused_old = 1" not in stable


def test_a_secret_in_a_defining_cell_is_redacted(run_cells: Any) -> None:
    shell = run_cells(
        f"api_key = '{OPENAI_KEY}'\nsales = {{'n': 1}}",
        *[f"s_{i} = {i}" for i in range(20)],
        *[f"t_{i} = sales['n'] + {i}" for i in range(4)],
    )
    context = collect_context(shell, "", max_cells=4)
    assert 1 in [c.number for c in context.defining_cells]
    assert OPENAI_KEY not in json.dumps(context.to_json())


def test_the_window_start_stays_put_while_cells_are_added() -> None:
    numbers = list(range(1, 30))
    starts = {recent_window(numbers[:n], 12)[0] for n in range(20, 28)}
    assert len(starts) == 1
    assert all(len(recent_window(numbers[:n], 12)) >= 12 for n in range(12, 30))
    assert recent_window(numbers[:5], 12) == numbers[:5]


def test_an_old_failing_cell_is_the_last_error_not_a_related_cell(run_cells: Any) -> None:
    shell = run_cells("1 / 0", *[f"later_{i} = {i}" for i in range(30)])
    context = collect_context(shell, "", max_cells=3)
    assert context.related_cells == []
    assert context.last_error is not None and context.last_error.cell_number == 1
    assert context.last_error.source == "1 / 0"
    assert 3 <= len(context.cells) < 3 + 8


def test_settings_bound_each_variable(run_cells: Any) -> None:
    shell = run_cells("long_text = 'word ' * 10_000")
    settings = LocalAI(summary_max_chars=120)
    context = collect_context(shell, "long_text", settings=settings)
    (summary,) = [v for v in context.variables if v.name == "long_text"]
    assert len(summary.summary) <= 120


def test_a_300_cell_session_collects_quickly_and_bounded(run_cells: Any) -> None:
    shell = run_cells(*[f"col_{i} = [{i}] * {i % 7}\ncol_{i}" for i in range(300)])
    started = time.process_time()
    context = collect_context(shell, "sum col_5 and col_250")
    elapsed = time.process_time() - started
    assert elapsed < 1.0, elapsed
    assert len(context.cells) < 12 + 8 and len(context.related_cells) <= 2
    assert {"col_5", "col_250"} <= {v.name for v in context.variables[:2]}
    assert any(c.source.startswith("col_5 =") for c in context.related_cells)
    assert len(json.dumps(context.to_json())) < 60_000


def test_secrets_never_reach_the_context(run_cells: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", ENV_SECRET)
    shell = run_cells(
        f"github_token = '{GITHUB_TOKEN}'",
        f"settings = {{'user': 'bob', 'password': '{PLAIN_PASSWORD}'}}",
        f"client_config = 'key={OPENAI_KEY}'",
        "import os\nprint('env is', os.environ['MY_SERVICE_TOKEN'])",
        f"dsn = 'postgresql://bob:{URL_PASSWORD}@db/x'\nprint(dsn)",
        "print(settings['password'])",
        f"pem = '-----BEGIN PRIVATE KEY-----\\n{PRIVATE_KEY_BODY}\\n-----END PRIVATE KEY-----'",
        "raise RuntimeError('login failed for ' + github_token)",
    )
    context = collect_context(shell, "why does login fail with {github_token}?")
    text = json.dumps(context.to_json())
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == []
    assert "<redacted>" in text
    assert context.last_error is not None and context.last_error.exc_type == "RuntimeError"


def test_context_json_prints_one_line_and_changes_nothing(
    run_cells: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell = run_cells("frame_rows = 3", "label = 'x'")
    capsys.readouterr()
    before = _state(shell)
    shell.run_cell(PANEL_CALL.format(request="use frame_rows"), store_history=False)
    printed = capsys.readouterr().out
    assert _state(shell) == before
    lines = printed.strip().splitlines()
    assert len(lines) == 1
    context = NotebookContext.from_json(json.loads(lines[0]))
    assert context.variables[0].name == "frame_rows"
    shell.run_cell("after = 1", store_history=True)
    assert '"cells"' not in repr(shell.history_manager.outputs.get(3, []))


def test_context_json_direct_call(ipython_shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ipython_shell.run_cell("value = 41", store_history=True)
    capsys.readouterr()
    context_json(ipython_shell, "value")
    data = json.loads(capsys.readouterr().out)
    assert data["variables"][0]["name"] == "value" and data["variables"][0]["summary"] == "41"


@pytest.fixture(scope="module")
def kernel() -> Any:
    """A real kernel's blocking client (the panel's calls are raw execute requests)."""
    driver = KernelDriver()
    yield driver.client
    driver.shutdown()


def _execute(client: Any, code: str, *, store_history: bool = True) -> tuple[str, dict[str, Any]]:
    chunks: list[str] = []

    def on_output(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            chunks.append(message["content"]["text"])

    reply = client.execute_interactive(
        code, store_history=store_history, timeout=60, output_hook=on_output
    )
    return "".join(chunks), reply["content"]


def test_real_kernel_panel_call_is_bounded_silent_and_redacted(kernel: Any) -> None:
    _execute(kernel, "%load_ext jupyter_localai")
    _execute(
        kernel,
        "import time, pandas as pd\n"
        "class Slow:\n    def __repr__(self):\n        time.sleep(10)\n        return 's'\n"
        "slow = Slow()\n"
        f"hf_token = '{GITHUB_TOKEN}'\n"
        "orders = pd.DataFrame({'amount': range(1000), 'city': ['x'] * 1000})",
    )
    _, failed = _execute(kernel, "orders['amout'].sum()")
    assert failed["status"] == "error"
    snapshot = (
        "print(__import__('json').dumps([[k for k in sorted(globals()) if k[0] != '_'], len(In)]))"
    )
    before, _ = _execute(kernel, snapshot)

    started = time.monotonic()
    printed, reply = _execute(
        kernel, PANEL_CALL.format(request="total amount per city"), store_history=False
    )
    elapsed = time.monotonic() - started
    assert reply["status"] == "ok"
    assert elapsed < 5.0, elapsed
    context = json.loads(printed)
    summaries = {v["name"]: v["summary"] for v in context["variables"]}
    assert summaries["slow"] == "<repr timed out>"
    assert "amount (int64)" in summaries["orders"]
    assert context["last_error"]["suggestions"] == ["Did you mean: 'amount'?"]
    assert GITHUB_TOKEN not in printed

    after, _ = _execute(kernel, snapshot)
    (names_before, cells_before), (names_after, cells_after) = json.loads(before), json.loads(after)
    assert names_after == names_before  # no new variable
    assert cells_after == cells_before + 1  # only the snapshot cell itself was stored
    # The JSON went to the panel, not into the next cell's recorded output (IPython 9 tee).
    history, _ = _execute(kernel, "print(get_ipython().history_manager.outputs.get(len(In) - 2))")
    assert "snapshot" not in history and '"variables"' not in history
