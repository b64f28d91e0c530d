"""Generate answers on the real embedded model, in a real kernel, for requests whose usual
wrong answers run without error: text patterns given to `replace` as plain text
(`core/replace_calls.py`), whole-array reductions where each column was asked for
(`core/axis_intent.py`), a moving sum where an average was asked (`core/window_mean.py`),
whole-column running operations where each group was asked for (`core/group_intent.py`),
percentiles asked for by number used as the numbers (`core/percentile_intent.py`),
fractions where percent was asked (`core/percent_scale.py`), missing values the request keeps
filled (`core/fill_intent.py`),
and the user's data re-typed into the answer (`copies_data`).
Each kept answer must compute what was asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.kernel_driver import KernelDriver, assistant_kernel, kept_answer

pytestmark = [pytest.mark.model, pytest.mark.timeout(3600)]  # slow when the machine is shared

REPLY = "__import__('jupyter_localai').last_reply()"


@pytest.fixture(scope="module")
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    with assistant_kernel(default_model_path,
                          "import numpy as np\nimport pandas as pd\n"
                          "marks = np.array([[12.0, 40.0, 7.0], [18.0, 55.0, 9.0], "
                          "[15.0, 70.0, 3.0], [20.0, 45.0, 5.0]])\n"
                          "crew = pd.DataFrame({'name': ['Ana', 'Ben', 'Cy'], 'phone': "
                          "['(020) 555-0101', '020.555.0199', '020 555 0123']})") as driver:
        yield driver


def test_each_column_scaled_on_its_own_range(kernel: KernelDriver) -> None:
    code = kept_answer(
        kernel, "Min-max scale each column of the array `marks` to the range 0 to 1 "
                "and store it as `marks_scaled`.")
    assert kernel.value("np.round(marks_scaled.min(axis=0), 6).tolist()") == [0.0, 0.0, 0.0], code
    assert kernel.value("np.round(marks_scaled.max(axis=0), 6).tolist()") == [1.0, 1.0, 1.0], code


def test_digits_kept_from_each_phone_number(kernel: KernelDriver) -> None:
    code = kept_answer(
        kernel, "Add a column `digits` to `crew`: each `phone` with every character "
                "that is not a digit removed, by a regular-expression replace.")
    assert kernel.value("crew['digits'].tolist()") == ["0205550101", "0205550199",
                                                       "0205550123"], code


def test_the_kept_answer_works_on_the_users_own_frame(kernel: KernelDriver) -> None:
    # A re-typed copy of the cell's data is dropped when exact, and fed back when not:
    # either way the kept answer reads the live frame.
    assert kernel.execute("tolls = pd.DataFrame({'gate': ['A', 'B', 'A', 'C'], "
                          "'fee': [4.5, 3.0, 4.5, 6.0]})").status == "ok"
    code = kept_answer(
        kernel, "Group `tolls` by `gate` and sum `fee`; store the result as `fee_per_gate`.")
    assert "pd.DataFrame(" not in code, code
    assert kernel.value("fee_per_gate.to_dict()") == {"A": 9.0, "B": 3.0, "C": 6.0}, code


def test_the_kept_answer_does_not_run_the_notebooks_setup_again(kernel: KernelDriver) -> None:
    # The notebook made `waits` and then dropped its long ones; an answer that re-types the
    # setup statement (`core/reruns.py`) would bring them back. Whether the model re-types
    # it or not, the kept answer must work on `waits` as the later cell left it.
    assert kernel.execute("waits = np.random.default_rng(3).exponential(4.0, 50).round(2)"
                          ).status == "ok"
    assert kernel.execute("waits = waits[waits < 10]").status == "ok"
    code = kept_answer(
        kernel, "Set `longest` to the longest wait in `waits`, as a float.")
    assert kernel.value("float(longest) < 10 and len(waits) < 50"), code


def test_a_moving_average_divides_each_window(kernel: KernelDriver) -> None:
    # A convolution with a window of ones is a moving sum (`core/window_mean.py`).
    assert kernel.execute("visits = np.array([10.0, 14.0, 12.0, 20.0, 16.0, 18.0])").status == "ok"
    code = kept_answer(
        kernel, "Compute the 3-day moving average of `visits` over full windows only "
                "with numpy and store it as `visits_avg`.")
    assert kernel.value("np.round(np.asarray(visits_avg, dtype=float), 6).tolist()") == [
        12.0, 15.333333, 16.0, 18.0], code


def test_a_running_change_per_group_is_grouped(kernel: KernelDriver) -> None:
    # Asked per rider, a whole-column `diff` runs across riders (`core/group_intent.py`).
    assert kernel.execute("rides = pd.DataFrame({'rider': ['ann', 'ann', 'bo', 'bo', 'bo'], "
                          "'km': [10.0, 12.5, 30.0, 28.0, 35.0]})").status == "ok"
    code = kept_answer(
        kernel, "Add a column `gain` to `rides`: the change in `km` from each rider's "
                "previous ride (the first ride of each rider has no change).")
    gains = kernel.value("[None if pd.isna(g) else round(float(g), 3) for g in rides['gain']]")
    assert gains == [None, 2.5, None, -2.0, 7.0], code



def test_percentiles_asked_by_number_are_computed(kernel: KernelDriver) -> None:
    # The numbers of "the 10th and 90th percentiles" are not the bounds themselves
    # (`core/percentile_intent.py`).
    assert kernel.execute("loads = np.arange(1.0, 201.0)").status == "ok"
    code = kept_answer(
        kernel, "Clip every value of `loads` to lie between its 10th and 90th "
                "percentiles and store the result as `loads_capped`.")
    low, high = kernel.value("[float(loads_capped.min()), float(loads_capped.max())]")
    assert (round(low, 3), round(high, 3)) == (20.9, 180.1), code


def test_an_asked_reference_line_is_drawn_or_named(kernel: KernelDriver) -> None:
    # A dashed line at the mean left out of the chart runs without error
    # (`core/drawing_intent.py`): the kept answer draws it, or says it does not.
    assert kernel.execute("import matplotlib.pyplot as plt\nplt.close('all')\n"
                          "snow = pd.Series([3.0, 9.0, 6.0], index=['Dec', 'Jan', 'Feb'])"
                          ).status == "ok"
    code = kept_answer(
        kernel, "Draw a bar chart of `snow` with a dashed horizontal line at its "
                "mean.")
    probe = ("\n_axes = plt.gca()\n_at_mean = [bool(np.allclose(np.asarray(line.get_ydata(), "
             "float), 6.0)) for line in _axes.lines] + [bool(np.allclose([p[1] for seg in "
             "c.get_segments() for p in seg], 6.0)) for c in _axes.collections]")
    shown = code.replace("plt.show()", "")  # show (and the inline backend) close the figure
    assert kernel.execute(shown + probe).status == "ok"
    drawn = kernel.value("any(_at_mean)")
    named = kernel.value(f"any('horizontal line' in w for w in {REPLY}.warnings)")
    assert drawn or named, code


def test_a_change_asked_in_percent_is_in_percent(kernel: KernelDriver) -> None:
    # `pct_change` gives fractions; the request asks percent (`core/percent_scale.py`).
    assert kernel.execute("fares = pd.DataFrame({'fare': [10.0, 11.0, 8.8]})").status == "ok"
    # Named, as users do; the 0.5B otherwise wrote the difference times 100.
    code = kept_answer(
        kernel, "Add a column `growth` to `fares` with `pct_change`: the change of "
                "`fare` from the previous row, in percent (a rise from 10 to 11 is "
                "10.0).")
    growth = kernel.value("[None if pd.isna(g) else round(float(g), 3) for g in fares['growth']]")
    assert growth == [None, 10.0, -20.0], code


def test_values_the_request_keeps_missing_stay_missing(kernel: KernelDriver) -> None:
    # An unasked `fillna(0)` turns the NaN the request wants into a 0 (`core/fill_intent.py`).
    assert kernel.execute("trips = pd.DataFrame({'km': [4.0, 6.5, 5.0]})").status == "ok"
    code = kept_answer(
        kernel, "Add a column `step` to `trips` with `diff`: each row's `km` minus "
                "the previous row's, with NaN for the first row.")
    steps = kernel.value("[None if pd.isna(s) else round(float(s), 3) for s in trips['step']]")
    assert steps == [None, 2.5, -1.5], code
