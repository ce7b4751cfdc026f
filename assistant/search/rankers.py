"""Rankers: the scored chunks (``Signals.rows``: every chunk of a small index, the candidates of a
large one) ranked for a question by dense vectors, BM25, or a fitted mix of both.

``dense`` and ``bm25`` score alone. ``hybrid`` fuses them: by default with the weights fitted on the
tune split (``assistant/fitted/ranking.json``: dense and BM25 of the chunk, its best sentence by
cosine and by the question terms it holds, and whether the chunk is about a place the question
names), or by a fixed weighted mix / RRF
when the settings ask for it. Scores are arrays aligned with ``Signals.rows``; min-max scaling is
within them. Rankers only score; filters and diversity are ``retrieval``'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant import fitted
from assistant.config import RETRIEVERS, Settings
from assistant.search.candidates import SentenceScores, chunk_similarities
from assistant.search.filters import QuestionError
from assistant.search.index import LoadedIndex

RANKING_FEATURES: tuple[str, ...] = ("dense", "lexical", "sentence", "sentence_terms", "place")


@dataclass
class Signals:
    """What retrieval knows of a question beyond its words and vector, for each scored chunk."""

    rows: np.ndarray  # the chunk rows scored, ascending (every chunk of a small index)
    sentence_best: np.ndarray  # per row: the best cosine of one of its sentences with the question
    terms_best: np.ndarray  # per row: the best share of the question's terms (places aside) one sentence holds
    place: np.ndarray  # per row: 1.0 for chunks about a place the question names (no filter already choosing it)
    sentences: SentenceScores  # the per-sentence scores behind them


@dataclass
class Scores:
    """Scores of the scored chunks (``Signals.rows``): the ranking score and, when known, its dense and
    lexical parts."""

    total: np.ndarray
    dense: np.ndarray | None = None
    lexical: np.ndarray | None = None
    place_included: bool = False  # the ranker already weighed the named places (no boost on top)


class Ranker(Protocol):
    """Scores the chunks ``signals.rows`` for a question; higher is better."""

    name: str

    def scores(self, question: str, query_vector: np.ndarray, signals: Signals) -> Scores: ...


@dataclass
class DenseRanker:
    index: LoadedIndex
    name: str = "dense"

    def scores(self, question: str, query_vector: np.ndarray, signals: Signals) -> Scores:
        return Scores(total=self.similarities_of(query_vector, signals.rows))

    def similarities_of(self, query_vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The cosine of the question with the chunks ``rows``: from one search over every chunk in a
        small index (as the weights were fitted), read from the exact vectors of ``rows`` in a large one."""
        if self.index.scored_whole:
            return self.similarities(query_vector)[rows]
        return chunk_similarities(self.index, query_vector, rows)

    def similarities(self, query_vector: np.ndarray) -> np.ndarray:
        """The cosine of the question with every chunk, in index order."""
        total = self.index.dense.ntotal
        found, rows = self.index.dense.search(query_vector[None, :], total)
        result = np.full(total, -1.0, dtype=np.float32)
        valid = rows[0] >= 0
        result[rows[0][valid]] = found[0][valid]
        return result


@dataclass
class LexicalRanker:
    index: LoadedIndex
    name: str = "bm25"

    def scores(self, question: str, query_vector: np.ndarray, signals: Signals) -> Scores:
        return Scores(total=self.index.lexical.scores(question)[signals.rows])


def minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if math.isclose(high, low):
        return np.zeros_like(values, dtype=np.float64)
    return (values - low) / (high - low)


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float32)
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


def ranking_features(
    index: LoadedIndex, dense: np.ndarray, lexical: np.ndarray, signals: Signals
) -> np.ndarray:
    """One row per scored chunk (``dense`` and ``lexical`` aligned with ``signals.rows``), columns as
    RANKING_FEATURES, each scaled to 0–1 within the question's scored chunks."""
    return np.column_stack([
        minmax(dense), minmax(lexical), minmax(signals.sentence_best), signals.terms_best, signals.place,
    ])


@dataclass
class HybridRanker:
    """Dense + BM25: fused by the fitted weights, a fixed weighted mix of min-max scores, or RRF."""

    dense: DenseRanker
    lexical: LexicalRanker
    fusion: str = "fitted"
    dense_weight: float = 0.6
    rrf_k: int = 60
    model: fitted.LinearModel | None = None
    name: str = "hybrid"

    def scores(self, question: str, query_vector: np.ndarray, signals: Signals) -> Scores:
        dense = self.dense.similarities_of(query_vector, signals.rows)
        lexical = self.lexical.index.lexical.scores(question)[signals.rows]
        if self.fusion == "fitted" and self.model is not None:
            total = self.model.logit(ranking_features(self.dense.index, dense, lexical, signals))
            return Scores(total=total, dense=dense, lexical=lexical, place_included=True)
        if self.fusion == "rrf":
            total = 1.0 / (self.rrf_k + _ranks(dense)) + 1.0 / (self.rrf_k + _ranks(lexical))
        else:
            total = self.dense_weight * minmax(dense) + (1.0 - self.dense_weight) * minmax(lexical)
        return Scores(total=total, dense=dense, lexical=lexical)


def _hybrid(index: LoadedIndex, settings: Settings) -> Ranker:
    fusion = settings.retrieval
    model = fitted.load("ranking", RANKING_FEATURES) if fusion.fusion == "fitted" else None
    return HybridRanker(
        DenseRanker(index), LexicalRanker(index), fusion.fusion, fusion.dense_weight, fusion.rrf_k, model
    )


# The rankers by the names settings, the CLI and the evaluator use (config.RETRIEVERS lists the same names).
RANKERS: dict[str, Callable[[LoadedIndex, Settings], Ranker]] = {
    "hybrid": _hybrid,
    "dense": lambda index, _settings: DenseRanker(index),
    "bm25": lambda index, _settings: LexicalRanker(index),
}


def check_retriever(name: str) -> str:
    """The name when it is a known retriever; QuestionError listing the valid ones otherwise."""
    if name not in RANKERS:
        raise QuestionError(f"unknown retriever '{name}'; choose one of: {', '.join(RETRIEVERS)}")
    return name


def make_ranker(name: str, index: LoadedIndex, settings: Settings) -> Ranker:
    return RANKERS[check_retriever(name)](index, settings)
