"""Policy-desk answers through the service: a tracked bill's sponsor joined to the member record,
statute sections and committees ahead of passages (fake model, real SQLite and Chroma)."""

from __future__ import annotations

from pathlib import Path

from test_bills_desk import SAMPLES, load

from assistant.bills import store as bills_store
from assistant.people.importers import import_legislators

REPO = Path(__file__).resolve().parents[1]


def _ready(service, tmp_path):
    note = tmp_path / "note.md"
    note.write_text("---\nid: note\ntitle: Workforce note\n---\nWorkforce boards fund training through WIOA.\n")
    assert not service.ingest([str(note)]).failed
    import_legislators(service.db, REPO / "corpus" / "legislators")
    bills_store.ensure_schema(service.db)
    load(service.db, (SAMPLES / "BILLSTATUS-116s2902.xml").read_bytes())


def test_sponsor_is_joined_to_the_member_record(fake_service, tmp_path):
    _ready(fake_service, tmp_path)
    answer = fake_service.ask("who sponsored S. 2902 in the 116th Congress?", profile="advocacy")
    kinds = [(c.doc_type, c.doc_id) for c in answer.citations]
    assert ("bill", "bill:116-s-2902:status") in kinds
    assert ("person", "member-S001203") in kinds  # Sen. Tina Smith, the sponsor in the BILLSTATUS file
    person = next(c for c in answer.citations if c.doc_type == "person")
    assert person.url and "Smith" in person.title
    assert answer.text.index("S. 2902") < answer.text.index("Smith")


def test_committee_chairs_lead_the_answer(fake_service, tmp_path):
    _ready(fake_service, tmp_path)
    answer = fake_service.ask("Who chairs the Joint Committee on Labor and Workforce Development?")
    assert answer.citations[0].doc_type == "person"
    # Open States MA, 2026-08-05: the committee's chairs
    assert answer.text.startswith("The chairs of the Joint Committee on Labor and Workforce Development are")
    assert "Jake Oliveira" in answer.text and "Paul McMurtry" in answer.text
