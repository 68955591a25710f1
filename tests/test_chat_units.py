"""Unit tests of assistant/chat: wording, escaping, profiles, the settings panel and sign-in."""

from __future__ import annotations

import base64
import hashlib
from datetime import date

import pytest

from assistant.chat import auth, guards, markup, panel, profiles, render
from assistant.chat.config import ChatConfig
from assistant.chat.signins import Limits, SignInLedger
from assistant.errors import ConfigError
from assistant.retrieval.filters import Filters
from assistant.types import Answer, Citation

# -- markup --------------------------------------------------------------------------------


def test_escape_text_shows_markup_literally():
    out = markup.escape_text("<script>alert(1)</script> **bold** [x](javascript:1) ![i](http://t/p.png)")
    assert "<script>" not in out and "\\<script\\>" in out
    assert "\\*\\*bold\\*\\*" in out
    assert "\\[x\\]\\(javascript:1\\)" in out
    assert "\\!\\[i\\]" in out


def test_escape_quoted_keeps_citation_markers_and_shows_the_rest_literally():
    text = "a \\<b> ![img](http://x.gov/p.png) <script>x</script> [1] and [1, 3] *kept* O*NET"
    assert markup.escape_quoted(text) == (
        "a \\\\\\<b\\> \\!\\[img\\]\\(` http://x.gov/p.png `\\) \\<script\\>x\\</script\\> "
        "[1] and [1, 3] \\*kept\\* O\\*NET"
    )


def test_escape_quoted_keeps_urls_whole_for_copying_but_not_as_links():
    text = "O*NET says so (https://bmet.fandom.com/wiki/BMET_JOB_DESCRIPTIONS). [2]"
    assert markup.escape_quoted(text) == (
        "O\\*NET says so \\(` https://bmet.fandom.com/wiki/BMET_JOB_DESCRIPTIONS `\\). [2]"
    )


def test_safe_url_keeps_only_http():
    assert markup.safe_url("https://www.bls.gov/ooh/a (b).htm") == "https://www.bls.gov/ooh/a%20%28b%29.htm"
    assert markup.safe_url("javascript:alert(1)") is None
    assert markup.safe_url("corpus/careers/x.md") is None
    assert markup.link("T", "data:text/html,x") == "T"


def test_code_span_holds_backticks():
    assert markup.code("a`b") == "`` a`b ``"


# -- guards --------------------------------------------------------------------------------


def test_guard_rejects_empty_and_punctuation_only():
    for text in ("", "   ", "\n\t", "?!", None):
        checked = guards.check(text, max_chars=100)
        assert not checked.ok and "Type a question" in checked.reply


def test_guard_cuts_a_long_question_on_a_word_and_says_so():
    text = "word " * 4000  # 20,000 characters
    checked = guards.check(text, max_chars=2000)
    assert checked.ok and len(checked.question) <= 2000 and not checked.question.endswith(" ")
    assert "19,999 characters" in checked.notice and "first 1,999" in checked.notice


def test_guard_searches_without_pasted_tags():
    assert guards.check("<b>CBET</b> <img src=x onerror=alert(1)> exam?", max_chars=100).question == "CBET exam?"
    assert not guards.check("<script></script>", max_chars=100).ok


def test_guard_keeps_a_normal_question():
    assert guards.check("  How do I become a BMET? ", max_chars=2000) == guards.Checked("How do I become a BMET?")


# -- profiles and the settings panel -------------------------------------------------------


def test_each_profile_has_welcome_four_starters_and_defaults():
    for p in profiles.PROFILES:
        assert p.welcome and len(p.starters) >= 4 and p.defaults.doc_types
        assert len({s.label for s in p.starters}) == len(p.starters)
    assert profiles.by_name("Policy desk") is profiles.POLICY_DESK
    assert profiles.by_name("nonsense") is profiles.CAREER_GUIDE
    assert [p.name for p in profiles.available(staff=False)] == ["Career guide"]
    assert [p.name for p in profiles.available(staff=True)] == ["Career guide", "Policy desk"]


def test_staff_only_commands_are_hidden_from_others():
    ids = {c.id for c in profiles.POLICY_DESK.commands_for(staff=False)}
    assert profiles.ADD_FEED not in ids and profiles.WHAT_CHANGED in ids
    assert profiles.ADD_FEED in {c.id for c in profiles.POLICY_DESK.commands_for(staff=True)}


def test_panel_values_become_filters_and_k():
    choice = panel.read(
        {"jurisdiction": "MA", "doc_types": ["policy", "bogus"], "since": "2025-03-01T05:00:00.000Z", "k": 3.0},
        profiles.POLICY_DESK,
    )
    assert choice.filters == Filters(doc_types=("policy",), jurisdictions=("MA",), since=date(2025, 3, 1))
    assert choice.k == 3
    assert "Massachusetts" in choice.describe() and "2025-03-01" in choice.describe()


def test_panel_defaults_and_garbage_fall_back():
    assert panel.read(None, profiles.CAREER_GUIDE).filters.doc_types == profiles.CAREER_GUIDE.defaults.doc_types
    choice = panel.read(
        {"jurisdiction": "<x>", "since": "not a date", "k": "many", "doc_types": []}, profiles.CAREER_GUIDE
    )
    assert choice.filters == Filters(doc_types=("career_pathway", "training_program", "reference"))
    assert choice.k == panel.SOURCES_DEFAULT
    assert panel.read({"k": 99}, profiles.CAREER_GUIDE).k == panel.SOURCES_MAX
    assert {w.id for w in panel.widgets(profiles.CAREER_GUIDE)} == {
        "jurisdiction", "doc_types", "since", "k", "home_area", "remember"}


def test_panel_home_area_and_memory_switch():
    defaults = panel.read(None, profiles.CAREER_GUIDE, home_area="Springfield, MA", remember=False)
    assert (defaults.home_area, defaults.remember) == ("Springfield, MA", False)
    typed = panel.read({"home_area": "  Worcester,   MA ", "remember": True}, profiles.CAREER_GUIDE)
    assert (typed.home_area, typed.remember) == ("Worcester, MA", True)
    cleared = panel.read({"home_area": "", "remember": "false"}, profiles.CAREER_GUIDE, home_area="Boston")
    assert (cleared.home_area, cleared.remember) == ("", False)  # an emptied box means no home area
    garbage = panel.read({"home_area": ["x"], "remember": "maybe"}, profiles.CAREER_GUIDE, remember=True)
    assert (garbage.home_area, garbage.remember) == ("", True)
    assert len(panel.read({"home_area": "x" * 500}, profiles.CAREER_GUIDE).home_area) == panel.PLACE_MAX
    widgets = {w.id: w for w in panel.widgets(profiles.CAREER_GUIDE, home_area="Pittsfield, MA", remember=False)}
    assert (widgets["home_area"].kind, widgets["home_area"].initial) == ("text", "Pittsfield, MA")
    assert (widgets["remember"].kind, widgets["remember"].initial) == ("switch", False)


# -- render --------------------------------------------------------------------------------


def _answer(*citations: Citation, abstained: bool = False) -> Answer:
    return Answer(question="q", text="Claim one. [1] Claim <b>two</b>. [2]", abstained=abstained, citations=citations)


def _cite(n: int, title: str, **kw) -> Citation:
    values = dict(
        source="corpus/careers/x.md",
        doc_type="career_pathway",
        snippet="A passage.",
        published="2025-11-01",
        url="https://www.bls.gov/x",
    )
    values.update(kw)
    return Citation(n=n, title=title, **values)


def test_answer_ends_with_numbered_sources_whose_names_are_in_the_text():
    shown = render.render_answer(
        _answer(_cite(1, "BMET pay"), _cite(2, "Rule *update*", doc_type="policy_update", published="2026-01-05")),
        profile=profiles.CAREER_GUIDE,
    )
    assert [c.name for c in shown.sources] == ["[1]", "[2]"]
    assert all(c.name in shown.text for c in shown.sources)
    assert "- [1] BMET pay · as of November 1, 2025" in shown.text
    assert "- [2] Rule \\*update\\* · published January 5, 2026" in shown.text
    assert "Claim \\<b\\>two\\</b\\>" in shown.text
    card = shown.sources[0].content
    assert (
        "**BMET pay**" in card
        and "As of November 1, 2025" in card
        and "[Open the original](https://www.bls.gov/x)" in card
    )
    assert "Indexed from ` corpus/careers/x.md `" in card


def test_news_on_the_policy_desk_lists_sources_newest_first():
    answer = _answer(_cite(1, "Older", published="2024-01-01"), _cite(2, "Newer", published="2026-02-01"))
    text = render.render_answer(answer, profile=profiles.POLICY_DESK, news=True).text
    assert "newest first" in text and text.index("[2] Newer") < text.index("[1] Older")
    text = render.render_answer(answer, profile=profiles.CAREER_GUIDE, news=True).text
    assert text.index("[1] Older") < text.index("[2] Newer")


def test_abstention_is_kind_and_suggests_questions_and_wider_filters():
    abstained = Answer(question="q", text="I don't have a source for that.", abstained=True, citations=())
    choice = panel.Choice(filters=Filters(jurisdictions=("MA",)), k=5)
    shown = render.render_answer(abstained, profile=profiles.CAREER_GUIDE, choice=choice)
    assert shown.sources == ()
    assert "Questions I can answer well" in shown.text
    assert profiles.CAREER_GUIDE.starters[0].message.replace("(", "\\(").replace(")", "\\)") in shown.text
    assert "limit the search to Massachusetts" in shown.text
    assert "Sources" not in shown.text


def test_card_without_http_link_names_the_file():
    card = render.source_card(_cite(1, "Local", url="corpus/a.md", source="corpus/a.md"))
    assert "Open the original" not in card.content and "corpus/a.md" in card.content


# -- auth ----------------------------------------------------------------------------------


def test_scrypt_and_pbkdf2_hashes_verify():
    encoded = auth.hash_password("s3cret-passphrase")
    assert encoded.startswith("scrypt$16384$8$1$")
    assert auth.verify_password("s3cret-passphrase", encoded)
    assert not auth.verify_password("wrong", encoded)
    salt = b"0123456789abcdef"
    digest = hashlib.pbkdf2_hmac("sha256", b"pw", salt, 1000)
    pbkdf2 = f"pbkdf2_sha256$1000${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    assert auth.verify_password("pw", pbkdf2) and not auth.verify_password("px", pbkdf2)
    assert not auth.verify_password("pw", "plaintext") and not auth.verify_password("pw", "scrypt$x$y")


def test_accounts_from_file_and_variable(tmp_path):
    users = tmp_path / "users.toml"
    users.write_text(
        f'[users.maria]\npassword = "{auth.hash_password("pw-maria-123")}"\nname = "Maria"\n', encoding="utf-8"
    )
    directory = auth.Directory.from_config(users_file=users, inline=f"sam:{auth.hash_password('pw-sam-12345')}:student")
    maria = directory.authenticate("Maria", "pw-maria-123")
    assert maria == auth.Identity(identifier="maria", role="staff", display_name="Maria") and maria.is_staff
    sam = directory.authenticate("sam", "pw-sam-12345")
    assert sam.role == "student" and not sam.is_staff
    assert directory.authenticate("maria", "wrong") is None and directory.authenticate("nobody", "x") is None


def test_plaintext_or_reserved_accounts_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="must be a hash"):
        auth.parse_inline("maria:hunter2")
    with pytest.raises(ConfigError, match="reserved"):
        auth.parse_inline(f"guest-x:{auth.hash_password('x' * 12)}")
    with pytest.raises(ConfigError, match="role"):
        auth.parse_inline(f"maria:{auth.hash_password('x' * 12)}:admin")
    bad = tmp_path / "u.toml"
    bad.write_text("users = 3", encoding="utf-8")
    with pytest.raises(ConfigError, match=str(bad)):
        auth.load_users_file(bad)


def test_password_guessing_is_slowed():
    clock = [0.0]
    ledger = SignInLedger(":memory:", limits=Limits(per_name=3, window_s=60), clock=lambda: clock[0])
    directory = auth.Directory([auth.Account("maria", auth.hash_password("right-password"))], ledger=ledger)
    for _ in range(3):
        assert directory.authenticate("maria", "guess") is None
    assert directory.authenticate("maria", "right-password") is None  # locked for now
    clock[0] = 61.0
    assert directory.authenticate("maria", "right-password") is not None


def test_guests_are_distinct_students(tmp_path):
    a, b = auth.new_guest(), auth.new_guest()
    assert a.identifier != b.identifier and a.is_guest and a.role == auth.STUDENT
    assert a.session and a.session != b.session
    secret = auth.session_secret(tmp_path / "s")
    assert len(secret) >= 32 and auth.session_secret(tmp_path / "s") == secret
    assert (tmp_path / "s").stat().st_mode & 0o077 == 0


def test_chat_config_from_env(tmp_path):
    conf = ChatConfig.from_env(
        {"ASSISTANT_OPEN_CAREER_GUIDE": "0", "ASSISTANT_MAX_QUESTION_CHARS": "500"}, data_dir=tmp_path
    )
    assert not conf.open_career_guide and conf.max_question_chars == 500 and conf.chat_db_path == tmp_path / "chat.db"
    assert ChatConfig.from_env({}, data_dir=tmp_path).open_career_guide
    with pytest.raises(ConfigError, match="ASSISTANT_OPEN_CAREER_GUIDE"):
        ChatConfig.from_env({"ASSISTANT_OPEN_CAREER_GUIDE": "maybe"}, data_dir=tmp_path)
    with pytest.raises(ConfigError, match="ASSISTANT_MAX_QUESTION_CHARS"):
        ChatConfig.from_env({"ASSISTANT_MAX_QUESTION_CHARS": "lots"}, data_dir=tmp_path)
