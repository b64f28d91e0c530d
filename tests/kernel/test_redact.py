"""Redaction: every secret shape goes, ordinary code and data stay, and it is fast."""

from __future__ import annotations

import statistics
import time

import pytest
from detect_secrets.core.scan import scan_line
from detect_secrets.settings import default_settings

from jupyter_localai.kernel.context.redact import (
    REDACTED,
    Redactor,
    is_secret_name,
    namespace_redactor,
    redact,
)

ALNUM = "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY"  # 32 varied characters

# (sample line, the secret in it). Each token has the exact shape of its provider.
SECRETS = {
    "aws": ("client = boto3.client('s3', aws_access_key_id='AKIAIOSFODNN7EXAMPL3')",
            "AKIAIOSFODNN7EXAMPL3"),
    "github": ("g = Github('ghp_" + ALNUM + "abcd')", "ghp_" + ALNUM + "abcd"),
    "gitlab": ("gl = gitlab.Gitlab(url, private='glpat-" + ALNUM[:20] + "')",
               "glpat-" + ALNUM[:20]),
    "slack": ("slack = WebClient('xoxb-1234567890-1234567890123-" + ALNUM[:24] + "')",
              "xoxb-1234567890-1234567890123-" + ALNUM[:24]),
    "slack_webhook": ("post('https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/" + ALNUM[:24]
                      + "')", "/T0ABCDEFG/B0ABCDEFG/" + ALNUM[:24]),
    "openai": ("OpenAI(api='sk-" + ALNUM[:20] + "T3BlbkFJ" + ALNUM[-20:] + "')",
               "sk-" + ALNUM[:20] + "T3BlbkFJ" + ALNUM[-20:]),
    "openai_project": ("llm(key='sk-proj-" + ALNUM + ALNUM + "')", "sk-proj-" + ALNUM),
    "anthropic": ("Anthropic(k='sk-ant-api03-" + ALNUM + "')", "sk-ant-api03-" + ALNUM),
    "huggingface": ("login('hf_" + ALNUM + "xy')", "hf_" + ALNUM + "xy"),
    "stripe": ("stripe.api_key_value('sk_live_" + ALNUM[:24] + "')", "sk_live_" + ALNUM[:24]),
    "sendgrid": ("sg('SG." + ALNUM[:22] + "." + (ALNUM + ALNUM)[:43] + "')",
                 "SG." + ALNUM[:22] + "." + (ALNUM + ALNUM)[:43]),
    "pypi": ("twine(p='pypi-AgEIcHlwaS5vcmc" + (ALNUM * 3)[:72] + "')",
             "pypi-AgEIcHlwaS5vcmc" + (ALNUM * 3)[:72]),
    "twilio": ("Client('AC" + "0123456789abcdef" * 2 + "')", "AC" + "0123456789abcdef" * 2),
    "discord": ("bot.run('MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs')",
                "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"),
    "telegram": ("Bot('110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1')",
                 "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"),
    "mailchimp": ("mc('0123456789abcdef0123456789abcdef-us12')",
                  "0123456789abcdef0123456789abcdef-us12"),
    "azure": ("conn = 'DefaultEndpointsProtocol=https;AccountKey=" + (ALNUM * 3)[:86] + "=='",
              (ALNUM * 3)[:40]),
    "square": ("sq('sq0csp-" + (ALNUM * 2)[:43] + "')", "sq0csp-" + (ALNUM * 2)[:43]),
    "artifactory": ('art = "AKC' + ALNUM[:20] + '"', "AKC" + ALNUM[:20]),
    "jwt": ("jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpv"
            + "aG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'",
            "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    "basic_auth_url": ("engine = create_engine('postgresql://admin:Tr0ub4dor@db.internal/x')",
                       "Tr0ub4dor"),
    "redis_url": ("r = redis.from_url('redis://:n0tSoS3cret@cache:6379/0')", "n0tSoS3cret"),
    "bearer": ("!curl -H 'X-Header: Bearer " + ALNUM + "' https://api.internal", ALNUM),
    "password_kwarg": ("db.connect(user='bob', password='correct horse battery')",
                       "correct horse battery"),
    "api_key_yaml": ("api_key: q8w7e6r5t4y3u2i1", "q8w7e6r5t4y3u2i1"),
    "json_secret": ('{"client_secret": "s3cr3t!value", "id": 7}', "s3cr3t!value"),
    "env_file": ("DATABASE_PASSWORD=Xy9Zw8Vu7", "Xy9Zw8Vu7"),
    "environ_assignment": ('os.environ["HF_TOKEN"] = "plain-but-secret"', "plain-but-secret"),
    "random_key": ('key = "a8f5f167f44f4964e6c998dee827110c"', "a8f5f167f44f4964e6c998dee827110c"),
}  # fmt: skip

PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH\n"
    "lWu2/a1gB9JW5TBQ+AVpum9Okx7KfqkfBKL9mcHgSL0yWMdjMfNOqNtrQqKlN4kE\n"
    "-----END RSA PRIVATE KEY-----"
)

ORDINARY = [
    "import pandas as pd\ndf = pd.read_csv('sales.csv')",
    "tokens = tokenizer(text)\nmax_tokens = 32\nfor token in tokens: print(token)",
    "password = getpass.getpass()\ntoken = os.environ['HF_TOKEN']",
    "key = 'name'\nfor key, value in d.items(): pass",
    "token_ids = [101, 2023, 102]\npassword_length = 12",
    "model = LinearRegression().fit(X, y)  # scikit-learn, sk-learn",
    "   price  qty\n0    1.5    3\n1    2.0    4",
    "AttributeError: 'DataFrame' object has no attribute 'shapee'. Did you mean: 'shape'?",
    "url = 'https://example.com/path?query=1'",
    "sha = '1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32'",
    "APPLICATION_NAME = 'sales-dashboard'",
]

_ENTROPY_TYPES = {"Base64 High Entropy String", "Hex High Entropy String"}


def _detected(text: str) -> set[str]:
    """Secret types detect-secrets' own plugins find (the entropy scanners excluded: without
    their limit filter they flag every word)."""
    with default_settings():
        return {
            found.type
            for line in text.splitlines()
            for found in scan_line(line)
            if found.type not in _ENTROPY_TYPES
        }


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_secret_shapes_are_redacted(kind: str) -> None:
    text, secret = SECRETS[kind]
    redacted = redact(text)
    assert secret not in redacted
    assert REDACTED in redacted
    assert _detected(redacted) == set()


def test_samples_are_real_shapes_for_detect_secrets() -> None:
    """The samples are what detect-secrets itself calls secrets (so the test above means it)."""
    known_to_detect_secrets = {
        "aws", "github", "gitlab", "slack", "slack_webhook", "openai", "stripe", "sendgrid",
        "pypi", "twilio", "discord", "telegram", "mailchimp", "azure", "square", "jwt",
        "basic_auth_url", "password_kwarg", "artifactory",
    }  # fmt: skip
    missed = [k for k in sorted(known_to_detect_secrets) if not _detected(SECRETS[k][0])]
    assert missed == []


def test_private_key_block_is_removed_whole_even_when_truncated() -> None:
    text = f"key = load()\n{PRIVATE_KEY}\nprint('done')"
    redacted = redact(text)
    assert "MIIEowIBAAKCAQEA" not in redacted and "lWu2" not in redacted
    assert redacted.startswith("key = load()") and redacted.endswith("print('done')")
    truncated = PRIVATE_KEY[:120]
    assert "MIIEow" not in redact("output:\n" + truncated)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_code_and_output_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    text = "\n".join(line for line, _ in SECRETS.values())
    once = redact(text)
    assert redact(once) == once


def test_known_values_are_redacted_anywhere() -> None:
    redactor = Redactor(["plainvalue", "ab"])  # too-short values are not known secrets
    assert redactor.redact("printed: plainvalue!") == f"printed: {REDACTED}!"
    assert redactor.redact("ab cd") == "ab cd"


def test_namespace_redactor_hides_secret_variables_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "envvalue42")
    redactor = namespace_redactor({"db_password": "hunter22", "greeting": "hello there"})
    text = redactor.redact("hunter22 envvalue42 hello there")
    assert "hunter22" not in text and "envvalue42" not in text and "hello there" in text


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_key", True), ("OPENAI_API_KEY", True), ("GITHUB_TOKEN", True), ("hf_token", True),
        ("token", True), ("apiKey", True), ("DB_PASSWORD", True), ("passwd", True),
        ("clientSecret", True), ("Authorization", True), ("credentials", True),
        ("access_tokens", True), ("tokens", False), ("max_tokens", False),
        ("tokenizer", False), ("token_ids", False), ("password_length", False), ("keys", False),
        ("key", False), ("df", False), ("token_embeddings", False), ("monkey", False),
    ],
)  # fmt: skip
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_a_1500_token_prompt_is_redacted_in_a_few_milliseconds() -> None:
    block = "\n".join([*ORDINARY, *(line for line, _ in SECRETS.values())])
    prompt = (block * 10)[:6000]  # ~1,500 tokens of code, output and secrets
    redact(prompt)
    timings = []
    for _ in range(20):
        started = time.process_time()  # CPU time: the test machine's CPU is shared
        redact(prompt)
        timings.append(time.process_time() - started)
    assert statistics.median(timings) < 0.005, timings
