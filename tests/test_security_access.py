"""Issue 13, access and sessions: each door the review found open, shut and kept shut.

The first half tests the mechanisms on their own (the sign-in ledger, the even hash work, the
panel, the chat handlers through ``chat_harness``); the second half runs the real Chainlit app on
loopback (``ui_support.RunningApp``) and talks to it over HTTP as a browser or a script would.
``X-Forwarded-For`` and ``X-Forwarded-Proto`` stand for a reverse proxy: uvicorn honours them
from 127.0.0.1, the address these tests connect from.
"""

from __future__ import annotations

import sqlite3
import stat
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from chat_harness import STAFF_PASSWORD, ask, open_chat, rt_fixture, service_fixture, settle  # noqa: E402, F401

import app  # noqa: E402
from assistant.chat import auth, panel, profiles  # noqa: E402
from assistant.chat.signins import Limits, SignInLedger  # noqa: E402
from assistant.chat.staff import StaffFile  # noqa: E402
from assistant.config import prepare_data_dir  # noqa: E402

SECRET = "test-secret-" + "x" * 40
PBKDF2_COST = "pbkdf2_sha256$1000"  # cheap, so the tests stay fast; the kind is what matters


# -- the staff role comes from the account list, on every use --------------------------------


@pytest.fixture(name="staff_store")
def staff_store_fixture(rt, tmp_path, monkeypatch):
    """``rt`` with maria kept in a ``staff.toml`` the tests can change, and tokens signed as the app does."""
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", SECRET)
    store = StaffFile(tmp_path / "staff.toml")
    store.add("lee", "lee's passphrase")
    monkeypatch.setattr(rt, "directory", auth.Directory([], store=store))
    return store


async def _staff_chat(store: StaffFile, rt):
    """A Policy desk chat of maria, signed in with her password, carrying her real token."""
    from chainlit.auth import create_jwt

    store.add("maria", STAFF_PASSWORD)
    user = await app.password_login("maria", STAFF_PASSWORD)
    chat = open_chat(user=user, profile="Policy desk")
    chat.session.token = create_jwt(user)
    return chat, user


async def test_demoting_or_removing_an_account_ends_its_staff_rights_at_once(rt, staff_store):
    chat, user = await _staff_chat(staff_store, rt)
    assert user.metadata["role"] == "staff"
    await ask("Where does WIOA reauthorization stand?")
    assert profiles.STAFF_ONLY not in chat.emitter.replies()[-1]
    staff_store.remove("maria")
    staff_store.add("maria", STAFF_PASSWORD, role="student")  # demoted; the token still says staff
    await ask("Where does WIOA reauthorization stand?")
    assert chat.emitter.replies()[-1] == profiles.STAFF_ONLY
    staff_store.remove("maria")
    await ask("Where does WIOA reauthorization stand?")
    assert chat.emitter.replies()[-1] == profiles.STAFF_ONLY
    assert [p.name for p in await app.chat_profiles(user)] == ["Career guide"]


async def test_a_signed_out_session_has_no_staff_rights(rt, staff_store):
    from assistant.chat import sessions

    chat, _ = await _staff_chat(staff_store, rt)
    await ask("Where does WIOA reauthorization stand?")
    assert profiles.STAFF_ONLY not in chat.emitter.replies()[-1]
    rt.ledger.end_session(sessions.token_session(chat.session.token), lifetime_s=60)
    await ask("Where does WIOA reauthorization stand?")
    assert chat.emitter.replies()[-1] == profiles.STAFF_ONLY


# -- the settings panel: a profile's own document types, and one-line problems ----------------


def test_the_career_guide_cannot_reach_policy_documents():
    guide = profiles.CAREER_GUIDE
    own = guide.defaults.doc_types
    asked = panel.read({"doc_types": ["policy", "policy_update"]}, guide)
    assert asked.filters.doc_types == own
    assert asked.problems == ("Document types: policy, policy_update cannot be searched in the Career guide.",)
    assert panel.read({"doc_types": []}, guide).filters.doc_types == own  # empty: the usual, not everything
    assert panel.read({"doc_types": ["policy", "training_program"]}, guide).filters.doc_types == ("training_program",)
    offered = next(w for w in panel.widgets(guide) if w.id == "doc_types").items
    assert sorted(offered.values()) == sorted(own)
    desk = panel.read({"doc_types": ["policy", "career_pathway"]}, profiles.POLICY_DESK)
    assert desk.filters.doc_types == ("policy", "career_pathway") and desk.problems == ()


def test_bad_panel_values_say_so_in_one_line():
    k = panel.read({"k": "inf"}, profiles.CAREER_GUIDE)
    assert k.k == panel.SOURCES_DEFAULT
    assert k.problems == ("Number of sources: 'inf' is not a number from 1 to 10, so I used 5.",)
    types = panel.read({"doc_types": 7}, profiles.CAREER_GUIDE)
    assert types.filters.doc_types == profiles.CAREER_GUIDE.defaults.doc_types
    assert types.problems == ("Document types: 7 is not a list of types, so I used the Career guide's usual ones.",)


async def test_the_chat_answers_bad_settings_with_a_message(rt, service):
    chat = open_chat(user=None)
    await app.on_settings_update({"k": "inf", "doc_types": ["policy"]})
    assert chat.emitter.replies() == [
        "Document types: policy cannot be searched in the Career guide.",
        "Number of sources: 'inf' is not a number from 1 to 10, so I used 5.",
    ]
    chat.session.chat_settings = {"k": "inf", "doc_types": ["policy", "policy_update"]}
    await ask("How do I become a BMET?")
    assert service.calls[-1]["filters"].doc_types == profiles.CAREER_GUIDE.defaults.doc_types


# -- password sign-in: even work, limits that hold under concurrency and across restarts ---------


def _pbkdf2(password: str) -> str:
    return auth.hash_like(PBKDF2_COST, password)


def test_every_attempt_checks_one_hash_of_each_kind_whoever_it_names():
    checked: list[str] = []

    def verify(password: str, encoded: str) -> bool:
        checked.append(auth.hash_kind(encoded))
        return auth.verify_password(password, encoded)

    directory = auth.Directory(
        [auth.Account("maria", auth.hash_password("maria's passphrase")), auth.Account("sam", _pbkdf2("sam's pass"))],
        verify=verify,
    )
    runs = {}
    for name in ("nobody", "maria", "sam"):
        checked.clear()
        assert directory.authenticate(name, "a wrong password") is None
        runs[name] = list(checked)
    assert runs["nobody"] == runs["maria"] == runs["sam"] == [PBKDF2_COST, auth.DEFAULT_KIND]
    checked.clear()
    assert directory.authenticate("sam", "sam's pass").identifier == "sam"
    assert checked == [PBKDF2_COST, auth.DEFAULT_KIND]


def test_a_right_password_sent_behind_five_wrong_ones_is_refused(tmp_path):
    """The five wrong attempts are held inside their hash check while the right one arrives: the
    failures they will record are already counted."""
    inside, release = threading.Semaphore(0), threading.Event()

    def verify(password: str, encoded: str) -> bool:
        if password != "right passphrase":
            inside.release()
            release.wait(10)
        return auth.verify_password(password, encoded)

    directory = auth.Directory([auth.Account("maria", auth.hash_password("right passphrase"))],
                               ledger=SignInLedger(tmp_path / "signin.db"), verify=verify)
    with ThreadPoolExecutor(5) as pool:
        wrong = [pool.submit(directory.authenticate, "maria", f"guess {n}", address="10.0.0.9") for n in range(5)]
        for _ in range(5):
            assert inside.acquire(timeout=10)
        right = directory.authenticate("maria", "right passphrase", address="10.0.0.9")
        release.set()
        assert [f.result() for f in wrong] == [None] * 5
    assert right is None


def _guess(directory: auth.Directory, name: str, address: str, times: int) -> None:
    for n in range(times):
        assert directory.authenticate(name, f"guess {n}", address=address) is None


def test_failures_count_per_name_and_address_survive_a_restart_and_end(tmp_path):
    clock = [1000.0]
    accounts = [auth.Account("maria", auth.hash_password("maria's passphrase"))]

    def start() -> auth.Directory:
        ledger = SignInLedger(tmp_path / "signin.db", limits=Limits(per_address=8), clock=lambda: clock[0])
        return auth.Directory(accounts, ledger=ledger)

    directory = start()
    assert directory.authenticate("maria", "maria's passphrase", address="office").identifier == "maria"
    _guess(directory, "maria", "elsewhere", 5)
    directory = start()  # a restart forgets nothing
    assert directory.authenticate("maria", "maria's passphrase", address="elsewhere") is None
    assert directory.authenticate("maria", "maria's passphrase", address="a third place") is None
    # ... but a stranger's guesses do not keep maria out where she signs in from.
    assert directory.authenticate("maria", "maria's passphrase", address="office").identifier == "maria"
    # One address guessing many names is stopped at per_address, whatever the names.
    _guess(directory, "anna", "scanner", 4)
    _guess(directory, "bob", "scanner", 4)
    assert directory.authenticate("maria", "maria's passphrase", address="scanner") is None
    # Locks end: refused attempts are not counted, so the window after the last failure frees them.
    clock[0] += 900.5
    assert directory.authenticate("maria", "maria's passphrase", address="scanner").identifier == "maria"


# -- guests and files ----------------------------------------------------------------------------


async def test_guests_are_rationed_per_address_and_stored_only_with_their_first_chat(rt):
    import chainlit.data as cl_data

    from assistant.chat.sessions import CLIENT_ADDRESS

    CLIENT_ADDRESS.set("10.1.1.1")
    made = [await app.guest_login({}) for _ in range(Limits().guests_per_hour + 1)]
    assert all(made[:-1]) and made[-1] is None
    CLIENT_ADDRESS.set("10.1.1.2")
    guest = await app.guest_login({})
    assert guest is not None
    layer = cl_data.get_data_layer()
    persisted = await layer.create_user(guest)  # what each request of this guest does
    assert await layer.get_user(guest.identifier) is None
    chat = open_chat(user=persisted)
    await layer.update_thread(chat.session.thread_id, user_id=persisted.id)  # its first message
    stored = await layer.get_user(guest.identifier)
    assert stored is not None and stored.id == persisted.id
    await settle()
    with sqlite3.connect(rt.chat.chat_db_path) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1


async def test_the_data_dir_and_its_files_are_the_owners_only(rt, tmp_path):
    data = prepare_data_dir(tmp_path / "fresh")
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    (tmp_path / "loose").mkdir(mode=0o755)
    assert stat.S_IMODE(prepare_data_dir(tmp_path / "loose").stat().st_mode) == 0o700
    await rt.files.upload_file("owner-1/e/card", "text", mime="text/plain")
    path, _ = rt.files.read("owner-1/e/card")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ledger = SignInLedger(data / "signin.db")
    ledger.close()
    assert stat.S_IMODE((data / "signin.db").stat().st_mode) == 0o600


# -- the real app on loopback ----------------------------------------------------------------------


@pytest.fixture(scope="module", name="site")
def site_fixture(tmp_path_factory):
    from ui_support import RunningApp

    root = tmp_path_factory.mktemp("security")
    data = root / "data"
    StaffFile(data / "staff.toml").add("maria", "maria's passphrase")
    users = root / "users.toml"  # the operator's own file, with another account
    users.write_text(f'[users.lee]\npassword = "{auth.hash_password("lee passphrase")}"\n', encoding="utf-8")
    app_ = RunningApp(data, users_file=users, log_path=root / "app.log")
    with app_:
        app_.data = data
        yield app_


def _client(site, address: str = "10.9.0.1", **headers) -> httpx.Client:
    return httpx.Client(base_url=site.url, timeout=60, headers={"X-Forwarded-For": address, **headers})


def _login(site, name: str, password: str, address: str) -> httpx.Response:
    with _client(site, address) as client:
        return client.post("/login", data={"username": name, "password": password})


def _renew(site, token: str) -> httpx.Response:
    with _client(site) as client:
        return client.post("/auth/jwt", headers={"Authorization": f"Bearer {token}"})


def _profiles(site, token: str) -> list[str]:
    with _client(site) as client:
        body = client.get("/project/settings", cookies={"access_token": token}).json()
    return [p["name"] for p in body["chatProfiles"]]


def test_loopback_staff_rights_follow_the_account_list_and_sign_out(site):
    from chainlit.auth import decode_jwt

    store = StaffFile(site.data / "staff.toml")
    signed_in = _login(site, "maria", "maria's passphrase", "10.9.0.1")
    assert signed_in.status_code == 200
    token = signed_in.cookies["access_token"]
    assert _profiles(site, token) == ["Career guide", "Policy desk"]
    store.remove("maria")
    store.add("maria", "maria's passphrase", role="student")
    assert _profiles(site, token) == ["Career guide"]
    renewed = _renew(site, token)
    assert renewed.status_code == 200
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CHAINLIT_AUTH_SECRET", SECRET)
        assert decode_jwt(renewed.cookies["access_token"]).metadata["role"] == "student"
    store.remove("maria")
    assert _renew(site, token).status_code == 401
    store.add("maria", "maria's passphrase")
    token = _login(site, "maria", "maria's passphrase", "10.9.0.1").cookies["access_token"]
    with _client(site) as client:
        assert client.post("/logout", cookies={"access_token": token}).status_code == 200
    assert _renew(site, token).status_code == 401


def test_loopback_five_wrong_and_one_right_at_once(site):
    """The right password is sent once the five wrong attempts have taken their places."""
    ledger = site.data / "signin.db"

    def reserved() -> int:
        with sqlite3.connect(ledger) as conn:
            return conn.execute("SELECT count(*) FROM failures WHERE name = 'maria'").fetchone()[0]

    with ThreadPoolExecutor(5) as pool:
        wrong = [pool.submit(_login, site, "maria", f"guess {n}", "10.9.0.50") for n in range(5)]
        deadline = time.monotonic() + 30
        while reserved() < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        right = _login(site, "maria", "maria's passphrase", "10.9.0.50")
        assert [f.result().status_code for f in wrong] == [401] * 5
    assert right.status_code == 401
    # From the address maria signed in from before, she still gets in.
    assert _login(site, "maria", "maria's passphrase", "10.9.0.1").status_code == 200


def test_loopback_get_staff_changes_nothing_and_post_must_be_same_site(site):
    with _client(site) as client:
        page = client.get("/staff", cookies={"access_token": "a guest's token"})
        assert page.status_code == 200 and "set-cookie" not in page.headers
        assert '<form method="post" action="/staff">' in page.text
        foreign = client.post("/staff", headers={"Sec-Fetch-Site": "cross-site"})
        assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
        assert client.post("/staff", headers={"Origin": "https://evil.example"}).status_code == 403
        assert client.post("/staff").status_code == 403
        own = client.post("/staff", headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
        assert own.status_code == 303 and own.headers["location"] == "/login"
        assert "assistant_staff_signin=1" in own.headers["set-cookie"]


def test_loopback_cookies_are_secure_over_https_and_guests_leave_no_rows(site):
    with _client(site, "10.9.1.1", **{"X-Forwarded-Proto": "https"}) as client:
        cookie = client.post("/auth/header").headers["set-cookie"]
        assert cookie.startswith("access_token=") and "; Secure" in cookie
        own = client.post("/staff", headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
        assert all("Secure" in c for c in own.headers.get_list("set-cookie"))
    with _client(site, "10.9.1.2") as client:
        assert "secure" not in client.post("/auth/header").headers["set-cookie"].lower()
        for _ in range(Limits().guests_per_hour - 1):
            assert client.post("/auth/header").status_code == 200
        assert client.post("/auth/header").status_code == 401
    with sqlite3.connect(site.data / "chat.db") as conn:
        guests = conn.execute("SELECT count(*) FROM users WHERE identifier LIKE 'guest-%'").fetchone()[0]
    assert guests == 0


def test_loopback_data_dir_files_are_the_owners_only(site):
    with _client(site) as client:
        client.get("/healthz")  # opens the catalog
    assert stat.S_IMODE(site.data.stat().st_mode) == 0o700
    files = [p for p in site.data.rglob("*") if p.is_file() and not p.is_symlink()
             and "chat-site" not in p.relative_to(site.data).parts]
    assert {"chat.db", "signin.db", "assistant.db", "staff.toml"} <= {p.name for p in files}
    loose = {str(p.relative_to(site.data)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files
             if stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert loose == {}


def test_loopback_failures_survive_a_restart(site, tmp_path):
    from ui_support import RunningApp

    _login(site, "maria", "wrong", "10.9.3.3")
    site.stop()
    again = RunningApp(site.data, users_file=Path(site.data).parent / "users.toml", log_path=tmp_path / "again.log")
    with again:
        for n in range(4):
            assert _login(again, "maria", f"guess {n}", "10.9.3.3").status_code == 401
        assert _login(again, "maria", "maria's passphrase", "10.9.3.3").status_code == 401
