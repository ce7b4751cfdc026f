"""Evaluation reports: report.json and report.html of a run, comparing two runs, and listing saved runs.

Owns the shape of ``report.json`` (metrics with their definitions, breakdown by question type,
latency, one row per question with failures first, and the provenance that tells two runs apart:
model, index manifest, corpus checksums, code version), rendering it as a self-contained HTML page
with inline SVG charts (matplotlib, no network needed to view), comparing two reports, and the
functions the web app's ``/eval`` page calls (``list_reports``, ``find_report``, ``render_report_html``).
Metrics are computed in ``assistant.evaluation``; this module only arranges and draws them.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from assistant import __version__
from assistant.citations import format_citation, section_label
from assistant.config import Settings
from assistant.evaluation import LOWER_IS_BETTER, CaseResult, EvalSummary, check_thresholds, metric_definitions
from assistant.presenters import answer_dict

SCHEMA_VERSION = 1
REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
COMPARE_JSON = "compare.json"
COMPARE_HTML = "compare.html"
DEFAULT_REPORTS_DIR = Path("eval") / "reports"
# Settings that say nothing about answer quality, or may hold a secret, stay out of reports; the name
# hints keep a secret added to Settings later out too.
_UNRECORDED_SETTINGS = {"database_url", "web_dir", "max_body_bytes"}
_SECRET_HINTS = ("url", "secret", "password", "token", "key")


class ReportError(ValueError):
    """A report that is missing or cannot be read; the message names the path."""


# --- provenance ---------------------------------------------------------------------------------------


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=Path(__file__).resolve().parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version() -> dict[str, Any]:
    """Package version, and the git commit (with whether tracked files differ from it) when there is one."""
    commit = _git("rev-parse", "HEAD")
    dirty = None if commit is None else bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {"package": __version__, "git_commit": commit, "git_dirty": dirty, "python": platform.python_version()}


def corpus_fingerprint(documents: dict[str, dict[str, Any]]) -> str:
    """One checksum over every indexed document's sha256: equal fingerprints mean the same corpus."""
    lines = sorted(f"{doc_id}:{meta.get('sha256', '')}" for doc_id, meta in documents.items())
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provenance(manifest: dict[str, Any], index_path: Path | str) -> dict[str, Any]:
    """What produced a run: code version, model, index build and corpus checksums."""
    manifest = copy.deepcopy(manifest)  # the report must not share (and later alter) the loaded index's manifest
    documents = manifest.get("documents", {})
    return {
        "code": code_version(),
        "model": manifest.get("model", {}),
        "index": {
            "path": str(index_path),
            "built_at": manifest.get("built_at"),
            "format_version": manifest.get("format_version"),
            "code_version": manifest.get("code_version"),
            "chunker": manifest.get("chunker", {}),
            "counts": manifest.get("counts", {}),
        },
        "corpus": {
            "fingerprint": corpus_fingerprint(documents),
            "documents": {
                doc_id: {"file": meta.get("file"), "sha256": meta.get("sha256")} for doc_id, meta in documents.items()
            },
        },
    }


# --- building and writing a report --------------------------------------------------------------------


def recorded_settings(settings: Settings) -> dict[str, Any]:
    """The settings a report records: everything that can change an answer, nothing that may be a secret."""
    return {
        name: value
        for name, value in settings.model_dump(mode="json").items()
        if name not in _UNRECORDED_SETTINGS and not any(hint in name for hint in _SECRET_HINTS)
    }


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
            "retriever": retriever or settings.retriever,
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


# --- comparing two reports ----------------------------------------------------------------------------


def _run_label(report: dict[str, Any]) -> str:
    return report.get("name") or f"{report['test_set']['name']}-{report['run']['retriever']}"


def _short(value: Any) -> str:
    return "—" if value is None else str(value)


def _differences(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """The facts that tell two runs apart, side by side."""

    def facts(report: dict[str, Any]) -> dict[str, Any]:
        prov = report.get("provenance", {})
        code = prov.get("code", {})
        commit = code.get("git_commit")
        return {
            "test set": f"{report['test_set']['name']} ({report['test_set'].get('sha256', '')[:12]})",
            "retriever": report["run"].get("retriever"),
            "k": report["run"].get("k"),
            "model": prov.get("model", {}).get("name"),
            "corpus": (prov.get("corpus", {}).get("fingerprint") or "")[:12] or None,
            "index built": prov.get("index", {}).get("built_at"),
            "code": f"{code.get('package')} {commit[:10] if commit else 'no git'}"
            + (" (modified)" if code.get("git_dirty") else ""),
        }

    left, right = facts(a), facts(b)
    changed_settings = sorted(
        key
        for key in set(a["run"].get("settings", {})) | set(b["run"].get("settings", {}))
        if a["run"].get("settings", {}).get(key) != b["run"].get("settings", {}).get(key)
        and key not in ("index_dir", "corpus_dir")
    )
    rows = [{"field": key, "a": _short(left[key]), "b": _short(right[key]), "same": left[key] == right[key]}
            for key in left]
    for key in changed_settings:
        rows.append({"field": f"setting {key}", "a": _short(a["run"]["settings"].get(key)),
                     "b": _short(b["run"]["settings"].get(key)), "same": False})
    return rows


def _question_key(row: dict[str, Any], k: int) -> list[tuple[str, float, str]]:
    """What makes one answer to a question better than another, most important first."""
    rank = row.get("first_support_rank")
    key = [("verdict", float(row["verdict"] == "pass"), row["verdict"])]
    if row.get("type") != "unanswerable":
        key.append(("first supporting passage rank", -float(rank or k + 1), _short(rank) if rank else "none"))
        for name in ("citation_precision", "must_contain_recall"):
            value = row.get(name)
            key.append((name.replace("_", " "), -1.0 if value is None else float(value), _short(value)))
    return key


def compare_questions(a: dict[str, Any], b: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Questions (by id) that got better and worse from run A to run B.

    The first of verdict, rank of the first supporting passage, citation precision and must-contain
    recall that differs decides (eval/README.md).
    """
    k = max(int(a["run"].get("k", 5)), int(b["run"].get("k", 5)))
    rows_a = {row["id"]: row for row in a["questions"]}
    better, worse = [], []
    for row_b in b["questions"]:
        row_a = rows_a.get(row_b["id"])
        if row_a is None:
            continue
        for (what, value_a, shown_a), (_, value_b, shown_b) in zip(
            _question_key(row_a, k), _question_key(row_b, k), strict=False
        ):
            if value_a == value_b:
                continue
            change = {
                "id": row_b["id"],
                "type": row_b.get("type"),
                "question": row_b["question"],
                "change": f"{what}: {shown_a} → {shown_b}",
                "a": {"verdict": row_a["verdict"], "first_support_rank": row_a.get("first_support_rank"),
                      "failures": row_a.get("failures", [])},
                "b": {"verdict": row_b["verdict"], "first_support_rank": row_b.get("first_support_rank"),
                      "failures": row_b.get("failures", [])},
            }
            (better if value_b > value_a else worse).append(change)
            break
    return better, worse


def compare_reports(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Metrics of two runs side by side with deltas (B − A), what differs between the runs, and the
    questions that got better or worse."""
    names = list(dict.fromkeys([*a["metrics"], *b["metrics"]]))
    metrics = []
    for name in names:
        value_a, value_b = a["metrics"].get(name), b["metrics"].get(name)
        delta = None if value_a is None or value_b is None else round(value_b - value_a, 4)
        improved = None
        if delta not in (None, 0) and name != "questions":
            improved = (delta < 0) if name in LOWER_IS_BETTER else (delta > 0)
        metrics.append({"name": name, "a": value_a, "b": value_b, "delta": delta, "improved": improved})
    better, worse = compare_questions(a, b)
    ids_a = {row["id"] for row in a["questions"]}
    ids_b = {row["id"] for row in b["questions"]}
    return {
        "schema_version": SCHEMA_VERSION,
        "a": {"name": _run_label(a), "created_at": a.get("created_at")},
        "b": {"name": _run_label(b), "created_at": b.get("created_at")},
        "runs": _differences(a, b),
        "same_test_set": a["test_set"].get("sha256") == b["test_set"].get("sha256"),
        "metrics": metrics,
        "definitions": {**a.get("definitions", {}), **b.get("definitions", {})},
        "better": better,
        "worse": worse,
        "only_in_a": sorted(ids_a - ids_b),
        "only_in_b": sorted(ids_b - ids_a),
    }


def write_comparison(comparison: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / COMPARE_JSON, json.dumps(comparison, ensure_ascii=False, indent=2))
    _write_atomic(out_dir / COMPARE_HTML, render_comparison_html(comparison))
    return out_dir / COMPARE_HTML


# --- saved reports, for the web app -------------------------------------------------------------------


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
        if child.is_dir() and not child.name.startswith(".") and (child / REPORT_JSON).exists()
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
    if path.resolve().parent != reports_dir.resolve() or not (path / REPORT_JSON).is_file():
        raise ReportError(f"no report called {name!r} in {reports_dir}")
    return path


# --- HTML ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("assistant", "templates"),
        autoescape=True,  # questions, answers and passage text are untrusted
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["metric"] = format_metric
    environment.filters["delta"] = format_delta
    return environment


def format_metric(value: Any, name: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or name == "questions":
        return str(int(value))
    if name.endswith("_ms"):
        return f"{value:,.0f} ms"
    return f"{value:.3f}"


def format_delta(delta: float | None, name: str = "") -> str:
    if delta is None:
        return "—"
    return f"{delta:+,.0f} ms" if name.endswith("_ms") else f"{delta:+.3f}"


def render_report_html(report: dict[str, Any] | Path | str) -> str:
    """The self-contained HTML page of a report (given the report, its directory or its report.json)."""
    if not isinstance(report, dict):
        report = load_report(report)
    k = report["run"]["k"]
    floors = (report.get("gate") or {}).get("fail_under", {})
    ceilings = (report.get("gate") or {}).get("fail_over", {})
    return _templates().get_template("report.html.j2").render(
        report=report,
        k=k,
        failed=[row for row in report["questions"] if row["verdict"] != "pass"],
        passed=[row for row in report["questions"] if row["verdict"] == "pass"],
        charts={
            "metrics": metric_bars_svg(report["metrics"], floors, ceilings),
            "ranks": rank_histogram_svg(report["rank_histogram"]),
            "types": type_bars_svg(report["by_type"], k),
            "latency": latency_histogram_svg([row["latency_ms"] for row in report["questions"]], report["metrics"]),
        },
        lower_is_better=LOWER_IS_BETTER,
    )


def render_comparison_html(comparison: dict[str, Any]) -> str:
    """The self-contained HTML page of a comparison of two runs."""
    return _templates().get_template("compare.html.j2").render(c=comparison, chart=compare_bars_svg(comparison))


# --- charts: inline SVG drawn by matplotlib (no network, no files beside the page) ---------------------

_BLUE, _ORANGE, _RED, _GREY = "#3b6ea5", "#e08a2c", "#c0392b", "#9aa5b1"
_CHART_STYLE = {
    "svg.fonttype": "none",  # text stays text: small, selectable, drawn in the page's font
    "svg.hashsalt": "score-report",  # stable element ids, so the same report renders to the same page
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _rate_metrics(metrics: dict[str, Any]) -> list[str]:
    """The metrics that are shares between 0 and 1 (everything but counts and latencies)."""
    return [name for name, value in metrics.items()
            if value is not None and name != "questions" and not name.endswith("_ms")]


def _draw(width: float, height: float, draw: Any) -> str:
    """Run draw(axes) on a new figure and return the figure as an <svg> element."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_CHART_STYLE):
        figure = Figure(figsize=(width, height))
        draw(figure.add_subplot())
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def metric_bars_svg(metrics: dict[str, Any], floors: dict[str, float], ceilings: dict[str, float]) -> str:
    """Horizontal bars of the share metrics; black ticks mark --fail-under floors, dashed ones ceilings."""
    names = _rate_metrics(metrics)
    if not names:
        return ""

    def draw(ax: Any) -> None:
        values = [float(metrics[name]) for name in names]
        missed = [
            (name in floors and metrics[name] < floors[name]) or (name in ceilings and metrics[name] > ceilings[name])
            for name in names
        ]
        y = list(range(len(names)))
        ax.barh(y, values, color=[_RED if miss else _BLUE for miss in missed], height=0.65)
        for row, value in zip(y, values, strict=True):
            ax.text(min(value, 1.0) + 0.01, row, f"{value:.3f}", va="center", fontsize=8)
        for limits, style in ((floors, "-"), (ceilings, "--")):
            for name, limit in limits.items():
                if name in names:
                    row = names.index(name)
                    ax.plot([limit, limit], [row - 0.45, row + 0.45], color="black", linewidth=2, linestyle=style)
        ax.set_yticks(y, [f"{name} (↓ better)" if name in LOWER_IS_BETTER else name for name in names])
        ax.invert_yaxis()
        ax.set_xlim(0, 1.12)
        ax.set_xlabel("share (0–1)")

    return _draw(5.0, 0.28 * len(names) + 0.7, draw)


def rank_histogram_svg(histogram: dict[str, int]) -> str:
    """How many answerable questions found their first supporting passage at each rank."""
    if not histogram or not sum(histogram.values()):
        return ""

    def draw(ax: Any) -> None:
        labels = [key if key != "none" else "none in top k" for key in histogram]
        counts = list(histogram.values())
        bars = ax.bar(labels, counts, color=[_RED if key == "none" else _BLUE for key in histogram])
        ax.bar_label(bars, fontsize=8)
        ax.set_xlabel("rank of the first supporting passage")
        ax.set_ylabel("questions")
        ax.yaxis.get_major_locator().set_params(integer=True)

    return _draw(5.0, 2.8, draw)


def type_bars_svg(by_type: dict[str, dict[str, Any]], k: int) -> str:
    """Grouped bars per question type: pass rate and the metrics that apply to that type."""
    series = ["pass_rate", f"hit@{k}", "mrr", "citation_precision", "must_contain_recall", "abstention_accuracy"]
    series = [name for name in series if any(group.get(name) is not None for group in by_type.values())]
    if not by_type or not series:
        return ""

    def draw(ax: Any) -> None:
        types = list(by_type)
        width = 0.8 / len(series)
        colors = [_BLUE, "#5b9bd5", "#7fb3a8", _ORANGE, "#c9a227", "#8e6bb0"]
        for i, name in enumerate(series):
            xs = [t + (i - (len(series) - 1) / 2) * width for t in range(len(types))]
            values = [by_type[kind].get(name) for kind in types]
            ax.bar([x for x, v in zip(xs, values, strict=True) if v is not None],
                   [v for v in values if v is not None], width=width, label=name, color=colors[i % len(colors)])
        ax.set_xticks(range(len(types)), [f"{kind}\n(n={int(by_type[kind].get('questions') or 0)})" for kind in types])
        ax.set_ylim(0, 1.05)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, frameon=False, fontsize=8)

    return _draw(6.4, 3.0, draw)


def latency_histogram_svg(latencies: list[float], metrics: dict[str, Any]) -> str:
    """Per-question answer times, with the median and 95th percentile marked."""
    if not latencies:
        return ""

    def draw(ax: Any) -> None:
        ax.hist(latencies, bins=min(20, max(1, len(latencies))), color=_GREY)
        for name, style in (("latency_median_ms", "-"), ("latency_p95_ms", "--")):
            if metrics.get(name) is not None:
                ax.axvline(metrics[name], color="black", linestyle=style, linewidth=1.2,
                           label=f"{name.split('_')[1]} {metrics[name]:,.0f} ms")
        ax.set_xlabel("time per question (ms)")
        ax.set_ylabel("questions")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(frameon=False, fontsize=8)

    return _draw(4.8, 2.6, draw)


def compare_bars_svg(comparison: dict[str, Any]) -> str:
    """The share metrics of two runs as paired horizontal bars."""
    rows = [row for row in comparison["metrics"]
            if row["name"] != "questions" and not row["name"].endswith("_ms")
            and row["a"] is not None and row["b"] is not None]
    if not rows:
        return ""

    def draw(ax: Any) -> None:
        y = list(range(len(rows)))
        ax.barh([i - 0.2 for i in y], [row["a"] for row in rows], height=0.38, color=_GREY,
                label=f"A: {comparison['a']['name']}")
        ax.barh([i + 0.2 for i in y], [row["b"] for row in rows], height=0.38, color=_ORANGE,
                label=f"B: {comparison['b']['name']}")
        ax.set_yticks(y, [row["name"] for row in rows])
        ax.invert_yaxis()
        ax.set_xlim(0, 1.05)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=1, frameon=False, fontsize=8)

    return _draw(5.0, 0.36 * len(rows) + 1.0, draw)
