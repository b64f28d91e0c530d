"""A worker started under OMP_WAIT_POLICY=PASSIVE says so in the log, with what it costs."""

from __future__ import annotations

import logging

import pytest

from jupyter_localai.engines.worker_process import WorkerProcess
from jupyter_localai.engines.worker_settings import omp_wait_note


@pytest.mark.parametrize("value", ["PASSIVE", "passive", " Passive "])
def test_a_passive_wait_policy_is_named_with_its_cost(value):
    note = omp_wait_note({"OMP_WAIT_POLICY": value})
    assert note is not None
    assert "OMP_WAIT_POLICY=PASSIVE" in note and "40%" in note


@pytest.mark.parametrize("environ", [{}, {"OMP_WAIT_POLICY": "ACTIVE"},
                                     {"OMP_WAIT_POLICY": ""}, {"GOMP_SPINCOUNT": "0"}])
def test_other_wait_policies_get_no_note(environ):
    assert omp_wait_note(environ) is None


def test_starting_a_worker_under_the_passive_policy_logs_the_note(monkeypatch, caplog):
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    with caplog.at_level(logging.INFO, logger="jupyter_localai.worker"):
        worker = WorkerProcess(on_message=lambda worker, message: None,
                               on_exit=lambda worker, reason: None)
        try:
            assert worker.alive()
        finally:
            worker.stop()
    assert any("OMP_WAIT_POLICY=PASSIVE" in r.getMessage() and r.levelno == logging.INFO
               for r in caplog.records)


def test_starting_a_worker_without_it_logs_no_such_note(monkeypatch, caplog):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    with caplog.at_level(logging.INFO, logger="jupyter_localai.worker"):
        worker = WorkerProcess(on_message=lambda worker, message: None,
                               on_exit=lambda worker, reason: None)
        worker.stop()
    assert not any("OMP_WAIT_POLICY" in r.getMessage() for r in caplog.records)
