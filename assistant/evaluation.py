"""Answer-quality evaluation: test sets, the support rule, retrieval and answer metrics.

Owns reading a test set (JSON Lines, format in eval/README.md), deciding which passages support a
question, and computing metrics over answers produced by ``Assistant.ask`` (the same code path as
the chat). Retrieval metrics come from ranx; answer metrics follow eval/README.md.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from assistant.models import Answer, Chunk

QUESTION_TYPES = ("fact", "multi", "howto", "unanswerable")
REQUIRED_KEYS = ("id", "question", "type", "expected_sections", "must_contain")


class TestSetError(ValueError):
    """A malformed test set, with the file and line."""


@dataclass
class TestCase:
    id: str
    question: str
    type: str
    expected_sections: list[str]
    must_contain: list[str]
    answer: str = ""

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


def load_test_set(path: Path) -> list[TestCase]:
    """Parse a JSON Lines test set; TestSetError with the line number on the first problem."""
    if not path.is_file():
        raise TestSetError(f"{path}: no such file")
    cases: list[TestCase] = []
    seen: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise TestSetError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise TestSetError(f"{path}:{number}: each line must be a JSON object")
        missing = [key for key in REQUIRED_KEYS if key not in row]
        if missing:
            raise TestSetError(f"{path}:{number}: missing keys {', '.join(missing)}")
        if row["type"] not in QUESTION_TYPES:
            raise TestSetError(f"{path}:{number}: unknown type {row['type']!r} (one of {', '.join(QUESTION_TYPES)})")
        if row["id"] in seen:
            raise TestSetError(f"{path}:{number}: duplicate id {row['id']!r}")
        seen.add(row["id"])
        cases.append(
            TestCase(
                id=str(row["id"]),
                question=str(row["question"]),
                type=row["type"],
                expected_sections=list(row["expected_sections"]),
                must_contain=list(row["must_contain"]),
                answer=str(row.get("answer", "")),
            )
        )
    if not cases:
        raise TestSetError(f"{path}: the test set is empty")
    return cases


def supports(chunk: Chunk, case: TestCase) -> bool:
    """A passage supports a question when it holds a must_contain string or sits in an expected section."""
    text = chunk.text.lower()
    if any(needle.lower() in text for needle in case.must_contain):
        return True
    places = [p.lower() for p in chunk.heading_path] + ([chunk.country.lower()] if chunk.country else [])
    return any(section.lower() in place for section in case.expected_sections for place in places)


@dataclass
class CaseResult:
    case: TestCase
    answer: Answer
    first_support_rank: int | None
    section_recall: float | None
    citation_precision: float | None
    must_contain_recall: float | None
    abstention_correct: bool

    @property
    def passed(self) -> bool:
        if not self.case.answerable:
            return self.abstention_correct
        return (
            self.abstention_correct
            and self.first_support_rank is not None
            and (self.citation_precision or 0.0) >= 0.5
        )


def score_case(case: TestCase, answer: Answer, k: int) -> CaseResult:
    passages = answer.passages[:k]
    rank = next((p.rank for p in passages if supports(p.chunk, case)), None)
    section_recall = None
    citation_precision = None
    must_recall = None
    if case.answerable:
        if case.expected_sections:
            covered = [
                s for s in case.expected_sections
                if any(supports(p.chunk, TestCase("", "", "fact", [s], [])) for p in passages)
            ]
            section_recall = len(covered) / len(case.expected_sections)
        if answer.citations:
            good = [c for c in answer.citations if supports(_citation_chunk(answer, c.chunk_id), case)]
            citation_precision = len(good) / len(answer.citations)
        elif answer.abstained:
            citation_precision = 0.0
        if case.must_contain:
            evidence = " ".join(q for c in answer.citations for q in c.quotes).lower()
            must_recall = sum(needle.lower() in evidence for needle in case.must_contain) / len(case.must_contain)
    return CaseResult(
        case=case,
        answer=answer,
        first_support_rank=rank if case.answerable else None,
        section_recall=section_recall,
        citation_precision=citation_precision,
        must_contain_recall=must_recall,
        abstention_correct=answer.abstained == (not case.answerable),
    )


def _citation_chunk(answer: Answer, chunk_id: str) -> Chunk:
    for passage in answer.passages:
        if passage.chunk.chunk_id == chunk_id:
            return passage.chunk
    raise KeyError(chunk_id)


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def retrieval_metrics(results: list[CaseResult], all_chunks: list[Chunk], k: int) -> dict[str, float]:
    """hit@1, hit@k, MRR and nDCG@10 over answerable questions, computed by ranx."""
    from ranx import Qrels, Run, evaluate

    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for result in results:
        if not result.case.answerable:
            continue
        relevant = {c.chunk_id: 1 for c in all_chunks if supports(c, result.case)}
        if not relevant:
            continue
        qrels[result.case.id] = relevant
        run[result.case.id] = {
            p.chunk.chunk_id: float(len(result.answer.passages) - i) for i, p in enumerate(result.answer.passages)
        } or {"-": 0.0}
    if not qrels:
        return {}
    names = ["hit_rate@1", f"hit_rate@{k}", "mrr", "ndcg@10", f"recall@{k}"]
    scores = evaluate(Qrels(qrels), Run(run), names, make_comparable=True)
    return {
        "hit@1": round(float(scores["hit_rate@1"]), 4),
        f"hit@{k}": round(float(scores[f"hit_rate@{k}"]), 4),
        "mrr": round(float(scores["mrr"]), 4),
        "ndcg@10": round(float(scores["ndcg@10"]), 4),
        f"recall@{k}": round(float(scores[f"recall@{k}"]), 4),
    }


@dataclass
class EvalSummary:
    metrics: dict[str, float | None]
    results: list[CaseResult] = field(default_factory=list)


def summarise(results: list[CaseResult], all_chunks: list[Chunk], k: int) -> EvalSummary:
    answerable = [r for r in results if r.case.answerable]
    unanswerable = [r for r in results if not r.case.answerable]
    metrics: dict[str, float | None] = dict(retrieval_metrics(results, all_chunks, k))
    metrics["section_recall@5"] = _mean([r.section_recall for r in answerable if r.section_recall is not None])
    metrics["citation_precision"] = _mean(
        [r.citation_precision for r in answerable if r.citation_precision is not None and not r.answer.abstained]
    )
    metrics["must_contain_recall"] = _mean(
        [r.must_contain_recall for r in answerable if r.must_contain_recall is not None]
    )
    metrics["abstention_accuracy"] = _mean([float(r.abstention_correct) for r in unanswerable])
    metrics["false_abstention_rate"] = _mean([float(r.answer.abstained) for r in answerable])
    totals = [r.answer.timings_ms.get("total", 0.0) for r in results]
    metrics["latency_median_ms"] = round(statistics.median(totals), 2) if totals else None
    metrics["questions"] = float(len(results))
    return EvalSummary(metrics=metrics, results=results)
