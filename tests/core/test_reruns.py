"""The notebook's own earlier statement run again by an answer: named by the checks and
dropped by the repair, so the answer works on the variable as later cells left it."""

from __future__ import annotations

from pathlib import Path

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.context import CellRecord, NotebookContext
from jupyter_localai.core.repairs import without_reruns
from jupyter_localai.core.reruns import ran_statements
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace

SETUP = "import numpy as np\nwaits = np.random.default_rng(3).exponential(4.0, 50).round(2)\n"
RERUN = "waits = np.random.default_rng(3).exponential(4.0, 50).round(2)"


def _live() -> dict:
    namespace: dict = {}
    exec(SETUP, namespace)  # noqa: S102 - the notebook's setup cell
    namespace["waits"] = namespace["waits"][namespace["waits"] < 10]  # a later cell's filter
    return namespace


def test_a_statement_is_the_same_however_it_is_spaced_and_quoted() -> None:
    ran = ran_statements(["x = f( 'a',1 )  # note\n", "%matplotlib inline\n", "y = ("])
    assert ran == ran_statements(['x = f("a", 1)'])


def test_a_rerun_of_a_live_variable_is_named_and_dropped() -> None:
    view = KernelNamespace(_live())
    ran = ran_statements([SETUP])
    issues = check_code(f"{RERUN}\nlongest = waits.max()", namespace=view, ran=ran)
    assert [issue.kind for issue in issues] == ["copies_data"]
    repair = without_reruns(f"{RERUN}\nlongest = waits.max()\n", view, ran, keep=[])
    assert repair is not None and repair.code == "longest = waits.max()\n"
    # Asked for by name, it stays (the request wants it made again).
    assert without_reruns(f"{RERUN}\n", view, ran, keep=["waits"]) is None
    assert check_code(RERUN, namespace=view, ran=ran, required_names=["waits"]) == []


def test_an_answer_that_reruns_the_setup_is_repaired_without_a_retry() -> None:
    namespace = _live()
    engine = FakeEngine(f"```python\nimport numpy as np\n{RERUN}\n"
                        "longest = float(waits.max())\n```")
    context = NotebookContext(cells=[CellRecord(number=1, source=SETUP),
                                     CellRecord(number=2, source="waits = waits[waits < 10]")])
    request = TaskRequest(task="generate", retries=1, context=context,
                          prompt="Set longest to the longest wait in waits.")
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 1 and not reply.warnings, reply.warnings
    assert "default_rng" not in reply.code and "earlier statement" in reply.text
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert namespace["longest"] < 10  # the filtered waits, not the setup's again


def test_a_file_the_notebook_wrote_written_again_is_named_and_dropped() -> None:
    # The rehearsal's guard refuses the write, so an answer that repeats it never runs there.
    setup = ("from pathlib import Path\nlog_path = 'log.csv'\n"
             "Path(log_path).write_text('day,mm\\n1,2\\n')\nprint('ready')\n")
    view = KernelNamespace({"log_path": "log.csv", "Path": Path})
    ran = ran_statements([setup])
    answer = ("Path(log_path).write_text(\n    'day,mm\\n1,2\\n'\n)\nprint('ready')\n"
              "import pandas as pd\nlog = pd.read_csv(log_path)\n")
    issues = check_code(answer, namespace=view, ran=ran)
    assert [issue.kind for issue in issues] == ["copies_data"]
    assert "`write_text` again" in issues[0].message
    repair = without_reruns(answer, view, ran, keep=[])
    assert repair is not None
    assert repair.code == "print('ready')\nimport pandas as pd\nlog = pd.read_csv(log_path)\n"
    # A write of its own (another text, another file) is the answer's to make.
    own = "Path(log_path).write_text('day,mm\\n')\n"
    assert without_reruns(own, view, ran, keep=[]) is None
