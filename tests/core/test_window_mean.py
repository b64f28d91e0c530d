"""A moving average written as a convolution with a window of ones is a moving sum: the
checks name it where the request asks for an average, and the repair divides the window."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.window_mean import with_window_means

AVERAGE = "the 3-day moving average of sales over full windows, as smooth"
SUM = "the 3-day moving total of sales over full windows, as smooth"
SALES = np.array([3.0, 6.0, 9.0, 0.0, 3.0])


def _run(code: str) -> np.ndarray:
    namespace = {"np": np, "sales": SALES}
    exec(code, namespace)  # noqa: S102 - the test's own code
    return namespace["smooth"]


def test_a_window_of_ones_asked_as_an_average_is_named_and_divided() -> None:
    code = "smooth = np.convolve(sales, np.ones(3), mode='valid')\n"
    kinds = [issue.kind for issue in check_code(code, request_text=AVERAGE)]
    assert "window_mean" in kinds
    rewritten, notes = with_window_means(code, AVERAGE)
    assert notes and _run(rewritten).tolist() == pytest.approx([6.0, 5.0, 4.0])


@pytest.mark.parametrize("code", [
    "smooth = np.convolve(sales, np.ones(3), mode='valid') / 3\n",
    "smooth = np.convolve(sales, np.ones(3), mode='valid')\nsmooth /= 3\n",
    "smooth = np.convolve(sales, np.ones(3) / 3, mode='valid')\n",
])
def test_a_divided_window_or_result_is_left_alone(code: str) -> None:
    assert "window_mean" not in [i.kind for i in check_code(code, request_text=AVERAGE)]
    assert with_window_means(code, AVERAGE) == (code, [])
    assert _run(code).tolist() == pytest.approx([6.0, 5.0, 4.0])


def test_a_request_for_a_total_keeps_the_sum() -> None:
    code = "smooth = np.convolve(sales, np.ones(3), mode='valid')\n"
    assert "window_mean" not in [i.kind for i in check_code(code, request_text=SUM)]
    assert with_window_means(code, SUM) == (code, [])
