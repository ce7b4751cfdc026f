"""Retrieval: a question to ranked passages over the loaded index, with filters and diversity.

Owns reading a question for the countries and regions it names, the signals every ranker may use
(sentence similarities, named places) over the chunks a question is scored on (``candidates``: every
chunk of a small index), the fixed boost for named places when a ranker does not weigh them itself,
filters, and the per-country cap that lets cross-country questions see several countries. Scoring is
``rankers``'; it does not compose answers.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from threading import Lock

import numpy as np

from assistant.config import Settings
from assistant.models import Passage
from assistant.search.candidates import SentenceScores, candidate_rows
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
    sentences: SentenceScores  # the question against the sentences of the scored chunks (any row on demand)
    passages: list[Passage]
    analysis: QueryAnalysis
    filters: Filters
    timings_ms: dict[str, float] = field(default_factory=dict)
    context: str | None = None  # the earlier question a follow-up was asked with (``Query.context``)

    @property
    def sentence_similarities(self) -> np.ndarray:
        """The cosine of every sentence of the index, in index order: computed on first use in a large
        index (a pass over every sentence); ``sentences.similarities_of(rows)`` reads only ``rows``."""
        return self.sentences.every_similarity

    @property
    def sentence_overlap(self) -> np.ndarray:
        """The share of the question's terms (places aside) each sentence of the index holds (computed
        on first use in a large index; ``sentences.overlaps_of(rows)`` reads only ``rows``)."""
        return self.sentences.every_overlap


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
        self._allowed: dict[Filters, np.ndarray] = {}
        self._allowed_lock = Lock()

    def ranker(self, name: str) -> Ranker:
        if name not in self._rankers:
            self._rankers[name] = make_ranker(name, self.index, self.settings)
        return self._rankers[name]

    def places(self, analysis: QueryAnalysis, filters: Filters) -> np.ndarray:
        """1.0 for chunks about the countries the question names (else its regions), unless a filter chooses."""
        place = np.zeros(len(self.index.chunks), dtype=np.float64)
        if analysis.indexed_countries and filters.country is None:
            named, by_place = analysis.indexed_countries, self.index.country_rows
        elif analysis.regions and filters.region is None and not analysis.indexed_countries:
            named, by_place = analysis.regions, self.index.region_rows
        else:
            return place
        for name in named:
            place[by_place.get(name, [])] = 1.0
        return place

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Which chunks the filters allow (None: no filter), kept per distinct set of filters."""
        if not filters.active():
            return None
        found = self._allowed.get(filters)
        if found is None:
            found = np.array([filters.allows(c) for c in self.index.chunks], dtype=bool)
            with self._allowed_lock:
                if len(self._allowed) >= 256:  # filters come from a bounded menu; this only caps misuse
                    self._allowed.clear()
                self._allowed[filters] = found
        return found

    def signals(self, question: str, vector: np.ndarray, analysis: QueryAnalysis, filters: Filters,
                rows: np.ndarray | None = None) -> Signals:
        """Sentence similarities, sentence term overlaps (places aside) and named places, for every ranker,
        of the chunks ``rows`` (every chunk when None)."""
        rows = np.arange(len(self.index.chunks), dtype=np.int64) if rows is None else rows
        terms = self.index.terms
        weights = terms.weights(question, [*analysis.named_countries, *analysis.regions])
        sentences = SentenceScores(self.index, vector, weights, rows)
        sentence_best, terms_best = sentences.per_chunk(len(rows))
        return Signals(rows, sentence_best, terms_best, self.places(analysis, filters)[rows], sentences)

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
        allowed = self.allowed(filters)
        countries = analysis.indexed_countries if filters.country is None else []
        rows = candidate_rows(self.index, vector, lambda: self.index.lexical.scores(query), countries, allowed)
        signals = self.signals(question, vector, analysis, filters, rows)
        ranked = ranker.scores(query, vector, signals)
        scores = ranked.total.astype(np.float64)
        spread = float(scores.max() - scores.min()) or 1.0
        if len(analysis.indexed_countries) == 1 and filters.country is None:
            # A question about one country is answered from that country first, in the ranker's order.
            scores = scores + (spread + 1.0) * signals.place
        elif not ranked.place_included and signals.place.any():
            # A fixed boost, a share of the score range, for rankers that did not weigh the places.
            scores = scores + self.settings.retrieval.country_boost * signals.place * spread
        # Rows ascend, so the stable sort breaks ties by index order, as over the whole index.
        order = [int(row) for row in rows[np.argsort(-scores, kind="stable")] if allowed is None or allowed[row]]
        position = {row: i for i, row in enumerate(rows.tolist())}
        cap = None
        if filters.country is None and analysis.cross_country:
            if len(analysis.indexed_countries) > 1:
                cap = max(1, math.ceil(k / len(analysis.indexed_countries)))
            else:
                cap = self.settings.retrieval.max_per_country
        seeds = analysis.indexed_countries if filters.country is None and len(analysis.indexed_countries) > 1 else []
        chosen = _select(np.array(order, dtype=np.int64), self.index, k, cap, seeds)
        dense_scores, lexical_scores = ranked.dense, ranked.lexical
        passages = [
            Passage(
                chunk=self.index.chunks[row],
                score=float(scores[position[row]]),
                rank=rank,
                dense_score=None if dense_scores is None else float(dense_scores[position[row]]),
                lexical_score=None if lexical_scores is None else float(lexical_scores[position[row]]),
            )
            for rank, row in enumerate(chosen, start=1)
        ]
        done = time.perf_counter()
        return RetrievalResult(
            question=question,
            query_vector=vector,
            sentences=signals.sentences,
            passages=passages,
            analysis=analysis,
            filters=filters,
            timings_ms={"embed": (embedded - start) * 1000, "retrieve": (done - embedded) * 1000},
            context=request.context,
        )
