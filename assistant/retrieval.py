"""Retrieval: dense, BM25 and hybrid rankers over the loaded index, with filters and diversity.

Owns the filter vocabulary (validated against the index, with the valid values in the error),
reading a question for the countries and regions it names, score fusion (weighted mix of
normalised scores, or reciprocal rank fusion), the boost for named countries, and the per-country
cap that lets cross-country questions see several countries. It does not compose answers.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from assistant.config import Settings
from assistant.embedding import Embedder
from assistant.geography import countries_in_text, regions_in_text
from assistant.index import LoadedIndex
from assistant.metadata import canonical_module
from assistant.models import Chunk, Passage

RetrieverName = Literal["hybrid", "dense", "bm25"]
RETRIEVERS: tuple[str, ...] = ("hybrid", "dense", "bm25")
FILTER_KEYS: tuple[str, ...] = ("country", "region", "module", "document")

_CROSS_COUNTRY = re.compile(
    r"\b(countries|other countries|which (?:countries|governments|national|donors|projects)|"
    r"where (?:has|have|did|is|was|were)|examples? from|across|elsewhere|in other)\b",
    re.IGNORECASE,
)


class QuestionError(ValueError):
    """A question or filter the assistant cannot take, with a message for the person who asked."""


@dataclass(frozen=True)
class Filters:
    country: str | None = None
    region: str | None = None
    module: str | None = None
    document: str | None = None

    def active(self) -> dict[str, str]:
        return {key: value for key in FILTER_KEYS if (value := getattr(self, key))}

    def allows(self, chunk: Chunk) -> bool:
        return (
            (self.country is None or chunk.country == self.country)
            and (self.region is None or chunk.region == self.region)
            and (self.module is None or self.module in chunk.modules)
            and (self.document is None or chunk.doc_id == self.document)
        )


def facets(index: LoadedIndex) -> dict[str, dict[str, int]]:
    """Filter values present in the index with their chunk counts."""
    countries = Counter(c.country for c in index.chunks if c.country)
    regions = Counter(c.region for c in index.chunks)
    modules = Counter(m for c in index.chunks for m in c.modules)
    documents = Counter(c.doc_id for c in index.chunks)
    return {
        "country": dict(sorted(countries.items())),
        "region": dict(sorted(regions.items())),
        "module": dict(sorted(modules.items())),
        "document": dict(sorted(documents.items())),
    }


def validate_filters(index: LoadedIndex, **raw: str | None) -> Filters:
    """Canonical Filters from user input; QuestionError naming the valid values when one is unknown."""
    known = facets(index)
    clean: dict[str, str | None] = {}
    for key, value in raw.items():
        if key not in FILTER_KEYS:
            raise QuestionError(f"unknown filter '{key}'; filters are: {', '.join(FILTER_KEYS)}")
        if value is None or not str(value).strip():
            clean[key] = None
            continue
        wanted = str(value).strip()
        candidates = {v.lower(): v for v in known[key]}
        if key == "module":
            canonical = canonical_module(wanted)
            wanted = canonical or wanted
        if key == "document":
            for doc_id, meta in index.documents.items():
                if wanted.lower() in (meta.title.lower(), meta.file_name.lower()):
                    wanted = doc_id
        match = candidates.get(wanted.lower())
        if match is None:
            valid = ", ".join(known[key]) or "(none in this index)"
            raise QuestionError(f"unknown {key} '{value}'. Valid values: {valid}")
        clean[key] = match
    return Filters(**clean)


def check_question(question: str, settings: Settings) -> str:
    text = (question or "").strip()
    if not text:
        raise QuestionError("the question is empty: type a question")
    if len(text) > settings.max_question_chars:
        raise QuestionError(
            f"the question is {len(text)} characters long; the limit is {settings.max_question_chars}. "
            "Shorten it to the essential."
        )
    return text


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
        cross_country=bool(_CROSS_COUNTRY.search(question)) or len(indexed) > 1,
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


def make_ranker(name: str, index: LoadedIndex, settings: Settings) -> Ranker:
    dense, lexical = DenseRanker(index), LexicalRanker(index)
    if name == "dense":
        return dense
    if name == "bm25":
        return lexical
    if name == "hybrid":
        return HybridRanker(dense, lexical, settings.fusion, settings.dense_weight, settings.rrf_k)
    raise QuestionError(f"unknown retriever '{name}'; choose one of: {', '.join(RETRIEVERS)}")


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

    def retrieve(
        self,
        question: str,
        filters: Filters | None = None,
        k: int | None = None,
        retriever: str | None = None,
        context: str | None = None,
    ) -> RetrievalResult:
        """Top-k passages. ``context`` (earlier turns of a conversation) widens a terse follow-up."""
        filters = filters or Filters()
        k = k or self.settings.top_k
        ranker = self.ranker(retriever or self.settings.retriever)
        query = f"{context}\n{question}" if context else question
        start = time.perf_counter()
        vector = self.embedder.encode_query(query)
        embedded = time.perf_counter()
        analysis = analyse_question(question, self.index)
        ranked = ranker.scores(query, vector)
        scores = ranked.total.astype(np.float64)
        if analysis.indexed_countries and filters.country is None:
            named = set(analysis.indexed_countries)
            bonus = np.array([c.country in named for c in self.index.chunks], dtype=np.float64)
            scores = scores + self.settings.country_boost * bonus * (float(scores.max() - scores.min()) or 1.0)
        if analysis.regions and filters.region is None and not analysis.indexed_countries:
            wanted = set(analysis.regions)
            bonus = np.array([c.region in wanted for c in self.index.chunks], dtype=np.float64)
            scores = scores + self.settings.country_boost * bonus * (float(scores.max() - scores.min()) or 1.0)
        allowed = np.array([filters.allows(c) for c in self.index.chunks])
        order = [row for row in np.argsort(-scores, kind="stable") if allowed[row]]
        cap = None
        if filters.country is None and analysis.cross_country:
            if len(analysis.indexed_countries) > 1:
                cap = max(1, math.ceil(k / len(analysis.indexed_countries)))
            else:
                cap = self.settings.max_per_country
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
