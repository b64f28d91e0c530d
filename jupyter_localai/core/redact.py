"""Redaction of secrets before anything reaches a model: keys, tokens, passwords.

Pure text, no Jupyter, so every face applies the same rules: the kernel redacts what it
collects (with the values it knows to be secret, `kernel/context/redact.py`), and the core
redacts every request again where its prompt is built (`redact_context`, `redact_messages`;
called by `core.tasks.run_task`, `core.prompt.prefill_messages` and the server's OpenAI route), so
a client that sends raw cells (the side panel, any HTTP client) cannot skip it. Four layers:

- token shapes: provider keys with a recognisable form (AWS key ids and bare secret access
  keys, GitHub, GitLab, Slack, OpenAI and Anthropic `sk-...`, Hugging Face `hf_...`, Stripe,
  JWTs, PEM private keys, ...). The list is built from detect-secrets' plugin regexes
  (1.5.0), copied here rather than imported because importing detect-secrets costs ~0.15 s
  and pulls `requests` into the user's kernel; a test checks that detect-secrets finds
  nothing in redacted text;
- assignments to secret-looking names (`password = "..."`, `"api_key": "..."`, `TOKEN=...`,
  `Authorization: ...`) and credentials in URLs (`https://user:pass@host`);
- known values: literal values to hide wherever they occur (a printed token has no shape);
- text is redacted before it is cut (`Redactor.redact_start`, `redact_end`): a key cut to a
  few characters has lost the shape that marks it.

Everything is precompiled; redacting a 1,500-token prompt takes about a millisecond.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from .context import CellRecord, NotebookContext

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
    return _entropy(value) >= 3.0 and any(ch.isdigit() for ch in value)


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


# AWS secret access keys have no prefix: 40 characters of base64 standing alone. Random
# ones mix both cases throughout; identifiers (CamelCase), paths and hex digests of that
# length are mostly lowercase words or one case (`_is_random_base64`). On 200,000 random
# keys, 13 (0.007%) were as wordy as an identifier and pass.
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])")
_LOWER_WORDS = re.compile(r"[a-z]{3,}")


def _is_random_base64(value: str) -> bool:
    if sum(ch.islower() for ch in value) < 2 or sum(ch.isupper() for ch in value) < 2:
        return False
    wordy = sum(len(word) for word in _LOWER_WORDS.findall(value))
    return wordy < 24 and _entropy(value) >= 4.0


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def _redact_aws_secret(match: re.Match[str]) -> str:
    return REDACTED if _is_random_base64(match.group(0)) else match.group(0)


def _redact_token_run(match: re.Match[str]) -> str:
    run = _TOKENS.sub(REDACTED, match.group(0))
    return _AWS_SECRET.sub(_redact_aws_secret, run) if len(run) >= 40 else run


# Longer than any secret shape but the PEM blocks (which are redacted up to a text's end).
WINDOW_MARGIN = 512


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

    def redact_start(self, text: str, keep: int) -> str:
        """At least the first `keep` characters of the redacted text (more is fine), for a
        caller that cuts there: redacting only a window keeps a 1 MB cell cheap, and the
        window's last `WINDOW_MARGIN` characters are dropped, since a secret may straddle
        the window's end and would lose its shape there."""
        if len(text) <= keep + WINDOW_MARGIN:
            return self.redact(text)
        redacted = self.redact(text[: keep + WINDOW_MARGIN])
        return redacted[: max(len(redacted) - WINDOW_MARGIN, 0)]

    def redact_end(self, text: str, keep: int) -> str:
        """At least the last `keep` characters of the redacted text: `redact_start`'s mirror."""
        if len(text) <= keep + WINDOW_MARGIN:
            return self.redact(text)
        redacted = self.redact(text[-(keep + WINDOW_MARGIN) :])
        return redacted[WINDOW_MARGIN:]



_DEFAULT = Redactor()


def redact(text: str, known_secrets: Iterable[str] = ()) -> str:
    """Redact secrets in `text`; `known_secrets` are literal values to hide wherever they occur."""
    redactor = Redactor(known_secrets) if known_secrets else _DEFAULT
    return redactor.redact(text)


def secret_fragments(text: str) -> list[str]:
    """The parts of `text` that redaction replaces: the password of a DSN, a key inside a
    value. Hidden as known values, they stay hidden when printed alone
    (`urlparse(url).password`) or glued to other text, where no shape marks them."""
    redacted = _DEFAULT.redact(text)
    if redacted == text:
        return []
    kept = redacted.split(REDACTED)
    if not text.startswith(kept[0]) or not text.endswith(kept[-1]):
        return []  # `text` held the marker itself: no reliable alignment
    fragments = []
    position = len(kept[0])
    for index, piece in enumerate(kept[1:], start=1):
        if index == len(kept) - 1:
            end = len(text) - len(piece)
        elif not piece:
            continue  # two markers in a row: the next piece ends both
        else:
            end = text.find(piece, position + 1)
        if end <= position:
            break
        fragments.append(text[position:end])
        position = end + len(piece)
    return fragments


def redact_context(context: NotebookContext, redactor: Redactor | None = None) -> NotebookContext:
    """The context with every text in it redacted: cells, outputs, the error with its
    traceback and hints, variable summaries, imports. Whatever built it (a kernel that
    redacted already, a panel that sent the document as the user sees it) and before any
    of it is cut to the prompt's budget."""
    r = (redactor or _DEFAULT).redact

    def cell(record: CellRecord) -> CellRecord:
        return replace(record, source=r(record.source), output=r(record.output),
                       error=r(record.error))  # fmt: skip

    error = context.last_error
    if error is not None:
        error = replace(
            error, source=r(error.source), exc_type=r(error.exc_type), message=r(error.message),
            traceback=r(error.traceback), suggestions=[r(s) for s in error.suggestions],
            signatures=[r(s) for s in error.signatures], hints=[r(h) for h in error.hints],
            edits=[[r(old), r(new)] for old, new in error.edits],
        )  # fmt: skip
    return replace(
        context,
        cells=[cell(c) for c in context.cells],
        variables=[replace(v, summary=r(v.summary)) for v in context.variables],
        last_error=error,
        imports=[r(i) for i in context.imports],
        related_cells=[cell(c) for c in context.related_cells],
        defining_cells=[cell(c) for c in context.defining_cells],
    )


def redact_messages(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Chat messages with their text redacted (the OpenAI route's prompts)."""
    return [{**m, "content": _DEFAULT.redact(m["content"])} for m in messages]

