"""The staff accounts the app keeps itself: ``<data dir>/staff.toml``, hashes only, mode 600.

This store sits beside the operator's own sources (``ASSISTANT_STAFF_USERS_FILE`` and
``ASSISTANT_STAFF_PASSWORDS``, see ``assistant.chat.auth``) and uses the users file's format, so
an operator can move its entries there unchanged. It exists for the first run: when no staff
account exists anywhere, the first start creates one (``first_run``), and from then on
``assistant staff add|passwd|remove|list`` manage it.

The file's existence is the record that the first run happened: removing every account from it
closes the Policy desk rather than minting a new administrator on the next start (a deleted
account must stay deleted). Deleting the file itself asks for a new first-run account.

The running app reads the file again whenever it changes (``StaffFile.accounts``), so a changed
password or a removed account takes effect on the next sign-in without a restart.

With ``ASSISTANT_DATABASE_URL`` set, the accounts live in Postgres instead (``StaffTable``, the
same methods), so every replica sees an added, changed, demoted or removed account on its next
use; the ``staff_store`` row plays the file's part as the record that the first run happened.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from assistant import db
from assistant.chat.auth import STAFF, Account, check_account, hash_password, load_users_file
from assistant.errors import ConfigError

#: The account the first run creates.
FIRST_USER = "admin"
#: Shortest password ``staff add`` and ``staff passwd`` accept (the hash tool's own rule).
MIN_PASSWORD = 10


class StaffFile:
    """The accounts in one ``staff.toml``, re-read when the file changes (its mtime or size)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        #: Where the accounts are kept, as messages name it.
        self.where = str(self.path)
        self._seen: tuple[int, int] | None = None
        self._accounts: tuple[Account, ...] = ()

    def exists(self) -> bool:
        return self.path.is_file()

    def accounts(self) -> tuple[Account, ...]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._accounts = None, ()
            return ()
        if self._seen != (stat.st_mtime_ns, stat.st_size):
            self._accounts = tuple(load_users_file(self.path))
            self._seen = (stat.st_mtime_ns, stat.st_size)
        return self._accounts

    def find(self, name: str) -> Account | None:
        key = name.strip().lower()
        return next((a for a in self.accounts() if a.username.lower() == key), None)

    # -- changes (the ``assistant staff`` commands) ---------------------------------------------

    def add(self, name: str, password: str, *, role: str = STAFF, display_name: str = "") -> Account:
        """Add an account; a name already present (in any case) is refused."""
        if self.find(name) is not None:
            raise ConfigError(f"{self.path}: {name!r} already exists; use `assistant staff passwd {name}`")
        account = _checked(name, _hash(name, password), role, display_name, self.path)
        self._write([*self.accounts(), account])
        return account

    def set_password(self, name: str, password: str) -> Account:
        old = self._existing(name)
        new = Account(username=old.username, password_hash=_hash(name, password), role=old.role, name=old.name)
        self._write([new if a is old else a for a in self.accounts()])
        return new

    def remove(self, name: str) -> Account:
        old = self._existing(name)
        self._write([a for a in self.accounts() if a is not old])
        return old

    def first_run(self, *, user: str = FIRST_USER) -> str | None:
        """Create ``user`` with a generated password unless this file exists; return the password.

        The file is created with ``O_EXCL``: of two processes starting at once, one creates the
        account and the other finds the file and returns None.
        """
        if self.exists():
            return None
        password = secrets.token_urlsafe(18)  # 144 random bits
        body = _render([Account(username=user, password_hash=hash_password(password), role=STAFF,
                                name="Administrator (first run)")])  # fmt: skip
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        return password

    def _existing(self, name: str) -> Account:
        found = self.find(name)
        if found is None:
            raise ConfigError(f"{self.path}: no account named {name!r} (see `assistant staff list`)")
        return found

    def _write(self, accounts: Sequence[Account]) -> None:
        """Replace the file atomically, readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(_render(accounts))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        finally:
            temporary.unlink(missing_ok=True)
        self._seen = None


#: The accounts on Postgres (component ``staff`` of ``db.migrate``). ``name_key`` is the name in
#: lower case, so names stay unique whatever their case, as in ``StaffFile.find``; ``added``
#: keeps the order accounts were added in, the order ``staff list`` shows.
POSTGRES_MIGRATIONS = [
    """
    CREATE TABLE IF NOT EXISTS staff_accounts (
        name_key TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        added BIGINT GENERATED BY DEFAULT AS IDENTITY
    );
    CREATE TABLE IF NOT EXISTS staff_store (id INTEGER PRIMARY KEY CHECK (id = 1), created_at TEXT NOT NULL);
    """,
]

_COLUMNS = "username, password_hash, role, display_name"


class StaffTable:
    """The app's staff accounts in Postgres: ``StaffFile``'s methods, read afresh on every use.

    ``link`` (``assistant.chat.database.Link``) runs one statement at a time for the app's
    threads; each commits on its own, except the first run's two, which commit together.
    """

    def __init__(self, link) -> None:
        from assistant import pg

        db.migrate(link.conn, "staff", POSTGRES_MIGRATIONS)
        self._link = link
        self.where = f"staff_accounts in Postgres at {pg.describe(link.url)}"

    @classmethod
    def open(cls, url: str) -> StaffTable:
        from assistant.chat.database import Link

        return cls(Link.open(url))

    def close(self) -> None:
        self._link.close()

    def _rows(self, sql: str, params: tuple = ()) -> list:
        return self._link.run(lambda conn: conn.execute(sql, params).fetchall())

    def exists(self) -> bool:
        return bool(self._rows("SELECT 1 FROM staff_store"))

    def accounts(self) -> tuple[Account, ...]:
        return tuple(self._account(r) for r in self._rows(f"SELECT {_COLUMNS} FROM staff_accounts ORDER BY added"))

    def find(self, name: str) -> Account | None:
        rows = self._rows(f"SELECT {_COLUMNS} FROM staff_accounts WHERE name_key = ?", (name.strip().lower(),))
        return self._account(rows[0]) if rows else None

    def _account(self, row) -> Account:
        return check_account(row[0], row[1], row[2], row[3], self.where)

    def add(self, name: str, password: str, *, role: str = STAFF, display_name: str = "") -> Account:
        """Add an account; a name already present (in any case) is refused."""
        account = _checked(name, _hash(name, password), role, display_name, self.where)
        if not self._insert(account):
            raise ConfigError(f"{self.where}: {name!r} already exists; use `assistant staff passwd {name}`")
        return account

    def set_password(self, name: str, password: str) -> Account:
        self._existing(name)
        rows = self._rows(f"UPDATE staff_accounts SET password_hash = ? WHERE name_key = ? RETURNING {_COLUMNS}",
                          (_hash(name, password), name.strip().lower()))
        if not rows:  # removed meanwhile
            raise self._missing(name)
        return self._account(rows[0])

    def remove(self, name: str) -> Account:
        rows = self._rows(f"DELETE FROM staff_accounts WHERE name_key = ? RETURNING {_COLUMNS}",
                          (name.strip().lower(),))
        if not rows:
            raise self._missing(name)
        return self._account(rows[0])

    def first_run(self, *, user: str = FIRST_USER) -> str | None:
        """Create ``user`` with a generated password unless the first run happened; return the password.

        Of several replicas starting at once, one inserts the ``staff_store`` row and the account
        in one transaction; the others wait for it on the row's key, then find it and return None.
        """
        if self.exists():
            return None
        password = secrets.token_urlsafe(18)  # 144 random bits
        account = Account(username=user, password_hash=hash_password(password), role=STAFF,
                          name="Administrator (first run)")

        def create(conn):
            conn.execute("BEGIN")
            try:
                first = conn.execute(
                    "INSERT INTO staff_store (id, created_at) VALUES (1, ?) ON CONFLICT DO NOTHING RETURNING id",
                    (datetime.now(UTC).isoformat(),),
                ).fetchone()
                if first is not None:
                    conn.execute(*self._insert_statement(account))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return first

        first = self._link.run(create)
        return password if first is not None else None

    def copy_from(self, source: StaffFile) -> int:
        """Copy the accounts of a ``staff.toml`` in (``assistant migrate --from-sqlite``); return how
        many were new. A name already here keeps its row, so running it again copies nothing. The
        file's existence (the first run happened) comes along, so no administrator is minted."""
        added = sum(self._insert(a) for a in source.accounts())
        if source.exists():
            self._rows("INSERT INTO staff_store (id, created_at) VALUES (1, ?) ON CONFLICT DO NOTHING RETURNING id",
                       (datetime.now(UTC).isoformat(),))
        return added

    def _insert(self, account: Account) -> bool:
        return bool(self._rows(*self._insert_statement(account)))

    @staticmethod
    def _insert_statement(account: Account) -> tuple[str, tuple]:
        sql = (f"INSERT INTO staff_accounts (name_key, {_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT (name_key) DO NOTHING RETURNING name_key")
        return sql, (account.username.lower(), account.username, account.password_hash, account.role, account.name)

    def _existing(self, name: str) -> Account:
        found = self.find(name)
        if found is None:
            raise self._missing(name)
        return found

    def _missing(self, name: str) -> ConfigError:
        return ConfigError(f"{self.where}: no account named {name!r} (see `assistant staff list`)")


def open_store(*, database_url: str, path: Path) -> StaffFile | StaffTable:
    """The app's own accounts: in Postgres when ``database_url`` is set, else in the file ``path``."""
    return StaffTable.open(database_url) if database_url else StaffFile(path)


def first_run_notice(path: Path | str, user: str, password: str) -> str:
    """What the console shows once: the account, its password, and how to change it."""
    rule = "=" * 72
    return "\n".join([
        rule,
        "No staff account existed, so one was created for the Policy desk:",
        f"    user name: {user}",
        f"    password:  {password}",
        "This password is shown only now; only its hash is kept, in",
        f"    {path}",
        "Sign in with **Staff sign-in** (top right), then change it:",
        f"    assistant staff passwd {user}",
        "Add accounts for your colleagues with `assistant staff add NAME`.",
        rule,
    ])  # fmt: skip


def _hash(name: str, password: str) -> str:
    if not password or not password.strip():
        raise ConfigError(f"{name}: the password is empty")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"{name}: the password is too short (use at least {MIN_PASSWORD} characters)")
    return hash_password(password)


def _checked(name: str, password_hash: str, role: str, display_name: str, where: Path) -> Account:
    return check_account(name, password_hash, role, display_name, str(where))


def _render(accounts: Sequence[Account]) -> str:
    # TOML basic strings take JSON's escapes, and quoted keys allow the "." and "@" names may hold.
    # The bare [users] table keeps a file whose last account was removed readable.
    lines = ["# Staff accounts of the chat (password hashes only). Manage with `assistant staff`.", "", "[users]", ""]
    for a in accounts:
        lines += [f"[users.{json.dumps(a.username)}]", f"password = {json.dumps(a.password_hash)}",
                  f"role = {json.dumps(a.role)}"]  # fmt: skip
        if a.name:
            lines.append(f"name = {json.dumps(a.name, ensure_ascii=False)}")
        lines.append("")
    return "\n".join(lines)
