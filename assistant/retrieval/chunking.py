"""Split documents into passages (pure: no I/O, no models).

Markdown is split on headings first, so each chunk carries the trail of headings it sits under
("Pay and outlook > Pay by employer"); long sections are then split on paragraph and sentence
boundaries with LangChain's recursive splitter. Chunk ids are ``{doc_id}:{position}``, so the
same document always yields the same ids and re-ingesting overwrites instead of duplicating.
"""

from __future__ import annotations

import re

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from assistant.types import Chunk, Document

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]
# Sentence ends: a full stop, question or exclamation mark followed by space and a capital,
# digit, quote or bracket. Abbreviations common in this corpus must not end a sentence.
_NOT_AFTER = ("e.g.", "i.e.", "vs.", "No.", "St.", "Dr.", "Inc.", "Rep.", "Reps.", "Sen.", "approx.", "etc.",
              "c.", "ca.")
_ABBREV = "".join(rf"(?<!\b{re.escape(a)})" for a in _NOT_AFTER) + r"(?<!\b[A-Z]\.)"
_SENTENCE_END = re.compile(r"(?<=[.!?])" + _ABBREV + r"[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9$])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def chunk_document(doc: Document, *, size: int, overlap: int) -> list[Chunk]:
    """Split ``doc`` into chunks of about ``size`` characters with ``overlap`` between neighbours."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
    )
    sections = _sections(doc) if doc.markdown else [("", doc.text)]
    chunks: list[Chunk] = []
    for headings, body in sections:
        for piece in splitter.split_text(body):
            piece = piece.strip()
            if not piece:
                continue
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}:{len(chunks)}",
                    doc_id=doc.doc_id,
                    position=len(chunks),
                    text=piece,
                    headings=headings,
                )
            )
    return chunks


def _sections(doc: Document) -> list[tuple[str, str]]:
    splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True)
    out = []
    for part in splitter.split_text(doc.text):
        trail = [part.metadata[key] for _, key in _HEADERS if part.metadata.get(key)]
        # The document title usually repeats the h1; keep the trail short and informative.
        if trail and trail[0].strip().lower() == doc.title.strip().lower():
            trail = trail[1:]
        out.append((" > ".join([doc.title, *trail]), part.page_content))
    return out or [(doc.title, doc.text)]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences (and list items) of ``text``, in order."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            start_in_line = line.index(stripped[0])
            marker = _LIST_ITEM.match(stripped)
            if marker:
                start_in_line += marker.end()
            body_start = offset + start_in_line
            body = text[body_start: offset + len(line.rstrip())]
            last = 0
            for match in _SENTENCE_END.finditer(body):
                spans.append((body_start + last, body_start + match.start() + _closing(body, match)))
                last = match.end()
            if body[last:].strip():
                spans.append((body_start + last, body_start + len(body.rstrip())))
        offset += len(line)
    return [(s, e) for s, e in spans if e > s]


def _closing(body: str, match: re.Match) -> int:
    # Keep a closing quote or bracket that follows the full stop with its sentence.
    tail = body[match.start(): match.end()]
    return len(tail) - len(tail.lstrip("\"')]"))
