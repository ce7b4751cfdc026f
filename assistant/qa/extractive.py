"""Grounded extractive answers, the ``extracted`` answer source: sentences quoted with [n] citations.

Owns deciding what to quote and when to abstain. Every sentence of the retrieved passages is a
candidate scored by the fitted evidence model (``qa.evidence``); a sentence is quoted only when its
own probability of answering passes the quote threshold fitted on the tune split — never as filler.
A question across countries gets each country whose best sentence passes, as a story; a question in
several parts gets a quote per part the documents answer and names the parts they do not. It
abstains, listing the closest passages, when:
- the question names a country the documents neither have a section on nor mention;
- the question names a country the documents only mention, and no passage naming it answers;
- the question asks for an amount of money and no candidate sentence states one;
- the question asks how many or how much of something and no candidate sentence gives a figure
  and names that thing;
- no sentence passes the abstention thresholds (probability and cosine, fitted on the tune split).
Composing the text is ``qa.compose``.
"""

from __future__ import annotations

import time

import numpy as np

from assistant import fitted
from assistant.config import Settings
from assistant.models import Answer, Passage
from assistant.qa.compose import Composer, abstention
from assistant.qa.evidence import EVIDENCE_FEATURES, Candidate, EvidenceFeatures
from assistant.search.embedding import Embedder
from assistant.search.index import LoadedIndex
from assistant.search.retrieval import RetrievalResult
from assistant.text.answer_types import counted_terms, states_a_figure_of
from assistant.text.geography import countries_in_text
from assistant.text.intents import asks_for_money, mentions_money, question_parts

_PER_PASSAGE = 2


def evidence_passages(result: RetrievalResult) -> list[Passage]:
    """The passages evidence is taken from: those of the countries the question names, when it names any."""
    if result.analysis.indexed_countries and result.filters.country is None:
        named = set(result.analysis.indexed_countries)
        return [p for p in result.passages if p.chunk.country in named] or result.passages
    return result.passages


class ExtractiveAnswerer:
    """Quotes the sentences of the retrieved passages that answer the question, or abstains."""

    name = "extractive"

    def __init__(self, index: LoadedIndex, settings: Settings, embedder: Embedder | None = None) -> None:
        self.index = index
        self.settings = settings
        self.embedder = embedder  # for the parts of multi-part questions; without it parts are not split
        self.features = EvidenceFeatures(index)
        self.composer = Composer(index)
        self.model = fitted.load("evidence", EVIDENCE_FEATURES)
        self.quote_threshold = self.model.thresholds["quote"]
        # A quote must also come near the best sentence's probability: a second, weaker sentence is
        # more often off the point than it adds an answer (the ratio is fitted with the threshold).
        self.quote_ratio = self.model.thresholds.get("quote_ratio", 0.0)
        self.abstain_threshold = self.model.thresholds["abstain"]
        self.abstain_similarity = self.model.thresholds["abstain_similarity"]
        # Countries the documents speak of: a section of their own, or a mention in a passage.
        self.known_countries = index.countries | {
            country for chunk in index.chunks for country in countries_in_text(chunk.text)
        }

    def scored(self, result: RetrievalResult, passages: list[Passage], question: str | None = None,
               vector: np.ndarray | None = None) -> list[Candidate]:
        """Candidates with their probabilities, best first (for ``question`` with its ``vector``, default
        the result's)."""
        candidates = self.features.candidates(result, passages, question, vector)
        if candidates:
            probabilities = self.model.probability(np.vstack([c.features for c in candidates]))
            for candidate, probability in zip(candidates, probabilities, strict=True):
                candidate.probability = float(probability)
        return sorted(candidates, key=lambda c: c.probability, reverse=True)

    def _parts(self, result: RetrievalResult, passages: list[Passage]) -> list[tuple[str, Candidate | None]]:
        """Each part of a multi-part question with its best candidate, None when nothing passes."""
        parts = question_parts(result.question) if self.embedder is not None else []
        found = []
        for part in parts:
            vector = self.embedder.encode_query(part)
            best = next(iter(self.scored(result, passages, part, vector)), None)
            found.append((part, best if best and best.probability >= self.quote_threshold else None))
        return found

    def _select(self, candidates: list[Candidate], cover: list[str], required: list[Candidate]) -> list[Candidate]:
        chosen: list[Candidate] = []
        per_passage: dict[str, int] = {}

        def take(candidate: Candidate) -> None:
            if any(c.row == candidate.row for c in chosen):
                return
            chosen.append(candidate)
            key = candidate.passage.chunk.chunk_id
            per_passage[key] = per_passage.get(key, 0) + 1

        for country in cover:
            best = next((c for c in candidates if c.passage.chunk.country == country), None)
            if best and best.probability >= self.quote_threshold:
                take(best)
        for candidate in required:
            take(candidate)
        limit = self.settings.answers.max_answer_sentences
        floor = max(self.quote_threshold, self.quote_ratio * (candidates[0].probability if candidates else 0.0))
        for candidate in candidates:
            if candidate.probability < floor or len(chosen) >= limit:
                break
            if per_passage.get(candidate.passage.chunk.chunk_id, 0) < _PER_PASSAGE:
                take(candidate)
        return chosen or candidates[:1]

    def answer(self, result: RetrievalResult) -> Answer:
        start = time.perf_counter()
        analysis = result.analysis
        unknown = [c for c in analysis.named_countries if c not in self.known_countries]
        if unknown and not analysis.indexed_countries and result.filters.country is None:
            reason = (
                f"The indexed documents have no section on {', '.join(unknown)}, so there is no story "
                "from there to cite."
            )
            return abstention(result, reason, start)
        passages = evidence_passages(result)
        candidates = self.scored(result, passages)
        mentioned = [c for c in analysis.named_countries if c not in analysis.indexed_countries]
        if mentioned and not analysis.indexed_countries and result.filters.country is None:
            # The place has no section, only mentions: the evidence must come from where it is named.
            naming = {p.chunk.chunk_id for p in passages if set(mentioned) & set(countries_in_text(p.chunk.text))}
            candidates = [c for c in candidates if c.passage.chunk.chunk_id in naming]
            if not candidates:
                reason = (
                    f"The indexed documents mention {', '.join(mentioned)} only in passing, and none of "
                    "those passages answers this."
                )
                return abstention(result, reason, start)
        if asks_for_money(result.question):
            candidates = [c for c in candidates if mentions_money(c.text)]
            if not candidates:
                reason = "The question asks for an amount of money, and no passage found states one."
                return abstention(result, reason, start)
        counted = None if question_parts(result.question) else counted_terms(result.question)
        if counted and not any(states_a_figure_of(c.text, counted, c.probability >= self.quote_threshold)
                               for c in candidates):
            reason = "The question asks how many or how much, and no passage found gives that figure."
            return abstention(result, reason, start)
        closest = max((c.similarity for c in candidates), default=-1.0)
        if not candidates or candidates[0].probability < self.abstain_threshold or closest < self.abstain_similarity:
            return abstention(result, "Nothing in the indexed documents answers this closely enough.", start)
        if len(analysis.indexed_countries) > 1:
            cover = analysis.indexed_countries
        elif analysis.cross_country and not analysis.indexed_countries:
            cover = list(dict.fromkeys(p.chunk.country for p in passages if p.chunk.country))
        else:
            cover = []
        parts = self._parts(result, passages)
        chosen = self._select(candidates, cover, [best for _, best in parts if best is not None])
        missing = [part for part, best in parts if best is None]
        stories = len({c.passage.chunk.country for c in chosen if c.passage.chunk.country}) > 1 and bool(cover)
        return self.composer.compose(result, chosen, start, stories, missing)
