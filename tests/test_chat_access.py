"""Handler-level tests of app.py: sign-in, and chats persisted with their sources and feedback."""

from __future__ import annotations

import sys
from pathlib import Path

import chainlit.data as cl_data
import httpx
import pytest
from chainlit.types import Feedback
from fastapi import HTTPException

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from chat_harness import GUEST, STAFF_PASSWORD, ask, make_runtime, open_chat, rt_fixture, service_fixture, settle  # noqa: E402, F401

import app  # noqa: E402

# -- sign-in -------------------------------------------------------------------------------


async def test_staff_sign_in_with_a_hashed_password(rt):
    user = await app.password_login("maria", STAFF_PASSWORD)
    assert user.identifier == "maria" and user.metadata["role"] == "staff"
    assert await app.password_login("maria", "wrong") is None
    assert await app.password_login("guest-abc", STAFF_PASSWORD) is None


async def test_guests_sign_in_without_an_account_unless_staff_asked(rt, monkeypatch):
    one, two = await app.guest_login({}), await app.guest_login({})
    assert one.identifier.startswith("guest-") and one.identifier != two.identifier
    assert one.metadata["role"] == "student" and one.metadata["provider"] == "guest"
    assert one.metadata["session"] and one.metadata["session"] != two.metadata["session"]
    assert await app.guest_login({"cookie": f"{app.STAFF_COOKIE}=1; other=2"}) is None
    closed = make_runtime(rt.chat.data_dir, rt.service, open_guide=False)
    monkeypatch.setattr(app, "_runtime", closed)
    assert await app.guest_login({}) is None


class _Request:
    def __init__(self, cookie: str = ""):
        self.headers = {"cookie": cookie}


async def test_login_page_skips_guest_sign_in_when_staff_asked(rt):
    normal = (await app.auth_config(_Request())).body
    staff = (await app.auth_config(_Request(f"{app.STAFF_COOKIE}=1"))).body
    assert b'"headerAuth":true' in normal and b'"headerAuth":false' in staff and b'"passwordAuth":true' in staff


async def test_staff_sign_in_link_clears_the_guest_session(rt):
    class Req:
        url = httpx.URL("http://127.0.0.1/staff")
        headers: dict = {"sec-fetch-site": "same-origin"}
        cookies: dict = {"access_token": "x"}

    response = await app.staff_signin(Req())
    cookies = response.headers.getlist("set-cookie")
    assert response.headers["location"] == "/login"
    assert any(c.startswith(f"{app.STAFF_COOKIE}=1") for c in cookies)
    assert any(c.startswith('access_token=""') and "Max-Age=0" in c for c in cookies)


# -- history, feedback, element files ------------------------------------------------------


async def test_a_chat_persists_with_its_sources_and_feedback(rt):
    layer = cl_data.get_data_layer()
    persisted = await layer.create_user(GUEST)
    chat = open_chat(user=persisted)
    await layer.update_thread(chat.session.thread_id, user_id=persisted.id)
    await ask("How do I become a BMET?")
    await settle()
    answer_id = list(chat.emitter.messages())[-1]
    await layer.upsert_feedback(Feedback(forId=answer_id, value=1, threadId=chat.session.thread_id))
    thread = await layer.get_thread(chat.session.thread_id)
    steps = {s["id"]: s for s in thread["steps"]}
    assert "**Sources**" in steps[answer_id]["output"] and steps[answer_id]["feedback"]["value"] == 1
    assert any(s["type"] == "user_message" and s["output"] == "How do I become a BMET?" for s in thread["steps"])
    cards = [e for e in thread["elements"] if e["forId"] == answer_id]
    assert sorted(e["name"] for e in cards) == ["[1]", "[2]"]
    for element in cards:
        key = element["objectKey"]
        assert element["url"] == f"/chat-files/{key}" and key.startswith(f"{persisted.id}/")
        path, mime = rt.files.read(key)
        assert mime == "text/plain" and "Snippet of" in path.read_text()


async def test_element_files_are_served_to_their_owner_only(rt):
    await rt.files.upload_file("owner-1/e/[1]", "**card**", mime="text/plain")

    class Owner:
        id = "owner-1"

    class Stranger:
        id = "owner-2"

    response = await app.chat_file("owner-1/e/_1_", Owner())
    assert response.media_type.startswith("text/plain") and response.headers["x-content-type-options"] == "nosniff"
    for user in (Stranger(), None):
        with pytest.raises(HTTPException) as info:
            await app.chat_file("owner-1/e/_1_", user)
        assert info.value.status_code == 404
    with pytest.raises(HTTPException):
        await app.chat_file("owner-1/../owner-2/x", Owner())
