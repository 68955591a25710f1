"""What goes under an answer besides its text: the occupation card and, when asked for or when the
answer compares, a chart with its figures as a table. Plain objects; ``app.py`` makes elements.

Everything here reads SQLite and draws with matplotlib, so the app calls it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.chat import careers, charts, markup
from assistant.chat.bills import BillCard, card_for_answer
from assistant.chat.cards import OccupationCard, occupation_card, oews_targets
from assistant.conversation import Memory
from assistant.occupations.resolve import NATION
from assistant.types import Answer

NO_DATA = ("The labour-market figures are not loaded yet, so I can't draw this chart. "
           "An administrator can load them with `assistant ingest corpus/`.")


@dataclass(frozen=True)
class Chart:
    #: The image's name and the table's; unlike words of the caption, so Chainlit links neither into it.
    name: str
    png: bytes
    table_name: str
    table: str
    #: Markdown for the message that carries it: what it shows and its source and release.
    caption: str


@dataclass(frozen=True)
class Extras:
    card: OccupationCard | None = None
    #: The card of the bill whose facts the answer cites (Policy desk).
    bill: BillCard | None = None
    charts: tuple[Chart, ...] = ()
    #: Sentences for the person (a chart asked for that could not be drawn, and why).
    notes: tuple[str, ...] = ()


def for_answer(service, answer: Answer, question: str, *, memory: Memory, home_area: str | None,
               bill_cards: bool = False) -> Extras:
    """The card for the answer's OEWS figures (or, with ``bill_cards``, for the bill it cites),
    and the charts the question or the answer calls for."""
    bill = card_for_answer(service.db, answer.citations) if bill_cards else None
    desk = service.data_desk
    if desk.resolver is None:
        return Extras(bill=bill)
    card = occupation_card(desk, answer.citations)
    targets = oews_targets(answer.citations)
    socs = list(dict.fromkeys(soc for _, soc in targets))
    local = list(dict.fromkeys(area for area, _ in targets if area != NATION))
    drawn: list[Chart] = []
    notes: list[str] = []
    if len(socs) > 1:
        chart = compare_chart(service, home_area=_title(desk, local[0]) if local else None, socs=tuple(socs))
        drawn += [chart] if chart else []
    if careers.wants_state_chart(question) or len(local) > 1:
        chart = state_chart(service, question, memory=memory, home_area=home_area,
                            soc=socs[0] if socs else None, area_code=local[0] if local else None)
        if isinstance(chart, Chart):
            drawn.append(chart)
        elif chart:
            notes.append(chart)
    return Extras(card=card, bill=bill, charts=tuple(drawn), notes=tuple(notes))


def compare_chart(service, *, home_area: str | None, socs: Sequence[str] = careers.DEFAULT_CAREERS) -> Chart | None:
    """Careers compared (median pay in the home area's state, else the nation; growth); None without data."""
    comparison = careers.compare_careers(service.data_desk, home_area=home_area, socs=tuple(socs))
    if comparison is None or not comparison.careers:
        return None
    caption = ("**Careers compared:** median annual pay and projected growth. "
               + markup.escape_text(comparison.source_note))
    return Chart(name="careers-compared", png=charts.compare_careers_png(comparison), table_name="Figures",
                 table=careers.careers_table(comparison), caption=caption)


def state_chart(service, question: str, *, memory: Memory, home_area: str | None, soc: str | None = None,
                area_code: str | None = None) -> Chart | str:
    """Pay across the state's areas for the occupation and state the question, the answer or the
    conversation names; else a sentence saying what is missing."""
    desk = service.data_desk
    resolver = desk.resolver
    if resolver is None:
        return "No labour-market data is loaded yet, so I can't draw that chart."
    found, _ = resolver.find_occupations(question)
    soc = (found[0].soc if found else None) or soc or memory.soc or careers.BMET
    named = [p for p in resolver.find_place(question).places if not p.is_nation]
    state = named[0].state if named else None
    if state is None and area_code:
        areas = resolver.areas([area_code])
        state = areas[0].state if areas else None
    for place in (memory.place, home_area):
        if state is None and place:
            area = careers.state_area(desk, place)
            state = area.state if area else None
    if state is None:
        return 'Tell me which state to chart, e.g. "chart BMET pay across Massachusetts".'
    pay = careers.state_pay(desk, soc, state)
    if pay is None:
        return f"BLS published no area figures for {resolver.title(soc) or soc} in {state}."
    caption = (f"**{markup.escape_text(pay.title)}: median pay across {markup.escape_text(pay.state)}.** "
               + markup.escape_text(pay.source_note))
    return Chart(name=f"pay-across-{state.lower()}", png=charts.state_pay_png(pay), table_name="Pay by area",
                 table=careers.state_table(pay), caption=caption)


def _title(desk, code: str) -> str | None:
    areas = desk.resolver.areas([code])
    return areas[0].title if areas else None
