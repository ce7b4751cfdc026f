"""Question terms in sentences: which stemmed terms every sentence of the index holds, and their IDF.

Owns the sentence × term matrix (scipy sparse, built once per loaded index) that gives, for a
question, the IDF-weighted share of its terms that each sentence (or each of given sentences) holds,
in one product. Ranking uses
the best share per chunk; evidence uses each sentence's share.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy import sparse

from assistant.text.tokens import tokenize


class SentenceTerms:
    """The terms of every sentence of an index, as a binary sparse matrix with the terms' IDF."""

    def __init__(self, sentences: list[str]) -> None:
        tokens = tokenize(sentences)
        self.vocabulary: dict[str, int] = {}
        rows, columns = [], []
        for row, terms in enumerate(tokens):
            for term in set(terms):
                rows.append(row)
                columns.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
        shape = (len(sentences), max(len(self.vocabulary), 1))
        self.matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=shape)
        self.count = max(len(sentences), 1)
        frequency = np.asarray(self.matrix.sum(axis=0)).ravel()
        self.idf = np.log1p(self.count / np.maximum(frequency, 1.0))
        self.unseen_idf = math.log1p(self.count)  # a term no sentence holds weighs most

    def weights(self, question: str, leave_out: Iterable[str] = ()) -> dict[str, float]:
        """IDF of the question's terms, without the terms of ``leave_out`` (e.g. the places it names)."""
        skip = set(tokenize([" ".join(leave_out)])[0]) if leave_out else set()
        terms = set(tokenize([question])[0]) - skip
        return {t: float(self.idf[self.vocabulary[t]]) if t in self.vocabulary else self.unseen_idf for t in terms}

    def columns_of(self, rows: list[int]) -> set[int]:
        """The terms (columns) the sentences ``rows`` hold between them, read from the CSR arrays."""
        indptr, indices = self.matrix.indptr, self.matrix.indices
        held: set[int] = set()
        for row in rows:
            held.update(indices[indptr[row] : indptr[row + 1]].tolist())
        return held

    def overlap(self, weights: dict[str, float], rows: np.ndarray | None = None) -> np.ndarray:
        """For every sentence (or the sentences ``rows``), the share of the question's term weight it
        holds (0 when no terms)."""
        total = sum(weights.values())
        matrix = self.matrix if rows is None else self.matrix[np.asarray(rows, dtype=np.int64)]
        if not total:
            return np.zeros(matrix.shape[0], dtype=np.float64)
        vector = np.zeros(self.matrix.shape[1], dtype=np.float64)
        for term, weight in weights.items():
            if term in self.vocabulary:
                vector[self.vocabulary[term]] = weight
        return np.asarray(matrix @ vector).ravel() / total
