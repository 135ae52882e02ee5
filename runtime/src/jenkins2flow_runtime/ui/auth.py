"""Who is asking, and what they may do: roles, the standalone users file, signed sessions and CSRF tokens.

Roles, each with everything of the ones before it: viewer (read), editor (create and save drafts), publisher
(publish, retire, roll back), admin (every pipeline, whatever its team). A pipeline with a `team` or `owners` may be
edited and published only by its owners, the members of its team, and admins.

The standalone users file (YAML) holds scrypt password hashes and sha256 hashes of API tokens, never a password:

    secret_key: 5f2c...            # signs sessions and CSRF tokens
    users:
      alice: {password: "scrypt$16384$8$1$<salt>$<hash>", role: editor, teams: [sales]}
    tokens:
      ci: {sha256: "<hex>", role: publisher, teams: []}
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROLES = ("viewer", "editor", "publisher", "admin")
SESSION_SECONDS = 12 * 3600
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AuthError(Exception):
    """A users file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str  # one of ROLES
    teams: tuple[str, ...] = ()
    via: str = "session"  # session | token | airflow

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


# -- passwords and tokens --------------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` (standard library only)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "j2f_" + secrets.token_urlsafe(32)


# -- the users file --------------------------------------------------------------------------------------------------

@dataclass
class Account:
    name: str
    role: str
    teams: tuple[str, ...]
    secret: str  # password hash (users) or token sha256 (tokens)


@dataclass
class UsersFile:
    """The standalone users file, re-read when it changes on disk."""

    path: Path
    secret_key: str = ""
    users: dict[str, Account] = field(default_factory=dict)
    tokens: dict[str, Account] = field(default_factory=dict)
    _stamp: tuple[int, int] = (0, 0)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise AuthError(f"The users file {str(self.path)!r} does not exist; create it with "
                            "`jenkins2flow ui user NAME --role ROLE`.") from None
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        with self._lock:
            data = read_users_file(self.path)
            self.secret_key = str(data.get("secret_key") or "")
            self.users = _accounts(self.path, data, "users", "password")
            self.tokens = _accounts(self.path, data, "tokens", "sha256")
            self._stamp = stamp

    def login(self, name: str, password: str) -> User | None:
        self.refresh()
        account = self.users.get(name)
        if account is None:
            verify_password(password, hash_password("timing"))  # the same work whether or not the user exists
            return None
        if not verify_password(password, account.secret):
            return None
        return User(account.name, account.role, account.teams)

    def user(self, name: str, fingerprint: str) -> User | None:
        """The user of a session, if they still exist with the same password."""
        self.refresh()
        account = self.users.get(name)
        if account is None or not hmac.compare_digest(password_fingerprint(account.secret), fingerprint):
            return None
        return User(account.name, account.role, account.teams)

    def token_user(self, token: str) -> User | None:
        self.refresh()
        digest = token_hash(token)
        for account in self.tokens.values():
            if hmac.compare_digest(account.secret, digest):
                return User(f"token:{account.name}", account.role, account.teams, via="token")
        return None


def password_fingerprint(password_hash: str) -> str:
    """Changes when the password does: a password change ends the user's sessions."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def read_users_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise AuthError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise AuthError(f"{path}: expected a mapping with 'users' and 'tokens', got {type(data).__name__}")
    return data


def _accounts(path: Path, data: dict[str, Any], section: str, secret_key: str) -> dict[str, Account]:
    out: dict[str, Account] = {}
    for name, entry in (data.get(section) or {}).items():
        if not isinstance(entry, dict) or not entry.get(secret_key):
            raise AuthError(f"{path}: {section}.{name} needs a {secret_key!r}")
        role = str(entry.get("role", "viewer"))
        if role not in ROLES:
            raise AuthError(f"{path}: {section}.{name}: unknown role {role!r}; use one of {', '.join(ROLES)}")
        teams = entry.get("teams") or []
        out[str(name)] = Account(str(name), role, tuple(str(t) for t in teams), str(entry[secret_key]))
    return out


def write_users_file(path: Path, data: dict[str, Any]) -> None:
    """Write the users file readable by its owner only (it holds the secret key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# jenkins2flow catalog UI: users (scrypt password hashes) and API tokens (sha256).\n")
        yaml.safe_dump(data, fh, sort_keys=False)
    os.replace(tmp, path)


def set_user(path: Path, name: str, *, password: str | None = None, role: str = "viewer",
             teams: tuple[str, ...] = ()) -> None:
    """Add or update a user (the password only when given); creates the file with a new secret key."""
    if role not in ROLES:
        raise AuthError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    data = read_users_file(path) if path.exists() else {}
    data.setdefault("secret_key", secrets.token_hex(32))
    users = data.setdefault("users", {}) or {}
    data["users"] = users
    entry = dict(users.get(name) or {})
    if password is not None:
        entry["password"] = hash_password(password)
    if not entry.get("password"):
        raise AuthError(f"User {name!r} is new: give a password.")
    entry.update(role=role, teams=list(teams))
    users[name] = entry
    write_users_file(path, data)


def add_token(path: Path, name: str, *, role: str, teams: tuple[str, ...] = ()) -> str:
    """Add (or replace) an API token; returns the token itself, which is stored only as its hash."""
    if role not in ROLES:
        raise AuthError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    data = read_users_file(path) if path.exists() else {}
    data.setdefault("secret_key", secrets.token_hex(32))
    token = new_token()
    tokens = data.get("tokens") or {}
    tokens[name] = {"sha256": token_hash(token), "role": role, "teams": list(teams)}
    data["tokens"] = tokens
    write_users_file(path, data)
    return token


# -- signed values: sessions and CSRF tokens -------------------------------------------------------------------------

class Signer:
    def __init__(self, key: str) -> None:
        self.key = key.encode()

    def sign(self, data: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{body}.{self._mac(body)}"

    def unsign(self, value: str, max_age: int) -> dict[str, Any] | None:
        body, _, mac = value.rpartition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if not isinstance(data, dict) or time.time() - float(data.get("iat", 0)) > max_age:
            return None
        return data

    def csrf(self, nonce: str, user: str) -> str:
        """The CSRF token of a browser (its random nonce cookie) and user: only that browser can know it."""
        return self._mac(f"csrf|{nonce}|{user}")

    def _mac(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()
