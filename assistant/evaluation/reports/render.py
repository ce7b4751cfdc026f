"""Rendering a report or a comparison as one self-contained HTML page (inline styles and SVG charts).

Uses the project's one Jinja environment (``assistant.templating``) and the report templates in
``web/templates/reports/``, which extend the app's ``base.html``.
"""

from __future__ import annotations

from typing import Any

import jinja2

from assistant.evaluation.metrics import LOWER_IS_BETTER
from assistant.evaluation.reports.charts import (
    compare_bars_svg,
    latency_histogram_svg,
    metric_bars_svg,
    rank_histogram_svg,
    type_bars_svg,
)
from assistant.templating import environment


def render_report_html(report: dict[str, Any], env: jinja2.Environment | None = None) -> str:
    """The self-contained HTML page of a report."""
    k = report["run"]["k"]
    floors = (report.get("gate") or {}).get("fail_under", {})
    ceilings = (report.get("gate") or {}).get("fail_over", {})
    return (env or environment()).get_template("reports/report.html").render(
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


def render_comparison_html(comparison: dict[str, Any], env: jinja2.Environment | None = None) -> str:
    """The self-contained HTML page of a comparison of two runs."""
    return (env or environment()).get_template("reports/compare.html").render(
        c=comparison, chart=compare_bars_svg(comparison)
    )
