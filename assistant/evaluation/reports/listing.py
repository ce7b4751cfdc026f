"""Saved evaluation runs, for the web app's /eval pages: listing them and finding one by name safely.

Only report folders that really lie inside the reports folder count: a symbolic link that leads
outside it is neither listed nor found, so a link cannot publish a folder from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.evaluation.reports.files import DEFAULT_REPORTS_DIR, REPORT_JSON, ReportError, load_report


@dataclass
class ReportSummary:
    """One saved run as the /eval list shows it."""

    name: str  # the report directory's name: what find_report() takes
    path: Path
    created_at: str | None = None
    test_set: str | None = None
    retriever: str | None = None
    k: int | None = None
    questions: int = 0
    passed: int = 0
    metrics: dict[str, float | None] = field(default_factory=dict)
    model: str | None = None
    git_commit: str | None = None
    gate_passed: bool | None = None  # None when the run had no thresholds
    problem: str | None = None  # set (and the rest empty) when report.json cannot be read


def summarise_report(path: Path) -> ReportSummary:
    try:
        report = load_report(path)
    except ReportError as exc:
        return ReportSummary(name=path.name, path=path, problem=str(exc))
    k = report.get("run", {}).get("k")
    headline = ("hit@1", f"hit@{k}", "mrr", "citation_precision", "must_contain_recall", "abstention_accuracy",
                "pass_rate")
    prov = report.get("provenance", {})
    gate = report.get("gate")
    return ReportSummary(
        name=path.name,
        path=path,
        created_at=report.get("created_at"),
        test_set=report.get("test_set", {}).get("name"),
        retriever=report.get("run", {}).get("retriever"),
        k=k,
        questions=report.get("counts", {}).get("questions", len(report["questions"])),
        passed=report.get("counts", {}).get("passed", sum(r.get("verdict") == "pass" for r in report["questions"])),
        metrics={name: report["metrics"].get(name) for name in headline if name in report["metrics"]},
        model=prov.get("model", {}).get("name"),
        git_commit=prov.get("code", {}).get("git_commit"),
        gate_passed=None if not gate else bool(gate.get("passed")),
    )


def _inside(reports_dir: Path, path: Path) -> bool:
    """Whether ``path`` (a symbolic link resolved) is a direct child of ``reports_dir``."""
    return path.resolve().parent == reports_dir.resolve()


def list_reports(reports_dir: Path | str = DEFAULT_REPORTS_DIR) -> list[ReportSummary]:
    """The saved runs under reports_dir (directories holding report.json), newest first.

    A directory whose report.json is unreadable is listed with ``problem`` set rather than hidden.
    """
    reports_dir = Path(reports_dir)
    if not reports_dir.is_dir():
        return []
    summaries = [
        summarise_report(child)
        for child in reports_dir.iterdir()
        if child.is_dir() and not child.name.startswith(".") and _inside(reports_dir, child)
        and (child / REPORT_JSON).exists()
    ]
    return sorted(summaries, key=lambda s: (s.created_at or "", s.name), reverse=True)


def find_report(reports_dir: Path | str, name: str) -> Path:
    """The directory of the saved report called ``name`` (one path component, as listed by list_reports).

    Raises ReportError for anything else, so a web route can pass user input straight in.
    """
    reports_dir = Path(reports_dir)
    if not name or name in (".", "..") or name.startswith(".") or "/" in name or "\\" in name or "\x00" in name:
        raise ReportError(f"{name!r} is not a report name")
    path = reports_dir / name
    if not _inside(reports_dir, path) or not (path / REPORT_JSON).is_file():
        raise ReportError(f"no report called {name!r} in {reports_dir}")
    return path
