"""Phrasings of a question: the one normal form two phrasings are compared in, and "similar words".

``normalise_phrasing`` is what makes two phrasings the same phrasing (case, accents' compatibility
forms, punctuation and spacing do not count): a curated answer's phrasings are stored with it and
a phrasing may belong to one published answer only. ``phrasing_terms`` is the set of stemmed,
stop-word-free terms (the project's one tokenizer); two questions are asked "in similar words" when
their term sets overlap by at least ``SIMILAR_WORDS`` (Jaccard: shared terms / all terms), so word
order, plurals and small words do not matter but a different country or topic does.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.text.tokens import tokenize

# Jaccard overlap of two term sets from which questions count as asked in similar words. Questions
# have 4-8 terms; "How did Myanmar trainers sell SCORE?" and "how do trainers in Myanmar sell the
# SCORE training" share 5 of 8 (0.625), while swapping the country or the topic of a 5-term
# question leaves at most 4 of 6 (0.57). Only the review queue groups questions with it.
SIMILAR_WORDS = 0.6


def normalise_phrasing(text: str) -> str:
    """Lower case, compatibility forms, every run of punctuation or space as one space, trimmed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", folded))


def phrasing_terms(text: str) -> frozenset[str]:
    """The stemmed, stop-word-free terms of a question."""
    return frozenset(tokenize([text])[0])


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two term sets (0 when both are empty)."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def similar_words(a: frozenset[str], b: frozenset[str], threshold: float = SIMILAR_WORDS) -> bool:
    return overlap(a, b) >= threshold
