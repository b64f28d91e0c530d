"""Issue 16, item 3: the gaps of redaction, one test each (they failed before the fix).

- a key cut to a few characters (a DataFrame cell, a list item) lost the shape that marks
  it, so its prefix reached the prompt;
- values of DataFrame columns, Series entries and mapping keys named like secrets showed;
- a DSN's all-letter password survived wherever the URL was cut or the password printed
  alone; a bare AWS secret access key (40 base64 characters) had no shape at all;
- environment values were hidden only when the variable's name looked secret.
"""

from __future__ import annotations

import collections
import random
import secrets
import string
from typing import Any

import pytest

from jupyter_localai.kernel.context.history import cell_history
from jupyter_localai.kernel.context.interpolate import interpolate
from jupyter_localai.kernel.context.redact import REDACTED, Redactor, namespace_redactor, redact
from jupyter_localai.kernel.context.summaries import summarize_variable

pd = pytest.importorskip("pandas")

ALNUM = string.ascii_letters + string.digits
BASE64 = ALNUM + "+/"


def _random(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _aws_secret(rng: random.Random | None = None) -> str:
    """An AWS secret access key's shape: 40 random characters of base64."""
    while True:
        value = "".join((rng or secrets.SystemRandom()).choice(BASE64) for _ in range(40))
        if any(c.islower() for c in value) and any(c.isupper() for c in value) and any(
            c.isdigit() for c in value
        ):
            return value


def _summary(name: str, value: object) -> str:
    summary = summarize_variable(name, value, redactor=Redactor())
    assert summary is not None
    return summary.summary


def test_a_key_cut_short_in_a_dataframe_cell_leaves_no_prefix() -> None:
    key = "sk-proj-" + _random(ALNUM, 48)
    frame = pd.DataFrame({"service": ["openai"], "note": [key]})
    text = _summary("services", frame)
    assert "openai" in text  # the frame is still described
    assert key[:12] not in text, text


def test_a_key_cut_short_in_a_list_or_tuple_leaves_no_prefix() -> None:
    key = "ghp_" + _random(ALNUM, 36)
    aws = "AKIA" + _random(string.ascii_uppercase + string.digits, 16)
    for width in (40, 60):  # list items get half the width: the keys are cut
        summary = summarize_variable("items", ["x" * 5, key, aws], max_chars=width)
        assert summary is not None
        assert key[:10] not in summary.summary and aws[:10] not in summary.summary, summary


def test_a_known_secret_cut_short_leaves_no_prefix() -> None:
    token = _random(ALNUM, 30)  # no recognisable shape: known only by its variable's name
    redactor = namespace_redactor({"service_token": token})
    summary = summarize_variable("request", {"headers": {"X": token}}, max_chars=60,
                                 redactor=redactor)
    assert summary is not None and token[:8] not in summary.summary, summary.summary


def test_a_long_cell_cut_in_the_middle_of_a_key_leaves_no_prefix(run_cells: Any) -> None:
    key = "sk-proj-" + _random(ALNUM, 48)
    filler = "\n".join(f"v{i} = {i}" for i in range(40))
    shell = run_cells(f"{filler}\nclient = dict(api={key!r})\n{filler}\nprint(1)")
    source = shell.user_ns["In"][1]
    start = source.index(key)
    for limit in range(start * 3 // 2 - 2, start * 3 // 2 + 60, 9):  # head cut inside the key
        cell = cell_history(shell, max_chars_per_cell=limit)[0]
        assert key[:12] not in cell.source, limit


def test_a_long_output_cut_in_the_middle_of_a_key_leaves_no_prefix(run_cells: Any) -> None:
    key = "ghp_" + _random(ALNUM, 36)
    shell = run_cells(f"print('a' * 320 + ' ' + {key!r} + ' ' + 'b' * 400)")
    for limit in (500, 505, 510):
        cell = cell_history(shell, max_output_chars=limit)[0]
        assert key[:8] not in cell.output, (limit, cell.output)


def test_an_interpolated_string_cut_short_leaves_no_prefix() -> None:
    key = "hf_" + _random(ALNUM, 34)
    namespace = {"banner": "logged in as " + key}
    text, _ = interpolate("look at {banner}", namespace, max_chars=24)
    assert key[:8] not in text, text


@pytest.mark.parametrize("column", ["password", "token", "api_key", "DB_PASSWORD", "clientSecret"])
def test_dataframe_columns_named_like_secrets_hide_their_values(column: str) -> None:
    value = "hunter" + _random(string.ascii_lowercase, 4)  # no shape: only the name tells
    frame = pd.DataFrame({"user": ["ann", "bob"], column: [value, value + "x"]})
    text = _summary("users", frame)
    assert "ann" in text and column in text  # the column is listed, its values are not
    assert value not in text, text


def test_series_and_mappings_named_like_secrets_hide_their_values() -> None:
    value = "hunter" + _random(string.ascii_lowercase, 4)
    named = pd.Series([value, value], name="password")
    assert value not in _summary("column", named)
    by_label = pd.Series({"user": "ann", "password": value})
    text = _summary("row", by_label)
    assert "ann" in text and value not in text, text
    record = collections.namedtuple("Login", ["user", "password"])("ann", value)
    assert value not in _summary("login", record)
    assert value not in _summary("rows", [{"user": "ann", "api_key": value}])


def test_a_dsn_password_of_letters_only_is_hidden_in_summaries_and_alone() -> None:
    dsn = "postgres://user:hunter@db.internal/sales"
    frame = pd.DataFrame({"name": ["sales"], "url": [dsn]})
    assert "hunt" not in _summary("databases", frame)
    assert "hunter" not in redact(f"engine = create_engine({dsn!r})")
    # The password printed on its own (`urlparse(url).password`): known from the value.
    redactor = namespace_redactor({"url": dsn})
    assert redactor.redact("the password is hunter") == f"the password is {REDACTED}"


def test_a_bare_aws_secret_access_key_is_redacted() -> None:
    documented = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's own example
    assert documented not in redact(f"secret: {documented}\n")
    rng = random.Random(16)  # fixed: 0.007% of random keys look like identifiers (redact.py)
    for _ in range(200):
        key = _aws_secret(rng)
        assert key not in redact(f"creds = ({key!r}, region)"), key
        assert key not in redact(f"{key}\n"), key


@pytest.mark.parametrize(
    "text",
    [
        "commit 1d9614638d18024d0fbb36575a15f1302a3adf04",  # hex, lowercase
        "ThisIsAVeryLongCamelCaseFunctionName1234 = 1",
        "/srv/shared/projects/MyProject2/data/file1.csv",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCD",
        "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
    ],
)
def test_forty_character_words_that_are_not_keys_stay(text: str) -> None:
    assert redact(text) == text


def test_environment_values_are_checked_by_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    aws = _aws_secret()
    key = "sk-proj-" + _random(ALNUM, 48)
    monkeypatch.setenv("APP_SETTINGS_A", aws)  # names that say nothing
    monkeypatch.setenv("OPENAI_FOR_REPORTS", key)
    monkeypatch.setenv("DATABASE_URL", "postgresql://etl:sunflower@warehouse:5432/dw")
    monkeypatch.setenv("GREETING", "hello there")
    redactor = namespace_redactor({})
    text = redactor.redact("the password: sunflower / hello there")
    assert "sunflower" not in text and "hello there" in text, text
    # Printed glued to other text, the shapes' boundaries fail; the known values do not.
    glued = redactor.redact(f"X{aws}Y/{key}9")
    assert aws not in glued and key not in glued, glued
