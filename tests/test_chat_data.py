"""Handler tests of the chat over real official data: memory, home area, occupation card, charts, plans.

The service is the real ``Service`` over the shipped extract (corpus/data, BLS OEWS May 2025,
EP 2024-34, O*NET 30.1) and the test corpus, with the keyword-count fake model. Expected
figures were read by hand from corpus/data/oews_may2025_extract.csv.gz (Massachusetts 49-9062:
median $78,230, middle half $62,930-$92,510, 2,200 employed; national median $61,660; Springfield,
MA $73,580; Worcester, MA $59,390).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from chat_harness import GUEST, ask, data_service, open_chat, rt_fixture  # noqa: E402, F401

import app  # noqa: E402
from assistant.chat import markup, profiles  # noqa: E402
from assistant.occupations.facts import ONET_CREDIT  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    service = data_service(tmp_path_factory.mktemp("chat-data") / "data", home_area="Springfield, MA")
    yield service
    service.close()


@pytest.fixture(name="service")
def service_fixture(served):
    return served


async def start(**settings):
    """A new chat with the panel sent, then ``settings`` changed in it as a person would."""
    chat = open_chat(user=GUEST)
    await app.on_chat_start()
    chat.session.chat_settings.update(settings)
    return chat


def content_of(chat, element: dict) -> str:
    """What an element holds, as Chainlit stored it for the browser."""
    return next(chat.session.files_dir.glob(element["chainlitKey"] + "*")).read_text(encoding="utf-8")


def last_reply(chat) -> tuple[dict, list[dict]]:
    message = list(chat.emitter.messages().values())[-1]
    return message, chat.emitter.elements_for(message["id"])


def card_of(chat, elements: list[dict]) -> str | None:
    cards = [e for e in elements if e["display"] == "inline" and e["name"].endswith(("glance", "MA", "Massachusetts"))]
    return content_of(chat, cards[0]) if cards else None


# -- memory ----------------------------------------------------------------------------------


async def test_memory_is_carried_across_three_messages_and_shown(rt):
    chat = await start()
    await ask("I'm an Army veteran in Springfield, MA")
    first = chat.emitter.replies()[-1]
    assert "Assuming: veteran; in Springfield, MA. Tell me if any of that is wrong." in first
    assert "I'll keep that in mind" in first  # a statement about oneself is acknowledged, not declined
    await ask("I want to be a BMET")
    second = chat.emitter.replies()[-1]
    assert "Assuming: veteran; aiming for medical equipment repairers; in Springfield, MA." in second
    await ask("how much would I make?")
    message, elements = last_reply(chat)
    # "I" means the remembered occupation in the remembered place: Springfield's figure, then the nation's
    assert "$73,580" in message["output"] and "$61,660" in message["output"]
    assert "Assuming: veteran; aiming for medical equipment repairers; in Springfield, MA." in message["output"]
    card = card_of(chat, elements)
    assert card is not None and "$73,580 a year ($35.38/hr) in Springfield, MA" in card

    await ask("I'm actually in Worcester")
    assert "in Worcester, MA" in chat.emitter.replies()[-1] and "Springfield" not in chat.emitter.replies()[-1]
    await ask("how much would I make?")
    assert "$59,390" in chat.emitter.replies()[-1]


async def test_memory_off_keeps_and_uses_nothing(rt):
    chat = await start(remember=False)
    await ask("I'm an Army veteran in Worcester, MA and I want to be a BMET")
    await ask("how much would I make?")
    replies = chat.emitter.replies()
    assert not any("Assuming:" in r for r in replies)
    assert "$59,390" not in replies[-1]  # neither Worcester nor the occupation was kept
    assert app._memory() == app.Memory()


async def test_switching_memory_off_forgets(rt):
    chat = await start()
    await ask("I'm a high school senior in Pittsfield")
    assert app._memory().background == "high-school"
    chat.session.chat_settings["remember"] = False
    await app.on_settings_update(chat.session.chat_settings)
    assert app._memory() == app.Memory() and "forgotten" in chat.emitter.replies()[-1]


async def test_resumed_chat_remembers_from_its_history(rt):
    open_chat(user=GUEST)
    thread = {"steps": [{"type": "user_message", "output": "I'm a veteran in Worcester, MA"},
                        {"type": "assistant_message", "output": "I'm a high school senior in Boston"},
                        {"type": "user_message", "output": "I want to be a BMET"}]}
    await app.on_chat_resume(thread)
    remembered = app._memory()
    assert (remembered.background, remembered.place, remembered.soc) == ("veteran", "Worcester, MA", "49-9062")


# -- home area -------------------------------------------------------------------------------


async def test_home_area_setting_is_the_place_when_none_is_named(rt):
    chat = await start(home_area="Worcester, MA", remember=False)
    await ask("How much do BMETs make?")
    message, elements = last_reply(chat)
    assert "$59,390" in message["output"] and "$59,390 a year ($28.56/hr) in Worcester, MA" in card_of(chat, elements)


async def test_deployment_home_area_is_the_panel_default(rt):
    chat = await start()
    widgets = {w["id"]: w for w in chat.emitter.of("chat_settings")[0]}
    assert widgets["home_area"]["initial"] == "Springfield, MA" and widgets["remember"]["initial"] is True


async def test_a_home_area_that_is_no_place_gets_a_clear_message(rt):
    chat = await start(home_area="Narnia", remember=False)
    await app.on_settings_update({"home_area": "Narnia"})
    assert 'The home area in your settings, "Narnia", is not a place I have figures for' in chat.emitter.replies()[-1]
    await ask("How much do BMETs make?")
    answer = chat.emitter.replies()[-1]
    assert "is not a place I have figures for" in answer and "$73,580" in answer  # the deployment's default


# -- the occupation card ---------------------------------------------------------------------


async def test_card_for_a_massachusetts_bmet_pay_question(rt):
    chat = await start()
    await ask("How much do BMETs make in Massachusetts?")
    message, elements = last_reply(chat)
    card = card_of(chat, elements)
    assert card is not None
    assert card.startswith("Official occupation code: SOC 49-9062.")
    assert "- [1] Medical Equipment Repairers, Massachusetts · BLS OEWS May 2025, Massachusetts" in message["output"]
    assert ("- **Median pay:** $78,230 a year ($37.61/hr) in Massachusetts; $61,660 a year ($29.64/hr) nationally"
            in card)
    assert "- **Middle half earned:** $62,930 to $92,510 in Massachusetts; $47,470 to $78,500 nationally" in card
    assert "- **People employed:** 2,200 in Massachusetts; 65,990 nationally" in card
    assert "*Pay: BLS OEWS May 2025.*" in card
    assert "- **Growth, 2024 to 2034:** +12.9% nationally (all occupations: +3.1%)" in card
    assert "- **Openings:** about 7,300 a year nationally" in card
    assert "- **Typical entry education:** Associate's degree" in card
    assert "Employment Projections 2024-34" in card
    tasks = [line for line in card.splitlines() if line[:3] in ("1. ", "2. ", "3. ", "4. ")]
    assert len(tasks) == 3
    related = next(line for line in card.splitlines() if line.startswith("**Related jobs:**"))
    assert 3 <= related.count(";") + 1 <= 5
    assert "O\\*NET 30.1, 49-9062.00" in card and markup.escape_text(ONET_CREDIT) in card


async def test_no_card_without_official_figures(rt):
    chat = await start()
    await ask("What is the CBET exam?")
    _, elements = last_reply(chat)
    assert [e for e in elements if e["display"] == "inline"] == []


# -- charts ----------------------------------------------------------------------------------


async def test_compare_careers_is_drawn_from_the_data(rt):
    chat = await start()
    await ask("", command=profiles.COMPARE_CAREERS)
    message, elements = last_reply(chat)
    caption = message["output"]
    assert "OEWS May 2025 median annual pay, Massachusetts" in caption  # the home area's state
    assert "Employment Projections 2024–34" in caption
    image = next(e for e in elements if e["type"] == "image")
    assert content_of_bytes(chat, image)[:8] == b"\x89PNG\r\n\x1a\n"
    table = content_of(chat, next(e for e in elements if e["name"] == "Figures"))
    assert "| Medical Equipment Repairers (BMETs) | $78,230 | +12.9% |" in table
    assert len(table.splitlines()) == 2 + 10  # the ten default careers


def content_of_bytes(chat, element: dict) -> bytes:
    return next(chat.session.files_dir.glob(element["chainlitKey"] + "*")).read_bytes()


async def test_pay_across_the_state_on_request(rt):
    chat = await start()
    await ask("chart bmet pay across massachusetts")
    message, elements = last_reply(chat)
    assert "median pay across Massachusetts" in message["output"] and "OEWS May 2025" in message["output"]
    table = content_of(chat, next(e for e in elements if e["name"] == "Pay by area"))
    assert "| Massachusetts (statewide) | $78,230 | $62,930 to $92,510 | 2,200 |" in table
    assert "| Springfield, MA | $73,580 |" in table and "| Worcester, MA | $59,390 |" in table
    assert any(e["type"] == "image" for e in elements)


async def test_compare_pay_across_the_state_uses_the_remembered_occupation(rt):
    chat = await start()
    await ask("I want to be a surgical technologist")
    await ask("compare pay across the state")
    message, elements = last_reply(chat)
    assert "Surgical Technologists" in message["output"] and "Massachusetts" in message["output"]


# -- plans -----------------------------------------------------------------------------------


async def test_plan_from_the_conversation_is_a_checklist_with_a_file(rt):
    chat = await start()
    await ask("I'm an Army veteran in Springfield, MA")
    await ask("I want to be a BMET")
    await ask("Make me a plan")
    message, elements = last_reply(chat)
    text = message["output"]
    assert text.startswith("**Your plan: BMET \\(medical equipment repairers\\) in Springfield, MA**")
    steps = [line for line in text.splitlines() if line.startswith("- [ ] **Step ")]
    assert 4 <= len(steps) <= 8 and steps[0].startswith("- [ ] **Step 1.** Start from your service")
    assert "$73,580" in text and "**Sources**" in text
    file = next(e for e in elements if e["type"] == "file")
    assert file["name"] == "bmet-plan.md" and file["mime"] == "text/markdown"
    body = content_of(chat, file)
    assert body.startswith("# Your plan: BMET (medical equipment repairers) in Springfield, MA")
    assert body.count("- [ ] **Step ") == len(steps)
    cards = {e["name"] for e in elements if e["display"] == "side"}
    assert "[1]" in cards and all(f"[{n}]" in text for n in range(1, len(cards) + 1))


async def test_plan_asks_for_the_background_with_buttons(rt):
    chat = await start()
    await ask("", command=profiles.MAKE_PLAN)
    message = list(chat.emitter.messages().values())[-1]
    assert "tell me where you're starting from" in message["output"]
    sent = message.get("actions") or chat.emitter.of("action")
    labels = {a["label"] for a in sent}
    assert "Veteran or in the military" in labels and len(labels) == 5
    choice = next(a for a in sent if a["payload"]["background"] == "high-school")
    await app.on_plan_background(app.cl.Action(name=choice["name"], payload=choice["payload"]))
    text = chat.emitter.replies()[-1]
    # no place told: the deployment's home area; no goal told: BMET
    assert "**Your plan: BMET" in text and "in Springfield, MA" in text and "For a high school" in text


async def test_an_answer_comparing_places_comes_with_the_state_chart(rt):
    chat = await start()
    await ask("Compare BMET pay in Springfield MA vs Worcester MA")
    messages = list(chat.emitter.messages().values())
    answer, chart = messages[-2], messages[-1]
    assert "$73,580" in answer["output"] and "$59,390" in answer["output"]
    assert "median pay across Massachusetts" in chart["output"]
    assert any(e["name"] == "Pay by area" for e in chat.emitter.elements_for(chart["id"]))


async def test_an_answer_comparing_occupations_comes_with_their_chart(rt):
    chat = await start()
    await ask("Which pays more in Massachusetts, BMET or surgical technologist?")
    message, elements = last_reply(chat)
    assert "Careers compared" in message["output"] and "Massachusetts" in message["output"]
    table = content_of(chat, next(e for e in elements if e["name"] == "Figures"))
    assert "| Medical Equipment Repairers (BMETs) | $78,230 |" in table and "Surgical Technologists" in table
    assert len(table.splitlines()) == 2 + 2
