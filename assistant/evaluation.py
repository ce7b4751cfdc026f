"""Answer-quality evaluation: test sets, their lint, the support rule, metrics and quality floors.

Owns reading a test set (JSON Lines, format in eval/README.md) and finding every problem in it,
deciding which passages support a question, running a set through ``Assistant.ask`` (the same code
path as the chat) and computing the metrics defined in eval/README.md. Retrieval metrics come from
ranx; answer metrics are the shares defined below. Writing, comparing and rendering reports is
``assistant.reports``; this module neither prints nor writes files.
"""

from __future__ import annotations

import json
import re
import statistics
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from assistant.config import Settings
from assistant.models import Answer, Chunk
from assistant.retrieval import QuestionError, check_question

if TYPE_CHECKING:
    from assistant.service import Assistant

QUESTION_TYPES = ("fact", "multi", "howto", "unanswerable")
REQUIRED_KEYS = ("id", "question", "type", "expected_sections", "must_contain")
OPTIONAL_KEYS = ("answer",)
# Relevance judgements need at least one relevant document per question; a question whose support
# exists nowhere in the index gets this one, which no ranking can contain, so it counts as a miss.
UNREACHABLE = "\x00no-supporting-passage-in-index"
# A question passes only when at least half of its answer's citations point at supporting passages.
MIN_PASSING_CITATION_PRECISION = 0.5

Severity = Literal["error", "warning"]


class TestSetError(ValueError):
    """A malformed test set, with the file and line of each problem."""

    __test__ = False  # not a pytest test class, whatever its name


@dataclass
class TestCase:
    """One question of a test set and what a correct answer needs."""

    __test__ = False  # not a pytest test class, whatever its name

    id: str
    question: str
    type: str
    expected_sections: list[str]
    must_contain: list[str]
    answer: str = ""
    line: int = 0  # where the case sits in its file (1-based), 0 when built in code

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


@dataclass(frozen=True)
class SetProblem:
    """One thing wrong with a test set: the line it is on (None for the whole file) and what is wrong."""

    line: int | None
    message: str
    severity: Severity = "error"

    def describe(self, path: Path | str) -> str:
        where = f"{path}:{self.line}" if self.line is not None else str(path)
        return f"{where}: {self.severity}: {self.message}"


# --- reading and linting a test set ----------------------------------------------------------------


def _string_list(row: dict[str, Any], key: str, line: int, problems: list[SetProblem]) -> list[str] | None:
    value = row.get(key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(SetProblem(line, f"{key} must be a list of strings, got {json.dumps(value)[:80]}"))
        return None
    if any(not item.strip() for item in value):
        problems.append(SetProblem(line, f"{key} holds an empty string (it would match every passage)"))
        return None
    return value


def _parse_row(row: Any, line: int, seen: dict[str, int]) -> tuple[TestCase | None, list[SetProblem]]:
    if not isinstance(row, dict):
        return None, [SetProblem(line, f"each line must be a JSON object, got {type(row).__name__}")]
    problems: list[SetProblem] = []
    missing = [key for key in REQUIRED_KEYS if key not in row]
    if missing:
        problems.append(SetProblem(line, f"missing keys: {', '.join(missing)}"))
    unknown = sorted(set(row) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        known = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)
        problems.append(SetProblem(line, f"unknown keys: {', '.join(unknown)} (known: {known})", "warning"))
    case_id = row.get("id")
    if "id" in row:
        if not isinstance(case_id, str | int) or isinstance(case_id, bool) or not str(case_id).strip():
            problems.append(SetProblem(line, f"id must be a non-empty string, got {json.dumps(case_id)}"))
        elif str(case_id) in seen:
            problems.append(SetProblem(line, f"duplicate id {str(case_id)!r} (first on line {seen[str(case_id)]})"))
        else:
            seen[str(case_id)] = line
    question = row.get("question")
    if "question" in row and (not isinstance(question, str) or not question.strip()):
        problems.append(SetProblem(line, "question must be a non-empty string"))
    kind = row.get("type")
    if "type" in row and kind not in QUESTION_TYPES:
        problems.append(SetProblem(line, f"unknown type {kind!r} (one of {', '.join(QUESTION_TYPES)})"))
    sections = _string_list(row, "expected_sections", line, problems) if "expected_sections" in row else None
    needles = _string_list(row, "must_contain", line, problems) if "must_contain" in row else None
    if "answer" in row and not isinstance(row["answer"], str):
        problems.append(SetProblem(line, "answer must be a string"))
    if kind in QUESTION_TYPES and sections is not None and needles is not None:
        if kind == "unanswerable" and (sections or needles):
            problems.append(
                SetProblem(line, "an unanswerable question should have empty expected_sections and must_contain "
                           "(they are ignored)", "warning")
            )
        if kind != "unanswerable" and not sections and not needles:
            problems.append(
                SetProblem(line, f"a {kind} question needs expected_sections or must_contain: without them no "
                           "passage can support it")
            )
    if any(p.severity == "error" for p in problems):
        return None, problems
    case = TestCase(
        id=str(case_id),
        question=str(question),
        type=str(kind),
        expected_sections=list(sections or []),
        must_contain=list(needles or []),
        answer=str(row.get("answer", "")),
        line=line,
    )
    return case, problems


def parse_test_set(path: Path) -> tuple[list[TestCase], list[SetProblem]]:
    """Every well-formed case of a JSON Lines test set, and every problem found (not only the first)."""
    if not path.is_file():
        return [], [SetProblem(None, "no such file")]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [], [SetProblem(None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    cases: list[TestCase] = []
    problems: list[SetProblem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(SetProblem(number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        case, found = _parse_row(row, number, seen)
        problems.extend(found)
        if case is not None:
            cases.append(case)
    if not cases and not problems:
        problems.append(SetProblem(None, "the test set is empty"))
    return cases, problems


def load_test_set(path: Path) -> list[TestCase]:
    """The cases of a test set; TestSetError naming each bad line when any line is malformed."""
    cases, problems = parse_test_set(path)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        shown = [p.describe(path) for p in errors[:5]]
        more = f"\n… and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise TestSetError(
            f"{path}: {len(errors)} problem(s); run `score-assistant eval lint {path}` for all of them\n"
            + "\n".join(shown) + more
        )
    return cases


def question_problems(cases: Iterable[TestCase], settings: Settings) -> list[SetProblem]:
    """Questions the assistant would refuse (empty, too long) under these settings."""
    problems = []
    for case in cases:
        try:
            check_question(case.question, settings)
        except QuestionError as exc:
            problems.append(SetProblem(case.line or None, f"{case.id}: {exc}"))
    return problems


def corpus_problems(cases: Iterable[TestCase], chunks: list[Chunk]) -> list[SetProblem]:
    """must_contain strings and expected sections the indexed corpus does not hold, by the support rule."""
    problems: list[SetProblem] = []
    texts = [_normalise(c.text) for c in chunks]
    for case in cases:
        if not case.answerable:
            continue
        line = case.line or None
        for section in case.expected_sections:
            if not any(in_section(chunk, section) for chunk in chunks):
                problems.append(
                    SetProblem(line, f"{case.id}: expected section {section!r} matches no country or heading "
                               "in the index")
                )
        for needle in case.must_contain:
            wanted = _normalise(needle)
            holders = [chunk for chunk, text in zip(chunks, texts, strict=True) if wanted in text]
            if not holders:
                problems.append(SetProblem(line, f"{case.id}: must_contain {needle!r} is in no indexed passage"))
            elif case.expected_sections and not any(
                in_section(chunk, section) for chunk in holders for section in case.expected_sections
            ):
                problems.append(
                    SetProblem(line, f"{case.id}: must_contain {needle!r} appears only outside the expected sections",
                               "warning")
                )
    return problems


def lint_test_set(path: Path, chunks: list[Chunk] | None = None, settings: Settings | None = None) -> list[SetProblem]:
    """All problems of a test set file and, given the indexed chunks, of its expectations against the corpus."""
    cases, problems = parse_test_set(path)
    if settings is not None:
        problems += question_problems(cases, settings)
    if chunks is not None:
        problems += corpus_problems(cases, chunks)
    return sorted(problems, key=lambda p: (p.line or 0, p.severity != "error"))


# --- the support rule ---------------------------------------------------------------------------------


@lru_cache(maxsize=16384)  # the same chunk texts are normalised once per question otherwise
def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def contains(text: str, needle: str) -> bool:
    """Case-insensitive substring test in which any run of whitespace counts as one space."""
    return _normalise(needle) in _normalise(text)


def in_section(chunk: Chunk, section: str) -> bool:
    """The chunk's country or one of its headings contains the section name (case-insensitive)."""
    wanted = section.lower()
    places = [p.lower() for p in chunk.heading_path] + ([chunk.country.lower()] if chunk.country else [])
    return any(wanted in place for place in places)


def supports(chunk: Chunk, case: TestCase) -> bool:
    """A passage supports a question when it holds a must_contain string or sits in an expected section."""
    if any(contains(chunk.text, needle) for needle in case.must_contain):
        return True
    return any(in_section(chunk, section) for section in case.expected_sections)


# --- one question -------------------------------------------------------------------------------------


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
) -> list[CaseResult]:
    """Ask every question through ``Assistant.ask`` after one untimed warm-up question, and judge the answers."""
    if cases:
        assistant.ask(cases[0].question, k=k, retriever=retriever)  # first-call costs are not a trainer's wait
    iterate = progress(cases) if progress else cases
    return [score_case(case, assistant.ask(case.question, k=k, retriever=retriever), k) for case in iterate]


# --- metrics over many questions ----------------------------------------------------------------------


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


# --- quality floors -----------------------------------------------------------------------------------


class ThresholdError(ValueError):
    """A --fail-under / --fail-over specification that cannot be read."""


def parse_thresholds(spec: str | None) -> dict[str, float]:
    """'hit@5=0.9,citation_precision=0.85' → {'hit@5': 0.9, 'citation_precision': 0.85}."""
    thresholds: dict[str, float] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or not name.strip() or number is None:
            raise ThresholdError(f"cannot read {part.strip()!r}: write metric=value, e.g. hit@5=0.9")
        thresholds[name.strip()] = number
    return thresholds


def check_thresholds(metrics: dict[str, Any], thresholds: dict[str, float], direction: str = "under") -> list[str]:
    """The thresholds a run misses, in words: a floor (``under``) or a ceiling (``over``) per metric.

    A metric that could not be computed (None, e.g. abstention accuracy without unanswerable questions)
    misses its threshold: a gate should not pass on a number it never saw.
    """
    missed = []
    for name, limit in thresholds.items():
        value = metrics.get(name)
        if value is None:
            missed.append(f"{name} was not computed for this run (threshold {limit})")
        elif direction == "under" and value < limit:
            missed.append(f"{name} = {value} is under the floor {limit}")
        elif direction == "over" and value > limit:
            missed.append(f"{name} = {value} is over the ceiling {limit}")
    return missed


def unknown_threshold_names(thresholds: dict[str, float], k: int) -> list[str]:
    known = set(metric_definitions(k))
    return [name for name in thresholds if name not in known]
