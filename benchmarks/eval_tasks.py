"""Evaluation suite: notebook tasks whose answers are checked by running them.

Each task (a YAML file under `benchmarks/tasks/fix/` or `benchmarks/tasks/generate/`) is
what a notebook user meets: setup cells that create the data, then either a request for
`%%ai` or a failing cell for `%ai fix`, and a check that asserts on the state the answer
leaves behind. The model is asked in one fresh kernel, exactly as a user would ask it; the
code it proposes is then run in a second fresh kernel (setup, the code, the check), so an
answer passes only by working, not by looking right.

    python benchmarks/eval_tasks.py [--model NAME|PATH] [--kind fix|generate] [--verify]
                                    [--limit N] [--out benchmarks/results/eval_<model>[_verify].json]

`--oracle reference|empty` replaces the model by the tasks' reference solutions (or by an
empty answer) to test the harness itself without a model.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from eval_kernel import CellResult, KernelSession, fresh_kernel, kernel_env
from eval_report import KINDS, markdown_report, summarize
from eval_taxonomy import classify, task_facts

log = logging.getLogger("eval_tasks")

BENCH_DIR = Path(__file__).resolve().parent
TASKS_DIR = BENCH_DIR / "tasks"
# Tasks written after the assistant's checks and hints, by someone who did not read them:
# a separate figure for whether the improvements carry over to unseen work.
HOLDOUT_DIR = BENCH_DIR / "tasks_holdout"
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_MODEL_LABEL = "qwen2.5-coder-0.5b"
REPLY_MARK = "@@EVAL_REPLY@@"

# Run after setup in the checking kernel (never in the kernel the model sees): a deep copy of
# the user's data, so a check can tell that the answer left the original variables intact.
SNAPSHOT_CODE = """\
import copy as _copy, types as _types
_before = {
    _name: _copy.deepcopy(_value)
    for _name, _value in list(globals().items())
    if not _name.startswith("_")
    and _name not in {"In", "Out", "exit", "quit", "get_ipython"}
    and not isinstance(_value, _types.ModuleType)
    and not callable(_value)
}
del _copy, _types
"""

# Run in the asking kernel after the magic: the reply as one marked line of JSON.
FETCH_REPLY_CODE = f"""\
import json as _json, jupyter_localai as _jl
_reply = _jl.last_reply()
print({REPLY_MARK!r} + _json.dumps(None if _reply is None else _reply.to_json()))
"""


class TaskDefinitionError(ValueError):
    """A task file is malformed; the message names the file and the missing piece."""


@dataclass
class Task:
    """One notebook situation and the check that decides whether an answer solved it."""

    id: str
    kind: str
    area: str
    summary: str
    setup: list[str]
    check: str
    reference: str
    request: str = ""
    failing_cell: str = ""
    error: str = ""


@dataclass
class Outcome:
    """Whether an answer passed its task's check, and if not, in what way it failed."""

    passed: bool
    failure: str = ""  # a category: answer_raised, check_failed, unchanged, no_code, ...
    error: str = ""  # the detail: exception name and message


@dataclass
class TaskResult:
    """Everything recorded about one task of a run."""

    id: str
    kind: str
    area: str
    passed: bool
    failure: str = ""
    error: str = ""
    task_s: float = 0.0
    ask_s: float | None = None
    ttft_s: float | None = None
    tokens: int | None = None
    attempts: int | None = None
    code: str = ""
    magic_output: str = ""
    finish_reason: str = ""  # the reply's: "length" means the answer hit the token cap
    failure_class: str = ""  # eval_taxonomy's class of a failed task (empty when it passed)


# ---------------------------------------------------------------- task definitions


def _required_text(data: dict[str, Any], key: str, path: Path) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TaskDefinitionError(f"{path}: '{key}' must be a non-empty string")
    return value


def load_task(path: Path) -> Task:
    """Read and validate one task file; its id is the file name without `.yaml`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TaskDefinitionError(f"{path}: expected a mapping at the top level")
    kind = data.get("kind")
    if kind not in KINDS or path.parent.name != kind:
        raise TaskDefinitionError(f"{path}: 'kind' must be one of {KINDS} and match its folder")
    setup = data.get("setup")
    if isinstance(setup, str):
        setup = [setup]
    if not isinstance(setup, list) or not setup or not all(isinstance(c, str) for c in setup):
        raise TaskDefinitionError(f"{path}: 'setup' must be a list of code cells")
    known = {"kind", "area", "summary", "setup", "check", "reference", "request",
             "failing_cell", "error"}
    unknown = set(data) - known
    if unknown:
        raise TaskDefinitionError(f"{path}: unknown keys {sorted(unknown)}")
    task = Task(
        id=path.stem,
        kind=kind,
        area=_required_text(data, "area", path),
        summary=_required_text(data, "summary", path),
        setup=setup,
        check=_required_text(data, "check", path),
        reference=_required_text(data, "reference", path),
    )
    if kind == "generate":
        task.request = _required_text(data, "request", path).strip()
    else:
        task.failing_cell = _required_text(data, "failing_cell", path)
        task.error = _required_text(data, "error", path)
    return task


def load_tasks(root: Path = TASKS_DIR, kind: str | None = None) -> list[Task]:
    """All tasks under `root`, fix before generate, each group sorted by id."""
    kinds = KINDS if kind is None else (kind,)
    return [load_task(path) for k in kinds for path in sorted((root / k).glob("*.yaml"))]


# ---------------------------------------------------------------- checking in-process


@contextlib.contextmanager
def _working_directory(path: str) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def check_in_process(task: Task, answer: str) -> Outcome:
    """Run setup, `answer` and the check in a fresh namespace of this process.

    For fast tests of the task definitions (references pass, empty answers fail); the
    benchmark itself checks in a fresh kernel (`check_in_kernel`).
    """
    namespace: dict[str, Any] = {"__name__": "__main__"}
    with tempfile.TemporaryDirectory() as workdir, _working_directory(workdir):
        for number, cell in enumerate(task.setup):
            exec(compile(cell, f"<{task.id} setup {number}>", "exec"), namespace)  # noqa: S102
        exec(compile(SNAPSHOT_CODE, "<snapshot>", "exec"), namespace)  # noqa: S102
        try:
            exec(compile(answer, f"<{task.id} answer>", "exec"), namespace)  # noqa: S102
        except Exception as error:  # noqa: BLE001 - the answer's failure is the result
            return Outcome(False, "answer_raised", f"{type(error).__name__}: {error}")
        try:
            exec(compile(task.check, f"<{task.id} check>", "exec"), namespace)  # noqa: S102
        except Exception as error:  # noqa: BLE001 - a failed check is the result
            return Outcome(False, "check_failed", f"{type(error).__name__}: {error}")
    return Outcome(True)


# ---------------------------------------------------------------- kernels


def _run_setup(kernel: KernelSession, task: Task) -> CellResult | None:
    """Run the setup cells; the first failing one (a broken task, not a model failure)."""
    for cell in task.setup:
        result = kernel.run(cell, timeout=60)
        if not result.ok:
            return result
    return None


def check_in_kernel(task: Task, code: str, env: dict[str, str]) -> Outcome:
    """Setup, then `code` (replacing the failing cell for fixes), then the check, fresh kernel."""
    with fresh_kernel(env) as kernel:
        broken = _run_setup(kernel, task)
        if broken:
            return Outcome(False, "setup_error", f"{broken.ename}: {broken.evalue}")
        kernel.run(SNAPSHOT_CODE, timeout=60)
        ran = kernel.run(code, timeout=60)
        if not ran.ok:
            return Outcome(False, "answer_raised", f"{ran.ename}: {ran.evalue}")
        checked = kernel.run(task.check, timeout=60)
        if not checked.ok:
            return Outcome(False, "check_failed", f"{checked.ename}: {checked.evalue}")
    return Outcome(True)


def magic_cell(task: Task, options: list[str]) -> str:
    """The cell a user would type to ask for this task."""
    flags = " ".join(options)
    if task.kind == "fix":
        return f"%ai fix {flags}".rstrip()
    return f"%%ai {flags}".rstrip() + "\n" + task.request


def ask_in_kernel(task: Task, options: list[str], env: dict[str, str], timeout: float,
                  result: TaskResult) -> dict[str, Any] | None:
    """Ask the model as a user would and return `last_reply()` as JSON (None: no reply)."""
    with fresh_kernel(env) as kernel:
        broken = _run_setup(kernel, task)
        if broken:
            result.failure, result.error = "setup_error", f"{broken.ename}: {broken.evalue}"
            return None
        loaded = kernel.run("%load_ext jupyter_localai", timeout=60)
        if not loaded.ok:
            result.failure, result.error = "magic_error", f"{loaded.ename}: {loaded.evalue}"
            return None
        if task.kind == "fix":
            failed = kernel.run(task.failing_cell, timeout=60)
            if failed.ok or failed.ename != task.error:
                result.failure = "failing_cell_did_not_fail"
                result.error = f"expected {task.error}, got {failed.ename or 'no error'}"
                return None
        started = time.perf_counter()
        asked = kernel.run(magic_cell(task, options), timeout=timeout)
        result.ask_s = round(time.perf_counter() - started, 3)
        result.magic_output = asked.output[-2000:]
        if not asked.ok:
            result.failure = "timeout" if asked.timed_out else "magic_error"
            result.error = f"{asked.ename}: {asked.evalue}"
            return None
        fetched = kernel.run(FETCH_REPLY_CODE, timeout=60)
    line = next((ln for ln in fetched.output.splitlines() if ln.startswith(REPLY_MARK)), None)
    if line is None:
        result.failure, result.error = "magic_error", f"reply not readable: {fetched.evalue}"
        return None
    reply = json.loads(line[len(REPLY_MARK):])
    if reply is None:
        result.failure, result.error = "magic_error", "no reply recorded (see magic_output)"
    return reply


def _same_code(a: str, b: str) -> bool:
    """Equal up to blank lines and trailing spaces, as a user would judge 'unchanged'."""
    def norm(code: str) -> list[str]:
        return [line.rstrip() for line in code.strip().splitlines() if line.strip()]

    return norm(a) == norm(b)


def classify_result(task: Task, result: TaskResult) -> str:
    """The failure class of `result` (eval_taxonomy), empty when it passed."""
    facts = task_facts(task.kind, task.setup, task.reference, task.request, task.failing_cell)
    return classify(asdict(result), facts) or ""


def run_task(task: Task, options: list[str], env: dict[str, str], timeout: float,
             oracle: str | None = None) -> TaskResult:
    """Ask (or take the oracle's answer), then judge the code in a fresh kernel."""
    started = time.perf_counter()
    result = TaskResult(id=task.id, kind=task.kind, area=task.area, passed=False)
    if oracle:
        code = task.reference if oracle == "reference" else ""
    else:
        reply = ask_in_kernel(task, options, env, timeout, result)
        if reply is None:
            result.failure_class = classify_result(task, result)
            result.task_s = round(time.perf_counter() - started, 3)
            return result
        code = reply.get("code") or ""
        timings = reply.get("timings") or {}
        result.ttft_s, result.tokens = timings.get("ttft_s"), timings.get("tokens")
        result.attempts = reply.get("attempts")
        result.finish_reason = reply.get("finish_reason") or ""
    result.code = code
    if not code.strip():
        outcome = Outcome(False, "no_code", "the reply holds no code")
    elif task.kind == "fix" and _same_code(code, task.failing_cell):
        outcome = Outcome(False, "unchanged", "the reply is the failing cell, unchanged")
    else:
        outcome = check_in_kernel(task, code, env)
    result.passed, result.failure, result.error = outcome.passed, outcome.failure, outcome.error
    result.failure_class = classify_result(task, result)
    result.task_s = round(time.perf_counter() - started, 3)
    return result


# ---------------------------------------------------------------- command line


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BENCH_DIR,
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        log.warning("no git commit recorded: %s", error)
        return ""
    return out.stdout.strip()


def model_label(model: str | None) -> str:
    """A short, file-name-safe name for the model under test."""
    name = model or os.environ.get("JUPYTER_LOCALAI_MODEL") or DEFAULT_MODEL_LABEL
    if name.endswith(".gguf"):
        name = Path(name).stem
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model name or GGUF path (JUPYTER_LOCALAI_MODEL)")
    parser.add_argument("--kind", choices=KINDS, help="only fix or only generate tasks")
    parser.add_argument("--verify", action="store_true", help="pass --verify to %%ai fix")
    parser.add_argument("--limit", type=int, help="at most N tasks of each kind")
    parser.add_argument("--task", action="append", default=[], help="run only this task id")
    parser.add_argument("--max-tokens", type=int, help="pass --max-tokens to the magic")
    parser.add_argument("--temperature", type=float, help="pass --temperature to the magic")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per ask")
    parser.add_argument("--server-url", help="use this Jupyter server's resident model")
    parser.add_argument("--oracle", choices=("reference", "empty"),
                        help="no model: answer with the reference solution (or nothing)")
    parser.add_argument("--tasks-dir", type=Path, default=TASKS_DIR,
                        help="folder with fix/ and generate/ task files (e.g. "
                             "benchmarks/tasks_holdout); results then go to results/<folder>/")
    parser.add_argument("--out", type=Path, help="JSON result path (a .md is written beside)")
    return parser.parse_args(argv)


def select_tasks(args: argparse.Namespace) -> list[Task]:
    tasks = load_tasks(args.tasks_dir, kind=args.kind)
    if args.task:
        tasks = [t for t in tasks if t.id in set(args.task)]
    if args.limit is not None:
        tasks = [t for kind in KINDS for t in [t for t in tasks if t.kind == kind][: args.limit]]
    return tasks


def write_results(out: Path, meta: dict[str, Any], results: list[TaskResult],
                  planned: int) -> dict[str, Any]:
    """Write the JSON and the Markdown page (after every task, so a long run loses nothing)."""
    summary = summarize(results)
    meta = {**meta, "tasks run": f"{len(results)} of {planned}"}
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "summary": summary, "results": [asdict(r) for r in results]}
    out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown_report(meta, summary, results), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args = parse_args(argv)
    tasks = select_tasks(args)
    options = [f"--max-tokens {args.max_tokens}"] if args.max_tokens else []
    options += [f"--temperature {args.temperature}"] if args.temperature is not None else []
    env = kernel_env(args.model, args.server_url)
    label = model_label(args.model) if not args.oracle else f"oracle-{args.oracle}"
    suffix = "_verify" if args.verify else ""
    results_dir = (RESULTS_DIR if args.tasks_dir.resolve() == TASKS_DIR.resolve()
                   else RESULTS_DIR / args.tasks_dir.name)
    out = args.out or results_dir / f"eval_{label}{suffix}.json"
    meta = {
        "model": label,
        "started": time.strftime("%Y-%m-%d %H:%M"),
        "commit": _git_commit(),
        "tasks": args.tasks_dir.name,
        "options": " ".join(task_options_text(args)) or "(defaults: temperature 0, seed 0)",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    results: list[TaskResult] = []
    summary = summarize(results)
    for number, task in enumerate(tasks, 1):
        task_options = options + (["--verify"] if args.verify and task.kind == "fix" else [])
        result = run_task(task, task_options, env, args.timeout, args.oracle)
        results.append(result)
        log.info("[%d/%d] %-34s %-8s %s %s", number, len(tasks), task.id, task.kind,
                 "PASS" if result.passed else "FAIL", result.failure)
        summary = write_results(out, meta, results, len(tasks))
    for kind in (*KINDS, "overall"):
        s = summary[kind]
        sys.stdout.write(f"{kind:8} {s['passed']}/{s['tasks']} passed "
                         f"(median {s['median_task_s']} s/task, ask {s['median_ask_s']} s)\n")
    sys.stdout.write(f"wrote {out} and {out.with_suffix('.md')}\n")
    return 0


def task_options_text(args: argparse.Namespace) -> list[str]:
    """The options that change answers, for the report's header."""
    parts = [f"--kind {args.kind}"] if args.kind else []
    parts += ["--verify"] if args.verify else []
    parts += [f"--limit {args.limit}"] if args.limit is not None else []
    parts += [f"--max-tokens {args.max_tokens}"] if args.max_tokens else []
    parts += [f"--temperature {args.temperature}"] if args.temperature is not None else []
    parts += [f"--server-url {args.server_url}"] if args.server_url else []
    return parts


if __name__ == "__main__":
    sys.exit(main())
