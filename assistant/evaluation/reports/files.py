"""Report files on disk: writing report.json + report.html (and compare.json + compare.html), reading them back.

Writes are atomic (a temporary file renamed into place), so a reader never sees half a report.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from assistant.evaluation.reports.build import SCHEMA_VERSION
from assistant.evaluation.reports.render import render_comparison_html, render_report_html

REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
COMPARE_JSON = "compare.json"
COMPARE_HTML = "compare.html"
DEFAULT_REPORTS_DIR = Path("eval") / "reports"


class ReportError(ValueError):
    """A report that is missing or cannot be read; the message names the path."""


def default_report_dir(test_set: Path, retriever: str, reports_dir: Path = DEFAULT_REPORTS_DIR) -> Path:
    """eval/reports/<set-name>-<retriever>-<timestamp>, not overwriting a report of the same second."""
    base = reports_dir / f"{test_set.stem}-{retriever}-{time.strftime('%Y%m%d-%H%M%S')}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_report(report: dict[str, Any], out_dir: Path) -> Path:
    """Write report.json and report.html into out_dir (created if needed); returns the HTML path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / REPORT_JSON, json.dumps(report, ensure_ascii=False, indent=2))
    _write_atomic(out_dir / REPORT_HTML, render_report_html(report))
    return out_dir / REPORT_HTML


def load_report(path: Path | str) -> dict[str, Any]:
    """A report.json, given the file or the report directory."""
    path = Path(path)
    file = path / REPORT_JSON if path.is_dir() else path
    if not file.is_file():
        raise ReportError(f"{path}: no {REPORT_JSON} there")
    try:
        report = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{file}: not a readable report ({exc})") from exc
    if not isinstance(report, dict) or "metrics" not in report or "questions" not in report:
        raise ReportError(f"{file}: not an evaluation report (no metrics or questions)")
    if report.get("schema_version") != SCHEMA_VERSION:
        raise ReportError(
            f"{file}: report format {report.get('schema_version')!r}, this version reads {SCHEMA_VERSION}; "
            "run the test set again to get a current report"
        )
    return report


def write_comparison(comparison: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / COMPARE_JSON, json.dumps(comparison, ensure_ascii=False, indent=2))
    _write_atomic(out_dir / COMPARE_HTML, render_comparison_html(comparison))
    return out_dir / COMPARE_HTML
