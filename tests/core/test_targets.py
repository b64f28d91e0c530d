"""The variable a request asks for, in many phrasings, and the requests that name none."""

from __future__ import annotations

import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.targets import asked_names


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("compute the mean price per region into a variable called `answer`", ["answer"]),
        ("Store the result in top_regions and plot it", ["top_regions"]),
        ("make a list named evens of the even numbers", ["evens"]),
        ("write a function called clean_names", ["clean_names"]),
        ("put the answer in `result`", ["result"]),
        ("make a list evens holding the even numbers below 20", ["evens"]),
        ("create a dict lookup mapping ids to names", ["lookup"]),
        ("build a DataFrame monthly from the daily rows", ["monthly"]),
        ("sum the sales by region and keep it as region_totals", ["region_totals"]),
        ("Set total to the sum of readings.", ["total"]),
        ("Load the file and then set result to its length", ["result"]),
        ("report should hold the mean of each column", ["report"]),
        ("compute averages; averages should contain one row per city", ["averages"]),
        ("put the result in best", ["best"]),
        ("store the cleaned frame as clean_df", ["clean_df"]),
        ("count the words, call it word_counts", ["word_counts"]),
        ('name it "summary"', ["summary"]),
        ("save the filtered rows into recent", ["recent"]),
        ("a DataFrame named sales with 3 columns", ["sales"]),
        ("total = the sum of all prices", ["total"]),
        ("compute `total = df.price.sum()`", ["total"]),
        ("the answer goes into `out`", ["out"]),
        ("Store the sum in total", ["total"]),
        ("assign the median to med_price", ["med_price"]),
        ("keep the result in a variable called kept", ["kept"]),
        ("save as `monthly`", ["monthly"]),
        ("I need a DataFrame monthly_totals with one row per month", ["monthly_totals"]),
        ("give me a dict by_city mapping each city to its rows", ["by_city"]),
        ("collect the ids into a list seen_ids, in order", ["seen_ids"]),
        ("encode the colours into an array codes of shape (5, 3)", ["codes"]),
        ("count the words and store the counts as a Series freq", ["freq"]),
        ("Put the length of each word in words into a dict lengths keyed by the word.",
         ["lengths"]),
        ("collect the rows in df into a list picked sorted by date", ["picked"]),
        ("I want an array grid indexed by row and column", ["grid"]),
        # "the same shape as grid" compares; the name comes after it
        ("scale each row and store the result, the same shape as grid, in scaled", ["scaled"]),
        ("Make a table called summary with one row per day", ["summary"]),
        # a name set off by a comma and described by its container noun
        ("Build gaps, the list of minutes between calls, and longest, a tuple (start, end)",
         ["gaps", "longest"]),
        ("Give me word_freq: the five commonest words with their counts", ["word_freq"]),
        ("Find each route's slowest bus, as slowest mapping route to bus", ["slowest"]),
        # a sentence wrapped over lines, as typed in a cell
        ("Keep the original order and store the\nlist in `clean_names`.", ["clean_names"]),
        (("Compute `mean_t`, a 1-D array of means ignoring the\nmissing readings, and "
          "`peak`, a 1-D integer array"), ["mean_t", "peak"]),
        ("Store the averages in a 1-D NumPy array `best3`, in row order.", ["best3"]),
        # a quoted name is preferred to an unquoted one found earlier
        ("store the total in grand, as `grand_total`", ["grand_total", "grand"]),
    ],
)
def test_asked_names(request_text: str, expected: list[str]) -> None:
    assert asked_names(request_text) == expected


@pytest.mark.parametrize(
    "request_text",
    [
        "add a column named total to df",
        "plot the prices and save it to disk",
        "sort df by date",
        "filter rows where price = 0",
        "keep only rows in df with price > 0",
        "save the plot to a file",
        "make a list of the even numbers",
        "group by region and count",
        "The result should be sorted",
        "name the column total",
        "convert the dates and store them as datetime",
        "store the dates as `int`",
        "save df to csv",
        "store the values as well",
        "make a list comprehension that squares x",
        "rename column a to b",
        "set the index to 'date'",
        "Plot it and set the title to Sales",
        "convert the column to `float`",
        "show the top 5 customers by revenue",
        "put them in a list of tuples",
        "store the values in a column of df",
        "save it as a new column flag",
        "convert it into a datetime column",
        "I want a list of the top five",
        "store it as a dict with names",
        "add it in the table header",
        "a histogram of durations titled Durations",
        "Create a table named orders in the SQL database",
        "Give me this: the five commonest words",
        "make columns such as price numeric",
        "compute the mean, as well as total",
    ],
)
def test_requests_that_name_no_variable(request_text: str) -> None:
    assert asked_names(request_text) == []


@pytest.mark.parametrize(
    ("code", "missing"),
    [
        ("evens = [n for n in range(20) if n % 2 == 0]", False),
        ("for n in range(3):\n    evens = n", False),  # a loop at top level binds it too
        ("if True:\n    evens = []", False),
        ("def make():\n    evens = [0, 2]\n    return evens\nmake()", True),  # local only
        ("result = [n for n in range(20) if n % 2 == 0]", True),
        ("[evens for evens in range(3)]", True),  # the comprehension's own scope
        ("(evens := [0, 2])", False),
    ],
)
def test_the_asked_name_must_be_bound_at_top_level(code: str, missing: bool) -> None:
    names = asked_names("make a list evens holding the even numbers below 20")
    kinds = {issue.kind for issue in check_code(code, required_names=names)}
    assert ("missing" in kinds) is missing
