"""Who may use what: staff accounts with hashed passwords, and anonymous guests for students.

Passwords are stored only as hashes, in a file or a variable outside the repository. Two formats
are read, both from the standard library:

    scrypt$16384$8$1$<salt base64>$<hash base64>          (hashlib.scrypt, RFC 7914)
    pbkdf2_sha256$600000$<salt base64>$<hash base64>      (hashlib.pbkdf2_hmac; OWASP 2023 count)

Make one with ``python -m assistant.chat.auth`` (asks for the password, prints the hash).

The users file (``ASSISTANT_STAFF_USERS_FILE``) is TOML::

    [users.maria]
    password = "scrypt$16384$8$1$...$..."
    role = "staff"              # staff (default) or student
    name = "Maria Lopez"        # optional display name

or inline, ``ASSISTANT_STAFF_PASSWORDS="maria:scrypt$...,sam:scrypt$...:student"``.

Roles: ``staff`` opens the Policy desk and the feed admin commands; ``student`` only the Career
guide. A guest (no account, when ``ASSISTANT_OPEN_CAREER_GUIDE`` is on) is a student.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.chat.signins import SignInLedger
from assistant.errors import ConfigError

log = logging.getLogger(__name__)

ROLES = ("staff", "student")
STAFF = "staff"
STUDENT = "student"
GUEST_PREFIX = "guest-"
#: scrypt cost: n=2**14, r=8 (RFC 7914's interactive-login example), about 16 MiB and 50 ms.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
DEFAULT_KIND = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}"
_NAME = re.compile(r"^[A-Za-z0-9._@+-]{1,64}$")


@dataclass(frozen=True)
class Account:
    username: str
    password_hash: str = field(repr=False)
    role: str = STAFF
    name: str = ""


@dataclass(frozen=True)
class Identity:
    """A signed-in person as the app sees them (becomes a Chainlit ``User``)."""

    identifier: str
    role: str
    display_name: str = ""
    #: This sign-in's id, carried in its token and its renewals; signing out ends it
    #: (``SignInLedger.end_session``). Not part of who the person is, so not compared.
    session: str = field(default="", compare=False)

    @property
    def is_staff(self) -> bool:
        return self.role == STAFF

    @property
    def is_guest(self) -> bool:
        return self.identifier.startswith(GUEST_PREFIX)

    def metadata(self) -> dict:
        """What the sign-in token carries. ``role`` is the role at sign-in, for display only:
        rights are looked up in the account list on every use (``Directory.is_staff``)."""
        return {"role": self.role, "provider": "guest" if self.is_guest else "password", "session": self.session}


def new_session() -> str:
    return secrets.token_urlsafe(16)


# -- hashing -------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A new scrypt hash of ``password`` at the default cost (``DEFAULT_KIND``)."""
    return hash_like(DEFAULT_KIND, password, salt=salt)


def hash_kind(encoded: str) -> str:
    """The algorithm and cost of a stored hash (``scrypt$16384$8$1``), without salt or digest;
    "" when it is not one this module reads. Two hashes of one kind take the same time to check."""
    parts = (encoded or "").split("$")
    if parts[0] == "scrypt" and len(parts) == 6 and all(x.isdigit() for x in parts[1:4]):
        return "$".join(parts[:4])
    if parts[0] == "pbkdf2_sha256" and len(parts) == 4 and parts[1].isdigit():
        return "$".join(parts[:2])
    return ""


def hash_like(kind: str, password: str, *, salt: bytes | None = None) -> str:
    """A hash of ``password`` of the given ``kind`` (see ``hash_kind``), with a fresh salt."""
    salt = salt or os.urandom(16)
    name, *cost = kind.split("$")
    secret = password.encode("utf-8")
    if name == "scrypt":
        n, r, p = (int(x) for x in cost)
        digest = hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)
    elif name == "pbkdf2_sha256":
        digest = hashlib.pbkdf2_hmac("sha256", secret, salt, int(cost[0]), 32)
    else:
        raise ValueError(f"unknown hash kind {kind!r}")
    return f"{kind}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded``; a malformed hash never matches."""
    parts = (encoded or "").split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            salt, expected = base64.b64decode(parts[4]), base64.b64decode(parts[5])
            actual = hashlib.scrypt(
                password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=len(expected)
            )
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            iterations = int(parts[1])
            salt, expected = base64.b64decode(parts[2]), base64.b64decode(parts[3])
            actual = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations, len(expected))
        else:
            return False
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# -- accounts --------------------------------------------------------------------------------


def parse_inline(spec: str) -> list[Account]:
    """Accounts from ``name:hash[:role]`` entries separated by commas, spaces or newlines."""
    accounts = []
    for entry in re.split(r"[,\s]+", spec or ""):
        if not entry:
            continue
        parts = entry.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise ConfigError("ASSISTANT_STAFF_PASSWORDS: each entry is name:hash or name:hash:role")
        accounts.append(
            check_account(parts[0], parts[1], parts[2] if len(parts) == 3 else STAFF, "", "ASSISTANT_STAFF_PASSWORDS")
        )
    return accounts


def load_users_file(path: Path) -> list[Account]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the staff accounts: {exc}") from exc
    users = data.get("users")
    if not isinstance(users, dict):
        raise ConfigError(f"{path}: expected [users.NAME] tables with a password hash")
    accounts = []
    for username, spec in users.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("password"), str):
            raise ConfigError(f'{path}: users.{username} needs password = "scrypt$..."')
        accounts.append(
            check_account(
                str(username), spec["password"], str(spec.get("role", STAFF)), str(spec.get("name", "")), str(path)
            )
        )
    return accounts


def check_account(username: str, password_hash: str, role: str, name: str, where: str) -> Account:
    """An account from any source, checked by the same rules (``where`` names the source in errors)."""
    if not _NAME.match(username):
        raise ConfigError(f"{where}: {username!r} is not a valid user name (letters, digits, . _ @ + -)")
    if username.startswith(GUEST_PREFIX):
        raise ConfigError(f"{where}: user names starting with {GUEST_PREFIX!r} are reserved for guests")
    if role not in ROLES:
        raise ConfigError(f"{where}: {username}: role {role!r} is not one of {', '.join(ROLES)}")
    if not password_hash.startswith(("scrypt$", "pbkdf2_sha256$")):
        raise ConfigError(
            f"{where}: {username}: the password must be a hash (scrypt$... or pbkdf2_sha256$...); "
            "make one with `python -m assistant.chat.auth`"
        )
    return Account(username=username, password_hash=password_hash, role=role, name=name)


class Directory:
    """The staff accounts, and the one way to check a password against them.

    Accounts come from the operator's sources (the users file, the variable), fixed at start,
    and from the app's own ``staff.toml`` (``assistant.chat.staff.StaffFile``), read again when
    it changes; a name in both is the operator's.

    Every attempt does the same work whoever it names: one check of each hash kind in use (the
    account's own hash for its kind, a dummy of the same kind and cost for the others), so the
    time taken tells nothing about whether a name exists or how its password is stored (issue 13
    measured a pbkdf2 account at 208 ms against 50 ms for any other name). Failed attempts are
    limited by the ``SignInLedger`` (per name, per client address, kept across restarts).
    """

    def __init__(
        self,
        accounts: list[Account],
        *,
        store=None,
        ledger: SignInLedger | None = None,
        verify: Callable[[str, str], bool] = verify_password,
    ):
        self._accounts = {a.username.lower(): a for a in accounts}
        #: ``StaffFile``, ``StaffTable`` or anything with ``find(name)`` and ``accounts()``; None: no store.
        self.store = store
        self.ledger = ledger if ledger is not None else SignInLedger(":memory:")
        self._verify = verify
        self._dummies: dict[str, str] = {}
        self._dummies_lock = threading.Lock()
        for kind in self._kinds():
            self._dummy(kind)

    @classmethod
    def from_config(
        cls, *, users_file: Path | None, inline: str, store_file: Path | None = None, ledger_file: Path | None = None,
        database_url: str = "",
    ) -> Directory:
        """The operator's accounts plus the app's own store and ledger: in ``store_file`` and
        ``ledger_file``, or with ``database_url`` both in that Postgres database (every replica
        then shares the accounts and the failure counts)."""
        accounts = parse_inline(inline)
        if users_file is not None:
            accounts += load_users_file(users_file)
        from assistant.chat.staff import StaffFile, StaffTable  # they build on this module

        store = ledger = None
        if database_url:
            store, ledger = StaffTable.open(database_url), SignInLedger.on_postgres(database_url)
        else:
            store = StaffFile(store_file) if store_file is not None else None
            ledger = SignInLedger(ledger_file) if ledger_file is not None else None
        return cls(accounts, store=store, ledger=ledger)

    def accounts(self) -> list[Account]:
        """Every account that can sign in now, the operator's first."""
        stored = [a for a in (self.store.accounts() if self.store else ()) if a.username.lower() not in self._accounts]
        return [*self._accounts.values(), *stored]

    def __len__(self) -> int:
        return len(self.accounts())

    def has_staff(self) -> bool:
        return any(a.role == STAFF for a in self.accounts())

    def is_staff(self, identifier: str | None) -> bool:
        """Whether ``identifier`` is a staff account now (removed or demoted: no longer)."""
        key = (identifier or "").strip().lower()
        account = self._accounts.get(key) or self._stored(key)
        return account is not None and account.role == STAFF

    def current(self, identifier: str) -> Identity | None:
        """``identifier`` as the account list has it now: a guest stays a guest, a removed account
        is None (used to renew a sign-in token with today's role, never the token's)."""
        if identifier.startswith(GUEST_PREFIX):
            return Identity(identifier=identifier, role=STUDENT, display_name="Guest")
        key = identifier.strip().lower()
        account = self._accounts.get(key) or self._stored(key)
        if account is None:
            return None
        return Identity(identifier=account.username, role=account.role, display_name=account.name)

    def authenticate(self, username: str, password: str, *, address: str = "") -> Identity | None:
        """The account ``username`` names if ``password`` is its own; None otherwise, or when
        this name or ``address`` has failed too often lately (``SignInLedger``)."""
        key = (username or "").strip().lower()
        if self.ledger.reserve(key, address) is None:
            return None
        account = self._accounts.get(key) or self._stored(key)
        if not self._check_evenly(password or "", account):
            return None
        self.ledger.succeeded(key, address)
        return Identity(identifier=account.username, role=account.role, display_name=account.name,
                        session=new_session())

    def _check_evenly(self, password: str, account: Account | None) -> bool:
        """Check ``password`` against ``account`` doing the same work for every name (see the class)."""
        own = hash_kind(account.password_hash) if account else None
        matched = False
        for kind in self._kinds():
            if kind == own:
                matched = self._verify(password, account.password_hash)
            else:
                self._verify(password, self._dummy(kind))
        return matched

    def _kinds(self) -> list[str]:
        """Every hash kind in use, and the default one (what an empty directory still checks)."""
        return sorted({DEFAULT_KIND, *(k for a in self.accounts() if (k := hash_kind(a.password_hash)))})

    def _dummy(self, kind: str) -> str:
        with self._dummies_lock:
            if kind not in self._dummies:
                self._dummies[kind] = hash_like(kind, secrets.token_hex(8))
            return self._dummies[kind]

    def _stored(self, key: str) -> Account | None:
        if self.store is None or not key:
            return None
        try:
            return self.store.find(key)
        except ConfigError as exc:  # a hand-edited file gone bad: its accounts cannot sign in
            log.error("staff sign-in: %s", exc)
            return None


def new_guest() -> Identity:
    """A fresh anonymous student; the identifier is unguessable, so histories stay apart."""
    return Identity(identifier=GUEST_PREFIX + secrets.token_urlsafe(12), role=STUDENT, display_name="Guest",
                    session=new_session())


def session_secret(path: Path) -> str:
    """The token-signing secret kept in ``path`` (created on first use, readable by the owner only)."""
    path = Path(path)
    if path.is_file():
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) >= 32:
            return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret


def main() -> None:
    """Print a hash for a password typed twice (``python -m assistant.chat.auth``)."""
    import getpass

    first = getpass.getpass("Password: ")
    if len(first) < 10:
        raise SystemExit("Use at least 10 characters.")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("The two entries differ.")
    print(hash_password(first))


if __name__ == "__main__":
    main()
