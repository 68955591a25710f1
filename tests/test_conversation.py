"""What a conversation remembers (pure), and remembered turns answered end to end on the
starter corpus with its shipped data extract (``ask - --conversation``)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.conversation import Memory, carried_asks, detect_background, detect_constraints, remember
from assistant.occupations.resolve import Area, Occupation


@pytest.mark.parametrize("message, background", [
    ("I'm an Army veteran in Springfield", "veteran"),
    ("I served 6 years in the Navy", "veteran"),
    ("I'm a high school senior", "high-school"),
    ("I work in IT, mostly help desk", "it-worker"),
    ("I'm a CNA at a nursing home", "healthcare-worker"),
    ("thinking about a career change after 10 years in retail", "career-changer"),
    ("how much do bmets make", None),
])
def test_background_from_what_people_say(message, background):
    assert detect_background(message) == background


def test_constraints_accumulate_and_newer_facts_win():
    springfield = Area("44140", "Springfield, MA", 4, "MA")
    worcester = Area("49340", "Worcester, MA", 4, "MA")
    memory = remember(Memory(), "I'm a veteran in Springfield and I need to earn while I train", place=springfield)
    assert memory.background == "veteran" and memory.place == "Springfield, MA"
    assert memory.constraints == ("earn while training",)
    memory = remember(memory, "I don't have a car", place=None)
    assert memory.constraints == ("earn while training", "no car")
    memory = remember(memory, "actually I'm in Worcester and I want to be a BMET", place=worcester,
                      occupation=Occupation("49-9062", "Medical Equipment Repairers", "bmet"))
    assert memory.place == "Worcester, MA" and memory.soc == "49-9062"
    assert memory.assumed() == {"place": "Worcester, MA", "occupation": "Medical Equipment Repairers (49-9062)",
                                "background": "veteran"}
    assert memory.summary().startswith("Assuming: veteran; aiming for medical equipment repairers; in Worcester, MA")
    bmet = Occupation("49-9062", "Medical Equipment Repairers", "bmet")
    asked_only = remember(Memory(), "how much do bmets make", occupation=bmet)
    assert "about medical equipment repairers" in asked_only.summary()
    asked = remember(memory, "how much do BMETs make in Boston?", place=Area("14460", "Boston", 4, "MA"))
    assert asked.place == "Worcester, MA"  # asking about a place does not move the person there
    assert detect_constraints("evening classes only") == ("evening classes",)


def test_a_follow_up_moves_the_place_and_carries_what_was_asked():
    springfield, boston = Area("44140", "Springfield, MA", 4, "MA"), Area("14460", "Boston", 4, "MA")
    memory = remember(Memory(), "I live in Springfield MA", place=springfield)
    assert remember(memory, "what about in Boston instead?", place=boston).place == "Boston"
    assert remember(memory, "how about in Boston?", place=boston).place == "Boston"
    assert carried_asks("and what about x-ray techs?", ["I'm in Worcester", "how much do bmets make here"]) == {"pay"}
    assert carried_asks("how about in Boston?", ["is bmet work growing"]) == {"growth"}
    assert carried_asks("what about in Boston instead?", ["I want to be a bmet", "I live in Springfield MA"]) == {"pay"}
    assert carried_asks("how much would I make?", []) == frozenset()  # no history: nothing to carry
    assert carried_asks("which community colleges in western massachusetts teach it", ["hi"]) == frozenset()


def test_search_terms_add_only_what_the_question_lacks():
    memory = Memory(place="Springfield, MA", occupation="Medical Equipment Repairers", soc="49-9062",
                    occupation_words="bmet", background="veteran")
    assert memory.search_terms("where can I train?") == "bmet Springfield veteran military"
    assert memory.search_terms("bmet training in springfield for a veteran") == ""


def _conversation(data_dir: str, *turns: str, extra=()) -> list[dict]:
    result = CliRunner().invoke(main, ["--data-dir", data_dir, "ask", "-", "--conversation", *extra],
                                input="\n".join(turns) + "\n")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_later_turns_use_place_background_and_occupation(starter_service):
    answers = _conversation(str(starter_service.settings.data_dir),
                            "I'm an Army veteran in Springfield, MA", "I want to be a BMET",
                            "how much would I make?", "where can I train?")
    assert answers[0]["assumed"] == {"place": "Springfield, MA", "occupation": None, "background": "veteran"}
    pay = answers[2]
    assert pay["assumed"]["occupation"] == "Medical Equipment Repairers (49-9062)"
    # OEWS May 2025, Springfield MA (44140), 49-9062: A_MEDIAN 73,580; nation 61,660
    assert pay["answer"].startswith("In Springfield, MA, medical equipment repairers")
    assert "$73,580" in pay["answer"] and "$61,660" in pay["answer"]
    data = [c for c in pay["citations"] if c["doc_type"] == "data"]
    assert data[0]["source"] == "BLS OEWS May 2025, Springfield, MA" and data[0]["url"].endswith("oes_44140.htm")
    train = answers[3]
    assert not train["abstained"]
    assert any("springfield" in c["source"].lower() or "massachusetts" in c["title"].lower()
               for c in train["citations"]), train["citations"]


def test_what_about_another_place_or_occupation_answers_like_the_question_before(starter_service):
    # OEWS May 2025, A_MEDIAN: 49-9062 Boston-Cambridge-Newton (14460) 78,480; 29-2034 Worcester (49340) 103,090
    boston = _conversation(str(starter_service.settings.data_dir),
                           "I want to be a bmet", "I live in Springfield MA", "what about in Boston instead?")[-1]
    assert boston["answer"].startswith("In Boston-Cambridge-Newton, MA-NH, medical equipment repairers")
    assert "$78,480" in boston["answer"] and boston["assumed"]["place"].startswith("Boston")
    xray = _conversation(str(starter_service.settings.data_dir),
                         "I'm in Worcester", "how much do bmets make here", "and what about x-ray techs?")[-1]
    assert "$103,090" in xray["answer"].split(". ")[0]
    assert xray["assumed"]["occupation"] == "Radiologic Technologists and Technicians (29-2034)"


def test_memory_off_forgets(starter_service, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CONVERSATION_MEMORY", "0")
    answers = _conversation(str(starter_service.settings.data_dir),
                            "I'm an Army veteran in Springfield, MA", "how much would a bmet make?")
    assert answers[1]["assumed"] == {"place": None, "occupation": None, "background": None}
    data = [c["source"] for c in answers[1]["citations"] if c["doc_type"] == "data"]
    assert data == ["BLS OEWS May 2025, United States"]  # no remembered place: the nation only


def test_conversation_needs_standard_input(starter_service):
    result = CliRunner().invoke(main, ["--data-dir", str(starter_service.settings.data_dir), "ask", "hello",
                                       "--conversation"])
    assert result.exit_code == 2 and "use - as the question" in result.output
