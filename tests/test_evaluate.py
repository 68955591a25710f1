"""The evaluation metrics (pure), and the regression gate on the real corpus and gold set."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import evaluate
from assistant.cli import main
from assistant.config import Settings
from assistant.evaluate import GoldItem, Outcome
from assistant.service import Service

REPO = Path(__file__).resolve().parents[1]


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
    items = evaluate.load_gold(REPO / "corpus" / "eval" / "gold.jsonl")
    assert len(items) >= 100
    assert sum(i.audience == "student" and not i.off_topic for i in items) >= 45
    assert sum(i.audience == "advocacy" and not i.off_topic for i in items) >= 45
    assert sum(i.off_topic for i in items) >= 12
    assert {i.split for i in items} == {"tune", "heldback"}
    corpus_ids = {p.stem for p in (REPO / "corpus").rglob("*.md")}
    for i in items:
        for doc_id in i.expected:
            assert doc_id in corpus_ids or doc_id.startswith("occupations-"), doc_id


@pytest.fixture(scope="module")
def corpus_service(tmp_path_factory):
    service = Service(Settings(data_dir=tmp_path_factory.mktemp("eval") / "data"))
    report = service.ingest([str(REPO / "corpus")])
    assert not report.failed, report.failed
    yield service
    service.close()


def test_recall_at_5_on_the_whole_gold_set_stays_above_085(corpus_service):
    items = evaluate.load_gold(REPO / "corpus" / "eval" / "gold.jsonl")
    metrics = evaluate.report(evaluate.run(corpus_service, items))["splits"]["all"]
    assert metrics["recall@5"] >= 0.85, metrics
    assert metrics["abstention_accuracy"] >= 0.9, metrics


def test_eval_command_json_contract(corpus_service, tmp_path):
    gold = tmp_path / "mini.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in [
        {"id": "1", "split": "tune", "audience": "student", "question": "what is the CBET",
         "expected_doc_ids": ["bmet-certification-cbet"], "must_mention": ["CBET"]},
        {"id": "2", "split": "heldback", "audience": "advocacy", "question": "best pizza in town",
         "expected_doc_ids": [], "must_mention": [], "off_topic": True},
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
