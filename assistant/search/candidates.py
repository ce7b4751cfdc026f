"""Candidates: the chunks a question is scored on, and the question's scores on their sentences.

Owns choosing the chunk rows a ranking scores — every chunk of a small index
(``index.WHOLE_INDEX_CHUNKS``); in a large one the union of the nearest chunk vectors, the chunks of
the nearest sentence vectors (``search.nearest``), the best BM25 chunks and the best chunks of each
country the question names, within the filters — and ``SentenceScores``: the cosine and the share of
the question's terms of those chunks' sentences, any other sentence's computed when asked for. The
work per question grows with the candidates, not with the index. Ranking them is ``rankers``'.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np

from assistant.search.index import WHOLE_INDEX_CHUNKS, LoadedIndex
from assistant.search.nearest import nearest_rows

# Candidates per finder in a large index. A question's top 5 come, in practice, from the first few
# dozen of each list; a few hundred leave room for the fused ranking to reorder them.
DENSE_CANDIDATES = 200
SENTENCE_CANDIDATES = 200
LEXICAL_CANDIDATES = 200
PLACE_CANDIDATES = 50  # best chunks by cosine of each country the question names


def best_per_row(values: np.ndarray, owners: np.ndarray, count: int, floor: float) -> np.ndarray:
    """The highest value per owner position (``floor`` for an owner without values)."""
    best = np.full(count, floor, dtype=np.float64)
    np.maximum.at(best, owners, values)
    return best


def top_rows(scores: np.ndarray, count: int) -> np.ndarray:
    """The rows of the ``count`` highest positive scores (unordered)."""
    if len(scores) > count:
        rows = np.argpartition(-scores, count)[:count]
    else:
        rows = np.arange(len(scores))
    return rows[scores[rows] > 0]


def chunk_similarities(index: LoadedIndex, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The exact cosine of the question with the chunk vectors ``rows``, read from the flat index."""
    if not len(rows):
        return np.zeros(0, dtype=np.float32)
    vectors = index.dense.reconstruct_batch(np.asarray(rows, dtype=np.int64))
    return np.einsum("ij,j->i", vectors, vector.astype(np.float32, copy=False))  # on this thread, as index's


def _dense_rows(index: LoadedIndex, vector: np.ndarray) -> np.ndarray:
    if index.chunk_ann is not None:
        return nearest_rows(index.chunk_ann, vector, DENSE_CANDIDATES)
    return nearest_rows(index.dense, vector, DENSE_CANDIDATES)  # a build without a finder: exact search


def _sentence_chunk_rows(index: LoadedIndex, vector: np.ndarray) -> np.ndarray:
    # Without a sentence finder a large build lets chunk vectors and BM25 find the candidates: searching
    # every sentence exactly is the cost candidates avoid.
    if index.sentence_ann is None:
        return np.zeros(0, dtype=np.int64)
    return index.sentence_chunk[nearest_rows(index.sentence_ann, vector, SENTENCE_CANDIDATES)]


def _best_of(index: LoadedIndex, vector: np.ndarray, rows: np.ndarray, count: int) -> np.ndarray:
    if len(rows) <= count:
        return rows
    return rows[np.argpartition(-chunk_similarities(index, vector, rows), count)[:count]]


def candidate_rows(
    index: LoadedIndex,
    vector: np.ndarray,
    lexical: Callable[[], np.ndarray],
    countries: list[str],
    allowed: np.ndarray | None,
) -> np.ndarray:
    """The chunk rows a question is scored on, ascending. ``lexical`` gives every chunk's BM25 score;
    ``allowed`` (None: every chunk) is the filters' mask; ``countries`` the indexed ones it names."""
    if index.scored_whole:
        return np.arange(len(index.chunks), dtype=np.int64)
    if allowed is not None and int(allowed.sum()) <= WHOLE_INDEX_CHUNKS:
        return np.flatnonzero(allowed).astype(np.int64)  # a narrow filter: every chunk it allows
    found = [
        _dense_rows(index, vector),
        _sentence_chunk_rows(index, vector),
        top_rows(lexical(), LEXICAL_CANDIDATES).astype(np.int64),
    ]
    for country in countries:
        rows = index.country_rows.get(country, np.zeros(0, dtype=np.int64))
        if allowed is not None:
            rows = rows[allowed[rows]]
        found.append(_best_of(index, vector, rows, PLACE_CANDIDATES))
    rows = np.unique(np.concatenate(found))
    if allowed is not None:
        rows = rows[allowed[rows]]
        if len(rows) < DENSE_CANDIDATES:
            # A broad filter the finders mostly missed: the best allowed chunks by cosine.
            rows = np.union1d(rows, _best_of(index, vector, np.flatnonzero(allowed), DENSE_CANDIDATES))
    return rows


class SentenceScores:
    """The question against sentences: cosine and share of its terms (IDF-weighted, places aside).

    Computed at once for the sentences of the scored chunks (``rows``: every sentence of a small
    index); any other sentence's are computed when asked for, and ``every_*`` hold them all (a full
    pass over the index, for callers that need any row)."""

    def __init__(self, index: LoadedIndex, vector: np.ndarray, weights: dict[str, float],
                 chunk_rows: np.ndarray) -> None:
        self.index, self.vector, self.weights = index, vector, weights
        self.whole = index.scored_whole
        if self.whole:
            self.rows = np.arange(len(index.sentences), dtype=np.int64)
            self.owners = index.sentence_chunk[self.rows]
            self.similarity = index.sentence_similarities(vector)
            self.overlap = index.terms.overlap(weights)
        else:
            self.rows, self.owners = index.sentences_of_rows(chunk_rows)
            self.similarity = index.sentence_similarities(vector, self.rows)
            self.overlap = index.terms.overlap(weights, self.rows)
        self._sorted = np.argsort(self.rows, kind="stable")

    def per_chunk(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """For each of ``count`` scored chunks: its best sentence cosine (-1 without sentences) and
        its best sentence share of the question's terms (0 without)."""
        return (best_per_row(self.similarity, self.owners, count, -1.0),
                best_per_row(self.overlap, self.owners, count, 0.0))

    def _lookup(self, values: np.ndarray, rows: np.ndarray, compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if self.whole:
            return values[rows]
        where = np.minimum(np.searchsorted(self.rows[self._sorted], rows), len(self.rows) - 1)
        positions = self._sorted[where] if len(self.rows) else where
        known = self.rows[positions] == rows if len(self.rows) else np.zeros(len(rows), dtype=bool)
        found = np.empty(len(rows), dtype=np.float64)
        found[known] = values[positions[known]]
        if not known.all():
            found[~known] = compute(rows[~known])
        return found

    def similarities_of(self, rows: np.ndarray) -> np.ndarray:
        """The cosine of the question with the sentences ``rows`` (any rows of the index)."""
        return self._lookup(self.similarity, rows, lambda other: self.index.sentence_similarities(self.vector, other))

    def overlaps_of(self, rows: np.ndarray) -> np.ndarray:
        """The share of the question's terms the sentences ``rows`` hold (any rows of the index)."""
        return self._lookup(self.overlap, rows, lambda missing: self.index.terms.overlap(self.weights, missing))

    @cached_property
    def every_similarity(self) -> np.ndarray:
        """The cosine with every sentence of the index, in index order (a full pass in a large index)."""
        return self.similarity if self.whole else self.index.sentence_similarities(self.vector)

    @cached_property
    def every_overlap(self) -> np.ndarray:
        """The share of the question's terms every sentence holds, in index order."""
        return self.overlap if self.whole else self.index.terms.overlap(self.weights)
