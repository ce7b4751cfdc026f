"""How far the fitted models' features go: each model refitted on the questions it is measured on.

An evaluator's diagnosis, never saved and never used to answer. For the ranking model: hit@1 among
its candidate chunks (``fitting.ranking_examples``); for the evidence model: how often its first
sentence holds one of the question's must_contain strings, among the questions whose retrieved
passages hold one (``fitting.evidence_examples``). Each is measured twice: with the saved weights
(fitted on tune) and with weights refitted on the measured questions themselves, the same way
``eval fit`` fits them. On the holdout split the refit shows what a linear model over these features
reaches when it has seen the answers (it maximises the likelihood, not the first-pick accuracy, so
it is a close estimate of the ceiling, not a proof): a gap between the two is the fit's to close; a
target far above the refit needs other features or another model.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant import fitted
from assistant.config import Settings
from assistant.evaluation.fitting import (
    Examples,
    evidence_examples,
    first_pick_accuracy,
    ranking_examples,
    regression,
)
from assistant.evaluation.testsets import TestCase
from assistant.qa.evidence import EVIDENCE_FEATURES
from assistant.search.embedding import Embedder
from assistant.search.index import LoadedIndex
from assistant.search.rankers import RANKING_FEATURES
from assistant.search.retrieval import Searcher


@dataclass(frozen=True)
class Ceiling:
    """One model's first-pick accuracy with its saved weights and refitted on the measured questions."""

    model: str
    measure: str
    saved: float
    refitted: float
    questions: int


def _ceiling(model: str, measure: str, examples: Examples, saved: fitted.LinearModel) -> Ceiling:
    before, questions = first_pick_accuracy(examples, saved.logit(examples.rows))
    after, _ = first_pick_accuracy(examples, regression(examples).decision_function(examples.rows))
    return Ceiling(model, measure, round(before, 3), round(after, 3), questions)


def ceilings(settings: Settings, embedder: Embedder, index: LoadedIndex, cases: list[TestCase],
             k: int = 5) -> list[Ceiling]:
    """The ranking and evidence ceilings on ``cases``, retrieving as ``eval fit`` does."""
    weighted = Searcher(index, embedder, settings.replace(retrieval={"fusion": "weighted"}))
    ranking = ranking_examples(index, embedder, weighted, cases)
    searcher = Searcher(index, embedder, settings.replace(retrieval={"fusion": "fitted"}))
    evidence, _, _ = evidence_examples(index, searcher, cases, k)
    return [
        _ceiling("ranking", "hit@1 among the candidate chunks", ranking, fitted.load("ranking", RANKING_FEATURES)),
        _ceiling("evidence", "first sentence holds a must_contain string", evidence,
                 fitted.load("evidence", EVIDENCE_FEATURES)),
    ]
