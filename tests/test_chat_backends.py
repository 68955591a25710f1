"""Chat history, staff accounts and the sign-in ledger on both backends (issue 12).

Each test runs on SQLite (the data directory's files, as today) and on a fresh database of a real
Postgres (``ASSISTANT_DATABASE_URL``). "Replicas" here are two independent openings of the same
store (their own connections), which is what two ``assistant serve`` processes hold; the
process-level test is ``test_replicas.py``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from chainlit.context import init_http_context
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User
from click.testing import CliRunner

from assistant.chat import auth, history
from assistant.chat.datalayer import ChatDataLayer
from assistant.chat.runtime import Runtime
from assistant.chat.signins import Limits, SignInLedger
from assistant.chat.staff import StaffFile, StaffTable, open_store
from assistant.cli import main

PASSWORD = "maria's passphrase"


def _ledger(settings, **options) -> SignInLedger:
    if settings.database_url:
        return SignInLedger.on_postgres(settings.database_url, **options)
    return SignInLedger(settings.data_dir / "signin.db", **options)


def _store(settings) -> StaffFile | StaffTable:
    return open_store(database_url=settings.database_url, path=settings.data_dir / "staff.toml")


@pytest.fixture
def replicas(backend_settings):
    """Two directories over the same accounts and ledger, as two replicas hold them; maria is staff."""
    clock = [1000.0]
    made = []

    def replica() -> auth.Directory:
        ledger = _ledger(backend_settings, limits=Limits(per_address=8), clock=lambda: clock[0])
        directory = auth.Directory([], store=_store(backend_settings), ledger=ledger)
        made.append(directory)
        return directory

    a, b = replica(), replica()
    a.store.add("maria", PASSWORD, display_name="Maria Lopez")
    yield a, b, clock
    for directory in made:
        directory.ledger.close()
        if isinstance(directory.store, StaffTable):
            directory.store.close()


# -- the sign-in ledger ------------------------------------------------------------------------


def test_a_lockout_earned_on_one_replica_holds_on_the_other_and_ends(replicas):
    a, b, clock = replicas
    assert b.authenticate("maria", PASSWORD, address="office").identifier == "maria"
    for n in range(5):
        assert a.authenticate("maria", f"guess {n}", address="elsewhere") is None
    assert b.authenticate("maria", PASSWORD, address="elsewhere") is None
    assert b.authenticate("maria", PASSWORD, address="a third place") is None
    # The address she signed in from on B before still lets her in, on either replica.
    assert a.authenticate("maria", PASSWORD, address="office").identifier == "maria"
    # Many names from one address: stopped at per_address (8), counted across both replicas.
    for n in range(4):
        assert a.authenticate("anna", f"guess {n}", address="scanner") is None
        assert b.authenticate("bob", f"guess {n}", address="scanner") is None
    assert a.authenticate("maria", PASSWORD, address="scanner") is None
    clock[0] += 900.5
    assert b.authenticate("maria", PASSWORD, address="scanner").identifier == "maria"


def test_five_wrong_on_one_replica_and_the_right_one_on_the_other_at_once(backend_settings):
    """The five wrong attempts are held inside their hash check on A while the right one reaches B."""
    inside, release = threading.Semaphore(0), threading.Event()

    def held(password: str, encoded: str) -> bool:
        if password != PASSWORD:
            inside.release()
            release.wait(20)
        return auth.verify_password(password, encoded)

    store = _store(backend_settings)
    store.add("maria", PASSWORD)
    a = auth.Directory([], store=store, ledger=_ledger(backend_settings), verify=held)
    b = auth.Directory([], store=_store(backend_settings), ledger=_ledger(backend_settings))
    with ThreadPoolExecutor(5) as pool:
        wrong = [pool.submit(a.authenticate, "maria", f"guess {n}", address="10.0.0.9") for n in range(5)]
        for _ in range(5):
            assert inside.acquire(timeout=20)
        right = b.authenticate("maria", PASSWORD, address="10.0.0.9")
        release.set()
        assert [f.result() for f in wrong] == [None] * 5
    assert right is None


def test_sessions_ended_and_guests_admitted_are_shared(backend_settings):
    a, b = _ledger(backend_settings), _ledger(backend_settings, limits=Limits(guests_per_hour=3))
    assert not b.session_ended("s1")
    a.end_session("s1", lifetime_s=60)
    assert b.session_ended("s1")
    a.end_session("s1", lifetime_s=1)  # a shorter second end keeps the longer one
    b.end_session("s2", lifetime_s=-1)
    assert a.session_ended("s1") and not a.session_ended("s2")
    assert [a.admit_guest("10.2.2.2") for _ in range(2)] == [True, True]
    assert [b.admit_guest("10.2.2.2"), b.admit_guest("10.2.2.2"), b.admit_guest("10.2.2.3")] == [True, False, True]
    a.close()
    b.close()


# -- staff accounts ------------------------------------------------------------------------------


def test_account_changes_reach_the_other_replica_at_once(replicas):
    a, b, _ = replicas
    assert b.is_staff("MARIA") and b.current("maria").display_name == "Maria Lopez"
    a.store.set_password("maria", "a brand new passphrase")
    assert b.authenticate("maria", PASSWORD, address="office") is None
    assert b.authenticate("maria", "a brand new passphrase", address="office").identifier == "maria"
    a.store.remove("maria")
    a.store.add("maria", "a brand new passphrase", role="student")  # demoted
    assert not b.is_staff("maria") and b.current("maria").role == "student"
    a.store.remove("Maria")
    assert not b.is_staff("maria") and b.current("maria") is None
    assert b.authenticate("maria", "a brand new passphrase", address="office") is None


def test_the_store_keeps_order_refuses_duplicates_and_names_itself(backend_settings):
    store = _store(backend_settings)
    store.add("maria", PASSWORD)
    store.add("sam", "sam's passphrase", role="student", display_name="Sam")
    store.set_password("maria", "another passphrase")
    listed = [(a.username, a.role, a.name) for a in store.accounts()]
    assert listed == [("maria", "staff", ""), ("sam", "student", "Sam")]
    where = store.where
    if backend_settings.database_url:
        port = backend_settings.database_url.split(":")[-1].split("/")[0]
        assert where.startswith("staff_accounts in Postgres at 127.0.0.1:" + port + "/t_")
        assert "postgres@" not in where  # never the user name
    else:
        assert where == str(backend_settings.data_dir / "staff.toml")
    with pytest.raises(Exception, match=f"^{where}: 'Maria' already exists"):
        store.add("Maria", "whatever passphrase")
    with pytest.raises(Exception, match=f"^{where}: no account named 'bob'"):
        store.remove("bob")
    with pytest.raises(Exception, match="reserved for guests"):
        store.add("guest-1", "long enough passphrase")
    assert all(a.password_hash.startswith("scrypt$") for a in store.accounts())


def test_the_first_run_makes_one_account_however_many_replicas_start_at_once(backend_settings):
    stores = [_store(backend_settings) for _ in range(4)]
    start = threading.Barrier(4)

    def first_run(store) -> str | None:
        start.wait(20)
        return store.first_run()

    with ThreadPoolExecutor(4) as pool:
        passwords = list(pool.map(first_run, stores))
    made = [p for p in passwords if p]
    assert len(made) == 1
    assert [a.username for a in stores[0].accounts()] == ["admin"]
    directory = auth.Directory([], store=stores[1])
    assert directory.authenticate("admin", made[0]).identifier == "admin"
    # Removing the last account does not mint a new administrator.
    stores[2].remove("admin")
    assert stores[3].first_run() is None and stores[3].accounts() == ()


def test_runtime_on_postgres_keeps_no_account_files(postgres_server, tmp_path):
    url = postgres_server.create_database()
    data = tmp_path / "data"
    printed: list[str] = []
    env = {"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_DATABASE_URL": url}
    rt = Runtime.from_env(env, announce=printed.append)
    assert len(printed) == 1 and "staff_accounts in Postgres at 127.0.0.1:" in printed[0]
    password = printed[0].split("password:")[1].split()[0]
    again: list[str] = []
    other = Runtime.from_env(env, announce=again.append)  # a second replica starting
    assert again == []
    assert other.directory.authenticate("admin", password).identifier == "admin"
    assert not (data / "staff.toml").exists() and not (data / "signin.db").exists()
    for runtime in (rt, other):
        runtime.service.close()


def test_staff_commands_on_postgres(postgres_server, tmp_path):
    url = postgres_server.create_database()
    data = tmp_path / "data"

    def staff(*args: str, stdin: str | None = None):
        return CliRunner().invoke(main, ["--data-dir", str(data), "staff", *args], input=stdin,
                                  env={"ASSISTANT_DATABASE_URL": url})

    where = f"staff_accounts in Postgres at 127.0.0.1:{postgres_server.port}/{url.rsplit('/', 1)[1]}"
    assert staff("list").output == f"No staff accounts; `assistant staff add NAME` creates one in {where}\n"
    added = staff("add", "maria", "--name", "Maria Lopez", "--password-stdin", stdin="correct horse battery\n")
    assert added.exit_code == 0 and added.output == f"Added maria (staff) to {where}\n"
    assert staff("add", "sam", "--role", "student", "--password-stdin", stdin="sam's passphrase\n").exit_code == 0
    assert staff("list").output == f"maria  staff  Maria Lopez  ({where})\nsam  student  ({where})\n"
    changed = staff("passwd", "maria", "--password-stdin", stdin="a brand new passphrase\n")
    assert changed.exit_code == 0 and changed.output == "Changed the password of maria\n"
    directory = auth.Directory([], store=StaffTable.open(url))
    assert directory.authenticate("maria", "a brand new passphrase").identifier == "maria"
    duplicate = staff("add", "Maria", "--password-stdin", stdin="whatever passphrase\n")
    assert duplicate.exit_code == 1
    assert duplicate.output == f"Error: {where}: 'Maria' already exists; use `assistant staff passwd Maria`\n"
    removed = staff("remove", "maria")
    assert removed.output == f"Removed maria; 0 staff account(s) left in {where}\n"
    assert directory.authenticate("maria", "a brand new passphrase") is None
    missing = staff("remove", "bob")
    assert missing.exit_code == 1
    assert missing.output == f"Error: {where}: no account named 'bob' (see `assistant staff list`)\n"
    assert not (data / "staff.toml").exists()


# -- chat history --------------------------------------------------------------------------------


def _layer(settings, tmp_path) -> ChatDataLayer:
    url = history.store_url(database_url=settings.database_url, path=settings.data_dir / "chat.db")
    assert url.startswith("postgresql+psycopg://" if settings.database_url else "sqlite+aiosqlite:///")
    return ChatDataLayer(url, storage_provider=history.LocalFileStore(tmp_path / "files"))


class Card:
    """What ``create_element`` reads of a ``cl.Text`` source card."""

    def __init__(self, thread_id: str, for_id: str) -> None:
        self.id, self.thread_id, self.for_id = str(uuid.uuid4()), thread_id, for_id
        self.name, self.mime, self.path, self.url = "Source 1", "text/plain", None, None
        self.content = "Most BMETs hold an associate degree."

    def to_dict(self) -> dict:
        return {"id": self.id, "threadId": self.thread_id, "type": "text", "name": self.name, "display": "side",
                "forId": self.for_id, "mime": self.mime, "props": {"page": 1}, "url": None}


async def test_a_chat_written_through_one_replica_is_read_whole_through_the_other(backend_settings, tmp_path):
    init_http_context()
    a, b = _layer(backend_settings, tmp_path), _layer(backend_settings, tmp_path)
    maria = await a.create_user(User(identifier="maria", metadata={"role": "staff"}))
    guest = await a.create_user(User(identifier="guest-abc", metadata={"role": "student"}))
    assert await b.get_user("guest-abc") is None  # a guest is stored with its first chat only
    thread_id = str(uuid.uuid4())
    await a.update_thread(thread_id, user_id=guest.id, name="How do I become a BMET?",
                          metadata={"chat_profile": "Career guide", "memory": True})
    asked, answered = str(uuid.uuid4()), str(uuid.uuid4())
    await a.create_step({"id": asked, "threadId": thread_id, "name": "guest-abc", "type": "user_message",
                         "output": "How do I become a BMET?", "streaming": False, "isError": False,
                         "waitForAnswer": False, "metadata": {}, "createdAt": "2026-12-01T10:00:00.000Z",
                         "start": "2026-12-01T10:00:00.000Z", "end": "2026-12-01T10:00:00.000Z"})
    await a.create_step({"id": answered, "threadId": thread_id, "name": "Assistant", "type": "assistant_message",
                         "output": "Most BMETs start with an associate degree [1].", "streaming": False,
                         "metadata": {"profile": "career"}, "defaultOpen": False,
                         "createdAt": "2026-12-01T10:00:01.000Z"})
    card = Card(thread_id, answered)
    await a.create_element(card)
    feedback = await a.upsert_feedback(Feedback(forId=answered, value=1, threadId=thread_id, comment="clear"))
    # Replica B: the guest's row, the thread list, and the whole thread.
    stored = await b.get_user("guest-abc")
    assert stored.id == guest.id and stored.metadata == {"role": "student", "provider": "guest"}
    listed = await b.list_threads(Pagination(first=20), ThreadFilter(userId=guest.id))
    assert [t["id"] for t in listed.data] == [thread_id]
    assert (await b.list_threads(Pagination(first=20), ThreadFilter(userId=maria.id))).data == []
    thread = await b.get_thread(thread_id)
    assert thread["name"] == "How do I become a BMET?" and thread["userIdentifier"] == "guest-abc"
    metadata = thread["metadata"]
    assert (json.loads(metadata) if isinstance(metadata, str) else metadata) == {
        "chat_profile": "Career guide", "memory": True}
    assert [(s["type"], s["output"]) for s in thread["steps"]] == [
        ("user_message", "How do I become a BMET?"),
        ("assistant_message", "Most BMETs start with an associate degree [1]."),
    ]
    answer = thread["steps"][1]
    assert answer["feedback"]["value"] == 1 and answer["feedback"]["id"] == feedback
    assert answer["streaming"] in (False, 0)
    [element] = thread["elements"]
    assert element["id"] == card.id and element["forId"] == answered and element["url"].startswith("/chat-files/")
    assert (await b.get_element(thread_id, card.id))["props"] == {"page": 1}
    assert await b.get_thread_author(thread_id) == "guest-abc"
    await b.delete_thread(thread_id)
    assert await a.get_thread(thread_id) is None
    await asyncio.gather(a.close(), b.close())


async def test_the_chat_schema_is_one_migration_on_postgres(postgres_server):
    from assistant import db, pg

    url = postgres_server.create_database()
    for _ in range(2):  # every replica runs it at start; the second finds it done
        assert history.ensure_postgres_schema(url) == "postgresql+psycopg://" + url.split("://", 1)[1]
    with pg.open_connection(url) as conn:
        assert db.versions(conn)["chat"] == len(history.POSTGRES_MIGRATIONS)
        types = dict(conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'steps'").fetchall())
    assert types["metadata"] == "jsonb" and types["tags"] == "ARRAY" and types["streaming"] == "boolean"
    assert types["threadId"] == "text"  # quoted camelCase, as Chainlit's queries name them


def _files(settings, tmp_path):
    if settings.database_url:
        return history.PgFileStore.open(settings.database_url)
    return history.LocalFileStore(tmp_path / "chat-files")


async def test_chat_files_stored_through_one_replica_are_read_through_the_other(backend_settings, tmp_path):
    a, b = _files(backend_settings, tmp_path), _files(backend_settings, tmp_path)
    stored = await a.upload_file("guest-abc/e1/Source 1", "Most BMETs hold a degree.", mime="text/plain")
    assert stored == {"object_key": "guest-abc/e1/Source_1", "url": "/chat-files/guest-abc/e1/Source_1"}
    body, mime = b.read("guest-abc/e1/Source 1")
    content = body.read_bytes() if hasattr(body, "read_bytes") else body
    assert (content, mime) == (b"Most BMETs hold a degree.", "text/plain")
    assert b.owner(stored["object_key"]) == "guest-abc"
    await b.upload_file("guest-abc/e1/Source 1", b"\x89PNG", mime="image/png", overwrite=False)
    assert a.read("guest-abc/e1/Source_1")[1] == "text/plain"  # not overwritten
    await b.upload_file("guest-abc/e1/Source 1", b"\x89PNG", mime="image/png")
    assert a.read("guest-abc/e1/Source_1")[1] == "image/png"
    assert await a.delete_file("guest-abc/e1/Source_1") is True
    with pytest.raises(FileNotFoundError):
        b.read("guest-abc/e1/Source_1")
    assert await b.delete_file("guest-abc/e1/Source_1") is False


# -- a database restart ------------------------------------------------------------------------


async def test_the_stores_outlive_their_connections_being_dropped(postgres_server, tmp_path):
    """Postgres restarted or failed over: every connection of the replica is gone at once."""
    import psycopg

    url = postgres_server.create_database()
    store, ledger, files = StaffTable.open(url), SignInLedger.on_postgres(url), history.PgFileStore.open(url)
    layer = ChatDataLayer(history.ensure_postgres_schema(url), storage_provider=files)
    store.add("maria", PASSWORD)
    await files.upload_file("maria/e1/card", "text", mime="text/plain")
    maria = await layer.create_user(User(identifier="maria", metadata={}))
    database = url.rsplit("/", 1)[1]

    def drop_all() -> int:
        with psycopg.connect(postgres_server.admin_url, autocommit=True) as admin:
            return len(admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall())

    assert drop_all() >= 4
    directory = auth.Directory([], store=store, ledger=ledger)
    assert directory.authenticate("maria", PASSWORD, address="office").identifier == "maria"
    drop_all()
    assert directory.authenticate("maria", "wrong", address="office") is None
    drop_all()
    assert files.read("maria/e1/card") == (b"text", "text/plain")
    ledger.end_session("s1", lifetime_s=60)
    drop_all()
    assert ledger.session_ended("s1")
    assert (await layer.get_user("maria")).id == maria.id
    await layer.close()
    for opened in (store, ledger):
        opened.close()


def test_a_staff_file_is_copied_into_postgres_once(postgres_server, tmp_path):
    source = StaffFile(tmp_path / "staff.toml")
    source.add("maria", PASSWORD, display_name="Maria Lopez")
    source.add("sam", "sam's passphrase", role="student")
    table = StaffTable.open(postgres_server.create_database())
    table.add("lee", "lee's passphrase")
    assert table.copy_from(source) == 2 and table.copy_from(source) == 0
    assert [(a.username, a.role, a.name) for a in table.accounts()] == [
        ("lee", "staff", ""), ("maria", "staff", "Maria Lopez"), ("sam", "student", "")]
    assert auth.Directory([], store=table).authenticate("maria", PASSWORD).identifier == "maria"
    assert table.first_run() is None  # the file's first run counts here too
    table.close()
