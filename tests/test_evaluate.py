"""The evaluation metrics (pure), the gold set checked against the publishers' files, the
evaluator against a fake service, and the regression gate on the real corpus and gold set."""

import csv
import gzip
import json
import re
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from click.testing import CliRunner

from assistant import evaluate
from assistant.cli import main
from assistant.errors import ConfigError
from assistant.evaluate import GoldItem, Outcome
from assistant.types import Answer, Citation, Hit

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "corpus" / "eval" / "gold.jsonl"


def item(expected=("a",), must=("62,630",), off=False, split="tune"):
    return GoldItem(id="q", split=split, audience="student", question="q", expected=tuple(expected),
                    must_mention=tuple(must), off_topic=off)


def test_metrics_over_hand_made_outcomes():
    outcomes = [
        Outcome(item(), retrieved=("a", "b"), answer="It pays $62,630.", abstained=False, cited=("a",)),
        Outcome(item(), retrieved=("b", "a"), answer="No figure.", abstained=False, cited=("a", "b")),
        Outcome(item(), retrieved=("b", "c"), answer="", abstained=True, cited=()),
        Outcome(item(expected=(), must=(), off=True), retrieved=("b",), answer="", abstained=True, cited=()),
    ]
    m = evaluate.score(outcomes)
    assert m["recall@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["recall@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-4)
    assert m["must_mention"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["citation_precision"] == pytest.approx((1 + 0.5) / 2, abs=1e-4)
    assert m["abstention_accuracy"] == 1.0


def test_report_lists_misses_with_what_was_retrieved():
    outcomes = [
        Outcome(item(split="heldback"), retrieved=("x", "y"), answer="", abstained=False, cited=("x",)),
        Outcome(item(off=True, expected=(), must=()), retrieved=("x",), answer="yes", abstained=False, cited=("x",)),
    ]
    result = evaluate.report(outcomes)
    assert set(result["splits"]) == {"tune", "heldback", "all"}
    problems = {m["question"] + str(i): m["problems"] for i, m in enumerate(result["misses"])}
    assert len(problems) == 2
    assert result["misses"][0]["retrieved"] == ["x", "y"]
    assert "answered an off-topic question" in result["misses"][1]["problems"]


def test_gold_file_shape():
    items = [i for i in evaluate.load_gold(GOLD) if i.group == "documents"]
    assert len(items) >= 100
    assert sum(i.audience == "student" and not i.off_topic for i in items) >= 45
    assert sum(i.audience == "advocacy" and not i.off_topic for i in items) >= 45
    assert sum(i.off_topic for i in items) >= 12
    assert {i.split for i in items} == {"tune", "heldback"}
    corpus_ids = {p.stem for p in (REPO / "corpus").rglob("*.md")}
    for i in items:
        for doc_id in i.expected:
            assert doc_id in corpus_ids or doc_id.startswith("occupations-"), doc_id


# -- the gold set's new groups, checked against the publishers' own files -------------------------

# As test_feeds_shared.py: shared/ beside the checkout, else this workplace's copy.
_BESIDE = REPO.parent / "shared" / "data"
SHARED = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data")
_DOC_ID = re.compile(r"^(oews:\d+:\d\d-\d{4}|projections:\d\d-\d{4}|cip:\d\d-\d{4}"
                     r"|onet:\d\d-\d{4}\.\d\d:(tasks|titles|tools|technology|related|education)"
                     r"|committee-([A-Z]{4}\d*|ocd-organization/[0-9a-f-]{36})|delegation-[A-Z]{2}"
                     r"|bill:ma-\d{3}-(h|s|hd|sd)\d+:(status|sponsors|committee|hearing|timeline))$")


def test_gold_groups_shape():
    items = evaluate.load_gold(GOLD)
    by_group = {g: [i for i in items if i.group == g] for g in evaluate.GROUPS}
    assert len(by_group["data"]) >= 64
    assert len(by_group["conversation"]) >= 30
    assert len(by_group["plan"]) >= 20
    assert len(by_group["policy_desk"]) >= 40
    for group in ("data", "conversation", "plan", "policy_desk"):
        assert {i.split for i in by_group[group]} == {"tune", "heldback"}, group
    corpus_ids = {p.stem for p in (REPO / "corpus").rglob("*.md")}
    for i in by_group["data"] + by_group["conversation"] + by_group["policy_desk"]:
        assert i.expected and i.must_mention, i.id
        for doc_id in i.expected:
            assert _DOC_ID.match(doc_id) or doc_id in corpus_ids, (i.id, doc_id)
    for i in by_group["conversation"]:
        assert len(i.turns) >= 2 and i.assumed, i.id
    backgrounds = {v for i in by_group["conversation"] + by_group["plan"]
                   for k, v in (*i.assumed, *i.plan) if k == "background"}
    assert backgrounds == {"high-school", "veteran", "it-worker", "career-changer", "healthcare-worker"}
    for i in by_group["plan"]:
        assert {k for k, _ in i.plan} == {"background", "place", "goal"} and i.must_contain, i.id


def test_massachusetts_bill_questions_name_bills_of_the_shipped_seed():
    """Each Massachusetts bill a gold question expects is in corpus/malegislature (the seed that
    ``assistant ingest corpus/`` tracks), so the evaluation index can answer it offline."""
    listed = json.loads((REPO / "corpus" / "malegislature" / "documents_court192.json").read_text(encoding="utf-8"))
    seeded = {f"ma-{d['GeneralCourtNumber']}-{d['BillNumber'].lower()}" for d in listed}
    asked = [i for i in evaluate.load_gold(GOLD) if any(d.startswith("bill:ma-") for d in i.expected)]
    assert len(asked) >= 20 and sum(i.split == "heldback" for i in asked) >= len(asked) // 2
    assert {i.group for i in asked} == {"policy_desk"}
    assert {d.split(":")[1] for i in asked for d in i.expected} <= seeded


def test_existing_gold_lines_are_documents_by_default():
    first = json.loads(GOLD.read_text(encoding="utf-8").splitlines()[0])
    assert "group" not in first
    assert evaluate.load_gold(GOLD)[0].group == "documents"


@pytest.fixture(scope="module")
def oews_rows():
    path = SHARED / "oews" / "oews_may2025_cross_industry.csv.gz"
    with gzip.open(path, "rt", newline="") as f:
        return {(r["AREA"], r["OCC_CODE"]): r for r in csv.DictReader(f)}


def _oews_forms(row) -> set[str]:
    """Every way the answers render a figure of one OEWS row."""
    forms = set()
    for column, value in row.items():
        if column.startswith("A_") and value.replace(",", "").isdigit():
            forms.add(f"${int(value.replace(',', '')):,}")
        elif column.startswith("H_") and re.fullmatch(r"\d+\.\d+", value):
            forms.add(f"${float(value):.2f}")
    if row["TOT_EMP"].isdigit():
        forms.add(f"{int(row['TOT_EMP']):,}")
    return forms


def test_data_figures_match_the_oews_file(oews_rows):
    checked = 0
    for i in evaluate.load_gold(GOLD):
        rows = [oews_rows[tuple(d.split(":")[1:])] for d in i.expected if d.startswith("oews:")]
        if i.group not in ("data", "conversation") or not rows:
            continue
        forms = set().union(*(_oews_forms(r) for r in rows))
        for term in i.must_mention:
            assert term in forms, (i.id, term)
            checked += 1
    assert checked >= 50
    # One row read by hand from the publisher's file: BMETs in Massachusetts, May 2025.
    assert oews_rows[("25", "49-9062")]["A_MEDIAN"] == "78230"
    assert "$78,230" in _oews_forms(oews_rows[("25", "49-9062")])


def test_data_projection_figures_match_table_1_2():
    sheet = openpyxl.load_workbook(SHARED / "bls-ep" / "occupation.xlsx", read_only=True)["Table 1.2"]
    table = {r[1]: r for r in sheet.iter_rows(values_only=True) if r and isinstance(r[1], str)}
    checked = 0
    for i in evaluate.load_gold(GOLD):
        socs = [d.split(":")[1] for d in i.expected if d.startswith("projections:")]
        for soc in socs:
            r = table[soc]
            forms = {f"{r[8]:.1f}%", f"{round(r[3] * 1000):,}", f"{round(r[4] * 1000):,}",
                     f"{round(r[10] * 1000):,}", r[12]}
            assert set(i.must_mention) <= forms, (i.id, i.must_mention, forms)
            checked += 1
    assert checked >= 18
    assert table["49-9062"][8] == 12.9  # by hand: medical equipment repairers grow 12.9%


# -- answer-quality figures (pure) ---------------------------------------------------------------


def test_repeats_count_the_same_figure_or_the_same_claim_once_each():
    assert evaluate.count_repeats("BMETs earn $62,630 [1]. The median is $62,630 [2]. Growth is 13%.") == 1
    assert evaluate.count_repeats(
        "The CBET exam costs $300 for members [1]. The CBET exam costs $300 for members. [2]") == 1
    assert evaluate.count_repeats(
        "The CBET is run by AAMI. It needs two years of experience. Candidates sit a 165-question exam.") == 0
    # A year or a citation marker is not a figure.
    assert evaluate.count_repeats("In 2025 pay rose [1]. In 2025 openings rose too [1].") == 0


def test_sentences_keep_decimal_figures_whole():
    assert evaluate.sentences("Hourly pay is $37.61 [1]. Yearly it is $78,230.") == [
        "Hourly pay is $37.61.", "Yearly it is $78,230."]


def oc(group="documents", must=("$78,230",), answer="", abstained=False, off=False, split="tune", **kw):
    it = GoldItem(id="x", split=split, audience="student", question="q", expected=("a",), must_mention=must,
                  off_topic=off, group=group, **{k: v for k, v in kw.items() if k in ("assumed", "must_contain")})
    extra = {k: v for k, v in kw.items() if k in ("reported", "steps", "error", "cited")}
    return Outcome(item=it, retrieved=("a",), answer=answer, abstained=abstained,
                   cited=extra.pop("cited", ("a",)), **extra)


def test_quality_figures_over_hand_made_outcomes():
    m = evaluate.score([
        oc(answer="BMETs in Massachusetts earn $78,230 [1]. That is the median."),
        oc(answer="Pay varies. In Massachusetts it is $78,230 [1]. See https://www.bls.gov/oes."),
        oc(answer="It pays $78,230 [1]. Half earn more than $78,230 [2]."),
        oc(answer="I don't have a source for that.", abstained=True, cited=()),
        oc(must=(), off=True, answer="Pizza is nice [1].", abstained=False),
        oc(must=(), off=True, answer="", abstained=True, cited=()),
    ])
    assert m["directness"] == pytest.approx(2 / 4)
    assert m["repeats_per_answer"] == pytest.approx(1 / 4)  # over the four answers given
    assert m["urls_in_text"] == pytest.approx(1 / 4)
    assert m["false_abstention"] == pytest.approx(1 / 4)
    assert m["false_answer"] == pytest.approx(1 / 2)
    assert m["must_mention"] == pytest.approx(3 / 4)


def test_an_empty_group_reports_nulls_not_zeros():
    result = evaluate.report([oc(answer="$78,230 [1].")])
    assert result["groups"]["policy_desk"]["n"] == 0
    assert all(v is None for k, v in result["groups"]["policy_desk"].items() if k not in ("n", "false_abstentions"))
    assert result["groups"]["documents"]["must_mention"] == 1.0
    assert result["groups_by_split"]["documents"]["heldback"]["n"] == 0
    assert result["groups_by_split"]["documents"]["tune"]["n"] == 1


def test_plan_and_conversation_figures():
    m = evaluate.score([
        oc("plan", must=(), must_contain=("GI Bill", "CBET"),
           answer="Use the GI Bill.\nPass the CBET.", steps=(("Use the GI Bill.", 1), ("a", 0), ("b", 0), ("c", 0))),
        oc("plan", must=(), must_contain=("GI Bill", "CBET"), answer="Earn $78,230 here.",
           steps=(("Earn $78,230 here.", 0),)),
        oc("conversation", answer="$78,230 [1].", assumed=(("place", "Springfield"), ("background", "veteran")),
           reported=(("place", "Springfield, MA"), ("occupation", "49-9062"), ("background", "Veteran"))),
        oc("conversation", answer="$78,230 [1].", assumed=(("place", "Springfield"),),
           reported=(("place", "Boston"), ("occupation", None), ("background", None))),
    ])
    assert m["must_mention"] == pytest.approx((1 + 0 + 1 + 1) / 4)
    assert m["plan_steps_ok"] == 0.5
    assert m["plan_figures_cited"] == 0.5
    assert m["assumed_accuracy"] == 0.5
    assert m["directness"] == 1.0  # plans have no first-sentence figure to lead with


# -- the evaluator against a fake service ---------------------------------------------------------


def cite(n, doc_id, doc_type="reference"):
    return Citation(n=n, title=doc_id, source=doc_id, doc_type=doc_type, snippet="", published=None, doc_id=doc_id)


class FakeService:
    """Answers from a script; ``converse`` and ``plan`` exist only when given."""

    def __init__(self, answers, *, converse=None, plan=None):
        self.answers = answers
        if converse:
            self.converse = converse
        if plan:
            self.plan = plan

    def ask_with_hits(self, question, *, profile=None, k=5):
        text, cites, hit_ids = self.answers[question]
        hits = [Hit(chunk_id=f"{d}#0", doc_id=d, text="", headings="", metadata={}) for d in hit_ids]
        return Answer(question=question, text=text, abstained=not cites, citations=tuple(cites)), hits


def gold(tmp_path, rows):
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return evaluate.load_gold(path)


ROWS = [
    {"id": "s1", "split": "tune", "audience": "student", "question": "what is the CBET",
     "expected_doc_ids": ["cbet"], "must_mention": ["CBET"]},
    {"id": "d1", "split": "heldback", "audience": "student", "group": "data", "question": "bmet pay in mass",
     "expected_doc_ids": ["oews:25:49-9062"], "must_mention": ["$78,230"]},
    {"id": "c1", "split": "heldback", "audience": "student", "group": "conversation",
     "turns": ["I'm a veteran in Springfield MA", "I want to be a BMET", "how much would I make?"],
     "expected_doc_ids": ["oews:44140:49-9062"], "must_mention": ["$73,580"],
     "assumed": {"place": "Springfield", "occupation": "49-9062", "background": "veteran"}},
    {"id": "p1", "split": "tune", "audience": "student", "group": "plan",
     "plan": {"background": "veteran", "place": "Springfield, MA", "goal": "bmet"},
     "must_contain": ["GI Bill", "CBET"]},
]
ANSWERS = {
    "what is the CBET": ("The CBET is AAMI's certificate [1].", [cite(1, "cbet")], ["cbet", "other"]),
    # The fact is cited but never retrieved as a document: it must still count for recall.
    "bmet pay in mass": ("BMETs in Massachusetts earn a median of $78,230 [1].",
                         [cite(1, "oews:25:49-9062", "data")], ["bmet-pay-and-outlook"]),
}


def test_run_scores_every_group_through_the_service_interfaces(tmp_path):
    calls = []

    def converse(turns, *, profile=None):
        calls.append(list(turns))
        last = SimpleNamespace(text="You would make a median of $73,580 [1].", abstained=False,
                               citations=(cite(1, "oews:44140:49-9062", "data"),),
                               assumed={"place": "Springfield, MA", "occupation": "49-9062", "background": "veteran"})
        return [SimpleNamespace(text="", abstained=False, citations=(), assumed={})] * (len(turns) - 1) + [last]

    def plan(*, background, place, goal):
        calls.append((background, place, goal))
        steps = [{"n": 1, "text": "Have your military training counted; the GI Bill pays.", "citations": [1]},
                 {"n": 2, "text": "Enrol at a nearby college.", "citations": [2]},
                 {"n": 3, "text": "Sit the CBET after two years.", "citations": [3]},
                 {"n": 4, "text": "Expect a median of $73,580 here.", "citations": []}]
        return SimpleNamespace(to_json=lambda: {"goal": goal, "place": place, "background": background,
                                                "steps": steps, "citations": []})

    outcomes = evaluate.run(FakeService(ANSWERS, converse=converse, plan=plan), gold(tmp_path, ROWS))
    result = evaluate.report(outcomes)
    assert calls == [ROWS[2]["turns"], ("veteran", "Springfield, MA", "bmet")]
    groups = result["groups"]
    assert groups["data"]["recall@1"] == 1.0 and groups["data"]["must_mention"] == 1.0
    assert groups["conversation"]["assumed_accuracy"] == 1.0 and groups["conversation"]["recall@1"] == 1.0
    assert groups["plan"]["must_mention"] == 1.0 and groups["plan"]["plan_steps_ok"] == 1.0
    assert groups["plan"]["plan_figures_cited"] == 0.0  # step 4 states a figure without a citation
    assert groups["policy_desk"]["n"] == 0
    assert result["groups_by_split"]["data"]["heldback"]["must_mention"] == 1.0
    assert result["splits"]["all"]["n"] == 4
    assert [m["id"] for m in result["misses"]] == ["p1"]


def test_missing_or_failing_features_are_reported_in_their_group(tmp_path):
    def converse(turns, *, profile=None):
        raise RuntimeError("memory not wired yet")

    result = evaluate.report(evaluate.run(FakeService(ANSWERS, converse=converse), gold(tmp_path, ROWS)))
    assert result["groups"]["plan"]["n"] == 1
    assert result["groups"]["plan"]["error"] == "not available: the service has no plan()"
    assert result["groups"]["plan"]["must_mention"] is None
    assert "memory not wired yet" in result["groups"]["conversation"]["error"]
    assert result["splits"]["all"]["n"] == 2 and result["splits"]["all"]["not_run"] == 2
    assert result["groups"]["documents"]["recall@1"] == 1.0


def test_gold_lines_with_an_unknown_group_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"gold.jsonl:1: .*unknown group 'bills'"):
        gold(tmp_path, [{"id": "x", "group": "bills", "question": "q"}])


@pytest.fixture(scope="module")
def corpus_service(starter_service):
    """The starter corpus indexed once for the whole run (conftest.py)."""
    return starter_service


#: Held-back recall@5 of the document questions was 0.947 (an expected document in the top five
#: for 89 of the 94 answerable questions; `assistant eval --split heldback --group documents`).
#: The gate sits 0.027 below it: two more misses pass (87/94 = 0.926), three fail (0.915).
#: The held-back half is gated, not the whole set: settings were chosen on the tuning half.
HELDBACK_RECALL_AT_5 = 0.92


def test_recall_at_5_on_the_held_back_document_questions_stays_near_todays(corpus_service):
    items = [i for i in evaluate.load_gold(GOLD) if i.group == "documents" and i.split == "heldback"]
    metrics = evaluate.report(evaluate.run(corpus_service, items))["splits"]["heldback"]
    assert metrics["recall@5"] >= HELDBACK_RECALL_AT_5, metrics
    assert metrics["abstention_accuracy"] >= 0.9, metrics


def test_eval_command_json_contract(corpus_service, tmp_path):
    gold = tmp_path / "mini.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in [
        {"id": "1", "split": "tune", "audience": "student", "question": "what is the CBET",
         "expected_doc_ids": ["bmet-certification-cbet"], "must_mention": ["CBET"]},
        {"id": "2", "split": "heldback", "audience": "advocacy", "question": "best pizza in town",
         "expected_doc_ids": [], "must_mention": [], "off_topic": True},
        {"id": "3", "split": "heldback", "audience": "student", "group": "plan", "must_contain": ["CBET"],
         "plan": {"background": "veteran", "place": "Springfield, MA", "goal": "bmet"}},
    ]))
    data_dir = str(corpus_service.settings.data_dir)
    result = CliRunner().invoke(main, ["--data-dir", data_dir, "eval", str(gold), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    for split in ("tune", "heldback", "all"):
        assert set(evaluate.METRICS) <= set(out["splits"][split])
    assert out["splits"]["tune"]["recall@5"] == 1.0
    assert out["splits"]["heldback"]["abstention_accuracy"] == 1.0
    assert isinstance(out["misses"], list)
    assert set(evaluate.QUALITY) <= set(out["splits"]["all"])
    assert set(out["groups"]) == set(evaluate.GROUPS) == set(out["groups_by_split"])
    assert out["groups"]["documents"]["n"] == 2 and out["groups"]["policy_desk"]["n"] == 0
    plan = out["groups"]["plan"]
    assert plan["n"] == 1 and "error" not in plan and plan["plan_steps_ok"] == 1.0, plan
    text = CliRunner().invoke(main, ["--data-dir", data_dir, "eval", str(gold)])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].split()[:4] == ["retrieval", "n", "R@1", "R@5"]
    assert any(line.split()[:3] == ["answers", "must-ment", "direct"] for line in lines)
    assert any(line.startswith("policy_desk ") and line.split()[1:3] == ["0", "-"] for line in lines)


def test_sentences_do_not_break_at_abbreviations():
    text = ("H.R. 6655, A Stronger Workforce for America Act, passed the House. [1] The House passed H.R. 6655 "
            "on April 9, 2024. [1] St. Petersburg College is in Florida. [2] I used Springfield, MA.")
    assert evaluate.sentences(text) == [
        "H.R. 6655, A Stronger Workforce for America Act, passed the House.",
        "The House passed H.R. 6655 on April 9, 2024.",
        "St. Petersburg College is in Florida.",
        "I used Springfield, MA.",
    ]
    assert evaluate.count_repeats(text) == 0
