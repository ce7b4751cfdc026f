"""Matching a question to published curated answers: by meaning, and never across places or filters.

Owns the place and filter guard, the match features of a question against every published phrasing,
and the matcher that weighs them with the fitted model (``assistant/fitted/curated_match.json``,
written by ``score-assistant eval fit-phrasings`` from the tune split of the phrasing pairs).

The guard comes first and is not a score: a question that names a country (or is filtered to one)
is only matched to that country's answers, a question that names a region only to that region's own
answers (a region asked in place of a country is another question), and a question filtered by
module, topic or document only to answers curated under the same filter. A question that names no
place may match any answer; the model knows it named none (``place_unnamed``) and asks for more.

Features of a (question, phrasing) pair, places left out of the words: ``dense``, the cosine of their
embeddings; ``lexical_question`` and ``lexical_phrasing``, the share of the question's and of the
phrasing's term weight (IDF of the index's sentences, the project's tokenizer) that they share;
``place_unnamed``; ``same_kind``, whether both ask for the same kinds of fact (a quantity, a date, an
actor, a way: ``text.answer_types``); ``broader``, whether the question asks across countries
when the phrasing does not and the answer is about one place; ``quote_gap``, whether the answer's own
quoted sentences answer the question as well as they answer the phrasing (``qa.curated_quotes``: a
curated answer is about its quotes, so a question sharing the phrasing's words but asking a fact of
another sentence falls below). Phrasing vectors, terms and quoted sentences are computed once per set
of answers (``PhrasingTable``); the question's vector and its cosine with every sentence of the index
are the ones retrieval computed. Pure: it reads no database and knows no HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from assistant import fitted
from assistant.models import GLOBAL_REGION, PublishedCurated
from assistant.qa.curated_quotes import QUOTE_GAP_RANGE, QuoteTable
from assistant.search.embedding import Embedder
from assistant.search.index import LoadedIndex
from assistant.search.terms import SentenceTerms
from assistant.text.answer_types import question_kinds
from assistant.text.geography import countries_in_text, regions_in_text
from assistant.text.intents import asks_across_countries

MATCH_FEATURES: tuple[str, ...] = (
    "dense", "lexical_question", "lexical_phrasing", "place_unnamed", "same_kind", "broader", "quote_gap",
)
# The range of each feature (default [0, 1]), to bound a phrasing's score from its dense term alone.
FEATURE_RANGES: dict[str, tuple[float, float]] = {"quote_gap": QUOTE_GAP_RANGE}
FITTED_NAME = "curated_match"
# The guard's filter keys that are places; the others (module, topic, document) must be equal.
_PLACE_FILTERS = ("country", "region")


@dataclass(frozen=True)
class MatchQuestion:
    """A question as the matcher reads it: its text, its vector and the places and filters it asks about."""

    text: str
    vector: np.ndarray
    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    filters: dict[str, str] = field(default_factory=dict)
    similarities: np.ndarray | None = None  # its cosine with every index sentence (retrieval's); None: computed

    @property
    def asked_countries(self) -> frozenset[str]:
        """The countries it names or is filtered to."""
        chosen = self.filters.get("country")
        return self.countries | {chosen} if chosen else self.countries

    @property
    def asked_regions(self) -> frozenset[str]:
        chosen = self.filters.get("region")
        return self.regions | {chosen} if chosen else self.regions


@dataclass(frozen=True)
class CuratedMatch:
    """A published answer a question matched (or nearly matched), by which phrasing and how surely."""

    record: PublishedCurated
    phrasing: str
    score: float  # the fitted probability that the question means the phrasing


@dataclass(frozen=True)
class MatchOutcome:
    """The best match above the threshold, else None; and the best near miss below it, for suggestions."""

    match: CuratedMatch | None
    near_miss: CuratedMatch | None = None


def answer_region(record: PublishedCurated) -> str | None:
    """The region a curated answer is about, None for a global answer."""
    return None if record.region in (None, "", GLOBAL_REGION) else record.region


def place_allows(question: MatchQuestion, record: PublishedCurated) -> bool:
    """Whether the places a question asks about are exactly the curated answer's (see the module doc)."""
    countries, regions = question.asked_countries, question.asked_regions
    region = answer_region(record)
    if countries:
        return record.country is not None and countries == {record.country} and regions <= {region}
    if regions:
        return record.country is None and region is not None and regions == {region}
    return True


def filters_allow(question: MatchQuestion, record: PublishedCurated) -> bool:
    """Whether every non-place filter of the question is one the answer was curated under."""
    return all(
        record.filters.get(key) == value for key, value in question.filters.items() if key not in _PLACE_FILTERS
    )


def allows(question: MatchQuestion, record: PublishedCurated) -> bool:
    return place_allows(question, record) and filters_allow(question, record)


def names_a_place(record: PublishedCurated) -> bool:
    return record.country is not None or answer_region(record) is not None


def phrasings_of(record: PublishedCurated) -> list[str]:
    """The texts a question is matched against: the curated question and its alternate phrasings, once each."""
    return list(dict.fromkeys(p for p in (record.question, *record.phrasings) if p.strip()))


def places_named(text: str) -> list[str]:
    """The countries and regions a text names, to leave out of its words."""
    return [*countries_in_text(text), *regions_in_text(text)]


class PhrasingTable:
    """Every phrasing of a set of published answers: its owner, its vector, its weighted terms and the
    sentences its answer quotes."""

    def __init__(self, records: Sequence[PublishedCurated], vectors: np.ndarray, index: LoadedIndex) -> None:
        terms: SentenceTerms = index.terms
        self.records = list(records)
        self.texts = [p for record in self.records for p in phrasings_of(record)]
        self.owner = np.array([i for i, r in enumerate(self.records) for _ in phrasings_of(r)], dtype=np.int64)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.terms = terms
        self.vocabulary: dict[str, int] = {}
        rows, columns, weights = [], [], []
        for row, text in enumerate(self.texts):
            for term, weight in terms.weights(text, places_named(text)).items():
                rows.append(row)
                columns.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                weights.append(weight)
        shape = (len(self.texts), max(len(self.vocabulary), 1))
        self.weights = sparse.csr_matrix((np.asarray(weights, dtype=np.float64), (rows, columns)), shape=shape)
        self.totals = np.asarray(self.weights.sum(axis=1)).ravel()
        self.unnamed_place = np.array([names_a_place(self.records[i]) for i in self.owner], dtype=np.float64)
        kinds = [frozenset(question_kinds(text)) for text in self.texts]
        self.kind_codes: dict[frozenset[str], int] = {}
        self.kinds = np.array([self.kind_codes.setdefault(k, len(self.kind_codes)) for k in kinds], dtype=np.int64)
        # Each phrasing's answer's place, for the guard in one vectorised pass.
        self.country = np.array([self.records[i].country or "" for i in self.owner], dtype=object)
        self.region = np.array([answer_region(self.records[i]) or "" for i in self.owner], dtype=object)
        self.narrow = self.unnamed_place * np.array([not asks_across_countries(t, True) for t in self.texts])
        self.quotes = QuoteTable(self.records, self.owner, self.vectors, index)

    @classmethod
    def embed(cls, records: Sequence[PublishedCurated], embedder: Embedder, index: LoadedIndex) -> PhrasingTable:
        texts = [p for record in records for p in phrasings_of(record)]
        vectors = embedder.encode(texts) if texts else np.zeros((0, embedder.dimension), dtype=np.float32)
        return cls(records, vectors, index)

    def __len__(self) -> int:
        return len(self.texts)

    def dense(self, question: MatchQuestion) -> np.ndarray:
        """The cosine of the question with every phrasing.

        ``einsum`` runs on the calling thread: above a few hundred rows ``@`` hands the product to
        OpenBLAS's threads, and waking them between questions costs milliseconds on a busy machine."""
        return np.einsum("ij,j->i", self.vectors, question.vector.astype(np.float32, copy=False))

    def features(self, question: MatchQuestion, rows: np.ndarray, dense: np.ndarray | None = None) -> np.ndarray:
        """The match features (``MATCH_FEATURES`` order) of the question against the phrasings ``rows``
        (``dense``: their cosines, when already computed)."""
        asked = self.terms.weights(question.text, [*question.countries, *question.regions])
        indicator = np.zeros(self.weights.shape[1], dtype=np.float64)
        for term in asked:
            column = self.vocabulary.get(term)
            if column is not None:
                indicator[column] = 1.0
        shared = np.asarray(self.weights @ indicator).ravel()[rows]
        asked_total = sum(asked.values()) or 1.0
        named = bool(question.asked_countries or question.asked_regions)
        kind = self.kind_codes.get(frozenset(question_kinds(question.text)), -1)
        across = asks_across_countries(question.text, named)
        similarities = question.similarities
        if similarities is None:
            similarities = self.quotes.similarities(question.vector)
        return np.column_stack([
            self.dense(question)[rows] if dense is None else dense,
            shared / asked_total,
            shared / np.maximum(self.totals[rows], 1e-9),
            self.unnamed_place[rows] * (0.0 if named else 1.0),
            (self.kinds[rows] == kind).astype(np.float64),
            self.narrow[rows] * float(across),
            self.quotes.gaps(similarities, rows),
        ])

    def eligible_rows(self, question: MatchQuestion) -> np.ndarray:
        """The phrasings whose answers the guard lets the question match (``allows``, row by row at once)."""
        countries, regions = question.asked_countries, question.asked_regions
        if len(countries) > 1 or len(regions) > 1:
            return np.zeros(0, dtype=np.int64)
        allowed = np.ones(len(self.texts), dtype=bool)
        if countries:
            allowed &= self.country == next(iter(countries))
        elif regions:
            allowed &= self.country == ""
        if regions:
            allowed &= self.region == next(iter(regions))
        if any(key not in _PLACE_FILTERS for key in question.filters):
            agree = np.array([filters_allow(question, record) for record in self.records], dtype=bool)
            allowed &= agree[self.owner]
        return np.flatnonzero(allowed)


def load_match_model() -> fitted.LinearModel:
    """The fitted weights and thresholds (``match``, ``near_miss``) of the curated match."""
    return fitted.load(FITTED_NAME, MATCH_FEATURES)


class CuratedMatcher:
    """Matches questions against one set of published answers with the fitted weights."""

    def __init__(self, table: PhrasingTable, model: fitted.LinearModel) -> None:
        self.table = table
        self.model = model
        self.threshold = float(model.thresholds["match"])
        self.near_miss_floor = float(model.thresholds.get("near_miss", self.threshold))
        # Every feature lies in its range (``FEATURE_RANGES``): the most the others can add to a phrasing's
        # dense term bounds its score, so phrasings whose bound is under the near-miss floor are not scored.
        ranges = [(w, FEATURE_RANGES.get(name, (0.0, 1.0)))
                  for name, w in zip(model.features, model.coef, strict=True) if name != "dense"]
        self._dense_weight = model.weight("dense")
        self._bound = model.intercept + sum(max(w * low, w * high) for w, (low, high) in ranges)
        floor = min(max(self.near_miss_floor, 1e-9), 1 - 1e-9)
        self._floor_logit = float(np.log(floor / (1 - floor)))

    def scores(self, question: MatchQuestion) -> tuple[np.ndarray, np.ndarray]:
        """The eligible phrasing rows that may reach the near-miss floor, and the probability of each."""
        rows = self.table.eligible_rows(question)
        if not len(rows):
            return rows, np.zeros(0)
        dense = self.table.dense(question)[rows]
        if self._dense_weight > 0:
            hopeful = self._dense_weight * dense + self._bound >= self._floor_logit
            rows, dense = rows[hopeful], dense[hopeful]
            if not len(rows):
                return rows, np.zeros(0)
        return rows, self.model.probability(self.table.features(question, rows, dense))

    def match(self, question: MatchQuestion) -> MatchOutcome:
        rows, probabilities = self.scores(question)
        if not len(rows):
            return MatchOutcome(None)
        best = int(np.argmax(probabilities))
        found = self._found(int(rows[best]), float(probabilities[best]))
        if found.score >= self.threshold:
            return MatchOutcome(found)
        return MatchOutcome(None, found if found.score >= self.near_miss_floor else None)

    def _found(self, row: int, score: float) -> CuratedMatch:
        return CuratedMatch(self.table.records[int(self.table.owner[row])], self.table.texts[row], round(score, 4))
