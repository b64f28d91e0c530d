"""Inline completion quality on next-line tasks cut from notebooks not written here.

    python benchmarks/complete_quality.py NOTEBOOK_DIR [--pattern '03.*.ipynb'] [--limit 80]

NOTEBOOK_DIR holds public notebooks (e.g. jakevdp/PythonDataScienceHandbook's `notebooks/`,
with its `data/` folder). Each notebook runs for real, cell by cell (`complete_notebooks.py`);
before a cell runs, every line of it with a cut point (after its first `(`, `[`, `.` or
`= `) becomes a task: the cell's text up to the cut is the prefix, the rest of the line is
the answer to find, the cell's later lines are the suffix. The model completes it with the
completion prompt (`core/completion_prompt.py`) twice: with the kernel's variable summaries
and without them (the same prompt otherwise), through the stop rules.

Reported per variant: exact match of the line's rest, edit similarity (difflib ratio), and
the share of suggestions naming only what exists: every name read is defined (the live
namespace, builtins, or the cell itself), every `name.attr` of a live object exists, and
every `frame["col"]` of a live DataFrame is a column.

The model is driven through llama-cpp-python with the fill-in-the-middle tokens read from
the GGUF's vocabulary (as the worker reads them). Writes
benchmarks/results/complete_quality.json and .md.
"""

from __future__ import annotations

import argparse
import builtins
import difflib
import io
import json
import keyword
import re
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
from jupyter_localai.core.completion_prompt import completion_prompt
from jupyter_localai.core.completion_rules import Cursor, SuggestionFilter
from jupyter_localai.core.context import NotebookContext
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


@dataclass
class Answer:
    task: Task
    variant: str
    text: str
    exact: bool
    similarity: float
    names_exist: bool
    seconds: float


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


class FIMModel:
    """llama-cpp-python with the FIM tokens its vocabulary names."""

    def __init__(self, path: str, threads: int) -> None:
        from llama_cpp import Llama

        self.llm = Llama(path, n_ctx=8192, n_threads=threads, n_threads_batch=threads,
                         seed=0, verbose=False)  # fmt: skip
        self.fim = {}
        for role in ("prefix", "suffix", "middle"):
            marker = f"<|fim_{role}|>".encode()
            ids = self.llm.tokenize(marker, add_bos=False, special=True)
            if len(ids) != 1:
                raise SystemExit(f"{path} has no FIM token {marker!r} in its vocabulary")
            self.fim[role] = ids[0]

    def complete(self, context: str, prefix: str, suffix: str) -> list[str]:
        """The streamed pieces of a completion at temperature 0."""
        import llama_cpp

        tokens = [self.fim["prefix"], *self.llm.tokenize((context + prefix).encode(),
                                                         add_bos=False, special=False),
                  self.fim["suffix"], *self.llm.tokenize(suffix.encode(), add_bos=False,
                                                         special=False),
                  self.fim["middle"]]  # fmt: skip
        pieces: list[str] = []
        raw = b""
        for count, token in enumerate(self.llm.generate(tokens, temp=0.0, top_k=40,
                                                         min_p=0.05, top_p=1.0, reset=True)):
            if llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token) or count >= MAX_TOKENS:
                break
            raw += self.llm.detokenize([token])
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            raw = b""
            pieces.append(text)
        return pieces


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
    defined = set(re.findall(r"(?m)^\s*([A-Za-z_]\w*)\s*=", cell_text))
    defined |= set(re.findall(r"(?:for|import|as|def|class)\s+([A-Za-z_]\w*)", cell_text))
    for name, attribute, subscript in _reads(line):
        if name in defined or hasattr(builtins, name):
            continue
        if name not in namespace:
            return False
        value = namespace[name]
        if attribute is not None and not hasattr(value, attribute):
            return False
        columns = getattr(value, "columns", None)
        if subscript is not None and columns is not None and subscript not in list(columns):
            return False
    return True


def run(args: argparse.Namespace) -> dict[str, Any]:
    model = FIMModel(str(resolve_model(args.model).path), args.threads)
    answers: list[Answer] = []
    paths = sorted(Path(args.notebooks).glob(args.pattern))
    for path in paths:
        if len(answers) >= 2 * args.limit:
            break

        def before_cell(number: int, source: str, context: NotebookContext,
                        namespace: dict[str, Any], name: str = path.name) -> None:
            if number < 3 or not runnable(source) or len(answers) >= 2 * args.limit:
                return
            for task in cut_tasks(name, number, source):
                for variant in ("variables", "no variables"):
                    prompt = completion_prompt(context, task.prefix, task.suffix,
                                               with_variables=variant == "variables")
                    started = time.perf_counter()
                    rules = SuggestionFilter(Cursor(task.prefix, task.suffix))
                    for piece in model.complete(prompt.context, prompt.prefix, prompt.suffix):
                        rules.push(piece)
                        if rules.done:
                            break
                    rules.finish()
                    text = rules.text
                    line_start = task.prefix.rsplit("\n", 1)[-1]
                    answers.append(Answer(
                        task, variant, text, text.strip() == task.truth.strip(),
                        round(difflib.SequenceMatcher(None, text.strip(),
                                                      task.truth.strip()).ratio(), 3),
                        names_exist(line_start + text, task.prefix, namespace),
                        round(time.perf_counter() - started, 3)))  # fmt: skip

        run_cells(code_cells(path), before_cell, workdir=path.parent)
    return summary(answers, args)


def summary(answers: list[Answer], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"model": args.model, "pattern": args.pattern, "variants": {}}
    for variant in ("variables", "no variables"):
        rows = [a for a in answers if a.variant == variant]
        n = max(1, len(rows))
        out["variants"][variant] = {
            "tasks": len(rows),
            "exact_match": round(sum(a.exact for a in rows) / n, 3),
            "edit_similarity": round(sum(a.similarity for a in rows) / n, 3),
            "names_exist": round(sum(a.names_exist for a in rows) / n, 3),
        }
    out["notebooks"] = sorted({a.task.notebook for a in answers})
    out["answers"] = [asdict(a) for a in answers]
    return out


def report(out: dict[str, Any]) -> str:
    command = (f"`python benchmarks/complete_quality.py <PythonDataScienceHandbook>/notebooks "
               f"--pattern '{out['pattern']}'`; model {out['model']}; notebooks: "
               f"{', '.join(out['notebooks'])}.")
    lines = ["# Inline completion quality (next-line tasks)", "", command, "",
             "| prompt | tasks | exact match | edit similarity | names only what exists |",
             "|---|---|---|---|---|"]
    for variant, row in out["variants"].items():
        lines.append(f"| {variant} | {row['tasks']} | {row['exact_match']:.1%} | "
                     f"{row['edit_similarity']:.3f} | {row['names_exist']:.1%} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    from jupyter_localai.worker.protocol import physical_cores

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks")
    parser.add_argument("--pattern", default="03.0*.ipynb")
    parser.add_argument("--limit", type=int, default=60, help="tasks per variant")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=physical_cores())
    args = parser.parse_args(argv)
    out = run(args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "complete_quality.json").write_text(json.dumps(out, indent=1))
    (RESULTS / "complete_quality.md").write_text(report(out))
    print(report(out))


if __name__ == "__main__":
    main()
