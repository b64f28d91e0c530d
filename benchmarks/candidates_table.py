"""Table of a paired candidates run: each task asked with N = 1, 2, 4 back to back.

Reads `<folder>/<task>_c<N>.json` (written by `eval_tasks.py --task T --candidates N --out`)
and prints a Markdown table: pass rate and time to a checked answer per N, over the tasks
every N finished, and the tasks whose outcome differs between N.

    python benchmarks/candidates_table.py RESULTS_FOLDER
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

NS = (1, 2, 4)


def load(folder: Path) -> dict[str, dict[int, dict]]:
    rows: dict[str, dict[int, dict]] = {}
    for path in sorted(folder.glob("*_c[0-9].json")):
        task, _, n = path.stem.rpartition("_c")
        results = json.loads(path.read_text(encoding="utf-8")).get("results") or []
        if results:
            rows.setdefault(task, {})[int(n)] = results[0]
    return rows


def table(rows: dict[str, dict[int, dict]]) -> str:
    done = {task: by_n for task, by_n in rows.items() if all(n in by_n for n in NS)}
    lines = [f"Tasks with all of N = {', '.join(map(str, NS))}: {len(done)}", "",
             "| N | passed | pass rate | median ask s | mean ask s | kept a later candidate |",
             "|---|---|---|---|---|---|"]
    for n in NS:
        results = [by_n[n] for by_n in done.values()]
        passed = sum(bool(r["passed"]) for r in results)
        asks = [r["ask_s"] for r in results if r.get("ask_s") is not None]
        later = sum(1 for r in results if (r.get("candidate") or 0) > 0)
        rate = f"{100 * passed / len(results):.0f}%" if results else "-"
        median = f"{statistics.median(asks):.1f}" if asks else "-"
        mean = f"{statistics.mean(asks):.1f}" if asks else "-"
        lines.append(f"| {n} | {passed}/{len(results)} | {rate} | {median} | {mean} | {later} |")
    lines += ["", "| task | kind | " + " | ".join(f"N={n}: pass, ask s, attempts, kept"
                                                    for n in NS) + " |",
              "|---|---|" + "---|" * len(NS)]
    for task, by_n in sorted(done.items()):
        cells = []
        for n in NS:
            r = by_n[n]
            cells.append(f"{'yes' if r['passed'] else 'no (' + (r.get('failure') or '') + ')'}, "
                         f"{r.get('ask_s')}, {r.get('attempts')}, {r.get('candidate')}")
        lines.append(f"| {task} | {by_n[1]['kind']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(table(load(Path(sys.argv[1]))))
