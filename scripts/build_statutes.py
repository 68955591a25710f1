"""Build the statute documents in corpus/statutes/ from the U.S. Code pieces in ../shared/data/uscode.

    python scripts/build_statutes.py --from ../shared/data/uscode

One Markdown document per code section: the pieces of a section (one file each, numbered in
order) are joined in file order under the section's heading trail. Deterministic: the same
inputs give the same bytes, so a re-run on unchanged data leaves git nothing to commit.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.statutes import ACT_SECTIONS, BY_CODE  # noqa: E402

#: Source folder -> (U.S. Code title, the act, as the README of the data calls it).
CHAPTERS = {
    "29-usc-ch32-wioa": (29, "Workforce Innovation and Opportunity Act (WIOA), 29 U.S.C. chapter 32"),
    "20-usc-ch44-perkins": (20, "Perkins V career and technical education, 20 U.S.C. chapter 44"),
    "29-usc-ch4c-apprenticeship": (29, "National Apprenticeship Act, 29 U.S.C. chapter 4C"),
}
AS_OF = "2023-04-01"  # the data's README: "U.S. Code as of April 2023"
URL = "https://uscode.house.gov/view.xhtml?req=granuleid:USC-prelim-title{title}-section{section}&num=0&edition=prelim"
# Every WIOA piece carries "## Subtitle F— Transition Rules and Effective Dates" above chapter 32;
# chapter 32 belongs to no subtitle of title 29 (uscode.house.gov's own trail is title > chapter),
# so that line is a left-over of the chunking and would mislead readers and search alike.
_BOGUS = re.compile(r"^## Subtitle F\W+Transition Rules and Effective Dates\s*$")
_SECTION = re.compile(r"^#### §\s*(\S+?)\.\s+(.*)$")


@dataclass
class Section:
    title: int
    number: str
    heading: str
    trail: list[str]
    pieces: list[str] = field(default_factory=list)


def read_sections(folder: Path, title: int) -> list[Section]:
    files = sorted(folder.glob("chunck-*.md"), key=lambda p: int(re.search(r"(\d+)", p.stem).group(1)))
    sections: dict[str, Section] = {}
    for path in files:
        lines = path.read_text(encoding="utf-8").strip("\n").split("\n")
        trail, body = [], []
        number = None
        for i, line in enumerate(lines):
            match = _SECTION.match(line)
            if match:
                number, heading = match.group(1), match.group(2).strip()
                body = lines[i + 1:]
                break
            if line.startswith("#") and not _BOGUS.match(line):
                trail.append(line.strip())
        if number is None:
            raise SystemExit(f"{path}: no '#### § N.' section heading")
        section = sections.setdefault(number, Section(title, number, heading, trail + [lines[i].strip()]))
        section.pieces.append("\n".join(body).strip())
    return list(sections.values())


def render(section: Section) -> tuple[str, str]:
    """(document id, Markdown text) for one section."""
    citation = f"{section.title} U.S.C. {section.number}"
    act = BY_CODE.get((section.title, section.number))
    doc_id = f"usc-{section.title}-{section.number}"
    front = [
        "---",
        f"id: {doc_id}",
        f"title: {_quote(f'{citation}: {section.heading}')}",
        "doc_type: statute",
        "jurisdiction: US",
        "audience: [advocacy]",
        f"source_url: {URL.format(title=section.title, section=section.number)}",
        f"as_of: {AS_OF}",
        f"citation: {citation}",
    ]
    if act is not None:
        front.append(f"act_section: {act.label}")
    front.append("---")
    lead = f"{citation}" + (f" ({act.label})" if act else "") + f": {section.heading}"
    body = "\n\n".join(p for p in section.pieces if p)
    text = "\n".join(front) + "\n\n" + "\n".join(section.trail) + f"\n\n{lead}.\n\n{body}\n"
    return doc_id, re.sub(r"\n{3,}", "\n\n", text)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build(source: Path, target: Path) -> dict[str, int]:
    target.mkdir(parents=True, exist_ok=True)
    counts = {}
    headings: dict[tuple[int, str], str] = {}
    for name, (title, _) in CHAPTERS.items():
        sections = read_sections(source / name, title)
        for section in sections:
            doc_id, text = render(section)
            (target / f"{doc_id}.md").write_text(text, encoding="utf-8")
        counts[name] = len(sections)
        headings.update({(s.title, s.number): s.heading for s in sections})
    (target / "README.md").write_text(readme(source, headings), encoding="utf-8")
    return counts


def readme(source: Path, headings: dict[tuple[int, str], str]) -> str:
    """The folder's README: where the text comes from, its credits, and the act-section map."""
    notice = (source / "LICENSE-chunking").read_text(encoding="utf-8").strip()
    rows = [f"| {a.label} | {a.usc_title} U.S.C. {a.usc_section} | {headings.get((a.usc_title, a.usc_section), '')} |"
            for a in ACT_SECTIONS.values()]
    chapters = "\n".join(f"- {label}" for _, label in CHAPTERS.values())
    return f"""---
id: statutes-section-map
title: "Statute sections in this corpus: sources, credits, and the WIOA and Perkins section map"
doc_type: reference
audience: [advocacy]
jurisdiction: US
source_url: https://uscode.house.gov/
as_of: {AS_OF}
---

# Statute sections in this corpus

One document per section of the U.S. Code (as of April 2023, with no later amendment of these
chapters) for:

{chapters}

Each document is titled by its citation and heading (29 U.S.C. 3174: Use of funds for
employment and training activities), links to the section on uscode.house.gov, and keeps the
title, chapter and section headings above the text. Built by `python scripts/build_statutes.py`
from `../shared/data/uscode`, where each section comes in pieces that the script joins in order.
The line "Subtitle F— Transition Rules and Effective Dates" that every WIOA piece carries above
chapter 32 is left out: chapter 32 is not part of any subtitle of title 29.

## Credits

The statute text is a work of the United States government and in the public domain. It was
split into pieces by CodeX Stanford; that chunking is used under the MIT License:

```
{notice}
```

## Act sections and code sections

The acts number their sections differently from the U.S. Code: WIOA section 134 is codified
at 29 U.S.C. 3174. This table was written by hand from the acts' tables of contents and the
order of the chapters (the U.S. Code files do not carry it). Code sections added by later laws
(29 U.S.C. 3193a, 3224a, 3225a, 3226a, 3293 and 50c; 20 U.S.C. 2308) have no act section here.

| act section | U.S. Code | heading |
| --- | --- | --- |
""" + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, default=REPO.parent / "shared" / "data" / "uscode",
                        help="the uscode folder of the shared data (default: ../shared/data/uscode)")
    parser.add_argument("--to", dest="target", type=Path, default=REPO / "corpus" / "statutes",
                        help="where to write the documents (default: corpus/statutes)")
    args = parser.parse_args(argv)
    counts = build(args.source, args.target)
    print(", ".join(f"{name}: {n} sections" for name, n in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
