"""The first-run staff account and ``assistant staff add|passwd|remove|list``.

Each test builds the chat's ``Runtime`` from a plain environment, as ``assistant serve`` does, over
a fresh data directory; the console is a list that records what would be printed.
"""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1]))
import app  # noqa: E402
from assistant.chat.auth import hash_password  # noqa: E402
from assistant.chat.runtime import Runtime  # noqa: E402
from assistant.cli import main  # noqa: E402


def start(data_dir: Path, **env: str) -> tuple[Runtime, list[str]]:
    """One app start over ``data_dir``: its Runtime and what it printed on the console."""
    printed: list[str] = []
    rt = Runtime.from_env({"ASSISTANT_DATA_DIR": str(data_dir), **env}, announce=printed.append)
    return rt, printed


def password_in(notice: str) -> str:
    return re.search(r"password:\s+(\S+)", notice).group(1)


def staff(data_dir: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), "staff", *args], input=stdin)


def test_first_start_creates_one_account_and_prints_its_password_once(tmp_path):
    data = tmp_path / "data"
    rt, printed = start(data)
    assert len(printed) == 1
    notice = printed[0]
    password = password_in(notice)
    assert len(password) >= 20
    assert "user name: admin" in notice and "assistant staff passwd admin" in notice
    assert str(data / "staff.toml") in notice
    # Only the hash is kept, readable by the owner alone.
    path = data / "staff.toml"
    body = path.read_text()
    assert password not in body and 'password = "scrypt$16384$8$1$' in body
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    identity = rt.directory.authenticate("admin", password)
    assert identity is not None and identity.is_staff
    assert rt.directory.authenticate("admin", password + "x") is None
    # Every later start finds the account and prints nothing.
    again, printed_again = start(data)
    assert printed_again == [] and path.read_text() == body
    assert again.directory.authenticate("admin", password).identifier == "admin"


async def test_the_first_run_password_opens_the_policy_desk(tmp_path, monkeypatch):
    rt, printed = start(tmp_path / "data")
    monkeypatch.setattr(app, "_runtime", rt)
    user = await app.password_login("admin", password_in(printed[0]))
    assert user.identifier == "admin" and user.metadata["role"] == "staff"
    assert await app.password_login("admin", "not the password") is None


def test_no_first_run_account_when_the_operator_configured_staff(tmp_path):
    data = tmp_path / "data"
    rt, printed = start(data, ASSISTANT_STAFF_PASSWORDS=f"maria:{hash_password('a long password')}")
    assert printed == [] and not (data / "staff.toml").exists()
    assert rt.directory.authenticate("maria", "a long password").identifier == "maria"
    assert rt.directory.authenticate("admin", "a long password") is None


def test_a_student_only_directory_still_gets_a_staff_account(tmp_path):
    _, printed = start(tmp_path / "data", ASSISTANT_STAFF_PASSWORDS=f"sam:{hash_password('pw pw pw pw')}:student")
    assert len(printed) == 1


def test_passwd_changes_it_at_once_and_remove_ends_it(tmp_path):
    data = tmp_path / "data"
    rt, printed = start(data)
    old = password_in(printed[0])
    changed = staff(data, "passwd", "admin", "--password-stdin", stdin="a brand new passphrase\n")
    assert changed.exit_code == 0, changed.output
    assert changed.output == "Changed the password of admin\n"
    # The running app reads the changed file at the next sign-in: no restart.
    assert rt.directory.authenticate("admin", old) is None
    assert rt.directory.authenticate("admin", "a brand new passphrase").identifier == "admin"
    assert "a brand new passphrase" not in (data / "staff.toml").read_text()
    removed = staff(data, "remove", "admin")
    assert removed.exit_code == 0 and removed.output.startswith("Removed admin; 0 staff account(s) left")
    assert rt.directory.authenticate("admin", "a brand new passphrase") is None
    # A removed administrator is not minted again on the next start.
    later, printed_later = start(data)
    assert printed_later == [] and len(later.directory) == 0


def test_passwd_prompts_twice(tmp_path):
    data = tmp_path / "data"
    rt, _ = start(data)
    typed = staff(data, "passwd", "admin", stdin="first passphrase\nfirst passphrase\n")
    assert typed.exit_code == 0, typed.output
    assert rt.directory.authenticate("admin", "first passphrase") is not None
    differ = staff(data, "passwd", "admin", stdin="first passphrase\nsecond passphrase\n")
    assert differ.exit_code == 1 and differ.output.endswith("Error: admin: the two passwords differ\n")
    assert rt.directory.authenticate("admin", "first passphrase") is not None


def test_add_list_and_one_line_errors(tmp_path):
    data = tmp_path / "data"
    path = data / "staff.toml"
    assert staff(data, "list").output == f"No staff accounts; `assistant staff add NAME` creates one in {path}\n"
    added = staff(data, "add", "maria", "--name", "Maria Lopez", "--password-stdin", stdin="correct horse battery\n")
    assert added.exit_code == 0 and added.output == f"Added maria (staff) to {path}\n"
    student = staff(data, "add", "sam", "--role", "student", "--password-stdin", stdin="sam's passphrase\n")
    assert student.exit_code == 0
    assert staff(data, "list").output == f"maria  staff  Maria Lopez  ({path})\nsam  student  ({path})\n"
    cases = {
        ("add", "Maria"): f"Error: {path}: 'Maria' already exists; use `assistant staff passwd Maria`\n",
        ("passwd", "bob"): f"Error: {path}: no account named 'bob' (see `assistant staff list`)\n",
        ("remove", "bob"): f"Error: {path}: no account named 'bob' (see `assistant staff list`)\n",
    }
    for args, error in cases.items():
        result = staff(data, *args, "--password-stdin" if args[0] != "remove" else "--", stdin="whatever passphrase\n")
        assert result.exit_code == 1 and result.output == error, (args, result.output)
    empty = staff(data, "add", "bob", "--password-stdin", stdin="\n")
    assert empty.exit_code == 1 and empty.output == "Error: bob: the password is empty\n"
    short = staff(data, "add", "bob", "--password-stdin", stdin="short\n")
    assert short.output == "Error: bob: the password is too short (use at least 10 characters)\n"
    bad = staff(data, "add", "guest-1", "--password-stdin", stdin="long enough passphrase\n")
    assert bad.exit_code == 1 and "reserved for guests" in bad.output
    # No first-run account once someone was added: staff exist.
    _, printed = start(data)
    assert printed == []


def test_list_names_the_operators_accounts_and_where_they_live(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_STAFF_PASSWORDS", f"lee:{hash_password('lee passphrase')}")
    staff(data, "add", "maria", "--password-stdin", stdin="correct horse battery\n")
    assert staff(data, "list").output == (f"lee  staff  (ASSISTANT_STAFF_PASSWORDS)\n"
                                          f"maria  staff  ({data / 'staff.toml'})\n")


def test_a_broken_store_file_fails_at_start_in_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "staff.toml").write_text("[users.admin]\npassword = 'plain text'\n")
    with pytest.raises(Exception, match=r"staff.toml: admin: the password must be a hash"):
        start(data)
