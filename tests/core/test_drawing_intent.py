"""A chart asked for with a title, axis labels, a legend or a reference line: the parts the
drawing code never draws are named; code that draws them, or draws nothing, passes."""

from __future__ import annotations

import pytest

from jupyter_localai.core.checks import check_code


def drawing(code: str, request: str) -> list[str]:
    return [i.message for i in check_code(code, request_text=request) if i.kind == "drawing"]


@pytest.mark.parametrize(("code", "request_text", "part"), [
    ("plt.bar(x, y, linestyle='--')",
     "Bar chart of y with a dashed horizontal line at the mean.", "a horizontal line"),
    ("plt.plot(x, y)\nplt.xlabel('day')", "Plot y by day titled 'Visits', x label 'day'.",
     "a title"),
    ("ax.hist(x)", "A histogram of x with the y-axis labelled 'count'.", "a y-axis label"),
    ("plt.plot(x, a, label='a')\nplt.plot(x, b, label='b')", "Plot a and b with a legend.",
     "a legend"),
    ("df.plot(x='d', y='v')", "Line chart of v over d with a vertical line at the launch day.",
     "a vertical line"),
])
def test_an_asked_part_the_drawing_leaves_out_is_named(code, request_text, part) -> None:
    found = drawing(code, request_text)
    assert len(found) == 1 and f"asks for {part}," in found[0], found


@pytest.mark.parametrize(("code", "request_text"), [
    ("plt.bar(x, y)\nplt.axhline(y.mean(), linestyle='--')",
     "Bars of y with a dashed horizontal line at the mean."),
    ("ax.plot(x, y)\nax.set_title('Visits')\nax.set_xlabel('day')",
     "Plot y titled 'Visits' with the x label 'day'."),
    ("df.plot(x='d', y='v', title='Visits', ylabel='n', legend=True)",
     "A line chart with the title 'Visits', y label 'n' and a legend."),
    ("top = df.nlargest(3, 'v')", "The three rows with a title column, as top."),
    ("counts = df['title'].value_counts()", "Count the books per title, with a legend of it."),
    ("plt.plot(x, y)", "Plot y over x as a line chart."),
])
def test_parts_drawn_or_not_asked_pass(code: str, request_text: str) -> None:
    assert drawing(code, request_text) == []


def test_a_second_plot_call_counts_as_the_reference_line() -> None:
    code = "plt.bar(x, y)\nplt.plot(x, [y.mean()] * len(x), '--')"
    assert drawing(code, "Bars of y with a dashed horizontal line at the mean.") == []


@pytest.mark.parametrize("code", [
    "ax = table[['a', 'b']].plot(kind='bar', stacked=True)",
    "sales.groupby('region').sum().plot.bar()",
    "frame.plot(x='d')",
])
def test_a_pandas_plot_draws_its_own_legend(code: str) -> None:
    assert drawing(code, "A bar chart of the two columns with a legend.") == []


@pytest.mark.parametrize("code", [
    "ax.plot(x, a)\nax.plot(x, b)",
    "frame.plot(x='d', legend=False)",
])
def test_an_axes_plot_or_a_legend_turned_off_draws_none(code: str) -> None:
    assert len(drawing(code, "Plot a and b with a legend.")) == 1
