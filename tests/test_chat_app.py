"""Handler-level tests of app.py: starting a chat and answering, with a recorded Chainlit context.

The library is a scripted fake (``chat_harness.FakeService``); Chainlit's own message, element,
settings and SQLAlchemy data-layer code run for real, on SQLite under ``tmp_path``.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from pathlib import Path

import chainlit.config as cl_config
import chainlit.data as cl_data

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from chat_harness import GUEST, STAFF, ask, make_runtime, open_chat, rt_fixture, service_fixture, user_message  # noqa: E402, F401

import app  # noqa: E402
from assistant.chat import profiles  # noqa: E402
from assistant.errors import IndexNotReadyError  # noqa: E402
from assistant.retrieval.filters import Filters  # noqa: E402

# -- starting a chat -----------------------------------------------------------------------


async def test_chat_start_sends_the_panel_and_commands_but_no_message(rt):
    chat = open_chat(user=GUEST)
    await app.on_chat_start()
    widgets = chat.emitter.of("chat_settings")[0]
    assert [w["id"] for w in widgets] == ["jurisdiction", "doc_types", "since", "k", "home_area", "remember"]
    assert [c["id"] for c in chat.emitter.of("set_commands")[0]] == [profiles.COMPARE_CAREERS, profiles.MAKE_PLAN]
    assert chat.session.chat_settings["doc_types"] == ["career_pathway", "training_program", "reference"]
    assert chat.emitter.replies() == []  # the welcome screen and its starters stay visible


async def test_staff_get_the_policy_desk_with_admin_commands(rt):
    chat = open_chat(user=STAFF, profile="Policy desk")
    await app.on_chat_start()
    ids = [c["id"] for c in chat.emitter.of("set_commands")[0]]
    assert profiles.WHAT_CHANGED in ids and profiles.ADD_FEED in ids and profiles.REFRESH_FEEDS in ids


async def test_profiles_depend_on_who_signed_in(rt):
    guest = await app.chat_profiles(GUEST)
    staff = await app.chat_profiles(STAFF)
    assert [p.name for p in guest] == ["Career guide"]
    assert [p.name for p in staff] == ["Career guide", "Policy desk"]
    assert all(len(p.starters) >= 4 and p.markdown_description for p in staff)


async def test_a_guest_cannot_use_the_policy_desk(rt, service):
    chat = open_chat(user=GUEST, profile="Policy desk")
    await app.on_chat_start()
    await ask("What changed in WIOA?")
    await ask("x", command=profiles.WHAT_CHANGED)
    replies = chat.emitter.replies()
    assert all("staff" in r for r in replies) and len(replies) == 3
    assert service.calls == []


# -- answers -------------------------------------------------------------------------------


async def test_an_answer_streams_then_ends_with_numbered_sources(rt, service):
    chat = open_chat(user=GUEST)
    await app.on_chat_start()
    await ask("How do I become a BMET?")
    assert len(chat.emitter.of("token")) >= 1  # pieces arrived before the final update
    message_id, message = list(chat.emitter.messages().items())[-1]
    text = message["output"]
    assert text.startswith("BMETs maintain and repair hospital equipment. [1]")
    assert "**Sources**" in text
    assert "- [1] What BMETs do · as of November 1, 2025" in text
    assert "- [2] Ways to become a BMET \\<b\\>fast\\</b\\> · published January 5, 2026" in text
    elements = chat.emitter.elements_for(message_id)
    assert sorted(e["name"] for e in elements) == ["[1]", "[2]"]
    assert all(e["display"] == "side" and e["type"] == "text" and e["name"] in text for e in elements)
    assert service.calls[0]["profile"] == "student"
    assert service.calls[0]["filters"].doc_types == ("career_pathway", "training_program", "reference")


async def test_markup_in_an_answer_is_shown_not_run(rt):
    chat = open_chat(user=GUEST)
    await ask("<script>alert(1)</script> how do I become a BMET?")
    streamed = "".join(t["token"] for t in chat.emitter.of("token"))
    final = chat.emitter.replies()[-1]
    for text in (streamed, final):
        assert "<script>" not in text and "\\<script\\>" in text
        assert "![" not in text.replace("\\![", "") and "\\!\\[x\\]" in text  # an image would load; escaped it is text


async def test_a_source_card_has_title_date_snippet_and_link(rt, tmp_path):
    chat = open_chat(user=GUEST)
    await ask("How do I become a BMET?")
    message_id = list(chat.emitter.messages())[-1]
    card = next(e for e in chat.emitter.elements_for(message_id) if e["name"] == "[1]")
    content = (cl_config.FILES_DIRECTORY / chat.session.id).glob("*")
    bodies = [p.read_text() for p in content]
    body = next(b for b in bodies if "What BMETs do" in b)
    assert card["chainlitKey"]
    assert "**What BMETs do**" in body and "As of November 1, 2025" in body
    assert "> Snippet of What BMETs do." in body and "[Open the original](https://example.org/doc-1)" in body


async def test_abstention_is_kind(rt):
    chat = open_chat(user=GUEST, settings={"jurisdiction": "MA"})
    await ask("Where is the best pizza in Boston?")
    text = chat.emitter.replies()[-1]
    assert text.startswith("I don't have a source for that")
    assert "Questions I can answer well" in text and "limit the search to Massachusetts" in text
    assert "Sources" not in text
    assert chat.emitter.of("element") == []


async def test_the_settings_panel_shapes_the_search(rt, service):
    open_chat(
        user=STAFF,
        profile="Policy desk",
        settings={"jurisdiction": "MA", "doc_types": ["policy"], "since": "2025-01-01T05:00:00.000Z", "k": 3},
    )
    await ask("What funds healthcare training?")
    call = service.calls[-1]
    assert call["filters"] == Filters(doc_types=("policy",), jurisdictions=("MA",), since=date(2025, 1, 1))
    assert call["k"] == 3 and call["profile"] == "advocacy"


async def test_follow_ups_carry_the_earlier_questions(rt, service):
    open_chat(user=GUEST)
    await ask("How do I become a BMET?")
    await ask("and in Massachusetts?")
    assert [c["history"] for c in service.calls] == [(), ("How do I become a BMET?",)]


async def test_a_follow_up_is_searched_with_the_topic_before_it(real_index, tmp_path, monkeypatch):
    """On the real model and index: "who gets them?" alone finds nothing; after a question about
    Massachusetts grants it is answered from them."""
    runtime = make_runtime(tmp_path, real_index)
    monkeypatch.setattr(app, "_runtime", runtime)
    monkeypatch.setattr(cl_config, "FILES_DIRECTORY", tmp_path / "session-files")
    monkeypatch.setattr(cl_data, "_data_layer", None)
    monkeypatch.setattr(cl_data, "_data_layer_initialized", True)  # no history needed here
    (tmp_path / "session-files").mkdir()
    everything = {"doc_types": []}
    alone = open_chat(user=STAFF, profile="Policy desk", settings=everything)
    await ask("who gets them?")
    follow = open_chat(user=STAFF, profile="Policy desk", settings=everything)
    await ask("Which Massachusetts grants pay for training partnerships?")
    await ask("who gets them?")
    assert alone.emitter.replies()[-1].startswith("I don't have a source")
    assert "- [1] Massachusetts workforce grants · as of June 1, 2024" in follow.emitter.replies()[-1]


async def test_three_questions_before_the_first_is_answered(rt, service):
    service.delay_s = 0.15
    chat = open_chat(user=GUEST)
    messages = [user_message(q) for q in ("first question", "second question", "third question")]
    for m in messages:
        await m.send()
    await asyncio.gather(*(app.on_message(m) for m in messages))
    assert [c["question"] for c in service.calls] == ["first question", "second question", "third question"]
    assert [c["history"] for c in service.calls] == [(), ("first question",), ("first question", "second question")]
    replies = chat.emitter.replies()
    assert len(replies) == 3 and all("**Sources**" in r for r in replies)


async def test_a_slow_answer_still_arrives_whole(rt, service):
    service.delay_s = 0.6
    chat = open_chat(user=GUEST)
    await ask("How do I become a BMET?")
    assert "**Sources**" in chat.emitter.replies()[-1]


async def test_a_huge_question_is_cut_and_the_user_told(rt, service):
    chat = open_chat(user=GUEST)
    await ask("how do I become a BMET " * 900)  # about 20,000 characters
    assert len(service.calls[0]["question"]) <= rt.chat.max_question_chars
    assert chat.emitter.replies()[-1].startswith("*Your message was long \\(20,699 characters\\)")


async def test_an_empty_message_gets_a_nudge_not_a_search(rt, service):
    chat = open_chat(user=GUEST)
    await ask("   ")
    assert "Type a question" in chat.emitter.replies()[-1] and service.calls == []


async def test_failures_become_an_apology_without_internals(rt, service):
    chat = open_chat(user=GUEST)
    service.fail = RuntimeError("database password is hunter2")
    await ask("How do I become a BMET?")
    service.fail = IndexNotReadyError("nothing is indexed yet in data: run `assistant ingest corpus/` first")
    await ask("How do I become a BMET?")
    first, second = chat.emitter.replies()
    assert first.startswith("Sorry, I couldn't answer that") and "hunter2" not in first
    assert "nothing is indexed yet" in second


async def test_the_model_is_shared_by_every_chat(rt, service, monkeypatch):
    builds = []

    def build(env, **_):
        builds.append(env)
        return rt

    # Start as a fresh process does: no runtime yet, built from the environment on first use.
    monkeypatch.setattr(app, "_runtime", None)
    monkeypatch.setattr(app.Runtime, "from_env", build)
    for _ in range(3):
        open_chat(user=GUEST)
        await ask("How do I become a BMET?")
    assert len(builds) == 1
    assert len(service.calls) == 3
