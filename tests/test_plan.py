"""``assistant plan``: a cited 4-8 step pathway on the starter corpus and its data extract."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from assistant.cli import main


def _plan(data_dir, *args) -> dict:
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "plan", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_veteran_plan_for_springfield(starter_service):
    plan = _plan(starter_service.settings.data_dir, "--background", "veteran", "--place", "Springfield, MA",
                 "--goal", "bmet")
    assert plan["background"] == "veteran" and plan["place"] == "Springfield, MA"
    assert plan["goal"].startswith("BMET")
    steps = plan["steps"]
    assert 4 <= len(steps) <= 8
    assert [s["n"] for s in steps] == list(range(1, len(steps) + 1))
    numbers = {c["n"] for c in plan["citations"]}
    for step in steps:
        marks = {int(n) for n in re.findall(r"\[(\d+)\]", step["text"])}
        assert marks == set(step["citations"]) and marks <= numbers, step
        if re.search(r"\$\d", step["text"]):
            assert step["citations"], step
    text = " ".join(s["text"] for s in steps)
    assert "military" in text.lower()
    assert "$73,580" in text  # OEWS May 2025, Springfield MA, 49-9062 median
    assert "WIOA" in text or "MassHire" in text
    assert any(c["doc_type"] == "data" for c in plan["citations"])


def test_high_school_plan_differs_in_its_first_step(starter_service):
    plan = _plan(starter_service.settings.data_dir, "--background", "high-school", "--place", "Worcester, MA",
                 "--goal", "bmet")
    first = plan["steps"][0]["text"].lower()
    assert "high school" in first or "cabt" in first or "dual enrollment" in first


def test_plan_markdown_is_a_checklist(starter_service):
    result = CliRunner().invoke(main, ["--data-dir", str(starter_service.settings.data_dir), "plan",
                                       "--background", "it-worker", "--place", "Boston, MA", "--goal", "bmet",
                                       "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Your plan:")
    assert result.output.count("- [ ] **Step ") >= 4 and "## Sources" in result.output


def test_plan_needs_a_place(starter_service):
    result = CliRunner().invoke(main, ["--data-dir", str(starter_service.settings.data_dir), "plan",
                                       "--background", "veteran", "--goal", "bmet"])
    assert result.exit_code == 2 and "--place" in result.output


def test_a_quoted_list_stays_whole_in_a_step_and_a_bare_list_is_left_out():
    from assistant.plan import _first_sentences
    from assistant.types import Answer

    text = ("\n- Apply to entry-level roles\n- Network with biomeds [1]\n "
            "To sit for the CBET, a candidate must meet one of four routes:\n- A degree plus two years;\n"
            "- Four years of BMET work. [2] The CABT needs a diploma. [3]")
    answer = Answer(question="q", text=text, abstained=False, citations=())
    step, cited = _first_sentences(answer, 2)
    assert step == ("To sit for the CBET, a candidate must meet one of four routes: A degree plus two years; "
                    "Four years of BMET work. [2] The CABT needs a diploma. [3]")
    assert cited == [2, 3]


def test_a_step_leaves_out_caveats_and_notes_about_the_page():
    from assistant.plan import _first_sentences
    from assistant.types import Answer

    text = ("Veterans may use GI Bill benefits toward a program. [1] "
            "This page covers funding beyond WIOA training accounts: benefits and employers. [1] "
            "Whether any cohort has offered BMET training is NOT confirmed. [2] "
            "A career center can check WIOA eligibility. [3]")
    step, cited = _first_sentences(Answer(question="q", text=text, abstained=False, citations=()), 2)
    assert step == ("Veterans may use GI Bill benefits toward a program. [1] "
                    "A career center can check WIOA eligibility. [3]")
    assert cited == [1, 3]
