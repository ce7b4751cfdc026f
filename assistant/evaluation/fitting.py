"""Fitting the weights that rank passages and choose evidence, on the tune split only.

Ranking: for each answerable tune question, every chunk's ranking features (``search.rankers``) with
the label "supports the question" (the strict support rule); a logistic regression (scikit-learn)
weighs them. Evidence: for each tune question, every candidate sentence of the retrieved passages
(``qa.evidence``) with the label "holds one of the question's must_contain strings" (none for an
unanswerable question); a logistic regression weighs the features, then the quote threshold is the
probability that maximises must-contain recall plus citation precision when quotes are chosen as the
answerer chooses them, and the abstention thresholds the ones that get
most tune questions right with at most 5% of answerable ones abstaining. The results are the
versioned files of ``assistant.fitted``. It prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant import fitted
from assistant.config import Settings
from assistant.evaluation.support import contains, supports
from assistant.evaluation.testsets import TestCase
from assistant.qa.evidence import EVIDENCE_FEATURES, EvidenceFeatures
from assistant.qa.extractive import evidence_passages
from assistant.search.embedding import Embedder
from assistant.search.filters import Filters
from assistant.search.index import LoadedIndex
from assistant.search.rankers import RANKING_FEATURES, DenseRanker, minmax, ranking_features
from assistant.search.retrieval import Query, Searcher, analyse_question
from assistant.text.intents import asks_for_money, mentions_money

# Candidates per question for the ranking fit: the best chunks by a plain mix, plus every supporting one.
_RANKING_CANDIDATES = 40
# Most answerable tune questions may be refused by the abstention threshold (the ceiling).
MAX_FALSE_ABSTENTION = 0.05
# Grid steps either side over which a threshold's simulated quality is averaged.
_SMOOTHING = 3


@dataclass
class Examples:
    rows: np.ndarray
    labels: np.ndarray
    groups: np.ndarray  # question number of each row


@dataclass
class Quotable:
    """What the quote-threshold search needs of one tune question's candidates."""

    case: TestCase
    start: int  # first row of its candidates in the examples
    passages: list[str]  # chunk id of each candidate
    supporting: list[bool]  # whether each candidate's passage supports the question
    texts: list[str]


def regression(examples: Examples) -> LogisticRegression:
    """The logistic regression `eval fit` uses, fitted on the examples."""
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    model.fit(examples.rows, examples.labels)
    return model


def _linear(name: str, features: tuple[str, ...], model: LogisticRegression, meta: dict, thresholds=None):
    return fitted.LinearModel(
        name=name, features=features, coef=tuple(float(c) for c in model.coef_[0]),
        intercept=float(model.intercept_[0]), thresholds=thresholds or {}, meta=meta,
    )


def first_pick_accuracy(examples: Examples, scores: np.ndarray) -> tuple[float, int]:
    """Share of the question groups holding a positive row whose best-scored row is positive."""
    hits = []
    for group in np.unique(examples.groups):
        rows = examples.groups == group
        if examples.labels[rows].any():
            hits.append(examples.labels[rows][int(np.argmax(scores[rows]))])
    return (float(np.mean(hits)) if hits else 0.0), len(hits)


def ranking_examples(index: LoadedIndex, embedder: Embedder, searcher: Searcher, cases: list[TestCase]) -> Examples:
    rows, labels, groups = [], [], []
    dense_ranker = DenseRanker(index)
    for number, case in enumerate(c for c in cases if c.answerable):
        vector = embedder.encode_query(case.question)
        analysis = analyse_question(case.question, index)
        signals = searcher.signals(case.question, vector, analysis, Filters())
        dense, lexical = dense_ranker.similarities(vector), index.lexical.scores(case.question)
        features = ranking_features(index, dense, lexical, signals)
        label = np.array([supports(chunk, case) for chunk in index.chunks])
        if not label.any():
            continue
        plain = 0.6 * minmax(dense) + 0.4 * minmax(lexical)
        keep = set(np.argsort(-plain)[:_RANKING_CANDIDATES].tolist()) | set(np.flatnonzero(label).tolist())
        chosen = sorted(keep)
        rows.append(features[chosen])
        labels.append(label[chosen])
        groups.append(np.full(len(chosen), number))
    return Examples(np.vstack(rows), np.concatenate(labels).astype(int), np.concatenate(groups))


def fit_ranking(index: LoadedIndex, embedder: Embedder, searcher: Searcher, cases: list[TestCase],
                source: str) -> fitted.LinearModel:
    examples = ranking_examples(index, embedder, searcher, cases)
    model = regression(examples)
    hit_at_1, questions = first_pick_accuracy(examples, model.decision_function(examples.rows))
    meta = {"fitted_on": source, "fitted_at": datetime.now(UTC).strftime("%Y-%m-%d"),
            "questions": questions, "rows": int(len(examples.labels)),
            "tune_hit_at_1_among_candidates": round(hit_at_1, 4)}
    return _linear("ranking", RANKING_FEATURES, model, meta)


def evidence_examples(index: LoadedIndex, searcher: Searcher, cases: list[TestCase],
                      k: int) -> tuple[Examples, np.ndarray, list[Quotable]]:
    """Candidate sentences with labels, per question whether it is answerable, and what the quote
    threshold search needs of the answerable ones."""
    features = EvidenceFeatures(index)
    rows, labels, groups, answerable, quotables = [], [], [], [], []
    offset = 0
    for number, case in enumerate(cases):
        result = searcher.retrieve(Query(case.question, k=k))
        candidates = features.candidates(result, evidence_passages(result))
        if asks_for_money(case.question):
            candidates = [c for c in candidates if mentions_money(c.text)]
        answerable.append(case.answerable)
        if not candidates:
            continue
        rows.append(np.vstack([c.features for c in candidates]))
        labels.append([case.answerable and any(contains(c.text, s) for s in case.must_contain) for c in candidates])
        groups.append(np.full(len(candidates), number))
        if case.answerable and case.must_contain:
            quotables.append(Quotable(
                case, offset, [c.passage.chunk.chunk_id for c in candidates],
                [supports(c.passage.chunk, case) for c in candidates], [c.text for c in candidates],
            ))
        offset += len(candidates)
    examples = Examples(np.vstack(rows), np.concatenate(labels).astype(int), np.concatenate(groups))
    return examples, np.array(answerable), quotables


def _simulated_quality(probabilities: np.ndarray, quotables: list[Quotable], threshold: float, ratio: float,
                       limit: int) -> float:
    """Mean must-contain recall plus mean citation precision on tune if quotes were chosen at ``threshold``
    and within ``ratio`` of the best probability (best first, at most ``limit``, at most two per passage,
    the best one when none passes)."""
    recall, precision = [], []
    for item in quotables:
        scores = probabilities[item.start : item.start + len(item.texts)]
        order = np.argsort(-scores)
        floor = max(threshold, ratio * float(scores[order[0]]))
        chosen: list[int] = []
        per_passage: dict[str, int] = {}
        for i in order:
            if scores[i] < floor or len(chosen) >= limit:
                break
            if per_passage.get(item.passages[i], 0) < 2:
                chosen.append(int(i))
                per_passage[item.passages[i]] = per_passage.get(item.passages[i], 0) + 1
        chosen = chosen or [int(order[0])]
        quoted = " ".join(item.texts[i] for i in chosen)
        recall.append(np.mean([contains(quoted, needle) for needle in item.case.must_contain]))
        cited = {item.passages[i]: item.supporting[i] for i in chosen}
        precision.append(np.mean(list(cited.values())))
    return float(np.mean(recall) + np.mean(precision))


def _quote_thresholds(probabilities: np.ndarray, quotables: list[Quotable], limit: int) -> dict[str, float]:
    """The probability above which a sentence is quoted, then the share of the best probability a
    further quote needs, each the one that maximises must-contain recall + citation precision on tune.
    The absolute threshold is fitted alone first: it is also the test a country's best sentence and a
    question part's best sentence must pass, so the ratio must not stand in for it."""

    def best_of(grid: np.ndarray, quality) -> float:
        # The quality is a step function of a few hundred questions: the best value of its moving
        # average is taken, so that a lucky spike between two poor values is not chosen.
        scores = np.array([quality(float(value)) for value in grid])
        smooth = np.convolve(np.pad(scores, _SMOOTHING, mode="edge"), np.ones(2 * _SMOOTHING + 1), "valid")
        return float(grid[int(np.argmax(smooth))])

    threshold = best_of(np.linspace(0.05, 0.95, 91),
                        lambda t: _simulated_quality(probabilities, quotables, t, 0.0, limit))
    ratio = best_of(np.linspace(0.0, 0.95, 20),
                    lambda r: _simulated_quality(probabilities, quotables, threshold, r, limit))
    return {"quote": round(threshold, 3), "quote_ratio": round(ratio, 3)}


def _abstain_thresholds(best: np.ndarray, closest: np.ndarray, answerable: np.ndarray) -> dict[str, float]:
    """The pair (best probability, best cosine) under which to abstain that gets most tune questions
    right, with at most MAX_FALSE_ABSTENTION of the answerable ones abstaining; among equally good
    pairs the strictest, which also refuses questions off the documents' topics."""
    chosen, top = (0.0, -1.0), -1.0
    for probability in np.linspace(0.0, 0.9, 46):
        for cosine in np.linspace(0.0, 0.6, 31):
            refused = (best < probability) | (closest < cosine)
            if answerable.any() and refused[answerable].mean() > MAX_FALSE_ABSTENTION:
                continue
            accuracy = float(np.mean(refused == ~answerable))
            if accuracy >= top:
                top, chosen = accuracy, (float(probability), float(cosine))
    return {"abstain": round(chosen[0], 3), "abstain_similarity": round(chosen[1], 3)}


def fit_evidence(index: LoadedIndex, searcher: Searcher, cases: list[TestCase], source: str,
                 k: int = 5) -> fitted.LinearModel:
    examples, answerable, quotables = evidence_examples(index, searcher, cases, k)
    model = regression(examples)
    probabilities = model.predict_proba(examples.rows)[:, 1]
    quote = _quote_thresholds(probabilities, quotables, searcher.settings.answers.max_answer_sentences)
    best = np.zeros(len(answerable))  # a question without candidates has best probability 0
    closest = np.full(len(answerable), -1.0)
    similarity = examples.rows[:, EVIDENCE_FEATURES.index("similarity")]
    for group in np.unique(examples.groups):
        best[group] = probabilities[examples.groups == group].max()
        closest[group] = similarity[examples.groups == group].max()
    thresholds = {**quote, **_abstain_thresholds(best, closest, answerable)}
    meta = {"fitted_on": source, "fitted_at": datetime.now(UTC).strftime("%Y-%m-%d"),
            "questions": int(len(answerable)), "sentences": int(len(examples.labels)),
            "positives": int(examples.labels.sum()), "k": k}
    return _linear("evidence", EVIDENCE_FEATURES, model, meta, thresholds)


def fit_all(settings: Settings, embedder: Embedder, index: LoadedIndex, cases: list[TestCase],
            source: str) -> tuple[fitted.LinearModel, fitted.LinearModel]:
    """Fit ranking, save it, then fit evidence on the passages the new ranking retrieves, and save it."""
    searcher = Searcher(index, embedder, settings.replace(retrieval={"fusion": "weighted"}))
    ranking = fit_ranking(index, embedder, searcher, cases, source)
    fitted.save(ranking)
    fitted.clear_cache()
    searcher = Searcher(index, embedder, settings.replace(retrieval={"fusion": "fitted"}))
    evidence = fit_evidence(index, searcher, cases, source)
    fitted.save(evidence)
    fitted.clear_cache()
    return ranking, evidence
