"""The benchmark's outputs: ratios, the Markdown table, the latency plot, the machine."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from perf import Run

SIDES = {
    "raw": "raw llama-cpp-python (floor)",
    "magic": "ours: %%ai in a kernel",
    "server": "ours: server POST ask",
    "server_v1": "ours: server /v1/chat/completions",
    "peer_same": "peer: llama_cpp.server, our layout",
    "peer": "peer: llama_cpp.server, volatile first",
    "llamacpp": "llama.cpp's llama-bench (C, same sources and flags)",
}
TARGETS = {
    "magic_warm_ttft_vs_raw": ("<=", 1.5), "server_warm_ttft_vs_raw": ("<=", 1.5),
    "magic_decode_vs_raw": (">=", 0.95), "server_decode_vs_raw": (">=", 0.95),
    "peer_ttft_over_ours": (">=", 5.0), "context_build_ms_1000_vars": ("<=", 50.0),
    "server_rss_growth_500_requests": ("<=", 1.05), "server_rss_over_budget": ("<=", 1.0),
    "magic_decode_vs_llamacpp": (">=", 0.95), "magic_prompt_vs_llamacpp": (">=", 0.95),
}  # fmt: skip


def machine(args: argparse.Namespace) -> dict[str, Any]:
    import llama_cpp

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())  # fmt: skip
    return {"cpu": cpu, "logical_cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "llama_cpp_python": llama_cpp.__version__,
            "model": args.model, "n_ctx": args.n_ctx, "quick": args.quick,
            "load_average_start": [round(x, 2) for x in os.getloadavg()]}


def _values(run: Run, side: str, measure: str, key: str, notebook: int) -> list[float]:
    return [r[key] for r in run.rows
            if r["side"] == side and r["measure"] == measure and r["notebook"] == notebook]


def _median(run: Run, side: str, measure: str, key: str, notebook: int) -> float | None:
    values = _values(run, side, measure, key, notebook)
    return statistics.median(values) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def ratios(run: Run) -> dict[str, Any]:
    sizes = sorted({r["notebook"] for r in run.rows})
    n = 50 if 50 in sizes else sizes[0]

    def med(side: str, measure: str, key: str = "ttft_s") -> float | None:
        return _median(run, side, measure, key, n)

    ours_warm = med("magic", "warm")
    out: dict[str, Any] = {
        "notebook_cells": n,
        "magic_warm_ttft_vs_raw": _ratio(ours_warm, med("raw", "warm")),
        "server_warm_ttft_vs_raw": _ratio(med("server", "warm"), med("raw", "warm")),
        "server_v1_warm_ttft_vs_raw": _ratio(med("server_v1", "warm"), med("raw", "warm")),
        "magic_decode_vs_raw": _ratio(med("magic", "decode", "decode_tok_s"),
                                      med("raw", "decode", "decode_tok_s")),
        "server_decode_vs_raw": _ratio(med("server", "decode", "decode_tok_s"),
                                       med("raw", "decode", "decode_tok_s")),
        "peer_ttft_over_ours": _ratio(med("peer", "warm"), ours_warm),
        "peer_same_layout_ttft_over_ours": _ratio(med("peer_same", "warm"), ours_warm),
        "magic_cold_ttft_vs_raw": _ratio(med("magic", "cold"), med("raw", "cold")),
        "magic_fix_e2e_vs_raw": _ratio(med("magic", "fix", "total_s"), med("raw", "fix", "total_s")),
        "server_fix_e2e_vs_raw": _ratio(med("server", "fix", "total_s"),
                                        med("raw", "fix", "total_s")),
        "peer_fix_e2e_over_ours": _ratio(med("peer", "fix", "total_s"),
                                         med("magic", "fix", "total_s")),
        "magic_warm_ttft_s": ours_warm, "raw_warm_ttft_s": med("raw", "warm"),
        "peer_warm_ttft_s": med("peer", "warm"),
        "context_build_ms_50_cells": run.extra.get("context_build_ms", {}).get(n),
    }
    out.update(llamacpp_ratios(run, n))
    if "context_1000_vars" in run.extra:
        out["context_build_ms_1000_vars"] = run.extra["context_1000_vars"]["median_ms"]
    if "server_rss" in run.extra:
        rss = run.extra["server_rss"]
        out["server_rss_growth_500_requests"] = rss["growth"]
        out["server_rss_requests"] = rss["requests"]
        out["server_rss_over_budget"] = rss["over_budget"]
    if "prompt_lookup" in run.extra:
        pld = run.extra["prompt_lookup"]
        best = max((v for k, v in pld.items() if k.startswith("lookup_")),
                   key=lambda v: v["speedup"])
        out["prompt_lookup_fix_speedup"] = best["speedup"]
        out["prompt_lookup_same_output"] = best["same_output"]
    return out


def _prompt_rate(row: dict[str, Any]) -> float | None:
    """Fresh prompt tokens per second of time to first token (a cold ask: all of them)."""
    fresh = row["prompt_tokens"] - row["cached_tokens"]
    return fresh / row["ttft_s"] if row["ttft_s"] else None


def llamacpp_ratios(run: Run, n: int) -> dict[str, Any]:
    """Ours and raw against llama-bench on the same work (prompt: the cold ask's prompt
    from an empty cache; decode: `DECODE_TOKENS` after the decode ask's prompt).

    The magic's rates are the kernel's engine client's (`engine_*`: the worker's stream as
    the kernel receives it); `magic_cell_*` are the cell's own (with the context built
    before and the checks and display after the answer).
    """
    c = run.extra.get("llamacpp", {}).get(n)
    if not c:
        return {}
    prompt, decode = c["prompt_tok_s"], c["decode_tok_s"]

    def med(side: str, measure: str, key: str) -> float | None:
        return _median(run, side, measure, key, n)

    def rate(side: str) -> float | None:
        rows = [r for r in run.rows if r["side"] == side and r["measure"] == "cold"
                and r["notebook"] == n]
        rates = [x for x in map(_prompt_rate, rows) if x]
        return statistics.median(rates) if rates else None

    def paired(key: str, unpaired: float | None) -> float | None:
        # Beside llama-bench run just before and after each ask (`beside_llamacpp`): the
        # median of those ratios; the figure against the run minutes later kept beside it.
        pairs = run.extra.get(key, {}).get(n)
        return round(statistics.median(pairs["ratios"]), 3) if pairs else unpaired

    decode_unpaired = _ratio(med("magic", "decode", "engine_decode_tok_s"), decode)
    prompt_unpaired = _ratio(med("magic", "cold", "engine_prompt_tok_s"), prompt)
    return {
        "magic_decode_vs_llamacpp": paired("llamacpp_paired", decode_unpaired),
        "magic_decode_vs_llamacpp_unpaired": decode_unpaired,
        "magic_prompt_vs_llamacpp": paired("llamacpp_prompt_paired", prompt_unpaired),
        "magic_prompt_vs_llamacpp_unpaired": prompt_unpaired,
        "magic_cell_decode_vs_llamacpp": _ratio(med("magic", "decode", "decode_tok_s"), decode),
        "magic_cell_prompt_vs_llamacpp": _ratio(rate("magic"), prompt),
        "server_decode_vs_llamacpp": _ratio(med("server", "decode", "decode_tok_s"), decode),
        "raw_decode_vs_llamacpp": _ratio(med("raw", "decode", "decode_tok_s"), decode),
        "raw_prompt_vs_llamacpp": _ratio(rate("raw"), prompt),
        "llamacpp_prompt_tok_s": round(prompt, 2), "llamacpp_decode_tok_s": round(decode, 2),
        "llamacpp_prompt_tokens": c["n_prompt"], "llamacpp_decode_depth": c["depth"],
    }


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(run: Run) -> str:
    lines = []
    for n in sorted({r["notebook"] for r in run.rows}):
        lines += [f"### Notebook of {n} cells (20 variables)", "",
                  ("| contender | cold TTFT s | cold prompt tok/s | warm TTFT s (median) | "
                   "decode tok/s | fix end-to-end s (attempts) | warm prompt / cached tokens |"),
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for side, label in SIDES.items():
            if not _values(run, side, "cold", "ttft_s", n) and not _values(run, side, "fix",
                                                                           "ttft_s", n):
                continue
            fix = [r for r in run.rows if r["side"] == side and r["measure"] == "fix"
                   and r["notebook"] == n]
            fix_text = f"{fix[0]['total_s']:.2f} ({fix[0]['attempts']})" if fix else "–"
            prompt = _median(run, side, "warm", "prompt_tokens", n)
            cached = _median(run, side, "warm", "cached_tokens", n)
            tokens = f"{prompt:.0f} / {cached:.0f}" if prompt else "–"
            cold = [r for r in run.rows if r["side"] == side and r["measure"] == "cold"
                    and r["notebook"] == n]
            lines.append(
                f"| {label} | {_fmt(_median(run, side, 'cold', 'ttft_s', n))} "
                f"| {_fmt(_prompt_rate(cold[0]) if cold else None, 1)} "
                f"| {_fmt(_median(run, side, 'warm', 'ttft_s', n), 3)} "
                f"| {_fmt(_median(run, side, 'decode', 'decode_tok_s', n), 1)} "
                f"| {fix_text} | {tokens} |")
        build = run.extra.get("context_build_ms", {}).get(n)
        lines += ["", f"Context building in the kernel (`collect_context`): {_fmt(build)} ms.", ""]
        engine = {m: _median(run, "magic", m, k, n) for m, k in
                  (("cold", "engine_prompt_tok_s"), ("decode", "engine_decode_tok_s"))}
        if all(engine.values()):
            lines += [(f"The magic's answer as the kernel's engine client received it from the "
                      f"worker: cold prompt {engine['cold']:.1f} tok/s, decode "
                      f"{engine['decode']:.1f} tok/s."), ""]
    return "\n".join(lines)


def plot(run: Run, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["notebook"] for r in run.rows})
    fig, ax = plt.subplots(figsize=(8, 5))
    for side, label in SIDES.items():
        for measure, style in (("warm", "-o"), ("cold", "--x")):
            points = [(n, _median(run, side, measure, "ttft_s", n)) for n in sizes]
            points = [(n, v) for n, v in points if v is not None]
            if points:
                ax.plot(*zip(*points), style, label=f"{label}, {measure}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.set_xlabel("notebook size (cells)")
    ax.set_ylabel("time to first token (s)")
    ax.set_title("Time to first token vs notebook size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _check(name: str, value: Any) -> str:
    if name not in TARGETS or value is None:
        return ""
    op, bound = TARGETS[name]
    met = value <= bound if op == "<=" else value >= bound
    return f"{op} {bound} {'met' if met else 'MISSED'}"


def write(run: Run, info: dict[str, Any], values: dict[str, Any],
          args: argparse.Namespace) -> None:
    out: Path = args.out
    plot(run, out / "perf_latency.png")
    # Merged: first_ask.py, real_notebooks.py and complete_bench.py keep their keys there.
    ratios_path = out / "ratios.json"
    ratios = json.loads(ratios_path.read_text()) if ratios_path.exists() else {}
    ratios.update({k: v for k, v in values.items() if isinstance(v, (int, float))})
    ratios_path.write_text(json.dumps(dict(sorted(ratios.items())), indent=2) + "\n")
    raw_rows = [{k: v for k, v in r.items()} for r in run.rows]
    extra = {k: v for k, v in run.extra.items()
             if k not in ("fix_messages", "decode_messages", "server_asks")}
    name = Path(args.model).name.removesuffix(".gguf")
    (out / f"perf_{name}.json").write_text(json.dumps(
        {"machine": info, "ratios": values, "rows": raw_rows, "extra": extra,
         "peak_rss_mb": {k: round(v / 2**20) for k, v in run.rss.peaks.items()}},
        indent=1, default=str) + "\n")
    ratio_lines = ["| ratio | value | target |", "|---|---:|---|"]
    ratio_lines += [f"| `{k}` | {v} | {_check(k, v)} |" for k, v in values.items()]
    rss = "\n".join(f"- {k}: {round(v / 2**20)} MB" for k, v in sorted(run.rss.peaks.items()))
    text = "\n".join([
        f"# Performance: {args.model}{' (quick)' if args.quick else ''}", "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), "",
        ("Times are seconds as each contender's user sees them (ours: from the cell's execute "
        "request, or the HTTP request, to the first streamed token). Warm: a follow-up "
        "question on the same notebook. Raw replays the exact messages the magic sent."), "",
        table(run), "## Ratios", "", *ratio_lines, "",
        "## Peak RSS (process trees; raw = the benchmark process itself)", "", rss, "",
        "## Probes", "", "```json", json.dumps(extra, indent=1, default=str)[:6000], "```", ""])
    (out / f"perf_{name}.md").write_text(text)


def write_sweep(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    keys = list(rows[0])
    lines = [f"# llama.cpp settings on this machine: {args.model}", "",
             "Machine: " + ", ".join(f"{k} {v}" for k, v in machine(args).items()), "",
             ("One setting varied at a time from n_threads=physical cores, n_batch=512, "
             "flash_attn off, mmap on. Cold prompt: a ~1,500-token notebook context; warm: a "
             "follow-up question on it (only its last tokens are evaluated); decode: 64 "
             "tokens. Best of two."), "",
             "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    name = "perf_settings" + "".join(f"_{key}" for key in args.sweep_only)
    (args.out / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
