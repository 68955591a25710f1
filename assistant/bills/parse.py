"""Turn a BILLSTATUS XML file into a ``Bill``. Pure: bytes in, frozen dataclasses out.

Element names follow GPO's "Bill Status XML Bulk Data User Guide" (shipped with the samples in
``shared/data/billstatus``). The parser also reads the renamed elements of GPO's later schema
(``number``/``type`` for ``billNumber``/``billType``, ``summaries/summary``, ``committees/item``),
so a file from either generation gives the same ``Bill``.

The XML comes from the network, so a document type declaration is refused outright: BILLSTATUS
never has one, and without one no entity can be declared, so "billion laughs" expansion and
external entities cannot happen. This uses pyexpat directly because ElementTree's C parser offers
no hook on the DOCTYPE.
"""

from __future__ import annotations

import pyexpat
from xml.etree.ElementTree import Element, TreeBuilder

from assistant.bills.ids import TYPES
from assistant.bills.models import (
    Action,
    Activity,
    Bill,
    Committee,
    Law,
    Member,
    RelatedBill,
    Summary,
    TextVersion,
    Title,
)
from assistant.errors import AssistantError
from assistant.feeds.sanitize import to_text


class BillError(AssistantError):
    """One bill could not be fetched, read or stored; a refresh goes on with the others."""

    def __init__(self, bill: str, cause: str) -> None:
        self.bill = bill
        self.cause = cause
        super().__init__(f"{bill}: {cause}")


class _Refused(Exception):
    pass


def parse_billstatus(data: bytes, *, name: str = "BILLSTATUS file") -> Bill:
    """Read one BILLSTATUS document. ``name`` (a bill key or file name) goes into errors.

    Raises:
        BillError: not well-formed XML, a DOCTYPE, not a BILLSTATUS document, or a bill without
            its number, type or Congress.
    """
    root = _parse_xml(data, name=name)
    if root.tag != "billStatus" or root.find("bill") is None:
        raise BillError(name, f"not a BILLSTATUS document (root element <{root.tag}>, expected <billStatus><bill>)")
    bill = root.find("bill")
    number = _text(bill, "billNumber") or _text(bill, "number")
    kind = (_text(bill, "billType") or _text(bill, "type")).lower()
    congress = _text(bill, "congress")
    if not (number.isdigit() and congress.isdigit()) or kind not in TYPES:
        raise BillError(
            name,
            f"BILLSTATUS record without a valid bill number, type and Congress ({number!r}, {kind!r}, {congress!r})",
        )
    latest = bill.find("latestAction")
    return Bill(
        congress=int(congress),
        type=kind,
        number=int(number),
        title=_text(bill, "title"),
        introduced_date=_text(bill, "introducedDate") or None,
        origin_chamber=_text(bill, "originChamber"),
        update_date=_text(bill, "updateDate") or None,
        policy_area=_text(bill, "policyArea/name"),
        titles=tuple(_title(e) for e in bill.iterfind("titles/item")),
        sponsors=tuple(_member(e) for e in bill.iterfind("sponsors/item")),
        cosponsors=tuple(_member(e) for e in bill.iterfind("cosponsors/item")),
        committees=tuple(_committee(e) for e in _items(bill, "committees/billCommittees/item", "committees/item")),
        actions=tuple(_action(e) for e in bill.iterfind("actions/item")),
        latest_action=_action(latest) if latest is not None and _text(latest, "actionDate") else None,
        summaries=tuple(_summary(e) for e in _items(bill, "summaries/billSummaries/item", "summaries/summary")),
        text_versions=tuple(_text_version(e) for e in bill.iterfind("textVersions/item")),
        related_bills=tuple(r for r in map(_related, bill.iterfind("relatedBills/item")) if r is not None),
        laws=tuple(Law(type=_text(e, "type"), number=_text(e, "number")) for e in bill.iterfind("laws/item")),
    )


def _parse_xml(data: bytes, *, name: str) -> Element:
    if not data or not data.strip():
        raise BillError(name, "empty BILLSTATUS file")
    builder = TreeBuilder()
    parser = pyexpat.ParserCreate()
    parser.buffer_text = True  # one CharacterData call per text run, not one per line

    def refuse(*_args):
        raise _Refused()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = lambda tag: builder.end(tag)
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        return builder.close()
    except _Refused:
        raise BillError(name, "refused: the XML declares a DOCTYPE or entities (BILLSTATUS files have none)") from None
    except pyexpat.ExpatError as exc:
        raise BillError(name, f"not well-formed XML ({exc})") from None
    except AssertionError:  # TreeBuilder.close() on a document with no element
        raise BillError(name, "not well-formed XML (no root element)") from None


def _items(parent: Element, *paths: str) -> list[Element]:
    for path in paths:
        found = parent.findall(path)
        if found:
            return found
    return []


def _text(parent: Element, path: str) -> str:
    return (parent.findtext(path) or "").strip()


def _title(e: Element) -> Title:
    return Title(type=_text(e, "titleType"), title=_text(e, "title"), chamber=_text(e, "chamberName"))


def _member(e: Element) -> Member:
    withdrawn = _text(e, "sponsorshipWithdrawnDate")
    return Member(
        full_name=" ".join(_text(e, "fullName").split()),
        bioguide_id=_text(e, "bioguideId") or _text(e, "identifiers/bioguideId"),
        first_name=_text(e, "firstName"),
        last_name=_text(e, "lastName"),
        party=_text(e, "party"),
        state=_text(e, "state"),
        district=_text(e, "district") or None,
        sponsorship_date=_text(e, "sponsorshipDate") or None,
        is_original=_text(e, "isOriginalCosponsor").lower() == "true",
        withdrawn_date=withdrawn or None,
    )


def _action(e: Element) -> Action:
    return Action(
        date=_text(e, "actionDate"),
        text=" ".join(_text(e, "text").split()),
        type=_text(e, "type") or None,
        code=_text(e, "actionCode") or None,
        source=_text(e, "sourceSystem/name") or None,
        time=_text(e, "actionTime") or None,
        committees=tuple(_text(c, "name") for c in e.iterfind("committees/item") if _text(c, "name")),
    )


def _committee(e: Element) -> Committee:
    return Committee(
        name=_text(e, "name"),
        system_code=_text(e, "systemCode"),
        chamber=_text(e, "chamber"),
        type=_text(e, "type"),
        activities=tuple(Activity(_text(a, "name"), _text(a, "date")) for a in e.iterfind("activities/item")),
        subcommittees=tuple(_committee(s) for s in e.iterfind("subcommittees/item")),
    )


def _summary(e: Element) -> Summary:
    return Summary(
        version_code=_text(e, "versionCode"),
        action_date=_text(e, "actionDate"),
        action_desc=_text(e, "actionDesc"),
        text=to_text(e.findtext("text") or ""),
        update_date=_text(e, "updateDate") or None,
    )


def _text_version(e: Element) -> TextVersion:
    return TextVersion(
        type=_text(e, "type"),
        date=_text(e, "date") or None,
        urls=tuple(_text(f, "url") for f in e.iterfind("formats/item") if _text(f, "url")),
    )


def _related(e: Element) -> RelatedBill | None:
    number, congress = _text(e, "number"), _text(e, "congress")
    kind = _text(e, "type").lower().replace(".", "").replace(" ", "")
    if not (number.isdigit() and congress.isdigit()):
        return None
    details = []
    for d in e.iterfind("relationshipDetails/item"):
        who = _text(d, "identifiedBy")
        details.append(f"{_text(d, 'type')} ({who})" if who else _text(d, "type"))
    return RelatedBill(
        congress=int(congress),
        type=kind,
        number=int(number),
        title=_text(e, "latestTitle") or _text(e, "title"),
        relationships=tuple(details),
        latest_action_date=_text(e, "latestAction/actionDate") or None,
        latest_action_text=_text(e, "latestAction/text") or None,
    )
