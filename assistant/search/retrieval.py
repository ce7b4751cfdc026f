"""Retrieval: dense, BM25 and hybrid rankers over the loaded index, with filters and diversity.

Owns reading a question for the countries and regions it names, score fusion (weighted mix of
normalised scores, or reciprocal rank fusion), the boost for named countries, and the per-country
cap that lets cross-country questions see several countries. It does not compose answers.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.config import RETRIEVERS, Settings
from assistant.models import Passage
from assistant.search.embedding import Embedder
from assistant.search.filters import Filters, QuestionError
from assistant.search.index import LoadedIndex
from assistant.text.geography import countries_in_text, regions_in_text
from assistant.text.intents import asks_across_countries


@dataclass
class QueryAnalysis:
    """What a question says about geography, and whether it asks across countries."""

    named_countries: list[str]
    indexed_countries: list[str]  # named countries that have passages of their own
    regions: list[str]
    cross_country: bool


def analyse_question(question: str, index: LoadedIndex) -> QueryAnalysis:
    named = countries_in_text(question)
    present = {c.country for c in index.chunks if c.country}
    indexed = [c for c in named if c in present]
    return QueryAnalysis(
        named_countries=named,
        indexed_countries=indexed,
        regions=regions_in_text(question),
        cross_country=asks_across_countries(question) or len(indexed) > 1,
    )


@dataclass
class Scores:
    """Scores of every chunk: the ranking score and, when known, its dense and lexical parts."""

    total: np.ndarray
    dense: np.ndarray | None = None
    lexical: np.ndarray | None = None


class Ranker(Protocol):
    """Scores every chunk for a question; higher is better."""

    name: str

    def scores(self, question: str, query_vector: np.ndarray) -> Scores: ...


@dataclass
class DenseRanker:
    index: LoadedIndex
    name: str = "dense"

    def scores(self, question: str, query_vector: np.ndarray) -> Scores:
        return Scores(total=self.similarities(query_vector))

    def similarities(self, query_vector: np.ndarray) -> np.ndarray:
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

    def scores(self, question: str, query_vector: np.ndarray) -> Scores:
        return Scores(total=self.index.lexical.scores(question))


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if math.isclose(high, low):
        return np.zeros_like(values)
    return (values - low) / (high - low)


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float32)
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


@dataclass
class HybridRanker:
    """Dense + BM25 fused by a weighted mix of min-max normalised scores, or by RRF."""

    dense: DenseRanker
    lexical: LexicalRanker
    fusion: str = "weighted"
    dense_weight: float = 0.6
    rrf_k: int = 60
    name: str = "hybrid"

    def scores(self, question: str, query_vector: np.ndarray) -> Scores:
        dense = self.dense.similarities(query_vector)
        lexical = self.lexical.index.lexical.scores(question)
        if self.fusion == "rrf":
            total = 1.0 / (self.rrf_k + _ranks(dense)) + 1.0 / (self.rrf_k + _ranks(lexical))
        else:
            total = self.dense_weight * _minmax(dense) + (1.0 - self.dense_weight) * _minmax(lexical)
        return Scores(total=total, dense=dense, lexical=lexical)


def _hybrid(index: LoadedIndex, settings: Settings) -> Ranker:
    fusion = settings.retrieval
    return HybridRanker(DenseRanker(index), LexicalRanker(index), fusion.fusion, fusion.dense_weight, fusion.rrf_k)


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


@dataclass(frozen=True)
class Query:
    """A checked question as retrieval takes it, with its filters and options (None: the settings' default)."""

    question: str
    filters: Filters = field(default_factory=Filters)
    k: int | None = None
    retriever: str | None = None
    context: str | None = None


@dataclass
class RetrievalResult:
    question: str
    query_vector: np.ndarray
    passages: list[Passage]
    analysis: QueryAnalysis
    filters: Filters
    timings_ms: dict[str, float] = field(default_factory=dict)


def _select(order: np.ndarray, index: LoadedIndex, k: int, cap: int | None, seeds: list[str]) -> list[int]:
    """The first k rows of ``order``, at most ``cap`` per country (global passages count as one
    group), starting with the best passage of each country in ``seeds``; rank order is kept."""
    chosen: list[int] = []
    for country in seeds:
        best = next((int(row) for row in order if index.chunks[row].country == country), None)
        if best is not None and best not in chosen:
            chosen.append(best)
    per_group: Counter[str] = Counter(index.chunks[row].country or "global" for row in chosen)
    skipped: list[int] = []
    for row in order:
        row = int(row)
        if len(chosen) >= k:
            break
        if row in chosen:
            continue
        group = index.chunks[row].country or "global"
        if cap is not None and per_group[group] >= cap:
            skipped.append(row)
            continue
        per_group[group] += 1
        chosen.append(row)
    chosen = (chosen + skipped)[:k]
    position = {int(row): i for i, row in enumerate(order)}
    return sorted(chosen, key=position.__getitem__)


class Searcher:
    """Turns a question into ranked passages: embed, score, boost, filter, diversify."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._rankers: dict[str, Ranker] = {}

    def ranker(self, name: str) -> Ranker:
        if name not in self._rankers:
            self._rankers[name] = make_ranker(name, self.index, self.settings)
        return self._rankers[name]

    def _boost(self, scores: np.ndarray, hits: list[bool]) -> np.ndarray:
        """Scores raised by the country boost (a share of the score range) where ``hits`` is true."""
        bonus = np.array(hits, dtype=np.float64)
        return scores + self.settings.retrieval.country_boost * bonus * (float(scores.max() - scores.min()) or 1.0)

    def retrieve(self, request: Query) -> RetrievalResult:
        """Top-k passages. The request's ``context`` (an earlier question) widens a terse follow-up."""
        question, filters = request.question, request.filters
        k = request.k or self.settings.retrieval.top_k
        ranker = self.ranker(request.retriever or self.settings.retrieval.retriever)
        query = f"{request.context}\n{question}" if request.context else question
        start = time.perf_counter()
        vector = self.embedder.encode_query(query)
        embedded = time.perf_counter()
        analysis = analyse_question(question, self.index)
        ranked = ranker.scores(query, vector)
        scores = ranked.total.astype(np.float64)
        if analysis.indexed_countries and filters.country is None:
            named = set(analysis.indexed_countries)
            scores = self._boost(scores, [c.country in named for c in self.index.chunks])
        if analysis.regions and filters.region is None and not analysis.indexed_countries:
            wanted = set(analysis.regions)
            scores = self._boost(scores, [c.region in wanted for c in self.index.chunks])
        allowed = np.array([filters.allows(c) for c in self.index.chunks])
        order = [row for row in np.argsort(-scores, kind="stable") if allowed[row]]
        cap = None
        if filters.country is None and analysis.cross_country:
            if len(analysis.indexed_countries) > 1:
                cap = max(1, math.ceil(k / len(analysis.indexed_countries)))
            else:
                cap = self.settings.retrieval.max_per_country
        seeds = analysis.indexed_countries if filters.country is None and len(analysis.indexed_countries) > 1 else []
        rows = _select(np.array(order, dtype=np.int64), self.index, k, cap, seeds)
        dense_scores, lexical_scores = ranked.dense, ranked.lexical
        passages = [
            Passage(
                chunk=self.index.chunks[row],
                score=float(scores[row]),
                rank=rank,
                dense_score=None if dense_scores is None else float(dense_scores[row]),
                lexical_score=None if lexical_scores is None else float(lexical_scores[row]),
            )
            for rank, row in enumerate(rows, start=1)
        ]
        done = time.perf_counter()
        return RetrievalResult(
            question=question,
            query_vector=vector,
            passages=passages,
            analysis=analysis,
            filters=filters,
            timings_ms={"embed": (embedded - start) * 1000, "retrieve": (done - embedded) * 1000},
        )
