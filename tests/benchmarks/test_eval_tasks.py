"""The evaluation tasks are well-formed and their checks can tell right from wrong.

Every reference solution must pass its check, and doing nothing (an empty answer, or for a
fix the failing cell handed back unchanged) must fail it: a check that nothing can fail
would count any answer as a success.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import eval_tasks as ev
import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

BENCH_DIR = Path(ev.__file__).resolve().parent
TASKS = ev.load_tasks()
HOLDOUT = ev.load_tasks(ev.HOLDOUT_DIR)
# Second held-out round: written blind (without reading the suite, the first held-out set or
# the assistant's checks and hints), before that session's quality work.
HOLDOUT2 = ev.load_tasks(BENCH_DIR / "tasks_holdout2")
# Third held-out round: written blind the same way (without reading the suite, the earlier
# held-out rounds or the assistant's checks, hints and prompts).
HOLDOUT3 = ev.load_tasks(BENCH_DIR / "tasks_holdout3")
# Fourth held-out round: written blind the same way (without reading the suite, the earlier
# held-out rounds or the assistant's checks, hints and prompts).
HOLDOUT4 = ev.load_tasks(BENCH_DIR / "tasks_holdout4")
# Fifth held-out round: written blind the same way (without reading the suite, the earlier
# held-out rounds or the assistant's checks, hints and prompts).
HOLDOUT5 = ev.load_tasks(BENCH_DIR / "tasks_holdout5")
# Sixth held-out round: written blind the same way (without reading the suite, the earlier
# held-out rounds or the assistant's checks, hints and prompts).
HOLDOUT6 = ev.load_tasks(BENCH_DIR / "tasks_holdout6")
# Seventh held-out round: written blind the same way (without reading the suite, the earlier
# held-out rounds or the assistant's checks, hints and prompts).
HOLDOUT7 = ev.load_tasks(BENCH_DIR / "tasks_holdout7")
# Eighth held-out round: written blind the same way (without reading the suite, the earlier
# held-out rounds or the assistant's checks, hints and prompts).
HOLDOUT8 = ev.load_tasks(BENCH_DIR / "tasks_holdout8")
# Ninth: the same way, after 03db372 (neither seen by the other).
HOLDOUT9 = ev.load_tasks(BENCH_DIR / "tasks_holdout9")
# Tenth: the same way, after 5be8b94 (neither seen by the other).
HOLDOUT10 = ev.load_tasks(BENCH_DIR / "tasks_holdout10")
# Eleventh: the same way, after ac0d94c (neither seen by the other).
HOLDOUT11 = ev.load_tasks(BENCH_DIR / "tasks_holdout11")
# Twelfth: the same way, after 81c576d (neither seen by the other).
HOLDOUT12 = ev.load_tasks(BENCH_DIR / "tasks_holdout12")
# Thirteenth: the same way, after 292e32b (neither seen by the other).
HOLDOUT13 = ev.load_tasks(BENCH_DIR / "tasks_holdout13")
# Fourteenth: the same way, after 36e67e8 (neither seen by the other).
HOLDOUT14 = ev.load_tasks(BENCH_DIR / "tasks_holdout14")
# Fifteenth: the same way, while 582f548-893ce2c were made (neither seen by the other).
HOLDOUT15 = ev.load_tasks(BENCH_DIR / "tasks_holdout15")
# Sixteenth: the same way, while 48d056b-b15ef7f were made (neither seen by the other).
HOLDOUT16 = ev.load_tasks(BENCH_DIR / "tasks_holdout16")
ALL_TASKS = (TASKS + HOLDOUT + HOLDOUT2 + HOLDOUT3 + HOLDOUT4 + HOLDOUT5 + HOLDOUT6
             + HOLDOUT7 + HOLDOUT8 + HOLDOUT9 + HOLDOUT10 + HOLDOUT11 + HOLDOUT12 + HOLDOUT13
             + HOLDOUT14 + HOLDOUT15 + HOLDOUT16)
FIX_TASKS = [t for t in ALL_TASKS if t.kind == "fix"]
BY_ID = {t.id: t for t in TASKS}


@pytest.fixture(autouse=True)
def _no_figures_between_tasks():
    plt.close("all")
    yield
    plt.close("all")


def test_suite_size_and_spread():
    kinds = Counter(t.kind for t in TASKS)
    assert len(TASKS) >= 40
    assert kinds["fix"] >= len(TASKS) / 2
    assert kinds["generate"] >= 10
    assert len(BY_ID) == len(TASKS), "task ids must be unique"
    areas = {t.area for t in TASKS}
    assert {"pandas", "numpy", "python", "plotting", "strings", "dates"} <= areas


def test_holdout_tasks_are_new():
    assert len(HOLDOUT) >= 16
    assert not {t.id for t in HOLDOUT} & set(BY_ID), "held-out ids must not repeat the suite's"


# Held-out rounds 2-16 in the order they were written, with their (fix, generate) counts.
ROUNDS = [(HOLDOUT2, 12), (HOLDOUT3, 10), (HOLDOUT4, 10), (HOLDOUT5, 10), (HOLDOUT6, 10),
          (HOLDOUT7, 10), (HOLDOUT8, 10), (HOLDOUT9, 10), (HOLDOUT10, 10),
          (HOLDOUT11, 10), (HOLDOUT12, 10), (HOLDOUT13, 10),
          (HOLDOUT14, 10), (HOLDOUT15, 10), (HOLDOUT16, 10)]


@pytest.mark.parametrize("number", range(len(ROUNDS)), ids=lambda n: f"round{n + 2}")
def test_each_later_holdout_round_is_new_and_balanced(number):
    tasks, per_kind = ROUNDS[number]
    assert Counter(t.kind for t in tasks) == {"fix": per_kind, "generate": per_kind}
    ids = [t.id for t in tasks]
    assert len(set(ids)) == len(ids)
    earlier = set(BY_ID) | {t.id for t in HOLDOUT}
    earlier |= {t.id for before, _ in ROUNDS[:number] for t in before}
    assert not set(ids) & earlier, "ids must not repeat an earlier round's"
    assert {"pandas", "numpy", "python", "plotting", "strings", "dates"} <= {t.area for t in tasks}


@pytest.mark.parametrize("task", ALL_TASKS, ids=lambda t: t.id)
def test_reference_passes(task):
    outcome = ev.check_in_process(task, task.reference)
    assert outcome.passed, f"{outcome.failure}: {outcome.error}"


@pytest.mark.parametrize("task", ALL_TASKS, ids=lambda t: t.id)
def test_empty_answer_fails(task):
    outcome = ev.check_in_process(task, "")
    assert not outcome.passed


@pytest.mark.parametrize("task", FIX_TASKS, ids=lambda t: t.id)
def test_failing_cell_raises_its_declared_error(task):
    outcome = ev.check_in_process(task, task.failing_cell)
    assert outcome.failure == "answer_raised"
    assert outcome.error.startswith(f"{task.error}:"), outcome.error


def test_malformed_task_is_rejected_with_its_file_name(tmp_path):
    folder = tmp_path / "fix"
    folder.mkdir()
    path = folder / "broken.yaml"
    path.write_text("kind: fix\narea: pandas\nsummary: s\nsetup: ['x = 1']\ncheck: 'assert x'\n"
                    "reference: 'x = 2'\n")  # no failing_cell
    with pytest.raises(ev.TaskDefinitionError, match="broken.yaml.*failing_cell"):
        ev.load_tasks(tmp_path)


def test_task_in_the_wrong_folder_is_rejected(tmp_path):
    folder = tmp_path / "generate"
    folder.mkdir()
    (folder / "misplaced.yaml").write_text((BENCH_DIR / "tasks/fix/index_off_by_one.yaml")
                                           .read_text())
    with pytest.raises(ev.TaskDefinitionError, match="misplaced.yaml"):
        ev.load_tasks(tmp_path)


def test_summary_counts_per_kind():
    results = [
        ev.TaskResult("a", "fix", "pandas", True, task_s=2.0, ask_s=1.0),
        ev.TaskResult("b", "fix", "python", False, "unchanged", task_s=4.0, ask_s=3.0,
                      failure_class="unchanged_fix"),
        ev.TaskResult("c", "generate", "numpy", False, "check_failed", task_s=6.0,
                      failure_class="wrong_result"),
    ]
    summary = ev.summarize(results)
    assert summary["fix"]["passed"] == 1 and summary["fix"]["tasks"] == 2
    assert summary["generate"]["pass_rate"] == 0.0
    assert summary["overall"]["median_task_s"] == 4.0
    assert summary["overall"]["failures"] == {"unchanged": 1, "check_failed": 1}
    assert summary["overall"]["classes"] == {"unchanged_fix": 1, "wrong_result": 1}
    page = ev.markdown_report({"model": "m"}, summary, results)
    assert "| fix | 1/2 | 50% |" in page
    assert "| c | generate | numpy | no | check_failed | wrong_result |" in page


@pytest.mark.parametrize("task_id", ["series_dt_accessor", "bar_chart_counts"])
def test_kernel_harness_judges_reference_and_empty_answers(task_id):
    """Through real kernels (no model): the reference passes, an empty answer does not."""
    task = BY_ID[task_id]
    env = ev.kernel_env(model=None, server_url=None)
    passed = ev.run_task(task, [], env, timeout=60, oracle="reference")
    assert passed.passed, f"{passed.failure}: {passed.error}"
    empty = ev.run_task(task, [], env, timeout=60, oracle="empty")
    assert not empty.passed and empty.failure == "no_code" and empty.failure_class == "refusal"
    wrong = ev.check_in_kernel(task, "pass", env)
    assert not wrong.passed and wrong.failure == "check_failed"


@pytest.mark.model
def test_real_model_is_asked_through_the_magic_and_judged():
    """End to end on the embedded model: a reply comes back, is timed, and is judged by
    running it; two runs at the defaults (temperature 0, fixed seed) propose the same code."""
    task = BY_ID["index_off_by_one"]
    env = ev.kernel_env(model=None, server_url=None)
    first = ev.run_task(task, ["--max-tokens 96"], env, timeout=300)
    harness_faults = {"setup_error", "failing_cell_did_not_fail", "magic_error", "timeout"}
    assert first.failure not in harness_faults, (first.failure, first.error, first.magic_output)
    assert first.ask_s > 0 and first.ttft_s > 0 and first.tokens > 0
    assert first.passed or first.failure in {"no_code", "unchanged", "answer_raised",
                                             "check_failed"}
    second = ev.run_task(task, ["--max-tokens 96"], env, timeout=300)
    assert second.code == first.code


def test_answer_waiting_for_input_fails_instead_of_hanging():
    task = BY_ID["invert_mapping"]
    outcome = ev.check_in_kernel(task, "name = input('country? ')", ev.kernel_env(None, None))
    assert not outcome.passed and outcome.failure == "answer_raised"
