"""Redaction of secrets before anything reaches a model: keys, tokens, passwords.

Everything that goes into a context (cell sources, outputs, tracebacks, variable summaries)
passes through `redact`. Three layers:

- token shapes: provider keys with a recognisable form (AWS, GitHub, GitLab, Slack, OpenAI and
  Anthropic `sk-...`, Hugging Face `hf_...`, Stripe, JWTs, PEM private keys, ...). The list is
  built from detect-secrets' plugin regexes (1.5.0), copied here rather than imported because
  importing detect-secrets costs ~0.15 s and pulls `requests` into the user's kernel; a test
  checks that detect-secrets finds nothing in redacted text;
- assignments to secret-looking names (`password = "..."`, `"api_key": "..."`, `TOKEN=...`,
  `Authorization: ...`) and credentials in URLs (`https://user:pass@host`);
- known values: the values of secret-named environment variables and kernel variables, which
  may show up anywhere (a printed token has no recognisable shape).

Everything is precompiled; redacting a 1,500-token prompt takes about a millisecond.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping

REDACTED = "<redacted>"

# Provider token shapes (from detect-secrets 1.5.0 plugins, widened where their regexes stop
# short, e.g. JWT signatures, new OpenAI project keys). They are matched only inside runs of
# 20+ token characters (`_CANDIDATE`), which keeps the scan fast on ordinary text.
_TOKEN_PATTERNS: tuple[str, ...] = (
    # aws.py
    r"(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])",
    # openai.py (legacy and project keys), Anthropic sk-ant-..., DeepSeek and others.
    r"(?<![\w-])sk-[A-Za-z0-9_-]{20,}",
    # github_token.py, plus fine-grained PATs.
    r"(?<!\w)(?:gh[pousr]_[A-Za-z0-9_]{30,}|github_pat_[A-Za-z0-9_]{22,})",
    # gitlab_token.py
    r"(?<!\w)(?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas)-[A-Za-z0-9_-]{20,}",
    r"GR1348941[A-Za-z0-9_-]{20,}",
    # slack.py
    r"(?i:xox[abposr])-[A-Za-z0-9-]{10,}",
    r"(?i:https://hooks\.slack\.com)/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
    # Hugging Face and Google API keys.
    r"(?<![\w-])hf_[A-Za-z0-9]{30,}",
    r"AIza[0-9A-Za-z_-]{35}",
    # stripe.py (live and test, secret, restricted and publishable).
    r"(?<!\w)[rsp]k_(?:live|test)_[0-9A-Za-z]{16,}",
    # sendgrid.py, pypi_token.py, npm.py, square_oauth.py, azure_storage_key.py
    r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
    r"pypi-AgE[A-Za-z0-9_-]{70,}",
    r"(?<!\w)npm_[A-Za-z0-9]{36}",
    r"sq0csp-[0-9A-Za-z\\_-]{43}",
    r"AccountKey=[A-Za-z0-9+/=]{88}",
    # twilio.py, discord.py, telegram_token.py, mailchimp.py
    r"(?<![A-Za-z0-9])(?:AC|SK)[a-z0-9]{32}(?![a-z0-9])",
    r"(?<![\w-])[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27}",
    r"(?<!\d)\d{8,10}:[0-9A-Za-z_-]{35}",
    r"(?<![0-9a-z])[0-9a-z]{32}-us[0-9]{1,2}(?!\d)",
    # artifactory.py (API tokens; its "AP..." password shape matches ordinary words, skipped)
    r"(?<![\w-])AKC[a-zA-Z0-9]{10,}",
    # jwt.py, with the signature (their regex stops before it).
    r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
)
_TOKENS = re.compile("|".join(f"(?:{p})" for p in _TOKEN_PATTERNS))
_CANDIDATE = re.compile(r"[\w\-.:+/=~]{20,}")

# private_key.py, but the whole block, up to END or the end of a truncated text.
_PRIVATE_KEY = re.compile(
    r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
    r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)"
    r"|PuTTY-User-Key-File-\d+:[\s\S]*?(?:Private-MAC: *[0-9a-fA-F]+|\Z)"
)
# HTTP Authorization schemes: `Authorization: Bearer <token>`.
_AUTH_SCHEME = re.compile(r"(?<![\w-])(?P<head>(?i:bearer|basic)[ \t]+)[A-Za-z0-9._~+/-]{16,}=*")

# Credentials in URLs: keep scheme, user and host, drop the password (basic_auth.py).
_URL_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]{0,20}://[^\s:/@]*:)[^\s/@]+(?=@)")

# Assignments to secret-looking names: `name = value`, `"name": "value"`, `env["NAME"] = ...`,
# `NAME=value`, `name := value`. Names are found from their stems (`_STEM`) and extended to
# the whole word, then the separator and value are matched after them (`_ASSIGNED_VALUE`).
# (`str.find` over the lowercased text is ~10x faster than a case-insensitive alternation.)
_STEMS = ("key", "token", "secret", "pass", "pwd", "cred", "auth", "bearer", "salt", "sig",
          "nonce", "dsn", "cookie")  # fmt: skip
_ASSIGNED_VALUE = re.compile(
    r"(?P<sep>[\"']?\]?[ \t]*(?::=|=>|[:=])(?!=)[ \t]*(?:[rRbBuUfF]{1,2}(?=[\"']))?)"
    r"(?:(?P<quote>[\"'])(?P<qval>(?:\\.|(?!(?P=quote))[^\\\n]){0,400})(?P=quote)"
    r"|(?P<bval>[^\s\"',;)}\]]{3,200}))"
)
# A bare value that is code, not a secret: a name, attribute path or call (getpass(),
# os.environ[...], None), a number.
_CODE_VALUE = re.compile(r"[A-Za-z_][\w.]*(?:[(\[].*)?|[-+]?\d[\d_.eE+-]*")

# Words that mark a secret wherever they appear in a name (`db_password_prod`).
_SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "secret", "secrets", "credential",
     "credentials", "creds", "apikey", "privatekey", "secretkey", "accesskey"}
)  # fmt: skip
# Words that mark a secret only as the last word: `hf_token` but not `token_embeddings`.
_SECRET_LAST_WORDS = _SECRET_WORDS | {
    "token", "pass", "auth", "authorization", "bearer", "cookie", "cookies", "sessionid"
}  # fmt: skip
_KEY_PREFIXES = frozenset(
    {"api", "private", "secret", "access", "auth", "client", "session", "signing",
     "encryption", "service", "account", "db", "database", "master", "app", "license"}
)  # fmt: skip
_TOKENS_PREFIXES = frozenset({"access", "refresh", "auth", "api", "bearer", "session"})
# `password_length`, `token_count`: a secret word followed by these describes, not holds, one.
_NOT_SECRET_TAILS = frozenset(
    {"length", "len", "count", "counts", "ids", "id", "type", "types", "size", "limit", "max",
     "min", "num", "file", "path", "url", "env", "var", "name", "names", "prompt", "field",
     "required", "policy", "expiry", "expires", "ttl", "dir", "index", "regex", "pattern"}
)  # fmt: skip
# Names that are secret only when the value also looks random (key = "a8f5f16...").
_WEAK_WORDS = frozenset({"key", "sig", "signature", "salt", "nonce", "dsn", "pat", "hash"})

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _name_words(name: str) -> list[str]:
    return [w.lower() for w in _WORD_SPLIT.split(name) if w]


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether a variable or key name suggests it holds a secret (api_key, GITHUB_TOKEN, ...).

    Works on words (snake_case, camelCase, kebab-case) so that `tokens`, `max_tokens`,
    `tokenizer`, `token_ids` or `keys` stay visible while `token`, `hf_token`, `apiKey` and
    `DB_PASSWORD` do not.
    """
    words = _name_words(name)
    if not words or words[-1] in _NOT_SECRET_TAILS:
        return False
    last = words[-1]
    if last in _SECRET_LAST_WORDS or any(w in _SECRET_WORDS for w in words):
        return True
    if len(words) > 1 and (
        (last in {"key", "keys"} and words[-2] in _KEY_PREFIXES)
        or (last == "tokens" and words[-2] in _TOKENS_PREFIXES)
    ):
        return True
    joined = "".join(words)
    return any(stem in joined for stem in ("password", "passwd", "secret", "apikey", "credential"))


def _looks_random(value: str) -> bool:
    """High-entropy strings (hex digests, base64 keys) rather than words."""
    if len(value) < 16 or " " in value:
        return False
    counts = Counter(value)
    entropy = -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())
    return entropy >= 3.0 and any(ch.isdigit() for ch in value)


def _secret_in_assignment(name: str, value: str, quoted: bool) -> bool:
    if is_secret_name(name):
        if quoted:
            return True
        if _CODE_VALUE.fullmatch(value):
            # `password = getpass()`, `token = os.environ["T"]` are code; `PASSWORD=hunter2`
            # (an identifier with digits, no call) is far more likely a literal.
            return (
                value.isalnum()
                and any(c.isdigit() for c in value)
                and any(c.isalpha() for c in value)
            )
        return True
    words = _name_words(name)
    return bool(words) and words[-1] in _WEAK_WORDS and _looks_random(value)


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"


def _lower_same_length(text: str) -> str:
    """`text.lower()` with indices kept: a few characters ('İ') lower to two code points."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {ord(c): ord(c.lower()) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def _stem_hits(lowered: str) -> list[tuple[int, int]]:
    hits = []
    for stem in _STEMS:
        at = lowered.find(stem)
        while at != -1:
            hits.append((at, at + len(stem)))
            at = lowered.find(stem, at + 1)
    hits.sort()
    return hits


def _redact_assignments(text: str, lowered: str) -> str:
    """Replace the values assigned to secret-looking names, keeping names and quotes."""
    pieces: list[str] = []
    done = 0  # text[:done] is already in pieces
    for start, end in _stem_hits(lowered):
        if start < done:
            continue
        while start > done and _is_name_char(text[start - 1]):
            start -= 1
        while end < len(text) and _is_name_char(text[end]):
            end += 1
        name = text[start:end]
        if not name or name[0].isdigit() or name[0] == "-":
            continue
        value = _ASSIGNED_VALUE.match(text, end)
        if value is None:
            continue
        quoted = value.group("quote") is not None
        literal = value.group("qval") if quoted else value.group("bval")
        if not _secret_in_assignment(name, literal, quoted):
            continue
        quote = value.group("quote") or ""
        pieces.append(text[done:end])
        pieces.append(f"{value.group('sep')}{quote}{REDACTED}{quote}")
        done = value.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _redact_token_run(match: re.Match[str]) -> str:
    return _TOKENS.sub(REDACTED, match.group(0))


class Redactor:
    """Redacts token shapes, secret assignments, URL credentials and known secret values.

    Build one per context collection with the values known to be secret (those of
    secret-named environment and kernel variables) and reuse it for every text.
    """

    def __init__(self, known_secrets: Iterable[str] = (), *, min_known_length: int = 4) -> None:
        values = sorted(
            {v for v in known_secrets if isinstance(v, str) and len(v.strip()) >= min_known_length},
            key=len,
            reverse=True,
        )
        self._known = re.compile("|".join(map(re.escape, values))) if values else None

    def redact(self, text: str) -> str:
        """Return `text` with every secret replaced by `<redacted>`."""
        if not text:
            return text
        if self._known is not None:
            text = self._known.sub(REDACTED, text)
        if "PRIVATE KEY" in text or "PuTTY-User-Key" in text:
            text = _PRIVATE_KEY.sub(REDACTED, text)
        text = _CANDIDATE.sub(_redact_token_run, text)
        lowered = _lower_same_length(text)
        if "bearer" in lowered or "basic" in lowered:
            text = _AUTH_SCHEME.sub(lambda m: m.group("head") + REDACTED, text)
            lowered = _lower_same_length(text)
        if "://" in text:
            text = _URL_CREDENTIALS.sub(lambda m: m.group("head") + REDACTED, text)
            lowered = _lower_same_length(text)
        return _redact_assignments(text, lowered)


_DEFAULT = Redactor()


def redact(text: str, known_secrets: Iterable[str] = ()) -> str:
    """Redact secrets in `text`; `known_secrets` are literal values to hide wherever they occur."""
    redactor = Redactor(known_secrets) if known_secrets else _DEFAULT
    return redactor.redact(text)


def namespace_redactor(user_ns: Mapping[str, object]) -> Redactor:
    """A `Redactor` that also hides the values of secret-named variables and environment
    variables (a printed `os.environ["HF_TOKEN"]` has no recognisable shape)."""
    environ = {k: v for k, v in os.environ.items() if k not in _SHELL_VARIABLES}
    return Redactor([*secret_values(user_ns), *secret_values(environ)])


# Environment variables whose names look secret but are the shell's own (PWD: the directory).
_SHELL_VARIABLES = frozenset({"PWD", "OLDPWD"})


def secret_values(mapping: Mapping[str, object], *, depth: int = 2) -> list[str]:
    """The string values stored under secret-looking names: in the mapping (a namespace, the
    environment), and `depth` levels into its plain dicts, lists and objects' attributes
    (`settings["password"]`, `config.api_key`). Never runs user code: only builtin dicts,
    lists and tuples are walked, and attributes are read from an object's own `__dict__`."""
    found: list[str] = []
    budget = [5000]  # items visited, so a huge namespace stays cheap
    _collect(mapping, depth, found, budget)
    return found


def _own_attributes(value: object) -> dict[str, object] | None:
    try:
        attributes = object.__getattribute__(value, "__dict__")
    except AttributeError:
        return None
    return attributes if type(attributes) is dict else None


def _collect(
    mapping: Mapping[object, object], depth: int, found: list[str], budget: list[int]
) -> None:
    for name, value in itertools.islice(mapping.items(), 1000):
        budget[0] -= 1
        if budget[0] < 0:
            return
        if isinstance(name, str) and is_secret_name(name) and type(value) in (str, bytes):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            found.append(text)
        elif depth > 0:
            _collect_nested(value, depth - 1, found, budget)


_LEAF_TYPES = frozenset({type(None), bool, int, float, complex, str, bytes})


def _collect_nested(value: object, depth: int, found: list[str], budget: list[int]) -> None:
    kind = type(value)
    if kind is dict:
        _collect(value, depth, found, budget)  # type: ignore[arg-type]
    elif kind in (list, tuple):
        for item in value[:100]:  # type: ignore[index]
            if type(item) not in _LEAF_TYPES:
                _collect_nested(item, depth, found, budget)
    elif kind.__module__ not in ("builtins", "types") or kind.__name__ == "SimpleNamespace":
        attributes = _own_attributes(value)
        if attributes:
            _collect(attributes, depth, found, budget)
