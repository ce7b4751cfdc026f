"""Retrieval: a question to ranked passages over the loaded index, with filters and diversity.

Owns reading a question for the countries and regions it names, the signals every ranker may use
(sentence similarities, named places), the fixed boost for named places when a ranker does not weigh
them itself, filters, and the per-country cap that lets cross-country questions see several
countries. Scoring is ``rankers``'; it does not compose answers.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from assistant.config import Settings
from assistant.models import Passage
from assistant.search.embedding import Embedder
from assistant.search.filters import Filters
from assistant.search.index import LoadedIndex
from assistant.search.rankers import Ranker, Signals, make_ranker
from assistant.text.geography import countries_in_text, misspelled_countries, regions_in_text
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
    named += [c for c in misspelled_countries(question, index.words) if c not in named]
    indexed = [c for c in named if c in index.countries]
    return QueryAnalysis(
        named_countries=named,
        indexed_countries=indexed,
        regions=regions_in_text(question),
        cross_country=asks_across_countries(question, bool(named)) or len(indexed) > 1,
    )


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
    sentence_similarities: np.ndarray  # of every sentence of the index, in index order
    sentence_overlap: np.ndarray  # share of the question's terms (places aside) each sentence holds
    passages: list[Passage]
    analysis: QueryAnalysis
    filters: Filters
    timings_ms: dict[str, float] = field(default_factory=dict)
    context: str | None = None  # the earlier question a follow-up was asked with (``Query.context``)


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

    def places(self, analysis: QueryAnalysis, filters: Filters) -> np.ndarray:
        """1.0 for chunks about the countries the question names (else its regions), unless a filter chooses."""
        if analysis.indexed_countries and filters.country is None:
            named = set(analysis.indexed_countries)
            return np.array([c.country in named for c in self.index.chunks], dtype=np.float64)
        if analysis.regions and filters.region is None and not analysis.indexed_countries:
            wanted = set(analysis.regions)
            return np.array([c.region in wanted for c in self.index.chunks], dtype=np.float64)
        return np.zeros(len(self.index.chunks), dtype=np.float64)

    def signals(self, question: str, vector: np.ndarray, analysis: QueryAnalysis, filters: Filters) -> Signals:
        """Sentence similarities, sentence term overlaps (places aside) and named places, for every ranker."""
        terms = self.index.terms
        overlap = terms.overlap(terms.weights(question, [*analysis.named_countries, *analysis.regions]))
        return Signals(self.index.sentence_vectors @ vector, overlap, self.places(analysis, filters))

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
        signals = self.signals(question, vector, analysis, filters)
        ranked = ranker.scores(query, vector, signals)
        scores = ranked.total.astype(np.float64)
        spread = float(scores.max() - scores.min()) or 1.0
        if len(analysis.indexed_countries) == 1 and filters.country is None:
            # A question about one country is answered from that country first, in the ranker's order.
            scores = scores + (spread + 1.0) * signals.place
        elif not ranked.place_included and signals.place.any():
            # A fixed boost, a share of the score range, for rankers that did not weigh the places.
            scores = scores + self.settings.retrieval.country_boost * signals.place * spread
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
            sentence_similarities=signals.sentence_similarities,
            sentence_overlap=signals.sentence_overlap,
            passages=passages,
            analysis=analysis,
            filters=filters,
            timings_ms={"embed": (embedded - start) * 1000, "retrieve": (done - embedded) * 1000},
            context=request.context,
        )
