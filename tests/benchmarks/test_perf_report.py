"""The llama-bench ratios: paired runs give the headline figure, the late run stays beside it."""

from __future__ import annotations

from types import SimpleNamespace

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
    return SimpleNamespace(rows=rows, extra=extra)


def test_paired_ratios_give_the_decode_figure_and_the_late_run_is_kept_beside_it() -> None:
    out = llamacpp_ratios(_run(paired=True), 50)
    assert out["magic_decode_vs_llamacpp"] == 0.97
    assert out["magic_decode_vs_llamacpp_unpaired"] == 0.75
    assert out["magic_prompt_vs_llamacpp"] == 0.95


def test_without_paired_runs_the_late_run_is_the_figure() -> None:
    out = llamacpp_ratios(_run(paired=False), 50)
    assert out["magic_decode_vs_llamacpp"] == out["magic_decode_vs_llamacpp_unpaired"] == 0.75
