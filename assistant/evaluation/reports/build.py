"""Building the report.json object of a run: metrics, definitions, per-question rows, provenance.

Owns the shape of ``report.json`` (see eval/README.md): metrics with their definitions, breakdown by
question type, one row per question with failures first, the gate, the settings that can change an
answer, and provenance. Reading and writing report files is ``reports.files``; drawing is ``render``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.evaluation.gates import check_thresholds
from assistant.evaluation.metrics import EvalSummary, metric_definitions
from assistant.evaluation.reports.provenance import provenance
from assistant.evaluation.scoring import CaseResult
from assistant.ingest.sources import file_sha256
from assistant.qa.citations import format_citation, section_label
from assistant.qa.presenters import answer_dict

SCHEMA_VERSION = 1


def recorded_settings(settings: Settings) -> dict[str, Any]:
    """The settings a report records: the folders and every setting that can change an answer.

    Only the answer-deciding groups are read (``Settings.answer_settings``), so the database URL and
    anything else that may hold a secret never reach a report.
    """
    return {"corpus_dir": str(settings.corpus_dir), "index_dir": str(settings.index_dir), **settings.answer_settings()}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def question_row(result: CaseResult) -> dict[str, Any]:
    """One question of a report: the verdict and why, what was retrieved and cited, what was expected."""
    case, answer = result.case, result.answer
    passages = answer.passages[: result.k]
    return {
        "id": case.id,
        "type": case.type,
        "question": case.question,
        "verdict": "pass" if result.passed else "fail",
        "failures": result.failures,
        "first_support_rank": result.first_support_rank,
        "supporting_ranks": result.supporting_ranks,
        "section_recall": _round(result.section_recall),
        "citation_precision": _round(result.citation_precision),
        "must_contain_recall": _round(result.must_contain_recall),
        "abstained": answer.abstained,
        "latency_ms": round(result.latency_ms, 2),
        "expected": {
            "sections": case.expected_sections,
            "must_contain": case.must_contain,
            "answer": case.answer,
        },
        "must_contain_found": result.must_contain_found,
        "citation_labels": [format_citation(c) for c in answer.citations],
        "citations_supported": result.citations_supported,
        "passage_labels": [
            f"{section_label(p.chunk.heading_path)}" + (f" ({p.chunk.country})" if p.chunk.country else "")
            for p in passages
        ],
        "answer": answer_dict(answer),
    }


def _failures_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: row["verdict"] == "pass")  # stable: set order within each group


def build_report(
    summary: EvalSummary,
    *,
    name: str,
    test_set: Path,
    manifest: dict[str, Any],
    index_path: Path | str,
    settings: Settings,
    retriever: str | None = None,
    fail_under: dict[str, float] | None = None,
    fail_over: dict[str, float] | None = None,
    split: str | None = None,
) -> dict[str, Any]:
    """The report.json object of a run (see eval/README.md for its fields)."""
    fail_under, fail_over = fail_under or {}, fail_over or {}
    missed = check_thresholds(summary.metrics, fail_under, "under") + check_thresholds(
        summary.metrics, fail_over, "over"
    )
    warnings = [
        f"{case_id}: no chunk of the index supports this question; it counts as a miss "
        "(run `score-assistant eval lint`)"
        for case_id in summary.unsupported
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "test_set": {
            "name": test_set.stem,
            "path": str(test_set),
            "sha256": file_sha256(test_set),
            "questions": summary.counts.get("questions", 0),
        },
        "run": {
            "k": summary.k,
            "retriever": retriever or settings.retrieval.retriever,
            "split": split,
            "settings": recorded_settings(settings),
        },
        "provenance": provenance(manifest, index_path),
        "metrics": summary.metrics,
        "definitions": metric_definitions(summary.k),
        "by_type": summary.by_type,
        "counts": summary.counts,
        "rank_histogram": summary.rank_histogram,
        "warnings": warnings,
        "gate": {"fail_under": fail_under, "fail_over": fail_over, "missed": missed, "passed": not missed}
        if fail_under or fail_over
        else None,
        "questions": _failures_first([question_row(r) for r in summary.results]),
    }
