"""``assistant staff ...``: the chat's own staff accounts in ``<data dir>/staff.toml``, or in
Postgres when ``ASSISTANT_DATABASE_URL`` is set.

Thin commands over ``assistant.chat.staff.StaffFile`` (or ``StaffTable``); errors are ``AssistantError`` and become
one line through the main group. Accounts from ``ASSISTANT_STAFF_USERS_FILE`` and
``ASSISTANT_STAFF_PASSWORDS`` are the operator's to edit; ``staff list`` shows them too.
"""

from __future__ import annotations

import os
import sys

import click

from assistant.chat.auth import ROLES, STAFF, Directory
from assistant.chat.config import ChatConfig
from assistant.chat.database import Link
from assistant.chat.staff import StaffFile, StaffTable
from assistant.errors import ConfigError


def _store(service) -> StaffFile | StaffTable:
    if service.settings.database_url:
        return StaffTable(Link(service.db))
    return StaffFile(ChatConfig(data_dir=service.settings.data_dir).staff_store_path)


def _password(name: str, from_stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice at a prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = click.prompt(f"New password for {name}", hide_input=True, default="", show_default=False)
    if not first:
        raise ConfigError(f"{name}: the password is empty")
    if click.prompt("Again", hide_input=True, default="", show_default=False) != first:
        raise ConfigError(f"{name}: the two passwords differ")
    return first


password_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)


@click.group("staff")
def staff() -> None:
    """Staff accounts for the chat's Policy desk (stored as scrypt hashes, mode 600).

    \b
    Examples:
      assistant staff list
      assistant staff add maria --name "Maria Lopez"
      printf '%s\\n' "$NEW_PASSWORD" | assistant staff passwd admin --password-stdin
      assistant staff remove maria
    """


@staff.command("add")
@click.argument("name")
@password_stdin
@click.option("--role", type=click.Choice(ROLES), default=STAFF, show_default=True,
              help="staff opens the Policy desk; student only the Career guide.")
@click.option("--name", "display_name", default="", help="The name shown in the chat.")
@click.pass_obj
def add(service, name, password_stdin, role, display_name) -> None:
    """Add the account NAME (asks for its password twice)."""
    store = _store(service)
    if store.find(name) is not None:  # before asking for a password that would be thrown away
        raise ConfigError(f"{store.where}: {name!r} already exists; use `assistant staff passwd {name}`")
    account = store.add(name, _password(name, password_stdin), role=role, display_name=display_name)
    click.echo(f"Added {account.username} ({account.role}) to {store.where}")


@staff.command("passwd")
@click.argument("name")
@password_stdin
@click.pass_obj
def passwd(service, name, password_stdin) -> None:
    """Change NAME's password (asks twice); it works at the next sign-in, no restart needed."""
    store = _store(service)
    if store.find(name) is None:
        raise ConfigError(f"{store.where}: no account named {name!r} (see `assistant staff list`)")
    account = store.set_password(name, _password(name, password_stdin))
    click.echo(f"Changed the password of {account.username}")


@staff.command("remove")
@click.argument("name")
@click.pass_obj
def remove(service, name) -> None:
    """Remove the account NAME; it can no longer sign in (open chats keep their session)."""
    store = _store(service)
    account = store.remove(name)
    left = sum(a.role == STAFF for a in store.accounts())
    click.echo(f"Removed {account.username}; {left} staff account(s) left in {store.where}")


@staff.command("list")
@click.pass_obj
def list_(service) -> None:
    """Show every account that can sign in, with its role and where it is kept."""
    store = _store(service)
    chat = ChatConfig.from_env(os.environ, data_dir=service.settings.data_dir)
    operator = Directory.from_config(users_file=chat.staff_users_file, inline=chat.staff_passwords)
    rows = [(a, str(chat.staff_users_file or "ASSISTANT_STAFF_PASSWORDS")) for a in operator.accounts()]
    if chat.staff_users_file and chat.staff_passwords:  # both set: tell the two apart
        inline = {a.username.lower() for a in Directory.from_config(users_file=None, inline=chat.staff_passwords)
                  .accounts()}  # fmt: skip
        rows = [(a, "ASSISTANT_STAFF_PASSWORDS" if a.username.lower() in inline else where) for a, where in rows]
    taken = {a.username.lower() for a, _ in rows}
    rows += [(a, str(store.where)) for a in store.accounts() if a.username.lower() not in taken]
    if not rows:
        click.echo(f"No staff accounts; `assistant staff add NAME` creates one in {store.where}")
    for account, where in rows:
        shown = f"  {account.name}" if account.name else ""
        click.echo(f"{account.username}  {account.role}{shown}  ({where})")
