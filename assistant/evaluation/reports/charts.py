"""Charts of a report: inline SVG drawn by matplotlib (no network, no files beside the page)."""

from __future__ import annotations

import io
from typing import Any

from assistant.evaluation.metrics import LOWER_IS_BETTER

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
