"""Evidence candidates: every sentence of the retrieved passages with the features that say whether it
answers the question, and the probability the fitted evidence model gives it.

Features (``EVIDENCE_FEATURES``): the sentence's cosine with the question and its gap to the best
sentence, the share of the question's terms (IDF-weighted, place names aside) it holds, its passage's
retrieval score and rank, the share of the question's terms its whole passage holds and how rare the
rarest term it lacks is (a question about something the documents never mention), whether its
passage is about a place the question names, whether it offers
the kind of fact the question asks for (``text.answer_types``), whether it states a problem where the
question asks how to do something, whether it reads like a heading, its
length, and whether it announces a list. Weights are fitted on the tune split
(``assistant/fitted/evidence.json``). Headings, captions, credit lines and the document's title line
are never candidates.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from assistant.models import Passage
from assistant.search.index import LoadedIndex
from assistant.search.retrieval import RetrievalResult
from assistant.text.answer_types import QUESTION_KINDS, question_kinds, sentence_kinds, states_a_problem

EVIDENCE_FEATURES: tuple[str, ...] = (
    "similarity", "similarity_gap", "overlap", "passage_coverage", "rare_missing", "passage", "first_passage",
    "place", "kind_match", "kind_missing", "problem_for_how", "heading_like", "length", "lead_in",
)
_MIN_SENTENCE_LETTERS = 20
_CREDIT_LINE = re.compile(r"^(?:source|photo|credit|image)s?\s*:", re.IGNORECASE)
_ENDS_LIKE_PROSE = re.compile(r"[.!?:;\"”’)]$")
_HEADING_WORDS = 14


@dataclass
class Candidate:
    """One sentence that may be quoted, its features and (once scored) its probability of answering."""

    passage: Passage
    row: int  # sentence row in the index
    text: str
    similarity: float
    features: np.ndarray
    probability: float = 0.0


def reads_like_heading(text: str) -> bool:
    """A short line without a sentence end: a heading, a caption or a title, not a statement."""
    stripped = text.strip()
    return len(stripped.split()) <= _HEADING_WORDS and not _ENDS_LIKE_PROSE.search(stripped)


class EvidenceFeatures:
    """Computes candidate sentences and their features over one loaded index."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self.terms = index.terms
        self.sentence_kinds = [sentence_kinds(s.text) for s in index.sentences]
        self.problems = [states_a_problem(s.text) for s in index.sentences]
        titles = {meta.title.strip().lower() for meta in index.documents.values()}
        self.never = [self._never_quoted(row, titles) for row in range(len(index.sentences))]

    def _never_quoted(self, row: int, titles: set[str]) -> bool:
        """Too short to be a statement, a credit line, or the document's title line."""
        text = self.index.sentences[row].text
        letters = sum(map(str.isalpha, text))
        lowered = text.strip().lower()
        is_title = any(lowered and (lowered in title or title in lowered) for title in titles)
        return letters < _MIN_SENTENCE_LETTERS or bool(_CREDIT_LINE.match(text)) or is_title

    def _coverage(self, rows: list[int], weights: dict[str, float]) -> tuple[float, float]:
        """Share of the question's term weight the sentences hold together, and the IDF of the rarest
        question term they lack (relative to a term no sentence holds)."""
        total = sum(weights.values())
        if not total or not rows:
            return 0.0, 0.0
        present = {self.terms.vocabulary.get(t) for t in weights} - {None}
        held_columns = self.terms.columns_of(rows) & present
        held = {t for t in weights if self.terms.vocabulary.get(t) in held_columns}
        lacking = [w for t, w in weights.items() if t not in held]
        return sum(weights[t] for t in held) / total, max(lacking, default=0.0) / self.terms.unseen_idf

    def _scores(self, result: RetrievalResult, question: str, vector: np.ndarray | None,
                weights: dict[str, float], rows: list[int]) -> tuple[dict[int, float], dict[int, float]]:
        """The cosine and the term share of the sentences ``rows`` for the question, by row."""
        wanted = np.array(sorted(set(rows)), dtype=np.int64)
        if vector is None:
            similarities = result.sentences.similarities_of(wanted)
        else:
            similarities = self.index.sentence_similarities(vector, wanted)
        if question == result.question:
            overlaps = result.sentences.overlaps_of(wanted)
        else:
            overlaps = self.terms.overlap(weights, wanted)
        keys = wanted.tolist()
        return dict(zip(keys, similarities.tolist(), strict=True)), dict(zip(keys, overlaps.tolist(), strict=True))

    def candidates(self, result: RetrievalResult, passages: list[Passage], question: str | None = None,
                   vector: np.ndarray | None = None) -> list[Candidate]:
        """Every quotable sentence of the passages with its features (for ``question``, default the
        result's, whose vector is ``vector``, default the result's). Only the passages' sentences are
        scored."""
        question = question or result.question
        analysis = result.analysis
        weights = self.terms.weights(question, [*analysis.named_countries, *analysis.regions])
        wanted = question_kinds(question) & set(QUESTION_KINDS)
        scores = np.array([p.score for p in passages], dtype=np.float64)
        low, high = (float(scores.min()), float(scores.max())) if len(scores) else (0.0, 1.0)
        spread = (high - low) or 1.0
        named = set(analysis.indexed_countries)
        regions = set(analysis.regions)
        all_rows = [self.index.sentence_rows.get(p.chunk.chunk_id, []) for p in passages]
        rows_of = [[r for r in rows if not self.never[r]] for rows in all_rows]
        sims, overlaps = self._scores(result, question, vector, weights, [r for rows in rows_of for r in rows])
        # The gap to the best sentence is taken within the sentence's own country (or among the global
        # passages): a question across countries has a best answer in each.
        best: dict[str | None, float] = {}
        for passage, rows in zip(passages, rows_of, strict=True):
            for row in rows:
                key = passage.chunk.country
                best[key] = max(best.get(key, -1.0), float(sims[row]))
        found: list[Candidate] = []
        for passage, rows, every in zip(passages, rows_of, all_rows, strict=True):
            chunk = passage.chunk
            place = float((chunk.country in named) if named else (chunk.region in regions) if regions else 0.0)
            coverage, rare_missing = self._coverage(every, weights)
            for row in rows:
                text = self.index.sentences[row].text
                kinds = self.sentence_kinds[row]
                similarity = float(sims[row])
                features = np.array([
                    similarity,
                    similarity - best[chunk.country],
                    float(overlaps[row]),
                    coverage,
                    rare_missing,
                    (passage.score - low) / spread,
                    1.0 / passage.rank,
                    place,
                    float(bool(wanted & kinds)),
                    float(bool(wanted) and not (wanted & kinds)),
                    float("how" in wanted and self.problems[row]),
                    float(reads_like_heading(text)),
                    math.log(1 + len(text.split())),
                    float(text.rstrip().endswith(":")),
                ])
                found.append(Candidate(passage, row, text, similarity, features))
        return found
