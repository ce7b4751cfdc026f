"""Quality gates: reading ``--fail-under`` / ``--fail-over`` and checking a run's metrics against them."""

from __future__ import annotations

from typing import Any

from assistant.evaluation.metrics import metric_definitions


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
