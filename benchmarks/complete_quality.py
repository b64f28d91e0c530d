"""Inline completion quality on next-line tasks cut from notebooks not written here.

    python benchmarks/complete_quality.py NOTEBOOK_DIR|NB.ipynb... [--pattern '03.*.ipynb']
        [--limit 80] [--per-notebook 8] [--name complete_quality] [--label NAME]

NOTEBOOK_DIR holds public notebooks (e.g. jakevdp/PythonDataScienceHandbook's `notebooks/`,
with its `data/` folder). Each notebook runs for real, cell by cell (`complete_notebooks.py`);
before a cell runs, every line of it with a cut point (after its first `(`, `[`, `.` or
`= `) becomes a task: the cell's text up to the cut is the prefix, the rest of the line is
the answer to find, the cell's later lines are the suffix. The model completes it with the
completion prompt (`core/completion_prompt.py`) twice: with the variables (the hint lines
for the live variables the cell names, `variable_hints`, and the live frames' columns as
the request's `keys`, which the worker's decoding keeps string subscripts to,
`worker/key_guide.py`) and without them (the same prompt otherwise), through the stop rules.

Reported per variant: exact match of the line's rest, edit similarity (difflib ratio), and
the share of suggestions naming only what exists: every name read is defined (the live
namespace, builtins, or the cell itself), every `name.attr` of a live object exists, and
every `frame["col"]` of a live DataFrame is a column. Each figure is also given for the
tasks whose cut follows a live variable (`df[`, `df.`, `df(`: the variable is in the
kernel's summaries), where knowing the variables can matter most.

The model is the worker engine's own `complete` (fill-in-the-middle tokens read from the
GGUF's vocabulary, the completion sequence), asked as the `complete` route asks it. Writes
benchmarks/results/NAME.json and .md (`--name`, default complete_quality).
"""

from __future__ import annotations

import argparse
import builtins
import difflib
import io
import json
import keyword
import os
import re
import statistics
import sys
import time
import tokenize
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from complete_notebooks import code_cells, run_cells, runnable

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.core.completion_prompt import HINT_TYPES, UNNAMED_HINTS, completion_prompt
from jupyter_localai.core.completion_rules import Cursor, SuggestionFilter
from jupyter_localai.core.context import NotebookContext
from jupyter_localai.core.engine import CompletionRequest
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.models import resolve_model

RESULTS = Path(__file__).resolve().parent / "results"
CUT = re.compile(r"[(\[.]|= ")
MAX_TOKENS = 32
TASKS_PER_CELL = 2


@dataclass
class Task:
    notebook: str
    cell: int
    prefix: str
    suffix: str
    truth: str
    # The cut follows a live variable's name and `[`, `.` or `(`.
    after_live: bool = False


@dataclass
class Answer:
    task: Task
    variant: str
    text: str
    exact: bool
    similarity: float
    names_exist: bool
    seconds: float
    # What does not exist (`names_exist` false): a name, `name.attr` or `name['col']`.
    missing: str = ""


def cut_tasks(notebook: str, number: int, source: str) -> list[Task]:
    """Lines of a cell blanked after their first cut point."""
    tasks: list[Task] = []
    lines = source.split("\n")
    for index, line in enumerate(lines):
        code = line.split("#", 1)[0]
        match = CUT.search(code)
        if match is None or not code.strip() or len(tasks) >= TASKS_PER_CELL:
            continue
        cut = match.end()
        truth = line[cut:].rstrip()
        if len(truth.strip()) < 2:
            continue
        before = "\n".join(lines[:index] + [line[:cut]])
        after = "\n".join(["", *lines[index + 1 :]]) if index + 1 < len(lines) else ""
        tasks.append(Task(notebook, number, before, after, truth))
    return tasks


class WorkerCompleter:
    """The worker engine's own `complete` (FIM tokens read from the GGUF's vocabulary, the
    completion sequence, the worker's line cap), asked as the `complete` route asks it."""

    def __init__(self, path: str, threads: int) -> None:
        self.engine = WorkerEngine(path, n_ctx=8192, n_threads=threads)
        self.engine.start()
        if self.engine.status()["fim"] is not True:
            raise SystemExit(f"{path} has no FIM tokens in its vocabulary")

    def complete(self, context: str, prefix: str, suffix: str, stop: list[str],
                 keys: dict[str, list[str]]) -> list[str]:
        """The streamed pieces of a completion at temperature 0."""
        request = CompletionRequest(context=context, prefix=prefix, suffix=suffix,
                                    max_tokens=MAX_TOKENS, stop=stop, keys=keys,
                                    session_id="quality")  # fmt: skip
        return list(self.engine.complete(request))

    def close(self) -> None:
        self.engine.close()


def _reads(text: str) -> list[tuple[str, str | None, str | None]]:
    """(name, attribute, subscript string) read in `text`, from its tokens."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)]
    except (tokenize.TokenError, SyntaxError):
        tokens = []
    found = []
    for i, token in enumerate(tokens):
        if token.type != tokenize.NAME or keyword.iskeyword(token.string):
            continue
        if i > 0 and tokens[i - 1].string == ".":
            continue
        if i + 1 < len(tokens) and tokens[i + 1].string == "=" and (
                i == 0 or tokens[i - 1].string in ("(", ",")):
            continue  # keyword argument
        attribute = subscript = None
        if i + 2 < len(tokens) and tokens[i + 1].string == "." and tokens[i + 2].type == 1:
            attribute = tokens[i + 2].string
        if (i + 2 < len(tokens) and tokens[i + 1].string == "["
                and tokens[i + 2].type == tokenize.STRING):
            subscript = tokens[i + 2].string.strip("\"'")
        found.append((token.string, attribute, subscript))
    return found


def names_exist(line: str, cell_text: str, namespace: dict[str, Any]) -> bool:
    return not missing_name(line, cell_text, namespace)


def missing_name(line: str, cell_text: str, namespace: dict[str, Any]) -> str:
    """The first name, `name.attr` or `name["col"]` that `line` reads and that does not
    exist (the report's reason), or "" when all do."""
    defined = set(re.findall(r"(?m)^\s*([A-Za-z_]\w*)\s*=", cell_text))
    defined |= set(re.findall(r"(?:for|import|as|def|class)\s+([A-Za-z_]\w*)", cell_text))
    for name, attribute, subscript in _reads(line):
        if name in defined or hasattr(builtins, name):
            continue
        if name not in namespace:
            return name
        value = namespace[name]
        if attribute is not None and not hasattr(value, attribute):
            return f"{name}.{attribute}"
        columns = getattr(value, "columns", None)
        if subscript is not None and columns is not None and subscript not in list(columns):
            return f"{name}[{subscript!r}]"
    return ""


def notebook_paths(sources: list[str], pattern: str) -> list[Path]:
    """The notebooks: each source is a .ipynb file or a folder globbed with `pattern`."""
    paths: list[Path] = []
    for source in sources:
        path = Path(source)
        paths += [path] if path.suffix == ".ipynb" else sorted(path.glob(pattern))
    return paths


def run(args: argparse.Namespace) -> dict[str, Any]:
    model = WorkerCompleter(str(resolve_model(args.model).path), args.threads)
    try:
        answers = answer_tasks(model, notebook_paths(args.notebooks, args.pattern), args.limit,
                               args.per_notebook, args.unnamed_hints,
                               _hint_types(args.hint_types))
    finally:
        model.close()
    return summary(answers, args)


def _hint_types(given: str) -> tuple[str, ...] | None:
    """`--hint-types`: "" for the product's default, "all" for every type, else a list."""
    if not given:
        return HINT_TYPES
    return None if given == "all" else tuple(given.split(","))


def answer_tasks(model: WorkerCompleter, paths: list[Path], limit: int,
                 per_notebook: int, unnamed_hints: int = UNNAMED_HINTS,
                 hint_types: tuple[str, ...] | None = HINT_TYPES) -> list[Answer]:
    """Each notebook run for real; its tasks answered with and without the variables,
    interleaved per task (so a cut-off run still compares the two on the same tasks).
    At most `per_notebook` tasks of one notebook, so a small run spans several."""
    answers: list[Answer] = []
    for path in paths:
        cap = min(2 * limit, len(answers) + 2 * per_notebook)
        if len(answers) >= 2 * limit:
            break

        def before_cell(number: int, source: str, context: NotebookContext,
                        namespace: dict[str, Any], name: str = path.name,
                        cap: int = cap) -> None:
            if number < 3 or not runnable(source) or len(answers) >= cap:
                return
            live = {variable.name for variable in context.variables}
            for task in cut_tasks(name, number, source):
                if len(answers) >= cap:
                    return
                task.after_live = follows_live(task.prefix, live)
                for variant in ("variables", "no variables"):
                    prompt = completion_prompt(context, task.prefix, task.suffix,
                                               with_variables=variant == "variables",
                                               unnamed_hints=unnamed_hints,
                                               hint_types=hint_types)
                    started = time.perf_counter()
                    rules = SuggestionFilter(Cursor(task.prefix, task.suffix))
                    for piece in model.complete(prompt.context, prompt.prefix, prompt.suffix,
                                                prompt.stop, prompt.keys):
                        rules.push(piece)
                        if rules.done:
                            break
                    if not rules.done:
                        rules.finish()
                    text = rules.text
                    line_start = task.prefix.rsplit("\n", 1)[-1]
                    missing = missing_name(line_start + text, task.prefix, namespace)
                    answers.append(Answer(
                        task, variant, text, text.strip() == task.truth.strip(),
                        round(difflib.SequenceMatcher(None, text.strip(),
                                                      task.truth.strip()).ratio(), 3),
                        not missing, round(time.perf_counter() - started, 3),
                        missing))  # fmt: skip

        run_cells(code_cells(path), before_cell, workdir=path.parent)
    return answers


_AFTER = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*[\[.(]$")


def follows_live(prefix: str, live: set[str]) -> bool:
    """Whether the cut follows a live variable's name and `[`, `.` or `(`."""
    match = _AFTER.search(prefix.rsplit("\n", 1)[-1])
    return match is not None and match.group(1) in live


def summary(answers: list[Answer], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"model": args.model, "pattern": args.pattern, "limit": args.limit,
                           "per_notebook": args.per_notebook, "threads": args.threads,
                           "sources": [_shown(s, args.label) for s in args.notebooks],
                           "name": args.name, "unnamed_hints": args.unnamed_hints,
                           "hint_types": args.hint_types,
                           "load_average": os.getloadavg(),
                           "variants": figures(answers),
                           "after_live_variable": figures(
                               [a for a in answers if a.task.after_live])}
    out["notebooks"] = sorted({a.task.notebook for a in answers})
    out["answers"] = [asdict(a) for a in answers]
    return out


def figures(answers: list[Answer]) -> dict[str, Any]:
    """The figures of each variant over `answers`."""
    out: dict[str, Any] = {}
    for variant in ("variables", "no variables"):
        rows = [a for a in answers if a.variant == variant]
        n = max(1, len(rows))
        out[variant] = {
            "tasks": len(rows),
            "exact_match": round(sum(a.exact for a in rows) / n, 3),
            "edit_similarity": round(sum(a.similarity for a in rows) / n, 3),
            "names_exist": round(sum(a.names_exist for a in rows) / n, 3),
            # Of the suggestions that say something (an empty one names nothing).
            "nonempty": sum(bool(a.text.strip()) for a in rows),
            "names_exist_nonempty": round(
                sum(a.names_exist for a in rows if a.text.strip())
                / max(1, sum(bool(a.text.strip()) for a in rows)), 3),
            "median_seconds": round(statistics.median([a.seconds for a in rows]), 3)
            if rows else 0.0,
        }
    return out


def _shown(source: str, label: str | None = None) -> str:
    """A source as the report names it: relative to the repository, or `<label>/` and its
    last part (no machine paths in results)."""
    path = Path(source).resolve()
    root = Path(__file__).resolve().parents[1]
    if path.is_relative_to(root):
        return str(path.relative_to(root))
    if label:
        return f"<{label}>/{path.name}"
    return "<PythonDataScienceHandbook>/" + path.name if path.name == "notebooks" else path.name


def report(out: dict[str, Any]) -> str:
    name = "" if out.get("name", "complete_quality") == "complete_quality" else (
        f" --name {out['name']}")
    label = f" --label {out['label']}" if out.get("label") else ""
    if out.get("unnamed_hints", UNNAMED_HINTS) != UNNAMED_HINTS:
        label += f" --unnamed-hints {out['unnamed_hints']}"
    if out.get("hint_types"):
        label += f" --hint-types {out['hint_types']}"
    command = (f"`python benchmarks/complete_quality.py {' '.join(repr(s) if ' ' in s else s for s in out['sources'])} "
               f"--pattern '{out['pattern']}' --limit {out['limit']} --per-notebook "
               f"{out['per_notebook']}{name}{label}`; model {out['model']}, worker engine, "
               f"{out['threads']} threads; load average at the end "
               f"{', '.join(f'{v:.1f}' for v in out['load_average'])}; notebooks: "
               f"{', '.join(out['notebooks'])}.")
    lines = ["# Inline completion quality (next-line tasks)", "", command, ""]
    for title, rows in (("All tasks", out["variants"]),
                        ("Tasks whose cut follows a live variable (`df[`, `df.`, `df(`)",
                         out.get("after_live_variable") or {})):
        lines += [f"{title}:", "",
                  ("| prompt | tasks | exact match | edit similarity | names only what exists "
                   "(all; of non-empty) | non-empty | median s per task |"),
                  "|---|---|---|---|---|---|---|"]
        for variant, row in rows.items():
            lines.append(f"| {variant} | {row['tasks']} | {row['exact_match']:.1%} | "
                         f"{row['edit_similarity']:.3f} | {row['names_exist']:.1%}; "
                         f"{row['names_exist_nonempty']:.1%} | {row['nonempty']} | "
                         f"{row['median_seconds']} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from jupyter_localai.worker.protocol import physical_cores

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", help="folders (globbed) or .ipynb files")
    parser.add_argument("--pattern", default="03.0*.ipynb")
    parser.add_argument("--limit", type=int, default=60, help="tasks per variant")
    parser.add_argument("--per-notebook", type=int, default=8,
                        help="tasks per variant from one notebook at most")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=physical_cores())
    parser.add_argument("--name", default="complete_quality",
                        help="results file name (benchmarks/results/NAME.json, .md)")
    parser.add_argument("--label", default=None,
                        help="how the report names the notebooks' folder, e.g. pandas-cookbook")
    parser.add_argument("--unnamed-hints", type=int, default=UNNAMED_HINTS,
                        help="DataFrames hinted when the cell names no live variable")
    parser.add_argument("--hint-types", default="",
                        help="comma-separated types that get a hint line, or 'all' "
                             "(default: the completion prompt's HINT_TYPES)")
    args = parser.parse_args(argv)
    out = run(args)
    out["label"] = args.label
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(out, indent=1))
    (RESULTS / f"{args.name}.md").write_text(report(out))
    print(report(out))


if __name__ == "__main__":
    main()
