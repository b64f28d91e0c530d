"""Whole asks on real notebooks nobody wrote for this project: time to first token and
wall time as the user sees them, with the peer way beside them in the same run.

    python benchmarks/real_notebooks.py NOTEBOOK_DIR|NB.ipynb... [--pattern '0[23].*.ipynb']
        [--limit 14] [--pause 10] [--model NAME]

NOTEBOOK_DIR holds public notebooks (e.g. jakevdp/PythonDataScienceHandbook's `notebooks/`,
with its `data/` folder). For each notebook, as a user would work:

1. a fresh kernel in the notebook's folder (its own model cache, so nothing is warm from
   another notebook), `%load_ext jupyter_localai` as its first cell (defaults: warm on load);
2. every code cell top to bottom (shell lines, timing magics and cells that would wait for
   input skipped; a cell that raises or runs past `--cell-timeout` is recorded, the run goes
   on), then a pause of `--pause` seconds;
3. three asks about the notebook's newest DataFrame, Series or array (the last one a cell
   assigned), each a `%%ai`/`%ai` cell:
   - generate: a one-line request naming it ("Show the first 3 rows of `df`" for tables,
     "Print the shape and the mean of `x`" for arrays);
   - fix: the newest cell that reads it and still runs as written (tried silently, newest
     first: the newest reader may no longer fit the state later cells left), run again
     with a typo in its name (a NameError), then `%ai fix`;
   - explain: `%%ai explain` of that cell (its first line the question "What does this cell
     do?").

Time to first token is when the first streamed update of the answer reaches the client;
the ask's time is the cell's, from execute request to idle (checks and the guarded-copy
rehearsal included). Quality, checked by running what the user would run: generate's code
runs without error and names the variable; fix's code runs without error; explain is not
empty. The peer way is the same model driven by llama-cpp-python in this process with a
thin prompt (the request, the cell and its error; no notebook, no checks, no retries) and
a short answer cap, as simple magics do; its code is run by the same checks.

Writes benchmarks/results/real_notebooks.json and .md, and `real_notebook_ttft_median_s`,
`real_notebook_ask_median_s` (generate and fix asks) with the peer's figures beside them
into benchmarks/results/ratios.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from complete_notebooks import code_cells
from perf_kernel import BenchKernel
from perf_sides import RawModel

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.models import resolve_model

log = logging.getLogger("real_notebooks")
RESULTS = Path(__file__).resolve().parent / "results"
PEER_SYSTEM = "You are a helpful Python coding assistant."
PEER_MAX_TOKENS = 128
SKIPPED_MARKERS = ("%timeit", "%%timeit", "%time ", "%%time", "%prun", "%debug", "%run", "input(",
                   "%load ", "%%writefile", "%matplotlib notebook", "%%file")

# Run in the kernel (silently): the newest DataFrame/Series/ndarray a cell assigned that a
# later-or-other cell reads without assigning it (the fix task's cell), else the newest.
_NEWEST = r'''
def _localai_newest():
    import ast, json
    ip = get_ipython()
    ns = ip.user_ns
    kinds = {}
    try:
        import numpy as np
        kinds[np.ndarray] = "array"
    except ImportError:
        pass
    try:
        import pandas as pd
        kinds[pd.DataFrame] = "table"
        kinds[pd.Series] = "table"
    except ImportError:
        pass
    def parsed(src):
        try:
            return ast.parse(ip.transform_cell(src))
        except SyntaxError:
            return None
    cells = [c for c in ns.get("In", []) if c.strip() and "jupyter_localai" not in c]
    first = None
    for src in reversed(cells):
        tree = parsed(src)
        if tree is None:
            continue
        stored = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store)]
        for name in reversed(stored):
            kind = next((k for t, k in kinds.items() if isinstance(ns.get(name), t)), None)
            if kind is None or name.startswith("_"):
                continue
            readers = []
            for other in reversed(cells):
                tree2 = parsed(other)
                if tree2 is None:
                    continue
                names = [n for n in ast.walk(tree2) if isinstance(n, ast.Name) and n.id == name]
                if names and all(isinstance(n.ctx, ast.Load) for n in names):
                    readers.append(other)
                    if len(readers) == 4:
                        break
            if readers:
                return json.dumps({"name": name, "kind": kind, "readers": readers})
            first = first or {"name": name, "kind": kind, "readers": []}
    return json.dumps(first)
print(_localai_newest())
del _localai_newest
'''


@dataclass
class Ask:
    """One ask on one notebook, ours or the peer's."""

    notebook: str
    task: str
    side: str
    ttft_s: float
    total_s: float
    ok: bool
    why: str = ""
    tokens: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    attempts: int = 1


@dataclass
class NotebookRun:
    notebook: str
    cells: int = 0
    cells_failed: int = 0
    cells_skipped: int = 0
    run_s: float = 0.0
    variable: str = ""
    asks: list[Ask] = field(default_factory=list)
    note: str = ""


def typo_of(name: str, taken: set[str]) -> str:
    """A misspelling of `name` that names nothing in the kernel."""
    candidates = [name[:1] + name[2:] if len(name) >= 3 else "", name + name[-1], name + "_"]
    return next(c for c in candidates if c and c not in taken and c.isidentifier())


def with_typo(source: str, name: str, typo: str) -> str:
    import re

    return re.sub(rf"\b{re.escape(name)}\b", typo, source)


def requests_for(name: str, kind: str) -> str:
    if kind == "table":
        return f"Show the first 3 rows of `{name}`."
    return f"Print the shape and the mean of `{name}`."


def runs_cleanly(kernel: BenchKernel, code: str) -> tuple[bool, str]:
    """Run `code` as the user would (a new cell); no error, no timeout."""
    if not code.strip():
        return False, "no code"
    try:
        cell = kernel.execute(code, timeout=60)
    except TimeoutError:
        return False, "timed out"
    return (not cell.error, cell.error)


def ours(kernel: BenchKernel, notebook: str, task: str, code: str) -> tuple[Ask, dict[str, Any]]:
    cell = kernel.execute(code, timeout=600)
    reply = kernel.last_reply() if not cell.error else {}
    timings = reply.get("timings", {})
    ask = Ask(notebook, task, "ours", round(cell.first_update - cell.started, 4),
              round(cell.ended - cell.started, 4), False, cell.error,
              int(timings.get("tokens", 0)), int(timings.get("prompt_tokens", 0)),
              int(timings.get("cached_tokens", 0)), int(reply.get("attempts", 1) or 1))
    return ask, reply


def peer(raw: RawModel, notebook: str, task: str, prompt: str) -> tuple[Ask, str]:
    timed = raw.run([{"role": "system", "content": PEER_SYSTEM},
                     {"role": "user", "content": prompt}], PEER_MAX_TOKENS)
    return Ask(notebook, task, "peer", round(timed.ttft_s, 4), round(timed.total_s, 4), False,
               tokens=timed.tokens, prompt_tokens=timed.prompt_tokens,
               cached_tokens=timed.cached_tokens), timed.text


def code_of(text: str) -> str:
    from jupyter_localai.core.reply import extract_code

    return extract_code(text)


def bench_notebook(path: Path, args: argparse.Namespace, model_path: str, raw: RawModel,
                   workdir: Path) -> NotebookRun:
    run = NotebookRun(path.name)
    kernel = BenchKernel(model_path, cache_dir=workdir / f"cache-{path.stem}", cwd=path.parent,
                         extra_env={"JUPYTER_LOCALAI_WARM_ON_LOAD": "1"})
    try:
        started = time.perf_counter()
        if kernel.execute("%load_ext jupyter_localai").error:
            raise RuntimeError("the extension did not load")
        for source in code_cells(path):
            if any(marker in source for marker in SKIPPED_MARKERS) or any(
                    line.lstrip().startswith("!") for line in source.splitlines()):
                run.cells_skipped += 1
                continue
            run.cells += 1
            try:
                if kernel.execute(source, timeout=args.cell_timeout).error:
                    run.cells_failed += 1
            except TimeoutError:
                run.cells_failed += 1
                kernel.manager.interrupt_kernel()
                time.sleep(2)
        run.run_s = round(time.perf_counter() - started, 2)
        found = json.loads(kernel.execute(_NEWEST, store_history=False).stdout.strip() or "null")
        if not found:
            run.note = "no DataFrame, Series or array in the notebook"
            return run
        name, kind, readers = found["name"], found["kind"], found["readers"]
        run.variable = f"{name} ({kind})"
        request = requests_for(name, kind)
        typo_cell, error = "", ""
        # A fix task needs a cell that runs as written in the notebook's state now: the
        # newest reader may not (02.07: `np.add.at(x, i, 1)` after a later cell made `i`
        # too large for `x`), and then no typo fix can run either. Tried silently, so the
        # correct cell never enters the history the assistant reads.
        runnable = next((r for r in readers if not kernel.execute(
            r, store_history=False, timeout=args.cell_timeout).error), None)
        if readers and runnable is None:
            run.note = "no reader of it runs as written: no fix task"
        # Explain reads the runnable reader, or the newest one when none runs.
        reader = runnable or (readers[0] if readers else None)
        if runnable:
            taken = set(json.loads(kernel.execute(
                "print(__import__('json').dumps(list(get_ipython().user_ns)))",
                store_history=False).stdout.strip()))
            typo_cell = with_typo(runnable, name, typo_of(name, taken))
            error = kernel.execute(typo_cell, timeout=args.cell_timeout).error
            typo_cell = typo_cell if error else ""
        time.sleep(args.pause)

        # The peer first, while our worker is idle after the pause (no cell runs during it).
        peer_code: dict[str, str] = {}
        ask, text = peer(raw, path.name, "generate", f"{request}\nReply with the Python code only.")
        peer_asks, peer_code["generate"] = [ask], code_of(text)
        if typo_cell:
            ask, text = peer(raw, path.name, "fix",
                             f"This cell failed:\n```python\n{typo_cell}\n```\n{error}\n"
                             "Fix it. Reply with the corrected cell.")
            peer_asks.append(ask)
            peer_code["fix"] = code_of(text)
        if reader:
            ask, text = peer(raw, path.name, "explain",
                             f"Explain this code briefly:\n```python\n{reader}\n```")
            ask.ok = bool(text.strip())
            peer_asks.append(ask)

        # Ours: the fix first (its failing cell is the newest), then generate, then explain;
        # before each later ask the user types it (`--typing` seconds: the model may warm
        # with the cell that just ran, as it does while a user types).
        if typo_cell:
            ask, reply = ours(kernel, path.name, "fix", "%ai fix")
            ask.ok, ask.why = runs_cleanly(kernel, reply.get("code", ""))
            run.asks.append(ask)
        time.sleep(args.typing if run.asks else 0.0)
        ask, reply = ours(kernel, path.name, "generate", f"%%ai\n{request}")
        code = reply.get("code", "")
        ok, why = runs_cleanly(kernel, code)
        ask.ok, ask.why = ok and name in code, why or ("" if name in code else "does not name it")
        run.asks.append(ask)
        if reader:
            time.sleep(args.typing)
            ask, reply = ours(kernel, path.name, "explain",
                              f"%%ai explain\nWhat does this cell do?\n{reader}")
            ask.ok = bool(reply.get("text", "").strip())
            run.asks.append(ask)

        for ask in peer_asks:  # the peer's code, run by the same checks
            if ask.task == "generate":
                ok, why = runs_cleanly(kernel, peer_code["generate"])
                ask.ok, ask.why = ok and name in peer_code["generate"], why
            elif ask.task == "fix":
                ask.ok, ask.why = runs_cleanly(kernel, peer_code["fix"])
        run.asks += peer_asks
    finally:
        kernel.close()
    return run


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def summary(runs: list[NotebookRun], args: argparse.Namespace) -> dict[str, Any]:
    asks = [ask for run in runs for ask in run.asks]

    def figures(side: str, tasks: tuple[str, ...]) -> dict[str, Any]:
        chosen = [a for a in asks if a.side == side and a.task in tasks]
        return {"asks": len(chosen), "passed": sum(a.ok for a in chosen),
                "ttft_median_s": median([a.ttft_s for a in chosen]),
                "ask_median_s": median([a.total_s for a in chosen])}

    table = {side: {task: figures(side, (task,)) for task in ("generate", "fix", "explain")}
             for side in ("ours", "peer")}
    code_asks = {side: figures(side, ("generate", "fix")) for side in ("ours", "peer")}
    return {
        "model": args.model, "threads": os.cpu_count(), "pause_s": args.pause,
        "typing_s": args.typing,
        "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs",
        "load_average_end": list(os.getloadavg()),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["python", "benchmarks/real_notebooks.py",
                             *(_shown(arg) for arg in sys.argv[1:])]),
        "notebooks": [asdict(run) for run in runs],
        "by_task": table,
        "generate_and_fix": code_asks,
    }


def _shown(arg: str) -> str:
    """An argument as the report shows it: a notebook path relative to its book's folder
    (`<notebooks>/02.02-....ipynb`), never this machine's absolute path."""
    path = Path(arg)
    if not path.is_absolute():
        return arg
    return "<notebooks>" if path.suffix != ".ipynb" else f"<notebooks>/{path.name}"


def report(result: dict[str, Any]) -> str:
    lines = [
        "# Whole asks on real notebooks (issue 22, item 4)", "",
        (f"`{result['command']}`; model {result['model']}, {result['machine']}, "
        f"pause {result['pause_s']} s after running the notebook, {result['typing_s']} s "
         f"of typing before each later ask; {result['when']}; "
        f"load average at the end {result['load_average_end']}."), "",
        "| side | task | asks | passed | TTFT median (s) | ask median (s) |",
        "|---|---|---|---|---|---|",
    ]
    for side, tasks in result["by_task"].items():
        for task, f in tasks.items():
            lines.append(f"| {side} | {task} | {f['asks']} | {f['passed']} | "
                         f"{f['ttft_median_s']} | {f['ask_median_s']} |")
    for side, f in result["generate_and_fix"].items():
        lines.append(f"| {side} | generate + fix | {f['asks']} | {f['passed']} | "
                     f"{f['ttft_median_s']} | {f['ask_median_s']} |")
    lines += ["", "| notebook | cells run (failed, skipped) | variable | ours: task ttft/total s ok |",
              "|---|---|---|---|"]
    for run in result["notebooks"]:
        mine = ", ".join(f"{a['task']} {a['ttft_s']:.2f}/{a['total_s']:.2f} "
                         f"{'ok' if a['ok'] else 'FAIL'}" for a in run["asks"] if a["side"] == "ours")
        lines.append(f"| {run['notebook']} | {run['cells']} ({run['cells_failed']}, "
                     f"{run['cells_skipped']}) | {run['variable'] or run['note']} | {mine} |")
    return "\n".join(lines) + "\n"


def update_ratios(result: dict[str, Any]) -> None:
    path = RESULTS / "ratios.json"
    ratios = json.loads(path.read_text()) if path.exists() else {}
    ours, theirs = result["generate_and_fix"]["ours"], result["generate_and_fix"]["peer"]
    ratios.update({
        "real_notebook_ttft_median_s": ours["ttft_median_s"],
        "real_notebook_ask_median_s": ours["ask_median_s"],
        "real_notebook_peer_ttft_median_s": theirs["ttft_median_s"],
        "real_notebook_peer_ask_median_s": theirs["ask_median_s"],
        "real_notebook_passed": f"{ours['passed']}/{ours['asks']}",
        "real_notebook_peer_passed": f"{theirs['passed']}/{theirs['asks']}",
    })
    path.write_text(json.dumps(ratios, indent=2, sort_keys=True) + "\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", help=".ipynb files or folders of them")
    parser.add_argument("--pattern", default="0[23].*.ipynb")
    parser.add_argument("--limit", type=int, default=14, help="notebooks at most")
    parser.add_argument("--pause", type=float, default=10.0)
    parser.add_argument("--typing", type=float, default=5.0,
                        help="seconds between a cell and the next ask (typing the request)")
    parser.add_argument("--cell-timeout", type=float, default=60.0)
    parser.add_argument("--no-ratios", action="store_true",
                        help="do not write ratios.json (a partial run)")
    parser.add_argument("--append", action="store_true",
                        help="keep the notebooks already in --out, run only the others")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--out", type=Path, default=RESULTS / "real_notebooks.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse_args(argv)
    paths: list[Path] = []
    for source in args.notebooks:
        path = Path(source)
        paths += [path] if path.suffix == ".ipynb" else sorted(path.glob(args.pattern))
    model_path = str(resolve_model(args.model).path)
    raw = RawModel(model_path, n_ctx=4096, n_threads=args.threads)
    runs: list[NotebookRun] = []
    if args.append and args.out.exists():
        kept = json.loads(args.out.read_text())["notebooks"]
        runs = [NotebookRun(**{**run, "asks": [Ask(**a) for a in run["asks"]]}) for run in kept]
    done = {run.notebook for run in runs}
    with tempfile.TemporaryDirectory(prefix="localai-real-") as workdir:
        for path in paths:
            if sum(1 for run in runs if run.asks) >= args.limit:
                break
            if path.name in done:
                continue
            log.info("notebook %s", path.name)
            try:
                runs.append(bench_notebook(path, args, model_path, raw, Path(workdir)))
            except (RuntimeError, TimeoutError) as error:
                runs.append(NotebookRun(path.name, note=f"not run: {error}"))
            log.info("%s", runs[-1])
            write(runs, args)
    if runs and not args.no_ratios:
        update_ratios(summary(runs, args))


def write(runs: list[NotebookRun], args: argparse.Namespace) -> None:
    result = summary(runs, args)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(report(result))


if __name__ == "__main__":
    main()
