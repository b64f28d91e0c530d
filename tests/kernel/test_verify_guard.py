"""`--verify`'s copy is a guarded rehearsal: what a candidate (or a re-run earlier cell)
would do outside the process is refused in the copy, with a reason the model can read;
the copy's whole process group is ended after each run; a candidate counts as run only
when its code reached its end, and the cells the copy re-ran are shown.

Each test forks the real in-process IPython shell, as `%ai fix --verify` does."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_localai.core.context import NotebookContext
from jupyter_localai.kernel.context.history import last_error
from jupyter_localai.kernel.fix.verify import ForkVerifier


def run_in_copy(shell: Any, code: str, **names: Any) -> str | None:
    """The verifier's report on `code`, with `names` put in the namespace first."""
    shell.user_ns.update(names)
    return ForkVerifier(shell, None, timeout_s=10.0)(code)


def test_a_write_outside_the_copys_folder_is_refused(ipython_shell: Any, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    report = run_in_copy(ipython_shell, "open(TARGET, 'w').write('a,b\\n')", TARGET=str(target))
    assert report is not None
    assert f"the guarded copy refused to write {target}" in report
    assert not target.exists()


def test_removing_and_renaming_files_are_refused(ipython_shell: Any, tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("data")
    for code in ("import os\nos.remove(KEPT)", "import shutil\nshutil.rmtree(FOLDER)",
                 "import os\nos.rename(KEPT, KEPT + '.old')"):
        report = run_in_copy(ipython_shell, code, KEPT=str(kept), FOLDER=str(tmp_path))
        assert report is not None and "the guarded copy refused to" in report, (code, report)
    assert kept.read_text() == "data"


def test_reading_files_and_writing_temp_files_stay_allowed(ipython_shell: Any,
                                                          tmp_path: Path) -> None:
    data = tmp_path / "sales.csv"
    data.write_text("units\n3\n4\n")
    code = ("import tempfile\nrows = open(DATA).read().split()\n"
            "with tempfile.NamedTemporaryFile('w', delete=False) as scratch:\n"
            "    scratch.write('x')\n"
            "assert rows == ['units', '3', '4']")
    assert run_in_copy(ipython_shell, code, DATA=str(data)) is None


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback TCP listener the test owns."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(1.0)
    yield server
    server.close()


def test_a_socket_connect_is_refused_and_nothing_arrives(ipython_shell: Any,
                                                         listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    code = "import socket\nsocket.socket().connect(('127.0.0.1', PORT))"
    report = run_in_copy(ipython_shell, code, PORT=port)
    assert report is not None and "the guarded copy refused to connect" in report
    with pytest.raises(socket.timeout):
        listener.accept()


def test_sockets_open_before_the_fork_cannot_be_written_in_the_copy(
        ipython_shell: Any, listener: socket.socket) -> None:
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        report = run_in_copy(ipython_shell, "CLIENT.sendall(b'from the copy')", CLIENT=client)
        assert report is not None and "BrokenPipeError" in report
        accepted.settimeout(0.3)
        with pytest.raises(socket.timeout):
            accepted.recv(100)
        client.sendall(b"from the kernel")  # the kernel's own socket is untouched
        assert accepted.recv(100) == b"from the kernel"
    finally:
        accepted.close()
        client.close()


@pytest.mark.parametrize("code", [
    "import subprocess\nsubprocess.run(['touch', MARK])",
    "import os\nos.system('touch ' + MARK)",
    "import os\nos.execv('/usr/bin/touch', ['touch', MARK])",
    "import os\nos.posix_spawn('/usr/bin/touch', ['touch', MARK], {})",
])
def test_starting_processes_is_refused(ipython_shell: Any, tmp_path: Path, code: str) -> None:
    mark = tmp_path / "ran"
    report = run_in_copy(ipython_shell, code, MARK=str(mark))
    assert report is not None and "the guarded copy refused to start" in report
    time.sleep(0.2)
    assert not mark.exists()


def test_a_signal_to_the_kernel_is_refused(ipython_shell: Any) -> None:
    received: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda number, frame: received.append(number))
    try:
        report = run_in_copy(ipython_shell, "import os, signal\n"
                             "os.kill(os.getppid(), signal.SIGUSR1)")
        time.sleep(0.2)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert report is not None and "the guarded copy refused to send signal" in report
    assert received == []


def test_loading_c_code_through_ctypes_is_refused(ipython_shell: Any) -> None:
    report = run_in_copy(ipython_shell, "import ctypes\nlibc = ctypes.CDLL('libc.so.6')")
    assert report is not None and "the guarded copy refused to load" in report


def test_a_candidate_that_exits_early_is_not_verified(ipython_shell: Any) -> None:
    report = run_in_copy(ipython_shell, "import os\nos._exit(0)\nresult = 1")
    assert report is not None
    assert "ended before the candidate's code finished" in report


def test_what_c_code_started_in_the_copy_is_ended_with_it(ipython_shell: Any,
                                                         tmp_path: Path) -> None:
    """A C extension can start a process without any audit event (here `_posixsubprocess`
    called directly, as C code would): it dies with the copy's process group."""
    import _posixsubprocess

    pid_file = tmp_path / "pid"
    code = ("import _posixsubprocess, multiprocessing.util as util\n"
            "_posixsubprocess.fork_exec = C_FORK_EXEC\n"
            "util.spawnv_passfds(b'/bin/sh', ['sh', '-c', 'echo $$ > ' + PID_FILE"
            " + '; exec sleep 60'], ())\n"
            "import time\n"
            "while not __import__('os').path.exists(PID_FILE):\n"
            "    time.sleep(0.05)\n")
    report = run_in_copy(ipython_shell, code, C_FORK_EXEC=_posixsubprocess.fork_exec,
                         PID_FILE=str(pid_file))
    assert report is None, report
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid), "the process started in the copy outlived it"


def _running(pid: int) -> bool:
    """Whether `pid` is alive (a zombie waiting for its new parent counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_a_replayed_cell_that_writes_is_not_repeated(run_cells: Any, tmp_path: Path) -> None:
    """The re-run cell's write is refused in the copy; the candidate is then tried on the
    state as it is, and a note says so."""
    log = tmp_path / "log.txt"
    shell = run_cells(f"rows = [1, 2]\ncount = 0\nopen({str(log)!r}, 'a').write('ran\\n')",
                      "rows.append(3)\naverage = sum(rows) / count")
    verifier = ForkVerifier(shell, NotebookContext(last_error=last_error(shell)))
    assert verifier("average = sum(rows) / max(count, 1)") is None
    assert verifier("average = sum(rows) / (count or 1)") is None
    assert log.read_text() == "ran\n"  # only the user's own run wrote
    assert any("In[1]" in note and "refused to write" in note for note in verifier.notes)
    assert shell.user_ns["rows"] == [1, 2, 3] and "average" not in shell.user_ns


def test_the_cells_the_copy_re_ran_are_shown(run_cells: Any) -> None:
    shell = run_cells("rows = [1, 2]\ncount = 0", "total = 5",
                      "rows.append(3)\naverage = sum(rows) / count")
    verifier = ForkVerifier(shell, NotebookContext(last_error=last_error(shell)))
    assert verifier("rows.append(3)\naverage = sum(rows) / max(count, 1)") is None
    assert verifier.notes == [("The copy re-ran In[1] before each candidate (the cells that "
                               "last set what the failing cell changes).")]


def test_a_database_file_is_refused_and_memory_databases_are_not(ipython_shell: Any,
                                                                tmp_path: Path) -> None:
    database = tmp_path / "shop.db"
    report = run_in_copy(ipython_shell, "import sqlite3\nsqlite3.connect(DB).execute("
                         "'create table t (x)')", DB=str(database))
    assert report is not None and f"the guarded copy refused to open the database {database}" in report
    assert not database.exists()
    assert run_in_copy(ipython_shell, "import sqlite3\nsqlite3.connect(':memory:')") is None


def test_a_refusal_the_code_caught_still_runs_with_a_note(ipython_shell: Any,
                                                          tmp_path: Path) -> None:
    target = tmp_path / "cache.json"
    code = "try:\n    open(TARGET, 'w')\nexcept OSError:\n    pass\nresult = 1"
    ipython_shell.user_ns["TARGET"] = str(target)
    verifier = ForkVerifier(ipython_shell, None)
    assert verifier(code) is None
    assert not target.exists()
    assert len(verifier.notes) == 1
    assert verifier.notes[0].startswith("In the copy the guard refused, and the code went on: "
                                        f"the guarded copy refused to write {target}")


def test_the_answer_of_fix_verify_lists_the_re_run_cells(ipython_shell: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """What the copy re-ran reaches the user: in `last_reply().warnings`, shown under the
    answer."""
    from jupyter_localai.engines.fake import FakeEngine
    from jupyter_localai.kernel import extension
    from jupyter_localai.kernel.magics import LocalAIMagics, last_reply_of

    extension.load(ipython_shell)
    try:
        for cell in ("rows = [1, 2]\ncount = 0", "rows.append(3)\naverage = sum(rows) / count"):
            ipython_shell.run_cell(cell, store_history=True)
        answer = "```python\nrows.append(3)\naverage = sum(rows) / max(count, 1)\n```"
        assistant = ipython_shell.magics_manager.registry[LocalAIMagics.__name__].assistant
        monkeypatch.setattr(assistant, "engine",
                            lambda model=None: FakeEngine(lambda request: answer))
        ipython_shell.run_cell("%ai fix --verify", store_history=True)
        reply = last_reply_of(ipython_shell)
        assert reply is not None and reply.verified is True, reply
        assert any(warning.startswith("The copy re-ran In[1] before each candidate")
                   for warning in reply.warnings), reply.warnings
    finally:
        extension.unload(ipython_shell)


def test_making_a_folder_that_exists_is_no_change_and_passes(ipython_shell: Any,
                                                             tmp_path: Path) -> None:
    """Libraries call `makedirs(..., exist_ok=True)` on their cache folder at import
    (matplotlib): refused, it left a refusal on every plotting candidate."""
    made = tmp_path / "cache"
    made.mkdir()
    verifier = ForkVerifier(ipython_shell, None, timeout_s=10.0)
    ipython_shell.user_ns.update(MADE=str(made), NEW=str(tmp_path / "new"))
    assert verifier("import os\nos.makedirs(MADE, exist_ok=True)") is None
    assert verifier.notes == []
    report = verifier("import os\nos.makedirs(NEW, exist_ok=True)")
    assert report is not None and f"refused to create the folder {tmp_path / 'new'}" in report
    assert not (tmp_path / "new").exists()


# A refusal the code went on from, then an error of its own; and an error raised from one.
WENT_ON = "try:\n    open(TARGET, 'w')\nexcept OSError:\n    pass\ntotal = sum(['a', 1])"
RAISED_FROM = ("try:\n    open(TARGET, 'w')\nexcept OSError as error:\n"
               "    raise RuntimeError('could not save') from error")


@pytest.mark.parametrize("judge_stops", [False, True], ids=["rehearsal", "verify"])
def test_an_error_after_a_refusal_the_code_went_on_from_is_the_codes_own(
        ipython_shell: Any, tmp_path: Path, judge_stops: bool) -> None:
    ipython_shell.user_ns["TARGET"] = str(tmp_path / "out.txt")
    verifier = ForkVerifier(ipython_shell, None, timeout_s=10.0, judge_stops=judge_stops)
    report = verifier(WENT_ON)
    assert report is not None and report.startswith("TypeError:"), report
    assert "refused" not in report  # the refusal is not what failed: no word of it
    assert verifier.results[WENT_ON].startswith("failed: TypeError")


def test_an_error_raised_from_a_refusal_stops_a_rehearsal(ipython_shell: Any,
                                                          tmp_path: Path) -> None:
    ipython_shell.user_ns["TARGET"] = str(tmp_path / "out.txt")
    lenient = ForkVerifier(ipython_shell, None, timeout_s=10.0, judge_stops=False)
    assert lenient(RAISED_FROM) is None
    assert lenient.results[RAISED_FROM].startswith("stopped: the guarded copy refused to write")
    strict = ForkVerifier(ipython_shell, None, timeout_s=10.0)(RAISED_FROM)
    assert strict is not None and strict.startswith("the guarded copy refused to write")
    assert "RuntimeError: could not save" in strict
