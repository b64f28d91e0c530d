"""`%ai fix --verify` in a real kernel on the real embedded model, with the guard active:
an earlier cell that writes a file is not written again by the copy, the copy says what it
could not re-run, and a plain fix still verifies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.kernel_driver import KernelDriver, assistant_kernel

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    with assistant_kernel(default_model_path) as driver:
        yield driver


def test_a_fix_verifies_in_the_guarded_copy_without_repeating_a_write(
        kernel: KernelDriver, tmp_path: Path) -> None:
    log = tmp_path / "loaded.log"
    loaded = kernel.execute(f"zip_codes = [2134, 90210, 501]\n"
                            f"with open({str(log)!r}, 'a') as log:\n"
                            f"    log.write('loaded\\n')")
    assert loaded.status == "ok", loaded.error
    failing = kernel.execute("zip_codes = [z.zfill(5) for z in zip_codes]")
    assert failing.error is not None and failing.error["ename"] == "AttributeError"
    run = kernel.execute("%ai fix --verify --max-tokens 96")
    assert run.status == "ok", run.error
    reply = "__import__('jupyter_localai').last_reply()"
    assert kernel.value(f"{reply}.verified") is True
    warnings = kernel.value(f"{reply}.warnings")
    # The cell that set zip_codes was re-run in the copy, where its write was refused.
    assert any("could not be re-run in the copy" in w and f"refused to write {log}" in w
               for w in warnings), warnings
    assert log.read_text() == "loaded\n"  # written once, by the user's own run
    assert kernel.value("zip_codes") == [2134, 90210, 501]  # the kernel is untouched
    ran = kernel.execute(kernel.value(f"{reply}.code"))
    assert ran.status == "ok", ran.error
    assert kernel.value("zip_codes") == ["02134", "90210", "00501"]
