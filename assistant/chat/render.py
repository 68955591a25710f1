"""An ``Answer`` as the chat shows it: the text, then its numbered sources, each a side card.

Each card is named ``[n]``, the marker the answer already uses, and Chainlit turns every
occurrence of an element's name in the message into a link that opens the element (DESIGN.md
"Chainlit"): so both the inline citations and the list at the end open the card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from assistant.chat import markup
from assistant.chat.panel import SOURCE_LABELS, Choice
from assistant.chat.profiles import Profile
from assistant.types import Answer, Citation


@dataclass(frozen=True)
class SourceCard:
    #: ``[n]``: appears in the message text, which makes it clickable.
    name: str
    title: str
    #: Markdown for the side panel: title, date, type, snippet, link to the original.
    content: str
    url: str = ""


@dataclass(frozen=True)
class Rendered:
    text: str
    sources: tuple[SourceCard, ...] = ()


def card_name(n: int) -> str:
    return f"[{n}]"


def human_date(iso: str | None) -> str:
    """``2025-11-01`` as ``November 1, 2025``; anything unparsable as given."""
    if not iso:
        return ""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{day:%B} {day.day}, {day.year}"


def date_label(citation: Citation) -> str:
    """ "published ..." for a dated policy update, "as of ..." for a curated document, and for
    official data its release and place ("BLS OEWS May 2025, Massachusetts"), which dates it."""
    if citation.doc_type == "data" and citation.source:
        return citation.source
    when = human_date(citation.published)
    if not when:
        return "date not recorded"
    return f"published {when}" if citation.doc_type == "policy_update" else f"as of {when}"


def source_card(citation: Citation) -> SourceCard:
    kind = SOURCE_LABELS.get(citation.doc_type, citation.doc_type.replace("_", " "))
    lines = [
        f"**{markup.escape_text(citation.title)}**",
        "",
        f"{_upper_first(markup.escape_text(date_label(citation)))} · {markup.escape_text(kind)}",
        "",
    ]
    if citation.snippet:
        lines += ["> " + markup.escape_text(citation.snippet), ""]
    target = markup.safe_url(citation.url) or markup.safe_url(citation.source)
    if target:
        lines.append(f"[Open the original]({target})")
    if citation.source and not markup.safe_url(citation.source):
        lines.append(f"Indexed from {markup.code(citation.source)}")
    return SourceCard(name=card_name(citation.n), title=citation.title, content="\n".join(lines), url=target or "")


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def ordered(citations: Sequence[Citation], *, newest_first: bool) -> list[Citation]:
    if not newest_first:
        return sorted(citations, key=lambda c: c.n)
    return sorted(citations, key=lambda c: (c.published or "", -c.n), reverse=True)


def sources_block(citations: Sequence[Citation], *, newest_first: bool = False) -> str:
    heading = "**Sources**, newest first" if newest_first else "**Sources**"
    lines = [heading, ""]
    for c in ordered(citations, newest_first=newest_first):
        lines.append(f"- {card_name(c.n)} {markup.escape_text(c.title)} · {markup.escape_text(date_label(c))}")
    return "\n".join(lines)


def answer_prefix(notice: str) -> str:
    """What goes before the answer text (streamed first, so the message never jumps)."""
    return f"*{markup.escape_text(notice)}*\n\n" if notice else ""


def render_answer(
    answer: Answer,
    *,
    profile: Profile,
    choice: Choice | None = None,
    notice: str = "",
    news: bool = False,
    assumed: str = "",
    notes: tuple[str, ...] = (),
) -> Rendered:
    """The final message for ``answer``; ``notice`` is the guard's note (e.g. a shortened question),
    ``assumed`` the conversation's one-line summary, ``notes`` the chat's own remarks (settings)."""
    parts = [answer_prefix(notice) + markup.escape_quoted(answer.text.strip())]
    parts += [f"*{markup.escape_text(n)}*" for n in (*answer.notices, *notes)]
    if assumed:
        parts.append(assumed_line(assumed))
    if answer.abstained or not answer.citations:
        parts.append(abstention_help(profile, choice))
        return Rendered(text="\n\n".join(parts))
    newest_first = news and profile.newest_first_for_news
    parts.append(sources_block(answer.citations, newest_first=newest_first))
    cards = tuple(source_card(c) for c in sorted(answer.citations, key=lambda c: c.n))
    return Rendered(text="\n\n".join(parts), sources=cards)


def assumed_line(summary: str) -> str:
    """What the chat remembered, in one line the person can correct by just saying so."""
    return f"*{markup.escape_text(summary)}*"


def noted(summary: str) -> str:
    """The reply to a message that only told us about the person ("I'm a veteran in Springfield")."""
    return (f"Thanks, I'll keep that in mind for this chat. {assumed_line(summary)}\n\n"
            "Ask me what the work pays near you, where to train or which certificate to aim for, "
            "or say **Make me a plan** for a step-by-step checklist.")


def abstention_help(profile: Profile, choice: Choice | None) -> str:
    """Kind next steps after "I don't have a source": widen the filters, or try these questions."""
    lines = []
    limits = choice.describe() if choice else ""
    if limits:
        widen = "widening them in the settings panel may help."
        lines += [f"Your settings limit the search to {markup.escape_text(limits)}; {widen}", ""]
    lines += ["**Questions I can answer well:**", ""]
    lines += [f"- {markup.escape_text(s.message)}" for s in profile.starters[:3]]
    return "\n".join(lines)


def problem(message: str) -> str:
    """A short apology for a failure, with the cause the user can act on, never a traceback."""
    return f"Sorry, I couldn't answer that: {markup.escape_text(message)}"
