"""What rehearsal by default costs: each ask once with `--no-verify` and once rehearsed (the
default), on the real model, through the real magics in one in-process IPython shell.

Per ask: wall seconds of the magic's cell both ways, attempts, and the seconds spent in the
guarded copies (fork, run, report; timed around each `ForkVerifier` call). The model's
cache is reset before every ask, so both runs start cold. The figure the README quotes is
the median of (rehearsed - not rehearsed) over the asks.

    python benchmarks/rehearse_cost.py [--model qwen2.5-coder-0.5b] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

# (name, setup cells, failing cell or None, the magic's cell without options)
ASKS: list[tuple[str, list[str], str | None, str]] = [
    ("generate: groupby", ["import pandas as pd",
                           "sales = pd.DataFrame({'region': ['n', 's', 'n'], 'units': [5, 7, 2]})"],
     None, "%%ai --max-tokens 128 {opts}\nSet by_region to the total units per region in sales."),
    ("generate: max", ["temps = [21.5, 23.0, 19.5]"], None,
     "%%ai --max-tokens 128 {opts}\nSet warmest to the largest value in temps."),
    ("generate: strings", ["readings = ['3', '4', '5']"], None,
     "%%ai --max-tokens 128 {opts}\nSet total to the sum of readings."),
    ("fix: zfill", ["zip_codes = [2134, 90210, 501]"],
     "padded = [z.zfill(5) for z in zip_codes]", "%ai fix --max-tokens 128 {opts}"),
    ("fix: zero division", ["prices = [3, 4]\ncount = 0"],
     "average = sum(prices) / count", "%ai fix --max-tokens 128 {opts}"),
]


def run(model: str) -> dict[str, Any]:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from jupyter_localai.kernel.fix import verify
    from jupyter_localai.kernel.magics import LocalAIMagics, last_reply_of

    os.environ["JUPYTER_LOCALAI_MODEL"] = model
    os.environ.setdefault("MPLBACKEND", "Agg")
    in_copies: list[float] = []
    original = verify.ForkVerifier.__call__

    def timed(self: Any, code: str) -> str | None:
        started = time.perf_counter()
        try:
            return original(self, code)
        finally:
            in_copies.append(time.perf_counter() - started)

    verify.ForkVerifier.__call__ = timed  # type: ignore[method-assign]
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_localai")
    assistant = shell.magics_manager.registry[LocalAIMagics.__name__].assistant
    engine = assistant.engine(None)
    engine.load()
    rows = []
    for name, setup, failing, cell in ASKS:
        row: dict[str, Any] = {"ask": name}
        for label, opts in (("plain", "--no-verify"), ("rehearsed", "")):
            shell.reset(new_session=True)
            for source in setup + ([failing] if failing else []):
                with capture_output():
                    shell.run_cell(source, store_history=True)
            engine.reset_cache()
            in_copies.clear()
            started = time.perf_counter()
            with capture_output():
                shell.run_cell(cell.format(opts=opts), store_history=True)
            reply = last_reply_of(shell)
            row[label] = {"s": round(time.perf_counter() - started, 2),
                          "attempts": reply.attempts if reply else None,
                          "verified": reply.verified if reply else None,
                          "copies": len(in_copies), "in_copies_s": round(sum(in_copies), 2)}
        row["extra_s"] = round(row["rehearsed"]["s"] - row["plain"]["s"], 2)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    status = engine.status()
    shell.run_line_magic("unload_ext", "jupyter_localai")
    return {
        "model": model, "n_threads": status.get("n_threads"), "cpu_count": os.cpu_count(),
        "asks": rows,
        "median_extra_s": statistics.median(r["extra_s"] for r in rows),
        "median_in_copies_s": statistics.median(r["rehearsed"]["in_copies_s"] for r in rows),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    result = run(args.model)
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w") as out:
            out.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
