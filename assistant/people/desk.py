"""Who decides: committees, their chairs and members, and a state's delegation, as cited facts.

    question | resolve (a committee by its name or a short name, or a state) | store rows
             | sentences naming people with party and district | Fact(doc_type="person")

Resolution is by words, longest name first: "the Senate HELP committee" is SSHR, "the Joint
Committee on Labor and Workforce Development" is the Massachusetts joint committee. A committee
is only looked for when the question says "committee" or uses a known short name, so "who
chairs housing policy" does not pick a committee called Housing by accident.
"""

from __future__ import annotations

import re

from assistant.people import parse, store
from assistant.states import STATES
from assistant.types import Fact

SOURCES = {parse.CONGRESS: "unitedstates/congress-legislators", parse.OPENSTATES_MA: "Open States, Massachusetts"}
#: The publisher page of a layout, for facts about many people at once (a delegation).
SOURCE_PAGES = {parse.CONGRESS: "https://github.com/unitedstates/congress-legislators",
                parse.OPENSTATES_MA: "https://github.com/openstates/people"}
#: Short names people use -> committee id.
SHORT_NAMES = {"help": "SSHR", "house education and workforce": "HSED", "ed and workforce": "HSED",
               "house education and the workforce": "HSED", "education and the workforce committee": "HSED",
               "senate finance": "SSFI", "house ways and means": "HSWM"}
_CHAIR_ASK = re.compile(r"\b(chairs?|chaired|chairman|chairwoman|chairperson|leads?|heads?|ranking)\b", re.I)
_DELEGATION_ASK = re.compile(r"\b(members? of congress|congressional delegation|delegation|senators|"
                             r"representatives|congressmen|congresswomen)\b", re.I)
_ROLE_ORDER = ("chair", "vice chair", "ranking member")
_MEMBERS_ASK = re.compile(r"\bwho(?:'s| is| are)? (?:on|sits? on|serves? on)\b|\bmembers?(?:hip)?\b", re.I)
#: Which role sentence a question asks for first ("ranking member of ...", "who is vice chair").
_ROLE_ASKS = (("ranking member", re.compile(r"\branking\b", re.I)),
              ("vice chair", re.compile(r"\bvice[- ]chair", re.I)))


def normalize(text: str) -> str:
    text = text.lower().replace("&", " and ")
    return " " + " ".join(re.findall(r"[a-z0-9]+", text)) + " "


class PeopleDesk:
    """Members and committees a question asks about, as facts citing their source and date."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def facts(self, question: str) -> list[Fact]:
        store.ensure_schema(self.conn)
        committee = self.committee_in(question)
        if committee is not None:
            return [self.committee_fact(committee, chairs_only=bool(_CHAIR_ASK.search(question)), question=question)]
        state = _state_in(question)
        if state and _DELEGATION_ASK.search(question):
            fact = self.delegation_fact(state)
            return [fact] if fact else []
        return []

    # -- resolution --------------------------------------------------------------------------

    def committee_in(self, question: str) -> dict | None:
        q = normalize(question)
        says_committee = " committee " in q or " committees " in q
        best: tuple[int, int, dict] | None = None
        for key, code in SHORT_NAMES.items():
            # "help" names the Senate HELP committee only in capitals or beside "committee"
            # ("help me with my homework" does not).
            if key == "help" and not (re.search(r"\bHELP\b", question) or " help committee " in q):
                continue
            if f" {key} " in q:
                row = self._committee(code)
                if row is not None:
                    best = (len(key) + 100, 0, row)
        if not says_committee and best is None:
            return None
        rows = self.conn.execute("SELECT * FROM people_committees ORDER BY position").fetchall()
        for row in rows:
            if row["parent"] and "subcommittee" not in q:
                continue
            for name in _names(row):
                if f" {name} " in q:
                    # a named chamber or state breaks ties between equally long names
                    bonus = ((" senate " in q and row["chamber"] == "senate")
                             + (" house " in q and row["chamber"] == "house")
                             + ((" massachusetts " in q or " joint " in q) and row["source"] == parse.OPENSTATES_MA))
                    candidate = (len(name), bonus, dict(row))
                    if best is None or candidate[:2] > best[:2]:
                        best = candidate
        return best[2] if best else None

    def _committee(self, committee_id: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM people_committees WHERE committee_id = ?", (committee_id,)).fetchone()
        return dict(row) if row else None

    # -- rendering -------------------------------------------------------------------------------

    def committee_fact(self, committee: dict, *, chairs_only: bool, question: str = "") -> Fact:
        """The committee's leaders, then its other members; the sentence the question asks for
        first: the role it names ("ranking member"), or the member it names ("is Markey on it")."""
        rows = self.conn.execute(
            "SELECT s.member_name, s.role, s.title, s.rank, m.* FROM people_memberships s LEFT JOIN people_members m"
            " ON m.member_id = s.member_id WHERE s.committee_id = ? ORDER BY s.rank, s.position",
            (committee["committee_id"],),
        ).fetchall()
        name = committee["name"]
        sentences = []
        for role in _ROLE_ORDER:
            people = [_person(r) for r in rows if r["role"] == role]
            if people:
                plural = len(people) > 1
                label = {"chair": "chair", "vice chair": "vice chair", "ranking member": "ranking member"}[role]
                sentences.append(f"The {label}{'s' if plural else ''} of the {name} "
                                 f"{'are' if plural else 'is'} {_and(people)}.")
        if not chairs_only or not sentences:
            others = [_person(r) for r in rows if r["role"] not in _ROLE_ORDER]
            if others:
                sentences.append(f"The {name} has {len(rows)} members; the others are {_and(others)}.")
        if not rows:
            sentences.append(f"The source lists no members of the {name}.")
        named = [r for r in rows if _surname(r["member_name"]) and re.search(
            rf"\b{re.escape(_surname(r['member_name']))}\b", question, re.I)]
        if rows and not named and not chairs_only and _MEMBERS_ASK.search(question):
            # "who's on the committee": one sentence names everyone, leaders with their role.
            everyone = [_person(r) + (f", {r['role']}" if r["role"] in _ROLE_ORDER else "") for r in rows]
            sentences = [f"The {name} has {len(rows)} members: {_and(everyone)}."]
        elif named:
            row = named[0]
            role = f"the {row['role']}" if row["role"] in _ROLE_ORDER else "a member"
            sentences.insert(0, f"{_person(row)} is {role} of the {name}.")
        else:
            asked = next((role for role, pattern in _ROLE_ASKS if pattern.search(question)), None)
            first = next((x for x in sentences if asked and x.startswith(f"The {asked}")), None)
            if first:
                sentences.remove(first)
                sentences.insert(0, first)
        source = committee["source"]
        return Fact(
            doc_id=f"committee-{committee['committee_id']}", title=name, source=self._source(source),
            url=committee["url"], sentences=tuple(sentences), doc_type="person",
            published=store.as_of(self.conn).get(source),
            data={"committee_id": committee["committee_id"], "members": [
                {"name": r["member_name"], "role": r["role"], "party": r["party"], "url": r["url"]} for r in rows]},
        )

    def delegation_fact(self, state: str) -> Fact | None:
        rows = self.conn.execute("SELECT * FROM people_members WHERE state = ? AND source = ?",
                                 (state, parse.CONGRESS)).fetchall()
        # Senate first, then by district number and name, sorted here: Postgres will not cast a
        # senator's empty district, and its collation may order names unlike SQLite's bytes.
        rows.sort(key=lambda r: (_district_number(r["district"]), r["name"]))
        rows.sort(key=lambda r: r["chamber"], reverse=True)
        if not rows:
            return None
        senators = [_person(r) for r in rows if r["chamber"] == "senate"]
        house = [_person(r) for r in rows if r["chamber"] == "house"]
        where = STATES.get(state, state)
        # One sentence names everyone: it is the answer to "who are the members of Congress from X".
        groups = [f"Senator{'s' if len(senators) > 1 else ''} {_and(senators)}" if senators else "",
                  f"Representative{'s' if len(house) > 1 else ''} {_and(house)}" if house else ""]
        sentences = [f"{where}'s {len(rows)} members of Congress are {'; and '.join(g for g in groups if g)}."]
        return Fact(
            doc_id=f"delegation-{state}", title=f"Members of Congress from {where}",
            source=self._source(parse.CONGRESS), url=SOURCE_PAGES[parse.CONGRESS], sentences=tuple(sentences),
            doc_type="person", published=store.as_of(self.conn).get(parse.CONGRESS),
            data={"members": [{"name": r["name"], "chamber": r["chamber"], "party": r["party"],
                               "district": r["district"], "url": r["url"]} for r in rows]},
        )

    def member_by_bioguide(self, bioguide_id: str) -> Fact | None:
        """One member of Congress by bioguide id (a bill's sponsor), with party, seat and office."""
        store.ensure_schema(self.conn)
        row = self.conn.execute("SELECT * FROM people_members WHERE member_id = ?", (bioguide_id,)).fetchone()
        if row is None:
            return None
        seat = _seat(row)
        sentences = [f"{_title(row)} {row['name']} ({row['party']}) represents {seat}."]
        if row["address"] or row["phone"]:
            office = "; ".join(v for v in (row["address"], row["phone"] and f"phone {row['phone']}") if v)
            sentences.append(f"Office: {office}.")
        return Fact(
            doc_id=f"member-{row['member_id']}", title=row["name"], source=self._source(row["source"]),
            url=row["url"], sentences=tuple(sentences), doc_type="person",
            published=store.as_of(self.conn).get(row["source"]),
            data={"member_id": row["member_id"], "party": row["party"], "state": row["state"],
                  "district": row["district"], "chamber": row["chamber"]},
        )

    def _source(self, layout: str) -> str:
        day = store.as_of(self.conn).get(layout)
        return f"{SOURCES.get(layout, layout)}, {day}" if day else SOURCES.get(layout, layout)


def _surname(name: str | None) -> str:
    """The last word of a member's name that is not a suffix ("Sanders" of "Bernard Sanders")."""
    suffixes = ("jr", "sr", "ii", "iii")
    words = [w for w in (name or "").replace(",", " ").split() if w.rstrip(".").lower() not in suffixes]
    return words[-1] if words and len(words[-1]) > 2 else ""


def _names(row) -> list[str]:
    names = [row["name"], *(row["aliases"].split("|") if row["aliases"] else [])]
    out = set()
    for name in names:
        n = normalize(name).strip()
        out.add(n)
        core = re.sub(r"^(senate|house|joint) (select |special |permanent select )?committee on (the )?", "", n)
        if core != n and len(core) > 3:
            out.add(core)
    return sorted(out, key=len, reverse=True)


def _state_in(question: str) -> str | None:
    q = normalize(question)
    for code, name in STATES.items():
        if normalize(name).replace(" the ", " ") in q.replace(" the ", " "):
            return code
    match = re.search(r"\b([A-Z]{2})\b", question)
    return match.group(1) if match and match.group(1) in STATES and match.group(1) not in ("IN", "ME", "OR") else None


def _district_number(district: str) -> int:
    """The district's leading number, 0 for none (what SQLite's CAST(district AS INTEGER) gave)."""
    found = re.match(r"\s*(\d+)", district or "")
    return int(found.group(1)) if found else 0


def _person(row) -> str:
    """Name (party, seat) without URLs: the contact page travels in the citation."""
    if row["name"] is None:
        return row["member_name"]
    parts = [row["party"], _seat(row, short=True)]
    return f"{row['name']} ({', '.join(p for p in parts if p)})"


def _seat(row, *, short: bool = False) -> str:
    state = STATES.get(row["state"], row["state"])
    if row["source"] == parse.OPENSTATES_MA:
        district = row["district"]
        chamber = {"senate": "Senate", "house": "House"}.get(row["chamber"], row["chamber"].replace("_", " "))
        return f"{chamber}, {district}" if district else chamber
    if row["chamber"] == "senate":
        return state if short else f"{state} in the Senate"
    if row["district"] in ("0", ""):
        return f"{state} at large" if short else f"{state} at large in the House"
    return f"{state}-{row['district']}" if short else f"{state}'s district {row['district']} in the House"


def _title(row) -> str:
    return {"senate": "Sen.", "house": "Rep."}.get(row["chamber"], "")


def _and(items: list[str]) -> str:
    """"a, b, and c"; items with commas outside their parentheses ("X (...), chair") take semicolons."""
    if len(items) <= 2:
        return " and ".join(items)
    sep = "; " if any("," in re.sub(r"\([^)]*\)", "", item) for item in items) else ", "
    return sep.join(items[:-1]) + f"{sep}and " + items[-1]
