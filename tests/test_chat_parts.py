"""Unit tests of assistant/chat: charts, feed updates, chat history storage and answering."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from assistant.chat import careers, charts, panel, profiles, updates
from assistant.chat.answering import AnswerFailed, Request, Turn, Turns, history_before, stream_answer
from assistant.chat.config import ChatConfig
from assistant.chat.history import LocalFileStore, ensure_schema, safe_key
from assistant.errors import IndexNotReadyError
from assistant.retrieval.filters import Filters
from assistant.types import Answer

sys.path.insert(0, str(Path(__file__).parent))
from chat_harness import FakeService  # noqa: E402

# -- charts --------------------------------------------------------------------------------


def _comparison() -> careers.Comparison:
    return careers.Comparison(
        careers=(
            careers.Career("49-9062", "Medical Equipment Repairers", 78230.0, "", 13.1, highlight=True),
            careers.Career("29-1126", "Respiratory Therapists", 88000.0, "", 10.5),
            careers.Career("11-9111", "Medical and Health Services Managers", 239200.0, "at least", 23.2),
            careers.Career("29-2035", "Magnetic Resonance Imaging Technologists", None, "not released", None),
        ),
        place="Massachusetts",
        pay_release="May 2025",
        projections_release="2024-34",
    )


def test_careers_table_and_source_note_name_the_releases():
    comparison = _comparison()
    assert "OEWS May 2025" in comparison.source_note and "Massachusetts" in comparison.source_note
    assert "2024–34" in comparison.source_note
    table = careers.careers_table(comparison).splitlines()
    assert table[0] == "| Occupation | Median pay, Massachusetts | Growth 2024–34 |"
    assert table[2] == "| Medical and Health Services Managers | at least $239,200 | +23.2% |"  # top-coded, kept so
    assert "| Medical Equipment Repairers (BMETs) | $78,230 | +13.1% |" in table
    assert table[-1] == "| Magnetic Resonance Imaging Technologists | not released | no projection |"


def test_charts_are_png():
    png = charts.compare_careers_png(_comparison())
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    area = careers.AreaPay("Springfield, MA", 80000.0, 70000.0, 90000.0, 200.0)
    hidden = careers.AreaPay("Pittsfield, MA", None, None, None, None, note="not released")
    pay = careers.StatePay("49-9062", "Medical Equipment Repairers", "Massachusetts", (area, hidden),
                           careers.AreaPay("Massachusetts", 78230.0, 62930.0, 92510.0, 2200.0), "May 2025")
    assert charts.state_pay_png(pay)[:8] == b"\x89PNG\r\n\x1a\n"
    table = careers.state_table(pay).splitlines()
    assert table[2] == "| Massachusetts (statewide) | $78,230 | $62,930 to $92,510 | 2,200 |"
    assert table[-1] == "| Pittsfield, MA | not released | not released | not released |"
    timeline = charts.updates_timeline_png(
        {date(2026, 1, 5): {"workforce": 2}, date(2026, 1, 12): {}}, title="t", note="n"
    )
    assert timeline[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("text, asked", [
    ("chart bmet pay across massachusetts", True), ("compare pay across the state", True),
    ("can you graph what MRI techs earn in Ohio?", True), ("how much do BMETs make in Massachusetts?", False),
    ("what is a pay chart?", False),
])
def test_chart_requests_are_recognised(text, asked):
    assert careers.wants_state_chart(text) is asked


# -- updates -------------------------------------------------------------------------------


class _U:
    def __init__(self, day, topic, **kw):
        self.date, self.topic = day, topic
        self.kind, self.version, self.title, self.link = (
            kw.get("kind", "new"),
            1,
            kw.get("title", "T"),
            kw.get("link", ""),
        )
        self.feed, self.jurisdiction, self.change, self.summary = (
            "Feed",
            "US",
            kw.get("change", ""),
            kw.get("summary", ""),
        )


def test_weekly_counts_cover_every_week_and_topic():
    now = datetime(2026, 1, 21, 12, tzinfo=UTC)  # a Wednesday
    found = [
        _U("2026-01-20T09:00:00+00:00", "workforce"),
        _U("2026-01-19T00:00:00+00:00", ""),
        _U("2026-01-06T00:00:00+00:00", "workforce"),
        _U("2025-06-01T00:00:00+00:00", "x"),
        _U("garbage", "y"),
    ]
    counts = updates.weekly_counts(found, weeks=3, now=now)
    assert list(counts) == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    assert counts[date(2026, 1, 19)] == {"workforce": 1, "other": 1}
    assert counts[date(2026, 1, 12)] == {} and counts[date(2026, 1, 5)] == {"workforce": 1}


def test_render_updates_escapes_feed_text():
    item = _U(
        "2026-01-20T09:00:00+00:00",
        "apprenticeship",
        title="Rule <script>x()</script>",
        link="javascript:evil()",
        change="title changed",
        summary="**bold** <img src=x>",
    )
    text = updates.render_updates(
        [item], since=datetime(2026, 1, 14, tzinfo=UTC), refreshed="2026-01-20T10:00:00+00:00"
    )
    assert (
        "\\<script\\>" in text
        and "<script>" not in text
        and "javascript:" not in text.replace("javascript:evil\\(\\)", "")
    )
    assert "1 new, 0 changed" in text and "*What changed:* title changed" in text and "\\<img" in text
    empty = updates.render_updates([], since=datetime(2026, 1, 14, tzinfo=UTC), refreshed=None)
    assert "No new or changed policy items since January 14, 2026" in empty and "not been fetched" in empty


# -- history -------------------------------------------------------------------------------


def test_safe_key_never_leaves_the_store():
    assert safe_key("user-1/elem/[1]") == "user-1/elem/_1_"
    assert safe_key("../../etc/passwd") == "etc/passwd"
    assert safe_key("/abs/../x") == "abs/x"
    with pytest.raises(ValueError):
        safe_key("///")


def test_local_file_store_round_trip(tmp_path):
    files = LocalFileStore(tmp_path)
    uploaded = asyncio.run(files.upload_file("u1/e1/[1]", "**title**", mime="text/plain"))
    assert uploaded == {"object_key": "u1/e1/_1_", "url": "/chat-files/u1/e1/_1_"}
    path, mime = files.read("u1/e1/_1_")
    assert path.read_text() == "**title**" and mime == "text/plain" and files.owner("u1/e1/_1_") == "u1"
    assert asyncio.run(files.delete_file("u1/e1/_1_")) and not path.exists()
    with pytest.raises(FileNotFoundError):
        files.read("u1/e1/_1_")


def test_chat_schema_is_created_once(tmp_path):
    url = ensure_schema(tmp_path / "chat.db")
    assert url == f"sqlite+aiosqlite:///{(tmp_path / 'chat.db').resolve()}"
    ensure_schema(tmp_path / "chat.db")  # idempotent
    tables = {
        r[0] for r in sqlite3.connect(tmp_path / "chat.db").execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"users", "threads", "steps", "elements", "feedbacks"} <= tables


# -- answering -----------------------------------------------------------------------------


def test_history_before_takes_earlier_user_questions_only():
    turns = [
        Turn("1", True, "How do I become a BMET?"),
        Turn("2", False, "An answer"),
        Turn("3", True, "", command=None),
        Turn("4", True, "chart", command="Compare careers"),
        Turn("5", True, "and in Massachusetts?"),
        Turn("6", True, "later question"),
    ]
    assert history_before(turns, "5") == ("How do I become a BMET?",)
    assert history_before(turns, "1") == ()


def _request(question="q"):
    return Request(question=question, profile=profiles.CAREER_GUIDE, choice=panel.Choice(filters=Filters()))


async def _collect(service, request):
    return [item async for item in stream_answer(service, request)]


def test_stream_answer_yields_pieces_then_the_answer():
    items = asyncio.run(_collect(FakeService(), _request()))
    assert all(isinstance(i, str) for i in items[:-1]) and isinstance(items[-1], Answer) and len(items) == 3


def test_stream_answer_turns_failures_into_messages():
    with pytest.raises(AnswerFailed, match="nothing is indexed"):
        asyncio.run(_collect(FakeService(fail=IndexNotReadyError("nothing is indexed yet")), _request()))
    with pytest.raises(AnswerFailed) as info:
        asyncio.run(_collect(FakeService(fail=RuntimeError("secret internals")), _request()))
    assert "secret internals" not in str(info.value) and "went wrong" in str(info.value)


class GatedService:
    """An answer that cannot finish until a coroutine on the event loop has run after it began."""

    def __init__(self) -> None:
        self.began = threading.Event()
        self.loop_ran = threading.Event()
        self.loop_ran_before_the_end: bool | None = None

    def ask_stream(self, question, **_options):
        self.began.set()
        # Bounded, so an answer computed on the loop's own thread fails the test instead of hanging it.
        self.loop_ran_before_the_end = self.loop_ran.wait(timeout=10)
        yield Answer(question=question, text="Done.", abstained=False, citations=())


def test_stream_answer_does_not_block_the_event_loop():
    service = GatedService()

    async def run():
        async def other_chat():
            await asyncio.to_thread(service.began.wait, 10)
            service.loop_ran.set()

        task = asyncio.create_task(other_chat())
        items = await _collect(service, _request())
        await task
        return items

    items = asyncio.run(run())
    # The answer was computed off the loop: another coroutine ran while it was under way.
    assert service.loop_ran_before_the_end is True
    assert [i.text for i in items] == ["Done."]


def test_turns_are_per_chat_and_forgotten():
    async def run():
        turns = Turns()
        assert turns.of("a") is turns.of("a") and turns.of("a") is not turns.of("b")
        turns.forget("a")
        return len(turns)

    assert asyncio.run(run()) == 1


def test_stream_answer_passes_the_request_through():
    service = FakeService()
    request = Request(
        question="and in MA?",
        profile=profiles.POLICY_DESK,
        choice=panel.Choice(filters=Filters(jurisdictions=("MA",)), k=3),
        history=("how do I become a BMET?",),
        search_query="and in MA? how do I become a BMET",
        home_area="Springfield, MA",
        occupation_hint="Medical Equipment Repairers",
        asks_hint=frozenset({"pay"}),
    )
    asyncio.run(_collect(service, request))
    assert service.calls == [
        {
            "question": "and in MA?",
            "profile": "advocacy",
            "filters": Filters(jurisdictions=("MA",)),
            "k": 3,
            "history": ("how do I become a BMET?",),
            "search_query": "and in MA? how do I become a BMET",
            "home_area": "Springfield, MA",
            "occupation_hint": "Medical Equipment Repairers",
            "asks_hint": frozenset({"pay"}),
        }
    ]


def test_request_detects_news():
    assert _request("what changed this week in WIOA?").news and not _request("how do I become a BMET?").news


def test_paths_are_under_the_data_dir(tmp_path: Path):
    conf = ChatConfig(data_dir=tmp_path)
    assert conf.files_dir.parent == tmp_path and conf.secret_path.parent == tmp_path
