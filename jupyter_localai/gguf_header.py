"""Read and sanity-check a GGUF file's header without loading its tensors.

llama.cpp aborts the whole process on some malformed files (a header claiming 1000 layers
ends in SIGABRT), so the parent checks a file here before a worker ever loads it. The type
tables come from the `gguf` package (llama.cpp's own); the walk over the header is ours
because `gguf.GGUFReader` builds a numpy view per vocabulary string and took 8.8 s on the
0.5B model's 151k-token vocabulary, where this reader takes a few tens of milliseconds.
"""

from __future__ import annotations

import mmap
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

from .errors import InvalidModelError

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
# Limits far above any real model, low enough to refuse a header that would make
# llama.cpp allocate absurd amounts or loop for ages.
MAX_BLOCK_COUNT = 512
MAX_TENSORS = 1 << 20
MAX_KV = 1 << 16
MAX_DIMS = 4
MAX_ARRAY_ITEMS = 1 << 26

_SCALARS: dict[GGUFValueType, struct.Struct] = {
    GGUFValueType.UINT8: struct.Struct("<B"),
    GGUFValueType.INT8: struct.Struct("<b"),
    GGUFValueType.UINT16: struct.Struct("<H"),
    GGUFValueType.INT16: struct.Struct("<h"),
    GGUFValueType.UINT32: struct.Struct("<I"),
    GGUFValueType.INT32: struct.Struct("<i"),
    GGUFValueType.FLOAT32: struct.Struct("<f"),
    GGUFValueType.BOOL: struct.Struct("<?"),
    GGUFValueType.UINT64: struct.Struct("<Q"),
    GGUFValueType.INT64: struct.Struct("<q"),
    GGUFValueType.FLOAT64: struct.Struct("<d"),
}
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_BLOCK_RE = re.compile(r"^blk\.(\d+)\.")


@dataclass
class GGUFInfo:
    """What the header says about a model: enough to describe it and to trust it."""

    path: Path
    size_bytes: int
    version: int
    architecture: str
    name: str
    block_count: int
    context_length: int
    n_tensors: int
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)


class _Malformed(Exception):
    """Internal: the header is inconsistent; turned into InvalidModelError with the path."""


class _HeaderReader:
    """Reads over a memory map of the file (only header pages are touched), never past its end."""

    def __init__(self, buffer: mmap.mmap, size: int) -> None:
        self._buffer = buffer
        self.size = size
        self.pos = 0

    def _advance(self, n: int) -> int:
        start = self.pos
        if n < 0 or start + n > self.size:
            raise _Malformed(f"header field at byte {start} runs past the end of the file")
        self.pos = start + n
        return start

    def read(self, n: int) -> bytes:
        start = self._advance(n)
        return self._buffer[start : start + n]

    def skip(self, n: int) -> None:
        self._advance(n)

    def u32(self) -> int:
        return _U32.unpack_from(self._buffer, self._advance(4))[0]

    def u64(self) -> int:
        return _U64.unpack_from(self._buffer, self._advance(8))[0]

    def string(self) -> str:
        return self.read(self.u64()).decode("utf-8", errors="replace")

    def skip_strings(self, count: int) -> None:
        """Skip `count` strings; the hot loop of a 150k-token vocabulary, kept tight."""
        buffer, pos, limit, unpack = self._buffer, self.pos, self.size - 8, _U64.unpack_from
        for _ in range(count):
            if pos > limit:
                raise _Malformed(f"string array at byte {self.pos} runs past the end of the file")
            pos += 8 + unpack(buffer, pos)[0]
        if pos > self.size:
            raise _Malformed(f"string array at byte {self.pos} runs past the end of the file")
        self.pos = pos

    def value(self, kind: int) -> Any:
        """One metadata value; arrays (vocabularies, merges) are skipped: None."""
        vtype = _value_type(kind)
        if vtype is GGUFValueType.STRING:
            return self.string()
        if vtype is GGUFValueType.ARRAY:
            item_type = _value_type(self.u32())
            count = self.u64()
            if count > MAX_ARRAY_ITEMS:
                raise _Malformed(f"metadata array of {count} items")
            if item_type is GGUFValueType.STRING:
                self.skip_strings(count)
            elif item_type is GGUFValueType.ARRAY:
                raise _Malformed("nested metadata arrays are not supported by llama.cpp")
            else:
                self.skip(count * _SCALARS[item_type].size)
            return None
        scalar = _SCALARS[vtype]
        return scalar.unpack(self.read(scalar.size))[0]


def _value_type(kind: int) -> GGUFValueType:
    try:
        return GGUFValueType(kind)
    except ValueError:
        raise _Malformed(f"unknown metadata value type {kind}") from None


def _tensor_nbytes(name: str, dims: list[int], kind: int) -> int:
    try:
        block_size, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
    except (ValueError, KeyError):
        raise _Malformed(f"tensor {name!r} has unknown type {kind}") from None
    if not dims or any(d <= 0 for d in dims) or dims[0] % block_size:
        raise _Malformed(f"tensor {name!r} has invalid shape {dims}")
    elements = 1
    for d in dims:
        elements *= d
    return elements // block_size * type_size


def _read_header(path: Path) -> GGUFInfo:
    size = path.stat().st_size
    if size < 24:
        raise _Malformed(f"not a GGUF file (only {size} bytes)")
    with path.open("rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        reader = _HeaderReader(buf, size)
        if reader.read(4) != GGUF_MAGIC:
            raise _Malformed("not a GGUF file (the first bytes are not 'GGUF')")
        version = reader.u32()
        if version not in (2, 3):
            raise _Malformed(f"unsupported GGUF version {version}")
        n_tensors, n_kv = reader.u64(), reader.u64()
        if n_tensors > MAX_TENSORS or n_kv > MAX_KV:
            raise _Malformed(f"absurd header: {n_tensors} tensors, {n_kv} metadata keys")
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = reader.string()
            value = reader.value(reader.u32())
            if value is not None:
                metadata[key] = value
        tensors: list[tuple[str, int, int]] = []  # name, offset, nbytes
        for _ in range(n_tensors):
            name = reader.string()
            n_dims = reader.u32()
            if not 1 <= n_dims <= MAX_DIMS:
                raise _Malformed(f"tensor {name!r} has {n_dims} dimensions")
            dims = [reader.u64() for _ in range(n_dims)]
            kind, offset = reader.u32(), reader.u64()
            tensors.append((name, offset, _tensor_nbytes(name, dims, kind)))
        header_end = reader.pos
    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or isinstance(alignment, bool):
        # llama.cpp reads it as uint32: a string or float here is a broken file, not a 500.
        raise _Malformed(
            f"general.alignment must be an unsigned integer, not {type(alignment).__name__} "
            f"{str(alignment)[:40]!r}"
        )
    if alignment <= 0 or alignment & (alignment - 1):
        raise _Malformed(f"invalid general.alignment {alignment}")
    data_start = -(-header_end // alignment) * alignment
    info = _describe(path, size, version, metadata, len(tensors))
    _check_tensors(info, tensors, data_start, alignment)
    return info


def _describe(
    path: Path, size: int, version: int, metadata: dict[str, Any], n_tensors: int
) -> GGUFInfo:
    arch = metadata.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise _Malformed("general.architecture is missing")
    block_count = metadata.get(f"{arch}.block_count")
    if not isinstance(block_count, int) or isinstance(block_count, bool):
        raise _Malformed(f"{arch}.block_count is missing")
    if not 0 < block_count <= MAX_BLOCK_COUNT:
        raise _Malformed(
            f"absurd header: {arch}.block_count = {block_count} layers "
            f"(more than {MAX_BLOCK_COUNT} is not a real model)"
        )
    context_length = metadata.get(f"{arch}.context_length", 0)
    return GGUFInfo(
        path=path,
        size_bytes=size,
        version=version,
        architecture=arch,
        name=str(metadata.get("general.name") or path.stem),
        block_count=block_count,
        context_length=int(context_length) if isinstance(context_length, int) else 0,
        n_tensors=n_tensors,
        metadata=metadata,
    )


def _check_tensors(
    info: GGUFInfo, tensors: list[tuple[str, int, int]], data_start: int, alignment: int
) -> None:
    if not tensors:
        raise _Malformed("the file holds no tensors")
    blocks: set[int] = set()
    for name, offset, nbytes in tensors:
        if offset % alignment:
            raise _Malformed(f"tensor {name!r} is not aligned to {alignment} bytes")
        end = data_start + offset + nbytes
        if end > info.size_bytes:
            raise _Malformed(
                f"truncated: tensor {name!r} ends at byte {end:,} but the file has only "
                f"{info.size_bytes:,} bytes"
            )
        match = _BLOCK_RE.match(name)
        if match:
            blocks.add(int(match.group(1)))
    if blocks and (max(blocks) >= info.block_count or len(blocks) < info.block_count):
        raise _Malformed(
            f"header says {info.block_count} layers but the tensors describe "
            f"{len(blocks)} (indices up to {max(blocks)})"
        )


def read_gguf_header(path: str | Path) -> GGUFInfo:
    """Parse and check `path`'s GGUF header; raises InvalidModelError naming the file."""
    path = Path(path)
    try:
        return _read_header(path)
    except _Malformed as exc:
        raise InvalidModelError(
            f"{path} is not a usable GGUF model: {exc}. Re-download or re-assemble the file, "
            "or pick another model (`%ai models` lists them)."
        ) from None
    except (OSError, struct.error, UnicodeDecodeError) as exc:
        raise InvalidModelError(f"{path} could not be read as a GGUF model: {exc}") from exc
