"""Scoring one question: asking it through ``Assistant.ask`` and judging the answer by the support rule.

Owns ``CaseResult`` (what was retrieved, cited and found for one question, and why it fails) and
running a set of questions the way the chat answers them. Metrics over many questions are
``assistant.evaluation.metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.evaluation.support import contains, in_section, supports
from assistant.evaluation.testsets import TestCase
from assistant.models import Answer

if TYPE_CHECKING:
    from assistant.qa.service import Assistant

# A question passes only when at least half of its answer's citations point at supporting passages.
MIN_PASSING_CITATION_PRECISION = 0.5


@dataclass
class CaseResult:
    case: TestCase
    answer: Answer
    k: int
    first_support_rank: int | None
    supporting_ranks: list[int]
    section_recall: float | None
    citations_supported: list[bool]
    must_contain_found: dict[str, bool]
    abstention_correct: bool

    @property
    def citation_precision(self) -> float | None:
        """Supported citations / citations, for an answered answerable question (0 when it cites nothing)."""
        if not self.case.answerable or self.answer.abstained:
            return None
        if not self.citations_supported:
            return 0.0
        return sum(self.citations_supported) / len(self.citations_supported)

    @property
    def must_contain_recall(self) -> float | None:
        if not self.case.answerable or not self.must_contain_found:
            return None
        return sum(self.must_contain_found.values()) / len(self.must_contain_found)

    @property
    def failures(self) -> list[str]:
        """Why the question fails, in words; empty when it passes."""
        if not self.case.answerable:
            return [] if self.answer.abstained else ["answered a question the documents do not answer"]
        reasons = []
        if self.answer.abstained:
            reasons.append("abstained on an answerable question")
        if self.first_support_rank is None:
            reasons.append(f"no supporting passage in the top {self.k}")
        precision = self.citation_precision
        if not self.answer.abstained and not self.citations_supported:
            reasons.append("the answer cites nothing")
        elif precision is not None and precision < MIN_PASSING_CITATION_PRECISION:
            good, cited = sum(self.citations_supported), len(self.citations_supported)
            reasons.append(f"only {good} of {cited} citations supported")
        return reasons

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def latency_ms(self) -> float:
        return self.answer.timings_ms.get("total", 0.0)


def score_case(case: TestCase, answer: Answer, k: int) -> CaseResult:
    """Judge one answer against its test case with the support rule."""
    passages = answer.passages[:k]
    supporting = [p.rank for p in passages if supports(p.chunk, case)]
    section_recall = None
    citations_supported: list[bool] = []
    found: dict[str, bool] = {}
    if case.answerable:
        if case.expected_sections:
            covered = [s for s in case.expected_sections if any(in_section(p.chunk, s) for p in passages)]
            section_recall = len(covered) / len(case.expected_sections)
        chunks = {p.chunk.chunk_id: p.chunk for p in answer.passages}
        citations_supported = [
            c.chunk_id in chunks and supports(chunks[c.chunk_id], case) for c in answer.citations
        ]
        evidence = " ".join(q for c in answer.citations for q in (c.quotes or [c.quote]))
        found = {needle: contains(evidence, needle) for needle in case.must_contain}
    return CaseResult(
        case=case,
        answer=answer,
        k=k,
        first_support_rank=min(supporting) if supporting and case.answerable else None,
        supporting_ranks=supporting if case.answerable else [],
        section_recall=section_recall,
        citations_supported=citations_supported,
        must_contain_found=found,
        abstention_correct=answer.abstained == (not case.answerable),
    )


def run_cases(
    assistant: Assistant,
    cases: list[TestCase],
    k: int,
    retriever: str | None = None,
    progress: Callable[[Iterable[TestCase]], Iterable[TestCase]] | None = None,
    ask: Callable[[TestCase], Answer] | None = None,
    warm_up: str | None = None,
) -> list[CaseResult]:
    """Ask every question after one untimed warm-up question, and judge the answers.

    ``ask`` answers one case (default: ``Assistant.ask`` on its question, the chat's path); ``warm_up``
    is the question asked first (default: the first case's).
    """
    if cases:
        # First-call costs are not a trainer's wait.
        assistant.ask(warm_up or cases[0].question, k=k, retriever=retriever)
    answer = ask or (lambda case: assistant.ask(case.question, k=k, retriever=retriever))
    iterate = progress(cases) if progress else cases
    return [score_case(case, answer(case), k) for case in iterate]
