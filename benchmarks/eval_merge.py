"""Merge one-task evaluation runs into the JSON and Markdown page of one whole run.

On a shared machine a round is run one `eval_tasks.py --task ID` process per hold of the CPU
lock, so no single process runs every task; each task still gets fresh kernels, so the
merged file is what one whole run would have written. Parts must agree on model, commit,
task folder and options; the merged meta says how many tasks the folder holds, so
`eval_table.py` counts the run only once every task is in. Failure classes are computed
again by `eval_taxonomy.py` (older parts predate it), and absolute paths of the machine in
errors and magic output are cut to their last component, so the result can be committed.

    python benchmarks/eval_merge.py PART.json [PART.json ...] --out results/<folder>/NAME.json
                                    [--note KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path
from typing import Any

from eval_tasks import BENCH_DIR, TaskResult, classify_result, load_tasks, write_results

# Fields every part must share: they decide what was measured.
SAME_IN_ALL_PARTS = ("model", "commit", "tasks", "options")
# Absolute paths under the usual machine roots (home, scratch, work trees).
_MACHINE_PATH = re.compile(r"(?<![\w.~<>-])/(?:root|tmp|work|home|Users|private|var)"
                           r"(?:/[^\s/'\":,()\[\]]+)+")


class MergeError(ValueError):
    """The parts do not describe one run (different model, commit, options or a repeat)."""


def redact_paths(text: str) -> str:
    """`text` with each absolute machine path replaced by `<path>/` and its last component."""
    return _MACHINE_PATH.sub(lambda m: "<path>/" + m.group(0).rsplit("/", 1)[-1], text)


def _result(row: dict[str, Any]) -> TaskResult:
    known = {f.name for f in dataclasses.fields(TaskResult)}
    result = TaskResult(**{k: v for k, v in row.items() if k in known})
    result.error = redact_paths(result.error)
    result.magic_output = redact_paths(result.magic_output)
    return result


def merge(parts: list[dict[str, Any]], notes: dict[str, str] | None = None
          ) -> tuple[dict[str, Any], list[TaskResult], int]:
    """The merged meta, the results in the task folder's order, and the folder's task count."""
    if not parts:
        raise MergeError("no parts to merge")
    metas = [p["meta"] for p in parts]
    for key in SAME_IN_ALL_PARTS:
        values = {m.get(key) for m in metas}
        if len(values) > 1:
            raise MergeError(f"parts disagree on {key}: {sorted(map(str, values))}")
    tasks = {t.id: t for t in load_tasks(BENCH_DIR / metas[0]["tasks"])}
    rows = [row for p in parts for row in p["results"]]
    seen: set[str] = set()
    for row in rows:
        if row["id"] in seen:
            raise MergeError(f"task {row['id']} appears in more than one part")
        if row["id"] not in tasks:
            raise MergeError(f"task {row['id']} is not in benchmarks/{metas[0]['tasks']}")
        seen.add(row["id"])
    order = list(tasks)
    results = sorted((_result(r) for r in rows), key=lambda r: order.index(r.id))
    for result in results:
        result.failure_class = "" if result.passed else classify_result(tasks[result.id], result)
    meta = {k: v for k, v in metas[0].items() if k != "tasks run"}
    meta["started"] = min(m.get("started", "") for m in metas)
    meta["parts"] = f"{len(parts)} `eval_tasks.py --task` runs, merged by eval_merge.py"
    meta.update(notes or {})
    return meta, results, len(tasks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="+", type=Path, help="eval_tasks.py result JSONs")
    parser.add_argument("--out", type=Path, required=True, help="merged JSON (a .md beside)")
    parser.add_argument("--note", action="append", default=[],
                        help="KEY=VALUE added to the meta (e.g. load average, how it ran)")
    args = parser.parse_args(argv)
    notes = dict(n.split("=", 1) for n in args.note)
    parts = [json.loads(p.read_text(encoding="utf-8")) for p in args.parts]
    meta, results, planned = merge(parts, notes)
    summary = write_results(args.out, meta, results, planned)
    overall = summary["overall"]
    sys.stdout.write(f"{overall['passed']}/{overall['tasks']} passed of {planned} tasks; "
                     f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
