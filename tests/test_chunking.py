from assistant.retrieval.chunking import chunk_document, split_sentences
from assistant.types import Document

MD = """# Guide

## Pay and outlook
The median pay was $62,630 in 2024. Growth is 13% over 2024-34.

### Pay by employer
Hospitals paid $74,560. Wholesalers paid $66,640.

## Training
""" + " ".join(f"Sentence number {i} explains a training detail." for i in range(60))


def doc(text=MD, **kw):
    return Document(doc_id="guide", source="guide.md", title="Guide", text=text, markdown=True, **kw)


def test_chunks_carry_their_heading_trail():
    chunks = chunk_document(doc(), size=300, overlap=40)
    by_text = {c.text.split(".")[0]: c.headings for c in chunks}
    assert by_text["The median pay was $62,630 in 2024"] == "Guide > Pay and outlook"
    assert by_text["Hospitals paid $74,560"] == "Guide > Pay and outlook > Pay by employer"
    assert all(c.headings == "Guide > Training" for c in chunks if "training detail" in c.text)


def test_long_sections_split_under_size_and_ids_are_deterministic():
    first = chunk_document(doc(), size=300, overlap=40)
    second = chunk_document(doc(), size=300, overlap=40)
    assert [c.chunk_id for c in first] == [f"guide:{i}" for i in range(len(first))]
    assert [(c.chunk_id, c.text) for c in first] == [(c.chunk_id, c.text) for c in second]
    assert len(first) > 4 and all(len(c.text) <= 300 for c in first)


def test_plain_text_has_no_headings():
    plain = Document(doc_id="p", source="p.txt", title="P", text="One. Two.")
    [chunk] = chunk_document(plain, size=300, overlap=40)
    assert chunk.headings == "" and chunk.embed_text == "One. Two."


def test_sentence_spans_respect_abbreviations_and_list_items():
    text = "The U.S. House passed H.R. 6655 in 2024. It went to the Senate.\n- Item one is here\n2. Item two"
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "The U.S. House passed H.R. 6655 in 2024.",
        "It went to the Senate.",
        "Item one is here",
        "Item two",
    ]
