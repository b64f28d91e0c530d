"""Writing KV state files by hand, the way someone who can reach the folder might.

`plant` writes a file in the layout `kv_format` reads: the version's magic, the header's
length, the header and the payload. With `key` (the user's key, read from the folder as only
the user could) it signs the file as the worker would, so a malformed header gets past the
signature and reaches the parser; without it the tags are random, as a stranger's would be.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from pathlib import Path
from typing import Any

from jupyter_localai.worker import kv_format

_OLD_MAGIC = b"LAIKV1\n"


def signed_format() -> bool:
    """Whether the store under test writes signed files (anything newer than LAIKV1)."""
    return kv_format.MAGIC != _OLD_MAGIC


def header_bytes(header: Any) -> bytes:
    return header if isinstance(header, bytes) else json.dumps(header).encode()


def plant(
    path: Path,
    header: Any,
    payload: bytes = b"p" * 64,
    *,
    length: int | None = None,
    key: bytes | None = None,
    cut: int = 0,
) -> Path:
    """Write a state file: `length` overrides the header's length field, `cut` drops bytes
    from the end (a truncated file)."""
    raw = header_bytes(header)
    size = len(raw) if length is None else length
    if not signed_format():
        data = _OLD_MAGIC + struct.pack("<Q", size) + raw + payload
    else:
        prefix = kv_format.MAGIC + struct.pack("<Q", size)
        if key is None:
            header_tag, tag = b"\x00" * 32, b"\x00" * 32
        else:
            header_tag = hmac.new(key, b"H" + prefix + raw, hashlib.sha256).digest()
            tag = hmac.new(key, b"F" + prefix + raw + payload, hashlib.sha256).digest()
        data = prefix + header_tag + raw + payload + tag
    path.write_bytes(data[: len(data) - cut] if cut else data)
    return path


def header_of(session: str, tokens: list[int], payload: bytes) -> dict[str, Any]:
    """A well-formed header for `payload` (both layouts' fields)."""
    return {
        "session": session,
        "tokens": tokens,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "size": len(payload),
    }


def read_state(path: Path) -> tuple[dict[str, Any], bytes]:
    """A state file's header and payload (either layout), to copy it with changes."""
    raw = path.read_bytes()
    magic = raw[:7]
    (length,) = struct.unpack("<Q", raw[7:15])
    if magic == _OLD_MAGIC:
        return json.loads(raw[15 : 15 + length]), raw[15 + length :]
    start = 15 + 32
    return json.loads(raw[start : start + length]), raw[start + length : -32]


def user_key(root: Path) -> bytes | None:
    """The user's key file in the states' root, where the signed layout keeps it."""
    path = root / ".kv-key"
    return path.read_bytes() if path.is_file() else None
