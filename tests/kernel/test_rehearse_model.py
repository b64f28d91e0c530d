"""Rehearsal by default on the real embedded model, in a real kernel: a generated answer
runs first in the guarded forked copy and says so, the kernel's variables are exactly as
before (fingerprint), `--no-verify` and `LocalAI.rehearse = False` skip the copy, and an
answer that raises there is rewritten from its exact edit, or else retried with the error
fed back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.kernel_driver import KernelDriver, assistant_kernel

pytestmark = [pytest.mark.model, pytest.mark.timeout(3600)]  # slow when the machine is shared

REPLY = "__import__('jupyter_localai').last_reply()"
ASK_TIMEOUT_S = 1200.0  # the shared 2-core machine is slow under load; nothing else waits
# A fingerprint of the user's variables: names, types and reprs (a DataFrame's included).
FINGERPRINT = ("__import__('hashlib').sha256(repr(sorted((k, type(v).__name__, repr(v)) "
               "for k, v in globals().items() if not k.startswith('_') and k not in "
               "('In', 'Out', 'get_ipython', 'exit', 'quit'))).encode()).hexdigest()")


@pytest.fixture(scope="module")
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    with assistant_kernel(default_model_path,
                          "import pandas as pd\n"
                          "temps = [21.5, 23.0, 19.5]\n"
                          "sales = pd.DataFrame({'region': ['north', 'south'], "
                          "'units': [5, 7]})") as driver:
        yield driver


def shown(run: object) -> str:
    """Everything the cell displayed as Markdown or text (the answer, and whatever other
    display follows it, such as the answer's action buttons)."""
    messages = run.of_type("display_data", "update_display_data")  # type: ignore[attr-defined]
    return "\n".join(str(m["content"]["data"].get("text/markdown", "")) + "\n"
                     + str(m["content"]["data"].get("text/plain", "")) for m in messages)


def test_a_generated_answer_is_rehearsed_by_default_and_leaves_the_kernel_as_it_was(
        kernel: KernelDriver) -> None:
    before = kernel.value(FINGERPRINT)
    run = kernel.execute("%%ai --max-tokens 96\nAppend 18.0 to the list temps, then set "
                         "warmest to the largest value in temps.", timeout=ASK_TIMEOUT_S)
    assert run.status == "ok", run.error
    assert kernel.value(f"{REPLY}.verified") is True, kernel.value(f"{REPLY}.warnings")
    assert "Rehearsed in a guarded copy:** ran without error" in shown(run)
    code = kernel.value(f"{REPLY}.code")
    assert "temps" in code and "warmest" in code
    # The append and `warmest` happened in the copy only.
    assert kernel.value(FINGERPRINT) == before
    assert kernel.value("temps") == [21.5, 23.0, 19.5]
    assert kernel.value("'warmest' in globals()") is False


@pytest.mark.parametrize("setup, ask", [
    ("", ("%%ai --no-verify --max-tokens 128\nSet busiest to the region with the most "
          "units in sales.")),
    ("%config LocalAI.rehearse = False",
     "%%ai --max-tokens 128\nSet busiest to the region with the most units in sales."),
])
def test_no_verify_and_the_setting_skip_the_rehearsal(kernel: KernelDriver, setup: str,
                                                      ask: str) -> None:
    if setup:
        assert kernel.execute(setup).status == "ok"
    try:
        run = kernel.execute(ask, timeout=ASK_TIMEOUT_S)
        assert run.status == "ok", run.error
        assert kernel.value(f"{REPLY}.verified") is None
        assert kernel.value(f"{REPLY}.code").strip()  # an answer, shown without a mark
        assert "Rehearsed" not in shown(run) and "Rehearsed" not in str(
            kernel.value(f"{REPLY}.warnings"))
        assert kernel.value("'busiest' in globals()") is False
    finally:
        kernel.execute("%config LocalAI.rehearse = True")


def asked_in_copy(kernel: KernelDriver, setup: str, ask: str) -> object:
    """`setup` run, then `%%ai ask`: the cell's run, once it is checked that every
    rehearsal ran in a copy only (the user's variables as before, by fingerprint)."""
    assert kernel.execute(setup).status == "ok"
    before = kernel.value(FINGERPRINT)
    run = kernel.execute(f"%%ai --max-tokens 96\n{ask}", timeout=ASK_TIMEOUT_S)
    assert run.status == "ok", run.error  # type: ignore[attr-defined]
    assert kernel.value(FINGERPRINT) == before
    return run


def test_a_generated_sum_of_number_strings_that_raises_in_the_copy_is_rewritten_and_runs(
        kernel: KernelDriver) -> None:
    # The readings are strings: the plain `sum(readings)` raises TypeError, which only
    # running the code shows (no static check knows what the list holds); the failure's
    # exact edit (each converted first) is applied to the failed candidate and rehearsed.
    asked_in_copy(kernel, "readings = ['3', '4', '5']", "Set total to the sum of readings.")
    assert kernel.value(f"{REPLY}.verified") is True, kernel.value(f"{REPLY}.warnings")
    ran = kernel.execute(kernel.value(f"{REPLY}.code"))
    assert ran.status == "ok", ran.error
    assert kernel.value("float(total)") == 12.0


def test_a_generated_answer_that_raises_in_the_copy_is_retried_with_the_error(
        kernel: KernelDriver) -> None:
    # A price is missing (None): `sum(prices.values())` raises TypeError in the copy, and no
    # rule rewrites it, so the model is asked again with the error. Whether the small model
    # then repairs it differs between CPUs (their float rounding steers greedy decoding), so
    # what is asserted is the mechanism and that the answer's mark tells the truth.
    run = asked_in_copy(kernel, "prices = {'apple': 1.25, 'pear': None, 'fig': 2.0}",
                        "Set total to the sum of the prices.")
    attempts = kernel.value(f"{REPLY}.attempts")
    retried = [m for m in run.of_type("display_data", "update_display_data", "stream")
               if "Running it in a copy of the notebook raised: TypeError" in str(m["content"])]
    assert attempts >= 2 and retried, (attempts, kernel.value(f"{REPLY}.code"))
    verified = kernel.value(f"{REPLY}.verified")
    ran = kernel.execute(kernel.value(f"{REPLY}.code"))
    if verified is True:
        assert ran.status == "ok", ran.error
        assert kernel.value("float(total)") == 3.25
    else:
        # Not verified, and it says why: what it raised in the copy is what it raises here.
        warnings = kernel.value(f"{REPLY}.warnings")
        assert verified is False and warnings
        if ran.status == "error":
            assert any(f"raised: {ran.error['ename']}" in warning for warning in warnings)


def test_a_generated_answer_marked_verified_holds_the_kind_the_request_names(
        kernel: KernelDriver) -> None:
    # "Keep the Axes in `ax`": `ax = plt.hist(...)` runs but holds a tuple; the copy reads
    # what `ax` holds, so an answer is marked verified only when it is an Axes.
    assert kernel.execute("import matplotlib\nmatplotlib.use('Agg')\n"
                          "waits = [3.0, 4.5, 4.0, 7.5, 5.0]").status == "ok"
    run = kernel.execute("%%ai --max-tokens 128\nDraw a histogram of waits with 3 bins. "
                         "Keep the Axes in a variable `ax`.", timeout=ASK_TIMEOUT_S)
    assert run.status == "ok", run.error
    verified = kernel.value(f"{REPLY}.verified")
    warnings = kernel.value(f"{REPLY}.warnings")
    ran = kernel.execute(kernel.value(f"{REPLY}.code"))
    held = kernel.value("type(globals().get('ax')).__name__")  # 'NoneType' when unset
    if verified is True:
        assert ran.status == "ok", ran.error
        assert held == "Axes"
    else:  # not verified, and it says why: what `ax` held, or what kept it from running
        assert verified is False and warnings
        if ran.status == "ok" and held not in ("Axes", "NoneType"):
            assert any("where the request asks for an Axes" in w for w in warnings), warnings
