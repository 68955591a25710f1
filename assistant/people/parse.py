"""Members and committees from their publishers' YAML (pure: bytes in, frozen dataclasses out).

Two layouts:

- unitedstates/congress-legislators: ``legislators-current.yaml`` (one entry a member, the
  last term is the current one), ``committees-current.yaml`` (committees with their
  subcommittees) and ``committee-membership-current.yaml`` (committee code -> members).
- openstates/people for Massachusetts: one YAML file a person (``legislature/``,
  ``executive/``) or a committee (``committees/``).

A problem is a ``FormatProblem`` naming the file and what is wrong with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import yaml

try:  # libyaml is ten times faster on the 1 MB member file; the pure loader gives the same data
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

CONGRESS = "congress"
OPENSTATES_MA = "openstates-ma"


class FormatProblem(ValueError):
    def __init__(self, file: str, cause: str) -> None:
        super().__init__(cause)
        self.file = file
        self.cause = cause


@dataclass(frozen=True)
class Member:
    member_id: str  # bioguide (C000127) or Open States id (ocd-person/...)
    name: str
    chamber: str  # senate, house, or an executive office (governor, ...)
    party: str
    state: str  # two-letter code
    district: str  # "5" for a House seat, "7th Hampden" in Massachusetts, "" for a senator
    url: str
    phone: str
    address: str
    email: str
    source: str


@dataclass(frozen=True)
class Committee:
    committee_id: str  # thomas id (SSHR, SSHR11) or Open States id
    name: str
    chamber: str  # senate, house, joint
    parent: str
    jurisdiction: str
    url: str
    #: Other names people use, "|"-separated ("Joint Labor and Workforce Development").
    aliases: str
    source: str


@dataclass(frozen=True)
class Membership:
    committee_id: str
    member_id: str
    member_name: str
    role: str  # chair, vice chair, ranking member, ex officio, member
    title: str  # as the publisher gives it (Chairman, ranking republican member)
    rank: int
    source: str


def load_yaml(file: str, data: bytes):
    try:
        return yaml.load(data, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise FormatProblem(file, f"not valid YAML{where}") from None


def role_of(title: str) -> str:
    """The publisher's title as one of chair, vice chair, ranking member, ex officio, member."""
    t = " ".join(title.lower().split())
    if not t:
        return "member"
    if "ranking" in t:
        return "ranking member"
    if "vice" in t:
        return "vice chair"
    if "chair" in t:
        return "chair"
    if "ex officio" in t:
        return "ex officio"
    return "member"


# -- unitedstates/congress-legislators ------------------------------------------------------------------


def congress_members(file: str, data: bytes) -> list[Member]:
    entries = load_yaml(file, data)
    if not isinstance(entries, list) or not entries:
        raise FormatProblem(file, "expected a list of legislators")
    out = []
    for n, entry in enumerate(entries, start=1):
        try:
            bioguide = entry["id"]["bioguide"]
            term = entry["terms"][-1]
            name = entry["name"].get("official_full") or f"{entry['name']['first']} {entry['name']['last']}"
            chamber = {"sen": "senate", "rep": "house"}[term["type"]]
        except (KeyError, TypeError, IndexError, AttributeError):
            raise FormatProblem(file, f"legislator {n} lacks an id, a name or a term with a type") from None
        out.append(Member(
            member_id=bioguide, name=name, chamber=chamber, party=str(term.get("party", "")),
            state=str(term.get("state", "")), district=str(term["district"]) if chamber == "house" else "",
            url=str(term.get("url") or term.get("contact_form") or ""), phone=str(term.get("phone") or ""),
            address=str(term.get("address") or term.get("office") or ""), email="", source=CONGRESS,
        ))
    return out


def congress_committees(file: str, data: bytes) -> list[Committee]:
    entries = load_yaml(file, data)
    if not isinstance(entries, list) or not entries:
        raise FormatProblem(file, "expected a list of committees")
    out = []
    for n, entry in enumerate(entries, start=1):
        try:
            code, name, chamber = entry["thomas_id"], entry["name"], entry["type"]
        except (KeyError, TypeError):
            raise FormatProblem(file, f"committee {n} lacks a thomas_id, a name or a type") from None
        out.append(Committee(code, name, chamber, "", " ".join(str(entry.get("jurisdiction", "")).split()),
                             str(entry.get("url", "")), "", CONGRESS))
        for sub in entry.get("subcommittees") or []:
            try:
                out.append(Committee(code + str(sub["thomas_id"]), sub["name"], chamber, code, "",
                                     str(entry.get("url", "")), "", CONGRESS))
            except (KeyError, TypeError):
                raise FormatProblem(file, f"a subcommittee of {code} lacks a thomas_id or a name") from None
    return out


def congress_memberships(file: str, data: bytes) -> list[Membership]:
    table = load_yaml(file, data)
    if not isinstance(table, dict) or not table:
        raise FormatProblem(file, "expected committee codes mapped to member lists")
    out = []
    for code, members in table.items():
        for n, m in enumerate(members or [], start=1):
            try:
                out.append(Membership(str(code), m["bioguide"], m["name"], role_of(str(m.get("title", ""))),
                                      str(m.get("title", "")), int(m.get("rank") or n), CONGRESS))
            except (KeyError, TypeError, ValueError):
                raise FormatProblem(file, f"member {n} of {code} lacks a bioguide id or a name") from None
    return out


# -- openstates/people ----------------------------------------------------------------------------------

_CHAMBERS = {"upper": "senate", "lower": "house", "legislature": "joint"}


def openstates_person(file: str, data: bytes, *, as_of: date) -> Member | None:
    """The person's role current on ``as_of`` (None when every role has ended)."""
    entry = load_yaml(file, data)
    if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
        raise FormatProblem(file, "a person needs an id and a name")
    current = [r for r in entry.get("roles") or []
               if isinstance(r, dict) and (not r.get("end_date") or _date(r["end_date"]) >= as_of)]
    if not current:
        return None
    role = current[-1]
    offices = entry.get("offices") or []
    capitol = next((o for o in offices if o.get("classification") == "capitol"), offices[0] if offices else {})
    links = entry.get("links") or []
    parties = entry.get("party") or []
    return Member(
        member_id=entry["id"], name=entry["name"], chamber=_CHAMBERS.get(role.get("type"), str(role.get("type"))),
        party=str(parties[-1].get("name", "")) if parties else "", state="MA",
        district=str(role.get("district") or ""), url=str(links[0].get("url", "")) if links else "",
        phone=str(capitol.get("voice") or ""), address=str(capitol.get("address") or ""),
        email=str(entry.get("email") or ""), source=OPENSTATES_MA,
    )


def openstates_committee(file: str, data: bytes) -> tuple[Committee, list[Membership]]:
    entry = load_yaml(file, data)
    if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
        raise FormatProblem(file, "a committee needs an id and a name")
    others = [o["name"] for o in entry.get("other_names") or [] if isinstance(o, dict) and o.get("name")]
    chamber = _CHAMBERS.get(entry.get("chamber"), str(entry.get("chamber", "")))
    # Open States names "Labor and Workforce Development"; people say "Joint Committee on ...".
    name = next((o for o in others if re.match(r"(joint|house|senate) committee on ", o, re.I)), entry["name"])
    links = entry.get("links") or entry.get("sources") or []
    committee = Committee(entry["id"], name, chamber, str(entry.get("parent") or ""), "",
                          str(links[0].get("url", "")) if links else "", "|".join([entry["name"], *others]),
                          OPENSTATES_MA)
    members = []
    for n, m in enumerate(entry.get("members") or [], start=1):
        if not isinstance(m, dict) or not m.get("name"):
            raise FormatProblem(file, f"member {n} has no name")
        title = " ".join(str(m.get("role") or "member").split())
        members.append(Membership(entry["id"], str(m.get("person_id") or ""), m["name"], role_of(title), title, n,
                                  OPENSTATES_MA))
    return committee, members


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
