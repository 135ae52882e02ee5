"""Secrets written in clear in Jenkins jobs: found by their shape or by the name they are given, never copied.

A value is a secret when it has the shape of a known token, whatever its name:

| kind | shape |
|---|---|
| AWS access key | `AKIA` / `ASIA` + 16 upper-case letters or digits |
| AWS secret key | 40 base64 characters after `aws_secret_access_key` (in text) |
| GitHub token | `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36 characters; `github_pat_...` |
| GitLab token | `glpat-` + 20 characters |
| Slack token / webhook | `xoxa-`, `xoxb-`, `xoxp-`, `xoxr-`, `xoxs-`...; `https://hooks.slack.com/services/...` |
| Google API key | `AIza` + 35 characters |
| Stripe key | `sk_live_`, `rk_live_` + 24 characters |
| private key | `-----BEGIN ... PRIVATE KEY-----` |
| JWT | three base64url parts, the first two starting `eyJ` |
| Jenkins-encrypted secret | `{AQAAAB...}` (what Jenkins writes for a password field) |
| password in a URL | `scheme://user:password@host` (a `$` reference as password is not one) |

or when its name says so and its value is a literal: a name with one of the words PASSWORD, PASSWD, PASS, PWD
(not `PWD` alone: the working directory), PASSPHRASE, TOKEN, SECRET, APIKEY, CREDENTIAL(S), or KEY after API,
ACCESS, PRIVATE, SECRET, SIGNING, ENCRYPTION, MASTER, CLIENT (`DB_PASSWORD`, `apiToken`, `AWS_SECRET_ACCESS_KEY`).
Words are split at `_`, `-`, `.` and camelCase. Not secrets by name, to keep false positives down:
- names whose last word says the value is about the secret, not the secret: FILE, PATH, DIR, ID, IDS, NAME, ARN,
  URL, URI, ENDPOINT, HOST, PORT, USER, USERNAME, LENGTH, TTL, EXPIRY, REGION, TYPE, HEADER, ENABLED, VAR, ENV,
  LOCATION, FORMAT, MODE, VERSION, PREFIX, VARIABLE (`PASSWORD_FILE=/run/secrets/db`, `TOKEN_URL`, `CREDENTIALS_ID`);
- values that are references (`$X`, `${X}`, `$(cmd)`, `%X%`), paths (`/`, `./`, `../`, `~/`, `C:\\`), paths in
  a secret store (`secret/team/db`: lower-case segments joined by `/`), empty, or true/false/yes/no/none/null;
- for names with CREDENTIAL(S), values that look like a Jenkins credentials id (`github-ssh`, a UUID): in Jenkins
  such variables usually name a credential, and `credentials('id')` is how its secret is read.

Shell text is scanned for the shapes above and for `NAME=literal` assignments with a secret name (`export
DB_PASSWORD=hunter2`), so that a secret in a script is flagged; the script itself is never changed. `mask` replaces
what is found by `<masked KIND>` in every text that is not a script (messages, descriptions); for text that is data
(a plugin's fields, `jenkins2flow inspect`), also the values of `name: value` lines under a secret name.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from typing import Any

SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                               r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?")),
    ("AWS access key", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("AWS secret key", re.compile(r"(?i)aws_?secret_?access_?key\W{1,4}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{22,255}\b")),
    ("GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("Slack token", re.compile(r"\bxox[abeoprs]-[A-Za-z0-9\-]{10,}")),
    ("Slack webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/]{20,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("Stripe key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{24,}")),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),
    ("Jenkins-encrypted secret", re.compile(r"\{AQAAAB[A-Za-z0-9+/=]{16,}\}")),
    ("password in a URL", re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@'\"]+:([^/\s@'\"$]+)@")),
)
# What each shape's text must hold (lower-cased, in an ASCII text): a shape whose words are all missing is not searched
# for (a plain substring test costs a fraction of a regex search that starts with `\b`); same result, less time.
NEEDLES: dict[str, tuple[str, ...]] = {
    "private key": ("private key",), "AWS access key": ("akia", "asia"), "AWS secret key": ("access",),
    "GitHub token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), "GitLab token": ("glpat-",),
    "Slack token": ("xox",), "Slack webhook": ("hooks.slack.com",), "Google API key": ("aiza",),
    "Stripe key": ("k_live_",), "JWT": ("eyj",), "Jenkins-encrypted secret": ("{aqaaab",),
    "password in a URL": ("://",),
}
_ANY_NEEDLE = re.compile("|".join(re.escape(n) for needles in NEEDLES.values() for n in needles))
SECRET_WORDS = {"PASSWORD", "PASSWD", "PASS", "PWD", "PASSPHRASE", "TOKEN", "SECRET", "APIKEY", "CREDENTIAL",
                "CREDENTIALS", "SECRETKEY", "PRIVATEKEY", "ACCESSKEY", "AUTHTOKEN"}
KEY_QUALIFIERS = {"API", "ACCESS", "PRIVATE", "SECRET", "SIGNING", "ENCRYPTION", "MASTER", "CLIENT"}
ABOUT_THE_SECRET = {"FILE", "PATH", "DIR", "ID", "IDS", "NAME", "ARN", "URL", "URI", "ENDPOINT", "HOST", "PORT", "USER",
                    "USERNAME", "LENGTH", "TTL", "EXPIRY", "REGION", "TYPE", "HEADER", "ENABLED", "VAR", "ENV",
                    "LOCATION", "FORMAT", "MODE", "VERSION", "PREFIX", "VARIABLE"}
NOT_LITERAL = {"", "true", "false", "yes", "no", "none", "null"}
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_REFERENCE = re.compile(r"\$(?:\{|[A-Za-z_(])|%[A-Za-z_][A-Za-z0-9_]*%")  # $X ${X} $(cmd) %X%
# what a Jenkins credentials id looks like (`github-ssh`, a UUID): the usual value of a *_CREDENTIALS variable
_CREDENTIALS_ID = re.compile(r"^(?:[a-z0-9]+(?:[-_.][a-z0-9]+)+|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})$")
# a path in a secret store (`secret/team/ci/db`): lower-case segments joined by `/`
_STORE_PATH = re.compile(r"^[a-z0-9][a-z0-9_.\-]*(?:/[a-z0-9][a-z0-9_.\-]*)+/?$")
_PATH = re.compile(r"^(?:/|\./|\.\./|~/|[A-Za-z]:[\\/])")
# NAME=value in shell text: `export NAME=value`, `NAME="value"`, `NAME='value'`
_ASSIGNMENT = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"\n]*\"|'[^'\n]*'|[^\s;&|'\"]+)")
# `name: value` (YAML, a plugin's fields as text), `NAME = 'value'` (Groovy): masked, not flagged (in a script it is
# mostly prose)
_FIELD = re.compile(r"(?<![A-Za-z0-9_./\-])([A-Za-z_][A-Za-z0-9_\-]*)(?::[ \t]*|[ \t]+=[ \t]*)"
                    r"(\"[^\"\n]*\"|'[^'\n]*'|[^\s,}'\"]+)")  # also Groovy's `NAME = 'value'`


@dataclass(frozen=True, slots=True)
class Found:
    """A secret in a text: its kind and where its value starts and ends."""

    kind: str
    start: int
    end: int


def words(name: str) -> list[str]:
    return [w.upper() for w in _WORD.findall(name)]


def secret_name(name: str) -> bool:
    """Whether a variable or parameter name says it holds a secret (see the module's rules)."""
    ws = words(name)
    if not ws or ws[-1] in ABOUT_THE_SECRET or ws == ["PWD"]:
        return False
    if SECRET_WORDS.intersection(ws):
        return True
    return any(w == "KEY" and i > 0 and ws[i - 1] in KEY_QUALIFIERS for i, w in enumerate(ws))


def literal(value: str, name: str = "") -> bool:
    """A value written as is: not a reference, a path, empty or a boolean-like word (nor a credentials id, for a
    name with CREDENTIAL in it)."""
    v = value.strip().strip("'\"")
    if name and {"CREDENTIAL", "CREDENTIALS"}.intersection(words(name)) and _CREDENTIALS_ID.match(v):
        return False
    return (v.lower() not in NOT_LITERAL and not _REFERENCE.search(v) and not _PATH.match(v)
            and not _STORE_PATH.match(v))


def shape(value: str) -> str:
    """The kind of token `value` contains ("" when none)."""
    for kind, pattern in SHAPES:
        if pattern.search(value):
            return kind
    return ""


def classify(name: str, value: object, *, literal_value: bool = True) -> str:
    """The kind of secret `name=value` holds, "" when none. `literal_value` False: the value is partly computed
    (a GString with references), so only its shape counts."""
    if not isinstance(value, str) or not value:
        return ""
    kind = shape(value)
    if kind:
        return kind
    if literal_value and secret_name(name) and literal(value, name):
        return "named secret"
    return ""


def find(text: str, fields: bool = False) -> list[Found]:
    """The secrets in a text (a script, a properties block), in order, not overlapping; with `fields`, also the
    values of `name: value` lines under a secret name."""
    return list(_recent(text, fields))


@functools.lru_cache(maxsize=16)
def _recent(text: str, fields: bool) -> tuple[Found, ...]:
    """`find` of the texts read last: a shell step's script is searched when it is flagged and again when its task
    is named (Ctx.emit masks it)."""
    return tuple(_find(text, fields))


def _find(text: str, fields: bool) -> list[Found]:
    found: list[Found] = []
    low = text.lower() if text.isascii() else None  # (?i) also folds a few non-ASCII letters: no shortcut then
    shapes = () if low is not None and not _ANY_NEEDLE.search(low) else SHAPES  # most texts hold no needle at all
    for kind, pattern in shapes:
        if low is not None and not any(n in low for n in NEEDLES[kind]):
            continue
        for m in pattern.finditer(text):
            start, end = m.span(m.lastindex or 0)
            found.append(Found(kind, start, end))
    if "=" not in text and not (fields and ":" in text):  # both need one
        return _apart(found)
    for m in itertools.chain(_ASSIGNMENT.finditer(text), _FIELD.finditer(text) if fields else ()):
        value = m.group(2)
        if secret_name(m.group(1)) and literal(value, m.group(1)):
            quoted = value[:1] in "'\"" and len(value) > 1
            found.append(Found("named secret", m.start(2) + quoted, m.end(2) - quoted))
    return _apart(found)


def _apart(found: list[Found]) -> list[Found]:
    """In order of place, the longest first where two start together; overlapping ones left out."""
    if not found:
        return found
    found.sort(key=lambda f: (f.start, -f.end))
    out: list[Found] = []
    for f in found:
        if f.end > f.start and (not out or f.start >= out[-1].end):
            out.append(f)
    return out


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def mask(text: str, fields: bool = False) -> str:
    """`text` with every secret found replaced by `<masked KIND>`; with `fields`, also the values of `name: value`
    lines under a secret name (for text that is data, not a sentence: a plugin's fields, inspect's output)."""
    if len(text) > 500:
        return _mask(text, fields)
    masked = _short_mask(text, fields)
    return text if masked == text else masked  # the text itself when nothing is masked, as _mask gives it


@functools.lru_cache(maxsize=8192)
def _short_mask(text: str, fields: bool) -> str:
    """`mask` of a short text, remembered: an estate's messages and reasons repeat from job to job."""
    return _mask(text, fields)


def _mask(text: str, fields: bool) -> str:
    parts, last = [], 0
    for f in _recent(text, fields):
        parts += [text[last:f.start], f"<masked {f.kind}>"]
        last = f.end
    return "".join(parts) + text[last:] if parts else text


def mask_data(data: Any, name: str = "") -> Any:
    """JSON-like `data` with secrets masked: strings by `mask`, and the literal value under a secret name (a dict
    key, or the `value`/`default` beside a `name`, or the default of a password parameter)."""
    if isinstance(data, str):
        if name and secret_name(name) and literal(data, name):
            return "<masked named secret>"
        return mask(data, fields=True)
    if isinstance(data, list | tuple):
        return [mask_data(x, name) for x in data]
    if isinstance(data, dict):
        named = str(data["name"]) if isinstance(data.get("name"), str) else ""
        if data.get("type") == "password":  # a password parameter: its default is a secret whatever its name
            named = "PASSWORD"
        return {k: mask_data(v, named if k in ("value", "default", "defaultValue") else str(k))
                for k, v in data.items()}
    return data


__all__ = ["SHAPES", "Found", "classify", "find", "line_of", "literal", "mask", "mask_data", "secret_name", "shape"]
