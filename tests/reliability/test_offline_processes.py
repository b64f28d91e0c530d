"""Offline beyond the test process: the server, a kernel and the model worker phone no one.

pytest-socket (tests/conftest.py, proven by tests/test_offline.py) guards this process only;
the Jupyter server, its kernels and the model worker are other processes. Each of them here
starts with an audit hook (Python's `sys.addaudithook`, installed by a `sitecustomize` on
their PYTHONPATH) that logs every `socket.connect` and `socket.getaddrinfo`. A kernel runs
`%%ai` on the server's real model; then every connection any of them attempted must be to
loopback (or a Unix socket), and the sockets they hold (psutil, C code included) too.
A deliberate connect to a public address from the kernel shows the hook sees such attempts.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from support.jupyter_process import JupyterServer

pytestmark = pytest.mark.model

AUDIT_ENV = "LOCALAI_AUDIT_LOG"
SITECUSTOMIZE = f'''
"""Test-only audit hook: log this process's socket connects and name lookups."""
import json, os, sys

_LOG = os.environ.get("{AUDIT_ENV}")


def _write(record):
    with open(_LOG, "a") as out:
        out.write(json.dumps(record) + "\\n")


def _hook(event, args):
    if event == "socket.connect":
        sock, address = args
        _write({{"pid": os.getpid(), "event": event, "family": int(sock.family),
                 "address": list(address) if isinstance(address, tuple) else str(address)}})
    elif event == "socket.getaddrinfo":
        _write({{"pid": os.getpid(), "event": event, "host": str(args[0])}})


if _LOG:
    _write({{"pid": os.getpid(), "event": "start", "argv": sys.orig_argv}})
    sys.addaudithook(_hook)
'''
PUBLIC = "203.0.113.7"  # TEST-NET-3: never routed


@pytest.fixture
def audited_server(tmp_path: Path, default_model_path: str) -> Iterator[JupyterServer]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "audit.jsonl"
    server = JupyterServer(
        tmp_path / "server",
        args=[f"--LocalAI.model={default_model_path}", "--LocalAI.n_ctx=1024",
              "--LocalAI.load_on_start=True"],
        env={AUDIT_ENV: str(log), "PYTHONPATH": str(site)},
    )
    server.audit_log = log  # type: ignore[attr-defined]
    try:
        yield server.start()
    finally:
        server.stop()


def _remote_addresses(process: psutil.Process) -> list[tuple[int, str]]:
    """(pid, remote ip) of each connected inet socket `process` holds; none once it ended
    (another extension's short-lived helper, such as jupyter_lsp's `npm prefix -g`)."""
    try:
        connections = process.net_connections(kind="inet")
    except psutil.NoSuchProcess:
        return []
    return [(process.pid, c.raddr.ip) for c in connections if c.raddr]


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def test_server_kernel_and_worker_connect_to_loopback_only(
    audited_server: JupyterServer, reliability_report: Any
) -> None:
    server = audited_server
    assert "PYTHONPATH" in server.env
    server.wait_for(lambda s: s.get("state") == "ready", what="the model loaded")
    kernel = server.start_kernel()
    try:
        assert kernel.execute("%load_ext jupyter_localai").status == "ok"
        run = kernel.execute("%%ai --no-context --max-tokens 8\nprint hello")
        assert run.status == "ok", run.error
        assert kernel.value("__import__('jupyter_localai').last_reply().text")
        # Positive control: an attempt to reach a public address is seen by the hook.
        # (Whether it connects depends on the sandbox; what matters is that it is seen.)
        probe = kernel.execute(
            f"import socket\ntry:\n    socket.create_connection(('{PUBLIC}', 443), timeout=0.2)"
            ".close()\nexcept OSError as error:\n    print(type(error).__name__)\n"
            "print('probed')")
        assert "probed" in probe.stdout, probe.error
        # Everything that holds a socket now, C code included: the server's process tree.
        tree = [psutil.Process(server.process.pid)]  # type: ignore[union-attr]
        tree += tree[0].children(recursive=True)
        held = [(pid, ip) for p in tree for pid, ip in _remote_addresses(p)]
    finally:
        kernel.shutdown()
    records = [json.loads(line) for line in server.audit_log.read_text().splitlines()]  # type: ignore[attr-defined]
    started = {" ".join(r["argv"]) for r in records if r["event"] == "start"}
    for program in ("jupyter_server", "ipykernel_launcher", "jupyter_localai.worker.main"):
        assert any(program in argv for argv in started), (program, started)
    connects = [r for r in records if r["event"] == "socket.connect"]
    inet = [r for r in connects if r["family"] in (socket.AF_INET, socket.AF_INET6)]
    assert inet, "the hook saw no connection at all (kernel to server, at least)"
    public = [r for r in inet if not _is_loopback(r["address"][0])]
    assert [r["address"][0] for r in public] == [PUBLIC]  # only the probe
    lookups = {r["host"] for r in records if r["event"] == "socket.getaddrinfo"}
    assert all(_is_loopback(host) or host == PUBLIC for host in lookups), lookups
    assert held and all(_is_loopback(ip) for _, ip in held), held
    reliability_report.add(
        "offline",
        f"audit hooks in {len(started)} processes (server, kernel, model worker) during a "
        "real `%%ai`; psutil over the server's process tree",
        f"{len(inet)} inet connects and {len(lookups)} host lookups, all loopback (bar the "
        f"deliberate probe, which the hook caught); {len(held)} held sockets, all loopback",
        "n/a",
    )
