"""Checks of the calls a reply makes: columns named in arguments, chained in-place calls,
and assigning the None of in-place methods; correct code passes each of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.kernel.context.namespace import KernelNamespace


@pytest.fixture
def namespace() -> KernelNamespace:
    tickets = pd.DataFrame({"ticket": [1, 2], "cust_id": [10, 11]})
    accounts = pd.DataFrame({"account_id": [10, 11], "country": ["FR", "DE"]})
    sales = pd.DataFrame({"region": ["n", "s"], "units": [3, 4]}).set_index("region")
    return KernelNamespace({
        "tickets": tickets, "accounts": accounts, "sales": sales, "pd": pd, "np": np,
        "laps": [61.0, 62.5], "seen": {1, 2}, "readings": np.array([3.0, 1.0]),
        "ages": pd.DataFrame({"age": [20.0, None]}),
    })


def messages(code: str, namespace: KernelNamespace, kind: str) -> list[str]:
    return [issue.message for issue in check_code(code, namespace=namespace) if issue.kind == kind]


def test_merge_on_a_key_one_frame_lacks(namespace: KernelNamespace) -> None:
    found = messages("out = tickets.merge(accounts, on='cust_id')", namespace, "column")
    assert len(found) == 1
    assert "`accounts` has no column 'cust_id'" in found[0]
    assert "pass `left_on='cust_id', right_on='account_id'`" in found[0]


def test_module_merge_and_left_right_keys(namespace: KernelNamespace) -> None:
    assert messages("out = pd.merge(tickets, accounts, left_on='cust_id', right_on='id')",
                    namespace, "column") == [
        ("In `merge(right_on='id')`: `accounts` has no column 'id'. Did you mean "
         "'account_id'? It has: 'account_id', 'country'.")]
    good = "out = pd.merge(tickets, accounts, left_on='cust_id', right_on='account_id')"
    assert check_code(good, namespace=namespace) == []


def test_groupby_and_sort_values_columns(namespace: KernelNamespace) -> None:
    found = messages("t = tickets.dropna().groupby('Cust_id')['ticket'].sum()", namespace, "column")
    assert len(found) == 1 and "Did you mean 'cust_id'?" in found[0]
    assert messages("t = tickets.sort_values(by=['ticket', 'when'])", namespace, "column")


def test_index_levels_and_created_columns_count_as_present(namespace: KernelNamespace) -> None:
    assert check_code("t = sales.groupby('region').sum()", namespace=namespace) == []
    code = "tickets['big'] = tickets['ticket'] > 1\nt = tickets.groupby('big').size()"
    assert check_code(code, namespace=namespace) == []


def test_a_frame_the_reply_rebinds_first_is_not_checked(namespace: KernelNamespace) -> None:
    code = "tickets = pd.read_csv('t.csv')\nt = tickets.groupby('customer').size()"
    assert messages(code, namespace, "column") == []
    # Rebinding on the same line reads the live frame first.
    assert messages("tickets = tickets.groupby('nope').size()", namespace, "column")


def test_chained_inplace_is_reported_with_the_assignment_to_use(namespace: KernelNamespace) -> None:
    found = messages("ages['age'].fillna(ages['age'].median(), inplace=True)", namespace, "inplace")
    assert len(found) == 1
    assert "ages['age'] = ages['age'].fillna(ages['age'].median())" in found[0]
    assert check_code("ages['age'] = ages['age'].fillna(0)", namespace=namespace) == []
    assert check_code("ages.fillna(0, inplace=True)", namespace=namespace) == []


@pytest.mark.parametrize("code", [
    "laps = laps.append(63.0)",
    "ordered = laps.sort()",
    "seen = seen.add(3)",
    "readings = readings.sort()",
    "ages = ages.dropna(inplace=True)",
])
def test_assigning_the_none_of_an_in_place_method(code: str, namespace: KernelNamespace) -> None:
    assert messages(code, namespace, "none_result")


@pytest.mark.parametrize("code", [
    "laps.append(63.0)",
    "more = np.append(readings, 4.0)",
    "ordered = np.sort(readings)",
    "ordered = sorted(laps)",
    "both = seen | {3}",
    "combined = tickets.add(1)",
])
def test_calls_that_return_values_pass(code: str, namespace: KernelNamespace) -> None:
    assert check_code(code, namespace=namespace) == []


@pytest.fixture
def bookings() -> KernelNamespace:
    frame = pd.DataFrame({"check_in": pd.to_datetime(["2024-01-01"]), "guest": ["x"],
                          "nights": [2], "booked": ["2024-01-01"]})
    return KernelNamespace({"bookings": frame, "pd": pd})


@pytest.mark.parametrize(("code", "expected"), [
    ("d = bookings['check_in'].dt.weekday()", "is a property, not a method"),
    ("n = bookings.shape()", "`bookings.shape` is a property"),
    ("bookings['day'] = bookings['check_in'].dt.day_name", "is a method: call it"),
    ("d = bookings['check_in'].dt.weekday_name", "Did you mean `.day_name`?"),
    ("y = bookings['booked'].dt.year", "convert first, e.g. `pd.to_datetime(bookings['booked'])"),
    ("g = bookings['nights'].str.zfill(3)", "`.str` works only on text values"),
])
def test_members_of_columns_and_accessors(code: str, expected: str,
                                          bookings: KernelNamespace) -> None:
    found = [issue.message for issue in check_code(code, namespace=bookings)]
    assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize("code", [
    "d = bookings['check_in'].dt.day_name()",
    "w = bookings['check_in'].dt.weekday",
    "u = bookings['guest'].str.upper()",
    "n = bookings.shape[0]",
    "y = pd.to_datetime(bookings['booked']).dt.year",
    "bookings['booked'] = pd.to_datetime(bookings['booked'])\ny = bookings['booked'].dt.year",
    "names = bookings['guest'].map(str.upper)",
])
def test_correct_member_use_passes(code: str, bookings: KernelNamespace) -> None:
    assert check_code(code, namespace=bookings) == []


def test_rename_written_new_to_old_is_named_with_the_swap(namespace: KernelNamespace) -> None:
    found = messages("tickets = tickets.rename(columns={'customer': 'cust_id'})", namespace,
                     "column")
    assert len(found) == 1 and "'customer' is not a column of `tickets`" in found[0]
    assert "new-to-old" in found[0]


def test_rename_of_a_name_the_frame_lacks_suggests_its_columns(namespace: KernelNamespace) -> None:
    found = messages("accounts = accounts.rename(columns={'Country': 'land'})", namespace,
                     "column")
    assert len(found) == 1 and "Did you mean 'country'?" in found[0]


@pytest.mark.parametrize("code", [
    "tickets = tickets.rename(columns={'cust_id': 'customer'})",
    "tickets = tickets.assign(c=1).rename(columns={'c': 'one'})",  # not the live frame's
    "t2 = tickets.rename(columns=str.upper)",
])
def test_renames_of_real_columns_pass(code: str, namespace: KernelNamespace) -> None:
    assert messages(code, namespace, "column") == []


def test_columns_created_by_a_list_assignment_count_as_present(namespace: KernelNamespace) -> None:
    code = "tickets[['first', 'last']] = [[1, 2], [3, 4]]\nout = tickets.sort_values('last')"
    assert messages(code, namespace, "column") == []
