"""The extractive answerer's own thresholds, on hand-built passages whose vectors are chosen so
every score can be worked out by hand.

The question "Tell me about zorblats." shares no word with any sentence below, so word overlap
is 0 and a sentence of the first passage scores

    0.65 * cosine(sentence, question) + 0.1 / (1 + 0)      (semantic_weight, rank_weight)

The question vector is e1 = (1, 0, 0); a sentence vector (c, sqrt(1 - c²), 0) has cosine c.
"""

from __future__ import annotations

import math

import numpy as np

from assistant.answer import ExtractiveAnswerer, Passage
from assistant.types import Hit

QUESTION = "Tell me about zorblats."
QUERY = np.array([1.0, 0.0, 0.0], dtype=np.float32)

LAKES = "The northern lakes freeze solid every winter."
HARBOUR = "Fishing boats return to the harbour before dusk."
ORCHARD = "Apple orchards cover the southern valley slopes."
MARKET = "A weekly market sells cheese and bread downtown."


def at_cosine(c: float, *, sign: float = 1.0) -> list[float]:
    """A unit vector whose cosine with the question is ``c`` (``sign`` picks the side)."""
    return [c, sign * math.sqrt(1 - c * c), 0.0]


def one_passage(*sentences: tuple[str, list[float]]) -> list[Passage]:
    """One document chunk holding ``sentences`` (text, vector) as prose lines."""
    texts = tuple(text for text, _ in sentences)
    body = " ".join(texts)
    hit = Hit(chunk_id="atlas:0", doc_id="atlas", text=body, headings="",
              metadata={"title": "Atlas", "source": "corpus/atlas.md", "doc_type": "reference",
                        "published": 0, "position": 0, "url": "https://example.org/atlas"})
    vectors = np.array([v for _, v in sentences], dtype=np.float32)
    return [Passage(hit=hit, sentences=texts, vectors=vectors)]


def answer(passages, **options):
    return ExtractiveAnswerer(**options).answer(QUESTION, passages, query_vector=QUERY)


# -- abstention: min_score 0.30 ---------------------------------------------------------------------

def test_abstains_when_the_best_sentence_scores_below_min_score():
    # 0.65 * 0.30 + 0.1 = 0.295 < 0.30
    result = answer(one_passage((LAKES, at_cosine(0.30))))
    assert result.abstained and result.citations == ()


def test_answers_when_the_best_sentence_reaches_min_score():
    # 0.65 * 0.35 + 0.1 = 0.3275 >= 0.30
    result = answer(one_passage((LAKES, at_cosine(0.35))))
    assert not result.abstained
    assert result.text == f"{LAKES} [1]"


def test_min_score_is_the_setting_not_a_constant():
    # The same 0.295 sentence is quoted once the bar is lowered to 0.25.
    result = answer(one_passage((LAKES, at_cosine(0.30))), min_score=0.25)
    assert result.text == f"{LAKES} [1]"



def test_no_supporting_sentence_is_quoted_below_min_score():
    # The market line (cosine 0) scores 0.1 < 0.30: left out even though min_sentences (2) is not met.
    result = answer(one_passage((LAKES, at_cosine(0.9)), (MARKET, [0.0, 0.0, 1.0])))
    assert result.text == f"{LAKES} [1]"

# -- near duplicates: duplicate_similarity 0.88 ---------------------------------------------------

def test_a_sentence_close_in_meaning_to_one_already_quoted_is_left_out():
    lakes, harbour, orchard = at_cosine(0.9), at_cosine(0.85), at_cosine(0.8, sign=-1)
    # lakes·harbour = 0.9*0.85 + 0.4359*0.5268 = 0.995 > 0.88: the same thing said twice.
    # lakes·orchard = 0.9*0.8 - 0.4359*0.6 = 0.458: a fact of its own.
    # Scores 0.685, 0.6525, 0.62: all above the relative floor (0.68 * 0.685 = 0.466).
    passages = one_passage((LAKES, lakes), (HARBOUR, harbour), (ORCHARD, orchard))
    assert float(np.dot(lakes, harbour)) > 0.88 > float(np.dot(lakes, orchard))
    assert answer(passages).text == f"{LAKES} [1] {ORCHARD} [1]"


def test_with_a_stricter_duplicate_bar_both_close_sentences_are_quoted():
    passages = one_passage((LAKES, at_cosine(0.9)), (HARBOUR, at_cosine(0.85)), (ORCHARD, at_cosine(0.8, sign=-1)))
    assert answer(passages, duplicate_similarity=0.999).text == f"{LAKES} [1] {HARBOUR} [1] {ORCHARD} [1]"


# -- relative floor: 0.68 of the best -----------------------------------------------------------------

def test_support_scoring_below_the_relative_floor_is_left_out():
    # Best 0.65*0.9 + 0.1 = 0.685, floor 0.68 * 0.685 = 0.4658.
    # Harbour 0.65*0.6 + 0.1 = 0.49 stays; orchard 0.65*0.5 + 0.1 = 0.425 goes, though it clears
    # min_score (0.30). No two of these vectors are near duplicates (every dot below 0.88).
    passages = one_passage((LAKES, at_cosine(0.9)), (HARBOUR, at_cosine(0.6, sign=-1)),
                           (ORCHARD, at_cosine(0.5)), (MARKET, [0.0, 0.0, 1.0]))
    assert answer(passages).text == f"{LAKES} [1] {HARBOUR} [1]"


def test_the_floor_is_a_share_of_the_best_sentence():
    # With the floor at 0.6 (0.411), orchard's 0.425 is quoted too; the market line (cosine 0,
    # 0.1) stays out under min_score.
    passages = one_passage((LAKES, at_cosine(0.9)), (HARBOUR, at_cosine(0.6, sign=-1)),
                           (ORCHARD, at_cosine(0.5)), (MARKET, [0.0, 0.0, 1.0]))
    assert answer(passages, relative_floor=0.6).text == f"{LAKES} [1] {HARBOUR} [1] {ORCHARD} [1]"


def test_the_floor_does_not_cut_below_min_sentences():
    # Only the best and one sentence under the floor: the second is still quoted (min_sentences 2).
    passages = one_passage((LAKES, at_cosine(0.9)), (ORCHARD, at_cosine(0.5, sign=-1)))
    assert answer(passages).text == f"{LAKES} [1] {ORCHARD} [1]"
