"""Lexical (BM25) side of the index: building, saving, loading and scoring with bm25s.

Terms come from ``assistant.text.tokens``, the tokenizer queries use too.
"""

from __future__ import annotations

import logging
from pathlib import Path

import bm25s
import numpy as np

from assistant.text.tokens import tokenize

logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """A bm25s index over chunk texts, scored for every chunk at once."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self.retriever = retriever
        self.size = size
        # The last query's scores: a large index asks for them twice per question (its candidates, then
        # their ranking). One tuple, replaced whole, so threads never read a query with another's scores.
        self._last: tuple[str, np.ndarray] | None = None

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        retriever = bm25s.BM25()
        retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0), size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros when no query term is in the vocabulary).
        The work is the postings of the query's terms; the array is read-only."""
        last = self._last
        if last is not None and last[0] == query:
            return last[1]
        vocab = self.retriever.vocab_dict
        tokens = [t for t in tokenize([query])[0] if t in vocab]
        if not tokens:
            found = np.zeros(self.size, dtype=np.float32)
        else:
            found = np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)
        found.flags.writeable = False
        self._last = (query, found)
        return found
