"""The guard of a throwaway process that rehearses code: what would reach outside the
process is refused, before it happens, with a reason a model can read.

`--verify` runs candidates in a forked copy of the kernel (`kernel/fix/verify.py`). A fork
shares everything outside the process (files, network, other processes), so in the copy,
before any code runs, `install_guard` adds a Python audit hook (`sys.addaudithook`: it
cannot be removed) that refuses

- opening files for writing, and creating, removing, renaming or changing files, outside a
  private folder made for that copy (reading stays allowed: candidates read CSVs);
- opening sqlite databases other than in memory or in that folder (sqlite writes through
  C, never through `open`), and writable `mmap`s of files outside it;
- network: `socket.connect`, `bind`, `sendto`, `sendmsg`, and host name lookups (a lookup
  already sends the name to a DNS server);
- processes: `subprocess`, `os.system`, `os.exec*`, `os.posix_spawn`, `os.spawn*`,
  `os.fork`, `os.forkpty`;
- C code through `ctypes` (loading a library, finding or calling a function);
- signals to any process but the copy itself.

A refusal raises `GuardRefusal` (a `PermissionError`, so code that copes with a read-only
disk, such as importlib's bytecode cache, degrades the same way) inside the code that tried.
Sockets inherited from the kernel are replaced by closed ones, so writing through them
fails (`BrokenPipeError`) instead of reaching the frontend, the model worker or a server.

What it cannot stop, said as plainly in the README: C code that does not go through
Python's audited calls; shared memory mapped before the fork (`np.memmap`,
`multiprocessing.shared_memory`, `mmap`), which the copy writes into the kernel's own pages;
files and pipes already open at the fork (an open sqlite connection, a log file): writing
through them is not an `open` event. It guards ordinary code against accidents; it is not
a sandbox against code written to escape it.
"""

from __future__ import annotations

import mmap
import os
import socket
import stat
import sys
from collections.abc import Callable, Iterable
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_WRITE_MODES = frozenset("wax+")
_PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
                             "os.spawn", "os.fork", "os.forkpty", "os.startfile"})
_NETWORK_EVENTS = frozenset({"socket.connect", "socket.bind", "socket.sendto",
                             "socket.sendmsg"})
_LOOKUP_EVENTS = frozenset({"socket.getaddrinfo", "socket.gethostbyname",
                            "socket.gethostbyaddr", "socket.getnameinfo"})
_CTYPES_EVENTS = frozenset({"ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle",
                            "ctypes.call_function"})
# Events naming paths that change the file system: (verb, indexes of the path arguments).
_PATH_EVENTS: dict[str, tuple[str, tuple[int, ...]]] = {
    "os.remove": ("remove", (0,)),
    "os.rmdir": ("remove", (0,)),
    "shutil.rmtree": ("remove", (0,)),
    "os.rename": ("rename", (0, 1)),
    "shutil.move": ("move", (0, 1)),
    "os.mkdir": ("create the folder", (0,)),
    "os.symlink": ("create the link", (1,)),
    "os.link": ("link", (0, 1)),
    "os.truncate": ("truncate", (0,)),
    "os.chmod": ("change the mode of", (0,)),
    "os.chown": ("change the owner of", (0,)),
    "os.utime": ("change the times of", (0,)),
    "os.chflags": ("change the flags of", (0,)),
    "os.lchflags": ("change the flags of", (0,)),
    "os.setxattr": ("change the attributes of", (0,)),
    "os.removexattr": ("change the attributes of", (0,)),
    "shutil.copyfile": ("copy onto", (1,)),
    "shutil.copymode": ("change the mode of", (1,)),
    "shutil.copystat": ("change the mode of", (1,)),
}
_PROBE_BINDS = (("127.0.0.1", 0), ("::1", 0), ("localhost", 0))
_WHY_FILES = "a --verify copy writes only in its own temp folder"
_WHY_OUTSIDE = "a --verify copy does not reach outside the kernel's process"


class GuardRefusal(PermissionError):
    """An action the guarded copy does not allow; its message names the action and why."""


class Guard:
    """The installed guard's record: its private folder and every refusal, in order."""

    def __init__(self, private_dir: str) -> None:
        self.private_dir = os.path.realpath(private_dir)
        self.refusals: list[str] = []
        # Set only around its own `os.fork()` by a copy that forks trial copies of itself
        # (the agent's lineage, `kernel/agent/copy.py`); code run in the copy never forks.
        self.allow_fork = False

    def inside(self, target: Any) -> bool:
        """Whether `target` (a path, or a descriptor of an open file) lies in the private
        folder; /dev/null counts as inside. Unknown targets are outside (fail closed)."""
        if isinstance(target, int):
            target = _descriptor_path(target)
            if target is None:
                return False
        try:
            real = os.path.realpath(os.fsdecode(target))
        except (TypeError, ValueError):
            return False
        return (real == os.devnull or real == self.private_dir
                or real.startswith(self.private_dir + os.sep))

    def refuse(self, action: str, why: str) -> None:
        message = f"the guarded copy refused to {action}: {why}"
        self.refusals.append(message)
        raise GuardRefusal(message)

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        """The audit hook: most events pass with one dict lookup. The checks raise no audit
        event of their own (realpath, readlink and fstat are not audited), so a check never
        re-enters the hook, from this thread or another."""
        check = _CHECKS.get(event)
        if check is not None:
            check(self, event, args)


def install_guard(private_dir: str, keep_fds: Iterable[int] = ()) -> Guard:
    """Guard this process for the rest of its life (an audit hook cannot be removed): call
    it only in a process made to be thrown away, such as `--verify`'s forked copy.
    `keep_fds` are descriptors the caller still needs (its report pipe)."""
    import ctypes  # noqa: F401 - its import opens the process itself (`PyDLL(None)`), which
    # the hook would refuse, and numpy, pandas and others import ctypes: imported first here,
    # a module a candidate imports for the first time in the copy still loads

    guard = Guard(private_dir)
    disarm_inherited_sockets(set(keep_fds))
    _refuse_unaudited_starts(guard)
    sys.addaudithook(guard.hook)
    return guard


def disarm_inherited_sockets(keep: set[int]) -> int:
    """Replace every inherited socket descriptor by a shut-down socket: sending fails with
    BrokenPipeError and receiving sees the end, in this process only (the kernel's own
    sockets stay as they are). Returns how many were replaced."""
    dead, other_end = socket.socketpair()
    dead.shutdown(socket.SHUT_RDWR)
    replaced = 0
    try:
        for descriptor in _open_descriptors():
            if descriptor in keep or descriptor in (dead.fileno(), other_end.fileno()):
                continue
            try:
                is_socket = stat.S_ISSOCK(os.fstat(descriptor).st_mode)
            except OSError:
                continue  # closed since it was listed (the listing's own descriptor)
            if is_socket:
                os.dup2(dead.fileno(), descriptor)
                replaced += 1
    finally:
        dead.close()
        other_end.close()
    return replaced


def _open_descriptors() -> list[int]:
    for folder in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(folder):
            return [int(name) for name in os.listdir(folder) if name.isdigit()]
    return list(range(3, 256))


def _descriptor_path(descriptor: int) -> str | None:
    try:
        return os.readlink(f"/proc/self/fd/{descriptor}")
    except OSError:
        return None


def _refuse_unaudited_starts(guard: Guard) -> None:
    """Starting a process through `_posixsubprocess` (what `multiprocessing` does) and
    opening POSIX shared memory raise no audit event; their module functions are replaced
    here. Unlike the hook this can be undone by code that means to, like any C extension."""

    def refusing(action: str, why: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            guard.refuse(action, why)

        return refuse

    try:
        import _posixsubprocess
    except ImportError:
        pass  # not a POSIX system: subprocess's own audit event still applies
    else:
        _posixsubprocess.fork_exec = refusing("start a process", _WHY_OUTSIDE)
    try:
        import _posixshmem
    except ImportError:
        return  # no POSIX shared memory here
    _posixshmem.shm_open = refusing("open shared memory", _WHY_OUTSIDE)
    _posixshmem.shm_unlink = refusing("remove shared memory", _WHY_OUTSIDE)


def _check_open(guard: Guard, event: str, args: tuple[Any, ...]) -> None:
    path, mode, flags = (tuple(args) + (None, None, 0))[:3]
    writing = bool((flags or 0) & _WRITE_FLAGS) or (
        isinstance(mode, str) and not _WRITE_MODES.isdisjoint(mode))
    if writing and not guard.inside(path):
        guard.refuse(f"write {_shown(path)}", _WHY_FILES)


def _check_path_event(guard: Guard, event: str, args: tuple[Any, ...]) -> None:
    verb, indexes = _PATH_EVENTS[event]
    paths = [args[index] for index in indexes if index < len(args)]
    if event == "os.mkdir" and paths and _exists(paths[0]):
        return  # changes nothing: the call fails with FileExistsError, as it would outside
    if not all(guard.inside(path) for path in paths):
        guard.refuse(f"{verb} {' to '.join(_shown(path) for path in paths)}", _WHY_FILES)


def _exists(path: Any) -> bool:
    """Whether something is at `path` (lstat is not audited, so no re-entry)."""
    try:
        return os.path.lexists(os.fsdecode(path))
    except (TypeError, ValueError):
        return False


def _check_sqlite(guard: Guard, event: str, args: tuple[Any, ...]) -> None:
    database = args[0] if args else None
    if database in (":memory:", "", b":memory:", b"") or guard.inside(database):
        return
    guard.refuse(f"open the database {_shown(database)}",
                 "sqlite writes its files without Python's open; " + _WHY_FILES)


def _check_mmap(guard: Guard, event: str, args: tuple[Any, ...]) -> None:
    fileno, _length, access = (tuple(args) + (-1, 0, 0))[:3]
    if fileno == -1 or access in (mmap.ACCESS_READ, mmap.ACCESS_COPY) or guard.inside(fileno):
        return
    guard.refuse(f"map {_shown(_descriptor_path(fileno) or fileno)} for writing", _WHY_FILES)


def _check_process(guard: Guard, event: str, args: tuple[Any, ...]) -> None:
    if event == "os.fork" and guard.allow_fork:
        return  # the copy forking a trial of itself, guarded the same (see `allow_fork`)
    # The command line if the event carries one (Popen, exec, spawn), else what was called.
    command = next((arg for arg in args if isinstance(arg, (list, tuple)) and arg),
                   next((arg for arg in args if isinstance(arg, (str, bytes))), event))
    guard.refuse(f"start a process ({_shown(command)})", _WHY_OUTSIDE)


def _check_network(guard: Guard, event: str, args: tuple[Any, ...]) -> None:
    address = args[1] if len(args) > 1 else "?"
    if event == "socket.bind" and isinstance(address, tuple) and address[:2] in _PROBE_BINDS:
        return  # a loopback port chosen by the system, known to no one: how libraries
        # (urllib3) probe for IPv6, reaching nothing outside the copy
    if isinstance(address, tuple) and len(address) >= 2:
        address = f"{address[0]}:{address[1]}"
    verb = event.split(".", 1)[1]
    guard.refuse(f"{verb} to {_shown(address)}" if verb != "bind" else
                 f"bind {_shown(address)}", "no network from a --verify copy")


def _check_lookup(guard: Guard, event: str, args: tuple[Any, ...]) -> None:
    guard.refuse(f"look up {_shown(args[0] if args else '?')}",
                 "no network from a --verify copy (a lookup reaches a name server)")


def _check_ctypes(guard: Guard, event: str, args: tuple[Any, ...]) -> None:
    what = _shown(args[0]) if args and event == "ctypes.dlopen" else event.split(".", 1)[1]
    guard.refuse(f"load or call C code through ctypes ({what})", _WHY_OUTSIDE)


def _check_kill(guard: Guard, event: str, args: tuple[Any, ...]) -> None:
    target, number = (tuple(args) + (None, None))[:2]
    own = os.getpid() if event == "os.kill" else os.getpgid(0)
    if target != own:
        guard.refuse(f"send signal {number} to process {'group ' if event == 'os.killpg' else ''}"
                     f"{target}", "a --verify copy signals only itself")


def _shown(value: Any) -> str:
    """A short, readable form of an event's argument for a refusal message."""
    if isinstance(value, (str, bytes, os.PathLike)):
        text = os.fsdecode(value)
    elif isinstance(value, (list, tuple)) and all(isinstance(v, (str, bytes)) for v in value):
        text = " ".join(os.fsdecode(v) for v in value)
    elif isinstance(value, int):
        text = f"descriptor {value}" if _descriptor_path(value) is None else \
            str(_descriptor_path(value))
    else:
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


_CHECKS: dict[str, Callable[[Guard, str, tuple[Any, ...]], None]] = {
    "open": _check_open,
    "sqlite3.connect": _check_sqlite,
    "mmap.__new__": _check_mmap,
    "os.kill": _check_kill,
    "os.killpg": _check_kill,
    **{event: _check_path_event for event in _PATH_EVENTS},
    **{event: _check_process for event in _PROCESS_EVENTS},
    **{event: _check_network for event in _NETWORK_EVENTS},
    **{event: _check_lookup for event in _LOOKUP_EVENTS},
    **{event: _check_ctypes for event in _CTYPES_EVENTS},
}
