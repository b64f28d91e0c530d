"""Broken GGUF files for the crash and bad-model tests, written with llama.cpp's own writer.

`absurd_experts` passes the parent's header check (it checks layers and the tensor table)
but makes llama.cpp abort while loading (`GGML_ASSERT(hparams.n_expert <= LLAMA_MAX_EXPERTS)`):
the case the worker process exists for. `bigger_than_memory` is a sparse file whose header
and tensor table are sound and whose tensors add up to twice this machine's memory, without
using that much disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter

EMBED = 64


def _writer(path: Path, block_count: int, extra: Callable[[GGUFWriter], None]) -> GGUFWriter:
    writer = GGUFWriter(str(path), "qwen2")
    writer.add_block_count(block_count)
    writer.add_context_length(256)
    writer.add_embedding_length(EMBED)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(4)
    writer.add_layer_norm_rms_eps(1e-6)
    extra(writer)
    return writer


def _two_block_file(path: Path, extra: Callable[[GGUFWriter], None]) -> Path:
    """A small two-block file with the metadata `extra` adds."""
    writer = _writer(path, 2, extra)
    writer.add_tensor("token_embd.weight", np.zeros((32, EMBED), dtype=np.float32))
    for index in range(2):
        writer.add_tensor(f"blk.{index}.attn_norm.weight", np.ones(EMBED, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def absurd_experts(path: Path) -> Path:
    """A small, well-formed file whose header claims 100,000 experts per layer."""
    return _two_block_file(path, lambda w: (w.add_expert_count(100_000), w.add_expert_used_count(8)))


def physical_memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def bigger_than_memory(path: Path) -> Path:
    """A sparse GGUF whose (consistent) tensors need twice the machine's memory."""
    rows = 2 * physical_memory_bytes() // (EMBED * 4) + 1
    writer = _writer(path, 2, lambda w: None)
    writer.add_tensor_info(
        "token_embd.weight", (rows, EMBED), np.dtype(np.float32), rows * EMBED * 4,
        raw_dtype=GGMLQuantizationType.F32,
    )
    for index in range(2):
        writer.add_tensor_info(
            f"blk.{index}.attn_norm.weight", (EMBED,), np.dtype(np.float32), EMBED * 4,
            raw_dtype=GGMLQuantizationType.F32,
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    header = path.stat().st_size
    data_start = -(-header // 32) * 32
    tensors = -(-rows * EMBED * 4 // 32) * 32 + 2 * 256
    with path.open("r+b") as out:
        out.truncate(data_start + tensors)  # sparse: no disk blocks behind the zeros
    return path


def small_model(path: Path) -> Path:
    """A small, well-formed file (no vocabulary): passes the header check."""
    return _two_block_file(path, lambda w: None)


def string_alignment(path: Path) -> Path:
    """A small file whose `general.alignment` is the string "32" (llama.cpp wants a uint32)."""
    return _two_block_file(path, lambda w: w.add_string("general.alignment", "32"))
