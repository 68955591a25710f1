"""The shipped seed of Massachusetts bills (corpus/malegislature): loaded by the data-extract step
of ``assistant ingest corpus/`` as tracked bills, once per seed version, never over a bill the
user already tracks; and the desk names them by number, spoken number or title.

Expected values were read by hand from the seed's files: documents_court192.json (H.2073 filed by
Josh S. Cutler; H.1972 and S.1157 both "An Act relative to apprenticeship programs"),
hearing_3793.json (Joint Committee on Mental Health, Substance Use and Recovery, Canceled, its
workforce agenda item at 15:00 on 2021-07-19, listing H2073 and H2074) and the H1000 history.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.bills import ma, store
from assistant.bills.ma_desk import ma_facts, named_bills
from assistant.bills.ma_seed import load_seed
from assistant.errors import DataImportError
from assistant.occupations.extract import load_extract
from assistant.service import Service

SEED = Path(__file__).resolve().parents[1] / "corpus" / "malegislature"
MANIFEST = json.loads((SEED / "MANIFEST.json").read_text(encoding="utf-8"))


@pytest.fixture(name="conn")
def conn_fixture(database):
    return database


def test_ingest_tracks_the_seed_once_per_version(conn):
    loaded = load_extract(conn, SEED, malegislature_url="http://127.0.0.1:9/api")
    assert [(r.source, r.rows) for r in loaded] == [("ma_bills", 12)]
    tracked = {t.key: t for t in store.list_tracked(conn, jurisdiction="ma")}
    assert len(tracked) == 12 and all(t.version == 1 for t in tracked.values())
    # Tracked at the configured API, and dated by when the responses were saved, not by today.
    assert tracked["ma-192-h2073"].url == "http://127.0.0.1:9/api/GeneralCourts/192/Documents/H2073"
    assert tracked["ma-192-h2073"].last_success[:10] == "2022-02-09"  # the document list
    assert tracked["ma-192-h135"].last_success[:10] == "2022-07-30"  # its detail
    # A starting record, not news: no search document is pending for it.
    assert store.pending_versions(conn) == []
    store.untrack(conn, "ma-192-h341")
    assert load_extract(conn, SEED) == []  # the same seed again: the untracked bill stays untracked
    assert store.get(conn, "ma-192-h341") is None


def test_a_bill_already_tracked_keeps_its_own_record(conn):
    ref = ma.parse_ma_id("H2073", court=192)
    store.ensure_schema(conn)
    store.track(conn, ref, url=ref.document_url("https://malegislature.gov/api"), now=datetime.now(UTC),
                jurisdiction="ma")  # fmt: skip
    part = MANIFEST["parts"]["ma_bills"]
    loaded = load_seed(conn, SEED, release=part["release"], captured=part["captured"])
    assert loaded.rows == 11
    assert store.get(conn, "ma-192-h2073").version == 0  # not fetched yet, and not filled from the seed


def test_a_seed_file_missing_from_the_captured_dates_is_refused(conn):
    part = MANIFEST["parts"]["ma_bills"]
    captured = {k: v for k, v in part["captured"].items() if not k.startswith("hearings/")}
    with pytest.raises(DataImportError, match="hearing_37(58|93).json: not in the manifest's captured dates"):
        load_seed(conn, SEED, release=part["release"], captured=captured)


def test_seeded_bills_answer_with_what_the_responses_say(conn):
    load_extract(conn, SEED)
    facts = {f.doc_id: " ".join(f.sentences) for f in ma_facts(conn, "which committee has H.2073, and its hearing?")}
    assert facts["bill:ma-192-h2073:committee"] == (
        "H.2073 is before the Joint Committee on Mental Health, Substance Use and Recovery, which set a hearing on it "
        "for 2021-07-19 15:00.")  # fmt: skip
    assert facts["bill:ma-192-h2073:hearing"] == (
        "A hearing on H.2073 on 2021-07-19 15:00 (Joint Committee on Mental Health, Substance Use and Recovery, "
        "Virtual Hearing) was canceled.")  # fmt: skip
    sponsors = next(f for f in ma_facts(conn, "who sponsored H 2073") if f.doc_id.endswith(":sponsors"))
    # The list names no cosponsors: the answer must not say there are none.
    assert sponsors.sentences == ("H.2073 was filed by Josh S. Cutler; no cosponsors are on record.",)
    status = next(f for f in ma_facts(conn, "where is H.1000") if f.doc_id.endswith(":status"))
    assert status.sentences[0].endswith(
        "was filed by Jeffrey N. Roy; its latest action, on 2021-11-30 12:43 (Joint), was: Hearing scheduled for "
        "12/07/2021 from 01:00 PM-04:00 PM in Virtual Hearing.")  # fmt: skip
    assert status.url == "https://malegislature.gov/Bills/192/H1000"


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("status of house bill 2074", [("h", 2074)]),
        ("Senate Bill No. 166 - what is it", [("s", 166)]),
        ("which committee is the behavioral health workforce development trust fund bill in", [("h", 2073)]),
        ("the bill funding the behavioral health workforce development trust fund", [("h", 2074)]),
        ("where does the apprenticeship programs bill stand", [("h", 1972), ("s", 1157)]),
        # Title words without asking about a bill, or too few of them, name nothing.
        ("behavioral health workforce development trust fund", []),
        ("which bills fund workforce development", []),
    ],
)
def test_bills_named_by_spoken_number_or_title(conn, question, named):
    load_extract(conn, SEED)
    assert sorted(named_bills(conn, question)) == sorted(named)


def test_ingest_loads_the_seed_and_the_service_answers(backend_settings, fake_embeddings):
    """``assistant ingest`` of the seed folder on each backend: the bills are tracked in that
    backend's store, and the service's bill desk answers from them."""
    service = Service(backend_settings, embeddings=lambda: fake_embeddings)
    try:
        report = service.ingest([str(SEED)])
        assert not report.failed and [(d["name"], d["rows"]) for d in report.data] == [("ma_bills", 12)]
        assert len(store.list_tracked(service.db, jurisdiction="ma")) == 12
        question = "which committee has H.2073?"
        facts = {f.doc_id: f for desk in service.policy_desks for f in desk.facts(question)}
        assert facts["bill:ma-192-h2073:committee"].sentences[0].startswith(
            "H.2073 is before the Joint Committee on Mental Health, Substance Use and Recovery")
        assert service.ingest([str(SEED)]).data == []  # the same seed version: loaded once
        assert len(store.list_tracked(service.db, jurisdiction="ma")) == 12
    finally:
        service.close()
