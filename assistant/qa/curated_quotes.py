"""What a curated answer quotes, as the documents' own sentences: the match's ``quote_gap`` feature.

A curated answer is about its quotes. Owns finding the index sentences each quote holds and the
``quote_gap`` of a question against an answer's phrasing: how far the question's closest quoted
sentence falls below its closest sentence anywhere in the index (retrieval's cosines of every
sentence, already computed), less the same gap of the phrasing itself, capped at 0. A question
the quotes answer as well as they answer the phrasing scores 0; one whose fact sits in another
sentence scores below 0. An answer without quotes (or whose quotes are no longer in this index)
scores 0, as if asked in its own words. Pure: it reads the loaded index only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from assistant.models import Excerpt, PublishedCurated
from assistant.search.index import LoadedIndex

QUOTE_GAP_RANGE = (-2.0, 0.0)  # cosines lie in [-1, 1]; the gap is capped at 0


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("…", " ")).strip().lower()


def quote_rows(index: LoadedIndex, quote: Excerpt) -> list[int]:
    """The sentence rows of the quote's passage that the quote holds (or that hold it); all the passage's
    sentences when the quote matches none of them one by one; none for a passage not in this index."""
    rows = index.sentence_rows.get(quote.chunk_id, [])
    wanted = _plain(quote.text)
    held = [row for row in rows if (text := _plain(index.sentences[row].text)) and (text in wanted or wanted in text)]
    return held or list(rows)


class QuoteTable:
    """The quoted sentence rows of every answer and the quote gap of every phrasing in its own words."""

    def __init__(self, records: Sequence[PublishedCurated], owner: np.ndarray, phrasing_vectors: np.ndarray,
                 index: LoadedIndex) -> None:
        self.sentence_vectors = index.sentence_vectors
        per_record = [sorted({row for quote in r.quotes for row in quote_rows(index, quote)}) for r in records]
        self.quoted = np.array([bool(rows) for rows in per_record], dtype=bool)
        # One segment per answer for ``np.maximum.reduceat``; an answer without quotes gets row 0, masked later.
        segments = [rows or [0] for rows in per_record]
        self.flat = np.array([row for rows in segments for row in rows], dtype=np.int64)
        self.starts = np.cumsum([0, *(len(rows) for rows in segments[:-1])]).astype(np.int64)
        self.owner = owner
        self.own_gap = np.zeros(len(owner))
        if len(owner) and len(self.flat) and len(self.sentence_vectors):
            own = np.asarray(phrasing_vectors, dtype=np.float32) @ self.sentence_vectors.T
            for row, record in enumerate(owner):
                self.own_gap[row] = own[row, per_record[record]].max() - own[row].max() if per_record[record] else 0.0

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """The cosine of a question vector with every sentence of the index (as retrieval computes it)."""
        return self.sentence_vectors @ vector.astype(np.float32, copy=False)

    def gaps(self, similarities: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The ``quote_gap`` of a question (its cosine with every index sentence) against the phrasings ``rows``."""
        if not len(rows) or not len(similarities) or not len(self.flat):
            return np.zeros(len(rows))
        best = float(similarities.max())
        quoted_best = np.maximum.reduceat(similarities[self.flat], self.starts)
        records = self.owner[rows]
        gap = np.minimum(quoted_best[records] - best - self.own_gap[rows], 0.0)
        return np.where(self.quoted[records], gap, 0.0)
