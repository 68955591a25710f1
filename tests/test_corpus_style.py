"""The shipped corpus reads as prose: sources outside sentences, every figure with its year.

House rule (docs/corpus.md): every figure has its source and year, kept in front matter or as link
references at the end of a section, never as a URL inside a sentence. These checks run on the
documents exactly as the loader and chunker index them, so a source note that slips back into a
sentence, or a link reference the loader fails to strip, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from assistant.retrieval.chunking import chunk_document, split_sentences
from assistant.retrieval.loaders import FoundFile, load_file

REPO = Path(__file__).resolve().parents[1]
# The hand-written documents; corpus/data holds data extracts and their README, which are not prose.
DOCUMENT_FOLDERS = ("careers", "training", "policy")
CORPUS_FILES = sorted(p for folder in DOCUMENT_FOLDERS for p in (REPO / "corpus" / folder).rglob("*.md"))
RAW_URL = re.compile(r"https?://|www\.", re.I)
FIGURE = re.compile(r"\$\s?\d|\d\s?%|\bpercent\b", re.I)
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
# A figure whose source shows no date says so in its sentence ("an undated article") instead.
UNDATED = re.compile(r"\bundated\b", re.I)
# A trailing parenthetical that names where a fact came from: "(BLS OOH, May 2024 data)".
SOURCE_NOTE = re.compile(
    r"\((?:[^()]*[,;] )?(?:[^()]*\b(?:press release|summary|summaries|report|blog|news|article|via)\b[^()]*)"
    r"(?:,|;)?[^()]*(?:19|20)\d{2}[^()]*\)[.;:]?$"
)


def _load(path: Path):
    [doc] = load_file(FoundFile(path=path, display=str(path.relative_to(REPO))))
    return doc


def _sentences(doc):
    """(heading trail, sentence) for every sentence the index will hold."""
    for chunk in chunk_document(doc, size=100_000, overlap=0):
        for start, end in split_sentences(chunk.text):
            yield chunk.headings, chunk.text[start:end]


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---", 2)[1]) or {}


def test_the_corpus_has_documents():
    assert len(CORPUS_FILES) >= 50


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem)
def test_no_sentence_holds_a_url_or_a_source_note(path):
    doc = _load(path)
    bad = [s for _, s in _sentences(doc) if RAW_URL.search(s) or SOURCE_NOTE.search(s)]
    assert bad == [], f"{path.name}: move these sources to front matter or link references: {bad[:3]}"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem)
def test_document_has_identity_and_a_source(path):
    meta = _front_matter(path)
    missing = [key for key in ("id", "title", "doc_type") if not meta.get(key)]
    assert missing == [], f"{path.name}: front matter lacks {missing}"
    doc = _load(path)
    assert doc.doc_id == meta["id"]
    # Front matter source_url and link references both end up in source_urls.
    assert doc.source_urls, f"{path.name}: no source_url in front matter and no link references"
    assert all(url.startswith(("https://", "http://")) for url in doc.source_urls)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem)
def test_every_figure_has_a_year_in_its_sentence_or_heading(path):
    doc = _load(path)
    undated = [
        s
        for headings, s in _sentences(doc)
        if FIGURE.search(s) and not YEAR.search(s + " " + headings) and not UNDATED.search(s)
    ]
    assert undated == [], f"{path.name}: say when these figures were true: {undated[:3]}"


def test_markdown_link_references_are_sources_not_text(tmp_path):
    path = tmp_path / "pay.md"
    path.write_text(
        "---\nid: pay\nsource_url: [https://example.org/front]\n---\n\n# Pay\n\n"
        "Median pay was $62,630 in May 2024.\n\n"
        "[BLS OOH, May 2024]: https://www.bls.gov/ooh/x.htm\n"
        '  [same page]: <https://example.org/front> "front matter again"\n\n'
        "## Notes\n\n[^1]: A footnote stays text.\n\n```\n[in code]: https://example.org/code\n```\n",
        encoding="utf-8",
    )
    [doc] = load_file(FoundFile(path=path, display=str(path)))
    assert doc.source_urls == ("https://example.org/front", "https://www.bls.gov/ooh/x.htm")
    assert "bls.gov" not in doc.text and "BLS OOH, May 2024" not in doc.text
    assert "Median pay was $62,630 in May 2024." in doc.text
    assert "[^1]: A footnote stays text." in doc.text
    assert "[in code]: https://example.org/code" in doc.text
    assert "\n\n\n" not in doc.text


def test_springfield_page_opens_with_the_local_college():
    # Issue 11: a Springfield senior asking how to become a BMET was first told about a Florida college.
    path = REPO / "corpus" / "training" / "springfield-western-mass-bmet-start.md"
    doc = _load(path)
    _, first = next(_sentences(doc))
    assert "Springfield Technical Community College" in first and "high school senior" in first
    assert doc.jurisdiction == "MA" and doc.occupations == ("49-9062",)
    assert "confirm it with STCC admissions" in doc.text
