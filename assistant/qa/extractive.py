"""Grounded extractive answers, the ``extracted`` answer source: sentences quoted with [n] citations.

Owns choosing evidence sentences among the retrieved passages, grouping them by country or theme,
numbering citations, and the decision to abstain (with its reason and the closest passages):
- the question names a country the documents have no section on;
- the question asks for an amount of money and no evidence sentence holds one;
- no sentence is similar enough to the question (threshold calibrated on the dev set).
Every line of an answer but the group headings is a quoted sentence with its citation.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass

from assistant.config import Settings
from assistant.models import Answer, Passage
from assistant.qa.citations import make_citation
from assistant.search.index import LoadedIndex
from assistant.search.retrieval import RetrievalResult
from assistant.text.intents import asks_about_modules, asks_for_money, mentions_money
from assistant.text.tokens import tokenize
from assistant.text.vocabulary import modules_in

_MIN_SENTENCE_LETTERS = 20
_CREDIT_LINE = re.compile(r"^(?:source|photo|credit|image)s?\s*:", re.IGNORECASE)
_PER_PASSAGE = 2
_LEAD_IN_ITEMS = 3


@dataclass
class _Evidence:
    passage: Passage
    sentence_row: int
    text: str
    similarity: float  # cosine of sentence and question
    score: float  # similarity plus the passage's rank prior: the order of choice


def _group_label(passage: Passage) -> str:
    chunk = passage.chunk
    if chunk.country:
        return chunk.country
    return chunk.heading_path[-1] if chunk.heading_path else "General"


class ExtractiveAnswerer:
    """Quotes the best-matching sentences of the retrieved passages, or abstains."""

    name = "extractive"

    def __init__(self, index: LoadedIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        # Stemmed terms of every sentence and their IDF, for the lexical part of a sentence's score.
        self.sentence_terms = [set(tokens) for tokens in tokenize([s.text for s in index.sentences])]
        frequency = Counter(term for terms in self.sentence_terms for term in terms)
        total = max(len(self.sentence_terms), 1)
        self.idf = {term: math.log(1 + total / count) for term, count in frequency.items()}

    def _term_weights(self, question: str, countries: list[str]) -> dict[str, float]:
        """IDF of the question's terms, without the names of countries it asks about: the country is
        already chosen by retrieval, the sentence must match what is asked of it."""
        default = math.log(1 + max(len(self.sentence_terms), 1))
        names = set(tokenize([" ".join(countries)])[0]) if countries else set()
        return {term: self.idf.get(term, default) for term in set(tokenize([question])[0]) - names}

    def _overlap(self, weights: dict[str, float], row: int) -> float:
        """Share of the question's term weight (IDF) that the sentence contains."""
        total = sum(weights.values())
        if not total:
            return 0.0
        terms = self.sentence_terms[row]
        return sum(w for term, w in weights.items() if term in terms) / total

    def _candidates(self, result: RetrievalResult, passages: list[Passage]) -> list[_Evidence]:
        candidates: list[_Evidence] = []
        weights = self._term_weights(result.question, result.analysis.indexed_countries)
        top = max((p.score for p in passages), default=1.0) or 1.0
        for passage in passages:
            # A sentence from a better-ranked passage is more likely to be on topic.
            prior = self.settings.answers.passage_weight * (passage.score / top)
            rows = self.index.sentence_rows.get(passage.chunk.chunk_id, [])
            if not rows:
                continue
            similarities = self.index.sentence_vectors[rows] @ result.query_vector
            for row, similarity in zip(rows, similarities, strict=True):
                text = self.index.sentences[row].text
                if sum(c.isalpha() for c in text) < _MIN_SENTENCE_LETTERS or _CREDIT_LINE.match(text):
                    continue
                lexical = self.settings.answers.lexical_weight * self._overlap(weights, row)
                candidates.append(_Evidence(passage, row, text, float(similarity), float(similarity) + prior + lexical))
        candidates.sort(key=lambda e: e.score, reverse=True)
        return candidates

    def _select(self, candidates: list[_Evidence], cover: list[str]) -> list[_Evidence]:
        """Best sentences within the margin of the best one; first the best of each country in
        ``cover`` (a question across countries deserves an answer from each), within three margins."""
        top = candidates[0].score
        margin = self.settings.answers.evidence_margin
        chosen: list[_Evidence] = []
        for country in cover:
            best = next((e for e in candidates if e.passage.chunk.country == country), None)
            if best and best.score >= top - 3 * margin:
                chosen.append(best)
        per_passage: dict[str, int] = {}
        for evidence in chosen:
            key = evidence.passage.chunk.chunk_id
            per_passage[key] = per_passage.get(key, 0) + 1
        for evidence in candidates:
            if evidence.score < top - margin or len(chosen) >= self.settings.answers.max_answer_sentences:
                break
            key = evidence.passage.chunk.chunk_id
            if evidence in chosen:
                continue
            if per_passage.get(key, 0) >= _PER_PASSAGE:
                continue
            per_passage[key] = per_passage.get(key, 0) + 1
            chosen.append(evidence)
        return chosen

    def answer(self, result: RetrievalResult) -> Answer:
        start = time.perf_counter()
        analysis = result.analysis
        passages = result.passages
        reason: str | None = None
        missing = [c for c in analysis.named_countries if c not in analysis.indexed_countries]
        if missing and not analysis.indexed_countries and result.filters.country is None:
            reason = (
                f"The indexed documents have no section on {', '.join(missing)}, so there is no story "
                "from there to cite."
            )
        evidence_passages = passages
        if analysis.indexed_countries and result.filters.country is None:
            named = set(analysis.indexed_countries)
            evidence_passages = [p for p in passages if p.chunk.country in named] or passages
        candidates = [] if reason else self._candidates(result, evidence_passages)
        if not reason and asks_about_modules(result.question):
            # "Which modules…": a sentence naming a SCORE module is the kind of answer wanted.
            for evidence in candidates:
                if modules_in(evidence.text):
                    evidence.score += self.settings.answers.evidence_margin
            candidates.sort(key=lambda e: e.score, reverse=True)
        if not reason and asks_for_money(result.question):
            candidates = [e for e in candidates if mentions_money(e.text)]
            if not candidates:
                reason = "The question asks for an amount of money, and no passage found states one."
        best_similarity = max((e.similarity for e in candidates), default=-1.0)
        if not reason and best_similarity < self.settings.answers.abstain_threshold:
            reason = "Nothing in the indexed documents answers this closely enough."
        if reason:
            return self._abstain(result, reason, start)
        if len(analysis.indexed_countries) > 1:
            cover = analysis.indexed_countries
        elif analysis.cross_country and not analysis.indexed_countries:
            cover = list(dict.fromkeys(p.chunk.country for p in passages if p.chunk.country))
        else:
            cover = []
        chosen = self._select(candidates, cover)
        return self._compose(result, chosen, start)

    def _abstain(self, result: RetrievalResult, reason: str, start: float) -> Answer:
        lines = [f"**I could not find an answer in the SCORE documents.** {reason}"]
        if result.passages:
            lines.append("")
            lines.append("The closest passages are listed below; they may still help.")
        timings = dict(result.timings_ms)
        timings["answer"] = (time.perf_counter() - start) * 1000
        return Answer(
            question=result.question,
            text="\n".join(lines),
            abstained=True,
            abstain_reason=reason,
            passages=result.passages,
            filters=result.filters.active(),
            timings_ms=timings,
        )

    def _continuation(self, evidence: _Evidence) -> list[str]:
        """The items a lead-in sentence ('… the following measures:') announces, from the same chunk."""
        if not evidence.text.rstrip().endswith(":"):
            return []
        rows = self.index.sentence_rows.get(evidence.passage.chunk.chunk_id, [])
        following = [row for row in rows if row > evidence.sentence_row][:_LEAD_IN_ITEMS]
        return [self.index.sentences[row].text for row in following]

    def _compose(self, result: RetrievalResult, chosen: list[_Evidence], start: float) -> Answer:
        # Group by country (or section for global passages), groups in order of their best sentence.
        groups: dict[str, list[_Evidence]] = {}
        for evidence in chosen:
            groups.setdefault(_group_label(evidence.passage), []).append(evidence)
        numbers: dict[str, int] = {}
        quotes: dict[str, list[str]] = {}
        passages: dict[str, Passage] = {}
        lines: list[str] = []
        for label, items in groups.items():
            if len(groups) > 1 or items[0].passage.chunk.country:
                lines.append(f"**{label}**")
            # Within a group, quote in document order so the story reads as written.
            for evidence in sorted(items, key=lambda e: (e.passage.chunk.ordinal, e.sentence_row)):
                chunk_id = evidence.passage.chunk.chunk_id
                if chunk_id not in numbers:
                    numbers[chunk_id] = len(numbers) + 1
                    passages[chunk_id] = evidence.passage
                chunk_quotes = quotes.setdefault(chunk_id, [])
                if evidence.text in chunk_quotes:
                    continue
                chunk_quotes.append(evidence.text)
                lines.append(f"- “{evidence.text}” [{numbers[chunk_id]}]")
                for item in self._continuation(evidence):
                    if item not in chunk_quotes:
                        chunk_quotes.append(item)
                        lines.append(f"  - “{item}” [{numbers[chunk_id]}]")
            lines.append("")
        documents = self.index.documents
        citations = [make_citation(n, passages[key], quotes[key], documents) for key, n in numbers.items()]
        timings = dict(result.timings_ms)
        timings["answer"] = (time.perf_counter() - start) * 1000
        return Answer(
            question=result.question,
            text="\n".join(lines).strip(),
            abstained=False,
            citations=citations,
            passages=result.passages,
            filters=result.filters.active(),
            timings_ms=timings,
        )
