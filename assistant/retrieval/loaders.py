"""Turn files into ``Document`` objects: Markdown (with YAML front matter), text, HTML, PDF, CSV.

A loader either returns documents or raises ``LoadError`` naming the file and the cause; the
caller (ingest) records the error and goes on with the other files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml

from assistant.errors import LoadError
from assistant.occupations.extract import find_extracts, is_extract
from assistant.types import AUDIENCES, DOC_TYPES, Document

SUPPORTED = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".csv")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_ID_SAFE = re.compile(r"[^a-z0-9]+")
# A CommonMark link reference definition on its own line: ``[label]: url`` or ``[label]: <url> "title"``.
# Footnotes (``[^1]: ...``) are text, not links, so a label may not start with ``^``.
_LINK_DEFINITION = re.compile(
    r"^ {0,3}\[(?!\^)[^\]]+\]:[ \t]*<?([^\s<>]+)>?(?:[ \t]+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?[ \t\r]*$"
)
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


@dataclass(frozen=True)
class FoundFile:
    path: Path
    #: The path as the user named it (relative paths stay relative), shown and cited as ``source``.
    display: str


def discover(paths: Iterable[str | Path]) -> tuple[list[FoundFile], list[str], list[LoadError]]:
    """Expand files and folders into supported files, skipped files and missing paths."""
    found: list[FoundFile] = []
    skipped: list[str] = []
    missing: list[LoadError] = []
    for raw in paths:
        root = Path(raw)
        # A data extract (corpus/data/) is imported into the data tables by Service.ingest, not indexed.
        if root.is_file():
            candidates = [] if is_extract(root.parent) else [root]
        elif root.is_dir():
            extracts = find_extracts([root])
            candidates = sorted(p for p in root.rglob("*") if p.is_file() and not _hidden(p, root)
                                and not any(p.is_relative_to(e) for e in extracts))
        else:
            missing.append(LoadError(str(raw), "no such file or folder"))
            continue
        for path in candidates:
            if path.suffix.lower() in SUPPORTED:
                found.append(FoundFile(path=path.resolve(), display=str(path)))
            else:
                skipped.append(str(path))
    return found, skipped, missing


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def load_file(found: FoundFile, data: bytes | None = None) -> list[Document]:
    """Load one file into one or more documents (a CSV gives one per row)."""
    data = found.path.read_bytes() if data is None else data
    suffix = found.path.suffix.lower()
    if not data.strip():
        raise LoadError(found.display, "file is empty")
    if suffix == ".pdf":
        return [_load_pdf(found, data)]
    text = _decode(found.display, data)
    if suffix in (".md", ".markdown"):
        return [_load_markdown(found, text)]
    if suffix in (".html", ".htm"):
        return [_load_html(found, text)]
    if suffix == ".csv":
        return _load_csv(found, text)
    return [_plain(found, text, title=_first_line_title(text, found.path))]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_doc_id(display: str) -> str:
    """A stable id for a file without front matter ``id``: its name plus a hash of its path."""
    stem = _ID_SAFE.sub("-", Path(display).stem.lower()).strip("-")[:40] or "doc"
    return f"{stem}-{hashlib.sha1(display.encode()).hexdigest()[:8]}"


def _decode(display: str, data: bytes) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(display, "binary content (NUL bytes), not a text document")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(display, f"not valid UTF-8 (byte {exc.start}): save the file as UTF-8") from None
    printable = sum(ch.isprintable() or ch.isspace() for ch in text[:4096])
    if printable < 0.9 * min(len(text), 4096):
        raise LoadError(display, "binary content, not a text document")
    return text


def _plain(found: FoundFile, text: str, *, title: str, **meta) -> Document:
    text = text.strip()
    if not text:
        raise LoadError(found.display, "no text content")
    return Document(
        doc_id=meta.pop("doc_id", None) or default_doc_id(found.display),
        source=found.display,
        title=title,
        text=text,
        **meta,
    )


def _first_line_title(text: str, path: Path) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:120]
    return path.stem


def _load_markdown(found: FoundFile, text: str) -> Document:
    meta: dict = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            parsed = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 2}" if mark else ""
            raise LoadError(found.display, f"broken YAML front matter{where}") from None
        if parsed is not None and not isinstance(parsed, dict):
            raise LoadError(found.display, "front matter must be a mapping of keys to values")
        meta = parsed or {}
        text = text[match.end():]
    elif text.startswith("---"):
        raise LoadError(found.display, "front matter opened with '---' but never closed")
    text, linked = _split_link_definitions(text)
    body_title = _first_line_title(text, found.path)
    fields = _front_matter_fields(found.display, meta)
    if linked:
        # Link references are where a section keeps its sources: they cite, they are not prose.
        own = fields.get("source_urls", ())
        fields["source_urls"] = own + tuple(dict.fromkeys(u for u in linked if u not in own))
    title = fields.pop("title", None) or body_title
    return _plain(found, text, title=title, markdown=True, **fields)


def _split_link_definitions(text: str) -> tuple[str, list[str]]:
    """Remove ``[label]: url`` lines (outside code fences); return the text and their web URLs."""
    lines = text.split("\n")
    kept: list[str] = []
    urls: list[str] = []
    fenced = False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
        definition = None if fenced else _LINK_DEFINITION.match(line)
        if definition is None:
            kept.append(line)
        elif definition.group(1).startswith(("http://", "https://")):
            urls.append(definition.group(1))
    if len(kept) == len(lines):
        return text, []
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)), urls


def _front_matter_fields(display: str, meta: dict) -> dict:
    out: dict = {}
    if "id" in meta:
        out["doc_id"] = str(meta["id"]).strip()
    if "title" in meta:
        out["title"] = str(meta["title"]).strip()
    if "doc_type" in meta:
        doc_type = str(meta["doc_type"]).strip()
        if doc_type not in DOC_TYPES:
            raise LoadError(display, f"doc_type {doc_type!r} is not one of {', '.join(DOC_TYPES)}")
        out["doc_type"] = doc_type
    if "audience" in meta:
        audience = tuple(str(a).strip() for a in _as_list(meta["audience"]))
        unknown = [a for a in audience if a not in AUDIENCES]
        if unknown:
            raise LoadError(display, f"audience {unknown[0]!r} is not one of {', '.join(AUDIENCES)}")
        out["audience"] = audience
    if "jurisdiction" in meta:
        out["jurisdiction"] = str(meta["jurisdiction"]).strip().upper()
    if "occupations" in meta:
        out["occupations"] = tuple(str(o) for o in _as_list(meta["occupations"]))
    if "source_url" in meta:
        out["source_urls"] = tuple(str(u).strip() for u in _as_list(meta["source_url"]))
    for key in ("published", "as_of"):
        if key in meta and "published" not in out:
            out["published"] = _as_date(display, key, meta[key])
    return out


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _as_date(display: str, key: str, value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise LoadError(display, f"{key} {value!r} is not a date (use YYYY-MM-DD)") from None


def _load_html(found: FoundFile, text: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg"]):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks = []
    for el in root.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "pre", "blockquote"]):
        if el.find(["p", "li"]):
            continue  # its children are visited themselves
        words = el.get_text(" ", strip=True)
        if words:
            level = int(el.name[1]) if el.name in ("h1", "h2", "h3", "h4") else 0
            blocks.append(("#" * level + " " + words) if level else words)
    body = "\n\n".join(blocks) or root.get_text("\n", strip=True)
    return _plain(found, body, title=title or _first_line_title(body, found.path), markdown=True)


def _load_pdf(found: FoundFile, data: bytes) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(found.display, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise LoadError(found.display, "PDF has no extractable text (scanned images need OCR first)")
    return _plain(found, text, title=str(title).strip() or _first_line_title(text, found.path))


def _load_csv(found: FoundFile, text: str) -> list[Document]:
    """One document per row: ``key: value`` lines, titled by its title/name column."""
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error as exc:
        raise LoadError(found.display, f"malformed CSV: {exc}") from None
    if not rows:
        raise LoadError(found.display, "CSV has a header but no rows")
    stem = _ID_SAFE.sub("-", found.path.stem.lower()).strip("-")
    docs = []
    for number, row in enumerate(rows, start=2):
        if None in row:
            raise LoadError(found.display, f"row {number} has more cells than the header")
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        key = row.get("soc_code") or row.get("id") or str(number - 1)
        title = row.get("title") or row.get("name") or f"{found.path.stem} row {number - 1}"
        source_url = row.get("source_url", "")
        docs.append(
            Document(
                doc_id=f"{stem}-{_ID_SAFE.sub('-', key.lower()).strip('-')}",
                source=found.display,
                title=title,
                text=_row_text(title, row),
                doc_type="reference",
                audience=AUDIENCES,
                occupations=(row["soc_code"],) if row.get("soc_code") else (),
                source_urls=(source_url,) if source_url else (),
                published=_row_date(row),
            )
        )
    return docs


def _row_date(row: dict) -> date | None:
    year = row.get("pay_year") or row.get("year")
    if year and year.isdigit():
        return date(int(year), 5, 1) if "pay_year" in row else date(int(year), 1, 1)
    return None


def _row_text(title: str, row: dict) -> str:
    """Render an occupations-style row as sentences the answerer can quote."""
    if "median_annual_pay" in row:
        return _occupation_sentences(title, row)
    return "\n".join(f"{k.replace('_', ' ')}: {v}" for k, v in row.items() if v)


def _num(value: str) -> str:
    try:
        return f"{float(value.replace(',', '')):,.0f}"
    except ValueError:
        return value


def _occupation_sentences(title: str, row: dict) -> str:
    # The source URL travels in the citation; these sentences are what an answer quotes.
    soc = f" (SOC {row['soc_code']})" if row.get("soc_code") else ""
    parts = []
    if row.get("median_annual_pay"):
        parts.append(
            f"{title}{soc} earned a median annual pay of ${_num(row['median_annual_pay'])}"
            f" in {row.get('pay_year') or 'the latest year'}."
        )
    else:
        parts.append(f"{title}{soc}.")
    if row.get("employment"):
        parts.append(
            f"{title} held {_num(row['employment'])} jobs in {row.get('employment_year') or 'the latest year'}."
        )
    if row.get("projected_growth_pct"):
        parts.append(
            f"Employment of {title.lower()} is projected to grow {row['projected_growth_pct']}%"
            f" over {row.get('projection_period') or 'the projection period'}."
        )
    if row.get("annual_openings"):
        parts.append(f"About {_num(row['annual_openings'])} openings for {title.lower()} are projected each year.")
    if row.get("entry_education"):
        parts.append(f"The typical entry-level education for {title.lower()} is: {row['entry_education']}.")
    if row.get("main_credentials"):
        creds = ", ".join(c.strip() for c in row["main_credentials"].split(";") if c.strip())
        parts.append(f"Main credentials for {title.lower()}: {creds}.")
    return "\n".join(parts)
