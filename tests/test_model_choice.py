"""`LocalAI.model = "auto"` (`model_choice.py`): the decision rule on fake measurements, the
on-disk store of measurements, what counts as installed, and that an explicit model wins.
tests/kernel/test_model_choice_model.py measures and picks with the real model."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from jupyter_localai import model_choice
from jupyter_localai.config import LocalAI
from jupyter_localai.engines import select
from jupyter_localai.model_choice import (
    Candidate,
    Speed,
    SpeedStore,
    choose,
    installed_candidates,
)

SMALL = Candidate("qwen2.5-coder-0.5b", Path("small.gguf"), 491_400_064)
BIG = Candidate("qwen2.5-coder-1.5b", Path("big.gguf"), 1_117_320_768)
HUGE = Candidate("coder-7b", Path("huge.gguf"), 4_700_000_000)


def speed(prompt_tps: float, decode_tps: float) -> Speed:
    return Speed(prompt_tps=prompt_tps, decode_tps=decode_tps, n_threads=2, gpu_offload="0",
                 measured_at=time.time())


def test_a_typical_ask_is_1200_prompt_and_150_decode_tokens() -> None:
    assert speed(300.0, 30.0).typical_ask_s() == pytest.approx(1200 / 300 + 150 / 30)


def test_the_largest_measured_model_within_the_limit_is_picked() -> None:
    speeds = {SMALL.name: speed(400, 40), BIG.name: speed(200, 25)}  # 6.75 s and 12 s
    picked = choose([BIG, SMALL], speeds, max_seconds=15.0)
    assert picked.name == BIG.name and picked.measured
    assert picked.describe().startswith("auto: qwen2.5-coder-1.5b, 1.5B, 12.0 s per typical "
                                        "ask on 2 cores (measured); 0.5B also installed")
    assert choose([BIG, SMALL], speeds, max_seconds=10.0).name == SMALL.name


def test_an_unmeasured_bigger_model_is_estimated_from_a_measured_one_by_file_size() -> None:
    speeds = {SMALL.name: speed(600, 60)}  # 4.5 s; x 2.27 (file size) = 10.2 s
    fast_enough = choose([BIG, SMALL], speeds, max_seconds=12.0)
    assert fast_enough.name == BIG.name and not fast_enough.measured
    assert fast_enough.typical_ask_s == pytest.approx(4.5 * BIG.size_bytes / SMALL.size_bytes)
    assert "estimated from 0.5B's measured speed x file size" in fast_enough.reason
    assert choose([BIG, SMALL], speeds, max_seconds=8.0).name == SMALL.name


def test_nothing_measured_picks_the_default_and_says_so() -> None:
    picked = choose([HUGE, BIG, SMALL], {}, max_seconds=10.0)
    assert picked.name == SMALL.name and picked.typical_ask_s is None
    assert "no speed measured on this machine yet" in picked.reason
    assert "7B, 1.5B also installed" in picked.reason


def test_when_nothing_is_fast_enough_the_smallest_is_picked() -> None:
    speeds = {SMALL.name: speed(50, 5)}  # 54 s
    picked = choose([BIG, SMALL], speeds, max_seconds=10.0)
    assert picked.name == SMALL.name and "none answers a typical ask within 10 s" in picked.reason


def test_measurements_are_kept_per_machine_and_model_file(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + bytes(100))
    candidate = Candidate("m", model, 104)
    store = SpeedStore(tmp_path / "speed", "machine-a")
    assert store.get(candidate) is None
    store.put(candidate, speed(100, 10))
    assert store.get(candidate) == SpeedStore(tmp_path / "speed", "machine-a").get(candidate)
    assert SpeedStore(tmp_path / "speed", "machine-b").get(candidate) is None
    model.write_bytes(b"GGUF" + bytes(200))  # another file under the same name
    assert store.get(candidate) is None
    (tmp_path / "speed" / "machine-a.json").write_text("not json")
    assert store.get(candidate) is None  # unreadable: measured again, no crash
    assert model_choice.machine_key(2, 0) != model_choice.machine_key(4, 0)


def test_installed_means_present_here(tmp_path: Path, make_gguf) -> None:
    models = tmp_path / "models"
    models.mkdir()
    tiny = make_gguf("tiny-coder.gguf")
    tiny.rename(models / tiny.name)
    (models / "notes.txt").write_text("not a model")
    found = {c.name: c for c in installed_candidates(str(models))}
    assert "tiny-coder.gguf" in found
    # The embedded model's part packages are installed (the tests' environment has them);
    # a registry model with neither parts nor an assembled file is not a candidate.
    assert "qwen2.5-coder-0.5b" in found
    sizes = [c.size_bytes for c in installed_candidates(str(models))]
    assert sizes == sorted(sizes, reverse=True)


def test_an_explicit_model_wins_and_auto_resolves_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(model_choice.SPEED_DIR_ENV, str(tmp_path / "speed"))
    monkeypatch.delenv("JUPYTER_LOCALAI_MODEL", raising=False)
    settings = LocalAI(models_dir=str(tmp_path / "models"))
    assert settings.model == "auto"
    picked = select.resolve_alias(settings)
    assert picked == model_choice.auto_choice(settings).name != "auto"
    settings.model = "qwen2.5-coder-1.5b"
    assert select.resolve_alias(settings) == "qwen2.5-coder-1.5b"
    monkeypatch.setenv("JUPYTER_LOCALAI_MODEL", "/models/mine.gguf")
    assert LocalAI().model == "/models/mine.gguf"


def test_a_busy_measurement_is_measured_again_and_the_faster_kept(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + bytes(100))
    candidate = Candidate("m-0.5b", model, 104)
    store = SpeedStore(tmp_path / "speed", "machine")
    busy = Speed(prompt_tps=10, decode_tps=1, n_threads=2, gpu_offload="0",
                 measured_at=time.time(), load_per_core=8.0)
    store.put(candidate, busy)
    assert store.get(candidate).busy
    picked = choose([candidate], {candidate.name: busy}, max_seconds=1000.0)
    assert "measured while the machine was busy" in picked.reason
    store.put(candidate, speed(400, 40))  # idle, faster: replaces it
    assert store.get(candidate).typical_ask_s() == speed(400, 40).typical_ask_s()
    assert not store.get(candidate).busy
    store.put(candidate, busy)  # slower again: the faster figures stay
    assert store.get(candidate).typical_ask_s() == speed(400, 40).typical_ask_s()


def test_the_servers_status_says_which_model_auto_picked_and_why(tmp_path: Path,
                                                                 monkeypatch) -> None:
    from jupyter_localai.engines.fake import FakeEngine
    from jupyter_localai.server.runtime import AssistantRuntime

    monkeypatch.setenv(model_choice.SPEED_DIR_ENV, str(tmp_path / "speed"))
    settings = LocalAI(model="auto", models_dir=str(tmp_path / "models"))
    runtime = AssistantRuntime(settings, secret="s", engine_factory=lambda s: FakeEngine())
    try:
        status = runtime.status()
        picked = model_choice.auto_choice(settings)
        assert status["model"] == picked.name != "auto"
        assert status["model_choice"] == picked.describe()
        assert status["model_choice"].startswith(f"auto: {picked.name}, ")
    finally:
        runtime.close()
