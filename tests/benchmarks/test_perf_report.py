"""The llama-bench ratios: paired runs give the headline figures, the late run stays beside them."""

from __future__ import annotations

import os
from types import SimpleNamespace

from perf import paired_rates
from perf_report import llamacpp_ratios


def _run(paired: bool) -> SimpleNamespace:
    rows = [
        {"notebook": 50, "side": "magic", "measure": "decode", "engine_decode_tok_s": 30.0,
         "decode_tok_s": 29.0, "prompt_tokens": 1200, "cached_tokens": 1190, "ttft_s": 0.1},
        {"notebook": 50, "side": "magic", "measure": "cold", "engine_prompt_tok_s": 190.0,
         "prompt_tokens": 1200, "cached_tokens": 0, "ttft_s": 6.0},
    ]
    extra: dict = {"llamacpp": {50: {"prompt_tok_s": 200.0, "decode_tok_s": 40.0,
                                     "n_prompt": 1200, "depth": 1200}}}
    if paired:
        extra["llamacpp_paired"] = {50: {"ratios": [0.9, 1.02, 0.97]}}
        extra["llamacpp_prompt_paired"] = {50: {"ratios": [0.93, 0.96, 0.99]}}
    return SimpleNamespace(rows=rows, extra=extra)


def test_paired_ratios_give_the_decode_figure_and_the_late_run_is_kept_beside_it() -> None:
    out = llamacpp_ratios(_run(paired=True), 50)
    assert out["magic_decode_vs_llamacpp"] == 0.97
    assert out["magic_decode_vs_llamacpp_unpaired"] == 0.75
    assert out["magic_prompt_vs_llamacpp"] == 0.96
    assert out["magic_prompt_vs_llamacpp_unpaired"] == 0.95


def test_without_paired_runs_the_late_run_is_the_figure() -> None:
    out = llamacpp_ratios(_run(paired=False), 50)
    assert out["magic_decode_vs_llamacpp"] == out["magic_decode_vs_llamacpp_unpaired"] == 0.75
    assert out["magic_prompt_vs_llamacpp"] == out["magic_prompt_vs_llamacpp_unpaired"] == 0.95


def test_each_ask_is_compared_with_the_runs_either_side_of_it_at_its_own_length() -> None:
    benched: list[int] = []
    bench_rates = iter([100.0, 120.0, 80.0])
    asks = iter([(99.0, 1300), (110.0, 1310)])

    def bench(length: int) -> float:
        benched.append(length)
        return next(bench_rates)

    kernel = SimpleNamespace(pid=os.getpid())
    out = paired_rates(kernel, bench, lambda: next(asks), 1290, 2, idle=[])
    assert benched == [1290, 1300, 1310]
    assert out["ratios"] == [0.9, 1.1]
    assert out["tokens"] == 1310
