"""Dates kept as text and read through `.dt`, on the real embedded model in a real kernel
(`core/text_dates.py`): the fix of a cell that raises "Can only use .dt accessor with
datetimelike values", and a generate answer that reads a text column's month, both kept
only once they run and give the month of each date.

The module has a kernel of its own: in a shared one, older cells that name the same
things come along with the prompt and the model's answer depends on the order tests ran.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.kernel_driver import KernelDriver, assistant_kernel

pytestmark = [pytest.mark.model, pytest.mark.timeout(3600)]  # slow when the machine is shared

REPLY = "__import__('jupyter_localai').last_reply()"
ASK_TIMEOUT_S = 1200.0  # the shared 2-core machine is slow under load; nothing else waits


@pytest.fixture(scope="module")
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    with assistant_kernel(default_model_path,
                          "import pandas as pd\n"
                          "checkins = pd.DataFrame({'when': ['2024-05-06', '2024-07-11', "
                          "'2024-05-30'], 'guests': [3, 4, 2]})") as driver:
        yield driver


def _ran(kernel: KernelDriver, code: str) -> None:
    ran = kernel.execute(code)
    assert ran.status == "ok", (code, ran.error)


def test_a_fix_of_dt_on_date_strings_parses_them(kernel: KernelDriver) -> None:
    failing = kernel.execute("checkins['month'] = checkins['when'].dt.month_name()\ncheckins")
    assert failing.status == "error" and ".dt accessor" in str(failing.error)
    run = kernel.execute("%ai fix", timeout=ASK_TIMEOUT_S)
    assert run.status == "ok", run.error
    code = kernel.value(f"{REPLY}.code")
    _ran(kernel, code)
    assert kernel.value("checkins['month'].tolist()") == ["May", "July", "May"], code


def test_a_generated_month_column_reads_the_dates_not_the_text(kernel: KernelDriver) -> None:
    run = kernel.execute("%%ai --max-tokens 128\nAdd a column `month_number` to `checkins`: "
                         "the month (1-12) of each `when` date.", timeout=ASK_TIMEOUT_S)
    assert run.status == "ok", run.error
    code = kernel.value(f"{REPLY}.code")
    _ran(kernel, code)
    assert kernel.value("[int(m) for m in checkins['month_number']]") == [5, 7, 5], code
