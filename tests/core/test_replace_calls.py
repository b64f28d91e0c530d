"""Misread `replace` calls: a pattern given to `str.replace` or `.str.replace` as plain
text, and `Series.replace` after a `.str` method; named by the checks, rewritten by the
repairs into code that does what it says; plain replaces are left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.repairs import repaired
from jupyter_localai.core.replace_calls import with_replaces_meant
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace


def _live() -> dict:
    return {"pd": pd, "np": np,
            "titles": ["Big News: Rates Up!", "  Calm Day  "],
            "people": pd.DataFrame({"email": ["Ann@Mail.org ", " bo@site.io"],
                                    "phone": ["(555) 010-2233", "555.010.9988"]})}


@pytest.mark.parametrize(("code", "read"), [
    # Python's str.replace with a character class: re.sub, with its import.
    ("slugs = [t.lower().strip().replace(' ', '-').replace('[^a-z0-9-]', '') for t in titles]",
     lambda ns: ns["slugs"] == ["big-news-rates-up", "calm-day"]),
    # pandas' .str.replace with a class escape: regex=True.
    ("people['digits'] = people['phone'].str.replace('\\\\D', '')",
     lambda ns: list(ns["people"]["digits"]) == ["5550102233", "5550109988"]),
    # Series.replace after a .str method: text inside each value was meant.
    ("people['domain'] = people['email'].str.split('@').str[1].str.lower().replace(' ', '')",
     lambda ns: list(ns["people"]["domain"]) == ["mail.org", "site.io"]),
    ("people['user'] = people['email'].str.strip().replace('@', ' at ')",
     lambda ns: list(ns["people"]["user"]) == ["Ann at Mail.org", "bo at site.io"]),
])
def test_misread_replace_is_named_rewritten_and_runs(code: str, read) -> None:
    namespace = _live()
    view = KernelNamespace(namespace)
    assert [issue.kind for issue in check_code(code, namespace=view)] == ["replace_call"]
    repair = repaired(code, view)
    assert repair is not None and repair.notes, code
    assert check_code(repair.code, namespace=view) == []
    exec(repair.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert read(namespace), repair.code


@pytest.mark.parametrize("code", [
    "label = titles[0].replace(':', '')",                        # plain text, plain replace
    "tidy = titles[0].replace('[draft]', '').strip()",           # literal bracket word? no class
    "people['phone'] = people['phone'].str.replace('\\\\D', '', regex=True)",
    "people['email'] = people['email'].replace('n/a', None)",   # whole values of a frame column
    "clean = people.replace('[^0-9]', '')",                      # DataFrame: its own regex= rule
    "x = titles[0].replace('[^a-z]', '', 1)",                    # a count: not re.sub's order
])
def test_plain_replaces_are_left_alone(code: str) -> None:
    view = KernelNamespace(_live())
    assert with_replaces_meant(code, view) == (code, [])
    assert not [i for i in check_code(code, namespace=view) if i.kind == "replace_call"]


def test_an_existing_import_is_not_repeated() -> None:
    code = "import re\nslug = titles[1].replace('\\\\s+', '-')"
    rewritten, done = with_replaces_meant(code, KernelNamespace(_live()))
    assert rewritten == "import re\nslug = re.sub('\\\\s+', '-', titles[1])" and len(done) == 1


def test_run_task_offers_the_rewrite_instead_of_retrying() -> None:
    namespace = _live()
    engine = FakeEngine("```python\npeople['domain'] = people['email'].str.split('@').str[1]"
                        ".str.strip().replace('.', '_')\n```")
    request = TaskRequest(task="generate", retries=1, prompt="Add each email's domain.")
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 1 and "Rewritten:" in reply.text and not reply.warnings
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert list(namespace["people"]["domain"]) == ["Mail_org", "site_io"]
