from datetime import date
from pathlib import Path

import pytest

from assistant.errors import LoadError
from assistant.retrieval.loaders import FoundFile, default_doc_id, discover, load_file

DATA = Path(__file__).parent / "data"


def load(path: Path, data: bytes | None = None):
    return load_file(FoundFile(path=path, display=str(path)), data)


def test_markdown_front_matter_becomes_metadata():
    [doc] = load(DATA / "corpus" / "bmet-basics.md")
    assert doc.doc_id == "bmet-basics"
    assert doc.title == "Becoming a biomedical equipment technician"
    assert doc.doc_type == "career_pathway"
    assert doc.audience == ("student",)
    assert doc.occupations == ("49-9062",)
    assert doc.source_urls[0].startswith("https://www.bls.gov/")
    assert doc.published == date(2025, 5, 1)
    assert doc.markdown and "## Pay" in doc.text and "---" not in doc.text[:5]


def test_text_file_titled_by_first_line_and_id_from_path():
    path = DATA / "corpus" / "notes.txt"
    [doc] = load(path)
    assert doc.title.startswith("Respiratory therapists care")
    assert doc.doc_id == default_doc_id(str(path))
    assert doc.doc_type == "reference"


def test_html_keeps_article_text_and_drops_script_style_nav_footer():
    [doc] = load(DATA / "corpus" / "article.html")
    assert doc.title == "Surgical technologists"
    assert "hand instruments to surgeons" in doc.text
    for unwanted in ("alert", "color:red", "Home | Careers", "Copyright footer"):
        assert unwanted not in doc.text


def test_pdf_text_is_extracted():
    [doc] = load(DATA / "corpus" / "test-equipment.pdf")
    assert "Defibrillator analyzers" in doc.text


def test_csv_gives_one_quotable_document_per_row():
    docs = load(DATA / "corpus" / "occupations.csv")
    assert [d.doc_id for d in docs] == ["occupations-49-9062", "occupations-29-1126"]
    assert "$62,630 in 2024" in docs[0].text
    assert "projected to grow 13% over 2024-34" in docs[0].text
    assert docs[0].source_urls == ("https://www.bls.gov/ooh/installation-maintenance-and-repair/medical-equipment-repairers.htm",)
    assert docs[1].source_urls == ()


@pytest.mark.parametrize(
    ("name", "cause"),
    [
        ("corrupt.pdf", "corrupt or unreadable PDF"),
        ("junk.txt", "binary content"),
        ("latin1.md", "not valid UTF-8"),
        ("empty.md", "file is empty"),
        ("broken-front-matter.md", "broken YAML front matter"),
    ],
)
def test_bad_files_raise_one_line_error_naming_the_file(name, cause):
    path = DATA / "bad" / name
    with pytest.raises(LoadError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(str(path)) and cause in message
    assert "\n" not in message


def test_invalid_front_matter_values_are_named():
    path = Path("x.md")
    with pytest.raises(LoadError, match="doc_type 'blog' is not one of"):
        load(path, b"---\ndoc_type: blog\n---\nbody")
    with pytest.raises(LoadError, match="as_of 'soon' is not a date"):
        load(path, b"---\nas_of: soon\n---\nbody")
    with pytest.raises(LoadError, match="never closed"):
        load(path, b"---\ntitle: x\nbody without closing")


def test_discover_skips_unknown_types_and_reports_missing_paths(tmp_path):
    (tmp_path / "a.md").write_text("# A\ntext")
    (tmp_path / "b.docx").write_bytes(b"PK")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.md").write_text("secret")
    found, skipped, missing = discover([tmp_path, tmp_path / "nope"])
    assert [f.path.name for f in found] == ["a.md"]
    assert skipped == [str(tmp_path / "b.docx")]
    assert "no such file or folder" in str(missing[0])
