"""Metrics over many questions: retrieval (ranx), answer shares, latency, and their definitions.

Owns the summary metrics of eval/README.md, the breakdown by question type, the rank histogram, and
``evaluate_test_set`` (run a set and summarise it). It neither prints nor writes files.
"""

from __future__ import annotations

import statistics
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from assistant.evaluation.scoring import CaseResult, run_cases
from assistant.evaluation.support import supports
from assistant.evaluation.testsets import QUESTION_TYPES, TestCase
from assistant.models import Chunk

if TYPE_CHECKING:
    from assistant.qa.service import Assistant

# Relevance judgements need at least one relevant document per question; a question whose support
# exists nowhere in the index gets this one, which no ranking can contain, so it counts as a miss.
UNREACHABLE = "\x00no-supporting-passage-in-index"


def metric_definitions(k: int) -> dict[str, str]:
    """What each summary metric means, keyed as in the metrics dict (the same words as eval/README.md)."""
    return {
        "hit@1": "Share of answerable questions whose first retrieved passage supports them (ranx hit_rate@1).",
        f"hit@{k}": f"Share of answerable questions with a supporting passage among the first {k} (ranx hit_rate@{k}).",
        "mrr": "Mean over answerable questions of 1 / rank of the first supporting passage, 0 when none is "
        f"retrieved (ranx mrr over the {k} passages the answer was built from).",
        "ndcg@10": "Normalised discounted cumulative gain with binary relevance (every supporting chunk of the "
        f"index is relevant), cut at 10; the ranking holds the {k} passages the answer was built from (ranx ndcg@10).",
        f"recall@{k}": f"Share of all supporting chunks of the index that are among the first {k}, averaged over "
        f"answerable questions (ranx recall@{k}); low when a section spans many chunks.",
        f"section_recall@{k}": f"Share of a question's expected sections covered by the first {k} passages, averaged "
        "over answerable questions that list sections.",
        "citation_precision": "Share of an answer's citations that point at supporting passages, averaged over "
        "answerable questions the assistant answered (an answer citing nothing counts 0).",
        "must_contain_recall": "Share of a question's must_contain strings present in the quotes of its answer's "
        "citations, averaged over answerable questions (an abstention counts 0).",
        "abstention_accuracy": "Share of unanswerable questions on which the assistant abstained.",
        "false_abstention_rate": "Share of answerable questions on which the assistant abstained (lower is better).",
        "pass_rate": "Share of questions whose verdict is pass (see the verdict rule in eval/README.md).",
        "latency_median_ms": "Median time of Assistant.ask per question, in milliseconds (after one warm-up question).",
        "latency_p95_ms": "95th percentile of the same times (numpy percentile, linear interpolation).",
    }


LOWER_IS_BETTER = frozenset({"false_abstention_rate", "latency_median_ms", "latency_p95_ms"})


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def retrieval_metrics(results: list[CaseResult], all_chunks: list[Chunk], k: int) -> dict[str, float]:
    """hit@1, hit@k, MRR, nDCG@10 and recall@k over answerable questions, computed by ranx.

    Relevant documents are every chunk of the index that supports the question; the run is the ranked
    passages each answer was built from.
    """
    from ranx import Qrels, Run, evaluate

    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for result in results:
        if not result.case.answerable:
            continue
        relevant = {c.chunk_id: 1 for c in all_chunks if supports(c, result.case)}
        qrels[result.case.id] = relevant or {UNREACHABLE: 1}
        passages = result.answer.passages[:k]
        # Scores that decrease with rank: ranx orders by score, so the ranking is exactly the answer's.
        run[result.case.id] = {p.chunk.chunk_id: float(len(passages) - i) for i, p in enumerate(passages)}
        if not run[result.case.id]:
            run[result.case.id] = {UNREACHABLE + "-empty": 0.0}
    if not qrels:
        return {}
    names = {"hit@1": "hit_rate@1", f"hit@{k}": f"hit_rate@{k}", "mrr": "mrr", "ndcg@10": "ndcg@10",
             f"recall@{k}": f"recall@{k}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ranx warns about empty runs it then scores as zero, as intended
        scores = evaluate(Qrels(qrels), Run(run), list(dict.fromkeys(names.values())), make_comparable=True)
    return {name: round(float(scores[metric]), 4) for name, metric in names.items()}


def answer_metrics(results: list[CaseResult], k: int) -> dict[str, float | None]:
    """Section recall, citation precision, must-contain recall, abstention and pass rates (eval/README.md)."""
    answerable = [r for r in results if r.case.answerable]
    unanswerable = [r for r in results if not r.case.answerable]
    return {
        f"section_recall@{k}": _mean([r.section_recall for r in answerable if r.section_recall is not None]),
        "citation_precision": _mean([r.citation_precision for r in answerable if r.citation_precision is not None]),
        "must_contain_recall": _mean([r.must_contain_recall for r in answerable if r.must_contain_recall is not None]),
        "abstention_accuracy": _mean([float(r.answer.abstained) for r in unanswerable]),
        "false_abstention_rate": _mean([float(r.answer.abstained) for r in answerable]),
        "pass_rate": _mean([float(r.passed) for r in results]),
    }


def latency_metrics(results: list[CaseResult]) -> dict[str, float | None]:
    times = [r.latency_ms for r in results]
    if not times:
        return {"latency_median_ms": None, "latency_p95_ms": None}
    return {
        "latency_median_ms": round(float(np.percentile(times, 50)), 2),
        "latency_p95_ms": round(float(np.percentile(times, 95)), 2),
    }


def metrics_for(results: list[CaseResult], all_chunks: list[Chunk], k: int) -> dict[str, float | None]:
    """Every summary metric for a group of results, None where the group has no question it applies to."""
    retrieval: dict[str, float | None] = {name: None for name in ("hit@1", f"hit@{k}", "mrr", "ndcg@10", f"recall@{k}")}
    retrieval.update(retrieval_metrics(results, all_chunks, k))
    return {**retrieval, **answer_metrics(results, k), **latency_metrics(results)}


def rank_histogram(results: list[CaseResult], k: int) -> dict[str, int]:
    """How many answerable questions had their first supporting passage at rank 1…k, or none ("none")."""
    counts = Counter(r.first_support_rank for r in results if r.case.answerable)
    histogram = {str(rank): counts.get(rank, 0) for rank in range(1, k + 1)}
    histogram["none"] = counts.get(None, 0)
    return histogram


@dataclass
class EvalSummary:
    k: int
    metrics: dict[str, float | None]
    by_type: dict[str, dict[str, float | None]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    rank_histogram: dict[str, int] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)  # ids of answerable questions no indexed chunk supports
    results: list[CaseResult] = field(default_factory=list)


def summarise(results: list[CaseResult], all_chunks: list[Chunk], k: int) -> EvalSummary:
    """All metrics, the breakdown by question type, counts and the rank histogram."""
    metrics = metrics_for(results, all_chunks, k)
    metrics["questions"] = len(results)
    by_type: dict[str, dict[str, float | None]] = {}
    for kind in QUESTION_TYPES:
        group = [r for r in results if r.case.type == kind]
        if group:
            by_type[kind] = {"questions": len(group), **metrics_for(group, all_chunks, k)}
    passed = sum(r.passed for r in results)
    counts = {
        "questions": len(results),
        "answerable": sum(r.case.answerable for r in results),
        "unanswerable": sum(not r.case.answerable for r in results),
        "passed": passed,
        "failed": len(results) - passed,
    }
    unsupported = [
        r.case.id for r in results if r.case.answerable and not any(supports(c, r.case) for c in all_chunks)
    ]
    return EvalSummary(
        k=k,
        metrics=metrics,
        by_type=by_type,
        counts=counts,
        rank_histogram=rank_histogram(results, k),
        unsupported=unsupported,
        results=results,
    )


def evaluate_test_set(
    assistant: Assistant,
    cases: list[TestCase],
    k: int = 5,
    retriever: str | None = None,
    progress: Callable[[Iterable[TestCase]], Iterable[TestCase]] | None = None,
) -> EvalSummary:
    """Run a test set through the assistant and summarise the results."""
    return summarise(run_cases(assistant, cases, k, retriever, progress), assistant.index.chunks, k)
